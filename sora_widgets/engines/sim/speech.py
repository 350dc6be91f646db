"""Spoken lines with Debian's ``espeak-ng`` (run as a subprocess, text on stdin), resampled to 48 kHz.

Voice parameters: ``voice`` an espeak-ng voice name such as ``en-us`` or ``en+f3`` (language + variant),
``pitch`` 0-99, ``speed_wpm`` words per minute 80-450. Cameos carry their owner's values.
"""

from __future__ import annotations

import re
import shutil
import struct
import subprocess
from functools import lru_cache

import numpy as np

__all__ = ["DEFAULT_VOICES", "espeak_available", "speak", "validate_voice"]

SAMPLE_RATE = 48_000
PITCH_RANGE = (0, 99)
SPEED_RANGE_WPM = (80, 450)
_VOICE_RE = re.compile(r"^[A-Za-z0-9_+\-]{1,40}$")

#: The voice a speaker gets when nobody chose one: (espeak voice, pitch 0-99, words per minute).
DEFAULT_VOICES = {
    "person": {"espeak_voice": "en-us", "pitch": 50, "speed_wpm": 160},
    "cat": {"espeak_voice": "en-us+f3", "pitch": 90, "speed_wpm": 185},
    "dog": {"espeak_voice": "en-us+m3", "pitch": 22, "speed_wpm": 150},
    "other": {"espeak_voice": "en-us+m1", "pitch": 60, "speed_wpm": 170},
}


def espeak_available() -> bool:
    return shutil.which("espeak-ng") is not None


def validate_voice(voice: dict) -> dict:
    """Check a voice dict (espeak_voice, pitch, speed_wpm); return it with defaults filled; ValueError if bad."""
    out = {"espeak_voice": "en-us", "pitch": 50, "speed_wpm": 160, **{k: v for k, v in voice.items() if v is not None}}
    if not isinstance(out["espeak_voice"], str) or not _VOICE_RE.match(out["espeak_voice"]):
        raise ValueError(f"voice must be an espeak-ng voice name like 'en-us' or 'en+f3'; got {out['espeak_voice']!r}.")
    p = out["pitch"]
    if not isinstance(p, (int, float)) or not PITCH_RANGE[0] <= p <= PITCH_RANGE[1]:
        raise ValueError(f"pitch must be between {PITCH_RANGE[0]} and {PITCH_RANGE[1]}; got {p!r}.")
    s = out["speed_wpm"]
    if not isinstance(s, (int, float)) or not SPEED_RANGE_WPM[0] <= s <= SPEED_RANGE_WPM[1]:
        raise ValueError(f"speed_wpm must be between {SPEED_RANGE_WPM[0]} and {SPEED_RANGE_WPM[1]} words per minute; "
                         f"got {s!r}.")
    out["pitch"], out["speed_wpm"] = int(p), int(s)
    return out


def _parse_wav(data: bytes) -> tuple[np.ndarray, int]:
    """espeak-ng streams a WAV whose size fields are placeholders: read fmt, then everything after 'data'."""
    if data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise RuntimeError("espeak-ng did not return WAV audio")
    pos, rate = 12, 22050
    while pos + 8 <= len(data):
        cid, size = data[pos : pos + 4], struct.unpack("<I", data[pos + 4 : pos + 8])[0]
        if cid == b"fmt ":
            rate = struct.unpack("<I", data[pos + 12 : pos + 16])[0]
        if cid == b"data":
            pcm = data[pos + 8 :]
            pcm = pcm[: len(pcm) // 2 * 2]
            return np.frombuffer(pcm, "<i2").astype(np.float32) / 32768.0, rate
        pos += 8 + size
    return np.zeros(0, np.float32), rate


@lru_cache(maxsize=128)
def speak(text: str, espeak_voice: str = "en-us", pitch: int = 50, speed_wpm: int = 160) -> np.ndarray:
    """Mono float32 speech at 48 kHz (empty if espeak-ng is missing). Deterministic for the same arguments."""
    validate_voice({"espeak_voice": espeak_voice, "pitch": pitch, "speed_wpm": speed_wpm})
    if not text.strip() or not espeak_available():
        return np.zeros(0, np.float32)
    proc = subprocess.run(
        ["espeak-ng", "--stdout", "-v", espeak_voice, "-p", str(int(pitch)), "-s", str(int(speed_wpm))],
        input=text.encode("utf-8"), capture_output=True, timeout=30, check=False,
    )
    if proc.returncode != 0 or not proc.stdout:
        # an unknown voice name: fall back to the default voice rather than losing the line
        if espeak_voice != "en-us":
            return speak(text, "en-us", pitch, speed_wpm)
        return np.zeros(0, np.float32)
    x, rate = _parse_wav(proc.stdout)
    if rate != SAMPLE_RATE and x.size:
        from math import gcd

        from scipy.signal import resample_poly

        g = gcd(SAMPLE_RATE, rate)
        x = resample_poly(x, SAMPLE_RATE // g, rate // g).astype(np.float32)
    x.setflags(write=False)  # cached: callers must copy before changing it
    return x
