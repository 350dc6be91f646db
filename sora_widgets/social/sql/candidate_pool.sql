-- The ranked feed's candidates (candidates.sql's <pool>) read from tables: on the store, and on the warm
-- copy (social.feed_snapshot) when its key lookups cannot stand in (social.feed._warm_pool gives the same
-- rows from the copy's short head lists and its owner and parent indexes). It reads candidates.sql's viewer
-- facts (excluded, followed, liked) and its parameters. social.feed fills the sources:
-- <clip_rows> (each clip with its hot score: on the store, clips LEFT JOIN clip_stats, feed.STORE_SOURCES;
-- on the copy, its clip_rows table), <hot_rows> and <new_rows> (where the "hottest" and "newest" sources
-- pick their ids) and <cand_rows> (where those ids' rows are read).
--
-- Candidates (a few hundred, whatever the store's size): the $pool hottest clips (clip_stats.hot orders
-- by engagement x freshness at every moment), the $pool newest (clips nobody engaged with yet have no hot
-- score; any status: the visibility rule decides, live) and, personalised, the clips of the people you
-- follow and the remixes of clips you liked. Clips are stored in creation order, so the $since/$now
-- window lets DuckDB skip whole row groups by their min/max.
WITH in_window AS (   -- the window's clips with their hot score (NULL: no clip_stats row yet)
    SELECT clip_id, owner, prompt, parent_id, media_hash, thumb_hash, created_at, status, hot FROM {clip_rows}
    WHERE created_at > $since AND created_at <= $now
)
SELECT * FROM {cand_rows}
WHERE clip_id IN (
    (SELECT clip_id FROM {hot_rows}
     WHERE hot IS NOT NULL AND created_at > $since AND created_at <= $now
       AND clip_id NOT IN (SELECT clip_id FROM excluded)
     ORDER BY hot DESC LIMIT $pool)
    UNION ALL
    (SELECT clip_id FROM {new_rows}
     WHERE created_at > $since_new AND created_at <= $now
       AND clip_id NOT IN (SELECT clip_id FROM excluded)
     ORDER BY created_at DESC LIMIT $pool))
UNION
(SELECT * FROM in_window WHERE $personal AND owner IN (SELECT owner FROM followed))
UNION
(SELECT * FROM in_window
 WHERE $personal AND clip_id IN (SELECT child_id FROM remix_edges
                                 WHERE created_at > $since AND created_at <= $now
                                   AND parent_id IN (SELECT clip_id FROM liked)))
