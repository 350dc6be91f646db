"""Per-second fingerprints of a clip's picture and sound, and matching a suspect clip against them.

A fingerprint finds a copy when the marks are gone (a heavy re-edit, a
screen recording): the registry keeps one per published clip, and the checker
compares a suspect file's with them.

Picture: for each whole second of the clip, the pHash (``imagehash.phash``: DCT
of the 32x32 grey picture, 64 bits: above/below the median) of the frame in the
middle of that second. Re-encoding and scaling leave it nearly unchanged; a
10 % crop moves it by about 8-10 bits of 64; unrelated pictures are about
22-38 bits apart (``docs/provenance.md``, "Robustness", has the measured
figures).

Sound: for each whole second, 64 bits in the manner of Haitsma & Kalker:
the soundtrack at ``SOUND_RATE`` Hz, energy in ``SOUND_BANDS`` log-spaced bands
averaged over five 200 ms steps; bit = sign of the change, from one step to the
next, of the energy difference between neighbouring bands (4 steps x 16 band
pairs). It ignores level, codec and sample rate. Seconds of silence have no
sound fingerprint (``sound_active`` is False there).

Matching (:func:`match`): slide the suspect's seconds over the reference's
(a trimmed copy starts later), take the offset with the smallest mean picture
distance, and call it a match when that mean is at most ``PICTURE_MATCH_BITS``
and the sound agrees (mean at most ``SOUND_MATCH_BITS`` where both have sound),
or when it is at most ``PICTURE_ALONE_BITS`` whatever the sound; over at least
``MIN_SECONDS`` seconds (or the whole clip when shorter).
"""

from __future__ import annotations

from dataclasses import dataclass

import imagehash
import numpy as np
from PIL import Image

from .sound_mark import SILENCE_RMS, resample

__all__ = ["Fingerprints", "Match", "of_clip", "distance", "match", "hamming", "PICTURE_MATCH_BITS", "PICTURE_ALONE_BITS",
           "SOUND_MATCH_BITS"]

#: Two seconds show the same picture when their pHashes are at most this far apart (bits of 64); a suspect
#: matches a reference at this mean distance when its sound agrees too (a 10 % crop moves ~8-10 bits).
PICTURE_MATCH_BITS = 14.0
#: ... and on the picture alone (no sound to agree: a silent or sound-less copy) only at this mean distance:
#: the robustness benchmark found an unrelated sound-less video 11 bits from a sim clip.
PICTURE_ALONE_BITS = 9.0
#: Two seconds have the same sound when their sound hashes are at most this far apart (bits of 64).
SOUND_MATCH_BITS = 16.0
#: Seconds of overlap a match needs at least (shorter clips: all of their seconds).
MIN_SECONDS = 2
#: The rate the sound fingerprint is computed at (Hz).
SOUND_RATE = 8000
#: Number of bands of the sound fingerprint (17 bands -> 16 neighbouring pairs).
SOUND_BANDS = 17
_SOUND_RANGE_HZ = (200.0, 3600.0)
_STEPS_PER_SECOND = 5


@dataclass(frozen=True)
class Fingerprints:
    """Fingerprints of one clip, one entry per whole second.

    ``picture``: uint64 pHash of the middle frame of each second.
    ``sound``: uint64 sound hash of each second (0 where silent).
    ``sound_active``: bool, True where the second has sound to fingerprint.
    """

    picture: np.ndarray
    sound: np.ndarray
    sound_active: np.ndarray

    @property
    def seconds(self) -> int:
        """Whole seconds fingerprinted."""
        return int(self.picture.shape[0])


@dataclass(frozen=True)
class Match:
    """How a suspect clip lines up with a reference clip.

    ``offset_s``: the suspect's second 0 is the reference's second ``offset_s``
    (positive: the suspect was trimmed at the start).
    ``picture_bits``: mean pHash distance over the overlapping seconds (bits of 64).
    ``sound_bits``: mean sound-hash distance where both have sound (``None`` if neither does).
    ``seconds``: overlapping seconds compared.
    ``is_match``: the verdict under the thresholds of this module.
    """

    offset_s: int
    picture_bits: float
    sound_bits: float | None
    seconds: int
    is_match: bool


def hamming(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Bits that differ between two equal-length uint64 arrays, element by element."""
    x = np.bitwise_xor(np.asarray(a, np.uint64), np.asarray(b, np.uint64))
    return np.unpackbits(x.view(np.uint8).reshape(-1, 8), axis=1).sum(axis=1)


def _picture_hashes(frames: np.ndarray, fps: float) -> np.ndarray:
    n = max(1, int(frames.shape[0] / fps + 0.25))
    out = np.zeros(n, np.uint64)
    for s in range(n):
        idx = min(frames.shape[0] - 1, int((s + 0.5) * fps))
        h = imagehash.phash(Image.fromarray(frames[idx]))
        out[s] = np.uint64(int(str(h), 16))
    return out


def _band_energies(mono: np.ndarray, sample_rate: int) -> tuple[np.ndarray, np.ndarray]:
    """(log band energies per 200 ms step (steps, bands), RMS per step) at SOUND_RATE."""
    x = resample(mono.astype(np.float64), int(sample_rate), SOUND_RATE)
    step = SOUND_RATE // _STEPS_PER_SECOND
    steps = x.shape[0] // step
    if steps == 0:
        return np.zeros((0, SOUND_BANDS)), np.zeros(0)
    x = x[: steps * step].reshape(steps, step)
    spec = np.abs(np.fft.rfft(x * np.hanning(step), axis=1)) ** 2
    freqs = np.fft.rfftfreq(step, 1 / SOUND_RATE)
    edges = np.geomspace(*_SOUND_RANGE_HZ, SOUND_BANDS + 1)
    bands = np.stack([spec[:, (freqs >= lo) & (freqs < hi)].sum(axis=1) for lo, hi in zip(edges[:-1], edges[1:], strict=True)], axis=1)
    return np.log(bands + 1e-10), np.sqrt((x**2).mean(axis=1))


def _sound_hashes(audio: np.ndarray, sample_rate: int, seconds: int) -> tuple[np.ndarray, np.ndarray]:
    hashes = np.zeros(seconds, np.uint64)
    active = np.zeros(seconds, bool)
    audio = np.asarray(audio, np.float32)
    if audio.size == 0:
        return hashes, active
    mono = audio.mean(axis=0) if audio.ndim == 2 else audio
    energy, rms = _band_energies(mono, sample_rate)
    diff = energy[:, :-1] - energy[:, 1:]  # (steps, 16)
    for s in range(seconds):
        lo, hi = s * _STEPS_PER_SECOND, (s + 1) * _STEPS_PER_SECOND
        if hi > diff.shape[0] or float(rms[lo:hi].max()) < SILENCE_RMS:
            continue
        bits = (diff[lo + 1 : hi] - diff[lo : hi - 1]) > 0  # (4, 16)
        hashes[s] = np.uint64(int("".join("1" if b else "0" for b in bits.ravel()), 2))
        active[s] = True
    return hashes, active


def of_clip(frames: np.ndarray, fps: float, audio: np.ndarray, sample_rate: int) -> Fingerprints:
    """Per-second fingerprints of a clip.

    Args:
        frames: ``(T, H, W, 3)`` uint8 RGB.
        fps: frames per second.
        audio: ``(channels, samples)`` float32 (may be empty).
        sample_rate: samples per second of ``audio``, Hz.

    Returns:
        :class:`Fingerprints` with one entry per whole second (a clip shorter
        than a second still gets one picture hash).
    """
    picture = _picture_hashes(np.asarray(frames), float(fps))
    sound, active = _sound_hashes(audio, int(sample_rate), picture.shape[0])
    return Fingerprints(picture=picture, sound=sound, sound_active=active)


def distance(a: Fingerprints, b: Fingerprints, offset_s: int = 0) -> tuple[float, float | None, int]:
    """Mean distances when ``a``'s second 0 lies on ``b``'s second ``offset_s``.

    Returns:
        (mean picture bits, mean sound bits where both have sound or ``None``,
        overlapping seconds). With no overlap: ``(64.0, None, 0)``.
    """
    start_a, start_b = max(0, -offset_s), max(0, offset_s)
    n = min(a.seconds - start_a, b.seconds - start_b)
    if n <= 0:
        return 64.0, None, 0
    sa, sb = slice(start_a, start_a + n), slice(start_b, start_b + n)
    pic = float(hamming(a.picture[sa], b.picture[sb]).mean())
    both = a.sound_active[sa] & b.sound_active[sb]
    snd = float(hamming(a.sound[sa][both], b.sound[sb][both]).mean()) if both.any() else None
    return pic, snd, n


def match(suspect: Fingerprints, reference: Fingerprints, *, max_offset_s: int | None = None) -> Match:
    """The best alignment of ``suspect`` on ``reference`` and whether it is a copy.

    Args:
        suspect: fingerprints of the file being checked.
        reference: fingerprints of a registered clip.
        max_offset_s: largest shift tried in seconds (default: any that leaves
            ``MIN_SECONDS`` of overlap).

    Returns:
        :class:`Match` for the offset with the smallest mean picture distance.
    """
    need = min(MIN_SECONDS, suspect.seconds, reference.seconds)
    limit = max(suspect.seconds, reference.seconds) if max_offset_s is None else max_offset_s
    best: tuple[float, int, float | None, int] | None = None
    for offset in range(-limit, limit + 1):
        pic, snd, n = distance(suspect, reference, offset)
        if n < need:
            continue
        if best is None or pic < best[0]:
            best = (pic, offset, snd, n)
    if best is None:
        return Match(0, 64.0, None, 0, False)
    pic, offset, snd, n = best
    # Picture and sound agree, or the picture alone is very close (a copy with its sound replaced or removed).
    ok = pic <= PICTURE_ALONE_BITS or (pic <= PICTURE_MATCH_BITS and snd is not None and snd <= SOUND_MATCH_BITS)
    return Match(offset, pic, snd, n, bool(ok))
