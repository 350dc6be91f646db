-- The ranked feeds, personalised ($personal = true) and popular ($personal = false):
-- candidates, scores, explanations. social.feed fills {visible} with
-- access.visible_clip_sql('$viewer', 'c') and interleaves authors in the order given.
--
-- Parameters: $viewer, $viewer_teen (access.viewer_params), $now (the session's as_of:
-- nothing newer is ranked), $session (its already served clips are left out), $personal,
-- $locale ('' for every locale), $pool (how many candidates each source gives),
-- $tau_s (social.feed.FRESHNESS_TAU_S), $limit (rows returned).
--
-- Candidates (a few thousand at most, whatever the store's size): the $pool hottest clips
-- (clip_stats.hot orders by engagement x freshness at every moment), the $pool newest,
-- and, personalised, the last 14 days of the people you follow and the remixes of clips
-- you liked. Only candidates are scored, so a page costs the same at 1 M and 10 M events.
WITH
followed AS (SELECT followee AS owner FROM follows WHERE follower = $viewer),
seen AS (
    SELECT DISTINCT clip_id FROM feed_events
    WHERE $personal AND handle = $viewer AND kind IN ('view', 'skip', 'see_less', 'like', 'report')
),
served AS (SELECT clip_id FROM feed_session_items WHERE session_id = $session),
liked AS (SELECT clip_id FROM likes WHERE $personal AND handle = $viewer),
liked_authors AS (
    SELECT c.owner, count(*) AS n FROM likes l JOIN clips c ON c.clip_id = l.clip_id
    WHERE $personal AND l.handle = $viewer GROUP BY 1
),
less_authors AS (
    SELECT c.owner, count(*) AS n FROM feed_events e JOIN clips c ON c.clip_id = e.clip_id
    WHERE $personal AND e.handle = $viewer AND e.kind = 'see_less' GROUP BY 1
),
pool AS (
    (SELECT s.clip_id FROM clip_stats s
     WHERE s.created_at <= $now AND s.clip_id NOT IN (SELECT clip_id FROM served)
       AND s.clip_id NOT IN (SELECT clip_id FROM seen)
     ORDER BY s.hot DESC LIMIT $pool)
    UNION
    (SELECT c.clip_id FROM clips c
     WHERE c.created_at <= $now AND c.status = 'published' AND c.clip_id NOT IN (SELECT clip_id FROM served)
       AND c.clip_id NOT IN (SELECT clip_id FROM seen)
     ORDER BY c.created_at DESC LIMIT $pool)
    UNION
    (SELECT c.clip_id FROM clips c JOIN followed f ON f.owner = c.owner
     WHERE $personal AND c.created_at <= $now AND c.created_at > $now - INTERVAL 14 DAY)
    UNION
    (SELECT e.child_id FROM remix_edges e JOIN liked l ON l.clip_id = e.parent_id)
),
velocity AS (
    SELECT parent_id AS clip_id, count(*) AS n FROM remix_edges
    WHERE created_at > $now - INTERVAL 1 DAY AND created_at <= $now AND parent_id IN (SELECT clip_id FROM pool)
    GROUP BY 1
),
scored AS (
    SELECT c.clip_id, c.owner, c.prompt, c.parent_id, c.media_hash, c.thumb_hash, c.created_at,
           -- base x exp(-age / tau); a clip nobody engaged with yet has the prior base 0.05
           exp(coalesce(s.hot, ln(0.05) + epoch(c.created_at) / $tau_s) - epoch($now) / $tau_s) AS fresh,
           $personal AND f.owner IS NOT NULL AS followed,
           $personal AND c.parent_id IN (SELECT clip_id FROM liked) AS remix_of_liked,
           coalesce(la.n, 0) AS liked_author_n,
           coalesce(ls.n, 0) AS less_n,
           coalesce(v.n, 0) AS remixes_today
    FROM pool p
    JOIN clips c ON c.clip_id = p.clip_id
    LEFT JOIN clip_stats s ON s.clip_id = p.clip_id
    LEFT JOIN followed f ON f.owner = c.owner
    LEFT JOIN liked_authors la ON la.owner = c.owner
    LEFT JOIN less_authors ls ON ls.owner = c.owner
    LEFT JOIN velocity v ON v.clip_id = c.clip_id
    WHERE c.created_at <= $now
      AND c.owner <> $viewer
      AND c.clip_id NOT IN (SELECT clip_id FROM served)
      AND c.clip_id NOT IN (SELECT clip_id FROM seen)
      AND ($locale = '' OR EXISTS (SELECT 1 FROM users u WHERE u.handle = c.owner AND u.locale = $locale))
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
