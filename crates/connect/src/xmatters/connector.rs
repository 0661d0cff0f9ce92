//! The engine's [`Connector`] for xMatters: people and their e-mail devices over the REST API
//! (`/api/xm/1`), translated from and to the SCIM-shaped resources the engine works with.
//!
//! What the engine sends for xMatters is built from the gallery mapping, whose target paths are
//! xMatters' own field names, so a resource reads
//! `{"targetName": …, "firstName": …, "status": "ACTIVE", "devices": [{"name": "Work Email",
//! "emailAddress": …}], "schemas": [...]}`. Person fields go to `POST /people` as they are;
//! `devices` entries become e-mail devices (`POST /devices`) owned by the person; `active`
//! (what the engine's disable sends) becomes `status`.
//!
//! Written from xMatters' public REST API documentation as remembered, not tested against a
//! live instance: where a detail is unsure, the comment next to it says so.

use std::time::Duration;

use serde_json::{json, Map, Value};
use steward_scim::{CompValue, CompareOp, Filter, PatchOpKind, PatchOperation, PatchPath};

use super::{XmattersTarget, API};
use crate::http::{excerpt, path_segment, send_op, transport_error};
use crate::schema::TargetObject;
use crate::{Capabilities, Connector, ListPage, OpError, OpErrorKind};

/// The role a person is created with unless the mapping sets `roles`: xMatters refuses to
/// create a person without one, and Standard User is its least privileged default role.
const DEFAULT_ROLE: &str = "Standard User";

/// The most people one list request asks for. xMatters pages with `limit` (100 by default);
/// its documented maximum is, as far as we recall, 1000; 100 is safe either way.
const PAGE_LIMIT: u32 = 100;

/// Fields of a resource that are not xMatters person fields: SCIM's own, and the ones this
/// connector translates (`devices` into device requests, `active` into `status`).
const NOT_PERSON_FIELDS: [&str; 5] = ["schemas", "meta", "id", "devices", "active"];

/// The engine's connection to one xMatters instance: one pooled keep-alive client, signing in
/// with the admin's user name and password (HTTP Basic) on every request.
#[derive(Clone)]
pub struct XmattersConnector {
    /// `https://acme.xmatters.com/api/xm/1`.
    api: String,
    username: String,
    password: String,
    http: reqwest::Client,
}

impl std::fmt::Debug for XmattersConnector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("XmattersConnector")
            .field("api", &self.api)
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .finish()
    }
}

/// An e-mail device the resource asks for: `devices[name eq "Work Email"].emailAddress`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct EmailDevice {
    name: String,
    email: String,
}

fn rejected(detail: impl Into<String>) -> OpError {
    OpError {
        kind: OpErrorKind::Rejected,
        status: None,
        retry_after: None,
        scim_type: None,
        detail: detail.into(),
    }
}

/// Only people are provisioned to xMatters.
fn users_only(object: TargetObject) -> Result<(), OpError> {
    match object {
        TargetObject::Users => Ok(()),
        TargetObject::Groups => Err(rejected(
            "xMatters groups are not provisioned: Steward provisions people only",
        )),
    }
}

/// The body as JSON, or a `NotScim` error (the kind for "a success whose body is not what the
/// API answers").
fn json(status: u16, body: &str) -> Result<Value, OpError> {
    serde_json::from_str(body).map_err(|_| OpError {
        kind: OpErrorKind::NotScim,
        status: Some(status),
        retry_after: None,
        scim_type: None,
        detail: format!(
            "answered {status} without xMatters JSON: {}",
            excerpt(body).unwrap_or_default()
        ),
    })
}

/// A person as the engine sees it: xMatters' fields as they are, with `active` for its status.
fn to_resource(person: Value) -> Value {
    let mut person = person;
    if let Value::Object(fields) = &mut person {
        let active = fields
            .get("status")
            .and_then(Value::as_str)
            .map(|s| s.eq_ignore_ascii_case("ACTIVE"));
        if let Some(active) = active {
            fields.insert("active".into(), Value::Bool(active));
        }
    }
    person
}

/// `true`, `false`, or the strings `"True"`/`"False"` (Entra sends `active` as a string to
/// existing integrations), as a status.
fn status_of_active(value: &Value) -> Option<&'static str> {
    let active = match value {
        Value::Bool(b) => *b,
        Value::String(s) if s.eq_ignore_ascii_case("true") => true,
        Value::String(s) if s.eq_ignore_ascii_case("false") => false,
        _ => return None,
    };
    Some(if active { "ACTIVE" } else { "INACTIVE" })
}

/// Whether an operation's path (`active`, `devices[name eq "Work Email"].emailAddress`) is
/// about the attribute `name`.
fn about(op: &PatchOperation, name: &str) -> bool {
    op.path.as_deref().is_some_and(|p| {
        PatchPath::parse(p).is_ok_and(|parsed| parsed.attr().name.eq_ignore_ascii_case(name))
    })
}

/// The status the person should have: what the operations say of `active` (the engine's
/// disable sends `replace active false` with a resource that may still say ACTIVE), else the
/// resource's `active`, else its `status`. `None` when nothing says.
fn wanted_status(resource: &Value, operations: &[PatchOperation]) -> Option<String> {
    for op in operations.iter().rev() {
        if op.op == PatchOpKind::Remove {
            continue;
        }
        let value = if about(op, "active") {
            op.value.as_ref()
        } else if op.path.is_none() {
            op.value.as_ref().and_then(|v| v.get("active"))
        } else {
            None
        };
        if let Some(status) = value.and_then(status_of_active) {
            return Some(status.into());
        }
    }
    if let Some(status) = resource.get("active").and_then(status_of_active) {
        return Some(status.into());
    }
    if let Some(status) = resource.get("status").and_then(Value::as_str) {
        return Some(status.to_ascii_uppercase());
    }
    // `remove active` is how the engine's fingerprint reads a re-enable (the disable recorded
    // `active`, the mapping has none): active again, when the mapping has no status of its own.
    operations
        .iter()
        .any(|op| op.op == PatchOpKind::Remove && about(op, "active"))
        .then(|| "ACTIVE".into())
}

/// The person fields of a resource (everything but SCIM's and the translated ones), with
/// `roles` as a list when the mapping gives one role as a string.
fn person_fields(resource: &Value) -> Map<String, Value> {
    let mut fields = resource.as_object().cloned().unwrap_or_default();
    for key in NOT_PERSON_FIELDS {
        fields.remove(key);
    }
    if let Some(Value::String(role)) = fields.get("roles") {
        let role = Value::String(role.clone());
        fields.insert("roles".into(), Value::Array(vec![role]));
    }
    fields
}

/// The e-mail devices a resource asks for. A `devices` entry without `emailAddress` is
/// refused before anything is sent: only e-mail devices are provisioned.
fn email_devices(resource: &Value) -> Result<Vec<EmailDevice>, OpError> {
    let Some(entries) = resource.get("devices") else {
        return Ok(Vec::new());
    };
    let Value::Array(entries) = entries else {
        return Err(rejected("devices must be a list of xMatters devices"));
    };
    entries
        .iter()
        .map(|entry| {
            let name = entry.get("name").and_then(Value::as_str);
            let email = entry.get("emailAddress").and_then(Value::as_str);
            match (name, email) {
                (Some(name), Some(email)) => Ok(EmailDevice {
                    name: name.to_string(),
                    email: email.to_string(),
                }),
                _ => Err(rejected(format!(
                    "only e-mail devices are provisioned to xMatters, mapped as devices[name eq \"<device name>\"].emailAddress; got {entry}"
                ))),
            }
        })
        .collect()
}

/// The device names whose e-mail address the operations remove
/// (`remove devices[name eq "Work Email"].emailAddress`).
fn removed_devices(operations: &[PatchOperation]) -> Vec<String> {
    operations
        .iter()
        .filter(|op| op.op == PatchOpKind::Remove)
        .filter_map(|op| PatchPath::parse(op.path.as_deref()?).ok())
        .filter_map(|path| match path {
            PatchPath::ValuePath {
                path,
                filter:
                    Filter::Compare {
                        path: key,
                        op: CompareOp::Eq,
                        value: CompValue::String(name),
                    },
                sub_attr,
            } if path.name.eq_ignore_ascii_case("devices")
                && key.name.eq_ignore_ascii_case("name")
                && sub_attr
                    .as_deref()
                    .is_none_or(|s| s.eq_ignore_ascii_case("emailAddress")) =>
            {
                Some(name)
            }
            _ => None,
        })
        .collect()
}

impl XmattersTarget {
    /// The engine's connector for this instance and account.
    pub fn connector(&self) -> Result<XmattersConnector, OpError> {
        XmattersConnector::new(self)
    }
}

impl XmattersConnector {
    /// A connector for the instance and admin account of `target` (see
    /// [`XmattersTarget::from_domain`]), giving up on a request after `target.timeout`.
    /// A `Transport` error when the address is not an http:// or https:// URL.
    pub fn new(target: &XmattersTarget) -> Result<XmattersConnector, OpError> {
        let api = format!("{}{API}", target.base_url.trim().trim_end_matches('/'));
        match reqwest::Url::parse(&api) {
            Ok(url) if matches!(url.scheme(), "http" | "https") && url.host_str().is_some() => {}
            _ => {
                return Err(OpError {
                    kind: OpErrorKind::Transport,
                    status: None,
                    retry_after: None,
                    scim_type: None,
                    detail: format!(
                        "{:?} is not an http:// or https:// address of an xMatters instance",
                        target.base_url
                    ),
                })
            }
        }
        let http = reqwest::Client::builder()
            .timeout(target.timeout)
            .connect_timeout(target.timeout)
            .pool_idle_timeout(Duration::from_secs(90))
            .build()
            .map_err(|e| transport_error(&e))?;
        Ok(XmattersConnector {
            api,
            username: target.username.clone(),
            password: target.password.clone(),
            http,
        })
    }

    fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.http
            .request(method, format!("{}{path}", self.api))
            .basic_auth(&self.username, Some(&self.password))
            .header("accept", "application/json")
    }

    fn post(&self, path: &str, body: &Value) -> reqwest::RequestBuilder {
        self.request(reqwest::Method::POST, path)
            .header("content-type", "application/json")
            .body(body.to_string())
    }

    /// `GET /people/{id or targetName}`; `None` for a 404.
    async fn person(&self, id_or_target_name: &str) -> Result<Option<Value>, OpError> {
        let request = self.request(
            reqwest::Method::GET,
            &format!("/people/{}", path_segment(id_or_target_name)),
        );
        match send_op(request, &[200]).await {
            Ok((status, body)) => json(status, &body).map(Some),
            Err(e) if e.kind == OpErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The person's devices (`GET /people/{id}/devices`), one page of up to 100: a person has
    /// a handful.
    async fn devices(&self, person_id: &str) -> Result<Vec<Value>, OpError> {
        let request = self
            .request(
                reqwest::Method::GET,
                &format!("/people/{}/devices", path_segment(person_id)),
            )
            .query(&[("limit", PAGE_LIMIT.to_string())]);
        let (status, body) = send_op(request, &[200]).await?;
        Ok(json(status, &body)?
            .get("data")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default())
    }

    /// Creates an e-mail device owned by the person.
    async fn create_device(&self, person_id: &str, device: &EmailDevice) -> Result<(), OpError> {
        let body = json!({
            "recipientType": "DEVICE",
            "deviceType": "EMAIL",
            "name": device.name,
            "owner": person_id,
            "emailAddress": device.email,
        });
        send_op(self.post("/devices", &body), &[200, 201])
            .await
            .map(|_| ())
    }

    /// Brings the person's e-mail devices to what the resource asks for: creates missing ones,
    /// changes addresses that differ, deletes those whose address the operations remove.
    /// Devices Steward was not asked about are left alone.
    async fn sync_devices(
        &self,
        person_id: &str,
        wanted: &[EmailDevice],
        removed: &[String],
    ) -> Result<(), OpError> {
        let removed: Vec<&String> = removed
            .iter()
            .filter(|name| !wanted.iter().any(|w| w.name.eq_ignore_ascii_case(name)))
            .collect();
        if wanted.is_empty() && removed.is_empty() {
            return Ok(());
        }
        let existing = self.devices(person_id).await?;
        // Device names are configured per company in xMatters; comparing them without case is
        // our assumption, not something the API documentation states.
        let named = |name: &str| {
            existing.iter().find(|d| {
                d.get("name")
                    .and_then(Value::as_str)
                    .is_some_and(|n| n.eq_ignore_ascii_case(name))
            })
        };
        for device in wanted {
            match named(&device.name) {
                None => self.create_device(person_id, device).await?,
                Some(current) => {
                    if current.get("emailAddress").and_then(Value::as_str)
                        == Some(device.email.as_str())
                    {
                        continue;
                    }
                    let Some(id) = current.get("id").and_then(Value::as_str) else {
                        continue;
                    };
                    // Modifying is POST /devices with the device's id and the fields to change
                    // (as for people); sending deviceType along is our choice, to be explicit.
                    let body =
                        json!({"id": id, "deviceType": "EMAIL", "emailAddress": device.email});
                    send_op(self.post("/devices", &body), &[200, 201]).await?;
                }
            }
        }
        for name in removed {
            let Some(id) = named(name)
                .and_then(|d| d.get("id"))
                .and_then(Value::as_str)
            else {
                continue;
            };
            let request = self.request(
                reqwest::Method::DELETE,
                &format!("/devices/{}", path_segment(id)),
            );
            match send_op(request, &[200, 204]).await {
                Ok(_) => {}
                Err(e) if e.kind == OpErrorKind::NotFound => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }
}

#[async_trait::async_trait]
impl Connector for XmattersConnector {
    /// `GET /people?limit=1` (see [`XmattersTarget::test_connection`]); xMatters has one
    /// matching attribute, so `matching` is not used.
    async fn test_connection(&self, _matching: &str) -> Result<crate::Success, crate::Failure> {
        XmattersTarget {
            base_url: self
                .api
                .strip_suffix(super::API)
                .unwrap_or(&self.api)
                .to_string(),
            username: self.username.clone(),
            password: self.password.clone(),
            timeout: std::time::Duration::from_secs(15),
        }
        .test_connection()
        .await
    }

    /// No PATCH (updates send the person's fields), no groups, lookups by targetName only.
    fn capabilities(&self) -> Capabilities {
        Capabilities {
            patch: false,
            // Lookups by the matching attribute (targetName) are answered, by
            // GET /people/{targetName}; see `find` for the others.
            filter: true,
            bulk_max_operations: None,
            max_results: Some(PAGE_LIMIT),
            groups: false,
        }
    }

    /// By `targetName` (xMatters' unique user name) or `id`: `GET /people/{value}`, nothing for
    /// a 404. Other attributes are refused: the REST API has no exact lookup by them (its
    /// `search` parameter matches words across several fields, which is no match).
    async fn find(
        &self,
        object: TargetObject,
        attribute: &str,
        value: &str,
    ) -> Result<Vec<Value>, OpError> {
        users_only(object)?;
        let by_target_name = attribute.eq_ignore_ascii_case("targetName");
        if !by_target_name && !attribute.eq_ignore_ascii_case("id") {
            return Err(rejected(format!(
                "xMatters people can be matched by targetName only, not by {attribute}"
            )));
        }
        if value.trim().is_empty() {
            return Ok(Vec::new());
        }
        let Some(person) = self.person(value).await? else {
            return Ok(Vec::new());
        };
        // GET /people/{x} takes an id or a targetName: a targetName that happens to be another
        // person's id must not match that person. We assume targetNames compare without case.
        if by_target_name
            && !person
                .get("targetName")
                .and_then(Value::as_str)
                .is_some_and(|t| t.eq_ignore_ascii_case(value))
        {
            return Ok(Vec::new());
        }
        Ok(vec![to_resource(person)])
    }

    /// `GET /people?offset=…&limit=…`: xMatters counts from offset 0, SCIM from index 1.
    async fn list(
        &self,
        object: TargetObject,
        start_index: u64,
        count: u32,
    ) -> Result<ListPage, OpError> {
        users_only(object)?;
        let request = self.request(reqwest::Method::GET, "/people").query(&[
            ("offset", start_index.saturating_sub(1).to_string()),
            ("limit", count.clamp(1, PAGE_LIMIT).to_string()),
        ]);
        let (status, body) = send_op(request, &[200]).await?;
        let page = json(status, &body)?;
        let Some(people) = page.get("data").and_then(Value::as_array) else {
            return Err(OpError {
                kind: OpErrorKind::NotScim,
                status: Some(status),
                retry_after: None,
                scim_type: None,
                detail: format!(
                    "answered {status} without a list of people (no data array): {}",
                    excerpt(&body).unwrap_or_default()
                ),
            });
        };
        Ok(ListPage {
            resources: people.iter().cloned().map(to_resource).collect(),
            total: page.get("total").and_then(Value::as_u64),
        })
    }

    /// `POST /people` with the person fields (role Standard User and status ACTIVE unless
    /// mapped), then `POST /devices` for each mapped e-mail device.
    async fn create(&self, object: TargetObject, resource: &Value) -> Result<Value, OpError> {
        users_only(object)?;
        let devices = email_devices(resource)?;
        let mut body = person_fields(resource);
        body.insert("recipientType".into(), json!("PERSON"));
        body.entry("roles").or_insert_with(|| json!([DEFAULT_ROLE]));
        body.insert(
            "status".into(),
            json!(wanted_status(resource, &[]).unwrap_or_else(|| "ACTIVE".into())),
        );
        let (status, answer) =
            send_op(self.post("/people", &Value::Object(body)), &[200, 201]).await?;
        let person = json(status, &answer)?;
        let Some(id) = person.get("id").and_then(Value::as_str).map(str::to_string) else {
            return Err(OpError {
                kind: OpErrorKind::NotScim,
                status: Some(status),
                retry_after: None,
                scim_type: None,
                detail: "the created person has no id".into(),
            });
        };
        for device in &devices {
            // The person exists now: say so, so that whoever reads the failure knows the next
            // cycle finds it by targetName and its update creates the device.
            self.create_device(&id, device).await.map_err(|e| OpError {
                detail: format!(
                    "created the person {id}, but not its device {:?}: {}",
                    device.name, e.detail
                ),
                ..e
            })?;
        }
        Ok(to_resource(person))
    }

    /// `POST /people` with the id and the person fields of `resource` (skipped when the
    /// operations only touch devices), status from `active` in the operations or resource;
    /// then the e-mail devices, when the operations touch them (or say nothing at all).
    async fn update(
        &self,
        object: TargetObject,
        id: &str,
        operations: &[PatchOperation],
        resource: &Value,
    ) -> Result<(), OpError> {
        users_only(object)?;
        let devices = email_devices(resource)?;
        let touches_devices =
            operations.is_empty() || operations.iter().any(|op| about(op, "devices"));
        let touches_person =
            operations.is_empty() || operations.iter().any(|op| !about(op, "devices"));
        if touches_person {
            let mut body = person_fields(resource);
            if let Some(status) = wanted_status(resource, operations) {
                body.insert("status".into(), json!(status));
            }
            body.insert("id".into(), json!(id));
            // POST /people with an id that no longer exists: xMatters answers 404, which stays
            // NotFound (the engine decides what a vanished person means).
            send_op(self.post("/people", &Value::Object(body)), &[200, 201]).await?;
        }
        if touches_devices {
            self.sync_devices(id, &devices, &removed_devices(operations))
                .await?;
        }
        Ok(())
    }

    /// `DELETE /people/{id}`: `false` when it was gone already (404). xMatters deletes the
    /// person's devices with it.
    async fn delete(&self, object: TargetObject, id: &str) -> Result<bool, OpError> {
        users_only(object)?;
        let request = self.request(
            reqwest::Method::DELETE,
            &format!("/people/{}", path_segment(id)),
        );
        match send_op(request, &[200, 204]).await {
            Ok(_) => Ok(true),
            Err(e) if e.kind == OpErrorKind::NotFound => Ok(false),
            Err(e) => Err(e),
        }
    }

    async fn change_members(
        &self,
        _group_id: &str,
        _add: &[String],
        _remove: &[String],
    ) -> Result<(), OpError> {
        Err(rejected(
            "xMatters groups are not provisioned: Steward provisions people only",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn replace(path: &str, value: Value) -> PatchOperation {
        PatchOperation::replace(Some(&PatchPath::parse(path).unwrap()), value)
    }

    fn remove(path: &str) -> PatchOperation {
        PatchOperation::remove(&PatchPath::parse(path).unwrap())
    }

    #[test]
    fn the_status_follows_active_first() {
        let active = json!({"status": "ACTIVE"});
        let cases: [(&Value, Vec<PatchOperation>, Option<&str>); 7] = [
            (&active, vec![], Some("ACTIVE")),
            (
                &active,
                vec![replace("active", json!(false))],
                Some("INACTIVE"),
            ),
            (
                &active,
                vec![replace("active", json!("False"))],
                Some("INACTIVE"),
            ),
            (
                &json!({"status": "INACTIVE"}),
                vec![replace("active", json!(true))],
                Some("ACTIVE"),
            ),
            (
                &json!({"active": false, "status": "ACTIVE"}),
                vec![],
                Some("INACTIVE"),
            ),
            (&json!({}), vec![remove("active")], Some("ACTIVE")),
            (
                &json!({}),
                vec![replace("lastName", json!("Lovelace"))],
                None,
            ),
        ];
        for (resource, ops, want) in cases {
            assert_eq!(
                wanted_status(resource, &ops).as_deref(),
                want,
                "{resource} {ops:?}"
            );
        }
    }

    #[test]
    fn person_fields_leave_out_what_is_translated() {
        let resource = json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "targetName": "ada",
            "active": false,
            "roles": "Group Supervisor",
            "devices": [{"name": "Work Email", "emailAddress": "ada@example.com"}],
        });
        assert_eq!(
            Value::Object(person_fields(&resource)),
            json!({"targetName": "ada", "roles": ["Group Supervisor"]})
        );
        assert_eq!(
            email_devices(&resource).unwrap(),
            [EmailDevice {
                name: "Work Email".into(),
                email: "ada@example.com".into()
            }]
        );
    }

    #[test]
    fn only_email_devices_are_provisioned() {
        let phone = json!({"devices": [{"name": "Work Phone", "phoneNumber": "+15555550100"}]});
        assert_eq!(
            email_devices(&phone).unwrap_err().kind,
            OpErrorKind::Rejected
        );
    }

    #[test]
    fn removed_addresses_name_their_device() {
        let ops = [
            remove(r#"devices[name eq "Work Email"].emailAddress"#),
            remove("externalKey"),
            replace(
                r#"devices[name eq "Home Email"].emailAddress"#,
                json!("x@y"),
            ),
        ];
        assert_eq!(removed_devices(&ops), ["Work Email"]);
        assert!(about(&ops[0], "devices"));
        assert!(!about(&ops[1], "devices"));
    }
}
