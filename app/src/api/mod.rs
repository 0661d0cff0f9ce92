//! Wire types and server functions of the portal. Each server function is a public HTTP
//! endpoint under `/api/`: it checks the session and role, calls the store once, and maps
//! errors. The session guard already refuses every endpoint but sign-in and setup to callers
//! without a session; the role checks here are the second line.

mod applications;
mod custom_attributes;
mod embed;
mod groups;
mod import;
mod logs;
mod notifications;
mod provisioning;
mod tokens;
mod users_edit;

pub use applications::*;
pub use custom_attributes::*;
pub use embed::*;
pub use groups::*;
pub use import::*;
pub use logs::*;
pub use notifications::*;
pub use provisioning::*;
pub use tokens::*;
pub use users_edit::*;

use crate::error::AppError;
use chrono::{DateTime, Utc};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
use crate::server::{self as srv, auth};
#[cfg(feature = "ssr")]
use steward_store::Role;

/// An administrator as the portal shows one.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AdminView {
    pub email: String,
    pub display_name: String,
    pub roles: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub last_sign_in_at: Option<DateTime<Utc>>,
}

#[cfg(feature = "ssr")]
impl From<&steward_store::Admin> for AdminView {
    fn from(a: &steward_store::Admin) -> Self {
        Self {
            email: a.email.clone(),
            display_name: a.display_name.clone(),
            roles: a.roles.iter().map(|r| r.label().to_string()).collect(),
            created_at: a.created_at,
            last_sign_in_at: a.last_sign_in_at,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AuditEventView {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub actor: String,
    pub action: String,
    pub target: Option<String>,
    pub succeeded: bool,
    pub detail: Option<String>,
    pub ip: Option<String>,
    pub operation_id: Option<String>,
    /// What the change changed, leaf by leaf (secrets were redacted when it was recorded).
    pub changes: Vec<AuditChange>,
}

/// One changed value of an audited configuration change.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AuditChange {
    /// Where, e.g. `users.scope[0].clauses[1].value` or `deletion_threshold`.
    pub path: String,
    /// JSON text; empty when there was nothing (added) or is nothing (removed).
    pub before: String,
    pub after: String,
}

/// Which audit events to list: every part optional.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct AuditQuery {
    #[serde(default)]
    pub actor: String,
    /// Actions starting with this (`application.`).
    #[serde(default)]
    pub action: String,
    /// Targets containing this.
    #[serde(default)]
    pub target: String,
    /// "success", "failure" or empty.
    #[serde(default)]
    pub outcome: String,
    /// `YYYY-MM-DD`, inclusive, UTC.
    #[serde(default)]
    pub since: String,
    #[serde(default)]
    pub until: String,
    pub before: Option<i64>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AuditPage {
    pub events: Vec<AuditEventView>,
    /// Pass as `before` to get the next (older) page; `None` on the last page.
    pub next_before: Option<i64>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TenantSettings {
    pub version: String,
    pub public_url: String,
    pub database_backend: String,
    pub database: String,
    pub data_dir: String,
    pub admins: Vec<AdminView>,
    pub session_expires_at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OverviewFacts {
    pub admin_count: i64,
    pub database_backend: String,
    pub database_healthy: bool,
}

#[cfg(feature = "ssr")]
fn audit(
    state: &srv::PortalState,
    actor: &str,
    action: &str,
    target: Option<&str>,
    outcome: steward_store::Outcome,
    detail: Option<String>,
) -> impl std::future::Future<Output = ()> + Send + 'static {
    let store = state.store.clone();
    let event = steward_store::NewAuditEvent {
        at: Utc::now(),
        actor: actor.to_string(),
        action: action.to_string(),
        target: target.map(str::to_string),
        outcome,
        detail,
        ip: srv::client_ip(),
        operation_id: srv::operation_id(),
        before: None,
        after: None,
    };
    async move { srv::actor::record(store.as_ref(), event).await }
}

#[cfg(feature = "ssr")]
fn user_agent() -> Option<String> {
    use_context::<http::request::Parts>().and_then(|p| {
        p.headers
            .get(http::header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(|s| s.chars().take(300).collect())
    })
}

#[cfg(feature = "ssr")]
fn set_cookie(value: &str) {
    if let (Some(resp), Ok(v)) = (
        use_context::<leptos_axum::ResponseOptions>(),
        http::HeaderValue::from_str(value),
    ) {
        resp.append_header(http::header::SET_COOKIE, v);
    }
}

/// Signs in with email and password; on success sets the session cookie and sends the
/// browser to `next` (a path on this site) or the overview.
#[server(endpoint = "sign_in")]
pub async fn sign_in(
    email: String,
    password: String,
    next: Option<String>,
) -> Result<(), AppError> {
    let state = srv::portal_state()?;
    let missing = crate::error::field_errors([
        (
            "email",
            email
                .trim()
                .is_empty()
                .then(|| "Enter your email address.".to_string()),
        ),
        (
            "password",
            password
                .is_empty()
                .then(|| "Enter your password.".to_string()),
        ),
    ]);
    if !missing.is_empty() {
        srv::set_status(422);
        return Err(AppError::invalid(missing));
    }
    let ip = srv::client_ip().unwrap_or_else(|| "unknown".into());
    let now = Utc::now();
    match auth::authenticate(&state, &email, &password, &ip, now).await {
        Ok(admin) => {
            let cookie = auth::start_session(&state, &admin, Some(ip), user_agent(), now)
                .await
                .map_err(srv::internal)?;
            set_cookie(&cookie);
            audit(
                &state,
                &admin.email,
                "admin.sign_in",
                None,
                steward_store::Outcome::Success,
                None,
            )
            .await;
            tracing::info!(admin = %admin.email, "admin signed in");
            leptos_axum::redirect(&srv::middleware::safe_next(next.as_deref()));
            Ok(())
        }
        Err(failure) => {
            let err = failure.into_app_error();
            audit(
                &state,
                email.trim(),
                "admin.sign_in",
                None,
                steward_store::Outcome::Failure,
                Some(err.message.clone()),
            )
            .await;
            srv::set_status(err.code.status());
            Err(err)
        }
    }
}

#[server(endpoint = "sign_out")]
pub async fn sign_out() -> Result<(), AppError> {
    let state = srv::portal_state()?;
    let session = srv::current_session()?;
    state
        .store
        .delete_session(&session.token_hash)
        .await
        .map_err(srv::internal)?;
    set_cookie(&auth::clear_cookie(state.info.secure_cookies));
    audit(
        &state,
        &session.admin.email,
        "admin.sign_out",
        None,
        steward_store::Outcome::Success,
        None,
    )
    .await;
    leptos_axum::redirect("/sign-in");
    Ok(())
}

/// Whether the one-time setup is still open (no administrator exists yet).
#[server(endpoint = "setup_status")]
pub async fn setup_open() -> Result<bool, AppError> {
    let state = srv::portal_state()?;
    if !state.setup.is_armed() {
        return Ok(false);
    }
    // An admin created with `steward admin create` while the server runs closes setup too.
    if state.store.count_admins().await.map_err(srv::internal)? > 0 {
        state.setup.disarm();
        return Ok(false);
    }
    Ok(true)
}

/// Creates the first administrator with the one-time token from the server log, then
/// signs them in.
#[server(endpoint = "setup")]
pub async fn complete_setup(
    token: String,
    email: String,
    display_name: String,
    password: String,
    password_confirm: String,
) -> Result<(), AppError> {
    use crate::error::ErrorCode;
    let state = srv::portal_state()?;
    if !state.setup.is_armed() {
        srv::set_status(409);
        return Err(AppError::new(
            ErrorCode::SetupDone,
            "Setup is already complete. Sign in with an administrator account.",
        ));
    }
    if !state.setup.accepts(token.trim()) {
        srv::set_status(403);
        audit(
            &state,
            email.trim(),
            "tenant.setup",
            None,
            steward_store::Outcome::Failure,
            Some("wrong setup token".into()),
        )
        .await;
        return Err(AppError::new(
            ErrorCode::SetupTokenInvalid,
            "The setup token is not valid. Copy the setup link from the server log again; a restart prints a new one.",
        ));
    }
    let fields =
        auth::validate_new_admin(&email, &display_name, &password, Some(&password_confirm));
    if !fields.is_empty() {
        srv::set_status(422);
        return Err(AppError::invalid(fields));
    }
    let hash = tokio::task::spawn_blocking(move || auth::hash_password(&password))
        .await
        .map_err(srv::internal)?
        .map_err(srv::internal)?;
    let admin = match state
        .store
        .create_first_admin(steward_store::NewAdmin {
            email,
            display_name: display_name.trim().to_string(),
            password_hash: hash,
            roles: vec![Role::GlobalAdministrator],
        })
        .await
    {
        Ok(admin) => admin,
        Err(steward_store::StoreError::AlreadyInitialised) => {
            state.setup.disarm();
            srv::set_status(409);
            return Err(AppError::new(
                ErrorCode::SetupDone,
                "Setup is already complete. Sign in with an administrator account.",
            ));
        }
        Err(e) => return Err(srv::internal(e)),
    };
    state.setup.disarm();
    tracing::info!(admin = %admin.email, "first administrator created through the setup page");
    audit(
        &state,
        &admin.email,
        "tenant.setup",
        Some(&admin.email),
        steward_store::Outcome::Success,
        Some("first Global Administrator created".into()),
    )
    .await;
    let cookie = auth::start_session(&state, &admin, srv::client_ip(), user_agent(), Utc::now())
        .await
        .map_err(srv::internal)?;
    set_cookie(&cookie);
    leptos_axum::redirect("/");
    Ok(())
}

#[server(endpoint = "current_admin")]
pub async fn current_admin() -> Result<AdminView, AppError> {
    let session = srv::current_session()?;
    Ok(AdminView::from(&session.admin))
}

#[server(endpoint = "overview")]
pub async fn load_overview() -> Result<OverviewFacts, AppError> {
    srv::require_role(Role::GlobalAdministrator)?;
    let state = srv::portal_state()?;
    let admin_count = state.store.count_admins().await.map_err(srv::internal)?;
    Ok(OverviewFacts {
        admin_count,
        database_backend: state.store.backend_name().to_string(),
        database_healthy: state.store.ping().await.is_ok(),
    })
}

#[server(endpoint = "audit_events")]
pub async fn load_audit_events(
    #[server(default)] query: AuditQuery,
) -> Result<AuditPage, AppError> {
    const PAGE: u32 = 50;
    srv::require_role(Role::GlobalAdministrator)?;
    let state = srv::portal_state()?;
    let filter = audit_filter(&query)?;
    let mut events = state
        .store
        .list_audit(&filter, query.before, PAGE + 1)
        .await
        .map_err(srv::internal)?;
    let more = events.len() > PAGE as usize;
    events.truncate(PAGE as usize);
    let next_before = more.then(|| events.last().map(|e| e.id)).flatten();
    Ok(AuditPage {
        events: events
            .into_iter()
            .map(|e| AuditEventView {
                changes: match (&e.before, &e.after) {
                    (None, None) => Vec::new(),
                    (b, a) => srv::json_diff::changes(b.as_ref(), a.as_ref(), 200)
                        .into_iter()
                        .map(|(path, before, after)| AuditChange {
                            path,
                            before,
                            after,
                        })
                        .collect(),
                },
                id: e.id,
                at: e.at,
                actor: e.actor,
                action: e.action,
                target: e.target,
                succeeded: e.outcome == steward_store::Outcome::Success,
                detail: e.detail,
                ip: e.ip,
                operation_id: e.operation_id,
            })
            .collect(),
        next_before,
    })
}

/// The store's filter for a query from the page, or field messages for dates that do not read.
#[cfg(feature = "ssr")]
fn audit_filter(q: &AuditQuery) -> Result<steward_store::AuditFilter, AppError> {
    use crate::error::field_errors;
    let text = |t: &str| Some(t.trim().to_string()).filter(|t| !t.is_empty());
    let day = |t: &str| {
        let t = t.trim();
        if t.is_empty() {
            return Ok(None);
        }
        chrono::NaiveDate::parse_from_str(t, "%Y-%m-%d")
            .map(|d| Some(d.and_time(chrono::NaiveTime::MIN).and_utc()))
            .map_err(|_| format!("Enter a date as YYYY-MM-DD, not {t:?}."))
    };
    let since = day(&q.since);
    let until = day(&q.until);
    let fields = field_errors([
        ("since", since.clone().err()),
        ("until", until.clone().err()),
    ]);
    if !fields.is_empty() {
        srv::set_status(422);
        return Err(AppError::invalid(fields));
    }
    Ok(steward_store::AuditFilter {
        actor: text(&q.actor).map(|a| a.to_lowercase()),
        action: text(&q.action),
        target: text(&q.target),
        outcome: match q.outcome.as_str() {
            "success" => Some(steward_store::Outcome::Success),
            "failure" => Some(steward_store::Outcome::Failure),
            _ => None,
        },
        since: since.ok().flatten(),
        // Until a day means through the end of it.
        until: until.ok().flatten().map(|d| d + chrono::Duration::days(1)),
    })
}

#[server(endpoint = "settings")]
pub async fn load_settings() -> Result<TenantSettings, AppError> {
    let session = srv::require_role(Role::GlobalAdministrator)?;
    let state = srv::portal_state()?;
    let admins = state.store.list_admins().await.map_err(srv::internal)?;
    Ok(TenantSettings {
        version: env!("CARGO_PKG_VERSION").to_string(),
        public_url: state.info.public_url.clone(),
        database_backend: state.store.backend_name().to_string(),
        database: state.info.database.clone(),
        data_dir: state.info.data_dir.clone(),
        admins: admins.iter().map(AdminView::from).collect(),
        session_expires_at: session.info.expires_at,
    })
}

/// One row of the users list.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UserRow {
    pub id: String,
    pub user_name: String,
    pub display_name: String,
    pub email: String,
    pub active: bool,
    pub updated_at: DateTime<Utc>,
}

/// A page of the users list and where it sits in the whole.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UserListPage {
    pub rows: Vec<UserRow>,
    pub total: i64,
    pub offset: u32,
    pub page_size: u32,
}

/// Sort keys of the users list, as they appear in the page's URL.
pub const USER_SORTS: [&str; 4] = ["name", "username", "email", "updated"];

pub const USERS_PAGE_SIZE: u32 = 50;

/// The users list: search (userName, display name or email, anywhere, ignoring case), sort
/// and page, all on the server so it stays fast however many users there are.
#[server(endpoint = "users")]
pub async fn list_users(
    search: Option<String>,
    sort: Option<String>,
    descending: bool,
    page: u32,
    recycle_bin: bool,
) -> Result<UserListPage, AppError> {
    use steward_store::{UserQuery, UserSort, UserState};
    srv::require_role(Role::GlobalAdministrator)?;
    let state = srv::portal_state()?;
    let sort = match sort.as_deref() {
        Some("username") => UserSort::UserName,
        Some("email") => UserSort::Email,
        Some("updated") => UserSort::UpdatedAt,
        _ => UserSort::DisplayName,
    };
    let offset = page.saturating_sub(1).saturating_mul(USERS_PAGE_SIZE);
    let found = state
        .store
        .list_users(&UserQuery {
            search,
            sort,
            descending,
            offset,
            limit: USERS_PAGE_SIZE,
            state: if recycle_bin {
                UserState::Deleted
            } else {
                UserState::Current
            },
        })
        .await
        .map_err(srv::internal)?;
    Ok(UserListPage {
        rows: found
            .items
            .into_iter()
            .map(|u| UserRow {
                id: u.id.to_string(),
                display_name: match (
                    u.display_name.as_str(),
                    format!("{} {}", u.given_name, u.family_name).trim(),
                ) {
                    ("", "") => u.user_name.clone(),
                    ("", names) => names.to_string(),
                    (display, _) => display.to_string(),
                },
                user_name: u.user_name,
                email: u.email,
                active: u.active,
                updated_at: u.updated_at,
            })
            .collect(),
        total: found.total,
        offset,
        page_size: USERS_PAGE_SIZE,
    })
}

/// One user, as the detail page shows them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UserDetail {
    pub id: String,
    pub user_name: String,
    pub display_name: String,
    pub email: String,
    pub external_id: Option<String>,
    pub active: bool,
    pub deleted_at: Option<DateTime<Utc>>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// The SCIM resource, pretty-printed.
    pub resource: String,
}

#[cfg(feature = "ssr")]
use srv::store_error as directory_error;

#[cfg(feature = "ssr")]
fn parse_user_id(id: &str) -> Result<steward_store::UserId, AppError> {
    steward_store::UserId::parse(id).ok_or_else(|| {
        srv::set_status(404);
        AppError::new(
            crate::error::ErrorCode::NotFound,
            format!("{id:?} is not a user id."),
        )
    })
}

/// The user with this id, or the 404 error the portal shows.
#[cfg(feature = "ssr")]
async fn load_user(
    state: &srv::PortalState,
    id: &str,
) -> Result<(steward_store::UserId, steward_store::User), AppError> {
    let uid = parse_user_id(id)?;
    match state.store.user(uid).await.map_err(srv::internal)? {
        Some(user) => Ok((uid, user)),
        None => Err(directory_error(steward_store::StoreError::NotFound {
            what: "user",
            id: id.to_string(),
        })),
    }
}

#[server(endpoint = "user")]
pub async fn get_user(id: String) -> Result<UserDetail, AppError> {
    srv::require_role(Role::GlobalAdministrator)?;
    let state = srv::portal_state()?;
    let (_, user) = load_user(&state, &id).await?;
    let text = |key: &str| {
        user.resource
            .get(key)
            .and_then(|v| v.as_str())
            .unwrap_or_default()
            .to_string()
    };
    let email = user
        .resource
        .get("emails")
        .and_then(|e| e.as_array())
        .and_then(|list| {
            list.iter()
                .find(|e| e.get("primary").and_then(|p| p.as_bool()) == Some(true))
                .or(list.first())
        })
        .and_then(|e| e.get("value"))
        .and_then(|v| v.as_str())
        .unwrap_or_default()
        .to_string();
    Ok(UserDetail {
        id: user.id.to_string(),
        user_name: text("userName"),
        display_name: text("displayName"),
        email,
        external_id: Some(text("externalId")).filter(|s| !s.is_empty()),
        active: user.active,
        deleted_at: user.deleted_at,
        version: user.version,
        created_at: user.created_at,
        updated_at: user.updated_at,
        resource: serde_json::to_string_pretty(&user.to_scim()).unwrap_or_default(),
    })
}

/// Enables or disables a user's sign-in. `version` is the one the admin saw, so a change
/// made meanwhile by someone else is not overwritten.
#[server(endpoint = "user_set_enabled")]
pub async fn set_user_enabled(id: String, enabled: bool, version: i64) -> Result<(), AppError> {
    let session = srv::require_role(Role::GlobalAdministrator)?;
    let state = srv::portal_state()?;
    let (uid, user) = load_user(&state, &id).await?;
    let mut resource = user.resource.clone();
    resource["active"] = serde_json::Value::Bool(enabled);
    state
        .store
        .replace_user(uid, resource, Some(version))
        .await
        .map_err(directory_error)?;
    let action = if enabled {
        "user.enable"
    } else {
        "user.disable"
    };
    let target = user
        .resource
        .get("userName")
        .and_then(|v| v.as_str())
        .unwrap_or(&id)
        .to_string();
    audit(
        &state,
        &session.admin.email,
        action,
        Some(&target),
        steward_store::Outcome::Success,
        None,
    )
    .await;
    Ok(())
}

/// Moves a user to the recycle bin (`restore = false`) or back out of it.
#[server(endpoint = "user_recycle")]
pub async fn recycle_user(id: String, restore: bool) -> Result<(), AppError> {
    let session = srv::require_role(Role::GlobalAdministrator)?;
    let state = srv::portal_state()?;
    let uid = parse_user_id(&id)?;
    let user_name = state
        .store
        .user(uid)
        .await
        .map_err(srv::internal)?
        .and_then(|u| {
            u.resource
                .get("userName")
                .and_then(|v| v.as_str())
                .map(str::to_string)
        })
        .unwrap_or_else(|| id.clone());
    if restore {
        state
            .store
            .restore_user(uid)
            .await
            .map_err(directory_error)?;
    } else {
        state
            .store
            .soft_delete_user(uid)
            .await
            .map_err(directory_error)?;
    }
    let action = if restore {
        "user.restore"
    } else {
        "user.delete"
    };
    audit(
        &state,
        &session.admin.email,
        action,
        Some(&user_name),
        steward_store::Outcome::Success,
        None,
    )
    .await;
    Ok(())
}

/// The new-user form, as posted (inputs are named `form[user_name]` and so on).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct NewUserForm {
    pub user_name: String,
    #[serde(default)]
    pub display_name: String,
    #[serde(default)]
    pub given_name: String,
    #[serde(default)]
    pub family_name: String,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub external_id: String,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub department: String,
    /// Custom attributes by name (`form[custom][NAME]`).
    #[serde(default)]
    pub custom: std::collections::BTreeMap<String, String>,
}

/// Creates a user from the portal's form; on success sends the browser to their page.
#[server(endpoint = "user_create")]
pub async fn create_user(form: NewUserForm) -> Result<(), AppError> {
    let session = srv::require_role(Role::GlobalAdministrator)?;
    let state = srv::portal_state()?;
    // The checks and the writing of fields are shared with the edit form (users_edit.rs).
    let fields = form.field_errors();
    if !fields.is_empty() {
        srv::set_status(422);
        return Err(AppError::invalid(fields));
    }
    let mut resource =
        serde_json::json!({ "schemas": [steward_store::USER_SCHEMA], "active": true });
    let user_name = form.write_into(&mut resource);
    let custom_errors = apply_custom_fields(
        &state,
        steward_store::ObjectType::User,
        &form.custom,
        &mut resource,
    );
    if !custom_errors.is_empty() {
        srv::set_status(422);
        return Err(AppError::invalid(custom_errors));
    }
    let user = state
        .store
        .create_user(resource)
        .await
        .map_err(users_edit::user_conflict)?;
    audit(
        &state,
        &session.admin.email,
        "user.create",
        Some(&user_name),
        steward_store::Outcome::Success,
        None,
    )
    .await;
    leptos_axum::redirect(&format!("/users/{}", user.id));
    Ok(())
}
