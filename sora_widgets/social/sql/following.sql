-- The "Following" tab: clips of the people the viewer follows, newest first (chronological,
-- not ranked). {visible} is access.visible_clip_sql('$viewer', 'c'). $now is the session's
-- as_of (newer clips wait for a new session) and $since a lower bound that lets DuckDB skip
-- old row groups (social.feed widens it to the epoch when the window runs out); $served (the
-- clip ids the session served) are left out, so paging neither repeats nor skips while new clips arrive.
-- <clips> is the clips table (social.feed: on the warm copy, the followed authors' clips it found by key).
SELECT c.clip_id, c.owner, c.prompt, c.parent_id, c.media_hash, c.thumb_hash, c.created_at,
       epoch(c.created_at) AS score, 'because you follow @' || c.owner AS reason
FROM {clips} c
WHERE c.created_at > $since AND c.created_at <= $now
  AND c.owner IN (SELECT followee FROM follows WHERE follower = $viewer)
  AND c.clip_id NOT IN (SELECT unnest($served::VARCHAR[]))
  AND ($locale = '' OR c.owner IN (SELECT handle FROM users WHERE locale = $locale))
  AND {visible}
ORDER BY c.created_at DESC, c.clip_id DESC
LIMIT $limit
