"""The visible mark: "sora-widgets · @creator" burned into the frames, moving between corners.

The label is white text with a dark outline (readable on light and on dark
scenes alike), about ``HEIGHT_SHARE`` of the frame's height tall (never smaller
than ``MIN_TEXT_PX`` pixels). It stays ``HOLD_S`` seconds at a position, then
jumps to the next of ``len(POSITIONS)`` positions (the four corners, then the
middle of the left and right edges), so any crop that keeps most of the
picture keeps the mark in part of the clip. It is drawn with Pillow (FreeType
and the font that ships inside Pillow: no font file needed).

Burn it *before* the invisible picture mark (:mod:`.picture_mark`), so the
invisible mark covers it too.

Units: frames are ``(T, H, W, 3)`` uint8 RGB; ``fps`` in frames per second.
"""

from __future__ import annotations

import functools

import numpy as np
from PIL import Image, ImageDraw, ImageFont

__all__ = ["burn", "label", "positions_over_time", "POSITIONS", "HOLD_S"]

#: Seconds the mark stays at one position.
HOLD_S = 2.5
#: Where the mark goes, in turn: fractions (x, y) of the free space (0 = left/top, 1 = right/bottom).
POSITIONS = ((0.0, 0.0), (1.0, 1.0), (1.0, 0.0), (0.0, 1.0), (0.0, 0.5), (1.0, 0.5))
#: Text height as a share of the frame height.
HEIGHT_SHARE = 0.045
#: Smallest text height in pixels (legible after a publish-size encode).
MIN_TEXT_PX = 11
#: Opacity of the label (0-1): it marks the clip without hiding it.
OPACITY = 0.8
#: Margin to the frame's edge as a share of the shorter side.
MARGIN_SHARE = 0.03
#: The product's name as the mark shows it.
PRODUCT = "sora-widgets"


def label(creator: str) -> str:
    """The text of the mark for a creator handle ("sora-widgets · @alice")."""
    handle = str(creator).lstrip("@").strip()
    return f"{PRODUCT} · @{handle}" if handle else PRODUCT


@functools.lru_cache(maxsize=32)
def _sprite(text: str, size_px: int) -> tuple[np.ndarray, np.ndarray]:
    """(rgb (h, w, 3) float32, alpha (h, w, 1) float32 0-1) of the outlined label."""
    font = ImageFont.load_default(size=size_px)
    stroke = max(1, size_px // 8)
    probe = ImageDraw.Draw(Image.new("L", (1, 1)))
    left, top, right, bottom = probe.textbbox((0, 0), text, font=font, stroke_width=stroke)
    w, h = right - left + 2, bottom - top + 2
    # Draw the outline (dark) and the fill (white) on separate layers: the alpha is their union.
    fill = Image.new("L", (w, h), 0)
    outline = Image.new("L", (w, h), 0)
    ImageDraw.Draw(outline).text((1 - left, 1 - top), text, font=font, fill=255, stroke_width=stroke, stroke_fill=255)
    ImageDraw.Draw(fill).text((1 - left, 1 - top), text, font=font, fill=255)
    fill_a = np.asarray(fill, np.float32) / 255.0
    alpha = np.asarray(outline, np.float32) / 255.0
    rgb = np.repeat((fill_a * 255.0)[..., None], 3, axis=2)  # white where the glyph is, black on the outline
    return rgb, (alpha * OPACITY)[..., None]


def text_height(frame_height: int) -> int:
    """Height of the label's text in pixels for frames ``frame_height`` pixels tall."""
    return max(MIN_TEXT_PX, round(frame_height * HEIGHT_SHARE))


def positions_over_time(num_frames: int, fps: float, frame_size: tuple[int, int], sprite_size: tuple[int, int]) -> list[tuple[int, int]]:
    """Top-left pixel (x, y) of the label in each frame.

    Args:
        num_frames: frames in the clip.
        fps: frames per second.
        frame_size: (height, width) of the frames in pixels.
        sprite_size: (height, width) of the label in pixels.
    """
    height, width = frame_size
    sh, sw = sprite_size
    margin = round(MARGIN_SHARE * min(height, width))
    free_x, free_y = max(0, width - sw - 2 * margin), max(0, height - sh - 2 * margin)
    per_slot = max(1, round(HOLD_S * fps))
    out = []
    for t in range(num_frames):
        fx, fy = POSITIONS[(t // per_slot) % len(POSITIONS)]
        out.append((margin + round(fx * free_x), margin + round(fy * free_y)))
    return out


def burn(frames: np.ndarray, fps: float, text: str) -> np.ndarray:
    """Burn the visible mark into every frame.

    Args:
        frames: ``(T, H, W, 3)`` uint8 RGB.
        fps: frames per second (sets how long the mark stays at each position).
        text: the label, usually :func:`label` of the creator's handle
            ("sora-widgets · @alice"); shrunk to fit very narrow frames.

    Returns:
        New ``(T, H, W, 3)`` uint8 frames with the label blended in.
    """
    frames = np.asarray(frames)
    if frames.ndim != 4 or frames.shape[-1] != 3 or frames.dtype != np.uint8:
        raise ValueError(f"frames must be (T, H, W, 3) uint8; got {frames.shape} {frames.dtype}")
    _, height, width, _ = frames.shape
    size = text_height(height)
    rgb, alpha = _sprite(text, size)
    while rgb.shape[1] > width - 4 and size > 6:
        size -= 1
        rgb, alpha = _sprite(text, size)
    rgb, alpha = rgb[: height, : width], alpha[: height, : width]
    sh, sw = rgb.shape[:2]
    out = frames.copy()
    for t, (x, y) in enumerate(positions_over_time(frames.shape[0], fps, (height, width), (sh, sw))):
        region = out[t, y : y + sh, x : x + sw].astype(np.float32)
        a = alpha[: region.shape[0], : region.shape[1]]
        blended = region * (1 - a) + rgb[: region.shape[0], : region.shape[1]] * a
        out[t, y : y + sh, x : x + sw] = np.clip(blended + 0.5, 0, 255).astype(np.uint8)
    return out
