//! What changed between two JSON documents, leaf by leaf, for the audit log's before/after.

use serde_json::Value;

/// The changed leaves of `before` → `after` as (path, before, after), JSON text, empty for a
/// side that has nothing there; at most `limit`, in document order.
pub fn changes(
    before: Option<&Value>,
    after: Option<&Value>,
    limit: usize,
) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    walk(String::new(), before, after, limit, &mut out);
    out
}

fn text(v: Option<&Value>) -> String {
    v.map(Value::to_string).unwrap_or_default()
}

fn walk(
    path: String,
    before: Option<&Value>,
    after: Option<&Value>,
    limit: usize,
    out: &mut Vec<(String, String, String)>,
) {
    if out.len() >= limit || before == after {
        return;
    }
    let join = |key: &str| {
        if path.is_empty() {
            key.to_string()
        } else {
            format!("{path}.{key}")
        }
    };
    match (before, after) {
        (Some(Value::Object(b)), Some(Value::Object(a))) => {
            for (key, value) in b {
                walk(join(key), Some(value), a.get(key), limit, out);
            }
            for (key, value) in a.iter().filter(|(k, _)| !b.contains_key(*k)) {
                walk(join(key), None, Some(value), limit, out);
            }
        }
        (Some(Value::Array(b)), Some(Value::Array(a))) => {
            for i in 0..b.len().max(a.len()) {
                walk(format!("{path}[{i}]"), b.get(i), a.get(i), limit, out);
            }
        }
        _ => out.push((
            if path.is_empty() {
                "(all)".into()
            } else {
                path
            },
            text(before),
            text(after),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn lists_changed_added_and_removed_leaves() {
        let before = json!({"scope": "assigned", "threshold": 500, "roles": ["User"], "gone": 1});
        let after = json!({"scope": "all", "threshold": 500, "roles": ["User", "Admin"], "new": {"a": true}});
        let got = changes(Some(&before), Some(&after), 10);
        assert_eq!(
            got,
            [
                ("gone".to_string(), "1".to_string(), String::new()),
                ("roles[1]".into(), String::new(), "\"Admin\"".into()),
                ("scope".into(), "\"assigned\"".into(), "\"all\"".into()),
                ("new".into(), String::new(), "{\"a\":true}".into()),
            ]
        );
        assert_eq!(changes(Some(&before), Some(&before), 10), []);
        assert_eq!(changes(Some(&before), Some(&after), 2).len(), 2);
    }
}
