//! [`EmbedTokenStore`] on SQLite: the bearer-token queries of `tokens.rs`, with the
//! application and the allowed origins as the kind's own columns.

use super::tokens::{self, info_from_row, SqliteQuery, TokenTable};
use super::SqliteStore;
use crate::{
    EmbedToken, EmbedTokenStore, NewEmbedToken, StoreError, StoreResult, TokenInfo, TokenRef,
};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::sqlite::SqliteRow;
use sqlx::Row;

/// The origins as stored: a JSON array of strings.
fn origins_json(origins: &[String]) -> String {
    serde_json::Value::from(origins.to_vec()).to_string()
}

impl TokenTable for EmbedToken {
    const TABLE: &'static str = "embed_tokens";
    const WHAT: &'static str = "an embed token named";
    const EXTRA_COLUMNS: &'static [&'static str] = &["application_id", "allowed_origins"];

    fn info(&self) -> &TokenInfo {
        &self.info
    }

    fn info_mut(&mut self) -> &mut TokenInfo {
        &mut self.info
    }

    fn from_row(row: &SqliteRow) -> StoreResult<Self> {
        let origins: String = row.try_get("allowed_origins")?;
        Ok(EmbedToken {
            info: info_from_row(row)?,
            application_id: row.try_get("application_id")?,
            allowed_origins: serde_json::from_str(&origins).map_err(|e| {
                StoreError::Corrupt(format!("embed token allowed_origins {origins:?}: {e}"))
            })?,
        })
    }

    fn bind_extra<'q>(&'q self, query: SqliteQuery<'q>) -> SqliteQuery<'q> {
        query
            .bind(&self.application_id)
            .bind(origins_json(&self.allowed_origins))
    }
}

#[async_trait]
impl EmbedTokenStore for SqliteStore {
    async fn create_embed_token(&self, new: NewEmbedToken) -> StoreResult<EmbedToken> {
        if new.allowed_origins.is_empty() {
            return Err(StoreError::Invalid(
                "an embed token needs at least one origin allowed to frame it".into(),
            ));
        }
        if let Some(app) = &new.application_id {
            // Checked here for a clear error; the foreign key still holds against a delete
            // in between.
            let exists: Option<i64> = sqlx::query_scalar("SELECT 1 FROM applications WHERE id = ?")
                .bind(app)
                .fetch_optional(&self.pool)
                .await?;
            if exists.is_none() {
                return Err(StoreError::NotFound {
                    what: "application",
                    id: app.clone(),
                });
            }
        }
        let NewEmbedToken {
            token,
            application_id,
            allowed_origins,
        } = new;
        tokens::create(&self.pool, token, |info| EmbedToken {
            info,
            application_id,
            allowed_origins,
        })
        .await
    }

    async fn list_embed_tokens(&self) -> StoreResult<Vec<EmbedToken>> {
        tokens::list(&self.pool).await
    }

    async fn revoke_embed_token(&self, which: TokenRef<'_>) -> StoreResult<Option<EmbedToken>> {
        tokens::revoke(&self.pool, which).await
    }

    async fn embed_token_by_hash(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<EmbedToken>> {
        tokens::used_by_hash(&self.pool, token_hash, now).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ApiTokenStore, ApplicationStore, NewToken, Role, EMBED_TOKEN_TOUCH_INTERVAL};
    use chrono::Duration;

    fn new_embed(name: &str, hash: &str, app: Option<&str>, origins: &[&str]) -> NewEmbedToken {
        NewEmbedToken {
            token: NewToken {
                name: name.into(),
                token_hash: hash.into(),
                prefix: "stw_embed_abcdef".into(),
                created_by: Some("ada@example.com".into()),
            },
            application_id: app.map(str::to_string),
            allowed_origins: origins.iter().map(|o| o.to_string()).collect(),
        }
    }

    #[tokio::test]
    async fn an_embed_token_keeps_its_scope_and_origins_and_is_found_until_revoked() {
        let store = SqliteStore::in_memory().await.unwrap();
        let app = store
            .create_application("custom-scim", "Wiki")
            .await
            .unwrap();
        let origins = ["https://intranet.example.com", "http://localhost:8080"];
        let one = store
            .create_embed_token(new_embed(" Wall screen ", "h1", Some(&app.id), &origins))
            .await
            .unwrap();
        assert_eq!(one.info.name, "Wall screen");
        assert_eq!(one.application_id.as_deref(), Some(app.id.as_str()));
        assert_eq!(one.allowed_origins, origins);
        let all = store
            .create_embed_token(new_embed("Status page", "h2", None, &origins[..1]))
            .await
            .unwrap();
        assert_eq!(all.application_id, None);

        let now = Utc::now();
        let found = store.embed_token_by_hash("h1", now).await.unwrap().unwrap();
        assert_eq!(found.allowed_origins, origins);
        assert_eq!(found.info.last_used_at, Some(now));
        assert!(store
            .embed_token_by_hash("nope", now)
            .await
            .unwrap()
            .is_none());

        let revoked = store
            .revoke_embed_token(TokenRef::Id(&one.info.id))
            .await
            .unwrap()
            .unwrap();
        assert!(!revoked.info.is_live() && revoked.info.last_used_at == Some(now));
        assert!(store
            .embed_token_by_hash("h1", now)
            .await
            .unwrap()
            .is_none());
        assert!(store
            .revoke_embed_token(TokenRef::Id(&one.info.id))
            .await
            .unwrap()
            .is_none());

        // Live first, newest first; the revoked one stays listed for the record.
        let listed = store.list_embed_tokens().await.unwrap();
        assert_eq!(listed.len(), 2);
        assert_eq!(listed[0], all);
        assert_eq!(listed[1].info.id, one.info.id);
        assert!(!listed[1].info.is_live());
    }

    #[tokio::test]
    async fn names_are_unique_among_live_tokens_and_bad_input_is_refused() {
        let store = SqliteStore::in_memory().await.unwrap();
        let origins = ["https://a.example"];
        store
            .create_embed_token(new_embed("Lobby", "h1", None, &origins))
            .await
            .unwrap();
        let err = store
            .create_embed_token(new_embed("Lobby", "h2", None, &origins))
            .await
            .unwrap_err();
        assert!(
            matches!(err, StoreError::Conflict { what, .. } if what.contains("embed token")),
            "{err:?}"
        );
        let err = store
            .create_embed_token(new_embed("  ", "h3", None, &origins))
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::Invalid(_)), "{err:?}");
        let err = store
            .create_embed_token(new_embed("No origin", "h4", None, &[]))
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::Invalid(_)), "{err:?}");
        let err = store
            .create_embed_token(new_embed("Gone", "h5", Some("no-such-app"), &origins))
            .await
            .unwrap_err();
        assert!(
            matches!(
                err,
                StoreError::NotFound {
                    what: "application",
                    ..
                }
            ),
            "{err:?}"
        );
        // Revoked, the name is free again.
        store
            .revoke_embed_token(TokenRef::Name("Lobby"))
            .await
            .unwrap()
            .unwrap();
        store
            .create_embed_token(new_embed("Lobby", "h6", None, &origins))
            .await
            .unwrap();
        assert_eq!(store.list_embed_tokens().await.unwrap().len(), 2);
    }

    #[tokio::test]
    async fn embed_and_api_tokens_never_open_each_other() {
        let store = SqliteStore::in_memory().await.unwrap();
        store
            .create_embed_token(new_embed(
                "Lobby",
                "embed-hash",
                None,
                &["https://a.example"],
            ))
            .await
            .unwrap();
        store
            .create_api_token(
                NewToken {
                    name: "ci".into(),
                    token_hash: "api-hash".into(),
                    prefix: "stw_api_abcdef".into(),
                    created_by: None,
                },
                Role::GlobalAdministrator,
            )
            .await
            .unwrap();
        let now = Utc::now();
        assert!(store
            .embed_token_by_hash("api-hash", now)
            .await
            .unwrap()
            .is_none());
        assert!(store
            .api_token_by_hash("embed-hash", now)
            .await
            .unwrap()
            .is_none());
    }

    #[tokio::test]
    async fn a_token_goes_with_its_application_and_use_is_recorded_once_a_minute() {
        let store = SqliteStore::in_memory().await.unwrap();
        let app = store
            .create_application("custom-scim", "Wiki")
            .await
            .unwrap();
        let origins = ["https://a.example"];
        store
            .create_embed_token(new_embed("Wiki", "h1", Some(&app.id), &origins))
            .await
            .unwrap();
        store
            .create_embed_token(new_embed("All", "h2", None, &origins))
            .await
            .unwrap();

        let t0 = Utc::now();
        let used = |t: Option<EmbedToken>| t.unwrap().info.last_used_at;
        assert_eq!(
            used(store.embed_token_by_hash("h2", t0).await.unwrap()),
            Some(t0)
        );
        let soon = t0 + Duration::seconds(30);
        assert_eq!(
            used(store.embed_token_by_hash("h2", soon).await.unwrap()),
            Some(t0)
        );
        let later = t0 + EMBED_TOKEN_TOUCH_INTERVAL;
        assert_eq!(
            used(store.embed_token_by_hash("h2", later).await.unwrap()),
            Some(later)
        );

        store.delete_application(&app.id).await.unwrap();
        assert!(store.embed_token_by_hash("h1", t0).await.unwrap().is_none());
        let names: Vec<String> = store
            .list_embed_tokens()
            .await
            .unwrap()
            .into_iter()
            .map(|t| t.info.name)
            .collect();
        assert_eq!(names, ["All"]);
    }
}
