//! Provisioning jobs as the portal and the REST API see them.
//!
//! [`EngineHost`] is what the engine asks of the server: which applications are automatic, and
//! each one ready to run (mappings, settings, a connector built from its decrypted
//! credentials). Connectors are kept while the application's version is unchanged, so the
//! connection pool and what the connector learned about the target's limits survive between
//! cycles. The service functions below give a job's status and take an admin's commands
//! (start, pause, restart, allow deletes, dry run), each audited and handed to the engine.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use steward_connect::{Connector as TargetConnector, ScimClient, ScimOptions, XmattersTarget};
use steward_engine::{AppContext, Host};
use steward_gallery::{Connector, Entry, Gallery};
use steward_store::{
    Application, Cycle, Escrow, Job, JobChange, JobCommand, Quarantine, Role, Staged, Store,
    StoredCredential,
};

use super::applications::{invalid, not_found};
use super::secrets::Sealer;
use super::{internal, store_error, Actor, AuditEntry, PortalState};
use crate::error::{AppError, FieldError};

const ROLE: Role = Role::GlobalAdministrator;

type CachedConnector = (i64, Arc<dyn TargetConnector>);

/// The engine's host: the store, the secret key and the gallery.
pub struct EngineHost {
    store: Arc<dyn Store>,
    secrets: Arc<Sealer>,
    gallery: Arc<Gallery>,
    /// Per application: the version it was built for, and the connector.
    connectors: Mutex<HashMap<String, CachedConnector>>,
}

/// A credential field in clear text (secrets decrypted); empty when not set.
pub(crate) fn open_credential(
    secrets: &Sealer,
    stored: &[StoredCredential],
    name: &str,
) -> Result<String, String> {
    match stored.iter().find(|s| s.field == name) {
        Some(s) if s.encrypted => secrets.open(&s.value),
        Some(s) => Ok(s.value.clone()),
        None => Ok(String::new()),
    }
}

pub(crate) use steward_engine::{mappings_of, settings_of};

impl EngineHost {
    pub fn new(store: Arc<dyn Store>, secrets: Arc<Sealer>, gallery: Arc<Gallery>) -> EngineHost {
        EngineHost {
            store,
            secrets,
            gallery,
            connectors: Mutex::new(HashMap::new()),
        }
    }

    /// The connector for the application's target, from its credentials.
    async fn connector(
        &self,
        app: &Application,
        entry: &Entry,
    ) -> Result<Arc<dyn TargetConnector>, String> {
        {
            let cache = self.connectors.lock().unwrap_or_else(|e| e.into_inner());
            if let Some((version, c)) = cache.get(&app.id) {
                if *version == app.version {
                    return Ok(c.clone());
                }
            }
        }
        let stored = self
            .store
            .credentials(&app.id)
            .await
            .map_err(|e| e.to_string())?;
        let field = |name: &str| open_credential(&self.secrets, &stored, name);
        let compat = settings_of(app, entry).compatibility;
        let connector: Arc<dyn TargetConnector> = match entry.connector {
            Connector::Scim => {
                let defaults = ScimOptions::default();
                let options = ScimOptions {
                    patch: match compat.updates.as_str() {
                        "patch" => Some(true),
                        "put" => Some(false),
                        _ => None,
                    },
                    legacy_shapes: compat.legacy_shapes,
                    member_chunk: compat
                        .member_chunk
                        .map_or(defaults.member_chunk, |n| n as usize),
                    max_concurrency: compat
                        .max_concurrency
                        .map_or(defaults.max_concurrency, |n| n as usize),
                    ..defaults
                };
                let options = ScimOptions {
                    initial_concurrency: options.initial_concurrency.min(options.max_concurrency),
                    ..options
                };
                let client = ScimClient::with_options(
                    &field("tenant_url")?,
                    &field("secret_token")?,
                    options,
                )
                .map_err(|e| e.to_string())?;
                // What the target supports (PATCH, Bulk, filters); when it cannot be read the
                // RFC's defaults hold and the first request says what is wrong.
                if let Err(e) = client.discover().await {
                    tracing::info!(application = %app.id, error = %e, "reading /ServiceProviderConfig failed; assuming PATCH");
                }
                Arc::new(client)
            }
            Connector::Xmatters => Arc::new(
                XmattersTarget::from_domain(
                    &field("domain")?,
                    field("username")?,
                    field("password")?,
                )
                .connector()
                .map_err(|e| e.to_string())?,
            ),
        };
        let mut cache = self.connectors.lock().unwrap_or_else(|e| e.into_inner());
        cache.insert(app.id.clone(), (app.version, connector.clone()));
        Ok(connector)
    }

    /// The application ready for the engine.
    pub async fn context(&self, app: Application) -> Result<AppContext, String> {
        let entry = self.gallery.get(&app.gallery_id).cloned().ok_or_else(|| {
            format!(
                "application {} names the gallery entry {:?}, which is not installed",
                app.id, app.gallery_id
            )
        })?;
        let connector = self.connector(&app, &entry).await?;
        Ok(AppContext::for_application(app, entry, connector))
    }
}

#[async_trait]
impl Host for EngineHost {
    async fn automatic_applications(&self) -> Result<Vec<String>, String> {
        Ok(self
            .store
            .list_applications()
            .await
            .map_err(|e| e.to_string())?
            .into_iter()
            .filter(|a| a.provisioning_mode == "automatic")
            .map(|a| a.id)
            .collect())
    }

    async fn prepare(&self, application_id: &str) -> Result<Option<AppContext>, String> {
        let Some(app) = self
            .store
            .application(application_id)
            .await
            .map_err(|e| e.to_string())?
        else {
            return Ok(None);
        };
        if app.provisioning_mode != "automatic" {
            return Ok(None);
        }
        self.context(app).await.map(Some)
    }
}

/// A job's state, as the provisioning page and the API show it.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct JobStatus {
    pub application_id: String,
    /// not_configured (manual mode), off (paused), running (a cycle is under way), idle,
    /// quarantined, waiting_for_deletes.
    pub state: String,
    pub quarantine: Option<Quarantine>,
    /// The cycle under way, if any.
    pub current_cycle: Option<Cycle>,
    /// The last cycle that ended.
    pub last_cycle: Option<Cycle>,
    /// The last initial or periodic cycle's end.
    pub last_full_at: Option<chrono::DateTime<chrono::Utc>>,
    /// The command waiting for the job to take it.
    pub pending_command: Option<JobCommand>,
    /// Disables and deletes held by the accidental-deletion threshold.
    pub staged_deletes: u64,
    /// Objects waiting to be retried (the first 20), with why they failed.
    pub retries: Vec<Escrow>,
}

/// What an admin can tell a job to do.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum JobAction {
    /// Turns provisioning on (status On) and runs a cycle now.
    Start,
    /// Turns provisioning off (status Off); a cycle under way stops after its current page
    /// and resumes from there when started again.
    Pause,
    /// Runs a cycle now.
    Run,
    /// Forgets the watermark, retries, held deletes and quarantine, and runs an initial cycle.
    Restart,
    /// As restart, and forgets the links too: every object is matched in the target again.
    RestartFull,
    /// Sends the disables and deletes held by the threshold.
    AllowDeletes,
    /// Runs a cycle that records what it would send, and sends nothing.
    DryRun,
}

impl JobAction {
    pub fn parse(s: &str) -> Option<JobAction> {
        serde_json::from_value(serde_json::Value::String(s.to_string())).ok()
    }

    fn audit_action(self) -> &'static str {
        match self {
            JobAction::Start => "provisioning.start",
            JobAction::Pause => "provisioning.pause",
            JobAction::Run => "provisioning.run",
            JobAction::Restart => "provisioning.restart",
            JobAction::RestartFull => "provisioning.restart_full",
            JobAction::AllowDeletes => "provisioning.allow_deletes",
            JobAction::DryRun => "provisioning.dry_run",
        }
    }
}

async fn load_app(state: &PortalState, id: &str) -> Result<Application, AppError> {
    state
        .store
        .application(id)
        .await
        .map_err(internal)?
        .ok_or_else(|| not_found("application", id))
}

fn state_of(app: &Application, job: &Job, current: &Option<Cycle>, staged: u64) -> &'static str {
    if app.provisioning_mode != "automatic" {
        "not_configured"
    } else if job.paused {
        "off"
    } else if job.quarantine.is_some() {
        "quarantined"
    } else if current.is_some() {
        "running"
    } else if staged > 0 {
        "waiting_for_deletes"
    } else {
        "idle"
    }
}

/// The job's status.
pub async fn job_status(
    state: &PortalState,
    actor: &Actor,
    id: &str,
) -> Result<JobStatus, AppError> {
    actor.require(ROLE)?;
    let app = load_app(state, id).await?;
    let store = state.store.as_ref();
    let job = store.job(id).await.map_err(store_error)?;
    let cycles = store.cycles(id, 5).await.map_err(store_error)?;
    let current = cycles.iter().find(|c| c.status == "running").cloned();
    let last = cycles.iter().find(|c| c.status != "running").cloned();
    let staged = store.count_staged(id).await.map_err(store_error)?;
    Ok(JobStatus {
        application_id: id.to_string(),
        state: state_of(&app, &job, &current, staged).to_string(),
        quarantine: job.quarantine.clone(),
        current_cycle: current,
        last_cycle: last,
        last_full_at: job.last_full_at,
        pending_command: job.command,
        staged_deletes: staged,
        retries: store.escrowed(id, 20).await.map_err(store_error)?,
    })
}

/// Takes an admin's command: persisted first (so it survives a restart and reaches whichever
/// process holds the job), audited, then the engine is woken.
pub async fn job_command(
    state: &PortalState,
    actor: &Actor,
    id: &str,
    action: JobAction,
) -> Result<JobStatus, AppError> {
    actor.require(ROLE)?;
    let app = load_app(state, id).await?;
    if app.provisioning_mode != "automatic" && action != JobAction::Pause {
        return Err(invalid(vec![FieldError::new(
            "provisioning_mode",
            "Provisioning Mode is Manual: set it to Automatic and save the admin credentials first.",
        )]));
    }
    let store = state.store.as_ref();
    let command = match action {
        JobAction::Start => {
            store
                .update_job(
                    id,
                    JobChange {
                        paused: Some(false),
                        ..JobChange::default()
                    },
                )
                .await
                .map_err(store_error)?;
            Some(JobCommand::Run)
        }
        JobAction::Pause => {
            store
                .update_job(
                    id,
                    JobChange {
                        paused: Some(true),
                        ..JobChange::default()
                    },
                )
                .await
                .map_err(store_error)?;
            None
        }
        JobAction::Run => Some(JobCommand::Run),
        JobAction::Restart => Some(JobCommand::Restart),
        JobAction::RestartFull => Some(JobCommand::RestartFull),
        JobAction::AllowDeletes => Some(JobCommand::AllowDeletes),
        JobAction::DryRun => Some(JobCommand::DryRun),
    };
    if let Some(command) = command {
        store.send_command(id, command).await.map_err(store_error)?;
    }
    actor
        .audit(state, AuditEntry::new(action.audit_action(), &app.name))
        .await;
    state.engine.wake(id);
    job_status(state, actor, id).await
}

/// The job's cycles, newest first.
pub async fn cycles(
    state: &PortalState,
    actor: &Actor,
    id: &str,
    limit: u32,
) -> Result<Vec<Cycle>, AppError> {
    actor.require(ROLE)?;
    load_app(state, id).await?;
    state
        .store
        .cycles(id, limit.clamp(1, 200))
        .await
        .map_err(store_error)
}

/// The disables and deletes held by the threshold, by name.
pub async fn staged(
    state: &PortalState,
    actor: &Actor,
    id: &str,
    limit: u32,
) -> Result<Vec<Staged>, AppError> {
    actor.require(ROLE)?;
    load_app(state, id).await?;
    state
        .store
        .staged(id, limit.clamp(1, 5000))
        .await
        .map_err(store_error)
}

fn cycle_view(c: &Cycle) -> crate::api::CycleView {
    let n = &c.counters;
    crate::api::CycleView {
        id: c.id.clone(),
        kind: c.kind.clone(),
        status: c.status.clone(),
        started_at: c.started_at,
        ended_at: c.ended_at,
        total: c.total,
        done: c.done,
        created: n.created,
        updated: n.updated,
        disabled: n.disabled,
        deleted: n.deleted,
        skipped: n.skipped,
        failed: n.failed,
        staged: n.staged,
        message: c.message.clone(),
    }
}

/// The job of `app` as the portal shows it (no role check: the caller did it, or holds an
/// embed token).
pub(crate) async fn view_of(
    state: &PortalState,
    app: &Application,
) -> Result<crate::api::JobView, AppError> {
    use crate::api::{JobView, QuarantineView, RetryView};
    let store = state.store.as_ref();
    let id = app.id.as_str();
    let job = store.job(id).await.map_err(store_error)?;
    let cycles = store.cycles(id, 5).await.map_err(store_error)?;
    let current = cycles.iter().find(|c| c.status == "running").cloned();
    let last = cycles.iter().find(|c| c.status != "running").cloned();
    let staged = store.count_staged(id).await.map_err(store_error)?;
    let (users, groups) = store.count_links(id).await.map_err(store_error)?;
    let retries = store.escrowed(id, 20).await.map_err(store_error)?;
    Ok(JobView {
        application_id: app.id.clone(),
        application_name: app.name.clone(),
        state: state_of(app, &job, &current, staged).to_string(),
        quarantine: job.quarantine.as_ref().map(|q| QuarantineView {
            code: q.code.clone(),
            reason: q.reason.clone(),
            since: q.since,
            attempts: q.attempts,
            next_attempt_at: q.next_attempt_at,
        }),
        current: current.as_ref().map(cycle_view),
        last: last.as_ref().map(cycle_view),
        last_full_at: job.last_full_at,
        pending_command: job.command.map(|c| c.as_str().to_string()),
        staged_deletes: staged,
        retries: retries
            .into_iter()
            .map(|r| RetryView {
                object_type: r.object_type.as_str().to_string(),
                source_id: r.source_id,
                attempts: r.attempts,
                next_attempt_at: r.next_attempt_at,
                error_code: r.error_code,
                message: r.message,
            })
            .collect(),
        users_provisioned: users,
        groups_provisioned: groups,
    })
}

/// The application's job as the portal shows it.
pub async fn job_view(
    state: &PortalState,
    actor: &Actor,
    id: &str,
) -> Result<crate::api::JobView, AppError> {
    actor.require(ROLE)?;
    let app = load_app(state, id).await?;
    view_of(state, &app).await
}

/// Where an application's state ranks on the overview: what needs an admin first.
fn urgency(state: &str) -> u8 {
    match state {
        "quarantined" => 0,
        "waiting_for_deletes" => 1,
        "running" => 2,
        "idle" => 3,
        "off" => 4,
        _ => 5,
    }
}

/// Every application's job: quarantined first, then held deletes, running, idle, off, not
/// configured; by name within each.
pub(crate) async fn all_views(state: &PortalState) -> Result<Vec<crate::api::JobView>, AppError> {
    let apps = state.store.list_applications().await.map_err(internal)?;
    let mut views = Vec::with_capacity(apps.len());
    for app in &apps {
        views.push(view_of(state, app).await?);
    }
    views.sort_by(|a, b| {
        urgency(&a.state).cmp(&urgency(&b.state)).then_with(|| {
            a.application_name
                .to_lowercase()
                .cmp(&b.application_name.to_lowercase())
        })
    });
    Ok(views)
}

/// Every application's job, what needs an admin first.
pub async fn job_views(
    state: &PortalState,
    actor: &Actor,
) -> Result<Vec<crate::api::JobView>, AppError> {
    actor.require(ROLE)?;
    all_views(state).await
}

/// Provisions a user or a group (with its members) on demand and streams each step as the
/// engine takes it, then each object's outcome, as JSON lines ([`crate::api::OnDemandEvent`]).
/// The run goes on to its end even if the admin closes the page.
pub async fn on_demand_stream(
    state: &PortalState,
    actor: &Actor,
    id: &str,
    kind: &str,
    who: &str,
    dry_run: bool,
) -> Result<impl futures::Stream<Item = String> + Send + 'static, AppError> {
    use crate::api::{event_line, OnDemandEvent, OnDemandResult, StepView};
    use steward_gallery::ObjectType as Kind;
    use steward_store::ObjectType;
    actor.require(ROLE)?;
    let app = load_app(state, id).await?;
    let kind = match kind.to_ascii_lowercase().as_str() {
        "user" | "users" => Kind::Users,
        "group" | "groups" => Kind::Groups,
        other => {
            return Err(invalid(vec![FieldError::new(
                "kind",
                format!("{other:?} is neither a user nor a group."),
            )]))
        }
    };
    let resource = super::applications::find_directory_object(state, kind, who.trim()).await?;
    let object_id = resource["id"].as_str().unwrap_or_default().to_string();
    let name = resource["displayName"]
        .as_str()
        .or_else(|| resource["userName"].as_str())
        .unwrap_or(who)
        .to_string();
    let ctx = state
        .engine_host
        .context(app.clone())
        .await
        .map_err(internal)?;
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel::<String>();
    let sink = {
        let tx = tx.clone();
        steward_engine::StepSink::new(move |object_type: ObjectType, source_id: &str, step| {
            let _ = tx.send(event_line(&OnDemandEvent::Step {
                object_type: object_type.as_str().to_string(),
                source_id: source_id.to_string(),
                step: StepView {
                    step: step.step.to_string(),
                    status: step.status.to_string(),
                    detail: step.detail.clone(),
                    data: step.data.clone(),
                },
            }));
        })
    };
    let (state, actor) = (state.clone(), actor.clone());
    tokio::spawn(async move {
        let store = state.store.as_ref();
        let run = match kind {
            Kind::Users => steward_engine::provision_one_with(
                store,
                &ctx,
                ObjectType::User,
                &object_id,
                dry_run,
                Some(sink),
            )
            .await
            .map(|o| vec![o]),
            Kind::Groups => steward_engine::provision_group_with_members(
                store,
                &ctx,
                &object_id,
                dry_run,
                Some(sink),
            )
            .await
            .map(|(group, mut members)| {
                members.push(group);
                members
            }),
        };
        match run {
            Err(e) => {
                tracing::error!(error = %e, "provisioning on demand failed");
                let _ = tx.send(event_line(&OnDemandEvent::Error {
                    message: "Steward could not read or write its database during this run; see the server log.".into(),
                }));
            }
            Ok(outcomes) => {
                let failures = outcomes.iter().filter(|o| o.status == "failure").count();
                let log =
                    AuditEntry::new("application.provision_on_demand", &app.name).detail(format!(
                        "{name}: {} object(s), {failures} failure(s)",
                        outcomes.len()
                    ));
                actor
                    .audit(&state, if failures > 0 { log.failed() } else { log })
                    .await;
                for o in outcomes {
                    let _ = tx.send(event_line(&OnDemandEvent::Outcome {
                        object_type: o.object_type.as_str().to_string(),
                        source_id: o.source_id.clone(),
                        source_name: o.source_name.clone(),
                        result: OnDemandResult::from(o),
                    }));
                }
            }
        }
        let _ = tx.send(event_line(&OnDemandEvent::Done));
    });
    Ok(futures::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|line| (line, rx))
    }))
}
