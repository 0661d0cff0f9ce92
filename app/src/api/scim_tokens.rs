//! Server functions for the SCIM tokens section of Settings: list, create (the token is
//! shown once), revoke.

use crate::error::AppError;
use chrono::{DateTime, Utc};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
use super::audit;
#[cfg(feature = "ssr")]
use crate::server::{self as srv, auth};
#[cfg(feature = "ssr")]
use steward_store::Role;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ScimTokenView {
    pub id: String,
    pub name: String,
    pub prefix: String,
    pub created_at: DateTime<Utc>,
    pub created_by: Option<String>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// The tokens, and the endpoint clients use them with.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ScimTokenList {
    pub endpoint: String,
    pub tokens: Vec<ScimTokenView>,
}

#[server(endpoint = "scim_tokens")]
pub async fn scim_tokens() -> Result<ScimTokenList, AppError> {
    srv::require_role(Role::GlobalAdministrator)?;
    let state = srv::portal_state()?;
    let tokens = state
        .store
        .list_scim_tokens()
        .await
        .map_err(srv::internal)?;
    Ok(ScimTokenList {
        endpoint: format!("{}/scim/v2", state.info.public_url),
        tokens: tokens
            .into_iter()
            .map(|t| ScimTokenView {
                id: t.id,
                name: t.name,
                prefix: t.prefix,
                created_at: t.created_at,
                created_by: t.created_by,
                last_used_at: t.last_used_at,
                revoked_at: t.revoked_at,
            })
            .collect(),
    })
}

/// Creates a token and returns it: the only time it is ever shown.
#[server(endpoint = "scim_token_create")]
pub async fn create_scim_token(name: String) -> Result<String, AppError> {
    use crate::error::{field_errors, ErrorCode};
    let session = srv::require_role(Role::GlobalAdministrator)?;
    let state = srv::portal_state()?;
    let name = name.trim().to_string();
    if name.is_empty() || name.chars().count() > 100 {
        srv::set_status(422);
        return Err(AppError::invalid(field_errors([(
            "name",
            Some(
                "Name the token after what uses it, e.g. Workday (at most 100 characters)."
                    .to_string(),
            ),
        )])));
    }
    let (token, token_hash, prefix) = auth::new_scim_token();
    let created = match state
        .store
        .create_scim_token(steward_store::NewScimToken {
            name: name.clone(),
            token_hash,
            prefix,
            created_by: Some(session.admin.email.clone()),
        })
        .await
    {
        Ok(t) => t,
        Err(steward_store::StoreError::Conflict { .. }) => {
            srv::set_status(409);
            let mut err = AppError::invalid(field_errors([(
                "name",
                Some(format!("A live token is already named {name:?}; revoke it first or choose another name.")),
            )]));
            err.code = ErrorCode::Conflict;
            return Err(err);
        }
        Err(e) => return Err(srv::internal(e)),
    };
    audit(
        &state,
        &session.admin.email,
        "scim_token.create",
        Some(&created.name),
        steward_store::Outcome::Success,
        Some(format!("prefix {}", created.prefix)),
    )
    .await;
    Ok(token)
}

#[server(endpoint = "scim_token_revoke")]
pub async fn revoke_scim_token(id: String) -> Result<(), AppError> {
    let session = srv::require_role(Role::GlobalAdministrator)?;
    let state = srv::portal_state()?;
    let token = state
        .store
        .list_scim_tokens()
        .await
        .map_err(srv::internal)?
        .into_iter()
        .find(|t| t.id == id);
    let Some(token) = token else {
        srv::set_status(404);
        return Err(AppError::new(
            crate::error::ErrorCode::NotFound,
            "That token does not exist. Reload the page.",
        ));
    };
    state
        .store
        .revoke_scim_token(&token.id)
        .await
        .map_err(srv::internal)?;
    audit(
        &state,
        &session.admin.email,
        "scim_token.revoke",
        Some(&token.name),
        steward_store::Outcome::Success,
        Some(format!("prefix {}", token.prefix)),
    )
    .await;
    Ok(())
}
