//! Editing a user: the create form's fields plus enterprise attributes, work phone, language,
//! locale, time zone and the manager; the manager picker's search; a user's manager and
//! direct reports; and deleting a user for good from the recycle bin.
//!
//! The field checks and the writing of fields into a SCIM resource live here too, and the
//! create form uses them ([`NewUserForm::field_errors`], [`NewUserForm::write_into`]), so
//! both forms check and store a field the same way. A form only writes its own fields:
//! whatever else the stored resource holds (attributes set over SCIM, other emails) stays.

use super::NewUserForm;
use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
use super::{audit, directory_error, load_user};
#[cfg(feature = "ssr")]
use crate::error::FieldError;
#[cfg(feature = "ssr")]
use crate::server as srv;
#[cfg(feature = "ssr")]
use serde_json::{json, Map, Value};
#[cfg(feature = "ssr")]
use steward_store::{Role, ENTERPRISE_USER_SCHEMA as ENTERPRISE};

/// The most direct reports the user page lists.
pub const REPORTS_SHOWN: u32 = 50;

/// Another user as a link or a choice: a manager, a direct report, a picker candidate.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UserRef {
    pub id: String,
    pub display: String,
    pub user_name: String,
    /// Why the reference is not an ordinary current user ("in the recycle bin", ...).
    pub note: Option<String>,
}

/// The edit form, as posted (inputs are named `form[user_name]` and so on).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct UserEditForm {
    pub user_name: String,
    #[serde(default)]
    pub display_name: String,
    #[serde(default)]
    pub given_name: String,
    #[serde(default)]
    pub family_name: String,
    #[serde(default)]
    pub email: String,
    #[serde(default)]
    pub external_id: String,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub department: String,
    #[serde(default)]
    pub employee_number: String,
    #[serde(default)]
    pub cost_center: String,
    #[serde(default)]
    pub organization: String,
    #[serde(default)]
    pub division: String,
    /// `phoneNumbers[type eq "work"].value`
    #[serde(default)]
    pub phone: String,
    #[serde(default)]
    pub preferred_language: String,
    #[serde(default)]
    pub locale: String,
    #[serde(default)]
    pub timezone: String,
    /// The manager's user id; empty for none.
    #[serde(default)]
    pub manager_id: String,
    /// Custom attributes by name (`form[custom][NAME]`).
    #[serde(default)]
    pub custom: std::collections::BTreeMap<String, String>,
}

impl UserEditForm {
    /// The fields the create form has too.
    pub fn shared(&self) -> NewUserForm {
        NewUserForm {
            user_name: self.user_name.clone(),
            display_name: self.display_name.clone(),
            given_name: self.given_name.clone(),
            family_name: self.family_name.clone(),
            email: self.email.clone(),
            external_id: self.external_id.clone(),
            title: self.title.clone(),
            department: self.department.clone(),
            custom: self.custom.clone(),
        }
    }
}

/// What the edit page needs: the form as stored, and who the manager is.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UserEditData {
    pub id: String,
    /// The user's name as headings show it.
    pub name: String,
    pub version: i64,
    pub deleted: bool,
    pub form: UserEditForm,
    pub manager: Option<UserRef>,
}

/// A user's place in the organisation, for their page.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UserOrg {
    pub title: String,
    pub department: String,
    pub manager: Option<UserRef>,
    /// The first [`REPORTS_SHOWN`] direct reports, by name.
    pub reports: Vec<UserRef>,
    /// How many direct reports there are in all.
    pub report_count: i64,
}

// ---- Reading and writing the fields of a resource ----------------------------------------

#[cfg(feature = "ssr")]
fn text_at<'a>(value: &'a Value, key: &str) -> &'a str {
    value.get(key).and_then(Value::as_str).unwrap_or_default()
}

/// The name headings show: displayName, else first and last name, else userName.
#[cfg(feature = "ssr")]
fn display_of(resource: &Value) -> String {
    let display = text_at(resource, "displayName").trim();
    if !display.is_empty() {
        return display.to_string();
    }
    let name = resource.get("name").cloned().unwrap_or(Value::Null);
    let full = format!(
        "{} {}",
        text_at(&name, "givenName").trim(),
        text_at(&name, "familyName").trim()
    );
    match full.trim() {
        "" => text_at(resource, "userName").to_string(),
        full => full.to_string(),
    }
}

/// Sets `key` to the trimmed value, or removes it when the value is empty.
#[cfg(feature = "ssr")]
fn put_text(map: &mut Map<String, Value>, key: &str, value: &str) {
    match value.trim() {
        "" => {
            map.remove(key);
        }
        v => {
            map.insert(key.into(), Value::String(v.to_string()));
        }
    }
}

/// The object under `key`, made an empty one when it is missing or something else.
#[cfg(feature = "ssr")]
fn object_at<'a>(map: &'a mut Map<String, Value>, key: &str) -> &'a mut Map<String, Value> {
    let slot = map
        .entry(key.to_string())
        .or_insert_with(|| Value::Object(Map::new()));
    if !slot.is_object() {
        *slot = Value::Object(Map::new());
    }
    match slot {
        Value::Object(inner) => inner,
        _ => unreachable!("made an object above"),
    }
}

/// Which entry of a multi-valued attribute (emails, phoneNumbers) the form's work field
/// edits: the one of type "work", else (for emails, which the create form used to write
/// untyped) one without a type.
#[cfg(feature = "ssr")]
fn work_entry(list: &[Value], untyped_too: bool) -> Option<usize> {
    let kind = |e: &Value| e.get("type").and_then(Value::as_str).map(str::to_string);
    list.iter()
        .position(|e| kind(e).is_some_and(|t| t.eq_ignore_ascii_case("work")))
        .or_else(|| {
            untyped_too
                .then(|| list.iter().position(|e| kind(e).is_none()))
                .flatten()
        })
}

#[cfg(feature = "ssr")]
fn work_value(resource: &Value, attr: &str, untyped_too: bool) -> String {
    let list = resource
        .get(attr)
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    work_entry(list, untyped_too)
        .map(|i| text_at(&list[i], "value").to_string())
        .unwrap_or_default()
}

/// Writes the work entry of `attr`: changes its value (keeping its other sub-attributes),
/// adds one of type "work" (primary when no other entry is), or removes it when `value` is
/// empty. Other entries stay as they are.
#[cfg(feature = "ssr")]
fn put_work_value(map: &mut Map<String, Value>, attr: &str, value: &str, untyped_too: bool) {
    let value = value.trim();
    let mut list = match map.remove(attr) {
        Some(Value::Array(list)) => list,
        _ => Vec::new(),
    };
    match (work_entry(&list, untyped_too), value.is_empty()) {
        (Some(i), true) => {
            list.remove(i);
        }
        (Some(i), false) => {
            if let Value::Object(entry) = &mut list[i] {
                entry.insert("value".into(), json!(value));
            }
        }
        (None, true) => {}
        (None, false) => {
            let primary = !list
                .iter()
                .any(|e| e.get("primary").and_then(Value::as_bool) == Some(true));
            let mut entry = json!({ "value": value, "type": "work" });
            if primary {
                entry["primary"] = json!(true);
            }
            list.push(entry);
        }
    }
    if !list.is_empty() {
        map.insert(attr.into(), Value::Array(list));
    }
}

/// Keeps the enterprise extension and `schemas` in step: the URN is listed exactly when the
/// resource has enterprise attributes; an emptied extension object is removed.
#[cfg(feature = "ssr")]
fn tidy_enterprise(map: &mut Map<String, Value>) {
    let used = map
        .get(ENTERPRISE)
        .and_then(Value::as_object)
        .is_some_and(|e| !e.is_empty());
    if !used {
        map.remove(ENTERPRISE);
    }
    let schemas = object_schemas(map);
    let listed = schemas.iter().any(|s| s.as_str() == Some(ENTERPRISE));
    if used && !listed {
        schemas.push(json!(ENTERPRISE));
    } else if !used && listed {
        schemas.retain(|s| s.as_str() != Some(ENTERPRISE));
    }
}

#[cfg(feature = "ssr")]
fn object_schemas(map: &mut Map<String, Value>) -> &mut Vec<Value> {
    let slot = map
        .entry("schemas")
        .or_insert_with(|| json!([steward_store::USER_SCHEMA]));
    if !slot.is_array() {
        *slot = json!([steward_store::USER_SCHEMA]);
    }
    match slot {
        Value::Array(list) => list,
        _ => unreachable!("made an array above"),
    }
}

#[cfg(feature = "ssr")]
fn as_object(resource: &mut Value) -> &mut Map<String, Value> {
    if !resource.is_object() {
        *resource = Value::Object(Map::new());
    }
    match resource {
        Value::Object(map) => map,
        _ => unreachable!("made an object above"),
    }
}

#[cfg(feature = "ssr")]
fn too_long(value: &str) -> Option<String> {
    (value.trim().chars().count() > 256).then(|| "Use at most 256 characters.".to_string())
}

#[cfg(feature = "ssr")]
impl NewUserForm {
    /// Messages for the fields at fault, next to each field; empty when all is well.
    pub(crate) fn field_errors(&self) -> Vec<FieldError> {
        use crate::error::field_errors;
        let user_name = self.user_name.trim();
        let email = self.email.trim();
        field_errors([
            (
                "user_name",
                if user_name.is_empty() {
                    Some("Enter a user name, usually the person's sign-in email.".to_string())
                } else if user_name.chars().any(char::is_whitespace) || user_name.len() > 256 {
                    Some("A user name has no spaces and at most 256 characters.".to_string())
                } else {
                    None
                },
            ),
            (
                "email",
                (!email.is_empty())
                    .then(|| srv::auth::validate_email(email))
                    .flatten(),
            ),
            ("given_name", too_long(&self.given_name)),
            ("family_name", too_long(&self.family_name)),
            ("display_name", too_long(&self.display_name)),
            ("title", too_long(&self.title)),
            ("department", too_long(&self.department)),
            ("external_id", too_long(&self.external_id)),
        ])
    }

    /// Writes the form's fields into `resource` (an empty field removes its attribute) and
    /// returns the userName. Call after [`Self::field_errors`] found nothing.
    pub(crate) fn write_into(&self, resource: &mut Value) -> String {
        let map = as_object(resource);
        let user_name = self.user_name.trim().to_string();
        map.insert("userName".into(), json!(user_name));
        let (given, family) = (self.given_name.trim(), self.family_name.trim());
        let display = match self.display_name.trim() {
            "" => format!("{given} {family}").trim().to_string(),
            d => d.to_string(),
        };
        put_text(map, "displayName", &display);
        put_text(map, "externalId", &self.external_id);
        put_text(map, "title", &self.title);
        let name = object_at(map, "name");
        put_text(name, "givenName", given);
        put_text(name, "familyName", family);
        if name.is_empty() {
            map.remove("name");
        }
        put_work_value(map, "emails", &self.email, true);
        put_text(object_at(map, ENTERPRISE), "department", &self.department);
        tidy_enterprise(map);
        user_name
    }
}

/// A store conflict on userName or externalId as a message next to that field.
#[cfg(feature = "ssr")]
pub(crate) fn user_conflict(e: steward_store::StoreError) -> AppError {
    conflict_next_to(e, "user_name")
}

/// A store conflict as a message next to the field at fault: `external_id` for an
/// externalId, else `name_field` (the user or group name).
#[cfg(feature = "ssr")]
pub(crate) fn conflict_next_to(e: steward_store::StoreError, name_field: &'static str) -> AppError {
    use crate::error::{field_errors, ErrorCode};
    match e {
        steward_store::StoreError::Conflict { what, value } => {
            srv::set_status(409);
            let field = if what.contains("externalId") {
                "external_id"
            } else {
                name_field
            };
            let mut err = AppError::invalid(field_errors([(
                field,
                Some(format!("{} {value:?} already exists.", capitalised(what))),
            )]));
            err.code = ErrorCode::Conflict;
            err
        }
        other => directory_error(other),
    }
}

#[cfg(feature = "ssr")]
pub(crate) fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// An Accept-Language value (RFC 7231), as SCIM's preferredLanguage is: `en-US`, or a list
/// such as `da, en-GB;q=0.8`.
#[cfg(feature = "ssr")]
fn valid_language(value: &str) -> bool {
    value.split(',').all(|item| {
        let mut parts = item.trim().split(';');
        let tag = parts.next().unwrap_or_default().trim();
        let tag_ok = tag == "*" || valid_tag(tag, &['-']);
        tag_ok
            && parts.all(|p| {
                p.trim()
                    .strip_prefix("q=")
                    .and_then(|q| q.parse::<f32>().ok())
                    .is_some_and(|q| (0.0..=1.0).contains(&q))
            })
    })
}

/// A language tag like `en` or `en-US` (with `_` also accepted for locales, as in `en_US`).
#[cfg(feature = "ssr")]
fn valid_tag(tag: &str, separators: &[char]) -> bool {
    let mut parts = tag.split(separators);
    let first = parts.next().unwrap_or_default();
    (2..=8).contains(&first.len())
        && first.chars().all(|c| c.is_ascii_alphabetic())
        && parts.all(|p| (1..=8).contains(&p.len()) && p.chars().all(|c| c.is_ascii_alphanumeric()))
}

/// An IANA time zone name, as far as its form goes: `Europe/Paris`, `UTC`, `Etc/GMT+2`.
#[cfg(feature = "ssr")]
fn valid_timezone(value: &str) -> bool {
    value.len() <= 64
        && value.split('/').all(|part| {
            part.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
                && part
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "_+-".contains(c))
        })
        && value.starts_with(|c: char| c.is_ascii_uppercase())
}

/// A phone number as people write one: digits with spaces and `+ - ( ) .`, an extension
/// (`x12`, `ext. 12`), or a `tel:` URI.
#[cfg(feature = "ssr")]
fn valid_phone(value: &str) -> bool {
    let lower = value.to_ascii_lowercase();
    let rest = lower.strip_prefix("tel:").unwrap_or(&lower);
    let rest = rest.replace("ext", "");
    let digits = rest.chars().filter(char::is_ascii_digit).count();
    value.len() <= 64
        && digits >= 3
        && rest
            .chars()
            .all(|c| c.is_ascii_digit() || c.is_whitespace() || "+-().x;=".contains(c))
}

#[cfg(feature = "ssr")]
impl UserEditForm {
    /// Messages for the fields only the edit form has (the manager is checked against the
    /// store separately).
    fn extra_field_errors(&self) -> Vec<FieldError> {
        let check = |value: &str, valid: fn(&str) -> bool, message: &str| {
            let value = value.trim();
            if value.is_empty() {
                None
            } else if let Some(long) = too_long(value) {
                Some(long)
            } else {
                (!valid(value)).then(|| message.to_string())
            }
        };
        crate::error::field_errors([
            ("employee_number", too_long(&self.employee_number)),
            ("cost_center", too_long(&self.cost_center)),
            ("organization", too_long(&self.organization)),
            ("division", too_long(&self.division)),
            (
                "phone",
                check(
                    &self.phone,
                    valid_phone,
                    "Enter a phone number like +1 425 555 0100 (digits, spaces and + - ( ) only).",
                ),
            ),
            (
                "preferred_language",
                check(
                    &self.preferred_language,
                    valid_language,
                    "Enter a language tag like en-US, or a list like \"da, en-GB;q=0.8\".",
                ),
            ),
            (
                "locale",
                check(
                    &self.locale,
                    |v| valid_tag(v, &['-', '_']),
                    "Enter a locale like en-US.",
                ),
            ),
            (
                "timezone",
                check(
                    &self.timezone,
                    valid_timezone,
                    "Enter a time zone name like Europe/Paris or America/Los_Angeles.",
                ),
            ),
        ])
    }

    /// Writes the fields only the edit form has. The manager is written only when
    /// `manager_changed` (a stored reference is kept as it is, sub-attributes and all) or
    /// cleared when the field is empty.
    fn write_extras(&self, resource: &mut Value, manager_changed: bool) {
        let map = as_object(resource);
        put_work_value(map, "phoneNumbers", &self.phone, false);
        put_text(map, "preferredLanguage", &self.preferred_language);
        put_text(map, "locale", &self.locale);
        put_text(map, "timezone", &self.timezone);
        let enterprise = object_at(map, ENTERPRISE);
        put_text(enterprise, "employeeNumber", &self.employee_number);
        put_text(enterprise, "costCenter", &self.cost_center);
        put_text(enterprise, "organization", &self.organization);
        put_text(enterprise, "division", &self.division);
        let manager = self.manager_id.trim();
        if manager.is_empty() {
            enterprise.remove("manager");
        } else if manager_changed {
            enterprise.insert("manager".into(), json!({ "value": manager }));
        }
        tidy_enterprise(map);
    }

    /// The form as the stored resource fills it.
    fn from_resource(resource: &Value) -> Self {
        let name = resource.get("name").cloned().unwrap_or(Value::Null);
        let enterprise = resource.get(ENTERPRISE).cloned().unwrap_or(Value::Null);
        let text = |v: &Value, key: &str| text_at(v, key).to_string();
        Self {
            user_name: text(resource, "userName"),
            display_name: text(resource, "displayName"),
            given_name: text(&name, "givenName"),
            family_name: text(&name, "familyName"),
            email: work_value(resource, "emails", true),
            external_id: text(resource, "externalId"),
            title: text(resource, "title"),
            department: text(&enterprise, "department"),
            employee_number: text(&enterprise, "employeeNumber"),
            cost_center: text(&enterprise, "costCenter"),
            organization: text(&enterprise, "organization"),
            division: text(&enterprise, "division"),
            phone: work_value(resource, "phoneNumbers", false),
            preferred_language: text(resource, "preferredLanguage"),
            locale: text(resource, "locale"),
            timezone: text(resource, "timezone"),
            manager_id: steward_store::manager_id(resource)
                .unwrap_or_default()
                .to_string(),
            // Custom attributes come with their definitions (`custom_fields`).
            custom: Default::default(),
        }
    }
}

// ---- Store look-ups ------------------------------------------------------------------------

/// The user a reference names, as a link shows them; a dangling reference (a user deleted
/// for good, or an id from elsewhere) still yields something to show.
#[cfg(feature = "ssr")]
async fn user_ref(state: &srv::PortalState, id: &str) -> Result<UserRef, AppError> {
    let found = match steward_store::UserId::parse(id) {
        Some(uid) => state.store.user(uid).await.map_err(srv::internal)?,
        None => None,
    };
    Ok(match found {
        Some(user) => UserRef {
            id: id.to_string(),
            display: display_of(&user.resource),
            user_name: text_at(&user.resource, "userName").to_string(),
            note: user.deleted_at.map(|_| "in the recycle bin".to_string()),
        },
        None => UserRef {
            id: id.to_string(),
            display: id.to_string(),
            user_name: String::new(),
            note: Some("no such user; deleted for good?".to_string()),
        },
    })
}

#[cfg(feature = "ssr")]
fn summary_ref(u: steward_store::UserSummary) -> UserRef {
    let display = match u.display_name.trim() {
        "" => match format!("{} {}", u.given_name, u.family_name).trim() {
            "" => u.user_name.clone(),
            full => full.to_string(),
        },
        d => d.to_string(),
    };
    UserRef {
        id: u.id.to_string(),
        display,
        user_name: u.user_name,
        note: None,
    }
}

/// Why `manager` cannot manage `user`, or `None` when they can: they must be another
/// current user, and the chain of managers above them must not lead back to `user`.
#[cfg(feature = "ssr")]
async fn manager_problem(
    state: &srv::PortalState,
    user: steward_store::UserId,
    user_display: &str,
    manager: &str,
) -> Result<Option<String>, AppError> {
    let Some(mid) = steward_store::UserId::parse(manager) else {
        return Ok(Some("Choose the manager from the search results.".into()));
    };
    if mid == user {
        return Ok(Some("A user cannot be their own manager.".into()));
    }
    let Some(chosen) = state.store.user(mid).await.map_err(srv::internal)? else {
        return Ok(Some(
            "That user no longer exists; choose someone else.".into(),
        ));
    };
    let chosen_display = display_of(&chosen.resource);
    if chosen.deleted_at.is_some() {
        return Ok(Some(format!(
            "{chosen_display} is in the recycle bin; choose someone else."
        )));
    }
    // Walk up from the chosen manager; a chain that was already looped (written over SCIM)
    // or that leaves the directory just ends.
    let mut seen = std::collections::HashSet::from([mid]);
    let mut next =
        steward_store::manager_id(&chosen.resource).and_then(steward_store::UserId::parse);
    while let Some(id) = next {
        if id == user {
            return Ok(Some(format!(
                "{chosen_display} reports to {user_display}, directly or through others; a chain of managers cannot loop back."
            )));
        }
        if !seen.insert(id) || seen.len() > 10_000 {
            break;
        }
        next = state
            .store
            .user(id)
            .await
            .map_err(srv::internal)?
            .and_then(|u| {
                steward_store::manager_id(&u.resource).and_then(steward_store::UserId::parse)
            });
    }
    Ok(None)
}

// ---- Server functions ----------------------------------------------------------------------

/// The edit form of a user, filled from their stored resource.
#[server(endpoint = "user_edit")]
pub async fn get_user_for_edit(id: String) -> Result<UserEditData, AppError> {
    srv::require_role(Role::GlobalAdministrator)?;
    let state = srv::portal_state()?;
    let (_, user) = load_user(&state, &id).await?;
    let form = UserEditForm::from_resource(&user.resource);
    let manager = match form.manager_id.as_str() {
        "" => None,
        mid => Some(user_ref(&state, mid).await?),
    };
    Ok(UserEditData {
        id: user.id.to_string(),
        name: display_of(&user.resource),
        version: user.version,
        deleted: user.deleted_at.is_some(),
        form,
        manager,
    })
}

/// Saves the edit form into the stored resource. `version` is the one the admin saw, so a
/// change made meanwhile (in the portal or over SCIM) is not overwritten.
#[server(endpoint = "user_update")]
pub async fn update_user(id: String, version: i64, form: UserEditForm) -> Result<(), AppError> {
    use crate::error::ErrorCode;
    let session = srv::require_role(Role::GlobalAdministrator)?;
    let state = srv::portal_state()?;
    let (uid, user) = load_user(&state, &id).await?;
    if user.deleted_at.is_some() {
        srv::set_status(409);
        return Err(AppError::new(
            ErrorCode::Conflict,
            "This user is in the recycle bin. Restore them to edit them.",
        ));
    }
    let shared = form.shared();
    let mut fields = shared.field_errors();
    fields.extend(form.extra_field_errors());
    let manager = form.manager_id.trim();
    let manager_changed =
        !manager.is_empty() && Some(manager) != steward_store::manager_id(&user.resource);
    if manager_changed {
        let name = match shared.display_name.trim() {
            "" => display_of(&user.resource),
            d => d.to_string(),
        };
        if let Some(message) = manager_problem(&state, uid, &name, manager).await? {
            fields.push(FieldError {
                field: "manager_id".into(),
                message,
            });
        }
    }
    if !fields.is_empty() {
        srv::set_status(422);
        return Err(AppError::invalid(fields));
    }
    let mut resource = user.resource.clone();
    let user_name = shared.write_into(&mut resource);
    form.write_extras(&mut resource, manager_changed);
    let custom_errors = super::apply_custom_fields(
        &state,
        steward_store::ObjectType::User,
        &form.custom,
        &mut resource,
    );
    if !custom_errors.is_empty() {
        srv::set_status(422);
        return Err(AppError::invalid(custom_errors));
    }
    state
        .store
        .replace_user(uid, resource, Some(version))
        .await
        .map_err(user_conflict)?;
    audit(
        &state,
        &session.admin.email,
        "user.update",
        Some(&user_name),
        steward_store::Outcome::Success,
        manager_changed.then(|| format!("manager {manager}")),
    )
    .await;
    leptos_axum::redirect(&format!("/users/{id}"));
    Ok(())
}

/// Current users matching `query` (user name, display name or email), for the manager
/// picker; `user` themself is left out.
#[server(endpoint = "user_manager_candidates")]
pub async fn manager_candidates(user: String, query: String) -> Result<Vec<UserRef>, AppError> {
    const SHOWN: usize = 8;
    srv::require_role(Role::GlobalAdministrator)?;
    let state = srv::portal_state()?;
    let query = query.trim();
    if query.is_empty() {
        return Ok(Vec::new());
    }
    let found = state
        .store
        .list_users(&steward_store::UserQuery {
            search: Some(query.to_string()),
            // One more, in case the user themself is among them.
            limit: SHOWN as u32 + 1,
            ..Default::default()
        })
        .await
        .map_err(srv::internal)?;
    Ok(found
        .items
        .into_iter()
        .filter(|u| u.id.to_string() != user)
        .take(SHOWN)
        .map(summary_ref)
        .collect())
}

/// A user's job title, department, manager and direct reports.
#[server(endpoint = "user_org")]
pub async fn get_user_org(id: String) -> Result<UserOrg, AppError> {
    srv::require_role(Role::GlobalAdministrator)?;
    let state = srv::portal_state()?;
    let (uid, user) = load_user(&state, &id).await?;
    let manager = match steward_store::manager_id(&user.resource) {
        Some(mid) => Some(user_ref(&state, mid).await?),
        None => None,
    };
    let reports = state
        .store
        .direct_reports(uid, REPORTS_SHOWN)
        .await
        .map_err(srv::internal)?;
    let enterprise = user
        .resource
        .get(ENTERPRISE)
        .cloned()
        .unwrap_or(Value::Null);
    Ok(UserOrg {
        title: text_at(&user.resource, "title").to_string(),
        department: text_at(&enterprise, "department").to_string(),
        manager,
        reports: reports.items.into_iter().map(summary_ref).collect(),
        report_count: reports.total,
    })
}

/// Deletes a user in the recycle bin for good, with their group memberships.
#[server(endpoint = "user_hard_delete")]
pub async fn delete_user_for_good(id: String) -> Result<(), AppError> {
    use crate::error::ErrorCode;
    let session = srv::require_role(Role::GlobalAdministrator)?;
    let state = srv::portal_state()?;
    let (uid, user) = load_user(&state, &id).await?;
    let user_name = text_at(&user.resource, "userName").to_string();
    if user.deleted_at.is_none() {
        srv::set_status(409);
        return Err(AppError::new(
            ErrorCode::Conflict,
            "Only users in the recycle bin can be deleted for good. Delete the user first.",
        ));
    }
    state
        .store
        .hard_delete_user(uid)
        .await
        .map_err(directory_error)?;
    audit(
        &state,
        &session.admin.email,
        "user.hard_delete",
        Some(&user_name),
        steward_store::Outcome::Success,
        None,
    )
    .await;
    leptos_axum::redirect("/users?bin=1");
    Ok(())
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::*;

    fn core(user_name: &str) -> NewUserForm {
        NewUserForm {
            user_name: user_name.into(),
            ..Default::default()
        }
    }

    #[test]
    fn the_create_form_writes_a_new_resource() {
        let form = NewUserForm {
            user_name: " ada@example.com ".into(),
            given_name: "Ada".into(),
            family_name: "Lovelace".into(),
            email: "ada@example.com".into(),
            department: "Analytical Engines".into(),
            ..Default::default()
        };
        assert!(form.field_errors().is_empty());
        let mut r = json!({"schemas": [steward_store::USER_SCHEMA], "active": true});
        assert_eq!(form.write_into(&mut r), "ada@example.com");
        assert_eq!(
            r,
            json!({
                "schemas": [steward_store::USER_SCHEMA, ENTERPRISE],
                "active": true,
                "userName": "ada@example.com",
                "displayName": "Ada Lovelace",
                "name": {"givenName": "Ada", "familyName": "Lovelace"},
                "emails": [{"value": "ada@example.com", "type": "work", "primary": true}],
                ENTERPRISE: {"department": "Analytical Engines"},
            })
        );
    }

    #[test]
    fn the_create_form_reports_each_field() {
        let form = NewUserForm {
            user_name: "has space".into(),
            email: "nope".into(),
            title: "x".repeat(300),
            ..Default::default()
        };
        let fields: Vec<_> = form.field_errors().into_iter().map(|f| f.field).collect();
        assert_eq!(fields, ["user_name", "email", "title"]);
        assert_eq!(core("").field_errors()[0].field, "user_name");
    }

    #[test]
    fn editing_keeps_what_the_form_does_not_show() {
        let stored = json!({
            "schemas": [steward_store::USER_SCHEMA, ENTERPRISE, "urn:example:custom"],
            "userName": "ada@example.com",
            "displayName": "Ada",
            "nickName": "Countess",
            "name": {"givenName": "Ada", "familyName": "Lovelace", "middleName": "King"},
            "emails": [{"value": "ada@home.example", "type": "home", "primary": true},
                       {"value": "ada@example.com", "type": "work"}],
            "phoneNumbers": [{"value": "+44 20 7946 0000", "type": "mobile"}],
            ENTERPRISE: {"department": "Engines", "manager": {"value": "m1", "displayName": "Boss"}},
            "urn:example:custom": {"badge": 7},
        });
        let mut form = UserEditForm::from_resource(&stored);
        assert_eq!(form.email, "ada@example.com", "the work email");
        assert_eq!(form.phone, "", "no work phone yet");
        assert_eq!(form.manager_id, "m1");
        form.email = "ada.lovelace@example.com".into();
        form.phone = "+44 20 7946 0018".into();
        form.department = "".into();
        form.cost_center = "4130".into();
        form.timezone = "Europe/London".into();
        assert!(form.shared().field_errors().is_empty());
        assert!(form.extra_field_errors().is_empty());
        let mut r = stored.clone();
        form.shared().write_into(&mut r);
        form.write_extras(&mut r, false);
        assert_eq!(r["nickName"], "Countess");
        assert_eq!(r["urn:example:custom"], json!({"badge": 7}));
        assert_eq!(r["name"]["middleName"], "King");
        assert_eq!(
            r["emails"],
            json!([{"value": "ada@home.example", "type": "home", "primary": true},
                   {"value": "ada.lovelace@example.com", "type": "work"}])
        );
        assert_eq!(
            r["phoneNumbers"],
            json!([{"value": "+44 20 7946 0000", "type": "mobile"},
                   {"value": "+44 20 7946 0018", "type": "work", "primary": true}]),
            "a new work entry is primary when no other entry is"
        );
        assert_eq!(
            r[ENTERPRISE],
            json!({"costCenter": "4130", "manager": {"value": "m1", "displayName": "Boss"}}),
            "an unchanged manager is kept as stored"
        );
        assert_eq!(r["timezone"], "Europe/London");

        // A new manager replaces the reference; clearing every enterprise field removes
        // the extension and its schema.
        form.manager_id = "m2".into();
        form.write_extras(&mut r, true);
        assert_eq!(r[ENTERPRISE]["manager"], json!({"value": "m2"}));
        form.manager_id.clear();
        form.cost_center.clear();
        form.write_extras(&mut r, false);
        assert!(r.get(ENTERPRISE).is_none());
        assert_eq!(
            r["schemas"],
            json!([steward_store::USER_SCHEMA, "urn:example:custom"])
        );
        // Emptying the work email removes only that entry.
        form.email.clear();
        form.shared().write_into(&mut r);
        assert_eq!(
            r["emails"],
            json!([{"value": "ada@home.example", "type": "home", "primary": true}])
        );
    }

    #[test]
    fn checks_phone_language_locale_and_time_zone() {
        for ok in [
            "+1 425 555 0100",
            "(425) 555-0100 x12",
            "tel:+1-201-555-0123",
            "020 7946 0018 ext. 4",
        ] {
            assert!(valid_phone(ok), "{ok}");
        }
        for bad in ["call me", "12", "+1 425 CALL NOW"] {
            assert!(!valid_phone(bad), "{bad}");
        }
        for ok in [
            "en",
            "en-US",
            "da, en-GB;q=0.8, en;q=0.7",
            "*",
            "zh-Hant-TW",
        ] {
            assert!(valid_language(ok), "{ok}");
        }
        for bad in ["english please", "en-", "en;q=2", "e"] {
            assert!(!valid_language(bad), "{bad}");
        }
        for ok in [
            "Europe/Paris",
            "America/Argentina/Buenos_Aires",
            "UTC",
            "Etc/GMT+2",
        ] {
            assert!(valid_timezone(ok), "{ok}");
        }
        for bad in ["europe/paris", "Europe/", "GMT +2", "Paris time"] {
            assert!(!valid_timezone(bad), "{bad}");
        }
        let form = UserEditForm {
            user_name: "a".into(),
            phone: "call me".into(),
            locale: "en_US".into(),
            preferred_language: "klingon!".into(),
            timezone: "here".into(),
            ..Default::default()
        };
        let fields: Vec<_> = form
            .extra_field_errors()
            .into_iter()
            .map(|f| f.field)
            .collect();
        assert_eq!(fields, ["phone", "preferred_language", "timezone"]);
    }
}
