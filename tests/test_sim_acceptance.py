"""Issue 3 acceptance, measured from pixels and sound by tests/sim_analyser.py (never from clip.meta).

The fast tests run a handful of clips; the slow sweep runs the whole labelled prompt set in
tests/data/sim_prompts.json (paraphrases, synonyms, French) and checks the rates the issue asks for.
"""

from __future__ import annotations

import json
import math
from functools import lru_cache
from pathlib import Path

import numpy as np
import pytest
import sim_analyser as A

from sora_widgets.engines import generate

PROMPTS = json.loads((Path(__file__).parent / "data" / "sim_prompts.json").read_text())
FULL = {"duration": 4.0, "fps": 24, "width": 256, "height": 256}


@lru_cache(maxsize=16)
def clip_and_analysis(prompt: str, seed: int = 0, base_prompt: str | None = None):
    opts = {}
    if base_prompt is not None:
        opts["base_scene"] = clip_and_analysis(base_prompt, seed)[0].meta["scene"]
    clip = generate(prompt, seed=seed, **FULL, **opts)
    return clip, A.analyse(clip.frames, clip.audio, clip.fps, clip.sample_rate)


def no_teleport_bound_px(a: A.Analysis) -> float:
    """Largest step per frame physics allows: free fall over the whole frame at the fitted gravity, plus
    the fastest launch the scene could have (also bounded by that fall), with a 50 % margin."""
    acc = [abs(f["accel_px_s2"]) for f in a.flights if f["r2"] >= 0.98]
    g = float(np.median(acc)) if acc else 9.81 * min(a.size) / 5.0
    v_max = 2 * math.sqrt(2 * g * a.size[0])
    return 1.5 * v_max / a.fps + 2.0


def check_prompt(item: dict, seed: int) -> list[str]:
    """Problems found in one labelled prompt's clip (empty list = followed)."""
    clip, a = clip_and_analysis(item["prompt"], seed)
    problems = []
    for o in item["expect"]["objects"]:
        got = a.counts.get(o["color"], 0)
        if got != o["count"]:
            problems.append(f"{o['color']}: saw {got}, expected {o['count']}")
    d = item["expect"]["direction"]
    if d:
        cols = [o["color"] for o in item["expect"]["objects"]]
        trs = [t for t in a.moving() if not cols or t.colour in cols]
        dx = float(np.mean([t.net_dx for t in trs])) if trs else 0.0
        if not (dx < -0.05 * clip.width if d == "left" else dx > 0.05 * clip.width):
            problems.append(f"direction {d}: net dx {dx:.1f} px")
    return problems


# ----------------------------------------------------------------------------- fast subset
def test_bouncing_ball_picture_and_sound_agree():
    clip, a = clip_and_analysis("a red ball bounces on a wooden floor")
    assert a.counts == {"red": 1}
    (tr,) = a.moving()
    assert len(tr.blobs) == clip.num_frames, "one track through the whole clip: nothing vanishes or jumps"
    assert len(a.bounces) >= 3
    err = A.bounce_onset_errors([b["t"] for b in a.bounces], a.onsets)
    assert err.max() <= 1 / clip.fps and np.median(err) <= 0.020
    assert len(a.flights) >= 3 and min(f["r2"] for f in a.flights) >= 0.98
    assert a.max_step_px <= no_teleport_bound_px(a)


def test_moon_gravity_is_at_most_a_quarter_of_earth():
    _, earth = clip_and_analysis("a red ball bounces on a wooden floor")
    _, moon = clip_and_analysis("now on the moon", base_prompt="a red ball bounces on a wooden floor")
    g_earth = np.median([f["accel_px_s2"] for f in earth.flights if f["r2"] >= 0.98])
    g_moon = np.median([f["accel_px_s2"] for f in moon.flights if f["r2"] >= 0.98])
    assert g_earth > 0 and 0 < g_moon <= g_earth / 4


def test_basketball_miss_reverses_at_the_backboard():
    clip, a = clip_and_analysis("a missed basketball shot bounces off the backboard")
    board = A.find_backboard(a.background)
    assert board is not None, "a backboard is visible"
    (tr,) = [t for t in a.moving() if t.colour == "orange"]
    revs = [r for r in A.x_reversals(tr, clip.fps, 0.004 * clip.width) if r["before"] > 0 > r["after"]]
    assert revs, "the ball comes back instead of going through the board"
    r = revs[0]
    assert board[0] - 2 * r["radius"] - 4 <= r["x"] <= board[1] + 4, (r, board)
    # and the hit is heard: an onset within a frame of the reversal
    assert np.min(np.abs(a.onsets - r["t"])) <= 1.5 / clip.fps
    for b in a.bounces:
        assert np.min(np.abs(a.onsets - b["t"])) <= 1 / clip.fps


@pytest.mark.parametrize("k", [1, 4, 36, 42, 63])
def test_labelled_prompts_fast_subset(k):
    assert check_prompt(PROMPTS[k], k) == [], PROMPTS[k]["prompt"]


# ----------------------------------------------------------------------------- slow sweep
@pytest.mark.slow
def test_labelled_prompt_set_sweep():
    assert len(PROMPTS) >= 60
    followed, errors, bad_onsets, bad_flights, teleports, failures = 0, [], [], [], [], {}
    for k, item in enumerate(PROMPTS):
        problems = check_prompt(item, k)
        clip, a = clip_and_analysis(item["prompt"], k)
        # Sound at every bounce of the things the prompt names. An articulated figure (issue 18) is drawn as
        # limbs that the colour-blob tracker splits and merges as they swing, which it reads as reversals with
        # no sound; the figures' own footfall/landing sounds are checked in tests/test_sim_figures.py.
        named = {o["color"] for o in item["expect"]["objects"]}
        bounces = [b for b in a.bounces if not named or b.get("colour") in named]
        err = A.bounce_onset_errors([b["t"] for b in bounces], a.onsets)
        errors.extend(err.tolist())
        bad_onsets += [(item["prompt"], float(e)) for e in err if e > 1 / clip.fps]
        bad_flights += [(item["prompt"], f["r2"]) for f in a.flights if f["r2"] < 0.98]
        if a.max_step_px > no_teleport_bound_px(a):
            teleports.append((item["prompt"], a.max_step_px))
        if problems:
            failures[item["prompt"]] = problems
        else:
            followed += 1
        clip_and_analysis.cache_clear()
    rate = followed / len(PROMPTS)
    assert rate >= 0.95, failures
    assert len(errors) >= 100 and np.median(errors) <= 0.020
    assert bad_onsets == []
    assert bad_flights == []
    assert teleports == []
