"""``SpaceTimeView``: a clip as a 3D space-time volume (x, y, t), drawn on a canvas.

Whatever moves against the clip's background traces a tube through the volume:
a falling ball draws a curve that bends at each bounce, a still frame draws
nothing. Motion is found without a model: each frame is compared with the
per-pixel median over time (the background), and pixels that differ by more
than a threshold become points, coloured as in the video.

The points are drawn by :class:`SpaceTimePlot`, an anywidget whose front end
(``space_time.js``, ~6 KB) projects them on a 2D canvas and rotates on drag. It
replaced an ipyvolume figure (issue 11): that one made the Studio page load
jupyter-threejs, jupyter-vue, jupyter-vuetify and bqscales (about 4 MB of JS)
before its first widget showed, for a view most visits never open. The controls
are ipywidgets sliders.
"""

from __future__ import annotations

from pathlib import Path

import anywidget
import ipywidgets as W
import numpy as np
import traitlets

from ..media import Clip

__all__ = ["SpaceTimePlot", "SpaceTimeView", "motion_mask", "motion_points", "pack_points"]

_HERE = Path(__file__).parent


def _downsample(frames: np.ndarray, max_side_px: int, max_frames: int) -> tuple[np.ndarray, int, int]:
    """Area-average frames to at most ``max_side_px`` and stride time to at most ``max_frames``.

    Returns (small float32 frames in [0, 1], spatial factor, temporal stride).
    """
    t, h, w, _ = frames.shape
    stride = max(1, int(np.ceil(t / max_frames)))
    f = max(1, int(np.ceil(max(h, w) / max_side_px)))
    sel = frames[::stride, : h - h % f or h, : w - w % f or w].astype(np.float32) / 255.0
    th, tw = sel.shape[1] // f, sel.shape[2] // f
    if f > 1:
        sel = sel[:, : th * f, : tw * f].reshape(sel.shape[0], th, f, tw, f, 3).mean(axis=(2, 4))
    return sel, f, stride


def motion_mask(
    frames: np.ndarray,
    *,
    threshold: float = 0.12,
    max_side_px: int = 48,
    max_frames: int = 64,
) -> tuple[np.ndarray, np.ndarray]:
    """Where the picture differs from its median background.

    ``frames``: (T, H, W, 3) uint8. ``threshold``: mean absolute RGB difference,
    0..1, above which a pixel counts as moving. Returns ``(mask, small)``: a
    boolean (T', H', W') volume and the downsampled float frames (T', H', W', 3).
    """
    small, _, _ = _downsample(np.asarray(frames), max_side_px, max_frames)
    background = np.median(small, axis=0)
    diff = np.abs(small - background[None]).mean(axis=-1)
    return diff > float(threshold), small


def motion_points(
    clip: Clip,
    *,
    threshold: float = 0.12,
    max_side_px: int = 48,
    max_frames: int = 64,
    max_points: int = 20_000,
    seed: int = 0,
) -> dict[str, np.ndarray]:
    """Points of the space-time tube: x, y in [0, 1] (y up), t in seconds, colours (N, 3) in [0, 1].

    At most ``max_points`` points (a seeded random subset, so redraws are stable).
    """
    mask, small = motion_mask(clip.frames, threshold=threshold, max_side_px=max_side_px, max_frames=max_frames)
    ti, yi, xi = np.nonzero(mask)
    if ti.size > max_points:
        keep = np.sort(np.random.default_rng(seed).choice(ti.size, max_points, replace=False))
        ti, yi, xi = ti[keep], yi[keep], xi[keep]
    tn, hn, wn = mask.shape
    stride = max(1, int(np.ceil(clip.num_frames / max_frames)))
    return {
        "x": ((xi + 0.5) / wn).astype(np.float32),
        "y": (1.0 - (yi + 0.5) / hn).astype(np.float32),
        "t": (ti * stride / float(clip.fps)).astype(np.float32),
        "color": small[ti, yi, xi].astype(np.float32),
    }


def pack_points(points: dict[str, np.ndarray]) -> bytes:
    """``points`` (as :func:`motion_points` returns them) as the bytes :class:`SpaceTimePlot` draws.

    Six little-endian float32 per point: x, y (in [0, 1], y up), t (seconds), r, g, b (in [0, 1]).
    """
    n = int(points["x"].size)
    table = np.empty((n, 6), "<f4")
    table[:, 0], table[:, 1], table[:, 2] = points["x"], points["y"], points["t"]
    table[:, 3:] = np.asarray(points["color"], np.float32).reshape(n, 3)
    return table.tobytes()


class SpaceTimePlot(anywidget.AnyWidget):
    """The canvas that draws packed (x, y, t, r, g, b) points in a box, rotatable by dragging.

    Synced traits: ``points`` (:func:`pack_points` bytes), ``duration`` (seconds, the t axis
    length), ``point_size`` (CSS pixels per dot), ``azimuth`` / ``elevation`` (degrees; the
    browser updates them when the user drags), ``width_px`` / ``height_px`` (CSS pixels).
    """

    _esm = _HERE / "space_time.js"
    _css = _HERE / "space_time.css"
    points = traitlets.Bytes(b"").tag(sync=True)
    duration = traitlets.Float(1.0).tag(sync=True)
    point_size = traitlets.Float(3.0).tag(sync=True)
    # Looked at from the side and a little above: looking down the t axis would hide the tube.
    azimuth = traitlets.Float(60.0).tag(sync=True)
    elevation = traitlets.Float(20.0).tag(sync=True)
    width_px = traitlets.Int(420).tag(sync=True)
    height_px = traitlets.Int(420).tag(sync=True)

    @property
    def count(self) -> int:
        """How many points the plot holds."""
        return len(self.points) // 24


class SpaceTimeView(W.VBox):
    """Shows ``clip`` as an (x, y, t) volume; moving objects draw tubes.

    Args:
        clip (`Clip`): the clip to show.
        threshold (`float`, *optional*, defaults to 0.12): the motion threshold slider's first value
            (mean absolute RGB difference from the background, 0..1).
        size_px (`int`, *optional*, defaults to 420): the canvas's width and height in CSS pixels.

    Controls: the motion threshold and the point size (pixels). ``points`` holds the
    current x / y / t / color arrays (see :func:`motion_points`); ``plot`` is the canvas.
    """

    def __init__(self, clip: Clip, *, threshold: float = 0.12, size_px: int = 420, **kwargs):
        if not isinstance(clip, Clip):
            raise TypeError(f"SpaceTimeView needs a sora_widgets Clip; got {type(clip).__name__}.")
        self.clip = clip
        self.points = motion_points(clip, threshold=threshold)
        self.plot = SpaceTimePlot(points=pack_points(self.points), duration=max(clip.duration, 1e-3),
                                  width_px=size_px, height_px=size_px)
        self.threshold = W.FloatSlider(value=threshold, min=0.02, max=0.6, step=0.01, description="Motion threshold",
                                       continuous_update=False, style={"description_width": "initial"})
        self.point_size = W.FloatSlider(value=self.plot.point_size, min=1.0, max=8.0, step=0.5,
                                        description="Point size", continuous_update=False)
        self.info = W.HTML()
        self.threshold.observe(self._recompute, names="value")
        self.point_size.observe(lambda ch: setattr(self.plot, "point_size", float(ch["new"])), names="value")
        self._describe()
        super().__init__([self.plot, W.HBox([self.threshold, self.point_size]), self.info], **kwargs)
        self.add_class("sw-spacetime")

    def _recompute(self, change) -> None:
        self.points = motion_points(self.clip, threshold=float(change["new"]))
        self.plot.points = pack_points(self.points)
        self._describe()

    def _describe(self) -> None:
        n = int(self.points["x"].size)
        self.info.value = (f"<small>{n} moving points over {self.clip.duration:.1f} s — "
                           "time runs along the t axis; drag to rotate</small>")
