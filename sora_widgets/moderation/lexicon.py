"""The pattern layer: words and phrases per category, matched on normalised text.

Two jobs. (1) Spans: they say *which words* triggered a category, for the user's
reason and the reviewer's highlight. (2) Features: a hit per category is fed to
the classifier beside the sentence embedding, so it learns when a word matters
("a porn video") and when it does not ("a documentary about ISIS").

Only the few phrases under ``STRONG`` act on their own (a floor on the score):
ones with no benign reading in a video prompt. Patterns are regular expressions
over the output of :func:`normalise` (lower case, accents gone, leetspeak undone),
with ``\\s?`` where people run words together ("killyourself").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .normalise import Normalised
from .verdict import CATEGORIES

__all__ = ["Hit", "find_hits", "hit_vector", "STRONG_FLOOR"]

_MINOR = (
    r"(?:child(?:ren)?|kids?|minors?|underage|preteens?|toddlers?|bab(?:y|ies)|little (?:girl|boy)s?|"
    r"school\s?(?:girl|boy|children)s?|(?:[1-9]|1[0-7])\s?(?:-?\s?years?\s?-?\s?old|yo|ans)|"
    r"(?:nine|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|eight|seven)\s?-?\s?years?\s?-?\s?old|"
    r"enfants?|fillette|jailbait|loli)"
)
_SEXUAL = (
    r"(?:porn\w*|sex(?:ual\w*|y)?|nude|naked|nudity|erotic\w*|xxx|nsfw|strip\w*|undress\w*|masturbat\w*|"
    r"orgasm\w*|intercourse|genitals?|penis|vagina|lingerie|seductive\w*|nus?|porno|sexuelle?s?)"
)
_SEXUAL_EXPLICIT = r"(?:porn\w*|sex(?:ual\w*|y)?|erotic\w*|xxx|nsfw|masturbat\w*|orgasm\w*|intercourse|seductive\w*|sexuelle?s?)"

PATTERNS: dict[str, list[str]] = {
    "sexual": [
        r"porn\w*", r"\bxxx\b", r"\bnsfw\b", r"\bsex\s?(?:tape|scene|video|act)s?\b", r"having\s?sex",
        r"\bnaked\b", r"\bnude\b", r"\bnudity\b", r"\btopless\b", r"\bmasturbat\w*", r"\berotic\w*",
        r"\bintercourse\b", r"\bgenitals?\b", r"\bpenis\b", r"\bvagina\b", r"\bblow\s?job\b", r"\bcum\w*",
        r"\borgy\b", r"\bhentai\b", r"\bfuck\w*", r"\bstrip(?:ping|tease|per)\b", r"\bthreesome\b",
        r"\bonlyfans\b", r"\bnipples?\b", r"\bmoan\w*", r"\bfemme nue\b", r"\bfont l'amour\b", r"\bsexe\b",
    ],
    "sexual_minors": [
        rf"{_SEXUAL}(?:\W+\w+){{0,6}}?\W+{_MINOR}", rf"{_MINOR}(?:\W+\w+){{0,6}}?\W+{_SEXUAL}",
        r"\bchild\s?porn\w*", r"\bcp\b", r"\bpedo\w*", r"\bpaedo\w*", r"\bjailbait\b", r"\bloli\b",
        r"\bgrooming\b", r"\bunderage\b",
    ],
    "extremism": [
        r"\bisis\b", r"\bislamic state\b", r"\betat islamique\b", r"\bal-?\s?qaeda\b", r"\bjihad\w*", r"\bdjihad\w*",
        r"\bcaliph\w*", r"\bmartyr\w*", r"\bsuicide\s?bomb\w*", r"\bbeheading\b", r"\binfidels?\b",
        r"\bmecreants?\b", r"\btaliban\b", r"\bhezbollah\b", r"\bhamas\b", r"\bneo-?\s?nazi\w*", r"\brace\s?war\b",
        r"\bholy\s?war\b", r"\bkkk\b", r"\bbin laden\b", r"\bterroris\w*", r"\battentat\w*",
        r"\bcar\s?bomb\w*", r"\bbomb\s?vest\b", r"\brecruit\w*", r"\bpropagand\w*", r"\blone wolf\w*",
        r"\bmass shooting\b", r"\bmilitia\b", r"\bunbelievers\b", r"\bcrusaders\b",
    ],
    "self_harm": [
        r"\bkill\s?(?:yourself|myself|urself|themselves|herself|himself)\b", r"\bkys\b", r"\bsuicid\w*",
        r"\bcut\w*\s?(?:yourself|myself|herself|her thighs|deeper)\b", r"\bself\s?-?harm\w*", r"\bpro\s?-?(?:ana|mia)\b",
        r"\bthinspiration\b", r"\bstarv\w*", r"\boverdose\w*", r"\bend (?:it all|your life|your own life|my life)\b",
        r"\bhang (?:yourself|themselves|myself)\b", r"\bnoose\b", r"\bslit\w* (?:their |your |my )?wrists?\b",
        r"\bpurg\w*", r"\bblackout challenge\b", r"\btue-?toi\b", r"\bse suicider\b", r"\bscarifi\w*",
        r"\bjust die\b", r"\btake (?:their|your|my) own life\b", r"\bsuicide pact\b", r"\bdrink bleach\b",
        r"\bhurt themselves\b", r"\brazor blades?\b",
    ],
    "graphic_violence": [
        r"\bgor(?:e|y)\b", r"\bdecapitat\w*", r"\bbehead\w*", r"\bdismember\w*", r"\bdisembowel\w*", r"\bmutilat\w*",
        r"\btortur\w*", r"\bguts\b", r"\bintestines\b", r"\borgans\b", r"\bblood\s?(?:spurting|splatter\w*|gushing|everywhere|dripping)",
        r"\bbloody\b", r"\bsnuff\b", r"\bslash\w*", r"\bgouge\w*", r"\bcannibal\w*", r"\bbeaten to death\b",
        r"\bbeating a man to death\b", r"\bflesh\b", r"\bcorpse\w*", r"\bdecapite\b", r"\bsang partout\b",
        r"\bbutchered alive\b", r"\bthroat (?:being )?(?:cut|slashed)\b", r"\blynching\b",
    ],
    "hate": [
        r"\bvermin\b", r"\bsubhuman\w*", r"\bexterminat\w*", r"\bcockroach\w*", r"\brats?\b", r"\bsavages?\b",
        r"\bparasites?\b", r"\binferior\b", r"\bracial purity\b", r"\blesser races?\b", r"\bwiped out\b",
        r"\bgassed\b", r"\bmonkeys?\b", r"\bapes?\b", r"\bfilthy\b", r"\bdirty (?:foreigners|animals|virus)\b",
        r"\bfreaks?\b", r"\binvaders?\b", r"\bholocaust never happened\b", r"\bthrown off roofs\b",
        r"\bdebarrasser\b", r"\bvermine\b",
    ],
    "harassment": [
        r"\bslut\w*", r"\bwhore\w*", r"\bbitch\w*", r"\bloser\b", r"\bworthless\b", r"\bugly\b", r"\bfat\b",
        r"\bretard\w*", r"\bdoxx?\w*", r"\bhome address\b", r"\bi know where (?:she|he|you) lives?\b",
        r"\bhumiliat\w*", r"\bmock\w*", r"\bbully\w*", r"\bthreaten\w*", r"\bidiot\b", r"\bmoron\b",
        r"\bharceler\b", r"\bgrosse truie\b", r"@\w+", r"\bwatch (?:her|his|your) back\b",
    ],
    "nonconsensual_likeness": [
        r"\bdeep\s?fakes?\b", r"\bface\s?swap\w*", r"\b(?:her|his|my \w+'s) face on\b", r"\bwithout (?:her|his|their) (?:permission|consent|knowledge)\b",
        r"\bundress (?:this|her|my)\b", r"\bnudify\b", r"\bfrom (?:her|his) (?:photos|selfies|profile|instagram)\b",
        r"\bclone \w+ (?:friend'?s |)voice\b", r"\bfake (?:video|confession|sex tape|apology|cctv|news)\b",
        r"\bphotorealistic\b", r"\blooks? real\b", r"\bimpersonat\w*", r"\bvisage de\b", r"\bshe does not know\b",
        r"\brevoked\b",
    ],
}
# Phrases with no benign reading in a video prompt: they set a floor on the category's score.
STRONG: dict[str, list[str]] = {
    # Only explicitly sexual words next to a child: "a naked baby in the bath" is for the classifier (and a person).
    "sexual_minors": [r"\bchild\s?porn\w*", r"\bcp video\b", r"\bjailbait\b",
                      rf"{_SEXUAL_EXPLICIT}(?:\W+\w+){{0,3}}?\W+{_MINOR}", rf"{_MINOR}(?:\W+\w+){{0,3}}?\W+{_SEXUAL_EXPLICIT}"],
    "self_harm": [r"\bkill\s?yourself\b", r"\bkys\b", r"\bgo hang yourself\b", r"\btue-?toi\b", r"\bjust die\b"],
    "extremism": [r"\bjoin the (?:jihad|caliphate|islamic state)\b", r"\bkill the infidels\b", r"\brejoignez le djihad\b"],
    "sexual": [r"\bporn\w*", r"\bxxx\b", r"\bhentai\b"],
}
STRONG_FLOOR = 0.9

_COMPILED = {c: [re.compile(p) for p in PATTERNS.get(c, [])] for c in CATEGORIES}
_STRONG = {c: [re.compile(p) for p in STRONG.get(c, [])] for c in CATEGORIES}


@dataclass(frozen=True)
class Hit:
    """A lexicon match: ``start``/``end`` index the *source* text the user wrote."""

    category: str
    start: int
    end: int
    text: str
    strong: bool


def find_hits(norm: Normalised) -> list[Hit]:
    """Every lexicon match in ``norm``, mapped back to the source text."""
    hits: list[Hit] = []
    for cat in CATEGORIES:
        strong_spans = [(m.start(), m.end()) for rx in _STRONG[cat] for m in rx.finditer(norm.text)]
        for rx in _COMPILED[cat]:
            for m in rx.finditer(norm.text):
                s, e = norm.source_span(m.start(), m.end())
                strong = any(a <= m.start() < b for a, b in strong_spans)
                hits.append(Hit(cat, s, e, norm.source[s:e], strong))
        for a, b in strong_spans:
            if not any(h.category == cat and h.strong for h in hits):
                s, e = norm.source_span(a, b)
                hits.append(Hit(cat, s, e, norm.source[s:e], True))
    return hits


def hit_vector(hits: list[Hit]) -> list[float]:
    """Per category (in :data:`CATEGORIES` order): 1 if any pattern matched, else 0."""
    cats = {h.category for h in hits}
    return [1.0 if c in cats else 0.0 for c in CATEGORIES]
