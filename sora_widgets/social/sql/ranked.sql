-- The ranked feeds, personalised ($personal = true) and popular ($personal = false):
-- candidates, scores, explanations. social.feed fills {visible} with
-- access.visible_clip_sql('$viewer', 'c') and interleaves authors in the order given.
--
-- social.feed runs this file on the store, and on its warm in-memory copy of the same tables
-- (social.feed_snapshot: {visible} is 'true' there and the rows are checked on the store after).
-- Candidates carry the columns scoring and {visible} read (clip_id, owner, prompt, parent_id,
-- media_hash, thumb_hash, created_at, status, hot), so scoring joins nothing big: {clip_rows} is
-- where those rows come from (on the store, clips LEFT JOIN clip_stats: feed.STORE_SOURCES; on the
-- copy, its clip_rows table, the same join made once per copy). {hot_rows} and {new_rows} are where
-- the "hottest" and "newest" sources pick their ids: clip_stats and clips on the store; on the copy,
-- its short head lists of clip_rows in the same order (hot_top, and new_top with the clips created
-- since the copy) whenever they hold enough rows for the session to give the same candidates
-- (feed_snapshot.Snapshot.top_lists_suffice), else in_window. {cand_rows} is where those ids' rows
-- are read: in_window, or on the copy with the head lists, those lists themselves (no scan of the window).
--
-- Parameters: $viewer, $viewer_teen (access.viewer_params), $now (the session's as_of:
-- nothing newer is ranked), $since (only clips created after it: social.feed.CANDIDATE_DAYS
-- before $now, or the epoch once those are used up), $since_new (the same for the "newest" source:
-- one day first; never before $since), $served (the clip ids the session served: left out),
-- $personal, $locale ('' for every locale), $pool (how many candidates each source gives),
-- $tau_s (social.feed.FRESHNESS_TAU_S), $limit (rows returned).
--
-- Candidates (a few hundred, whatever the store's size): the $pool hottest clips
-- (clip_stats.hot orders by engagement x freshness at every moment), the $pool newest and,
-- personalised, the clips of the people you follow and the remixes of clips you liked.
-- Clips are stored in creation order, so the $since/$now window lets DuckDB skip whole
-- row groups by their min/max; the viewer's own events come from their one row of
-- feed_viewer_events (kept in step with feed_events on write), not from a scan of every event.
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
in_window AS (   -- the window's clips with their hot score (NULL: no clip_stats row yet)
    SELECT clip_id, owner, prompt, parent_id, media_hash, thumb_hash, created_at, status, hot FROM {clip_rows}
    WHERE created_at > $since AND created_at <= $now
),
pool AS (
    SELECT * FROM {cand_rows}
    WHERE clip_id IN (
        (SELECT clip_id FROM {hot_rows}
         WHERE hot IS NOT NULL AND created_at > $since AND created_at <= $now
           AND clip_id NOT IN (SELECT clip_id FROM excluded)
         ORDER BY hot DESC LIMIT $pool)
        UNION ALL
        (SELECT clip_id FROM {new_rows}   -- the newest: clips nobody engaged with yet have no hot score
         WHERE created_at > $since_new AND created_at <= $now    -- (any status: {visible} decides, live)
           AND clip_id NOT IN (SELECT clip_id FROM excluded)
         ORDER BY created_at DESC LIMIT $pool))
    UNION
    (SELECT * FROM in_window WHERE $personal AND owner IN (SELECT owner FROM followed))
    UNION
    (SELECT * FROM in_window
     WHERE $personal AND clip_id IN (SELECT child_id FROM remix_edges
                                     WHERE created_at > $since AND created_at <= $now
                                       AND parent_id IN (SELECT clip_id FROM liked)))
),
velocity AS (
    SELECT parent_id AS clip_id, count(*) AS n FROM remix_edges
    WHERE created_at > $now - INTERVAL 1 DAY AND created_at <= $now GROUP BY 1
),
scored AS (
    SELECT c.clip_id, c.owner, c.prompt, c.parent_id, c.media_hash, c.thumb_hash, c.created_at,
           -- base x exp(-age / tau); a clip nobody engaged with yet has the prior base 0.05
           exp(coalesce(c.hot, ln(0.05) + epoch(c.created_at) / $tau_s) - epoch($now) / $tau_s) AS fresh,
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
),
weighted AS (
    SELECT *,
           fresh
           * (1.0 + 0.5 * ln(1.0 + remixes_today))             -- remix velocity
           * CASE WHEN followed THEN 2.0 ELSE 1.0 END           -- people you follow
           * CASE WHEN remix_of_liked THEN 1.8 ELSE 1.0 END     -- remixes of what you liked
           * (1.0 + 0.3 * least(liked_author_n, 3))             -- authors you liked before
           * pow(0.3, least(less_n, 3))                         -- "see less" of this author
           AS score
    FROM scored
),
diversified AS (
    -- Author diversity: each further clip of the same author weighs half the one before.
    SELECT *, score * pow(0.5, row_number() OVER (PARTITION BY owner ORDER BY score DESC, clip_id) - 1) AS rank_score
    FROM weighted
)
SELECT clip_id, owner, prompt, parent_id, media_hash, thumb_hash, created_at, rank_score AS score,
       CASE
           WHEN followed THEN 'because you follow @' || owner
           WHEN remix_of_liked THEN 'remix of a clip you liked'
           WHEN liked_author_n > 0 THEN 'you liked @' || owner || '''s clips'
           WHEN remixes_today > 0 THEN 'remixed ' || remixes_today || (CASE WHEN remixes_today = 1 THEN ' time' ELSE ' times' END) || ' today'
           WHEN $locale <> '' THEN 'popular in ' || $locale
           WHEN created_at > $now - INTERVAL 1 DAY THEN 'popular today'
           ELSE 'popular'
       END AS reason
FROM diversified
ORDER BY rank_score DESC, clip_id
LIMIT $limit
