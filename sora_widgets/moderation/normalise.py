"""Undo the usual tricks people use to slip words past a filter, keeping a map back to the original.

``normalise("P.0.R.N with kіds")`` -> ``"porn with kids"`` (the ``і`` there is Cyrillic).
Handled: case, accents, Unicode compatibility forms (full-width, ligatures,
mathematical letters), look-alike letters from other scripts (Cyrillic, Greek),
zero-width and other invisible characters, leetspeak inside words (``k1ll``,
``$ex``, ``n@ked``), letters spelt out with spaces or punctuation between them
(``k i l l``, ``p-o-r-n``, ``s.e.x``), punctuation inside words (``n*ked``,
``s_e_x``) and letters stretched by repetition (``pooooorn``).

Every output character remembers the index of the input character it came
from, so a span found in the normalised text can be shown in the text the user
typed.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

__all__ = ["Normalised", "normalise"]

# Letters from other scripts that render like Latin ones (the confusables a filter meets most).
_CONFUSABLES = {
    # Cyrillic
    "а": "a", "в": "b", "е": "e", "ё": "e", "к": "k", "м": "m", "н": "h", "о": "o", "р": "p", "с": "c",
    "т": "t", "у": "y", "х": "x", "ѕ": "s", "і": "i", "ї": "i", "ј": "j", "һ": "h", "ԁ": "d", "ɡ": "g",
    "ԛ": "q", "ԝ": "w", "ӏ": "l",
    # Greek
    "α": "a", "β": "b", "ε": "e", "η": "n", "ι": "i", "κ": "k", "ν": "v", "ο": "o", "ρ": "p", "τ": "t",
    "υ": "u", "χ": "x", "γ": "y", "ς": "s", "σ": "o", "ω": "w",
    # Latin extras that NFKD does not take apart
    "ø": "o", "đ": "d", "ł": "l", "ß": "ss", "æ": "ae", "œ": "oe", "ı": "i", "ɑ": "a", "ℓ": "l",
}
# Leetspeak: only applied to characters standing between letters (or next to one at a word's edge),
# so real numbers ("12 year old", "9/11") keep their digits.
_LEET = {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "8": "b", "@": "a", "$": "s", "!": "i", "|": "l", "€": "e"}
_INVISIBLE = {"\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad", "\u180e"}
# Punctuation people put inside a word to break it up: dropped when letters stand on both sides.
_INNER_PUNCT = set(".-_*'`~^+:;,/\\\"")


@dataclass(frozen=True)
class Normalised:
    """Normalised ``text`` with ``origin[i]`` = index in ``source`` of ``text[i]``."""

    source: str
    text: str
    origin: tuple[int, ...]

    def source_span(self, start: int, end: int) -> tuple[int, int]:
        """The span of ``source`` (character indices, end exclusive) behind ``text[start:end]``."""
        if not self.origin or start >= end:
            return (0, 0)
        end = min(end, len(self.origin))
        return (self.origin[start], self.origin[end - 1] + 1)


def _fold_char(ch: str) -> str:
    """One input character -> its plain lower-case Latin form (possibly empty or several letters)."""
    if ch in _INVISIBLE:
        return ""
    low = ch.lower()
    if low in _CONFUSABLES:
        return _CONFUSABLES[low]
    decomposed = unicodedata.normalize("NFKD", low)
    out = "".join(c for c in decomposed if not unicodedata.combining(c))
    # Anything else outside ASCII (emoji, CJK) is kept as it is: not our business here.
    return "".join(_CONFUSABLES.get(c, c) for c in out.lower())


def _fold(text: str) -> tuple[list[str], list[int]]:
    chars: list[str] = []
    origin: list[int] = []
    for i, ch in enumerate(text):
        for c in _fold_char(ch):
            chars.append(c)
            origin.append(i)
    return chars, origin


def _is_letter(c: str | None) -> bool:
    return c is not None and c.isalpha()


def _unleet(chars: list[str]) -> list[str]:
    """Map leet characters to letters where they sit inside or at the edge of a word with letters."""
    out = list(chars)
    n = len(chars)
    # A "token" is a maximal run of non-space characters; leet only counts in tokens that hold a letter,
    # or in one-character tokens among spelt-out letters ("k 1 l l").
    tokens: list[tuple[int, int]] = []
    i = 0
    while i < n:
        if chars[i].isspace():
            i += 1
            continue
        j = i
        while j < n and not chars[j].isspace():
            j += 1
        tokens.append((i, j))
        i = j
    for t, (i, j) in enumerate(tokens):
        token = chars[i:j]
        letters = sum(c.isalpha() for c in token)
        disguise = sum(c in _LEET or c in _INNER_PUNCT for c in token)
        if len(token) == 1 and token[0] in _LEET:
            near = [tokens[u] for u in (t - 1, t + 1) if 0 <= u < len(tokens)]
            if any(b - a == 1 and chars[a].isalpha() for a, b in near):
                out[i] = _LEET[token[0]]
        elif letters and letters + disguise >= len(token) - 1:
            # Pieces between punctuation: "3-point" keeps its number ("3" has no letter beside it),
            # while spelt-out "p.0.r.n" (every piece one character) is all letters in disguise.
            pieces: list[list[int]] = [[]]
            for k in range(i, j):
                if chars[k] in _INNER_PUNCT and chars[k] not in _LEET:
                    pieces.append([])
                else:
                    pieces[-1].append(k)
            spelt_out = all(len(p) == 1 for p in pieces if p)
            for piece in pieces:
                if not (spelt_out or any(chars[k].isalpha() for k in piece)):
                    continue
                for k in piece:
                    c = chars[k]
                    if c in _LEET and not (c == "!" and k == j - 1):  # a final "!" is punctuation
                        out[k] = _LEET[c]
    return out


def _drop(chars: list[str], origin: list[int], keep: list[bool]) -> tuple[list[str], list[int]]:
    return [c for c, k in zip(chars, keep, strict=True) if k], [o for o, k in zip(origin, keep, strict=True) if k]


def _join_inner_punct(chars: list[str], origin: list[int]) -> tuple[list[str], list[int]]:
    """Separators between two letters go: ``s.e.x`` -> ``sex``, ``k-i-l-l`` -> ``kill``, ``n*k*d`` -> ``nkd``."""
    keep = [True] * len(chars)
    for k, c in enumerate(chars):
        if c in _INNER_PUNCT and 0 < k < len(chars) - 1:
            prev, nxt = chars[k - 1], chars[k + 1]
            if _is_letter(prev) and _is_letter(nxt) and c != "'":
                keep[k] = False
    return _drop(chars, origin, keep)


def _join_spelt_out(chars: list[str], origin: list[int]) -> tuple[list[str], list[int]]:
    """``k i l l`` -> ``kill``: three or more single letters separated by spaces become one word."""
    text = "".join(chars)
    keep = [True] * len(chars)
    # Single spaces join; two or more spaces mark the gap between two spelt-out words.
    for m in re.finditer(r"(?<![a-z])(?:[a-z] ){2,}[a-z](?![a-z])", text):
        for k in range(m.start(), m.end()):
            if text[k] == " ":
                keep[k] = False
    return _drop(chars, origin, keep)


def _squeeze(chars: list[str], origin: list[int]) -> tuple[list[str], list[int]]:
    """Stretched letters: a vowel repeated 3+ times -> 1 (``pooorn`` -> ``porn``), a consonant -> 2
    (``killll`` -> ``kill``); runs of spaces -> one. English never triples a letter, so nothing real is lost.
    """
    keep = [True] * len(chars)
    k = 0
    while k < len(chars):
        c = chars[k]
        run = k
        while run < len(chars) and chars[run] == c:
            run += 1
        if c.isalpha() and run - k >= 3:
            kept = 1 if c in "aeiouy" else 2
            for j in range(k + kept, run):
                keep[j] = False
        k = run
    for k in range(1, len(chars)):
        if chars[k].isspace() and chars[k - 1].isspace():
            keep[k] = False
    chars, origin = _drop(chars, origin, keep)
    chars = [" " if c.isspace() else c for c in chars]
    return chars, origin


def normalise(text: str) -> Normalised:
    """Lower-case, de-obfuscated text for the checks, with a map back to ``text``.

    Raises ``TypeError`` for non-text input (the caller must pass a string).
    """
    if not isinstance(text, str):
        raise TypeError(f"moderation checks text; got {type(text).__name__}")
    chars, origin = _fold(text)
    chars = _unleet(chars)
    chars, origin = _join_inner_punct(chars, origin)
    chars, origin = _join_spelt_out(chars, origin)
    chars, origin = _squeeze(chars, origin)
    # trim
    while chars and chars[0] == " ":
        chars, origin = chars[1:], origin[1:]
    while chars and chars[-1] == " ":
        chars, origin = chars[:-1], origin[:-1]
    return Normalised(text, "".join(chars), tuple(origin))
