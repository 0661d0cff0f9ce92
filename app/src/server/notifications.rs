//! Email notifications, the server's half: the tenant's SMTP settings (stored as the tenant
//! setting `smtp`, the password sealed with the installation's key), the test email, the list
//! of recent notifications, and [`SmtpSettingsSource`], which hands the sender
//! (`steward_mail::Sender`) the settings with the password unsealed.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use steward_mail::{Email, Security, SmtpConfig, NOT_CONFIGURED};
use steward_store::{Notification, Role, Store};

use super::applications::invalid;
use super::secrets::Sealer;
use super::{internal, Actor, AuditEntry, PortalState};
use crate::api::{EmailSettings, NotificationRow, SmtpForm, SmtpView, TestEmailResult};
use crate::error::{field_errors, AppError};

const ROLE: Role = Role::GlobalAdministrator;

/// The tenant setting that holds the SMTP server.
pub const SMTP_KEY: &str = "smtp";

/// How many notifications the Settings page lists.
const RECENT: u32 = 10;

/// How long one SMTP command may take.
const SMTP_TIMEOUT: Duration = Duration::from_secs(20);

/// The SMTP settings as stored: the password sealed.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
struct StoredSmtp {
    host: String,
    port: u16,
    security: String,
    username: String,
    /// Sealed with [`Sealer`]; `None` when there is none.
    password: Option<String>,
    from: String,
}

impl StoredSmtp {
    /// What the audit log records: the password only as "[set]".
    fn redacted(&self) -> serde_json::Value {
        serde_json::json!({
            "host": self.host,
            "port": self.port,
            "security": self.security,
            "username": self.username,
            "password": self.password.as_ref().map(|_| "[set]"),
            "from": self.from,
        })
    }

    fn view(&self) -> SmtpView {
        SmtpView {
            configured: !self.host.is_empty(),
            host: self.host.clone(),
            port: Some(self.port).filter(|p| *p != 0),
            security: self.security.clone(),
            username: self.username.clone(),
            password_set: self.password.is_some(),
            from: self.from.clone(),
        }
    }

    /// The settings in clear, for sending.
    fn config(&self, secrets: &Sealer, hello_name: Option<String>) -> Result<SmtpConfig, String> {
        let password = self
            .password
            .as_deref()
            .map(|sealed| secrets.open(sealed))
            .transpose()
            .map_err(|e| format!("The SMTP password cannot be used: {e}"))?;
        Ok(SmtpConfig {
            host: self.host.clone(),
            port: self.port,
            security: Security::parse(&self.security).unwrap_or_default(),
            username: Some(self.username.clone()).filter(|u| !u.is_empty()),
            password,
            from: self.from.clone(),
            hello_name,
            timeout: SMTP_TIMEOUT,
        })
    }
}

async fn stored(store: &dyn Store) -> Result<Option<StoredSmtp>, String> {
    match store.tenant_setting(SMTP_KEY).await {
        Ok(None) => Ok(None),
        Ok(Some(v)) => serde_json::from_value(v)
            .map(Some)
            .map_err(|e| format!("the stored SMTP settings do not read: {e}")),
        Err(e) => Err(e.to_string()),
    }
}

/// The name Steward gives itself in SMTP's EHLO: the host of its public URL (an IP address as
/// an address literal).
pub fn hello_name(public_url: &str) -> Option<String> {
    let rest = public_url.split_once("://").map_or(public_url, |(_, r)| r);
    let host_port = rest.split('/').next().unwrap_or_default();
    let host = match host_port.strip_prefix('[') {
        Some(v6) => return v6.split(']').next().map(|a| format!("[IPv6:{a}]")),
        None => host_port.rsplit_once(':').map_or(host_port, |(h, _)| h),
    };
    if host.is_empty() {
        None
    } else if host.parse::<std::net::Ipv4Addr>().is_ok() {
        Some(format!("[{host}]"))
    } else {
        Some(host.to_string())
    }
}

/// The sender's view of the SMTP settings: read at each pass, the password unsealed.
pub struct SmtpSettingsSource {
    store: Arc<dyn Store>,
    secrets: Arc<Sealer>,
    hello_name: Option<String>,
}

impl SmtpSettingsSource {
    pub fn new(store: Arc<dyn Store>, secrets: Arc<Sealer>, public_url: &str) -> Self {
        SmtpSettingsSource {
            store,
            secrets,
            hello_name: hello_name(public_url),
        }
    }
}

#[async_trait]
impl steward_mail::SmtpSource for SmtpSettingsSource {
    async fn smtp(&self) -> Result<Option<SmtpConfig>, String> {
        match stored(self.store.as_ref()).await? {
            Some(s) if !s.host.is_empty() => {
                s.config(&self.secrets, self.hello_name.clone()).map(Some)
            }
            _ => Ok(None),
        }
    }
}

/// The SMTP settings and the last notifications with their delivery state.
pub async fn email_settings(state: &PortalState, actor: &Actor) -> Result<EmailSettings, AppError> {
    actor.require(ROLE)?;
    let smtp = stored(state.store.as_ref())
        .await
        .map_err(internal)?
        .unwrap_or_default();
    let recent = state
        .store
        .recent_notifications(RECENT)
        .await
        .map_err(internal)?;
    let names: HashMap<String, String> = state
        .store
        .list_applications()
        .await
        .map_err(internal)?
        .into_iter()
        .map(|a| (a.id, a.name))
        .collect();
    Ok(EmailSettings {
        smtp: smtp.view(),
        notifications: recent.into_iter().map(|n| row(n, &names)).collect(),
    })
}

fn row(n: Notification, names: &HashMap<String, String>) -> NotificationRow {
    let state = if n.sent_at.is_some() {
        "sent"
    } else if n.last_error.as_deref() == Some(NOT_CONFIGURED) {
        "waiting"
    } else if n.attempts > 0 || n.last_error.is_some() {
        "retrying"
    } else {
        "pending"
    };
    NotificationRow {
        application: names
            .get(&n.application_id)
            .cloned()
            .unwrap_or_else(|| n.application_id.clone()),
        kind: n.kind.label().to_string(),
        state: state.to_string(),
        id: n.id,
        application_id: n.application_id,
        recipient: n.recipient,
        subject: n.subject,
        created_at: n.created_at,
        sent_at: n.sent_at,
        attempts: n.attempts,
        next_attempt_at: n.next_attempt_at,
        last_error: n.last_error,
    }
}

/// The form checked, as it would be stored: (settings, the password in clear when one was
/// posted), or field messages.
fn read_form(
    form: &SmtpForm,
    before: &StoredSmtp,
) -> Result<(StoredSmtp, Option<String>), AppError> {
    let host = form.host.trim().to_string();
    let security = Security::parse(form.security.trim());
    let port = match form.port.trim() {
        "" => Ok(security.unwrap_or_default().usual_port()),
        p => p.parse::<u16>().ok().filter(|p| *p != 0).ok_or(()),
    };
    let username = form.username.trim().to_string();
    let password = Some(form.password.clone()).filter(|p| !p.is_empty());
    let from = form.from.trim().to_string();
    let fields = field_errors([
        (
            "host",
            (host.is_empty() || host.len() > 253 || host.contains(char::is_whitespace))
                .then(|| "Enter the SMTP server's host name, e.g. smtp.example.com.".to_string()),
        ),
        (
            "port",
            port.is_err().then(|| {
                "A port from 1 to 65535 (587 for STARTTLS, 465 for TLS, 25 without).".to_string()
            }),
        ),
        (
            "security",
            security.is_none().then(|| {
                "Choose how the connection is protected: none, STARTTLS or TLS.".to_string()
            }),
        ),
        (
            "password",
            (!username.is_empty() && password.is_none() && before.password.is_none())
                .then(|| "Enter the password for this username.".to_string()),
        ),
        (
            "from",
            if from.is_empty() {
                Some(
                    "Enter the address notifications come from, e.g. steward@example.com."
                        .to_string(),
                )
            } else {
                steward_mail::check_address(&from)
                    .err()
                    .map(|e| format!("Enter an address like steward@example.com or Steward <steward@example.com> ({e})."))
            },
        ),
    ]);
    if !fields.is_empty() {
        return Err(invalid(fields));
    }
    let settings = StoredSmtp {
        host,
        port: port.unwrap_or_default(),
        security: security.unwrap_or_default().as_str().to_string(),
        // Without a username there is no sign-in, so no password to keep.
        password: if username.is_empty() {
            None
        } else {
            before.password.clone()
        },
        username,
        from,
    };
    Ok((settings, password))
}

/// Saves the SMTP settings (a password left empty keeps the stored one), makes every
/// notification waiting for them due now and wakes the sender.
pub async fn save_smtp(
    state: &PortalState,
    actor: &Actor,
    form: SmtpForm,
) -> Result<SmtpView, AppError> {
    actor.require(ROLE)?;
    let before = stored(state.store.as_ref())
        .await
        .map_err(internal)?
        .unwrap_or_default();
    let (mut after, password) = read_form(&form, &before)?;
    let replaced = password.is_some() && !after.username.is_empty();
    if replaced {
        if let Some(p) = &password {
            after.password = Some(state.secrets.seal(p).map_err(internal)?);
        }
    }
    let value = serde_json::to_value(&after).map_err(internal)?;
    state
        .store
        .set_tenant_setting(SMTP_KEY, &value)
        .await
        .map_err(internal)?;
    let detail = format!(
        "{}:{} ({}){}",
        after.host,
        after.port,
        after.security,
        if replaced { ", password replaced" } else { "" }
    );
    actor
        .audit(
            state,
            AuditEntry::new("settings.smtp", "SMTP")
                .detail(detail)
                .change(before.redacted(), after.redacted()),
        )
        .await;
    match state
        .store
        .retry_notifications_now(chrono::Utc::now())
        .await
    {
        Ok(n) if n > 0 => tracing::info!(
            notifications = n,
            "SMTP settings saved; sending the notifications that waited"
        ),
        Ok(_) => {}
        Err(e) => tracing::warn!(error = %e, "could not make waiting notifications due"),
    }
    state.mail.wake();
    Ok(after.view())
}

/// Sends a test email to `to` with what the form holds (a password left empty: the stored
/// one), without saving: success, or what went wrong and what to check.
pub async fn send_test_email(
    state: &PortalState,
    actor: &Actor,
    form: SmtpForm,
    to: &str,
) -> Result<TestEmailResult, AppError> {
    actor.require(ROLE)?;
    let to = to.trim().to_string();
    if let Some(problem) = super::auth::validate_email(&to) {
        return Err(invalid(field_errors([("to", Some(problem))])));
    }
    let before = stored(state.store.as_ref())
        .await
        .map_err(internal)?
        .unwrap_or_default();
    let (settings, password) = read_form(&form, &before)?;
    let mut config = settings
        .config(&state.secrets, hello_name(&state.info.public_url))
        .map_err(|e| invalid(field_errors([("password", Some(e))])))?;
    if password.is_some() {
        config.password = password;
    }
    let email = Email {
        to: to.clone(),
        subject: "Steward: test email".into(),
        body: format!(
            "This is a test email from Steward at {url}, sent by {who} from Settings → Email \
             notifications.\n\nIf you can read it, Steward can send notifications through \
             {host}:{port}. Remember to save the settings.\n",
            url = state.info.public_url,
            who = actor.name,
            host = config.host,
            port = config.port,
        ),
    };
    let result = steward_mail::send(&config, &email).await;
    let entry = AuditEntry::new("settings.smtp_test", &to);
    let (entry, outcome) = match result {
        Ok(()) => (
            entry.detail(format!("sent through {}:{}", config.host, config.port)),
            TestEmailResult {
                ok: true,
                message: format!(
                    "Sent to {to} through {}:{}. Check that it arrived (and not in spam).",
                    config.host, config.port
                ),
            },
        ),
        Err(e) => (
            entry.detail(format!("failed: {e}")).failed(),
            TestEmailResult {
                ok: false,
                message: e.explain(&config),
            },
        ),
    };
    actor.audit(state, entry).await;
    Ok(outcome)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hello_name_is_the_public_host() {
        for (url, want) in [
            ("https://steward.example.com", Some("steward.example.com")),
            (
                "https://steward.example.com:8443/x",
                Some("steward.example.com"),
            ),
            ("http://127.0.0.1:3000", Some("[127.0.0.1]")),
            ("http://[::1]:3000", Some("[IPv6:::1]")),
            ("", None),
        ] {
            assert_eq!(hello_name(url).as_deref(), want, "{url}");
        }
    }

    #[test]
    fn a_form_is_checked_and_a_blank_password_keeps_the_stored_one() {
        let form = SmtpForm {
            host: " smtp.example.com ".into(),
            port: String::new(),
            security: "tls".into(),
            username: "steward".into(),
            password: String::new(),
            from: "Steward <steward@example.com>".into(),
        };
        let before = StoredSmtp {
            password: Some("sealed".into()),
            ..StoredSmtp::default()
        };
        let (s, password) = read_form(&form, &before).unwrap();
        assert_eq!(
            (s.host.as_str(), s.port, s.security.as_str()),
            ("smtp.example.com", 465, "tls")
        );
        assert_eq!((s.password.as_deref(), password), (Some("sealed"), None));
        // Without a username, no password is kept.
        let (s, _) = read_form(
            &SmtpForm {
                username: String::new(),
                ..form.clone()
            },
            &before,
        )
        .unwrap();
        assert_eq!(s.password, None);
        // Every field wrong at once: each says so.
        let bad = SmtpForm {
            host: "smtp example".into(),
            port: "70000".into(),
            security: "ssl".into(),
            username: "steward".into(),
            password: String::new(),
            from: "not an address".into(),
        };
        let err = read_form(&bad, &StoredSmtp::default()).unwrap_err();
        for field in ["host", "port", "security", "password", "from"] {
            assert!(err.field(field).is_some(), "{field}: {err:?}");
        }
    }
}
