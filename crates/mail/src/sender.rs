//! The sender: a task in the server process that delivers the notification outbox.
//!
//! It wakes when this process enqueues a notification (the store's
//! [`steward_store::NotificationStore::subscribe_notifications`]) and otherwise looks every
//! [`SenderOptions::poll`] (notifications other processes enqueued, and retries that came due).
//! Each pass claims due notifications with a lease, reads the SMTP settings once, and sends
//! each: a success is recorded as sent; a failure records the admin's explanation as
//! `last_error` and waits the back-off ([`SenderOptions::retry_delays`]); with no SMTP settings
//! the notification waits, uncounted, with "SMTP is not configured in Settings". Nothing is
//! dropped. A pass runs as its own task, so a panic in it is logged and the next pass runs.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::Utc;
use steward_store::{Notification, Store, StoreError};

use crate::{send, Email, SmtpConfig};

/// What the sender shows while no SMTP server is set.
pub const NOT_CONFIGURED: &str = "SMTP is not configured in Settings";

/// Where the sender gets the tenant's SMTP settings (the server, which holds the key that
/// unseals the password).
#[async_trait]
pub trait SmtpSource: Send + Sync {
    /// The settings in clear; `Ok(None)` when none are saved; `Err` with an admin's
    /// explanation when they cannot be used (a password that no longer decrypts).
    async fn smtp(&self) -> Result<Option<SmtpConfig>, String>;
}

#[derive(Clone, Debug)]
pub struct SenderOptions {
    /// Who this process is, for claims.
    pub owner: String,
    /// How often to look for due notifications without being woken.
    pub poll: Duration,
    /// How long a claim lasts: a sender that dies leaves its notifications due after this.
    pub lease: Duration,
    /// Waits (seconds) after the 1st, 2nd, … failed delivery; the last repeats.
    pub retry_delays: Vec<u64>,
    /// How long a notification waits while SMTP is not configured (saving the settings makes
    /// every waiting one due at once).
    pub unconfigured_wait: Duration,
    /// Notifications claimed per pass.
    pub batch: u32,
}

impl Default for SenderOptions {
    fn default() -> Self {
        SenderOptions {
            owner: format!("mail:{}", std::process::id()),
            poll: Duration::from_secs(2),
            lease: Duration::from_secs(300),
            retry_delays: vec![60, 300, 900, 3600, 4 * 3600, 12 * 3600],
            unconfigured_wait: Duration::from_secs(300),
            batch: 20,
        }
    }
}

pub struct Sender {
    store: Arc<dyn Store>,
    source: Arc<dyn SmtpSource>,
    pub options: SenderOptions,
    wake: tokio::sync::Notify,
    shutdown: tokio::sync::watch::Sender<bool>,
}

/// What one pass did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Pass {
    pub sent: usize,
    pub failed: usize,
    /// Waiting for SMTP settings.
    pub waiting: usize,
}

impl Sender {
    pub fn new(
        store: Arc<dyn Store>,
        source: Arc<dyn SmtpSource>,
        options: SenderOptions,
    ) -> Arc<Sender> {
        let (shutdown, _) = tokio::sync::watch::channel(false);
        Arc::new(Sender {
            store,
            source,
            options,
            wake: tokio::sync::Notify::new(),
            shutdown,
        })
    }

    /// Look at the outbox now (after the SMTP settings changed).
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// Stops the task after the pass it is in.
    pub fn shutdown(&self) {
        let _ = self.shutdown.send(true);
    }

    /// Starts the task.
    pub fn start(self: &Arc<Self>) -> tokio::task::JoinHandle<()> {
        let sender = self.clone();
        tokio::spawn(async move {
            let mut enqueued = sender.store.subscribe_notifications();
            let mut shutdown = sender.shutdown.subscribe();
            loop {
                if *shutdown.borrow() {
                    return;
                }
                let pass = {
                    let sender = sender.clone();
                    tokio::spawn(async move { sender.deliver_due().await })
                };
                match pass.await {
                    Ok(Ok(_)) => {}
                    Ok(Err(e)) => tracing::error!(error = %e, "delivering notifications failed"),
                    Err(e) => tracing::error!(error = %e, "the notification sender panicked"),
                }
                tokio::select! {
                    _ = enqueued.changed() => {}
                    _ = sender.wake.notified() => {}
                    _ = tokio::time::sleep(sender.options.poll) => {}
                    _ = shutdown.changed() => {}
                }
            }
        })
    }

    /// Delivers every notification due now, in batches.
    pub async fn deliver_due(&self) -> Result<Pass, StoreError> {
        let mut total = Pass::default();
        loop {
            let now = Utc::now();
            // A read first: the claim takes the write lock, which an idle poll should not.
            match self.store.next_notification_due().await? {
                Some(due) if due <= now => {}
                _ => return Ok(total),
            }
            let lease = chrono::Duration::from_std(self.options.lease)
                .unwrap_or_else(|_| chrono::Duration::minutes(5));
            let claimed = self
                .store
                .claim_notifications(&self.options.owner, now, now + lease, self.options.batch)
                .await?;
            if claimed.is_empty() {
                return Ok(total);
            }
            let config = self.source.smtp().await;
            for n in claimed {
                match &config {
                    Ok(Some(config)) => {
                        if self.deliver(config, &n).await? {
                            total.sent += 1;
                        } else {
                            total.failed += 1;
                        }
                    }
                    Ok(None) => {
                        self.wait(&n, NOT_CONFIGURED).await?;
                        total.waiting += 1;
                    }
                    Err(problem) => {
                        self.wait(&n, problem).await?;
                        total.waiting += 1;
                    }
                }
            }
        }
    }

    /// Sends one claimed notification; whether it went out.
    async fn deliver(&self, config: &SmtpConfig, n: &Notification) -> Result<bool, StoreError> {
        let email = Email {
            to: n.recipient.clone(),
            subject: n.subject.clone(),
            body: n.body.clone(),
        };
        let owner = &self.options.owner;
        match send(config, &email).await {
            Ok(()) => {
                tracing::info!(notification = %n.id, application = %n.application_id, kind = n.kind.as_str(), "notification sent");
                self.store
                    .mark_notification_sent(&n.id, owner, Utc::now())
                    .await?;
                Ok(true)
            }
            Err(e) => {
                let delays = &self.options.retry_delays;
                let delay = delays
                    .get(n.attempts as usize)
                    .or(delays.last())
                    .copied()
                    .unwrap_or(3600);
                let next = Utc::now() + chrono::Duration::seconds(delay as i64);
                let why = e.explain(config);
                tracing::warn!(notification = %n.id, application = %n.application_id, error = %e, next_attempt_at = %next, "notification not delivered");
                self.store
                    .mark_notification_failed(&n.id, owner, &why, next, true)
                    .await?;
                Ok(false)
            }
        }
    }

    async fn wait(&self, n: &Notification, why: &str) -> Result<(), StoreError> {
        let next = Utc::now()
            + chrono::Duration::from_std(self.options.unconfigured_wait)
                .unwrap_or_else(|_| chrono::Duration::minutes(5));
        self.store
            .mark_notification_failed(&n.id, &self.options.owner, why, next, false)
            .await?;
        Ok(())
    }
}
