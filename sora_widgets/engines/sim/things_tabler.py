"""Catalogue records from Tabler Icons, for :mod:`.things_build` — a developer tool.

After the emoji (colour) and Material Design Icons (monochrome, :mod:`.things_icons`), Tabler Icons (MIT; about
4,900 outline and 940 filled icons, shipped as SVGs in the PyPI package ``tablerpy``, a runtime dependency)
give the kinds both lack: umbrella, fire hydrant, fridge, armchair, kites, tools, kitchenware, sports gear...
The same rules as for Material Design Icons decide, from the set's own metadata (``icons.json``: name, category,
tags), which icons are things and what they are called — :mod:`.things_icons`'s word lists
(:data:`~.things_icons.SKIP_WORDS`, names read as English, classes by word, sizes by word, colours by class) —
with the set's categories in place of MDI's tags:

- an icon is a thing when its category is in :data:`CATEGORIES`, no word of its name is in
  ``things_icons.SKIP_WORDS`` or :data:`SKIP_WORDS` (Tabler's own states and symbols: ``-off``, ``-filled``...),
  and it has no digit (``a-b-2``: a numbered variant);
- its picture is the filled one where the set has it, else the outline one drawn filled (``sprites``);
- a name some earlier set, a hand-drawn kind or the prompt reader already has is not taken.

The metadata is read at build time only, from the npm package ``@tabler/icons`` (its ``icons.json``)::

    npm pack @tabler/icons@3.52.0 && tar xzf tabler-icons-3.52.0.tgz package/icons.json
    python -m sora_widgets.engines.sim.things_build --mdi-meta mdi/meta.json --tabler-meta package/icons.json --wordnet
"""

from __future__ import annotations

import json
from pathlib import Path

from . import things_icons

#: The npm version of ``@tabler/icons`` whose ``icons.json`` the build read (``tablerpy`` 0.2.0's SVGs are a
#: subset: an icon it lacks is left out).
TABLER_VERSION = "3.52.0"

#: Tabler category -> the emoji subgroup its things join when no word of the name says better.
CATEGORIES: dict[str, str] = {
    "Food": "food-prepared",
    "Vehicles": "transport-ground",
    "Sport": "sport",
    "Nature": "plant-other",
    "Games": "game",
    "Animals": "animal-mammal",
    "Devices": "computer",
    "Computers": "computer",
    "Health": "medical",
    "Photography": "light & video",
    "Laundry": "clothing",
    "E-commerce": "household",
    "Electrical": "tool",
    "Design": "arts & crafts",
}
#: WordNet lexicographer file of the name's meaning -> the subgroup, for icons of the other categories.
LEX_GROUPS: dict[str, str] = {"noun.animal": "animal-mammal", "noun.plant": "plant-other",
                              "noun.food": "food-prepared", "noun.artifact": "household"}
#: Categories whose icons are signs, letters, charts, interface or buildings (places, not things), never things.
SKIP_CATEGORIES = frozenset({
    "Brand", "Letters", "Numbers", "Arrows", "Math", "Text", "Currencies", "Shapes", "Charts", "Zodiac", "Logic",
    "Gender", "Gestures", "Badges", "Version control", "Mood", "Development", "Database", "Weather",
    "Communication", "Document", "Extensions", "Symbols", "Buildings",
})
#: Tabler's own words for states, variants and symbols (on top of ``things_icons.SKIP_WORDS``).
SKIP_WORDS = frozenset("""
filled dots square hexagon octagon spark bolt x exclamation dollar star pin pinned stats ai ar vr hd pixel
loading cog minus plus ok share code discount upload download letter number zero mark horizontal vertical
copy paste cut move crop align border layout shadow schema grid rotate rotation spacing bar scan qr barcode
id user users person eye flag mood fill circuit http topology receipt transaction coin layers vector lasso
freeze ease brackets binary stack section template viewport browser dialpad keyboard xbox playstation
bleach http analytics message vibration rotated calling incoming outgoing call hide show narrow wide crash
arrival departure inflight tilt old rounded straight projecting difference intersect linked selected
subtract union dotted half pentagon smoking accessible nurse fall empathize massage checkup activity
heartbeat braille dna growth ripple electricity meteor alien olympics stretching swimming trekking
cliff jumping skating waterpolo meeple tic tac pacman joker scary mickey moustache confetti boom blur grain
background sticker placeholder typeface favicon gizmo components dimensions frame cell hash hierarchy
magnetic mask paint angle slice squares polygon resize
app window photo live library zoom pan reset www world password terminal loop curly filters join bevel pins
marquee viewfinder checkered swatch color gps radar outlet wall prison theater masks test sandbox pool rings
aperture tool cpu conditioning gearbox fan turbine bitcoin moon selfie picture map garage return
""".split())
#: First words the set puts before the kind: dropped ("device-laptop" -> "laptop").
CATEGORY_FIRST = frozenset({"device", "devices", "ball", "tools"})
#: WordNet lexicographer files of a physical thing one could place in a scene.
THING_LEX = frozenset(LEX_GROUPS)


def english_name(icon: str) -> str | None:
    """The icon name read as English (``things_icons.english_name`` after the set's category words):
    ``device-laptop`` -> "laptop", ``ball-basketball`` -> "basketball"."""
    words = icon.split("-")
    if len(words) > 1 and words[0] in CATEGORY_FIRST:
        words = words[1:]
    return things_icons.english_name("-".join(words))


def meaning_lex(wn, name: str) -> str | None:
    """The WordNet lexicographer file of the name's first noun meaning (the whole name if WordNet has it,
    else its last word: English puts the head noun last), or None if WordNet has no noun for it."""
    for w in (name.replace(" ", "_"), name.split()[-1]):
        s = wn.synsets(w, "n")
        if s:
            return s[0].lexname()
    return None


def is_thing(entry: dict, name: str | None, lex: str | None) -> bool:
    """Whether an icon of ``icons.json`` pictures a thing one can place: a category that is not signs, no
    skipped word, no digit, and an English name whose WordNet meaning is an artefact, animal, plant or food."""
    words = entry["name"].split("-")
    if name in things_icons.COCO_CLASSES:
        return True
    return (name is not None and entry.get("category") not in SKIP_CATEGORIES and lex in THING_LEX
            and not set(words) & (things_icons.SKIP_WORDS | SKIP_WORDS)
            and not any(any(c.isdigit() for c in w) for w in words))


def group_of(name: str, category: str | None, lex: str) -> str:
    """The emoji subgroup an icon's thing joins: by the words of its English name, else its category, else
    its WordNet meaning's file."""
    for w in name.split():
        if w in things_icons.WORD_GROUPS:
            return things_icons.WORD_GROUPS[w]
    return CATEGORIES.get(category or "", LEX_GROUPS.get(lex or "", "household"))


def load_meta(path: str | Path) -> list[dict]:
    """The icon records of ``@tabler/icons``'s ``icons.json``, in the set's (alphabetical) order."""
    return list(json.loads(Path(path).read_text(encoding="utf-8")).values())
