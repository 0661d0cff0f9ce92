//! [`DirectoryImport`] on SQLite. A failed statement in SQLite rolls back only itself, so one
//! transaction carries a whole batch while each row keeps its own outcome.

use super::directory::{
    append_change, bind_user_columns, user_conflict, user_from_row, USER_COLUMNS,
};
use super::SqliteStore;
use crate::directory::user_columns;
use crate::{
    ChangeKind, DirectoryImport, ObjectType, StoreError, StoreResult, User, UserId, UserWrite,
};
use async_trait::async_trait;
use chrono::Utc;

/// Ids per `IN (…)` list, well under SQLite's parameter limit.
const CHUNK: usize = 500;

impl SqliteStore {
    async fn users_where_in(&self, column: &str, values: &[String]) -> StoreResult<Vec<User>> {
        let mut out = Vec::with_capacity(values.len());
        for chunk in values.chunks(CHUNK) {
            let placeholders = vec!["?"; chunk.len()].join(", ");
            let sql =
                format!("SELECT {USER_COLUMNS} FROM users WHERE {column} IN ({placeholders})");
            let mut query = sqlx::query(&sql);
            for v in chunk {
                query = query.bind(v);
            }
            for row in query.fetch_all(&self.pool).await? {
                out.push(user_from_row(&row)?);
            }
        }
        Ok(out)
    }
}

#[async_trait]
impl DirectoryImport for SqliteStore {
    async fn users_by_user_name(&self, names: &[String]) -> StoreResult<Vec<User>> {
        let keys: Vec<String> = names.iter().map(|n| n.trim().to_lowercase()).collect();
        self.users_where_in("user_name_key", &keys).await
    }

    async fn users_by_id(&self, ids: &[UserId]) -> StoreResult<Vec<User>> {
        let ids: Vec<String> = ids.iter().map(ToString::to_string).collect();
        self.users_where_in("id", &ids).await
    }

    async fn write_users(&self, writes: Vec<UserWrite>) -> StoreResult<Vec<StoreResult<UserId>>> {
        let mut tx = self.write_tx().await?;
        let mut results = Vec::with_capacity(writes.len());
        let mut last_seq = None;
        let now = Utc::now();
        for write in writes {
            let outcome: StoreResult<(UserId, ChangeKind)> = match write {
                UserWrite::Create(mut resource) => match user_columns(&mut resource) {
                    Err(reason) => Err(StoreError::Invalid(reason)),
                    Ok(c) => {
                        let id = UserId::new();
                        let insert = sqlx::query(
                            "INSERT INTO users (id, user_name, user_name_key, external_id, display_name, given_name,
                                                family_name, email, active, resource, version, created_at, updated_at)
                             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?)",
                        )
                        .bind(id.to_string());
                        bind_user_columns(insert, &c, &resource)
                            .bind(now)
                            .bind(now)
                            .execute(&mut *tx)
                            .await
                            .map(|_| (id, ChangeKind::Created))
                            .map_err(|e| user_conflict(e, &c))
                    }
                },
                UserWrite::Replace {
                    id,
                    mut resource,
                    version,
                } => match user_columns(&mut resource) {
                    Err(reason) => Err(StoreError::Invalid(reason)),
                    Ok(c) => {
                        let before: Option<(bool, i64)> =
                            sqlx::query_as("SELECT active, version FROM users WHERE id = ?")
                                .bind(id.to_string())
                                .fetch_optional(&mut *tx)
                                .await?;
                        match before {
                            None => Err(StoreError::NotFound {
                                what: "user",
                                id: id.to_string(),
                            }),
                            Some((_, current)) if current != version => {
                                Err(StoreError::VersionMismatch { current })
                            }
                            Some((was_active, _)) => {
                                let update = sqlx::query(
                                    "UPDATE users SET user_name = ?, user_name_key = ?, external_id = ?, display_name = ?,
                                            given_name = ?, family_name = ?, email = ?, active = ?, resource = ?,
                                            version = version + 1, updated_at = ?
                                     WHERE id = ?",
                                );
                                let kind = match (was_active, c.active) {
                                    (true, false) => ChangeKind::Disabled,
                                    (false, true) => ChangeKind::Enabled,
                                    _ => ChangeKind::Updated,
                                };
                                bind_user_columns(update, &c, &resource)
                                    .bind(now)
                                    .bind(id.to_string())
                                    .execute(&mut *tx)
                                    .await
                                    .map(|_| (id, kind))
                                    .map_err(|e| user_conflict(e, &c))
                            }
                        }
                    }
                },
            };
            match outcome {
                Ok((id, kind)) => {
                    last_seq = Some(
                        append_change(&mut tx, ObjectType::User, &id.to_string(), kind, None)
                            .await?,
                    );
                    results.push(Ok(id));
                }
                // Only the failed statement was undone; the batch goes on.
                Err(
                    e @ (StoreError::Conflict { .. }
                    | StoreError::Invalid(_)
                    | StoreError::NotFound { .. }
                    | StoreError::VersionMismatch { .. }),
                ) => results.push(Err(e)),
                Err(e) => return Err(e),
            }
        }
        tx.commit().await?;
        if let Some(seq) = last_seq {
            self.announce(seq);
        }
        Ok(results)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ChangeFeed, DirectoryStore};
    use serde_json::json;

    #[tokio::test]
    async fn a_batch_keeps_each_rows_outcome() {
        let store = SqliteStore::in_memory().await.unwrap();
        let ada = store
            .create_user(json!({"userName": "ada@x.com", "externalId": "E1"}))
            .await
            .unwrap();
        let results = store
            .write_users(vec![
                UserWrite::Create(json!({"userName": "grace@x.com"})),
                UserWrite::Create(json!({"userName": "ADA@x.com"})),
                UserWrite::Create(json!({"userName": "alan@x.com", "externalId": "E1"})),
                UserWrite::Create(json!({"displayName": "no user name"})),
                UserWrite::Replace {
                    id: ada.id,
                    resource: json!({"userName": "ada@x.com", "active": false}),
                    version: 1,
                },
                UserWrite::Replace {
                    id: ada.id,
                    resource: json!({"userName": "ada@x.com"}),
                    version: 1,
                },
            ])
            .await
            .unwrap();
        assert!(results[0].is_ok());
        assert!(matches!(
            results[1],
            Err(StoreError::Conflict {
                what: "a user with userName",
                ..
            })
        ));
        assert!(matches!(
            results[2],
            Err(StoreError::Conflict {
                what: "a user with externalId",
                ..
            })
        ));
        assert!(matches!(results[3], Err(StoreError::Invalid(_))));
        assert!(results[4].is_ok());
        assert!(matches!(
            results[5],
            Err(StoreError::VersionMismatch { current: 2 })
        ));
        let kinds: Vec<_> = store
            .changes_after(0, 10)
            .await
            .unwrap()
            .into_iter()
            .map(|c| c.kind)
            .collect();
        assert_eq!(
            kinds,
            [
                ChangeKind::Created,
                ChangeKind::Created,
                ChangeKind::Disabled
            ]
        );
        let found = store
            .users_by_user_name(&["GRACE@x.com".into(), "nobody".into()])
            .await
            .unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!(store.users_by_id(&[ada.id]).await.unwrap()[0].version, 2);
    }
}
