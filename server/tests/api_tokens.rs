//! Admin API tokens: `steward api-token create/list/revoke` as an admin uses them from a
//! terminal, and Settings → API tokens over HTTP. Tokens made either way are checked with
//! `authenticate_api_token`, what the REST API's handlers call.

#![allow(clippy::unwrap_used)]

mod common;
use common::{error_fields, steward_in, Server, PASSWORD};
use serde_json::Value;
use std::path::Path;
use steward_app::error::ErrorCode;
use steward_app::server::{authenticate_api_token, ApiPrincipal};
use steward_store::Role;

fn api_token(data: &Path, args: &[&str]) -> (i32, String, String) {
    let out = steward_in(data, "api-token", args);
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

async fn open_store(data: &Path) -> std::sync::Arc<dyn steward_store::Store> {
    let url = format!("sqlite://{}", data.join("steward.db").display());
    steward_store::open(&url).await.unwrap()
}

async fn authenticate(data: &Path, token: &str) -> Result<ApiPrincipal, String> {
    let store = open_store(data).await;
    authenticate_api_token(store.as_ref(), Some(&format!("Bearer {token}")))
        .await
        .map_err(|e| {
            assert_eq!(e.code, ErrorCode::SignInRequired);
            e.message
        })
}

const CREATE_TERRAFORM: [&str; 5] = [
    "create",
    "--name",
    "Terraform",
    "--role",
    "global_administrator",
];

/// The state column of `name`'s row in `steward api-token list`.
fn listed_state(list: &str, name: &str) -> Option<String> {
    list.lines()
        .find(|l| l.split_whitespace().next() == Some(name))
        .and_then(|l| l.split_whitespace().last())
        .map(str::to_string)
}

#[tokio::test]
async fn api_tokens_are_created_listed_and_revoked_from_the_command_line() {
    let data = tempfile::tempdir().unwrap();
    let data = data.path();

    let (code, out, err) = api_token(data, &["list"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("No API tokens") && out.contains("--role ROLE"),
        "{out}"
    );

    // The token is the one line on stdout; stderr says it is not shown again.
    let (code, token, err) = api_token(data, &CREATE_TERRAFORM);
    assert_eq!(code, 0, "{err}");
    let token = token.trim().to_string();
    assert!(token.starts_with("stw_api_") && !token.contains(char::is_whitespace));
    assert!(
        err.contains("not again") && err.contains("Global Administrator"),
        "{err}"
    );
    assert_eq!(
        authenticate(data, &token).await.unwrap(),
        ApiPrincipal {
            name: "Terraform".into(),
            role: Role::GlobalAdministrator
        }
    );

    // The role's label works too, in any case; an unknown role lists the valid ones.
    let (code, second, err) = api_token(
        data,
        &["create", "--name", "ci", "--role", "global ADMINISTRATOR"],
    );
    assert_eq!(code, 0, "{err}");
    let second = second.trim().to_string();
    let (code, out, err) = api_token(data, &["create", "--name", "x", "--role", "superuser"]);
    assert_ne!(code, 0);
    assert!(out.is_empty());
    assert!(
        err.contains("unknown role \"superuser\"")
            && err.contains("valid roles: global_administrator (Global Administrator)"),
        "{err}"
    );
    let (code, _, err) = api_token(data, &["create", "--name", "x"]);
    assert_ne!(code, 0);
    assert!(err.contains("--role"), "{err}");

    // Names are unique among live tokens.
    let (code, out, err) = api_token(data, &CREATE_TERRAFORM);
    assert_eq!(code, 1);
    assert!(out.is_empty());
    assert!(
        err.contains("already exists") && err.contains("steward api-token revoke"),
        "{err}"
    );

    let (code, list, err) = api_token(data, &["list"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        list.lines().next().unwrap().contains("ROLE") && list.contains("global_administrator"),
        "{list}"
    );
    assert!(!list.contains(&token), "the list shows a token: {list}");
    assert_eq!(listed_state(&list, "Terraform").as_deref(), Some("live"));
    assert_eq!(listed_state(&list, "ci").as_deref(), Some("live"));

    // Revoked by name (as an argument or --name): refused from then on, the other unharmed.
    let (code, out, err) = api_token(data, &["revoke", "Terraform"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("Revoked API token \"Terraform\""), "{out}");
    let refused = authenticate(data, &token).await.unwrap_err();
    assert!(refused.contains("revoked"), "{refused}");
    assert_eq!(authenticate(data, &second).await.unwrap().name, "ci");
    let (code, _, err) = api_token(data, &["revoke", "Terraform"]);
    assert_eq!(code, 1);
    assert!(err.contains("no live API token is named"), "{err}");
    let (code, _, err) = api_token(data, &["revoke", "--name", "ci"]);
    assert_eq!(code, 0, "{err}");
    let (code, list, _) = api_token(data, &["list"]);
    assert_eq!(code, 0);
    assert_eq!(listed_state(&list, "Terraform").as_deref(), Some("revoked"));
    assert_eq!(listed_state(&list, "ci").as_deref(), Some("revoked"));

    // Each step is in the audit log, with the prefix and role but never the token.
    let store = open_store(data).await;
    let events = store
        .list_audit(&steward_store::AuditFilter::default(), None, 50)
        .await
        .unwrap();
    let tokens: Vec<(&str, &str)> = events
        .iter()
        .filter(|e| e.action.starts_with("api_token."))
        .map(|e| (e.action.as_str(), e.target.as_deref().unwrap()))
        .collect();
    assert_eq!(
        tokens,
        [
            ("api_token.revoke", "ci"),
            ("api_token.revoke", "Terraform"),
            ("api_token.create", "ci"),
            ("api_token.create", "Terraform"),
        ]
    );
    for e in events.iter().filter(|e| e.action.starts_with("api_token.")) {
        let detail = e.detail.as_deref().unwrap();
        assert!(detail.contains("role global_administrator"), "{detail}");
        assert!(!detail.contains(&token) && !detail.contains(&second));
        assert_eq!(e.actor, "command line");
    }
}

#[tokio::test]
async fn settings_creates_shows_once_and_revokes_api_tokens() {
    let server = Server::with_admin();
    let cookie = server.sign_in("ada@example.com", PASSWORD).await;
    // A server function called as the portal's pages call it: (status, JSON answer).
    let call = |path: &'static str, form: &[(&str, &str)]| {
        let request = server
            .post(&server.client(), path)
            .header("cookie", &cookie)
            .form(form);
        async move {
            let resp = request.send().await.unwrap();
            (resp.status().as_u16(), resp.json::<Value>().await.unwrap())
        }
    };
    let backstage = [
        ("kind", "api"),
        ("name", "Backstage"),
        ("role", "global_administrator"),
    ];

    let html = server.page_text(&cookie, "/settings").await;
    assert!(html.contains("href=\"/settings/api-tokens\""), "no link");
    let html = server.page_text(&cookie, "/settings/api-tokens").await;
    assert!(html.contains("API tokens"));

    // Both fields are checked at once.
    let (status, body) = call(
        "/api/token_create",
        &[("kind", "api"), ("name", " "), ("role", "nobody")],
    )
    .await;
    assert_eq!(status, 422);
    assert_eq!(error_fields(&body), ["name", "role"]);

    let (status, token) = call("/api/token_create", &backstage).await;
    assert_eq!(status, 200);
    let token = token.as_str().unwrap().to_string();
    assert!(token.starts_with("stw_api_"), "{token}");
    let principal = authenticate(&server.data_path(), &token).await.unwrap();
    assert_eq!(principal.role, Role::GlobalAdministrator);
    assert_eq!(call("/api/token_create", &backstage).await.0, 409);

    // Listed without the token, with its role and the time of its use just now.
    let (_, list) = call("/api/tokens", &[("kind", "api")]).await;
    assert!(!list.to_string().contains(&token));
    assert!(list["endpoint"].as_str().unwrap().ends_with("/api/v1"));
    assert_eq!(list["roles"][0]["value"], "global_administrator");
    let listed = &list["tokens"][0];
    assert_eq!(listed["name"], "Backstage");
    assert_eq!(listed["role"], "Global Administrator");
    assert_eq!(listed["created_by"], "ada@example.com");
    assert!(listed["last_used_at"].is_string(), "{listed}");
    let id = listed["id"].as_str().unwrap();

    let revoke = [("kind", "api"), ("id", id)];
    assert_eq!(call("/api/token_revoke", &revoke).await.0, 200);
    let refused = authenticate(&server.data_path(), &token).await.unwrap_err();
    assert!(refused.contains("revoked"), "{refused}");
    assert_eq!(call("/api/token_revoke", &revoke).await.0, 404);

    // The same calls serve SCIM tokens, which have no role.
    let (status, scim_token) = call(
        "/api/token_create",
        &[("kind", "scim"), ("name", "Backstage")],
    )
    .await;
    assert_eq!(status, 200);
    let scim_token = scim_token.as_str().unwrap();
    assert!(scim_token.starts_with("stw_") && !scim_token.starts_with("stw_api_"));
    let refused = authenticate(&server.data_path(), scim_token)
        .await
        .unwrap_err();
    assert!(refused.contains("SCIM token"), "{refused}");
    let (_, list) = call("/api/tokens", &[("kind", "scim")]).await;
    assert!(list["endpoint"].as_str().unwrap().ends_with("/scim/v2"));
    assert_eq!(list["roles"], serde_json::json!([]));
    assert_eq!(list["tokens"][0]["role"], Value::Null);

    let actions = server.audit_actions(&cookie).await;
    let token_actions: Vec<&str> = actions
        .iter()
        .map(String::as_str)
        .filter(|a| a.contains("_token."))
        .collect();
    assert_eq!(
        token_actions,
        ["scim_token.create", "api_token.revoke", "api_token.create"]
    );
}
