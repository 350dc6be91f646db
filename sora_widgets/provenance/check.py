"""``check(file)``: was this video made here? A graded answer with its evidence.

The checker reads, in order of strength:

1. **The C2PA manifest**, validated offline against the installation's roots
   (:mod:`.signing`). Trusted and unchanged: *signed here and intact* (no need
   to decode the video). Present but failing (``assertion.bmffHash.mismatch``):
   the manifest names one of our clips, so the file's per-second fingerprints
   are compared with that clip's in the registry to say *what* changed (seconds
   of picture spliced in, the soundtrack replaced, bytes changed with picture
   and sound intact) — or, when the pictures are not that clip at all and its
   marks are absent, that the manifest was *copied onto another video*.
2. **The invisible marks** (picture, then sound), when the manifest is gone:
   a valid mark id found in the registry gives *made here, metadata stripped*,
   with the clip, its author, date, lineage and its original manifest — or *made
   here but modified* when its per-second fingerprints show what changed.
3. **Fingerprints** (:func:`.registry.nearest`): *likely a copy of a clip made
   here* when the marks were destroyed but the pictures still match.
4. Otherwise *no evidence*. A file we cannot decode and that carries no
   manifest of ours is also *no evidence* (the reason is in the evidence).

The verdict is one of :data:`VERDICTS` (keys are stable; the values are what a
person reads).
"""

from __future__ import annotations

import hashlib
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..media import DEFAULT_LIMITS, Clip, MediaError
from ..store import Store, open_store
from . import fingerprint, registry, signing
from .stamp import CLIP_ASSERTION, SOFT_BINDING_ALG

__all__ = ["VERDICTS", "Report", "check"]

#: Verdict keys, strongest first, and the line a person reads.
VERDICTS = {
    "intact": "signed here and intact",
    "modified": "made here but modified",
    "invalid": "carries a manifest from here that does not belong to this video",
    "stripped": "made here, metadata stripped",
    "copy": "likely a copy of a clip made here",
    "none": "no evidence it was made here",
}

#: A second of picture counts as changed when its pHash is this many bits (of 64) from the original's: above what
#: re-encoding, scaling and a 10 % crop move it (0-10), below unrelated pictures (22-38).
PICTURE_CHANGED_BITS = 18
#: A second of sound counts as changed at this many bits (of 64): AAC at 64 kb/s moves a second by up to about 16,
#: unrelated sound is 23-37 bits away.
SOUND_CHANGED_BITS = 22

#: What C2PA failure codes mean, for people.
_FAILURES = {
    "assertion.bmffHash.mismatch": "the file's bytes changed after it was signed",
    "signingCredential.untrusted": "the signer is not one this installation trusts",
    "signingCredential.expired": "the signing certificate has expired",
    "claimSignature.mismatch": "the manifest's signature does not match its contents",
}


@dataclass
class Report:
    """What :func:`check` found.

    verdict : a key of :data:`VERDICTS`; ``summary`` is its sentence.
    clip_id, creator, created_at : the clip the file came from (None when there is no evidence).
    lineage : the clips it remixes, parent first: ``[{"clip_id", "owner", "created_at"}]``.
    changes : what differs from the original, in words (for "modified"; also after a strip).
    evidence : one line per thing that was found (manifest state, marks, fingerprints, hashes).
    manifest_state : the C2PA reader's state for the file (None: no manifest).
    manifest : the file's own active manifest, or the original one from the registry when the file lost it.
    mark_id : the mark id found or claimed. seconds : how long the check took.
    """

    verdict: str
    clip_id: str | None = None
    creator: str | None = None
    created_at: str | None = None
    lineage: list[dict] = field(default_factory=list)
    changes: list[str] = field(default_factory=list)
    evidence: list[str] = field(default_factory=list)
    manifest_state: str | None = None
    manifest: dict | None = None
    mark_id: int | None = None
    seconds: float = 0.0

    @property
    def summary(self) -> str:
        return VERDICTS[self.verdict]

    @property
    def made_here(self) -> bool:
        """True for every verdict that says the video (or a copy of it) came from here."""
        return self.verdict in ("intact", "modified", "stripped", "copy")

    def to_text(self) -> str:
        """The report as plain lines (what ``sora-widgets check`` prints)."""
        lines = [f"verdict: {self.summary}"]
        if self.clip_id:
            lines.append(f"clip: {self.clip_id} by @{self.creator} ({self.created_at})")
        if self.lineage:
            lines.append("remix of: " + " <- ".join(f"{a['clip_id']} (@{a['owner']})" for a in self.lineage))
        lines += [f"changed: {c}" for c in self.changes]
        lines += [f"evidence: {e}" for e in self.evidence]
        lines.append(f"checked in {self.seconds:.2f} s")
        return "\n".join(lines)


def check(source: str | os.PathLike | bytes | Clip, *, store: Store | None = None,
          viewer: str | None = None) -> Report:
    """Was this video made here? Read its manifest, marks and fingerprints against the registry.

    Args:
        source (`str | os.PathLike | bytes | Clip`): a video file (path or its bytes), or a decoded
            `Clip` (no manifest to read then: marks and fingerprints only).
        store (`Store`, *optional*): the store whose registry and certificates are asked (default:
            :func:`sora_widgets.open_store`, i.e. ``$SORA_WIDGETS_HOME`` or ``./data``).
        viewer (`str`, *optional*): who asks; the lineage then lists only clips they may see
            (``access.can_view``). None (the command line, an operator) lists all.

    Returns:
        `Report`: ``verdict`` (a key of :data:`VERDICTS`), the clip it came from and the evidence.

    Raises:
        MediaError: ``source`` is a path that does not exist, is empty or over the upload size limit.
    """
    t0 = time.perf_counter()
    store = store or open_store()
    report = _Checker(store, viewer).run(source)
    report.seconds = time.perf_counter() - t0
    return report


class _Checker:
    """One check: the steps of the module docstring, sharing what they decoded."""

    def __init__(self, store: Store, viewer: str | None):
        self.store, self.viewer = store, viewer
        self.clip: Clip | None = None
        self.decode_error: str | None = None
        self._prints: fingerprint.Fingerprints | None = None
        self._marks: dict[str, Any] | None = None

    # ---------------------------------------------------------------- inputs
    def _bytes(self, source: Any) -> bytes | None:
        if isinstance(source, Clip):
            self.clip = source
            return None
        if isinstance(source, (bytes, bytearray, memoryview)):
            data = bytes(source)
        else:
            path = Path(source)
            if not path.is_file():
                raise MediaError(f"no such file: {path}")
            if path.stat().st_size > DEFAULT_LIMITS.max_bytes:
                raise MediaError(f"{path.name} is over the {DEFAULT_LIMITS.max_bytes / 1e6:.0f} MB limit")
            data = path.read_bytes()
        if not data:
            raise MediaError("the file is empty (0 bytes)")
        return data

    def _decoded(self, data: bytes | None) -> Clip | None:
        if self.clip is None and self.decode_error is None and data is not None:
            try:
                self.clip = Clip.from_bytes(data, name="checked.mp4")
            except MediaError as exc:
                self.decode_error = str(exc)
        return self.clip

    def _fingerprints(self, data: bytes | None) -> fingerprint.Fingerprints | None:
        clip = self._decoded(data)
        if self._prints is None and clip is not None:
            self._prints = fingerprint.of_clip(clip.frames, clip.fps, clip.audio, clip.sample_rate)
        return self._prints

    def _mark_ids(self, data: bytes | None) -> dict[str, Any]:
        """{"picture": Detection, "sound": Detection} of the decoded clip (empty when it cannot be decoded)."""
        from . import picture_mark, sound_mark

        clip = self._decoded(data)
        if self._marks is None:
            self._marks = {}
            if clip is not None:
                self._marks["picture"] = picture_mark.detect(clip.frames)
                if clip.audio.size:
                    self._marks["sound"] = sound_mark.detect(clip.audio, clip.sample_rate)
        return self._marks

    # ---------------------------------------------------------------- the steps
    def run(self, source: Any) -> Report:
        data = self._bytes(source)
        reading = signing.ManifestReading(None)
        evidence: list[str] = []
        if data is not None:
            trust = signing.identity(self.store.home).trust_pem
            reading = signing.read_manifest(data, trust)
            digest = hashlib.sha256(data).hexdigest()
            known = registry.by_file_hash(self.store, digest)
            claimed = _claimed_entry(self.store, reading.manifest) if reading.found else None
            if reading.state == "Trusted":
                evidence.append("C2PA manifest: signed by this installation and valid (Trusted)")
                if known is not None:
                    evidence.append("the file is byte for byte the one the store saved")
                entry = known or claimed
                return self._report("intact", entry, reading, evidence, manifest=reading.manifest)
            if claimed is not None:
                return self._tampered(data, reading, claimed, evidence)
            if reading.found:
                evidence.append(f"C2PA manifest signed elsewhere ({reading.state}); it names no clip made here")
            if known is not None:  # the unsigned bytes of one of our clips (before its manifest was added)
                evidence.append("the file is byte for byte the clip's MP4 before it was signed")
                return self._report("stripped", known, reading, evidence)
        else:
            evidence.append("a decoded clip: no manifest to read")
        return self._traced(data, reading, evidence)

    def _tampered(self, data: bytes, reading: signing.ManifestReading, claimed: registry.Entry,
                  evidence: list[str]) -> Report:
        """The manifest names our clip but does not validate: modified, or a manifest copied onto another video."""
        reasons = [_FAILURES.get(code, code) for code in reading.failures] or [f"manifest state {reading.state}"]
        evidence.append(f"C2PA manifest names clip {claimed.clip_id} but does not validate: {'; '.join(reasons)}")
        prints = self._fingerprints(data)
        marks = self._mark_ids(data)
        found = {d.payload for d in marks.values() if d.found}
        reference = registry.fingerprints_of(self.store, claimed.clip_id)
        m = fingerprint.match(prints, reference) if prints is not None and reference is not None else None
        evidence += _mark_lines(marks) + _match_lines(m, claimed.clip_id)
        if claimed.mark_id in found or (m is not None and m.is_match):
            changes = _changes(prints, reference, m, marks, claimed.mark_id)
            if not changes:
                changes = ["the file's bytes changed after signing; its picture and sound still match the original"]
            return self._report("modified", claimed, reading, evidence, changes=changes)
        if self.decode_error is not None:
            return self._report("modified", claimed, reading, evidence,
                                changes=[f"the file no longer decodes as a video: {self.decode_error}"])
        evidence.append(f"the pictures are not those of clip {claimed.clip_id} and carry none of its marks")
        report = self._report("invalid", None, reading, evidence)
        report.manifest = reading.manifest
        return report

    def _traced(self, data: bytes | None, reading: signing.ManifestReading, evidence: list[str]) -> Report:
        """No usable manifest: the marks, then the fingerprints."""
        if reading.state is None and data is not None:
            evidence.append("no C2PA manifest in the file")
        marks = self._mark_ids(data)
        evidence += _mark_lines(marks)
        if self.decode_error is not None:
            evidence.append(f"the file could not be read as a video: {self.decode_error}")
            return self._report("none", None, reading, evidence)
        prints = self._fingerprints(data)
        found = {kind: registry.by_mark_id(self.store, d.payload) for kind, d in marks.items() if d.found}
        # The picture's mark names the clip when both are found (a dub keeps the picture, not the sound).
        kind = next((k for k in ("picture", "sound") if found.get(k)), None)
        if kind is not None:
            entries = found[kind]
            entry = entries[0]
            reference = registry.fingerprints_of(self.store, entry.clip_id)
            m = fingerprint.match(prints, reference) if prints is not None and reference is not None else None
            evidence += _match_lines(m, entry.clip_id)
            if len(entries) > 1:
                evidence.append("the same marked clip was also saved as " + ", ".join(e.clip_id for e in entries[1:]))
            changes = _changes(prints, reference, m, marks, entry.mark_id)
            dub = found.get("sound")
            if kind == "picture" and dub and dub[0].mark_id != entry.mark_id:
                evidence.append(f"the sound carries the mark of another clip made here: {dub[0].clip_id} "
                                f"by @{dub[0].creator}")
            # Found by its marks without a manifest: stripped; and if its content differs, modified too.
            return self._report("modified" if changes else "stripped", entry, reading, evidence, changes=changes)
        if any(d.found for d in marks.values()):
            evidence.append("a mark id was read but this registry does not know it (another installation?)")
        near = registry.nearest(self.store, prints) if prints is not None else []
        if near:
            best = near[0]
            evidence += _match_lines(best.match, best.entry.clip_id)
            return self._report("copy", best.entry, reading, evidence)
        evidence.append("no registered clip has matching fingerprints")
        return self._report("none", None, reading, evidence)

    # ---------------------------------------------------------------- the report
    def _report(self, verdict: str, entry: registry.Entry | None, reading: signing.ManifestReading,
                evidence: list[str], *, changes: list[str] | None = None, manifest: dict | None = None) -> Report:
        report = Report(verdict, evidence=evidence, changes=changes or [], manifest_state=reading.state)
        if entry is None:
            report.manifest = manifest
            return report
        report.clip_id, report.creator, report.mark_id = entry.clip_id, entry.creator, entry.mark_id
        report.created_at = str(entry.created_at)[:19] if entry.created_at is not None else None
        # The original manifest: the file's own when it is intact, else the one the registry kept.
        report.manifest = manifest if manifest is not None else entry.manifest
        report.lineage = _lineage(self.store, entry.clip_id, self.viewer)
        return report


# ---------------------------------------------------------------------------------------- helpers
def _claimed_entry(store: Store, manifest: dict | None) -> registry.Entry | None:
    """The registry row a manifest names (by its soft-binding mark id, else its clip assertion)."""
    if not manifest:
        return None
    clip_id = None
    for assertion in manifest.get("assertions") or []:
        data = assertion.get("data") or {}
        if assertion.get("label") == "c2pa.soft-binding" and data.get("alg") == SOFT_BINDING_ALG:
            for block in data.get("blocks") or []:
                try:
                    found = registry.by_mark_id(store, int(str(block.get("value")), 16))
                except ValueError:
                    continue
                if found:
                    return found[0]
        if assertion.get("label") == CLIP_ASSERTION:
            clip_id = data.get("clip_id")
    return registry.by_clip(store, clip_id) if clip_id else None


def _mark_lines(marks: dict[str, Any]) -> list[str]:
    out = []
    for kind, d in marks.items():
        if d.found:
            out.append(f"invisible {kind} mark: id {d.payload:012x} (confidence {d.confidence:.2f})")
        else:
            out.append(f"invisible {kind} mark: not found")
    return out


def _match_lines(m: fingerprint.Match | None, clip_id: str) -> list[str]:
    if m is None:
        return []
    sound = f", sound {m.sound_bits:.1f} bits" if m.sound_bits is not None else ""
    verdict = "match" if m.is_match else "do not match"
    return [f"fingerprints {verdict} clip {clip_id}: picture {m.picture_bits:.1f} of 64 bits{sound} apart over "
            f"{m.seconds} s"]


def _ranges(seconds: list[int]) -> str:
    """[0, 1, 2, 5] -> "0-2 s, 5 s"."""
    out, start = [], None
    for i, s in enumerate(seconds):
        if start is None:
            start = s
        if i + 1 == len(seconds) or seconds[i + 1] != s + 1:
            out.append(f"{start}-{s + 1} s" if s > start else f"{s}-{s + 1} s")
            start = None
    return ", ".join(out)


def _changes(prints: fingerprint.Fingerprints | None, reference: fingerprint.Fingerprints | None,
             m: fingerprint.Match | None, marks: dict[str, Any], mark: int) -> list[str]:
    """What differs between a file and the registered original, second by second, in words."""
    if prints is None or reference is None or m is None or m.seconds == 0:
        return []
    out = []
    start_a, start_b = max(0, -m.offset_s), max(0, m.offset_s)
    n = m.seconds
    pic = fingerprint.hamming(prints.picture[start_a:start_a + n], reference.picture[start_b:start_b + n])
    spliced = [start_a + i for i in np.flatnonzero(pic > PICTURE_CHANGED_BITS)]
    if spliced and len(spliced) < n:
        out.append(f"frames spliced in: the picture at {_ranges(spliced)} is not the original's")
    elif spliced:
        out.append("the picture differs from the original throughout")
    a_act = prints.sound_active[start_a:start_a + n]
    b_act = reference.sound_active[start_b:start_b + n]
    both = a_act & b_act
    snd = fingerprint.hamming(prints.sound[start_a:start_a + n], reference.sound[start_b:start_b + n])
    differing = int(((snd > SOUND_CHANGED_BITS) & both).sum()) + int((a_act != b_act).sum())
    sound_mark = marks.get("sound")
    wrong_mark = sound_mark is not None and sound_mark.found and sound_mark.payload != mark
    lost_mark = b_act.any() and (sound_mark is None or not sound_mark.found) and marks.get("picture") is not None \
        and marks["picture"].found
    if b_act.any() and not a_act.any():
        out.append("the sound was removed")
    elif differing * 2 > max(1, int((a_act | b_act).sum())) or wrong_mark or (lost_mark and differing):
        out.append("the soundtrack was replaced: it is not the original's sound")
    elif differing:
        out.append(f"the sound differs in {differing} of {n} seconds")
    if m.offset_s > 0:
        out.append(f"trimmed: it starts {m.offset_s} s into the original")
    if reference.seconds - start_b > n + 0:
        out.append(f"shortened: {n} s of the original's {reference.seconds} s")
    return out


def _lineage(store: Store, clip_id: str, viewer: str | None) -> list[dict]:
    """The clip's ancestors (parent first) with owner and date; only those ``viewer`` may see when given."""
    from .. import lineage

    try:
        ups = lineage.ancestors(store, clip_id, viewer=viewer)
    except KeyError:  # NotFound: an unknown viewer sees no lineage
        return []
    if not ups:
        return []
    with store.read() as con:
        rows = con.execute("SELECT clip_id, owner, created_at FROM clips WHERE clip_id IN (SELECT unnest(?))",
                           [ups]).fetchall()
    facts = {r[0]: {"clip_id": r[0], "owner": r[1], "created_at": str(r[2])[:19]} for r in rows}
    return [facts[u] for u in ups if u in facts]
