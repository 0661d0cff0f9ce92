//! Test support (feature `testing`): a real SCIM target, python-scim2's scim2-server from the
//! shared targets (`../shared/targets/scim2-server/start.sh`), started on a free port and
//! stopped when dropped. Used by this crate's tests and the server's integration tests.
//! For speed and failures on demand: the in-memory [`FakeScim`].

use std::path::PathBuf;
use std::process::Command;

mod fake;
pub use fake::{FakeRequest, FakeScim};

/// The shared targets folder: `$SCIM_TARGETS_DIR`, beside the repository, or /work/shared.
///
/// # Panics
/// When no such folder exists: the tests that need a target cannot run without one.
pub fn targets() -> PathBuf {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let candidates = [
        std::env::var_os("SCIM_TARGETS_DIR").map(PathBuf::from),
        Some(manifest.join("../../../shared/targets")),
        Some(PathBuf::from("/work/shared/targets")),
    ];
    #[allow(clippy::expect_used)]
    candidates
        .into_iter()
        .flatten()
        .find(|d| d.join("scim2-server/start.sh").exists())
        .expect("the shared SCIM targets (scim2-server) were not found: set SCIM_TARGETS_DIR")
}

/// A running scim2-server accepting one bearer token.
pub struct Scim2Server {
    pid: String,
    /// The SCIM base URL, e.g. `http://127.0.0.1:PORT/v2`.
    pub url: String,
}

impl Drop for Scim2Server {
    fn drop(&mut self) {
        let _ = Command::new("kill").arg(&self.pid).status();
    }
}

impl Scim2Server {
    /// Starts one on a free port.
    ///
    /// # Panics
    /// When it cannot be started (the message has its stderr).
    #[allow(clippy::unwrap_used)]
    pub fn start(token: &str) -> Scim2Server {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let out = Command::new(targets().join("scim2-server/start.sh"))
            .args([port.to_string().as_str(), "--token", token])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "scim2-server did not start: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        Scim2Server {
            pid: String::from_utf8(out.stdout).unwrap().trim().to_string(),
            url: format!("http://127.0.0.1:{port}/v2"),
        }
    }
}
