//! What the provisioning engine persists: links between directory objects and their target
//! objects (with a fingerprint of what was sent), and the provisioning log.

use crate::{ObjectType, StoreResult};
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

/// A filtered read of the provisioning log (TEMPORARY: replaced by the logs-store branch).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct LogQuery {
    pub application_id: Option<String>,
    pub statuses: Vec<String>,
    pub actions: Vec<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub identity: Option<String>,
    pub cycle_id: Option<String>,
    pub change_id: Option<i64>,
    pub before: Option<i64>,
    pub after: Option<i64>,
    pub limit: u32,
}

/// Activity in one hour.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ActivityBucket {
    pub hour: DateTime<Utc>,
    pub created: u64,
    pub updated: u64,
    pub removed: u64,
    pub failed: u64,
    pub other: u64,
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
    async fn query_provisioning_log(&self, q: &LogQuery) -> StoreResult<Vec<LogEntry>>;
    async fn provisioning_log_entry(&self, id: i64) -> StoreResult<Option<LogEntry>>;
    async fn prune_provisioning_log(
        &self,
        older_than: DateTime<Utc>,
        batch: u32,
    ) -> StoreResult<u64>;
    async fn provisioning_activity(
        &self,
        application: Option<&str>,
        since: DateTime<Utc>,
    ) -> StoreResult<Vec<ActivityBucket>>;
}
