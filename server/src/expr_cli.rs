//! `steward expr eval` and `steward scope eval`: evaluate an attribute-mapping expression or
//! scoping filters against sample attributes from a terminal, with the same code the engine
//! and the portal use. Needs no configuration and no database.

use anyhow::{bail, Context};
use chrono::{DateTime, Utc};
use steward_expr::{parse, FixedContext, ParseError, Scope};

/// Reads `--attrs`: inline JSON, or `@FILE`.
fn read_attrs(attrs: &str) -> anyhow::Result<serde_json::Value> {
    let text = match attrs.strip_prefix('@') {
        Some(path) => std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the attributes file {path}"))?,
        None => attrs.to_string(),
    };
    let value: serde_json::Value = serde_json::from_str(&text).with_context(|| {
        "--attrs is not valid JSON; give an object such as '{\"givenName\":\"Ada\"}'"
    })?;
    if !value.is_object() {
        bail!("--attrs must be a JSON object of attribute names and values, such as '{{\"givenName\":\"Ada\"}}'");
    }
    Ok(value)
}

/// The expression with the error's span underlined, for a terminal.
pub fn render_parse_error(source: &str, err: &ParseError) -> String {
    let line_text = source
        .lines()
        .nth(err.span.line.saturating_sub(1) as usize)
        .unwrap_or("");
    let indent = " ".repeat(err.span.column.saturating_sub(1) as usize);
    let width = source
        .get(err.span.start..err.span.end)
        .map(|s| s.lines().next().unwrap_or("").chars().count())
        .unwrap_or(0)
        .max(1);
    format!(
        "error[{}] at line {}, column {}: {}\n  {line_text}\n  {indent}{}",
        err.code(),
        err.span.line,
        err.span.column,
        err.kind,
        "^".repeat(width)
    )
}

pub fn expr_eval(
    expression: &str,
    attrs: &str,
    now: Option<&str>,
    seed: u64,
) -> anyhow::Result<()> {
    let attrs = read_attrs(attrs)?;
    let now: DateTime<Utc> = match now {
        Some(text) => DateTime::parse_from_rfc3339(text)
            .with_context(|| {
                format!("--now {text:?} is not an RFC 3339 time such as 2026-01-31T09:00:00Z")
            })?
            .with_timezone(&Utc),
        None => Utc::now(),
    };
    let parsed = match parse(expression) {
        Ok(p) => p,
        Err(e) => bail!("{}", render_parse_error(expression, &e)),
    };
    let outcome = parsed
        .evaluate(&attrs, &mut FixedContext::new(now, seed))
        .map_err(|e| anyhow::anyhow!("error[{}]: {e}", e.code()))?;
    if outcome.ignore_flow {
        eprintln!("note: IgnoreFlowIfNullOrEmpty applies: the target attribute would be left out");
    }
    if outcome.redacted {
        eprintln!("note: the value is marked Redact; logs would show [Redact]");
    }
    println!(
        "{}",
        serde_json::to_string_pretty(&outcome.value.to_json())?
    );
    Ok(())
}

pub fn scope_eval(filters_file: &str, attrs: &str, json: bool) -> anyhow::Result<()> {
    let attrs = read_attrs(attrs)?;
    let text = std::fs::read_to_string(filters_file)
        .with_context(|| format!("cannot read the scoping filters file {filters_file}"))?;
    let scope: Scope = serde_json::from_str(&text).with_context(|| {
        format!(
            "{filters_file} is not a list of scoping filters; expected \
             [{{\"clauses\": [{{\"attribute\": \"department\", \"operator\": \"EQUALS\", \"value\": \"Sales\"}}]}}]"
        )
    })?;
    let compiled = scope
        .compile()
        .map_err(|e| anyhow::anyhow!("error[{}]: {e}", e.code()))?;
    let verdict = compiled.evaluate(&attrs);
    if json {
        println!("{}", serde_json::to_string_pretty(&verdict)?);
        return Ok(());
    }
    println!(
        "{}",
        if verdict.in_scope {
            "IN SCOPE"
        } else {
            "OUT OF SCOPE"
        }
    );
    if verdict.filters.is_empty() {
        println!("  (no scoping filters: every object is in scope)");
    }
    for (i, filter) in verdict.filters.iter().enumerate() {
        let title = if filter.title.is_empty() {
            format!("filter {}", i + 1)
        } else {
            filter.title.clone()
        };
        println!("  {} {title}", if filter.passed { "pass" } else { "FAIL" });
        for clause in &filter.clauses {
            let value = if clause.value.is_empty() {
                String::new()
            } else {
                format!(" {:?}", clause.value)
            };
            let note = clause.note.map(|n| format!(" ({n})")).unwrap_or_default();
            println!(
                "    {} {} {}{value}: actual {}{note}",
                if clause.result { "true " } else { "false" },
                clause.attribute,
                clause.operator.name(),
                clause.actual.to_json(),
            );
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_errors_are_underlined_at_their_position() {
        let src = "Join(\".\", [givenName], [surname]";
        let err = parse(src).unwrap_err();
        let text = render_parse_error(src, &err);
        let lines: Vec<&str> = text.lines().collect();
        assert!(
            lines[0].starts_with(&format!("error[{}] at line 1, column", err.code())),
            "{text}"
        );
        assert_eq!(lines[1], format!("  {src}"));
        let caret = lines[2].find('^').unwrap() - 2;
        assert_eq!(caret, err.span.column as usize - 1, "{text}");
    }

    #[test]
    fn attrs_must_be_a_json_object() {
        assert!(read_attrs("{\"a\":1}").is_ok());
        assert!(read_attrs("[1]")
            .unwrap_err()
            .to_string()
            .contains("JSON object"));
        assert!(read_attrs("{oops")
            .unwrap_err()
            .to_string()
            .contains("not valid JSON"));
    }
}
