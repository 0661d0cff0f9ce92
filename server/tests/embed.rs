//! The embeddable dashboard against the real server: an admin creates a link in the portal
//! (the server functions Settings → Embedded dashboards posts), another site frames
//! `/embed/{token}` (only the token's origins may, by Content-Security-Policy), its live stream
//! sends the job's status, and the token opens nothing else. Revoked, the link is a plain 404
//! that no one may frame, and an open stream ends.

#![allow(clippy::unwrap_used)]

mod common;

use common::{error_fields, read_stream_until, Api, PASSWORD};
use serde_json::{json, Value};
use std::time::Duration;
use steward_store::{NewLogEntry, ObjectType};

const ORIGINS: &str = "https://intranet.example.com\n\n http://localhost:8080/ \n";
const POLICY: &str = "frame-ancestors https://intranet.example.com http://localhost:8080";
const NONE: &str = "frame-ancestors 'none'";
const PUBLIC_URL: &str = "https://steward.example.com";

fn csp(resp: &reqwest::Response) -> String {
    resp.headers()
        .get("content-security-policy")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default()
}

#[tokio::test]
async fn an_embed_link_shows_its_application_to_its_origins_only_and_nothing_else() {
    let api = Api::start_with(&[("STEWARD_PUBLIC_URL", PUBLIC_URL)]);
    let server = &api.server;
    let app_id = api.create_custom_app("Wiki").await;
    let cookie = server.sign_in("ada@example.com", PASSWORD).await;
    // What the engine would have written: a failure to show, and a success not to.
    let store = server.store().await;
    let entry = |who: &str, status: &str, message: &str| NewLogEntry {
        application_id: app_id.clone(),
        object_type: Some(ObjectType::User),
        source_id: format!("id-{who}"),
        source_name: format!("{who}@example.com"),
        action: "create".into(),
        status: status.into(),
        error_code: (status == "failure").then(|| "ENG-REJECTED".to_string()),
        message: message.into(),
        ..NewLogEntry::default()
    };
    let first_failure = store
        .record_provisioning(entry(
            "ada",
            "failure",
            "The target refused the email address.",
        ))
        .await
        .unwrap();
    store
        .record_provisioning(entry("grace", "success", "Created."))
        .await
        .unwrap();

    // Origins are checked: a path is refused next to the field, and nothing is created.
    let (status, body) = server
        .server_fn(
            &cookie,
            "embed_token_create",
            &[
                ("name", "Intranet"),
                ("application", &app_id),
                ("origins", "https://intranet.example.com/status"),
            ],
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(error_fields(&body), ["origins"]);

    let (status, created) = server
        .server_fn(
            &cookie,
            "embed_token_create",
            &[
                ("name", "Intranet"),
                ("application", &app_id),
                ("origins", ORIGINS),
            ],
        )
        .await;
    assert_eq!(status, 200, "{created}");
    let token = created["token"].as_str().unwrap().to_string();
    assert!(token.starts_with("stw_embed_"), "{token}");
    assert_eq!(created["url"], format!("{PUBLIC_URL}/embed/{token}"));
    let snippet = created["snippet"].as_str().unwrap();
    assert!(
        snippet.starts_with(&format!("<iframe src=\"{PUBLIC_URL}/embed/{token}\"")),
        "{snippet}"
    );

    let (status, listed) = server.server_fn(&cookie, "embed_tokens", &[]).await;
    assert_eq!(status, 200, "{listed}");
    let row = &listed["tokens"][0];
    assert_eq!(row["scope"], "Wiki");
    assert_eq!(
        row["allowed_origins"],
        json!(["https://intranet.example.com", "http://localhost:8080"])
    );
    assert!(row["last_used_at"].is_null());
    assert!(
        !listed.to_string().contains(&token),
        "the list holds the token"
    );
    let token_id = row["id"].as_str().unwrap().to_string();

    // The dashboard, without any session: framed by exactly the token's origins.
    let anonymous = server.client();
    let resp = anonymous
        .get(server.url(&format!("/embed/{token}")))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(csp(&resp), POLICY);
    let page = resp.text().await.unwrap();
    for testid in [
        "embed-dashboard",
        "embed-state",
        "embed-progress",
        "embed-failures",
    ] {
        assert!(
            page.contains(&format!("data-testid=\"{testid}\"")),
            "{testid} missing from {page}"
        );
    }
    assert!(
        page.contains("Wiki") && page.contains("Not configured"),
        "{page}"
    );
    assert!(
        page.contains("ada@example.com") && page.contains("The target refused the email address."),
        "the failure is missing: {page}"
    );
    assert!(
        !page.contains("grace@example.com"),
        "a success is listed: {page}"
    );
    // No portal navigation inside the frame: not one link.
    assert!(!page.contains("<a ") && !page.contains("<nav"), "{page}");

    // Every other page keeps refusing to be framed, the portal's own pages included.
    for path in ["/applications", "/settings/embed", "/"] {
        let resp = server
            .client()
            .get(server.url(path))
            .header("cookie", &cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200, "{path}");
        assert_eq!(csp(&resp), NONE, "{path}");
    }

    // The dashboard's one server function answers to the token, without a session.
    let (status, view) = server
        .server_fn("", "embed_view", &[("token", &token)])
        .await;
    assert_eq!(status, 200, "{view}");
    assert_eq!(view["title"], "Wiki");
    assert_eq!(view["jobs"][0]["application_id"], app_id.as_str());

    // The token opens nothing else: no other server function, not the portal's stream, no
    // page, not the REST API, however it is sent.
    let bearer = format!("Bearer {token}");
    for (path, form) in [
        ("/api/provisioning_jobs", vec![]),
        ("/api/provisioning_job", vec![("id", app_id.as_str())]),
        ("/api/embed_tokens", vec![("token", token.as_str())]),
        ("/api/current_admin", vec![("token", token.as_str())]),
    ] {
        let resp = server
            .post(&anonymous, path)
            .header("authorization", &bearer)
            .header("cookie", format!("token={token}"))
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 401, "{path}");
    }
    let resp = anonymous
        .get(server.url(&format!("/api/live?view=overview&token={token}")))
        .header("authorization", &bearer)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
    let resp = anonymous
        .get(server.url(&format!("/applications?token={token}")))
        .send()
        .await
        .unwrap();
    assert_eq!(
        resp.status(),
        303,
        "a portal page opened to the embed token"
    );
    let resp = anonymous
        .get(server.url("/api/v1/applications"))
        .header("authorization", &bearer)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);

    // The live stream: the token's framing, the job's status straight away, then each new
    // failure (and nothing else from the log).
    let mut live = anonymous
        .get(server.url(&format!("/embed/{token}/live?after={first_failure}")))
        .send()
        .await
        .unwrap();
    assert_eq!(live.status(), 200);
    assert_eq!(csp(&live), POLICY);
    assert!(live.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/event-stream"));
    let events = read_stream_until(&mut live, "\n\n", Duration::from_secs(10)).await;
    assert!(events.contains("event: status"), "{events}");
    let data = events
        .lines()
        .find_map(|l| l.strip_prefix("data: "))
        .unwrap();
    let status: Value = serde_json::from_str(data).unwrap();
    assert_eq!(status["application_id"], app_id.as_str());
    assert_eq!(status["state"], "not_configured");
    store
        .record_provisioning(entry("lin", "success", "Created."))
        .await
        .unwrap();
    store
        .record_provisioning(entry("cyd", "failure", "The target is full."))
        .await
        .unwrap();
    let events = read_stream_until(&mut live, "The target is full.", Duration::from_secs(10)).await;
    assert!(
        events.contains("event: log") && events.contains("cyd@example.com"),
        "{events}"
    );
    assert!(
        !events.contains("lin@example.com"),
        "a success was streamed: {events}"
    );

    // The page's use was recorded.
    let (_, listed) = server.server_fn(&cookie, "embed_tokens", &[]).await;
    assert!(listed["tokens"][0]["last_used_at"].is_string(), "{listed}");

    // Revoked: the link is a plain 404 no one may frame, with no data; the open stream ends.
    let (status, body) = server
        .server_fn(&cookie, "embed_token_revoke", &[("id", &token_id)])
        .await;
    assert_eq!(status, 200, "{body}");
    let resp = anonymous
        .get(server.url(&format!("/embed/{token}")))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 404);
    assert_eq!(csp(&resp), NONE);
    let page = resp.text().await.unwrap();
    assert!(
        page.contains("data-testid=\"embed-invalid\"")
            && page.contains("This dashboard link is not valid (revoked or mistyped)."),
        "{page}"
    );
    assert!(!page.contains("Wiki"), "{page}");
    let resp = anonymous
        .get(server.url(&format!("/embed/{token}/live")))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 404);
    assert_eq!(csp(&resp), NONE);
    let (status, _) = server
        .server_fn("", "embed_view", &[("token", &token)])
        .await;
    assert_eq!(status, 404);
    let ended = tokio::time::timeout(Duration::from_secs(20), async {
        while live.chunk().await.unwrap().is_some() {}
    })
    .await;
    assert!(ended.is_ok(), "the stream of a revoked token is still open");

    let actions = server.audit_actions(&cookie).await;
    assert!(
        actions.contains(&"embed_token.create".to_string())
            && actions.contains(&"embed_token.revoke".to_string()),
        "{actions:?}"
    );
    // The request log never holds a working link.
    assert!(
        !server.log_lines().iter().any(|l| l.contains(&token)),
        "the token is in the server log"
    );
}

#[tokio::test]
async fn a_link_for_every_application_and_links_that_never_were() {
    let api = Api::start();
    let server = &api.server;
    for name in ["Wiki", "Chat"] {
        let (status, _) = api
            .call(
                "POST",
                "/applications",
                Some(json!({"gallery_id": "custom-scim", "name": name})),
            )
            .await;
        assert_eq!(status, 201);
    }
    let cookie = server.sign_in("ada@example.com", PASSWORD).await;
    let (status, created) = server
        .server_fn(
            &cookie,
            "embed_token_create",
            &[
                ("name", "Status page"),
                ("application", ""),
                ("origins", "https://status.example.com:8443"),
            ],
        )
        .await;
    assert_eq!(status, 200, "{created}");
    let token = created["token"].as_str().unwrap();
    assert!(created["snippet"]
        .as_str()
        .unwrap()
        .contains("title=\"Provisioning status: All applications\""));

    let anonymous = server.client();
    let resp = anonymous
        .get(server.url(&format!("/embed/{token}")))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(
        csp(&resp),
        "frame-ancestors https://status.example.com:8443"
    );
    let page = resp.text().await.unwrap();
    assert!(
        page.contains("All applications") && page.contains("Wiki") && page.contains("Chat"),
        "{page}"
    );
    let mut live = anonymous
        .get(server.url(&format!("/embed/{token}/live")))
        .send()
        .await
        .unwrap();
    let events = read_stream_until(&mut live, "\n\n", Duration::from_secs(10)).await;
    assert!(events.contains("event: jobs"), "{events}");

    // Mistyped, made up, not an embed token at all, or not the page: the same 404, never
    // framed.
    for path in [
        format!("/embed/{}", &token[..token.len() - 1]),
        "/embed/stw_embed_made-up".to_string(),
        format!("/embed/{}", api.token),
        format!("/embed/{token}x/live"),
        // A live token opens its page and stream, nothing else under it.
        format!("/embed/{token}/settings"),
        format!("/embed/{token}/"),
    ] {
        let resp = anonymous.get(server.url(&path)).send().await.unwrap();
        assert_eq!(resp.status(), 404, "{path}");
        assert_eq!(csp(&resp), NONE, "{path}");
    }
}
