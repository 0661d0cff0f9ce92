//! Passwords, session tokens, cookies and the sign-in throttle.

use super::PortalState;
use crate::error::{AppError, ErrorCode};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use base64::Engine;
use chrono::{DateTime, Duration, Utc};
use sha2::{Digest, Sha256};
use std::sync::OnceLock;
use steward_store::{Admin, NewSession, StoreError};

/// Sessions end after this long without a request...
pub const SESSION_IDLE: Duration = Duration::hours(12);
/// ...and in any case this long after sign-in.
pub const SESSION_MAX: Duration = Duration::days(7);
/// Failed sign-ins counted over this window.
pub const THROTTLE_WINDOW: Duration = Duration::minutes(15);
/// Failures per email address within the window before sign-in is refused.
pub const MAX_FAILURES_PER_EMAIL: i64 = 5;
/// Failures from one IP address within the window before sign-in is refused.
pub const MAX_FAILURES_PER_IP: i64 = 50;
/// The shortest password an admin may set.
pub const MIN_PASSWORD_LEN: usize = 12;

pub fn hash_password(password: &str) -> Result<String, String> {
    let mut salt = [0u8; 16];
    getrandom::getrandom(&mut salt).map_err(|e| e.to_string())?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| e.to_string())?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| e.to_string())
}

pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false)
}

/// A hash of a random password, verified against when the email is unknown so that a
/// wrong email takes as long as a wrong password.
fn decoy_hash() -> &'static str {
    static DECOY: OnceLock<String> = OnceLock::new();
    DECOY.get_or_init(|| hash_password(&random_token()).unwrap_or_default())
}

/// 32 random bytes, URL-safe base64.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    // getrandom only fails when the OS has no entropy source, where nothing is safe.
    getrandom::getrandom(&mut bytes)
        .expect("the operating system's random number generator failed");
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

pub fn hash_token(token: &str) -> String {
    let digest = Sha256::digest(token.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// What every SCIM bearer token starts with.
pub const SCIM_TOKEN_PREFIX: &str = "stw_";
/// What every API token starts with: people, logs and secret scanners tell the two kinds
/// apart at a glance.
pub const API_TOKEN_PREFIX: &str = "stw_api_";
/// What every embed token (the read-only dashboard's, carried in its URL) starts with.
pub const EMBED_TOKEN_PREFIX: &str = "stw_embed_";

/// A new bearer token starting with `kind_prefix`: (token, its hash to store, a prefix to
/// show in lists: `kind_prefix` and six random characters).
pub fn new_bearer_token(kind_prefix: &str) -> (String, String, String) {
    let secret = random_token();
    let token = format!("{kind_prefix}{secret}");
    let hash = hash_token(&token);
    let prefix = format!("{kind_prefix}{}", &secret[..6]);
    (token, hash, prefix)
}

/// The token of an `Authorization: Bearer <token>` header value, trimmed (possibly empty);
/// `None` when the header names another scheme. The scheme ignores case (RFC 7235).
pub fn bearer_token(authorization: &str) -> Option<&str> {
    let value = authorization.trim();
    let (scheme, token) = value.split_once(' ').unwrap_or((value, ""));
    scheme
        .eq_ignore_ascii_case("bearer")
        .then_some(token.trim())
}

pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The session cookie's name; the `__Host-` prefix (only allowed on secure cookies) pins it
/// to this exact origin.
pub fn cookie_name(secure: bool) -> &'static str {
    if secure {
        "__Host-steward_session"
    } else {
        "steward_session"
    }
}

pub fn session_cookie(token: &str, secure: bool) -> String {
    format!(
        "{}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}{}",
        cookie_name(secure),
        SESSION_MAX.num_seconds(),
        if secure { "; Secure" } else { "" }
    )
}

pub fn clear_cookie(secure: bool) -> String {
    format!(
        "{}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{}",
        cookie_name(secure),
        if secure { "; Secure" } else { "" }
    )
}

/// The session token from a `Cookie` header, if present.
pub fn token_from_cookies(header: &str, secure: bool) -> Option<&str> {
    let name = cookie_name(secure);
    header.split(';').find_map(|pair| {
        let (k, v) = pair.trim().split_once('=')?;
        (k == name && !v.is_empty()).then_some(v)
    })
}

/// When the session should end if the admin is active at `now`.
pub fn session_expiry(created_at: DateTime<Utc>, now: DateTime<Utc>) -> DateTime<Utc> {
    (now + SESSION_IDLE).min(created_at + SESSION_MAX)
}

/// Checks an email and password, honouring the throttle. Every failure is the same
/// generic error, so the answer never tells whether the account exists.
pub async fn authenticate(
    state: &PortalState,
    email: &str,
    password: &str,
    ip: &str,
    now: DateTime<Utc>,
) -> Result<Admin, AuthFailure> {
    let email = email.trim().to_lowercase();
    let counts = state
        .store
        .sign_in_failures_since(&email, ip, now - THROTTLE_WINDOW)
        .await
        .map_err(AuthFailure::Store)?;
    if counts.for_email >= MAX_FAILURES_PER_EMAIL || counts.from_ip >= MAX_FAILURES_PER_IP {
        return Err(AuthFailure::Throttled);
    }
    let found = state
        .store
        .admin_by_email(&email)
        .await
        .map_err(AuthFailure::Store)?;
    let hash = found
        .as_ref()
        .map(|c| c.password_hash.clone())
        .unwrap_or_else(|| decoy_hash().to_string());
    let password = password.to_string();
    // Argon2 is deliberately slow; keep it off the async worker threads.
    let ok = tokio::task::spawn_blocking(move || verify_password(&password, &hash))
        .await
        .unwrap_or(false);
    match found {
        Some(creds) if ok => {
            state
                .store
                .clear_sign_in_failures(&email)
                .await
                .map_err(AuthFailure::Store)?;
            state
                .store
                .record_sign_in(creds.admin.id, now)
                .await
                .map_err(AuthFailure::Store)?;
            Ok(creds.admin)
        }
        _ => {
            state
                .store
                .record_sign_in_failure(&email, ip, now)
                .await
                .map_err(AuthFailure::Store)?;
            Err(AuthFailure::BadCredentials)
        }
    }
}

#[derive(Debug)]
pub enum AuthFailure {
    BadCredentials,
    Throttled,
    Store(StoreError),
}

impl AuthFailure {
    pub fn into_app_error(self) -> AppError {
        match self {
            AuthFailure::BadCredentials => AppError::new(
                ErrorCode::SignInFailed,
                "The email or password is incorrect.",
            ),
            AuthFailure::Throttled => AppError::new(
                ErrorCode::SignInThrottled,
                format!(
                    "Too many failed sign-in attempts. Wait {} minutes and try again.",
                    THROTTLE_WINDOW.num_minutes()
                ),
            ),
            AuthFailure::Store(e) => super::internal(e),
        }
    }
}

/// Creates a session for `admin` and returns the `Set-Cookie` value that carries it.
pub async fn start_session(
    state: &PortalState,
    admin: &Admin,
    ip: Option<String>,
    user_agent: Option<String>,
    now: DateTime<Utc>,
) -> Result<String, StoreError> {
    let token = random_token();
    state
        .store
        .create_session(NewSession {
            token_hash: hash_token(&token),
            admin_id: admin.id,
            created_at: now,
            expires_at: session_expiry(now, now),
            ip,
            user_agent,
        })
        .await?;
    Ok(session_cookie(&token, state.info.secure_cookies))
}

/// Checks a new admin's fields; the messages appear next to the form fields.
pub fn validate_new_admin(
    email: &str,
    display_name: &str,
    password: &str,
    confirm: Option<&str>,
) -> Vec<crate::error::FieldError> {
    crate::error::field_errors([
        ("email", validate_email(email)),
        (
            "display_name",
            (display_name.trim().is_empty())
                .then(|| "Enter the name other admins will see.".to_string()),
        ),
        ("password", validate_password(password)),
        (
            "password_confirm",
            confirm
                .filter(|c| *c != password)
                .map(|_| "The two passwords do not match.".to_string()),
        ),
    ])
}

pub fn validate_email(email: &str) -> Option<String> {
    let email = email.trim();
    let valid = email.len() <= 254
        && matches!(email.split_once('@'), Some((local, domain))
            if !local.is_empty() && domain.contains('.') && !domain.starts_with('.')
               && !domain.ends_with('.') && !email.contains(char::is_whitespace));
    (!valid).then(|| "Enter an email address like name@example.com.".to_string())
}

pub fn validate_password(password: &str) -> Option<String> {
    if password.chars().count() < MIN_PASSWORD_LEN {
        Some(format!("Use at least {MIN_PASSWORD_LEN} characters."))
    } else if password.len() > 1024 {
        Some("Use at most 1024 characters.".into())
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_verify_only_against_their_own_hash() {
        let hash = hash_password("correct horse battery").unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password("correct horse battery", &hash));
        assert!(!verify_password("correct horse batterY", &hash));
        assert!(!verify_password("anything", "not a hash"));
    }

    #[test]
    fn cookies_round_trip_and_carry_the_right_flags() {
        let plain = session_cookie("abc", false);
        assert!(plain.starts_with("steward_session=abc;"));
        assert!(plain.contains("HttpOnly") && plain.contains("SameSite=Lax"));
        assert!(!plain.contains("Secure"));
        let secure = session_cookie("abc", true);
        assert!(secure.starts_with("__Host-steward_session=abc;") && secure.ends_with("; Secure"));
        assert_eq!(
            token_from_cookies("a=1; steward_session=tok; b=2", false),
            Some("tok")
        );
        assert_eq!(token_from_cookies("steward_session=", false), None);
        assert_eq!(token_from_cookies("steward_session=tok", true), None);
    }

    #[test]
    fn sessions_never_outlive_their_maximum() {
        let t0 = Utc::now();
        assert_eq!(session_expiry(t0, t0), t0 + SESSION_IDLE);
        let late = t0 + SESSION_MAX - Duration::hours(1);
        assert_eq!(session_expiry(t0, late), t0 + SESSION_MAX);
    }

    #[test]
    fn validates_admin_fields() {
        let cases = [
            (
                "ada@example.com",
                "Ada",
                "long enough pw",
                Some("long enough pw"),
                vec![],
            ),
            ("ada", "Ada", "long enough pw", None, vec!["email"]),
            (
                "ada@example.com",
                " ",
                "short",
                Some("other"),
                vec!["display_name", "password", "password_confirm"],
            ),
            (
                "a b@example.com",
                "Ada",
                "long enough pw",
                None,
                vec!["email"],
            ),
        ];
        for (email, name, pw, confirm, want) in cases {
            let got: Vec<String> = validate_new_admin(email, name, pw, confirm)
                .into_iter()
                .map(|f| f.field)
                .collect();
            assert_eq!(got, want, "{email} {name} {pw}");
        }
    }

    #[test]
    fn token_hashes_are_hex_sha256() {
        assert_eq!(
            hash_token("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_ne!(random_token(), random_token());
    }

    #[test]
    fn bearer_tokens_start_with_their_kind_and_list_by_prefix() {
        let (token, hash, prefix) = new_bearer_token(API_TOKEN_PREFIX);
        assert!(token.starts_with("stw_api_") && token.len() == "stw_api_".len() + 43);
        assert_eq!(hash, hash_token(&token));
        assert!(token.starts_with(&prefix) && prefix.len() == "stw_api_".len() + 6);
        let (scim, _, scim_prefix) = new_bearer_token(SCIM_TOKEN_PREFIX);
        assert!(scim.starts_with("stw_") && scim_prefix.len() == 10);
        assert_ne!(scim, token);
    }

    #[test]
    fn bearer_tokens_are_read_from_the_authorization_header() {
        let cases = [
            ("Bearer abc", Some("abc")),
            ("bearer  abc ", Some("abc")),
            ("BEARER abc", Some("abc")),
            ("Bearer", Some("")),
            ("Bearer   ", Some("")),
            ("Basic abc", None),
            ("abc", None),
            ("", None),
        ];
        for (header, want) in cases {
            assert_eq!(bearer_token(header), want, "{header:?}");
        }
    }
}
