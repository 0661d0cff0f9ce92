//! The inbound SCIM 2.0 endpoint at `/scim/v2` (RFC 7643, RFC 7644), for HR systems and
//! scripts that push people into Steward. Authenticated by bearer tokens that admins create;
//! answers in `application/scim+json`; every write goes through the store and its change
//! feed, exactly like a portal edit.

mod bulk;
mod error;
mod query;
mod resources;
pub mod schema;

use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use chrono::Utc;
use error::{ApiError, ApiResult, SCIM_JSON};
use query::{ListParams, Projection};
use resources::{Precondition, Rendered};
use schema::{Kind, Schemas};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use steward_app::server::schemas::DirectorySchemas;
use steward_scim::{urn, BulkRequest, ListResponse, ScimType, SearchRequest, SortOrder};
use steward_store::Store;

/// The largest request body accepted (also announced as Bulk `maxPayloadSize`).
pub const MAX_PAYLOAD: usize = 1024 * 1024;

/// How often a token's "last used" time is written (not on every request).
const TOUCH_INTERVAL: Duration = Duration::from_secs(60);

#[derive(Clone)]
pub struct ScimState {
    pub store: Arc<dyn Store>,
    /// `https://host/scim/v2`, for `meta.location` and `$ref`.
    pub base_url: String,
    pub schemas: Arc<Schemas>,
    touched: Arc<Mutex<HashMap<String, Instant>>>,
}

impl ScimState {
    pub fn new(store: Arc<dyn Store>, public_url: &str, schemas: DirectorySchemas) -> Self {
        ScimState {
            store,
            base_url: format!("{}/scim/v2", public_url.trim_end_matches('/')),
            schemas: Arc::new(Schemas::new(schemas)),
            touched: Arc::default(),
        }
    }

    fn due_for_touch(&self, token_id: &str) -> bool {
        let mut touched = self.touched.lock().unwrap_or_else(|p| p.into_inner());
        let now = Instant::now();
        match touched.get(token_id) {
            Some(at) if now.duration_since(*at) < TOUCH_INTERVAL => false,
            _ => {
                touched.insert(token_id.to_string(), now);
                true
            }
        }
    }
}

/// The `/scim/v2` routes, to be nested by the caller.
pub fn router(state: ScimState) -> Router {
    Router::new()
        .route("/ServiceProviderConfig", get(service_provider_config))
        .route("/Schemas", get(schemas))
        .route("/Schemas/{id}", get(schema_by_id))
        .route("/ResourceTypes", get(resource_types))
        .route("/ResourceTypes/{id}", get(resource_type_by_id))
        .merge(resource_routes(Kind::User))
        .merge(resource_routes(Kind::Group))
        .route("/.search", post(search_all))
        .route("/Bulk", post(bulk))
        .fallback(not_found)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            authenticate,
        ))
        .with_state(state)
}

/// Bearer-token authentication for every SCIM route.
async fn authenticate(State(state): State<ScimState>, req: Request, next: Next) -> Response {
    let presented = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(steward_app::server::auth::bearer_token)
        .map(str::to_string);
    let Some(token) = presented.filter(|t| !t.is_empty()) else {
        return unauthorized(
            "a bearer token is required (Authorization: Bearer <token>); an admin creates one \
             in the portal under Settings, or with `steward scim-token create --name NAME`",
        );
    };
    let hash = steward_app::server::auth::hash_token(&token);
    match state.store.scim_token_by_hash(&hash).await {
        Ok(Some(t)) => {
            if state.due_for_touch(&t.id) {
                if let Err(e) = state.store.touch_scim_token(&t.id, Utc::now()).await {
                    tracing::warn!(error = %e, "could not record SCIM token use");
                }
            }
            tracing::debug!(token = %t.name, "SCIM request");
            next.run(req).await
        }
        Ok(None) => unauthorized("the bearer token is not valid: it is unknown or was revoked"),
        Err(e) => ApiError::from(e).into_response(),
    }
}

fn unauthorized(detail: &str) -> Response {
    let mut response = ApiError::new(401, None, detail).into_response();
    response.headers_mut().insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Bearer realm=\"steward-scim\""),
    );
    response
}

async fn not_found(req: Request) -> ApiError {
    ApiError::new(
        404,
        None,
        format!(
            "no SCIM endpoint at {}; see /ServiceProviderConfig, /ResourceTypes and /Schemas",
            req.uri().path()
        ),
    )
}

fn scim_json(status: StatusCode, body: &impl serde::Serialize) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, HeaderValue::from_static(SCIM_JSON))],
        serde_json::to_vec(body).unwrap_or_default(),
    )
        .into_response()
}

/// A single resource with its `ETag` (and `Location`), projected as asked.
fn resource_response(
    state: &ScimState,
    status: StatusCode,
    rendered: &Rendered,
    projection: &Projection,
) -> Response {
    let body = projection.apply(&rendered.body, &*state.schemas.characteristics());
    let mut response = scim_json(status, &body);
    let headers = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&rendered.etag()) {
        headers.insert(header::ETAG, v);
    }
    if let Ok(v) = HeaderValue::from_str(&rendered.location) {
        headers.insert(header::LOCATION, v);
    }
    response
}

/// The request body as JSON, refusing what is too large, not JSON, or declared as something
/// else.
async fn json_body(headers: &HeaderMap, body: Body) -> ApiResult<Value> {
    if let Some(ct) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    {
        if !ct.to_ascii_lowercase().contains("json") {
            return Err(ApiError::new(
                415,
                None,
                format!("the body must be application/scim+json (or application/json), not {ct}"),
            ));
        }
    }
    let bytes: Bytes = axum::body::to_bytes(body, MAX_PAYLOAD).await.map_err(|_| {
        ApiError::new(
            413,
            None,
            format!("the request body is larger than {MAX_PAYLOAD} bytes; split it into smaller requests"),
        )
    })?;
    serde_json::from_slice(&bytes).map_err(|e| {
        ApiError::bad_request(
            ScimType::InvalidSyntax,
            format!("the body is not valid JSON: {e}"),
        )
    })
}

fn precondition(headers: &HeaderMap, name: header::HeaderName) -> Option<Precondition> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(Precondition::parse)
}

fn projection_from(query: &HashMap<String, String>) -> ApiResult<Projection> {
    Projection::parse(
        query.get("attributes").map(String::as_str),
        query.get("excludedAttributes").map(String::as_str),
    )
}

/// Query parameters as a SearchRequest, so GET and POST `.search` share one path.
fn search_from_query(query: &HashMap<String, String>) -> ApiResult<SearchRequest> {
    let number = |name: &str| -> ApiResult<Option<i64>> {
        query
            .get(name)
            .map(|v| {
                v.trim().parse::<i64>().map_err(|_| {
                    ApiError::bad_request(
                        ScimType::InvalidValue,
                        format!("{name} must be an integer, not {v:?}"),
                    )
                })
            })
            .transpose()
    };
    let list = |name: &str| -> Vec<String> {
        query
            .get(name)
            .map(|v| {
                v.split(',')
                    .map(|s| s.trim().to_string())
                    .filter(|s| !s.is_empty())
                    .collect()
            })
            .unwrap_or_default()
    };
    let sort_order = match query.get("sortOrder").map(|s| s.to_ascii_lowercase()) {
        None => None,
        Some(s) if s == "ascending" => Some(SortOrder::Ascending),
        Some(s) if s == "descending" => Some(SortOrder::Descending),
        Some(other) => {
            return Err(ApiError::bad_request(
                ScimType::InvalidValue,
                format!("sortOrder must be ascending or descending, not {other:?}"),
            ))
        }
    };
    Ok(SearchRequest {
        schemas: vec![urn::SEARCH_REQUEST.into()],
        attributes: list("attributes"),
        excluded_attributes: list("excludedAttributes"),
        filter: query.get("filter").cloned(),
        sort_by: query.get("sortBy").cloned(),
        sort_order,
        start_index: number("startIndex")?,
        count: number("count")?,
    })
}

async fn search_body(headers: &HeaderMap, body: Body) -> ApiResult<SearchRequest> {
    let value = json_body(headers, body).await?;
    serde_json::from_value(value).map_err(|e| {
        ApiError::bad_request(
            ScimType::InvalidSyntax,
            format!("the body is not a SearchRequest: {e}"),
        )
    })
}

async fn list_of(state: &ScimState, kind: Kind, search: SearchRequest) -> ApiResult<Response> {
    let params = ListParams::from_search(&search)?;
    let list = state.list(kind, &params).await?;
    Ok(scim_json(StatusCode::OK, &list))
}

// ---- Users and Groups ----

/// `/Users…` or `/Groups…`: the same handlers, told which resource type they serve.
fn resource_routes(kind: Kind) -> Router<ScimState> {
    let endpoint = kind.endpoint();
    Router::new()
        .route(
            endpoint,
            get(
                move |State(state): State<ScimState>, Query(q): Query<HashMap<String, String>>| async move {
                    list_of(&state, kind, search_from_query(&q)?).await
                },
            )
            .post(
                move |State(state): State<ScimState>,
                      Query(q): Query<HashMap<String, String>>,
                      headers: HeaderMap,
                      body: Body| async move {
                    let projection = projection_from(&q)?;
                    let rendered = state.create(kind, json_body(&headers, body).await?).await?;
                    ApiResult::Ok(resource_response(&state, StatusCode::CREATED, &rendered, &projection))
                },
            ),
        )
        .route(
            &format!("{endpoint}/.search"),
            post(
                move |State(state): State<ScimState>, headers: HeaderMap, body: Body| async move {
                    list_of(&state, kind, search_body(&headers, body).await?).await
                },
            ),
        )
        .route(
            &format!("{endpoint}/{{id}}"),
            get(
                move |State(state): State<ScimState>,
                      Path(id): Path<String>,
                      Query(q): Query<HashMap<String, String>>,
                      headers: HeaderMap| async move {
                    let projection = projection_from(&q)?;
                    let rendered = state.get(kind, &id, &projection).await?;
                    ApiResult::Ok(conditional_get(&state, &headers, &rendered, &projection))
                },
            )
            .put(
                move |State(state): State<ScimState>,
                      Path(id): Path<String>,
                      Query(q): Query<HashMap<String, String>>,
                      headers: HeaderMap,
                      body: Body| async move {
                    let projection = projection_from(&q)?;
                    let body = json_body(&headers, body).await?;
                    let if_match = precondition(&headers, header::IF_MATCH);
                    let rendered = state.replace(kind, &id, body, if_match.as_ref()).await?;
                    ApiResult::Ok(resource_response(&state, StatusCode::OK, &rendered, &projection))
                },
            )
            .patch(
                move |State(state): State<ScimState>,
                      Path(id): Path<String>,
                      Query(q): Query<HashMap<String, String>>,
                      headers: HeaderMap,
                      body: Body| async move {
                    let projection = projection_from(&q)?;
                    let body = json_body(&headers, body).await?;
                    let if_match = precondition(&headers, header::IF_MATCH);
                    let mut rendered = state.patch(kind, &id, body, if_match.as_ref()).await?;
                    if rendered.body.is_null() {
                        // A member-only group PATCH: no body unless the client asked for
                        // attributes.
                        if projection.attributes.is_empty() {
                            return ApiResult::Ok(no_content(&rendered));
                        }
                        rendered = state.get(kind, &id, &projection).await?;
                    }
                    ApiResult::Ok(resource_response(&state, StatusCode::OK, &rendered, &projection))
                },
            )
            .delete(
                move |State(state): State<ScimState>, Path(id): Path<String>, headers: HeaderMap| async move {
                    let if_match = precondition(&headers, header::IF_MATCH);
                    state.delete(kind, &id, if_match.as_ref()).await?;
                    ApiResult::Ok(StatusCode::NO_CONTENT)
                },
            ),
        )
}

/// `204 No Content` with the new ETag and the location.
fn no_content(rendered: &Rendered) -> Response {
    let mut response = StatusCode::NO_CONTENT.into_response();
    let headers = response.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&rendered.etag()) {
        headers.insert(header::ETAG, v);
    }
    if let Ok(v) = HeaderValue::from_str(&rendered.location) {
        headers.insert(header::LOCATION, v);
    }
    response
}

/// `If-None-Match` on a GET: 304 when the client's copy is current.
fn conditional_get(
    state: &ScimState,
    headers: &HeaderMap,
    rendered: &Rendered,
    projection: &Projection,
) -> Response {
    if precondition(headers, header::IF_NONE_MATCH).is_some_and(|p| p.matches(rendered.version)) {
        let mut response = StatusCode::NOT_MODIFIED.into_response();
        if let Ok(v) = HeaderValue::from_str(&rendered.etag()) {
            response.headers_mut().insert(header::ETAG, v);
        }
        return response;
    }
    resource_response(state, StatusCode::OK, rendered, projection)
}

// ---- across resource types, Bulk, discovery ----

/// `POST /.search`: users then groups, filtered, one page over both.
async fn search_all(
    State(state): State<ScimState>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Response> {
    let search = search_body(&headers, body).await?;
    let params = ListParams::from_search(&search)?;
    let all = ListParams::from_search(&SearchRequest {
        start_index: Some(1),
        count: Some(i64::try_from(query::MAX_RESULTS).unwrap_or(i64::MAX)),
        ..search.clone()
    })?;
    let users = state.list(Kind::User, &all).await?;
    let groups = state.list(Kind::Group, &all).await?;
    let total = users.total_results + groups.total_results;
    let page: Vec<Value> = users
        .resources
        .into_iter()
        .chain(groups.resources)
        .skip(usize::try_from(params.start_index.saturating_sub(1)).unwrap_or(usize::MAX))
        .take(usize::try_from(params.count).unwrap_or(usize::MAX))
        .collect();
    Ok(scim_json(
        StatusCode::OK,
        &ListResponse::new(page, total, params.start_index),
    ))
}

async fn bulk(
    State(state): State<ScimState>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<Response> {
    let value = json_body(&headers, body).await?;
    let request: BulkRequest = serde_json::from_value(value).map_err(|e| {
        ApiError::bad_request(
            ScimType::InvalidSyntax,
            format!("the body is not a BulkRequest: {e}"),
        )
    })?;
    let response = state.bulk(request).await?;
    Ok(scim_json(StatusCode::OK, &response))
}

async fn service_provider_config(State(state): State<ScimState>) -> Response {
    scim_json(
        StatusCode::OK,
        &json!({
            "schemas": [urn::SERVICE_PROVIDER_CONFIG],
            "documentationUri": "https://datatracker.ietf.org/doc/html/rfc7644",
            "patch": {"supported": true},
            "bulk": {"supported": true, "maxOperations": bulk::MAX_OPERATIONS, "maxPayloadSize": MAX_PAYLOAD},
            "filter": {"supported": true, "maxResults": query::MAX_RESULTS},
            "changePassword": {"supported": false},
            "sort": {"supported": true},
            "etag": {"supported": true},
            "authenticationSchemes": [{
                "type": "oauthbearertoken",
                "name": "Bearer token",
                "description": "A token an admin creates in Steward (Settings, or `steward scim-token create`), sent as Authorization: Bearer <token>",
                "specUri": "https://datatracker.ietf.org/doc/html/rfc6750",
                "primary": true
            }],
            "meta": {
                "resourceType": "ServiceProviderConfig",
                "location": format!("{}/ServiceProviderConfig", state.base_url)
            }
        }),
    )
}

fn list_all(resources: Vec<Value>) -> Response {
    let total = resources.len() as u64;
    scim_json(StatusCode::OK, &ListResponse::new(resources, total, 1))
}

async fn schemas(State(state): State<ScimState>) -> Response {
    list_all(state.schemas.schema_documents(&state.base_url))
}

async fn schema_by_id(
    State(state): State<ScimState>,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    state
        .schemas
        .schema_documents(&state.base_url)
        .into_iter()
        .find(|s| s.get("id").and_then(Value::as_str) == Some(id.as_str()))
        .map(|s| scim_json(StatusCode::OK, &s))
        .ok_or_else(|| ApiError::not_found("Schema", &id))
}

async fn resource_types(State(state): State<ScimState>) -> Response {
    list_all(state.schemas.resource_types(&state.base_url))
}

async fn resource_type_by_id(
    State(state): State<ScimState>,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    state
        .schemas
        .resource_types(&state.base_url)
        .into_iter()
        .find(|s| s.get("id").and_then(Value::as_str) == Some(id.as_str()))
        .map(|s| scim_json(StatusCode::OK, &s))
        .ok_or_else(|| ApiError::not_found("ResourceType", &id))
}
