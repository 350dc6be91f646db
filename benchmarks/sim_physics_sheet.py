"""Contact sheet of the sim engine's extra physics (issue 18 item 4), for docs/sim.md.

    .venv/bin/python benchmarks/sim_physics_sheet.py           # writes docs/sim/physics_sheet.png

One row per class: liquid poured into a glass, a thing falling into water (splash, floats or sinks), a figure on
a paddleboard, glass shattering, a chain of dominoes, a skater gliding on ice, a missed shot off the backboard;
each row is six frames of a 4 s clip the engine rendered from the prompt on its left (seed 0, 160 px).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

ROWS = [
    ("liquid poured", "water pours into a glass"),
    ("water: splash, float, sink", "a beach ball and a bowling ball fall into the lake"),
    ("buoyancy", "a gymnast does a backflip on a paddleboard"),
    ("breaking", "a glass falls and shatters on the floor"),
    ("chain reaction", "a row of twelve dominoes topple"),
    ("ice", "a woman walks right on the ice"),
    ("rebound", "a missed basketball shot bounces off the backboard"),
]
SIZE = 160
TIMES_S = (0.3, 0.8, 1.3, 1.9, 2.6, 3.6)
LABEL_W = 230


def sheet() -> np.ndarray:
    """The sheet as an (H, W, 3) uint8 array."""
    from PIL import Image, ImageDraw, ImageFont

    from sora_widgets.engines import generate

    font = ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", 13)
    img = Image.new("RGB", (LABEL_W + SIZE * len(TIMES_S), SIZE * len(ROWS)), (255, 255, 255))
    draw = ImageDraw.Draw(img)
    for r, (label, prompt) in enumerate(ROWS):
        clip = generate(prompt, seed=0, duration=4.0, fps=24, width=SIZE, height=SIZE)
        for c, t in enumerate(TIMES_S):
            img.paste(Image.fromarray(clip.frames[min(int(t * clip.fps), clip.num_frames - 1)]),
                      (LABEL_W + c * SIZE, r * SIZE))
        draw.text((8, r * SIZE + 60), label, fill=(0, 0, 0), font=font)
        words, line, y = prompt.split(), "", r * SIZE + 80
        for w in words:  # wrap the prompt under its label
            if len(line) + len(w) > 30:
                draw.text((8, y), line, fill=(90, 90, 90), font=font)
                line, y = "", y + 16
            line = f"{line} {w}".strip()
        draw.text((8, y), f"“{line}”" if y == r * SIZE + 80 else line, fill=(90, 90, 90), font=font)
    return np.asarray(img)


def main() -> None:
    from sora_widgets.media import encode_png

    out = ROOT / "docs" / "sim" / "physics_sheet.png"
    out.write_bytes(encode_png(sheet()))
    print(f"written {out}")


if __name__ == "__main__":
    main()
