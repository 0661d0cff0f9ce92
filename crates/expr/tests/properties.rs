//! Property tests: printing a tree and parsing the text gives the same tree back; the parser
//! never panics and its error spans always point into the text; filters survive JSON.

#![allow(clippy::unwrap_used)]

use proptest::prelude::*;
use steward_expr::{
    parse, Clause, CmpOp, Constant, Expr, Function, NumberLit, Operator, Scope, ScopingFilter,
    FUNCTIONS,
};

fn attribute_name() -> impl Strategy<Value = String> {
    prop_oneof![
        "[A-Za-z][A-Za-z0-9_]{0,15}",
        "[a-z]{1,8}\\.[a-z]{1,8}",
        "urn:ietf:params:scim:schemas:extension:[a-z]{1,8}:2\\.0:User:[a-z]{1,8}",
        "[^\\[\\]\\r\\n]{1,12}"
            .prop_filter("no outer white space", |s| s.trim() == s && !s.is_empty()),
    ]
}

fn string_constant() -> impl Strategy<Value = String> {
    prop_oneof!["[a-z\"\\\\ ,()\\[\\]]{0,12}", "\\PC{0,12}"]
}

fn leaf() -> impl Strategy<Value = Expr> {
    prop_oneof![
        attribute_name().prop_map(Expr::Attribute),
        string_constant().prop_map(Expr::Str),
        any::<i64>().prop_map(|i| Expr::Number(NumberLit::Int(i))),
        any::<u64>().prop_map(|h| Expr::Number(NumberLit::Hex(h))),
        (-1.0e9f64..1.0e9).prop_map(|x| Expr::Number(NumberLit::Float(x))),
        prop::sample::select(Constant::ALL.to_vec()).prop_map(Expr::Constant),
    ]
}

const OPS: [CmpOp; 6] = [
    CmpOp::Eq,
    CmpOp::Ne,
    CmpOp::Gt,
    CmpOp::Ge,
    CmpOp::Lt,
    CmpOp::Le,
];
/// Which of Replace's seven arguments are present, one row per mode.
const REPLACE_MODES: [&[usize]; 5] = [
    &[0, 1, 4],
    &[0, 1, 6],
    &[0, 2, 4],
    &[0, 2, 3, 4],
    &[0, 2, 3, 5],
];
const PATTERNS: [&str; 3] = ["[a-z]+", "(?<g>\\d{3})", "^\\s*$"];

/// Builds a call that the parser accepts from generated material.
fn build_call(
    f: Function,
    pool: Vec<Option<Expr>>,
    lhs: Expr,
    rhs: Expr,
    op: Option<usize>,
) -> Expr {
    let info = f.info();
    let filler = || Expr::Str("x".into());
    if f == Function::Replace {
        let mode = REPLACE_MODES[pool.len() % REPLACE_MODES.len()];
        let args = (0..7)
            .map(|i| {
                if !mode.contains(&i) {
                    None
                } else if i == 2 {
                    Some(Expr::Str(PATTERNS[pool.len() % PATTERNS.len()].into()))
                } else {
                    Some(pool.get(i).cloned().flatten().unwrap_or_else(filler))
                }
            })
            .collect();
        return Expr::Call { function: f, args };
    }
    let max = info.max_args.unwrap_or(info.min_args + 4);
    let mut n = pool.len().clamp(info.min_args, max);
    if f == Function::Switch && n % 2 == 1 {
        n += 1;
    }
    let args = (0..n)
        .map(|i| {
            if i == 0 && matches!(f, Function::IIF | Function::CBool) {
                if let Some(op) = op {
                    return Some(Expr::Compare {
                        op: OPS[op],
                        lhs: Box::new(lhs.clone()),
                        rhs: Box::new(rhs.clone()),
                    });
                }
            }
            match pool.get(i).cloned().flatten() {
                Some(e) => Some(e),
                None if f.may_omit(i) => None,
                None => Some(filler()),
            }
        })
        .collect();
    Expr::Call { function: f, args }
}

fn tree() -> impl Strategy<Value = Expr> {
    let functions: Vec<Function> = FUNCTIONS
        .iter()
        .map(|i| i.function)
        .filter(|f| *f != Function::SelectUniqueValue)
        .collect();
    leaf().prop_recursive(5, 48, 8, move |inner| {
        (
            prop::sample::select(functions.clone()),
            prop::collection::vec(prop::option::weighted(0.8, inner.clone()), 0..9),
            leaf(),
            inner,
            prop::option::of(0..OPS.len()),
        )
            .prop_map(|(f, pool, lhs, rhs, op)| build_call(f, pool, lhs, rhs, op))
    })
}

fn top_level() -> impl Strategy<Value = Expr> {
    prop_oneof![
        9 => tree(),
        1 => prop::collection::vec(tree(), 2..4).prop_map(|rules| Expr::Call {
            function: Function::SelectUniqueValue,
            args: rules.into_iter().map(Some).collect(),
        }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn display_then_parse_is_identity(tree in top_level()) {
        let text = tree.to_string();
        let parsed = parse(&text).map_err(|e| TestCaseError::fail(format!("{text}\n{e}")))?;
        prop_assert_eq!(parsed.ast(), &tree, "{}", text);
        prop_assert_eq!(parsed.to_string(), text);
    }

    #[test]
    fn parser_never_panics_and_spans_are_in_bounds(src in "\\PC{0,80}|[A-Za-z\\[\\]\"(), =<>&H0-9\\\\-]{0,80}") {
        if let Err(e) = parse(&src) {
            prop_assert!(e.span.start <= e.span.end && e.span.end <= src.len());
            prop_assert!(src.is_char_boundary(e.span.start) && src.is_char_boundary(e.span.end));
            prop_assert!(e.span.line >= 1 && e.span.column >= 1);
            prop_assert!(e.code().starts_with("EXPR-P"));
        }
    }

    #[test]
    fn filters_survive_json(filters in prop::collection::vec(
        (
            "[a-z ]{0,10}",
            prop::collection::vec(
                ("[a-zA-Z.]{1,10}", prop::sample::select(Operator::ALL.to_vec()), "\\PC{0,10}"),
                1..4,
            ),
        ),
        0..4,
    )) {
        let scope = Scope::new(filters.into_iter().map(|(title, clauses)| ScopingFilter {
            title,
            clauses: clauses.into_iter().map(|(a, op, v)| Clause::new(a, op, v)).collect(),
        }).collect());
        let json = serde_json::to_string(&scope).unwrap();
        let back: Scope = serde_json::from_str(&json).unwrap();
        prop_assert_eq!(back, scope);
    }
}
