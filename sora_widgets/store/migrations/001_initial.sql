-- 001: the tables the whole design needs, with minimal columns.
-- Later issues add columns and tables through new numbered files; never edit this one.

CREATE TABLE users (
    handle      TEXT PRIMARY KEY,           -- '@'-less handle, lower case
    birthdate   DATE NOT NULL,
    role        TEXT NOT NULL DEFAULT 'creator',  -- creator | reviewer | admin | guardian
    display_name TEXT,
    created_at  TIMESTAMP NOT NULL DEFAULT current_timestamp
);

-- Media files live beside the database, named by their SHA-256.
CREATE TABLE media (
    hash        TEXT PRIMARY KEY,           -- hex SHA-256 of the bytes
    path        TEXT NOT NULL,              -- relative to the home folder
    bytes       BIGINT NOT NULL,
    mime        TEXT NOT NULL,
    created_at  TIMESTAMP NOT NULL DEFAULT current_timestamp
);

CREATE TABLE clips (
    clip_id     TEXT PRIMARY KEY,
    owner       TEXT NOT NULL,
    status      TEXT NOT NULL DEFAULT 'draft',  -- draft | published | held | removed | hidden
    prompt      TEXT,
    engine      TEXT,
    recipe      JSON,                       -- the GenerationRequest + engine id/version
    meta        JSON,                       -- everything else the engine reported
    media_hash  TEXT,                       -- MP4 (NULL for lightweight demo records)
    thumb_hash  TEXT,                       -- PNG thumbnail
    duration_s  DOUBLE,
    fps         DOUBLE,
    width       INTEGER,
    height      INTEGER,
    sample_rate INTEGER,
    parent_id   TEXT,                       -- remix parent, NULL for originals
    created_at  TIMESTAMP NOT NULL DEFAULT current_timestamp,
    updated_at  TIMESTAMP NOT NULL DEFAULT current_timestamp
);
CREATE INDEX clips_owner ON clips(owner);
CREATE INDEX clips_status ON clips(status);

-- Lineage: a forest of remix edges (child has one parent).
CREATE TABLE remix_edges (
    child_id    TEXT PRIMARY KEY,
    parent_id   TEXT NOT NULL,
    author      TEXT NOT NULL,
    operation   TEXT NOT NULL DEFAULT 'remix',  -- remix | extend | v2v | ...
    edit        JSON,
    reuses_material BOOLEAN NOT NULL DEFAULT true,  -- false: only the idea was reused
    created_at  TIMESTAMP NOT NULL DEFAULT current_timestamp
);
CREATE INDEX remix_edges_parent ON remix_edges(parent_id);

CREATE TABLE cameos (
    cameo_id    TEXT PRIMARY KEY,
    owner       TEXT NOT NULL,
    kind        TEXT NOT NULL,              -- person | animal | object
    name        TEXT NOT NULL,              -- handle used in prompts (@name)
    audience    TEXT NOT NULL DEFAULT 'only_me',  -- only_me | approved | followers | everyone
    status      TEXT NOT NULL DEFAULT 'active',   -- active | revoked | deleted
    source_hash TEXT,                       -- the uploaded clip
    asset_hash  TEXT,                       -- the extracted asset (npz)
    created_at  TIMESTAMP NOT NULL DEFAULT current_timestamp,
    revoked_at  TIMESTAMP
);

CREATE TABLE cameo_permissions (
    cameo_id    TEXT NOT NULL,
    handle      TEXT NOT NULL,
    created_at  TIMESTAMP NOT NULL DEFAULT current_timestamp,
    PRIMARY KEY (cameo_id, handle)
);

CREATE TABLE cameo_uses (
    use_id      TEXT PRIMARY KEY,
    cameo_id    TEXT NOT NULL,
    user_handle TEXT NOT NULL,
    clip_id     TEXT,                       -- set when the clip made with it is saved
    created_at  TIMESTAMP NOT NULL DEFAULT current_timestamp
);

CREATE TABLE moderation_verdicts (
    verdict_id  TEXT PRIMARY KEY,
    target_kind TEXT NOT NULL,              -- prompt | clip
    target_id   TEXT,
    decision    TEXT NOT NULL,              -- allow | review | block
    scores      JSON,
    reasons     JSON,
    evidence    JSON,
    created_at  TIMESTAMP NOT NULL DEFAULT current_timestamp
);

CREATE TABLE review_cases (
    case_id     TEXT PRIMARY KEY,
    clip_id     TEXT,
    verdict_id  TEXT,
    category    TEXT,
    status      TEXT NOT NULL DEFAULT 'open',  -- open | decided | escalated | appealed
    claimed_by  TEXT,
    lease_until TIMESTAMP,
    appealed    BOOLEAN NOT NULL DEFAULT false,
    created_at  TIMESTAMP NOT NULL DEFAULT current_timestamp,
    decided_at  TIMESTAMP
);

CREATE TABLE review_decisions (
    decision_id TEXT PRIMARY KEY,
    case_id     TEXT NOT NULL,
    reviewer    TEXT NOT NULL,
    decision    TEXT NOT NULL,              -- approve | remove | escalate
    reason      TEXT,
    created_at  TIMESTAMP NOT NULL DEFAULT current_timestamp
);

-- Append-only: the Store API has no update or delete for it.
CREATE SEQUENCE audit_seq START 1;
CREATE TABLE audit_log (
    seq         BIGINT PRIMARY KEY DEFAULT nextval('audit_seq'),
    logged_at   TIMESTAMP NOT NULL DEFAULT current_timestamp,
    actor       TEXT NOT NULL,
    action      TEXT NOT NULL,
    target_kind TEXT,
    target_id   TEXT,
    detail      JSON
);

CREATE TABLE follows (
    follower    TEXT NOT NULL,
    followee    TEXT NOT NULL,
    created_at  TIMESTAMP NOT NULL DEFAULT current_timestamp,
    PRIMARY KEY (follower, followee)
);

CREATE TABLE feed_events (
    event_id    TEXT PRIMARY KEY,
    handle      TEXT NOT NULL,
    clip_id     TEXT NOT NULL,
    kind        TEXT NOT NULL,              -- view | like | share | skip
    created_at  TIMESTAMP NOT NULL DEFAULT current_timestamp
);

CREATE TABLE messages (
    message_id  TEXT PRIMARY KEY,
    sender      TEXT NOT NULL,
    recipient   TEXT NOT NULL,
    body        TEXT NOT NULL,
    created_at  TIMESTAMP NOT NULL DEFAULT current_timestamp
);

CREATE TABLE guardian_links (
    guardian    TEXT NOT NULL,
    teen        TEXT NOT NULL,
    settings    JSON,
    created_at  TIMESTAMP NOT NULL DEFAULT current_timestamp,
    PRIMARY KEY (guardian, teen)
);
