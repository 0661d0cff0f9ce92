//! How long one user takes through a typical mapping: ten target attributes (seven direct
//! copies, three expressions with two or three nested calls) and two scoping filters. The goal
//! is under 20 µs per user; the figure is printed at the end.

#![allow(clippy::unwrap_used)]

use std::collections::HashMap;
use std::hint::black_box;
use std::time::Instant;

use criterion::{criterion_group, criterion_main, Criterion};
use steward_expr::{
    parse, Clause, CompiledScope, Expression, FixedContext, Operator, Scope, ScopingFilter, Value,
};

struct Mapping {
    attributes: Vec<(&'static str, Expression)>,
    scope: CompiledScope,
}

fn mapping() -> Mapping {
    let sources = [
        ("userName", "[userPrincipalName]"),
        ("active", "[accountEnabled]"),
        ("displayName", "[displayName]"),
        ("name.givenName", "[givenName]"),
        ("name.familyName", "[surname]"),
        ("emails[type eq \"work\"].value", "[mail]"),
        ("title", "[jobTitle]"),
        (
            "externalId",
            r#"ToLower(NormalizeDiacritics(Join(".", [givenName], [surname])))"#,
        ),
        (
            "department",
            r#"Switch(ToUpper([department]), "Other", "SALES", "Sales", "ENGINEERING", "Engineering")"#,
        ),
        (
            "phoneNumbers[type eq \"work\"].value",
            r#"Coalesce(Replace([telephoneNumber], , "[()\\s-]+", , "", , ), [mobile])"#,
        ),
    ];
    let attributes = sources
        .iter()
        .map(|(target, src)| (*target, parse(src).expect("valid expression")))
        .collect();
    let scope = Scope::new(vec![
        ScopingFilter {
            title: "Enabled engineers".into(),
            clauses: vec![
                Clause::new("department", Operator::Equals, "Engineering"),
                Clause::new("accountEnabled", Operator::IsTrue, ""),
            ],
        },
        ScopingFilter {
            title: "Contoso staff".into(),
            clauses: vec![
                Clause::new(
                    "userPrincipalName",
                    Operator::RegexMatch,
                    r"^[^@]+@contoso\.com$",
                ),
                Clause::new("employeeId", Operator::GreaterThan, "1000"),
            ],
        },
    ])
    .compile()
    .expect("valid filters");
    Mapping { attributes, scope }
}

fn user(i: usize) -> HashMap<String, Value> {
    let s = |v: &str| Value::from(v);
    HashMap::from([
        (
            "userPrincipalName".into(),
            s(&format!("zoë.doe{i}@contoso.com")),
        ),
        ("accountEnabled".into(), Value::Boolean(i % 7 != 0)),
        ("displayName".into(), s("Zoë Doe")),
        ("givenName".into(), s("Zoë")),
        ("surname".into(), s(&format!("Doe{i}"))),
        ("mail".into(), s(&format!("zoe.doe{i}@contoso.com"))),
        ("jobTitle".into(), s("Engineer")),
        (
            "department".into(),
            s(if i % 3 == 0 { "Sales" } else { "Engineering" }),
        ),
        ("telephoneNumber".into(), s("+1 (999) 888-7777")),
        ("employeeId".into(), s(&(1000 + i).to_string())),
    ])
}

/// One user through the filters (with the full trace, as on-demand provisioning shows) and, if
/// in scope, every mapped attribute.
fn run(m: &Mapping, u: &HashMap<String, Value>, ctx: &mut FixedContext) -> usize {
    let verdict = m.scope.evaluate(u);
    let mut produced = usize::from(verdict.in_scope);
    for (_, expr) in &m.attributes {
        let out = expr.evaluate(u, ctx).expect("evaluates");
        if !out.value.is_null() {
            produced += 1;
        }
    }
    produced
}

fn bench(c: &mut Criterion) {
    let m = mapping();
    let users: Vec<_> = (0..64).map(user).collect();
    let mut ctx = FixedContext::default();

    let mut i = 0;
    c.bench_function("one user: 10 attributes + 2 scoping filters", |b| {
        b.iter(|| {
            i = (i + 1) % users.len();
            black_box(run(&m, black_box(&users[i]), &mut ctx))
        })
    });
    c.bench_function("scoping filters only (admits)", |b| {
        b.iter(|| {
            i = (i + 1) % users.len();
            black_box(m.scope.admits(black_box(&users[i])))
        })
    });

    // A plain figure, independent of criterion's statistics, for the summary line.
    let n = 200_000;
    let start = Instant::now();
    for k in 0..n {
        black_box(run(&m, &users[k % users.len()], &mut ctx));
    }
    let per_user = start.elapsed().as_secs_f64() * 1e6 / n as f64;
    println!("\nper user (10 attributes, 3 expressions, 2 scoping filters): {per_user:.2} µs (goal < 20 µs)");
}

criterion_group!(benches, bench);
criterion_main!(benches);
