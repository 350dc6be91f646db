"""Encode+mux speed of a 4 s 256x256 24 fps stereo clip, as a real-time factor.

Run: .venv/bin/python benchmarks/media_bench.py [--repeats 7]
Prints the median encode time, the real-time factor (clip seconds / encode seconds;
target >= 20x on a 2-core machine) and decode time for the same file.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from sora_widgets import Clip


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
    args = ap.parse_args()
    clip = make_clip()
    clip.to_mp4_bytes()  # warm up codecs
    enc, dec = [], []
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.mp4"
        for _ in range(args.repeats):
            t0 = time.perf_counter()
            clip.save(path)
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


if __name__ == "__main__":
    main()
