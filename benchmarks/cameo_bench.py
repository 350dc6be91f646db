"""Cameo benchmark: extraction speed and the cost of a cameo in a sim generation.

    .venv/bin/python benchmarks/cameo_bench.py

Prints extraction frames/s at 256x256 and 512x512 for the person path (face
cascade + GrabCut) and the box-prompted path (tracking + GrabCut), and the
wall time of a 2 s sim generation with a cameo against one without (ratio).
Timings on a shared 2-core machine are noisy: best of ``REPEATS``.
"""

from __future__ import annotations

import time

from sora_widgets import cameo
from sora_widgets.cameo import synthetic

REPEATS = 2


def best_of(fn, repeats: int = REPEATS) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def extraction() -> None:
    for size in (256, 512):
        person, _ = synthetic.astronaut_clip(size=size, seconds=2.0, fps=12)
        obj, _, box, kind = synthetic.moving_cutout_clip("cat", "grass", size=size, seconds=2.0, fps=12)
        for label, clip, kw in (("person", person, {"kind": "person"}), ("box", obj, {"kind": kind, "box": box})):
            s = best_of(lambda clip=clip, kw=kw: cameo.extract(clip, with_voice=False, **kw))
            print(f"extract {label:6s} {size}x{size}: {clip.num_frames / s:6.1f} frames/s ({clip.num_frames} frames)")


def generation() -> None:
    try:
        from sora_widgets.engines import generate
        from sora_widgets.engines.sim import SimEngine  # noqa: F401
    except ImportError as exc:
        print(f"sim generation with/without a cameo: skipped, the sim engine is not available ({exc})")
        return
    clip, _, box, kind = synthetic.moving_cutout_clip("cat", "grass", size=256, seconds=2.0, fps=12)
    asset = cameo.extract(clip, kind=kind, box=box, name="rex", with_voice=False)
    kw = {"engine": "sim", "seed": 3, "duration": 2.0, "fps": 24, "width": 256, "height": 256}
    generate("a dog jumps on a trampoline", **kw)  # warm-up: encoder and caches
    without = best_of(lambda: generate("a dog jumps on a trampoline", **kw))
    with_cameo = best_of(lambda: generate("@rex jumps on a trampoline", cameos=[asset], **kw))
    print(f"sim 2 s 256x256: without cameo {without:.2f} s, with cameo {with_cameo:.2f} s, "
          f"ratio {with_cameo / without:.2f}")


if __name__ == "__main__":
    extraction()
    generation()
