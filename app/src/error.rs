//! The one error type the portal's server functions return.
//!
//! Every error has a stable, greppable code (`AUTH-0001`), a message written for the admin,
//! and, for internal failures, the operation id under which the cause was logged. Field
//! errors let forms show a message next to the field at fault.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Stable error codes. The string form is part of the product: admins quote it to support
/// and search it in the docs, so never renumber.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ErrorCode {
    /// Wrong email or password (deliberately does not say which).
    #[serde(rename = "AUTH-0001")]
    SignInFailed,
    /// Too many failed sign-ins.
    #[serde(rename = "AUTH-0002")]
    SignInThrottled,
    /// No valid session.
    #[serde(rename = "AUTH-0003")]
    SignInRequired,
    /// Signed in, but the role does not allow this.
    #[serde(rename = "AUTH-0004")]
    Forbidden,
    /// The setup token is missing or wrong.
    #[serde(rename = "AUTH-0005")]
    SetupTokenInvalid,
    /// Setup was already completed.
    #[serde(rename = "AUTH-0006")]
    SetupDone,
    /// Input failed validation; see the field errors.
    #[serde(rename = "REQ-0001")]
    Invalid,
    /// A state-changing request came from another site.
    #[serde(rename = "REQ-0002")]
    CrossSiteRequest,
    /// Something exists already.
    #[serde(rename = "REQ-0003")]
    Conflict,
    /// The page or object does not exist.
    #[serde(rename = "NAV-0404")]
    NotFound,
    /// The browser could not reach the server or could not read its answer.
    #[serde(rename = "NET-0001")]
    Transport,
    /// A fault inside Steward; the log has the cause under the operation id.
    #[serde(rename = "SYS-0001")]
    Internal,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::SignInFailed => "AUTH-0001",
            ErrorCode::SignInThrottled => "AUTH-0002",
            ErrorCode::SignInRequired => "AUTH-0003",
            ErrorCode::Forbidden => "AUTH-0004",
            ErrorCode::SetupTokenInvalid => "AUTH-0005",
            ErrorCode::SetupDone => "AUTH-0006",
            ErrorCode::Invalid => "REQ-0001",
            ErrorCode::CrossSiteRequest => "REQ-0002",
            ErrorCode::Conflict => "REQ-0003",
            ErrorCode::NotFound => "NAV-0404",
            ErrorCode::Transport => "NET-0001",
            ErrorCode::Internal => "SYS-0001",
        }
    }

    /// The HTTP status that goes with the code.
    pub fn status(self) -> u16 {
        match self {
            ErrorCode::SignInFailed | ErrorCode::SignInRequired => 401,
            ErrorCode::SignInThrottled => 429,
            ErrorCode::Forbidden | ErrorCode::SetupTokenInvalid | ErrorCode::CrossSiteRequest => {
                403
            }
            ErrorCode::SetupDone | ErrorCode::Conflict => 409,
            ErrorCode::Invalid => 422,
            ErrorCode::NotFound => 404,
            ErrorCode::Transport => 502,
            ErrorCode::Internal => 500,
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        FieldError {
            field: field.into(),
            message: message.into(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[error("{message} ({code})")]
pub struct AppError {
    pub code: ErrorCode,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operation_id: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<FieldError>,
}

impl AppError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            operation_id: None,
            fields: Vec::new(),
        }
    }

    /// A validation failure carrying one message per field.
    pub fn invalid(fields: Vec<FieldError>) -> Self {
        Self {
            code: ErrorCode::Invalid,
            message: "Some fields need attention.".into(),
            operation_id: None,
            fields,
        }
    }

    pub fn with_operation_id(mut self, id: impl Into<String>) -> Self {
        self.operation_id = Some(id.into());
        self
    }

    /// The message for one form field, if it has one.
    pub fn field(&self, name: &str) -> Option<String> {
        self.fields
            .iter()
            .find(|f| f.field == name)
            .map(|f| f.message.clone())
    }
}

impl leptos::server_fn::error::FromServerFnError for AppError {
    type Encoder = leptos::server_fn::codec::JsonEncoding;

    fn from_server_fn_error(value: leptos::server_fn::error::ServerFnErrorErr) -> Self {
        use leptos::server_fn::error::ServerFnErrorErr as E;
        match value {
            E::Request(msg) | E::Response(msg) => AppError::new(
                ErrorCode::Transport,
                format!("Could not reach the Steward server: {msg}. Check your connection and try again."),
            ),
            E::Args(msg) | E::MissingArg(msg) => AppError::new(ErrorCode::Invalid, msg),
            other => AppError::new(ErrorCode::Internal, other.to_string()),
        }
    }
}

/// Builds field errors as a list, skipping fields without a message.
pub fn field_errors(
    checks: impl IntoIterator<Item = (&'static str, Option<String>)>,
) -> Vec<FieldError> {
    checks
        .into_iter()
        .filter_map(|(field, msg)| {
            msg.map(|message| FieldError {
                field: field.into(),
                message,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_serialise_as_their_stable_strings() {
        for code in [
            ErrorCode::SignInFailed,
            ErrorCode::SignInThrottled,
            ErrorCode::SignInRequired,
            ErrorCode::Forbidden,
            ErrorCode::SetupTokenInvalid,
            ErrorCode::SetupDone,
            ErrorCode::Invalid,
            ErrorCode::CrossSiteRequest,
            ErrorCode::Conflict,
            ErrorCode::NotFound,
            ErrorCode::Transport,
            ErrorCode::Internal,
        ] {
            assert_eq!(serde_json::to_string(&code).unwrap(), format!("\"{code}\""));
            let err = AppError::new(code, "m").with_operation_id("op");
            let back: AppError =
                serde_json::from_str(&serde_json::to_string(&err).unwrap()).unwrap();
            assert_eq!(back, err);
        }
    }

    #[test]
    fn field_errors_skip_fields_without_a_message() {
        let err = AppError::invalid(field_errors([
            ("email", Some("Enter an email address.".to_string())),
            ("password", None),
        ]));
        assert_eq!(
            err.field("email").as_deref(),
            Some("Enter an email address.")
        );
        assert_eq!(err.field("password"), None);
    }
}
