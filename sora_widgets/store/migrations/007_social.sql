-- 007: the social core (issue 15 items 1-2): blocks, likes, comments, reports,
-- richer feed events, per-clip engagement aggregates and feed sessions.
--
-- Source of truth: blocks, likes, comments, reports, feed_events (who did what).
-- Derived: clip_stats, per-clip counters kept in step by sora_widgets.social.graph
-- in the transaction of each action (and rebuilt by social.feed.refresh_stats), so
-- a feed page never aggregates millions of events while someone waits.

-- A block hides each person from the other everywhere (feed, comments, DMs, cameos).
CREATE TABLE blocks (
    blocker     TEXT NOT NULL,
    blocked     TEXT NOT NULL,
    created_at  TIMESTAMP NOT NULL DEFAULT current_timestamp,
    PRIMARY KEY (blocker, blocked)
);
CREATE INDEX blocks_blocked ON blocks(blocked);
CREATE INDEX follows_follower ON follows(follower);
CREATE INDEX follows_followee ON follows(followee);

CREATE TABLE likes (
    handle      TEXT NOT NULL,
    clip_id     TEXT NOT NULL,
    created_at  TIMESTAMP NOT NULL DEFAULT current_timestamp,
    PRIMARY KEY (handle, clip_id)
);
CREATE INDEX likes_handle ON likes(handle);

CREATE TABLE comments (
    comment_id  TEXT PRIMARY KEY,
    clip_id     TEXT NOT NULL,
    author      TEXT NOT NULL,
    body        TEXT NOT NULL,
    status      TEXT NOT NULL DEFAULT 'visible',   -- visible | held (moderation asked for review: author only)
    verdict_id  TEXT,                              -- moderation_verdicts row of the text
    created_at  TIMESTAMP NOT NULL DEFAULT current_timestamp
);
CREATE INDEX comments_clip ON comments(clip_id);

-- One report per person and clip; each opens a case in the review queue.
CREATE TABLE reports (
    report_id   TEXT PRIMARY KEY,
    reporter    TEXT NOT NULL,
    clip_id     TEXT NOT NULL,
    reason      TEXT NOT NULL,
    case_id     TEXT,
    created_at  TIMESTAMP NOT NULL DEFAULT current_timestamp,
    UNIQUE (reporter, clip_id)
);

-- feed_events (001) kinds now: view | like | share | skip | see_less | report | comment.
-- A view carries how much of the clip was watched (0-1); >= social.graph.COMPLETE_FRACTION is a completion.
-- owner: the clip's author when the event happened, so "authors you liked / asked to see less of"
-- is read from the viewer's own events (an index lookup) without joining a million clips.
ALTER TABLE feed_events ADD COLUMN watched_fraction DOUBLE;
ALTER TABLE feed_events ADD COLUMN owner TEXT;
CREATE INDEX feed_events_handle ON feed_events(handle);

-- Per-clip engagement counters and the clip's precomputed "hot" score:
-- hot = ln(base) + epoch(created_at) / tau, so ordering by hot is ordering by
-- base * exp(-age / tau) at any moment (no per-request decay over a million rows).
CREATE TABLE clip_stats (
    clip_id     TEXT PRIMARY KEY,
    created_at  TIMESTAMP NOT NULL,
    views       BIGINT NOT NULL DEFAULT 0,
    completions BIGINT NOT NULL DEFAULT 0,
    likes       BIGINT NOT NULL DEFAULT 0,
    comments    BIGINT NOT NULL DEFAULT 0,
    remixes     BIGINT NOT NULL DEFAULT 0,
    shares      BIGINT NOT NULL DEFAULT 0,
    skips       BIGINT NOT NULL DEFAULT 0,
    see_less    BIGINT NOT NULL DEFAULT 0,
    reports     BIGINT NOT NULL DEFAULT 0,
    base        DOUBLE NOT NULL DEFAULT 0.05,   -- smoothed engagement rate (social/sql/stats_rescore.sql)
    hot         DOUBLE NOT NULL DEFAULT 0,      -- ln(base) + epoch(created_at) / tau
    updated_at  TIMESTAMP NOT NULL DEFAULT current_timestamp
);

-- A feed session: the snapshot time it ranks at and, in order, what it served, so
-- the next page never repeats or skips and scrolling back shows the same page.
CREATE TABLE feed_sessions (
    session_id  TEXT PRIMARY KEY,
    viewer      TEXT NOT NULL,
    mode        TEXT NOT NULL,                  -- personalised | popular | following
    locale      TEXT,
    as_of       TIMESTAMP NOT NULL,             -- clips created after it wait for a new session
    pages       INTEGER NOT NULL DEFAULT 0,
    created_at  TIMESTAMP NOT NULL DEFAULT current_timestamp
);
CREATE TABLE feed_session_items (
    session_id  TEXT NOT NULL,
    page        INTEGER NOT NULL,
    pos         INTEGER NOT NULL,               -- position in the session, from 0
    clip_id     TEXT NOT NULL,
    owner       TEXT NOT NULL,
    reason      TEXT NOT NULL,
    score       DOUBLE NOT NULL
);
CREATE INDEX feed_session_items_session ON feed_session_items(session_id);

-- The locale a user chose (e.g. 'en', 'fr-CA'); the popular feed is per locale of the authors.
ALTER TABLE users ADD COLUMN locale TEXT;
