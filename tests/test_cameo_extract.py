"""Extraction against ground truth we make: cutouts moving over textures with camera shake, the astronaut panned and zoomed."""

from __future__ import annotations

import numpy as np
import pytest

from sora_widgets import cameo
from sora_widgets.cameo import synthetic
from sora_widgets.cameo.asset import CameoAsset, CameoError
from sora_widgets.media import Clip


def iou(a: np.ndarray, b: np.ndarray) -> float:
    return float((a & b).sum() / max(1, (a | b).sum()))


@pytest.mark.slow
@pytest.mark.parametrize("subject,background", [("cat", "grass"), ("cat", "cells"), ("mug", "brick"),
                                                ("rocket", "gravel")])
def test_box_prompted_masks_match_ground_truth(subject, background):
    clip, truth, box, kind = synthetic.moving_cutout_clip(subject, background, seed=3)
    asset = cameo.extract(clip, kind=kind, box=box)
    scores = [iou(m, t) for m, t in zip(asset.masks, truth, strict=True)]
    assert np.median(scores) >= 0.85, scores
    assert asset.cutouts.shape[0] == clip.num_frames and asset.cutouts.shape[-1] == 4
    # Feathered edges: some alpha strictly between 0 and 255, and a solid interior.
    alpha = asset.cutouts[..., 3]
    assert ((alpha > 0) & (alpha < 255)).any() and (alpha == 255).mean() > 0.3


def test_box_path_follows_a_moving_subject_quickly():
    clip, truth, box, kind = synthetic.moving_cutout_clip("mug", "grass", seconds=1.0, fps=8, size=128)
    asset = cameo.extract(clip, kind=kind, box=box)
    assert min(iou(m, t) for m, t in zip(asset.masks, truth, strict=True)) > 0.8
    # The tracked boxes move with the subject (a broken tracker that stays put fails this).
    true_x = [np.nonzero(t.any(0))[0].mean() for t in truth]
    got_x = (asset.boxes[:, 0] + asset.boxes[:, 2]) / 2
    assert np.abs(np.asarray(true_x) - got_x).max() < 6


@pytest.mark.slow
def test_person_mask_keeps_the_face_in_every_frame_of_a_pan_and_zoom():
    clip, faces = synthetic.astronaut_clip(seconds=2.0, fps=12, zoom=1.6)
    asset = cameo.extract(clip, kind="person")
    for t, (x0, y0, x1, y1) in enumerate(faces):
        inner = asset.masks[t, int(y0 + 0.1 * (y1 - y0)):int(y1 - 0.1 * (y1 - y0)),
                            int(x0 + 0.1 * (x1 - x0)):int(x1 - 0.1 * (x1 - x0))]
        assert inner.mean() > 0.95, t
    # The detected face boxes are really on her face (not a forced box somewhere else).
    found = np.asarray(asset.meta["face_boxes"], float)
    centres = (found[:, :2] + found[:, 2:]) / 2
    assert ((centres >= faces[:, :2]) & (centres <= faces[:, 2:])).all()
    # And the mask is a person, not the whole frame.
    assert 0.15 < asset.coverage.mean() < 0.85


def test_asset_round_trips_through_bytes():
    clip, _, box, kind = synthetic.moving_cutout_clip("mug", "grass", seconds=1.0, fps=8, size=96)
    a = cameo.extract(clip, kind=kind, box=box, name="mug")
    b = CameoAsset.from_bytes(a.to_bytes(), cameo_id="cm1")
    assert b.cameo_id == "cm1" and b.name == "mug" and b.kind == "object"
    assert np.array_equal(a.masks, b.masks) and np.array_equal(a.cutouts, b.cutouts)
    assert np.array_equal(a.boxes, b.boxes) and np.array_equal(a.still, b.still)


def _clip(frames, seconds=None, audio=None):
    return Clip(frames, np.zeros((1, 0), np.float32) if audio is None else audio, 8, 16_000)


@pytest.mark.parametrize("make,message", [
    (lambda: _clip(np.zeros((1, 64, 64, 3), np.uint8)), "still image"),
    (lambda: _clip(np.repeat(synthetic._background("grass")[None, :64, :64], 16, axis=0)), "still image"),
    (lambda: _clip(np.random.default_rng(0).integers(0, 255, (4, 64, 64, 3), dtype=np.uint8)), "at least 1 s"),
    (lambda: _clip(np.random.default_rng(0).integers(0, 255, (200, 16, 16, 3), dtype=np.uint8)), "at most 20 s"),
])
def test_bad_uploads_say_what_to_do(make, message):
    with pytest.raises(CameoError, match=message):
        cameo.extract(make(), kind="object", box=(4, 4, 30, 30))


def test_person_upload_without_a_face_is_refused():
    clip, _, _, _ = synthetic.moving_cutout_clip("mug", "grass", seconds=1.0, fps=8, size=96)
    with pytest.raises(CameoError, match="could not see your face.*face the light"):
        cameo.extract(clip, kind="person")


def test_box_mistakes_are_explained():
    clip, _, _, _ = synthetic.moving_cutout_clip("mug", "grass", seconds=1.0, fps=8, size=96)
    with pytest.raises(CameoError, match="needs a box"):
        cameo.extract(clip, kind="animal")
    with pytest.raises(CameoError, match="at least 8x8"):
        cameo.extract(clip, kind="object", box=(10, 10, 12, 12))
    with pytest.raises(CameoError, match="kind must be one of"):
        cameo.extract(clip, kind="robot")


@pytest.mark.slow
def test_voice_profile_from_speech():
    from sora_widgets.cameo.voice import voice_profile

    low, sr = synthetic.spoken("purple tiger guitar mountain and the garden", voice="en-us+m3", pitch=20)
    high, _ = synthetic.spoken("purple tiger guitar mountain and the garden", voice="en-us+f3", pitch=80)
    a, b = voice_profile(low[None], sr), voice_profile(high[None], sr)
    assert a and b and a["f0_hz"] < b["f0_hz"] and a["pitch"] < b["pitch"]
    assert b["espeak_voice"].endswith("f3") and 80 <= a["speed_wpm"] <= 260
    assert voice_profile(np.zeros((1, sr), np.float32), sr) is None


@pytest.mark.slow
@pytest.mark.parametrize("voice,pitch,wpm", [("en-us+m3", 25, 120), ("en-us+f3", 70, 200)])
def test_a_cameo_speaks_like_its_owner(voice, pitch, wpm):
    """Round trip: the settings measured from a voice, spoken back, sound like that voice
    (pitch within 5 %, speed within 25 %, the same male/female variant)."""
    from sora_widgets.cameo.voice import voice_profile
    from sora_widgets.engines.sim.speech import speak

    text = "the quick brown fox jumps over the lazy dog while the children watch from the window"
    owner = speak(text, voice, pitch, wpm)
    settings = voice_profile(owner[None], 48_000)
    assert settings["espeak_voice"] == voice
    assert settings["speed_wpm"] == pytest.approx(wpm, rel=0.25)
    copy = voice_profile(speak(text, settings["espeak_voice"], settings["pitch"], settings["speed_wpm"])[None], 48_000)
    assert copy["f0_hz"] == pytest.approx(settings["f0_hz"], rel=0.05)
