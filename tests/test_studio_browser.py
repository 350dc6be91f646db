"""The Studio dashboard in Voila, driven in Debian's chromium: generate, watch, play with sound, publish, cancel.

Screenshots land in test-artifacts/ (look at them when a test fails).
"""

from __future__ import annotations

import base64
import re
import time

import pytest
from conftest import login, make_account
from playwright.sync_api import expect

from sora_widgets.media import Clip
from sora_widgets.serve import dashboards_dir
from sora_widgets.store import open_store

pytestmark = [pytest.mark.slow, pytest.mark.browser]

#: Offline, Voila's template cannot fetch Font Awesome from its CDN (NOTES.md); nothing else may fail.
IGNORED_CONSOLE = ("ERR_NAME_NOT_RESOLVED", "ERR_INTERNET_DISCONNECTED", "font-awesome", "fontawesome")

WATCH_JS = """() => {
  // Record every width the progress bar takes and every preview image shown.
  window.__sw = {widths: [], previews: new Set()};
  const note = () => {
    const bar = document.querySelector('.sw-progress .progress-bar');
    if (bar && bar.style.width) window.__sw.widths.push(parseFloat(bar.style.width));
    const img = document.querySelector('img.sw-preview, .sw-preview img');
    if (img && img.src && img.offsetParent !== null) window.__sw.previews.add(img.src);
  };
  new MutationObserver(note).observe(document.body, {subtree: true, attributes: true, childList: true});
}"""

PLAY_JS = """async () => {
  const v = document.querySelector('.sw-main-player video');
  if (v.readyState < 1) await new Promise(r => v.addEventListener('loadedmetadata', r, {once: true}));
  const t0 = v.currentTime;
  await v.play();
  // Up to 20 s for 0.6 s of playback: a loaded machine can stall the first frames of headless playback.
  for (let i = 0; i < 200 && v.currentTime - t0 <= 0.6; i++) await new Promise(r => setTimeout(r, 100));
  const out = {duration: v.duration, t0, t1: v.currentTime, paused: v.paused,
               audioBytes: v.webkitAudioDecodedByteCount, videoBytes: v.webkitVideoDecodedByteCount};
  v.pause();
  const buf = new Uint8Array(await (await fetch(v.src)).arrayBuffer());
  let s = ''; for (let i = 0; i < buf.length; i += 0x8000) s += String.fromCharCode.apply(null, buf.subarray(i, i + 0x8000));
  out.mp4 = btoa(s);
  return out;
}"""


def open_studio(voila, page, home, user):
    server = voila(dashboards_dir(), env={"SORA_WIDGETS_HOME": str(home)}, name="studio")
    login(page, server, make_account(open_store(home), user), notebook="studio.ipynb")
    page.wait_for_selector(".sw-generate, .sw-dashboard-error", timeout=120_000)
    assert page.locator(".sw-dashboard-error").count() == 0, page.locator(".sw-dashboard-error").inner_text()
    # Generate stays disabled until the engine check names an engine that can run (sim, within seconds):
    # enabled in the page means the kernel's background change reached the browser (the studio resends it
    # once the page says it is drawn; ipywidgets drops updates sent while a page loads).
    expect(page.locator("button.sw-generate")).to_be_enabled(timeout=120_000)
    return server


def real_errors(page):
    return [e for e in page.console_errors if not any(s in e for s in IGNORED_CONSOLE)]


def test_generate_play_and_publish_in_the_browser(voila, page, tmp_home, artifacts_dir):
    open_studio(voila, page, tmp_home, "browser_tester")
    assert "@browser_tester" in page.locator(".sw-who").inner_text()
    page.get_by_label("Prompt", exact=True).fill("a red ball bounces on a wooden floor")
    page.evaluate(WATCH_JS)
    page.get_by_role("button", name="Generate", exact=True).click()
    page.locator(".sw-main-player video").wait_for(timeout=120_000)
    seen = page.evaluate("() => ({widths: window.__sw.widths, previews: window.__sw.previews.size})")
    assert any(0 < w < 100 for w in seen["widths"]), f"the progress bar never showed progress: {seen['widths']}"
    assert seen["previews"] >= 1, "no preview frame appeared while generating"
    # The label turns to "done" a moment after the video appears (encoding is reported last).
    expect(page.locator(".sw-progress-label")).to_contain_text("done", timeout=90_000)
    # The bounces are marked on the timeline (sim clips carry contact events).
    assert page.locator(".sw-main-player .sw-marker-contact").count() >= 1
    page.screenshot(path=str(artifacts_dir / "studio-generated.png"), full_page=True)

    played = page.evaluate(PLAY_JS)
    assert played["duration"] == pytest.approx(4.0, abs=0.1)
    assert played["t1"] - played["t0"] > 0.5, f"the video did not play: {played}"
    assert played["audioBytes"] > 0, "chromium decoded no audio while playing"
    clip = Clip.from_bytes(base64.b64decode(played["mp4"]))
    assert clip.audio.shape[1] > 0 and abs(clip.audio).max() > 0.01, "the MP4 in the page has no sound"
    assert clip.num_frames == 96
    page.screenshot(path=str(artifacts_dir / "studio-playing.png"), full_page=True)

    page.get_by_role("button", name="Publish", exact=True).click()
    # What the user reads: "published · clip id c…" (or "held" with the reasons).
    result = page.locator(".sw-publish-result")
    expect(result).to_contain_text("clip id", timeout=120_000)
    clip_id = re.search(r"clip id (\S+)", result.inner_text()).group(1)
    page.screenshot(path=str(artifacts_dir / "studio-published.png"), full_page=True)
    info = open_store(tmp_home).clip_info(clip_id)
    assert info["owner"] == "browser_tester"
    assert info["status"] in ("published", "held")
    assert info["status"] in page.locator(".sw-publish-result").inner_text()
    assert not real_errors(page), real_errors(page)


def test_cancel_a_long_generation_in_the_browser(voila, page, tmp_home, artifacts_dir):
    open_studio(voila, page, tmp_home, "canceller")
    page.get_by_label("Prompt", exact=True).fill("three balls bounce down a staircase")
    page.locator(".sw-duration input").fill("20")
    page.locator(".sw-duration input").press("Tab")
    page.locator(".sw-size select").select_option(label="768 px")
    time.sleep(0.3)  # let the two changes reach the kernel before Generate reads them
    page.get_by_role("button", name="Generate", exact=True).click()
    label = page.locator(".sw-progress-label")
    page.wait_for_function("() => /step [1-9]/.test(document.querySelector('.sw-progress-label').innerText)",
                           timeout=60_000)
    total = int(re.search(r"step \d+/(\d+)", label.inner_text()).group(1))
    assert total >= 480, label.inner_text()  # 20 s at 24 fps (480 frames) really was requested

    # The kernel still answers other widgets while it generates: the dice changes the seed.
    seed = page.locator(".sw-seed input")
    before = seed.input_value()
    page.locator(".sw-dice").click()
    page.wait_for_function(f"() => document.querySelector('.sw-seed input').value !== '{before}'", timeout=5_000)
    assert page.locator(".sw-cancel").is_enabled(), "generation ended before the responsiveness check"
    page.screenshot(path=str(artifacts_dir / "studio-before-cancel.png"), full_page=True)

    t0 = time.monotonic()
    page.get_by_role("button", name="Cancel", exact=True).click()
    page.wait_for_function("() => document.querySelector('.sw-progress-label').innerText === 'cancelled'",
                           timeout=15_000)
    took = time.monotonic() - t0
    assert took < 10, f"cancel took {took:.1f} s"
    expect(page.locator(".sw-status")).to_contain_text("cancelled", timeout=10_000)
    assert page.locator(".sw-main-player video").count() == 0
    assert page.get_by_role("button", name="Generate", exact=True).is_enabled()
    page.screenshot(path=str(artifacts_dir / "studio-cancelled.png"), full_page=True)
    assert not real_errors(page), real_errors(page)


#: A canvas's picture: its data URL and how many pixels are clearly coloured (not the grey box or black).
CANVAS_DIGEST_JS = """c => {
  const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  let coloured = 0;
  for (let i = 0; i < d.length; i += 4) {
    const mx = Math.max(d[i], d[i + 1], d[i + 2]), mn = Math.min(d[i], d[i + 1], d[i + 2]);
    if (mx - mn > 60) coloured++;
  }
  return {coloured, url: c.toDataURL()};
}"""


def test_compare_two_takes_in_sync_and_the_space_time_view(voila, page, tmp_home, artifacts_dir):
    open_studio(voila, page, tmp_home, "comparer")
    page.get_by_label("Prompt", exact=True).fill("a red ball bounces on a wooden floor")
    page.locator(".sw-duration input").fill("1")
    page.locator(".sw-duration input").press("Tab")
    for n in (1, 2):
        page.locator(".sw-seed input").fill(str(n))
        page.locator(".sw-seed input").press("Tab")
        time.sleep(0.3)
        page.get_by_role("button", name="Generate", exact=True).click()
        page.locator(".sw-history-item").nth(n - 1).wait_for(timeout=120_000)
    for box in page.locator(".sw-history-compare input").all():
        box.check()
    players = page.locator(".sw-compare .sw-player")
    players.nth(1).wait_for(timeout=30_000)
    # Scrub the left take to frame 10 (index 9): the right one follows, through the browser-side link.
    players.nth(0).locator(".sw-player-scrub").evaluate(
        "el => { el.value = '9'; el.dispatchEvent(new Event('input', {bubbles: true})); }")
    page.wait_for_function(
        "() => document.querySelectorAll('.sw-compare .sw-player-time')[1].innerText.startsWith('frame 10/')",
        timeout=10_000)
    right = players.nth(1).locator("video").evaluate("v => v.currentTime")
    assert right == pytest.approx(9.5 / 24, abs=1e-3)  # the middle of frame index 9
    # Loop and play are linked too.
    players.nth(0).locator(".sw-player-loop").check()
    page.wait_for_function("() => document.querySelectorAll('.sw-compare video')[1].loop === true", timeout=10_000)
    players.nth(0).locator(".sw-player-play").click()
    page.wait_for_function("() => !document.querySelectorAll('.sw-compare video')[1].paused", timeout=10_000)
    players.nth(1).locator(".sw-player-play").click()  # pausing the right one pauses the left
    page.wait_for_function("() => document.querySelectorAll('.sw-compare video')[0].paused", timeout=10_000)
    page.screenshot(path=str(artifacts_dir / "studio-compare.png"), full_page=True)

    page.get_by_role("button", name="Space-time view").click()
    # The canvas (space_time.js) marks its element with how many points it drew: the bouncing ball's tube.
    drawn = page.locator(".sw-spacetime [data-drawn]")
    drawn.wait_for(timeout=60_000)
    assert int(drawn.get_attribute("data-drawn")) > 20
    canvas = page.locator(".sw-spacetime canvas").first
    before = canvas.evaluate(CANVAS_DIGEST_JS)
    assert before["coloured"] > 20, before  # dots in colour, not only the grey box
    # Dragging rotates the view: the picture changes.
    box = canvas.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] / 2 + 80, box["y"] + box["height"] / 2 + 20, steps=5)
    page.mouse.up()
    page.wait_for_function("([el, d]) => el.toDataURL() !== d", arg=[canvas.element_handle(), before["url"]],
                           timeout=10_000)
    page.locator(".sw-spacetime").screenshot(path=str(artifacts_dir / "studio-spacetime.png"))
    assert not real_errors(page), real_errors(page)
