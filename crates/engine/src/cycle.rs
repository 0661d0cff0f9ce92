//! Cycles: many objects through [`crate::provision`], with counters, progress, escrow and the
//! accidental-deletion threshold.
//!
//! - [`Cycle::full`] visits the whole directory: users in id order, page by page, joined with
//!   the links in the same id range (so users gone from the directory are found without
//!   holding the directory in memory), then groups the same way, then the users whose manager
//!   could not be resolved in the first pass. After every page the cursor is saved: a cycle
//!   interrupted by a crash or a pause resumes where it was.
//! - [`Cycle::objects`] runs named objects (from the change feed, escrow or staged removals).
//!
//! Disables and deletes are held (staged) while the cycle runs; at its end they are sent when
//! there are no more than the threshold (or an admin allowed them), and otherwise stay staged
//! and the cycle ends `too_many_deletes`.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use futures::stream::{self, StreamExt};
use steward_store::{
    Cycle as CycleRecord, GroupId, Link, ObjectType, Staged, Store, StoreError, UserBasis, UserId,
};

use crate::listing::{TargetIndex, LIST_PAGE, MAX_LISTED};
use crate::object::user_members;
use crate::{provision, AppContext, Assignments, Outcome, RunOptions, Subject};

/// Objects read from the directory per page.
const PAGE: u32 = 250;

/// What follows a page.
enum PageEnd {
    Next,
    /// The page was empty: the phase is done.
    Last,
    /// The cycle stops (see [`Cycle::stopped`]).
    Stop,
}

/// How often a run of pages that changed nothing saves its progress (and looks for a pause).
const QUIET_SAVE: Duration = Duration::from_millis(250);

/// What a cycle sent or recorded so far (all but skips): grows with every page that did
/// something.
fn acted(c: &steward_store::CycleCounters) -> u64 {
    c.created + c.updated + c.disabled + c.deleted + c.failed + c.retried + c.staged
}

/// Why a cycle stopped before its end.
#[derive(Debug, Clone, PartialEq)]
pub enum Stop {
    /// A failure that concerns the whole target (credentials, address).
    TargetWide { code: String, message: String },
    /// The job was paused (or another command arrived); resume from the cursor.
    Interrupted,
}

/// Told of a cycle's progress after each page.
pub type ProgressFn<'a> = Box<dyn Fn(&CycleRecord) + Send + Sync + 'a>;

/// A cycle being run.
pub struct Cycle<'a> {
    pub store: &'a dyn Store,
    pub ctx: &'a AppContext,
    pub record: CycleRecord,
    pub opts: RunOptions,
    pub assignments: Assignments,
    /// Requests in flight to the target at most (the connector may allow fewer).
    pub concurrency: usize,
    /// Escrow delays (seconds) after the 1st, 2nd, … failure of an object.
    pub retry_delays: Vec<u64>,
    /// Users whose manager was not provisioned yet when they were.
    unresolved: Vec<String>,
    /// Called after each page with the progress so far.
    pub on_progress: Option<ProgressFn<'a>>,
    pub stopped: Option<Stop>,
    /// Whether the first object went alone already.
    probed: bool,
    /// Users the managers' pass handled (one in 50 in a typical directory): the users' pass
    /// leaves them out.
    handled: HashSet<UserId>,
    /// When the progress was last saved, and [`acted`] then.
    saved: Option<(Instant, u64)>,
    /// Whether an object may have an escrow entry to clear (some had when the cycle began,
    /// or one failed since): otherwise successes skip that write.
    escrow_possible: Option<Arc<AtomicBool>>,
}

impl<'a> Cycle<'a> {
    pub fn new(
        store: &'a dyn Store,
        ctx: &'a AppContext,
        record: CycleRecord,
        assignments: Assignments,
    ) -> Cycle<'a> {
        let opts = RunOptions {
            dry_run: record.kind == "dry_run",
            cycle_id: Some(record.id.clone()),
            stage_removals: record.kind != "dry_run",
            record_noops: false,
            empty_in_target: Vec::new(),
            listed: Vec::new(),
            defer_log: true,
            // A mapping that reads the clock can give a new value to an unchanged user.
            trust_basis: record.kind != "dry_run" && !ctx.mappings.users.reads_clock(),
            on_step: None,
        };
        Cycle {
            store,
            ctx,
            record,
            opts,
            assignments,
            concurrency: 8,
            retry_delays: vec![60, 300, 900, 3600, 4 * 3600, 12 * 3600],
            unresolved: Vec::new(),
            on_progress: None,
            stopped: None,
            probed: false,
            handled: Default::default(),
            saved: None,
            escrow_possible: None,
        }
    }

    fn app(&self) -> &str {
        &self.ctx.app.id
    }

    /// Counts an outcome.
    fn count(&mut self, o: &Outcome) {
        let c = &mut self.record.counters;
        if o.in_scope {
            c.in_scope += 1;
        }
        // A dry run counts what it would have sent (each such entry is "skipped": not sent).
        let done = |status: &str| status == "success" || self.opts.dry_run && status == "skipped";
        match (o.action, o.status) {
            (_, "failure") => c.failed += 1,
            ("create", s) if done(s) => c.created += 1,
            ("update", s) if done(s) => c.updated += 1,
            ("disable", s) if done(s) => c.disabled += 1,
            ("delete", s) if done(s) => c.deleted += 1,
            ("staged_delete", _) => c.staged += 1,
            _ => c.skipped += 1,
        }
        if o.unresolved_references && o.object_type == ObjectType::User {
            self.unresolved.push(o.source_id.clone());
        }
        if o.status == "failure" && o.target_wide && self.stopped.is_none() {
            self.stopped = Some(Stop::TargetWide {
                code: o.error_code.clone().unwrap_or_default(),
                message: o.message.clone(),
            });
        }
    }

    /// Provisions the subjects and accounts for each. The first object of a cycle goes
    /// alone (a target that refuses the credentials costs one request, not one per object
    /// in flight); the rest `concurrency` at a time. After a failure that concerns the whole
    /// target no further object is started.
    async fn run(&mut self, subjects: Vec<Subject>) -> Result<(), StoreError> {
        let mut subjects = subjects.into_iter();
        if !self.probed {
            if let Some(first) = subjects.next() {
                self.probed = true;
                self.run_batch(vec![first], 1).await?;
            }
        }
        let concurrency = self.concurrency.max(1);
        self.run_batch(subjects.collect(), concurrency).await
    }

    async fn run_batch(
        &mut self,
        subjects: Vec<Subject>,
        concurrency: usize,
    ) -> Result<(), StoreError> {
        if subjects.is_empty() || self.stopped.is_some() {
            return Ok(());
        }
        let stop = AtomicBool::new(false);
        let escrow_possible = match &self.escrow_possible {
            Some(flag) => flag.clone(),
            None => {
                let any = !self.store.escrowed(self.app(), 1).await?.is_empty();
                let flag = Arc::new(AtomicBool::new(any));
                self.escrow_possible = Some(flag.clone());
                flag
            }
        };
        let cycle_id = self.record.id.clone();
        let retry_delays = self.retry_delays.clone();
        let run_opts = self.opts.clone();
        let effects = Effects {
            store: self.store,
            app: &self.ctx.app.id,
            cycle_id: &cycle_id,
            retry_delays: &retry_delays,
            dry_run: self.opts.dry_run,
            escrow_possible: &escrow_possible,
        };
        let (store, ctx, opts, stop, effects) = (self.store, self.ctx, &run_opts, &stop, &effects);
        let mut results = stream::iter(subjects.into_iter().map(|s| async move {
            if stop.load(Ordering::Relaxed) {
                return None;
            }
            let outcome = match provision(store, ctx, opts, &s).await {
                Ok(o) => o,
                Err(e) => return Some(Err(e)),
            };
            if outcome.status == "failure" && outcome.target_wide {
                stop.store(true, Ordering::Relaxed);
            }
            Some(effects.apply(&outcome).await.map(|()| outcome))
        }))
        .buffer_unordered(concurrency);
        let mut first_error = None;
        let mut logs = Vec::new();
        let mut links = Vec::new();
        while let Some(result) = results.next().await {
            match result {
                None => {}
                Some(Ok(mut o)) => {
                    if let Some(entry) = o.pending_log.take() {
                        logs.push(entry);
                    }
                    if let Some(write) = o.pending_link.take() {
                        links.push(write);
                    }
                    self.count(&o);
                    self.record.done += 1;
                }
                Some(Err(e)) => {
                    first_error.get_or_insert(e);
                }
            }
        }
        drop(results);
        // The page's links in one transaction. Should the process die before, the page runs
        // again after restart and matches the accounts it created instead of creating them
        // twice (no link means the object is matched first).
        match self.store.save_links(&links).await {
            Ok(refused) => {
                for (source_id, e) in refused {
                    tracing::warn!(application = %self.app(), source_id, error = %e, "link not saved; the next cycle matches the account again");
                }
            }
            Err(e) => {
                first_error.get_or_insert(e);
            }
        }
        if let Err(e) = self.store.record_provisioning_batch(logs).await {
            first_error.get_or_insert(e);
        }
        match first_error {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    /// After a page of `phase`: saves the cursor at its last id, and says whether to go on.
    async fn end_page(
        &mut self,
        phase: &str,
        last: Option<String>,
        after: &mut String,
    ) -> Result<PageEnd, StoreError> {
        let Some(last) = last else {
            return Ok(PageEnd::Last);
        };
        *after = last;
        // A page that sent or recorded nothing (a no-op cycle is all such pages) saves its
        // cursor and looks for a pause at most every QUIET_SAVE: resuming from an earlier
        // cursor only looks again at unchanged users, and the counters saved with it match it.
        let acted = acted(&self.record.counters);
        let quiet = self.stopped.is_none()
            && self
                .saved
                .is_some_and(|(at, before)| before == acted && at.elapsed() < QUIET_SAVE);
        if quiet {
            return Ok(PageEnd::Next);
        }
        self.save(format!("{phase}:{after}")).await?;
        if self.stopped.is_some() {
            return Ok(PageEnd::Stop);
        }
        if self.interrupted().await? {
            self.stopped = Some(Stop::Interrupted);
            return Ok(PageEnd::Stop);
        }
        Ok(PageEnd::Next)
    }

    /// Whether an admin paused or restarted the job since the cycle began (read from the
    /// store, so it holds whichever process the admin reached).
    async fn interrupted(&self) -> Result<bool, StoreError> {
        let job = self.store.job(self.app()).await?;
        Ok(self.record.kind != "dry_run" && job.paused
            || matches!(
                job.command,
                Some(steward_store::JobCommand::Restart | steward_store::JobCommand::RestartFull)
            ))
    }

    fn progress(&self) {
        if let Some(f) = &self.on_progress {
            f(&self.record);
        }
    }

    async fn save(&mut self, cursor: String) -> Result<(), StoreError> {
        self.record.cursor = Some(cursor);
        self.store.save_cycle_progress(&self.record).await?;
        self.saved = Some((Instant::now(), acted(&self.record.counters)));
        self.progress();
        Ok(())
    }

    /// The initial or periodic cycle over the whole directory, from the saved cursor on.
    /// Between pages it stops when the job was paused or restarted meanwhile.
    pub async fn full(&mut self) -> Result<(), StoreError> {
        let cursor = self.record.cursor.clone().unwrap_or_default();
        let (phase, after) = cursor.split_once(':').unwrap_or(("manager", ""));
        let mut after = after.to_string();
        if self.record.total == 0 {
            let users = self.store.users_page(None, false, 0, 0).await?.total;
            let groups = if self.ctx.provisions_groups() {
                self.store.groups_page(0, 0).await?.total
            } else {
                0
            };
            self.record.total = (users + groups).max(0) as u64;
        }
        self.survey_target().await?;
        if self.stopped.is_some() {
            return Ok(());
        }
        if phase == "manager" {
            // Managers first, so their reports find their accounts and are sent complete,
            // instead of being sent again for the manager in a second pass.
            loop {
                let ids = self.store.manager_ids(UserId::parse(&after), PAGE).await?;
                let last = ids.last().map(|id| id.to_string());
                let page = self.store.user_bases(self.app(), &ids).await?;
                let (rest, linked) = self.unchanged_left_out(&page).await?;
                // The links of the managers left to run, when one of them has any.
                let links: BTreeMap<String, Link> = if linked {
                    let ids: Vec<String> = rest.iter().map(|(id, _)| id.to_string()).collect();
                    self.store
                        .links(self.app(), ObjectType::User, &ids)
                        .await?
                        .into_iter()
                        .map(|l| (l.source_id.clone(), l))
                        .collect()
                } else {
                    BTreeMap::new()
                };
                let (subjects, _) = self.user_subjects(&rest, links).await?;
                self.handled.extend(page.iter().map(|u| u.id));
                self.run(subjects).await?;
                match self.end_page("manager", last, &mut after).await? {
                    PageEnd::Next => {}
                    PageEnd::Last => break,
                    PageEnd::Stop => return Ok(()),
                }
            }
            after.clear();
            self.save("user:".into()).await?;
        }
        if phase == "manager" || phase == "user" {
            loop {
                let page = self
                    .store
                    .scan_user_bases(self.app(), UserId::parse(&after), PAGE)
                    .await?;
                let last = page.last().map(|u| u.id.to_string());
                let (rest, changed_links) = self.unchanged_left_out(&page).await?;
                // The page's links are read only when some linked user changed, or when there
                // are more links in the id range than linked users (some users are gone).
                let gone_possible = match &last {
                    None => true,
                    Some(last) => {
                        let linked = page.iter().filter(|u| u.linked).count() as u64;
                        self.store
                            .count_links_between(self.app(), ObjectType::User, &after, last)
                            .await?
                            > linked
                    }
                };
                let links = if changed_links || gone_possible {
                    self.links_between(ObjectType::User, &after, last.as_deref())
                        .await?
                } else {
                    BTreeMap::new()
                };
                let (mut subjects, mut links) = self.user_subjects(&rest, links).await?;
                for u in &page {
                    links.remove(&u.id.to_string());
                }
                // Linked users not in the directory any more (recycle bin or deleted).
                for (id, link) in links {
                    subjects.push(Subject::gone(ObjectType::User, id, link));
                }
                self.run(subjects).await?;
                match self.end_page("user", last, &mut after).await? {
                    PageEnd::Next => {}
                    PageEnd::Last => break,
                    PageEnd::Stop => return Ok(()),
                }
            }
            after.clear();
            self.save("group:".into()).await?;
        }
        if matches!(phase, "manager" | "user" | "group") {
            if self.ctx.provisions_groups() {
                loop {
                    let groups = self
                        .store
                        .scan_groups(GroupId::parse(&after), PAGE, None)
                        .await?;
                    let last = groups.last().map(|g| g.id.to_string());
                    let mut links = self
                        .links_between(ObjectType::Group, &after, last.as_deref())
                        .await?;
                    let mut subjects = Vec::with_capacity(groups.len());
                    for group in groups {
                        let id = group.id.to_string();
                        subjects.push(Subject {
                            object_type: ObjectType::Group,
                            assigned: self.assignments.group_assigned(&id),
                            active: true,
                            version: None,
                            link: links.remove(&id),
                            members: user_members(self.store, group.id).await?,
                            resource: Some(group.to_scim()),
                            id,
                            references: Default::default(),
                            references_complete: false,
                        });
                    }
                    for (id, link) in links {
                        subjects.push(Subject::gone(ObjectType::Group, id, link));
                    }
                    self.run(subjects).await?;
                    match self.end_page("group", last, &mut after).await? {
                        PageEnd::Next => {}
                        PageEnd::Last => break,
                        PageEnd::Stop => return Ok(()),
                    }
                }
            }
            self.save("references:".into()).await?;
        }
        // Second pass: users whose manager had no account yet when they were provisioned.
        // They were counted in the first.
        let again = std::mem::take(&mut self.unresolved);
        let objects: Vec<(ObjectType, String)> =
            again.into_iter().map(|id| (ObjectType::User, id)).collect();
        let (done, in_scope, skipped) = (
            self.record.done,
            self.record.counters.in_scope,
            self.record.counters.skipped,
        );
        self.objects(objects).await?;
        self.record.done = done;
        self.record.counters.in_scope = in_scope;
        self.record.counters.skipped = skipped;
        self.unresolved.clear();
        self.save("done:".into()).await?;
        Ok(())
    }

    /// For each object type none of which is linked yet, asks the target how many it holds
    /// (one list request): none, and the cycle sends no lookup per object; some, and when
    /// reading them all costs fewer requests than a lookup per directory object, they are
    /// read once into a [`TargetIndex`] that matching uses instead.
    async fn survey_target(&mut self) -> Result<(), StoreError> {
        if self.opts.dry_run {
            return Ok(());
        }
        let mut types = vec![ObjectType::User];
        if self.ctx.provisions_groups() {
            types.push(ObjectType::Group);
        }
        for t in types {
            let in_directory = match t {
                ObjectType::User => self.store.users_page(None, false, 0, 0).await?.total,
                // Only assigned groups are provisioned when the scope is the assigned ones.
                ObjectType::Group if self.ctx.settings.assigned_only() => {
                    self.assignments.group_count() as i64
                }
                ObjectType::Group => self.store.groups_page(0, 0).await?.total,
            }
            .max(0) as u64;
            // No object of the type in the directory (or in scope): nothing to match, no need
            // to ask.
            if in_directory == 0 {
                continue;
            }
            if !self
                .store
                .scan_links(self.app(), t, None, None, 1)
                .await?
                .is_empty()
            {
                continue;
            }
            let object = match t {
                ObjectType::User => steward_connect::TargetObject::Users,
                ObjectType::Group => steward_connect::TargetObject::Groups,
            };
            match self.ctx.connector.list(object, 1, 1).await {
                Ok(page) if page.resources.is_empty() && page.total.unwrap_or(0) == 0 => {
                    self.opts.empty_in_target.push(t);
                }
                Ok(page) => {
                    let in_target = page.total.unwrap_or(u64::MAX);
                    if in_target <= MAX_LISTED
                        && in_target.div_ceil(u64::from(LIST_PAGE)) < in_directory
                    {
                        if let Some(index) = self.read_target(t, object, in_target).await {
                            self.opts.listed.push(Arc::new(index));
                        }
                    }
                }
                // The credentials or the address are wrong: no object will get through.
                Err(e) if crate::object::is_target_wide(&e) => {
                    let end = crate::failed("skip", None, &e);
                    self.stopped = Some(Stop::TargetWide {
                        code: end.error_code.unwrap_or_default(),
                        message: end.message,
                    });
                    return Ok(());
                }
                // Listing is not supported or failed: look each object up instead.
                Err(_) => {}
            }
        }
        Ok(())
    }

    /// Reads the target's objects of one type into an index by the matching attributes;
    /// `None` (each object is then looked up) when a matching attribute cannot be indexed or
    /// a page fails.
    async fn read_target(
        &self,
        t: ObjectType,
        object: steward_connect::TargetObject,
        total: u64,
    ) -> Option<TargetIndex> {
        let mapping = match t {
            ObjectType::User => &self.ctx.mappings.users,
            ObjectType::Group => self.ctx.mappings.groups.as_ref()?,
        };
        let paths: Vec<&str> = mapping
            .matching_in_order()
            .iter()
            .map(|m| m.target.as_str())
            .collect();
        let mapped: Vec<&str> = mapping
            .attributes
            .iter()
            .map(|a| a.target.as_str())
            .collect();
        let mut index = TargetIndex::new(t, &paths, &mapped)?;
        let started = std::time::Instant::now();
        let mut start = 1u64;
        let mut requests = 0u32;
        while start <= total {
            let page = match self.ctx.connector.list(object, start, LIST_PAGE).await {
                Ok(page) => page,
                Err(e) => {
                    tracing::warn!(application = %self.app(), object_type = t.as_str(), error = %e.detail, "reading the target for matching failed; looking objects up one by one instead");
                    return None;
                }
            };
            requests += 1;
            if page.resources.is_empty() {
                break;
            }
            start += page.resources.len() as u64;
            for r in &page.resources {
                index.add(r);
            }
        }
        tracing::info!(
            application = %self.app(),
            object_type = t.as_str(),
            objects = index.objects,
            requests,
            ms = started.elapsed().as_millis() as u64,
            "read the target's existing objects for matching"
        );
        Some(index)
    }

    /// Runs the named objects (read one by one).
    pub async fn objects(&mut self, objects: Vec<(ObjectType, String)>) -> Result<(), StoreError> {
        for chunk in objects.chunks(PAGE as usize) {
            let mut subjects = Vec::with_capacity(chunk.len());
            for (object_type, id) in chunk {
                subjects.push(
                    Subject::load(self.store, self.app(), *object_type, id, &self.assignments)
                        .await?,
                );
            }
            self.run(subjects).await?;
            self.progress();
            if self.stopped.is_some() {
                break;
            }
        }
        Ok(())
    }

    /// Counts and leaves out the users of a page whose link says nothing changed since their
    /// last complete run, and those not assigned and never provisioned; users handled earlier
    /// in the cycle (the managers' pass) are left out uncounted. The rest (ids, and whether
    /// each is assigned), and whether one of them is linked.
    async fn unchanged_left_out(
        &mut self,
        page: &[UserBasis],
    ) -> Result<(Vec<(UserId, bool)>, bool), StoreError> {
        let mut rest = Vec::new();
        let mut linked = false;
        for u in page {
            if self.handled.contains(&u.id) {
                continue;
            }
            let assigned = u.assigned;
            // Not assigned and never provisioned: there is nothing to send, so nothing to read.
            if !assigned && self.ctx.settings.assigned_only() && !u.linked {
                self.record.counters.skipped += 1;
                self.record.done += 1;
                continue;
            }
            if self.opts.trust_basis && u.linked {
                let now = crate::object::basis(u.version, self.ctx.app.version, assigned);
                if u.basis.as_deref() == Some(now.as_str()) {
                    self.record.counters.skipped += 1;
                    self.record.counters.in_scope += u64::from(u.active);
                    self.record.done += 1;
                    continue;
                }
            }
            linked |= u.linked;
            rest.push((u.id, assigned));
        }
        Ok((rest, linked))
    }

    /// The subjects for users left to run (ids, and whether each is assigned), read in full,
    /// with their links taken out of `links`; what remains of `links` is returned.
    async fn user_subjects(
        &mut self,
        rest: &[(UserId, bool)],
        mut links: BTreeMap<String, Link>,
    ) -> Result<(Vec<Subject>, BTreeMap<String, Link>), StoreError> {
        let ids: Vec<UserId> = rest.iter().map(|(id, _)| *id).collect();
        let assigned_of: HashMap<UserId, bool> = rest.iter().copied().collect();
        let users = self.store.users_by_ids(&ids).await?;
        let mut subjects = Vec::with_capacity(users.len());
        for user in users {
            let id = user.id.to_string();
            subjects.push(Subject {
                object_type: ObjectType::User,
                assigned: assigned_of.get(&user.id).copied().unwrap_or(false),
                active: user.active,
                version: Some(user.version),
                link: links.remove(&id),
                resource: Some(user.to_scim()),
                id,
                members: Vec::new(),
                references: Default::default(),
                references_complete: false,
            });
        }
        self.resolve_managers(&mut subjects).await?;
        Ok((subjects, links))
    }

    /// Reads the accounts of the page's managers in one query.
    async fn resolve_managers(&self, subjects: &mut [Subject]) -> Result<(), StoreError> {
        const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
        let manager = |s: &Subject| {
            s.resource
                .as_ref()
                .and_then(|r| r.get(ENTERPRISE))
                .and_then(|e| e.get("manager"))
                .and_then(|m| m.get("value"))
                .and_then(|v| v.as_str())
                .map(str::to_string)
        };
        let mut ids: Vec<String> = subjects.iter().filter_map(manager).collect();
        ids.sort();
        ids.dedup();
        let targets: HashMap<String, String> = self
            .store
            .links(self.app(), ObjectType::User, &ids)
            .await?
            .into_iter()
            .map(|l| (l.source_id, l.target_id))
            .collect();
        for s in subjects.iter_mut() {
            if let Some(m) = manager(s) {
                if let Some(t) = targets.get(&m) {
                    s.references.insert(m, t.clone());
                }
            }
            s.references_complete = true;
        }
        Ok(())
    }

    /// The links with a source id after `after` and up to `upto` (to the end when `None`).
    async fn links_between(
        &self,
        object_type: ObjectType,
        after: &str,
        upto: Option<&str>,
    ) -> Result<BTreeMap<String, Link>, StoreError> {
        let mut out = BTreeMap::new();
        let mut from = after.to_string();
        loop {
            let page = self
                .store
                .scan_links(self.app(), object_type, Some(&from), upto, 1000)
                .await?;
            let full = page.len() == 1000;
            for link in page {
                if upto.is_some_and(|u| link.source_id.as_str() > u) {
                    return Ok(out);
                }
                from = link.source_id.clone();
                out.insert(link.source_id.clone(), link);
            }
            if !full {
                return Ok(out);
            }
        }
    }

    /// Ends the cycle's removals: sends the staged disables and deletes when there are no more
    /// than the threshold (or `allowed`), else leaves them staged. Returns how many are held.
    pub async fn settle_removals(&mut self, allowed: bool) -> Result<u64, StoreError> {
        if self.opts.dry_run {
            return Ok(0);
        }
        let staged = self.store.count_staged(self.app()).await?;
        let settings = &self.ctx.settings;
        if staged == 0 {
            return Ok(0);
        }
        if !allowed
            && settings.prevent_accidental_deletion
            && staged > u64::from(settings.deletion_threshold)
        {
            return Ok(staged);
        }
        let saved = self.opts.clone();
        let done = self.record.done;
        self.opts.stage_removals = false;
        let result = async {
            loop {
                let batch = self.store.staged(self.app(), PAGE).await?;
                if batch.is_empty() {
                    return Ok(0);
                }
                let objects: Vec<(ObjectType, String)> = batch
                    .iter()
                    .map(|s| (s.object_type, s.source_id.clone()))
                    .collect();
                self.objects(objects).await?;
                for s in &batch {
                    self.store
                        .unstage(self.app(), s.object_type, &s.source_id)
                        .await?;
                }
                if self.stopped.is_some() {
                    return self.store.count_staged(self.app()).await;
                }
            }
        }
        .await;
        self.opts = saved;
        self.record.done = done;
        if let Ok(held) = result {
            self.record.counters.staged = held;
        }
        result
    }
}

/// What an outcome leaves in the store besides its log entry: a held removal, an escrow
/// entry for a failure (not for failures of the whole target: those quarantine the job), the
/// escrow cleared after a success.
struct Effects<'a> {
    store: &'a dyn Store,
    app: &'a str,
    cycle_id: &'a str,
    retry_delays: &'a [u64],
    dry_run: bool,
    escrow_possible: &'a AtomicBool,
}

impl Effects<'_> {
    async fn apply(&self, o: &Outcome) -> Result<(), StoreError> {
        if self.dry_run {
            return Ok(());
        }
        if let (Some(removal), Some(target_id)) = (&o.removal, &o.target_id) {
            self.store
                .stage(
                    self.app,
                    &Staged {
                        object_type: o.object_type,
                        source_id: o.source_id.clone(),
                        source_name: o.source_name.clone(),
                        target_id: target_id.clone(),
                        action: removal.action.to_string(),
                        reason: removal.reason.clone(),
                        cycle_id: self.cycle_id.to_string(),
                        staged_at: Utc::now(),
                    },
                )
                .await?;
        }
        if o.status == "failure" {
            if !o.target_wide {
                self.escrow_possible.store(true, Ordering::Relaxed);
                self.store
                    .escrow(
                        self.app,
                        steward_store::Failed {
                            object_type: o.object_type,
                            source_id: &o.source_id,
                            error_code: o.error_code.as_deref(),
                            message: &o.message,
                        },
                        Utc::now(),
                        self.retry_delays,
                    )
                    .await?;
            }
        } else if self.escrow_possible.load(Ordering::Relaxed) {
            self.store
                .clear_escrow(self.app, o.object_type, &o.source_id)
                .await?;
        }
        Ok(())
    }
}

impl Subject {
    /// An object gone from the directory that still has a link.
    pub fn gone(object_type: ObjectType, id: String, link: Link) -> Subject {
        Subject {
            object_type,
            id,
            resource: None,
            active: false,
            version: None,
            assigned: false,
            link: Some(link),
            members: Vec::new(),
            references: Default::default(),
            references_complete: false,
        }
    }
}
