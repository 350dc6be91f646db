"""Soundtrack post-processing shared by the diffusers engines: shape, length, rate, peaks.

Units: sample rates in Hz, durations in seconds, samples as float32 in [-1, 1].
"""

from __future__ import annotations

from math import gcd

import numpy as np

__all__ = ["fit_soundtrack", "resample"]

#: Rates the MP4/AAC path handles well; a model rate outside this range is resampled to FALLBACK_RATE_HZ.
USABLE_RATES_HZ = (8_000, 96_000)
FALLBACK_RATE_HZ = 48_000


def resample(audio: np.ndarray, sr_from: int, sr_to: int) -> np.ndarray:
    """Polyphase resampling of (C, N) audio from ``sr_from`` to ``sr_to`` Hz (scipy)."""
    if sr_from == sr_to or audio.shape[-1] == 0:
        return audio
    from scipy.signal import resample_poly

    g = gcd(int(sr_from), int(sr_to))
    return resample_poly(audio, int(sr_to) // g, int(sr_from) // g, axis=-1).astype(np.float32)


def fit_soundtrack(audio, sample_rate: int, duration_s: float) -> tuple[np.ndarray, int, list[str]]:
    """Make a model's waveform a valid Clip soundtrack.

    audio : array-like or torch tensor, (N,), (C, N) or (1, C, N) (a batch of one).
    Returns (audio (C, N) float32 in [-1, 1] with C in {1, 2}, sample rate in Hz, notes).
    The length is padded with silence or trimmed to ``round(duration_s * sample_rate)`` so
    sound and picture end together; peaks above full scale are scaled down (not clipped),
    NaNs become silence; a rate outside :data:`USABLE_RATES_HZ` is resampled.
    """
    notes: list[str] = []
    if hasattr(audio, "detach"):
        audio = audio.detach().float().cpu().numpy()
    a = np.asarray(audio, dtype=np.float32)
    while a.ndim > 2:
        a = a[0]
    if a.ndim == 1:
        a = a[None, :]
    if a.shape[0] > 2:  # more than stereo: keep the first two channels
        a = a[:2]
        notes.append("soundtrack reduced to 2 channels")
    sr = int(round(sample_rate))
    if not (USABLE_RATES_HZ[0] <= sr <= USABLE_RATES_HZ[1]):
        a = resample(a, sr, FALLBACK_RATE_HZ)
        notes.append(f"soundtrack resampled from {sr} Hz to {FALLBACK_RATE_HZ} Hz")
        sr = FALLBACK_RATE_HZ
    a = np.nan_to_num(a, nan=0.0, posinf=0.0, neginf=0.0)
    want = int(round(duration_s * sr))
    have = a.shape[1]
    if have < want:
        if want - have > 0.05 * sr:  # more than 50 ms missing is worth telling
            notes.append(f"soundtrack padded with {(want - have) / sr:.2f} s of silence")
        a = np.pad(a, ((0, 0), (0, want - have)))
    elif have > want:
        a = a[:, :want]
    peak = float(np.abs(a).max()) if a.size else 0.0
    if peak > 1.0:
        a = a / peak
        notes.append(f"soundtrack peak {peak:.2f} scaled to full scale")
    return np.ascontiguousarray(a, dtype=np.float32), sr, notes
