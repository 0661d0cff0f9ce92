//! Error types of the crate: where in the text a parse failed ([`Span`], [`ParseError`]), why an
//! evaluation failed ([`EvalError`]) and why a scoping filter was refused ([`FilterError`]).
//!
//! Every kind has a stable, greppable code (`EXPR-P…` for parsing, `EXPR-E…` for evaluation,
//! `SCOPE-…` for filters) so the portal, the CLI and the logs can refer to the same failure in
//! the same words even if the message text is improved later.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A region of the expression text.
///
/// `start`/`end` are byte offsets into the source (what Rust slicing wants); `line` and `column`
/// are 1-based and count characters (what a person reading an editor wants). The UI converts
/// to UTF-16 offsets itself if its text area needs them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Span {
    pub start: usize,
    pub end: usize,
    pub line: u32,
    pub column: u32,
}

impl Span {
    /// The span of `source[start..end]`, with line and column computed from the text.
    pub fn from_offsets(source: &str, start: usize, end: usize) -> Self {
        let start = start.min(source.len());
        let end = end.clamp(start, source.len());
        let mut line = 1u32;
        let mut column = 1u32;
        for (i, c) in source.char_indices() {
            if i >= start {
                break;
            }
            if c == '\n' {
                line += 1;
                column = 1;
            } else {
                column += 1;
            }
        }
        Span {
            start,
            end,
            line,
            column,
        }
    }
}

impl Span {
    /// The span as UTF-16 code unit offsets into `source`, which is what a browser text area's
    /// `selectionStart`/`setSelectionRange` use.
    pub fn utf16_range(&self, source: &str) -> (usize, usize) {
        let units = |end: usize| {
            source
                .get(..end.min(source.len()))
                .map_or(0, |s| s.encode_utf16().count())
        };
        (units(self.start), units(self.end))
    }
}

impl fmt::Display for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}, column {}", self.line, self.column)
    }
}

/// Why an expression could not be parsed, and where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind} (at {span})")]
pub struct ParseError {
    pub kind: ParseErrorKind,
    pub span: Span,
}

impl ParseError {
    /// The stable code of the error kind, e.g. `EXPR-P003`.
    pub fn code(&self) -> &'static str {
        self.kind.code()
    }
}

/// What went wrong while parsing. Messages say what was expected, so the portal can show them
/// under the text as they are.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseErrorKind {
    #[error("the expression is {length} characters long; the limit is {limit}")]
    TooLong { length: usize, limit: usize },
    #[error("the expression is empty; expected a function call such as Join(\" \", [givenName], [surname])")]
    Empty,
    #[error("unexpected character {found:?}; expected {expected}")]
    UnexpectedChar { found: char, expected: String },
    #[error("unexpected {found}; expected {expected}")]
    UnexpectedToken { found: String, expected: String },
    #[error("string constant is not closed; expected a closing \"")]
    UnterminatedString,
    #[error("attribute reference is not closed; expected ]")]
    UnterminatedAttribute,
    #[error("empty attribute reference []; expected an attribute name such as [mail]")]
    EmptyAttribute,
    #[error("invalid character {found:?} in attribute name; attribute names cannot contain [ or line breaks")]
    InvalidAttributeChar { found: char },
    #[error("number {text} is out of range")]
    NumberOutOfRange { text: String },
    #[error("&H must be followed by hexadecimal digits, as in &HF7")]
    InvalidHex,
    #[error("unknown function {name}{}", suggestion_text(suggestion))]
    UnknownFunction {
        name: String,
        suggestion: Option<&'static str>,
    },
    #[error("unknown name {name}; expected a function call {name}(...), an [attribute], a \"string\" or a number{}", suggestion_text(suggestion))]
    UnknownConstant {
        name: String,
        suggestion: Option<&'static str>,
    },
    #[error("{function} takes {expected} argument(s), but {found} were given; usage: {signature}")]
    WrongArgumentCount {
        function: &'static str,
        expected: String,
        found: usize,
        signature: &'static str,
    },
    #[error(
        "argument {position} ({parameter}) of {function} cannot be left out; usage: {signature}"
    )]
    MissingArgument {
        function: &'static str,
        position: usize,
        parameter: &'static str,
        signature: &'static str,
    },
    #[error("comparison operators (= <> > >= < <=) are only allowed in the condition of IIF and the argument of CBool")]
    ComparisonNotAllowed,
    #[error("nesting is deeper than {limit} levels")]
    TooDeep { limit: usize },
    #[error("SelectUniqueValue must be the whole expression; it cannot be nested inside another function")]
    SelectUniqueValueNested,
    #[error("{function}: {message}")]
    InvalidArguments {
        function: &'static str,
        message: String,
    },
    #[error("invalid regular expression: {message}")]
    InvalidRegex { message: String },
}

fn suggestion_text(suggestion: &Option<&'static str>) -> String {
    match suggestion {
        Some(s) => format!("; did you mean {s}? (function names are case-sensitive)"),
        None => String::new(),
    }
}

impl ParseErrorKind {
    /// Stable code of this kind of error.
    pub fn code(&self) -> &'static str {
        match self {
            ParseErrorKind::TooLong { .. } => "EXPR-P001",
            ParseErrorKind::Empty => "EXPR-P002",
            ParseErrorKind::UnexpectedChar { .. } => "EXPR-P003",
            ParseErrorKind::UnexpectedToken { .. } => "EXPR-P004",
            ParseErrorKind::UnterminatedString => "EXPR-P005",
            ParseErrorKind::UnterminatedAttribute => "EXPR-P006",
            ParseErrorKind::EmptyAttribute => "EXPR-P007",
            ParseErrorKind::InvalidAttributeChar { .. } => "EXPR-P008",
            ParseErrorKind::NumberOutOfRange { .. } => "EXPR-P009",
            ParseErrorKind::InvalidHex => "EXPR-P010",
            ParseErrorKind::UnknownFunction { .. } => "EXPR-P011",
            ParseErrorKind::UnknownConstant { .. } => "EXPR-P012",
            ParseErrorKind::WrongArgumentCount { .. } => "EXPR-P013",
            ParseErrorKind::MissingArgument { .. } => "EXPR-P014",
            ParseErrorKind::ComparisonNotAllowed => "EXPR-P015",
            ParseErrorKind::TooDeep { .. } => "EXPR-P016",
            ParseErrorKind::SelectUniqueValueNested => "EXPR-P017",
            ParseErrorKind::InvalidArguments { .. } => "EXPR-P018",
            ParseErrorKind::InvalidRegex { .. } => "EXPR-P019",
        }
    }
}

/// Why evaluating a well-formed expression failed for a particular object.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EvalError {
    #[error("{function}: argument {position} must be {expected}, got {found}")]
    TypeMismatch {
        function: &'static str,
        position: usize,
        expected: &'static str,
        found: String,
    },
    #[error("{function}: {message}")]
    InvalidArgument {
        function: &'static str,
        message: String,
    },
    #[error("{function}: {input:?} is not a date and time this function understands")]
    InvalidDate {
        function: &'static str,
        input: String,
    },
    #[error("{function}: the result is outside the supported date range")]
    DateOutOfRange { function: &'static str },
    #[error(
        "SelectUniqueValue: none of the {candidates} candidate values is unique in the target"
    )]
    NoUniqueValue { candidates: usize },
    #[error("{function}: invalid regular expression: {message}")]
    InvalidRegex {
        function: &'static str,
        message: String,
    },
    #[error("{function}: the result would be larger than {limit} bytes")]
    ValueTooLarge {
        function: &'static str,
        limit: usize,
    },
}

impl EvalError {
    /// Stable code of this kind of error.
    pub fn code(&self) -> &'static str {
        match self {
            EvalError::TypeMismatch { .. } => "EXPR-E001",
            EvalError::InvalidArgument { .. } => "EXPR-E002",
            EvalError::InvalidDate { .. } => "EXPR-E003",
            EvalError::DateOutOfRange { .. } => "EXPR-E004",
            EvalError::NoUniqueValue { .. } => "EXPR-E005",
            EvalError::InvalidRegex { .. } => "EXPR-E006",
            EvalError::ValueTooLarge { .. } => "EXPR-E007",
        }
    }
}

/// Why a scoping filter was refused. `filter` and `clause` are 0-based indexes into the list the
/// caller gave, so the UI can put the message next to the offending row.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("scoping filter {}, clause {}: {kind}", filter + 1, clause + 1)]
pub struct FilterError {
    pub filter: usize,
    pub clause: usize,
    pub kind: FilterErrorKind,
}

impl FilterError {
    /// The stable code of the error kind, e.g. `SCOPE-003`.
    pub fn code(&self) -> &'static str {
        self.kind.code()
    }
}

/// What is wrong with one clause.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FilterErrorKind {
    #[error("the attribute name is empty")]
    EmptyAttribute,
    #[error("{operator} needs a value to compare with")]
    MissingValue { operator: &'static str },
    #[error("{operator} compares whole numbers, but the value {value:?} is not an integer")]
    NotAnInteger {
        operator: &'static str,
        value: String,
    },
    #[error("invalid regular expression {pattern:?}: {message}")]
    InvalidRegex { pattern: String, message: String },
    #[error("the regular expression is {length} characters long; the limit is {limit}")]
    RegexTooLong { length: usize, limit: usize },
    #[error("the scoping filter has no clauses; add at least one, or remove the filter")]
    NoClauses,
}

impl FilterErrorKind {
    /// Stable code of this kind of error.
    pub fn code(&self) -> &'static str {
        match self {
            FilterErrorKind::EmptyAttribute => "SCOPE-001",
            FilterErrorKind::MissingValue { .. } => "SCOPE-002",
            FilterErrorKind::NotAnInteger { .. } => "SCOPE-003",
            FilterErrorKind::InvalidRegex { .. } => "SCOPE-004",
            FilterErrorKind::RegexTooLong { .. } => "SCOPE-005",
            FilterErrorKind::NoClauses => "SCOPE-006",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn span_lines_and_columns_count_characters() {
        let src = "Join(\" \",\n  [gïvenName], x)";
        let at = src.find('x').unwrap();
        let span = Span::from_offsets(src, at, at + 1);
        assert_eq!((span.line, span.column), (2, 16));
        assert_eq!(&src[span.start..span.end], "x");
        let emoji = "\"😀\" x";
        let at = emoji.find('x').unwrap();
        assert_eq!(
            Span::from_offsets(emoji, at, at + 1).utf16_range(emoji),
            (5, 6)
        );
    }

    #[test]
    fn messages_carry_position_and_suggestion() {
        let err = ParseError {
            kind: ParseErrorKind::UnknownFunction {
                name: "iif".into(),
                suggestion: Some("IIF"),
            },
            span: Span::from_offsets("iif(", 0, 3),
        };
        assert_eq!(
            err.to_string(),
            "unknown function iif; did you mean IIF? (function names are case-sensitive) (at line 1, column 1)"
        );
        assert_eq!(err.code(), "EXPR-P011");
    }
}
