"""SpaceTimeView: moving things make a tube through (x, y, t); still pictures make nothing."""

from __future__ import annotations

import numpy as np
import pytest

from sora_widgets.media import Clip
from sora_widgets.widgets.space_time import motion_mask, motion_points


def test_a_sliding_square_draws_a_tube_that_moves_right_over_time(square_clip):
    p = motion_points(square_clip)
    assert p["x"].size > 50
    assert p["color"].shape == (p["x"].size, 3)
    assert np.corrcoef(p["t"], p["x"])[0, 1] > 0.9  # x grows with t: the square goes left to right
    assert 0 <= p["t"].min() and p["t"].max() <= square_clip.duration
    assert abs(float(p["y"].mean()) - 0.5) < 0.1  # it stays at mid height
    assert p["color"].mean() > 0.9  # the moving thing is the white square


def test_a_still_clip_has_no_motion():
    frames = np.repeat(np.random.default_rng(1).integers(0, 255, (1, 40, 40, 3), dtype=np.uint8), 8, axis=0)
    still = Clip(frames, np.zeros((1, 0), np.float32), 8, 48_000)
    mask, small = motion_mask(still.frames)
    assert not mask.any() and small.shape[0] == 8
    assert motion_points(still)["x"].size == 0


def test_points_are_capped_and_downsampled():
    rng = np.random.default_rng(2)
    noisy = Clip(rng.integers(0, 255, (200, 120, 160, 3), dtype=np.uint8), np.zeros((1, 0), np.float32), 24, 48_000)
    mask, _ = motion_mask(noisy.frames, max_side_px=48, max_frames=64)
    assert mask.shape[0] <= 64 and max(mask.shape[1:]) <= 48
    assert motion_points(noisy, max_points=500)["x"].size == 500


def test_view_builds_an_ipyvolume_figure_with_ipywidgets_controls(square_clip):
    pytest.importorskip("ipyvolume")
    from sora_widgets.widgets import SpaceTimeView

    v = SpaceTimeView(square_clip)
    assert "sw-spacetime" in v._dom_classes
    n0 = v.points["x"].size
    assert len(v.scatter.x) == n0
    v.threshold.value = 0.5  # stricter: fewer points
    assert v.points["x"].size <= n0 and len(v.scatter.x) in (n0, v.points["x"].size)
    v.point_size.value = 5.0
    assert v.scatter.size == 5.0
