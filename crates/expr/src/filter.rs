//! Scoping filters: which objects an object mapping provisions.
//!
//! A [`Scope`] is a list of [`ScopingFilter`]s combined with OR; an empty scope admits
//! everything. A filter is a list of [`Clause`]s combined with AND. A clause compares one
//! attribute with one value using an [`Operator`]. The JSON shape, used for storage, the API and
//! `steward scope eval`, is:
//!
//! ```json
//! [
//!   {"title": "Engineering in New York", "clauses": [
//!     {"attribute": "department", "operator": "EQUALS", "value": "Engineering"},
//!     {"attribute": "accountEnabled", "operator": "IS TRUE"}
//!   ]}
//! ]
//! ```
//!
//! [`Scope::compile`] validates every clause (an integer for `Greater_Than`, a valid regex, a
//! value where one is needed) and compiles regular expressions once; the [`CompiledScope`] is
//! then evaluated for many objects, with a per-clause trace ([`CompiledScope::evaluate`]) or as
//! a bare verdict that stops at the first decisive clause ([`CompiledScope::admits`]).
//!
//! ## Operator semantics
//! Text comparisons are case-sensitive and ordinal, as in Entra. As Microsoft documents,
//! **every clause is false when the attribute is null or empty**, with the two operators for
//! which that rule would make no sense: `IS NULL` is true exactly for a null or empty attribute
//! and `IS NOT NULL` for any other. So `NOT EQUALS`, `NOT REGEX MATCH` and `!&` are false for a
//! user without the attribute (Microsoft states this for `NOT REGEX MATCH`); to include such
//! users, add a second filter with `IS NULL`.
//!
//! | operator | true when (attribute value `a`, clause value `v`) |
//! |---|---|
//! | `EQUALS` / `NOT EQUALS` | `a == v` / `a != v` |
//! | `IS TRUE` / `IS FALSE` | `a` is the boolean true / false (or the text `True`/`False`, any case) |
//! | `IS NULL` / `IS NOT NULL` | `a` is absent or `""` / `a` has a value |
//! | `REGEX MATCH` / `NOT REGEX MATCH` | `v` matches somewhere in `a` / does not (unanchored, as .NET's `IsMatch`) |
//! | `Greater_Than`, `Greater_Than_OR_EQUALS`, `Less_Than`, `Less_Than_OR_EQUALS` | both are integers and `a > v`, `a >= v`, `a < v`, `a <= v`; false if `a` is not an integer |
//! | `Includes` | `a` contains `v` |
//! | `STARTS_WITH` / `ENDS_WITH` | `a` starts / ends with `v` |
//! | `&` | `a` occurs within `v` ("the attribute exists in the input string value"), e.g. `department & "Sales,Marketing"` |
//! | `!&` | `a` does not occur within `v` |
//!
//! Microsoft's wording for `&`/`!&` is ambiguous; Steward reads it literally as the reverse of
//! `Includes`, which makes `&` a compact "is one of" test. `Less_Than` and `Less_Than_OR_EQUALS`
//! do not appear in Microsoft's documentation; they mirror the `Greater_Than` pair.
//!
//! Filtering on multi-valued attributes is not supported (as in Entra): such a clause is false,
//! and the trace says why; `IS NULL`/`IS NOT NULL` still test whether the attribute has values.

use std::fmt;

use regex::Regex;
use serde::{Deserialize, Serialize};

use crate::error::{FilterError, FilterErrorKind};
use crate::regex_util;
use crate::source::AttributeSource;
use crate::value::Value;

/// The scoping filters of one object mapping, ORed. Serializes as a JSON array of filters.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Scope {
    pub filters: Vec<ScopingFilter>,
}

/// Clauses that must all hold.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ScopingFilter {
    /// The admin's name for the filter ("Scoping Filter Title" in Entra).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub title: String,
    pub clauses: Vec<Clause>,
}

/// One condition on one attribute.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Clause {
    pub attribute: String,
    pub operator: Operator,
    /// The value to compare with; ignored (and may be absent) for the `IS …` operators.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub value: String,
}

impl Clause {
    pub fn new(attribute: impl Into<String>, operator: Operator, value: impl Into<String>) -> Self {
        Clause {
            attribute: attribute.into(),
            operator,
            value: value.into(),
        }
    }
}

/// Scoping filter operators, named exactly as Entra names them (also in JSON).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Operator {
    #[serde(rename = "EQUALS")]
    Equals,
    #[serde(rename = "NOT EQUALS")]
    NotEquals,
    #[serde(rename = "IS TRUE")]
    IsTrue,
    #[serde(rename = "IS FALSE")]
    IsFalse,
    #[serde(rename = "IS NULL")]
    IsNull,
    #[serde(rename = "IS NOT NULL")]
    IsNotNull,
    #[serde(rename = "REGEX MATCH")]
    RegexMatch,
    #[serde(rename = "NOT REGEX MATCH")]
    NotRegexMatch,
    #[serde(rename = "Greater_Than")]
    GreaterThan,
    #[serde(rename = "Greater_Than_OR_EQUALS")]
    GreaterThanOrEquals,
    #[serde(rename = "Less_Than")]
    LessThan,
    #[serde(rename = "Less_Than_OR_EQUALS")]
    LessThanOrEquals,
    #[serde(rename = "Includes")]
    Includes,
    #[serde(rename = "STARTS_WITH")]
    StartsWith,
    #[serde(rename = "ENDS_WITH")]
    EndsWith,
    #[serde(rename = "&")]
    In,
    #[serde(rename = "!&")]
    NotIn,
}

impl Operator {
    /// Every operator, in the order the UI lists them.
    pub const ALL: [Operator; 17] = [
        Operator::Equals,
        Operator::NotEquals,
        Operator::IsTrue,
        Operator::IsFalse,
        Operator::IsNull,
        Operator::IsNotNull,
        Operator::RegexMatch,
        Operator::NotRegexMatch,
        Operator::GreaterThan,
        Operator::GreaterThanOrEquals,
        Operator::LessThan,
        Operator::LessThanOrEquals,
        Operator::Includes,
        Operator::StartsWith,
        Operator::EndsWith,
        Operator::In,
        Operator::NotIn,
    ];

    /// The Entra name.
    pub fn name(self) -> &'static str {
        match self {
            Operator::Equals => "EQUALS",
            Operator::NotEquals => "NOT EQUALS",
            Operator::IsTrue => "IS TRUE",
            Operator::IsFalse => "IS FALSE",
            Operator::IsNull => "IS NULL",
            Operator::IsNotNull => "IS NOT NULL",
            Operator::RegexMatch => "REGEX MATCH",
            Operator::NotRegexMatch => "NOT REGEX MATCH",
            Operator::GreaterThan => "Greater_Than",
            Operator::GreaterThanOrEquals => "Greater_Than_OR_EQUALS",
            Operator::LessThan => "Less_Than",
            Operator::LessThanOrEquals => "Less_Than_OR_EQUALS",
            Operator::Includes => "Includes",
            Operator::StartsWith => "STARTS_WITH",
            Operator::EndsWith => "ENDS_WITH",
            Operator::In => "&",
            Operator::NotIn => "!&",
        }
    }

    /// Whether the operator ignores the clause value.
    pub fn is_unary(self) -> bool {
        matches!(
            self,
            Operator::IsTrue | Operator::IsFalse | Operator::IsNull | Operator::IsNotNull
        )
    }

    /// One line of help for the UI.
    pub fn help(self) -> &'static str {
        match self {
            Operator::Equals => "the attribute is exactly the value (case-sensitive)",
            Operator::NotEquals => {
                "the attribute has a value other than the value (case-sensitive)"
            }
            Operator::IsTrue => "the attribute is true",
            Operator::IsFalse => "the attribute is false",
            Operator::IsNull => "the attribute is absent or empty",
            Operator::IsNotNull => "the attribute has a value",
            Operator::RegexMatch => "the regular expression matches the attribute",
            Operator::NotRegexMatch => {
                "the attribute has a value the regular expression does not match"
            }
            Operator::GreaterThan => "the attribute is an integer greater than the value",
            Operator::GreaterThanOrEquals => {
                "the attribute is an integer greater than or equal to the value"
            }
            Operator::LessThan => "the attribute is an integer less than the value",
            Operator::LessThanOrEquals => {
                "the attribute is an integer less than or equal to the value"
            }
            Operator::Includes => "the attribute contains the value (case-sensitive)",
            Operator::StartsWith => "the attribute starts with the value (case-sensitive)",
            Operator::EndsWith => "the attribute ends with the value (case-sensitive)",
            Operator::In => {
                "the attribute occurs within the value, e.g. department & \"Sales,Marketing\""
            }
            Operator::NotIn => "the attribute has a value that does not occur within the value",
        }
    }
}

impl fmt::Display for Operator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Operator {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if let Some(op) = Operator::ALL.into_iter().find(|op| op.name() == s) {
            return Ok(op);
        }
        let normal = |x: &str| x.to_ascii_uppercase().replace([' ', '_'], "");
        match Operator::ALL
            .into_iter()
            .find(|op| normal(op.name()) == normal(s))
        {
            Some(op) => Err(format!(
                "unknown operator {s:?}; did you mean {:?}?",
                op.name()
            )),
            None => Err(format!("unknown operator {s:?}")),
        }
    }
}

impl fmt::Display for Clause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.operator.is_unary() {
            write!(f, "{} {}", self.attribute, self.operator)
        } else {
            write!(f, "{} {} ", self.attribute, self.operator)?;
            crate::ast::write_string_literal(f, &self.value)
        }
    }
}

impl fmt::Display for Scope {
    /// `(a AND b) OR (c)`; an empty scope prints as `everything`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.filters.is_empty() {
            return f.write_str("everything");
        }
        for (i, filter) in self.filters.iter().enumerate() {
            if i > 0 {
                f.write_str(" OR ")?;
            }
            f.write_str("(")?;
            for (j, clause) in filter.clauses.iter().enumerate() {
                if j > 0 {
                    f.write_str(" AND ")?;
                }
                write!(f, "{clause}")?;
            }
            f.write_str(")")?;
        }
        Ok(())
    }
}

/// What a clause needs at evaluation time, prepared once.
#[derive(Debug, Clone)]
enum Matcher {
    Text,
    Integer(i64),
    Regex(Regex),
}

#[derive(Debug, Clone)]
struct CompiledClause {
    clause: Clause,
    matcher: Matcher,
}

#[derive(Debug, Clone)]
struct CompiledFilter {
    title: String,
    clauses: Vec<CompiledClause>,
}

/// A validated scope with its regular expressions compiled, ready for many objects.
#[derive(Debug, Clone)]
pub struct CompiledScope {
    filters: Vec<CompiledFilter>,
}

impl Scope {
    pub fn new(filters: Vec<ScopingFilter>) -> Self {
        Scope { filters }
    }

    /// Checks every clause and compiles the scope. The first problem found is reported with
    /// the index of its filter and clause.
    pub fn compile(&self) -> Result<CompiledScope, FilterError> {
        let mut filters = Vec::with_capacity(self.filters.len());
        for (fi, filter) in self.filters.iter().enumerate() {
            let err = |ci: usize, kind: FilterErrorKind| FilterError {
                filter: fi,
                clause: ci,
                kind,
            };
            if filter.clauses.is_empty() {
                return Err(err(0, FilterErrorKind::NoClauses));
            }
            let mut clauses = Vec::with_capacity(filter.clauses.len());
            for (ci, clause) in filter.clauses.iter().enumerate() {
                let matcher = compile_clause(clause).map_err(|kind| err(ci, kind))?;
                clauses.push(CompiledClause {
                    clause: clause.clone(),
                    matcher,
                });
            }
            filters.push(CompiledFilter {
                title: filter.title.clone(),
                clauses,
            });
        }
        Ok(CompiledScope { filters })
    }
}

fn compile_clause(clause: &Clause) -> Result<Matcher, FilterErrorKind> {
    if clause.attribute.trim().is_empty() {
        return Err(FilterErrorKind::EmptyAttribute);
    }
    let op = clause.operator;
    if op.is_unary() {
        return Ok(Matcher::Text);
    }
    if clause.value.is_empty() {
        return Err(FilterErrorKind::MissingValue {
            operator: op.name(),
        });
    }
    Ok(match op {
        Operator::GreaterThan
        | Operator::GreaterThanOrEquals
        | Operator::LessThan
        | Operator::LessThanOrEquals => match clause.value.trim().parse::<i64>() {
            Ok(n) => Matcher::Integer(n),
            Err(_) => {
                return Err(FilterErrorKind::NotAnInteger {
                    operator: op.name(),
                    value: clause.value.clone(),
                })
            }
        },
        Operator::RegexMatch | Operator::NotRegexMatch => {
            let length = clause.value.chars().count();
            if length > regex_util::MAX_PATTERN_CHARS {
                return Err(FilterErrorKind::RegexTooLong {
                    length,
                    limit: regex_util::MAX_PATTERN_CHARS,
                });
            }
            Matcher::Regex(regex_util::compile(&clause.value).map_err(|message| {
                FilterErrorKind::InvalidRegex {
                    pattern: clause.value.clone(),
                    message,
                }
            })?)
        }
        _ => Matcher::Text,
    })
}

/// The verdict for one object, with the reasons.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScopeVerdict {
    pub in_scope: bool,
    /// One entry per filter, in order. Empty when the scope has no filters.
    pub filters: Vec<FilterTrace>,
}

/// How one filter fared.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FilterTrace {
    #[serde(skip_serializing_if = "String::is_empty")]
    pub title: String,
    pub passed: bool,
    pub clauses: Vec<ClauseTrace>,
}

/// How one clause fared: what was compared with what, and the result.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ClauseTrace {
    pub attribute: String,
    pub operator: Operator,
    /// The clause's value (empty for the `IS …` operators).
    pub value: String,
    /// The attribute's value on the object (null if absent).
    pub actual: Value,
    pub result: bool,
    /// Why a clause was false regardless of its value, e.g. a null attribute.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<&'static str>,
}

const NOTE_NULL: &str = "the attribute is null or empty, so the clause is false";
const NOTE_MULTI: &str = "multi-valued attributes cannot be used in scoping filters";
const NOTE_NOT_INTEGER: &str = "the attribute is not an integer";
const NOTE_NOT_BOOLEAN: &str = "the attribute is not a boolean";

impl CompiledClause {
    fn check(&self, actual: &Value) -> (bool, Option<&'static str>) {
        let op = self.clause.operator;
        let empty = actual.is_null_or_empty();
        match op {
            Operator::IsNull => return (empty, None),
            Operator::IsNotNull => return (!empty, None),
            _ if empty => return (false, Some(NOTE_NULL)),
            _ => {}
        }
        let Some(text) = actual.as_text() else {
            return (false, Some(NOTE_MULTI));
        };
        let text: &str = &text;
        let v = self.clause.value.as_str();
        match (&self.matcher, op) {
            (_, Operator::IsTrue | Operator::IsFalse) => {
                let want = op == Operator::IsTrue;
                match actual {
                    Value::Boolean(b) => (*b == want, None),
                    _ if text.trim().eq_ignore_ascii_case("true") => (want, None),
                    _ if text.trim().eq_ignore_ascii_case("false") => (!want, None),
                    _ => (false, Some(NOTE_NOT_BOOLEAN)),
                }
            }
            (Matcher::Regex(re), Operator::RegexMatch) => (re.is_match(text), None),
            (Matcher::Regex(re), Operator::NotRegexMatch) => (!re.is_match(text), None),
            (Matcher::Integer(n), _) => {
                let a = match actual {
                    Value::Number(num) => num.as_i64(),
                    _ => text.trim().parse::<i64>().ok(),
                };
                let Some(a) = a else {
                    return (false, Some(NOTE_NOT_INTEGER));
                };
                let r = match op {
                    Operator::GreaterThan => a > *n,
                    Operator::GreaterThanOrEquals => a >= *n,
                    Operator::LessThan => a < *n,
                    _ => a <= *n,
                };
                (r, None)
            }
            (_, Operator::Equals) => (text == v, None),
            (_, Operator::NotEquals) => (text != v, None),
            (_, Operator::Includes) => (text.contains(v), None),
            (_, Operator::StartsWith) => (text.starts_with(v), None),
            (_, Operator::EndsWith) => (text.ends_with(v), None),
            (_, Operator::In) => (v.contains(text), None),
            (_, Operator::NotIn) => (!v.contains(text), None),
            // Unreachable by construction: compile gives these operators their matcher.
            _ => (false, None),
        }
    }

    fn evaluate(&self, attrs: &dyn AttributeSource) -> ClauseTrace {
        let actual = attrs
            .attribute(&self.clause.attribute)
            .map(|v| v.into_owned())
            .unwrap_or(Value::Null);
        let (result, note) = self.check(&actual);
        ClauseTrace {
            attribute: self.clause.attribute.clone(),
            operator: self.clause.operator,
            value: self.clause.value.clone(),
            actual,
            result,
            note,
        }
    }

    fn holds(&self, attrs: &dyn AttributeSource) -> bool {
        match attrs.attribute(&self.clause.attribute) {
            Some(v) => self.check(&v).0,
            None => self.check(&Value::Null).0,
        }
    }
}

impl CompiledScope {
    /// Whether the object is in scope, with a trace of every clause of every filter (all are
    /// evaluated, so the trace shows everything that would have to change).
    pub fn evaluate(&self, attrs: &dyn AttributeSource) -> ScopeVerdict {
        let filters: Vec<FilterTrace> = self
            .filters
            .iter()
            .map(|f| {
                let clauses: Vec<ClauseTrace> =
                    f.clauses.iter().map(|c| c.evaluate(attrs)).collect();
                FilterTrace {
                    title: f.title.clone(),
                    passed: clauses.iter().all(|c| c.result),
                    clauses,
                }
            })
            .collect();
        ScopeVerdict {
            in_scope: filters.is_empty() || filters.iter().any(|f| f.passed),
            filters,
        }
    }

    /// Whether the object is in scope, stopping as soon as the answer is known. For the
    /// provisioning cycle's hot path, where no trace is kept.
    pub fn admits(&self, attrs: &dyn AttributeSource) -> bool {
        self.filters.is_empty()
            || self
                .filters
                .iter()
                .any(|f| f.clauses.iter().all(|c| c.holds(attrs)))
    }

    /// Number of filters.
    pub fn len(&self) -> usize {
        self.filters.len()
    }

    pub fn is_empty(&self) -> bool {
        self.filters.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn clause(attr: &str, op: Operator, value: &str) -> Clause {
        Clause::new(attr, op, value)
    }

    fn one(c: Clause) -> CompiledScope {
        Scope::new(vec![ScopingFilter {
            title: String::new(),
            clauses: vec![c],
        }])
        .compile()
        .unwrap()
    }

    /// Every operator against present, null, empty and odd values.
    #[test]
    fn operator_table() {
        use Operator::*;
        let user = json!({
            "department": "Engineering",
            "empty": "",
            "upn": "ada@domain.com",
            "enabled": true,
            "disabledText": "False",
            "employeeId": "1500000",
            "count": 42,
            "proxyAddresses": ["smtp:a@x", "smtp:b@x"],
            "single": ["only"],
            "workerID": "1234567",
            "age": "25"
        });
        let cases: Vec<(&str, Operator, &str, bool)> = vec![
            ("department", Equals, "Engineering", true),
            ("department", Equals, "engineering", false), // case-sensitive
            ("missing", Equals, "Engineering", false),
            ("empty", Equals, "x", false),
            ("department", NotEquals, "Sales", true),
            ("department", NotEquals, "Engineering", false),
            ("missing", NotEquals, "Sales", false), // null makes every clause false
            ("empty", NotEquals, "Sales", false),
            ("enabled", IsTrue, "", true),
            ("enabled", IsFalse, "", false),
            ("disabledText", IsFalse, "", true),
            ("department", IsTrue, "", false),
            ("missing", IsFalse, "", false),
            ("missing", IsNull, "", true),
            ("empty", IsNull, "", true),
            ("department", IsNull, "", false),
            ("missing", IsNotNull, "", false),
            ("empty", IsNotNull, "", false),
            ("department", IsNotNull, "", true),
            ("proxyAddresses", IsNotNull, "", true),
            ("upn", RegexMatch, r".*\@domain.com", true),
            ("upn", NotRegexMatch, r".*\@domain.com", false),
            ("department", NotRegexMatch, r".*\@domain.com", true),
            ("missing", NotRegexMatch, r".*\@domain.com", false), // documented
            ("age", RegexMatch, "([1-9][0-9])", true),
            (
                "workerID",
                RegexMatch,
                "(1[0-9][0-9][0-9][0-9][0-9][0-9])",
                true,
            ),
            ("department", RegexMatch, "^engineering$", false),
            ("employeeId", GreaterThan, "1000000", true),
            ("employeeId", GreaterThan, "1500000", false),
            ("employeeId", GreaterThanOrEquals, "1500000", true),
            ("employeeId", LessThan, "2000000", true),
            ("employeeId", LessThanOrEquals, "1499999", false),
            ("count", GreaterThan, "41", true),
            ("department", GreaterThan, "1", false), // not an integer
            ("missing", LessThan, "1", false),
            ("department", Includes, "gineer", true),
            ("department", Includes, "GINEER", false),
            ("department", StartsWith, "Eng", true),
            ("department", StartsWith, "eng", false),
            ("department", EndsWith, "ring", true),
            ("department", EndsWith, "Eng", false),
            ("department", In, "Sales,Engineering,Support", true),
            ("department", In, "Sales,Support", false),
            ("department", NotIn, "Sales,Support", true),
            ("department", NotIn, "Sales,Engineering", false),
            ("missing", NotIn, "Sales", false),
            ("proxyAddresses", Equals, "smtp:a@x", false), // multi-valued: unsupported
            ("single", Equals, "only", true),              // one value counts as that value
        ];
        for (attr, op, value, want) in cases {
            let scope = one(clause(attr, op, value));
            let verdict = scope.evaluate(&user);
            assert_eq!(verdict.in_scope, want, "{attr} {op} {value:?}: {verdict:?}");
            assert_eq!(scope.admits(&user), want, "admits: {attr} {op} {value:?}");
        }
    }

    /// Microsoft's example: in New York, in Engineering, employee ID between 1,000,000 and
    /// 2,000,000, and a job title.
    #[test]
    fn and_within_or_between() {
        use Operator::*;
        let ny_engineers = ScopingFilter {
            title: "NY engineering".into(),
            clauses: vec![
                clause("state", Equals, "New York"),
                clause("department", Equals, "Engineering"),
                clause("employeeId", GreaterThanOrEquals, "1000000"),
                clause("employeeId", LessThanOrEquals, "2000000"),
                clause("jobTitle", IsNotNull, ""),
            ],
        };
        let contractors = ScopingFilter {
            title: "Contractors".into(),
            clauses: vec![clause("employeeType", Equals, "Contractor")],
        };
        let scope = Scope::new(vec![ny_engineers, contractors])
            .compile()
            .unwrap();
        let ada = json!({"state": "New York", "department": "Engineering", "employeeId": "1500000", "jobTitle": "Engineer"});
        let bob =
            json!({"state": "New York", "department": "Engineering", "employeeId": "1500000"});
        let cy = json!({"state": "Ohio", "employeeType": "Contractor"});
        assert!(scope.evaluate(&ada).in_scope);
        assert!(!scope.evaluate(&bob).in_scope);
        assert!(scope.evaluate(&cy).in_scope);

        let trace = scope.evaluate(&bob);
        let failed: Vec<&ClauseTrace> = trace.filters[0]
            .clauses
            .iter()
            .filter(|c| !c.result)
            .collect();
        assert_eq!(failed.len(), 1);
        assert_eq!(failed[0].attribute, "jobTitle");
        assert_eq!(failed[0].actual, Value::Null);
        assert_eq!(trace.filters[1].clauses[0].note, Some(NOTE_NULL));
        assert_eq!(trace.filters[0].clauses[2].actual, Value::from("1500000"));
    }

    #[test]
    fn no_filters_admit_everything() {
        let scope = Scope::default().compile().unwrap();
        assert!(scope.admits(&json!({})));
        let v = scope.evaluate(&json!({}));
        assert!(v.in_scope);
        assert!(v.filters.is_empty());
        assert_eq!(Scope::default().to_string(), "everything");
    }

    #[test]
    fn validation_errors() {
        use Operator::*;
        let cases: Vec<(Clause, &str, &str)> = vec![
            (
                clause("employeeId", GreaterThan, "ten"),
                "SCOPE-003",
                "Greater_Than compares whole numbers, but the value \"ten\" is not an integer",
            ),
            (
                clause("employeeId", LessThanOrEquals, "1.5"),
                "SCOPE-003",
                "not an integer",
            ),
            (
                clause("upn", RegexMatch, "(unclosed"),
                "SCOPE-004",
                "invalid regular expression \"(unclosed\"",
            ),
            (
                clause("upn", RegexMatch, r"(a)\1"),
                "SCOPE-004",
                "backreferences",
            ),
            (
                clause("upn", NotRegexMatch, &"a".repeat(1001)),
                "SCOPE-005",
                "limit is 1000",
            ),
            (
                clause("department", Equals, ""),
                "SCOPE-002",
                "EQUALS needs a value",
            ),
            (
                clause("", IsNull, ""),
                "SCOPE-001",
                "attribute name is empty",
            ),
        ];
        for (c, code, message) in cases {
            let scope = Scope::new(vec![
                ScopingFilter {
                    title: String::new(),
                    clauses: vec![clause("a", IsNull, "")],
                },
                ScopingFilter {
                    title: String::new(),
                    clauses: vec![clause("a", IsNull, ""), c.clone()],
                },
            ]);
            let err = scope.compile().unwrap_err();
            assert_eq!(err.code(), code, "{c}: {err}");
            assert_eq!((err.filter, err.clause), (1, 1), "{c}");
            assert!(err.to_string().contains(message), "{c}: {err}");
            assert!(
                err.to_string().starts_with("scoping filter 2, clause 2: "),
                "{err}"
            );
        }
        let empty = Scope::new(vec![ScopingFilter::default()]);
        assert_eq!(empty.compile().unwrap_err().code(), "SCOPE-006");
    }

    #[test]
    fn hostile_regex_is_linear() {
        // (a+)+$ backtracks exponentially in .NET; here it is a finite automaton.
        let scope = one(clause("x", Operator::RegexMatch, "(a+)+$"));
        let hostile = format!("{}!", "a".repeat(50_000));
        let start = std::time::Instant::now();
        assert!(!scope.admits(&json!({ "x": hostile })));
        assert!(start.elapsed() < std::time::Duration::from_secs(2));
    }

    #[test]
    fn json_shape_is_stable() {
        let scope = Scope::new(vec![ScopingFilter {
            title: "Engineering".into(),
            clauses: vec![
                clause("department", Operator::Equals, "Engineering"),
                clause("accountEnabled", Operator::IsTrue, ""),
                clause("dept", Operator::In, "Sales,Marketing"),
            ],
        }]);
        let j = serde_json::to_value(&scope).unwrap();
        assert_eq!(
            j,
            json!([{"title": "Engineering", "clauses": [
                {"attribute": "department", "operator": "EQUALS", "value": "Engineering"},
                {"attribute": "accountEnabled", "operator": "IS TRUE"},
                {"attribute": "dept", "operator": "&", "value": "Sales,Marketing"}
            ]}])
        );
        let back: Scope = serde_json::from_value(j).unwrap();
        assert_eq!(back, scope);
        assert_eq!(
            scope.to_string(),
            "(department EQUALS \"Engineering\" AND accountEnabled IS TRUE AND dept & \"Sales,Marketing\")"
        );
        for op in Operator::ALL {
            let s = serde_json::to_string(&op).unwrap();
            assert_eq!(s, format!("\"{}\"", op.name()));
            assert_eq!(serde_json::from_str::<Operator>(&s).unwrap(), op);
            assert_eq!(op.name().parse::<Operator>(), Ok(op));
        }
        assert!("equals"
            .parse::<Operator>()
            .unwrap_err()
            .contains("did you mean \"EQUALS\""));
        assert!(serde_json::from_value::<Scope>(
            json!([{"clauses": [{"attribute": "a", "operator": "LIKE", "value": "x"}]}])
        )
        .is_err());

        let trace = scope.compile().unwrap().evaluate(
            &json!({"department": "Engineering", "accountEnabled": true, "dept": "Sales"}),
        );
        let t = serde_json::to_value(&trace).unwrap();
        assert_eq!(t["in_scope"], true);
        assert_eq!(
            t["filters"][0]["clauses"][0],
            json!({
                "attribute": "department", "operator": "EQUALS", "value": "Engineering",
                "actual": "Engineering", "result": true
            })
        );
    }
}
