"""Shared fixtures: a temporary store home, a test engine, Voila servers and a real chromium."""

from __future__ import annotations

import atexit
import contextlib
import os
import shutil
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from sora_widgets.media import Clip


def pytest_sessionstart(session) -> None:
    """Fill librosa's numba cache from this one process before any test starts kernels or subprocesses:
    processes filling it at the same time corrupt it (see sora_widgets.numba_cache)."""
    from sora_widgets.numba_cache import warm

    warm()


REPO = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"


# ------------------------------------------------------------------ store
@pytest.fixture
def tmp_home(tmp_path, monkeypatch) -> Path:
    """A fresh store home, also exported as ``SORA_WIDGETS_HOME`` for code that reads the environment."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("SORA_WIDGETS_HOME", str(home))
    return home


@pytest.fixture
def store(tmp_home):
    from sora_widgets.store import open_store

    return open_store(tmp_home)


@contextlib.contextmanager
def served_here(home):
    """The Store of ``home`` with the home's store service run in this process (``StoreService``: the file lock,
    one long-lived DuckDB, as ``sora-widgets studio`` serves a home): an operation costs a cursor instead of a
    file open (~2 ms instead of ~50 ms CPU). For stateful tests of the rules, which make hundreds of operations;
    the direct file path is what every ``store`` fixture test (and tests/test_store*.py) runs."""
    from sora_widgets.store import open_store
    from sora_widgets.store.service import StoreService

    service = StoreService(home).start()
    try:
        yield open_store(home)
    finally:
        service.stop()


_TEMPLATES: dict[str, str] = {}


def template_home(name: str, build) -> str:
    """A home made once per test process by ``build(store)`` (migrations, people...), served while it is built;
    stateful tests start each example from a copy (:func:`served_copy`) instead of migrating and signing up again."""
    if name not in _TEMPLATES:
        home = tempfile.mkdtemp(prefix=f"template-{name}-")
        atexit.register(shutil.rmtree, home, ignore_errors=True)
        with served_here(home) as store:
            build(store)
        _TEMPLATES[name] = home
    return _TEMPLATES[name]


@contextlib.contextmanager
def served_copy(template):
    """:func:`served_here` on a fresh copy of the home ``template`` (see :func:`template_home`), removed after."""
    home = tempfile.mkdtemp(prefix="served-copy-")
    try:
        shutil.copytree(template, home, dirs_exist_ok=True)
        with served_here(home) as store:
            yield store
    finally:
        shutil.rmtree(home, ignore_errors=True)


# ------------------------------------------------------------------ a small real engine for widget tests
class MovingSquareEngine:
    """A tiny real engine: a white square slides left to right over grey, with a 440 Hz tone.

    ``step_sleep_s`` makes it slow on purpose (cancel tests); it reports a preview
    frame on every step and honours ``cancel`` between steps like a real engine.
    ``fail_with`` makes ``generate`` raise that exception (error display tests).
    """

    name = "test-square"
    version = "1"
    options = frozenset({"step_sleep_s", "fail_with"})
    uses_steps = False

    def availability(self):
        return True, ""

    def generate(self, request, *, on_progress=None, cancel=None):
        from sora_widgets.engines import check_cancel

        if request.options.get("fail_with"):
            raise RuntimeError(request.options["fail_with"])
        n, h, w = request.num_frames, request.height, request.width
        frames = np.full((n, h, w, 3), 60, np.uint8)
        side = max(4, min(h, w) // 6)
        for i in range(n):
            check_cancel(cancel)
            x = int((w - side) * i / max(1, n - 1))
            y = (h - side) // 2
            frames[i, y:y + side, x:x + side] = 255
            time.sleep(float(request.options.get("step_sleep_s", 0.0)))
            if on_progress:
                on_progress(i + 1, n, frames[i])
        sr = 16_000
        t = np.arange(int(round(request.duration * sr))) / sr
        audio = (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)[None]
        events = [{"t": 0.5 * request.duration, "kind": "contact", "impulse": 1.0}]
        return Clip(frames, audio, request.fps, sr, {"events": events})


class UnavailableEngine(MovingSquareEngine):
    name = "test-missing"

    def availability(self):
        return False, "needs a GPU with 24 GB (none found)"


@pytest.fixture
def test_engines():
    """Registers ``test-square`` and ``test-missing`` for the duration of a test."""
    from sora_widgets.engines import base

    base._ensure_builtin()
    saved = dict(base._FACTORIES)
    base.register("test-square", MovingSquareEngine, "moving square + tone (tests)")
    base.register("test-missing", UnavailableEngine, "always unavailable (tests)")
    yield
    base._FACTORIES.clear()
    base._FACTORIES.update(saved)
    base._INSTANCES.pop("test-square", None)
    base._INSTANCES.pop("test-missing", None)


@pytest.fixture
def square_clip() -> Clip:
    """A 1 s 64x48 clip with a tone and one contact event, made by the test engine directly."""
    from sora_widgets.engines.base import GenerationRequest

    req = GenerationRequest(prompt="square", duration=1.0, fps=12, width=64, height=48)
    return MovingSquareEngine().generate(req)


def wait_until(predicate, timeout_s: float = 10.0, interval_s: float = 0.02) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval_s)
    return bool(predicate())


# ------------------------------------------------------------------ browser and voila
@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    """``test-artifacts/`` at the repository root: screenshots and server logs land here."""
    d = REPO / "test-artifacts"
    d.mkdir(exist_ok=True)
    return d


@pytest.fixture(scope="session")
def playwright_driver():
    """One Playwright driver per session: its sync API allows only one per thread."""
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"{CHROMIUM} is missing: install Debian's chromium (make system-deps)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        yield p


def launch_chromium(driver, *extra_args: str):
    """Debian's chromium driven by Playwright (never ``playwright install``)."""
    # autoplay with sound is allowed so tests can check that audio really plays
    return driver.chromium.launch(executable_path=CHROMIUM,
                                  args=["--no-sandbox", "--autoplay-policy=no-user-gesture-required", *extra_args])


@pytest.fixture(scope="session")
def browser(playwright_driver):
    b = launch_chromium(playwright_driver)
    try:
        yield b
    finally:
        b.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    # Keeps each phase's report on the item so fixtures can tell, at teardown, that the test failed.
    outcome = yield
    rep = outcome.get_result()
    setattr(item, f"rep_{rep.when}", rep)


def _failed(request) -> bool:
    rep = getattr(request.node, "rep_call", None)
    return rep is None or rep.failed


@pytest.fixture
def page(browser, request, artifacts_dir):
    ctx = browser.new_context(viewport={"width": 1280, "height": 1400})
    pg = ctx.new_page()
    pg.console_errors = []  # type: ignore[attr-defined]
    pg.on("console", lambda m: m.type == "error" and pg.console_errors.append(m.text))
    pg.on("pageerror", lambda e: pg.console_errors.append(str(e)))
    yield pg
    if _failed(request):
        # CI shows only the output: what the page said is the first clue to a failure there.
        try:
            pg.screenshot(path=str(artifacts_dir / f"FAILED-{request.node.name}.png"), full_page=True)
            print(f"--- page text at failure ({pg.url}) ---\n{pg.inner_text('body', timeout=5_000)[-3000:]}")
        except Exception as exc:  # the page may be gone; the test's own error says more
            print(f"(no page text: {exc})")
        print(f"--- console errors ---\n{pg.console_errors[-20:]}")
    ctx.close()


def start_voila_ready(target=None, *, env=None, log_path=None, timeout_s: float = 90.0, preheat: bool = False):
    """Voila on ``target`` until the block ends (kept as a name for older tests)."""
    from sora_widgets.serve import start_voila

    return start_voila(target, env=env, log_path=log_path, timeout_s=timeout_s, preheat=preheat)


@pytest.fixture
def voila(artifacts_dir, request):
    """Factory: ``voila(target=None, env={...}, name="studio")`` starts Voila; all stop after the test."""
    start_voila = start_voila_ready

    stack = contextlib.ExitStack()
    lock = threading.Lock()

    def start(target=None, *, env=None, name="voila"):
        with lock:
            return stack.enter_context(
                start_voila(target, env=env, log_path=artifacts_dir / f"{name}-voila.log", timeout_s=90)
            )

    logs_before = {p: p.stat().st_mtime for p in artifacts_dir.glob("*-voila.log")}
    with stack:
        yield start
    if _failed(request):
        for log_path in sorted(artifacts_dir.glob("*-voila.log")):
            if logs_before.get(log_path) != log_path.stat().st_mtime:
                print(f"--- {log_path.name} (tail) ---\n{log_path.read_text(errors='replace')[-4000:]}")


# ------------------------------------------------------------------ accounts and logins (issue 12)
# Every served dashboard needs a login: browser tests make accounts and log in through the real page.
TEST_PASSWORD = "correct horse battery staple"


def make_account(store, handle: str, *, birthdate: str = "1990-01-01", role: str = "creator",
                 password: str = TEST_PASSWORD, display_name: str | None = None) -> str:
    """An account that can log in (through the accounts service, so age rules apply); returns the handle.

    ``role`` is exact: the first-account-becomes-admin rule applies only to sign-ups without a role.
    """
    from sora_widgets.auth import LOCAL_OWNER, create_account

    return create_account(store, handle, password=password, birthdate=birthdate, display_name=display_name,
                          role=role, by=LOCAL_OWNER)["handle"]


def give_password(home_or_store, handle: str, password: str = TEST_PASSWORD) -> str:
    """Let an existing user (made by ``store.create_user`` or the demo seed) log in with ``password``."""
    from sora_widgets.auth import set_password
    from sora_widgets.store import Store, open_store

    store = home_or_store if isinstance(home_or_store, Store) else open_store(home_or_store)
    set_password(store, handle, password)
    return handle


def login(page, server, handle: str, password: str = TEST_PASSWORD, *, notebook: str = "studio.ipynb",
          timeout_ms: float = 60_000) -> None:
    """Open ``notebook`` on ``server`` as ``handle``: the server sends the login page, we fill it in and
    land on the dashboard (the real form, the real cookie, the real redirect)."""
    page.goto(server.url(notebook))
    page.wait_for_selector("#sw-login-form", timeout=timeout_ms)
    page.fill("#handle", handle)
    page.fill("#password", password)
    with page.expect_navigation(timeout=timeout_ms):
        page.click("#sw-login-submit")
    if page.query_selector("#sw-login-form"):
        raise AssertionError(f"login as @{handle} failed: {page.inner_text('.sw-error')}")


def login_home(page, server, handle: str, password: str = TEST_PASSWORD, *, timeout_ms: float = 60_000) -> None:
    """Log in as ``handle`` through the login page and land on the front door (``/``)."""
    page.goto(server.base_url + "login?next=/")
    page.fill("#handle", handle)
    page.fill("#password", password)
    with page.expect_navigation(timeout=timeout_ms):
        page.click("#sw-login-submit")


@pytest.fixture
def chromium_available():
    if not shutil.which(CHROMIUM):
        pytest.skip(f"{CHROMIUM} is missing")


def click_tree_node(page, clip_id: str) -> None:
    """Click a node of the lineage tree as a person would: "All" shows the whole tree (a node may be out
    of the pannable view), then a click on the node itself."""
    page.locator(".sw-tree-all").click()
    node = page.locator(f".sw-node[data-clip-id='{clip_id}']")
    node.wait_for(state="attached")
    box = node.bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
