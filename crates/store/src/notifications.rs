//! Tenant-wide settings (one JSON document per key, such as the SMTP server) and the durable
//! outbox of email notifications.
//!
//! The engine writes a notification in the same transaction as the job change it reports
//! ([`crate::JobChange::notifications`]), so an event is never lost nor told twice by a
//! crash between the two. A sender claims due notifications with a lease
//! ([`NotificationStore::claim_notifications`]): a claimed one is not due again until the lease
//! runs out, so two processes never send the same one, and one whose sender died is sent by
//! the next.

use crate::StoreResult;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// What a notification reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NotificationKind {
    /// The job entered quarantine.
    Quarantined,
    /// The job was already in quarantine and the reason (its error code) changed.
    QuarantineReasonChanged,
    /// A cycle ended holding disables and deletes back (the accidental-deletion threshold)
    /// when none were held before.
    DeletesHeld,
}

impl NotificationKind {
    pub const ALL: [NotificationKind; 3] = [
        NotificationKind::Quarantined,
        NotificationKind::QuarantineReasonChanged,
        NotificationKind::DeletesHeld,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            NotificationKind::Quarantined => "quarantined",
            NotificationKind::QuarantineReasonChanged => "quarantine_reason_changed",
            NotificationKind::DeletesHeld => "deletes_held",
        }
    }

    pub fn parse(s: &str) -> Option<NotificationKind> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// For people: "Entered quarantine", ...
    pub fn label(self) -> &'static str {
        match self {
            NotificationKind::Quarantined => "Entered quarantine",
            NotificationKind::QuarantineReasonChanged => "Quarantine reason changed",
            NotificationKind::DeletesHeld => "Deletes held",
        }
    }
}

/// A notification to send.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewNotification {
    pub application_id: String,
    pub kind: NotificationKind,
    pub recipient: String,
    pub subject: String,
    /// Plain text.
    pub body: String,
}

/// A notification in the outbox.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notification {
    pub id: String,
    pub application_id: String,
    pub kind: NotificationKind,
    pub recipient: String,
    pub subject: String,
    pub body: String,
    pub created_at: DateTime<Utc>,
    /// Delivery attempts made (waits while SMTP was not configured do not count).
    pub attempts: u32,
    pub next_attempt_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
    /// Why the last attempt failed, or why it is waiting.
    pub last_error: Option<String>,
}

/// Settings of the whole installation, one JSON document per key.
#[async_trait]
pub trait TenantSettingsStore: Send + Sync {
    /// The value stored under `key`, if any.
    async fn tenant_setting(&self, key: &str) -> StoreResult<Option<serde_json::Value>>;
    /// Stores `value` under `key`, replacing what was there.
    async fn set_tenant_setting(&self, key: &str, value: &serde_json::Value) -> StoreResult<()>;
}

/// The outbox of email notifications.
#[async_trait]
pub trait NotificationStore: Send + Sync {
    /// Adds a notification, due at once. (The engine adds its notifications with the job
    /// change instead, see [`crate::JobChange::notifications`].)
    async fn enqueue_notification(&self, new: NewNotification) -> StoreResult<Notification>;
    /// Takes up to `limit` notifications due at `now` (unsent, `next_attempt_at <= now`) for
    /// `owner`, oldest first: each is not due again before `lease_until`, so no other sender
    /// takes it meanwhile.
    async fn claim_notifications(
        &self,
        owner: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: u32,
    ) -> StoreResult<Vec<Notification>>;
    /// Records that `owner` delivered the notification it claimed; `false` when it does not
    /// hold the claim (its lease ran out and another sender took it).
    async fn mark_notification_sent(
        &self,
        id: &str,
        owner: &str,
        at: DateTime<Utc>,
    ) -> StoreResult<bool>;
    /// Records why the notification `owner` claimed was not delivered and when to try again;
    /// `attempted` says whether this was a delivery attempt (counted) or a wait (SMTP not
    /// configured). `false` when `owner` does not hold the claim.
    async fn mark_notification_failed(
        &self,
        id: &str,
        owner: &str,
        error: &str,
        next_attempt_at: DateTime<Utc>,
        attempted: bool,
    ) -> StoreResult<bool>;
    /// Makes every unsent, unclaimed notification due at `now` (after the SMTP settings
    /// change, nothing should wait out a back-off meant for the old ones). How many.
    async fn retry_notifications_now(&self, now: DateTime<Utc>) -> StoreResult<u64>;
    /// When the next unsent notification is due, if any.
    async fn next_notification_due(&self) -> StoreResult<Option<DateTime<Utc>>>;
    /// The newest notifications first, sent or not.
    async fn recent_notifications(&self, limit: u32) -> StoreResult<Vec<Notification>>;
    /// Ticks after every committed enqueue in this process: a sender waits on `changed()`
    /// (and polls for those other processes enqueue).
    fn subscribe_notifications(&self) -> tokio::sync::watch::Receiver<u64>;
}
