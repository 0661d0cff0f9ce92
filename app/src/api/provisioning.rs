//! Wire types and server functions of the provisioning pages: a job's status as every admin
//! watching sees it, an admin's commands, the disables and deletes held by the threshold, and
//! provisioning on demand streamed step by step. The live updates themselves arrive over
//! server-sent events (`crate::server::live`), carrying these same types.

use crate::error::AppError;
use chrono::{DateTime, Utc};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
use crate::server::{self as srv, provisioning as service, Actor};
#[cfg(feature = "ssr")]
use steward_store::Role;

#[cfg(feature = "ssr")]
fn context() -> Result<(srv::PortalState, Actor), AppError> {
    let actor = Actor::portal(Role::GlobalAdministrator)?;
    Ok((srv::portal_state()?, actor))
}

/// Why a job is quarantined and when it tries again.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct QuarantineView {
    pub code: String,
    pub reason: String,
    pub since: DateTime<Utc>,
    pub attempts: u32,
    pub next_attempt_at: DateTime<Utc>,
}

/// A cycle with its progress and counters.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CycleView {
    pub id: String,
    /// initial, incremental, periodic, dry_run.
    pub kind: String,
    /// running, completed, failed, too_many_deletes, quarantined, interrupted.
    pub status: String,
    pub started_at: DateTime<Utc>,
    pub ended_at: Option<DateTime<Utc>>,
    pub total: u64,
    pub done: u64,
    pub created: u64,
    pub updated: u64,
    pub disabled: u64,
    pub deleted: u64,
    pub skipped: u64,
    pub failed: u64,
    pub staged: u64,
    pub message: String,
}

impl CycleView {
    /// Objects per second so far (or over the whole cycle once it ended).
    pub fn rate(&self, now: DateTime<Utc>) -> f64 {
        let end = self.ended_at.unwrap_or(now);
        let secs = (end - self.started_at).num_milliseconds() as f64 / 1000.0;
        if secs <= 0.0 {
            0.0
        } else {
            self.done as f64 / secs
        }
    }

    /// How long it ran (so far).
    pub fn duration_secs(&self, now: DateTime<Utc>) -> i64 {
        (self.ended_at.unwrap_or(now) - self.started_at)
            .num_seconds()
            .max(0)
    }

    /// Percent done, when the total is known.
    pub fn percent(&self) -> Option<u32> {
        (self.total > 0).then(|| ((self.done.min(self.total) * 100) / self.total) as u32)
    }
}

/// An object that failed and waits to be tried again.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RetryView {
    pub object_type: String,
    pub source_id: String,
    pub attempts: u32,
    pub next_attempt_at: DateTime<Utc>,
    pub error_code: Option<String>,
    pub message: String,
}

/// An application's provisioning job as its page, the overview and the embedded dashboard
/// show it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct JobView {
    pub application_id: String,
    pub application_name: String,
    /// not_configured (manual mode), off (paused), running, idle, quarantined,
    /// waiting_for_deletes.
    pub state: String,
    pub quarantine: Option<QuarantineView>,
    pub current: Option<CycleView>,
    pub last: Option<CycleView>,
    /// The last initial or periodic cycle's end.
    pub last_full_at: Option<DateTime<Utc>>,
    /// The command waiting for the job to take it.
    pub pending_command: Option<String>,
    pub staged_deletes: u64,
    /// Objects waiting to be retried, with why they failed (the first 20).
    pub retries: Vec<RetryView>,
    pub users_provisioned: u64,
    pub groups_provisioned: u64,
}

impl JobView {
    /// The state in words.
    pub fn state_label(&self) -> &'static str {
        match self.state.as_str() {
            "not_configured" => "Not configured",
            "off" => "Off",
            "running" => "Running",
            "idle" => "Idle",
            "quarantined" => "Quarantined",
            "waiting_for_deletes" => "Waiting for deletes to be allowed",
            _ => "Unknown",
        }
    }

    /// The badge class of the state.
    pub fn state_class(&self) -> &'static str {
        match self.state.as_str() {
            "running" => "badge badge-info",
            "idle" => "badge badge-ok",
            "quarantined" => "badge badge-bad",
            "waiting_for_deletes" => "badge badge-warn",
            _ => "badge",
        }
    }
}

/// A cycle kind in words.
pub fn cycle_kind_label(kind: &str) -> &'static str {
    match kind {
        "initial" => "Initial cycle",
        "incremental" => "Incremental cycle",
        "periodic" => "Periodic cycle",
        "dry_run" => "Dry run",
        _ => "Cycle",
    }
}

/// A disable or delete held back by the accidental-deletion threshold.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HeldDelete {
    pub object_type: String,
    pub source_id: String,
    pub source_name: String,
    pub target_id: String,
    pub action: String,
    pub reason: String,
    pub staged_at: DateTime<Utc>,
}

/// The application's job.
#[server(endpoint = "provisioning_job")]
pub async fn load_job(id: String) -> Result<JobView, AppError> {
    let (state, actor) = context()?;
    service::job_view(&state, &actor, &id).await
}

/// Every application's job, quarantined ones first.
#[server(endpoint = "provisioning_jobs")]
pub async fn load_jobs() -> Result<Vec<JobView>, AppError> {
    let (state, actor) = context()?;
    service::job_views(&state, &actor).await
}

/// An admin's command to the job: start, pause, run, restart, restart-full, allow-deletes,
/// dry-run.
#[server(endpoint = "provisioning_command")]
pub async fn send_job_command(id: String, action: String) -> Result<JobView, AppError> {
    let (state, actor) = context()?;
    let action = service::JobAction::parse(&action).ok_or_else(|| {
        AppError::new(
            crate::error::ErrorCode::Invalid,
            format!("{action:?} is not a provisioning command."),
        )
    })?;
    service::job_command(&state, &actor, &id, action).await?;
    service::job_view(&state, &actor, &id).await
}

/// The disables and deletes held by the threshold (the first 200).
#[server(endpoint = "provisioning_held_deletes")]
pub async fn held_deletes(id: String) -> Result<Vec<HeldDelete>, AppError> {
    let (state, actor) = context()?;
    Ok(service::staged(&state, &actor, &id, 200)
        .await?
        .into_iter()
        .map(|s| HeldDelete {
            object_type: s.object_type.as_str().to_string(),
            source_id: s.source_id,
            source_name: s.source_name,
            target_id: s.target_id,
            action: s.action,
            reason: s.reason,
            staged_at: s.staged_at,
        })
        .collect())
}

/// Users and groups to provision on demand, by name.
#[server(endpoint = "provisioning_on_demand_candidates")]
pub async fn on_demand_candidates(query: String) -> Result<Vec<super::MemberRow>, AppError> {
    let (state, _actor) = context()?;
    let query = query.trim().to_string();
    if query.is_empty() {
        return Ok(Vec::new());
    }
    super::groups::directory_candidates(&state, &query).await
}

/// One step of an on-demand run, as it happens.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StepView {
    /// import, scope, map, references, match, action, members.
    pub step: String,
    /// ok, skipped, warning, failed.
    pub status: String,
    pub detail: String,
    /// The step's details: the scoping clauses, the request sent and the response, …
    #[serde(default)]
    pub data: serde_json::Value,
}

/// What an on-demand run streams, one JSON object per line.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum OnDemandEvent {
    /// A step of the object `source_id` (a group's members come first).
    Step {
        object_type: String,
        source_id: String,
        step: StepView,
    },
    /// An object's run ended.
    Outcome {
        object_type: String,
        source_id: String,
        source_name: String,
        result: super::OnDemandResult,
    },
    /// The run stopped: the database or the application could not be read.
    Error { message: String },
    /// Every object is done.
    Done,
}

/// Provisions a user (`kind` "User") or a group with its members (`kind` "Group") now and
/// streams each step as it is taken, then each object's outcome: one [`OnDemandEvent`] as
/// JSON per line.
#[server(endpoint = "provisioning_on_demand", output = leptos::server_fn::codec::StreamingText)]
pub async fn provision_on_demand_live(
    id: String,
    kind: String,
    who: String,
    #[server(default)] dry_run: bool,
) -> Result<leptos::server_fn::codec::TextStream<AppError>, AppError> {
    let (state, actor) = context()?;
    let lines = service::on_demand_stream(&state, &actor, &id, &kind, &who, dry_run).await?;
    Ok(leptos::server_fn::codec::TextStream::new(
        futures::StreamExt::map(lines, Ok),
    ))
}

/// Reads the lines of a streamed on-demand run (chunks may split or join lines).
#[derive(Default)]
pub struct LineBuffer {
    pending: String,
}

impl LineBuffer {
    /// The complete events in `chunk` (with what was left over before).
    pub fn push(&mut self, chunk: &str) -> Vec<OnDemandEvent> {
        self.pending.push_str(chunk);
        let mut out = Vec::new();
        while let Some(end) = self.pending.find('\n') {
            let line: String = self.pending.drain(..=end).collect();
            let line = line.trim();
            if line.is_empty() {
                continue;
            }
            match serde_json::from_str(line) {
                Ok(event) => out.push(event),
                Err(e) => out.push(OnDemandEvent::Error {
                    message: format!("An event could not be read: {e}"),
                }),
            }
        }
        out
    }
}

/// One JSON line with every non-ASCII character escaped, so that a chunk boundary can never
/// split a character.
pub fn event_line(event: &OnDemandEvent) -> String {
    let json = serde_json::to_string(event).unwrap_or_else(|_| "{\"type\":\"done\"}".into());
    let mut out = String::with_capacity(json.len() + 1);
    for c in json.chars() {
        if c.is_ascii() {
            out.push(c);
        } else {
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                out.push_str(&format!("\\u{unit:04x}"));
            }
        }
    }
    out.push('\n');
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn lines_survive_any_chunking_and_non_ascii_names() {
        let events = vec![
            OnDemandEvent::Step {
                object_type: "user".into(),
                source_id: "u1".into(),
                step: StepView {
                    step: "import".into(),
                    status: "ok".into(),
                    detail: "Read Zoë Ångström 👩‍💻".into(),
                    data: serde_json::json!({"name": "Zoë"}),
                },
            },
            OnDemandEvent::Error {
                message: "é".into(),
            },
            OnDemandEvent::Done,
        ];
        let text: String = events.iter().map(event_line).collect();
        assert!(text.is_ascii());
        for size in [1, 2, 3, 7, 64, text.len()] {
            let mut buffer = LineBuffer::default();
            let mut got = Vec::new();
            let bytes = text.as_bytes();
            for chunk in bytes.chunks(size) {
                got.extend(buffer.push(std::str::from_utf8(chunk).unwrap()));
            }
            assert_eq!(got, events, "chunks of {size}");
        }
    }

    #[test]
    fn progress_and_rate() {
        let start = DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let c = CycleView {
            id: "c".into(),
            kind: "initial".into(),
            status: "running".into(),
            started_at: start,
            ended_at: None,
            total: 400,
            done: 100,
            created: 0,
            updated: 0,
            disabled: 0,
            deleted: 0,
            skipped: 0,
            failed: 0,
            staged: 0,
            message: String::new(),
        };
        assert_eq!(c.percent(), Some(25));
        assert_eq!(c.rate(start + chrono::Duration::seconds(10)), 10.0);
        assert_eq!(c.duration_secs(start + chrono::Duration::seconds(10)), 10);
        assert_eq!(CycleView { total: 0, ..c }.percent(), None);
    }
}
