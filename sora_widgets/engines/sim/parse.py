"""Prompt -> scene: read an English (or basic French) prompt into a JSON-serialisable scene dict.

Two passes. (1) A reader turns the text into *mentions* — exact keyword phrases
(longest match first, up to four words) from :mod:`.vocab`, quoted lines, and
``@handles``; every other content word goes to the MiniLM encoder, which maps it
onto the nearest concept if it is similar enough (per-slot thresholds, chosen
on a word list so that "kitten", "lunar", "drizzle", "canine" land and
"skyscraper", "zebra", "quantum" do not). Words that land nowhere are
``unparsed``. (2) A builder attaches modifiers to objects (colour/size/material/
count before the noun, motion and direction to the objects of their clause) and
fills defaults, so every prompt yields the closest scene it can.

:func:`apply_edit` reads an edit ("now on the moon", "make it blue", "add two
more balls") with the same reader and changes only the slots it mentions.
"""

from __future__ import annotations

import copy
import hashlib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import vocab

__all__ = ["apply_edit", "leave_out", "parse_prompt", "default_scene", "validate_scene", "SCENE_VERSION"]

SCENE_VERSION = 1
MAX_TOKENS = 200  # longer prompts are read up to here; the rest is reported as ignored

#: Similarity (cosine, MiniLM) a word needs to land on a concept of this slot. Motions, materials and sizes
#: are abstract and cluster together in embedding space, so they need more evidence.
_THRESHOLDS = {"object": 0.5, "setting": 0.5, "ambience": 0.5, "time": 0.55, "camera": 0.6, "color": 0.6,
               "motion": 0.6, "material": 0.6, "size": 0.62, "outcome": 0.6, "direction": 0.65}

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


def _singular(w: str) -> str:
    for suf, rep in (("ies", "y"), ("ves", "f"), ("es", ""), ("s", "")):
        if w.endswith(suf) and len(w) > len(suf) + 2:
            return w[: -len(suf)] + rep
    return w


def _read(text: str) -> Reading:
    r = Reading()
    quotes: list[str] = []

    def _q(m: re.Match) -> str:
        quotes.append(next(g for g in m.groups() if g is not None).strip())
        return f" \x00q{len(quotes) - 1}\x00 "

    body = _QUOTE_RE.sub(_q, text)
    body = _ELISION_RE.sub(r"\1 ", body)  # French elisions: "l'herbe" -> "l herbe"
    tokens = _TOKEN_RE.findall(body.lower())
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
        hit = None
        for n in (4, 3, 2, 1):
            if i + n > len(tokens):
                continue
            phrase = " ".join(tokens[i : i + n])
            if phrase in lex:
                hit = (n, phrase, lex[phrase])
                break
            if n == 1 and _singular(phrase) in lex and lex[_singular(phrase)][0] in ("object", "special"):
                hit = (1, phrase, lex[_singular(phrase)])
        if hit is not None:
            n, phrase, (slot, value) = hit
            if slot == "count" and phrase in ("a", "an") and i + 1 < len(tokens) and tokens[i + 1] in ("few", "dozen"):
                n, phrase, (slot, value) = 2, phrase + " " + tokens[i + 1], lex[phrase + " " + tokens[i + 1]]
            r.mentions.append(Mention(slot, value, i, phrase))
            r.clause_of.extend([clause] * n)
            i += n
            continue
        r.clause_of.append(clause)
        if tok in _EDIT_ADD:
            r.edit_add = True
        elif tok in _EDIT_REPLACE:
            r.edit_replace = True
        elif tok in _EDIT_REMOVE:
            r.edit_remove_at.append(i)
        elif tok not in vocab.STOPWORDS and tok not in _EDIT_WORDS and len(tok) > 1:
            unknown.append((i, tok))
        i += 1
    if unknown:
        placed = _embed_lookup([w for _, w in unknown])
        for (pos, word), hit in zip(unknown, placed, strict=True):
            if hit is None:
                r.unparsed.append(word)
            else:
                r.mentions.append(Mention(hit[0], hit[1], pos, word))
        r.mentions.sort(key=lambda m: m.pos)
    return r


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


def _embed_lookup(words: list[str]) -> list[tuple[str, object] | None]:
    cp, E = _concept_matrix()
    if E is None:
        return [None] * len(words)
    from ...text_encoder import get_encoder

    enc = get_encoder()
    W = np.stack([enc.encode_one(w) for w in words])
    S = W @ E.T
    out: list[tuple[str, object] | None] = []
    for row in S:
        j = int(np.argmax(row))
        slot, value, _ = cp[j]
        out.append((slot, value) if float(row[j]) >= _THRESHOLDS.get(slot, 0.6) else None)
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


def _group(kind: str, count: int = 1) -> dict:
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


def _changes(r: Reading) -> _Changes:
    ch = _Changes()
    pending: dict = {}
    pending_pos: int | None = None
    clause_groups: dict[int, list[int]] = {}
    last_motion_groups: list[int] = []
    removing_from: int | None = None
    remove_positions = sorted(r.edit_remove_at)
    speaker_at: list[tuple[int, str]] = []

    def clause(pos: int) -> int:
        return r.clause_of[pos] if pos < len(r.clause_of) else (r.clause_of[-1] if r.clause_of else 0)

    def new_group(kind: str, pos: int, extra: dict | None = None, cameo: str | None = None) -> None:
        nonlocal pending, pending_pos
        g = _group(kind, pending.pop("count", 1))
        explicit = set()
        for k, v in (extra or {}).items():
            if k in g:
                g[k] = v
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
        is_removal = any(p < pos and clause(p) == clause(pos) for p in remove_positions)
        if is_removal:
            ch.removed.append(g)
            return
        ch.groups.append(g)
        ch.group_explicit.append(explicit)
        clause_groups.setdefault(clause(pos), []).append(len(ch.groups) - 1)
        speaker_at.append((pos, f"@{cameo}" if cameo else kind))
        if had_motion:
            last_motion_groups[:] = [len(ch.groups) - 1]

    for m in r.mentions:
        c = clause(m.pos)
        # modifiers left over from a finished clause belong to that clause's last object ("the ball is red.")
        if pending and pending_pos is not None and clause(pending_pos) != c and clause_groups.get(clause(pending_pos)):
            gi = clause_groups[clause(pending_pos)][-1]
            for k, v in pending.items():
                if k != "count":
                    ch.groups[gi][k] = v
                    ch.group_explicit[gi].add(k)
            pending, pending_pos = {}, None
        if m.slot in ("color", "size", "material", "count"):
            if m.slot == "count" and "count" in pending and pending["count"] != 1:
                pass  # "two" then "a" ("two of a kind"): keep the first
            else:
                pending[m.slot] = min(int(m.value), vocab.MAX_COUNT) if m.slot == "count" else m.value
            if m.slot == "count" and int(m.value) > vocab.MAX_COUNT:
                r.notes.append(f"at most {vocab.MAX_COUNT} objects per group; {m.value} reduced")
            pending_pos = m.pos if pending_pos is None else pending_pos
        elif m.slot == "object":
            new_group(str(m.value), m.pos)
        elif m.slot == "special":
            spec = dict(vocab.SPECIAL_OBJECTS[str(m.value)])
            kind = spec.pop("kind")
            if "setting" in spec:
                ch.setting_from_special = spec.pop("setting")
            new_group(kind, m.pos, spec)
        elif m.slot == "cameo":
            new_group("person", m.pos, cameo=str(m.value))
        elif m.slot in ("motion", "direction"):
            idx = clause_groups.get(c, [])
            if m.slot == "motion":
                free = [i for i in idx if "motion" not in ch.group_explicit[i]]
                if m.value == "throw" and all(ch.groups[i]["kind"] in _FIGURES and not ch.groups[i].get("cameo")
                                              for i in free):
                    free = []  # "someone throws a ball": the thing thrown comes next
                    idx = []
                targets = free or idx[-1:]
                if not targets:
                    pending["motion"] = m.value
                    pending_pos = m.pos if pending_pos is None else pending_pos
                    continue
                for i in targets:
                    ch.groups[i]["motion"] = m.value
                    ch.group_explicit[i].add("motion")
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
        elif m.slot == "setting":
            if pending_pos is not None and pending_pos >= m.pos - 2:
                # "a wooden floor", "green grass": the modifiers describe the ground, not an object
                pending = {k: v for k, v in pending.items() if k in ("motion", "direction")}
                pending_pos = None if not pending else pending_pos
            ch.setting = str(m.value)
            if m.value == "gym" and m.words in ("hoop", "hoops", "backboard", "rim", "basket", "panier"):
                ch.hoop_words = True
        elif m.slot == "time":
            ch.time = str(m.value)
        elif m.slot == "camera":
            ch.camera = str(m.value)
        elif m.slot == "ambience":
            if m.value not in ch.ambience:
                ch.ambience.append(str(m.value))
        elif m.slot == "gravity":
            ch.gravity = float(m.value)
        elif m.slot == "ramp":
            ch.ramp = True
        elif m.slot == "outcome":
            ch.outcome = str(m.value)
    if pending:
        last = ch.groups[-1] if ch.groups else None
        if last is not None:
            for k, v in pending.items():
                if k != "count":
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
    del removing_from
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
    if ch.time is not None:
        scene["time"] = ch.time
    if ch.camera is not None:
        scene["camera"] = ch.camera
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
    if not groups:
        g = _group("ball")
        for k, v in ch.loose.items():
            if k == "count":
                g["count"] = min(int(v), vocab.MAX_COUNT)
            else:
                g[k] = v
        groups = [g]
    scene["objects"] = groups
    _finish_groups(scene)
    scene["unparsed"] = list(dict.fromkeys(r.unparsed))
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
    banned = {g["kind"] for g in _changes(_read(listed)).groups}
    new = copy.deepcopy(scene)
    kept = [g for g in new.get("objects", []) if g.get("cameo") or g["kind"] not in banned]
    removed = list(dict.fromkeys(g["kind"] for g in new.get("objects", []) if g not in kept))
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
    new["objects"] = [{**_group(o["kind"]), **o} for o in new["objects"]]  # fill what a hand-made scene omits
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
    return new, list(dict.fromkeys(r.unparsed))


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
        if not isinstance(g, dict) or g.get("kind") not in vocab.OBJECTS:
            raise ValueError(f"scene object {g!r} needs a kind among: {', '.join(vocab.OBJECTS)}.")
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
