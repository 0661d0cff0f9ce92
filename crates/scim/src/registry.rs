//! Schema documents (RFC 7643 §7) and the [`SchemaRegistry`] built from them: what
//! `GET /Schemas` and `GET /ResourceTypes` answer, what filters, PATCH and projection ask
//! (through [`AttributeCharacteristics`]), and what [`SchemaRegistry::validate`] checks
//! incoming resources against.
//!
//! The core User and Group schemas and the enterprise User extension are data, in
//! `crates/scim/schemas/*.json`, written after RFC 7643 §8.7.1 and §4.3 with every
//! characteristic spelled out. Common attributes (`id`, `externalId`, `meta`, RFC 7643 §3.1)
//! are not listed in the documents, as in the RFC; the registry knows them anyway.
//!
//! ## Where the documents differ from the text of RFC 7643 §8.7.1
//! - Group `displayName` is `required: true`, as §4.2 says ("REQUIRED"); the JSON of §8.7.1
//!   says `false`, and a Group without a name is useless to every client Steward serves.
//! - Group `members` has a `display` sub-attribute (`readOnly`): the RFC's own examples (§8.4)
//!   and clients such as Okta send it, and without it in the schema such a member would be
//!   refused as an unknown attribute.
//! - User `addresses` has a `primary` sub-attribute, used by the full User example of §8.2 and
//!   described in §4.1.2 for every multi-valued attribute.
//!
//! Otherwise the characteristics are the RFC's, including `caseExact: false` on ids such as
//! `members.value` and `manager.value` (the hand-written [`CoreSchema`](crate::CoreSchema)
//! treats those as case-exact).

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::error::SchemaError;
use crate::path::AttrPath;
use crate::schema::{
    core_characteristics, default_is_extension_schema, AttributeCharacteristics, AttributeType,
    Characteristics, Mutability, Returned, Uniqueness,
};
use crate::types::urn;

const USER_JSON: &str = include_str!("../schemas/user.json");
const GROUP_JSON: &str = include_str!("../schemas/group.json");
const ENTERPRISE_USER_JSON: &str = include_str!("../schemas/enterprise_user.json");

/// A schema (RFC 7643 §7): its URN `id`, and its attributes. Reads documents from other
/// servers too (`schemas` and `meta` are ignored; missing characteristics get the RFC
/// defaults).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Schema {
    pub id: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub attributes: Vec<SchemaAttribute>,
}

impl Schema {
    /// A schema with the given attributes, e.g. Steward's extension for admin-defined
    /// attributes ([`urn::STEWARD_USER`]).
    pub fn new(
        id: impl Into<String>,
        name: impl Into<String>,
        description: impl Into<String>,
        attributes: Vec<SchemaAttribute>,
    ) -> Self {
        Schema {
            id: id.into(),
            name: name.into(),
            description: description.into(),
            attributes,
        }
    }

    /// The attribute called `name`, ignoring case.
    pub fn attribute(&self, name: &str) -> Option<&SchemaAttribute> {
        find_ci(&self.attributes, name)
    }

    /// The document served at `GET /Schemas/{id}`: the schema with `schemas` and
    /// `meta: {resourceType: "Schema", location: "{base_url}/Schemas/{id}"}`. `base_url` is the
    /// SCIM base such as `https://steward.example.com/scim/v2` (a trailing `/` is ignored).
    pub fn to_json(&self, base_url: &str) -> Value {
        let mut doc = serde_json::to_value(self).unwrap_or_default();
        if let Value::Object(map) = &mut doc {
            map.insert("schemas".into(), json!([urn::SCHEMA]));
            map.insert(
                "meta".into(),
                json!({"resourceType": "Schema", "location": location(base_url, "Schemas", &self.id)}),
            );
        }
        doc
    }

    /// One of the bundled documents. They are checked by the tests; should one ever fail to
    /// parse, the schema is empty (and validation refuses every attribute) rather than the
    /// process aborting.
    fn bundled(text: &str, id: &str) -> Schema {
        serde_json::from_str(text).unwrap_or_else(|_| Schema::new(id, "", "", Vec::new()))
    }
}

/// An attribute or sub-attribute of a [`Schema`] (RFC 7643 §7). Serialised with every
/// characteristic; `subAttributes`, `canonicalValues` and `referenceTypes` only when not
/// empty.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SchemaAttribute {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: AttributeType,
    #[serde(default)]
    pub multi_valued: bool,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub required: bool,
    #[serde(default)]
    pub case_exact: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub canonical_values: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reference_types: Vec<String>,
    #[serde(default)]
    pub mutability: Mutability,
    #[serde(default)]
    pub returned: Returned,
    #[serde(default)]
    pub uniqueness: Uniqueness,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sub_attributes: Vec<SchemaAttribute>,
}

impl SchemaAttribute {
    /// An attribute of a simple type (string, boolean, integer, decimal, dateTime, binary,
    /// reference) with the RFC 7643 §2.2 defaults: optional, not case-exact, `readWrite`,
    /// returned by default, no uniqueness; a reference refers to `external` resources. Change
    /// the public fields for anything else (a `description` from the admin's label, say).
    ///
    /// ```
    /// use steward_scim::{AttributeType, Schema, SchemaAttribute, urn};
    ///
    /// let mut cost_code = SchemaAttribute::simple("costCode", AttributeType::String, false);
    /// cost_code.description = "Cost code for billing".into();
    /// let tags = SchemaAttribute::simple("tags", AttributeType::String, true);
    /// let custom = Schema::new(urn::STEWARD_USER, "StewardUser", "Custom attributes", vec![cost_code, tags]);
    /// assert!(custom.attribute("COSTCODE").is_some());
    /// ```
    pub fn simple(name: impl Into<String>, kind: AttributeType, multi_valued: bool) -> Self {
        SchemaAttribute {
            name: name.into(),
            kind,
            multi_valued,
            description: String::new(),
            required: false,
            case_exact: false,
            canonical_values: Vec::new(),
            reference_types: if kind == AttributeType::Reference {
                vec!["external".to_owned()]
            } else {
                Vec::new()
            },
            mutability: Mutability::ReadWrite,
            returned: Returned::Default,
            uniqueness: Uniqueness::None,
            sub_attributes: Vec::new(),
        }
    }

    /// The sub-attribute called `name`, ignoring case.
    pub fn sub_attribute(&self, name: &str) -> Option<&SchemaAttribute> {
        find_ci(&self.sub_attributes, name)
    }

    /// What filters, PATCH and projection need to know about this attribute.
    pub fn characteristics(&self) -> Characteristics {
        Characteristics {
            kind: self.kind,
            multi_valued: self.multi_valued,
            case_exact: self.case_exact,
            mutability: self.mutability,
            returned: self.returned,
        }
    }
}

fn find_ci<'a>(attributes: &'a [SchemaAttribute], name: &str) -> Option<&'a SchemaAttribute> {
    attributes
        .iter()
        .find(|a| a.name.eq_ignore_ascii_case(name))
}

fn location(base_url: &str, collection: &str, id: &str) -> String {
    format!("{}/{collection}/{id}", base_url.trim_end_matches('/'))
}

/// The resource types Steward serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ResourceKind {
    User,
    Group,
}

impl ResourceKind {
    pub const ALL: [ResourceKind; 2] = [ResourceKind::User, ResourceKind::Group];

    /// `User` or `Group`: the ResourceType's `id` and `name`, and `meta.resourceType`.
    pub fn name(self) -> &'static str {
        match self {
            ResourceKind::User => "User",
            ResourceKind::Group => "Group",
        }
    }

    /// `/Users` or `/Groups`, relative to the SCIM base.
    pub fn endpoint(self) -> &'static str {
        match self {
            ResourceKind::User => "/Users",
            ResourceKind::Group => "/Groups",
        }
    }

    /// The URN of the core schema.
    pub fn schema_urn(self) -> &'static str {
        match self {
            ResourceKind::User => urn::USER,
            ResourceKind::Group => urn::GROUP,
        }
    }

    /// `User` or `Group`, ignoring case.
    pub fn from_name(name: &str) -> Option<Self> {
        ResourceKind::ALL
            .into_iter()
            .find(|k| k.name().eq_ignore_ascii_case(name))
    }
}

/// A resource type document (RFC 7643 §6), served at `GET /ResourceTypes`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourceType {
    pub id: String,
    pub name: String,
    pub endpoint: String,
    #[serde(default)]
    pub description: String,
    pub schema: String,
    #[serde(default)]
    pub schema_extensions: Vec<SchemaExtension>,
}

/// One entry of `schemaExtensions`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SchemaExtension {
    pub schema: String,
    pub required: bool,
}

impl ResourceType {
    /// The document with `schemas` and
    /// `meta: {resourceType: "ResourceType", location: "{base_url}/ResourceTypes/{id}"}`.
    pub fn to_json(&self, base_url: &str) -> Value {
        let mut doc = serde_json::to_value(self).unwrap_or_default();
        if let Value::Object(map) = &mut doc {
            map.insert("schemas".into(), json!([urn::RESOURCE_TYPE]));
            map.insert(
                "meta".into(),
                json!({"resourceType": "ResourceType",
                       "location": location(base_url, "ResourceTypes", &self.id)}),
            );
        }
        doc
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Extension {
    of: ResourceKind,
    required: bool,
    schema: Schema,
}

/// The schemas a server knows: the core User and Group schemas, the enterprise User extension
/// and any extensions added with [`SchemaRegistry::add_extension`].
///
/// As an [`AttributeCharacteristics`] it answers from the documents: names compare ignoring
/// case; a URN-qualified path is looked up in that schema; a path without URN in the common
/// attributes, then User, Group and the extensions in that order; anything unknown gets the
/// RFC 7643 §2.2 defaults.
///
/// ```
/// use steward_scim::{AttrPath, AttributeCharacteristics, AttributeType, ResourceKind, Schema,
///                    SchemaAttribute, SchemaRegistry, urn};
///
/// let mut registry = SchemaRegistry::standard();
/// let custom = Schema::new(urn::STEWARD_USER, "StewardUser", "Custom attributes",
///                          vec![SchemaAttribute::simple("badge", AttributeType::Integer, false)]);
/// registry.add_extension(ResourceKind::User, custom, false)?;
/// let path = AttrPath::parse("urn:ietf:params:scim:schemas:extension:steward:2.0:User:badge")?;
/// assert_eq!(registry.characteristics(&path).kind, AttributeType::Integer);
/// let user_type = registry.resource_type(ResourceKind::User);
/// assert_eq!(user_type.schema_extensions.len(), 2);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaRegistry {
    user: Schema,
    group: Schema,
    extensions: Vec<Extension>,
}

impl Default for SchemaRegistry {
    fn default() -> Self {
        SchemaRegistry::standard()
    }
}

impl SchemaRegistry {
    /// The core User and Group schemas and the enterprise User extension (optional for
    /// Users). Parses the bundled documents: build it once and share it.
    pub fn standard() -> Self {
        SchemaRegistry {
            user: Schema::bundled(USER_JSON, urn::USER),
            group: Schema::bundled(GROUP_JSON, urn::GROUP),
            extensions: vec![Extension {
                of: ResourceKind::User,
                required: false,
                schema: Schema::bundled(ENTERPRISE_USER_JSON, urn::ENTERPRISE_USER),
            }],
        }
    }

    /// Adds an extension schema of `of` resources, `required` saying whether every such
    /// resource must carry it (`schemaExtensions[].required`). An extension with the same id
    /// (ignoring case) is replaced, so the server can rebuild its custom-attribute extension
    /// when an admin changes the attributes.
    ///
    /// Refused: an id that is not an extension URN (the core schemas cannot be replaced), and
    /// attributes the rest of the crate could not handle: names outside RFC 7643 §2.1
    /// (`ALPHA *("-" / "_" / DIGIT / ALPHA)`, or `$ref` for a sub-attribute), names given twice
    /// (ignoring case), complex attributes without sub-attributes or inside another complex
    /// attribute, sub-attributes of a simple attribute.
    pub fn add_extension(
        &mut self,
        of: ResourceKind,
        schema: Schema,
        required: bool,
    ) -> Result<(), SchemaError> {
        if !default_is_extension_schema(&schema.id) {
            return Err(SchemaError::NotAnExtension { id: schema.id });
        }
        check_attributes(&schema.id, &schema.attributes, None)?;
        let extension = Extension {
            of,
            required,
            schema,
        };
        match self
            .extensions
            .iter_mut()
            .find(|e| e.schema.id.eq_ignore_ascii_case(&extension.schema.id))
        {
            Some(existing) => *existing = extension,
            None => self.extensions.push(extension),
        }
        Ok(())
    }

    /// Every schema: User, Group, then the extensions in the order they were added (for
    /// `GET /Schemas`).
    pub fn schemas(&self) -> impl Iterator<Item = &Schema> {
        [&self.user, &self.group]
            .into_iter()
            .chain(self.extensions.iter().map(|e| &e.schema))
    }

    /// The schema with the URN `id`, ignoring case (for `GET /Schemas/{id}`).
    pub fn schema(&self, id: &str) -> Option<&Schema> {
        self.schemas().find(|s| s.id.eq_ignore_ascii_case(id))
    }

    /// The ResourceType document of `kind`, listing its extensions.
    pub fn resource_type(&self, kind: ResourceKind) -> ResourceType {
        ResourceType {
            id: kind.name().to_owned(),
            name: kind.name().to_owned(),
            endpoint: kind.endpoint().to_owned(),
            description: match kind {
                ResourceKind::User => "User Account",
                ResourceKind::Group => "Group",
            }
            .to_owned(),
            schema: self.core(kind).id.clone(),
            schema_extensions: self
                .extensions_of(kind)
                .map(|(schema, required)| SchemaExtension {
                    schema: schema.id.clone(),
                    required,
                })
                .collect(),
        }
    }

    /// The ResourceType documents of User and Group (for `GET /ResourceTypes`).
    pub fn resource_types(&self) -> Vec<ResourceType> {
        ResourceKind::ALL
            .into_iter()
            .map(|k| self.resource_type(k))
            .collect()
    }

    pub(crate) fn core(&self, kind: ResourceKind) -> &Schema {
        match kind {
            ResourceKind::User => &self.user,
            ResourceKind::Group => &self.group,
        }
    }

    /// The extensions of `kind`, with their `required` flag.
    pub(crate) fn extensions_of(
        &self,
        kind: ResourceKind,
    ) -> impl Iterator<Item = (&Schema, bool)> {
        self.extensions
            .iter()
            .filter(move |e| e.of == kind)
            .map(|e| (&e.schema, e.required))
    }

    fn lookup(&self, attr: &AttrPath) -> Option<Characteristics> {
        let in_schema = |schema: &Schema| {
            let a = schema.attribute(&attr.name)?;
            match &attr.sub_attr {
                None => Some(a.characteristics()),
                Some(sub) => a.sub_attribute(sub).map(SchemaAttribute::characteristics),
            }
        };
        match &attr.urn {
            Some(urn) => {
                if attr.sub_attr.is_none() && self.schema(&attr.full_name()).is_some() {
                    // `urn:…:enterprise:2.0:User`: the whole extension object.
                    return Some(Characteristics::of(AttributeType::Complex));
                }
                let schema = self.schema(urn)?;
                in_schema(schema).or_else(|| {
                    // `urn:…:core:2.0:User:id`: common attributes belong to core schemas.
                    (!default_is_extension_schema(urn))
                        .then(|| common(attr))
                        .flatten()
                })
            }
            None => common(attr).or_else(|| self.schemas().find_map(in_schema)),
        }
    }
}

/// The common attributes of RFC 7643 §3.1, which are not listed in schema documents.
pub(crate) const COMMON_ATTRIBUTES: [&str; 4] = ["id", "externalId", "meta", "schemas"];

fn common(attr: &AttrPath) -> Option<Characteristics> {
    COMMON_ATTRIBUTES
        .iter()
        .any(|c| c.eq_ignore_ascii_case(&attr.name))
        .then(|| {
            core_characteristics(&AttrPath {
                urn: None,
                name: attr.name.clone(),
                sub_attr: attr.sub_attr.clone(),
            })
        })
}

impl AttributeCharacteristics for SchemaRegistry {
    fn characteristics(&self, attr: &AttrPath) -> Characteristics {
        self.lookup(attr).unwrap_or_default()
    }

    fn is_schema_urn(&self, text: &str) -> bool {
        self.schema(text).is_some()
    }
}

/// RFC 7643 §2.1 `ATTRNAME`; `$ref` is allowed for sub-attributes.
fn valid_name(name: &str, is_sub: bool) -> bool {
    let mut chars = name.chars();
    match chars.next() {
        Some(c) if c.is_ascii_alphabetic() => {
            chars.all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        }
        _ => is_sub && name == "$ref",
    }
}

fn check_attributes(
    schema: &str,
    attributes: &[SchemaAttribute],
    parent: Option<&str>,
) -> Result<(), SchemaError> {
    for (i, a) in attributes.iter().enumerate() {
        let path = match parent {
            Some(p) => format!("{p}.{}", a.name),
            None => a.name.clone(),
        };
        let invalid = |reason| {
            Err(SchemaError::InvalidAttribute {
                schema: schema.to_owned(),
                path: path.clone(),
                reason,
            })
        };
        if !valid_name(&a.name, parent.is_some()) {
            return invalid("a name starts with a letter and has only letters, digits, - and _");
        }
        if attributes[..i]
            .iter()
            .any(|b| b.name.eq_ignore_ascii_case(&a.name))
        {
            return invalid("the name is used twice (names are case-insensitive)");
        }
        match (a.kind, parent) {
            (AttributeType::Complex, Some(_)) => {
                return invalid("a sub-attribute cannot be complex")
            }
            (AttributeType::Complex, None) if a.sub_attributes.is_empty() => {
                return invalid("a complex attribute needs sub-attributes")
            }
            (AttributeType::Complex, None) => {
                check_attributes(schema, &a.sub_attributes, Some(&a.name))?
            }
            _ if !a.sub_attributes.is_empty() => {
                return invalid("only complex attributes have sub-attributes")
            }
            _ => {}
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn registry() -> SchemaRegistry {
        SchemaRegistry::standard()
    }

    #[test]
    fn bundled_documents_parse_and_pass_the_extension_checks() {
        for (text, id, count) in [
            (USER_JSON, urn::USER, 21),
            (GROUP_JSON, urn::GROUP, 2),
            (ENTERPRISE_USER_JSON, urn::ENTERPRISE_USER, 6),
        ] {
            let schema: Schema = serde_json::from_str(text).unwrap();
            assert_eq!(schema.id, id);
            assert_eq!(schema.attributes.len(), count, "{id}");
            check_attributes(id, &schema.attributes, None).unwrap();
            // `id` is a common attribute, not part of the documents.
            assert!(schema.attribute("id").is_none(), "{id}");
        }
    }

    #[test]
    fn every_attribute_of_every_document_has_all_characteristics() {
        const FIELDS: [&str; 9] = [
            "name",
            "type",
            "multiValued",
            "description",
            "required",
            "caseExact",
            "mutability",
            "returned",
            "uniqueness",
        ];
        fn check(a: &Value, path: &str) {
            for field in FIELDS {
                assert!(a.get(field).is_some(), "{path} lacks {field}");
            }
            assert!(
                !a["description"].as_str().unwrap().is_empty(),
                "{path} description"
            );
            let kind = a["type"].as_str().unwrap();
            assert_eq!(
                a.get("subAttributes").is_some(),
                kind == "complex",
                "{path} subAttributes"
            );
            assert_eq!(
                a.get("referenceTypes").is_some(),
                kind == "reference",
                "{path} referenceTypes"
            );
            for sub in a
                .get("subAttributes")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                check(sub, &format!("{path}.{}", sub["name"].as_str().unwrap()));
            }
        }
        let registry = registry();
        for schema in registry.schemas() {
            let doc = schema.to_json("https://example.com/scim/v2/");
            assert_eq!(doc["schemas"], json!([urn::SCHEMA]));
            assert_eq!(
                doc["meta"],
                json!({"resourceType": "Schema",
                       "location": format!("https://example.com/scim/v2/Schemas/{}", schema.id)})
            );
            for a in doc["attributes"].as_array().unwrap() {
                check(a, a["name"].as_str().unwrap());
            }
            // Round trip: the served document reads back as the same schema, and its
            // attributes are exactly the bundled file's.
            assert_eq!(
                &serde_json::from_value::<Schema>(doc.clone()).unwrap(),
                schema
            );
            let file: Value = serde_json::from_str(match schema.id.as_str() {
                urn::USER => USER_JSON,
                urn::GROUP => GROUP_JSON,
                _ => ENTERPRISE_USER_JSON,
            })
            .unwrap();
            assert_eq!(doc["attributes"], file["attributes"], "{}", schema.id);
        }
    }

    #[test]
    fn the_characteristics_the_brief_and_the_rfc_name() {
        let g = |p: &str| {
            registry()
                .schema(urn::GROUP)
                .unwrap()
                .attribute(p)
                .cloned()
                .unwrap()
        };
        let u = |p: &str| {
            registry()
                .schema(urn::USER)
                .unwrap()
                .attribute(p)
                .cloned()
                .unwrap()
        };
        let e = |p: &str| {
            registry()
                .schema(urn::ENTERPRISE_USER)
                .unwrap()
                .attribute(p)
                .cloned()
                .unwrap()
        };
        assert!(u("userName").required);
        assert_eq!(u("userName").uniqueness, Uniqueness::Server);
        assert_eq!(u("groups").mutability, Mutability::ReadOnly);
        assert!(u("groups")
            .sub_attributes
            .iter()
            .all(|s| s.mutability == Mutability::ReadOnly));
        assert_eq!(u("password").mutability, Mutability::WriteOnly);
        assert_eq!(u("password").returned, Returned::Never);
        assert_eq!(
            u("photos").sub_attribute("value").unwrap().kind,
            AttributeType::Reference
        );
        assert_eq!(
            u("x509Certificates").sub_attribute("value").unwrap().kind,
            AttributeType::Binary
        );
        assert_eq!(u("profileUrl").reference_types, ["external"]);
        assert!(g("displayName").required);
        let members = g("members");
        assert_eq!(
            members.sub_attribute("value").unwrap().mutability,
            Mutability::Immutable
        );
        assert_eq!(
            members.sub_attribute("type").unwrap().canonical_values,
            ["User", "Group"]
        );
        assert_eq!(
            members.sub_attribute("$ref").unwrap().reference_types,
            ["User", "Group"]
        );
        let manager = e("manager");
        let subs: Vec<&str> = manager
            .sub_attributes
            .iter()
            .map(|s| s.name.as_str())
            .collect();
        assert_eq!(subs, ["value", "$ref", "displayName"]);
        assert_eq!(
            manager.sub_attribute("DISPLAYNAME").unwrap().mutability,
            Mutability::ReadOnly
        );
        assert_eq!(
            manager.sub_attribute("$ref").unwrap().reference_types,
            ["User"]
        );
    }

    #[test]
    fn characteristics_come_from_the_documents() {
        use AttributeType::*;
        use Mutability::*;
        let registry = registry();
        let cases: &[(&str, AttributeType, bool, bool, Mutability, Returned)] = &[
            // path, type, multi-valued, caseExact, mutability, returned
            (
                "userName",
                String,
                false,
                false,
                ReadWrite,
                Returned::Default,
            ),
            (
                "USERNAME",
                String,
                false,
                false,
                ReadWrite,
                Returned::Default,
            ),
            ("id", String, false, true, ReadOnly, Returned::Always),
            (
                "externalId",
                String,
                false,
                true,
                ReadWrite,
                Returned::Default,
            ),
            (
                "schemas",
                Reference,
                true,
                true,
                ReadWrite,
                Returned::Always,
            ),
            (
                "meta.lastModified",
                DateTime,
                false,
                false,
                ReadOnly,
                Returned::Default,
            ),
            ("emails", Complex, true, false, ReadWrite, Returned::Default),
            (
                "emails.value",
                String,
                false,
                false,
                ReadWrite,
                Returned::Default,
            ),
            (
                "Emails.Primary",
                Boolean,
                false,
                false,
                ReadWrite,
                Returned::Default,
            ),
            ("password", String, false, false, WriteOnly, Returned::Never),
            (
                "active",
                Boolean,
                false,
                false,
                ReadWrite,
                Returned::Default,
            ),
            ("groups", Complex, true, false, ReadOnly, Returned::Default),
            (
                "groups.type",
                String,
                false,
                false,
                ReadOnly,
                Returned::Default,
            ),
            (
                "photos.value",
                Reference,
                false,
                false,
                ReadWrite,
                Returned::Default,
            ),
            (
                "x509Certificates.value",
                Binary,
                false,
                false,
                ReadWrite,
                Returned::Default,
            ),
            (
                "members",
                Complex,
                true,
                false,
                ReadWrite,
                Returned::Default,
            ),
            (
                "members.value",
                String,
                false,
                false,
                Immutable,
                Returned::Default,
            ),
            (
                "members.display",
                String,
                false,
                false,
                ReadOnly,
                // Derived by the server; sent only when asked for.
                Returned::Request,
            ),
            (
                "urn:ietf:params:scim:schemas:core:2.0:User:userName",
                String,
                false,
                false,
                ReadWrite,
                Returned::Default,
            ),
            (
                "urn:ietf:params:scim:schemas:core:2.0:Group:id",
                String,
                false,
                true,
                ReadOnly,
                Returned::Always,
            ),
            (
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager",
                Complex,
                false,
                false,
                ReadWrite,
                Returned::Default,
            ),
            (
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:user:MANAGER.displayName",
                String,
                false,
                false,
                ReadOnly,
                Returned::Default,
            ),
            // The whole extension.
            (
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
                Complex,
                false,
                false,
                ReadWrite,
                Returned::Default,
            ),
            // Without URN, extension attributes are found too.
            (
                "employeeNumber",
                String,
                false,
                false,
                ReadWrite,
                Returned::Default,
            ),
            // Unknown: RFC defaults.
            ("nosuch", String, false, false, ReadWrite, Returned::Default),
            (
                "emails.nosuch",
                String,
                false,
                false,
                ReadWrite,
                Returned::Default,
            ),
            (
                "urn:acme:unknown:1.0:User:badge",
                String,
                false,
                false,
                ReadWrite,
                Returned::Default,
            ),
            // An extension's attributes are not the core schema's.
            (
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:emails",
                String,
                false,
                false,
                ReadWrite,
                Returned::Default,
            ),
        ];
        for (path, kind, multi, exact, mutability, returned) in cases {
            let c = registry.characteristics(&AttrPath::parse(path).unwrap());
            assert_eq!(
                (
                    c.kind,
                    c.multi_valued,
                    c.case_exact,
                    c.mutability,
                    c.returned
                ),
                (*kind, *multi, *exact, *mutability, *returned),
                "{path}"
            );
        }
        assert!(registry.is_schema_urn("URN:IETF:PARAMS:SCIM:SCHEMAS:CORE:2.0:USER"));
        assert!(!registry.is_schema_urn(urn::STEWARD_USER));
    }

    #[test]
    fn extensions_are_registered_and_listed_in_resource_types() {
        let mut registry = registry();
        let badge = SchemaAttribute::simple("badge", AttributeType::Integer, false);
        let site = SchemaAttribute::simple("site", AttributeType::Reference, true);
        registry
            .add_extension(
                ResourceKind::User,
                Schema::new(
                    urn::STEWARD_USER,
                    "StewardUser",
                    "",
                    vec![badge.clone(), site],
                ),
                false,
            )
            .unwrap();
        registry
            .add_extension(
                ResourceKind::Group,
                Schema::new(urn::STEWARD_GROUP, "StewardGroup", "", vec![badge.clone()]),
                true,
            )
            .unwrap();
        assert_eq!(
            registry
                .schemas()
                .map(|s| s.id.as_str())
                .collect::<Vec<_>>(),
            [
                urn::USER,
                urn::GROUP,
                urn::ENTERPRISE_USER,
                urn::STEWARD_USER,
                urn::STEWARD_GROUP
            ]
        );
        let types: Vec<Value> = registry
            .resource_types()
            .iter()
            .map(|t| t.to_json("https://example.com/scim/v2"))
            .collect();
        assert_eq!(
            types,
            [
                json!({
                    "schemas": [urn::RESOURCE_TYPE],
                    "id": "User", "name": "User", "endpoint": "/Users",
                    "description": "User Account", "schema": urn::USER,
                    "schemaExtensions": [
                        {"schema": urn::ENTERPRISE_USER, "required": false},
                        {"schema": urn::STEWARD_USER, "required": false}
                    ],
                    "meta": {"resourceType": "ResourceType",
                             "location": "https://example.com/scim/v2/ResourceTypes/User"}
                }),
                json!({
                    "schemas": [urn::RESOURCE_TYPE],
                    "id": "Group", "name": "Group", "endpoint": "/Groups",
                    "description": "Group", "schema": urn::GROUP,
                    "schemaExtensions": [{"schema": urn::STEWARD_GROUP, "required": true}],
                    "meta": {"resourceType": "ResourceType",
                             "location": "https://example.com/scim/v2/ResourceTypes/Group"}
                }),
            ]
        );
        let path = |p: &str| AttrPath::parse(p).unwrap();
        let c = registry.characteristics(&path(&format!("{}:site", urn::STEWARD_USER)));
        assert_eq!((c.kind, c.multi_valued), (AttributeType::Reference, true));
        assert_eq!(
            registry.schema(urn::STEWARD_USER).unwrap().attributes[1].reference_types,
            ["external"]
        );
        assert!(registry.is_schema_urn(urn::STEWARD_GROUP));

        // Replacing an extension keeps one entry.
        registry
            .add_extension(
                ResourceKind::User,
                Schema::new(
                    "URN:ietf:params:scim:schemas:extension:steward:2.0:User",
                    "StewardUser",
                    "",
                    vec![badge],
                ),
                true,
            )
            .unwrap();
        assert_eq!(registry.schemas().count(), 5);
        assert_eq!(
            registry.resource_type(ResourceKind::User).schema_extensions[1],
            SchemaExtension {
                schema: "URN:ietf:params:scim:schemas:extension:steward:2.0:User".into(),
                required: true
            }
        );
        assert_eq!(
            registry
                .characteristics(&path(&format!("{}:site", urn::STEWARD_USER)))
                .kind,
            AttributeType::String
        );
    }

    #[test]
    fn impossible_extensions_are_refused() {
        let simple = |n: &str| SchemaAttribute::simple(n, AttributeType::String, false);
        let complex = |n: &str, subs: Vec<SchemaAttribute>| SchemaAttribute {
            sub_attributes: subs,
            ..SchemaAttribute::simple(n, AttributeType::Complex, false)
        };
        let cases: Vec<(&str, Vec<SchemaAttribute>, &str)> = vec![
            // id, attributes, expected code and path
            (urn::USER, vec![], "SCIM-S001"),
            ("acme:custom", vec![], "SCIM-S001"),
            (urn::STEWARD_USER, vec![simple("1st")], "SCIM-S002 1st"),
            (
                urn::STEWARD_USER,
                vec![simple("cost code")],
                "SCIM-S002 cost code",
            ),
            (urn::STEWARD_USER, vec![simple("$ref")], "SCIM-S002 $ref"),
            (
                urn::STEWARD_USER,
                vec![simple("badge"), simple("BADGE")],
                "SCIM-S002 BADGE",
            ),
            (
                urn::STEWARD_USER,
                vec![complex("car", vec![])],
                "SCIM-S002 car",
            ),
            (
                urn::STEWARD_USER,
                vec![complex(
                    "car",
                    vec![complex("engine", vec![simple("size")])],
                )],
                "SCIM-S002 car.engine",
            ),
            (
                urn::STEWARD_USER,
                vec![SchemaAttribute {
                    sub_attributes: vec![simple("x")],
                    ..simple("badge")
                }],
                "SCIM-S002 badge",
            ),
        ];
        for (id, attributes, expected) in cases {
            let error = registry()
                .add_extension(
                    ResourceKind::User,
                    Schema::new(id, "", "", attributes),
                    false,
                )
                .unwrap_err();
            let got = match &error {
                SchemaError::InvalidAttribute { path, .. } => format!("{} {path}", error.code()),
                SchemaError::NotAnExtension { .. } => error.code().to_owned(),
            };
            assert_eq!(got, expected, "{error}");
        }
        // `$ref` is fine as a sub-attribute, and `-`/`_` in names.
        registry()
            .add_extension(
                ResourceKind::User,
                Schema::new(
                    urn::STEWARD_USER,
                    "",
                    "",
                    vec![complex("car_1", vec![simple("$ref"), simple("plate-no")])],
                ),
                false,
            )
            .unwrap();
    }

    #[test]
    fn resource_kind_names() {
        assert_eq!(ResourceKind::from_name("group"), Some(ResourceKind::Group));
        assert_eq!(ResourceKind::from_name("Users"), None);
        assert_eq!(ResourceKind::User.endpoint(), "/Users");
        assert_eq!(ResourceKind::Group.schema_urn(), urn::GROUP);
    }
}
