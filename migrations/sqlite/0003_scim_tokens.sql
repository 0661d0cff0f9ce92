-- Bearer tokens for the inbound SCIM endpoint. Only a hash of each token is kept; the token
-- is shown once when it is created.
CREATE TABLE scim_tokens (
    id           TEXT PRIMARY KEY NOT NULL,
    name         TEXT NOT NULL,
    token_hash   TEXT NOT NULL,
    prefix       TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    created_by   TEXT,
    last_used_at TEXT,
    revoked_at   TEXT
);
CREATE UNIQUE INDEX scim_tokens_hash ON scim_tokens (token_hash);
-- A name identifies one live token; revoked ones keep theirs for the record.
CREATE UNIQUE INDEX scim_tokens_live_name ON scim_tokens (name) WHERE revoked_at IS NULL;

-- Lists of groups sort by name.
CREATE INDEX groups_display_name_idx ON groups (display_name COLLATE NOCASE, id);
-- SCIM paging without a sort goes in creation order.
CREATE INDEX users_created_idx ON users (created_at, id);
