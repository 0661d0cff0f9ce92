//! Any text as a filter: parsing must not panic or hang; an error's position must lie inside
//! the text on a character boundary; a parsed filter must print to text that parses to the
//! same tree, and must evaluate against a user without panicking, `not` negating it.
#![no_main]

use libfuzzer_sys::fuzz_target;
use steward_scim::{CoreSchema, Filter};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    match Filter::parse(&text) {
        Err(e) => {
            assert!(e.position <= text.len(), "{e}");
            assert!(text.is_char_boundary(e.position), "{e}");
        }
        Ok(filter) => {
            let printed = filter.to_string();
            let again = Filter::parse(&printed).expect("printed filter parses");
            assert_eq!(again, filter, "round trip of {printed}");
            let user = serde_json::json!({
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User",
                            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
                "id": "2819c223", "externalId": "E-1", "userName": "bjensen", "active": true,
                "title": "", "loginCount": 7, "score": 1.5,
                "name": {"givenName": "Barbara", "familyName": "O'Malley"},
                "emails": [{"value": "b@example.com", "type": "work", "primary": true},
                           {"value": "b@home.org", "type": "home"}],
                "meta": {"lastModified": "2011-05-13T04:42:34Z"},
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":
                    {"manager": {"value": "26118915"}, "employeeNumber": "701984"}
            });
            let yes = filter.matches(&user, &CoreSchema);
            let not = Filter::Not(Box::new(filter));
            assert_eq!(not.matches(&user, &CoreSchema), !yes);
        }
    }
});
