-- Rebuild every viewer's row of feed_viewer_events from feed_events (after a bulk load of
-- events, or to repair drift); social.graph keeps it in step with each event otherwise.
DELETE FROM feed_viewer_events;
INSERT INTO feed_viewer_events (handle, events)
SELECT handle, list({'clip_id': clip_id, 'kind': kind, 'owner': owner})
FROM feed_events GROUP BY handle;
