-- Attribute mappings, scoping filters, owners and app roles of an application, and the
-- before/after of audited configuration changes.
--
-- `mappings` is NULL while the application uses its gallery entry's default mappings; once
-- an admin saves mappings it holds them as JSON (users and groups: enabled, target object
-- actions, attribute mappings, scoping filters). Saving mappings or scope sets
-- `full_sync_required`: the next cycle re-evaluates every object (an initial cycle), as Entra
-- restarts provisioning after such a change; the engine clears it.
ALTER TABLE applications ADD COLUMN mappings TEXT;
ALTER TABLE applications ADD COLUMN full_sync_required INTEGER NOT NULL DEFAULT 0;
-- JSON array of admin e-mail addresses responsible for the application.
ALTER TABLE applications ADD COLUMN owners TEXT NOT NULL DEFAULT '[]';
-- JSON array of the app roles assignments may carry; "User" always exists.
ALTER TABLE applications ADD COLUMN roles TEXT NOT NULL DEFAULT '["User"]';
-- What the target's /Schemas offered when last read (JSON), so the mapping editor can offer
-- the application's own attributes without asking it again.
ALTER TABLE applications ADD COLUMN target_schema TEXT;

-- Audited changes keep the state before and after (JSON, secrets redacted).
ALTER TABLE audit_events ADD COLUMN before_state TEXT;
ALTER TABLE audit_events ADD COLUMN after_state TEXT;
CREATE INDEX audit_events_action_idx ON audit_events (action, id);
CREATE INDEX audit_events_actor_idx ON audit_events (actor, id);
