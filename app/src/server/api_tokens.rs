//! Authentication of REST API (`/api/v1`) requests by admin API tokens: what an axum handler
//! or middleware calls with the request's `Authorization` header.

use super::auth::{self, API_TOKEN_PREFIX, SCIM_TOKEN_PREFIX};
use crate::error::{AppError, ErrorCode};
use chrono::Utc;
use steward_store::{Role, Store};

/// Who is calling the API: the API token's name and the role it acts with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiPrincipal {
    pub name: String,
    pub role: Role,
}

impl ApiPrincipal {
    pub fn has_role(&self, role: Role) -> bool {
        self.role == role
    }
}

const HOW_TO_GET_ONE: &str = "An admin creates one in the portal under Settings → API tokens, \
     or with `steward api-token create --name NAME --role ROLE`.";

/// Checks an `Authorization: Bearer <token>` header against the live API tokens, recording
/// the token's use (at most once a minute). Every refusal is [`ErrorCode::SignInRequired`]
/// (HTTP 401) with a message saying what was wrong: no header, another scheme than Bearer,
/// no token after it, a SCIM token, or a token that is unknown or was revoked. A database
/// failure is an internal error (logged).
pub async fn authenticate_api_token(
    store: &dyn Store,
    authorization_header: Option<&str>,
) -> Result<ApiPrincipal, AppError> {
    let refuse = |message: String| Err(AppError::new(ErrorCode::SignInRequired, message));
    let Some(header) = authorization_header.filter(|h| !h.trim().is_empty()) else {
        return refuse(format!(
            "An API token is required: send it as `Authorization: Bearer <token>`. {HOW_TO_GET_ONE}"
        ));
    };
    let Some(token) = auth::bearer_token(header) else {
        let scheme = header.split_whitespace().next().unwrap_or_default();
        return refuse(format!(
            "The Authorization header uses the {scheme:?} scheme; the API takes only \
             `Authorization: Bearer <token>` with an API token."
        ));
    };
    if token.is_empty() {
        return refuse(format!(
            "The Authorization header has no token after `Bearer`. {HOW_TO_GET_ONE}"
        ));
    }
    let found = store
        .api_token_by_hash(&auth::hash_token(token), Utc::now())
        .await
        .map_err(super::internal)?;
    match found {
        Some(t) => Ok(ApiPrincipal {
            name: t.info.name,
            role: t.role,
        }),
        None if token.starts_with(SCIM_TOKEN_PREFIX) && !token.starts_with(API_TOKEN_PREFIX) => {
            refuse(format!(
                "This looks like a SCIM token, which only opens the SCIM endpoint (/scim/v2); \
                 the API needs an API token (they start with {API_TOKEN_PREFIX}). {HOW_TO_GET_ONE}"
            ))
        }
        None => refuse(
            "The API token is not valid: it is unknown or was revoked. Ask an admin for a new \
             one (Settings → API tokens)."
                .to_string(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::tokens::{create_token, revoke_token, TokenKind};
    use steward_store::sqlite::SqliteStore;
    use steward_store::{ApiTokenStore, TokenRef};

    async fn refusal(store: &SqliteStore, header: Option<&str>) -> String {
        let err = authenticate_api_token(store, header).await.unwrap_err();
        assert_eq!(err.code, ErrorCode::SignInRequired, "{err}");
        assert_eq!(err.code.status(), 401);
        err.message
    }

    #[tokio::test]
    async fn a_live_api_token_names_its_caller_and_role() {
        let store = SqliteStore::in_memory().await.unwrap();
        let role = Some(Role::GlobalAdministrator);
        let (token, _) = create_token(&store, TokenKind::Api, "Terraform", role, "ada")
            .await
            .unwrap();
        for header in [format!("Bearer {token}"), format!("bearer   {token} ")] {
            let principal = authenticate_api_token(&store, Some(&header)).await.unwrap();
            assert_eq!(
                principal,
                ApiPrincipal {
                    name: "Terraform".into(),
                    role: Role::GlobalAdministrator
                }
            );
            assert!(principal.has_role(Role::GlobalAdministrator));
        }
        let listed = store.list_api_tokens().await.unwrap();
        assert!(listed[0].info.last_used_at.is_some(), "use not recorded");

        revoke_token(&store, TokenKind::Api, TokenRef::Name("Terraform"))
            .await
            .unwrap()
            .unwrap();
        let message = refusal(&store, Some(&format!("Bearer {token}"))).await;
        assert!(message.contains("unknown or was revoked"), "{message}");
    }

    #[tokio::test]
    async fn each_refusal_says_what_was_wrong() {
        let store = SqliteStore::in_memory().await.unwrap();
        for header in [None, Some(""), Some("  ")] {
            let message = refusal(&store, header).await;
            assert!(
                message.contains("An API token is required")
                    && message.contains("steward api-token create"),
                "{message}"
            );
        }
        let message = refusal(&store, Some("Basic YWRhOnB3")).await;
        assert!(
            message.contains("\"Basic\" scheme") && message.contains("Bearer"),
            "{message}"
        );
        let message = refusal(&store, Some("Bearer ")).await;
        assert!(message.contains("no token after `Bearer`"), "{message}");
        let message = refusal(&store, Some("Bearer stw_api_not-a-real-token")).await;
        assert!(message.contains("unknown or was revoked"), "{message}");

        let (scim, _) = create_token(&store, TokenKind::Scim, "Workday", None, "ada")
            .await
            .unwrap();
        let message = refusal(&store, Some(&format!("Bearer {scim}"))).await;
        assert!(message.contains("SCIM token"), "{message}");
    }
}
