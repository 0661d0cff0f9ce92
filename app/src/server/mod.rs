//! Server-side half of the portal (compiled only with the `ssr` feature): shared state,
//! authentication, the request middleware and helpers the server functions use.

pub mod actor;
pub mod api_tokens;
pub mod applications;
pub mod auth;
pub mod embed;
pub mod import;
pub mod json_diff;
pub mod live;
pub mod logs;
pub mod middleware;
pub mod notifications;
pub mod provisioning;
pub mod schemas;
pub mod secrets;
pub mod tokens;

use crate::error::{AppError, ErrorCode};
use axum::extract::FromRef;
use leptos::config::LeptosOptions;
use leptos::prelude::use_context;
use std::sync::{Arc, Mutex};
use steward_store::{Role, Store};

pub use actor::{Actor, AuditEntry};
pub use api_tokens::{authenticate_api_token, ApiPrincipal};
pub use middleware::{ClientIp, CurrentSession, OperationId};

/// What every request handler and server function can reach. Cheap to clone.
#[derive(Clone)]
pub struct PortalState {
    pub leptos_options: LeptosOptions,
    pub store: Arc<dyn Store>,
    pub setup: SetupGate,
    pub info: Arc<TenantInfo>,
    /// CSV imports planned and running.
    pub imports: import::ImportJobs,
    /// The directory's schemas, with this tenant's custom attributes.
    pub schemas: schemas::DirectorySchemas,
    /// Encrypts and decrypts stored credentials with the installation's secret key.
    pub secrets: Arc<secrets::Sealer>,
    /// The application gallery (built-in entries).
    pub gallery: Arc<steward_gallery::Gallery>,
    /// The provisioning engine (jobs, cycles) and its host (prepares applications for it).
    pub engine: Arc<steward_engine::Engine>,
    pub engine_host: Arc<provisioning::EngineHost>,
    /// Delivers the notification outbox; woken when the SMTP settings change.
    pub mail: Arc<steward_mail::Sender>,
}

impl FromRef<PortalState> for LeptosOptions {
    fn from_ref(state: &PortalState) -> Self {
        state.leptos_options.clone()
    }
}

/// Facts about this installation shown on the Settings page and used by the guards.
#[derive(Clone, Debug)]
pub struct TenantInfo {
    /// The URL admins use to reach the portal, without a trailing slash.
    pub public_url: String,
    /// The database URL with any password redacted.
    pub database: String,
    pub data_dir: String,
    /// Whether cookies carry `Secure` (the public URL is https).
    pub secure_cookies: bool,
    /// Provisioning log entries older than this many days are deleted.
    pub log_retention_days: u32,
}

/// The one-time token that protects `/setup` while no administrator exists.
#[derive(Clone, Default)]
pub struct SetupGate {
    token_hash: Arc<Mutex<Option<String>>>,
}

impl SetupGate {
    /// Arms the gate and returns the token to print in the server log.
    pub fn arm(&self) -> String {
        let token = auth::random_token();
        *self.lock() = Some(auth::hash_token(&token));
        token
    }

    pub fn is_armed(&self) -> bool {
        self.lock().is_some()
    }

    /// Whether `token` opens the gate; constant-time in the token's content.
    pub fn accepts(&self, token: &str) -> bool {
        match self.lock().as_deref() {
            Some(expected) => {
                auth::constant_time_eq(expected.as_bytes(), auth::hash_token(token).as_bytes())
            }
            None => false,
        }
    }

    /// Closes the gate for good (setup is done).
    pub fn disarm(&self) {
        *self.lock() = None;
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<String>> {
        // A poisoned lock only means a panic elsewhere; the Option inside is still valid.
        self.token_hash.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The shared state, from inside a server function or component.
pub fn portal_state() -> Result<PortalState, AppError> {
    use_context::<PortalState>()
        .ok_or_else(|| internal("portal state missing from the Leptos context"))
}

/// The operation id of the request being served.
pub fn operation_id() -> Option<String> {
    use_context::<http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<OperationId>().map(|id| id.0.clone()))
}

/// The address of the client of the request being served (behind a trusted proxy: the
/// forwarded one), as the request middleware resolved it.
pub fn client_ip() -> Option<String> {
    use_context::<http::request::Parts>()
        .and_then(|p| p.extensions.get::<ClientIp>().map(|ip| ip.0.clone()))
}

/// `AUTH-0004`: the caller lacks `role`.
pub fn forbidden(role: Role) -> AppError {
    AppError::new(
        ErrorCode::Forbidden,
        format!(
            "This needs the {} role. Ask a Global Administrator for access.",
            role.label()
        ),
    )
}

/// The signed-in admin, or `AUTH-0003`. The session guard has already checked this for
/// every route but sign-in; server functions call it to learn who is asking.
pub fn current_session() -> Result<CurrentSession, AppError> {
    use_context::<http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<CurrentSession>().cloned())
        .ok_or_else(|| AppError::new(ErrorCode::SignInRequired, "Sign in to continue."))
}

/// The signed-in admin, who must hold `role`.
pub fn require_role(role: Role) -> Result<CurrentSession, AppError> {
    let session = current_session()?;
    if session.admin.has_role(role) {
        Ok(session)
    } else {
        Err(forbidden(role))
    }
}

/// Logs an internal failure once, with the operation id, and returns the generic error the
/// admin sees (which carries the same id).
pub fn internal(cause: impl std::fmt::Display) -> AppError {
    let op = operation_id().unwrap_or_else(|| "-".into());
    tracing::error!(operation_id = %op, error = %cause, "internal error");
    AppError::new(
        ErrorCode::Internal,
        "Something went wrong inside Steward. Try again; if it keeps happening, give the operation id to your support contact.",
    )
    .with_operation_id(op)
}

/// Sets the HTTP status of the response being built for the current request. A plain
/// (script-less) form post keeps the redirect back to its page that Leptos gives it.
pub fn set_status(status: u16) {
    let plain_form_post = use_context::<http::request::Parts>().is_some_and(|p| {
        p.method == http::Method::POST
            && p.headers
                .get(http::header::ACCEPT)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.contains("text/html"))
    });
    if plain_form_post {
        return;
    }
    if let (Some(resp), Ok(code)) = (
        use_context::<leptos_axum::ResponseOptions>(),
        http::StatusCode::from_u16(status),
    ) {
        resp.set_status(code);
    }
}

/// The admin-facing error for a store failure: not found, a stale version, a conflict, bad
/// input; anything else is internal.
pub fn store_error(e: steward_store::StoreError) -> AppError {
    use steward_store::StoreError as E;
    match e {
        E::NotFound { what, id } => {
            set_status(404);
            AppError::new(
                ErrorCode::NotFound,
                format!("There is no {what} with id {id}; it may have been deleted for good."),
            )
        }
        E::VersionMismatch { .. } => {
            set_status(409);
            AppError::new(
                ErrorCode::Conflict,
                "Someone else changed this a moment ago. Reload the page to see their change, then try again.",
            )
        }
        E::Conflict { what, value } => {
            set_status(409);
            AppError::new(
                ErrorCode::Conflict,
                format!("{what} {value:?} already exists."),
            )
        }
        E::Invalid(msg) => {
            set_status(422);
            AppError::new(ErrorCode::Invalid, msg)
        }
        other => internal(other),
    }
}
