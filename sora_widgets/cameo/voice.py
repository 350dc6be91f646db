"""Voice profile: how the owner sounds, as settings espeak-ng can imitate.

``voice_profile(audio, sr)`` measures the median fundamental frequency of the
voiced frames (librosa's pYIN) and the speaking rate (syllable nuclei: voiced
intensity peaks per second of speech), and maps them to an espeak-ng voice (male
or female variant), pitch (0-99) and speed (words per minute) through tables
measured on espeak-ng itself, so speaking with the settings sounds like the
measurement. None when the audio holds too little voiced speech to say.
"""

from __future__ import annotations

import numpy as np

__all__ = ["voice_profile", "espeak_settings", "speech_seconds", "syllable_rate"]

ANALYSIS_SR = 16_000
#: At most this many seconds are analysed (pYIN is the slow part).
MAX_ANALYSIS_S = 12.0
#: Fewer voiced seconds than this: no profile.
MIN_VOICED_S = 0.4
#: Median f0 (Hz, librosa pyin) of espeak-ng 1.51 speaking English at pitch 0, 11, ..., 99, measured by
#: ``benchmarks/voice_calibration.py``; the pitch for a target f0 is interpolated in log f0.
ESPEAK_PITCH_STEPS = (0, 11, 22, 33, 44, 55, 66, 77, 88, 99)
ESPEAK_F0_HZ = {
    "en-us+m3": (71.7, 76.0, 82.6, 90.3, 100.0, 110.6, 122.7, 136.9, 154.6, 173.5),
    "en-us+f3": (147.6, 160.5, 172.5, 186.5, 201.6, 221.8, 245.4, 272.3, 303.9, 339.1),
}
#: Above this median f0 the female variant is closer (the two ranges overlap from 148 to 173 Hz).
FEMALE_FROM_HZ = 160.0
#: espeak-ng words per minute = SPEED_PER_SYLLABLE_RATE * (syllables/s measured by :func:`syllable_rate`)
#: + SPEED_OFFSET_WPM: a least-squares fit over 3 sentences x 2 voices x 80-240 wpm (median error 5 %).
SPEED_PER_SYLLABLE_RATE, SPEED_OFFSET_WPM = 46.4, -41.2
#: Syllable nuclei are intensity peaks this prominent (dB), at least this far apart (s), in voiced frames.
NUCLEUS_PROMINENCE_DB, NUCLEUS_MIN_GAP_S = 4.0, 0.08


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
    voice = "en-us+f3" if f0_hz >= FEMALE_FROM_HZ else "en-us+m3"
    # np.interp holds the ends, so the pitch stays within espeak's 0-99.
    pitch = int(round(float(np.interp(np.log(f0_hz), np.log(ESPEAK_F0_HZ[voice]), ESPEAK_PITCH_STEPS))))
    wpm = int(np.clip(round(SPEED_PER_SYLLABLE_RATE * syllables_per_s + SPEED_OFFSET_WPM), 80, 260))
    return {
        "espeak_voice": voice,
        "pitch": pitch,
        "speed_wpm": wpm,
        "f0_hz": round(float(f0_hz), 1),
        "syllables_per_s": round(float(syllables_per_s), 2),
    }


def syllable_rate(x: np.ndarray, voiced: np.ndarray, voiced_hop: int) -> float:
    """Syllables per second of speech in mono ``x`` (ANALYSIS_SR Hz): peaks of the smoothed intensity
    (10 ms frames) that fall in frames pyin called voiced (``voiced`` at ``voiced_hop`` samples)."""
    import librosa
    from scipy.signal import find_peaks

    hop = ANALYSIS_SR // 100
    db = 20 * np.log10(librosa.feature.rms(y=x, frame_length=4 * hop, hop_length=hop)[0] + 1e-6)
    db = np.convolve(db, np.ones(5) / 5, mode="same")  # 50 ms smoothing: one peak per nucleus
    peaks, _ = find_peaks(db, prominence=NUCLEUS_PROMINENCE_DB, distance=int(NUCLEUS_MIN_GAP_S * 100))
    at = np.minimum(peaks * hop // voiced_hop, len(voiced) - 1)
    nuclei = int(voiced[at].sum()) if len(peaks) else 0
    return nuclei / max(speech_seconds(x[None], ANALYSIS_SR), 1e-3)


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
    return espeak_settings(median_f0, syllable_rate(x, voiced, hop))
