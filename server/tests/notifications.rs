//! Email notifications end to end: the real server, a real SMTP server (Python's aiosmtpd,
//! writing what it receives to a Maildir), and an application whose token the SCIM target
//! refuses. The quarantine is told once, by email to the application's notification address,
//! after the SMTP settings are saved (it waited for them); another failed attempt with the
//! same reason tells nothing more; the Settings page's test email arrives, and one that cannot
//! be delivered says why.

#![allow(clippy::unwrap_used)]

mod common;

use common::{Api, PASSWORD};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use steward_connect::testing::FakeScim;

/// The Python venv of the test targets (`.ci/setup` installs aiosmtpd into it).
fn venv_python() -> PathBuf {
    let venv = std::env::var_os("SCIM_TARGETS_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(std::env::var_os("HOME").unwrap()).join(".cache/scim-targets/venv")
        });
    venv.join("bin/python")
}

/// aiosmtpd on a free loopback port, delivering every message into a Maildir.
struct Smtp {
    child: Child,
    port: u16,
    maildir: tempfile::TempDir,
}

impl Smtp {
    fn start() -> Smtp {
        let python = venv_python();
        let check = Command::new(&python)
            .args(["-c", "import aiosmtpd"])
            .status();
        assert!(
            check.is_ok_and(|s| s.success()),
            "aiosmtpd is not installed in {}: run .ci/setup",
            python.display()
        );
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let maildir = tempfile::tempdir().unwrap();
        // Python's Maildir creates its folders only when the top one is missing.
        for sub in ["new", "cur", "tmp"] {
            std::fs::create_dir(maildir.path().join(sub)).unwrap();
        }
        let child = Command::new(&python)
            .args(["-m", "aiosmtpd", "-n", "-l"])
            .arg(format!("127.0.0.1:{port}"))
            .args(["-c", "aiosmtpd.handlers.Mailbox"])
            .arg(maildir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let smtp = Smtp {
            child,
            port,
            maildir,
        };
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "aiosmtpd did not listen on port {port}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        smtp
    }

    /// Every message received so far, decoded, oldest first.
    fn messages(&self) -> Vec<Message> {
        let mut files: Vec<(std::time::SystemTime, PathBuf)> = ["new", "cur"]
            .iter()
            .flat_map(|d| {
                std::fs::read_dir(self.maildir.path().join(d))
                    .into_iter()
                    .flatten()
            })
            .map(|e| e.unwrap().path())
            .map(|p| (std::fs::metadata(&p).unwrap().modified().unwrap(), p))
            .collect();
        files.sort();
        files.iter().map(|(_, p)| Message::read(p)).collect()
    }

    /// Waits until `n` messages arrived (at most `secs` seconds); the server's log tells why
    /// not.
    fn wait_for(&self, n: usize, secs: u64, server: &common::Server) -> Vec<Message> {
        let started = Instant::now();
        loop {
            let got = self.messages();
            if got.len() >= n {
                return got;
            }
            assert!(
                started.elapsed() < Duration::from_secs(secs),
                "{} of {n} emails arrived in {secs} s; the server's log:\n{}",
                got.len(),
                server.log_lines().join("\n")
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Smtp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A received email: its headers as written and its body decoded.
struct Message {
    headers: String,
    body: String,
}

impl Message {
    fn read(path: &Path) -> Message {
        let raw = std::fs::read_to_string(path).unwrap().replace("\r\n", "\n");
        let (headers, body) = raw.split_once("\n\n").unwrap();
        let lower = headers.to_ascii_lowercase();
        let body = if lower.contains("content-transfer-encoding: quoted-printable") {
            quoted_printable(body)
        } else if lower.contains("content-transfer-encoding: base64") {
            use base64::Engine;
            let compact: String = body.split_whitespace().collect();
            String::from_utf8(
                base64::engine::general_purpose::STANDARD
                    .decode(compact)
                    .unwrap(),
            )
            .unwrap()
        } else {
            body.to_string()
        };
        Message {
            headers: headers.to_string(),
            body,
        }
    }

    fn header(&self, name: &str) -> String {
        let prefix = format!("{}:", name.to_ascii_lowercase());
        self.headers
            .lines()
            .find(|l| l.to_ascii_lowercase().starts_with(&prefix))
            .map(|l| l[prefix.len()..].trim().to_string())
            .unwrap_or_default()
    }
}

fn quoted_printable(text: &str) -> String {
    let joined = text.replace("=\n", "");
    let bytes = joined.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'=' && i + 2 < bytes.len() {
            if let Ok(b) = u8::from_str_radix(&joined[i + 1..i + 3], 16) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8(out).unwrap()
}

/// A portal server function called as the page calls it: the status and the JSON answer.
async fn server_fn(api: &Api, cookie: &str, name: &str, form: &[(&str, String)]) -> (u16, Value) {
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    api.server.server_fn(cookie, name, &form).await
}

fn smtp_form(port: u16) -> Vec<(&'static str, String)> {
    vec![
        ("form[host]", "127.0.0.1".into()),
        ("form[port]", port.to_string()),
        ("form[security]", "none".into()),
        ("form[username]", String::new()),
        ("form[password]", String::new()),
        ("form[from]", "Steward <steward@example.com>".into()),
    ]
}

/// A custom SCIM application at `url` with `token`, in automatic mode, notifying
/// ops@example.com, provisioning everyone; its id.
async fn application(api: &Api, url: &str, token: &str) -> String {
    let (status, app) = api
        .call(
            "POST",
            "/applications",
            Some(json!({"gallery_id": "custom-scim", "name": "Wiki"})),
        )
        .await;
    assert_eq!(status, 201, "{app}");
    let id = app["id"].as_str().unwrap().to_string();
    let (status, body) = api
        .call(
            "PUT",
            &format!("/applications/{id}/credentials"),
            Some(json!({"version": app["version"], "values": {"tenant_url": url, "secret_token": token}})),
        )
        .await;
    assert_eq!(status, 204, "{body}");
    let (_, app) = api.call("GET", &format!("/applications/{id}"), None).await;
    let (status, body) = api
        .call(
            "PATCH",
            &format!("/applications/{id}"),
            Some(json!({"version": app["version"], "provisioning_mode": "automatic"})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (_, app) = api.call("GET", &format!("/applications/{id}"), None).await;
    let mut settings = app["settings"].clone();
    settings["scope"] = json!("all");
    settings["notify_on_failure"] = json!(true);
    settings["notification_email"] = json!("ops@example.com");
    let (status, body) = api
        .call(
            "PUT",
            &format!("/applications/{id}/settings"),
            Some(json!({"version": app["version"], "settings": settings})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    id
}

/// Polls `probe` until `done` says so (at most `secs` seconds); the last answer.
async fn eventually<F, Fut>(secs: u64, what: &str, probe: F, done: impl Fn(&Value) -> bool) -> Value
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Value>,
{
    let started = Instant::now();
    loop {
        let v = probe().await;
        if done(&v) {
            return v;
        }
        assert!(
            started.elapsed() < Duration::from_secs(secs),
            "{what} did not happen in {secs} s: {v:#}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn a_quarantine_is_emailed_once_and_the_test_email_arrives() {
    let smtp = Smtp::start();
    let api = Api::start();
    let cookie = api.server.sign_in("ada@example.com", PASSWORD).await;
    let target = FakeScim::start("right-token").await;
    let id = application(&api, &target.url, "wrong-token").await;
    let store = api.server.store().await;
    store
        .create_user(json!({"userName": "ada@example.com", "displayName": "Ada", "active": true}))
        .await
        .unwrap();
    drop(store);

    // Provisioning on: the wrong token quarantines the job. No SMTP server is set yet, so the
    // notification waits, saying why.
    let (status, body) = api
        .call("POST", &format!("/applications/{id}/job/start"), None)
        .await;
    assert_eq!(status, 200, "{body}");
    let job = || {
        let (api, path) = (&api, format!("/applications/{id}/job"));
        async move { api.call("GET", &path, None).await.1 }
    };
    let quarantined = eventually(30, "quarantine", job, |j| {
        j["quarantine"]["code"] == "ENG-AUTH"
    })
    .await;
    let settings = || async { server_fn(&api, &cookie, "email_settings", &[]).await.1 };
    let waiting = eventually(10, "the notification waiting for SMTP", settings, |s| {
        s["notifications"][0]["state"] == "waiting"
    })
    .await;
    let rows = waiting["notifications"].as_array().unwrap();
    assert_eq!(rows.len(), 1, "{waiting:#}");
    assert_eq!(
        rows[0]["last_error"], "SMTP is not configured in Settings",
        "{waiting:#}"
    );
    assert_eq!(waiting["smtp"]["configured"], false);
    assert!(smtp.messages().is_empty());

    // Saving the SMTP settings sends it at once.
    let (status, saved) = server_fn(&api, &cookie, "smtp_save", &smtp_form(smtp.port)).await;
    assert_eq!(status, 200, "{saved}");
    assert_eq!(saved["configured"], true);
    let mail = smtp.wait_for(1, 15, &api.server);
    assert_eq!(mail.len(), 1);
    let m = &mail[0];
    assert_eq!(m.header("To"), "ops@example.com");
    assert!(
        m.header("From").contains("steward@example.com"),
        "{}",
        m.headers
    );
    assert_eq!(m.header("Subject"), "Steward: Wiki is in quarantine");
    let reason = quarantined["quarantine"]["reason"].as_str().unwrap();
    for part in ["Wiki", reason, "ENG-AUTH", &format!("/applications/{id}")] {
        assert!(m.body.contains(part), "{part:?} missing from:\n{}", m.body);
    }
    let sent = eventually(10, "the notification marked sent", settings, |s| {
        s["notifications"][0]["state"] == "sent"
    })
    .await;
    assert_eq!(sent["notifications"][0]["application"], "Wiki");

    // Another attempt fails for the same reason: nothing new to tell.
    let (status, body) = api
        .call("POST", &format!("/applications/{id}/job/run"), None)
        .await;
    assert_eq!(status, 200, "{body}");
    eventually(30, "a second failed attempt", job, |j| {
        j["quarantine"]["attempts"].as_u64() >= Some(2)
    })
    .await;
    // The sender looks every 2 s; give it time to send anything it would.
    tokio::time::sleep(Duration::from_secs(4)).await;
    assert_eq!(smtp.messages().len(), 1, "one email per event");
    assert_eq!(
        settings().await["notifications"].as_array().unwrap().len(),
        1
    );

    // The test button: with the form's settings, to the address typed.
    let mut form = smtp_form(smtp.port);
    form.push(("to", "ada@example.com".into()));
    let (status, result) = server_fn(&api, &cookie, "smtp_test", &form).await;
    assert_eq!(status, 200, "{result}");
    assert_eq!(result["ok"], true, "{result}");
    let mail = smtp.wait_for(2, 10, &api.server);
    assert_eq!(mail[1].header("To"), "ada@example.com");
    assert_eq!(mail[1].header("Subject"), "Steward: test email");

    // A server that is not there: said in words, with what to check.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut form = smtp_form(closed);
    form.push(("to", "ada@example.com".into()));
    let (status, result) = server_fn(&api, &cookie, "smtp_test", &form).await;
    assert_eq!(status, 200, "{result}");
    assert_eq!(result["ok"], false, "{result}");
    let message = result["message"].as_str().unwrap();
    assert!(message.contains("Connection refused"), "{message}");
    assert!(message.contains("port"), "{message}");

    // The REST API tells the same, and its test email says what went wrong likewise.
    let (status, listed) = api.call("GET", "/settings/email", None).await;
    assert_eq!(status, 200, "{listed}");
    assert_eq!(listed["smtp"]["host"], "127.0.0.1");
    assert_eq!(listed["notifications"][0]["state"], "sent", "{listed:#}");
    let (status, result) = api
        .call(
            "POST",
            "/settings/email/test",
            Some(json!({"to": "ada@example.com", "smtp": {
                "host": "127.0.0.1", "port": closed, "security": "tls", "from": "steward@example.com"}})),
        )
        .await;
    assert_eq!(status, 200, "{result}");
    assert_eq!(result["ok"], false, "{result}");

    // The Settings page shows the card; the changes are audited.
    let page = api.server.page_text(&cookie, "/settings").await;
    assert!(page.contains("Email notifications (SMTP)"), "{page}");
    let actions = api.server.audit_actions(&cookie).await;
    for action in ["settings.smtp", "settings.smtp_test"] {
        assert!(actions.iter().any(|a| a == action), "{action}: {actions:?}");
    }
}
