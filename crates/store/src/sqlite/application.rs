//! [`ApplicationStore`] on SQLite.

use super::directory::{member_type_from, principal_page, PrincipalLink, Tx};
use super::SqliteStore;
use crate::{
    Application, ApplicationChange, ApplicationStore, Assignment, ChangeKind, Member, MemberType,
    ObjectType, Page, StoreError, StoreResult, StoredCredential,
};
use async_trait::async_trait;

/// SQL: whether user `u` is assigned to application `?1`, directly or through a group they
/// are a direct member of: one index lookup for the user, and one membership lookup per
/// assigned group (those are read once per statement). Written so that the planner never
/// walks every assignment of the application for each user.
pub(super) const USER_ASSIGNED: &str = "(EXISTS (SELECT 1 FROM assignments a
        WHERE a.application_id = ?1 AND a.principal_id = u.id AND a.principal_type = 'user')
    OR EXISTS (SELECT 1 FROM group_members gm
        WHERE gm.member_id = u.id AND gm.group_id IN (SELECT a.principal_id FROM assignments a
            WHERE a.application_id = ?1 AND a.principal_type = 'group')))";
use chrono::Utc;
use sqlx::sqlite::SqliteRow;
use sqlx::Row;

const COLUMNS: &str = "id, gallery_id, name, provisioning_mode, settings, mappings, \
     full_sync_required, owners, roles, target_schema, version, created_at, updated_at";

/// A JSON column read back.
fn json<T: serde::de::DeserializeOwned>(row: &SqliteRow, column: &str) -> StoreResult<T> {
    let text: String = row.try_get(column)?;
    serde_json::from_str(&text)
        .map_err(|e| StoreError::Corrupt(format!("application {column}: {e}")))
}

fn from_row(row: &SqliteRow) -> StoreResult<Application> {
    let optional = |column: &str| -> StoreResult<Option<serde_json::Value>> {
        match row.try_get::<Option<String>, _>(column)? {
            Some(_) => json(row, column).map(Some),
            None => Ok(None),
        }
    };
    Ok(Application {
        id: row.try_get("id")?,
        gallery_id: row.try_get("gallery_id")?,
        name: row.try_get("name")?,
        provisioning_mode: row.try_get("provisioning_mode")?,
        settings: json(row, "settings")?,
        mappings: optional("mappings")?,
        full_sync_required: row.try_get("full_sync_required")?,
        owners: json(row, "owners")?,
        roles: json(row, "roles")?,
        target_schema: optional("target_schema")?,
        version: row.try_get("version")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    })
}

async fn in_tx(tx: &mut Tx<'_>, id: &str) -> StoreResult<Application> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM applications WHERE id = ?"))
        .bind(id)
        .fetch_optional(&mut **tx)
        .await?
        .ok_or_else(|| StoreError::NotFound {
            what: "application",
            id: id.to_string(),
        })?;
    from_row(&row)
}

/// `NotFound` when a write by id touched no application.
fn touched(rows: u64, id: &str) -> StoreResult<()> {
    if rows == 0 {
        return Err(StoreError::NotFound {
            what: "application",
            id: id.to_string(),
        });
    }
    Ok(())
}

/// The application read in `tx`, refusing a stale version.
async fn checked(tx: &mut Tx<'_>, id: &str, if_version: i64) -> StoreResult<Application> {
    let app = in_tx(tx, id).await?;
    if app.version != if_version {
        return Err(StoreError::VersionMismatch {
            current: app.version,
        });
    }
    Ok(app)
}

#[async_trait]
impl ApplicationStore for SqliteStore {
    async fn create_application(&self, gallery_id: &str, name: &str) -> StoreResult<Application> {
        let name = name.trim();
        if name.is_empty() {
            return Err(StoreError::Invalid("an application needs a name".into()));
        }
        let id = uuid::Uuid::new_v4().to_string();
        let now = Utc::now();
        sqlx::query(
            "INSERT INTO applications (id, gallery_id, name, created_at, updated_at) VALUES (?, ?, ?, ?, ?)",
        )
        .bind(&id)
        .bind(gallery_id)
        .bind(name)
        .bind(now)
        .bind(now)
        .execute(&self.pool)
        .await?;
        self.application(&id)
            .await?
            .ok_or_else(|| StoreError::Corrupt("a new application vanished".into()))
    }

    async fn application(&self, id: &str) -> StoreResult<Option<Application>> {
        let row = sqlx::query(&format!("SELECT {COLUMNS} FROM applications WHERE id = ?"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(from_row).transpose()
    }

    async fn list_applications(&self) -> StoreResult<Vec<Application>> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM applications ORDER BY name COLLATE NOCASE, id"
        ))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(from_row).collect()
    }

    async fn update_application(
        &self,
        id: &str,
        change: ApplicationChange,
        if_version: i64,
    ) -> StoreResult<Application> {
        if let Some(mode) = &change.provisioning_mode {
            if !matches!(mode.as_str(), "manual" | "automatic") {
                return Err(StoreError::Invalid(format!(
                    "provisioning mode must be manual or automatic, not {mode:?}"
                )));
            }
        }
        if change.name.as_deref().is_some_and(|n| n.trim().is_empty()) {
            return Err(StoreError::Invalid("an application needs a name".into()));
        }
        let text = |v: &serde_json::Value| v.to_string();
        let mut tx = self.write_tx().await?;
        checked(&mut tx, id, if_version).await?;
        // Each part is set only when given (a NULL bind keeps the column); mappings can be
        // set back to NULL, so they carry their own flag.
        sqlx::query(
            "UPDATE applications SET
                 name = COALESCE(?, name),
                 provisioning_mode = COALESCE(?, provisioning_mode),
                 settings = COALESCE(?, settings),
                 mappings = CASE WHEN ? THEN ? ELSE mappings END,
                 owners = COALESCE(?, owners),
                 roles = COALESCE(?, roles),
                 full_sync_required = full_sync_required OR ?,
                 version = version + 1, updated_at = ?
             WHERE id = ?",
        )
        .bind(change.name.as_deref().map(str::trim))
        .bind(change.provisioning_mode.as_deref())
        .bind(change.settings.as_ref().map(text))
        .bind(change.mappings.is_some())
        .bind(change.mappings.as_ref().and_then(|m| m.as_ref().map(text)))
        .bind(change.owners.as_ref().map(|o| text(&serde_json::json!(o))))
        .bind(change.roles.as_ref().map(|r| text(&serde_json::json!(r))))
        .bind(change.require_full_sync)
        .bind(Utc::now())
        .bind(id)
        .execute(&mut *tx)
        .await?;
        let app = in_tx(&mut tx, id).await?;
        tx.commit().await?;
        Ok(app)
    }

    async fn set_target_schema(&self, id: &str, schema: serde_json::Value) -> StoreResult<()> {
        let done = sqlx::query("UPDATE applications SET target_schema = ? WHERE id = ?")
            .bind(schema.to_string())
            .bind(id)
            .execute(&self.pool)
            .await?;
        touched(done.rows_affected(), id)
    }

    async fn clear_full_sync(&self, id: &str, seen_version: i64) -> StoreResult<bool> {
        let done = sqlx::query(
            "UPDATE applications SET full_sync_required = 0 WHERE id = ? AND version = ?",
        )
        .bind(id)
        .bind(seen_version)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    async fn set_credentials(
        &self,
        id: &str,
        fields: Vec<StoredCredential>,
        if_version: i64,
    ) -> StoreResult<Application> {
        let mut tx = self.write_tx().await?;
        checked(&mut tx, id, if_version).await?;
        let now = Utc::now();
        for f in &fields {
            sqlx::query(
                "INSERT INTO application_credentials (application_id, field, value, encrypted, updated_at)
                 VALUES (?, ?, ?, ?, ?)
                 ON CONFLICT (application_id, field) DO UPDATE SET value = excluded.value,
                     encrypted = excluded.encrypted, updated_at = excluded.updated_at",
            )
            .bind(id)
            .bind(&f.field)
            .bind(&f.value)
            .bind(f.encrypted)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        sqlx::query("UPDATE applications SET version = version + 1, updated_at = ? WHERE id = ?")
            .bind(now)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        let app = in_tx(&mut tx, id).await?;
        tx.commit().await?;
        Ok(app)
    }

    async fn credentials(&self, id: &str) -> StoreResult<Vec<StoredCredential>> {
        let rows = sqlx::query(
            "SELECT field, value, encrypted FROM application_credentials WHERE application_id = ? ORDER BY field",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(StoredCredential {
                    field: r.try_get("field")?,
                    value: r.try_get("value")?,
                    encrypted: r.try_get("encrypted")?,
                })
            })
            .collect()
    }

    async fn assign(&self, application: &str, member: Member, role: &str) -> StoreResult<bool> {
        let role = match role.trim() {
            "" => "User",
            r => r,
        };
        let mut tx = self.write_tx().await?;
        in_tx(&mut tx, application).await?;
        let exists: Option<i64> = sqlx::query_scalar(match member.member_type {
            MemberType::User => "SELECT 1 FROM users WHERE id = ? AND deleted_at IS NULL",
            MemberType::Group => "SELECT 1 FROM groups WHERE id = ?",
        })
        .bind(&member.id)
        .fetch_optional(&mut *tx)
        .await?;
        if exists.is_none() {
            return Err(StoreError::NotFound {
                what: member.member_type.as_str(),
                id: member.id,
            });
        }
        let current: Option<String> = sqlx::query_scalar(
            "SELECT role FROM assignments WHERE application_id = ? AND principal_id = ?",
        )
        .bind(application)
        .bind(&member.id)
        .fetch_optional(&mut *tx)
        .await?;
        if current.as_deref() == Some(role) {
            return Ok(false);
        }
        sqlx::query(
            "INSERT INTO assignments (application_id, principal_id, principal_type, role, created_at)
             VALUES (?, ?, ?, ?, ?)
             ON CONFLICT (application_id, principal_id) DO UPDATE SET role = excluded.role",
        )
        .bind(application)
        .bind(&member.id)
        .bind(member.member_type.as_str())
        .bind(role)
        .bind(Utc::now())
        .execute(&mut *tx)
        .await?;
        let object_type = match member.member_type {
            MemberType::User => ObjectType::User,
            MemberType::Group => ObjectType::Group,
        };
        self.commit_changes(
            tx,
            vec![(
                object_type,
                member.id.clone(),
                ChangeKind::Assigned,
                Some(serde_json::json!({ "application": application, "role": role })),
            )],
        )
        .await?;
        Ok(true)
    }

    async fn unassign(&self, application: &str, principal_id: &str) -> StoreResult<bool> {
        let mut tx = self.write_tx().await?;
        let kind: Option<String> = sqlx::query_scalar(
            "DELETE FROM assignments WHERE application_id = ? AND principal_id = ? RETURNING principal_type",
        )
        .bind(application)
        .bind(principal_id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(kind) = kind else {
            return Ok(false);
        };
        let object_type = if kind == "group" {
            ObjectType::Group
        } else {
            ObjectType::User
        };
        self.commit_changes(
            tx,
            vec![(
                object_type,
                principal_id.to_string(),
                ChangeKind::Unassigned,
                Some(serde_json::json!({ "application": application })),
            )],
        )
        .await?;
        Ok(true)
    }

    async fn assignments(
        &self,
        application: &str,
        search: Option<&str>,
        limit: u32,
    ) -> StoreResult<Page<Assignment>> {
        const ASSIGNMENTS: PrincipalLink = PrincipalLink {
            table: "assignments",
            owner: "application_id",
            id: "principal_id",
            kind: "principal_type",
            extra: ", l.role",
        };
        let (rows, total) =
            principal_page(&self.pool, &ASSIGNMENTS, application, search, limit).await?;
        let items = rows
            .iter()
            .map(|r| {
                let t: String = r.try_get("principal_type")?;
                Ok(Assignment {
                    principal_id: r.try_get("principal_id")?,
                    principal_type: member_type_from(&t),
                    display: r.try_get("display")?,
                    user_name: r.try_get("user_name")?,
                    role: r.try_get("role")?,
                })
            })
            .collect::<StoreResult<Vec<_>>>()?;
        Ok(Page { items, total })
    }

    async fn assigned_groups(&self, application: &str) -> StoreResult<Vec<String>> {
        Ok(sqlx::query_scalar(
            "SELECT principal_id FROM assignments
             WHERE application_id = ? AND principal_type = 'group'",
        )
        .bind(application)
        .fetch_all(&self.pool)
        .await?)
    }

    async fn assigned_users_among(
        &self,
        application: &str,
        user_ids: &[String],
    ) -> StoreResult<Vec<String>> {
        if user_ids.is_empty() {
            return Ok(Vec::new());
        }
        // One statement whatever the number of ids (a JSON array), so the statement cache
        // holds one entry for it instead of one per length.
        let ids = serde_json::Value::from(user_ids).to_string();
        Ok(sqlx::query_scalar(&format!(
            "SELECT u.id FROM users u
             WHERE u.id IN (SELECT value FROM json_each(?2)) AND {USER_ASSIGNED}"
        ))
        .bind(application)
        .bind(ids)
        .fetch_all(&self.pool)
        .await?)
    }

    async fn delete_application(&self, id: &str) -> StoreResult<()> {
        let done = sqlx::query("DELETE FROM applications WHERE id = ?")
            .bind(id)
            .execute(&self.pool)
            .await?;
        touched(done.rows_affected(), id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn applications_keep_their_credentials_and_refuse_stale_writes() {
        let store = SqliteStore::in_memory().await.unwrap();
        let app = store
            .create_application("custom-scim", " HR portal ")
            .await
            .unwrap();
        assert_eq!(
            (
                app.name.as_str(),
                app.provisioning_mode.as_str(),
                app.version
            ),
            ("HR portal", "manual", 1)
        );
        let cred = |f: &str, v: &str, e| StoredCredential {
            field: f.into(),
            value: v.into(),
            encrypted: e,
        };
        let v2 = store
            .set_credentials(
                &app.id,
                vec![
                    cred("tenant_url", "https://x", false),
                    cred("secret_token", "c1ph3r", true),
                ],
                1,
            )
            .await
            .unwrap();
        assert_eq!(v2.version, 2);
        let v3 = store
            .set_credentials(&app.id, vec![cred("secret_token", "c2", true)], 2)
            .await
            .unwrap();
        let stored = store.credentials(&app.id).await.unwrap();
        assert_eq!(
            stored,
            [
                cred("secret_token", "c2", true),
                cred("tenant_url", "https://x", false)
            ]
        );
        let rename = |name: &str, mode: &str| ApplicationChange {
            name: Some(name.into()),
            provisioning_mode: Some(mode.into()),
            ..Default::default()
        };
        let err = store
            .update_application(&app.id, rename("X", "automatic"), 2)
            .await
            .unwrap_err();
        assert!(
            matches!(err, StoreError::VersionMismatch { current: 3 }),
            "{err:?}"
        );
        let err = store
            .update_application(&app.id, rename("X", "sometimes"), v3.version)
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::Invalid(_)), "{err:?}");
        let v4 = store
            .update_application(&app.id, rename("HR", "automatic"), v3.version)
            .await
            .unwrap();
        assert_eq!(v4.provisioning_mode, "automatic");
        assert!(!v4.full_sync_required);
        let v5 = store
            .update_application(
                &app.id,
                ApplicationChange {
                    settings: Some(serde_json::json!({"scope": "all"})),
                    mappings: Some(Some(serde_json::json!({"users": {}}))),
                    roles: Some(vec!["User".into(), "Admin".into()]),
                    require_full_sync: true,
                    ..Default::default()
                },
                v4.version,
            )
            .await
            .unwrap();
        assert_eq!(
            (v5.version, v5.settings["scope"].as_str(), v5.name.as_str()),
            (5, Some("all"), "HR"),
            "parts not given are kept"
        );
        assert_eq!(v5.mappings, Some(serde_json::json!({"users": {}})));
        assert_eq!(v5.roles, ["User", "Admin"]);
        assert!(v5.full_sync_required);
        let err = store
            .update_application(&app.id, ApplicationChange::default(), v4.version)
            .await
            .unwrap_err();
        assert!(
            matches!(err, StoreError::VersionMismatch { current: 5 }),
            "{err:?}"
        );
        let v6 = store
            .update_application(
                &app.id,
                ApplicationChange {
                    mappings: Some(None),
                    ..Default::default()
                },
                5,
            )
            .await
            .unwrap();
        assert_eq!(v6.mappings, None, "back to the gallery defaults");
        assert!(
            v6.full_sync_required,
            "stays marked until a cycle clears it"
        );
        store
            .set_target_schema(&app.id, serde_json::json!([{"path": "userName"}]))
            .await
            .unwrap();
        let read = store.application(&app.id).await.unwrap().unwrap();
        assert_eq!(
            (read.version, read.target_schema.is_some()),
            (6, true),
            "the schema cache is no configuration change"
        );
        assert_eq!(store.list_applications().await.unwrap().len(), 1);
        store.delete_application(&app.id).await.unwrap();
        assert!(
            store.credentials(&app.id).await.unwrap().is_empty(),
            "credentials go with it"
        );
    }

    #[tokio::test]
    async fn assignments_are_fed_as_changes_of_the_user_or_group() {
        use crate::{ChangeFeed, DirectoryStore};
        let store = SqliteStore::in_memory().await.unwrap();
        let app = store.create_application("custom-scim", "HR").await.unwrap();
        let ada = store
            .create_user(serde_json::json!({"userName": "ada", "displayName": "Ada Lovelace"}))
            .await
            .unwrap();
        let group = store
            .create_group(serde_json::json!({"displayName": "Analysts"}), vec![])
            .await
            .unwrap();
        let seq = *store.subscribe_changes().borrow();
        let user = Member {
            id: ada.id.to_string(),
            member_type: MemberType::User,
        };
        assert!(store.assign(&app.id, user.clone(), "").await.unwrap());
        assert!(
            !store.assign(&app.id, user.clone(), "User").await.unwrap(),
            "same role: no change"
        );
        assert!(
            store.assign(&app.id, user.clone(), "Admin").await.unwrap(),
            "a new role is a change"
        );
        let g = Member {
            id: group.id.to_string(),
            member_type: MemberType::Group,
        };
        assert!(store.assign(&app.id, g, "User").await.unwrap());
        let err = store
            .assign(
                &app.id,
                Member {
                    id: "nobody".into(),
                    member_type: MemberType::User,
                },
                "User",
            )
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::NotFound { .. }), "{err:?}");
        let page = store.assignments(&app.id, None, 10).await.unwrap();
        assert_eq!(page.total, 2);
        assert_eq!(
            page.items
                .iter()
                .map(|a| (a.display.as_str(), a.role.as_str()))
                .collect::<Vec<_>>(),
            [("Ada Lovelace", "Admin"), ("Analysts", "User")]
        );
        assert_eq!(
            store
                .assignments(&app.id, Some("LOVE"), 10)
                .await
                .unwrap()
                .total,
            1
        );
        assert!(store.unassign(&app.id, &ada.id.to_string()).await.unwrap());
        assert!(!store.unassign(&app.id, &ada.id.to_string()).await.unwrap());
        let changes = store.changes_after(seq, 10).await.unwrap();
        assert_eq!(
            changes
                .iter()
                .map(|c| (c.object_type, c.kind))
                .collect::<Vec<_>>(),
            [
                (ObjectType::User, ChangeKind::Assigned),
                (ObjectType::User, ChangeKind::Assigned),
                (ObjectType::Group, ChangeKind::Assigned),
                (ObjectType::User, ChangeKind::Unassigned),
            ]
        );
        assert_eq!(
            changes[0].detail.as_ref().unwrap()["application"],
            app.id.as_str()
        );
    }

    #[tokio::test]
    async fn the_engine_reads_assigned_groups_whole_and_assigned_users_by_page() {
        use crate::{DirectoryStore, JobStore};
        let store = SqliteStore::in_memory().await.unwrap();
        let app = store.create_application("custom-scim", "HR").await.unwrap();
        let other = store
            .create_application("custom-scim", "CRM")
            .await
            .unwrap();
        let mut users = Vec::new();
        for name in ["ada", "bob", "cy", "dee"] {
            users.push(
                store
                    .create_user(serde_json::json!({ "userName": name }))
                    .await
                    .unwrap()
                    .id
                    .to_string(),
            );
        }
        let member = |id: &str, member_type| Member {
            id: id.to_string(),
            member_type,
        };
        // Ada directly, Bob through the group, Cy only to the other application, Dee not.
        let group = store
            .create_group(
                serde_json::json!({"displayName": "Analysts"}),
                vec![member(&users[1], MemberType::User)],
            )
            .await
            .unwrap();
        store
            .assign(&app.id, member(&users[0], MemberType::User), "User")
            .await
            .unwrap();
        store
            .assign(&other.id, member(&users[2], MemberType::User), "User")
            .await
            .unwrap();
        store
            .assign(
                &app.id,
                member(&group.id.to_string(), MemberType::Group),
                "User",
            )
            .await
            .unwrap();

        assert_eq!(
            store.assigned_groups(&app.id).await.unwrap(),
            [group.id.to_string()]
        );
        assert!(store.assigned_groups(&other.id).await.unwrap().is_empty());
        // Only among the ids asked; a group id is not a user.
        let mut asked = users.clone();
        asked.push(group.id.to_string());
        let mut assigned = store.assigned_users_among(&app.id, &asked).await.unwrap();
        assigned.sort();
        let mut expected = vec![users[0].clone(), users[1].clone()];
        expected.sort();
        assert_eq!(assigned, expected);
        assert_eq!(
            store.assigned_users_among(&other.id, &asked).await.unwrap(),
            [users[2].clone()]
        );
        assert!(store
            .assigned_users_among(&app.id, &users[2..])
            .await
            .unwrap()
            .is_empty());
        assert!(store
            .assigned_users_among(&app.id, &[])
            .await
            .unwrap()
            .is_empty());
        // The basis scan says the same, for every user in order.
        let bases = store.scan_user_bases(&app.id, None, 10).await.unwrap();
        assert_eq!(bases.len(), 4);
        for b in &bases {
            assert_eq!(b.assigned, expected.contains(&b.id.to_string()), "{b:?}");
        }
        // Asked by id, the same bases, in id order, current users only.
        let (ada, dee) = (&bases[0], &bases[3]);
        store.soft_delete_user(bases[1].id).await.unwrap();
        let asked = store
            .user_bases(&app.id, &[dee.id, bases[1].id, ada.id])
            .await
            .unwrap();
        assert_eq!(asked, [ada.clone(), dee.clone()]);
        assert!(store.user_bases(&app.id, &[]).await.unwrap().is_empty());
    }
}
