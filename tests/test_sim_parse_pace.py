"""Issue 18: "slow motion" and "time lapse" are the clip's pace, not ignored words (sim engine).

A slow-motion clip shows less of the simulated world per second: the same bounce happens later in the clip,
heard when it is seen; a time lapse shows more. Checked from the parsed scene, the contact events, pixels and
the soundtrack.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sora_widgets.engines import generate
from sora_widgets.engines.sim import parse_prompt, vocab

BOUNCE = "a red ball falls and bounces on a wooden floor"


@pytest.mark.parametrize(("prompt", "pace"), [
    (f"{BOUNCE} in slow motion", "slow_motion"), (f"a slow-motion shot of {BOUNCE[2:]}", "slow_motion"),
    (f"{BOUNCE}, in super slow motion", "super_slow_motion"), (f"{BOUNCE}, time-lapse", "time_lapse"),
    ("clouds over the city, timelapse", "time_lapse")])
def test_pace_words_set_the_pace_and_count_as_read(prompt, pace):
    s = parse_prompt(prompt)
    assert s["pace"] == pace and s["unparsed"] == []


def test_no_pace_word_no_pace():
    assert "pace" not in parse_prompt(BOUNCE)


@settings(max_examples=30, deadline=None)
@given(base=st.sampled_from([BOUNCE, "two dogs run to the right", "a man plays a guitar in the park",
                             "The bund Shanghai, black and white"]),
       words=st.sampled_from([w for spec in vocab.PACES.values() for w in spec["words"]]))
def test_a_pace_phrase_changes_only_the_pace(base, words):
    plain, paced = parse_prompt(base), parse_prompt(f"{base}, {words}")
    assert paced["pace"] in vocab.PACES and words in vocab.PACES[paced["pace"]]["words"]
    assert paced["objects"] == plain["objects"] and paced.get("style") == plain.get("style")


def _clip(prompt: str):
    return generate(prompt, seed=0, duration=4.0, fps=24, width=128, height=128)


def _ball_row(frame: np.ndarray) -> float:
    """Mean row of the red ball's pixels."""
    f = frame.astype(int)
    red = (f[..., 0] > 150) & (f[..., 1] < 90) & (f[..., 2] < 90)
    return float(np.nonzero(red)[0].mean())


def test_slow_motion_shows_the_bounce_later_and_time_lapse_sooner():
    normal, slow, lapse = _clip(BOUNCE), _clip(f"{BOUNCE} in slow motion"), _clip(f"{BOUNCE}, time lapse")
    t_normal = normal.meta["events"][0]["t"]
    f_slow = vocab.PACES["slow_motion"]["factor"]
    f_lapse = vocab.PACES["time_lapse"]["factor"]
    assert slow.meta["events"][0]["t"] == pytest.approx(t_normal / f_slow, abs=0.05)
    assert lapse.meta["events"][0]["t"] == pytest.approx(t_normal / f_lapse, abs=0.05)
    assert len(lapse.meta["events"]) > len(normal.meta["events"]) > len(slow.meta["events"])
    for c in (slow, lapse):  # same clip length, frames and sound
        assert c.frames.shape == normal.frames.shape and c.audio.shape == normal.audio.shape
    # pixels: half a second in, the slowed ball has fallen less
    drop = [_ball_row(c.frames[12]) - _ball_row(c.frames[0]) for c in (normal, slow)]
    assert 0 < drop[1] < 0.5 * drop[0]
    # sound: the slowed bounce is heard when it is seen, not at the normal time
    env = np.abs(slow.audio).max(axis=0)
    sr = slow.sample_rate
    t_slow = slow.meta["events"][0]["t"]
    assert env[: int((t_slow - 0.2) * sr)].max() < 0.2 * env[int(t_slow * sr): int((t_slow + 0.3) * sr)].max()


def test_a_backflip_in_slow_motion_still_lands_later_in_the_clip():
    normal, slow = _clip("a gymnast does a backflip"), _clip("a gymnast does a backflip in slow motion")
    assert slow.meta["scene"]["pace"] == "slow_motion"
    # the first landing after the take-off (0.6 s of world): the flip happens, and is heard later in the clip
    land_normal = min(e["t"] for e in normal.meta["events"] if e["t"] > 0.6)
    land_slow = min(e["t"] for e in slow.meta["events"] if e["t"] > 1.2)
    assert 1.8 < land_slow / land_normal < 2.6
