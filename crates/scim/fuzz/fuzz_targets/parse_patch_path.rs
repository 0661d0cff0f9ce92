//! Any text as a PATCH path: parsing must not panic; errors point inside the text; a parsed
//! path prints to text that parses to the same path. Then the path is used in add, replace
//! and remove operations on a user (with a value chosen by the first byte): `apply` must not
//! panic, and when it fails it must leave the user unchanged.
#![no_main]

use libfuzzer_sys::fuzz_target;
use serde_json::json;
use steward_scim::{apply, CoreSchema, PatchOpKind, PatchOperation, PatchPath};

fuzz_target!(|data: &[u8]| {
    let (selector, rest) = data.split_first().map_or((0, data), |(s, r)| (*s, r));
    let text = String::from_utf8_lossy(rest);
    let path = match PatchPath::parse(&text) {
        Err(e) => {
            assert!(
                e.position <= text.len() && text.is_char_boundary(e.position),
                "{e}"
            );
            return;
        }
        Ok(p) => p,
    };
    let printed = path.to_string();
    assert_eq!(
        PatchPath::parse(&printed).as_ref(),
        Ok(&path),
        "round trip of {printed}"
    );

    let values = [
        json!("x"),
        json!("True"),
        json!(true),
        json!(null),
        json!(3),
        json!({"value": "v", "type": "work", "primary": true}),
        json!([{"value": "2819c223"}]),
        json!([]),
    ];
    let value = values[selector as usize % values.len()].clone();
    let user = json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "id": "2819c223", "userName": "bjensen", "active": true,
        "name": {"givenName": "Barbara"},
        "emails": [{"value": "b@example.com", "type": "work", "primary": true}, "stray"],
        "members": [{"value": "2819c223"}],
        "meta": {"version": "1"},
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "x"}
    });
    for op in [PatchOpKind::Add, PatchOpKind::Replace, PatchOpKind::Remove] {
        let mut operation = PatchOperation {
            op,
            path: Some(printed.clone()),
            value: Some(value.clone()),
        };
        operation.normalize(&CoreSchema);
        let mut target = user.clone();
        if apply(&mut target, std::slice::from_ref(&operation), &CoreSchema).is_err() {
            assert_eq!(target, user, "a failed PATCH changed the resource");
        }
    }
});
