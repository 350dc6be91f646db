"""Key-phrase spotting in speech: was a harmful phrase said that the transcript misheard?

Whisper *base* turns some harmful lines into harmless words ("gas them all" -> "cosmos",
"you are worthless go away" -> "you are what is wrong with"). Reading the transcript alone
misses them. Two steps find them without letting harmless speech through as harmful:

1. **Sounds alike** (cheap, text only): the transcript's words and every key phrase are
   turned into phonemes by espeak-ng (already a system dependency: the sim engine speaks
   with it); a stretch of the transcript whose phonemes are within
   :data:`MAX_PHONE_DISTANCE` (edit distance per phoneme of the phrase) of a key phrase is a
   *candidate*.
2. **The audio agrees** (the recogniser, teacher-forced): the transcript with the stretch
   replaced by the key phrase is scored against the audio beside the transcript itself
   (:func:`sora_widgets.speech.score_phrases`). A candidate whose log probability is within
   :data:`MAX_LOGPROB_GAP` nats of the transcript's is *spotted*: the recogniser finds the
   phrase nearly as likely as what it wrote.

A spotted phrase is never sure: :mod:`.audio` holds the clip for review with the words marked
uncertain, never blocks. Thresholds were tuned on the ``tune`` split of
``tests/data/spoken_lines.csv`` and measured on its ``heldout`` split
(``benchmarks/cameo_bench.py soundtrack``).
"""

from __future__ import annotations

import functools
import shutil
import subprocess
from dataclasses import dataclass

import numpy as np

__all__ = ["Spotted", "phonemes", "candidates", "spot", "MAX_PHONE_DISTANCE", "MAX_LOGPROB_GAP", "MAX_CANDIDATES"]

#: A stretch of the transcript is a candidate when its phoneme edit distance to a key phrase,
#: divided by the phrase's phoneme count, is at most this (0 = the same sounds).
MAX_PHONE_DISTANCE = 0.34
#: A candidate is spotted when the audio scores it at most this many nats (natural log) below the transcript:
#: 0 means at least as likely as what the recogniser wrote. Looser gaps caught few more harmful lines
#: and held harmless sound-alikes ("i hung your shelf" / "hang yourself" scores 3.1 nats below).
MAX_LOGPROB_GAP = 0.0
#: At most this many candidates per clip are scored against the audio (closest sounds first): bounds the cost.
MAX_CANDIDATES = 6
#: Longest audio scored in one pass (s); Whisper hears 30 s at a time. Longer clips are scored around each candidate.
_WHOLE_CLIP_S = 28.0
#: Seconds of audio kept either side of a candidate's words when the clip is longer than ``_WHOLE_CLIP_S``.
_CONTEXT_S = 1.5
_STRESS = str.maketrans("", "", "',%=")
#: Broad sound classes: a recogniser that mishears keeps the shape of a word (consonant places, syllables)
#: more than voicing or vowel quality ("gas them" heard as "cosmos"), so voiced consonants join their
#: voiceless pair and every vowel is one class.
_VOICING = {"b": "p", "d": "t", "g": "k", "v": "f", "D": "T", "z": "s", "Z": "S", "dZ": "tS"}
_VOWEL_STARTS = frozenset("aeiouAEIOUV03@")


def _broad(ph: str) -> str:
    return "V" if ph[0] in _VOWEL_STARTS else _VOICING.get(ph, ph)


@dataclass(frozen=True)
class Spotted:
    """A key phrase the audio supports though the transcript did not write it.

    - ``phrase``, ``category``: the key phrase and its category;
    - ``heard``: the transcript's words it replaces; ``first``, ``last``: their indices (inclusive);
    - ``phone_distance``: edit distance per phoneme (0-1+); ``gap``: nats below the transcript (>= 0 is less likely).
    """

    phrase: str
    category: str
    heard: str
    first: int
    last: int
    phone_distance: float
    gap: float


@functools.lru_cache(maxsize=4096)
def _phonemes_of(word: str) -> tuple[str, ...]:
    return phonemes((word,))[0]


@functools.lru_cache(maxsize=8)
def _targets(phrases: tuple[str, ...]) -> tuple[tuple[str, ...], ...]:
    """Phonemes of each phrase (its words phonemized in one espeak-ng call)."""
    vocab = tuple(sorted({w for p in phrases for w in p.split()}))
    ph = dict(zip(vocab, phonemes(vocab), strict=True))
    return tuple(tuple(x for w in p.split() for x in ph[w]) for p in phrases)


def phonemes(words: tuple[str, ...]) -> tuple[tuple[str, ...], ...]:
    """espeak-ng's phonemes of each word in broad classes, e.g. ``("gas",) -> (("k", "V", "s"),)``.

    One espeak-ng process for all the words (one word a line). Raises ``FileNotFoundError`` when
    espeak-ng is not installed.
    """
    exe = shutil.which("espeak-ng")
    if exe is None:
        raise FileNotFoundError("espeak-ng is not installed (the Makefile's system-deps list has it)")
    if not words:
        return ()
    out = subprocess.run([exe, "-q", "-x", "--sep=_", "-v", "en-us"], input="\n".join(words) + "\n",
                         capture_output=True, text=True, check=True, timeout=30).stdout.split("\n")
    lines = [ln.strip() for ln in out if ln.strip()]
    if len(lines) != len(words):  # espeak joined or split a line: ask word by word
        return tuple(_phonemes_of(w) for w in words)
    return tuple(tuple(_broad(p) for p in ln.translate(_STRESS).replace(" ", "_").split("_") if p) for ln in lines)


def _distance(a: tuple[str, ...], b: tuple[str, ...]) -> int:
    """Levenshtein distance between two phoneme sequences."""
    prev = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        cur = [i]
        for j, y in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (x != y)))
        prev = cur
    return prev[-1]


@dataclass(frozen=True)
class _Candidate:
    phrase: str
    category: str
    first: int
    last: int
    distance: float


def candidates(words: list[str], phrases: dict[str, tuple[str, ...]], *,
               max_distance: float = MAX_PHONE_DISTANCE, limit: int = MAX_CANDIDATES) -> list[_Candidate]:
    """Stretches of ``words`` that sound like a phrase of ``phrases`` (category -> phrases), closest first.

    Args:
        words: the transcript's words, in order.
        phrases: key phrases per category (lower case words).
        max_distance: phoneme edit distance per phoneme of the phrase, at most.
        limit: how many to return at most (the closest; one per phrase).

    Returns:
        Candidates of phrases the transcript does not already hold word for word.
    """
    if not words:
        return []
    ph_words = phonemes(tuple(words))
    written = f" {' '.join(words)} "
    best: dict[str, _Candidate] = {}
    flat = [(cat, p) for cat, ps in phrases.items() for p in ps]
    for (cat, p), target in zip(flat, _targets(tuple(p for _, p in flat)), strict=True):
        n_words = len(p.split())
        if f" {p} " in written:
            continue  # written word for word: the transcript pass has it
        for i in range(len(words)):
            for j in range(i, min(len(words), i + n_words + 2)):
                span = tuple(x for k in range(i, j + 1) for x in ph_words[k])
                if abs(len(span) - len(target)) > max_distance * len(target):
                    continue
                d = _distance(span, target) / max(1, len(target))
                if d <= max_distance and (p not in best or d < best[p].distance):
                    best[p] = _Candidate(p, cat, i, j, round(d, 3))
    return sorted(best.values(), key=lambda c: (c.distance, c.phrase))[:limit]


def _window(words: list[dict], c: _Candidate, n_audio: int, rate: int) -> tuple[int, int, int, int]:
    """(first word, last word, first sample, end sample) of the audio scored for ``c``."""
    if n_audio <= _WHOLE_CLIP_S * rate:
        return 0, len(words) - 1, 0, n_audio
    a = max(0, c.first - 2)
    b = min(len(words) - 1, c.last + 2)
    s0 = max(0, int((float(words[a]["start_s"]) - _CONTEXT_S) * rate))
    s1 = min(n_audio, int((float(words[b]["end_s"]) + _CONTEXT_S) * rate))
    return a, b, s0, s1


def spot(audio: np.ndarray, rate: int, words: list[dict], phrases: dict[str, tuple[str, ...]], *,
         max_gap: float = MAX_LOGPROB_GAP, max_distance: float = MAX_PHONE_DISTANCE,
         limit: int = MAX_CANDIDATES) -> list[Spotted]:
    """Key phrases the audio supports though the transcript wrote other words.

    Args:
        audio: (N,) float mono in [-1, 1] at ``rate`` Hz (the audio the transcript came from).
        rate: sample rate in Hz.
        words: the transcript's words, each ``{"word", "start_s", "end_s", ...}`` (seconds).
        phrases: key phrases per category.
        max_gap: nats below the transcript a candidate may score and still be spotted.
        max_distance: see :func:`candidates`.
        limit: candidates scored at most.

    Returns:
        One :class:`Spotted` per supported phrase (at most ``limit``), closest sounds first.
    """
    from ..speech import score_phrases

    texts = [w["word"] for w in words]
    # Candidates sharing a window are scored in one pass (one encoding of the audio).
    groups: dict[tuple[int, int, int, int], list[_Candidate]] = {}
    for c in candidates(texts, phrases, max_distance=max_distance, limit=limit):
        groups.setdefault(_window(words, c, len(audio), rate), []).append(c)
    found = []
    for (a, b, s0, s1), cs in groups.items():
        said = " ".join(texts[a : b + 1])
        hyps = [" ".join([*texts[a : c.first], c.phrase, *texts[c.last + 1 : b + 1]]) for c in cs]
        sc = score_phrases(audio[s0:s1], rate, [said, *hyps])
        for c, h in zip(cs, sc.phrases[1:], strict=True):
            gap = sc.phrases[0].logprob - h.logprob
            if gap <= max_gap:
                found.append(Spotted(c.phrase, c.category, " ".join(texts[c.first : c.last + 1]), c.first, c.last,
                                     c.distance, round(float(gap), 3)))
    return sorted(found, key=lambda s: (s.phone_distance, s.phrase))
