"""Words the recogniser was unsure of raise a clip for review without holding it (issue 17 item 4): the clip
stays up, a case waits for a person, and only the moderation service on the owner's own recorded verdict (or
staff) can open such a case."""

from __future__ import annotations

import pytest
from conftest import make_account

from sora_widgets.moderation import review
from sora_widgets.moderation.service import raise_for_review, record_verdict
from sora_widgets.moderation.verdict import Verdict

RAISED = [{"category": "self_harm", "score": 0.61, "spans": [{"text": "slit", "uncertain": True}],
           "reason": "raised for review as possible self-harm (score 0.61): the soundtrack may say 'slit' "
                     "(uncertain words)"}]


def _verdict(decision: str, raised: list[dict]) -> Verdict:
    return Verdict(decision, {"self_harm": 0.61 if raised else 0.0},
                   evidence={"transcript": "a slit of light", "raised_for_review": raised})


def _published(store, square_clip, owner: str) -> str:
    return store.save_clip(square_clip, owner=owner, status="published")


def test_a_raised_clip_stays_up_and_a_case_waits_with_the_uncertain_words(store, square_clip):
    ana = make_account(store, "ana_r")
    clip_id = _published(store, square_clip, ana)
    v = _verdict("allow", RAISED)
    record_verdict(store, v, target_kind="clip", target_id=None, user=ana)
    case_id = raise_for_review(store, clip_id, v, user=ana)
    assert case_id is not None
    assert store.clip_info(clip_id)["status"] == "published"  # not held
    case = store.sql("SELECT status, category, reason, owner FROM review_cases WHERE case_id = ?", [case_id]).iloc[0]
    assert (case.status, case.category, case.owner) == ("open", "self_harm", ana)
    assert "uncertain words" in case.reason and "slit" in case.reason
    # a reviewer who decides "remove" takes it down
    mod = make_account(store, "mo_r", role="reviewer")
    review.claim(store, mod, case_id)
    review.decide(store, mod, case_id, "remove", "it does say that")
    assert store.clip_info(clip_id)["status"] != "published"


def test_nothing_raised_opens_nothing_and_nobody_else_can_raise(store, square_clip):
    ana, eve = make_account(store, "ana_r2"), make_account(store, "eve_r2")
    clip_id = _published(store, square_clip, ana)
    plain = _verdict("allow", [])
    record_verdict(store, plain, target_kind="clip", target_id=None, user=ana)
    assert raise_for_review(store, clip_id, plain, user=ana) is None
    # an "allow" verdict with nothing raised cannot be used to open a case through open_case either
    with pytest.raises(PermissionError):
        review.open_case(store, clip_id, plain, actor=ana)
    # someone else's verdict, or a stranger acting, opens nothing
    theirs = _verdict("allow", RAISED)
    record_verdict(store, theirs, target_kind="clip", target_id=None, user=eve)
    with pytest.raises(PermissionError):
        raise_for_review(store, clip_id, theirs, user=eve)
    with pytest.raises(PermissionError):
        raise_for_review(store, clip_id, theirs, user=ana)  # ana's clip, eve's verdict
    # an unrecorded verdict (no verdict_id) opens nothing
    with pytest.raises(PermissionError):
        raise_for_review(store, clip_id, _verdict("allow", RAISED), user=ana)
    assert store.sql("SELECT count(*) AS n FROM review_cases").n[0] == 0
    assert store.clip_info(clip_id)["status"] == "published"
