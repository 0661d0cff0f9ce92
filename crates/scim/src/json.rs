//! Small helpers for reading SCIM resources as JSON: attribute names are case-insensitive
//! (RFC 7643 §2.1), so every lookup goes through here.

use serde_json::{Map, Value};

/// The key of `map` that equals `name` ignoring ASCII case (an exact match wins).
pub(crate) fn key_ci<'m>(map: &'m Map<String, Value>, name: &str) -> Option<&'m String> {
    if let Some((k, _)) = map.get_key_value(name) {
        return Some(k);
    }
    map.keys().find(|k| k.eq_ignore_ascii_case(name))
}

/// The value of `name` in `value` if it is an object, ignoring ASCII case.
pub(crate) fn get_ci<'v>(value: &'v Value, name: &str) -> Option<&'v Value> {
    let map = value.as_object()?;
    key_ci(map, name).and_then(|k| map.get(k))
}

/// RFC 7643 §2.5 and RFC 7644 `pr`: unassigned, null, "", [] and objects without any present
/// value all count as "no value".
pub(crate) fn is_present(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::String(s) => !s.is_empty(),
        Value::Array(items) => items.iter().any(is_present),
        Value::Object(map) => map.values().any(is_present),
        Value::Bool(_) | Value::Number(_) => true,
    }
}

/// `"True"`/`"false"`/… as sent by legacy clients for booleans.
pub(crate) fn parse_bool(text: &str) -> Option<bool> {
    if text.eq_ignore_ascii_case("true") {
        Some(true)
    } else if text.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}
