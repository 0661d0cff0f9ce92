//! Error types of the crate: why a filter, attribute path or PATCH path could not be parsed
//! ([`ParseError`], with the byte position and what was expected) and why a PATCH request could
//! not be applied ([`PatchError`], which knows its RFC 7644 §3.12 `scimType`).
//!
//! Every kind has a stable, greppable code (`SCIM-F…` for parsing, `SCIM-P…` for PATCH) so the
//! server's error `detail`, the portal and the logs refer to a failure in the same words even if
//! the message text is improved later.

use crate::types::ScimType;

/// Why a filter or path could not be parsed, and where.
///
/// `position` is a byte offset into the text (always on a character boundary, at most the
/// text's length); a message says what was expected there.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind} (at byte {position})")]
pub struct ParseError {
    pub kind: ParseErrorKind,
    pub position: usize,
}

impl ParseError {
    pub(crate) fn new(kind: ParseErrorKind, position: usize) -> Self {
        ParseError { kind, position }
    }

    /// The stable code of the error kind, e.g. `SCIM-F005`.
    pub fn code(&self) -> &'static str {
        self.kind.code()
    }
}

/// What went wrong while parsing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseErrorKind {
    #[error("the text is {length} bytes long; the limit is {limit}")]
    TooLong { length: usize, limit: usize },
    #[error("nesting is deeper than {limit} levels of ( ), not ( ) and [ ]")]
    TooDeep { limit: usize },
    #[error("the text is empty; expected {expected}")]
    Empty { expected: &'static str },
    #[error("unexpected character {found:?}; expected {expected}")]
    UnexpectedChar { found: char, expected: &'static str },
    #[error("unexpected {found}; expected {expected}")]
    UnexpectedToken {
        found: String,
        expected: &'static str,
    },
    #[error("string is not closed; expected a closing \"")]
    UnterminatedString,
    #[error("invalid escape in string; expected one of \\\" \\\\ \\/ \\b \\f \\n \\r \\t or \\u followed by four hex digits (surrogates in pairs)")]
    InvalidEscape,
    #[error("control character {found:?} in string; it must be escaped, as in \\n or \\u0001")]
    ControlCharacter { found: char },
    #[error("invalid number {text}; expected a JSON number such as 42, -1.5 or 1e3 (within the range of a 64-bit float)")]
    InvalidNumber { text: String },
    #[error("invalid attribute path {text:?}: {reason}")]
    InvalidAttributePath { text: String, reason: &'static str },
    #[error("a value filter [...] cannot contain another value filter")]
    NestedValueFilter,
    #[error("{op} cannot be used with {found}; expected {expected}")]
    InvalidComparison {
        op: &'static str,
        found: &'static str,
        expected: &'static str,
    },
}

impl ParseErrorKind {
    /// The stable code of this kind.
    pub fn code(&self) -> &'static str {
        match self {
            ParseErrorKind::TooLong { .. } => "SCIM-F001",
            ParseErrorKind::TooDeep { .. } => "SCIM-F002",
            ParseErrorKind::Empty { .. } => "SCIM-F003",
            ParseErrorKind::UnexpectedChar { .. } => "SCIM-F004",
            ParseErrorKind::UnexpectedToken { .. } => "SCIM-F005",
            ParseErrorKind::UnterminatedString => "SCIM-F006",
            ParseErrorKind::InvalidEscape => "SCIM-F007",
            ParseErrorKind::ControlCharacter { .. } => "SCIM-F008",
            ParseErrorKind::InvalidNumber { .. } => "SCIM-F009",
            ParseErrorKind::InvalidAttributePath { .. } => "SCIM-F010",
            ParseErrorKind::NestedValueFilter => "SCIM-F011",
            ParseErrorKind::InvalidComparison { .. } => "SCIM-F012",
        }
    }
}

/// Why a PATCH request could not be applied. `operation` is the 0-based index of the failing
/// operation in `Operations`; the resource is left unchanged (PATCH is atomic, RFC 7644 §3.5.2).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("operation {} of the PATCH request: {kind}", operation + 1)]
pub struct PatchError {
    pub operation: usize,
    pub kind: PatchErrorKind,
}

impl PatchError {
    /// The stable code of the error kind, e.g. `SCIM-P002`.
    pub fn code(&self) -> &'static str {
        self.kind.code()
    }

    /// The RFC 7644 §3.12 `scimType` to answer with (always with HTTP status 400).
    pub fn scim_type(&self) -> ScimType {
        self.kind.scim_type()
    }
}

/// What was wrong with one PATCH operation.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PatchErrorKind {
    #[error("invalid path {path:?}: {source}")]
    InvalidPath { path: String, source: ParseError },
    #[error("{0}")]
    PathNotApplicable(String),
    #[error("no target: {0}")]
    NoTarget(String),
    #[error("invalid value: {0}")]
    InvalidValue(String),
    #[error("{attribute} is {mutability} and cannot be changed")]
    Mutability {
        attribute: String,
        mutability: &'static str,
    },
    #[error("{0}")]
    InvalidSyntax(String),
}

impl PatchErrorKind {
    /// The stable code of this kind.
    pub fn code(&self) -> &'static str {
        match self {
            PatchErrorKind::InvalidPath { .. } => "SCIM-P001",
            PatchErrorKind::PathNotApplicable(_) => "SCIM-P002",
            PatchErrorKind::NoTarget(_) => "SCIM-P003",
            PatchErrorKind::InvalidValue(_) => "SCIM-P004",
            PatchErrorKind::Mutability { .. } => "SCIM-P005",
            PatchErrorKind::InvalidSyntax(_) => "SCIM-P006",
        }
    }

    /// The RFC 7644 §3.12 `scimType` of this kind.
    pub fn scim_type(&self) -> ScimType {
        match self {
            PatchErrorKind::InvalidPath { .. } | PatchErrorKind::PathNotApplicable(_) => {
                ScimType::InvalidPath
            }
            PatchErrorKind::NoTarget(_) => ScimType::NoTarget,
            PatchErrorKind::InvalidValue(_) => ScimType::InvalidValue,
            PatchErrorKind::Mutability { .. } => ScimType::Mutability,
            PatchErrorKind::InvalidSyntax(_) => ScimType::InvalidSyntax,
        }
    }
}
