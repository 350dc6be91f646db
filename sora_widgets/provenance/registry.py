"""The provenance registry in the Store: which clip a mark id, a file hash or a fingerprint belongs to.

One row per clip saved with provenance (``provenance``: mark id, creator, the
signed file's and the unsigned content's SHA-256, the manifest as read back and
the signed manifest store), its per-second fingerprints
(``provenance_fingerprints``) and their 16-bit bands (``provenance_bands``, the
prefilter of :func:`nearest`). Schema: ``store/migrations/009_provenance.sql``.

Writes happen inside publish's transaction (:func:`record` takes its connection),
so a clip and its registry row exist together or not at all. Lookups are SQL;
only the final alignment of a few candidates' fingerprints runs in numpy
(:func:`sora_widgets.provenance.fingerprint.match`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..store import Store
from .fingerprint import Fingerprints, Match, match

__all__ = ["BANDS", "Entry", "Nearest", "by_clip", "by_file_hash", "by_mark_id", "fingerprints_of", "manifest_store",
           "nearest", "record"]

#: Bands each 64-bit picture hash is cut into for the prefilter (16 bits each).
BANDS = 4
_BAND_BITS = 64 // BANDS
#: Candidate clips :func:`nearest` aligns in numpy at most (those with the most band hits).
MAX_CANDIDATES = 20

_COLUMNS = ("clip_id", "mark_id", "creator", "file_sha256", "content_sha256", "manifest", "signer", "seconds",
            "created_at")


@dataclass(frozen=True)
class Entry:
    """A registry row.

    clip_id : the clip. mark_id : the payload of its invisible marks. creator : the handle its visible mark names.
    file_sha256 : the signed MP4 kept by the store. content_sha256 : the MP4 before signing.
    manifest : the active manifest as a C2PA reader reported it when it was signed (dict).
    signer : the signing certificate's subject. seconds : whole seconds fingerprinted.
    created_at : when it was registered (UTC, naive).
    """

    clip_id: str
    mark_id: int
    creator: str
    file_sha256: str
    content_sha256: str
    manifest: dict
    signer: str
    seconds: int
    created_at: Any


@dataclass(frozen=True)
class Nearest:
    """A registered clip whose fingerprints line up with a suspect's: the entry, the alignment, band hits."""

    entry: Entry
    match: Match
    band_hits: int


def _bands(picture: np.ndarray) -> np.ndarray:
    """(seconds, BANDS) band keys: band number in the high 16 bits, the band's bits in the low 16."""
    h = np.asarray(picture, np.uint64)
    cols = [((h >> np.uint64(_BAND_BITS * b)) & np.uint64(0xFFFF)) + np.uint64(b << 16) for b in range(BANDS)]
    return np.stack(cols, axis=1).astype(np.uint32)


def record(
    con: Any,
    *,
    clip_id: str,
    mark_id: int,
    creator: str,
    file_sha256: str,
    content_sha256: str,
    manifest: dict,
    manifest_store: bytes,
    signer: str,
    fingerprints: Fingerprints,
) -> None:
    """Register a saved clip, inside the caller's transaction (publish's).

    Args:
        con: the connection of the open ``store.transaction()`` that saves the clip.
        clip_id (`str`): the saved clip. mark_id (`int`): the 48-bit payload its marks carry.
        creator (`str`): the handle the visible mark names.
        file_sha256 (`str`): SHA-256 (hex) of the signed MP4 the store keeps.
        content_sha256 (`str`): SHA-256 (hex) of the MP4 before signing.
        manifest (`dict`): the active manifest as read back after signing.
        manifest_store (`bytes`): the signed manifest store (JUMBF) embedded in the file.
        signer (`str`): the signing certificate's subject.
        fingerprints (`Fingerprints`): per-second picture and sound hashes of the marked clip.
    """
    con.execute(
        """INSERT INTO provenance (clip_id, mark_id, creator, file_sha256, content_sha256, manifest, manifest_store,
                                   signer, seconds)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        [clip_id, int(mark_id), creator, file_sha256, content_sha256, json.dumps(manifest, default=str),
         manifest_store, signer, fingerprints.seconds],
    )
    # One statement per table (lists unnested side by side), not one per row: this runs under the write lock.
    seconds = list(range(fingerprints.seconds))
    con.execute(
        "INSERT INTO provenance_fingerprints SELECT ?, unnest(?::INTEGER[]), unnest(?::UBIGINT[]), "
        "unnest(?::UBIGINT[]), unnest(?::BOOLEAN[])",
        [clip_id, seconds, [int(x) for x in fingerprints.picture], [int(x) for x in fingerprints.sound],
         [bool(x) for x in fingerprints.sound_active]],
    )
    keys = _bands(fingerprints.picture)
    con.execute("INSERT INTO provenance_bands SELECT unnest(?::UINTEGER[]), ?, unnest(?::INTEGER[])",
                [[int(k) for k in keys.ravel()], clip_id, [s for s in seconds for _ in range(BANDS)]])


def _entries(store: Store, where: str, params: list, *, con: Any = None) -> list[Entry]:
    if con is None:
        with store.read() as con:
            return _entries(store, where, params, con=con)
    rows = con.execute(f"SELECT {', '.join(_COLUMNS)} FROM provenance WHERE {where} ORDER BY created_at, clip_id",
                       params).fetchall()
    return [Entry(**{**dict(zip(_COLUMNS, r, strict=True)), "manifest": json.loads(r[5]) if r[5] else {}})
            for r in rows]


def by_clip(store: Store, clip_id: str) -> Entry | None:
    """The registry row of ``clip_id`` (None for a clip saved without provenance, e.g. before issue 16)."""
    found = _entries(store, "clip_id = ?", [clip_id])
    return found[0] if found else None


def by_mark_id(store: Store, mark_id: int) -> list[Entry]:
    """Every clip saved with the marks ``mark_id``, the first saved first (the original; others are re-saves)."""
    return _entries(store, "mark_id = ?", [int(mark_id)])


def by_file_hash(store: Store, sha256: str) -> Entry | None:
    """The clip whose signed file, or whose content before signing, has this SHA-256 (hex)."""
    found = _entries(store, "file_sha256 = ? OR content_sha256 = ?", [sha256, sha256])
    return found[0] if found else None


def manifest_store(store: Store, clip_id: str) -> bytes | None:
    """The signed manifest store (JUMBF) embedded in ``clip_id``'s file when it was saved: the original manifest
    of a file whose copy lost it."""
    with store.read() as con:
        row = con.execute("SELECT manifest_store FROM provenance WHERE clip_id = ?", [clip_id]).fetchone()
    return bytes(row[0]) if row else None


def _fingerprints(con: Any, clip_ids: list[str]) -> dict[str, Fingerprints]:
    rows = con.execute("SELECT clip_id, picture, sound, sound_active FROM provenance_fingerprints "
                       "WHERE clip_id IN (SELECT unnest(?)) ORDER BY clip_id, second", [clip_ids]).fetchall()
    grouped: dict[str, list] = {}
    for clip_id, *values in rows:
        grouped.setdefault(clip_id, []).append(values)
    return {clip_id: Fingerprints(np.asarray([v[0] for v in vs], np.uint64), np.asarray([v[1] for v in vs], np.uint64),
                                  np.asarray([v[2] for v in vs], bool))
            for clip_id, vs in grouped.items()}


def fingerprints_of(store: Store, clip_id: str) -> Fingerprints | None:
    """The per-second fingerprints registered for ``clip_id`` (None if it has none)."""
    with store.read() as con:
        return _fingerprints(con, [clip_id]).get(clip_id)


def nearest(store: Store, suspect: Fingerprints, *, limit: int = 3) -> list[Nearest]:
    """Registered clips whose fingerprints match ``suspect``'s, best first (at most ``limit``).

    SQL finds candidates: clips with a second whose picture hash shares a whole 16-bit band with one
    of the suspect's (an index lookup per band key, so the cost grows with the matches, not with the
    registry). The :data:`MAX_CANDIDATES` with the most band hits are then aligned second by second
    (:func:`~sora_widgets.provenance.fingerprint.match`, which also allows a trimmed start) and kept
    when they match.

    Args:
        store (`Store`): the store holding the registry.
        suspect (`Fingerprints`): the fingerprints of the file being checked.
        limit (`int`, *optional*, defaults to 3): most clips returned.
    """
    keys = sorted({int(k) for k in _bands(suspect.picture).ravel()})
    if not keys:
        return []
    with store.read() as con:
        hits = dict(con.execute(
            "SELECT clip_id, count(*) AS hits FROM provenance_bands WHERE band_key IN (SELECT unnest(?)) "
            "GROUP BY clip_id ORDER BY hits DESC, clip_id LIMIT ?", [keys, MAX_CANDIDATES]).fetchall())
        if not hits:
            return []
        references = _fingerprints(con, list(hits))
        entries = {e.clip_id: e for e in _entries(store, "clip_id IN (SELECT unnest(?))", [list(hits)], con=con)}
    out = []
    for clip_id, n in hits.items():
        if clip_id not in references or clip_id not in entries:
            continue
        m = match(suspect, references[clip_id])
        if m.is_match:
            out.append(Nearest(entries[clip_id], m, int(n)))
    out.sort(key=lambda x: (x.match.picture_bits, -x.band_hits))
    return out[:limit]
