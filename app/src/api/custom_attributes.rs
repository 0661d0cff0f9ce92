//! Server functions of the custom attributes page: define, list (with how many objects hold
//! a value) and remove admin-defined attributes of users and groups.

use crate::error::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
use super::audit;
#[cfg(feature = "ssr")]
use crate::server as srv;
#[cfg(feature = "ssr")]
use steward_store::{ObjectType, Role};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CustomAttributeView {
    /// "user" or "group".
    pub object_type: String,
    pub name: String,
    /// The SCIM type: string, boolean, integer, dateTime, reference.
    pub kind: String,
    pub kind_label: String,
    pub multi_valued: bool,
    pub description: String,
    /// How many users or groups hold a value.
    pub usage: i64,
    /// Where SCIM clients find it.
    pub scim_path: String,
}

/// The types an attribute may have: (value, label).
pub fn custom_kinds() -> Vec<(&'static str, &'static str)> {
    vec![
        ("string", "Text"),
        ("boolean", "True/false"),
        ("integer", "Whole number"),
        ("dateTime", "Date and time"),
        ("reference", "Reference to a user or group"),
    ]
}

#[cfg(feature = "ssr")]
fn object_type(s: &str) -> ObjectType {
    if s == "group" {
        ObjectType::Group
    } else {
        ObjectType::User
    }
}

#[server(endpoint = "custom_attributes")]
pub async fn list_custom_attributes() -> Result<Vec<CustomAttributeView>, AppError> {
    srv::require_role(Role::GlobalAdministrator)?;
    let state = srv::portal_state()?;
    let defined = state
        .store
        .custom_attributes()
        .await
        .map_err(srv::internal)?;
    let mut out = Vec::with_capacity(defined.len());
    for a in defined {
        let usage = state
            .store
            .custom_attribute_usage(a.object_type, &a.name)
            .await
            .map_err(srv::internal)?;
        out.push(CustomAttributeView {
            object_type: match a.object_type {
                ObjectType::User => "user".into(),
                ObjectType::Group => "group".into(),
            },
            scim_path: format!("{}:{}", a.extension(), a.name),
            name: a.name,
            kind: a.kind.as_str().into(),
            kind_label: a.kind.label().into(),
            multi_valued: a.multi_valued,
            description: a.description,
            usage,
        });
    }
    Ok(out)
}

/// The form that defines an attribute (inputs named `form[name]` and so on).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CustomAttributeForm {
    pub object_type: String,
    pub name: String,
    pub kind: String,
    /// A checkbox: present ("on") when ticked.
    #[serde(default)]
    pub multi_valued: Option<String>,
    #[serde(default)]
    pub description: String,
}

#[server(endpoint = "custom_attribute_create")]
pub async fn create_custom_attribute(form: CustomAttributeForm) -> Result<(), AppError> {
    use crate::error::{field_errors, ErrorCode};
    use steward_store::{CustomAttribute, CustomKind};
    let session = srv::require_role(Role::GlobalAdministrator)?;
    let state = srv::portal_state()?;
    let name = form.name.trim().to_string();
    let object_type = object_type(&form.object_type);
    let registry = state.schemas.registry();
    let core = match object_type {
        ObjectType::User => steward_store::USER_SCHEMA,
        ObjectType::Group => steward_store::GROUP_SCHEMA,
    };
    const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
    let built_in = registry
        .schema(core)
        .and_then(|s| s.attribute(&name))
        .or_else(|| {
            (object_type == ObjectType::User)
                .then(|| registry.schema(ENTERPRISE).and_then(|s| s.attribute(&name)))
                .flatten()
        })
        .is_some()
        || ["id", "externalid", "meta", "schemas"].contains(&name.to_lowercase().as_str());
    let kind = CustomKind::parse(&form.kind);
    let fields = field_errors([
        (
            "name",
            if name.is_empty() {
                Some("Enter a name, e.g. badgeColour.".to_string())
            } else if !steward_store::custom::valid_attribute_name(&name) {
                Some("Start with a letter; then letters, digits, - or _ only (no spaces), at most 64.".to_string())
            } else if built_in {
                Some(format!(
                    "{name} is a built-in attribute; choose another name."
                ))
            } else {
                None
            },
        ),
        ("kind", kind.is_none().then(|| "Choose a type.".to_string())),
    ]);
    let Some(kind) = kind.filter(|_| fields.is_empty()) else {
        srv::set_status(422);
        return Err(AppError::invalid(fields));
    };
    let attribute = CustomAttribute {
        object_type,
        name: name.clone(),
        kind,
        multi_valued: form.multi_valued.is_some(),
        description: form.description.trim().to_string(),
        created_at: chrono::Utc::now(),
    };
    match state.store.create_custom_attribute(attribute).await {
        Ok(()) => {}
        Err(steward_store::StoreError::Conflict { .. }) => {
            srv::set_status(409);
            let mut err = AppError::invalid(field_errors([(
                "name",
                Some(format!(
                    "An attribute named {name} already exists (names ignore case)."
                )),
            )]));
            err.code = ErrorCode::Conflict;
            return Err(err);
        }
        Err(e) => return Err(srv::internal(e)),
    }
    state
        .schemas
        .reload(state.store.as_ref())
        .await
        .map_err(srv::internal)?;
    audit(
        &state,
        &session.admin.email,
        "custom_attribute.create",
        Some(&format!("{}.{name}", form.object_type)),
        steward_store::Outcome::Success,
        Some(format!(
            "{}{}",
            kind.as_str(),
            if form.multi_valued.is_some() {
                ", multi-valued"
            } else {
                ""
            }
        )),
    )
    .await;
    Ok(())
}

/// Removes an attribute and every value of it.
#[server(endpoint = "custom_attribute_delete")]
pub async fn delete_custom_attribute(object_type: String, name: String) -> Result<u64, AppError> {
    let session = srv::require_role(Role::GlobalAdministrator)?;
    let state = srv::portal_state()?;
    let changed = match state
        .store
        .delete_custom_attribute(self::object_type(&object_type), &name)
        .await
    {
        Ok(n) => n,
        Err(steward_store::StoreError::NotFound { .. }) => {
            srv::set_status(404);
            return Err(AppError::new(
                crate::error::ErrorCode::NotFound,
                format!(
                    "There is no attribute {name}; someone may have removed it. Reload the page."
                ),
            ));
        }
        Err(e) => return Err(srv::internal(e)),
    };
    state
        .schemas
        .reload(state.store.as_ref())
        .await
        .map_err(srv::internal)?;
    audit(
        &state,
        &session.admin.email,
        "custom_attribute.delete",
        Some(&format!("{object_type}.{name}")),
        steward_store::Outcome::Success,
        Some(format!("values removed from {changed} objects")),
    )
    .await;
    Ok(changed)
}

/// A custom attribute as a form field: its definition and the object's current value (as
/// text; several values joined by `;`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CustomFieldView {
    pub name: String,
    /// string, boolean, integer, dateTime or reference.
    pub kind: String,
    pub multi_valued: bool,
    pub description: String,
    pub value: String,
}

/// The custom attributes of users (`object_type` "user") or groups ("group"), with the
/// values of the object `id` when one is given.
#[server(endpoint = "custom_fields")]
pub async fn custom_fields(
    object_type: String,
    id: Option<String>,
) -> Result<Vec<CustomFieldView>, AppError> {
    srv::require_role(Role::GlobalAdministrator)?;
    let state = srv::portal_state()?;
    let t = self::object_type(&object_type);
    let resource = match (t, id.as_deref()) {
        (_, None) => serde_json::Value::Null,
        (ObjectType::User, Some(id)) => match steward_store::UserId::parse(id) {
            Some(uid) => state
                .store
                .user(uid)
                .await
                .map_err(srv::internal)?
                .map(|u| u.resource)
                .unwrap_or_default(),
            None => serde_json::Value::Null,
        },
        (ObjectType::Group, Some(id)) => match steward_store::GroupId::parse(id) {
            Some(gid) => state
                .store
                .group(gid)
                .await
                .map_err(srv::internal)?
                .map(|g| g.resource)
                .unwrap_or_default(),
            None => serde_json::Value::Null,
        },
    };
    Ok(state
        .schemas
        .custom()
        .iter()
        .filter(|a| a.object_type == t)
        .map(|a| CustomFieldView {
            name: a.name.clone(),
            kind: a.kind.as_str().into(),
            multi_valued: a.multi_valued,
            description: a.description.clone(),
            value: srv::import::custom_value(&resource, a),
        })
        .collect())
}

/// Writes the custom attributes a form posted (`form[custom][NAME]`) into a resource; an
/// empty field removes the value, an attribute the form did not post is left alone. Returns
/// the fields that could not be read, keyed `custom.NAME`.
#[cfg(feature = "ssr")]
pub(crate) fn apply_custom_fields(
    state: &srv::PortalState,
    object_type: ObjectType,
    posted: &std::collections::BTreeMap<String, String>,
    resource: &mut serde_json::Value,
) -> Vec<crate::error::FieldError> {
    let mut errors = Vec::new();
    let custom = state.schemas.custom();
    if !resource.is_object() {
        *resource = serde_json::json!({});
    }
    let Some(map) = resource.as_object_mut() else {
        return errors;
    };
    for attribute in custom.iter().filter(|a| a.object_type == object_type) {
        let Some(text) = posted.get(&attribute.name) else {
            continue;
        };
        if let Err(message) = srv::import::set_custom(map, attribute, text) {
            errors.push(crate::error::FieldError {
                field: format!("custom.{}", attribute.name),
                message: super::users_edit::capitalised(&message),
            });
        }
    }
    errors
}
