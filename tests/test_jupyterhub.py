"""A real JupyterHub in front of the Studio: a Hub user opens the Studio through the Hub and publishes as themself.

One Hub on loopback (``deploy/jupyterhub_config.py`` plus test-only choices:
DummyAuthenticator, SimpleLocalProcessSpawner, ports, folders), three users (two with
their own servers, one visiting a server shared with her), Debian's chromium.
configurable-http-proxy comes from npm (``make npm-tools`` installs it into
``.npm-tools/``); without it the module is skipped with that reason.
The Hub's log (servers and kernels included) is test-artifacts/jupyterhub.log.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

import pytest
from conftest import REPO, wait_until
from hypothesis import example, given
from hypothesis import strategies as st
from playwright.sync_api import expect
from tornado import web

from sora_widgets import auth
from sora_widgets.auth.hub import hub_handle, safe_next
from sora_widgets.serve import free_port
from sora_widgets.social.accounts import protection_band
from sora_widgets.store import NotFound, open_store

EXAMPLE_CONFIG = REPO / "deploy" / "jupyterhub_config.py"
LOCAL_CHP = REPO / ".npm-tools" / "node_modules" / ".bin" / "configurable-http-proxy"
HUB_PASSWORD = "hub test password"
STUDIO = "voila/render/sora-dashboards/studio.ipynb"


def proxy_command() -> str:
    """configurable-http-proxy: the project-local npm install, else one on PATH; skip if neither."""
    for candidate in (LOCAL_CHP, shutil.which("configurable-http-proxy")):
        if candidate and os.access(candidate, os.X_OK):
            return str(candidate)
    pytest.skip("configurable-http-proxy is not installed: run `make npm-tools` "
                "(npm install configurable-http-proxy into .npm-tools/)")


@dataclass
class Hub:
    url: str
    home: Path
    log_path: Path
    start_s: float

    def log_tail(self, chars: int = 6000) -> str:
        return self.log_path.read_text(errors="replace")[-chars:]

    def spawn_seconds(self, user: str) -> float:
        """What the Hub measured for starting ``user``'s server (its "took N seconds to start" line)."""
        found = re.findall(rf"User {re.escape(user)} took ([0-9.]+) seconds to start", self.log_path.read_text())
        return float(found[-1]) if found else float("nan")


def _test_config(root: Path, chp: str, ports: dict[str, int]) -> str:
    """The example deployment plus what only a test on one machine may do."""
    allow_root = ' + ["--allow-root"]' if os.geteuid() == 0 else ""
    return f"""
c = get_config()
load_subconfig({str(EXAMPLE_CONFIG)!r})
# Test-only: any name logs in with one password; every server runs as this Unix account.
c.JupyterHub.authenticator_class = "dummy"
c.DummyAuthenticator.password = {HUB_PASSWORD!r}
c.Authenticator.allow_all = True
c.JupyterHub.spawner_class = "simple"
c.SimpleLocalProcessSpawner.home_dir_template = {str(root / "users" / "{username}")!r}
c.Spawner.args = c.Spawner.args{allow_root}
c.Spawner.start_timeout = 120
c.Spawner.http_timeout = 120
c.JupyterHub.bind_url = "http://127.0.0.1:{ports['hub']}"
c.JupyterHub.hub_bind_url = "http://127.0.0.1:{ports['api']}"
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:{ports['proxy_api']}"
c.ConfigurableHTTPProxy.command = [{chp!r}]
c.JupyterHub.db_url = "sqlite:///{root / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = {str(root / "jupyterhub_cookie_secret")!r}
c.JupyterHub.pid_file = {str(root / "jupyterhub.pid")!r}
c.ConfigurableHTTPProxy.pid_file = {str(root / "proxy.pid")!r}
# Alice shares her server with carol (and no one else): a visitor to a shared dashboard.
c.JupyterHub.load_roles = [{{"name": "alice-viewers", "users": ["carol"], "scopes": ["access:servers!server=alice/"]}}]
"""


@pytest.fixture(scope="module")
def hub(tmp_path_factory, artifacts_dir):
    pytest.importorskip("jupyterhub")
    chp = proxy_command()
    root = tmp_path_factory.mktemp("hub")
    home = root / "store"
    home.mkdir()
    ports = {name: free_port() for name in ("hub", "api", "proxy_api")}
    config = root / "jupyterhub_config.py"
    config.write_text(_test_config(root, chp, ports))
    log_path = artifacts_dir / "jupyterhub.log"
    url = f"http://127.0.0.1:{ports['hub']}"
    with open(log_path, "wb") as log:
        t0 = time.monotonic()
        proc = subprocess.Popen([sys.executable, "-m", "jupyterhub", "-f", str(config)], cwd=root,
                                env={**os.environ, "SORA_WIDGETS_HOME": str(home)},
                                stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = t0 + 120
            while True:
                if proc.poll() is not None:
                    pytest.fail(f"JupyterHub exited ({proc.returncode}):\n{log_path.read_text()[-4000:]}")
                try:
                    urllib.request.urlopen(url + "/hub/api", timeout=2).read()
                    break
                except (OSError, urllib.error.HTTPError):
                    if time.monotonic() > deadline:
                        pytest.fail(f"JupyterHub did not answer in 120 s:\n{log_path.read_text()[-4000:]}")
                    time.sleep(0.25)
            hub = Hub(url, home, log_path, time.monotonic() - t0)
            print(f"\nJupyterHub answered after {hub.start_s:.1f} s")
            yield hub
        finally:
            proc.terminate()  # the Hub stops the servers it spawned, then the proxy
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()


@pytest.fixture
def hub_page(browser, hub, request, artifacts_dir):
    """Factory: a fresh browser context (its own cookies) per Hub user; prints the Hub log if the test fails."""
    contexts = []

    def new_page():
        ctx = browser.new_context(viewport={"width": 1280, "height": 1400})
        contexts.append(ctx)
        return ctx.new_page()

    yield new_page
    rep = getattr(request.node, "rep_call", None)
    if rep is None or rep.failed:
        for i, ctx in enumerate(contexts):
            for pg in ctx.pages:
                try:
                    pg.screenshot(path=str(artifacts_dir / f"FAILED-hub-{i}.png"), full_page=True)
                    print(f"--- page {i} at failure ({pg.url}) ---\n{pg.inner_text('body', timeout=5_000)[-2000:]}")
                except Exception as exc:  # the page may be gone; the test's own error says more
                    print(f"(no page text: {exc})")
        print(f"--- jupyterhub.log (tail) ---\n{hub.log_tail()}")
    for ctx in contexts:
        ctx.close()


def hub_login(page, hub: Hub, name: str, next_path: str = "") -> None:
    """Log in on the Hub's own login page (then the Hub starts the user's server, unless ``next_path`` says where)."""
    page.goto(f"{hub.url}/hub/login" + (f"?next={next_path}" if next_path else ""))
    page.fill("#username_input", name)
    page.fill("#password_input", HUB_PASSWORD)
    page.click("#login_submit")
    page.wait_for_load_state()


def spawn_to_welcome(page, hub: Hub, name: str, next_path: str = "") -> None:
    """Start ``name``'s server through the Hub (then go to ``next_path``); a first visit lands on the birthdate page."""
    page.goto(f"{hub.url}/hub/spawn/{name}" + (f"?{urlencode({'next': next_path})}" if next_path else ""))
    page.wait_for_selector("#sw-welcome-form", timeout=180_000)
    assert f"/user/{name}/sora/welcome" in page.url


def answer_birthdate(page, birthdate: str, display_name: str = "") -> None:
    page.fill("#birthdate", birthdate)
    page.fill("#display_name", display_name)
    page.click("#sw-welcome-submit")


def wait_for_studio(page) -> None:
    page.wait_for_selector(".sw-generate, .sw-dashboard-error", timeout=180_000)
    assert page.locator(".sw-dashboard-error").count() == 0, page.locator(".sw-dashboard-error").inner_text()
    expect(page.locator("button.sw-generate")).to_be_enabled(timeout=120_000)


# ------------------------------------------------------------------ the rules, without a Hub
def test_hub_names_become_handles_unchanged_or_are_refused():
    assert hub_handle("alice") == "alice"
    assert hub_handle("Rex_the.dog") == "rex_the.dog"  # JupyterHub lower-cases names too
    # An altered name ("a-b" -> "a_b") could collide with someone else's account: refuse, and say why.
    for name in ("a-b", "alice@example.com", "x", "a" * 31, ""):
        with pytest.raises(web.HTTPError) as refused:
            hub_handle(name)
        assert refused.value.status_code == 403
        assert "cannot be a sora-widgets handle" in refused.value.log_message


BASE = "/user/alice/"
# Pieces a crafted ``next`` is made of: this server's prefix, other hosts, and what browsers rewrite.
URL_PIECES = ["/user/alice/", "/user/bob/", "http:", "//evil", "/", "\\", ":", ".", "@", "?", "#", "%2f", "a",
              "\t", "\n", " ", "\x7f"]
URL_TEXT = st.lists(st.sampled_from(URL_PIECES), max_size=8).map("".join)


@given(URL_TEXT, st.sampled_from([BASE, "/"]))  # "/": a server at the root, where "//host" is one slash away
@example("/\t/evil.example", "/")
@example("/\n/evil.example", "/")
def test_the_welcome_page_sends_people_only_to_this_server(value, base):
    target = safe_next(value, base)
    # What a browser would make of it: it drops tabs and newlines, reads backslashes as slashes.
    seen = target.replace("\t", "").replace("\n", "").replace("\\", "/")
    assert seen.startswith(base) and not seen.startswith("//")
    assert target in (value, base + "voila/render/")


def test_the_welcome_page_keeps_a_path_on_this_server_and_drops_others():
    kept = BASE + "voila/render/sora-dashboards/studio.ipynb"
    assert safe_next(kept, BASE) == kept
    for other in ("https://evil.example/user/alice/", "//evil.example/user/alice/", "/user/bob/voila/render/",
                  "/user/alice/\\..\\evil", "", None):
        assert safe_next(other, BASE) == BASE + "voila/render/"


# ------------------------------------------------------------------ a real Hub
@pytest.mark.slow
@pytest.mark.browser
def test_a_hub_user_opens_the_studio_through_the_hub_and_publishes_as_themself(hub, hub_page, artifacts_dir):
    t_test = time.monotonic()
    alice = hub_page()
    hub_login(alice, hub, "alice")
    spawn_to_welcome(alice, hub, "alice")
    assert "@alice" in alice.inner_text("h1")
    answer_birthdate(alice, "1990-04-01")
    wait_for_studio(alice)
    assert f"/user/alice/{STUDIO}" in alice.url
    # The Hub's user reached the kernel: the server's identity cell and the studio both name her.
    assert "@alice" in alice.locator(".sw-logged-in").inner_text()
    assert "@alice" in alice.locator(".sw-who").inner_text()
    assert "accept_server_token" not in alice.content()  # the identity cell's source never reaches the page
    account = open_store(hub.home).get_user("alice")
    assert str(account["birthdate"]) == "1990-04-01"
    # Made by the accounts service (a confirmed birthdate): an adult, not the "unconfirmed counts as teen" default.
    assert protection_band(open_store(hub.home), "alice") == "adult"

    alice.get_by_label("Prompt", exact=True).fill("a red ball bounces on a wooden floor")
    alice.locator(".sw-duration input").fill("1")
    alice.locator(".sw-duration input").press("Tab")
    time.sleep(0.3)  # let the change reach the kernel before Generate reads it
    alice.get_by_role("button", name="Generate", exact=True).click()
    alice.locator(".sw-main-player video").wait_for(timeout=120_000)
    alice.get_by_role("button", name="Publish", exact=True).click()
    result = alice.locator(".sw-publish-result")
    expect(result).to_contain_text("clip id", timeout=120_000)
    clip_id = re.search(r"clip id (\S+)", result.inner_text()).group(1)
    alice.screenshot(path=str(artifacts_dir / "hub-studio-published.png"), full_page=True)
    info = open_store(hub.home).clip_info(clip_id)
    assert info["owner"] == "alice"
    assert info["status"] in ("published", "held")

    # Asked once: with an account, the welcome page sends her straight on (no form).
    again = alice.request.get(f"{hub.url}/user/alice/sora/welcome?next=/user/alice/{STUDIO}", max_redirects=0)
    assert again.status == 302 and again.headers["location"].endswith(STUDIO), (again.status, again.headers)

    # A second Hub user cannot open the first one's server (the Hub's OAuth scopes refuse him)...
    bob = hub_page()
    hub_login(bob, hub, "bob")
    refused = bob.goto(f"{hub.url}/user/alice/{STUDIO}")
    assert refused.status == 403, (refused.status, bob.url)
    assert bob.locator(".sw-generate").count() == 0
    # ... and in his own server he is himself, whatever the URL claims; a child is refused at the door.
    spawn_to_welcome(bob, hub, "bob", next_path=f"/user/bob/{STUDIO}?user=alice")
    answer_birthdate(bob, "2019-01-01")
    expect(bob.locator(".sw-error")).to_contain_text("13 and older")
    with pytest.raises(NotFound):  # refused means no account at all, not a half-made one
        open_store(hub.home).get_user("bob")
    answer_birthdate(bob, "1985-06-30")
    wait_for_studio(bob)
    assert bob.url.endswith(f"/user/bob/{STUDIO}?user=alice")
    assert "@bob" in bob.locator(".sw-who").inner_text()
    assert "alice" not in bob.locator(".sw-logged-in").inner_text()
    store = open_store(hub.home)
    with store.read() as con:
        owners = {row[0] for row in con.execute("SELECT DISTINCT owner FROM clips").fetchall()}
    assert owners == {"alice"}, owners

    # Carol, whom alice shared her server with, is carol there: the visitor, not the server's owner.
    carol = hub_page()
    hub_login(carol, hub, "carol", next_path=f"/user/alice/{STUDIO}")
    # The Hub asks a visitor (not the owner) to let alice's server learn who she is: Hub OAuth, for real.
    carol.get_by_role("button", name="Authorize").click()
    carol.wait_for_selector("#sw-welcome-form", timeout=120_000)
    assert "/user/alice/sora/welcome" in carol.url
    answer_birthdate(carol, "2000-02-29", display_name="Carol C")
    wait_for_studio(carol)
    assert f"/user/alice/{STUDIO}" in carol.url
    assert "@carol" in carol.locator(".sw-who").inner_text()
    assert "Carol C (@carol)" in carol.locator(".sw-logged-in").inner_text()  # the name she gave, not the Hub's

    # A Studio admin disables bob: his open page's kernel stops itself, and the next page is refused.
    auth.disable(store, "bob", by=auth.LOCAL_OWNER, reason="test")

    def bob_kernel_stopped() -> bool:
        with store.read() as con:
            return bool(con.execute("SELECT count(*) FROM audit_log WHERE action = 'auth.kernel_stopped' "
                                    "AND actor = 'bob'").fetchone()[0])

    assert wait_until(bob_kernel_stopped, timeout_s=30, interval_s=0.5), "bob's open page kept acting"
    disabled = bob.goto(f"{hub.url}/user/bob/{STUDIO}")
    assert disabled.status == 403 and "@bob is disabled" in bob.inner_text("body")
    assert bob.locator(".sw-generate").count() == 0

    print(f"\nHub start {hub.start_s:.1f} s; servers started in {hub.spawn_seconds('alice'):.1f} s (alice) and "
          f"{hub.spawn_seconds('bob'):.1f} s (bob), the Hub's figures; test body {time.monotonic() - t_test:.1f} s")
