//! Wire types and server functions of the provisioning logs: the filtered list (keyset pages,
//! newest first), one entry in detail, what an error code means and what to do about it, and
//! the activity per hour the overview charts.

use crate::error::AppError;
use chrono::{DateTime, Utc};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
use crate::server::{self as srv, logs as service, Actor};
#[cfg(feature = "ssr")]
use steward_store::Role;

#[cfg(feature = "ssr")]
fn context() -> Result<(srv::PortalState, Actor), AppError> {
    let actor = Actor::portal(Role::GlobalAdministrator)?;
    Ok((srv::portal_state()?, actor))
}

/// The log page's filter, as its URL carries it (every field optional, text as typed).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct LogFilter {
    /// One application's id, or every application.
    pub app: String,
    /// success, failure, skipped, warning; empty: any.
    pub status: String,
    /// create, update, disable, delete, staged_delete, skip; empty: any.
    pub action: String,
    /// 1h, 24h, 7d, 30d, or empty: any time; ignored when `from` or `to` is set.
    pub range: String,
    /// Start date (YYYY-MM-DD, UTC, inclusive).
    pub from: String,
    /// End date (YYYY-MM-DD, UTC, inclusive).
    pub to: String,
    /// A directory id, a target id, or the start of a name.
    pub identity: String,
    pub cycle: String,
    /// An entry's id.
    pub change: String,
    /// Keyset paging: entries older than this id.
    pub before: String,
}

impl LogFilter {
    /// The filter as URL query parameters (empty fields left out), `before` included or not.
    pub fn to_query(&self, with_before: bool) -> String {
        let mut parts = Vec::new();
        for (k, v) in [
            ("app", &self.app),
            ("status", &self.status),
            ("action", &self.action),
            ("range", &self.range),
            ("from", &self.from),
            ("to", &self.to),
            ("identity", &self.identity),
            ("cycle", &self.cycle),
            ("change", &self.change),
        ] {
            if !v.trim().is_empty() {
                parts.push(format!("{k}={}", crate::url::percent_encode(v.trim(), b"")));
            }
        }
        if with_before && !self.before.is_empty() {
            parts.push(format!("before={}", self.before));
        }
        parts.join("&")
    }

    /// Whether anything narrows the list.
    pub fn is_narrowed(&self) -> bool {
        !(self.status.is_empty()
            && self.action.is_empty()
            && self.range.is_empty()
            && self.from.is_empty()
            && self.to.is_empty()
            && self.identity.trim().is_empty()
            && self.cycle.trim().is_empty()
            && self.change.trim().is_empty())
    }
}

/// A log entry as a row of the list.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LogRow {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub application_id: String,
    pub application_name: String,
    pub cycle_id: Option<String>,
    /// user or group.
    pub object_type: String,
    pub source_id: String,
    pub source_name: String,
    pub target_id: Option<String>,
    pub action: String,
    pub status: String,
    pub error_code: Option<String>,
    pub message: String,
}

impl LogRow {
    pub fn status_class(&self) -> &'static str {
        status_class(&self.status)
    }
}

/// The badge class of an entry's status.
pub fn status_class(status: &str) -> &'static str {
    match status {
        "success" => "badge badge-ok",
        "failure" => "badge badge-bad",
        "warning" => "badge badge-warn",
        _ => "badge",
    }
}

/// An action in words.
pub fn action_label(action: &str) -> &'static str {
    match action {
        "create" => "Create",
        "update" => "Update",
        "disable" => "Disable",
        "delete" => "Delete",
        "staged_delete" => "Held by threshold",
        "skip" => "Other",
        _ => "Other",
    }
}

/// One page of the list.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LogPage {
    pub rows: Vec<LogRow>,
    /// The id to ask `before` for the next (older) page; `None`: this is the last.
    pub next_before: Option<i64>,
    /// The applications, for the filter (id, name).
    pub applications: Vec<(String, String)>,
    /// Server time to read the page, in milliseconds.
    pub millis: u64,
}

/// A modified property: what was sent before and what was sent now.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ModifiedView {
    pub path: String,
    /// JSON text; empty when nothing was sent before.
    pub old: String,
    /// JSON text; empty when the value was removed.
    pub new: String,
}

/// One entry with everything recorded.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LogDetail {
    pub row: LogRow,
    pub steps: Vec<super::StepView>,
    pub modified: Vec<ModifiedView>,
}

/// What an error code means and what to do about it.
#[derive(Clone, Debug, PartialEq)]
pub struct Advice {
    pub title: &'static str,
    pub meaning: &'static str,
    pub actions: &'static [&'static str],
}

/// The troubleshooting advice for an error code, for the log's detail view.
pub fn advice(code: &str) -> Option<Advice> {
    let a = |title, meaning, actions| {
        Some(Advice {
            title,
            meaning,
            actions,
        })
    };
    match code {
        "ENG-AUTH" => a(
            "The application refused Steward's credentials",
            "The target answered 401 or 403: the Secret Token (or user name and password) is wrong, expired, or lacks the rights to manage users.",
            &[
                "Create a new token in the application's admin console and paste it into Admin credentials.",
                "Run Test Connection before saving.",
                "Check that the account behind the token may create and update users (and groups).",
            ],
        ),
        "ENG-UNREACHABLE" => a(
            "The application could not be reached",
            "The connection failed or timed out: the Tenant URL is wrong, the service is down, or a firewall blocks Steward.",
            &[
                "Check the Tenant URL for typos, and that it includes the path to the SCIM endpoint.",
                "Run Test Connection; the object is retried automatically.",
            ],
        ),
        "ENG-NOT-SCIM" => a(
            "The address does not answer SCIM",
            "The Tenant URL answered, but not with SCIM 2.0 (an HTML page or another API).",
            &[
                "Copy the SCIM base URL again from the application's documentation (it often ends in /scim/v2).",
                "Run Test Connection.",
            ],
        ),
        "ENG-CONFLICT" => a(
            "The account exists already but was not matched",
            "Creating the account failed with 409: an account with the same unique value (often userName or email) exists in the application, and the matching attribute did not find it.",
            &[
                "Check the matching attributes in the mappings: they should find the existing account.",
                "Or remove or rename the existing account in the application.",
            ],
        ),
        "ENG-THROTTLED" => a(
            "The application asked Steward to slow down",
            "The target answered 429. Steward waits as long as it says and retries; nothing is lost.",
            &["Nothing to do unless it persists; then lower Maximum concurrency in Target compatibility."],
        ),
        "ENG-TARGET" => a(
            "The application failed",
            "The target answered with a 5xx error. Steward retries the object with back-off.",
            &["Nothing to do unless it persists; then check the application's status page or contact its support with the response shown in Steps."],
        ),
        "ENG-MISSING" => a(
            "The account was deleted in the application",
            "The account Steward linked is gone from the application (404).",
            &["Restart provisioning to match and create it again, or provision the user on demand."],
        ),
        "ENG-REJECTED" => a(
            "The application refused a value",
            "The target answered 400: a value Steward sent is invalid there (format, length, an attribute it does not support).",
            &[
                "Read the response in Steps: it usually names the attribute.",
                "Fix the attribute's mapping (or the user's value in the directory), then provision on demand to check.",
            ],
        ),
        "ENG-SCOPE" => a(
            "A scoping filter could not be evaluated",
            "A scoping clause refers to an attribute or value that does not read.",
            &["Open Mappings and fix the scoping filter named in Steps."],
        ),
        "ENG-AMBIGUOUS" => a(
            "Several accounts match",
            "The matching attribute found more than one account in the application, so Steward does not know which one is this user's.",
            &["Remove the duplicates in the application, or add a matching attribute with a unique value."],
        ),
        "ENG-LINKED" => a(
            "Two directory objects map to the same account",
            "The account found is already linked to another directory object.",
            &["Make the matching attribute unique in the directory (two users share it)."],
        ),
        "ENG-FAILURE-RATE" => a(
            "Too many objects failed in one cycle",
            "At least half of what a cycle sent failed, so the job was quarantined to avoid hammering the application.",
            &["Open the failed entries of the cycle for the common cause, fix it, then Restart provisioning."],
        ),
        _ => None,
    }
}

/// Activity in one hour, for the overview's chart.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ActivityPoint {
    pub hour: DateTime<Utc>,
    pub created: u64,
    pub updated: u64,
    /// Disables and deletes.
    pub removed: u64,
    pub failed: u64,
}

/// A page of the provisioning log, newest first.
#[server(endpoint = "provisioning_logs")]
pub async fn provisioning_logs(filter: LogFilter) -> Result<LogPage, AppError> {
    let (state, actor) = context()?;
    service::page(&state, &actor, &filter, 50).await
}

/// One entry with its steps and modified properties.
#[server(endpoint = "provisioning_log_detail")]
pub async fn provisioning_log_detail(id: i64) -> Result<LogDetail, AppError> {
    let (state, actor) = context()?;
    service::detail(&state, &actor, id).await
}

/// Activity per hour over the last `days` (1 or 7), every application or one.
#[server(endpoint = "provisioning_activity")]
pub async fn provisioning_activity(app: String, days: u32) -> Result<Vec<ActivityPoint>, AppError> {
    let (state, actor) = context()?;
    service::activity(&state, &actor, &app, days).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_filter_round_trips_through_the_url_without_empty_fields() {
        let f = LogFilter {
            status: "failure".into(),
            identity: "ada lovelace".into(),
            before: "41".into(),
            ..LogFilter::default()
        };
        assert_eq!(
            f.to_query(true),
            "status=failure&identity=ada%20lovelace&before=41"
        );
        assert_eq!(f.to_query(false), "status=failure&identity=ada%20lovelace");
        assert!(f.is_narrowed());
        assert!(!LogFilter::default().is_narrowed());
    }

    #[cfg(feature = "ssr")]
    #[test]
    fn every_engine_error_code_has_advice() {
        let codes = steward_engine::ERROR_CODES.iter().map(|(c, _)| *c);
        for code in codes.chain(["ENG-FAILURE-RATE"]) {
            let a = advice(code);
            assert!(a.is_some_and(|a| !a.actions.is_empty()), "{code}");
        }
        assert_eq!(advice("nope"), None);
    }
}

/// How long provisioning log entries are kept.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogRetention {
    /// The retention in force, in days.
    pub days: u32,
    /// The configuration's `log_retention_days` (used when nothing is saved in Settings).
    pub configured_days: u32,
    /// Whether an admin saved a retention in Settings.
    pub saved: bool,
}

#[server(endpoint = "log_retention")]
pub async fn load_log_retention() -> Result<LogRetention, AppError> {
    let (state, actor) = context()?;
    service::load_retention(&state, &actor).await
}

/// Saves the retention in days; empty goes back to the configured one. Entries past a shorter
/// retention are deleted at once.
#[server(endpoint = "log_retention_save")]
pub async fn save_log_retention(days: String) -> Result<LogRetention, AppError> {
    let (state, actor) = context()?;
    service::save_retention(&state, &actor, &days).await
}
