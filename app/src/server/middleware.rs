//! Request middleware, outermost first: the operation id (logging span, response header,
//! panic page), the same-origin guard against cross-site request forgery, and the session
//! guard that makes every route except sign-in and setup require a signed-in admin.

use super::{auth, PortalState};
use crate::error::{AppError, ErrorCode};
use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use std::net::SocketAddr;
use std::time::Instant;
use steward_store::{Admin, SessionInfo};
use tracing::Instrument;

/// Identifies one request in logs and error messages.
#[derive(Clone, Debug)]
pub struct OperationId(pub String);

/// The peer address of the request.
#[derive(Clone, Debug)]
pub struct ClientIp(pub String);

/// The signed-in admin, put in the request's extensions by [`session_guard`].
#[derive(Clone, Debug)]
pub struct CurrentSession {
    pub admin: Admin,
    pub token_hash: String,
    pub info: SessionInfo,
}

tokio::task_local! {
    /// The operation id of the request this task serves, for the panic handler.
    static OPERATION: String;
}

fn new_operation_id() -> String {
    let mut bytes = [0u8; 8];
    getrandom::getrandom(&mut bytes)
        .expect("the operating system's random number generator failed");
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub async fn operation_context(mut req: Request, next: Next) -> Response {
    let id = new_operation_id();
    let ip = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip().to_string())
        .unwrap_or_else(|| "unknown".into());
    req.extensions_mut().insert(OperationId(id.clone()));
    req.extensions_mut().insert(ClientIp(ip));
    let span = tracing::info_span!("request", operation_id = %id, method = %req.method(), path = %loggable_path(req.uri().path()));
    let started = Instant::now();
    let mut response = OPERATION
        .scope(id.clone(), next.run(req).instrument(span.clone()))
        .await;
    let status = response.status();
    span.in_scope(|| {
        let elapsed_ms = started.elapsed().as_secs_f64() * 1000.0;
        if status.is_server_error() {
            tracing::warn!(status = status.as_u16(), elapsed_ms, "request failed");
        } else {
            tracing::debug!(status = status.as_u16(), elapsed_ms, "request served");
        }
    });
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert("x-operation-id", value);
    }
    response
}

/// The path as the request log shows it: an embed token in the path (`/embed/{token}`) is cut
/// to the prefix the portal lists it by, so the log never holds a working dashboard link.
pub fn loggable_path(path: &str) -> std::borrow::Cow<'_, str> {
    const SHOWN: usize = super::auth::EMBED_TOKEN_PREFIX.len() + 6;
    let Some(rest) = path.strip_prefix("/embed/") else {
        return path.into();
    };
    let (token, tail) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    if token.len() <= SHOWN || !token.is_char_boundary(SHOWN) {
        return format!("/embed/…{tail}").into();
    }
    format!("/embed/{}…{tail}", &token[..SHOWN]).into()
}

/// Answers a panic in a handler with the error page instead of a dropped connection.
pub fn panic_response(payload: Box<dyn std::any::Any + Send + 'static>) -> Response {
    let message = payload
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| payload.downcast_ref::<&str>().copied())
        .unwrap_or("unknown panic");
    let op = OPERATION
        .try_with(Clone::clone)
        .unwrap_or_else(|_| "-".into());
    tracing::error!(operation_id = %op, panic = message, "handler panicked");
    let err = AppError::new(ErrorCode::Internal, "Something went wrong inside Steward.")
        .with_operation_id(op);
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        error_page_html(&err),
    )
        .into_response()
}

/// A self-contained error page for failures that happen outside the Leptos app.
pub fn error_page_html(err: &AppError) -> String {
    let esc = |s: &str| {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
    };
    format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Error {code} · Steward</title>\
         <link rel=\"stylesheet\" href=\"/pkg/steward.css\"></head><body class=\"standalone\">\
         <main class=\"error-card\"><h1>Something went wrong</h1><p>{msg}</p>\
         <dl><dt>Error code</dt><dd><code>{code}</code></dd><dt>Operation id</dt><dd><code>{op}</code></dd></dl>\
         <p><a href=\"/\">Back to the portal</a></p></main></body></html>",
        code = err.code,
        msg = esc(&err.message),
        op = esc(err.operation_id.as_deref().unwrap_or("-")),
    )
}

fn json_error(err: AppError) -> Response {
    let status =
        StatusCode::from_u16(err.code.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let body = serde_json::to_string(&err).unwrap_or_default();
    (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
}

/// Refuses state-changing requests that a browser marks as coming from another site.
///
/// Browsers send `Origin` on every cross-origin POST and `Sec-Fetch-Site` on every request;
/// a forged form post from another site carries one or both and is refused here, whatever
/// its cookies. Requests without either (scripts, curl) carry no victim's cookies.
pub async fn same_origin_guard(
    State(state): State<PortalState>,
    req: Request,
    next: Next,
) -> Response {
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS)
        || is_same_origin(req.headers(), &state.info.public_url)
    {
        return next.run(req).await;
    }
    let op = req
        .extensions()
        .get::<OperationId>()
        .map(|o| o.0.clone())
        .unwrap_or_default();
    tracing::warn!(
        origin = ?req.headers().get(header::ORIGIN),
        sec_fetch_site = ?req.headers().get("sec-fetch-site"),
        "refused a cross-site request"
    );
    json_error(
        AppError::new(
            ErrorCode::CrossSiteRequest,
            "This request came from another site and was refused to protect your session. Reload the portal and try again.",
        )
        .with_operation_id(op),
    )
}

fn is_same_origin(headers: &HeaderMap, public_url: &str) -> bool {
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        if site != "same-origin" && site != "none" {
            return false;
        }
    }
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return true;
    };
    if origin.eq_ignore_ascii_case(public_url) {
        return true;
    }
    let origin_host = origin.split_once("://").map(|(_, rest)| rest).unwrap_or("");
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    !host.is_empty() && origin_host.eq_ignore_ascii_case(host)
}

/// Paths reachable without a session. The embedded dashboard (`/embed/{token}` and its
/// stream) and its one server function take an embed token instead: `embed::frame_guard` has
/// refused unknown tokens before this guard runs, and `embed_view` checks its token itself.
fn is_public(path: &str) -> bool {
    matches!(
        path,
        "/sign-in"
            | "/setup"
            | "/healthz"
            | "/readyz"
            | "/favicon.ico"
            | "/favicon.svg"
            | "/api/sign_in"
            | "/api/setup"
            | "/api/setup_status"
            | "/api/embed_view"
    ) || path.starts_with("/pkg/")
        || path.starts_with("/embed/")
}

pub async fn session_guard(
    State(state): State<PortalState>,
    mut req: Request,
    next: Next,
) -> Response {
    let path = req.uri().path().to_string();
    let token = req
        .headers()
        .get(header::COOKIE)
        .and_then(|v| v.to_str().ok())
        .and_then(|c| auth::token_from_cookies(c, state.info.secure_cookies))
        .map(auth::hash_token);
    let now = Utc::now();
    let session = match &token {
        Some(hash) => match state.store.session_admin(hash, now).await {
            Ok(found) => found.map(|(admin, info)| CurrentSession {
                admin,
                token_hash: hash.clone(),
                info,
            }),
            Err(e) => {
                let op = req
                    .extensions()
                    .get::<OperationId>()
                    .map(|o| o.0.clone())
                    .unwrap_or_default();
                tracing::error!(operation_id = %op, error = %e, "session lookup failed");
                let err = AppError::new(
                    ErrorCode::Internal,
                    "Steward cannot read its database right now.",
                )
                .with_operation_id(op);
                return if path.starts_with("/api/") {
                    json_error(err)
                } else {
                    (
                        StatusCode::SERVICE_UNAVAILABLE,
                        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
                        error_page_html(&err),
                    )
                        .into_response()
                };
            }
        },
        None => None,
    };
    match session {
        Some(session) => {
            if path == "/sign-in" {
                return redirect("/");
            }
            if now - session.info.last_seen_at > chrono::Duration::minutes(1) {
                let expires = auth::session_expiry(session.info.created_at, now);
                if let Err(e) = state
                    .store
                    .extend_session(&session.token_hash, now, expires)
                    .await
                {
                    tracing::warn!(error = %e, "could not extend the session");
                }
            }
            req.extensions_mut().insert(session);
            next.run(req).await
        }
        None if is_public(&path) => next.run(req).await,
        None if path.starts_with("/api/") || req.method() != Method::GET => {
            json_error(AppError::new(
                ErrorCode::SignInRequired,
                "Your session has ended. Sign in again to continue.",
            ))
        }
        None => {
            let target = req
                .uri()
                .path_and_query()
                .map(|pq| pq.as_str())
                .unwrap_or("/");
            let location = if target == "/" {
                "/sign-in".to_string()
            } else {
                format!("/sign-in?next={}", crate::url::percent_encode(target, b"/"))
            };
            redirect(&location)
        }
    }
}

fn redirect(location: &str) -> Response {
    Response::builder()
        .status(StatusCode::SEE_OTHER)
        .header(header::LOCATION, location)
        .body(Body::empty())
        .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
}

/// A `next` parameter is honoured only when it is a path on this site, never another host.
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.starts_with("/\\") => {
            n.to_string()
        }
        _ => "/".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn same_origin_rules() {
        let public = "https://steward.example.com";
        let cases: &[(&[(&'static str, &'static str)], bool)] = &[
            (&[], true),
            (&[("sec-fetch-site", "same-origin")], true),
            (&[("sec-fetch-site", "cross-site")], false),
            (&[("sec-fetch-site", "same-site")], false),
            (&[("origin", "https://steward.example.com")], true),
            (
                &[
                    ("origin", "http://127.0.0.1:3000"),
                    ("host", "127.0.0.1:3000"),
                ],
                true,
            ),
            (
                &[
                    ("origin", "https://evil.example"),
                    ("host", "127.0.0.1:3000"),
                ],
                false,
            ),
            (&[("origin", "null"), ("host", "127.0.0.1:3000")], false),
        ];
        for (pairs, want) in cases {
            assert_eq!(is_same_origin(&headers(pairs), public), *want, "{pairs:?}");
        }
    }

    #[test]
    fn next_must_stay_on_this_site() {
        assert_eq!(safe_next(Some("/users?page=2")), "/users?page=2");
        assert_eq!(safe_next(Some("//evil.example")), "/");
        assert_eq!(safe_next(Some("https://evil.example")), "/");
        assert_eq!(safe_next(Some("/\\evil.example")), "/");
        assert_eq!(safe_next(None), "/");
    }

    #[test]
    fn only_sign_in_setup_and_assets_are_public() {
        for p in [
            "/sign-in",
            "/setup",
            "/healthz",
            "/readyz",
            "/pkg/steward.wasm",
            "/api/sign_in",
            "/api/setup_status",
            "/embed/stw_embed_abc",
            "/embed/stw_embed_abc/live",
            "/api/embed_view",
        ] {
            assert!(is_public(p), "{p}");
        }
        for p in [
            "/",
            "/users",
            "/api/current_admin",
            "/api/sign_out",
            "/settings",
            "/sign-in/x",
            "/api/embed_tokens",
            "/api/embed_token_create",
            "/api/embed_token_revoke",
            "/api/live",
            "/settings/embed",
            "/embedded",
        ] {
            assert!(!is_public(p), "{p}");
        }
    }

    #[test]
    fn the_log_never_holds_an_embed_token() {
        let token = "stw_embed_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_abcdefg";
        assert_eq!(
            loggable_path(&format!("/embed/{token}")),
            "/embed/stw_embed_AbCdEf…"
        );
        assert_eq!(
            loggable_path(&format!("/embed/{token}/live")),
            "/embed/stw_embed_AbCdEf…/live"
        );
        assert_eq!(loggable_path("/embed/short"), "/embed/…");
        assert_eq!(loggable_path("/users/42"), "/users/42");
    }

    #[test]
    fn error_page_escapes_and_shows_code_and_operation() {
        let html =
            error_page_html(&AppError::new(ErrorCode::Internal, "<b>").with_operation_id("abc123"));
        assert!(html.contains("SYS-0001") && html.contains("abc123") && html.contains("&lt;b&gt;"));
    }
}
