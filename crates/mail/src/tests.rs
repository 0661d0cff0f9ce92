//! Sending against a scripted SMTP server on loopback: each failure an admin can meet is
//! sorted and explained, and the sender delivers, backs off and waits for settings.

#![allow(clippy::unwrap_used)]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use steward_store::sqlite::SqliteStore;
use steward_store::{ApplicationStore, NewNotification, NotificationKind, NotificationStore};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

use super::*;

/// How the scripted server answers.
#[derive(Clone, Copy, Default)]
struct Script {
    refuse_auth: bool,
    refuse_recipient: bool,
}

/// A scripted SMTP server: what it received (each message's DATA).
struct FakeSmtp {
    port: u16,
    received: Arc<Mutex<Vec<String>>>,
}

impl FakeSmtp {
    async fn start(script: Script) -> FakeSmtp {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let received = Arc::new(Mutex::new(Vec::new()));
        let store = received.clone();
        tokio::spawn(async move {
            loop {
                let (socket, _) = listener.accept().await.unwrap();
                let store = store.clone();
                tokio::spawn(async move {
                    let (read, mut write) = socket.into_split();
                    let mut lines = BufReader::new(read).lines();
                    write.write_all(b"220 fake ESMTP\r\n").await.unwrap();
                    while let Ok(Some(line)) = lines.next_line().await {
                        let verb = line.split(' ').next().unwrap_or("").to_ascii_uppercase();
                        let answer: &[u8] = match verb.as_str() {
                            "EHLO" => b"250-fake\r\n250-AUTH PLAIN LOGIN\r\n250 8BITMIME\r\n",
                            "AUTH" if script.refuse_auth => {
                                b"535 5.7.8 Authentication credentials invalid\r\n"
                            }
                            "AUTH" => b"235 2.7.0 Authentication successful\r\n",
                            "RCPT" if script.refuse_recipient => b"550 5.1.1 No such user here\r\n",
                            "DATA" => {
                                write.write_all(b"354 go ahead\r\n").await.unwrap();
                                let mut data = String::new();
                                while let Ok(Some(l)) = lines.next_line().await {
                                    if l == "." {
                                        break;
                                    }
                                    data.push_str(&l);
                                    data.push('\n');
                                }
                                store.lock().unwrap().push(data);
                                b"250 2.0.0 queued\r\n"
                            }
                            "QUIT" => {
                                let _ = write.write_all(b"221 bye\r\n").await;
                                return;
                            }
                            _ => b"250 ok\r\n",
                        };
                        if write.write_all(answer).await.is_err() {
                            return;
                        }
                    }
                });
            }
        });
        FakeSmtp { port, received }
    }

    fn received(&self) -> Vec<String> {
        self.received.lock().unwrap().clone()
    }
}

fn config(port: u16, security: Security) -> SmtpConfig {
    SmtpConfig {
        host: "127.0.0.1".into(),
        port,
        security,
        username: None,
        password: None,
        from: "Steward <steward@example.com>".into(),
        hello_name: Some("steward.example.com".into()),
        timeout: Duration::from_secs(5),
    }
}

fn email() -> Email {
    Email {
        to: "ops@example.com".into(),
        subject: "Steward: HR is in quarantine".into(),
        body: "The credentials were refused.".into(),
    }
}

/// A port nothing listens on.
async fn closed_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    l.local_addr().unwrap().port()
}

#[tokio::test]
async fn a_message_is_delivered_with_its_subject_and_body() {
    let smtp = FakeSmtp::start(Script::default()).await;
    let mut c = config(smtp.port, Security::None);
    c.username = Some("steward".into());
    c.password = Some("pw".into());
    send(&c, &email()).await.unwrap();
    let got = smtp.received();
    assert_eq!(got.len(), 1);
    for part in [
        "Subject: Steward: HR is in quarantine",
        "To: ops@example.com",
        "The credentials were refused.",
    ] {
        assert!(got[0].contains(part), "{part:?} in {}", got[0]);
    }
}

#[tokio::test]
async fn each_failure_is_sorted_and_explained() {
    let plain = FakeSmtp::start(Script::default()).await;
    let refusing = FakeSmtp::start(Script {
        refuse_auth: true,
        ..Script::default()
    })
    .await;
    let no_such_user = FakeSmtp::start(Script {
        refuse_recipient: true,
        ..Script::default()
    })
    .await;
    let closed = closed_port().await;
    let signed_in = |port| SmtpConfig {
        username: Some("steward".into()),
        password: Some("wrong".into()),
        ..config(port, Security::None)
    };
    let cases: Vec<(SmtpConfig, Email, MailErrorKind, &str)> = vec![
        (
            config(closed, Security::None),
            email(),
            MailErrorKind::ConnectionRefused,
            "Connection refused by 127.0.0.1",
        ),
        (
            config(plain.port, Security::Tls),
            email(),
            MailErrorKind::Tls,
            "choose STARTTLS",
        ),
        (
            config(plain.port, Security::Starttls),
            email(),
            MailErrorKind::Tls,
            "must offer it",
        ),
        (
            signed_in(refusing.port),
            email(),
            MailErrorKind::Auth,
            "Check the username and password",
        ),
        (
            config(no_such_user.port, Security::None),
            email(),
            MailErrorKind::Rejected,
            "550 5.1.1 No such user here",
        ),
        (
            config(plain.port, Security::None),
            Email {
                to: "not an address".into(),
                ..email()
            },
            MailErrorKind::Address,
            "not valid",
        ),
        (
            SmtpConfig {
                host: "no-such-host.invalid".into(),
                ..config(25, Security::None)
            },
            email(),
            MailErrorKind::Dns,
            "was not found",
        ),
    ];
    for (c, e, kind, words) in cases {
        let err = send(&c, &e).await.unwrap_err();
        let explained = err.explain(&c);
        assert_eq!(err.kind, kind, "{c:?}: {err:?}");
        assert!(explained.contains(words), "{words:?} in {explained}");
    }
    assert!(plain.received().is_empty());
}

#[test]
fn the_password_is_not_in_debug_output() {
    let mut c = config(25, Security::Starttls);
    c.password = Some("hunter2".into());
    assert!(!format!("{c:?}").contains("hunter2"));
}

struct Source(Mutex<Option<SmtpConfig>>);

#[async_trait::async_trait]
impl SmtpSource for Source {
    async fn smtp(&self) -> Result<Option<SmtpConfig>, String> {
        Ok(self.0.lock().unwrap().clone())
    }
}

#[tokio::test]
async fn the_sender_waits_for_settings_backs_off_and_delivers_once() {
    let store = Arc::new(SqliteStore::in_memory().await.unwrap());
    let app = store.create_application("custom-scim", "HR").await.unwrap();
    let n = store
        .enqueue_notification(NewNotification {
            application_id: app.id.clone(),
            kind: NotificationKind::Quarantined,
            recipient: "ops@example.com".into(),
            subject: "Steward: HR is in quarantine".into(),
            body: "Reason: 401".into(),
        })
        .await
        .unwrap();
    let source = Arc::new(Source(Mutex::new(None)));
    let sender = Sender::new(store.clone(), source.clone(), SenderOptions::default());

    // No settings: it waits, uncounted, and says why.
    let pass = sender.deliver_due().await.unwrap();
    assert_eq!(pass.waiting, 1);
    let read = &store.recent_notifications(1).await.unwrap()[0];
    assert_eq!(read.last_error.as_deref(), Some(NOT_CONFIGURED));
    assert_eq!((read.attempts, read.sent_at), (0, None));
    assert!(read.next_attempt_at > chrono::Utc::now());

    // Settings pointing at nothing: a counted attempt, explained, with a back-off.
    *source.0.lock().unwrap() = Some(config(closed_port().await, Security::None));
    store
        .retry_notifications_now(chrono::Utc::now())
        .await
        .unwrap();
    let pass = sender.deliver_due().await.unwrap();
    assert_eq!(pass.failed, 1);
    let read = &store.recent_notifications(1).await.unwrap()[0];
    assert_eq!(read.attempts, 1);
    assert!(read
        .last_error
        .as_deref()
        .unwrap()
        .contains("Connection refused"));
    let wait = read.next_attempt_at - chrono::Utc::now();
    assert!(wait > chrono::Duration::seconds(50), "{wait}");
    assert_eq!(
        sender.deliver_due().await.unwrap(),
        Pass::default(),
        "not due yet"
    );

    // A working server: delivered once.
    let smtp = FakeSmtp::start(Script::default()).await;
    *source.0.lock().unwrap() = Some(config(smtp.port, Security::None));
    store
        .retry_notifications_now(chrono::Utc::now())
        .await
        .unwrap();
    assert_eq!(sender.deliver_due().await.unwrap().sent, 1);
    assert_eq!(sender.deliver_due().await.unwrap(), Pass::default());
    assert_eq!(smtp.received().len(), 1);
    let read = &store.recent_notifications(1).await.unwrap()[0];
    assert_eq!(read.id, n.id);
    assert!(read.sent_at.is_some());
    assert_eq!((read.attempts, read.last_error.as_deref()), (2, None));
}

#[tokio::test]
async fn the_running_sender_wakes_when_a_notification_is_enqueued() {
    let store = Arc::new(SqliteStore::in_memory().await.unwrap());
    let app = store.create_application("custom-scim", "HR").await.unwrap();
    let smtp = FakeSmtp::start(Script::default()).await;
    let source = Arc::new(Source(Mutex::new(Some(config(smtp.port, Security::None)))));
    let sender = Sender::new(
        store.clone(),
        source,
        SenderOptions {
            poll: Duration::from_secs(3600),
            ..SenderOptions::default()
        },
    );
    let task = sender.start();
    tokio::time::sleep(Duration::from_millis(50)).await;
    store
        .enqueue_notification(NewNotification {
            application_id: app.id.clone(),
            kind: NotificationKind::DeletesHeld,
            recipient: "ops@example.com".into(),
            subject: "Steward: 3 deletes held for HR".into(),
            body: "Held.".into(),
        })
        .await
        .unwrap();
    let started = std::time::Instant::now();
    while smtp.received().is_empty() {
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "not sent without a poll"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    sender.shutdown();
    tokio::time::timeout(Duration::from_secs(5), task)
        .await
        .unwrap()
        .unwrap();
}
