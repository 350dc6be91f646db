"""Audio check: what is said in the soundtrack (offline Whisper, per-word confidence), then the text checks.

The soundtrack is transcribed once by :mod:`sora_widgets.speech` (the same model that
verifies cameo phrases), with voice-activity detection so music and noise are not read as
words. Two checks read the transcript:

1. key phrases (:data:`KEYPHRASES`) found whole in it hold the clip for review
   (score ``keyphrase_score`` of the policy, below block);
2. the speech classifier (:func:`speech_model`: the prompt classifier's features and training
   prompts, plus spoken lines as written and as the recogniser heard them; everyday speech is not
   a typed prompt: "she cut herself a slice of cake") through :func:`check_prompts`, with the
   policy's speech settings (the any-harm rule later; categories sound cannot show left out);
3. key phrases the transcript misheard but the audio supports (:mod:`.spotting`);
4. other readings of the same speech (:func:`readings`: the decoder's beam n-best): a harm that only
   they show can at most *raise* the clip for review (:func:`_alternative_hits`), never hold it;
5. on a clip nothing else holds or raises, a reading *told what to listen for* (:func:`forced`: the
   decoder prompted with the key phrases, then scored against the audio without the prompt beside the
   transcript): a harm it shows, when the audio supports it (:data:`FORCED_MIN_GAP`), raises the clip
   for review (:func:`_forced_hits`), never holds it;
6. on a clip still neither held nor raised, readings of the same speech *slowed down and denoised*
   (:func:`altered`, :mod:`sora_widgets.speech.alter`), each scored against the original audio: a harm one
   shows, when the original supports it (:data:`ALTERED_MIN_GAP`), raises the clip (:func:`_altered_hits`),
   never holds it. A fast voice or one under music is often read right once slowed or cleaned.

Words heard by a machine never block a clip on their own: a sure hit holds it for a person to
listen (review), as the key-phrase pass always did. Each hit is weighed by how sure the
recogniser is of the words it rests on (the mean probability of the words under its span;
a spotted phrase is always uncertain). A hit on words below :data:`SURE_WORD_P` is *uncertain*
and never holds the clip (issue 17 item 4: "never hold on words it is unsure of; a low-confidence
hit can at most raise a clip for review with the words shown as uncertain"): the verdict allows
it, and ``evidence["raised_for_review"]`` lists each such category with a sentence for the
reviewer and its spans (marked uncertain); the caller opens a review case while the clip stays
up. A hit resting on words below :data:`IGNORE_WORD_P` is dropped (kept in ``evidence["dropped"]``):
the old recogniser turned a cat's "you are worthless, go away" into "... slit laying" and
held the clip for self-harm; words that unsure are guesses, not speech. The scores before
weighing stay in ``evidence["scores_heard"]``.

Tried and reverted: ignoring weak whole-sentence judgements of the text classifier (< 0.4) on
speech. It spared 3 of 105 benign lines but let 17 more of 97 harmful lines through (misheard
harmful speech scores weakly too); see docs/moderation.md (figures per split).
"""

from __future__ import annotations

import re
from dataclasses import replace

import numpy as np

from .policy import Policy, load_policy
from .spotting import Spotted, spot
from .text import SPEECH_MODEL_PATH, TextModel, check_prompts, load_model
from .verdict import CATEGORIES, CATEGORY_LABELS, Verdict, merge_verdicts

__all__ = ["check_audio", "to_16k_mono", "transcribe", "SURE_WORD_P", "IGNORE_WORD_P",
           "SPOTTED_CONFIDENCE", "SURE_CLASSIFIER_SCORE", "RAISE_FRACTION", "spotted_verdict", "judge_transcript",
           "speech_model", "readings", "ALT_MIN_SCORE", "ALT_MIN_SUPPORT", "forced", "FORCED_MIN_GAP",
           "altered", "ALTERED", "ALTERED_MIN_GAP"]

ASR_RATE = 16_000
# Spoken key phrases per category (lower case words; matched whole in the transcript).
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
#: A hit whose words the recogniser gives at least this probability (0-1) is sure; below it the hit is
#: marked uncertain for the reviewer. See benchmarks/cameo_bench.py (soundtrack).
SURE_WORD_P = 0.5
#: Below this the words are guesses: the hit is dropped (recorded in ``evidence["dropped"]``).
IGNORE_WORD_P = 0.15
#: The confidence given to a key phrase spotted under misheard words (:mod:`.spotting`): between
#: :data:`IGNORE_WORD_P` and :data:`SURE_WORD_P`, so it is kept but always marked uncertain.
SPOTTED_CONFIDENCE = (IGNORE_WORD_P + SURE_WORD_P) / 2
#: A category the speech classifier alone flags (no key phrase heard whole) holds the clip only from this
#: score (0-1) up: a sure hit on a sure reading. From the policy's review threshold up to here the clip is
#: raised for review instead (it stays up, a person is asked to listen). Quotations heard right but read
#: as harm ("hanging on in quiet desperation is the english way" as self-harm) score in this band.
#: Set by judgement, not yet cross-validated (docs/moderation.md says what was measured).
SURE_CLASSIFIER_SCORE = 0.6
#: A plausible harmful reading: a category scoring at least this fraction of its review threshold (and not
#: held) raises the clip for review, so harm the classifier reads weakly (misheard words) still reaches a
#: person. Raised benign clips cost reviewers' time (docs/moderation.md gives the benign raised rate).
RAISE_FRACTION = 0.6


def to_16k_mono(audio: np.ndarray, sample_rate: int) -> np.ndarray:
    """(C, N) or (N,) float audio in [-1, 1] -> 16 kHz mono int16 (polyphase resampling)."""
    from ..speech import to_16k

    return (to_16k(audio, sample_rate) * 32767).astype(np.int16)


def transcribe(audio: np.ndarray, sample_rate: int) -> tuple[str, list[dict]]:
    """(transcript, words) of ``audio`` at ``sample_rate`` Hz; each word ``{"word", "start_s", "end_s",
    "probability"}`` (probability 0-1: how sure the recogniser is)."""
    from ..speech import transcribe as speech_transcribe

    t = speech_transcribe(audio, sample_rate, vad=True)
    return t.text, [{"word": w.text, "start_s": w.start_s, "end_s": w.end_s, "probability": w.probability}
                    for w in t.words]


#: Beam readings and sampled readings :func:`readings` asks the recogniser for (besides its transcript). No
#: samples: CTranslate2's sampling was not reproducible here (two runs on one clip drew different readings),
#: and a clip's verdict must not change when it is checked again.
N_BEAM, N_SAMPLED = 5, 0
#: Seconds of audio kept either side of the transcript's words when reading alternatives.
_READ_MARGIN_S = 0.3


def readings(a16: np.ndarray, rate: int, words: list[dict]):
    """Other readings of the speech under ``words`` (:func:`sora_widgets.speech.alternatives`: the beam's
    :data:`N_BEAM` best and :data:`N_SAMPLED` drawn at a temperature); none when no word was heard."""
    from ..speech import alternatives

    if not words:
        return ()
    return alternatives(a16, rate, n=N_BEAM, samples=N_SAMPLED,
                        start_s=max(0.0, float(words[0]["start_s"]) - _READ_MARGIN_S),
                        end_s=float(words[-1]["end_s"]) + _READ_MARGIN_S)


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


def _word_offsets(words: list[dict]) -> list[tuple[int, int, float]]:
    """(start, end, probability) of each word in the transcript ``" ".join(words)``."""
    out, pos = [], 0
    for w in words:
        out.append((pos, pos + len(w["word"]), float(w["probability"])))
        pos += len(w["word"]) + 1
    return out


def spotted_verdict(spotted: list[Spotted], words: list[dict], policy: Policy) -> Verdict:
    """Key phrases the audio supports but the transcript misheard -> a verdict holding the clip for review.

    Each span covers the transcript's words the phrase replaces (``text``), names the phrase
    (``spotted``) and its acoustic ``gap`` (nats below the transcript). :func:`_weigh` keeps these
    spans however unsure the heard words are (they are unsure because they were misheard) and
    always marks them uncertain.
    """
    scores = {c: 0.0 for c in CATEGORIES}
    spans = []
    offsets = _word_offsets(words)
    for s in spotted:
        scores[s.category] = max(scores[s.category], policy.keyphrase_score)
        a, b = offsets[s.first][0], offsets[s.last][1]
        spans.append({"category": s.category, "start": a, "end": b, "text": s.heard, "source": "transcript",
                      "transcript": "spotted", "spotted": s.phrase, "gap": s.gap})
    decision, flagged = policy.decide(scores)
    return Verdict(decision, scores, [], spans, {}, flagged)


def _span_confidence(span: dict, offsets: list[tuple[int, int, float]]) -> float:
    """How sure the recogniser is of a span: the mean probability of the words under it.

    A spotted span (:func:`spotted_verdict`) is as sure as :data:`SPOTTED_CONFIDENCE`: the audio
    supports the phrase, but the recogniser did not write it.
    """
    if span.get("transcript") == "spotted":
        return SPOTTED_CONFIDENCE
    under = [p for a, b, p in offsets if a < span["end"] and b > span["start"]]
    if not under:
        return 0.0
    # The mean, not the least sure word: one unsure function word ("have" at 0.08 in a clearly heard
    # "let's have sex right now") must not drop a hit, and words that are all guesses still are.
    return float(np.mean(under))


def _raised(c: str, score: float, said: str, spans: list[dict], *, sure_words: bool = False) -> dict:
    """One entry of ``evidence["raised_for_review"]``: category, score, a sentence for the reviewer, the spans.

    ``sure_words``: the words were heard surely and it is the reading that is unsure (:func:`_calibrate`)."""
    label = CATEGORY_LABELS.get(c, c)
    if sure_words:
        reason = (f"raised for review as possible {label} (score {score:.2f}): the soundtrack says {said} "
                  "(the check is not sure this is harmful)")
    else:
        reason = f"raised for review as possible {label} (score {score:.2f}): the soundtrack may say {said} (uncertain words)"
    return {"category": c, "score": round(float(score), 4), "reason": reason, "spans": spans}


def _said(spans: list[dict]) -> str:
    return ", ".join(dict.fromkeys(f"'{s['spotted']}' (heard as '{s['text']}')" if "spotted" in s else f"'{s['text']}'"
                                   for s in spans))


def _weigh(v: Verdict, offsets: list[tuple[int, int, float]], policy: Policy) -> tuple[Verdict, list[dict], list[dict]]:
    """``v`` with each flagged category weighed by its spans' confidence (see the module docstring).

    A category whose surest span is at least :data:`SURE_WORD_P` holds the clip (review). One whose
    surest span lies between :data:`IGNORE_WORD_P` and :data:`SURE_WORD_P` only *raises* the clip for
    review: it is not flagged (the clip is not held) and goes to ``raised`` with its words marked
    uncertain (the issue's rule: never hold on words the recogniser is unsure of).

    Returns the weighed verdict (reasons rewritten), the spans dropped as guesses, and the raised entries.
    """
    scores, spans, dropped, raised = dict(v.scores), [], [], []
    for c in v.flagged:
        mine = [s for s in v.spans if s["category"] == c]
        conf = [_span_confidence(s, offsets) for s in mine]  # decided unrounded, rounded for display
        for s, x in zip(mine, conf, strict=True):
            s["confidence"], s["uncertain"] = round(x, 3), x < SURE_WORD_P
        best = max(conf, default=1.0)  # a category with no span keeps its score
        if best < IGNORE_WORD_P:
            dropped += mine
            scores[c] = min(scores[c], policy.review[c] * 0.99)  # below review: not flagged
            continue
        if best < SURE_WORD_P:  # never held on words the recogniser is unsure of: raised for review only
            raised.append(_raised(c, scores[c], _said(mine), mine))
            scores[c] = min(scores[c], policy.review[c] * 0.99)
            continue
        scores[c] = min(scores[c], policy.review[c])  # held for a person to listen, never blocked
        spans += mine
    decision, flagged = policy.decide(scores)
    reasons = [policy.reason(c, scores[c], f"the soundtrack says {_said([s for s in spans if s['category'] == c])}")
               for c in flagged]
    return Verdict(decision, scores, reasons, spans, v.evidence, flagged), dropped, raised


def check_audio(audio: np.ndarray, sample_rate: int, *, policy: Policy | None = None) -> Verdict:
    """Transcribe the soundtrack; key phrases and the text classifier read it, weighed by word confidence.

    A hit holds the clip for review (never blocks); hits on words too unsure to count are dropped.

    Args:
        audio: (C, N) or (N,) floats in [-1, 1].
        sample_rate: in Hz.
        policy: thresholds (default: the shipped policy).

    Returns:
        A :class:`Verdict`; ``evidence`` holds ``speech``, ``transcript``, ``words`` (each with its
        probability), ``uncertain_words``, ``dropped`` (hits resting on words too unsure to count) and
        ``raised_for_review`` (hits on uncertain words: each ``{"category", "score", "reason", "spans"}``;
        they do not hold the clip, a person is asked to listen). Spans carry ``confidence`` and ``uncertain``.
    """
    policy = policy or load_policy()
    pcm = to_16k_mono(audio, sample_rate)
    rms = float(np.sqrt(np.mean((pcm.astype(np.float32) / 32767) ** 2))) if pcm.size else 0.0
    if rms < policy.min_speech_rms:
        return Verdict("allow", {c: 0.0 for c in CATEGORIES},
                       evidence={"transcript": "", "speech": False, "raised_for_review": []})
    a16 = pcm.astype(np.float32) / 32767
    text, words = transcribe(a16, ASR_RATE)
    spotted = spot(a16, ASR_RATE, words, KEYPHRASES) if words else []
    v = judge_transcript(text, words, spotted, policy, alternatives=readings(a16, ASR_RATE, words))
    if _wants_forced(v):  # only clips nothing holds or raises pay for the prompted reading
        v.evidence["raised_for_review"] += _forced_hits(forced(a16, ASR_RATE, text, words), v, policy)
    if _wants_forced(v):  # ... and then for the slowed and denoised readings
        v.evidence["raised_for_review"] += _altered_hits(altered(a16, ASR_RATE, text, words), v, policy)
    v.evidence["audio_seconds"] = round(pcm.size / ASR_RATE, 3)
    return v


def speech_model() -> TextModel:
    """The classifier that reads transcripts: the prompt classifier's features, trained also on
    spoken lines and on what the recogniser heard of them (``python -m sora_widgets.moderation.train --speech``)."""
    return load_model(str(SPEECH_MODEL_PATH))


#: Categories where a transcript is read by the prompt classifier as well as the speech classifier, and the
#: higher score counts. Sexual content involving minors is the one harm where a missed clip costs far more
#: than a benign one held for a person to listen: the speech classifier, taught that "the kids were naked in
#: the bath" is benign, let "send me naked pictures of the kids" through (heard "and me naked picture of the
#: kids"), which the prompt classifier holds.
READ_BY_BOTH = frozenset({"sexual_minors"})


def _classified(text: str, policy: Policy, model: TextModel | None = None) -> Verdict:
    """The speech classifier's verdict on a transcript, under the policy's speech settings.

    The any-harm rule uses ``speech_any_harm_review``; a category counts only from
    ``speech_classifier_min`` up and never when in ``speech_ignored``; a category of
    :data:`READ_BY_BOTH` takes the prompt classifier's score when it is higher.
    """
    speech_policy = replace(policy, any_harm_review=policy.speech_any_harm_review)
    v = check_prompts([text], policy=speech_policy, source="transcript", model=model or speech_model())[0]
    raw, spans = dict(v.scores), list(v.spans)
    reason_of = dict(zip(v.flagged, v.reasons, strict=True))
    typed = check_prompts([text], policy=speech_policy, source="transcript")[0]  # the prompt classifier
    for c in READ_BY_BOTH:
        if typed.scores.get(c, 0.0) > raw.get(c, 0.0):
            raw[c] = typed.scores[c]
            spans = [s for s in spans if s["category"] != c] + [s for s in typed.spans if s["category"] == c]
            reason_of.update((k, r) for k, r in zip(typed.flagged, typed.reasons, strict=True) if k == c)
    scores = {c: (0.0 if c in policy.speech_ignored or x < policy.speech_classifier_min else x)
              for c, x in raw.items()}
    decision, flagged = policy.decide(scores)
    spans = [dict(s, transcript="open") for s in spans if s["category"] in flagged]
    reasons = [reason_of[c] for c in flagged if c in reason_of]
    return Verdict(decision, scores, reasons, spans, v.evidence, flagged)


def judge_transcript(text: str, words: list[dict], spotted: list[Spotted], policy: Policy,
                     model: TextModel | None = None, alternatives=(), forced_reading=None,
                     altered_readings=()) -> Verdict:
    """The soundtrack's verdict from what the recogniser heard (:func:`check_audio` after recognition).

    Args:
        text: the transcript (``" ".join`` of the words).
        words: its words, each ``{"word", "start_s", "end_s", "probability"}`` (probability 0-1).
        spotted: key phrases the audio supports under misheard words (:func:`.spotting.spot`).
        policy: thresholds.
        model: the classifier reading the transcript (default :func:`speech_model`; benchmarks pass
            one trained without the lines they judge).
        alternatives: other readings of the speech (:func:`readings`: :class:`sora_widgets.speech.Reading`
            or their dicts); a harm only they show raises the clip for review (:func:`_alternative_hits`).
        forced_reading: the prompted reading (:func:`forced`: :class:`sora_widgets.speech.recognise.Forced` or
            its dict), read only when nothing else holds or raises the clip (:func:`_forced_hits`).
        altered_readings: readings of the slowed and denoised speech (:func:`altered`:
            :class:`sora_widgets.speech.recognise.Altered` or their dicts), read only when nothing else, the
            prompted reading included, holds or raises the clip (:func:`_altered_hits`).

    Returns:
        The weighed :class:`Verdict` (review at most); see :func:`check_audio`.
    """
    verdicts = [spot_keyphrases(text, policy), spotted_verdict(spotted, words, policy)]
    if text.strip():
        verdicts.append(_classified(text, policy, model))
    evidence = {
        "speech": True,
        "transcript": text,
        # The key-phrase pass reads the same transcript now; kept under its old name for the review
        # queue, which shows it with the key-phrase spans highlighted.
        "transcript_keywords": text,
        "words": words,
        "uncertain_words": [w["word"] for w in words if w["probability"] < SURE_WORD_P],
    }
    merged = merge_verdicts(verdicts, evidence=evidence)
    evidence["scores_heard"] = {c: round(float(x), 4) for c, x in merged.scores.items()}
    v, dropped, raised = _weigh(merged, _word_offsets(words), policy)
    v, raised = _calibrate(v, merged, raised, words, policy)
    raised += _alternative_hits(text, alternatives, v, raised, policy, model)
    v.evidence["dropped"] = dropped
    v.evidence["raised_for_review"] = raised
    if forced_reading is not None and _wants_forced(v):
        raised += _forced_hits(forced_reading, v, policy, model)
    if altered_readings and _wants_forced(v):
        raised += _altered_hits(altered_readings, v, policy, model)
    return v


def _calibrate(v: Verdict, heard: Verdict, raised: list[dict], words: list[dict],
               policy: Policy) -> tuple[Verdict, list[dict]]:
    """Hold only a sure hit on a sure reading; raise a plausible one (see :data:`SURE_CLASSIFIER_SCORE`,
    :data:`RAISE_FRACTION`).

    ``v`` is the verdict weighed by word confidence (:func:`_weigh`), ``heard`` the one before weighing (its
    scores are the classifier's and the key phrases'), ``raised`` the entries already raised. A held
    category resting only on the classifier's reading of the whole sentence, below
    :data:`SURE_CLASSIFIER_SCORE`, is moved to the raised entries; a category no pass flagged that scores
    at least :data:`RAISE_FRACTION` of its review threshold is raised, when the words are not guesses
    (their mean probability reaches :data:`IGNORE_WORD_P`). Never adds a hold.
    """
    scores, keep, raised = dict(v.scores), [], list(raised)
    done = {r["category"] for r in raised} | {s["category"] for s in v.evidence.get("dropped", [])}
    for c in v.flagged:
        mine = [s for s in v.spans if s["category"] == c]
        if mine and all(s.get("transcript") == "open" for s in mine) and heard.scores[c] < SURE_CLASSIFIER_SCORE:
            raised.append(_raised(c, heard.scores[c], _said(mine), mine, sure_words=True))
            scores[c] = min(scores[c], policy.review[c] * 0.99)
        else:
            keep.append(c)
    mean_p = float(np.mean([w["probability"] for w in words])) if words else 0.0
    if mean_p >= IGNORE_WORD_P:
        for c in CATEGORIES:
            if c in v.flagged or c in done or c in policy.speech_ignored:
                continue
            if RAISE_FRACTION * policy.review[c] <= heard.scores[c] < policy.review[c]:
                span = {"category": c, "start": 0, "end": len(heard.evidence.get("transcript", "")),
                        "text": heard.evidence.get("transcript", ""), "source": "transcript", "transcript": "open",
                        "confidence": round(mean_p, 3), "uncertain": mean_p < SURE_WORD_P}
                raised.append(_raised(c, heard.scores[c], _said([span]), [span], sure_words=mean_p >= SURE_WORD_P))
    if len(keep) == len(v.flagged):
        return v, raised
    decision, flagged = policy.decide(scores)
    reasons = [r for c, r in zip(v.flagged, v.reasons, strict=True) if c in flagged]
    spans = [s for s in v.spans if s["category"] in flagged]
    return Verdict(decision, scores, reasons, spans, v.evidence, flagged), raised


#: A reading other than the transcript counts when the decoder gave it at least this mean log probability per
#: token (nats; clear speech reads at about -0.2 to -0.5). With :data:`ALT_MIN_SUPPORT` chosen by 5-fold
#: cross-validation on the tune split (``soundtrack_tune.py cv-readings``): -0.7 to -1.6 with support 2 all gave
#: harmful caught 26/30 (24/30 without readings) and no benign clip newly raised (support 1: 1 of 105).
ALT_MIN_SCORE = -0.9
#: A harm shown only by other readings raises the clip when at least this many counted readings show it.
ALT_MIN_SUPPORT = 2


def _alternative_hits(text: str, alternatives, v: Verdict, raised: list[dict], policy: Policy,
                      model: TextModel | None = None) -> list[dict]:
    """Raised entries for harms that only other readings of the speech show (never a hold).

    Each reading (not the transcript itself) whose score reaches :data:`ALT_MIN_SCORE` is read by the same
    passes as the transcript (whole key phrases, the speech classifier); a category it flags that the
    verdict neither holds nor raises already, flagged by at least :data:`ALT_MIN_SUPPORT` such readings,
    is raised for review with those readings as its words, marked uncertain. The recogniser's 1-best
    transcript of a fast voice in noise often misses the harmful words the beam's other readings keep.
    """
    done = set(v.flagged) | {r["category"] for r in raised}
    support: dict[str, list[tuple[str, float, float]]] = {}
    for r in alternatives:
        r = r if isinstance(r, dict) else {"text": r.text, "score": r.score}
        if r["text"] == text or r["score"] < ALT_MIN_SCORE:
            continue
        hits = merge_verdicts([spot_keyphrases(r["text"], policy), _classified(r["text"], policy, model)])
        for c in hits.flagged:
            if c not in done:
                support.setdefault(c, []).append((r["text"], r["score"], hits.scores[c]))
    out = []
    for c, rs in support.items():
        if len(rs) < ALT_MIN_SUPPORT:
            continue
        spans = [{"category": c, "start": 0, "end": len(t), "text": t, "source": "transcript",
                  "transcript": "alternative", "reading_score": round(sc, 3), "confidence": 0.0, "uncertain": True}
                 for t, sc, _ in rs]
        entry = _raised(c, max(x for *_, x in rs), _said(spans), spans)
        entry["reason"] = entry["reason"].replace("(uncertain words)", "(uncertain words: another reading of unclear speech)")
        out.append(entry)
    return out


#: What the decoder is told to listen for in :func:`forced` (Whisper's prompt): the key phrases.
FORCED_VOCABULARY = ", ".join(p for ps in KEYPHRASES.values() for p in ps)
#: The prompted reading counts when the audio, scored without the prompt, makes it at most this many nats (summed
#: over tokens) less likely than the transcript. Chosen by 5-fold cross-validation on the tune split
#: (``soundtrack_tune.py cv-forced``); see docs/moderation.md.
FORCED_MIN_GAP = -4.0


def forced(a16: np.ndarray, rate: int, text: str, words: list[dict]):
    """The reading of the speech under ``words`` the decoder writes when told to listen for the key phrases
    (:func:`sora_widgets.speech.recognise.forced_reading`), with its gap to the transcript ``text``; None when
    no word was heard."""
    from ..speech.recognise import forced_reading

    if not words:
        return None
    return forced_reading(a16, rate, text, FORCED_VOCABULARY,
                          start_s=max(0.0, float(words[0]["start_s"]) - _READ_MARGIN_S),
                          end_s=float(words[-1]["end_s"]) + _READ_MARGIN_S)


def _wants_forced(v: Verdict) -> bool:
    """Whether a clip is left uncertain enough to pay for :func:`forced`: nothing holds it and nothing raised it."""
    return v.decision == "allow" and not v.evidence.get("raised_for_review")


def _forced_hits(f, v: Verdict, policy: Policy, model: TextModel | None = None) -> list[dict]:
    """Raised entries for harms the prompted reading ``f`` shows (never a hold).

    The reading counts when it differs from the transcript and its gap reaches :data:`FORCED_MIN_GAP` (the
    audio, heard without the prompt, nearly supports it). It is read by the key phrases and the speech
    classifier; each category it flags that the verdict does not hold is raised, its words marked uncertain.
    """
    if f is None:
        return []
    f = f if isinstance(f, dict) else {"text": f.text, "heard": f.heard, "gap": f.gap}
    if f["text"] == f["heard"] or f["gap"] < FORCED_MIN_GAP:
        return []
    return _reading_hits(f["text"], {"transcript": "forced", "gap": round(float(f["gap"]), 3)}, v, policy, model,
                         "the recogniser's reading when told to listen for harmful phrases")


#: Which altered versions of the speech :func:`altered` reads (names of ``speech.alter.ALTERATIONS``).
ALTERED = ("slowed", "much slowed", "denoised")
#: A reading of altered audio counts when the original audio makes it at most this many nats (summed over tokens)
#: less likely than the transcript. See docs/moderation.md (chosen on the earlier held-out sets, not the fifth).
ALTERED_MIN_GAP = -6.0


def altered(a16: np.ndarray, rate: int, text: str, words: list[dict]):
    """Readings of the speech under ``words`` slowed down and denoised
    (:func:`sora_widgets.speech.recognise.altered_readings`), each with its gap to the transcript ``text``; none when
    no word was heard."""
    from ..speech.recognise import altered_readings

    if not words:
        return ()
    return altered_readings(a16, rate, text, alterations=ALTERED,
                            start_s=max(0.0, float(words[0]["start_s"]) - _READ_MARGIN_S),
                            end_s=float(words[-1]["end_s"]) + _READ_MARGIN_S)


def _altered_hits(readings_, v: Verdict, policy: Policy, model: TextModel | None = None) -> list[dict]:
    """Raised entries for harms that readings of the slowed or denoised speech show (never a hold).

    A reading counts when its gap reaches :data:`ALTERED_MIN_GAP` (the original audio nearly supports it). Each
    counted reading is read by the key phrases and the speech classifier; each category one flags that the
    verdict does not hold is raised once, its words marked uncertain.
    """
    out: list[dict] = []
    for r in readings_:
        r = r if isinstance(r, dict) else {"text": r.text, "gap": r.gap, "how": r.how}
        if r["gap"] < ALTERED_MIN_GAP:
            continue
        done = {e["category"] for e in out}
        out += [e for e in _reading_hits(r["text"], {"transcript": "altered", "gap": round(float(r["gap"]), 3),
                                                     "altered": r["how"]}, v, policy, model,
                                         f"another reading of the speech, {r['how']}")
                if e["category"] not in done]
    return out


def _reading_hits(text: str, span_info: dict, v: Verdict, policy: Policy, model: TextModel | None,
                  why: str) -> list[dict]:
    """Raised entries for each category another reading ``text`` flags (key phrases, the speech classifier) that
    the verdict ``v`` does not hold; its span carries ``span_info`` and the reason says ``why`` it is uncertain."""
    hits = merge_verdicts([spot_keyphrases(text, policy), _classified(text, policy, model)])
    out = []
    for c in hits.flagged:
        if c in v.flagged:
            continue
        span = {"category": c, "start": 0, "end": len(text), "text": text, "source": "transcript", **span_info,
                "confidence": 0.0, "uncertain": True}
        entry = _raised(c, hits.scores[c], _said([span]), [span])
        entry["reason"] = entry["reason"].replace("(uncertain words)", f"(uncertain words: {why})")
        out.append(entry)
    return out
