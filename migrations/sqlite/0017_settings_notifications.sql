-- Tenant-wide settings and the outbox of email notifications.

-- Settings of the whole installation, one JSON document per key (e.g. `smtp`). Secrets inside
-- a value are sealed with the installation's key before they are stored.
CREATE TABLE tenant_settings (
    key        TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

-- Email notifications, written in the same transaction as the job change they report and
-- delivered by the sender task. A sender claims a due row by setting `claimed_by` and moving
-- `next_attempt_at` to the end of its lease, so two processes never send the same one; a
-- sender that dies leaves the row due again when the lease runs out. `attempts` counts
-- delivery attempts (not the waits while SMTP is not configured).
CREATE TABLE notifications (
    id              TEXT PRIMARY KEY,
    application_id  TEXT NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    kind            TEXT NOT NULL
                    CHECK (kind IN ('quarantined', 'quarantine_reason_changed', 'deletes_held')),
    recipient       TEXT NOT NULL,
    subject         TEXT NOT NULL,
    body            TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT NOT NULL,
    claimed_by      TEXT,
    sent_at         TEXT,
    last_error      TEXT
);
CREATE INDEX notifications_due_idx ON notifications (next_attempt_at) WHERE sent_at IS NULL;
CREATE INDEX notifications_created_idx ON notifications (created_at);

-- Since when the job holds disables and deletes back (the threshold), or NULL: a cycle that
-- ends holding some while this is NULL is the event that is notified; later cycles that still
-- hold them are not.
ALTER TABLE provisioning_jobs ADD COLUMN deletes_held_since TEXT;
