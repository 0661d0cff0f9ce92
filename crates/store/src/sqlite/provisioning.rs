//! [`ProvisioningStore`] on SQLite.

use super::log::{log_entry_from, LOG_COLUMNS};
use super::SqliteStore;
use crate::provisioning::{
    ActivityBucket, Link, LinkWrite, LogEntry, LogQuery, NewLogEntry, ProvisioningStore,
};
use crate::{ObjectType, StoreError, StoreResult};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::sqlite::SqliteRow;
use sqlx::Row;

pub(super) fn object_type(row: &SqliteRow) -> StoreResult<ObjectType> {
    let text: String = row.try_get("object_type")?;
    ObjectType::parse(&text).ok_or_else(|| StoreError::Corrupt(format!("object type {text:?}")))
}

pub(super) fn json(row: &SqliteRow, column: &str) -> StoreResult<serde_json::Value> {
    let text: String = row.try_get(column)?;
    serde_json::from_str(&text).map_err(|e| StoreError::Corrupt(format!("{column}: {e}")))
}

pub(super) fn link_from(row: &SqliteRow) -> StoreResult<Link> {
    let state: String = row.try_get("state")?;
    Ok(Link {
        application_id: row.try_get("application_id")?,
        object_type: object_type(row)?,
        source_id: row.try_get("source_id")?,
        target_id: row.try_get("target_id")?,
        fingerprint: json(row, "fingerprint")?,
        active: state == "active",
        updated_at: row.try_get("updated_at")?,
        sent: match row.try_get::<Option<String>, _>("sent") {
            Ok(Some(text)) => serde_json::from_str(&text)
                .map_err(|e| StoreError::Corrupt(format!("sent: {e}")))?,
            // Batch reads leave what was sent out (see LINK_COLUMNS_LIGHT).
            _ => serde_json::Value::Null,
        },
        basis: row.try_get("basis")?,
    })
}

/// Creates or replaces a link (a conflict on the target id is the account being linked
/// to another directory object already).
async fn upsert_link(conn: &mut sqlx::SqliteConnection, link: &Link) -> StoreResult<()> {
    sqlx::query(
        // A link read in a batch carries no `sent` (null): the stored one is kept.
        "INSERT INTO provisioning_links
             (application_id, object_type, source_id, target_id, fingerprint, state, updated_at, sent, basis)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, coalesce(?8, '{}'), ?9)
         ON CONFLICT (application_id, object_type, source_id) DO UPDATE SET
             target_id = excluded.target_id, fingerprint = excluded.fingerprint,
             state = excluded.state, updated_at = excluded.updated_at,
             sent = coalesce(?8, provisioning_links.sent), basis = excluded.basis",
    )
    .bind(&link.application_id)
    .bind(link.object_type.as_str())
    .bind(&link.source_id)
    .bind(&link.target_id)
    .bind(link.fingerprint.to_string())
    .bind(if link.active { "active" } else { "disabled" })
    .bind(link.updated_at)
    .bind((!link.sent.is_null()).then(|| link.sent.to_string()))
    .bind(&link.basis)
    .execute(conn)
    .await
    .map_err(|e| {
        if super::is_unique_violation(&e) {
            StoreError::Conflict {
                what: "linked target object",
                value: link.target_id.clone(),
            }
        } else {
            e.into()
        }
    })?;
    Ok(())
}

async fn update_basis(
    conn: &mut sqlx::SqliteConnection,
    application: &str,
    object_type: ObjectType,
    source_id: &str,
    basis: Option<&str>,
) -> StoreResult<()> {
    sqlx::query(
        "UPDATE provisioning_links SET basis = ?
         WHERE application_id = ? AND object_type = ? AND source_id = ?",
    )
    .bind(basis)
    .bind(application)
    .bind(object_type.as_str())
    .bind(source_id)
    .execute(conn)
    .await?;
    Ok(())
}

pub(super) const LINK_COLUMNS: &str =
    "application_id, object_type, source_id, target_id, fingerprint, state, updated_at, sent, basis";

/// The columns batch reads take: what was sent (only needed to show old values when an
/// update goes out) is left out, `null`.
pub(super) const LINK_COLUMNS_LIGHT: &str =
    "application_id, object_type, source_id, target_id, fingerprint, state, updated_at, NULL AS sent, basis";

impl SqliteStore {
    /// Deletes the row of one directory object from a provisioning table keyed by
    /// (application, object type, source id): links, escrow, staged removals.
    pub(super) async fn delete_object_row(
        &self,
        table: &'static str,
        application: &str,
        object_type: ObjectType,
        source_id: &str,
    ) -> StoreResult<()> {
        sqlx::query(&format!(
            "DELETE FROM {table}
             WHERE application_id = ? AND object_type = ? AND source_id = ?"
        ))
        .bind(application)
        .bind(object_type.as_str())
        .bind(source_id)
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    /// The link whose `column` (`source_id` or `target_id`, both unique per application and
    /// object type) is `value`.
    async fn link_where(
        &self,
        column: &'static str,
        application: &str,
        object_type: ObjectType,
        value: &str,
    ) -> StoreResult<Option<Link>> {
        let row = sqlx::query(&format!(
            "SELECT {LINK_COLUMNS} FROM provisioning_links
             WHERE application_id = ? AND object_type = ? AND {column} = ?"
        ))
        .bind(application)
        .bind(object_type.as_str())
        .bind(value)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(link_from).transpose()
    }
}

#[async_trait]
impl ProvisioningStore for SqliteStore {
    async fn link(
        &self,
        application: &str,
        object_type: ObjectType,
        source_id: &str,
    ) -> StoreResult<Option<Link>> {
        self.link_where("source_id", application, object_type, source_id)
            .await
    }

    async fn link_by_target(
        &self,
        application: &str,
        object_type: ObjectType,
        target_id: &str,
    ) -> StoreResult<Option<Link>> {
        self.link_where("target_id", application, object_type, target_id)
            .await
    }

    async fn save_link(&self, link: &Link) -> StoreResult<()> {
        let mut conn = self.writer.acquire().await?;
        upsert_link(&mut conn, link).await
    }

    async fn save_links(&self, writes: &[LinkWrite]) -> StoreResult<Vec<(String, StoreError)>> {
        if writes.is_empty() {
            return Ok(Vec::new());
        }
        let mut tx = self.write_tx().await?;
        let mut refused = Vec::new();
        for write in writes {
            // A statement that fails a constraint is undone alone; the transaction goes on.
            let done = match write {
                LinkWrite::Save(link) => upsert_link(&mut tx, link).await,
                LinkWrite::Basis {
                    application_id,
                    object_type,
                    source_id,
                    basis,
                } => {
                    update_basis(
                        &mut tx,
                        application_id,
                        *object_type,
                        source_id,
                        basis.as_deref(),
                    )
                    .await
                }
            };
            if let Err(e) = done {
                refused.push((write.source_id().to_string(), e));
            }
        }
        tx.commit().await?;
        Ok(refused)
    }

    async fn set_link_basis(
        &self,
        application: &str,
        object_type: ObjectType,
        source_id: &str,
        basis: Option<&str>,
    ) -> StoreResult<()> {
        let mut conn = self.writer.acquire().await?;
        update_basis(&mut conn, application, object_type, source_id, basis).await
    }

    async fn remove_link(
        &self,
        application: &str,
        object_type: ObjectType,
        source_id: &str,
    ) -> StoreResult<()> {
        self.delete_object_row("provisioning_links", application, object_type, source_id)
            .await
    }

    async fn record_provisioning(&self, e: NewLogEntry) -> StoreResult<i64> {
        self.record_log_entry(&e).await
    }

    async fn record_provisioning_batch(&self, entries: Vec<NewLogEntry>) -> StoreResult<()> {
        let entries = entries.into_iter().map(|e| (None, e)).collect();
        self.record_log(entries, false).await
    }

    async fn provisioning_log(
        &self,
        application: &str,
        source_id: Option<&str>,
        before: Option<i64>,
        limit: u32,
    ) -> StoreResult<Vec<LogEntry>> {
        // Two statements: `(? IS NULL OR source_id = ?)` would keep SQLite from the source
        // index and walk the whole application's log for one object.
        let object = if source_id.is_some() {
            "AND source_id = ?"
        } else {
            ""
        };
        let sql = format!(
            "SELECT {LOG_COLUMNS} FROM provisioning_log
             WHERE application_id = ? {object} AND id < ? ORDER BY id DESC LIMIT ?"
        );
        let mut query = sqlx::query(&sql).bind(application);
        if let Some(source_id) = source_id {
            query = query.bind(source_id);
        }
        let rows = query
            .bind(before.unwrap_or(i64::MAX))
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(log_entry_from).collect()
    }

    async fn query_provisioning_log(&self, query: &LogQuery) -> StoreResult<Vec<LogEntry>> {
        self.query_log(query).await
    }

    async fn provisioning_log_entry(&self, id: i64) -> StoreResult<Option<LogEntry>> {
        self.log_entry(id).await
    }

    async fn prune_provisioning_log(
        &self,
        older_than: DateTime<Utc>,
        batch: u32,
    ) -> StoreResult<u64> {
        self.prune_log(older_than, batch).await
    }

    async fn provisioning_activity(
        &self,
        application: Option<&str>,
        since: DateTime<Utc>,
    ) -> StoreResult<Vec<ActivityBucket>> {
        self.activity(application, since).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ApplicationStore;

    #[tokio::test]
    async fn links_are_unique_per_target_and_the_log_pages_newest_first() {
        let store = SqliteStore::in_memory().await.unwrap();
        let app = store
            .create_application("custom-scim", "Wiki")
            .await
            .unwrap();
        let link = |source: &str, target: &str| Link {
            application_id: app.id.clone(),
            object_type: ObjectType::User,
            source_id: source.into(),
            target_id: target.into(),
            fingerprint: serde_json::json!({"userName": 1}),
            active: true,
            updated_at: Utc::now(),
            sent: serde_json::json!({"userName": "ada"}),
            basis: None,
        };
        store.save_link(&link("u1", "t1")).await.unwrap();
        let err = store.save_link(&link("u2", "t1")).await.unwrap_err();
        assert!(matches!(err, StoreError::Conflict { .. }), "{err:?}");
        let mut changed = link("u1", "t1");
        changed.active = false;
        store.save_link(&changed).await.unwrap();
        let read = store
            .link(&app.id, ObjectType::User, "u1")
            .await
            .unwrap()
            .unwrap();
        assert!(!read.active);
        assert_eq!(read.sent["userName"], "ada");
        let mut batch_read = link("u1", "t1");
        batch_read.sent = serde_json::Value::Null;
        store.save_link(&batch_read).await.unwrap();
        let read = store
            .link(&app.id, ObjectType::User, "u1")
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            read.sent["userName"], "ada",
            "a link without sent keeps the stored one"
        );
        assert_eq!(
            store
                .link_by_target(&app.id, ObjectType::User, "t1")
                .await
                .unwrap()
                .map(|l| l.source_id),
            Some("u1".to_string())
        );
        store
            .remove_link(&app.id, ObjectType::User, "u1")
            .await
            .unwrap();
        assert!(store
            .link(&app.id, ObjectType::User, "u1")
            .await
            .unwrap()
            .is_none());

        for action in ["create", "update"] {
            store
                .record_provisioning(NewLogEntry {
                    application_id: app.id.clone(),
                    object_type: Some(ObjectType::User),
                    source_id: "u1".into(),
                    source_name: "Ada".into(),
                    action: action.into(),
                    status: "success".into(),
                    steps: serde_json::json!([{"step": "scope"}]),
                    modified: serde_json::json!([]),
                    ..Default::default()
                })
                .await
                .unwrap();
        }
        let log = store
            .provisioning_log(&app.id, Some("u1"), None, 10)
            .await
            .unwrap();
        assert_eq!(
            log.iter()
                .map(|e| e.entry.action.as_str())
                .collect::<Vec<_>>(),
            ["update", "create"]
        );
        assert!(store
            .provisioning_log(&app.id, Some("u2"), None, 10)
            .await
            .unwrap()
            .is_empty());
    }
}
