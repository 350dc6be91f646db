"""The generation service on a GPU machine: tiny pipelines on CUDA through Ray workers that declare GPUs.

Starts a one-node Ray cluster with the machine's GPUs, then with ``--per-gpu`` workers per GPU
(``num_gpus = 1 / per_gpu`` each: 2 means two workers share one GPU, each placed by Ray; 1 means one
worker per GPU, so two pipelines never share a GPU's memory):

1. two callers at once generate with the tiny LTX-2 pipeline on ``cuda`` (count loads: one per worker
   that ran a job), each sees progress and previews;
2. the same request in-process and through the service, interleaved (ratio of medians);
3. per worker: the GPU Ray gave it (``CUDA_VISIBLE_DEVICES``), what it holds, peak memory.

    .venv/bin/python benchmarks/service_gpu.py [--per-gpu 2] [--runs 5]
    .venv/bin/python benchmarks/service_gpu.py --device cpu --gpus 0     # the same on CPU (a dry run)

Record what it prints in docs/gpu.md ("The generation service on a GPU").
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


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--gpus", type=int, default=None, help="GPUs Ray offers (default: torch's count)")
    ap.add_argument("--per-gpu", type=int, default=2, help="workers per GPU")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--steps", type=int, default=8)
    ap.add_argument("--size", type=int, default=256)
    args = ap.parse_args()

    import torch

    gpus = torch.cuda.device_count() if args.gpus is None else args.gpus
    workers = max(1, gpus * args.per_gpu) if gpus else 2
    os.environ.update({"RAY_USAGE_STATS_ENABLED": "0", "RAY_raylet_start_wait_time_s": "120",
                       "SORA_WIDGETS_RAY_WORKERS": str(workers),
                       "SORA_WIDGETS_RAY_GPUS_PER_WORKER": str(1 / args.per_gpu if gpus else 0),
                       "SORA_WIDGETS_RAY_PER_USER": "8", "SORA_WIDGETS_USER": "gpu_check"})
    os.environ.pop("SORA_WIDGETS_RAY", None)
    from ray.cluster_utils import Cluster

    cluster = Cluster(initialize_head=True, head_node_args={
        "num_cpus": max(2, workers), "num_gpus": gpus, "include_dashboard": False,
        "object_store_memory": 1 << 30})
    os.environ["SORA_WIDGETS_RAY"] = cluster.address
    try:
        return _check(args, gpus, workers)
    finally:
        import ray

        ray.shutdown()
        cluster.shutdown()


def _check(args, gpus: int, workers: int) -> int:
    import sora_widgets as sw
    from sora_widgets.service import describe
    from sora_widgets.testing.tiny_pipelines import save_tiny_model

    print(f"{gpus} GPU(s), {workers} worker(s), {1 / args.per_gpu if gpus else 0:g} GPU each, device {args.device}")
    folder = save_tiny_model("ltx2", Path(tempfile.mkdtemp(prefix="sora-service-gpu-")) / "ltx2")
    req = {"prompt": "a red ball bounces", "engine": "ltx2", "model": str(folder), "device": args.device,
           "width": args.size, "height": args.size, "fps": 24, "duration": 2.0, "steps": args.steps}
    seen = [[0, 0], [0, 0]]
    clips = {}

    def caller(i):
        def on_progress(step, total, preview=None):
            seen[i][0] += 1
            seen[i][1] += preview is not None

        clips[i] = sw.generate(**req, seed=i, on_progress=on_progress)

    threads = [threading.Thread(target=caller, args=(i,)) for i in range(2)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print(f"two callers at once: {time.perf_counter() - t0:.2f} s; progress/previews seen {seen}; "
          f"workers {[clips[i].meta['service']['worker'] for i in range(2)]}; device "
          f"{[clips[i].meta.get('device') for i in range(2)]}; frames {clips[0].frames.shape}")
    a, b = [], []
    for seed in range(10, 10 + args.runs):
        for out, env in ((a, ""), (b, os.environ["SORA_WIDGETS_RAY"])):
            saved = os.environ["SORA_WIDGETS_RAY"]
            os.environ["SORA_WIDGETS_RAY"] = env
            try:
                t0 = time.perf_counter()
                sw.generate(**req, seed=seed)
                out.append(time.perf_counter() - t0)
            finally:
                os.environ["SORA_WIDGETS_RAY"] = saved
    print(f"in-process median {statistics.median(a):.3f} s, service median {statistics.median(b):.3f} s, "
          f"ratio {statistics.median(b) / statistics.median(a):.3f} ({args.runs} runs each, first in-process "
          "run includes its load)")

    info = describe()
    for w in info["workers"]:
        print(f"worker {w['worker_id']}: {w['num_gpus']:g} GPU (ids {w.get('gpu_ids')}), holds {w['holds']}, "
              f"loads {w['loads']}, jobs {w['jobs']}, peak GPU memory {w.get('gpu_peak_bytes', 0) / 2**20:.0f} MiB")
    print(f"cluster resources: {info['resources']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
