"""The lineage index (table ``lineage`` of migration 002): maintained by the Store, read by ``sora_widgets.lineage``.

Each clip gets a node number, its root, its depth and its ancestor path up to the nearest checkpoint (every
:data:`CHECKPOINT_EVERY` levels), derived from ``clips`` + ``remix_edges``. ``Store.save_clip`` indexes each
new clip inside its own transaction (:func:`index_missing`); ``lineage.sync``/``lineage.ingest`` are the
public entry points for catching up and bulk loads. Every function works on an open connection in the
caller's transaction: this module knows SQL, not the Store (so the Store can use it without an import cycle).
"""

from __future__ import annotations

from typing import Any

import duckdb
import pandas as pd

__all__ = ["BULK_REBUILD_MIN_ROWS", "CHECKPOINT_EVERY", "clip_key", "index_edges", "index_missing", "repair"]

#: A clip's stored ancestor path stops at the nearest ancestor whose depth is a multiple of this.
CHECKPOINT_EVERY = 64

# Indexing the clips of relation `_lineage_new(clip_id, parent_id, created_at, reuses_material)`, in three
# statements. 1: number them (creation order) and find parents inside the batch.
_BATCH_SQL = """
CREATE OR REPLACE TEMP TABLE _lineage_batch AS
WITH numbered AS (
    SELECT clip_id, parent_id, created_at, coalesce(reuses_material, true) AS reuses_material,
           ($base + row_number() OVER ())::BIGINT AS node  -- input order: no sort of the batch
    FROM _lineage_new
)
SELECT n.*, np.node AS batch_parent FROM numbered n LEFT JOIN numbered np ON np.clip_id = n.parent_id
"""

# 2: clips whose parent was indexed before: where they hang (skipped when the index is empty).
_ANCHOR_SQL = """
CREATE OR REPLACE TEMP TABLE _lineage_anchor AS
SELECT b.node, old.node AS old_parent, old.root_node AS old_root, old.depth AS old_depth, old.path AS old_path
FROM _lineage_batch b JOIN lineage old ON old.clip_key = hash(b.parent_id)
WHERE b.batch_parent IS NULL AND b.parent_id IS NOT NULL AND old.clip_id = b.parent_id
"""
_EMPTY_ANCHOR_SQL = """
CREATE OR REPLACE TEMP TABLE _lineage_anchor
    (node BIGINT, old_parent BIGINT, old_root BIGINT, old_depth INTEGER, old_path BIGINT[])
"""

# 3: walk down from originals and anchored clips, carrying root, depth and the path to the checkpoint.
_WALK_SQL = """
INSERT INTO lineage (node, clip_key, clip_id, parent_node, root_node, depth, path, created_at, reuses_material)
WITH RECURSIVE walk(node, clip_id, parent_node, root_node, depth, path, created_at, reuses_material) AS (
    SELECT * FROM (
        SELECT node, clip_id, NULL::BIGINT, node, 0, []::BIGINT[], created_at, reuses_material
        FROM _lineage_batch WHERE parent_id IS NULL
        UNION ALL
        SELECT b.node, b.clip_id, a.old_parent, a.old_root, a.old_depth + 1,
               CASE WHEN a.old_depth % $every = 0 THEN [a.old_parent] ELSE list_prepend(a.old_parent, a.old_path) END,
               b.created_at, b.reuses_material
        FROM _lineage_batch b JOIN _lineage_anchor a ON a.node = b.node
    )
    UNION ALL
    SELECT b.node, b.clip_id, w.node, w.root_node, w.depth + 1,
           CASE WHEN w.depth % $every = 0 THEN [w.node] ELSE list_prepend(w.node, w.path) END,
           b.created_at, b.reuses_material
    FROM walk w JOIN _lineage_batch b ON b.batch_parent = w.node
)
SELECT node, hash(clip_id), clip_id, parent_node, root_node, depth, path, created_at, reuses_material
FROM walk
"""

#: Secondary indexes of the lineage table (migration 002), rebuilt in one go after a large batch.
_SECONDARY_INDEXES = {
    "lineage_clip_key": "CREATE INDEX lineage_clip_key ON lineage(clip_key)",
    "lineage_parent": "CREATE INDEX lineage_parent ON lineage(parent_node)",
}
#: A batch at least this large (and at least as large as the index) is loaded with the secondary indexes
#: dropped and rebuilt: building an ART index in bulk is ~3x faster than inserting into it row by row.
BULK_REBUILD_MIN_ROWS = 100_000

# Clips (with their remix edge) that the lineage index does not have yet.
_MISSING_SQL = """
SELECT c.clip_id, c.parent_id, c.created_at, e.reuses_material
FROM clips c LEFT JOIN remix_edges e ON e.child_id = c.clip_id
WHERE NOT EXISTS (SELECT 1 FROM lineage l WHERE l.clip_key = hash(c.clip_id) AND l.clip_id = c.clip_id)
"""


def clip_key(con: duckdb.DuckDBPyConnection, clip_id: str) -> int:
    """The ``lineage.clip_key`` of ``clip_id``: DuckDB's ``hash(clip_id)``.

    ``hash`` is ~5x faster than md5 (it decides bulk-ingest speed) but may change
    between DuckDB versions; :func:`repair` re-keys the index when it finds stale keys.
    """
    return int(con.execute("SELECT hash($id::VARCHAR)", {"id": str(clip_id)}).fetchall()[0][0])


def repair(con: duckdb.DuckDBPyConnection) -> None:
    """Recreate secondary indexes a crashed bulk load left dropped, and re-key the index if ``hash`` changed
    (a DuckDB upgrade): both would otherwise make lookups miss clips that are there."""
    have = {r[0] for r in con.execute(
        "SELECT index_name FROM duckdb_indexes() WHERE table_name = 'lineage'").fetchall()}
    stale = con.execute(
        "SELECT count(*) FROM (SELECT clip_key, clip_id FROM lineage LIMIT 64) WHERE clip_key != hash(clip_id)"
    ).fetchall()[0][0]
    if stale:
        con.execute("DROP INDEX IF EXISTS lineage_clip_key")
        con.execute("UPDATE lineage SET clip_key = hash(clip_id)")
        have.discard("lineage_clip_key")
    for name, sql in _SECONDARY_INDEXES.items():
        if name not in have:
            con.execute(sql)


def _index_relation(con: duckdb.DuckDBPyConnection) -> int:
    """Index the rows of the temporary relation ``_lineage_new``; returns how many were indexed."""
    repair(con)
    existing = int(con.execute("SELECT count(*) FROM lineage").fetchall()[0][0])
    base = int(con.execute("SELECT coalesce(max(node), 0) FROM lineage").fetchall()[0][0])
    try:
        con.execute(_BATCH_SQL, {"base": base})
        incoming = int(con.execute("SELECT count(*) FROM _lineage_batch").fetchall()[0][0])
        if incoming == 0:
            return 0
        con.execute(_ANCHOR_SQL if existing else _EMPTY_ANCHOR_SQL)
        rebuild = incoming >= BULK_REBUILD_MIN_ROWS and incoming >= existing
        if rebuild:
            for name in _SECONDARY_INDEXES:
                con.execute(f"DROP INDEX IF EXISTS {name}")
        con.execute(_WALK_SQL, {"every": CHECKPOINT_EVERY})
        if rebuild:
            for sql in _SECONDARY_INDEXES.values():
                con.execute(sql)
    finally:
        con.execute("DROP TABLE IF EXISTS _lineage_batch")
        con.execute("DROP TABLE IF EXISTS _lineage_anchor")
    return int(con.execute("SELECT count(*) FROM lineage").fetchall()[0][0]) - existing


def index_missing(con: duckdb.DuckDBPyConnection, clip_ids: list[str] | None = None) -> int:
    """Index clips that are in ``clips`` but not yet in ``lineage``; returns how many were added.

    With ``clip_ids`` only those are considered (the cheap path after saving one
    remix). Clips whose parent is itself missing are indexed together with it. Runs in the caller's
    transaction on ``con`` (``Store.save_clip`` calls it inside its own).
    """
    if clip_ids is not None:
        ids = pd.DataFrame({"clip_id": list(clip_ids)})
        con.register("_lineage_ids", ids)
        try:
            con.execute(
                f"CREATE OR REPLACE TEMP TABLE _lineage_new AS SELECT * FROM ({_MISSING_SQL}) m "
                "WHERE m.clip_id IN (SELECT clip_id FROM _lineage_ids)"
            )
        finally:
            con.unregister("_lineage_ids")
        # A parent that is not indexed either: fall back to indexing everything missing.
        orphans = con.execute(
            "SELECT count(*) FROM _lineage_new n WHERE n.parent_id IS NOT NULL "
            "AND n.parent_id NOT IN (SELECT clip_id FROM _lineage_new) "
            "AND NOT EXISTS (SELECT 1 FROM lineage l WHERE l.clip_key = hash(n.parent_id) "
            "AND l.clip_id = n.parent_id)"
        ).fetchall()[0][0]
        if orphans:
            con.execute(f"CREATE OR REPLACE TEMP TABLE _lineage_new AS {_MISSING_SQL}")
    else:
        con.execute(f"CREATE OR REPLACE TEMP TABLE _lineage_new AS {_MISSING_SQL}")
    try:
        return _index_relation(con)
    finally:
        con.execute("DROP TABLE IF EXISTS _lineage_new")


def index_edges(con: duckdb.DuckDBPyConnection, edges: Any) -> int:
    """Bulk-index a whole forest: ``edges`` has columns clip_id, parent_id (None for an original),
    created_at and optionally reuses_material (a pandas DataFrame or an Arrow table).

    Writes the ``lineage`` index only (one INSERT ... SELECT); the caller writes
    ``clips``/``remix_edges`` rows if it wants them. Parents must be in ``edges``
    or already indexed. Returns the number of clips indexed.

    The statements run in the caller's transaction mode on ``con``: in autocommit (the
    default of a raw connection) a large load is ~1.5x faster than inside one big
    transaction; if it is interrupted, the next ``index_missing``/``index_edges``
    recreates any secondary index it had dropped.
    """
    cols = list(edges.columns) if isinstance(edges, pd.DataFrame) else list(getattr(edges, "column_names", []))
    missing = {"clip_id", "parent_id", "created_at"} - set(cols)
    if missing:
        raise ValueError(f"edges needs the columns clip_id, parent_id, created_at; missing {', '.join(sorted(missing))}")
    reuse = "reuses_material::BOOLEAN" if "reuses_material" in cols else "NULL::BOOLEAN"
    if len(edges) == 0:
        return 0
    con.register("_lineage_edges", edges)
    try:
        con.execute(
            "CREATE OR REPLACE TEMP VIEW _lineage_new AS SELECT clip_id::TEXT AS clip_id, "
            f"parent_id::TEXT AS parent_id, created_at::TIMESTAMP AS created_at, {reuse} AS reuses_material "
            "FROM _lineage_edges"
        )
        return _index_relation(con)
    finally:
        con.execute("DROP VIEW IF EXISTS _lineage_new")
        con.unregister("_lineage_edges")
