//! The provisioning log at scale: how fast entries go in, and how long each query of the
//! portal's Logs page, the activity chart and retention take over a large log.
//!
//! ```text
//! cargo bench -p steward-store --bench log_query -- [N]
//! ```
//!
//! N entries (1,000,000 by default) go into a file SQLite database in a temporary folder
//! (the production backend, WAL mode), over the 30 days before now, spread over 5
//! applications of different sizes (40, 25, 20, 10 and 5 %), 20,000 users, cycles of a few
//! thousand entries, and a mix of actions (55 % update, 20 % create, 15 % skip, 5 % disable,
//! 3 % delete, 2 % staged_delete) and statuses (0.5 % failure, 1 % warning, skips skipped).
//! They go in through the store's batch path in transactions of 10,000 (with their times:
//! `record_provisioning_at`); then 50,000 more through `record_provisioning_batch` (pages of
//! 250, as the engine writes them) and 2,000 through `record_provisioning`, stamped now.
//!
//! The insert rate with and without the indexes of migration 0016 is measured on a fresh
//! database of min(N, 200,000) entries each.
//!
//! Each query runs 7 times; the table shows the rows returned, the median and the slowest
//! run (the first run reads from a cold page cache). "deep" pages start 90 % of the way back
//! in the log (`before`); "next" is the second page. Retention deletes the oldest entries in
//! batches of 100, then of 1,000 (rows: how many the 10 calls deleted).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::time::{Duration as StdDuration, Instant};

use chrono::{DateTime, Duration, Utc};
use serde_json::json;
use sqlx::Row;
use steward_store::sqlite::SqliteStore;
use steward_store::{ApplicationStore, LogQuery, NewLogEntry, ObjectType, ProvisioningStore};

const APPS: [(&str, u64); 5] = [
    ("Workday", 40),
    ("Slack", 25),
    ("Zendesk", 20),
    ("Wiki", 10),
    ("Badges", 5),
];
const USERS: u64 = 20_000;
const DAYS: i64 = 30;
const BATCH: usize = 10_000;
const RUNS: usize = 7;
/// The indexes of migration 0016, dropped for the comparison of insert rates.
const NEW_INDEXES: [&str; 6] = [
    "provisioning_log_status_idx",
    "provisioning_log_action_idx",
    "provisioning_log_target_idx",
    "provisioning_log_name_idx",
    "provisioning_log_cycle_idx",
    "provisioning_log_at_idx",
];

const FIRST: [&str; 24] = [
    "Ada",
    "Grace",
    "Alan",
    "Barbara",
    "Edsger",
    "Frances",
    "Donald",
    "Margaret",
    "Ken",
    "Radia",
    "Dennis",
    "Katherine",
    "John",
    "Hedy",
    "Niklaus",
    "Sophie",
    "Tim",
    "Annie",
    "Linus",
    "Karen",
    "Guido",
    "Jean",
    "Bjarne",
    "Shafi",
];
const LAST: [&str; 24] = [
    "Lovelace",
    "Hopper",
    "Turing",
    "Liskov",
    "Dijkstra",
    "Allen",
    "Knuth",
    "Hamilton",
    "Thompson",
    "Perlman",
    "Ritchie",
    "Johnson",
    "McCarthy",
    "Lamarr",
    "Wirth",
    "Wilson",
    "Berners-Lee",
    "Easley",
    "Torvalds",
    "Sparck Jones",
    "van Rossum",
    "Bartik",
    "Stroustrup",
    "Goldwasser",
];

/// splitmix64: a fixed sequence, so every run fills the same log.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn hash(x: u64) -> u64 {
    Rng(x).next()
}

fn source_id(user: u64) -> String {
    let h = hash(user);
    format!(
        "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
        h >> 32,
        (h >> 16) & 0xffff,
        h & 0xfff,
        (h >> 20) & 0xfff,
        hash(h) & 0xffff_ffff_ffff
    )
}

fn source_name(user: u64) -> String {
    let first = FIRST[(user % 24) as usize];
    let last = LAST[((user / 24) % 24) as usize];
    format!("{first} {last} {}", user / 576)
}

fn target_id(app: usize, user: u64) -> String {
    format!("{app}{:015x}", hash(user ^ ((app as u64) << 40)) >> 4)
}

/// The application of an entry, by the applications' weights.
fn pick_app(rng: &mut Rng) -> usize {
    let mut r = rng.below(100);
    for (i, (_, weight)) in APPS.iter().enumerate() {
        if r < *weight {
            return i;
        }
        r -= weight;
    }
    APPS.len() - 1
}

/// Generates the log's entries in time order.
struct Generator {
    rng: Rng,
    apps: Vec<String>,
    start: DateTime<Utc>,
    step: Duration,
    made: u64,
}

impl Generator {
    fn entry(&mut self) -> (DateTime<Utc>, NewLogEntry) {
        let i = self.made;
        self.made += 1;
        let rng = &mut self.rng;
        let app = pick_app(rng);
        let user = rng.below(USERS);
        let r = rng.below(1000);
        let action = match r {
            0..550 => "update",
            550..750 => "create",
            750..900 => "skip",
            900..950 => "disable",
            950..980 => "delete",
            _ => "staged_delete",
        };
        let s = rng.below(1000);
        let status = if action == "skip" {
            "skipped"
        } else if s < 5 {
            "failure"
        } else if s < 15 {
            "warning"
        } else {
            "success"
        };
        // Cycles of about 5,000 entries of all applications; some runs are on demand.
        let cycle_id = (rng.below(50) != 0).then(|| format!("{app}-cycle-{}", i / 5_000));
        let linked = action != "skip" && !(action == "create" && status == "failure");
        let steps = json!([
            {"step": "scope", "result": "in scope", "detail": "assigned directly"},
            {"step": "match", "result": if action == "create" { "no match" } else { "linked" },
             "detail": "userName eq \"someone@example.com\""},
            {"step": "action", "result": action, "detail": "sent to the target"},
        ]);
        let modified = if action == "update" {
            json!([{"path": "displayName", "old": "Ada L.", "new": source_name(user)},
                   {"path": "title", "old": "Engineer", "new": "Senior engineer"}])
        } else {
            json!([])
        };
        let entry = NewLogEntry {
            application_id: self.apps[app].clone(),
            cycle_id,
            object_type: Some(ObjectType::User),
            source_id: source_id(user),
            source_name: source_name(user),
            target_id: linked.then(|| target_id(app, user)),
            action: action.into(),
            status: status.into(),
            steps,
            modified,
            error_code: (status == "failure").then(|| "SCIM-0400".to_string()),
            message: if status == "failure" {
                "The target refused the request: 400 invalidValue".into()
            } else {
                String::new()
            },
        };
        (self.start + self.step * i as i32, entry)
    }

    fn batch(&mut self, n: usize) -> Vec<(DateTime<Utc>, NewLogEntry)> {
        (0..n).map(|_| self.entry()).collect()
    }
}

async fn open(dir: &Path, name: &str) -> (SqliteStore, sqlx::SqlitePool, Vec<String>) {
    let url = format!("sqlite://{}", dir.join(name).display());
    let store = SqliteStore::open(&url).await.unwrap();
    let mut apps = Vec::new();
    for (name, _) in APPS {
        apps.push(
            store
                .create_application("custom-scim", name)
                .await
                .unwrap()
                .id,
        );
    }
    let raw = sqlx::SqlitePool::connect(&url).await.unwrap();
    (store, raw, apps)
}

/// Fills `store` with `n` entries over the 30 days before `end`; entries per second.
async fn fill(store: &SqliteStore, apps: &[String], n: u64, end: DateTime<Utc>) -> f64 {
    let span = Duration::days(DAYS);
    let mut generator = Generator {
        rng: Rng(42),
        apps: apps.to_vec(),
        start: end - span,
        step: span / n.max(1) as i32,
        made: 0,
    };
    let started = Instant::now();
    let mut last_report = Instant::now();
    while generator.made < n {
        let size = BATCH.min((n - generator.made) as usize);
        store
            .record_provisioning_at(generator.batch(size))
            .await
            .unwrap();
        if last_report.elapsed() > StdDuration::from_secs(15) {
            eprintln!("  ... {} entries", generator.made);
            last_report = Instant::now();
        }
    }
    n as f64 / started.elapsed().as_secs_f64()
}

fn ms(d: StdDuration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Runs `f` RUNS times: (what the last run returned, median ms, max ms).
async fn time<T, F, Fut>(mut f: F) -> (T, f64, f64)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = T>,
{
    let mut times = Vec::new();
    let mut last = None;
    for _ in 0..RUNS {
        let started = Instant::now();
        last = Some(f().await);
        times.push(ms(started.elapsed()));
    }
    times.sort_by(f64::total_cmp);
    (last.unwrap(), times[RUNS / 2], times[RUNS - 1])
}

fn row(what: &str, rows: usize, median: f64, max: f64) {
    println!("| {what:<58} | {rows:>6} | {median:>9.2} | {max:>9.2} |");
}

/// How the deep page of a query is made.
enum Deep {
    /// `before` 90 % of the way back in the log.
    Far,
    /// The second page.
    Next,
    /// No deep page.
    None,
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let n: u64 = std::env::args()
        .skip(1)
        .find(|a| !a.starts_with('-'))
        .map(|a| {
            a.replace(['_', ','], "")
                .parse()
                .expect("N: a number of entries")
        })
        .unwrap_or(1_000_000);
    let dir = tempfile::tempdir().unwrap();
    let end = Utc::now() - Duration::minutes(5);
    println!(
        "provisioning log: {n} entries over {DAYS} days, {} applications",
        APPS.len()
    );
    println!("  database: {}", dir.path().join("log.db").display());

    // Insert rates with and without the indexes of 0016, on fresh databases.
    let m = n.min(200_000);
    let (with, _, apps) = open(dir.path(), "with.db").await;
    let rate_with = fill(&with, &apps, m, end).await;
    drop(with);
    let (without, raw, apps) = open(dir.path(), "without.db").await;
    for index in NEW_INDEXES {
        sqlx::query(&format!("DROP INDEX {index}"))
            .execute(&raw)
            .await
            .unwrap();
    }
    let rate_without = fill(&without, &apps, m, end).await;
    drop(without);
    raw.close().await;
    for name in ["with.db", "without.db"] {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(dir.path().join(format!("{name}{suffix}")));
        }
    }

    // The log itself.
    let (store, raw, apps) = open(dir.path(), "log.db").await;
    let started = Instant::now();
    let rate = fill(&store, &apps, n, end).await;
    let filled = started.elapsed();
    println!();
    println!("inserts (entries/s):");
    println!(
        "  {n} entries in transactions of {BATCH} (record_provisioning_at): {rate:.0}/s, {:.1} s",
        filled.as_secs_f64()
    );
    println!(
        "  {m} entries, fresh database, with the 0016 indexes: {rate_with:.0}/s; without them: \
         {rate_without:.0}/s ({:+.0} %)",
        (rate_with / rate_without - 1.0) * 100.0
    );
    // The engine's paths, on top of the full log, stamped now.
    let mut now_gen = Generator {
        rng: Rng(7),
        apps: apps.clone(),
        start: end,
        step: Duration::zero(),
        made: 0,
    };
    let pages: Vec<Vec<NewLogEntry>> = (0..200)
        .map(|_| now_gen.batch(250).into_iter().map(|(_, e)| e).collect())
        .collect();
    let started = Instant::now();
    for page in pages {
        store.record_provisioning_batch(page).await.unwrap();
    }
    println!(
        "  50000 entries in pages of 250 (record_provisioning_batch): {:.0}/s",
        50_000.0 / started.elapsed().as_secs_f64()
    );
    let singles: Vec<NewLogEntry> = now_gen.batch(2000).into_iter().map(|(_, e)| e).collect();
    let started = Instant::now();
    for e in singles {
        store.record_provisioning(e).await.unwrap();
    }
    println!(
        "  2000 entries one at a time (record_provisioning): {:.0}/s",
        2000.0 / started.elapsed().as_secs_f64()
    );

    if let Ok(rows) = sqlx::query(
        "SELECT name, sum(pgsize) AS bytes FROM dbstat
         WHERE name LIKE 'provisioning_log%' OR name = 'provisioning_activity'
         GROUP BY name ORDER BY name",
    )
    .fetch_all(&raw)
    .await
    {
        println!("\nsizes (MB):");
        for r in rows {
            let name: String = r.get("name");
            let bytes: i64 = r.get("bytes");
            println!("  {name:<32} {:>8.1}", bytes as f64 / 1e6);
        }
    }

    // What the queries look for.
    let (min_id, max_id): (i64, i64) =
        sqlx::query_as("SELECT min(id), max(id) FROM provisioning_log")
            .fetch_one(&raw)
            .await
            .unwrap();
    let deep = min_id + (max_id - min_id) / 10;
    let user = 4_242;
    let cycle = format!("1-cycle-{}", n / 2 / 5_000);
    let week_ago = end - Duration::days(7);
    let ten_days_ago = end - Duration::days(10);
    let first = FIRST[(user % 24) as usize].to_lowercase();
    let last = LAST[((user / 24) % 24) as usize];
    let prefix = format!("{first} {}", &last[..3].to_lowercase());
    let some = |values: &[&str]| values.iter().map(|v| v.to_string()).collect::<Vec<_>>();
    let app = Some(apps[1].clone());
    let small_app = Some(apps[4].clone());
    let q = LogQuery::default;
    let queries: Vec<(String, LogQuery, Deep)> = vec![
        ("no filter".into(), q(), Deep::Far),
        (
            "application (25 %)".into(),
            LogQuery {
                application_id: app.clone(),
                ..q()
            },
            Deep::Far,
        ),
        (
            "application (5 %)".into(),
            LogQuery {
                application_id: small_app.clone(),
                ..q()
            },
            Deep::Far,
        ),
        (
            "status failure".into(),
            LogQuery {
                statuses: some(&["failure"]),
                ..q()
            },
            Deep::Far,
        ),
        (
            "status failure, application".into(),
            LogQuery {
                application_id: app.clone(),
                statuses: some(&["failure"]),
                ..q()
            },
            Deep::Far,
        ),
        (
            "status failure or warning".into(),
            LogQuery {
                statuses: some(&["failure", "warning"]),
                ..q()
            },
            Deep::Far,
        ),
        (
            "status success".into(),
            LogQuery {
                statuses: some(&["success"]),
                ..q()
            },
            Deep::Far,
        ),
        (
            "action delete".into(),
            LogQuery {
                actions: some(&["delete"]),
                ..q()
            },
            Deep::Far,
        ),
        (
            "action delete, application".into(),
            LogQuery {
                application_id: app.clone(),
                actions: some(&["delete"]),
                ..q()
            },
            Deep::Far,
        ),
        (
            "action disable or delete, status failure".into(),
            LogQuery {
                actions: some(&["disable", "delete"]),
                statuses: some(&["failure"]),
                ..q()
            },
            Deep::Far,
        ),
        (
            "one hour a week ago".into(),
            LogQuery {
                from: Some(week_ago),
                to: Some(week_ago + Duration::hours(1)),
                ..q()
            },
            Deep::Next,
        ),
        (
            "since a week ago".into(),
            LogQuery {
                from: Some(week_ago),
                ..q()
            },
            Deep::Next,
        ),
        (
            "application, failure, a day 10 days ago".into(),
            LogQuery {
                application_id: app.clone(),
                statuses: some(&["failure"]),
                from: Some(ten_days_ago),
                to: Some(ten_days_ago + Duration::days(1)),
                ..q()
            },
            Deep::Next,
        ),
        (
            "application (5 %), success, one hour a week ago".into(),
            LogQuery {
                application_id: small_app.clone(),
                statuses: some(&["success"]),
                from: Some(week_ago),
                to: Some(week_ago + Duration::hours(1)),
                ..q()
            },
            Deep::Next,
        ),
        (
            "identity: source id".into(),
            LogQuery {
                identity: Some(source_id(user)),
                ..q()
            },
            Deep::Next,
        ),
        (
            "identity: target id".into(),
            LogQuery {
                identity: Some(target_id(1, user)),
                ..q()
            },
            Deep::Next,
        ),
        (
            format!("identity: name prefix {prefix:?}"),
            LogQuery {
                identity: Some(prefix.clone()),
                ..q()
            },
            Deep::Far,
        ),
        (
            format!("identity: name prefix {prefix:?}, application"),
            LogQuery {
                identity: Some(prefix.clone()),
                application_id: app.clone(),
                ..q()
            },
            Deep::Far,
        ),
        (
            "identity: name prefix \"a\" (1 in 8 names)".into(),
            LogQuery {
                identity: Some("a".into()),
                ..q()
            },
            Deep::Far,
        ),
        (
            "cycle".into(),
            LogQuery {
                cycle_id: Some(cycle.clone()),
                ..q()
            },
            Deep::Next,
        ),
        (
            "cycle, status failure".into(),
            LogQuery {
                cycle_id: Some(cycle.clone()),
                statuses: some(&["failure"]),
                ..q()
            },
            Deep::None,
        ),
        (
            "change id".into(),
            LogQuery {
                change_id: Some(deep),
                ..q()
            },
            Deep::None,
        ),
        (
            "live: after the newest but 100".into(),
            LogQuery {
                after: Some(max_id - 100),
                ..q()
            },
            Deep::None,
        ),
    ];

    println!("\nqueries (limit 50, {RUNS} runs):");
    println!(
        "| {:<58} | {:>6} | {:>9} | {:>9} |",
        "query", "rows", "median ms", "max ms"
    );
    println!("|{:-<60}|{:-<8}|{:-<11}|{:-<11}|", "", "", "", "");
    for (name, query, deep_page) in &queries {
        let (page, median, max) = time(|| store.query_provisioning_log(query)).await;
        let page = page.unwrap();
        row(name, page.len(), median, max);
        let before = match deep_page {
            Deep::Far => Some((deep, "deep")),
            Deep::Next => page.last().map(|e| (e.id, "next")),
            Deep::None => None,
        };
        if let Some((before, which)) = before {
            let deeper = LogQuery {
                before: Some(before),
                ..query.clone()
            };
            let (page, median, max) = time(|| store.query_provisioning_log(&deeper)).await;
            row(&format!("  {which} page"), page.unwrap().len(), median, max);
        }
    }
    let (entry, median, max) = time(|| store.provisioning_log_entry(deep)).await;
    let user_source = source_id(user);
    row(
        "one entry by id",
        usize::from(entry.unwrap().is_some()),
        median,
        max,
    );
    let (page, median, max) =
        time(|| store.provisioning_log(&apps[1], Some(&user_source), None, 50)).await;
    row(
        "provisioning_log (one object)",
        page.unwrap().len(),
        median,
        max,
    );

    println!("\nactivity chart ({RUNS} runs):");
    for (name, app, since) in [
        (
            "24 hours, all applications",
            None,
            end - Duration::hours(24),
        ),
        ("7 days, all applications", None, end - Duration::days(7)),
        (
            "7 days, one application",
            Some(apps[1].as_str()),
            end - Duration::days(7),
        ),
        ("30 days, all applications", None, end - Duration::days(30)),
    ] {
        let (buckets, median, max) = time(|| store.provisioning_activity(app, since)).await;
        row(name, buckets.unwrap().len(), median, max);
    }

    println!("\nretention (entries older than 29 days, 10 batches each):");
    let cut = end - Duration::days(DAYS - 1);
    for batch in [100, 1000] {
        let mut times = Vec::new();
        let mut deleted = 0;
        for _ in 0..10 {
            let started = Instant::now();
            deleted += store.prune_provisioning_log(cut, batch).await.unwrap();
            times.push(ms(started.elapsed()));
        }
        times.sort_by(f64::total_cmp);
        row(
            &format!("prune_provisioning_log, batch {batch}"),
            deleted as usize,
            times[times.len() / 2],
            times[times.len() - 1],
        );
    }
}
