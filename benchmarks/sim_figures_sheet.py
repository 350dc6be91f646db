"""Contact sheet of the sim engine's articulated figures (issue 18 item 2), for docs/sim.md.

    .venv/bin/python benchmarks/sim_figures_sheet.py            # writes docs/sim/figures_sheet.png

One row per prompt: its label, then frames of a 4 s 256² clip (seed 0) at even times, cropped around the
figures and scaled to half size. Also prints each clip's CPU time and its contact events (footsteps, landings).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

PROMPTS = [
    "a gymnast does a backflip",
    "a figure skater does a triple axel with a cat on her head",
    "a gymnast does a backflip on a paddleboard",
    "a girl does a cartwheel on the grass",
    "a man walks to the right",
    "a woman runs to the left in the park",
    "two people dancing",
    "a woman waves",
    "a man trips and falls",
    "a child kicks a ball to the right",
    "a boy throws a ball to the right",
    "a man catches a ball",
    "a girl swims in the sea",
    "a skater spins on the ice",
    "a dog trots to the right",
    "a dog gallops to the right",
    "a cat walks to the left",
    "a bird flies across the sky",
    "a horse gallops across the field",
]
FRAMES = 8


def main() -> None:
    from PIL import Image, ImageDraw

    from sora_widgets.engines import generate

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=Path(__file__).resolve().parent.parent / "docs" / "sim"
                    / "figures_sheet.png")
    args = ap.parse_args()
    rows = []
    label_w, cell = 230, 128
    for prompt in PROMPTS:
        c0 = time.process_time()
        clip = generate(prompt, seed=0, duration=4.0, fps=24, width=256, height=256)
        cpu = time.process_time() - c0
        steps = sum(1 for e in clip.meta["events"] if e["t"] <= 4.0)
        print(f"{cpu:5.2f} s cpu  {steps:3d} contacts  {prompt}")
        idx = np.linspace(0, len(clip.frames) - 1, FRAMES).round().astype(int)
        tiles = [Image.fromarray(clip.frames[i]).resize((cell, cell), Image.LANCZOS) for i in idx]
        row = Image.new("RGB", (label_w + cell * FRAMES, cell), "white")
        ImageDraw.Draw(row).multiline_text((6, 6), _wrap(prompt, 30), fill=(20, 20, 20))
        for k, tile in enumerate(tiles):
            row.paste(tile, (label_w + k * cell, 0))
        rows.append(row)
    sheet = Image.new("RGB", (rows[0].width, cell * len(rows)), "white")
    for k, row in enumerate(rows):
        sheet.paste(row, (0, k * cell))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(args.out, optimize=True)
    print(f"written {args.out}")


def _wrap(text: str, width: int) -> str:
    words, lines, line = text.split(), [], ""
    for w in words:
        if len(line) + len(w) + 1 > width and line:
            lines.append(line)
            line = w
        else:
            line = f"{line} {w}".strip()
    return "\n".join([*lines, line])


if __name__ == "__main__":
    main()
