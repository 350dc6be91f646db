"""RemixExplorer without a browser: layout, visibility, selection, and the 3D forest data."""

from __future__ import annotations

import pandas as pd
import pytest
from conftest import served_here

from sora_widgets import lineage
from sora_widgets.demo import seed_demo
from sora_widgets.store import open_store
from sora_widgets.widgets.remix_explorer import RemixExplorer, forest_positions, tree_layout


def test_tree_layout_puts_parents_over_children_without_overlap():
    df = pd.DataFrame({
        "clip_id": ["r", "a", "b", "a1", "a2", "b1"],
        "parent_id": [None, "r", "r", "a", "a", "b"],
        "depth": [0, 1, 1, 2, 2, 2],
    })
    pos = tree_layout(df)
    for depth in (0, 1, 2):
        xs = sorted(pos[c][0] for c, d in zip(df["clip_id"], df["depth"], strict=True) if d == depth)
        assert all(b - a >= 100 for a, b in zip(xs, xs[1:], strict=False)), (depth, xs)
    assert pos["a"][0] == pytest.approx((pos["a1"][0] + pos["a2"][0]) / 2)
    assert pos["r"][0] == pytest.approx((pos["a"][0] + pos["b"][0]) / 2)
    assert pos["r"][1] < pos["a"][1] < pos["a1"][1]


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    home = tmp_path_factory.mktemp("explorer")
    with served_here(home):  # the same demo, seeded without a file open per store operation
        summary = seed_demo(home, n_clips=80, n_rendered=4, seed=5)
    return open_store(home), summary


@pytest.mark.slow
def test_explorer_shows_the_featured_tree_and_hides_what_the_user_may_not_see(demo):
    store, summary = demo
    ex = RemixExplorer(store, user="ana")
    ids = {n["clip_id"] for n in ex.tree.nodes}
    assert summary["featured_clip"] in ids
    assert ex.tree.selected == summary["featured_clip"]
    tree = lineage.tree(store, summary["featured_clip"])
    assert ids == set(tree["clip_id"])
    for node in ex.tree.nodes:
        row = tree.set_index("clip_id").loc[node["clip_id"]]
        private = row["status"] == "draft" and row["owner"] != "ana"
        gone = row["status"] in ("removed", "hidden")
        assert node["visible"] == (not private and not gone)
        if not node["visible"]:
            assert node["thumb"] == "" and node["prompt"] == "" and node["edge"] == ""
    playable = [n["clip_id"] for n in ex.tree.nodes if n["has_media"] and n["clip_id"] != ex.tree.selected]
    assert playable
    ex.tree.selected = playable[0]  # what a click in the browser does
    assert playable[0] in ex.detail.value
    ex.wait_player(60)  # the player is built on a background thread (the page does not wait for it)
    assert type(ex.player_box.children[0]).__name__ == "ClipPlayer"
    xyz = forest_positions(ex._forest_df)
    assert xyz.shape == (len(ex._forest_df), 3)
    assert (xyz[:, 1] == ex._forest_df["depth"].to_numpy()).all()


@pytest.mark.slow
def test_remix_this_shows_progress_can_be_cancelled_and_reports_through_an_event(demo):
    store, summary = demo
    ex = RemixExplorer(store, user="ana", show_3d=False)
    playable = [n["clip_id"] for n in ex.tree.nodes if n["has_media"]]
    ex.tree.selected = playable[0]
    count = lambda: int(store.sql("SELECT count(*) AS n FROM clips")["n"][0])  # noqa: E731
    before = count()

    # Cancel at once: nothing is saved and the buttons come back.
    job = ex.remix("now on the moon")
    assert ex.busy and not ex.cancel_button.disabled and ex.remix_button.disabled
    ex.cancel_button.click()
    ex.wait(60)
    assert job.state == "cancelled" and "nothing was saved" in ex.status.value
    assert count() == before and ex.cancel_button.disabled and not ex.remix_button.disabled

    remixed, steps = [], []
    ex.on_remixed(remixed.append)
    ex.progress.observe(lambda ch: steps.append(ch["new"]), names="value")
    ex.prompt.value = "make it blue"
    ex.remix_button.click()
    ex.wait(120)
    [res] = remixed
    assert count() == before + 1 and store.clip_info(res.clip_id)["parent_id"] == playable[0]
    assert any(0 < v < max(steps) for v in steps), f"the progress bar did not move: {steps}"
    assert ex.tree.selected == res.clip_id and ex.progress.layout.display == "none"


@pytest.mark.slow
def test_a_record_without_video_shows_no_borrowed_picture(demo):
    """A demo record with no media once borrowed another clip's thumbnail: the tree showed the wrong scene."""
    store, summary = demo
    ex = RemixExplorer(store, user="ana")
    records = [n for n in ex.tree.nodes if n["visible"] and not n["has_media"]]
    rendered = [n for n in ex.tree.nodes if n["visible"] and n["has_media"]]
    assert records and rendered
    assert all(n["thumb"] == "" for n in records)
    # every picture on the tree is the clip's own: rendered from its own media, never shared with another clip
    thumbs = [n["thumb"] for n in rendered if n["thumb"]]
    assert thumbs and len(thumbs) == len(set(thumbs))
