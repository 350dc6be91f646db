"""The thing catalogue: about a thousand pictures of objects, animals, plants, foods and vehicles beyond the
hand-drawn kinds, under several thousand names.

Each :class:`Thing` has a name and aliases (Unicode CLDR names and short names of the emoji it is drawn
with, the icon set's names, plus everyday synonyms), the names of kinds it stands in for (WordNet hyponyms:
"beagle" is drawn as the dog), a real height (m) and mass (kg), a material of :data:`vocab.MATERIALS`
(which sets its bounce, friction and contact sound) and a sprite (an emoji of Noto Color Emoji, a
Material Design Icon or a Tabler Icon, drawn by :mod:`.sprites`). The catalogue ships as ``things.json`` with the names'
MiniLM embeddings in ``things.npz``; both are rebuilt by ``python -m sora_widgets.engines.sim.things_build``.

>>> find("horse").name, find("car").name, find("milk").name
('horse', 'automobile', 'glass of milk')

A scene group drawing one is ``{"kind": "thing", "thing": <key>, ...}`` (see ``docs/sim.md``); its size
word scales :func:`display_height` and an asked colour tints the sprite (:func:`group_defaults` gives the
colour that means "as it is").
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

__all__ = ["ENCODER_THRESHOLD", "THING_KIND", "Thing", "all_things", "display_height", "find", "get",
           "group_defaults", "names_key", "stands_in"]

THING_KIND = "thing"  # the scene-group kind of a catalogue thing
#: Cosine similarity (MiniLM) a word needs with a catalogue name to be drawn as that thing. Chosen on word
#: lists (tests/test_sim_things.py): "stallion", "sedan", "puppy"... land; "quantum", "happiness",
#: "water", "forest" do not.
ENCODER_THRESHOLD = 0.75
_DATA = Path(__file__).with_name("things.json")
_EMB = Path(__file__).with_name("things.npz")

#: Shown sizes (m): the view is 5 m across, so a bus is drawn at most this tall and an ant at least this tall.
MIN_SHOWN_M = 0.3
MAX_SHOWN_M = 2.6


@dataclass(frozen=True)
class Thing:
    """One catalogue entry.

    Attributes:
        key: stable id used in scene dicts (``"horse"``, ``"glass_of_milk"``).
        name: its main name.
        aliases: other names it answers to, the kinds' names (``kinds``) last.
        emoji: the sprite id (an emoji of Noto Color Emoji, ``"mdi:..."`` a Material Design Icon, or
            ``"tabler:..."`` a Tabler Icon).
        group: Unicode emoji subgroup (``"animal-mammal"``, ``"transport-ground"``...).
        height_m: real height of what the picture shows, metres.
        mass_kg: typical mass, kilograms.
        material: a key of ``vocab.MATERIALS`` (bounce, friction, contact sound).
        upright: keeps its orientation (animals, vehicles) instead of tumbling.
        color: CSS colour name nearest the sprite's mean colour (CIELAB; an icon's fill colour): asking for
            it keeps the picture's own colours; any other colour tints it.
        kinds: names of kinds without a picture of their own that it is drawn for ("beagle", "sedan"),
            also in ``aliases``.
    """

    key: str
    name: str
    aliases: tuple[str, ...]
    emoji: str
    group: str
    height_m: float
    mass_kg: float
    material: str
    upright: bool
    color: str
    kinds: tuple[str, ...] = ()

    @property
    def sprite(self) -> str:
        """Sprite id for :mod:`.sprites`."""
        return self.emoji

    @property
    def vehicle(self) -> bool:
        """A land vehicle on wheels (it drives, and rumbles rather than steps)."""
        return self.group == "transport-ground" and self.key not in _NOT_VEHICLES

    @property
    def faces_left(self) -> bool:
        """Whether its picture looks left (most of Noto's side views do): a thing moving right is mirrored."""
        return self.key not in _FACES_RIGHT


#: Things of the emoji subgroup "transport-ground" that are not vehicles.
_NOT_VEHICLES = frozenset({"horizontal_traffic_light", "vertical_traffic_light", "stop_sign", "fuel_pump",
                           "police_car_light", "oil_drum", "wheel"})
#: Side views in Noto Color Emoji that look right (checked by eye at 80-100 px: the other animals and vehicles
#: that move — horse, cow, dog, car, bus, truck, motorcycle, boat... — look left).
_FACES_RIGHT = frozenset({"rat", "deer", "zebra", "airplane", "small_airplane"})


@lru_cache(maxsize=1)
def _catalogue() -> tuple[dict[str, Thing], dict[str, str], list[str]]:
    """(key -> Thing, name -> key, names in embedding order). The kinds' names answer exactly but are not
    embedded: thousands of rare words would slow every encoder match and the npz, for little reach."""
    data = json.loads(_DATA.read_text(encoding="utf-8"))
    things: dict[str, Thing] = {}
    by_name: dict[str, str] = {}
    names: list[str] = []
    for r in data["things"]:
        kinds = tuple(r.get("kinds", ()))
        t = Thing(r["key"], r["name"], tuple(r["aliases"]) + kinds, r["emoji"], r["group"], float(r["height_m"]),
                  float(r["mass_kg"]), r["material"], bool(r["upright"]), r["color"], kinds)
        things[t.key] = t
        for n in (t.name, *r["aliases"]):
            by_name.setdefault(n, t.key)
            names.append(n)
    for t in things.values():
        for n in t.kinds:
            by_name.setdefault(n, t.key)
    return things, by_name, names


def all_things() -> list[Thing]:
    """Every thing, in Unicode emoji order."""
    return list(_catalogue()[0].values())


def get(key: str) -> Thing:
    """The thing with this key; KeyError (naming a close key) if there is none."""
    things = _catalogue()[0]
    try:
        return things[key]
    except KeyError:
        hint = find(str(key).replace("_", " "))
        raise KeyError(f"no thing {key!r} in the catalogue" + (f"; did you mean {hint.key!r}?" if hint else "")) \
            from None


def names_key(names: list[str]) -> str:
    """Hash of the name list: embeddings stored under another key are stale."""
    return hashlib.sha256(("\n".join(names) + "|all-MiniLM-L6-v2").encode()).hexdigest()[:16]


_IRREGULAR = {"mice": "mouse", "geese": "goose", "oxen": "ox", "teeth": "tooth", "feet": "foot",
              "knives": "knife", "leaves": "leaf", "wolves": "wolf", "calves": "calf", "loaves": "loaf",
              "cacti": "cactus", "octopi": "octopus", "buses": "bus", "dice": "die", "children": "child"}
_WORD_RE = re.compile(r"[^\W_][\w' .-]*", re.UNICODE)  # "horse", "t-rex", "1st place medal"
_LETTER_RE = re.compile(r"[^\W\d_]", re.UNICODE)


def _forms(word: str) -> list[str]:
    """``word`` and its likely singulars, most likely first."""
    w = re.sub(r"\s+", " ", word.strip().lower().replace("’", "'"))
    out = [w]
    last = w.rsplit(" ", 1)
    head, tail = (last[0] + " ", last[1]) if len(last) == 2 else ("", last[0])
    if tail in _IRREGULAR:
        out.append(head + _IRREGULAR[tail])
    for suf, rep in (("ies", "y"), ("ves", "f"), ("ves", "fe"), ("ches", "ch"), ("shes", "sh"), ("xes", "x"),
                     ("sses", "ss"), ("oes", "o"), ("s", "")):
        if tail.endswith(suf) and len(tail) > len(suf) + 1 and not tail.endswith("ss"):
            out.append(head + tail[: -len(suf)] + rep)
    return list(dict.fromkeys(out))


@lru_cache(maxsize=1)
def _embeddings() -> np.ndarray | None:
    """(n_names, 384) float32 unit vectors of every name, from ``things.npz`` (or computed if stale)."""
    names = _catalogue()[2]
    try:
        with np.load(_EMB) as z:
            if str(z["key"]) == names_key(names):
                return z["E"].astype(np.float32)
    except (OSError, KeyError, ValueError):
        pass
    from ...text_encoder import get_encoder

    enc = get_encoder()
    return None if enc is None else enc.encode(names)


@lru_cache(maxsize=1)
def _modifier_index() -> dict[str, list[int]]:
    """word -> indices of the names in which it appears before the last word (as a modifier)."""
    out: dict[str, list[int]] = {}
    for j, n in enumerate(_catalogue()[2]):
        for tok in set(n.replace("-", " ").split()[:-1]):
            out.setdefault(tok, []).append(j)
    return out


def _modified_by(word: str) -> list[int]:
    """Indices of the names in which a word of ``word`` appears before the last word (as a modifier)."""
    idx = _modifier_index()
    return sorted({j for tok in word.split() for j in idx.get(tok, ())})


def find(word: str, *, threshold: float = ENCODER_THRESHOLD) -> Thing | None:
    """The catalogue thing a word or short phrase names, or None.

    Args:
        word (`str`): a noun or noun phrase, any case, singular or plural (``"horses"``, ``"race car"``).
        threshold (`float`): cosine similarity the sentence encoder must reach when no name matches exactly.

    Exact names and aliases win (singular forms tried too); otherwise the word is embedded with MiniLM and
    compared with every name of the catalogue — so "stallion" or "sedan" still land — and None is returned
    below ``threshold`` (abstract words, scenery, unknown words) or if the encoder is not installed.
    """
    if not isinstance(word, str) or len(word) > 60 or not _WORD_RE.fullmatch(word.strip()) or not _LETTER_RE.search(
            word):
        return None
    things, by_name, names = _catalogue()
    forms = _forms(word)
    for f in forms:
        if f in by_name:
            return things[by_name[f]]
    if len(forms[0]) < 3:
        return None
    E = _embeddings()
    if E is None:
        return None
    from ...text_encoder import get_encoder

    enc = get_encoder()
    if enc is None:
        return None
    best, best_s = None, -1.0
    for f in forms[:2]:
        # einsum, not E @ v: past ~1,300 names OpenBLAS runs this product on its thread pool, which on a busy
        # machine (the encoder's own threads, other kernels) took 15-50 ms instead of 0.2 ms (measured)
        s = np.einsum("ij,j->i", E, enc.encode_one(f))
        # a word that only modifies a longer name is not that thing: "fire" is not a fire engine, "moon" not a
        # moon cake, "blue" not a blue car
        for j in _modified_by(f):
            s[j] = -1.0
        j = int(np.argmax(s))
        if float(s[j]) > best_s:
            best, best_s = j, float(s[j])
    if best is None or best_s < threshold:
        return None
    return things[by_name[names[best]]]


def stands_in(word: str) -> Thing | None:
    """The thing drawn for ``word`` when ``word`` names a kind with no picture of its own ("beagle" -> the
    dog), so a caller can say what was drawn instead; None if ``word`` is no such kind (singulars tried)."""
    if not isinstance(word, str):
        return None
    things, by_name, _ = _catalogue()
    for f in _forms(word):
        key = by_name.get(f)
        if key is not None:
            return things[key] if f in things[key].kinds else None
    return None


def display_height(thing: Thing, size_scale: float = 1.0) -> float:
    """Height (m) the thing is drawn and simulated at: its real height squeezed into what a 5 m view can show
    (small things grow towards :data:`MIN_SHOWN_M` so they stay visible, big ones stop at
    :data:`MAX_SHOWN_M`), times the size word's scale (``vocab.SIZES[...]["scale"]``)."""
    h = thing.height_m
    shown = MIN_SHOWN_M + 0.4 * h if h < 0.5 else min(h, MAX_SHOWN_M)
    return shown * float(size_scale)


def group_defaults(thing: Thing) -> dict:
    """Group fields a scene gets for this thing when the prompt does not say: its own colour (drawn untinted)
    and material."""
    return {"kind": THING_KIND, "thing": thing.key, "color": thing.color, "material": thing.material}
