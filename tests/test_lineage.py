"""Lineage queries against networkx on random forests, incremental indexing, and the removal rule."""

from __future__ import annotations

import duckdb
import networkx as nx
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sora_widgets import lineage
from sora_widgets.moderation.takedown import take_down
from sora_widgets.store import NotFound, Store, open_store


def _fresh_con() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    for _version, _name, sql in Store.migrations():
        con.execute(sql)
    return con


def _frame(parents: list[int | None], *, offset: int = 0, reuse: list[bool] | None = None) -> pd.DataFrame:
    n = len(parents)
    return pd.DataFrame({
        "clip_id": [f"c{offset + i}" for i in range(n)],
        "parent_id": [None if p is None else f"c{p}" for p in parents],
        "created_at": pd.Timestamp("2026-01-01") + pd.to_timedelta(np.arange(offset, offset + n), unit="min"),
        "reuses_material": reuse if reuse is not None else [True] * n,
    })


def _graph(parents: list[int | None]) -> nx.DiGraph:
    g = nx.DiGraph()
    g.add_nodes_from(f"c{i}" for i in range(len(parents)))
    g.add_edges_from((f"c{p}", f"c{i}") for i, p in enumerate(parents) if p is not None)
    return g


@st.composite
def forests(draw, max_size: int = 60):
    """A random forest: each clip is an original or remixes an earlier clip; sometimes one long chain."""
    n = draw(st.integers(1, max_size))
    parents: list[int | None] = [None]
    for i in range(1, n):
        parents.append(draw(st.one_of(st.none(), st.integers(0, i - 1))))
    if draw(st.booleans()):  # a chain deeper than a checkpoint interval, hanging off a random clip
        start = draw(st.integers(0, n - 1))
        length = draw(st.integers(lineage.CHECKPOINT_EVERY - 2, 2 * lineage.CHECKPOINT_EVERY + 5))
        prev = start
        for _ in range(length):
            parents.append(prev)
            prev = len(parents) - 1
    return parents


def _nodes_to_check(parents, limit: int = 40) -> list[str]:
    """All clips of small forests; of large ones the first ``limit`` plus every clip around a checkpoint
    and the last ones (the tip of a long chain): where an off-by-one would show."""
    n = len(parents)
    if n <= limit:
        return [f"c{i}" for i in range(n)]
    depth = [0] * n
    for i, p in enumerate(parents):
        depth[i] = 0 if p is None else depth[p] + 1
    every = lineage.CHECKPOINT_EVERY
    picked = set(range(limit)) | set(range(n - 3, n))
    picked |= {i for i in range(n) if depth[i] % every in (every - 1, 0, 1)}
    return [f"c{i}" for i in sorted(picked)]


def _check_against_networkx(con, parents):
    g = _graph(parents)
    table = lineage.lineage_table(con).set_index("clip_id")
    assert len(table) == len(parents)
    nx_depth = {}
    for r in (n for n in g.nodes if g.in_degree(n) == 0):
        nx_depth.update(nx.single_source_shortest_path_length(g, r))
    assert table["depth"].to_dict() == nx_depth
    for node in _nodes_to_check(parents):
        up = lineage.ancestors(con, node)
        # networkx: walk predecessors to the root, parent first
        expected_up, cur = [], node
        while (preds := list(g.predecessors(cur))):
            cur = preds[0]
            expected_up.append(cur)
        assert up == expected_up, node
        assert lineage.depth(con, node) == len(expected_up) == table.loc[node, "depth"]
        down = lineage.descendants(con, node)
        assert len(down) == len(set(down))
        assert set(down) == nx.descendants(g, node), node
        # generation order: each clip comes after its parent
        pos = {c: i for i, c in enumerate(down)}
        for c in down:
            p = next(iter(g.predecessors(c)))
            assert p == node or pos[p] < pos[c]
        assert table.loc[node, "root_id"] == (expected_up[-1] if expected_up else node)


@pytest.mark.slow
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(forests())
def test_ancestors_descendants_depths_agree_with_networkx(parents):
    con = _fresh_con()
    assert lineage.ingest(con, _frame(parents)) == len(parents)
    _check_against_networkx(con, parents)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(forests(max_size=40), st.data())
def test_indexing_in_batches_gives_the_same_forest(parents, data):
    """Clips indexed over several calls (new remixes of already indexed clips) match one bulk ingest."""
    con = _fresh_con()
    cut = data.draw(st.integers(1, len(parents)))
    lineage.ingest(con, _frame(parents[:cut]))
    lineage.ingest(con, _frame(parents[cut:], offset=cut))
    _check_against_networkx(con, parents)


@settings(max_examples=25, deadline=None)
@given(forests(max_size=50))
def test_chain_stats_agree_with_networkx(parents):
    con = _fresh_con()
    lineage.ingest(con, _frame(parents))
    g = _graph(parents)
    stats = lineage.chain_stats(con).set_index("root_id")
    roots = [n for n in g.nodes if g.in_degree(n) == 0]
    assert set(stats.index) == set(roots)
    for r in roots:
        members = {r} | nx.descendants(g, r)
        depths = nx.single_source_shortest_path_length(g, r)
        row = stats.loc[r]
        assert row["size"] == len(members)
        assert row["depth"] == max(depths.values())
        assert row["breadth"] == max(np.bincount(list(depths.values())))
        internal = [m for m in members if g.out_degree(m) > 0]
        if internal:
            assert row["branching_factor"] == pytest.approx((len(members) - 1) / len(internal))
            first = min(int(m[1:]) for m in members if m != r)
            assert row["time_to_first_remix_s"] == pytest.approx((first - int(r[1:])) * 60)
        else:
            assert pd.isna(row["branching_factor"])
    top = lineage.most_remixed(con, 3)
    best = max(g.out_degree(n) for n in g.nodes)
    if best:
        assert top["remixes"].iloc[0] == best


def test_unknown_clip_and_bad_ingest_give_clear_errors():
    con = _fresh_con()
    with pytest.raises(NotFound, match="no clip nope"):
        lineage.ancestors(con, "nope")
    with pytest.raises(ValueError, match="parent_id"):
        lineage.ingest(con, pd.DataFrame({"clip_id": ["a"], "created_at": [pd.Timestamp.now()]}))


# ---------------------------------------------------------------- store-backed


def _records(store: Store, parents, *, owners=None, reuse=None, statuses=None):
    """Lightweight clip rows + remix edges written straight to the store (as the demo does)."""
    df = _frame(parents, reuse=reuse)
    df["owner"] = owners or ["ana"] * len(parents)
    df["status"] = statuses or ["published"] * len(parents)
    df["author"] = df["owner"]
    with store.transaction() as con:
        con.register("_df", df)
        con.execute("""INSERT INTO clips (clip_id, owner, status, prompt, engine, parent_id, created_at, updated_at)
                       SELECT clip_id, owner, status, 'a ball', 'sim', parent_id, created_at, created_at FROM _df""")
        con.execute("""INSERT INTO remix_edges (child_id, parent_id, author, operation, edit, reuses_material, created_at)
                       SELECT clip_id, parent_id, author, 'remix', '{}', reuses_material, created_at
                       FROM _df WHERE parent_id IS NOT NULL""")
        con.unregister("_df")
    return df


@pytest.fixture()
def store(tmp_path):
    s = open_store(tmp_path / "home")
    for h, role in (("ana", "creator"), ("bo", "creator"), ("rev", "reviewer")):
        s.create_user(h, birthdate="1990-01-01", role=role)
    return s


def test_store_queries_index_new_clips_on_demand(store):
    _records(store, [None, 0, 1])
    assert lineage.ancestors(store, "c2") == ["c1", "c0"]  # indexed on first use
    with store.transaction() as con:
        con.execute("INSERT INTO clips (clip_id, owner, status, parent_id) VALUES ('c9', 'bo', 'published', 'c2')")
        con.execute("INSERT INTO remix_edges (child_id, parent_id, author) VALUES ('c9', 'c2', 'bo')")
    assert lineage.sync(store, ["c9"]) == 1
    assert lineage.ancestors(store, "c9") == ["c2", "c1", "c0"]
    assert lineage.descendants(store, "c0") == ["c1", "c2", "c9"]
    assert lineage.sync(store) == 0


def test_a_raw_path_waits_for_the_store_lock_like_every_other_process(store):
    """Analysts may point lineage at sora.duckdb while dashboards write: it must queue, not fail or tear."""
    import threading
    import time

    _records(store, [None, 0])
    lineage.sync(store)
    got = {}
    in_tx = threading.Event()
    release = threading.Event()

    def writer():
        with store.transaction() as con:
            con.execute("INSERT INTO clips (clip_id, owner, status, parent_id) VALUES ('c7', 'bo', 'published', 'c1')")
            con.execute("INSERT INTO remix_edges (child_id, parent_id, author) VALUES ('c7', 'c1', 'bo')")
            in_tx.set()
            release.wait(10)

    def analyst():
        got["sync"] = lineage.sync(store.db_path)  # a raw .duckdb path, as the 10 M benchmark uses
        got["at"] = time.monotonic()

    w = threading.Thread(target=writer)
    w.start()
    assert in_tx.wait(10)
    a = threading.Thread(target=analyst)
    a.start()
    time.sleep(0.5)
    assert "sync" not in got, "the raw path did not wait for the writer's lock"
    released_at = time.monotonic()
    release.set()
    w.join(10)
    a.join(10)
    assert got["sync"] == 1 and got["at"] >= released_at  # it saw the committed clip, after the commit
    assert lineage.ancestors(store.db_path, "c7") == ["c1", "c0"]


def test_remove_hides_material_descendants_and_keeps_the_others(store):
    #      c0
    #      |  (reuses)
    #      c1 ---------------- removed
    #    /reuse   \idea only
    #   c2         c3
    #   |reuse     |reuse
    #   c4         c5
    parents = [None, 0, 1, 1, 2, 3]
    reuse = [True, True, True, False, True, True]
    _records(store, parents, reuse=reuse, owners=["ana", "ana", "bo", "bo", "bo", "bo"])
    with pytest.raises(PermissionError, match="only its owner @ana"):
        take_down(store, "c1", by="bo", reason="spam")
    out = take_down(store, "c1", by="rev", reason="graphic violence")
    assert out["hidden"] == ["c2", "c4"] and out["kept"] == ["c3", "c5"]
    status = dict(store.sql("SELECT clip_id, status FROM clips").itertuples(index=False))
    assert status == {"c0": "published", "c1": "removed", "c2": "hidden", "c3": "published",
                      "c4": "hidden", "c5": "published"}
    assert lineage.lineage_status(store, "c3") == "original removed"
    assert lineage.lineage_status(store, "c5") == "original removed"
    assert lineage.lineage_status(store, "c4") == "hidden"
    assert lineage.lineage_status(store, "c0") == "ok"
    audit = store.sql("SELECT actor, action, target_id FROM audit_log WHERE action LIKE 'clip.%' ORDER BY seq")
    assert ("rev", "clip.removed", "c1") in set(audit.itertuples(index=False))
    assert {t for a, t in zip(audit["action"], audit["target_id"], strict=True) if a == "clip.hidden"} == {"c2", "c4"}
    tree = lineage.tree(store, "c5").set_index("clip_id")
    assert bool(tree.loc["c5", "original_removed"]) and not bool(tree.loc["c0", "original_removed"])
    with pytest.raises(ValueError, match="already removed"):
        take_down(store, "c1", by="rev", reason="again")


def test_owner_may_remove_own_clip_and_removal_is_atomic(store):
    _records(store, [None, 0], owners=["ana", "bo"])
    with pytest.raises(ValueError, match="say why"):
        take_down(store, "c0", by="ana", reason=" ")
    assert store.sql("SELECT status FROM clips WHERE clip_id = 'c0'")["status"][0] == "published"
    out = take_down(store, "c0", by="ana", reason="I changed my mind")
    assert out == {"removed": "c0", "hidden": ["c1"], "kept": [], "already_removed": False}


def test_stale_keys_and_a_dropped_index_are_repaired_without_duplicates():
    """After a DuckDB upgrade changes hash(), or a bulk load died between dropping and rebuilding an index."""
    con = _fresh_con()
    lineage.ingest(con, _frame([None, 0, 1]))
    con.execute("DROP INDEX lineage_clip_key")
    con.execute("UPDATE lineage SET clip_key = clip_key + 1")
    with pytest.raises(NotFound):
        lineage.ancestors(con, "c2")
    assert lineage.ingest(con, _frame([2], offset=3)) == 1  # c3 remixes c2: found after the repair
    assert lineage.ancestors(con, "c3") == ["c2", "c1", "c0"]
    assert len(lineage.lineage_table(con)) == 4
    names = {r[0] for r in con.execute("SELECT index_name FROM duckdb_indexes() WHERE table_name = 'lineage'").fetchall()}
    assert {"lineage_clip_key", "lineage_parent"} <= names
