"""The provenance dashboard in a real browser: a person drops a file and reads whether it was made here.

An original published clip, a re-encoded copy, a copy whose manifest was stripped and an unrelated
ffmpeg test pattern go through the FileUpload of dashboards/provenance.ipynb served by Voila (with a
login); each shows its verdict (the ``data-verdict`` of the verdict line) and, when made here, the clip.
"""

from __future__ import annotations

import shutil
import subprocess

import pytest
from conftest import login, make_account

from sora_widgets.publishing import generate_checked, publish
from sora_widgets.serve import dashboards_dir
from sora_widgets.store import open_store

pytestmark = [pytest.mark.slow, pytest.mark.browser]

PANEL = ".sw-provenance"


def ffmpeg(*args: str) -> None:
    subprocess.run([shutil.which("ffmpeg"), "-y", "-loglevel", "error", *args], check=True)


def test_the_dashboard_grades_an_original_a_re_encoded_a_stripped_and_an_unrelated_video(
        tmp_path, voila, page, chromium_available):
    if shutil.which("ffmpeg") is None:
        pytest.skip("ffmpeg is missing")
    home = tmp_path / "home"
    store = open_store(home)
    alice = make_account(store, "alice")
    make_account(store, "vera")
    clip = generate_checked(store, "a red ball bounces on a wooden floor", user=alice, seed=21, duration=3.0)
    clip_id = publish(store, clip, user=alice).clip_id
    original = store.media_path(store.clip_info(clip_id)["media_hash"])
    ffmpeg("-i", str(original), "-c:v", "libx264", "-crf", "28", "-c:a", "aac", "-b:a", "64k",
           str(tmp_path / "reencoded.mp4"))
    ffmpeg("-i", str(original), "-c", "copy", "-map_metadata", "-1", str(tmp_path / "stripped.mp4"))
    ffmpeg("-f", "lavfi", "-i", "testsrc=size=256x256:rate=24:duration=3", "-f", "lavfi", "-i",
           "sine=frequency=440:duration=3", "-pix_fmt", "yuv420p", "-c:a", "aac", str(tmp_path / "unrelated.mp4"))
    shutil.copy(original, tmp_path / "original.mp4")
    files = {name: tmp_path / name for name in ("original.mp4", "reencoded.mp4", "stripped.mp4", "unrelated.mp4")}

    server = voila(dashboards_dir(), env={"SORA_WIDGETS_HOME": str(home)}, name="provenance")
    login(page, server, "vera", notebook="provenance.ipynb")  # anyone may ask; vera made none of it
    page.wait_for_selector(f"{PANEL} .sw-provenance-upload", timeout=120_000)

    seen = {}
    for name, path in files.items():
        with page.expect_file_chooser() as chooser:
            page.click(f"{PANEL} .sw-provenance-upload")
        chooser.value.set_files(str(path))
        page.wait_for_function(
            "name => { const p = document.querySelector('.sw-provenance');"
            " return p.querySelector('.sw-provenance-status').innerText.trim() === name"
            " && p.querySelector('.sw-provenance-verdict') !== null; }",
            arg=name, timeout=120_000)
        verdict = page.get_attribute(f"{PANEL} .sw-provenance-verdict", "data-verdict")
        text = page.inner_text(f"{PANEL} .sw-provenance-result")
        seen[name] = (verdict, text)

    assert seen["original.mp4"][0] == "intact" and "signed here and intact" in seen["original.mp4"][1]
    assert seen["stripped.mp4"][0] == "stripped" and "metadata stripped" in seen["stripped.mp4"][1]
    assert seen["reencoded.mp4"][0] in ("stripped", "copy")
    for name in ("original.mp4", "stripped.mp4", "reencoded.mp4"):
        assert clip_id in seen[name][1] and "@alice" in seen[name][1], seen[name][1]
    assert seen["unrelated.mp4"][0] == "none" and "no evidence" in seen["unrelated.mp4"][1]
    assert clip_id not in seen["unrelated.mp4"][1]
    page.screenshot(path=str(tmp_path / "provenance.png"))
