"""Prompt -> scene and edits: keywords, paraphrases through the MiniLM encoder, French, remix edits."""

from __future__ import annotations

import json

import numpy as np
import pytest

from sora_widgets.engines.sim import apply_edit, parse_prompt
from sora_widgets.engines.sim import parse as sim_parse


def kinds(scene):
    return [(g["kind"], g["count"]) for g in scene["objects"]]


def test_keywords_colours_counts_and_motion():
    s = parse_prompt("two teal balls and a yellow box roll right at sunset")
    assert kinds(s) == [("ball", 2), ("box", 1)]
    assert [g["color"] for g in s["objects"]] == ["teal", "yellow"]
    assert all(g["motion"] == "roll" and g["direction"] == "right" for g in s["objects"])
    assert s["time"] == "sunset" and s["unparsed"] == []
    json.dumps(s)  # the scene is JSON-serialisable


def test_modifiers_of_the_ground_do_not_colour_objects():
    s = parse_prompt("a red ball bounces on a wooden floor")
    assert s["objects"][0]["material"] == "rubber" and s["setting"] == "floor"
    s = parse_prompt("a ball that is green")
    assert s["objects"][0]["color"] == "green"


def test_css_and_xkcd_colour_names_and_synonyms():
    for word, rgb in [("crimson", (220, 20, 60)), ("navy", (0, 0, 128)), ("teal", (0, 128, 128)),
                      ("cornflowerblue", (100, 149, 237)), ("cornflower blue", (81, 112, 215)), ("puke green", None)]:
        g = parse_prompt(f"a {word} ball")["objects"][0]
        assert g["color"] == word
        if rgb:
            assert tuple(g["rgb"]) == rgb


def test_paraphrases_land_through_the_sentence_encoder():
    # none of these words is in the keyword lexicon: the encoder places them
    from sora_widgets.engines.sim import vocab

    lex = vocab.keyword_lexicon()
    for w in ("globe", "pooch", "seashore", "thunderstorm", "beverage", "freeway", "nightfall"):
        assert w not in lex
    s = parse_prompt("a pooch and a globe on the seashore during a thunderstorm")
    assert [g["kind"] for g in s["objects"]] == ["dog", "ball"]
    assert s["setting"] == "beach" and s["ambience"] == ["rain"]
    assert s["unparsed"] == []
    s = parse_prompt("a beverage falls near the freeway at nightfall")
    assert s["objects"][0]["kind"] == "bottle" and s["ambience"] == ["traffic"] and s["time"] == "sunset"


def test_unknown_words_are_reported_and_a_scene_still_comes_out():
    s = parse_prompt("xyzzy frobnicate the quantum")
    assert set(s["unparsed"]) == {"xyzzy", "frobnicate", "quantum"}
    assert kinds(s) == [("ball", 1)]
    # issue 18: a zebra is a catalogue thing now, no longer an unknown word
    s = parse_prompt("xyzzy frobnicate the quantum zebra")
    assert set(s["unparsed"]) == {"xyzzy", "frobnicate", "quantum"} and kinds(s) == [("thing", 1)]


def test_french_basics():
    s = parse_prompt("deux balles bleues tombent sur l'herbe")
    assert kinds(s) == [("ball", 2)] and s["objects"][0]["rgb"] == [35, 85, 220]
    assert s["setting"] == "grass" and s["unparsed"] == []
    s = parse_prompt("une boîte jaune glisse à gauche sur la glace")
    assert s["objects"][0]["kind"] == "box" and s["objects"][0]["direction"] == "left" and s["setting"] == "ice"


def test_quoted_lines_and_speakers():
    s = parse_prompt("the cat says 'hello there' and the dog barks \"woof woof\"")
    assert s["lines"] == [{"speaker": "cat", "text": "hello there"}, {"speaker": "dog", "text": "woof woof"}]
    s = parse_prompt("@alice waves \"hi everyone\" on the beach")
    assert s["objects"][0]["cameo"] == "alice" and s["lines"][0]["speaker"] == "@alice"
    assert parse_prompt("it's a ball")["lines"] == []  # an apostrophe is not a quote
    s = parse_prompt("a woman stands next to a dog and says 'look at this'")
    assert s["lines"][0]["speaker"] == "person"


def test_basketball_miss_and_score():
    s = parse_prompt("a missed basketball shot bounces off the backboard")
    g = s["objects"][0]
    assert s["setting"] == "gym" and g["motion"] == "throw" and g["target"] == "hoop" and s["outcome"] == "miss"
    assert parse_prompt("a basketball swishes through the hoop")["outcome"] == "score"


def test_moon_space_gravity_and_camera():
    assert parse_prompt("a ball on the moon")["gravity"] == pytest.approx(1.62)
    assert parse_prompt("boxes floating in space")["gravity"] == 0.0
    assert parse_prompt("a ball in zero gravity")["gravity"] == 0.0
    assert parse_prompt("a ball bounces, the camera zooms in")["camera"] == "zoom_in"
    assert parse_prompt("the camera pans over a rolling ball")["camera"] == "pan"


def test_counts_are_capped_with_a_note():
    s = parse_prompt("40 balls")  # issue 18: counts go to twenty
    assert s["objects"][0]["count"] == 20 and any("at most 20" in n for n in s["notes"])


def test_empty_prompt_is_an_error():
    for bad in ("", "   \n"):
        with pytest.raises(ValueError, match="empty"):
            parse_prompt(bad)


def test_long_prompts_are_read_up_to_a_limit():
    s = parse_prompt("a red ball bounces " * 400)
    assert any("ignored" in n for n in s["notes"])


# ----------------------------------------------------------------- edits (remix)
@pytest.fixture
def base():
    s = parse_prompt("a red ball and a blue box bounce on a wooden floor")
    s.pop("unparsed")
    return s


def test_edit_setting_keeps_the_rest(base):
    new, unparsed = apply_edit(base, "now on the moon")
    assert new["setting"] == "moon" and new["gravity"] == pytest.approx(1.62)
    assert new["objects"] == base["objects"] and unparsed == []
    assert base["setting"] == "floor"  # the input is not changed


def test_edit_recolour_all_or_one(base):
    new, _ = apply_edit(base, "make it blue")
    assert {g["color"] for g in new["objects"]} == {"blue"}
    new, _ = apply_edit(base, "make the ball green")
    assert [g["color"] for g in new["objects"]] == ["green", "blue"]


def test_edit_add_and_remove(base):
    new, _ = apply_edit(base, "add two more balls")
    assert kinds(new) == [("ball", 3), ("box", 1)]
    new, _ = apply_edit(base, "add a yellow cat")
    assert kinds(new) == [("ball", 1), ("box", 1), ("cat", 1)] and new["objects"][2]["color"] == "yellow"
    new, _ = apply_edit(base, "without the box")
    assert kinds(new) == [("ball", 1)]


def test_edit_ambience_time_motion_lines(base):
    new, _ = apply_edit(base, "in the rain")
    assert new["ambience"] == ["rain"] and new["time"] == base["time"]
    new, _ = apply_edit(base, "at night with a cheering crowd")
    assert new["time"] == "night" and new["ambience"] == ["crowd"]
    new, _ = apply_edit(base, "make them roll left")
    assert all(g["motion"] == "roll" and g["direction"] == "left" for g in new["objects"])
    new, _ = apply_edit(base, "the ball says 'again!'")
    assert new["lines"] == [{"speaker": "ball", "text": "again!"}]


def test_edit_replace_kind_and_unparsed(base):
    one = parse_prompt("a red ball bounces")
    new, unparsed = apply_edit(one, "make it a cube, florp")
    assert new["objects"][0]["kind"] == "box" and new["objects"][0]["color"] == "red"
    assert unparsed == ["florp"]
    with pytest.raises(ValueError, match="edit is empty"):
        apply_edit(base, " ")


def test_packaged_concept_embeddings_match_the_vocabulary():
    """concepts.npz must be rebuilt when vocab changes (python -m sora_widgets.engines.sim.parse)."""
    with np.load(sim_parse.PACKAGED_CONCEPTS) as z:
        assert str(z["key"]) == sim_parse.concept_key()
        assert z["E"].shape == (len(sim_parse.vocab.concept_phrases()), 384)


def test_edit_accepts_a_minimal_hand_made_scene():
    new, _ = apply_edit({"objects": [{"kind": "box", "color": "navy"}]}, "in the rain")
    g = new["objects"][0]
    assert g["kind"] == "box" and g["color"] == "navy" and g["count"] == 1 and new["ambience"] == ["rain"]
    with pytest.raises(ValueError, match="setting 'mordor' is unknown"):
        apply_edit({"objects": [], "setting": "mordor"}, "in the rain")


def test_a_holder_of_something_is_that_one_thing():
    """"a cup of coffee" drew two things (a can for "cup" and the coffee); "a tray of cookies" added a container."""
    s = parse_prompt("a cup of coffee on a table")
    assert [(g["kind"], g.get("thing")) for g in s["objects"]] == [("thing", "hot_beverage")]
    s = parse_prompt("two cups of tea")
    assert [(g.get("thing"), g["count"]) for g in s["objects"]] == [("teacup_without_handle", 2)]
    s = parse_prompt("a tray of cookies")
    assert [g.get("thing") for g in s["objects"]] == ["cookie"] and not s.get("substitutions")
    assert kinds(parse_prompt("a cup falls and breaks")) == kinds(parse_prompt("a cup falls"))  # a cup alone stays


def test_a_fish_tank_is_an_aquarium_and_empty_is_no_thing():
    """"fish tank" became a fish and a military tank; "empty" became a container."""
    tank, aquarium = parse_prompt("a goldfish swims in a fish tank"), parse_prompt("a goldfish swims in an aquarium")
    assert kinds(tank) == kinds(aquarium) and "tabler_tank" not in [g.get("thing") for g in tank["objects"]]
    assert tank.get("backdrop") == aquarium.get("backdrop") == "underwater"
    assert parse_prompt("a red tank drives left")["objects"][0]["thing"] == "tabler_tank"  # a tank alone still is one
    empty, glass = parse_prompt("an empty glass"), parse_prompt("a glass")
    assert kinds(empty) == kinds(glass) and not empty.get("substitutions")
