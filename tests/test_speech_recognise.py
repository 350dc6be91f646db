"""The shared offline recogniser (sora_widgets.speech): packaged model, no network, per-word scores."""

from __future__ import annotations

import socket

import numpy as np
import pytest

from sora_widgets import speech
from sora_widgets.speech import corpus, model


def test_model_loads_from_the_installed_packages_with_the_network_cut(monkeypatch):
    def no_network(*_a, **_k):
        raise OSError("network use at run time")

    monkeypatch.setattr(socket, "socket", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    model.load.cache_clear()
    try:
        m = model.load()
    finally:
        model.load.cache_clear()  # the next caller loads again with the network back (same files)
    assert m.model.is_multilingual and m.hf_tokenizer.token_to_id("\u0120tiger") is not None


def test_a_changed_model_file_is_refused(monkeypatch):
    monkeypatch.setattr(model, "MODEL_SHA256", "0" * 64)
    with pytest.raises(RuntimeError, match="refusing to load"):
        model._model_files()


def test_to_16k_resamples_and_mixes_down():
    sr = 48_000
    t = np.arange(sr) / sr
    stereo = np.stack([np.sin(2 * np.pi * 440 * t)] * 2).astype(np.float32) * 0.5
    y = speech.to_16k(stereo, sr)
    assert y.dtype == np.float32 and y.shape == (16_000,)
    assert np.argmax(np.abs(np.fft.rfft(y))) == pytest.approx(440, abs=2)
    with pytest.raises(ValueError, match="sample_rate"):
        speech.to_16k(stereo, 0)


def test_the_said_phrase_outscores_its_one_word_neighbours_word_by_word():
    x, sr = corpus.say("orange tiger piano river", voice="en-gb-scotland", speed_wpm=150)
    cands = ["orange tiger piano river", "orange rabbit piano river", "orange tiger candle river", "purple tiger piano river"]
    s = speech.score_phrases(x, sr, cands)
    assert [p.phrase for p in s.phrases] == cands
    assert all(len(p.word_logprobs) == 4 for p in s.phrases)
    right = s.phrases[0]
    assert all(right.logprob > p.logprob + 3 for p in s.phrases[1:])
    # The changed word carries the difference: "tiger" vs "rabbit" at slot 2.
    assert right.word_logprobs[1] > s.phrases[1].word_logprobs[1] + 3
    assert "tiger" in s.free.phrase or "river" in s.free.phrase


def test_transcribe_gives_each_word_a_probability():
    x, sr = corpus.say("what a lovely sunny day at the beach", voice="en-us", speed_wpm=150)
    t = speech.transcribe(x, sr)
    assert "sunny" in t.text and "beach" in t.text
    assert t.text == " ".join(w.text for w in t.words)
    assert all(0.0 <= w.probability <= 1.0 and w.end_s >= w.start_s for w in t.words)
    assert max(w.probability for w in t.words) > 0.5


def test_silence_transcribes_to_nothing():
    assert speech.transcribe(np.zeros(32_000, np.float32), 16_000).words == ()


def _tone(seconds: float, amp: float) -> np.ndarray:
    t = np.arange(int(seconds * speech.SAMPLE_RATE)) / speech.SAMPLE_RATE
    return (amp * np.sin(2 * np.pi * 220 * t)).astype(np.float32)


def test_speech_span_cuts_near_silence_before_and_after_and_keeps_a_margin():
    sr = speech.SAMPLE_RATE
    quiet = np.random.default_rng(0).standard_normal(sr).astype(np.float32) * 1e-4  # -80 dB: near-silence
    a = np.concatenate([quiet, _tone(1.0, 0.5), quiet])
    start, stop = speech.speech_span(a)
    assert start == pytest.approx(0.75 * sr, abs=0.02 * sr) and stop == pytest.approx(2.25 * sr, abs=0.02 * sr)


def test_speech_span_keeps_noise_or_music_that_is_not_far_below_the_speech():
    sr = speech.SAMPLE_RATE
    bed = _tone(1.0, 0.05)  # 20 dB under the loud part: a music bed, not silence
    a = np.concatenate([bed, _tone(1.0, 0.5), bed])
    assert speech.speech_span(a) == (0, len(a))
    assert speech.speech_span(np.zeros(sr, np.float32)) == (0, sr)
    assert speech.speech_span(np.zeros(10, np.float32)) == (0, 10)


def test_score_phrases_skips_the_free_decoding_only_when_told():
    x, sr = corpus.say("yellow monkey basket ocean", voice="en-us", speed_wpm=150)
    cands = ["yellow monkey basket ocean", "yellow turtle basket ocean"]
    asked = []
    skipped = speech.score_phrases(x, sr, cands, need_free=lambda p: asked.append(p) or False)
    full = speech.score_phrases(x, sr, cands)
    assert skipped.free is None and full.free is not None and len(asked) == 1
    assert [p.phrase for p in asked[0]] == cands
    assert skipped.phrases == full.phrases  # the same candidate scores either way


def test_alternatives_hold_the_words_said_best_first_and_the_same_each_time():
    # the beam's readings soundtrack moderation reads beside the transcript (moderation.audio.readings)
    x, sr = corpus.say("please pass the salt and pepper", voice="en-us", speed_wpm=150)
    rs = speech.alternatives(x, sr, n=3)
    assert rs == speech.alternatives(x, sr, n=3)  # the beam is deterministic: the same audio, the same readings
    assert rs and rs[0].rank == 0 and "salt and pepper" in rs[0].text and not any(r.sampled for r in rs)
    assert [r.score for r in rs] == sorted((r.score for r in rs), reverse=True) and all(r.score <= 0 for r in rs)
    drawn = speech.alternatives(x, sr, n=1, samples=3)
    assert len({r.text for r in drawn}) == len(drawn) and any(r.sampled for r in drawn)
    assert speech.alternatives(np.zeros(16_000, np.float32), 16_000, start_s=0.5, end_s=0.52) == ()  # too short


def test_the_prompted_reading_is_scored_against_the_audio_without_the_prompt():
    # moderation.audio.forced: the gap says whether the audio supports the prompted reading over the transcript
    x, sr = corpus.say("please pass the salt and pepper", voice="en-us", speed_wpm=150)
    f = speech.recognise.forced_reading(x, sr, "please pass the salt and pepper", "salt, pepper, vinegar")
    assert "salt and pepper" in f.text and abs(f.gap) < 1.0
    wrong = speech.recognise.forced_reading(x, sr, "please pass the sultan paper", "salt, pepper, vinegar")
    assert wrong.text == f.text and wrong.heard == "please pass the sultan paper" and wrong.gap > 3.0
    # prompted, the decoder often says the line again: the reading ends where it starts over
    assert speech.recognise._restart_cut("our team won the match our team won the") == "our team won the match"
    assert speech.recognise._restart_cut("baby baby baby you") == "baby baby baby you"


def test_slowed_and_denoised_audio_keeps_its_rate_and_a_slowed_version_lasts_longer():
    # speech.alter: FFmpeg's atempo (pitch kept) and afftdn through PyAV, in process
    from sora_widgets.speech.alter import ALTERATIONS, alter

    x, sr = corpus.say("please pass the salt and pepper", voice="en-us", speed_wpm=150)
    a = speech.to_16k(x, sr)
    slowed, much, clean = (alter(a, speech.SAMPLE_RATE, n) for n in ("slowed", "much slowed", "denoised"))
    assert abs(len(slowed) / len(a) - 1 / 0.8) < 0.05 and abs(len(much) / len(a) - 1 / 0.65) < 0.05
    assert len(clean) == len(a) and clean.dtype == np.float32 and np.abs(clean).max() <= 1.0
    # a 220 Hz tone stays at 220 Hz (a time stretch, not a slower playback, which would give 143 Hz)
    tone = (0.5 * np.sin(2 * np.pi * 220 * np.arange(32_000) / speech.SAMPLE_RATE)).astype(np.float32)
    out = alter(tone, speech.SAMPLE_RATE, "much slowed")[8000:24_000]
    assert abs(np.argmax(np.abs(np.fft.rfft(out))) * speech.SAMPLE_RATE / len(out) - 220) < 5
    assert alter(np.zeros(0, np.float32), speech.SAMPLE_RATE, "slowed").size == 0
    with pytest.raises(ValueError, match="no alteration"):
        alter(a, speech.SAMPLE_RATE, "faster")
    assert set(ALTERATIONS) >= {"slowed", "much slowed", "denoised"}


def test_readings_of_altered_audio_are_scored_against_the_original():
    # moderation.audio.altered: a misheard transcript is beaten by a slowed reading of what was said; the gap is the
    # original audio's verdict, so a reading of the altered audio that the original does not support scores low
    x, sr = corpus.say("please pass the salt and pepper", voice="en-us", speed_wpm=150)
    rs = speech.recognise.altered_readings(x, sr, "please pass the sultan paper")
    assert rs and all(r.heard == "please pass the sultan paper" for r in rs)
    assert any("salt and pepper" in r.text and r.gap > 3.0 for r in rs)
    assert len({r.text for r in rs}) == len(rs) and {r.how for r in rs} <= {"slowed", "much slowed", "denoised"}
    same = speech.recognise.altered_readings(x, sr, "please pass the salt and pepper")
    assert all(r.text != "please pass the salt and pepper" for r in same)  # only readings that differ
    assert speech.recognise.altered_readings(np.zeros(16_000, np.float32), 16_000, "anything", start_s=0.5,
                                             end_s=0.52) == ()  # too short
