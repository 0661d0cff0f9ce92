//! The portal over HTTP against the real binary: sessions guard every page, sign-in and
//! sign-out work and are throttled, cross-site posts are refused, first-run setup works.

#![allow(clippy::unwrap_used)]

mod common;
use common::{error_fields, Server, PASSWORD};
use serde_json::Value;

const PAGES: [&str; 8] = [
    "/",
    "/users",
    "/groups",
    "/applications",
    "/provisioning-logs",
    "/audit-logs",
    "/settings",
    "/settings/api-tokens",
];

#[tokio::test]
async fn health_and_readiness() {
    let server = Server::fresh();
    let client = server.client();
    let health = client.get(server.url("/healthz")).send().await.unwrap();
    assert_eq!(health.status(), 200);
    assert_eq!(health.text().await.unwrap(), "ok");
    let ready: Value = client
        .get(server.url("/readyz"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(ready["status"], "ready");
    assert_eq!(ready["database"], "SQLite");
}

#[tokio::test]
async fn every_page_and_api_needs_a_session() {
    let server = Server::with_admin();
    let client = server.client();
    for page in PAGES {
        let resp = client.get(server.url(page)).send().await.unwrap();
        assert_eq!(resp.status(), 303, "{page}");
        let location = resp.headers()["location"].to_str().unwrap();
        let want = if page == "/" {
            "/sign-in".to_string()
        } else {
            format!("/sign-in?next={page}")
        };
        assert_eq!(location, want, "{page}");
    }
    for api in [
        "/api/current_admin",
        "/api/settings",
        "/api/audit_events",
        "/api/tokens",
        "/api/token_create",
        "/api/sign_out",
    ] {
        let resp = server.post(&client, api).send().await.unwrap();
        assert_eq!(resp.status(), 401, "{api}");
        let body: Value = resp.json().await.unwrap();
        assert_eq!(body["code"], "AUTH-0003", "{api}");
    }
    let sign_in = client.get(server.url("/sign-in")).send().await.unwrap();
    assert_eq!(sign_in.status(), 200);
    let html = sign_in.text().await.unwrap();
    assert!(
        html.contains("name=\"email\"") && html.contains("name=\"password\""),
        "{html}"
    );
    assert!(
        !html.contains("data-testid=\"setup-notice\""),
        "setup notice shown although an admin exists"
    );
}

#[tokio::test]
async fn sign_in_visit_every_page_and_sign_out() {
    let server = Server::with_admin();
    let client = server.client();
    let resp = server
        .post(&client, "/api/sign_in")
        .form(&[
            ("email", "ADA@example.com"),
            ("password", PASSWORD),
            ("next", "/settings"),
        ])
        .send()
        .await
        .unwrap();
    assert!(
        resp.status().is_success() || resp.status().is_redirection(),
        "{}",
        resp.status()
    );
    assert_eq!(resp.headers()["location"], "/settings");
    let set_cookie = resp.headers()["set-cookie"].to_str().unwrap().to_string();
    for flag in ["HttpOnly", "SameSite=Lax", "Path=/"] {
        assert!(
            set_cookie.contains(flag),
            "{flag} missing from {set_cookie}"
        );
    }
    let cookie = set_cookie.split(';').next().unwrap().to_string();

    for page in PAGES {
        let resp = client
            .get(server.url(page))
            .header("cookie", &cookie)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 200, "{page}");
        let html = resp.text().await.unwrap();
        assert!(
            html.contains("Ada Lovelace"),
            "{page} does not show the signed-in admin"
        );
        assert!(
            html.contains("Enterprise applications"),
            "{page} has no navigation"
        );
    }
    let settings = server.page_text(&cookie, "/settings").await;
    assert!(settings.contains("ada@example.com") && settings.contains("Global Administrator"));

    let missing = client
        .get(server.url("/no-such-page"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    assert!(missing.text().await.unwrap().contains("NAV-0404"));

    let me: Value = server
        .post(&client, "/api/current_admin")
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["email"], "ada@example.com");
    assert_eq!(me["roles"][0], "Global Administrator");

    let out = server
        .post(&client, "/api/sign_out")
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert!(out.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .contains("Max-Age=0"));
    let after = client
        .get(server.url("/"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(
        after.status(),
        303,
        "the old session cookie still works after sign-out"
    );

    let audit = server.sign_in("ada@example.com", PASSWORD).await;
    let actions = server.audit_actions(&audit).await;
    assert_eq!(
        actions,
        [
            "admin.sign_in",
            "admin.sign_out",
            "admin.sign_in",
            "admin.create"
        ]
    );
}

#[tokio::test]
async fn wrong_credentials_are_generic_and_throttled() {
    let server = Server::with_admin();
    let client = server.client();
    let attempt = |email: &'static str, password: &'static str| {
        let req = server
            .post(&client, "/api/sign_in")
            .form(&[("email", email), ("password", password)]);
        async move {
            let resp = req.send().await.unwrap();
            let status = resp.status().as_u16();
            let body: Value = resp.json().await.unwrap();
            (status, body)
        }
    };
    let (status, wrong_password) = attempt("ada@example.com", "not the password").await;
    assert_eq!(status, 401);
    assert_eq!(wrong_password["code"], "AUTH-0001");
    let (_, unknown_email) = attempt("nobody@example.com", "not the password").await;
    assert_eq!(
        unknown_email, wrong_password,
        "an unknown email must look exactly like a wrong password"
    );

    let (status, missing) = attempt("", "").await;
    assert_eq!(status, 422);
    assert_eq!(missing["fields"].as_array().unwrap().len(), 2);

    for _ in 0..4 {
        attempt("ada@example.com", "still wrong").await;
    }
    let (status, throttled) = attempt("ada@example.com", PASSWORD).await;
    assert_eq!(status, 429, "{throttled}");
    assert_eq!(throttled["code"], "AUTH-0002");
}

#[tokio::test]
async fn cross_site_posts_are_refused() {
    let server = Server::with_admin();
    let cookie = server.sign_in("ada@example.com", PASSWORD).await;
    let client = server.client();
    for (header, value) in [
        ("origin", "https://evil.example"),
        ("sec-fetch-site", "cross-site"),
    ] {
        let resp = client
            .post(server.url("/api/sign_out"))
            .header("cookie", &cookie)
            .header(header, value)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 403, "{header}: {value}");
        let body: Value = resp.json().await.unwrap();
        assert_eq!(body["code"], "REQ-0002");
    }
    let still = client
        .get(server.url("/"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(
        still.status(),
        200,
        "a refused sign-out must not end the session"
    );
}

#[tokio::test]
async fn first_run_setup_with_the_logged_token() {
    let server = Server::fresh();
    let token = server
        .setup_token
        .clone()
        .expect("no setup link in the log");
    let client = server.client();
    let sign_in = client
        .get(server.url("/sign-in"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(sign_in.contains("data-testid=\"setup-notice\""));

    let form = |token: &str, password: &str| {
        vec![
            ("token", token.to_string()),
            ("email", "grace@example.com".to_string()),
            ("display_name", "Grace Hopper".to_string()),
            ("password", password.to_string()),
            ("password_confirm", password.to_string()),
        ]
    };
    let wrong = server
        .post(&client, "/api/setup")
        .form(&form("wrong", PASSWORD))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 403);
    let short = server
        .post(&client, "/api/setup")
        .form(&form(&token, "short"))
        .send()
        .await
        .unwrap();
    assert_eq!(short.status(), 422);
    let body: Value = short.json().await.unwrap();
    assert_eq!(body["fields"][0]["field"], "password");

    let ok = server
        .post(&client, "/api/setup")
        .form(&form(&token, PASSWORD))
        .send()
        .await
        .unwrap();
    assert!(
        ok.status().is_success() || ok.status().is_redirection(),
        "{}",
        ok.status()
    );
    let cookie = common::session_cookie(&ok);
    let home = server.page_text(&cookie, "/").await;
    assert!(home.contains("Grace Hopper"));

    let again = server
        .post(&client, "/api/setup")
        .form(&form(&token, PASSWORD))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 409, "the setup token must work once only");
}

#[tokio::test]
async fn responses_carry_an_operation_id_and_security_headers() {
    let server = Server::fresh();
    let resp = server
        .client()
        .get(server.url("/sign-in"))
        .send()
        .await
        .unwrap();
    let op = resp.headers()["x-operation-id"].to_str().unwrap();
    assert_eq!(op.len(), 16);
    assert_eq!(resp.headers()["x-content-type-options"], "nosniff");
    assert_eq!(
        resp.headers()["content-security-policy"],
        "frame-ancestors 'none'"
    );
}

#[tokio::test]
async fn an_admin_created_from_the_command_line_closes_setup() {
    let server = Server::fresh();
    let token = server
        .setup_token
        .clone()
        .expect("no setup link in the log");
    let out = common::admin_create(&server.data_path(), "ada@example.com", PASSWORD);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let client = server.client();
    let sign_in = client
        .get(server.url("/sign-in"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        !sign_in.contains("data-testid=\"setup-notice\""),
        "setup still offered"
    );
    let setup = server
        .post(&client, "/api/setup")
        .form(&[
            ("token", token.as_str()),
            ("email", "mallory@example.com"),
            ("display_name", "Mallory"),
            ("password", PASSWORD),
            ("password_confirm", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(setup.status(), 409);
}

#[tokio::test]
async fn the_users_list_searches_sorts_and_pages_on_the_server() {
    let server = Server::with_admin();
    // Seed the directory through the store, as the SCIM endpoint and CSV import will.
    let store = server.store().await;
    for i in 0..120 {
        store
            .create_user(serde_json::json!({
                "userName": format!("user{i:03}@example.com"),
                "displayName": format!("Person {i:03}"),
                "emails": [{"value": format!("person{i:03}@mail.example"), "primary": true}],
                "active": i % 10 != 0,
            }))
            .await
            .unwrap();
    }
    let cookie = server.sign_in("ada@example.com", PASSWORD).await;
    let html = server.page_text(&cookie, "/users").await;
    assert!(html.contains("1–50 of 120"), "no range in the page");
    assert!(
        html.contains("Person 000") && html.contains("Person 049") && !html.contains("Person 050")
    );
    let page3 = server.page_text(&cookie, "/users?page=3").await;
    assert!(page3.contains("101–120 of 120") && page3.contains("Person 119"));
    let found = server.page_text(&cookie, "/users?q=PERSON007%40MAIL").await;
    assert!(
        found.contains("1–1 of 1") && found.contains("user007@example.com"),
        "search by email"
    );
    let desc = server
        .page_text(&cookie, "/users?sort=username&desc=1")
        .await;
    let first_row = desc.split("<tbody>").nth(1).unwrap();
    assert!(first_row.find("Person 119") < first_row.find("Person 118"));
    let none = server.page_text(&cookie, "/users?q=nobody").await;
    assert!(none.contains("data-testid=\"no-match\""));
}

#[tokio::test]
async fn an_admin_disables_deletes_and_restores_a_user() {
    use steward_store::{ChangeKind, UserId};
    let server = Server::with_admin();
    let store = server.store().await;
    let user = store
        .create_user(
            serde_json::json!({"userName": "grace@example.com", "displayName": "Grace Hopper"}),
        )
        .await
        .unwrap();
    let id = user.id.to_string();
    let cookie = server.sign_in("ada@example.com", PASSWORD).await;
    let client = server.client();
    let html = server.page_text(&cookie, &format!("/users/{id}")).await;
    assert!(
        html.contains("Grace Hopper") && html.contains("Disable sign-in"),
        "detail page"
    );

    let post = |path: &'static str, form: Vec<(&'static str, String)>| {
        server
            .post(&client, path)
            .header("cookie", &cookie)
            .form(&form)
            .send()
    };
    let ok = post(
        "/api/user_set_enabled",
        vec![
            ("id", id.clone()),
            ("enabled", "false".into()),
            ("version", "1".into()),
        ],
    )
    .await
    .unwrap();
    assert!(ok.status().is_success(), "{}", ok.status());
    let stored = store
        .user(UserId::parse(&id).unwrap())
        .await
        .unwrap()
        .unwrap();
    assert!(!stored.active);
    let stale = post(
        "/api/user_set_enabled",
        vec![
            ("id", id.clone()),
            ("enabled", "true".into()),
            ("version", "1".into()),
        ],
    )
    .await
    .unwrap();
    assert_eq!(
        stale.status(),
        409,
        "a change based on an old version must be refused"
    );

    assert!(post(
        "/api/user_recycle",
        vec![("id", id.clone()), ("restore", "false".into())]
    )
    .await
    .unwrap()
    .status()
    .is_success());
    assert!(server
        .page_text(&cookie, "/users")
        .await
        .contains("No users yet"));
    assert!(server
        .page_text(&cookie, "/users?bin=1")
        .await
        .contains("Grace Hopper"));
    assert!(post(
        "/api/user_recycle",
        vec![("id", id.clone()), ("restore", "true".into())]
    )
    .await
    .unwrap()
    .status()
    .is_success());
    assert!(server
        .page_text(&cookie, "/users")
        .await
        .contains("Grace Hopper"));

    let kinds: Vec<ChangeKind> = store
        .changes_after(0, 10)
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.kind)
        .collect();
    assert_eq!(
        kinds,
        [
            ChangeKind::Created,
            ChangeKind::Disabled,
            ChangeKind::SoftDeleted,
            ChangeKind::Restored
        ]
    );

    let missing = post(
        "/api/user_recycle",
        vec![
            ("id", UserId::new().to_string()),
            ("restore", "false".into()),
        ],
    )
    .await
    .unwrap();
    assert_eq!(missing.status(), 404);
    let page = client
        .get(server.url("/users/not-a-uuid"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert!(page.text().await.unwrap().contains("NAV-0404"));
}

#[tokio::test]
async fn creating_a_user_validates_each_field_and_refuses_duplicates() {
    let server = Server::with_admin();
    let cookie = server.sign_in("ada@example.com", PASSWORD).await;
    let client = server.client();
    let create = |user_name: &'static str, email: &'static str, external_id: &'static str| {
        server
            .post(&client, "/api/user_create")
            .header("cookie", &cookie)
            .form(&[
                ("form[user_name]", user_name),
                ("form[display_name]", ""),
                ("form[given_name]", "Grace"),
                ("form[family_name]", "Hopper"),
                ("form[email]", email),
                ("form[external_id]", external_id),
                ("form[title]", "Rear Admiral"),
                ("form[department]", "Navy"),
            ])
            .send()
    };
    let bad = create("grace hopper", "not-an-email", "").await.unwrap();
    assert_eq!(bad.status(), 422);
    let body: Value = bad.json().await.unwrap();
    assert_eq!(error_fields(&body), ["user_name", "email"]);

    let ok = create("grace@example.com", "grace@navy.example", "HR-1")
        .await
        .unwrap();
    assert!(
        ok.status().is_success() || ok.status().is_redirection(),
        "{}",
        ok.status()
    );
    let location = ok.headers()["location"].to_str().unwrap().to_string();
    assert!(location.starts_with("/users/"), "{location}");
    let page = server.page_text(&cookie, &location).await;
    assert!(
        page.contains("Grace Hopper") && page.contains("Rear Admiral") && page.contains("Navy")
    );

    let dup = create("GRACE@example.com", "", "HR-2").await.unwrap();
    assert_eq!(dup.status(), 409);
    let body: Value = dup.json().await.unwrap();
    assert_eq!(body["fields"][0]["field"], "user_name");
    let dup_ext = create("other@example.com", "", "HR-1").await.unwrap();
    let body: Value = dup_ext.json().await.unwrap();
    assert_eq!(body["fields"][0]["field"], "external_id");
}
