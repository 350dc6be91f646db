"""The generation service (sora_widgets.service, Ray) against in-process ``generate()``.

Starts its own Ray cluster on this machine (one node, ``--cpus`` CPUs, Ray's ``Cluster`` utility), then:

1. Overhead: the same request in-process and through the service, interleaved, median of ``--runs``
   each (both warm: the worker's pipeline is loaded, the kernel's too), for a ``sim`` clip and for the
   tiny LTX-2 diffusers pipeline (random weights, real pipeline code). Goal: ratio <= 1.10 for jobs of >= 1 s.
2. Throughput: ``--jobs`` CPU-bound jobs (``testing.slow_job.busy_clip``: ~1 s of numpy on one core each)
   submitted at once, with 1 then 2 workers. Goal: >= 1.7x, within what two (shared) cores allow.
3. Queue latency: 20 submitters at once, each submitting ``--rounds`` short jobs (0.05 s) one after the
   other, 2 workers: p50/p95 of the time from submit to start on a worker (``queue_s``) and of the whole
   call; and the service's own cost per call (whole call minus queue minus run) p95.

    .venv/bin/python benchmarks/service_bench.py [--runs 5] [--jobs 8] [--tp-rounds 3] [--rounds 3] [--cpus 2] [--parts overhead,throughput,latency]

The machine is shared: read the ratios (same run, interleaved), not the absolute seconds. The scheduler's
per-user limit is raised to 64 here (every call comes from this one process, one user).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def _median_pair(fn_a, fn_b, runs: int) -> tuple[float, float]:
    """Medians of ``fn_x(seed)`` over ``runs`` seeds, interleaved; each side sees each seed once (a new
    clip every call: the sim engine remembers the last scenes it made)."""
    a, b = [], []
    for seed in range(100, 100 + runs):
        for fn, out in ((fn_a, a), (fn_b, b)):
            t0 = time.perf_counter()
            fn(seed)
            out.append(time.perf_counter() - t0)
    return statistics.median(a), statistics.median(b)


def _in_process(fn):
    def run(*a):
        saved = os.environ.pop("SORA_WIDGETS_RAY")
        try:
            return fn(*a)
        finally:
            os.environ["SORA_WIDGETS_RAY"] = saved

    return run


def _concurrently(n: int, fn) -> float:
    threads = [threading.Thread(target=fn) for _ in range(n)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - t0


def _p(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5, help="interleaved runs of each side (overhead)")
    ap.add_argument("--sim-duration", type=float, default=20.0, help="seconds of sim clip")
    ap.add_argument("--sim-size", type=int, default=512, help="sim clip width = height in px")
    ap.add_argument("--sim-prompt", default="a red ball bounces off the backboard",
                    help="the sim clip's prompt (a figure with water takes >= 1 s in-process, the goal's size)")
    ap.add_argument("--tiny-steps", type=int, default=48, help="denoising steps of the tiny LTX-2 job")
    ap.add_argument("--jobs", type=int, default=8, help="CPU-bound jobs for the throughput part")
    ap.add_argument("--tp-rounds", type=int, default=3, help="alternating 1- and 2-worker rounds (throughput)")
    ap.add_argument("--job-s", type=float, default=1.0, help="CPU seconds of each throughput job")
    ap.add_argument("--rounds", type=int, default=3, help="jobs per submitter (queue latency)")
    ap.add_argument("--cpus", type=int, default=2, help="CPUs the Ray node offers")
    ap.add_argument("--skip-tiny", action="store_true", help="no diffusers part (no torch installed)")
    ap.add_argument("--parts", default="overhead,throughput,latency",
                    help="comma-separated parts to run: overhead, throughput, latency")
    args = ap.parse_args()

    os.environ.update({"RAY_USAGE_STATS_ENABLED": "0", "RAY_raylet_start_wait_time_s": "120",
                       "SORA_WIDGETS_RAY_WORKERS": "1", "OMP_NUM_THREADS": "1",
                       "SORA_WIDGETS_RAY_PER_USER": "64", "SORA_WIDGETS_USER": "bench"})
    os.environ.pop("SORA_WIDGETS_RAY", None)
    from ray.cluster_utils import Cluster

    from sora_widgets.service.procs import children, stop_new_children

    t0 = time.perf_counter()
    before = children()
    cluster = None
    try:
        # 300 MB of object store: a 377 MB clip still fits, as its frames travel in 16 MiB pieces
        cluster = Cluster(initialize_head=True, head_node_args={
            "num_cpus": args.cpus, "include_dashboard": False, "object_store_memory": 300 * 2**20})
        os.environ["SORA_WIDGETS_RAY"] = cluster.address
        print(f"cluster up in {time.perf_counter() - t0:.1f} s ({args.cpus} CPUs, {os.cpu_count()} cores here, "
              f"load average {os.getloadavg()[0]:.1f})")
        return _bench(args)
    finally:
        import ray

        ray.shutdown()
        if cluster is not None:
            cluster.shutdown()
        stop_new_children(before)  # what a node that failed to start left (Cluster does not know it)


def _bench(args) -> int:
    from sora_widgets.service.cluster import scheduler

    sched = scheduler()
    parts = set(args.parts.split(","))
    if "overhead" in parts:
        _overhead(args)
    if "throughput" in parts:
        _throughput(args, sched)
    if "latency" in parts:
        _latency(args)
    return 0


def _overhead(args) -> None:
    import sora_widgets as sw

    # ---------------------------------------------------------------- 1. overhead
    sim = {"prompt": args.sim_prompt, "duration": args.sim_duration,
           "width": args.sim_size, "height": args.sim_size}

    def sim_call(seed=7):
        return sw.generate(**sim, seed=seed, on_progress=lambda s, t, p: None)

    # both sides warm: a new worker's first two clips render ~10x slower (its start-up work in the background)
    for _ in range(3):
        sim_call()
    _in_process(sim_call)()
    here, there = _median_pair(_in_process(sim_call), sim_call, args.runs)
    print(f"overhead, sim {args.sim_duration:g} s clip at {args.sim_size} px ({args.sim_prompt!r}): in-process {here:.2f} s, "
          f"service {there:.2f} s, "
          f"ratio {there / here:.3f}")
    if not args.skip_tiny:
        import torch

        from sora_widgets.testing.tiny_pipelines import save_tiny_model

        torch.set_num_threads(1)  # the worker has one CPU; so does the in-process side, for a fair ratio
        folder = save_tiny_model("ltx2", Path(tempfile.mkdtemp(prefix="sora-service-bench-")) / "ltx2")
        tiny = {"prompt": "a red ball bounces", "engine": "ltx2", "model": str(folder),
                "device": "cpu", "width": 64, "height": 64, "fps": 24, "duration": 17 / 24,
                "steps": args.tiny_steps}

        def tiny_call(seed=0):
            return sw.generate(**tiny, seed=seed, on_progress=lambda s, t, p: None)

        tiny_call()
        _in_process(tiny_call)()
        here, there = _median_pair(_in_process(tiny_call), tiny_call, args.runs)
        print(f"overhead, tiny LTX-2 pipeline ({args.tiny_steps} steps, 17 frames 64 px): in-process {here:.2f} s, "
              f"service {there:.2f} s, ratio {there / here:.3f}")


def _throughput(args, sched) -> None:
    import ray

    from sora_widgets.service.client import run_on_service
    from sora_widgets.testing.slow_job import busy_clip

    # ---------------------------------------------------------------- 2. throughput
    def busy():
        run_on_service(busy_clip, {"seconds": args.job_s})

    # 1 and 2 workers alternate, ``--tp-rounds`` times: on a shared machine whose load drifts, the ratio of
    # the medians compares like with like.
    walls: dict[int, list[float]] = {1: [], 2: []}
    for _round in range(args.tp_rounds):
        for n in (1, 2):
            ray.get(sched.set_workers.remote(n))
            _concurrently(n, busy)  # the new worker is up and warm
            walls[n].append(_concurrently(args.jobs, busy))
            print(f"throughput, {n} worker(s): {args.jobs} jobs of {args.job_s:g} CPU-s in {walls[n][-1]:.2f} s "
                  f"= {args.jobs / walls[n][-1]:.2f} jobs/s (load average {os.getloadavg()[0]:.1f})")
    one, two = statistics.median(walls[1]), statistics.median(walls[2])
    print(f"throughput 2 workers / 1 worker (medians of {args.tp_rounds} alternating rounds): {one / two:.2f}x")


def _latency(args) -> None:
    from sora_widgets.service.client import run_on_service
    from sora_widgets.testing.slow_job import slow_clip

    # ---------------------------------------------------------------- 3. queue latency, 20 submitters
    queue_s, total_s, own_s = [], [], []
    lock = threading.Lock()

    def submitter():
        for _ in range(args.rounds):
            t0 = time.perf_counter()
            clip = run_on_service(slow_clip, {"steps": 1, "step_s": 0.05})
            took = time.perf_counter() - t0
            with lock:
                queue_s.append(clip.meta["service"]["queue_s"])
                total_s.append(took)
                own_s.append(took - clip.meta["service"]["queue_s"] - 0.05)

    _concurrently(20, submitter)
    print(f"queue latency, 20 submitters x {args.rounds} jobs of 0.05 s, 2 workers: submit->start "
          f"p50 {_p(queue_s, .5):.3f} s, p95 {_p(queue_s, .95):.3f} s; whole call p50 {_p(total_s, .5):.3f} s, "
          f"p95 {_p(total_s, .95):.3f} s; service cost per call (call - queue - work) p95 {_p(own_s, .95):.3f} s")


if __name__ == "__main__":
    raise SystemExit(main())
