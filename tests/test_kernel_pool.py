"""The server's pool of warm kernels (auth/kernel_pool.py) on a real Voila server with logins.

A warm kernel waits before anyone has logged in; it belongs to no one (no user can
reach it), the first page is served by it with that page's user (from the signed
token, as for any kernel), and the pool refills with another kernel.
"""

from __future__ import annotations

import re
import time
import urllib.parse

import pytest
from conftest import TEST_PASSWORD, make_account
from test_auth_browser import Http

from sora_widgets.serve import dashboards_dir
from sora_widgets.store import open_store

READY = re.compile(r"kernel pool: warm kernel ([0-9a-f-]{36}) ready")


def warm_kernels(log_path, n: int, timeout_s: float = 240.0) -> list[str]:
    """The ids of the first ``n`` warm kernels the server's log announces (waits for them)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        found = READY.findall(log_path.read_text(errors="replace"))
        if len(found) >= n:
            return found
        time.sleep(0.25)
    raise AssertionError(f"fewer than {n} warm kernels after {timeout_s} s:\n{log_path.read_text()[-3000:]}")


def login_without_a_page(http: Http, handle: str) -> None:
    """Log in and land on the home page (``next=/``), which starts no kernel."""
    _, _, body = http.get("login")
    xsrf = re.search(r'name="_xsrf" value="([^"]+)"', body).group(1)
    data = urllib.parse.urlencode({"_xsrf": xsrf, "handle": handle, "password": TEST_PASSWORD, "next": "/"})
    with http.opener.open(http.server.base_url + "login", data.encode(), timeout=180) as r:
        assert "voila/render" not in r.geturl()


@pytest.mark.slow
@pytest.mark.browser
def test_a_page_is_served_by_a_warm_kernel_that_no_one_could_reach_before(voila, tmp_home, artifacts_dir):
    store = open_store(tmp_home)
    make_account(store, "boss", role="admin")
    make_account(store, "bob")
    server = voila(dashboards_dir(), env={"SORA_WIDGETS_HOME": str(tmp_home)}, name="kernel-pool")
    log_path = artifacts_dir / "kernel-pool-voila.log"
    [pooled] = warm_kernels(log_path, 1)

    # Waiting in the pool, the kernel is no one's: not an anonymous visitor's, not a logged-in user's.
    bob, boss, anon = Http(server), Http(server), Http(server)
    login_without_a_page(boss, "boss")
    assert anon.get(f"api/kernels/{pooled}/channels")[1] == 403
    assert boss.get(f"api/kernels/{pooled}")[1] == 403
    assert boss.get(f"api/kernels/{pooled}/channels")[1] == 403

    # Bob's Studio page is served by it, as bob (the identity cell's token, not the warm-up).
    url, status, body = bob.login("bob")
    assert "voila/render/studio.ipynb" in url and "(@bob)" in body
    assert pooled in body, "the page was not served by the warm kernel"
    assert f"page served by warm kernel {pooled}" in log_path.read_text()
    assert bob.get(f"api/kernels/{pooled}/channels")[1] == 400  # his now (400: not a websocket client)
    assert boss.get(f"api/kernels/{pooled}/channels")[1] == 403  # and only his

    # The pool refills with a different kernel, for the next page.
    first, second = warm_kernels(log_path, 2)[:2]
    assert first == pooled and second != pooled


def test_a_page_in_a_warmed_kernel_does_not_warm_up_again():
    """The Studio's own warm-up (PromptStudio's thread) finds the pooled kernel's work done: same clip, no second one."""
    from sora_widgets.widgets import _warm_up

    first = _warm_up.warm_up_generate(engine="sim")
    assert first is not None and first.num_frames > 0
    assert _warm_up.warm_up_generate(engine="sim") is first  # remembered, not made again
    assert _warm_up.warm_up_generate(engine=None) is None  # the prompt check only: no clip


@pytest.mark.slow  # loads the output check's detectors (5-9 s on 2 cores)
def test_the_pool_warm_up_code_runs_on_a_thread_and_reports_its_stages():
    """WARM_CODE returns at once (the kernel stays free for a page); the pool's two questions name its thread."""
    from sora_widgets.auth.kernel_pool import FIRST_STAGE_DONE, STILL_WARMING, WARM_CODE
    from sora_widgets.widgets import _warm_up

    namespace: dict = {}
    # Already warm in this process (the test above, or here): the thread then only lists engines and checks.
    _warm_up.warm_up_generate(engine="sim")
    exec(WARM_CODE, namespace)
    thread = namespace["_sw_warm_up"]
    assert isinstance(thread, _warm_up.KernelWarmUp)
    assert thread.first_stage.wait(60)
    assert eval(FIRST_STAGE_DONE, namespace) is True
    thread.join(300)
    assert eval(STILL_WARMING, namespace) is False


def test_a_page_keeps_a_cells_late_output_on_a_busy_server(tmp_path):
    """Voila's cell runner, as the server configures it, waits long for a cell's last messages: with nbclient's
    default (4 s) the Studio's widget was dropped at load 25 and the page showed only its markdown."""
    import nbformat
    from voila.execute import VoilaExecutor

    from sora_widgets.auth.voila_app import IOPUB_TIMEOUT_S, auth_config

    nb = nbformat.v4.new_notebook()
    assert VoilaExecutor(nb).iopub_timeout < 10  # what a page got before
    runner = VoilaExecutor(nb, config=auth_config(tmp_path))
    assert runner.iopub_timeout == IOPUB_TIMEOUT_S >= 60
