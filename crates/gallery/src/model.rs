//! The data model of one gallery entry, as it is written in an entry file and as the rest of
//! Steward reads it. Every struct refuses unknown keys, so a misspelt key in a data file is an
//! error with its line and column rather than a silently ignored setting.
//!
//! A mapping's source is a [`Source`] enum, not four optional fields: an entry that has been
//! deserialized always has exactly what its mapping type needs.

use std::fmt;

use serde::{Deserialize, Serialize};

/// One application in the gallery: who makes it, how Steward connects to it, which credentials
/// the admin enters, and the default attribute mappings a new application starts with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    /// Stable identifier: lowercase ASCII letters, digits and `-`, as in `xledger`. Stored with
    /// every application created from the entry, and used in URLs.
    pub id: String,
    /// The application's name as the gallery shows it.
    pub name: String,
    /// Who makes the application.
    pub publisher: String,
    /// One or two sentences for the gallery card.
    pub description: String,
    /// Gallery category, e.g. `Finance`, `Human resources`.
    pub category: String,
    /// How Steward talks to the application.
    pub connector: Connector,
    /// What Steward does to an account whose user leaves the provisioning scope (unassigned,
    /// filtered out, disabled or soft-deleted in the directory).
    pub out_of_scope: OutOfScopeAction,
    /// Minutes between incremental provisioning cycles; 40 when the file does not say.
    #[serde(default = "default_cycle_interval")]
    pub cycle_interval_minutes: u32,
    /// Things the admin must know that no other field says (formats, licences, roles).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// The fields of the "Admin credentials" form, in the order they are shown.
    pub credentials: Vec<CredentialField>,
    /// SCIM schema extensions the application defines, with their attributes. The standard
    /// enterprise User extension (`urn:ietf:params:scim:schemas:extension:enterprise:2.0:User`)
    /// is always available and never listed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub extension_schemas: Vec<ExtensionSchema>,
    /// The default user mapping. Every application provisions users.
    pub users: ObjectMapping,
    /// The default group mapping, for applications that provision groups and memberships.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub groups: Option<ObjectMapping>,
}

/// The default number of minutes between cycles, Entra's "approximately every 40 minutes".
pub const DEFAULT_CYCLE_INTERVAL_MINUTES: u32 = 40;

fn default_cycle_interval() -> u32 {
    DEFAULT_CYCLE_INTERVAL_MINUTES
}

impl Entry {
    /// The object types the application provisions: always users, and groups when the entry
    /// has a group mapping (enabled or not).
    pub fn object_types(&self) -> Vec<ObjectType> {
        let mut types = vec![ObjectType::Users];
        if self.groups.is_some() {
            types.push(ObjectType::Groups);
        }
        types
    }

    /// The default mapping of one object type, if the application provisions it.
    pub fn mapping(&self, object: ObjectType) -> Option<&ObjectMapping> {
        match object {
            ObjectType::Users => Some(&self.users),
            ObjectType::Groups => self.groups.as_ref(),
        }
    }

    /// The credential field called `name`.
    pub fn credential(&self, name: &str) -> Option<&CredentialField> {
        self.credentials.iter().find(|c| c.name == name)
    }

    /// The extension schema with this URN (compared ignoring ASCII case, as SCIM does).
    pub fn extension_schema(&self, urn: &str) -> Option<&ExtensionSchema> {
        self.extension_schemas
            .iter()
            .find(|s| s.urn.eq_ignore_ascii_case(urn))
    }
}

/// The protocol Steward speaks to an application.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Connector {
    /// SCIM 2.0 (RFC 7643/7644) with a bearer token. Target attributes are SCIM paths.
    Scim,
    /// xMatters' REST API with an admin's user name and password. Target attributes are fields
    /// of the xMatters person object.
    Xmatters,
}

impl Connector {
    /// The credential fields the connector reads, by name and kind. Every entry using the
    /// connector must define these (it may define more, which the connector ignores).
    pub fn required_credentials(self) -> &'static [(&'static str, CredentialKind)] {
        match self {
            Connector::Scim => &[
                ("tenant_url", CredentialKind::Url),
                ("secret_token", CredentialKind::Secret),
            ],
            Connector::Xmatters => &[
                ("username", CredentialKind::Text),
                ("password", CredentialKind::Secret),
                ("domain", CredentialKind::Text),
            ],
        }
    }

    /// The name used in entry files.
    pub fn as_str(self) -> &'static str {
        match self {
            Connector::Scim => "scim",
            Connector::Xmatters => "xmatters",
        }
    }
}

impl fmt::Display for Connector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What happens to an application account when its user leaves the provisioning scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutOfScopeAction {
    /// The account is kept and deactivated (SCIM `active = false`). Entra's default.
    Disable,
    /// The account is removed (SCIM `DELETE`), for applications whose tutorial says users
    /// are removed when they no longer need access.
    Delete,
}

/// One field of the "Admin credentials" form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CredentialField {
    /// The key the connector reads, e.g. `tenant_url`; unique within the entry.
    pub name: String,
    /// The label next to the input, e.g. `Tenant URL`.
    pub label: String,
    /// What the input holds, which decides how it is shown and stored.
    pub kind: CredentialKind,
    /// Whether the form refuses to save without a value; `true` when the file does not say.
    #[serde(default = "yes")]
    pub required: bool,
    /// Where the admin finds the value, shown under the input.
    pub help: String,
}

fn yes() -> bool {
    true
}

/// The kind of a credential field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CredentialKind {
    /// An absolute `https://` URL, such as a SCIM base URL.
    Url,
    /// A token or password: write-only in the portal, encrypted at rest, redacted in logs.
    Secret,
    /// Plain text such as a user name or a domain.
    Text,
}

impl fmt::Display for CredentialKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CredentialKind::Url => "url",
            CredentialKind::Secret => "secret",
            CredentialKind::Text => "text",
        })
    }
}

/// The object types a mapping can provision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ObjectType {
    Users,
    Groups,
}

impl ObjectType {
    /// The name used in files, URLs and JSON: `users` or `groups`.
    pub fn as_str(self) -> &'static str {
        match self {
            ObjectType::Users => "users",
            ObjectType::Groups => "groups",
        }
    }

    /// The object type named `users` or `groups`.
    pub fn parse(name: &str) -> Option<ObjectType> {
        [ObjectType::Users, ObjectType::Groups]
            .into_iter()
            .find(|o| o.as_str() == name)
    }
}

impl fmt::Display for ObjectType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A SCIM schema extension the application defines, such as
/// `urn:ietf:params:scim:schemas:extension:xledger:2.0:User`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExtensionSchema {
    /// The schema URN; mapping targets in it are written `<urn>:<attribute>`.
    pub urn: String,
    /// The resource type the extension extends.
    pub object: ObjectType,
    /// The attributes of the extension.
    pub attributes: Vec<ExtensionAttribute>,
}

/// One attribute of an application's schema extension.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExtensionAttribute {
    /// The attribute name, e.g. `accessFromDate`.
    pub name: String,
    /// Its type.
    #[serde(rename = "type")]
    pub attribute_type: AttributeType,
    /// What the attribute means to the application.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The value the application itself assumes when Steward sends none (documentation for
    /// the admin; Steward does not send it on its own).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_default: Option<String>,
}

/// The mapping of one object type: whether it is on, and its attribute mappings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ObjectMapping {
    /// Whether the object type is provisioned by default; `true` when the file does not say.
    /// Group mappings may be off; the user mapping may not.
    #[serde(default = "yes")]
    pub enabled: bool,
    /// The attribute mappings, in the order the tutorial lists them.
    pub attributes: Vec<AttributeMapping>,
}

impl ObjectMapping {
    /// The matching attributes, in the order they are tried (lowest precedence first).
    pub fn matching(&self) -> Vec<&AttributeMapping> {
        matching_in_order(&self.attributes)
    }

    /// The mapping of the target attribute `target` (compared ignoring ASCII case, as SCIM
    /// attribute names are).
    pub fn attribute(&self, target: &str) -> Option<&AttributeMapping> {
        self.attributes
            .iter()
            .find(|a| a.target.eq_ignore_ascii_case(target))
    }
}

/// The matching attributes among `attributes`, in the order they are tried (lowest precedence
/// first).
pub fn matching_in_order(attributes: &[AttributeMapping]) -> Vec<&AttributeMapping> {
    let mut matching: Vec<_> = attributes.iter().filter(|a| a.matching.is_some()).collect();
    matching.sort_by_key(|a| a.matching);
    matching
}

/// One attribute mapping: where a target attribute's value comes from and how it is used.
///
/// In a file the source is written as `mapping = "direct" | "constant" | "expression" | "none"`
/// plus exactly the key that type needs (`source`, `constant` or `expression`); see the crate
/// documentation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "RawAttributeMapping", into = "RawAttributeMapping")]
pub struct AttributeMapping {
    /// The target attribute: a SCIM path such as `emails[type eq "work"].value` or
    /// `urn:…:enterprise:2.0:User:department` for SCIM connectors, a field name otherwise.
    pub target: String,
    /// The target attribute's type, as the tutorial's table gives it.
    pub target_type: AttributeType,
    /// Whether the application supports filtering on the attribute (a precondition for
    /// matching on it).
    pub filterable: bool,
    /// Whether the application requires the attribute.
    pub required: bool,
    /// Where the value comes from.
    pub source: Source,
    /// "Default value if null": sent on create when the source gives no value.
    pub default_value: Option<String>,
    /// Matching precedence: `Some(1)` is tried first, then 2, … `None`: not a matching
    /// attribute.
    pub matching: Option<u8>,
    /// When the mapping is applied.
    pub apply: Apply,
    /// A format the application requires of the value; values that cannot be brought into it
    /// are not sent, and the provisioning log says why.
    pub format: Option<ValueFormat>,
}

/// Formats an application can require of a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ValueFormat {
    /// An international phone number, `+` and 8 to 15 digits (ITU-T E.164), e.g.
    /// `+16175551212`.
    E164,
}

impl ValueFormat {
    /// The value in this format, or why it cannot be.
    pub fn apply(self, text: &str) -> Result<String, String> {
        match self {
            ValueFormat::E164 => {
                let trimmed = text.trim();
                let rest = trimmed
                    .strip_prefix('+')
                    .map(|r| (true, r))
                    .or_else(|| trimmed.strip_prefix("00").map(|r| (true, r)))
                    .unwrap_or((false, trimmed));
                let (international, rest) = rest;
                let mut digits = String::new();
                for c in rest.chars() {
                    match c {
                        '0'..='9' => digits.push(c),
                        ' ' | '-' | '.' | '(' | ')' | '/' => {}
                        other => {
                            return Err(format!(
                                "{text:?} is not a phone number ({other:?} is not a digit)"
                            ))
                        }
                    }
                }
                if !international {
                    return Err(format!(
                        "{text:?} has no country code; E.164 needs one, as in +16175551212"
                    ));
                }
                if !(8..=15).contains(&digits.len()) || digits.starts_with('0') {
                    return Err(format!(
                        "{text:?} is not an E.164 number: a country code and number of 8 to 15 digits in all, as in +16175551212"
                    ));
                }
                Ok(format!("+{digits}"))
            }
        }
    }
}

/// Where a mapped value comes from: Entra's four mapping types.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Source {
    /// Copy the named directory attribute, e.g. `userPrincipalName`.
    Direct(String),
    /// Always this text.
    Constant(String),
    /// The value of a steward-expr expression over directory attributes, e.g.
    /// `Join(" ", [givenName], [surname])`. Checked with `steward_expr::parse` at load.
    Expression(String),
    /// Nothing flows; the target is left alone, except that it is filled with the default
    /// value when it is empty on create.
    None,
}

impl Source {
    /// The mapping type of the source.
    pub fn mapping_type(&self) -> MappingType {
        match self {
            Source::Direct(_) => MappingType::Direct,
            Source::Constant(_) => MappingType::Constant,
            Source::Expression(_) => MappingType::Expression,
            Source::None => MappingType::None,
        }
    }
}

/// Entra's attribute mapping types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MappingType {
    Direct,
    Constant,
    Expression,
    None,
}

impl fmt::Display for MappingType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            MappingType::Direct => "direct",
            MappingType::Constant => "constant",
            MappingType::Expression => "expression",
            MappingType::None => "none",
        })
    }
}

/// Attribute types, spelt as Entra's schema editor and the tutorials' tables spell them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum AttributeType {
    String,
    Boolean,
    DateTime,
    Integer,
    Reference,
    Binary,
}

impl fmt::Display for AttributeType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

/// Entra's "Apply this mapping".
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Apply {
    /// On create and on every update.
    #[default]
    Always,
    /// Only when the object is created.
    OnCreate,
}

/// The file form of [`AttributeMapping`]: a flat table with the mapping type and the key it
/// needs. Converting checks that the keys fit the type.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAttributeMapping {
    target: String,
    #[serde(rename = "type")]
    target_type: AttributeType,
    #[serde(default, skip_serializing_if = "is_false")]
    filterable: bool,
    #[serde(default, skip_serializing_if = "is_false")]
    required: bool,
    mapping: MappingType,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    source: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    constant: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    expression: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    default: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    matching: Option<u8>,
    #[serde(default)]
    apply: Apply,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    format: Option<ValueFormat>,
}

fn is_false(b: &bool) -> bool {
    !*b
}

impl TryFrom<RawAttributeMapping> for AttributeMapping {
    type Error = String;

    fn try_from(raw: RawAttributeMapping) -> Result<Self, String> {
        let target = raw.target;
        let mapping = raw.mapping;
        let key_for = |present: &Option<String>, key: &str, wanted: MappingType| {
            if present.is_some() && mapping != wanted {
                Err(format!(
                    "mapping of `{target}`: `{key}` is only allowed with mapping = \"{wanted}\", \
                     but this mapping is \"{mapping}\""
                ))
            } else {
                Ok(())
            }
        };
        key_for(&raw.source, "source", MappingType::Direct)?;
        key_for(&raw.constant, "constant", MappingType::Constant)?;
        key_for(&raw.expression, "expression", MappingType::Expression)?;
        let needs = |value: Option<String>, key: &str, example: &str| {
            value.ok_or_else(|| {
                format!(
                    "mapping of `{target}`: mapping = \"{mapping}\" needs `{key}`, as in {example}"
                )
            })
        };
        let source = match mapping {
            MappingType::Direct => Source::Direct(needs(
                raw.source,
                "source",
                "source = \"userPrincipalName\"",
            )?),
            MappingType::Constant => {
                Source::Constant(needs(raw.constant, "constant", "constant = \"true\"")?)
            }
            MappingType::Expression => Source::Expression(needs(
                raw.expression,
                "expression",
                "expression = 'Join(\" \", [givenName], [surname])'",
            )?),
            MappingType::None => Source::None,
        };
        Ok(AttributeMapping {
            target,
            target_type: raw.target_type,
            filterable: raw.filterable,
            required: raw.required,
            source,
            default_value: raw.default,
            matching: raw.matching,
            apply: raw.apply,
            format: raw.format,
        })
    }
}

impl From<AttributeMapping> for RawAttributeMapping {
    fn from(m: AttributeMapping) -> Self {
        let mapping = m.source.mapping_type();
        let (source, constant, expression) = match m.source {
            Source::Direct(s) => (Some(s), None, None),
            Source::Constant(c) => (None, Some(c), None),
            Source::Expression(e) => (None, None, Some(e)),
            Source::None => (None, None, None),
        };
        RawAttributeMapping {
            target: m.target,
            target_type: m.target_type,
            filterable: m.filterable,
            required: m.required,
            mapping,
            source,
            constant,
            expression,
            default: m.default_value,
            matching: m.matching,
            apply: m.apply,
            format: m.format,
        }
    }
}
