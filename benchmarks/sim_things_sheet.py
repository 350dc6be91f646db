"""Contact sheet of what the sim engine can draw, for docs/sim.md.

    .venv/bin/python benchmarks/sim_things_sheet.py            # writes docs/sim/things_sheet.png, docs/sim/things.md

The sheet has one row per class of the thing catalogue (engines/sim/things.py), showing the first things of
that class as the engine draws them (sprites.sprite at 44 px, untinted): colour emoji first, then
Material Design Icons, Tabler Icons, game-icons.net and the other icon sets' pictures (monochrome, in the class colour), and a last row of frames rendered from
prompts (things tinted, falling, lying where they landed). ``docs/sim/things.md`` lists every name the
catalogue answers to, by class, and the kinds each thing is drawn for (WordNet hyponyms).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

#: class label -> Unicode emoji subgroups it gathers
CLASSES: dict[str, tuple[str, ...]] = {
    "mammals": ("animal-mammal",),
    "birds, sea life, reptiles, bugs": ("animal-bird", "animal-marine", "animal-reptile", "animal-amphibian",
                                        "animal-bug"),
    "plants": ("plant-flower", "plant-other"),
    "food": ("food-fruit", "food-vegetable", "food-prepared", "food-asian", "food-marine", "food-sweet"),
    "drinks and dishware": ("drink", "dishware"),
    "vehicles": ("transport-ground", "transport-water", "transport-air"),
    "sport, games, events": ("sport", "game", "event", "award-medal"),
    "clothing": ("clothing",),
    "household and tools": ("household", "tool", "hotel", "lock", "other-object", "medical"),
    "instruments and electronics": ("musical-instrument", "music", "phone", "computer", "light & video", "science",
                                    "time"),
    "office, books, crafts": ("office", "book-paper", "writing", "mail", "money", "arts & crafts"),
}
CELL = 52
COLS = 18
LABEL_W = 200
PROMPTS = [
    "a horse walks right past a blue car",
    "three apples, a guitar and a teapot fall on the grass",
    "a purple elephant and a giraffe at sunset",
    "a red bicycle and a green teddy bear on the street",
    "a forklift, a bulldozer and a school bus on the street",
]
ICON_CELLS = 7  # of a row's COLS cells, those kept for the class's icons (after its emoji)


def paste_picture(img, sprite_id: str, box: tuple[int, int, int, int], height_px: int, max_width_px: int) -> None:
    """Draw a catalogue picture on a contact sheet, as the engine draws it (``sprites.sprite``, untinted).

    Args:
        img (`PIL.Image.Image`): the RGB sheet, drawn on in place.
        sprite_id (`str`): the thing's ``emoji`` (an emoji or a vendored picture's sprite id).
        box (`tuple`): (x, y, width, height) px of the cell; the picture is centred in it.
        height_px (`int`): the picture's height, px; a wide picture is drawn smaller.
        max_width_px (`int`): the widest a picture may be, px.
    """
    from PIL import Image

    from sora_widgets.engines.sim import sprites

    spr = sprites.sprite(sprite_id, height_px)
    h, w = spr.shape[:2]
    if w > max_width_px:  # wide pictures: fit the cell
        spr = sprites.sprite(sprite_id, max(2, int(height_px * max_width_px / w)))
        h, w = spr.shape[:2]
    x0, y0 = box[0] + (box[2] - w) // 2, box[1] + (box[3] - h) // 2
    tile = np.asarray(img.crop((x0, y0, x0 + w, y0 + h)), np.float32)
    tile = tile * (1 - spr[..., 3:]) + spr[..., :3]
    img.paste(Image.fromarray(np.clip(tile + 0.5, 0, 255).astype(np.uint8)), (x0, y0))


def sheet() -> np.ndarray:
    from PIL import Image, ImageDraw, ImageFont

    from sora_widgets.engines import generate
    from sora_widgets.engines.sim import sprites, things

    font = ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", 13)
    by_class = {}
    for label, subs in CLASSES.items():
        items = [t for t in things.all_things() if t.group in subs]
        mono = sprites.MONO_PREFIXES
        sets = [[t for t in items if t.emoji.startswith(p)] for p in mono]
        # the icon sets, taking turns
        icons = [s[k] for k in range(max(map(len, sets), default=0)) for s in sets if k < len(s)]
        emoji = [t for t in items if not t.emoji.startswith(mono)]
        n_icons = min(len(icons), max(ICON_CELLS, COLS - len(emoji)))
        by_class[label] = (items, emoji[: COLS - n_icons] + icons[:n_icons])
    frame_h = 128
    H = CELL * len(CLASSES) + frame_h + 8
    W = LABEL_W + CELL * COLS
    img = Image.new("RGB", (W, H), (255, 255, 255))
    draw = ImageDraw.Draw(img)
    for r, (label, (items, shown)) in enumerate(by_class.items()):
        y = r * CELL
        if r % 2:
            draw.rectangle([0, y, W, y + CELL - 1], fill=(244, 244, 246))
        draw.text((8, y + CELL // 2 - 16), label, fill=(20, 20, 20), font=font)
        draw.text((8, y + CELL // 2 + 1), f"{len(items)} things", fill=(110, 110, 110), font=font)
        for c, t in enumerate(shown):
            paste_picture(img, t.emoji, (LABEL_W + c * CELL, y, CELL, CELL), CELL - 8, CELL - 4)
    y = CELL * len(CLASSES) + 8
    x = 0
    for p in PROMPTS:
        clip = generate(p, seed=3, duration=2.0, fps=24, width=218, height=frame_h)
        img.paste(Image.fromarray(clip.frames[-1]), (x, y))
        x += 218 + 8
    return np.asarray(img)


def listing() -> str:
    from sora_widgets.engines.sim import things
    from sora_widgets.engines.sim.sprites import MONO_PREFIXES as mono

    all_ = things.all_things()
    n_names = sum(1 + len(t.aliases) for t in all_)
    n_kinds = sum(len(t.kinds) for t in all_)
    out = ["# What the sim engine can draw\n",
           "Generated by `benchmarks/sim_things_sheet.py` from `sora_widgets/engines/sim/things.json`: "
           f"{len(all_)} things (distinct pictures) under {n_names} names, of which {n_kinds} are kinds drawn as "
           "their nearest picture. By class: every thing as `name` (aliases), icons marked *, then the kinds each "
           "is drawn for. Besides these, the hand-drawn kinds: ball, box, triangle, bottle, can, cat, dog, person. "
           "Pictures: Noto Color Emoji (SIL Open Font License 1.1), Material Design Icons (*; Pictogrammers, "
           "Apache-2.0), Tabler Icons (*; MIT), game-icons.net (*; Lorc, Delapouite and contributors, CC BY 3.0, "
           "https://game-icons.net; see `GAME_ICONS_LICENSE.txt` beside `things.json`) and more open icon "
           "sets (*; Apache-2.0, MIT, ISC, CC0, CC BY 4.0: see `ICONIFY_LICENSES.txt`; OpenMoji, CC BY-SA 4.0, in "
           "`openmoji_icons.npz` with `OPENMOJI_LICENSE.txt`) and drawings of the Open Clip Art Library (*; public "
           "domain, Debian's `openclipart-svg`, in `openclipart_icons.npz` with `OPENCLIPART_LICENSE.txt`); kinds: "
           "WordNet 3.0 (Princeton WordNet licence).\n"]
    for label, subs in CLASSES.items():
        items = [t for t in all_ if t.group in subs]
        own = [a for t in items for a in t.aliases if a not in t.kinds]
        out.append(f"\n## {label} ({len(items)} things, {len(items) + len(own)} names)\n")
        out.append(", ".join(("*" if t.emoji.startswith(mono) else "") + t.name
                             + (f" ({', '.join(a for a in t.aliases if a not in t.kinds)})"
                                if len(t.aliases) > len(t.kinds) else "") for t in items) + "\n")
        drawn = [t for t in items if t.kinds]
        if drawn:
            out.append(f"\nDrawn as their nearest picture ({sum(len(t.kinds) for t in drawn)} kinds):\n")
            out.extend(f"- **{t.name}**: {', '.join(t.kinds)}\n" for t in drawn)
    return "".join(out)


def main() -> None:
    from PIL import Image

    out = ROOT / "docs" / "sim"
    out.mkdir(parents=True, exist_ok=True)
    img = Image.fromarray(sheet())
    # a 256-colour palette keeps the PNG small enough for the repository
    img.quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE).save(
        out / "things_sheet.png", optimize=True)
    (out / "things.md").write_text(listing(), encoding="utf-8")
    for p in ("things_sheet.png", "things.md"):
        print(out / p, (out / p).stat().st_size, "bytes")


if __name__ == "__main__":
    main()
