"""Recording a cameo with the webcam, in Voila, in Debian's chromium.

Chromium's fake capture devices play files we write (a y4m video, a wav tone) as the camera and
the microphone, so the whole path is real: getUserMedia, ipywebrtc's VideoRecorder
(MediaRecorder, a webm with no duration in its header), the bytes' trip to the kernel, our
decoder, the CameoMaker canvas.
"""

from __future__ import annotations

import re
import wave

import numpy as np
import pytest
from conftest import give_password, launch_chromium, login
from playwright.sync_api import expect

from sora_widgets.serve import dashboards_dir
from sora_widgets.store import open_store

pytestmark = [pytest.mark.slow, pytest.mark.browser]

W, H, FPS = 320, 240, 15


def write_y4m(path, seconds: float = 4.0) -> None:
    """A blue scene with an orange square crossing it, as 4:2:0 y4m (what Chromium's fake camera reads)."""
    import cv2

    with open(path, "wb") as f:
        f.write(f"YUV4MPEG2 W{W} H{H} F{FPS}:1 Ip A1:1 C420jpeg\n".encode())
        for i in range(int(seconds * FPS)):
            rgb = np.zeros((H, W, 3), np.uint8)
            rgb[:] = (30, 60, 200)
            x = 20 + i * 4 % (W - 80)
            rgb[80:160, x:x + 60] = (250, 140, 20)
            f.write(b"FRAME\n" + cv2.cvtColor(rgb, cv2.COLOR_RGB2YUV_I420).tobytes())


def write_wav(path, seconds: float = 4.0, rate: int = 48_000) -> None:
    t = np.arange(int(seconds * rate)) / rate
    pcm = (0.4 * 32767 * np.sin(2 * np.pi * 440 * t)).astype("<i2")
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm.tobytes())


@pytest.fixture
def camera_page(tmp_path, playwright_driver):
    video, audio = tmp_path / "camera.y4m", tmp_path / "mic.wav"
    write_y4m(video)
    write_wav(audio)
    browser = launch_chromium(
        playwright_driver,
        "--use-fake-ui-for-media-stream",  # say yes to the camera prompt
        "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-video-capture={video}",
        f"--use-file-for-fake-audio-capture={audio}",
    )
    try:
        page = browser.new_context(viewport={"width": 1280, "height": 1400}).new_page()
        page.console_errors = []
        page.on("pageerror", lambda e: page.console_errors.append(str(e)))
        yield page
    finally:
        browser.close()


def test_record_yourself_with_the_webcam(tmp_path, voila, camera_page, artifacts_dir):
    page = camera_page
    home = tmp_path / "home"
    open_store(home).create_user("alice", birthdate="1990-01-01")
    server = voila(dashboards_dir(), env={"SORA_WIDGETS_HOME": str(home)}, name="webcam")
    login(page, server, give_password(home, "alice"), notebook="my_cameo.ipynb")
    page.wait_for_selector(".lm-TabBar-tab", timeout=120_000)
    page.locator(".lm-TabBar-tab", has_text="Make a cameo").click()
    maker = page.locator(".sw-cameo-maker")
    maker.get_by_text("Record with the webcam").click()
    # The camera is live: the recorder's stream shows the fake camera's frames.
    page.wait_for_function("""() => [...document.querySelectorAll('.sw-cameo-maker video')]
                                     .some(v => v.srcObject && v.videoWidth > 0)""", timeout=30_000)

    record = maker.locator(".widget-play button").first
    record.click()
    page.wait_for_timeout(2500)
    record.click()
    status = maker.locator(".sw-cameo-status")
    expect(status).to_contain_text("loaded", timeout=60_000)
    page.screenshot(path=str(artifacts_dir / "webcam-recorded.png"), full_page=True)
    text = status.inner_text()
    frames, seconds = (float(v) for v in re.search(r"loaded (\d+) frames, ([\d.]+) s", text).groups())
    assert 1.0 <= seconds <= 5.0 and frames >= 10, text  # about the 2.5 s recorded
    assert "no sound" not in text, text  # the fake microphone's tone arrived with the picture

    # The canvas shows the camera's scene: mostly blue, with the orange square.
    rgb = page.eval_on_selector(".sw-cameo-canvas canvas", """c => {
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let b = 0, o = 0, n = d.length / 4;
        for (let i = 0; i < d.length; i += 4) {
          if (d[i + 2] > 150 && d[i] < 90) b++;
          if (d[i] > 200 && d[i + 1] > 90 && d[i + 1] < 190 && d[i + 2] < 80) o++;
        }
        return {blue: b / n, orange: o / n};
    }""")
    assert rgb["blue"] > 0.5 and rgb["orange"] > 0.02, rgb
    assert not page.console_errors, page.console_errors


def test_no_webcam_says_so_and_offers_the_upload(tmp_path, voila, playwright_driver, artifacts_dir):
    """A machine without a camera (chromium with no fake capture device; CI has no /dev/video*): opening the
    section gives a sentence, not ipywebrtc's "Error creating view for mediastream: Requested device not found"."""
    home = tmp_path / "home"
    open_store(home).create_user("alice", birthdate="1990-01-01")
    server = voila(dashboards_dir(), env={"SORA_WIDGETS_HOME": str(home)}, name="nowebcam")
    browser = launch_chromium(playwright_driver, "--use-fake-ui-for-media-stream")  # says yes; finds no device
    try:
        page = browser.new_context(viewport={"width": 1280, "height": 1400}).new_page()
        errors = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        login(page, server, give_password(home, "alice"), notebook="my_cameo.ipynb")
        page.wait_for_selector(".lm-TabBar-tab", timeout=120_000)
        page.locator(".lm-TabBar-tab", has_text="Make a cameo").click()
        maker = page.locator(".sw-cameo-maker")
        maker.get_by_text("Record with the webcam").click()
        expect(maker.locator(".sw-cameo-webcam-missing")).to_contain_text("No webcam was found", timeout=60_000)
        page.screenshot(path=str(artifacts_dir / "webcam-missing.png"), full_page=True)
        assert "Error creating view" not in maker.inner_text()
        assert maker.locator("video").count() == 0
        expect(maker.locator(".sw-cameo-upload")).to_be_visible()
        assert not errors, errors
    finally:
        browser.close()
