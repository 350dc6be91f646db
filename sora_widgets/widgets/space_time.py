"""``SpaceTimeView``: a clip as a 3D space-time volume (x, y, t) in ipyvolume.

Whatever moves against the clip's background traces a tube through the volume:
a falling ball draws a curve that bends at each bounce, a still frame draws
nothing. Motion is found without a model: each frame is compared with the
per-pixel median over time (the background), and pixels that differ by more
than a threshold become points, coloured as in the video.

The view is built from ``ipv.figure()`` + ``ipv.scatter`` with its controls in
ipywidgets (``quickvolshow``'s own panel is broken on ipyvue 3, see NOTES.md).
"""

from __future__ import annotations

import ipywidgets as W
import numpy as np

from ..media import Clip

__all__ = ["SpaceTimeView", "motion_mask", "motion_points"]


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


class SpaceTimeView(W.VBox):
    """Shows ``clip`` as an (x, y, t) volume; moving objects draw tubes.

    Controls: the motion threshold and the point size. ``points`` holds the
    current x / y / t / color arrays (see :func:`motion_points`).
    """

    def __init__(self, clip: Clip, *, threshold: float = 0.12, size_px: int = 420, **kwargs):
        import ipyvolume as ipv

        if not isinstance(clip, Clip):
            raise TypeError(f"SpaceTimeView needs a sora_widgets Clip; got {type(clip).__name__}.")
        self.clip = clip
        self.points = motion_points(clip, threshold=threshold)
        self.figure = ipv.figure(width=size_px, height=size_px, controls=True)
        p = self.points
        # ipyvolume needs at least one point; a still clip shows one invisible dot at the origin.
        x, y, t, c = (p["x"], p["y"], p["t"], p["color"]) if p["x"].size else (
            np.zeros(1, np.float32), np.zeros(1, np.float32), np.zeros(1, np.float32), np.zeros((1, 3), np.float32))
        self.scatter = ipv.scatter(x, y, t, color=c, size=2.5, marker="box")
        ipv.xyzlabel("x", "y", "t (s)")
        ipv.xlim(0, 1)
        ipv.ylim(0, 1)
        ipv.zlim(0, max(clip.duration, 1e-3))
        # Look from the side and a little above: looking down the t axis (the default) hides the tube.
        ipv.view(azimuth=60, elevation=20)
        self.threshold = W.FloatSlider(value=threshold, min=0.02, max=0.6, step=0.01, description="Motion threshold",
                                       continuous_update=False, style={"description_width": "initial"})
        self.point_size = W.FloatSlider(value=2.5, min=0.5, max=8.0, step=0.5, description="Point size",
                                        continuous_update=False)
        self.info = W.HTML()
        self.threshold.observe(self._recompute, names="value")
        self.point_size.observe(lambda ch: setattr(self.scatter, "size", ch["new"]), names="value")
        self._describe()
        super().__init__([self.figure, W.HBox([self.threshold, self.point_size]), self.info], **kwargs)
        self.add_class("sw-spacetime")

    def _recompute(self, change) -> None:
        p = motion_points(self.clip, threshold=float(change["new"]))
        self.points = p
        if p["x"].size:
            with self.scatter.hold_sync():
                self.scatter.x, self.scatter.y, self.scatter.z = p["x"], p["y"], p["t"]
                self.scatter.color = p["color"]
        self._describe()

    def _describe(self) -> None:
        n = int(self.points["x"].size)
        self.info.value = (f"<small>{n} moving points over {self.clip.duration:.1f} s — "
                           "time runs along the t axis; drag to rotate</small>")
