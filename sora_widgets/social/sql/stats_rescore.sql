-- Re-score clip_stats rows after their counters changed (social.graph bumps one row;
-- social.feed.refresh_stats all of them). {where} is filled by the caller: a fixed
-- "clip_id = $clip" or "true". $tau_s: social.feed.FRESHNESS_TAU_S.
--
-- base: how engaging the clip is per view, smoothed so a clip with 1 view and 1 like
--   does not beat one with 1,000 views and 300 likes (+1 / +10 priors), positive
--   signals (likes, remixes weigh 2, completions and comments 0.5, shares 1) minus
--   negative ones (see less 2, skips 1, reports 5), floored at 0.01.
-- hot: ln(base) + epoch(created_at) / tau. Ordering by hot is ordering by
--   base * exp(-age / tau) at every moment, so the decay needs no per-request pass.
UPDATE clip_stats SET
    base = greatest(0.01, 0.05
        + (likes + 2.0 * remixes + 0.5 * completions + 0.5 * comments + shares + 1.0) / (views + 10.0)
        - (2.0 * see_less + skips + 5.0 * reports) / (views + 10.0)),
    updated_at = current_timestamp
WHERE {where};
UPDATE clip_stats SET hot = ln(base) + epoch(created_at) / $tau_s WHERE {where};
