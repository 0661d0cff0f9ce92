//! [`ProvisioningStore`] on SQLite.

use super::SqliteStore;
use crate::provisioning::{Link, LogEntry, LogQuery, NewLogEntry, ProvisioningStore};
use crate::{ObjectType, StoreError, StoreResult};
use async_trait::async_trait;
use chrono::Utc;
use sqlx::sqlite::SqliteRow;
use sqlx::Row;

pub(super) fn object_type(row: &SqliteRow) -> StoreResult<ObjectType> {
    let text: String = row.try_get("object_type")?;
    ObjectType::parse(&text).ok_or_else(|| StoreError::Corrupt(format!("object type {text:?}")))
}

fn json(row: &SqliteRow, column: &str) -> StoreResult<serde_json::Value> {
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

pub(super) const LINK_COLUMNS: &str =
    "application_id, object_type, source_id, target_id, fingerprint, state, updated_at, sent, basis";

/// The columns batch reads take: what was sent (only needed to show old values when an
/// update goes out) is left out, `null`.
pub(super) const LINK_COLUMNS_LIGHT: &str =
    "application_id, object_type, source_id, target_id, fingerprint, state, updated_at, NULL AS sent, basis";

/// Inserts one log entry; its id.
async fn insert_log(conn: &mut sqlx::SqliteConnection, e: &NewLogEntry) -> StoreResult<i64> {
    let id = sqlx::query_scalar(
        "INSERT INTO provisioning_log (application_id, cycle_id, at, object_type, source_id,
             source_name, target_id, action, status, steps, modified, error_code, message)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
    )
    .bind(&e.application_id)
    .bind(&e.cycle_id)
    .bind(Utc::now())
    .bind(e.object_type.unwrap_or(ObjectType::User).as_str())
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
        .execute(&self.writer)
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

    async fn set_link_basis(
        &self,
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
        .execute(&self.writer)
        .await?;
        Ok(())
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
        let mut conn = self.writer.acquire().await?;
        insert_log(&mut conn, &e).await
    }

    async fn record_provisioning_batch(&self, entries: Vec<NewLogEntry>) -> StoreResult<()> {
        if entries.is_empty() {
            return Ok(());
        }
        let mut tx = self.writer.begin().await?;
        for e in &entries {
            insert_log(&mut tx, e).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn query_provisioning_log(&self, q: &LogQuery) -> StoreResult<Vec<LogEntry>> {
        // TEMPORARY naive version (the logs-store branch replaces it).
        let mut all = Vec::new();
        let mut before = q.before;
        loop {
            let app = q.application_id.clone();
            let page = match &app {
                Some(a) => self.provisioning_log(a, None, before, 500).await?,
                None => {
                    let mut out = Vec::new();
                    for a in sqlx::query_scalar::<_, String>("SELECT id FROM applications")
                        .fetch_all(&self.pool)
                        .await?
                    {
                        out.extend(self.provisioning_log(&a, None, before, 500).await?);
                    }
                    out.sort_by(|x, y| y.id.cmp(&x.id));
                    out.truncate(500);
                    out
                }
            };
            if page.is_empty() {
                break;
            }
            before = page.last().map(|e| e.id);
            for e in page {
                if q.after.is_some_and(|a| e.id <= a) {
                    return Ok(all);
                }
                let ok = (q.statuses.is_empty() || q.statuses.contains(&e.entry.status))
                    && (q.actions.is_empty() || q.actions.contains(&e.entry.action))
                    && q.from.is_none_or(|f| e.at >= f)
                    && q.to.is_none_or(|t| e.at < t)
                    && q.cycle_id
                        .as_ref()
                        .is_none_or(|c| e.entry.cycle_id.as_ref() == Some(c))
                    && q.change_id.is_none_or(|c| e.id == c)
                    && q.identity.as_ref().is_none_or(|i| {
                        &e.entry.source_id == i
                            || e.entry.target_id.as_ref() == Some(i)
                            || e.entry
                                .source_name
                                .to_lowercase()
                                .starts_with(&i.to_lowercase())
                    });
                if ok {
                    all.push(e);
                    if all.len() >= q.limit as usize {
                        return Ok(all);
                    }
                }
            }
        }
        Ok(all)
    }

    async fn provisioning_log_entry(&self, id: i64) -> StoreResult<Option<LogEntry>> {
        let app: Option<String> =
            sqlx::query_scalar("SELECT application_id FROM provisioning_log WHERE id = ?")
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
        match app {
            None => Ok(None),
            Some(a) => Ok(self
                .provisioning_log(&a, None, Some(id + 1), 1)
                .await?
                .into_iter()
                .next()),
        }
    }

    async fn prune_provisioning_log(
        &self,
        older_than: chrono::DateTime<Utc>,
        batch: u32,
    ) -> StoreResult<u64> {
        let r = sqlx::query(
            "DELETE FROM provisioning_log WHERE id IN
             (SELECT id FROM provisioning_log WHERE at < ? ORDER BY id LIMIT ?)",
        )
        .bind(older_than)
        .bind(batch)
        .execute(&self.writer)
        .await?;
        Ok(r.rows_affected())
    }

    async fn provisioning_activity(
        &self,
        _application: Option<&str>,
        _since: chrono::DateTime<Utc>,
    ) -> StoreResult<Vec<crate::ActivityBucket>> {
        Ok(Vec::new())
    }

    async fn provisioning_log(
        &self,
        application: &str,
        source_id: Option<&str>,
        before: Option<i64>,
        limit: u32,
    ) -> StoreResult<Vec<LogEntry>> {
        let rows = sqlx::query(
            "SELECT id, at, application_id, cycle_id, object_type, source_id, source_name,
                    target_id, action, status, steps, modified, error_code, message
             FROM provisioning_log
             WHERE application_id = ? AND id < ? AND (? IS NULL OR source_id = ?)
             ORDER BY id DESC LIMIT ?",
        )
        .bind(application)
        .bind(before.unwrap_or(i64::MAX))
        .bind(source_id)
        .bind(source_id)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
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
            })
            .collect()
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
