"""Render styles: a cheap pass over each finished frame for the style a prompt asks for (issue 18).

``scene["style"]`` names an entry of :data:`.vocab.STYLES`. Each pass stays in uint8 and is built from OpenCV's
vectorised primitives: a 3x3 (or 3x4) colour matrix for the saturation changes (``cv2.transform``), a per-channel
lookup table for the tone steps and paper tints (``cv2.LUT``, tables computed once per style), a 3x3 box blur
and integer gradients for the outlines. The tables and the matrices are built once per process
(:func:`functools.lru_cache`); a 256² frame costs 0.1-0.6 ms of CPU per style (``benchmarks/sim_bench.py``
prints a styled row; docs/sim.md "Speed" has the figures), where the float passes these replace cost 1-12 ms.

They are approximations of the look, not painters: black and white is the luminance; watercolour is
softened, lightened colour with fewer levels on paper; pixel art is blocks of 1/48 of the width with a small
palette; cyberpunk is contrast pushed to magenta and cyan; cartoon is flat colour bands with dark edges;
ukiyo-e is flat bands on warm paper with dark outlines; oil painting is saturated bands with a brush grain;
surreal is a slow hue rotation; a sketch is graphite edges on white paper.
"""

from __future__ import annotations

from functools import cache, lru_cache

import numpy as np

__all__ = ["apply"]

#: ITU-R BT.601 luma weights (R, G, B), the grey every style mixes with.
_LUMA = np.array([0.299, 0.587, 0.114], np.float64)
_PAPER_WATERCOLOR = np.array([1.0, 0.98, 0.93])  # warm paper tint multiplied into watercolour
_PAPER_UKIYO = np.array([240.0, 226.0, 196.0])  # the print's paper colour, mixed in at 30 %


def _saturation_matrix(k: float, gain: float = 1.0, offset: float = 0.0) -> np.ndarray:
    """The 3x4 matrix of ``gain * (lum + (rgb - lum) * k) + offset`` on RGB rows (cv2.transform's layout)."""
    m = gain * (k * np.eye(3) + (1.0 - k) * np.outer(np.ones(3), _LUMA))
    return np.hstack([m, np.full((3, 1), offset)]).astype(np.float32)


def _levels(x: np.ndarray, n: int) -> np.ndarray:
    """``x`` (0..255) snapped to ``n`` evenly spaced levels."""
    step = 255.0 / (n - 1)
    return np.round(x / step) * step


def _lut(channels: list[np.ndarray]) -> np.ndarray:
    """A (256, 1, 3) uint8 table for cv2.LUT from one 256-entry float curve per channel (clipped, rounded)."""
    t = np.stack([np.clip(c + 0.5, 0, 255) for c in channels], axis=-1)
    return t.astype(np.uint8).reshape(256, 1, 3)


_X = np.arange(256, dtype=np.float64)


def _cv2():
    """OpenCV, imported on the first styled frame: a plain clip (and the engine's cold start) never pays for it."""
    import cv2

    return cv2


@cache
def _tables(style: str) -> tuple[np.ndarray | None, np.ndarray | None]:
    """(colour matrix or None, per-channel lookup table or None) of a style, built once."""
    if style == "watercolor":  # softened colour, lightened towards paper, 8 levels, warm paper tint
        return _saturation_matrix(0.8, 0.75, 255 * 0.25), _lut([_levels(_X, 8) * p for p in _PAPER_WATERCOLOR])
    if style == "cartoon":  # saturated flat bands
        return _saturation_matrix(1.3), _lut([_levels(_X, 5)] * 3)
    if style == "ukiyo_e":  # muted flat bands on warm paper
        return _saturation_matrix(0.7), _lut([_levels(_X, 4) * 0.7 + p * 0.3 for p in _PAPER_UKIYO])
    if style == "oil_painting":  # saturated bands (the grain is multiplied in afterwards)
        return _saturation_matrix(1.35), _lut([_levels(_X, 7)] * 3)
    if style == "pixel_art":  # a small palette
        return None, _lut([_levels(_X, 5)] * 3)
    if style == "cyberpunk":  # each channel's contrast pushed 1.3x, at half weight (the neon is added on luma)
        return None, _lut([np.clip((_X - 128) * 1.3 + 128, 0, 255) * 0.5] * 3)
    return None, None


@cache
def _neon() -> np.ndarray:
    """cyberpunk's neon by luma l (0..1): magenta in the shadows to cyan in the lights, times 0.7 l, as a table."""
    lum = _X / 255.0
    neon = [(255 * (1 - lum) + 40 * lum) * lum * 0.7, (40 * (1 - lum) + 240 * lum) * lum * 0.7,
            (200 * (1 - lum) + 255 * lum) * lum * 0.7]
    return _lut(neon)


@lru_cache(maxsize=8)
def _grain(h: int, w: int) -> np.ndarray:
    """oil painting's brush grain, 1 ± 0.06 stored as uint8 of 240ths for cv2.multiply, shape (h, w, 3)."""
    g = 1.0 + 0.06 * np.sin(np.arange(w)[None, :] * 0.9 + 3 * np.sin(np.arange(h)[:, None] * 0.35))
    return np.repeat(np.round(g * 240).astype(np.uint8)[..., None], 3, axis=2)


@lru_cache(maxsize=8)
def _blocks(h: int, w: int) -> tuple[np.ndarray, np.ndarray, int]:
    """pixel art's blocks, 1/48 of the width: (centre rows, centre cols, block size px)."""
    b = max(2, w // 48)
    centres_y = np.minimum(np.arange(0, h, b) + b // 2, h - 1)  # each block takes its centre pixel
    centres_x = np.minimum(np.arange(0, w, b) + b // 2, w - 1)
    return centres_y, centres_x, b


def _grey(img: np.ndarray) -> np.ndarray:
    cv2 = _cv2()
    return cv2.cvtColor(img, cv2.COLOR_RGB2GRAY)


def _edges(grey: np.ndarray) -> np.ndarray:
    """Central-difference gradient magnitude of a uint8 grey image (0..~360), float32; 0 on the border."""
    cv2 = _cv2()
    k = np.array([[-1.0, 0.0, 1.0]], np.float32)
    gx = cv2.filter2D(grey, cv2.CV_32F, k)
    gy = cv2.filter2D(grey, cv2.CV_32F, k.T)
    gx[:, [0, -1]] = 0.0
    gy[[0, -1]] = 0.0
    return cv2.magnitude(gx, gy)


def _darken_edges(img: np.ndarray, grey: np.ndarray, threshold: float, factor: float) -> np.ndarray:
    """``img`` with the pixels whose luma gradient passes ``threshold`` multiplied by ``factor`` (ink lines)."""
    cv2 = _cv2()
    ink = (_edges(grey) > threshold).view(np.uint8)
    dark = cv2.LUT(img, _lut([_X * factor] * 3))
    cv2.copyTo(dark, ink, img)
    return img


def _blur(img: np.ndarray) -> np.ndarray:
    """3x3 box blur, edges repeated."""
    cv2 = _cv2()
    return cv2.blur(img, (3, 3), borderType=cv2.BORDER_REPLICATE)


def _surreal_matrix(t: float) -> np.ndarray:
    """Hue rotated around the grey axis by 2.1 + 0.6 t radians, then saturation 1.4: one 3x3 colour matrix."""
    a = 2.1 + 0.6 * t
    k = np.ones(3) / np.sqrt(3)
    c, s = np.cos(a), np.sin(a)
    K = np.array([[0, -k[2], k[1]], [k[2], 0, -k[0]], [-k[1], k[0], 0]])
    R = c * np.eye(3) + s * K + (1 - c) * np.outer(k, k)
    return (_saturation_matrix(1.4)[:, :3].astype(np.float64) @ R).astype(np.float32)


def apply(frame: np.ndarray, style: str | None, t: float = 0.0) -> np.ndarray:
    """``frame`` drawn in ``style`` (None or unknown: unchanged).

    Args:
        frame: (H, W, 3) uint8 RGB.
        style: a key of :data:`.vocab.STYLES`.
        t: the frame's time in seconds (the surreal hue drifts with it).

    Returns:
        (H, W, 3) uint8, a new array (``frame`` itself when there is no style).
    """
    if not style:
        return frame
    cv2 = _cv2()
    img = np.ascontiguousarray(frame)
    matrix, lut = _tables(style)
    if style == "black_and_white":
        return cv2.cvtColor(_grey(img), cv2.COLOR_GRAY2RGB)
    if style == "watercolor":
        return cv2.LUT(cv2.transform(_blur(img), matrix), lut)
    if style == "pixel_art":
        ys, xs, b = _blocks(*img.shape[:2])
        small = cv2.LUT(np.ascontiguousarray(img[ys][:, xs]), lut)
        # each block pixel drawn b x b (exact nearest: pixel x takes block x // b), cropped to the frame
        big = cv2.resize(small, (small.shape[1] * b, small.shape[0] * b), interpolation=cv2.INTER_NEAREST_EXACT)
        return big[: img.shape[0], : img.shape[1]]
    if style == "cyberpunk":
        neon = cv2.LUT(cv2.cvtColor(_grey(img), cv2.COLOR_GRAY2RGB), _neon())
        return cv2.add(cv2.LUT(img, lut), neon)  # saturating add: the clip at white
    if style == "cartoon":
        return _darken_edges(cv2.LUT(cv2.transform(img, matrix), lut), _grey(img), 60, 0.25)
    if style == "ukiyo_e":
        return _darken_edges(cv2.LUT(cv2.transform(img, matrix), lut), _grey(img), 50, 0.3)
    if style == "oil_painting":
        banded = cv2.LUT(cv2.transform(_blur(img), matrix), lut)
        return cv2.multiply(banded, _grain(*img.shape[:2]), scale=1 / 240)
    if style == "surreal":
        return cv2.transform(img, _surreal_matrix(t))
    if style == "sketch":
        edge = _edges(_grey(img)) * 2.5
        paper = (250.5 - np.minimum(edge, 200)).astype(np.uint8)  # graphite lines on white paper
        return cv2.cvtColor(paper, cv2.COLOR_GRAY2RGB)
    return frame
