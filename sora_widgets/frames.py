"""Pixel helpers on RGB frames, shared by media, upload decoding and widgets (numpy only, no media types)."""

from __future__ import annotations

import numpy as np

__all__ = ["resize_frame", "resize_to"]


def resize_frame(frame: np.ndarray, longest: int) -> np.ndarray:
    """``frame`` (H, W, C) scaled down so its longest side is ``longest`` px (nearest sample at pixel centres).

    Args:
        frame (`np.ndarray`): an (H, W, C) image, any dtype.
        longest (`int`): the longest side of the result in pixels; a frame already that small is copied as is.

    Returns:
        `np.ndarray`: a new (h, w, C) array of the same dtype, never larger than ``frame``.
    """
    h, w = frame.shape[:2]
    scale = longest / max(h, w)
    if scale >= 1:
        return frame.copy()
    nh, nw = max(1, round(h * scale)), max(1, round(w * scale))
    ys = (np.arange(nh) + 0.5) * h / nh
    xs = (np.arange(nw) + 0.5) * w / nw
    return frame[ys.astype(int)[:, None], xs.astype(int)[None, :]]


def resize_to(frame: np.ndarray, height: int, width: int) -> np.ndarray:
    """``frame`` (H, W, C) resampled to exactly ``height`` x ``width`` px (nearest sample at pixel centres).

    Used to scale frames already decoded when an upload turns out to hold more frames than fit the
    decode budget (``_decode``); new frames are scaled by FFmpeg while decoding.

    Args:
        frame (`np.ndarray`): an (H, W, C) image, any dtype.
        height (`int`): rows of the result (>= 1).
        width (`int`): columns of the result (>= 1).

    Returns:
        `np.ndarray`: a new, C-contiguous (height, width, C) array of the same dtype.
    """
    h, w = frame.shape[:2]
    ys = ((np.arange(height) + 0.5) * h / height).astype(int)
    xs = ((np.arange(width) + 0.5) * w / width).astype(int)
    return np.ascontiguousarray(frame[ys[:, None], xs[None, :]])
