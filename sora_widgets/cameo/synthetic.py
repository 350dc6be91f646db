"""Clips with known answers, for tests, benchmarks and the tutorial notebook.

- :func:`moving_cutout_clip`: a shape cut from a scikit-image sample photo moves
  over another textured photo with camera shake; returns the true masks.
- :func:`astronaut_clip`: scikit-image's astronaut, panned and zoomed; returns
  where her face is in every frame.
- :func:`spoken`: espeak-ng saying a phrase, as float32 samples.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

import cv2
import numpy as np

from ..media import Clip

__all__ = ["moving_cutout_clip", "astronaut_clip", "spoken", "ASTRONAUT_FACE", "SUBJECTS", "BACKGROUNDS"]

#: The astronaut's face in ``skimage.data.astronaut()`` (512x512): (x0, y0, x1, y1) pixels.
ASTRONAUT_FACE = (180, 70, 270, 170)

#: name -> (sample photo, kind, shape centre (x, y), half-axes (ax, ay)) in the photo's pixels.
SUBJECTS = {
    "cat": ("chelsea", "animal", (250, 130), (95, 85)),
    "mug": ("coffee", "object", (300, 190), (120, 95)),
    "rocket": ("rocket", "object", (330, 230), (45, 150)),
}
#: name -> (sample photo, tint (r, g, b) applied to grey textures).
BACKGROUNDS = {
    "grass": ("grass", (0.55, 0.85, 0.45)),
    "brick": ("brick", (0.95, 0.6, 0.45)),
    "gravel": ("gravel", (0.75, 0.75, 0.8)),
    "cells": ("immunohistochemistry", None),
}


def _photo(name: str) -> np.ndarray:
    import skimage.data

    return getattr(skimage.data, name)()


def _background(name: str) -> np.ndarray:
    photo, tint = BACKGROUNDS[name]
    img = _photo(photo)
    if img.ndim == 2:
        img = (img[..., None].astype(np.float32) * np.asarray(tint, np.float32)[None, None]).clip(0, 255).astype(np.uint8)
    return img


def moving_cutout_clip(
    subject: str = "cat",
    background: str = "grass",
    *,
    size: int = 256,
    seconds: float = 2.0,
    fps: int = 12,
    shake_px: float = 4.0,
    scale: float = 0.4,
    seed: int = 0,
) -> tuple[Clip, np.ndarray, tuple[int, int, int, int], str]:
    """A ``size``-square clip of ``subject`` (an ellipse cut from a sample photo) moving over ``background``.

    The subject travels a smooth loop; the whole picture shakes by up to
    ``shake_px`` pixels a frame (the camera). ``scale`` sizes the subject
    relative to its photo. Returns (clip, true masks (T, H, W) bool, the box
    (x0, y0, x1, y1) around the subject on frame 0 with a 4 px margin, kind).
    """
    rng = np.random.default_rng(seed)
    photo_name, kind, (cx, cy), (ax, ay) = SUBJECTS[subject]
    photo = _photo(photo_name)
    x0, y0 = cx - ax, cy - ay
    patch = photo[y0:cy + ay, x0:cx + ax]
    ph, pw = patch.shape[:2]
    yy, xx = np.mgrid[0:ph, 0:pw]
    shape = ((xx - ax) / ax) ** 2 + ((yy - ay) / ay) ** 2 <= 1.0
    k = scale * size / max(ph, pw) * 1.6
    patch = cv2.resize(patch, (int(pw * k), int(ph * k)), interpolation=cv2.INTER_AREA)
    shape = cv2.resize(shape.astype(np.uint8), (patch.shape[1], patch.shape[0]), interpolation=cv2.INTER_NEAREST) > 0
    sh, sw = shape.shape
    bg = cv2.resize(_background(background), (size + 64, size + 64), interpolation=cv2.INTER_AREA)
    n = max(2, int(round(seconds * fps)))
    frames = np.zeros((n, size, size, 3), np.uint8)
    masks = np.zeros((n, size, size), bool)
    shake = np.zeros(2)
    for t in range(n):
        phase = 2 * np.pi * t / n
        # Subject position in the (large) background: a loop around the centre.
        px = int(32 + size / 2 - sw / 2 + 0.25 * (size - sw) * np.sin(phase))
        py = int(32 + size / 2 - sh / 2 + 0.2 * (size - sh) * np.sin(2 * phase))
        scene = bg.copy()
        m = np.zeros(scene.shape[:2], bool)
        scene[py:py + sh, px:px + sw][shape] = patch[shape]
        m[py:py + sh, px:px + sw] = shape
        shake = 0.6 * shake + rng.uniform(-shake_px, shake_px, 2)
        ox, oy = (32 + np.clip(shake, -30, 30)).astype(int)
        frames[t] = scene[oy:oy + size, ox:ox + size]
        masks[t] = m[oy:oy + size, ox:ox + size]
    ys, xs = np.nonzero(masks[0])
    box = (max(0, xs.min() - 4), max(0, ys.min() - 4), min(size, xs.max() + 5), min(size, ys.max() + 5))
    clip = Clip(frames, np.zeros((1, 0), np.float32), fps, 16_000, meta={"synthetic": subject})
    return clip, masks, tuple(int(v) for v in box), kind


def astronaut_clip(
    *, size: int = 256, seconds: float = 2.0, fps: int = 12, zoom: float = 1.6, pan_px: float = 60.0,
    audio: np.ndarray | None = None, sample_rate: int = 22_050,
) -> tuple[Clip, np.ndarray]:
    """The astronaut panned and zoomed in a ``size``-square clip; returns (clip, face boxes (T, 4) float px).

    The view zooms from 1x to ``zoom`` and pans ``pan_px`` source pixels right and
    back while keeping the face in view. ``audio`` (N,) float32 at ``sample_rate``
    becomes the sound track (silence if None); the clip lasts at least as long as it.
    """
    img = _photo("astronaut")
    if audio is not None:
        seconds = max(seconds, len(audio) / sample_rate + 0.3)
    n = max(2, int(round(seconds * fps)))
    frames = np.zeros((n, size, size, 3), np.uint8)
    faces = np.zeros((n, 4))
    fx0, fy0, fx1, fy1 = ASTRONAUT_FACE
    for t in range(n):
        a = t / max(1, n - 1)
        z = 1 + (zoom - 1) * a
        view = 512 / z
        # Centre of the view: starts at the image centre, drifts towards the face as it zooms, and pans.
        cx = 256 + ((fx0 + fx1) / 2 - 256) * a + pan_px * np.sin(np.pi * a)
        cy = 256 + ((fy0 + fy1) / 2 + 60 - 256) * a
        vx0 = float(np.clip(cx - view / 2, 0, 512 - view))
        vy0 = float(np.clip(cy - view / 2, 0, 512 - view))
        k = size / view
        m = np.float32([[k, 0, -vx0 * k], [0, k, -vy0 * k]])
        frames[t] = cv2.warpAffine(img, m, (size, size), flags=cv2.INTER_AREA, borderMode=cv2.BORDER_REFLECT)
        faces[t] = [(fx0 - vx0) * k, (fy0 - vy0) * k, (fx1 - vx0) * k, (fy1 - vy0) * k]
    if audio is None:
        track = np.zeros((1, 0), np.float32)
    else:
        total = int(round(n / fps * sample_rate))
        track = np.zeros((1, total), np.float32)
        start = int(0.15 * sample_rate)
        seg = np.asarray(audio, np.float32)[: max(0, total - start)]
        track[0, start:start + len(seg)] = seg
    return Clip(frames, track, fps, sample_rate, meta={"synthetic": "astronaut"}), faces


def spoken(text: str, *, voice: str = "en-us", speed_wpm: int = 150, pitch: int = 50) -> tuple[np.ndarray, int]:
    """espeak-ng saying ``text``: (samples (N,) float32 in [-1, 1], sample rate in Hz)."""
    import soundfile

    exe = shutil.which("espeak-ng")
    if exe is None:
        raise RuntimeError("espeak-ng is not installed; on Debian: apt-get install espeak-ng")
    with tempfile.TemporaryDirectory() as tmp:
        wav = Path(tmp) / "say.wav"
        subprocess.run([exe, "-v", voice, "-s", str(speed_wpm), "-p", str(pitch), "-w", str(wav), text],
                       check=True, capture_output=True)
        data, sr = soundfile.read(str(wav), dtype="float32", always_2d=False)
    if data.ndim == 2:
        data = data.mean(axis=1)
    peak = float(np.abs(data).max(initial=0.0))
    return (data / peak * 0.8 if peak > 0 else data).astype(np.float32), int(sr)
