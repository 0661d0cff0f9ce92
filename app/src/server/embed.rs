//! The embeddable read-only dashboard: embed tokens (created, listed and revoked by admins,
//! audited), the frame guard that opens `/embed/{token}` to the token's origins and no one
//! else, the dashboard's data, and its live stream.
//!
//! The token travels in the URL path because an `<iframe src>` can carry nothing else: no
//! header, and no cookie (browsers withhold SameSite cookies from third-party frames, and the
//! viewer is not an admin anyway). So the token is a read-only credential as secret as the page
//! that embeds it: it opens only `/embed/{token}`, `/embed/{token}/live` and the
//! `embed_view` server function, and only for its own application. The request log names it
//! by its prefix only (`middleware::loggable_path`).
//!
//! Framing is allowed per token: [`frame_guard`] looks the token up (one indexed read) and
//! sets `Content-Security-Policy: frame-ancestors <its origins>` on the page and its stream;
//! an unknown or revoked token gets a plain 404 with `frame-ancestors 'none'`, like every
//! other response of the portal (the router's default).

use std::collections::HashMap;
use std::time::Duration;

use axum::extract::{Query, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Extension;
use chrono::Utc;
use serde::Deserialize;
use steward_store::{EmbedToken, LogQuery, NewEmbedToken, NewToken, Role, StoreError, TokenRef};

use super::auth::{self, EMBED_TOKEN_PREFIX};
use super::live::{self, Watch};
use super::{internal, logs, provisioning, set_status, Actor, AuditEntry, PortalState};
use crate::api::{
    ApplicationChoice, EmbedDashboard, EmbedTokenList, EmbedTokenView, NewEmbed, EMBED_FAILURES,
    EMBED_INVALID_MESSAGE,
};
use crate::error::{AppError, ErrorCode, FieldError};

const ROLE: Role = Role::GlobalAdministrator;

/// The most origins one token lists.
pub const MAX_ORIGINS: usize = 20;

/// How often an open live stream checks that its token was not revoked.
const RECHECK: Duration = Duration::from_secs(10);

/// The policy of every response that is not a live embed token's.
const FRAME_NONE: &str = "frame-ancestors 'none'";

/// A token the frame guard found for this request, for the handler behind it.
#[derive(Clone, Debug)]
pub struct EmbedGrant {
    pub token_hash: String,
    pub token: EmbedToken,
}

// ---- Origins -------------------------------------------------------------------------------

/// One allowed origin, normalised (`https://intranet.example.com:8443`): http or https, a
/// host name or IP address, an optional port; no path, query, user or wildcard. A single
/// trailing `/` is forgiven, as browsers show origins with one.
pub fn check_origin(text: &str) -> Result<String, String> {
    let text = text.trim();
    let shape = "write it as https://host or https://host:port, without a path";
    let (scheme, rest) = text
        .split_once("://")
        .ok_or_else(|| format!("{text:?} is not an origin: {shape}."))?;
    let scheme = scheme.to_ascii_lowercase();
    if scheme != "https" && scheme != "http" {
        return Err(format!("{text:?} is not an http or https origin: {shape}."));
    }
    let rest = rest.strip_suffix('/').unwrap_or(rest);
    if rest.contains(['/', '?', '#']) {
        return Err(format!(
            "{text:?} has a path: an origin is only the scheme, host and port ({shape})."
        ));
    }
    if rest.contains('@') {
        return Err(format!("{text:?} has a user name: {shape}."));
    }
    if rest.contains('*') {
        return Err(format!(
            "{text:?} has a wildcard: list each site's origin on its own line."
        ));
    }
    let (host, port) = if let Some(v6) = rest.strip_prefix('[') {
        let (addr, after) = v6
            .split_once(']')
            .ok_or_else(|| format!("{text:?} is not an origin: {shape}."))?;
        if addr.is_empty()
            || !addr
                .chars()
                .all(|c| c.is_ascii_hexdigit() || c == ':' || c == '.')
        {
            return Err(format!("{text:?} has an IPv6 address that does not read."));
        }
        let port = match after {
            "" => None,
            p => Some(
                p.strip_prefix(':')
                    .ok_or_else(|| format!("{text:?} is not an origin: {shape}."))?,
            ),
        };
        (format!("[{}]", addr.to_ascii_lowercase()), port)
    } else {
        let (host, port) = match rest.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (rest, None),
        };
        let host = host.to_ascii_lowercase();
        let label_ok = |l: &str| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        };
        if host.is_empty() || host.len() > 253 || !host.split('.').all(label_ok) {
            return Err(format!(
                "{text:?} does not have a valid host name (letters, digits, hyphens and dots; \
                 write international names in their xn-- form)."
            ));
        }
        (host, port)
    };
    let port = match port {
        None => String::new(),
        Some(p) => match p.parse::<u16>() {
            Ok(n) if n > 0 && p.chars().all(|c| c.is_ascii_digit()) => format!(":{n}"),
            _ => {
                return Err(format!(
                    "{text:?} has a port that is not a number from 1 to 65535."
                ))
            }
        },
    };
    Ok(format!("{scheme}://{host}{port}"))
}

/// The origins of the form's text area, one a line (blank lines ignored, duplicates once),
/// or what is wrong with them, line by line.
pub fn parse_origins(text: &str) -> Result<Vec<String>, String> {
    let mut origins = Vec::new();
    let mut problems = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        match check_origin(line) {
            Ok(o) if !origins.contains(&o) => origins.push(o),
            Ok(_) => {}
            Err(e) => problems.push(format!("Line {}: {e}", n + 1)),
        }
    }
    if !problems.is_empty() {
        return Err(problems.join(" "));
    }
    if origins.is_empty() {
        return Err(
            "List at least one origin allowed to show the dashboard, e.g. \
                    https://intranet.example.com."
                .into(),
        );
    }
    if origins.len() > MAX_ORIGINS {
        return Err(format!(
            "A token lists at most {MAX_ORIGINS} origins; this has {}.",
            origins.len()
        ));
    }
    Ok(origins)
}

/// `frame-ancestors` with the token's origins. Each is checked again: a value that is not an
/// origin never reaches the header; with none left, nobody may frame.
pub fn frame_policy(origins: &[String]) -> HeaderValue {
    let sources: Vec<String> = origins
        .iter()
        .filter_map(|o| check_origin(o).ok())
        .collect();
    if sources.is_empty() {
        return HeaderValue::from_static(FRAME_NONE);
    }
    HeaderValue::from_str(&format!("frame-ancestors {}", sources.join(" ")))
        .unwrap_or_else(|_| HeaderValue::from_static(FRAME_NONE))
}

// ---- Tokens: looking up, the frame guard, the live stream -----------------------------------

/// The live embed token `token`, with its hash; `None` for anything else. Text that cannot be
/// an embed token is refused without a database read.
async fn lookup(state: &PortalState, token: &str) -> Result<Option<EmbedGrant>, StoreError> {
    let plausible = token.len() <= 100
        && token.starts_with(EMBED_TOKEN_PREFIX)
        && token
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if !plausible {
        return Ok(None);
    }
    let token_hash = auth::hash_token(token);
    Ok(state
        .store
        .embed_token_by_hash(&token_hash, Utc::now())
        .await?
        .map(|token| EmbedGrant { token_hash, token }))
}

/// What a path under `/embed/` asks for.
#[derive(Debug, PartialEq)]
enum EmbedPath<'a> {
    /// `/embed/{token}`: the dashboard.
    Page(&'a str),
    /// `/embed/{token}/live`: its event stream.
    Live(&'a str),
    /// Anything else under `/embed/`: nothing is there.
    Other,
}

/// `None` for paths outside `/embed/`.
fn embed_path(path: &str) -> Option<EmbedPath<'_>> {
    let rest = path.strip_prefix("/embed/")?;
    Some(match rest.split_once('/') {
        None if !rest.is_empty() => EmbedPath::Page(rest),
        Some((token, "live")) if !token.is_empty() => EmbedPath::Live(token),
        _ => EmbedPath::Other,
    })
}

/// Middleware for every path under `/embed/`: the page and stream of a live token go on (its
/// [`EmbedGrant`] to the handler) and the token's origins may frame the answer; anything else
/// there is a plain 404 that no one may frame. Other paths pass untouched and keep the
/// portal's `frame-ancestors 'none'`.
pub async fn frame_guard(
    State(state): State<PortalState>,
    mut req: Request,
    next: Next,
) -> Response {
    let (token, stream) = match embed_path(req.uri().path()) {
        None => return next.run(req).await,
        Some(EmbedPath::Page(token)) => (token, false),
        Some(EmbedPath::Live(token)) => (token, true),
        Some(EmbedPath::Other) => return invalid_response(false),
    };
    match lookup(&state, token).await {
        Ok(Some(grant)) => {
            let policy = frame_policy(&grant.token.allowed_origins);
            req.extensions_mut().insert(grant);
            let mut response = next.run(req).await;
            let headers = response.headers_mut();
            headers.insert(header::CONTENT_SECURITY_POLICY, policy);
            // Live data, and a link that can be revoked: never from a cache.
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            response
        }
        Ok(None) => invalid_response(stream),
        Err(e) => {
            tracing::error!(error = %e, "embed token lookup failed");
            // A page that tries again by itself: a wall screen recovers with the database.
            let mut response = (
                StatusCode::SERVICE_UNAVAILABLE,
                [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
                "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
                 <meta http-equiv=\"refresh\" content=\"30\"><title>Steward</title></head>\
                 <body><p>Steward cannot read its database right now. This page tries again \
                 by itself.</p></body></html>",
            )
                .into_response();
            response.headers_mut().insert(
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(FRAME_NONE),
            );
            response
        }
    }
}

/// The answer to a dashboard link that opens nothing: 404, no data, not frameable.
fn invalid_response(stream: bool) -> Response {
    let mut response = if stream {
        (StatusCode::NOT_FOUND, EMBED_INVALID_MESSAGE).into_response()
    } else {
        let html = format!(
            "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
             <title>Dashboard link not valid · Steward</title>\
             <link rel=\"stylesheet\" href=\"/pkg/steward.css\"></head>\
             <body><main class=\"embed embed-invalid\" data-testid=\"embed-invalid\">\
             <p>{EMBED_INVALID_MESSAGE}</p></main></body></html>"
        );
        (
            StatusCode::NOT_FOUND,
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            html,
        )
            .into_response()
    };
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(FRAME_NONE),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// What a token's live stream watches: its application's status (or every application's)
/// and the failures among their log entries.
fn watch_of(token: &EmbedToken) -> Watch {
    Watch {
        app: token.application_id.clone(),
        overview: token.application_id.is_none(),
        logs: Some(failures_query(token, 0)),
    }
}

fn failures_query(token: &EmbedToken, limit: u32) -> LogQuery {
    LogQuery {
        application_id: token.application_id.clone(),
        statuses: vec!["failure".to_string()],
        limit,
        ..LogQuery::default()
    }
}

/// The query of the dashboard's stream.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct LiveParams {
    /// The newest failure the page shows (when it has no Last-Event-ID yet).
    pub after: String,
}

/// `GET /embed/{token}/live`: the dashboard's events (`status` or `jobs`, and `log` for each
/// new failure). Behind [`frame_guard`], which found the token; the stream ends within
/// [`RECHECK`] of the token's revocation.
pub async fn live_stream(
    State(state): State<PortalState>,
    grant: Option<Extension<EmbedGrant>>,
    Query(params): Query<LiveParams>,
    headers: HeaderMap,
) -> Response {
    let Some(Extension(grant)) = grant else {
        return invalid_response(true);
    };
    let resume = live::last_event_id(&headers).or_else(|| params.after.trim().parse().ok());
    let watch = watch_of(&grant.token);
    let until = revoked(state.clone(), grant.token_hash);
    live::stream_until(state, watch, resume, until).into_response()
}

/// Completes once the token with this hash is no longer live.
async fn revoked(state: PortalState, token_hash: String) {
    loop {
        tokio::time::sleep(RECHECK).await;
        match state
            .store
            .embed_token_by_hash(&token_hash, Utc::now())
            .await
        {
            Ok(Some(_)) => {}
            Ok(None) => return,
            // A database hiccup does not end a dashboard; the next check decides.
            Err(e) => tracing::warn!(error = %e, "could not recheck an embed token"),
        }
    }
}

// ---- The dashboard's data ------------------------------------------------------------------

/// The live token `token`, or the 404 the dashboard shows. A page request already passed the
/// frame guard, which found it: that is reused instead of read again.
pub async fn grant(state: &PortalState, token: &str) -> Result<EmbedToken, AppError> {
    let token_hash = auth::hash_token(token);
    let found = leptos::prelude::use_context::<http::request::Parts>()
        .and_then(|p| p.extensions.get::<EmbedGrant>().cloned())
        .filter(|g| g.token_hash == token_hash);
    let found = match found {
        Some(g) => Some(g),
        None => lookup(state, token).await.map_err(internal)?,
    };
    match found {
        Some(g) => Ok(g.token),
        None => {
            set_status(404);
            Err(AppError::new(ErrorCode::NotFound, EMBED_INVALID_MESSAGE))
        }
    }
}

/// What the token's dashboard shows now: its application's job (or every job, what needs
/// attention first) and the newest failures. No role check: the token is the right to read
/// exactly this.
pub async fn dashboard(
    state: &PortalState,
    token: &EmbedToken,
) -> Result<EmbedDashboard, AppError> {
    let apps = state.store.list_applications().await.map_err(internal)?;
    let names: HashMap<String, String> = apps
        .iter()
        .map(|a| (a.id.clone(), a.name.clone()))
        .collect();
    let (title, jobs) = match &token.application_id {
        Some(id) => {
            let Some(app) = apps.iter().find(|a| &a.id == id) else {
                // The application was deleted, and the token with it, a moment ago.
                set_status(404);
                return Err(AppError::new(ErrorCode::NotFound, EMBED_INVALID_MESSAGE));
            };
            (
                app.name.clone(),
                vec![provisioning::view_of(state, app).await?],
            )
        }
        None => (
            ALL_APPLICATIONS.to_string(),
            provisioning::all_views(state).await?,
        ),
    };
    let failures = state
        .store
        .query_provisioning_log(&failures_query(token, EMBED_FAILURES as u32))
        .await
        .map_err(internal)?;
    Ok(EmbedDashboard {
        title,
        all: token.application_id.is_none(),
        jobs,
        failures: failures.iter().map(|e| logs::row_of(e, &names)).collect(),
    })
}

const ALL_APPLICATIONS: &str = "All applications";

// ---- Admins: create, list, revoke ----------------------------------------------------------

/// Every embed token, live ones first, and the applications a new one can show.
pub async fn list(state: &PortalState, actor: &Actor) -> Result<EmbedTokenList, AppError> {
    actor.require(ROLE)?;
    let apps = state.store.list_applications().await.map_err(internal)?;
    let names: HashMap<&str, &str> = apps
        .iter()
        .map(|a| (a.id.as_str(), a.name.as_str()))
        .collect();
    let tokens = state.store.list_embed_tokens().await.map_err(internal)?;
    Ok(EmbedTokenList {
        tokens: tokens
            .into_iter()
            .map(|t| EmbedTokenView {
                scope: scope_name(&t, &names),
                id: t.info.id,
                name: t.info.name,
                prefix: t.info.prefix,
                application_id: t.application_id,
                allowed_origins: t.allowed_origins,
                created_at: t.info.created_at,
                created_by: t.info.created_by,
                last_used_at: t.info.last_used_at,
                revoked_at: t.info.revoked_at,
            })
            .collect(),
        applications: apps
            .iter()
            .map(|a| ApplicationChoice {
                id: a.id.clone(),
                name: a.name.clone(),
            })
            .collect(),
    })
}

fn scope_name(token: &EmbedToken, names: &HashMap<&str, &str>) -> String {
    match &token.application_id {
        None => ALL_APPLICATIONS.to_string(),
        Some(id) => names
            .get(id.as_str())
            .map_or_else(|| id.clone(), |n| n.to_string()),
    }
}

/// What the audit log records about a token: never the token, only its prefix, what it shows
/// and who may frame it.
fn audit_detail(token: &EmbedToken, scope: &str) -> String {
    format!(
        "prefix {}, shows {scope}, framed by {}",
        token.info.prefix,
        token.allowed_origins.join(" ")
    )
}

/// Creates a token that shows `application` (an id; blank: every application) to the
/// origins listed in `origins_text` (one a line). Returns the token, its address and an
/// `<iframe>` to paste: the only time the token is shown.
pub async fn create(
    state: &PortalState,
    actor: &Actor,
    name: &str,
    application: &str,
    origins_text: &str,
) -> Result<NewEmbed, AppError> {
    actor.require(ROLE)?;
    let name = name.trim();
    let application = application.trim();
    let mut problems = Vec::new();
    if name.is_empty() || name.chars().count() > 100 {
        problems.push(FieldError::new(
            "name",
            "Name the token after where it is shown, e.g. Intranet status page (at most 100 \
             characters).",
        ));
    }
    let app = if application.is_empty() {
        None
    } else {
        match state
            .store
            .application(application)
            .await
            .map_err(internal)?
        {
            Some(app) => Some(app),
            None => {
                problems.push(FieldError::new(
                    "application",
                    "That application no longer exists. Reload the page and choose again.",
                ));
                None
            }
        }
    };
    let origins = parse_origins(origins_text).unwrap_or_else(|e| {
        problems.push(FieldError::new("origins", e));
        Vec::new()
    });
    if !problems.is_empty() {
        set_status(422);
        return Err(AppError::invalid(problems));
    }
    let (token, token_hash, prefix) = auth::new_bearer_token(EMBED_TOKEN_PREFIX);
    let created = state
        .store
        .create_embed_token(NewEmbedToken {
            token: NewToken {
                name: name.to_string(),
                token_hash,
                prefix,
                created_by: Some(actor.name.clone()),
            },
            application_id: app.as_ref().map(|a| a.id.clone()),
            allowed_origins: origins,
        })
        .await;
    let created = match created {
        Ok(created) => created,
        Err(StoreError::Conflict { .. }) => {
            set_status(409);
            let mut err = AppError::invalid(vec![FieldError::new(
                "name",
                format!("A live embed token is already named {name:?}; revoke it first or choose another name."),
            )]);
            err.code = ErrorCode::Conflict;
            return Err(err);
        }
        Err(StoreError::NotFound { .. }) => {
            set_status(422);
            return Err(AppError::invalid(vec![FieldError::new(
                "application",
                "That application no longer exists. Reload the page and choose again.",
            )]));
        }
        Err(e) => return Err(internal(e)),
    };
    let scope = app.as_ref().map_or(ALL_APPLICATIONS, |a| a.name.as_str());
    actor
        .audit(
            state,
            AuditEntry::new("embed_token.create", created.info.name.clone())
                .detail(audit_detail(&created, scope)),
        )
        .await;
    let url = format!("{}/embed/{token}", state.info.public_url);
    let snippet = iframe_snippet(&url, scope);
    Ok(NewEmbed {
        token,
        url,
        snippet,
    })
}

/// The `<iframe>` an admin pastes into the other site.
fn iframe_snippet(url: &str, scope: &str) -> String {
    let attr = |s: &str| {
        s.replace('&', "&amp;")
            .replace('"', "&quot;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
    };
    format!(
        "<iframe src=\"{}\" title=\"Provisioning status: {}\" width=\"480\" height=\"360\" \
         style=\"border:0\" loading=\"lazy\"></iframe>",
        attr(url),
        attr(scope)
    )
}

/// Revokes the live token with this id: its dashboards stop showing anything.
pub async fn revoke(state: &PortalState, actor: &Actor, id: &str) -> Result<(), AppError> {
    actor.require(ROLE)?;
    let revoked = state
        .store
        .revoke_embed_token(TokenRef::Id(id))
        .await
        .map_err(internal)?;
    let Some(token) = revoked else {
        set_status(404);
        return Err(AppError::new(
            ErrorCode::NotFound,
            "That embed token does not exist or was already revoked. Reload the page.",
        ));
    };
    let apps = state.store.list_applications().await.map_err(internal)?;
    let names: HashMap<&str, &str> = apps
        .iter()
        .map(|a| (a.id.as_str(), a.name.as_str()))
        .collect();
    actor
        .audit(
            state,
            AuditEntry::new("embed_token.revoke", token.info.name.clone())
                .detail(audit_detail(&token, &scope_name(&token, &names))),
        )
        .await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_are_checked_and_normalised() {
        let ok = [
            (
                "https://intranet.example.com",
                "https://intranet.example.com",
            ),
            (
                "  HTTPS://Intranet.Example.com/ ",
                "https://intranet.example.com",
            ),
            ("http://localhost:8080", "http://localhost:8080"),
            ("https://10.0.0.7:443", "https://10.0.0.7:443"),
            ("http://[::1]:3000", "http://[::1]:3000"),
            (
                "https://xn--bcher-kva.example",
                "https://xn--bcher-kva.example",
            ),
        ];
        for (text, want) in ok {
            assert_eq!(check_origin(text).as_deref(), Ok(want), "{text}");
        }
        let bad = [
            ("intranet.example.com", "not an origin"),
            ("ftp://example.com", "not an http or https"),
            ("https://example.com/status", "has a path"),
            ("https://example.com?x=1", "has a path"),
            ("https://ada@example.com", "user name"),
            ("https://*.example.com", "wildcard"),
            ("https://", "host name"),
            ("https://exa mple.com", "host name"),
            ("https://example.com;script-src", "host name"),
            ("https://bücher.example", "xn--"),
            ("https://-bad.example", "host name"),
            ("https://example.com:0", "port"),
            ("https://example.com:99999", "port"),
            ("https://example.com:+80", "port"),
            ("https://[zz]:80", "IPv6"),
            ("'none'", "not an origin"),
        ];
        for (text, why) in bad {
            let err = check_origin(text).unwrap_err();
            assert!(err.contains(why), "{text}: {err}");
        }
    }

    #[test]
    fn the_text_area_gives_one_origin_a_line() {
        assert_eq!(
            parse_origins("https://a.example\n\n  https://b.example:8443/ \nhttps://A.example\n"),
            Ok(vec![
                "https://a.example".to_string(),
                "https://b.example:8443".to_string()
            ])
        );
        let err = parse_origins("https://a.example\nhttps://a.example/x").unwrap_err();
        assert!(
            err.starts_with("Line 2:") && err.contains("has a path"),
            "{err}"
        );
        assert!(parse_origins(" \n ").unwrap_err().contains("at least one"));
        let many: Vec<String> = (0..=MAX_ORIGINS)
            .map(|i| format!("https://s{i}.example"))
            .collect();
        assert!(parse_origins(&many.join("\n"))
            .unwrap_err()
            .contains("at most"));
    }

    #[test]
    fn the_frame_policy_names_exactly_the_origins_or_nobody() {
        let origins = vec![
            "https://a.example".to_string(),
            "http://localhost:8080".to_string(),
        ];
        assert_eq!(
            frame_policy(&origins),
            "frame-ancestors https://a.example http://localhost:8080"
        );
        assert_eq!(frame_policy(&[]), FRAME_NONE);
        // A stored value that is not an origin never reaches the header.
        let tampered = vec!["https://a.example; script-src *".to_string()];
        assert_eq!(frame_policy(&tampered), FRAME_NONE);
    }

    #[test]
    fn only_the_page_and_its_stream_are_under_embed() {
        use EmbedPath::*;
        let cases = [
            ("/embed/stw_embed_x", Some(Page("stw_embed_x"))),
            ("/embed/stw_embed_x/live", Some(Live("stw_embed_x"))),
            ("/embed/stw_embed_x/", Some(Other)),
            ("/embed/stw_embed_x/live/more", Some(Other)),
            ("/embed/stw_embed_x/settings", Some(Other)),
            ("/embed//live", Some(Other)),
            ("/embed/", Some(Other)),
            ("/embedded/x", None),
            ("/api/embed_view", None),
        ];
        for (path, want) in cases {
            assert_eq!(embed_path(path), want, "{path}");
        }
    }

    #[test]
    fn the_snippet_escapes_what_it_quotes() {
        let s = iframe_snippet("https://s.example/embed/stw_embed_abc", "R&D \"wiki\"");
        assert_eq!(
            s,
            "<iframe src=\"https://s.example/embed/stw_embed_abc\" title=\"Provisioning status: \
             R&amp;D &quot;wiki&quot;\" width=\"480\" height=\"360\" style=\"border:0\" \
             loading=\"lazy\"></iframe>"
        );
    }
}
