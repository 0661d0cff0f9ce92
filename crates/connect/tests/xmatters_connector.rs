//! The engine's xMatters connector against the fake xMatters instance
//! (`steward_connect::testing_xmatters`): what ends up in xMatters after each operation the
//! engine sends, and how failures are classified.

#![allow(clippy::unwrap_used)]

use std::time::Duration;

use serde_json::{json, Value};
use steward_connect::testing_xmatters::FakeXmatters;
use steward_connect::{Connector, OpErrorKind, TargetObject, XmattersConnector, XmattersTarget};
use steward_scim::{PatchOperation, PatchPath};

const ADMIN: &str = "steward-admin";
const PASSWORD: &str = "right-password";
const WORK_EMAIL: &str = r#"devices[name eq "Work Email"].emailAddress"#;

fn connector(fake: &FakeXmatters, password: &str) -> XmattersConnector {
    XmattersTarget::from_domain(&fake.url, ADMIN, password)
        .connector()
        .unwrap()
}

/// What `steward_sync::resource` builds from the gallery's xMatters mapping for Ada.
fn ada(last_name: &str, status: &str, email: Option<&str>) -> Value {
    let mut resource = json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "targetName": "ada@example.com",
        "firstName": "Ada",
        "lastName": last_name,
        "status": status,
        "externalKey": "7d1c0e4a-directory-object-id",
    });
    if let Some(email) = email {
        resource["devices"] = json!([{"name": "Work Email", "emailAddress": email}]);
    }
    resource
}

fn replace(path: &str, value: Value) -> PatchOperation {
    PatchOperation::replace(Some(&PatchPath::parse(path).unwrap()), value)
}

fn remove(path: &str) -> PatchOperation {
    PatchOperation::remove(&PatchPath::parse(path).unwrap())
}

/// The person's devices in the fake, as (name, address).
fn devices_of(fake: &FakeXmatters, id: &str) -> Vec<(String, String)> {
    fake.devices()
        .iter()
        .filter(|d| d["owner"]["id"] == id)
        .map(|d| {
            (
                d["name"].as_str().unwrap().to_string(),
                d["emailAddress"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[tokio::test]
async fn creates_a_person_with_a_role_and_the_work_email_device_then_finds_it() {
    let fake = FakeXmatters::start(ADMIN, PASSWORD);
    let xm = connector(&fake, PASSWORD);

    let created = xm
        .create(
            TargetObject::Users,
            &ada("Lovelace", "ACTIVE", Some("ada@example.com")),
        )
        .await
        .unwrap();
    let id = created["id"].as_str().unwrap().to_string();
    assert_eq!(created["targetName"], "ada@example.com");
    assert_eq!(created["active"], true);

    let stored = fake.person("ada@example.com").unwrap();
    assert_eq!(stored["id"], id.as_str());
    assert_eq!(stored["firstName"], "Ada");
    assert_eq!(stored["lastName"], "Lovelace");
    assert_eq!(stored["status"], "ACTIVE");
    assert_eq!(stored["externalKey"], "7d1c0e4a-directory-object-id");
    assert_eq!(stored["roles"], json!(["Standard User"]));
    assert_eq!(stored["recipientType"], "PERSON");
    assert!(stored.get("schemas").is_none(), "{stored}");
    assert_eq!(
        devices_of(&fake, &id),
        [("Work Email".to_string(), "ada@example.com".to_string())]
    );

    // Matching by targetName, which xMatters compares without case.
    let found = xm
        .find(TargetObject::Users, "targetName", "Ada@Example.com")
        .await
        .unwrap();
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0]["id"], id.as_str());
    assert_eq!(found[0]["active"], true);
    assert!(xm
        .find(TargetObject::Users, "targetName", "grace@example.com")
        .await
        .unwrap()
        .is_empty());
    // A targetName that is someone's id matches nobody.
    assert!(xm
        .find(TargetObject::Users, "targetName", &id)
        .await
        .unwrap()
        .is_empty());

    // Creating the same targetName again is xMatters' 409.
    let again = xm
        .create(TargetObject::Users, &ada("Lovelace", "ACTIVE", None))
        .await
        .unwrap_err();
    assert_eq!(
        (again.kind, again.status),
        (OpErrorKind::Conflict, Some(409)),
        "{again}"
    );
    assert_eq!(fake.people().len(), 1);
}

#[tokio::test]
async fn a_mapped_role_is_sent_instead_of_the_default() {
    let fake = FakeXmatters::start(ADMIN, PASSWORD);
    let mut resource = ada("Lovelace", "ACTIVE", None);
    resource["roles"] = json!("Group Supervisor");
    connector(&fake, PASSWORD)
        .create(TargetObject::Users, &resource)
        .await
        .unwrap();
    assert_eq!(
        fake.person("ada@example.com").unwrap()["roles"],
        json!(["Group Supervisor"])
    );
}

#[tokio::test]
async fn updates_change_names_disable_re_enable_and_keep_the_email_device() {
    let fake = FakeXmatters::start(ADMIN, PASSWORD);
    let xm = connector(&fake, PASSWORD);
    let email = Some("ada@example.com");
    let created = xm
        .create(TargetObject::Users, &ada("Lovelace", "ACTIVE", email))
        .await
        .unwrap();
    let id = created["id"].as_str().unwrap();
    let person = || fake.person("ada@example.com").unwrap();
    let after_create = fake.requests().len();

    // A new last name: the operations say what changed, the resource is the whole person.
    xm.update(
        TargetObject::Users,
        id,
        &[replace("lastName", json!("King"))],
        &ada("King", "ACTIVE", email),
    )
    .await
    .unwrap();
    assert_eq!(person()["lastName"], "King");
    assert_eq!(person()["firstName"], "Ada");

    // The engine's disable: `replace active false`, with a resource still saying ACTIVE.
    xm.update(
        TargetObject::Users,
        id,
        &[replace("active", json!(false))],
        &ada("King", "ACTIVE", email),
    )
    .await
    .unwrap();
    assert_eq!(person()["status"], "INACTIVE");
    let found = xm
        .find(TargetObject::Users, "targetName", "ada@example.com")
        .await
        .unwrap();
    assert_eq!(found[0]["active"], false);

    // Back in scope: the fingerprint removes `active`, the mapping's status says ACTIVE.
    xm.update(
        TargetObject::Users,
        id,
        &[remove("active")],
        &ada("King", "ACTIVE", email),
    )
    .await
    .unwrap();
    assert_eq!(person()["status"], "ACTIVE");

    // None of that touched the device: no device requests at all.
    assert!(
        !fake.requests()[after_create..]
            .iter()
            .any(|r| r.contains("/devices")),
        "{:?}",
        fake.requests()
    );
    assert_eq!(
        devices_of(&fake, id),
        [("Work Email".to_string(), "ada@example.com".to_string())]
    );
}

#[tokio::test]
async fn email_changes_update_add_and_remove_the_work_email_device() {
    let fake = FakeXmatters::start(ADMIN, PASSWORD);
    let xm = connector(&fake, PASSWORD);
    let created = xm
        .create(TargetObject::Users, &ada("Lovelace", "ACTIVE", None))
        .await
        .unwrap();
    let id = created["id"].as_str().unwrap();
    assert!(devices_of(&fake, id).is_empty());

    // A mail address appears: the device is created, and no person update is sent.
    let before = fake.requests().len();
    xm.update(
        TargetObject::Users,
        id,
        &[replace(WORK_EMAIL, json!("ada@example.com"))],
        &ada("Lovelace", "ACTIVE", Some("ada@example.com")),
    )
    .await
    .unwrap();
    assert_eq!(
        devices_of(&fake, id),
        [("Work Email".to_string(), "ada@example.com".to_string())]
    );
    assert!(
        !fake.requests()[before..]
            .iter()
            .any(|r| r.starts_with("POST /api/xm/1/people")),
        "{:?}",
        fake.requests()
    );

    // It changes: the same device gets the new address.
    let device_id = fake.devices()[0]["id"].clone();
    xm.update(
        TargetObject::Users,
        id,
        &[replace(WORK_EMAIL, json!("ada.king@example.com"))],
        &ada("Lovelace", "ACTIVE", Some("ada.king@example.com")),
    )
    .await
    .unwrap();
    assert_eq!(
        devices_of(&fake, id),
        [("Work Email".to_string(), "ada.king@example.com".to_string())]
    );
    assert_eq!(fake.devices()[0]["id"], device_id);

    // It goes: the device is deleted.
    xm.update(
        TargetObject::Users,
        id,
        &[remove(WORK_EMAIL)],
        &ada("Lovelace", "ACTIVE", None),
    )
    .await
    .unwrap();
    assert!(devices_of(&fake, id).is_empty());
}

#[tokio::test]
async fn updating_a_person_that_is_gone_is_not_found() {
    let fake = FakeXmatters::start(ADMIN, PASSWORD);
    let e = connector(&fake, PASSWORD)
        .update(
            TargetObject::Users,
            "00000000-0000-4000-8000-000000000099",
            &[replace("lastName", json!("King"))],
            &ada("King", "ACTIVE", None),
        )
        .await
        .unwrap_err();
    assert_eq!(
        (e.kind, e.status),
        (OpErrorKind::NotFound, Some(404)),
        "{e}"
    );
    assert!(e.detail.contains("Could not find a person"), "{e}");
}

#[tokio::test]
async fn delete_removes_the_person_and_says_when_it_was_gone_already() {
    let fake = FakeXmatters::start(ADMIN, PASSWORD);
    let xm = connector(&fake, PASSWORD);
    let created = xm
        .create(
            TargetObject::Users,
            &ada("Lovelace", "ACTIVE", Some("ada@example.com")),
        )
        .await
        .unwrap();
    let id = created["id"].as_str().unwrap();

    assert!(xm.delete(TargetObject::Users, id).await.unwrap());
    assert!(fake.people().is_empty());
    assert!(fake.devices().is_empty());
    assert!(!xm.delete(TargetObject::Users, id).await.unwrap());
}

#[tokio::test]
async fn lists_people_a_page_at_a_time() {
    let fake = FakeXmatters::start(ADMIN, PASSWORD);
    for name in ["a", "b", "c", "d", "e"] {
        fake.add_person(json!({"targetName": name, "firstName": name, "lastName": "Test"}));
    }
    let xm = connector(&fake, PASSWORD);
    let names = |page: &steward_connect::ListPage| -> Vec<String> {
        page.resources
            .iter()
            .map(|p| p["targetName"].as_str().unwrap().to_string())
            .collect()
    };

    let first = xm.list(TargetObject::Users, 1, 2).await.unwrap();
    assert_eq!(names(&first), ["a", "b"]);
    assert_eq!(first.total, Some(5));
    assert!(first.resources.iter().all(|p| p["id"].is_string()));
    let last = xm.list(TargetObject::Users, 5, 2).await.unwrap();
    assert_eq!(names(&last), ["e"]);
    // SCIM's 1-based start index is xMatters' 0-based offset.
    assert!(
        fake.requests()
            .contains(&"GET /api/xm/1/people?offset=4&limit=2".to_string()),
        "{:?}",
        fake.requests()
    );
    // A count above xMatters' page size asks for a page it serves.
    let all = xm.list(TargetObject::Users, 1, 5000).await.unwrap();
    assert_eq!(all.resources.len(), 5);
}

#[tokio::test]
async fn a_wrong_password_is_an_authentication_error() {
    let fake = FakeXmatters::start(ADMIN, PASSWORD);
    let xm = connector(&fake, "wrong-password");
    let find = xm
        .find(TargetObject::Users, "targetName", "ada@example.com")
        .await
        .unwrap_err();
    assert_eq!(
        (find.kind, find.status),
        (OpErrorKind::Authentication, Some(401)),
        "{find}"
    );
    assert_eq!(find.detail, "Bad credentials");
    let create = xm
        .create(TargetObject::Users, &ada("Lovelace", "ACTIVE", None))
        .await
        .unwrap_err();
    assert_eq!(create.kind, OpErrorKind::Authentication, "{create}");
    assert!(fake.people().is_empty());
}

#[tokio::test]
async fn rate_limits_and_server_errors_are_transient() {
    let fake = FakeXmatters::start(ADMIN, PASSWORD);
    let xm = connector(&fake, PASSWORD);
    fake.fail_next(429, Some(7));
    fake.fail_next(503, None);

    let limited = xm.list(TargetObject::Users, 1, 10).await.unwrap_err();
    assert_eq!(
        (limited.kind, limited.status, limited.retry_after),
        (
            OpErrorKind::RateLimited,
            Some(429),
            Some(Duration::from_secs(7))
        ),
        "{limited}"
    );
    assert!(limited.is_transient());
    let down = xm
        .find(TargetObject::Users, "targetName", "ada@example.com")
        .await
        .unwrap_err();
    assert_eq!(down.kind, OpErrorKind::ServerError, "{down}");
    assert!(down.is_transient());
    // The next request is served again.
    assert!(xm.list(TargetObject::Users, 1, 10).await.is_ok());
}

#[tokio::test]
async fn groups_and_other_lookups_are_refused_without_a_request() {
    let fake = FakeXmatters::start(ADMIN, PASSWORD);
    let xm = connector(&fake, PASSWORD);
    let caps = xm.capabilities();
    assert!(!caps.patch && !caps.groups, "{caps:?}");

    let members = xm
        .change_members("g1", &["p1".to_string()], &[])
        .await
        .unwrap_err();
    assert_eq!(members.kind, OpErrorKind::Rejected);
    assert!(members.detail.contains("groups"), "{members}");
    let groups = xm
        .find(TargetObject::Groups, "targetName", "Ops")
        .await
        .unwrap_err();
    assert_eq!(groups.kind, OpErrorKind::Rejected);
    let other = xm
        .find(TargetObject::Users, "externalKey", "7d1c")
        .await
        .unwrap_err();
    assert_eq!(other.kind, OpErrorKind::Rejected);
    assert!(other.detail.contains("targetName"), "{other}");
    // A phone device in the mapping is refused before the person is created.
    let mut phone = ada("Lovelace", "ACTIVE", None);
    phone["devices"] = json!([{"name": "Work Phone", "phoneNumber": "+15555550100"}]);
    let refused = xm.create(TargetObject::Users, &phone).await.unwrap_err();
    assert_eq!(refused.kind, OpErrorKind::Rejected, "{refused}");
    assert!(fake.requests().is_empty(), "{:?}", fake.requests());
}

#[tokio::test]
async fn nothing_listening_is_a_transport_error() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let xm = XmattersTarget::from_domain(&format!("http://127.0.0.1:{port}"), ADMIN, PASSWORD)
        .connector()
        .unwrap();
    let e = xm.list(TargetObject::Users, 1, 10).await.unwrap_err();
    assert_eq!(e.kind, OpErrorKind::Transport, "{e}");
    assert!(e.is_transient());

    let bad = XmattersTarget::from_domain("", ADMIN, PASSWORD)
        .connector()
        .unwrap_err();
    assert_eq!(bad.kind, OpErrorKind::Transport, "{bad}");
}

#[tokio::test]
async fn test_connection_succeeds_against_the_fake() {
    let fake = FakeXmatters::start(ADMIN, PASSWORD);
    let ok = XmattersTarget::from_domain(&fake.url, ADMIN, PASSWORD)
        .test_connection()
        .await
        .unwrap();
    assert_eq!(ok.status, 200);
}

#[tokio::test]
async fn the_connector_tests_its_connection_as_test_connection_does() {
    let fake = FakeXmatters::start(ADMIN, PASSWORD);
    let ok = connector(&fake, PASSWORD)
        .test_connection("targetName")
        .await
        .unwrap();
    assert_eq!(ok.status, 200);
    assert!(
        ok.request.contains("/api/xm/1/people?limit=1"),
        "{}",
        ok.request
    );
    assert_eq!(
        connector(&fake, PASSWORD).discover_schema().await.unwrap(),
        None
    );
    let failed = connector(&fake, "wrong")
        .test_connection("targetName")
        .await
        .unwrap_err();
    assert_eq!(
        failed.step,
        steward_connect::Step::Authentication,
        "{failed:?}"
    );
}
