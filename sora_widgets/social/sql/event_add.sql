-- One feed event: $event (its id) of $handle on $clip, $kind (view | like | share | skip | see_less |
-- report | comment), $fraction (how much of a view was watched, else NULL). The clip's author is
-- recorded with it (feed_events.owner). The viewer's row of feed_viewer_events (migration 013) gets
-- the same event in the same transaction, so it stays exactly the viewer's events.
INSERT INTO feed_events (event_id, handle, clip_id, kind, watched_fraction, owner)
SELECT $event, $handle, $clip, $kind, $fraction, (SELECT owner FROM clips WHERE clip_id = $clip);
INSERT INTO feed_viewer_events (handle, events)
SELECT $handle, [{'clip_id': $clip, 'kind': $kind, 'owner': (SELECT owner FROM clips WHERE clip_id = $clip)}]
ON CONFLICT (handle) DO UPDATE SET events = list_concat(feed_viewer_events.events, excluded.events);
