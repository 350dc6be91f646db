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


def test_view_draws_its_points_on_a_light_canvas_with_ipywidgets_controls(square_clip):
    from sora_widgets.widgets import SpaceTimeView
    from sora_widgets.widgets.space_time import SpaceTimePlot

    v = SpaceTimeView(square_clip)
    assert "sw-spacetime" in v._dom_classes
    assert isinstance(v.plot, SpaceTimePlot) and v.plot in v.children
    n0 = v.points["x"].size
    assert v.plot.count == n0 > 0
    # The bytes the browser draws are the points, in order: x, y, t, r, g, b.
    table = np.frombuffer(v.plot.points, "<f4").reshape(-1, 6)
    np.testing.assert_array_equal(table[:, 2], v.points["t"])
    np.testing.assert_array_equal(table[:, 3:], v.points["color"])
    assert v.plot.duration == pytest.approx(square_clip.duration)
    v.threshold.value = 0.5  # stricter: fewer points, and the canvas gets them
    assert v.points["x"].size <= n0 and v.plot.count == v.points["x"].size
    v.point_size.value = 5.0
    assert v.plot.point_size == 5.0


def test_a_still_clip_draws_an_empty_box():
    from sora_widgets.widgets import SpaceTimeView

    frames = np.repeat(np.random.default_rng(1).integers(0, 255, (1, 40, 40, 3), dtype=np.uint8), 8, axis=0)
    v = SpaceTimeView(Clip(frames, np.zeros((1, 0), np.float32), 8, 48_000))
    assert v.plot.count == 0 and v.plot.points == b""
    assert "0 moving points" in v.info.value


def test_the_view_needs_no_3d_library():
    """The Studio page loads only anywidget for this view (issue 11): no ipyvolume/threejs models."""
    from ipywidgets.widgets.widget import _instances

    from sora_widgets.widgets import SpaceTimeView

    frames = np.zeros((6, 32, 32, 3), np.uint8)
    for i in range(6):
        frames[i, 10:16, 4 * i : 4 * i + 6] = 255
    before = set(_instances)
    v = SpaceTimeView(Clip(frames, np.zeros((1, 0), np.float32), 6, 48_000))
    made = {_instances[k]._model_module for k in set(_instances) - before}
    v.close()
    assert made <= {"anywidget", "@jupyter-widgets/controls", "@jupyter-widgets/base"}, made
