-- The provisioning engine's jobs (one per application), its cycles, per-object retries
-- (escrow), disables and deletes held back by the accidental-deletion threshold, and the group
-- members last sent to each target group.

-- One job per application. A worker holds it with a lease (owner and expiry) so that only one
-- process runs it. `watermark` is the last change-feed sequence number fully handled.
-- `command` is the admin's pending command (run, restart, restart_full, allow_deletes,
-- dry_run), taken by the worker; pause is a state, not a command. A new job is paused:
-- provisioning starts when an admin turns it on, as in Entra.
CREATE TABLE provisioning_jobs (
    application_id      TEXT PRIMARY KEY REFERENCES applications (id) ON DELETE CASCADE,
    paused              INTEGER NOT NULL DEFAULT 1,
    watermark           INTEGER NOT NULL DEFAULT 0,
    lease_owner         TEXT,
    lease_until         TEXT,
    command             TEXT,
    quarantine_reason   TEXT,
    quarantine_code     TEXT,
    quarantine_since    TEXT,
    quarantine_attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at     TEXT,
    last_full_at        TEXT,
    current_cycle_id    TEXT,
    updated_at          TEXT NOT NULL
);

-- One row per cycle. `cursor` is the last directory id handled, so a cycle interrupted by a
-- crash resumes where it was.
CREATE TABLE provisioning_cycles (
    id             TEXT PRIMARY KEY,
    application_id TEXT NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    -- initial, incremental, periodic, dry_run, on_demand
    kind           TEXT NOT NULL,
    -- running, completed, failed, too_many_deletes, quarantined, interrupted
    status         TEXT NOT NULL,
    started_at     TEXT NOT NULL,
    ended_at       TEXT,
    total          INTEGER NOT NULL DEFAULT 0,
    done           INTEGER NOT NULL DEFAULT 0,
    cursor         TEXT,
    counters       TEXT NOT NULL DEFAULT '{}',
    message        TEXT NOT NULL DEFAULT ''
);
CREATE INDEX provisioning_cycles_app_idx ON provisioning_cycles (application_id, started_at);

-- Objects whose last attempt failed, retried at growing intervals.
CREATE TABLE provisioning_escrow (
    application_id  TEXT NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    object_type     TEXT NOT NULL CHECK (object_type IN ('user', 'group')),
    source_id       TEXT NOT NULL,
    attempts        INTEGER NOT NULL,
    next_attempt_at TEXT NOT NULL,
    error_code      TEXT,
    message         TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (application_id, object_type, source_id)
);
CREATE INDEX provisioning_escrow_due_idx ON provisioning_escrow (application_id, next_attempt_at);

-- Disables and deletes a cycle held back because there were more than the threshold.
CREATE TABLE provisioning_staged (
    application_id TEXT NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    object_type    TEXT NOT NULL CHECK (object_type IN ('user', 'group')),
    source_id      TEXT NOT NULL,
    source_name    TEXT NOT NULL,
    target_id      TEXT NOT NULL,
    action         TEXT NOT NULL CHECK (action IN ('disable', 'delete')),
    reason         TEXT NOT NULL,
    cycle_id       TEXT NOT NULL,
    staged_at      TEXT NOT NULL,
    PRIMARY KEY (application_id, object_type, source_id)
);

-- The members (directory ids) each target group was last sent, to send only the difference.
CREATE TABLE provisioning_members (
    application_id TEXT NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    group_id       TEXT NOT NULL,
    member_id      TEXT NOT NULL,
    PRIMARY KEY (application_id, group_id, member_id)
);
