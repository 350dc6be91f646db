"""Cameos in a clip's pixels: find the store's cameo cut-outs in sampled frames (issue 13 item 5).

Publish checks the cameo ids a clip's recipe carries (``consent.link_uses``). Someone who can read the
store's files can load a cameo's asset, paste its cut-outs into frames of their own, or generate with it
and delete ``cameo_ids`` from the recipe. :func:`cameos_in_pixels` looks for every stored cameo's
cut-outs in the clip itself, so that publish can hand what it sees to ``link_uses`` too: a cameo shown
with no recorded use by the author is refused there, like one named in the recipe.

How a cut-out is found, as the sim engine draws one (cropped to its subject, scaled to any size keeping
its aspect, moved, perhaps mirrored, its colours dimmed by the scene's light, then encoded):

1. Each cameo becomes a few *key cut-outs* (the still, then the cut-outs least like those chosen, up to
   :data:`KEY_CUTOUTS`), each cropped to its subject, and their mirror images.
2. Up to :data:`MAX_FRAMES` frames spread over the clip are shrunk to :data:`SEARCH_SIDE_PX` (and halved
   twice more, a pyramid).
3. Coarse: OpenCV's normalised cross-correlation (``TM_CCOEFF_NORMED``, grey, the subject's alpha as the
   mask) of each key cut-out at heights from :data:`MIN_HEIGHT_PX` up to the frame's, :data:`SCALE_STEP`
   apart, each height matched at the pyramid level where the template is at most 16 px tall; the best
   place of each level is kept when it passes :data:`COARSE_MIN`.
4. Fine: around each such place, the colour correlation over the subject's pixels at nearby sizes and
   shifts in the shrunk frame, then again at the clip's own size (wider sizes: only full-size pixels pin
   a thin cut-out's size down), over at least :data:`MIN_PIXELS` subject pixels. The correlation ignores
   brightness gain and offset, so a dimmed scene still matches.
5. A cameo is *seen* when it scores :data:`MATCH_MIN` in two sampled frames, or :data:`STRONG_MATCH` in one.

A cut-out with too little texture to tell it from a plain patch (:data:`MIN_TEXTURE`, e.g. a flat
colour) is not searched: it cannot be told apart from ordinary pictures, so it proves nothing.
A person cameo's *face* is also recognised (:mod:`.recognise`, dlib's face-recognition network): a new
recording of the same person, or a generation that redraws them, is found that way when the face is at
least ``recognise.MIN_FACE_PX`` tall. What neither finds: a cut-out warped or recoloured beyond a gain and offset, or one
shown only between the sampled frames (docs/security.md section 8).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field

import cv2
import numpy as np

from ..store import Store, normalise_handle

__all__ = [
    "COARSE_MIN",
    "KEY_CUTOUTS",
    "MATCH_MIN",
    "MAX_FRAMES",
    "MIN_HEIGHT_PX",
    "MIN_PIXELS",
    "MIN_TEXTURE",
    "SCALE_STEP",
    "SEARCH_SIDE_PX",
    "STRONG_MATCH",
    "VERIFY_SIDE_PX",
    "Sighting",
    "cameos_in_pixels",
    "find_cutouts",
    "key_cutouts",
    "search",
]

#: Frames are searched with their longest side shrunk to this many pixels (cost grows with its square).
SEARCH_SIDE_PX = 128
#: The smallest cut-out height searched, in pixels of the shrunk frame (12 px there: 24 px in a 256 px clip).
MIN_HEIGHT_PX = 12
#: Ratio between successive cut-out heights searched (each size is within ±10 % of one searched).
SCALE_STEP = 1.2
#: Sightings are checked again on frames shrunk to at most this longest side (px): a 1024 px clip's pixels
#: add nothing a 512 px copy lacks, and cost four times as much.
VERIFY_SIDE_PX = 512
#: How many of a cameo's cut-outs are searched for (the still, then those least like the ones chosen).
KEY_CUTOUTS = 3
#: How many frames of a clip are searched, spread evenly over it (first and last included).
MAX_FRAMES = 6
#: Coarse correlation (grey, over the subject's pixels) above which a place is looked at closely.
COARSE_MIN = 0.5
#: A sighting covers at least this many subject pixels at the clip's own size (fewer prove nothing: a
#: thin dark cut-out 5 px wide looks like any dark stroke).
MIN_PIXELS = 200
#: Colour correlation over the subject's pixels at which a cut-out counts as shown (0..1).
MATCH_MIN = 0.8
#: Colour correlation at which one sampled frame alone is enough (otherwise two frames must show it).
STRONG_MATCH = 0.9
#: A key cut-out whose subject pixels vary less than this (grey-level standard deviation, 0..255) is skipped.
MIN_TEXTURE = 8.0


@dataclass(frozen=True)
class Sighting:
    """A stored cameo found in a clip's pixels.

    cameo_id, name, owner : the cameo (from the ``cameos`` table). frame : index of the clip frame.
    box : (x0, y0, x1, y1) in the clip's pixels. score : colour correlation over the subject's pixels
    (0..1). mirrored : whether the cut-out was drawn mirrored. how : ``"cut-out"`` (its cut-outs were found)
    or ``"face"`` (its owner's face was recognised, :mod:`.recognise`; ``score`` is then 1 - the descriptor
    distance).
    """

    cameo_id: str
    name: str
    owner: str
    frame: int
    box: tuple[int, int, int, int]
    score: float
    mirrored: bool
    how: str = "cut-out"

    def describe(self) -> str:
        """One phrase for a message: where the cameo was seen."""
        if self.how == "face":
            return f"the face of @{self.name} is recognised in its pictures (frame {self.frame})"
        return f"@{self.name} is shown in its pictures (frame {self.frame})"


# ---------------------------------------------------------------- key cut-outs
@dataclass(eq=False)
class _Key:
    """A key cut-out cropped to its subject: ``rgb`` (h, w, 3) float32, ``mask`` (h, w) bool, and its
    resized templates by height (``sizes``, filled as the search needs them)."""

    rgb: np.ndarray
    mask: np.ndarray
    mirrored: bool
    sizes: dict = field(default_factory=dict)


def _crop(cut: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """(rgb float32, mask) of an RGBA cut-out cropped to its alpha > 50 % box, or None when empty."""
    alpha = cut[..., 3] > 127
    if not alpha.any():
        return None
    ys, xs = np.flatnonzero(alpha.any(axis=1)), np.flatnonzero(alpha.any(axis=0))
    sl = np.s_[ys[0] : ys[-1] + 1, xs[0] : xs[-1] + 1]
    return cut[sl][..., :3].astype(np.float32), alpha[sl]


def _textured(rgb: np.ndarray, mask: np.ndarray) -> bool:
    grey = rgb.mean(axis=-1)[mask]
    return grey.size >= 16 and float(grey.std()) >= MIN_TEXTURE


def _likeness(a: tuple[np.ndarray, np.ndarray], b: tuple[np.ndarray, np.ndarray]) -> float:
    """Colour correlation of two cut-outs shrunk to 24 px (how alike they look), -1..1."""
    side = (24, 24)
    pa, pb = (cv2.resize(x[0], side, interpolation=cv2.INTER_AREA).ravel() for x in (a, b))
    pa, pb = pa - pa.mean(), pb - pb.mean()
    den = float(np.sqrt((pa * pa).sum() * (pb * pb).sum()))
    return float((pa * pb).sum() / den) if den > 0 else 0.0


def key_cutouts(cutouts: np.ndarray, still: np.ndarray | None = None, *, count: int = KEY_CUTOUTS) -> list[_Key]:
    """The key cut-outs of a cameo and their mirror images: the cut-outs searched for.

    Args:
        cutouts (`np.ndarray`): (T, h, w, 4) uint8 RGBA, the asset's cut-outs.
        still (`np.ndarray`, *optional*): (h, w, 4) uint8 RGBA, the most representative one (chosen first).
        count (`int`, *optional*, defaults to `KEY_CUTOUTS`): at most this many key cut-outs (before mirroring).

    Returns:
        `list[_Key]`: up to ``2 * count`` textured key cut-outs (an untextured cameo gives none).
    """
    pool = [c for c in (_crop(np.asarray(x)) for x in ([still] if still is not None else []) + list(cutouts))
            if c is not None and _textured(*c)]
    chosen: list[tuple[np.ndarray, np.ndarray]] = []
    while pool and len(chosen) < count:
        if not chosen:
            pick = 0
        else:  # the cut-out least like every one chosen so far
            pick = int(np.argmin([max(_likeness(p, c) for c in chosen) for p in pool]))
            if max(_likeness(pool[pick], c) for c in chosen) > 0.95:
                break  # the rest look like the ones chosen
        chosen.append(pool.pop(pick))
    keys = []
    for rgb, mask in chosen:
        keys.append(_Key(rgb, mask, False))
        keys.append(_Key(np.ascontiguousarray(rgb[:, ::-1]), np.ascontiguousarray(mask[:, ::-1]), True))
    return keys


# ---------------------------------------------------------------- matching
def _template(key: _Key, h: int) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """``key`` at height ``h`` px (aspect kept): (rgb float32, mask bool, grey float32, mask float32),
    made once per key and height; None when too small to mean anything. Masks of templates 20 px and
    larger lose their outer pixel, where a drawn cut-out is blended with whatever is behind it."""
    if h in key.sizes:
        return key.sizes[h]
    kh, kw = key.mask.shape
    w = int(round(h * kw / kh))
    out = None
    if w >= 3 and h >= 3:
        rgb = cv2.resize(key.rgb, (w, h), interpolation=cv2.INTER_AREA)
        mask = cv2.resize(key.mask.astype(np.uint8), (w, h), interpolation=cv2.INTER_NEAREST)
        if min(h, w) >= 20:
            mask = cv2.erode(mask, np.ones((3, 3), np.uint8))
        mask = mask > 0
        if mask.sum() >= 12:
            out = (rgb, mask, np.ascontiguousarray(rgb.mean(axis=-1)), mask.astype(np.float32))
    key.sizes[h] = out
    return out


def _heights(frame_h: int, frame_w: int, aspect: float) -> list[int]:
    """Template heights searched in a frame: MIN_HEIGHT_PX up to the frame's size, SCALE_STEP apart."""
    top = min(frame_h, frame_w / max(aspect, 1e-6))
    out, h = [], float(MIN_HEIGHT_PX)
    while h <= top:
        out.append(int(round(h)))
        h *= SCALE_STEP
    return sorted(set(out))


#: Coarse matching shrinks frame and template together until the template is at most this tall (px):
#: a big cut-out is found as well at 16 px, and a masked correlation costs far less on a smaller frame.
_COARSE_TEMPLATE_PX = 16


def _best_at(frame: np.ndarray, key: _Key, h: float, cx: float, cy: float, *, sizes=(0.93, 1.0, 1.07),
             shifts: int = 1, min_pixels: int = 0) -> tuple[float, tuple[int, int, int, int]]:
    """Best masked colour correlation of ``key`` around centre (cx, cy) px and height ``h`` px in ``frame``
    (float32 RGB): sizes ``h`` x ``sizes``, centres moved by up to ``shifts`` px, templates of at least
    ``min_pixels`` subject pixels. Returns (score, box); (-1, zeros) when nothing fits."""
    H, W = frame.shape[:2]
    best = (-1.0, (0, 0, 0, 0))
    for hh in sorted({max(3, int(round(h * f))) for f in sizes}):
        t = _template(key, hh)
        if t is None or t[1].sum() < min_pixels:
            continue
        rgb, _, _, maskf = t
        th, tw = maskf.shape
        bx, by = int(round(cx - tw / 2)), int(round(cy - th / 2))
        x0, y0 = max(0, bx - shifts), max(0, by - shifts)
        x1, y1 = min(W, bx + tw + shifts), min(H, by + th + shifts)
        if x1 - x0 < tw or y1 - y0 < th:
            continue
        # Every shift at once: OpenCV's masked TM_CCOEFF_NORMED is the colour correlation over the subject's
        # pixels (each channel's mean removed, the channels summed), at each place of the window.
        r = cv2.matchTemplate(frame[y0:y1, x0:x1], rgb, cv2.TM_CCOEFF_NORMED, mask=maskf)
        r[~np.isfinite(r)] = -1.0
        _, score, _, (dx, dy) = cv2.minMaxLoc(r)
        if score > best[0]:
            best = (float(score), (x0 + dx, y0 + dy, x0 + dx + tw, y0 + dy + th))
    return best


def _climb(frame: np.ndarray, key: _Key, h: float, cx: float, cy: float, *, shifts: int, steps: int = 4
           ) -> tuple[float, tuple[int, int, int, int]]:
    """:func:`_best_at`, then again around its best box while that box is at the edge of the sizes tried (up
    to ``steps`` times): the coarse size can be a step or two off, smaller sizes correlating more easily."""
    score, box = _best_at(frame, key, h, cx, cy, shifts=shifts)
    for _ in range(steps):
        bh = box[3] - box[1]
        if score < 0 or abs(bh - h) < 0.05 * h:  # not found, or the best size is the middle one
            break
        h, cx, cy = bh, (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
        s2, b2 = _best_at(frame, key, h, cx, cy, shifts=1)
        if s2 <= score:
            break
        score, box = s2, b2
    return score, box


def _candidates(levels: list[np.ndarray], key: _Key, per_key: int = 3) -> list[tuple[float, float, float, float, int]]:
    """Coarse places of ``key`` in a grey frame pyramid (``levels[0]`` at SEARCH_SIDE_PX, then halves):
    the best of each level, up to ``per_key`` of (coarse score, height, centre x, centre y, level) in
    ``levels[0]`` pixels, best first
    (a place found at pyramid level L is known to within 2**L pixels)."""
    H, W = levels[0].shape
    found = []
    for h in _heights(H, W, key.mask.shape[1] / key.mask.shape[0]):
        level = 0
        while h / 2 ** level > _COARSE_TEMPLATE_PX and level + 1 < len(levels):
            level += 1
        hl = max(3, int(round(h / 2 ** level)))
        t = _template(key, hl)
        img = levels[level]
        if t is None or t[2].shape[0] > img.shape[0] or t[2].shape[1] > img.shape[1]:
            continue
        r = cv2.matchTemplate(img, t[2], cv2.TM_CCOEFF_NORMED, mask=t[3])
        r[~np.isfinite(r)] = -1.0
        _, coarse, _, (x, y) = cv2.minMaxLoc(r)
        if coarse >= COARSE_MIN:
            th, tw = t[2].shape
            f = 2 ** level
            found.append((float(coarse), float(h), (x + tw / 2) * f, (y + th / 2) * f, level))
    # The best place at each pyramid level, not the best overall: small templates correlate more easily by
    # chance (or with a part of the subject), and must not crowd out the right, bigger size.
    best: dict[int, tuple] = {}
    for c in found:
        if c[4] not in best or c[0] > best[c[4]][0]:
            best[c[4]] = c
    return sorted(best.values(), reverse=True)[:per_key]


def _pyramid(grey: np.ndarray) -> list[np.ndarray]:
    levels = [grey]
    while min(levels[-1].shape) >= 4 * _COARSE_TEMPLATE_PX:  # the coarsest is at least 32 px: a template needs room
        levels.append(cv2.pyrDown(levels[-1]))
    return levels


def _sample(n: int, count: int = MAX_FRAMES) -> list[int]:
    return sorted({int(round(i)) for i in np.linspace(0, n - 1, min(count, n))})


#: Sizes tried at the clip's own size, around the one found shrunk: a thin cut-out a few pixels wide there
#: correlates about as well over a range of sizes, and only the full-size pixels pin its size down.
_FULL_SIZES = tuple(1.07**i for i in range(-3, 5))


class _Frame:
    """One sampled frame: at most VERIFY_SIDE_PX (float32 RGB, ``full``) and shrunk to SEARCH_SIDE_PX (RGB and
    a grey pyramid) for the search."""

    def __init__(self, frame: np.ndarray) -> None:
        frame = np.asarray(frame)[..., :3]
        h, w = frame.shape[:2]
        self.kv = min(1.0, VERIFY_SIDE_PX / max(h, w))
        if self.kv < 1.0:
            frame = cv2.resize(frame, (max(1, int(round(w * self.kv))), max(1, int(round(h * self.kv)))),
                               interpolation=cv2.INTER_AREA)
        self.full = np.ascontiguousarray(frame, dtype=np.float32)
        h, w = self.full.shape[:2]
        self.k = min(1.0, SEARCH_SIDE_PX / max(h, w))
        small = self.full
        if self.k < 1.0:
            small = cv2.resize(self.full, (max(1, int(round(w * self.k))), max(1, int(round(h * self.k)))),
                               interpolation=cv2.INTER_AREA)
        self.small = small
        self.levels = _pyramid(np.ascontiguousarray(small.mean(axis=-1)))

    def search(self, keys: list[_Key]) -> tuple[float, tuple[int, int, int, int], bool]:
        """Best sighting of any of ``keys``: (score at the checked size, box in the clip's px, mirrored)."""
        best: tuple[float, tuple[int, int, int, int], bool] = (-1.0, (0, 0, 0, 0), False)
        for key in keys:
            for _, h, cx, cy, level in _candidates(self.levels, key):
                score, box = _climb(self.small, key, h, cx, cy, shifts=2**level + 1)
                if score < MATCH_MIN - 0.1:
                    continue
                if self.k < 1.0:  # checked again at the clip's own size: more pixels, fewer look-alikes
                    x0, y0, x1, y1 = (v / self.k for v in box)
                    score, box = _best_at(self.full, key, y1 - y0, (x0 + x1) / 2, (y0 + y1) / 2,
                                          sizes=_FULL_SIZES, shifts=2, min_pixels=MIN_PIXELS)
                elif _template(key, box[3] - box[1]) is None or _template(key, box[3] - box[1])[1].sum() < MIN_PIXELS:
                    continue
                if score > best[0]:
                    best = (score, tuple(v / self.kv for v in box), key.mirrored)
        return best


def find_cutouts(frames: np.ndarray, keys: list[_Key], *, max_frames: int = MAX_FRAMES
                 ) -> tuple[float, int, tuple[int, int, int, int], bool] | None:
    """Look for one cameo's key cut-outs in ``frames``.

    Args:
        frames (`np.ndarray`): (T, H, W, 3) uint8 RGB, a clip's frames.
        keys (`list[_Key]`): from :func:`key_cutouts`.
        max_frames (`int`, *optional*, defaults to `MAX_FRAMES`): how many frames, spread evenly, are searched.

    Returns:
        `tuple | None`: ``(score, frame index, box (x0, y0, x1, y1) in the clip's pixels, mirrored)`` of the
        best sighting, when the cut-outs score at least :data:`MATCH_MIN` in two sampled frames (or
        :data:`STRONG_MATCH` in one); else None.
    """
    return _find(_frames(frames, max_frames), keys)


def search(frames: np.ndarray, keys_by_cameo: dict, *, max_frames: int = MAX_FRAMES) -> dict:
    """:func:`find_cutouts` for several cameos at once (each sampled frame is prepared once).

    Args:
        frames (`np.ndarray`): (T, H, W, 3) uint8 RGB.
        keys_by_cameo (`dict`): any key (a cameo id) -> its :func:`key_cutouts`.
        max_frames (`int`, *optional*, defaults to `MAX_FRAMES`): frames searched, spread over the clip.

    Returns:
        `dict`: the keys of the cameos seen -> ``(score, frame index, box, mirrored)`` as :func:`find_cutouts`.
    """
    sampled = _frames(frames, max_frames) if keys_by_cameo else {}
    out = {}
    for name, keys in keys_by_cameo.items():
        hit = _find(sampled, keys)
        if hit is not None:
            out[name] = hit
    return out


def _frames(frames: np.ndarray, max_frames: int) -> dict[int, _Frame]:
    return {i: _Frame(frames[i]) for i in _sample(len(frames), max_frames)} if len(frames) else {}


def _find(sampled: dict[int, _Frame], keys: list[_Key]):
    if not keys:
        return None
    hits = []
    for i, fr in sampled.items():
        score, box, mirrored = fr.search(keys)
        if score >= MATCH_MIN:
            hits.append((score, i, tuple(int(round(v)) for v in box), mirrored))
    if not hits:
        return None
    best = max(hits)
    return best if len(hits) >= 2 or best[0] >= STRONG_MATCH else None


# ---------------------------------------------------------------- the store's cameos
_CACHE: OrderedDict[str, list[_Key]] = OrderedDict()
_CACHE_LOCK = threading.Lock()
_CACHE_SIZE = 256  # key cut-outs of 256 cameos: about 256 x 6 x 150 x 150 x 3 x 4 B = 100 MB at most


def _keys_for(store: Store, asset_hash: str) -> list[_Key]:
    """Key cut-outs of the asset stored under ``asset_hash``, made once per process (content-addressed)."""
    with _CACHE_LOCK:
        if asset_hash in _CACHE:
            _CACHE.move_to_end(asset_hash)
            return _CACHE[asset_hash]
    from .asset import CameoAsset

    asset = CameoAsset.from_bytes(store.media_bytes(asset_hash))
    keys = key_cutouts(asset.cutouts, asset.still)
    with _CACHE_LOCK:
        _CACHE[asset_hash] = keys
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    return keys


def cameos_in_pixels(store: Store, frames: np.ndarray, *, user: str | None = None, skip=(),
                     max_frames: int = MAX_FRAMES) -> list[Sighting]:
    """The store's cameos shown in ``frames`` (their cut-outs, or a person cameo's face: :mod:`.recognise`): every
    cameo with media (active or revoked), except ``user``'s own.

    ``publishing.publish`` passes the cameo ids of these sightings to ``cameo.consent.link_uses`` with the
    recipe's: a cameo shown with no recorded use by the author refuses the clip. A person's own cameos are
    not searched (a clip of yourself is yours, with or without a cameo).

    Args:
        store (`Store`): the store whose ``cameos`` are looked for.
        frames (`np.ndarray`): (T, H, W, 3) uint8 RGB, the clip's frames (``clip.frames``).
        user (`str`, *optional*): the author; their own cameos are skipped.
        skip (*optional*): cameo ids not to look for (those the recipe names already: publish checks them anyway).
        max_frames (`int`, *optional*, defaults to `MAX_FRAMES`): frames searched, spread over the clip.

    Returns:
        `list[Sighting]`: one per cameo seen (its best frame), highest score first.
    """
    from .recognise import faces_in_pixels

    owner = normalise_handle(user) if user else None
    with store.read() as con:
        rows = con.execute(
            "SELECT cameo_id, name, owner, asset_hash FROM cameos WHERE asset_hash IS NOT NULL AND status <> 'deleted' "
            "AND owner IS DISTINCT FROM ? ORDER BY cameo_id", [owner]).fetchall()
    info = {r[0]: r for r in rows}
    skip = set(skip)
    rows = [r for r in rows if r[0] not in skip]
    hits = search(frames, {r[0]: _keys_for(store, r[3]) for r in rows}, max_frames=max_frames)
    out = []
    for cameo_id, (score, i, box, mirrored) in hits.items():
        _, name, cam_owner, _ = info[cameo_id]
        out.append(Sighting(cameo_id, name, cam_owner, i, box, round(score, 3), mirrored))
    # Faces: compared with every stored person cameo's at once (a matrix, not a loop over cameos).
    for f in faces_in_pixels(store, frames, user=owner, skip=skip | set(hits)):
        out.append(Sighting(f.cameo_id, f.name, f.owner, f.frame, f.box, round(1.0 - f.distance, 3), False, "face"))
    return sorted(out, key=lambda s: -s.score)
