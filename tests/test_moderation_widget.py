"""ReviewQueue in the kernel: roles, filters, claim, evidence shown, decisions by button and by key."""

from __future__ import annotations

import numpy as np
import pytest

from sora_widgets.media import Clip
from sora_widgets.moderation import Verdict, review
from sora_widgets.moderation.service import hold_for_review, record_verdict
from sora_widgets.widgets.review_queue import ReviewQueue, draw_boxes, highlight


def _held(store, owner, category, *, with_frame_evidence=False, transcript=None):
    frames = np.full((6, 48, 48, 3), 120, np.uint8)
    clip = Clip(frames, np.zeros((1, 8000), np.float32), 12, 16_000, {"prompt": "x"})
    clip_id = store.save_clip(clip, owner=owner, status="held")
    ev: dict = {"speech": transcript is not None, "transcript": transcript or "", "transcript_keywords": transcript or ""}
    spans = []
    if with_frame_evidence:
        ev["frames"] = [{"index": 3, "t_s": 0.25, "boxes": [{"label": "BUTTOCKS_EXPOSED", "category": category,
                                                            "score": 0.8, "box": [5, 5, 20, 20]}]}]
    if transcript:
        i = transcript.index("kill yourself")
        spans.append({"category": category, "start": i, "end": i + 13, "text": "kill yourself",
                      "source": "transcript", "transcript": "open"})
    v = Verdict("review", {category: 0.6}, [f"held for review as possible {category}"], spans, ev, [category])
    record_verdict(store, v, target_kind="clip", target_id=clip_id, user=owner)
    return hold_for_review(store, clip_id, v, user=owner)


@pytest.fixture
def home(store):
    for h, role in (("alice", "creator"), ("rev1", "reviewer"), ("rev2", "reviewer")):
        store.create_user(h, birthdate="1990-01-01", role=role)
    a = _held(store, "alice", "sexual", with_frame_evidence=True)
    b = _held(store, "alice", "self_harm", transcript="you should kill yourself tonight")
    return store, [a, b]


def _has_class(widget, cls):
    return cls in getattr(widget, "_dom_classes", ())


def _walk(w):
    yield w
    for c in getattr(w, "children", ()):
        yield from _walk(c)


def test_a_creator_sees_reviewers_only_and_no_actions(home):
    store, _ = home
    q = ReviewQueue(store, "alice")
    classes = {c for w in _walk(q) for c in getattr(w, "_dom_classes", ())}
    assert "sw-reviewers-only-box" in classes
    assert not classes & {"sw-approve", "sw-remove", "sw-escalate", "sw-claim-next", "sw-case-list"}
    assert "Reviewers only" in next(w for w in _walk(q) if _has_class(w, "sw-reviewers-only-box")).value


def test_queue_lists_filters_and_shows_stats(home):
    store, cases = home
    q = ReviewQueue(store, "rev1")
    assert [v for _, v in q.case_list.options] == cases
    assert "2 waiting" in q.stats.value
    q.category.value = "self_harm"
    assert [v for _, v in q.case_list.options] == [cases[1]]
    q.category.value = ""
    q.age.value = "> 1 day"
    assert q.case_list.options == ()
    q.age.value = "any age"
    assert q.approve_button.disabled  # nothing claimed yet


@pytest.mark.slow  # the first ClipPlayer compiles librosa's numba kernels
def test_claim_shows_evidence_and_buttons_decide(home):
    store, cases = home
    q = ReviewQueue(store, "rev1")
    q.claim_next_button.click()
    assert q.case["case_id"] == cases[0]
    assert cases[0] in q.case_header.value
    assert len(q.frames_box.children) == 1  # the flagged frame, boxes drawn
    assert q.player_box.children  # the clip plays from the stored MP4
    assert "0.60" in q.scores.value
    q.reason.value = "adult nudity without consent markers"
    q.remove_button.click()
    assert "remove recorded" in q.message.value
    assert q.case is None and "1 waiting" in q.stats.value
    audit = store.sql("SELECT target_id, actor FROM audit_log WHERE action = 'review.decide'")
    assert list(audit["target_id"]) == [cases[0]] and list(audit["actor"]) == ["rev1"]


@pytest.mark.slow  # the first ClipPlayer compiles librosa's numba kernels
def test_keyboard_shortcut_decides_with_a_stock_reason(home):
    store, cases = home
    q = ReviewQueue(store, "rev1")
    q.claim(cases[1])
    assert "<mark" in q.transcript.value and "kill yourself" in q.transcript.value
    q.shortcuts._handle(q.shortcuts, {"key": "e"}, [])
    case = review.get_case(store, cases[1], reviewer="rev1")
    assert case["status"] == "escalated"
    assert store.sql("SELECT reason FROM review_decisions")["reason"][0] == "needs a second opinion"


@pytest.mark.slow  # the first ClipPlayer compiles librosa's numba kernels
def test_second_reviewer_cannot_take_a_claimed_case(home):
    store, cases = home
    q1, q2 = ReviewQueue(store, "rev1"), ReviewQueue(store, "rev2")
    q1.claim(cases[0])
    q2.claim(cases[0])
    assert "being reviewed by @rev1" in q2.message.value and q2.case is None
    q2.claim_next_button.click()
    assert q2.case["case_id"] == cases[1]


def test_draw_boxes_and_highlight():
    f = np.zeros((20, 20, 3), np.uint8)
    out = draw_boxes(f, [{"box": [2, 3, 10, 8]}])
    assert (out[3, 2:12] == (255, 40, 40)).all() and (out[6, 6] == 0).all() and (f == 0).all()
    h = highlight("a <b> kill yourself", [{"start": 6, "end": 19, "category": "self_harm"}])
    assert h == "a &lt;b&gt; <mark class='sw-flag' title='promotion of self-harm or suicide'>kill yourself</mark>"


@pytest.mark.slow  # claiming shows the clip: the first ClipPlayer compiles librosa's numba kernels
def test_a_raised_case_says_the_clip_is_still_up_and_a_held_one_says_held(home):
    # issue 17 item 4: unsure words raise a clip for review without holding it; the reviewer must not read "held"
    from sora_widgets.moderation.service import raise_for_review

    store, [held_case, _] = home
    clip = Clip(np.full((6, 48, 48, 3), 90, np.uint8), np.zeros((1, 8000), np.float32), 12, 16_000, {"prompt": "y"})
    clip_id = store.save_clip(clip, owner="alice", status="published")
    raised = [{"category": "graphic_violence", "score": 0.57, "spans": [{"text": "peeled the skin", "uncertain": True}],
               "reason": "raised for review as possible graphic violence or gore (score 0.57): the soundtrack may say "
                         "'peeled the skin' (uncertain words: another reading of the speech, denoised)"}]
    v = Verdict("allow", {"graphic_violence": 0.57}, evidence={"transcript": "i feel the skill", "raised_for_review": raised})
    record_verdict(store, v, target_kind="clip", target_id=None, user="alice")
    raised_case = raise_for_review(store, clip_id, v, user="alice")
    q = ReviewQueue(store, "rev1")
    q.refresh()
    q.case_list.value = raised_case
    q.claim_button.click()
    assert q.case["case_id"] == raised_case and store.clip_info(clip_id)["status"] == "published"
    assert "Why raised (the clip stays up" in q.case_header.value and "Why held" not in q.case_header.value
    assert "another reading of the speech, denoised" in q.case_header.value
    q.release_button.click()
    q.case_list.value = held_case
    q.claim_button.click()
    assert q.case["case_id"] == held_case
    assert "Why held:" in q.case_header.value and "Why raised" not in q.case_header.value
