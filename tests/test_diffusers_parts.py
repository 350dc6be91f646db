"""Unit checks of the pieces around the diffusers pipelines: soundtrack fitting, previews, frame grids."""

from __future__ import annotations

import numpy as np
import pytest

from sora_widgets.engines.diffusers.audio import fit_soundtrack
from sora_widgets.engines.diffusers.common import frames_to_uint8, valid_frame_count
from sora_widgets.engines.diffusers.preview import project_to_rgb


def test_fit_soundtrack_pads_trims_and_scales_peaks():
    loud = np.full((1, 2, 100), 3.0, np.float32)  # a batch of one, stereo, peak 3
    audio, sr, notes = fit_soundtrack(loud, 16_000, 0.01)
    assert audio.shape == (2, 160) and sr == 16_000 and audio.dtype == np.float32
    assert np.abs(audio).max() == pytest.approx(1.0) and audio[:, 100:].max() == 0.0
    assert any("peak" in n for n in notes)
    trimmed, _, _ = fit_soundtrack(np.zeros(1000, np.float32), 16_000, 0.01)
    assert trimmed.shape == (1, 160)


def test_fit_soundtrack_resamples_unusable_rates_and_silences_nans():
    tone = np.sin(np.linspace(0, 100, 400, dtype=np.float32))[None]
    tone[0, 5] = np.nan
    audio, sr, notes = fit_soundtrack(tone, 4, 100.0)  # a 4 Hz "model", like diffusers' test VAE
    assert sr == 48_000 and audio.shape == (1, 4_800_000) and np.isfinite(audio).all()
    assert any("resampled" in n for n in notes)


def test_valid_frame_count_is_the_next_causal_vae_length():
    assert [valid_frame_count(n, 8) for n in (1, 2, 9, 10, 24, 121)] == [1, 9, 9, 17, 25, 121]
    assert valid_frame_count(9, 4) == 9 and valid_frame_count(10, 4) == 13


def test_frames_to_uint8_trims_and_centre_crops():
    v = np.zeros((1, 9, 64, 96, 3), np.float32)
    v[0, :, :, 16:80] = 1.0  # the centre 64 columns are white
    out = frames_to_uint8(v, 7, 64, 64)
    assert out.shape == (7, 64, 64, 3) and out.dtype == np.uint8 and out.min() == 255


def test_preview_projection_is_fixed_and_shaped():
    rng = np.random.default_rng(0)
    lat = rng.normal(size=(128, 8, 12)).astype(np.float32)
    a = project_to_rgb(lat, (64, 96))
    assert a.shape == (64, 96, 3) and a.dtype == np.uint8
    assert np.array_equal(a, project_to_rgb(lat, (64, 96)))
    lat[0::3] += 10.0 * np.linspace(0, 1, 12)[None, None, :]  # a ramp in the "red" channel group
    red = project_to_rgb(lat, (8, 12))[..., 0].astype(int)
    assert red[:, -1].mean() > red[:, 0].mean() + 100
