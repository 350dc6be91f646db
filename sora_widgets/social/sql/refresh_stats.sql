-- Rebuild every clip's counters from the source tables (after a bulk load, or to repair drift).
-- $complete: social.graph.COMPLETE_FRACTION. Scores are recomputed afterwards (stats_rescore.sql).
DELETE FROM clip_stats;
INSERT INTO clip_stats (clip_id, created_at, views, completions, likes, comments, remixes, shares, skips, see_less, reports)
SELECT c.clip_id, c.created_at,
       coalesce(e.views, 0), coalesce(e.completions, 0), coalesce(l.n, 0), coalesce(k.n, 0), coalesce(r.n, 0),
       coalesce(e.shares, 0), coalesce(e.skips, 0), coalesce(e.see_less, 0), coalesce(rp.n, 0)
FROM clips c
LEFT JOIN (
    SELECT clip_id,
           count(*) FILTER (WHERE kind = 'view') AS views,
           count(*) FILTER (WHERE kind = 'view' AND watched_fraction >= $complete) AS completions,
           count(*) FILTER (WHERE kind = 'share') AS shares,
           count(*) FILTER (WHERE kind = 'skip') AS skips,
           count(*) FILTER (WHERE kind = 'see_less') AS see_less
    FROM feed_events GROUP BY clip_id
) e ON e.clip_id = c.clip_id
LEFT JOIN (SELECT clip_id, count(*) AS n FROM likes GROUP BY 1) l ON l.clip_id = c.clip_id
LEFT JOIN (SELECT clip_id, count(*) AS n FROM comments WHERE status = 'visible' GROUP BY 1) k ON k.clip_id = c.clip_id
LEFT JOIN (SELECT parent_id, count(*) AS n FROM remix_edges GROUP BY 1) r ON r.parent_id = c.clip_id
LEFT JOIN (SELECT clip_id, count(*) AS n FROM reports GROUP BY 1) rp ON rp.clip_id = c.clip_id;
