//! The portal's live stream (`/api/live`, server-sent events) against the real server: a page
//! that reconnects after a network drop sends the last entry id it saw (`Last-Event-ID`, as
//! `EventSource` does) and receives exactly the entries written meanwhile that match its
//! filter, oldest first, none twice; without a session the stream is refused.

#![allow(clippy::unwrap_used)]

mod common;

use common::{read_stream_until, Api, PASSWORD};
use serde_json::Value;
use std::time::Duration;
use steward_store::{NewLogEntry, ObjectType};

/// The `log` events of a stream's text: (event id, the entry's source name).
fn log_events(text: &str) -> Vec<(i64, String)> {
    text.split("\n\n")
        .filter(|e| e.lines().any(|l| l == "event: log"))
        .map(|e| {
            let id = e
                .lines()
                .find_map(|l| l.strip_prefix("id: "))
                .unwrap()
                .parse()
                .unwrap();
            let data: Value =
                serde_json::from_str(e.lines().find_map(|l| l.strip_prefix("data: ")).unwrap())
                    .unwrap();
            (id, data["source_name"].as_str().unwrap().to_string())
        })
        .collect()
}

#[tokio::test]
async fn a_page_that_reconnects_receives_exactly_what_it_missed() {
    let api = Api::start();
    let server = &api.server;
    let app_id = api.create_custom_app("Wiki").await;
    let cookie = server.sign_in("ada@example.com", PASSWORD).await;
    let store = server.store().await;
    let entry = |who: &str, status: &str| NewLogEntry {
        application_id: app_id.clone(),
        object_type: Some(ObjectType::User),
        source_id: format!("id-{who}"),
        source_name: who.to_string(),
        action: "create".into(),
        status: status.into(),
        message: "Created.".into(),
        ..NewLogEntry::default()
    };
    let seen = store
        .record_provisioning(entry("ada", "success"))
        .await
        .unwrap();

    // A page watching failures of this application is connected and gets its status.
    let client = server.client();
    let url = server.url(&format!(
        "/api/live?view=app&logs=1&status=failure&app={app_id}&after={seen}"
    ));
    let mut live = client
        .get(&url)
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(live.status(), 200);
    let first = read_stream_until(&mut live, "event: status", Duration::from_secs(10)).await;
    assert!(first.contains("\"application_id\""), "{first}");
    let one = store
        .record_provisioning(entry("bob", "failure"))
        .await
        .unwrap();
    let text = read_stream_until(&mut live, "bob", Duration::from_secs(10)).await;
    assert_eq!(log_events(&text), vec![(one, "bob".to_string())], "{text}");

    // The network drops; meanwhile two failures and a success are written.
    drop(live);
    let two = store
        .record_provisioning(entry("cyd", "failure"))
        .await
        .unwrap();
    store
        .record_provisioning(entry("dee", "success"))
        .await
        .unwrap();
    let three = store
        .record_provisioning(entry("zoe", "failure"))
        .await
        .unwrap();

    // The browser reconnects with the last id it saw: exactly the two failures, in order.
    let mut again = client
        .get(&url)
        .header("cookie", &cookie)
        .header("last-event-id", one.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 200);
    let text = read_stream_until(&mut again, "zoe", Duration::from_secs(10)).await;
    assert_eq!(
        log_events(&text),
        vec![(two, "cyd".to_string()), (three, "zoe".to_string())],
        "{text}"
    );

    // Without a session there is no stream.
    let refused = client.get(&url).send().await.unwrap();
    assert_ne!(refused.status(), 200);
}
