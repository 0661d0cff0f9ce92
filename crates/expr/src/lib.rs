//! # steward-expr: the expression language and scoping filters
//!
//! The pure core of attribute mapping: no IO, no clock, no entropy source of its own, and it
//! compiles for `wasm32-unknown-unknown` so the portal evaluates expressions in the browser with
//! exactly the code the server runs.
//!
//! ## Expressions
//! Entra-compatible attribute-mapping expressions:
//! `Join(".", [givenName], [surname])`, `Switch([department], "default", "Sales", "sales-team")`.
//!
//! ```
//! use steward_expr::{parse, FixedContext, Value};
//!
//! let expr = parse(r#"ToLower(Join(".", [givenName], [surname]))"#)?;
//! let user = serde_json::json!({"givenName": "Ada", "surname": "Lovelace"});
//! let outcome = expr.evaluate(&user, &mut FixedContext::default())?;
//! assert_eq!(outcome.value, Value::from("ada.lovelace"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! - [`parse`] checks everything that can be checked without data (function names, argument
//!   counts, comparison placement, `Replace` modes, constant regex patterns, the 10,000
//!   character and [`MAX_DEPTH`] limits) and returns an [`Expression`]; errors are
//!   [`ParseError`]s with a [`Span`] (line, column, byte range) and say what was expected.
//!   `Display` of an expression prints a canonical text that parses back to the same tree.
//! - [`Expression::evaluate`] reads attributes through [`AttributeSource`] (implemented for JSON
//!   objects and maps of [`Value`]) and the time, randomness and the uniqueness check of
//!   `SelectUniqueValue` through [`EvalContext`] ([`FixedContext`] is a deterministic one).
//!   It returns an [`Outcome`]: the [`Value`], and whether the attribute must be left out of the
//!   flow (`IgnoreFlowIfNullOrEmpty`) or redacted in logs (`Redact`).
//! - [`FUNCTIONS`] lists every function with its signature and one line of help, for the
//!   expression builder.
//!
//! ## Scoping filters
//! [`filter::Scope`] is a list of [`filter::ScopingFilter`]s (ORed; none means everything is in
//! scope), each a list of [`filter::Clause`]s (ANDed). They serialize to JSON for storage and
//! the UI. [`filter::Scope::compile`] validates them and compiles regular expressions once;
//! [`filter::CompiledScope::evaluate`] returns the verdict with a trace of every clause.
//!
//! ## Where Steward deliberately differs from Entra
//! - **IIF with a null source.** Entra's `IIF` fails when an attribute in its condition is null
//!   or empty (Microsoft tells admins to use `Switch` instead). Here a null compares as `""` and a
//!   null condition is false, so `IIF([country] = "", "Other", [country])` and
//!   `IIF(IsPresent([country]), [country], "Other")` do what they say.
//! - **Switch on update.** Entra can evaluate `Switch` to null during an update when its source
//!   attribute did not change but another mapped attribute did, wiping the target value. Here an
//!   expression is always evaluated against the whole object, so the result never depends on
//!   which attributes changed.
//! - **Positions** (`Mid`, `Left`, `InStr`, `Item`, `Word`) count Unicode characters, not UTF-16
//!   code units; the two differ only for characters such as emoji.
//! - **Hex literals** are 64-bit: `&HFFFFFFFF` is 4294967295, not VB's 32-bit -1.
//! - **String escapes**: only `\"` and `\\` are escapes; any other backslash is kept, so a regex
//!   written with single backslashes still works.
//! - **Dates** are UTC throughout; text without an offset is read as UTC. `FormatDateTime` with a
//!   format that has no date part gives 1 January of year 1 rather than today.
//! - **Split** trims white space around each value, as Microsoft's example output shows.
//! - **Join** skips null and empty values, as Microsoft's example `Join(", ", "", [surname],
//!   [givenName])` → `"Doe, John"` shows.
//! - **SingleAppRoleAssignment** picks the first role (Entra does not promise which).
//! - **SelectUniqueValue** is available for every target (Entra limits it to Active Directory
//!   targets); the engine decides what "unique in the target" means through [`EvalContext`].
//! - **Regular expressions** use the `regex` crate (linear time) rather than .NET's backtracking
//!   engine: look-around and back-references are refused with a clear error.
//! - **NormalizeDiacritics** also maps a plain `œ`/`Œ` (Microsoft lists only `œ̄`/`Œ̄`).
//! - **Limits**: besides the 10,000-character limit, nesting is limited to [`MAX_DEPTH`] calls
//!   and a function result to [`eval::MAX_VALUE_BYTES`] (1 MiB), so no expression can exhaust
//!   memory or time; regex patterns to 1,000 characters and a bounded compiled size.
//! - **Scoping filter integers** may be negative (Microsoft says `[0,1,2,…]`), and
//!   `Less_Than`/`Less_Than_OR_EQUALS`, absent from Microsoft's documentation, mirror the
//!   `Greater_Than` pair. `&`/`!&` mean "the attribute occurs / does not occur within the value";
//!   see [`filter`].
//! - **Function names** are case-sensitive as in Entra, with a suggestion when the case is wrong
//!   (even Microsoft's own documentation writes `switch(…)` once).

// Tests state their expectations with unwrap; production code may not.
#![cfg_attr(test, allow(clippy::unwrap_used))]

pub mod ast;
pub mod catalogue;
pub mod context;
pub mod error;
pub mod eval;
pub mod filter;
pub mod functions;
mod lexer;
pub mod parser;
pub mod regex_util;
pub mod source;
pub mod value;

pub use ast::{CmpOp, Constant, Expr, NumberLit};
pub use catalogue::{suggest_function, Function, FunctionInfo, FUNCTIONS};
pub use context::{EvalContext, FixedContext};
pub use error::{EvalError, FilterError, FilterErrorKind, ParseError, ParseErrorKind, Span};
pub use eval::{Outcome, RolePatchMode};
pub use filter::{
    Clause, ClauseTrace, CompiledScope, Operator, Scope, ScopeVerdict, ScopingFilter,
};
pub use parser::{parse, Expression, MAX_DEPTH, MAX_EXPRESSION_CHARS};
pub use source::{AttributeSource, NoAttributes};
pub use value::{Number, Value};
