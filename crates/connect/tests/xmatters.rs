//! Test Connection for xMatters against a fake xMatters REST API: an axum router on a free
//! local port that serves `GET /api/xm/1/people` behind Basic auth, in the shape of xMatters'
//! paginated lists.

#![allow(clippy::unwrap_used)]

use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use base64::Engine as _;
use serde_json::json;
use steward_connect::{Step, XmattersTarget};

const ADMIN: &str = "steward-admin";
const PASSWORD: &str = "right-password";
/// Signs in, but may not list people.
const NO_ROLE: &str = "no-role";

/// The user name and password of a Basic `Authorization` header.
fn credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let encoded = value.strip_prefix("Basic ")?;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .ok()?;
    let decoded = String::from_utf8(decoded).ok()?;
    let (user, password) = decoded.split_once(':')?;
    Some((user.to_owned(), password.to_owned()))
}

async fn people(headers: HeaderMap) -> Response {
    match credentials(&headers) {
        Some((user, password)) if user == ADMIN && password == PASSWORD => Json(json!({
            "count": 1,
            "total": 1,
            "data": [{"id": "f9d2b2c0", "targetName": ADMIN, "firstName": "Steward", "lastName": "Admin", "status": "ACTIVE"}],
            "links": {"self": "/api/xm/1/people?limit=1&offset=0"}
        }))
        .into_response(),
        Some((user, password)) if user == NO_ROLE && password == PASSWORD => (
            StatusCode::FORBIDDEN,
            Json(json!({"code": 403, "reason": "Forbidden", "message": "Not authorized"})),
        )
            .into_response(),
        _ => (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, "Basic realm=\"xMatters\"")],
            Json(json!({"code": 401, "reason": "Unauthorized", "message": "Bad credentials"})),
        )
            .into_response(),
    }
}

/// The fake instance's base URL; it serves until the test's runtime ends.
async fn fake_xmatters() -> String {
    let app = Router::new()
        .route("/api/xm/1/people", get(people))
        // A single sign-on page where an instance's API should be.
        .route(
            "/sso/api/xm/1/people",
            get(|| async {
                (
                    [(header::CONTENT_TYPE, "text/html")],
                    "<html>Sign in</html>",
                )
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}")
}

#[tokio::test]
async fn succeeds_with_the_right_password() {
    let base = fake_xmatters().await;
    let ok = XmattersTarget::from_domain(&base, ADMIN, PASSWORD)
        .test_connection()
        .await
        .unwrap();
    assert_eq!(ok.status, 200);
    assert_eq!(ok.request, format!("GET {base}/api/xm/1/people?limit=1"));
    assert!(!ok.request.contains(PASSWORD));
}

#[tokio::test]
async fn a_wrong_password_or_a_missing_role_fails_at_authentication() {
    let base = fake_xmatters().await;
    let wrong = XmattersTarget::from_domain(&base, ADMIN, "wrong-password")
        .test_connection()
        .await
        .unwrap_err();
    assert_eq!(
        (wrong.step, wrong.status),
        (Step::Authentication, Some(401)),
        "{wrong:?}"
    );
    assert!(wrong.hint.contains("Person Supervisor"), "{}", wrong.hint);
    assert!(wrong.excerpt.unwrap().contains("Bad credentials"));

    let no_role = XmattersTarget::from_domain(&base, NO_ROLE, PASSWORD)
        .test_connection()
        .await
        .unwrap_err();
    assert_eq!(
        (no_role.step, no_role.status),
        (Step::Authentication, Some(403)),
        "{no_role:?}"
    );
    assert!(no_role.hint.contains("accepted"), "{}", no_role.hint);
    assert!(!no_role.hint.contains("Company Admin"), "{}", no_role.hint);
}

#[tokio::test]
async fn a_wrong_domain_is_a_404_or_not_xmatters() {
    let base = fake_xmatters().await;
    let wrong = XmattersTarget::from_domain(&format!("{base}/elsewhere"), ADMIN, PASSWORD)
        .test_connection()
        .await
        .unwrap_err();
    assert_eq!(
        (wrong.step, wrong.status),
        (Step::HttpStatus, Some(404)),
        "{wrong:?}"
    );
    assert!(
        wrong.hint.contains("Domain is probably wrong"),
        "{}",
        wrong.hint
    );

    let sso = XmattersTarget::from_domain(&format!("{base}/sso"), ADMIN, PASSWORD)
        .test_connection()
        .await
        .unwrap_err();
    assert_eq!(
        (sso.step, sso.status),
        (Step::NotXmatters, Some(200)),
        "{sso:?}"
    );
}

#[tokio::test]
async fn an_unreachable_port_fails_at_tcp_connect() {
    // A port that was free a moment ago and that nothing listens on now.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let f = XmattersTarget::from_domain(&format!("http://127.0.0.1:{port}"), ADMIN, PASSWORD)
        .test_connection()
        .await
        .unwrap_err();
    assert_eq!(f.step, Step::TcpConnect, "{f:?}");
    assert!(f.hint.contains("Domain"), "{}", f.hint);
}
