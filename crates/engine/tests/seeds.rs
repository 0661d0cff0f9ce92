//! Each SCIM gallery entry from the seed tutorials (Xledger, Klaxoon, AlexisHR, and the custom
//! SCIM app) end to end against a real SCIM target (scim2-server, one per entry), through the
//! engine's cycles: create, attribute update, group create and member add/remove, manager
//! link, leaving scope (disable or delete, as the entry says), coming back, and a hard delete.
//! After each step the target's state is read back and compared with what is expected.

#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use serde_json::{json, Value};
use steward_connect::testing::Scim2Server;
use steward_connect::{Connector, ScimClient, TargetObject};
use steward_engine::{AppContext, Engine, EngineOptions, Host};
use steward_gallery::{AppMappings, Gallery, OutOfScopeAction};
use steward_store::sqlite::SqliteStore;
use steward_store::{ApplicationChange, JobChange, Member, MemberType, Store};

const TOKEN: &str = "seed-token";
const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

struct SeedHost {
    store: Arc<dyn Store>,
    connector: Arc<dyn Connector>,
}

#[async_trait]
impl Host for SeedHost {
    async fn automatic_applications(&self) -> Result<Vec<String>, String> {
        Ok(Vec::new())
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
            self.connector.clone(),
        )))
    }
}

fn user(name: &str, manager: Option<&str>) -> Value {
    let mut r = json!({
        "userName": format!("{name}@example.com"),
        "externalId": name,
        "displayName": format!("{name} Example"),
        "name": {"givenName": name, "familyName": "Example"},
        "emails": [{"type": "work", "value": format!("{name}@example.com"), "primary": true}],
        "phoneNumbers": [{"type": "work", "value": "+47 22 33 44 55"}],
        "title": "Analyst",
        "active": true,
        ENTERPRISE: {"department": "Sales"}
    });
    if let Some(m) = manager {
        r[ENTERPRISE]["manager"] = json!({"value": m});
    }
    r
}

struct Seed {
    store: Arc<dyn Store>,
    engine: Arc<Engine>,
    app: String,
    scim: ScimClient,
    _target: Scim2Server,
}

impl Seed {
    async fn run(&self) {
        let cycles = self.engine.run_until_idle(&self.app).await.unwrap();
        for c in &cycles {
            assert!(
                c.status == "completed" && c.counters.failed == 0,
                "{c:?}\n{:#?}",
                self.store
                    .provisioning_log(&self.app, None, None, 5)
                    .await
                    .unwrap()
                    .iter()
                    .map(|e| (&e.entry.action, &e.entry.status, &e.entry.message))
                    .collect::<Vec<_>>()
            );
        }
    }

    async fn account(&self, name: &str) -> Option<Value> {
        let found = self
            .scim
            .find(
                TargetObject::Users,
                "userName",
                &format!("{name}@example.com"),
            )
            .await
            .unwrap();
        assert!(found.len() <= 1, "{name} exists {} times", found.len());
        match found.first() {
            Some(f) => Some(
                self.scim
                    .get(TargetObject::Users, f["id"].as_str().unwrap())
                    .await
                    .unwrap(),
            ),
            None => None,
        }
    }

    async fn group_members(&self, name: &str) -> Vec<String> {
        let found = self
            .scim
            .find(TargetObject::Groups, "displayName", name)
            .await
            .unwrap();
        assert_eq!(found.len(), 1, "group {name}");
        let group = self
            .scim
            .get(TargetObject::Groups, found[0]["id"].as_str().unwrap())
            .await
            .unwrap();
        let mut ids: Vec<String> = group["members"]
            .as_array()
            .cloned()
            .unwrap_or_default()
            .iter()
            .map(|m| m["value"].as_str().unwrap().to_string())
            .collect();
        ids.sort();
        ids
    }

    async fn assign(&self, id: &str) {
        self.store
            .assign(
                &self.app,
                Member {
                    id: id.to_string(),
                    member_type: MemberType::User,
                },
                "User",
            )
            .await
            .unwrap();
    }
}

/// A store with one automatic, started application of `gallery_id`, and an engine whose
/// host gives it `connector`.
async fn world(
    gallery_id: &str,
    connector: Arc<dyn Connector>,
) -> (Arc<dyn Store>, Arc<Engine>, String) {
    let store: Arc<dyn Store> = Arc::new(SqliteStore::in_memory().await.unwrap());
    let app = store
        .create_application(gallery_id, gallery_id)
        .await
        .unwrap();
    store
        .update_application(
            &app.id,
            ApplicationChange {
                provisioning_mode: Some("automatic".into()),
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
    let host = Arc::new(SeedHost {
        store: store.clone(),
        connector,
    });
    let options = EngineOptions {
        debounce: Duration::from_millis(1),
        max_debounce: Duration::from_millis(5),
        retry_delays: vec![0],
        ..EngineOptions::default()
    };
    let engine = Engine::new(store.clone(), host, options);
    (store, engine, app.id)
}

async fn seed(gallery_id: &str) -> Seed {
    let target = Scim2Server::start(TOKEN);
    let scim = ScimClient::new(&target.url, TOKEN, Duration::from_secs(10)).unwrap();
    let (store, engine, app) = world(gallery_id, Arc::new(scim.clone())).await;
    Seed {
        store,
        engine,
        app,
        scim,
        _target: target,
    }
}

async fn lifecycle(gallery_id: &str) {
    let entry = Gallery::builtin().unwrap().get(gallery_id).unwrap().clone();
    let mappings = AppMappings::defaults(&entry);
    let maps_manager = mappings
        .users
        .attributes
        .iter()
        .any(|a| a.target.ends_with(":manager"));
    let groups_on = mappings.groups.as_ref().is_some_and(|g| g.enabled);
    let s = seed(gallery_id).await;

    let grace = s.store.create_user(user("grace", None)).await.unwrap().id;
    let ada = s
        .store
        .create_user(user("ada", Some(&grace.to_string())))
        .await
        .unwrap()
        .id;
    let bob = s.store.create_user(user("bob", None)).await.unwrap().id;
    for id in [ada, grace, bob] {
        s.assign(&id.to_string()).await;
    }
    let team = s
        .store
        .create_group(
            json!({"displayName": "Team"}),
            [ada, grace]
                .iter()
                .map(|id| Member {
                    id: id.to_string(),
                    member_type: MemberType::User,
                })
                .collect(),
        )
        .await
        .unwrap()
        .id;
    s.store
        .assign(
            &s.app,
            Member {
                id: team.to_string(),
                member_type: MemberType::Group,
            },
            "User",
        )
        .await
        .unwrap();

    // Create: every user, the manager linked, the group with its members.
    s.run().await;
    let ada_t = s.account("ada").await.unwrap();
    let grace_t = s.account("grace").await.unwrap();
    assert!(s.account("bob").await.is_some());
    assert_eq!(ada_t["active"], true, "{gallery_id}: {ada_t}");
    if maps_manager {
        assert_eq!(
            ada_t[ENTERPRISE]["manager"]["value"], grace_t["id"],
            "{gallery_id}: {ada_t}"
        );
    }
    let id_of = |v: &Value| v["id"].as_str().unwrap().to_string();
    if groups_on {
        let mut want = vec![id_of(&ada_t), id_of(&grace_t)];
        want.sort();
        assert_eq!(s.group_members("Team").await, want, "{gallery_id}");
    }

    // Attribute update.
    let mut r = s.store.user(ada).await.unwrap().unwrap().resource;
    r["name"]["familyName"] = json!("Lovelace");
    r["displayName"] = json!("Ada Lovelace");
    s.store.replace_user(ada, r, None).await.unwrap();
    s.run().await;
    let ada_t = s.account("ada").await.unwrap();
    let family = ada_t["name"]["familyName"].as_str();
    let display = ada_t["displayName"].as_str();
    assert!(
        family == Some("Lovelace") || display == Some("Ada Lovelace"),
        "{gallery_id}: the change reached the target: {ada_t}"
    );

    // Membership: grace leaves the group (which also assigns its members), bob joins.
    s.store
        .remove_member(team, &grace.to_string())
        .await
        .unwrap();
    s.store
        .add_member(
            team,
            Member {
                id: bob.to_string(),
                member_type: MemberType::User,
            },
        )
        .await
        .unwrap();
    s.run().await;
    if groups_on {
        let bob_t = s.account("bob").await.unwrap();
        let mut want = vec![id_of(&ada_t), id_of(&bob_t)];
        want.sort();
        assert_eq!(s.group_members("Team").await, want, "{gallery_id}");
    }

    // Leaving scope: disabled or deleted, as the entry says; back in scope: enabled again (or
    // created anew where leaving deleted).
    s.store.unassign(&s.app, &grace.to_string()).await.unwrap();
    s.run().await;
    match entry.out_of_scope {
        OutOfScopeAction::Disable => {
            assert_eq!(
                s.account("grace").await.unwrap()["active"],
                false,
                "{gallery_id}"
            )
        }
        OutOfScopeAction::Delete => assert!(
            s.account("grace").await.is_none(),
            "{gallery_id}: {:#?}",
            s.store
                .provisioning_log(&s.app, Some(&grace.to_string()), None, 3)
                .await
                .unwrap()
        ),
    }
    s.assign(&grace.to_string()).await;
    s.run().await;
    assert_eq!(
        s.account("grace").await.unwrap()["active"],
        true,
        "{gallery_id}"
    );

    // Deleted for good in the directory: deleted in the target.
    s.store.hard_delete_user(bob).await.unwrap();
    s.run().await;
    assert!(s.account("bob").await.is_none(), "{gallery_id}");
    assert!(s.account("ada").await.is_some());
}

#[tokio::test]
async fn xledger() {
    lifecycle("xledger").await;
}

#[tokio::test]
async fn klaxoon() {
    lifecycle("klaxoon").await;
}

#[tokio::test]
async fn alexishr() {
    lifecycle("alexishr").await;
}

#[tokio::test]
async fn custom_scim() {
    lifecycle("custom-scim").await;
}

/// xMatters (not SCIM) through the same cycles, against the fake xMatters API: a person with
/// the Work Email device, a name change, disabled as status INACTIVE, active again, and
/// deleted when deleted in the directory.
#[tokio::test]
async fn xmatters() {
    use steward_connect::testing_xmatters::FakeXmatters;
    use steward_connect::XmattersTarget;
    let fake = FakeXmatters::start("steward-admin", "right-password");
    let connector = XmattersTarget::from_domain(&fake.url, "steward-admin", "right-password")
        .connector()
        .unwrap();
    let (store, engine, app) = world("xmatters", Arc::new(connector)).await;
    let run = || async {
        for c in engine.run_until_idle(&app).await.unwrap() {
            assert!(c.status == "completed" && c.counters.failed == 0, "{c:?}");
        }
    };
    let ada = store.create_user(user("ada", None)).await.unwrap().id;
    store
        .assign(
            &app,
            Member {
                id: ada.to_string(),
                member_type: MemberType::User,
            },
            "User",
        )
        .await
        .unwrap();
    run().await;
    let person = fake.person("ada@example.com").unwrap();
    assert_eq!(person["firstName"], "ada", "{person}");
    assert_eq!(person["status"], "ACTIVE");
    assert!(
        fake.devices()
            .iter()
            .any(|d| d["emailAddress"] == "ada@example.com" && d["name"] == "Work Email"),
        "{:?}",
        fake.devices()
    );

    let mut r = store.user(ada).await.unwrap().unwrap().resource;
    r["name"]["familyName"] = json!("Lovelace");
    store.replace_user(ada, r, None).await.unwrap();
    run().await;
    assert_eq!(
        fake.person("ada@example.com").unwrap()["lastName"],
        "Lovelace"
    );

    store.unassign(&app, &ada.to_string()).await.unwrap();
    run().await;
    assert_eq!(
        fake.person("ada@example.com").unwrap()["status"],
        "INACTIVE"
    );
    store
        .assign(
            &app,
            Member {
                id: ada.to_string(),
                member_type: MemberType::User,
            },
            "User",
        )
        .await
        .unwrap();
    run().await;
    assert_eq!(fake.person("ada@example.com").unwrap()["status"], "ACTIVE");

    store.hard_delete_user(ada).await.unwrap();
    run().await;
    assert!(fake.person("ada@example.com").is_none());
    assert_eq!(fake.people().len(), 0);
}
