//! Live pages: one server-sent events stream per open page, carrying a job's status (or
//! every job's, for the overview) and the provisioning log entries that match the page's
//! filter as they are written.
//!
//! The database is the source of truth, not the events: the engine's broadcast (and a
//! one-second tick, for what other processes write) only wakes the stream, which then reads
//! the status and the entries after its cursor. So a slow browser, a lagging broadcast or a
//! second server process never loses anything, and a browser that reconnects after a network
//! drop sends the last entry id it saw (`Last-Event-ID`, which `EventSource` does by itself)
//! and receives what it missed. Events: `status` (a [`JobView`]), `jobs` (every
//! [`JobView`]), `log` (a [`LogRow`], oldest first, its id as the event id), and `gap` (more
//! entries arrived than a live list shows: the page offers to reload).

use std::collections::VecDeque;
use std::convert::Infallible;
use std::time::Duration;

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use futures::Stream;
use serde::Deserialize;
use steward_engine::EngineEvent;
use steward_store::{LogQuery, Role};
use tokio::sync::broadcast::error::TryRecvError;

use super::middleware::CurrentSession;
use super::{logs, provisioning, Actor, PortalState};
use crate::api::LogFilter;

/// Entries one wake sends at most; more means a `gap`.
const LIVE_BATCH: u32 = 100;
/// How often the stream looks for what other processes wrote.
const TICK: Duration = Duration::from_secs(1);
/// Events within this are sent together.
const SETTLE: Duration = Duration::from_millis(150);

/// The query of a live page.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct LiveParams {
    #[serde(flatten)]
    pub filter: LogFilter,
    /// "app" (the job of `app`), "overview" (every job), or empty: no status.
    pub view: String,
    /// "1": send log entries matching the filter.
    pub logs: String,
    /// The newest entry the page already shows (when it has no Last-Event-ID yet).
    pub after: String,
}

/// What one stream watches.
#[derive(Clone, Debug)]
pub struct Watch {
    /// One application's status.
    pub app: Option<String>,
    /// Every application's status.
    pub overview: bool,
    /// Log entries matching this query (its paging fields are ignored).
    pub logs: Option<LogQuery>,
}

/// `GET /api/live?…`: the stream of a portal page (signed-in admins).
pub async fn portal_stream(
    State(state): State<PortalState>,
    Extension(session): Extension<CurrentSession>,
    Query(params): Query<LiveParams>,
    headers: HeaderMap,
) -> Response {
    let actor = Actor::of_session(&session);
    if let Err(e) = actor.require(Role::GlobalAdministrator) {
        return (StatusCode::FORBIDDEN, e.message).into_response();
    }
    let app = Some(params.filter.app.trim().to_string()).filter(|a| !a.is_empty());
    if let Some(id) = &app {
        match state.store.application(id).await {
            Ok(Some(_)) => {}
            Ok(None) => {
                return (
                    StatusCode::NOT_FOUND,
                    format!("There is no application {id}."),
                )
                    .into_response()
            }
            Err(e) => return (StatusCode::SERVICE_UNAVAILABLE, e.to_string()).into_response(),
        }
    }
    let logs = if params.logs == "1" {
        match logs::query_of(&params.filter, chrono::Utc::now(), LIVE_BATCH + 1) {
            Ok(q) => Some(q),
            Err(e) => {
                let why = e
                    .fields
                    .first()
                    .map(|f| f.message.clone())
                    .unwrap_or(e.message);
                return (StatusCode::BAD_REQUEST, why).into_response();
            }
        }
    } else {
        None
    };
    let watch = Watch {
        app: if params.view == "app" { app } else { None },
        overview: params.view == "overview",
        logs,
    };
    let resume = last_event_id(&headers).or_else(|| params.after.trim().parse().ok());
    stream(state, watch, resume).into_response()
}

/// The entry id the browser saw last, if it reconnects.
pub fn last_event_id(headers: &HeaderMap) -> Option<i64> {
    headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse().ok())
}

struct Live {
    state: PortalState,
    watch: Watch,
    events: tokio::sync::broadcast::Receiver<EngineEvent>,
    /// The newest entry sent (or known to the page).
    cursor: Option<i64>,
    last_status: Option<String>,
    queue: VecDeque<Event>,
    first: bool,
}

impl Live {
    /// Whether an engine event concerns this stream.
    fn concerns(&self, event: &EngineEvent) -> bool {
        let Some(app) = &self.watch.app else {
            return true;
        };
        match event {
            EngineEvent::Job { application_id } => application_id == app,
            EngineEvent::Cycle { cycle } => &cycle.application_id == app,
        }
    }

    /// Waits for something that may have changed: an engine event for this stream, or the
    /// tick; then lets a burst settle.
    async fn wait(&mut self) {
        if self.first {
            self.first = false;
            return;
        }
        let deadline = tokio::time::sleep(TICK);
        tokio::pin!(deadline);
        loop {
            tokio::select! {
                _ = &mut deadline => break,
                got = self.events.recv() => match got {
                    Ok(e) if !self.concerns(&e) => continue,
                    // Lagged: events were dropped, which only means something changed.
                    _ => break,
                },
            }
        }
        tokio::time::sleep(SETTLE).await;
        while let Ok(_) | Err(TryRecvError::Lagged(_)) = self.events.try_recv() {}
    }

    /// Reads what changed and queues its events.
    async fn refresh(&mut self) {
        let status = if let Some(app) = &self.watch.app {
            match self.state.store.application(app).await {
                Ok(Some(a)) => provisioning::view_of(&self.state, &a)
                    .await
                    .ok()
                    .and_then(|v| serde_json::to_string(&v).ok())
                    .map(|s| ("status", s)),
                _ => None,
            }
        } else if self.watch.overview {
            provisioning::all_views(&self.state)
                .await
                .ok()
                .and_then(|v| serde_json::to_string(&v).ok())
                .map(|s| ("jobs", s))
        } else {
            None
        };
        if let Some((name, json)) = status {
            if self.last_status.as_ref() != Some(&json) {
                let mut event = Event::default().event(name).data(&json);
                if let Some(c) = self.cursor {
                    event = event.id(c.to_string());
                }
                self.queue.push_back(event);
                self.last_status = Some(json);
            }
        }
        let Some(query) = &self.watch.logs else {
            return;
        };
        let Some(cursor) = self.cursor else {
            // The first look: the page shows what exists; only later entries are sent.
            let newest = LogQuery {
                limit: 1,
                before: None,
                after: None,
                ..query.clone()
            };
            self.cursor = Some(
                match self.state.store.query_provisioning_log(&newest).await {
                    Ok(e) => e.first().map_or(0, |e| e.id),
                    Err(_) => return,
                },
            );
            return;
        };
        let q = LogQuery {
            after: Some(cursor),
            before: None,
            limit: LIVE_BATCH + 1,
            ..query.clone()
        };
        let Ok(mut entries) = self.state.store.query_provisioning_log(&q).await else {
            return;
        };
        if entries.is_empty() {
            return;
        }
        let newest = entries[0].id;
        if entries.len() > LIVE_BATCH as usize {
            entries.truncate(LIVE_BATCH as usize);
            self.queue.push_back(
                Event::default()
                    .event("gap")
                    .data("More entries arrived than a live list shows.")
                    .id(newest.to_string()),
            );
        }
        let names = match self.state.store.list_applications().await {
            Ok(apps) => apps.into_iter().map(|a| (a.id, a.name)).collect(),
            Err(_) => Default::default(),
        };
        for e in entries.iter().rev() {
            if let Ok(json) = serde_json::to_string(&logs::row_of(e, &names)) {
                self.queue.push_back(
                    Event::default()
                        .event("log")
                        .data(json)
                        .id(e.id.to_string()),
                );
            }
        }
        self.cursor = Some(newest);
    }
}

/// The events of `watch`, from `resume` (the last entry id the page has) on.
pub fn stream(
    state: PortalState,
    watch: Watch,
    resume: Option<i64>,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    Sse::new(events(state, watch, resume)).keep_alive(keep_alive())
}

/// As [`stream`], ending when `until` completes: for a stream whose right to read can end
/// while it is open (an embed token revoked under an open dashboard). The browser then
/// reconnects and is refused.
pub fn stream_until(
    state: PortalState,
    watch: Watch,
    resume: Option<i64>,
    until: impl std::future::Future<Output = ()> + Send + 'static,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    use futures::StreamExt;
    Sse::new(events(state, watch, resume).take_until(until)).keep_alive(keep_alive())
}

/// A comment line now and then keeps proxies from closing a quiet stream.
fn keep_alive() -> KeepAlive {
    KeepAlive::new().interval(Duration::from_secs(15))
}

fn events(
    state: PortalState,
    watch: Watch,
    resume: Option<i64>,
) -> impl Stream<Item = Result<Event, Infallible>> {
    let live = Live {
        events: state.engine.subscribe(),
        state,
        watch,
        cursor: resume,
        last_status: None,
        queue: VecDeque::new(),
        first: true,
    };
    futures::stream::unfold(live, |mut live| async move {
        loop {
            if let Some(event) = live.queue.pop_front() {
                return Some((Ok(event), live));
            }
            live.wait().await;
            live.refresh().await;
        }
    })
}
