//! Provisioning at scale: how long the engine takes to bring N directory users (and a few
//! groups) into an in-memory SCIM target, whether a no-op cycle sends nothing, how long a
//! single change takes to reach the target, and how much memory the process needs.
//!
//! ```text
//! cargo bench -p steward-engine --bench provision -- [N] [--no-manager] [--assign-users]
//!     [--changes=200] [--ceiling-only] [--no-ceilings]
//! ```
//!
//! N (10,000 by default) users go into a file SQLite database in a temporary folder (the
//! production backend) through the batch import; every 50th user is the manager of the 49
//! after it (unless `--no-manager`); ten groups of up to 100 members each. The application is
//! a custom SCIM application with the gallery's default mappings and scope "all" (no
//! assignments needed; `--assign-users`: scope "assigned" with every user assigned directly,
//! which makes every cycle read N assignments). The client uses the product's default
//! `ScimOptions` and the engine its default concurrency.
//!
//! The target is FakeScim (in-memory SCIM) in a child process: this binary again, run with
//! `--serve-target`, so that the memory printed is the engine's and the store's alone.
//!
//! Phases, each printed with its wall time and the process's memory (VmRSS now and VmHWM,
//! the peak since the phase began: the peak is reset through `/proc/self/clear_refs`) and
//! the live heap of Rust allocations (counted by a global allocator wrapper, sampled every
//! 10 ms): what Steward holds, apart from SQLite's C allocations and the C allocator's
//! retained memory, which VmRSS also counts:
//!
//! 1. directory setup (not a figure of merit);
//! 2. the initial cycle (`run_until_idle`), with the requests the target received by
//!    method, the client's stats and the time spent inside the connector;
//! 3. a no-op periodic cycle (`JobCommand::Run`), which must send no request, run three times
//!    (the median is the figure);
//! 4. change-to-target latency: the engine runs in the background; one user at a time gets a
//!    new displayName, timed from just before the store write until the target has the PATCH;
//! 5. ceilings, for where the time goes: the target alone (a bare client doing a lookup and a
//!    create per object at the engine's concurrency) and the store alone (the reads and writes
//!    the engine makes for created objects: a lookup each, the links and log entries per page
//!    of 250, in a fresh database); `--no-ceilings` leaves them out.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_trait::async_trait;
use futures::stream::{self, StreamExt};
use serde_json::{json, Value};
use steward_connect::testing::FakeScim;
use steward_connect::{
    Capabilities, Connector, ListPage, OpError, ScimClient, ScimOptions, TargetObject,
};
use steward_engine::{AppContext, Engine, EngineEvent, EngineOptions, Host};
use steward_gallery::{Entry, Gallery};
use steward_scim::PatchOperation;
use steward_store::sqlite::SqliteStore;
use steward_store::{
    ApplicationChange, JobChange, JobCommand, Link, LinkWrite, Member, MemberType, NewLogEntry,
    ObjectType, Store, UserId, UserWrite,
};

const TOKEN: &str = "bench-token";
/// Users per import transaction.
const IMPORT_BATCH: usize = 1000;
/// Every this many users, one is the manager of the ones after it.
const TEAM: usize = 50;
const GROUPS: usize = 10;
const GROUP_SIZE: usize = 100;
/// Objects the ceilings run (their rates are what matters).
const CEILING_MAX: usize = 20_000;

// ---------------------------------------------------------------------------------------
// Memory

/// A field of /proc/self/status in kB.
fn status_kb(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// CPU time the process used so far (user + system, all threads), from /proc/self/stat.
fn cpu_time() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // The fields after the command name (which is in parentheses and may hold spaces).
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name; in ticks
    // of 1/100 s (USER_HZ on Linux).
    let ticks: u64 = [11, 12]
        .iter()
        .filter_map(|&i| fields.get(i)?.parse::<u64>().ok())
        .sum();
    Duration::from_millis(ticks * 10)
}

fn mib(kb: u64) -> f64 {
    kb as f64 / 1024.0
}

/// Resets VmHWM to the current RSS (Linux ≥ 4.0); `false` when the kernel refused.
fn reset_peak() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

/// Every allocation the bench makes through Rust (the engine, the store's Rust side, sqlx,
/// the HTTP client) is counted, so that what Steward itself holds can be told apart from
/// SQLite's own allocations and from what the C allocator keeps after a free.
#[global_allocator]
static HEAP: &stats_alloc::StatsAlloc<std::alloc::System> = &stats_alloc::INSTRUMENTED_SYSTEM;

/// The highest live Rust heap seen since the phase began, sampled every 10 ms.
static HEAP_PEAK: AtomicU64 = AtomicU64::new(0);

fn heap_live() -> u64 {
    let s = HEAP.stats();
    s.bytes_allocated.saturating_sub(s.bytes_deallocated) as u64
}

fn sample_heap() {
    std::thread::spawn(|| loop {
        HEAP_PEAK.fetch_max(heap_live(), Ordering::Relaxed);
        std::thread::sleep(Duration::from_millis(10));
    });
}

struct Memory {
    /// Whether VmHWM can be reset per phase.
    resettable: bool,
    /// The highest VmHWM seen.
    overall_kb: u64,
    /// The highest live Rust heap seen.
    overall_heap: u64,
    /// CPU time and wall time when the phase began.
    began: (Duration, Instant),
}

impl Memory {
    fn new() -> Memory {
        sample_heap();
        Memory {
            resettable: reset_peak(),
            overall_kb: status_kb("VmHWM"),
            overall_heap: 0,
            began: (cpu_time(), Instant::now()),
        }
    }

    /// Prints the memory after a phase and starts the next phase's peak.
    fn phase(&mut self, label: &str) {
        let rss = status_kb("VmRSS");
        let hwm = status_kb("VmHWM");
        self.overall_kb = self.overall_kb.max(hwm);
        println!(
            "  memory after {label}: VmRSS {:.1} MiB, VmHWM {:.1} MiB{}",
            mib(rss),
            mib(hwm),
            if self.resettable {
                " (peak during this phase)"
            } else {
                " (peak since start: /proc/self/clear_refs refused)"
            }
        );
        let heap_peak = HEAP_PEAK.swap(heap_live(), Ordering::Relaxed);
        self.overall_heap = self.overall_heap.max(heap_peak);
        println!(
            "  Rust heap after {label}: {:.1} MiB live, {:.1} MiB at most during the phase",
            heap_live() as f64 / 1048576.0,
            heap_peak as f64 / 1048576.0
        );
        let (cpu, wall) = (cpu_time() - self.began.0, self.began.1.elapsed());
        println!(
            "  CPU time of {label}: {:.2} s (user + system, every thread) in {:.2} s of wall time = {:.0} % of one core",
            cpu.as_secs_f64(),
            wall.as_secs_f64(),
            100.0 * cpu.as_secs_f64() / wall.as_secs_f64()
        );
        if self.resettable {
            reset_peak();
        }
        self.began = (cpu_time(), Instant::now());
    }
}

/// How many times the no-op cycle runs; the median is printed.
const NOOP_RUNS: usize = 3;

// ---------------------------------------------------------------------------------------
// Time spent inside the connector

#[derive(Default)]
struct OpTimes {
    calls: AtomicU64,
    nanos: AtomicU64,
}

impl OpTimes {
    fn add(&self, started: Instant) {
        self.calls.fetch_add(1, Ordering::Relaxed);
        self.nanos
            .fetch_add(started.elapsed().as_nanos() as u64, Ordering::Relaxed);
    }

    fn take(&self) -> (u64, Duration) {
        (
            self.calls.swap(0, Ordering::Relaxed),
            Duration::from_nanos(self.nanos.swap(0, Ordering::Relaxed)),
        )
    }
}

/// The SCIM client with a stopwatch around each call.
struct Timed {
    client: Arc<ScimClient>,
    find: OpTimes,
    list: OpTimes,
    create: OpTimes,
    update: OpTimes,
    delete: OpTimes,
    members: OpTimes,
}

impl Timed {
    fn new(client: Arc<ScimClient>) -> Timed {
        Timed {
            client,
            find: OpTimes::default(),
            list: OpTimes::default(),
            create: OpTimes::default(),
            update: OpTimes::default(),
            delete: OpTimes::default(),
            members: OpTimes::default(),
        }
    }

    /// Prints the time spent inside each kind of call since the last report, and returns
    /// the sum.
    fn report(&self) -> Duration {
        let mut total = Duration::ZERO;
        let mut parts = Vec::new();
        for (name, t) in [
            ("find", &self.find),
            ("list", &self.list),
            ("create", &self.create),
            ("update", &self.update),
            ("delete", &self.delete),
            ("change_members", &self.members),
        ] {
            let (calls, spent) = t.take();
            if calls > 0 {
                total += spent;
                parts.push(format!(
                    "{name} {calls} calls, {:.2} s, {:.2} ms avg",
                    spent.as_secs_f64(),
                    spent.as_secs_f64() * 1000.0 / calls as f64
                ));
            }
        }
        if parts.is_empty() {
            println!("  time inside the connector: none");
        } else {
            println!(
                "  time inside the connector (summed over concurrent calls): {:.2} s: {}",
                total.as_secs_f64(),
                parts.join("; ")
            );
        }
        total
    }
}

#[async_trait]
impl Connector for Timed {
    fn capabilities(&self) -> Capabilities {
        self.client.capabilities()
    }

    async fn test_connection(
        &self,
        matching: &str,
    ) -> Result<steward_connect::Success, steward_connect::Failure> {
        Connector::test_connection(self.client.as_ref(), matching).await
    }

    async fn find(
        &self,
        object: TargetObject,
        attribute: &str,
        value: &str,
    ) -> Result<Vec<Value>, OpError> {
        let t = Instant::now();
        let r = self.client.find(object, attribute, value).await;
        self.find.add(t);
        r
    }

    async fn list(
        &self,
        object: TargetObject,
        start_index: u64,
        count: u32,
    ) -> Result<ListPage, OpError> {
        let t = Instant::now();
        let r = self.client.list(object, start_index, count).await;
        self.list.add(t);
        r
    }

    async fn create(&self, object: TargetObject, resource: &Value) -> Result<Value, OpError> {
        let t = Instant::now();
        let r = self.client.create(object, resource).await;
        self.create.add(t);
        r
    }

    async fn update(
        &self,
        object: TargetObject,
        id: &str,
        operations: &[PatchOperation],
        resource: &Value,
    ) -> Result<(), OpError> {
        let t = Instant::now();
        let r = self.client.update(object, id, operations, resource).await;
        self.update.add(t);
        r
    }

    async fn delete(&self, object: TargetObject, id: &str) -> Result<bool, OpError> {
        let t = Instant::now();
        let r = self.client.delete(object, id).await;
        self.delete.add(t);
        r
    }

    async fn change_members(
        &self,
        group_id: &str,
        add: &[String],
        remove: &[String],
    ) -> Result<(), OpError> {
        let t = Instant::now();
        let r = self.client.change_members(group_id, add, remove).await;
        self.members.add(t);
        r
    }
}

// ---------------------------------------------------------------------------------------
// The host: the application with the gallery entry read once and one connector, as the
// server's host keeps them.

struct BenchHost {
    store: Arc<dyn Store>,
    entry: Entry,
    connector: Arc<Timed>,
}

#[async_trait]
impl Host for BenchHost {
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

    async fn prepare(&self, id: &str) -> Result<Option<AppContext>, String> {
        let Some(app) = self
            .store
            .application(id)
            .await
            .map_err(|e| e.to_string())?
        else {
            return Ok(None);
        };
        let connector: Arc<dyn Connector> = self.connector.clone();
        Ok(Some(AppContext::for_application(
            app,
            self.entry.clone(),
            connector,
        )))
    }
}

// ---------------------------------------------------------------------------------------
// The directory

fn user_resource(i: usize, manager: Option<&UserId>) -> Value {
    let title = ["Engineer", "Analyst", "Manager", "Designer"][i % 4];
    let city = ["Oslo", "Lyon", "Porto"][i % 3];
    let mut r = json!({
        "userName": format!("user{i:07}@example.com"),
        "externalId": format!("ext-{i:07}"),
        "displayName": format!("User {i}"),
        "name": {"givenName": format!("Given{i}"), "familyName": format!("Family{}", i % 997)},
        "emails": [{"type": "work", "value": format!("user{i:07}@example.com"), "primary": true}],
        "title": title,
        "preferredLanguage": "en-US",
        "addresses": [{"type": "work", "locality": city, "country": "NO"}],
        "active": true,
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {
            "employeeNumber": format!("{i}"),
            "department": format!("Department {}", i % 40),
        },
    });
    if let Some(m) = manager {
        r["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"]["manager"] =
            json!({"value": m.to_string()});
    }
    r
}

/// Imports `n` users (managers first in each batch, so their ids are known) and the groups;
/// returns the ids of the users at the `wanted` positions (in creation order) only, so that
/// the bench's own memory does not grow with N.
async fn build_directory(
    store: &Arc<dyn Store>,
    n: usize,
    managers: bool,
    wanted: impl Iterator<Item = usize>,
) -> BTreeMap<usize, UserId> {
    let size = GROUP_SIZE.min(n / GROUPS);
    // The groups' members: positions g + k * GROUPS, the first size * GROUPS users.
    let wanted: std::collections::BTreeSet<usize> = wanted.chain(0..size * GROUPS).collect();
    let mut ids = BTreeMap::new();
    let mut start = 0;
    while start < n {
        let end = (start + IMPORT_BATCH).min(n);
        let mut slots: Vec<Option<UserId>> = vec![None; end - start];
        // Managers (or everyone, without managers) first.
        let first: Vec<usize> = (start..end)
            .filter(|i| !managers || i % TEAM == 0)
            .collect();
        let written = store
            .write_users(
                first
                    .iter()
                    .map(|&i| UserWrite::Create(user_resource(i, None)))
                    .collect(),
            )
            .await
            .unwrap();
        for (&i, r) in first.iter().zip(written) {
            slots[i - start] = Some(r.unwrap());
        }
        if managers {
            let rest: Vec<usize> = (start..end).filter(|i| i % TEAM != 0).collect();
            let writes = rest
                .iter()
                .map(|&i| {
                    let boss = slots[i - i % TEAM - start].unwrap();
                    UserWrite::Create(user_resource(i, Some(&boss)))
                })
                .collect();
            let written = store.write_users(writes).await.unwrap();
            for (&i, r) in rest.iter().zip(written) {
                slots[i - start] = Some(r.unwrap());
            }
        }
        for i in wanted.range(start..end) {
            ids.insert(*i, slots[i - start].unwrap());
        }
        start = end;
    }
    // A few groups, each with distinct members spread over the directory.
    for g in 0..GROUPS {
        let members = (0..size)
            .map(|k| Member {
                id: ids[&((g + k * GROUPS) % n)].to_string(),
                member_type: MemberType::User,
            })
            .collect();
        store
            .create_group(
                json!({"displayName": format!("Group {g}"), "externalId": format!("grp-{g}")}),
                members,
            )
            .await
            .unwrap();
    }
    ids
}

// ---------------------------------------------------------------------------------------
// The target, in a process of its own

/// The bench's SCIM target: FakeScim in a child process (this binary with `--serve-target`),
/// so that the memory this process reports is the engine's and the store's alone. The two
/// talk over the child's stdin and stdout, a command and a JSON answer per line.
struct Target {
    url: String,
    child: std::process::Child,
    io: std::sync::Mutex<(
        std::process::ChildStdin,
        std::io::BufReader<std::process::ChildStdout>,
    )>,
}

impl Target {
    fn start() -> Target {
        use std::io::BufRead;
        let mut child = std::process::Command::new(std::env::current_exe().unwrap())
            .arg("--serve-target")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let stdin = child.stdin.take().unwrap();
        let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
        let mut url = String::new();
        stdout.read_line(&mut url).unwrap();
        Target {
            url: url.trim().to_string(),
            child,
            io: std::sync::Mutex::new((stdin, stdout)),
        }
    }

    fn ask(&self, command: &str) -> Value {
        use std::io::{BufRead, Write};
        let mut io = self.io.lock().unwrap();
        writeln!(io.0, "{command}").unwrap();
        io.0.flush().unwrap();
        let mut line = String::new();
        io.1.read_line(&mut line).unwrap();
        serde_json::from_str(&line).unwrap()
    }

    /// The requests received since the last `clear`, counted by method and collection
    /// ("12 (GET /Users 4, POST /Users 8)"). The child counts them, so that this process
    /// (whose memory the bench reports) never holds the request log.
    fn requests_by_method(&self) -> String {
        self.ask("by_method").as_str().unwrap().to_string()
    }

    /// How many requests were received since the last `clear`.
    fn request_count(&self) -> usize {
        self.ask("count").as_u64().unwrap() as usize
    }

    /// Whether a PATCH to `path` was received since the last `clear`.
    fn patched(&self, path: &str) -> bool {
        self.ask(&format!("patched {path}")).as_bool().unwrap()
    }

    fn clear(&self) {
        self.ask("clear");
    }

    /// Users held, their size as JSON text, the request log's size, and the target
    /// process's memory.
    fn summary(&self) -> Value {
        self.ask("summary")
    }
}

impl Drop for Target {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The child's side of [`Target`]: serves FakeScim and answers commands until stdin closes.
async fn serve_target() {
    use std::io::{BufRead, Write};
    let fake = Arc::new(FakeScim::start(TOKEN).await);
    println!("{}", fake.url);
    tokio::task::spawn_blocking(move || {
        let stdin = std::io::stdin();
        let mut out = std::io::stdout();
        for line in stdin.lock().lines() {
            let Ok(line) = line else { break };
            let answer = match line.trim() {
                "by_method" => json!(by_method(
                    fake.requests().iter().map(|r| (&r.method, &r.path))
                )),
                "count" => json!(fake.requests().len()),
                patched if patched.starts_with("patched ") => {
                    let path = &patched["patched ".len()..];
                    json!(fake
                        .requests()
                        .iter()
                        .any(|r| r.method == "PATCH" && r.path == path))
                }
                "clear" => {
                    fake.clear_requests();
                    json!(true)
                }
                "summary" => {
                    let users = fake.users();
                    let log_text: usize = fake
                        .requests()
                        .iter()
                        .map(|r| {
                            r.path.len()
                                + r.query.len()
                                + r.body.as_ref().map_or(0, |b| b.to_string().len())
                        })
                        .sum();
                    json!({
                        "users": users.len(),
                        "users_text": users.iter().map(|u| u.to_string().len()).sum::<usize>(),
                        "log_text": log_text,
                        "vm_rss_kb": status_kb("VmRSS"),
                        "vm_hwm_kb": status_kb("VmHWM"),
                    })
                }
                other => json!({"error": format!("unknown command {other:?}")}),
            };
            if writeln!(out, "{answer}")
                .and_then(|()| out.flush())
                .is_err()
            {
                break;
            }
        }
    })
    .await
    .unwrap();
}

// ---------------------------------------------------------------------------------------
// Reporting helpers

fn by_method<'a>(requests: impl Iterator<Item = (&'a String, &'a String)>) -> String {
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for (method, path) in requests {
        let collection = path.trim_matches('/').split('/').next().unwrap_or("");
        *counts.entry(format!("{method} /{collection}")).or_default() += 1;
    }
    let total: usize = counts.values().sum();
    let parts: Vec<String> = counts.iter().map(|(k, v)| format!("{k} {v}")).collect();
    format!("{total} ({})", parts.join(", "))
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

fn print_cycles(cycles: &[steward_store::Cycle]) {
    for c in cycles {
        let k = &c.counters;
        println!(
            "  cycle {} {}: total {}, done {}, in scope {}, created {}, updated {}, skipped {}, failed {}, disabled {}, deleted {}, staged {}",
            c.kind, c.status, c.total, c.done, k.in_scope, k.created, k.updated, k.skipped,
            k.failed, k.disabled, k.deleted, k.staged
        );
    }
}

// ---------------------------------------------------------------------------------------

struct Args {
    n: usize,
    managers: bool,
    changes: usize,
    /// Scope "assigned" with every user assigned directly, instead of scope "all".
    assign_users: bool,
    /// Only the target ceiling over all N objects, with the memory it takes: what FakeScim
    /// alone holds, to set against the whole run's peak.
    ceiling_only: bool,
    /// Stop after the engine phases (no ceilings): for profiling the engine alone.
    no_ceilings: bool,
}

fn args() -> Args {
    let mut a = Args {
        n: 10_000,
        managers: true,
        changes: 200,
        assign_users: false,
        ceiling_only: false,
        no_ceilings: false,
    };
    for arg in std::env::args().skip(1) {
        if arg == "--no-manager" {
            a.managers = false;
        } else if arg == "--assign-users" {
            a.assign_users = true;
        } else if arg == "--no-ceilings" {
            a.no_ceilings = true;
        } else if arg == "--ceiling-only" {
            a.ceiling_only = true;
        } else if let Some(c) = arg.strip_prefix("--changes=") {
            a.changes = c.parse().expect("--changes=<number>");
        } else if let Ok(n) = arg.replace('_', "").parse::<usize>() {
            a.n = n.max(GROUPS);
        }
        // Anything else (cargo passes --bench) is ignored.
    }
    a
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    if std::env::args().any(|a| a == "--serve-target") {
        runtime.block_on(serve_target());
        return;
    }
    runtime.block_on(run(args()));
}

async fn run(args: Args) {
    let n = args.n;
    let dir: PathBuf =
        std::env::temp_dir().join(format!("steward-bench-{}-{n}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    println!(
        "== steward-engine provisioning benchmark: N = {n} users, {GROUPS} groups of {} members, managers {}",
        GROUP_SIZE.min(n / GROUPS),
        if args.managers { "on (1 per 50 users)" } else { "off" }
    );
    println!("   database: {}", dir.join("steward.db").display());
    let mut memory = Memory::new();
    if args.ceiling_only {
        println!("\n[6] target ceiling only, over all {n} objects at concurrency 8:");
        target_ceiling(n, 8).await;
        memory.phase("target ceiling (FakeScim with its users and request log, and a client)");
        let _ = std::fs::remove_dir_all(&dir);
        return;
    }

    // ---- 1. Directory setup
    let store: Arc<dyn Store> = Arc::new(
        SqliteStore::open(&format!("sqlite:{}", dir.join("steward.db").display()))
            .await
            .unwrap(),
    );
    let started = Instant::now();
    // The users whose displayName the latency phase changes.
    let changes = args.changes.min(n);
    let step = (n / changes.max(1)).max(1);
    let changed = |k: usize| (k * step + 7) % n;
    let ids = build_directory(&store, n, args.managers, (0..changes).map(changed)).await;
    println!(
        "\n[1] directory setup: {n} users + {GROUPS} groups in {:.2} s (batch import, {IMPORT_BATCH} per transaction)",
        started.elapsed().as_secs_f64()
    );
    memory.phase("setup");

    let target = Target::start();
    let client =
        Arc::new(ScimClient::with_options(&target.url, TOKEN, ScimOptions::default()).unwrap());
    client.discover().await.unwrap();
    let timed = Arc::new(Timed::new(client.clone()));
    let app = store
        .create_application("custom-scim", "Bench")
        .await
        .unwrap();
    let app = store
        .update_application(
            &app.id,
            ApplicationChange {
                provisioning_mode: Some("automatic".into()),
                settings: Some(if args.assign_users {
                    json!({"scope": "assigned"})
                } else {
                    json!({"scope": "all"})
                }),
                ..ApplicationChange::default()
            },
            app.version,
        )
        .await
        .unwrap();
    store
        .update_job(
            &app.id,
            JobChange {
                paused: Some(false),
                ..JobChange::default()
            },
        )
        .await
        .unwrap();
    if args.assign_users {
        let started = Instant::now();
        let mut after = None;
        loop {
            let page = store.scan_user_bases(&app.id, after, 1000).await.unwrap();
            let Some(last) = page.last() else { break };
            after = Some(last.id);
            for user in &page {
                store
                    .assign(
                        &app.id,
                        Member {
                            id: user.id.to_string(),
                            member_type: MemberType::User,
                        },
                        "User",
                    )
                    .await
                    .unwrap();
            }
        }
        println!(
            "  assignments: {n} users assigned directly in {:.2} s (scope \"assigned\"; groups are not assigned, so they stay out of scope)",
            started.elapsed().as_secs_f64()
        );
    }
    let entry = Gallery::builtin()
        .unwrap()
        .get("custom-scim")
        .unwrap()
        .clone();
    let host = Arc::new(BenchHost {
        store: store.clone(),
        entry,
        connector: timed.clone(),
    });
    let options = EngineOptions {
        scan_interval: Duration::from_millis(50),
        debounce: Duration::from_millis(20),
        max_debounce: Duration::from_millis(200),
        ..EngineOptions::default()
    };
    let concurrency = options.concurrency;
    let engine = Engine::new(store.clone(), host, options);
    target.clear();

    // ---- 2. Initial cycle
    let before = client.stats();
    let started = Instant::now();
    let cycles = engine.run_until_idle(&app.id).await.unwrap();
    let wall = started.elapsed();
    let objects = n + GROUPS;
    println!(
        "\n[2] initial cycle: {objects} objects in {:.2} s = {:.0} objects/s (engine concurrency {concurrency}, client default ScimOptions)",
        wall.as_secs_f64(),
        objects as f64 / wall.as_secs_f64()
    );
    print_cycles(&cycles);
    println!(
        "  requests received by the target: {}",
        target.requests_by_method()
    );
    let stats = client.stats();
    println!(
        "  ScimClient stats: {stats} ({} requests this phase = {:.0} requests/s)",
        stats.requests - before.requests,
        (stats.requests - before.requests) as f64 / wall.as_secs_f64()
    );
    let inside = timed.report();
    println!(
        "  connector busy share: {:.2} s summed / {concurrency} slots = {:.2} s of {:.2} s wall ({:.0}%); the rest is the engine and the store",
        inside.as_secs_f64(),
        inside.as_secs_f64() / concurrency as f64,
        wall.as_secs_f64(),
        100.0 * inside.as_secs_f64() / concurrency as f64 / wall.as_secs_f64()
    );
    let summary = target.summary();
    assert_eq!(summary["users"], n, "every user reached the target");
    println!(
        "  the target process holds users {:.1} MiB and a request log {:.1} MiB as JSON text; its VmHWM {:.1} MiB (not counted below: another process)",
        summary["users_text"].as_f64().unwrap() / 1048576.0,
        summary["log_text"].as_f64().unwrap() / 1048576.0,
        mib(summary["vm_hwm_kb"].as_u64().unwrap())
    );
    target.clear();
    memory.phase("initial cycle");

    // ---- 3. No-op cycle, three times: the figure is the median (single runs vary by about
    // 20 % on a 2-core machine).
    let mut walls = Vec::new();
    let mut sent = 0;
    let mut requests = Vec::new();
    let mut first = Vec::new();
    for run in 1..=NOOP_RUNS {
        store.send_command(&app.id, JobCommand::Run).await.unwrap();
        let started = Instant::now();
        let cycles = engine.run_until_idle(&app.id).await.unwrap();
        walls.push(started.elapsed());
        let count = target.request_count();
        if count > 0 {
            sent += count;
            requests.push(format!("run {run}: {}", target.requests_by_method()));
            target.clear();
        }
        if run == 1 {
            first = cycles;
        }
    }
    walls.sort();
    let wall = walls[walls.len() / 2];
    println!(
        "\n[3] no-op periodic cycle: {:.2} s over {objects} objects = {:.0} objects/s (median of {NOOP_RUNS}: {}); requests sent over the {NOOP_RUNS} runs: {sent}{}",
        wall.as_secs_f64(),
        objects as f64 / wall.as_secs_f64(),
        walls
            .iter()
            .map(|w| format!("{:.2} s", w.as_secs_f64()))
            .collect::<Vec<_>>()
            .join(", "),
        if sent == 0 { " (OK)" } else { " (EXPECTED 0)" }
    );
    print_cycles(&first);
    if sent > 0 {
        println!("  requests received by the target: {}", requests.join("; "));
    }
    timed.report();
    target.clear();
    memory.phase("no-op cycle");

    // ---- 4. Change-to-target latency
    let supervisor = engine.start();
    let mut events = engine.subscribe();
    // Let the job task start and settle (it has nothing due).
    tokio::time::sleep(Duration::from_millis(300)).await;
    target.clear();
    let mut latencies = Vec::with_capacity(changes);
    let mut missed = 0;
    let started_all = Instant::now();
    for k in 0..changes {
        let uid = ids[&changed(k)];
        let link = store
            .link(&app.id, ObjectType::User, &uid.to_string())
            .await
            .unwrap()
            .expect("the user has a link");
        let path = format!("/Users/{}", link.target_id);
        let mut resource = store.user(uid).await.unwrap().unwrap().resource;
        resource["displayName"] = json!(format!("Changed {k}"));
        while events.try_recv().is_ok() {}
        target.clear();
        let t0 = Instant::now();
        store.replace_user(uid, resource, None).await.unwrap();
        let mut arrived = None;
        while t0.elapsed() < Duration::from_secs(10) {
            if target.patched(&path) {
                arrived = Some(t0.elapsed());
                break;
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        match arrived {
            Some(d) => latencies.push(d),
            None => missed += 1,
        }
        // Wait for the incremental cycle to end, so each change is measured alone.
        let _ = tokio::time::timeout(Duration::from_secs(5), async {
            loop {
                match events.recv().await {
                    Ok(EngineEvent::Cycle { cycle }) if cycle.ended_at.is_some() => break,
                    Ok(_) => {}
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                    Err(_) => break,
                }
            }
        })
        .await;
    }
    let total = started_all.elapsed();
    latencies.sort();
    println!(
        "\n[4] change-to-target latency, {changes} single displayName changes one at a time (debounce 20 ms, max 200 ms), {:.2} s in all:",
        total.as_secs_f64()
    );
    println!(
        "  p50 {}, p90 {}, p99 {}, max {}, min {}; not arrived within 10 s: {missed}",
        ms(percentile(&latencies, 50.0)),
        ms(percentile(&latencies, 90.0)),
        ms(percentile(&latencies, 99.0)),
        ms(latencies.last().copied().unwrap_or_default()),
        ms(latencies.first().copied().unwrap_or_default()),
    );
    timed.report();
    engine.shutdown();
    let _ = tokio::time::timeout(Duration::from_secs(5), supervisor).await;
    memory.phase("latency phase");
    println!(
        "\n[5] peak memory (VmHWM) over the engine phases: {:.1} MiB (the engine and the store; the target runs in its own process); peak live Rust heap: {:.1} MiB",
        mib(memory.overall_kb),
        memory.overall_heap as f64 / 1048576.0
    );
    drop(target);
    if args.no_ceilings {
        drop(engine);
        drop(store);
        let _ = std::fs::remove_dir_all(&dir);
        return;
    }

    // ---- Ceilings
    let m = n.min(CEILING_MAX);
    println!("\n[6] ceilings over {m} objects at concurrency {concurrency}, for the time split:");
    target_ceiling(m, concurrency).await;
    store_ceiling(&dir, m, concurrency).await;

    drop(engine);
    drop(store);
    let _ = std::fs::remove_dir_all(&dir);
}

/// A bare client against a fresh FakeScim: per object the matching lookup and the create,
/// `concurrency` objects at a time (what the engine sends per new user, nothing else).
async fn target_ceiling(m: usize, concurrency: usize) {
    let fake = FakeScim::start(TOKEN).await;
    let client = ScimClient::with_options(&fake.url, TOKEN, ScimOptions::default()).unwrap();
    client.discover().await.unwrap();
    let client = &client;
    let started = Instant::now();
    stream::iter(0..m)
        .for_each_concurrent(concurrency, |i| async move {
            // The directory's resource, about the size of what the engine sends.
            let mut body = user_resource(i, None);
            body["schemas"] = json!(["urn:ietf:params:scim:schemas:core:2.0:User"]);
            body["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"]["manager"] =
                json!({"value": "00000001"});
            let found = client
                .find(
                    TargetObject::Users,
                    "userName",
                    body["userName"].as_str().unwrap(),
                )
                .await
                .unwrap();
            assert!(found.is_empty());
            client.create(TargetObject::Users, &body).await.unwrap();
        })
        .await;
    let wall = started.elapsed();
    println!(
        "  target ceiling (bare ScimClient, GET filter + POST per object): {:.2} s = {:.0} objects/s, {:.0} requests/s ({})",
        wall.as_secs_f64(),
        m as f64 / wall.as_secs_f64(),
        (2 * m) as f64 / wall.as_secs_f64(),
        client.stats()
    );
}

/// The store work of one created object without the target: the link lookup, the link
/// saved, the log entry and the escrow cleared, `concurrency` objects at a time, in a fresh
/// database file.
async fn store_ceiling(dir: &std::path::Path, m: usize, concurrency: usize) {
    let path = dir.join("ceiling.db");
    let store: Arc<dyn Store> = Arc::new(
        SqliteStore::open(&format!("sqlite:{}", path.display()))
            .await
            .unwrap(),
    );
    let app = store
        .create_application("custom-scim", "Ceiling")
        .await
        .unwrap()
        .id;
    let steps = json!([
        {"step": "import", "status": "ok", "detail": "Read User 1 from the directory.", "data": {"userName": "user0000001@example.com"}},
        {"step": "scope", "status": "ok", "detail": "In scope (no scoping filter).", "data": {"in_scope": true, "clauses": []}},
        {"step": "match", "status": "ok", "detail": "No account has userName \"user0000001@example.com\".", "data": null},
        {"step": "action", "status": "ok", "detail": "Created the account 00000001.", "data": {"request": {"userName": "user0000001@example.com", "displayName": "User 1", "active": true, "name": {"givenName": "Given1", "familyName": "Family1"}}}},
    ]);
    let modified = json!([{"path": "userName", "value": "user0000001@example.com"}, {"path": "displayName", "value": "User 1"}, {"path": "active", "value": true}]);
    let fingerprint = json!({"userName": "0123456789abcdef", "displayName": "0123456789abcdef", "active": "0123456789abcdef", "name.givenName": "0123456789abcdef"});
    // As a cycle does: per object a link lookup (`concurrency` at a time), per page of 250
    // the page's links in one transaction and its log entries in another.
    let reads = OpTimes::default();
    let writes = OpTimes::default();
    let started = Instant::now();
    let mut i = 0usize;
    while i < m {
        let page: Vec<(usize, String)> = (i..m.min(i + 250))
            .map(|k| (k, UserId::new().to_string()))
            .collect();
        i += page.len();
        let (store_ref, app_ref, reads_ref) = (&store, &app, &reads);
        stream::iter(&page)
            .for_each_concurrent(concurrency, |(_, source)| async move {
                let t = Instant::now();
                let link = store_ref
                    .link(app_ref, ObjectType::User, source)
                    .await
                    .unwrap();
                reads_ref.add(t);
                assert!(link.is_none());
            })
            .await;
        let links: Vec<LinkWrite> = page
            .iter()
            .map(|(k, source)| {
                LinkWrite::Save(Link {
                    application_id: app.clone(),
                    object_type: ObjectType::User,
                    source_id: source.clone(),
                    target_id: format!("{k:08}"),
                    fingerprint: fingerprint.clone(),
                    active: true,
                    updated_at: chrono::Utc::now(),
                    sent: serde_json::json!({}),
                    basis: None,
                })
            })
            .collect();
        let logs: Vec<NewLogEntry> = page
            .iter()
            .map(|(k, source)| NewLogEntry {
                application_id: app.clone(),
                cycle_id: Some("ceiling".into()),
                object_type: Some(ObjectType::User),
                source_id: source.clone(),
                source_name: format!("User {k}"),
                target_id: Some(format!("{k:08}")),
                action: "create".into(),
                status: "success".into(),
                steps: steps.clone(),
                modified: modified.clone(),
                error_code: None,
                message: "Created.".into(),
            })
            .collect();
        let t = Instant::now();
        assert!(store.save_links(&links).await.unwrap().is_empty());
        store.record_provisioning_batch(logs).await.unwrap();
        writes.add(t);
    }
    let wall = started.elapsed();
    let (_, read_time) = reads.take();
    let (pages, write_time) = writes.take();
    println!(
        "  store ceiling (a link lookup per object; per page of 250 the links and the log entries, a transaction each; file DB): {:.2} s = {:.0} objects/s; avg per object: read {:.2} ms; per page: writes {:.1} ms",
        wall.as_secs_f64(),
        m as f64 / wall.as_secs_f64(),
        read_time.as_secs_f64() * 1000.0 / m as f64,
        write_time.as_secs_f64() * 1000.0 / pages.max(1) as f64,
    );
}
