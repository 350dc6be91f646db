"""Remix lineage: the forest of remixes, queried in SQL (DuckDB).

Every function takes a *source*: a :class:`~sora_widgets.store.Store`, an open
``duckdb`` connection, or the path of a ``.duckdb`` file (so the benchmark can run
on ten million clips without the media folder). The queries read the ``lineage``
table of migration 002, an index derived from ``clips`` + ``remix_edges``:

- ``ancestors`` is one index lookup (each clip carries its ancestor path up to
  the nearest checkpoint, every 64 levels) plus, for deeper chains, a recursive
  CTE hopping from checkpoint to checkpoint;
- ``descendants`` is a recursive CTE over the clip's own cascade (rows sharing
  its root), so its cost follows the cascade, not the forest;
- ``chain_stats`` is a GROUP BY over the materialised ``root_node``/``depth``.

The index is maintained by the Store (``store/lineage_index.py``, inside
``save_clip``'s transaction); this module keeps the queries. ``sync`` catches up
clips written another way (queries on a Store call it when they meet a clip not
yet indexed); ``ingest`` bulk-loads a forest.
``material_descendants`` answers the question the take-down rule asks (which
remixes carry a clip's material); the rule itself lives in
``sora_widgets.moderation.takedown.take_down``.

What a person is shown: ``tree``, ``forest``, ``most_remixed`` and ``ancestors`` take a
``viewer`` (on a Store). With it, the one visibility rule (``access.viewable_clip_sql``,
the SQL form of ``access.can_view``: owners see their drafts, staff see more) decides:
``tree``/``forest`` keep the shape (clip ids, parents, depths) but blank the owner,
status, prompt, thumbnail, media and edit of every clip the viewer may not see
(``visible`` says which); ``most_remixed`` and ``ancestors`` leave them out. Widgets and
dashboards always pass it; ``viewer=None`` is the analyst's view of the raw index (what
whoever holds the store file can read anyway).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from .access import viewable_clip_sql, viewer_params
from .store import NotFound, Store, committed, connect_db, db_file_lock
from .store.lineage_index import CHECKPOINT_EVERY, clip_key, index_edges, index_missing

__all__ = [
    "CHECKPOINT_EVERY",
    "clip_key",
    "ancestors",
    "chain_stats",
    "children",
    "depth",
    "descendants",
    "forest",
    "ingest",
    "lineage_status",
    "lineage_table",
    "material_descendants",
    "most_remixed",
    "root",
    "sync",
    "tree",
]

Source = Store | duckdb.DuckDBPyConnection | str | os.PathLike

# --------------------------------------------------------------------------- SQL

# The key is computed first (clip_key()) and is the only filter: DuckDB answers `clip_key = constant`
# from the index but scans the table for an expression of a parameter or a second conjunct; the
# clip id is compared afterwards (a 64-bit collision is possible in principle, so it is checked).
_LOOKUP_SQL = """
SELECT node, root_node, depth, path, parent_node, clip_id FROM lineage WHERE clip_key = $key
"""

# Ancestor nodes of a clip deeper than CHECKPOINT_EVERY: its stored path, then the paths of the
# checkpoints it ends on, hop by hop. The checkpoints come from the clip's own cascade.
_DEEP_ANCESTOR_NODES_SQL = """
WITH RECURSIVE
checkpoints AS MATERIALIZED (
    SELECT node, path FROM lineage
    WHERE root_node = $root AND depth > 0 AND depth % $every = 0 AND depth < $depth
),
chunks(k, path) AS (
    SELECT 0, $path::BIGINT[]
    UNION ALL
    SELECT c.k + 1, cp.path FROM chunks c JOIN checkpoints cp ON cp.node = c.path[-1]
)
SELECT flatten(list(path ORDER BY k)) FROM chunks
"""

# Node numbers -> clip ids: `= ANY(list)` is answered from the primary-key index (a join is not).
_CLIP_IDS_OF_NODES_SQL = "SELECT node, clip_id FROM lineage WHERE node = ANY($nodes::BIGINT[])"

_DESCENDANTS_OF_ROOT_SQL = """
SELECT clip_id FROM lineage WHERE root_node = $node AND depth > 0 ORDER BY depth, node
"""

_DESCENDANTS_SQL = """
WITH RECURSIVE
cascade AS MATERIALIZED (
    SELECT node, parent_node, clip_id FROM lineage WHERE root_node = $root AND depth > $depth
),
d(node, clip_id, gen) AS (
    SELECT node, clip_id, 1 FROM cascade WHERE parent_node = $node
    UNION ALL
    SELECT c.node, c.clip_id, d.gen + 1 FROM d JOIN cascade c ON c.parent_node = d.node
)
SELECT clip_id FROM d ORDER BY gen, node
"""

# Every descendant with whether it carries the clip's material (every edge from the clip down to it reuses
# material), generation by generation. Read from remix_edges, the source of truth, so the answer is right
# even for clips the lineage index has not caught up with.
_MATERIAL_DESCENDANTS_SQL = """
WITH RECURSIVE d(clip_id, gen, material) AS (
    SELECT child_id, 1, reuses_material FROM remix_edges WHERE parent_id = $clip
    UNION ALL
    SELECT e.child_id, d.gen + 1, d.material AND e.reuses_material
    FROM d JOIN remix_edges e ON e.parent_id = d.clip_id
)
SELECT d.clip_id, d.material FROM d LEFT JOIN clips c USING (clip_id) ORDER BY d.gen, c.created_at, d.clip_id
"""

_CHAIN_STATS_SQL = """
WITH per_root AS (
    SELECT root_node,
           count(*) AS size,
           max(depth) AS depth,
           count(DISTINCT parent_node) AS internal_nodes,
           min(created_at) FILTER (WHERE depth = 0) AS root_created_at,
           min(created_at) FILTER (WHERE depth > 0) AS first_remix_at,
           max(created_at) FILTER (WHERE depth > 0) AS last_remix_at
    FROM lineage GROUP BY root_node
),
levels AS (
    SELECT root_node, depth, count(*) AS width FROM lineage GROUP BY root_node, depth
),
breadth AS (SELECT root_node, max(width) AS breadth FROM levels GROUP BY root_node)
SELECT r.clip_id AS root_id,
       p.size,
       p.depth,
       b.breadth,
       CASE WHEN p.internal_nodes > 0 THEN (p.size - 1) / p.internal_nodes END AS branching_factor,
       epoch(p.first_remix_at - p.root_created_at) AS time_to_first_remix_s,
       (p.size - 1) / nullif(epoch(p.last_remix_at - p.root_created_at) / 86400.0, 0) AS remixes_per_day,
       p.root_created_at
FROM per_root p
JOIN lineage r ON r.node = p.root_node
JOIN breadth b ON b.root_node = p.root_node
WHERE p.size >= $min_size
ORDER BY p.size DESC, root_id
"""

# ------------------------------------------------------------------ connections


@contextlib.contextmanager
def _reading(source: Source) -> Iterator[duckdb.DuckDBPyConnection]:
    if isinstance(source, Store):
        with source.read() as con:
            yield con
    elif isinstance(source, duckdb.DuckDBPyConnection):
        yield source
    else:
        # A raw path takes the same OS lock as the Store, so it is safe beside live dashboards.
        path = _db_path(source)
        with db_file_lock(path, write=False), contextlib.closing(connect_db(path, read_only=True)) as con:
            yield con


@contextlib.contextmanager
def _writing(source: Source) -> Iterator[duckdb.DuckDBPyConnection]:
    """One transaction (joined if the Store already has one open on this thread)."""
    if isinstance(source, Store):
        with source.transaction() as con:
            yield con
    elif isinstance(source, duckdb.DuckDBPyConnection):
        yield source  # the caller owns the transaction
    else:
        path = _db_path(source)
        with db_file_lock(path, write=True), contextlib.closing(connect_db(path, read_only=False)) as con, committed(con):
            yield con


def _viewer(source: Source, viewer: str | None) -> dict | None:
    """The parameters of ``access.viewable_clip_sql`` for ``viewer`` (None: no filter)."""
    if viewer is None:
        return None
    if not isinstance(source, Store):
        raise ValueError("a viewer needs a Store source (its users and blocks decide what they see)")
    return viewer_params(source, viewer, role=True)


# Columns a viewer who may not see a clip does not get (the tree's shape stays).
_PRIVATE_COLUMNS = ("owner", "status", "prompt", "thumb_hash", "media_hash", "author", "operation", "edit")


def _visible_column(vp: dict | None) -> str:
    return f", coalesce({viewable_clip_sql('$viewer', 'c')}, false) AS visible" if vp else ", true AS visible"


def _blank_hidden(df: pd.DataFrame) -> pd.DataFrame:
    """None in the private columns of rows the viewer may not see (after original_removed was derived)."""
    if df.empty or "visible" not in df.columns:
        return df
    hidden = ~df["visible"].astype(bool)
    for col in _PRIVATE_COLUMNS:
        if col in df.columns:
            df[col] = df[col].astype(object).where(~hidden, None)
    return df


def _db_path(source: str | os.PathLike) -> Path:
    p = Path(source)
    return p / Store.DB_NAME if p.is_dir() else p


def _lookup(con: duckdb.DuckDBPyConnection, clip_id: str) -> dict[str, Any]:
    rows = [r for r in con.execute(_LOOKUP_SQL, {"key": clip_key(con, clip_id)}).fetchall() if r[5] == clip_id]
    row = rows[0][:5] if rows else None
    if row is None:
        raise NotFound(f"no clip {clip_id} in the lineage index")
    return dict(zip(("node", "root_node", "depth", "path", "parent_node"), row, strict=True))


def _with_sync(source: Source, clip_id: str, query):
    """Run ``query(con, node_row)``; on a Store, index pending clips first if ``clip_id`` is not indexed yet."""
    with _reading(source) as con:
        try:
            return query(con, _lookup(con, clip_id))
        except NotFound:
            if not isinstance(source, Store):
                raise
    sync(source)
    with _reading(source) as con:
        try:
            return query(con, _lookup(con, clip_id))
        except NotFound:
            raise NotFound(f"no clip {clip_id}") from None


# --------------------------------------------------------------------- indexing


def sync(source: Source, clip_ids: list[str] | None = None) -> int:
    """Index clips that are in ``clips`` but not yet in ``lineage``; returns how many were added.

    ``Store.save_clip`` indexes each clip as it saves it (``store.lineage_index``); this catches up a
    store written another way (a raw connection, an older version). With ``clip_ids`` only those are
    considered. Clips whose parent is itself missing are indexed together with it.
    """
    with _writing(source) as con:
        return index_missing(con, clip_ids)


def ingest(source: Source, edges: Any) -> int:
    """Bulk-index a whole forest: ``edges`` has columns clip_id, parent_id (None for an original),
    created_at and optionally reuses_material (a pandas DataFrame or an Arrow table).

    Writes the ``lineage`` index only; the caller writes ``clips``/``remix_edges`` rows if it wants
    them. Parents must be in ``edges`` or already indexed. Returns the number of clips indexed.
    On a raw connection the statements run in its transaction mode (autocommit: ~1.5x faster for a
    large load; see ``store.lineage_index.index_edges``).
    """
    with _writing(source) as con:
        return index_edges(con, edges)


# ---------------------------------------------------------------------- queries


def ancestors(source: Source, clip_id: str, *, viewer: str | None = None) -> list[str]:
    """The clips ``clip_id`` descends from: its parent first, the original (root) last.

    Args:
        source: a Store, an open connection or a .duckdb path.
        clip_id: the clip.
        viewer: with a Store, only the ancestors this person may see (``access.can_view``).
    """
    vp = _viewer(source, viewer)
    ups = _ancestors(source, clip_id)
    if vp is None or not ups:
        return ups
    with _reading(source) as con:
        ok = {r[0] for r in con.execute(
            f"SELECT c.clip_id FROM clips c WHERE c.clip_id = ANY($ids::VARCHAR[]) AND {viewable_clip_sql('$viewer', 'c')}",
            {**vp, "ids": ups}).fetchall()}
    return [u for u in ups if u in ok]


def _ancestors(source: Source, clip_id: str) -> list[str]:
    def q(con, row):
        if row["depth"] == 0:
            return []
        nodes = list(row["path"])
        if row["depth"] > CHECKPOINT_EVERY:
            params = {"path": nodes, "root": row["root_node"], "depth": row["depth"], "every": CHECKPOINT_EVERY}
            nodes = con.execute(_DEEP_ANCESTOR_NODES_SQL, params).fetchall()[0][0]
        names = dict(con.execute(_CLIP_IDS_OF_NODES_SQL, {"nodes": nodes}).fetchall())
        return [names[n] for n in nodes]

    return _with_sync(source, clip_id, q)


def descendants(source: Source, clip_id: str) -> list[str]:
    """Every remix of ``clip_id``, remixes of remixes included, generation by generation."""

    def q(con, row):
        if row["depth"] == 0:
            rel = con.sql(_DESCENDANTS_OF_ROOT_SQL, params={"node": row["node"]})
        else:
            rel = con.sql(_DESCENDANTS_SQL, params={"node": row["node"], "root": row["root_node"], "depth": row["depth"]})
        # Through Arrow: a million ids reach Python ~30% faster than through fetchall/numpy.
        return rel.to_arrow_table().column(0).to_pylist()

    return _with_sync(source, clip_id, q)


def depth(source: Source, clip_id: str) -> int:
    """How many remix steps separate ``clip_id`` from its original (0 for an original)."""
    return int(_with_sync(source, clip_id, lambda con, row: row["depth"]))


def root(source: Source, clip_id: str) -> str:
    """The original at the top of ``clip_id``'s chain (itself for an original)."""
    return _with_sync(
        source, clip_id,
        lambda con, row: con.execute("SELECT clip_id FROM lineage WHERE node = ?", [row["root_node"]]).fetchall()[0][0],
    )


def children(source: Source, clip_id: str) -> list[str]:
    """Direct remixes of ``clip_id``, oldest first."""
    return _with_sync(
        source, clip_id,
        lambda con, row: [r[0] for r in con.execute(
            "SELECT clip_id FROM lineage WHERE parent_node = ? ORDER BY created_at, node", [row["node"]]
        ).fetchall()],
    )


def lineage_table(source: Source) -> pd.DataFrame:
    """Every indexed clip with parent, root and depth (clip ids, not node numbers): for analysts and tests."""
    with _reading(source) as con:
        return con.execute(
            """SELECT l.clip_id, p.clip_id AS parent_id, r.clip_id AS root_id, l.depth, l.created_at,
                      l.reuses_material, l.original_removed
               FROM lineage l
               LEFT JOIN lineage p ON p.node = l.parent_node
               JOIN lineage r ON r.node = l.root_node
               ORDER BY l.node"""
        ).df()


def chain_stats(source: Source, *, min_size: int = 1) -> pd.DataFrame:
    """One row per original (root) with its cascade's shape and pace.

    Columns: root_id; size (clips in the cascade, root included); depth (longest
    chain, in remix steps); breadth (clips in the widest generation);
    branching_factor (mean remixes per clip that was remixed; NaN without
    remixes); time_to_first_remix_s (seconds from the original to its first
    remix); remixes_per_day (remixes per day between the original and its
    latest remix); root_created_at. Largest cascades first.
    """
    with _reading(source) as con:
        return con.execute(_CHAIN_STATS_SQL, {"min_size": int(min_size)}).df()


def most_remixed(source: Source, n: int = 10, *, by: str = "remixes", visible_only: bool = False,
                 viewer: str | None = None) -> pd.DataFrame:
    """The ``n`` clips with the most direct remixes (``by="remixes"``) or the ``n`` originals with
    the largest cascades (``by="cascade"``), with owner, prompt and status where the clip row exists.

    Args:
        source: a Store, an open connection or a .duckdb path.
        n: how many rows.
        by: "remixes" or "cascade".
        visible_only: keep published clips only (without ``viewer``).
        viewer: with a Store, only clips this person may see (``access.can_view``; staff see more).
    """
    if by not in ("remixes", "cascade"):
        raise ValueError(f"by must be 'remixes' or 'cascade'; got {by!r}")
    vp = _viewer(source, viewer)
    status_filter = "WHERE c.status = 'published'" if visible_only else ""
    if vp is not None:
        status_filter = f"WHERE {viewable_clip_sql('$viewer', 'c')}" + (" AND c.status = 'published'"
                                                                       if visible_only else "")
    if by == "remixes":
        counted = "SELECT parent_node AS node, count(*) AS remixes FROM lineage WHERE parent_node IS NOT NULL GROUP BY 1"
        order = "remixes"
    else:
        counted = "SELECT root_node AS node, count(*) - 1 AS remixes FROM lineage GROUP BY 1"
        order = "remixes"
    sql = f"""
        WITH counted AS ({counted})
        SELECT l.clip_id, k.remixes AS {'remixes' if by == 'remixes' else 'cascade_remixes'},
               l.depth, c.owner, c.status, c.prompt, c.thumb_hash
        FROM counted k JOIN lineage l ON l.node = k.node
        LEFT JOIN clips c ON c.clip_id = l.clip_id
        {status_filter}
        ORDER BY k.{order} DESC, l.clip_id
        LIMIT {int(n)}
    """
    with _reading(source) as con:
        return con.execute(sql, vp or {}).df()


_TREE_COLUMNS = """
    l.clip_id, p.clip_id AS parent_id, l.depth, l.created_at, l.reuses_material, l.original_removed,
    c.owner, c.status, c.prompt, c.thumb_hash, c.media_hash,
    e.author, e.operation, e.edit
"""


def tree(store: Source, clip_id: str, *, max_nodes: int = 500, viewer: str | None = None) -> pd.DataFrame:
    """The whole remix tree ``clip_id`` belongs to (from its original), for the RemixExplorer.

    One row per clip, shallowest first: clip_id, parent_id, depth, created_at,
    reuses_material, original_removed (an ancestor was removed, or the stored
    mark), owner, status, prompt, thumb_hash, media_hash, the edge's author,
    operation and edit (JSON text), and visible. At most ``max_nodes`` rows (oldest kept).

    With ``viewer`` (a Store source), the rows of clips that person may not see keep only their
    shape: owner, status, prompt, thumbnail, media, author, operation and edit are None and
    ``visible`` is False.
    """
    vp = _viewer(store, viewer)

    def q(con, row):
        df = con.execute(
            f"""SELECT {_TREE_COLUMNS}{_visible_column(vp)}
                FROM lineage l
                LEFT JOIN lineage p ON p.node = l.parent_node
                LEFT JOIN clips c ON c.clip_id = l.clip_id
                LEFT JOIN remix_edges e ON e.child_id = l.clip_id
                WHERE l.root_node = $root
                ORDER BY l.depth, l.created_at, l.node
                LIMIT $limit""",
            {"root": row["root_node"], "limit": int(max_nodes), **(vp or {})},
        ).df()
        return _blank_hidden(_mark_removed_origins(df))

    return _with_sync(store, clip_id, q)


def forest(store: Source, *, max_nodes: int = 5000, viewer: str | None = None) -> pd.DataFrame:
    """Every clip of the forest (largest cascades first, up to ``max_nodes``) with the fields ``tree`` gives,
    plus root_id: what the 3D view draws. ``viewer``: as for :func:`tree` (hidden clips keep only their shape)."""
    vp = _viewer(store, viewer)
    with _reading(store) as con:
        df = con.execute(
            f"""WITH sizes AS (SELECT root_node, count(*) AS size FROM lineage GROUP BY 1),
                     ranked AS (SELECT root_node, size, row_number() OVER (ORDER BY size DESC, root_node) AS rank
                                FROM sizes)
                SELECT {_TREE_COLUMNS}, r.clip_id AS root_id, s.rank AS root_rank, s.size AS cascade_size
                       {_visible_column(vp)}
                FROM lineage l
                JOIN ranked s ON s.root_node = l.root_node
                JOIN lineage r ON r.node = l.root_node
                LEFT JOIN lineage p ON p.node = l.parent_node
                LEFT JOIN clips c ON c.clip_id = l.clip_id
                LEFT JOIN remix_edges e ON e.child_id = l.clip_id
                ORDER BY s.rank, l.depth, l.created_at, l.node
                LIMIT {int(max_nodes)}""", vp or {}
        ).df()
    return _blank_hidden(_mark_removed_origins(df))


def _mark_removed_origins(df: pd.DataFrame) -> pd.DataFrame:
    """original_removed also when an ancestor in ``df`` is removed/hidden (rows are shallowest first).

    Missing text values come back as None (not NaN), so callers can test ``is None``.
    """
    for col in ("parent_id", "owner", "status", "prompt", "thumb_hash", "media_hash", "author", "operation", "edit"):
        if col in df.columns:
            df[col] = df[col].astype(object).where(df[col].notna(), None)
    if df.empty:
        return df
    status = dict(zip(df["clip_id"], df["status"], strict=True))
    flagged: dict[str, bool] = {}
    out = []
    for cid, pid, mark in zip(df["clip_id"], df["parent_id"], df["original_removed"], strict=True):
        inherited = pid is not None and pid in flagged and (
            flagged[pid] or status.get(pid) in ("removed", "hidden")
        )
        flagged[cid] = bool(mark) or bool(inherited)
        out.append(flagged[cid])
    df = df.copy()
    df["original_removed"] = out
    return df


def lineage_status(source: Source, clip_id: str) -> str:
    """What a viewer should be told about ``clip_id``'s lineage.

    "removed" (the clip itself was removed), "hidden" (it reuses material of a
    removed clip), "original removed" (an ancestor was removed but this clip
    does not carry its material) or "ok".
    """
    with _reading(source) as con:
        rows = con.execute("SELECT status FROM clips WHERE clip_id = ?", [clip_id]).fetchall()
    row = rows[0] if rows else None
    if row is None:
        raise NotFound(f"no clip {clip_id}")
    if row[0] in ("removed", "hidden"):
        return row[0]
    ups = _ancestors(source, clip_id)
    with _reading(source) as con:
        marked = con.execute(
            "SELECT original_removed, clip_id FROM lineage WHERE clip_key = $key", {"key": clip_key(con, clip_id)},
        ).fetchall()
        marked = next((m for m in marked if m[1] == clip_id), None)
        removed_up = False
        if ups:
            con.register("_ups", pd.DataFrame({"clip_id": ups}))
            try:
                removed_up = bool(con.execute(
                    "SELECT count(*) FROM clips WHERE clip_id IN (SELECT clip_id FROM _ups) "
                    "AND status IN ('removed', 'hidden')"
                ).fetchall()[0][0])
            finally:
                con.unregister("_ups")
    return "original removed" if removed_up or (marked and marked[0]) else "ok"


# ---------------------------------------------------------------------- removal


def material_descendants(source: Source, clip_id: str) -> tuple[list[str], list[str]]:
    """``clip_id``'s descendants split in two: (those that reuse its material, the others).

    A descendant reuses the clip's material when every remix edge from the clip
    down to it has ``reuses_material`` (it carries the clip's pixels or sound); the
    others took only the idea somewhere on the way. Both lists are generation by
    generation, oldest first. Used by ``moderation.takedown.take_down``.

    Args:
        source: a Store, an open connection (e.g. the take-down's transaction) or a .duckdb path.
        clip_id: the clip whose descendants are asked for.
    """
    with _reading(source) as con:
        rows = con.execute(_MATERIAL_DESCENDANTS_SQL, {"clip": clip_id}).fetchall()
    return [c for c, m in rows if m], [c for c, m in rows if not m]
