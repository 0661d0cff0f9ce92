//! Enterprise applications as stored: name, gallery entry, provisioning mode, settings and
//! credentials. What a gallery entry means (its fields, mappings) is steward-gallery's; the
//! store keeps the instance.

use crate::{Member, MemberType, Page, StoreResult};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Application {
    pub id: String,
    pub gallery_id: String,
    pub name: String,
    /// "manual" or "automatic".
    pub provisioning_mode: String,
    pub settings: serde_json::Value,
    /// The saved attribute mappings and scoping filters (JSON, as steward-gallery's
    /// `AppMappings`); `None` while the gallery entry's defaults apply.
    pub mappings: Option<serde_json::Value>,
    /// Set when mappings or scope changed: the next cycle re-evaluates every object.
    pub full_sync_required: bool,
    /// E-mail addresses of the admins responsible for the application.
    pub owners: Vec<String>,
    /// The app roles assignments may carry; always includes "User".
    pub roles: Vec<String>,
    /// The attributes the target's `/Schemas` offered when last read (JSON).
    pub target_schema: Option<serde_json::Value>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// One credential field as stored: secrets are ciphertext (the caller encrypts and decrypts).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredCredential {
    pub field: String,
    pub value: String,
    pub encrypted: bool,
}

#[async_trait]
pub trait ApplicationStore: Send + Sync {
    async fn create_application(&self, gallery_id: &str, name: &str) -> StoreResult<Application>;
    async fn application(&self, id: &str) -> StoreResult<Option<Application>>;
    async fn list_applications(&self) -> StoreResult<Vec<Application>>;
    /// Changes what `change` sets, bumping the version; refuses with
    /// [`crate::StoreError::VersionMismatch`] when someone changed the application first.
    async fn update_application(
        &self,
        id: &str,
        change: ApplicationChange,
        if_version: i64,
    ) -> StoreResult<Application>;
    /// Keeps what the target's `/Schemas` offered; a cache, so not version-checked.
    async fn set_target_schema(&self, id: &str, schema: serde_json::Value) -> StoreResult<()>;
    /// Clears `full_sync_required` after a full cycle, unless the application changed since
    /// `seen_version` (then the change's own full cycle is still owed); `false` then.
    async fn clear_full_sync(&self, id: &str, seen_version: i64) -> StoreResult<bool>;
    /// Sets the given credential fields (others keep their values), bumping the version;
    /// version-checked like [`Self::update_application`].
    async fn set_credentials(
        &self,
        id: &str,
        fields: Vec<StoredCredential>,
        if_version: i64,
    ) -> StoreResult<Application>;
    async fn credentials(&self, id: &str) -> StoreResult<Vec<StoredCredential>>;
    async fn delete_application(&self, id: &str) -> StoreResult<()>;
    /// Assigns a user or group with a role (or changes its role); `false` when it already
    /// was assigned with that role. Recorded in the change feed against the user or group.
    async fn assign(&self, application: &str, member: Member, role: &str) -> StoreResult<bool>;
    /// Removes an assignment; `false` when there was none.
    async fn unassign(&self, application: &str, principal_id: &str) -> StoreResult<bool>;
    /// The assignments by name, filtered by name or userName, at most `limit`, with the total.
    async fn assignments(
        &self,
        application: &str,
        search: Option<&str>,
        limit: u32,
    ) -> StoreResult<Page<Assignment>>;
    /// Every assigned group's id: what the engine keeps to decide the scope of groups (users
    /// are asked a page at a time, with [`Self::assigned_users_among`]).
    async fn assigned_groups(&self, application: &str) -> StoreResult<Vec<String>>;
    /// Those of `user_ids` assigned to the application, directly or through a group they are
    /// a direct member of.
    async fn assigned_users_among(
        &self,
        application: &str,
        user_ids: &[String],
    ) -> StoreResult<Vec<String>>;
}

/// The parts of an application an update changes; `None` leaves a part as it is.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ApplicationChange {
    pub name: Option<String>,
    /// "manual" or "automatic".
    pub provisioning_mode: Option<String>,
    pub settings: Option<serde_json::Value>,
    /// `Some(None)` goes back to the gallery defaults.
    pub mappings: Option<Option<serde_json::Value>>,
    pub owners: Option<Vec<String>>,
    pub roles: Option<Vec<String>>,
    /// Marks the application for a full re-evaluation on its next cycle.
    pub require_full_sync: bool,
}

/// A user or group assigned to an application, as lists show it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Assignment {
    pub principal_id: String,
    pub principal_type: MemberType,
    pub display: String,
    pub user_name: String,
    pub role: String,
}
