"""More physics in the sim engine (issue 18 item 4): dominoes, breaking glass, water that things float in,
liquid poured into a glass, ice; judged from the simulation and, where the analyser can, from pixels and sound.
"""

from __future__ import annotations

import math

import numpy as np
import pymunk
import pytest
import sim_analyser as A
from hypothesis import given, settings
from hypothesis import strategies as st

from sora_widgets.engines import generate
from sora_widgets.engines.sim import breakage, effects, liquids, parse_prompt, physics
from sora_widgets.engines.sim.physics import layout, make_world, simulate

SMALL = {"duration": 3.0, "fps": 24, "width": 160, "height": 160}


def _sim(prompt: str, duration: float = 4.0, size: int = 256):
    scene = parse_prompt(prompt)
    world = make_world(scene, size, size)
    bodies = layout(scene, world, duration, np.random.default_rng(0))
    return scene, world, bodies, simulate(scene, world, bodies, duration)


# ----------------------------------------------------------------------------- reading
def test_words_that_name_liquids_and_breaking_are_read_not_drawn_as_something_else():
    s = parse_prompt("water pours into a glass")
    assert s["liquid"] == {"kind": "water", "pour": True, "container": "glass", "rgb": [70, 150, 230]}
    assert s["objects"] == [] and "water" not in s["unparsed"]
    assert not any("water" in x for x in s.get("substitutions", []))  # not "water drawn as a bottle"
    s = parse_prompt("milk is poured into a cup")
    assert s["liquid"]["kind"] == "milk" and s["liquid"]["container"] == "mug" and s["objects"] == []
    s = parse_prompt("a row of ten dominoes topple")
    assert [(g["form"], g["count"]) for g in s["objects"]] == [("domino", 10)]
    assert s["unparsed"] == []
    assert parse_prompt("a vase shatters")["objects"][0]["breakable"] is True
    s = parse_prompt("a man on a paddleboard in the water")
    assert s["water"]["level"] == effects.WATER_LEVEL_M
    assert [g.get("form") for g in s["objects"]] == [None, "board"]
    s = parse_prompt("a glass of water falls and shatters")  # water in a glass is not a lake
    assert "water" not in s and [g.get("breakable") for g in s["objects"]] == [True]
    assert "water" in parse_prompt("a dog jumps into the water")
    s = parse_prompt("a dog swims in the pool and water splashes")
    assert "water" in s and not {"pool", "splashes", "water"} & set(s["unparsed"]), "words used are not 'not placed'"


@pytest.mark.parametrize("prompt", [
    "a glass marble drops onto the ice",  # glass does not break unless the prompt says so
    "@nobody waves",  # a hand wave is not water
    "a balloon floats in the sky",
    "a red ball bounces on a wooden floor",
    "a navy cube glides to the right across the frozen lake",  # a frozen lake is ice, not water
])
def test_scenes_without_these_words_are_unchanged(prompt):
    s = parse_prompt(prompt)
    assert "water" not in s and "liquid" not in s
    assert not any(g.get("breakable") or g.get("form") for g in s["objects"])
    scene, world, bodies, sim = _sim(prompt, duration=0.5, size=64) if not prompt.startswith("@") else (
        None, None, None, None)
    if sim is not None:
        assert sim.extras == {}
        assert effects.sound(scene, world, sim, 100, 48_000, 0) is None


# ----------------------------------------------------------------------------- dominoes
def test_dominoes_fall_one_after_another_and_each_knock_is_heard():
    scene, world, bodies, sim = _sim("a row of eight dominoes topple")
    assert len(bodies) == 8
    angle = sim.pos[-1, :, 2]
    assert (angle < -1.0).all(), f"every domino ends lying to the right: {np.round(angle, 2)}"
    # the chain: domino k starts falling after domino k-1 (first time each passes 0.2 rad)
    starts = [int(np.argmax(np.abs(sim.pos[:, j, 2]) > 0.2)) for j in range(8)]
    assert starts == sorted(starts) and len(set(starts)) == 8, starts
    hits = [e for e in sim.events if all(n in {b.name for b in bodies} for n in e["bodies"])]
    assert len(hits) >= 7, "each domino hitting the next is a contact event (a click in the soundtrack)"
    xs = [b.init["p"][0] for b in bodies]
    assert all(b - a > 2 * bodies[0].half[0] for a, b in zip(xs, xs[1:], strict=False))  # not touching at rest
    assert max(xs) + 2 * bodies[0].half[1] <= world.w, "the last one has room to fall flat"
    # from the pixels: eight white dominoes, none jumping
    clip = generate("a row of eight dominoes topple", seed=0, **SMALL)
    a = A.analyse(clip.frames, None, clip.fps, None, with_audio=False)
    assert a.counts.get("white") == 8 and a.max_step_px < 0.1 * clip.width, (a.counts, a.max_step_px)


# ----------------------------------------------------------------------------- breaking
def _convex_ccw(p: np.ndarray) -> bool:
    e = np.roll(p, -1, axis=0) - p
    cross = e[:, 0] * np.roll(e[:, 1], -1) - e[:, 1] * np.roll(e[:, 0], -1)
    return bool((cross >= -1e-9).all())


@settings(max_examples=60, deadline=None)
@given(hw=st.floats(0.05, 1.0), hh=st.floats(0.05, 1.0), angle=st.floats(0, 2 * math.pi),
       pieces=st.integers(2, 9), seed=st.integers(0, 2**32 - 1))
def test_fracture_cells_are_convex_inside_and_add_up_to_the_outline(hw, hh, angle, pieces, seed):
    ca, sa = math.cos(angle), math.sin(angle)
    box = np.array([(-hw, -hh), (hw, -hh), (hw, hh), (-hw, hh)]) @ np.array([[ca, sa], [-sa, ca]])
    cells = breakage.fracture(box, pieces, np.random.default_rng(seed))
    total = 4 * hw * hh
    areas = [breakage._area_centroid(c)[0] for c in cells]
    assert 1 <= len(cells) <= pieces
    assert sum(areas) <= total * (1 + 1e-9)
    assert sum(areas) >= total * (1 - 0.01 * pieces), "only slivers under 1 % may be dropped"
    for c in cells:
        assert _convex_ccw(c)
        inside = c @ np.array([[ca, -sa], [sa, ca]])  # back into the box's frame
        assert (np.abs(inside[:, 0]) <= hw + 1e-9).all() and (np.abs(inside[:, 1]) <= hh + 1e-9).all()


def test_a_glass_that_shatters_breaks_at_its_first_impact_into_pieces_with_a_crash():
    clip = generate("a glass falls and shatters on the floor", seed=0, **SMALL)
    scene, world, bodies, sim = _sim("a glass falls and shatters on the floor", duration=3.0, size=160)
    br = sim.extras["breakage"]
    (j, step), = br["gone"].items()
    first = min(e["t"] for e in sim.events)
    assert abs(step * (sim.t[1] - sim.t[0]) - first) < 0.01, "it breaks at its first impact, not later"
    shards = br["shards"]
    assert len(shards) >= 4
    b = bodies[j]
    area = sum(breakage._area_centroid(s["verts"])[0] for s in shards)
    assert area == pytest.approx(4 * b.half[0] * b.half[1], rel=0.08), "the pieces are the glass, not more"
    ends = np.array([s["track"][-1] for s in shards])
    assert (ends[:, 1] < 0.3).all() and (ends[:, 0] > 0).all() and (ends[:, 0] < world.w).all(), "on the floor"
    # from the pixels: one falling thing on a parabola at the scene's g, no jumps, then pieces where it landed
    a = A.analyse(clip.frames, clip.audio, clip.fps, clip.sample_rate)
    g_px = 9.81 * world.scale
    assert a.flights and all(f["r2"] >= 0.98 and abs(f["accel_px_s2"] - g_px) < 0.1 * g_px for f in a.flights)
    assert a.max_step_px <= 1.5 * 2 * math.sqrt(2 * g_px * clip.height) / clip.fps + 2.0
    per_frame = [A.blobs_in(f, a.background, i, 2) for i, f in enumerate(clip.frames)]
    t_break = first
    before = [len(p) for i, p in enumerate(per_frame) if i / clip.fps < t_break - 0.1]
    after = [len(p) for i, p in enumerate(per_frame) if i / clip.fps > t_break + 0.4]
    assert max(before) == 1 and np.median(after) >= 3, (before, after)
    # and from the sound: a loud onset within one frame of the break
    assert np.min(np.abs(a.onsets - t_break)) <= 1 / clip.fps
    i0 = int(t_break * clip.sample_rate)
    crash = np.abs(clip.audio[:, i0:i0 + 4800]).max()
    quiet = np.abs(clip.audio[:, int(0.1 * clip.sample_rate):int((t_break - 0.1) * clip.sample_rate)]).max()
    assert crash > 4 * quiet


# ----------------------------------------------------------------------------- water
@settings(max_examples=80, deadline=None)
@given(hw=st.floats(0.05, 1.0), hh=st.floats(0.05, 1.0), y=st.floats(-3.0, 3.0), level=st.floats(-1.0, 1.0))
def test_submerged_area_of_a_box_is_its_width_times_the_depth_under_the_surface(hw, hh, y, level):
    body = pymunk.Body(1.0, 1.0)
    body.position = (0.3, y)
    box = pymunk.Poly(body, [(-hw, -hh), (hw, -hh), (hw, hh), (-hw, hh)])
    area, (_cx, cy) = liquids._submerged(box, level)
    depth = min(max(level - (y - hh), 0.0), 2 * hh)
    assert area == pytest.approx(2 * hw * depth, rel=1e-6, abs=1e-9)
    if depth > 1e-6:
        assert cy == pytest.approx(y - hh + depth / 2, rel=1e-6, abs=1e-6)


@settings(max_examples=60, deadline=None)
@given(r=st.floats(0.05, 1.0), y=st.floats(-3.0, 3.0))
def test_submerged_area_of_a_circle_matches_its_circular_segment(r, y):
    body = pymunk.Body(1.0, 1.0)
    body.position = (0.0, y)
    area, _ = liquids._submerged(pymunk.Circle(body, r), 0.0)
    h = min(max(-(y - r), 0.0), 2 * r)  # depth of the circle under y = 0
    expected = r * r * math.acos((r - h) / r) - (r - h) * math.sqrt(max(2 * r * h - h * h, 0.0))
    assert area == pytest.approx(expected, rel=1e-6, abs=1e-9)


def test_a_ball_floats_a_steel_ball_sinks_and_the_splash_is_heard():
    level = effects.WATER_LEVEL_M
    scene, world, bodies, sim = _sim("a red ball falls into the lake")
    (ball,) = bodies
    y_end, r = sim.pos[-1, 0, 1], ball.radius
    share_under = (level - (y_end - r)) / (2 * r)
    assert 0.15 < share_under < 0.6, f"floats with about a third under: {share_under:.2f}"
    assert abs(sim.vel[-1, 0, 1]) < 0.3
    assert sim.extras["splashes"] and sim.extras["splashes"][0]["speed"] > 2
    _, _, _, steel = _sim("a steel ball falls into the lake")
    assert steel.pos[-1, 0, 1] < r + 0.05, "steel sinks to the bottom"
    clip = generate("a red ball falls into the lake", seed=0, **SMALL)
    t_splash = sim.extras["splashes"][0]["t"]
    onsets = A.audio_onsets(clip.audio, clip.sample_rate)
    assert np.min(np.abs(onsets - t_splash)) <= 1 / clip.fps, "the splash is heard when the ball goes in"
    # and seen: white spray above the surface just after (the sky's palest red is 207; before, only the
    # ball's highlight is that bright)
    w160 = make_world(scene, 160, 160)
    _, surface = w160.to_px(0.0, level + 0.05)
    spray = [int((clip.frames[i, : int(surface), :, 0] > 225).sum()) for i in range(clip.num_frames)]
    f_in = int(t_splash * clip.fps)
    assert max(spray[f_in + 1 : f_in + 6]) > max(spray[:f_in]) + 20, spray[: f_in + 8]


def test_a_figure_stands_on_a_paddleboard_that_floats():
    level = effects.WATER_LEVEL_M
    scene, world, bodies, sim = _sim("a man on a paddleboard in the water")
    man = next(j for j, b in enumerate(bodies) if b.kind == "person")
    board = next(j for j, b in enumerate(bodies) if b.kind == "board")
    hh = bodies[board].half[1]
    late = sim.t > 1.0
    assert (np.abs(sim.pos[late, board, 1] - level) < 1.2 * hh).all(), "the board rides at the surface"
    feet = sim.pos[late, man, 1] - bodies[man].half[1]
    assert (feet > level - hh).all(), "the man stays out of the water, on the board"


# ----------------------------------------------------------------------------- pouring
def test_poured_water_fills_the_glass_and_the_pour_rises_in_pitch():
    scene, world, bodies, sim = _sim("water pours into a glass")
    pour = sim.extras["pour"]
    c = pour["container"]
    last = pour["frames"][-1]
    inside = (np.abs(last[:, 0] - c["x"]) < c["w"] / 2) & (last[:, 1] < c["h"])
    assert len(last) >= 0.95 * liquids.PARTICLES and inside.mean() >= 0.8, "most of the water ends in the glass"
    fill = np.array(pour["fill"])
    assert fill[-1] > 0.5 * c["h"] and fill[len(fill) // 8] < 0.1 * c["h"]
    clip = generate("water pours into a glass", seed=0, **SMALL)
    # the picture: the glass's inside turns blue from the bottom up
    x0, _ = world.to_px(c["x"] - c["w"] / 2, 0)
    x1, _ = world.to_px(c["x"] + c["w"] / 2, 0)
    k = 160 / 256
    _, y_bot = world.to_px(0, 0.05)
    cols = slice(int(x0 * k) + 2, int(x1 * k) - 1)
    row = int(y_bot * k) - 2

    def blue(f):
        px = clip.frames[f, row, cols].astype(int)
        return float(((px[:, 2] - px[:, 0]) > 60).mean())

    assert blue(0) == 0.0 and blue(clip.num_frames - 1) > 0.8
    # the sound: the stream's centroid rises as the air column above the water shortens
    import librosa

    cen = librosa.feature.spectral_centroid(y=clip.audio.mean(0), sr=clip.sample_rate, hop_length=2400)[0]
    t = np.arange(len(cen)) * 2400 / clip.sample_rate
    early = np.median(cen[(t > 0.5) & (t < 1.0)])
    late_c = np.median(cen[(t > 2.0) & (t < 2.5)])
    assert late_c > 1.3 * early, (early, late_c)


# ----------------------------------------------------------------------------- ice and determinism
def test_a_walker_on_ice_pushes_off_once_and_glides():
    _, _, bodies, sim = _sim("a woman walks right on the ice")
    (woman,) = bodies
    assert woman.init.get("drive") is None, "no walking pace imposed: she glides on the ice"
    vx = sim.vel[(sim.t > 0.2) & (sim.t < 1.5), 0, 0]
    assert vx.min() > 0.5 * effects.SKATE_SPEED, "the ice's low friction keeps her going"
    assert vx[-1] < vx[0], "and slowly slows her"


def test_the_same_request_gives_the_same_clip():
    for prompt in ("a glass falls and shatters on the floor", "water pours into a glass"):
        a = generate(prompt, seed=3, duration=1.5, fps=12, width=96, height=96)
        b = generate(prompt, seed=3, duration=1.5, fps=12, width=96, height=96)
        assert np.array_equal(a.frames, b.frames) and np.array_equal(a.audio, b.audio)


def test_edits_add_water_or_breaking_and_keep_what_the_scene_has():
    from sora_widgets.engines.sim import apply_edit

    dominoes = parse_prompt("a row of ten dominoes topple")
    red, _ = apply_edit(dominoes, "make the dominoes red")
    assert [(g["form"], g["count"], g["color"]) for g in red["objects"]] == [("domino", 10, "red")]
    wet, _ = apply_edit(parse_prompt("a red ball bounces on the grass"), "now in the water")
    assert wet["water"]["level"] == effects.WATER_LEVEL_M
    moon, _ = apply_edit(wet, "now at night")
    assert moon["water"] == wet["water"], "a later edit keeps the water"
    broken, _ = apply_edit(parse_prompt("a green bottle falls on the floor"), "make it shatter")
    assert broken["objects"][0]["breakable"] is True


# ----------------------------------------------------------------------------- contact events
class _Witness(physics._Contacts):
    """The contacts read in a batch after each sub-step, and beside them what pymunk's own post_solve callback
    sees during it: the rule of the simulation applied to the callback's arbiters, as the engine did before."""

    def __init__(self, space, bodies, *args, **kw):
        super().__init__(space, bodies, *args, **kw)
        self.pending, self.seen_events, self.seen_touch, self.read_events = [], [], set(), []
        self.prev, self.last = {}, {}

        def post_solve(arb, _space, _data):
            a, b = arb.shapes
            pts = arb.contact_point_set.points
            self.pending.append((a, b, float(arb.total_impulse.length), arb.is_first_contact,
                                 (pts[0].point_a.x, pts[0].point_a.y)))

        def separate(arb, _space, _data):
            a, b = arb.shapes
            self.prev.pop(tuple(sorted((a.sim_name, b.sim_name))), None)

        space.on_collision(post_solve=post_solve, separate=separate)

    def read(self, step):
        n = len(self.events)
        super().read(step)
        self.read_events += self.events[n:]  # (figures add their feet's contacts after the simulation)
        t = step * self.dt
        for a, b, imp, first, (px, py) in self.pending:
            ia, ib = getattr(a, "sim_index", None), getattr(b, "sim_index", None)
            for i, other in ((ia, ib), (ib, ia)):
                if i is not None and other is None:
                    self.seen_touch.add((step, i))
            key = tuple(sorted((a.sim_name, b.sim_name)))
            prev = self.prev.get(key, 0.0)
            self.prev[key] = imp
            masses = [s.body.mass for s in (a, b) if getattr(s, "sim_index", None) is not None]
            dv = imp / min(masses) if masses else 0.0
            if (first or imp > 3.0 * prev + 1e-6) and dv > 0.35 and t - self.last.get(key, -1.0) > 0.05:
                self.last[key] = t
                self.seen_events.append((round(t, 6), key, round(imp, 9), round(px, 9), round(py, 9)))
        self.pending.clear()


@pytest.mark.parametrize("prompt,seed", [
    ("a horse walks right past a blue car while three apples, a guitar and a teapot fall on the grass", 2),
    ("a glass falls and shatters on the floor", 0),  # shards: bodies born during the simulation
    ("a man throws a ball to a woman who catches it", 0),  # a held ball is a sensor: no contacts meanwhile
    ("three balls float in space", 1),  # walls all round: the same two names in one sub-step
])
def test_contacts_read_in_a_batch_are_those_pymunk_reports_to_a_callback(monkeypatch, prompt, seed):
    """The events (time, pair, impulse, point) and ground contacts the simulation reads from pymunk's arbiters
    after each sub-step are exactly those its post_solve callback reports during it (the engine's contact path
    before the batch: ~10k Python calls per clip)."""
    witnesses = []

    def witness(*args, **kw):
        witnesses.append(_Witness(*args, **kw))
        return witnesses[-1]

    monkeypatch.setattr(physics, "_Contacts", witness)
    scene = parse_prompt(prompt)
    world = make_world(scene, 160, 160)
    bodies = layout(scene, world, 2.5, np.random.default_rng(seed))
    simulate(scene, world, bodies, 2.5)
    w = witnesses[0]
    got = sorted((round(e["t"], 6), tuple(sorted(e["bodies"])), round(e["impulse"], 9), round(e["wx"], 9),
                  round(e["wy"], 9)) for e in w.read_events)
    assert got == sorted(w.seen_events) and got
    assert {(int(s), int(j)) for s, j in zip(*np.nonzero(w.touch), strict=True)} == w.seen_touch


@pytest.mark.parametrize("prompt", [
    "a horse walks right past a blue car while three apples, a guitar and a teapot fall on the grass",
    "a glass falls and shatters on the floor",  # the glass leaves the space: shards reshuffle its rows
    "three glasses fall and shatter on the floor",
    "a red ball bounces on a wooden floor",  # one body: read from its properties
])
def test_body_states_read_in_a_batch_are_the_bodies_own(monkeypatch, prompt):
    """After every sub-step the positions, angles and velocities the simulation records for its scene bodies (one
    batch read of the whole space) are exactly each pymunk body's own, also once a broken thing has left the
    space and the batch's rows have moved."""
    checked = []

    class Witness(physics._BodyStates):
        def read(self, pos, vel):
            super().read(pos, vel)
            for j, body in enumerate(self.pm_bodies):
                assert tuple(pos[j]) == (*body.position, body.angle) and tuple(vel[j]) == tuple(body.velocity)
            checked.append(sum(b not in self.space.bodies for b in self.pm_bodies))

    monkeypatch.setattr(physics, "_BodyStates", Witness)
    scene = parse_prompt(prompt)
    world = make_world(scene, 160, 160)
    bodies = layout(scene, world, 2.5, np.random.default_rng(0))
    simulate(scene, world, bodies, 2.5)
    assert len(checked) > 500
    if "shatter" in prompt:
        assert max(checked) >= 1  # a broken thing was read while out of the space

