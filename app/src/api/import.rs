//! Server functions of the CSV import pages: the preview of a planned import, applying it,
//! and its progress. The upload itself is a plain form post to `/api/import`.

use crate::error::AppError;
use chrono::{DateTime, Utc};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
use super::audit;
#[cfg(feature = "ssr")]
use crate::server::{self as srv, import};
#[cfg(feature = "ssr")]
use steward_store::Role;

/// Rows shown in the preview; the counts cover every row.
pub const PREVIEW_ROWS: usize = 200;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PreviewRow {
    pub line: u64,
    pub label: String,
    /// "create", "update", "unchanged" or "reject".
    pub action: String,
    pub note: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ImportStatus {
    pub running: bool,
    pub finished: bool,
    pub done: usize,
    pub total: usize,
    pub succeeded: usize,
    pub failures: Vec<PreviewRow>,
    pub error: Option<String>,
    pub seconds: Option<f64>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ImportPreview {
    pub id: String,
    /// "users" or "memberships".
    pub kind: String,
    pub file_name: String,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub creates: usize,
    pub updates: usize,
    pub unchanged: usize,
    pub rejects: usize,
    pub ignored_columns: Vec<String>,
    /// Every rejected row (up to PREVIEW_ROWS), then the first creates and updates.
    pub rows: Vec<PreviewRow>,
    pub status: ImportStatus,
}

#[cfg(feature = "ssr")]
fn job(id: &str) -> Result<std::sync::Arc<import::ImportJob>, AppError> {
    let state = srv::portal_state()?;
    state.imports.get(id).ok_or_else(|| {
        srv::set_status(404);
        AppError::new(
            crate::error::ErrorCode::NotFound,
            "This import is not known: imports not applied within 6 hours, and all of them after a restart of the server, are forgotten. Upload the file again.",
        )
    })
}

#[cfg(feature = "ssr")]
fn action_name(a: &import::RowAction) -> &'static str {
    match a {
        import::RowAction::Create => "create",
        import::RowAction::Update => "update",
        import::RowAction::Unchanged => "unchanged",
        import::RowAction::Reject => "reject",
    }
}

#[cfg(feature = "ssr")]
fn status_of(job: &import::ImportJob) -> ImportStatus {
    let p = job.progress();
    ImportStatus {
        running: p.started_at.is_some() && p.finished_at.is_none(),
        finished: p.finished_at.is_some(),
        done: p.done,
        total: p.total,
        succeeded: p.succeeded,
        failures: p
            .failures
            .iter()
            .take(PREVIEW_ROWS)
            .map(|(line, label, reason)| PreviewRow {
                line: *line,
                label: label.clone(),
                action: "failed".into(),
                note: reason.clone(),
            })
            .collect(),
        error: p.error.clone(),
        seconds: p
            .started_at
            .zip(p.finished_at)
            .map(|(s, f)| (f - s).num_milliseconds() as f64 / 1000.0),
    }
}

#[server(endpoint = "import_preview")]
pub async fn get_import_preview(id: String) -> Result<ImportPreview, AppError> {
    use import::RowAction;
    srv::require_role(Role::GlobalAdministrator)?;
    let job = job(&id)?;
    let row = |r: &import::PlannedRow| PreviewRow {
        line: r.line,
        label: r.label.clone(),
        action: action_name(&r.action).into(),
        note: r.note.clone(),
    };
    let mut rows: Vec<PreviewRow> = job
        .rows
        .iter()
        .filter(|r| r.action == RowAction::Reject)
        .take(PREVIEW_ROWS)
        .map(row)
        .collect();
    let room = PREVIEW_ROWS.saturating_sub(rows.len());
    rows.extend(
        job.rows
            .iter()
            .filter(|r| matches!(r.action, RowAction::Create | RowAction::Update))
            .take(room)
            .map(row),
    );
    Ok(ImportPreview {
        id: job.id.clone(),
        kind: match job.kind {
            import::ImportKind::Users => "users".into(),
            import::ImportKind::Memberships => "memberships".into(),
        },
        file_name: job.file_name.clone(),
        created_by: job.created_by.clone(),
        created_at: job.created_at,
        creates: job.count(&RowAction::Create),
        updates: job.count(&RowAction::Update),
        unchanged: job.count(&RowAction::Unchanged),
        rejects: job.count(&RowAction::Reject),
        ignored_columns: job.ignored_columns.clone(),
        rows,
        status: status_of(&job),
    })
}

/// Starts writing the planned rows (rejected and unchanged rows are skipped).
#[server(endpoint = "import_apply")]
pub async fn apply_import(id: String) -> Result<(), AppError> {
    let session = srv::require_role(Role::GlobalAdministrator)?;
    let state = srv::portal_state()?;
    let job = job(&id)?;
    if import::start(&state, job.clone()) {
        audit(
            &state,
            &session.admin.email,
            "directory.import",
            Some(&job.file_name),
            steward_store::Outcome::Success,
            Some(format!(
                "{} creates, {} updates, {} rejected rows skipped",
                job.count(&import::RowAction::Create),
                job.count(&import::RowAction::Update),
                job.count(&import::RowAction::Reject)
            )),
        )
        .await;
    }
    Ok(())
}

#[server(endpoint = "import_status")]
pub async fn get_import_status(id: String) -> Result<ImportStatus, AppError> {
    srv::require_role(Role::GlobalAdministrator)?;
    let job = job(&id)?;
    Ok(status_of(&job))
}
