"""``extract(clip, kind=..., box=...)``: a clip in, a CameoAsset out.

Checks the upload first (long enough, short enough, really moving, a face for a
person, a sensible box for anything else) so a bad upload fails in words the
uploader can act on, before any slow work.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import cv2
import numpy as np

from ..media import Clip
from . import segment
from .asset import KINDS, CameoAsset, CameoError
from .faces import NO_FACE
from .voice import voice_profile

__all__ = ["extract", "check_upload", "MIN_DURATION_S", "MAX_DURATION_S", "MIN_FACE_FRACTION", "CUTOUT_SIDE_PX"]

#: A cameo source must last at least / at most this many seconds.
MIN_DURATION_S = 1.0
MAX_DURATION_S = 20.0
#: A person upload needs a face in at least this fraction of its frames.
MIN_FACE_FRACTION = 0.5
#: Cutouts are scaled so their longest side is at most this many pixels.
CUTOUT_SIDE_PX = 256
#: Mean absolute frame difference (0-255 levels) below which a "video" is a still image.
STILL_DIFF_LEVELS = 0.5
#: Feathering of cutout edges: Gaussian sigma as a fraction of the cutout's longest side.
FEATHER_FRACTION = 0.006


def check_upload(clip: Clip) -> None:
    """Raise :class:`CameoError` if ``clip`` cannot be a cameo source (still, too short, too long)."""
    if clip.num_frames < 2:
        raise CameoError("this upload is a still image: record or upload a video of 1-20 seconds instead")
    if clip.duration < MIN_DURATION_S:
        raise CameoError(
            f"this video is {clip.duration:.1f} s long; a cameo needs at least {MIN_DURATION_S:.0f} s - record a little longer"
        )
    if clip.duration > MAX_DURATION_S:
        raise CameoError(
            f"this video is {clip.duration:.0f} s long; a cameo takes at most {MAX_DURATION_S:.0f} s - trim it and upload again"
        )
    step = max(1, clip.num_frames // 12)
    f = clip.frames[::step].astype(np.int16)
    if float(np.abs(f[1:] - f[0]).mean(axis=(1, 2, 3)).max(initial=0.0)) < STILL_DIFF_LEVELS:
        raise CameoError("this video never changes - it is a still image; record yourself moving a little instead")


def _check_box(box, width: int, height: int) -> tuple[int, int, int, int]:
    if box is None:
        raise CameoError("an animal or object cameo needs a box: drag a rectangle around it on the first frame")
    try:
        x0, y0, x1, y1 = (float(v) for v in box)
    except (TypeError, ValueError):
        raise CameoError(f"box must be (x0, y0, x1, y1) in pixels; got {box!r}") from None
    x0, x1 = sorted((x0, x1))
    y0, y1 = sorted((y0, y1))
    x0, y0, x1, y1 = max(0, x0), max(0, y0), min(width, x1), min(height, y1)
    if x1 - x0 < 8 or y1 - y0 < 8:
        raise CameoError(f"the box must be at least 8x8 pixels inside the {width}x{height} frame; draw it around the subject")
    if (x1 - x0) * (y1 - y0) > 0.95 * width * height:
        raise CameoError("the box covers the whole frame; draw it tightly around the animal or object")
    return int(x0), int(y0), int(x1), int(y1)


def extract(clip: Clip, *, kind: str, box=None, name: str = "", with_voice: bool = True,
            on_progress: Callable[[int, int], None] | None = None,
            cancel: threading.Event | None = None) -> CameoAsset:
    """Extract the person, animal or object in ``clip``.

    Args:
        clip: the upload (checked first: :func:`check_upload`).
        kind: "person" (found by its face, no box) or "animal" / "object" (``box`` needed).
        box: (x0, y0, x1, y1) in source pixels on the first frame, around the subject.
        name: handle for prompts ("@name").
        with_voice: measure a voice profile if there is speech.
        on_progress: ``f(done, total)`` as frames are segmented (the widget's progress bar).
        cancel: set it to stop between frames; ``concurrent.futures.CancelledError`` is raised.

    Raises:
        CameoError: a bad upload, with what to do.
    """
    if kind not in KINDS:
        raise CameoError(f"kind must be one of {', '.join(KINDS)}; got {kind!r}")
    check_upload(clip)
    frames = clip.frames
    meta: dict = {"source_size": [clip.width, clip.height], "source_frames": clip.num_frames}
    if kind == "person":
        if box is not None:
            raise CameoError("a person cameo is found by its face; leave the box out (boxes are for animals and objects)")
        faces, frac = segment.face_track(frames)
        if frac < MIN_FACE_FRACTION:
            raise CameoError(
                f"{NO_FACE} (no face in {100 * (1 - frac):.0f}% of this video)"
            )
        soft = segment.segment_person(frames, faces, on_frame=on_progress, cancel=cancel)
        centres = np.stack([(faces[:, 0] + faces[:, 2]) / 2, (faces[:, 1] + faces[:, 3]) / 2], axis=1)
        # Align neighbours by the face's motion before averaging (the face moves with the body).
        soft = segment.smooth_in_time(soft, centres - centres[0])
        meta["face_fraction"] = round(frac, 3)
        meta["face_boxes"] = np.round(faces).astype(int).tolist()
    else:
        b = _check_box(box, clip.width, clip.height)
        soft, shifts = segment.segment_box(frames, b, on_frame=on_progress, cancel=cancel)
        soft = segment.smooth_in_time(soft, shifts)
        meta["box"] = list(b)
    masks = soft >= 0.5
    if kind == "person":
        # The face is the one thing a person cameo must never lose.
        for i, fb in enumerate(faces):
            x0, y0, x1, y1 = segment._clip_box(fb, clip.width, clip.height)
            masks[i, y0:y1, x0:x1] |= True
    boxes = np.stack([segment.mask_box(m) for m in masks])
    cutouts, still = _cutouts(frames, masks, boxes)
    voice = voice_profile(clip.audio, clip.sample_rate) if with_voice and clip.audio.size else None
    return CameoAsset(kind=kind, masks=masks, boxes=boxes, cutouts=cutouts, still=still, fps=float(clip.fps),
                      voice=voice, name=name, meta=meta)


def _cutouts(frames: np.ndarray, masks: np.ndarray, boxes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """RGBA cutouts (T, h, w, 4), all one size (the median box scaled to ``CUTOUT_SIDE_PX``), and the still."""
    widths, heights = boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]
    cw, ch = float(np.median(widths)), float(np.median(heights))
    scale = min(1.0, CUTOUT_SIDE_PX / max(cw, ch, 1.0))
    cw, ch = max(2, int(round(cw * scale))), max(2, int(round(ch * scale)))
    sigma = max(0.6, FEATHER_FRACTION * max(frames.shape[1:3]))
    out = np.zeros((len(frames), ch, cw, 4), np.uint8)
    sharpness = np.zeros(len(frames))
    for i, (f, m, b) in enumerate(zip(frames, masks, boxes, strict=True)):
        x0, y0, x1, y1 = (int(v) for v in b)
        alpha = cv2.GaussianBlur(m.astype(np.float32), (0, 0), sigma)
        alpha = np.clip(alpha * 1.6 - 0.3, 0, 1)  # steepen: a feathered edge but a solid interior
        rgba = np.dstack([f[y0:y1, x0:x1], (alpha[y0:y1, x0:x1] * 255).astype(np.uint8)])
        out[i] = cv2.resize(rgba, (cw, ch), interpolation=cv2.INTER_AREA)
        gray = cv2.cvtColor(f[y0:y1, x0:x1], cv2.COLOR_RGB2GRAY)
        sharpness[i] = cv2.Laplacian(gray, cv2.CV_32F).var() if gray.size else 0.0
    areas = masks.reshape(len(masks), -1).sum(axis=1)
    candidates = np.nonzero(areas >= np.median(areas))[0]
    best = int(candidates[np.argmax(sharpness[candidates])])
    return out, out[best].copy()
