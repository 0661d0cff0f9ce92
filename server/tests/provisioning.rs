//! Provisioning one user at a time ("provision on demand", the engine's own path) against a
//! real SCIM target (scim2-server): create with the mapped attributes, nothing sent when
//! nothing changed, only the changed attribute sent when one changes, the manager linked once
//! the manager is provisioned, an existing account matched instead of duplicated, disabled
//! when a scoping filter leaves it out and enabled again, each run in the provisioning log.

#![allow(clippy::unwrap_used)]

mod common;

use common::Api;
use serde_json::json;
use std::time::Duration;
use steward_connect::testing::Scim2Server;
use steward_connect::{ScimClient, TargetObject};

const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

#[tokio::test]
async fn provisions_a_user_on_demand_exactly_and_minimally() {
    let api = Api::start();
    let target = Scim2Server::start("engine-token");
    let scim = ScimClient::new(&target.url, "engine-token", Duration::from_secs(10)).unwrap();

    let store = api.server.store().await;
    let user = |name: &str, manager: Option<&str>| {
        let mut r = json!({
            "userName": format!("{name}@example.com"),
            "displayName": format!("{name} Example"),
            "name": {"givenName": name, "familyName": "Example"},
            "emails": [{"value": format!("{name}@example.com"), "type": "work", "primary": true}],
            "title": "Analyst",
            "active": true,
            ENTERPRISE: {"department": "Sales"}
        });
        if let Some(m) = manager {
            r[ENTERPRISE]["manager"] = json!({"value": m});
        }
        r
    };
    let grace = store.create_user(user("grace", None)).await.unwrap();
    let ada = store
        .create_user(user("ada", Some(&grace.id.to_string())))
        .await
        .unwrap();
    let cyd = store.create_user(user("cyd", None)).await.unwrap();

    let (_, app) = api
        .call(
            "POST",
            "/applications",
            Some(json!({"gallery_id": "custom-scim", "name": "Wiki"})),
        )
        .await;
    let id = app["id"].as_str().unwrap().to_string();
    let path = |p: &str| format!("/applications/{id}{p}");
    let (status, _) = api
        .call(
            "PUT",
            &path("/credentials"),
            Some(json!({"version": app["version"], "values": {
                "tenant_url": target.url, "secret_token": "engine-token"}})),
        )
        .await;
    assert_eq!(status, 204);
    let on_demand = |who: String| {
        let api = &api;
        let path = path("/provision-on-demand");
        async move {
            let (status, outcome) = api.call("POST", &path, Some(json!({"user": who}))).await;
            assert_eq!(status, 200, "{outcome}");
            outcome
        }
    };
    let assign = |who: String| {
        let api = &api;
        let path = path("/assignments");
        async move {
            let (status, body) = api
                .call(
                    "POST",
                    &path,
                    Some(json!({"principal_id": who, "kind": "User"})),
                )
                .await;
            assert_eq!(status, 204, "{body}");
        }
    };

    // Not assigned: out of scope, nothing sent.
    let outcome = on_demand("ada@example.com".into()).await;
    assert_eq!(
        (outcome["action"].as_str(), outcome["status"].as_str()),
        (Some("skip"), Some("skipped"))
    );
    assert!(
        outcome["steps"].to_string().contains("not assigned"),
        "{outcome}"
    );

    // Assigned. A dry run first: what would be created is recorded, nothing is sent.
    assign(ada.id.to_string()).await;
    let (status, dry) = api
        .call(
            "POST",
            &path("/provision-on-demand"),
            Some(json!({"user": "ada@example.com", "dry_run": true})),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        (dry["action"].as_str(), dry["status"].as_str()),
        (Some("create"), Some("skipped")),
        "{dry}"
    );
    assert!(dry["message"].as_str().unwrap().contains("Dry run"));
    assert!(dry["modified"].to_string().contains("ada@example.com"));
    assert!(
        scim.find(TargetObject::Users, "userName", "ada@example.com")
            .await
            .unwrap()
            .is_empty(),
        "a dry run sends nothing"
    );

    // Created with the mapped attributes; the manager is not provisioned yet.
    let outcome = on_demand("ada@example.com".into()).await;
    assert_eq!(
        (outcome["action"].as_str(), outcome["status"].as_str()),
        (Some("create"), Some("success")),
        "{outcome}"
    );
    assert!(
        outcome["steps"]
            .to_string()
            .contains("not provisioned to this application yet"),
        "{outcome}"
    );
    let ada_target = outcome["target_id"].as_str().unwrap().to_string();
    let account = scim.get(TargetObject::Users, &ada_target).await.unwrap();
    assert_eq!(account["userName"], "ada@example.com");
    assert_eq!(account["name"]["givenName"], "ada");
    assert_eq!(account["displayName"], "ada Example");
    assert_eq!(account["active"], true);
    assert_eq!(account["emails"][0]["value"], "ada@example.com");
    assert_eq!(account[ENTERPRISE]["department"], "Sales");

    // Again: nothing changed, nothing sent.
    let outcome = on_demand("ada@example.com".into()).await;
    assert_eq!(outcome["action"], "skip", "{outcome}");
    assert!(outcome["steps"].to_string().contains("no request sent"));

    // The manager is provisioned; then Ada's manager reference resolves to the account.
    assign(grace.id.to_string()).await;
    let outcome = on_demand("grace@example.com".into()).await;
    assert_eq!(outcome["action"], "create", "{outcome}");
    let grace_target = outcome["target_id"].as_str().unwrap().to_string();
    let outcome = on_demand("ada@example.com".into()).await;
    assert_eq!(outcome["action"], "update", "{outcome}");
    let modified: Vec<&str> = outcome["modified"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["path"].as_str().unwrap())
        .collect();
    assert_eq!(
        modified,
        [format!("{ENTERPRISE}:manager")],
        "only the manager is sent"
    );
    let account = scim.get(TargetObject::Users, &ada_target).await.unwrap();
    assert_eq!(account[ENTERPRISE]["manager"]["value"], grace_target);

    // One attribute changes in the directory: only it is sent.
    let mut changed = store.user(ada.id).await.unwrap().unwrap().resource;
    changed["title"] = json!("Professor");
    store.replace_user(ada.id, changed, None).await.unwrap();
    let outcome = on_demand("ada@example.com".into()).await;
    assert_eq!(
        outcome["modified"],
        json!([{"path": "title", "old": "Analyst", "new": "Professor"}]),
        "{outcome}"
    );
    assert_eq!(
        scim.get(TargetObject::Users, &ada_target).await.unwrap()["title"],
        "Professor"
    );

    // An account that exists in the application already is matched, not duplicated.
    let existing = scim
        .create(
            TargetObject::Users,
            &json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                    "userName": "cyd@example.com", "title": "Old"}),
        )
        .await
        .unwrap();
    assign(cyd.id.to_string()).await;
    let outcome = on_demand("cyd@example.com".into()).await;
    assert_eq!(outcome["action"], "update", "{outcome}");
    assert_eq!(outcome["target_id"], existing["id"]);
    assert!(
        outcome["steps"].to_string().contains("Found the account"),
        "{outcome}"
    );
    assert_eq!(
        scim.find(TargetObject::Users, "userName", "cyd@example.com")
            .await
            .unwrap()
            .len(),
        1
    );

    // A scoping filter leaves Ada out: disabled (Entra's default for a custom SCIM app), then
    // enabled again when the filter admits her.
    let (_, view) = api.call("GET", &path("/mappings"), None).await;
    let mut mappings = view["mappings"].clone();
    mappings["users"]["scope"] = json!([{"clauses": [
        {"attribute": "jobTitle", "operator": "NOT EQUALS", "value": "Professor"}]}]);
    let (status, saved) = api
        .call(
            "PUT",
            &path("/mappings"),
            Some(json!({"version": view["version"], "mappings": mappings})),
        )
        .await;
    assert_eq!(status, 200, "{saved}");
    let (_, dry) = api
        .call(
            "POST",
            &path("/provision-on-demand"),
            Some(json!({"user": "ada@example.com", "dry_run": true})),
        )
        .await;
    assert_eq!(
        (dry["action"].as_str(), dry["status"].as_str()),
        (Some("disable"), Some("skipped")),
        "{dry}"
    );
    assert_eq!(
        scim.get(TargetObject::Users, &ada_target).await.unwrap()["active"],
        true,
        "a dry run sends nothing"
    );
    let outcome = on_demand("ada@example.com".into()).await;
    assert_eq!(
        (outcome["action"].as_str(), outcome["status"].as_str()),
        (Some("disable"), Some("success")),
        "{outcome}"
    );
    assert!(
        outcome["steps"].to_string().contains("scoping filters"),
        "{outcome}"
    );
    assert_eq!(
        scim.get(TargetObject::Users, &ada_target).await.unwrap()["active"],
        false
    );
    let outcome = on_demand("ada@example.com".into()).await;
    assert_eq!(outcome["action"], "skip", "already disabled: {outcome}");

    let (_, view) = api.call("GET", &path("/mappings"), None).await;
    let (status, _) = api
        .call(
            "PUT",
            &path("/mappings"),
            Some(json!({"version": view["version"], "mappings": null})),
        )
        .await;
    assert_eq!(status, 200);
    let outcome = on_demand("ada@example.com".into()).await;
    assert_eq!(outcome["action"], "update", "{outcome}");
    assert_eq!(
        outcome["modified"],
        json!([{"path": "active", "old": false, "new": true}]),
        "{outcome}"
    );
    assert_eq!(
        scim.get(TargetObject::Users, &ada_target).await.unwrap()["active"],
        true
    );

    // Every run is in the provisioning log, newest first.
    let log = store
        .provisioning_log(&id, Some(&ada.id.to_string()), None, 50)
        .await
        .unwrap();
    let actions: Vec<&str> = log.iter().map(|e| e.entry.action.as_str()).collect();
    assert_eq!(
        actions,
        [
            "update", "skip", "disable", "disable", "update", "update", "skip", "create", "create",
            "skip"
        ]
    );
    assert!(log
        .iter()
        .all(|e| e.entry.steps.as_array().is_some_and(|s| !s.is_empty())));
}
