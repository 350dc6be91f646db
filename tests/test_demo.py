"""The demo community a new user lands in: cameos they can use, cases waiting for a reviewer, and a second
seed that adds nothing."""

from __future__ import annotations

import pytest

from sora_widgets.cameo import directory
from sora_widgets.demo import seed_demo
from sora_widgets.moderation import review
from sora_widgets.store import open_store


@pytest.mark.slow
def test_the_demo_has_shared_cameos_and_reported_cases_and_seeds_once(tmp_path):
    first = seed_demo(tmp_path, n_clips=30, n_rendered=6, seed=3)
    store = open_store(tmp_path)
    assert first["cameos"] == 2 and first["community"]["reports"] == 2
    # ana's cat is for everyone; bo's mug only for the people bo approved
    assert {c["name"] for c in directory.usable(store, "cy")} == {"ana_cat", "bo_mug"}
    assert {c["name"] for c in directory.usable(store, "eli")} == {"ana_cat"}
    cases = review.list_cases(store, reviewer="rita")
    assert len(cases) == 2 and all(c["category"] == review.REPORT_CATEGORY for c in cases)
    again = seed_demo(tmp_path, n_clips=30, n_rendered=6, seed=3)
    assert again["cameos"] == 0 and again["created_now"] == 0
    assert len(store.sql("SELECT cameo_id FROM cameos")) == 2
    assert len(review.list_cases(store, reviewer="rita")) == 2
