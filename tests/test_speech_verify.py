"""Cameo phrase verification across voices: the decision rule, a fixed-seed corpus slice, guidance details."""

from __future__ import annotations

import importlib

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sora_widgets import speech
from sora_widgets.cameo import synthetic
from sora_widgets.media import Clip
from sora_widgets.speech import corpus
from sora_widgets.speech.recognise import PhraseScore, Scores

V = importlib.import_module("sora_widgets.cameo.verify")
SLOTS = list(V.VOCABULARY.values())


def _scores(phrase: str, table: dict[str, float], free: float) -> Scores:
    """A score table over ``phrase``'s one-word variants (each phrase one pseudo-word)."""
    return Scores(tuple(PhraseScore(p, (table[p],)) for p in V._variants(phrase)), PhraseScore("free", (free,)))


@st.composite
def claims(draw):
    words = [draw(st.sampled_from(ws)) for ws in SLOTS]
    phrase = " ".join(words)
    logp = st.floats(min_value=-80, max_value=0, allow_nan=False)
    table = {p: draw(logp) for p in V._variants(phrase)}
    return phrase, table, draw(logp)


@given(claims())
def test_a_claim_passes_only_if_every_word_holds_its_slot_and_the_phrase_explains_the_audio(claim):
    phrase, table, free = claim
    j = V.judge(_scores(phrase, table, free), phrase)
    own = table[phrase]
    words = phrase.split()
    beaten = [
        words[i] for i, ws in enumerate(SLOTS)
        if any(own - table[" ".join([*words[:i], w, *words[i + 1:]])] < V.MIN_WORD_MARGIN for w in ws if w != words[i])
    ]
    assert j["missing_words"] == beaten
    assert j["passed"] == (not beaten and free - own <= V.MAX_FREE_DEFICIT)
    # "heard" puts in each slot the claimed word where it wins, else the word that beat it.
    for i, w in enumerate(j["heard"].split()):
        rivals = [table[" ".join([*words[:i], x, *words[i + 1:]])] for x in SLOTS[i] if x != words[i]]
        assert w in SLOTS[i] and (w == words[i]) == (own > max(rivals))


@given(claims())
def test_skipping_the_free_decoding_never_changes_the_decision(claim):
    """verify() skips Whisper's free decoding when needs_free() says the candidates settle the claim
    (the free decoding scores at most 0 nats, so a phrase above -MAX_FREE_DEFICIT is within the
    deficit whatever it heard); the decision must be the one the full scoring gives, for any audio."""
    phrase, table, free = claim  # free <= 0: a log probability
    full = V.judge(_scores(phrase, table, free), phrase)
    phrases = _scores(phrase, table, free).phrases
    if V.needs_free(phrases, phrase):
        with pytest.raises(ValueError, match="needs the free decoding"):
            V.judge(Scores(phrases, None), phrase)
    else:
        skipped = V.judge(Scores(phrases, None), phrase)
        assert (skipped["passed"], skipped["missing_words"], skipped["heard"]) == (
            full["passed"], full["missing_words"], full["heard"])
        assert skipped["free"] is None and skipped["free_deficit"] is None


def test_the_free_decoding_is_asked_for_exactly_where_it_decides():
    phrase = "golden tiger rocket river"
    strong = {p: (-30.0 if p != phrase else -25.0) for p in V._variants(phrase)}  # every word leads by 5
    assert V.needs_free(_scores(phrase, strong, 0.0).phrases, phrase)  # -25 < -20: free may beat it by > 20
    near = {p: v + 10.0 for p, v in strong.items()}  # -15: nothing scores above 0, so within 20 of anything
    assert not V.needs_free(_scores(phrase, near, 0.0).phrases, phrase)
    lost = dict(near, **{"golden rabbit rocket river": -5.0})  # "tiger" trails: fails whatever the free says
    assert not V.needs_free(_scores(phrase, lost, 0.0).phrases, phrase)
    none = {p: (0.0 if p != phrase else -40.0) for p in V._variants(phrase)}  # no word heard: say what was
    assert V.needs_free(_scores(phrase, none, 0.0).phrases, phrase)
    assert V.needs_free((), "hello there")  # not a phrase of the vocabulary


def test_a_phrase_outside_the_vocabulary_never_passes():
    s = Scores((PhraseScore("hello there", (-1.0, -1.0)),), PhraseScore("hello there", (-1.0, -1.0)))
    assert not V.judge(s, "hello there")["passed"]


@pytest.mark.slow
def test_fixed_seed_slice_right_phrases_pass_wrong_ones_fail_in_six_voices():
    """One trial per voice (six accents), mixed speeds, pitches, noise, music and AAC; seed fixed."""
    trials = [t for k, t in enumerate(corpus.phrase_trials(V.VOCABULARY, seed=5, voices=corpus.VOICES[:6]))
              if k % 3 == k // 3 % 3]  # one speed per voice, rotating
    assert len(trials) == 6 and len({t.voice for t in trials}) == 6
    right = wrong_rejected = 0
    for t in trials:
        cands = list(dict.fromkeys(V._variants(t.said) + V._variants(t.wrong)))
        s = speech.score_phrases(t.audio, t.sample_rate, cands)
        right += V.judge(s, t.said)["passed"]
        w = V.judge(s, t.wrong)
        wrong_rejected += not w["passed"]
        swapped = [b for a, b in zip(t.said.split(), t.wrong.split(), strict=True) if a != b]
        assert swapped[0] in w["missing_words"], (t, w)  # guidance names the word that was not said
    assert wrong_rejected == len(trials)
    assert right >= len(trials) - 1  # the full corpus (benchmarks/cameo_bench.py) measures the rate


def _clip_with(audio: np.ndarray, sr: int) -> Clip:
    clip, *_ = synthetic.moving_cutout_clip("mug", "grass", size=96, fps=8, seconds=len(audio) / sr)
    track = np.zeros((1, int(clip.duration * sr)), np.float32)
    n = min(track.shape[1], len(audio))
    track[0, :n] = audio[:n]
    return Clip(clip.frames, track, clip.fps, sr)


def test_verify_names_the_word_that_was_not_said():
    """Failed at stop 25 on an AMD CPU: CTranslate2's int8 there (oneDNN, 16-bit saturating sums on AVX2)
    heard "rocket" for "umbrella"; the model now runs in float32 on such CPUs (speech.model.compute_type)."""
    x, sr = corpus.say("golden penguin umbrella island", voice="en-us", speed_wpm=150)
    r = V.verify(_clip_with(x, sr), "golden penguin candle island", kind="animal")
    assert not r.passed and r.details["missing_words"] == ["candle"]
    assert r.details["heard"] == "golden penguin umbrella island" and r.transcript == r.details["heard"]
    assert any('"candle"' in reason for reason in r.reasons)


def test_silence_around_the_phrase_is_left_out_and_the_phrase_still_holds():
    """A webcam take with 2 s of silence before and after: trimmed to the sound (cheaper), same decision."""
    x, sr = corpus.say("purple rabbit guitar desert", voice="en-gb", speed_wpm=150, pad_s=2.0)
    a = speech.to_16k(x, sr)
    start, stop = speech.speech_span(a)
    # espeak-ng adds a little silence of its own; the 0.25 s margin keeps the word edges
    assert 1.5 <= start / speech.SAMPLE_RATE <= 2.0 and (len(a) - stop) / speech.SAMPLE_RATE >= 1.5
    right = V.hear(x, sr, "purple rabbit guitar desert")
    assert right["passed"] and right["heard"] == "purple rabbit guitar desert"
    assert not V.hear(x, sr, "purple rabbit guitar island")["passed"]


def test_noise_without_words_is_rejected():
    rng = np.random.default_rng(3)
    sr = 16_000
    noise = (rng.standard_normal(3 * sr) * 0.1).astype(np.float32)
    r = V.verify(_clip_with(noise, sr), "purple zebra rocket forest", kind="animal")
    assert not r.passed


@pytest.mark.parametrize(("vendor", "machine", "use_mkl", "expected"), [
    ("GenuineIntel", "x86_64", "", "int8"),  # MKL multiplies int8 without saturating
    ("AuthenticAMD", "x86_64", "", "float32"),  # oneDNN's AVX2 int8 saturates: "rocket" for "umbrella"
    ("", "x86_64", "", "float32"),  # unknown x86 vendor: the safe precision
    ("AuthenticAMD", "x86_64", "1", "int8"),  # CT2_USE_MKL=1 sends int8 to MKL, as CTranslate2 itself reads it
    ("GenuineIntel", "x86_64", "0", "float32"),  # CT2_USE_MKL=0 sends it to oneDNN
    ("", "aarch64", "", "int8"),  # Ruy accumulates in 32 bits
])
def test_the_model_runs_in_int8_only_where_int8_is_multiplied_without_saturating(vendor, machine, use_mkl, expected):
    from sora_widgets.speech.model import compute_type

    assert compute_type(vendor=vendor, machine=machine, use_mkl=use_mkl) == expected


def test_the_loaded_model_uses_this_machines_compute_type():
    from sora_widgets.speech.model import compute_type, load

    # CTranslate2 names the type it runs in: int8 weights multiply float32 activations ("int8_float32"
    # on x86); what matters is the weights' width, which is what saturates or not.
    assert load().model.compute_type.split("_")[0] == compute_type()
