"""Overhead of the diffusers engines over calling the pipeline directly.

Same tiny real pipeline object, same arguments, one process: ``sora_widgets.generate(...)``
(request validation, option handling, per-step callback with cancel checks and previews,
frame/audio conversion, Clip) versus ``pipe(**same_kwargs)``. Runs are interleaved; the
median of N runs of each is compared. Target: ratio <= 1.05.

    .venv/bin/python benchmarks/diffusers_overhead.py [--runs 7] [--steps 4]

CPU timings on a shared machine are noisy; read the ratio, not the absolute numbers.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--steps", type=int, default=4)
    ap.add_argument("--size", type=int, default=64, help="width = height in px")
    ap.add_argument("--frames", type=int, default=17)
    args = ap.parse_args()

    import torch

    import sora_widgets as sw
    from sora_widgets.engines.diffusers import loading
    from sora_widgets.engines.diffusers.ltx2 import _stg_for
    from sora_widgets.testing.tiny_pipelines import save_tiny_model

    torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))
    tmp = Path(tempfile.mkdtemp(prefix="sora-overhead-"))
    folder = save_tiny_model("ltx2", tmp / "ltx2")
    os.environ["SORA_WIDGETS_LTX2_MODEL"] = str(folder)
    fps = 24
    duration = args.frames / fps
    req = {"width": args.size, "height": args.size, "fps": fps, "duration": duration, "steps": args.steps}
    progress = []

    def ours():
        progress.clear()
        # device="cpu": the raw call below runs on the CPU, so must we (auto would pick a GPU).
        return sw.generate("a red ball bounces", engine="ltx2", model=str(folder), seed=0, device="cpu",
                           on_progress=lambda s, t, p: progress.append(s), **req)

    ours()  # load + warm up; the pipeline is now cached
    pipe = loading.load_pipeline(folder, device="cpu", dtype=torch.float32).pipe
    pipe.set_progress_bar_config(disable=True)
    raw_kwargs = {
        "prompt": "a red ball bounces", "negative_prompt": None, "height": args.size, "width": args.size,
        "num_frames": args.frames, "frame_rate": float(fps), "num_inference_steps": args.steps,
        "output_type": "np", "return_dict": False, "max_sequence_length": 16, **_stg_for(pipe),
    }

    def raw():
        return pipe(generator=torch.Generator("cpu").manual_seed(0), **raw_kwargs)

    raw()
    t_ours, t_raw = [], []
    for _ in range(args.runs):
        t0 = time.perf_counter()
        raw()
        t_raw.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        ours()
        t_ours.append(time.perf_counter() - t0)
    m_ours, m_raw = statistics.median(t_ours), statistics.median(t_raw)
    print(f"tiny LTX2Pipeline on CPU, {args.size}x{args.size}, {args.frames} frames, {args.steps} steps, "
          f"{args.runs} interleaved runs each")
    print(f"raw pipeline call : median {m_raw * 1000:8.1f} ms  (min {min(t_raw) * 1000:.1f})")
    print(f"sora_widgets      : median {m_ours * 1000:8.1f} ms  (min {min(t_ours) * 1000:.1f})")
    print(f"ratio (ours / raw): {m_ours / m_raw:.3f}  (target <= 1.05); ratio of minima {min(t_ours) / min(t_raw):.3f}; "
          f"progress calls per run: {len(progress)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
