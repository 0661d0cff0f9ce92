-- The directory: users, groups, memberships, and the change feed the provisioning engine
-- follows. A user or group is stored as its SCIM resource (JSON, core + enterprise + custom
-- attributes) with the attributes that are searched, sorted or unique copied into columns.

CREATE TABLE users (
    id            TEXT PRIMARY KEY NOT NULL,   -- UUID, the SCIM id
    user_name     TEXT NOT NULL,
    user_name_key TEXT NOT NULL,               -- lower(userName): SCIM userName is case-insensitive
    external_id   TEXT,
    display_name  TEXT NOT NULL DEFAULT '',
    given_name    TEXT NOT NULL DEFAULT '',
    family_name   TEXT NOT NULL DEFAULT '',
    email         TEXT NOT NULL DEFAULT '',    -- the primary (else first) email, lower case
    active        INTEGER NOT NULL DEFAULT 1,
    resource      TEXT NOT NULL,               -- the SCIM resource as JSON
    version       INTEGER NOT NULL DEFAULT 1,  -- bumped on every change; the ETag
    deleted_at    TEXT,                        -- soft-deleted: in the recycle bin
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);
CREATE UNIQUE INDEX users_user_name_key ON users (user_name_key);
CREATE UNIQUE INDEX users_external_id_key ON users (external_id) WHERE external_id IS NOT NULL;
CREATE INDEX users_display_name_idx ON users (display_name COLLATE NOCASE, id);
CREATE INDEX users_family_name_idx ON users (family_name COLLATE NOCASE, id);
CREATE INDEX users_email_idx ON users (email);
CREATE INDEX users_deleted_idx ON users (deleted_at);

CREATE TABLE groups (
    id               TEXT PRIMARY KEY NOT NULL,
    display_name     TEXT NOT NULL,
    display_name_key TEXT NOT NULL,            -- lower(displayName), unique
    external_id      TEXT,
    resource         TEXT NOT NULL,            -- the SCIM resource without members
    version          INTEGER NOT NULL DEFAULT 1,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL
);
CREATE UNIQUE INDEX groups_display_name_key ON groups (display_name_key);
CREATE UNIQUE INDEX groups_external_id_key ON groups (external_id) WHERE external_id IS NOT NULL;

-- Direct memberships; a member is a user or a group (nested groups are stored as they are).
CREATE TABLE group_members (
    group_id    TEXT NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    member_id   TEXT NOT NULL,
    member_type TEXT NOT NULL CHECK (member_type IN ('user', 'group')),
    created_at  TEXT NOT NULL,
    PRIMARY KEY (group_id, member_id)
);
CREATE INDEX group_members_member_idx ON group_members (member_id);

-- Every change to the directory, written in the same transaction as the change itself.
-- seq only grows; consumers remember the last seq they processed.
CREATE TABLE changes (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    at          TEXT NOT NULL,
    object_type TEXT NOT NULL CHECK (object_type IN ('user', 'group')),
    object_id   TEXT NOT NULL,
    kind        TEXT NOT NULL,
    detail      TEXT
);
CREATE INDEX changes_object_idx ON changes (object_id, seq);
