-- Administrators of this Steward tenant, their sessions, sign-in throttling and the audit log.
-- Migrations are never edited once released; add a new file instead.

CREATE TABLE admins (
    id              TEXT PRIMARY KEY NOT NULL,           -- UUID, hyphenated
    email           TEXT NOT NULL,                       -- normalised to lower case
    display_name    TEXT NOT NULL,
    password_hash   TEXT NOT NULL,                       -- argon2id PHC string
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    last_sign_in_at TEXT
);
CREATE UNIQUE INDEX admins_email_key ON admins (email);

-- Roles are a relation, not a flag: an admin may hold several, and new roles are rows.
CREATE TABLE admin_roles (
    admin_id   TEXT NOT NULL REFERENCES admins (id) ON DELETE CASCADE,
    role       TEXT NOT NULL CHECK (role IN ('global_administrator')),
    created_at TEXT NOT NULL,
    PRIMARY KEY (admin_id, role)
);

-- The cookie carries a random token; only its SHA-256 is stored, so a copy of the
-- database does not let anyone sign in.
CREATE TABLE sessions (
    token_hash   TEXT PRIMARY KEY NOT NULL,
    admin_id     TEXT NOT NULL REFERENCES admins (id) ON DELETE CASCADE,
    created_at   TEXT NOT NULL,
    last_seen_at TEXT NOT NULL,
    expires_at   TEXT NOT NULL,
    ip           TEXT,
    user_agent   TEXT
);
CREATE INDEX sessions_admin_idx ON sessions (admin_id);
CREATE INDEX sessions_expires_idx ON sessions (expires_at);

CREATE TABLE sign_in_failures (
    id    INTEGER PRIMARY KEY AUTOINCREMENT,
    email TEXT NOT NULL,
    ip    TEXT NOT NULL,
    at    TEXT NOT NULL
);
CREATE INDEX sign_in_failures_email_idx ON sign_in_failures (email, at);
CREATE INDEX sign_in_failures_ip_idx ON sign_in_failures (ip, at);

CREATE TABLE audit_events (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    at           TEXT NOT NULL,
    actor        TEXT NOT NULL,      -- admin email, or "system" / "command line"
    action       TEXT NOT NULL,      -- dotted name, e.g. "admin.sign_in"
    target       TEXT,
    outcome      TEXT NOT NULL CHECK (outcome IN ('success', 'failure')),
    detail       TEXT,
    ip           TEXT,
    operation_id TEXT
);
CREATE INDEX audit_events_at_idx ON audit_events (at);
