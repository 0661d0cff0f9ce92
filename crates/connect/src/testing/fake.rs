//! [`FakeScim`]: an in-memory SCIM 2.0 target for tests and benchmarks, fast (HashMaps
//! behind a mutex, no disk) and able to misbehave on request: fail, throttle, answer slowly,
//! refuse PATCH. Filters and PATCH are evaluated by `steward_scim` with the core schema, so
//! it accepts what Steward's own SCIM server accepts, Entra's legacy shapes included.
//!
//! It is a test double, not a SCIM server: one token, Users and Groups without schema
//! validation, no `groups` back-references, no ETags.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};
use steward_scim::{urn, CompValue, CompareOp, CoreSchema, Filter, PatchOp, ScimError, ScimType};

/// The path every resource lives under: the client's base URL is `{origin}/scim/v2`.
const BASE: &str = "/scim/v2";
/// The most resources one list page holds.
const MAX_RESULTS: usize = 200;

/// One request as the fake received it.
#[derive(Debug, Clone)]
pub struct FakeRequest {
    pub method: String,
    /// The path after `/scim/v2`, e.g. `/Users/00000001`.
    pub path: String,
    /// The raw query string, percent-encoded.
    pub query: String,
    pub at: Instant,
    /// The JSON body, when there was one.
    pub body: Option<Value>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Users,
    Groups,
}

impl Kind {
    /// The attribute that must be unique (case-insensitively).
    fn unique(self) -> &'static str {
        match self {
            Kind::Users => "userName",
            Kind::Groups => "displayName",
        }
    }

    fn resource_type(self) -> &'static str {
        match self {
            Kind::Users => "User",
            Kind::Groups => "Group",
        }
    }
}

#[derive(Default)]
struct Collection {
    by_id: BTreeMap<String, Value>,
    /// Lower-cased unique attribute → id.
    by_unique: HashMap<String, String>,
}

impl Collection {
    fn key(kind: Kind, resource: &Value) -> Option<String> {
        resource
            .get(kind.unique())
            .and_then(Value::as_str)
            .map(str::to_lowercase)
    }

    /// Whether another resource than `id` holds `resource`'s unique value.
    fn clashes(&self, kind: Kind, resource: &Value, id: Option<&str>) -> bool {
        Self::key(kind, resource)
            .and_then(|k| self.by_unique.get(&k))
            .is_some_and(|holder| Some(holder.as_str()) != id)
    }

    fn put(&mut self, kind: Kind, id: String, resource: Value) {
        if let Some(old) = self.by_id.get(&id).and_then(|old| Self::key(kind, old)) {
            self.by_unique.remove(&old);
        }
        if let Some(key) = Self::key(kind, &resource) {
            self.by_unique.insert(key, id.clone());
        }
        self.by_id.insert(id, resource);
    }

    fn remove(&mut self, kind: Kind, id: &str) -> bool {
        match self.by_id.remove(id) {
            Some(old) => {
                if let Some(key) = Self::key(kind, &old) {
                    self.by_unique.remove(&key);
                }
                true
            }
            None => false,
        }
    }
}

#[derive(Default)]
struct Store {
    users: Collection,
    groups: Collection,
    next_id: u64,
}

impl Store {
    fn of(&mut self, kind: Kind) -> &mut Collection {
        match kind {
            Kind::Users => &mut self.users,
            Kind::Groups => &mut self.groups,
        }
    }
}

struct Faults {
    /// Answer the next `.0` requests with status `.1`.
    fail: (u32, u16),
    /// Answer the next `.0` requests with 429 and `Retry-After: .1`.
    throttle: (u32, u64),
    delay: Duration,
    patch_supported: bool,
}

struct Shared {
    token: String,
    store: Mutex<Store>,
    faults: Mutex<Faults>,
    log: Mutex<Vec<FakeRequest>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A running fake target; stopped when dropped.
pub struct FakeScim {
    /// The SCIM base URL, e.g. `http://127.0.0.1:PORT/scim/v2`.
    pub url: String,
    shared: Arc<Shared>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for FakeScim {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl FakeScim {
    /// Starts one on a free port of 127.0.0.1, accepting `Bearer {token}`, in a task of the
    /// current tokio runtime.
    ///
    /// # Panics
    /// When no port can be bound.
    #[allow(clippy::expect_used)]
    pub async fn start(token: &str) -> FakeScim {
        let shared = Arc::new(Shared {
            token: token.to_string(),
            store: Mutex::new(Store::default()),
            faults: Mutex::new(Faults {
                fail: (0, 500),
                throttle: (0, 0),
                delay: Duration::ZERO,
                patch_supported: true,
            }),
            log: Mutex::new(Vec::new()),
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind 127.0.0.1:0");
        let port = listener.local_addr().expect("local address").port();
        let app = axum::Router::new()
            .fallback(handle)
            .with_state(shared.clone());
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        FakeScim {
            url: format!("http://127.0.0.1:{port}{BASE}"),
            shared,
            task,
        }
    }

    /// Answers the next `n` requests with `status` (and a SCIM error body).
    pub fn fail_next(&self, n: u32, status: u16) {
        lock(&self.shared.faults).fail = (n, status);
    }

    /// Answers the next `n` requests with 429 and `Retry-After: {retry_after_secs}`.
    pub fn throttle_next(&self, n: u32, retry_after_secs: u64) {
        lock(&self.shared.faults).throttle = (n, retry_after_secs);
    }

    /// Waits this long before answering each request (zero: no delay).
    pub fn delay(&self, delay: Duration) {
        lock(&self.shared.faults).delay = delay;
    }

    /// `false`: PATCH answers 501 and `/ServiceProviderConfig` says it is not supported.
    pub fn set_patch_supported(&self, supported: bool) {
        lock(&self.shared.faults).patch_supported = supported;
    }

    /// The users stored, in id order.
    pub fn users(&self) -> Vec<Value> {
        lock(&self.shared.store)
            .users
            .by_id
            .values()
            .cloned()
            .collect()
    }

    /// The groups stored, in id order.
    pub fn groups(&self) -> Vec<Value> {
        lock(&self.shared.store)
            .groups
            .by_id
            .values()
            .cloned()
            .collect()
    }

    /// Every request received so far, in order of arrival.
    pub fn requests(&self) -> Vec<FakeRequest> {
        lock(&self.shared.log).clone()
    }

    /// How many requests with `method` (`"PATCH"`) were received.
    pub fn count(&self, method: &str) -> usize {
        lock(&self.shared.log)
            .iter()
            .filter(|r| r.method.eq_ignore_ascii_case(method))
            .count()
    }

    /// Forgets the requests received so far.
    pub fn clear_requests(&self) {
        lock(&self.shared.log).clear();
    }
}

fn scim(status: StatusCode, body: &Value) -> Response {
    (
        status,
        [("content-type", "application/scim+json")],
        body.to_string(),
    )
        .into_response()
}

fn error(status: u16, scim_type: Option<ScimType>, detail: impl Into<String>) -> Response {
    let body = serde_json::to_value(ScimError::new(status, scim_type, detail)).unwrap_or_default();
    scim(
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        &body,
    )
}

async fn handle(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri
        .path()
        .strip_prefix(BASE)
        .unwrap_or(uri.path())
        .to_string();
    let body: Option<Value> = serde_json::from_slice(&body).ok();
    lock(&shared.log).push(FakeRequest {
        method: method.to_string(),
        path: path.clone(),
        query: uri.query().unwrap_or_default().to_string(),
        at: Instant::now(),
        body: body.clone(),
    });
    // Answered first and delivered late, as a slow target does: a client that gave up
    // waiting does not undo what the request did.
    let response = answer(&shared, &method, &uri, &path, &headers, body);
    let delay = lock(&shared.faults).delay;
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    response
}

fn answer(
    shared: &Shared,
    method: &Method,
    uri: &Uri,
    path: &str,
    headers: &HeaderMap,
    body: Option<Value>,
) -> Response {
    let authorized = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.strip_prefix("Bearer ") == Some(shared.token.as_str()));
    if !authorized {
        return error(401, None, "missing or wrong bearer token");
    }
    {
        let mut faults = lock(&shared.faults);
        if faults.throttle.0 > 0 {
            faults.throttle.0 -= 1;
            let mut response = error(429, None, "slow down");
            if let Ok(v) = faults.throttle.1.to_string().parse() {
                response.headers_mut().insert("retry-after", v);
            }
            return response;
        }
        if faults.fail.0 > 0 {
            faults.fail.0 -= 1;
            return error(faults.fail.1, None, "injected failure");
        }
    }
    let patch_supported = lock(&shared.faults).patch_supported;
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    let kind = match segments.first() {
        Some(&"Users") => Kind::Users,
        Some(&"Groups") => Kind::Groups,
        Some(&"ServiceProviderConfig") if segments.len() == 1 && method == Method::GET => {
            return scim(StatusCode::OK, &service_provider_config(patch_supported));
        }
        _ => return error(404, None, format!("no endpoint {path}")),
    };
    let mut store = lock(&shared.store);
    match (segments.get(1), method.clone()) {
        (None, Method::GET) => {
            let query = Query::<HashMap<String, String>>::try_from_uri(uri)
                .map(|q| q.0)
                .unwrap_or_default();
            list(store.of(kind), kind, &query)
        }
        (None, Method::POST) => create(&mut store, kind, body),
        (Some(id), Method::GET) => match store.of(kind).by_id.get(*id) {
            Some(resource) => scim(StatusCode::OK, resource),
            None => error(404, None, format!("no resource {id}")),
        },
        (Some(id), Method::PATCH) if patch_supported => patch(store.of(kind), kind, id, body),
        (Some(_), Method::PATCH) => error(501, None, "PATCH is not supported"),
        (Some(id), Method::PUT) => replace(store.of(kind), kind, id, body),
        (Some(id), Method::DELETE) => {
            if store.of(kind).remove(kind, id) {
                StatusCode::NO_CONTENT.into_response()
            } else {
                error(404, None, format!("no resource {id}"))
            }
        }
        _ => error(405, None, "method not allowed"),
    }
}

fn service_provider_config(patch: bool) -> Value {
    json!({
        "schemas": [urn::SERVICE_PROVIDER_CONFIG],
        "patch": {"supported": patch},
        "bulk": {"supported": false, "maxOperations": 0, "maxPayloadSize": 0},
        "filter": {"supported": true, "maxResults": MAX_RESULTS},
        "changePassword": {"supported": false},
        "sort": {"supported": false},
        "etag": {"supported": false},
        "authenticationSchemes": [{"type": "oauthbearertoken", "name": "OAuth Bearer Token",
                                   "description": "Bearer token"}],
    })
}

fn list(collection: &Collection, kind: Kind, query: &HashMap<String, String>) -> Response {
    let filter = match query.get("filter").map(|f| Filter::parse(f)) {
        None => None,
        Some(Ok(f)) => Some(f),
        Some(Err(e)) => return error(400, Some(ScimType::InvalidFilter), e.to_string()),
    };
    let matching: Vec<&Value> = match &filter {
        // The lookups a provisioning cycle makes most, answered from the index.
        Some(Filter::Compare {
            path,
            op: CompareOp::Eq,
            value: CompValue::String(v),
        }) if path.urn.is_none() && path.sub_attr.is_none() && path.name == "id" => {
            collection.by_id.get(v).into_iter().collect()
        }
        Some(Filter::Compare {
            path,
            op: CompareOp::Eq,
            value: CompValue::String(v),
        }) if path.urn.is_none()
            && path.sub_attr.is_none()
            && path.name.eq_ignore_ascii_case(kind.unique()) =>
        {
            collection
                .by_unique
                .get(&v.to_lowercase())
                .and_then(|id| collection.by_id.get(id))
                .into_iter()
                .collect()
        }
        Some(f) => collection
            .by_id
            .values()
            .filter(|r| f.matches(r, &CoreSchema))
            .collect(),
        None => collection.by_id.values().collect(),
    };
    let number = |k: &str| query.get(k).and_then(|v| v.parse::<usize>().ok());
    let start = number("startIndex").unwrap_or(1).max(1);
    let count = number("count").unwrap_or(MAX_RESULTS).min(MAX_RESULTS);
    let page: Vec<&Value> = matching
        .iter()
        .skip(start - 1)
        .take(count)
        .copied()
        .collect();
    scim(
        StatusCode::OK,
        &json!({
            "schemas": [urn::LIST_RESPONSE],
            "totalResults": matching.len(),
            "startIndex": start,
            "itemsPerPage": page.len(),
            "Resources": page,
        }),
    )
}

fn now() -> String {
    chrono::Utc::now().to_rfc3339()
}

fn create(store: &mut Store, kind: Kind, body: Option<Value>) -> Response {
    let Some(mut resource) = body.filter(|b| b.get(kind.unique()).is_some_and(Value::is_string))
    else {
        return error(
            400,
            Some(ScimType::InvalidValue),
            format!("{} is required", kind.unique()),
        );
    };
    if store.of(kind).clashes(kind, &resource, None) {
        return error(
            409,
            Some(ScimType::Uniqueness),
            format!("{} is taken", kind.unique()),
        );
    }
    store.next_id += 1;
    let id = format!("{:08}", store.next_id);
    resource["id"] = Value::from(id.clone());
    resource["meta"] = json!({
        "resourceType": kind.resource_type(),
        "created": now(),
        "lastModified": now(),
    });
    store.of(kind).put(kind, id, resource.clone());
    scim(StatusCode::CREATED, &resource)
}

fn patch(collection: &mut Collection, kind: Kind, id: &str, body: Option<Value>) -> Response {
    let Some(mut resource) = collection.by_id.get(id).cloned() else {
        return error(404, None, format!("no resource {id}"));
    };
    let mut request: PatchOp = match body.map(serde_json::from_value) {
        Some(Ok(r)) => r,
        Some(Err(e)) => return error(400, Some(ScimType::InvalidSyntax), e.to_string()),
        None => return error(400, Some(ScimType::InvalidSyntax), "no JSON body"),
    };
    request.normalize(&CoreSchema);
    if let Err(e) = request.apply(&mut resource, &CoreSchema) {
        return error(400, Some(e.scim_type()), e.to_string());
    }
    store_updated(collection, kind, id, resource)
}

fn replace(collection: &mut Collection, kind: Kind, id: &str, body: Option<Value>) -> Response {
    let Some(old) = collection.by_id.get(id) else {
        return error(404, None, format!("no resource {id}"));
    };
    let meta = old.get("meta").cloned().unwrap_or(Value::Null);
    let Some(mut resource) = body.filter(|b| b.get(kind.unique()).is_some_and(Value::is_string))
    else {
        return error(
            400,
            Some(ScimType::InvalidValue),
            format!("{} is required", kind.unique()),
        );
    };
    resource["id"] = Value::from(id);
    resource["meta"] = meta;
    store_updated(collection, kind, id, resource)
}

fn store_updated(
    collection: &mut Collection,
    kind: Kind,
    id: &str,
    mut resource: Value,
) -> Response {
    if collection.clashes(kind, &resource, Some(id)) {
        return error(
            409,
            Some(ScimType::Uniqueness),
            format!("{} is taken", kind.unique()),
        );
    }
    if let Some(meta) = resource.get_mut("meta").and_then(Value::as_object_mut) {
        meta.insert("lastModified".into(), Value::from(now()));
    }
    collection.put(kind, id.to_string(), resource.clone());
    scim(StatusCode::OK, &resource)
}
