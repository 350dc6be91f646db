-- 002: a materialised lineage index, so remix-chain queries stay fast at millions of clips.
--
-- remix_edges (001) stays the record of who remixed what and how; this table is
-- derived from clips + remix_edges (sora_widgets.lineage.sync indexes whatever
-- is missing) and holds, per clip, what the queries need without walking the
-- whole forest: its root, its depth, and its ancestors up to the nearest
-- checkpoint.
--
-- Why a path list: DuckDB answers a recursive CTE with a hash join whose build
-- side is the whole edge table, so walking up from one clip costs O(forest)
-- (~300 ms at 10M clips). A path list makes ancestors one index lookup. Lists
-- stop at checkpoints (ancestors whose depth is a multiple of 64), so a
-- 50,000-deep chain stores at most 64 ids per clip; deeper walks hop from
-- checkpoint to checkpoint (see lineage.ancestors).
--
-- Why integer keys: maintaining an ART index over random text ids costs ~5 us
-- per row (10M clips: ~50 s); over integers ~0.4 us. `node` numbers clips in
-- the order they were indexed; `clip_key` is DuckDB's hash(clip_id), for lookups by
-- id (lineage.sync re-keys the table if a DuckDB upgrade changes hash()).

CREATE TABLE lineage (
    node        BIGINT PRIMARY KEY,
    clip_key    UBIGINT NOT NULL,               -- hash(clip_id)
    clip_id     TEXT NOT NULL,
    parent_node BIGINT,                         -- NULL for an original
    root_node   BIGINT NOT NULL,                -- the original at the top of the chain
    depth       INTEGER NOT NULL,               -- 0 for an original, parent's + 1 for a remix
    path        BIGINT[] NOT NULL,              -- ancestor nodes, parent first, up to the nearest checkpoint or root
    created_at  TIMESTAMP NOT NULL,
    reuses_material BOOLEAN NOT NULL DEFAULT true,   -- the edge from its parent carries the parent's material
    original_removed BOOLEAN NOT NULL DEFAULT false  -- an ancestor was removed; this clip stays (no shared material)
);
CREATE INDEX lineage_clip_key ON lineage(clip_key);
CREATE INDEX lineage_parent ON lineage(parent_node);
