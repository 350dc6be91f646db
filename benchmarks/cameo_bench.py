"""Cameo benchmark: extraction speed and the cost of a cameo in a sim generation.

    .venv/bin/python benchmarks/cameo_bench.py

Prints extraction frames/s at 256x256 and 512x512 for the person path (face
detector + GrabCut) and the box-prompted path (tracking + GrabCut), and the
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


def faces_and_liveness(liveness_seeds: int = 20) -> None:
    """Issue 17 items 2-3: faces found per condition on the full grid, faces on photos of no one, detector
    time, and liveness pass/reject rates with the check's time per second of video.

    Run alone with ``.venv/bin/python benchmarks/cameo_bench.py faces``.
    """
    import sys
    from collections import defaultdict
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    import corpus_faces as corpus
    import numpy as np

    from sora_widgets.cameo import faces, liveness

    for name, img in corpus.face_photos().items():
        groups: dict[str, list[bool]] = defaultdict(list)
        for c in corpus.face_conditions(full=True):
            found = faces.detect_face(corpus.transform(img, **c)) is not None
            pose = f"yaw {c['yaw']}" if c.get("yaw") else f"tilt {c['angle']:+d}"
            for key in ("all", pose, f"{c['height']} px", f"light {c['light'] or 'full'}"):
                groups[key].append(found)
        print(f"faces {name}: " + ", ".join(f"{k} {100 * np.mean(v):.0f}% ({sum(v)}/{len(v)})" for k, v in groups.items()))
    hits, looks = 0, 0
    for img in corpus.non_face_photos().values():
        for c in ({}, {"light": "dim"}, {"light": "gradient"}, {"angle": 15}, {"angle": -15, "light": "dim"}):
            hits += len(faces.detect(corpus.transform(img, **c)))
            looks += 1
    print(f"faces on photos of no one: {hits} in {looks} pictures ({len(corpus.non_face_photos())} photos)")
    for height in (360, 1080):
        frame = corpus.transform(corpus.face_photos()["astronaut"], height=height)
        faces.detect(frame)
        ms = 1000 * best_of(lambda frame=frame: [faces.detect(frame) for _ in range(10)]) / 10
        print(f"detect one {height} px frame: {ms:.1f} ms")
    for fps, size in ((8, 128), (15, 160), (30, 256)):
        for kind, expect in corpus.LIVENESS_EXPECT.items():
            right, corrs, cpu, video_s = 0, [], 0.0, 0.0
            for seed in range(liveness_seeds):
                clip, _ = corpus.liveness_case(kind, 1000 + seed, size=size, fps=fps)
                t0 = time.process_time()
                r = liveness.check_clip(clip)
                cpu += time.process_time() - t0
                video_s += clip.duration
                right += r.passed is expect
                corrs.append(r.corr)
            verb = "passed" if expect else "rejected"
            print(f"liveness {fps} fps {size}px {kind:8s}: {verb} {right}/{liveness_seeds}, near corr "
                  f"{min(corrs):.2f}..{max(corrs):.2f}, face track + check {cpu / video_s:.3f} s CPU per s of video")


if __name__ == "__main__":
    import sys

    if sys.argv[1:] == ["faces"]:  # only the faces and liveness section
        faces_and_liveness()
        raise SystemExit
    extraction()
    generation()
    faces_and_liveness()
