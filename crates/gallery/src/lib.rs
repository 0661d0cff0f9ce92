//! # steward-gallery: the application gallery as data
//!
//! Each application an admin can add from Steward's gallery is one TOML file in `entries/`:
//! who makes it, which connector Steward uses, the fields of its "Admin credentials" form,
//! what happens to accounts that leave scope, how often it is provisioned, the SCIM extensions
//! it defines, and the **default attribute mappings** a new application starts with, transcribed
//! from the vendor's provisioning tutorial. `build.rs` embeds every `entries/*.toml`, so adding
//! an application is adding a file. Pure: no IO except reading a directory of extra entries
//! when asked to, no network, no clock; it compiles for `wasm32-unknown-unknown`, so the portal
//! can check an entry with the same code.
//!
//! ```
//! use steward_gallery::{Gallery, ObjectType, Source};
//!
//! let gallery = Gallery::builtin()?;
//! let xledger = gallery.get("xledger").expect("a built-in entry");
//! let users = xledger.mapping(ObjectType::Users).expect("every entry maps users");
//! let user_name = users.matching()[0];
//! assert_eq!(user_name.target, "userName");
//! assert_eq!(user_name.source, Source::Direct("userPrincipalName".into()));
//! # Ok::<(), steward_gallery::Error>(())
//! ```
//!
//! - [`Gallery::builtin`] loads the embedded entries; [`Gallery::with_extra_dir`] also loads
//!   `*.toml` files from a directory at run time, an extra entry replacing the built-in with
//!   the same id. [`parse_entry`] checks one file's text (for an editor or a CLI).
//! - [`model`] holds the types: [`Entry`], [`CredentialField`], [`ExtensionSchema`],
//!   [`ObjectMapping`], [`AttributeMapping`] and its [`Source`].
//! - [`validate()`] lists every [`Problem`] of an entry; loading fails with [`Error`] naming the
//!   file (and, for TOML errors, the line and column).
//! - [`sources`] lists the directory attribute names mappings may read.
//!
//! ## Source attribute names
//! Mappings name directory attributes the way Entra ID names them (`userPrincipalName`,
//! `givenName`, `surname`, `mail`, `mailNickname`, `objectId`, `jobTitle`, `department`,
//! `manager`, `telephoneNumber`, `mobile`, `employeeId`, `preferredLanguage`, `city`,
//! `country`, `IsSoftDeleted`, …), so a mapping read in a Microsoft tutorial is written the same
//! way here. Steward's directory keeps users and groups as SCIM resources; the provisioning
//! engine maps each name to a directory attribute as [`sources::USER_SOURCE_ATTRIBUTES`] and
//! [`sources::GROUP_SOURCE_ATTRIBUTES`] describe (`userPrincipalName` is SCIM `userName`,
//! `surname` is `name.familyName`, `IsSoftDeleted` is true when the user is out of scope, …).
//! Names are case-sensitive; unknown names are load errors (with a suggestion when only the
//! case differs). Directory extension attributes `extension_…` are accepted as they are.
//!
//! ## File format
//! ```toml
//! id = "xledger"                  # lowercase letters, digits, single '-'; unique
//! name = "Xledger"
//! publisher = "Xledger"
//! description = "…"
//! category = "Finance"
//! connector = "scim"              # "scim" | "xmatters"
//! out_of_scope = "delete"         # "disable" | "delete": what leaving scope does
//! cycle_interval_minutes = 40     # optional, 40 by default
//! notes = ["…"]                   # optional
//!
//! [[credentials]]                 # the Admin credentials form, in order
//! name = "tenant_url"             # unique; the connector reads it by this name
//! label = "Tenant URL"
//! kind = "url"                    # "url" | "secret" | "text"
//! required = true                 # optional, true by default
//! help = "Where to find it."
//!
//! [[extension_schemas]]           # optional: the application's own SCIM extensions
//! urn = "urn:ietf:params:scim:schemas:extension:xledger:2.0:User"
//! object = "users"                # "users" | "groups"
//! [[extension_schemas.attributes]]
//! name = "accessFromDate"
//! type = "DateTime"
//! description = "…"               # optional
//! app_default = "…"               # optional: what the application assumes when nothing is sent
//!
//! [users]                         # required; [groups] has the same shape and is optional
//! enabled = true                  # optional, true by default; only groups may be false
//! [[users.attributes]]            # in the tutorial's order
//! target = "userName"             # SCIM path for scim, field name for other connectors
//! type = "String"                 # String | Boolean | DateTime | Integer | Reference | Binary
//! filterable = true               # optional, false by default: "Supported for filtering"
//! required = true                 # optional, false by default: "Required by <app>"
//! mapping = "direct"              # "direct" | "constant" | "expression" | "none"
//! source = "userPrincipalName"    # direct only: the directory attribute
//! # constant = "…"                # constant only
//! # expression = '…'              # expression only: steward-expr text, checked at load
//! # default = "…"                 # optional "default value if null" (not with constant)
//! matching = 1                    # optional matching precedence, 1 is tried first
//! apply = "always"                # optional: "always" (default) | "on_create"
//! format = "e164"                 # optional: a format the application requires ("e164")
//! ```
//!
//! Every key is checked: an unknown key, a missing one, or a key the mapping type does not use
//! is an error with its line and column. Validation then checks, per entry: the id; non-empty
//! texts; the credential fields the connector needs ([`Connector::required_credentials`]) and
//! that names are unique; for each enabled object type at least one matching attribute, with
//! distinct precedences, supported for filtering and fed from the directory; unique targets;
//! SCIM target paths (scim connector) and that attributes of an application's extension are
//! declared with the same type; known source attribute names; expressions that parse; required
//! attributes that get a value.

// Tests state their expectations with unwrap; production code may not.
#![cfg_attr(test, allow(clippy::unwrap_used))]

pub mod configured;
mod load;
pub mod model;
pub mod sources;
pub mod validate;

use std::path::Path;

pub use configured::{AppMappings, AppObjectMapping, ObjectActions, TargetFacts};
pub use load::{parse_entry, Error};
pub use model::{
    Apply, AttributeMapping, AttributeType, Connector, CredentialField, CredentialKind, Entry,
    ExtensionAttribute, ExtensionSchema, MappingType, ObjectMapping, ObjectType, OutOfScopeAction,
    Source, ValueFormat, DEFAULT_CYCLE_INTERVAL_MINUTES,
};
pub use sources::{DirectoryObject, SourceAttribute};
pub use validate::{validate, Problem};

/// A validated set of gallery entries with unique ids, sorted by id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gallery {
    entries: Vec<Entry>,
}

impl Gallery {
    /// The entries embedded from `entries/*.toml` at build time.
    ///
    /// The built-ins are validated by this crate's tests, so this fails only for a build whose
    /// entry files were edited without running them.
    pub fn builtin() -> Result<Gallery, Error> {
        let loaded = load::builtin()?;
        Ok(Gallery::from_entries(
            loaded.entries.into_iter().map(|(e, _)| e),
        ))
    }

    /// The built-in entries plus every `*.toml` file directly inside `dir` (subdirectories and
    /// other files are ignored). An extra entry whose id is that of a built-in replaces it;
    /// two extra files with the same id are an error. The directory must exist.
    pub fn with_extra_dir(dir: impl AsRef<Path>) -> Result<Gallery, Error> {
        let builtin = load::builtin()?;
        let extra = load::directory(dir.as_ref())?;
        let mut entries: Vec<Entry> = builtin
            .entries
            .into_iter()
            .map(|(e, _)| e)
            .filter(|b| !extra.entries.iter().any(|(e, _)| e.id == b.id))
            .collect();
        entries.extend(extra.entries.into_iter().map(|(e, _)| e));
        Ok(Gallery::from_entries(entries))
    }

    fn from_entries(entries: impl IntoIterator<Item = Entry>) -> Gallery {
        let mut entries: Vec<Entry> = entries.into_iter().collect();
        entries.sort_by(|a, b| a.id.cmp(&b.id));
        Gallery { entries }
    }

    /// All entries, sorted by id.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// The entry with this id.
    pub fn get(&self, id: &str) -> Option<&Entry> {
        self.entries
            .binary_search_by(|e| e.id.as_str().cmp(id))
            .ok()
            .map(|i| &self.entries[i])
    }

    /// The number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there are no entries (never true for a loaded gallery).
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}
