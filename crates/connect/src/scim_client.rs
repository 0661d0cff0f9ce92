//! The SCIM 2.0 operations the provisioning engine sends: discover what the target supports,
//! find by a matching attribute, list, create, update (PATCH, or PUT where PATCH is not
//! supported), change group members in chunks, delete. One pooled keep-alive client per
//! target, shared by every task provisioning to it, which retries transient failures, honours
//! `Retry-After` for all its callers and adapts how many requests it has in flight
//! ([`ScimClient`] says exactly when). Every failure says what kind it is (authentication,
//! rate limited with the `Retry-After` asked for, conflict, the target's own fault,
//! transport) so the engine can retry later or quarantine, and never reads a 404/405/501 on
//! an update as "the object is gone".

use std::sync::{Arc, PoisonError, RwLock};
use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::Value;
use steward_scim::{PatchOperation, ServiceProviderConfig};

use crate::http::excerpt;
use crate::schema::TargetObject;
use crate::scim_options::ScimOptions;
use crate::scim_patch::{member_bodies, patch_body};
use crate::throttle::{backoff, parse_retry_after, ScimStats, Throttle};
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
    /// Another 4xx, or 501: the target refuses the request as sent (bad value, unsupported
    /// operation such as PATCH on a target without it).
    Rejected,
    /// 5xx but 501: the target's own failure.
    ServerError,
    /// A success status whose body is not the SCIM JSON expected.
    NotScim,
}

/// One failed operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpError {
    pub kind: OpErrorKind,
    pub status: Option<u16>,
    /// What the target asked for with `Retry-After` (seconds or an HTTP-date), or, for a
    /// request held back without being sent, how long is left of an earlier ask.
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

impl OpError {
    /// The error a non-success answer stands for.
    fn from_answer(status: u16, retry_after: Option<Duration>, body: &str) -> OpError {
        let parsed: Option<Value> = serde_json::from_str(body).ok();
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
            501 => OpErrorKind::Rejected,
            500..=599 => OpErrorKind::ServerError,
            _ => OpErrorKind::Rejected,
        };
        OpError {
            kind,
            status: Some(status),
            retry_after,
            scim_type: field("scimType"),
            detail: field("detail")
                .or_else(|| excerpt(body))
                .unwrap_or_else(|| format!("HTTP {status} with no body")),
        }
    }

    /// A request not sent because the target asked for none for `left` more.
    fn held_off(left: Duration) -> OpError {
        OpError {
            kind: OpErrorKind::RateLimited,
            status: None,
            retry_after: Some(left),
            scim_type: None,
            detail: format!(
                "not sent: the target asked for no requests for another {:.0} s (Retry-After)",
                left.as_secs_f64().ceil()
            ),
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

/// A client for one SCIM target, shared by every task that provisions to it: clones share the
/// connection pool, the discovered capabilities, the concurrency limit and the "not before"
/// instant a `Retry-After` set.
///
/// ## Retries
/// Each request is tried up to [`ScimOptions::max_attempts`] times:
/// - **429** (and a 503 with `Retry-After`): no request of any caller goes to the target
///   before the time asked for (seconds or an HTTP-date; without one, the backoff below);
///   then it is tried again. A wait longer than [`ScimOptions::max_retry_after_secs`] is not
///   waited out: the `RateLimited` error comes back with its `retry_after` at once.
/// - **5xx, timeouts, broken connections**: tried again after a jittered exponential backoff
///   (`backoff_base_ms` doubling, at most `backoff_cap_ms`).
/// - **401, 403, 404, 409, other 4xx, 501, a 2xx without SCIM JSON**: not tried again;
///   trying cannot change the answer.
/// - **POST (create)** is tried again only when the target surely did not act on it: the
///   connection could not be made, or it answered 429 or 503. After a timeout, a reset or
///   another 5xx the user may exist already, and a second POST could create a duplicate
///   (or a 409 that hides the first success); the engine's next cycle finds it by its
///   matching attribute instead. GET, PUT, DELETE and Steward's PATCH operations (replace,
///   add of listed values, remove by filter) give the same result when repeated.
///
/// When the tries are used up the last classified [`OpError`] is returned, `retry_after`
/// kept, for the engine to hold the work back.
///
/// ## Concurrency
/// At most a limit of requests are in flight; it starts at
/// [`ScimOptions::initial_concurrency`], grows by one after as many successes in a row as the
/// limit, up to [`ScimOptions::max_concurrency`], and halves on a 429, 5xx or timeout.
#[derive(Clone)]
pub struct ScimClient {
    inner: Arc<Inner>,
}

struct Inner {
    base: String,
    token: String,
    http: reqwest::Client,
    options: ScimOptions,
    /// What `/ServiceProviderConfig` said, once asked.
    discovered: RwLock<Option<Capabilities>>,
    throttle: Arc<Throttle>,
}

fn collection(object: TargetObject) -> &'static str {
    match object {
        TargetObject::Users => "Users",
        TargetObject::Groups => "Groups",
    }
}

/// One request, kept so that it can be sent again.
struct Call {
    method: Method,
    path: String,
    query: Vec<(&'static str, String)>,
    body: Option<String>,
}

impl Call {
    fn new(method: Method, path: String) -> Call {
        Call {
            method,
            path,
            query: Vec::new(),
            body: None,
        }
    }

    fn query(mut self, query: Vec<(&'static str, String)>) -> Call {
        self.query = query;
        self
    }

    fn body(mut self, body: &Value) -> Call {
        self.body = Some(body.to_string());
        self
    }
}

/// A failed try, and whether the target surely never saw the request.
struct Failed {
    error: OpError,
    unsent: bool,
}

/// Whether `failed` may be tried again with `method`; see [`ScimClient`].
fn retryable(method: &Method, failed: &Failed) -> bool {
    let e = &failed.error;
    match e.kind {
        OpErrorKind::RateLimited => true,
        OpErrorKind::ServerError if e.status == Some(503) => true,
        _ if failed.unsent => true,
        OpErrorKind::ServerError | OpErrorKind::Timeout | OpErrorKind::Transport => {
            *method != Method::POST
        }
        _ => false,
    }
}

/// The capabilities a `/ServiceProviderConfig` announces.
fn capabilities_from(config: &ServiceProviderConfig) -> Capabilities {
    let to_u32 = |n: u64| u32::try_from(n).unwrap_or(u32::MAX);
    Capabilities {
        patch: config.patch.supported,
        filter: config.filter.supported,
        bulk_max_operations: config
            .bulk
            .supported
            .then(|| to_u32(config.bulk.max_operations)),
        max_results: (config.filter.supported && config.filter.max_results > 0)
            .then(|| to_u32(config.filter.max_results)),
        groups: true,
    }
}

impl ScimClient {
    /// A client for the SCIM base URL (`https://app.example/scim/v2`) and bearer token, giving up
    /// on a request after `timeout`, with the other [`ScimOptions`] at their defaults.
    pub fn new(base_url: &str, token: &str, timeout: Duration) -> Result<ScimClient, OpError> {
        let timeout_ms = u64::try_from(timeout.as_millis()).unwrap_or(u64::MAX);
        ScimClient::with_options(
            base_url,
            token,
            ScimOptions {
                timeout_ms,
                ..ScimOptions::default()
            },
        )
    }

    /// A client with the application's settings. Connections are kept alive and reused.
    pub fn with_options(
        base_url: &str,
        token: &str,
        options: ScimOptions,
    ) -> Result<ScimClient, OpError> {
        let options = options.sane();
        let http = reqwest::Client::builder()
            .timeout(options.timeout())
            .connect_timeout(options.timeout())
            .pool_idle_timeout(Duration::from_secs(90))
            .pool_max_idle_per_host(options.max_concurrency)
            .build()
            .map_err(|e| OpError::transport(&e))?;
        Ok(ScimClient {
            inner: Arc::new(Inner {
                base: base_url.trim().trim_end_matches('/').to_string(),
                token: token.to_string(),
                http,
                throttle: Throttle::new(options.initial_concurrency, options.max_concurrency),
                options,
                discovered: RwLock::new(None),
            }),
        })
    }

    pub fn options(&self) -> &ScimOptions {
        &self.inner.options
    }

    /// The concurrency limit now and the counts of requests, retries and 429s so far.
    pub fn stats(&self) -> ScimStats {
        self.inner.throttle.stats()
    }

    /// Reads `GET /ServiceProviderConfig` (RFC 7643 §5) and keeps what it says; the answer is
    /// [`capabilities`](Connector::capabilities), the application's overrides applied. A
    /// target without one (404, 405, 501) is assumed to do what RFC 7644 targets do
    /// ([`Capabilities::default`]: PATCH and filters).
    /// The same target and token, for the diagnostics Test Connection and schema reading
    /// make (each failure classified, with what to do).
    fn diagnostics(&self) -> crate::ScimTarget {
        crate::ScimTarget::new(self.inner.base.clone(), self.inner.token.clone())
    }

    pub async fn discover(&self) -> Result<Capabilities, OpError> {
        let call = Call::new(Method::GET, "/ServiceProviderConfig".into());
        let discovered = match self.execute(&call, &[200]).await {
            Ok((status, body)) => {
                let config: ServiceProviderConfig =
                    serde_json::from_str(&body).map_err(|_| not_scim(status, &body))?;
                capabilities_from(&config)
            }
            Err(e) if matches!(e.status, Some(404 | 405 | 501)) => Capabilities::default(),
            Err(e) => return Err(e),
        };
        *self
            .inner
            .discovered
            .write()
            .unwrap_or_else(PoisonError::into_inner) = Some(discovered);
        Ok(self.effective_capabilities())
    }

    fn effective_capabilities(&self) -> Capabilities {
        let mut caps = self
            .inner
            .discovered
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
            .unwrap_or_default();
        if let Some(patch) = self.inner.options.patch {
            caps.patch = patch;
        }
        caps
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.inner.base)
    }

    /// Sends `call` with the retries, waits and limits described on [`ScimClient`]; a status
    /// outside `ok` becomes its [`OpError`].
    async fn execute(&self, call: &Call, ok: &[u16]) -> Result<(u16, String), OpError> {
        let options = &self.inner.options;
        let throttle = &self.inner.throttle;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let permit = throttle.acquire().await;
            if let Err(left) = throttle.wait_turn(options.max_retry_after()).await {
                return Err(OpError::held_off(left));
            }
            throttle.count_request();
            let failed = match self.send_once(call, ok).await {
                Ok(answer) => {
                    permit.succeeded();
                    return Ok(answer);
                }
                Err(failed) => failed,
            };
            let kind = failed.error.kind;
            if matches!(
                kind,
                OpErrorKind::RateLimited | OpErrorKind::ServerError | OpErrorKind::Timeout
            ) {
                permit.overloaded();
            } else {
                drop(permit);
            }
            // The target's own ask when it made one, else ours; a 429 or a Retry-After holds
            // back every caller, another failure only this one.
            let asked = failed.error.retry_after;
            let pause = asked
                .unwrap_or_else(|| backoff(attempt, options.backoff_base(), options.backoff_cap()));
            let for_everyone = kind == OpErrorKind::RateLimited || asked.is_some();
            if kind == OpErrorKind::RateLimited {
                throttle.count_throttled();
            }
            if for_everyone {
                throttle.hold_off(Instant::now() + pause);
            }
            if attempt >= options.max_attempts
                || !retryable(&call.method, &failed)
                || pause > options.max_retry_after()
            {
                return Err(failed.error);
            }
            throttle.count_retry();
            if !for_everyone {
                tokio::time::sleep(pause).await;
                throttle.add_waited(pause);
            }
        }
    }

    /// One try of `call`.
    async fn send_once(&self, call: &Call, ok: &[u16]) -> Result<(u16, String), Failed> {
        let mut request = self
            .inner
            .http
            .request(call.method.clone(), self.url(&call.path))
            .bearer_auth(&self.inner.token)
            .header("accept", "application/scim+json, application/json");
        if !call.query.is_empty() {
            request = request.query(&call.query);
        }
        if let Some(body) = &call.body {
            request = request
                .header("content-type", "application/scim+json")
                .body(body.clone());
        }
        let transport = |e: reqwest::Error| Failed {
            unsent: e.is_connect(),
            error: OpError::transport(&e),
        };
        let response = request.send().await.map_err(transport)?;
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| parse_retry_after(v, chrono::Utc::now()));
        let body = response.text().await.map_err(transport)?;
        if ok.contains(&status) {
            return Ok((status, body));
        }
        Err(Failed {
            error: OpError::from_answer(status, retry_after, &body),
            unsent: false,
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
        let call = Call::new(Method::GET, format!("/{}", collection(object))).query(vec![
            ("filter", filter_eq(attribute, value)),
            ("count", "2".into()),
        ]);
        let (status, body) = self.execute(&call, &[200]).await?;
        Ok(resources(&json(status, &body)?))
    }

    /// Creates the object; the target's answer (with its `id`). Tried again only where that
    /// cannot make a duplicate (see [`ScimClient`]).
    pub async fn create(&self, object: TargetObject, resource: &Value) -> Result<Value, OpError> {
        let call = Call::new(Method::POST, format!("/{}", collection(object))).body(resource);
        let (status, body) = self.execute(&call, &[200, 201]).await?;
        let created = json(status, &body)?;
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

    /// Applies PATCH operations (RFC 7644 §3.5.2), in the application's shapes; 200 and 204
    /// both succeed. A 404 stays a `NotFound` error: the engine decides what it means, never
    /// this client.
    pub async fn patch(
        &self,
        object: TargetObject,
        id: &str,
        operations: &[PatchOperation],
    ) -> Result<(), OpError> {
        let body = patch_body(operations, self.inner.options.legacy_shapes);
        self.send_patch(object, id, &body).await
    }

    async fn send_patch(
        &self,
        object: TargetObject,
        id: &str,
        body: &Value,
    ) -> Result<(), OpError> {
        let call = Call::new(
            Method::PATCH,
            format!("/{}/{}", collection(object), encode(id)),
        )
        .body(body);
        self.execute(&call, &[200, 204]).await.map(|_| ())
    }

    /// Replaces the whole object (RFC 7644 §3.5.1), for targets without PATCH; `resource`
    /// gets `id` set. 200 and 204 succeed; a 404 is a `NotFound` error.
    pub async fn put(
        &self,
        object: TargetObject,
        id: &str,
        resource: &Value,
    ) -> Result<(), OpError> {
        let mut resource = resource.clone();
        if let Some(map) = resource.as_object_mut() {
            map.insert("id".into(), Value::from(id));
        }
        let call = Call::new(
            Method::PUT,
            format!("/{}/{}", collection(object), encode(id)),
        )
        .body(&resource);
        self.execute(&call, &[200, 204]).await.map(|_| ())
    }

    /// Reads one object.
    pub async fn get(&self, object: TargetObject, id: &str) -> Result<Value, OpError> {
        let call = Call::new(
            Method::GET,
            format!("/{}/{}", collection(object), encode(id)),
        );
        let (status, body) = self.execute(&call, &[200]).await?;
        json(status, &body)
    }

    /// Deletes the object: `true` when deleted now, `false` when it was already gone (404,
    /// also when a retried DELETE finds the first one did it).
    pub async fn delete(&self, object: TargetObject, id: &str) -> Result<bool, OpError> {
        let call = Call::new(
            Method::DELETE,
            format!("/{}/{}", collection(object), encode(id)),
        );
        match self.execute(&call, &[200, 204]).await {
            Ok(_) => Ok(true),
            Err(e) if e.kind == OpErrorKind::NotFound => Ok(false),
            Err(e) => Err(e),
        }
    }
}

fn not_scim(status: u16, body: &str) -> OpError {
    OpError {
        kind: OpErrorKind::NotScim,
        status: Some(status),
        retry_after: None,
        scim_type: None,
        detail: format!(
            "answered {status} without SCIM JSON: {}",
            excerpt(body).unwrap_or_default()
        ),
    }
}

fn json(status: u16, body: &str) -> Result<Value, OpError> {
    serde_json::from_str(body).map_err(|_| not_scim(status, body))
}

fn resources(list: &Value) -> Vec<Value> {
    list.get("Resources")
        .and_then(|r| r.as_array())
        .cloned()
        .unwrap_or_default()
}

#[async_trait::async_trait]
impl Connector for ScimClient {
    fn capabilities(&self) -> Capabilities {
        self.effective_capabilities()
    }

    async fn discover(&self) -> Result<Capabilities, OpError> {
        ScimClient::discover(self).await
    }

    /// `GET /Users?filter={matching} eq "<a fresh random value>"`, expecting a SCIM list (see
    /// [`crate::ScimTarget::test_connection`]).
    async fn test_connection(&self, matching: &str) -> Result<crate::Success, crate::Failure> {
        let probe = format!(
            "steward-test-{:x}",
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos())
        );
        self.diagnostics().test_connection(matching, &probe).await
    }

    async fn discover_schema(&self) -> Result<Option<crate::TargetSchema>, crate::Failure> {
        self.diagnostics().read_schemas().await.map(Some)
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
        let call = Call::new(Method::GET, format!("/{}", collection(object))).query(vec![
            ("startIndex", start_index.to_string()),
            ("count", count.to_string()),
        ]);
        let (status, body) = self.execute(&call, &[200]).await?;
        let list = json(status, &body)?;
        Ok(ListPage {
            resources: resources(&list),
            total: list.get("totalResults").and_then(|t| t.as_u64()),
        })
    }

    async fn create(&self, object: TargetObject, resource: &Value) -> Result<Value, OpError> {
        ScimClient::create(self, object, resource).await
    }

    /// PATCH with `operations` when the target takes PATCH, else PUT of `resource`. Nothing
    /// changed, nothing sent.
    async fn update(
        &self,
        object: TargetObject,
        id: &str,
        operations: &[PatchOperation],
        resource: &Value,
    ) -> Result<(), OpError> {
        if operations.is_empty() {
            return Ok(());
        }
        if self.effective_capabilities().patch {
            self.patch(object, id, operations).await
        } else {
            self.put(object, id, resource).await
        }
    }

    async fn delete(&self, object: TargetObject, id: &str) -> Result<bool, OpError> {
        ScimClient::delete(self, object, id).await
    }

    /// PATCH requests of at most [`ScimOptions::member_chunk`] members each, one after the
    /// other; the first failure stops and is returned (adding a member twice or removing one
    /// already gone is harmless, so the engine may send the whole change again).
    async fn change_members(
        &self,
        group_id: &str,
        add: &[String],
        remove: &[String],
    ) -> Result<(), OpError> {
        let options = &self.inner.options;
        for body in member_bodies(add, remove, options.member_chunk, options.legacy_shapes) {
            self.send_patch(TargetObject::Groups, group_id, &body)
                .await?;
        }
        Ok(())
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
