//! The two kinds of bearer token Steward issues, SCIM tokens (for `/scim/v2`) and API tokens
//! (for `/api/v1`, each acting with an admin role), handled alike: the portal's Settings and
//! the `steward scim-token` / `steward api-token` commands go through here.

use super::auth;
use steward_store::{NewToken, Role, Store, StoreError, StoreResult, TokenInfo, TokenRef};

pub use crate::api::TokenKind;

/// A new token of `kind`: (token, its hash to store, a prefix to show in lists).
pub fn new_token(kind: TokenKind) -> (String, String, String) {
    auth::new_bearer_token(match kind {
        TokenKind::Scim => auth::SCIM_TOKEN_PREFIX,
        TokenKind::Api => auth::API_TOKEN_PREFIX,
    })
}

/// A token of either kind as listed; `role` is the role an API token acts with (SCIM tokens
/// have none).
#[derive(Clone, Debug, PartialEq)]
pub struct AnyToken {
    pub info: TokenInfo,
    pub role: Option<Role>,
}

impl AnyToken {
    fn scim(info: TokenInfo) -> Self {
        AnyToken { info, role: None }
    }

    fn api(token: steward_store::ApiToken) -> Self {
        AnyToken {
            info: token.info,
            role: Some(token.role),
        }
    }

    /// What the audit log records about the token: never the token, only its prefix (and the
    /// role of an API token).
    pub fn audit_detail(&self) -> String {
        match self.role {
            Some(role) => format!("prefix {}, role {}", self.info.prefix, role.as_str()),
            None => format!("prefix {}", self.info.prefix),
        }
    }
}

/// Creates a token of `kind` named `name`: returns the token itself (to show once: only its
/// hash is stored) and the stored record. API tokens need a `role`; SCIM tokens take none.
/// [`StoreError::Conflict`] when a live token of that kind has the name.
pub async fn create_token(
    store: &dyn Store,
    kind: TokenKind,
    name: &str,
    role: Option<Role>,
    created_by: &str,
) -> StoreResult<(String, AnyToken)> {
    let (token, token_hash, prefix) = new_token(kind);
    let new = NewToken {
        name: name.to_string(),
        token_hash,
        prefix,
        created_by: Some(created_by.to_string()),
    };
    let created = match (kind, role) {
        (TokenKind::Scim, None) => AnyToken::scim(store.create_scim_token(new).await?),
        (TokenKind::Api, Some(role)) => AnyToken::api(store.create_api_token(new, role).await?),
        (TokenKind::Scim, Some(_)) => {
            return Err(StoreError::Invalid("SCIM tokens have no role".into()))
        }
        (TokenKind::Api, None) => {
            return Err(StoreError::Invalid("an API token needs a role".into()))
        }
    };
    Ok((token, created))
}

/// Every token of `kind`, live ones first, newest first within each.
pub async fn list_tokens(store: &dyn Store, kind: TokenKind) -> StoreResult<Vec<AnyToken>> {
    Ok(match kind {
        TokenKind::Scim => store
            .list_scim_tokens()
            .await?
            .into_iter()
            .map(AnyToken::scim)
            .collect(),
        TokenKind::Api => store
            .list_api_tokens()
            .await?
            .into_iter()
            .map(AnyToken::api)
            .collect(),
    })
}

/// Revokes the live token of `kind` with that id or name; `None` when there is none.
pub async fn revoke_token(
    store: &dyn Store,
    kind: TokenKind,
    which: TokenRef<'_>,
) -> StoreResult<Option<AnyToken>> {
    Ok(match kind {
        TokenKind::Scim => store.revoke_scim_token(which).await?.map(AnyToken::scim),
        TokenKind::Api => store.revoke_api_token(which).await?.map(AnyToken::api),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use steward_store::sqlite::SqliteStore;

    #[tokio::test]
    async fn both_kinds_are_created_listed_and_revoked_alike() {
        let store = SqliteStore::in_memory().await.unwrap();
        let role = Some(Role::GlobalAdministrator);
        for (kind, role, starts) in [
            (TokenKind::Scim, None, "stw_"),
            (TokenKind::Api, role, "stw_api_"),
        ] {
            let (token, created) = create_token(&store, kind, "ci", role, "ada@example.com")
                .await
                .unwrap();
            assert!(token.starts_with(starts) && token.starts_with(&created.info.prefix));
            assert_eq!(created.role, role);
            assert_eq!(
                list_tokens(&store, kind).await.unwrap(),
                vec![created.clone()]
            );
            let revoked = revoke_token(&store, kind, TokenRef::Name("ci"))
                .await
                .unwrap()
                .unwrap();
            assert!(!revoked.info.is_live());
            assert_eq!(revoked.audit_detail(), created.audit_detail());
        }
        let err = create_token(&store, TokenKind::Api, "x", None, "ada")
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::Invalid(_)), "{err:?}");
    }

    #[test]
    fn audit_details_name_the_prefix_and_role_never_the_token() {
        let info = TokenInfo {
            id: "1".into(),
            name: "ci".into(),
            prefix: "stw_api_abcdef".into(),
            created_at: chrono::Utc::now(),
            created_by: None,
            last_used_at: None,
            revoked_at: None,
        };
        let api = AnyToken {
            info: info.clone(),
            role: Some(Role::GlobalAdministrator),
        };
        assert_eq!(
            api.audit_detail(),
            "prefix stw_api_abcdef, role global_administrator"
        );
        assert_eq!(AnyToken::scim(info).audit_detail(), "prefix stw_api_abcdef");
        assert_eq!(TokenKind::Api.audit_action("create"), "api_token.create");
        assert_eq!(TokenKind::Scim.audit_action("revoke"), "scim_token.revoke");
    }
}
