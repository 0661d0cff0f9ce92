//! Attribute characteristics (RFC 7643 §2.2, §7): what the evaluator, `apply` and projection
//! need to know about an attribute — its type, whether it is multi-valued, case-exact, its
//! mutability and when it is returned — asked through the small [`AttributeCharacteristics`]
//! trait so that the server can answer from its schema (including admin-defined custom
//! attributes) while tests and clients use [`CoreSchema`] or a closure.

use serde::{Deserialize, Serialize};

use crate::path::AttrPath;
use crate::types::urn;

/// RFC 7643 §2.3 data types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum AttributeType {
    String,
    Boolean,
    Decimal,
    Integer,
    DateTime,
    Binary,
    Reference,
    Complex,
}

/// RFC 7643 §7 `mutability` (`readWrite` when a schema does not say).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Mutability {
    ReadOnly,
    #[default]
    ReadWrite,
    Immutable,
    WriteOnly,
}

impl Mutability {
    pub fn as_str(self) -> &'static str {
        match self {
            Mutability::ReadOnly => "readOnly",
            Mutability::ReadWrite => "readWrite",
            Mutability::Immutable => "immutable",
            Mutability::WriteOnly => "writeOnly",
        }
    }
}

/// RFC 7643 §7 `returned` (`default` when a schema does not say).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Returned {
    Always,
    Never,
    #[default]
    Default,
    Request,
}

/// RFC 7643 §7 `uniqueness` (`none` when a schema does not say).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Uniqueness {
    #[default]
    None,
    Server,
    Global,
}

/// What is known about one attribute or sub-attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Characteristics {
    pub kind: AttributeType,
    pub multi_valued: bool,
    pub case_exact: bool,
    pub mutability: Mutability,
    pub returned: Returned,
}

impl Default for Characteristics {
    /// RFC 7643 §2.2 defaults: a single-valued, case-insensitive, read-write string returned by
    /// default.
    fn default() -> Self {
        Characteristics::of(AttributeType::String)
    }
}

impl Characteristics {
    /// RFC defaults with the given type.
    pub const fn of(kind: AttributeType) -> Self {
        Characteristics {
            kind,
            multi_valued: false,
            case_exact: false,
            mutability: Mutability::ReadWrite,
            returned: Returned::Default,
        }
    }

    pub const fn multi(mut self) -> Self {
        self.multi_valued = true;
        self
    }

    pub const fn case_exact(mut self) -> Self {
        self.case_exact = true;
        self
    }

    pub const fn mutability(mut self, mutability: Mutability) -> Self {
        self.mutability = mutability;
        self
    }

    pub const fn returned(mut self, returned: Returned) -> Self {
        self.returned = returned;
        self
    }
}

/// Answers questions about attributes. `attr` names an attribute (`sub_attr` is `None`) or a
/// sub-attribute; inside a value filter such as `emails[type eq "work"]` the evaluator asks
/// about `emails.type`. Names arrive as the client wrote them: compare case-insensitively.
///
/// Any `Fn(&AttrPath) -> Characteristics` is an implementation (extension URNs are then
/// recognised by the default rule of [`AttributeCharacteristics::is_extension_schema`]).
pub trait AttributeCharacteristics {
    fn characteristics(&self, attr: &AttrPath) -> Characteristics;

    /// Whether `urn` names an extension schema, whose attributes live in a JSON object under
    /// the URN (`"urn:…:enterprise:2.0:User": {"department": …}`). Core schema URNs
    /// (`urn:ietf:params:scim:schemas:core:…`) are not: their attributes sit at the top level.
    fn is_extension_schema(&self, urn: &str) -> bool {
        default_is_extension_schema(urn)
    }

    /// Whether `text` is a schema URN the server knows (so that a PATCH value key such as
    /// `urn:…:enterprise:2.0:User` is read as a whole extension, not as the attribute `User`).
    /// Schemas already in the resource's `schemas` are recognised without this.
    fn is_schema_urn(&self, text: &str) -> bool {
        is_known_schema_urn(text)
    }
}

impl<F> AttributeCharacteristics for F
where
    F: Fn(&AttrPath) -> Characteristics,
{
    fn characteristics(&self, attr: &AttrPath) -> Characteristics {
        self(attr)
    }
}

/// Every `urn:` that is not a core schema is an extension.
pub fn default_is_extension_schema(urn: &str) -> bool {
    const CORE: &str = "urn:ietf:params:scim:schemas:core:";
    let starts = |prefix: &str| {
        urn.get(..prefix.len())
            .is_some_and(|p| p.eq_ignore_ascii_case(prefix))
    };
    let (is_urn, is_core) = (starts("urn:"), starts(CORE));
    is_urn && !is_core
}

/// The core User and Group schemas and the enterprise User extension (RFC 7643 §4, §8.7).
/// Unknown attributes get the RFC defaults.
#[derive(Debug, Clone, Copy, Default)]
pub struct CoreSchema;

impl AttributeCharacteristics for CoreSchema {
    fn characteristics(&self, attr: &AttrPath) -> Characteristics {
        core_characteristics(attr)
    }
}

/// [`CoreSchema`]'s answer, for implementations that add their own attributes and fall back
/// to the standard ones.
pub fn core_characteristics(attr: &AttrPath) -> Characteristics {
    use AttributeType::*;
    let name = attr.name.to_ascii_lowercase();
    let sub = attr.sub_attr.as_deref().map(str::to_ascii_lowercase);
    let string = Characteristics::of(String);
    let complex_multi = Characteristics::of(Complex).multi();
    let reference = Characteristics::of(Reference).case_exact();
    match (name.as_str(), sub.as_deref()) {
        ("id", None) => string
            .case_exact()
            .mutability(Mutability::ReadOnly)
            .returned(Returned::Always),
        ("externalid", None) => string.case_exact(),
        ("schemas", None) => Characteristics::of(Reference)
            .case_exact()
            .multi()
            .returned(Returned::Always),
        ("meta", None) => Characteristics::of(Complex).mutability(Mutability::ReadOnly),
        ("meta", Some("created" | "lastmodified")) => {
            Characteristics::of(DateTime).mutability(Mutability::ReadOnly)
        }
        ("meta", Some("location")) => reference.mutability(Mutability::ReadOnly),
        ("meta", Some(_)) => string.case_exact().mutability(Mutability::ReadOnly),
        ("password", None) => string
            .mutability(Mutability::WriteOnly)
            .returned(Returned::Never),
        ("active", None) => Characteristics::of(Boolean),
        ("name" | "manager", None) => Characteristics::of(Complex),
        ("manager", Some("value")) => string.case_exact(),
        ("manager", Some("displayname")) => string.mutability(Mutability::ReadOnly),
        ("profileurl", None) => reference,
        ("groups", None) => complex_multi.mutability(Mutability::ReadOnly),
        ("groups", Some("value")) => string.case_exact().mutability(Mutability::ReadOnly),
        ("groups", Some(_)) => string.mutability(Mutability::ReadOnly),
        ("members", None) => complex_multi,
        ("members", Some("value")) => string.case_exact().mutability(Mutability::Immutable),
        (
            "emails" | "phonenumbers" | "ims" | "photos" | "addresses" | "entitlements" | "roles"
            | "x509certificates",
            None,
        ) => complex_multi,
        ("photos", Some("value")) => reference,
        ("x509certificates", Some("value")) => Characteristics::of(Binary).case_exact(),
        (_, Some("primary")) => Characteristics::of(Boolean),
        (_, Some("$ref")) => reference,
        _ => string,
    }
}

/// The schema URNs this crate knows without being told (core User and Group, enterprise
/// User). Used to tell `urn:…:enterprise:2.0:User` (a whole extension) from an attribute path.
pub fn is_known_schema_urn(text: &str) -> bool {
    [urn::USER, urn::GROUP, urn::ENTERPRISE_USER]
        .iter()
        .any(|u| u.eq_ignore_ascii_case(text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn core_schema_answers_the_attributes_filters_rely_on() {
        let cases: &[(&str, AttributeType, bool, bool, Mutability)] = &[
            // path, type, multi-valued, caseExact, mutability
            (
                "userName",
                AttributeType::String,
                false,
                false,
                Mutability::ReadWrite,
            ),
            (
                "ID",
                AttributeType::String,
                false,
                true,
                Mutability::ReadOnly,
            ),
            (
                "externalId",
                AttributeType::String,
                false,
                true,
                Mutability::ReadWrite,
            ),
            (
                "displayName",
                AttributeType::String,
                false,
                false,
                Mutability::ReadWrite,
            ),
            (
                "emails",
                AttributeType::Complex,
                true,
                false,
                Mutability::ReadWrite,
            ),
            (
                "emails.value",
                AttributeType::String,
                false,
                false,
                Mutability::ReadWrite,
            ),
            (
                "emails.primary",
                AttributeType::Boolean,
                false,
                false,
                Mutability::ReadWrite,
            ),
            (
                "active",
                AttributeType::Boolean,
                false,
                false,
                Mutability::ReadWrite,
            ),
            (
                "meta.lastModified",
                AttributeType::DateTime,
                false,
                false,
                Mutability::ReadOnly,
            ),
            (
                "members.value",
                AttributeType::String,
                false,
                true,
                Mutability::Immutable,
            ),
            (
                "groups",
                AttributeType::Complex,
                true,
                false,
                Mutability::ReadOnly,
            ),
            (
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager",
                AttributeType::Complex,
                false,
                false,
                Mutability::ReadWrite,
            ),
        ];
        for (path, kind, multi, exact, mutability) in cases {
            let c = CoreSchema.characteristics(&AttrPath::parse(path).unwrap());
            assert_eq!(
                (c.kind, c.multi_valued, c.case_exact, c.mutability),
                (*kind, *multi, *exact, *mutability),
                "{path}"
            );
        }
    }

    #[test]
    fn extension_urns() {
        assert!(default_is_extension_schema(urn::ENTERPRISE_USER));
        assert!(default_is_extension_schema("urn:acme:custom:1.0:User"));
        assert!(!default_is_extension_schema(urn::USER));
        assert!(!default_is_extension_schema(
            "URN:IETF:PARAMS:SCIM:SCHEMAS:CORE:2.0:Group"
        ));
        assert!(!default_is_extension_schema("userName"));
        assert!(is_known_schema_urn(
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:user"
        ));
    }
}
