"""CameoAsset: what extraction produces and what engines put into a scene.

Engines read these attributes (duck-typed, so an engine need not import this
module): ``cameo_id``, ``name``, ``kind``, ``cutouts``, ``still``, ``voice``.
Everything else here is for the owner's tools (mask scrubbing, the store).
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["CameoAsset", "CameoError", "KINDS"]

KINDS = ("person", "animal", "object")


class CameoError(ValueError):
    """An upload or request that cannot make a cameo; the message says what to do instead."""


@dataclass(eq=False)
class CameoAsset:
    """An extracted person, animal or object.

    kind : "person" | "animal" | "object".
    masks : (T, H, W) bool, the subject's pixels in each source frame.
    boxes : (T, 4) int, (x0, y0, x1, y1) in source pixels per frame (x1, y1 exclusive).
    cutouts : (T, h, w, 4) uint8 RGBA, the subject cropped to its box and scaled to one
        size, alpha feathered (soft edges) - what an engine pastes into a scene.
    still : (h, w, 4) uint8 RGBA, the most representative cutout (largest, sharpest mask).
    voice : None, or {"espeak_voice": str, "pitch": int 0-99, "speed_wpm": int,
        "f0_hz": float, "syllables_per_s": float} when the source had speech.
    fps : frames per second of the source, for cycling ``cutouts`` in time.
    name : the handle used in prompts as "@name"; cameo_id : set once stored;
    use_id : the recorded use this copy came from (``cameo.use``).
    """

    kind: str
    masks: np.ndarray
    boxes: np.ndarray
    cutouts: np.ndarray
    still: np.ndarray
    fps: float
    voice: dict[str, Any] | None = None
    name: str = ""
    cameo_id: str | None = None
    use_id: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise CameoError(f"kind must be one of {', '.join(KINDS)}; got {self.kind!r}")
        self.masks = np.asarray(self.masks, dtype=bool)
        self.boxes = np.asarray(self.boxes, dtype=np.int32).reshape(-1, 4)
        if self.masks.ndim != 3 or len(self.boxes) != len(self.masks) or len(self.cutouts) != len(self.masks):
            raise CameoError(
                f"masks (T,H,W), boxes (T,4) and cutouts (T,h,w,4) must share T; got "
                f"{self.masks.shape}, {self.boxes.shape}, {np.shape(self.cutouts)}"
            )

    @property
    def num_frames(self) -> int:
        return int(self.masks.shape[0])

    @property
    def coverage(self) -> np.ndarray:
        """(T,) fraction of each frame the subject covers."""
        return self.masks.reshape(len(self.masks), -1).mean(axis=1)

    def overlay(self, frame: np.ndarray, t: int, *, color=(255, 64, 160), opacity: float = 0.45) -> np.ndarray:
        """``frame`` (H, W, 3) uint8 with frame ``t``'s mask tinted and its box drawn, for scrubbing."""
        out = frame.astype(np.float32).copy()
        m = self.masks[t]
        out[m] = out[m] * (1 - opacity) + np.asarray(color, np.float32) * opacity
        x0, y0, x1, y1 = (int(v) for v in self.boxes[t])
        h, w = m.shape
        x1, y1 = min(x1, w) - 1, min(y1, h) - 1
        out[max(y0, 0), max(x0, 0):x1 + 1] = out[y1, max(x0, 0):x1 + 1] = (255, 255, 0)
        out[max(y0, 0):y1 + 1, max(x0, 0)] = out[max(y0, 0):y1 + 1, x1] = (255, 255, 0)
        return out.astype(np.uint8)

    # --------------------------------------------------------------- storage
    def to_bytes(self) -> bytes:
        """Compressed ``.npz`` bytes (masks bit-packed) for ``store.put_media``."""
        buf = io.BytesIO()
        header = {
            "kind": self.kind, "fps": float(self.fps), "voice": self.voice, "name": self.name,
            "mask_shape": list(self.masks.shape), "meta": self.meta, "format": 1,
        }
        np.savez_compressed(
            buf,
            header=np.frombuffer(json.dumps(header).encode(), dtype=np.uint8),
            masks=np.packbits(self.masks.reshape(-1)),
            boxes=self.boxes,
            cutouts=self.cutouts,
            still=self.still,
        )
        return buf.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes, *, cameo_id: str | None = None) -> CameoAsset:
        with np.load(io.BytesIO(data), allow_pickle=False) as z:
            header = json.loads(z["header"].tobytes().decode())
            shape = tuple(header["mask_shape"])
            masks = np.unpackbits(z["masks"], count=int(np.prod(shape))).astype(bool).reshape(shape)
            return cls(
                kind=header["kind"], masks=masks, boxes=z["boxes"], cutouts=z["cutouts"], still=z["still"],
                fps=header["fps"], voice=header.get("voice"), name=header.get("name", ""),
                cameo_id=cameo_id, meta=header.get("meta") or {},
            )

    def __repr__(self) -> str:
        return (
            f"CameoAsset(kind={self.kind!r}, name={self.name!r}, cameo_id={self.cameo_id!r}, frames={self.num_frames}, "
            f"cutout={tuple(self.cutouts.shape[1:3])}, voice={'yes' if self.voice else 'no'})"
        )
