"""The social dashboards on one Voila server with several people logged in at once (issue 15).

- a teen scrolls the feed to the daily limit her guardian set and is stopped;
- her guardian turns DMs off: a teen friend's next message is refused with the reason, and an
  adult's message is refused with the reason (adults never message teens);
- likes and comments in one browser show up in the other person's notifications;
- a report opens a case a reviewer sees in the moderation dashboard.

Each window logs in through the server's login page; the kernel learns the user from the server.
Screenshots land in test-artifacts/.
"""

from __future__ import annotations

import time

import numpy as np
import pytest
from conftest import login, make_account

from sora_widgets.media import Clip
from sora_widgets.serve import dashboards_dir
from sora_widgets.social import feed, graph, guardians

pytestmark = [pytest.mark.slow, pytest.mark.browser]

TEEN_BIRTHDATE = f"{time.localtime().tm_year - 15}-01-01"


def _clips(store, owners: tuple[str, ...], n: int) -> list[str]:
    """``n`` small real 9:16 clips with sound, published by ``owners`` in turn (the feed never shows
    one creator twice in a row, so a one-creator feed would end after one clip)."""
    ids = []
    t = np.arange(16_000, dtype=np.float32) / 16_000
    for i in range(n):
        frames = np.full((12, 112, 64, 3), 30 + 20 * i, np.uint8)
        frames[:, 40:72, 16:48] = (220, 60 + 10 * i, 60)
        audio = (0.2 * np.sin(2 * np.pi * (300 + 50 * i) * t))[None, :].astype(np.float32)
        clip = Clip(frames, audio, 12, 16_000, {"prompt": f"a red square number {i}"})
        ids.append(store.save_clip(clip, owner=owners[i % len(owners)], status="published"))
    feed.refresh_stats(store)
    return ids


def _open(browser, server, user: str, notebook: str):
    ctx = browser.new_context(viewport={"width": 1280, "height": 1500})
    page = ctx.new_page()
    login(page, server, user, notebook=notebook)
    return ctx, page


def _dump(opened, artifacts_dir, name: str) -> None:
    """On a failure: each window's screenshot and its text, the first clue in CI."""
    for i, (_, page) in enumerate(opened):
        try:
            page.screenshot(path=str(artifacts_dir / f"FAILED-{name}-{i}.png"), full_page=True)
            print(f"--- window {i} ({page.url}) ---\n{page.inner_text('body', timeout=5_000)[-2000:]}")
        except Exception as exc:  # noqa: BLE001 - the page may be gone; the test's own error says more
            print(f"(window {i}: no text: {exc})")


def _ready(page, selector: str, timeout_ms: float = 240_000) -> None:
    page.wait_for_selector(f"{selector}, .sw-dashboard-error", timeout=timeout_ms)
    assert page.locator(".sw-dashboard-error").count() == 0, page.locator(".sw-dashboard-error").inner_text()


def test_teen_limit_guardian_turns_dms_off_adults_refused(voila, browser, store, tmp_home, artifacts_dir):
    for h in ("gina", "ada"):
        make_account(store, h, birthdate="1980-02-02")
    for h in ("tia", "tom"):
        make_account(store, h, birthdate=TEEN_BIRTHDATE)
    _clips(store, ("ada", "gina"), 8)
    code = guardians.create_invitation(store, guardian="gina")
    guardians.accept_invitation(store, teen="tia", code=code)
    guardians.update_settings(store, by="gina", teen="tia", daily_limit_clips=3, daily_limit_minutes=None)
    graph.follow(store, "tia", "tom")
    graph.follow(store, "tom", "tia")
    server = voila(dashboards_dir(), env={"SORA_WIDGETS_HOME": str(tmp_home)}, name="social-safety")
    opened = [_open(browser, server, "tia", "feed.ipynb"), _open(browser, server, "tom", "messages.ipynb"),
              _open(browser, server, "gina", "guardian.ipynb"), _open(browser, server, "ada", "messages.ipynb")]
    (_, tia), (_, tom), (_, gina), (_, ada) = opened
    try:
        # --- the teen scrolls (keyboard, then the button) until the server stops her feed
        _ready(tia, ".sw-feed-player[data-clip^='c']")
        first = tia.locator(".sw-feed-player").get_attribute("data-clip")
        tia.wait_for_function("() => { const v = document.querySelector('.sw-feed-video');"
                              " return v && v.readyState >= 2; }", timeout=60_000)  # the MP4 reached the page
        tia.keyboard.press("ArrowDown")
        tia.wait_for_function(f"() => document.querySelector('.sw-feed-player').dataset.clip !== '{first}'",
                              timeout=30_000)
        for _ in range(4):
            if tia.locator(".sw-feed-player[data-stopped='1']").count():
                break
            tia.locator("button.sw-feed-next").click()
            time.sleep(1.0)
        tia.wait_for_selector(".sw-feed-player[data-stopped='1']", timeout=30_000)
        assert "That's your feed for today" in tia.locator(".sw-feed-stop").inner_text()
        tia.screenshot(path=str(artifacts_dir / "social-teen-stopped.png"), full_page=True)
        served = store.sql("SELECT sum(clips_served) AS n FROM feed_usage WHERE handle = 'tia'")["n"][0]
        assert served == 3

        # --- tom messages tia while DMs are "followed back only"
        _ready(tom, ".sw-msg-to input")
        tom.fill(".sw-msg-to input", "tia")
        tom.locator("button.sw-msg-open").click()
        tom.fill(".sw-msg-text textarea", "see you at practice")
        tom.locator("button.sw-msg-send").click()
        tom.wait_for_selector(".sw-msg-ok", timeout=60_000)

        # --- gina turns tia's DMs off
        _ready(gina, ".sw-guardian-dms select")
        gina.select_option(".sw-guardian-dms select", label="Off")
        gina.locator("button.sw-guardian-save").click()
        gina.wait_for_selector(".sw-guardian-ok", timeout=60_000)

        # --- tom's next message is refused, with the reason
        tom.fill(".sw-msg-text textarea", "are you there?")
        tom.locator("button.sw-msg-send").click()
        tom.wait_for_selector(".sw-msg-error", timeout=60_000)
        assert "turned off by their guardian" in tom.locator(".sw-msg-error").inner_text()

        # --- an adult's message to the teen is refused, with the reason
        _ready(ada, ".sw-msg-to input")
        ada.fill(".sw-msg-to input", "tia")
        ada.locator("button.sw-msg-open").click()
        ada.fill(".sw-msg-text textarea", "hello there")
        ada.locator("button.sw-msg-send").click()
        ada.wait_for_function("() => [...document.querySelectorAll('.sw-msg-error')]"
                              ".some(e => e.innerText.includes('adults cannot message teens'))", timeout=60_000)
        ada.screenshot(path=str(artifacts_dir / "social-adult-refused.png"), full_page=True)
        bodies = list(store.sql("SELECT body FROM messages WHERE recipient = 'tia' ORDER BY created_at")["body"])
        assert bodies == ["see you at practice"]
    except Exception:
        _dump(opened, artifacts_dir, "social-safety")
        raise
    finally:
        for ctx, _ in opened:
            ctx.close()


def test_likes_comments_notify_and_a_report_reaches_the_review_queue(voila, browser, store, tmp_home, artifacts_dir):
    make_account(store, "ada", birthdate="1985-03-03")
    make_account(store, "abe", birthdate="1986-04-04")
    make_account(store, "rita", birthdate="1980-01-01", role="reviewer")
    _clips(store, ("ada",), 3)
    server = voila(dashboards_dir(), env={"SORA_WIDGETS_HOME": str(tmp_home)}, name="social-notify")
    opened = [_open(browser, server, "abe", "feed.ipynb"), _open(browser, server, "ada", "feed.ipynb")]
    (_, abe), (_, ada) = opened
    try:
        _ready(abe, ".sw-feed-player[data-clip^='c']")
        abe.locator("button.sw-feed-like").click()
        abe.wait_for_selector(".sw-feed-ok", timeout=60_000)
        abe.fill(".sw-feed-comment-text input", "lovely bounce")
        abe.locator("button.sw-feed-comment").click()
        abe.wait_for_selector(".sw-feed-comment-list >> text=lovely bounce", timeout=60_000)
        abe.select_option(".sw-feed-report-reason select", label="spam")
        abe.locator("button.sw-feed-report").click()
        abe.wait_for_selector(".sw-feed-ok >> text=a reviewer will look", timeout=60_000)

        # ada, in her own browser, finds both in her notifications
        _ready(ada, ".sw-feed-player")
        ada.locator(".lm-TabBar-tab, .p-TabBar-tab", has_text="Notifications").first.click()
        ada.locator("button.sw-notifications-refresh").click()
        ada.wait_for_selector("li.sw-notification[data-kind='comment']", timeout=60_000)
        text = ada.locator(".sw-notification-list").inner_text()
        assert "@abe liked your clip" in text and "lovely bounce" in text
        ada.screenshot(path=str(artifacts_dir / "social-notifications.png"), full_page=True)

        # the report is a case in the review queue
        rctx, rita = _open(browser, server, "rita", "moderation.ipynb")
        opened.append((rctx, rita))
        _ready(rita, ".sw-queue-stats")
        assert "1 waiting" in rita.locator(".sw-queue-stats").inner_text()
    except Exception:
        _dump(opened, artifacts_dir, "social-notify")
        raise
    finally:
        for ctx, _ in opened:
            ctx.close()
