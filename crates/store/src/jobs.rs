//! What the provisioning engine's jobs persist: the job of each application (lease, watermark,
//! pending command, quarantine), its cycles with counters and progress, per-object retries
//! (escrow), disables and deletes held back by the threshold, and group members last sent.

use crate::{Link, NewNotification, ObjectType, StoreResult, UserId};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A command an admin gave a job, taken by the worker that holds it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobCommand {
    /// Run a cycle now instead of waiting.
    Run,
    /// Clear the watermark, retries and quarantine, and run an initial cycle.
    Restart,
    /// As `Restart`, and also forget the links: every object is matched again.
    RestartFull,
    /// Send the disables and deletes held back by the threshold.
    AllowDeletes,
    /// A cycle that records what it would send and sends nothing.
    DryRun,
}

impl JobCommand {
    pub fn as_str(self) -> &'static str {
        match self {
            JobCommand::Run => "run",
            JobCommand::Restart => "restart",
            JobCommand::RestartFull => "restart_full",
            JobCommand::AllowDeletes => "allow_deletes",
            JobCommand::DryRun => "dry_run",
        }
    }

    pub fn parse(s: &str) -> Option<JobCommand> {
        [
            JobCommand::Run,
            JobCommand::Restart,
            JobCommand::RestartFull,
            JobCommand::AllowDeletes,
            JobCommand::DryRun,
        ]
        .into_iter()
        .find(|c| c.as_str() == s)
    }

    /// When two commands are pending, the one that does more wins.
    fn rank(self) -> u8 {
        match self {
            JobCommand::Run => 0,
            JobCommand::DryRun => 1,
            JobCommand::AllowDeletes => 2,
            JobCommand::Restart => 3,
            JobCommand::RestartFull => 4,
        }
    }

    /// The command to keep when `other` arrives while `self` is pending.
    pub fn merge(self, other: JobCommand) -> JobCommand {
        if other.rank() >= self.rank() {
            other
        } else {
            self
        }
    }
}

/// Why and since when a job is quarantined, and when it tries again.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Quarantine {
    pub code: String,
    pub reason: String,
    pub since: DateTime<Utc>,
    /// Attempts made in quarantine so far (the back-off step).
    pub attempts: u32,
    pub next_attempt_at: DateTime<Utc>,
}

/// One application's provisioning job.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Job {
    pub application_id: String,
    pub paused: bool,
    /// The last change-feed sequence number fully handled.
    pub watermark: i64,
    pub lease_owner: Option<String>,
    pub lease_until: Option<DateTime<Utc>>,
    pub command: Option<JobCommand>,
    pub quarantine: Option<Quarantine>,
    /// When the last initial or periodic cycle completed.
    pub last_full_at: Option<DateTime<Utc>>,
    pub current_cycle_id: Option<String>,
    /// Since when cycles end holding disables and deletes back (the threshold); `None` while
    /// none are held. The notification of held deletes is sent when this becomes set.
    pub deletes_held_since: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
}

/// A change to a job; `None` leaves a field as it is.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct JobChange {
    pub paused: Option<bool>,
    pub watermark: Option<i64>,
    pub quarantine: Option<Option<Quarantine>>,
    pub last_full_at: Option<Option<DateTime<Utc>>>,
    pub current_cycle_id: Option<Option<String>>,
    pub deletes_held_since: Option<Option<DateTime<Utc>>>,
    /// Notifications the change causes, written in the same transaction (none are lost nor
    /// written twice should the process stop in between).
    pub notifications: Vec<NewNotification>,
}

/// What a cycle did, per outcome.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct CycleCounters {
    pub in_scope: u64,
    pub created: u64,
    pub updated: u64,
    pub disabled: u64,
    pub deleted: u64,
    pub skipped: u64,
    pub failed: u64,
    pub retried: u64,
    pub staged: u64,
}

/// One provisioning cycle.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cycle {
    pub id: String,
    pub application_id: String,
    /// initial, incremental, periodic, dry_run, on_demand.
    pub kind: String,
    /// running, completed, failed, too_many_deletes, quarantined, interrupted.
    pub status: String,
    pub started_at: DateTime<Utc>,
    pub ended_at: Option<DateTime<Utc>>,
    pub total: u64,
    pub done: u64,
    /// The last directory id handled (to resume after a crash).
    pub cursor: Option<String>,
    pub counters: CycleCounters,
    pub message: String,
}

/// An object waiting to be tried again.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Escrow {
    pub object_type: ObjectType,
    pub source_id: String,
    pub attempts: u32,
    pub next_attempt_at: DateTime<Utc>,
    pub error_code: Option<String>,
    pub message: String,
}

/// A failed attempt at one object, for [`JobStore::escrow`].
#[derive(Clone, Copy, Debug)]
pub struct Failed<'a> {
    pub object_type: ObjectType,
    pub source_id: &'a str,
    pub error_code: Option<&'a str>,
    pub message: &'a str,
}

/// A current user as a full cycle first sees it: enough to tell whether it changed since its
/// last complete run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserBasis {
    pub id: UserId,
    pub version: i64,
    /// Whether the user has a link to the application.
    pub linked: bool,
    /// The link's basis (see [`Link::basis`]).
    pub basis: Option<String>,
    /// Whether the linked account is active.
    pub active: bool,
    /// Whether the user is assigned to the application, directly or through a group they
    /// are a direct member of.
    pub assigned: bool,
}

/// A disable or delete held back by the accidental-deletion threshold.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Staged {
    pub object_type: ObjectType,
    pub source_id: String,
    pub source_name: String,
    pub target_id: String,
    /// disable or delete.
    pub action: String,
    pub reason: String,
    pub cycle_id: String,
    pub staged_at: DateTime<Utc>,
}

#[async_trait]
pub trait JobStore: Send + Sync {
    /// The application's job, created (idle, watermark 0) when it has none.
    async fn job(&self, application: &str) -> StoreResult<Job>;
    async fn jobs(&self) -> StoreResult<Vec<Job>>;
    /// Takes or renews the lease for `owner` until `until`: `false` when another owner holds
    /// an unexpired one.
    async fn claim_job(
        &self,
        application: &str,
        owner: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> StoreResult<bool>;
    async fn release_job(&self, application: &str, owner: &str) -> StoreResult<()>;
    /// Applies `change` and adds its notifications, in one transaction.
    async fn update_job(&self, application: &str, change: JobChange) -> StoreResult<Job>;
    /// Records a command (merged with a pending one, see [`JobCommand::merge`]).
    async fn send_command(&self, application: &str, command: JobCommand) -> StoreResult<()>;
    /// Takes the pending command, leaving none.
    async fn take_command(&self, application: &str) -> StoreResult<Option<JobCommand>>;
    /// Forgets the watermark, retries, staged deletes (and since when they were held) and
    /// quarantine; with `links`, the links and members sent too.
    async fn reset_job(&self, application: &str, links: bool) -> StoreResult<()>;

    async fn start_cycle(&self, application: &str, kind: &str, total: u64) -> StoreResult<Cycle>;
    /// Saves progress: objects done, the cursor, the counters so far.
    async fn save_cycle_progress(&self, cycle: &Cycle) -> StoreResult<()>;
    async fn finish_cycle(&self, cycle: &Cycle) -> StoreResult<()>;
    async fn cycle(&self, id: &str) -> StoreResult<Option<Cycle>>;
    /// Newest first.
    async fn cycles(&self, application: &str, limit: u32) -> StoreResult<Vec<Cycle>>;

    /// Records a failed attempt at `now`; the next attempt waits `delays[n - 1]` seconds
    /// after the n-th failure (the last delay repeats).
    async fn escrow(
        &self,
        application: &str,
        failed: Failed<'_>,
        now: DateTime<Utc>,
        delays: &[u64],
    ) -> StoreResult<Escrow>;
    async fn clear_escrow(
        &self,
        application: &str,
        object_type: ObjectType,
        source_id: &str,
    ) -> StoreResult<()>;
    /// Objects due for another attempt at `now`, soonest first.
    async fn due_escrow(
        &self,
        application: &str,
        now: DateTime<Utc>,
        limit: u32,
    ) -> StoreResult<Vec<Escrow>>;
    async fn escrowed(&self, application: &str, limit: u32) -> StoreResult<Vec<Escrow>>;

    async fn stage(&self, application: &str, staged: &Staged) -> StoreResult<()>;
    async fn staged(&self, application: &str, limit: u32) -> StoreResult<Vec<Staged>>;
    async fn count_staged(&self, application: &str) -> StoreResult<u64>;
    /// How many users and how many groups have an account in the application (linked).
    async fn count_links(&self, application: &str) -> StoreResult<(u64, u64)>;
    async fn unstage(
        &self,
        application: &str,
        object_type: ObjectType,
        source_id: &str,
    ) -> StoreResult<()>;

    /// The links of those of `source_ids` that have one (without `sent`: `null`).
    async fn links(
        &self,
        application: &str,
        object_type: ObjectType,
        source_ids: &[String],
    ) -> StoreResult<Vec<Link>>;
    /// Links in source id order after `after` and up to `upto` (for cycles that visit what
    /// was provisioned; without `sent`: `null`).
    async fn scan_links(
        &self,
        application: &str,
        object_type: ObjectType,
        after: Option<&str>,
        upto: Option<&str>,
        limit: u32,
    ) -> StoreResult<Vec<Link>>;
    /// For a full cycle: the next current users after `after` in id order, with their
    /// version, whether each is assigned to `application` and, when linked to it,
    /// the link's basis and state: what the cycle needs to leave unchanged users out without
    /// reading them or their links.
    async fn scan_user_bases(
        &self,
        application: &str,
        after: Option<UserId>,
        limit: u32,
    ) -> StoreResult<Vec<UserBasis>>;
    /// The same as [`Self::scan_user_bases`] for the current users among `ids`, in id order.
    async fn user_bases(&self, application: &str, ids: &[UserId]) -> StoreResult<Vec<UserBasis>>;
    /// How many links of the type have a source id after `after` and up to `upto`.
    async fn count_links_between(
        &self,
        application: &str,
        object_type: ObjectType,
        after: &str,
        upto: &str,
    ) -> StoreResult<u64>;
    /// The members (directory ids) last sent to the group's target object.
    async fn sent_members(&self, application: &str, group_id: &str) -> StoreResult<Vec<String>>;
    async fn record_sent_members(
        &self,
        application: &str,
        group_id: &str,
        added: &[String],
        removed: &[String],
    ) -> StoreResult<()>;
}
