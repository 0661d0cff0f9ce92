//! The SCIM filter tree (RFC 7644 §3.4.2.2): [`Filter`], its operators and literals, the
//! canonical `Display`, and the entry points [`Filter::parse`] and [`Filter::matches`].
//!
//! `and` and `or` are n-ary: `a and b and c` is one `And` of three, so a long generated list
//! such as `id eq "1" or id eq "2" or …` does not become a deep tree (only parentheses, `not`
//! and `[...]` nest, and those are limited by [`MAX_DEPTH`]). Explicit grouping is kept:
//! `(a and b) and c` is an `And` inside an `And`, and prints with its parentheses again, so
//! `parse(f.to_string()) == f` holds for every tree the parser produces.

use std::fmt;
use std::str::FromStr;

use serde_json::Value;

use crate::error::ParseError;
use crate::path::AttrPath;
use crate::schema::AttributeCharacteristics;

/// Longest filter (or PATCH path) text accepted, in bytes.
pub const MAX_LENGTH: usize = 10_000;

/// Deepest nesting of `( )`, `not ( )` and `[ ]` accepted. It bounds recursion in the parser,
/// the evaluator, `Display` and `Drop`, so hostile input cannot exhaust the stack.
pub const MAX_DEPTH: usize = 32;

/// A parsed filter.
#[derive(Debug, Clone, PartialEq)]
pub enum Filter {
    /// All of the filters (at least two when parsed).
    And(Vec<Filter>),
    /// Any of the filters (at least two when parsed).
    Or(Vec<Filter>),
    /// `not (filter)`.
    Not(Box<Filter>),
    /// `path op value`.
    Compare {
        path: AttrPath,
        op: CompareOp,
        value: CompValue,
    },
    /// `path pr`: the attribute has a non-empty value.
    Present(AttrPath),
    /// `path[filter]`, or `path[filter].subAttr op value` / `… pr` (the form Entra uses to
    /// match users: `emails[type eq "work"].value eq "a@b.c"`). Inside `filter`, paths are
    /// relative to one value of the multi-valued attribute.
    ValuePath {
        path: AttrPath,
        filter: Box<Filter>,
        sub_attr: Option<SubAttrCondition>,
    },
}

/// The condition after `].subAttr` in a value path.
#[derive(Debug, Clone, PartialEq)]
pub struct SubAttrCondition {
    pub name: String,
    pub condition: Condition,
}

/// `pr`, or a comparison.
#[derive(Debug, Clone, PartialEq)]
pub enum Condition {
    Present,
    Compare(CompareOp, CompValue),
}

/// The comparison operators; their keywords are case-insensitive in the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CompareOp {
    Eq,
    Ne,
    Co,
    Sw,
    Ew,
    Gt,
    Ge,
    Lt,
    Le,
}

impl CompareOp {
    pub const ALL: [CompareOp; 9] = [
        CompareOp::Eq,
        CompareOp::Ne,
        CompareOp::Co,
        CompareOp::Sw,
        CompareOp::Ew,
        CompareOp::Gt,
        CompareOp::Ge,
        CompareOp::Lt,
        CompareOp::Le,
    ];

    /// The canonical (lowercase) keyword.
    pub fn as_str(self) -> &'static str {
        match self {
            CompareOp::Eq => "eq",
            CompareOp::Ne => "ne",
            CompareOp::Co => "co",
            CompareOp::Sw => "sw",
            CompareOp::Ew => "ew",
            CompareOp::Gt => "gt",
            CompareOp::Ge => "ge",
            CompareOp::Lt => "lt",
            CompareOp::Le => "le",
        }
    }

    /// The operator for a keyword, in any case.
    pub fn from_keyword(word: &str) -> Option<Self> {
        CompareOp::ALL
            .into_iter()
            .find(|op| op.as_str().eq_ignore_ascii_case(word))
    }

    /// `gt`, `ge`, `lt`, `le`.
    pub fn is_ordering(self) -> bool {
        matches!(
            self,
            CompareOp::Gt | CompareOp::Ge | CompareOp::Lt | CompareOp::Le
        )
    }

    /// `co`, `sw`, `ew`: only meaningful on strings.
    pub fn is_substring(self) -> bool {
        matches!(self, CompareOp::Co | CompareOp::Sw | CompareOp::Ew)
    }
}

impl fmt::Display for CompareOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `compValue`: a JSON literal. Date-times are strings; the evaluator compares them
/// chronologically when the attribute is a dateTime (or, for ordering, when both parse).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CompValue {
    Null,
    Bool(bool),
    Number(serde_json::Number),
    String(String),
}

impl CompValue {
    /// What the literal is, for messages.
    pub fn kind_name(&self) -> &'static str {
        match self {
            CompValue::Null => "null",
            CompValue::Bool(true) => "true",
            CompValue::Bool(false) => "false",
            CompValue::Number(_) => "a number",
            CompValue::String(_) => "a string",
        }
    }
}

impl From<&str> for CompValue {
    fn from(s: &str) -> Self {
        CompValue::String(s.to_owned())
    }
}

impl fmt::Display for CompValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CompValue::Null => f.write_str("null"),
            CompValue::Bool(b) => write!(f, "{b}"),
            CompValue::Number(n) => write!(f, "{n}"),
            // serde_json escapes exactly what JSON requires, which is what the lexer reads.
            CompValue::String(s) => f.write_str(&Value::String(s.clone()).to_string()),
        }
    }
}

impl Filter {
    /// Parses filter text (for example the `filter` query parameter, already URL-decoded).
    pub fn parse(text: &str) -> Result<Self, ParseError> {
        crate::parser::parse_filter(text)
    }

    /// Whether `resource` (a SCIM resource as JSON) matches, with RFC 7644 semantics; see
    /// [`crate::eval`].
    pub fn matches(&self, resource: &Value, attributes: &dyn AttributeCharacteristics) -> bool {
        crate::eval::matches(self, resource, attributes)
    }

    /// `path eq value`, the filter a client builds most (values are escaped by `Display`).
    pub fn eq(path: AttrPath, value: impl Into<CompValue>) -> Self {
        Filter::Compare {
            path,
            op: CompareOp::Eq,
            value: value.into(),
        }
    }

    fn needs_parens_in_and(&self) -> bool {
        matches!(self, Filter::And(_) | Filter::Or(_))
    }
}

impl FromStr for Filter {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Filter::parse(s)
    }
}

impl fmt::Display for Condition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Condition::Present => f.write_str("pr"),
            Condition::Compare(op, value) => write!(f, "{op} {value}"),
        }
    }
}

impl fmt::Display for Filter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Filter::And(items) => {
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(" and ")?;
                    }
                    if item.needs_parens_in_and() {
                        write!(f, "({item})")?;
                    } else {
                        write!(f, "{item}")?;
                    }
                }
                Ok(())
            }
            Filter::Or(items) => {
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(" or ")?;
                    }
                    // `and` binds tighter, so only a nested `or` needs parentheses to stay a
                    // separate node.
                    if matches!(item, Filter::Or(_)) {
                        write!(f, "({item})")?;
                    } else {
                        write!(f, "{item}")?;
                    }
                }
                Ok(())
            }
            Filter::Not(inner) => write!(f, "not ({inner})"),
            Filter::Compare { path, op, value } => write!(f, "{path} {op} {value}"),
            Filter::Present(path) => write!(f, "{path} pr"),
            Filter::ValuePath {
                path,
                filter,
                sub_attr,
            } => {
                write!(f, "{path}[{filter}]")?;
                if let Some(sub) = sub_attr {
                    write!(f, ".{} {}", sub.name, sub.condition)?;
                }
                Ok(())
            }
        }
    }
}
