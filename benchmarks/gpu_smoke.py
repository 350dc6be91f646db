"""GPU smoke test of the diffusers engines: tiny pipelines on CUDA, and one real generation if weights are here.

    python benchmarks/gpu_smoke.py [--out DIR] [--real-steps 20] [--skip-real]

Needs only torch, diffusers, transformers and accelerate (plus this repository on the path).
Without a CUDA GPU it prints a message and exits 0. For each tiny model (built in code, saved,
loaded back through the engine) it reports load and generation time and peak GPU memory
(``torch.cuda.max_memory_allocated``), for bfloat16 and float32. Then, for every engine whose
real weights are found locally (``SORA_WIDGETS_LTX2_MODEL`` etc., or the default repo id in the
Hugging Face cache), it makes one clip and saves it under --out. Prints a JSON summary last.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

TINY_RUNS = [
    # (engine, tiny model for video, needs the tiny audio model)
    ("ltx2", "ltx2-two-stage", False),
    ("ltx-video+audio", "ltx-video", True),
    ("wan+audio", "wan", True),
    ("cogvideox+audio", "cogvideox", True),
]
ENV_FOR = {"ltx2": "SORA_WIDGETS_LTX2_MODEL", "ltx-video+audio": "SORA_WIDGETS_LTX_VIDEO_MODEL",
           "wan+audio": "SORA_WIDGETS_WAN_MODEL", "cogvideox+audio": "SORA_WIDGETS_COGVIDEOX_MODEL"}


def _gib(n: int) -> float:
    return round(n / 2**30, 3)


def timed_generate(sw, torch, prompt: str, **kw) -> dict:
    torch.cuda.synchronize()
    torch.cuda.reset_peak_memory_stats()
    steps = []
    t0 = time.perf_counter()
    clip = sw.generate(prompt, on_progress=lambda s, t, p: steps.append(time.perf_counter()), **kw)
    torch.cuda.synchronize()
    wall = time.perf_counter() - t0
    return {
        "wall_s": round(wall, 3),
        "timings": {k: round(v, 3) for k, v in clip.meta.get("timings", {}).items()},
        "peak_gpu_gib": _gib(torch.cuda.max_memory_allocated()),
        "frames": list(clip.frames.shape),
        "audio": list(clip.audio.shape),
        "sample_rate": clip.sample_rate,
        "pipeline": clip.meta.get("pipeline"),
        "device": clip.meta.get("device"),
        "dtype": clip.meta.get("dtype"),
        "progress_calls": len(steps),
        "clip": clip,
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=os.environ.get("OUT", "gpu_smoke_out"))
    ap.add_argument("--real-steps", type=int, default=20)
    ap.add_argument("--skip-real", action="store_true")
    args = ap.parse_args()

    try:
        import torch
    except ImportError:
        print("gpu_smoke: torch is not installed; nothing to do.")
        return 0
    if not torch.cuda.is_available():
        print("gpu_smoke: no CUDA GPU here; the diffusers engines fall back to CPU (see tests). Nothing to do.")
        return 0

    import diffusers
    import transformers

    import sora_widgets as sw
    from sora_widgets.engines import get_engine
    from sora_widgets.engines.diffusers import loading
    from sora_widgets.testing.tiny_pipelines import save_tiny_model

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    props = torch.cuda.get_device_properties(0)
    summary = {
        "gpu": props.name,
        "gpu_memory_gib": _gib(props.total_memory),
        "torch": torch.__version__,
        "cuda": torch.version.cuda,
        "diffusers": diffusers.__version__,
        "transformers": transformers.__version__,
        "python": platform.python_version(),
        "tiny": [],
        "real": [],
    }

    tmp = Path(tempfile.mkdtemp(prefix="sora-gpu-smoke-"))
    audio_folder = save_tiny_model("stable-audio", tmp / "stable-audio")
    saved_env = {k: os.environ.get(k) for k in [*ENV_FOR.values(), "SORA_WIDGETS_AUDIO_MODEL"]}
    for engine, tiny, needs_audio in TINY_RUNS:
        folder = save_tiny_model(tiny, tmp / tiny)
        # base.generate checks availability() before it sees model=...: point the env vars at the tiny folders.
        os.environ[ENV_FOR[engine]] = str(folder)
        os.environ["SORA_WIDGETS_AUDIO_MODEL"] = str(audio_folder)
        for dtype in ("bfloat16", "float32"):
            kw = {"engine": engine, "model": str(folder), "device": "cuda", "dtype": dtype, "seed": 0,
                  "width": 256, "height": 256, "fps": 24, "duration": 2.0, "steps": 8}
            if needs_audio:
                kw["audio_model"] = str(audio_folder)
            row = {"engine": engine, "model": f"tiny:{tiny}", "dtype": dtype}
            try:
                first = timed_generate(sw, torch, "a red ball bounces on a wooden floor", **kw)
                second = timed_generate(sw, torch, "a red ball bounces on a wooden floor", **kw)
                same = bool((first["clip"].frames == second["clip"].frames).all())
                for r in (first, second):
                    r.pop("clip")
                row.update(first=first, warm=second, same_seed_identical=same)
            except Exception as exc:  # report and go on: one broken engine must not hide the others
                row["error"] = f"{type(exc).__name__}: {exc}"
                row["traceback"] = traceback.format_exc(limit=6)
            summary["tiny"].append(row)
            print(json.dumps(row, default=str))
        loading.clear_cache()
        torch.cuda.empty_cache()
    for k, v in saved_env.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v

    if not args.skip_real:
        big = props.total_memory > 100 * 2**30
        for engine, _tiny, _audio in TINY_RUNS:
            ok, reason = get_engine(engine).availability()
            row = {"engine": engine, "available": ok}
            if not ok:
                row["reason"] = reason[:300]
                summary["real"].append(row)
                continue
            kw = {"engine": engine, "seed": 7, "width": 768, "height": 512, "fps": 24, "duration": 121 / 24,
                  "steps": args.real_steps, "cpu_offload": not big}
            try:
                res = timed_generate(sw, torch, "A red ball bounces off a basketball backboard in an empty gym, "
                                     "the thud echoes, sneakers squeak in the distance.", **kw)
                path = out / f"real-{engine.replace('+', '_')}.mp4"
                res.pop("clip").save(path)
                row.update(res, saved=str(path), cpu_offload=kw["cpu_offload"])
            except Exception as exc:
                row["error"] = f"{type(exc).__name__}: {exc}"
            summary["real"].append(row)
            print(json.dumps(row, default=str))

    (out / "gpu_smoke.json").write_text(json.dumps(summary, indent=2, default=str))
    print("SUMMARY " + json.dumps(summary, indent=2, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
