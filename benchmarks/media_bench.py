"""Encode+mux speed of a 4 s 256x256 24 fps stereo clip, as a real-time factor.

Run: .venv/bin/python benchmarks/media_bench.py [--repeats 7] [--audio-coders]
Prints the median encode time (a new clip each time: a clip memoises its encoding), the real-time
factor (clip seconds / encode seconds; target >= 20x on a 2-core machine) and decode time for the
same file. ``--audio-coders`` also compares FFmpeg's two AAC search methods (``aac_coder``) side by
side on a sim clip's soundtrack (speech and impacts), 4 s stereo 48 kHz at the product's bit rate:
encode time (median, alternated) and waveform SNR after decoding (aligned on the encoder's delay).
"""

from __future__ import annotations

import argparse
import io
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from sora_widgets import Clip
from sora_widgets.media import DEFAULT_AUDIO_BITRATE


def make_clip(seconds: float = 4.0, fps: int = 24, size: int = 256, sr: int = 48_000) -> Clip:
    t = int(seconds * fps)
    yy, xx = np.mgrid[0:size, 0:size]
    frames = np.empty((t, size, size, 3), np.uint8)
    for i in range(t):
        frames[i, ..., 0] = (xx + 3 * i) % 256
        frames[i, ..., 1] = yy
        frames[i, ..., 2] = 90
        c = int(size / 2 + size / 3 * np.sin(i / 8))
        frames[i, c - 12 : c + 12, c - 12 : c + 12] = (240, 60, 40)
    n = int(seconds * sr)
    tt = np.arange(n) / sr
    audio = np.stack([0.3 * np.sin(2 * np.pi * 440 * tt), 0.3 * np.sin(2 * np.pi * 660 * tt)]).astype(np.float32)
    return Clip(frames, audio, fps, sr, {"prompt": "benchmark"})


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--audio-coders", action="store_true", help="compare FFmpeg's AAC coders (time, SNR)")
    args = ap.parse_args()
    clip = make_clip()
    clip.to_mp4_bytes()  # warm up codecs
    enc, dec = [], []
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.mp4"
        for i in range(args.repeats):
            fresh = clip.with_meta(run=i)  # a new Clip: no memoised encoding
            t0 = time.perf_counter()
            fresh.save(path)
            enc.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            Clip.load(path)
            dec.append(time.perf_counter() - t0)
        size_kb = path.stat().st_size / 1024
    e, d = statistics.median(enc), statistics.median(dec)
    print(f"clip: {clip.duration:.1f} s {clip.width}x{clip.height} @ {clip.fps} fps, stereo {clip.sample_rate} Hz -> {size_kb:.0f} KiB MP4")
    print(f"encode+mux (H.264 crf 18 preset veryfast + AAC, faststart): median {e * 1000:.0f} ms over {args.repeats} "
          f"-> real-time factor {clip.duration / e:.1f}x (target >= 20x)")
    print(f"decode (Clip.load): median {d * 1000:.0f} ms -> {clip.duration / d:.1f}x real time")
    if args.audio_coders:
        compare_audio_coders(args.repeats)


def _aac(audio: np.ndarray, sample_rate: int, coder: str) -> tuple[float, np.ndarray]:
    """(seconds to encode, decoded audio) of ``audio`` through FFmpeg's AAC encoder with ``aac_coder=coder``."""
    import av

    layout = "stereo" if audio.shape[0] == 2 else "mono"
    fh = io.BytesIO()
    t0 = time.perf_counter()
    with av.open(fh, "w", format="mp4") as out:
        stream = out.add_stream("aac", rate=sample_rate, layout=layout)
        stream.bit_rate = DEFAULT_AUDIO_BITRATE
        stream.options = {"aac_coder": coder}
        for start in range(0, audio.shape[1], 1024):
            frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(audio[:, start:start + 1024]), format="fltp",
                                               layout=layout)
            frame.sample_rate, frame.pts = sample_rate, start
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    took = time.perf_counter() - t0
    decoded = np.concatenate([f.to_ndarray() for f in av.open(io.BytesIO(fh.getvalue())).decode(audio=0)], axis=1)
    return took, decoded


def _snr_db(original: np.ndarray, decoded: np.ndarray, max_lag: int = 2048) -> float:
    """Waveform SNR (dB) of the first channel, at the lag (the encoder's delay) where it is best."""
    skip = max_lag
    ref = original[0, skip:-skip]
    best = -np.inf
    for lag in range(-max_lag, max_lag + 1):
        seg = decoded[0, skip + lag: skip + lag + ref.shape[0]]
        if seg.shape[0] == ref.shape[0]:
            best = max(best, 10 * np.log10((ref ** 2).mean() / max(float(((seg - ref) ** 2).mean()), 1e-12)))
    return float(best)


def compare_audio_coders(repeats: int) -> None:
    from sora_widgets import generate

    clip = generate("a man says hello there while a red ball bounces on a wooden floor", engine="sim", seed=3)
    times: dict[str, list[float]] = {"twoloop": [], "fast": []}
    snr = {}
    for _ in range(repeats):
        for coder in times:
            took, decoded = _aac(clip.audio, clip.sample_rate, coder)
            times[coder].append(took)
            snr.setdefault(coder, _snr_db(clip.audio, decoded))
    slow, fast = statistics.median(times["twoloop"]), statistics.median(times["fast"])
    print(f"AAC {DEFAULT_AUDIO_BITRATE // 1000} kb/s, {clip.audio.shape[1] / clip.sample_rate:.0f} s "
          f"{clip.audio.shape[0]}-channel sim soundtrack, median of {repeats} alternated:")
    for coder in times:
        print(f"  aac_coder={coder:<8}: {statistics.median(times[coder]) * 1000:.0f} ms, SNR {snr[coder]:.1f} dB")
    print(f"  fast / twoloop time ratio: {fast / slow:.2f} ({slow / fast:.1f}x faster)")


if __name__ == "__main__":
    main()
