//! [`CustomAttributeStore`] on SQLite.

use super::directory::append_change;
use super::{is_unique_violation, SqliteStore};
use crate::custom::{extension_of, valid_attribute_name};
use crate::{
    ChangeKind, CustomAttribute, CustomAttributeStore, CustomKind, ObjectType, StoreError,
    StoreResult,
};
use async_trait::async_trait;
use chrono::Utc;
use sqlx::Row;

fn type_str(t: ObjectType) -> &'static str {
    t.as_str()
}

fn table(t: ObjectType) -> &'static str {
    match t {
        ObjectType::User => "users",
        ObjectType::Group => "groups",
    }
}

/// The JSON path of an attribute inside its extension, for `json_extract`.
fn json_path(t: ObjectType, name: &str) -> String {
    format!("$.\"{}\".\"{name}\"", extension_of(t))
}

#[async_trait]
impl CustomAttributeStore for SqliteStore {
    async fn custom_attributes(&self) -> StoreResult<Vec<CustomAttribute>> {
        let rows = sqlx::query(
            "SELECT object_type, name, kind, multi_valued, description, created_at
             FROM custom_attributes ORDER BY object_type DESC, name_key",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                let t: String = row.try_get("object_type")?;
                let kind: String = row.try_get("kind")?;
                Ok(CustomAttribute {
                    object_type: if t == "group" {
                        ObjectType::Group
                    } else {
                        ObjectType::User
                    },
                    name: row.try_get("name")?,
                    kind: CustomKind::parse(&kind)
                        .ok_or_else(|| StoreError::Corrupt(format!("attribute kind {kind:?}")))?,
                    multi_valued: row.try_get("multi_valued")?,
                    description: row.try_get("description")?,
                    created_at: row.try_get("created_at")?,
                })
            })
            .collect()
    }

    async fn create_custom_attribute(&self, a: CustomAttribute) -> StoreResult<()> {
        if !valid_attribute_name(&a.name) {
            return Err(StoreError::Invalid(format!(
                "{:?} is not an attribute name: start with a letter, then letters, digits, - or _ (at most 64)",
                a.name
            )));
        }
        sqlx::query(
            "INSERT INTO custom_attributes (object_type, name, name_key, kind, multi_valued, description, created_at)
             VALUES (?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(type_str(a.object_type))
        .bind(&a.name)
        .bind(a.name.to_lowercase())
        .bind(a.kind.as_str())
        .bind(a.multi_valued)
        .bind(&a.description)
        .bind(a.created_at)
        .execute(&self.pool)
        .await
        .map_err(|e| {
            if is_unique_violation(&e) {
                StoreError::Conflict {
                    what: "an attribute named",
                    value: a.name.clone(),
                }
            } else {
                e.into()
            }
        })?;
        Ok(())
    }

    async fn custom_attribute_usage(&self, t: ObjectType, name: &str) -> StoreResult<i64> {
        let n: i64 = sqlx::query_scalar(&format!(
            "SELECT count(*) FROM {} WHERE json_extract(resource, ?) IS NOT NULL",
            table(t)
        ))
        .bind(json_path(t, name))
        .fetch_one(&self.pool)
        .await?;
        Ok(n)
    }

    async fn delete_custom_attribute(&self, t: ObjectType, name: &str) -> StoreResult<u64> {
        let mut tx = self.write_tx().await?;
        let stored: Option<String> = sqlx::query_scalar(
            "SELECT name FROM custom_attributes WHERE object_type = ? AND name_key = ?",
        )
        .bind(type_str(t))
        .bind(name.to_lowercase())
        .fetch_optional(&mut *tx)
        .await?;
        let Some(stored) = stored else {
            return Err(StoreError::NotFound {
                what: "custom attribute",
                id: name.to_string(),
            });
        };
        let path = json_path(t, &stored);
        let ids: Vec<String> = sqlx::query_scalar(&format!(
            "SELECT id FROM {} WHERE json_extract(resource, ?) IS NOT NULL",
            table(t)
        ))
        .bind(&path)
        .fetch_all(&mut *tx)
        .await?;
        let now = Utc::now();
        // Remove the value, then the extension object if it is left empty.
        let ext_path = format!("$.\"{}\"", extension_of(t));
        sqlx::query(&format!(
            "UPDATE {} SET resource = json_remove(resource, ?), version = version + 1, updated_at = ?
             WHERE json_extract(resource, ?) IS NOT NULL",
            table(t)
        ))
        .bind(&path)
        .bind(now)
        .bind(&path)
        .execute(&mut *tx)
        .await?;
        sqlx::query(&format!(
            "UPDATE {} SET resource = json_remove(resource, ?) WHERE json_extract(resource, ?) = '{{}}'",
            table(t)
        ))
        .bind(&ext_path)
        .bind(&ext_path)
        .execute(&mut *tx)
        .await?;
        // A resource without the extension object no longer lists it in `schemas`.
        sqlx::query(&format!(
            "UPDATE {} SET resource = json_set(resource, '$.schemas',
                 (SELECT json_group_array(value) FROM json_each(resource, '$.schemas') WHERE value != ?))
             WHERE json_extract(resource, ?) IS NULL
               AND EXISTS (SELECT 1 FROM json_each(resource, '$.schemas') WHERE value = ?)",
            table(t)
        ))
        .bind(extension_of(t))
        .bind(&ext_path)
        .bind(extension_of(t))
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM custom_attributes WHERE object_type = ? AND name_key = ?")
            .bind(type_str(t))
            .bind(stored.to_lowercase())
            .execute(&mut *tx)
            .await?;
        let mut last = None;
        for id in &ids {
            let detail = serde_json::json!({ "removedAttribute": stored });
            last = Some(append_change(&mut tx, t, id, ChangeKind::Updated, Some(detail)).await?);
        }
        tx.commit().await?;
        if let Some(seq) = last {
            self.announce(seq);
        }
        Ok(ids.len() as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ChangeFeed, DirectoryStore};
    use serde_json::json;

    fn attr(name: &str) -> CustomAttribute {
        CustomAttribute {
            object_type: ObjectType::User,
            name: name.into(),
            kind: CustomKind::String,
            multi_valued: false,
            description: String::new(),
            created_at: Utc::now(),
        }
    }

    #[tokio::test]
    async fn attributes_are_defined_used_and_removed_with_their_values() {
        let store = SqliteStore::in_memory().await.unwrap();
        store
            .create_custom_attribute(attr("badgeColour"))
            .await
            .unwrap();
        let err = store
            .create_custom_attribute(attr("BADGECOLOUR"))
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::Conflict { .. }), "{err:?}");
        let err = store
            .create_custom_attribute(attr("2fast"))
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::Invalid(_)), "{err:?}");
        // The same name on groups is a different attribute.
        store
            .create_custom_attribute(CustomAttribute {
                object_type: ObjectType::Group,
                ..attr("badgeColour")
            })
            .await
            .unwrap();
        let ext = crate::STEWARD_USER_EXTENSION;
        let with = store
            .create_user(json!({"userName": "a", "schemas": [crate::USER_SCHEMA, ext], ext: {"badgeColour": "red", "other": 1}}))
            .await
            .unwrap();
        let only = store
            .create_user(json!({"userName": "b", "schemas": [crate::USER_SCHEMA, ext], ext: {"badgeColour": "blue"}}))
            .await
            .unwrap();
        store.create_user(json!({"userName": "c"})).await.unwrap();
        assert_eq!(
            store
                .custom_attribute_usage(ObjectType::User, "badgeColour")
                .await
                .unwrap(),
            2
        );
        let seq = *store.subscribe_changes().borrow();
        assert_eq!(
            store
                .delete_custom_attribute(ObjectType::User, "BadgeColour")
                .await
                .unwrap(),
            2
        );
        assert_eq!(store.changes_after(seq, 10).await.unwrap().len(), 2);
        let with = store.user(with.id).await.unwrap().unwrap();
        assert_eq!(with.resource[ext], json!({"other": 1}));
        assert_eq!(with.version, 2);
        let only = store.user(only.id).await.unwrap().unwrap();
        assert!(
            only.resource.get(ext).is_none(),
            "an emptied extension goes too"
        );
        assert_eq!(
            only.resource["schemas"],
            json!([crate::USER_SCHEMA]),
            "and its URN"
        );
        assert!(with.resource["schemas"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s == ext));
        let left = store.custom_attributes().await.unwrap();
        assert_eq!(left.len(), 1);
        assert_eq!(left[0].object_type, ObjectType::Group);
        let err = store
            .delete_custom_attribute(ObjectType::User, "badgeColour")
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::NotFound { .. }), "{err:?}");
    }
}
