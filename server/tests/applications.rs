//! Enterprise applications through the portal's endpoints: created from the gallery,
//! settings saved with a version check (a stale save is refused, nothing lost), credentials
//! stored encrypted, and every change in the audit log with secrets redacted.

#![allow(clippy::unwrap_used)]

mod common;

use common::{Server, PASSWORD};
use serde_json::Value;

#[tokio::test]
async fn settings_refuse_stale_saves_and_changes_are_audited_without_secrets() {
    let server = Server::with_admin();
    let cookie = server.sign_in("ada@example.com", PASSWORD).await;
    let client = server.client();
    let post = |path: &str, form: Vec<(&str, String)>| {
        server
            .post(&client, path)
            .header("cookie", &cookie)
            .form(&form)
            .send()
    };
    let created = post(
        "/api/application_create",
        vec![
            ("gallery_id", "custom-scim".into()),
            ("name", "HR portal".into()),
        ],
    )
    .await
    .unwrap();
    assert!(created.status().is_redirection() || created.status().is_success());
    let location = created
        .headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_string())
        .unwrap();
    let id = location.strip_prefix("/applications/").unwrap().to_string();

    let settings = |version: i64, threshold: &str| {
        vec![
            ("id", id.clone()),
            ("version", version.to_string()),
            ("form[scope]", "all".to_string()),
            ("form[prevent_accidental_deletion]", "on".to_string()),
            ("form[deletion_threshold]", threshold.to_string()),
            ("form[cycle_interval_minutes]", "40".to_string()),
            ("form[notification_email]", "ops@example.com".to_string()),
            ("form[notify_on_failure]", "on".to_string()),
        ]
    };
    let first = post("/api/application_settings", settings(1, "50"))
        .await
        .unwrap();
    assert!(
        first.status().is_success(),
        "{}",
        first.text().await.unwrap()
    );
    // A second admin who loaded version 1 saves over it: refused, with a way forward.
    let stale = post("/api/application_settings", settings(1, "75"))
        .await
        .unwrap();
    assert_eq!(stale.status(), 409);
    let body: Value = stale.json().await.unwrap();
    assert!(
        body["message"].as_str().unwrap().contains("Reload"),
        "{body}"
    );
    // Bad values are refused next to their field.
    let bad = post("/api/application_settings", settings(2, "lots"))
        .await
        .unwrap();
    assert_eq!(bad.status(), 422);
    assert!(bad.text().await.unwrap().contains("deletion_threshold"));

    let secret = "s3cr3t-provisioning-token";
    let saved = post(
        "/api/application_credentials",
        vec![
            ("id", id.clone()),
            ("version", "2".into()),
            ("form[tenant_url]", "https://hr.example.com/scim/v2".into()),
            ("form[secret_token]", secret.into()),
        ],
    )
    .await
    .unwrap();
    assert!(
        saved.status().is_success(),
        "{}",
        saved.text().await.unwrap()
    );
    let detail: Value = post("/api/application", vec![("id", id.clone())])
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(detail["settings"]["deletion_threshold"], 50);
    assert_eq!(detail["settings"]["scope"], "all");
    let token = detail["credentials"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "secret_token")
        .unwrap();
    assert_eq!(
        (token["is_set"].as_bool(), token["value"].as_str()),
        (Some(true), Some(""))
    );
    assert!(
        !detail.to_string().contains(secret),
        "the secret never goes back"
    );

    let store = server.store().await;
    let stored = store.credentials(&id).await.unwrap();
    let sealed = stored.iter().find(|c| c.field == "secret_token").unwrap();
    assert!(
        sealed.encrypted && !sealed.value.contains(secret),
        "stored encrypted"
    );
    let audit = store
        .list_audit(&steward_store::AuditFilter::default(), None, 50)
        .await
        .unwrap();
    let actions: Vec<&str> = audit.iter().map(|e| e.action.as_str()).collect();
    for action in [
        "application.create",
        "application.settings",
        "application.credentials",
    ] {
        assert!(actions.contains(&action), "{action} in {actions:?}");
    }
    let change = audit
        .iter()
        .find(|e| e.action == "application.settings")
        .unwrap();
    let (before, after) = (
        change.before.clone().unwrap(),
        change.after.clone().unwrap(),
    );
    assert_eq!(
        (&before["deletion_threshold"], &after["deletion_threshold"]),
        (&Value::from(500), &Value::from(50))
    );
    assert_eq!(
        (&before["scope"], &after["scope"]),
        (&Value::from("assigned"), &Value::from("all"))
    );
    assert!(
        audit.iter().all(|e| {
            let text = format!("{:?} {:?} {:?}", e.detail, e.before, e.after);
            !text.contains(secret)
        }),
        "no secret in any audit event"
    );
    let creds = audit
        .iter()
        .find(|e| e.action == "application.credentials")
        .unwrap();
    assert!(creds
        .detail
        .clone()
        .unwrap()
        .contains("secret_token: replaced"));
}
