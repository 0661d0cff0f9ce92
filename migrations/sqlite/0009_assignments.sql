-- Who an application provisions (when its scope is "assigned users and groups"): users and
-- groups, each with an app role. Each assignment and removal is a change of the user or group
-- in the change feed (kinds assigned / unassigned), so the engine reacts at once.
CREATE TABLE assignments (
    application_id TEXT NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    principal_id   TEXT NOT NULL,
    principal_type TEXT NOT NULL CHECK (principal_type IN ('user', 'group')),
    role           TEXT NOT NULL DEFAULT 'User',
    created_at     TEXT NOT NULL,
    PRIMARY KEY (application_id, principal_id)
);
CREATE INDEX assignments_principal_idx ON assignments (principal_id);
