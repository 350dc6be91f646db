"""Names of kinds drawn as their nearest catalogue picture, from WordNet's hyponyms — a developer tool.

A beagle, a sedan or a birch has no picture of its own, but the catalogue has a dog, a car and a tree.
:func:`kinds` walks WordNet down from each thing's meaning and gives it the names of the kinds below it, so
"a beagle" is drawn as a dog (the record's ``kinds``; :mod:`.things` answers to them and says which thing
stands in). Precision over reach: a name is taken only if

- every noun meaning WordNet knows for it lies under that thing ("boxer" is also a fighter, "cardigan" a
  sweater, "toy" anything: none of them is taken), and the nearest catalogue thing above it is that thing
  ("taxi" is under "car", but the catalogue has a taxi; two equally near: the one first in the catalogue,
  :func:`nearest_owner`);
- it is one or two plain lower-case words in WordNet (no binomials, genera or proper names), and no name of
  the catalogue, keyword of the prompt reader or action word already;
- it is not what a plural of another word reads as once its ending is cut: "orang" (an orangutan) would
  turn "two oranges" into orangutans, so a kind that is an English word less its final "e" is not taken;
- the sentence encoder does not place it on another thing: where the catalogue's nearest name (MiniLM,
  cosine >= ``things.ENCODER_THRESHOLD``) belongs to another thing, the encoder keeps deciding as before
  ("minivan" stays the minibus, "pooch" the hand-drawn dog); below the threshold the kind adds reach;
- the thing's meaning is not one too broad for its picture (:data:`BROAD`: "herb", "medication", "container").

A thing's meaning is the first noun meaning of its name, or the family :data:`MEANINGS` gives it: the evergreen
tree stands for every conifer, the flamingo for the cranes, herons and storks.

Needs, at build time only, ``nltk`` (pip) and the WordNet 3.0 database (Debian ``wordnet-base`` and
``wordnet-sense-index``: copy ``/usr/share/wordnet`` to ``~/nltk_data/corpora/wordnet`` and add the standard
``lexnames`` file, which Debian does not ship). WordNet's licence (Princeton, permissive) allows this use.
"""

from __future__ import annotations

import re

#: WordNet lexicographer file a thing's meaning must come from, by the thing's emoji subgroup prefix.
LEXNAMES: dict[str, tuple[str, ...]] = {
    "animal": ("noun.animal",),
    "plant": ("noun.plant",),
    "food": ("noun.food", "noun.plant"),
    "drink": ("noun.food", "noun.artifact"),
}
_DEFAULT_LEX = ("noun.artifact",)
#: Catalogue things whose WordNet meaning is too broad for their picture to stand in for its kinds (all
#: herbaceous plants are not a basil leaf, all works of art not a palette).
BROAD = frozenset({"herb", "medication", "artist palette", "ornament", "tools", "package", "pill", "gem stone",
                   "shield", "ring", "toolbox", "wrapped gift", "adhesive bandage", "nazar amulet", "scroll",
                   "film frames", "bookmark tabs", "placard", "label", "dress", "kimono", "sari", "leaf fluttering in wind", "fallen leaf",
                   "maple leaf", "rock", "wood", "bricks",
                   # WordNet's container holds bags, boxes, vitrines and even the wheeled vehicle, its lever every
                   # pedal and keyboard key: one icon can't stand in for them (kinds audit: "teakettle" and
                   # "serving cart" drawn as a container, "backspace" as a lever, "three-point switch" as a gamepad)
                   "container", "lever",
                   # Material Design's controller is a gamepad; WordNet's, every switch and valve
                   "controller"})
#: Catalogue things that stand for more than the first noun meaning of their names (WordNet synset names): the
#: evergreen tree (a conifer's picture) answers to "pine tree", but WordNet's pine alone would leave spruces, firs,
#: yews and podocarps to the broadleaf picture of "tree"; the flamingo, chicken, eagle and duck stand for their
#: bird families, which the small songbird of "bird" drew at 15 cm (kinds audit: "imou pine" drawn as a broadleaf,
#: "whooping crane" and "capercaillie" as a 15 cm songbird). Shorebirds (yellowlegs, plovers) stay "bird".
MEANINGS: dict[str, tuple[str, ...]] = {
    "evergreen tree": ("conifer.n.01",),
    "flamingo": ("flamingo.n.01", "crane.n.05", "heron.n.02", "stork.n.01", "spoonbill.n.01"),
    "chicken": ("chicken.n.02", "gallinaceous_bird.n.01"),
    "eagle": ("eagle.n.01", "bird_of_prey.n.01"),
    "duck": ("duck.n.01", "anseriform_bird.n.01"),
}
#: One or two plain lower-case words: WordNet writes genera, species and proper names with a capital.
_PLAIN = re.compile(r"[a-z][a-z'-]*( [a-z][a-z'-]*)?")
_TAXON = re.compile(r"^(genus|family|order|class|subfamily|suborder|superfamily|phylum) ")


def _meanings(wn, record: dict) -> list:
    """The WordNet synsets a catalogue record stands for: those :data:`MEANINGS` gives it, else its
    :func:`_meaning` (none if that is None)."""
    if record["name"] in MEANINGS:
        return [wn.synset(n) for n in MEANINGS[record["name"]]]
    s = _meaning(wn, record)
    return [] if s is None else [s]


def _meaning(wn, record: dict):
    """The WordNet synset of a catalogue record: the first noun meaning of its name (or, failing that, of an
    alias) in the lexicographer file its class allows; None if none."""
    prefix = record["group"].split("-")[0]
    lex = LEXNAMES.get(prefix, _DEFAULT_LEX)
    for name in (record["name"], *record["aliases"]):
        for s in wn.synsets(name.replace(" ", "_"), "n"):
            if s.lexname() in lex:
                return s
    return None


def nearest_owner(synset, rank: dict):
    """The catalogue meaning nearest above ``synset`` (or it), or None: of the meanings of ``rank`` (synset -> its
    place in the catalogue) among its hypernyms, the fewest steps up, a tie going to the one first in the
    catalogue ("turtleneck" is one step below both the emoji t-shirt's jersey and IconPark's sweater: the
    t-shirt's). WordNet gives the hypernyms as a set, whose order follows Python's string hash
    (``PYTHONHASHSEED``): the tie is broken here, never by that order, so a build is a function of its inputs."""
    return min(((d, rank[o], o) for o, d in synset.hypernym_distances() if o in rank),
               key=lambda t: t[:2], default=(None, None, None))[2]


def kinds(records: list[dict], taken: set[str], reserved: set[str]) -> dict[str, list[str]]:
    """Record key -> names of the kinds drawn as it (see the module docstring); extends ``taken``.

    Args:
        records (`list[dict]`): the catalogue records (``name``, ``aliases``, ``group``, ``key``).
        taken (`set[str]`): names the catalogue already answers to.
        reserved (`set[str]`): words that must stay the prompt reader's (keywords, action words).
    """
    from nltk.corpus import wordnet as wn

    owner: dict = {}  # synset -> key of the record it means (the first record claiming it keeps it)
    for r in records:
        for s in [] if r["name"] in BROAD else _meanings(wn, r):
            owner.setdefault(s, r["key"])
    rank = {s: i for i, s in enumerate(owner)}  # catalogue order: the older picture first
    out: dict[str, list[str]] = {}
    for s, key in owner.items():
        # by name: WordNet keeps a synset's hyponyms in a set, so their order, too, would follow the hash seed
        for h in (s, *s.closure(lambda x: sorted(x.hyponyms()))):
            # the nearest catalogue meaning at or above h must be s itself ("taxicab" is the taxi's, not the car's)
            if nearest_owner(h, rank) != s:
                continue
            for lemma in h.lemmas():
                low = lemma.name().replace("_", " ")
                if low in taken or low in reserved or not _PLAIN.fullmatch(low) or _TAXON.match(low):
                    continue
                if wn.synsets((low + "e").replace(" ", "_")) or low + "e" in reserved or low + "e" in taken:
                    continue  # "orang": the stem a reader cuts from "oranges"
                senses = wn.synsets(lemma.name(), "n")
                if not senses or not all(s in {o for o, _ in x.hypernym_distances()} for x in senses):
                    continue
                taken.add(low)
                out.setdefault(key, []).append(low)
    return out


def agree_with_encoder(records: list[dict], by_key: dict[str, list[str]],
                       late: frozenset[str] = frozenset()) -> dict[str, list[str]]:
    """``by_key`` without the kinds the sentence encoder places on another thing (see the module docstring).

    Args:
        records (`list[dict]`): the catalogue records; their ``name`` and ``aliases`` are what the encoder
            compares with (as ``things.find`` does).
        by_key (`dict[str, list[str]]`): record key -> kinds, from :func:`kinds`.
        late (`frozenset[str]`): keys of a picture set added after the others (game-icons.net): their names
            never take a kind from an older thing ("whippet" stays the dog's although "whip" is near it).
    """
    import numpy as np

    from ...text_encoder import get_encoder
    from .things import ENCODER_THRESHOLD

    enc = get_encoder()
    names = [(n, r["key"]) for r in records for n in (r["name"], *r["aliases"])]
    E = enc.encode([n for n, _ in names])
    pairs = [(k, key) for key, ks in by_key.items() for k in ks]
    Q = enc.encode([k for k, _ in pairs])
    S = np.einsum("ij,kj->ik", Q, E)
    out: dict[str, list[str]] = {}
    if late:  # an older thing's kinds are weighed against older names only
        older = np.array([key not in late for _, key in names])
        S_old = np.where(older[None, :], S, -np.inf)
        S = np.where(np.array([key in late for _, key in pairs])[:, None], S, S_old)
    for (k, key), row in zip(pairs, S, strict=True):
        j = int(np.argmax(row))
        if row[j] >= ENCODER_THRESHOLD and names[j][1] != key:
            continue
        out.setdefault(key, []).append(k)
    return out
