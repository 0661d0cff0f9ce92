//! The directory on SQLite: users, groups, memberships and the change feed. Each write and
//! its change record commit in one transaction; subscribers hear of it after the commit.

use super::{is_unique_violation, SqliteStore};
use crate::directory::{group_columns, user_columns, GroupColumns, UserColumns};
use crate::Prefilter;
use crate::{
    Change, ChangeFeed, ChangeKind, DirectoryStore, Group, GroupId, GroupQuery, GroupSummary,
    Lookup, Member, MemberDetail, MemberType, ObjectType, Page, StoreError, StoreResult, User,
    UserId, UserQuery, UserSort, UserState, UserSummary,
};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde_json::{json, Value};
use sqlx::sqlite::SqliteRow;
use sqlx::{Row, Sqlite, Transaction};
use std::collections::HashSet;

pub(super) type Tx<'a> = Transaction<'a, Sqlite>;

fn object_type_str(t: ObjectType) -> &'static str {
    match t {
        ObjectType::User => "user",
        ObjectType::Group => "group",
    }
}

pub(super) async fn append_change(
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

pub(super) fn user_conflict(e: sqlx::Error, c: &UserColumns) -> StoreError {
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

pub(super) fn user_from_row(row: &SqliteRow) -> StoreResult<User> {
    let id: String = row.try_get("id")?;
    Ok(User {
        id: parse_user_id(&id)?,
        resource: parse_json(row.try_get("resource")?)?,
        version: row.try_get("version")?,
        active: row.try_get("active")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
        deleted_at: row.try_get("deleted_at")?,
    })
}

/// The text as one FTS5 phrase: the trigram index then matches it anywhere, literally.
fn fts_phrase(text: &str) -> String {
    format!("\"{}\"", text.to_lowercase().replace('"', "\"\""))
}

/// `%text%` for LIKE, with LIKE's wildcards in the text escaped.
pub(super) fn like_pattern(text: &str) -> String {
    let escaped = text
        .to_lowercase()
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

/// Binds the user columns in the order both the INSERT and the UPDATE list them
/// (user_name through resource).
pub(super) fn bind_user_columns<'q>(
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

pub(super) const USER_COLUMNS: &str =
    "id, resource, version, active, created_at, updated_at, deleted_at";

impl SqliteStore {
    pub(super) fn announce(&self, seq: i64) {
        self.changes.send_if_modified(|latest| {
            let newer = seq > *latest;
            if newer {
                *latest = seq;
            }
            newer
        });
    }

    /// A write transaction. `BEGIN IMMEDIATE` takes the write lock up front, so a
    /// transaction that reads before it writes waits for other writers (busy timeout) instead
    /// of failing when its snapshot turns stale.
    pub(super) async fn write_tx(&self) -> StoreResult<Tx<'static>> {
        Ok(self.writer.begin_with("BEGIN IMMEDIATE").await?)
    }

    /// Appends the change record, commits the transaction, then tells subscribers: every
    /// directory write ends here, so no change is committed without its feed entry.
    async fn commit_change(
        &self,
        tx: Tx<'_>,
        object_type: ObjectType,
        object_id: &str,
        kind: ChangeKind,
        detail: Option<Value>,
    ) -> StoreResult<()> {
        self.commit_changes(tx, vec![(object_type, object_id.to_string(), kind, detail)])
            .await
    }

    /// [`Self::commit_change`] for a write that is several changes at once.
    pub(super) async fn commit_changes(
        &self,
        mut tx: Tx<'_>,
        changes: Vec<(ObjectType, String, ChangeKind, Option<Value>)>,
    ) -> StoreResult<()> {
        let mut last = None;
        for (object_type, object_id, kind, detail) in changes {
            last = Some(append_change(&mut tx, object_type, &object_id, kind, detail).await?);
        }
        tx.commit().await?;
        if let Some(seq) = last {
            self.announce(seq);
        }
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

    async fn group_in_tx(tx: &mut Tx<'_>, id: GroupId) -> StoreResult<Group> {
        let row = sqlx::query(&format!("SELECT {GROUP_COLUMNS} FROM groups WHERE id = ?"))
            .bind(id.to_string())
            .fetch_optional(&mut **tx)
            .await?
            .ok_or_else(|| StoreError::NotFound {
                what: "group",
                id: id.to_string(),
            })?;
        group_from_row(&row)
    }

    /// Sets or clears `deleted_at` and records the change.
    async fn set_deleted(&self, id: UserId, deleted: bool) -> StoreResult<User> {
        let mut tx = self.write_tx().await?;
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
        .await
        .map_err(|e| {
            // Restoring a user whose userName or externalId a current user took meanwhile.
            let text = |key: &str| {
                user.resource
                    .get(key)
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string()
            };
            if !is_unique_violation(&e) {
                e.into()
            } else if e.to_string().contains("external_id") {
                StoreError::Conflict {
                    what: "another current user with externalId",
                    value: text("externalId"),
                }
            } else {
                StoreError::Conflict {
                    what: "another current user with userName",
                    value: text("userName"),
                }
            }
        })?;
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
        let mut tx = self.write_tx().await?;
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
        let mut tx = self.write_tx().await?;
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
        let mut tx = self.write_tx().await?;
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
        // Three characters or more: the trigram index finds the rows; fewer: LIKE scans.
        let indexed = q
            .search
            .as_deref()
            .map(str::trim)
            .is_some_and(|t| t.chars().count() >= 3);
        let filter = match (&search, indexed) {
            (None, _) => state.to_string(),
            (Some(_), true) => format!(
                "{state} AND rowid IN (SELECT rowid FROM users_search WHERE users_search MATCH ?1)"
            ),
            (Some(_), false) => format!("{state} AND (user_name_key LIKE ?1 ESCAPE '\\' OR lower(display_name) LIKE ?1 ESCAPE '\\' OR email LIKE ?1 ESCAPE '\\')"),
        };
        let search = match (search, indexed) {
            (Some(_), true) => q.search.as_deref().map(|t| fts_phrase(t.trim())),
            (other, _) => other,
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
            .map(summary_from_row)
            .collect::<StoreResult<Vec<_>>>()?;
        Ok(Page { items, total })
    }

    async fn find_users(&self, lookup: &Lookup) -> StoreResult<Vec<User>> {
        let (condition, value) = match lookup {
            Lookup::Id(id) => ("id = ?", id.clone()),
            Lookup::UserName(v) => ("user_name_key = ?", v.trim().to_lowercase()),
            Lookup::ExternalId(v) => ("external_id = ?", v.clone()),
            Lookup::Email(v) => ("email = ?", v.trim().to_lowercase()),
            Lookup::DisplayName(v) => ("display_name = ? COLLATE NOCASE", v.clone()),
        };
        let rows = sqlx::query(&format!(
            "SELECT {USER_COLUMNS} FROM users WHERE {condition} AND deleted_at IS NULL ORDER BY created_at, id LIMIT 1000"
        ))
        .bind(value)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(user_from_row).collect()
    }

    async fn users_page(
        &self,
        sort: Option<UserSort>,
        descending: bool,
        offset: u32,
        limit: u32,
    ) -> StoreResult<Page<User>> {
        let direction = if descending { "DESC" } else { "ASC" };
        let order = sort.map_or("created_at", UserSort::column);
        // Users without the value sort last ascending and first descending (RFC 7644
        // §3.4.2.3); the text columns that may be empty hold '' for "no value". Columns that
        // are never empty keep their index order.
        let unassigned = match sort {
            Some(UserSort::DisplayName | UserSort::FamilyName | UserSort::Email) => {
                format!("({order} = '') {direction}, ")
            }
            _ => String::new(),
        };
        let rows = sqlx::query(&format!(
            "SELECT {USER_COLUMNS} FROM users WHERE deleted_at IS NULL
             ORDER BY {unassigned}{order} {direction}, id {direction} LIMIT ? OFFSET ?"
        ))
        .bind(limit)
        .bind(offset)
        .fetch_all(&self.pool)
        .await?;
        let total: i64 = sqlx::query_scalar("SELECT count(*) FROM users WHERE deleted_at IS NULL")
            .fetch_one(&self.pool)
            .await?;
        Ok(Page {
            items: rows.iter().map(user_from_row).collect::<StoreResult<_>>()?,
            total,
        })
    }

    async fn scan_users(
        &self,
        after: Option<UserId>,
        limit: u32,
        prefilter: Option<&Prefilter>,
    ) -> StoreResult<Vec<User>> {
        let mut params = Vec::new();
        let condition = prefilter.map_or_else(|| "1 = 1".to_string(), |p| p.sql(&mut params));
        let sql = format!(
            "SELECT {USER_COLUMNS} FROM users WHERE deleted_at IS NULL AND id > ? AND {condition}
             ORDER BY id LIMIT ?"
        );
        let mut query = sqlx::query(&sql).bind(after.map(|id| id.to_string()).unwrap_or_default());
        for p in &params {
            query = query.bind(p);
        }
        let rows = query.bind(limit).fetch_all(&self.pool).await?;
        rows.iter().map(user_from_row).collect()
    }

    async fn manager_ids(&self, after: Option<UserId>, limit: u32) -> StoreResult<Vec<UserId>> {
        // A skip scan: one index seek per manager, instead of a walk over every report (with
        // a table read each, where the generated column is parsed from the resource again).
        let ids: Vec<String> = sqlx::query_scalar(
            "WITH RECURSIVE m(id) AS (
                 SELECT (SELECT min(manager_id) FROM users WHERE manager_id > ?1)
                 UNION ALL
                 SELECT (SELECT min(manager_id) FROM users WHERE manager_id > m.id)
                 FROM m WHERE m.id IS NOT NULL
             )
             SELECT id FROM m
             WHERE id IS NOT NULL
               AND EXISTS (SELECT 1 FROM users r WHERE r.manager_id = m.id AND r.deleted_at IS NULL)
             LIMIT ?2",
        )
        .bind(after.map(|id| id.to_string()).unwrap_or_default())
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        Ok(ids.iter().filter_map(|id| UserId::parse(id)).collect())
    }

    async fn users_by_ids(&self, ids: &[UserId]) -> StoreResult<Vec<User>> {
        let mut users = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(500) {
            let marks = vec!["?"; chunk.len()].join(", ");
            let sql = format!(
                "SELECT {USER_COLUMNS} FROM users
                 WHERE deleted_at IS NULL AND id IN ({marks}) ORDER BY id"
            );
            let mut query = sqlx::query(&sql);
            for id in chunk {
                query = query.bind(id.to_string());
            }
            for row in query.fetch_all(&self.pool).await? {
                users.push(user_from_row(&row)?);
            }
        }
        Ok(users)
    }

    async fn direct_reports(&self, id: UserId, limit: u32) -> StoreResult<Page<UserSummary>> {
        // `manager_id` is a generated column (0004_user_manager.sql) with its own index.
        let rows = sqlx::query(
            "SELECT id, user_name, display_name, given_name, family_name, email, active,
                    deleted_at IS NOT NULL AS deleted, updated_at
             FROM users WHERE manager_id = ? AND deleted_at IS NULL
             ORDER BY display_name COLLATE NOCASE, id LIMIT ?",
        )
        .bind(id.to_string())
        .bind(limit.clamp(1, 500))
        .fetch_all(&self.pool)
        .await?;
        let total: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM users WHERE manager_id = ? AND deleted_at IS NULL",
        )
        .bind(id.to_string())
        .fetch_one(&self.pool)
        .await?;
        Ok(Page {
            items: rows
                .iter()
                .map(summary_from_row)
                .collect::<StoreResult<_>>()?,
            total,
        })
    }

    async fn groups_of(
        &self,
        member_ids: &[String],
    ) -> StoreResult<Vec<(String, GroupId, String)>> {
        let mut out = Vec::new();
        // SQLite allows 32766 parameters; stay far below.
        for chunk in member_ids.chunks(500) {
            let placeholders = vec!["?"; chunk.len()].join(", ");
            let sql = format!(
                "SELECT gm.member_id, g.id, g.display_name FROM group_members gm
                 JOIN groups g ON g.id = gm.group_id
                 WHERE gm.member_id IN ({placeholders}) ORDER BY g.display_name COLLATE NOCASE"
            );
            let mut query = sqlx::query(&sql);
            for id in chunk {
                query = query.bind(id);
            }
            for row in query.fetch_all(&self.pool).await? {
                let group_id: String = row.try_get("id")?;
                out.push((
                    row.try_get("member_id")?,
                    parse_group_id(&group_id)?,
                    row.try_get("display_name")?,
                ));
            }
        }
        Ok(out)
    }

    async fn create_group(&self, mut resource: Value, members: Vec<Member>) -> StoreResult<Group> {
        let c = group_columns(&mut resource).map_err(StoreError::Invalid)?;
        let id = GroupId::new();
        let now = Utc::now();
        let mut tx = self.write_tx().await?;
        sqlx::query(
            "INSERT INTO groups (id, display_name, display_name_key, external_id, resource, version, created_at, updated_at)
             VALUES (?, ?, ?, ?, ?, 1, ?, ?)",
        )
        .bind(id.to_string())
        .bind(&c.display_name)
        .bind(c.display_name.to_lowercase())
        .bind(&c.external_id)
        .bind(resource.to_string())
        .bind(now)
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(|e| group_conflict(e, &c))?;
        let mut changes = vec![(ObjectType::Group, id.to_string(), ChangeKind::Created, None)];
        for member in dedup_members(members) {
            insert_member(&mut tx, id, &member, now).await?;
            changes.push(member_change(id, &member, ChangeKind::MemberAdded));
        }
        self.commit_changes(tx, changes).await?;
        Ok(Group {
            id,
            display_name: c.display_name,
            resource,
            version: 1,
            created_at: now,
            updated_at: now,
        })
    }

    async fn group(&self, id: GroupId) -> StoreResult<Option<Group>> {
        let row = sqlx::query(&format!("SELECT {GROUP_COLUMNS} FROM groups WHERE id = ?"))
            .bind(id.to_string())
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(group_from_row).transpose()
    }

    async fn replace_group(
        &self,
        id: GroupId,
        mut resource: Value,
        members: Option<Vec<Member>>,
        if_version: Option<i64>,
    ) -> StoreResult<Group> {
        let c = group_columns(&mut resource).map_err(StoreError::Invalid)?;
        let mut tx = self.write_tx().await?;
        let before = Self::group_in_tx(&mut tx, id).await?;
        if let Some(expected) = if_version {
            if expected != before.version {
                return Err(StoreError::VersionMismatch {
                    current: before.version,
                });
            }
        }
        let mut changes = Vec::new();
        let now = Utc::now();
        if before.resource != resource {
            changes.push((ObjectType::Group, id.to_string(), ChangeKind::Updated, None));
        }
        if let Some(members) = members {
            // Members in the recycle bin are not shown, so a new member list cannot mean to
            // remove them: they keep their membership and have it back when restored.
            let current: Vec<String> = sqlx::query_scalar(
                "SELECT gm.member_id FROM group_members gm
                 LEFT JOIN users u ON gm.member_type = 'user' AND u.id = gm.member_id
                 WHERE gm.group_id = ? AND u.deleted_at IS NULL",
            )
            .bind(id.to_string())
            .fetch_all(&mut *tx)
            .await?;
            let current: HashSet<String> = current.into_iter().collect();
            let wanted = dedup_members(members);
            let wanted_ids: HashSet<&str> = wanted.iter().map(|m| m.id.as_str()).collect();
            for gone in current.iter().filter(|m| !wanted_ids.contains(m.as_str())) {
                sqlx::query("DELETE FROM group_members WHERE group_id = ? AND member_id = ?")
                    .bind(id.to_string())
                    .bind(gone)
                    .execute(&mut *tx)
                    .await?;
                changes.push((
                    ObjectType::Group,
                    id.to_string(),
                    ChangeKind::MemberRemoved,
                    Some(json!({ "member": gone })),
                ));
            }
            for member in wanted.iter().filter(|m| !current.contains(&m.id)) {
                insert_member(&mut tx, id, member, now).await?;
                changes.push(member_change(id, member, ChangeKind::MemberAdded));
            }
        }
        if changes.is_empty() {
            return Ok(before);
        }
        sqlx::query(
            "UPDATE groups SET display_name = ?, display_name_key = ?, external_id = ?, resource = ?,
                    version = version + 1, updated_at = ?
             WHERE id = ?",
        )
        .bind(&c.display_name)
        .bind(c.display_name.to_lowercase())
        .bind(&c.external_id)
        .bind(resource.to_string())
        .bind(now)
        .bind(id.to_string())
        .execute(&mut *tx)
        .await
        .map_err(|e| group_conflict(e, &c))?;
        let group = Self::group_in_tx(&mut tx, id).await?;
        self.commit_changes(tx, changes).await?;
        Ok(group)
    }

    async fn delete_group(&self, id: GroupId) -> StoreResult<()> {
        let mut tx = self.write_tx().await?;
        let group = Self::group_in_tx(&mut tx, id).await?;
        // Where this group was a member of others, those groups change too.
        let parents: Vec<String> =
            sqlx::query_scalar("SELECT group_id FROM group_members WHERE member_id = ?")
                .bind(id.to_string())
                .fetch_all(&mut *tx)
                .await?;
        sqlx::query("DELETE FROM group_members WHERE member_id = ? OR group_id = ?")
            .bind(id.to_string())
            .bind(id.to_string())
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM groups WHERE id = ?")
            .bind(id.to_string())
            .execute(&mut *tx)
            .await?;
        let mut changes: Vec<_> = parents
            .into_iter()
            .map(|parent| {
                (
                    ObjectType::Group,
                    parent,
                    ChangeKind::MemberRemoved,
                    Some(json!({ "member": id.to_string() })),
                )
            })
            .collect();
        let detail = json!({ "displayName": group.display_name, "externalId": group.resource.get("externalId") });
        changes.push((
            ObjectType::Group,
            id.to_string(),
            ChangeKind::HardDeleted,
            Some(detail),
        ));
        self.commit_changes(tx, changes).await
    }

    async fn list_groups(&self, q: &GroupQuery) -> StoreResult<Page<GroupSummary>> {
        let search = q
            .search
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(like_pattern);
        let filter = if search.is_some() {
            "display_name_key LIKE ?1 ESCAPE '\\' OR lower(coalesce(external_id, '')) LIKE ?1 ESCAPE '\\'"
        } else {
            "1 = 1"
        };
        let direction = if q.descending { "DESC" } else { "ASC" };
        let sql = format!(
            "SELECT g.id, g.display_name, CAST(coalesce(json_extract(g.resource, '$.description'), '') AS TEXT) AS description,
                    g.external_id, g.updated_at,
                    (SELECT count(*) FROM group_members gm
                     LEFT JOIN users u ON gm.member_type = 'user' AND u.id = gm.member_id
                     WHERE gm.group_id = g.id AND u.deleted_at IS NULL) AS member_count
             FROM groups g WHERE {filter}
             ORDER BY g.display_name COLLATE NOCASE {direction}, g.id {direction} LIMIT {} OFFSET {}",
            q.limit.clamp(1, 500),
            q.offset
        );
        let count_sql = format!("SELECT count(*) FROM groups WHERE {filter}");
        let mut query = sqlx::query(&sql);
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
                Ok(GroupSummary {
                    id: parse_group_id(&id)?,
                    display_name: row.try_get("display_name")?,
                    description: row.try_get("description")?,
                    external_id: row.try_get("external_id")?,
                    member_count: row.try_get("member_count")?,
                    updated_at: row.try_get("updated_at")?,
                })
            })
            .collect::<StoreResult<Vec<_>>>()?;
        Ok(Page { items, total })
    }

    async fn find_groups(&self, lookup: &Lookup) -> StoreResult<Vec<Group>> {
        let (condition, value) = match lookup {
            Lookup::Id(id) => ("id = ?", id.clone()),
            Lookup::DisplayName(v) => ("display_name_key = ?", v.trim().to_lowercase()),
            Lookup::ExternalId(v) => ("external_id = ?", v.clone()),
            Lookup::UserName(_) | Lookup::Email(_) => return Ok(Vec::new()),
        };
        let rows = sqlx::query(&format!(
            "SELECT {GROUP_COLUMNS} FROM groups WHERE {condition} ORDER BY created_at, id LIMIT 1000"
        ))
        .bind(value)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(group_from_row).collect()
    }

    async fn groups_page(&self, offset: u32, limit: u32) -> StoreResult<Page<Group>> {
        let rows = sqlx::query(&format!(
            "SELECT {GROUP_COLUMNS} FROM groups ORDER BY display_name COLLATE NOCASE, id LIMIT ? OFFSET ?"
        ))
        .bind(limit)
        .bind(offset)
        .fetch_all(&self.pool)
        .await?;
        let total: i64 = sqlx::query_scalar("SELECT count(*) FROM groups")
            .fetch_one(&self.pool)
            .await?;
        Ok(Page {
            items: rows
                .iter()
                .map(group_from_row)
                .collect::<StoreResult<_>>()?,
            total,
        })
    }

    async fn scan_groups(
        &self,
        after: Option<GroupId>,
        limit: u32,
        prefilter: Option<&Prefilter>,
    ) -> StoreResult<Vec<Group>> {
        let mut params = Vec::new();
        let condition = prefilter.map_or_else(|| "1 = 1".to_string(), |p| p.sql(&mut params));
        let sql = format!(
            "SELECT {GROUP_COLUMNS} FROM groups WHERE id > ? AND {condition} ORDER BY id LIMIT ?"
        );
        let mut query = sqlx::query(&sql).bind(after.map(|id| id.to_string()).unwrap_or_default());
        for p in &params {
            query = query.bind(p);
        }
        let rows = query.bind(limit).fetch_all(&self.pool).await?;
        rows.iter().map(group_from_row).collect()
    }

    async fn resolve_members(&self, ids: &[String]) -> StoreResult<Vec<Member>> {
        let mut found = std::collections::HashMap::new();
        for chunk in ids.chunks(500) {
            let placeholders = vec!["?"; chunk.len()].join(", ");
            let sql = format!(
                "SELECT id, 'user' AS t FROM users WHERE id IN ({placeholders}) AND deleted_at IS NULL
                 UNION ALL SELECT id, 'group' AS t FROM groups WHERE id IN ({placeholders})"
            );
            let mut query = sqlx::query(&sql);
            for _ in 0..2 {
                for id in chunk {
                    query = query.bind(id);
                }
            }
            for row in query.fetch_all(&self.pool).await? {
                let id: String = row.try_get("id")?;
                let t: String = row.try_get("t")?;
                found.entry(id).or_insert(if t == "group" {
                    MemberType::Group
                } else {
                    MemberType::User
                });
            }
        }
        ids.iter()
            .map(|id| match found.get(id) {
                Some(&member_type) => Ok(Member {
                    id: id.clone(),
                    member_type,
                }),
                None => Err(StoreError::NotFound {
                    what: "user or group",
                    id: id.clone(),
                }),
            })
            .collect()
    }

    async fn add_member(&self, group: GroupId, member: Member) -> StoreResult<bool> {
        let mut tx = self.write_tx().await?;
        Self::group_in_tx(&mut tx, group).await?;
        let added = insert_member(&mut tx, group, &member, Utc::now()).await?;
        if !added {
            return Ok(false);
        }
        bump_group(&mut tx, group).await?;
        self.commit_changes(
            tx,
            vec![member_change(group, &member, ChangeKind::MemberAdded)],
        )
        .await?;
        Ok(true)
    }

    async fn remove_member(&self, group: GroupId, member_id: &str) -> StoreResult<bool> {
        let mut tx = self.write_tx().await?;
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
        bump_group(&mut tx, group).await?;
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

    async fn change_members(
        &self,
        group: GroupId,
        add: Vec<Member>,
        remove: Vec<String>,
        if_version: Option<i64>,
    ) -> StoreResult<Group> {
        let mut tx = self.write_tx().await?;
        let before = Self::group_in_tx(&mut tx, group).await?;
        if let Some(expected) = if_version {
            if expected != before.version {
                return Err(StoreError::VersionMismatch {
                    current: before.version,
                });
            }
        }
        let now = Utc::now();
        let mut changes = Vec::new();
        for id in remove {
            let removed =
                sqlx::query("DELETE FROM group_members WHERE group_id = ? AND member_id = ?")
                    .bind(group.to_string())
                    .bind(&id)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected()
                    > 0;
            if removed {
                changes.push((
                    ObjectType::Group,
                    group.to_string(),
                    ChangeKind::MemberRemoved,
                    Some(json!({ "member": id })),
                ));
            }
        }
        for member in dedup_members(add) {
            if insert_member(&mut tx, group, &member, now).await? {
                changes.push(member_change(group, &member, ChangeKind::MemberAdded));
            }
        }
        if changes.is_empty() {
            return Ok(before);
        }
        bump_group(&mut tx, group).await?;
        let after = Self::group_in_tx(&mut tx, group).await?;
        self.commit_changes(tx, changes).await?;
        Ok(after)
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
                    member_type: member_type_from(&t),
                })
            })
            .collect()
    }

    async fn member_details(&self, group: GroupId) -> StoreResult<Vec<MemberDetail>> {
        Ok(self.member_page(group, None, u32::MAX).await?.items)
    }

    async fn member_page(
        &self,
        group: GroupId,
        search: Option<&str>,
        limit: u32,
    ) -> StoreResult<Page<MemberDetail>> {
        let (rows, total) = principal_page(
            &self.pool,
            &GROUP_MEMBERS,
            &group.to_string(),
            search,
            limit,
        )
        .await?;
        let items = rows
            .iter()
            .map(|row| {
                let t: String = row.try_get("principal_type")?;
                Ok(MemberDetail {
                    id: row.try_get("principal_id")?,
                    member_type: member_type_from(&t),
                    display: row.try_get("display")?,
                    user_name: row.try_get("user_name")?,
                })
            })
            .collect::<StoreResult<Vec<_>>>()?;
        Ok(Page { items, total })
    }

    async fn members_among(&self, group: GroupId, ids: &[String]) -> StoreResult<Vec<String>> {
        let mut out = Vec::new();
        for chunk in ids.chunks(500) {
            let placeholders = vec!["?"; chunk.len()].join(", ");
            let sql = format!(
                "SELECT member_id FROM group_members WHERE group_id = ? AND member_id IN ({placeholders})"
            );
            let mut query = sqlx::query_scalar::<_, String>(&sql).bind(group.to_string());
            for id in chunk {
                query = query.bind(id);
            }
            out.extend(query.fetch_all(&self.pool).await?);
        }
        Ok(out)
    }
}

/// A [`UserSummary`] from a row with its columns (as `direct_reports` selects them).
fn summary_from_row(row: &SqliteRow) -> StoreResult<UserSummary> {
    let id: String = row.try_get("id")?;
    Ok(UserSummary {
        id: parse_user_id(&id)?,
        user_name: row.try_get("user_name")?,
        display_name: row.try_get("display_name")?,
        given_name: row.try_get("given_name")?,
        family_name: row.try_get("family_name")?,
        email: row.try_get("email")?,
        active: row.try_get("active")?,
        deleted: row.try_get("deleted")?,
        updated_at: row.try_get("updated_at")?,
    })
}

const GROUP_COLUMNS: &str = "id, display_name, resource, version, created_at, updated_at";

pub(super) fn parse_user_id(id: &str) -> StoreResult<UserId> {
    UserId::parse(id).ok_or_else(|| StoreError::Corrupt(format!("user id {id:?}")))
}

fn parse_group_id(id: &str) -> StoreResult<GroupId> {
    GroupId::parse(id).ok_or_else(|| StoreError::Corrupt(format!("group id {id:?}")))
}

fn group_from_row(row: &SqliteRow) -> StoreResult<Group> {
    let id: String = row.try_get("id")?;
    Ok(Group {
        id: parse_group_id(&id)?,
        display_name: row.try_get("display_name")?,
        resource: parse_json(row.try_get("resource")?)?,
        version: row.try_get("version")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

/// A table that links an owner (a group, an application) to users and groups.
pub(super) struct PrincipalLink {
    pub table: &'static str,
    /// The column naming the owner.
    pub owner: &'static str,
    /// The columns naming the user or group and saying which it is ('user' / 'group').
    pub id: &'static str,
    pub kind: &'static str,
    /// More columns of the link table to select (`, l.role`), or nothing.
    pub extra: &'static str,
}

pub(super) const GROUP_MEMBERS: PrincipalLink = PrincipalLink {
    table: "group_members",
    owner: "group_id",
    id: "member_id",
    kind: "member_type",
    extra: "",
};

/// One page of the users and groups an owner links to, by name, whose name or userName
/// contains `search`, with the total: rows with `principal_id`, `principal_type`, `display`,
/// `user_name` and the link's extra columns. Users in the recycle bin are hidden (they keep
/// the link, for a restore).
pub(super) async fn principal_page(
    pool: &sqlx::SqlitePool,
    link: &PrincipalLink,
    owner: &str,
    search: Option<&str>,
    limit: u32,
) -> StoreResult<(Vec<SqliteRow>, i64)> {
    let PrincipalLink {
        table,
        owner: owner_col,
        id,
        kind,
        extra,
    } = link;
    let from = format!(
        "FROM {table} l
         LEFT JOIN users u ON l.{kind} = 'user' AND u.id = l.{id}
         LEFT JOIN groups g ON l.{kind} = 'group' AND g.id = l.{id}
         WHERE l.{owner_col} = ?1 AND u.deleted_at IS NULL"
    );
    const DISPLAY: &str = "coalesce(nullif(u.display_name, ''), u.user_name, g.display_name, '')";
    let pattern = search
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(like_pattern);
    let filter = if pattern.is_some() {
        format!(" AND (lower({DISPLAY}) LIKE ?2 ESCAPE '\\' OR coalesce(u.user_name_key, '') LIKE ?2 ESCAPE '\\')")
    } else {
        String::new()
    };
    let sql = format!(
        "SELECT l.{id} AS principal_id, l.{kind} AS principal_type, {DISPLAY} AS display,
                coalesce(u.user_name, '') AS user_name{extra}
         {from}{filter}
         ORDER BY display COLLATE NOCASE, l.{id} LIMIT {limit}"
    );
    let count_sql = format!("SELECT count(*) {from}{filter}");
    let mut query = sqlx::query(&sql).bind(owner);
    let mut count = sqlx::query_scalar::<_, i64>(&count_sql).bind(owner);
    if let Some(p) = &pattern {
        query = query.bind(p);
        count = count.bind(p);
    }
    let rows = query.fetch_all(pool).await?;
    let total = count.fetch_one(pool).await?;
    Ok((rows, total))
}

pub(super) fn member_type_from(text: &str) -> MemberType {
    if text == "group" {
        MemberType::Group
    } else {
        MemberType::User
    }
}

fn group_conflict(e: sqlx::Error, c: &GroupColumns) -> StoreError {
    if !is_unique_violation(&e) {
        return e.into();
    }
    if e.to_string().contains("external_id") {
        StoreError::Conflict {
            what: "a group with externalId",
            value: c.external_id.clone().unwrap_or_default(),
        }
    } else {
        StoreError::Conflict {
            what: "a group named",
            value: c.display_name.clone(),
        }
    }
}

/// Members in their first order, each id once.
fn dedup_members(members: Vec<Member>) -> Vec<Member> {
    let mut seen = HashSet::new();
    members
        .into_iter()
        .filter(|m| seen.insert(m.id.clone()))
        .collect()
}

fn member_change(
    group: GroupId,
    member: &Member,
    kind: ChangeKind,
) -> (ObjectType, String, ChangeKind, Option<Value>) {
    (
        ObjectType::Group,
        group.to_string(),
        kind,
        Some(json!({ "member": member.id, "memberType": member.member_type.as_str() })),
    )
}

/// Inserts a direct membership after checking the member exists; `false` when it already
/// was one.
async fn insert_member(
    tx: &mut Tx<'_>,
    group: GroupId,
    member: &Member,
    now: DateTime<Utc>,
) -> StoreResult<bool> {
    if member.member_type == MemberType::Group && member.id == group.to_string() {
        return Err(StoreError::Invalid(
            "a group cannot be a member of itself".into(),
        ));
    }
    let member_table = match member.member_type {
        MemberType::User => "users",
        MemberType::Group => "groups",
    };
    let member_exists: Option<i64> =
        sqlx::query_scalar(&format!("SELECT 1 FROM {member_table} WHERE id = ?"))
            .bind(&member.id)
            .fetch_optional(&mut **tx)
            .await?;
    if member_exists.is_none() {
        return Err(StoreError::NotFound {
            what: member.member_type.as_str(),
            id: member.id.clone(),
        });
    }
    let added = sqlx::query(
        "INSERT INTO group_members (group_id, member_id, member_type, created_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (group_id, member_id) DO NOTHING",
    )
    .bind(group.to_string())
    .bind(&member.id)
    .bind(member.member_type.as_str())
    .bind(now)
    .execute(&mut **tx)
    .await?
    .rows_affected()
        > 0;
    Ok(added)
}

/// A membership change is a change of the group: new version (ETag), new lastModified.
async fn bump_group(tx: &mut Tx<'_>, group: GroupId) -> StoreResult<()> {
    sqlx::query("UPDATE groups SET version = version + 1, updated_at = ? WHERE id = ?")
        .bind(Utc::now())
        .bind(group.to_string())
        .execute(&mut **tx)
        .await?;
    Ok(())
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

    async fn latest_change(&self) -> StoreResult<i64> {
        Ok(
            sqlx::query_scalar("SELECT coalesce(max(seq), 0) FROM changes")
                .fetch_one(&self.pool)
                .await?,
        )
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
            .create_group(json!({"displayName": "Engineering"}), vec![])
            .await
            .unwrap();
        let all = store
            .create_group(json!({"displayName": "Everyone"}), vec![])
            .await
            .unwrap();
        let err = store
            .create_group(json!({"displayName": "engineering"}), vec![])
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

    #[tokio::test]
    async fn replacing_a_group_records_the_member_difference() {
        let store = SqliteStore::in_memory().await.unwrap();
        let ada = store.create_user(ada()).await.unwrap();
        let grace = store
            .create_user(json!({"userName": "grace@example.com", "displayName": "Grace Hopper"}))
            .await
            .unwrap();
        let inner = store
            .create_group(json!({"displayName": "Inner"}), vec![])
            .await
            .unwrap();
        let ids = [ada.id.to_string(), inner.id.to_string()];
        let members = store.resolve_members(&ids).await.unwrap();
        assert_eq!(members[1].member_type, MemberType::Group);
        let err = store
            .resolve_members(&["nobody".to_string()])
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::NotFound { .. }), "{err:?}");
        let outer = store
            .create_group(
                json!({"displayName": "Outer", "members": [{"value": "ignored"}]}),
                members,
            )
            .await
            .unwrap();
        assert!(
            outer.resource.get("members").is_none(),
            "members are rows, not JSON"
        );
        let seq = *store.subscribe_changes().borrow();
        let replaced = store
            .replace_group(
                outer.id,
                json!({"displayName": "Outer", "description": "All of us"}),
                Some(vec![
                    Member {
                        id: grace.id.to_string(),
                        member_type: MemberType::User,
                    },
                    Member {
                        id: inner.id.to_string(),
                        member_type: MemberType::Group,
                    },
                ]),
                Some(outer.version),
            )
            .await
            .unwrap();
        assert_eq!(replaced.version, outer.version + 1);
        let mut kinds = kinds_after(&store, seq).await;
        kinds.sort_by_key(|k| k.as_str());
        assert_eq!(
            kinds,
            [
                ChangeKind::MemberAdded,
                ChangeKind::MemberRemoved,
                ChangeKind::Updated
            ]
        );
        let details = store.member_details(outer.id).await.unwrap();
        assert_eq!(
            details
                .iter()
                .map(|d| d.display.as_str())
                .collect::<Vec<_>>(),
            ["Grace Hopper", "Inner"]
        );
        let page = store
            .list_groups(&GroupQuery {
                search: Some("out".into()),
                limit: 10,
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(page.total, 1);
        assert_eq!(
            (
                page.items[0].member_count,
                page.items[0].description.as_str()
            ),
            (2, "All of us")
        );
        let hopper = store.member_page(outer.id, Some("HOPP"), 10).await.unwrap();
        assert_eq!(
            (hopper.total, hopper.items[0].display.as_str()),
            (1, "Grace Hopper")
        );
        let first = store.member_page(outer.id, None, 1).await.unwrap();
        assert_eq!((first.total, first.items.len()), (2, 1));
        assert_eq!(
            store
                .members_among(outer.id, &[ada.id.to_string(), grace.id.to_string()])
                .await
                .unwrap(),
            [grace.id.to_string()]
        );
        let of = store
            .groups_of(&[grace.id.to_string(), ada.id.to_string()])
            .await
            .unwrap();
        assert_eq!(of.len(), 1, "only Grace is still a member");
        // Deleting the inner group removes it from the outer one, as a change of the outer.
        store.delete_group(inner.id).await.unwrap();
        assert_eq!(store.members(outer.id).await.unwrap().len(), 1);
        let last_two: Vec<_> = store.changes_after(seq + 3, 10).await.unwrap();
        assert_eq!(
            last_two
                .iter()
                .map(|c| (c.object_id.clone(), c.kind))
                .collect::<Vec<_>>(),
            [
                (outer.id.to_string(), ChangeKind::MemberRemoved),
                (inner.id.to_string(), ChangeKind::HardDeleted)
            ]
        );
        let err = store
            .replace_group(outer.id, json!({"displayName": "Outer"}), None, Some(1))
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::VersionMismatch { .. }), "{err:?}");
    }

    fn reporting_to(user_name: &str, display: &str, manager: Option<UserId>) -> Value {
        let mut r = json!({"userName": user_name, "displayName": display});
        if let Some(m) = manager {
            r[crate::ENTERPRISE_USER_SCHEMA] =
                json!({"department": "Research", "manager": {"value": m.to_string()}});
        }
        r
    }

    #[tokio::test]
    async fn manager_ids_are_the_distinct_managers_of_current_users_in_id_order() {
        let store = SqliteStore::in_memory().await.unwrap();
        let mut managers = Vec::new();
        for i in 0..5 {
            let m = store
                .create_user(reporting_to(&format!("m{i}@x.com"), "Manager", None))
                .await
                .unwrap();
            managers.push(m.id);
        }
        // Three reports each for the first four; the fifth's only report is in the recycle bin.
        for (i, m) in managers.iter().enumerate().take(4) {
            for r in 0..3 {
                store
                    .create_user(reporting_to(&format!("r{i}{r}@x.com"), "Report", Some(*m)))
                    .await
                    .unwrap();
            }
        }
        let gone = store
            .create_user(reporting_to("gone@x.com", "Gone", Some(managers[4])))
            .await
            .unwrap();
        store.soft_delete_user(gone.id).await.unwrap();
        let mut expected = managers[..4].to_vec();
        expected.sort_by_key(|id| id.to_string());

        assert_eq!(store.manager_ids(None, 10).await.unwrap(), expected);
        // Paged: after the last of a page, the next page.
        let first = store.manager_ids(None, 3).await.unwrap();
        assert_eq!(first, expected[..3]);
        let rest = store.manager_ids(Some(first[2]), 3).await.unwrap();
        assert_eq!(rest, expected[3..]);
        assert!(store
            .manager_ids(Some(expected[3]), 3)
            .await
            .unwrap()
            .is_empty());
        // Back from the recycle bin, the report makes the fifth a manager again.
        store.restore_user(gone.id).await.unwrap();
        assert_eq!(store.manager_ids(None, 10).await.unwrap().len(), 5);
    }

    #[tokio::test]
    async fn direct_reports_follow_the_manager_reference() {
        let store = SqliteStore::in_memory().await.unwrap();
        let boss = store
            .create_user(reporting_to("boss@x.com", "Mary Jackson", None))
            .await
            .unwrap();
        let grace = store
            .create_user(reporting_to("g@x.com", "Grace Hopper", Some(boss.id)))
            .await
            .unwrap();
        let ada = store
            .create_user(reporting_to("a@x.com", "ada Lovelace", Some(boss.id)))
            .await
            .unwrap();
        store
            .create_user(reporting_to("c@x.com", "Charles Babbage", Some(grace.id)))
            .await
            .unwrap();
        let names = |page: &Page<UserSummary>| {
            page.items
                .iter()
                .map(|u| u.display_name.clone())
                .collect::<Vec<_>>()
        };
        let reports = store.direct_reports(boss.id, 50).await.unwrap();
        assert_eq!(reports.total, 2);
        assert_eq!(
            names(&reports),
            ["ada Lovelace", "Grace Hopper"],
            "by name, ignoring case; only direct reports"
        );
        let first = store.direct_reports(boss.id, 1).await.unwrap();
        assert_eq!((first.items.len(), first.total), (1, 2));
        assert_eq!(store.direct_reports(ada.id, 50).await.unwrap().total, 0);

        // A new manager moves the report; the recycle bin hides them until restored.
        store
            .replace_user(
                ada.id,
                reporting_to("a@x.com", "ada Lovelace", Some(grace.id)),
                Some(ada.version),
            )
            .await
            .unwrap();
        assert_eq!(
            names(&store.direct_reports(boss.id, 50).await.unwrap()),
            ["Grace Hopper"]
        );
        assert_eq!(store.direct_reports(grace.id, 50).await.unwrap().total, 2);
        store.soft_delete_user(ada.id).await.unwrap();
        assert_eq!(store.direct_reports(grace.id, 50).await.unwrap().total, 1);
        store.restore_user(ada.id).await.unwrap();
        assert_eq!(store.direct_reports(grace.id, 50).await.unwrap().total, 2);
        // Removing the manager leaves the rest of the extension alone.
        let cleared = store
            .replace_user(
                grace.id,
                json!({"userName": "g@x.com", "displayName": "Grace Hopper",
                       crate::ENTERPRISE_USER_SCHEMA: {"department": "Research"}}),
                None,
            )
            .await
            .unwrap();
        assert_eq!(crate::manager_id(&cleared.resource), None);
        assert!(store
            .direct_reports(boss.id, 50)
            .await
            .unwrap()
            .items
            .is_empty());
    }

    #[tokio::test]
    async fn direct_reports_are_answered_by_the_index() {
        let store = SqliteStore::in_memory().await.unwrap();
        let plan: Vec<String> = sqlx::query(
            "EXPLAIN QUERY PLAN SELECT id FROM users WHERE manager_id = ? AND deleted_at IS NULL
             ORDER BY display_name COLLATE NOCASE, id LIMIT 50",
        )
        .bind(UserId::new().to_string())
        .fetch_all(&store.pool)
        .await
        .unwrap()
        .iter()
        .map(|row| row.try_get("detail").unwrap())
        .collect();
        assert!(
            plan.iter().any(|d| d.contains("users_manager_idx")),
            "{plan:?}"
        );
        assert!(
            !plan.iter().any(|d| d.contains("TEMP B-TREE")),
            "the index gives the order too: {plan:?}"
        );
    }

    #[tokio::test]
    async fn lookups_use_scim_case_rules_and_skip_the_recycle_bin() {
        let store = SqliteStore::in_memory().await.unwrap();
        let user = store.create_user(ada()).await.unwrap();
        for lookup in [
            Lookup::UserName("ADA@example.com".into()),
            Lookup::Email("Ada@Example.com".into()),
            Lookup::ExternalId("E1".into()),
            Lookup::DisplayName("ada lovelace".into()),
            Lookup::Id(user.id.to_string()),
        ] {
            assert_eq!(
                store.find_users(&lookup).await.unwrap().len(),
                1,
                "{lookup:?}"
            );
        }
        assert!(
            store
                .find_users(&Lookup::ExternalId("e1".into()))
                .await
                .unwrap()
                .is_empty(),
            "externalId is case-exact"
        );
        store.soft_delete_user(user.id).await.unwrap();
        assert!(store
            .find_users(&Lookup::UserName("ada@example.com".into()))
            .await
            .unwrap()
            .is_empty());
        assert_eq!(store.users_page(None, false, 0, 10).await.unwrap().total, 0);
        assert!(store.scan_users(None, 10, None).await.unwrap().is_empty());
    }

    #[tokio::test]
    async fn the_recycle_bin_frees_names_and_hides_memberships() {
        let store = SqliteStore::in_memory().await.unwrap();
        let old = store.create_user(ada()).await.unwrap();
        let group = store
            .create_group(
                json!({"displayName": "Analysts"}),
                vec![Member {
                    id: old.id.to_string(),
                    member_type: MemberType::User,
                }],
            )
            .await
            .unwrap();
        store.soft_delete_user(old.id).await.unwrap();
        assert!(store.member_details(group.id).await.unwrap().is_empty());
        // A new member list does not drop the hidden member.
        let new = store.create_user(ada()).await.unwrap();
        store
            .replace_group(
                group.id,
                json!({"displayName": "Analysts"}),
                Some(vec![Member {
                    id: new.id.to_string(),
                    member_type: MemberType::User,
                }]),
                None,
            )
            .await
            .unwrap();
        assert_eq!(store.members(group.id).await.unwrap().len(), 2);
        let err = store.restore_user(old.id).await.unwrap_err();
        assert!(
            matches!(err, StoreError::Conflict { what, .. } if what.starts_with("another current user")),
            "{err:?}"
        );
        store.soft_delete_user(new.id).await.unwrap();
        store.restore_user(old.id).await.unwrap();
        let shown = store.member_details(group.id).await.unwrap();
        assert_eq!(shown.len(), 1);
        assert_eq!(shown[0].id, old.id.to_string());
    }

    #[tokio::test]
    async fn the_search_index_follows_every_write() {
        let store = SqliteStore::in_memory().await.unwrap();
        let user = store.create_user(ada()).await.unwrap();
        let found = |term: &'static str| {
            let store = store.clone();
            async move {
                store
                    .list_users(&UserQuery {
                        search: Some(term.into()),
                        limit: 10,
                        ..Default::default()
                    })
                    .await
                    .unwrap()
                    .total
            }
        };
        assert_eq!(found("LOVEL").await, 1);
        let mut renamed = ada();
        renamed["displayName"] = json!("Ada King");
        store.replace_user(user.id, renamed, None).await.unwrap();
        assert_eq!(found("king").await, 1);
        assert_eq!(found("lovelace").await, 0);
        assert_eq!(
            found("xample.c").await,
            1,
            "email and userName are searched too"
        );
        store.hard_delete_user(user.id).await.unwrap();
        assert_eq!(found("king").await, 0);
    }

    #[tokio::test]
    async fn member_changes_apply_without_reading_the_group() {
        let store = SqliteStore::in_memory().await.unwrap();
        let ada = store.create_user(ada()).await.unwrap();
        let grace = store
            .create_user(json!({"userName": "grace@example.com"}))
            .await
            .unwrap();
        let as_member = |id: UserId| Member {
            id: id.to_string(),
            member_type: MemberType::User,
        };
        let group = store
            .create_group(json!({"displayName": "Pioneers"}), vec![as_member(ada.id)])
            .await
            .unwrap();
        let seq = *store.subscribe_changes().borrow();
        let after = store
            .change_members(
                group.id,
                vec![as_member(grace.id), as_member(grace.id)],
                vec![ada.id.to_string()],
                Some(group.version),
            )
            .await
            .unwrap();
        assert_eq!(after.version, group.version + 1);
        let ids: Vec<String> = store
            .members(group.id)
            .await
            .unwrap()
            .into_iter()
            .map(|m| m.id)
            .collect();
        assert_eq!(
            ids,
            [grace.id.to_string()],
            "removed first, then the adds that are new"
        );
        assert_eq!(
            kinds_after(&store, seq).await,
            [ChangeKind::MemberRemoved, ChangeKind::MemberAdded]
        );
        // Nothing to do: no change, same version.
        let same = store
            .change_members(
                group.id,
                vec![as_member(grace.id)],
                vec!["nobody".into()],
                None,
            )
            .await
            .unwrap();
        assert_eq!(same.version, after.version);
        let err = store
            .change_members(group.id, vec![], vec![grace.id.to_string()], Some(1))
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::VersionMismatch { .. }), "{err:?}");
        let err = store
            .change_members(group.id, vec![as_member(UserId::new())], vec![], None)
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::NotFound { .. }), "{err:?}");
        assert_eq!(
            store.members(group.id).await.unwrap().len(),
            1,
            "nothing half-written"
        );
    }

    #[tokio::test]
    async fn prefilters_narrow_a_scan_in_sql() {
        use crate::{JsonPath, TextOp};
        let store = SqliteStore::in_memory().await.unwrap();
        const ENT: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
        for (name, title, dept, email) in [
            ("a", "Engineer", "R&D", "a@x.com"),
            ("b", "engineering lead", "Sales", "b@y.com"),
            ("c", "50%_off", "R&D", "c@x.com"),
        ] {
            store
                .create_user(json!({"userName": name, "title": title, ENT: {"department": dept},
                                    "emails": [{"value": "other@z.com"}, {"value": email, "type": "work"}]}))
                .await
                .unwrap();
        }
        let path = |p: &[&str]| JsonPath(p.iter().map(|s| s.to_string()).collect());
        let text = |p: JsonPath, op, v: &str, exact| Prefilter::Text {
            path: p,
            op,
            value: v.into(),
            case_exact: exact,
        };
        let names = |f: Prefilter| {
            let store = store.clone();
            async move {
                let mut n: Vec<String> = store
                    .scan_users(None, 100, Some(&f))
                    .await
                    .unwrap()
                    .into_iter()
                    .map(|u| u.resource["userName"].as_str().unwrap().to_string())
                    .collect();
                n.sort();
                n
            }
        };
        assert_eq!(
            names(text(path(&["title"]), TextOp::Eq, "ENGINEER", false)).await,
            ["a"]
        );
        assert_eq!(
            names(text(path(&["title"]), TextOp::Eq, "ENGINEER", true)).await,
            Vec::<String>::new()
        );
        assert_eq!(
            names(text(
                path(&["title"]),
                TextOp::StartsWith,
                "engineer",
                false
            ))
            .await,
            ["a", "b"]
        );
        assert_eq!(
            names(text(path(&["title"]), TextOp::StartsWith, "Engi", true)).await,
            ["a"]
        );
        assert_eq!(
            names(text(path(&["title"]), TextOp::EndsWith, "LEAD", false)).await,
            ["b"]
        );
        assert_eq!(
            names(text(path(&["title"]), TextOp::EndsWith, "lead", true)).await,
            ["b"]
        );
        assert_eq!(
            names(text(path(&["title"]), TextOp::Contains, "%_", false)).await,
            ["c"],
            "wildcards are literal"
        );
        assert_eq!(
            names(text(path(&[ENT, "department"]), TextOp::Eq, "r&d", false)).await,
            ["a", "c"]
        );
        let any = Prefilter::AnyText {
            array: path(&["emails"]),
            sub: vec!["value".into()],
            op: TextOp::EndsWith,
            value: "@X.COM".into(),
            case_exact: false,
        };
        assert_eq!(names(any.clone()).await, ["a", "c"]);
        assert_eq!(
            names(Prefilter::All(vec![
                any.clone(),
                text(path(&["title"]), TextOp::Contains, "off", false)
            ]))
            .await,
            ["c"]
        );
        assert_eq!(
            names(Prefilter::Any(vec![
                text(path(&["title"]), TextOp::Eq, "engineer", false),
                text(path(&["userName"]), TextOp::Eq, "b", true)
            ]))
            .await,
            ["a", "b"]
        );
        assert_eq!(
            names(Prefilter::Present(path(&["nickName"]))).await,
            Vec::<String>::new()
        );
        assert_eq!(
            names(Prefilter::Present(path(&[ENT, "department"])))
                .await
                .len(),
            3
        );
    }
}
