//! Cycles end to end against the in-memory fault-injecting SCIM target (FakeScim): the
//! initial cycle, no-op cycles, incremental changes from the feed, groups and members, the
//! manager reference, the deletion threshold, quarantine, escrow, dry runs, targets without
//! PATCH, and the notifications quarantine and held deletes cause (one per event). Each test drives the engine with `run_until_idle` instead of background
//! tasks, so it knows when the work is done.

#![allow(clippy::unwrap_used)]

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use serde_json::{json, Value};
use steward_connect::testing::FakeScim;
use steward_connect::{Connector, ScimClient, ScimOptions, TargetObject};
use steward_engine::{AppContext, Engine, EngineOptions, Host};
use steward_gallery::{AppMappings, Gallery};
use steward_store::sqlite::SqliteStore;
use steward_store::{
    Application, ApplicationChange, JobChange, JobCommand, Member, MemberType, Notification,
    NotificationKind, ObjectType, Store,
};

const TOKEN: &str = "engine-test-token";

struct TestHost {
    store: Arc<dyn Store>,
    connector: Mutex<Arc<dyn Connector>>,
}

#[async_trait]
impl Host for TestHost {
    async fn automatic_applications(&self) -> Result<Vec<String>, String> {
        Ok(self
            .store
            .list_applications()
            .await
            .unwrap()
            .into_iter()
            .map(|a| a.id)
            .collect())
    }

    async fn prepare(&self, id: &str) -> Result<Option<AppContext>, String> {
        let app = self.store.application(id).await.unwrap().unwrap();
        let entry = Gallery::builtin()
            .unwrap()
            .get(&app.gallery_id)
            .unwrap()
            .clone();
        Ok(Some(AppContext::for_application(
            app,
            entry,
            self.connector.lock().unwrap().clone(),
        )))
    }
}

fn client(fake: &FakeScim, token: &str) -> Arc<dyn Connector> {
    let options = ScimOptions {
        backoff_base_ms: 1,
        backoff_cap_ms: 5,
        timeout_ms: 2000,
        ..ScimOptions::default()
    };
    Arc::new(ScimClient::with_options(&fake.url, token, options).unwrap())
}

struct World {
    store: Arc<dyn Store>,
    host: Arc<TestHost>,
    engine: Arc<Engine>,
    app: Application,
    fake: FakeScim,
}

impl World {
    async fn new(settings: Value) -> World {
        let store: Arc<dyn Store> = Arc::new(SqliteStore::in_memory().await.unwrap());
        let fake = FakeScim::start(TOKEN).await;
        let app = store.create_application("custom-scim", "HR").await.unwrap();
        let app = store
            .update_application(
                &app.id,
                ApplicationChange {
                    provisioning_mode: Some("automatic".into()),
                    settings: Some(settings),
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
        let host = Arc::new(TestHost {
            store: store.clone(),
            connector: Mutex::new(client(&fake, TOKEN)),
        });
        let options = EngineOptions {
            debounce: std::time::Duration::from_millis(1),
            max_debounce: std::time::Duration::from_millis(5),
            retry_delays: vec![0],
            quarantine_delays: vec![3600],
            ..EngineOptions::default()
        };
        let engine = Engine::new(store.clone(), host.clone(), options);
        World {
            store,
            host,
            engine,
            app,
            fake,
        }
    }

    async fn user(&self, name: &str, manager: Option<&str>) -> String {
        let mut resource = json!({
            "userName": format!("{name}@example.com"),
            "displayName": name,
            "name": {"givenName": name, "familyName": "Test"},
            "emails": [{"type": "work", "value": format!("{name}@example.com")}],
            "active": true,
        });
        if let Some(m) = manager {
            resource["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"] =
                json!({"manager": {"value": m}});
        }
        self.store
            .create_user(resource)
            .await
            .unwrap()
            .id
            .to_string()
    }

    async fn assign(&self, id: &str, member_type: MemberType) {
        self.store
            .assign(
                &self.app.id,
                Member {
                    id: id.to_string(),
                    member_type,
                },
                "User",
            )
            .await
            .unwrap();
    }

    async fn run(&self) -> Vec<steward_store::Cycle> {
        self.engine.run_until_idle(&self.app.id).await.unwrap()
    }

    fn target_user(&self, user_name: &str) -> Value {
        self.fake
            .users()
            .into_iter()
            .find(|u| u["userName"] == format!("{user_name}@example.com"))
            .unwrap_or_else(|| panic!("{user_name} is not in the target"))
    }
}

#[tokio::test]
async fn a_directory_reaches_the_target_and_stays_in_line() {
    let w = World::new(json!({})).await;
    let grace = w.user("grace", None).await;
    let ada = w.user("ada", Some(&grace)).await;
    let carol = w.user("carol", None).await;
    let _bob = w.user("bob", None).await; // never assigned
    let eng = w
        .store
        .create_group(
            json!({"displayName": "Engineering"}),
            vec![
                Member {
                    id: carol.clone(),
                    member_type: MemberType::User,
                },
                Member {
                    id: ada.clone(),
                    member_type: MemberType::User,
                },
            ],
        )
        .await
        .unwrap()
        .id
        .to_string();
    w.assign(&ada, MemberType::User).await;
    w.assign(&grace, MemberType::User).await;
    w.assign(&eng, MemberType::Group).await;

    // Initial cycle: the three assigned users (carol through the group), then the group.
    let cycles = w.run().await;
    assert_eq!(cycles[0].kind, "initial");
    assert_eq!(cycles[0].status, "completed", "{:?}", cycles[0]);
    assert_eq!(cycles[0].counters.created, 4, "{:?}", cycles[0].counters);
    let mut names: Vec<String> = w
        .fake
        .users()
        .iter()
        .map(|u| u["userName"].as_str().unwrap().to_string())
        .collect();
    names.sort();
    assert_eq!(
        names,
        ["ada@example.com", "carol@example.com", "grace@example.com"]
    );
    let grace_t = w.target_user("grace")["id"].as_str().unwrap().to_string();
    let ada_t = w.target_user("ada");
    assert_eq!(
        ada_t["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"]["manager"]["value"],
        grace_t,
        "the manager is linked (in the first pass or the second)"
    );
    let groups = w.fake.groups();
    assert_eq!(groups.len(), 1);
    let mut members: Vec<&str> = groups[0]["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["value"].as_str().unwrap())
        .collect();
    members.sort();
    let carol_t = w.target_user("carol");
    let mut expected = vec![
        ada_t["id"].as_str().unwrap(),
        carol_t["id"].as_str().unwrap(),
    ];
    expected.sort();
    assert_eq!(members, expected);

    // A periodic cycle with nothing changed sends nothing.
    w.fake.clear_requests();
    let cycles = w.run_now().await;
    assert_eq!(cycles.len(), 1);
    assert_eq!(cycles[0].kind, "periodic");
    assert_eq!(w.fake.requests().len(), 0, "{:?}", w.fake.requests());
    assert_eq!(cycles[0].counters.in_scope, 4);

    // A change in the directory: one PATCH with only what changed.
    let mut resource = w
        .store
        .user(steward_store::UserId::parse(&ada).unwrap())
        .await
        .unwrap()
        .unwrap()
        .resource;
    resource["displayName"] = json!("Ada Lovelace");
    w.store
        .replace_user(steward_store::UserId::parse(&ada).unwrap(), resource, None)
        .await
        .unwrap();
    let cycles = w.run().await;
    assert_eq!(cycles[0].kind, "incremental");
    assert_eq!(cycles[0].counters.updated, 1);
    let patches: Vec<_> = w
        .fake
        .requests()
        .into_iter()
        .filter(|r| r.method == "PATCH")
        .collect();
    assert_eq!(patches.len(), 1);
    assert_eq!(
        patches[0].body.as_ref().unwrap()["Operations"],
        json!([{"op": "replace", "path": "displayName", "value": "Ada Lovelace"}])
    );
    assert_eq!(w.target_user("ada")["displayName"], "Ada Lovelace");

    // Leaving the group removes the member there; ada stays (assigned directly).
    w.fake.clear_requests();
    w.store
        .remove_member(steward_store::GroupId::parse(&eng).unwrap(), &ada)
        .await
        .unwrap();
    w.run().await;
    let members = w.fake.groups()[0]["members"].as_array().unwrap().clone();
    assert_eq!(members.len(), 1);
    assert_eq!(w.target_user("ada")["active"], true);

    // Unassigned: disabled (the custom SCIM app disables), not deleted.
    w.store.unassign(&w.app.id, &grace).await.unwrap();
    let cycles = w.run().await;
    assert_eq!(cycles[0].counters.disabled, 1, "{:?}", cycles[0]);
    assert_eq!(w.target_user("grace")["active"], false);

    // Assigned again: enabled again.
    w.assign(&grace, MemberType::User).await;
    w.run().await;
    assert_eq!(w.target_user("grace")["active"], true);

    // Deleted for good in the directory: deleted in the target.
    w.store
        .hard_delete_user(steward_store::UserId::parse(&grace).unwrap())
        .await
        .unwrap();
    let cycles = w.run().await;
    assert_eq!(cycles[0].counters.deleted, 1, "{:?}", cycles[0]);
    assert!(w
        .fake
        .users()
        .iter()
        .all(|u| u["userName"] != "grace@example.com"));
    assert_eq!(w.fake.users().len(), 2, "no duplicates, nothing else gone");
}

/// Sets the expression of the users' mapping to `target`.
async fn map_user_expression(w: &World, target: &str, expression: &str) {
    let entry = Gallery::builtin()
        .unwrap()
        .get("custom-scim")
        .unwrap()
        .clone();
    let mut mappings = AppMappings::defaults(&entry);
    for m in &mut mappings.users.attributes {
        if m.target == target {
            m.source = steward_gallery::Source::Expression(expression.into());
        }
    }
    let app = w.store.application(&w.app.id).await.unwrap().unwrap();
    w.store
        .update_application(
            &app.id,
            ApplicationChange {
                mappings: Some(Some(serde_json::to_value(&mappings).unwrap())),
                ..ApplicationChange::default()
            },
            app.version,
        )
        .await
        .unwrap();
}

#[tokio::test]
async fn a_report_follows_its_manager_to_a_new_account() {
    const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
    let w = World::new(json!({})).await;
    let grace = w.user("grace", None).await;
    let ada = w.user("ada", Some(&grace)).await;
    w.assign(&ada, MemberType::User).await;
    w.assign(&grace, MemberType::User).await;
    w.run().await;
    let old = w.target_user("grace")["id"].as_str().unwrap().to_string();
    assert_eq!(w.target_user("ada")[ENTERPRISE]["manager"]["value"], old);

    // Grace's account goes in the application and Steward forgets it (as when an application
    // that deletes users gets her back after she left scope); neither user changes.
    client(&w.fake, TOKEN)
        .delete(TargetObject::Users, &old)
        .await
        .unwrap();
    w.store
        .remove_link(&w.app.id, ObjectType::User, &grace)
        .await
        .unwrap();
    let cycles = w.run_now().await;
    assert_eq!(cycles[0].counters.created, 1, "{:?}", cycles[0].counters);
    let new = w.target_user("grace")["id"].as_str().unwrap().to_string();
    assert_ne!(new, old);
    // Ada's manager points at the new account, in the same cycle.
    assert_eq!(cycles[0].counters.updated, 1, "{:?}", cycles[0].counters);
    assert_eq!(w.target_user("ada")[ENTERPRISE]["manager"]["value"], new);

    // And then nothing more is sent.
    w.fake.clear_requests();
    w.run_now().await;
    assert_eq!(w.fake.requests().len(), 0, "{:?}", w.fake.requests());
}

#[tokio::test]
async fn a_mapping_that_reads_the_clock_is_mapped_again_every_cycle() {
    let w = World::new(json!({})).await;
    map_user_expression(&w, "title", "Now()").await;
    let ada = w.user("ada", None).await;
    w.assign(&ada, MemberType::User).await;
    w.run().await;
    let first = w.target_user("ada")["title"].clone();
    assert!(first.is_string(), "{first}");

    // Ada does not change, the clock does (Now() has whole seconds): a periodic cycle sends
    // the new value.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    w.fake.clear_requests();
    let cycles = w.run_now().await;
    assert_eq!(cycles[0].counters.updated, 1, "{:?}", cycles[0].counters);
    assert_eq!(w.fake.count("PATCH"), 1);
    assert_ne!(w.target_user("ada")["title"], first);
}

#[tokio::test]
async fn accounts_already_in_the_application_are_matched_from_one_listing() {
    let w = World::new(json!({"scope": "all"})).await;
    // The application already has accounts for ada and grace (in another case), and one
    // for someone the directory does not know.
    let target = client(&w.fake, TOKEN);
    let mut existing = Vec::new();
    for name in [
        "ADA@example.com",
        "grace@example.com",
        "stranger@example.com",
    ] {
        let created = target
            .create(
                TargetObject::Users,
                &json!({"userName": name, "active": true}),
            )
            .await
            .unwrap();
        existing.push(created["id"].as_str().unwrap().to_string());
    }
    for name in ["ada", "grace", "carol", "dave"] {
        w.user(name, None).await;
    }
    w.fake.clear_requests();
    let cycles = w.run().await;
    assert_eq!(cycles[0].status, "completed", "{:?}", cycles[0]);
    let k = &cycles[0].counters;
    let log = w
        .store
        .provisioning_log(&w.app.id, None, None, 10)
        .await
        .unwrap();
    assert_eq!(
        (k.created, k.updated, k.failed),
        (2, 2, 0),
        "{k:?} {:#?}",
        log.iter().map(|e| &e.entry.message).collect::<Vec<_>>()
    );
    // One request says how many there are, one reads them; no lookup per user.
    let reads: Vec<String> = w
        .fake
        .requests()
        .into_iter()
        .filter(|r| r.method == "GET")
        .map(|r| format!("{}?{}", r.path, r.query))
        .collect();
    assert_eq!(
        reads,
        [
            "/Users?startIndex=1&count=1",
            "/Users?startIndex=1&count=100"
        ]
    );
    // Matched, not created twice: five accounts, ada's and grace's updated in place (ada's
    // userName takes the directory's case), the stranger's untouched.
    assert_eq!(w.fake.users().len(), 5);
    assert_eq!(w.target_user("ada")["id"], existing[0]);
    assert_eq!(w.target_user("ada")["displayName"], "ada");
    assert_eq!(w.target_user("grace")["id"], existing[1]);
    assert_eq!(w.target_user("grace")["displayName"], "grace");
    assert_eq!(
        w.target_user("grace")["emails"],
        json!([{"type": "work", "value": "grace@example.com"}]),
        "the work email the account lacked is added"
    );
    assert!(w.target_user("stranger").get("displayName").is_none());
    let log = w
        .store
        .provisioning_log(&w.app.id, None, None, 10)
        .await
        .unwrap();
    let grace_entry = log
        .iter()
        .find(|e| e.entry.source_name.contains("grace"))
        .unwrap();
    assert!(
        grace_entry
            .entry
            .steps
            .to_string()
            .contains("in the listing read at the start of the cycle"),
        "{}",
        grace_entry.entry.steps
    );
}

#[tokio::test]
async fn a_full_cycle_finds_links_whose_user_is_gone() {
    let w = World::new(json!({"scope": "all"})).await;
    for name in ["ada", "grace", "carol"] {
        w.user(name, None).await;
    }
    w.run().await;
    // Two accounts linked to directory ids that no longer exist (as after a feed that was
    // lost): one sorts before every user, one after.
    let target = client(&w.fake, TOKEN);
    for (source, name) in [
        ("00000000-0000-0000-0000-000000000000", "first-ghost"),
        ("ffffffff-ffff-ffff-ffff-ffffffffffff", "last-ghost"),
    ] {
        let created = target
            .create(
                TargetObject::Users,
                &json!({"userName": format!("{name}@example.com"), "active": true}),
            )
            .await
            .unwrap();
        w.store
            .save_link(&steward_store::Link {
                application_id: w.app.id.clone(),
                object_type: ObjectType::User,
                source_id: source.into(),
                target_id: created["id"].as_str().unwrap().into(),
                fingerprint: json!({}),
                active: true,
                updated_at: chrono::Utc::now(),
                sent: json!({}),
                basis: None,
            })
            .await
            .unwrap();
    }
    w.fake.clear_requests();
    let cycles = w.run_now().await;
    assert_eq!(cycles[0].kind, "periodic");
    let k = &cycles[0].counters;
    assert_eq!(k.deleted, 2, "{k:?}");
    assert_eq!(w.fake.count("DELETE"), 2);
    assert_eq!(w.fake.requests().len(), 2, "{:?}", w.fake.requests());
    assert_eq!(w.fake.users().len(), 3);
}

#[tokio::test]
async fn a_no_op_cycle_asks_nothing_about_groups_out_of_scope() {
    // Scope "assigned users and groups": a group nobody assigned is never provisioned, so
    // no cycle asks the target about groups (it used to list them on every cycle).
    let w = World::new(json!({})).await;
    let ada = w.user("ada", None).await;
    w.assign(&ada, MemberType::User).await;
    w.store
        .create_group(
            json!({"displayName": "Unassigned"}),
            vec![Member {
                id: ada.clone(),
                member_type: MemberType::User,
            }],
        )
        .await
        .unwrap();
    w.run().await;
    assert_eq!(w.fake.users().len(), 1);
    assert!(w.fake.groups().is_empty());
    assert!(
        w.fake.requests().iter().all(|r| !r.path.contains("Groups")),
        "{:?}",
        w.fake.requests()
    );
    w.fake.clear_requests();
    let cycles = w.run_now().await;
    assert_eq!(cycles[0].kind, "periodic");
    assert_eq!(cycles[0].counters.in_scope, 1, "{:?}", cycles[0].counters);
    assert!(w.fake.requests().is_empty(), "{:?}", w.fake.requests());
}

#[tokio::test]
async fn removals_above_the_threshold_wait_for_an_admin() {
    let w = World::new(json!({"deletion_threshold": 2})).await;
    let mut ids = Vec::new();
    for name in ["u1", "u2", "u3"] {
        let id = w.user(name, None).await;
        w.assign(&id, MemberType::User).await;
        ids.push(id);
    }
    w.run().await;
    assert_eq!(w.fake.users().len(), 3);
    for id in &ids {
        w.store.unassign(&w.app.id, id).await.unwrap();
    }
    w.fake.clear_requests();
    let cycles = w.run().await;
    let last = cycles.last().unwrap();
    assert_eq!(last.status, "too_many_deletes", "{last:?}");
    assert_eq!(last.counters.staged, 3);
    assert_eq!(w.fake.count("PATCH"), 0, "nothing is disabled yet");
    let staged = w.store.staged(&w.app.id, 10).await.unwrap();
    assert_eq!(staged.len(), 3);
    assert!(staged.iter().all(|s| s.action == "disable"));

    w.store
        .send_command(&w.app.id, JobCommand::AllowDeletes)
        .await
        .unwrap();
    let cycles = w.run().await;
    assert_eq!(cycles[0].counters.disabled, 3, "{:?}", cycles[0]);
    assert_eq!(cycles[0].status, "completed");
    assert!(w.fake.users().iter().all(|u| u["active"] == false));
    assert_eq!(w.store.count_staged(&w.app.id).await.unwrap(), 0);
}

#[tokio::test]
async fn a_refused_token_quarantines_and_the_first_success_leaves() {
    let w = World::new(json!({})).await;
    for name in ["u1", "u2"] {
        let id = w.user(name, None).await;
        w.assign(&id, MemberType::User).await;
    }
    *w.host.connector.lock().unwrap() = client(&w.fake, "wrong-token");
    let cycles = w.run().await;
    assert_eq!(cycles[0].status, "quarantined", "{:?}", cycles[0]);
    assert_eq!(
        w.fake.requests().len(),
        1,
        "the first 401 stops the cycle: no request per remaining object"
    );
    let job = w.store.job(&w.app.id).await.unwrap();
    let q = job.quarantine.unwrap();
    assert_eq!(q.code, "ENG-AUTH");
    assert!(q.reason.contains("Secret Token"), "{}", q.reason);
    assert!(q.next_attempt_at > chrono::Utc::now() + chrono::Duration::minutes(30));

    // Nothing runs before the next attempt …
    assert!(w.run().await.is_empty());
    // … unless an admin asks; with the token fixed, the cycle succeeds and leaves quarantine.
    *w.host.connector.lock().unwrap() = client(&w.fake, TOKEN);
    let cycles = w.run_now().await;
    assert_eq!(cycles[0].status, "completed", "{:?}", cycles[0]);
    assert_eq!(w.fake.users().len(), 2);
    assert!(w.store.job(&w.app.id).await.unwrap().quarantine.is_none());
}

#[tokio::test]
async fn a_failed_object_is_retried_later_and_the_rest_go_on() {
    let w = World::new(json!({})).await;
    let first = w.user("u0", None).await;
    w.assign(&first, MemberType::User).await;
    w.run().await;
    // The next user's lookup meets 500s until the client's tries are spent: it fails and is
    // escrowed, and the cycle completes.
    let id = w.user("u1", None).await;
    w.fake.fail_next(3, 500);
    w.assign(&id, MemberType::User).await;
    let cycles = w.run().await;
    let incremental = &cycles[0];
    assert_eq!(incremental.status, "completed", "{incremental:?}");
    assert_eq!(incremental.counters.failed, 1, "{incremental:?}");
    // The retry (due at once in this test) creates it.
    let retry = cycles.iter().find(|c| c.counters.retried > 0).unwrap();
    assert_eq!(retry.counters.created, 1, "{retry:?}");
    assert_eq!(w.fake.users().len(), 2);
    assert!(w.store.escrowed(&w.app.id, 10).await.unwrap().is_empty());
    let log = w
        .store
        .provisioning_log(&w.app.id, None, None, 10)
        .await
        .unwrap();
    assert!(log
        .iter()
        .any(|e| e.entry.error_code.as_deref() == Some("ENG-TARGET")));
}

#[tokio::test]
async fn a_dry_run_sends_nothing_and_records_everything() {
    let w = World::new(json!({})).await;
    for name in ["u1", "u2"] {
        let id = w.user(name, None).await;
        w.assign(&id, MemberType::User).await;
    }
    w.store
        .send_command(&w.app.id, JobCommand::DryRun)
        .await
        .unwrap();
    w.store
        .update_job(
            &w.app.id,
            JobChange {
                paused: Some(true),
                ..JobChange::default()
            },
        )
        .await
        .unwrap();
    let cycles = w.run().await;
    assert_eq!(cycles.len(), 1);
    assert_eq!(cycles[0].kind, "dry_run");
    assert_eq!(
        cycles[0].counters.created, 2,
        "a dry run counts what it would send: {:?}",
        cycles[0].counters
    );
    assert_eq!(w.fake.count("POST"), 0);
    let log = w
        .store
        .provisioning_log(&w.app.id, None, None, 10)
        .await
        .unwrap();
    assert_eq!(log.len(), 2);
    assert!(log
        .iter()
        .all(|e| e.entry.action == "create" && e.entry.status == "skipped"));
    assert!(w.store.job(&w.app.id).await.unwrap().last_full_at.is_none());
}

#[tokio::test]
async fn a_target_without_patch_gets_the_whole_resource() {
    let w = World::new(json!({})).await;
    w.fake.set_patch_supported(false);
    let c = ScimClient::with_options(&w.fake.url, TOKEN, ScimOptions::default()).unwrap();
    assert!(!c.discover().await.unwrap().patch);
    *w.host.connector.lock().unwrap() = Arc::new(c);
    let id = w.user("ada", None).await;
    w.assign(&id, MemberType::User).await;
    w.run().await;
    let uid = steward_store::UserId::parse(&id).unwrap();
    let mut resource = w.store.user(uid).await.unwrap().unwrap().resource;
    resource["displayName"] = json!("Ada L.");
    w.store.replace_user(uid, resource, None).await.unwrap();
    w.fake.clear_requests();
    w.run().await;
    assert_eq!(w.fake.count("PATCH"), 0);
    assert_eq!(w.fake.count("PUT"), 1);
    let ada = w.target_user("ada");
    assert_eq!(ada["displayName"], "Ada L.");
    assert_eq!(
        ada["name"]["givenName"], "ada",
        "a PUT keeps what did not change"
    );
}

#[tokio::test]
async fn redacted_values_are_sent_but_never_logged_and_changes_show_old_and_new() {
    let w = World::new(json!({})).await;
    map_user_expression(&w, "title", "Redact([jobTitle])").await;
    let id = w.user("ada", None).await;
    let uid = steward_store::UserId::parse(&id).unwrap();
    let mut resource = w.store.user(uid).await.unwrap().unwrap().resource;
    resource["title"] = json!("First Secret");
    w.store.replace_user(uid, resource, None).await.unwrap();
    w.assign(&id, MemberType::User).await;
    w.run().await;
    assert_eq!(
        w.target_user("ada")["title"],
        "First Secret",
        "sent as it is"
    );
    let mut resource = w.store.user(uid).await.unwrap().unwrap().resource;
    resource["title"] = json!("Second Secret");
    resource["displayName"] = json!("Ada Lovelace");
    w.store.replace_user(uid, resource, None).await.unwrap();
    w.run().await;
    assert_eq!(w.target_user("ada")["title"], "Second Secret");

    let log = w
        .store
        .provisioning_log(&w.app.id, None, None, 10)
        .await
        .unwrap();
    let text = serde_json::to_string(&log).unwrap();
    assert!(!text.contains("Secret"), "{text}");
    let update = &log[0].entry;
    assert_eq!(update.action, "update");
    let mut modified = update.modified.as_array().unwrap().clone();
    modified.sort_by_key(|m| m["path"].as_str().unwrap().to_string());
    assert_eq!(
        modified,
        [
            json!({"path": "displayName", "old": "ada", "new": "Ada Lovelace"}),
            json!({"path": "title", "old": "[Redact]", "new": "[Redact]"}),
        ]
    );
}

#[tokio::test]
async fn throttling_and_timeouts_end_exact_without_duplicates() {
    let w = World::new(json!({})).await;
    let mut names = Vec::new();
    for i in 0..20 {
        let name = format!("t{i:02}");
        let id = w.user(&name, None).await;
        w.assign(&id, MemberType::User).await;
        names.push(name);
    }
    // A client that gives up after 300 ms, against a target that first answers slowly (the
    // creates it receives still happen), then throttles.
    let options = ScimOptions {
        timeout_ms: 300,
        backoff_base_ms: 1,
        backoff_cap_ms: 5,
        ..ScimOptions::default()
    };
    *w.host.connector.lock().unwrap() =
        Arc::new(ScimClient::with_options(&w.fake.url, TOKEN, options).unwrap());
    w.fake.delay(std::time::Duration::from_millis(600));
    let first = w.run().await;
    assert!(
        first
            .iter()
            .any(|c| c.counters.failed > 0 || c.status == "quarantined"),
        "slow answers fail: {first:?}"
    );
    w.fake.delay(std::time::Duration::ZERO);
    w.fake.throttle_next(3, 1);
    // Retries (and the quarantine's next attempt, forced) until everything is in.
    for _ in 0..5 {
        w.store
            .send_command(&w.app.id, JobCommand::Run)
            .await
            .unwrap();
        w.run().await;
    }
    let users = w.fake.users();
    let mut got: Vec<String> = users
        .iter()
        .map(|u| u["userName"].as_str().unwrap().to_string())
        .collect();
    got.sort();
    let want: Vec<String> = names.iter().map(|n| format!("{n}@example.com")).collect();
    assert_eq!(got, want, "every user exactly once");
    assert!(w.store.escrowed(&w.app.id, 10).await.unwrap().is_empty());
    assert!(w.store.job(&w.app.id).await.unwrap().quarantine.is_none());
    // After each 429 (Retry-After: 1), nothing reached the target for a second.
    let requests = w.fake.requests();
    let throttled_at: Vec<_> = requests
        .iter()
        .zip(requests.iter().skip(1))
        .filter(|(a, b)| b.at.duration_since(a.at) >= std::time::Duration::from_millis(950))
        .collect();
    assert!(
        !throttled_at.is_empty(),
        "the client waited out Retry-After at least once"
    );
}

/// Failure notifications on, to ops@example.com.
fn notifying(mut settings: Value) -> Value {
    settings["notify_on_failure"] = json!(true);
    settings["notification_email"] = json!("ops@example.com");
    settings
}

impl World {
    /// The notifications written so far, oldest first.
    async fn notifications(&self) -> Vec<Notification> {
        let mut list = self.store.recent_notifications(100).await.unwrap();
        list.reverse();
        list
    }

    /// Runs what an admin's "run" command asks for now.
    async fn run_now(&self) -> Vec<steward_store::Cycle> {
        self.store
            .send_command(&self.app.id, JobCommand::Run)
            .await
            .unwrap();
        self.run().await
    }
}

#[tokio::test]
async fn a_quarantine_is_told_once_and_again_only_when_its_reason_changes() {
    let w = World::new(notifying(json!({}))).await;
    for name in ["u1", "u2"] {
        let id = w.user(name, None).await;
        w.assign(&id, MemberType::User).await;
    }
    *w.host.connector.lock().unwrap() = client(&w.fake, "wrong-token");
    let cycles = w.run().await;
    assert_eq!(cycles[0].status, "quarantined", "{:?}", cycles[0]);
    let sent = w.notifications().await;
    assert_eq!(sent.len(), 1, "{sent:#?}");
    let n = &sent[0];
    assert_eq!(n.kind, NotificationKind::Quarantined);
    assert_eq!(n.recipient, "ops@example.com");
    assert_eq!(n.subject, "Steward: HR is in quarantine");
    let q = w.store.job(&w.app.id).await.unwrap().quarantine.unwrap();
    for part in [
        "ENG-AUTH",
        q.reason.as_str(),
        "Next attempt:",
        "Test Connection",
        &format!("/applications/{}", w.app.id),
    ] {
        assert!(n.body.contains(part), "{part:?} missing from:\n{}", n.body);
    }

    // Retried with the same reason (twice): nothing new to tell.
    for _ in 0..2 {
        let cycles = w.run_now().await;
        assert_eq!(cycles[0].status, "quarantined");
    }
    let q = w.store.job(&w.app.id).await.unwrap().quarantine.unwrap();
    assert_eq!((q.code.as_str(), q.attempts), ("ENG-AUTH", 3));
    assert_eq!(w.notifications().await.len(), 1);

    // Another reason: the application stops answering. Told once.
    *w.host.connector.lock().unwrap() = Arc::new(
        ScimClient::with_options(
            "http://127.0.0.1:1/scim/v2",
            TOKEN,
            ScimOptions {
                backoff_base_ms: 1,
                backoff_cap_ms: 5,
                timeout_ms: 2000,
                ..ScimOptions::default()
            },
        )
        .unwrap(),
    );
    for _ in 0..2 {
        let cycles = w.run_now().await;
        assert_eq!(cycles[0].status, "quarantined");
    }
    let sent = w.notifications().await;
    assert_eq!(sent.len(), 2, "{sent:#?}");
    assert_eq!(sent[1].kind, NotificationKind::QuarantineReasonChanged);
    assert!(sent[1].body.contains("ENG-UNREACHABLE"), "{}", sent[1].body);
    assert!(sent[1].body.contains("it was ENG-AUTH"), "{}", sent[1].body);

    // Fixed: the job leaves quarantine; a failed object afterwards is retried, never told.
    *w.host.connector.lock().unwrap() = client(&w.fake, TOKEN);
    let cycles = w.run_now().await;
    assert_eq!(cycles[0].status, "completed", "{:?}", cycles[0]);
    let id = w.user("u3", None).await;
    w.fake.fail_next(3, 500);
    w.assign(&id, MemberType::User).await;
    let cycles = w.run().await;
    assert_eq!(cycles[0].counters.failed, 1, "{:?}", cycles[0]);
    assert_eq!(w.notifications().await.len(), 2);

    // A new quarantine after leaving the last one is a new event (met by the next request:
    // a cycle with nothing to send sends none).
    *w.host.connector.lock().unwrap() = client(&w.fake, "wrong-token");
    let id = w.user("u4", None).await;
    w.assign(&id, MemberType::User).await;
    w.run_now().await;
    let sent = w.notifications().await;
    assert_eq!(sent.len(), 3);
    assert_eq!(sent[2].kind, NotificationKind::Quarantined);
}

#[tokio::test]
async fn held_deletes_are_told_when_they_begin_to_be_held() {
    let w = World::new(notifying(json!({"deletion_threshold": 2}))).await;
    let assign_three = |prefix: &'static str| {
        let w = &w;
        async move {
            let mut ids = Vec::new();
            for i in 0..3 {
                let id = w.user(&format!("{prefix}{i}"), None).await;
                w.assign(&id, MemberType::User).await;
                ids.push(id);
            }
            w.run().await;
            ids
        }
    };
    let ids = assign_three("a").await;
    for id in &ids {
        w.store.unassign(&w.app.id, id).await.unwrap();
    }
    let cycles = w.run().await;
    assert_eq!(cycles.last().unwrap().status, "too_many_deletes");
    let sent = w.notifications().await;
    assert_eq!(sent.len(), 1, "{sent:#?}");
    assert_eq!(sent[0].kind, NotificationKind::DeletesHeld);
    assert_eq!(sent[0].subject, "Steward: 3 deletes held for HR");
    for part in ["threshold of 2", "allow-deletes", "/job/staged"] {
        assert!(sent[0].body.contains(part), "{part:?} in {}", sent[0].body);
    }

    // Later cycles still hold them (an incremental one, a periodic one): nothing new.
    let other = w.user("late", None).await;
    w.assign(&other, MemberType::User).await;
    let cycles = w.run().await;
    assert_eq!(cycles.last().unwrap().status, "too_many_deletes");
    let cycles = w.run_now().await;
    assert!(cycles.iter().any(|c| c.kind == "periodic"), "{cycles:?}");
    assert_eq!(cycles.last().unwrap().status, "too_many_deletes");
    assert_eq!(w.notifications().await.len(), 1);

    // Allowed: nothing held any more. The next hold is a new event.
    w.store
        .send_command(&w.app.id, JobCommand::AllowDeletes)
        .await
        .unwrap();
    assert_eq!(w.run().await[0].status, "completed");
    assert_eq!(
        w.store.job(&w.app.id).await.unwrap().deletes_held_since,
        None
    );
    let ids = assign_three("b").await;
    for id in &ids {
        w.store.unassign(&w.app.id, id).await.unwrap();
    }
    w.run().await;
    let sent = w.notifications().await;
    assert_eq!(sent.len(), 2, "{sent:#?}");
    assert_eq!(sent[1].kind, NotificationKind::DeletesHeld);
}

#[tokio::test]
async fn without_notifications_turned_on_nothing_is_written() {
    let w = World::new(json!({"notification_email": "ops@example.com"})).await;
    let id = w.user("u1", None).await;
    w.assign(&id, MemberType::User).await;
    *w.host.connector.lock().unwrap() = client(&w.fake, "wrong-token");
    assert_eq!(w.run().await[0].status, "quarantined");
    assert!(w.notifications().await.is_empty());
}
