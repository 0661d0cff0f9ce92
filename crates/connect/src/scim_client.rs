//! The SCIM 2.0 operations the provisioning engine sends: find by a matching attribute,
//! create, PATCH, delete. One pooled keep-alive client per target. Every failure says what
//! kind it is (authentication, rate limited with the `Retry-After` asked for, conflict, the
//! target's own fault, transport) so the engine can retry, back off or quarantine, and never
//! reads a 404/405/501 on an update as "the object is gone".

use std::time::Duration;

use serde_json::Value;
use steward_scim::PatchOperation;

use crate::http::excerpt;
use crate::schema::TargetObject;
use crate::{Capabilities, Connector, ListPage};

/// What kind of failure an operation met.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpErrorKind {
    /// The URL does not parse, or DNS, connect, TLS or the connection failed.
    Transport,
    Timeout,
    /// 401 or 403: the credentials are wrong, expired or lack rights.
    Authentication,
    /// 404 for the object addressed.
    NotFound,
    /// 409: uniqueness (the object exists already) or a version clash.
    Conflict,
    /// 429: the target asks to slow down (see `retry_after`).
    RateLimited,
    /// Another 4xx: the target refuses the request as sent (bad value, unsupported operation).
    Rejected,
    /// 5xx: the target's own failure.
    ServerError,
    /// A success status whose body is not the SCIM JSON expected.
    NotScim,
}

/// One failed operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpError {
    pub kind: OpErrorKind,
    pub status: Option<u16>,
    /// What the target asked for with `Retry-After` (seconds form).
    pub retry_after: Option<Duration>,
    /// The SCIM `scimType` of the error body, e.g. `uniqueness`, `invalidValue`.
    pub scim_type: Option<String>,
    /// The target's `detail` or the start of its body, or the transport error.
    pub detail: String,
}

impl OpError {
    /// Whether trying again later may succeed without anyone changing anything.
    pub fn is_transient(&self) -> bool {
        matches!(
            self.kind,
            OpErrorKind::Transport
                | OpErrorKind::Timeout
                | OpErrorKind::RateLimited
                | OpErrorKind::ServerError
        )
    }

    fn transport(e: &reqwest::Error) -> OpError {
        OpError {
            kind: if e.is_timeout() {
                OpErrorKind::Timeout
            } else {
                OpErrorKind::Transport
            },
            status: None,
            retry_after: None,
            scim_type: None,
            detail: e.to_string(),
        }
    }
}

impl std::fmt::Display for OpError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.status {
            Some(s) => write!(f, "{:?} ({s}): {}", self.kind, self.detail),
            None => write!(f, "{:?}: {}", self.kind, self.detail),
        }
    }
}

impl std::error::Error for OpError {}

/// `attribute eq "value"` with the value quoted and escaped as a JSON string (RFC 7644 §3.4.2.2
/// takes JSON string literals), so quotes and backslashes in a user name cannot break out.
pub fn filter_eq(attribute: &str, value: &str) -> String {
    format!("{attribute} eq {}", Value::String(value.to_string()))
}

/// A pooled client for one SCIM target.
#[derive(Clone)]
pub struct ScimClient {
    base: String,
    token: String,
    http: reqwest::Client,
}

fn collection(object: TargetObject) -> &'static str {
    match object {
        TargetObject::Users => "Users",
        TargetObject::Groups => "Groups",
    }
}

impl ScimClient {
    /// A client for the SCIM base URL (`https://app.example/scim/v2`) and bearer token, giving up
    /// on a request after `timeout`. Connections are kept alive and reused.
    pub fn new(base_url: &str, token: &str, timeout: Duration) -> Result<ScimClient, OpError> {
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout)
            .pool_idle_timeout(Duration::from_secs(90))
            .build()
            .map_err(|e| OpError::transport(&e))?;
        Ok(ScimClient {
            base: base_url.trim().trim_end_matches('/').to_string(),
            token: token.to_string(),
            http,
        })
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.http
            .request(method, self.url(path))
            .bearer_auth(&self.token)
            .header("accept", "application/scim+json, application/json")
    }

    /// Sends and reads the answer; a status outside `ok` becomes its [`OpError`].
    async fn send(
        &self,
        request: reqwest::RequestBuilder,
        ok: &[u16],
    ) -> Result<(u16, String), OpError> {
        let response = request.send().await.map_err(|e| OpError::transport(&e))?;
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        let body = response.text().await.map_err(|e| OpError::transport(&e))?;
        if ok.contains(&status) {
            return Ok((status, body));
        }
        let parsed: Option<Value> = serde_json::from_str(&body).ok();
        let field = |k: &str| {
            parsed
                .as_ref()
                .and_then(|v| v.get(k))
                .and_then(|v| v.as_str())
                .map(str::to_string)
        };
        let kind = match status {
            401 | 403 => OpErrorKind::Authentication,
            404 => OpErrorKind::NotFound,
            409 => OpErrorKind::Conflict,
            429 => OpErrorKind::RateLimited,
            500..=599 => OpErrorKind::ServerError,
            _ => OpErrorKind::Rejected,
        };
        Err(OpError {
            kind,
            status: Some(status),
            retry_after,
            scim_type: field("scimType"),
            detail: field("detail")
                .or_else(|| excerpt(&body))
                .unwrap_or_else(|| format!("HTTP {status} with no body")),
        })
    }

    fn json(status: u16, body: &str) -> Result<Value, OpError> {
        serde_json::from_str(body).map_err(|_| OpError {
            kind: OpErrorKind::NotScim,
            status: Some(status),
            retry_after: None,
            scim_type: None,
            detail: format!(
                "answered {status} without SCIM JSON: {}",
                excerpt(body).unwrap_or_default()
            ),
        })
    }

    /// The objects whose `attribute` equals `value` (at most two are asked for: more than one
    /// match is the caller's ambiguity to report).
    pub async fn find(
        &self,
        object: TargetObject,
        attribute: &str,
        value: &str,
    ) -> Result<Vec<Value>, OpError> {
        let filter = filter_eq(attribute, value);
        let request = self
            .request(reqwest::Method::GET, &format!("/{}", collection(object)))
            .query(&[("filter", filter.as_str()), ("count", "2")]);
        let (status, body) = self.send(request, &[200]).await?;
        let list = Self::json(status, &body)?;
        Ok(list
            .get("Resources")
            .and_then(|r| r.as_array())
            .cloned()
            .unwrap_or_default())
    }

    /// Creates the object; the target's answer (with its `id`).
    pub async fn create(&self, object: TargetObject, resource: &Value) -> Result<Value, OpError> {
        let request = self
            .request(reqwest::Method::POST, &format!("/{}", collection(object)))
            .header("content-type", "application/scim+json")
            .body(resource.to_string());
        let (status, body) = self.send(request, &[200, 201]).await?;
        let created = Self::json(status, &body)?;
        if created.get("id").and_then(|v| v.as_str()).is_none() {
            return Err(OpError {
                kind: OpErrorKind::NotScim,
                status: Some(status),
                retry_after: None,
                scim_type: None,
                detail: "the created resource has no id".into(),
            });
        }
        Ok(created)
    }

    /// Applies PATCH operations (RFC 7644 §3.5.2); 200 and 204 both succeed. A 404 stays a
    /// `NotFound` error: the engine decides what it means, never this client.
    pub async fn patch(
        &self,
        object: TargetObject,
        id: &str,
        operations: &[PatchOperation],
    ) -> Result<(), OpError> {
        let body = serde_json::json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": operations,
        });
        let request = self
            .request(
                reqwest::Method::PATCH,
                &format!("/{}/{}", collection(object), encode(id)),
            )
            .header("content-type", "application/scim+json")
            .body(body.to_string());
        self.send(request, &[200, 204]).await.map(|_| ())
    }

    /// Reads one object.
    pub async fn get(&self, object: TargetObject, id: &str) -> Result<Value, OpError> {
        let request = self.request(
            reqwest::Method::GET,
            &format!("/{}/{}", collection(object), encode(id)),
        );
        let (status, body) = self.send(request, &[200]).await?;
        Self::json(status, &body)
    }

    /// Deletes the object: `true` when deleted now, `false` when it was already gone (404).
    pub async fn delete(&self, object: TargetObject, id: &str) -> Result<bool, OpError> {
        let request = self.request(
            reqwest::Method::DELETE,
            &format!("/{}/{}", collection(object), encode(id)),
        );
        match self.send(request, &[200, 204]).await {
            Ok(_) => Ok(true),
            Err(e) if e.kind == OpErrorKind::NotFound => Ok(false),
            Err(e) => Err(e),
        }
    }
}

#[async_trait::async_trait]
impl Connector for ScimClient {
    fn capabilities(&self) -> Capabilities {
        Capabilities::default()
    }

    async fn find(
        &self,
        object: TargetObject,
        attribute: &str,
        value: &str,
    ) -> Result<Vec<Value>, OpError> {
        ScimClient::find(self, object, attribute, value).await
    }

    async fn list(
        &self,
        object: TargetObject,
        start_index: u64,
        count: u32,
    ) -> Result<ListPage, OpError> {
        let request = self
            .request(reqwest::Method::GET, &format!("/{}", collection(object)))
            .query(&[
                ("startIndex", start_index.to_string()),
                ("count", count.to_string()),
            ]);
        let (status, body) = self.send(request, &[200]).await?;
        let list = Self::json(status, &body)?;
        Ok(ListPage {
            resources: list
                .get("Resources")
                .and_then(|r| r.as_array())
                .cloned()
                .unwrap_or_default(),
            total: list.get("totalResults").and_then(|t| t.as_u64()),
        })
    }

    async fn create(&self, object: TargetObject, resource: &Value) -> Result<Value, OpError> {
        ScimClient::create(self, object, resource).await
    }

    async fn update(
        &self,
        object: TargetObject,
        id: &str,
        operations: &[PatchOperation],
        _resource: &Value,
    ) -> Result<(), OpError> {
        self.patch(object, id, operations).await
    }

    async fn delete(&self, object: TargetObject, id: &str) -> Result<bool, OpError> {
        ScimClient::delete(self, object, id).await
    }

    async fn change_members(
        &self,
        group_id: &str,
        add: &[String],
        remove: &[String],
    ) -> Result<(), OpError> {
        let members = |ids: &[String]| {
            Value::Array(
                ids.iter()
                    .map(|id| serde_json::json!({"value": id}))
                    .collect(),
            )
        };
        let mut operations = Vec::new();
        if !add.is_empty() {
            operations
                .push(serde_json::json!({"op": "add", "path": "members", "value": members(add)}));
        }
        for id in remove {
            operations.push(serde_json::json!({"op": "remove", "path": format!("members[value eq {}]", Value::String(id.clone()))}));
        }
        if operations.is_empty() {
            return Ok(());
        }
        let body = serde_json::json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": operations,
        });
        let request = self
            .request(
                reqwest::Method::PATCH,
                &format!("/Groups/{}", encode(group_id)),
            )
            .header("content-type", "application/scim+json")
            .body(body.to_string());
        self.send(request, &[200, 204]).await.map(|_| ())
    }
}

/// Percent-encodes an id for a path segment.
fn encode(id: &str) -> String {
    id.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_quote_and_escape_the_value() {
        assert_eq!(filter_eq("userName", "ada"), r#"userName eq "ada""#);
        assert_eq!(
            filter_eq("userName", r#"o"brien\x"#),
            r#"userName eq "o\"brien\\x""#
        );
        // The escaped filter parses back to the same value.
        let parsed = steward_scim::Filter::parse(&filter_eq("userName", "a\"b")).unwrap();
        assert!(parsed.to_string().contains(r#"a\"b"#), "{parsed}");
    }

    #[test]
    fn ids_are_encoded_for_the_path() {
        assert_eq!(encode("a b/c"), "a%20b%2Fc");
        assert_eq!(encode("3f2a-9"), "3f2a-9");
    }
}
