"""Issue 18 item 2: people, cats, dogs and birds that move like themselves (sim engine, figures.py).

Checked from what a viewer sees and hears where it can be (pixels by tests/sim_analyser.py, audio onsets),
and from the simulation's record (root positions, poses, contact events) for what pixels cannot tell apart
cheaply (which foot is planted, how many turns).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import sim_analyser as A
from hypothesis import given, settings
from hypothesis import strategies as st
from test_sim_acceptance import no_teleport_bound_px

from sora_widgets.engines import generate
from sora_widgets.engines.sim import figures, parse_prompt
from sora_widgets.engines.sim.physics import layout, make_world, simulate
from sora_widgets.engines.sim.render import Renderer

SIZE = {"duration": 4.0, "fps": 24, "width": 256, "height": 256}


def _simulate(prompt: str, seed: int = 0, duration: float = 4.0):
    scene = parse_prompt(prompt)
    world = make_world(scene, 256, 256)
    bodies = layout(scene, world, duration, np.random.default_rng([seed, 0]))
    return scene, world, bodies, simulate(scene, world, bodies, duration)


def _k(sim, t: float) -> int:
    return int(np.searchsorted(sim.t, t))


# --------------------------------------------------------------------------- reading the prompt
def test_showcase_prompts_read_as_actions():
    (g,) = parse_prompt("a gymnast does a backflip")["objects"]
    assert (g["kind"], g["action"]) == ("person", "backflip")
    scene = parse_prompt("a figure skater does a triple axel with a cat on her head")
    skater, cat = scene["objects"]
    assert (skater["kind"], skater["count"], skater["action"], skater["turns"]) == ("person", 1, "axel", 3.5)
    assert cat["kind"] == "cat" and cat["count"] == 1  # "triple" is the jump's, not a count of cats
    assert cat["place"]["on"] == 0 and scene["relations"] == [{"a": 1, "rel": "on", "b": 0}]
    assert scene["setting"] == "ice" and scene["unparsed"] == []


@pytest.mark.parametrize(("prompt", "action", "motion"), [
    ("a man falls", "fall", "rest"), ("a man trips and falls", "fall", "rest"), ("a woman waves", "wave", None), ("two people dancing", "dance", "rest"),
    ("a girl does a cartwheel on the grass", "cartwheel", None), ("a dog trots", "trot", "walk"),
    ("a child kicks a ball", "kick", "walk"), ("a boy throws a ball", "throw", None),
    ("a man catches a ball", "catch", None), ("a bird flies", "fly", None), ("a skater spins", "spin", "rest"),
])
def test_action_words(prompt, action, motion):
    g = parse_prompt(prompt)["objects"][0]
    assert g["action"] == action and g["motion"] == motion


def test_action_words_that_are_nouns_stay_nouns():
    assert parse_prompt("the waves crash on the beach")["setting"] == "beach"
    assert [g.get("thing") for g in parse_prompt("a fly lands on an apple")["objects"]][0] == "fly"
    assert parse_prompt("a skater glides on the grass")["setting"] == "grass"  # a named setting beats skating's ice


# --------------------------------------------------------------------------- the showcase, from pixels and sound
@pytest.fixture(scope="module")
def backflip():
    clip = generate("a gymnast does a backflip", seed=0, **SIZE)
    return clip, A.analyse(clip.frames, clip.audio, clip.fps, clip.sample_rate)


def _skin_and_legs_y(frame: np.ndarray, bg: np.ndarray) -> tuple[float, float]:
    """Mean row of the figure's skin (head, hands) and of its trousers (dark blue legs), in pixels."""
    f = frame.astype(int)
    skin = (np.abs(f - np.array(figures._SKIN, int)).sum(axis=-1) < 60) & A.foreground(frame, bg)
    legs = (f[..., 2] > f[..., 0] + 40) & (f.sum(axis=-1) < 260)
    return float(np.nonzero(skin)[0].mean()), float(np.nonzero(legs)[0].mean())


def _figure_centres(clip, prompt: str) -> np.ndarray:
    """(frames, 2) pixel centre (x, y) of everything above the floor that differs from the scene's empty
    background (the renderer's own: a figure standing still most of the clip is in a median background)."""
    scene, world, bodies, sim = _simulate(prompt)
    bg = Renderer(scene, world, bodies, sim, fps=clip.fps, n_frames=len(clip.frames), seed=0).background_u8
    floor = int(world.to_px(0.0, 0.0)[1]) - 1  # shadows fall on the floor: leave them out
    out = []
    for f in clip.frames:
        ys, xs = np.nonzero(np.abs(f[:floor].astype(int) - bg[:floor].astype(int)).sum(axis=-1) > 40)
        out.append((xs.mean(), ys.mean()))
    return np.array(out)


def test_backflip_turns_over_in_a_parabola_and_lands(backflip):
    clip, a = backflip
    _scene, world, bodies, sim = _simulate("a gymnast does a backflip")
    flights = figures.Animator(world, bodies, sim).tracks[0][1]
    assert len(flights) >= 1
    t0, t1 = flights[0]
    assert 0.6 <= t1 - t0 <= 1.1  # a real flight under 9.81 m/s²
    # upright before and after, upside down in the middle: the head is below the legs in the pixels
    for t, head_below in ((t0 - 0.5, False), ((t0 + t1) / 2, True), (t1 + 0.6, False)):
        skin_y, legs_y = _skin_and_legs_y(clip.frames[int(round(t * clip.fps))], a.background)
        assert (skin_y > legs_y) == head_below, t
    # from the pixels: the figure flies a parabola at the scene's gravity, and never jumps between frames
    centres = _figure_centres(clip, "a gymnast does a backflip")
    frames = np.arange(int(np.ceil(t0 * clip.fps)) + 1, int(t1 * clip.fps))
    tt, y = frames / clip.fps, centres[frames, 1]
    c = np.polyfit(tt, y, 2)
    r2 = 1 - np.sum((np.polyval(c, tt) - y) ** 2) / np.sum((y - y.mean()) ** 2)
    assert r2 >= 0.98
    assert 2 * c[0] == pytest.approx(9.81 * world.scale, rel=0.1)  # px/s², y down
    steps = np.hypot(*np.diff(centres, axis=0).T)
    assert steps.max() <= no_teleport_bound_px(a)


def test_backflip_landing_is_heard(backflip):
    clip, _a = backflip
    landings = [e for e in clip.meta["events"] if e["t"] > 1.0 and e["bodies"][1] == "floor"]
    assert landings
    onsets = A.audio_onsets(clip.audio, clip.sample_rate)
    t = landings[0]["t"]
    assert np.min(np.abs(onsets - t)) <= 1.0 / clip.fps


def test_triple_axel_with_a_cat_on_her_head():
    _scene, world, bodies, sim = _simulate("a figure skater does a triple axel with a cat on her head")
    skater, cat = bodies
    anim = figures.Animator(world, bodies, sim)
    (t0, t1), = anim.tracks[0][1]
    assert 0.5 <= t1 - t0 <= 1.0
    # three and a half turns in the air: she takes off facing forward and lands facing back
    assert figures.pose("axel", anim.ctx(0, t1 + 0.5))["yaw"] == pytest.approx(2 * math.pi * 3.5)
    assert math.cos(figures.pose("axel", anim.ctx(0, (t0 + t1) / 2))["yaw"]) != pytest.approx(1.0)
    # the cat rides on her head the whole time, through the jump
    top = sim.pos[:, 0, 1] + skater.half[1]
    assert np.all(np.abs(sim.pos[:, 1, 0] - sim.pos[:, 0, 0]) < 0.3)
    assert np.all(np.abs(sim.pos[:, 1, 1] - cat.half[1] - top) < 0.12)
    # she glides on the ice (it is a skater's glide, not steps)
    assert abs(sim.pos[-1, 0, 0] - sim.pos[0, 0, 0]) > 1.0


def test_triple_axel_pixels_hold():
    clip = generate("a figure skater does a triple axel with a cat on her head", seed=0, **SIZE)
    # the bound at the view's own gravity (no flights fitted: the analyser's blob pass is not needed here)
    a = A.Analysis(clip.fps, clip.frames.shape[1:3], [], {}, [], [], np.zeros(0), 0.0, None)
    assert a.max_step_px <= no_teleport_bound_px(a)
    centres = _figure_centres(clip, "a figure skater does a triple axel with a cat on her head")
    assert np.hypot(*np.diff(centres, axis=0).T).max() <= no_teleport_bound_px(a)
    # the cat (gray fur) is seen above the skater's head (skin) in every frame
    for i in range(0, len(clip.frames), 6):
        f = clip.frames[i].astype(int)
        gray = (f.max(axis=-1) - f.min(axis=-1) < 12) & (np.abs(f - 128).max(axis=-1) < 40)
        skin = np.abs(f - np.array(figures._SKIN, int)).sum(axis=-1) < 60
        gy, sy = np.nonzero(gray)[0], np.nonzero(skin)[0]
        assert len(gy) > 20 and len(sy) and np.median(gy) < sy.min() + 3, i


# --------------------------------------------------------------------------- gaits and contacts
def test_walking_feet_do_not_slide_and_each_step_is_heard():
    clip = generate("a man walks to the right", seed=0, **SIZE)
    _scene, world, bodies, sim = _simulate("a man walks to the right")
    anim = figures.Animator(world, bodies, sim)
    pace = abs(bodies[0].init["drive"])
    prev = None
    slips = []
    for t in np.arange(0.0, 3.5, 1 / 60):
        parts, x, y = anim.placed(0, float(t))
        feet = {p[6]: p for p in parts if p[6] in ("foot_n", "foot_f")}
        planted = min(feet, key=lambda n: figures._lowest(feet[n]))
        fx = x + min(feet[planted][1][0], feet[planted][2][0])
        if prev is not None and prev[0] == planted and y + figures._lowest(feet[planted]) < 0.01:
            slips.append(abs(fx - prev[1]) * 60)
        prev = (planted, fx)
    assert np.median(slips) < 0.2 * pace  # a planted foot stays put while the body moves on
    steps = [e for e in clip.meta["events"] if e["bodies"][0] == bodies[0].name]
    stride = figures.gait_stride("walk", (figures.HUMAN["thigh"] + figures.HUMAN["shin"]) * 1.7 / 0.971)
    walked = abs(sim.pos[-1, 0, 0] - sim.pos[0, 0, 0])
    assert abs(len(steps) - 2 * walked / stride) <= 2  # two footsteps a stride
    onsets = A.audio_onsets(clip.audio, clip.sample_rate)
    assert all(np.min(np.abs(onsets - e["t"])) <= 1.0 / clip.fps for e in steps)


def test_trot_moves_diagonal_legs_together_and_a_gallop_leaves_the_ground():
    for gait in ("trot", "gallop"):
        legs, _pitch, _lift = figures._quad_legs(gait, 0.1)
        lh, lf, rh, rf = (a for a, _ in legs)
        if gait == "trot":
            assert lf == pytest.approx(rh) and lh == pytest.approx(rf) and lf != pytest.approx(lh)
    lifts = [figures._quad_legs("gallop", p)[2] for p in np.linspace(0, 1, 50)]
    assert max(lifts) > 0.1 and min(lifts) == 0.0  # a suspension phase, then all feet down again
    _scene, _world, bodies, sim = _simulate("a cat walks to the right")
    paws = [e for e in sim.events if e["bodies"][0] == bodies[0].name]
    walked = abs(sim.pos[-1, 0, 0] - sim.pos[0, 0, 0])
    strides = walked / figures.quad_stride("walk", 0.9 * bodies[0].half[1])
    assert abs(len(paws) - 4 * strides) <= 4  # four footfalls a stride, each heard once


def test_a_galloping_horse_runs_and_bounces():
    scene, _world, bodies, sim = _simulate("a horse gallops to the right across the field")
    (horse,) = bodies
    assert scene["objects"][0]["motion"] == "run" and horse.figure is None  # an emoji picture: no rig
    assert sim.pos[-1, 0, 0] - sim.pos[0, 0, 0] > 2.0
    bob = [figures.thing_bob(horse, t) for t in np.arange(0, 2, 1 / 48)]
    assert 0.04 * 2 * horse.half[1] < max(bob) <= 0.07 * 2 * horse.half[1] and min(bob) < 0.005


def test_a_bird_flies_and_flaps():
    clip = generate("a bird flies across the sky", seed=0, **SIZE)
    _scene, world, bodies, sim = _simulate("a bird flies across the sky")
    assert bodies[0].figure["kind"] == "bird"
    assert np.all(sim.pos[:, 0, 1] > 1.5)  # in the air the whole clip
    a = A.analyse(clip.frames, clip.audio, clip.fps, clip.sample_rate)
    tr = max(a.moving(), key=lambda t: len(t.blobs))
    assert len(tr.blobs) > 20
    heights = np.array([b.area for b in tr.blobs], float)
    assert heights.max() > 1.2 * heights.min()  # the wings beat: its outline grows and shrinks


def test_a_fall_ends_lying_down_with_a_thud():
    _scene, world, bodies, sim = _simulate("a man falls")
    anim = figures.Animator(world, bodies, sim)
    parts, _x, _l = anim.shapes(0, 3.5)
    xs = [v for p in parts for v in (p[1][0], p[2][0])]
    ys = [v for p in parts for v in (p[1][1], p[2][1])]
    assert max(xs) - min(xs) > 2 * (max(ys) - min(ys))  # lying, not standing
    thuds = [e for e in sim.events if e.get("part") in ("torso", "head", "hand_n", "hand_f")]
    assert thuds and figures.FALL_AT < thuds[0]["t"] < figures.FALL_AT + 1.2


def test_a_cartwheel_turns_over_onto_the_hands_and_travels():
    _scene, world, bodies, sim = _simulate("a girl does a cartwheel on the grass")
    anim = figures.Animator(world, bodies, sim)
    u = 0.3 + figures.CARTWHEEL_S / 2  # half-way through the first cartwheel: upside down
    assert figures.pose("cartwheel", anim.ctx(0, u))["rot"] == pytest.approx(-math.pi, abs=0.3)
    parts = {e["part"] for e in sim.events if e["bodies"][0] == bodies[0].name}
    assert parts & {"hand_n", "hand_f"} and parts & {"foot_n", "foot_f"}  # hands and feet both land, heard
    assert abs(sim.pos[-1, 0, 0] - sim.pos[0, 0, 0]) > 1.0


def test_dancers_step_on_the_beat_and_swimmers_lie_in_the_water():
    _scene, _world, bodies, sim = _simulate("two people dancing")
    for b in bodies:
        times = sorted(e["t"] for e in sim.events if e["bodies"][0] == b.name)
        steps = [t for k, t in enumerate(times) if k == 0 or t - times[k - 1] > 0.2]  # heel and toe: one step
        beats = np.diff(steps)
        assert len(steps) >= 6 and np.all(np.abs(beats - 0.5) < 0.1)  # a step every half second
    swim = figures.pose("swim", figures.Ctx(t=1.0))
    assert swim["rot"] == pytest.approx(-math.pi / 2, abs=0.1)  # prone, head first


def test_a_kick_sends_the_ball_when_the_foot_meets_it():
    _scene, world, bodies, sim = _simulate("a child kicks a ball to the right")
    kid, ball = bodies
    before = sim.pos[_k(sim, figures.KICK_AT - 0.1), 1, :2]
    assert np.allclose(before, sim.pos[0, 1, :2], atol=0.01)  # the ball waits on the ground
    after = sim.pos[_k(sim, figures.KICK_AT + 0.3), 1, :2]
    assert after[0] - before[0] > 0.5 and after[1] > before[1]  # then flies off, forward and up
    anim = figures.Animator(world, bodies, sim)
    parts, x, y = anim.placed(0, figures.KICK_AT)
    (foot,) = [p for p in parts if p[6] == "foot_n"]
    toe = np.array([x + max(foot[1][0], foot[2][0]), y + min(foot[1][1], foot[2][1])])
    assert np.hypot(*(toe - before)) < 2.5 * ball.half[1]  # the foot is at the ball


def test_a_thrown_ball_leaves_the_hand_at_the_release():
    _scene, world, bodies, sim = _simulate("a boy throws a ball to the right")
    boy, ball = bodies
    assert boy.half[0] < sim.pos[0, 0, 0] < world.w - boy.half[0]  # the thrower stands inside the view
    anim = figures.Animator(world, bodies, sim)
    gaps = []
    for t in (0.1, 0.3, figures.THROW_AT - 0.02):
        parts, x, y = anim.placed(0, t)
        (hand,) = [p for p in parts if p[6] == "hand_n"]
        gaps.append(np.hypot(sim.pos[_k(sim, t), 1, 0] - (x + hand[1][0]), sim.pos[_k(sim, t), 1, 1] - (y + hand[1][1])))
    assert max(gaps) < 2 * ball.half[1] + 0.05  # in the hand while the arm winds up and swings
    later = sim.pos[_k(sim, figures.THROW_AT + 0.4), 1]
    assert later[0] - sim.pos[_k(sim, figures.THROW_AT), 1, 0] > 0.5  # then away to the right


def test_a_caught_ball_ends_in_the_hands():
    _scene, world, bodies, sim = _simulate("a man catches a ball")
    anim = figures.Animator(world, bodies, sim)
    for t in (figures.CATCH_AT + 0.2, 3.5):
        parts, x, y = anim.placed(0, t)
        hands = [p for p in parts if p[6] in ("hand_n", "hand_f")]
        sign = bodies[0].figure["facing"]
        hx = np.mean([x + sign * p[2][0] for p in hands])
        hy = np.mean([y + p[2][1] for p in hands])
        bx, by = sim.pos[_k(sim, t), 1, :2]
        assert np.hypot(bx - hx, by - hy) < 0.45, t


# --------------------------------------------------------------------------- every pose is a body
@settings(max_examples=150, deadline=None)
@given(action=st.sampled_from(sorted(figures.ACTIONS["human"])), t=st.floats(0.0, 4.0),
       dist=st.floats(0.0, 12.0), airborne=st.booleans(), turns=st.sampled_from([1.5, 2.5, 3.5]))
def test_every_pose_keeps_limbs_attached_and_in_reach(action, t, dist, airborne, turns):
    """Whatever the action and moment, each limb keeps its length and the figure stays within its own
    height of the hips: keyframes can bend a body, never tear it."""
    flight = (t - 0.3, t + 0.5) if airborne else None
    p = figures.pose(action, figures.Ctx(t=t, dist=dist, flight=flight, turns=turns, aim=(0.6, 0.3)))
    assert set(p) <= set(figures.POSE_KEYS) and all(math.isfinite(v) for v in p.values())
    pts = figures.human_points(p, 1.7)
    scale = 1.7 / 0.971
    for a, b, seg in (("knee_n", "ankle_n", "shin"), ("elbow_f", "hand_f", "forearm")):
        (ax, ay, _), (bx, by, _) = pts[a], pts[b]
        assert math.hypot(bx - ax, by - ay) == pytest.approx(figures.HUMAN[seg] * scale)
    assert max(math.hypot(x, y) for x, y, _ in pts.values()) <= 1.7
