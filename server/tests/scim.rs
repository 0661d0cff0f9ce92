//! The inbound SCIM 2.0 endpoint at `/scim/v2` over HTTP against the real binary: bearer
//! tokens made by the real CLI, discovery, Users and Groups, filters, paging and sorting,
//! PATCH (including the legacy shapes real clients send), ETag preconditions, Bulk, refused
//! input that leaves nothing half-written, and the change feed every write lands in.
//!
//! Each test starts its own server (a few milliseconds) on a fresh data folder, so tests
//! never see each other's users.

#![allow(clippy::unwrap_used)]

mod common;
use common::{scim_token_cli, scim_token_create, Server};
use reqwest::header::{HeaderMap, CONTENT_TYPE};
use reqwest::{Method, RequestBuilder};
use serde_json::{json, Value};
use std::collections::BTreeSet;
use steward_store::{ChangeKind, ObjectType};

/// The public URL the test servers announce, so `meta.location` is predictable.
const PUBLIC: &str = "https://steward.test";
const USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const GROUP: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
const ERROR: &str = "urn:ietf:params:scim:api:messages:2.0:Error";
const LIST: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
const SEARCH: &str = "urn:ietf:params:scim:api:messages:2.0:SearchRequest";
const BULK_REQUEST: &str = "urn:ietf:params:scim:api:messages:2.0:BulkRequest";
const BULK_RESPONSE: &str = "urn:ietf:params:scim:api:messages:2.0:BulkResponse";
const SCIM_JSON: &str = "application/scim+json";

/// A running server with a token made by `steward scim-token create`.
struct Scim {
    server: Server,
    client: reqwest::Client,
    token: String,
}

/// One answer: status, headers and the body as JSON (`Null` when empty).
#[derive(Debug)]
struct Reply {
    status: u16,
    headers: HeaderMap,
    body: Value,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).map(|v| v.to_str().unwrap())
    }

    /// Asserts the status, showing the body when it is another.
    fn expect(self, status: u16) -> Self {
        assert_eq!(self.status, status, "unexpected answer: {:#}", self.body);
        self
    }

    fn etag(&self) -> String {
        self.header("etag")
            .unwrap_or_else(|| panic!("no ETag header: {:?}", self.headers))
            .to_string()
    }

    /// Asserts an RFC 7644 §3.12 error: schemas, the status as a string, the scimType (or
    /// none), a detail that says something, in `application/scim+json`.
    fn assert_error(&self, status: u16, scim_type: Option<&str>) {
        assert_eq!(self.status, status, "{:#}", self.body);
        assert_eq!(self.header("content-type"), Some(SCIM_JSON));
        assert_eq!(self.body["schemas"], json!([ERROR]), "{:#}", self.body);
        assert_eq!(
            self.body["status"],
            json!(status.to_string()),
            "{:#}",
            self.body
        );
        assert_eq!(
            self.body.get("scimType").and_then(Value::as_str),
            scim_type,
            "{:#}",
            self.body
        );
        let detail = self.body["detail"].as_str().unwrap_or_default();
        assert!(detail.len() > 10, "no useful detail: {:#}", self.body);
    }
}

async fn send(request: RequestBuilder) -> Reply {
    let resp = request.send().await.unwrap();
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let bytes = resp.bytes().await.unwrap();
    let body = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes).unwrap_or_else(|e| {
            panic!(
                "{status}: body is not JSON ({e}): {}",
                String::from_utf8_lossy(&bytes)
            )
        })
    };
    Reply {
        status,
        headers,
        body,
    }
}

fn patch_body(operations: Value) -> Value {
    json!({"schemas": [PATCH_OP], "Operations": operations})
}

/// The resources of a ListResponse.
fn resources(list: &Value) -> Vec<Value> {
    assert_eq!(list["schemas"], json!([LIST]), "{list:#}");
    list.get("Resources")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
}

/// The values of one attribute of every resource of a ListResponse, in order.
fn column(list: &Value, attribute: &str) -> Vec<String> {
    resources(list)
        .iter()
        .map(|r| {
            r[attribute]
                .as_str()
                .unwrap_or_else(|| panic!("{attribute} missing from {r:#}"))
                .to_string()
        })
        .collect()
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

fn id_of(resource: &Value) -> String {
    resource["id"].as_str().unwrap().to_string()
}

/// The `value`s of a multi-valued attribute such as `members`, sorted.
fn values(resource: &Value, attribute: &str) -> Vec<String> {
    sorted(
        resource
            .get(attribute)
            .and_then(Value::as_array)
            .map(|items| {
                items
                    .iter()
                    .map(|m| m["value"].as_str().unwrap().to_string())
                    .collect()
            })
            .unwrap_or_default(),
    )
}

impl Scim {
    /// A fresh server whose data folder holds a token named `t`.
    fn start() -> Scim {
        let data = tempfile::tempdir().unwrap();
        let token = scim_token_create(data.path(), "t");
        let server = Server::start_in(data, &[("STEWARD_PUBLIC_URL", PUBLIC)]);
        let client = server.client();
        Scim {
            server,
            client,
            token,
        }
    }

    fn url(&self, path: &str) -> String {
        self.server.url(&format!("/scim/v2{path}"))
    }

    /// A request with the token.
    fn req(&self, method: Method, path: &str) -> RequestBuilder {
        self.client
            .request(method, self.url(path))
            .bearer_auth(&self.token)
    }

    fn with_json(&self, method: Method, path: &str, body: &Value) -> RequestBuilder {
        self.req(method, path)
            .header(CONTENT_TYPE, SCIM_JSON)
            .body(body.to_string())
    }

    async fn get(&self, path: &str) -> Reply {
        send(self.req(Method::GET, path)).await
    }

    async fn query(&self, path: &str, params: &[(&str, &str)]) -> Reply {
        send(self.req(Method::GET, path).query(params)).await
    }

    /// A list request that must succeed.
    async fn list(&self, path: &str, params: &[(&str, &str)]) -> Value {
        self.query(path, params).await.expect(200).body
    }

    /// The userNames a filter finds, sorted.
    async fn find_users(&self, filter: &str) -> Vec<String> {
        let list = self
            .list("/Users", &[("filter", filter), ("attributes", "userName")])
            .await;
        let names = column(&list, "userName");
        assert_eq!(
            list["totalResults"],
            json!(names.len()),
            "{filter}: {list:#}"
        );
        sorted(names)
    }

    async fn post(&self, path: &str, body: &Value) -> Reply {
        send(self.with_json(Method::POST, path, body)).await
    }

    async fn put(&self, path: &str, body: &Value) -> Reply {
        send(self.with_json(Method::PUT, path, body)).await
    }

    /// A PATCH with these operations.
    async fn patch(&self, path: &str, operations: Value) -> Reply {
        send(self.with_json(Method::PATCH, path, &patch_body(operations))).await
    }

    async fn delete(&self, path: &str) -> Reply {
        send(self.req(Method::DELETE, path)).await
    }

    /// Creates a user (201 expected) and returns the answered resource.
    async fn create_user(&self, body: Value) -> Value {
        self.post("/Users", &body).await.expect(201).body
    }

    async fn create_group(&self, body: Value) -> Value {
        self.post("/Groups", &body).await.expect(201).body
    }

    async fn bulk(&self, body: &Value) -> Reply {
        self.post("/Bulk", body).await
    }
}

// ---- authentication ----

#[tokio::test]
async fn bearer_tokens_are_required_checked_and_revocable() {
    let scim = Scim::start();
    let no_token = send(scim.client.get(scim.url("/Users"))).await;
    no_token.assert_error(401, None);
    assert_eq!(
        no_token.header("www-authenticate"),
        Some("Bearer realm=\"steward-scim\"")
    );
    assert!(no_token.body["detail"]
        .as_str()
        .unwrap()
        .contains("bearer token"));

    let wrong = [
        "Bearer stw_this-is-not-a-token".to_string(),
        format!("Bearer {}x", scim.token),
        format!("Basic {}", scim.token),
        "Bearer ".to_string(),
    ];
    for authorization in &wrong {
        let reply = send(
            scim.client
                .get(scim.url("/ServiceProviderConfig"))
                .header("authorization", authorization),
        )
        .await;
        reply.assert_error(401, None);
        assert!(
            reply.header("www-authenticate").is_some(),
            "{authorization}"
        );
    }

    // The scheme is case-insensitive (RFC 7235).
    let lower = send(
        scim.client
            .get(scim.url("/Users"))
            .header("authorization", format!("bearer {}", scim.token)),
    )
    .await
    .expect(200);
    assert_eq!(lower.body["totalResults"], 0);

    // Two live tokens; revoking one (by the CLI, while the server runs) refuses it from the
    // next request and leaves the other working.
    let second = scim.server.scim_token("second");
    assert_ne!(second, scim.token);
    let duplicate = scim_token_cli(&scim.server.data_path(), &["create", "--name", "second"]);
    assert!(!duplicate.status.success());
    assert!(String::from_utf8_lossy(&duplicate.stderr).contains("already exists"));

    scim.get("/Users").await.expect(200);
    let revoke = scim_token_cli(&scim.server.data_path(), &["revoke", "--name", "t"]);
    assert!(
        revoke.status.success(),
        "{}",
        String::from_utf8_lossy(&revoke.stderr)
    );
    let revoked = scim.get("/Users").await;
    revoked.assert_error(401, None);
    assert!(revoked.body["detail"].as_str().unwrap().contains("revoked"));
    let with_second = send(scim.client.get(scim.url("/Users")).bearer_auth(&second)).await;
    assert_eq!(with_second.status, 200);

    let list = scim_token_cli(&scim.server.data_path(), &["list"]);
    let text = String::from_utf8(list.stdout).unwrap();
    let state_of = |name: &str| {
        text.lines()
            .find(|l| l.split_whitespace().next() == Some(name))
            .and_then(|l| l.split_whitespace().last())
            .map(str::to_string)
    };
    assert_eq!(state_of("t").as_deref(), Some("revoked"), "{text}");
    assert_eq!(state_of("second").as_deref(), Some("live"), "{text}");
}

// ---- discovery ----

#[tokio::test]
async fn discovery_documents_describe_what_is_supported() {
    let scim = Scim::start();
    let spc = scim.get("/ServiceProviderConfig").await.expect(200);
    assert_eq!(spc.header("content-type"), Some(SCIM_JSON));
    let spc = spc.body;
    assert_eq!(
        spc["schemas"],
        json!(["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"])
    );
    for feature in ["patch", "bulk", "filter", "etag", "sort"] {
        assert_eq!(spc[feature]["supported"], true, "{feature}: {spc:#}");
    }
    assert_eq!(spc["changePassword"]["supported"], false);
    assert_eq!(spc["bulk"]["maxOperations"], 1000);
    assert_eq!(spc["bulk"]["maxPayloadSize"], 1024 * 1024);
    assert_eq!(spc["filter"]["maxResults"], 1000);
    assert_eq!(spc["authenticationSchemes"][0]["type"], "oauthbearertoken");
    assert_eq!(
        spc["meta"]["location"],
        format!("{PUBLIC}/scim/v2/ServiceProviderConfig")
    );

    let types = scim.get("/ResourceTypes").await.expect(200).body;
    assert_eq!(types["totalResults"], 2);
    let all = resources(&types);
    let user = all.iter().find(|t| t["id"] == "User").unwrap();
    assert_eq!(user["endpoint"], "/Users");
    assert_eq!(user["schema"], USER);
    // Steward's extension for custom attributes is offered only once one is defined.
    assert_eq!(
        user["schemaExtensions"],
        json!([{"schema": ENTERPRISE, "required": false}])
    );
    let group = all.iter().find(|t| t["id"] == "Group").unwrap();
    assert_eq!(group["endpoint"], "/Groups");
    assert_eq!(group["schema"], GROUP);
    assert_eq!(
        scim.get("/ResourceTypes/User").await.expect(200).body,
        *user
    );
    scim.get("/ResourceTypes/Device")
        .await
        .assert_error(404, None);

    let schemas = scim.get("/Schemas").await.expect(200).body;
    let ids: BTreeSet<String> = column(&schemas, "id").into_iter().collect();
    assert_eq!(
        ids,
        [USER, GROUP, ENTERPRISE].map(String::from).into(),
        "{schemas:#}"
    );
    assert_eq!(schemas["totalResults"], 3);

    let user_schema = scim.get(&format!("/Schemas/{USER}")).await.expect(200).body;
    assert_eq!(user_schema["id"], USER);
    let attrs = user_schema["attributes"].as_array().unwrap();
    let user_name = attrs.iter().find(|a| a["name"] == "userName").unwrap();
    assert_eq!(user_name["required"], true);
    assert_eq!(user_name["uniqueness"], "server");
    assert_eq!(user_name["caseExact"], false);
    let emails = attrs.iter().find(|a| a["name"] == "emails").unwrap();
    assert_eq!(emails["multiValued"], true);
    assert_eq!(emails["type"], "complex");

    let enterprise = scim
        .get(&format!("/Schemas/{ENTERPRISE}"))
        .await
        .expect(200)
        .body;
    let names: Vec<&str> = enterprise["attributes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"department") && names.contains(&"manager"),
        "{names:?}"
    );
    let group_schema = scim
        .get(&format!("/Schemas/{GROUP}"))
        .await
        .expect(200)
        .body;
    assert_eq!(group_schema["id"], GROUP);

    scim.get("/Schemas/urn:example:nothing")
        .await
        .assert_error(404, None);
    let unknown = scim.get("/Devices").await;
    unknown.assert_error(404, None);
    assert!(unknown.body["detail"]
        .as_str()
        .unwrap()
        .contains("/Devices"));
    // Unknown paths are behind the token as well: nothing is learnt without one.
    let anonymous = send(scim.client.get(scim.url("/Devices"))).await;
    anonymous.assert_error(401, None);
}

// ---- Users ----

#[tokio::test]
async fn users_are_created_read_replaced_and_deleted() {
    let scim = Scim::start();
    let created = scim
        .post(
            "/Users",
            &json!({
                "schemas": [USER, ENTERPRISE],
                "id": "chosen-by-the-client",
                "meta": {"version": "W/\"77\""},
                "externalId": "HR-1815",
                "userName": "Ada.Lovelace",
                "displayName": "Ada Lovelace",
                "name": {"givenName": "Ada", "familyName": "Lovelace"},
                "emails": [{"type": "work", "value": "ada@example.com", "primary": true}],
                ENTERPRISE: {"department": "Analytical Engines", "employeeNumber": "1"}
            }),
        )
        .await
        .expect(201);
    assert_eq!(created.header("content-type"), Some(SCIM_JSON));
    let user = created.body.clone();
    let id = id_of(&user);
    assert_ne!(id, "chosen-by-the-client", "id is the server's");
    assert!(uuid::Uuid::parse_str(&id).is_ok(), "{id}");
    assert_eq!(created.etag(), "W/\"1\"");
    assert_eq!(user["meta"]["version"], "W/\"1\"");
    assert_eq!(user["meta"]["resourceType"], "User");
    assert_eq!(user["meta"]["created"], user["meta"]["lastModified"]);
    let location = user["meta"]["location"].as_str().unwrap();
    assert_eq!(created.header("location"), Some(location));
    assert!(
        location.starts_with(&format!("{PUBLIC}/scim/v2/")),
        "{location}"
    );
    assert!(location.ends_with(&format!("/Users/{id}")), "{location}");
    assert_eq!(user["schemas"], json!([USER, ENTERPRISE]));
    assert_eq!(user["userName"], "Ada.Lovelace");
    assert_eq!(user["externalId"], "HR-1815");
    assert_eq!(user["name"]["familyName"], "Lovelace");
    assert_eq!(user["emails"][0]["value"], "ada@example.com");
    assert_eq!(user[ENTERPRISE]["department"], "Analytical Engines");

    let read = scim.get(&format!("/Users/{id}")).await.expect(200);
    assert_eq!(read.etag(), "W/\"1\"");
    assert_eq!(read.header("location"), Some(location));
    assert_eq!(read.body, user);

    // userName is unique ignoring case.
    let duplicate = scim
        .post(
            "/Users",
            &json!({"schemas": [USER], "userName": "ADA.lovelace"}),
        )
        .await;
    duplicate.assert_error(409, Some("uniqueness"));
    let list = scim.list("/Users", &[]).await;
    assert_eq!(list["totalResults"], 1);

    // PUT replaces the whole resource: what it leaves out is gone.
    let replaced = scim
        .put(
            &format!("/Users/{id}"),
            &json!({"schemas": [USER], "userName": "Ada.Lovelace", "displayName": "Countess", "active": false}),
        )
        .await
        .expect(200);
    assert_eq!(replaced.etag(), "W/\"2\"");
    let after = replaced.body;
    assert_eq!(after["displayName"], "Countess");
    assert_eq!(after["active"], false);
    assert_eq!(after["externalId"], Value::Null);
    for gone in ["name", "emails", ENTERPRISE] {
        assert!(
            after.get(gone).is_none(),
            "{gone} survived the PUT: {after:#}"
        );
    }
    assert_eq!(after["schemas"], json!([USER]));
    assert_eq!(after["meta"]["created"], user["meta"]["created"]);
    assert_ne!(after["meta"]["lastModified"], user["meta"]["lastModified"]);
    assert_eq!(after["meta"]["version"], "W/\"2\"");
    assert_eq!(
        scim.get(&format!("/Users/{id}")).await.expect(200).body,
        after
    );

    let deleted = scim.delete(&format!("/Users/{id}")).await.expect(204);
    assert_eq!(deleted.body, Value::Null);
    scim.get(&format!("/Users/{id}"))
        .await
        .assert_error(404, None);
    scim.put(&format!("/Users/{id}"), &json!({"userName": "x"}))
        .await
        .assert_error(404, None);
    scim.patch(
        &format!("/Users/{id}"),
        json!([{"op": "add", "path": "nickName", "value": "x"}]),
    )
    .await
    .assert_error(404, None);
    scim.delete(&format!("/Users/{id}"))
        .await
        .assert_error(404, None);
    assert_eq!(scim.list("/Users", &[]).await["totalResults"], 0);
    assert_eq!(
        scim.find_users("userName eq \"Ada.Lovelace\"").await,
        Vec::<String>::new()
    );

    for missing in [
        "/Users/6f1c1b9e-0000-4000-8000-000000000000",
        "/Users/not-a-uuid",
        "/Users/1",
        "/Groups/not-a-uuid",
        "/Groups/6f1c1b9e-0000-4000-8000-000000000000",
    ] {
        scim.get(missing).await.assert_error(404, None);
    }
}

// ---- filters, paging, sorting, projection ----

#[tokio::test]
async fn filters_find_what_they_say() {
    let scim = Scim::start();
    scim.create_user(json!({
        "schemas": [USER, ENTERPRISE],
        "userName": "alice.smith", "externalId": "EXT-1", "active": true, "title": "Engineer",
        "name": {"givenName": "Alice", "familyName": "Smith"},
        "emails": [{"type": "work", "value": "alice@corp.example"}, {"type": "home", "value": "alice@home.example"}],
        ENTERPRISE: {"department": "Engineering"}
    }))
    .await;
    scim.create_user(json!({
        "userName": "bob.jones", "externalId": "EXT-2", "active": false,
        "emails": [{"type": "work", "value": "bob@corp.example"}],
        ENTERPRISE: {"department": "Sales"}
    }))
    .await;
    let carol = scim
        .create_user(json!({
            "userName": "carol.smith", "externalId": "EXT-3", "active": true,
            "title": "Engineering Manager",
            "emails": [{"type": "home", "value": "carol@corp.example"}],
            ENTERPRISE: {"department": "Engineering"}
        }))
        .await;
    scim.create_user(json!({"userName": "dave", "active": true}))
        .await;

    let cases: &[(&str, &[&str])] = &[
        (r#"userName eq "ALICE.SMITH""#, &["alice.smith"]),
        (r#"USERNAME Eq "Dave""#, &["dave"]),
        (r#"userName eq "alice""#, &[]),
        (r#"externalId eq "EXT-2""#, &["bob.jones"]),
        // externalId is caseExact (RFC 7643 §3.1).
        (r#"externalId eq "ext-2""#, &[]),
        (
            r#"emails[type eq "work"].value eq "alice@corp.example""#,
            &["alice.smith"],
        ),
        // carol's address is a home one.
        (
            r#"emails[type eq "work"].value eq "carol@corp.example""#,
            &[],
        ),
        (r#"emails.value eq "CAROL@corp.example""#, &["carol.smith"]),
        (
            r#"emails[type eq "work" and value co "corp"]"#,
            &["alice.smith", "bob.jones"],
        ),
        (r#"userName co "SMITH""#, &["alice.smith", "carol.smith"]),
        (r#"userName sw "b""#, &["bob.jones"]),
        (r#"userName ew "smith""#, &["alice.smith", "carol.smith"]),
        (r#"title pr"#, &["alice.smith", "carol.smith"]),
        (
            r#"externalId pr"#,
            &["alice.smith", "bob.jones", "carol.smith"],
        ),
        (r#"active eq false"#, &["bob.jones"]),
        (
            r#"userName co "smith" and title co "manager""#,
            &["carol.smith"],
        ),
        (
            r#"userName eq "dave" or externalId eq "EXT-2""#,
            &["bob.jones", "dave"],
        ),
        (r#"not (userName co "smith")"#, &["bob.jones", "dave"]),
        (
            r#"(userName sw "a" or userName sw "b") and not (active eq false)"#,
            &["alice.smith"],
        ),
        (
            r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq "Engineering""#,
            &["alice.smith", "carol.smith"],
        ),
        (
            r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq "sales""#,
            &["bob.jones"],
        ),
        (r#"name.familyName eq "smith""#, &["alice.smith"]),
    ];
    for (filter, want) in cases {
        assert_eq!(scim.find_users(filter).await, *want, "{filter}");
    }

    // meta.lastModified compares as a date-time: only what changed after carol.
    let carol_time = carol["meta"]["lastModified"].as_str().unwrap();
    assert_eq!(
        scim.find_users(&format!("meta.lastModified gt \"{carol_time}\""))
            .await,
        ["dave"]
    );
    assert_eq!(
        scim.find_users(&format!("meta.lastModified ge \"{carol_time}\""))
            .await,
        ["carol.smith", "dave"]
    );
    assert_eq!(
        scim.find_users("meta.lastModified lt \"2000-01-01T00:00:00Z\"")
            .await,
        Vec::<String>::new()
    );

    for bad in [
        r#"userName eq"#,
        r#"userName zz "a""#,
        r#"(userName eq "a""#,
        r#"userName eq "a" and"#,
        r#"emails[type eq "work".value eq "x""#,
    ] {
        scim.query("/Users", &[("filter", bad)])
            .await
            .assert_error(400, Some("invalidFilter"));
    }
}

#[tokio::test]
async fn paging_sorting_and_attribute_selection() {
    let scim = Scim::start();
    // Created out of order, so creation order and userName order differ.
    let names: Vec<String> = (0..25).map(|i| format!("page-user-{i:02}")).collect();
    for i in 0..25 {
        let name = &names[(i * 7) % 25];
        scim.create_user(json!({
            "userName": name,
            "emails": [{"type": "work", "value": format!("{name}@example.com")}]
        }))
        .await;
    }

    let only_total = scim.list("/Users", &[("count", "0")]).await;
    assert_eq!(only_total["totalResults"], 25);
    assert_eq!(only_total["itemsPerPage"], 0);
    assert!(resources(&only_total).is_empty());

    // Pages over a sorted list, with and without a filter (the filtered one is sorted in
    // memory, the other in SQL): both give the same pages.
    for filter in [None, Some(r#"userName sw "page-user-""#)] {
        let mut base = vec![("sortBy", "userName"), ("count", "10")];
        if let Some(f) = filter {
            base.push(("filter", f));
        }
        let mut seen = Vec::new();
        for (start, want_items) in [("1", 10), ("11", 10), ("21", 5), ("26", 0)] {
            let mut params = base.clone();
            params.push(("startIndex", start));
            let page = scim.list("/Users", &params).await;
            assert_eq!(page["totalResults"], 25, "{filter:?} {start}");
            assert_eq!(page["startIndex"], start.parse::<u64>().unwrap());
            assert_eq!(page["itemsPerPage"], want_items, "{filter:?} {start}");
            seen.extend(column(&page, "userName"));
        }
        assert_eq!(seen, names, "{filter:?}");

        let mut params = base.clone();
        params.extend([("sortOrder", "descending"), ("count", "3")]);
        let top = scim.list("/Users", &params).await;
        assert_eq!(
            column(&top, "userName"),
            ["page-user-24", "page-user-23", "page-user-22"],
            "{filter:?}"
        );
    }

    // Without sortBy the pages still cover every user exactly once.
    let mut ids = Vec::new();
    for start in ["1", "8", "15", "22"] {
        let page = scim
            .list("/Users", &[("startIndex", start), ("count", "7")])
            .await;
        ids.extend(column(&page, "id"));
    }
    assert_eq!(ids.len(), 25);
    assert_eq!(ids.iter().collect::<BTreeSet<_>>().len(), 25);

    // attributes: only what was asked, plus id and schemas (returned always).
    let projected = scim
        .list("/Users", &[("attributes", "userName"), ("count", "5")])
        .await;
    for r in resources(&projected) {
        let keys: BTreeSet<&str> = r.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(keys, ["id", "schemas", "userName"].into(), "{r:#}");
    }
    // excludedAttributes: everything but those; id cannot be excluded.
    let excluded = scim
        .list(
            "/Users",
            &[("excludedAttributes", "emails,id"), ("count", "5")],
        )
        .await;
    for r in resources(&excluded) {
        assert!(r.get("emails").is_none(), "{r:#}");
        assert!(r["id"].is_string() && r["userName"].is_string() && r["meta"].is_object());
        assert_eq!(r["schemas"], json!([USER]));
    }
    // On a single resource too.
    let one = &resources(&projected)[0];
    let single = scim
        .query(
            &format!("/Users/{}", id_of(one)),
            &[("attributes", "emails.value")],
        )
        .await
        .expect(200)
        .body;
    let keys: BTreeSet<&str> = single
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys, ["emails", "id", "schemas"].into(), "{single:#}");
    assert_eq!(
        single["emails"],
        json!([{"value": format!("{}@example.com", one["userName"].as_str().unwrap())}])
    );

    // POST .search: the same thing with a SearchRequest body.
    let search = scim
        .post(
            "/Users/.search",
            &json!({
                "schemas": [SEARCH],
                "filter": "userName sw \"page-user-1\"",
                "sortBy": "userName",
                "sortOrder": "descending",
                "startIndex": 2,
                "count": 3,
                "attributes": ["userName"]
            }),
        )
        .await
        .expect(200)
        .body;
    assert_eq!(search["totalResults"], 10);
    assert_eq!(search["startIndex"], 2);
    assert_eq!(search["itemsPerPage"], 3);
    assert_eq!(
        column(&search, "userName"),
        ["page-user-18", "page-user-17", "page-user-16"]
    );
    for r in resources(&search) {
        assert!(
            r.get("emails").is_none() && r.get("meta").is_none(),
            "{r:#}"
        );
    }

    // Across resource types at the root.
    scim.create_group(json!({"displayName": "page-group"}))
        .await;
    let everything = scim
        .post(
            "/.search",
            &json!({"schemas": [SEARCH], "filter": "userName eq \"page-user-03\" or displayName eq \"page-group\"", "attributes": ["id"]}),
        )
        .await
        .expect(200)
        .body;
    assert_eq!(everything["totalResults"], 2);
    let schemas: BTreeSet<String> = resources(&everything)
        .iter()
        .map(|r| r["schemas"][0].as_str().unwrap().to_string())
        .collect();
    assert_eq!(schemas, [USER, GROUP].map(String::from).into());

    for (name, value) in [
        ("sortOrder", "sideways"),
        ("count", "ten"),
        ("startIndex", "first"),
        ("attributes", "bad name!"),
        ("sortBy", "not an attribute!"),
    ] {
        scim.query("/Users", &[(name, value)])
            .await
            .assert_error(400, Some("invalidValue"));
    }
}

// ---- PATCH ----

#[tokio::test]
async fn patch_changes_users_as_real_clients_send_it() {
    let scim = Scim::start();
    let boss = id_of(&scim.create_user(json!({"userName": "the.boss"})).await);
    let other_boss = id_of(&scim.create_user(json!({"userName": "other.boss"})).await);
    let user = scim
        .create_user(json!({
            "userName": "pat.chy",
            "title": "Intern",
            "active": true,
            "name": {"givenName": "Pat", "familyName": "Chy"},
            "emails": [
                {"type": "work", "value": "pat@work.example", "primary": true},
                {"type": "home", "value": "pat@home.example"}
            ]
        }))
        .await;
    let path = format!("/Users/{}", id_of(&user));
    let email_of = |u: &Value, kind: &str| -> Option<String> {
        u["emails"]
            .as_array()?
            .iter()
            .find(|e| e["type"] == kind)
            .map(|e| e["value"].as_str().unwrap().to_string())
    };

    // A value filter path changes one value of a multi-valued attribute.
    let r = scim
        .patch(
            &path,
            json!([{"op": "replace", "path": "emails[type eq \"work\"].value", "value": "pat.chy@work.example"}]),
        )
        .await
        .expect(200);
    assert_eq!(r.etag(), "W/\"2\"");
    assert_eq!(r.body["meta"]["version"], "W/\"2\"");
    assert_eq!(
        email_of(&r.body, "work").as_deref(),
        Some("pat.chy@work.example")
    );
    assert_eq!(
        email_of(&r.body, "home").as_deref(),
        Some("pat@home.example")
    );
    assert_eq!(r.body["emails"][0]["primary"], true);

    // add with paths: a new attribute and a value appended to a multi-valued one.
    let r = scim
        .patch(
            &path,
            json!([
                {"op": "add", "path": "nickName", "value": "Patty"},
                {"op": "add", "path": "emails", "value": [{"type": "other", "value": "pat@other.example"}]}
            ]),
        )
        .await
        .expect(200);
    assert_eq!(r.body["nickName"], "Patty");
    assert_eq!(r.body["emails"].as_array().unwrap().len(), 3);

    // remove with a filter and with a plain path.
    let r = scim
        .patch(
            &path,
            json!([
                {"op": "remove", "path": "emails[type eq \"home\"]"},
                {"op": "remove", "path": "title"}
            ]),
        )
        .await
        .expect(200);
    assert_eq!(email_of(&r.body, "home"), None);
    assert_eq!(
        email_of(&r.body, "other").as_deref(),
        Some("pat@other.example")
    );
    assert!(r.body.get("title").is_none(), "{:#}", r.body);

    // replace without a path: an object of attributes, sub-attribute paths and an
    // extension; what it does not name stays.
    let r = scim
        .patch(
            &path,
            json!([{"op": "replace", "value": {
                "displayName": "Pat Chy",
                "name.givenName": "Patricia",
                ENTERPRISE: {"department": "Operations"}
            }}]),
        )
        .await
        .expect(200);
    assert_eq!(r.body["displayName"], "Pat Chy");
    assert_eq!(
        r.body["name"],
        json!({"givenName": "Patricia", "familyName": "Chy"})
    );
    assert_eq!(r.body[ENTERPRISE]["department"], "Operations");
    assert!(r.body["schemas"]
        .as_array()
        .unwrap()
        .contains(&json!(ENTERPRISE)));
    assert_eq!(r.body["nickName"], "Patty");

    // Entra's legacy shapes: capitalised op names, "False" as a string, "operations" in
    // lower case and no schemas.
    let legacy = json!({"operations": [
        {"op": "Replace", "path": "active", "value": "False"},
        {"op": "Add", "path": "title", "value": "Engineer"}
    ]});
    let r = send(scim.with_json(Method::PATCH, &path, &legacy))
        .await
        .expect(200);
    assert_eq!(r.body["active"], false);
    assert_eq!(r.body["title"], "Engineer");
    let r = scim
        .patch(
            &path,
            json!([{"op": "REPLACE", "path": "active", "value": "True"}]),
        )
        .await
        .expect(200);
    assert_eq!(r.body["active"], true);

    // The enterprise manager: as the RFC has it, then as Entra sends it (a one-element
    // array with a null $ref).
    let manager_path = format!("{ENTERPRISE}:manager");
    let r = scim
        .patch(
            &path,
            json!([{"op": "add", "path": manager_path, "value": {"value": boss}}]),
        )
        .await
        .expect(200);
    assert_eq!(r.body[ENTERPRISE]["manager"]["value"], boss.as_str());
    assert_eq!(r.body[ENTERPRISE]["department"], "Operations");
    let r = scim
        .patch(
            &path,
            json!([{"op": "Add", "path": manager_path, "value": [{"$ref": null, "value": other_boss}]}]),
        )
        .await
        .expect(200);
    assert_eq!(r.body[ENTERPRISE]["manager"]["value"], other_boss.as_str());

    // What a GET answers afterwards is what the PATCHes made.
    let got = scim.get(&path).await.expect(200);
    assert_eq!(got.etag(), "W/\"9\"");
    let u = got.body;
    assert_eq!(u["userName"], "pat.chy");
    assert_eq!(u["displayName"], "Pat Chy");
    assert_eq!(u["nickName"], "Patty");
    assert_eq!(u["title"], "Engineer");
    assert_eq!(u["active"], true);
    assert_eq!(
        u["name"],
        json!({"givenName": "Patricia", "familyName": "Chy"})
    );
    assert_eq!(
        sorted(
            u["emails"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["value"].as_str().unwrap().to_string())
                .collect()
        ),
        ["pat.chy@work.example", "pat@other.example"]
    );
    assert_eq!(
        u[ENTERPRISE],
        json!({"department": "Operations", "manager": {"value": other_boss}})
    );

    // Removing the manager, and an idempotent removal of what is not there.
    let r = scim
        .patch(
            &path,
            json!([
                {"op": "remove", "path": manager_path},
                {"op": "remove", "path": "emails[type eq \"home\"]"}
            ]),
        )
        .await
        .expect(200);
    assert!(r.body[ENTERPRISE].get("manager").is_none(), "{:#}", r.body);

    // Refusals: replace of a filter that matches nothing, remove without a path, a
    // readOnly attribute, an unknown op, and no operations at all.
    let version = r.etag();
    scim.patch(
        &path,
        json!([{"op": "replace", "path": "emails[type eq \"pager\"].value", "value": "x"}]),
    )
    .await
    .assert_error(400, Some("noTarget"));
    scim.patch(&path, json!([{"op": "remove"}]))
        .await
        .assert_error(400, Some("noTarget"));
    scim.patch(
        &path,
        json!([{"op": "replace", "path": "id", "value": "mine"}]),
    )
    .await
    .assert_error(400, Some("mutability"));
    assert_eq!(
        scim.patch(
            &path,
            json!([{"op": "move", "path": "title", "value": "x"}])
        )
        .await
        .status,
        400
    );
    scim.patch(&path, json!([]))
        .await
        .assert_error(400, Some("invalidValue"));
    assert_eq!(scim.get(&path).await.expect(200).etag(), version);
}

// ---- ETags ----

#[tokio::test]
async fn etags_make_reads_conditional_and_writes_safe() {
    let scim = Scim::start();
    let created = scim
        .post("/Users", &json!({"userName": "etag.user", "title": "A"}))
        .await
        .expect(201);
    let path = format!("/Users/{}", id_of(&created.body));
    let v1 = created.etag();

    let not_modified = send(scim.req(Method::GET, &path).header("if-none-match", &v1)).await;
    assert_eq!(not_modified.status, 304);
    assert_eq!(not_modified.body, Value::Null);
    assert_eq!(not_modified.header("etag"), Some(v1.as_str()));
    let other = send(
        scim.req(Method::GET, &path)
            .header("if-none-match", "W/\"999\""),
    )
    .await
    .expect(200);
    assert_eq!(other.body["title"], "A");

    let patched = send(
        scim.with_json(
            Method::PATCH,
            &path,
            &patch_body(json!([{"op": "replace", "path": "title", "value": "B"}])),
        )
        .header("if-match", &v1),
    )
    .await
    .expect(200);
    let v2 = patched.etag();
    assert_ne!(v2, v1);
    assert_eq!(patched.body["meta"]["version"], v2.as_str());

    // The old ETag no longer matches: nothing changes.
    let stale = send(
        scim.with_json(
            Method::PATCH,
            &path,
            &patch_body(json!([{"op": "replace", "path": "title", "value": "C"}])),
        )
        .header("if-match", &v1),
    )
    .await;
    stale.assert_error(412, None);
    assert!(stale.body["detail"].as_str().unwrap().contains(&v2));
    let stale_put = send(
        scim.with_json(
            Method::PUT,
            &path,
            &json!({"userName": "etag.user", "title": "C"}),
        )
        .header("if-match", &v1),
    )
    .await;
    stale_put.assert_error(412, None);
    let stale_delete = send(scim.req(Method::DELETE, &path).header("if-match", &v1)).await;
    stale_delete.assert_error(412, None);
    let now = scim.get(&path).await.expect(200);
    assert_eq!(now.etag(), v2);
    assert_eq!(now.body["title"], "B");
    // and a read with the current ETag is still not modified.
    let cached = send(scim.req(Method::GET, &path).header("if-none-match", &v2)).await;
    assert_eq!(cached.status, 304);

    // With the current ETag (one of a list, or *) writes go through.
    let put = send(
        scim.with_json(
            Method::PUT,
            &path,
            &json!({"userName": "etag.user", "title": "D"}),
        )
        .header("if-match", format!("W/\"998\", {v2}")),
    )
    .await
    .expect(200);
    let v3 = put.etag();
    assert_ne!(v3, v2);
    assert_eq!(put.body["title"], "D");
    let any = send(
        scim.with_json(
            Method::PATCH,
            &path,
            &patch_body(json!([{"op": "replace", "path": "title", "value": "E"}])),
        )
        .header("if-match", "*"),
    )
    .await
    .expect(200);
    let v4 = any.etag();
    assert_ne!(v4, v3);
    send(scim.req(Method::DELETE, &path).header("if-match", &v4))
        .await
        .expect(204);

    // Groups have ETags too.
    let group = scim
        .post("/Groups", &json!({"displayName": "ETag Group"}))
        .await
        .expect(201);
    let gpath = format!("/Groups/{}", id_of(&group.body));
    let g1 = group.etag();
    assert_eq!(
        send(scim.req(Method::GET, &gpath).header("if-none-match", &g1))
            .await
            .status,
        304
    );
    let renamed = send(
        scim.with_json(
            Method::PATCH,
            &gpath,
            &patch_body(json!([{"op": "replace", "path": "displayName", "value": "ETag Group 2"}])),
        )
        .header("if-match", &g1),
    )
    .await
    .expect(200);
    assert_ne!(renamed.etag(), g1);
    send(
        scim.with_json(Method::PUT, &gpath, &json!({"displayName": "ETag Group 3"}))
            .header("if-match", &g1),
    )
    .await
    .assert_error(412, None);
    assert_eq!(
        scim.get(&gpath).await.expect(200).body["displayName"],
        "ETag Group 2"
    );
}

// ---- Groups ----

#[tokio::test]
async fn groups_hold_users_and_groups() {
    let scim = Scim::start();
    let ann = id_of(
        &scim
            .create_user(json!({"userName": "ann", "displayName": "Ann Archer"}))
            .await,
    );
    let ben = id_of(&scim.create_user(json!({"userName": "ben"})).await);
    let cy = id_of(&scim.create_user(json!({"userName": "cy"})).await);
    let inner = scim
        .create_group(
            json!({"schemas": [GROUP], "displayName": "Inner", "members": [{"value": cy}]}),
        )
        .await;
    let inner_id = id_of(&inner);

    let created = scim
        .post(
            "/Groups",
            &json!({
                "schemas": [GROUP],
                "displayName": "Outer",
                "externalId": "G-1",
                "members": [{"value": ann, "type": "User"}, {"value": inner_id}]
            }),
        )
        .await
        .expect(201);
    assert_eq!(created.etag(), "W/\"1\"");
    let outer = created.body.clone();
    let outer_id = id_of(&outer);
    let opath = format!("/Groups/{outer_id}");
    assert_eq!(
        created.header("location"),
        outer["meta"]["location"].as_str()
    );
    assert_eq!(outer["meta"]["resourceType"], "Group");
    assert_eq!(outer["schemas"], json!([GROUP]));
    assert_eq!(outer["externalId"], "G-1");

    let got = scim.get(&opath).await.expect(200).body;
    let members = got["members"].as_array().unwrap();
    assert_eq!(members.len(), 2, "{got:#}");
    for m in members {
        let value = m["value"].as_str().unwrap();
        let (kind, endpoint) = if value == ann {
            ("User", "Users")
        } else {
            assert_eq!(value, inner_id);
            ("Group", "Groups")
        };
        assert_eq!(m["type"], kind, "{m:#}");
        let reference = m["$ref"].as_str().unwrap();
        assert!(
            reference.starts_with(PUBLIC) && reference.ends_with(&format!("/{endpoint}/{value}")),
            "{reference}"
        );
        assert!(m.get("display").is_none(), "display only on request: {m:#}");
    }
    assert_eq!(got["members"], outer["members"]);

    // display is there when asked for.
    let with_display = scim
        .query(&opath, &[("attributes", "members.display")])
        .await
        .expect(200)
        .body;
    let displays: BTreeSet<&str> = with_display["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["display"].as_str().unwrap())
        .collect();
    assert_eq!(displays, ["Ann Archer", "Inner"].into());
    assert!(with_display.get("displayName").is_none());
    let without = scim
        .query(&opath, &[("excludedAttributes", "members")])
        .await
        .expect(200)
        .body;
    assert!(without.get("members").is_none(), "{without:#}");
    assert_eq!(without["displayName"], "Outer");

    // A user shows its direct groups.
    let ann_user = scim.get(&format!("/Users/{ann}")).await.expect(200).body;
    assert_eq!(ann_user["groups"].as_array().unwrap().len(), 1);
    assert_eq!(ann_user["groups"][0]["value"], outer_id.as_str());
    assert_eq!(ann_user["groups"][0]["display"], "Outer");
    assert_eq!(ann_user["groups"][0]["type"], "direct");
    assert!(ann_user["groups"][0]["$ref"]
        .as_str()
        .unwrap()
        .ends_with(&format!("/Groups/{outer_id}")));
    let cy_user = scim.get(&format!("/Users/{cy}")).await.expect(200).body;
    assert_eq!(values(&cy_user, "groups"), [inner_id.as_str()]);
    assert!(scim
        .get(&format!("/Users/{ben}"))
        .await
        .expect(200)
        .body
        .get("groups")
        .is_none());
    // The user's groups can be filtered on.
    assert_eq!(
        scim.find_users(&format!("groups.value eq \"{outer_id}\""))
            .await,
        ["ann"]
    );

    // PATCH add (a value list), remove by filter, and Entra's remove with a value list
    // (which removes only those listed). A PATCH that only changes members is applied to the
    // membership rows and answered 204 with the new ETag (RFC 7644 §3.5.2), unless the client
    // asks for attributes.
    let before = scim.get(&opath).await.expect(200).etag();
    let r = scim
        .patch(
            &opath,
            json!([{"op": "add", "path": "members", "value": [{"value": ben}]}]),
        )
        .await
        .expect(204);
    assert_ne!(r.etag(), before);
    assert_eq!(
        values(&scim.get(&opath).await.expect(200).body, "members"),
        sorted(vec![ann.clone(), ben.clone(), inner_id.clone()])
    );
    scim.patch(
        &opath,
        json!([{"op": "remove", "path": format!("members[value eq \"{ann}\"]")}]),
    )
    .await
    .expect(204);
    assert_eq!(
        values(&scim.get(&opath).await.expect(200).body, "members"),
        sorted(vec![ben.clone(), inner_id.clone()])
    );
    let r = scim
        .patch(
            &format!("{opath}?attributes=members"),
            json!([{"op": "Remove", "path": "members", "value": [{"value": inner_id}]}]),
        )
        .await
        .expect(200);
    assert_eq!(values(&r.body, "members"), [ben.as_str()]);
    let version = r.etag();
    assert_eq!(
        values(&scim.get(&opath).await.expect(200).body, "members"),
        [ben.as_str()]
    );

    // Unknown members and wrong types are refused, and change nothing.
    scim.patch(
        &opath,
        json!([{"op": "add", "path": "members", "value": [{"value": "6f1c1b9e-0000-4000-8000-000000000000"}]}]),
    )
    .await
    .assert_error(400, Some("invalidValue"));
    scim.patch(
        &opath,
        json!([{"op": "add", "path": "members", "value": [{"value": ann, "type": "Group"}]}]),
    )
    .await
    .assert_error(400, Some("invalidValue"));
    scim.post(
        "/Groups",
        &json!({"displayName": "Ghosts", "members": [{"value": "no-such-id"}]}),
    )
    .await
    .assert_error(400, Some("invalidValue"));
    assert_eq!(scim.get(&opath).await.expect(200).etag(), version);

    // displayName is unique, ignoring case; filters find groups by it.
    scim.post("/Groups", &json!({"displayName": "OUTER"}))
        .await
        .assert_error(409, Some("uniqueness"));
    let found = scim
        .list(
            "/Groups",
            &[
                ("filter", "displayName eq \"outer\""),
                ("excludedAttributes", "members"),
            ],
        )
        .await;
    assert_eq!(column(&found, "id"), [outer_id.as_str()]);
    assert!(resources(&found)[0].get("members").is_none());
    let found = scim
        .list(
            "/Groups",
            &[("filter", &format!("members.value eq \"{cy}\""))],
        )
        .await;
    assert_eq!(column(&found, "displayName"), ["Inner"]);
    let all = scim.list("/Groups", &[]).await;
    assert_eq!(all["totalResults"], 2);

    // PUT replaces members too.
    let r = scim
        .put(
            &opath,
            &json!({"displayName": "Outer Renamed", "members": [{"value": ann}, {"value": cy}]}),
        )
        .await
        .expect(200);
    assert_eq!(r.body["displayName"], "Outer Renamed");
    assert_eq!(
        values(&r.body, "members"),
        sorted(vec![ann.clone(), cy.clone()])
    );
    assert!(r.body.get("externalId").is_none());

    // Deleting a group removes it, and its memberships.
    scim.delete(&format!("/Groups/{inner_id}"))
        .await
        .expect(204);
    scim.get(&format!("/Groups/{inner_id}"))
        .await
        .assert_error(404, None);
    let cy_user = scim.get(&format!("/Users/{cy}")).await.expect(200).body;
    assert_eq!(values(&cy_user, "groups"), [outer_id.as_str()]);
    scim.delete(&opath).await.expect(204);
    scim.get(&opath).await.assert_error(404, None);
    assert!(scim
        .get(&format!("/Users/{ann}"))
        .await
        .expect(200)
        .body
        .get("groups")
        .is_none());
    assert_eq!(scim.list("/Groups", &[]).await["totalResults"], 0);
}

// ---- Bulk ----

#[tokio::test]
async fn bulk_resolves_references_and_honours_fail_on_errors() {
    let scim = Scim::start();
    // The group comes first and names the user by bulkId; the last operation names a
    // bulkId nothing creates.
    let reply = scim
        .bulk(&json!({
            "schemas": [BULK_REQUEST],
            "Operations": [
                {"method": "POST", "path": "/Groups", "bulkId": "team",
                 "data": {"schemas": [GROUP], "displayName": "Bulk Team",
                          "members": [{"type": "User", "value": "bulkId:person"}]}},
                {"method": "POST", "path": "/Users", "bulkId": "person",
                 "data": {"schemas": [USER], "userName": "bulk.person"}},
                {"method": "POST", "path": "/Groups", "bulkId": "orphans",
                 "data": {"displayName": "Orphans", "members": [{"value": "bulkId:nobody"}]}}
            ]
        }))
        .await
        .expect(200);
    let body = reply.body;
    assert_eq!(body["schemas"], json!([BULK_RESPONSE]));
    let ops = body["Operations"].as_array().unwrap();
    assert_eq!(ops.len(), 3, "{body:#}");
    assert_eq!(ops[0]["bulkId"], "team");
    assert_eq!(ops[0]["method"], "POST");
    assert_eq!(ops[0]["status"], "201", "{body:#}");
    assert_eq!(ops[0]["version"], "W/\"1\"");
    assert_eq!(ops[1]["bulkId"], "person");
    assert_eq!(ops[1]["status"], "201", "{body:#}");
    assert_eq!(ops[2]["bulkId"], "orphans");
    assert_eq!(ops[2]["status"], "409", "{body:#}");
    assert_eq!(ops[2]["response"]["schemas"], json!([ERROR]));
    assert!(ops[2]["response"]["detail"]
        .as_str()
        .unwrap()
        .contains("nobody"));
    let group_location = ops[0]["location"].as_str().unwrap();
    let user_location = ops[1]["location"].as_str().unwrap();
    let group_id = group_location.rsplit('/').next().unwrap();
    let user_id = user_location.rsplit('/').next().unwrap();
    assert!(group_location.contains("/Groups/") && user_location.contains("/Users/"));

    let group = scim
        .get(&format!("/Groups/{group_id}"))
        .await
        .expect(200)
        .body;
    assert_eq!(group["displayName"], "Bulk Team");
    assert_eq!(values(&group, "members"), [user_id.to_string()]);
    assert_eq!(group["members"][0]["type"], "User");
    let user = scim
        .get(&format!("/Users/{user_id}"))
        .await
        .expect(200)
        .body;
    assert_eq!(user["userName"], "bulk.person");
    assert_eq!(values(&user, "groups"), [group_id.to_string()]);
    assert_eq!(scim.list("/Groups", &[]).await["totalResults"], 1);

    // PATCH and PUT by id, with and without a version.
    let reply = scim
        .bulk(&json!({
            "schemas": [BULK_REQUEST],
            "Operations": [
                {"method": "PATCH", "path": format!("/Users/{user_id}"), "version": "W/\"1\"",
                 "data": patch_body(json!([{"op": "add", "path": "displayName", "value": "Bulk Person"}]))},
                {"method": "PUT", "path": format!("/Groups/{group_id}"),
                 "data": {"displayName": "Bulk Team", "members": []}}
            ]
        }))
        .await
        .expect(200);
    let ops = reply.body["Operations"].as_array().unwrap();
    assert_eq!(ops[0]["status"], "200", "{:#}", reply.body);
    assert_eq!(ops[0]["version"], "W/\"2\"");
    assert_eq!(ops[1]["status"], "200", "{:#}", reply.body);
    let user = scim
        .get(&format!("/Users/{user_id}"))
        .await
        .expect(200)
        .body;
    assert_eq!(user["displayName"], "Bulk Person");
    assert!(user.get("groups").is_none(), "{user:#}");

    // failOnErrors=1: the first error stops the rest.
    let reply = scim
        .bulk(&json!({
            "schemas": [BULK_REQUEST],
            "failOnErrors": 1,
            "Operations": [
                {"method": "POST", "path": "/Users", "data": {"userName": "BULK.person"}},
                {"method": "POST", "path": "/Users", "data": {"userName": "never.created"}}
            ]
        }))
        .await
        .expect(200);
    let ops = reply.body["Operations"].as_array().unwrap();
    assert_eq!(ops.len(), 1, "{:#}", reply.body);
    assert_eq!(ops[0]["status"], "409");
    assert_eq!(ops[0]["response"]["scimType"], "uniqueness");
    assert_eq!(
        scim.find_users("userName eq \"never.created\"").await,
        Vec::<String>::new()
    );

    // failOnErrors=2 runs until the second error; without it every operation runs.
    let reply = scim
        .bulk(&json!({
            "schemas": [BULK_REQUEST],
            "failOnErrors": 2,
            "Operations": [
                {"method": "POST", "path": "/Users", "data": {"userName": "bulk.person"}},
                {"method": "POST", "path": "/Users", "data": {"userName": "counted.one"}},
                {"method": "PUT", "path": format!("/Users/{user_id}"), "version": "W/\"99\"",
                 "data": {"userName": "bulk.person"}},
                {"method": "POST", "path": "/Users", "data": {"userName": "after.two.errors"}}
            ]
        }))
        .await
        .expect(200);
    let statuses: Vec<&str> = reply.body["Operations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["409", "201", "412"], "{:#}", reply.body);
    let reply = scim
        .bulk(&json!({
            "schemas": [BULK_REQUEST],
            "Operations": [
                {"method": "POST", "path": "/Users", "data": {"userName": "counted.one"}},
                {"method": "POST", "path": "/Users", "data": {"userName": "after.errors"}},
                {"method": "DELETE", "path": format!("/Users/{user_id}")},
                {"method": "POST", "path": "/Devices", "data": {}}
            ]
        }))
        .await
        .expect(200);
    let statuses: Vec<&str> = reply.body["Operations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["409", "201", "204", "400"], "{:#}", reply.body);
    assert_eq!(
        scim.find_users("userName sw \"after.\"").await,
        ["after.errors"]
    );
    scim.get(&format!("/Users/{user_id}"))
        .await
        .assert_error(404, None);

    // More than maxOperations: refused whole, nothing runs.
    let too_many: Vec<Value> = (0..1001)
        .map(|i| json!({"method": "POST", "path": "/Users", "data": {"userName": format!("over-{i}")}}))
        .collect();
    let reply = scim
        .bulk(&json!({"schemas": [BULK_REQUEST], "Operations": too_many}))
        .await;
    reply.assert_error(413, Some("tooMany"));
    assert_eq!(
        scim.find_users("userName sw \"over-\"").await,
        Vec::<String>::new()
    );

    scim.bulk(&json!({"schemas": [BULK_REQUEST], "Operations": "all of them"}))
        .await
        .assert_error(400, Some("invalidSyntax"));
}

// ---- refused input ----

/// The user at `path` is still at version 1 and exactly `before`.
async fn assert_unchanged(scim: &Scim, path: &str, before: &Value) {
    let now = scim.get(path).await.expect(200);
    assert_eq!(now.etag(), "W/\"1\"");
    assert_eq!(now.body, *before);
}

#[tokio::test]
async fn bad_input_is_refused_and_nothing_is_half_written() {
    let scim = Scim::start();
    let solid = scim
        .post(
            "/Users",
            &json!({"userName": "solid", "displayName": "Solid", "active": true}),
        )
        .await
        .expect(201);
    let path = format!("/Users/{}", id_of(&solid.body));
    let before = solid.body.clone();
    scim.create_user(json!({"userName": "taken"})).await;

    let malformed = send(
        scim.req(Method::POST, "/Users")
            .header(CONTENT_TYPE, SCIM_JSON)
            .body("{\"userName\": "),
    )
    .await;
    malformed.assert_error(400, Some("invalidSyntax"));
    scim.post(
        "/Users",
        &json!({"userName": "x", "favouriteColour": "blue"}),
    )
    .await
    .assert_error(400, Some("invalidSyntax"));
    scim.post(
        "/Users",
        &json!({"userName": "x", "urn:example:unknown": {"a": 1}}),
    )
    .await
    .assert_error(400, Some("invalidSyntax"));
    scim.post("/Users", &json!({"userName": "x", "active": "yes"}))
        .await
        .assert_error(400, Some("invalidValue"));
    scim.post(
        "/Users",
        &json!({"userName": "x", "emails": {"value": "x@example.com"}}),
    )
    .await
    .assert_error(400, Some("invalidValue"));
    scim.post("/Users", &json!({"displayName": "no userName"}))
        .await
        .assert_error(400, Some("invalidValue"));
    scim.post("/Users", &json!(["not", "an", "object"]))
        .await
        .assert_error(400, Some("invalidSyntax"));

    // Over 1 MiB, and not JSON at all.
    let huge = json!({"userName": "huge", "displayName": "x".repeat(1024 * 1024)});
    scim.post("/Users", &huge).await.assert_error(413, None);
    let plain = send(
        scim.req(Method::POST, "/Users")
            .header(CONTENT_TYPE, "text/plain")
            .body(json!({"userName": "plain"}).to_string()),
    )
    .await;
    plain.assert_error(415, None);
    // application/json is accepted as well as application/scim+json.
    send(
        scim.req(Method::POST, "/Users")
            .header(CONTENT_TYPE, "application/json; charset=utf-8")
            .body(json!({"userName": "plain.json"}).to_string()),
    )
    .await
    .expect(201);
    assert_eq!(
        scim.find_users("userName eq \"huge\" or userName eq \"plain\" or userName eq \"x\"")
            .await,
        Vec::<String>::new()
    );

    // Failed writes leave the resource exactly as it was.
    let r = scim
        .put(
            &path,
            &json!({"userName": "solid", "displayName": "Gone", "active": "yes"}),
        )
        .await;
    r.assert_error(400, Some("invalidValue"));
    assert_unchanged(&scim, &path, &before).await;
    let r = scim
        .put(&path, &json!({"userName": "TAKEN", "displayName": "Gone"}))
        .await;
    r.assert_error(409, Some("uniqueness"));
    assert_unchanged(&scim, &path, &before).await;
    let r = scim
        .patch(
            &path,
            json!([
                {"op": "replace", "path": "displayName", "value": "Changed"},
                {"op": "replace", "path": "active", "value": "yes"}
            ]),
        )
        .await;
    r.assert_error(400, Some("invalidValue"));
    assert_unchanged(&scim, &path, &before).await;
    let r = scim
        .patch(
            &path,
            json!([
                {"op": "replace", "path": "displayName", "value": "Changed"},
                {"op": "replace", "path": "userName", "value": "taken"}
            ]),
        )
        .await;
    r.assert_error(409, Some("uniqueness"));
    assert_unchanged(&scim, &path, &before).await;
    let r = scim
        .patch(
            &path,
            json!([
                {"op": "replace", "path": "displayName", "value": "Changed"},
                {"op": "add", "path": "favouriteColour", "value": "blue"}
            ]),
        )
        .await;
    assert_eq!(r.status, 400, "{:#}", r.body);
    assert_unchanged(&scim, &path, &before).await;
    let r = send(scim.with_json(Method::PATCH, &path, &json!({"op": "replace"}))).await;
    r.assert_error(400, Some("invalidSyntax"));
    assert_unchanged(&scim, &path, &before).await;
    let r = send(
        scim.req(Method::PUT, &path)
            .header(CONTENT_TYPE, SCIM_JSON)
            .body("{\"userName\": \"solid\","),
    )
    .await;
    r.assert_error(400, Some("invalidSyntax"));
    assert_unchanged(&scim, &path, &before).await;

    // The same for a group: a rename together with an unknown member changes nothing.
    let group = scim
        .post("/Groups", &json!({"displayName": "Steady"}))
        .await
        .expect(201);
    let gpath = format!("/Groups/{}", id_of(&group.body));
    scim.patch(
        &gpath,
        json!([
            {"op": "replace", "path": "displayName", "value": "Renamed"},
            {"op": "add", "path": "members", "value": [{"value": "6f1c1b9e-0000-4000-8000-000000000000"}]}
        ]),
    )
    .await
    .assert_error(400, Some("invalidValue"));
    let now = scim.get(&gpath).await.expect(200);
    assert_eq!(now.etag(), group.etag());
    assert_eq!(now.body["displayName"], "Steady");

    scim.post("/Users/.search", &json!({"filter": 42}))
        .await
        .assert_error(400, Some("invalidSyntax"));
}

// ---- the change feed ----

#[tokio::test]
async fn scim_writes_land_in_the_change_feed() {
    let scim = Scim::start();
    let user = id_of(&scim.create_user(json!({"userName": "feed.user"})).await);
    let upath = format!("/Users/{user}");
    scim.patch(
        &upath,
        json!([{"op": "replace", "path": "displayName", "value": "Feed User"}]),
    )
    .await
    .expect(200);
    scim.patch(
        &upath,
        json!([{"op": "Replace", "path": "active", "value": "False"}]),
    )
    .await
    .expect(200);
    scim.patch(
        &upath,
        json!([{"op": "replace", "path": "active", "value": true}]),
    )
    .await
    .expect(200);
    // Refused and no-op writes record nothing.
    scim.patch(
        &upath,
        json!([{"op": "replace", "path": "active", "value": "maybe"}]),
    )
    .await
    .expect(400);
    scim.patch(
        &upath,
        json!([{"op": "replace", "path": "displayName", "value": "Feed User"}]),
    )
    .await
    .expect(200);
    let group = id_of(
        &scim
            .create_group(json!({"displayName": "Feed Group", "members": [{"value": user}]}))
            .await,
    );
    scim.patch(
        &format!("/Groups/{group}"),
        json!([{"op": "remove", "path": format!("members[value eq \"{user}\"]")}]),
    )
    .await
    .expect(204);
    scim.delete(&upath).await.expect(204);
    scim.delete(&format!("/Groups/{group}")).await.expect(204);

    let store = scim.server.store().await;
    let changes = store.changes_after(0, 100).await.unwrap();
    let got: Vec<(ObjectType, &str, ChangeKind)> = changes
        .iter()
        .map(|c| (c.object_type, c.object_id.as_str(), c.kind))
        .collect();
    assert_eq!(
        got,
        [
            (ObjectType::User, user.as_str(), ChangeKind::Created),
            (ObjectType::User, user.as_str(), ChangeKind::Updated),
            (ObjectType::User, user.as_str(), ChangeKind::Disabled),
            (ObjectType::User, user.as_str(), ChangeKind::Enabled),
            (ObjectType::Group, group.as_str(), ChangeKind::Created),
            (ObjectType::Group, group.as_str(), ChangeKind::MemberAdded),
            (ObjectType::Group, group.as_str(), ChangeKind::MemberRemoved),
            (ObjectType::User, user.as_str(), ChangeKind::SoftDeleted),
            (ObjectType::Group, group.as_str(), ChangeKind::HardDeleted),
        ]
    );
    assert!(changes.windows(2).all(|w| w[0].seq < w[1].seq));
    assert_eq!(
        changes[5].detail,
        Some(json!({"member": user, "memberType": "user"}))
    );
    assert_eq!(changes[6].detail.as_ref().unwrap()["member"], user.as_str());
    assert_eq!(
        changes[8].detail.as_ref().unwrap()["displayName"],
        "Feed Group"
    );
    // The soft-deleted user is still in the store's recycle bin.
    let stored = store
        .user(steward_store::UserId::parse(&user).unwrap())
        .await
        .unwrap()
        .unwrap();
    assert!(stored.deleted_at.is_some());
    assert_eq!(stored.resource["displayName"], "Feed User");
}

// ---- known bugs: failing tests, ignored until the endpoint is fixed ----

#[tokio::test]
async fn locations_and_refs_have_no_double_slash() {
    let scim = Scim::start();
    let created = scim
        .post("/Users", &json!({"userName": "located"}))
        .await
        .expect(201);
    let id = id_of(&created.body);
    let want = format!("{PUBLIC}/scim/v2/Users/{id}");
    assert_eq!(created.header("location"), Some(want.as_str()));
    assert_eq!(created.body["meta"]["location"], want.as_str());
    let group = scim
        .create_group(json!({"displayName": "Located", "members": [{"value": id}]}))
        .await;
    let gid = id_of(&group);
    assert_eq!(
        group["meta"]["location"],
        format!("{PUBLIC}/scim/v2/Groups/{gid}")
    );
    assert_eq!(group["members"][0]["$ref"], want.as_str());
    // A client that follows the location it was given gets the resource.
    let followed = send(
        scim.client
            .get(want.replace(PUBLIC, &scim.server.base))
            .bearer_auth(&scim.token),
    )
    .await;
    assert_eq!(followed.status, 200);
}

#[tokio::test]
async fn bulk_resolves_bulk_ids_in_paths() {
    let scim = Scim::start();
    // The PATCH comes first: it must wait for the POST it names.
    let reply = scim
        .bulk(&json!({
            "schemas": [BULK_REQUEST],
            "Operations": [
                {"method": "PATCH", "path": "/Users/bulkId:person",
                 "data": patch_body(json!([{"op": "add", "path": "displayName", "value": "Named Later"}]))},
                {"method": "POST", "path": "/Users", "bulkId": "person",
                 "data": {"userName": "path.person"}}
            ]
        }))
        .await
        .expect(200);
    let ops = reply.body["Operations"].as_array().unwrap();
    let statuses: Vec<&str> = ops.iter().map(|o| o["status"].as_str().unwrap()).collect();
    assert_eq!(statuses, ["200", "201"], "{:#}", reply.body);
    let user = scim.find_users("displayName eq \"Named Later\"").await;
    assert_eq!(user, ["path.person"]);
}

#[tokio::test]
async fn deleted_user_leaves_its_groups_and_does_not_block_them() {
    let scim = Scim::start();
    let gone = id_of(&scim.create_user(json!({"userName": "leaver"})).await);
    let stays = id_of(&scim.create_user(json!({"userName": "stayer"})).await);
    let joiner = id_of(&scim.create_user(json!({"userName": "joiner"})).await);
    let group = id_of(
        &scim
            .create_group(
                json!({"displayName": "Team", "members": [{"value": gone}, {"value": stays}]}),
            )
            .await,
    );
    let gpath = format!("/Groups/{group}");
    scim.delete(&format!("/Users/{gone}")).await.expect(204);

    // To SCIM clients the user is gone (RFC 7644 §3.6: omitted from query results).
    let now = scim.get(&gpath).await.expect(200).body;
    assert_eq!(values(&now, "members"), [stays.as_str()], "{now:#}");
    let found = scim
        .list(
            "/Groups",
            &[("filter", &format!("members.value eq \"{gone}\""))],
        )
        .await;
    assert_eq!(found["totalResults"], 0);
    // The group can still be changed.
    scim.patch(
        &gpath,
        json!([{"op": "add", "path": "members", "value": [{"value": joiner}]}]),
    )
    .await
    .expect(204);
    assert_eq!(
        values(&scim.get(&gpath).await.expect(200).body, "members"),
        sorted(vec![stays, joiner])
    );
}

#[tokio::test]
async fn deleted_user_frees_its_user_name() {
    let scim = Scim::start();
    let first = id_of(
        &scim
            .create_user(json!({"userName": "rehired", "externalId": "HR-9"}))
            .await,
    );
    scim.delete(&format!("/Users/{first}")).await.expect(204);
    assert_eq!(
        scim.find_users("userName eq \"rehired\"").await,
        Vec::<String>::new()
    );
    let again = scim
        .post(
            "/Users",
            &json!({"userName": "rehired", "externalId": "HR-9"}),
        )
        .await;
    assert_eq!(again.status, 201, "{:#}", again.body);
    assert_ne!(id_of(&again.body), first);
}

#[tokio::test]
async fn unfiltered_sort_puts_unassigned_values_last_ascending() {
    let scim = Scim::start();
    scim.create_user(json!({"userName": "u-none"})).await;
    scim.create_user(json!({"userName": "u-zulu", "name": {"familyName": "Zulu"}}))
        .await;
    scim.create_user(json!({"userName": "u-alpha", "name": {"familyName": "alpha"}}))
        .await;
    let order = |list: Value| column(&list, "userName");
    let filtered_asc = order(
        scim.list(
            "/Users",
            &[("sortBy", "name.familyName"), ("filter", "userName pr")],
        )
        .await,
    );
    let unfiltered_asc = order(scim.list("/Users", &[("sortBy", "name.familyName")]).await);
    assert_eq!(filtered_asc, ["u-alpha", "u-zulu", "u-none"]);
    assert_eq!(unfiltered_asc, filtered_asc, "same query, different order");
    let unfiltered_desc = order(
        scim.list(
            "/Users",
            &[("sortBy", "name.familyName"), ("sortOrder", "descending")],
        )
        .await,
    );
    assert_eq!(unfiltered_desc, ["u-none", "u-zulu", "u-alpha"]);
}

#[tokio::test]
async fn descending_sort_puts_unassigned_values_first() {
    let scim = Scim::start();
    scim.create_user(json!({"userName": "u-none"})).await;
    scim.create_user(json!({"userName": "u-zulu", "name": {"familyName": "Zulu"}}))
        .await;
    scim.create_user(json!({"userName": "u-alpha", "name": {"familyName": "alpha"}}))
        .await;
    let desc = scim
        .list(
            "/Users",
            &[
                ("sortBy", "name.familyName"),
                ("sortOrder", "descending"),
                ("filter", "userName pr"),
            ],
        )
        .await;
    assert_eq!(column(&desc, "userName"), ["u-none", "u-zulu", "u-alpha"]);
}

#[tokio::test]
async fn patch_accepts_the_manager_as_a_bare_id() {
    let scim = Scim::start();
    let boss = id_of(&scim.create_user(json!({"userName": "boss"})).await);
    let user = id_of(&scim.create_user(json!({"userName": "report"})).await);
    let r = scim
        .patch(
            &format!("/Users/{user}"),
            json!([{"op": "Add", "path": format!("{ENTERPRISE}:manager"), "value": boss}]),
        )
        .await;
    assert_eq!(r.status, 200, "{:#}", r.body);
    assert_eq!(r.body[ENTERPRISE]["manager"]["value"], boss.as_str());
}
