"""save_clip throughput: one process, and 4 processes sharing one home through the file lock.

Run: .venv/bin/python benchmarks/store_bench.py [--clips 100]
Clips are 1 s 64x64 (encoding is not what is measured here); the figures are
saves per second and the per-save latency of the locked database section.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import numpy as np

import sora_widgets as sw

WORKER = textwrap.dedent(
    """
    import sys, numpy as np, sora_widgets as sw
    home, tag, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    s = sw.open_store(home); s.create_user(tag, birthdate="1990-05-01")
    f = np.zeros((24, 64, 64, 3), np.uint8); a = np.zeros((2, 48000), np.float32)
    clips = [sw.Clip(f + i % 200, a, 24, 48000, {"prompt": str(i)}) for i in range(n)]
    for c in clips:
        s.save_clip(c, owner=tag)
    """
)


def single(home: Path, n: int) -> float:
    s = sw.open_store(home)
    s.create_user("solo", birthdate="1990-05-01")
    f = np.zeros((24, 64, 64, 3), np.uint8)
    a = np.zeros((2, 48000), np.float32)
    clips = [sw.Clip(f + i % 200, a, 24, 48000, {"prompt": str(i)}) for i in range(n)]
    t0 = time.perf_counter()
    for c in clips:
        s.save_clip(c, owner="solo")
    return n / (time.perf_counter() - t0)


def multi(home: Path, n: int, procs: int) -> float:
    sw.open_store(home)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    t0 = time.perf_counter()
    ps = [subprocess.Popen([sys.executable, "-c", WORKER, str(home), f"p{k}", str(n)], env=env) for k in range(procs)]
    for p in ps:
        assert p.wait() == 0
    elapsed = time.perf_counter() - t0
    total = sw.open_store(home).sql("SELECT count(*) AS n FROM clips")["n"][0]
    assert total == n * procs, f"lost writes: {total} != {n * procs}"
    return total / elapsed


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--clips", type=int, default=100, help="saves per process")
    ap.add_argument("--procs", type=int, default=4)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        s1 = single(Path(tmp) / "single", args.clips)
        sm = multi(Path(tmp) / "multi", args.clips, args.procs)
        store = sw.open_store(Path(tmp) / "single")
        t0 = time.perf_counter()
        for _ in range(50):
            store.sql("SELECT count(*) FROM clips")
        q = (time.perf_counter() - t0) / 50
        t0 = time.perf_counter()
        for _ in range(10):
            sw.open_store(Path(tmp) / "single")
        o = (time.perf_counter() - t0) / 10
    print(f"save_clip, 1 process: {s1:.1f} clips/s ({1000 / s1:.0f} ms per save incl. encoding a 1 s 64x64 clip)")
    print(f"save_clip, {args.procs} processes on one home: {sm:.1f} clips/s in total, no write lost "
          f"({sm / s1:.2f}x the single-process rate)")
    print(f"a read-only query through the lock (open + query + close): {q * 1000:.1f} ms")
    print(f"open_store on an existing home (lock + migration check): {o * 1000:.1f} ms")


if __name__ == "__main__":
    main()
