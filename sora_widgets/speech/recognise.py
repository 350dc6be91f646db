"""Offline speech recognition with per-word confidence (Whisper base through CTranslate2).

Two questions, one model (:mod:`.model`):

- :func:`transcribe` - "what is said?": free decoding, each word with its
  probability (the mean of its tokens' probabilities, faster-whisper's
  ``word_timestamps``). Soundtrack moderation reads this.
- :func:`alternatives` - "what else could it have been?": the n best readings of a stretch of
  audio (beam search), each with its mean log probability per token. Soundtrack moderation
  reads them so a harmful line the 1-best transcript misheard can still reach a person.
- :func:`score_phrases` - "which of these phrases was said?": the audio is
  encoded once and every candidate is scored by teacher forcing (the log
  probability the decoder gives each of its tokens), plus a free greedy decoding
  as the "anything else" alternative (a garbage model). Cameo verification reads
  this; comparing a phrase with its one-word variants is far sharper than
  reading a free transcript (see docs/cameos.md for the measured figures).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from itertools import pairwise
from math import gcd

import numpy as np

from .model import load, model_lock

__all__ = ["SAMPLE_RATE", "Word", "Transcript", "PhraseScore", "Scores", "Reading", "Forced", "Altered", "to_16k",
           "transcribe", "alternatives", "forced_reading", "altered_readings", "score_phrases", "speech_span"]

#: The recogniser's sample rate (Hz).
SAMPLE_RATE = 16_000
#: Mel frames per second of audio (Whisper's 10 ms hop).
_FRAMES_PER_S = 100
#: Whisper's window (frames); longer audio is scored on its first 30 s only.
_WINDOW_FRAMES = 3000
#: The encoder sees the audio plus 1 s of padding, at least this many frames (3 s), not Whisper's
#: full 30 s: scoring cost grows with the window (cross-attention over every frame, for every
#: candidate), and phrase scores on our corpus were the same (only free decoding of a very short
#: window tends to loop, which ``_free_max_tokens`` bounds).
_MIN_FRAMES = 300
_PAD_FRAMES = 100
#: Probabilities are floored here before the log so one impossible token scores finitely.
_PROB_FLOOR = 1e-9
#: Leading/trailing audio this many dB below the loudest 20 ms frame is near-silence (:func:`speech_span`).
_TRIM_DB = 40.0
#: Seconds kept each side of the sound when trimming (soft word onsets and endings).
_TRIM_MARGIN_S = 0.25


@dataclass(frozen=True)
class Word:
    """A recognised word: ``text`` (as decoded, lower case, no punctuation), times in seconds, ``probability`` 0-1."""

    text: str
    start_s: float
    end_s: float
    probability: float


@dataclass(frozen=True)
class Transcript:
    """Free transcription: ``text`` (as decoded) and its ``words``."""

    text: str
    words: tuple[Word, ...]


@dataclass(frozen=True)
class PhraseScore:
    """A candidate phrase scored against the audio.

    - ``phrase``: the candidate (lower case words separated by spaces);
    - ``word_logprobs``: natural-log probability of each word (sum over its tokens), teacher-forced;
    - ``logprob``: their sum.
    """

    phrase: str
    word_logprobs: tuple[float, ...]

    @property
    def logprob(self) -> float:
        return float(sum(self.word_logprobs))


@dataclass(frozen=True)
class Scores:
    """:func:`score_phrases`'s answer: one :class:`PhraseScore` per candidate (same order), and ``free``,
    the greedy free decoding scored the same way (``free.phrase`` is what the model hears unprompted),
    or None when the caller's ``need_free`` said the candidates' scores were enough."""

    phrases: tuple[PhraseScore, ...]
    free: PhraseScore | None


def to_16k(audio: np.ndarray, sample_rate: int) -> np.ndarray:
    """(C, N) or (N,) float audio in [-1, 1] at ``sample_rate`` Hz -> (M,) float32 mono at 16 kHz.

    Polyphase resampling (scipy); channels are averaged.
    """
    from scipy.signal import resample_poly

    a = np.asarray(audio, dtype=np.float32)
    if a.ndim == 2:
        a = a.mean(axis=0)
    if a.ndim != 1:
        raise ValueError(f"audio must be (channels, samples) or (samples,); got shape {np.shape(audio)}")
    sample_rate = int(sample_rate)
    if sample_rate <= 0:
        raise ValueError(f"sample_rate must be positive; got {sample_rate}")
    if sample_rate != SAMPLE_RATE:
        g = gcd(SAMPLE_RATE, sample_rate)
        a = resample_poly(a, SAMPLE_RATE // g, sample_rate // g).astype(np.float32)
    return np.clip(a, -1.0, 1.0).astype(np.float32)


def _normalise(text: str) -> str:
    return " ".join("".join(ch for ch in text.lower() if ch.isalnum() or ch in " '").split())


def transcribe(audio: np.ndarray, sample_rate: int, *, prompt: str | None = None, vad: bool = True) -> Transcript:
    """Free transcription of ``audio`` ((C, N) or (N,) floats at ``sample_rate`` Hz) in English.

    Args:
        audio: the sound, floats in [-1, 1].
        sample_rate: its rate in Hz (resampled to 16 kHz).
        prompt: words that bias the decoder (Whisper's ``initial_prompt``), e.g. an expected vocabulary.
        vad: skip stretches without speech first (Silero VAD, shipped inside faster-whisper); this
            stops Whisper inventing sentences in music or noise.

    Returns:
        A :class:`Transcript`; every word carries its probability (0-1). Beam search of width 5,
        no conditioning on previous windows (a misheard window must not steer the next one).
    """
    a = to_16k(audio, sample_rate)
    with model_lock:  # the load too: it runs C++ that must not be cut off at exit (model._let_a_running_decode_finish)
        m = load()
        segments, _info = m.transcribe(a, language="en", beam_size=5, word_timestamps=True, vad_filter=vad,
                                       condition_on_previous_text=False, initial_prompt=prompt)
        words = tuple(Word(_normalise(w.word), round(float(w.start), 3), round(float(w.end), 3),
                           round(float(w.probability), 4))
                      for s in segments for w in (s.words or []))
    words = tuple(w for w in words if w.text)
    return Transcript(" ".join(w.text for w in words), words)


@dataclass(frozen=True)
class Reading:
    """One of :func:`alternatives`' readings: ``text`` (normalised words), ``score`` (mean natural-log
    probability per token the decoder gave it; 0 is certain), ``rank`` (0 = the beam's best) and
    ``sampled`` (drawn at a temperature rather than found by the beam)."""

    text: str
    score: float
    rank: int
    sampled: bool = False


#: Longest stretch read at once by :func:`alternatives` (s); longer speech is read in stretches this long.
_ALT_WINDOW_S = 28.0


def alternatives(audio: np.ndarray, sample_rate: int, *, n: int = 5, samples: int = 0, temperature: float = 0.7,
                 start_s: float = 0.0, end_s: float | None = None) -> tuple[Reading, ...]:
    """The ``n`` best readings of ``audio`` between ``start_s`` and ``end_s`` (beam search of width ``n``).

    Whisper's 1-best transcript of a fast or noisy voice is often wrong in a few words while the
    beam's other readings hold the words actually said ("you are worthless no way" beside "you are
    worthless go away"). Readings that normalise to the same words are kept once (the likelier).
    Speech longer than :data:`_ALT_WINDOW_S` is read in consecutive stretches; each stretch's
    readings are returned (a reading covers its stretch only).

    Args:
        audio: the sound, (C, N) or (N,) floats in [-1, 1].
        sample_rate: its rate in Hz.
        n: beam width and readings per stretch.
        samples: readings drawn per stretch at ``temperature`` as well (seeded: the same audio gives the
            same readings); the beam's readings differ in a word or two, samples wander further.
        temperature: of the samples.
        start_s, end_s: the part to read (e.g. from the first to the last word of :func:`transcribe`).

    Returns:
        :class:`Reading` s, per stretch best first.
    """
    import ctranslate2
    from faster_whisper.tokenizer import Tokenizer

    a = to_16k(audio, sample_rate)
    lo = max(0, int(start_s * SAMPLE_RATE))
    hi = len(a) if end_s is None else min(len(a), int(end_s * SAMPLE_RATE))
    out: list[Reading] = []
    step = int(_ALT_WINDOW_S * SAMPLE_RATE)
    with model_lock:
        m = load()
        tok = Tokenizer(m.hf_tokenizer, m.model.is_multilingual, task="transcribe", language="en")
        start = [*tok.sot_sequence, tok.no_timestamps]
        for s0 in range(lo, max(hi, lo + 1), step):
            piece = a[s0 : min(hi, s0 + step)]
            if len(piece) < SAMPLE_RATE // 10:
                continue
            enc, n_frames = _encode(m, piece)
            res = m.model.generate(ctranslate2.StorageView.from_array(enc), [start], beam_size=n, num_hypotheses=n,
                                   return_scores=True, max_length=8 + int(12 * n_frames / _FRAMES_PER_S),
                                   no_repeat_ngram_size=3)[0]
            found = [(ids, score, False) for ids, score in zip(res.sequences_ids, res.scores, strict=True)]
            if samples:
                ctranslate2.set_random_seed(s0 + 1)
                drawn = m.model.generate(ctranslate2.StorageView.from_array(np.repeat(enc, samples, axis=0)),
                                         [start] * samples, beam_size=1,
                                         sampling_topk=0, sampling_temperature=temperature, return_scores=True,
                                         max_length=8 + int(12 * n_frames / _FRAMES_PER_S), no_repeat_ngram_size=3)
                found += [(r.sequences_ids[0], r.scores[0], True) for r in drawn]
            seen: set[str] = set()
            for ids, score, sampled in found:
                text = _normalise(tok.decode([t for t in ids if t < tok.eot]))
                if text and text not in seen:
                    seen.add(text)
                    out.append(Reading(text, round(float(score), 4), len(seen) - 1, sampled))
    return tuple(out)


@dataclass(frozen=True)
class Forced:
    """:func:`forced_reading`'s answer: ``text``, what the decoder writes when told which words to listen for,
    and ``gap``, how much likelier (nats, summed over tokens; negative = less likely) the audio makes that text
    than ``heard`` (the free transcript) when both are scored *without* the hint (teacher forcing)."""

    text: str
    heard: str
    gap: float


def forced_reading(audio: np.ndarray, sample_rate: int, heard: str, vocabulary: str, *,
                   start_s: float = 0.0, end_s: float | None = None) -> Forced:
    """Decode ``audio`` told to listen for ``vocabulary`` (Whisper's prompt), then score that reading and the
    free transcript ``heard`` against the audio without the hint.

    A voice the recogniser mishears ("i stabbed him forty times" heard "i stand here for the times") is
    often read right when the decoder is told which words may come; scoring both readings without the hint
    says whether the audio itself supports the hinted one (a small ``gap``) or the hint put the words there.
    One encoding, one beam decoding (width 5) and one teacher-forced pass of two texts. Only the first 28 s
    between ``start_s`` and ``end_s`` are read (after near-silence is cut, :func:`speech_span`).
    """
    import ctranslate2
    from faster_whisper.tokenizer import Tokenizer

    a = _speech_window(audio, sample_rate, start_s, end_s)
    heard = _normalise(heard)
    with model_lock:
        m = load()
        tok = Tokenizer(m.hf_tokenizer, m.model.is_multilingual, task="transcribe", language="en")
        start = [*tok.sot_sequence, tok.no_timestamps]
        hint = m.hf_tokenizer.encode(" " + vocabulary.strip(), add_special_tokens=False).ids[-200:]
        enc, n = _encode(m, a)
        prompt = [tok.sot_prev, *hint, *start]
        # At most a third more tokens than the transcript: prompted, the decoder tends to say it all again.
        said_len = len(m.hf_tokenizer.encode(" " + heard, add_special_tokens=False).ids)
        res = m.model.generate(ctranslate2.StorageView.from_array(enc), [prompt], beam_size=5,
                               max_length=len(prompt) + min(8 + int(12 * n / _FRAMES_PER_S), 4 + said_len * 4 // 3),
                               no_repeat_ngram_size=3)[0]
        ids = res.sequences_ids[0] if res.sequences_ids else []
        text = _restart_cut(_normalise(tok.decode([t for t in ids if t < tok.eot])))
        said, forced = _score_texts(m, tok, enc, n, start, [heard, text])
    return Forced(text, heard, round(forced.logprob - said.logprob, 4))


@dataclass(frozen=True)
class Altered:
    """One of :func:`altered_readings`' answers: ``text``, what the decoder heard in the audio altered by ``how``
    (a key of :data:`sora_widgets.speech.alter.ALTERATIONS`), and ``gap``, how much likelier (nats, summed over
    tokens; negative = less likely) the *original* audio makes that text than ``heard`` (teacher forcing)."""

    text: str
    heard: str
    gap: float
    how: str


def altered_readings(audio: np.ndarray, sample_rate: int, heard: str, *, start_s: float = 0.0,
                     end_s: float | None = None, alterations: tuple[str, ...] | None = None) -> tuple[Altered, ...]:
    """Read the speech again slowed down and denoised (:mod:`.alter`), then score each new reading and the free
    transcript ``heard`` against the original audio.

    A fast or noisy voice misheard by the free decoding is often read right once slowed or cleaned; the altered
    audio only proposes words, the original audio says how well it supports them (``gap``), so a version that
    makes up words scores far below the transcript. One beam decoding (width 5) per alteration and one
    teacher-forced pass of all the texts on the original encoding. Only the first 28 s between ``start_s`` and
    ``end_s`` are read (after near-silence is cut, :func:`speech_span`).

    Args:
        audio: the sound, (C, N) or (N,) floats in [-1, 1].
        sample_rate: its rate in Hz.
        heard: the free transcript of the same audio (:func:`transcribe`).
        start_s, end_s: the part to read (e.g. from the first to the last word of :func:`transcribe`).
        alterations: names of :data:`sora_widgets.speech.alter.ALTERATIONS` (default: all of them, in order).

    Returns:
        :class:`Altered` readings, one per alteration whose reading differs from ``heard`` and from the readings
        before it (the first alteration that found a text keeps it).
    """
    import ctranslate2
    from faster_whisper.tokenizer import Tokenizer

    from .alter import ALTERATIONS, alter

    a = _speech_window(audio, sample_rate, start_s, end_s)
    heard = _normalise(heard)
    if len(a) < SAMPLE_RATE // 10 or not heard:
        return ()
    names = tuple(ALTERATIONS) if alterations is None else alterations
    versions = [(how, alter(a, SAMPLE_RATE, how)) for how in names]  # before the lock: no model needed
    found: dict[str, str] = {}
    with model_lock:
        m = load()
        tok = Tokenizer(m.hf_tokenizer, m.model.is_multilingual, task="transcribe", language="en")
        start = [*tok.sot_sequence, tok.no_timestamps]
        # At most a third more tokens than the transcript, and cut where the line starts over: on a short
        # padded window the decoder tends to say it all again (as in forced_reading).
        said_len = len(m.hf_tokenizer.encode(" " + heard, add_special_tokens=False).ids)
        for how, b in versions:
            enc_b, n_b = _encode(m, b[: _WINDOW_FRAMES * SAMPLE_RATE // _FRAMES_PER_S])
            res = m.model.generate(ctranslate2.StorageView.from_array(enc_b), [start], beam_size=5,
                                   max_length=len(start) + min(8 + int(12 * n_b / _FRAMES_PER_S), 4 + said_len * 4 // 3),
                                   no_repeat_ngram_size=3)[0]
            ids = res.sequences_ids[0] if res.sequences_ids else []
            text = _restart_cut(_normalise(tok.decode([t for t in ids if t < tok.eot])))
            if text and text != heard and text not in found:
                found[text] = how
        if not found:
            return ()
        enc, n = _encode(m, a)
        said, *others = _score_texts(m, tok, enc, n, start, [heard, *found])
    return tuple(Altered(o.phrase, heard, round(o.logprob - said.logprob, 4), found[o.phrase]) for o in others)


def _speech_window(audio: np.ndarray, sample_rate: int, start_s: float, end_s: float | None) -> np.ndarray:
    """The 16 kHz mono samples between ``start_s`` and ``end_s`` (at most :data:`_ALT_WINDOW_S` of them), near-silence
    before and after cut (:func:`speech_span`): what :func:`forced_reading` and :func:`altered_readings` read."""
    a = to_16k(audio, sample_rate)
    lo = max(0, int(start_s * SAMPLE_RATE))
    hi = len(a) if end_s is None else min(len(a), int(end_s * SAMPLE_RATE))
    a = a[lo:hi][: int(_ALT_WINDOW_S * SAMPLE_RATE)]
    return a[slice(*speech_span(a))]


def _score_texts(m, tok, enc: np.ndarray, n: int, start: list[int], texts: list[str]) -> tuple[PhraseScore, ...]:
    """Each whole text scored against the encoded audio (:func:`_teacher_forced`), each ending with the end of
    transcript: a reading that stops before the speech does scores lower."""
    per_word = [[*(_word_tokens(m.hf_tokenizer, w, first=i == 0) for i, w in enumerate(t.split())), [tok.eot]]
                for t in texts]
    return _teacher_forced(m, enc, n, start, texts, per_word)


def _restart_cut(text: str) -> str:
    """``text`` up to where it starts over: prompted, the decoder often says the whole line again ("our team won
    the match our team won the"); the reading ends where its first two words come again."""
    w = text.split()
    for k in range(2, len(w) - 1):
        if w[k : k + 2] == w[:2]:
            return " ".join(w[:k])
    return text


def _encode(m, a: np.ndarray):
    """Encoder output (as numpy, (1, frames/2, d_model)) and the number of audio frames in it."""
    import ctranslate2

    feats = m.feature_extractor(a)  # (n_mels, frames)
    n = min(int(feats.shape[-1]), _WINDOW_FRAMES)
    width = min(_WINDOW_FRAMES, max(_MIN_FRAMES, int(math.ceil((n + _PAD_FRAMES) / 50) * 50)))
    pad = np.zeros((feats.shape[0], width), np.float32)
    pad[:, :n] = feats[:, :n]
    enc = m.model.encode(ctranslate2.StorageView.from_array(pad[None]), to_cpu=True)
    return np.array(enc), n


def _word_tokens(hf_tokenizer, word: str, *, first: bool) -> list[int]:
    """Token ids of ``word`` preceded by a space, as Whisper writes it.

    The byte-level BPE in tokenizer.json splits some words the model itself emits as one token
    (" tiger" -> " ", "t", "iger", though " tiger" is in the vocabulary and is what Whisper
    decodes); scoring the split form would make such a word look unlikely. So a word in the
    vocabulary is its own id, anything else goes through the BPE.
    """
    text = word.capitalize() if first else word
    whole = hf_tokenizer.token_to_id("\u0120" + text)  # "\u0120" (Ġ) is byte-level BPE's space
    return [whole] if whole is not None else hf_tokenizer.encode(" " + text, add_special_tokens=False).ids


def speech_span(a: np.ndarray) -> tuple[int, int]:
    """Sample range ``(start, stop)`` of 16 kHz mono ``a`` that holds its sound: leading and trailing
    stretches more than :data:`_TRIM_DB` quieter than its loudest 20 ms frame are cut, keeping
    :data:`_TRIM_MARGIN_S` seconds each side. The whole of ``a`` when nothing is that quiet.

    Why: scoring cost grows with the window the decoder attends to, and a webcam take holds a second
    or more of silence around the phrase. Only near-silence goes (a relative threshold keeps noise or
    music under speech, which the recogniser must hear to judge); the margin keeps soft word edges.
    """
    hop = SAMPLE_RATE // 50  # 20 ms
    n = len(a) // hop
    if n == 0:
        return 0, len(a)
    db = 10 * np.log10(np.mean(np.square(a[: n * hop].reshape(n, hop), dtype=np.float64), axis=1) + 1e-20)
    loud = np.flatnonzero(db > db.max() - _TRIM_DB)
    margin = int(_TRIM_MARGIN_S * SAMPLE_RATE)
    return max(0, int(loud[0]) * hop - margin), min(len(a), (int(loud[-1]) + 1) * hop + margin)


def score_phrases(audio: np.ndarray, sample_rate: int, phrases: list[str], *,
                  need_free: Callable[[tuple[PhraseScore, ...]], bool] | None = None) -> Scores:
    """Score each of ``phrases`` against ``audio`` by teacher forcing, plus the free greedy decoding.

    Args:
        audio: the sound, (C, N) or (N,) floats in [-1, 1]; near-silence before and after the sound is
            left out (:func:`speech_span`), then only the first 30 s are heard.
        sample_rate: its rate in Hz.
        phrases: candidate phrases (words separated by spaces; case and punctuation ignored).
        need_free: given the candidates' scores, whether the free decoding is wanted. ``None`` (the
            default) always decodes. Free decoding costs about a third of a call; a caller whose
            decision the candidates' scores already settle (e.g. :func:`sora_widgets.cameo.verify.needs_free`)
            passes a test here and gets ``Scores.free = None`` when it answers False.

    Returns:
        :class:`Scores`: per candidate, the log probability of each word given the audio and the
        words before it. Higher is likelier; compare candidates of the same audio only.
    """
    import ctranslate2
    from faster_whisper.tokenizer import Tokenizer

    a = to_16k(audio, sample_rate)
    a = a[slice(*speech_span(a))]
    with model_lock:  # the load runs C++ that must not be cut off at exit (model._let_a_running_decode_finish)
        m = load()
    tok = Tokenizer(m.hf_tokenizer, m.model.is_multilingual, task="transcribe", language="en")
    start = [*tok.sot_sequence, tok.no_timestamps]
    texts = [_normalise(p) for p in phrases]
    # Score each phrase as the model would write it: first word capitalised (Whisper writes
    # sentences; "Yellow" is ~2x likelier than "yellow" at the start), each word as one token
    # when the vocabulary has it.
    per_word = [[_word_tokens(m.hf_tokenizer, w, first=i == 0) for i, w in enumerate(t.split())] or [[tok.eot]]
                for t in texts]
    with model_lock:
        enc, n = _encode(m, a)
        scored = _teacher_forced(m, enc, n, start, texts, per_word)
        if need_free is not None and not need_free(scored):
            return Scores(scored, None)
        # Bounded by what can be said in the clip (~4 words a second, a few tokens each), without
        # repeated trigrams: free decoding of a short window otherwise loops to the limit.
        greedy = m.model.generate(ctranslate2.StorageView.from_array(enc), [start], beam_size=1,
                                  max_length=8 + int(12 * n / _FRAMES_PER_S), no_repeat_ngram_size=3)
        free_ids = [t for t in greedy[0].sequences_ids[0] if t < tok.eot]
        # The free decoding is scored on its own tokens, the same way as the candidates.
        free = _teacher_forced(m, enc, n, start, [_normalise(tok.decode(free_ids))],
                               [[free_ids] if free_ids else [[tok.eot]]])[0]
    return Scores(scored, free)


def _teacher_forced(m, enc: np.ndarray, n: int, start: list[int], texts: list[str],
                    per_word: list[list[list[int]]]) -> tuple[PhraseScore, ...]:
    """Each text's per-word log probabilities (nats) given the encoded audio, in one batched decoder pass."""
    import ctranslate2

    tokens = [[x for w in ws for x in w] for ws in per_word]
    res = m.model.align(ctranslate2.StorageView.from_array(np.repeat(enc, len(tokens), axis=0)), start,
                        tokens, [max(1, n // 2)] * len(tokens))
    out = []
    for text, ws, r in zip(texts, per_word, res, strict=True):
        lp = np.log(np.maximum(np.asarray(r.text_token_probs, np.float64), _PROB_FLOOR))
        bounds = np.cumsum([0] + [len(w) for w in ws])
        out.append(PhraseScore(text, tuple(round(float(lp[i:j].sum()), 4) for i, j in pairwise(bounds))))
    return tuple(out)
