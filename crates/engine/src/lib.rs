//! # steward-engine: provisioning
//!
//! Brings an application's objects in the target in line with what the directory,
//! assignments, scoping filters and attribute mappings say.
//!
//! - [`object`]: one user or group, the path every cycle and "provision on demand" share
//!   ([`provision`]): import, scope (each clause traced), map, resolve references, match by the
//!   matching attributes in precedence order (or use the link), then the one request needed
//!   (create, a PATCH of only what changed, disable or delete) or none; for groups the member
//!   difference. Each run that did something records a provisioning log entry.
//! - [`cycle`]: a cycle over many objects: the initial/periodic one over the whole directory
//!   (streamed in pages, resumable from a cursor after a crash) and the incremental one over
//!   the objects the change feed names; disables and deletes are held until the cycle knows
//!   how many there are (accidental deletion prevention); failures go to escrow.
//! - [`worker`]: the jobs, one per application, run in the server process under a database
//!   lease: commands (run, restart, allow deletes, dry run), pause, quarantine with back-off,
//!   the change-feed follower with debounce, the periodic cycle.
//! - [`notify`]: the email notifications a job's events cause (entered quarantine, its reason
//!   changed, deletes held), once per event, written with the job change into the outbox.

use std::collections::BTreeSet;
use std::sync::Arc;

use serde::Serialize;
use serde_json::Value;
use steward_connect::{Connector, OpError, OpErrorKind};
use steward_expr::CompiledScope;
use steward_gallery::{AppMappings, Entry};
use steward_store::{Application, ObjectType, Store, StoreError};
use steward_sync::{redacted_paths, ProvisioningSettings};

pub mod cycle;
pub mod listing;
pub mod notify;
pub mod object;
pub mod scope;
pub mod worker;

pub use object::{provision, Subject};
pub use scope::Assignments;
pub use worker::{Engine, EngineEvent, EngineOptions, Host};

/// What the engine needs to know about one application, prepared once per cycle.
pub struct AppContext {
    pub app: Application,
    pub entry: Entry,
    pub mappings: AppMappings,
    pub settings: ProvisioningSettings,
    pub connector: Arc<dyn Connector>,
    users_scope: Result<CompiledScope, String>,
    groups_scope: Result<CompiledScope, String>,
    users_redacted: BTreeSet<String>,
    groups_redacted: BTreeSet<String>,
}

/// The mappings an application uses: its saved ones, else the gallery entry's defaults.
pub fn mappings_of(app: &Application, entry: &Entry) -> AppMappings {
    match &app.mappings {
        None => AppMappings::defaults(entry),
        Some(json) => serde_json::from_value(json.clone()).unwrap_or_else(|e| {
            tracing::error!(application = %app.id, error = %e, "stored mappings do not read; using the gallery defaults");
            AppMappings::defaults(entry)
        }),
    }
}

/// The provisioning settings an application uses, with the gallery entry's cycle interval as
/// the default.
pub fn settings_of(app: &Application, entry: &Entry) -> ProvisioningSettings {
    let defaults = ProvisioningSettings {
        cycle_interval_minutes: entry.cycle_interval_minutes,
        ..Default::default()
    };
    if app.settings.as_object().is_none_or(|m| m.is_empty()) {
        return defaults;
    }
    serde_json::from_value(app.settings.clone()).unwrap_or(defaults)
}

impl AppContext {
    /// The application as stored, with its mappings and settings ([`mappings_of`],
    /// [`settings_of`]).
    pub fn for_application(
        app: Application,
        entry: Entry,
        connector: Arc<dyn Connector>,
    ) -> AppContext {
        let mappings = mappings_of(&app, &entry);
        let settings = settings_of(&app, &entry);
        AppContext::new(app, entry, mappings, settings, connector)
    }

    pub fn new(
        app: Application,
        entry: Entry,
        mappings: AppMappings,
        settings: ProvisioningSettings,
        connector: Arc<dyn Connector>,
    ) -> AppContext {
        let users_scope = mappings.users.scope.compile().map_err(|e| e.to_string());
        let groups_scope = match &mappings.groups {
            Some(g) => g.scope.compile().map_err(|e| e.to_string()),
            None => steward_expr::Scope::default()
                .compile()
                .map_err(|e| e.to_string()),
        };
        let users_redacted = redacted_paths(&mappings.users);
        let groups_redacted = mappings
            .groups
            .as_ref()
            .map(redacted_paths)
            .unwrap_or_default();
        AppContext {
            app,
            entry,
            mappings,
            settings,
            connector,
            users_scope,
            groups_scope,
            users_redacted,
            groups_redacted,
        }
    }

    /// The target paths whose values logs must not show (mapped through `Redact`).
    pub fn redacted(&self, object_type: ObjectType) -> &BTreeSet<String> {
        match object_type {
            ObjectType::User => &self.users_redacted,
            ObjectType::Group => &self.groups_redacted,
        }
    }

    /// The compiled scoping filters of the object type.
    pub fn scope(&self, object_type: ObjectType) -> Result<&CompiledScope, &str> {
        match object_type {
            ObjectType::User => self.users_scope.as_ref(),
            ObjectType::Group => self.groups_scope.as_ref(),
        }
        .map_err(String::as_str)
    }

    /// Whether groups are provisioned to this application.
    pub fn provisions_groups(&self) -> bool {
        self.mappings.groups.as_ref().is_some_and(|g| g.enabled)
    }
}

/// How one run behaves.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// Compute and record every operation, send none (reads such as matching still happen).
    pub dry_run: bool,
    /// The cycle the run belongs to (recorded with the log entry).
    pub cycle_id: Option<String>,
    /// Hold disables and deletes back and report them ([`Outcome::removal`]) instead of
    /// sending them: a cycle decides once it knows how many there are.
    pub stage_removals: bool,
    /// Record a log entry also when nothing was sent (on-demand runs do; cycles only count
    /// them, so a cycle with nothing to do writes nothing).
    pub record_noops: bool,
    /// Object types the target had none of when the cycle began (and none were linked):
    /// there is nothing to match, so no lookup is sent. Should one appear meanwhile, its
    /// create meets a conflict and the retry matches it.
    pub empty_in_target: Vec<ObjectType>,
    /// The target's objects read once at the start of the cycle, per type, for matching
    /// without a lookup per object.
    pub listed: Vec<std::sync::Arc<listing::TargetIndex>>,
    /// Return the log entry in [`Outcome::pending_log`] instead of recording it: a cycle
    /// records a page's entries in one transaction.
    pub defer_log: bool,
    /// Skip a user whose link says its last run was based on the same directory version,
    /// application version and assignment (cycles; on-demand runs always map).
    pub trust_basis: bool,
    /// Told each step as soon as it is taken (on-demand runs stream them to the portal).
    pub on_step: Option<StepSink>,
}

/// Receives each step of a run as it happens, with the object it is about (type, directory
/// id): a group's on-demand run provisions its members first.
#[derive(Clone)]
pub struct StepSink(pub std::sync::Arc<StepFn>);

/// What a [`StepSink`] calls: the object's type and directory id, and the step.
pub type StepFn = dyn Fn(ObjectType, &str, &Step) + Send + Sync;

impl StepSink {
    pub fn new(f: impl Fn(ObjectType, &str, &Step) + Send + Sync + 'static) -> StepSink {
        StepSink(std::sync::Arc::new(f))
    }
}

impl std::fmt::Debug for StepSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("StepSink")
    }
}

/// One step of a run, as the provisioning log shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Step {
    /// import, scope, map, references, match, action, members.
    pub step: &'static str,
    /// ok, skipped, warning, failed.
    pub status: &'static str,
    pub detail: String,
    #[serde(skip_serializing_if = "Value::is_null")]
    pub data: Value,
}

pub(crate) fn step(
    step: &'static str,
    status: &'static str,
    detail: impl Into<String>,
    data: Value,
) -> Step {
    Step {
        step,
        status,
        detail: detail.into(),
        data,
    }
}

/// A disable or delete a run held back (see [`RunOptions::stage_removals`]).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Removal {
    /// disable or delete.
    pub action: &'static str,
    pub reason: String,
}

/// What a run did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Outcome {
    pub object_type: ObjectType,
    pub source_id: String,
    pub source_name: String,
    /// create, update, disable, delete, staged_delete, skip.
    pub action: &'static str,
    /// success, failure, skipped, warning.
    pub status: &'static str,
    pub target_id: Option<String>,
    pub steps: Vec<Step>,
    /// `{path, old, new}` of each property sent (`new` null: removed; values of `Redact`
    /// mappings shown as `[Redact]`).
    pub modified: Vec<Value>,
    pub error_code: Option<String>,
    pub message: String,
    /// The provisioning log entry recorded (0 when none was).
    pub log_id: i64,
    /// Nothing was sent and nothing needed to be.
    pub noop: bool,
    /// The failure may go away by itself (retry later).
    pub transient: bool,
    /// The failure concerns the whole target (credentials, address): quarantine.
    pub target_wide: bool,
    pub removal: Option<Removal>,
    /// A reference (manager) could not be resolved yet.
    pub unresolved_references: bool,
    /// The object passed the scope checks.
    pub in_scope: bool,
    /// The log entry to record, when [`RunOptions::defer_log`] left it to the caller.
    #[serde(skip)]
    pub pending_log: Option<steward_store::NewLogEntry>,
    /// The link write to make with the page, when [`RunOptions::defer_log`] left it to the
    /// caller (users in cycles).
    #[serde(skip)]
    pub pending_link: Option<steward_store::LinkWrite>,
}

/// A run's end before it is recorded.
pub(crate) struct End {
    action: &'static str,
    status: &'static str,
    target_id: Option<String>,
    pub(crate) error_code: Option<String>,
    pub(crate) message: String,
    noop: bool,
    transient: bool,
    target_wide: bool,
    unresolved_references: bool,
}

impl End {
    pub(crate) fn new(
        action: &'static str,
        status: &'static str,
        target: Option<String>,
        message: impl Into<String>,
    ) -> End {
        End {
            action,
            status,
            target_id: target,
            error_code: None,
            message: message.into(),
            noop: false,
            transient: false,
            target_wide: false,
            unresolved_references: false,
        }
    }

    /// The end of a run that had nothing to send and nothing to record as done.
    pub(crate) fn unchanged(target: Option<String>, message: impl Into<String>) -> End {
        End {
            noop: true,
            ..End::new("skip", "skipped", target, message)
        }
    }

    /// The end of a dry run at an operation that would have been sent.
    pub(crate) fn would(action: &'static str, target: Option<String>, what: &str) -> End {
        End::new(
            action,
            "skipped",
            target,
            format!("Dry run: would {what}; nothing was sent."),
        )
    }
}

/// The error codes a provisioning log entry can carry, with what to do about each.
pub const ERROR_CODES: &[(&str, &str)] = &[
    ("ENG-AUTH", "Check the Secret Token with Test Connection."),
    ("ENG-CONFLICT", "An object with these values exists in the application but was not matched: check the matching attributes."),
    ("ENG-THROTTLED", "The application asked to slow down; the object is retried later."),
    ("ENG-TARGET", "The application failed; the object is retried later."),
    ("ENG-UNREACHABLE", "Check the Tenant URL with Test Connection."),
    ("ENG-MISSING", "The object was deleted in the application; restart provisioning to create it again."),
    ("ENG-REJECTED", "The application refused a value: check the mappings of the attributes named."),
    ("ENG-NOT-SCIM", "Check the Tenant URL with Test Connection."),
    ("ENG-SCOPE", "Fix the scoping filters."),
    ("ENG-AMBIGUOUS", "Remove the duplicates in the application or add a matching attribute with a unique value."),
    ("ENG-LINKED", "Two directory objects map to the same target object: make the matching attribute unique."),
];

pub(crate) fn failed(action: &'static str, target: Option<String>, e: &OpError) -> End {
    let code = match e.kind {
        OpErrorKind::Authentication => "ENG-AUTH",
        OpErrorKind::Conflict => "ENG-CONFLICT",
        OpErrorKind::RateLimited => "ENG-THROTTLED",
        OpErrorKind::ServerError => "ENG-TARGET",
        OpErrorKind::Timeout | OpErrorKind::Transport => "ENG-UNREACHABLE",
        OpErrorKind::NotFound => "ENG-MISSING",
        OpErrorKind::Rejected => "ENG-REJECTED",
        OpErrorKind::NotScim => "ENG-NOT-SCIM",
    };
    let advice = ERROR_CODES
        .iter()
        .find(|(c, _)| *c == code)
        .map_or("", |(_, a)| a);
    End {
        error_code: Some(code.into()),
        transient: e.is_transient(),
        target_wide: object::is_target_wide(e),
        ..End::new(action, "failure", target, format!("{e}. {advice}"))
    }
}

/// Provisions one directory user now (provision on demand): loads it with its assignment and
/// link, runs it and records the run, whatever it did.
pub async fn provision_user(
    store: &dyn Store,
    ctx: &AppContext,
    user_id: &str,
    dry_run: bool,
) -> Result<Outcome, StoreError> {
    provision_one(store, ctx, ObjectType::User, user_id, dry_run).await
}

/// Provisions one directory object now, through the same path as cycles.
pub async fn provision_one(
    store: &dyn Store,
    ctx: &AppContext,
    object_type: ObjectType,
    id: &str,
    dry_run: bool,
) -> Result<Outcome, StoreError> {
    provision_one_with(store, ctx, object_type, id, dry_run, None).await
}

/// As [`provision_one`], telling `on_step` each step as it is taken.
pub async fn provision_one_with(
    store: &dyn Store,
    ctx: &AppContext,
    object_type: ObjectType,
    id: &str,
    dry_run: bool,
    on_step: Option<StepSink>,
) -> Result<Outcome, StoreError> {
    let assignments = Assignments::load(store, &ctx.app.id).await?;
    let subject = Subject::load(store, &ctx.app.id, object_type, id, &assignments).await?;
    let opts = RunOptions {
        dry_run,
        record_noops: true,
        on_step,
        ..RunOptions::default()
    };
    provision(store, ctx, &opts, &subject).await
}

/// Provisions one group now with its members: each direct user member first (so the group's
/// members have accounts to point at), then the group with its member difference. The
/// group's outcome and each member's.
pub async fn provision_group_with_members(
    store: &dyn Store,
    ctx: &AppContext,
    group_id: &str,
    dry_run: bool,
    on_step: Option<StepSink>,
) -> Result<(Outcome, Vec<Outcome>), StoreError> {
    let members = match steward_store::GroupId::parse(group_id) {
        Some(gid) => object::user_members(store, gid).await?,
        None => Vec::new(),
    };
    let mut outcomes = Vec::with_capacity(members.len());
    for member in &members {
        outcomes.push(
            provision_one_with(
                store,
                ctx,
                ObjectType::User,
                member,
                dry_run,
                on_step.clone(),
            )
            .await?,
        );
    }
    let group =
        provision_one_with(store, ctx, ObjectType::Group, group_id, dry_run, on_step).await?;
    Ok((group, outcomes))
}
