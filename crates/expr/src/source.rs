//! Where attribute values come from. Evaluation reads `[attribute]` references only through
//! [`AttributeSource`], so the same evaluator serves a directory user from the store, a group,
//! and a JSON object an admin pasted into the browser.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};

use crate::value::Value;

/// Something with named attributes.
///
/// Names are case-sensitive, as in Entra. Return `None` when the attribute is absent; the
/// evaluator treats that as [`Value::Null`].
pub trait AttributeSource {
    fn attribute(&self, name: &str) -> Option<Cow<'_, Value>>;
}

impl<T: AttributeSource + ?Sized> AttributeSource for &T {
    fn attribute(&self, name: &str) -> Option<Cow<'_, Value>> {
        (**self).attribute(name)
    }
}

impl AttributeSource for HashMap<String, Value> {
    fn attribute(&self, name: &str) -> Option<Cow<'_, Value>> {
        self.get(name).map(Cow::Borrowed)
    }
}

impl AttributeSource for BTreeMap<String, Value> {
    fn attribute(&self, name: &str) -> Option<Cow<'_, Value>> {
        self.get(name).map(Cow::Borrowed)
    }
}

/// A JSON object. A name is looked up as a key first; if there is no such key, a name with dots
/// walks nested objects (`name.givenName`), and a SCIM extension URN finds its attribute inside
/// the extension's object (`urn:…:enterprise:2.0:User:employeeNumber` inside
/// `"urn:…:enterprise:2.0:User": {"employeeNumber": …}`), as a SCIM resource nests them.
impl AttributeSource for serde_json::Map<String, serde_json::Value> {
    fn attribute(&self, name: &str) -> Option<Cow<'_, Value>> {
        lookup_json(self, name).map(|j| Cow::Owned(Value::from_json(j)))
    }
}

/// A JSON value: only an object has attributes.
impl AttributeSource for serde_json::Value {
    fn attribute(&self, name: &str) -> Option<Cow<'_, Value>> {
        self.as_object()?.attribute(name)
    }
}

fn lookup_json<'a>(
    map: &'a serde_json::Map<String, serde_json::Value>,
    name: &str,
) -> Option<&'a serde_json::Value> {
    if let Some(v) = map.get(name) {
        return Some(v);
    }
    if name.starts_with("urn:") {
        if let Some((schema, rest)) = name.rsplit_once(':') {
            if let Some(serde_json::Value::Object(inner)) = map.get(schema) {
                return lookup_json(inner, rest);
            }
        }
        return None;
    }
    let (head, rest) = name.split_once('.')?;
    match map.get(head)? {
        serde_json::Value::Object(inner) => lookup_json(inner, rest),
        _ => None,
    }
}

/// No attributes at all; handy for expressions made only of constants.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoAttributes;

impl AttributeSource for NoAttributes {
    fn attribute(&self, _name: &str) -> Option<Cow<'_, Value>> {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn json_lookup() {
        let user = json!({
            "givenName": "Ada",
            "name": {"givenName": "Augusta", "familyName": "King"},
            "name.odd": "dotted key wins",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {
                "employeeNumber": "701984",
                "manager": {"value": "26118915", "$ref": "../Users/26118915"}
            },
            "extension_abc_costCenter": "4130"
        });
        let cases = [
            ("givenName", Some(Value::from("Ada"))),
            ("GivenName", None),
            ("name.familyName", Some(Value::from("King"))),
            ("name.odd", Some(Value::from("dotted key wins"))),
            ("name.missing", None),
            (
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber",
                Some(Value::from("701984")),
            ),
            (
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager",
                Some(Value::Reference("26118915".into())),
            ),
            ("extension_abc_costCenter", Some(Value::from("4130"))),
            ("missing", None),
        ];
        for (name, want) in cases {
            assert_eq!(user.attribute(name).map(Cow::into_owned), want, "{name}");
        }
        assert!(json!([1, 2]).attribute("x").is_none());
    }
}
