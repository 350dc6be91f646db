"""Animate a picture on the sim engine (issue 18 item 5): CPU and wall seconds per clip, beside a clip without one.

    nice .venv/bin/python benchmarks/sim_picture_bench.py [--repeat 3] [--size 256] [--duration 4]

Prints, per case, the fastest of ``--repeat`` runs (CPU seconds of this process, all threads, and wall seconds)
and how long preparing the picture took (``meta["timings"]["parse"]``: fitting, GrabCut, inpainting). The
photos are scikit-image's (shipped in the package, nothing downloaded). On a loaded machine compare CPU
seconds; wall seconds include waiting for a core.
"""

from __future__ import annotations

import argparse
import os
import resource
import time

from skimage import data

import sora_widgets as sw

CASES = (
    ("no picture", "the cat jumps", None),
    ("chelsea: the cat jumps", "the cat jumps", "chelsea"),
    ("astronaut: the astronaut jumps", "the astronaut jumps", "astronaut"),
    ("coffee: the cup falls", "the cup falls", "coffee"),
    ("rocket: camera only", "a quiet evening", "rocket"),
)


def _cpu_s() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=3, help="runs per case; the fastest is printed")
    ap.add_argument("--size", type=int, default=256, help="frame side, pixels")
    ap.add_argument("--duration", type=float, default=4.0, help="clip length, seconds")
    args = ap.parse_args()
    sw.generate("a red ball", seed=0, duration=0.2)  # the encoder and the audio libraries, loaded once
    print(f"load average {os.getloadavg()[0]:.1f}; {args.size}² {args.duration:g} s clips at 24 fps, "
          f"fastest of {args.repeat}")
    for label, prompt, photo in CASES:
        image = None if photo is None else getattr(data, photo)()
        best = None
        for _ in range(args.repeat):
            c0, t0 = _cpu_s(), time.perf_counter()
            clip = sw.generate(prompt, image=image, seed=1, duration=args.duration, width=args.size,
                               height=args.size)
            run = (_cpu_s() - c0, time.perf_counter() - t0, clip.meta["timings"]["parse"])
            best = run if best is None or run[0] < best[0] else best
        print(f"{label:32s} CPU {best[0]:5.2f} s   wall {best[1]:5.2f} s   picture prepared in {best[2]:5.2f} s wall")


if __name__ == "__main__":
    main()
