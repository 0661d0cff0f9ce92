//! Admin-defined ("custom") attributes of users and groups: their definitions. Values live
//! in each resource under Steward's SCIM extension, so they travel with the resource through
//! SCIM, CSV, forms and mappings like any built-in attribute.

use crate::{ObjectType, StoreResult};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Where custom attributes of users live in a user resource.
pub const STEWARD_USER_EXTENSION: &str = "urn:ietf:params:scim:schemas:extension:steward:2.0:User";
/// Where custom attributes of groups live in a group resource.
pub const STEWARD_GROUP_EXTENSION: &str =
    "urn:ietf:params:scim:schemas:extension:steward:2.0:Group";

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum CustomKind {
    String,
    Boolean,
    Integer,
    DateTime,
    /// A reference to another user or group by id.
    Reference,
}

impl CustomKind {
    pub const ALL: [CustomKind; 5] = [
        CustomKind::String,
        CustomKind::Boolean,
        CustomKind::Integer,
        CustomKind::DateTime,
        CustomKind::Reference,
    ];

    /// The SCIM type name, also the stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            CustomKind::String => "string",
            CustomKind::Boolean => "boolean",
            CustomKind::Integer => "integer",
            CustomKind::DateTime => "dateTime",
            CustomKind::Reference => "reference",
        }
    }

    pub fn parse(s: &str) -> Option<CustomKind> {
        CustomKind::ALL
            .into_iter()
            .find(|k| k.as_str().eq_ignore_ascii_case(s))
    }

    pub fn label(self) -> &'static str {
        match self {
            CustomKind::String => "Text",
            CustomKind::Boolean => "True/false",
            CustomKind::Integer => "Whole number",
            CustomKind::DateTime => "Date and time",
            CustomKind::Reference => "Reference to a user or group",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CustomAttribute {
    pub object_type: ObjectType,
    pub name: String,
    pub kind: CustomKind,
    pub multi_valued: bool,
    pub description: String,
    pub created_at: DateTime<Utc>,
}

impl CustomAttribute {
    /// The SCIM extension that holds this attribute's values.
    pub fn extension(&self) -> &'static str {
        extension_of(self.object_type)
    }
}

pub fn extension_of(object_type: ObjectType) -> &'static str {
    match object_type {
        ObjectType::User => STEWARD_USER_EXTENSION,
        ObjectType::Group => STEWARD_GROUP_EXTENSION,
    }
}

/// The names SCIM allows (RFC 7643 §2.1: a letter, then letters, digits, `-` or `_`), at
/// most 64 characters.
pub fn valid_attribute_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        && name.len() <= 64
}

#[async_trait]
pub trait CustomAttributeStore: Send + Sync {
    async fn custom_attributes(&self) -> StoreResult<Vec<CustomAttribute>>;
    /// [`crate::StoreError::Conflict`] when the object type has an attribute of that name
    /// (ignoring case); [`crate::StoreError::Invalid`] for a name SCIM does not allow.
    async fn create_custom_attribute(&self, attribute: CustomAttribute) -> StoreResult<()>;
    /// How many users or groups hold a value of the attribute.
    async fn custom_attribute_usage(&self, object_type: ObjectType, name: &str)
        -> StoreResult<i64>;
    /// Removes the attribute's values from every object (each an `updated` change) and then
    /// the definition, in one transaction. Returns how many objects changed; `NotFound` when
    /// there is no such attribute.
    async fn delete_custom_attribute(
        &self,
        object_type: ObjectType,
        name: &str,
    ) -> StoreResult<u64>;
}
