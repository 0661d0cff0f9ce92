//! Property tests: every filter and PATCH path prints to text that parses back to the same
//! tree; parsing arbitrary text never panics and reports a position inside the text;
//! evaluation is total and `not` is negation.
#![allow(clippy::unwrap_used)]

use proptest::prelude::*;
use serde_json::json;
use steward_scim::{
    AttrPath, CompValue, CompareOp, Condition, CoreSchema, Filter, PatchPath, SubAttrCondition,
};

fn name() -> impl Strategy<Value = String> {
    prop_oneof![
        8 => "[a-zA-Z][a-zA-Z0-9_-]{0,6}",
        1 => Just("$ref".to_owned()),
        // Keywords are valid attribute names too.
        1 => prop::sample::select(vec!["and", "or", "not", "pr", "eq", "true", "null"]).prop_map(str::to_owned),
    ]
}

fn urn() -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        4 => Just(None),
        1 => Just(Some("urn:ietf:params:scim:schemas:core:2.0:User".to_owned())),
        1 => Just(Some("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User".to_owned())),
        1 => "urn:[a-z]{1,5}:[a-z0-9.]{1,5}".prop_map(Some),
    ]
}

fn attr_path() -> impl Strategy<Value = AttrPath> {
    (urn(), name(), prop::option::of(name())).prop_map(|(urn, name, sub_attr)| AttrPath {
        urn,
        name,
        sub_attr,
    })
}

fn comparison() -> impl Strategy<Value = (CompareOp, CompValue)> {
    let string = any::<String>().prop_map(CompValue::String);
    let number = prop_oneof![
        any::<i64>().prop_map(|n| CompValue::Number(n.into())),
        any::<u64>().prop_map(|n| CompValue::Number(n.into())),
        any::<f64>()
            .prop_filter_map("finite", serde_json::Number::from_f64)
            .prop_map(CompValue::Number),
    ];
    let literal = prop_oneof![
        Just(CompValue::Null),
        any::<bool>().prop_map(CompValue::Bool)
    ];
    prop_oneof![
        (prop::sample::select(CompareOp::ALL.to_vec()), string),
        (
            prop::sample::select(vec![
                CompareOp::Eq,
                CompareOp::Ne,
                CompareOp::Gt,
                CompareOp::Ge,
                CompareOp::Lt,
                CompareOp::Le
            ]),
            number
        ),
        (
            prop::sample::select(vec![CompareOp::Eq, CompareOp::Ne]),
            literal
        ),
    ]
}

fn condition() -> impl Strategy<Value = Condition> {
    prop_oneof![
        1 => Just(Condition::Present),
        4 => comparison().prop_map(|(op, v)| Condition::Compare(op, v)),
    ]
}

fn leaf() -> impl Strategy<Value = Filter> {
    (attr_path(), condition()).prop_map(|(path, c)| match c {
        Condition::Present => Filter::Present(path),
        Condition::Compare(op, value) => Filter::Compare { path, op, value },
    })
}

/// Filters without value paths (what may appear inside `[...]`).
fn plain_filter() -> impl Strategy<Value = Filter> {
    leaf().prop_recursive(4, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 2..4).prop_map(Filter::And),
            prop::collection::vec(inner.clone(), 2..4).prop_map(Filter::Or),
            inner.prop_map(|f| Filter::Not(Box::new(f))),
        ]
    })
}

fn value_path() -> impl Strategy<Value = Filter> {
    (
        urn(),
        name(),
        plain_filter(),
        prop::option::of((name(), condition())),
    )
        .prop_map(|(urn, name, filter, sub)| Filter::ValuePath {
            path: AttrPath {
                urn,
                name,
                sub_attr: None,
            },
            filter: Box::new(filter),
            sub_attr: sub.map(|(name, condition)| SubAttrCondition { name, condition }),
        })
}

fn filter() -> impl Strategy<Value = Filter> {
    prop_oneof![3 => leaf(), 1 => value_path()].prop_recursive(4, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 2..4).prop_map(Filter::And),
            prop::collection::vec(inner.clone(), 2..4).prop_map(Filter::Or),
            inner.prop_map(|f| Filter::Not(Box::new(f))),
        ]
    })
}

fn resource() -> impl Strategy<Value = serde_json::Value> {
    let scalar = prop_oneof![
        Just(json!(null)),
        any::<bool>().prop_map(|b| json!(b)),
        any::<i32>().prop_map(|n| json!(n)),
        "[a-zA-Z0-9 @.:-]{0,8}".prop_map(|s| json!(s)),
        Just(json!("2011-05-13T04:42:34Z")),
    ];
    scalar.prop_recursive(3, 20, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..3).prop_map(serde_json::Value::Array),
            prop::collection::btree_map(
                prop::sample::select(vec!["value", "type", "primary", "and", "a", "B"]),
                inner,
                0..4
            )
            .prop_map(|m| json!(m)),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn filters_round_trip(f in filter()) {
        let text = f.to_string();
        let back = Filter::parse(&text);
        prop_assert_eq!(back.as_ref(), Ok(&f), "text: {}", text);
    }

    #[test]
    fn patch_paths_round_trip(
        path in attr_path(),
        filter in prop::option::of((plain_filter(), prop::option::of(name())))
    ) {
        let p = match filter {
            None => PatchPath::Attribute(path),
            Some((filter, sub_attr)) => PatchPath::ValuePath {
                path: AttrPath { sub_attr: None, ..path },
                filter,
                sub_attr,
            },
        };
        let text = p.to_string();
        prop_assert_eq!(PatchPath::parse(&text), Ok(p), "text: {}", text);
    }

    #[test]
    fn parsing_any_text_is_total(text in "\\PC{0,40}|[a-z \"()\\[\\].:eqnotrpand0-9\\\\-]{0,60}") {
        match Filter::parse(&text) {
            Ok(f) => prop_assert_eq!(Filter::parse(&f.to_string()), Ok(f)),
            Err(e) => {
                prop_assert!(e.position <= text.len());
                prop_assert!(text.is_char_boundary(e.position));
                prop_assert!(e.code().starts_with("SCIM-F"));
            }
        }
        if let Err(e) = PatchPath::parse(&text) {
            prop_assert!(e.position <= text.len() && text.is_char_boundary(e.position));
        }
    }

    #[test]
    fn not_is_negation_and_ne_is_not_eq(f in filter(), r in resource(), path in attr_path(), s in "[a-z]{0,3}") {
        let yes = f.matches(&r, &CoreSchema);
        prop_assert_eq!(Filter::Not(Box::new(f)).matches(&r, &CoreSchema), !yes);
        let eq = Filter::Compare { path: path.clone(), op: CompareOp::Eq, value: CompValue::String(s.clone()) };
        let ne = Filter::Compare { path, op: CompareOp::Ne, value: CompValue::String(s) };
        prop_assert_eq!(ne.matches(&r, &CoreSchema), !eq.matches(&r, &CoreSchema));
    }
}
