"""Say what the engine understood (issue 14 item 5): drawn, left out by the negative prompt, not placed."""

from __future__ import annotations

import sora_widgets as sw
from sora_widgets.engines.sim import leave_out, parse_prompt
from sora_widgets.social.accounts import sign_up
from sora_widgets.widgets import PromptStudio
from sora_widgets.widgets.understood import understood_html

SMALL = dict(duration=0.5, fps=8, width=64, height=64, seed=3)


def test_a_negative_prompt_leaves_the_things_it_names_out_of_the_sim_scene():
    with_box = sw.generate("a dog jumps over a box", **SMALL)
    without = sw.generate("a dog jumps over a box", negative_prompt="no box please", **SMALL)
    assert any("box" in b for b in with_box.meta["bodies"])
    assert not any("box" in b for b in without.meta["bodies"]) and any("dog" in b for b in without.meta["bodies"])
    assert without.meta["left_out"] == ["box"] and with_box.meta["left_out"] == []
    # A cameo is never dropped by a word, and the input scene is not changed.
    scene = parse_prompt("a red ball and a cat")
    new, removed = leave_out(scene, "cat")
    assert removed == ["cat"] and [g["kind"] for g in new["objects"]] == ["ball"]
    assert [g["kind"] for g in scene["objects"]] == ["ball", "cat"]


def test_the_studio_says_what_was_drawn_left_out_and_not_placed(store):
    sign_up(store, "ana", birthdate="1990-01-01")
    s = PromptStudio(store, "ana")
    s.prompt.value = "a gymnast does a quantum backflip on a paddleboard next to a dog and a box"
    s.negative_prompt.value = "box"
    s.form.duration.value = 0.5
    s.generate()
    assert s.wait(60) == "done"
    line = s.understood.value
    assert "dog" in line and "left out (negative prompt): box" in line
    # issue 18 items 2 and 4: a backflip and a paddleboard are drawn now; "quantum" is still not placed
    assert "not placed: <b>quantum</b>" in line
    assert not any("box" in b for b in s.clip.meta["bodies"])


def test_the_line_escapes_what_the_user_typed_and_is_empty_for_models_without_a_scene():
    meta = {"scene": {"objects": [{"kind": "ball", "count": 2, "color": "red"}]}, "unparsed": ["<img src=x onerror=alert(1)>"]}
    line = understood_html(meta)
    assert "2 × red ball" in line and "<img" not in line and "&lt;img" in line
    assert understood_html({"engine": "ltx2"}) == ""


def test_the_history_shows_each_take_with_its_prompt(store):
    sign_up(store, "ana", birthdate="1990-01-01")
    s = PromptStudio(store, "ana")
    s.form.duration.value = 0.5
    for prompt in ("a red ball bounces", "a <b>blue</b> cat runs on the grass and then sits down quietly"):
        s.prompt.value = prompt
        s.generate()
        assert s.wait(60) == "done"
    labels = [item.children[1].value for item in s.history_strip.children]
    assert "a red ball bounces" in labels[0] and "seed" in labels[0]
    assert "a &lt;b&gt;blue&lt;/b&gt; cat runs" in labels[1] and "…" in labels[1] and "<b>blue" not in labels[1]


def test_new_seed_each_take_is_an_explicit_toggle(store):
    sign_up(store, "ana", birthdate="1990-01-01")
    s = PromptStudio(store, "ana")
    s.form.duration.value = 0.5
    s.prompt.value = "a red ball bounces"

    def take() -> int:
        s.generate()
        assert s.wait(60) == "done"
        return s.clip.meta["seed"]

    assert s.new_seed.value is True  # ticked by default: takes differ
    first = take()
    second = take()
    assert second != first
    s.seed.value = 1234  # a seed the user typed is kept
    assert take() == 1234
    s.new_seed.value = False  # unticked: the same seed again, e.g. to compare prompts
    assert take() == 1234 and take() == 1234
