"""'Upload yourself' verification: espeak-ng saying the phrase over a video with a face."""

from __future__ import annotations

import importlib
import random

import numpy as np
import pytest

from sora_widgets import cameo
from sora_widgets.cameo import synthetic
from sora_widgets.cameo.asset import CameoError
from sora_widgets.media import Clip

# The package exports the function ``verify``, which shadows the module of the same name as an attribute.
V = importlib.import_module("sora_widgets.cameo.verify")


def saying(text: str, *, face: bool = True, rng=None, **voice):
    x, sr = synthetic.spoken(text, **voice)
    if face:
        clip, _ = synthetic.astronaut_clip(audio=x, sample_rate=sr, size=128, fps=8)
        return clip
    clip, *_ = synthetic.moving_cutout_clip("mug", "grass", size=128, fps=8, seconds=len(x) / sr + 0.5)
    track = np.zeros((1, int(clip.duration * sr)), np.float32)
    track[0, :len(x)] = x[: track.shape[1]]
    return Clip(clip.frames, track, clip.fps, sr)


@pytest.mark.slow
def test_right_phrase_passes_and_wrong_phrase_fails():
    phrase = "orange tiger piano river"
    ok = V.verify(saying(phrase), phrase)
    assert ok.passed and ok.transcript == phrase and ok.face_fraction >= 0.5, ok
    bad = V.verify(saying("yellow penguin candle desert"), phrase)
    assert not bad.passed and any("not \"orange tiger piano river\"" in r for r in bad.reasons)


def test_silence_faceless_and_soundless_fail_with_reasons():
    phrase = "golden zebra window island"
    quiet, _ = synthetic.astronaut_clip(audio=np.zeros(22_050 * 2, np.float32), size=96, fps=8)
    r = V.verify(quiet, phrase)
    assert not r.passed and any("no speech" in x for x in r.reasons)
    r = V.verify(saying(phrase, face=False), phrase)
    assert not r.passed and any("face" in x for x in r.reasons)
    assert V.verify(saying(phrase, face=False), phrase, kind="animal").passed  # no face needed for a pet
    mute, _ = synthetic.astronaut_clip(size=96, fps=8)
    with pytest.raises(CameoError, match="no sound.*microphone"):
        V.verify(mute, phrase)


@pytest.mark.slow
def test_challenges_are_issued_stored_expire_and_are_spent_once(store):
    store.create_user("alice", birthdate="1990-01-01")
    store.create_user("bob", birthdate="1990-01-01")
    # About 1 right phrase in 15 is misheard; like a person, ask for a new phrase and try again.
    for _attempt in range(3):
        ch = cameo.new_challenge(store, "alice")
        clip = saying(ch.phrase)
        if cameo.verify(clip, ch).passed:
            break
    words = ch.words
    assert len(words) == 4 and all(w in V.VOCABULARY[s] for w, s in zip(words, V.VOCABULARY, strict=True))
    assert not ch.expired() and V.get_challenge(store, ch.challenge_id)[0] == ch
    expired = cameo.new_challenge(store, "alice", ttl_s=-1)
    assert expired.expired()
    with pytest.raises(PermissionError, match="issued to someone else"):
        cameo.create(store, owner="bob", clip=clip, kind="person", name="bobby", challenge=ch)
    with pytest.raises(PermissionError, match="needs the spoken phrase"):
        cameo.create(store, owner="alice", clip=clip, kind="person", name="alice")
    cid = cameo.create(store, owner="alice", clip=clip, kind="person", name="alice", challenge=ch)
    assert cameo.get(store, cid)["kind"] == "person"
    with pytest.raises(PermissionError, match="already used"):
        cameo.create(store, owner="alice", clip=clip, kind="person", name="alice2", challenge=ch)
    with pytest.raises(PermissionError, match="expired"):
        cameo.create(store, owner="alice", clip=saying(expired.phrase), kind="person", name="alice3",
                     challenge=expired)


@pytest.mark.slow
def test_twenty_generated_trials_are_decided_right():
    rng = random.Random(20)
    right = 0
    for i in range(20):
        phrase = V.random_phrase(rng)
        voice = {"voice": rng.choice(["en-us", "en-us+f3", "en-us+m3"]), "speed_wpm": rng.randint(130, 175),
                 "pitch": rng.randint(35, 65)}
        if i < 10:  # the right phrase: should pass
            clip, expect = saying(phrase, **voice), True
        elif i < 15:  # another phrase from the same vocabulary
            other = V.random_phrase(rng)
            while other == phrase:
                other = V.random_phrase(rng)
            clip, expect = saying(other, **voice), False
        elif i < 17:  # words outside the vocabulary
            clip, expect = saying(rng.choice(["please remix my video on the beach", "hello my name is alice"]),
                                  **voice), False
        elif i < 19:  # the right words but no face
            clip, expect = saying(phrase, face=False, **voice), False
        else:  # silence
            clip, expect = synthetic.astronaut_clip(audio=np.zeros(22_050 * 3, np.float32), size=96, fps=8)[0], False
        right += V.verify(clip, phrase).passed == expect
    assert right >= 19
