"""remix(): inherit the recipe, apply the edit, save through publish, record the chain; refuse what you may not see."""

from __future__ import annotations

import pytest

from sora_widgets import lineage
from sora_widgets.moderation.takedown import take_down
from sora_widgets.publishing import create_clip, publish
from sora_widgets.remix import remix, remix_request

SMALL = {"duration": 1.0, "fps": 12, "width": 96, "height": 96}


@pytest.fixture
def people(store):
    for h, role in (("ana", "creator"), ("bo", "creator"), ("cy", "creator"), ("rev", "reviewer")):
        store.create_user(h, birthdate="1990-01-01", role=role)
    return store


def _original(store, prompt="a red ball bounces on a wooden floor", *, user="ana", status="published"):
    clip = create_clip(store, prompt, user=user, engine="sim", seed=7, **SMALL)
    return publish(store, clip, user=user, status=status).clip_id


@pytest.mark.slow
def test_a_remix_changes_only_the_edit_and_remixes_of_remixes_form_a_chain(people):
    store = people
    root = _original(store)
    parent_scene = store.clip_info(root)["meta"]["scene"]

    child = remix(store, root, "now on the moon", author="bo")
    info = store.clip_info(child)
    scene = info["meta"]["scene"]
    assert scene["setting"] == "moon" and parent_scene["setting"] != "moon"
    assert [o["kind"] for o in scene["objects"]] == [o["kind"] for o in parent_scene["objects"]]
    assert [o["color"] for o in scene["objects"]] == [o["color"] for o in parent_scene["objects"]]
    assert info["recipe"]["seed"] == 7 and info["duration_s"] == pytest.approx(1.0)  # inherited
    assert info["owner"] == "bo" and info["parent_id"] == root
    edge = store.sql("SELECT author, operation, edit::VARCHAR AS edit FROM remix_edges WHERE child_id = ?", [child])
    assert edge["author"][0] == "bo" and edge["operation"][0] == "remix"
    assert "now on the moon" in edge["edit"][0]

    grandchild = remix(store, child, "make it blue", author="cy", seed=3)
    g = store.clip_info(grandchild)
    assert g["meta"]["scene"]["setting"] == "moon"  # the moon is inherited from the parent
    assert {o["color"] for o in g["meta"]["scene"]["objects"]} == {"blue"}
    assert g["recipe"]["seed"] == 3
    assert lineage.ancestors(store, grandchild) == [child, root]
    assert lineage.descendants(store, root) == [child, grandchild]
    assert lineage.depth(store, grandchild) == 2


@pytest.mark.slow
def test_a_new_seed_alone_is_a_remix_too(people):
    store = people
    root = _original(store)
    kid = remix(store, root, "", author="bo", seed=99)
    a, b = store.clip_info(root), store.clip_info(kid)
    assert b["recipe"]["seed"] == 99
    assert a["meta"]["scene"]["objects"] == b["meta"]["scene"]["objects"]
    assert store.get_clip(root).frames.tobytes() != store.get_clip(kid).frames.tobytes()


def test_remixing_what_you_may_not_see_is_refused(people):
    store = people
    with store.transaction() as con:  # lightweight records: no rendering needed for the rule
        con.execute("INSERT INTO clips (clip_id, owner, status, prompt, engine) VALUES "
                    "('d1', 'ana', 'draft', 'a red ball', 'sim'), ('p1', 'ana', 'published', 'a red ball', 'sim')")
    with pytest.raises(PermissionError, match="draft of @ana"):
        remix(store, "d1", "make it blue", author="bo")
    take_down(store, "p1", by="rev", reason="spam")
    with pytest.raises(PermissionError, match="was removed"):
        remix(store, "p1", "make it blue", author="bo")
    with pytest.raises(PermissionError, match="does not exist"):
        remix(store, "nope", "make it blue", author="bo")
    with pytest.raises(ValueError, match="say what to change"):
        remix_request(store, "d1", "  ", author="ana")
    assert store.sql("SELECT count(*) AS n FROM remix_edges")["n"][0] == 0


def test_a_record_without_video_remixes_from_its_prompt(people):
    store = people
    with store.transaction() as con:
        con.execute("INSERT INTO clips (clip_id, owner, status, prompt, engine) VALUES "
                    "('r1', 'ana', 'published', 'three green boxes slide down a ramp', 'sim')")
    req = remix_request(store, "r1", "in the rain", author="bo")
    assert req["engine"] == "sim" and req["prompt"] == "in the rain"
    assert {o["color"] for o in req["base_scene"]["objects"]} == {"green"}
    with pytest.raises(ValueError, match="record without video"):
        remix_request(store, "r1", "in the rain", author="bo", engine="test-square")


def test_other_engines_get_the_parent_clip_and_a_strength(people, test_engines, square_clip):
    store = people
    parent = store.save_clip(square_clip.with_meta(prompt="square", recipe={"engine": "test-square", "seed": 1}),
                             owner="ana", status="published")
    req = remix_request(store, parent, "faster", author="bo")
    assert req["engine"] == "test-square" and req["strength"] == 0.6
    assert req["parent"].meta["clip_id"] == parent and req["parent"].num_frames == square_clip.num_frames
    kid = remix(store, parent, "faster", author="bo", strength=0.3, duration=1.0, width=64, height=64)
    assert store.clip_info(kid)["recipe"]["strength"] == 0.3
    edge = store.sql("SELECT operation FROM remix_edges WHERE child_id = ?", [kid])
    assert edge["operation"][0] == "v2v"
