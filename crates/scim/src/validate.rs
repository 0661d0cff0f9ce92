//! Checking a resource against its schemas before it is stored:
//! [`SchemaRegistry::validate`] for `POST` and `PUT` bodies, [`SchemaRegistry::validate_patched`]
//! for the result of a PATCH. Both return the cleaned resource or a [`ValidationError`] naming
//! the attribute (`emails[1].primary`) and what was expected; `ScimError::from(&error)` is the
//! 400 answer.
//!
//! ## Rules
//! - The body is a JSON object (else `invalidSyntax`).
//! - `schemas` must be an array of registered schema URNs of the resource type; the core
//!   schema is added when missing (the RFC requires it, clients forget it), and so is every
//!   extension whose attributes are present. URNs are rewritten in their registered case.
//! - Every attribute must be in the core schema or a common attribute (`id`, `externalId`,
//!   `meta`); every `urn:…` key must be a registered extension of the resource type, holding an
//!   object whose keys are attributes of that extension. Anything else is refused
//!   (`invalidSyntax`), as is a name given twice in different case.
//! - Names are matched ignoring case and written in the schema's case.
//! - Values must have the attribute's type (`invalidValue` otherwise): a JSON string for
//!   string, reference and binary (base64) attributes, an xsd:dateTime string (RFC 3339, or
//!   without offset) for dateTime, an integral number for integer, any number for decimal, an
//!   object for complex attributes, `true`/`false` for booleans — the legacy strings `"True"` /
//!   `"false"` (any case) are accepted and converted. A multi-valued attribute must be an array
//!   (a single value is refused); a single-valued one must not be.
//! - `primary` may be true on at most one value of a multi-valued attribute (RFC 7643 §2.4).
//! - `null`, empty arrays and objects left empty are treated as unassigned and dropped.
//! - `readOnly` attributes (`id`, `meta`, `groups`, `manager.displayName`, `members.display`)
//!   are dropped without error, as RFC 7644 §3.5.1 has the server ignore them; in
//!   `validate_patched` they are kept as they are instead, since they are the server's own.
//! - `required` attributes (`userName`, Group `displayName`) must have a value that is not
//!   empty or blank (`invalidValue`); a required extension must be present. `readOnly`
//!   attributes are never required from a client.
//!
//! Both functions accept their own output unchanged (`validate(validate(x)) == validate(x)`),
//! so a resource can be validated again after every PATCH. Values are otherwise not rewritten:
//! strings are not trimmed, date-times keep their spelling.

use serde_json::{Map, Value};

use crate::error::{ValidationError, ValidationErrorKind};
use crate::eval::parse_date_time;
use crate::json::parse_bool;
use crate::registry::{ResourceKind, Schema, SchemaAttribute, SchemaRegistry};
use crate::schema::{AttributeType, Mutability};

impl SchemaRegistry {
    /// Checks and cleans a `POST`/`PUT` body of a `kind` resource; see the [module
    /// documentation](crate::validate) for the rules. `readOnly` attributes are dropped.
    ///
    /// ```
    /// use serde_json::json;
    /// use steward_scim::{ResourceKind, ScimError, SchemaRegistry, urn};
    ///
    /// let registry = SchemaRegistry::standard();
    /// let user = registry.validate(ResourceKind::User, &json!({
    ///     "USERNAME": "ada", "active": "True", "id": "ignored", "nickName": null
    /// }))?;
    /// assert_eq!(user, json!({"schemas": [urn::USER], "userName": "ada", "active": true}));
    ///
    /// let error = registry
    ///     .validate(ResourceKind::User, &json!({"userName": "ada", "emails": [{"value": "a@example.com", "primary": 1}]}))
    ///     .unwrap_err();
    /// assert_eq!(error.path, "emails[0].primary");
    /// let answer = ScimError::from(&error);
    /// assert_eq!(answer.status, 400);
    /// assert_eq!(answer.detail.as_deref(), Some("SCIM-V004: emails[0].primary: expected a boolean, found a number"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn validate(&self, kind: ResourceKind, resource: &Value) -> Result<Value, ValidationError> {
        Validator {
            registry: self,
            kind,
            keep_read_only: false,
        }
        .resource(resource)
    }

    /// Checks and cleans a stored `kind` resource after a PATCH was applied to it: the same
    /// rules as [`SchemaRegistry::validate`], except that `readOnly` attributes (`id`, `meta`,
    /// `groups`…) are kept as they are — `apply` refuses to change them, so they still hold
    /// the server's values.
    pub fn validate_patched(
        &self,
        kind: ResourceKind,
        resource: &Value,
    ) -> Result<Value, ValidationError> {
        Validator {
            registry: self,
            kind,
            keep_read_only: true,
        }
        .resource(resource)
    }
}

type Checked<T> = Result<T, ValidationError>;

struct Validator<'a> {
    registry: &'a SchemaRegistry,
    kind: ResourceKind,
    keep_read_only: bool,
}

/// The canonical names already seen in one object, to refuse `userName` next to `USERNAME`.
#[derive(Default)]
struct Seen(Vec<String>);

impl Seen {
    fn add(&mut self, name: &str, path: impl FnOnce() -> String) -> Checked<()> {
        if self.0.iter().any(|n| n == name) {
            return Err(ValidationError::new(path(), ValidationErrorKind::Duplicate));
        }
        self.0.push(name.to_owned());
        Ok(())
    }
}

impl Validator<'_> {
    fn resource(&self, resource: &Value) -> Checked<Value> {
        let Value::Object(map) = resource else {
            return Err(ValidationError::new(
                "",
                ValidationErrorKind::NotAnObject {
                    found: json_type(resource),
                },
            ));
        };
        let core = self.registry.core(self.kind);
        let extensions: Vec<(&Schema, bool)> = self.registry.extensions_of(self.kind).collect();
        let extension = |key: &str| {
            extensions
                .iter()
                .map(|(s, _)| *s)
                .find(|s| s.id.eq_ignore_ascii_case(key))
        };
        let mut seen = Seen::default();
        let mut schemas = vec![core.id.clone()];
        for (key, value) in map
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case("schemas"))
        {
            seen.add("schemas", || key.clone())?;
            self.schemas(value, core, &extension, &mut schemas)?;
        }

        let mut out = Map::new();
        for (key, value) in map {
            if key.eq_ignore_ascii_case("schemas") {
                continue;
            }
            if let Some(name) = ["id", "meta"]
                .into_iter()
                .find(|n| n.eq_ignore_ascii_case(key))
            {
                seen.add(name, || name.to_owned())?;
                if self.keep_read_only && !value.is_null() {
                    out.insert(name.to_owned(), value.clone());
                }
            } else if key.eq_ignore_ascii_case("externalId") {
                let mut attribute =
                    SchemaAttribute::simple("externalId", AttributeType::String, false);
                attribute.case_exact = true;
                self.insert(&mut out, &mut seen, &attribute, value, String::new())?;
            } else if let Some(attribute) = core.attribute(key) {
                self.insert(&mut out, &mut seen, attribute, value, String::new())?;
            } else if let Some(schema) = extension(key) {
                seen.add(&schema.id, || schema.id.clone())?;
                if let Some(v) = self.extension(schema, value)? {
                    if !schemas.contains(&schema.id) {
                        schemas.push(schema.id.clone());
                    }
                    out.insert(schema.id.clone(), v);
                }
            } else if starts_with_ci(key, "urn:") && !key.eq_ignore_ascii_case(&core.id) {
                return Err(self.unknown_schema(key.clone(), key));
            } else {
                return Err(ValidationError::new(
                    key.clone(),
                    ValidationErrorKind::UnknownAttribute {
                        of: core.id.clone(),
                    },
                ));
            }
        }

        self.required(&core.attributes, &out, "")?;
        for (schema, required) in &extensions {
            match out.get(&schema.id) {
                Some(Value::Object(m)) => {
                    self.required(&schema.attributes, m, &format!("{}:", schema.id))?
                }
                _ if *required => {
                    return Err(ValidationError::new(
                        schema.id.clone(),
                        ValidationErrorKind::MissingRequired,
                    ))
                }
                _ => {}
            }
        }
        out.insert(
            "schemas".to_owned(),
            Value::Array(schemas.into_iter().map(Value::String).collect()),
        );
        Ok(Value::Object(out))
    }

    /// Reads `schemas` into `out` (which starts with the core schema).
    fn schemas<'s>(
        &self,
        value: &Value,
        core: &Schema,
        extension: &dyn Fn(&str) -> Option<&'s Schema>,
        out: &mut Vec<String>,
    ) -> Checked<()> {
        let items = match value {
            Value::Null => return Ok(()),
            Value::Array(items) => items,
            other => {
                return Err(ValidationError::new(
                    "schemas",
                    ValidationErrorKind::WrongType {
                        expected: "an array of schema URNs".into(),
                        found: json_type(other).into(),
                    },
                ))
            }
        };
        for (i, item) in items.iter().enumerate() {
            let path = format!("schemas[{i}]");
            let Value::String(text) = item else {
                return Err(ValidationError::new(
                    path,
                    ValidationErrorKind::WrongType {
                        expected: "a schema URN".into(),
                        found: json_type(item).into(),
                    },
                ));
            };
            if text.eq_ignore_ascii_case(&core.id) {
                continue;
            }
            let schema = extension(text).ok_or_else(|| self.unknown_schema(path, text))?;
            if !out.contains(&schema.id) {
                out.push(schema.id.clone());
            }
        }
        Ok(())
    }

    fn unknown_schema(&self, path: String, urn: &str) -> ValidationError {
        ValidationError::new(
            path,
            ValidationErrorKind::UnknownSchema {
                urn: urn.to_owned(),
                resource_type: self.kind.name().to_owned(),
            },
        )
    }

    /// Validates one attribute of an object and inserts it under its canonical name; `prefix`
    /// is what comes before the name in error paths (`emails[0].`, `urn:…:User:`).
    fn insert(
        &self,
        out: &mut Map<String, Value>,
        seen: &mut Seen,
        attribute: &SchemaAttribute,
        value: &Value,
        prefix: String,
    ) -> Checked<()> {
        let path = prefix + &attribute.name;
        seen.add(&attribute.name, || path.clone())?;
        if let Some(v) = self.attribute(attribute, value, &path)? {
            out.insert(attribute.name.clone(), v);
        }
        Ok(())
    }

    /// The cleaned value of an attribute, `None` if it is unassigned (or dropped).
    fn attribute(
        &self,
        attribute: &SchemaAttribute,
        value: &Value,
        path: &str,
    ) -> Checked<Option<Value>> {
        if attribute.mutability == Mutability::ReadOnly {
            return Ok((self.keep_read_only && !value.is_null()).then(|| value.clone()));
        }
        let wrong = |expected: String, found: &Value| {
            ValidationError::new(
                path,
                ValidationErrorKind::WrongType {
                    expected,
                    found: json_type(found).into(),
                },
            )
        };
        match value {
            Value::Null => Ok(None),
            Value::Array(items) if attribute.multi_valued => {
                let mut values = Vec::new();
                let mut primary = false;
                for (i, item) in items.iter().enumerate() {
                    let path = format!("{path}[{i}]");
                    if item.is_array() {
                        return Err(ValidationError::new(
                            path,
                            ValidationErrorKind::WrongType {
                                expected: expected(attribute.kind).0.into(),
                                found: "an array".into(),
                            },
                        ));
                    }
                    let Some(v) = self.single(attribute, item, &path)? else {
                        continue;
                    };
                    if v.get("primary") == Some(&Value::Bool(true)) {
                        if primary {
                            return Err(ValidationError::new(
                                format!("{path}.primary"),
                                ValidationErrorKind::MultiplePrimary,
                            ));
                        }
                        primary = true;
                    }
                    values.push(v);
                }
                Ok((!values.is_empty()).then_some(Value::Array(values)))
            }
            other if attribute.multi_valued => Err(wrong(
                format!("an array of {}", expected(attribute.kind).1),
                other,
            )),
            Value::Array(_) => Err(wrong(
                format!(
                    "{} (the attribute is single-valued)",
                    expected(attribute.kind).0
                ),
                value,
            )),
            other => self.single(attribute, other, path),
        }
    }

    /// One value (of a single-valued attribute, or one element of a multi-valued one).
    fn single(
        &self,
        attribute: &SchemaAttribute,
        value: &Value,
        path: &str,
    ) -> Checked<Option<Value>> {
        use AttributeType as T;
        let wrong = |found: String| {
            Err(ValidationError::new(
                path,
                ValidationErrorKind::WrongType {
                    expected: expected(attribute.kind).0.into(),
                    found,
                },
            ))
        };
        match (attribute.kind, value) {
            (_, Value::Null) => Ok(None),
            (T::String | T::Reference, Value::String(_)) | (T::Boolean, Value::Bool(_)) => {
                Ok(Some(value.clone()))
            }
            (T::Boolean, Value::String(s)) => match parse_bool(s) {
                Some(b) => Ok(Some(Value::Bool(b))),
                None => wrong(quoted(s)),
            },
            (T::Integer, Value::Number(n)) if n.is_i64() || n.is_u64() => Ok(Some(value.clone())),
            (T::Integer, Value::Number(n)) => wrong(format!("the number {n}")),
            (T::Decimal, Value::Number(_)) => Ok(Some(value.clone())),
            (T::DateTime, Value::String(s)) if parse_date_time(s).is_some() => {
                Ok(Some(value.clone()))
            }
            (T::Binary, Value::String(s)) if is_base64(s) => Ok(Some(value.clone())),
            (T::DateTime | T::Binary, Value::String(s)) => wrong(quoted(s)),
            (T::Complex, Value::Object(map)) => self.complex(attribute, map, path),
            // Entra sends the enterprise manager as its bare id; a single-valued complex
            // attribute with a `value` reads a string as that value.
            (T::Complex, Value::String(s))
                if !attribute.multi_valued && attribute.sub_attribute("value").is_some() =>
            {
                let mut map = Map::new();
                map.insert("value".into(), Value::String(s.clone()));
                self.complex(attribute, &map, path)
            }
            (_, other) => wrong(json_type(other).into()),
        }
    }

    fn complex(
        &self,
        attribute: &SchemaAttribute,
        map: &Map<String, Value>,
        path: &str,
    ) -> Checked<Option<Value>> {
        let mut out = Map::new();
        let mut seen = Seen::default();
        for (key, value) in map {
            let Some(sub) = attribute.sub_attribute(key) else {
                return Err(ValidationError::new(
                    format!("{path}.{key}"),
                    ValidationErrorKind::UnknownAttribute {
                        of: attribute.name.clone(),
                    },
                ));
            };
            self.insert(&mut out, &mut seen, sub, value, format!("{path}."))?;
        }
        if out.is_empty() {
            return Ok(None);
        }
        self.required(&attribute.sub_attributes, &out, &format!("{path}."))?;
        Ok(Some(Value::Object(out)))
    }

    /// The object under an extension URN.
    fn extension(&self, schema: &Schema, value: &Value) -> Checked<Option<Value>> {
        let map = match value {
            Value::Null => return Ok(None),
            Value::Object(map) => map,
            other => {
                return Err(ValidationError::new(
                    schema.id.clone(),
                    ValidationErrorKind::WrongType {
                        expected: "an object holding the extension's attributes".into(),
                        found: json_type(other).into(),
                    },
                ))
            }
        };
        let mut out = Map::new();
        let mut seen = Seen::default();
        for (key, value) in map {
            // Some clients (python scim2-models among them) serialise an extension with its
            // own `schemas` list inside; it says nothing the key does not, so it is dropped.
            if key.eq_ignore_ascii_case("schemas") {
                continue;
            }
            let Some(attribute) = schema.attribute(key) else {
                return Err(ValidationError::new(
                    format!("{}:{key}", schema.id),
                    ValidationErrorKind::UnknownAttribute {
                        of: schema.id.clone(),
                    },
                ));
            };
            self.insert(
                &mut out,
                &mut seen,
                attribute,
                value,
                format!("{}:", schema.id),
            )?;
        }
        Ok((!out.is_empty()).then_some(Value::Object(out)))
    }

    /// Every required (and writable) attribute of `attributes` has a value in `map`.
    fn required(
        &self,
        attributes: &[SchemaAttribute],
        map: &Map<String, Value>,
        prefix: &str,
    ) -> Checked<()> {
        let missing = attributes.iter().find(|a| {
            a.required
                && a.mutability != Mutability::ReadOnly
                && !map.get(&a.name).is_some_and(has_value)
        });
        match missing {
            Some(a) => Err(ValidationError::new(
                format!("{prefix}{}", a.name),
                ValidationErrorKind::MissingRequired,
            )),
            None => Ok(()),
        }
    }
}

/// A cleaned value counts unless it is a blank string (nulls and empty arrays and objects are
/// already gone).
fn has_value(value: &Value) -> bool {
    match value {
        Value::String(s) => !s.trim().is_empty(),
        Value::Null => false,
        _ => true,
    }
}

/// What a value of the type looks like: one, and several.
fn expected(kind: AttributeType) -> (&'static str, &'static str) {
    match kind {
        AttributeType::String => ("a string", "strings"),
        AttributeType::Boolean => ("a boolean", "booleans"),
        AttributeType::Decimal => ("a number", "numbers"),
        AttributeType::Integer => ("an integer", "integers"),
        AttributeType::DateTime => (
            "a date-time string such as \"2008-01-23T04:56:22Z\"",
            "date-time strings",
        ),
        AttributeType::Binary => ("a base64-encoded string", "base64-encoded strings"),
        AttributeType::Reference => ("a reference (a URI string)", "references (URI strings)"),
        AttributeType::Complex => ("an object", "objects"),
    }
}

fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// `the string "…"`, long strings cut (the detail goes back to the client and into logs).
fn quoted(text: &str) -> String {
    const MAX: usize = 40;
    match text.char_indices().nth(MAX) {
        Some((end, _)) => format!("the string {:?}…", &text[..end]),
        None => format!("the string {text:?}"),
    }
}

fn starts_with_ci(text: &str, prefix: &str) -> bool {
    text.get(..prefix.len())
        .is_some_and(|p| p.eq_ignore_ascii_case(prefix))
}

/// Base64 (RFC 4648, standard or URL-safe alphabet), padding optional, white space (line
/// breaks of PEM-style bodies) ignored.
fn is_base64(text: &str) -> bool {
    let body: Vec<u8> = text.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    let data = body
        .iter()
        .rposition(|&b| b != b'=')
        .map_or(&body[..0], |last| &body[..=last]);
    let padding = body.len() - data.len();
    padding <= 2
        && data
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'-' | b'_'))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::types::{urn, ScimError, ScimType};

    const ENT: &str = urn::ENTERPRISE_USER;

    fn registry() -> SchemaRegistry {
        let mut r = SchemaRegistry::standard();
        let mut badge = SchemaAttribute::simple("badge", AttributeType::Integer, false);
        badge.required = true;
        let custom = Schema::new(
            urn::STEWARD_USER,
            "StewardUser",
            "",
            vec![
                badge,
                SchemaAttribute::simple("score", AttributeType::Decimal, false),
                SchemaAttribute::simple("hired", AttributeType::DateTime, false),
                SchemaAttribute::simple("tags", AttributeType::String, true),
                SchemaAttribute::simple("remote", AttributeType::Boolean, false),
            ],
        );
        r.add_extension(ResourceKind::User, custom, false).unwrap();
        r
    }

    fn user(extra: Value) -> Value {
        let mut u = json!({"schemas": [urn::USER], "userName": "bjensen"});
        for (k, v) in extra.as_object().unwrap() {
            u[k] = v.clone();
        }
        u
    }

    #[test]
    fn accepted_resources_are_cleaned() {
        let s = urn::STEWARD_USER;
        let cases: Vec<(&str, ResourceKind, Value, Value)> = vec![
            // what, type, input, output
            (
                "minimal user; schemas added",
                ResourceKind::User,
                json!({"userName": "bjensen"}),
                json!({"schemas": [urn::USER], "userName": "bjensen"}),
            ),
            (
                "canonical case of names and URNs",
                ResourceKind::User,
                json!({"SCHEMAS": ["URN:IETF:PARAMS:SCIM:SCHEMAS:CORE:2.0:USER"],
                       "USERNAME": "bjensen", "Name": {"GIVENNAME": "Barbara"},
                       "EMAILS": [{"VALUE": "b@example.com", "Type": "work", "PRIMARY": true}],
                       "externalid": "701984",
                       "urn:ietf:params:scim:schemas:extension:enterprise:2.0:user": {"EMPLOYEENUMBER": "7"}}),
                json!({"schemas": [urn::USER, ENT], "userName": "bjensen",
                       "name": {"givenName": "Barbara"},
                       "emails": [{"value": "b@example.com", "type": "work", "primary": true}],
                       "externalId": "701984",
                       ENT: {"employeeNumber": "7"}}),
            ),
            (
                "readOnly attributes dropped",
                ResourceKind::User,
                user(json!({"id": "2819c223", "meta": {"resourceType": "User"},
                            "groups": [{"value": "g1", "display": "Ops"}],
                            ENT: {"manager": {"value": "m1", "displayName": "Boss"}}})),
                json!({"schemas": [urn::USER, ENT], "userName": "bjensen",
                       ENT: {"manager": {"value": "m1"}}}),
            ),
            (
                "an extension left empty is dropped",
                ResourceKind::User,
                user(json!({ENT: {"manager": {"displayName": "Boss"}, "department": null}})),
                json!({"schemas": [urn::USER], "userName": "bjensen"}),
            ),
            (
                "boolean strings",
                ResourceKind::User,
                user(json!({"active": "False",
                            "emails": [{"value": "a@b.c", "primary": "TRUE"}, {"value": "b@b.c", "primary": "false"}]})),
                json!({"schemas": [urn::USER], "userName": "bjensen", "active": false,
                       "emails": [{"value": "a@b.c", "primary": true}, {"value": "b@b.c", "primary": false}]}),
            ),
            (
                "nulls and empty arrays are absent",
                ResourceKind::User,
                user(
                    json!({"nickName": null, "emails": [], "phoneNumbers": [null, {"value": null}],
                            "name": {"givenName": null}}),
                ),
                json!({"schemas": [urn::USER], "userName": "bjensen"}),
            ),
            (
                "all types of the custom extension; listed extension kept",
                ResourceKind::User,
                user(json!({"schemas": [urn::USER, s],
                            s: {"badge": 42, "score": 1.5, "hired": "2008-01-23T04:56:22Z",
                                "tags": ["a", "b"], "remote": "true"},
                            "x509Certificates": [{"value": "MIIDQzCCAqygAwIBAgICEAAw\nDQYJKoZIhvcNAQEFBQAw=="}],
                            "photos": [{"value": "https://photos.example.com/profile/1.jpg", "type": "photo"}]})),
                json!({"schemas": [urn::USER, s], "userName": "bjensen",
                       s: {"badge": 42, "score": 1.5, "hired": "2008-01-23T04:56:22Z",
                           "tags": ["a", "b"], "remote": true},
                       "x509Certificates": [{"value": "MIIDQzCCAqygAwIBAgICEAAw\nDQYJKoZIhvcNAQEFBQAw=="}],
                       "photos": [{"value": "https://photos.example.com/profile/1.jpg", "type": "photo"}]}),
            ),
            (
                "a date-time without offset; an integral decimal",
                ResourceKind::User,
                user(json!({s: {"badge": 1, "hired": "2008-01-23T04:56:22", "score": 3}})),
                json!({"schemas": [urn::USER, s], "userName": "bjensen",
                       s: {"badge": 1, "hired": "2008-01-23T04:56:22", "score": 3}}),
            ),
            (
                "group with members; display is readOnly",
                ResourceKind::Group,
                json!({"schemas": [urn::GROUP], "displayname": "Tour Guides",
                       "members": [{"value": "2819c223", "$REF": "https://example.com/v2/Users/2819c223",
                                    "type": "User", "display": "Babs"}]}),
                json!({"schemas": [urn::GROUP], "displayName": "Tour Guides",
                       "members": [{"value": "2819c223", "$ref": "https://example.com/v2/Users/2819c223",
                                    "type": "User"}]}),
            ),
            (
                "password is writeOnly, not readOnly: kept",
                ResourceKind::User,
                user(json!({"password": "t1meMa$heen"})),
                user(json!({"password": "t1meMa$heen"})),
            ),
        ];
        let registry = registry();
        for (what, kind, input, expected) in cases {
            let got = registry.validate(kind, &input);
            assert_eq!(got, Ok(expected), "{what}");
        }
    }

    #[test]
    fn refused_resources_name_the_attribute() {
        use ScimType::{InvalidSyntax, InvalidValue};
        let s = urn::STEWARD_USER;
        let cases: Vec<(ResourceKind, Value, &str, &str, ScimType)> = vec![
            // type, input, path, code, scimType
            (
                ResourceKind::User,
                json!([]),
                "",
                "SCIM-V001",
                InvalidSyntax,
            ),
            (
                ResourceKind::User,
                json!("bjensen"),
                "",
                "SCIM-V001",
                InvalidSyntax,
            ),
            (
                ResourceKind::User,
                user(json!({"nosuch": 1})),
                "nosuch",
                "SCIM-V002",
                InvalidSyntax,
            ),
            (
                ResourceKind::User,
                user(json!({"emails": [{"value": "a@b.c"}, {"valu": "x"}]})),
                "emails[1].valu",
                "SCIM-V002",
                InvalidSyntax,
            ),
            (
                ResourceKind::User,
                user(json!({ENT: {"manager": {"id": "x"}}})),
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.id",
                "SCIM-V002",
                InvalidSyntax,
            ),
            (
                ResourceKind::User,
                user(json!({ENT: {"costcentre": "x"}})),
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:costcentre",
                "SCIM-V002",
                InvalidSyntax,
            ),
            // Group attributes are not User attributes, and the other way round.
            (
                ResourceKind::User,
                user(json!({"members": []})),
                "members",
                "SCIM-V002",
                InvalidSyntax,
            ),
            (
                ResourceKind::Group,
                json!({"displayName": "x", "userName": "y"}),
                "userName",
                "SCIM-V002",
                InvalidSyntax,
            ),
            (
                ResourceKind::User,
                user(json!({"schemas": [urn::USER, "urn:acme:1.0:User"]})),
                "schemas[1]",
                "SCIM-V003",
                InvalidSyntax,
            ),
            (
                ResourceKind::Group,
                json!({"schemas": [urn::GROUP, ENT], "displayName": "x"}),
                "schemas[1]",
                "SCIM-V003",
                InvalidSyntax,
            ),
            (
                ResourceKind::User,
                user(json!({"urn:acme:1.0:User": {"x": 1}})),
                "urn:acme:1.0:User",
                "SCIM-V003",
                InvalidSyntax,
            ),
            (
                ResourceKind::Group,
                json!({"displayName": "x", ENT: {"department": "y"}}),
                ENT,
                "SCIM-V003",
                InvalidSyntax,
            ),
            (
                ResourceKind::User,
                user(json!({"schemas": urn::USER})),
                "schemas",
                "SCIM-V004",
                InvalidValue,
            ),
            (
                ResourceKind::User,
                user(json!({"schemas": [urn::USER, 7]})),
                "schemas[1]",
                "SCIM-V004",
                InvalidValue,
            ),
            (
                ResourceKind::User,
                json!({"userName": 42}),
                "userName",
                "SCIM-V004",
                InvalidValue,
            ),
            (
                ResourceKind::User,
                user(json!({"active": "yes"})),
                "active",
                "SCIM-V004",
                InvalidValue,
            ),
            (
                ResourceKind::User,
                user(json!({"active": 1})),
                "active",
                "SCIM-V004",
                InvalidValue,
            ),
            (
                ResourceKind::User,
                user(
                    json!({"emails": [{"value": "a@b.c", "primary": "maybe"}, {"value": "b@b.c"}]}),
                ),
                "emails[0].primary",
                "SCIM-V004",
                InvalidValue,
            ),
            (
                ResourceKind::User,
                user(json!({"emails": [{"value": "a@b.c"}, {"value": "b@b.c", "primary": 1}]})),
                "emails[1].primary",
                "SCIM-V004",
                InvalidValue,
            ),
            // A single value where an array is expected, and the other way round.
            (
                ResourceKind::User,
                user(json!({"emails": {"value": "a@b.c"}})),
                "emails",
                "SCIM-V004",
                InvalidValue,
            ),
            (
                ResourceKind::User,
                user(json!({"displayName": ["a"]})),
                "displayName",
                "SCIM-V004",
                InvalidValue,
            ),
            (
                ResourceKind::User,
                user(json!({"emails": [[{"value": "a@b.c"}]]})),
                "emails[0]",
                "SCIM-V004",
                InvalidValue,
            ),
            (
                ResourceKind::User,
                user(json!({"emails": ["a@b.c"]})),
                "emails[0]",
                "SCIM-V004",
                InvalidValue,
            ),
            (
                ResourceKind::User,
                user(json!({"name": "Barbara Jensen"})),
                "name",
                "SCIM-V004",
                InvalidValue,
            ),
            (
                ResourceKind::User,
                user(json!({ENT: "Tours"})),
                ENT,
                "SCIM-V004",
                InvalidValue,
            ),
            (
                ResourceKind::User,
                user(json!({s: {"badge": 1.5}})),
                "urn:ietf:params:scim:schemas:extension:steward:2.0:User:badge",
                "SCIM-V004",
                InvalidValue,
            ),
            (
                ResourceKind::User,
                user(json!({s: {"badge": "1"}})),
                "urn:ietf:params:scim:schemas:extension:steward:2.0:User:badge",
                "SCIM-V004",
                InvalidValue,
            ),
            (
                ResourceKind::User,
                user(json!({s: {"badge": 1, "score": "1.5"}})),
                "urn:ietf:params:scim:schemas:extension:steward:2.0:User:score",
                "SCIM-V004",
                InvalidValue,
            ),
            (
                ResourceKind::User,
                user(json!({s: {"badge": 1, "hired": "yesterday"}})),
                "urn:ietf:params:scim:schemas:extension:steward:2.0:User:hired",
                "SCIM-V004",
                InvalidValue,
            ),
            (
                ResourceKind::User,
                user(json!({s: {"badge": 1, "tags": "a"}})),
                "urn:ietf:params:scim:schemas:extension:steward:2.0:User:tags",
                "SCIM-V004",
                InvalidValue,
            ),
            (
                ResourceKind::User,
                user(json!({s: {"badge": 1, "tags": ["a", 2]}})),
                "urn:ietf:params:scim:schemas:extension:steward:2.0:User:tags[1]",
                "SCIM-V004",
                InvalidValue,
            ),
            (
                ResourceKind::User,
                user(json!({"x509Certificates": [{"value": "not base64!"}]})),
                "x509Certificates[0].value",
                "SCIM-V004",
                InvalidValue,
            ),
            (
                ResourceKind::User,
                user(json!({"profileUrl": 7})),
                "profileUrl",
                "SCIM-V004",
                InvalidValue,
            ),
            (
                ResourceKind::User,
                user(json!({"externalId": 7})),
                "externalId",
                "SCIM-V004",
                InvalidValue,
            ),
            // Required attributes.
            (
                ResourceKind::User,
                json!({"displayName": "Babs"}),
                "userName",
                "SCIM-V005",
                InvalidValue,
            ),
            (
                ResourceKind::User,
                json!({"userName": ""}),
                "userName",
                "SCIM-V005",
                InvalidValue,
            ),
            (
                ResourceKind::User,
                json!({"userName": "  "}),
                "userName",
                "SCIM-V005",
                InvalidValue,
            ),
            (
                ResourceKind::User,
                json!({"userName": null}),
                "userName",
                "SCIM-V005",
                InvalidValue,
            ),
            (
                ResourceKind::Group,
                json!({"members": [{"value": "1"}]}),
                "displayName",
                "SCIM-V005",
                InvalidValue,
            ),
            // A present extension must have its required attributes.
            (
                ResourceKind::User,
                user(json!({s: {"score": 1}})),
                "urn:ietf:params:scim:schemas:extension:steward:2.0:User:badge",
                "SCIM-V005",
                InvalidValue,
            ),
            // Names twice.
            (
                ResourceKind::User,
                json!({"userName": "a", "USERNAME": "b"}),
                "userName",
                "SCIM-V006",
                InvalidSyntax,
            ),
            (
                ResourceKind::User,
                user(json!({"name": {"givenName": "a", "GivenName": "b"}})),
                "name.givenName",
                "SCIM-V006",
                InvalidSyntax,
            ),
            (
                ResourceKind::User,
                user(json!({"ID": "1", "id": "2"})),
                "id",
                "SCIM-V006",
                InvalidSyntax,
            ),
            // primary at most once.
            (
                ResourceKind::User,
                user(
                    json!({"emails": [{"value": "a@b.c", "primary": true}, {"value": "b@b.c", "primary": "True"}]}),
                ),
                "emails[1].primary",
                "SCIM-V007",
                InvalidValue,
            ),
        ];
        let registry = registry();
        for (kind, input, path, code, scim_type) in cases {
            let error = registry.validate(kind, &input).unwrap_err();
            assert_eq!(
                (error.path.as_str(), error.code(), error.scim_type()),
                (path, code, scim_type.clone()),
                "{input} gave {error}"
            );
            let answer = ScimError::from(&error);
            assert_eq!(answer.status, 400);
            assert_eq!(answer.scim_type, Some(scim_type));
            let detail = answer.detail.unwrap();
            assert!(
                detail.starts_with(code) && detail.contains(path),
                "{detail}"
            );
        }
    }

    #[test]
    fn messages_say_what_was_expected() {
        let registry = registry();
        let detail = |kind, v: Value| registry.validate(kind, &v).unwrap_err().to_string();
        let cases: Vec<(ResourceKind, Value, &str)> = vec![
            (ResourceKind::User, json!(null), "the resource must be a JSON object, not null"),
            (ResourceKind::User, user(json!({"nosuch": 1})), "nosuch: not an attribute of urn:ietf:params:scim:schemas:core:2.0:User"),
            (ResourceKind::User, user(json!({"emails": {"value": "a"}})), "emails: expected an array of objects, found an object"),
            (ResourceKind::User, user(json!({"title": ["a"]})), "title: expected a string (the attribute is single-valued), found an array"),
            (ResourceKind::User, user(json!({"active": "yes"})), "active: expected a boolean, found the string \"yes\""),
            (ResourceKind::User, user(json!({urn::STEWARD_USER: {"badge": 2.5}})), "urn:ietf:params:scim:schemas:extension:steward:2.0:User:badge: expected an integer, found the number 2.5"),
            (ResourceKind::Group, json!({"schemas": [urn::USER], "displayName": "x"}), "schemas[0]: urn:ietf:params:scim:schemas:core:2.0:User is not a schema of Group resources"),
            (ResourceKind::Group, json!({}), "displayName: the attribute is required and must have a non-empty value"),
        ];
        for (kind, input, expected) in cases {
            assert_eq!(detail(kind, input), expected);
        }
        let long = "x".repeat(100);
        assert!(detail(
            ResourceKind::User,
            user(json!({urn::STEWARD_USER: {"badge": 1, "hired": long}}))
        )
        .ends_with(&format!("found the string \"{}\"…", "x".repeat(40))));
    }

    #[test]
    fn required_extensions_must_be_present() {
        let mut registry = SchemaRegistry::standard();
        let custom = Schema::new(
            urn::STEWARD_GROUP,
            "StewardGroup",
            "",
            vec![SchemaAttribute::simple(
                "costCode",
                AttributeType::String,
                false,
            )],
        );
        registry
            .add_extension(ResourceKind::Group, custom, true)
            .unwrap();
        let error = registry
            .validate(ResourceKind::Group, &json!({"displayName": "Ops"}))
            .unwrap_err();
        assert_eq!(
            (error.path.as_str(), error.code()),
            (urn::STEWARD_GROUP, "SCIM-V005")
        );
        let ok = registry
            .validate(
                ResourceKind::Group,
                &json!({"displayName": "Ops", urn::STEWARD_GROUP: {"costcode": "C1"}}),
            )
            .unwrap();
        assert_eq!(
            ok,
            json!({"schemas": [urn::GROUP, urn::STEWARD_GROUP], "displayName": "Ops",
                   urn::STEWARD_GROUP: {"costCode": "C1"}})
        );
    }

    /// The RFC 7643 §8.2 full User and §8.3 enterprise User bodies (less the readOnly
    /// attributes a client would not send), and a few odd ones.
    fn samples() -> Vec<(ResourceKind, Value)> {
        vec![
            (
                ResourceKind::User,
                json!({
                    "schemas": [urn::USER, ENT],
                    "id": "2819c223-7f76-453a-919d-413861904646",
                    "externalId": "701984",
                    "userName": "bjensen@example.com",
                    "name": {"formatted": "Ms. Barbara J Jensen, III", "familyName": "Jensen",
                             "givenName": "Barbara", "middleName": "Jane",
                             "honorificPrefix": "Ms.", "honorificSuffix": "III"},
                    "displayName": "Babs Jensen", "nickName": "Babs",
                    "profileUrl": "https://login.example.com/bjensen",
                    "emails": [{"value": "bjensen@example.com", "type": "work", "primary": true},
                               {"value": "babs@jensen.org", "type": "home"}],
                    "addresses": [{"type": "work", "streetAddress": "100 Universal City Plaza",
                                   "locality": "Hollywood", "region": "CA", "postalCode": "91608",
                                   "country": "USA",
                                   "formatted": "100 Universal City Plaza\nHollywood, CA 91608 USA",
                                   "primary": true}],
                    "phoneNumbers": [{"value": "555-555-5555", "type": "work"}],
                    "ims": [{"value": "someaimhandle", "type": "aim"}],
                    "photos": [{"value": "https://photos.example.com/profilephoto/72930000000Ccne/F",
                                "type": "photo"}],
                    "userType": "Employee", "title": "Tour Guide", "preferredLanguage": "en-US",
                    "locale": "en-US", "timezone": "America/Los_Angeles", "active": true,
                    "password": "t1meMa$heen",
                    "groups": [{"value": "e9e30dba-f08f-4109-8486-d5c6a331660a",
                                "$ref": "https://example.com/v2/Groups/e9e30dba-f08f-4109-8486-d5c6a331660a",
                                "display": "Tour Guides"}],
                    "x509Certificates": [{"value": "MIIDQzCCAqygAwIBAgICEAAwDQYJKoZIhvcNAQEFBQAwTjELMAkGA1UEBhMCVVMx"}],
                    ENT: {"employeeNumber": "701984", "costCenter": "4130",
                          "organization": "Universal Studios", "division": "Theme Park",
                          "department": "Tour Operations",
                          "manager": {"value": "26118915-6090-4610-87e4-49d8ca9f808d",
                                      "$ref": "../Users/26118915-6090-4610-87e4-49d8ca9f808d",
                                      "displayName": "John Smith"}},
                    "meta": {"resourceType": "User", "created": "2010-01-23T04:56:22Z",
                             "lastModified": "2011-05-13T04:42:34Z",
                             "version": "W/\"3694e05e9dff591\""}
                }),
            ),
            (
                ResourceKind::User,
                json!({"UserName": "x", "Active": "TRUE", "EMAILS": [{"Primary": "false", "value": "a"}],
                       "urn:ietf:params:scim:schemas:extension:enterprise:2.0:user": {"Manager": {"Value": "m"}},
                       "urn:ietf:params:scim:schemas:extension:steward:2.0:User": {"badge": 1, "tags": [null, "a"]}}),
            ),
            (
                ResourceKind::Group,
                json!({"schemas": [urn::GROUP], "id": "e9e30dba", "displayName": "Tour Guides",
                       "members": [{"value": "2819c223", "display": "Babs Jensen", "type": "User"},
                                   {"value": "902c246b", "$ref": "https://example.com/v2/Users/902c246b"}],
                       "meta": {"resourceType": "Group"}}),
            ),
        ]
    }

    #[test]
    fn validate_accepts_its_own_output_unchanged() {
        let registry = registry();
        for (kind, sample) in samples() {
            for validate in [SchemaRegistry::validate, SchemaRegistry::validate_patched] {
                let once = validate(&registry, kind, &sample).unwrap();
                let twice = validate(&registry, kind, &once).unwrap();
                assert_eq!(once, twice, "{sample}");
            }
        }
    }

    #[test]
    fn validate_patched_keeps_read_only_attributes() {
        let registry = registry();
        let stored = json!({
            "schemas": [urn::USER, ENT], "id": "1", "userName": "bjensen",
            "meta": {"resourceType": "User", "version": "W/\"1\""},
            "groups": [{"value": "g1", "display": "Ops"}],
            ENT: {"manager": {"value": "m1", "displayName": "Boss"}}
        });
        let mut patched = stored.clone();
        let mut patch: crate::PatchOp = serde_json::from_value(json!({
            "schemas": [urn::PATCH_OP],
            "Operations": [{"op": "Replace", "path": "active", "value": "False"},
                           {"op": "add", "path": "emails", "value": [{"value": "b@example.com", "primary": true}]}]
        }))
        .unwrap();
        patch.normalize(&registry);
        patch.apply(&mut patched, &registry).unwrap();
        let mut expected = stored.clone();
        expected["active"] = json!(false);
        expected["emails"] = json!([{"value": "b@example.com", "primary": true}]);
        assert_eq!(
            registry.validate_patched(ResourceKind::User, &patched),
            Ok(expected)
        );
        // The same result through `validate` has no readOnly attributes.
        let cleaned = registry.validate(ResourceKind::User, &patched).unwrap();
        for key in ["id", "meta", "groups"] {
            assert!(cleaned.get(key).is_none(), "{key}");
        }
        assert_eq!(cleaned[ENT], json!({"manager": {"value": "m1"}}));

        // A PATCH that removes a required attribute leaves a resource that is refused.
        let mut removed = stored;
        let patch: crate::PatchOp = serde_json::from_value(json!({
            "Operations": [{"op": "remove", "path": "userName"}]
        }))
        .unwrap();
        patch.apply(&mut removed, &registry).unwrap();
        let error = registry
            .validate_patched(ResourceKind::User, &removed)
            .unwrap_err();
        assert_eq!(
            (error.path.as_str(), error.code()),
            ("userName", "SCIM-V005")
        );
    }

    #[test]
    fn base64() {
        for (text, ok) in [
            ("", true),
            ("TWFu", true),
            ("TWE=", true),
            ("TQ==", true),
            ("TQ", true),
            ("a-_b", true),
            ("TW\r\nFu", true),
            ("TQ===", false),
            ("T=Q=", false),
            ("not base64!", false),
        ] {
            assert_eq!(is_base64(text), ok, "{text:?}");
        }
    }

    #[test]
    fn a_schemas_list_inside_an_extension_is_dropped() {
        let r = SchemaRegistry::standard();
        let out = r
            .validate(
                ResourceKind::User,
                &json!({"userName": "ada",
                        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {
                            "schemas": ["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
                            "department": "R&D"}}),
            )
            .unwrap();
        assert_eq!(
            out["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
            json!({"department": "R&D"})
        );
    }

    #[test]
    fn a_bare_string_is_the_value_of_a_single_valued_complex_attribute() {
        let r = SchemaRegistry::standard();
        let out = r
            .validate(
                ResourceKind::User,
                &json!({"userName": "ada",
                        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"manager": "42"}}),
            )
            .unwrap();
        assert_eq!(
            out["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"]["manager"],
            json!({"value": "42"})
        );
        // Not for multi-valued ones: an email must be an object in an array.
        assert!(r
            .validate(
                ResourceKind::User,
                &json!({"userName": "ada", "emails": ["a@b.c"]})
            )
            .is_err());
    }
}
