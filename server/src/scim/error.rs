//! SCIM error responses (RFC 7644 §3.12): status, `scimType` and a detail that says what was
//! wrong and never carries internals. Store failures that are not the client's fault are
//! logged with the operation id and answered with a generic 500.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use steward_scim::{ScimError, ScimType};
use steward_store::StoreError;

pub const SCIM_JSON: &str = "application/scim+json";

/// A SCIM error on its way to the client.
#[derive(Debug)]
pub struct ApiError(pub ScimError);

pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    pub fn new(status: u16, scim_type: Option<ScimType>, detail: impl Into<String>) -> Self {
        ApiError(ScimError::new(status, scim_type, detail))
    }

    pub fn bad_request(scim_type: ScimType, detail: impl Into<String>) -> Self {
        Self::new(400, Some(scim_type), detail)
    }

    pub fn not_found(what: &str, id: &str) -> Self {
        Self::new(404, None, format!("{what} {id} not found"))
    }

    pub fn status(&self) -> u16 {
        self.0.status
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict { what, value } => ApiError::new(
                409,
                Some(ScimType::Uniqueness),
                format!("{what} {value:?} already exists"),
            ),
            StoreError::NotFound { what, id } => {
                ApiError::new(404, None, format!("{what} {id} not found"))
            }
            StoreError::Invalid(detail) => ApiError::bad_request(ScimType::InvalidValue, detail),
            StoreError::VersionMismatch { current } => ApiError::new(
                412,
                None,
                format!(
                    "the resource changed since that version was read; it is now at W/\"{current}\""
                ),
            ),
            other => {
                tracing::error!(error = %other, "SCIM request failed in the store");
                ApiError::new(
                    500,
                    None,
                    "the request could not be completed because of an internal error; \
                     it was logged with this response's x-operation-id",
                )
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status =
            StatusCode::from_u16(self.0.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = serde_json::to_vec(&self.0).unwrap_or_default();
        (
            status,
            [(header::CONTENT_TYPE, HeaderValue::from_static(SCIM_JSON))],
            body,
        )
            .into_response()
    }
}
