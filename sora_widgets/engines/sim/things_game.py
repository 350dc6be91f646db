"""Catalogue records from game-icons.net, for :mod:`.things_build` — a developer tool (and the vendored pictures).

After the emoji, Material Design Icons and Tabler Icons, game-icons.net (Lorc, Delapouite and contributors,
CC BY 3.0; about 4,100 drawn silhouettes) gives the kinds all three lack: crossbow, bellows, astrolabe, trilobite,
corkscrew, sundial, artichoke, ballista, cricket bat... The icons come from the npm package
``@iconify-json/game-icons`` (:data:`GAME_ICONS_VERSION`; every icon is one SVG path on a 512-unit square,
filled by the non-zero rule). The build reads its ``icons.json`` and keeps, by rules on the icon's own name (the
set has no categories), the icons that picture a thing:

- the name has at most three words, no digit, and no word of :data:`SKIP_WORDS` (body parts, signs, emblems,
  fantasy effects: ``flaming-claw``, ``eagle-emblem``), nor of ``things_icons.SKIP_WORDS`` /
  ``things_tabler.SKIP_WORDS`` (the other sets' rules);
- it is not one of :data:`SKIP_ICONS` (icons whose picture is not what their name says);
- read as English (words joined) it is a WordNet noun of an artefact, an animal, a plant or a food, either as a
  whole (``meat-hook``) or, for two words, by its head (the last word: ``gardening-shears``) when that head
  is not a name some picture already has (``seated-mouse`` is another mouse, not a new thing);
- its meaning is not a building, a road or a place (WordNet hypernyms in :data:`PLACE_SYNSETS`): the sim draws
  things that move and fall, not houses;
- a name some earlier set, a hand-drawn kind or the prompt reader already has is not taken, nor the plural of
  one ("eggs" stays the emoji egg, twelve times), nor a name the sentence encoder already places on an existing
  picture (cosine >= :data:`STEAL_COSINE`: "canadian goose" is the emoji goose).

The selected pictures are rasterised once here (1 bit per pixel, :data:`PICTURE_PX` square, non-zero winding)
and vendored as ``game_icons.npz`` beside ``things.json`` (with ``GAME_ICONS_LICENSE.txt``: CC BY 3.0 needs the
credit), so a plain ``pip install`` draws them; :mod:`.sprites` shades them like the other monochrome icons.
Sprite ids read ``"game:<icon name>:<CSS colour>"``.

Build::

    npm pack @iconify-json/game-icons@1.2.4 && tar xzf iconify-json-game-icons-1.2.4.tgz package/icons.json
    python -m sora_widgets.engines.sim.things_build --mdi-meta ... --tabler-meta ... --game-icons package/icons.json --wordnet
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import numpy as np

from . import things_icons, things_tabler

#: The npm version of ``@iconify-json/game-icons`` whose ``icons.json`` the build read.
GAME_ICONS_VERSION = "1.2.4"
#: Side of the vendored 1-bit pictures (px); sprites are drawn at most this tall, like the MDI glyphs.
PICTURE_PX = 128
#: The vendored pictures (icon names and packed bits) and their licence, beside ``things.json``.
PICTURES = Path(__file__).with_name("game_icons.npz")
LICENSE = Path(__file__).with_name("GAME_ICONS_LICENSE.txt")
#: Cosine (MiniLM) above which a new name is already an existing picture's: not taken.
STEAL_COSINE = 0.9
#: WordNet synsets whose hyponyms are places rather than things one places in a scene.
PLACE_SYNSETS = ("structure.n.01", "way.n.06", "facility.n.01", "geological_formation.n.01", "land.n.04",
                 "area.n.05", "establishment.n.04", "room.n.01", "building.n.01")
#: Words of game-icons names that make the icon a body part, a sign, an effect or a fantasy variant.
SKIP_WORDS = frozenset("""
abstract emblem symbol sign banner rune glyph sigil tarot card cards badge insignia logo icon crest token coat
head face skull eye eyes mouth tooth teeth tongue fist hand hands arm arms leg legs foot feet finger fingers
claw claws beak tail wing wings horn horns fang fangs paw scales mane spine bone bones heart brain blood
flaming burning glowing shiny spooky evil cursed holy magic magical mystic cosmic haunted divine angel demon
crossed broken cracked triple double twin split spiral striking vibrating walking falling flying rising
dive entrance sanctuary altar portal barrier dracula vampire zombie ghost spirit lucifer heavy locked life
support load health capsule path road tile mosque shrine temple tower fort fortress castle house hut
explosion blast impact splash smoke fire flame burst wave shield beam ray aura orb spell curse trap
silhouette shadow outline pattern texture frame meeple pawn piece chess checkers dice pointer cursor
punch kick slash thrust swing strike hit clash duel fight battle attack defense
ninja saiyan lightning mighty sparkling overlord brutal cadillac gauls supersonic slavery electric swirl unstable
tornado rolling spinning floating three two next previous hell hot shambling dig drop assassin achilles nano
target robot bot diagram maze circuitry crossroad grab headshot shot console choc court ring carpet reactor mill
ropeway well galea fuji sling swallow bug cloudy eating grasping time dervish knee snout hoof udder fetus embryo carrion creature reptile pod antennas
""".split())
#: Icons whose picture is not what their name says: ``shotgun`` is a car seat (the front passenger's), not a gun.
SKIP_ICONS = frozenset({"shotgun"})
#: Words of a name -> the emoji subgroup (on top of ``things_icons.WORD_GROUPS``): weapons and armour are
#: steel tools, the set's many boats and birds their class.
WORD_GROUPS: dict[str, str] = {
    **dict.fromkeys("""sword dagger knife axe hatchet spear lance halberd mace flail pike scythe sickle
        machete katana sabre saber rapier cutlass pistol revolver rifle shotgun musket cannon gun uzi
        crossbow bow arrow trident club hammer wrench pliers shears saw drill crowbar anvil chisel
        helmet helm armor armour gauntlet""".split(), "tool"),
    **dict.fromkeys("galley galleon raft canoe gondola longship junk frigate".split(), "transport-water"),
    **dict.fromkeys("goose crow raven vulture heron stork pelican hawk falcon".split(), "animal-bird"),
    **dict.fromkeys("fish seahorse trilobite porcupinefish eel ray squid".split(), "animal-marine"),
    **dict.fromkeys("beetle scarab wasp moth cricket grasshopper centipede scorpion".split(), "animal-bug"),
}
#: Words of a name -> (height m, mass kg[, material]) for kinds the class default gets wrong.
WORD_SIZES: dict[str, tuple] = {
    "sword": (1.0, 1.5, "steel"), "dagger": (0.35, 0.4, "steel"), "knife": (0.25, 0.2, "steel"),
    "axe": (0.8, 2.0, "steel"), "spear": (2.0, 2.0, "wood"), "lance": (3.0, 5.0, "wood"),
    "halberd": (2.0, 3.0, "steel"), "mace": (0.8, 2.5, "steel"), "bow": (1.4, 1.0, "wood"),
    "crossbow": (0.8, 4.0, "wood"), "pistol": (0.2, 1.0, "steel"), "rifle": (1.1, 4.0, "steel"),
    "shotgun": (1.1, 3.5, "steel"), "cannon": (1.2, 1000.0, "steel"), "helmet": (0.3, 1.5, "steel"),
    "helm": (0.3, 1.5, "steel"), "armor": (0.7, 15.0, "steel"), "anvil": (0.4, 100.0, "steel"),
    "boot": (0.3, 0.8, "cloth"), "boots": (0.3, 1.6, "cloth"), "hat": (0.2, 0.2, "cloth"),
    "barrel": (0.9, 60.0, "wood"), "chest": (0.6, 20.0, "wood"), "crate": (0.6, 15.0, "wood"),
    "raft": (0.5, 150.0, "wood"), "galley": (6.0, 50000.0, "wood"), "ballista": (2.0, 300.0, "wood"),
    "catapult": (3.0, 1000.0, "wood"), "tipi": (4.0, 60.0, "cloth"), "tent": (2.0, 10.0, "cloth"),
}
#: Endings a plural adds to its singular ("eggs", "boxes").
_PLURAL_ENDINGS = ("es", "s")


def english_name(icon: str) -> str | None:
    """The icon name read as English, or None when the name is not a thing's by its words (see the module
    docstring): ``gardening-shears`` -> "gardening shears", ``rune-stone`` -> None, ``sword-01`` -> None.

    Args:
        icon (`str`): the icon's name in the set.
    """
    words = icon.split("-")
    if icon in SKIP_ICONS or not 0 < len(words) <= 3 or any(any(c.isdigit() for c in w) or len(w) < 2 for w in words):
        return None
    if set(words) & (SKIP_WORDS | things_icons.SKIP_WORDS | things_tabler.SKIP_WORDS):
        return None
    return " ".join(words)


def _is_place(synset) -> bool:
    places = set(PLACE_SYNSETS)
    return any(h.name() in places for path in synset.hypernym_paths() for h in path)


def meaning(wn, name: str, taken: set[str]):
    """The WordNet synset an English name means as a thing, or None: the whole name's first noun meaning, or for
    two words the head's when the head is a new name (not in ``taken``); only artefacts, animals, plants and
    foods that are not places (:data:`PLACE_SYNSETS`), and of animals and plants whole ones (an organism, a
    plant part), not a part of one."""
    words = name.split()
    cands = wn.synsets(name.replace(" ", "_"), "n")
    if not cands and len(words) == 2 and words[-1] not in taken:
        cands = wn.synsets(words[-1], "n")
    if not cands or cands[0].lexname() not in things_tabler.THING_LEX or _is_place(cands[0]):
        return None
    s = cands[0]
    if s.lexname() in ("noun.animal", "noun.plant") and not _below(s, ("organism.n.01", "plant_part.n.01")):
        return None
    return s


def _below(synset, names: tuple[str, ...]) -> str | None:
    """The first of ``names`` (synset names) that is a hypernym of ``synset`` (or it), or None."""
    above = {h.name() for path in synset.hypernym_paths() for h in path}
    return next((n for n in names if n in above), None)


#: WordNet synset -> the emoji subgroup of the things below it (first match wins: a warship is a ship).
SYNSET_GROUPS: dict[str, str] = {
    "bird.n.01": "animal-bird", "fish.n.01": "animal-marine", "aquatic_mammal.n.01": "animal-marine",
    "mollusk.n.01": "animal-marine", "crustacean.n.01": "animal-marine", "echinoderm.n.01": "animal-marine",
    "trilobite.n.01": "animal-marine", "insect.n.01": "animal-bug", "arthropod.n.01": "animal-bug",
    "worm.n.01": "animal-bug", "larva.n.01": "animal-bug", "dinosaur.n.01": "animal-reptile",
    "reptile.n.01": "animal-reptile", "amphibian.n.03": "animal-amphibian", "mammal.n.01": "animal-mammal",
    "animal.n.01": "animal-mammal", "edible_fruit.n.01": "food-fruit", "vegetable.n.01": "food-vegetable",
    "flower.n.01": "plant-flower", "weapon.n.01": "tool", "armor.n.01": "tool", "tool.n.01": "tool",
    "vessel.n.02": "transport-water", "aircraft.n.01": "transport-air", "wheeled_vehicle.n.01": "transport-ground",
    "musical_instrument.n.01": "musical-instrument", "clothing.n.01": "clothing", "headdress.n.01": "clothing",
    "footwear.n.02": "clothing", "jewelry.n.01": "clothing", "beverage.n.01": "drink",
}


def singular_taken(name: str, taken: set[str]) -> bool:
    """Whether ``name`` is the plural of a name in ``taken`` ("eggs" of "egg", "boxes" of "box")."""
    return any(name.endswith(e) and name[: -len(e)] in taken for e in _PLURAL_ENDINGS)


def group_of(name: str, synset) -> str:
    """The emoji subgroup a game icon's thing joins: by its head word (:data:`WORD_GROUPS`), else its WordNet meaning (:data:`SYNSET_GROUPS`: a "magnifying glass" is no drink), else the
    MDI rules' words, else its meaning's file."""
    words = name.split()[::-1]
    hit = WORD_GROUPS.get(words[0])  # the head only: a "cricket bat" is no insect
    if hit is None and (syn := _below(synset, tuple(SYNSET_GROUPS))) is not None:
        hit = SYNSET_GROUPS[syn]
    if hit is None:
        hit = next((things_icons.WORD_GROUPS[w] for w in words if w in things_icons.WORD_GROUPS), None)
    return hit or things_tabler.LEX_GROUPS.get(synset.lexname(), "household")


def size_of(name: str) -> tuple | None:
    """(height m, mass kg[, material]) by the last word of the name that has one, or None."""
    for w in reversed(name.split()):
        if w in WORD_SIZES:
            return WORD_SIZES[w]
    return things_icons.size_of(name)


def load_icons(path: str | Path) -> dict[str, str]:
    """Icon name -> its SVG path data (``d``), from ``@iconify-json/game-icons``'s ``icons.json``."""
    import re

    data = json.loads(Path(path).read_text(encoding="utf-8"))
    out = {}
    for name, icon in data["icons"].items():
        m = re.search(r'\sd="([^"]+)"', icon["body"])
        if m is not None:
            out[name] = m.group(1)
    return out


def rasterise(d: str, px: int = PICTURE_PX, size: float = 512.0) -> np.ndarray:
    """An SVG path's fill as a bool (px, px) mask, by the non-zero winding rule (each closed subpath is drawn
    and counted +1 or -1 by its orientation: holes are drawn the other way round, as the set's paths are).

    Args:
        d (`str`): SVG path data in a ``size``-unit square.
        px (`int`): side of the mask in pixels.
    """
    from PIL import Image, ImageDraw
    from svgelements import Path as SvgPath

    k = px / size
    wind = np.zeros((px, px), np.int16)
    for sub in SvgPath(d).as_subpaths():
        sub = SvgPath(sub)
        n = max(8, int(sub.length(error=1e-2) * k))
        pts = np.asarray(sub.npoint(np.linspace(0.0, 1.0, n)), np.float64) * k
        if len(pts) < 3:
            continue
        x, y = pts[:, 0], pts[:, 1]
        area = 0.5 * float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1)))
        if abs(area) < 1e-6:
            continue
        im = Image.new("1", (px, px), 0)
        ImageDraw.Draw(im).polygon([(float(a), float(b)) for a, b in pts], fill=1)
        wind += np.asarray(im, np.int16) * (1 if area > 0 else -1)
    return wind != 0


def write_pictures(icons: dict[str, str], names: list[str]) -> Path:
    """Rasterise ``names`` (icon names of ``icons``) and write them to :data:`PICTURES` (compressed)."""
    return save_masks(PICTURES, {n: rasterise(icons[n]) for n in names})


def save_masks(path: Path, masks: dict[str, np.ndarray]) -> Path:
    """Write bool masks (name -> (px, px), all one size) to ``path`` as packed bits (compressed npz)."""
    names = list(masks)
    bits = np.stack([np.packbits(masks[n].ravel()) for n in names]) if names else np.zeros((0, 0))
    px = next(iter(masks.values())).shape[0] if names else PICTURE_PX
    np.savez_compressed(path, names=np.array(names), bits=bits.astype(np.uint8), px=np.array(px))
    read_masks.cache_clear()
    return path


def picture(icon: str, path: Path = PICTURES) -> np.ndarray:
    """The vendored picture of a selected icon (of :data:`PICTURES`, or the npz ``path``): alpha (px, px) uint8
    (0 or 255).

    Raises:
        KeyError: the icon is not among the vendored ones.
    """
    names, bits, px = read_masks(path)
    i = names[icon]
    return np.unpackbits(bits[i])[: px * px].reshape(px, px) * np.uint8(255)


def _vendored() -> tuple[dict[str, int], np.ndarray, int]:
    """(icon name -> row, packed bits, side px) of :data:`PICTURES`."""
    return read_masks(PICTURES)


@lru_cache(maxsize=4)
def read_masks(path: Path) -> tuple[dict[str, int], np.ndarray, int]:
    """(name -> row, packed bits, side px) of a vendored masks file, read once."""
    with np.load(path) as z:
        return {str(n): i for i, n in enumerate(z["names"])}, z["bits"], int(z["px"])
