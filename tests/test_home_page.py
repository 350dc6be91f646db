"""The server's front door (issue 14 item 7): a home page with each dashboard's name, audience and picture.

A real Voila server with logins, opened in Debian's chromium at desktop and phone size
(screenshots in test-artifacts/home-*.png).
"""

from __future__ import annotations

import json
import urllib.parse

import pytest
from conftest import TEST_PASSWORD, make_account

from sora_widgets.auth.home import CATALOGUE, cards_for
from sora_widgets.serve import dashboards_dir
from sora_widgets.store import open_store

pytestmark = [pytest.mark.slow, pytest.mark.browser]


def open_home(page, server, handle):
    page.goto(server.base_url)  # "/" needs a login: the login page, then back to "/"
    page.wait_for_selector("#sw-login-form", timeout=60_000)
    assert urllib.parse.urlparse(page.url).path.endswith("/login")
    page.fill("#handle", handle)
    page.fill("#password", TEST_PASSWORD)
    with page.expect_navigation(timeout=60_000):
        page.click("#sw-login-submit")
    page.wait_for_selector(".sw-cards", timeout=60_000)


def test_the_home_page_names_each_dashboard_its_audience_and_gates_staff_pages(voila, browser, tmp_home, artifacts_dir):
    store = open_store(tmp_home)
    make_account(store, "boss", role="admin")
    make_account(store, "ana", display_name="<script>window.__xss=1</script>")
    server = voila(dashboards_dir(), env={"SORA_WIDGETS_HOME": str(tmp_home)}, name="home")
    present = {p.name for p in dashboards_dir().glob("*.ipynb")}
    for handle, size, name in (("ana", (1280, 900), "desktop"), ("ana", (390, 844), "phone"), ("boss", (1280, 900), "admin")):
        ctx = browser.new_context(viewport={"width": size[0], "height": size[1]})
        page = ctx.new_page()
        open_home(page, server, handle)
        page.screenshot(path=str(artifacts_dir / f"home-{name}.png"), full_page=True)
        cards = page.locator(".sw-card")
        assert cards.count() == len(present)
        studio = page.locator(".sw-card[data-notebook='studio.ipynb']")
        assert "Studio" in studio.inner_text() and "For creators" in studio.inner_text()
        assert studio.locator("svg").count() == 1
        moderation = page.locator("[data-notebook='moderation.ipynb']")
        if handle == "ana":  # a creator sees the staff pages greyed, with the reason, and no link to them
            assert "Needs the reviewer role" in moderation.inner_text()
            assert page.locator("a[data-notebook='moderation.ipynb'], a[data-notebook='admin.ipynb']").count() == 0
        else:
            assert page.locator("a[data-notebook='moderation.ipynb']").count() == 1
        assert f"@{handle}" in page.locator(".sw-logged-in").inner_text()
        assert page.evaluate("window.__xss") is None
        # Nothing runs off a phone's screen: no horizontal scrolling, every card inside the viewport.
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= size[0], (name, width)
        right = page.evaluate("Math.max(...[...document.querySelectorAll('.sw-card')].map(e => e.getBoundingClientRect().right))")
        assert right <= size[0], (name, right)
        if handle == "ana" and name == "desktop":
            with page.expect_navigation(timeout=60_000):
                studio.click()
            assert page.url.endswith("voila/render/studio.ipynb")
        ctx.close()


def test_cards_follow_the_catalogue_and_notebooks_may_describe_themselves(tmp_path):
    for name in ("studio.ipynb", "moderation.ipynb", "zeta_report.ipynb"):
        meta = {"sora_widgets": {"needs_role": "reviewer"}} if name == "moderation.ipynb" else {}
        if name == "zeta_report.ipynb":
            meta = {"sora_widgets": {"title": "Weekly <report>", "for": "Analysts", "about": "Numbers."}}
        (tmp_path / name).write_text(json.dumps({"cells": [], "metadata": meta, "nbformat": 4, "nbformat_minor": 5}))
    cards = cards_for(tmp_path, "creator")
    assert [c.notebook for c in cards] == ["studio.ipynb", "moderation.ipynb", "zeta_report.ipynb"]
    assert cards[0].title == dict((n, t) for n, t, *_ in CATALOGUE)["studio.ipynb"] and cards[0].allowed
    assert not cards[1].allowed and cards[1].needs_role == "reviewer"
    assert cards_for(tmp_path, "reviewer")[1].allowed and cards_for(tmp_path, "admin")[1].allowed
    assert (cards[2].title, cards[2].audience, cards[2].picture) == ("Weekly <report>", "Analysts", "notebook")
    from sora_widgets.auth.home import home_page

    html = home_page(cards, handle="ana", base_url="/")
    assert "Weekly &lt;report&gt;" in html and "<report>" not in html
