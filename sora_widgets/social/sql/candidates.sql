-- The ranked feeds' candidates, personalised ($personal = true) and popular ($personal = false):
-- each candidate the viewer may see, once, with the facts ranking reads (followed, remix_of_liked,
-- liked_author_n, less_n, remixes_today). social.ranking.rank scores, diversifies and explains them;
-- social.feed fills <visible> with access.visible_clip_sql('$viewer', 'c') on the store.
--
-- social.feed runs this file on the store, and on its warm in-memory copy of the same tables when
-- the copy's key lookups cannot stand in (social.feed_snapshot: <visible> is 'true' there and the
-- rows are checked on the store after). <pool> is candidate_pool.sql with its sources filled in: the
-- hottest, the newest, the clips of the people you follow, remixes of clips you liked. On the copy
-- otherwise social.feed._warm_pool finds the same rows by key and social.feed._warm_candidates the
-- same facts: the property test tests/test_feed_heads.py holds the two paths to the same page.
--
-- Parameters: $viewer, $viewer_teen (access.viewer_params), $now (the session's as_of:
-- nothing newer is ranked), $since (only clips created after it: social.feed.CANDIDATE_DAYS
-- before $now, or the epoch once those are used up), $since_new (the same for the "newest" source:
-- one day first; never before $since), $served (the clip ids the session served: left out),
-- $personal, $locale ('' for every locale), $pool (how many candidates each source gives).
--
-- The viewer's own events come from their one row of feed_viewer_events (kept in step with
-- feed_events on write), not from a scan of every event.
WITH
viewer_events AS MATERIALIZED (   -- the viewer's events, from their one row (migration 013)
    SELECT e.clip_id, e.kind, e.owner FROM (SELECT unnest(events) AS e FROM feed_viewer_events WHERE handle = $viewer)
),
followed AS MATERIALIZED (SELECT followee AS owner FROM follows WHERE follower = $viewer),
excluded AS MATERIALIZED (
    SELECT unnest($served::VARCHAR[]) AS clip_id
    UNION
    SELECT clip_id FROM viewer_events WHERE $personal       -- clips you already saw (any event)
),
affinity AS (
    SELECT owner, count(*) FILTER (WHERE kind = 'like') AS liked_n, count(*) FILTER (WHERE kind = 'see_less') AS less_n
    FROM viewer_events WHERE $personal AND kind IN ('like', 'see_less') GROUP BY owner
),
liked AS (SELECT clip_id FROM viewer_events WHERE $personal AND kind = 'like'),
pool AS ({pool}),   -- the candidates (candidate_pool.sql)
velocity AS (   -- remixes in the last day, of the candidates only
    SELECT parent_id AS clip_id, count(*) AS n FROM remix_edges
    WHERE created_at > $now - INTERVAL 1 DAY AND created_at <= $now
      AND parent_id IN (SELECT clip_id FROM pool) GROUP BY 1
),
scored AS (
    SELECT c.clip_id, c.owner, c.prompt, c.parent_id, c.media_hash, c.thumb_hash, c.created_at, c.hot,
           f.owner IS NOT NULL AS followed,
           c.parent_id IN (SELECT clip_id FROM liked) AS remix_of_liked,
           coalesce(a.liked_n, 0) AS liked_author_n,
           coalesce(a.less_n, 0) AS less_n,
           coalesce(v.n, 0) AS remixes_today
    FROM pool c
    LEFT JOIN followed f ON $personal AND f.owner = c.owner
    LEFT JOIN affinity a ON a.owner = c.owner
    LEFT JOIN velocity v ON v.clip_id = c.clip_id
    WHERE c.clip_id NOT IN (SELECT clip_id FROM excluded)
      AND c.owner <> $viewer
      AND ($locale = '' OR c.owner IN (SELECT handle FROM users WHERE locale = $locale))
      AND {visible}
)
SELECT * FROM scored
