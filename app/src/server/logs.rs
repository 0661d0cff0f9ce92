//! The provisioning logs as the portal reads them: the filter turned into a store query
//! (keyset pages by id, newest first), one entry in detail, the export of a filtered view as
//! CSV or JSON (streamed page by page, never held whole), the activity per hour, and the
//! retention job that deletes entries older than the retention period.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::{Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use steward_store::{LogEntry, LogQuery, Role};

use super::middleware::CurrentSession;
use super::{internal, store_error, Actor, AuditEntry, PortalState};
use crate::api::{
    ActivityPoint, LogDetail, LogFilter, LogPage, LogRetention, LogRow, ModifiedView, StepView,
};
use crate::error::{AppError, ErrorCode, FieldError};

const ROLE: Role = Role::GlobalAdministrator;

/// Entries the export reads per query.
const EXPORT_PAGE: u32 = 1000;
/// The most entries one export holds.
pub const EXPORT_MAX: usize = 1_000_000;

fn invalid(field: &str, message: String) -> AppError {
    super::applications::invalid(vec![FieldError::new(field, message)])
}

fn date(field: &str, text: &str) -> Result<Option<DateTime<Utc>>, AppError> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    let day = NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|_| {
        invalid(
            field,
            format!("{text:?} is not a date: write it as YYYY-MM-DD."),
        )
    })?;
    Ok(day.and_hms_opt(0, 0, 0).map(|t| Utc.from_utc_datetime(&t)))
}

/// The store query of a filter (`before` included), or what is wrong with it.
pub fn query_of(filter: &LogFilter, now: DateTime<Utc>, limit: u32) -> Result<LogQuery, AppError> {
    let mut q = LogQuery {
        limit,
        ..LogQuery::default()
    };
    let app = filter.app.trim();
    if !app.is_empty() {
        q.application_id = Some(app.to_string());
    }
    let status = filter.status.trim();
    if !status.is_empty() {
        if !["success", "failure", "skipped", "warning"].contains(&status) {
            return Err(invalid("status", format!("{status:?} is not a status.")));
        }
        q.statuses = vec![status.to_string()];
    }
    let action = filter.action.trim();
    if !action.is_empty() {
        q.actions = match action {
            // "Disable or delete" is one choice for admins.
            "remove" => vec!["disable".into(), "delete".into()],
            "create" | "update" | "disable" | "delete" | "staged_delete" | "skip" => {
                vec![action.to_string()]
            }
            _ => return Err(invalid("action", format!("{action:?} is not an action."))),
        };
    }
    let from = date("from", &filter.from)?;
    // The end date is inclusive: everything before the next day.
    let to = date("to", &filter.to)?.map(|d| d + chrono::Duration::days(1));
    if from.is_some() || to.is_some() {
        if let (Some(f), Some(t)) = (from, to) {
            if f >= t {
                return Err(invalid(
                    "to",
                    "The end date is before the start date.".into(),
                ));
            }
        }
        q.from = from;
        q.to = to;
    } else {
        let span = match filter.range.trim() {
            "" => None,
            "1h" => Some(chrono::Duration::hours(1)),
            "24h" => Some(chrono::Duration::hours(24)),
            "7d" => Some(chrono::Duration::days(7)),
            "30d" => Some(chrono::Duration::days(30)),
            other => return Err(invalid("range", format!("{other:?} is not a time range."))),
        };
        q.from = span.map(|s| now - s);
    }
    let identity = filter.identity.trim();
    if !identity.is_empty() {
        q.identity = Some(identity.to_string());
    }
    let cycle = filter.cycle.trim();
    if !cycle.is_empty() {
        q.cycle_id = Some(cycle.to_string());
    }
    let change = filter.change.trim();
    if !change.is_empty() {
        q.change_id = Some(change.parse().map_err(|_| {
            invalid(
                "change",
                format!("{change:?} is not a change id (a number)."),
            )
        })?);
    }
    let before = filter.before.trim();
    if !before.is_empty() {
        q.before = Some(
            before
                .parse()
                .map_err(|_| invalid("before", format!("{before:?} is not an entry id.")))?,
        );
    }
    Ok(q)
}

async fn application_names(state: &PortalState) -> Result<HashMap<String, String>, AppError> {
    Ok(state
        .store
        .list_applications()
        .await
        .map_err(internal)?
        .into_iter()
        .map(|a| (a.id, a.name))
        .collect())
}

/// An entry as a list row.
pub fn row_of(e: &LogEntry, names: &HashMap<String, String>) -> LogRow {
    let app = &e.entry.application_id;
    LogRow {
        id: e.id,
        at: e.at,
        application_id: app.clone(),
        application_name: names.get(app).cloned().unwrap_or_else(|| app.clone()),
        cycle_id: e.entry.cycle_id.clone(),
        object_type: e
            .entry
            .object_type
            .map_or("user", |t| t.as_str())
            .to_string(),
        source_id: e.entry.source_id.clone(),
        source_name: e.entry.source_name.clone(),
        target_id: e.entry.target_id.clone(),
        action: e.entry.action.clone(),
        status: e.entry.status.clone(),
        error_code: e.entry.error_code.clone(),
        message: e.entry.message.clone(),
    }
}

/// One page of the filtered log.
pub async fn page(
    state: &PortalState,
    actor: &Actor,
    filter: &LogFilter,
    limit: u32,
) -> Result<LogPage, AppError> {
    actor.require(ROLE)?;
    let q = query_of(filter, Utc::now(), limit + 1)?;
    let names = application_names(state).await?;
    let started = Instant::now();
    let mut entries = state
        .store
        .query_provisioning_log(&q)
        .await
        .map_err(store_error)?;
    let millis = started.elapsed().as_millis() as u64;
    let more = entries.len() > limit as usize;
    entries.truncate(limit as usize);
    let mut applications: Vec<(String, String)> = names.clone().into_iter().collect();
    applications.sort_by_key(|a| a.1.to_lowercase());
    Ok(LogPage {
        next_before: if more {
            entries.last().map(|e| e.id)
        } else {
            None
        },
        rows: entries.iter().map(|e| row_of(e, &names)).collect(),
        applications,
        millis,
    })
}

/// A page of entries in full (with steps and modified properties) for the REST API: the
/// entries and the `before` of the next page.
pub async fn search(
    state: &PortalState,
    actor: &Actor,
    filter: &LogFilter,
    limit: u32,
) -> Result<serde_json::Value, AppError> {
    actor.require(ROLE)?;
    let limit = limit.clamp(1, 500);
    let q = query_of(filter, Utc::now(), limit + 1)?;
    let mut entries = state
        .store
        .query_provisioning_log(&q)
        .await
        .map_err(store_error)?;
    let more = entries.len() > limit as usize;
    entries.truncate(limit as usize);
    Ok(serde_json::json!({
        "entries": entries,
        "next_before": if more { entries.last().map(|e| e.id) } else { None },
    }))
}

fn text(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::Null => String::new(),
        v => v.to_string(),
    }
}

/// One entry with its steps and modified properties.
pub async fn detail(state: &PortalState, actor: &Actor, id: i64) -> Result<LogDetail, AppError> {
    actor.require(ROLE)?;
    let entry = state
        .store
        .provisioning_log_entry(id)
        .await
        .map_err(store_error)?
        .ok_or_else(|| {
            AppError::new(
                ErrorCode::NotFound,
                format!("There is no provisioning log entry {id}; it may be older than the retention period."),
            )
        })?;
    let names = application_names(state).await?;
    let steps = match &entry.entry.steps {
        serde_json::Value::Array(list) => list
            .iter()
            .map(|s| StepView {
                step: s["step"].as_str().unwrap_or_default().to_string(),
                status: s["status"].as_str().unwrap_or_default().to_string(),
                detail: s["detail"].as_str().unwrap_or_default().to_string(),
                data: s.get("data").cloned().unwrap_or_default(),
            })
            .collect(),
        _ => Vec::new(),
    };
    let modified = match &entry.entry.modified {
        serde_json::Value::Array(list) => list
            .iter()
            .map(|m| ModifiedView {
                path: m["path"].as_str().unwrap_or_default().to_string(),
                old: text(&m["old"]),
                new: text(&m["new"]),
            })
            .collect(),
        _ => Vec::new(),
    };
    Ok(LogDetail {
        row: row_of(&entry, &names),
        steps,
        modified,
    })
}

/// Activity per hour over the last `days` (1 to 30), one application or every one.
pub async fn activity(
    state: &PortalState,
    actor: &Actor,
    app: &str,
    days: u32,
) -> Result<Vec<ActivityPoint>, AppError> {
    actor.require(ROLE)?;
    let since = Utc::now() - chrono::Duration::days(i64::from(days.clamp(1, 30)));
    let app = Some(app.trim()).filter(|a| !a.is_empty());
    Ok(state
        .store
        .provisioning_activity(app, since)
        .await
        .map_err(store_error)?
        .into_iter()
        .map(|b| ActivityPoint {
            hour: b.hour,
            created: b.created,
            updated: b.updated,
            removed: b.removed,
            failed: b.failed,
        })
        .collect())
}

const CSV_HEADER: &str =
    "id,time,application,cycle_id,object_type,source_id,name,target_id,action,status,error_code,message\n";

fn csv_field(s: &str) -> String {
    // Cells that a spreadsheet would run as a formula are quoted with a leading apostrophe.
    let s = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_string()
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

fn csv_line(r: &LogRow) -> String {
    let fields = [
        r.id.to_string(),
        r.at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        r.application_name.clone(),
        r.cycle_id.clone().unwrap_or_default(),
        r.object_type.clone(),
        r.source_id.clone(),
        r.source_name.clone(),
        r.target_id.clone().unwrap_or_default(),
        r.action.clone(),
        r.status.clone(),
        r.error_code.clone().unwrap_or_default(),
        r.message.clone(),
    ];
    let mut line = fields
        .iter()
        .map(|f| csv_field(f))
        .collect::<Vec<_>>()
        .join(",");
    line.push('\n');
    line
}

/// `GET /api/provisioning-logs/export.{csv,json}?<filter>`: the filtered view, every page,
/// streamed. JSON is an array of entries with their steps and modified properties.
pub async fn export(
    State(state): State<PortalState>,
    Extension(session): Extension<CurrentSession>,
    axum::extract::Path(format): axum::extract::Path<String>,
    Query(filter): Query<LogFilter>,
) -> Response {
    let actor = Actor::of_session(&session);
    let json = match format.as_str() {
        "export.json" => true,
        "export.csv" => false,
        _ => {
            return (
                StatusCode::NOT_FOUND,
                "Export as export.csv or export.json.",
            )
                .into_response()
        }
    };
    if let Err(e) = actor.require(ROLE) {
        return (StatusCode::FORBIDDEN, e.message).into_response();
    }
    let q = match query_of(&filter, Utc::now(), EXPORT_PAGE) {
        Ok(q) => q,
        Err(e) => {
            let why = e
                .fields
                .first()
                .map(|f| f.message.clone())
                .unwrap_or(e.message);
            return (StatusCode::BAD_REQUEST, why).into_response();
        }
    };
    let names = match application_names(&state).await {
        Ok(n) => n,
        Err(e) => return (StatusCode::INTERNAL_SERVER_ERROR, e.message).into_response(),
    };
    let stamp = Utc::now().format("%Y%m%d-%H%M%S");
    let (content_type, filename) = if json {
        (
            "application/json",
            format!("provisioning-logs-{stamp}.json"),
        )
    } else {
        (
            "text/csv; charset=utf-8",
            format!("provisioning-logs-{stamp}.csv"),
        )
    };
    let store = state.store.clone();
    // (query, entries sent so far, finished)
    let stream = futures::stream::unfold((q, 0usize, false), move |(mut q, sent, done)| {
        let store = store.clone();
        let names = names.clone();
        async move {
            if done {
                return None;
            }
            let page = match store.query_provisioning_log(&q).await {
                Ok(p) => p,
                Err(e) => {
                    tracing::error!(error = %e, "provisioning log export failed");
                    return Some((Err(std::io::Error::other(e.to_string())), (q, sent, true)));
                }
            };
            let first = sent == 0;
            let last = page.len() < q.limit as usize || sent + page.len() >= EXPORT_MAX;
            let mut chunk = String::new();
            if first {
                chunk.push_str(if json { "[" } else { CSV_HEADER });
            }
            for (i, e) in page.iter().enumerate() {
                if json {
                    if !(first && i == 0) {
                        chunk.push(',');
                    }
                    let value = serde_json::json!({
                        "entry": row_of(e, &names),
                        "steps": e.entry.steps,
                        "modified": e.entry.modified,
                    });
                    chunk.push_str(&value.to_string());
                    chunk.push('\n');
                } else {
                    chunk.push_str(&csv_line(&row_of(e, &names)));
                }
            }
            if last && json {
                chunk.push(']');
            }
            q.before = page.last().map(|e| e.id).or(q.before);
            Some((Ok::<_, std::io::Error>(chunk), (q, sent + page.len(), last)))
        }
    });
    (
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{filename}\""),
            ),
        ],
        Body::from_stream(stream),
    )
        .into_response()
}

/// The tenant setting that holds the retention an admin chose in Settings.
pub const RETENTION_KEY: &str = "provisioning_log_retention";

/// The longest retention Settings accepts, in days (ten years).
pub const RETENTION_MAX_DAYS: u32 = 3650;

/// The retention in force: what an admin saved in Settings, or else the configuration's
/// `log_retention_days`.
pub async fn retention(state: &PortalState) -> Result<LogRetention, AppError> {
    let saved = state
        .store
        .tenant_setting(RETENTION_KEY)
        .await
        .map_err(store_error)?
        .and_then(|v| v.get("days").and_then(serde_json::Value::as_u64))
        .and_then(|d| u32::try_from(d).ok())
        .filter(|d| (1..=RETENTION_MAX_DAYS).contains(d));
    Ok(LogRetention {
        days: saved.unwrap_or(state.info.log_retention_days),
        configured_days: state.info.log_retention_days,
        saved: saved.is_some(),
    })
}

/// The retention for the Settings page.
pub async fn load_retention(state: &PortalState, actor: &Actor) -> Result<LogRetention, AppError> {
    actor.require(ROLE)?;
    retention(state).await
}

/// Saves the retention (`days` as typed; empty: back to the configuration's), and deletes what
/// is now past it at once, in the background.
pub async fn save_retention(
    state: &PortalState,
    actor: &Actor,
    days: &str,
) -> Result<LogRetention, AppError> {
    actor.require(ROLE)?;
    let before = retention(state).await?;
    let text = days.trim();
    let value = if text.is_empty() {
        serde_json::Value::Null
    } else {
        let n: u32 = text
            .parse()
            .ok()
            .filter(|d| (1..=RETENTION_MAX_DAYS).contains(d))
            .ok_or_else(|| {
                invalid(
                    "days",
                    format!(
                        "{text:?} is not a retention period: enter a whole number of days from 1 to {RETENTION_MAX_DAYS}, or leave it empty for the configured {} days.",
                        state.info.log_retention_days
                    ),
                )
            })?;
        serde_json::json!({ "days": n })
    };
    state
        .store
        .set_tenant_setting(RETENTION_KEY, &value)
        .await
        .map_err(store_error)?;
    let after = retention(state).await?;
    actor
        .audit(
            state,
            AuditEntry::new("settings.log_retention", "Provisioning logs")
                .detail(format!("{} days", after.days))
                .change(
                    serde_json::json!({ "days": before.days }),
                    serde_json::json!({ "days": after.days }),
                ),
        )
        .await;
    if after.days < before.days {
        let state = state.clone();
        tokio::spawn(async move { prune(&state, after.days).await });
    }
    Ok(after)
}

/// Deletes the entries older than `days`, a batch at a time (so the engine's writes never
/// wait long); how many.
async fn prune(state: &PortalState, days: u32) -> u64 {
    let cutoff = Utc::now() - chrono::Duration::days(i64::from(days));
    let mut deleted = 0u64;
    loop {
        match state.store.prune_provisioning_log(cutoff, 200).await {
            Ok(0) => break,
            Ok(n) => {
                deleted += n;
                tokio::task::yield_now().await;
            }
            Err(e) => {
                tracing::warn!(error = %e, "provisioning log retention failed; trying again later");
                break;
            }
        }
    }
    if deleted > 0 {
        tracing::info!(
            deleted,
            days,
            "provisioning log entries past retention deleted"
        );
    }
    deleted
}

/// Deletes entries older than the retention in force, every `every`; runs until the process
/// ends.
pub async fn retention_job(state: PortalState, every: Duration) {
    loop {
        match retention(&state).await {
            Ok(r) => {
                prune(&state, r.days).await;
            }
            Err(e) => tracing::warn!(error = %e.message, "could not read the log retention"),
        }
        tokio::time::sleep(every).await;
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 22, 12, 0, 0).unwrap()
    }

    #[test]
    fn filters_become_store_queries() {
        let f = LogFilter {
            app: "app-1".into(),
            status: "failure".into(),
            action: "remove".into(),
            range: "24h".into(),
            identity: " ada ".into(),
            cycle: "c-9".into(),
            change: "17".into(),
            before: "90".into(),
            ..LogFilter::default()
        };
        let q = query_of(&f, now(), 51).unwrap();
        assert_eq!(q.application_id.as_deref(), Some("app-1"));
        assert_eq!(q.statuses, vec!["failure"]);
        assert_eq!(q.actions, vec!["disable", "delete"]);
        assert_eq!(q.from, Some(now() - chrono::Duration::hours(24)));
        assert_eq!(q.to, None);
        assert_eq!(q.identity.as_deref(), Some("ada"));
        assert_eq!(q.cycle_id.as_deref(), Some("c-9"));
        assert_eq!(q.change_id, Some(17));
        assert_eq!(q.before, Some(90));
        assert_eq!(q.limit, 51);
    }

    #[test]
    fn dates_are_whole_utc_days_and_override_the_range() {
        let f = LogFilter {
            range: "1h".into(),
            from: "2026-11-01".into(),
            to: "2026-11-02".into(),
            ..LogFilter::default()
        };
        let q = query_of(&f, now(), 10).unwrap();
        assert_eq!(
            q.from,
            Some(Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap())
        );
        assert_eq!(
            q.to,
            Some(Utc.with_ymd_and_hms(2026, 11, 3, 0, 0, 0).unwrap())
        );
    }

    #[test]
    fn bad_filters_say_which_field_and_why() {
        for (f, field) in [
            (
                LogFilter {
                    status: "great".into(),
                    ..LogFilter::default()
                },
                "status",
            ),
            (
                LogFilter {
                    action: "explode".into(),
                    ..LogFilter::default()
                },
                "action",
            ),
            (
                LogFilter {
                    from: "22/11/2026".into(),
                    ..LogFilter::default()
                },
                "from",
            ),
            (
                LogFilter {
                    from: "2026-11-05".into(),
                    to: "2026-11-01".into(),
                    ..LogFilter::default()
                },
                "to",
            ),
            (
                LogFilter {
                    range: "forever".into(),
                    ..LogFilter::default()
                },
                "range",
            ),
            (
                LogFilter {
                    change: "abc".into(),
                    ..LogFilter::default()
                },
                "change",
            ),
        ] {
            let e = query_of(&f, now(), 10).unwrap_err();
            assert!(e.field(field).is_some(), "{field}: {e:?}");
        }
    }

    #[test]
    fn csv_cells_are_quoted_and_formulas_defused() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("=HYPERLINK(1)"), "'=HYPERLINK(1)");
    }
}
