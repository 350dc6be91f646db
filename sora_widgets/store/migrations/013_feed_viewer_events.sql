-- 013: each viewer's own feed events in one row (issue 15, the feed's 50 ms).
--
-- Why: the personalised feed needs what the viewer already saw, liked and asked to see less of.
-- Read from feed_events that is a scan of every event (10 M at the benchmark's size): DuckDB
-- does not use the feed_events(handle) ART index for it, and the events are stored in the order
-- they happened, so zone maps cannot skip anything either. One row per viewer makes it a scan
-- of one short column of 100 k handles and the list of the matching row.
--
-- Derived, never the source of truth: `events` is exactly the viewer's feed_events rows
-- (clip_id, kind, owner), one list element per event, in no particular order. social.graph
-- appends to it in the same transaction as each feed_events insert (social/sql/event_add.sql);
-- social.feed.refresh_stats rebuilds it (social/sql/refresh_viewer_events.sql), and this migration
-- fills it from the events already there.
CREATE TABLE feed_viewer_events (
    handle  TEXT PRIMARY KEY,
    events  STRUCT(clip_id VARCHAR, kind VARCHAR, owner VARCHAR)[] NOT NULL
);
INSERT INTO feed_viewer_events (handle, events)
SELECT handle, list({'clip_id': clip_id, 'kind': kind, 'owner': owner})
FROM feed_events GROUP BY handle;
