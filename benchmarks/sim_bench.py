"""Speed of the sim engine: real-time factor and where the time goes.

    .venv/bin/python benchmarks/sim_bench.py            # warm process, median of --repeat runs
    .venv/bin/python benchmarks/sim_bench.py --cold     # also: a fresh process's first clip
    .venv/bin/python benchmarks/sim_bench.py --before HEAD~3   # each row also for that commit, same run

Prints, per configuration, the median wall time of a generation without encoding, the split
parse / physics / render / audio (engine timings), MP4 encoding (clip.to_mp4_bytes()), the
real-time factor (clip seconds per wall second, without and with encoding) and the latency of the
first preview frame (from the call to the first on_progress with a frame). ``--before REV`` checks REV out in a
temporary git worktree, times every selected configuration with that code in one child process first
(``--code``), then today's, and prints its CPU seconds and the ratio beside today's. Targets (issue 3, on a
2-core machine): 4 s 24 fps 256² <= 0.4 s without encoding and <= 1 s with it; 512² <= 2 s; first
preview <= 150 ms. The machine is shared: figures are noisy, so medians are reported.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

CONFIGS = [
    # (label, prompt, width, height)
    ("256² ball", "a red ball bounces on a wooden floor", 256, 256),
    ("256² busy", "three blue balls and two yellow boxes fall on the grass in the rain at sunset", 256, 256),
    ("256² hoop", "a missed basketball shot bounces off the backboard with a cheering crowd", 256, 256),
    ("256² speech", "a gray cat walks right and says 'hello there'", 256, 256),
    # articulated figures (issue 18 item 2): a rig per person / animal, posed and drawn every frame
    ("256² backflip", "a gymnast does a backflip", 256, 256),
    ("256² axel+cat", "a figure skater does a triple axel with a cat on her head", 256, 256),
    ("256² 5 walkers", "a family of five walks to the right in the park", 256, 256),
    ("256² things", "a horse walks right past a blue car while three apples, a guitar and a teapot fall on the grass",
     256, 256),  # catalogue things (emoji sprites): 7 bodies
    # more physics (issue 18 item 4): a liquid poured, a figure with a liquid (goal <= 1.5 s), water, breaking
    ("256² pour", "water pours into a glass", 256, 256),
    ("256² fig+pour", "a man pours water into a glass", 256, 256),
    ("256² fig+water", "a gymnast does a backflip on a paddleboard", 256, 256),
    ("256² shatter", "a glass falls and shatters on the floor", 256, 256),
    ("256² dominoes", "a row of twelve dominoes topple", 256, 256),
    # places, styles and camera moves (issue 18, VBench): a backdrop, a per-frame style pass, a moving camera
    ("256² place+style", "a red ball bounces in the alley, watercolor painting, with an intense shaking effect",
     256, 256),
    ("256² place only", "The bund Shanghai, black and white, tilt up", 256, 256),
    # one row per render style (the words are vocab.STYLES' first), each over a place with a ball, static camera
    *[(f"256² {name}", f"a red ball bounces in the alley, {words}", 256, 256) for name, words in (
        ("b&w", "black and white"), ("watercolor", "watercolor"), ("pixel art", "pixel art"),
        ("cyberpunk", "cyberpunk"), ("cartoon", "cartoon"), ("ukiyo-e", "ukiyo-e"), ("oil", "oil painting"),
        ("surreal", "surreal"), ("sketch", "sketch"))],
    ("256² shake", "a red ball bounces in the alley, with an intense shaking effect", 256, 256),
    ("256² rack focus", "a red ball bounces in the alley, racking focus", 256, 256),
    ("16:9 448x256", "two teal balls and a yellow box roll right", 448, 256),
    ("9:16 256x448", "a stack of five boxes topples", 256, 448),
    ("512² ball", "a red ball bounces on a wooden floor", 512, 512),
    ("512² busy", "three blue balls and two yellow boxes fall on the grass in the rain at sunset", 512, 512),
]


def run(prompt: str, width: int, height: int, duration: float, fps: int, repeat: int) -> dict:
    from sora_widgets.engines import generate

    rows = []
    for k in range(repeat):
        first = []
        t0 = time.perf_counter()
        c0 = time.process_time()  # CPU seconds: on a shared, loaded machine wall time overstates the cost

        def progress(step, total, frame, t0=t0, first=first):
            if frame is not None and not first:
                first.append(time.perf_counter() - t0)

        clip = generate(prompt, seed=k, duration=duration, fps=fps, width=width, height=height, on_progress=progress)
        gen = time.perf_counter() - t0
        cpu = time.process_time() - c0
        t1 = time.perf_counter()
        clip.to_mp4_bytes()
        enc = time.perf_counter() - t1
        tm = clip.meta["timings"]
        rows.append({"gen": gen, "cpu": cpu, "enc": enc, "first": first[0], **{k2: tm[k2] for k2 in ("parse", "physics", "render",
                                                                                            "audio")}})
    med = {k: statistics.median(r[k] for r in rows) for k in rows[0]}
    med["rtf"] = duration / med["gen"]
    med["rtf_enc"] = duration / (med["gen"] + med["enc"])
    return med


def _worktree(rev: str) -> Path:
    """A detached git worktree of ``rev`` in a temporary folder, for ``--before`` (removed at the end)."""
    root = Path(__file__).resolve().parent.parent
    where = Path(tempfile.mkdtemp(prefix="sim_bench_before_")) / "tree"
    subprocess.run(["git", "-C", str(root), "worktree", "add", "--detach", str(where), rev], check=True,
                   capture_output=True)
    return where


def _run_before(tree: Path, args) -> dict[str, dict]:
    """Every selected row timed with the code in ``tree``, in one child process of this benchmark (same
    warm-up, same medians): label -> figures."""
    cmd = [sys.executable, str(Path(__file__).resolve()), "--code", str(tree), "--rows-json",
           "--repeat", str(args.repeat), "--duration", str(args.duration), "--fps", str(args.fps)]
    if args.only:
        cmd += ["--only", args.only]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True, cwd=tree)
    return {r["label"]: r for r in map(json.loads, out.stdout.strip().splitlines()) if "label" in r}


def cold_start() -> float:
    code = ("import time; t=time.perf_counter(); import sora_widgets as sw; "
            "sw.generate('a red ball bounces', seed=0); print(time.perf_counter()-t)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).resolve().parent.parent)
    return float(out.stdout.strip().splitlines()[-1])


def figures(out: Path) -> None:
    """Pictures for docs/sim.md: a gallery of settings/aspects, a basketball miss over time, and a bouncing
    ball's soundtrack with the contact events above it."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    from sora_widgets.engines import generate
    from sora_widgets.media import encode_png

    out.mkdir(parents=True, exist_ok=True)
    gallery = [
        ("a red ball bounces on a wooden floor", 256, 256),
        ("three orange balls bounce on the moon", 256, 256),
        ("a gray cat and a dog on the grass at sunset", 256, 256),
        ("a stack of five boxes topples", 144, 256),
        ("two teal balls and a yellow box roll right on the street at night", 256, 144),
        ("a missed basketball shot bounces off the backboard", 256, 256),
    ]
    tiles = []
    for prompt, w, h in gallery:
        clip = generate(prompt, seed=3, duration=2.0, fps=24, width=w, height=h)
        f = clip.frames[30]
        tile = np.full((256, 256, 3), 255, np.uint8)
        tile[(256 - h) // 2 : (256 - h) // 2 + h, (256 - w) // 2 : (256 - w) // 2 + w] = f
        tiles.append(tile)
    grid = np.concatenate([np.concatenate(tiles[:3], 1), np.concatenate(tiles[3:], 1)], 0)
    (out / "gallery.png").write_bytes(encode_png(grid))

    clip = generate("a missed basketball shot bounces off the backboard", seed=0, duration=2.5, fps=24)
    strip = np.concatenate([clip.frames[i] for i in (0, 12, 24, 30, 40, 52)], axis=1)
    (out / "basketball_strip.png").write_bytes(encode_png(strip))

    clip = generate("a red ball bounces on a wooden floor", seed=0)
    t = np.arange(clip.audio.shape[1]) / clip.sample_rate
    fig, ax = plt.subplots(figsize=(8, 2.6), dpi=100)
    ax.plot(t, clip.audio[0], lw=0.4, label="left")
    ax.plot(t, clip.audio[1], lw=0.4, alpha=0.7, label="right")
    for e in clip.meta["events"]:
        ax.axvline(e["t"], color="red", lw=0.8, ls="--")
    ax.set_xlabel("seconds")
    ax.set_title("a red ball bounces on a wooden floor: soundtrack, contact events dashed")
    ax.legend(loc="upper right")
    fig.tight_layout()
    fig.savefig(out / "bounce_audio.png")
    print(f"figures written to {out}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--duration", type=float, default=4.0)
    ap.add_argument("--fps", type=int, default=24)
    ap.add_argument("--cold", action="store_true", help="also time a fresh process's first clip")
    ap.add_argument("--only", help="run only the configurations whose label contains this text")
    ap.add_argument("--figures", type=Path, help="write the pictures of docs/sim.md to this folder and stop")
    ap.add_argument("--before", metavar="REV", help="also time each row with the code of this git commit")
    ap.add_argument("--code", type=Path, help=argparse.SUPPRESS)  # child of --before: import sora_widgets from here
    ap.add_argument("--rows-json", action="store_true", help=argparse.SUPPRESS)  # child of --before: JSON rows
    args = ap.parse_args()
    if args.code:
        sys.path.insert(0, str(args.code))
    if args.rows_json:
        from sora_widgets.engines import generate

        generate("a ball", seed=0, duration=0.5, fps=12, width=64, height=64)  # first-call costs, as below
        for label, prompt, w, h in CONFIGS:
            if not args.only or args.only in label:
                print(json.dumps({"label": label, **run(prompt, w, h, args.duration, args.fps, args.repeat)}),
                      flush=True)
        return
    if args.figures:
        figures(args.figures)
        return

    from sora_widgets.engines import generate, get_engine

    t = time.perf_counter()
    get_engine("sim").warm_up(background=False)
    warm = time.perf_counter() - t
    generate("a ball", seed=0, duration=0.5, fps=12, width=64, height=64)  # first-call costs (imports, caches)
    print(f"sim engine benchmark: {args.duration:g} s clips at {args.fps} fps, median of {args.repeat} runs")
    print(f"warm-up (encoder + audio libraries): {warm:.2f} s")
    before = _worktree(args.before) if args.before else None
    old = {}
    if before:
        print(f"timing every row with {args.before} first (a child process, {before})", flush=True)
        try:
            old = _run_before(before, args)
        finally:
            subprocess.run(["git", "-C", str(before), "worktree", "remove", "--force", str(before)], check=False,
                           capture_output=True)
    hdr = (f"{'config':16s} {'gen s':>6s} {'cpu s':>6s} {'RTF':>6s} {'+mp4 s':>7s} {'RTF+mp4':>8s} {'1st prev':>8s} | "
           f"{'parse':>6s} {'physics':>7s} {'render':>6s} {'audio':>6s} {'encode':>6s}")
    if before:
        hdr += f" | {'before cpu s':>12s} {'before/now':>10s}"
    print(hdr)
    print("-" * len(hdr))
    for label, prompt, w, h in CONFIGS:
        if args.only and args.only not in label:
            continue
        m = run(prompt, w, h, args.duration, args.fps, args.repeat)
        line = (f"{label:16s} {m['gen']:6.3f} {m['cpu']:6.3f} {m['rtf']:6.1f} {m['gen'] + m['enc']:7.3f} "
                f"{m['rtf_enc']:8.1f} {m['first'] * 1000:6.0f}ms | {m['parse']:6.3f} {m['physics']:7.3f} "
                f"{m['render']:6.3f} {m['audio']:6.3f} {m['enc']:6.3f}")
        if before:
            b = old[label]
            line += f" | {b['cpu']:12.3f} {b['cpu'] / m['cpu']:9.2f}x"
        print(line, flush=True)
    if args.cold:
        print(f"cold start (fresh process: import + first 4 s 256² clip): {cold_start():.2f} s")


if __name__ == "__main__":
    main()
