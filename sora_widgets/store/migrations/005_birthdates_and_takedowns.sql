-- 005: birthdates nobody confirmed, and take-downs kept as rows.
--
-- Before this migration every dashboard visitor was created with the placeholder
-- birthdate 1990-01-01, so everyone counted as an adult. Those rows cannot be told
-- apart from a real 1 January 1990 birthday, so all of them are flagged
-- unconfirmed: sora_widgets.social.accounts.protection_band treats an unconfirmed
-- user as a teen until accounts.confirm_birthdate records a real date. Any other
-- birthdate was typed by someone on purpose and counts as confirmed. A row that does
-- not say (a raw INSERT) defaults to unconfirmed: the safe side.
ALTER TABLE users ADD COLUMN birthdate_confirmed BOOLEAN DEFAULT false;
UPDATE users SET birthdate_confirmed = (birthdate <> DATE '1990-01-01');

-- What a taken-down clip goes back to if every take-down of it is lifted
-- (a review decision reversed on appeal): the status it had before.
ALTER TABLE clips ADD COLUMN status_before_takedown TEXT;

-- One row per take-down (sora_widgets.moderation.takedown.take_down). A clip is
-- removed while it has a row that is not lifted; lifting one (an appeal) leaves
-- the others standing, so a cameo owner's removal survives a reviewer's reversal.
CREATE TABLE takedowns (
    takedown_id TEXT PRIMARY KEY,
    clip_id     TEXT NOT NULL,
    by_handle   TEXT NOT NULL,
    reason      TEXT NOT NULL,
    case_id     TEXT,                       -- the review case whose decision took it down, if any
    created_at  TIMESTAMP NOT NULL DEFAULT current_timestamp,
    lifted_at   TIMESTAMP,
    lifted_by   TEXT
);
CREATE INDEX takedowns_clip ON takedowns(clip_id);

-- Clips removed before this migration keep standing: one row each, by "migration".
INSERT INTO takedowns (takedown_id, clip_id, by_handle, reason)
SELECT 'td_m005_' || clip_id, clip_id, 'migration', 'removed before take-downs were recorded'
FROM clips WHERE status = 'removed';
