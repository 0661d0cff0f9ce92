//! The admin REST API under `/api/v1`: everything the portal does with enterprise
//! applications, and the email notification settings, for automation. Callers authenticate with an admin API token
//! (`Authorization: Bearer stw_…`); each handler only turns JSON into a call of the
//! applications service (`steward_app::server::applications`), which the portal's server
//! functions call too, so both authorise, validate and audit the same way.
//!
//! Errors are `{"error": {"code", "message", "fields"?, "operation_id"?}}` with the status of
//! the code (401, 403, 404, 409, 422, 500). Writes carry the `version` the caller last read,
//! and a stale one is refused with 409 rather than overwriting someone's change.

mod openapi;

use std::collections::BTreeMap;

use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, FromRequestParts, Path, Query, Request, State};
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use steward_app::api::ProvisioningSettings;
use steward_app::error::{AppError, ErrorCode};
use steward_app::server::applications::{self as service, GeneralChange};
use steward_app::server::notifications as email;
use steward_app::server::provisioning as jobs;
use steward_app::server::{middleware, Actor, ClientIp, OperationId, PortalState};
use steward_gallery::{AppMappings, ObjectType};

pub use openapi::document;

/// The `/api/v1` routes (to be nested at `/api/v1`).
pub fn router(state: PortalState) -> Router {
    Router::new()
        .route("/openapi.json", get(openapi_json))
        .route("/gallery", get(gallery))
        .route("/applications", get(list).post(create))
        .route("/applications/{id}", get(read).patch(update).delete(remove))
        .route(
            "/applications/{id}/credentials",
            axum::routing::put(credentials),
        )
        .route("/applications/{id}/test-connection", post(test_connection))
        .route("/applications/{id}/settings", axum::routing::put(settings))
        .route(
            "/applications/{id}/mappings",
            get(mappings).put(save_mappings),
        )
        .route("/applications/{id}/scope-preview", post(scope_preview))
        .route("/applications/{id}/read-schema", post(read_schema))
        .route("/applications/{id}/provisioning-log", get(provisioning_log))
        .route("/provisioning-log", get(search_provisioning_log))
        .route("/applications/{id}/job", get(job_status))
        .route("/applications/{id}/job/cycles", get(job_cycles))
        .route("/applications/{id}/job/staged", get(job_staged))
        .route("/applications/{id}/job/{action}", post(job_command))
        .route(
            "/applications/{id}/provision-on-demand",
            post(provision_on_demand),
        )
        .route(
            "/applications/{id}/assignments",
            get(assignments).post(assign),
        )
        .route(
            "/applications/{id}/assignments/{principal}",
            delete(unassign),
        )
        .route("/settings/email", get(email_settings))
        .route("/settings/email/smtp", axum::routing::put(save_smtp))
        .route("/settings/email/test", post(test_email))
        .fallback(not_found)
        .layer(axum::middleware::from_fn(middleware::operation_context))
        .with_state(state)
}

/// An error as the API answers it.
pub struct ApiError(AppError);

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        ApiError(e)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status =
            StatusCode::from_u16(self.0.code.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut response = (status, Json(serde_json::json!({ "error": self.0 }))).into_response();
        if status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                axum::http::header::WWW_AUTHENTICATE,
                axum::http::HeaderValue::from_static("Bearer realm=\"steward-api\""),
            );
        }
        response
    }
}

type ApiResult<T> = Result<T, ApiError>;

async fn not_found() -> ApiError {
    ApiError(AppError::new(
        ErrorCode::NotFound,
        "There is no such API endpoint; /api/v1/openapi.json lists them.",
    ))
}

/// The caller, authenticated by its API token.
pub struct ApiActor(Actor);

impl FromRequestParts<PortalState> for ApiActor {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &PortalState,
    ) -> Result<Self, Self::Rejection> {
        let header = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok());
        let principal =
            steward_app::server::api_tokens::authenticate_api_token(state.store.as_ref(), header)
                .await?;
        Ok(ApiActor(Actor {
            name: format!("api-token:{}", principal.name),
            roles: vec![principal.role],
            ip: parts.extensions.get::<ClientIp>().map(|ip| ip.0.clone()),
            operation_id: parts.extensions.get::<OperationId>().map(|id| id.0.clone()),
        }))
    }
}

/// A JSON body whose rejection is answered in the API's error shape, naming what is wrong.
pub struct Body<T>(T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Body<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match Json::<T>::from_request(req, state).await {
            Ok(Json(value)) => Ok(Body(value)),
            Err(rejection) => {
                let message = match &rejection {
                    JsonRejection::MissingJsonContentType(_) => {
                        "Send the body as JSON with Content-Type: application/json.".to_string()
                    }
                    other => format!("The JSON body does not read: {}", other.body_text()),
                };
                Err(ApiError(AppError::new(ErrorCode::Invalid, message)))
            }
        }
    }
}

async fn openapi_json() -> Json<serde_json::Value> {
    Json(document())
}

#[derive(Deserialize)]
struct Search {
    #[serde(default)]
    search: String,
}

async fn gallery(
    State(state): State<PortalState>,
    ApiActor(actor): ApiActor,
    Query(q): Query<Search>,
) -> ApiResult<impl IntoResponse> {
    Ok(Json(service::gallery(&state, &actor, &q.search)?))
}

async fn list(
    State(state): State<PortalState>,
    ApiActor(actor): ApiActor,
) -> ApiResult<impl IntoResponse> {
    Ok(Json(service::list(&state, &actor).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewApplication {
    gallery_id: String,
    name: String,
}

async fn create(
    State(state): State<PortalState>,
    ApiActor(actor): ApiActor,
    Body(body): Body<NewApplication>,
) -> ApiResult<impl IntoResponse> {
    let app = service::create(&state, &actor, &body.gallery_id, &body.name).await?;
    let location = format!("/api/v1/applications/{}", app.id);
    Ok((
        StatusCode::CREATED,
        [(axum::http::header::LOCATION, location)],
        Json(app),
    ))
}

async fn read(
    State(state): State<PortalState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
) -> ApiResult<impl IntoResponse> {
    Ok(Json(service::get(&state, &actor, &id).await?))
}

/// A write with the version it was made against: `{"version": N, ...the body}`. The body
/// refuses unknown fields itself, so a misspelt field is an error, not silently ignored.
struct Versioned<T> {
    version: i64,
    body: T,
}

impl<'de, T: DeserializeOwned> Deserialize<'de> for Versioned<T> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        let mut map = serde_json::Map::deserialize(d)?;
        let version = map
            .remove("version")
            .ok_or_else(|| D::Error::missing_field("version"))?
            .as_i64()
            .ok_or_else(|| {
                D::Error::custom("`version` must be the application's version, a whole number")
            })?;
        let body =
            serde_json::from_value(serde_json::Value::Object(map)).map_err(D::Error::custom)?;
        Ok(Versioned { version, body })
    }
}

async fn update(
    State(state): State<PortalState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
    Body(body): Body<Versioned<GeneralChange>>,
) -> ApiResult<impl IntoResponse> {
    Ok(Json(
        service::update(&state, &actor, &id, body.version, body.body).await?,
    ))
}

async fn remove(
    State(state): State<PortalState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    service::delete(&state, &actor, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CredentialValues {
    #[serde(default)]
    values: BTreeMap<String, String>,
}

async fn credentials(
    State(state): State<PortalState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
    Body(body): Body<Versioned<CredentialValues>>,
) -> ApiResult<StatusCode> {
    service::save_credentials(&state, &actor, &id, body.version, &body.body.values).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn test_connection(
    State(state): State<PortalState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> ApiResult<impl IntoResponse> {
    // The body is optional: without one, the saved credentials are tested.
    let values = if body.iter().all(u8::is_ascii_whitespace) {
        BTreeMap::new()
    } else {
        serde_json::from_slice::<CredentialValues>(&body)
            .map_err(|e| {
                ApiError(AppError::new(
                    ErrorCode::Invalid,
                    format!("The JSON body does not read: {e}"),
                ))
            })?
            .values
    };
    Ok(Json(
        service::test_connection(&state, &actor, &id, &values).await?,
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SettingsBody {
    settings: ProvisioningSettings,
}

async fn settings(
    State(state): State<PortalState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
    Body(body): Body<Versioned<SettingsBody>>,
) -> ApiResult<impl IntoResponse> {
    Ok(Json(
        service::save_settings(&state, &actor, &id, body.version, body.body.settings).await?,
    ))
}

/// The mapping view with the mappings as JSON rather than text.
fn mappings_json(view: steward_app::api::MappingsView) -> serde_json::Value {
    let mappings: serde_json::Value =
        serde_json::from_str(&view.mappings_json).unwrap_or(serde_json::Value::Null);
    serde_json::json!({
        "version": view.version,
        "is_default": view.is_default,
        "full_sync_required": view.full_sync_required,
        "mappings": mappings,
        "targets": {"users": view.user_targets, "groups": view.group_targets},
    })
}

async fn mappings(
    State(state): State<PortalState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
) -> ApiResult<impl IntoResponse> {
    Ok(Json(mappings_json(
        service::mappings(&state, &actor, &id).await?,
    )))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MappingsBody {
    /// `null` restores the gallery defaults.
    mappings: Option<AppMappings>,
}

async fn save_mappings(
    State(state): State<PortalState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
    Body(body): Body<Versioned<MappingsBody>>,
) -> ApiResult<impl IntoResponse> {
    let view =
        service::save_mappings(&state, &actor, &id, body.version, body.body.mappings).await?;
    Ok(Json(mappings_json(view)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ScopeBody {
    object: ObjectType,
    scope: steward_expr::Scope,
}

async fn scope_preview(
    State(state): State<PortalState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
    Body(body): Body<ScopeBody>,
) -> ApiResult<impl IntoResponse> {
    Ok(Json(
        service::scope_preview(&state, &actor, &id, body.object, &body.scope).await?,
    ))
}

async fn read_schema(
    State(state): State<PortalState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
) -> ApiResult<impl IntoResponse> {
    Ok(Json(
        service::read_target_schema(&state, &actor, &id).await?,
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OnDemand {
    /// The user's id, userName, e-mail address or display name.
    #[serde(default)]
    user: Option<String>,
    /// Or a group's id or display name: the group is provisioned with its members.
    #[serde(default)]
    group: Option<String>,
    /// Compute and record what would be sent, send nothing.
    #[serde(default)]
    dry_run: bool,
}

async fn provision_on_demand(
    State(state): State<PortalState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
    Body(body): Body<OnDemand>,
) -> ApiResult<impl IntoResponse> {
    match (body.user, body.group) {
        (Some(user), None) => Ok(Json(
            serde_json::to_value(
                service::provision_on_demand(&state, &actor, &id, &user, body.dry_run).await?,
            )
            .unwrap_or_default(),
        )),
        (None, Some(group)) => {
            let (group, members) =
                service::provision_group_on_demand(&state, &actor, &id, &group, body.dry_run)
                    .await?;
            Ok(Json(
                serde_json::json!({ "group": group, "members": members }),
            ))
        }
        _ => Err(AppError::invalid(vec![steward_app::error::FieldError::new(
            "user",
            "Name either a user or a group to provision.",
        )])
        .into()),
    }
}

#[derive(Deserialize)]
struct LogQuery {
    /// One directory object's id.
    source: Option<String>,
    before: Option<i64>,
    limit: Option<u32>,
}

async fn provisioning_log(
    State(state): State<PortalState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
    Query(q): Query<LogQuery>,
) -> ApiResult<impl IntoResponse> {
    Ok(Json(
        service::provisioning_log(
            &state,
            &actor,
            &id,
            q.source.as_deref(),
            q.before,
            q.limit.unwrap_or(100),
        )
        .await?,
    ))
}

#[derive(Deserialize)]
struct LogSearch {
    #[serde(flatten)]
    filter: steward_app::api::LogFilter,
    limit: Option<u32>,
}

/// Every application's provisioning log, filtered as the portal's Logs page filters it.
async fn search_provisioning_log(
    State(state): State<PortalState>,
    ApiActor(actor): ApiActor,
    Query(q): Query<LogSearch>,
) -> ApiResult<impl IntoResponse> {
    Ok(Json(
        steward_app::server::logs::search(&state, &actor, &q.filter, q.limit.unwrap_or(100))
            .await?,
    ))
}

async fn job_status(
    State(state): State<PortalState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
) -> ApiResult<impl IntoResponse> {
    Ok(Json(jobs::job_status(&state, &actor, &id).await?))
}

async fn job_command(
    State(state): State<PortalState>,
    ApiActor(actor): ApiActor,
    Path((id, action)): Path<(String, String)>,
) -> ApiResult<impl IntoResponse> {
    let Some(action) = jobs::JobAction::parse(&action) else {
        return Err(AppError::new(
            ErrorCode::NotFound,
            format!("There is no job command {action:?}; the commands are start, pause, run, restart, restart-full, allow-deletes and dry-run."),
        )
        .into());
    };
    Ok(Json(jobs::job_command(&state, &actor, &id, action).await?))
}

#[derive(Deserialize)]
struct LimitQuery {
    limit: Option<u32>,
}

async fn job_cycles(
    State(state): State<PortalState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
    Query(q): Query<LimitQuery>,
) -> ApiResult<impl IntoResponse> {
    Ok(Json(
        jobs::cycles(&state, &actor, &id, q.limit.unwrap_or(20)).await?,
    ))
}

async fn job_staged(
    State(state): State<PortalState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
    Query(q): Query<LimitQuery>,
) -> ApiResult<impl IntoResponse> {
    Ok(Json(
        jobs::staged(&state, &actor, &id, q.limit.unwrap_or(500)).await?,
    ))
}

async fn assignments(
    State(state): State<PortalState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
    Query(q): Query<Search>,
) -> ApiResult<impl IntoResponse> {
    Ok(Json(
        service::assignments(&state, &actor, &id, &q.search).await?,
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewAssignment {
    principal_id: String,
    /// "User" or "Group".
    kind: String,
    #[serde(default)]
    role: String,
}

async fn assign(
    State(state): State<PortalState>,
    ApiActor(actor): ApiActor,
    Path(id): Path<String>,
    Body(body): Body<NewAssignment>,
) -> ApiResult<StatusCode> {
    service::assign(
        &state,
        &actor,
        &id,
        &body.principal_id,
        &body.kind,
        &body.role,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn unassign(
    State(state): State<PortalState>,
    ApiActor(actor): ApiActor,
    Path((id, principal)): Path<(String, String)>,
) -> ApiResult<StatusCode> {
    service::unassign(&state, &actor, &id, &principal).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn email_settings(
    State(state): State<PortalState>,
    ApiActor(actor): ApiActor,
) -> ApiResult<impl IntoResponse> {
    Ok(Json(email::email_settings(&state, &actor).await?))
}

/// The SMTP settings as JSON: the port a number, the sign-in optional.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SmtpBody {
    host: String,
    #[serde(default)]
    port: Option<u16>,
    #[serde(default)]
    security: Option<String>,
    #[serde(default)]
    username: Option<String>,
    /// Left out or empty: the stored one.
    #[serde(default)]
    password: Option<String>,
    from: String,
}

impl From<SmtpBody> for steward_app::api::SmtpForm {
    fn from(b: SmtpBody) -> Self {
        steward_app::api::SmtpForm {
            host: b.host,
            port: b.port.map(|p| p.to_string()).unwrap_or_default(),
            security: b.security.unwrap_or_else(|| "starttls".into()),
            username: b.username.unwrap_or_default(),
            password: b.password.unwrap_or_default(),
            from: b.from,
        }
    }
}

async fn save_smtp(
    State(state): State<PortalState>,
    ApiActor(actor): ApiActor,
    Body(body): Body<SmtpBody>,
) -> ApiResult<impl IntoResponse> {
    Ok(Json(email::save_smtp(&state, &actor, body.into()).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TestEmailBody {
    to: String,
    smtp: SmtpBody,
}

async fn test_email(
    State(state): State<PortalState>,
    ApiActor(actor): ApiActor,
    Body(body): Body<TestEmailBody>,
) -> ApiResult<impl IntoResponse> {
    Ok(Json(
        email::send_test_email(&state, &actor, body.smtp.into(), &body.to).await?,
    ))
}
