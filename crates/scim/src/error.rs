//! Error types of the crate: why a filter, attribute path or PATCH path could not be parsed
//! ([`ParseError`], with the byte position and what was expected) and why a PATCH request could
//! not be applied ([`PatchError`], which knows its RFC 7644 §3.12 `scimType`), why a resource
//! does not fit its schema ([`ValidationError`], with the attribute's path) and why an extension
//! schema could not be registered ([`SchemaError`]).
//!
//! Every kind has a stable, greppable code (`SCIM-F…` for parsing, `SCIM-P…` for PATCH,
//! `SCIM-V…` for validation, `SCIM-S…` for schemas) so the server's error `detail`, the portal
//! and the logs refer to a failure in the same words even if the message text is improved later.

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

/// Why a resource was refused by [`SchemaRegistry::validate`](crate::SchemaRegistry::validate):
/// the attribute (`path`, such as `emails[1].primary` or
/// `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value`; empty for the
/// whole body) and what was wrong with it. Always answered with HTTP status 400.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}{kind}", if path.is_empty() { String::new() } else { format!("{path}: ") })]
pub struct ValidationError {
    pub path: String,
    pub kind: ValidationErrorKind,
}

impl ValidationError {
    pub(crate) fn new(path: impl Into<String>, kind: ValidationErrorKind) -> Self {
        ValidationError {
            path: path.into(),
            kind,
        }
    }

    /// The stable code of the error kind, e.g. `SCIM-V004`.
    pub fn code(&self) -> &'static str {
        self.kind.code()
    }

    /// The RFC 7644 §3.12 `scimType` to answer with (always with HTTP status 400).
    pub fn scim_type(&self) -> ScimType {
        self.kind.scim_type()
    }
}

/// What was wrong with a resource.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ValidationErrorKind {
    #[error("the resource must be a JSON object, not {found}")]
    NotAnObject { found: &'static str },
    /// `of` is the schema URN for a top-level or extension attribute, the attribute's name for
    /// a sub-attribute.
    #[error("not an attribute of {of}")]
    UnknownAttribute { of: String },
    #[error("{urn} is not a schema of {resource_type} resources")]
    UnknownSchema { urn: String, resource_type: String },
    #[error("expected {expected}, found {found}")]
    WrongType { expected: String, found: String },
    #[error("the attribute is required and must have a non-empty value")]
    MissingRequired,
    #[error("the attribute is given more than once (names are case-insensitive)")]
    Duplicate,
    #[error("primary is true on more than one value")]
    MultiplePrimary,
}

impl ValidationErrorKind {
    /// The stable code of this kind.
    pub fn code(&self) -> &'static str {
        match self {
            ValidationErrorKind::NotAnObject { .. } => "SCIM-V001",
            ValidationErrorKind::UnknownAttribute { .. } => "SCIM-V002",
            ValidationErrorKind::UnknownSchema { .. } => "SCIM-V003",
            ValidationErrorKind::WrongType { .. } => "SCIM-V004",
            ValidationErrorKind::MissingRequired => "SCIM-V005",
            ValidationErrorKind::Duplicate => "SCIM-V006",
            ValidationErrorKind::MultiplePrimary => "SCIM-V007",
        }
    }

    /// The RFC 7644 §3.12 `scimType` of this kind: `invalidSyntax` when the body does not
    /// have the structure of the schema (not an object, unknown attribute or schema, an
    /// attribute twice), `invalidValue` when a value is missing or of the wrong type.
    pub fn scim_type(&self) -> ScimType {
        match self {
            ValidationErrorKind::NotAnObject { .. }
            | ValidationErrorKind::UnknownAttribute { .. }
            | ValidationErrorKind::UnknownSchema { .. }
            | ValidationErrorKind::Duplicate => ScimType::InvalidSyntax,
            ValidationErrorKind::WrongType { .. }
            | ValidationErrorKind::MissingRequired
            | ValidationErrorKind::MultiplePrimary => ScimType::InvalidValue,
        }
    }
}

/// Why an extension schema could not be added to a
/// [`SchemaRegistry`](crate::SchemaRegistry): a programming or configuration error (an
/// admin-defined attribute with an impossible name, say), not a client's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SchemaError {
    #[error("{id:?} cannot be an extension schema: expected a URN outside urn:ietf:params:scim:schemas:core:")]
    NotAnExtension { id: String },
    #[error("attribute {path:?} of {schema}: {reason}")]
    InvalidAttribute {
        schema: String,
        path: String,
        reason: &'static str,
    },
}

impl SchemaError {
    /// The stable code of the error, e.g. `SCIM-S002`.
    pub fn code(&self) -> &'static str {
        match self {
            SchemaError::NotAnExtension { .. } => "SCIM-S001",
            SchemaError::InvalidAttribute { .. } => "SCIM-S002",
        }
    }
}
