-- What the provisioning engine knows about each application's target objects, and what it did.
--
-- A link ties a directory user or group to its object in the target: the target's id, a
-- fingerprint of what was last sent (a hash per target path, JSON), and whether Steward left
-- the object active or disabled it. A target id is linked to at most one directory object.
CREATE TABLE provisioning_links (
    application_id TEXT NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    object_type    TEXT NOT NULL CHECK (object_type IN ('user', 'group')),
    source_id      TEXT NOT NULL,
    target_id      TEXT NOT NULL,
    fingerprint    TEXT NOT NULL DEFAULT '{}',
    state          TEXT NOT NULL CHECK (state IN ('active', 'disabled')),
    updated_at     TEXT NOT NULL,
    PRIMARY KEY (application_id, object_type, source_id)
);
CREATE UNIQUE INDEX provisioning_links_target_idx
    ON provisioning_links (application_id, object_type, target_id);

-- One entry per object and action: what was decided, each step that led there, what changed.
CREATE TABLE provisioning_log (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    application_id TEXT NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    cycle_id       TEXT,
    at             TEXT NOT NULL,
    object_type    TEXT NOT NULL CHECK (object_type IN ('user', 'group')),
    source_id      TEXT NOT NULL,
    source_name    TEXT NOT NULL,
    target_id      TEXT,
    -- create, update, disable, delete, staged_delete, skip
    action         TEXT NOT NULL,
    -- success, failure, skipped, warning
    status         TEXT NOT NULL,
    steps          TEXT NOT NULL DEFAULT '[]',
    modified       TEXT NOT NULL DEFAULT '[]',
    error_code     TEXT,
    message        TEXT NOT NULL DEFAULT ''
);
CREATE INDEX provisioning_log_app_idx ON provisioning_log (application_id, id);
CREATE INDEX provisioning_log_source_idx ON provisioning_log (application_id, source_id, id);
