-- 008: social safety (issue 15 items 4-6): guardians, direct messages, notifications,
-- the server-side scroll counter of teens.
--
-- Guardians. guardian_links (001) keeps one row per linked guardian and teen; its
-- `settings` JSON is that guardian's choices (sora_widgets.social.guardians:
-- dms, personalised, daily_limit_clips, daily_limit_minutes, quiet_hours). With
-- two guardians the stricter value of each setting applies. Unlinking deletes the
-- row (the audit log and both people's notifications keep the record).
ALTER TABLE guardian_links ADD COLUMN updated_at TIMESTAMP;
ALTER TABLE guardian_links ADD COLUMN updated_by TEXT;

-- One-time invitation codes a guardian gives a teen. Only the SHA-256 of the code
-- is stored, so a copy of the database cannot be used to link to a teen.
CREATE TABLE guardian_invitations (
    invitation_id TEXT PRIMARY KEY,
    guardian      TEXT NOT NULL,
    code_hash     TEXT NOT NULL UNIQUE,     -- hex SHA-256 of the normalised code
    created_at    TIMESTAMP NOT NULL DEFAULT current_timestamp,
    expires_at    TIMESTAMP NOT NULL,
    used_at       TIMESTAMP,                -- spent (a code links once)
    used_by       TEXT,                     -- the teen who accepted it
    cancelled_at  TIMESTAMP
);
CREATE INDEX guardian_invitations_guardian ON guardian_invitations(guardian);

-- Every failed code entry, per teen: more than a few in a window and entries are refused.
CREATE TABLE guardian_code_attempts (
    handle        TEXT NOT NULL,
    attempted_at  TIMESTAMP NOT NULL DEFAULT current_timestamp,
    reason        TEXT NOT NULL             -- unknown | expired | used | cancelled
);
CREATE INDEX guardian_code_attempts_handle ON guardian_code_attempts(handle);

-- An existing guardian agrees that a second guardian may link to the teen.
CREATE TABLE guardian_consents (
    teen          TEXT NOT NULL,
    new_guardian  TEXT NOT NULL,
    given_by      TEXT NOT NULL,            -- a guardian linked at the time
    created_at    TIMESTAMP NOT NULL DEFAULT current_timestamp,
    used_at       TIMESTAMP,
    PRIMARY KEY (teen, new_guardian)
);

-- Direct messages: conversations between two people (a < b), text or a shared clip.
CREATE TABLE conversations (
    conversation_id TEXT PRIMARY KEY,
    user_a        TEXT NOT NULL,            -- the smaller handle
    user_b        TEXT NOT NULL,
    started_by    TEXT NOT NULL,
    created_at    TIMESTAMP NOT NULL DEFAULT current_timestamp,
    last_message_at TIMESTAMP,
    UNIQUE (user_a, user_b)
);
ALTER TABLE messages ADD COLUMN conversation_id TEXT;
ALTER TABLE messages ADD COLUMN kind TEXT DEFAULT 'text';      -- text | clip
ALTER TABLE messages ADD COLUMN clip_id TEXT;                  -- the shared clip (kind = clip)
ALTER TABLE messages ADD COLUMN read_at TIMESTAMP;             -- when the recipient opened it
ALTER TABLE messages ADD COLUMN verdict_id TEXT;               -- moderation_verdicts row of the text
ALTER TABLE messages ADD COLUMN decision TEXT;                 -- allow (refused messages are never stored)
CREATE INDEX messages_conversation ON messages(conversation_id);

-- Whether a user lets senders see when they read a message (off unless chosen).
CREATE TABLE dm_preferences (
    handle        TEXT PRIMARY KEY,
    read_receipts BOOLEAN NOT NULL DEFAULT false
);

-- In-app notifications.
CREATE TABLE notifications (
    notification_id TEXT PRIMARY KEY,
    recipient     TEXT NOT NULL,
    kind          TEXT NOT NULL,            -- follow | like | comment | remix | cameo_use | guardian_setting | guardian_link | report_decided | message
    actor         TEXT,
    target_kind   TEXT,
    target_id     TEXT,
    detail        JSON,
    created_at    TIMESTAMP NOT NULL DEFAULT current_timestamp,
    read_at       TIMESTAMP
);
CREATE INDEX notifications_recipient ON notifications(recipient);

-- What the feed served a teen today (server-side; the widget cannot change it).
-- active_s: seconds of continuous scrolling, from the gaps between served pages
-- (a gap longer than a break counts as a new session, see social.limits).
CREATE TABLE feed_usage (
    handle        TEXT NOT NULL,
    day           DATE NOT NULL,            -- the server's local calendar day
    clips_served  INTEGER NOT NULL DEFAULT 0,
    active_s      DOUBLE NOT NULL DEFAULT 0,
    last_served_at TIMESTAMP,
    PRIMARY KEY (handle, day)
);
