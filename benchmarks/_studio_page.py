"""Shared by ``studio_bench.py`` and ``publish_bench.py``: a logged-in chromium on the Studio dashboard.

The server is the real one (``serve.start_voila``, logins on); the account is made
through the accounts service; the browser logs in through the login page, so the
cookie is the real one. Logging in lands on ``/`` (the home page), not on the
Studio, so the first Studio page a benchmark opens is the server's first kernel.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections.abc import Iterator
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
PASSWORD = "benchmark password, long enough"
STUDIO = "studio.ipynb"

# A new video's readiness, on a page that may already show an older one.
MARK_OLD_VIDEOS_JS = """() => document.querySelectorAll('.sw-main-player video').forEach(v => v.dataset.old = '1')"""
NEW_VIDEO_PLAYABLE_JS = """() => [...document.querySelectorAll('.sw-main-player video')]
    .some(v => !v.dataset.old && v.readyState >= 3)"""


def check_chromium() -> bool:
    if not os.path.exists(CHROMIUM):
        print(f"{CHROMIUM} missing: install Debian's chromium", file=sys.stderr)
        return False
    return True


def make_creator(home: Path, handle: str) -> str:
    """A creator account that can log in (adult, confirmed birthdate)."""
    from sora_widgets.auth import LOCAL_OWNER, create_account
    from sora_widgets.store import open_store

    return create_account(open_store(home), handle, password=PASSWORD, birthdate="1990-01-01", role="creator",
                          by=LOCAL_OWNER)["handle"]


@contextlib.contextmanager
def studio_server(home: Path, *, store_service: bool = True) -> Iterator[object]:
    """A fresh (cold: no page served yet) Voila server with logins on the dashboards, store in ``home``.

    Served as ``make studio`` / ``sora-widgets studio`` serve it: with the home's store service (one
    long-lived DuckDB for the server and every kernel) unless ``store_service`` is False.
    Its log goes to ``home/voila.log`` (``wait_for_warm_kernel`` reads it).
    """
    from sora_widgets.serve import dashboards_dir, start_voila

    with start_voila(dashboards_dir(), env={"SORA_WIDGETS_HOME": str(home)}, timeout_s=120,
                     log_path=home / "voila.log", store_service=store_service) as server:
        yield server


def wait_for_warm_kernel(server, timeout_s: float = 180.0) -> bool:
    """Wait until the server's kernel pool has a fully warm kernel (its log says so); False on timeout."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if server.log_path and "fully warm" in server.log_path.read_text(errors="replace"):
            return True
        time.sleep(0.2)
    return False


#: Seconds a new tab is left alone before it opens the Studio. Chromium builds its own interface for a new
#: window as the tab opens: a chromium trace (2026-12-04) showed the omnibox popup's WebUI
#: (chrome://omnibox-popup.top-chrome, ~400 files) taking ~1.2 s of a core in the tab's first second, half
#: the 2-core machine while the page loaded. A user's browser is already open and idle when they go to the
#: Studio, so a benchmark opens its tab, lets that finish, then navigates (--disable-features flags cut that
#: work only by half).
TAB_SETTLE_S = 3.0


def open_tab(context):
    """A new tab of ``context``, once Chromium's own start-up work for it is done (:data:`TAB_SETTLE_S`)."""
    page = context.new_page()
    page.wait_for_timeout(TAB_SETTLE_S * 1000)
    return page


def launch(playwright):
    return playwright.chromium.launch(executable_path=CHROMIUM,
                                      args=["--no-sandbox", "--autoplay-policy=no-user-gesture-required"])


def logged_in_context(browser, server, handle: str):
    """A browser context holding ``handle``'s session cookie (logged in through the real form)."""
    context = browser.new_context(viewport={"width": 1280, "height": 1200})
    page = context.new_page()
    page.goto(server.base_url + "login?next=/")
    page.fill("#handle", handle)
    page.fill("#password", PASSWORD)
    with page.expect_navigation(timeout=60_000):
        page.click("#sw-login-submit")
    if page.query_selector("#sw-login-form"):
        raise RuntimeError(f"login as @{handle} failed")
    page.close()
    return context


def set_seed(page, seed: int) -> None:
    """Type ``seed`` into the Studio's seed box (and leave it, so the kernel gets it)."""
    page.locator(".sw-seed input").fill(str(seed))
    page.locator(".sw-seed input").press("Tab")
    page.wait_for_timeout(200)
