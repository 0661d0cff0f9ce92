//! Wire types and server functions of Settings → Email notifications (SMTP): the SMTP server
//! (the password sealed at rest and never sent back), a test email sent with what the form
//! holds, and the last notifications with their delivery state. Each server function only
//! identifies the admin and calls the service (`crate::server::notifications`).

use crate::error::AppError;
use chrono::{DateTime, Utc};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
use crate::server::{self as srv, notifications as service, Actor};
#[cfg(feature = "ssr")]
use steward_store::Role;

#[cfg(feature = "ssr")]
fn context() -> Result<(srv::PortalState, Actor), AppError> {
    let actor = Actor::portal(Role::GlobalAdministrator)?;
    Ok((srv::portal_state()?, actor))
}

/// The SMTP form as posted (`form[host]`, ...). A password left empty keeps the stored one.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SmtpForm {
    pub host: String,
    /// Empty: the usual port of the security chosen.
    pub port: String,
    /// none, starttls or tls.
    pub security: String,
    pub username: String,
    pub password: String,
    /// `steward@example.com` or `Steward <steward@example.com>`.
    pub from: String,
}

/// The SMTP settings as the page shows them: never the password, only whether one is stored.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SmtpView {
    pub configured: bool,
    pub host: String,
    pub port: Option<u16>,
    pub security: String,
    pub username: String,
    pub password_set: bool,
    pub from: String,
}

/// A notification and how its delivery went.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NotificationRow {
    pub id: String,
    pub application_id: String,
    /// The application's name (its id when it is gone).
    pub application: String,
    /// What it reports, for people ("Entered quarantine", ...).
    pub kind: String,
    pub recipient: String,
    pub subject: String,
    pub created_at: DateTime<Utc>,
    /// sent, pending (not tried yet), waiting (for SMTP settings) or retrying (after a failed
    /// delivery).
    pub state: String,
    pub sent_at: Option<DateTime<Utc>>,
    pub attempts: u32,
    pub next_attempt_at: DateTime<Utc>,
    pub last_error: Option<String>,
}

/// The Email notifications card's data.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EmailSettings {
    pub smtp: SmtpView,
    /// The newest first.
    pub notifications: Vec<NotificationRow>,
}

/// The outcome of a test email, in words for the admin.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TestEmailResult {
    pub ok: bool,
    pub message: String,
}

#[server(endpoint = "email_settings")]
pub async fn load_email_settings() -> Result<EmailSettings, AppError> {
    let (state, actor) = context()?;
    service::email_settings(&state, &actor).await
}

/// Saves the SMTP settings; notifications waiting for them are sent at once.
#[server(endpoint = "smtp_save")]
pub async fn save_smtp(form: SmtpForm) -> Result<SmtpView, AppError> {
    let (state, actor) = context()?;
    service::save_smtp(&state, &actor, form).await
}

/// Sends a test email to `to` with the settings in the form (a password left empty: the
/// stored one), without saving them.
#[server(endpoint = "smtp_test")]
pub async fn send_test_email(form: SmtpForm, to: String) -> Result<TestEmailResult, AppError> {
    let (state, actor) = context()?;
    service::send_test_email(&state, &actor, form, &to).await
}
