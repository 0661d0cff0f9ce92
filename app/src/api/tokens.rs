//! Server functions for bearer tokens, both kinds alike: SCIM tokens (Settings, for
//! `/scim/v2`) and API tokens (Settings → API tokens, for `/api/v1`, each acting with an admin
//! role). List, create (the token is shown once), revoke.

use crate::error::AppError;
use chrono::{DateTime, Utc};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
use super::audit;
#[cfg(feature = "ssr")]
use crate::error::{field_errors, ErrorCode};
#[cfg(feature = "ssr")]
use crate::server::{
    self as srv,
    tokens::{self as store_tokens, AnyToken},
};
#[cfg(feature = "ssr")]
use steward_store::{Outcome, Role, StoreError, TokenRef};

/// The two kinds of bearer token Steward issues.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TokenKind {
    /// For the inbound SCIM endpoint.
    Scim,
    /// For the REST API, acting with an admin role.
    Api,
}

impl TokenKind {
    /// As in URLs, ids and form values: "scim", "api".
    pub fn as_str(self) -> &'static str {
        match self {
            TokenKind::Scim => "scim",
            TokenKind::Api => "api",
        }
    }

    /// "SCIM token", "API token".
    pub fn noun(self) -> &'static str {
        match self {
            TokenKind::Scim => "SCIM token",
            TokenKind::Api => "API token",
        }
    }

    /// The command that manages this kind: `steward {command} ...`.
    pub fn command(self) -> &'static str {
        match self {
            TokenKind::Scim => "scim-token",
            TokenKind::Api => "api-token",
        }
    }

    /// The audit log's action for `verb` ("create", "revoke"), e.g. `scim_token.create`.
    pub fn audit_action(self, verb: &str) -> String {
        format!("{}_token.{verb}", self.as_str())
    }

    /// Whether tokens of this kind act with a role.
    pub fn has_role(self) -> bool {
        self == TokenKind::Api
    }
}

/// A bearer token as the portal lists it: never the token itself.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TokenView {
    pub id: String,
    pub name: String,
    /// The first characters of the token, to tell tokens apart.
    pub prefix: String,
    pub created_at: DateTime<Utc>,
    pub created_by: Option<String>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    /// The label of the role an API token acts with; SCIM tokens have none.
    pub role: Option<String>,
}

#[cfg(feature = "ssr")]
impl From<AnyToken> for TokenView {
    fn from(t: AnyToken) -> Self {
        TokenView {
            id: t.info.id,
            name: t.info.name,
            prefix: t.info.prefix,
            created_at: t.info.created_at,
            created_by: t.info.created_by,
            last_used_at: t.info.last_used_at,
            revoked_at: t.info.revoked_at,
            role: t.role.map(|r| r.label().to_string()),
        }
    }
}

/// A role a new API token can act with: its stored name and its label.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RoleChoice {
    pub value: String,
    pub label: String,
}

/// The tokens of one kind, the endpoint clients use them with, and the roles a new one can
/// act with (none for SCIM tokens).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TokenList {
    pub endpoint: String,
    pub roles: Vec<RoleChoice>,
    pub tokens: Vec<TokenView>,
}

#[server(endpoint = "tokens")]
pub async fn list_tokens(kind: TokenKind) -> Result<TokenList, AppError> {
    srv::require_role(Role::GlobalAdministrator)?;
    let state = srv::portal_state()?;
    let tokens = store_tokens::list_tokens(state.store.as_ref(), kind)
        .await
        .map_err(srv::internal)?;
    let path = match kind {
        TokenKind::Scim => "scim/v2",
        TokenKind::Api => "api/v1",
    };
    let roles = match kind {
        TokenKind::Scim => Vec::new(),
        TokenKind::Api => Role::ALL
            .iter()
            .map(|r| RoleChoice {
                value: r.as_str().to_string(),
                label: r.label().to_string(),
            })
            .collect(),
    };
    Ok(TokenList {
        endpoint: format!("{}/{path}", state.info.public_url),
        roles,
        tokens: tokens.into_iter().map(TokenView::from).collect(),
    })
}

/// Creates a token and returns it: the only time it is ever shown. An API token needs
/// `role` (a role's stored name or label); a SCIM token takes none.
#[server(endpoint = "token_create")]
pub async fn create_token(
    kind: TokenKind,
    name: String,
    role: Option<String>,
) -> Result<String, AppError> {
    let session = srv::require_role(Role::GlobalAdministrator)?;
    let state = srv::portal_state()?;
    let name = name.trim().to_string();
    let role = match kind {
        TokenKind::Api => Some(Role::from_input(role.as_deref().unwrap_or_default())),
        TokenKind::Scim => None,
    };
    let problems = field_errors([
        (
            "name",
            (name.is_empty() || name.chars().count() > 100).then(|| {
                "Name the token after what uses it, e.g. Workday (at most 100 characters)."
                    .to_string()
            }),
        ),
        (
            "role",
            matches!(role, Some(None)).then(|| {
                let labels: Vec<&str> = Role::ALL.iter().map(|r| r.label()).collect();
                format!(
                    "Choose the role the token acts with: {}.",
                    labels.join(", ")
                )
            }),
        ),
    ]);
    if !problems.is_empty() {
        srv::set_status(422);
        return Err(AppError::invalid(problems));
    }
    let created = store_tokens::create_token(
        state.store.as_ref(),
        kind,
        &name,
        role.flatten(),
        &session.admin.email,
    )
    .await;
    let (token, created) = match created {
        Ok(created) => created,
        Err(StoreError::Conflict { .. }) => {
            srv::set_status(409);
            let mut err = AppError::invalid(field_errors([(
                "name",
                Some(format!(
                    "A live token is already named {name:?}; revoke it first or choose another name."
                )),
            )]));
            err.code = ErrorCode::Conflict;
            return Err(err);
        }
        Err(e) => return Err(srv::internal(e)),
    };
    audit_token(&state, &session.admin.email, kind, "create", &created).await;
    Ok(token)
}

/// Revokes a live token by id; its clients are refused from their next request.
#[server(endpoint = "token_revoke")]
pub async fn revoke_token(kind: TokenKind, id: String) -> Result<(), AppError> {
    let session = srv::require_role(Role::GlobalAdministrator)?;
    let state = srv::portal_state()?;
    let revoked = store_tokens::revoke_token(state.store.as_ref(), kind, TokenRef::Id(&id))
        .await
        .map_err(srv::internal)?;
    let Some(token) = revoked else {
        srv::set_status(404);
        return Err(AppError::new(
            ErrorCode::NotFound,
            "That token does not exist or was already revoked. Reload the page.",
        ));
    };
    audit_token(&state, &session.admin.email, kind, "revoke", &token).await;
    Ok(())
}

/// Records `verb` ("create", "revoke") done to `token` in the audit log.
#[cfg(feature = "ssr")]
async fn audit_token(
    state: &srv::PortalState,
    actor: &str,
    kind: TokenKind,
    verb: &str,
    token: &AnyToken,
) {
    audit(
        state,
        actor,
        &kind.audit_action(verb),
        Some(&token.info.name),
        Outcome::Success,
        Some(token.audit_detail()),
    )
    .await;
}
