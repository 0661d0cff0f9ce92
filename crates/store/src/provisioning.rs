//! What the provisioning engine persists: links between directory objects and their target
//! objects (with a fingerprint of what was sent), and the provisioning log with the queries
//! of the portal's Logs page, its retention and its hourly activity.

use crate::{ObjectType, StoreError, StoreResult};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A directory object's counterpart in one application.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Link {
    pub application_id: String,
    pub object_type: ObjectType,
    pub source_id: String,
    pub target_id: String,
    /// A hash per target path of what was last sent (steward-sync's `Fingerprint`, as JSON).
    pub fingerprint: serde_json::Value,
    /// Whether Steward left the target object enabled.
    pub active: bool,
    pub updated_at: DateTime<Utc>,
    /// What was last sent per target path, as logs may show it (redacted values hidden).
    #[serde(default)]
    pub sent: serde_json::Value,
    /// What the last complete run was based on (the engine's key: directory version,
    /// application version, assignment); `None` when the next run must map the object again.
    #[serde(default)]
    pub basis: Option<String>,
}

/// One write to a link, as a cycle collects them for its page.
#[derive(Debug, Clone, PartialEq)]
pub enum LinkWrite {
    /// Create or replace the link of `source_id` (as [`ProvisioningStore::save_link`]).
    Save(Link),
    /// Record the basis of an existing link (as [`ProvisioningStore::set_link_basis`]).
    Basis {
        application_id: String,
        object_type: ObjectType,
        source_id: String,
        basis: Option<String>,
    },
}

impl LinkWrite {
    /// The directory object the write is about.
    pub fn source_id(&self) -> &str {
        match self {
            LinkWrite::Save(link) => &link.source_id,
            LinkWrite::Basis { source_id, .. } => source_id,
        }
    }
}

/// One provisioning log entry to record.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct NewLogEntry {
    pub application_id: String,
    pub cycle_id: Option<String>,
    pub object_type: Option<ObjectType>,
    pub source_id: String,
    pub source_name: String,
    pub target_id: Option<String>,
    /// create, update, disable, delete, staged_delete, skip.
    pub action: String,
    /// success, failure, skipped, warning.
    pub status: String,
    /// The steps that led to the action (JSON array).
    pub steps: serde_json::Value,
    /// Modified properties (JSON array of {path, old, new}).
    pub modified: serde_json::Value,
    pub error_code: Option<String>,
    pub message: String,
}

/// A recorded provisioning log entry.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LogEntry {
    pub id: i64,
    pub at: DateTime<Utc>,
    #[serde(flatten)]
    pub entry: NewLogEntry,
}

/// The most entries one page of [`LogQuery`] returns.
pub const MAX_LOG_PAGE: u32 = 1000;

/// What the Logs page asks of the provisioning log. Filters combine with AND, the values of
/// one list with OR; an empty list, `None` or an empty string does not filter. Entries come
/// newest first (id descending).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct LogQuery {
    pub application_id: Option<String>,
    /// Any of success, failure, skipped, warning.
    pub statuses: Vec<String>,
    /// Any of create, update, disable, delete, staged_delete, skip.
    pub actions: Vec<String>,
    /// Entries recorded at or after this time.
    pub from: Option<DateTime<Utc>>,
    /// Entries recorded before this time.
    pub to: Option<DateTime<Utc>>,
    /// Entries of one object: its source id or its target id, exactly, or a source name that
    /// starts with this. The name comparison ignores case for ASCII letters only (`ada`
    /// finds "Ada Lovelace", `élise` does not find "Élise").
    pub identity: Option<String>,
    /// Entries of one provisioning cycle.
    pub cycle_id: Option<String>,
    /// The entry with this id (the change id the portal shows).
    pub change_id: Option<i64>,
    /// Only entries with a smaller id: the last id of the page before (paging back).
    pub before: Option<i64>,
    /// Only entries with a larger id: the newest id a live page holds (what is new). Still
    /// newest first: a full page means there may be more between `after` and the page,
    /// fetched with `before` set to the page's last id.
    pub after: Option<i64>,
    /// At most this many entries; 0 counts as 1, more than [`MAX_LOG_PAGE`] as that.
    pub limit: u32,
}

impl Default for LogQuery {
    /// Every entry, a page of 50.
    fn default() -> Self {
        Self {
            application_id: None,
            statuses: Vec::new(),
            actions: Vec::new(),
            from: None,
            to: None,
            identity: None,
            cycle_id: None,
            change_id: None,
            before: None,
            after: None,
            limit: 50,
        }
    }
}

/// What happened in one UTC hour, for the activity chart. Each entry counts once: see
/// [`ActivityKind::of`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActivityBucket {
    /// The start of the hour.
    pub hour: DateTime<Utc>,
    /// The application, or `None` when the bucket sums every application.
    pub application_id: Option<String>,
    pub created: u64,
    pub updated: u64,
    /// Disables and deletes.
    pub removed: u64,
    pub failed: u64,
    /// Skips, no-ops and staged deletes (sent later, counted then as removed).
    pub other: u64,
}

/// The counter of the activity chart an entry adds to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ActivityKind {
    Created,
    Updated,
    Removed,
    Failed,
    Other,
}

impl ActivityKind {
    /// A failure counts as failed whatever its action (a failed create created nothing); a
    /// skipped entry as other whatever its action; otherwise the action decides: create,
    /// update, disable or delete (removed), and anything else (skip, staged_delete) is other.
    /// A warning counts as its action: the change was made.
    ///
    /// The SQLite migration that fills the rollup from older entries
    /// (`0016_provisioning_log_queries.sql`) repeats this rule in SQL.
    pub fn of(action: &str, status: &str) -> Self {
        match (status, action) {
            ("failure", _) => Self::Failed,
            ("skipped", _) => Self::Other,
            (_, "create") => Self::Created,
            (_, "update") => Self::Updated,
            (_, "disable" | "delete") => Self::Removed,
            _ => Self::Other,
        }
    }
}

#[async_trait]
pub trait ProvisioningStore: Send + Sync {
    async fn link(
        &self,
        application: &str,
        object_type: ObjectType,
        source_id: &str,
    ) -> StoreResult<Option<Link>>;
    /// The link of a target object, if a directory object is linked to it.
    async fn link_by_target(
        &self,
        application: &str,
        object_type: ObjectType,
        target_id: &str,
    ) -> StoreResult<Option<Link>>;
    /// Creates or replaces the link of `link.source_id`.
    async fn save_link(&self, link: &Link) -> StoreResult<()>;
    /// Applies a page's link writes in one transaction (a cycle writes each page's links
    /// at once, not one commit per object). A write refused on its own (an account already
    /// linked to another directory object) is left out and returned with the reason; the
    /// others are saved.
    async fn save_links(&self, writes: &[LinkWrite]) -> StoreResult<Vec<(String, StoreError)>>;
    /// Records what the link's last complete run was based on.
    async fn set_link_basis(
        &self,
        application: &str,
        object_type: ObjectType,
        source_id: &str,
        basis: Option<&str>,
    ) -> StoreResult<()>;
    async fn remove_link(
        &self,
        application: &str,
        object_type: ObjectType,
        source_id: &str,
    ) -> StoreResult<()>;
    async fn record_provisioning(&self, entry: NewLogEntry) -> StoreResult<i64>;
    /// Records several entries in one transaction.
    async fn record_provisioning_batch(&self, entries: Vec<NewLogEntry>) -> StoreResult<()>;
    /// Newest first, optionally for one directory object; `before` pages back.
    async fn provisioning_log(
        &self,
        application: &str,
        source_id: Option<&str>,
        before: Option<i64>,
        limit: u32,
    ) -> StoreResult<Vec<LogEntry>>;
    /// The entries that match `query`, newest first. Pages stay fast however large the log:
    /// each filter is answered by an index walked in id order.
    async fn query_provisioning_log(&self, query: &LogQuery) -> StoreResult<Vec<LogEntry>>;
    async fn provisioning_log_entry(&self, id: i64) -> StoreResult<Option<LogEntry>>;
    /// Deletes at most `batch` of the oldest entries recorded before `older_than`; how many
    /// it deleted. Call it until it returns 0: each call is one short write.
    async fn prune_provisioning_log(
        &self,
        older_than: DateTime<Utc>,
        batch: u32,
    ) -> StoreResult<u64>;
    /// Entries per UTC hour from the hour that holds `since`, oldest first, only hours with
    /// entries; of one application, or summed over all of them when `application` is `None`.
    /// Read from counters kept as entries are recorded, not from the log.
    async fn provisioning_activity(
        &self,
        application: Option<&str>,
        since: DateTime<Utc>,
    ) -> StoreResult<Vec<ActivityBucket>>;
}
