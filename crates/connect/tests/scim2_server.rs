//! Test Connection and schema reading against a real SCIM server: python-scim2's scim2-server from the shared
//! targets (`../shared/targets/scim2-server/start.sh`), started on a free port.

#![allow(clippy::unwrap_used)]

use steward_connect::testing::Scim2Server;
use steward_connect::{ScimTarget, Step, TargetObject};

fn start(token: &str) -> Scim2Server {
    Scim2Server::start(token)
}

#[tokio::test]
async fn test_connection_against_scim2_server() {
    let target = start("right-token");
    let ok = ScimTarget::new(&target.url, "right-token")
        .test_connection("userName", "steward-probe-1")
        .await
        .unwrap();
    assert_eq!(ok.status, 200);
    assert!(
        ok.request
            .contains("/v2/Users?filter=userName eq \"steward-probe-1\""),
        "{}",
        ok.request
    );

    let wrong = ScimTarget::new(&target.url, "wrong-token")
        .test_connection("userName", "steward-probe-2")
        .await
        .unwrap_err();
    assert_eq!(
        (wrong.step, wrong.status),
        (Step::Authentication, Some(401)),
        "{wrong:?}"
    );
    assert!(wrong.hint.contains("Secret Token"));

    let wrong_path = ScimTarget::new(target.url.replace("/v2", "/nope"), "right-token")
        .test_connection("userName", "steward-probe-3")
        .await
        .unwrap_err();
    assert_eq!(wrong_path.step, Step::HttpStatus, "{wrong_path:?}");
    assert_eq!(wrong_path.status, Some(404));
}

#[tokio::test]
async fn read_schemas_from_scim2_server() {
    let target = start("right-token");
    let schema = ScimTarget::new(&target.url, "right-token")
        .read_schemas()
        .await
        .unwrap();
    let users = |path: &str| schema.attribute(TargetObject::Users, path);
    for path in [
        "userName",
        "emails[type eq \"work\"].value",
        "name.givenName",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager",
        "urn:ietf:params:scim:schemas:extension:xledger:2.0:User:accessFromDate",
    ] {
        assert!(users(path).is_some(), "{path} missing from {schema:#?}");
    }
    assert!(users("userName").unwrap().required);
    for path in ["id", "meta", "meta.created", "groups"] {
        assert!(users(path).is_none(), "{path} should be left out");
    }
    // The klaxoon extension is declared for groups in /ResourceTypes.
    let groups = |path: &str| schema.attribute(TargetObject::Groups, path);
    assert!(groups("displayName").is_some());
    assert_eq!(groups("members").unwrap().attribute_type, "reference");
    assert!(groups("urn:ietf:params:scim:schemas:extension:klaxoon:2.0:Group:license").is_some());
    assert!(users("urn:ietf:params:scim:schemas:extension:klaxoon:2.0:Group:license").is_none());

    let wrong = ScimTarget::new(&target.url, "wrong-token")
        .read_schemas()
        .await
        .unwrap_err();
    assert_eq!(
        (wrong.step, wrong.status),
        (Step::Authentication, Some(401)),
        "{wrong:?}"
    );
    assert!(wrong.hint.contains("Secret Token"));
}

#[tokio::test]
async fn create_find_patch_and_delete_against_scim2_server() {
    use serde_json::json;
    use steward_connect::{OpErrorKind, ScimClient};
    use steward_scim::{PatchOperation, PatchPath};

    let target = start("ops-token");
    let client =
        ScimClient::new(&target.url, "ops-token", std::time::Duration::from_secs(10)).unwrap();
    // A user name with a quote and a backslash: the filter must still find exactly it.
    let name = r#"o"brien\ops@example.com"#;
    assert!(client
        .find(TargetObject::Users, "userName", name)
        .await
        .unwrap()
        .is_empty());
    let created = client
        .create(
            TargetObject::Users,
            &json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                    "userName": name, "title": "Analyst", "active": true}),
        )
        .await
        .unwrap();
    let id = created["id"].as_str().unwrap().to_string();
    let found = client
        .find(TargetObject::Users, "userName", name)
        .await
        .unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0]["id"], json!(id));

    // Creating it again is a conflict, not a second account.
    let again = client
        .create(
            TargetObject::Users,
            &json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": name}),
        )
        .await
        .unwrap_err();
    assert_eq!(again.kind, OpErrorKind::Conflict, "{again}");

    let path = |p: &str| PatchPath::parse(p).unwrap();
    client
        .patch(
            TargetObject::Users,
            &id,
            &[
                PatchOperation::replace(Some(&path("title")), json!("Professor")),
                PatchOperation::replace(Some(&path("active")), json!(false)),
            ],
        )
        .await
        .unwrap();
    let read = client.get(TargetObject::Users, &id).await.unwrap();
    assert_eq!(
        (read["title"].clone(), read["active"].clone()),
        (json!("Professor"), json!(false))
    );

    // A PATCH of a missing object is reported as NotFound, not taken as deleted.
    let missing = client
        .patch(
            TargetObject::Users,
            "no-such-id",
            &[PatchOperation::replace(Some(&path("title")), json!("x"))],
        )
        .await
        .unwrap_err();
    assert_eq!(missing.kind, OpErrorKind::NotFound);

    assert!(client.delete(TargetObject::Users, &id).await.unwrap());
    assert!(
        !client.delete(TargetObject::Users, &id).await.unwrap(),
        "already gone"
    );

    let wrong = ScimClient::new(&target.url, "wrong", std::time::Duration::from_secs(10)).unwrap();
    let refused = wrong
        .find(TargetObject::Users, "userName", "x")
        .await
        .unwrap_err();
    assert_eq!(refused.kind, OpErrorKind::Authentication);
    assert!(!refused.is_transient());
}

/// The engine's connector checks itself through the `Connector` trait as Test Connection does.
#[tokio::test]
async fn the_scim_connector_tests_its_connection_and_reads_the_schema() {
    use std::time::Duration;
    use steward_connect::{Connector, ScimClient};
    let target = start("right-token");
    let client = ScimClient::new(&target.url, "right-token", Duration::from_secs(10)).unwrap();
    let ok = Connector::test_connection(&client, "userName")
        .await
        .unwrap();
    assert_eq!(ok.status, 200);
    assert!(
        ok.request
            .contains("/v2/Users?filter=userName eq \"steward-test-"),
        "{}",
        ok.request
    );
    let schema = client
        .discover_schema()
        .await
        .unwrap()
        .expect("SCIM has a schema");
    assert!(schema.attribute(TargetObject::Users, "userName").is_some());
    let caps = Connector::discover(&client).await.unwrap();
    assert!(caps.patch, "scim2-server supports PATCH: {caps:?}");

    let wrong = ScimClient::new(&target.url, "wrong-token", Duration::from_secs(10)).unwrap();
    let failed = Connector::test_connection(&wrong, "userName")
        .await
        .unwrap_err();
    assert_eq!(
        (failed.step, failed.status),
        (Step::Authentication, Some(401))
    );
}
