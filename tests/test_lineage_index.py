"""The lineage index is the Store's: save_clip indexes each clip inside its own transaction (no lineage.sync)."""

from __future__ import annotations

import pytest

import sora_widgets.store.store as store_module
from sora_widgets.social.accounts import sign_up


def _rows(store):
    with store.read() as con:
        return {r[0]: r[1:] for r in con.execute(
            "SELECT l.clip_id, l.depth, r.clip_id FROM lineage l JOIN lineage r ON r.node = l.root_node").fetchall()}


def test_save_clip_indexes_originals_and_remixes_at_once(store, square_clip):
    sign_up(store, "ana", birthdate="1990-01-01")
    a = store.save_clip(square_clip, owner="ana")
    b = store.save_clip(square_clip, owner="ana", parent_id=a)
    c = store.save_clip(square_clip, owner="ana", parent_id=b, reuses_material=False)
    assert _rows(store) == {a: (0, a), b: (1, a), c: (2, a)}


def test_a_failing_index_update_rolls_the_save_back(store, square_clip, monkeypatch):
    sign_up(store, "ana", birthdate="1990-01-01")
    a = store.save_clip(square_clip, owner="ana")

    def broken(con, clip_ids=None):
        raise RuntimeError("index write failed")

    monkeypatch.setattr(store_module, "index_missing", broken)
    with pytest.raises(RuntimeError, match="index write failed"):
        store.save_clip(square_clip, owner="ana", parent_id=a, clip_id="c-lost")
    with store.read() as con:
        assert con.execute("SELECT count(*) FROM clips WHERE clip_id = 'c-lost'").fetchall()[0][0] == 0
        assert con.execute("SELECT count(*) FROM remix_edges WHERE child_id = 'c-lost'").fetchall()[0][0] == 0
    assert set(_rows(store)) == {a}
