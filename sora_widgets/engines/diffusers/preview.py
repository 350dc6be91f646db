"""Cheap previews of the latents being denoised (no VAE decode).

A preview is one RGB frame (H, W, 3) uint8 made from the middle latent frame:
the latent channels are split round-robin into three groups (channel ``c`` goes
to R, G or B by ``c % 3``), each group is averaged, each colour is stretched
between its 2nd and 98th percentile, and the small image is enlarged by pixel
repetition to about the requested size. It is a *fixed linear projection* of
the channels: it shows layout and motion emerging, not true colours, and costs
well under a millisecond next to a denoising step.
"""

from __future__ import annotations

import numpy as np

__all__ = ["latents_to_preview"]


def latents_to_preview(latents, layout: str, latent_hw: tuple[int, int], out_hw: tuple[int, int]) -> np.ndarray | None:
    """Project ``latents`` (a torch tensor) to an RGB preview frame.

    layout : ``"packed"`` (B, F*h*w [+ extra tokens], C) as LTX / LTX-2 pass them, ``"bcfhw"`` (Wan)
        or ``"bfchw"`` (CogVideoX).
    latent_hw : (h, w) latent height and width, used to unpack ``"packed"`` tokens.
    out_hw : (height, width) in pixels the preview is enlarged towards.
    Returns None when the latents do not have the expected shape (a preview is optional).
    """
    x = latents.detach()
    h, w = latent_hw
    if layout == "packed":
        if x.ndim != 3 or h * w == 0 or x.shape[1] < h * w:
            return None
        frames = x.shape[1] // (h * w)
        mid = frames // 2
        # Only the middle frame's tokens leave the device.
        chw = x[0, mid * h * w : (mid + 1) * h * w].float().cpu().numpy().reshape(h, w, -1).transpose(2, 0, 1)
    elif layout == "bcfhw":
        if x.ndim != 5:
            return None
        chw = x[0, :, x.shape[2] // 2].float().cpu().numpy()
    elif layout == "bfchw":
        if x.ndim != 5:
            return None
        chw = x[0, x.shape[1] // 2].float().cpu().numpy()
    else:
        raise ValueError(f"unknown latent layout {layout!r}")
    return project_to_rgb(chw, out_hw)


def project_to_rgb(chw: np.ndarray, out_hw: tuple[int, int]) -> np.ndarray:
    """(C, h, w) float latents -> (H, W, 3) uint8, by round-robin channel groups (see module doc)."""
    c = chw.shape[0]
    rgb = np.stack([chw[k::3].mean(axis=0) if k < c else chw.mean(axis=0) for k in range(3)], axis=-1)
    lo = np.percentile(rgb, 2, axis=(0, 1))
    hi = np.percentile(rgb, 98, axis=(0, 1))
    rgb = np.clip((rgb - lo) / np.maximum(hi - lo, 1e-6), 0.0, 1.0)
    fy = max(1, out_hw[0] // rgb.shape[0])
    fx = max(1, out_hw[1] // rgb.shape[1])
    rgb = np.repeat(np.repeat(rgb, fy, axis=0), fx, axis=1)
    return (rgb * 255.0 + 0.5).astype(np.uint8)
