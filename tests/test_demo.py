"""The demo community a new user lands in: cameos they can use, cases waiting for a reviewer (two user
reports and a clip the output check held), and a second seed that adds nothing."""

from __future__ import annotations

import pytest

from sora_widgets.cameo import directory
from sora_widgets.demo import seed_demo
from sora_widgets.moderation import review
from sora_widgets.store import open_store


@pytest.mark.slow
def test_the_demo_has_shared_cameos_reported_and_held_cases_and_seeds_once(tmp_path):
    first = seed_demo(tmp_path, n_clips=30, n_rendered=6, seed=3)
    store = open_store(tmp_path)
    assert first["cameos"] == 2 and first["community"]["reports"] == 2
    # ana's cat is for everyone; bo's mug only for the people bo approved
    assert {c["name"] for c in directory.usable(store, "cy")} == {"ana_cat", "bo_mug"}
    assert {c["name"] for c in directory.usable(store, "eli")} == {"ana_cat"}
    cases = review.list_cases(store, reviewer="rita")
    reports = [c for c in cases if c["category"] == review.REPORT_CATEGORY]
    held = [c for c in cases if c["category"] != review.REPORT_CATEGORY]
    assert len(reports) == 2 and len(held) == 1, cases
    # the held case is the output check's: a real clip, held, its verdict's category, its author gus
    assert held[0]["clip_id"] == first["held"] and held[0]["category"] == "harassment"
    assert store.clip_info(first["held"])["status"] == "held" and store.clip_info(first["held"])["owner"] == "gus"
    again = seed_demo(tmp_path, n_clips=30, n_rendered=6, seed=3)
    assert again["cameos"] == 0 and again["created_now"] == 0 and again["held"] == first["held"]
    assert len(store.sql("SELECT cameo_id FROM cameos")) == 2
    assert len(review.list_cases(store, reviewer="rita")) == 3
