//! The bodies of the PATCH requests the SCIM client sends, as pure functions of the operations
//! and the application's options: RFC 7644 shapes by default, Entra's legacy shapes for
//! targets built against them, and group member changes cut into requests of at most
//! `member_chunk` members.

use serde_json::{json, Value};
use steward_scim::{urn, CoreSchema, PatchOp, PatchOperation};

/// The body of one PATCH request carrying `operations`.
///
/// With `legacy` the shape Entra's old provisioning sends: `"Replace"`, `"Add"`, `"Remove"`;
/// every boolean value as `"True"`/`"False"`; a `members[value eq "x"]` removal as
/// `{"op": "Remove", "path": "members", "value": [{"value": "x"}]}`.
pub(crate) fn patch_body(operations: &[PatchOperation], legacy: bool) -> Value {
    if !legacy {
        return json!({ "schemas": [urn::PATCH_OP], "Operations": operations });
    }
    let mut body = PatchOp::new(operations.to_vec()).to_legacy_json(&CoreSchema);
    // `to_legacy_json` stringifies the booleans the core schema knows of; Entra sent every
    // boolean as a string, extension attributes included.
    if let Some(ops) = body.get_mut("Operations").and_then(Value::as_array_mut) {
        for op in ops {
            if let Some(value) = op.get_mut("value") {
                stringify_booleans(value);
            }
        }
    }
    body
}

fn stringify_booleans(v: &mut Value) {
    match v {
        Value::Bool(b) => *v = Value::from(if *b { "True" } else { "False" }),
        Value::Array(items) => items.iter_mut().for_each(stringify_booleans),
        Value::Object(map) => map.values_mut().for_each(stringify_booleans),
        _ => {}
    }
}

/// The PATCH bodies that add `add` and remove `remove` (target ids) from a group, each
/// naming at most `chunk` members: adds as one `add` of a member list per request, removals
/// as one `remove` per member with a `members[value eq "id"]` path (legacy: one `Remove` with
/// the list as its value). Adds come first; a request that has room after the last adds
/// starts on the removals. No changes, no bodies.
pub(crate) fn member_bodies(
    add: &[String],
    remove: &[String],
    chunk: usize,
    legacy: bool,
) -> Vec<Value> {
    let chunk = chunk.max(1);
    let (add_op, remove_op) = if legacy {
        ("Add", "Remove")
    } else {
        ("add", "remove")
    };
    let list = |ids: &[String]| -> Value { ids.iter().map(|id| json!({ "value": id })).collect() };
    let mut requests: Vec<Vec<Value>> = Vec::new();
    let mut current: Vec<Value> = Vec::new();
    let mut used = 0;
    for (ids, adding) in [(add, true), (remove, false)] {
        let mut rest = ids;
        while !rest.is_empty() {
            let (part, tail) = rest.split_at((chunk - used).min(rest.len()));
            if adding {
                current.push(json!({ "op": add_op, "path": "members", "value": list(part) }));
            } else if legacy {
                current.push(json!({ "op": remove_op, "path": "members", "value": list(part) }));
            } else {
                current.extend(part.iter().map(|id| {
                    let path = format!("members[value eq {}]", Value::String(id.clone()));
                    json!({ "op": remove_op, "path": path })
                }));
            }
            used += part.len();
            rest = tail;
            if used == chunk {
                requests.push(std::mem::take(&mut current));
                used = 0;
            }
        }
    }
    if !current.is_empty() {
        requests.push(current);
    }
    requests
        .into_iter()
        .map(|ops| json!({ "schemas": [urn::PATCH_OP], "Operations": ops }))
        .collect()
}

#[cfg(test)]
mod tests {
    use steward_scim::PatchPath;

    use super::*;

    fn ids(prefix: &str, n: usize) -> Vec<String> {
        (0..n).map(|i| format!("{prefix}{i}")).collect()
    }

    fn ops() -> Vec<PatchOperation> {
        let path = |p: &str| PatchPath::parse(p).unwrap();
        vec![
            PatchOperation::replace(Some(&path("active")), json!(false)),
            PatchOperation::add(
                Some(&path("emails[type eq \"work\"].value")),
                json!("ada@example.com"),
            ),
            PatchOperation::replace(
                Some(&path(
                    "urn:ietf:params:scim:schemas:extension:acme:2.0:User:isManager",
                )),
                json!(true),
            ),
            PatchOperation::remove(&path("members[value eq \"u1\"]")),
            PatchOperation::remove(&path("title")),
        ]
    }

    #[test]
    fn rfc_shape_by_default() {
        assert_eq!(
            patch_body(&ops(), false),
            json!({
                "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                "Operations": [
                    {"op": "replace", "path": "active", "value": false},
                    {"op": "add", "path": "emails[type eq \"work\"].value", "value": "ada@example.com"},
                    {"op": "replace", "path": "urn:ietf:params:scim:schemas:extension:acme:2.0:User:isManager", "value": true},
                    {"op": "remove", "path": "members[value eq \"u1\"]"},
                    {"op": "remove", "path": "title"},
                ]
            })
        );
    }

    #[test]
    fn legacy_shape_capitalises_stringifies_and_lists_removed_members() {
        assert_eq!(
            patch_body(&ops(), true),
            json!({
                "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                "Operations": [
                    {"op": "Replace", "path": "active", "value": "False"},
                    {"op": "Add", "path": "emails[type eq \"work\"].value", "value": "ada@example.com"},
                    {"op": "Replace", "path": "urn:ietf:params:scim:schemas:extension:acme:2.0:User:isManager", "value": "True"},
                    {"op": "Remove", "path": "members", "value": [{"value": "u1"}]},
                    {"op": "Remove", "path": "title"},
                ]
            })
        );
    }

    #[test]
    fn member_changes_are_cut_into_chunks() {
        // (adds, removes, chunk) → members per request
        let cases: [(usize, usize, usize, &[usize]); 6] = [
            (0, 0, 100, &[]),
            (3, 2, 100, &[5]),
            (250, 0, 100, &[100, 100, 50]),
            (0, 250, 100, &[100, 100, 50]),
            (150, 60, 100, &[100, 100, 10]),
            (2, 1, 0, &[1, 1, 1]),
        ];
        for (adds, removes, chunk, expected) in cases {
            for legacy in [false, true] {
                let bodies = member_bodies(&ids("a", adds), &ids("r", removes), chunk, legacy);
                let sizes: Vec<usize> = bodies
                    .iter()
                    .map(|b| {
                        b["Operations"]
                            .as_array()
                            .unwrap()
                            .iter()
                            .map(|op| {
                                op.get("value")
                                    .and_then(Value::as_array)
                                    .map_or(1, Vec::len)
                            })
                            .sum()
                    })
                    .collect();
                assert_eq!(
                    sizes, expected,
                    "{adds} adds, {removes} removes, chunk {chunk}, legacy {legacy}"
                );
            }
        }
    }

    #[test]
    fn member_ops_have_the_rfc_or_the_legacy_shape() {
        let (add, remove) = (ids("a", 2), vec!["x\"y".to_string(), "z".to_string()]);
        assert_eq!(
            member_bodies(&add, &remove, 100, false),
            vec![json!({
                "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                "Operations": [
                    {"op": "add", "path": "members", "value": [{"value": "a0"}, {"value": "a1"}]},
                    {"op": "remove", "path": "members[value eq \"x\\\"y\"]"},
                    {"op": "remove", "path": "members[value eq \"z\"]"},
                ]
            })]
        );
        assert_eq!(
            member_bodies(&add, &remove, 100, true),
            vec![json!({
                "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                "Operations": [
                    {"op": "Add", "path": "members", "value": [{"value": "a0"}, {"value": "a1"}]},
                    {"op": "Remove", "path": "members", "value": [{"value": "x\"y"}, {"value": "z"}]},
                ]
            })]
        );
    }
}
