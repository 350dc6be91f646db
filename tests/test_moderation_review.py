"""The review queue on a real DuckDB home: exclusive claims (threads and processes), leases, decisions, appeals, roles, audit."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from sora_widgets.media import Clip
from sora_widgets.moderation import Verdict, review
from sora_widgets.moderation.service import hold_for_review, record_verdict, screen_prompt

REPO = Path(__file__).resolve().parent.parent


def _tiny_clip(seed: int) -> Clip:
    rng = np.random.default_rng(seed)
    frames = np.repeat(rng.integers(0, 255, (1, 32, 32, 3), dtype=np.uint8), 6, axis=0)
    return Clip(frames, np.zeros((1, 8000), np.float32), 12, 16_000, {"prompt": f"test clip {seed}"})


def _verdict(category: str = "hate", score: float = 0.5) -> Verdict:
    return Verdict("review", {category: score}, [f"held for review as possible {category}"], [], {}, [category])


@pytest.fixture
def queue(store):
    """A home with creators, reviewers, an admin and three held clips with open cases."""
    for h, role in (("alice", "creator"), ("bob", "creator"), ("rev1", "reviewer"), ("rev2", "reviewer"),
                    ("rev3", "reviewer"), ("boss", "admin")):
        store.create_user(h, birthdate="1990-01-01", role=role)
    cases = []
    for i, cat in enumerate(("hate", "sexual", "self_harm")):
        clip_id = store.save_clip(_tiny_clip(i), owner="alice", status="held")
        v = _verdict(cat)
        record_verdict(store, v, target_kind="clip", target_id=clip_id, user="alice")
        cases.append(hold_for_review(store, clip_id, v, user="alice"))
    return store, cases


def _decisions_in_audit(store, case_id=None):
    q = "SELECT target_id, actor, detail FROM audit_log WHERE action = 'review.decide'"
    rows = store.sql(q + (" AND target_id = ?" if case_id else ""), [case_id] if case_id else [])
    return rows


def test_open_case_carries_evidence_and_is_idempotent_per_clip(queue):
    store, cases = queue
    case = review.get_case(store, cases[0], reviewer="rev1")
    assert case["status"] == "open" and case["category"] == "hate" and case["owner"] == "alice"
    assert case["evidence"]["flagged"] == ["hate"] and case["verdict_id"].startswith("v_")
    v = _verdict()  # publish's path: a recorded "review" verdict of the clip (an unrecorded one is refused)
    record_verdict(store, v, target_kind="clip", target_id=case["clip_id"], user="alice")
    assert hold_for_review(store, case["clip_id"], v, user="alice") == cases[0]  # no second case
    assert store.sql("SELECT count(*) AS n FROM review_cases")["n"][0] == 3


def test_roles_are_enforced_with_readable_errors(queue):
    store, cases = queue
    for action in (
        lambda: review.list_cases(store, reviewer="alice"),
        lambda: review.claim(store, "alice", cases[0]),
        lambda: review.decide(store, "bob", cases[0], "approve", "fine"),
        lambda: review.get_case(store, cases[0], reviewer="nobody_here"),
    ):
        with pytest.raises(PermissionError, match="reviewer or admin"):
            action()
    assert _decisions_in_audit(store).empty


def test_claim_decide_and_every_decision_exactly_once_in_audit(queue):
    store, cases = queue
    c = review.claim(store, "rev1", cases[0])
    assert c["claimed_by"] == "rev1"
    with pytest.raises(review.CaseError, match="being reviewed by @rev1"):
        review.claim(store, "rev2", cases[0])
    with pytest.raises(review.CaseError, match="claim case"):
        review.decide(store, "rev2", cases[0], "remove", "nope")
    with pytest.raises(ValueError, match="reason"):
        review.decide(store, "rev1", cases[0], "remove", "  ")
    done = review.decide(store, "rev1", cases[0], "remove", "dehumanising speech")
    assert done["status"] == "decided" and done["last_decision"] == "remove" and done["claimed_by"] is None
    assert store.clip_info(done["clip_id"])["status"] == "removed"
    with pytest.raises(review.CaseError, match="already decided"):
        review.decide(store, "rev1", cases[0], "approve", "changed my mind")
    review.claim(store, "rev2", cases[1])
    review.decide(store, "rev2", cases[1], "approve", "art, not porn")
    assert store.clip_info(review.get_case(store, cases[1], reviewer="rev2")["clip_id"])["status"] == "published"
    audit = _decisions_in_audit(store)
    assert sorted(audit["target_id"]) == sorted(cases[:2])
    assert dict(zip(audit["target_id"], audit["actor"], strict=True)) == {cases[0]: "rev1", cases[1]: "rev2"}
    assert json.loads(audit.set_index("target_id").loc[cases[0], "detail"])["decision"] == "remove"
    assert len(store.sql("SELECT * FROM review_decisions")) == 2


def test_escalated_cases_go_to_admins(queue):
    store, cases = queue
    review.claim(store, "rev1", cases[2])
    review.decide(store, "rev1", cases[2], "escalate", "not sure: needs policy call")
    assert review.get_case(store, cases[2], reviewer="rev1")["status"] == "escalated"
    with pytest.raises(review.CaseError, match="admin"):
        review.claim(store, "rev2", cases[2])
    assert all(c["case_id"] != cases[2] for c in review.list_cases(store, reviewer="rev2") if c["available"])
    review.claim(store, "boss", cases[2])
    assert review.decide(store, "boss", cases[2], "remove", "promotes self-harm")["status"] == "decided"


def test_expired_claim_returns_to_the_queue(queue):
    store, cases = queue
    review.claim(store, "rev1", cases[0], lease_s=0.3)
    assert not next(c for c in review.list_cases(store, reviewer="rev2") if c["case_id"] == cases[0])["available"]
    time.sleep(0.5)
    assert next(c for c in review.list_cases(store, reviewer="rev2") if c["case_id"] == cases[0])["available"]
    with pytest.raises(review.CaseError, match="expired"):
        review.decide(store, "rev1", cases[0], "approve", "too late")
    assert review.claim(store, "rev2", cases[0])["claimed_by"] == "rev2"
    review.decide(store, "rev2", cases[0], "approve", "fine")
    assert len(_decisions_in_audit(store, cases[0])) == 1


def test_release_gives_the_case_back(queue):
    store, cases = queue
    review.claim(store, "rev1", cases[0])
    with pytest.raises(review.CaseError, match="not claimed by @rev2"):
        review.release(store, "rev2", cases[0])
    review.release(store, "rev1", cases[0])
    assert review.claim(store, "rev2", cases[0])["claimed_by"] == "rev2"


def test_appeal_once_by_the_author(queue):
    store, cases = queue
    with pytest.raises(review.CaseError, match="once it is decided"):
        review.appeal(store, "alice", cases[0], "it is satire")
    review.claim(store, "rev1", cases[0])
    review.decide(store, "rev1", cases[0], "remove", "hateful")
    with pytest.raises(PermissionError, match="only @alice"):
        review.appeal(store, "bob", cases[0], "let it be")
    with pytest.raises(ValueError, match="say why"):
        review.appeal(store, "alice", cases[0], "")
    c = review.appeal(store, "alice", cases[0], "it is satire about racists")
    assert c["status"] == "appealed" and c["appealed"] and c["appeal_reason"].startswith("it is satire")
    assert any(x["case_id"] == cases[0] and x["available"] for x in review.list_cases(store, reviewer="rev2"))
    review.claim(store, "rev2", cases[0])
    review.decide(store, "rev2", cases[0], "approve", "satire, on second look")
    assert store.clip_info(c["clip_id"])["status"] == "published"
    with pytest.raises(review.CaseError, match="already appealed once"):
        review.appeal(store, "alice", cases[0], "again")
    assert len(_decisions_in_audit(store, cases[0])) == 2
    assert store.sql("SELECT count(*) AS n FROM audit_log WHERE action = 'review.appeal'")["n"][0] == 1


def test_filters_and_queue_stats(queue):
    store, cases = queue
    assert [c["category"] for c in review.list_cases(store, reviewer="rev1", category="sexual")] == ["sexual"]
    assert len(review.list_cases(store, reviewer="rev1", min_age_s=3600)) == 0
    assert len(review.list_cases(store, reviewer="rev1", max_age_s=3600)) == 3
    with pytest.raises(ValueError, match="category must be one of"):
        review.list_cases(store, reviewer="rev1", category="spam")
    review.claim(store, "rev1", cases[0])
    review.decide(store, "rev1", cases[0], "remove", "hate")
    review.claim(store, "rev1", cases[1])
    stats = review.queue_stats(store)
    assert stats["waiting"] == 2 and stats["claimed"] == 1
    assert stats["decisions_per_category"] == {"hate": {"remove": 1}}
    assert stats["oldest_age_s"] >= 0 and stats["by_status"] == {"decided": 1, "open": 2}


def test_claims_are_exclusive_across_threads(queue):
    store, cases = queue
    got: list = []
    barrier = threading.Barrier(6)

    def work(reviewer):
        barrier.wait()
        c = review.claim(store, reviewer)
        got.append((reviewer, c["case_id"] if c else None))

    reviewers = ["rev1", "rev2", "rev3", "boss", "rev1", "rev2"]
    threads = [threading.Thread(target=work, args=(r,)) for r in reviewers]
    [t.start() for t in threads]
    [t.join(30) for t in threads]
    claimed = [c for _, c in got if c]
    # rev1 and rev2 each appear twice: re-claiming one's own case is allowed, so count distinct (reviewer, case)
    holders = {}
    for r, c in got:
        if c:
            holders.setdefault(c, set()).add(r)
    assert set(claimed) == set(cases)
    assert all(len(h) == 1 for h in holders.values()), holders


_CLAIM_SCRIPT = r"""
import sys, time, os, json
from pathlib import Path
from sora_widgets.store import open_store
from sora_widgets.moderation import review
home, reviewer, case_id, go = sys.argv[1:5]
store = open_store(home)
while not Path(go).exists():
    time.sleep(0.005)
try:
    c = review.claim(store, reviewer, None if case_id == "-" else case_id)
    out = {"reviewer": reviewer, "case": c["case_id"] if c else None}
    if c:
        review.decide(store, reviewer, c["case_id"], "approve", f"ok by {reviewer}")
except review.CaseError as e:
    out = {"reviewer": reviewer, "case": None, "error": str(e)}
print(json.dumps(out))
"""


def _run_claimers(store, tmp_path, reviewers, case_id):
    go = tmp_path / f"go-{time.monotonic_ns()}"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    procs = [
        subprocess.Popen([sys.executable, "-c", _CLAIM_SCRIPT, str(store.home), r, case_id, str(go)],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        for r in reviewers
    ]
    time.sleep(2.0)  # let every interpreter start and wait on the go file
    go.touch()
    outs = []
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
        outs.append(json.loads(out.strip().splitlines()[-1]))
    return outs


@pytest.mark.slow
def test_claims_are_exclusive_across_processes(queue, tmp_path):
    store, cases = queue
    for r in ("rev4", "rev5", "rev6"):
        store.create_user(r, birthdate="1990-01-01", role="reviewer")
    # five processes race for one case: exactly one gets it and decides it
    outs = _run_claimers(store, tmp_path, ["rev1", "rev2", "rev3", "rev4", "rev5"], cases[0])
    winners = [o for o in outs if o["case"]]
    assert len(winners) == 1, outs
    assert all("being reviewed" in o.get("error", "") or "is decided" in o.get("error", "") for o in outs if not o["case"])
    # six processes take whatever is next: the two remaining cases go to two different reviewers
    outs = _run_claimers(store, tmp_path, ["rev1", "rev2", "rev3", "rev4", "rev5", "rev6"], "-")
    won = [o["case"] for o in outs if o["case"]]
    assert sorted(won) == sorted(cases[1:]), outs
    audit = _decisions_in_audit(store)
    assert sorted(audit["target_id"]) == sorted(cases)  # each decision exactly once
    assert len(store.sql("SELECT * FROM review_decisions")) == 3


@pytest.mark.slow
def test_screen_prompt_records_the_verdict(store):
    store.create_user("carol", birthdate="1990-01-01")
    v = screen_prompt(store, "carol", "join the jihad and kill the infidels")
    assert v.decision == "block"
    row = store.sql("SELECT * FROM moderation_verdicts WHERE verdict_id = ?", [v.evidence["verdict_id"]]).iloc[0]
    assert row["decision"] == "block" and row["user_handle"] == "carol" and row["target_kind"] == "prompt"
    assert "extremism" in json.loads(row["flagged"])
    assert store.sql("SELECT count(*) AS n FROM audit_log WHERE action = 'moderation.prompt'")["n"][0] == 1


@pytest.mark.slow
def test_publish_holds_a_clip_with_harmful_speech_for_review(store, tmp_path):
    """Through the lead's publishing service: the clip is saved held, visible to its author and reviewers only."""
    import shutil

    import soundfile as sf

    from sora_widgets import access
    from sora_widgets.publishing import publish

    if not shutil.which("espeak-ng"):
        pytest.skip("espeak-ng is not installed")
    for h, role in (("dave", "creator"), ("erin", "creator"), ("rev1", "reviewer")):
        store.create_user(h, birthdate="1990-01-01", role=role)
    wav = tmp_path / "s.wav"
    subprocess.run(["espeak-ng", "-v", "en-us", "-s", "150", "-w", str(wav),
                    "you should kill yourself tonight, nobody will miss you"], check=True)
    audio, sr = sf.read(wav, dtype="float32")
    frames = np.full((int(len(audio) / sr * 12) + 1, 32, 32, 3), 90, np.uint8)
    clip = Clip(frames, audio[None], 12, sr, {"prompt": "a quiet street"})
    res = publish(store, clip, user="dave")
    assert res.status == "held" and res.case_id
    assert access.can_view(store, res.clip_id, "dave") and access.can_view(store, res.clip_id, "rev1")
    assert not access.can_view(store, res.clip_id, "erin")
    case = review.get_case(store, res.case_id, reviewer="rev1")
    assert case["category"] == "self_harm" and case["evidence"]["evidence"]["transcript_keywords"]
