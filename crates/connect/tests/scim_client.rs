//! The SCIM client against the in-memory FakeScim: what the engine relies on when a target
//! throttles, fails, answers slowly or lacks PATCH, and the shapes and chunks it sends.

#![allow(clippy::unwrap_used)]

use std::time::{Duration, Instant};

use serde_json::{json, Value};
use steward_connect::testing::FakeScim;
use steward_connect::{Connector, OpErrorKind, ScimClient, ScimOptions, TargetObject};
use steward_scim::{PatchOperation, PatchPath};

const TOKEN: &str = "fake-token";

/// Options that keep the tests fast: short backoff and timeout.
fn fast() -> ScimOptions {
    ScimOptions {
        backoff_base_ms: 10,
        backoff_cap_ms: 50,
        timeout_ms: 2_000,
        ..ScimOptions::default()
    }
}

fn client(fake: &FakeScim, options: ScimOptions) -> ScimClient {
    ScimClient::with_options(&fake.url, TOKEN, options).unwrap()
}

fn user(name: &str) -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": name,
        "externalId": format!("ext-{name}"),
        "active": true,
        "emails": [{"type": "work", "value": format!("{name}@example.com"), "primary": true}],
    })
}

fn path(p: &str) -> PatchPath {
    PatchPath::parse(p).unwrap()
}

fn id(resource: &Value) -> String {
    resource["id"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn the_fake_creates_finds_pages_and_deletes() {
    let fake = FakeScim::start(TOKEN).await;
    let c = client(&fake, fast());
    let mut ids = Vec::new();
    for i in 0..25 {
        ids.push(id(&c
            .create(TargetObject::Users, &user(&format!("u{i}")))
            .await
            .unwrap()));
    }
    for (attribute, value) in [
        ("userName", "U7"), // userName is not case-exact
        ("externalId", "ext-u7"),
        ("emails[type eq \"work\"].value", "u7@example.com"),
        ("id", ids[7].as_str()),
    ] {
        let found = c.find(TargetObject::Users, attribute, value).await.unwrap();
        assert_eq!(found.len(), 1, "{attribute}");
        assert_eq!(found[0]["userName"], "u7", "{attribute}");
    }
    assert!(c
        .find(TargetObject::Users, "userName", "nobody")
        .await
        .unwrap()
        .is_empty());

    let page = c.list(TargetObject::Users, 21, 10).await.unwrap();
    assert_eq!(page.total, Some(25));
    assert_eq!(page.resources.len(), 5);
    assert_eq!(page.resources[0]["userName"], "u20");

    let again = c
        .create(TargetObject::Users, &user("U3"))
        .await
        .unwrap_err();
    assert_eq!(again.kind, OpErrorKind::Conflict);
    assert_eq!(again.scim_type.as_deref(), Some("uniqueness"));

    let group = c
        .create(TargetObject::Groups, &json!({"displayName": "Pilots"}))
        .await
        .unwrap();
    let group_again = c
        .create(TargetObject::Groups, &json!({"displayName": "pilots"}))
        .await
        .unwrap_err();
    assert_eq!(group_again.kind, OpErrorKind::Conflict);
    assert_eq!(
        c.get(TargetObject::Groups, &id(&group)).await.unwrap()["displayName"],
        "Pilots"
    );

    assert!(Connector::delete(&c, TargetObject::Users, &ids[0])
        .await
        .unwrap());
    assert!(!Connector::delete(&c, TargetObject::Users, &ids[0])
        .await
        .unwrap());
    assert_eq!(fake.users().len(), 24);

    // A wrong token is refused once, not retried.
    fake.clear_requests();
    let wrong = ScimClient::with_options(&fake.url, "wrong", fast()).unwrap();
    let refused = wrong
        .find(TargetObject::Users, "userName", "u1")
        .await
        .unwrap_err();
    assert_eq!(
        (refused.kind, refused.status),
        (OpErrorKind::Authentication, Some(401))
    );
    assert_eq!(fake.requests().len(), 1);
}

#[tokio::test]
async fn retry_after_holds_back_every_caller() {
    let fake = FakeScim::start(TOKEN).await;
    let c = client(&fake, fast());
    fake.throttle_next(1, 1);
    let first = {
        let c = c.clone();
        tokio::spawn(async move { c.find(TargetObject::Users, "userName", "a").await })
    };
    // The others start while the first waits out its Retry-After.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let others: Vec<_> = (0..5)
        .map(|i| {
            let c = c.clone();
            tokio::spawn(async move {
                c.find(TargetObject::Users, "userName", &format!("b{i}"))
                    .await
            })
        })
        .collect();
    first.await.unwrap().unwrap();
    for o in others {
        o.await.unwrap().unwrap();
    }

    let requests = fake.requests();
    assert_eq!(requests.len(), 7, "one 429, its retry and five others");
    let throttled_at = requests[0].at;
    for r in &requests[1..] {
        let after = r.at.duration_since(throttled_at);
        assert!(
            after >= Duration::from_secs(1),
            "a request came {after:?} after the 429 asked for 1 s"
        );
    }
    let stats = c.stats();
    assert_eq!((stats.throttled, stats.retries, stats.requests), (1, 1, 7));
    assert!(stats.waited >= Duration::from_millis(1_500), "{stats}");
}

#[tokio::test]
async fn a_long_retry_after_is_handed_back_without_sending() {
    let fake = FakeScim::start(TOKEN).await;
    let c = client(&fake, fast());
    fake.throttle_next(1, 3_600);
    let started = Instant::now();
    let e = c
        .find(TargetObject::Users, "userName", "a")
        .await
        .unwrap_err();
    assert_eq!(
        (e.kind, e.status, e.retry_after),
        (
            OpErrorKind::RateLimited,
            Some(429),
            Some(Duration::from_secs(3_600))
        )
    );
    // Later callers are not sent either, and learn how long is left.
    let held = c
        .create(TargetObject::Users, &user("later"))
        .await
        .unwrap_err();
    assert_eq!((held.kind, held.status), (OpErrorKind::RateLimited, None));
    assert!(held.retry_after.unwrap() > Duration::from_secs(3_590));
    assert!(held.is_transient());
    assert_eq!(fake.requests().len(), 1);
    assert!(started.elapsed() < Duration::from_secs(1));
}

#[tokio::test]
async fn server_errors_are_retried_with_backoff() {
    let fake = FakeScim::start(TOKEN).await;
    let c = client(&fake, fast());
    fake.fail_next(2, 500);
    c.find(TargetObject::Users, "userName", "a").await.unwrap();
    assert_eq!(fake.count("GET"), 3);
    assert_eq!(c.stats().retries, 2);

    // Still failing after the last try: the classified error.
    fake.clear_requests();
    fake.fail_next(10, 502);
    let e = c
        .find(TargetObject::Users, "userName", "a")
        .await
        .unwrap_err();
    assert_eq!((e.kind, e.status), (OpErrorKind::ServerError, Some(502)));
    assert_eq!(fake.count("GET"), 3);

    // Not transient: not retried.
    fake.clear_requests();
    fake.fail_next(10, 400);
    let e = c
        .find(TargetObject::Users, "userName", "a")
        .await
        .unwrap_err();
    assert_eq!(e.kind, OpErrorKind::Rejected);
    assert_eq!(fake.count("GET"), 1);
}

#[tokio::test]
async fn create_is_retried_only_when_it_cannot_duplicate() {
    let fake = FakeScim::start(TOKEN).await;
    let c = client(&fake, fast());
    // A 500 may have come after the user was made: not sent again.
    fake.fail_next(1, 500);
    let e = c
        .create(TargetObject::Users, &user("ada"))
        .await
        .unwrap_err();
    assert_eq!(e.kind, OpErrorKind::ServerError);
    assert_eq!(fake.count("POST"), 1);
    // 503 and 429 mean the request was turned away: sent again.
    fake.fail_next(1, 503);
    c.create(TargetObject::Users, &user("ada")).await.unwrap();
    fake.throttle_next(1, 0);
    c.create(TargetObject::Users, &user("grace")).await.unwrap();
    assert_eq!(fake.count("POST"), 5);
    assert_eq!(fake.users().len(), 2);

    // A target that did not answer in time may still have made the user: not sent again.
    let slow = client(
        &fake,
        ScimOptions {
            timeout_ms: 100,
            ..fast()
        },
    );
    fake.delay(Duration::from_millis(300));
    let e = slow
        .create(TargetObject::Users, &user("linus"))
        .await
        .unwrap_err();
    assert_eq!(e.kind, OpErrorKind::Timeout);
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(fake.count("POST"), 6);
    assert_eq!(fake.users().len(), 3, "the timed-out create did happen");
}

#[tokio::test]
async fn a_slow_answer_is_a_timeout_after_the_tries() {
    let fake = FakeScim::start(TOKEN).await;
    let c = client(
        &fake,
        ScimOptions {
            timeout_ms: 100,
            max_attempts: 2,
            ..fast()
        },
    );
    fake.delay(Duration::from_millis(400));
    let started = Instant::now();
    let e = c
        .find(TargetObject::Users, "userName", "a")
        .await
        .unwrap_err();
    assert_eq!((e.kind, e.status), (OpErrorKind::Timeout, None));
    assert!(e.is_transient());
    assert_eq!(fake.count("GET"), 2);
    assert!(
        started.elapsed() < Duration::from_millis(400),
        "gave up in time"
    );
}

#[tokio::test]
async fn updates_use_put_where_patch_is_unsupported() {
    let fake = FakeScim::start(TOKEN).await;
    fake.set_patch_supported(false);
    let c = client(&fake, fast());
    assert!(c.capabilities().patch, "assumed until discovered");
    let caps = c.discover().await.unwrap();
    assert!(!caps.patch && caps.filter);
    assert_eq!(caps.max_results, Some(200));
    assert_eq!(c.capabilities(), caps);

    let created = c.create(TargetObject::Users, &user("ada")).await.unwrap();
    let mut whole = user("ada");
    whole["title"] = json!("Professor");
    let ops = [PatchOperation::replace(
        Some(&path("title")),
        json!("Professor"),
    )];
    Connector::update(&c, TargetObject::Users, &id(&created), &ops, &whole)
        .await
        .unwrap();
    assert_eq!(fake.count("PUT"), 1);
    assert_eq!(fake.count("PATCH"), 0);
    let stored = &fake.users()[0];
    assert_eq!(
        (stored["title"].clone(), stored["id"].clone()),
        (json!("Professor"), created["id"].clone())
    );

    // Nothing changed: nothing sent.
    fake.clear_requests();
    Connector::update(&c, TargetObject::Users, &id(&created), &[], &whole)
        .await
        .unwrap();
    assert!(fake.requests().is_empty());

    // A PUT of a missing object is NotFound, never "deleted".
    let missing = Connector::update(&c, TargetObject::Users, "nope", &ops, &whole)
        .await
        .unwrap_err();
    assert_eq!(missing.kind, OpErrorKind::NotFound);

    // The application forces PATCH: the target's 501 is a refusal, not retried.
    let forced = client(
        &fake,
        ScimOptions {
            patch: Some(true),
            ..fast()
        },
    );
    forced.discover().await.unwrap();
    assert!(forced.capabilities().patch);
    fake.clear_requests();
    let refused = Connector::update(&forced, TargetObject::Users, &id(&created), &ops, &whole)
        .await
        .unwrap_err();
    assert_eq!(
        (refused.kind, refused.status),
        (OpErrorKind::Rejected, Some(501))
    );
    assert_eq!(fake.count("PATCH"), 1);
}

#[tokio::test]
async fn discovery_without_a_service_provider_config_assumes_patch() {
    let fake = FakeScim::start(TOKEN).await;
    // Under this base every path is a 404.
    let c = ScimClient::with_options(&format!("{}/elsewhere", fake.url), TOKEN, fast()).unwrap();
    let caps = c.discover().await.unwrap();
    assert!(caps.patch && caps.filter);
    assert_eq!(fake.count("GET"), 1, "a 404 is not retried");
}

#[tokio::test]
async fn patch_sends_only_the_change_and_a_missing_object_is_not_found() {
    let fake = FakeScim::start(TOKEN).await;
    let c = client(&fake, fast());
    c.discover().await.unwrap();
    let created = c.create(TargetObject::Users, &user("ada")).await.unwrap();
    let ops = [PatchOperation::replace(Some(&path("active")), json!(false))];
    Connector::update(&c, TargetObject::Users, &id(&created), &ops, &json!({}))
        .await
        .unwrap();
    let sent = fake
        .requests()
        .into_iter()
        .find(|r| r.method == "PATCH")
        .unwrap();
    assert_eq!(
        sent.body.unwrap()["Operations"],
        json!([{"op": "replace", "path": "active", "value": false}])
    );
    assert_eq!(fake.users()[0]["active"], json!(false));

    let missing = Connector::update(&c, TargetObject::Users, "nope", &ops, &json!({}))
        .await
        .unwrap_err();
    assert_eq!(missing.kind, OpErrorKind::NotFound);
}

fn member_ids(group: &Value) -> Vec<String> {
    group["members"]
        .as_array()
        .map(|m| {
            m.iter()
                .map(|v| v["value"].as_str().unwrap().to_string())
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn member_changes_go_in_chunks() {
    let fake = FakeScim::start(TOKEN).await;
    let c = client(&fake, fast());
    let group = id(&c
        .create(TargetObject::Groups, &json!({"displayName": "All"}))
        .await
        .unwrap());
    let ids: Vec<String> = (0..250).map(|i| format!("m{i:03}")).collect();

    c.change_members(&group, &ids, &[]).await.unwrap();
    assert_eq!(fake.count("PATCH"), 3);
    assert_eq!(member_ids(&fake.groups()[0]).len(), 250);

    fake.clear_requests();
    c.change_members(&group, &[], &ids[..120]).await.unwrap();
    assert_eq!(fake.count("PATCH"), 2);
    assert_eq!(member_ids(&fake.groups()[0]), ids[120..].to_vec());

    // Nothing to change: nothing sent.
    fake.clear_requests();
    c.change_members(&group, &[], &[]).await.unwrap();
    assert!(fake.requests().is_empty());

    // A smaller chunk for a target with a lower limit.
    let small = client(
        &fake,
        ScimOptions {
            member_chunk: 10,
            ..fast()
        },
    );
    small
        .change_members(&group, &ids[..25], &ids[200..])
        .await
        .unwrap();
    assert_eq!(fake.count("PATCH"), 8, "75 members, 10 a request");
    let mut expected = ids[..25].to_vec();
    expected.extend_from_slice(&ids[120..200]);
    let mut members = member_ids(&fake.groups()[0]);
    members.sort();
    assert_eq!(members, expected);
}

#[tokio::test]
async fn legacy_shapes_are_sent_on_request_and_understood() {
    let fake = FakeScim::start(TOKEN).await;
    let legacy = client(
        &fake,
        ScimOptions {
            legacy_shapes: true,
            ..fast()
        },
    );
    let created = legacy
        .create(TargetObject::Users, &user("ada"))
        .await
        .unwrap();
    legacy
        .patch(
            TargetObject::Users,
            &id(&created),
            &[
                PatchOperation::replace(Some(&path("active")), json!(false)),
                PatchOperation::replace(Some(&path("title")), json!("Professor")),
            ],
        )
        .await
        .unwrap();
    let body = fake
        .requests()
        .into_iter()
        .find(|r| r.method == "PATCH")
        .unwrap()
        .body
        .unwrap();
    assert_eq!(
        body["Operations"][0],
        json!({"op": "Replace", "path": "active", "value": "False"})
    );
    let stored = &fake.users()[0];
    assert_eq!(
        (stored["active"].clone(), stored["title"].clone()),
        (json!(false), json!("Professor"))
    );

    let group = id(&legacy
        .create(TargetObject::Groups, &json!({"displayName": "Ops"}))
        .await
        .unwrap());
    let ids: Vec<String> = (0..5).map(|i| format!("m{i}")).collect();
    legacy.change_members(&group, &ids, &[]).await.unwrap();
    fake.clear_requests();
    legacy.change_members(&group, &[], &ids[..2]).await.unwrap();
    let body = fake.requests()[0].body.clone().unwrap();
    assert_eq!(
        body["Operations"],
        json!([{"op": "Remove", "path": "members", "value": [{"value": "m0"}, {"value": "m1"}]}])
    );
    assert_eq!(member_ids(&fake.groups()[0]), ids[2..].to_vec());
}

#[tokio::test]
async fn the_concurrency_limit_halves_on_429_and_grows_back() {
    let fake = FakeScim::start(TOKEN).await;
    let c = client(
        &fake,
        ScimOptions {
            initial_concurrency: 8,
            max_concurrency: 8,
            ..fast()
        },
    );
    assert_eq!(c.stats().limit, 8);
    fake.throttle_next(1, 0);
    c.find(TargetObject::Users, "userName", "a").await.unwrap();
    assert_eq!(c.stats().limit, 4);
    fake.fail_next(1, 503);
    c.find(TargetObject::Users, "userName", "a").await.unwrap();
    assert_eq!(c.stats().limit, 2);
    // Two, three, ..., seven successes in a row each raise it by one.
    for _ in 0..(2 + 3 + 4 + 5 + 6 + 7) {
        c.find(TargetObject::Users, "userName", "a").await.unwrap();
    }
    assert_eq!(c.stats().limit, 8);
    // Never above the maximum.
    for _ in 0..20 {
        c.find(TargetObject::Users, "userName", "a").await.unwrap();
    }
    assert_eq!(c.stats().limit, 8);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_callers_under_throttling_make_no_duplicates() {
    let fake = FakeScim::start(TOKEN).await;
    let c = client(&fake, fast());
    fake.throttle_next(5, 0);
    let tasks: Vec<_> = (0..200)
        .map(|i| {
            let c = c.clone();
            tokio::spawn(
                async move { c.create(TargetObject::Users, &user(&format!("u{i}"))).await },
            )
        })
        .collect();
    for t in tasks {
        t.await.unwrap().unwrap();
    }
    assert_eq!(fake.users().len(), 200);
    assert_eq!(fake.count("POST"), 205);
    let stats = c.stats();
    assert_eq!((stats.throttled, stats.requests), (5, 205), "{stats}");
    assert!(stats.limit >= 1 && stats.limit <= 8);
}

/// Not an assertion of speed (machines differ): how many requests a second the client and
/// the fake manage together. `cargo test -p steward-connect --features testing --release
/// --test scim_client -- --ignored --nocapture`
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore]
async fn throughput_against_the_fake() {
    let fake = FakeScim::start(TOKEN).await;
    // The fake's pace, not a cautious target's: as many in flight as there are callers.
    let c = client(
        &fake,
        ScimOptions {
            initial_concurrency: 64,
            max_concurrency: 64,
            ..fast()
        },
    );
    let started = Instant::now();
    let tasks: Vec<_> = (0..64)
        .map(|t| {
            let c = c.clone();
            tokio::spawn(async move {
                for i in 0..50 {
                    let name = format!("u{t}-{i}");
                    let created = c.create(TargetObject::Users, &user(&name)).await.unwrap();
                    let found = c
                        .find(TargetObject::Users, "userName", &name)
                        .await
                        .unwrap();
                    assert_eq!(found[0]["id"], created["id"]);
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    let elapsed = started.elapsed();
    let stats = c.stats();
    println!(
        "{} requests in {elapsed:?}: {:.0}/s ({stats})",
        stats.requests,
        stats.requests as f64 / elapsed.as_secs_f64()
    );
    assert_eq!(fake.users().len(), 64 * 50);
}
