-- 002: a materialised lineage index, so remix-chain queries stay fast at millions of clips.
--
-- remix_edges (001) stays the record of who remixed what and how; this table is
-- derived from clips + remix_edges (sora_widgets.lineage.sync rebuilds what is
-- missing) and holds, per clip, what the queries need without walking the
-- whole forest: its root, its depth, and its ancestors up to the nearest
-- checkpoint.
--
-- Why a path list: DuckDB answers a recursive CTE with a hash join whose build
-- side is the whole edge table, so walking up from one clip costs O(forest)
-- (~300 ms at 10M clips). A path list makes ancestors one primary-key lookup.
-- Lists stop at checkpoints (ancestors whose depth is a multiple of 64), so a
-- 50,000-deep chain stores 64 ids per clip, not 25,000 on average; deeper walks
-- hop from checkpoint to checkpoint (see lineage.ancestors).

CREATE TABLE lineage (
    clip_id     TEXT PRIMARY KEY,
    parent_id   TEXT,                           -- NULL for an original
    root_id     TEXT NOT NULL,                  -- the original at the top of the chain
    depth       INTEGER NOT NULL,               -- 0 for an original, parent's + 1 for a remix
    path        TEXT[] NOT NULL,                -- ancestors, parent first, up to the nearest checkpoint or root
    created_at  TIMESTAMP NOT NULL,
    reuses_material BOOLEAN NOT NULL DEFAULT true,   -- the edge from its parent carries the parent's material
    original_removed BOOLEAN NOT NULL DEFAULT false  -- an ancestor was removed; this clip stays (no shared material)
);
CREATE INDEX lineage_parent ON lineage(parent_id);
