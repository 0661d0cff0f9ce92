//! Provisioning log retention as Settings sets it, against the real server: the configured
//! default is in force until an admin saves another period; a period that is not a number of
//! days from 1 to 3650 is refused with a message on the field; a shorter period deletes the
//! entries past it at once, keeps the rest, is audited and survives a restart; an empty value
//! goes back to the configured one.

#![allow(clippy::unwrap_used)]

mod common;

use chrono::{Duration, Utc};
use common::{error_fields, Api, PASSWORD};
use serde_json::json;
use steward_store::{LogQuery, NewLogEntry, ObjectType};

#[tokio::test]
async fn an_admin_sets_the_retention_and_older_entries_go_at_once() {
    let api = Api::start_with(&[("STEWARD_LOG_RETENTION_DAYS", "30")]);
    let app_id = api.create_custom_app("Wiki").await;
    let server = &api.server;
    let cookie = server.sign_in("ada@example.com", PASSWORD).await;

    // Entries 20, 10 and 1 days old: all within the configured 30 days.
    let store = server.store().await;
    for (who, days) in [("old", 20), ("middle", 10), ("new", 1)] {
        let id = store
            .record_provisioning(NewLogEntry {
                application_id: app_id.clone(),
                object_type: Some(ObjectType::User),
                source_id: format!("id-{who}"),
                source_name: who.to_string(),
                action: "create".into(),
                status: "success".into(),
                message: "Created.".into(),
                ..NewLogEntry::default()
            })
            .await
            .unwrap();
        backdate(server, id, days).await;
    }
    let names = || async {
        let page = store
            .query_provisioning_log(&LogQuery {
                limit: 100,
                ..LogQuery::default()
            })
            .await
            .unwrap();
        let mut names: Vec<String> = page.into_iter().map(|e| e.entry.source_name).collect();
        names.sort();
        names
    };
    assert_eq!(names().await, ["middle", "new", "old"]);

    let (status, r) = server.server_fn(&cookie, "log_retention", &[]).await;
    assert_eq!(status, 200, "{r}");
    assert_eq!(
        r,
        json!({"days": 30, "configured_days": 30, "saved": false})
    );

    // Not a period: refused, on the field, and nothing changes.
    for bad in ["0", "3651", "two weeks", "-5"] {
        let (status, e) = server
            .server_fn(&cookie, "log_retention_save", &[("days", bad)])
            .await;
        assert_eq!(status, 422, "{bad}: {e}");
        assert_eq!(error_fields(&e), ["days"], "{bad}: {e}");
        assert!(
            e.to_string().contains("from 1 to 3650"),
            "the message says what is accepted: {e}"
        );
    }
    assert_eq!(
        server.server_fn(&cookie, "log_retention", &[]).await.1["days"],
        30
    );

    // 15 days: the 20-day-old entry goes at once (not at the next hourly run), the others stay.
    let (status, r) = server
        .server_fn(&cookie, "log_retention_save", &[("days", " 15 ")])
        .await;
    assert_eq!(status, 200, "{r}");
    assert_eq!(r, json!({"days": 15, "configured_days": 30, "saved": true}));
    let mut left = Vec::new();
    for _ in 0..50 {
        left = names().await;
        if left.len() == 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(left, ["middle", "new"]);
    assert_eq!(
        server.audit_actions(&cookie).await[0],
        "settings.log_retention"
    );

    // Without a session: refused.
    let (status, _) = server
        .server_fn("", "log_retention_save", &[("days", "1")])
        .await;
    assert_eq!(status, 401);

    // The saved period outlives a restart; empty goes back to the configuration's (the
    // restarted server has no STEWARD_LOG_RETENTION_DAYS: the default, also 30).
    let server = api.server.restart();
    let cookie = server.sign_in("ada@example.com", PASSWORD).await;
    assert_eq!(
        server.server_fn(&cookie, "log_retention", &[]).await.1,
        json!({"days": 15, "configured_days": 30, "saved": true})
    );
    let (status, r) = server
        .server_fn(&cookie, "log_retention_save", &[("days", "")])
        .await;
    assert_eq!(status, 200, "{r}");
    assert_eq!(
        r,
        json!({"days": 30, "configured_days": 30, "saved": false})
    );
}

/// Moves a log entry `days` into the past, as if it had been written then.
async fn backdate(server: &common::Server, id: i64, days: i64) {
    let url = format!(
        "sqlite://{}",
        server.data_path().join("steward.db").display()
    );
    let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
    sqlx::query("UPDATE provisioning_log SET at = ? WHERE id = ?")
        .bind(Utc::now() - Duration::days(days))
        .bind(id)
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
}
