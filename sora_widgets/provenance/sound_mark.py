"""The invisible sound mark: a spread-spectrum signal 29 dB below the soundtrack, read over a whole clip.

Why hand-written: the learned audio watermarks (AudioSeal, WavMark,
SilentCipher) download their weights at run time; this is the classic
direct-sequence scheme and is small (see ``docs/provenance.md``, "Marks").

Embedding (:func:`embed`)
    A *period* of ``PERIOD`` samples at ``CANONICAL_RATE`` Hz is the sum of 49
    orthogonal pseudo-random sequences band-limited to ``BAND_HZ`` (one pilot that
    finds the offset, one per payload bit, sign = the bit), repeated over the
    whole soundtrack. Its level follows the sound, 20 ms at a time: at most
    ``MSR_DB`` below the sound's level and at most ``BAND_MSR_DB`` below the
    sound's own level inside the mark's band (where the mark could be heard).
    Digital silence stays silent: a clip with no sound carries no sound mark
    (the picture mark still carries the id).

Detection (:func:`detect`)
    Mix to mono, resample to ``CANONICAL_RATE`` (so a resampled copy lines up
    again), flatten the spectrum (each short-time spectrum divided by its smoothed
    magnitude: the phase carries the mark, loud partials no longer drown it),
    fold the whole soundtrack onto one period, find the pilot's offset by
    circular cross-correlation (a trim moves it), read each bit as the sign of
    the correlation with its sequence there. A payload is reported only when
    the pilot stands ``SYNC_Z`` standard deviations out and the 48 bits carry a
    valid check code (:mod:`.mark_id`).

Inaudibility (:func:`mark_to_signal_db`): the mark-to-signal ratio of the whole
clip, and the *segmental* one (20 ms segments where there is sound), in dB.

Units: ``audio`` is ``(channels, samples)`` float32 in ``[-1, 1]``; rates in Hz.
"""

from __future__ import annotations

import functools
from math import gcd

import numpy as np
import scipy.ndimage
import scipy.signal

from .mark_id import CODED_BITS, Detection, decode, encode, is_valid, walsh_rows

__all__ = ["Detection", "embed", "detect", "mark_to_signal_db", "resample", "CANONICAL_RATE", "MSR_DB", "BAND_HZ"]

#: The rate the mark is defined at (Hz); other rates are resampled to it.
CANONICAL_RATE = 16_000
#: Samples of one period of the mark at CANONICAL_RATE (0.512 s).
PERIOD = 8192
#: The mark's band in Hz (kept by AAC at 64 kb/s and by resampling down to 16 kHz).
BAND_HZ = (1000.0, 5000.0)
#: Frequency bins of one period inside BAND_HZ (a power of 2 for the Walsh rows).
_BAND_BINS = 2048
#: Mark level relative to the sound's level over each 20 ms segment, dB (the issue asks 28-34 dB below).
MSR_DB = -29.0
#: Mark level relative to the sound's level inside BAND_HZ over each segment, dB.
BAND_MSR_DB = -18.0
#: Share of the mark's energy that goes to the pilot.
PILOT_SHARE = 0.25
#: The pilot's correlation peak must stand this many standard deviations above the other offsets.
SYNC_Z = 7.0
#: Segments quieter than this RMS (about -70 dBFS) count as silence.
SILENCE_RMS = 3e-4
#: Fixed key of the sequences: changing it makes every existing mark unreadable.
KEY = 0x5012A_5D

_SEGMENT_S = 0.02
_NPERSEG = 512


@functools.lru_cache(maxsize=1)
def _sequences() -> np.ndarray:
    """(CODED_BITS + 1, PERIOD) float32: the pilot then one sequence per channel bit; orthogonal, unit RMS.

    Built in the frequency domain: sequence i has, on the ``_BAND_BINS`` bins from
    ``BAND_HZ[0]`` up, the value ``walsh[i, k] * phase[k]`` (a fixed random phase per
    bin): Walsh rows make them exactly orthogonal, the random phases noise-like.
    """
    rng = np.random.default_rng(KEY)
    rows = rng.choice(np.arange(1, _BAND_BINS), size=CODED_BITS + 1, replace=False)
    first = int(round(BAND_HZ[0] * PERIOD / CANONICAL_RATE))
    spec = np.zeros((CODED_BITS + 1, PERIOD // 2 + 1), complex)
    spec[:, first : first + _BAND_BINS] = walsh_rows(rows, _BAND_BINS) * np.exp(2j * np.pi * rng.random(_BAND_BINS))
    seqs = np.fft.irfft(spec, n=PERIOD, axis=1)
    seqs /= np.sqrt((seqs**2).mean(axis=1, keepdims=True))
    return seqs.astype(np.float32)


@functools.lru_cache(maxsize=64)
def _period(payload: int) -> np.ndarray:
    """One unit-RMS period of the mark carrying ``payload`` at CANONICAL_RATE."""
    seqs = _sequences()
    signs = encode(payload)
    pilot_w = np.sqrt(PILOT_SHARE / (1 - PILOT_SHARE) * CODED_BITS)
    wave = pilot_w * seqs[0] + signs @ seqs[1:]
    return (wave / np.sqrt((wave**2).mean())).astype(np.float32)


def resample(x: np.ndarray, src: int, dst: int) -> np.ndarray:
    """``x`` (last axis = time) resampled from ``src`` Hz to ``dst`` Hz (polyphase; ``x`` itself when equal)."""
    if src == dst:
        return x
    g = gcd(int(src), int(dst))
    return scipy.signal.resample_poly(x, dst // g, src // g, axis=-1)


def _bandpass(x: np.ndarray, rate: int) -> np.ndarray:
    sos = scipy.signal.butter(4, [BAND_HZ[0], min(BAND_HZ[1], 0.45 * rate)], btype="band", fs=rate, output="sos")
    return scipy.signal.sosfiltfilt(sos, x, axis=-1)


def _segment_rms(x: np.ndarray, rate: int) -> np.ndarray:
    """RMS of ``x`` per 20 ms segment, interpolated back to one value per sample."""
    seg = max(1, int(rate * _SEGMENT_S))
    n = x.shape[-1]
    padded = np.pad(x, (0, -n % seg))
    rms = np.sqrt((padded.reshape(-1, seg) ** 2).mean(axis=1))
    # Smooth over neighbouring segments (no steps the ear would hear), then per sample.
    rms = np.convolve(rms, np.ones(3) / 3, mode="same")
    centers = (np.arange(len(rms)) + 0.5) * seg
    return np.interp(np.arange(n), centers, rms).astype(np.float32)


def _mark_signal(audio: np.ndarray, sample_rate: int, payload: int) -> np.ndarray:
    """The mark to add to every channel (samples at ``sample_rate``), shaped by the sound."""
    mono = audio.mean(axis=0).astype(np.float64)
    n = mono.shape[0]
    level = np.minimum(10 ** (MSR_DB / 20) * _segment_rms(mono, sample_rate),
                       10 ** (BAND_MSR_DB / 20) * _segment_rms(_bandpass(mono, sample_rate), sample_rate))
    level[_segment_rms(mono, sample_rate) < SILENCE_RMS] = 0.0
    n16 = int(np.ceil(n * CANONICAL_RATE / sample_rate)) + 1
    wave16 = np.resize(_period(payload), n16)
    wave = resample(wave16, CANONICAL_RATE, sample_rate)[:n]
    if wave.shape[0] < n:
        wave = np.pad(wave, (0, n - wave.shape[0]))
    return (wave * level).astype(np.float32)


def embed(audio: np.ndarray, sample_rate: int, payload: int) -> np.ndarray:
    """Add the sound mark carrying ``payload`` to a soundtrack.

    Args:
        audio: ``(channels, samples)`` float32 in ``[-1, 1]`` (1 or 2 channels; 0
            samples is allowed and returned unchanged).
        sample_rate: samples per second of ``audio``, Hz.
        payload: a valid 48-bit payload (:func:`.mark_id.new_mark_id`).

    Returns:
        New ``(channels, samples)`` float32 audio, clipped to ``[-1, 1]``. Silent
        stretches are left silent, so an all-silent track carries no mark.
    """
    if not is_valid(payload):
        raise ValueError("payload must be a valid 48-bit watermark payload (see mark_id.new_mark_id)")
    audio = np.asarray(audio, dtype=np.float32)
    if audio.ndim == 1:
        audio = audio[None, :]
    if audio.shape[-1] == 0:
        return audio.copy()
    mark = _mark_signal(audio, int(sample_rate), payload)
    return np.clip(audio + mark[None, :], -1.0, 1.0).astype(np.float32)


def _whiten(x16: np.ndarray) -> np.ndarray:
    """Spectrally flattened signal at CANONICAL_RATE: each STFT bin divided by its smoothed magnitude."""
    _, _, spec = scipy.signal.stft(x16, fs=CANONICAL_RATE, nperseg=_NPERSEG, noverlap=_NPERSEG // 2)
    mag = np.abs(spec)
    smooth = scipy.ndimage.uniform_filter(mag, size=(3, 3)) + 1e-9
    freqs = np.fft.rfftfreq(_NPERSEG, 1 / CANONICAL_RATE)
    keep = (freqs >= BAND_HZ[0]) & (freqs <= BAND_HZ[1])
    flat = np.where(keep[:, None], spec / smooth, 0)
    # Frames that are silence carry no mark: zero them rather than amplify their noise.
    active = mag.sum(axis=0) > 1e-6 * max(float(mag.sum(axis=0).max()), 1e-12)
    flat[:, ~active] = 0
    _, out = scipy.signal.istft(flat, fs=CANONICAL_RATE, nperseg=_NPERSEG, noverlap=_NPERSEG // 2)
    return out[: x16.shape[0]].astype(np.float32)


def detect(audio: np.ndarray, sample_rate: int) -> Detection:
    """Look for the sound mark in a soundtrack (the whole track at once).

    Args:
        audio: ``(channels, samples)`` or ``(samples,)`` float, as decoded from the file
            (any rate, trimmed or not).
        sample_rate: samples per second of ``audio``, Hz.

    Returns:
        :class:`~.mark_id.Detection`; ``payload`` is set only when the pilot stands out
        by ``SYNC_Z`` and the check code of the 48 bits is valid. A silent or
        shorter-than-one-period track gives ``Detection(None, 0.0)``.
    """
    audio = np.asarray(audio, dtype=np.float32)
    mono = audio.mean(axis=0) if audio.ndim == 2 else audio
    x16 = resample(mono.astype(np.float64), int(sample_rate), CANONICAL_RATE)
    if x16.shape[0] < PERIOD or float(np.sqrt(np.mean(x16**2))) < SILENCE_RMS / 10:
        return Detection(None, 0.0, 0.0)
    white = _whiten(x16)
    n = white.shape[0]
    folded = np.pad(white, (0, -n % PERIOD)).reshape(-1, PERIOD).sum(axis=0)
    seqs = _sequences()
    corr = np.fft.irfft(np.fft.rfft(folded) * np.conj(np.fft.rfft(seqs[0])), n=PERIOD)
    peak = int(np.argmax(corr))
    z = float((corr[peak] - corr.mean()) / (corr.std() + 1e-12))
    aligned = np.roll(folded, -peak)
    payload, _ = decode(seqs[1:] @ aligned)
    ok = z >= SYNC_Z and is_valid(payload)
    confidence = min(1.0, 0.5 + 0.5 * (z - SYNC_Z) / SYNC_Z) if ok else min(0.49, 0.5 * z / SYNC_Z)
    return Detection(payload if ok else None, float(max(0.0, confidence)), z)


def mark_to_signal_db(original: np.ndarray, marked: np.ndarray, sample_rate: int) -> tuple[float, float]:
    """(overall, segmental) mark-to-signal ratio in dB: the objective inaudibility measure.

    Overall: 10·log10(mark power / sound power) over the whole clip. Segmental:
    the mean of the same ratio over 20 ms segments that hold sound (louder than
    ``SILENCE_RMS``). Both are <= ``MSR_DB`` by construction (clipping aside).
    Returns ``(-inf, -inf)`` for a silent clip.
    """
    orig = np.asarray(original, np.float64).mean(axis=0)
    mark = np.asarray(marked, np.float64).mean(axis=0) - orig
    power = float(np.mean(orig**2))
    if power < SILENCE_RMS**2:
        return float("-inf"), float("-inf")
    overall = 10 * np.log10(max(float(np.mean(mark**2)), 1e-20) / power)
    seg = max(1, int(sample_rate * _SEGMENT_S))
    usable = orig.shape[0] // seg * seg
    s_pow = (orig[:usable].reshape(-1, seg) ** 2).mean(axis=1)
    m_pow = (mark[:usable].reshape(-1, seg) ** 2).mean(axis=1)
    loud = s_pow > SILENCE_RMS**2
    segmental = float(np.mean(10 * np.log10(np.maximum(m_pow[loud], 1e-20) / s_pow[loud])))
    return float(overall), segmental
