"""A blind sample of the names the sim engine draws with another name's picture, for a person to judge.

    .venv/bin/python benchmarks/sim_kinds_audit.py                 # 100 kinds, seed 20261203
    .venv/bin/python benchmarks/sim_kinds_audit.py --n 60 --seed 7 --sheet /tmp/audit.png

Most names in the thing catalogue (``engines/sim/things.json``) are *kinds* (WordNet hyponyms: "mustang",
"shelduck", "pew") drawn as their nearest picture ("horse", "duck", "bench"); whether the catalogue answers a
prompt with a plausible shape rests on those pairs. This draws a seeded random sample of them (a sample nobody
chose), prints each ``kind -> picture`` with its size and material, and writes a contact sheet (each picture as
the engine draws it, the kind's name under it) so a person can mark the implausible ones; docs/sim.md records the
judgement of the default sample. Prints the catalogue's counts first: things (distinct pictures), their own names
and aliases, kinds, and the things still at their class's default size (``things_build.SUBGROUPS``: plausible for a
class of like things such as fruit, a guess for a mixed one).
"""

from __future__ import annotations

import argparse
import random
import sys
from collections import Counter
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

CELL_W, CELL_H, COLS = 128, 92, 10


def sample(n: int, seed: int) -> list[tuple[str, object]]:
    """``n`` (kind, thing) pairs drawn without replacement from every kind of every thing, in catalogue order
    first, so a seed always gives the same sample of the same catalogue.

    Args:
        n (`int`): pairs wanted (at most the number of kinds).
        seed (`int`): the random seed.
    """
    from sora_widgets.engines.sim import things

    pairs = [(k, t) for t in things.all_things() for k in t.kinds]
    return random.Random(seed).sample(pairs, min(n, len(pairs)))


def contact_sheet(pairs: list[tuple[str, object]]) -> np.ndarray:
    """(H, W, 3) uint8: each pair's picture (``sprites.sprite`` at 56 px, untinted) with the kind's name under it
    and the picture's own name in grey."""
    from PIL import Image, ImageDraw, ImageFont
    from sim_things_sheet import paste_picture

    font = ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", 11)
    rows = (len(pairs) + COLS - 1) // COLS
    img = Image.new("RGB", (CELL_W * COLS, CELL_H * rows), (255, 255, 255))
    draw = ImageDraw.Draw(img)
    for i, (kind, t) in enumerate(pairs):
        x, y = (i % COLS) * CELL_W, (i // COLS) * CELL_H
        paste_picture(img, t.emoji, (x, y + 2, CELL_W, 58), 56, CELL_W - 8)
        draw.text((x + 4, y + 62), f"{i + 1}. {kind}"[:21], fill=(10, 10, 10), font=font)
        draw.text((x + 4, y + 76), f"as {t.name}"[:21], fill=(120, 120, 120), font=font)
    return np.asarray(img)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=100, help="kinds to sample")
    ap.add_argument("--seed", type=int, default=20261203, help="random seed of the sample")
    ap.add_argument("--sheet", type=Path, default=ROOT / "docs" / "sim" / "kinds_audit.png",
                    help="where to write the contact sheet (PNG)")
    args = ap.parse_args()
    from PIL import Image

    from sora_widgets.engines.sim import things
    from sora_widgets.engines.sim.things_build import SUBGROUPS

    all_ = things.all_things()
    n_kinds = sum(len(t.kinds) for t in all_)
    n_own = sum(1 + len([a for a in t.aliases if a not in t.kinds]) for t in all_)
    print(f"catalogue: {len(all_)} things (distinct pictures), {n_own} own names and aliases, {n_kinds} kinds "
          "drawn as their nearest picture")
    at_default = Counter(t.group for t in all_ if t.group in SUBGROUPS
                         and (t.height_m, t.mass_kg, t.material) == SUBGROUPS[t.group][:3])
    print(f"at their class's default size: {sum(at_default.values())} things ("
          + ", ".join(f"{g} {n}" for g, n in at_default.most_common()) + ")")
    pairs = sample(args.n, args.seed)
    print(f"sample of {len(pairs)} kinds (seed {args.seed}): number. kind -> picture (height m, mass kg, material)")
    for i, (kind, t) in enumerate(pairs, 1):
        print(f"{i:3d}. {kind} -> {t.name} ({t.height_m:g} m, {t.mass_kg:g} kg, {t.material})")
    args.sheet.parent.mkdir(parents=True, exist_ok=True)
    sheet = Image.fromarray(contact_sheet(pairs)).quantize(256, method=Image.Quantize.MEDIANCUT)  # a third the bytes
    sheet.save(args.sheet, optimize=True)
    print(f"contact sheet: {args.sheet}")


if __name__ == "__main__":
    main()
