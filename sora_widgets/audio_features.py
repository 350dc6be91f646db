"""Pictures of a soundtrack for players: a waveform envelope and a mel spectrogram.

Plain functions over numpy arrays, in the style of librosa: ``audio`` is
``(channels, samples)`` or ``(samples,)`` float32 in [-1, 1], ``sr`` is the
sample rate in Hz, ``hop_length`` and ``n_fft`` are in samples. Everything
works for silent or empty audio (an upload with no sound track) and returns
arrays of the requested shape.
"""

from __future__ import annotations

import functools

import numpy as np

__all__ = [
    "mono",
    "waveform_envelope",
    "mel_spectrogram_db",
    "spectrogram_rgb",
    "spectrogram_png",
]


def mono(audio: np.ndarray) -> np.ndarray:
    """Average the channels of ``(C, N)`` (or pass ``(N,)`` through) as float32."""
    a = np.asarray(audio, dtype=np.float32)
    if a.ndim == 2:
        a = a.mean(axis=0) if a.shape[0] else np.zeros(0, np.float32)
    return np.ascontiguousarray(a, dtype=np.float32)


def waveform_envelope(audio: np.ndarray, n_bins: int = 600) -> tuple[np.ndarray, np.ndarray]:
    """Minimum and maximum sample in each of ``n_bins`` equal slices of the soundtrack.

    Returns two float32 arrays of length ``n_bins`` in [-1, 1] (zeros where the
    audio is empty). Bin ``i`` covers seconds ``[i, i+1) * duration / n_bins``,
    so the envelope lines up with the video timeline when drawn full width.
    """
    if n_bins < 1:
        raise ValueError(f"n_bins must be >= 1; got {n_bins}")
    y = mono(audio)
    lo = np.zeros(n_bins, np.float32)
    hi = np.zeros(n_bins, np.float32)
    if y.size == 0:
        return lo, hi
    edges = np.linspace(0, y.size, n_bins + 1).astype(np.int64)
    for i in range(n_bins):
        a, b = edges[i], max(edges[i + 1], edges[i] + 1)
        seg = y[a:min(b, y.size)]
        if seg.size:
            lo[i], hi[i] = seg.min(), seg.max()
    return lo, hi


def mel_spectrogram_db(
    audio: np.ndarray,
    sr: int,
    *,
    n_fft: int = 1024,
    hop_length: int = 256,
    n_mels: int = 64,
    top_db: float = 80.0,
) -> np.ndarray:
    """Mel power spectrogram in dB relative to its peak, shape ``(n_mels, frames)``.

    Values lie in ``[-top_db, 0]``; row 0 is the lowest band. Empty audio gives
    one column of ``-top_db`` (silence), so callers need no special case.
    """
    y = mono(audio)
    if y.size == 0 or not np.any(y):
        frames = max(1, 1 + y.size // hop_length)
        return np.full((n_mels, frames), -float(top_db), np.float32)
    if y.size < n_fft:  # pad short sounds to one window, quietly
        y = np.pad(y, (0, n_fft - y.size))
    # The same computation as librosa.feature.melspectrogram + power_to_db(ref=np.max) (centred frames,
    # zero padding, periodic Hann window, Slaney mel filters; tests/test_kernel_memory.py compares them), in
    # numpy: librosa's import of numba and llvmlite cost every player's kernel ~60 MiB and ~1 s of CPU.
    y = np.pad(y, n_fft // 2)
    window = np.hanning(n_fft + 1)[:-1].astype(np.float32)  # periodic Hann, as scipy's get_window("hann")
    frames = np.lib.stride_tricks.sliding_window_view(y, n_fft)[::hop_length]
    power = np.abs(np.fft.rfft(frames * window, axis=1)).astype(np.float32) ** 2  # (frames, 1 + n_fft // 2)
    s = _mel_filters(sr, n_fft, n_mels) @ power.T
    amin = 1e-10
    # the reference in float32, as the spectrogram: its peak is then exactly 0 dB
    db = 10.0 * np.log10(np.maximum(amin, s)) - 10.0 * np.log10(np.maximum(np.float32(amin), s.max()))
    return np.maximum(db, db.max() - top_db).astype(np.float32)


@functools.lru_cache(maxsize=8)
def _mel_filters(sr: int, n_fft: int, n_mels: int) -> np.ndarray:
    """(n_mels, 1 + n_fft // 2) triangular mel filters on the Slaney scale, area-normalised (librosa's defaults:
    ``librosa.filters.mel(sr=sr, n_fft=n_fft, n_mels=n_mels)``, 0 Hz to ``sr / 2``)."""
    f_sp, min_log_hz, logstep = 200.0 / 3, 1000.0, np.log(6.4) / 27.0  # linear below 1 kHz, logarithmic above
    min_log_mel = min_log_hz / f_sp

    def hz_to_mel(f: np.ndarray) -> np.ndarray:
        f = np.asarray(f, np.float64)
        return np.where(f >= min_log_hz, min_log_mel + np.log(np.maximum(f, min_log_hz) / min_log_hz) / logstep, f / f_sp)

    def mel_to_hz(m: np.ndarray) -> np.ndarray:
        return np.where(m >= min_log_mel, min_log_hz * np.exp(logstep * (m - min_log_mel)), f_sp * m)

    mel_f = mel_to_hz(np.linspace(hz_to_mel(0.0), hz_to_mel(sr / 2.0), n_mels + 2))
    fft_f = np.fft.rfftfreq(n_fft, 1.0 / sr)
    fdiff = np.diff(mel_f)
    ramps = mel_f[:, None] - fft_f[None, :]
    lower = -ramps[:-2] / fdiff[:-1, None]
    upper = ramps[2:] / fdiff[1:, None]
    weights = np.maximum(0.0, np.minimum(lower, upper)) * (2.0 / (mel_f[2:] - mel_f[:-2]))[:, None]
    return weights.astype(np.float32)


def spectrogram_rgb(db: np.ndarray, *, top_db: float = 80.0, height_px: int | None = None) -> np.ndarray:
    """Colour a dB spectrogram (``[-top_db, 0]``) with the magma map, low bands at the bottom.

    Returns ``(rows, frames, 3)`` uint8 where rows is ``height_px`` (or n_mels).
    """
    from matplotlib import colormaps

    norm = np.clip((np.asarray(db, np.float32) + top_db) / top_db, 0.0, 1.0)[::-1]  # high bands on top
    if height_px and height_px != norm.shape[0]:
        rows = (np.arange(height_px) + 0.5) * norm.shape[0] / height_px
        norm = norm[rows.astype(int)]
    rgba = colormaps["magma"](norm, bytes=True)
    return np.ascontiguousarray(rgba[..., :3])


def spectrogram_png(audio: np.ndarray, sr: int, *, hop_length: int = 256, n_mels: int = 64, height_px: int = 64) -> bytes:
    """PNG bytes of the coloured mel spectrogram of ``audio`` (one column per hop)."""
    from .media import encode_png

    rgb = spectrogram_rgb(mel_spectrogram_db(audio, sr, hop_length=hop_length, n_mels=n_mels), height_px=height_px)
    if rgb.shape[1] % 2:  # some PNG encoders dislike odd widths less than others; keep it simple and even
        rgb = np.concatenate([rgb, rgb[:, -1:]], axis=1)
    return encode_png(rgb)
