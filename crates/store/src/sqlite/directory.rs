//! The directory on SQLite: users, groups, memberships and the change feed. Each write and
//! its change record commit in one transaction; subscribers hear of it after the commit.

use super::{is_unique_violation, SqliteStore};
use crate::directory::{user_columns, UserColumns};
use crate::{
    Change, ChangeFeed, ChangeKind, DirectoryStore, Group, GroupId, Member, MemberType, ObjectType,
    Page, StoreError, StoreResult, User, UserId, UserQuery, UserState, UserSummary, GROUP_SCHEMA,
};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde_json::{json, Value};
use sqlx::sqlite::SqliteRow;
use sqlx::{Row, Sqlite, Transaction};

type Tx<'a> = Transaction<'a, Sqlite>;

fn object_type_str(t: ObjectType) -> &'static str {
    match t {
        ObjectType::User => "user",
        ObjectType::Group => "group",
    }
}

async fn append_change(
    tx: &mut Tx<'_>,
    object_type: ObjectType,
    object_id: &str,
    kind: ChangeKind,
    detail: Option<Value>,
) -> StoreResult<i64> {
    let seq: i64 = sqlx::query_scalar(
        "INSERT INTO changes (at, object_type, object_id, kind, detail) VALUES (?, ?, ?, ?, ?) RETURNING seq",
    )
    .bind(Utc::now())
    .bind(object_type_str(object_type))
    .bind(object_id)
    .bind(kind.as_str())
    .bind(detail.map(|d| d.to_string()))
    .fetch_one(&mut **tx)
    .await?;
    Ok(seq)
}

fn user_conflict(e: sqlx::Error, c: &UserColumns) -> StoreError {
    if !is_unique_violation(&e) {
        return e.into();
    }
    if e.to_string().contains("external_id") {
        StoreError::Conflict {
            what: "a user with externalId",
            value: c.external_id.clone().unwrap_or_default(),
        }
    } else {
        StoreError::Conflict {
            what: "a user with userName",
            value: c.user_name.clone(),
        }
    }
}

fn parse_json(text: &str) -> StoreResult<Value> {
    serde_json::from_str(text)
        .map_err(|e| StoreError::Corrupt(format!("stored resource is not JSON: {e}")))
}

fn user_from_row(row: &SqliteRow) -> StoreResult<User> {
    let id: String = row.try_get("id")?;
    Ok(User {
        id: UserId::parse(&id).ok_or_else(|| StoreError::Corrupt(format!("user id {id:?}")))?,
        resource: parse_json(row.try_get("resource")?)?,
        version: row.try_get("version")?,
        active: row.try_get("active")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
        deleted_at: row.try_get("deleted_at")?,
    })
}

/// `%text%` for LIKE, with LIKE's wildcards in the text escaped.
fn like_pattern(text: &str) -> String {
    let escaped = text
        .to_lowercase()
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

/// Binds the user columns in the order both the INSERT and the UPDATE list them
/// (user_name through resource).
fn bind_user_columns<'q>(
    query: sqlx::query::Query<'q, Sqlite, sqlx::sqlite::SqliteArguments<'q>>,
    c: &'q UserColumns,
    resource: &Value,
) -> sqlx::query::Query<'q, Sqlite, sqlx::sqlite::SqliteArguments<'q>> {
    query
        .bind(&c.user_name)
        .bind(c.user_name.to_lowercase())
        .bind(&c.external_id)
        .bind(&c.display_name)
        .bind(&c.given_name)
        .bind(&c.family_name)
        .bind(&c.email)
        .bind(c.active)
        .bind(resource.to_string())
}

const USER_COLUMNS: &str = "id, resource, version, active, created_at, updated_at, deleted_at";

impl SqliteStore {
    fn announce(&self, seq: i64) {
        self.changes.send_if_modified(|latest| {
            let newer = seq > *latest;
            if newer {
                *latest = seq;
            }
            newer
        });
    }

    /// Appends the change record, commits the transaction, then tells subscribers: every
    /// directory write ends here, so no change is committed without its feed entry.
    async fn commit_change(
        &self,
        mut tx: Tx<'_>,
        object_type: ObjectType,
        object_id: &str,
        kind: ChangeKind,
        detail: Option<Value>,
    ) -> StoreResult<()> {
        let seq = append_change(&mut tx, object_type, object_id, kind, detail).await?;
        tx.commit().await?;
        self.announce(seq);
        Ok(())
    }

    async fn user_in_tx(tx: &mut Tx<'_>, id: UserId) -> StoreResult<User> {
        let row = sqlx::query(&format!("SELECT {USER_COLUMNS} FROM users WHERE id = ?"))
            .bind(id.to_string())
            .fetch_optional(&mut **tx)
            .await?
            .ok_or_else(|| StoreError::NotFound {
                what: "user",
                id: id.to_string(),
            })?;
        user_from_row(&row)
    }

    /// Sets or clears `deleted_at` and records the change.
    async fn set_deleted(&self, id: UserId, deleted: bool) -> StoreResult<User> {
        let mut tx = self.pool.begin().await?;
        let user = Self::user_in_tx(&mut tx, id).await?;
        if user.deleted_at.is_some() == deleted {
            return Ok(user);
        }
        let now = Utc::now();
        sqlx::query(
            "UPDATE users SET deleted_at = ?, version = version + 1, updated_at = ? WHERE id = ?",
        )
        .bind(deleted.then_some(now))
        .bind(now)
        .bind(id.to_string())
        .execute(&mut *tx)
        .await?;
        let kind = if deleted {
            ChangeKind::SoftDeleted
        } else {
            ChangeKind::Restored
        };
        let user = Self::user_in_tx(&mut tx, id).await?;
        self.commit_change(tx, ObjectType::User, &id.to_string(), kind, None)
            .await?;
        Ok(user)
    }
}

#[async_trait]
impl DirectoryStore for SqliteStore {
    async fn create_user(&self, mut resource: Value) -> StoreResult<User> {
        let c = user_columns(&mut resource).map_err(StoreError::Invalid)?;
        let id = UserId::new();
        let now = Utc::now();
        let mut tx = self.pool.begin().await?;
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
            .map_err(|e| user_conflict(e, &c))?;
        self.commit_change(
            tx,
            ObjectType::User,
            &id.to_string(),
            ChangeKind::Created,
            None,
        )
        .await?;
        Ok(User {
            id,
            resource,
            version: 1,
            active: c.active,
            created_at: now,
            updated_at: now,
            deleted_at: None,
        })
    }

    async fn user(&self, id: UserId) -> StoreResult<Option<User>> {
        let row = sqlx::query(&format!("SELECT {USER_COLUMNS} FROM users WHERE id = ?"))
            .bind(id.to_string())
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(user_from_row).transpose()
    }

    async fn replace_user(
        &self,
        id: UserId,
        mut resource: Value,
        if_version: Option<i64>,
    ) -> StoreResult<User> {
        let c = user_columns(&mut resource).map_err(StoreError::Invalid)?;
        let mut tx = self.pool.begin().await?;
        let before = Self::user_in_tx(&mut tx, id).await?;
        if let Some(expected) = if_version {
            if expected != before.version {
                return Err(StoreError::VersionMismatch {
                    current: before.version,
                });
            }
        }
        if before.resource == resource {
            return Ok(before);
        }
        let now = Utc::now();
        let update = sqlx::query(
            "UPDATE users SET user_name = ?, user_name_key = ?, external_id = ?, display_name = ?,
                    given_name = ?, family_name = ?, email = ?, active = ?, resource = ?,
                    version = version + 1, updated_at = ?
             WHERE id = ?",
        );
        bind_user_columns(update, &c, &resource)
            .bind(now)
            .bind(id.to_string())
            .execute(&mut *tx)
            .await
            .map_err(|e| user_conflict(e, &c))?;
        // Sign-in state is its own kind of change: downstream it means disable or enable.
        let kind = match (before.active, c.active) {
            (true, false) => ChangeKind::Disabled,
            (false, true) => ChangeKind::Enabled,
            _ => ChangeKind::Updated,
        };
        let user = Self::user_in_tx(&mut tx, id).await?;
        self.commit_change(tx, ObjectType::User, &id.to_string(), kind, None)
            .await?;
        Ok(user)
    }

    async fn soft_delete_user(&self, id: UserId) -> StoreResult<()> {
        self.set_deleted(id, true).await.map(|_| ())
    }

    async fn restore_user(&self, id: UserId) -> StoreResult<User> {
        self.set_deleted(id, false).await
    }

    async fn hard_delete_user(&self, id: UserId) -> StoreResult<()> {
        let mut tx = self.pool.begin().await?;
        let user = Self::user_in_tx(&mut tx, id).await?;
        sqlx::query("DELETE FROM group_members WHERE member_id = ?")
            .bind(id.to_string())
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM users WHERE id = ?")
            .bind(id.to_string())
            .execute(&mut *tx)
            .await?;
        let detail = json!({ "userName": user.resource.get("userName"), "externalId": user.resource.get("externalId") });
        self.commit_change(
            tx,
            ObjectType::User,
            &id.to_string(),
            ChangeKind::HardDeleted,
            Some(detail),
        )
        .await?;
        Ok(())
    }

    async fn purge_recycle_bin(&self, before: DateTime<Utc>) -> StoreResult<u64> {
        let expired: Vec<String> = sqlx::query_scalar(
            "SELECT id FROM users WHERE deleted_at IS NOT NULL AND deleted_at <= ? ORDER BY deleted_at",
        )
        .bind(before)
        .fetch_all(&self.pool)
        .await?;
        let mut purged = 0;
        for id in expired.iter().filter_map(|id| UserId::parse(id)) {
            match self.hard_delete_user(id).await {
                Ok(()) => purged += 1,
                // Restored or deleted by someone else meanwhile: nothing to purge.
                Err(StoreError::NotFound { .. }) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(purged)
    }

    async fn list_users(&self, q: &UserQuery) -> StoreResult<Page<UserSummary>> {
        let state = match q.state {
            UserState::Current => "deleted_at IS NULL",
            UserState::Deleted => "deleted_at IS NOT NULL",
            UserState::All => "1 = 1",
        };
        let search = q
            .search
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(like_pattern);
        let filter = if search.is_some() {
            format!("{state} AND (user_name_key LIKE ?1 ESCAPE '\\' OR lower(display_name) LIKE ?1 ESCAPE '\\' OR email LIKE ?1 ESCAPE '\\')")
        } else {
            state.to_string()
        };
        let direction = if q.descending { "DESC" } else { "ASC" };
        let limit = q.limit.clamp(1, 500);
        let sql = format!(
            "SELECT id, user_name, display_name, given_name, family_name, email, active,
                    deleted_at IS NOT NULL AS deleted, updated_at
             FROM users WHERE {filter}
             ORDER BY {} {direction}, id {direction} LIMIT {limit} OFFSET {}",
            q.sort.column(),
            q.offset
        );
        let mut query = sqlx::query(&sql);
        let count_sql = format!("SELECT count(*) FROM users WHERE {filter}");
        let mut count = sqlx::query_scalar::<_, i64>(&count_sql);
        if let Some(pattern) = &search {
            query = query.bind(pattern);
            count = count.bind(pattern);
        }
        let rows = query.fetch_all(&self.pool).await?;
        let total = count.fetch_one(&self.pool).await?;
        let items = rows
            .iter()
            .map(|row| {
                let id: String = row.try_get("id")?;
                Ok(UserSummary {
                    id: UserId::parse(&id)
                        .ok_or_else(|| StoreError::Corrupt(format!("user id {id:?}")))?,
                    user_name: row.try_get("user_name")?,
                    display_name: row.try_get("display_name")?,
                    given_name: row.try_get("given_name")?,
                    family_name: row.try_get("family_name")?,
                    email: row.try_get("email")?,
                    active: row.try_get("active")?,
                    deleted: row.try_get("deleted")?,
                    updated_at: row.try_get("updated_at")?,
                })
            })
            .collect::<StoreResult<Vec<_>>>()?;
        Ok(Page { items, total })
    }

    async fn create_group(&self, mut resource: Value) -> StoreResult<Group> {
        let Value::Object(map) = &mut resource else {
            return Err(StoreError::Invalid("a group must be a JSON object".into()));
        };
        for key in ["id", "meta", "members"] {
            map.remove(key);
        }
        map.entry("schemas")
            .or_insert_with(|| json!([GROUP_SCHEMA]));
        let display_name = map
            .get("displayName")
            .and_then(Value::as_str)
            .map(str::trim)
            .unwrap_or("")
            .to_string();
        if display_name.is_empty() {
            return Err(StoreError::Invalid("displayName is required".into()));
        }
        let external_id = map
            .get("externalId")
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_string);
        let id = GroupId::new();
        let now = Utc::now();
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO groups (id, display_name, display_name_key, external_id, resource, version, created_at, updated_at)
             VALUES (?, ?, ?, ?, ?, 1, ?, ?)",
        )
        .bind(id.to_string())
        .bind(&display_name)
        .bind(display_name.to_lowercase())
        .bind(&external_id)
        .bind(resource.to_string())
        .bind(now)
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(|e| {
            if is_unique_violation(&e) && e.to_string().contains("external_id") {
                StoreError::Conflict { what: "a group with externalId", value: external_id.clone().unwrap_or_default() }
            } else if is_unique_violation(&e) {
                StoreError::Conflict { what: "a group named", value: display_name.clone() }
            } else {
                e.into()
            }
        })?;
        self.commit_change(
            tx,
            ObjectType::Group,
            &id.to_string(),
            ChangeKind::Created,
            None,
        )
        .await?;
        Ok(Group {
            id,
            display_name,
            resource,
            version: 1,
            created_at: now,
            updated_at: now,
        })
    }

    async fn group(&self, id: GroupId) -> StoreResult<Option<Group>> {
        let row = sqlx::query("SELECT id, display_name, resource, version, created_at, updated_at FROM groups WHERE id = ?")
            .bind(id.to_string())
            .fetch_optional(&self.pool)
            .await?;
        row.map(|row| {
            Ok(Group {
                id,
                display_name: row.try_get("display_name")?,
                resource: parse_json(row.try_get("resource")?)?,
                version: row.try_get("version")?,
                created_at: row.try_get("created_at")?,
                updated_at: row.try_get("updated_at")?,
            })
        })
        .transpose()
    }

    async fn add_member(&self, group: GroupId, member: Member) -> StoreResult<bool> {
        let mut tx = self.pool.begin().await?;
        let exists: Option<i64> = sqlx::query_scalar("SELECT 1 FROM groups WHERE id = ?")
            .bind(group.to_string())
            .fetch_optional(&mut *tx)
            .await?;
        if exists.is_none() {
            return Err(StoreError::NotFound {
                what: "group",
                id: group.to_string(),
            });
        }
        let member_table = match member.member_type {
            MemberType::User => "users",
            MemberType::Group => "groups",
        };
        let member_exists: Option<i64> =
            sqlx::query_scalar(&format!("SELECT 1 FROM {member_table} WHERE id = ?"))
                .bind(&member.id)
                .fetch_optional(&mut *tx)
                .await?;
        if member_exists.is_none() {
            return Err(StoreError::NotFound {
                what: member.member_type.as_str(),
                id: member.id,
            });
        }
        if member.member_type == MemberType::Group && member.id == group.to_string() {
            return Err(StoreError::Invalid(
                "a group cannot be a member of itself".into(),
            ));
        }
        let added = sqlx::query(
            "INSERT INTO group_members (group_id, member_id, member_type, created_at) VALUES (?, ?, ?, ?)
             ON CONFLICT (group_id, member_id) DO NOTHING",
        )
        .bind(group.to_string())
        .bind(&member.id)
        .bind(member.member_type.as_str())
        .bind(Utc::now())
        .execute(&mut *tx)
        .await?
        .rows_affected()
            > 0;
        if !added {
            return Ok(false);
        }
        let detail = json!({ "member": member.id, "memberType": member.member_type.as_str() });
        self.commit_change(
            tx,
            ObjectType::Group,
            &group.to_string(),
            ChangeKind::MemberAdded,
            Some(detail),
        )
        .await?;
        Ok(true)
    }

    async fn remove_member(&self, group: GroupId, member_id: &str) -> StoreResult<bool> {
        let mut tx = self.pool.begin().await?;
        let removed = sqlx::query("DELETE FROM group_members WHERE group_id = ? AND member_id = ?")
            .bind(group.to_string())
            .bind(member_id)
            .execute(&mut *tx)
            .await?
            .rows_affected()
            > 0;
        if !removed {
            return Ok(false);
        }
        self.commit_change(
            tx,
            ObjectType::Group,
            &group.to_string(),
            ChangeKind::MemberRemoved,
            Some(json!({ "member": member_id })),
        )
        .await?;
        Ok(true)
    }

    async fn members(&self, group: GroupId) -> StoreResult<Vec<Member>> {
        let rows = sqlx::query("SELECT member_id, member_type FROM group_members WHERE group_id = ? ORDER BY created_at, member_id")
            .bind(group.to_string())
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|row| {
                let t: String = row.try_get("member_type")?;
                Ok(Member {
                    id: row.try_get("member_id")?,
                    member_type: if t == "group" {
                        MemberType::Group
                    } else {
                        MemberType::User
                    },
                })
            })
            .collect()
    }
}

#[async_trait]
impl ChangeFeed for SqliteStore {
    async fn changes_after(&self, seq: i64, limit: u32) -> StoreResult<Vec<Change>> {
        let rows = sqlx::query("SELECT seq, at, object_type, object_id, kind, detail FROM changes WHERE seq > ? ORDER BY seq LIMIT ?")
            .bind(seq)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|row| {
                let kind: String = row.try_get("kind")?;
                let object_type: String = row.try_get("object_type")?;
                let detail: Option<String> = row.try_get("detail")?;
                let at: DateTime<Utc> = row.try_get("at")?;
                Ok(Change {
                    seq: row.try_get("seq")?,
                    at,
                    object_type: if object_type == "group" {
                        ObjectType::Group
                    } else {
                        ObjectType::User
                    },
                    object_id: row.try_get("object_id")?,
                    kind: ChangeKind::parse(&kind)
                        .ok_or_else(|| StoreError::Corrupt(format!("change kind {kind:?}")))?,
                    detail: detail.as_deref().map(parse_json).transpose()?,
                })
            })
            .collect()
    }

    fn subscribe_changes(&self) -> tokio::sync::watch::Receiver<i64> {
        self.changes.subscribe()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::UserSort;

    fn ada() -> Value {
        json!({"userName": "ada@example.com", "externalId": "E1", "displayName": "Ada Lovelace",
               "name": {"givenName": "Ada", "familyName": "Lovelace"},
               "emails": [{"value": "ada@example.com", "primary": true}]})
    }

    async fn kinds_after(store: &SqliteStore, seq: i64) -> Vec<ChangeKind> {
        store
            .changes_after(seq, 100)
            .await
            .unwrap()
            .into_iter()
            .map(|c| c.kind)
            .collect()
    }

    #[tokio::test]
    async fn every_user_change_lands_in_the_feed_in_order() {
        let store = SqliteStore::in_memory().await.unwrap();
        let mut feed = store.subscribe_changes();
        let user = store.create_user(ada()).await.unwrap();
        assert!(
            feed.has_changed().unwrap(),
            "subscribers are told after the commit"
        );
        let first = *feed.borrow_and_update();

        let mut changed = ada();
        changed["displayName"] = json!("Ada King");
        let v2 = store
            .replace_user(user.id, changed.clone(), Some(1))
            .await
            .unwrap();
        assert_eq!(v2.version, 2);
        // The same resource again is no change at all.
        assert_eq!(
            store
                .replace_user(user.id, changed.clone(), None)
                .await
                .unwrap()
                .version,
            2
        );
        changed["active"] = json!(false);
        store
            .replace_user(user.id, changed.clone(), None)
            .await
            .unwrap();
        changed["active"] = json!(true);
        store.replace_user(user.id, changed, None).await.unwrap();
        store.soft_delete_user(user.id).await.unwrap();
        store.restore_user(user.id).await.unwrap();
        store.hard_delete_user(user.id).await.unwrap();
        assert_eq!(
            kinds_after(&store, 0).await,
            [
                ChangeKind::Created,
                ChangeKind::Updated,
                ChangeKind::Disabled,
                ChangeKind::Enabled,
                ChangeKind::SoftDeleted,
                ChangeKind::Restored,
                ChangeKind::HardDeleted
            ]
        );
        assert_eq!(kinds_after(&store, first).await.len(), 6);
        assert_eq!(*feed.borrow(), first + 6);
        let gone = store.changes_after(first + 5, 10).await.unwrap();
        assert_eq!(
            gone[0].detail.as_ref().unwrap()["userName"],
            "ada@example.com"
        );
        assert!(store.user(user.id).await.unwrap().is_none());
    }

    #[tokio::test]
    async fn the_recycle_bin_is_purged_after_retention() {
        let store = SqliteStore::in_memory().await.unwrap();
        let kept = store.create_user(ada()).await.unwrap();
        let mut other = ada();
        other["userName"] = json!("grace@example.com");
        other["externalId"] = json!("E2");
        let old = store.create_user(other).await.unwrap();
        store.soft_delete_user(old.id).await.unwrap();
        assert_eq!(
            store
                .purge_recycle_bin(Utc::now() - chrono::Duration::days(30))
                .await
                .unwrap(),
            0
        );
        assert_eq!(store.purge_recycle_bin(Utc::now()).await.unwrap(), 1);
        assert!(store.user(old.id).await.unwrap().is_none());
        assert!(
            store.user(kept.id).await.unwrap().is_some(),
            "users not in the bin are never purged"
        );
        assert_eq!(
            kinds_after(&store, 0).await.last(),
            Some(&ChangeKind::HardDeleted)
        );
    }

    #[tokio::test]
    async fn conflicts_and_stale_versions_are_refused() {
        let store = SqliteStore::in_memory().await.unwrap();
        let user = store.create_user(ada()).await.unwrap();
        let mut dup = ada();
        dup["userName"] = json!("ADA@example.com");
        dup["externalId"] = json!("E2");
        let err = store.create_user(dup).await.unwrap_err();
        assert!(
            matches!(
                err,
                StoreError::Conflict {
                    what: "a user with userName",
                    ..
                }
            ),
            "{err:?}"
        );
        let mut dup = ada();
        dup["userName"] = json!("other@example.com");
        let err = store.create_user(dup).await.unwrap_err();
        assert!(
            matches!(
                err,
                StoreError::Conflict {
                    what: "a user with externalId",
                    ..
                }
            ),
            "{err:?}"
        );
        let err = store
            .replace_user(user.id, ada(), Some(7))
            .await
            .unwrap_err();
        assert!(
            matches!(err, StoreError::VersionMismatch { current: 1 }),
            "{err:?}"
        );
        // Nothing half-written: only the first create is in the feed.
        assert_eq!(kinds_after(&store, 0).await, [ChangeKind::Created]);
    }

    #[tokio::test]
    async fn lists_search_sort_and_page() {
        let store = SqliteStore::in_memory().await.unwrap();
        for (user, display, email) in [
            ("c@x.com", "Charles Babbage", "charles@x.com"),
            ("a@x.com", "Ada Lovelace", "ada@x.com"),
            ("g@x.com", "Grace Hopper", "grace@navy.example"),
            ("w_1@x.com", "Wildcard 100%", "w@x.com"),
        ] {
            store
                .create_user(
                    json!({"userName": user, "displayName": display, "emails": [{"value": email}]}),
                )
                .await
                .unwrap();
        }
        let names = |page: Page<UserSummary>| {
            page.items
                .into_iter()
                .map(|u| u.display_name)
                .collect::<Vec<_>>()
        };
        let q = UserQuery {
            limit: 2,
            ..Default::default()
        };
        let first = store.list_users(&q).await.unwrap();
        assert_eq!(first.total, 4);
        assert_eq!(names(first), ["Ada Lovelace", "Charles Babbage"]);
        let second = store
            .list_users(&UserQuery {
                offset: 2,
                ..q.clone()
            })
            .await
            .unwrap();
        assert_eq!(names(second), ["Grace Hopper", "Wildcard 100%"]);
        let navy = store
            .list_users(&UserQuery {
                search: Some("NAVY".into()),
                limit: 10,
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(names(navy), ["Grace Hopper"]);
        let pct = store
            .list_users(&UserQuery {
                search: Some("100%".into()),
                limit: 10,
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(names(pct), ["Wildcard 100%"], "% is matched literally");
        let underscore = store
            .list_users(&UserQuery {
                search: Some("_".into()),
                limit: 10,
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(underscore.total, 1, "_ is matched literally");
        let desc = store
            .list_users(&UserQuery {
                sort: UserSort::UserName,
                descending: true,
                limit: 1,
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(desc.items[0].user_name, "w_1@x.com");
        let ada = store
            .list_users(&UserQuery {
                search: Some("ada".into()),
                limit: 1,
                ..Default::default()
            })
            .await
            .unwrap();
        store.soft_delete_user(ada.items[0].id).await.unwrap();
        assert_eq!(
            store
                .list_users(&UserQuery {
                    limit: 10,
                    ..Default::default()
                })
                .await
                .unwrap()
                .total,
            3
        );
        let bin = store
            .list_users(&UserQuery {
                state: UserState::Deleted,
                limit: 10,
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(names(bin), ["Ada Lovelace"]);
    }

    #[tokio::test]
    async fn group_memberships_are_direct_and_fed() {
        let store = SqliteStore::in_memory().await.unwrap();
        let user = store.create_user(ada()).await.unwrap();
        let eng = store
            .create_group(json!({"displayName": "Engineering"}))
            .await
            .unwrap();
        let all = store
            .create_group(json!({"displayName": "Everyone"}))
            .await
            .unwrap();
        let err = store
            .create_group(json!({"displayName": "engineering"}))
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::Conflict { .. }), "{err:?}");
        let as_user = Member {
            id: user.id.to_string(),
            member_type: MemberType::User,
        };
        assert!(store.add_member(eng.id, as_user.clone()).await.unwrap());
        assert!(
            !store.add_member(eng.id, as_user).await.unwrap(),
            "adding twice is a no-op"
        );
        assert!(store
            .add_member(
                all.id,
                Member {
                    id: eng.id.to_string(),
                    member_type: MemberType::Group
                }
            )
            .await
            .unwrap());
        let err = store
            .add_member(
                all.id,
                Member {
                    id: all.id.to_string(),
                    member_type: MemberType::Group,
                },
            )
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::Invalid(_)), "{err:?}");
        let err = store
            .add_member(
                all.id,
                Member {
                    id: UserId::new().to_string(),
                    member_type: MemberType::User,
                },
            )
            .await
            .unwrap_err();
        assert!(
            matches!(err, StoreError::NotFound { what: "user", .. }),
            "{err:?}"
        );
        assert_eq!(store.members(eng.id).await.unwrap().len(), 1);
        assert!(store
            .remove_member(eng.id, &user.id.to_string())
            .await
            .unwrap());
        assert!(!store
            .remove_member(eng.id, &user.id.to_string())
            .await
            .unwrap());
        let group_changes: Vec<ChangeKind> = store
            .changes_after(0, 100)
            .await
            .unwrap()
            .into_iter()
            .filter(|c| c.object_type == ObjectType::Group)
            .map(|c| c.kind)
            .collect();
        assert_eq!(
            group_changes,
            [
                ChangeKind::Created,
                ChangeKind::Created,
                ChangeKind::MemberAdded,
                ChangeKind::MemberAdded,
                ChangeKind::MemberRemoved
            ]
        );
    }
}
