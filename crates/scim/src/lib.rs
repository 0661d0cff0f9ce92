//! # steward-scim: SCIM 2.0 without IO
//!
//! The parts of SCIM 2.0 (RFC 7643, RFC 7644) that Steward's inbound `/scim/v2` server and its
//! outbound SCIM connector share: no IO, no clock, and it compiles for
//! `wasm32-unknown-unknown`, so the portal can check a filter with the code the server runs.
//!
//! ```
//! use steward_scim::{CoreSchema, Filter, PatchOp};
//!
//! let filter = Filter::parse(r#"emails[type eq "work"].value eq "Ada@Example.com""#)?;
//! let mut user = serde_json::json!({
//!     "id": "1", "userName": "ada", "active": true,
//!     "emails": [{"type": "work", "value": "ada@example.com"}]
//! });
//! assert!(filter.matches(&user, &CoreSchema));
//!
//! // Entra's legacy shape: capitalised op, boolean as a string.
//! let mut patch: PatchOp = serde_json::from_str(
//!     r#"{"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
//!         "Operations": [{"op": "Replace", "path": "active", "value": "False"}]}"#,
//! )?;
//! patch.normalize(&CoreSchema);
//! patch.apply(&mut user, &CoreSchema)?;
//! assert_eq!(user["active"], false);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! - [`filter`]: the filter tree ([`Filter`]) with a canonical `Display` that parses back to
//!   the same tree; [`Filter::parse`] enforces [`MAX_LENGTH`] and [`MAX_DEPTH`].
//! - [`eval`]: [`Filter::matches`] with RFC semantics (case-insensitive names, caseExact from
//!   the schema, any-value matching on multi-valued attributes, chronological date-times).
//! - [`path`]: attribute paths and PATCH paths.
//! - [`schema`]: [`AttributeCharacteristics`], the one question the crate asks about a schema,
//!   and [`CoreSchema`] for the standard User, Group and enterprise User attributes.
//! - [`registry`]: the schema documents ([`Schema`], [`SchemaAttribute`]) of the core User and
//!   Group schemas and the enterprise User extension, bundled as JSON, and [`SchemaRegistry`]
//!   with run-time extensions: `/Schemas` and `/ResourceTypes` ([`ResourceType`]) documents,
//!   and the characteristics from the documents.
//! - [`validate`]: [`SchemaRegistry::validate`] of a resource before it is stored (types,
//!   unknown and required attributes, canonical names, readOnly attributes dropped).
//! - [`patch`]: [`PatchOp`], legacy normalisation and [`patch::apply`].
//! - [`types`]: wire types (ListResponse, errors and `scimType`, SearchRequest, Bulk,
//!   ServiceProviderConfig) and [`urn`] constants.
//! - [`projection`]: `attributes` / `excludedAttributes` on a resource.
//! - [`error`]: [`ParseError`] (`SCIM-F…`), [`PatchError`] (`SCIM-P…`),
//!   [`ValidationError`] (`SCIM-V…`) and [`SchemaError`] (`SCIM-S…`).
//!
//! ## Where Steward deliberately differs from (or reads into) the RFC
//! - `and`/`or` are n-ary nodes; see [`filter`].
//! - Keywords and `true`/`false`/`null` are case-insensitive (ABNF literals are); white space
//!   between tokens may be any amount, or none where unambiguous (`not(`).
//! - `gt`/`ge`/`lt`/`le` with `true`, `false` or `null`, and `co`/`sw`/`ew` with anything but
//!   a string, are refused when parsing (`SCIM-F012`, an `invalidFilter`) rather than never
//!   matching.
//! - A schema prefix must be a URN (`urn:…`); URIs such as `http://…` are not accepted in
//!   paths.
//! - `ne` is `not eq`; see [`eval`]. PATCH choices are listed in [`patch`].

// Tests state their expectations with unwrap; production code may not.
#![cfg_attr(test, allow(clippy::unwrap_used))]

pub mod error;
pub mod eval;
pub mod filter;
mod json;
pub mod parser;
pub mod patch;
pub mod path;
pub mod projection;
pub mod registry;
pub mod schema;
pub mod types;
pub mod validate;

pub use error::{
    ParseError, ParseErrorKind, PatchError, PatchErrorKind, SchemaError, ValidationError,
    ValidationErrorKind,
};
pub use filter::{
    CompValue, CompareOp, Condition, Filter, SubAttrCondition, MAX_DEPTH, MAX_LENGTH,
};
pub use parser::parse_attr_list;
pub use patch::{apply, PatchOp, PatchOpKind, PatchOperation};
pub use path::{AttrPath, PatchPath};
pub use projection::project;
pub use registry::{
    ResourceKind, ResourceType, Schema, SchemaAttribute, SchemaExtension, SchemaRegistry,
};
pub use schema::{
    AttributeCharacteristics, AttributeType, Characteristics, CoreSchema, Mutability, Returned,
    Uniqueness,
};
pub use types::{
    urn, BulkMethod, BulkOperation, BulkOperationResponse, BulkRequest, BulkResponse, ListResponse,
    ScimError, ScimType, SearchRequest, ServiceProviderConfig, SortOrder,
};
