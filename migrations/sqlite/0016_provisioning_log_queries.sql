-- The portal's Logs page over a log of millions of entries, and its activity chart.
--
-- Every page is the newest `limit` entries below an id (keyset paging), so each filter needs
-- an index that yields its entries in id order: an equality on the index's leading columns,
-- then the id. SQLite appends the rowid (`id`) to every index, so an index on (a, b) is in
-- (a, b, id) order and a walk backwards from (a, b, before) reads only what the page shows.
-- Dates are turned into ids with the index on `at` (ids follow time: one writer stamps each
-- entry as it inserts it), a cycle into its first and last id; the walks then stay within
-- those ids. See crates/store/src/sqlite/log.rs for which walk answers which filter.
--
-- Already there (0012): (application_id, id) for an application's log, and
-- (application_id, source_id, id) for one object, which also answers the identity filter by
-- source id (one walk per application when no application is chosen).

-- Status and action, per application: "failures of this application", and, one walk per
-- application, "failures everywhere". Led by the application so that a rare status of one
-- application is found without reading those of the others.
CREATE INDEX provisioning_log_status_idx ON provisioning_log (application_id, status);
CREATE INDEX provisioning_log_action_idx ON provisioning_log (application_id, action);

-- Identity: the target's id exactly, or the start of the name ignoring ASCII case (NOCASE,
-- searched as a range; names sort by name, so these walks sort what they find, which is
-- what one object or a name prefix has).
CREATE INDEX provisioning_log_target_idx ON provisioning_log (target_id) WHERE target_id IS NOT NULL;
CREATE INDEX provisioning_log_name_idx ON provisioning_log (source_name COLLATE NOCASE);

-- One cycle's entries (on-demand runs have no cycle).
CREATE INDEX provisioning_log_cycle_idx ON provisioning_log (cycle_id) WHERE cycle_id IS NOT NULL;

-- Dates to ids, and retention: the oldest entries first. `at` is RFC 3339 text in UTC
-- (`2024-05-01T09:30:00.123456789+00:00`, as sqlx writes a DateTime<Utc>, with 0, 3, 6 or 9
-- digits of fraction), which sorts as time does.
CREATE INDEX provisioning_log_at_idx ON provisioning_log (at);

-- What the activity chart shows, kept as entries are recorded (in the same transaction) so the
-- chart never reads the log: per UTC hour and application, how many entries of each kind.
-- `hour` is the start of the hour in the same format as `at` (`2024-05-01T09:00:00+00:00`).
-- An entry counts once (steward_store::ActivityKind::of): a failure as failed whatever its
-- action; a skipped entry as other; otherwise create as created, update as updated, disable
-- and delete as removed, anything else (skip, staged_delete) as other. Counters of an hour go
-- when retention has removed the hour's last entry. Keyed by hour first: the chart of all
-- applications reads a range of it, the chart of one reads the same range (a row per
-- application and hour, a few thousand a week).
CREATE TABLE provisioning_activity (
    hour           TEXT NOT NULL,
    application_id TEXT NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    created        INTEGER NOT NULL DEFAULT 0,
    updated        INTEGER NOT NULL DEFAULT 0,
    removed        INTEGER NOT NULL DEFAULT 0,
    failed         INTEGER NOT NULL DEFAULT 0,
    other          INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (hour, application_id)
) WITHOUT ROWID;

INSERT INTO provisioning_activity (hour, application_id, created, updated, removed, failed, other)
SELECT strftime('%Y-%m-%dT%H:00:00+00:00', at), application_id,
       sum(status NOT IN ('failure', 'skipped') AND action = 'create'),
       sum(status NOT IN ('failure', 'skipped') AND action = 'update'),
       sum(status NOT IN ('failure', 'skipped') AND action IN ('disable', 'delete')),
       sum(status = 'failure'),
       sum(status = 'skipped'
           OR (status <> 'failure' AND action NOT IN ('create', 'update', 'disable', 'delete')))
FROM provisioning_log
GROUP BY 1, 2;
