//! The provisioning log on SQLite: recording entries together with the hourly activity
//! rollup, the Logs page's queries, retention.
//!
//! A page is answered without reading the log past it, however many entries there are:
//!
//! - **Keyset by id.** Ids grow with time, every index ends with the id (SQLite appends the
//!   rowid), and a page is "the first `limit` ids below `before`". An index walked backwards
//!   from an equality prefix gives the entries in that order without sorting.
//! - **Bounds become id bounds.** Dates are turned into ids with one seek each on the index on
//!   `at`, a cycle into its first and last id, a change id into itself; every walk then starts
//!   at the upper bound and stops at the lower one.
//! - **One walk per indexed value.** A filter on several statuses (or actions, or on every
//!   application) walks each (application, value) of its index on its own, `limit` ids each,
//!   and the newest `limit` of them all are the page. Other filters are checked on the rows
//!   the walk reads. Identity walks the source id, target id and name indexes.
//! - **The cheapest walk.** When several of cycle, status and action filter, the index entries
//!   of each in the id range are counted (up to [`PROBE_CAP`]) and the smallest drives.
//!
//! The activity chart reads `provisioning_activity`, counters per (hour, application) added
//! in the transaction that records the entries.

use super::provisioning::{json, object_type};
use super::SqliteStore;
use crate::provisioning::{ActivityBucket, ActivityKind, LogEntry, LogQuery, NewLogEntry};
use crate::{StoreError, StoreResult, MAX_LOG_PAGE};
use chrono::{DateTime, Utc};
use sqlx::sqlite::{SqliteArguments, SqliteRow};
use sqlx::{Row, Sqlite, SqliteConnection};
use std::collections::BTreeMap;

/// Index entries counted at most when choosing which index drives a query: enough to tell a
/// rare filter from a common one, few enough to cost well under a millisecond.
const PROBE_CAP: i64 = 10_000;
/// Walks per statement (SQLite allows 500 terms in a compound select).
const WALKS_PER_STATEMENT: usize = 100;

pub(super) const LOG_COLUMNS: &str = "id, at, application_id, cycle_id, object_type, source_id, \
     source_name, target_id, action, status, steps, modified, error_code, message";

pub(super) fn log_entry_from(row: &SqliteRow) -> StoreResult<LogEntry> {
    Ok(LogEntry {
        id: row.try_get("id")?,
        at: row.try_get("at")?,
        entry: NewLogEntry {
            application_id: row.try_get("application_id")?,
            cycle_id: row.try_get("cycle_id")?,
            object_type: Some(object_type(row)?),
            source_id: row.try_get("source_id")?,
            source_name: row.try_get("source_name")?,
            target_id: row.try_get("target_id")?,
            action: row.try_get("action")?,
            status: row.try_get("status")?,
            steps: json(row, "steps")?,
            modified: json(row, "modified")?,
            error_code: row.try_get("error_code")?,
            message: row.try_get("message")?,
        },
    })
}

/// The start of the UTC hour that holds `at`.
fn hour_of(at: DateTime<Utc>) -> DateTime<Utc> {
    let seconds = at.timestamp();
    DateTime::from_timestamp(seconds - seconds.rem_euclid(3600), 0).unwrap_or(at)
}

// ---------------------------------------------------------------------------------------
// Recording

/// Inserts one log entry recorded at `at`; its id.
async fn insert_log(
    conn: &mut SqliteConnection,
    at: DateTime<Utc>,
    e: &NewLogEntry,
) -> StoreResult<i64> {
    let id = sqlx::query_scalar(
        "INSERT INTO provisioning_log (application_id, cycle_id, at, object_type, source_id,
             source_name, target_id, action, status, steps, modified, error_code, message)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
    )
    .bind(&e.application_id)
    .bind(&e.cycle_id)
    .bind(at)
    .bind(e.object_type.unwrap_or(crate::ObjectType::User).as_str())
    .bind(&e.source_id)
    .bind(&e.source_name)
    .bind(&e.target_id)
    .bind(&e.action)
    .bind(&e.status)
    .bind(e.steps.to_string())
    .bind(e.modified.to_string())
    .bind(&e.error_code)
    .bind(&e.message)
    .fetch_one(&mut *conn)
    .await?;
    Ok(id)
}

/// The counters one entry or more add to an hour of an application.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Counters {
    created: i64,
    updated: i64,
    removed: i64,
    failed: i64,
    other: i64,
}

impl Counters {
    fn add(&mut self, kind: ActivityKind) {
        let counter = match kind {
            ActivityKind::Created => &mut self.created,
            ActivityKind::Updated => &mut self.updated,
            ActivityKind::Removed => &mut self.removed,
            ActivityKind::Failed => &mut self.failed,
            ActivityKind::Other => &mut self.other,
        };
        *counter += 1;
    }
}

/// The activity of the entries of one transaction, per (hour, application): written with
/// one upsert each, however many entries.
#[derive(Default)]
struct Activity(BTreeMap<(DateTime<Utc>, String), Counters>);

impl Activity {
    fn add(&mut self, at: DateTime<Utc>, e: &NewLogEntry) {
        self.0
            .entry((hour_of(at), e.application_id.clone()))
            .or_default()
            .add(ActivityKind::of(&e.action, &e.status));
    }

    async fn save(self, conn: &mut SqliteConnection) -> StoreResult<()> {
        for ((hour, application), c) in self.0 {
            sqlx::query(
                "INSERT INTO provisioning_activity
                     (hour, application_id, created, updated, removed, failed, other)
                 VALUES (?, ?, ?, ?, ?, ?, ?)
                 ON CONFLICT (hour, application_id) DO UPDATE SET
                     created = created + excluded.created,
                     updated = updated + excluded.updated,
                     removed = removed + excluded.removed,
                     failed = failed + excluded.failed,
                     other = other + excluded.other",
            )
            .bind(hour)
            .bind(application)
            .bind(c.created)
            .bind(c.updated)
            .bind(c.removed)
            .bind(c.failed)
            .bind(c.other)
            .execute(&mut *conn)
            .await?;
        }
        Ok(())
    }
}

impl SqliteStore {
    /// Records one entry now, with the activity it adds; its id.
    pub(super) async fn record_log_entry(&self, e: &NewLogEntry) -> StoreResult<i64> {
        let mut tx = self.writer.begin().await?;
        let at = Utc::now();
        let id = insert_log(&mut tx, at, e).await?;
        let mut activity = Activity::default();
        activity.add(at, e);
        activity.save(&mut tx).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Records entries in one transaction with the activity they add; each at its own time,
    /// or at the moment it is inserted when `None`. With `in_order`, refuses times that go
    /// back (from one entry to the next, or from the newest entry already recorded).
    pub(super) async fn record_log(
        &self,
        entries: Vec<(Option<DateTime<Utc>>, NewLogEntry)>,
        in_order: bool,
    ) -> StoreResult<()> {
        if entries.is_empty() {
            return Ok(());
        }
        let mut tx = self.writer.begin().await?;
        let mut previous: Option<DateTime<Utc>> = None;
        if in_order {
            previous =
                sqlx::query_scalar("SELECT at FROM provisioning_log ORDER BY id DESC LIMIT 1")
                    .fetch_optional(&mut *tx)
                    .await?;
        }
        let mut activity = Activity::default();
        for (at, e) in &entries {
            let at = at.unwrap_or_else(Utc::now);
            if in_order && previous.is_some_and(|p| at < p) {
                return Err(StoreError::Invalid(format!(
                    "log entry at {at} is older than the one recorded before it"
                )));
            }
            previous = Some(at);
            insert_log(&mut tx, at, e).await?;
            activity.add(at, e);
        }
        activity.save(&mut tx).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Records entries that happened at the given times, in one transaction, as
    /// [`crate::ProvisioningStore::record_provisioning_batch`] records entries that happen
    /// now: for tests and benchmarks that need a log spread over time. Times may not go back,
    /// neither within `entries` nor before the newest entry recorded ([`StoreError::Invalid`]):
    /// the log's date filters rely on ids following time.
    pub async fn record_provisioning_at(
        &self,
        entries: Vec<(DateTime<Utc>, NewLogEntry)>,
    ) -> StoreResult<()> {
        let entries = entries.into_iter().map(|(at, e)| (Some(at), e)).collect();
        self.record_log(entries, true).await
    }

    pub(super) async fn log_entry(&self, id: i64) -> StoreResult<Option<LogEntry>> {
        let row = sqlx::query(&format!(
            "SELECT {LOG_COLUMNS} FROM provisioning_log WHERE id = ?"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(log_entry_from).transpose()
    }

    pub(super) async fn prune_log(
        &self,
        older_than: DateTime<Utc>,
        batch: u32,
    ) -> StoreResult<u64> {
        if batch == 0 {
            return Ok(0);
        }
        let mut tx = self.writer.begin().await?;
        let deleted = sqlx::query(
            "DELETE FROM provisioning_log WHERE id IN (
                 SELECT id FROM provisioning_log INDEXED BY provisioning_log_at_idx
                 WHERE at < ? ORDER BY at LIMIT ?)",
        )
        .bind(older_than)
        .bind(batch)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        // An hour's counters go with the last of its entries, once the whole hour is older
        // than the cut: the chart never shows an hour the log no longer has.
        let oldest_left: Option<DateTime<Utc>> = sqlx::query_scalar(
            "SELECT at FROM provisioning_log INDEXED BY provisioning_log_at_idx
             ORDER BY at LIMIT 1",
        )
        .fetch_optional(&mut *tx)
        .await?;
        let mut keep_from = hour_of(older_than);
        if let Some(oldest) = oldest_left {
            keep_from = keep_from.min(hour_of(oldest));
        }
        sqlx::query("DELETE FROM provisioning_activity WHERE hour < ?")
            .bind(keep_from)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(deleted)
    }

    pub(super) async fn activity(
        &self,
        application: Option<&str>,
        since: DateTime<Utc>,
    ) -> StoreResult<Vec<ActivityBucket>> {
        let rows = sqlx::query(
            "SELECT hour, sum(created) AS created, sum(updated) AS updated,
                    sum(removed) AS removed, sum(failed) AS failed, sum(other) AS other
             FROM provisioning_activity
             WHERE hour >= ?1 AND (?2 IS NULL OR application_id = ?2)
             GROUP BY hour ORDER BY hour",
        )
        .bind(hour_of(since))
        .bind(application)
        .fetch_all(&self.pool)
        .await?;
        let count = |row: &SqliteRow, column: &str| -> StoreResult<u64> {
            let n: i64 = row.try_get(column)?;
            u64::try_from(n).map_err(|_| StoreError::Corrupt(format!("activity {column} {n}")))
        };
        rows.iter()
            .map(|row| {
                Ok(ActivityBucket {
                    hour: row.try_get("hour")?,
                    application_id: application.map(str::to_string),
                    created: count(row, "created")?,
                    updated: count(row, "updated")?,
                    removed: count(row, "removed")?,
                    failed: count(row, "failed")?,
                    other: count(row, "other")?,
                })
            })
            .collect()
    }
}

// ---------------------------------------------------------------------------------------
// Queries

/// A value bound to a statement.
#[derive(Clone, Debug)]
enum Arg {
    Text(String),
    Int(i64),
    Time(DateTime<Utc>),
}

/// SQL text with its arguments, built in step.
#[derive(Clone, Debug, Default)]
struct Sql {
    text: String,
    args: Vec<Arg>,
}

impl Sql {
    fn new(text: &str) -> Self {
        Self {
            text: text.to_string(),
            args: Vec::new(),
        }
    }

    fn push(&mut self, text: &str) -> &mut Self {
        self.text.push_str(text);
        self
    }

    /// A `?` for `arg`.
    fn arg(&mut self, arg: Arg) -> &mut Self {
        self.text.push('?');
        self.args.push(arg);
        self
    }

    fn text(&mut self, value: &str) -> &mut Self {
        self.arg(Arg::Text(value.to_string()))
    }

    fn int(&mut self, value: i64) -> &mut Self {
        self.arg(Arg::Int(value))
    }

    /// `(?, ?, ...)` for `values` (not empty).
    fn list(&mut self, values: &[String]) -> &mut Self {
        self.text.push('(');
        for (i, v) in values.iter().enumerate() {
            if i > 0 {
                self.text.push_str(", ");
            }
            self.text(v);
        }
        self.text.push(')');
        self
    }

    fn append(&mut self, other: &Sql) -> &mut Self {
        self.text.push_str(&other.text);
        self.args.extend(other.args.iter().cloned());
        self
    }

    fn query(&self) -> sqlx::query::Query<'_, Sqlite, SqliteArguments<'_>> {
        let mut query = sqlx::query(&self.text);
        for arg in &self.args {
            query = match arg {
                Arg::Text(v) => query.bind(v.as_str()),
                Arg::Int(v) => query.bind(*v),
                Arg::Time(v) => query.bind(*v),
            };
        }
        query
    }
}

/// Ids from `low` to `high`, both included.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct IdRange {
    low: i64,
    high: i64,
}

/// A prefix search on `source_name COLLATE NOCASE`: names from `low` (the prefix) up to,
/// not including, `high` (the prefix with its last character incremented; `None` when it
/// cannot be). NOCASE folds only ASCII letters, so the range may hold names that do not start
/// with the prefix (incrementing `@` gives `A`, which sorts as `a`): the walk also checks the
/// prefix itself.
fn name_range(prefix: &str) -> (String, Option<String>) {
    let low = prefix.to_ascii_lowercase();
    let mut chars: Vec<char> = low.chars().collect();
    while let Some(last) = chars.pop() {
        let next = (last as u32 + 1..=char::MAX as u32).find_map(char::from_u32);
        if let Some(next) = next {
            chars.push(next);
            return (low, Some(chars.into_iter().collect()));
        }
    }
    (low, None)
}

/// Which index a query walks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Driver {
    Cycle,
    Status,
    Action,
}

/// One index walk: the ids it yields newest first, with every filter checked.
#[derive(Clone, Debug)]
struct Walk {
    /// `None`: the table itself, in id order.
    index: Option<&'static str>,
    /// What this walk finds (with a leading " AND "): constraints on the index's leading
    /// columns, and for the name walk the prefix itself.
    seek: Sql,
}

/// How a [`LogQuery`] is answered: the walks, and what each checks.
#[derive(Debug)]
struct Plan {
    walks: Vec<Walk>,
    /// Every filter, for the rows a walk reads (with a leading " AND ").
    filter: Sql,
    range: IdRange,
    limit: u32,
}

impl Plan {
    /// The statements that yield the page's ids, each a union of up to
    /// [`WALKS_PER_STATEMENT`] walks.
    fn statements(&self) -> Vec<Sql> {
        self.walks
            .chunks(WALKS_PER_STATEMENT)
            .map(|walks| {
                let mut sql = Sql::default();
                for (i, walk) in walks.iter().enumerate() {
                    if i > 0 {
                        sql.push(" UNION ALL ");
                    }
                    sql.push("SELECT id FROM (SELECT id FROM provisioning_log ");
                    match walk.index {
                        Some(index) => sql.push("INDEXED BY ").push(index),
                        None => sql.push("NOT INDEXED"),
                    };
                    sql.push(" WHERE id BETWEEN ")
                        .int(self.range.low)
                        .push(" AND ")
                        .int(self.range.high)
                        .append(&walk.seek)
                        .append(&self.filter)
                        .push(" ORDER BY id DESC LIMIT ")
                        .int(self.limit.into())
                        .push(")");
                }
                sql
            })
            .collect()
    }
}

/// The first id recorded at or after `from`.
fn first_id_from(from: DateTime<Utc>) -> Sql {
    let mut sql =
        Sql::new("SELECT id FROM provisioning_log INDEXED BY provisioning_log_at_idx WHERE at >= ");
    sql.arg(Arg::Time(from)).push(" ORDER BY at, id LIMIT 1");
    sql
}

/// The last id recorded before `to`.
fn last_id_before(to: DateTime<Utc>) -> Sql {
    let mut sql =
        Sql::new("SELECT id FROM provisioning_log INDEXED BY provisioning_log_at_idx WHERE at < ");
    sql.arg(Arg::Time(to))
        .push(" ORDER BY at DESC, id DESC LIMIT 1");
    sql
}

/// The first (`last` false) or last id of a cycle.
fn cycle_end(cycle: &str, last: bool) -> Sql {
    let mut sql = Sql::new(
        "SELECT id FROM provisioning_log INDEXED BY provisioning_log_cycle_idx WHERE cycle_id = ",
    );
    sql.text(cycle).push(if last {
        " ORDER BY id DESC LIMIT 1"
    } else {
        " ORDER BY id LIMIT 1"
    });
    sql
}

/// How many index entries `driver` would walk in `range`, counting no further than
/// [`PROBE_CAP`].
fn probe(driver: Driver, q: &Filters, range: IdRange) -> Sql {
    let mut sql = Sql::new("SELECT count(*) FROM (SELECT 1 FROM provisioning_log ");
    match driver {
        Driver::Cycle => {
            sql.push("INDEXED BY provisioning_log_cycle_idx WHERE cycle_id = ")
                .text(q.cycle.unwrap_or_default());
        }
        Driver::Status | Driver::Action => {
            let (index, column, values) = if driver == Driver::Status {
                ("provisioning_log_status_idx", "status", &q.statuses)
            } else {
                ("provisioning_log_action_idx", "action", &q.actions)
            };
            sql.push("INDEXED BY ")
                .push(index)
                .push(" WHERE application_id ");
            match q.application {
                Some(app) => sql.push("= ").text(app),
                None => sql.push("IN (SELECT id FROM applications)"),
            };
            sql.push(" AND ").push(column).push(" IN ").list(values);
        }
    }
    sql.push(" AND id BETWEEN ")
        .int(range.low)
        .push(" AND ")
        .int(range.high)
        .push(" LIMIT ")
        .int(PROBE_CAP)
        .push(")");
    sql
}

/// A [`LogQuery`]'s filters, cleaned: lists sorted without repeats, blank strings dropped.
struct Filters<'q> {
    application: Option<&'q str>,
    statuses: Vec<String>,
    actions: Vec<String>,
    identity: Option<&'q str>,
    cycle: Option<&'q str>,
}

impl<'q> Filters<'q> {
    fn of(q: &'q LogQuery) -> Self {
        let set = |values: &[String]| {
            let mut values = values.to_vec();
            values.sort();
            values.dedup();
            values
        };
        let given = |value: &'q Option<String>| value.as_deref().filter(|v| !v.is_empty());
        Self {
            application: given(&q.application_id),
            statuses: set(&q.statuses),
            actions: set(&q.actions),
            identity: given(&q.identity),
            cycle: given(&q.cycle_id),
        }
    }

    /// Every filter but identity as conditions on a row (dates included: the id bounds
    /// follow them exactly only while ids follow time). Identity is three walks, each of
    /// which checks its own part: a row another walk finds is not read twice.
    fn conditions(&self, q: &LogQuery) -> Sql {
        let mut sql = Sql::default();
        if let Some(app) = self.application {
            sql.push(" AND application_id = ").text(app);
        }
        if !self.statuses.is_empty() {
            sql.push(" AND status IN ").list(&self.statuses);
        }
        if !self.actions.is_empty() {
            sql.push(" AND action IN ").list(&self.actions);
        }
        if let Some(cycle) = self.cycle {
            sql.push(" AND cycle_id = ").text(cycle);
        }
        if let Some(from) = q.from {
            sql.push(" AND at >= ").arg(Arg::Time(from));
        }
        if let Some(to) = q.to {
            sql.push(" AND at < ").arg(Arg::Time(to));
        }
        sql
    }
}

async fn fetch_id(conn: &mut SqliteConnection, sql: &Sql) -> StoreResult<Option<i64>> {
    match sql.query().fetch_optional(&mut *conn).await? {
        Some(row) => Ok(Some(row.try_get(0)?)),
        None => Ok(None),
    }
}

/// The ids `q` may return, from its paging bounds, change id, dates and cycle; `None` when
/// no entry can match.
async fn id_range(
    conn: &mut SqliteConnection,
    q: &LogQuery,
    filters: &Filters<'_>,
) -> StoreResult<Option<IdRange>> {
    let (Some(mut low), Some(mut high)) = (
        q.after.map_or(Some(0), |after| after.checked_add(1)),
        q.before
            .map_or(Some(i64::MAX), |before| before.checked_sub(1)),
    ) else {
        return Ok(None);
    };
    if let Some(id) = q.change_id {
        low = low.max(id);
        high = high.min(id);
    }
    let mut lookups = Vec::new();
    if let Some(from) = q.from {
        lookups.push((first_id_from(from), true));
    }
    if let Some(to) = q.to {
        lookups.push((last_id_before(to), false));
    }
    if let Some(cycle) = filters.cycle {
        lookups.push((cycle_end(cycle, false), true));
        lookups.push((cycle_end(cycle, true), false));
    }
    for (sql, is_low) in lookups {
        if low > high {
            break;
        }
        match fetch_id(conn, &sql).await? {
            Some(id) if is_low => low = low.max(id),
            Some(id) => high = high.min(id),
            None => return Ok(None),
        }
    }
    Ok((low <= high).then_some(IdRange { low, high }))
}

/// How `q` is answered; `None` when no entry can match.
async fn plan(conn: &mut SqliteConnection, q: &LogQuery) -> StoreResult<Option<Plan>> {
    let filters = Filters::of(q);
    let Some(range) = id_range(conn, q, &filters).await? else {
        return Ok(None);
    };
    // The applications a walk per application covers: one, or all of them (every entry
    // belongs to one: the log's foreign key).
    let applications: Vec<String> = match filters.application {
        Some(app) => vec![app.to_string()],
        None if filters.identity.is_some()
            || !filters.statuses.is_empty()
            || !filters.actions.is_empty() =>
        {
            sqlx::query_scalar("SELECT id FROM applications ORDER BY id")
                .fetch_all(&mut *conn)
                .await?
        }
        None => Vec::new(),
    };
    let per_application = |index: &'static str, column: &str, values: &[String]| {
        let mut walks = Vec::new();
        for app in &applications {
            for value in values {
                let mut seek = Sql::new(" AND application_id = ");
                seek.text(app)
                    .push(" AND ")
                    .push(column)
                    .push(" = ")
                    .text(value);
                walks.push(Walk {
                    index: Some(index),
                    seek,
                });
            }
        }
        walks
    };
    let walks = if let Some(identity) = filters.identity {
        let mut walks = per_application(
            "provisioning_log_source_idx",
            "source_id",
            &[identity.to_string()],
        );
        let mut seek = Sql::new(" AND target_id = ");
        seek.text(identity);
        walks.push(Walk {
            index: Some("provisioning_log_target_idx"),
            seek,
        });
        // The range finds the names; the prefix itself is checked on the index entry.
        let (low, high) = name_range(identity);
        let mut seek = Sql::new(" AND source_name >= ");
        seek.text(&low).push(" COLLATE NOCASE");
        if let Some(high) = high {
            seek.push(" AND source_name < ")
                .text(&high)
                .push(" COLLATE NOCASE");
        }
        seek.push(" AND substr(source_name, 1, ")
            .int(identity.chars().count() as i64)
            .push(") = ")
            .text(identity)
            .push(" COLLATE NOCASE");
        walks.push(Walk {
            index: Some("provisioning_log_name_idx"),
            seek,
        });
        walks
    } else {
        let mut drivers = Vec::new();
        if filters.cycle.is_some() {
            drivers.push(Driver::Cycle);
        }
        if !filters.statuses.is_empty() {
            drivers.push(Driver::Status);
        }
        if !filters.actions.is_empty() {
            drivers.push(Driver::Action);
        }
        let mut driver = drivers.first().copied();
        if drivers.len() > 1 {
            let mut fewest = i64::MAX;
            for candidate in drivers {
                let sql = probe(candidate, &filters, range);
                let count: i64 = sql.query().fetch_one(&mut *conn).await?.try_get(0)?;
                if count < fewest {
                    fewest = count;
                    driver = Some(candidate);
                }
            }
        }
        match (driver, filters.application) {
            (Some(Driver::Cycle), _) => {
                let mut seek = Sql::new(" AND cycle_id = ");
                seek.text(filters.cycle.unwrap_or_default());
                vec![Walk {
                    index: Some("provisioning_log_cycle_idx"),
                    seek,
                }]
            }
            (Some(Driver::Status), _) => {
                per_application("provisioning_log_status_idx", "status", &filters.statuses)
            }
            (Some(Driver::Action), _) => {
                per_application("provisioning_log_action_idx", "action", &filters.actions)
            }
            (None, Some(app)) => {
                let mut seek = Sql::new(" AND application_id = ");
                seek.text(app);
                vec![Walk {
                    index: Some("provisioning_log_app_idx"),
                    seek,
                }]
            }
            (None, None) => vec![Walk {
                index: None,
                seek: Sql::default(),
            }],
        }
    };
    Ok(Some(Plan {
        walks,
        filter: filters.conditions(q),
        range,
        limit: q.limit.clamp(1, MAX_LOG_PAGE),
    }))
}

impl SqliteStore {
    pub(super) async fn query_log(&self, q: &LogQuery) -> StoreResult<Vec<LogEntry>> {
        // One read transaction: bounds, walks and rows from the same snapshot, so a live
        // page's `after` never skips an entry committed between two statements.
        let mut tx = self.pool.begin().await?;
        let Some(plan) = plan(&mut tx, q).await? else {
            return Ok(Vec::new());
        };
        let mut ids: Vec<i64> = Vec::new();
        for sql in plan.statements() {
            for row in sql.query().fetch_all(&mut *tx).await? {
                ids.push(row.try_get(0)?);
            }
        }
        ids.sort_unstable_by(|a, b| b.cmp(a));
        ids.dedup();
        ids.truncate(plan.limit as usize);
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut sql = Sql::new(&format!(
            "SELECT {LOG_COLUMNS} FROM provisioning_log WHERE id IN ("
        ));
        for (i, id) in ids.iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            sql.int(*id);
        }
        sql.push(") ORDER BY id DESC");
        let rows = sql.query().fetch_all(&mut *tx).await?;
        tx.commit().await?;
        rows.iter().map(log_entry_from).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ApplicationStore, ProvisioningStore};
    use chrono::{Duration, TimeZone};
    use sqlx::Row as _;

    /// 2024-05-01 09:00 UTC plus `minutes`.
    fn at(minutes: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2024, 5, 1, 9, 0, 0).unwrap() + Duration::minutes(minutes)
    }

    /// One fixture entry; `label` goes into the message to name it in expectations.
    struct Row {
        label: &'static str,
        app: usize,
        minute: i64,
        action: &'static str,
        status: &'static str,
        source: &'static str,
        name: &'static str,
        target: Option<&'static str>,
        cycle: Option<&'static str>,
    }

    #[rustfmt::skip]
    const ROWS: &[Row] = &[
        Row { label: "e1", app: 0, minute: 0, action: "create", status: "success", source: "u1", name: "Ada Lovelace", target: Some("t1"), cycle: Some("c1") },
        Row { label: "e2", app: 0, minute: 10, action: "create", status: "success", source: "u2", name: "Grace Hopper", target: Some("t2"), cycle: Some("c1") },
        Row { label: "e3", app: 1, minute: 20, action: "create", status: "failure", source: "u1", name: "Ada Lovelace", target: None, cycle: Some("c2") },
        Row { label: "e4", app: 0, minute: 45, action: "update", status: "warning", source: "u1", name: "Ada Lovelace", target: Some("t1"), cycle: Some("c1") },
        Row { label: "e5", app: 0, minute: 59, action: "skip", status: "skipped", source: "u4", name: "adam smith", target: None, cycle: Some("c1") },
        Row { label: "e6", app: 1, minute: 60, action: "create", status: "success", source: "u2", name: "Grace Hopper", target: Some("b2"), cycle: Some("c2") },
        Row { label: "e7", app: 1, minute: 75, action: "create", status: "success", source: "u1", name: "Ada Lovelace", target: Some("b1"), cycle: Some("c2") },
        Row { label: "e8", app: 0, minute: 90, action: "delete", status: "success", source: "u2", name: "Grace Hopper", target: Some("t2"), cycle: None },
        Row { label: "e9", app: 0, minute: 130, action: "staged_delete", status: "success", source: "u3", name: "a@b", target: Some("t3"), cycle: Some("c3") },
        Row { label: "e10", app: 1, minute: 150, action: "update", status: "failure", source: "u1", name: "Ada Lovelace", target: Some("b1"), cycle: Some("c4") },
        Row { label: "e11", app: 0, minute: 170, action: "disable", status: "success", source: "u3", name: "a@b", target: Some("t3"), cycle: Some("c3") },
        Row { label: "e12", app: 1, minute: 179, action: "update", status: "success", source: "u5", name: "Élise Ørsted", target: Some("b5"), cycle: Some("c4") },
        Row { label: "e13", app: 0, minute: 180, action: "create", status: "success", source: "t1", name: "a_b", target: Some("t9"), cycle: Some("c3") },
    ];

    fn entry(apps: &[String], r: &Row) -> NewLogEntry {
        NewLogEntry {
            application_id: apps[r.app].clone(),
            cycle_id: r.cycle.map(str::to_string),
            object_type: Some(crate::ObjectType::User),
            source_id: r.source.into(),
            source_name: r.name.into(),
            target_id: r.target.map(str::to_string),
            action: r.action.into(),
            status: r.status.into(),
            steps: serde_json::json!([]),
            modified: serde_json::json!([]),
            error_code: None,
            message: r.label.into(),
        }
    }

    struct Fixture {
        store: SqliteStore,
        apps: Vec<String>,
        /// Entry ids by label.
        ids: BTreeMap<&'static str, i64>,
    }

    impl Fixture {
        async fn new() -> Self {
            let store = SqliteStore::in_memory().await.unwrap();
            let mut apps = Vec::new();
            for name in ["Wiki", "Chat"] {
                apps.push(
                    store
                        .create_application("custom-scim", name)
                        .await
                        .unwrap()
                        .id,
                );
            }
            // Two batches, the first ending mid-way: ids and times carry on across them.
            let entries: Vec<_> = ROWS
                .iter()
                .map(|r| (at(r.minute), entry(&apps, r)))
                .collect();
            let (first, second) = entries.split_at(5);
            store.record_provisioning_at(first.to_vec()).await.unwrap();
            store.record_provisioning_at(second.to_vec()).await.unwrap();
            let all = store
                .query_provisioning_log(&LogQuery {
                    limit: MAX_LOG_PAGE,
                    ..Default::default()
                })
                .await
                .unwrap();
            let ids = all
                .iter()
                .map(|e| {
                    let row = ROWS.iter().find(|r| r.label == e.entry.message).unwrap();
                    (row.label, e.id)
                })
                .collect();
            Self { store, apps, ids }
        }

        async fn labels(&self, q: &LogQuery) -> Vec<&'static str> {
            self.store
                .query_provisioning_log(q)
                .await
                .unwrap()
                .iter()
                .map(|e| self.label(e.id))
                .collect()
        }

        fn label(&self, id: i64) -> &'static str {
            self.ids
                .iter()
                .find(|(_, i)| **i == id)
                .map(|(label, _)| *label)
                .unwrap()
        }

        fn id(&self, label: &str) -> i64 {
            self.ids[label]
        }
    }

    fn strings(values: &[&str]) -> Vec<String> {
        values.iter().map(|v| v.to_string()).collect()
    }

    #[tokio::test]
    async fn each_filter_returns_exactly_its_entries_newest_first() {
        let f = Fixture::new().await;
        let (a, b) = (Some(f.apps[0].clone()), Some(f.apps[1].clone()));
        let q = LogQuery::default;
        let identity = |s: &str| LogQuery {
            identity: Some(s.into()),
            ..q()
        };
        let window = |from: i64, to: i64| LogQuery {
            from: Some(at(from)),
            to: Some(at(to)),
            ..q()
        };
        #[rustfmt::skip]
        let cases: Vec<(&str, LogQuery, &[&str])> = vec![
            ("everything", q(), &["e13", "e12", "e11", "e10", "e9", "e8", "e7", "e6", "e5", "e4", "e3", "e2", "e1"]),
            ("limit", LogQuery { limit: 2, ..q() }, &["e13", "e12"]),
            ("limit 0 is 1", LogQuery { limit: 0, ..q() }, &["e13"]),
            ("application", LogQuery { application_id: a.clone(), ..q() }, &["e13", "e11", "e9", "e8", "e5", "e4", "e2", "e1"]),
            ("unknown application", LogQuery { application_id: Some("nope".into()), ..q() }, &[]),
            ("failures", LogQuery { statuses: strings(&["failure"]), ..q() }, &["e10", "e3"]),
            ("failures of an application without any", LogQuery { application_id: a.clone(), statuses: strings(&["failure"]), ..q() }, &[]),
            ("failures of an application", LogQuery { application_id: b.clone(), statuses: strings(&["failure"]), ..q() }, &["e10", "e3"]),
            ("two statuses", LogQuery { statuses: strings(&["warning", "failure", "warning"]), ..q() }, &["e10", "e4", "e3"]),
            ("unknown status", LogQuery { statuses: strings(&["nope"]), ..q() }, &[]),
            ("removals", LogQuery { actions: strings(&["delete", "disable"]), ..q() }, &["e11", "e8"]),
            ("successful creates", LogQuery { actions: strings(&["create"]), statuses: strings(&["success"]), ..q() }, &["e13", "e7", "e6", "e2", "e1"]),
            ("updates of an application", LogQuery { application_id: b.clone(), actions: strings(&["update"]), ..q() }, &["e12", "e10"]),
            ("an hour", window(60, 120), &["e8", "e7", "e6"]),
            ("from is included, to is not", window(59, 60), &["e5"]),
            ("between two entries", window(21, 44), &[]),
            ("before everything", LogQuery { to: Some(at(0)), ..q() }, &[]),
            ("after everything", LogQuery { from: Some(at(181)), ..q() }, &[]),
            ("from only", LogQuery { from: Some(at(170)), ..q() }, &["e13", "e12", "e11"]),
            ("to only", LogQuery { to: Some(at(20)), ..q() }, &["e2", "e1"]),
            ("source id", identity("u1"), &["e10", "e7", "e4", "e3", "e1"]),
            ("source id or target id", identity("t1"), &["e13", "e4", "e1"]),
            ("target id", identity("b1"), &["e10", "e7"]),
            ("name prefix", identity("ada"), &["e10", "e7", "e5", "e4", "e3", "e1"]),
            ("name prefix in another case", identity("ADA L"), &["e10", "e7", "e4", "e3", "e1"]),
            ("whole name", identity("grace hopper"), &["e8", "e6", "e2"]),
            ("non-ASCII letters keep their case", identity("élise"), &[]),
            ("non-ASCII prefix", identity("Élise Ø"), &["e12"]),
            ("a prefix ending in @", identity("a@"), &["e11", "e9"]),
            ("no LIKE wildcards", identity("a_"), &["e13"]),
            ("no LIKE wildcards either", identity("%"), &[]),
            ("a name inside, not at the start", identity("lovelace"), &[]),
            ("identity in an application", LogQuery { application_id: b.clone(), identity: Some("u1".into()), ..q() }, &["e10", "e7", "e3"]),
            ("identity and status", LogQuery { identity: Some("u1".into()), statuses: strings(&["failure"]), ..q() }, &["e10", "e3"]),
            ("cycle", LogQuery { cycle_id: Some("c1".into()), ..q() }, &["e5", "e4", "e2", "e1"]),
            ("cycle and status", LogQuery { cycle_id: Some("c1".into()), statuses: strings(&["warning"]), ..q() }, &["e4"]),
            ("cycle, status and action", LogQuery { cycle_id: Some("c3".into()), statuses: strings(&["success"]), actions: strings(&["disable"]), ..q() }, &["e11"]),
            ("unknown cycle", LogQuery { cycle_id: Some("nope".into()), ..q() }, &[]),
            ("change id", LogQuery { change_id: Some(f.id("e6")), ..q() }, &["e6"]),
            ("change id of another application", LogQuery { change_id: Some(f.id("e6")), application_id: a.clone(), ..q() }, &[]),
            ("change id beyond before", LogQuery { change_id: Some(f.id("e6")), before: Some(f.id("e6")), ..q() }, &[]),
            ("application, status and dates", LogQuery { application_id: a.clone(), statuses: strings(&["success"]), from: Some(at(0)), to: Some(at(120)), ..q() }, &["e8", "e2", "e1"]),
            ("before", LogQuery { before: Some(f.id("e3")), ..q() }, &["e2", "e1"]),
            ("after", LogQuery { after: Some(f.id("e11")), ..q() }, &["e13", "e12"]),
            ("after and before", LogQuery { after: Some(f.id("e2")), before: Some(f.id("e5")), ..q() }, &["e4", "e3"]),
            ("extreme bounds", LogQuery { after: Some(i64::MAX), ..q() }, &[]),
            ("extreme bounds too", LogQuery { before: Some(i64::MIN), ..q() }, &[]),
        ];
        for (name, query, want) in cases {
            assert_eq!(f.labels(&query).await, want, "{name}: {query:?}");
        }
    }

    /// The entries `q` must return, by brute force.
    fn expected(f: &Fixture, q: &LogQuery) -> Vec<&'static str> {
        let mut rows: Vec<&Row> = ROWS
            .iter()
            .filter(|r| {
                let id = f.id(r.label);
                let identity = q.identity.as_deref().is_none_or(|i| {
                    r.source == i
                        || r.target == Some(i)
                        || r.name
                            .to_ascii_lowercase()
                            .starts_with(&i.to_ascii_lowercase())
                });
                q.application_id
                    .as_ref()
                    .is_none_or(|a| *a == f.apps[r.app])
                    && (q.statuses.is_empty() || q.statuses.iter().any(|s| s == r.status))
                    && (q.actions.is_empty() || q.actions.iter().any(|a| a == r.action))
                    && q.from.is_none_or(|from| at(r.minute) >= from)
                    && q.to.is_none_or(|to| at(r.minute) < to)
                    && identity
                    && q.cycle_id.as_deref().is_none_or(|c| r.cycle == Some(c))
                    && q.before.is_none_or(|b| id < b)
                    && q.after.is_none_or(|a| id > a)
            })
            .collect();
        rows.sort_by_key(|r| std::cmp::Reverse(f.id(r.label)));
        rows.iter().map(|r| r.label).collect()
    }

    #[tokio::test]
    async fn every_combination_of_filters_pages_back_without_gaps_or_repeats() {
        let f = Fixture::new().await;
        let apps = [None, Some(f.apps[0].clone()), Some(f.apps[1].clone())];
        let statuses = [
            strings(&[]),
            strings(&["failure"]),
            strings(&["success", "warning"]),
        ];
        let actions = [
            strings(&[]),
            strings(&["create"]),
            strings(&["update", "disable"]),
        ];
        let identities = [None, Some("u1"), Some("ada"), Some("t1")];
        let cycles = [None, Some("c1"), Some("c4")];
        let windows = [None, Some((30, 160))];
        let mut checked = 0;
        for app in &apps {
            for status in &statuses {
                for action in &actions {
                    for identity in identities {
                        for cycle in cycles {
                            for window in windows {
                                let mut q = LogQuery {
                                    application_id: app.clone(),
                                    statuses: status.clone(),
                                    actions: action.clone(),
                                    identity: identity.map(str::to_string),
                                    cycle_id: cycle.map(str::to_string),
                                    from: window.map(|(from, _)| at(from)),
                                    to: window.map(|(_, to)| at(to)),
                                    limit: 2,
                                    ..Default::default()
                                };
                                let want = expected(&f, &q);
                                let mut got = Vec::new();
                                loop {
                                    let page = f.store.query_provisioning_log(&q).await.unwrap();
                                    assert!(page.len() <= 2);
                                    let Some(last) = page.last() else { break };
                                    q.before = Some(last.id);
                                    got.extend(page.iter().map(|e| f.label(e.id)));
                                }
                                assert_eq!(got, want, "{q:?}");
                                checked += 1;
                            }
                        }
                    }
                }
            }
        }
        assert_eq!(checked, 3 * 3 * 3 * 4 * 3 * 2);
    }

    #[tokio::test]
    async fn a_live_page_gets_what_is_new_and_fills_the_gap_when_a_page_was_full() {
        let f = Fixture::new().await;
        // The live page holds up to e4; three entries a page.
        let newest = f.id("e4");
        let mut q = LogQuery {
            after: Some(newest),
            limit: 3,
            ..Default::default()
        };
        let mut got = Vec::new();
        loop {
            let page = f.store.query_provisioning_log(&q).await.unwrap();
            got.extend(page.iter().map(|e| f.label(e.id)));
            if page.len() < 3 {
                break;
            }
            q.before = page.last().map(|e| e.id);
        }
        assert_eq!(
            got,
            ["e13", "e12", "e11", "e10", "e9", "e8", "e7", "e6", "e5"]
        );
        // Nothing new since the newest.
        let q = LogQuery {
            after: Some(f.id("e13")),
            ..Default::default()
        };
        assert!(f.store.query_provisioning_log(&q).await.unwrap().is_empty());
    }

    #[tokio::test]
    async fn one_entry_by_id() {
        let f = Fixture::new().await;
        let e = f
            .store
            .provisioning_log_entry(f.id("e9"))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(e.entry, entry(&f.apps, &ROWS[8]));
        assert_eq!(e.at, at(130));
        assert!(f.store.provisioning_log_entry(0).await.unwrap().is_none());
    }

    #[tokio::test]
    async fn times_of_recorded_entries_may_not_go_back() {
        let f = Fixture::new().await;
        let e = entry(&f.apps, &ROWS[0]);
        let err = f
            .store
            .record_provisioning_at(vec![(at(179), e.clone())])
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::Invalid(_)), "{err:?}");
        let err = f
            .store
            .record_provisioning_at(vec![(at(200), e.clone()), (at(190), e.clone())])
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::Invalid(_)), "{err:?}");
        f.store
            .record_provisioning_at(vec![(at(180), e.clone()), (at(180), e)])
            .await
            .unwrap();
    }

    fn bucket(app: Option<&str>, minute: i64, counts: [u64; 5]) -> ActivityBucket {
        let [created, updated, removed, failed, other] = counts;
        ActivityBucket {
            hour: at(minute),
            application_id: app.map(str::to_string),
            created,
            updated,
            removed,
            failed,
            other,
        }
    }

    #[tokio::test]
    async fn activity_counts_each_entry_once_in_its_hour() {
        let f = Fixture::new().await;
        let (a, b) = (f.apps[0].as_str(), f.apps[1].as_str());
        // Counts: created, updated, removed, failed, other.
        assert_eq!(
            f.store.provisioning_activity(Some(a), at(0)).await.unwrap(),
            [
                // e1, e2 created; e4 a warning update; e5 skipped.
                bucket(Some(a), 0, [2, 1, 0, 0, 1]),
                // e8 deleted.
                bucket(Some(a), 60, [0, 0, 1, 0, 0]),
                // e9 staged; e11 disabled.
                bucket(Some(a), 120, [0, 0, 1, 0, 1]),
                bucket(Some(a), 180, [1, 0, 0, 0, 0]),
            ]
        );
        assert_eq!(
            f.store.provisioning_activity(Some(b), at(0)).await.unwrap(),
            [
                // e3 a failed create: failed only.
                bucket(Some(b), 0, [0, 0, 0, 1, 0]),
                bucket(Some(b), 60, [2, 0, 0, 0, 0]),
                // e10 a failed update, e12 an update.
                bucket(Some(b), 120, [0, 1, 0, 1, 0]),
            ]
        );
        // Summed over applications, from the hour that holds `since`.
        assert_eq!(
            f.store.provisioning_activity(None, at(100)).await.unwrap(),
            [
                bucket(None, 60, [2, 0, 1, 0, 0]),
                bucket(None, 120, [0, 1, 1, 1, 1]),
                bucket(None, 180, [1, 0, 0, 0, 0]),
            ]
        );
        assert!(f
            .store
            .provisioning_activity(None, at(240))
            .await
            .unwrap()
            .is_empty());

        // One batch across two hours adds to both, once.
        let new = |action: &str, status: &str| NewLogEntry {
            action: action.into(),
            status: status.into(),
            ..entry(&f.apps, &ROWS[0])
        };
        f.store
            .record_provisioning_at(vec![
                (at(230), new("update", "success")),
                (at(239), new("create", "failure")),
                (at(240), new("delete", "success")),
                (at(241), new("update", "skipped")),
                (at(242), new("update", "success")),
            ])
            .await
            .unwrap();
        assert_eq!(
            f.store
                .provisioning_activity(Some(a), at(200))
                .await
                .unwrap(),
            [
                bucket(Some(a), 180, [1, 1, 0, 1, 0]),
                bucket(Some(a), 240, [0, 1, 1, 0, 1]),
            ]
        );
    }

    #[tokio::test]
    async fn entries_recorded_now_add_to_the_current_hour() {
        let f = Fixture::new().await;
        let before = Utc::now();
        let mut e = entry(&f.apps, &ROWS[0]);
        f.store.record_provisioning(e.clone()).await.unwrap();
        e.status = "failure".into();
        f.store
            .record_provisioning_batch(vec![e.clone(), e])
            .await
            .unwrap();
        let buckets = f
            .store
            .provisioning_activity(Some(&f.apps[0]), before)
            .await
            .unwrap();
        let total: (u64, u64) = buckets
            .iter()
            .fold((0, 0), |(c, x), b| (c + b.created, x + b.failed));
        assert_eq!(total, (1, 2), "{buckets:?}");
        assert!(buckets
            .iter()
            .all(|b| b.hour <= Utc::now() && b.hour > before - Duration::hours(1)));
    }

    #[test]
    fn the_counting_rule() {
        use ActivityKind::*;
        let cases = [
            ("create", "success", Created),
            ("create", "warning", Created),
            ("create", "failure", Failed),
            ("create", "skipped", Other),
            ("update", "success", Updated),
            ("disable", "success", Removed),
            ("delete", "warning", Removed),
            ("delete", "failure", Failed),
            ("staged_delete", "success", Other),
            ("skip", "skipped", Other),
            ("skip", "failure", Failed),
            ("something new", "success", Other),
        ];
        for (action, status, want) in cases {
            assert_eq!(ActivityKind::of(action, status), want, "{action} {status}");
        }
    }

    #[tokio::test]
    async fn the_migration_counts_older_entries_as_recording_does() {
        // A database as it was before 0016, with the fixture's entries in its log.
        let options = sqlx::sqlite::SqliteConnectOptions::new()
            .in_memory(true)
            .foreign_keys(false);
        let pool = sqlx::sqlite::SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options)
            .await
            .unwrap();
        let mut latest = None;
        for migration in super::super::MIGRATOR.iter() {
            if migration.version < 16 {
                sqlx::raw_sql(&migration.sql).execute(&pool).await.unwrap();
            } else if migration.version == 16 {
                latest = Some(migration.sql.clone());
            }
        }
        let f = Fixture::new().await;
        for r in ROWS {
            let e = entry(&f.apps, r);
            let mut conn = pool.acquire().await.unwrap();
            insert_log(&mut conn, at(r.minute), &e).await.unwrap();
        }
        sqlx::raw_sql(&latest.unwrap())
            .execute(&pool)
            .await
            .unwrap();
        let table = "SELECT hour, application_id, created, updated, removed, failed, other
                     FROM provisioning_activity ORDER BY hour, application_id";
        let read = |rows: Vec<SqliteRow>| -> Vec<(String, String, [i64; 5])> {
            rows.iter()
                .map(|row| {
                    let n = |c: &str| row.try_get::<i64, _>(c).unwrap();
                    (
                        row.try_get("hour").unwrap(),
                        row.try_get("application_id").unwrap(),
                        [
                            n("created"),
                            n("updated"),
                            n("removed"),
                            n("failed"),
                            n("other"),
                        ],
                    )
                })
                .collect()
        };
        let migrated = read(sqlx::query(table).fetch_all(&pool).await.unwrap());
        let recorded = read(sqlx::query(table).fetch_all(&f.store.pool).await.unwrap());
        assert_eq!(migrated.len(), 7);
        assert_eq!(migrated, recorded);
    }

    #[tokio::test]
    async fn pruning_deletes_the_oldest_entries_a_batch_at_a_time() {
        let f = Fixture::new().await;
        let (a, b) = (f.apps[0].as_str(), f.apps[1].as_str());
        let remaining = || async {
            f.labels(&LogQuery {
                limit: MAX_LOG_PAGE,
                ..Default::default()
            })
            .await
        };
        assert_eq!(f.store.prune_provisioning_log(at(60), 0).await.unwrap(), 0);
        assert_eq!(f.store.prune_provisioning_log(at(60), 2).await.unwrap(), 2);
        assert_eq!(
            remaining().await,
            ["e13", "e12", "e11", "e10", "e9", "e8", "e7", "e6", "e5", "e4", "e3"]
        );
        // The hour still has entries: its counters stay.
        assert_eq!(
            f.store.provisioning_activity(Some(a), at(0)).await.unwrap()[0],
            bucket(Some(a), 0, [2, 1, 0, 0, 1])
        );
        assert_eq!(f.store.prune_provisioning_log(at(60), 2).await.unwrap(), 2);
        assert_eq!(f.store.prune_provisioning_log(at(60), 2).await.unwrap(), 1);
        assert_eq!(f.store.prune_provisioning_log(at(60), 2).await.unwrap(), 0);
        assert_eq!(
            remaining().await,
            ["e13", "e12", "e11", "e10", "e9", "e8", "e7", "e6"]
        );
        assert_eq!(
            f.store.provisioning_activity(None, at(0)).await.unwrap()[0],
            bucket(None, 60, [2, 0, 1, 0, 0]),
            "the hour is gone with its last entry"
        );
        // A cut inside an hour keeps that hour's counters.
        assert_eq!(f.store.prune_provisioning_log(at(90), 10).await.unwrap(), 2);
        assert_eq!(remaining().await.last(), Some(&"e8"));
        assert_eq!(
            f.store.provisioning_activity(Some(b), at(0)).await.unwrap()[0],
            bucket(Some(b), 60, [2, 0, 0, 0, 0])
        );
    }

    /// The plan of each statement, one line per step.
    async fn explain(conn: &mut SqliteConnection, sql: &Sql) -> Vec<String> {
        let mut explained = sql.clone();
        explained.text = format!("EXPLAIN QUERY PLAN {}", sql.text);
        explained
            .query()
            .fetch_all(&mut *conn)
            .await
            .unwrap()
            .iter()
            .map(|row| row.try_get("detail").unwrap())
            .collect()
    }

    /// Whether a plan reads the log or the rollup whole, or sorts what it read.
    fn reads_everything_or_sorts(plan: &[String]) -> bool {
        plan.iter().any(|d| {
            d.starts_with("SCAN provisioning_log")
                || d.starts_with("SCAN provisioning_activity")
                || d.contains("TEMP B-TREE")
        })
    }

    #[tokio::test]
    async fn every_statement_walks_an_index_without_sorting() {
        let f = Fixture::new().await;
        let mut conn = f.store.pool.acquire().await.unwrap();
        let a = Some(f.apps[0].clone());
        let q = LogQuery::default;
        let queries = [
            q(),
            LogQuery {
                application_id: a.clone(),
                ..q()
            },
            LogQuery {
                statuses: strings(&["failure", "warning"]),
                ..q()
            },
            LogQuery {
                application_id: a.clone(),
                statuses: strings(&["failure"]),
                ..q()
            },
            LogQuery {
                actions: strings(&["delete"]),
                ..q()
            },
            LogQuery {
                application_id: a.clone(),
                actions: strings(&["create"]),
                ..q()
            },
            LogQuery {
                from: Some(at(30)),
                to: Some(at(90)),
                before: Some(f.id("e6")),
                ..q()
            },
            LogQuery {
                identity: Some("ada".into()),
                ..q()
            },
            LogQuery {
                application_id: a.clone(),
                identity: Some("u1".into()),
                ..q()
            },
            LogQuery {
                cycle_id: Some("c1".into()),
                ..q()
            },
            LogQuery {
                cycle_id: Some("c1".into()),
                statuses: strings(&["failure"]),
                actions: strings(&["skip"]),
                ..q()
            },
            LogQuery {
                change_id: Some(f.id("e3")),
                ..q()
            },
            LogQuery {
                application_id: a.clone(),
                statuses: strings(&["success"]),
                from: Some(at(0)),
                to: Some(at(120)),
                ..q()
            },
            LogQuery {
                after: Some(f.id("e10")),
                ..q()
            },
        ];
        for query in &queries {
            let filters = Filters::of(query);
            let plan = plan(&mut conn, query).await.unwrap().unwrap();
            let range = plan.range;
            // Each walk on its own: only the name walk sorts (what one prefix matches).
            for walk in &plan.walks {
                let single = Plan {
                    walks: vec![walk.clone()],
                    filter: plan.filter.clone(),
                    range,
                    limit: plan.limit,
                };
                let sql = &single.statements()[0];
                let steps = explain(&mut conn, sql).await;
                let sorts = walk.index == Some("provisioning_log_name_idx");
                if sorts && query.application_id.is_none() {
                    assert!(
                        steps.iter().any(|d| d.contains("COVERING INDEX")),
                        "a prefix alone is answered by the index entries: {steps:?}"
                    );
                }
                assert!(
                    steps
                        .iter()
                        .all(|d| !d.starts_with("SCAN provisioning_log")),
                    "{query:?}: {steps:?}"
                );
                assert_eq!(
                    steps.iter().any(|d| d.contains("TEMP B-TREE")),
                    sorts,
                    "{query:?}: {steps:?}"
                );
            }
            let mut lookups = Vec::new();
            if let Some(from) = query.from {
                lookups.push(first_id_from(from));
            }
            if let Some(to) = query.to {
                lookups.push(last_id_before(to));
            }
            if let Some(cycle) = filters.cycle {
                lookups.push(cycle_end(cycle, false));
                lookups.push(cycle_end(cycle, true));
            }
            for driver in [Driver::Cycle, Driver::Status, Driver::Action] {
                let given = match driver {
                    Driver::Cycle => filters.cycle.is_some(),
                    Driver::Status => !filters.statuses.is_empty(),
                    Driver::Action => !filters.actions.is_empty(),
                };
                if given {
                    lookups.push(probe(driver, &filters, range));
                }
            }
            for sql in &lookups {
                let steps = explain(&mut conn, sql).await;
                assert!(
                    !reads_everything_or_sorts(&steps),
                    "{}: {steps:?}",
                    sql.text
                );
            }
        }
        for (sql, bind_app) in [
            // The chart, of one application and of all.
            ("SELECT hour, sum(created) FROM provisioning_activity WHERE hour >= ?1 AND (?2 IS NULL OR application_id = ?2) GROUP BY hour ORDER BY hour", true),
            ("SELECT hour, sum(created) FROM provisioning_activity WHERE hour >= ?1 AND (?2 IS NULL OR application_id = ?2) GROUP BY hour ORDER BY hour", false),
            // Retention.
            ("SELECT id FROM provisioning_log INDEXED BY provisioning_log_at_idx WHERE at < ?1 ORDER BY at LIMIT 100", false),
        ] {
            let steps: Vec<String> = sqlx::query(&format!("EXPLAIN QUERY PLAN {sql}"))
                .bind(at(0))
                .bind(bind_app.then(|| f.apps[0].clone()))
                .fetch_all(&mut *conn)
                .await
                .unwrap()
                .iter()
                .map(|row| row.try_get("detail").unwrap())
                .collect();
            assert!(!reads_everything_or_sorts(&steps), "{sql}: {steps:?}");
        }
    }

    #[test]
    fn name_ranges_end_after_every_name_with_the_prefix() {
        let cases = [
            ("Ada", "ada", Some("adb")),
            ("a@", "a@", Some("aA")),
            ("z", "z", Some("{")),
            ("é", "é", Some("ê")),
            ("a\u{D7FF}", "a\u{D7FF}", Some("a\u{E000}")),
            ("a\u{10FFFF}", "a\u{10FFFF}", Some("b")),
            ("\u{10FFFF}", "\u{10FFFF}", None),
        ];
        for (prefix, low, high) in cases {
            assert_eq!(
                name_range(prefix),
                (low.to_string(), high.map(str::to_string)),
                "{prefix:?}"
            );
        }
    }
}
