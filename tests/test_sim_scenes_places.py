"""Places, render styles, camera moves and hand actions in the sim engine (issue 18, VBench's misses).

Each test reads a prompt as people write it and checks the scene, and where it shows, the pixels."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sora_widgets.engines.sim import figures, styles, vocab
from sora_widgets.engines.sim.parse import parse_prompt, validate_scene
from sora_widgets.engines.sim.physics import layout, make_world, simulate
from sora_widgets.engines.sim.render import Renderer

PX = 128


def frames(scene: dict, n: int = 12, fps: int = 12) -> list[np.ndarray]:
    """The first ``n`` frames of ``scene`` at PX x PX."""
    world = make_world(scene, PX, PX)
    bodies = layout(scene, world, n / fps, np.random.default_rng(0), {})
    sim = simulate(scene, world, bodies, n / fps)
    r = Renderer(scene, world, bodies, sim, fps=fps, n_frames=n, seed=0)
    return [r.frame(i) for i in range(n)]


def above_ground(img: np.ndarray, scene: dict) -> np.ndarray:
    world = make_world(scene, PX, PX)
    return img[: int(world.to_px(0.0, 0.0)[1]) - 2].astype(np.int16)


@pytest.mark.parametrize("prompt, backdrop", [("alley", "alley"), ("bakery shop", "shop"),
                                              ("A tranquil tableau of indoor library", "library"),
                                              ("The bund Shanghai, zoom out", "city"), ("canyon", "canyon"),
                                              ("underwater coral reef", "underwater")])
def test_a_place_alone_is_drawn_as_that_place_without_the_default_ball(prompt, backdrop):
    s = parse_prompt(prompt)
    assert s["objects"] == [] and s["backdrop"] == backdrop and s["unparsed"] == []
    plain = {**s, "backdrop": None}
    drawn, bare = above_ground(frames(s, 1)[0], s), above_ground(frames(plain, 1)[0], plain)
    # a third of what stands above the ground line is the place's structure, not the sky or wall
    assert (np.abs(drawn - bare).max(axis=2) > 25).mean() > 0.3


def test_every_backdrop_draws_a_structure_of_its_own():
    seen = []
    for name, spec in vocab.BACKDROPS.items():
        s = parse_prompt(spec["words"][0])
        assert s["backdrop"] == name, spec["words"][0]
        img = above_ground(frames(s, 1)[0], s)
        assert all(np.abs(img - other).mean() > 3 for other in seen), name
        seen.append(img)


def test_a_thing_in_a_place_stands_in_front_of_it():
    s = parse_prompt("a red ball bounces in the alley")
    assert [g["kind"] for g in s["objects"]] == ["ball"] and s["backdrop"] == "alley" and s["setting"] == "street"
    # nothing understood at all: the default ball still stands in
    assert [g["kind"] for g in parse_prompt("xyzzy frobnicate")["objects"]] == ["ball"]


def test_on_the_bottom_of_puts_the_other_thing_on_top():
    s = parse_prompt("a cat on the bottom of a box")
    cat, box = (next(i for i, g in enumerate(s["objects"]) if g["kind"] == k) for k in ("cat", "box"))
    assert s["objects"][box]["place"]["on"] == cat
    assert "on" not in s["objects"][cat]["place"]


@pytest.mark.parametrize("words, camera", [("tilt up", "tilt_up"), ("tilt down", "tilt_down"),
                                           ("front view", "static"), ("aerial view", "zoom_out"),
                                           ("with an intense shaking effect", "shake"),
                                           ("racking focus", "rack_focus"), ("pan right", "pan")])
def test_camera_words_are_camera_moves(words, camera):
    s = parse_prompt(f"a dog on the beach, {words}")
    assert s["camera"] == camera and s["unparsed"] == []


def test_tilt_up_rises_from_the_ground_to_the_sky_and_rack_focus_sharpens():
    s = parse_prompt("a box on the grass, tilt up")
    f = frames(s)
    ground = np.array(vocab.hex_to_rgb(vocab.colors()[vocab.SETTINGS["grass"]["ground"]]), float)
    bottom_first = np.abs(f[0][-4:].reshape(-1, 3) - ground).mean()
    bottom_last = np.abs(f[-1][-4:].reshape(-1, 3) - ground).mean()
    assert bottom_first < 40 < bottom_last  # the ground leaves the frame as the camera tilts up
    s = parse_prompt("a box in a city, racking focus")
    f = frames(s)

    def sharpness(img):
        return np.abs(np.diff(img.astype(np.int16), axis=1)).mean()

    assert sharpness(f[0]) < 0.7 * sharpness(f[-1])


def test_shaking_camera_moves_every_frame():
    f = frames(parse_prompt("a box in a city, with an intense shaking effect"))
    steps = [np.abs(a.astype(np.int16) - b).mean() for a, b in zip(f, f[1:], strict=False)]
    assert min(steps) > 1.0


@pytest.mark.parametrize("prompt, style", [("The bund Shanghai, black and white", "black_and_white"),
                                           ("a cat in pixel art style", "pixel_art"),
                                           ("a beach by Hokusai, in the style of Ukiyo", "ukiyo_e"),
                                           ("a dog, watercolor painting", "watercolor")])
def test_style_words_set_a_render_style(prompt, style):
    s = parse_prompt(prompt)
    assert s["style"] == style and s["unparsed"] == []


def test_styles_change_the_pixels_as_they_say():
    img = frames(parse_prompt("a red ball and a blue box on the grass"), 1)[0]
    bw = styles.apply(img, "black_and_white")
    assert np.array_equal(bw[..., 0], bw[..., 1]) and np.array_equal(bw[..., 1], bw[..., 2])
    px = styles.apply(img, "pixel_art")
    b = PX // 48
    assert (px[: b * 10 : b] == px[1 : b * 10 : b]).all()  # rows repeat in blocks
    assert len(np.unique(px.reshape(-1, 3), axis=0)) < len(np.unique(img.reshape(-1, 3), axis=0)) / 4
    for name in vocab.STYLES:
        out = styles.apply(img, name)
        assert out.shape == img.shape and out.dtype == np.uint8 and np.abs(out.astype(int) - img).mean() > 3, name
    assert styles.apply(img, None) is img


def test_style_word_without_a_style_is_reported_as_not_placed():
    assert "style" in parse_prompt("a ball in the xyzzy style")["unparsed"]


@pytest.mark.parametrize("prompt", ["a person is playing guitar", "A person is drinking coffee",
                                    "a woman is knitting", "a man reading a book in the library"])
def test_people_working_with_their_hands(prompt):
    s = parse_prompt(prompt)
    person = next(g for g in s["objects"] if g["kind"] == "person")
    assert person["action"] == "handle" and person["motion"] == "rest" and s["unparsed"] == []


def test_the_handle_pose_works_in_front_in_a_rhythm():
    a = figures.pose("handle", _ctx(0.0))
    b = figures.pose("handle", _ctx(0.125))
    assert a["sn"] > 0.5 and a["sf"] > 0.4  # both arms forward, not hanging
    assert abs(a["en"] - b["en"]) > 0.1  # the hands move


def _ctx(t: float) -> figures.Ctx:
    return figures.Ctx(t=t, dist=0.0, flight=None, next_takeoff=None, turns=0.0, aim=None, held=False, leg=0.5)


_PLACE_WORDS = sorted({w for spec in vocab.BACKDROPS.values() for w in spec["words"]})
_EXTRA = ["tilt up", "black and white", "in cyberpunk style", "front view", "at night", "a red ball", "two dogs",
          "playing", "racking focus", "watercolor painting"]


@settings(max_examples=40, deadline=None)
@given(st.sampled_from(_PLACE_WORDS), st.lists(st.sampled_from(_EXTRA), max_size=3))
def test_any_place_with_any_extras_gives_a_valid_scene_with_that_place(place, extras):
    s = parse_prompt(", ".join([f"the {place}", *extras]))
    validate_scene(s)
    assert s.get("backdrop") in vocab.BACKDROPS
    named_thing = any(e in ("a red ball", "two dogs") for e in extras)
    assert bool(s["objects"]) == named_thing  # no default ball stands in for a place
