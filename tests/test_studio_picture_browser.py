""""Start from a picture" in the Studio (issue 18 item 5), in Debian's chromium through Voila.

A user drops a photo not made by us (scikit-image's chelsea the cat), writes "the cat jumps" and generates:
the video the page plays starts on the photo and the cat rises out of it. A file that is not a picture is
refused with words; "Use this frame" takes a frame of the take. Screenshots land in test-artifacts/.
"""

from __future__ import annotations

import base64
import io

import cv2
import numpy as np
import pytest
from PIL import Image
from playwright.sync_api import expect
from skimage import data
from test_studio_browser import open_studio, real_errors

from sora_widgets.media import Clip
from sora_widgets.pictures import fit_picture, picture_sha256, read_picture
from sora_widgets.store import open_store

pytestmark = [pytest.mark.slow, pytest.mark.browser]

MP4_JS = """async () => {
  const v = document.querySelector('.sw-main-player video');
  const buf = new Uint8Array(await (await fetch(v.src)).arrayBuffer());
  let s = ''; for (let i = 0; i < buf.length; i += 0x8000) s += String.fromCharCode.apply(null, buf.subarray(i, i + 0x8000));
  return btoa(s);
}"""


def _jpeg(img: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(img).save(buf, format="JPEG", quality=92)
    return buf.getvalue()


def test_drop_a_picture_and_animate_it_in_the_browser(voila, page, tmp_home, artifacts_dir):
    open_studio(voila, page, tmp_home, "picture_tester")

    def choose(name: str, mime: str, content: bytes) -> None:
        # the button opens the browser's file chooser (its <input type=file> is hidden)
        with page.expect_file_chooser() as fc:
            page.locator(".sw-picture-upload").click()
        fc.value.set_files(files=[{"name": name, "mimeType": mime, "buffer": content}])

    # The button says what it does, without ipywidgets' upload counter ("Start from a picture (0)").
    expect(page.get_by_role("button", name="Start from a picture", exact=True)).to_be_visible(timeout=60_000)
    # Not a picture: refused with words, nothing chosen.
    choose("notes.png", "image/png", b"not a picture")
    expect(page.locator(".sw-picture-error")).to_contain_text("not a PNG, JPEG or WebP", timeout=60_000)
    expect(page.locator(".sw-picture-thumb")).to_be_hidden()

    photo = _jpeg(data.chelsea())
    choose("chelsea.jpg", "image/jpeg", photo)
    expect(page.locator(".sw-picture-info")).to_contain_text("chelsea.jpg, 451×300", timeout=60_000)
    expect(page.locator(".sw-picture-thumb")).to_be_visible()

    page.get_by_label("Prompt", exact=True).fill("the cat jumps")
    page.get_by_role("button", name="Generate", exact=True).click()
    page.locator(".sw-main-player video").wait_for(timeout=180_000)
    expect(page.locator(".sw-progress-label")).to_contain_text("done", timeout=120_000)
    page.screenshot(path=str(artifacts_dir / "studio-picture.png"), full_page=True)
    # The line under the clip says in words what was cut out (not the internal name "@picture").
    expect(page.locator(".sw-understood")).to_contain_text("cut out of your picture", timeout=60_000)
    expect(page.locator(".sw-understood")).not_to_contain_text("@picture")
    expect(page.get_by_role("button", name="Start from a picture", exact=True)).to_be_visible()

    clip = Clip.from_bytes(base64.b64decode(page.evaluate(MP4_JS)))
    frames = clip.frames
    h, w = frames.shape[1:3]
    # The clip starts on the photo: its middle is found in the fitted photo almost exactly (H.264 aside).
    fitted = fit_picture(read_picture(photo), w, h)
    cy, cx = h // 2, w // 2
    tmpl = np.ascontiguousarray(frames[0][cy - 20: cy + 20, cx - 30: cx + 30])
    assert cv2.minMaxLoc(cv2.matchTemplate(fitted, tmpl, cv2.TM_SQDIFF_NORMED))[0] < 0.03
    # The cat rises out of it: that patch is found higher up in a later frame, by more than a tenth of the frame
    # (the camera moves the picture by under 8 % of the width, sideways, over the whole clip).
    rise = []
    for f in frames[: int(clip.fps * 1.5)]:
        _, _, (_, my), _ = cv2.minMaxLoc(cv2.matchTemplate(np.ascontiguousarray(f), tmpl, cv2.TM_SQDIFF_NORMED))
        rise.append((cy - 20) - my)
    assert max(rise) > 0.1 * h, rise

    # The picture went through the image moderation, recorded against its hash.
    store = open_store(tmp_home)
    rows = store.sql("SELECT decision, target_id FROM moderation_verdicts WHERE target_kind = 'picture'")
    assert rows.values.tolist() == [["allow", picture_sha256(read_picture(photo))]]

    # "Use this frame" takes a frame of the take as the next start picture.
    page.get_by_role("button", name="Use this frame").click()
    expect(page.locator(".sw-picture-info")).to_contain_text("frame at", timeout=60_000)
    page.get_by_role("button", name="Remove picture").click()
    expect(page.locator(".sw-picture-thumb")).to_be_hidden(timeout=60_000)
    assert not real_errors(page), real_errors(page)
