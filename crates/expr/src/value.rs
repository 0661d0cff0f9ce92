//! Values that expressions compute and attributes hold ([`Value`]), their conversions to text
//! the way Entra renders them (booleans as `True`/`False`, date-times as `M/d/yyyy h:mm:ss tt`),
//! and their JSON form for the CLI, the browser and storage.
//!
//! Null and the empty string are different values: a null attribute is absent and is not
//! provisioned, an empty string is a value.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Serialize, Serializer};

/// A value of the expression language.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Value {
    /// No value: the attribute is absent.
    #[default]
    Null,
    String(String),
    Number(Number),
    Boolean(bool),
    /// Always UTC, as Entra's date functions return.
    DateTime(DateTime<Utc>),
    /// A multi-valued attribute (`proxyAddresses`) or the result of `Split`.
    Multi(Vec<Value>),
    /// A reference to another object (`manager`), by its identifier.
    Reference(String),
    /// An object-valued attribute, such as one app role assignment
    /// (`{"id": …, "value": "Admin", "displayName": "Admin"}`) or a role `AppRoleAssignmentsComplex`
    /// produces. Ordered keys keep output stable.
    Complex(BTreeMap<String, Value>),
}

/// A number: integers stay exact (Active Directory dates need all 64 bits), decimals are `f64`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Number {
    Int(i64),
    Float(f64),
}

impl Number {
    pub fn as_f64(self) -> f64 {
        match self {
            Number::Int(i) => i as f64,
            Number::Float(x) => x,
        }
    }

    /// The integer value, if the number is a whole number in range.
    pub fn as_i64(self) -> Option<i64> {
        match self {
            Number::Int(i) => Some(i),
            Number::Float(x) if x.fract() == 0.0 && x.abs() < 9.2e18 => Some(x as i64),
            Number::Float(_) => None,
        }
    }
}

impl fmt::Display for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Number::Int(i) => write!(f, "{i}"),
            // Whole floats print without ".0", as .NET's Double.ToString() does.
            Number::Float(x) if x.fract() == 0.0 && x.abs() < 1e15 => write!(f, "{}", x as i64),
            Number::Float(x) => write!(f, "{x}"),
        }
    }
}

impl Value {
    /// Short name of the kind of value, for error messages.
    pub fn kind(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::String(_) => "a string",
            Value::Number(_) => "a number",
            Value::Boolean(_) => "a boolean",
            Value::DateTime(_) => "a date-time",
            Value::Multi(_) => "a multi-valued attribute",
            Value::Reference(_) => "a reference",
            Value::Complex(_) => "an object",
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// Null, the empty string, or a multi-valued attribute with no values.
    pub fn is_null_or_empty(&self) -> bool {
        match self {
            Value::Null => true,
            Value::String(s) => s.is_empty(),
            Value::Multi(v) => v.is_empty(),
            _ => false,
        }
    }

    /// The value as text, as Entra would render it, or `None` for null, multi-valued and
    /// object values (which have no single text form). A multi-valued attribute with exactly
    /// one value counts as that value.
    pub fn as_text(&self) -> Option<Cow<'_, str>> {
        match self {
            Value::Null | Value::Complex(_) => None,
            Value::String(s) => Some(Cow::Borrowed(s)),
            Value::Reference(r) => Some(Cow::Borrowed(r)),
            Value::Number(n) => Some(Cow::Owned(n.to_string())),
            Value::Boolean(b) => Some(Cow::Borrowed(if *b { "True" } else { "False" })),
            Value::DateTime(d) => Some(Cow::Owned(crate::functions::dates::entra_display(d))),
            Value::Multi(v) if v.len() == 1 => v[0].as_text(),
            Value::Multi(_) => None,
        }
    }

    /// The JSON form: strings, numbers, booleans and null as themselves, date-times as their
    /// Entra text, references as `{"$ref": id}`, multi-valued as arrays, objects as objects.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match self {
            Value::Null => J::Null,
            Value::String(s) => J::String(s.clone()),
            Value::Number(Number::Int(i)) => J::from(*i),
            Value::Number(Number::Float(x)) => {
                serde_json::Number::from_f64(*x).map_or(J::Null, J::Number)
            }
            Value::Boolean(b) => J::Bool(*b),
            Value::DateTime(d) => J::String(crate::functions::dates::entra_display(d)),
            Value::Multi(v) => J::Array(v.iter().map(Value::to_json).collect()),
            Value::Reference(r) => {
                let mut m = serde_json::Map::new();
                m.insert("$ref".into(), J::String(r.clone()));
                J::Object(m)
            }
            Value::Complex(m) => {
                J::Object(m.iter().map(|(k, v)| (k.clone(), v.to_json())).collect())
            }
        }
    }

    /// Reads a JSON value. Objects of the form `{"$ref": id}` (or SCIM's
    /// `{"value": id, "$ref": uri}`) are references; other objects are [`Value::Complex`].
    /// Strings stay strings even when they look like dates: `CDate` converts explicitly.
    pub fn from_json(json: &serde_json::Value) -> Value {
        use serde_json::Value as J;
        match json {
            J::Null => Value::Null,
            J::Bool(b) => Value::Boolean(*b),
            J::Number(n) => match n.as_i64() {
                Some(i) => Value::Number(Number::Int(i)),
                None => Value::Number(Number::Float(n.as_f64().unwrap_or(f64::NAN))),
            },
            J::String(s) => Value::String(s.clone()),
            J::Array(a) => Value::Multi(a.iter().map(Value::from_json).collect()),
            J::Object(m) => {
                if let Some(J::String(r)) = m.get("$ref") {
                    if m.len() == 1 {
                        return Value::Reference(r.clone());
                    }
                    if let Some(J::String(id)) = m.get("value") {
                        return Value::Reference(id.clone());
                    }
                }
                Value::Complex(
                    m.iter()
                        .map(|(k, v)| (k.clone(), Value::from_json(v)))
                        .collect(),
                )
            }
        }
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::String(s.to_string())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::String(s)
    }
}

impl From<i64> for Value {
    fn from(i: i64) -> Self {
        Value::Number(Number::Int(i))
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Value::Boolean(b)
    }
}

impl From<&serde_json::Value> for Value {
    fn from(j: &serde_json::Value) -> Self {
        Value::from_json(j)
    }
}

impl Serialize for Value {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.to_json().serialize(s)
    }
}

impl fmt::Display for Value {
    /// Text for people: the Entra text of single values, `null`, and JSON for the rest.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Null => f.write_str("null"),
            Value::Multi(_) | Value::Complex(_) => write!(f, "{}", self.to_json()),
            other => match other.as_text() {
                Some(t) => f.write_str(&t),
                None => f.write_str("null"),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use serde_json::json;

    #[test]
    fn text_forms() {
        let date = Utc.with_ymd_and_hms(2020, 3, 16, 7, 0, 0).unwrap();
        let cases: Vec<(Value, Option<&str>)> = vec![
            (Value::Null, None),
            (Value::from(""), Some("")),
            (Value::from(42), Some("42")),
            (Value::Number(Number::Float(1.5)), Some("1.5")),
            (Value::Number(Number::Float(3.0)), Some("3")),
            (Value::Boolean(true), Some("True")),
            (Value::Boolean(false), Some("False")),
            (Value::DateTime(date), Some("3/16/2020 7:00:00 AM")),
            (
                Value::Reference("cn=Joe,dc=contoso,dc=com".into()),
                Some("cn=Joe,dc=contoso,dc=com"),
            ),
            (Value::Multi(vec![Value::from("a")]), Some("a")),
            (Value::Multi(vec![Value::from("a"), Value::from("b")]), None),
        ];
        for (v, want) in cases {
            assert_eq!(v.as_text().as_deref(), want, "{v:?}");
        }
    }

    #[test]
    fn null_is_not_empty_string() {
        assert_ne!(Value::Null, Value::from(""));
        assert!(Value::Null.is_null());
        assert!(!Value::from("").is_null());
        assert!(Value::from("").is_null_or_empty());
        assert!(Value::Multi(vec![]).is_null_or_empty());
    }

    #[test]
    fn json_round_trip() {
        let j = json!({
            "s": "x", "i": 129699324000000000i64, "f": 1.5, "b": true, "n": null,
            "m": ["a", "b"], "manager": {"$ref": "42"},
            "scimManager": {"value": "43", "$ref": "../Users/43"},
            "role": {"id": "1", "value": "Admin"}
        });
        let v = Value::from_json(&j);
        let Value::Complex(m) = &v else { panic!() };
        assert_eq!(m["i"], Value::from(129699324000000000));
        assert_eq!(m["manager"], Value::Reference("42".into()));
        assert_eq!(m["scimManager"], Value::Reference("43".into()));
        assert!(matches!(m["role"], Value::Complex(_)));
        assert_eq!(Value::from_json(&m["manager"].to_json()), m["manager"]);
        assert_eq!(serde_json::to_value(&m["m"]).unwrap(), json!(["a", "b"]));
    }
}
