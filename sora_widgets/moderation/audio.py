"""Audio check: what is said in the soundtrack, through pocketsphinx, then the text checks.

pocketsphinx's open-vocabulary model alone gets most words of synthetic speech
wrong (78-93% word error rate on espeak-ng in our notes), so two passes run on
the same 16 kHz mono audio:

1. open vocabulary (the en-US n-gram model in the wheel): a general transcript;
2. keyword spotting through a *biased* language model: a trigram model built
   from the harmful key phrases below (weighted x3) and the benign English
   prompts of our labelled set (``data/moderation_lm.arpa``, written by
   ``train.py``). The benign sentences give harmless speech somewhere harmless
   to land. Only whole key phrases found in this transcript count (single words
   from a biased decoder are too often wrong), and a hit holds the clip for a
   person to listen (score ``keyphrase_score`` of the policy, below block).
   pocketsphinx's own keyphrase search (``kws``) did not fire on "kill yourself"
   at any threshold we tried (1e-10 to 1e-50); the biased model recovers it.

The open transcript goes through :func:`check_prompts` like a prompt. The
verdict keeps the stronger of the two, with both transcripts and timed words as
evidence. About 0.06 s of CPU per second of audio for each pass. Synthetic
speech in a US voice (``espeak-ng -v en-us``) decodes far better than
espeak-ng's default British voice: the acoustic model is en-US.
"""

from __future__ import annotations

import re
import threading
from math import gcd
from pathlib import Path

import numpy as np

from .policy import Policy, load_policy
from .text import check_prompts
from .verdict import CATEGORIES, Verdict, merge_verdicts

__all__ = ["check_audio", "to_16k_mono", "transcribe", "LM_PATH", "build_lm"]

LM_PATH = Path(__file__).with_name("data") / "moderation_lm.arpa"
ASR_RATE = 16_000
# Spoken key phrases per category (lower case words; matched whole in the keyword transcript).
KEYPHRASES: dict[str, tuple[str, ...]] = {
    "self_harm": ("kill yourself", "kill myself", "hang yourself", "cut yourself", "end your life", "end it all",
                  "nobody will miss you", "slit your wrists", "you should die", "take all the pills"),
    "extremism": ("join the jihad", "kill the infidels", "holy war", "join the caliphate", "islamic state",
                  "martyrdom operation", "race war"),
    "sexual_minors": ("naked children", "naked child", "child porn", "sex with children", "naked kids"),
    "sexual": ("have sex", "porn video", "naked woman", "get naked", "take off your clothes"),
    "hate": ("should be exterminated", "are vermin", "are subhuman", "wipe them out", "gas them"),
    "graphic_violence": ("cut off his head", "blood everywhere", "rip out his guts", "tear him apart"),
    "harassment": ("you are worthless", "everyone hates you", "i know where you live"),
}
_FRAME_RATE = 100  # pocketsphinx frames per second
# A pocketsphinx decoder is not thread-safe: one lock per decoder (the two passes may run side by side).
_locks = {"open": threading.Lock(), "keywords": threading.Lock()}
_decoders: dict[str, object] = {}


def to_16k_mono(audio: np.ndarray, sample_rate: int) -> np.ndarray:
    """(C, N) or (N,) float audio in [-1, 1] -> 16 kHz mono int16 (polyphase resampling)."""
    from scipy.signal import resample_poly

    a = np.asarray(audio, dtype=np.float32)
    if a.ndim == 2:
        a = a.mean(axis=0)
    if a.ndim != 1:
        raise ValueError(f"audio must be (channels, samples) or (samples,); got shape {np.shape(audio)}")
    sample_rate = int(sample_rate)
    if sample_rate <= 0:
        raise ValueError(f"sample_rate must be positive; got {sample_rate}")
    if sample_rate != ASR_RATE:
        g = gcd(ASR_RATE, sample_rate)
        a = resample_poly(a, ASR_RATE // g, sample_rate // g).astype(np.float32)
    return (np.clip(a, -1.0, 1.0) * 32767).astype(np.int16)


def build_lm(sentences: list[str], path: Path = LM_PATH) -> Path:
    """Write a trigram ARPA model of ``sentences`` (lower case, one per line) to ``path``."""
    import io
    import re

    from pocketsphinx.lm import ArpaBoLM

    lines = []
    for s in sentences:
        words = re.findall(r"[a-z']+", s.lower())
        if words:
            lines.append(" ".join(words))
    lm = ArpaBoLM(sentfile=io.StringIO("\n".join(lines) + "\n"), add_start=True, case="lower")
    lm.compute()
    path.parent.mkdir(parents=True, exist_ok=True)
    lm.write_file(str(path))
    return path


def _decoder(kind: str):
    from pocketsphinx import Decoder

    if kind not in _decoders:
        if kind == "open":
            _decoders[kind] = Decoder(logfn="/dev/null")
        else:
            if not LM_PATH.exists():
                raise FileNotFoundError(f"no keyword model at {LM_PATH}; run `python -m sora_widgets.moderation.train`")
            _decoders[kind] = Decoder(lm=str(LM_PATH), logfn="/dev/null")
    return _decoders[kind]


def transcribe(pcm16: np.ndarray, *, kind: str = "open") -> tuple[str, list[dict]]:
    """(transcript, words with start/end seconds) of 16 kHz mono int16 audio; ``kind`` is "open" or "keywords"."""
    with _locks[kind]:  # one decoder of each kind per process
        dec = _decoder(kind)
        dec.start_utt()
        dec.process_raw(np.ascontiguousarray(pcm16).tobytes(), full_utt=True)
        dec.end_utt()
        hyp = dec.hyp()
        words = [
            {"word": s.word, "start_s": s.start_frame / _FRAME_RATE, "end_s": s.end_frame / _FRAME_RATE}
            for s in (dec.seg() or [])
            if not s.word.startswith(("<", "[")) and s.word != "<sil>"
        ]
    return (hyp.hypstr if hyp is not None else ""), words


def _transcribe_or_error(pcm16: np.ndarray, kind: str):
    """:func:`transcribe`, or the exception it raised (to be re-raised on the calling thread)."""
    try:
        return transcribe(pcm16, kind=kind)
    except BaseException as exc:  # noqa: BLE001 - handed to the caller
        return exc


def lm_corpus(benign_sentences: list[str]) -> list[str]:
    """Sentences for the keyword model: every key phrase three times, then the benign sentences."""
    phrases = [p for ps in KEYPHRASES.values() for p in ps]
    return phrases * 3 + list(benign_sentences)


def spot_keyphrases(transcript: str, policy: Policy) -> Verdict:
    """Key phrases found whole in ``transcript`` -> a verdict holding the clip for review."""
    scores = {c: 0.0 for c in CATEGORIES}
    spans = []
    for cat, phrases in KEYPHRASES.items():
        for p in phrases:
            for m in re.finditer(rf"\b{re.escape(p)}\b", transcript):
                scores[cat] = max(scores[cat], policy.keyphrase_score)
                spans.append({"category": cat, "start": m.start(), "end": m.end(), "text": m.group(0),
                              "source": "transcript", "transcript": "keywords"})
    decision, flagged = policy.decide(scores)
    reasons = []
    for c in flagged:
        said = ", ".join(dict.fromkeys(f"'{s['text']}'" for s in spans if s["category"] == c))
        reasons.append(policy.reason(c, scores[c], f"the soundtrack seems to say {said}"))
    return Verdict(decision, scores, reasons, spans, {}, flagged)


def check_audio(audio: np.ndarray, sample_rate: int, *, policy: Policy | None = None) -> Verdict:
    """Transcribe the soundtrack two ways; text checks on the open transcript, key phrases on the other."""
    policy = policy or load_policy()
    pcm = to_16k_mono(audio, sample_rate)
    rms = float(np.sqrt(np.mean((pcm.astype(np.float32) / 32767) ** 2))) if pcm.size else 0.0
    if rms < policy.min_speech_rms:
        return Verdict("allow", {c: 0.0 for c in CATEGORIES}, evidence={"transcript": "", "speech": False})
    # The two passes side by side (pocketsphinx releases the GIL while decoding): the short keyword
    # pass hides behind the open one, which is most of a clip's check time.
    keywords: list = []
    kw_thread = threading.Thread(target=lambda: keywords.append(_transcribe_or_error(pcm, "keywords")),
                                 name="sora-widgets-asr-keywords")
    kw_thread.start()
    try:
        open_text, open_words = transcribe(pcm, kind="open")
    finally:
        kw_thread.join()
    if isinstance(keywords[0], BaseException):
        raise keywords[0]
    kw_text, kw_words = keywords[0]
    verdicts = [spot_keyphrases(kw_text, policy)]
    if open_text.strip():
        v_open = check_prompts([open_text], policy=policy, source="transcript")[0]
        for s in v_open.spans:
            s["transcript"] = "open"
        verdicts.append(v_open)
    evidence = {
        "speech": True,
        "transcript": open_text,
        "transcript_keywords": kw_text,
        "words": open_words,
        "words_keywords": kw_words,
        "audio_seconds": round(pcm.size / ASR_RATE, 3),
    }
    v = merge_verdicts(verdicts, evidence=evidence)
    v.reasons = [r.replace("transcript", "soundtrack transcript") for r in v.reasons]
    return v
