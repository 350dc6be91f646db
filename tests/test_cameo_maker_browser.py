"""An owner makes an animal cameo in Voila with the mouse: upload a video, drag a box on the first
frame, extract, scrub the mask overlay, name it, choose who may use it, create.

The video is synthetic (a cat cut from a photo moving over grass, camera shake), so the true
mask of every frame is known. It is 640 px square while the canvas is shown at most 512 CSS px
wide, so the drag goes through the widget's CSS-to-image scaling. Screenshots land in
test-artifacts/cameo-maker-*.png.
"""

from __future__ import annotations

import base64

import cv2
import numpy as np
import pytest
from conftest import give_password, login

from sora_widgets.cameo import synthetic
from sora_widgets.cameo.asset import CameoAsset
from sora_widgets.media import Clip
from sora_widgets.serve import dashboards_dir
from sora_widgets.store import open_store

pytestmark = [pytest.mark.slow, pytest.mark.browser]

IGNORED_CONSOLE = ("ERR_NAME_NOT_RESOLVED", "ERR_INTERNET_DISCONNECTED", "font-awesome", "fontawesome")
MAKER = ".sw-cameo-maker"
CANVAS = ".sw-cameo-canvas canvas"
SIZE = 640  # video side in pixels: bigger than the canvas's 512 CSS px, so CSS and image pixels differ


def iou(a: np.ndarray, b: np.ndarray) -> float:
    return float((a & b).sum() / max(1, (a | b).sum()))


def canvas_pixels(page) -> np.ndarray:
    """The canvas bitmap (H, W, 3) uint8 RGB at its own resolution (image pixels)."""
    url = page.eval_on_selector(CANVAS, "c => c.toDataURL('image/png')")
    png = np.frombuffer(base64.b64decode(url.split(",", 1)[1]), np.uint8)
    return cv2.cvtColor(cv2.imdecode(png, cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB)


def wait_for_canvas_change(page, before: np.ndarray, timeout_s: float = 30.0) -> np.ndarray:
    """Polls the canvas until its pixels differ from ``before`` (a new frame or overlay was drawn)."""
    deadline = page.evaluate("() => performance.now()") + timeout_s * 1000
    while True:
        now = canvas_pixels(page)
        if now.shape != before.shape or np.abs(now.astype(int) - before).max() > 0:
            return now
        if page.evaluate("() => performance.now()") > deadline:
            raise AssertionError("the canvas never changed")
        page.wait_for_timeout(100)


def wait_for_frame(page, frame: np.ndarray, timeout_s: float = 30.0) -> np.ndarray:
    """Polls the canvas until it shows ``frame`` (an overlay or a box may cover a minority of its pixels)."""
    deadline = page.evaluate("() => performance.now()") + timeout_s * 1000
    while True:
        now = canvas_pixels(page)
        if now.shape == frame.shape and np.median(np.abs(now.astype(int) - frame).sum(-1)) < 6:
            return now
        if page.evaluate("() => performance.now()") > deadline:
            raise AssertionError("the canvas never showed the expected frame")
        page.wait_for_timeout(100)


def tinted(shown: np.ndarray, frame: np.ndarray) -> np.ndarray:
    """Pixels the overlay changed: (H, W) bool where ``shown`` differs clearly from the plain ``frame``."""
    return np.abs(shown.astype(int) - frame.astype(int)).sum(-1) > 40


def content_box(page) -> dict:
    """The canvas's content box in CSS px (border excluded) and its bitmap size in image px."""
    return page.eval_on_selector(CANVAS, """c => { const r = c.getBoundingClientRect();
        return {left: r.left + c.clientLeft, top: r.top + c.clientTop, width: c.clientWidth,
                height: c.clientHeight, iw: c.width, ih: c.height}; }""")


def test_owner_drags_a_box_scrubs_the_mask_and_creates_an_animal_cameo(tmp_path, voila, page, artifacts_dir):
    home = tmp_path / "home"
    store = open_store(home)
    store.create_user("alice", birthdate="1990-01-01")
    clip, truth, true_box, kind = synthetic.moving_cutout_clip("cat", "grass", size=SIZE, seconds=2.0, fps=12,
                                                                   scale=0.25, seed=3)
    assert kind == "animal"
    video = tmp_path / "whiskers.mp4"
    clip.save(video)
    # The frames the widget will see: the same MP4 decoded by the same code (H.264 is lossy).
    decoded = Clip.load(video).frames
    assert len(decoded) == len(truth)

    server = voila(dashboards_dir(), env={"SORA_WIDGETS_HOME": str(home)}, name="cameo-maker")
    login(page, server, give_password(store, "alice"), notebook="my_cameo.ipynb")
    page.wait_for_selector(".lm-TabBar-tab", timeout=120_000)
    page.locator(".lm-TabBar-tab", has_text="Make a cameo").click()
    page.wait_for_selector(f"{MAKER} {CANVAS}", state="visible", timeout=30_000)
    page.locator(f"{MAKER} button", has_text="An animal").click()
    page.wait_for_function("() => document.querySelector('.sw-cameo-maker').innerText.includes('drag a box')")

    # Upload as a user does: click the FileUpload button, pick the file in the chooser. (ipywidgets 8
    # makes its <input type=file> on the fly and never attaches it, so there is none to target.)
    with page.expect_file_chooser() as chooser:
        page.click(f"{MAKER} .sw-cameo-upload")
    chooser.value.set_files(str(video))
    page.wait_for_function("() => document.querySelector('.sw-cameo-maker .sw-cameo-status').innerText.includes('loaded 24 frames')",
                           timeout=60_000)
    page.wait_for_function(f"() => document.querySelector('{CANVAS}').width === {SIZE}", timeout=30_000)
    first = wait_for_frame(page, decoded[0])
    assert np.abs(first.astype(int) - decoded[0]).mean() < 3  # exactly the first frame, no overlay yet

    # Drag a box around the cat with the mouse, in CSS pixels of the shown canvas.
    geo = content_box(page)
    assert geo["iw"] == SIZE and geo["width"] < SIZE - 50, geo  # shown scaled down: the conversion matters
    sx, sy = geo["width"] / geo["iw"], geo["height"] / geo["ih"]
    x0, y0, x1, y1 = true_box
    start = (geo["left"] + x0 * sx, geo["top"] + y0 * sy)
    end = (geo["left"] + x1 * sx, geo["top"] + y1 * sy)
    page.mouse.move(*start)
    page.mouse.down()
    for f in np.linspace(0.2, 1.0, 5):
        page.mouse.move(start[0] + f * (end[0] - start[0]), start[1] + f * (end[1] - start[1]))
    page.mouse.up()
    # The image-pixel box the widget should have made of the drag (round(css * image / shown)).
    dragged = [round((start[0] - geo["left"]) / sx), round((start[1] - geo["top"]) / sy),
               round((end[0] - geo["left"]) / sx), round((end[1] - geo["top"]) / sy)]
    assert np.abs(np.subtract(dragged, true_box)).max() <= 1
    with_box = wait_for_canvas_change(page, first)
    # The widget draws the box it stored as a yellow outline: it lies where the drag went, to the pixel.
    yellow = (with_box[..., 0] > 230) & (with_box[..., 1] > 190) & (with_box[..., 2] < 60) & ~(
        (first[..., 0] > 230) & (first[..., 1] > 190) & (first[..., 2] < 60))
    ys, xs = np.nonzero(yellow)
    # A 2 px stroke on integer coordinates covers pixels x - 1 and x.
    drawn = [int(xs.min()) + 1, int(ys.min()) + 1, int(xs.max()), int(ys.max())]
    assert np.abs(np.subtract(drawn, dragged)).max() <= 1, (drawn, dragged, geo)
    page.screenshot(path=str(artifacts_dir / "cameo-maker-box.png"))

    # Extract: the mask overlay appears on frame 0, over the cat.
    page.click(f"{MAKER} .sw-cameo-extract")
    page.wait_for_function("() => document.querySelector('.sw-cameo-maker .sw-cameo-status').innerText.includes('found in 24 frames')",
                           timeout=120_000)
    shown0 = wait_for_canvas_change(page, with_box)
    assert iou(tinted(shown0, decoded[0]), truth[0]) > 0.8
    page.screenshot(path=str(artifacts_dir / "cameo-maker-mask-frame1.png"))

    # Scrub: click a quarter of the way along the slider; the overlay follows the cat there.
    slider = page.locator(f"{MAKER} .sw-cameo-scrub").bounding_box()
    page.mouse.click(slider["x"] + 0.27 * slider["width"], slider["y"] + slider["height"] / 2)
    page.wait_for_function("() => !document.querySelector('.sw-cameo-frame-label').innerText.startsWith('frame 1 /')")
    label = page.inner_text(f"{MAKER} .sw-cameo-frame-label")
    t = int(label.split()[1]) - 1
    assert 3 <= t <= 9, label  # a frame where the cat has moved well away from frame 1
    assert iou(truth[t], truth[0]) < 0.6, (label, iou(truth[t], truth[0]))
    shown_t = wait_for_frame(page, decoded[t])
    mask_t = tinted(shown_t, decoded[t])
    assert iou(mask_t, truth[t]) > 0.8 and iou(mask_t, truth[t]) > iou(mask_t, truth[0]) + 0.2
    page.screenshot(path=str(artifacts_dir / "cameo-maker-mask-scrubbed.png"))
    # The box belongs to frame 1: pressing on another frame goes back there instead of starting a box.
    page.mouse.click(geo["left"] + 20, geo["top"] + 20)
    page.wait_for_function("() => document.querySelector('.sw-cameo-frame-label').innerText.startsWith('frame 1 /')")
    assert "found in 24 frames" in page.inner_text(f"{MAKER} .sw-cameo-status")  # the mask was kept

    # Name it, let followers use it, create.
    page.fill(f"{MAKER} input[placeholder='e.g. rex_the_dog']", "whiskers")
    page.select_option(f"{MAKER} select", label="My followers")
    page.click(f"{MAKER} .sw-cameo-create")
    page.wait_for_function("() => document.querySelector('.sw-cameo-maker .sw-cameo-status').innerText.includes('created @whiskers')",
                           timeout=60_000)
    page.screenshot(path=str(artifacts_dir / "cameo-maker-created.png"))
    page.locator(".lm-TabBar-tab", has_text="My cameos").click()
    page.wait_for_function("() => document.querySelector('.sw-my-cameos').innerText.includes('@whiskers')",
                           timeout=30_000)

    # In the DuckDB file: right owner, kind and audience; the box and the masks match the truth.
    rows = store.sql("SELECT cameo_id, owner, kind, name, audience, status, asset_hash FROM cameos", [])
    assert len(rows) == 1
    row = rows.iloc[0]
    assert (row["name"], row["owner"], row["kind"], row["audience"], row["status"]) == (
        "whiskers", "alice", "animal", "followers", "active")
    asset = CameoAsset.from_bytes(store.media_bytes(row["asset_hash"]))
    assert asset.masks.shape == truth.shape
    # Stored boxes are the masks' boxes; the drag had a 4 px margin around the cat.
    assert np.abs(np.asarray(asset.boxes[0], int) - dragged).max() <= 8, (asset.boxes[0], dragged)
    scores = [iou(m, g) for m, g in zip(asset.masks, truth, strict=True)]
    assert np.median(scores) >= 0.85 and min(scores) >= 0.75, scores
    audit = store.sql("SELECT action FROM audit_log WHERE target_id = ? ORDER BY action", [row["cameo_id"]])
    assert list(audit.action) == ["cameo.audience", "cameo.create"]
    errors = [e for e in page.console_errors if not any(s in e for s in IGNORED_CONSOLE)]
    assert not errors, errors
