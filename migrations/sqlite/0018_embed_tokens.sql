-- Tokens for the embeddable read-only dashboard (/embed/{token}). A token reads one
-- application's provisioning status (or every application's, when application_id is NULL)
-- and nothing else. As for SCIM and API tokens, only a hash of each token is kept; the token is
-- shown once when it is created.
CREATE TABLE embed_tokens (
    id              TEXT PRIMARY KEY NOT NULL,
    name            TEXT NOT NULL,
    token_hash      TEXT NOT NULL,
    prefix          TEXT NOT NULL,
    -- NULL: every application. A token for one application goes with it.
    application_id  TEXT REFERENCES applications (id) ON DELETE CASCADE,
    -- JSON array of the origins allowed to frame the dashboard ("https://host[:port]"): the
    -- response's Content-Security-Policy frame-ancestors. Checked by the service on creation.
    allowed_origins TEXT NOT NULL DEFAULT '[]',
    created_at      TEXT NOT NULL,
    created_by      TEXT,
    last_used_at    TEXT,
    revoked_at      TEXT
);
CREATE UNIQUE INDEX embed_tokens_hash ON embed_tokens (token_hash);
-- A name identifies one live token; revoked ones keep theirs for the record.
CREATE UNIQUE INDEX embed_tokens_live_name ON embed_tokens (name) WHERE revoked_at IS NULL;
CREATE INDEX embed_tokens_application ON embed_tokens (application_id);
