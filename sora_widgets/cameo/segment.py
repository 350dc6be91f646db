"""Segmentation without a neural segmenter: faces, a person without a box, anything with a box.

Why no neural segmenter: the only packaged one usable here is mediapipe 0.10.14,
which needs protobuf<5 (this environment has 7), jax/jaxlib (~380 MB, unused)
and ``opencv-contrib-python``, which overwrites the ``cv2/`` that nudenet's
``opencv-python-headless`` installed (different versions: 5.1 vs 5.0), so
uninstalling either breaks ``import cv2``. Instead:

- faces: CenterFace, a small ONNX detector run by OpenCV's DNN module (``faces.py``;
  scikit-image's LBP cascade, used before, lost tilted, small and dim faces);
- a person: GrabCut seeded from the face box (certain foreground) and a
  head-and-torso prior below it (probable foreground);
- an animal or object: GrabCut in the drawn box on the first frame, then
  masked template matching (against the first and the previous appearance,
  so it neither drifts nor ignores change) plus GrabCut seeded from the
  previous mask moved to the new place.

All work happens on frames scaled to ``WORK_SIDE_PX`` on their longest side
(GrabCut's cost grows with pixels; masks are upsampled softly), then masks are
smoothed in time after aligning neighbours by their box motion.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import CancelledError

import cv2
import numpy as np

__all__ = ["WORK_SIDE_PX", "detect_face", "face_track", "segment_person", "segment_box", "smooth_in_time", "mask_box"]

#: Longest side, in pixels, of the frames segmentation works on.
WORK_SIDE_PX = 192
#: A person clip runs GrabCut on one frame in this many; frames between follow the face (segment_person).
PERSON_KEYFRAME_EVERY = 4
def _scale_for(shape: tuple[int, ...], side: int) -> float:
    return min(1.0, side / max(shape[0], shape[1]))


def _resize(img: np.ndarray, scale: float) -> np.ndarray:
    if scale == 1.0:
        return img
    h, w = img.shape[:2]
    return cv2.resize(img, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_AREA)


def detect_face(frame: np.ndarray) -> np.ndarray | None:
    """The largest face in ``frame`` (H, W, 3) uint8 as (x0, y0, x1, y1) float pixels, or None (see ``faces.py``)."""
    from .faces import detect_face as _detect

    face = _detect(frame)
    return None if face is None else face.box


def face_track(frames: np.ndarray, fps: float = 12.0) -> tuple[np.ndarray, float]:
    """Face box per frame ((T, 4) float pixels) and the fraction of frames the face is followed through.

    ``faces.track`` follows one face (a short miss between two sightings counts as followed);
    frames where it was not seen get boxes interpolated from their neighbours, and a median
    over 5 frames removes one-frame jumps. Boxes are NaN when no frame at all has a face.
    ``fps``: frames per second (how long a gap the tracker bridges).
    """
    from .faces import track

    t = len(frames)
    ft = track(frames, fps=fps)
    raw = np.where(ft.seen[:, None], ft.boxes, np.nan)
    found = ft.seen
    frac = ft.fraction
    if not found.any():
        return raw, 0.0
    idx = np.arange(t)
    filled = np.stack([np.interp(idx, idx[found], raw[found, k]) for k in range(4)], axis=1)
    smoothed = filled.copy()
    for i in range(t):
        lo, hi = max(0, i - 2), min(t, i + 3)
        smoothed[i] = np.median(filled[lo:hi], axis=0)
    return smoothed, frac


def _grabcut(img: np.ndarray, init: np.ndarray, iters: int) -> np.ndarray:
    """GrabCut on ``img`` (h, w, 3) RGB with an initial label map; returns a bool mask."""
    labels = init.astype(np.uint8).copy()
    has_fg = np.isin(labels, (cv2.GC_FGD, cv2.GC_PR_FGD)).any()
    has_bg = np.isin(labels, (cv2.GC_BGD, cv2.GC_PR_BGD)).any()
    if not (has_fg and has_bg):
        return np.isin(labels, (cv2.GC_FGD, cv2.GC_PR_FGD))
    bgd, fgd = np.zeros((1, 65), np.float64), np.zeros((1, 65), np.float64)
    try:
        cv2.grabCut(np.ascontiguousarray(img[..., ::-1]), labels, None, bgd, fgd, iters, cv2.GC_INIT_WITH_MASK)
    except cv2.error:  # degenerate colour models (e.g. a flat region): keep the prior
        pass
    return np.isin(labels, (cv2.GC_FGD, cv2.GC_PR_FGD))


def _person_prior(shape: tuple[int, int], face: np.ndarray) -> np.ndarray:
    """GrabCut labels for a person whose face is at ``face`` (x0, y0, x1, y1) in a frame of ``shape``."""
    h, w = shape
    x0, y0, x1, y1 = face
    fw, fh = x1 - x0, y1 - y0
    cx = (x0 + x1) / 2
    labels = np.full((h, w), cv2.GC_PR_BGD, np.uint8)
    yy, xx = np.mgrid[0:h, 0:w]
    # Head: the face box grown for hair and ears; torso: a trapezoid widening below the chin.
    head = (np.abs(xx - cx) <= 0.85 * fw) & (yy >= y0 - 0.6 * fh) & (yy <= y1 + 0.2 * fh)
    below = yy - y1
    half_width = 0.75 * fw + 0.9 * np.clip(below, 0, None)
    torso = (below >= 0) & (np.abs(xx - cx) <= np.minimum(half_width, 2.2 * fw))
    labels[head | torso] = cv2.GC_PR_FGD
    # Certain: the face itself and the neck/chest just under it.
    core = (xx >= x0 + 0.1 * fw) & (xx <= x1 - 0.1 * fw) & (yy >= y0 + 0.05 * fh) & (yy <= y1 + 0.6 * fh)
    chest = (np.abs(xx - cx) <= 0.3 * fw) & (below >= 0) & (below <= 1.2 * fh)
    labels[core | chest] = cv2.GC_FGD
    # Certainly background: well above the head.
    labels[yy < y0 - 1.2 * fh] = cv2.GC_BGD
    return labels


def _follow_face(mask: np.ndarray, face_from: np.ndarray, face_to: np.ndarray) -> np.ndarray:
    """``mask`` (bool) moved and scaled as the face moved from box ``face_from`` to ``face_to`` (float32 0/1)."""
    scale = max(1e-3, float(face_to[2] - face_to[0])) / max(1e-3, float(face_from[2] - face_from[0]))
    cx0, cy0 = (face_from[0] + face_from[2]) / 2, (face_from[1] + face_from[3]) / 2
    cx1, cy1 = (face_to[0] + face_to[2]) / 2, (face_to[1] + face_to[3]) / 2
    m = np.float32([[scale, 0, cx1 - scale * cx0], [0, scale, cy1 - scale * cy0]])
    return cv2.warpAffine(mask.astype(np.float32), m, (mask.shape[1], mask.shape[0]), flags=cv2.INTER_LINEAR)


def segment_person(frames: np.ndarray, faces: np.ndarray, *, iters: int = 3,
                   keyframe_every: int = PERSON_KEYFRAME_EVERY,
                   on_frame: Callable[[int, int], None] | None = None,
                   cancel: threading.Event | None = None) -> np.ndarray:
    """Soft person masks (T, H, W) float32 in [0, 1] from frames and per-frame face boxes (T, 4).

    GrabCut (the cost) runs on every ``keyframe_every``-th frame and the last; a frame between two
    keyframes gets both keyframes' masks carried along the face's motion (shift and scale of its
    box) and blended by distance in time. A body moves with its head over a few frames: on the
    astronaut pan-and-zoom clip the masks agree with per-frame GrabCut at mean IoU 0.91 (per-frame
    GrabCut's own consecutive frames agree at 0.93) for a quarter of the cost
    (tests/test_cameo_extract.py).

    Args:
        frames: (T, H, W, 3) uint8 RGB.
        faces: (T, 4) face boxes (x0, y0, x1, y1) in pixels, from :func:`face_track`.
        iters: GrabCut iterations per keyframe.
        keyframe_every: frames between GrabCut runs (1: every frame).
        on_frame: ``f(done, total)`` after each keyframe (progress).
        cancel: set it to stop between keyframes (``CancelledError`` is raised).
    """
    t, h, w = frames.shape[:3]
    s = _scale_for((h, w), WORK_SIDE_PX)
    keys = sorted(set(range(0, t, max(1, int(keyframe_every)))) | {t - 1})
    key_masks: dict[int, np.ndarray] = {}
    for n, i in enumerate(keys):
        if cancel is not None and cancel.is_set():
            raise CancelledError("extraction cancelled")
        small = _resize(frames[i], s)
        labels = _person_prior(small.shape[:2], faces[i] * s)
        key_masks[i] = _largest_component_with(_grabcut(small, labels, iters), faces[i] * s)
        if on_frame is not None:
            on_frame(n + 1, len(keys))
    out = np.zeros((t, h, w), np.float32)
    k = 0
    for i in range(t):
        if i in key_masks:
            m = key_masks[i].astype(np.float32)
        else:
            while keys[k + 1] < i:
                k += 1
            a, b = keys[k], keys[k + 1]
            wb = (i - a) / (b - a)
            m = ((1 - wb) * _follow_face(key_masks[a], faces[a] * s, faces[i] * s)
                 + wb * _follow_face(key_masks[b], faces[b] * s, faces[i] * s))
        out[i] = cv2.resize(m, (w, h), interpolation=cv2.INTER_LINEAR)
    return out


def _largest_component_with(mask: np.ndarray, face: np.ndarray) -> np.ndarray:
    """Keep the connected component that contains the face centre (stray blobs are background)."""
    n, lab = cv2.connectedComponents(mask.astype(np.uint8), connectivity=8)
    if n <= 2:
        return mask
    cy = int(np.clip((face[1] + face[3]) / 2, 0, mask.shape[0] - 1))
    cx = int(np.clip((face[0] + face[2]) / 2, 0, mask.shape[1] - 1))
    keep = lab[cy, cx]
    if keep == 0:
        counts = np.bincount(lab.ravel())
        counts[0] = 0
        keep = int(counts.argmax())
    return lab == keep


def _clip_box(box, w: int, h: int) -> tuple[int, int, int, int]:
    x0, y0, x1, y1 = (int(round(v)) for v in box)
    x0, y0 = max(0, min(x0, w - 1)), max(0, min(y0, h - 1))
    return x0, y0, max(x0 + 1, min(x1, w)), max(y0 + 1, min(y1, h))


def _shift(mask: np.ndarray, dx: float, dy: float) -> np.ndarray:
    m = np.float32([[1, 0, dx], [0, 1, dy]])
    return cv2.warpAffine(mask.astype(np.uint8), m, (mask.shape[1], mask.shape[0]), flags=cv2.INTER_NEAREST) > 0


def _match(search: np.ndarray, tmpl: np.ndarray, tmask: np.ndarray) -> np.ndarray:
    """Masked mean squared difference of ``tmpl`` at every offset in ``search`` (lower is better)."""
    r = cv2.matchTemplate(search, tmpl, cv2.TM_SQDIFF, mask=np.repeat(tmask[..., None], 3, axis=2))
    return r / max(1.0, float(tmask.sum()))


def segment_box(frames: np.ndarray, box: tuple[float, float, float, float], *, iters: int = 2,
                on_frame: Callable[[int, int], None] | None = None,
                cancel: threading.Event | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Soft masks (T, H, W) float32 and per-frame shifts (T, 2) float for the subject in ``box`` on frame 0.

    ``box`` is (x0, y0, x1, y1) in source pixels. The shifts are the tracked
    motion (dx, dy) of the subject from frame 0, in source pixels. ``on_frame(done, total)``
    reports progress; setting ``cancel`` stops between frames (``CancelledError``).
    """
    t, h, w = frames.shape[:3]
    s = _scale_for((h, w), WORK_SIDE_PX)
    small = np.stack([_resize(f, s) for f in frames]).astype(np.float32)
    sh, sw = small.shape[1:3]
    bx0, by0, bx1, by1 = _clip_box(np.asarray(box, float) * s, sw, sh)
    bw, bh = bx1 - bx0, by1 - by0

    # Frame 0: GrabCut from the rectangle, with a margin of context around it.
    rect_labels = np.full((sh, sw), cv2.GC_BGD, np.uint8)
    rect_labels[by0:by1, bx0:bx1] = cv2.GC_PR_FGD
    m0 = _grabcut(small[0].astype(np.uint8), rect_labels, 5)
    if m0.sum() < 0.05 * bw * bh:  # GrabCut gave up: trust the box
        m0 = rect_labels == cv2.GC_PR_FGD
    first_tmpl = small[0, by0:by1, bx0:bx1]
    first_mask = m0[by0:by1, bx0:bx1].astype(np.uint8)

    masks_small = [m0]
    offsets = [np.zeros(2)]
    prev_tmpl, prev_mask = first_tmpl, first_mask
    radius = int(max(8, 0.6 * max(bw, bh)))
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (5, 5))
    for i in range(1, t):
        if cancel is not None and cancel.is_set():
            raise CancelledError("extraction cancelled")
        if on_frame is not None:
            on_frame(i, t)
        ox, oy = offsets[-1]
        px0, py0 = int(round(bx0 + ox)), int(round(by0 + oy))
        sx0, sy0 = max(0, px0 - radius), max(0, py0 - radius)
        sx1, sy1 = min(sw, px0 + bw + radius), min(sh, py0 + bh + radius)
        search = small[i, sy0:sy1, sx0:sx1]
        if search.shape[0] < bh or search.shape[1] < bw or first_mask.sum() == 0:
            offsets.append(offsets[-1])
            masks_small.append(_shift(m0, ox, oy))
            continue
        score = _match(search, first_tmpl, first_mask) + _match(search, prev_tmpl, prev_mask)
        my, mx = np.unravel_index(int(np.argmin(score)), score.shape)
        nx, ny = sx0 + mx, sy0 + my
        off = np.array([nx - bx0, ny - by0], float)
        offsets.append(off)
        moved = _shift(masks_small[-1], nx - px0, ny - py0)
        labels = np.full((sh, sw), cv2.GC_BGD, np.uint8)
        grown = cv2.dilate(moved.astype(np.uint8), kernel, iterations=2) > 0
        labels[grown] = cv2.GC_PR_BGD
        labels[moved] = cv2.GC_PR_FGD
        labels[cv2.erode(moved.astype(np.uint8), kernel, iterations=1) > 0] = cv2.GC_FGD
        # GrabCut only where the answer can be (a margin around the moved mask): cheaper, and less to confuse it.
        ys, xs = np.nonzero(grown)
        if len(ys) == 0:
            masks_small.append(moved)
            continue
        m = 12
        ry0, ry1 = max(0, ys.min() - m), min(sh, ys.max() + m + 1)
        rx0, rx1 = max(0, xs.min() - m), min(sw, xs.max() + m + 1)
        refined = np.zeros((sh, sw), bool)
        refined[ry0:ry1, rx0:rx1] = _grabcut(small[i, ry0:ry1, rx0:rx1].astype(np.uint8), labels[ry0:ry1, rx0:rx1], iters)
        if refined.sum() < 0.5 * moved.sum():  # lost it this frame: keep the moved mask rather than shrink away
            refined = moved
        masks_small.append(refined)
        prev_tmpl = small[i, ny:ny + bh, nx:nx + bw]
        prev_mask = refined[ny:ny + bh, nx:nx + bw].astype(np.uint8)
        if prev_tmpl.shape[:2] != (bh, bw) or prev_mask.sum() == 0:
            prev_tmpl, prev_mask = first_tmpl, first_mask
    soft = np.stack([cv2.resize(m.astype(np.float32), (w, h), interpolation=cv2.INTER_LINEAR) for m in masks_small])
    return soft, np.stack(offsets) / s


def smooth_in_time(soft: np.ndarray, shifts: np.ndarray, *, weights=(0.25, 0.5, 0.25)) -> np.ndarray:
    """Average each mask with its neighbours moved to its place (by ``shifts`` (T, 2) px); (T, H, W) float32."""
    t, h, w = soft.shape
    out = np.zeros_like(soft)
    half = len(weights) // 2
    for i in range(t):
        acc, total = np.zeros((h, w), np.float32), 0.0
        for k, wt in enumerate(weights):
            j = i + k - half
            if not 0 <= j < t:
                continue
            dx, dy = shifts[i] - shifts[j]
            m = np.float32([[1, 0, dx], [0, 1, dy]])
            acc += wt * (soft[j] if j == i else cv2.warpAffine(soft[j], m, (w, h), flags=cv2.INTER_LINEAR))
            total += wt
        out[i] = acc / total
    return out


def mask_box(mask: np.ndarray, fallback=None) -> np.ndarray:
    """(x0, y0, x1, y1) int bounding box of a bool mask (x1, y1 exclusive), or ``fallback`` if empty."""
    ys, xs = np.nonzero(mask)
    if len(ys) == 0:
        return np.asarray(fallback if fallback is not None else (0, 0, 1, 1), np.int32)
    return np.array([xs.min(), ys.min(), xs.max() + 1, ys.max() + 1], np.int32)
