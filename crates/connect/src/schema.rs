//! A SCIM target's schema as the attributes an admin can map to: the documents of
//! `GET /Schemas` flattened into Entra-style target paths such as `name.givenName`,
//! `emails[type eq "work"].value` or
//! `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department`.
//!
//! ## Which object an extension belongs to
//! With the target's `GET /ResourceTypes` documents, an extension belongs to the resource types
//! that declare it in `schemaExtensions`: the one whose core schema is User ([`users`]) or Group
//! ([`groups`]); one declared only for other resource types is left out. An extension no
//! resource type declares, or every extension when there are no resource type documents,
//! belongs to groups when its URN ends in `:Group` and to users otherwise. Core schemas other
//! than User and Group (`ServiceProviderConfig`, `ResourceType`, `Schema`) are not mapped to.
//!
//! ## Flattening
//! Attributes whose `mutability` is `readOnly` are left out (the application sets them: `id`,
//! `meta`, a User's `groups`, …), as are `id`, `meta` and `schemas` whatever a document says.
//! Every other attribute gives paths by its shape:
//!
//! | attribute | paths | multi-valued |
//! |---|---|---|
//! | simple | `name` | as declared |
//! | complex with a `$ref` sub-attribute (a reference to other resources: `members`, `manager`) | `name`, of type `reference` | as declared |
//! | complex, single-valued | `name.sub` per writable sub-attribute | as the sub-attribute |
//! | complex, multi-valued, whose `type` sub-attribute has `canonicalValues` | `name[type eq "t"].sub` per canonical type `t` and writable sub-attribute other than `type`, `primary` and `display` | as the sub-attribute |
//! | complex, multi-valued, without canonical types but with a `value` sub-attribute (`roles`, `entitlements`) | `name.value`: the values of all elements | yes |
//! | complex, multi-valued, neither | none: no path addresses one element; listed in [`TargetSchema::skipped`] | |
//!
//! Paths of extension attributes start with the extension's URN and `:`. A typed path
//! (`emails[type eq "work"].value`) is never `required`: an application that requires e-mail
//! addresses requires one, not one of each type. A sub-attribute is required when both it and
//! its attribute are. `externalId` (RFC 7643 §3.1: every resource has it, schemas do not list
//! it) is added to users and groups when the core schema is there and does not list it.
//!
//! [`users`]: TargetObject::Users
//! [`groups`]: TargetObject::Groups

use serde::{Deserialize, Serialize};
use serde_json::Value;
use steward_scim::registry::{ResourceType, Schema, SchemaAttribute};
use steward_scim::schema::{default_is_extension_schema, AttributeType, Mutability};
use steward_scim::urn;

/// The object type a target attribute belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TargetObject {
    Users,
    Groups,
}

impl TargetObject {
    /// `users` or `groups`.
    pub fn as_str(self) -> &'static str {
        match self {
            TargetObject::Users => "users",
            TargetObject::Groups => "groups",
        }
    }

    fn core_schema(self) -> &'static str {
        match self {
            TargetObject::Users => urn::USER,
            TargetObject::Groups => urn::GROUP,
        }
    }
}

/// One attribute of a target that a mapping can write to.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TargetAttribute {
    /// The target path, e.g. `emails[type eq "work"].value`.
    pub path: String,
    pub object: TargetObject,
    /// The SCIM type of the value the path addresses: `string`, `boolean`, `dateTime`,
    /// `integer`, `decimal`, `reference`, `binary` or `complex`.
    pub attribute_type: String,
    /// Whether the application requires a value.
    pub required: bool,
    /// Whether the path takes a list of values.
    pub multi_valued: bool,
    /// The schema's description of the attribute (of the sub-attribute, for a path to one).
    pub description: String,
}

/// What a SCIM target's schema lets an admin map to, users first, each in the order of the
/// documents.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TargetSchema {
    pub attributes: Vec<TargetAttribute>,
    /// What was left out although it might have been meant for mapping, each in a sentence:
    /// schema documents that could not be read, attributes no path can address.
    pub skipped: Vec<String>,
}

/// The resources of a list response (`Resources`, or `resources`), or the elements of a bare
/// array.
fn documents(body: &Value) -> Option<&Vec<Value>> {
    match body {
        Value::Array(items) => Some(items),
        Value::Object(map) => match map.get("Resources").or_else(|| map.get("resources")) {
            Some(Value::Array(items)) => Some(items),
            _ => None,
        },
        _ => None,
    }
}

/// Spells the enumerated characteristics of every attribute as RFC 7643 does (`dateTime`,
/// `readWrite`), for servers that capitalise them differently.
fn normalize(attributes: &mut Value) {
    const SPELLINGS: &[&str] = &[
        "string",
        "boolean",
        "decimal",
        "integer",
        "dateTime",
        "binary",
        "reference",
        "complex",
        "readOnly",
        "readWrite",
        "immutable",
        "writeOnly",
        "always",
        "never",
        "default",
        "request",
        "none",
        "server",
        "global",
    ];
    let Value::Array(list) = attributes else {
        return;
    };
    for attribute in list {
        let Value::Object(map) = attribute else {
            continue;
        };
        for key in ["type", "mutability", "returned", "uniqueness"] {
            if let Some(Value::String(text)) = map.get_mut(key) {
                if let Some(canonical) = SPELLINGS.iter().find(|s| s.eq_ignore_ascii_case(text)) {
                    *text = (*canonical).to_owned();
                }
            }
        }
        if let Some(subs) = map.get_mut("subAttributes") {
            normalize(subs);
        }
    }
}

fn type_name(kind: AttributeType) -> &'static str {
    match kind {
        AttributeType::String => "string",
        AttributeType::Boolean => "boolean",
        AttributeType::Decimal => "decimal",
        AttributeType::Integer => "integer",
        AttributeType::DateTime => "dateTime",
        AttributeType::Binary => "binary",
        AttributeType::Reference => "reference",
        AttributeType::Complex => "complex",
    }
}

fn writable(a: &SchemaAttribute) -> bool {
    a.mutability != Mutability::ReadOnly
}

fn is(a: &SchemaAttribute, name: &str) -> bool {
    a.name.eq_ignore_ascii_case(name)
}

/// Where the extensions go, from the resource type documents.
struct Placement {
    /// `(extension URN, object)` for every extension a User or Group resource type declares.
    declared: Vec<(String, TargetObject)>,
    /// Every extension any resource type declares.
    any: Vec<String>,
}

impl Placement {
    fn new(resource_types: Option<&Value>) -> Self {
        let mut placement = Placement {
            declared: Vec::new(),
            any: Vec::new(),
        };
        let types = resource_types
            .and_then(documents)
            .into_iter()
            .flatten()
            .filter_map(|t| serde_json::from_value::<ResourceType>(t.clone()).ok());
        for t in types {
            let object = [TargetObject::Users, TargetObject::Groups]
                .into_iter()
                .find(|o| o.core_schema().eq_ignore_ascii_case(&t.schema));
            for extension in t.schema_extensions {
                if let Some(object) = object {
                    placement.declared.push((extension.schema.clone(), object));
                }
                placement.any.push(extension.schema);
            }
        }
        placement
    }

    /// The object an extension belongs to; `None` when it extends another resource type.
    fn object_of(&self, id: &str) -> Option<TargetObject> {
        if let Some((_, object)) = self
            .declared
            .iter()
            .find(|(urn, _)| urn.eq_ignore_ascii_case(id))
        {
            return Some(*object);
        }
        if self.any.iter().any(|urn| urn.eq_ignore_ascii_case(id)) {
            return None;
        }
        let last = id.rsplit(':').next().unwrap_or_default();
        Some(if last.eq_ignore_ascii_case("Group") {
            TargetObject::Groups
        } else {
            TargetObject::Users
        })
    }
}

impl TargetSchema {
    /// The attributes of the schema documents in `schemas` (the body of `GET /Schemas`: a list
    /// response or a bare array), placed with the documents of `GET /ResourceTypes` if there
    /// are any. `None` when `schemas` is neither a list response nor an array. Documents that
    /// cannot be read as schemas are left out and named in [`TargetSchema::skipped`].
    pub fn from_documents(schemas: &Value, resource_types: Option<&Value>) -> Option<Self> {
        let placement = Placement::new(resource_types);
        let mut result = TargetSchema::default();
        // (object, is an extension, schema), to be sorted users first, core schema first.
        let mut read: Vec<(TargetObject, bool, Schema)> = Vec::new();
        for (i, doc) in documents(schemas)?.iter().enumerate() {
            let mut doc = doc.clone();
            if let Some(attributes) = doc.get_mut("attributes") {
                normalize(attributes);
            }
            let name = match doc.get("id") {
                Some(Value::String(id)) => id.clone(),
                _ => format!("number {}", i + 1),
            };
            let schema = match serde_json::from_value::<Schema>(doc) {
                Ok(schema) => schema,
                Err(e) => {
                    result
                        .skipped
                        .push(format!("Schema document {name} cannot be read: {e}."));
                    continue;
                }
            };
            if read
                .iter()
                .any(|(_, _, s)| s.id.eq_ignore_ascii_case(&schema.id))
            {
                result
                    .skipped
                    .push(format!("{} is listed twice; the first is used.", schema.id));
                continue;
            }
            let place = if schema.id.eq_ignore_ascii_case(urn::USER) {
                Some((TargetObject::Users, false))
            } else if schema.id.eq_ignore_ascii_case(urn::GROUP) {
                Some((TargetObject::Groups, false))
            } else if default_is_extension_schema(&schema.id) {
                match placement.object_of(&schema.id) {
                    Some(object) => Some((object, true)),
                    None => {
                        result
                            .skipped
                            .push(format!("{} extends neither users nor groups.", schema.id));
                        None
                    }
                }
            } else {
                if !schema.id.to_ascii_lowercase().starts_with("urn:") {
                    result.skipped.push(format!(
                        "{:?} is not a URN, so its attributes have no path.",
                        schema.id
                    ));
                }
                None
            };
            if let Some((object, extension)) = place {
                read.push((object, extension, schema));
            }
        }
        read.sort_by_key(|(object, extension, _)| (*object, *extension));
        for (object, extension, schema) in &read {
            let prefix = if *extension {
                format!("{}:", schema.id)
            } else {
                String::new()
            };
            for a in &schema.attributes {
                result.flatten(*object, &prefix, a);
            }
            if !extension && schema.attribute("externalId").is_none() {
                result.attributes.push(TargetAttribute {
                    path: "externalId".into(),
                    object: *object,
                    attribute_type: "string".into(),
                    required: false,
                    multi_valued: false,
                    description: "An identifier of the resource set by the provisioning client (RFC 7643 §3.1).".into(),
                });
            }
        }
        Some(result)
    }

    /// The paths of one attribute; see the module documentation.
    fn flatten(&mut self, object: TargetObject, prefix: &str, a: &SchemaAttribute) {
        if !writable(a) || ["id", "meta", "schemas"].iter().any(|n| is(a, n)) {
            return;
        }
        let path = format!("{prefix}{}", a.name);
        let mut push = |path: String, kind: AttributeType, required, multi_valued, description| {
            self.attributes.push(TargetAttribute {
                path,
                object,
                attribute_type: type_name(kind).into(),
                required,
                multi_valued,
                description,
            })
        };
        let described = |sub: &SchemaAttribute| {
            if sub.description.is_empty() {
                a.description.clone()
            } else {
                sub.description.clone()
            }
        };
        if a.kind != AttributeType::Complex {
            push(
                path,
                a.kind,
                a.required,
                a.multi_valued,
                a.description.clone(),
            );
        } else if a.sub_attribute("$ref").is_some() {
            push(
                path,
                AttributeType::Reference,
                a.required,
                a.multi_valued,
                a.description.clone(),
            );
        } else if !a.multi_valued {
            for sub in a.sub_attributes.iter().filter(|s| writable(s)) {
                push(
                    format!("{path}.{}", sub.name),
                    sub.kind,
                    a.required && sub.required,
                    sub.multi_valued,
                    described(sub),
                );
            }
        } else if let Some(types) = a
            .sub_attribute("type")
            .map(|t| &t.canonical_values)
            .filter(|values| !values.is_empty())
        {
            for t in types {
                let quoted = serde_json::to_string(t).unwrap_or_default();
                let subs = a.sub_attributes.iter().filter(|s| {
                    writable(s) && !["type", "primary", "display"].iter().any(|n| is(s, n))
                });
                for sub in subs {
                    push(
                        format!("{path}[type eq {quoted}].{}", sub.name),
                        sub.kind,
                        false,
                        sub.multi_valued,
                        described(sub),
                    );
                }
            }
        } else if let Some(value) = a.sub_attribute("value").filter(|v| writable(v)) {
            push(
                format!("{path}.{}", value.name),
                value.kind,
                a.required && value.required,
                true,
                described(value),
            );
        } else {
            self.skipped.push(format!(
                "{path} is multi-valued and complex, without canonical types or a value sub-attribute: no path addresses one of its values."
            ));
        }
    }

    /// The attributes of `object`, in order.
    pub fn of(&self, object: TargetObject) -> impl Iterator<Item = &TargetAttribute> {
        self.attributes.iter().filter(move |a| a.object == object)
    }

    /// The attribute of `object` at `path`, compared ignoring ASCII case (as SCIM compares
    /// attribute names).
    pub fn attribute(&self, object: TargetObject, path: &str) -> Option<&TargetAttribute> {
        self.of(object).find(|a| a.path.eq_ignore_ascii_case(path))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const FIXTURE: &str = include_str!("../tests/fixtures/schemas.json");

    fn fixture() -> Value {
        serde_json::from_str(FIXTURE).unwrap()
    }

    fn paths(schema: &TargetSchema, object: TargetObject) -> Vec<&str> {
        schema.of(object).map(|a| a.path.as_str()).collect()
    }

    const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
    const TEAM: &str = "urn:example:params:scim:schemas:extension:acme:2.0:Team";
    const ACME_GROUP: &str = "urn:ietf:params:scim:schemas:extension:acme:2.0:Group";

    #[test]
    fn flattens_into_entra_style_paths() {
        let schema = TargetSchema::from_documents(&fixture(), None).unwrap();
        assert_eq!(
            paths(&schema, TargetObject::Users),
            [
                "userName",
                "name.givenName",
                "name.familyName",
                "active",
                "password",
                "hireDate",
                "tags",
                "emails[type eq \"work\"].value",
                "emails[type eq \"home\"].value",
                "addresses[type eq \"work\"].streetAddress",
                "addresses[type eq \"work\"].locality",
                "roles.value",
                "externalId",
                &format!("{ENTERPRISE}:department"),
                &format!("{ENTERPRISE}:manager"),
                &format!("{TEAM}:license"),
            ]
        );
        assert_eq!(
            paths(&schema, TargetObject::Groups),
            [
                "displayName",
                "members",
                "externalId",
                &format!("{ACME_GROUP}:costCode")
            ]
        );
        assert_eq!(
            schema.skipped.len(),
            2,
            "accounts and the broken document: {:?}",
            schema.skipped
        );
        assert!(
            schema.skipped[0].starts_with("Schema document urn:example:broken cannot be read"),
            "{}",
            schema.skipped[0]
        );
        assert!(schema
            .skipped
            .iter()
            .any(|s| s.starts_with("accounts is multi-valued")));
    }

    #[test]
    fn keeps_type_required_multi_valued_and_description() {
        let schema = TargetSchema::from_documents(&fixture(), None).unwrap();
        let get = |object, path: &str| schema.attribute(object, path).unwrap().clone();
        let user_name = get(TargetObject::Users, "USERNAME");
        assert_eq!(
            user_name,
            TargetAttribute {
                path: "userName".into(),
                object: TargetObject::Users,
                attribute_type: "string".into(),
                required: true,
                multi_valued: false,
                description: "Unique login name.".into(),
            }
        );
        // The name is optional, so its given name is too; an empty description is the parent's.
        let given = get(TargetObject::Users, "name.givenName");
        assert!(!given.required);
        assert_eq!(
            get(TargetObject::Users, "name.familyName").description,
            "The person's name."
        );
        // Spellings are normalised.
        assert_eq!(get(TargetObject::Users, "active").attribute_type, "boolean");
        assert_eq!(
            get(TargetObject::Users, "hireDate").attribute_type,
            "dateTime"
        );
        assert!(get(TargetObject::Users, "tags").multi_valued);
        // A typed value is single and never required on its own.
        let work = get(TargetObject::Users, "emails[type eq \"work\"].value");
        assert_eq!((work.required, work.multi_valued), (false, false));
        assert_eq!(work.description, "The address.");
        let roles = get(TargetObject::Users, "roles.value");
        assert_eq!(
            (roles.multi_valued, roles.description.as_str()),
            (true, "Roles.")
        );
        let manager = get(TargetObject::Users, &format!("{ENTERPRISE}:manager"));
        assert_eq!(
            (manager.attribute_type.as_str(), manager.multi_valued),
            ("reference", false)
        );
        let members = get(TargetObject::Groups, "members");
        assert_eq!(
            (members.attribute_type.as_str(), members.multi_valued),
            ("reference", true)
        );
        assert_eq!(
            get(TargetObject::Groups, &format!("{ACME_GROUP}:costCode")).attribute_type,
            "integer"
        );
        for left_out in [
            "id",
            "meta.created",
            "groups",
            "name.formatted",
            "emails[type eq \"work\"].display",
            "emails[type eq \"work\"].primary",
            "documentationUri",
        ] {
            assert!(
                schema.attribute(TargetObject::Users, left_out).is_none(),
                "{left_out}"
            );
        }
    }

    #[test]
    fn resource_types_place_the_extensions() {
        let types = json!({"Resources": [
            {"id": "User", "name": "User", "endpoint": "/Users",
             "schema": "urn:ietf:params:scim:schemas:core:2.0:User",
             "schemaExtensions": [{"schema": ENTERPRISE, "required": false}]},
            {"id": "Group", "name": "Group", "endpoint": "/Groups",
             "schema": "urn:ietf:params:scim:schemas:core:2.0:Group",
             "schemaExtensions": [{"schema": TEAM, "required": false}]},
            {"id": "Device", "name": "Device", "endpoint": "/Devices",
             "schema": "urn:example:Device",
             "schemaExtensions": [{"schema": ACME_GROUP, "required": false}]}
        ]});
        let schema = TargetSchema::from_documents(&fixture(), Some(&types)).unwrap();
        let team = format!("{TEAM}:license");
        assert!(schema.attribute(TargetObject::Groups, &team).is_some());
        assert!(schema.attribute(TargetObject::Users, &team).is_none());
        assert!(schema
            .of(TargetObject::Groups)
            .chain(schema.of(TargetObject::Users))
            .all(|a| !a.path.starts_with(ACME_GROUP)));
        assert!(schema.skipped.iter().any(|s| s.contains("extends neither")));
    }

    #[test]
    fn reads_a_bare_array_and_refuses_anything_else() {
        let list = TargetSchema::from_documents(&fixture(), None).unwrap();
        let bare = TargetSchema::from_documents(&fixture()["Resources"], None).unwrap();
        assert_eq!(list, bare);
        assert!(TargetSchema::from_documents(&json!({"detail": "hello"}), None).is_none());
        assert!(TargetSchema::from_documents(&json!("<html>"), None).is_none());
        let empty = TargetSchema::from_documents(&json!([]), None).unwrap();
        assert!(empty.attributes.is_empty());
    }
}
