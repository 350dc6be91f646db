"""Issue 13 items 5 and 6: cameo assets leave the store only through ``cameo.use``; moderation rule gaps closed.

Real DuckDB homes; the review rules also run as a stateful property test over
claim / decide / release / appeal sequences by reviewers who own clips themselves.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import math

import numpy as np
import pytest
from conftest import served_copy, template_home
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from sora_widgets import cameo
from sora_widgets.cameo.asset import CameoAsset
from sora_widgets.media import Clip
from sora_widgets.moderation import Verdict, review
from sora_widgets.moderation.service import hold_for_review, record_verdict


def _clip(tag: int, n: int = 2) -> Clip:
    rng = np.random.default_rng(tag)
    return Clip(rng.integers(0, 255, (n, 32, 32, 3), dtype=np.uint8), np.zeros((1, 0), np.float32), 8, 16_000,
                {"prompt": f"clip {tag}"})


def _verdict() -> Verdict:
    return Verdict("review", {"hate": 0.5}, ["held for review as possible hate"], [], {}, ["hate"])


def _asset() -> CameoAsset:
    masks = np.zeros((2, 32, 32), bool)
    masks[:, 8:24, 8:24] = True
    cut = np.full((2, 16, 16, 4), 200, np.uint8)
    return CameoAsset("object", masks, [(8, 8, 24, 24)] * 2, cut, cut[0], 8.0)


@pytest.fixture
def people(store):
    for h, role in (("alice", "creator"), ("bob", "creator"), ("rev1", "reviewer"), ("rev2", "reviewer"),
                    ("boss", "admin")):
        store.create_user(h, birthdate="1990-01-01", role=role)
    store.create_user("teen", birthdate="2011-01-01")
    return store


# ================================================================== item 5: cameo assets
def test_get_shows_no_media_hashes_and_the_approved_list_only_to_owner_and_admins(people):
    store = people
    cid = cameo.create(store, owner="alice", clip=_clip(1), kind="object", name="mug", asset=_asset())
    cameo.set_audience(store, cid, by="alice", audience="approved", approved=["bob"])
    for by in (None, "bob", "rev1", "alice", "boss"):
        info = cameo.get(store, cid, by=by)
        assert "asset_hash" not in info and "source_hash" not in info
        assert info["name"] == "mug" and info["owner"] == "alice"
        assert ("approved" in info) == (by in ("alice", "boss"))
    assert cameo.get(store, cid, by="alice")["approved"] == ["bob"]


def _bypass_asset(store, cameo_id: str) -> CameoAsset:
    """What the issue did from Python: read the asset straight from the store, with no recorded use."""
    digest = store.sql("SELECT asset_hash FROM cameos WHERE cameo_id = ?", [cameo_id]).asset_hash[0]
    return CameoAsset.from_bytes(store.media_bytes(digest))


@pytest.mark.slow
def test_publish_refuses_a_clip_made_with_an_asset_that_has_no_recorded_use(people, monkeypatch):
    """An "only me" cameo and a minor's cameo, read from the store and put into a generated clip: refused at
    publish, nothing saved, and the owners' lists of uses stay empty (before the fix both clips were saved)."""
    from sora_widgets import generate
    from sora_widgets.publishing import publish

    store = people
    mine = cameo.create(store, owner="alice", clip=_clip(2), kind="object", name="mug", asset=_asset())
    minors = cameo.create(store, owner="teen", clip=_clip(3), kind="object", name="teenmug", asset=_asset())
    for cid, name in ((mine, "mug"), (minors, "teenmug")):
        asset = _bypass_asset(store, cid)
        clip = generate(f"@{name} on a table", cameos=[asset], duration=0.5, fps=8, width=64, height=64, seed=1)
        assert clip.meta["recipe"]["cameo_ids"] == [None]  # the engine used it; no use was recorded
        with pytest.raises(PermissionError, match="not obtained with cameo.use"):
            publish(store, clip, user="bob")
        # Naming the cameo in the recipe does not help either: no recorded use by bob.
        asset.cameo_id = cid
        clip = generate(f"@{name} on a table", cameos=[asset], duration=0.5, fps=8, width=64, height=64, seed=2)
        with pytest.raises(PermissionError, match="never obtained"):
            publish(store, clip, user="bob")
    assert store.sql("SELECT count(*) AS n FROM clips WHERE owner = 'bob'").n[0] == 0
    assert cameo.uses(store, mine, by="alice").empty and cameo.uses(store, minors, by="teen").empty


def test_link_uses_refuses_an_asset_without_a_cameo_id(people):
    """publish passes the recipe's cameo ids unfiltered: a None (an asset not from cameo.use) takes the clip down."""
    store = people
    clip = _clip(4).with_meta(recipe={"prompt": "x", "cameo_ids": [None]})
    clip_id = store.save_clip(clip, owner="bob", status="published")
    with pytest.raises(PermissionError, match="not obtained with cameo.use"):
        cameo.link_uses(store, clip_id=clip_id, user="bob", cameo_ids=[None])
    assert store.clip_info(clip_id)["status"] == "removed"


# ================================================================== item 6: moderation rules
def _held_clip(store, owner: str, tag: int) -> str:
    return store.save_clip(_clip(tag), owner=owner, status="published")


def test_hold_for_review_only_by_staff_or_the_service_on_a_recorded_verdict(people):
    store = people
    clip_id = _held_clip(store, "alice", 10)
    # Another creator, with or without a verdict of their own: refused, clip untouched.
    v = _verdict()
    record_verdict(store, v, target_kind="clip", target_id=None, user="bob")
    for verdict in (_verdict(), v):
        with pytest.raises(PermissionError, match="only staff, or the moderation service"):
            hold_for_review(store, clip_id, verdict, user="bob")
    # The owner without a recorded verdict (a hand-made Verdict): refused too.
    with pytest.raises(PermissionError, match="only staff, or the moderation service"):
        hold_for_review(store, clip_id, _verdict(), user="alice")
    # An "allow" verdict cannot be turned into a hold.
    allow = Verdict("allow", {}, [], [], {}, [])
    record_verdict(store, allow, target_kind="clip", target_id=None, user="alice")
    with pytest.raises(PermissionError):
        hold_for_review(store, clip_id, allow, user="alice")
    assert store.clip_info(clip_id)["status"] == "published"
    assert store.sql("SELECT count(*) AS n FROM review_cases").n[0] == 0
    # publish's path: the owner's own recorded "review" verdict; it binds to this clip ...
    mine = _verdict()
    record_verdict(store, mine, target_kind="clip", target_id=None, user="alice")
    case = hold_for_review(store, clip_id, mine, user="alice")
    assert store.clip_info(clip_id)["status"] == "held" and case.startswith("case_")
    # ... and cannot be reused to hold another clip.
    other = _held_clip(store, "alice", 11)
    with pytest.raises(PermissionError):
        hold_for_review(store, other, mine, user="alice")
    # Staff may hold any clip.
    assert hold_for_review(store, other, _verdict(), user="rev1").startswith("case_")


def test_open_case_only_by_staff_or_the_service(people):
    store = people
    clip_id = _held_clip(store, "alice", 12)
    for actor in ("alice", "bob", "teen"):
        with pytest.raises(PermissionError, match="only staff"):
            review.open_case(store, clip_id, _verdict(), actor=actor)
    assert store.sql("SELECT count(*) AS n FROM review_cases").n[0] == 0
    assert review.open_case(store, clip_id, _verdict(), actor="rev2").startswith("case_")


def test_a_reviewer_never_claims_or_decides_a_case_about_their_own_clip(people):
    store = people
    own = _held_clip(store, "rev1", 13)
    case = hold_for_review(store, own, _verdict(), user="boss")
    with pytest.raises(PermissionError, match="your own clip"):
        review.claim(store, "rev1", case)
    assert review.claim(store, "rev1") is None  # "claim next" skips it
    listed = review.list_cases(store, reviewer="rev1")
    assert [c["available"] for c in listed if c["case_id"] == case] == [False]
    # Even holding a claim would not do: decide checks again (a claim made before the rule, say).
    review.claim(store, "rev2", case)
    with store.transaction() as con:
        con.execute("UPDATE review_cases SET claimed_by = 'rev1' WHERE case_id = ?", [case])
    with pytest.raises(PermissionError, match="your own clip"):
        review.decide(store, "rev1", case, "approve", "looks fine to me")
    assert store.sql("SELECT count(*) AS n FROM review_decisions").n[0] == 0
    # Through the dashboard's widget: the refusal is shown, nothing claimed.
    from sora_widgets.widgets.review_queue import ReviewQueue

    with store.transaction() as con:
        con.execute("UPDATE review_cases SET claimed_by = NULL, lease_until = NULL WHERE case_id = ?", [case])
    queue = ReviewQueue(store, "rev1")
    queue.claim(case)
    assert "your own clip" in queue.message.value and queue.case is None
    assert review.get_case(store, case, reviewer="rev2")["claimed_by"] is None


@pytest.mark.parametrize("lease_s", [1e9, review.MAX_LEASE_S + 1, float("inf"), float("nan"), 0, -5, "600"])
def test_leases_are_bounded(people, lease_s):
    store = people
    case = hold_for_review(store, _held_clip(store, "alice", 14), _verdict(), user="boss")
    with pytest.raises(ValueError, match="at most 3600 seconds|number of seconds"):
        review.claim(store, "rev1", case, lease_s=lease_s)
    assert review.get_case(store, case, reviewer="rev1")["claimed_by"] is None


def test_a_lease_of_the_bound_is_accepted(people):
    store = people
    case = hold_for_review(store, _held_clip(store, "alice", 15), _verdict(), user="boss")
    c = review.claim(store, "rev1", case, lease_s=review.MAX_LEASE_S)
    assert (c["lease_until"] - c["claimed_at"]).total_seconds() == review.MAX_LEASE_S


def test_a_report_opens_a_case_and_holds_nothing(people):
    store = people
    clip_id = _held_clip(store, "alice", 16)
    draft = store.save_clip(_clip(17), owner="alice", status="draft")
    with pytest.raises(ValueError, match="say what is wrong"):
        review.open_report_case(store, reporter="bob", clip_id=clip_id, reason="  ")
    with pytest.raises(ValueError, match="your own clip"):
        review.open_report_case(store, reporter="alice", clip_id=clip_id, reason="mine")
    with pytest.raises(PermissionError, match="can't see"):
        review.open_report_case(store, reporter="bob", clip_id=draft, reason="spam")
    case = review.open_report_case(store, reporter="bob", clip_id=clip_id, reason="<b>spam</b> " + "x" * 5000)
    assert review.open_report_case(store, reporter="teen", clip_id=clip_id, reason="me too") == case
    assert store.clip_info(clip_id)["status"] == "published"  # a report takes nothing down
    c = review.get_case(store, case, reviewer="rev1")
    assert c["category"] == review.REPORT_CATEGORY and c["owner"] == "alice"
    assert c["evidence"]["report"]["reporter"] == "bob"
    assert len(c["evidence"]["report"]["reason"]) == review.MAX_REPORT_CHARS
    assert list(store.sql("SELECT actor FROM audit_log WHERE action = 'review.report' ORDER BY seq").actor) == [
        "bob", "teen"]
    assert review.list_cases(store, reviewer="rev1", category=review.REPORT_CATEGORY)[0]["case_id"] == case
    review.claim(store, "rev1", case)
    review.decide(store, "rev1", case, "approve", "not spam")
    assert store.clip_info(clip_id)["status"] == "published"


# ================================================================== the property test
STAFF = ("rev1", "rev2", "boss")
OWNERS = ("alice", "rev1", "rev2", "boss")
LEASES = st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.sampled_from([1.0, 600.0, 3600.0, 3601.0, 1e9]))


def _rule_people(store) -> None:
    for h, role in (("alice", "creator"), ("rev1", "reviewer"), ("rev2", "reviewer"), ("boss", "admin")):
        store.create_user(h, birthdate="1990-01-01", role=role)


class ReviewRules(RuleBasedStateMachine):
    """Reviewers who also publish claim, decide, release and appeal in any order."""

    def __init__(self):
        super().__init__()
        self.stack = contextlib.ExitStack()

    def teardown(self):
        self.stack.close()

    @initialize(owners=st.lists(st.sampled_from(OWNERS), min_size=2, max_size=5))
    def setup(self, owners):
        # A copy of a home with the four people, served in this process (conftest.served_copy): a step's store
        # operations cost a cursor each instead of a file open.
        self.store = self.stack.enter_context(served_copy(template_home("review-rules-people", _rule_people)))
        self.cases = []
        for i, owner in enumerate(owners):
            clip_id = self.store.save_clip(_clip(100 + i), owner=owner, status="published")
            v = _verdict()
            record_verdict(self.store, v, target_kind="clip", target_id=None, user=owner)
            self.cases.append(hold_for_review(self.store, clip_id, v, user=owner))  # publish's own path

    def _case(self, i: int) -> dict:
        return review.get_case(self.store, self.cases[i % len(self.cases)], reviewer="boss")

    @rule(who=st.sampled_from(STAFF), i=st.integers(0, 9), lease=LEASES, pick=st.booleans())
    def claim(self, who, i, lease, pick):
        case = self._case(i)
        try:
            got = review.claim(self.store, who, case["case_id"] if pick else None, lease_s=lease)
        except ValueError:
            assert not (isinstance(lease, float) and math.isfinite(lease) and 0 < lease <= review.MAX_LEASE_S)
            return
        except PermissionError:
            assert pick and case["owner"] == who
            return
        except review.CaseError:
            return
        if got is not None:
            assert got["owner"] != who

    @rule(who=st.sampled_from(STAFF), i=st.integers(0, 9), decision=st.sampled_from(review.REVIEW_DECISIONS))
    def decide(self, who, i, decision):
        case = self._case(i)
        try:
            review.decide(self.store, who, case["case_id"], decision, "because")
        except PermissionError:
            assert case["owner"] == who
        except review.CaseError:
            pass

    @rule(who=st.sampled_from(STAFF), i=st.integers(0, 9))
    def release(self, who, i):
        try:
            review.release(self.store, who, self._case(i)["case_id"])
        except review.CaseError:
            pass

    @rule(i=st.integers(0, 9))
    def appeal(self, i):
        case = self._case(i)
        try:
            review.appeal(self.store, case["owner"], case["case_id"], "please look again")
        except review.CaseError:
            pass

    @invariant()
    def nobody_decides_their_own_clip_and_leases_are_bounded(self):
        if not hasattr(self, "store"):
            return
        own = self.store.sql("""SELECT count(*) AS n FROM review_decisions d JOIN review_cases c USING (case_id)
                                WHERE d.reviewer = c.owner""").n[0]
        assert own == 0
        rows = self.store.sql("SELECT owner, claimed_by, claimed_at, lease_until FROM review_cases "
                              "WHERE claimed_by IS NOT NULL")
        for r in rows.itertuples():
            assert r.claimed_by != r.owner
            assert (r.lease_until - r.claimed_at) <= dt.timedelta(seconds=review.MAX_LEASE_S)


ReviewRules.TestCase.settings = settings(max_examples=8, stateful_step_count=10, deadline=None,
                                         suppress_health_check=[HealthCheck.too_slow])
test_review_rules_hold_in_any_order = pytest.mark.slow(ReviewRules.TestCase)
