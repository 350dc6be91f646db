"""A start picture as the sim engine's scene (issue 18 item 5: "animate a picture").

The picture, fitted to the frame, is the backdrop and the camera moves slowly across it. The first thing the
prompt names is cut out of it with the cameo extractor's segmentation (:mod:`sora_widgets.cameo.segment`: a
face-seeded GrabCut for a person, GrabCut in a box for anything else), the hole it leaves is filled from its
surroundings (OpenCV's Telea inpainting), and the cut-out becomes that thing's physics body — at the place
and size it has in the picture — so "the cat jumps" makes the cat in the photo jump and "the apple falls"
makes the apple fall to the bottom of the frame.

Without a detector that knows every word, the thing is taken to be the picture's main subject: GrabCut from
a box covering the middle of the frame (``SUBJECT_BOX``), unless the request gives ``picture_box`` (the
thing's box as fractions of the picture). A prompt that names nothing ("a slow pan over the city") animates
only the camera.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field

import numpy as np

from ...pictures import fit_picture

__all__ = ["CAMERA_ZOOM", "CUTOUT_NAME", "MIN_SUBJECT_SHARE", "OVAL_SHARE", "SUBJECT_BOX", "PictureScene", "camera_window", "place", "prepare"]

#: How much the camera zooms into the picture, so that it has room to move: the view is 1/CAMERA_ZOOM of the
#: frame, and it crosses the rest (1 - 1/1.08 = 7.4 % of the width) over the whole clip.
CAMERA_ZOOM = 1.08
#: The cut-out's cameo name in the scene (``scene["objects"][i]["cameo"]``).
CUTOUT_NAME = "picture"
#: The box, as fractions (x0, y0, x1, y1) of the frame, where the main subject is looked for by default.
SUBJECT_BOX = (0.06, 0.06, 0.94, 0.97)
#: Below this share of its box, a segmentation is taken as a fragment of a subject that fills the picture.
MIN_SUBJECT_SHARE = 0.15
#: The oval moved instead of a fragment spans this share of the box's width and height.
OVAL_SHARE = 0.8
#: Motions whose thing leaves where it sits in the picture and comes down to the bottom of the frame.
_FALLS = frozenset({"drop", "bounce", "fall", "topple"})
#: The floor of a falling thing, as a fraction of the frame height from the top.
_FALL_FLOOR = 0.97
#: The cameo kind (sim/cameos.py) the cut-out of each scene kind is given.
_CAMEO_KIND = {"person": "person", "cat": "animal", "dog": "animal"}


@dataclass
class _Cutout:
    """Duck-typed like a CameoAsset (sim/cameos.py): a still cut-out, no voice."""

    name: str
    kind: str
    cutouts: np.ndarray  # (1, h, w, 4) uint8 RGBA
    voice: None = None

    @property
    def still(self) -> np.ndarray:
        return self.cutouts[0]


@dataclass
class PictureScene:
    """What :func:`prepare` made of a picture.

    backdrop: (H, W, 3) float32, the fitted picture with the cut-out's hole filled.
    asset: the cut-out (a cameo-like asset named ``CUTOUT_NAME``) or None when the prompt names nothing.
    box: (x0, y0, x1, y1) frame pixels of the cut-out's opaque part (alpha > 50 %), or None.
    group: index in ``scene["objects"]`` of the group the cut-out is, or None.
    notes: what the user should know (e.g. "the cat was cut out of the picture").
    """

    backdrop: np.ndarray
    asset: _Cutout | None = None
    box: tuple[int, int, int, int] | None = None
    group: int | None = None
    notes: list[str] = field(default_factory=list)


def _named_group(scene: dict, prompt: str) -> int | None:
    """Index of the first group the prompt names, or None when it names nothing (the parser then falls back
    to one red ball, which a picture must not be cut into)."""
    objs = scene.get("objects") or []
    if not objs:
        return None
    if len(objs) == 1 and objs[0]["kind"] == "ball" and not re.search(r"\bballs?\b", prompt, re.I):
        return None
    return 0


def _subject_mask(image: np.ndarray, kind: str, box: tuple[float, float, float, float] | None) -> tuple[np.ndarray, bool]:
    """Soft mask (h, w) float32 in [0, 1] of the thing to cut out of the whole picture ``image`` (more context
    than the fitted frame), and whether segmentation found it (False: an oval of the box is used instead)."""
    from ...cameo import segment

    h, w = image.shape[:2]
    if kind == "person" and box is None:
        face = segment.detect_face(image)
        if face is not None:
            return segment.segment_person(image[None], np.asarray(face, float)[None])[0], True
    fx0, fy0, fx1, fy1 = box if box is not None else SUBJECT_BOX
    soft, _ = segment.segment_box(image[None], (fx0 * w, fy0 * h, fx1 * w, fy1 * h))
    found = _largest_part(soft[0] > 0.5)
    if found.sum() >= MIN_SUBJECT_SHARE * (fx1 - fx0) * w * (fy1 - fy0) * h:
        return soft[0], True
    # The subject fills the picture (a close-up: its border is the subject too, so GrabCut has no background
    # to learn from) and only a fragment came out: move a soft oval of the box's middle instead.
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    cx, cy = (fx0 + fx1) / 2 * w, (fy0 + fy1) / 2 * h
    rx, ry = OVAL_SHARE * (fx1 - fx0) * w / 2, OVAL_SHARE * (fy1 - fy0) * h / 2
    r = np.hypot((xx + 0.5 - cx) / rx, (yy + 0.5 - cy) / ry)
    return np.clip((1.0 - r) / 0.08 + 0.5, 0.0, 1.0), False


def _largest_part(hard: np.ndarray) -> np.ndarray:
    """The largest 8-connected part of a boolean mask (GrabCut leaves specks)."""
    import cv2

    n, labels, stats, _ = cv2.connectedComponentsWithStats(hard.astype(np.uint8), connectivity=8)
    if n <= 1:
        return hard
    k = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
    return labels == k


def prepare(scene: dict, image: np.ndarray, width: int, height: int, *, prompt: str,
            box: tuple[float, float, float, float] | None = None) -> tuple[dict, PictureScene]:
    """Turn a start picture into the backdrop and a cut-out body for the scene.

    Args:
        scene (`dict`): the parsed scene (``parse_prompt``); not changed.
        image (`np.ndarray`): the start picture, (h, w, 3) uint8 (``pictures.check_picture``).
        width (`int`): frame width, pixels.
        height (`int`): frame height, pixels.
        prompt (`str`): the prompt, to tell a named thing from the parser's fallback ball.
        box (`tuple[float, float, float, float]`, *optional*): the thing's box as fractions (x0, y0, x1, y1)
            of the picture; default: the main subject (``SUBJECT_BOX``, or the face for a person).

    Returns:
        `tuple[dict, PictureScene]`: the scene with the named group made one body drawn as the cut-out
        (``cameo = CUTOUT_NAME``), and the backdrop, cut-out and its box.
    """
    import cv2

    fitted = fit_picture(image, width, height)
    gi = _named_group(scene, prompt)
    if gi is None:
        return scene, PictureScene(fitted.astype(np.float32),
                                   notes=["the prompt names no thing to cut out: the picture is animated by the "
                                          "camera only"])
    g = scene["objects"][gi]
    soft, found = _subject_mask(image, g["kind"], box)
    alpha8 = np.round(np.clip(soft, 0.0, 1.0) * 255).astype(np.uint8)
    alpha = fit_picture(np.repeat(alpha8[..., None], 3, axis=2), width, height)[..., 0].astype(np.float32) / 255
    hard = _largest_part(alpha > 0.5)
    if hard.sum() < 16:  # nothing found: the thing stays drawn as the engine draws it
        return scene, PictureScene(fitted.astype(np.float32),
                                   notes=["nothing could be cut out of the picture: the thing is drawn over it"])
    alpha = np.where(cv2.dilate(hard.astype(np.uint8), np.ones((3, 3), np.uint8)) > 0, alpha, 0.0)
    ys, xs = np.nonzero(alpha > 0.5)
    x0, y0, x1, y1 = int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1
    rgba = np.dstack([fitted, np.round(alpha * 255).astype(np.uint8)])[y0:y1, x0:x1]
    # The hole: the cut-out and a rim of a few pixels (its soft edge), filled from what surrounds it.
    rim = max(3, round(0.012 * max(width, height)))
    hole = cv2.dilate((alpha > 0.02).astype(np.uint8), cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * rim + 1,) * 2))
    backdrop = cv2.inpaint(np.ascontiguousarray(fitted), hole, rim, cv2.INPAINT_TELEA)
    scene = copy.deepcopy(scene)
    g = scene["objects"][gi]
    g["count"] = 1
    g["cameo"] = CUTOUT_NAME
    g["cut_out"] = True  # what the Studio's "understood" line says instead of the cameo's name
    label = g.get("thing") or g["kind"]
    asset = _Cutout(CUTOUT_NAME, _CAMEO_KIND.get(g["kind"], "object"), np.ascontiguousarray(rgba[None]))
    said = str(label).replace("_", " ")
    note = (f"the {said} was cut out of the picture" if found else
            f"the {said} could not be told from its surroundings: an oval of the picture's middle moves instead")
    return scene, PictureScene(backdrop.astype(np.float32), asset, (x0, y0, x1, y1), gi, [note])


def place(bodies: list, world, ps: PictureScene) -> None:
    """Give the cut-out's body the place and size it has in the picture, and put the floor under it.

    Called between ``physics.layout`` and ``physics.simulate``. The floor (world y = 0) is moved to the
    bottom of the cut-out, so a thing that stands, walks or jumps does so where it stands in the picture;
    a thing that falls ("drop", "bounce", "fall", "topple") comes down to near the frame's bottom edge.

    Args:
        bodies (`list[Body]`): the laid-out bodies; the one drawn as ``CUTOUT_NAME`` is changed in place.
        world (`World`): the view; its ``y_bottom`` (metres) is changed in place.
        ps (`PictureScene`): :func:`prepare`'s result.
    """
    if ps.asset is None or ps.box is None:
        return
    body = next((b for b in bodies if b.cameo == CUTOUT_NAME), None)
    if body is None:
        return
    s = world.scale
    x0, y0, x1, y1 = ps.box
    floor_px = float(y1)
    if body.motion in _FALLS:
        floor_px = max(floor_px, _FALL_FLOOR * world.height_px)
    if world.floor:
        world.y_bottom = floor_px / s - world.h  # world y = 0 at floor_px
    hw, hh = (x1 - x0) / (2 * s), (y1 - y0) / (2 * s)
    body.half = (hw, hh)
    body.radius = hh
    body.verts = [(-hw, -hh), (hw, -hh), (hw, hh), (-hw, hh)]
    body.figure = None
    bottom_y = world.y_bottom + world.h - y1 / s  # world y of the cut-out's bottom edge
    body.init = {**body.init, "p": ((x0 + x1) / (2 * s), bottom_y + hh + 0.002), "w": 0.0}
    body.init.pop("control", None)


def camera_window(u: float, width: int, height: int) -> tuple[float, float, float]:
    """The slow camera move over a picture: (centre x px, centre y px, zoom) at clip fraction ``u``.

    Args:
        u (`float`): 0 at the first frame, 1 at the last.
        width (`int`): frame width, pixels.
        height (`int`): frame height, pixels.

    Returns:
        `tuple[float, float, float]`: the view's centre in frame pixels and its zoom (``CAMERA_ZOOM``): it
        moves left to right at a steady speed, ``width * (1 - 1 / CAMERA_ZOOM)`` pixels over the clip.
    """
    z = CAMERA_ZOOM
    half = width / (2 * z)
    return half + (width - 2 * half) * float(np.clip(u, 0.0, 1.0)), height / 2, z
