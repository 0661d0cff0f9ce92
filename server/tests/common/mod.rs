//! Starts the real `steward` binary on port 0 with a temporary data folder, and talks to it
//! over HTTP.

#![allow(dead_code, clippy::unwrap_used)]

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

pub const PASSWORD: &str = "correct horse battery staple";

pub struct Server {
    pub child: Child,
    pub base: String,
    pub data: tempfile::TempDir,
    pub setup_token: Option<String>,
    pub log: mpsc::Receiver<String>,
    /// Log lines read while waiting for the server to listen.
    pub startup_log: Vec<String>,
}

pub fn steward() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_steward"));
    // Nothing from the developer's environment leaks into a test.
    for (k, _) in std::env::vars() {
        if k.starts_with("STEWARD_") || k.starts_with("LEPTOS_") {
            cmd.env_remove(k);
        }
    }
    cmd.env("RUST_BACKTRACE", "1");
    cmd
}

pub fn admin_create(data: &Path, email: &str, password: &str) -> std::process::Output {
    let mut child = steward()
        .args([
            "admin",
            "create",
            "--email",
            email,
            "--name",
            "Ada Lovelace",
            "--password-stdin",
        ])
        .env("STEWARD_DATA_DIR", data)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    writeln!(child.stdin.take().unwrap(), "{password}").unwrap();
    child.wait_with_output().unwrap()
}

/// `steward COMMAND ARGS...` on a data folder (the server may be running beside it).
pub fn steward_in(data: &Path, command: &str, args: &[&str]) -> std::process::Output {
    steward()
        .arg(command)
        .args(args)
        .env("STEWARD_DATA_DIR", data)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

/// `steward scim-token ARGS...` on a data folder (the server may be running beside it).
pub fn scim_token_cli(data: &Path, args: &[&str]) -> std::process::Output {
    steward_in(data, "scim-token", args)
}

/// Creates a SCIM bearer token with the real CLI and returns it (the one line it prints on
/// stdout).
pub fn scim_token_create(data: &Path, name: &str) -> String {
    let out = scim_token_cli(data, &["create", "--name", name]);
    assert!(
        out.status.success(),
        "scim-token create failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let token = String::from_utf8(out.stdout).unwrap().trim().to_string();
    assert!(
        !token.is_empty() && !token.contains(char::is_whitespace),
        "scim-token create printed {token:?}"
    );
    token
}

impl Server {
    /// A server whose data folder already holds an admin `ada@example.com`.
    pub fn with_admin() -> Server {
        Server::with_admin_env(&[])
    }

    /// As [`Server::with_admin`], with extra environment variables.
    pub fn with_admin_env(env: &[(&str, &str)]) -> Server {
        let data = tempfile::tempdir().unwrap();
        let out = admin_create(data.path(), "ada@example.com", PASSWORD);
        assert!(
            out.status.success(),
            "admin create failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        Server::start_in(data, env)
    }

    pub fn fresh() -> Server {
        Server::start_in(tempfile::tempdir().unwrap(), &[])
    }

    pub fn start_in(data: tempfile::TempDir, env: &[(&str, &str)]) -> Server {
        let mut cmd = steward();
        cmd.env("STEWARD_LISTEN", "127.0.0.1:0")
            .env("STEWARD_DATA_DIR", data.path())
            .env("STEWARD_LOG", "info")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().unwrap();
        let (tx, rx) = mpsc::channel();
        let stdout = child.stdout.take().unwrap();
        let stderr = child.stderr.take().unwrap();
        for stream in [
            Box::new(stdout) as Box<dyn std::io::Read + Send>,
            Box::new(stderr),
        ] {
            let tx = tx.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(stream).lines().map_while(Result::ok) {
                    if tx.send(line).is_err() {
                        break;
                    }
                }
            });
        }
        let mut setup_token = None;
        let mut startup_log = Vec::new();
        let base = loop {
            let line = rx
                .recv_timeout(Duration::from_secs(30))
                .unwrap_or_else(|_| {
                    panic!(
                        "server did not start: {:?}\n{}",
                        child.try_wait(),
                        startup_log.join("\n")
                    )
                });
            if let Some(i) = line.find("setup?token=") {
                let rest = &line[i + "setup?token=".len()..];
                setup_token = Some(rest.split_whitespace().next().unwrap().to_string());
            }
            startup_log.push(line.clone());
            if let Some(i) = line.find("listening on http://") {
                let addr = line[i + "listening on http://".len()..]
                    .split_whitespace()
                    .next()
                    .unwrap();
                break format!("http://{addr}");
            }
        };
        Server {
            child,
            base,
            data,
            setup_token,
            log: rx,
            startup_log,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn client(&self) -> reqwest::Client {
        reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap()
    }

    /// A POST as the portal's own page would send it.
    pub fn post(&self, client: &reqwest::Client, path: &str) -> reqwest::RequestBuilder {
        client
            .post(self.url(path))
            .header("origin", &self.base)
            .header("sec-fetch-site", "same-origin")
    }

    /// Signs in and returns the `Cookie` header value for the session.
    pub async fn sign_in(&self, email: &str, password: &str) -> String {
        let resp = self
            .post(&self.client(), "/api/sign_in")
            .form(&[("email", email), ("password", password)])
            .send()
            .await
            .unwrap();
        assert!(
            resp.status().is_success() || resp.status().is_redirection(),
            "sign in: {}",
            resp.status()
        );
        let cookie = resp
            .headers()
            .get("set-cookie")
            .unwrap()
            .to_str()
            .unwrap()
            .to_string();
        cookie.split(';').next().unwrap().to_string()
    }

    /// Posts a portal server function as the portal's page would, with a session cookie (or
    /// none): the status and the JSON answer (`Null` when there is none).
    pub async fn server_fn(
        &self,
        cookie: &str,
        name: &str,
        form: &[(&str, &str)],
    ) -> (u16, serde_json::Value) {
        let resp = self
            .post(&self.client(), &format!("/api/{name}"))
            .header("cookie", cookie)
            .form(form)
            .send()
            .await
            .unwrap();
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(serde_json::Value::Null),
        )
    }

    /// The HTML of a page fetched with a session cookie.
    pub async fn page_text(&self, cookie: &str, path: &str) -> String {
        let resp = self
            .client()
            .get(self.url(path))
            .header("cookie", cookie)
            .send()
            .await
            .unwrap();
        resp.text().await.unwrap()
    }

    /// The actions in the audit log, newest first, as the Audit logs page gets them.
    pub async fn audit_actions(&self, cookie: &str) -> Vec<String> {
        let events: serde_json::Value = self
            .post(&self.client(), "/api/audit_events")
            .header("cookie", cookie)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        events["events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["action"].as_str().unwrap().to_string())
            .collect()
    }

    /// The server's own database, opened beside it (SQLite in WAL mode allows this), to
    /// seed or inspect the directory.
    pub async fn store(&self) -> std::sync::Arc<dyn steward_store::Store> {
        let url = format!("sqlite://{}", self.data_path().join("steward.db").display());
        steward_store::open(&url).await.unwrap()
    }

    /// A new SCIM bearer token for this server's data folder, made by the real CLI.
    pub fn scim_token(&self, name: &str) -> String {
        scim_token_create(self.data.path(), name)
    }

    pub fn data_path(&self) -> PathBuf {
        self.data.path().to_path_buf()
    }

    /// Everything the server has logged so far.
    pub fn log_lines(&self) -> Vec<String> {
        self.startup_log
            .iter()
            .cloned()
            .chain(self.log.try_iter())
            .collect()
    }

    /// Stops the server with SIGTERM and starts it again on the same data folder.
    pub fn restart(mut self) -> Server {
        assert!(self.terminate().success());
        let data = std::mem::replace(&mut self.data, tempfile::tempdir().unwrap());
        Server::start_in(data, &[])
    }

    /// Kills the server with SIGKILL (no chance to clean up, as in a crash) and starts it
    /// again on the same data folder with `env`.
    pub fn crash_and_restart(mut self, env: &[(&str, &str)]) -> Server {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
        let data = std::mem::replace(&mut self.data, tempfile::tempdir().unwrap());
        Server::start_in(data, env)
    }

    /// Sends SIGTERM and waits for the exit status.
    pub fn terminate(&mut self) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        Command::new("kill").args(["-TERM", &pid]).status().unwrap();
        for _ in 0..100 {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("server did not stop within 10 s of SIGTERM");
    }
}

/// The `name=value` part of a response's `Set-Cookie`, ready for a `Cookie` header.
pub fn session_cookie(resp: &reqwest::Response) -> String {
    let set_cookie = resp.headers().get("set-cookie").unwrap().to_str().unwrap();
    set_cookie.split(';').next().unwrap().to_string()
}

/// The fields a server function's validation error names, in order.
pub fn error_fields(body: &serde_json::Value) -> Vec<&str> {
    body["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect()
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A running server with an admin API token (`steward api-token create`), calling `/api/v1`.
pub struct Api {
    pub server: Server,
    pub client: reqwest::Client,
    pub token: String,
}

impl Api {
    pub fn start() -> Api {
        Api::start_with(&[])
    }

    /// As [`Api::start`], with extra environment variables for the server.
    pub fn start_with(env: &[(&str, &str)]) -> Api {
        let server = Server::with_admin_env(env);
        let out = steward_in(
            &server.data_path(),
            "api-token",
            &["create", "--name", "ci", "--role", "global_administrator"],
        );
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let token = String::from_utf8(out.stdout).unwrap().trim().to_string();
        Api {
            client: server.client(),
            server,
            token,
        }
    }

    /// Adds a custom SCIM application named `name` from the gallery; its id.
    pub async fn create_custom_app(&self, name: &str) -> String {
        let (status, app) = self
            .call(
                "POST",
                "/applications",
                Some(serde_json::json!({"gallery_id": "custom-scim", "name": name})),
            )
            .await;
        assert_eq!(status, 201, "{app}");
        app["id"].as_str().unwrap().to_string()
    }

    /// `METHOD /api/v1{path}` with the token and an optional JSON body: the status and the
    /// JSON answer (`Null` when there is none).
    pub async fn call(
        &self,
        method: &str,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> (u16, serde_json::Value) {
        let url = self.server.url(&format!("/api/v1{path}"));
        let mut req = self
            .client
            .request(method.parse().unwrap(), url)
            .bearer_auth(&self.token);
        if let Some(body) = body {
            req = req.json(&body);
        }
        let resp = req.send().await.unwrap();
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(serde_json::Value::Null),
        )
    }
}

/// Reads a response's event stream until `want` appears in it (or `limit` passes): what was
/// read.
pub async fn read_stream_until(
    resp: &mut reqwest::Response,
    want: &str,
    limit: std::time::Duration,
) -> String {
    let mut text = String::new();
    let _ = tokio::time::timeout(limit, async {
        while let Some(chunk) = resp.chunk().await.unwrap() {
            text.push_str(&String::from_utf8_lossy(&chunk));
            if text.contains(want) {
                break;
            }
        }
    })
    .await;
    text
}
