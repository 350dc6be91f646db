"""Voice profile: how the owner sounds, as settings espeak-ng can imitate.

``voice_profile(audio, sr)`` measures the median fundamental frequency of the
voiced frames (librosa's pYIN) and the speaking rate (syllable-like energy
onsets per second of speech), and maps them to an espeak-ng voice (male or
female variant), pitch (0-99) and speed (words per minute). None when the
audio holds too little voiced speech to say.
"""

from __future__ import annotations

import numpy as np

__all__ = ["voice_profile", "espeak_settings", "speech_seconds"]

ANALYSIS_SR = 16_000
#: At most this many seconds are analysed (pYIN is the slow part).
MAX_ANALYSIS_S = 12.0
#: Fewer voiced seconds than this: no profile.
MIN_VOICED_S = 0.4
#: espeak-ng's pitch 50 sits near these f0s (Hz) for its male and female variants.
_ESPEAK_MALE_F0, _ESPEAK_FEMALE_F0 = 120.0, 200.0


def _mono16k(audio: np.ndarray, sr: int) -> np.ndarray:
    import librosa

    x = np.asarray(audio, np.float32)
    x = x.mean(axis=0) if x.ndim == 2 else x
    x = x[: int(MAX_ANALYSIS_S * sr)]
    if sr != ANALYSIS_SR and len(x):
        x = librosa.resample(x, orig_sr=sr, target_sr=ANALYSIS_SR)
    return x.astype(np.float32)


def speech_seconds(audio: np.ndarray, sr: int, *, threshold_db: float = -40.0) -> float:
    """Seconds of ``audio`` (C, N) louder than ``threshold_db`` below full scale (20 ms frames)."""
    x = np.asarray(audio, np.float32)
    x = x.mean(axis=0) if x.ndim == 2 else x
    hop = max(1, int(0.02 * sr))
    n = len(x) // hop
    if n == 0:
        return 0.0
    rms = np.sqrt((x[: n * hop].reshape(n, hop) ** 2).mean(axis=1) + 1e-12)
    return float((20 * np.log10(rms) > threshold_db).sum() * hop / sr)


def espeak_settings(f0_hz: float, syllables_per_s: float) -> dict:
    """espeak-ng voice/pitch/speed nearest to a speaker with median ``f0_hz`` and ``syllables_per_s``."""
    female = f0_hz >= 160.0
    base = _ESPEAK_FEMALE_F0 if female else _ESPEAK_MALE_F0
    # espeak's pitch scale is roughly linear in f0 around its default: +-50 steps ~ +-60% of the base.
    pitch = int(np.clip(round(50 + 50 * (f0_hz / base - 1) / 0.6), 0, 99))
    # English averages ~1.5 syllables a word.
    wpm = int(np.clip(round(syllables_per_s * 60 / 1.5), 80, 260))
    return {
        "espeak_voice": "en-us+f3" if female else "en-us+m3",
        "pitch": pitch,
        "speed_wpm": wpm,
        "f0_hz": round(float(f0_hz), 1),
        "syllables_per_s": round(float(syllables_per_s), 2),
    }


def voice_profile(audio: np.ndarray, sr: int) -> dict | None:
    """The espeak-ng settings for the voice in ``audio`` ((C, N) float32, ``sr`` Hz), or None if no speech."""
    import librosa

    x = _mono16k(audio, sr)
    if len(x) < ANALYSIS_SR * MIN_VOICED_S or float(np.abs(x).max(initial=0.0)) < 1e-3:
        return None
    hop = 256
    f0, voiced, _ = librosa.pyin(x, fmin=65.0, fmax=400.0, sr=ANALYSIS_SR, frame_length=1024, hop_length=hop)
    voiced = voiced & np.isfinite(f0)
    voiced_s = voiced.sum() * hop / ANALYSIS_SR
    if voiced_s < MIN_VOICED_S:
        return None
    median_f0 = float(np.median(f0[voiced]))
    onsets = librosa.onset.onset_detect(y=x, sr=ANALYSIS_SR, hop_length=hop, units="frames")
    speech_s = max(voiced_s, speech_seconds(x[None], ANALYSIS_SR))
    rate = len(onsets) / max(speech_s, 1e-3)
    return espeak_settings(median_f0, rate)
