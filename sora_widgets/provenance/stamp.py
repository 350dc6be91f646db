"""Marking a clip and signing its MP4: what publishing does to every clip it saves, and what a download gives.

- :func:`mark` burns the visible mark ("sora-widgets · @creator") and embeds the
  invisible picture and sound marks carrying one mark id (P1's
  :mod:`~sora_widgets.provenance.visible_mark`, :mod:`~.picture_mark`,
  :mod:`~.sound_mark`), and records ``clip.meta["provenance"]`` (mark id, creator).
- :func:`ensure_marked` does that in place for a clip that is not marked yet: the
  publishing service calls it before output moderation, so the verdict is about the
  marked bytes and the pre-screened clip is the clip saved (``publishing.generate_checked``
  marks every take it returns, so the Studio's player, pre-screen and store all see the
  marked clip, encoded once).
- :func:`seal` signs the clip's encoded MP4 with a C2PA manifest (no re-encode: the
  manifest is a box added to the file) and gathers what :func:`register` files in the
  registry, inside publish's transaction.
- :func:`export` is the download: the stored, marked and signed file, for someone who may see the clip.

**Drafts carry the marks too.** A take is marked when it is generated, before its author
sees it: a draft can be downloaded or screen-recorded like any clip, and marking once
keeps the Studio's rule that the bytes shown are the bytes stored.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import threading
import weakref
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..media import Clip, EncodedMP4
from ..store import Store, normalise_handle
from . import fingerprint, registry, signing
from . import mark_id as ids

__all__ = ["CAMEO_ASSERTION", "CLIP_ASSERTION", "DIGITAL_SOURCE_TYPE", "SOFT_BINDING_ALG", "Sealed", "ensure_marked",
           "export", "is_marked", "manifest_definition", "mark", "register", "seal"]

#: IPTC digital source type of everything the product generates.
DIGITAL_SOURCE_TYPE = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"
#: The soft-binding algorithm name: our spread-spectrum picture and sound marks (value: the mark id, hex).
SOFT_BINDING_ALG = "org.sora-widgets.spread-spectrum.1"
#: Our assertion naming the clip, its creator, engine and recipe hash.
CLIP_ASSERTION = "org.sora-widgets.clip"
#: Our assertion recording cameo use (kinds; owners only when they are adults).
CAMEO_ASSERTION = "org.sora-widgets.cameo"


# ---------------------------------------------------------------------------------------- marks
class _Memo:
    """The arrays :func:`mark` produced for a mark id in this process, and their fingerprints."""

    def __init__(self, clip: Clip, prints: fingerprint.Fingerprints):
        self.frames = weakref.ref(clip.frames)
        self.audio = weakref.ref(clip.audio)
        self.fingerprints = prints

    def holds(self, clip: Clip) -> bool:
        return self.frames() is clip.frames and self.audio() is clip.audio


_memo_lock = threading.Lock()
_memo: dict[int, _Memo] = {}


def _remember(clip: Clip, mid: int, prints: fingerprint.Fingerprints) -> None:
    with _memo_lock:
        for key in [k for k, m in _memo.items() if m.frames() is None]:
            del _memo[key]  # clips gone: their memo too
        _memo[mid] = _Memo(clip, prints)


def mark(clip: Clip, *, creator: str, mark_id: int | None = None) -> Clip:
    """A copy of ``clip`` with the visible mark and the invisible picture and sound marks.

    Args:
        clip (`Clip`): the clip (not changed).
        creator (`str`): the handle the visible mark names ("sora-widgets · @creator").
        mark_id (`int`, *optional*): the 48-bit payload both invisible marks carry
            (:func:`~sora_widgets.provenance.mark_id.new_mark_id`, the default: a fresh one).

    Returns:
        `Clip`: new frames and audio, same fps and sample rate, ``meta["provenance"]`` =
        ``{"mark_id": int, "creator": handle, "marked_at": ISO time}``.
    """
    from . import picture_mark, sound_mark, visible_mark

    creator = normalise_handle(creator)
    mid = mark_id if mark_id is not None else ids.new_mark_id()
    if not ids.is_valid(mid):
        raise ValueError(f"{mid!r} is not a valid mark id (use provenance.mark_id.new_mark_id())")
    frames = picture_mark.embed(visible_mark.burn(clip.frames, clip.fps, visible_mark.label(creator)), mid)
    audio = clip.audio
    if audio.size:
        audio = np.clip(sound_mark.embed(audio, clip.sample_rate, mid), -1.0, 1.0).astype(np.float32)
    stamp = {"mark_id": mid, "creator": creator, "marked_at": dt.datetime.now(dt.UTC).isoformat()}
    out = Clip(frames, audio, clip.fps, clip.sample_rate, {**clip.meta, "provenance": stamp})
    _remember(out, mid, fingerprint.of_clip(out.frames, out.fps, out.audio, out.sample_rate))
    return out


def is_marked(clip: Clip) -> bool:
    """Whether ``clip`` carries our marks, as far as this process can tell.

    True when ``meta["provenance"]["mark_id"]`` is a valid mark id and either :func:`mark` made these
    very arrays, or they were not made in this process (a clip loaded from the store or sent by a
    worker keeps its record). A clip whose frames or sound were replaced after marking is not marked.
    """
    mid = (clip.meta.get("provenance") or {}).get("mark_id")
    if not ids.is_valid(mid):
        return False
    with _memo_lock:
        memo = _memo.get(mid)
    return memo is None or memo.holds(clip) or "clip_id" in clip.meta


def ensure_marked(clip: Clip, *, creator: str) -> bool:
    """Mark ``clip`` in place unless it is marked already (:func:`is_marked`); True when it marked it now.

    Its ``frames`` and ``audio`` are replaced by the marked arrays (so its encoding is made again)
    and ``meta["provenance"]`` is set: whoever holds the clip (a player, a pre-screen, publish) then
    sees the marked clip.

    Args:
        clip (`Clip`): the clip to mark.
        creator (`str`): the handle the visible mark names.
    """
    if is_marked(clip):
        return False
    marked = mark(clip, creator=creator)
    clip.frames, clip.audio, clip.meta = marked.frames, marked.audio, marked.meta
    return True


def _fingerprints(clip: Clip) -> fingerprint.Fingerprints:
    with _memo_lock:
        memo = _memo.get((clip.meta.get("provenance") or {}).get("mark_id"))
    if memo is not None and memo.holds(clip):
        return memo.fingerprints
    return fingerprint.of_clip(clip.frames, clip.fps, clip.audio, clip.sample_rate)


# ---------------------------------------------------------------------------------------- manifest
def _version() -> str:
    """The installed sora-widgets version (from its distribution metadata: importing the package would be a cycle)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("sora-widgets")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "unknown"


def recipe_sha256(meta: dict) -> str:
    """SHA-256 (hex) of the clip's recipe as canonical JSON (sorted keys): names the recipe without revealing it."""
    recipe = meta.get("recipe") or {}
    return hashlib.sha256(json.dumps(recipe, sort_keys=True, default=str).encode()).hexdigest()


def _cameo_uses(store: Store, meta: dict) -> list[dict]:
    """One entry per cameo the recipe uses: its kind, and its owner's handle only when the owner is an adult."""
    from ..social.accounts import is_minor

    ids = [c for c in (meta.get("recipe") or {}).get("cameo_ids") or [] if c]
    if not ids:
        return []
    with store.read() as con:
        rows = con.execute("SELECT cameo_id, owner, kind FROM cameos WHERE cameo_id IN (SELECT unnest(?))",
                           [ids]).fetchall()
    uses = []
    for _cameo_id, owner, kind in rows:
        try:
            named = not is_minor(store, owner)
        except KeyError:
            named = False
        # A teen's (or unconfirmed birthdate's) handle never goes into a file that leaves the store.
        uses.append({"kind": kind, "owner": f"@{owner}" if named else None})
    return uses


def manifest_definition(store: Store, meta: dict, *, clip_id: str, parent_id: str | None = None) -> dict:
    """The C2PA manifest definition for a clip (c2pa-python's JSON form).

    Assertions: ``c2pa.actions`` with one ``c2pa.created`` action (digitalSourceType
    trainedAlgorithmicMedia, the engine as software agent, engine/model/recipe hash as
    parameters); ``c2pa.soft-binding`` with the mark id (:data:`SOFT_BINDING_ALG`);
    :data:`CLIP_ASSERTION` (clip id, creator, time, engine, recipe hash, parent clip id) and, when
    cameos were used, :data:`CAMEO_ASSERTION` (never naming a minor).

    Args:
        store (`Store`): for cameo owners' ages.
        meta (`dict`): the clip's meta; ``meta["provenance"]`` (from :func:`mark`) must be set.
        clip_id (`str`): the id the clip is saved under.
        parent_id (`str`, *optional*): the clip this one remixes.
    """
    prov = meta.get("provenance") or {}
    if not ids.is_valid(prov.get("mark_id")):
        raise ValueError("the clip is not marked: call provenance.stamp.mark (or ensure_marked) before signing")
    engine = str(meta.get("engine") or "unknown")
    recipe = meta.get("recipe") or {}
    params = {"engine": engine, "model": recipe.get("model") or meta.get("model"), "recipe_sha256": recipe_sha256(meta)}
    clip_info = {"clip_id": clip_id, "creator": f"@{prov['creator']}", "engine": engine,
                 "recipe_sha256": params["recipe_sha256"],
                 "signed_at": dt.datetime.now(dt.UTC).isoformat(), "parent_clip_id": parent_id}
    assertions = [
        {"label": "c2pa.actions", "data": {"actions": [{
            "action": "c2pa.created", "digitalSourceType": DIGITAL_SOURCE_TYPE,
            "softwareAgent": {"name": f"sora-widgets/{engine}", "version": _version()},
            "parameters": {k: v for k, v in params.items() if v is not None},
        }]}},
        {"label": "c2pa.soft-binding", "data": {"alg": SOFT_BINDING_ALG,
                                                "blocks": [{"scope": {}, "value": f"{prov['mark_id']:012x}"}]}},
        {"label": CLIP_ASSERTION, "data": clip_info},
    ]
    cameos = _cameo_uses(store, meta)
    if cameos:
        assertions.append({"label": CAMEO_ASSERTION, "data": {"uses": cameos, "consent": "granted by each owner"}})
    return {"claim_generator_info": [{"name": "sora-widgets", "version": _version()}],
            "title": f"sora-widgets clip {clip_id}", "format": signing.MP4, "assertions": assertions}


def _parent_ingredient(store: Store, parent_id: str | None) -> tuple[dict, bytes] | None:
    """(ingredient definition, the parent's stored MP4) so the remix carries its parent's manifest."""
    if parent_id is None:
        return None
    media_hash = store.clip_info(parent_id).get("media_hash")
    if not media_hash:
        return None
    return {"title": f"sora-widgets clip {parent_id}"}, store.media_bytes(media_hash)


# ---------------------------------------------------------------------------------------- sealing
@dataclass(frozen=True)
class Sealed:
    """A clip's signed MP4 and what the registry files about it (from :func:`seal`, for :func:`register`).

    mp4 : the signed file (``EncodedMP4``: bytes + SHA-256). content_sha256 : SHA-256 of the MP4 before signing.
    manifest : the active manifest as read back. manifest_store : the JUMBF bytes embedded.
    clip_id, mark_id, creator, signer : as registered. fingerprints : per-second picture and sound hashes.
    """

    mp4: EncodedMP4
    content_sha256: str
    manifest: dict
    manifest_store: bytes
    clip_id: str
    mark_id: int
    creator: str
    signer: str
    fingerprints: fingerprint.Fingerprints


def sign(store: Store, mp4: bytes, clip_meta: dict, *, clip_id: str,
         parent_id: str | None = None) -> tuple[EncodedMP4, bytes, dict, str]:
    """Sign ``mp4`` (a marked clip's encoded bytes) with the installation's C2PA identity.

    Args:
        store (`Store`): whose identity signs (``<home>/provenance``) and where the parent's file is.
        mp4 (`bytes`): the MP4 (normally ``clip.encoded().data``; it is not re-encoded).
        clip_meta (`dict`): the clip's meta, with ``meta["provenance"]`` from :func:`mark`.
        clip_id (`str`): the id the clip is saved under.
        parent_id (`str`, *optional*): the clip it remixes: added as a ``parentOf`` ingredient.

    Returns:
        `tuple`: (signed MP4 as ``EncodedMP4``, manifest store bytes, active manifest as read back,
        signer subject).

    Raises:
        RuntimeError: the manifest just signed does not read back as trusted (a broken certificate setup).
    """
    ident = signing.identity(store.home)
    definition = manifest_definition(store, clip_meta, clip_id=clip_id, parent_id=parent_id)
    data, jumbf = signing.sign_mp4(ident, mp4, definition, parent=_parent_ingredient(store, parent_id))
    reading = signing.read_manifest(data, ident.trust_pem)
    if reading.state != "Trusted":
        raise RuntimeError(f"the C2PA manifest just signed reads {reading.state}: {', '.join(reading.failures)}; "
                           "check the signing certificate (docs/provenance.md, Certificates)")
    return EncodedMP4(data), jumbf, reading.manifest or {}, ident.subject


def seal(store: Store, clip: Clip, *, clip_id: str, parent_id: str | None = None) -> Sealed:
    """Sign a marked clip's encoded MP4 and gather its registry row (no database write: see :func:`register`).

    Args:
        store (`Store`): the store the clip is about to be saved in.
        clip (`Clip`): a marked clip (:func:`ensure_marked`); its ``encoded()`` bytes are signed.
        clip_id (`str`): the id it will be saved under.
        parent_id (`str`, *optional*): the clip it remixes.
    """
    content = clip.encoded()
    mp4, jumbf, manifest, signer = sign(store, content.data, clip.meta, clip_id=clip_id, parent_id=parent_id)
    prov = clip.meta["provenance"]
    return Sealed(mp4, content.sha256, manifest, jumbf, clip_id, int(prov["mark_id"]), prov["creator"], signer,
                  _fingerprints(clip))


def register(con: Any, sealed: Sealed) -> None:
    """File ``sealed`` in the registry with the caller's transaction (publish's ``con``)."""
    registry.record(con, clip_id=sealed.clip_id, mark_id=sealed.mark_id, creator=sealed.creator,
                    file_sha256=sealed.mp4.sha256, content_sha256=sealed.content_sha256, manifest=sealed.manifest,
                    manifest_store=sealed.manifest_store, signer=sealed.signer, fingerprints=sealed.fingerprints)


# ---------------------------------------------------------------------------------------- export
def export(store: Store, clip_id: str, *, user: str) -> tuple[bytes, str]:
    """The file a download gives: the stored MP4 of ``clip_id`` (marked and signed when saved with provenance).

    Args:
        store (`Store`): the store holding the clip.
        clip_id (`str`): the clip to download.
        user (`str`): who downloads (:func:`sora_widgets.session.current_user` in a dashboard).

    Returns:
        `tuple[bytes, str]`: the MP4 bytes and a file name (``"sora-widgets-<clip_id>.mp4"``).

    Raises:
        PermissionError: ``user`` may not see the clip (``access.can_view``'s reason).
    """
    from ..access import can_view

    decision = can_view(store, clip_id, user)
    if not decision:
        raise PermissionError(decision.reason)
    info = store.clip_info(clip_id)
    return store.media_bytes(info["media_hash"]), f"sora-widgets-{clip_id}.mp4"
