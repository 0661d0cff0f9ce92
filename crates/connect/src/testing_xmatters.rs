//! Test support (feature `testing`): a fake xMatters instance, the few REST API endpoints
//! Steward uses (`/api/xm/1`), served on a free local port from its own thread until dropped.
//! Used by this crate's tests and by the engine's end-to-end tests.
//!
//! It follows xMatters' public REST API documentation as far as Steward relies on it: HTTP
//! Basic authentication (401 otherwise); people listed in pages (`{count, total, data, links}`
//! with `limit` and `offset`), read by id or targetName, created by `POST /people` (which needs
//! targetName, firstName, lastName and at least one role; a taken targetName is a 409) and
//! modified by `POST /people` with an `id`, deleted by id; e-mail devices created and modified
//! by `POST /devices`, listed per person, deleted by id; errors shaped
//! `{"code": …, "reason": …, "message": …}`. Where the real API's behaviour is not known
//! (unknown fields refused, case-insensitive targetNames, one device name per person), the fake
//! is strict, so that a connector relying on leniency fails here first.
//!
//! ```no_run
//! # use steward_connect::testing_xmatters::FakeXmatters;
//! let fake = FakeXmatters::start("steward-admin", "password");
//! // … point a connector at fake.url, then look at fake.people() and fake.devices().
//! ```

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};

use axum::extract::{Path, Query, Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine as _;
use serde_json::{json, Map, Value};

const API: &str = "/api/xm/1";

/// The person fields the fake accepts in `POST /people`; anything else is a 400. The real API's
/// list is longer (phone login, PIN, license type, …) and its handling of unknown fields is not
/// documented: refusing them catches a connector that sends SCIM's fields by mistake.
const PERSON_FIELDS: [&str; 14] = [
    "id",
    "targetName",
    "recipientType",
    "firstName",
    "lastName",
    "status",
    "externalKey",
    "externallyOwned",
    "language",
    "timezone",
    "webLogin",
    "site",
    "roles",
    "properties",
];

/// The device fields the fake accepts in `POST /devices` (e-mail devices only).
const DEVICE_FIELDS: [&str; 7] = [
    "id",
    "recipientType",
    "deviceType",
    "name",
    "owner",
    "emailAddress",
    "delay",
];

/// A running fake xMatters instance; stops when dropped.
pub struct FakeXmatters {
    /// The instance's address, e.g. `http://127.0.0.1:PORT`: what an admin enters as the
    /// Domain (the API is under `/api/xm/1`).
    pub url: String,
    state: Arc<Mutex<Instance>>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

/// What the instance holds.
struct Instance {
    username: String,
    password: String,
    /// In creation order, which is the order lists page in.
    people: Vec<Map<String, Value>>,
    devices: Vec<Map<String, Value>>,
    next_id: u64,
    /// Answers to give instead of the next requests: status and `Retry-After` seconds.
    failures: VecDeque<(u16, Option<u64>)>,
    /// `METHOD /path?query` of every request, authenticated or not.
    requests: Vec<String>,
}

type Shared = Arc<Mutex<Instance>>;

fn lock(state: &Shared) -> MutexGuard<'_, Instance> {
    state
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Drop for FakeXmatters {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl FakeXmatters {
    /// Starts an empty instance that accepts `username` and `password` (HTTP Basic), on a free
    /// port of 127.0.0.1, served from a thread of its own (so it works from plain and from
    /// async tests alike).
    ///
    /// # Panics
    /// When no local port can be bound.
    pub fn start(username: &str, password: &str) -> FakeXmatters {
        let state: Shared = Arc::new(Mutex::new(Instance {
            username: username.to_string(),
            password: password.to_string(),
            people: Vec::new(),
            devices: Vec::new(),
            next_id: 1,
            failures: VecDeque::new(),
            requests: Vec::new(),
        }));
        let listener =
            std::net::TcpListener::bind("127.0.0.1:0").expect("a free port on 127.0.0.1");
        let addr = listener.local_addr().expect("the bound address");
        listener
            .set_nonblocking(true)
            .expect("a non-blocking listener");
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let app = router(state.clone());
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime for the fake xMatters");
            runtime.block_on(async move {
                let listener =
                    tokio::net::TcpListener::from_std(listener).expect("the listener in tokio");
                // Dropping the server (and then the runtime) when told to stop closes every
                // connection, kept-alive ones included.
                tokio::select! {
                    _ = axum::serve(listener, app) => {}
                    _ = stopped => {}
                }
            });
        });
        FakeXmatters {
            url: format!("http://{addr}"),
            state,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    /// Every person, as stored (with `roles`, which the API only shows on request).
    pub fn people(&self) -> Vec<Value> {
        lock(&self.state)
            .people
            .iter()
            .cloned()
            .map(Value::Object)
            .collect()
    }

    /// The person with this targetName (compared without case), as stored.
    pub fn person(&self, target_name: &str) -> Option<Value> {
        lock(&self.state)
            .people
            .iter()
            .find(|p| same(p.get("targetName"), target_name))
            .cloned()
            .map(Value::Object)
    }

    /// Every device, as the API shows them (`owner` is `{"id", "targetName"}`).
    pub fn devices(&self) -> Vec<Value> {
        lock(&self.state)
            .devices
            .iter()
            .cloned()
            .map(Value::Object)
            .collect()
    }

    /// Adds a person as an admin would in xMatters' own interface; their id. `fields` need a
    /// `targetName`; status defaults to ACTIVE and roles to Standard User.
    pub fn add_person(&self, fields: Value) -> String {
        let mut instance = lock(&self.state);
        let mut person = fields.as_object().cloned().unwrap_or_default();
        person.entry("status").or_insert_with(|| json!("ACTIVE"));
        person
            .entry("roles")
            .or_insert_with(|| json!(["Standard User"]));
        let id = instance.new_id();
        person.insert("id".into(), json!(id));
        person.insert("recipientType".into(), json!("PERSON"));
        instance.people.push(person);
        id
    }

    /// Answers the next request (after authentication) with `status` and, when given, a
    /// `Retry-After` of that many seconds, instead of serving it. Calls queue up.
    pub fn fail_next(&self, status: u16, retry_after_seconds: Option<u64>) {
        lock(&self.state)
            .failures
            .push_back((status, retry_after_seconds));
    }

    /// `METHOD /path?query` of every request so far.
    pub fn requests(&self) -> Vec<String> {
        lock(&self.state).requests.clone()
    }
}

impl Instance {
    /// A new id shaped like xMatters' (a UUID).
    fn new_id(&mut self) -> String {
        let n = self.next_id;
        self.next_id += 1;
        format!("{n:08x}-0000-4000-8000-{n:012x}")
    }

    fn person_index(&self, id_or_target_name: &str) -> Option<usize> {
        self.people.iter().position(|p| {
            p.get("id").and_then(Value::as_str) == Some(id_or_target_name)
                || same(p.get("targetName"), id_or_target_name)
        })
    }
}

/// Whether a stored string equals `text` without regard to case.
fn same(value: Option<&Value>, text: &str) -> bool {
    value
        .and_then(Value::as_str)
        .is_some_and(|v| v.eq_ignore_ascii_case(text))
}

/// An error in xMatters' shape.
fn error(status: StatusCode, message: impl Into<String>) -> Response {
    (
        status,
        Json(json!({
            "code": status.as_u16(),
            "reason": status.canonical_reason().unwrap_or(""),
            "message": message.into(),
        })),
    )
        .into_response()
}

/// A request the fake refuses: the status and message of its [`error`] answer.
struct Refusal(StatusCode, String);

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        error(self.0, self.1)
    }
}

fn router(state: Shared) -> Router {
    Router::new()
        .route(&format!("{API}/people"), get(list_people).post(post_person))
        .route(
            &format!("{API}/people/{{id}}"),
            get(get_person).delete(delete_person),
        )
        .route(&format!("{API}/people/{{id}}/devices"), get(person_devices))
        .route(&format!("{API}/devices"), post(post_device))
        .route(
            &format!("{API}/devices/{{id}}"),
            get(get_device).delete(delete_device),
        )
        .layer(axum::middleware::from_fn_with_state(state.clone(), gate))
        .with_state(state)
}

/// The user name and password of a Basic `Authorization` header.
fn credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let encoded = value.strip_prefix("Basic ")?;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .ok()?;
    let decoded = String::from_utf8(decoded).ok()?;
    let (user, password) = decoded.split_once(':')?;
    Some((user.to_owned(), password.to_owned()))
}

/// Records the request, checks the credentials, and gives a queued failure instead of the
/// answer when there is one.
async fn gate(State(state): State<Shared>, request: Request, next: Next) -> Response {
    {
        let mut instance = lock(&state);
        let uri = request.uri();
        let line = match uri.query() {
            Some(q) => format!("{} {}?{q}", request.method(), uri.path()),
            None => format!("{} {}", request.method(), uri.path()),
        };
        instance.requests.push(line);
        let signed_in = credentials(request.headers())
            .is_some_and(|(u, p)| u == instance.username && p == instance.password);
        if !signed_in {
            let mut answer = error(StatusCode::UNAUTHORIZED, "Bad credentials");
            answer.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                header::HeaderValue::from_static("Basic realm=\"xMatters\""),
            );
            return answer;
        }
        if let Some((status, retry_after)) = instance.failures.pop_front() {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            let mut answer = error(status, "Failure asked for by the test");
            if let Some(seconds) = retry_after {
                answer
                    .headers_mut()
                    .insert(header::RETRY_AFTER, header::HeaderValue::from(seconds));
            }
            return answer;
        }
    }
    next.run(request).await
}

/// A person as `GET` shows it: without roles (xMatters shows them only with `embed=roles`),
/// with its links.
fn shown(person: &Map<String, Value>) -> Value {
    let mut shown = person.clone();
    shown.remove("roles");
    let id = person.get("id").and_then(Value::as_str).unwrap_or_default();
    shown.insert(
        "links".into(),
        json!({"self": format!("{API}/people/{id}")}),
    );
    Value::Object(shown)
}

/// A page of a list: `{count, total, data, links}`.
fn page(items: Vec<Value>, offset: usize, limit: usize, path: &str) -> Response {
    let total = items.len();
    let data: Vec<Value> = items.into_iter().skip(offset).take(limit).collect();
    let mut links = json!({"self": format!("{path}?limit={limit}&offset={offset}")});
    if offset + data.len() < total {
        links["next"] = json!(format!("{path}?limit={limit}&offset={}", offset + limit));
    }
    Json(json!({"count": data.len(), "total": total, "data": data, "links": links})).into_response()
}

/// `limit` (1 to 1000, 100 by default) and `offset` (0 by default).
fn paging(query: &std::collections::HashMap<String, String>) -> Result<(usize, usize), Refusal> {
    let number = |key: &str, default: usize| match query.get(key) {
        None => Ok(default),
        Some(v) => v.parse::<usize>().map_err(|_| {
            Refusal(
                StatusCode::BAD_REQUEST,
                format!("{key} must be a number, not {v:?}"),
            )
        }),
    };
    let limit = number("limit", 100)?;
    let offset = number("offset", 0)?;
    if !(1..=1000).contains(&limit) {
        return Err(Refusal(
            StatusCode::BAD_REQUEST,
            "limit must be between 1 and 1000".into(),
        ));
    }
    Ok((offset, limit))
}

async fn list_people(
    State(state): State<Shared>,
    Query(query): Query<std::collections::HashMap<String, String>>,
) -> Response {
    let (offset, limit) = match paging(&query) {
        Ok(p) => p,
        Err(e) => return e.into_response(),
    };
    let people = lock(&state).people.iter().map(shown).collect();
    page(people, offset, limit, &format!("{API}/people"))
}

async fn get_person(State(state): State<Shared>, Path(id): Path<String>) -> Response {
    let instance = lock(&state);
    match instance.person_index(&id) {
        Some(i) => Json(shown(&instance.people[i])).into_response(),
        None => error(
            StatusCode::NOT_FOUND,
            format!("Could not find a person with id or targetName {id}"),
        ),
    }
}

/// The body as a JSON object whose fields are all in `allowed`.
fn object_body(body: &str, allowed: &[&str]) -> Result<Map<String, Value>, Refusal> {
    let Ok(Value::Object(fields)) = serde_json::from_str::<Value>(body) else {
        return Err(Refusal(
            StatusCode::BAD_REQUEST,
            "The body is not a JSON object".into(),
        ));
    };
    if let Some(unknown) = fields.keys().find(|k| !allowed.contains(&k.as_str())) {
        return Err(Refusal(
            StatusCode::BAD_REQUEST,
            format!("Unrecognized field \"{unknown}\""),
        ));
    }
    Ok(fields)
}

/// Checks what a person's fields may hold.
fn check_person(person: &Map<String, Value>) -> Result<(), Refusal> {
    for key in ["targetName", "firstName", "lastName"] {
        if person
            .get(key)
            .and_then(Value::as_str)
            .is_none_or(|v| v.trim().is_empty())
        {
            return Err(Refusal(
                StatusCode::BAD_REQUEST,
                format!("{key} is required"),
            ));
        }
    }
    match person.get("status").and_then(Value::as_str) {
        Some("ACTIVE" | "INACTIVE") => {}
        other => {
            return Err(Refusal(
                StatusCode::BAD_REQUEST,
                format!("status must be ACTIVE or INACTIVE, not {other:?}"),
            ))
        }
    }
    let roles = person.get("roles").and_then(Value::as_array);
    if !roles.is_some_and(|r| !r.is_empty() && r.iter().all(Value::is_string)) {
        return Err(Refusal(
            StatusCode::BAD_REQUEST,
            "A person needs at least one role (a list of role names)".into(),
        ));
    }
    Ok(())
}

/// `POST /people`: creates, or modifies the person whose `id` the body has.
async fn post_person(State(state): State<Shared>, body: String) -> Response {
    let fields = match object_body(&body, &PERSON_FIELDS) {
        Ok(f) => f,
        Err(e) => return e.into_response(),
    };
    let mut instance = lock(&state);
    let taken_by = |instance: &Instance, target_name: &str| {
        instance
            .people
            .iter()
            .position(|p| same(p.get("targetName"), target_name))
    };
    match fields.get("id").and_then(Value::as_str).map(str::to_string) {
        Some(id) => {
            let Some(i) = instance
                .people
                .iter()
                .position(|p| p.get("id").and_then(Value::as_str) == Some(id.as_str()))
            else {
                return error(
                    StatusCode::NOT_FOUND,
                    format!("Could not find a person with id {id}"),
                );
            };
            if let Some(name) = fields.get("targetName").and_then(Value::as_str) {
                if taken_by(&instance, name).is_some_and(|j| j != i) {
                    return error(
                        StatusCode::CONFLICT,
                        format!("A person with targetName {name} already exists"),
                    );
                }
            }
            let mut person = instance.people[i].clone();
            for (k, v) in fields {
                person.insert(k, v);
            }
            if let Err(e) = check_person(&person) {
                return e.into_response();
            }
            instance.people[i] = person.clone();
            Json(shown(&person)).into_response()
        }
        None => {
            let mut person = fields;
            person.entry("status").or_insert_with(|| json!("ACTIVE"));
            person.insert("recipientType".into(), json!("PERSON"));
            if let Err(e) = check_person(&person) {
                return e.into_response();
            }
            let name = person
                .get("targetName")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string();
            if taken_by(&instance, &name).is_some() {
                return error(
                    StatusCode::CONFLICT,
                    format!("A person with targetName {name} already exists"),
                );
            }
            let id = instance.new_id();
            person.insert("id".into(), json!(id));
            instance.people.push(person.clone());
            (StatusCode::CREATED, Json(shown(&person))).into_response()
        }
    }
}

/// `DELETE /people/{id}`: the deleted person; their devices go with them.
async fn delete_person(State(state): State<Shared>, Path(id): Path<String>) -> Response {
    let mut instance = lock(&state);
    let Some(i) = instance.person_index(&id) else {
        return error(
            StatusCode::NOT_FOUND,
            format!("Could not find a person with id {id}"),
        );
    };
    let person = instance.people.remove(i);
    let person_id = person.get("id").cloned().unwrap_or_default();
    instance
        .devices
        .retain(|d| d.get("owner").and_then(|o| o.get("id")) != Some(&person_id));
    Json(shown(&person)).into_response()
}

async fn person_devices(
    State(state): State<Shared>,
    Path(id): Path<String>,
    Query(query): Query<std::collections::HashMap<String, String>>,
) -> Response {
    let (offset, limit) = match paging(&query) {
        Ok(p) => p,
        Err(e) => return e.into_response(),
    };
    let instance = lock(&state);
    let Some(i) = instance.person_index(&id) else {
        return error(
            StatusCode::NOT_FOUND,
            format!("Could not find a person with id or targetName {id}"),
        );
    };
    let owner = instance.people[i].get("id").cloned().unwrap_or_default();
    let devices = instance
        .devices
        .iter()
        .filter(|d| d.get("owner").and_then(|o| o.get("id")) == Some(&owner))
        .cloned()
        .map(Value::Object)
        .collect();
    page(
        devices,
        offset,
        limit,
        &format!("{API}/people/{id}/devices"),
    )
}

/// `POST /devices`: creates an e-mail device, or modifies the one whose `id` the body has.
async fn post_device(State(state): State<Shared>, body: String) -> Response {
    let fields = match object_body(&body, &DEVICE_FIELDS) {
        Ok(f) => f,
        Err(e) => return e.into_response(),
    };
    if fields
        .get("deviceType")
        .is_some_and(|t| t.as_str() != Some("EMAIL"))
    {
        return error(
            StatusCode::BAD_REQUEST,
            "This fake xMatters knows EMAIL devices only",
        );
    }
    let mut instance = lock(&state);
    if let Some(id) = fields.get("id").and_then(Value::as_str).map(str::to_string) {
        let Some(device) = instance
            .devices
            .iter_mut()
            .find(|d| d.get("id").and_then(Value::as_str) == Some(id.as_str()))
        else {
            return error(
                StatusCode::NOT_FOUND,
                format!("Could not find a device with id {id}"),
            );
        };
        for (k, v) in fields {
            if k != "owner" {
                device.insert(k, v);
            }
        }
        return Json(Value::Object(device.clone())).into_response();
    }
    let text = |k: &str| {
        fields
            .get(k)
            .and_then(Value::as_str)
            .filter(|v| !v.trim().is_empty())
    };
    let (Some("DEVICE"), Some(name), Some(owner), Some(address)) = (
        text("recipientType"),
        text("name"),
        text("owner"),
        text("emailAddress"),
    ) else {
        return error(
            StatusCode::BAD_REQUEST,
            "An e-mail device needs recipientType DEVICE, deviceType EMAIL, a name, an owner and an emailAddress",
        );
    };
    if fields.get("deviceType").is_none() {
        return error(StatusCode::BAD_REQUEST, "deviceType is required");
    }
    let Some(i) = instance.person_index(owner) else {
        return error(
            StatusCode::BAD_REQUEST,
            format!("The owner {owner} is not a person"),
        );
    };
    let owner = json!({
        "id": instance.people[i].get("id").cloned().unwrap_or_default(),
        "targetName": instance.people[i].get("targetName").cloned().unwrap_or_default(),
    });
    if instance
        .devices
        .iter()
        .any(|d| d.get("owner") == Some(&owner) && same(d.get("name"), name))
    {
        return error(
            StatusCode::CONFLICT,
            format!("The person already has a device named {name}"),
        );
    }
    let device = json!({
        "id": instance.new_id(),
        "recipientType": "DEVICE",
        "deviceType": "EMAIL",
        "name": name,
        "emailAddress": address,
        "owner": owner,
    });
    if let Value::Object(d) = &device {
        instance.devices.push(d.clone());
    }
    (StatusCode::CREATED, Json(device)).into_response()
}

async fn get_device(State(state): State<Shared>, Path(id): Path<String>) -> Response {
    let instance = lock(&state);
    match instance
        .devices
        .iter()
        .find(|d| d.get("id").and_then(Value::as_str) == Some(id.as_str()))
    {
        Some(d) => Json(Value::Object(d.clone())).into_response(),
        None => error(
            StatusCode::NOT_FOUND,
            format!("Could not find a device with id {id}"),
        ),
    }
}

async fn delete_device(State(state): State<Shared>, Path(id): Path<String>) -> Response {
    let mut instance = lock(&state);
    match instance
        .devices
        .iter()
        .position(|d| d.get("id").and_then(Value::as_str) == Some(id.as_str()))
    {
        Some(i) => Json(Value::Object(instance.devices.remove(i))).into_response(),
        None => error(
            StatusCode::NOT_FOUND,
            format!("Could not find a device with id {id}"),
        ),
    }
}
