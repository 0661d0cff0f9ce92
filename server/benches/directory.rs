//! The directory's speed figures, measured against the real release binary:
//!
//! - SCIM user creates per second at concurrency 8 (`POST /scim/v2/Users`), with latency;
//! - CSV import of 100,000 users (upload and preview, then apply) through the portal's
//!   endpoints;
//! - the users page's query over those 100,000+ users (first page, a search, a deep page,
//!   another sort), timed at the store as the page's server function runs it.
//!
//! Run with `cargo bench -p steward --bench directory`. `BENCH_SCIM_USERS` (default 8000) and
//! `BENCH_CSV_ROWS` (default 100000) change the sizes.

#![allow(clippy::unwrap_used)]

#[path = "../tests/common/mod.rs"]
mod common;

use common::{admin_create, Server, PASSWORD};
use std::time::{Duration, Instant};
use steward_store::{UserQuery, UserSort, UserState};

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

async fn scim_creates(server: &Server, total: usize) {
    let token = server.scim_token("bench");
    let client = reqwest::Client::new();
    let workers = 8;
    let started = Instant::now();
    let mut tasks = Vec::new();
    for w in 0..workers {
        let client = client.clone();
        let url = server.url("/scim/v2/Users");
        let token = token.clone();
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            for i in (w..total).step_by(workers) {
                let body = serde_json::json!({
                    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                    "userName": format!("scim{i}@bench.example"),
                    "externalId": format!("S{i}"),
                    "name": {"givenName": "Scim", "familyName": format!("User {i}")},
                    "displayName": format!("Scim User {i}"),
                    "emails": [{"value": format!("scim{i}@bench.example"), "type": "work", "primary": true}],
                    "active": true
                });
                let t = Instant::now();
                let resp = client
                    .post(&url)
                    .bearer_auth(&token)
                    .header("content-type", "application/scim+json")
                    .body(body.to_string())
                    .send()
                    .await
                    .unwrap();
                assert_eq!(resp.status(), 201, "{}", resp.text().await.unwrap());
                resp.bytes().await.unwrap();
                latencies.push(t.elapsed());
            }
            latencies
        }));
    }
    let mut latencies = Vec::new();
    for t in tasks {
        latencies.extend(t.await.unwrap());
    }
    let elapsed = started.elapsed();
    latencies.sort();
    println!(
        "SCIM creates, concurrency {workers}: {total} users in {:.2} s = {:.0} creates/s (latency p50 {}, p99 {})",
        elapsed.as_secs_f64(),
        total as f64 / elapsed.as_secs_f64(),
        ms(percentile(&latencies, 0.5)),
        ms(percentile(&latencies, 0.99)),
    );
}

fn users_csv(rows: usize) -> String {
    const DEPARTMENTS: [&str; 8] = [
        "Research",
        "Engineering",
        "Sales",
        "Finance",
        "Legal",
        "Support",
        "Marketing",
        "People",
    ];
    let mut csv = String::from(
        "userName,givenName,familyName,email,department,title,employeeNumber,manager\n",
    );
    for i in 0..rows {
        let manager = if i >= 1000 {
            format!("csv{}@bench.example", i % 1000)
        } else {
            String::new()
        };
        csv.push_str(&format!(
            "csv{i}@bench.example,Given{i},Family{},csv{i}@bench.example,{},Engineer {},{i},{manager}\n",
            i % 5000,
            DEPARTMENTS[i % DEPARTMENTS.len()],
            i % 7
        ));
    }
    csv
}

async fn csv_import(server: &Server, rows: usize) {
    let cookie = server.sign_in("ada@example.com", PASSWORD).await;
    let client = server.client();
    let csv = users_csv(rows);
    let size = csv.len();
    let form = reqwest::multipart::Form::new().text("kind", "users").part(
        "file",
        reqwest::multipart::Part::bytes(csv.into_bytes())
            .file_name("bench.csv")
            .mime_str("text/csv")
            .unwrap(),
    );
    let started = Instant::now();
    let resp = server
        .post(&client, "/api/import")
        .header("cookie", &cookie)
        .multipart(form)
        .send()
        .await
        .unwrap();
    let location = resp
        .headers()
        .get("location")
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    let id = location
        .strip_prefix("/users/import/")
        .unwrap_or_else(|| panic!("the upload was refused: {location}"))
        .to_string();
    let planned = started.elapsed();
    let resp = server
        .post(&client, "/api/import_apply")
        .header("cookie", &cookie)
        .form(&[("id", id.as_str())])
        .send()
        .await
        .unwrap();
    assert!(resp.status().is_success(), "apply: {}", resp.status());
    let status = loop {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let status: serde_json::Value = server
            .post(&client, "/api/import_status")
            .header("cookie", &cookie)
            .form(&[("id", id.as_str())])
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if status["finished"] == true {
            break status;
        }
    };
    let total = started.elapsed();
    assert_eq!(status["succeeded"], rows, "{status}");
    let export_started = Instant::now();
    let exported = client
        .get(server.url("/api/export/users.csv"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let export_time = export_started.elapsed();
    println!(
        "CSV import, {rows} users ({:.1} MB; all but the first 1,000 name a manager in the same file): upload and preview {:.2} s, apply {:.2} s, total {:.2} s",
        size as f64 / 1e6,
        planned.as_secs_f64(),
        (total - planned).as_secs_f64(),
        total.as_secs_f64(),
    );
    println!(
        "CSV export of every user ({} rows, {:.1} MB): {:.2} s",
        exported.lines().count() - 1,
        exported.len() as f64 / 1e6,
        export_time.as_secs_f64()
    );
}

async fn users_page(server: &Server) {
    let store = server.store().await;
    let everyone = store
        .list_users(&UserQuery {
            limit: 1,
            ..Default::default()
        })
        .await
        .unwrap()
        .total;
    let cases: [(&str, UserQuery); 5] = [
        (
            "first page by name",
            UserQuery {
                limit: 50,
                ..Default::default()
            },
        ),
        (
            "search \"family42\"",
            UserQuery {
                search: Some("family42".into()),
                limit: 50,
                ..Default::default()
            },
        ),
        (
            "page 1000 by name",
            UserQuery {
                offset: 49_950,
                limit: 50,
                ..Default::default()
            },
        ),
        (
            "by email, descending",
            UserQuery {
                sort: UserSort::Email,
                descending: true,
                limit: 50,
                ..Default::default()
            },
        ),
        (
            "recycle bin",
            UserQuery {
                state: UserState::Deleted,
                limit: 50,
                ..Default::default()
            },
        ),
    ];
    println!("Users page query over {everyone} users (median and worst of 20 runs, at the store):");
    for (name, query) in cases {
        let mut times = Vec::new();
        let mut found = 0;
        for _ in 0..20 {
            let t = Instant::now();
            found = store.list_users(&query).await.unwrap().total;
            times.push(t.elapsed());
        }
        times.sort();
        println!(
            "  {name:<24} {:>10} median, {:>10} worst ({found} match)",
            ms(percentile(&times, 0.5)),
            ms(times[times.len() - 1])
        );
    }
}

async fn scim_queries(server: &Server) {
    let token = server.scim_token("bench-queries");
    let client = reqwest::Client::new();
    let cases = [
        ("userName eq (index)", vec![("filter", "userName eq \"csv50000@bench.example\"")]),
        ("page at startIndex 50001", vec![("startIndex", "50001"), ("count", "100")]),
        ("title eq (no index)", vec![("filter", "title eq \"Engineer 3\""), ("count", "100")]),
        (
            "enterprise department eq",
            vec![
                ("filter", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq \"Research\""),
                ("count", "100"),
            ],
        ),
        ("displayName sw, sorted", vec![("filter", "displayName sw \"Given9999\""), ("sortBy", "userName")]),
    ];
    println!("SCIM GET /Users over the same users (median of 5, over HTTP):");
    for (name, query) in cases {
        let mut times = Vec::new();
        let mut total = serde_json::Value::Null;
        for _ in 0..5 {
            let t = Instant::now();
            let body: serde_json::Value = client
                .get(server.url("/scim/v2/Users"))
                .bearer_auth(&token)
                .query(&query)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            times.push(t.elapsed());
            total = body["totalResults"].clone();
        }
        times.sort();
        println!(
            "  {name:<28} {:>10} median ({total} match)",
            ms(percentile(&times, 0.5))
        );
    }
}

fn main() {
    let scim_users = env_usize("BENCH_SCIM_USERS", 8000);
    let csv_rows = env_usize("BENCH_CSV_ROWS", 100_000);
    let data = tempfile::tempdir().unwrap();
    assert!(admin_create(data.path(), "ada@example.com", PASSWORD)
        .status
        .success());
    let server = Server::start_in(data, &[("STEWARD_LOG", "warn,steward::serve=info")]);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        scim_creates(&server, scim_users).await;
        csv_import(&server, csv_rows).await;
        users_page(&server).await;
        scim_queries(&server).await;
    });
}
