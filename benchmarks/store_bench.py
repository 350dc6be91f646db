"""save_clip throughput: one process, and 4 processes sharing one home through the file lock.

Run: .venv/bin/python benchmarks/store_bench.py [--clips 100]
Clips are 1 s 64x64 (encoding is not what is measured here); the figures are
saves per second and the per-save latency of the locked database section.

``--service``: the same, and the latency of single store operations (a read-only query, ``get_user``, the
identity provider's per-request lookup ``session_user`` + ``get_user``, a one-row write), each with the
file opened directly and through a store service (``sora-widgets store-serve``) in one run, in alternating
blocks, so a busy machine slows both alike: compare the ratios. Wall and CPU (this process) per op.
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

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sora_widgets as sw  # noqa: E402
from sora_widgets.auth.sessions import create_session, session_user  # noqa: E402
from sora_widgets.store.service import spawn, stop  # noqa: E402

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


def multi(home: Path, n: int, procs: int, prior: int = 0) -> float:
    sw.open_store(home)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    t0 = time.perf_counter()
    ps = [subprocess.Popen([sys.executable, "-c", WORKER, str(home), f"p{k}", str(n)], env=env) for k in range(procs)]
    for p in ps:
        assert p.wait() == 0
    elapsed = time.perf_counter() - t0
    total = sw.open_store(home).sql("SELECT count(*) AS n FROM clips")["n"][0]
    assert total == n * procs + prior, f"lost writes: {total} != {n * procs + prior}"
    return (total - prior) / elapsed


def op_latency(home: Path, *, reps: int, rounds: int) -> dict[str, dict[str, list[float]]]:
    """Per-operation latency (ms, wall and CPU) of a few store operations, direct and through a service,
    alternating blocks of ``reps`` operations for ``rounds`` rounds: {op: {"direct"|"service"[+"_cpu"]: [ms]}}."""
    store = sw.open_store(home)
    store.create_user("ops", birthdate="1990-05-01")
    sid = create_session(store, "ops")
    n = [0]

    def write():
        n[0] += 1
        store.audit("ops", "bench.write", "bench", str(n[0]))

    ops = {
        "read-only query (SELECT count(*) FROM clips)": lambda: store.sql("SELECT count(*) FROM clips"),
        "get_user": lambda: store.get_user("ops"),
        "per-request identity (session_user + get_user)": lambda: store.get_user(session_user(store, sid)),
        "one-row write (audit line, committed)": write,
    }
    out: dict[str, dict[str, list[float]]] = {name: {} for name in ops}
    for _ in range(rounds):
        for backend in ("direct", "service"):
            proc = spawn(home) if backend == "service" else None
            try:
                for name, op in ops.items():
                    op()  # the first one of a block connects (service) or warms the OS cache (direct)
                    for _ in range(reps):
                        t, c = time.perf_counter(), time.process_time()
                        op()
                        out[name].setdefault(backend, []).append((time.perf_counter() - t) * 1000)
                        out[name].setdefault(backend + "_cpu", []).append((time.process_time() - c) * 1000)
            finally:
                if proc is not None:
                    stop(proc)
    return out


def report_ops(out: dict[str, dict[str, list[float]]]) -> None:
    print(f"store operations, direct vs through the store service (load {os.getloadavg()[0]:.1f}):")
    for name, r in out.items():
        d, s = np.array(r["direct"]), np.array(r["service"])
        print(f"  {name}: direct p50 {np.median(d):.2f} / p95 {np.percentile(d, 95):.2f} ms "
              f"(CPU {np.median(r['direct_cpu']):.2f}), service p50 {np.median(s):.2f} / p95 "
              f"{np.percentile(s, 95):.2f} ms (CPU {np.median(r['service_cpu']):.2f}); "
              f"p50 ratio x{np.median(d) / np.median(s):.1f}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--clips", type=int, default=100, help="saves per process")
    ap.add_argument("--procs", type=int, default=4)
    ap.add_argument("--service", action="store_true",
                    help="also: the saves and single operations through a store service, beside direct ones")
    ap.add_argument("--reps", type=int, default=40, help="--service: operations per block")
    ap.add_argument("--rounds", type=int, default=3, help="--service: direct/service block pairs")
    args = ap.parse_args()
    if args.service:
        with tempfile.TemporaryDirectory() as tmp:
            report_ops(op_latency(Path(tmp) / "ops", reps=args.reps, rounds=args.rounds))
            proc = spawn(Path(tmp) / "single_svc")
            try:
                s1 = single(Path(tmp) / "single_svc", args.clips)
                sm = multi(Path(tmp) / "single_svc", args.clips, args.procs, prior=args.clips)
            finally:
                stop(proc)
        print(f"save_clip through the service, 1 process: {s1:.1f} clips/s; {args.procs} processes: {sm:.1f} "
              "clips/s in total, no write lost")
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
