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

__all__ = ["moving_cutout_clip", "astronaut_clip", "spoken", "open_mouth", "mouth_opening", "ASTRONAUT_MOUTH", "ASTRONAUT_FACE", "SUBJECTS", "BACKGROUNDS"]

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
    audio: np.ndarray | None = None, sample_rate: int = 22_050, talking: bool | None = None,
) -> tuple[Clip, np.ndarray]:
    """The astronaut panned and zoomed in a ``size``-square clip; returns (clip, face boxes (T, 4) float px).

    The view zooms from 1x to ``zoom`` and pans ``pan_px`` source pixels right and
    back while keeping the face in view. ``audio`` (N,) float32 at ``sample_rate``
    becomes the sound track (silence if None); the clip lasts at least as long as it.
    ``talking`` (default: when there is audio) opens her mouth with the sound's loudness
    (:func:`open_mouth`), so she says it; False keeps the photo still under the sound.
    """
    img = _photo("astronaut")
    if audio is not None:
        seconds = max(seconds, len(audio) / sample_rate + 0.3)
    n = max(2, int(round(seconds * fps)))
    frames = np.zeros((n, size, size, 3), np.uint8)
    faces = np.zeros((n, 4))
    fx0, fy0, fx1, fy1 = ASTRONAUT_FACE
    track = _sound_track(audio, n, fps, sample_rate)
    opening = mouth_opening(track, sample_rate, fps, n) if (audio is not None and talking is not False) else None
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
        src = img if opening is None else open_mouth(img, ASTRONAUT_MOUTH, opening[t])
        frames[t] = cv2.warpAffine(src, m, (size, size), flags=cv2.INTER_AREA, borderMode=cv2.BORDER_REFLECT)
        faces[t] = [(fx0 - vx0) * k, (fy0 - vy0) * k, (fx1 - vx0) * k, (fy1 - vy0) * k]
    return Clip(frames, track, fps, sample_rate, meta={"synthetic": "astronaut"}), faces


def _sound_track(audio: np.ndarray | None, n: int, fps: float, sample_rate: int) -> np.ndarray:
    """(1, N) sound track of an ``n``-frame clip: ``audio`` from 0.15 s on (empty when None)."""
    if audio is None:
        return np.zeros((1, 0), np.float32)
    total = int(round(n / fps * sample_rate))
    track = np.zeros((1, total), np.float32)
    start = int(0.15 * sample_rate)
    seg = np.asarray(audio, np.float32)[: max(0, total - start)]
    track[0, start:start + len(seg)] = seg
    return track


def mouth_opening(track: np.ndarray, sample_rate: int, fps: float, n: int) -> np.ndarray:
    """How open a speaker's mouth is at each of ``n`` frames (0..1): the sound's loudness (RMS over the
    frame, relative to the 90th percentile of the voiced frames), as a face animated by its voice."""
    x = np.asarray(track, np.float32).reshape(-1)
    rms = np.array([np.sqrt(np.mean(x[int(t * sample_rate / fps):int((t + 1) * sample_rate / fps)] ** 2) + 1e-12)
                    for t in range(n)])
    voiced = rms[rms > 1e-3]
    ref = float(np.percentile(voiced, 90)) if len(voiced) else 1.0
    return np.clip(rms / ref, 0.0, 1.0)


#: The astronaut's mouth in ``skimage.data.astronaut()``: centre (x, y) and half-width, pixels.
ASTRONAUT_MOUTH = (224.0, 146.0, 17.0)


def open_mouth(img: np.ndarray, mouth: tuple[float, float, float], opening: float) -> np.ndarray:
    """``img`` with the mouth at ``mouth`` (centre x, y, half-width px) opened by ``opening`` (0..1):
    a dark lip gap that grows taller and the chin below it moved down, as a jaw drops."""
    if opening <= 0.02:
        return img
    cx, cy, hw = mouth
    out = img.copy()
    drop = opening * hw * 0.45
    # The jaw: rows below the mouth shift down by ``drop`` px, fading out a mouth-width lower.
    y0, y1 = int(cy), int(min(img.shape[0], cy + 3 * hw))
    x0, x1 = int(max(0, cx - 1.6 * hw)), int(min(img.shape[1], cx + 1.6 * hw))
    ys, xs = np.mgrid[y0:y1, x0:x1].astype(np.float32)
    fade = np.clip(1 - (ys - cy) / (3 * hw), 0, 1) * np.clip(1 - np.abs(xs - cx) / (1.6 * hw), 0, 1) ** 0.5
    out[y0:y1, x0:x1] = cv2.remap(img, xs, ys - drop * fade, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
    gap = np.zeros(img.shape[:2], np.float32)
    cv2.ellipse(gap, (int(cx), int(cy + drop / 2)), (int(hw * 0.85), max(1, int(drop * 0.8))), 0, 0, 360, 1.0, -1,
                cv2.LINE_AA)
    gap = cv2.GaussianBlur(gap, (5, 5), 0)[..., None]
    return (out * (1 - gap) + np.array([70, 25, 30], np.float32) * gap).astype(np.uint8)


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
