//! Any text: parsing must not panic or hang; an error's span must lie inside the text; a parsed
//! expression must print to text that parses to the same tree, and must evaluate (to a value or
//! an error) without panicking.
#![no_main]

use libfuzzer_sys::fuzz_target;
use steward_expr::{parse, FixedContext};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    match parse(&text) {
        Err(e) => {
            assert!(e.span.start <= e.span.end && e.span.end <= text.len());
            assert!(text.is_char_boundary(e.span.start) && text.is_char_boundary(e.span.end));
        }
        Ok(expr) => {
            let printed = expr.to_string();
            let again = parse(&printed).expect("printed expression parses");
            assert_eq!(again.ast(), expr.ast(), "round trip of {printed}");
            let user = serde_json::json!({
                "givenName": "Zoë", "surname": "Doe", "mail": "zoe@contoso.com",
                "department": "Engineering", "accountEnabled": true, "employeeId": 1234,
                "proxyAddresses": ["SMTP:zoe@contoso.com", "smtp:z@contoso.com"],
                "StatusHireDate": "2021-08-24-07:00", "empty": "",
                "appRoleAssignments": [{"value": "Admin", "displayName": "Admin"}]
            });
            let mut ctx = FixedContext::default().with_taken(["zoe@contoso.com"]);
            let _ = expr.evaluate(&user, &mut ctx);
        }
    }
});
