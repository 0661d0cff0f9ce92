//! Test Connection and schema reading against a real SCIM server: python-scim2's scim2-server from the shared
//! targets (`../shared/targets/scim2-server/start.sh`), started on a free port.

#![allow(clippy::unwrap_used)]

use std::path::PathBuf;
use std::process::Command;
use steward_connect::{ScimTarget, Step, TargetObject};

/// The shared targets folder: `$SCIM_TARGETS_DIR`, beside the repository, or /work/shared.
fn targets() -> PathBuf {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let candidates = [
        std::env::var_os("SCIM_TARGETS_DIR").map(PathBuf::from),
        Some(manifest.join("../../../shared/targets")),
        Some(PathBuf::from("/work/shared/targets")),
    ];
    candidates
        .into_iter()
        .flatten()
        .find(|d| d.join("scim2-server/start.sh").exists())
        .expect("the shared SCIM targets (scim2-server) were not found: set SCIM_TARGETS_DIR")
}

struct Target {
    pid: String,
    url: String,
}

impl Drop for Target {
    fn drop(&mut self) {
        let _ = Command::new("kill").arg(&self.pid).status();
    }
}

fn start(token: &str) -> Target {
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
    Target {
        pid: String::from_utf8(out.stdout).unwrap().trim().to_string(),
        url: format!("http://127.0.0.1:{port}/v2"),
    }
}

#[tokio::test]
async fn test_connection_against_scim2_server() {
    let target = start("right-token");
    let ok = ScimTarget::new(&target.url, "right-token")
        .test_connection("userName", "steward-probe-1")
        .await
        .unwrap();
    assert_eq!(ok.status, 200);
    assert!(
        ok.request
            .contains("/v2/Users?filter=userName eq \"steward-probe-1\""),
        "{}",
        ok.request
    );

    let wrong = ScimTarget::new(&target.url, "wrong-token")
        .test_connection("userName", "steward-probe-2")
        .await
        .unwrap_err();
    assert_eq!(
        (wrong.step, wrong.status),
        (Step::Authentication, Some(401)),
        "{wrong:?}"
    );
    assert!(wrong.hint.contains("Secret Token"));

    let wrong_path = ScimTarget::new(target.url.replace("/v2", "/nope"), "right-token")
        .test_connection("userName", "steward-probe-3")
        .await
        .unwrap_err();
    assert_eq!(wrong_path.step, Step::HttpStatus, "{wrong_path:?}");
    assert_eq!(wrong_path.status, Some(404));
}

#[tokio::test]
async fn read_schemas_from_scim2_server() {
    let target = start("right-token");
    let schema = ScimTarget::new(&target.url, "right-token")
        .read_schemas()
        .await
        .unwrap();
    let users = |path: &str| schema.attribute(TargetObject::Users, path);
    for path in [
        "userName",
        "emails[type eq \"work\"].value",
        "name.givenName",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager",
        "urn:ietf:params:scim:schemas:extension:xledger:2.0:User:accessFromDate",
    ] {
        assert!(users(path).is_some(), "{path} missing from {schema:#?}");
    }
    assert!(users("userName").unwrap().required);
    for path in ["id", "meta", "meta.created", "groups"] {
        assert!(users(path).is_none(), "{path} should be left out");
    }
    // The klaxoon extension is declared for groups in /ResourceTypes.
    let groups = |path: &str| schema.attribute(TargetObject::Groups, path);
    assert!(groups("displayName").is_some());
    assert_eq!(groups("members").unwrap().attribute_type, "reference");
    assert!(groups("urn:ietf:params:scim:schemas:extension:klaxoon:2.0:Group:license").is_some());
    assert!(users("urn:ietf:params:scim:schemas:extension:klaxoon:2.0:Group:license").is_none());

    let wrong = ScimTarget::new(&target.url, "wrong-token")
        .read_schemas()
        .await
        .unwrap_err();
    assert_eq!(
        (wrong.step, wrong.status),
        (Step::Authentication, Some(401)),
        "{wrong:?}"
    );
    assert!(wrong.hint.contains("Secret Token"));
}
