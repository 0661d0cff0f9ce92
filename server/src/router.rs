//! The HTTP surface: health probes, the favicon, the Leptos pages and server functions,
//! static files, and the middleware stack around them.

use crate::{api_v1, scim};
use axum::extract::DefaultBodyLimit;
use axum::extract::State;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::Router;
use leptos_axum::{generate_route_list, LeptosRoutes};
use steward_app::server::{embed, import, live, logs, middleware, PortalState};
use steward_app::{shell, App};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::set_header::SetResponseHeaderLayer;

const FAVICON: &str = include_str!("favicon.svg");

pub fn build(state: PortalState) -> Router {
    let routes = generate_route_list(App);
    // SCIM clients authenticate with bearer tokens, not sessions, and send no Origin: the
    // portal's guards do not apply to them.
    let scim = Router::new()
        .nest(
            "/scim/v2",
            scim::router(scim::ScimState::new(
                state.store.clone(),
                &state.info.public_url,
                state.schemas.clone(),
            )),
        )
        .layer(CatchPanicLayer::custom(middleware::panic_response))
        .layer(axum::middleware::from_fn(middleware::operation_context));
    // The admin REST API authenticates API tokens itself; like SCIM, no session or Origin.
    let api = Router::new()
        .nest("/api/v1", api_v1::router(state.clone()))
        .layer(CatchPanicLayer::custom(middleware::panic_response));
    let portal = Router::new()
        .route(
            "/api/import",
            post(import::upload).layer(DefaultBodyLimit::max(import::MAX_UPLOAD)),
        )
        .route("/api/export/users.csv", get(import::export_users))
        .route("/api/live", get(live::portal_stream))
        .route("/embed/{token}/live", get(embed::live_stream))
        .route("/api/provisioning-logs/{format}", get(logs::export))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/favicon.ico", get(favicon))
        .route("/favicon.svg", get(favicon))
        .leptos_routes_with_context(&state, routes, || (), {
            let options = state.leptos_options.clone();
            move || shell(options.clone())
        })
        .fallback(leptos_axum::file_and_error_handler::<PortalState, _>(shell))
        // Layers run outside-in from the last one added.
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            middleware::session_guard,
        ))
        // Before the session guard: /embed/{token} opens to a live token only, framed by
        // the token's origins.
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            embed::frame_guard,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            middleware::same_origin_guard,
        ))
        .layer(CatchPanicLayer::custom(middleware::panic_response))
        .layer(axum::middleware::from_fn(middleware::operation_context))
        .with_state(state);
    portal
        .merge(scim)
        .merge(api)
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        ))
        // The portal is never framed; `embed::frame_guard` sets the embedded dashboard's own
        // policy, which this layer then leaves alone.
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("frame-ancestors 'none'"),
        ))
}

/// The process is up.
async fn healthz() -> &'static str {
    "ok"
}

/// The process can serve: its database answers.
async fn readyz(State(state): State<PortalState>) -> impl IntoResponse {
    match state.store.ping().await {
        Ok(()) => (
            StatusCode::OK,
            axum::Json(
                serde_json::json!({ "status": "ready", "database": state.store.backend_name() }),
            ),
        ),
        Err(e) => {
            tracing::warn!(error = %e, "readiness check failed");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                axum::Json(
                    serde_json::json!({ "status": "unavailable", "reason": "the database does not answer" }),
                ),
            )
        }
    }
}

async fn favicon() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "image/svg+xml"),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        FAVICON,
    )
}
