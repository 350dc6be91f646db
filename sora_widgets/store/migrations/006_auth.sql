-- 006: logins (issue 12). Credentials and sessions live in their own tables, so an
-- analyst's `SELECT * FROM users` never shows a password hash.
-- Times are Unix epoch seconds (DOUBLE, UTC): the auth code compares them with an
-- injectable clock, which tests use to step over back-off windows.

CREATE TABLE auth_accounts (
    handle          TEXT PRIMARY KEY,       -- users.handle
    password_hash   TEXT,                   -- Argon2id PHC string; NULL = no password set (cannot log in)
    disabled_at     DOUBLE,                 -- NULL = active; disabled accounts cannot log in
    disabled_by     TEXT,
    disabled_reason TEXT,
    updated_at      DOUBLE NOT NULL
);

-- Server-side sessions: the cookie carries a random id; only its SHA-256 is stored,
-- so a copy of the database does not hand out live sessions.
CREATE TABLE auth_sessions (
    session_hash    TEXT PRIMARY KEY,       -- hex SHA-256 of the cookie's session id
    handle          TEXT NOT NULL,
    client          TEXT,                   -- remote address at login
    created_at      DOUBLE NOT NULL,
    expires_at      DOUBLE NOT NULL,
    ended_at        DOUBLE,                 -- logout, disable, password reset
    end_reason      TEXT
);
CREATE INDEX auth_sessions_handle ON auth_sessions(handle);

-- Login throttling (OWASP: per account and per client, exponential back-off).
CREATE TABLE auth_throttle (
    scope           TEXT NOT NULL,          -- 'account' | 'client'
    key             TEXT NOT NULL,          -- the handle as typed (normalised) or the client address
    failures        INTEGER NOT NULL,       -- consecutive failures since the last success
    locked_until    DOUBLE NOT NULL,        -- no password is checked before this time
    last_failure_at DOUBLE NOT NULL,
    PRIMARY KEY (scope, key)
);
