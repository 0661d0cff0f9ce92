//! Steward's persistence layer.
//!
//! Callers talk to [`Store`], a set of small capability traits (admins, sessions, sign-in
//! throttling, audit log, bearer tokens, embed tokens, tenant settings, the notification
//! outbox, health). Each database backend implements all of them; today that is
//! [`sqlite::SqliteStore`]. [`open`] picks the backend from the database
//! URL, so adding PostgreSQL later touches this crate only.

pub mod application;
pub mod custom;
pub mod directory;
pub mod embed;
pub mod error;
pub mod import;
pub mod jobs;
pub mod model;
pub mod notifications;
pub mod prefilter;
pub mod provisioning;
pub mod sqlite;
pub mod tokens;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::sync::Arc;

pub use application::{
    Application, ApplicationChange, ApplicationStore, Assignment, StoredCredential,
};
pub use custom::{
    CustomAttribute, CustomAttributeStore, CustomKind, STEWARD_GROUP_EXTENSION,
    STEWARD_USER_EXTENSION,
};
pub use directory::*;
pub use embed::{EmbedToken, EmbedTokenStore, NewEmbedToken, EMBED_TOKEN_TOUCH_INTERVAL};
pub use error::{StoreError, StoreResult};
pub use import::{DirectoryImport, UserWrite};
pub use jobs::{
    Cycle, CycleCounters, Escrow, Failed, Job, JobChange, JobCommand, JobStore, Quarantine, Staged,
    UserBasis,
};
pub use model::*;
pub use notifications::{
    NewNotification, Notification, NotificationKind, NotificationStore, TenantSettingsStore,
};
pub use prefilter::{JsonPath, Prefilter, TextOp};
pub use provisioning::{
    ActivityBucket, ActivityKind, Link, LinkWrite, LogEntry, LogQuery, NewLogEntry,
    ProvisioningStore, MAX_LOG_PAGE,
};
pub use tokens::{
    ApiToken, ApiTokenStore, NewScimToken, NewToken, ScimToken, TokenInfo, TokenRef,
    API_TOKEN_TOUCH_INTERVAL,
};

/// Administrators and their roles.
#[async_trait]
pub trait AdminStore: Send + Sync {
    async fn count_admins(&self) -> StoreResult<i64>;
    /// Creates an admin; [`StoreError::Conflict`] when the email is taken.
    async fn create_admin(&self, new: NewAdmin) -> StoreResult<Admin>;
    /// Creates the first admin, atomically refusing with [`StoreError::AlreadyInitialised`]
    /// when any admin exists (two setup pages submitted at once cannot both win).
    async fn create_first_admin(&self, new: NewAdmin) -> StoreResult<Admin>;
    async fn admin_by_email(&self, email: &str) -> StoreResult<Option<AdminCredentials>>;
    async fn list_admins(&self) -> StoreResult<Vec<Admin>>;
    async fn record_sign_in(&self, id: AdminId, at: DateTime<Utc>) -> StoreResult<()>;
    /// Replaces an admin's password, ends all their sessions and clears their failed
    /// sign-ins, in one transaction. `None` when no admin has that email.
    async fn reset_password(&self, email: &str, password_hash: &str) -> StoreResult<Option<Admin>>;
}

/// Browser sessions, keyed by the SHA-256 of the cookie token.
#[async_trait]
pub trait SessionStore: Send + Sync {
    async fn create_session(&self, new: NewSession) -> StoreResult<()>;
    /// The admin owning a live (unexpired) session.
    async fn session_admin(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<(Admin, SessionInfo)>>;
    async fn extend_session(
        &self,
        token_hash: &str,
        seen_at: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> StoreResult<()>;
    async fn delete_session(&self, token_hash: &str) -> StoreResult<()>;
    async fn delete_expired_sessions(&self, now: DateTime<Utc>) -> StoreResult<u64>;
}

/// Failed sign-in bookkeeping for rate limiting. Kept in the database so limits survive
/// restarts and hold across several server processes.
#[async_trait]
pub trait SignInThrottle: Send + Sync {
    async fn sign_in_failures_since(
        &self,
        email: &str,
        ip: &str,
        since: DateTime<Utc>,
    ) -> StoreResult<FailureCounts>;
    async fn record_sign_in_failure(
        &self,
        email: &str,
        ip: &str,
        at: DateTime<Utc>,
    ) -> StoreResult<()>;
    async fn clear_sign_in_failures(&self, email: &str) -> StoreResult<()>;
    async fn prune_sign_in_failures(&self, before: DateTime<Utc>) -> StoreResult<u64>;
}

/// The tenant's audit log: who did what, when, from where.
#[async_trait]
pub trait AuditStore: Send + Sync {
    async fn record_audit(&self, event: NewAuditEvent) -> StoreResult<()>;
    /// Events matching `filter`, newest first; `before` is the id of the last event of the
    /// previous page.
    async fn list_audit(
        &self,
        filter: &AuditFilter,
        before: Option<i64>,
        limit: u32,
    ) -> StoreResult<Vec<AuditEvent>>;
}

/// Users, groups and memberships. Every change also appends to the change feed in the
/// same transaction.
#[async_trait]
pub trait DirectoryStore: Send + Sync {
    /// Creates a user from a SCIM resource; [`StoreError::Conflict`] when the userName or
    /// externalId is taken, [`StoreError::Invalid`] when the resource is not acceptable.
    async fn create_user(&self, resource: serde_json::Value) -> StoreResult<User>;
    async fn user(&self, id: UserId) -> StoreResult<Option<User>>;
    /// Replaces a user's resource. With `if_version`, refuses with
    /// [`StoreError::VersionMismatch`] when someone else changed it first.
    async fn replace_user(
        &self,
        id: UserId,
        resource: serde_json::Value,
        if_version: Option<i64>,
    ) -> StoreResult<User>;
    /// Moves a user to the recycle bin (restorable until purged).
    async fn soft_delete_user(&self, id: UserId) -> StoreResult<()>;
    async fn restore_user(&self, id: UserId) -> StoreResult<User>;
    /// Removes a user for good, with their memberships.
    async fn hard_delete_user(&self, id: UserId) -> StoreResult<()>;
    /// Hard-deletes every user that went into the recycle bin before `before`; returns how
    /// many. Each is a `hard_deleted` change like a manual hard delete.
    async fn purge_recycle_bin(&self, before: DateTime<Utc>) -> StoreResult<u64>;
    async fn list_users(&self, query: &UserQuery) -> StoreResult<Page<UserSummary>>;
    /// Users by an indexed attribute (not those in the recycle bin).
    async fn find_users(&self, lookup: &Lookup) -> StoreResult<Vec<User>>;
    /// A page of current users (not in the recycle bin), in `sort` order (creation order
    /// when `None`), with the total count.
    async fn users_page(
        &self,
        sort: Option<UserSort>,
        descending: bool,
        offset: u32,
        limit: u32,
    ) -> StoreResult<Page<User>>;
    /// Current users in id order after `after`, narrowed by `prefilter` when given: for
    /// filters no index answers.
    async fn scan_users(
        &self,
        after: Option<UserId>,
        limit: u32,
        prefilter: Option<&Prefilter>,
    ) -> StoreResult<Vec<User>>;
    /// The distinct managers (enterprise `manager.value`) of current users after `after`, in id
    /// order: an index answers it.
    async fn manager_ids(&self, after: Option<UserId>, limit: u32) -> StoreResult<Vec<UserId>>;
    /// The current users among `ids`, in id order.
    async fn users_by_ids(&self, ids: &[UserId]) -> StoreResult<Vec<User>>;
    /// Current users (not in the recycle bin) whose enterprise `manager.value` is `id`, by
    /// display name, at most `limit` of them, with how many there are in all. An index answers
    /// it, however many users there are.
    async fn direct_reports(&self, id: UserId, limit: u32) -> StoreResult<Page<UserSummary>>;
    /// The direct groups of each of `member_ids`: (member id, group id, group displayName).
    async fn groups_of(&self, member_ids: &[String])
        -> StoreResult<Vec<(String, GroupId, String)>>;

    /// Creates a group with its direct members; [`StoreError::Conflict`] when the
    /// displayName or externalId is taken, [`StoreError::NotFound`] for an unknown member.
    async fn create_group(
        &self,
        resource: serde_json::Value,
        members: Vec<Member>,
    ) -> StoreResult<Group>;
    async fn group(&self, id: GroupId) -> StoreResult<Option<Group>>;
    /// Replaces a group's resource and, when `members` is given, its direct members (the
    /// difference is recorded as member changes).
    async fn replace_group(
        &self,
        id: GroupId,
        resource: serde_json::Value,
        members: Option<Vec<Member>>,
        if_version: Option<i64>,
    ) -> StoreResult<Group>;
    /// Deletes a group for good, with its memberships and its membership in other groups.
    async fn delete_group(&self, id: GroupId) -> StoreResult<()>;
    async fn list_groups(&self, query: &GroupQuery) -> StoreResult<Page<GroupSummary>>;
    async fn find_groups(&self, lookup: &Lookup) -> StoreResult<Vec<Group>>;
    /// A page of groups in displayName order, with the total count.
    async fn groups_page(&self, offset: u32, limit: u32) -> StoreResult<Page<Group>>;
    async fn scan_groups(
        &self,
        after: Option<GroupId>,
        limit: u32,
        prefilter: Option<&Prefilter>,
    ) -> StoreResult<Vec<Group>>;
    /// The type of each id (users first, then groups); [`StoreError::NotFound`] names the
    /// first id that is neither a current user nor a group.
    async fn resolve_members(&self, ids: &[String]) -> StoreResult<Vec<Member>>;
    /// Adds a direct member; `false` when it already was one.
    async fn add_member(&self, group: GroupId, member: Member) -> StoreResult<bool>;
    /// Removes a direct member; `false` when it was not one.
    async fn remove_member(&self, group: GroupId, member_id: &str) -> StoreResult<bool>;
    /// Adds and removes direct members in one transaction, without reading the others: what a
    /// SCIM PATCH of a group's members does, however large the group. Members already there
    /// (or already gone) are skipped; with `if_version`, refuses with
    /// [`StoreError::VersionMismatch`] when the group changed first.
    async fn change_members(
        &self,
        group: GroupId,
        add: Vec<Member>,
        remove: Vec<String>,
        if_version: Option<i64>,
    ) -> StoreResult<Group>;
    async fn members(&self, group: GroupId) -> StoreResult<Vec<Member>>;
    /// Direct members with their names, users and groups, by name.
    async fn member_details(&self, group: GroupId) -> StoreResult<Vec<MemberDetail>>;
    /// The first `limit` direct members by name whose name or userName contains `search`
    /// (ignoring case), and how many match in all: for pages of groups of any size.
    async fn member_page(
        &self,
        group: GroupId,
        search: Option<&str>,
        limit: u32,
    ) -> StoreResult<Page<MemberDetail>>;
    /// Which of `ids` are direct members of the group.
    async fn members_among(&self, group: GroupId, ids: &[String]) -> StoreResult<Vec<String>>;
}

/// Bearer tokens for the inbound SCIM endpoint, stored as hashes.
#[async_trait]
pub trait ScimTokenStore: Send + Sync {
    /// [`StoreError::Conflict`] when a live token has that name.
    async fn create_scim_token(&self, new: NewScimToken) -> StoreResult<ScimToken>;
    /// The live (not revoked) token with that hash.
    async fn scim_token_by_hash(&self, token_hash: &str) -> StoreResult<Option<ScimToken>>;
    async fn list_scim_tokens(&self) -> StoreResult<Vec<ScimToken>>;
    /// Revokes the live token with that id or name and returns it as revoked; `None` when no
    /// live token matches.
    async fn revoke_scim_token(&self, which: TokenRef<'_>) -> StoreResult<Option<ScimToken>>;
    async fn touch_scim_token(&self, id: &str, at: DateTime<Utc>) -> StoreResult<()>;
}

/// The directory's change feed: what changed, in order, and a way to wait for more.
#[async_trait]
pub trait ChangeFeed: Send + Sync {
    /// Changes with a sequence number above `seq`, oldest first.
    async fn changes_after(&self, seq: i64, limit: u32) -> StoreResult<Vec<Change>>;
    /// Sends the newest sequence number after every committed change: consumers wait on
    /// `changed()` instead of polling.
    fn subscribe_changes(&self) -> tokio::sync::watch::Receiver<i64>;
    /// The newest sequence number in the database, whichever process wrote it.
    async fn latest_change(&self) -> StoreResult<i64>;
}

#[async_trait]
pub trait Health: Send + Sync {
    /// Succeeds when the database answers a query.
    async fn ping(&self) -> StoreResult<()>;
    /// A short name of the backend for status pages, e.g. "SQLite".
    fn backend_name(&self) -> &'static str;
}

/// Everything Steward persists. Hold it as `Arc<dyn Store>`.
pub trait Store:
    AdminStore
    + SessionStore
    + SignInThrottle
    + AuditStore
    + DirectoryStore
    + DirectoryImport
    + CustomAttributeStore
    + ApplicationStore
    + ScimTokenStore
    + ApiTokenStore
    + EmbedTokenStore
    + ProvisioningStore
    + JobStore
    + TenantSettingsStore
    + NotificationStore
    + ChangeFeed
    + Health
{
}
impl<T> Store for T where
    T: AdminStore
        + SessionStore
        + SignInThrottle
        + AuditStore
        + DirectoryStore
        + DirectoryImport
        + CustomAttributeStore
        + ApplicationStore
        + ScimTokenStore
        + ApiTokenStore
        + EmbedTokenStore
        + ProvisioningStore
        + JobStore
        + TenantSettingsStore
        + NotificationStore
        + ChangeFeed
        + Health
{
}

/// Opens the database named by `url`, creating it when missing, and applies migrations.
pub async fn open(url: &str) -> StoreResult<Arc<dyn Store>> {
    if url.starts_with("sqlite:") {
        Ok(Arc::new(sqlite::SqliteStore::open(url).await?))
    } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
        Err(StoreError::UnsupportedBackend(
            "the PostgreSQL backend is not available yet; use a sqlite: URL".into(),
        ))
    } else {
        Err(StoreError::UnsupportedBackend(format!(
            "unrecognised database URL scheme in {:?}; expected sqlite:PATH",
            redact_url(url)
        )))
    }
}

/// The URL with any password replaced, for messages and logs.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let userinfo = &url[scheme_end + 3..at];
            match userinfo.find(':') {
                Some(colon) => format!(
                    "{}{}:***{}",
                    &url[..scheme_end + 3],
                    &userinfo[..colon],
                    &url[at..]
                ),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::redact_url;

    #[test]
    fn redacts_passwords_in_urls() {
        let cases = [
            (
                "postgres://steward:hunter2@db/steward",
                "postgres://steward:***@db/steward",
            ),
            (
                "postgres://steward@db/steward",
                "postgres://steward@db/steward",
            ),
            ("sqlite://data/steward.db", "sqlite://data/steward.db"),
            ("sqlite:data/a@b.db", "sqlite:data/a@b.db"),
        ];
        for (url, want) in cases {
            assert_eq!(redact_url(url), want, "{url}");
        }
    }
}
