"""Liveness (issue 17 item 3): the words must come from the face on screen. A talking face in sync passes;
the still photo panned like a phone with the phrase dubbed over it fails, and so does the talking face with
its sound a second late or early. Larger corpus and rates: benchmarks/cameo_bench.py (liveness section)."""

from __future__ import annotations

import importlib

import numpy as np
import pytest
from corpus_faces import LIVENESS_EXPECT, liveness_case

from sora_widgets.cameo import liveness, synthetic

V = importlib.import_module("sora_widgets.cameo.verify")

SEEDS = (1, 2)


@pytest.mark.parametrize("kind", ["live", "photo", "late_1s", "early_1s"])
def test_lips_must_move_with_the_words(kind):
    for seed in SEEDS:
        clip, _ = liveness_case(kind, seed, size=128, fps=12)
        r = liveness.check_clip(clip)
        assert r.passed is LIVENESS_EXPECT[kind], (kind, seed, r)
        if not r.passed:
            assert r.reason
        if kind.endswith("_1s"):  # said as such: the sound is out of step, by about the second it was moved
            assert r.reason == liveness.SHIFTED and abs(abs(r.lag_s) - 1.0) <= 0.25, r
            assert np.sign(r.lag_s) == (1 if kind == "late_1s" else -1)


def test_a_small_sync_offset_like_a_webcams_still_passes():
    x, sr = synthetic.spoken("purple rabbit candle forest")
    clip, _ = synthetic.astronaut_clip(audio=x, sample_rate=sr, size=128, fps=12, talking=True)
    late = np.zeros_like(clip.audio)
    shift = int(0.15 * sr)  # sound 150 ms after the picture
    late[:, shift:] = clip.audio[:, :-shift]
    r = liveness.check_clip(type(clip)(clip.frames, late, clip.fps, clip.sample_rate))
    assert r.passed, r


def test_silence_gives_no_sync_and_no_crash():
    clip, _ = synthetic.astronaut_clip(audio=np.zeros(22_050, np.float32), size=96, fps=8)
    r = liveness.check_clip(clip)
    assert not r.passed and r.corr == 0.0


@pytest.mark.slow
def test_verify_turns_down_a_photo_with_the_phrase_played_beside_it():
    phrase = "orange tiger piano river"
    x, sr = synthetic.spoken(phrase)
    photo, _ = synthetic.astronaut_clip(audio=x, sample_rate=sr, size=128, fps=12, talking=False)
    r = V.verify(photo, phrase)
    assert not r.passed and liveness.NOT_IN_SYNC in r.reasons, r
    assert r.details["liveness"]["passed"] is False and r.details["face_fraction"] == 1.0
