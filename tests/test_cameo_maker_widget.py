"""CameoMaker in the kernel: what it tells the owner about a recording before any extraction."""

from __future__ import annotations

import numpy as np
import pytest

from sora_widgets.media import Clip
from sora_widgets.widgets.cameo_maker import CameoMaker


def mp4_bytes(tmp_path, *, with_sound: bool) -> bytes:
    frames = np.zeros((12, 64, 64, 3), np.uint8)
    frames[:, 16:48, 16:48] = (200, 60, 40)
    t = np.arange(48_000) / 48_000
    audio = (0.3 * np.sin(2 * np.pi * 440 * t) if with_sound else np.zeros_like(t)).astype(np.float32)[None]
    return Clip(frames, audio, fps=12, sample_rate=48_000).save(tmp_path / "take.mp4").read_bytes()


@pytest.fixture
def maker(store):
    store.create_user("ana", birthdate="1990-01-01")
    return CameoMaker(store, "ana")


def test_a_silent_recording_of_yourself_is_flagged_at_once(maker, tmp_path):
    maker.load_bytes(mp4_bytes(tmp_path, with_sound=False), "webcam.webm")
    assert maker.clip is not None and maker.clip.num_frames == 12
    assert "no sound" in maker.status.value and "microphone" in maker.status.value


def test_a_recording_with_sound_is_just_loaded(maker, tmp_path):
    maker.load_bytes(mp4_bytes(tmp_path, with_sound=True), "webcam.webm")
    assert "loaded 12 frames, 1.0 s" in maker.status.value and "no sound" not in maker.status.value


def test_animals_and_things_need_no_sound(maker, tmp_path):
    maker.kind.value = "animal"
    maker.load_bytes(mp4_bytes(tmp_path, with_sound=False), "rex.mp4")
    assert "loaded 12 frames" in maker.status.value and "no sound" not in maker.status.value


def test_a_corrupt_upload_is_explained_and_keeps_the_previous_video(maker, tmp_path):
    maker.load_bytes(mp4_bytes(tmp_path, with_sound=True), "good.mp4")
    before = maker.clip
    maker.load_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 100, "holiday.mp4")
    assert maker.clip is before
    assert "holiday.mp4" in maker.status.value and "b00020" in maker.status.value
