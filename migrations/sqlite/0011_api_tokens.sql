-- Bearer tokens for the JSON REST API (/api/v1). Each acts with one admin role. As for SCIM
-- tokens, only a hash of each token is kept; the token is shown once when it is created.
CREATE TABLE api_tokens (
    id           TEXT PRIMARY KEY NOT NULL,
    name         TEXT NOT NULL,
    -- A Role's stored name. No CHECK: the store writes only known roles and refuses unknown
    -- ones on read, and a new role then needs no table rebuild.
    role         TEXT NOT NULL,
    token_hash   TEXT NOT NULL,
    prefix       TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    created_by   TEXT,
    last_used_at TEXT,
    revoked_at   TEXT
);
CREATE UNIQUE INDEX api_tokens_hash ON api_tokens (token_hash);
-- A name identifies one live token; revoked ones keep theirs for the record.
CREATE UNIQUE INDEX api_tokens_live_name ON api_tokens (name) WHERE revoked_at IS NULL;
