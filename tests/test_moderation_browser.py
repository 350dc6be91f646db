"""Two reviewers in two browser windows on one Voila server, at the same time; a creator sees no actions.

Who is who: each window logs in through the server's login page (issue 12); the
server hands the verified user to the page's kernel. The moderation page needs the
reviewer role, and the review service checks roles again on every action.
Screenshots land in test-artifacts/.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import give_password, login

from sora_widgets.media import Clip
from sora_widgets.moderation import Verdict
from sora_widgets.moderation.service import hold_for_review, record_verdict
from sora_widgets.serve import dashboards_dir

pytestmark = [pytest.mark.slow, pytest.mark.browser]


def _seed(store) -> list[str]:
    for h, role in (("alice", "creator"), ("rev_ann", "reviewer"), ("rev_bo", "reviewer")):
        store.create_user(h, birthdate="1990-01-01", role=role)
    cases = []
    for i, cat in enumerate(("hate", "self_harm", "sexual")):
        frames = np.full((12, 64, 64, 3), 40 + 60 * i, np.uint8)
        clip = Clip(frames, np.zeros((1, 16_000), np.float32), 12, 16_000, {"prompt": f"case {i}"})
        clip_id = store.save_clip(clip, owner="alice", status="held")
        ev = {"speech": True, "transcript": "you are all vermin", "transcript_keywords": "you are all vermin", "prompt": f"case {i}"}
        spans = [{"category": cat, "start": 12, "end": 18, "text": "vermin", "source": "transcript", "transcript": "open"}]
        v = Verdict("review", {cat: 0.55}, [f"held for review as possible {cat}"], spans, ev, [cat])
        record_verdict(store, v, target_kind="clip", target_id=clip_id, user="alice")
        cases.append(hold_for_review(store, clip_id, v, user="alice"))
    return cases


def _open(browser, server, user):
    ctx = browser.new_context(viewport={"width": 1280, "height": 1500})
    page = ctx.new_page()
    login(page, server, user, notebook="moderation.ipynb")
    return ctx, page


def test_two_reviewers_decide_different_cases_and_a_creator_gets_no_actions(voila, browser, store, tmp_home, artifacts_dir):
    cases = _seed(store)
    for h in ("alice", "rev_ann", "rev_bo"):
        give_password(store, h)
    server = voila(dashboards_dir(), env={"SORA_WIDGETS_HOME": str(tmp_home)}, name="moderation")
    ann_ctx, ann = _open(browser, server, "rev_ann")
    bo_ctx, bo = _open(browser, server, "rev_bo")
    try:
        for p in (ann, bo):
            p.wait_for_selector(".sw-claim-next, .sw-dashboard-error", timeout=180_000)
            assert p.locator(".sw-dashboard-error").count() == 0, p.locator(".sw-dashboard-error").inner_text()
        assert "@rev_ann" in ann.locator(".sw-who").inner_text()
        assert "@rev_bo" in bo.locator(".sw-who").inner_text()
        assert "3 waiting" in ann.locator(".sw-queue-stats").inner_text()

        # Both press "Claim next" back to back: the two kernels claim concurrently, and the service's
        # check-and-claim in one transaction gives them different cases. (Playwright's sync objects
        # belong to the thread that made them, so the clicks are issued from this thread without waiting.)
        ann.locator("button.sw-claim-next").click(no_wait_after=True)
        bo.locator("button.sw-claim-next").click(no_wait_after=True)
        ann.wait_for_selector(".sw-case-id", timeout=60_000)
        bo.wait_for_selector(".sw-case-id", timeout=60_000)
        ann_case = ann.locator(".sw-case-id").inner_text().split()[1]
        bo_case = bo.locator(".sw-case-id").inner_text().split()[1]
        assert ann_case != bo_case and {ann_case, bo_case} <= set(cases)
        ann.locator(".sw-transcript mark").first.wait_for(timeout=30_000)
        ann.screenshot(path=str(artifacts_dir / "moderation-reviewer-case.png"), full_page=True)

        # Ann decides with the button and a reason; Bo with the keyboard shortcut "r" (focus outside the reason box).
        ann.locator(".sw-reason textarea").fill("dehumanising language about a group")
        ann.locator("button.sw-approve").click()
        bo.locator(".sw-case-header").click()
        bo.keyboard.press("r")
        ann.wait_for_selector(".sw-decided", timeout=60_000)
        bo.wait_for_selector(".sw-decided", timeout=60_000)
        bo.screenshot(path=str(artifacts_dir / "moderation-reviewer-decided.png"), full_page=True)
    finally:
        ann_ctx.close()
        bo_ctx.close()

    audit = store.sql("SELECT target_id, actor, detail FROM audit_log WHERE action = 'review.decide' ORDER BY seq")
    assert sorted(audit["target_id"]) == sorted([ann_case, bo_case])  # each decision exactly once
    who = dict(zip(audit["target_id"], audit["actor"], strict=True))
    assert who == {ann_case: "rev_ann", bo_case: "rev_bo"}
    details = {t: json.loads(d) for t, d in zip(audit["target_id"], audit["detail"], strict=True)}
    assert details[ann_case]["decision"] == "approve" and details[bo_case]["decision"] == "remove"
    assert len(store.sql("SELECT * FROM review_decisions")) == 2

    # A creator opening the dashboard gets the server's "needs the reviewer role" page (issue 12:
    # the page is gated by role before any of its code runs) and no action at all.
    ctx, page = _open(browser, server, "alice")
    try:
        page.wait_for_selector(".sw-needs-role, .sw-dashboard-error", timeout=180_000)
        assert "needs the reviewer role" in page.locator(".sw-needs-role").inner_text()
        for cls in ("sw-approve", "sw-remove", "sw-escalate", "sw-claim-next", "sw-case-list"):
            assert page.locator(f".{cls}").count() == 0, cls
        page.keyboard.press("r")  # no shortcut listener exists for a creator either
        page.screenshot(path=str(artifacts_dir / "moderation-creator.png"), full_page=True)
    finally:
        ctx.close()
    assert len(store.sql("SELECT * FROM review_decisions")) == 2
