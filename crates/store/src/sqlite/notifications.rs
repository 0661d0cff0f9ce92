//! [`TenantSettingsStore`] and [`NotificationStore`] on SQLite.

use super::SqliteStore;
use crate::notifications::{
    NewNotification, Notification, NotificationKind, NotificationStore, TenantSettingsStore,
};
use crate::{StoreError, StoreResult};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::sqlite::SqliteRow;
use sqlx::{Row, Sqlite, Transaction};

const COLUMNS: &str = "id, application_id, kind, recipient, subject, body, created_at, attempts,
    next_attempt_at, sent_at, last_error";

fn notification_from(row: &SqliteRow) -> StoreResult<Notification> {
    let kind: String = row.try_get("kind")?;
    Ok(Notification {
        id: row.try_get("id")?,
        application_id: row.try_get("application_id")?,
        kind: NotificationKind::parse(&kind)
            .ok_or_else(|| StoreError::Corrupt(format!("notification kind {kind:?}")))?,
        recipient: row.try_get("recipient")?,
        subject: row.try_get("subject")?,
        body: row.try_get("body")?,
        created_at: row.try_get("created_at")?,
        attempts: row.try_get::<i64, _>("attempts")? as u32,
        next_attempt_at: row.try_get("next_attempt_at")?,
        sent_at: row.try_get("sent_at")?,
        last_error: row.try_get("last_error")?,
    })
}

impl SqliteStore {
    /// Writes `new` in `tx`, due at `now`. The caller commits and then calls
    /// [`SqliteStore::notifications_committed`].
    pub(super) async fn insert_notification(
        tx: &mut Transaction<'_, Sqlite>,
        new: &NewNotification,
        now: DateTime<Utc>,
    ) -> StoreResult<Notification> {
        let n = Notification {
            id: uuid::Uuid::new_v4().to_string(),
            application_id: new.application_id.clone(),
            kind: new.kind,
            recipient: new.recipient.clone(),
            subject: new.subject.clone(),
            body: new.body.clone(),
            created_at: now,
            attempts: 0,
            next_attempt_at: now,
            sent_at: None,
            last_error: None,
        };
        sqlx::query(
            "INSERT INTO notifications (id, application_id, kind, recipient, subject, body,
                 created_at, next_attempt_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(&n.id)
        .bind(&n.application_id)
        .bind(n.kind.as_str())
        .bind(&n.recipient)
        .bind(&n.subject)
        .bind(&n.body)
        .bind(n.created_at)
        .bind(n.next_attempt_at)
        .execute(&mut **tx)
        .await
        .map_err(|e| {
            if matches!(&e, sqlx::Error::Database(db) if db.is_foreign_key_violation()) {
                StoreError::NotFound {
                    what: "application",
                    id: new.application_id.clone(),
                }
            } else {
                e.into()
            }
        })?;
        Ok(n)
    }

    /// Wakes the senders waiting in this process, after a commit that added notifications.
    pub(super) fn notifications_committed(&self) {
        self.outbox.send_modify(|n| *n = n.wrapping_add(1));
    }
}

#[async_trait]
impl TenantSettingsStore for SqliteStore {
    async fn tenant_setting(&self, key: &str) -> StoreResult<Option<serde_json::Value>> {
        let value: Option<String> =
            sqlx::query_scalar("SELECT value FROM tenant_settings WHERE key = ?")
                .bind(key)
                .fetch_optional(&self.pool)
                .await?;
        value
            .map(|v| {
                serde_json::from_str(&v)
                    .map_err(|e| StoreError::Corrupt(format!("tenant setting {key:?}: {e}")))
            })
            .transpose()
    }

    async fn set_tenant_setting(&self, key: &str, value: &serde_json::Value) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO tenant_settings (key, value, updated_at) VALUES (?, ?, ?)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
        )
        .bind(key)
        .bind(value.to_string())
        .bind(Utc::now())
        .execute(&self.writer)
        .await?;
        Ok(())
    }
}

#[async_trait]
impl NotificationStore for SqliteStore {
    async fn enqueue_notification(&self, new: NewNotification) -> StoreResult<Notification> {
        let mut tx = self.write_tx().await?;
        let n = Self::insert_notification(&mut tx, &new, Utc::now()).await?;
        tx.commit().await?;
        self.notifications_committed();
        Ok(n)
    }

    async fn claim_notifications(
        &self,
        owner: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: u32,
    ) -> StoreResult<Vec<Notification>> {
        // BEGIN IMMEDIATE takes the database's write lock before reading, so a sender in
        // another process cannot read the same rows as due in between.
        let mut tx = self.write_tx().await?;
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM notifications
             WHERE sent_at IS NULL AND next_attempt_at <= ?
             ORDER BY next_attempt_at, created_at LIMIT ?"
        ))
        .bind(now)
        .bind(limit)
        .fetch_all(&mut *tx)
        .await?;
        let mut claimed = Vec::with_capacity(rows.len());
        for row in &rows {
            let mut n = notification_from(row)?;
            sqlx::query(
                "UPDATE notifications SET claimed_by = ?, next_attempt_at = ? WHERE id = ?",
            )
            .bind(owner)
            .bind(lease_until)
            .bind(&n.id)
            .execute(&mut *tx)
            .await?;
            n.next_attempt_at = lease_until;
            claimed.push(n);
        }
        tx.commit().await?;
        Ok(claimed)
    }

    async fn mark_notification_sent(
        &self,
        id: &str,
        owner: &str,
        at: DateTime<Utc>,
    ) -> StoreResult<bool> {
        let done = sqlx::query(
            "UPDATE notifications SET sent_at = ?, attempts = attempts + 1, claimed_by = NULL,
                 last_error = NULL
             WHERE id = ? AND claimed_by = ? AND sent_at IS NULL",
        )
        .bind(at)
        .bind(id)
        .bind(owner)
        .execute(&self.writer)
        .await?
        .rows_affected();
        Ok(done == 1)
    }

    async fn mark_notification_failed(
        &self,
        id: &str,
        owner: &str,
        error: &str,
        next_attempt_at: DateTime<Utc>,
        attempted: bool,
    ) -> StoreResult<bool> {
        let done = sqlx::query(
            "UPDATE notifications SET attempts = attempts + ?, last_error = ?,
                 next_attempt_at = ?, claimed_by = NULL
             WHERE id = ? AND claimed_by = ? AND sent_at IS NULL",
        )
        .bind(i64::from(attempted))
        .bind(error)
        .bind(next_attempt_at)
        .bind(id)
        .bind(owner)
        .execute(&self.writer)
        .await?
        .rows_affected();
        Ok(done == 1)
    }

    async fn retry_notifications_now(&self, now: DateTime<Utc>) -> StoreResult<u64> {
        let n = sqlx::query(
            "UPDATE notifications SET next_attempt_at = ?
             WHERE sent_at IS NULL AND claimed_by IS NULL AND next_attempt_at > ?",
        )
        .bind(now)
        .bind(now)
        .execute(&self.writer)
        .await?
        .rows_affected();
        if n > 0 {
            self.notifications_committed();
        }
        Ok(n)
    }

    async fn next_notification_due(&self) -> StoreResult<Option<DateTime<Utc>>> {
        Ok(sqlx::query_scalar(
            "SELECT next_attempt_at FROM notifications WHERE sent_at IS NULL
             ORDER BY next_attempt_at LIMIT 1",
        )
        .fetch_optional(&self.pool)
        .await?)
    }

    async fn recent_notifications(&self, limit: u32) -> StoreResult<Vec<Notification>> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM notifications ORDER BY created_at DESC, rowid DESC LIMIT ?"
        ))
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(notification_from).collect()
    }

    fn subscribe_notifications(&self) -> tokio::sync::watch::Receiver<u64> {
        self.outbox.subscribe()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ApplicationStore, JobChange, JobStore};
    use chrono::Duration;
    use std::collections::HashSet;

    fn new(app: &str, kind: NotificationKind) -> NewNotification {
        NewNotification {
            application_id: app.to_string(),
            kind,
            recipient: "ops@example.com".into(),
            subject: "Steward: HR is in quarantine".into(),
            body: "The credentials were refused.".into(),
        }
    }

    #[tokio::test]
    async fn tenant_settings_are_json_documents_by_key() {
        let store = SqliteStore::in_memory().await.unwrap();
        assert_eq!(store.tenant_setting("smtp").await.unwrap(), None);
        let v = serde_json::json!({"host": "mail.example.com", "port": 587});
        store.set_tenant_setting("smtp", &v).await.unwrap();
        assert_eq!(store.tenant_setting("smtp").await.unwrap(), Some(v));
        let w = serde_json::json!({"host": "smtp.example.com"});
        store.set_tenant_setting("smtp", &w).await.unwrap();
        assert_eq!(store.tenant_setting("smtp").await.unwrap(), Some(w));
        assert_eq!(store.tenant_setting("other").await.unwrap(), None);
    }

    #[tokio::test]
    async fn a_claimed_notification_is_sent_by_its_claimer_only() {
        let store = SqliteStore::in_memory().await.unwrap();
        let app = store.create_application("custom-scim", "HR").await.unwrap();
        let mut woken = store.subscribe_notifications();
        let n = store
            .enqueue_notification(new(&app.id, NotificationKind::Quarantined))
            .await
            .unwrap();
        assert!(woken.has_changed().unwrap(), "an enqueue wakes the sender");
        woken.mark_unchanged();
        let now = n.created_at + Duration::seconds(1);
        let lease = now + Duration::minutes(5);
        assert_eq!(
            store.next_notification_due().await.unwrap(),
            Some(n.created_at)
        );

        let a = store
            .claim_notifications("a", now, lease, 10)
            .await
            .unwrap();
        assert_eq!(a.len(), 1);
        assert_eq!((a[0].id.as_str(), a[0].attempts), (n.id.as_str(), 0));
        assert!(
            store
                .claim_notifications("b", now, lease, 10)
                .await
                .unwrap()
                .is_empty(),
            "a claimed notification is not due for another sender"
        );
        assert!(!store.mark_notification_sent(&n.id, "b", now).await.unwrap());
        assert!(store.mark_notification_sent(&n.id, "a", now).await.unwrap());
        assert!(
            !store.mark_notification_sent(&n.id, "a", now).await.unwrap(),
            "sent once"
        );
        let later = lease + Duration::hours(1);
        assert!(store
            .claim_notifications("b", later, later, 10)
            .await
            .unwrap()
            .is_empty());
        assert_eq!(store.next_notification_due().await.unwrap(), None);
        let recent = store.recent_notifications(10).await.unwrap();
        assert_eq!(recent.len(), 1);
        assert_eq!(recent[0].sent_at, Some(now));
        assert_eq!(
            (recent[0].attempts, recent[0].last_error.as_deref()),
            (1, None)
        );
    }

    #[tokio::test]
    async fn a_failure_backs_off_and_a_lost_lease_lets_another_sender_deliver() {
        let store = SqliteStore::in_memory().await.unwrap();
        let app = store.create_application("custom-scim", "HR").await.unwrap();
        let n = store
            .enqueue_notification(new(&app.id, NotificationKind::DeletesHeld))
            .await
            .unwrap();
        let t0 = n.created_at;
        let lease = Duration::minutes(5);

        // SMTP not configured: a wait, not an attempt.
        store
            .claim_notifications("a", t0, t0 + lease, 10)
            .await
            .unwrap();
        let retry = t0 + Duration::minutes(1);
        assert!(store
            .mark_notification_failed(
                &n.id,
                "a",
                "SMTP is not configured in Settings",
                retry,
                false
            )
            .await
            .unwrap());
        let read = &store.recent_notifications(1).await.unwrap()[0];
        assert_eq!(read.attempts, 0);
        assert_eq!(read.next_attempt_at, retry);
        assert_eq!(
            read.last_error.as_deref(),
            Some("SMTP is not configured in Settings")
        );
        assert!(store
            .claim_notifications("a", t0 + Duration::seconds(30), t0 + lease, 10)
            .await
            .unwrap()
            .is_empty());

        // A refused delivery counts and waits its back-off.
        store
            .claim_notifications("a", retry, retry + lease, 10)
            .await
            .unwrap();
        let retry2 = retry + Duration::minutes(5);
        store
            .mark_notification_failed(&n.id, "a", "connection refused", retry2, true)
            .await
            .unwrap();
        let read = &store.recent_notifications(1).await.unwrap()[0];
        assert_eq!((read.attempts, read.next_attempt_at), (1, retry2));

        // New SMTP settings: everything waiting is due now.
        let now = retry + Duration::seconds(10);
        assert_eq!(store.retry_notifications_now(now).await.unwrap(), 1);
        let a = store
            .claim_notifications("a", now, now + lease, 10)
            .await
            .unwrap();
        assert_eq!(a.len(), 1);

        // Sender a stalls past its lease; b takes the notification over and delivers it, and
        // a's late word changes nothing.
        let after_lease = now + lease + Duration::seconds(1);
        let b = store
            .claim_notifications("b", after_lease, after_lease + lease, 10)
            .await
            .unwrap();
        assert_eq!(b.len(), 1);
        assert!(!store
            .mark_notification_failed(&n.id, "a", "timeout", after_lease, true)
            .await
            .unwrap());
        assert!(store
            .mark_notification_sent(&n.id, "b", after_lease)
            .await
            .unwrap());
        let read = &store.recent_notifications(1).await.unwrap()[0];
        assert_eq!(read.attempts, 2);
        assert_eq!(read.sent_at, Some(after_lease));
    }

    #[tokio::test]
    async fn a_job_change_and_its_notifications_are_written_together() {
        let store = SqliteStore::in_memory().await.unwrap();
        let app = store.create_application("custom-scim", "HR").await.unwrap();
        let woken = store.subscribe_notifications();
        let since = Utc::now();
        let job = store
            .update_job(
                &app.id,
                JobChange {
                    deletes_held_since: Some(Some(since)),
                    notifications: vec![new(&app.id, NotificationKind::DeletesHeld)],
                    ..JobChange::default()
                },
            )
            .await
            .unwrap();
        assert_eq!(job.deletes_held_since, Some(since));
        assert!(woken.has_changed().unwrap());
        let listed = store.recent_notifications(10).await.unwrap();
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].kind, NotificationKind::DeletesHeld);
        assert_eq!(
            store.job(&app.id).await.unwrap().deletes_held_since,
            Some(since)
        );
        store.reset_job(&app.id, false).await.unwrap();
        assert_eq!(store.job(&app.id).await.unwrap().deletes_held_since, None);

        // A notification for an application that does not exist is refused.
        let err = store
            .enqueue_notification(new("nope", NotificationKind::Quarantined))
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::NotFound { .. }), "{err:?}");
    }

    /// Two stores on one database file stand for two processes: each notification is claimed
    /// by exactly one of them.
    #[tokio::test]
    async fn two_processes_never_claim_the_same_notification() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("steward.db").display());
        let one = SqliteStore::open(&url).await.unwrap();
        let two = SqliteStore::open(&url).await.unwrap();
        let app = one.create_application("custom-scim", "HR").await.unwrap();
        for _ in 0..40 {
            one.enqueue_notification(new(&app.id, NotificationKind::Quarantined))
                .await
                .unwrap();
        }
        let drain = |store: SqliteStore, owner: &'static str| async move {
            let mut ids = Vec::new();
            loop {
                let now = Utc::now();
                let batch = store
                    .claim_notifications(owner, now, now + Duration::minutes(5), 3)
                    .await
                    .unwrap();
                if batch.is_empty() {
                    return ids;
                }
                for n in batch {
                    assert!(store
                        .mark_notification_sent(&n.id, owner, now)
                        .await
                        .unwrap());
                    ids.push(n.id);
                }
                tokio::task::yield_now().await;
            }
        };
        let (a, b) = tokio::join!(
            tokio::spawn(drain(one, "one")),
            tokio::spawn(drain(two, "two"))
        );
        let (a, b) = (a.unwrap(), b.unwrap());
        let all: HashSet<&String> = a.iter().chain(&b).collect();
        assert_eq!(all.len(), 40, "every notification once");
        assert_eq!(a.len() + b.len(), 40, "none twice");
    }
}
