"""Spoken test corpora made on the spot: espeak-ng voices, speeds, pitches, noise, music, webcam codec.

Used by the tests (a small fixed-seed slice) and ``benchmarks/cameo_bench.py`` (the full run).
Everything is deterministic for a seed: espeak-ng is, and noise/music come from ``numpy``'s
seeded generator.

- :func:`say` - espeak-ng speaking a text, padded with silence;
- :func:`degrade` - one of :data:`CONDITIONS`: ``clean``; ``room`` (pink noise and a short reverb,
  speech 10 dB above the noise); ``music`` (chords and a melody 10 dB under the speech);
  ``webcam`` (band-limited to 100-7000 Hz and through AAC at 32 kbit/s with ffmpeg);
- :func:`phrase_trials` - right and one-word-wrong claims for random phrases over voices x speeds.
"""

from __future__ import annotations

import random
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = ["VOICES", "SPEEDS", "PITCHES", "CONDITIONS", "SNR_DB", "say", "degrade", "Trial", "phrase_trials"]

#: espeak-ng's English accents (US, British, Scottish, RP, Caribbean, Lancaster, New York).
VOICES = ("en-us", "en-gb", "en-gb-scotland", "en-gb-x-rp", "en-029", "en-gb-x-gbclan", "en-us-nyc")
#: Speaking rates (words per minute): slow, espeak's default-ish, fast.
SPEEDS = (120, 150, 180)
#: espeak-ng pitch (0-99): low, default, high.
PITCHES = (30, 50, 75)
CONDITIONS = ("clean", "room", "music", "webcam")
#: Speech-to-noise (or speech-to-music) ratio of the noisy conditions, in dB.
SNR_DB = 10.0


def say(text: str, *, voice: str = "en-us", speed_wpm: int = 150, pitch: int = 50,
        pad_s: float = 0.4) -> tuple[np.ndarray, int]:
    """espeak-ng saying ``text``, with ``pad_s`` seconds of silence each side: ((N,) float32, Hz)."""
    from ..cameo.synthetic import spoken

    x, sr = spoken(text, voice=voice, speed_wpm=speed_wpm, pitch=pitch)
    pad = np.zeros(int(pad_s * sr), np.float32)
    return np.concatenate([pad, x, pad]), sr


def _rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(x, dtype=np.float64)))) if x.size else 0.0


def _speech_rms(x: np.ndarray, sr: int) -> float:
    """RMS over the 20 ms frames that hold speech (louder than 1% of the peak frame)."""
    n = max(1, int(0.02 * sr))
    frames = x[: len(x) // n * n].reshape(-1, n)
    e = np.sqrt(np.mean(frames.astype(np.float64) ** 2, axis=1))
    return float(np.sqrt(np.mean(e[e > 0.01 * e.max()] ** 2))) if e.size and e.max() > 0 else 0.0


def _pink(n: int, rng: np.random.Generator) -> np.ndarray:
    spec = np.fft.rfft(rng.standard_normal(n))
    f = np.arange(spec.size)
    spec[1:] /= np.sqrt(f[1:])
    return np.fft.irfft(spec, n).astype(np.float32)


def _music(n: int, sr: int, rng: np.random.Generator) -> np.ndarray:
    """Chords (triads held one second) with a plucked melody on top."""
    t = np.arange(n) / sr
    out = np.zeros(n, np.float64)
    roots = rng.choice([220.0, 246.9, 261.6, 293.7, 329.6], size=int(np.ceil(n / sr)) + 1)
    for k, root in enumerate(roots):
        seg = slice(k * sr, min(n, (k + 1) * sr))
        for ratio in (1.0, 1.26, 1.5):
            for h, amp in ((1, 1.0), (2, 0.4), (3, 0.2)):
                out[seg] += amp * np.sin(2 * np.pi * root * ratio * h * t[seg])
    step = sr // 4
    for k in range(0, n, step):
        f = float(rng.choice([523.3, 587.3, 659.3, 784.0, 880.0]))
        m = min(step, n - k)
        tt = np.arange(m) / sr
        out[k:k + m] += 1.5 * np.sin(2 * np.pi * f * tt) * np.exp(-6 * tt)
    return out.astype(np.float32)


def _aac(x: np.ndarray, sr: int, kbps: int = 32) -> np.ndarray:
    import soundfile

    exe = shutil.which("ffmpeg")
    if exe is None:
        raise RuntimeError("ffmpeg is not installed; on Debian: apt-get install ffmpeg")
    with tempfile.TemporaryDirectory() as tmp:
        src, enc, dst = Path(tmp) / "a.wav", Path(tmp) / "a.m4a", Path(tmp) / "b.wav"
        soundfile.write(str(src), x, sr)
        subprocess.run([exe, "-v", "error", "-y", "-i", str(src), "-c:a", "aac", "-b:a", f"{kbps}k", str(enc)],
                       check=True, capture_output=True)
        subprocess.run([exe, "-v", "error", "-y", "-i", str(enc), "-ar", str(sr), "-ac", "1", str(dst)],
                       check=True, capture_output=True)
        y, _ = soundfile.read(str(dst), dtype="float32", always_2d=False)
    y = y[: len(x)]
    return np.pad(y, (0, len(x) - len(y))).astype(np.float32)


def degrade(x: np.ndarray, sr: int, condition: str, *, seed: int = 0, snr_db: float = SNR_DB) -> np.ndarray:
    """``x`` (N,) at ``sr`` Hz under ``condition`` (one of :data:`CONDITIONS`), peak-limited to 0.95."""
    from scipy.signal import butter, sosfilt

    rng = np.random.default_rng(seed)
    x = np.asarray(x, np.float32)
    if condition == "clean":
        y = x
    elif condition in ("room", "music"):
        if condition == "room":
            ir_n = int(0.25 * sr)  # a small room: 250 ms exponentially decaying reverb tail
            ir = rng.standard_normal(ir_n) * np.exp(-np.arange(ir_n) / (0.05 * sr)) * 0.15
            ir[0] = 1.0
            x = np.convolve(x, ir)[: len(x)].astype(np.float32)
            bed = _pink(len(x), rng) + 0.3 * np.sin(2 * np.pi * 50 * np.arange(len(x)) / sr).astype(np.float32)
        else:
            bed = _music(len(x), sr, rng)
        gain = _speech_rms(x, sr) / max(_rms(bed), 1e-9) / (10 ** (snr_db / 20))
        y = x + gain * bed
    elif condition == "webcam":
        sos = butter(4, [100, 7000], btype="band", fs=sr, output="sos")
        y = _aac(sosfilt(sos, x).astype(np.float32), sr)
    else:
        raise ValueError(f"condition must be one of {CONDITIONS}; got {condition!r}")
    peak = float(np.abs(y).max(initial=0.0))
    return (y / peak * 0.95 if peak > 0.95 else y).astype(np.float32)


@dataclass(frozen=True)
class Trial:
    """One recording: ``said`` spoken by ``voice`` at ``speed_wpm``/``pitch`` under ``condition``.

    ``wrong`` is ``said`` with one word swapped for another of its slot: claiming it must fail.
    """

    said: str
    wrong: str
    voice: str
    speed_wpm: int
    pitch: int
    condition: str
    audio: np.ndarray
    sample_rate: int


def phrase_trials(vocabulary: dict[str, tuple[str, ...]], *, seed: int, per_cell: int = 1,
                  voices=VOICES, speeds=SPEEDS, conditions=CONDITIONS) -> list[Trial]:
    """``per_cell`` random phrases for every voice x speed, each with a random pitch and condition.

    Args:
        vocabulary: slot -> words (a phrase takes one word per slot, in order).
        seed: fixes phrases, the swapped word, pitches, conditions and the noise.
        per_cell: phrases per (voice, speed).
        voices, speeds, conditions: what to draw from.
    """
    rng = random.Random(seed)
    slots = list(vocabulary.values())
    out = []
    for voice in voices:
        for speed in speeds:
            for _ in range(per_cell):
                words = [rng.choice(ws) for ws in slots]
                i = rng.randrange(len(slots))
                wrong = list(words)
                wrong[i] = rng.choice([w for w in slots[i] if w != words[i]])
                pitch, condition = rng.choice(PITCHES), rng.choice(conditions)
                x, sr = say(" ".join(words), voice=voice, speed_wpm=speed, pitch=pitch)
                x = degrade(x, sr, condition, seed=rng.randrange(2**31))
                out.append(Trial(" ".join(words), " ".join(wrong), voice, speed, pitch, condition, x, sr))
    return out
