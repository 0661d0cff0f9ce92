//! Wire types and server functions of the embeddable dashboard: the admins' page that
//! creates, lists and revokes embed tokens (Settings → Embedded dashboards), and the one
//! function the dashboard itself calls, [`embed_view`], which takes the token instead of a
//! session. The service is `crate::server::embed`.

use crate::api::{JobView, LogRow};
use crate::error::AppError;
use chrono::{DateTime, Utc};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
use crate::server::{self as srv, embed as service, Actor};
#[cfg(feature = "ssr")]
use steward_store::Role;

/// What a dashboard link that does not open anything shows, in the app and in the plain
/// page the server answers with.
pub const EMBED_INVALID_MESSAGE: &str = "This dashboard link is not valid (revoked or mistyped). \
     Ask your Steward administrator for a new one.";

/// How many of the newest failures the dashboard lists.
pub const EMBED_FAILURES: usize = 10;

/// An embed token as the portal lists it: never the token itself.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EmbedTokenView {
    pub id: String,
    pub name: String,
    /// The first characters of the token, to tell tokens apart.
    pub prefix: String,
    /// `None`: every application.
    pub application_id: Option<String>,
    /// The application's name, or "All applications".
    pub scope: String,
    pub allowed_origins: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub created_by: Option<String>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// An application a new token can show.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ApplicationChoice {
    pub id: String,
    pub name: String,
}

/// The embed tokens and what a new one can show.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EmbedTokenList {
    pub applications: Vec<ApplicationChoice>,
    pub tokens: Vec<EmbedTokenView>,
}

/// A token just created: the only time it is shown.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NewEmbed {
    pub token: String,
    /// The dashboard's address (`{public_url}/embed/{token}`).
    pub url: String,
    /// An `<iframe>` element to paste into the other site.
    pub snippet: String,
}

/// What the dashboard shows: the job of the token's application (or of every application,
/// what needs attention first), and the newest failures.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EmbedDashboard {
    /// The application's name, or "All applications".
    pub title: String,
    /// Whether the token shows every application.
    pub all: bool,
    pub jobs: Vec<JobView>,
    /// Provisioning log entries with status failure, newest first (at most
    /// [`EMBED_FAILURES`]).
    pub failures: Vec<LogRow>,
}

impl EmbedDashboard {
    /// The newest failure shown: the live stream sends the ones after it.
    pub fn newest_failure(&self) -> i64 {
        self.failures.first().map_or(0, |r| r.id)
    }
}

#[server(endpoint = "embed_tokens")]
pub async fn list_embed_tokens() -> Result<EmbedTokenList, AppError> {
    let actor = Actor::portal(Role::GlobalAdministrator)?;
    let state = srv::portal_state()?;
    service::list(&state, &actor).await
}

/// Creates an embed token for `application` (its id; empty: every application) that the
/// origins in `origins` (one a line) may frame. Returns the token, shown only now.
#[server(endpoint = "embed_token_create")]
pub async fn create_embed_token(
    name: String,
    application: String,
    origins: String,
) -> Result<NewEmbed, AppError> {
    let actor = Actor::portal(Role::GlobalAdministrator)?;
    let state = srv::portal_state()?;
    service::create(&state, &actor, &name, &application, &origins).await
}

/// Revokes a live embed token by id: its dashboards stop at once (an open one within
/// seconds) and the link shows that it is no longer valid.
#[server(endpoint = "embed_token_revoke")]
pub async fn revoke_embed_token(id: String) -> Result<(), AppError> {
    let actor = Actor::portal(Role::GlobalAdministrator)?;
    let state = srv::portal_state()?;
    service::revoke(&state, &actor, &id).await
}

/// The dashboard of an embed token. The only server function reachable without a session
/// (`/api/embed_view` is public): the token is the credential, checked here, and it reads
/// only its own application's status and failures.
#[server(endpoint = "embed_view")]
pub async fn embed_view(token: String) -> Result<EmbedDashboard, AppError> {
    let state = srv::portal_state()?;
    let grant = service::grant(&state, &token).await?;
    service::dashboard(&state, &grant).await
}
