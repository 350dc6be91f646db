"""Cameo assets as scene bodies.

A CameoAsset (built by ``sora_widgets.cameo``) is duck-typed here: ``name`` (the ``@handle``), ``kind``
("person" | "animal" | "object"), ``cutouts`` ((T, h, w, 4) uint8 RGBA), ``still`` ((h, w, 4) uint8 RGBA)
and ``voice`` (None or {espeak_voice, pitch, speed_wpm}).

A cameo replaces what the prompt names as ``@name``, or else the first person / cat or dog / object of the
matching kind. Its body is a box with the aspect ratio of the subject's alpha, drawn with its cut-outs cycled.
"""

from __future__ import annotations

import copy

import numpy as np

__all__ = ["attach_cameos"]

_KIND_GROUPS = {"person": ("person",), "animal": ("dog", "cat"), "object": ("ball", "box", "triangle", "bottle", "can")}


def _crop_to_alpha(frames: np.ndarray) -> tuple[np.ndarray, float]:
    """Crop (T, h, w, 4) RGBA frames to the union of their alpha > 50 % boxes; return (frames, w/h aspect)."""
    alpha = frames[..., 3] > 127
    any_a = alpha.any(axis=0)
    if not any_a.any():
        raise ValueError("the cameo's cut-out is fully transparent: record it again with the subject in view.")
    ys = np.flatnonzero(any_a.any(axis=1))
    xs = np.flatnonzero(any_a.any(axis=0))
    cropped = frames[:, ys[0] : ys[-1] + 1, xs[0] : xs[-1] + 1]
    return cropped, (xs[-1] - xs[0] + 1) / (ys[-1] - ys[0] + 1)


def _frames_of(asset) -> np.ndarray:
    cut = getattr(asset, "cutouts", None)
    if cut is None or len(cut) == 0:
        still = getattr(asset, "still", None)
        if still is None:
            raise ValueError(f"cameo {getattr(asset, 'name', '?')!r} has neither cutouts nor a still image.")
        cut = np.asarray(still)[None]
    cut = np.asarray(cut)
    if cut.ndim != 4 or cut.shape[-1] != 4 or cut.dtype != np.uint8:
        raise ValueError(f"cameo {getattr(asset, 'name', '?')!r}: cutouts must be (T, h, w, 4) uint8 RGBA; "
                         f"got {cut.shape} {cut.dtype}.")
    return cut


def attach_cameos(scene: dict, cameos) -> tuple[dict, dict, list[str]]:
    """Return (scene with cameo names on groups, {name: {"asset", "aspect", "voice"}}, notes)."""
    notes: list[str] = []
    if not cameos and not any(g.get("cameo") for g in scene["objects"]):
        return scene, {}, notes
    scene = copy.deepcopy(scene)
    by_name = {str(getattr(a, "name", "")).lstrip("@").lower(): a for a in cameos}
    used: dict[str, dict] = {}

    def info(name: str) -> dict:
        a = by_name[name]
        frames, aspect = _crop_to_alpha(_frames_of(a))
        return {"asset": _Cropped(a, frames), "aspect": float(aspect), "voice": getattr(a, "voice", None),
                "kind": getattr(a, "kind", "person")}

    for g in scene["objects"]:
        name = g.get("cameo")
        if not name:
            continue
        key = name.lower()
        if key not in by_name:
            notes.append(f"no cameo @{name} was given to this generation; it is drawn as a plain figure")
            g["cameo"] = None
            continue
        used[key] = info(key)
        g["cameo"] = key
        g["count"] = 1
        kind = used[key]["kind"]
        if kind == "animal" and g["kind"] not in ("cat", "dog"):
            g["kind"] = "dog"
        elif kind == "object" and g["kind"] not in _KIND_GROUPS["object"]:
            g["kind"] = "box"
        elif kind == "person":
            g["kind"] = "person"
    for key in by_name:
        if key in used:
            continue
        kind = used.get(key, {}).get("kind") or getattr(by_name[key], "kind", "person")
        targets = [i for i, g in enumerate(scene["objects"])
                   if not g.get("cameo") and g["kind"] in _KIND_GROUPS.get(kind, ())]
        if not targets:
            notes.append(f"cameo @{key} ({kind}) has no {kind} in the prompt to replace; name it as @{key}")
            continue
        i = targets[0]
        g = scene["objects"][i]
        if g["count"] > 1:  # one of them becomes the cameo, the rest stay as they were
            rest = copy.deepcopy(g)
            rest["count"] = g["count"] - 1
            scene["objects"].insert(i + 1, rest)
        g["count"] = 1
        g["cameo"] = key
        used[key] = info(key)
    return scene, used, notes


class _Cropped:
    """A view of an asset with its cut-outs cropped to the subject."""

    def __init__(self, asset, frames: np.ndarray) -> None:
        self.name = getattr(asset, "name", "")
        self.kind = getattr(asset, "kind", "person")
        self.voice = getattr(asset, "voice", None)
        self.cutouts = frames
        self.still = frames[0]
