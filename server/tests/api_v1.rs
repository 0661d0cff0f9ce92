//! The admin REST API (`/api/v1`) against the real binary: token authentication, the
//! OpenAPI document matching the routes, applications created and configured as automation
//! would (mappings with an expression and a scoping filter, settings, roles, assignments),
//! refusals that name the problem, stale versions refused, and every change audited under the
//! token's name with before and after.

#![allow(clippy::unwrap_used)]

mod common;

use common::Api;
use serde_json::{json, Value};

#[tokio::test]
async fn tokens_are_required_and_the_openapi_document_matches_the_routes() {
    let api = Api::start();
    let client = &api.client;
    let resp = client
        .get(api.server.url("/api/v1/applications"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
    assert!(resp.headers().contains_key("www-authenticate"));
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["error"]["code"], "AUTH-0003");
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("Authorization: Bearer"));
    // A SCIM token opens only /scim/v2.
    let scim = api.server.scim_token("hr");
    let resp = client
        .get(api.server.url("/api/v1/applications"))
        .bearer_auth(&scim)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);

    let doc: Value = client
        .get(api.server.url("/api/v1/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    let paths = doc["paths"].as_object().unwrap();
    assert!(paths.len() >= 10, "{paths:?}");
    // Every described operation is routed: without a token it is refused by authentication,
    // not by the API's "no such endpoint" fallback.
    for (path, item) in paths {
        if path == "/openapi.json" {
            continue;
        }
        let concrete = path.replace("{id}", "x").replace("{principal}", "y");
        for method in ["get", "post", "put", "patch", "delete"] {
            if item.get(method).is_none() {
                continue;
            }
            let resp = client
                .request(
                    method.to_uppercase().parse().unwrap(),
                    api.server.url(&format!("/api/v1{concrete}")),
                )
                .send()
                .await
                .unwrap();
            assert_eq!(resp.status(), 401, "{method} {path} is not routed");
        }
    }
    let (status, body) = api.call("GET", "/nothing-here", None).await;
    assert_eq!(status, 404);
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("openapi.json"));
}

#[tokio::test]
async fn automation_configures_an_application_and_every_change_is_audited() {
    let api = Api::start();
    // Directory: two users in Sales, one in Finance, assigned through a group and directly.
    let store = api.server.store().await;
    let enterprise = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
    let mut ids = Vec::new();
    for (user, dept) in [("ada", "Sales"), ("bob", "Sales"), ("cyd", "Finance")] {
        let u = store
            .create_user(json!({
                "userName": format!("{user}@example.com"),
                "displayName": user.to_uppercase(),
                "name": {"givenName": user, "familyName": "Example"},
                enterprise: {"department": dept}
            }))
            .await
            .unwrap();
        ids.push(u.id.to_string());
    }

    // Create from the gallery.
    let id = api.create_custom_app("Wiki").await;
    let path = |p: &str| format!("/applications/{id}{p}");
    let (status, body) = api
        .call(
            "POST",
            "/applications",
            Some(json!({"gallery_id": "nope", "name": "X"})),
        )
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (404, Some("NAV-0404"))
    );

    // General settings: roles, a typo refused, a stale version refused.
    let (status, app) = api
        .call(
            "PATCH",
            &path(""),
            Some(json!({"version": 1, "roles": ["Approver"], "provisioning_mode": "automatic"})),
        )
        .await;
    assert_eq!(status, 200, "{app}");
    assert_eq!(app["roles"], json!(["User", "Approver"]));
    let (status, _) = api
        .call("PATCH", &path(""), Some(json!({"version": 2, "nmae": "X"})))
        .await;
    assert_eq!(status, 422, "an unknown field is refused");
    let (status, body) = api
        .call(
            "PATCH",
            &path(""),
            Some(json!({"version": 1, "name": "Old"})),
        )
        .await;
    assert_eq!(status, 409);
    assert!(body["error"]["message"]
        .as_str()
        .unwrap()
        .contains("Reload"));

    // Assignments with the application's roles.
    let (status, _) = api
        .call(
            "POST",
            &path("/assignments"),
            Some(json!({"principal_id": ids[0], "kind": "User", "role": "Approver"})),
        )
        .await;
    assert_eq!(status, 204);
    let (status, body) = api
        .call(
            "POST",
            &path("/assignments"),
            Some(json!({"principal_id": ids[1], "kind": "User", "role": "Owner"})),
        )
        .await;
    assert_eq!(status, 422);
    assert!(body["error"]["fields"][0]["message"]
        .as_str()
        .unwrap()
        .contains("User, Approver"));
    for user in &ids[1..] {
        let (status, _) = api
            .call(
                "POST",
                &path("/assignments"),
                Some(json!({"principal_id": user, "kind": "User"})),
            )
            .await;
        assert_eq!(status, 204);
    }
    let (_, page) = api.call("GET", &path("/assignments"), None).await;
    assert_eq!(page["total"], 3);

    // Mappings: a broken expression is refused with the attribute named; nothing is saved.
    let (status, view) = api.call("GET", &path("/mappings"), None).await;
    assert_eq!(status, 200);
    assert_eq!(view["is_default"], true);
    let version = view["version"].as_i64().unwrap();
    let mut mappings = view["mappings"].clone();
    let attributes = mappings["users"]["attributes"].as_array_mut().unwrap();
    let display = attributes
        .iter_mut()
        .find(|a| a["target"] == "displayName")
        .unwrap();
    *display = json!({"target": "displayName", "type": "String", "mapping": "expression",
        "expression": "Join(\" \", [givenName], [surname]"});
    let (status, body) = api
        .call(
            "PUT",
            &path("/mappings"),
            Some(json!({"version": version, "mappings": mappings})),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    let fields = body["error"]["fields"].as_array().unwrap();
    assert!(
        fields.iter().any(|f| f["field"] == "users.displayName"
            && f["message"].as_str().unwrap().contains("GAL-V15")),
        "{body}"
    );
    mappings["users"]["attributes"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|a| a["target"] == "displayName")
        .unwrap()["expression"] = json!("Join(\" \", [givenName], [surname])");
    let scope = json!([{"title": "Sales only", "clauses": [
        {"attribute": "department", "operator": "EQUALS", "value": "Sales"}]}]);
    mappings["users"]["scope"] = scope.clone();

    // Preview before saving: the filter admits the two assigned Sales users.
    let (status, preview) = api
        .call(
            "POST",
            &path("/scope-preview"),
            Some(json!({"object": "users", "scope": scope})),
        )
        .await;
    assert_eq!(status, 200, "{preview}");
    assert_eq!(
        (preview["considered"].as_i64(), preview["in_scope"].as_i64()),
        (Some(3), Some(2))
    );
    assert_eq!(preview["first"], json!(["ADA", "BOB"]));

    let (status, saved) = api
        .call(
            "PUT",
            &path("/mappings"),
            Some(json!({"version": version, "mappings": mappings})),
        )
        .await;
    assert_eq!(status, 200, "{saved}");
    assert_eq!(
        (
            saved["is_default"].as_bool(),
            saved["full_sync_required"].as_bool()
        ),
        (Some(false), Some(true)),
        "saving mappings asks for a full re-evaluation"
    );
    assert_eq!(saved["mappings"]["users"]["scope"], scope);
    // A second writer with the old version is refused; the saved mappings stay.
    let (status, _) = api
        .call(
            "PUT",
            &path("/mappings"),
            Some(json!({"version": version, "mappings": null})),
        )
        .await;
    assert_eq!(status, 409);
    let (_, app) = api.call("GET", &path(""), None).await;
    assert_eq!(app["custom_mappings"], true);

    // With credentials saved for a real SCIM target, its /Schemas widens the targets offered.
    let target = steward_connect::testing::Scim2Server::start("api-token-test");
    let (_, app) = api.call("GET", &path(""), None).await;
    let (status, _) = api
        .call(
            "PUT",
            &path("/credentials"),
            Some(json!({"version": app["version"], "values": {
                "tenant_url": target.url, "secret_token": "api-token-test"}})),
        )
        .await;
    assert_eq!(status, 204);
    let (status, result) = api.call("POST", &path("/test-connection"), None).await;
    assert_eq!(
        (status, result["ok"].as_bool()),
        (200, Some(true)),
        "{result}"
    );
    let (status, read) = api.call("POST", &path("/read-schema"), None).await;
    assert_eq!((status, read["ok"].as_bool()), (200, Some(true)), "{read}");
    let (_, view) = api.call("GET", &path("/mappings"), None).await;
    let offered: Vec<&str> = view["targets"]["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["path"].as_str().unwrap())
        .collect();
    assert!(
        offered.contains(&"nickName"),
        "the target's own attribute: {offered:?}"
    );
    let (_, app) = api.call("GET", &path(""), None).await;

    // Settings, then Test Connection of an address nobody listens on: a named failure.
    let (status, settings) = api
        .call(
            "PUT",
            &path("/settings"),
            Some(json!({"version": app["version"], "settings": {
                "scope": "all", "prevent_accidental_deletion": true, "deletion_threshold": 20,
                "skip_out_of_scope_deletions": false, "cycle_interval_minutes": 30,
                "notification_email": "ops@example.com", "notify_on_failure": true}})),
        )
        .await;
    assert_eq!(status, 200, "{settings}");
    let (status, result) = api
        .call(
            "POST",
            &path("/test-connection"),
            Some(json!({"values": {"tenant_url": "http://127.0.0.1:9/scim", "secret_token": "t"}})),
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        (result["ok"].as_bool(), result["step"].as_str()),
        (Some(false), Some("TCP connect"))
    );

    let (status, _) = api
        .call("DELETE", &path(&format!("/assignments/{}", ids[2])), None)
        .await;
    assert_eq!(status, 204);

    // The audit log names the token, and keeps the mappings before and after.
    let events = store
        .list_audit(
            &steward_store::AuditFilter {
                actor: Some("api-token:ci".into()),
                ..Default::default()
            },
            None,
            100,
        )
        .await
        .unwrap();
    let actions: Vec<&str> = events.iter().map(|e| e.action.as_str()).collect();
    for action in [
        "application.create",
        "application.update",
        "application.assign",
        "application.mappings",
        "application.settings",
        "application.test_connection",
        "application.unassign",
    ] {
        assert!(
            actions.contains(&action),
            "{action} missing from {actions:?}"
        );
    }
    let change = events
        .iter()
        .find(|e| e.action == "application.mappings")
        .unwrap();
    assert_eq!(change.before.as_ref().unwrap()["users"]["scope"], json!([]));
    assert_eq!(change.after.as_ref().unwrap()["users"]["scope"], scope);
    assert!(change
        .detail
        .as_deref()
        .unwrap()
        .contains("displayName changed"));
}
