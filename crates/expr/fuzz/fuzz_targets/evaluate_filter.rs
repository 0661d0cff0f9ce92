//! Arbitrary scoping filters against arbitrary users: compiling must not panic (bad input is an
//! error), evaluation must not panic or hang, the traced verdict must equal the short-circuit
//! one, and the filters must survive JSON.
#![no_main]

use std::collections::HashMap;

use libfuzzer_sys::arbitrary::{self, Arbitrary};
use libfuzzer_sys::fuzz_target;
use steward_expr::{Clause, Operator, Scope, ScopingFilter, Value};

const ATTRIBUTES: [&str; 5] = ["department", "accountEnabled", "employeeId", "upn", "tags"];

#[derive(Arbitrary, Debug)]
enum AttrValue {
    Null,
    Text(String),
    Int(i64),
    Bool(bool),
    Multi(Vec<String>),
}

#[derive(Arbitrary, Debug)]
struct Input {
    filters: Vec<Vec<(u8, u8, String)>>,
    user: Vec<(u8, AttrValue)>,
}

fuzz_target!(|input: Input| {
    let scope = Scope::new(
        input
            .filters
            .iter()
            .take(8)
            .map(|clauses| ScopingFilter {
                title: String::new(),
                clauses: clauses
                    .iter()
                    .take(8)
                    .map(|(a, op, v)| {
                        Clause::new(
                            ATTRIBUTES[*a as usize % ATTRIBUTES.len()],
                            Operator::ALL[*op as usize % Operator::ALL.len()],
                            v.clone(),
                        )
                    })
                    .collect(),
            })
            .collect(),
    );
    let json = serde_json::to_string(&scope).expect("serializes");
    let back: Scope = serde_json::from_str(&json).expect("deserializes");
    assert_eq!(back, scope);

    let Ok(compiled) = scope.compile() else {
        return;
    };
    let user: HashMap<String, Value> = input
        .user
        .into_iter()
        .map(|(a, v)| {
            let value = match v {
                AttrValue::Null => Value::Null,
                AttrValue::Text(s) => Value::String(s),
                AttrValue::Int(i) => Value::from(i),
                AttrValue::Bool(b) => Value::Boolean(b),
                AttrValue::Multi(items) => {
                    Value::Multi(items.into_iter().map(Value::String).collect())
                }
            };
            (ATTRIBUTES[a as usize % ATTRIBUTES.len()].to_string(), value)
        })
        .collect();
    let verdict = compiled.evaluate(&user);
    assert_eq!(verdict.in_scope, compiled.admits(&user));
    let _ = serde_json::to_string(&verdict).expect("trace serializes");
});
