//! The jobs: one per application with provisioning on, each run by a task in the server
//! process that holds the job's lease in the database (so only one process runs it).
//!
//! A job's task loops: take the admin's pending command; unless paused or waiting out a
//! quarantine, run what is due — the cycle a crash interrupted (from its cursor), an initial
//! cycle (first run, restart, mappings changed), the periodic cycle (the application's
//! interval), an incremental cycle over what the change feed says changed since the watermark
//! (after the burst settles: debounce), or the retries that are due — and then wait for the
//! next change, command or timer.
//!
//! Quarantine: a failure that concerns the whole target (credentials refused, address
//! unreachable, not SCIM) stops the cycle and quarantines the job at once; so does a cycle in
//! which at least half of the objects sent failed, with at least [`EngineOptions::
//! quarantine_min_failures`] failures. A quarantined job tries again after the back-off
//! schedule ([`EngineOptions::quarantine_delays`]); the first attempt that succeeds leaves
//! quarantine.
//!
//! The end of a cycle is where the job's state changes, and so where its notifications are
//! decided ([`crate::notify`]: entered quarantine, its reason changed, deletes held) and
//! written, in the same transaction as the change.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use chrono::Utc;
use serde::Serialize;
use steward_store::{
    Change, ChangeKind, Cycle as CycleRecord, GroupId, JobChange, JobCommand, ObjectType,
    Quarantine, Store, StoreError,
};
use tokio::sync::{broadcast, Notify};

use crate::cycle::{Cycle, Stop};
use crate::object::user_members;
use crate::{AppContext, Assignments};

/// What the engine asks of its host (the server, which owns secrets and the gallery).
#[async_trait]
pub trait Host: Send + Sync {
    /// The applications whose provisioning mode is automatic.
    async fn automatic_applications(&self) -> Result<Vec<String>, String>;
    /// The application ready to provision (mappings, settings, a connector with its
    /// credentials); `Ok(None)` when it is not automatic any more or is gone. A connector
    /// should be reused while the application is unchanged (it holds the connection pool and
    /// what it learned about the target's limits).
    async fn prepare(&self, application_id: &str) -> Result<Option<AppContext>, String>;
}

/// Tuning; the defaults are the product's.
#[derive(Debug, Clone)]
pub struct EngineOptions {
    /// Who this process is, for leases.
    pub owner: String,
    pub lease: Duration,
    /// Quiet time after a change before an incremental cycle starts (bursts coalesce) …
    pub debounce: Duration,
    /// … but never more than this after the first change.
    pub max_debounce: Duration,
    /// Requests in flight per application at most.
    pub concurrency: usize,
    /// Escrow delays (seconds) after the 1st, 2nd, … failure of an object.
    pub retry_delays: Vec<u64>,
    /// Quarantine back-off (seconds) after the 1st, 2nd, … failed attempt.
    pub quarantine_delays: Vec<u64>,
    /// A cycle quarantines when at least half the objects it sent failed and at least this
    /// many did (so two bad users in a small tenant do not stop everyone else).
    pub quarantine_min_failures: u64,
    /// How often the supervisor looks for applications turned on or off.
    pub scan_interval: Duration,
    /// The portal's public URL, for links in notifications (empty: the links are paths).
    pub portal_url: String,
}

impl Default for EngineOptions {
    fn default() -> Self {
        EngineOptions {
            owner: format!("{}:{}", std::process::id(), uuid_like()),
            lease: Duration::from_secs(30),
            debounce: Duration::from_millis(200),
            max_debounce: Duration::from_secs(2),
            concurrency: 8,
            retry_delays: vec![60, 300, 900, 3600, 4 * 3600, 12 * 3600],
            quarantine_delays: vec![60, 5 * 60, 15 * 60, 3600, 4 * 3600, 12 * 3600, 24 * 3600],
            quarantine_min_failures: 5,
            scan_interval: Duration::from_secs(2),
            portal_url: String::new(),
        }
    }
}

fn uuid_like() -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default(),
    );
    format!("{:016x}", h.finish())
}

/// What happened, for pages that watch live.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EngineEvent {
    /// The job's state changed (command taken, paused, quarantined, cycle begun or ended).
    Job { application_id: String },
    /// A cycle made progress (after each page) or ended.
    Cycle { cycle: Box<CycleRecord> },
}

/// The engine: a supervisor and one task per application with provisioning on.
pub struct Engine {
    store: Arc<dyn Store>,
    host: Arc<dyn Host>,
    pub options: EngineOptions,
    events: broadcast::Sender<EngineEvent>,
    wakes: Mutex<HashMap<String, Arc<Notify>>>,
    running: Mutex<HashSet<String>>,
    shutdown: tokio::sync::watch::Sender<bool>,
}

/// What a job's step decided to wait for.
enum Next {
    /// Nothing due: wait for a change, a command or the timer.
    Wait(Duration),
    /// Something more is due now.
    Again,
    /// The application is not automatic any more.
    Exit,
}

impl Engine {
    pub fn new(store: Arc<dyn Store>, host: Arc<dyn Host>, options: EngineOptions) -> Arc<Engine> {
        let (events, _) = broadcast::channel(1024);
        let (shutdown, _) = tokio::sync::watch::channel(false);
        Arc::new(Engine {
            store,
            host,
            options,
            events,
            wakes: Mutex::new(HashMap::new()),
            running: Mutex::new(HashSet::new()),
            shutdown,
        })
    }

    /// Events for live pages.
    pub fn subscribe(&self) -> broadcast::Receiver<EngineEvent> {
        self.events.subscribe()
    }

    fn emit(&self, event: EngineEvent) {
        let _ = self.events.send(event);
    }

    fn wake_of(&self, application: &str) -> Arc<Notify> {
        let mut wakes = self.wakes.lock().unwrap_or_else(|e| e.into_inner());
        wakes
            .entry(application.to_string())
            .or_insert_with(|| Arc::new(Notify::new()))
            .clone()
    }

    /// Tells the application's job to look at its commands and state now.
    pub fn wake(&self, application: &str) {
        self.wake_of(application).notify_one();
        self.emit(EngineEvent::Job {
            application_id: application.to_string(),
        });
    }

    /// Stops every job after the page it is on.
    pub fn shutdown(&self) {
        let _ = self.shutdown.send(true);
        let wakes = self.wakes.lock().unwrap_or_else(|e| e.into_inner());
        for w in wakes.values() {
            w.notify_one();
        }
    }

    /// Starts the supervisor: every `scan_interval` it starts a task for each automatic
    /// application that has none.
    pub fn start(self: &Arc<Self>) -> tokio::task::JoinHandle<()> {
        let engine = self.clone();
        tokio::spawn(async move {
            let mut shutdown = engine.shutdown.subscribe();
            loop {
                match engine.host.automatic_applications().await {
                    Ok(apps) => {
                        for app in apps {
                            engine.ensure_task(&app);
                        }
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "listing applications to provision failed")
                    }
                }
                tokio::select! {
                    _ = tokio::time::sleep(engine.options.scan_interval) => {}
                    _ = shutdown.changed() => return,
                }
            }
        })
    }

    fn ensure_task(self: &Arc<Self>, application: &str) {
        {
            let mut running = self.running.lock().unwrap_or_else(|e| e.into_inner());
            if !running.insert(application.to_string()) {
                return;
            }
        }
        let engine = self.clone();
        let app = application.to_string();
        tokio::spawn(async move {
            engine.job_loop(&app).await;
            let mut running = engine.running.lock().unwrap_or_else(|e| e.into_inner());
            running.remove(&app);
        });
    }

    async fn job_loop(&self, app: &str) {
        let wake = self.wake_of(app);
        let mut feed = self.store.subscribe_changes();
        let mut shutdown = self.shutdown.subscribe();
        loop {
            if *shutdown.borrow() {
                let _ = self.store.release_job(app, &self.options.owner).await;
                return;
            }
            let now = Utc::now();
            let until = now + chrono::Duration::from_std(self.options.lease).unwrap_or_default();
            let next = match self
                .store
                .claim_job(app, &self.options.owner, now, until)
                .await
            {
                Ok(true) => match self.step(app).await {
                    Ok(next) => next,
                    Err(e) => {
                        tracing::error!(application = app, error = %e, "provisioning job failed");
                        Next::Wait(Duration::from_secs(5))
                    }
                },
                Ok(false) => Next::Wait(self.options.lease / 2),
                Err(StoreError::NotFound { .. }) => Next::Exit,
                Err(e) => {
                    tracing::error!(application = app, error = %e, "claiming a provisioning job failed");
                    Next::Wait(Duration::from_secs(5))
                }
            };
            match next {
                Next::Exit => {
                    let _ = self.store.release_job(app, &self.options.owner).await;
                    return;
                }
                Next::Again => continue,
                Next::Wait(d) => {
                    // Renew the lease before it runs out even when idle.
                    let d = d.min(self.options.lease / 2);
                    tokio::select! {
                        _ = wake.notified() => {}
                        _ = feed.changed() => {}
                        _ = tokio::time::sleep(d) => {}
                        _ = shutdown.changed() => {}
                    }
                }
            }
        }
    }

    /// One step of a job: at most one cycle.
    async fn step(&self, app: &str) -> Result<Next, StoreError> {
        let ctx = match self.host.prepare(app).await {
            Ok(Some(ctx)) => ctx,
            Ok(None) => return Ok(Next::Exit),
            Err(e) => {
                tracing::warn!(application = app, error = %e, "preparing provisioning failed");
                return Ok(Next::Wait(Duration::from_secs(30)));
            }
        };
        let store = self.store.as_ref();
        let command = store.take_command(app).await?;
        if command.is_some() {
            self.emit(EngineEvent::Job {
                application_id: app.to_string(),
            });
        }
        let now = Utc::now();
        match command {
            Some(JobCommand::DryRun) => {
                self.run_cycle(&ctx, "dry_run", None).await?;
                return Ok(Next::Again);
            }
            Some(JobCommand::Restart) | Some(JobCommand::RestartFull) => {
                store
                    .reset_job(app, command == Some(JobCommand::RestartFull))
                    .await?;
            }
            _ => {}
        }
        let job = store.job(app).await?;
        if job.paused {
            return Ok(Next::Wait(Duration::from_secs(60)));
        }
        if command == Some(JobCommand::AllowDeletes) {
            self.run_cycle(&ctx, "incremental", Some(Work::AllowDeletes))
                .await?;
            return Ok(Next::Again);
        }
        if let Some(q) = &job.quarantine {
            let forced = matches!(command, Some(JobCommand::Run));
            if q.next_attempt_at > now && !forced {
                let wait = (q.next_attempt_at - now).to_std().unwrap_or_default();
                return Ok(Next::Wait(wait));
            }
        }
        // A full cycle a crash or a pause interrupted resumes from its cursor.
        if let Some(id) = &job.current_cycle_id {
            if let Some(c) = store.cycle(id).await? {
                if c.status == "running" && (c.kind == "initial" || c.kind == "periodic") {
                    self.run_cycle(&ctx, &c.kind.clone(), Some(Work::Resume(Box::new(c))))
                        .await?;
                    return Ok(Next::Again);
                }
            }
        }
        let interval =
            chrono::Duration::minutes(i64::from(ctx.settings.cycle_interval_minutes.max(1)));
        match job.last_full_at {
            None => {
                self.run_cycle(&ctx, "initial", None).await?;
                return Ok(Next::Again);
            }
            Some(_) if ctx.app.full_sync_required => {
                self.run_cycle(&ctx, "initial", None).await?;
                return Ok(Next::Again);
            }
            Some(at) if at + interval <= now || command == Some(JobCommand::Run) => {
                self.run_cycle(&ctx, "periodic", None).await?;
                return Ok(Next::Again);
            }
            _ => {}
        }
        // Changes since the watermark, once the burst settles.
        let head = store.latest_change().await?;
        if head > job.watermark {
            self.settle_feed(head).await;
            let changes = store.changes_after(job.watermark, 5000).await?;
            if let Some(last) = changes.last().map(|c| c.seq) {
                let objects = self.affected(&ctx, &changes).await?;
                if objects.is_empty() {
                    store
                        .update_job(
                            app,
                            JobChange {
                                watermark: Some(last),
                                ..JobChange::default()
                            },
                        )
                        .await?;
                } else {
                    self.run_cycle(&ctx, "incremental", Some(Work::Changes(objects, last)))
                        .await?;
                }
                return Ok(Next::Again);
            }
        }
        // Retries that are due.
        let due = store.due_escrow(app, now, 1000).await?;
        if !due.is_empty() {
            let objects = due
                .into_iter()
                .map(|e| (e.object_type, e.source_id))
                .collect();
            self.run_cycle(&ctx, "incremental", Some(Work::Retry(objects)))
                .await?;
            return Ok(Next::Again);
        }
        // Nothing due: sleep until the periodic cycle or the next retry.
        let mut wait = job
            .last_full_at
            .map(|at| (at + interval - now).to_std().unwrap_or_default())
            .unwrap_or(Duration::from_secs(60));
        if let Some(e) = store.escrowed(app, 1).await?.first() {
            wait = wait.min((e.next_attempt_at - now).to_std().unwrap_or_default());
        }
        Ok(Next::Wait(wait.max(Duration::from_millis(50))))
    }

    /// Waits until no change arrived for `debounce` (at most `max_debounce`).
    async fn settle_feed(&self, mut head: i64) -> i64 {
        let started = tokio::time::Instant::now();
        let mut feed = self.store.subscribe_changes();
        loop {
            let left = self
                .options
                .max_debounce
                .saturating_sub(started.elapsed())
                .min(self.options.debounce);
            if left.is_zero() {
                return head;
            }
            match tokio::time::timeout(left, feed.changed()).await {
                Ok(Ok(())) => {
                    let now = *feed.borrow();
                    if now == head {
                        return head;
                    }
                    head = now;
                }
                _ => return head,
            }
        }
    }

    /// The objects a batch of changes concerns for this application, users first.
    async fn affected(
        &self,
        ctx: &AppContext,
        changes: &[Change],
    ) -> Result<Vec<(ObjectType, String)>, StoreError> {
        let mut users = Vec::new();
        let mut groups = Vec::new();
        let mut seen = HashSet::new();
        let groups_on = ctx.provisions_groups();
        let for_this_app = |c: &Change| {
            c.detail
                .as_ref()
                .and_then(|d| d.get("application"))
                .and_then(|a| a.as_str())
                == Some(ctx.app.id.as_str())
        };
        let mut push = |list: &mut Vec<(ObjectType, String)>, t: ObjectType, id: &str| {
            if seen.insert((t, id.to_string())) {
                list.push((t, id.to_string()));
            }
        };
        for c in changes {
            match (c.object_type, c.kind) {
                (_, ChangeKind::Assigned | ChangeKind::Unassigned) if !for_this_app(c) => {}
                (ObjectType::User, _) => push(&mut users, ObjectType::User, &c.object_id),
                (ObjectType::Group, ChangeKind::MemberAdded | ChangeKind::MemberRemoved) => {
                    let member = c.detail.as_ref().and_then(|d| d.get("member"));
                    let is_user = c
                        .detail
                        .as_ref()
                        .and_then(|d| d.get("memberType"))
                        .and_then(|t| t.as_str())
                        .is_none_or(|t| t == "user");
                    if let (Some(member), true) = (member.and_then(|m| m.as_str()), is_user) {
                        push(&mut users, ObjectType::User, member);
                    }
                    if groups_on {
                        push(&mut groups, ObjectType::Group, &c.object_id);
                    }
                }
                (ObjectType::Group, ChangeKind::Assigned | ChangeKind::Unassigned) => {
                    if let Some(gid) = GroupId::parse(&c.object_id) {
                        for m in user_members(self.store.as_ref(), gid).await? {
                            push(&mut users, ObjectType::User, &m);
                        }
                    }
                    if groups_on {
                        push(&mut groups, ObjectType::Group, &c.object_id);
                    }
                }
                (ObjectType::Group, _) => {
                    if groups_on {
                        push(&mut groups, ObjectType::Group, &c.object_id);
                    }
                }
            }
        }
        users.extend(groups);
        Ok(users)
    }

    /// Runs one cycle of `kind` and records how it ended, on the cycle and on the job.
    async fn run_cycle(
        &self,
        ctx: &AppContext,
        kind: &str,
        work: Option<Work>,
    ) -> Result<CycleRecord, StoreError> {
        let store = self.store.as_ref();
        let app = ctx.app.id.as_str();
        let assignments = Assignments::load(store, app).await?;
        let (record, resumed) = match work {
            Some(Work::Resume(ref c)) => ((**c).clone(), true),
            _ => (store.start_cycle(app, kind, 0).await?, false),
        };
        // The feed position a full cycle covers: later changes are handled incrementally. A
        // resumed cycle does not know where it began, so it covers nothing: changes since the
        // watermark are handled again (they are idempotent).
        let head = if resumed {
            store.job(app).await?.watermark
        } else {
            store.latest_change().await?
        };
        let full = kind == "initial" || kind == "periodic";
        if full && !resumed {
            store
                .update_job(
                    app,
                    JobChange {
                        current_cycle_id: Some(Some(record.id.clone())),
                        ..JobChange::default()
                    },
                )
                .await?;
        }
        self.emit(EngineEvent::Cycle {
            cycle: Box::new(record.clone()),
        });
        let mut cycle = Cycle::new(store, ctx, record, assignments);
        cycle.concurrency = self.options.concurrency;
        cycle.retry_delays = self.options.retry_delays.clone();
        let events = self.events.clone();
        cycle.on_progress = Some(Box::new(move |c: &CycleRecord| {
            let _ = events.send(EngineEvent::Cycle {
                cycle: Box::new(c.clone()),
            });
        }));
        // Renew the lease while the cycle runs.
        let renewer = {
            let store = self.store.clone();
            let owner = self.options.owner.clone();
            let lease = self.options.lease;
            let app = app.to_string();
            tokio::spawn(async move {
                loop {
                    tokio::time::sleep(lease / 3).await;
                    let now = Utc::now();
                    let until = now + chrono::Duration::from_std(lease).unwrap_or_default();
                    let _ = store.claim_job(&app, &owner, now, until).await;
                }
            })
        };
        let mut allowed = false;
        let mut watermark = None;
        let result = async {
            match work {
                None | Some(Work::Resume(_)) => cycle.full().await?,
                Some(Work::Changes(objects, last)) => {
                    cycle.record.total = objects.len() as u64;
                    cycle.objects(objects).await?;
                    watermark = Some(last);
                }
                Some(Work::Retry(objects)) => {
                    cycle.record.total = objects.len() as u64;
                    cycle.record.counters.retried = objects.len() as u64;
                    cycle.objects(objects).await?;
                }
                Some(Work::AllowDeletes) => allowed = true,
            }
            if cycle.stopped.is_none() {
                cycle.settle_removals(allowed).await?;
            }
            Ok::<(), StoreError>(())
        }
        .await;
        renewer.abort();
        result?;

        let mut record = cycle.record.clone();
        let stopped = cycle.stopped.clone();
        drop(cycle);
        let c = &record.counters;
        let sent = c.created + c.updated + c.disabled + c.deleted + c.failed;
        let failure_share =
            c.failed >= self.options.quarantine_min_failures && c.failed * 2 >= sent;
        let mut job_change = JobChange::default();
        let job = store.job(app).await?;
        record.ended_at = Some(Utc::now());
        match &stopped {
            Some(Stop::Interrupted) => {
                // Stays "running" with its cursor: the job resumes it.
                store.save_cycle_progress(&record).await?;
                self.emit(EngineEvent::Cycle {
                    cycle: Box::new(record.clone()),
                });
                return Ok(record);
            }
            Some(Stop::TargetWide { code, message }) => {
                record.status = "quarantined".into();
                record.message = message.clone();
                let q = self.quarantine(&job.quarantine, code, message);
                job_change
                    .notifications
                    .extend(crate::notify::quarantine_change(
                        ctx,
                        job.quarantine.as_ref(),
                        &q,
                        &self.options.portal_url,
                    ));
                job_change.quarantine = Some(Some(q));
                if full {
                    job_change.current_cycle_id = Some(None);
                }
            }
            None if failure_share && kind != "dry_run" => {
                record.status = "quarantined".into();
                let message = format!(
                    "{} of {} objects failed in this cycle; the most recent error: see the provisioning log.",
                    c.failed, sent
                );
                record.message = message.clone();
                let q = self.quarantine(&job.quarantine, "ENG-FAILURE-RATE", &message);
                job_change
                    .notifications
                    .extend(crate::notify::quarantine_change(
                        ctx,
                        job.quarantine.as_ref(),
                        &q,
                        &self.options.portal_url,
                    ));
                job_change.quarantine = Some(Some(q));
                if full {
                    job_change.current_cycle_id = Some(None);
                    job_change.last_full_at = Some(Some(Utc::now()));
                    job_change.watermark = Some(head.max(job.watermark));
                }
                if let Some(w) = watermark {
                    job_change.watermark = Some(w);
                }
            }
            None => {
                let held = store.count_staged(app).await?;
                if held > 0 && kind != "dry_run" {
                    record.status = "too_many_deletes".into();
                    record.message = format!(
                        "{held} disables or deletes are held: more than the threshold of {}. Allow them, or fix the assignments or scoping filters that caused them.",
                        ctx.settings.deletion_threshold
                    );
                } else {
                    record.status = "completed".into();
                }
                if kind != "dry_run" {
                    job_change.quarantine = Some(None);
                    // Held deletes are told when they begin to be held, not at every cycle
                    // that still holds them.
                    match (held > 0, job.deletes_held_since) {
                        (true, None) => {
                            job_change.deletes_held_since = Some(Some(Utc::now()));
                            job_change.notifications.extend(crate::notify::deletes_held(
                                ctx,
                                held,
                                &self.options.portal_url,
                            ));
                        }
                        (false, Some(_)) => job_change.deletes_held_since = Some(None),
                        _ => {}
                    }
                }
                if full {
                    job_change.current_cycle_id = Some(None);
                    job_change.last_full_at = Some(Some(Utc::now()));
                    job_change.watermark = Some(head.max(job.watermark));
                    if ctx.app.full_sync_required {
                        store.clear_full_sync(app, ctx.app.version).await?;
                    }
                }
                if let Some(w) = watermark {
                    job_change.watermark = Some(w);
                }
            }
        }
        if kind == "dry_run" {
            job_change = JobChange::default();
            if record.status == "quarantined" {
                record.status = "failed".into();
            }
        }
        store.finish_cycle(&record).await?;
        store.update_job(app, job_change).await?;
        self.emit(EngineEvent::Cycle {
            cycle: Box::new(record.clone()),
        });
        self.emit(EngineEvent::Job {
            application_id: app.to_string(),
        });
        Ok(record)
    }

    /// The quarantine after one more failed attempt.
    fn quarantine(&self, current: &Option<Quarantine>, code: &str, reason: &str) -> Quarantine {
        let now = Utc::now();
        let attempts = current.as_ref().map_or(0, |q| q.attempts) + 1;
        let delays = &self.options.quarantine_delays;
        let delay = delays
            .get(attempts as usize - 1)
            .or(delays.last())
            .copied()
            .unwrap_or(3600);
        Quarantine {
            code: code.to_string(),
            reason: reason.to_string(),
            since: current.as_ref().map_or(now, |q| q.since),
            attempts,
            next_attempt_at: now + chrono::Duration::seconds(delay as i64),
        }
    }

    /// Runs the job's due work once, now, in this task (tests and benchmarks drive the engine
    /// with it instead of the background tasks). Returns the cycles it ran.
    pub async fn run_until_idle(&self, app: &str) -> Result<Vec<CycleRecord>, StoreError> {
        let mut cycles = Vec::new();
        let before = self
            .store
            .cycles(app, 1)
            .await?
            .first()
            .map(|c| c.id.clone());
        for _ in 0..20 {
            match self.step(app).await? {
                Next::Again => {}
                Next::Wait(_) | Next::Exit => break,
            }
        }
        for c in self.store.cycles(app, 50).await? {
            if Some(&c.id) == before.as_ref() {
                break;
            }
            cycles.push(c);
        }
        cycles.reverse();
        Ok(cycles)
    }
}

/// What a cycle works on besides the whole directory.
enum Work {
    Resume(Box<CycleRecord>),
    Changes(Vec<(ObjectType, String)>, i64),
    Retry(Vec<(ObjectType, String)>),
    AllowDeletes,
}
