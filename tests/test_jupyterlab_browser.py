"""The widgets in a real JupyterLab session (not Voila), driven in Debian's chromium.

Users experiment in notebooks, so this starts ``jupyter lab`` on a notebook that creates a
``PromptStudio``, runs all cells through JupyterLab's own command, types a prompt with real
keystrokes (Lab's command-mode shortcuts must not eat them), clicks Generate and checks the
``ClipPlayer`` that appears: a playable ``<video>`` of the clip's length, the frame scrubber and
the event markers. Screenshots land in ``test-artifacts/lab-*.png``; the server log in
``test-artifacts/lab-jupyterlab.log``.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest
from playwright.sync_api import expect

from sora_widgets.store import open_store

pytestmark = [pytest.mark.slow, pytest.mark.browser]

#: Text JupyterLab writes into an output when a widget's front end cannot load.
WIDGET_FAILURES = ("Error displaying widget", "Failed to load model class", "Error creating view")

STUDIO_CELL = """\
import sora_widgets as sw
from sora_widgets.widgets import PromptStudio

sw.login(birthdate="1990-05-01")  # a personal notebook: $SORA_WIDGETS_USER, created the first time
studio = PromptStudio()
studio"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write_notebook(path: Path, cells: list[str]) -> None:
    nb = nbformat.v4.new_notebook()
    # A kernelspec in the metadata: without one Lab asks which kernel to start (a dialog, not a kernel).
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell(src) for src in cells]
    nbformat.write(nb, path)


class LabServer:
    """``jupyter lab`` on ``root`` with its own settings, workspaces and runtime folders (nothing in ~)."""

    def __init__(self, root: Path, *, env: dict[str, str], log_path: Path, timeout_s: float = 60.0):
        self.port, self.token = free_port(), secrets.token_hex(16)
        state = root.parent / "lab-state"
        settings = state / "settings" / "@jupyterlab" / "apputils-extension"
        settings.mkdir(parents=True, exist_ok=True)
        # The "get notified about Jupyter news?" toast would cover the page; offline there is no news anyway.
        (settings / "notification.jupyterlab-settings").write_text(json.dumps({"fetchNews": "false"}))
        cmd = [
            sys.executable, "-m", "jupyter", "lab", "--no-browser", f"--port={self.port}",
            f"--ServerApp.token={self.token}", "--ServerApp.ip=127.0.0.1", f"--ServerApp.root_dir={root}",
            "--allow-root",  # CI containers run as root; harmless otherwise
            # window.jupyterapp lets the test run Lab's own commands ("Run All Cells"), as the menu does
            "--LabApp.expose_app_in_browser=True", "--LabApp.news_url=None",
            f"--LabApp.workspaces_dir={state / 'workspaces'}", f"--LabApp.user_settings_dir={state / 'settings'}",
        ]
        full_env = dict(os.environ, JUPYTER_RUNTIME_DIR=str(state / "runtime"), **env)
        self.log = open(log_path, "w")
        self.proc = subprocess.Popen(cmd, env=full_env, cwd=root, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout_s
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"jupyter lab exited with {self.proc.returncode}; see {log_path}")
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{self.port}/api/status?token={self.token}", timeout=1)
                return
            except OSError:
                if time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(f"jupyter lab did not answer in {timeout_s:.0f} s; see {log_path}") from None
                time.sleep(0.2)

    def url(self, notebook: str) -> str:
        return f"http://127.0.0.1:{self.port}/lab/tree/{notebook}?token={self.token}"

    def stop(self) -> None:
        self.proc.terminate()  # the server shuts its kernels down on SIGTERM
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)
        self.log.close()


@pytest.fixture
def lab(tmp_path, tmp_home, artifacts_dir):
    """Factory: ``lab({"x.ipynb": [cell, ...]})`` writes the notebooks and starts JupyterLab on them."""
    servers = []

    def start(notebooks: dict[str, list[str]], *, user: str = "labtester") -> LabServer:
        root = tmp_path / "notebooks"
        root.mkdir(exist_ok=True)
        for name, cells in notebooks.items():
            write_notebook(root / name, cells)
        env = {"SORA_WIDGETS_HOME": str(tmp_home), "SORA_WIDGETS_USER": user}
        servers.append(LabServer(root, env=env, log_path=artifacts_dir / "lab-jupyterlab.log"))
        return servers[-1]

    yield start
    for s in servers:
        s.stop()


KERNEL_IDLE_JS = """() => {
  const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;
  const k = w && w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel;
  return !!k && k.connectionStatus === 'connected' && k.status === 'idle' && !!w.content && w.content.widgets.length > 0;
}"""


def open_and_run_all(page, server: LabServer, notebook: str) -> None:
    """Opens ``notebook`` in Lab, waits for its kernel, then runs Lab's "Run All Cells" command."""
    page.goto(server.url(notebook))
    page.wait_for_function(KERNEL_IDLE_JS, timeout=60_000)
    assert page.evaluate("() => window.jupyterapp.commands.hasCommand('notebook:run-all-cells')")
    page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")


def widget_failures(page) -> list[str]:
    text = page.locator(".jp-Notebook").inner_text()
    return [f for f in WIDGET_FAILURES if f in text]


PLAYER_JS = """async () => {
  const v = document.querySelector('.sw-main-player video');
  if (v.readyState < 1) await new Promise(r => v.addEventListener('loadedmetadata', r, {once: true}));
  const scrub = document.querySelector('.sw-main-player input.sw-player-scrub');
  return {duration: v.duration, src: v.src, width: v.videoWidth, height: v.videoHeight,
          scrubMax: scrub ? Number(scrub.max) : null,
          markers: Array.from(document.querySelectorAll('.sw-main-player .sw-player-marker')).map(m => Number(m.dataset.t))};
}"""


def test_prompt_studio_generates_a_playable_clip_in_jupyterlab(lab, page, tmp_home, artifacts_dir):
    server = lab({"studio.ipynb": [STUDIO_CELL]})
    t0 = time.monotonic()
    open_and_run_all(page, server, "studio.ipynb")
    page.locator(".sw-studio .sw-generate").wait_for(timeout=60_000)
    assert not widget_failures(page), widget_failures(page)
    assert "@labtester" in page.locator(".sw-studio").inner_text()
    page.screenshot(path=str(artifacts_dir / "lab-studio-ready.png"), full_page=True)

    # Real keystrokes, not fill(): in Lab a key that reaches the notebook in command mode is a shortcut
    # ("a" inserts a cell, "d d" deletes one). Typing must land in the widget's text box only.
    prompt = "a red ball bounces on a wooden floor"
    box = page.locator(".sw-prompt textarea")
    box.click()
    box.press_sequentially(prompt, delay=5)
    page.locator(".sw-duration input").fill("2")
    page.locator(".sw-duration input").press("Tab")
    page.wait_for_function("() => window.jupyterapp.shell.currentWidget.content.widgets.length === 1")
    assert box.input_value() == prompt
    time.sleep(0.3)  # let the changes reach the kernel before Generate reads them

    expect(page.locator("button.sw-generate")).to_be_enabled(timeout=120_000)
    page.get_by_role("button", name="Generate", exact=True).click()
    page.locator(".sw-main-player video").wait_for(timeout=60_000)
    got = page.evaluate(PLAYER_JS)
    assert got["src"].startswith("blob:"), got["src"]
    assert got["duration"] == pytest.approx(2.0, abs=0.1), got
    assert got["width"] == 256 and got["height"] == 256, got
    assert got["scrubMax"] == 2 * 24 - 1, "the frame scrubber does not count the clip's frames"
    assert got["markers"] and all(0 <= t <= 2.0 for t in got["markers"]), f"no event markers: {got['markers']}"
    # The label turns to "done" a moment after the video appears (encoding is reported last).
    expect(page.locator(".sw-progress-label")).to_contain_text("done", timeout=90_000)
    took = time.monotonic() - t0

    # The timeline pictures are drawn: the waveform canvas has non-background pixels.
    lit = page.evaluate("""() => {
      const c = document.querySelector('.sw-main-player canvas.sw-player-wave');
      const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      let n = 0; for (let i = 0; i < d.length; i += 4) if (d[i + 2] > 200) n++;
      return n;
    }""")
    assert lit > 50, "the waveform was not drawn"

    # The scrubber seeks the video to the middle of the chosen frame, as in Voila.
    page.locator(".sw-main-player input.sw-player-scrub").fill("12")
    page.wait_for_function("() => Math.abs(document.querySelector('.sw-main-player video').currentTime"
                           " - 12.5 / 24) < 0.02", timeout=5_000)
    page.screenshot(path=str(artifacts_dir / "lab-studio-generated.png"), full_page=True)
    assert not widget_failures(page), widget_failures(page)
    assert not page.console_errors, page.console_errors

    # The kernel got the server's environment: sw.login() made $SORA_WIDGETS_USER's account in the test's store.
    assert open_store(tmp_home).get_user("labtester")["handle"] == "labtester"
    assert took < 120, f"Lab start to a playable clip took {took:.0f} s"  # a hang guard, not a benchmark


REVIEW_CELL = """\
from sora_widgets.store import open_store
from sora_widgets.widgets import ReviewQueue

queue = ReviewQueue(open_store(), "rev_ann")
queue"""

NOTEBOOK_CELLS_JS = """() => window.jupyterapp.shell.currentWidget.content.widgets.map(c => c.model.type)"""


def seed_one_held_case(store) -> str:
    """A creator's clip held for review as possible hate speech, and a reviewer; returns the case id."""
    import numpy as np

    from sora_widgets.media import Clip
    from sora_widgets.moderation import Verdict
    from sora_widgets.moderation.service import hold_for_review, record_verdict

    store.create_user("alice", birthdate="1990-01-01", role="creator")
    store.create_user("rev_ann", birthdate="1990-01-01", role="reviewer")
    clip = Clip(np.full((12, 64, 64, 3), 90, np.uint8), np.zeros((1, 16_000), np.float32), 12, 16_000,
                {"prompt": "case"})
    clip_id = store.save_clip(clip, owner="alice", status="held")
    spans = [{"category": "hate", "start": 12, "end": 18, "text": "vermin", "source": "transcript",
              "transcript": "open"}]
    v = Verdict("review", {"hate": 0.55}, ["held for review as possible hate"], spans,
                {"speech": True, "transcript": "you are all vermin", "prompt": "case"}, ["hate"])
    record_verdict(store, v, target_kind="clip", target_id=clip_id, user="alice")
    return hold_for_review(store, clip_id, v, user="alice")


def test_review_queue_shortcut_keys_do_not_trigger_notebook_shortcuts(lab, page, store, tmp_home, artifacts_dir):
    """In Lab, "r" in command mode turns the active cell into a raw cell (and drops its output) and "a"
    inserts a cell: the queue's "r" = remove must decide the case and do nothing else to the notebook."""
    case_id = seed_one_held_case(store)
    server = lab({"review.ipynb": [REVIEW_CELL]}, user="rev_ann")
    open_and_run_all(page, server, "review.ipynb")
    page.locator(".sw-claim-next").wait_for(timeout=60_000)
    assert not widget_failures(page), widget_failures(page)
    page.locator(".sw-claim-next").click()
    page.locator(".sw-case-header").filter(has_text=case_id[:6]).wait_for(timeout=30_000)
    page.locator(".sw-case-header").click()  # focus inside the widget, outside the reason box
    page.keyboard.press("r")
    page.wait_for_selector(".sw-decided", timeout=30_000)
    page.screenshot(path=str(artifacts_dir / "lab-review-decided.png"), full_page=True)
    assert page.evaluate(NOTEBOOK_CELLS_JS) == ["code"], "the key also ran a notebook shortcut"
    decisions = store.sql("SELECT decision FROM review_decisions")
    assert list(decisions["decision"]) == ["remove"]
    # Keys the queue does not use keep their Lab meaning: "b" still inserts a cell below.
    page.keyboard.press("b")
    page.wait_for_function("() => window.jupyterapp.shell.currentWidget.content.widgets.length === 2", timeout=20_000)
    assert not page.console_errors, page.console_errors


GALLERY_CELLS = [
    """\
import sora_widgets as sw
from sora_widgets.social.accounts import sign_up
from sora_widgets.store import open_store
from sora_widgets.widgets import CameoMaker, ClipPlayer, RemixExplorer, SpaceTimeView

store = open_store()
sign_up(store, "labtester", birthdate="1990-05-01")
clip = sw.generate("a red ball bounces on a wooden floor", duration=1.0, fps=12, width=128, height=128, seed=3)
clip_id = store.save_clip(clip, owner="labtester", status="published")
player = ClipPlayer(clip)
player.add_class("sw-lab-player")
player""",
    "SpaceTimeView(clip)",
    "RemixExplorer(store, clip_id, show_3d=False)",
    'CameoMaker(store, "labtester")',
]


def test_every_widget_front_end_loads_in_jupyterlab(lab, page, artifacts_dir):
    """ClipPlayer, SpaceTimeView (ipyvolume), RemixExplorer and CameoMaker render in Lab's widget manager."""
    server = lab({"gallery.ipynb": GALLERY_CELLS})
    open_and_run_all(page, server, "gallery.ipynb")
    for selector in (".sw-lab-player video", ".sw-spacetime canvas", ".sw-remix-explorer .sw-node",
                     ".sw-cameo-maker .sw-cameo-canvas canvas"):
        page.locator(selector).first.wait_for(state="attached", timeout=60_000)
    duration = page.evaluate("""async () => {
      const v = document.querySelector('.sw-lab-player video');
      if (v.readyState < 1) await new Promise(r => v.addEventListener('loadedmetadata', r, {once: true}));
      return v.duration;
    }""")
    assert duration == pytest.approx(1.0, abs=0.1)
    assert page.locator(".sw-lab-player .sw-player-marker").count() >= 1
    assert page.locator(".sw-remix-explorer .sw-node").count() == 1
    page.wait_for_function("() => window.jupyterapp.shell.currentWidget.content.widgets"
                           ".every(c => c.model.executionCount !== null)", timeout=60_000)
    page.screenshot(path=str(artifacts_dir / "lab-gallery.png"), full_page=True)
    page.locator(".sw-cameo-maker").scroll_into_view_if_needed()  # Lab scrolls the notebook, not the page
    page.screenshot(path=str(artifacts_dir / "lab-gallery-cameo.png"), full_page=True)
    assert not widget_failures(page), widget_failures(page)
    errors = page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")
    assert errors.count() == 0, errors.all_inner_texts()
    assert not page.console_errors, page.console_errors
