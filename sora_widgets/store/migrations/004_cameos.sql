-- 004: cameo verification challenges ("upload yourself" phrases).
-- A challenge is issued to one user, expires, and can be spent once: a person
-- cameo is created only from a clip that passed a live challenge of its owner.

CREATE TABLE cameo_challenges (
    challenge_id TEXT PRIMARY KEY,
    handle       TEXT NOT NULL,
    phrase       TEXT NOT NULL,              -- space-separated words from the recogniser's vocabulary
    created_at   TIMESTAMP NOT NULL DEFAULT current_timestamp,
    expires_at   TIMESTAMP NOT NULL,
    used_at      TIMESTAMP,                  -- set when a cameo was created with it
    cameo_id     TEXT                        -- the cameo it created
);
CREATE INDEX cameo_challenges_handle ON cameo_challenges(handle);
CREATE INDEX cameo_uses_cameo ON cameo_uses(cameo_id);
CREATE INDEX cameo_uses_clip ON cameo_uses(clip_id);
