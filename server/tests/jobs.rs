//! Provisioning jobs in the running server, driven through `/api/v1` only: turned on, the
//! background engine runs the initial cycle against a real SCIM target (scim2-server), then
//! follows the directory's changes within seconds; a server killed in the middle of a cycle
//! resumes it after a restart, and the target ends exactly right, without duplicates and
//! without losing the change made just before the crash.

#![allow(clippy::unwrap_used)]

mod common;

use common::Api;
use serde_json::{json, Value};
use std::time::{Duration, Instant};
use steward_connect::testing::{FakeScim, Scim2Server};
use steward_connect::{ScimClient, TargetObject};

/// Creates a custom SCIM application pointed at `url`, in automatic mode; its id.
async fn application(api: &Api, url: &str, token: &str, settings: Value) -> String {
    let (status, app) = api
        .call(
            "POST",
            "/applications",
            Some(json!({"gallery_id": "custom-scim", "name": "Wiki"})),
        )
        .await;
    assert_eq!(status, 201, "{app}");
    let id = app["id"].as_str().unwrap().to_string();
    let (status, body) = api
        .call(
            "PUT",
            &format!("/applications/{id}/credentials"),
            Some(json!({"version": app["version"], "values": {"tenant_url": url, "secret_token": token}})),
        )
        .await;
    assert_eq!(status, 204, "{body}");
    let (_, app) = api.call("GET", &format!("/applications/{id}"), None).await;
    let (status, body) = api
        .call(
            "PATCH",
            &format!("/applications/{id}"),
            Some(json!({"version": app["version"], "provisioning_mode": "automatic"})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (_, app) = api.call("GET", &format!("/applications/{id}"), None).await;
    let (_, current) = api.call("GET", &format!("/applications/{id}"), None).await;
    let mut merged = current["settings"].clone();
    for (k, v) in settings.as_object().unwrap() {
        merged[k] = v.clone();
    }
    let all = json!({"version": app["version"], "settings": merged});
    if settings.as_object().is_some_and(|m| !m.is_empty()) {
        let (status, body) = api
            .call("PUT", &format!("/applications/{id}/settings"), Some(all))
            .await;
        assert_eq!(status, 200, "{body}");
    }
    id
}

/// Polls the job until `done` says so (at most `secs` seconds); the last status.
async fn wait_for(api: &Api, id: &str, secs: u64, done: impl Fn(&Value) -> bool) -> Value {
    let started = Instant::now();
    loop {
        let (status, job) = api
            .call("GET", &format!("/applications/{id}/job"), None)
            .await;
        assert_eq!(status, 200, "{job}\n{}", api.server.log_lines().join("\n"));
        if done(&job) {
            return job;
        }
        assert!(
            started.elapsed() < Duration::from_secs(secs),
            "the job did not get there in {secs} s: {job:#}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn completed_initial(job: &Value) -> bool {
    job["state"] == "idle"
        && job["last_cycle"]["status"] == "completed"
        && job["last_full_at"].is_string()
}

/// Creates a user through the server's inbound SCIM endpoint (so the server's engine hears of
/// it at once); its id.
async fn scim_user(api: &Api, token: &str, name: &str) -> String {
    let resp = api
        .client
        .post(api.server.url("/scim/v2/Users"))
        .bearer_auth(token)
        .json(&json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "userName": format!("{name}@example.com"),
            "displayName": name,
            "name": {"givenName": name, "familyName": "Example"},
            "emails": [{"value": format!("{name}@example.com"), "type": "work", "primary": true}],
            "active": true
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 201);
    resp.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string()
}

async fn scim_rename(api: &Api, token: &str, id: &str, display: &str) {
    let resp = api
        .client
        .patch(api.server.url(&format!("/scim/v2/Users/{id}")))
        .bearer_auth(token)
        .json(&json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{"op": "replace", "path": "displayName", "value": display}]
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
}

#[tokio::test]
async fn a_job_provisions_by_itself_and_follows_the_directory() {
    let api = Api::start();
    let scim_token = api.server.scim_token("hr");
    let target = Scim2Server::start("job-token");
    let scim = ScimClient::new(&target.url, "job-token", Duration::from_secs(10)).unwrap();
    let id = application(&api, &target.url, "job-token", json!({})).await;

    let ada = scim_user(&api, &scim_token, "ada").await;
    let bob = scim_user(&api, &scim_token, "bob").await;
    for who in [&ada, &bob] {
        let (status, body) = api
            .call(
                "POST",
                &format!("/applications/{id}/assignments"),
                Some(json!({"principal_id": who, "kind": "User"})),
            )
            .await;
        assert_eq!(status, 204, "{body}");
    }

    // A new job is off: nothing is sent until an admin starts it.
    let (_, job) = api
        .call("GET", &format!("/applications/{id}/job"), None)
        .await;
    assert_eq!(job["state"], "off", "{job}");
    let (status, job) = api
        .call("POST", &format!("/applications/{id}/job/start"), None)
        .await;
    assert_eq!(status, 200, "{job}");
    let job = wait_for(&api, &id, 30, completed_initial).await;
    assert_eq!(job["last_cycle"]["kind"], "initial", "{job}");
    assert_eq!(job["last_cycle"]["counters"]["created"], 2, "{job}");
    for name in ["ada", "bob"] {
        let found = scim
            .find(
                TargetObject::Users,
                "userName",
                &format!("{name}@example.com"),
            )
            .await
            .unwrap();
        assert_eq!(found.len(), 1, "{name}");
    }

    // A change in the directory reaches the target within seconds, without anyone asking.
    let started = Instant::now();
    scim_rename(&api, &scim_token, &ada, "Ada Lovelace").await;
    loop {
        let found = scim
            .find(TargetObject::Users, "userName", "ada@example.com")
            .await
            .unwrap();
        if found[0]["displayName"] == "Ada Lovelace" {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the change did not reach the target in 10 s"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // The cycles and the log say what happened.
    let (_, cycles) = api
        .call("GET", &format!("/applications/{id}/job/cycles"), None)
        .await;
    let kinds: Vec<&str> = cycles
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["kind"].as_str().unwrap())
        .collect();
    assert!(
        kinds.contains(&"incremental") && kinds.contains(&"initial"),
        "{kinds:?}"
    );

    // Off again: a change waits.
    let (_, job) = api
        .call("POST", &format!("/applications/{id}/job/pause"), None)
        .await;
    assert_eq!(job["state"], "off");
    scim_rename(&api, &scim_token, &bob, "Bob While Off").await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let found = scim
        .find(TargetObject::Users, "userName", "bob@example.com")
        .await
        .unwrap();
    assert_eq!(found[0]["displayName"], "bob", "nothing is sent while off");

    // An unknown command is refused with the list of commands.
    let (status, body) = api
        .call("POST", &format!("/applications/{id}/job/explode"), None)
        .await;
    assert_eq!(status, 404, "{body}");
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("restart-full"));

    // The commands are in the audit log.
    let store = api.server.store().await;
    let events = store
        .list_audit(&steward_store::AuditFilter::default(), None, 50)
        .await
        .unwrap();
    for action in ["provisioning.start", "provisioning.pause"] {
        assert!(events.iter().any(|e| e.action == action), "{action}");
    }
}

#[tokio::test]
async fn a_server_killed_mid_cycle_resumes_and_the_target_ends_exact() {
    const USERS: usize = 600;
    let env = [("STEWARD_JOB_LEASE_SECONDS", "2")];
    let api = Api::start_with(&env);
    let fake = FakeScim::start("crash-token").await;
    // Slow answers, so the cycle is surely under way when the server is killed.
    fake.delay(Duration::from_millis(20));
    let id = application(&api, &fake.url, "crash-token", json!({"scope": "all"})).await;

    let store = api.server.store().await;
    let mut ids = Vec::new();
    for i in 0..USERS {
        let u = store
            .create_user(json!({
                "userName": format!("user{i:03}@example.com"),
                "displayName": format!("User {i}"),
                "active": true
            }))
            .await
            .unwrap();
        ids.push(u.id.to_string());
    }
    drop(store);

    api.call("POST", &format!("/applications/{id}/job/start"), None)
        .await;
    wait_for(&api, &id, 60, |job| {
        job["current_cycle"]["done"].as_u64().unwrap_or(0) >= 300
    })
    .await;
    let scim_token = api.server.scim_token("hr");
    // A change made just before the crash must not be lost.
    scim_rename(
        &api,
        &scim_token,
        &ids[USERS - 1],
        "Renamed Before The Crash",
    )
    .await;

    let Api {
        server,
        client,
        token,
    } = api;
    let server = server.crash_and_restart(&env);
    let api = Api {
        server,
        client,
        token,
    };
    let before_restart = fake.users().len();
    assert!(
        before_restart < USERS,
        "the cycle was still under way when the server was killed ({before_restart} created)"
    );
    fake.delay(Duration::ZERO);

    let job = wait_for(&api, &id, 90, |job| {
        completed_initial(job) && job["current_cycle"].is_null()
    })
    .await;
    // Every user exactly once, with the last change.
    let users = fake.users();
    let mut names: Vec<&str> = users
        .iter()
        .map(|u| u["userName"].as_str().unwrap())
        .collect();
    names.sort();
    names.dedup();
    assert_eq!(names.len(), USERS, "{job:#}");
    assert_eq!(users.len(), USERS, "no duplicates");
    // The change made just before the crash arrives too (after the resumed cycle, the
    // changes since the watermark are handled).
    let renamed = format!("user{:03}@example.com", USERS - 1);
    let started = Instant::now();
    loop {
        let user = fake
            .users()
            .into_iter()
            .find(|u| u["userName"] == renamed.as_str())
            .unwrap();
        if user["displayName"] == "Renamed Before The Crash" {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the change made before the crash was lost: {user}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // The interrupted cycle was resumed from its cursor, not started over: the users
    // created before the crash were not looked up and created again.
    let posts = fake.count("POST");
    assert!(
        posts <= USERS + 16,
        "{posts} creates for {USERS} users: the cycle started over"
    );
    let (_, cycles) = api
        .call("GET", &format!("/applications/{id}/job/cycles"), None)
        .await;
    let initial: Vec<&Value> = cycles
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["kind"] == "initial")
        .collect();
    assert_eq!(initial.len(), 1, "one initial cycle, resumed: {cycles:#}");
    assert_eq!(initial[0]["status"], "completed");
}

#[tokio::test]
async fn a_group_is_provisioned_on_demand_with_its_members() {
    let api = Api::start();
    let target = Scim2Server::start("group-token");
    let scim = ScimClient::new(&target.url, "group-token", Duration::from_secs(10)).unwrap();
    let id = application(&api, &target.url, "group-token", json!({})).await;
    let store = api.server.store().await;
    let mut members = Vec::new();
    for name in ["ada", "grace"] {
        let u = store
            .create_user(json!({"userName": format!("{name}@example.com"), "displayName": name, "active": true}))
            .await
            .unwrap();
        members.push(steward_store::Member {
            id: u.id.to_string(),
            member_type: steward_store::MemberType::User,
        });
    }
    let group = store
        .create_group(json!({"displayName": "Pioneers"}), members)
        .await
        .unwrap();
    let (status, body) = api
        .call(
            "POST",
            &format!("/applications/{id}/assignments"),
            Some(json!({"principal_id": group.id.to_string(), "kind": "Group"})),
        )
        .await;
    assert_eq!(status, 204, "{body}");

    let (status, out) = api
        .call(
            "POST",
            &format!("/applications/{id}/provision-on-demand"),
            Some(json!({"group": "Pioneers"})),
        )
        .await;
    assert_eq!(status, 200, "{out}");
    assert_eq!(out["group"]["action"], "create", "{out}");
    let member_actions: Vec<&str> = out["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["action"].as_str().unwrap())
        .collect();
    assert_eq!(member_actions, ["create", "create"], "{out}");
    let steps: Vec<&str> = out["group"]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["step"].as_str().unwrap())
        .collect();
    assert!(steps.contains(&"members"), "{steps:?}");
    let found = scim
        .find(TargetObject::Groups, "displayName", "Pioneers")
        .await
        .unwrap();
    assert_eq!(found.len(), 1);
    let group = scim
        .get(TargetObject::Groups, found[0]["id"].as_str().unwrap())
        .await
        .unwrap();
    assert_eq!(
        group["members"].as_array().map(Vec::len),
        Some(2),
        "{group}"
    );

    // Neither a user nor a group named: refused.
    let (status, body) = api
        .call(
            "POST",
            &format!("/applications/{id}/provision-on-demand"),
            Some(json!({})),
        )
        .await;
    assert_eq!(status, 422, "{body}");
}
