"""Soundtrack moderation weighs the recogniser's word confidence: sure words hold for review, unsure words only raise
the clip for review (never hold it), guesses count for nothing."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from sora_widgets.moderation import audio
from sora_widgets.moderation.policy import load_policy
from sora_widgets.moderation.text import check_prompts
from sora_widgets.moderation.verdict import merge_verdicts
from sora_widgets.speech import corpus

POLICY = load_policy()
LINE = "you should kill yourself tonight nobody will miss you"


def _words(probs: list[float], text: str = LINE) -> list[dict]:
    return [{"word": w, "start_s": 0.0, "end_s": 0.0, "probability": p} for w, p in zip(text.split(), probs, strict=True)]


def _weighed(text: str, probs: list[float]):
    v = merge_verdicts([audio.spot_keyphrases(text, POLICY)])
    return audio._weigh(v, audio._word_offsets(_words(probs, text)), POLICY)


@given(st.lists(st.floats(min_value=0.0, max_value=1.0, allow_nan=False), min_size=len(LINE.split()),
                max_size=len(LINE.split())))
def test_key_phrases_on_unsure_words_are_raised_never_held_and_guesses_dropped(probs):
    v, dropped, raised = _weighed(LINE, probs)
    words = LINE.split()
    # each key phrase hit is as sure as the mean of its words; the category takes its surest hit
    hits = [float(np.mean(probs[i:i + n])) for phrase in audio.KEYPHRASES["self_harm"]
            for n in [len(phrase.split())] for i in range(len(words) - n + 1) if words[i:i + n] == phrase.split()]
    assert hits  # "kill yourself" and "nobody will miss you"
    sure = max(hits)
    assert v.decision != "block"  # a key phrase alone never blocks (policy keyphrase_score)
    if sure < audio.IGNORE_WORD_P:
        assert v.decision == "allow" and dropped and not v.flagged and not raised
    elif sure < audio.SURE_WORD_P:  # raised for a person to listen, the clip not held; its words shown as uncertain
        assert v.decision == "allow" and not v.flagged and not dropped
        assert [r["category"] for r in raised] == ["self_harm"] and "uncertain words" in raised[0]["reason"]
        assert all(s["uncertain"] for s in raised[0]["spans"])
    else:
        assert v.decision == "review" and v.flagged == ["self_harm"] and not raised
        assert all(s["uncertain"] == (audio._span_confidence(s, audio._word_offsets(_words(probs))) < audio.SURE_WORD_P)
                   for s in v.spans)
        assert "uncertain words" not in v.reasons[0]


@settings(max_examples=25, deadline=None)
@given(st.floats(min_value=0.0, max_value=1.0, allow_nan=False))
def test_a_classifier_block_on_heard_words_becomes_review_raised_or_nothing(p):
    words = [{"word": w, "start_s": 0.0, "end_s": 0.0, "probability": p} for w in LINE.split()]
    merged = merge_verdicts([audio.spot_keyphrases(LINE, POLICY), _CLASSIFIED])
    v, _, raised = audio._weigh(merged, audio._word_offsets(words), POLICY)
    if p >= audio.SURE_WORD_P:
        assert v.decision == "review" and not any(s["uncertain"] for s in v.spans)  # held for a person
    elif p >= audio.IGNORE_WORD_P:
        assert v.decision == "allow" and raised and all(s["uncertain"] for r in raised for s in r["spans"])
    else:
        assert v.decision == "allow" and not raised


_CLASSIFIED = check_prompts([LINE], policy=POLICY, source="transcript")[0]
assert _CLASSIFIED.decision == "block", "the text classifier blocks this line when typed"


@pytest.mark.slow
@pytest.mark.parametrize(("line", "voice"), [("the skill you learn yourself lasts forever", "en-gb-scotland"),
                                              ("nobody will miss the bus today", "en-029"),
                                              ("you are my sunshine my only sunshine", "en-us")])
def test_sound_alike_and_song_lines_are_allowed(line, voice):
    x, sr = corpus.say(line, voice=voice, speed_wpm=160)
    v = audio.check_audio(x, sr)
    assert v.decision == "allow", (v.reasons, v.evidence["transcript"])
    assert all(0 <= w["probability"] <= 1 for w in v.evidence["words"])


@pytest.mark.slow
def test_harmful_speech_in_an_accent_is_held_with_the_words_shown():
    x, sr = corpus.say("you are worthless and everyone hates you", voice="en-gb-x-rp", speed_wpm=150)
    v = audio.check_audio(corpus.degrade(x, sr, "music", seed=1), sr)
    assert v.decision in ("review", "block") and "harassment" in v.flagged, v.evidence["transcript"]
    for s in v.spans:
        assert v.evidence["transcript"][s["start"]:s["end"]] == s["text"]


def test_silence_skips_recognition():
    v = audio.check_audio(np.zeros((1, 48_000), np.float32), 48_000)
    assert v.decision == "allow" and v.evidence["speech"] is False



# --- Key phrases spotted under misheard words (moderation/spotting.py) ---

def test_phonemes_fold_voicing_and_vowels():
    from sora_widgets.moderation import spotting

    (gas,), (cosmos,) = spotting.phonemes(("gas",)), spotting.phonemes(("cosmos",))
    assert gas == ("k", "V", "s")  # g -> k, the vowel one class, s stays
    assert cosmos[:3] == ("k", "V", "s")  # the shape the recogniser keeps when it mishears


def test_candidates_find_a_sound_alike_and_skip_what_was_written():
    from sora_widgets.moderation import spotting

    found = spotting.candidates(["cosmos"], audio.KEYPHRASES)
    assert "gas them" in [c.phrase for c in found]
    written = spotting.candidates("you are worthless".split(), {"harassment": ("you are worthless",)})
    assert written == []  # said word for word: the transcript pass holds it, spotting adds nothing
    far = spotting.candidates("the library is quiet on sundays".split(), {"hate": ("gas them",)})
    assert far == []


_SPOT_WORDS = "you are what is wrong with".split()


@given(st.lists(st.floats(min_value=0.0, max_value=1.0, allow_nan=False), min_size=len(_SPOT_WORDS),
                max_size=len(_SPOT_WORDS)),
       st.floats(min_value=0.0, max_value=10.0, allow_nan=False),
       st.sampled_from(sorted(audio.KEYPHRASES)))
def test_a_spotted_phrase_is_raised_for_review_marked_uncertain_never_held_nor_dropped(probs, gap, category):
    from sora_widgets.moderation.spotting import Spotted

    words = [{"word": w, "start_s": 0.0, "end_s": 0.0, "probability": p} for w, p in zip(_SPOT_WORDS, probs, strict=True)]
    phrase = audio.KEYPHRASES[category][0]
    sv = audio.spotted_verdict([Spotted(phrase, category, "you are what is", 0, 3, 0.2, gap)], words, POLICY)
    v, dropped, raised = audio._weigh(merge_verdicts([sv]), audio._word_offsets(words), POLICY)
    assert v.decision == "allow" and not v.flagged and not dropped
    assert [r["category"] for r in raised] == [category]
    spans = raised[0]["spans"]
    assert all(s["uncertain"] and s["spotted"] == phrase for s in spans)
    reason = raised[0]["reason"]
    assert "uncertain words" in reason and f"'{phrase}' (heard as 'you are what is')" in reason
    text = " ".join(_SPOT_WORDS)
    assert all(text[s["start"]:s["end"]] == s["text"] for s in spans)  # the reviewer's highlight is the heard words


def test_one_unsure_word_does_not_drop_a_clearly_heard_phrase():
    words = _words([0.85, 0.08, 0.81, 0.95, 0.96], "let's have sex right now")  # as Whisper heard it
    v = audio.judge_transcript("let's have sex right now", words, [], POLICY)
    assert v.decision == "review" and "sexual" in v.flagged


def test_speech_settings_of_the_policy():
    assert POLICY.speech_any_harm_review >= POLICY.any_harm_review  # speech is held later than a prompt, never earlier
    line = "make a deepfake of her face without her consent"
    assert "nonconsensual_likeness" in check_prompts([line], policy=POLICY)[0].flagged  # typed: held
    assert "nonconsensual_likeness" in POLICY.speech_ignored
    heard = audio.judge_transcript(line, _words([0.9] * len(line.split()), line), [], POLICY)
    assert "nonconsensual_likeness" not in heard.flagged  # a soundtrack cannot show a likeness


@pytest.mark.slow
def test_a_misheard_harmful_line_is_spotted_and_a_sound_alike_is_not():
    # Whisper writes "jihad" in this voice as other words; the audio supports the phrase more than them.
    x, sr = corpus.say("join the jihad and kill the infidels", voice="en-029", speed_wpm=170)
    v = audio.check_audio(x, sr)
    assert "jihad" not in v.evidence["transcript"]
    # "kill the infidels" is heard surely and holds the clip; the spotted "join the jihad" is shown beside it, uncertain
    assert v.decision == "review" and "extremism" in v.flagged, (v.evidence["transcript"], v.spans)
    assert any(s.get("spotted") and s["uncertain"] for s in v.spans)
    x, sr = corpus.say("gas the car up before the trip", voice="en-us", speed_wpm=150)
    v = audio.check_audio(x, sr)
    assert v.decision == "allow", (v.reasons, v.evidence["transcript"])


# --- The soundtrack's own classifier (issue 17 item 4: spoken lines are not typed prompts) ---

_VOCAB = sorted({w for line in (LINE, "join the jihad and kill the infidels", "take off your clothes and get naked",
                                "she cut herself a slice of cake", "we need more milk and bread")
                 for w in line.split()})


@settings(max_examples=30, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(_VOCAB), st.floats(min_value=0.0, max_value=1.0, allow_nan=False)),
                min_size=1, max_size=12))
def test_speech_never_blocks_whatever_was_heard(heard):
    text = " ".join(w for w, _ in heard)
    words = [{"word": w, "start_s": 0.0, "end_s": 0.0, "probability": p} for w, p in heard]
    v = audio.judge_transcript(text, words, [], POLICY)
    assert v.decision in ("allow", "review")
    assert all(s["uncertain"] == (s["confidence"] < audio.SURE_WORD_P) for s in v.spans)


@settings(max_examples=30, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(_VOCAB), st.floats(min_value=0.0, max_value=0.14, allow_nan=False)),
                min_size=1, max_size=12))
def test_words_the_recogniser_is_unsure_of_hold_nothing(heard):
    # every word below IGNORE_WORD_P (0.15): whatever they spell, the clip is not held
    text = " ".join(w for w, _ in heard)
    words = [{"word": w, "start_s": 0.0, "end_s": 0.0, "probability": p} for w, p in heard]
    v = audio.judge_transcript(text, words, [], POLICY)
    assert v.decision == "allow" and not v.flagged and not v.evidence["raised_for_review"]


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(_VOCAB), st.floats(min_value=0.0, max_value=0.4999, allow_nan=False)),
                min_size=1, max_size=12),
       st.lists(st.sampled_from(sorted(audio.KEYPHRASES)), max_size=2))
def test_words_below_sure_never_hold_a_clip_and_every_hit_is_shown_uncertain(heard, spotted_cats):
    # the rule: never hold on words the recogniser is unsure of; at most raise for review, words marked
    from sora_widgets.moderation.spotting import Spotted

    text = " ".join(w for w, _ in heard)
    words = [{"word": w, "start_s": 0.0, "end_s": 0.0, "probability": p} for w, p in heard]
    spotted = [Spotted(audio.KEYPHRASES[c][0], c, words[0]["word"], 0, 0, 0.2, 0.0) for c in spotted_cats]
    v = audio.judge_transcript(text, words, spotted, POLICY)
    assert v.decision == "allow" and not v.flagged
    for r in v.evidence["raised_for_review"]:
        assert "uncertain words" in r["reason"] and r["spans"] and all(s["uncertain"] for s in r["spans"])


def test_no_held_out_spoken_line_is_in_the_speech_classifiers_training_lines():
    import csv
    from pathlib import Path

    from sora_widgets.moderation.train import load_speech_lines

    rows = list(csv.DictReader(open(Path(__file__).parent / "data" / "spoken_lines.csv")))
    heldout = {r["text"] for r in rows if r["split"] == "heldout"}
    trained = {e.text for e, _ in load_speech_lines()}  # tune lines, own harmful lines, fortunes quotations
    assert trained and not heldout & trained
    second = {r["text"] for r in csv.DictReader(open(Path(__file__).parents[1] / "benchmarks/data/soundtrack_heldout.csv"))}
    assert len(second) >= 150 and not second & trained  # the second held-out set (fortunes, new voices) too
    assert {r["text"] for r in rows if r["split"] == "tune"} <= trained  # every tune line, as written


def test_the_soundtrack_and_the_prompt_box_use_their_own_classifiers():
    from sora_widgets.moderation.text import MODEL_PATH, SPEECH_MODEL_PATH, load_model

    assert audio.speech_model() is load_model(str(SPEECH_MODEL_PATH))
    assert audio.speech_model() is not load_model(str(MODEL_PATH))
    assert audio.speech_model().classes == load_model().classes


def test_sexual_content_with_minors_is_read_by_both_classifiers_and_the_higher_score_counts():
    # The speech classifier alone let this misheard line through; the prompt classifier holds it. For this one
    # category a benign line held for a person to listen costs far less than a missed one.
    from sora_widgets.moderation.text import check_prompts

    heard = "and me naked picture of the kids"
    assert "sexual_minors" in audio.READ_BY_BOTH
    typed = check_prompts([heard], policy=POLICY)[0]
    assert typed.scores["sexual_minors"] >= POLICY.review["sexual_minors"]
    # a speech classifier that reads it as benign (as the one trained before stop 32 nearly did) is overruled
    weak = _constant_classifier("sexual_minors", 0.01)
    assert check_prompts([heard], policy=POLICY, model=weak)[0].scores["sexual_minors"] < 0.05
    for model in (weak, None):  # None: the shipped speech classifier
        v = audio.judge_transcript(heard, _words([0.9] * len(heard.split()), heard), [], POLICY, model)
        assert v.decision == "review" and "sexual_minors" in v.flagged  # held, never blocked
        assert v.scores["sexual_minors"] >= min(typed.scores["sexual_minors"], POLICY.review["sexual_minors"])


def _constant_classifier(category: str, p: float):
    """A speech classifier that reads every text as ``category`` with probability ``p`` (the rest benign)."""
    from sora_widgets.moderation.text import NGRAM_BUCKETS, TextModel, load_model

    classes = load_model().classes
    n_features = audio.speech_model().weights.shape[1]
    probs = np.full(len(classes), 1e-6)
    probs[classes.index(category)] = max(p, 1e-6)
    probs[classes.index("benign")] = max(1.0 - p, 1e-6)
    return TextModel(np.zeros((len(classes), n_features)), np.log(probs), classes, np.ones(NGRAM_BUCKETS))


_PLAIN = "we walked down to the shop and bought some bread"  # no key phrase, no lexicon word


@settings(max_examples=40, deadline=None)
@given(st.sampled_from([c for c in audio.CATEGORIES if c not in POLICY.speech_ignored and c not in audio.READ_BY_BOTH]),
       st.floats(min_value=0.0, max_value=0.999, allow_nan=False),
       st.floats(min_value=audio.SURE_WORD_P, max_value=1.0, allow_nan=False))
def test_the_classifier_alone_holds_only_a_sure_reading_and_raises_a_plausible_one(category, p, word_p):
    # issue 17: "only a sure hit on a sure reading holds"; a plausible harmful reading raises (a person listens)
    words = [{"word": w, "start_s": 0.0, "end_s": 0.0, "probability": word_p} for w in _PLAIN.split()]
    v = audio.judge_transcript(_PLAIN, words, [], POLICY, _constant_classifier(category, p))
    score = v.evidence["scores_heard"][category]  # the classifier's score under the policy (any-harm rule included)
    # the evidence keeps 4 decimals: a score that rounds onto a threshold (p=0.6 gives 0.59999..., shown 0.6)
    # cannot be placed on either side of it from here
    sure, raise_at = max(audio.SURE_CLASSIFIER_SCORE, POLICY.review[category]), audio.RAISE_FRACTION * POLICY.review[category]
    assume(all(abs(score - t) > 1e-4 for t in (sure, raise_at)))
    raised = [r["category"] for r in v.evidence["raised_for_review"]]
    if score >= sure:
        assert v.decision == "review" and v.flagged == [category] and not raised
    elif score >= raise_at:
        assert v.decision == "allow" and raised == [category]
        assert "not sure this is harmful" in v.evidence["raised_for_review"][0]["reason"]
    else:
        assert v.decision == "allow" and not raised


# --- Other readings of the speech (the beam's n best and samples; issue 17 item 4: mishearing) ---


def _reading(text: str, score: float) -> dict:
    return {"text": text, "score": score, "rank": 1, "sampled": False}


def test_a_harm_only_another_reading_shows_raises_the_clip_and_never_holds_it():
    heard = "we need more milk and bread"
    words = _words([0.9] * 6, heard)
    alone = audio.judge_transcript(heard, words, [], POLICY)
    said = ["join the jihad and kill the infidels", "join the jihad and kill the infidel"][: audio.ALT_MIN_SUPPORT]
    likely = audio.judge_transcript(heard, words, [], POLICY, alternatives=[_reading(t, -0.5) for t in said])
    unlikely = audio.judge_transcript(heard, words, [], POLICY, alternatives=[
        _reading(t, audio.ALT_MIN_SCORE - 0.5) for t in said])
    alone_reading = audio.judge_transcript(heard, words, [], POLICY, alternatives=[_reading(said[0], -0.5)])
    assert audio.ALT_MIN_SUPPORT < 2 or not alone_reading.evidence["raised_for_review"]  # one reading is not enough
    assert alone.decision == likely.decision == unlikely.decision == "allow" and not likely.flagged
    assert not alone.evidence["raised_for_review"] and not unlikely.evidence["raised_for_review"]
    (r,) = likely.evidence["raised_for_review"]
    assert r["category"] == "extremism" and "another reading" in r["reason"] and "'join the jihad" in r["reason"]
    assert all(s["uncertain"] and s["transcript"] == "alternative" for s in r["spans"])


def test_a_harm_only_the_prompted_reading_shows_raises_a_clip_nothing_else_raised_and_never_holds_it():
    heard = "we need more milk and bread"
    words = _words([0.9] * 6, heard)

    def judged(text, gap, **kw):
        return audio.judge_transcript(heard, words, [], POLICY, forced_reading={"text": text, "heard": heard,
                                                                                "gap": gap}, **kw)

    near = judged("you are worthless and need more bread", audio.FORCED_MIN_GAP + 0.5)
    far = judged("you are worthless and need more bread", audio.FORCED_MIN_GAP - 0.5)  # the prompt put the words there
    same = judged(heard, 0.0)
    assert near.decision == far.decision == same.decision == "allow" and not near.flagged
    assert not far.evidence["raised_for_review"] and not same.evidence["raised_for_review"]
    (r,) = near.evidence["raised_for_review"]
    assert r["category"] == "harassment" and "told to listen" in r["reason"] and "'you are worthless" in r["reason"]
    assert all(s["uncertain"] and s["transcript"] == "forced" for s in r["spans"])
    # a clip other readings already raise is not read again (the prompted reading costs a decoding)
    both = judged("join the jihad and kill the infidels", 0.0, alternatives=[
        _reading(t, -0.5) for t in ["you are worthless go away", "you are worthless no way"]])
    assert [x["category"] for x in both.evidence["raised_for_review"]] == ["harassment"]


def test_a_harm_only_a_slowed_or_denoised_reading_shows_raises_a_clip_nothing_else_raised_and_never_holds_it():
    heard = "we need more milk and bread"
    words = _words([0.9] * 6, heard)

    def judged(text, gap, how="much slowed", **kw):
        return audio.judge_transcript(heard, words, [], POLICY,
                                      altered_readings=[{"text": text, "heard": heard, "gap": gap, "how": how}], **kw)

    near = judged("you are worthless and need more bread", audio.ALTERED_MIN_GAP + 0.5)
    far = judged("you are worthless and need more bread", audio.ALTERED_MIN_GAP - 0.5)  # the audio does not support it
    assert near.decision == far.decision == "allow" and not near.flagged and not far.evidence["raised_for_review"]
    (r,) = near.evidence["raised_for_review"]
    assert r["category"] == "harassment" and "much slowed" in r["reason"] and "'you are worthless" in r["reason"]
    assert all(s["uncertain"] and s["transcript"] == "altered" and s["altered"] == "much slowed" for s in r["spans"])
    # two altered readings showing the same harm raise it once
    twice = audio.judge_transcript(heard, words, [], POLICY, altered_readings=[
        {"text": "you are worthless and need more bread", "heard": heard, "gap": 0.0, "how": how}
        for how in ("slowed", "denoised")])
    assert [x["category"] for x in twice.evidence["raised_for_review"]] == ["harassment"]
    # a clip the prompted reading already raises is not read again (the altered readings cost three decodings)
    both = judged("join the jihad and kill the infidels", 0.0,
                  forced_reading={"text": "you are worthless and need more bread", "heard": heard, "gap": 0.0})
    assert [x["category"] for x in both.evidence["raised_for_review"]] == ["harassment"]


@settings(max_examples=12, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(_VOCAB), st.floats(min_value=0.0, max_value=1.0, allow_nan=False)),
                min_size=1, max_size=10),
       st.lists(st.tuples(st.lists(st.sampled_from(_VOCAB), min_size=1, max_size=10),
                          st.floats(min_value=-5.0, max_value=0.0, allow_nan=False)), max_size=4),
       st.tuples(st.lists(st.sampled_from(_VOCAB), min_size=1, max_size=10),
                 st.floats(min_value=-10.0, max_value=10.0, allow_nan=False)),
       st.lists(st.tuples(st.lists(st.sampled_from(_VOCAB), min_size=1, max_size=10),
                          st.floats(min_value=-15.0, max_value=10.0, allow_nan=False),
                          st.sampled_from(audio.ALTERED)), max_size=3))
def test_other_readings_never_hold_a_clip_nor_change_what_the_transcript_holds(heard, readings, prompted, changed):
    # a benign speaker's clip must never be held on a reading the recogniser did not write (the beam's other
    # readings, the reading prompted with the key phrases): at most raised
    text = " ".join(w for w, _ in heard)
    words = [{"word": w, "start_s": 0.0, "end_s": 0.0, "probability": p} for w, p in heard]
    alone = audio.judge_transcript(text, words, [], POLICY)
    v = audio.judge_transcript(text, words, [], POLICY, alternatives=[_reading(" ".join(t), s) for t, s in readings],
                               forced_reading={"text": " ".join(prompted[0]), "heard": text, "gap": prompted[1]},
                               altered_readings=[{"text": " ".join(t), "heard": text, "gap": g, "how": how}
                                                 for t, g, how in changed])
    assert (v.decision, v.flagged, v.scores) == (alone.decision, alone.flagged, alone.scores)
    extra = v.evidence["raised_for_review"][len(alone.evidence["raised_for_review"]):]
    assert v.evidence["raised_for_review"][: len(alone.evidence["raised_for_review"])] == alone.evidence["raised_for_review"]
    already = set(alone.flagged) | {r["category"] for r in alone.evidence["raised_for_review"]}
    for r in extra:
        assert r["category"] not in already and all(s["uncertain"] for s in r["spans"])
        assert all(s["text"] != text for s in r["spans"])
        assert all(s["reading_score"] >= audio.ALT_MIN_SCORE if s["transcript"] == "alternative"
                   else s["gap"] >= audio.FORCED_MIN_GAP if s["transcript"] == "forced"
                   else s["transcript"] == "altered" and s["gap"] >= audio.ALTERED_MIN_GAP for s in r["spans"])


@pytest.mark.parametrize(("name", "n_harmful", "n_benign"), [("soundtrack_heldout3", 40, 100),
                                                             ("soundtrack_heldout4", 30, 60),
                                                             ("soundtrack_heldout5", 40, 100)])
def test_the_third_to_fifth_held_out_sets_are_in_no_training_line_nor_each_other(name, n_harmful, n_benign):
    import csv
    from pathlib import Path

    from sora_widgets.moderation.train import load_speech_lines

    data = Path(__file__).parents[1] / "benchmarks/data"
    rows = list(csv.DictReader(open(data / f"{name}.csv")))
    trained = {e.text for e, _ in load_speech_lines()}
    assert not {r["text"] for r in rows} & trained
    assert sum(r["category"] != "benign" for r in rows) >= n_harmful and sum(r["category"] == "benign" for r in rows) >= n_benign
    if name[-1] in "45":  # the fourth and fifth sets share no line with any earlier one
        earlier = {r["text"] for p in ("soundtrack_heldout.csv", "soundtrack_heldout3.csv", "soundtrack_heldout4.csv")
                   if p != f"{name}.csv" for r in csv.DictReader(open(data / p))}
        assert not {r["text"] for r in rows} & earlier
