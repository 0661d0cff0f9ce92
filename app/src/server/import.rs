//! CSV import and export of users and group memberships.
//!
//! An upload is parsed and planned at once (every row: create, update, unchanged or rejected
//! with the reason) and kept in memory as an [`ImportJob`]; nothing is written until an admin
//! applies it. Applying runs in the background in batches, one transaction each, with
//! progress the preview page polls. A plan is applied against the versions it read: a user
//! changed meanwhile fails that row instead of being overwritten.

use super::{auth, CurrentSession, PortalState};
use axum::extract::{Multipart, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Extension;
use chrono::{DateTime, Utc};
use serde_json::{json, Map, Value};
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use steward_store::{
    CustomAttribute, CustomKind, GroupId, Lookup, Member, MemberType, ObjectType, StoreError, User,
    UserId, UserQuery, UserSort, UserState, UserWrite,
};

/// Largest CSV accepted (about 400,000 typical user rows).
pub const MAX_UPLOAD: usize = 64 * 1024 * 1024;
/// Rows per transaction when applying.
const BATCH: usize = 500;
/// Plans not applied within this time are forgotten.
const KEEP_FOR: Duration = Duration::from_secs(6 * 3600);

const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

/// A column of the users CSV format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Column {
    UserName,
    ExternalId,
    DisplayName,
    GivenName,
    FamilyName,
    Email,
    Title,
    Department,
    EmployeeNumber,
    CostCenter,
    Organization,
    Division,
    Phone,
    Active,
    Manager,
}

impl Column {
    pub const ALL: [Column; 15] = [
        Column::UserName,
        Column::ExternalId,
        Column::DisplayName,
        Column::GivenName,
        Column::FamilyName,
        Column::Email,
        Column::Title,
        Column::Department,
        Column::EmployeeNumber,
        Column::CostCenter,
        Column::Organization,
        Column::Division,
        Column::Phone,
        Column::Active,
        Column::Manager,
    ];

    /// The header this column is exported with (and the first name it is imported by).
    pub fn header(self) -> &'static str {
        match self {
            Column::UserName => "userName",
            Column::ExternalId => "externalId",
            Column::DisplayName => "displayName",
            Column::GivenName => "givenName",
            Column::FamilyName => "familyName",
            Column::Email => "email",
            Column::Title => "title",
            Column::Department => "department",
            Column::EmployeeNumber => "employeeNumber",
            Column::CostCenter => "costCenter",
            Column::Organization => "organization",
            Column::Division => "division",
            Column::Phone => "phone",
            Column::Active => "active",
            Column::Manager => "manager",
        }
    }

    /// Reads a header: case, spaces, `_` and `-` do not matter; common aliases are known.
    pub fn parse(header: &str) -> Option<Column> {
        let key: String = header
            .trim()
            .trim_start_matches('\u{feff}')
            .chars()
            .filter(|c| !matches!(c, ' ' | '_' | '-' | '.'))
            .flat_map(char::to_lowercase)
            .collect();
        Some(match key.as_str() {
            "username" | "upn" | "userprincipalname" | "login" => Column::UserName,
            "externalid" | "employeeid" => Column::ExternalId,
            "displayname" | "name" | "fullname" => Column::DisplayName,
            "givenname" | "firstname" => Column::GivenName,
            "familyname" | "lastname" | "surname" => Column::FamilyName,
            "email" | "mail" | "workemail" | "emailaddress" => Column::Email,
            "title" | "jobtitle" => Column::Title,
            "department" => Column::Department,
            "employeenumber" => Column::EmployeeNumber,
            "costcenter" | "costcentre" => Column::CostCenter,
            "organization" | "organisation" | "company" => Column::Organization,
            "division" => Column::Division,
            "phone" | "workphone" | "phonenumber" | "telephonenumber" => Column::Phone,
            "active" | "enabled" | "accountenabled" => Column::Active,
            "manager" | "managerusername" => Column::Manager,
            _ => return None,
        })
    }

    /// The column's value in a stored resource (the manager is resolved by the caller).
    pub fn get(self, r: &Value) -> String {
        let s = |v: Option<&Value>| v.and_then(Value::as_str).unwrap_or_default().to_string();
        let typed = |list: &str, kind: &str| {
            let items = r.get(list).and_then(Value::as_array);
            let pick = items.and_then(|l| {
                l.iter()
                    .find(|e| e.get("type").and_then(Value::as_str) == Some(kind))
                    .or_else(|| {
                        l.iter()
                            .find(|e| e.get("primary").and_then(Value::as_bool) == Some(true))
                    })
                    .or_else(|| l.first())
            });
            s(pick.and_then(|e| e.get("value")))
        };
        match self {
            Column::UserName => s(r.get("userName")),
            Column::ExternalId => s(r.get("externalId")),
            Column::DisplayName => s(r.get("displayName")),
            Column::GivenName => s(r.get("name").and_then(|n| n.get("givenName"))),
            Column::FamilyName => s(r.get("name").and_then(|n| n.get("familyName"))),
            Column::Email => typed("emails", "work"),
            Column::Title => s(r.get("title")),
            Column::Phone => typed("phoneNumbers", "work"),
            Column::Active => (r.get("active").and_then(Value::as_bool) != Some(false)).to_string(),
            Column::Manager => s(r
                .get(ENTERPRISE)
                .and_then(|e| e.get("manager"))
                .and_then(|m| m.get("value"))),
            enterprise => s(r.get(ENTERPRISE).and_then(|e| e.get(enterprise.header()))),
        }
    }

    /// Writes the column's value into a resource (`manager` takes the manager's id).
    fn set(self, r: &mut Map<String, Value>, value: &str) -> Result<(), String> {
        let set_typed = |r: &mut Map<String, Value>, list: &str, kind: &str| {
            let items = r.entry(list).or_insert_with(|| json!([]));
            if !items.is_array() {
                *items = json!([]);
            }
            let Some(items) = items.as_array_mut() else {
                return;
            };
            match items
                .iter_mut()
                .find(|e| e.get("type").and_then(Value::as_str) == Some(kind))
            {
                Some(existing) => existing["value"] = json!(value),
                None => {
                    let primary = items.is_empty();
                    items.push(json!({ "value": value, "type": kind, "primary": primary }));
                }
            }
        };
        match self {
            Column::UserName => {
                if value.chars().any(char::is_whitespace) {
                    return Err(format!("userName {value:?} contains spaces"));
                }
                r.insert("userName".into(), json!(value));
            }
            Column::ExternalId => {
                r.insert("externalId".into(), json!(value));
            }
            Column::DisplayName => {
                r.insert("displayName".into(), json!(value));
            }
            Column::Title => {
                r.insert("title".into(), json!(value));
            }
            Column::GivenName | Column::FamilyName => {
                let name = r.entry("name").or_insert_with(|| json!({}));
                if !name.is_object() {
                    *name = json!({});
                }
                let key = if self == Column::GivenName {
                    "givenName"
                } else {
                    "familyName"
                };
                name[key] = json!(value);
            }
            Column::Email => {
                if let Some(problem) = auth::validate_email(value) {
                    return Err(format!("email {value:?}: {problem}"));
                }
                set_typed(r, "emails", "work");
            }
            Column::Phone => set_typed(r, "phoneNumbers", "work"),
            Column::Active => {
                let active = match value.to_ascii_lowercase().as_str() {
                    "true" | "yes" | "1" | "enabled" => true,
                    "false" | "no" | "0" | "disabled" => false,
                    _ => return Err(format!("active must be true or false, not {value:?}")),
                };
                r.insert("active".into(), json!(active));
            }
            Column::Manager => {
                enterprise_of(r)["manager"] = json!({ "value": value });
            }
            enterprise => {
                enterprise_of(r)[enterprise.header()] = json!(value);
            }
        }
        Ok(())
    }
}

fn enterprise_of(r: &mut Map<String, Value>) -> &mut Value {
    let schemas = r
        .entry("schemas")
        .or_insert_with(|| json!([steward_store::USER_SCHEMA]));
    if let Some(list) = schemas.as_array_mut() {
        if !list.iter().any(|s| s == ENTERPRISE) {
            list.push(json!(ENTERPRISE));
        }
    }
    let ext = r.entry(ENTERPRISE).or_insert_with(|| json!({}));
    if !ext.is_object() {
        *ext = json!({});
    }
    ext
}

/// A custom attribute's value in a resource, as a CSV cell (several values joined by `;`).
pub fn custom_value(r: &Value, attribute: &CustomAttribute) -> String {
    let cell = |v: &Value| match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    };
    match r
        .get(attribute.extension())
        .and_then(|e| e.get(&attribute.name))
    {
        None => String::new(),
        Some(Value::Array(items)) => items.iter().map(cell).collect::<Vec<_>>().join(";"),
        Some(v) => cell(v),
    }
}

/// One cell read as a value of the attribute's type.
pub(crate) fn custom_cell(attribute: &CustomAttribute, text: &str) -> Result<Value, String> {
    let name = &attribute.name;
    match attribute.kind {
        CustomKind::String | CustomKind::Reference => Ok(json!(text)),
        CustomKind::Boolean => match text.to_ascii_lowercase().as_str() {
            "true" | "yes" | "1" => Ok(json!(true)),
            "false" | "no" | "0" => Ok(json!(false)),
            _ => Err(format!("{name} must be true or false, not {text:?}")),
        },
        CustomKind::Integer => text
            .parse::<i64>()
            .map(|n| json!(n))
            .map_err(|_| format!("{name} must be a whole number, not {text:?}")),
        CustomKind::DateTime => {
            if let Ok(t) = DateTime::parse_from_rfc3339(text) {
                Ok(json!(t.with_timezone(&Utc).to_rfc3339()))
            } else if let Ok(d) = chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d") {
                Ok(json!(format!("{d}T00:00:00Z")))
            } else {
                Err(format!(
                    "{name} must be a date (2026-01-31) or date and time (2026-01-31T09:00:00Z), not {text:?}"
                ))
            }
        }
    }
}

/// Writes a custom attribute's cell into a resource (`a;b` for several values); an empty
/// cell removes the value.
pub(crate) fn set_custom(
    r: &mut Map<String, Value>,
    attribute: &CustomAttribute,
    text: &str,
) -> Result<(), String> {
    let extension = attribute.extension();
    if text.trim().is_empty() {
        if let Some(ext) = r.get_mut(extension).and_then(Value::as_object_mut) {
            ext.remove(&attribute.name);
            if ext.is_empty() {
                r.remove(extension);
            }
        }
        return Ok(());
    }
    let value = if attribute.multi_valued {
        Value::Array(
            text.split(';')
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(|t| custom_cell(attribute, t))
                .collect::<Result<_, _>>()?,
        )
    } else {
        custom_cell(attribute, text.trim())?
    };
    let core = match attribute.object_type {
        ObjectType::User => steward_store::USER_SCHEMA,
        ObjectType::Group => steward_store::GROUP_SCHEMA,
    };
    let schemas = r.entry("schemas").or_insert_with(|| json!([core]));
    if let Some(list) = schemas.as_array_mut() {
        if !list.iter().any(|s| s == extension) {
            list.push(json!(extension));
        }
    }
    let ext = r.entry(extension).or_insert_with(|| json!({}));
    if !ext.is_object() {
        *ext = json!({});
    }
    ext[attribute.name.as_str()] = value;
    Ok(())
}

/// What the import will do with a row.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum RowAction {
    Create,
    Update,
    Unchanged,
    Reject,
}

/// One planned row.
#[derive(Clone, Debug)]
pub struct PlannedRow {
    /// The line in the file (the header is line 1).
    pub line: u64,
    /// The userName (users) or "group ← userName" (memberships), for lists.
    pub label: String,
    pub action: RowAction,
    /// Why it is rejected, or which columns change.
    pub note: String,
    write: Option<PlannedWrite>,
}

#[derive(Clone, Debug)]
enum PlannedWrite {
    User {
        write: UserWrite,
        manager: Option<String>,
    },
    Member {
        group: GroupId,
        user: UserId,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum ImportKind {
    Users,
    Memberships,
}

/// Where an applied import stands.
#[derive(Clone, Debug, Default)]
pub struct Progress {
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
    pub done: usize,
    pub total: usize,
    pub succeeded: usize,
    /// (line, label, reason) of rows that failed when written.
    pub failures: Vec<(u64, String, String)>,
    /// Set when the whole import stopped (the database failed).
    pub error: Option<String>,
}

pub struct ImportJob {
    pub id: String,
    pub kind: ImportKind,
    pub file_name: String,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub rows: Vec<PlannedRow>,
    /// Headers that are not columns of the format (ignored).
    pub ignored_columns: Vec<String>,
    pub progress: Mutex<Progress>,
}

impl ImportJob {
    pub fn progress(&self) -> Progress {
        self.progress
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    pub fn count(&self, action: &RowAction) -> usize {
        self.rows.iter().filter(|r| &r.action == action).count()
    }
}

/// The plans in memory, by id.
#[derive(Clone, Default)]
pub struct ImportJobs(Arc<Mutex<HashMap<String, Arc<ImportJob>>>>);

impl ImportJobs {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<ImportJob>>> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn get(&self, id: &str) -> Option<Arc<ImportJob>> {
        self.lock().get(id).cloned()
    }

    fn insert(&self, job: ImportJob) -> Arc<ImportJob> {
        let job = Arc::new(job);
        let mut jobs = self.lock();
        let cutoff = Utc::now() - chrono::Duration::from_std(KEEP_FOR).unwrap_or_default();
        jobs.retain(|_, j| {
            j.created_at > cutoff
                || j.progress().finished_at.is_none() && j.progress().started_at.is_some()
        });
        jobs.insert(job.id.clone(), job.clone());
        job
    }
}

/// The records of a file: the line each starts on, and its fields or why it cannot be read.
type Records = Vec<(u64, Result<Vec<String>, String>)>;

/// Splits a CSV file into its header and records; a record that cannot be read becomes an
/// error for its line.
fn read_csv(text: &str) -> Result<(Vec<String>, Records), String> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| format!("the first line is not a CSV header: {e}"))?
        .iter()
        .map(str::to_string)
        .collect();
    if headers.iter().all(|h| h.is_empty()) {
        return Err("the file is empty: the first line must name the columns".into());
    }
    let width = headers.len();
    let mut records = Vec::new();
    // The csv crate does not count blank lines; the line of a record is worked out from its
    // byte offset instead, counting newlines incrementally.
    let bytes = text.as_bytes();
    let (mut counted_to, mut line_at) = (0usize, 1u64);
    let mut line_of = |byte: u64| {
        let mut byte = usize::try_from(byte).unwrap_or(usize::MAX).min(bytes.len());
        // A record's offset may point at the blank lines skipped before it.
        while byte < bytes.len() && matches!(bytes[byte], b'\n' | b'\r') {
            byte += 1;
        }
        if byte > counted_to {
            line_at += bytes[counted_to..byte]
                .iter()
                .filter(|b| **b == b'\n')
                .count() as u64;
            counted_to = byte;
        }
        line_at
    };
    for record in reader.records() {
        match record {
            Ok(r) => {
                let line = r.position().map_or(0, |p| line_of(p.byte()));
                if r.iter().all(str::is_empty) {
                    continue;
                }
                if r.len() != width {
                    records.push((
                        line,
                        Err(format!("has {} fields; the header has {width}", r.len())),
                    ));
                } else {
                    records.push((line, Ok(r.iter().map(str::to_string).collect())));
                }
            }
            Err(e) => {
                let line = e.position().map_or(0, |p| line_of(p.byte()));
                records.push((line, Err(format!("cannot be read: {e}"))));
            }
        }
    }
    Ok((headers, records))
}

fn reject(line: u64, label: impl Into<String>, note: impl Into<String>) -> PlannedRow {
    PlannedRow {
        line,
        label: label.into(),
        action: RowAction::Reject,
        note: note.into(),
        write: None,
    }
}

/// Plans a users CSV against the directory.
async fn plan_users(
    store: &dyn steward_store::Store,
    custom: &[CustomAttribute],
    headers: &[String],
    records: Records,
) -> Result<(Vec<PlannedRow>, Vec<String>), String> {
    let columns: Vec<Option<Column>> = headers.iter().map(|h| Column::parse(h)).collect();
    // A header that is no built-in column may name a custom attribute of users.
    let customs: Vec<Option<&CustomAttribute>> = headers
        .iter()
        .zip(&columns)
        .map(|(h, c)| {
            c.is_none()
                .then(|| {
                    custom.iter().find(|a| {
                        a.object_type == ObjectType::User && a.name.eq_ignore_ascii_case(h.trim())
                    })
                })
                .flatten()
        })
        .collect();
    let ignored: Vec<String> = headers
        .iter()
        .zip(columns.iter().zip(&customs))
        .filter(|(_, (c, a))| c.is_none() && a.is_none())
        .map(|(h, _)| h.clone())
        .collect();
    let Some(name_at) = columns.iter().position(|c| *c == Some(Column::UserName)) else {
        return Err("the file has no userName column; the first line must name the columns, e.g. userName,givenName,familyName,email".into());
    };
    let mut seen: HashMap<Column, usize> = HashMap::new();
    for (i, c) in columns.iter().enumerate() {
        if let Some(c) = c {
            if let Some(first) = seen.insert(*c, i) {
                return Err(format!(
                    "the columns {:?} and {:?} both mean {}; keep one",
                    headers[first],
                    headers[i],
                    c.header()
                ));
            }
        }
    }
    // Who exists already, in one pass of indexed reads.
    let names: Vec<String> = records
        .iter()
        .filter_map(|(_, r)| r.as_ref().ok())
        .map(|r| r[name_at].clone())
        .filter(|n| !n.is_empty())
        .collect();
    let manager_at = columns.iter().position(|c| *c == Some(Column::Manager));
    let mut wanted = names.clone();
    if let Some(m) = manager_at {
        wanted.extend(
            records
                .iter()
                .filter_map(|(_, r)| r.as_ref().ok())
                .map(|r| r[m].clone())
                .filter(|n| !n.is_empty()),
        );
    }
    let existing: HashMap<String, User> = store
        .users_by_user_name(&wanted)
        .await
        .map_err(|e| e.to_string())?
        .into_iter()
        // Users in the recycle bin do not hold their userName: a row naming one creates a
        // new user.
        .filter(|u| u.deleted_at.is_none())
        .filter_map(|u| {
            let key = u.resource.get("userName")?.as_str()?.to_lowercase();
            Some((key, u))
        })
        .collect();
    let in_file: HashSet<String> = names.iter().map(|n| n.to_lowercase()).collect();
    let mut first_line: HashMap<String, u64> = HashMap::new();
    let mut rows = Vec::with_capacity(records.len());
    for (line, record) in records {
        let record = match record {
            Ok(r) => r,
            Err(reason) => {
                rows.push(reject(line, "", format!("Line {line} {reason}")));
                continue;
            }
        };
        let user_name = record[name_at].clone();
        if user_name.is_empty() {
            rows.push(reject(line, "", "userName is empty"));
            continue;
        }
        let key = user_name.to_lowercase();
        if let Some(first) = first_line.insert(key.clone(), line) {
            first_line.insert(key, first);
            rows.push(reject(
                line,
                &user_name,
                format!("{user_name} is also on line {first}; each user once per file"),
            ));
            continue;
        }
        let current = existing.get(&key);
        let mut resource = match current {
            Some(u) => u.resource.as_object().cloned().unwrap_or_default(),
            None => {
                let mut m = Map::new();
                m.insert("schemas".into(), json!([steward_store::USER_SCHEMA]));
                m
            }
        };
        let mut problem = None;
        let mut manager = None;
        for ((column, attribute), value) in columns.iter().zip(&customs).zip(&record) {
            // An empty cell leaves the attribute as it is.
            if value.is_empty() {
                continue;
            }
            if let Some(attribute) = attribute {
                if let Err(p) = set_custom(&mut resource, attribute, value) {
                    problem = Some(p);
                    break;
                }
                continue;
            }
            let Some(column) = column else { continue };
            if *column == Column::Manager {
                let mkey = value.to_lowercase();
                if mkey == key {
                    problem = Some("a user cannot be their own manager".to_string());
                } else if existing.contains_key(&mkey) || in_file.contains(&mkey) {
                    manager = Some(value.clone());
                } else {
                    problem = Some(format!(
                        "manager {value:?} is neither in the directory nor in this file"
                    ));
                }
                continue;
            }
            if let Err(p) = column.set(&mut resource, value) {
                problem = Some(p);
                break;
            }
        }
        if let Some(p) = problem {
            rows.push(reject(line, &user_name, p));
            continue;
        }
        if current.is_none() && !resource.contains_key("displayName") {
            let given = Column::GivenName.get(&Value::Object(resource.clone()));
            let family = Column::FamilyName.get(&Value::Object(resource.clone()));
            let display = format!("{given} {family}").trim().to_string();
            if !display.is_empty() {
                resource.insert("displayName".into(), json!(display));
            }
        }
        let resource = Value::Object(resource);
        let manager_changes = |u: &User| {
            manager.as_ref().is_some_and(|m| {
                let id = existing.get(&m.to_lowercase()).map(|mu| mu.id.to_string());
                id.is_none() || id.as_deref() != Some(Column::Manager.get(&u.resource).as_str())
            })
        };
        match current {
            None => rows.push(PlannedRow {
                line,
                label: user_name,
                action: RowAction::Create,
                note: String::new(),
                write: Some(PlannedWrite::User {
                    write: UserWrite::Create(resource),
                    manager,
                }),
            }),
            Some(u) if u.resource == resource && !manager_changes(u) => rows.push(PlannedRow {
                line,
                label: user_name,
                action: RowAction::Unchanged,
                note: String::new(),
                write: None,
            }),
            Some(u) => {
                let changed: Vec<&str> = Column::ALL
                    .iter()
                    .filter(|c| **c != Column::Manager && c.get(&u.resource) != c.get(&resource))
                    .map(|c| c.header())
                    .chain(manager_changes(u).then_some("manager"))
                    .chain(
                        customs
                            .iter()
                            .flatten()
                            .filter(|a| custom_value(&u.resource, a) != custom_value(&resource, a))
                            .map(|a| a.name.as_str()),
                    )
                    .collect();
                rows.push(PlannedRow {
                    line,
                    label: user_name,
                    action: RowAction::Update,
                    note: format!("changes {}", changed.join(", ")),
                    write: Some(PlannedWrite::User {
                        write: UserWrite::Replace {
                            id: u.id,
                            resource,
                            version: u.version,
                        },
                        manager,
                    }),
                })
            }
        }
    }
    Ok((rows, ignored))
}

/// Plans a memberships CSV (columns `group` and `userName`).
async fn plan_memberships(
    store: &dyn steward_store::Store,
    headers: &[String],
    records: Records,
) -> Result<(Vec<PlannedRow>, Vec<String>), String> {
    let find = |names: &[&str]| {
        headers.iter().position(|h| {
            let k: String = h
                .chars()
                .filter(|c| c.is_alphanumeric())
                .flat_map(char::to_lowercase)
                .collect();
            names.contains(&k.as_str())
        })
    };
    let group_at = find(&["group", "groupname", "groupdisplayname", "displayname"])
        .ok_or("the file has no group column (the group's name)")?;
    let user_at = find(&["username", "member", "upn", "userprincipalname"])
        .ok_or("the file has no userName column (the member's userName)")?;
    let ignored = headers
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != group_at && *i != user_at)
        .map(|(_, h)| h.clone())
        .collect();
    let names: Vec<String> = records
        .iter()
        .filter_map(|(_, r)| r.as_ref().ok())
        .map(|r| r[user_at].clone())
        .collect();
    let users: HashMap<String, User> = store
        .users_by_user_name(&names)
        .await
        .map_err(|e| e.to_string())?
        .into_iter()
        .filter(|u| u.deleted_at.is_none())
        .filter_map(|u| Some((u.resource.get("userName")?.as_str()?.to_lowercase(), u)))
        .collect();
    let mut groups: HashMap<String, Option<(GroupId, HashSet<String>)>> = HashMap::new();
    let mut planned: HashSet<(GroupId, UserId)> = HashSet::new();
    let mut rows = Vec::new();
    for (line, record) in records {
        let record = match record {
            Ok(r) => r,
            Err(reason) => {
                rows.push(reject(line, "", format!("Line {line} {reason}")));
                continue;
            }
        };
        let (group_name, user_name) = (record[group_at].clone(), record[user_at].clone());
        let label = format!("{group_name} ← {user_name}");
        if group_name.is_empty() || user_name.is_empty() {
            rows.push(reject(
                line,
                label,
                "both the group and the userName are needed",
            ));
            continue;
        }
        let gkey = group_name.to_lowercase();
        if !groups.contains_key(&gkey) {
            let found = store
                .find_groups(&Lookup::DisplayName(group_name.clone()))
                .await
                .map_err(|e| e.to_string())?;
            let entry = match found.first() {
                Some(g) => {
                    let members = store.members(g.id).await.map_err(|e| e.to_string())?;
                    Some((g.id, members.into_iter().map(|m| m.id).collect()))
                }
                None => None,
            };
            groups.insert(gkey.clone(), entry);
        }
        let Some(Some((gid, members))) = groups.get(&gkey) else {
            rows.push(reject(
                line,
                label,
                format!("there is no group named {group_name:?}; create it first"),
            ));
            continue;
        };
        let Some(user) = users
            .get(&user_name.to_lowercase())
            .filter(|u| u.deleted_at.is_none())
        else {
            rows.push(reject(
                line,
                label,
                format!("there is no user {user_name:?}"),
            ));
            continue;
        };
        if members.contains(&user.id.to_string()) || !planned.insert((*gid, user.id)) {
            rows.push(PlannedRow {
                line,
                label,
                action: RowAction::Unchanged,
                note: "already a member".into(),
                write: None,
            });
            continue;
        }
        rows.push(PlannedRow {
            line,
            label,
            action: RowAction::Create,
            note: "adds the member".into(),
            write: Some(PlannedWrite::Member {
                group: *gid,
                user: user.id,
            }),
        });
    }
    Ok((rows, ignored))
}

/// Parses and plans an uploaded file; the plan is kept for the preview page.
pub async fn plan(
    state: &PortalState,
    kind: ImportKind,
    file_name: String,
    bytes: &[u8],
    created_by: String,
) -> Result<Arc<ImportJob>, String> {
    let text = std::str::from_utf8(bytes).map_err(|e| {
        format!(
            "the file is not UTF-8 text (byte {}); save it as \"CSV UTF-8\"",
            e.valid_up_to()
        )
    })?;
    let (headers, records) = read_csv(text)?;
    let store = state.store.as_ref();
    let (rows, ignored_columns) = match kind {
        ImportKind::Users => plan_users(store, &state.schemas.custom(), &headers, records).await?,
        ImportKind::Memberships => plan_memberships(store, &headers, records).await?,
    };
    if rows.is_empty() {
        return Err("the file has a header but no rows".into());
    }
    Ok(state.imports.insert(ImportJob {
        id: uuid::Uuid::new_v4().to_string(),
        kind,
        file_name,
        created_by,
        created_at: Utc::now(),
        rows,
        ignored_columns,
        progress: Mutex::new(Progress::default()),
    }))
}

/// Starts applying a plan in the background; `false` when it already started.
pub fn start(state: &PortalState, job: Arc<ImportJob>) -> bool {
    {
        let mut p = job.progress.lock().unwrap_or_else(|p| p.into_inner());
        if p.started_at.is_some() {
            return false;
        }
        p.started_at = Some(Utc::now());
        p.total = job.rows.iter().filter(|r| r.write.is_some()).count();
    }
    let store = state.store.clone();
    tokio::spawn(async move {
        let result = apply(store.as_ref(), &job).await;
        let mut p = job.progress.lock().unwrap_or_else(|p| p.into_inner());
        if let Err(e) = result {
            tracing::error!(error = %e, import = %job.id, "import stopped");
            p.error = Some(format!("The import stopped after {} rows because the database failed: {e}. Rows written so far stay; upload the file again to finish.", p.done));
        }
        p.finished_at = Some(Utc::now());
    });
    true
}

fn failure_reason(e: &StoreError) -> String {
    match e {
        StoreError::VersionMismatch { .. } => {
            "changed by someone else since the preview; upload the file again".into()
        }
        other => other.to_string(),
    }
}

async fn apply(store: &dyn steward_store::Store, job: &ImportJob) -> Result<(), StoreError> {
    let rows: Vec<&PlannedRow> = job.rows.iter().filter(|r| r.write.is_some()).collect();
    let mut managers: Vec<(u64, String, String)> = Vec::new();
    for batch in rows.chunks(BATCH) {
        let mut writes = Vec::new();
        let mut members = Vec::new();
        for row in batch {
            match &row.write {
                Some(PlannedWrite::User { write, manager }) => {
                    writes.push((row, write.clone()));
                    if let Some(m) = manager {
                        managers.push((row.line, row.label.clone(), m.clone()));
                    }
                }
                Some(PlannedWrite::Member { group, user }) => members.push((row, *group, *user)),
                None => {}
            }
        }
        let mut ok = 0;
        let mut failures = Vec::new();
        if !writes.is_empty() {
            let results = store
                .write_users(writes.iter().map(|(_, w)| w.clone()).collect())
                .await?;
            for ((row, _), result) in writes.iter().zip(results) {
                match result {
                    Ok(_) => ok += 1,
                    Err(e) => failures.push((row.line, row.label.clone(), failure_reason(&e))),
                }
            }
        }
        for (row, group, user) in &members {
            match store
                .add_member(
                    *group,
                    Member {
                        id: user.to_string(),
                        member_type: MemberType::User,
                    },
                )
                .await
            {
                Ok(_) => ok += 1,
                Err(e @ (StoreError::NotFound { .. } | StoreError::Invalid(_))) => {
                    failures.push((row.line, row.label.clone(), e.to_string()))
                }
                Err(e) => return Err(e),
            }
        }
        let mut p = job.progress.lock().unwrap_or_else(|p| p.into_inner());
        p.done += batch.len();
        p.succeeded += ok;
        p.failures.extend(failures);
    }
    // Managers last: a manager may be created by this same file.
    let failed: HashSet<u64> = job.progress().failures.iter().map(|f| f.0).collect();
    managers.retain(|(line, ..)| !failed.contains(line));
    for chunk in managers.chunks(BATCH) {
        let mut names: Vec<String> = chunk.iter().map(|(_, u, _)| u.clone()).collect();
        names.extend(chunk.iter().map(|(_, _, m)| m.clone()));
        let users: HashMap<String, User> = store
            .users_by_user_name(&names)
            .await?
            .into_iter()
            .filter(|u| u.deleted_at.is_none())
            .filter_map(|u| Some((u.resource.get("userName")?.as_str()?.to_lowercase(), u)))
            .collect();
        let mut writes = Vec::new();
        let mut lines = Vec::new();
        for (line, user_name, manager) in chunk {
            let (Some(user), Some(boss)) = (
                users.get(&user_name.to_lowercase()),
                users.get(&manager.to_lowercase()),
            ) else {
                continue;
            };
            if Column::Manager.get(&user.resource) == boss.id.to_string() {
                continue;
            }
            let mut resource = user.resource.as_object().cloned().unwrap_or_default();
            enterprise_of(&mut resource)["manager"] = json!({ "value": boss.id.to_string() });
            writes.push(UserWrite::Replace {
                id: user.id,
                resource: Value::Object(resource),
                version: user.version,
            });
            lines.push((*line, user_name.clone()));
        }
        if writes.is_empty() {
            continue;
        }
        let results = store.write_users(writes).await?;
        let mut p = job.progress.lock().unwrap_or_else(|p| p.into_inner());
        for ((line, label), result) in lines.into_iter().zip(results) {
            if let Err(e) = result {
                p.failures.push((
                    line,
                    label,
                    format!("manager not set: {}", failure_reason(&e)),
                ));
            }
        }
    }
    Ok(())
}

/// `POST /api/import`: a multipart form with `kind` (users or memberships) and `file`.
/// Answers with a redirect to the preview, or back to the upload page with the problem.
pub async fn upload(
    State(state): State<PortalState>,
    Extension(session): Extension<CurrentSession>,
    mut form: Multipart,
) -> Response {
    let back = |problem: &str| {
        Redirect::to(&format!(
            "/users/import?error={}",
            crate::url::percent_encode(problem, b"")
        ))
        .into_response()
    };
    let mut kind = ImportKind::Users;
    let mut file: Option<(String, Vec<u8>)> = None;
    loop {
        let field = match form.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => {
                let text = if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    format!(
                        "The file is larger than {} MB; split it into smaller files.",
                        MAX_UPLOAD / 1024 / 1024
                    )
                } else {
                    format!("The upload could not be read: {e}")
                };
                return back(&text);
            }
        };
        match field.name() {
            Some("kind") => {
                let memberships = field.text().await.is_ok_and(|t| t == "memberships");
                kind = if memberships {
                    ImportKind::Memberships
                } else {
                    ImportKind::Users
                };
            }
            Some("file") => {
                let name = field.file_name().unwrap_or("upload.csv").to_string();
                match field.bytes().await {
                    Ok(b) => file = Some((name, b.to_vec())),
                    Err(e) => {
                        return back(&format!(
                            "The file could not be read: {e}. Files up to {} MB are accepted.",
                            MAX_UPLOAD / 1024 / 1024
                        ))
                    }
                }
            }
            _ => {}
        }
    }
    let Some((name, bytes)) = file.filter(|(_, b)| !b.is_empty()) else {
        return back("Choose a CSV file to import.");
    };
    match plan(&state, kind, name, &bytes, session.admin.email.clone()).await {
        Ok(job) => Redirect::to(&format!("/users/import/{}", job.id)).into_response(),
        Err(problem) => back(&format!("The file was not imported: {problem}.")),
    }
}

#[derive(serde::Deserialize)]
pub struct ExportQuery {
    q: Option<String>,
    #[serde(default)]
    bin: Option<String>,
    sort: Option<String>,
    desc: Option<String>,
}

/// `GET /api/export/users.csv`: the users list's current view (search, recycle bin, sort),
/// every page of it, in the import format.
pub async fn export_users(
    State(state): State<PortalState>,
    Query(q): Query<ExportQuery>,
) -> Response {
    match export(&state, q).await {
        Ok(body) => (
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
                (
                    header::CONTENT_DISPOSITION,
                    "attachment; filename=\"users.csv\"",
                ),
            ],
            body,
        )
            .into_response(),
        Err(e) => {
            tracing::error!(error = %e, "export failed");
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                "The export failed; see the server log.",
            )
                .into_response()
        }
    }
}

async fn export(state: &PortalState, q: ExportQuery) -> Result<Vec<u8>, String> {
    let mut query = UserQuery {
        search: q.q.filter(|s| !s.trim().is_empty()),
        state: if q.bin.as_deref() == Some("1") {
            UserState::Deleted
        } else {
            UserState::Current
        },
        sort: match q.sort.as_deref() {
            Some("username") => UserSort::UserName,
            Some("email") => UserSort::Email,
            Some("updated") => UserSort::UpdatedAt,
            _ => UserSort::DisplayName,
        },
        descending: q.desc.as_deref() == Some("1"),
        offset: 0,
        limit: 500,
    };
    let custom: Vec<CustomAttribute> = state
        .schemas
        .custom()
        .iter()
        .filter(|a| a.object_type == ObjectType::User)
        .cloned()
        .collect();
    let mut out = csv::Writer::from_writer(Vec::new());
    out.write_record(
        Column::ALL
            .iter()
            .map(|c| c.header())
            .chain(custom.iter().map(|a| a.name.as_str())),
    )
    .map_err(|e| e.to_string())?;
    let mut manager_names: HashMap<String, String> = HashMap::new();
    loop {
        let page = state
            .store
            .list_users(&query)
            .await
            .map_err(|e| e.to_string())?;
        if page.items.is_empty() {
            break;
        }
        let ids: Vec<UserId> = page.items.iter().map(|u| u.id).collect();
        let mut users: HashMap<UserId, User> = state
            .store
            .users_by_id(&ids)
            .await
            .map_err(|e| e.to_string())?
            .into_iter()
            .map(|u| (u.id, u))
            .collect();
        let wanted: Vec<UserId> = users
            .values()
            .filter_map(|u| UserId::parse(&Column::Manager.get(&u.resource)))
            .filter(|m| !manager_names.contains_key(&m.to_string()))
            .collect();
        for m in state
            .store
            .users_by_id(&wanted)
            .await
            .map_err(|e| e.to_string())?
        {
            manager_names.insert(m.id.to_string(), Column::UserName.get(&m.resource));
        }
        for id in &ids {
            let Some(u) = users.remove(id) else { continue };
            let record: Vec<String> = Column::ALL
                .iter()
                .map(|c| match c {
                    Column::Manager => manager_names
                        .get(&c.get(&u.resource))
                        .cloned()
                        .unwrap_or_default(),
                    Column::Active => u.active.to_string(),
                    other => other.get(&u.resource),
                })
                .chain(custom.iter().map(|a| custom_value(&u.resource, a)))
                .collect();
            out.write_record(&record).map_err(|e| e.to_string())?;
        }
        query.offset += page.items.len() as u32;
    }
    out.into_inner().map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_are_read_loosely() {
        for (h, want) in [
            ("userName", Some(Column::UserName)),
            ("\u{feff}User Name", Some(Column::UserName)),
            ("first_name", Some(Column::GivenName)),
            ("Cost-Centre", Some(Column::CostCenter)),
            ("E-mail", Some(Column::Email)),
            ("Email", Some(Column::Email)),
            ("shoe size", None),
        ] {
            assert_eq!(Column::parse(h), want, "{h}");
        }
    }

    #[test]
    fn columns_round_trip_through_a_resource() {
        let mut r = Map::new();
        for c in Column::ALL {
            let value = match c {
                Column::Email => "ada@example.com",
                Column::Active => "false",
                _ => "x1",
            };
            c.set(&mut r, value).unwrap();
        }
        let r = Value::Object(r);
        for c in Column::ALL {
            let want = match c {
                Column::Email => "ada@example.com",
                Column::Active => "false",
                _ => "x1",
            };
            assert_eq!(c.get(&r), want, "{c:?}");
        }
        assert!(r["schemas"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s == ENTERPRISE));
    }

    #[test]
    fn bad_cells_say_what_is_wrong() {
        let mut r = Map::new();
        assert!(Column::Active
            .set(&mut r, "maybe")
            .unwrap_err()
            .contains("true or false"));
        assert!(Column::Email
            .set(&mut r, "nope")
            .unwrap_err()
            .contains("nope"));
        assert!(Column::UserName
            .set(&mut r, "a b")
            .unwrap_err()
            .contains("spaces"));
    }

    #[test]
    fn reads_csv_with_line_numbers_and_broken_records() {
        let (headers, records) =
            read_csv("userName,email\na@x.com,a@x.com\n\nb@x.com\n\"c@x.com,c@x.com\n").unwrap();
        assert_eq!(headers, ["userName", "email"]);
        assert_eq!(records[0].0, 2);
        assert!(records[0].1.is_ok());
        assert_eq!(records[1].0, 4);
        assert!(records[1].1.as_ref().unwrap_err().contains("has 1 fields"));
        assert!(read_csv("").is_err());
    }
}
