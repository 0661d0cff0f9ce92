//! # steward-mail: email over SMTP
//!
//! - [`send`]: one plain-text message through the tenant's SMTP server ([`SmtpConfig`]: host,
//!   port, no TLS / STARTTLS / implicit TLS with rustls, optional sign-in, from address). A
//!   failure is a [`MailError`] sorted into what an admin can act on (connection refused, the
//!   name does not resolve, TLS, sign-in refused, a refused address, ...) with
//!   [`MailError::explain`] saying what to check.
//! - [`sender`]: the background task that empties the notification outbox: it claims due
//!   notifications (so two processes never send the same one), sends each, and backs off on
//!   failure, recording why.

use std::fmt;
use std::time::Duration;

use lettre::message::header::ContentType;
use lettre::message::Mailbox;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use serde::{Deserialize, Serialize};

pub mod sender;

pub use sender::{Pass, Sender, SenderOptions, SmtpSource, NOT_CONFIGURED};

/// How the connection to the SMTP server is protected.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Security {
    /// Plain text: only for a relay on the same machine or a trusted network.
    None,
    /// Plain text first, then STARTTLS, required (port 587 usually).
    #[default]
    Starttls,
    /// TLS from the first byte (port 465 usually).
    Tls,
}

impl Security {
    pub const ALL: [Security; 3] = [Security::None, Security::Starttls, Security::Tls];

    pub fn as_str(self) -> &'static str {
        match self {
            Security::None => "none",
            Security::Starttls => "starttls",
            Security::Tls => "tls",
        }
    }

    pub fn parse(s: &str) -> Option<Security> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }

    /// The port servers usually listen on with this security.
    pub fn usual_port(self) -> u16 {
        match self {
            Security::None => 25,
            Security::Starttls => 587,
            Security::Tls => 465,
        }
    }
}

/// Where and how to send, with the password in clear (it is sealed when stored).
#[derive(Clone, PartialEq, Eq)]
pub struct SmtpConfig {
    pub host: String,
    pub port: u16,
    pub security: Security,
    /// Signs in when set.
    pub username: Option<String>,
    pub password: Option<String>,
    /// The sender, `steward@example.com` or `Steward <steward@example.com>`.
    pub from: String,
    /// The name Steward gives itself in EHLO (this server's host name); `localhost` when unset.
    pub hello_name: Option<String>,
    /// How long one SMTP command may take.
    pub timeout: Duration,
}

impl fmt::Debug for SmtpConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpConfig")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("security", &self.security)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "[redacted]"))
            .field("from", &self.from)
            .field("hello_name", &self.hello_name)
            .finish()
    }
}

/// One plain-text message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Email {
    pub to: String,
    pub subject: String,
    pub body: String,
}

/// What went wrong, in the terms an admin acts on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MailErrorKind {
    /// The from or to address is not an email address.
    Address,
    /// The host name does not resolve.
    Dns,
    /// Nothing accepts connections on that host and port.
    ConnectionRefused,
    /// The server did not answer in time.
    Timeout,
    /// TLS failed: the server does not speak TLS on that port, does not offer STARTTLS, or its
    /// certificate is not trusted.
    Tls,
    /// The server refused the username and password, or offers no way to sign in.
    Auth,
    /// The server refused the sender, a recipient or the message (its reply says why).
    Rejected,
    /// The server answered "try again later".
    Transient,
    /// Anything else (the network dropped, an unexpected answer).
    Other,
}

/// A failed send: its kind and the server's or the system's own words.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MailError {
    pub kind: MailErrorKind,
    pub detail: String,
}

impl fmt::Display for MailError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.detail)
    }
}

impl std::error::Error for MailError {}

impl MailError {
    fn new(kind: MailErrorKind, detail: impl Into<String>) -> MailError {
        MailError {
            kind,
            detail: detail.into(),
        }
    }

    /// What happened and what to check, for an admin (`config` is what was tried).
    pub fn explain(&self, config: &SmtpConfig) -> String {
        let at = format!("{}:{}", config.host, config.port);
        let security = config.security;
        match self.kind {
            MailErrorKind::Address => format!(
                "An address is not valid ({}). Check the from address in Settings and the \
                 recipient.",
                self.detail
            ),
            MailErrorKind::Dns => format!(
                "The SMTP host {:?} was not found (its name does not resolve). Check the host \
                 name.",
                config.host
            ),
            MailErrorKind::ConnectionRefused => format!(
                "Connection refused by {at}: nothing accepts connections there. Check the host \
                 and port (usually 587 for STARTTLS, 465 for TLS, 25 without), and that a \
                 firewall lets this server through."
            ),
            MailErrorKind::Timeout => format!(
                "{at} did not answer in time. Check the host and port, and that a firewall \
                 does not silently drop connections from this server."
            ),
            MailErrorKind::Tls => {
                let check = match security {
                    Security::Tls => format!(
                        "With TLS the server must speak TLS from the first byte (usually port \
                         465); if {} expects STARTTLS (usually 587), choose STARTTLS.",
                        config.port
                    ),
                    Security::Starttls => "With STARTTLS the server must offer it after \
                         connecting (usually port 587); for port 465 choose TLS."
                        .to_string(),
                    Security::None => "Check the security setting.".to_string(),
                };
                format!(
                    "TLS with {at} failed ({}). {check} A certificate that is not trusted (self-signed, \
                     a private authority, or for another name than {:?}) fails too.",
                    self.detail, config.host
                )
            }
            MailErrorKind::Auth => format!(
                "{at} refused to sign in ({}). Check the username and password; some servers \
                 only allow signing in over STARTTLS or TLS, or need an app password.",
                self.detail
            ),
            MailErrorKind::Rejected => format!(
                "The SMTP server refused the message: {}. Check that the from address is one \
                 this account may send as, and the recipient's address.",
                self.detail
            ),
            MailErrorKind::Transient => {
                format!("The SMTP server said to try again later: {}.", self.detail)
            }
            MailErrorKind::Other => format!("Sending through {at} failed: {}.", self.detail),
        }
    }

    /// Sorts lettre's error into a kind, keeping the innermost cause's words.
    fn from_smtp(e: &lettre::transport::smtp::Error) -> MailError {
        let detail = innermost(e);
        let kind = if let Some(code) = e.status() {
            let code = code.to_string();
            if matches!(code.as_str(), "530" | "534" | "535" | "538" | "454") {
                MailErrorKind::Auth
            } else if e.is_transient() {
                MailErrorKind::Transient
            } else {
                MailErrorKind::Rejected
            }
        } else if e.is_timeout() {
            MailErrorKind::Timeout
        } else if e.is_tls() || has_tls_cause(e) {
            MailErrorKind::Tls
        } else if let Some(io) = io_cause(e) {
            match io.kind() {
                std::io::ErrorKind::ConnectionRefused => MailErrorKind::ConnectionRefused,
                std::io::ErrorKind::TimedOut => MailErrorKind::Timeout,
                _ if is_dns(&detail) => MailErrorKind::Dns,
                _ => MailErrorKind::Other,
            }
        } else if detail.contains("STARTTLS") || detail.contains("not encrypted") {
            MailErrorKind::Tls
        } else if detail.contains("authentication mechanism") {
            MailErrorKind::Auth
        } else if is_dns(&detail) {
            MailErrorKind::Dns
        } else {
            MailErrorKind::Other
        };
        let detail = match e.status() {
            Some(code) => format!("{code} {detail}"),
            None => detail,
        };
        MailError::new(kind, detail)
    }
}

fn is_dns(text: &str) -> bool {
    text.contains("failed to lookup address")
        || text.contains("Name or service not known")
        || text.contains("resolve")
}

/// The words of the deepest cause: "Connection refused (os error 111)" rather than
/// "Connection error".
fn innermost(e: &(dyn std::error::Error + 'static)) -> String {
    let mut last = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        last = s.to_string();
        source = s.source();
    }
    last
}

fn causes<'a>(
    e: &'a (dyn std::error::Error + 'static),
) -> impl Iterator<Item = &'a (dyn std::error::Error + 'static)> {
    std::iter::successors(Some(e), |&e| e.source())
}

fn io_cause<'a>(e: &'a (dyn std::error::Error + 'static)) -> Option<&'a std::io::Error> {
    causes(e).find_map(|e| e.downcast_ref::<std::io::Error>())
}

fn has_tls_cause(e: &(dyn std::error::Error + 'static)) -> bool {
    causes(e).any(|e| {
        e.is::<rustls::Error>()
            || e.downcast_ref::<std::io::Error>()
                .and_then(|io| io.get_ref())
                .is_some_and(|inner| inner.is::<rustls::Error>())
    })
}

/// Whether `text` is an address a message can be sent from or to (`a@example.com` or
/// `Name <a@example.com>`); the reason when it is not.
pub fn check_address(text: &str) -> Result<(), String> {
    text.trim()
        .parse::<Mailbox>()
        .map(|_| ())
        .map_err(|e| e.to_string())
}

/// Sends `email` through the SMTP server of `config`.
pub async fn send(config: &SmtpConfig, email: &Email) -> Result<(), MailError> {
    let from: Mailbox = config.from.trim().parse().map_err(|e| {
        MailError::new(
            MailErrorKind::Address,
            format!("from address {:?}: {e}", config.from),
        )
    })?;
    let to: Mailbox = email.to.trim().parse().map_err(|e| {
        MailError::new(
            MailErrorKind::Address,
            format!("recipient {:?}: {e}", email.to),
        )
    })?;
    let message = Message::builder()
        .from(from)
        .to(to)
        .subject(email.subject.clone())
        .header(ContentType::TEXT_PLAIN)
        .body(email.body.clone())
        .map_err(|e| MailError::new(MailErrorKind::Address, e.to_string()))?;
    let transport = transport(config)?;
    transport
        .send(message)
        .await
        .map(|_| ())
        .map_err(|e| MailError::from_smtp(&e))
}

fn transport(config: &SmtpConfig) -> Result<AsyncSmtpTransport<Tokio1Executor>, MailError> {
    let host = config.host.trim();
    let tls = || {
        TlsParameters::new(host.to_string())
            .map_err(|e| MailError::new(MailErrorKind::Tls, innermost(&e)))
    };
    let tls = match config.security {
        Security::None => Tls::None,
        Security::Starttls => Tls::Required(tls()?),
        Security::Tls => Tls::Wrapper(tls()?),
    };
    let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host)
        .port(config.port)
        .tls(tls)
        .timeout(Some(config.timeout))
        .hello_name(ClientId::Domain(
            config
                .hello_name
                .clone()
                .filter(|h| !h.is_empty())
                .unwrap_or_else(|| "localhost".into()),
        ));
    if let Some(user) = config.username.as_ref().filter(|u| !u.is_empty()) {
        builder = builder.credentials(Credentials::new(
            user.clone(),
            config.password.clone().unwrap_or_default(),
        ));
    }
    Ok(builder.build())
}

#[cfg(test)]
mod tests;
