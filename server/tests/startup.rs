//! Start-up and shutdown of the real binary: bad configuration, an unusable database, a
//! port in use all end with one clear message and a non-zero exit, never a panic; SIGTERM
//! stops the server cleanly.

#![allow(clippy::unwrap_used)]

mod common;
use common::{admin_create, steward, Server, PASSWORD};

fn run_serve(env: &[(&str, &str)]) -> (i32, String) {
    let data = tempfile::tempdir().unwrap();
    let mut cmd = steward();
    cmd.env("STEWARD_DATA_DIR", data.path())
        .env("STEWARD_LISTEN", "127.0.0.1:0");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().unwrap_or(-1), text)
}

fn assert_no_panic(text: &str) {
    assert!(
        !text.contains("panicked") && !text.contains("RUST_BACKTRACE"),
        "panic output:\n{text}"
    );
}

#[test]
fn bad_configuration_lists_every_problem_and_exits_2() {
    let (code, text) = run_serve(&[
        ("STEWARD_LISTEN", "localhost"),
        ("STEWARD_PUBLIC_URL", "steward.example.com"),
    ]);
    assert_eq!(code, 2, "{text}");
    assert!(
        text.contains("STEWARD_LISTEN: \"localhost\" is not an address"),
        "{text}"
    );
    assert!(text.contains("STEWARD_PUBLIC_URL"), "{text}");
    assert_no_panic(&text);
}

#[test]
fn a_missing_config_file_is_named() {
    let out = steward()
        .args(["--config", "/nonexistent/steward.toml", "config", "check"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("cannot read the config file /nonexistent/steward.toml"),
        "{err}"
    );
}

#[test]
fn config_check_prints_the_effective_configuration_redacted() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("steward.toml");
    std::fs::write(
        &file,
        "listen = \"127.0.0.1:4000\"\ndatabase_url = \"postgres://steward:hunter2@db/steward\"\n",
    )
    .unwrap();
    let out = steward()
        .args(["--config", file.to_str().unwrap(), "config", "check"])
        .env("STEWARD_LOG", "debug")
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("listen = \"127.0.0.1:4000\""), "{text}");
    assert!(text.contains("log = \"debug\""), "{text}");
    assert!(
        text.contains("postgres://steward:***@db/steward") && !text.contains("hunter2"),
        "{text}"
    );
}

#[test]
fn a_corrupt_database_file_is_reported() {
    let data = tempfile::tempdir().unwrap();
    std::fs::write(data.path().join("steward.db"), vec![0x42u8; 4096]).unwrap();
    let out = steward()
        .env("STEWARD_DATA_DIR", data.path())
        .env("STEWARD_LISTEN", "127.0.0.1:0")
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("not a SQLite database"), "{text}");
    assert_no_panic(&text);
}

#[test]
fn an_unreachable_database_is_reported() {
    let (code, text) = run_serve(&[(
        "STEWARD_DATABASE_URL",
        "sqlite:///nonexistent-dir/x/steward.db",
    )]);
    assert_eq!(code, 1, "{text}");
    assert!(
        text.contains("cannot open the database /nonexistent-dir/x/steward.db"),
        "{text}"
    );
    assert_no_panic(&text);
}

#[test]
fn a_port_in_use_is_reported() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let (code, text) = run_serve(&[("STEWARD_LISTEN", &addr)]);
    assert_eq!(code, 1, "{text}");
    assert!(
        text.contains(&format!("cannot listen on {addr}"))
            && text.contains("another process is using this port"),
        "{text}"
    );
    assert_no_panic(&text);
}

#[test]
fn a_configured_secret_key_file_must_exist() {
    let (code, text) = run_serve(&[("STEWARD_SECRET_KEY_FILE", "/nonexistent/secret.key")]);
    assert_eq!(code, 1, "{text}");
    assert!(
        text.contains("/nonexistent/secret.key") && text.contains("does not exist"),
        "{text}"
    );
}

#[test]
fn first_start_generates_a_secret_key_and_keeps_it() {
    let server = Server::fresh();
    let key_path = server.data_path().join("secret.key");
    let key = std::fs::read_to_string(&key_path).unwrap();
    let lines = server.log_lines().join("\n");
    assert!(lines.contains("generated a new secret key"), "{lines}");
    let again = server.restart();
    assert_eq!(
        std::fs::read_to_string(&key_path).unwrap(),
        key,
        "the key changed"
    );
    let lines = again.log_lines().join("\n");
    assert!(!lines.contains("generated a new secret key"), "{lines}");
}

#[test]
fn sigterm_shuts_down_gracefully() {
    let mut server = Server::fresh();
    let status = server.terminate();
    assert!(status.success(), "exit status {status}");
    std::thread::sleep(std::time::Duration::from_millis(200));
    let log = server.log_lines().join("\n");
    assert!(
        log.contains("SIGTERM received") && log.contains("Steward stopped"),
        "{log}"
    );
}

#[test]
fn admin_create_refuses_duplicates_and_bad_input() {
    let data = tempfile::tempdir().unwrap();
    let first = admin_create(data.path(), "ada@example.com", PASSWORD);
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    assert!(
        String::from_utf8_lossy(&first.stdout).contains("Created administrator ada@example.com")
    );
    let dup = admin_create(data.path(), "Ada@Example.com", PASSWORD);
    assert_eq!(dup.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&dup.stderr).contains("already exists"));
    let short = admin_create(data.path(), "b@example.com", "short");
    assert!(String::from_utf8_lossy(&short.stderr).contains("at least 12 characters"));
    let bad_email = admin_create(data.path(), "not-an-email", PASSWORD);
    assert!(String::from_utf8_lossy(&bad_email.stderr).contains("name@example.com"));
}

#[test]
fn reset_password_replaces_the_password() {
    let data = tempfile::tempdir().unwrap();
    assert!(admin_create(data.path(), "ada@example.com", PASSWORD)
        .status
        .success());
    let reset = |email: &str, password: &str| {
        use std::io::Write;
        let mut child = steward()
            .args([
                "admin",
                "reset-password",
                "--email",
                email,
                "--password-stdin",
            ])
            .env("STEWARD_DATA_DIR", data.path())
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        writeln!(child.stdin.take().unwrap(), "{password}").unwrap();
        child.wait_with_output().unwrap()
    };
    let out = reset("ada@example.com", "a brand new passphrase");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let missing = reset("nobody@example.com", "a brand new passphrase");
    assert!(String::from_utf8_lossy(&missing.stderr)
        .contains("no administrator has the email nobody@example.com"));

    let server = Server::start_in(data, &[]);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let client = server.client();
        let old = server
            .post(&client, "/api/sign_in")
            .form(&[("email", "ada@example.com"), ("password", PASSWORD)])
            .send()
            .await
            .unwrap();
        assert_eq!(old.status(), 401);
        server
            .sign_in("ada@example.com", "a brand new passphrase")
            .await;
    });
}
