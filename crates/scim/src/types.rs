//! Wire types shared by Steward's inbound SCIM server and its outbound SCIM client
//! (RFC 7644): list responses, errors with their `scimType`, `/.search` bodies, Bulk requests
//! and responses, the service provider configuration, and the schema/message URNs.
//!
//! Deserialization is lenient where real peers are sloppy and the meaning is unambiguous
//! (`status` as a number or a string, `Resources` missing from an empty list, missing
//! capability blocks in a `ServiceProviderConfig`, operation and method names in any case);
//! serialization always writes the RFC form.

use std::fmt;

use serde::de::{self, Deserializer};
use serde::{Deserialize, Serialize, Serializer};
use serde_json::Value;

use crate::error::{ParseError, PatchError, ValidationError};

/// Schema and message URNs (RFC 7643 §8.7, RFC 7644 §3).
pub mod urn {
    pub const USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
    pub const GROUP: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
    pub const ENTERPRISE_USER: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
    /// Steward's extension for admin-defined User attributes.
    pub const STEWARD_USER: &str = "urn:ietf:params:scim:schemas:extension:steward:2.0:User";
    /// Steward's extension for admin-defined Group attributes.
    pub const STEWARD_GROUP: &str = "urn:ietf:params:scim:schemas:extension:steward:2.0:Group";
    pub const SERVICE_PROVIDER_CONFIG: &str =
        "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig";
    pub const RESOURCE_TYPE: &str = "urn:ietf:params:scim:schemas:core:2.0:ResourceType";
    pub const SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Schema";
    pub const LIST_RESPONSE: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
    pub const SEARCH_REQUEST: &str = "urn:ietf:params:scim:api:messages:2.0:SearchRequest";
    pub const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
    pub const BULK_REQUEST: &str = "urn:ietf:params:scim:api:messages:2.0:BulkRequest";
    pub const BULK_RESPONSE: &str = "urn:ietf:params:scim:api:messages:2.0:BulkResponse";
    pub const ERROR: &str = "urn:ietf:params:scim:api:messages:2.0:Error";
}

/// RFC 7644 §3.12 `scimType` values. `Other` keeps a value a remote server invented, so the
/// outbound client can still read (and log) its error.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ScimType {
    InvalidFilter,
    TooMany,
    Uniqueness,
    Mutability,
    InvalidSyntax,
    InvalidPath,
    NoTarget,
    InvalidValue,
    InvalidVers,
    Sensitive,
    Other(String),
}

impl ScimType {
    pub const ALL: [ScimType; 10] = [
        ScimType::InvalidFilter,
        ScimType::TooMany,
        ScimType::Uniqueness,
        ScimType::Mutability,
        ScimType::InvalidSyntax,
        ScimType::InvalidPath,
        ScimType::NoTarget,
        ScimType::InvalidValue,
        ScimType::InvalidVers,
        ScimType::Sensitive,
    ];

    pub fn as_str(&self) -> &str {
        match self {
            ScimType::InvalidFilter => "invalidFilter",
            ScimType::TooMany => "tooMany",
            ScimType::Uniqueness => "uniqueness",
            ScimType::Mutability => "mutability",
            ScimType::InvalidSyntax => "invalidSyntax",
            ScimType::InvalidPath => "invalidPath",
            ScimType::NoTarget => "noTarget",
            ScimType::InvalidValue => "invalidValue",
            ScimType::InvalidVers => "invalidVers",
            ScimType::Sensitive => "sensitive",
            ScimType::Other(s) => s,
        }
    }

    /// The standard value for `text` (compared ignoring case), or `Other`.
    pub fn from_text(text: &str) -> Self {
        ScimType::ALL
            .into_iter()
            .find(|t| t.as_str().eq_ignore_ascii_case(text))
            .unwrap_or_else(|| ScimType::Other(text.to_owned()))
    }
}

impl fmt::Display for ScimType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for ScimType {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for ScimType {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Ok(ScimType::from_text(&text))
    }
}

/// HTTP status written as a string (RFC 7644 §3.12 and §3.7.3 show `"status": "400"`), read
/// from a string or a number.
mod status {
    use super::*;

    pub fn serialize<S: Serializer>(status: &u16, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&status.to_string())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<u16, D::Error> {
        match Value::deserialize(d)? {
            Value::Number(n) => n
                .as_u64()
                .and_then(|n| u16::try_from(n).ok())
                .ok_or_else(|| de::Error::custom("status out of range")),
            Value::String(s) => s.trim().parse().map_err(de::Error::custom),
            _ => Err(de::Error::custom("status must be a string or a number")),
        }
    }
}

/// An error response (RFC 7644 §3.12).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScimError {
    #[serde(default)]
    pub schemas: Vec<String>,
    #[serde(with = "status")]
    pub status: u16,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scim_type: Option<ScimType>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

impl ScimError {
    pub fn new(status: u16, scim_type: Option<ScimType>, detail: impl Into<String>) -> Self {
        ScimError {
            schemas: vec![urn::ERROR.to_owned()],
            status,
            scim_type,
            detail: Some(detail.into()),
        }
    }

    /// 400 `invalidFilter`, the detail carrying the stable code and position.
    pub fn invalid_filter(error: &ParseError) -> Self {
        ScimError::new(
            400,
            Some(ScimType::InvalidFilter),
            format!("{}: {error}", error.code()),
        )
    }
}

impl From<&PatchError> for ScimError {
    fn from(error: &PatchError) -> Self {
        ScimError::new(
            400,
            Some(error.scim_type()),
            format!("{}: {error}", error.code()),
        )
    }
}

impl From<&ValidationError> for ScimError {
    /// 400 with the error's `scimType`; the detail carries the stable code and the path, as in
    /// `SCIM-V004: emails[1].primary: expected a boolean, found a number`.
    fn from(error: &ValidationError) -> Self {
        ScimError::new(
            400,
            Some(error.scim_type()),
            format!("{}: {error}", error.code()),
        )
    }
}

/// A query result (RFC 7644 §3.4.2).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ListResponse<T> {
    #[serde(default)]
    pub schemas: Vec<String>,
    pub total_results: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_index: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub items_per_page: Option<u64>,
    #[serde(rename = "Resources", alias = "resources", default = "Vec::new")]
    pub resources: Vec<T>,
}

impl<T> ListResponse<T> {
    /// One page of `total_results`, starting at the 1-based `start_index`.
    pub fn new(resources: Vec<T>, total_results: u64, start_index: u64) -> Self {
        ListResponse {
            schemas: vec![urn::LIST_RESPONSE.to_owned()],
            total_results,
            start_index: Some(start_index),
            items_per_page: Some(resources.len() as u64),
            resources,
        }
    }
}

/// `sortOrder`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SortOrder {
    #[default]
    Ascending,
    Descending,
}

impl<'de> Deserialize<'de> for SortOrder {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        if text.eq_ignore_ascii_case("ascending") {
            Ok(SortOrder::Ascending)
        } else if text.eq_ignore_ascii_case("descending") {
            Ok(SortOrder::Descending)
        } else {
            Err(de::Error::custom(format!(
                "sortOrder must be \"ascending\" or \"descending\", not {text:?}"
            )))
        }
    }
}

/// A list of attribute names, as a JSON array or (sent by some clients) one comma-separated
/// string.
fn string_list<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Either {
        One(String),
        Many(Vec<String>),
    }
    Ok(match Option::<Either>::deserialize(d)? {
        None => Vec::new(),
        Some(Either::Many(v)) => v,
        Some(Either::One(s)) => s
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect(),
    })
}

/// The body of `POST /.search` (RFC 7644 §3.4.3); the same parameters as a GET query.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SearchRequest {
    #[serde(default)]
    pub schemas: Vec<String>,
    #[serde(
        default,
        deserialize_with = "string_list",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub attributes: Vec<String>,
    #[serde(
        default,
        deserialize_with = "string_list",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub excluded_attributes: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filter: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sort_by: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sort_order: Option<SortOrder>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_index: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<i64>,
}

impl SearchRequest {
    /// The 1-based start index; RFC 7644 §3.4.2.4: values below 1 are read as 1.
    pub fn start_index_or_default(&self) -> u64 {
        self.start_index
            .map_or(1, |i| u64::try_from(i.max(1)).unwrap_or(1))
    }

    /// The page size: negative is 0 (§3.4.2.4), missing is `default`, and never above `max`.
    pub fn count_or(&self, default: u64, max: u64) -> u64 {
        self.count
            .map_or(default, |c| u64::try_from(c.max(0)).unwrap_or(0))
            .min(max)
    }
}

/// Bulk operation methods; read in any case, written in capitals as in the RFC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum BulkMethod {
    Post,
    Put,
    Patch,
    Delete,
}

impl<'de> Deserialize<'de> for BulkMethod {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        match text.to_ascii_uppercase().as_str() {
            "POST" => Ok(BulkMethod::Post),
            "PUT" => Ok(BulkMethod::Put),
            "PATCH" => Ok(BulkMethod::Patch),
            "DELETE" => Ok(BulkMethod::Delete),
            _ => Err(de::Error::custom(format!(
                "method must be POST, PUT, PATCH or DELETE, not {text:?}"
            ))),
        }
    }
}

/// `POST /Bulk` (RFC 7644 §3.7).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BulkRequest {
    #[serde(default)]
    pub schemas: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fail_on_errors: Option<u32>,
    #[serde(rename = "Operations", alias = "operations")]
    pub operations: Vec<BulkOperation>,
}

/// One operation of a Bulk request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BulkOperation {
    pub method: BulkMethod,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bulk_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    pub path: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<Value>,
}

/// The answer to a Bulk request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BulkResponse {
    #[serde(default)]
    pub schemas: Vec<String>,
    #[serde(rename = "Operations", alias = "operations", default)]
    pub operations: Vec<BulkOperationResponse>,
}

/// The result of one Bulk operation; `response` holds a [`ScimError`] body on failure.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BulkOperationResponse {
    pub method: BulkMethod,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bulk_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
    #[serde(with = "status")]
    pub status: u16,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response: Option<Value>,
}

/// `{"supported": bool}` blocks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Supported {
    #[serde(default)]
    pub supported: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BulkSupport {
    #[serde(default)]
    pub supported: bool,
    #[serde(default)]
    pub max_operations: u64,
    #[serde(default)]
    pub max_payload_size: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FilterSupport {
    #[serde(default)]
    pub supported: bool,
    #[serde(default)]
    pub max_results: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthenticationScheme {
    #[serde(rename = "type")]
    pub kind: String,
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spec_uri: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub documentation_uri: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub primary: Option<bool>,
}

/// `GET /ServiceProviderConfig` (RFC 7643 §5). Missing blocks read as "not supported", which
/// is the safe assumption for the outbound client.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceProviderConfig {
    #[serde(default)]
    pub schemas: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub documentation_uri: Option<String>,
    #[serde(default)]
    pub patch: Supported,
    #[serde(default)]
    pub bulk: BulkSupport,
    #[serde(default)]
    pub filter: FilterSupport,
    #[serde(default)]
    pub change_password: Supported,
    #[serde(default)]
    pub sort: Supported,
    #[serde(default)]
    pub etag: Supported,
    #[serde(default)]
    pub authentication_schemes: Vec<AuthenticationScheme>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<Value>,
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn scim_error_round_trips_with_status_as_string() {
        let e = ScimError::new(400, Some(ScimType::InvalidFilter), "bad");
        let v = serde_json::to_value(&e).unwrap();
        assert_eq!(
            v,
            json!({"schemas": [urn::ERROR], "status": "400", "scimType": "invalidFilter", "detail": "bad"})
        );
        assert_eq!(serde_json::from_value::<ScimError>(v).unwrap(), e);
        // Sloppy peers: a number, an unknown scimType, no schemas.
        let e: ScimError =
            serde_json::from_value(json!({"status": 409, "scimType": "conflictish"})).unwrap();
        assert_eq!(e.status, 409);
        assert_eq!(e.scim_type, Some(ScimType::Other("conflictish".into())));
    }

    #[test]
    fn every_scim_type_round_trips() {
        for t in ScimType::ALL {
            let v = serde_json::to_value(&t).unwrap();
            assert_eq!(serde_json::from_value::<ScimType>(v).unwrap(), t);
        }
        assert_eq!(ScimType::from_text("NOTARGET"), ScimType::NoTarget);
    }

    #[test]
    fn list_response_shapes() {
        let page = ListResponse::new(vec![json!({"id": "1"})], 10, 1);
        assert_eq!(
            serde_json::to_value(&page).unwrap(),
            json!({"schemas": [urn::LIST_RESPONSE], "totalResults": 10, "startIndex": 1,
                   "itemsPerPage": 1, "Resources": [{"id": "1"}]})
        );
        // An empty result without Resources, as some servers send it.
        let empty: ListResponse<Value> =
            serde_json::from_value(json!({"schemas": [urn::LIST_RESPONSE], "totalResults": 0}))
                .unwrap();
        assert!(empty.resources.is_empty());
    }

    #[test]
    fn search_request_normalises_paging() {
        let r: SearchRequest = serde_json::from_value(json!({
            "schemas": [urn::SEARCH_REQUEST],
            "attributes": "displayName, userName",
            "excludedAttributes": ["members"],
            "filter": "displayName sw \"smith\"",
            "sortOrder": "Descending",
            "startIndex": 0,
            "count": -5
        }))
        .unwrap();
        assert_eq!(r.attributes, ["displayName", "userName"]);
        assert_eq!(r.excluded_attributes, ["members"]);
        assert_eq!(r.sort_order, Some(SortOrder::Descending));
        assert_eq!(r.start_index_or_default(), 1);
        assert_eq!(r.count_or(100, 1000), 0);
        assert_eq!(SearchRequest::default().count_or(100, 50), 50);
    }

    #[test]
    fn bulk_request_and_response_follow_rfc_7644_section_3_7() {
        let req: BulkRequest = serde_json::from_value(json!({
            "schemas": [urn::BULK_REQUEST],
            "failOnErrors": 1,
            "Operations": [
                {"method": "POST", "path": "/Users", "bulkId": "qwerty",
                 "data": {"schemas": [urn::USER], "userName": "Alice"}},
                {"method": "patch", "path": "/Groups/e9e30dba", "version": "W/\"4weymrEsh5O6cAEK\"",
                 "data": {"schemas": [urn::PATCH_OP], "Operations": []}},
                {"method": "DELETE", "path": "/Users/b7c14771"}
            ]
        }))
        .unwrap();
        assert_eq!(req.fail_on_errors, Some(1));
        assert_eq!(
            req.operations.iter().map(|o| o.method).collect::<Vec<_>>(),
            [BulkMethod::Post, BulkMethod::Patch, BulkMethod::Delete]
        );
        let resp = BulkResponse {
            schemas: vec![urn::BULK_RESPONSE.into()],
            operations: vec![BulkOperationResponse {
                method: BulkMethod::Post,
                bulk_id: Some("qwerty".into()),
                version: None,
                location: Some("https://example.com/v2/Users/92b725cd".into()),
                status: 201,
                response: None,
            }],
        };
        let v = serde_json::to_value(&resp).unwrap();
        assert_eq!(v["Operations"][0]["status"], json!("201"));
        assert_eq!(v["Operations"][0]["method"], json!("POST"));
        assert_eq!(serde_json::from_value::<BulkResponse>(v).unwrap(), resp);
    }

    #[test]
    fn service_provider_config_reads_partial_documents() {
        let c: ServiceProviderConfig = serde_json::from_value(json!({
            "schemas": [urn::SERVICE_PROVIDER_CONFIG],
            "patch": {"supported": true},
            "bulk": {"supported": true, "maxOperations": 1000, "maxPayloadSize": 1048576},
            "filter": {"supported": true, "maxResults": 200},
            "authenticationSchemes": [{"type": "oauthbearertoken", "name": "OAuth Bearer Token",
                                       "description": "Authentication scheme using the OAuth Bearer Token Standard",
                                       "primary": true}]
        }))
        .unwrap();
        assert!(c.patch.supported && c.bulk.supported && c.filter.supported);
        assert_eq!(c.bulk.max_operations, 1000);
        assert!(!c.etag.supported && !c.sort.supported);
        assert_eq!(c.authentication_schemes[0].kind, "oauthbearertoken");
    }
}
