"""Prompt -> scene: read an English (or basic French) prompt into a JSON-serialisable scene dict.

Two passes, a light rule-based reading of the sentence (no parser model: prompts are short noun phrases and
verbs, and the rules below are what the scene needs).

(1) The reader turns the text into *mentions*: exact keyword phrases (longest match first, up to five
words) from :mod:`.vocab`, quoted lines, ``@handles``, pronouns. Catalogue names of several words ("teddy
bear") beat a keyword inside them. A colour name that stands where a noun stands ("an apple", "in the mud")
is a noun. Every other content word is looked up as an exact catalogue name (:mod:`.things`), then embedded
with MiniLM and mapped onto the nearest concept if it is similar enough (per-slot thresholds), and a word that
reads as a noun may still land on the catalogue's nearest thing. Precedence: exact hand-drawn keyword > exact
catalogue name > encoder match (the catalogue's only when clearly nearer). Encoder matches for things are
recorded as *substitutions* ("pooch drawn as a dog"); words that land nowhere are ``unparsed``.

(2) The builder reads the mentions in order: colour/size/material/count bind to the next noun (and are
dropped when their noun was not placed); a definite noun that names an earlier thing is that thing
(coreference); a transitive verb gives its subject the agent's motion and the noun right after it the
patient's ("a child kicks a ball"); relations between two things become layout constraints (``place``);
collectives ("a family of five") and number words up to twenty give counts; single-valued slots (setting,
time, camera) keep the strongest evidence, not the last word. Defaults fill the rest, so every prompt yields
the closest scene it can.

:func:`apply_edit` reads an edit ("now on the moon", "make it blue", "add two more balls") with the same reader
and changes only the slots it mentions.
"""

from __future__ import annotations

import copy
import hashlib
import os
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np

from . import effects, figures, vocab
from .things import ENCODER_THRESHOLD as THING_THRESHOLD
from .things import THING_KIND, Thing, all_things, group_defaults, stands_in
from .things import find as find_thing
from .things import get as get_thing

__all__ = ["apply_edit", "leave_out", "parse_prompt", "default_scene", "validate_scene", "SCENE_VERSION"]

SCENE_VERSION = 1
MAX_TOKENS = 200  # longer prompts are read up to here; the rest is reported as ignored

#: Similarity (cosine, MiniLM) a word needs to land on a concept of this slot. Motions, materials and sizes
#: are abstract and cluster together in embedding space, so they need more evidence.
_THRESHOLDS = {"object": 0.5, "setting": 0.5, "ambience": 0.5, "time": 0.55, "camera": 0.6, "color": 0.6,
               "motion": 0.6, "material": 0.6, "size": 0.62, "outcome": 0.6, "direction": 0.65,
               "backdrop": 0.55, "style": 0.62}

_EDIT_ADD = {"add", "adds", "more", "another", "extra", "plus", "ajoute", "ajouter"}
_EDIT_REMOVE = {"remove", "without", "delete", "drop-out", "no", "sans", "enlève", "retire", "minus", "lose"}
_EDIT_REPLACE = {"make", "turn", "change", "replace", "instead", "switch", "rends", "transforme", "become", "becomes"}
_EDIT_WORDS = {"now", "make", "turn", "change", "instead", "replace", "set", "switch", "it", "them", "everything",
               "all", "same", "but", "maintenant", "rends"} | _EDIT_ADD | _EDIT_REMOVE
_FIGURES = {"person", "cat", "dog"}
_SPEECH_VERBS = {"says", "say", "said", "shouts", "shout", "yells", "whispers", "whisper", "sings", "asks",
                 "exclaims", "replies", "answers", "barks", "meows", "dit", "crie", "murmure", "chante"}
_CONJUNCTIONS = {"and", "then", "et", "puis"}
_CLAUSE_BREAK = {",", ";", ".", "!", "?", "then", "while", "when", "puis", "alors", ":"}

_QUOTE_RE = re.compile(r"\"([^\"]{1,300})\"|“([^”]{1,300})”|«\s*([^»]{1,300}?)\s*»|(?<![\w])'([^']{1,300})'(?![\w])"
                       r"|‘([^’]{1,300})’")
_ELISION_RE = re.compile(r"\b([ldjmnstc]|qu)['’](?=\w)", re.IGNORECASE)
_TOKEN_RE = re.compile(r"@[\w.-]+|\x00q\d+\x00|[^\W\d_][\w'’-]*|\d+|[,;.!?:]", re.UNICODE)


# --------------------------------------------------------------------------- reading
@dataclass
class Mention:
    slot: str
    value: object
    pos: int  # token index where it starts
    words: str = ""
    strength: float = 1.0  # evidence: 1 for an exact keyword, the cosine for an encoder match
    n: int = 1  # tokens it spans


@dataclass
class Reading:
    mentions: list[Mention] = field(default_factory=list)
    lines: list[tuple[int, str]] = field(default_factory=list)  # (token index, text)
    unparsed: list[str] = field(default_factory=list)
    clause_of: list[int] = field(default_factory=list)  # token index -> clause number
    edit_add: bool = False
    edit_replace: bool = False
    edit_remove_at: list[int] = field(default_factory=list)  # token positions of "remove"/"without"
    tokens: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    substitutions: list[str] = field(default_factory=list)  # "horse drawn as a dog"
    unparsed_at: set[int] = field(default_factory=set)  # token positions of the unparsed words


#: Words before a noun that say "a thing comes next" (so an unknown word after them is a noun).
_DETERMINERS = frozenset("""a an the this that these those some my his her their its our your every each another
    any no of un une le la les des du de""".split())
#: Definite determiners: the noun after them is one already named ("a ball ... the ball").
_DEFINITE = frozenset({"the", "this", "that", "these", "those", "le", "la", "les"})
#: Verbs after which a colour is a predicate ("the ball is red"), never a noun.
_COPULAS = frozenset({"is", "are", "was", "were", "be", "turns", "turn", "becomes", "painted", "colored", "coloured",
                      "looks", "est", "sont", "all", "bright", "dark", "light", "pale", "deep"})
#: Endings of words that read as verbs or adverbs rather than nouns ("crossing", "jumped", "slowly").
_VERB_ENDINGS = ("ing", "ed", "ly")
_PRONOUNS = {"it": "thing", "he": "figure", "she": "figure", "him": "figure", "they": "any", "them": "any",
             "il": "any", "elle": "any"}
#: Words before a setting that make it the place of the scene ("on the ice" beats a passing "ice cube").
_LOCATIVES = frozenset({"on", "in", "at", "inside", "across", "through", "into", "onto", "along", "over", "around",
                        "sur", "dans", "au", "within", "under"})


def _singular(w: str) -> str:
    for suf, rep in (("ies", "y"), ("ves", "f"), ("es", ""), ("s", "")):
        if w.endswith(suf) and len(w) > len(suf) + 2:
            return w[: -len(suf)] + rep
    return w


@lru_cache(maxsize=1)
def _thing_names() -> dict[str, Thing]:
    """Every catalogue name and alias (lower case) -> its thing; the first thing to claim a name keeps it."""
    out: dict[str, Thing] = {}
    for t in all_things():
        for name in (t.name, *t.aliases):
            out.setdefault(name.lower(), t)
    return out


def _thing_exact(word: str) -> Thing | None:
    """The catalogue thing whose own name or alias is ``word`` (or its singular); None otherwise.
    A dictionary look-up: :func:`things.find` would also run the encoder when no name matches."""
    names = _thing_names()
    for form in (word, _singular(word), word[:-1] if word.endswith("s") else word):
        if form in names:
            return names[form]
    return None


#: How much nearer (cosine) a catalogue thing must be than a hand-drawn kind to be drawn instead: "bunny" is a
#: rabbit (0.86 vs cat 0.54), "pooch" stays the hand-drawn dog (poodle 0.77 vs dog 0.62).
_CATALOGUE_MARGIN = 0.2


def _cosine(a: str, b: str) -> float:
    from ...text_encoder import get_encoder

    enc = get_encoder()
    return float(enc.encode_one(a) @ enc.encode_one(b)) if enc is not None else 0.0


def _catalogue_phrase(tokens: list[str], i: int, shorter_than: int, lex: dict) -> tuple[int, Thing] | None:
    """A catalogue name of 2-3 words starting at ``tokens[i]`` and longer than the keyword found there
    (``(words, thing)``), unless it starts with a modifier ("black cat" is a black hand-drawn cat) that is no
    thing itself ("banana" is a colour name too, but "a banana peel" is the peel)."""
    if (tokens[i] in lex and lex[tokens[i]][0] in ("color", "size", "material", "count")
            and _thing_exact(tokens[i]) is None):
        return None
    for n in (3, 2):
        if n <= shorter_than or i + n > len(tokens) or not all(t.isalpha() for t in tokens[i : i + n]):
            continue
        t = _thing_exact(" ".join(tokens[i : i + n]))
        if t is not None:
            return n, t
    return None


def _hand_drawn(t: Thing | None) -> str | None:
    """The hand-drawn kind a catalogue thing is (its name is one of our object keywords), if any."""
    if t is None:
        return None
    hit = vocab.keyword_lexicon().get(t.name)
    return str(hit[1]) if hit is not None and hit[0] == "object" else None


#: "a cup of coffee" is one thing, the coffee (the catalogue's "hot beverage" is a cup of it); "a tray of cookies"
#: is the cookies: the holder is not drawn as a second thing (a glass of water is the liquids' business).
_HOLDERS = frozenset({"cup", "cups", "mug", "mugs", "tray", "trays", "plate", "plates", "bowl", "bowls"})
#: Compound nouns whose words mean something else alone ("fish tank": not a fish and a military tank), and phrases
#: that say only what the layout does anyway ("an apple and an orange side by side": "orange" is no colour of a
#: "side").
_COMPOUNDS = {("fish", "tank"): ("aquarium",), ("fish", "tanks"): ("aquarium",), ("fishtank",): ("aquarium",),
              ("fishbowl",): ("aquarium",), ("fish", "bowl"): ("aquarium",), ("side", "by", "side"): ()}
#: Words that describe a thing's state and are no thing ("an empty glass" is a glass, not an empty container).
_STATE_WORDS = frozenset({"empty", "full", "half-full", "half-empty"})


def _rewrite(tokens: list[str]) -> list[str]:
    """Tokens with compound nouns replaced by the word they mean, holders of a content ("cup of") left out and
    state words ("empty") dropped."""
    out: list[str] = []
    i = 0
    while i < len(tokens):
        for n in (3, 2, 1):
            repl = _COMPOUNDS.get(tuple(tokens[i : i + n]))
            if repl is not None:
                out.extend(repl)
                i += n
                break
        else:
            tok = tokens[i]
            if tok in _HOLDERS and i + 2 < len(tokens) and tokens[i + 1] == "of" and tokens[i + 2].isalpha():
                i += 2  # "cup of coffee" -> "coffee"
                continue
            if tok not in _STATE_WORDS:
                out.append(tok)
            i += 1
    return out


def _read(text: str) -> Reading:
    r = Reading()
    quotes: list[str] = []

    def _q(m: re.Match) -> str:
        quotes.append(next(g for g in m.groups() if g is not None).strip())
        return f" \x00q{len(quotes) - 1}\x00 "

    body = _QUOTE_RE.sub(_q, text)
    body = _ELISION_RE.sub(r"\1 ", body)  # French elisions: "l'herbe" -> "l herbe"
    tokens = _rewrite(_TOKEN_RE.findall(body.lower()))
    if len(tokens) > MAX_TOKENS:
        r.notes.append(f"prompt read up to {MAX_TOKENS} words; {len(tokens) - MAX_TOKENS} more ignored")
        tokens = tokens[:MAX_TOKENS]
    r.tokens = tokens
    lex = vocab.keyword_lexicon()
    clause = 0
    i = 0
    unknown: list[tuple[int, str]] = []
    while i < len(tokens):
        tok = tokens[i]
        if tok in _CLAUSE_BREAK:
            clause += 1
            r.clause_of.append(clause)
            i += 1
            continue
        if tok.startswith("\x00q"):
            r.lines.append((i, quotes[int(tok[2:-1])]))
            r.clause_of.append(clause)
            i += 1
            continue
        if tok.startswith("@"):
            r.mentions.append(Mention("cameo", tok[1:].rstrip(".-"), i, tok))
            r.clause_of.append(clause)
            i += 1
            continue
        if tok.isdigit():
            r.mentions.append(Mention("count", int(tok), i, tok))
            r.clause_of.append(clause)
            i += 1
            continue
        if tok in figures.POSSESSIVES and i + 1 < len(tokens) and tokens[i + 1] in figures.BODY_PARTS:
            r.mentions.append(Mention("pronoun", "figure", i, f"{tok} {tokens[i + 1]}", 1.0, 2))  # "on her head"
            r.clause_of.extend([clause] * 2)
            i += 2
            continue
        act = figures.action_phrase(tokens, i)
        if act is not None:  # "does a backflip", "a triple axel", "she waves": what a figure does (figures.py)
            r.mentions.append(Mention("action", act[1], i, " ".join(tokens[i : i + act[0]]), 1.0, act[0]))
            r.clause_of.extend([clause] * act[0])
            i += act[0]
            continue
        hit = None
        for n in (5, 4, 3, 2, 1):
            if i + n > len(tokens):
                continue
            phrase = " ".join(tokens[i : i + n])
            if phrase in lex:
                hit = (n, phrase, lex[phrase])
                break
            one = " ".join(tokens[i : i + n - 1] + [_singular(tokens[i + n - 1])])  # "soccer balls"
            if one in lex and lex[one][0] in ("object", "special"):
                hit = (n, phrase, lex[one])
                break
        thing = _catalogue_phrase(tokens, i, hit[0] if hit else 0, lex)
        if thing is not None:  # "teddy bear", "hot air balloon": a longer catalogue name beats a keyword in it
            n, t = thing
            words = " ".join(tokens[i : i + n])
            r.mentions.append(Mention(THING_KIND, t.key, i, words, 1.0, n))
            _say_if_stand_in(r, words, t)  # "two whooping cranes" are drawn as flamingos
            r.clause_of.extend([clause] * n)
            i += n
            continue
        if hit is not None:
            n, phrase, (slot, value) = hit
            r.mentions.append(Mention(slot, value, i, phrase, 1.0, n))
            r.clause_of.extend([clause] * n)
            i += n
            continue
        r.clause_of.append(clause)
        if tok in _PRONOUNS:
            r.mentions.append(Mention("pronoun", _PRONOUNS[tok], i, tok))
        elif tok in _EDIT_ADD:
            r.edit_add = True
        elif tok in _EDIT_REPLACE:
            r.edit_replace = True
        elif tok in _EDIT_REMOVE:
            r.edit_remove_at.append(i)
        elif tok not in vocab.STOPWORDS and tok not in _EDIT_WORDS and len(tok) > 1:
            unknown.append((i, tok))
        i += 1
    unknown_at = {p for p, _ in unknown}
    unknown = sorted(unknown + _nouns_that_look_like_other_slots(r, unknown_at))
    rest: list[tuple[int, str]] = []
    for pos, word in unknown:  # an exact catalogue name comes before any encoder match
        t = _thing_exact(word)
        if t is not None:
            r.mentions.append(Mention(THING_KIND, t.key, pos, word))
            _say_if_stand_in(r, word, t)
        elif not effects.claims(word, r.tokens):  # liquids, breaking, dominoes, boards: effects.read (issue 18)
            rest.append((pos, word))
    if rest:
        placed = _embed_lookup([w for _, w in rest])
        for (pos, word), hit in zip(rest, placed, strict=True):
            noun = _noun_like(r, pos, unknown_at)
            t = find_thing(word) if noun and (hit is None or hit[0] == "object") else None
            if t is not None and hit is not None and _cosine(word, t.name) < hit[2] + _CATALOGUE_MARGIN:
                t = None  # two encoder matches: the hand-drawn kind unless the catalogue's is clearly nearer
            kind = _hand_drawn(t)
            if kind is not None:  # the catalogue's nearest is a kind we draw by hand ("pooch" -> dog): draw that
                r.mentions.append(Mention("object", kind, pos, word, THING_THRESHOLD))
                r.substitutions.append(f"{word} drawn as a {kind}")
            elif t is not None:
                r.mentions.append(Mention(THING_KIND, t.key, pos, word, THING_THRESHOLD))
                r.substitutions.append(f"{word} drawn as {t.name}")
            elif hit is not None and (hit[0] != "object" or noun):  # "dogs play": a verb is not a ball
                slot, value, score = hit
                r.mentions.append(Mention(slot, value, pos, word, score))
                if slot == "object":
                    r.substitutions.append(f"{word} drawn as a {value}")
            else:
                r.unparsed.append(word)
                r.unparsed_at.add(pos)
    r.mentions.sort(key=lambda m: m.pos)
    return r


def _mention_at(r: Reading) -> dict[int, Mention]:
    return {m.pos: m for m in r.mentions}


def _noun_like(r: Reading, pos: int, unknown_at: set[int]) -> bool:
    """Whether the unknown word at ``pos`` reads as a noun: after a determiner, a number or an adjective."""
    word = r.tokens[pos]
    if word.endswith("ly") or pos == 0:
        return pos == 0 and not word.endswith("ly")
    prev = r.tokens[pos - 1]
    at = _mention_at(r)
    before = next((m for m in r.mentions if m.pos + m.n == pos), None)
    if prev in _DETERMINERS or prev in vocab.COUNT_WORDS:
        return True
    if before is not None and before.slot in ("color", "size", "material", "count", "collective", "relation"):
        return True
    if prev in _CONJUNCTIONS or prev in _LOCATIVES or prev == "with":
        return not word.endswith("ing")
    # "a wooden toy car": an unknown adjective between a determiner and the noun
    return pos - 1 in unknown_at and pos >= 2 and r.tokens[pos - 2] in _DETERMINERS and pos - 1 not in at


def _followed_by_noun(r: Reading, m: Mention, unknown_at: set[int]) -> bool:
    at = _mention_at(r)
    j = m.pos + m.n
    while j < len(r.tokens):
        nxt = at.get(j)
        if nxt is not None and nxt.slot == "color" and _thing_exact(nxt.words) is not None \
                and not _followed_by_noun(r, nxt, unknown_at):
            return True  # "a green apple": the second colour name is the noun
        if nxt is not None and nxt.slot in ("color", "size", "material"):
            j += nxt.n
            continue
        if r.tokens[j] in ("-", "and") and nxt is None and j + 1 < len(r.tokens) and at.get(j + 1) is not None \
                and at[j + 1].slot == "color":
            j += 1
            continue
        break
    if j >= len(r.tokens):
        return False
    nxt = at.get(j)
    if nxt is not None:
        return nxt.slot in ("object", "special", THING_KIND, "collective", "setting", "backdrop", "ramp") or (
            nxt.slot == "ambience" and nxt.words in ("birds", "bird", "cars"))
    word = r.tokens[j]
    # an unknown word after a colour is its noun ("a red pillow") unless it reads as a verb ("camel crossing")
    return j in unknown_at and (_thing_exact(word) is not None or not word.endswith(_VERB_ENDINGS))


def _say_if_stand_in(r: Reading, word: str, t: Thing) -> None:
    """Note "minivan drawn as minibus" when ``word`` names a kind with no picture of its own, drawn as ``t``."""
    if stands_in(word) is not None:
        r.substitutions.append(f"{word} drawn as {t.name}")


def _nouns_that_look_like_other_slots(r: Reading, unknown_at: set[int]) -> list[tuple[int, str]]:
    """Colour names that are nouns ("an apple", "in the mud") and sound words used as things ("a blue bird",
    "two cars") become catalogue things when they stand where a noun stands; returns the colour names that
    are nouns the catalogue does not have, to be read as unknown words."""
    out: list[Mention] = []
    nouns: list[tuple[int, str]] = []
    for m in r.mentions:
        word = m.words
        prev = r.tokens[m.pos - 1] if m.pos > 0 else ""
        if m.slot == "color" and m.n > 1 and prev not in _COPULAS and not _followed_by_noun(r, m, unknown_at):
            # "a green apple", "a sky blue whale": a colour name of two words whose last word is a thing
            head, last = word.rsplit(" ", 1)
            t = _thing_exact(last)
            if t is not None and head in vocab.colors():
                out.append(Mention("color", head, m.pos, head, 1.0, m.n - 1))
                out.append(Mention(THING_KIND, t.key, m.pos + m.n - 1, last))
                _say_if_stand_in(r, last, t)
                continue
        if m.slot == "color" and m.n == 1 and prev not in _COPULAS and not _followed_by_noun(r, m, unknown_at):
            t = _thing_exact(word)
            if t is not None:
                out.append(Mention(THING_KIND, t.key, m.pos, word))
                _say_if_stand_in(r, word, t)  # "a raspberry" is drawn as the strawberry
                continue
            if prev in _DETERMINERS and prev not in ("of",):  # "in the sky", "the mud": a noun, not a colour
                nouns.append((m.pos, word))
                continue
        if m.slot == "ambience" and m.n == 1 and (prev in _DETERMINERS or prev in vocab.COUNT_WORDS or any(
                o.pos + o.n == m.pos and o.slot in ("color", "size", "count", "collective") for o in r.mentions)):
            t = _thing_exact(word)
            if t is not None:
                out.append(Mention(THING_KIND, t.key, m.pos, word))
                _say_if_stand_in(r, word, t)
                if word in ("bird", "birds"):
                    out.append(m)  # a bird in the picture sings too
                continue
        out.append(m)
    r.mentions = out
    return nouns


# --------------------------------------------------------------------------- encoder lookup
_CONCEPT_CACHE: dict[str, object] = {}


def concept_key() -> str:
    """Hash of the concept phrases: embeddings stored under another key are stale."""
    texts = [p for _, _, p in vocab.concept_phrases()]
    return hashlib.sha256(("\n".join(texts) + "|all-MiniLM-L6-v2").encode()).hexdigest()[:16]


#: Embeddings of the concept phrases shipped with the package (float16), so that no process has to encode
#: the vocabulary (~1-5 s on 2 busy cores). Rebuilt by ``python -m sora_widgets.engines.sim.parse``.
PACKAGED_CONCEPTS = Path(__file__).with_name("concepts.npz")


def _concept_matrix():
    """(phrases, (n, 384) embeddings) of the concept vocabulary: packaged, else cached on disk, else computed."""
    if "E" in _CONCEPT_CACHE:
        return _CONCEPT_CACHE["cp"], _CONCEPT_CACHE["E"]
    from ...text_encoder import get_encoder

    cp = vocab.concept_phrases()
    key = concept_key()
    E = None
    try:
        with np.load(PACKAGED_CONCEPTS) as z:
            if str(z["key"]) == key:
                E = z["E"].astype(np.float32)
    except (OSError, KeyError, ValueError):
        E = None
    cache = Path.home() / ".cache" / "sora-widgets" / f"sim-concepts-{key}.npy"
    if E is None and cache.exists():
        try:
            E = np.load(cache)
            E = E if E.shape == (len(cp), 384) else None
        except (OSError, ValueError):
            E = None
    enc = get_encoder()
    if enc is None:
        return None, None
    if E is None:
        E = enc.encode([p for _, _, p in cp])
        try:  # the cache is an optimisation; a read-only home must not break generation
            cache.parent.mkdir(parents=True, exist_ok=True)
            tmp = cache.with_suffix(f".{os.getpid()}.tmp.npy")
            np.save(tmp, E)
            tmp.replace(cache)
        except OSError:
            pass
    _CONCEPT_CACHE["cp"], _CONCEPT_CACHE["E"] = cp, E
    return cp, E


def build_packaged_concepts() -> Path:
    """Recompute the shipped concept embeddings (run after changing :mod:`.vocab`)."""
    from ...text_encoder import get_encoder

    E = get_encoder().encode([p for _, _, p in vocab.concept_phrases()])
    np.savez_compressed(PACKAGED_CONCEPTS, key=np.array(concept_key()), E=E.astype(np.float16))
    return PACKAGED_CONCEPTS


def warm_up() -> bool:
    """Load the encoder and the concept embeddings now (e.g. when a widget opens); True if available."""
    cp, E = _concept_matrix()
    return E is not None


def _embed_lookup(words: list[str]) -> list[tuple[str, object, float] | None]:
    """Nearest concept of each word as (slot, value, cosine), or None below that slot's threshold."""
    cp, E = _concept_matrix()
    if E is None:
        return [None] * len(words)
    from ...text_encoder import get_encoder

    enc = get_encoder()
    W = np.stack([enc.encode_one(w) for w in words])
    S = W @ E.T
    out: list[tuple[str, object, float] | None] = []
    for row in S:
        j = int(np.argmax(row))
        slot, value, _ = cp[j]
        score = float(row[j])
        out.append((slot, value, score) if score >= _THRESHOLDS.get(slot, 0.6) else None)
    return out


# --------------------------------------------------------------------------- building
def default_scene() -> dict:
    """The scene an empty reading gives: one red rubber ball dropped on a wooden floor, by day, quiet."""
    return {
        "version": SCENE_VERSION,
        "objects": [],
        "setting": "floor",
        "gravity": vocab.SETTINGS["floor"]["gravity"],
        "time": "day",
        "camera": "static",
        "ambience": ["quiet"],
        "ramp": False,
        "outcome": None,
        "lines": [],
    }


def _group(kind: str, count: int = 1, thing: str | None = None) -> dict:
    """A scene group with its kind's defaults; ``thing`` names a catalogue entry when ``kind == THING_KIND``."""
    if kind == THING_KIND:
        return {"count": int(count), "size": "medium", "motion": None, "direction": None, "cameo": None,
                "target": None, **group_defaults(get_thing(thing))}
    spec = vocab.OBJECTS[kind]
    return {"kind": kind, "count": int(count), "color": spec["color"], "size": "medium",
            "material": spec["material"], "motion": None, "direction": None, "cameo": None, "target": None}


def _rgb(color: str) -> list[int]:
    return list(vocab.hex_to_rgb(vocab.colors()[color]))


@dataclass
class _Changes:
    """What a reading says, slot by slot (None = not mentioned)."""

    groups: list[dict] = field(default_factory=list)
    group_explicit: list[set] = field(default_factory=list)
    loose: dict = field(default_factory=dict)  # modifiers not attached to any noun (edit "make it blue")
    setting: str | None = None
    gravity: float | None = None
    time: str | None = None
    camera: str | None = None
    ambience: list[str] = field(default_factory=list)
    ramp: bool = False
    outcome: str | None = None
    hoop_words: bool = False
    lines: list[dict] = field(default_factory=list)
    removed: list[dict] = field(default_factory=list)
    setting_from_special: str | None = None
    relations: list[dict] = field(default_factory=list)  # {"a": i, "rel": ..., "b": j, ("c": k)}
    places: dict[int, float] = field(default_factory=dict)  # group -> x fraction ("a dog on the left")
    strength: dict[str, float] = field(default_factory=dict)  # evidence behind each single-valued slot
    backdrop: str | None = None  # vocab.BACKDROPS: the place drawn behind the action
    style: str | None = None  # vocab.STYLES: the render style
    style_words: list[str] = field(default_factory=list)  # "style", "in the style of": placed with a style
    pace: str | None = None  # vocab.PACES: slow motion, time lapse


_MODIFIERS = ("color", "size", "material", "count")
#: Catalogue groups (Unicode emoji subgroups) whose things act on others: animals, people, vehicles.
_ACTING_GROUPS = ("animal", "person", "people", "transport", "sport")
_NOUNS = ("object", "special", "cameo", THING_KIND, "pronoun")


def _can_act(g: dict) -> bool:
    """People, animals and cameos do things to other things (catalogue animals count as figures too)."""
    if g["kind"] == THING_KIND:
        return get_thing(g["thing"]).group.startswith(_ACTING_GROUPS)
    return g["kind"] in _FIGURES or bool(g.get("cameo"))


def _changes(r: Reading) -> _Changes:
    ch = _Changes()
    pending: dict = {}
    pending_pos: int | None = None
    clause_groups: dict[int, list[int]] = {}
    last_motion_groups: list[int] = []
    remove_positions = sorted(r.edit_remove_at)
    speaker_at: list[tuple[int, str]] = []
    collective: dict | None = None  # {"kind", "pos"}: "a family of" waiting for its count or noun
    relation: dict | None = None  # {"rel", "a", "objs", "clause"}: "A left of" waiting for B
    patient: dict | None = None  # {"motion", "clause"}: "kicks" waiting for what is kicked
    explicit_count = False
    since_verb: list[int] = []  # groups named since the last verb: the subject of the next one

    def clause(pos: int) -> int:
        return r.clause_of[pos] if pos < len(r.clause_of) else (r.clause_of[-1] if r.clause_of else 0)

    def determiner(pos: int) -> str:
        """The word before the noun at ``pos``, skipping its adjectives ("the big red ball" -> "the")."""
        j = pos - 1
        mods = {p for m in r.mentions if m.slot in ("color", "size", "material") for p in range(m.pos, m.pos + m.n)}
        while j >= 0 and j in mods:
            j -= 1
        return r.tokens[j] if j >= 0 else ""

    def refer(kind: str, thing: str | None, cameo: str | None, pos: int) -> int | None:
        """The group a definite noun names again ("the ball" after "a ball"), if any."""
        if cameo or determiner(pos) not in _DEFINITE:
            return None
        colour = pending.get("color")
        for gi in range(len(ch.groups) - 1, -1, -1):
            g = ch.groups[gi]
            if g["kind"] == kind and g.get(THING_KIND) == thing and (colour is None or g["color"] == colour):
                return gi
        return None

    def attach(gi: int, pos: int) -> None:
        """``gi`` is named at ``pos``: it joins the clause and takes a pending relation or verb."""
        nonlocal relation, patient
        c = clause(pos)
        if gi not in clause_groups.setdefault(c, []):
            clause_groups[c].append(gi)
        if relation is not None and relation["clause"] == c and relation["a"] != gi:
            relation["objs"].append(gi)
            need = 2 if relation["rel"] == "between" else 1
            if len(relation["objs"]) >= need:
                rel = {"a": relation["a"], "rel": relation["rel"], "b": relation["objs"][0]}
                if need == 2:
                    rel["c"] = relation["objs"][1]
                ch.relations.append(rel)
                relation = None
        if patient is not None and patient["clause"] == c and gi not in patient["agents"]:
            ch.groups[gi]["motion"] = patient["motion"]
            ch.group_explicit[gi].add("motion")
            last_motion_groups[:] = [gi]
            patient = None
        elif gi not in since_verb:
            since_verb.append(gi)

    def new_group(kind: str, pos: int, extra: dict | None = None, cameo: str | None = None,
                  thing: str | None = None) -> None:
        nonlocal pending, pending_pos, collective, explicit_count
        collective = None
        same = refer(kind, thing, cameo, pos)
        if same is not None:
            for k, v in pending.items():
                if k in ("count", "place") or (k == "motion" and "motion" in ch.group_explicit[same]):
                    continue
                ch.groups[same][k] = v
                ch.group_explicit[same].add(k)
            if "place" in pending:
                ch.places[same] = pending["place"]
            pending, pending_pos, explicit_count = {}, None, False
            attach(same, pos)
            return
        count = pending.pop("count", 1)
        if count > vocab.MAX_COUNT:
            r.notes.append(f"at most {vocab.MAX_COUNT} objects per group; {count} reduced")
            count = vocab.MAX_COUNT
        g = _group(kind, count, thing)
        explicit = set()
        for k, v in (extra or {}).items():
            if k in g:
                g[k] = v
        place = pending.pop("place", None)
        for k, v in pending.items():
            g[k] = v
            explicit.add(k)
        if "count" in (extra or {}):
            g["count"] = extra["count"]
        if cameo:
            g["cameo"] = cameo
        had_motion = "motion" in pending
        pending = {}
        pending_pos = None
        explicit_count = False
        is_removal = any(p < pos and clause(p) == clause(pos) for p in remove_positions)
        if is_removal:
            ch.removed.append(g)
            return
        ch.groups.append(g)
        ch.group_explicit.append(explicit)
        gi = len(ch.groups) - 1
        if place is not None:
            ch.places[gi] = place
        speaker_at.append((pos, f"@{cameo}" if cameo else (thing or kind)))
        if had_motion:
            last_motion_groups[:] = [gi]
        attach(gi, pos)

    def flush_collective(pos: int) -> None:
        nonlocal collective
        if collective is not None:
            kind = collective["kind"]
            collective = None
            if kind is not None:
                new_group(kind, pos)
            else:
                pending.pop("count", None)

    at: dict[int, Mention] = {}
    for o in r.mentions:  # where a bird is both seen and heard, the thing stands at that word
        if o.pos not in at or o.slot in _NOUNS:
            at[o.pos] = o

    def noun_after(m: Mention) -> bool:
        """Whether the words right after ``m`` (past determiners and adjectives) name a thing: the verb's object."""
        j = m.pos + m.n
        while j < len(r.tokens):
            o = at.get(j)
            if o is not None and o.slot in ("color", "size", "material", "count"):
                j += o.n
            elif o is None and (r.tokens[j] in _DETERMINERS or r.tokens[j] in ("up", "over", "down", "away")):
                j += 1
            else:
                break
        o = at.get(j)
        return o is not None and o.slot in _NOUNS + ("collective",)

    def describes_nothing(m: Mention) -> bool:
        """A colour/size/material whose noun was not placed ("a red pillow") or is the ground or a sound."""
        j = m.pos + m.n
        while j in at and at[j].slot in ("color", "size", "material"):
            j += at[j].n
        return j in r.unparsed_at or (j in at and at[j].slot in ("ambience", "ramp"))

    def stronger(slot: str, m: Mention) -> bool:
        """True if ``m`` is at least as strong as what set ``slot`` so far (the strongest evidence wins)."""
        s = m.strength
        if m.strength >= 1.0 and any(t in _LOCATIVES for t in r.tokens[max(0, m.pos - 2): m.pos]):
            s += 0.25
        if s >= ch.strength.get(slot, 0.0):
            ch.strength[slot] = s
            return True
        return False

    for m in r.mentions:
        c = clause(m.pos)
        if collective is not None and not (m.slot == "count" and m.pos > collective["pos"]) and m.slot not in (
                "object", "special", THING_KIND, "color", "size", "material"):
            flush_collective(m.pos)
        if relation is not None and relation["clause"] != c:
            relation = None
        if patient is not None and patient["clause"] != c:
            patient = None
        # modifiers left over from a finished clause belong to that clause's last object ("the ball is red.")
        if pending and pending_pos is not None and clause(pending_pos) != c and clause_groups.get(clause(pending_pos)):
            gi = clause_groups[clause(pending_pos)][-1]
            for k, v in pending.items():
                if k == "place":
                    ch.places[gi] = v
                elif k != "count":
                    ch.groups[gi][k] = v
                    ch.group_explicit[gi].add(k)
            pending, pending_pos = {}, None
        if m.slot in _MODIFIERS:
            if m.slot != "count" and describes_nothing(m):
                continue
            if m.slot == "count" and collective is not None:
                pending["count"] = int(m.value)  # "a family of five": the number after the collective
                explicit_count = True
            elif m.slot == "count" and "count" in pending and (pending["count"] != 1 or explicit_count):
                pass  # "two" then "a" ("two of a kind"): keep the first
            else:
                pending[m.slot] = int(m.value) if m.slot == "count" else m.value
                if m.slot == "count":
                    explicit_count = int(m.value) != 1
            pending_pos = m.pos if pending_pos is None else pending_pos
        elif m.slot == "collective":
            kind, n = m.value
            if not explicit_count:
                pending["count"] = int(n)
            collective = {"kind": kind, "pos": m.pos}
            pending_pos = m.pos if pending_pos is None else pending_pos
        elif m.slot == "object":
            new_group(str(m.value), m.pos)
        elif m.slot == THING_KIND:
            new_group(THING_KIND, m.pos, thing=str(m.value))
        elif m.slot == "special":
            spec = dict(vocab.SPECIAL_OBJECTS[str(m.value)])
            kind = spec.pop("kind")
            if "setting" in spec:
                ch.setting_from_special = spec.pop("setting")
            new_group(kind, m.pos, spec)
        elif m.slot == "cameo":
            new_group("person", m.pos, cameo=str(m.value))
        elif m.slot == "pronoun":
            want = m.value
            for gi in range(len(ch.groups) - 1, -1, -1):
                fig = _can_act(ch.groups[gi]) and ch.groups[gi]["kind"] != THING_KIND
                if relation is not None and relation["a"] == gi:
                    continue  # "a cat on her head": her is not the cat
                if want == "any" or (want == "figure") == fig:
                    attach(gi, m.pos)
                    break
        elif m.slot == "relation":
            subj = [gi for gi in clause_groups.get(c, [])]
            if subj:
                relation = {"rel": str(m.value), "a": subj[-1], "objs": [], "clause": c}
        elif m.slot == "place":
            idx = clause_groups.get(c, [])
            if idx and pending_pos is None:
                ch.places[idx[-1]] = float(m.value)
            else:
                pending["place"] = float(m.value)
                pending_pos = m.pos if pending_pos is None else pending_pos
        elif m.slot in ("motion", "direction"):
            idx = clause_groups.get(c, [])
            if m.slot == "motion":
                trans = vocab.TRANSITIVE.get(m.words)
                free = [i for i in idx if "motion" not in ch.group_explicit[i]]
                subject = [i for i in since_verb if i in free]
                since_verb.clear()
                if trans is not None and noun_after(m):
                    # "a child kicks a ball": the doer acts, the next thing named is done to
                    agents = [i for i in idx if _can_act(ch.groups[i])]
                    figures.note_motion([ch.groups[i] for i in agents], m.words)  # the kicker kicks
                    for i in agents:
                        if i in free and trans[0] != "rest":
                            ch.groups[i]["motion"] = trans[0]
                            ch.group_explicit[i].add("motion")
                    movers = [i for i in free if i not in agents]
                    for i in movers:  # "the ball is kicked across": things before the verb are done to
                        ch.groups[i]["motion"] = trans[1]
                        ch.group_explicit[i].add("motion")
                    patient = {"motion": trans[1], "clause": c, "agents": agents}
                    if agents:
                        last_motion_groups[:] = agents
                    continue
                if trans is not None and idx and all(_can_act(ch.groups[i]) for i in free) and free:
                    if trans[0] != "rest":  # "a dog chases": the doer does its part; nobody is thrown
                        for i in free:
                            ch.groups[i]["motion"] = trans[0]
                            ch.group_explicit[i].add("motion")
                        last_motion_groups[:] = free
                    continue
                targets = subject or free or idx[-1:]
                if not targets:
                    pending["motion"] = m.value
                    pending_pos = m.pos if pending_pos is None else pending_pos
                    continue
                for i in targets:
                    ch.groups[i]["motion"] = m.value
                    ch.group_explicit[i].add("motion")
                figures.note_motion([ch.groups[i] for i in targets], m.words)  # a person who falls topples
                last_motion_groups[:] = targets
            else:
                targets = [i for i in last_motion_groups if i in idx] or idx
                if not targets:
                    pending["direction"] = m.value
                    pending_pos = m.pos if pending_pos is None else pending_pos
                    continue
                for i in targets:
                    ch.groups[i]["direction"] = m.value
                    ch.group_explicit[i].add("direction")
        elif m.slot == "action":  # a figure's action (figures.py): its doers are the things named before it
            if m.value.get("noun"):
                new_group(str(m.value["noun"]), m.pos)
            figures.assign([ch.groups[i] for i in (since_verb or clause_groups.get(c, []))], m.value, pending)
            if m.value.get("setting") and stronger("setting", Mention("setting", m.value["setting"], m.pos,
                                                                      m.words, 0.5)):
                ch.setting = str(m.value["setting"])  # skating: on ice, swimming: by the sea, unless told
        elif m.slot == "style":
            if m.value is None:
                ch.style_words.append(m.words)
            elif stronger("style", m):
                ch.style = str(m.value)
        elif m.slot in ("setting", "backdrop"):
            nxt = at.get(m.pos + m.n)
            if nxt is not None and nxt.slot in _NOUNS and nxt.slot != "pronoun":
                continue  # "a school bus", "a kitchen robot": the place word describes the thing after it
            relation = None  # "a ball on the grass": the ground, not a second thing
            if pending_pos is not None and pending_pos >= m.pos - 2:
                # "a wooden floor", "green grass": the modifiers describe the ground, not an object
                pending = {k: v for k, v in pending.items() if k in ("motion", "direction", "place")}
                pending_pos = None if not pending else pending_pos
            if m.slot == "backdrop":  # a place: drawn behind, and its ground unless a ground was named
                if stronger("backdrop", m):
                    ch.backdrop = str(m.value)
                m = Mention("setting", vocab.BACKDROPS[ch.backdrop]["setting"], m.pos, m.words, m.strength * 0.9,
                            m.n)
            if stronger("setting", m):
                ch.setting = str(m.value)
            if m.value == "gym" and m.words in ("hoop", "hoops", "backboard", "rim", "basket", "panier"):
                ch.hoop_words = True
        elif m.slot == "time":
            if stronger("time", m):
                ch.time = str(m.value)
        elif m.slot == "camera":
            if stronger("camera", m):
                ch.camera = str(m.value)
        elif m.slot == "pace":  # the longest phrase wins: "super slow motion" over "slow motion"
            if ch.pace is None or len(m.words) > ch.strength.get("pace_len", 0):
                ch.pace = str(m.value)
                ch.strength["pace_len"] = len(m.words)
        elif m.slot == "ambience":
            if m.value not in ch.ambience:
                ch.ambience.append(str(m.value))
        elif m.slot == "gravity":
            ch.gravity = float(m.value)
        elif m.slot == "ramp":
            ch.ramp = True
        elif m.slot == "outcome":
            ch.outcome = str(m.value)
    flush_collective(len(r.tokens))
    if pending:
        last = ch.groups[-1] if ch.groups else None
        if last is not None:
            for k, v in pending.items():
                if k == "place":
                    ch.places[len(ch.groups) - 1] = v
                elif k != "count":
                    last[k] = v
                    ch.group_explicit[-1].add(k)
        else:
            ch.loose = dict(pending)
    for pos, text in r.lines:
        speaker = None
        for spos, name in speaker_at:
            if spos < pos:
                speaker = name
        # "a woman stands next to a dog and says '...'": a speech verb right after "and" has the clause's
        # subject (its first object) as speaker, not the last thing named
        v = pos - 1
        if v >= 1 and r.tokens[v] in _SPEECH_VERBS and r.tokens[v - 1] in _CONJUNCTIONS:
            firsts = [(spos, name) for spos, name in speaker_at if spos < pos and clause(spos) == clause(pos)]
            if firsts:
                speaker = firsts[0][1]
        if speaker is None and speaker_at:
            speaker = speaker_at[0][1]
        ch.lines.append({"speaker": speaker, "text": text[:300]})
    return ch


def _finish_groups(scene: dict) -> None:
    """Fill colours as RGB, default motions, and shot targets; keep object names stable."""
    gym = scene["setting"] == "gym"
    for g in scene["objects"]:
        g["rgb"] = _rgb(g["color"])
        if g["motion"] is None and g["direction"] is not None:
            g["motion"] = {"ball": "roll", "can": "roll", "cat": "walk", "dog": "walk", "person": "walk"}.get(
                g["kind"], "slide")
        if gym and g["kind"] == "ball" and g["motion"] in (None, "drop", "throw"):
            if g["motion"] == "throw" or scene.get("_hoop_words"):
                g["motion"] = "throw"
                g["target"] = "hoop"
        if g["motion"] == "throw" and g["target"] is None and g["direction"] is None:
            g["direction"] = "right"
    if gym and any(g["target"] == "hoop" for g in scene["objects"]) and scene["outcome"] is None:
        scene["outcome"] = "miss" if scene.get("_hoop_words") else "score"
    scene.pop("_hoop_words", None)


def _apply(scene: dict, ch: _Changes, *, fresh: bool) -> dict:
    if ch.setting_from_special and (fresh or ch.setting is None) and ch.setting is None:
        ch.setting = ch.setting_from_special
    if ch.setting is not None:
        scene["setting"] = ch.setting
        scene["gravity"] = vocab.SETTINGS[ch.setting]["gravity"]
        if ch.setting in ("moon", "space") and scene["time"] == "day":
            scene["time"] = "night" if ch.setting == "space" else "day"
    if ch.gravity is not None:
        scene["gravity"] = ch.gravity
        if ch.gravity == 0 and ch.setting is None and fresh:
            scene["setting"] = "space"  # "floats in zero gravity": nothing to stand on
    if ch.time is not None:
        scene["time"] = ch.time
    if ch.camera is not None:
        scene["camera"] = ch.camera
    if ch.pace is not None:
        scene["pace"] = ch.pace
    if ch.backdrop is not None:
        scene["backdrop"] = ch.backdrop
    if ch.style is not None:
        scene["style"] = ch.style
    if ch.ambience:
        scene["ambience"] = ch.ambience
    elif fresh and scene["setting"] in ("gym",) and scene["ambience"] == ["quiet"]:
        scene["ambience"] = ["quiet"]
    if ch.ramp:
        scene["ramp"] = True
    if ch.outcome is not None:
        scene["outcome"] = ch.outcome
    if ch.lines:
        scene["lines"] = ch.lines
    scene["_hoop_words"] = ch.hoop_words or (not fresh and scene.get("outcome") == "miss")
    return scene


#: x fractions of the frame that a layout spreads placed things over (the margins keep them whole in view)
_X_SPAN = (0.18, 0.82)
_DEPTH_SHIFT = 0.07  # a thing behind / in front of another stands this share of the width to its side


def _place(groups: list[dict], relations: list[dict], places: dict[int, float]) -> list[dict]:
    """Turn spatial relations into layout constraints: each group gets ``place`` = {"x": fraction of the
    width, "on": index of the group it rests on, "depth": -1 behind / +1 in front}; returns the relations
    as written in the scene (``{"a": i, "rel": ..., "b": j}``, indices into ``objects``).

    Left/right/between order the groups along x (a topological order, ties in the order they were named);
    on/under/above/behind/in front of put two groups at the same x; next_to keeps them neighbours.
    """
    n = len(groups)
    same = list(range(n))  # union-find: groups standing at the same x

    def root(i: int) -> int:
        while same[i] != i:
            same[i] = same[same[i]]
            i = same[i]
        return i

    before: set[tuple[int, int]] = set()
    depth: dict[int, int] = {}
    on: dict[int, int] = {}
    for rel in relations:
        a, b, kind = rel["a"], rel["b"], rel["rel"]
        if kind == "left_of":
            before.add((a, b))
        elif kind == "right_of":
            before.add((b, a))
        elif kind == "between":
            before |= {(b, a), (a, rel["c"])}
        elif kind in ("on", "above", "under", "behind", "front"):
            top, bottom = (b, a) if kind == "under" else (a, b)
            if kind in ("on", "above", "under"):
                on[top] = bottom
            else:
                depth[a] = -1 if kind == "behind" else 1
            same[root(a)] = root(b)
    classes = sorted({root(i) for i in range(n)}, key=lambda c: min(i for i in range(n) if root(i) == c))
    edges = {(root(a), root(b)) for a, b in before if root(a) != root(b)}
    order: list[int] = []
    left = list(classes)
    while left:  # Kahn's algorithm; a cycle ("A left of B, B left of A") falls back to the order named
        ready = [c for c in left if not any((p, c) in edges for p in left if p != c)] or left[:1]
        order.append(ready[0])
        left.remove(ready[0])
    lo, hi = _X_SPAN
    xs = {c: lo + (hi - lo) * (k + 0.5) / len(order) for k, c in enumerate(order)}
    for c in order:  # an explicit "on the left" wins for its group
        for i in range(n):
            if root(i) == c and i in places:
                xs[c] = places[i]
    for i, g in enumerate(groups):
        place = {"x": round(xs[root(i)] + _DEPTH_SHIFT * depth.get(i, 0) * 0.5, 4)}
        if i in on:
            place["on"] = on[i]
            if g.get("motion") is None:
                g["motion"] = "rest"  # a thing on another stays there
        if i in depth:
            place["depth"] = depth[i]
        g["place"] = place
    return [dict(rel) for rel in relations]


def parse_prompt(text: str) -> dict:
    """Read ``text`` into a scene dict (JSON-serialisable) plus ``"unparsed"`` (words it could not place).

    Always returns a usable scene: with no recognisable object, a ball is added.
    """
    if not isinstance(text, str) or not text.strip():
        raise ValueError("the prompt is empty: describe the scene, e.g. 'a red ball bounces on a wooden floor'.")
    r = _read(text)
    ch = _changes(r)
    scene = default_scene()
    _apply(scene, ch, fresh=True)
    groups = ch.groups
    # "alley", "a beach at sunset": the place is the scene and no default ball stands in; but a material with no
    # noun names the thing ("a glass falls on the floor" is a drinking glass, "pebbles on the beach" stones)
    if not groups and (ch.backdrop is not None or ch.setting is not None) and "material" not in ch.loose:
        pass
    elif not groups:
        g = _group("ball")
        for k, v in ch.loose.items():
            if k == "count":
                g["count"] = min(int(v), vocab.MAX_COUNT)
            else:
                g[k] = v
        groups = [g]
    scene["objects"] = groups
    if ch.groups and (ch.relations or ch.places):
        scene["relations"] = _place(groups, ch.relations, ch.places)
    _finish_groups(scene)
    used = effects.read(r.tokens, scene)  # water, pouring, breaking, dominoes, boards (issue 18 item 4)
    unplaced = r.unparsed + ([w for p in ch.style_words for w in p.split()] if ch.style is None else [])
    scene["unparsed"] = [w for w in dict.fromkeys(unplaced) if w not in used]
    if r.substitutions:
        scene["substitutions"] = list(dict.fromkeys(r.substitutions))
    if r.notes:
        scene["notes"] = r.notes
    return scene


def leave_out(scene: dict, negative_prompt: str) -> tuple[dict, list[str]]:
    """Honour a negative prompt: the things it names are left out of ``scene``.

    Args:
        scene: a scene dict (from :func:`parse_prompt`); not changed.
        negative_prompt: what the user does not want, e.g. ``"box, dog"``; read with the same vocabulary
            as prompts (only the things it names matter; its colours, settings and verbs are ignored).

    Returns:
        ``(new scene, kinds left out)``. A scene left with nothing in it stays empty: the user asked for
        that, so the default ball is not put back.
    """
    if not isinstance(negative_prompt, str) or not negative_prompt.strip():
        return scene, []
    # A negative prompt is already negative: "no box" means "box" here (the prompt reader would drop it).
    listed = re.sub(r"\b(?:no|not|without|never|don'?t|avoid)\b", " ", negative_prompt, flags=re.IGNORECASE)
    banned = {(g["kind"], g.get(THING_KIND)) for g in _changes(_read(listed)).groups}  # "no horse" keeps the car
    new = copy.deepcopy(scene)
    kept = [g for g in new.get("objects", []) if g.get("cameo") or (g["kind"], g.get(THING_KIND)) not in banned]
    removed = list(dict.fromkeys(g.get(THING_KIND) or g["kind"] for g in new.get("objects", []) if g not in kept))
    new["objects"] = kept
    return new, removed


def _matches(g: dict, want: dict) -> bool:
    if want.get("cameo"):
        return g.get("cameo") == want["cameo"]
    return g["kind"] == want["kind"]


def apply_edit(scene: dict, edit_text: str) -> tuple[dict, list[str]]:
    """Change only what ``edit_text`` talks about; return (new scene, unparsed words).

    - setting / time / camera / ambience / gravity words replace those slots ("now on the moon", "at night",
      "in the rain");
    - a colour, size, material, motion or direction with no object ("make it blue", "make them roll left") applies
      to every object; with an object ("make the ball blue") to the objects of that kind;
    - "add ..." / "more" / "another" adds objects (to a group of the same kind and colour if there is one);
    - "remove the box" / "without the cat" deletes those groups;
    - a quoted line replaces the spoken lines.
    """
    if not isinstance(edit_text, str) or not edit_text.strip():
        raise ValueError("the edit is empty: say what to change, e.g. 'now on the moon' or 'make it blue'.")
    validate_scene(scene)
    new = copy.deepcopy({k: v for k, v in scene.items() if k != "unparsed"})
    base = default_scene()
    for k, v in base.items():
        new.setdefault(k, v)
    # fill what a hand-made scene omits
    new["objects"] = [{**_group(o["kind"], thing=o.get(THING_KIND)), **o} for o in new["objects"]]
    r = _read(edit_text)
    ch = _changes(r)
    _apply(new, ch, fresh=False)
    new["_hoop_words"] = False
    for g in ch.removed:
        new["objects"] = [o for o in new["objects"] if not _matches(o, g)]
    for g, explicit in zip(ch.groups, ch.group_explicit, strict=True):
        same = [o for o in new["objects"] if _matches(o, g)]
        if r.edit_add or not same:
            if r.edit_add and same and ("color" not in explicit or same[0]["color"] == g["color"]):
                same[0]["count"] = min(vocab.MAX_COUNT, same[0]["count"] + g["count"])
            else:
                if not r.edit_add and not same and new["objects"] and _is_replacement(r):
                    # "make it a cube": turn the first object into this kind, keeping its other attributes
                    o = new["objects"][0]
                    o["kind"] = g["kind"]
                    for k in explicit:
                        o[k] = g[k]
                    continue
                new["objects"].append(g)
        else:
            for o in same:
                for k in explicit:
                    if k != "count" or g[k] != 1:
                        o[k] = g[k]
    for k, v in ch.loose.items():
        if k == "count":
            continue
        for o in new["objects"]:
            if k == "color" and o.get("cameo"):
                continue
            o[k] = v
    if not new["objects"]:
        new["objects"].append(_group("ball"))
    _finish_groups(new)
    used = effects.read(r.tokens, new)  # "now in the water", "make it shatter" (issue 18 item 4)
    return new, [w for w in dict.fromkeys(r.unparsed) if w not in used]


def validate_scene(scene: dict) -> None:
    """Raise ValueError (naming the allowed values) if a scene dict cannot be simulated."""
    if not isinstance(scene, dict) or not isinstance(scene.get("objects"), list):
        raise ValueError("a scene must be a dict with an 'objects' list, such as clip.meta['scene'].")
    checks = [("setting", vocab.SETTINGS), ("time", vocab.TIMES), ("camera", vocab.CAMERAS)]
    for key, table in checks:
        if key in scene and scene[key] not in table:
            raise ValueError(f"scene {key} {scene[key]!r} is unknown; use one of: {', '.join(table)}.")
    for amb in scene.get("ambience") or []:
        if amb not in vocab.AMBIENCES:
            raise ValueError(f"scene ambience {amb!r} is unknown; use any of: {', '.join(vocab.AMBIENCES)}.")
    for g in scene["objects"]:
        if not isinstance(g, dict) or g.get("kind") not in (*vocab.OBJECTS, THING_KIND):
            raise ValueError(f"scene object {g!r} needs a kind among: {', '.join(vocab.OBJECTS)}, thing.")
        if g["kind"] == THING_KIND:
            try:
                get_thing(str(g.get(THING_KIND)))
            except (KeyError, ValueError) as exc:
                raise ValueError(f"scene thing {g.get('thing')!r} is not in the catalogue (things.find names "
                                 "them).") from exc
        for key, table in (("material", vocab.MATERIALS), ("size", vocab.SIZES)):
            if key in g and g[key] not in table:
                raise ValueError(f"scene object {key} {g[key]!r} is unknown; use one of: {', '.join(table)}.")
        if "color" in g and g["color"] not in vocab.colors():
            raise ValueError(f"scene object colour {g['color']!r} is not a CSS or XKCD colour name.")
        if not isinstance(g.get("count", 1), int) or not 1 <= g.get("count", 1) <= vocab.MAX_COUNT:
            raise ValueError(f"scene object count must be 1..{vocab.MAX_COUNT}; got {g.get('count')!r}.")


def _is_replacement(r: Reading) -> bool:
    return r.edit_replace and not r.edit_add


if __name__ == "__main__":  # pragma: no cover
    print(build_packaged_concepts())
