//! The `attributes` / `excludedAttributes` parameters (RFC 7644 §3.4.2.5, §3.9) as a pure
//! function on a JSON resource, following the `returned` characteristic (RFC 7643 §7):
//!
//! - `always` (`id`, `schemas`) is kept whatever was asked; `never` (`password`) is dropped
//!   whatever was asked;
//! - with `attributes`, only the listed attributes (and `always` ones) are kept; naming a
//!   sub-attribute (`name.givenName`) keeps only that part of a complex attribute, naming an
//!   extension URN keeps the whole extension;
//! - without `attributes`, `default` attributes are kept unless listed in
//!   `excludedAttributes`, and `request` attributes are dropped;
//! - when both are given, `attributes` wins and `excludedAttributes` is ignored (the RFC
//!   expects only one of them).
//!
//! Names compare case-insensitively; a name without a URN also matches an extension attribute
//! of that name.

use serde_json::{Map, Value};

use crate::path::AttrPath;
use crate::schema::{AttributeCharacteristics, Returned};

/// The projected copy of `resource` (returned unchanged if it is not an object).
pub fn project(
    resource: &Value,
    attributes: &[AttrPath],
    excluded: &[AttrPath],
    characteristics: &dyn AttributeCharacteristics,
) -> Value {
    let Value::Object(map) = resource else {
        return resource.clone();
    };
    let excluded: &[AttrPath] = if attributes.is_empty() { excluded } else { &[] };
    let ctx = Ctx {
        attributes,
        excluded,
        characteristics,
    };
    let mut out = Map::new();
    for (key, value) in map {
        let is_extension = value.is_object() && characteristics.is_extension_schema(key);
        if is_extension {
            if let Some(v) = ctx.extension(key, value) {
                out.insert(key.clone(), v);
            }
        } else if let Some(v) = ctx.attribute(None, key, value) {
            out.insert(key.clone(), v);
        }
    }
    Value::Object(out)
}

struct Ctx<'a> {
    attributes: &'a [AttrPath],
    excluded: &'a [AttrPath],
    characteristics: &'a dyn AttributeCharacteristics,
}

/// Whether `p` names the attribute `name` in the container `urn` (None: top level).
fn names(
    p: &AttrPath,
    urn: Option<&str>,
    name: &str,
    characteristics: &dyn AttributeCharacteristics,
) -> bool {
    if !p.name.eq_ignore_ascii_case(name) {
        return false;
    }
    match (&p.urn, urn) {
        (None, _) => true,
        (Some(a), Some(b)) => a.eq_ignore_ascii_case(b),
        (Some(a), None) => !characteristics.is_extension_schema(a),
    }
}

/// Whether `p` names the whole extension `key`.
fn names_extension(p: &AttrPath, key: &str) -> bool {
    p.sub_attr.is_none() && p.full_name().eq_ignore_ascii_case(key)
}

impl Ctx<'_> {
    fn extension(&self, key: &str, value: &Value) -> Option<Value> {
        let Value::Object(map) = value else {
            return None;
        };
        if self.excluded.iter().any(|p| names_extension(p, key)) {
            return None;
        }
        let whole = self.attributes.iter().any(|p| names_extension(p, key));
        let mut out = Map::new();
        for (name, v) in map {
            let kept = if whole {
                self.strip_never(Some(key), name, v)
            } else {
                self.attribute(Some(key), name, v)
            };
            if let Some(v) = kept {
                out.insert(name.clone(), v);
            }
        }
        (!out.is_empty()).then_some(Value::Object(out))
    }

    fn describe(&self, urn: Option<&str>, name: &str) -> AttrPath {
        let p = AttrPath::new(name);
        match urn {
            Some(u) => p.with_urn(u),
            None => p,
        }
    }

    /// The attribute kept whole, only without `never` sub-attributes.
    fn strip_never(&self, urn: Option<&str>, name: &str, value: &Value) -> Option<Value> {
        let path = self.describe(urn, name);
        if self.characteristics.characteristics(&path).returned == Returned::Never {
            return None;
        }
        Some(self.filter_subs(&path, value, |sub| {
            self.characteristics
                .characteristics(&path.with_sub(sub))
                .returned
                != Returned::Never
        }))
    }

    fn attribute(&self, urn: Option<&str>, name: &str, value: &Value) -> Option<Value> {
        let path = self.describe(urn, name);
        let returned = self.characteristics.characteristics(&path).returned;
        let sub_returned = |sub: &str| {
            self.characteristics
                .characteristics(&path.with_sub(sub))
                .returned
        };
        match returned {
            Returned::Never => return None,
            Returned::Always => return self.strip_never(urn, name, value),
            Returned::Default | Returned::Request => {}
        }
        let ch = self.characteristics;
        if !self.attributes.is_empty() {
            let asked: Vec<&AttrPath> = self
                .attributes
                .iter()
                .filter(|p| names(p, urn, name, ch))
                .collect();
            if asked.is_empty() {
                return None;
            }
            if asked.iter().any(|p| p.sub_attr.is_none()) {
                return self.strip_never(urn, name, value);
            }
            let kept = self.filter_subs(&path, value, |sub| {
                sub_returned(sub) == Returned::Always
                    || (sub_returned(sub) != Returned::Never
                        && asked.iter().any(|p| {
                            p.sub_attr
                                .as_deref()
                                .is_some_and(|s| s.eq_ignore_ascii_case(sub))
                        }))
            });
            return Some(kept);
        }
        if returned == Returned::Request {
            return None;
        }
        let excluded: Vec<&AttrPath> = self
            .excluded
            .iter()
            .filter(|p| names(p, urn, name, ch))
            .collect();
        if excluded.iter().any(|p| p.sub_attr.is_none()) {
            return None;
        }
        Some(self.filter_subs(&path, value, |sub| {
            let r = sub_returned(sub);
            r == Returned::Always
                || (r == Returned::Default
                    && !excluded.iter().any(|p| {
                        p.sub_attr
                            .as_deref()
                            .is_some_and(|s| s.eq_ignore_ascii_case(sub))
                    }))
        }))
    }

    /// Keeps the sub-attributes of a complex (or multi-valued complex) value that `keep`
    /// accepts; simple values pass through.
    fn filter_subs(&self, _path: &AttrPath, value: &Value, keep: impl Fn(&str) -> bool) -> Value {
        let one = |v: &Value| match v {
            Value::Object(m) => Value::Object(
                m.iter()
                    .filter(|(k, _)| keep(k))
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect(),
            ),
            other => other.clone(),
        };
        match value {
            Value::Array(items) => Value::Array(items.iter().map(one).collect()),
            other => one(other),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::parser::parse_attr_list;
    use crate::schema::CoreSchema;
    use crate::types::urn;

    fn user() -> Value {
        json!({
            "schemas": [urn::USER, urn::ENTERPRISE_USER],
            "id": "42",
            "userName": "bjensen",
            "password": "secret",
            "name": {"givenName": "Barbara", "familyName": "Jensen"},
            "emails": [{"value": "b@example.com", "type": "work"}],
            "meta": {"resourceType": "User"},
            urn::ENTERPRISE_USER: {"employeeNumber": "7", "department": "Tours"}
        })
    }

    #[test]
    fn attributes_and_excluded_attributes() {
        let cases: &[(&str, &str, Value)] = &[
            // attributes, excludedAttributes, expected
            ("", "", {
                let mut u = user();
                u.as_object_mut().unwrap().remove("password");
                u
            }),
            ("userName", "", json!({"schemas": [urn::USER, urn::ENTERPRISE_USER], "id": "42", "userName": "bjensen"})),
            ("USERNAME,password", "", json!({"schemas": [urn::USER, urn::ENTERPRISE_USER], "id": "42", "userName": "bjensen"})),
            ("name.givenName", "", json!({"schemas": [urn::USER, urn::ENTERPRISE_USER], "id": "42", "name": {"givenName": "Barbara"}})),
            ("emails.type", "", json!({"schemas": [urn::USER, urn::ENTERPRISE_USER], "id": "42", "emails": [{"type": "work"}]})),
            (
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department",
                "",
                json!({"schemas": [urn::USER, urn::ENTERPRISE_USER], "id": "42", urn::ENTERPRISE_USER: {"department": "Tours"}}),
            ),
            (
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
                "",
                json!({"schemas": [urn::USER, urn::ENTERPRISE_USER], "id": "42", urn::ENTERPRISE_USER: {"employeeNumber": "7", "department": "Tours"}}),
            ),
            ("", "id,schemas,name,emails,meta,userName,urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
                json!({"schemas": [urn::USER, urn::ENTERPRISE_USER], "id": "42"})),
            ("", "name.familyName,employeeNumber", {
                let mut u = user();
                let m = u.as_object_mut().unwrap();
                m.remove("password");
                m["name"] = json!({"givenName": "Barbara"});
                m[urn::ENTERPRISE_USER] = json!({"department": "Tours"});
                u
            }),
            // attributes wins over excludedAttributes.
            ("userName", "userName", json!({"schemas": [urn::USER, urn::ENTERPRISE_USER], "id": "42", "userName": "bjensen"})),
        ];
        for (attrs, excluded, expected) in cases {
            let a = parse_attr_list(attrs).unwrap();
            let e = parse_attr_list(excluded).unwrap();
            assert_eq!(
                &project(&user(), &a, &e, &CoreSchema),
                expected,
                "attributes={attrs} excluded={excluded}"
            );
        }
    }

    #[test]
    fn groups_without_members() {
        let group = json!({"schemas": [urn::GROUP], "id": "g", "displayName": "Ops",
                           "members": [{"value": "1"}]});
        let e = parse_attr_list("members").unwrap();
        assert_eq!(
            project(&group, &[], &e, &CoreSchema),
            json!({"schemas": [urn::GROUP], "id": "g", "displayName": "Ops"})
        );
    }
}
