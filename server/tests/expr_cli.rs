//! `steward expr eval` and `steward scope eval`, as an admin uses them from a terminal.

#![allow(clippy::unwrap_used)]

mod common;
use common::steward;

fn run(args: &[&str]) -> (i32, String, String) {
    let out = steward().args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn evaluates_an_expression_and_prints_json() {
    let (code, out, err) = run(&[
        "expr",
        "eval",
        r#"ToLower(Join(".", [givenName], [surname]))"#,
        "--attrs",
        r#"{"givenName":"Ada","surname":"Lovelace"}"#,
    ]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out.trim(), "\"ada.lovelace\"");

    let (code, out, _) = run(&["expr", "eval", "Now()", "--now", "2026-03-04T05:06:07Z"]);
    assert_eq!(code, 0);
    assert_eq!(out.trim(), "\"3/4/2026 5:06:07 AM\"");
}

#[test]
fn a_syntax_error_shows_its_position_and_exits_non_zero() {
    let (code, out, err) = run(&["expr", "eval", r#"Join(".", [givenName], [surname]"#]);
    assert_eq!(code, 1);
    assert!(out.is_empty());
    assert!(err.starts_with("error[EXPR-P"), "{err}");
    assert!(err.contains("line 1, column"), "{err}");
    assert!(err.contains('^'), "{err}");
    assert!(!err.contains("panicked"), "{err}");

    let (code, _, err) = run(&["expr", "eval", "switch([a], \"x\")"]);
    assert_eq!(code, 1);
    assert!(err.contains("Switch"), "no suggestion in {err}");

    let (code, _, err) = run(&["expr", "eval", "[a]", "--attrs", "not json"]);
    assert_eq!(code, 1);
    assert!(err.contains("--attrs is not valid JSON"), "{err}");
}

#[test]
fn scope_eval_prints_the_verdict_and_each_clause() {
    let dir = tempfile::tempdir().unwrap();
    let filters = dir.path().join("filters.json");
    std::fs::write(
        &filters,
        r#"[{"title": "Engineers", "clauses": [
              {"attribute": "department", "operator": "EQUALS", "value": "Engineering"},
              {"attribute": "accountEnabled", "operator": "IS TRUE"}]}]"#,
    )
    .unwrap();
    let path = filters.to_str().unwrap();
    let (code, out, err) = run(&[
        "scope",
        "eval",
        path,
        "--attrs",
        r#"{"department":"Engineering","accountEnabled":true}"#,
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("IN SCOPE"), "{out}");
    assert!(out.contains("department EQUALS \"Engineering\""), "{out}");

    let (_, out, _) = run(&[
        "scope",
        "eval",
        path,
        "--attrs",
        r#"{"department":"Sales","accountEnabled":true}"#,
        "--json",
    ]);
    let verdict: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(verdict["in_scope"], false);
    assert_eq!(verdict["filters"][0]["clauses"][0]["result"], false);
    assert_eq!(verdict["filters"][0]["clauses"][1]["result"], true);

    std::fs::write(
        &filters,
        r#"[{"clauses": [{"attribute": "age", "operator": "Greater_Than", "value": "ten"}]}]"#,
    )
    .unwrap();
    let (code, _, err) = run(&["scope", "eval", path, "--attrs", "{}"]);
    assert_eq!(code, 1);
    assert!(
        err.contains("error[SCOPE-") && err.contains("not an integer"),
        "{err}"
    );
}
