//! Attribute paths: [`AttrPath`] (`[URN ":"] name ["." subAttr]`, RFC 7644 §3.4.2.2 `attrPath`)
//! and the PATCH operation path [`PatchPath`] (RFC 7644 §3.5.2: `attrPath`, or
//! `valuePath ["." subAttr]` such as `emails[type eq "work"].value`).
//!
//! Both print with `Display` in a canonical form that parses back to the same value. Names keep
//! the spelling they were written with; comparisons against resources are case-insensitive
//! (RFC 7643 §2.1), which is the evaluator's and `apply`'s business, not the parser's.

use std::fmt;
use std::str::FromStr;

use crate::error::ParseError;
use crate::filter::Filter;

/// `[URN ":"] name ["." subAttr]`, e.g. `userName`, `name.familyName`,
/// `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value`.
///
/// The URN is everything before the last `:`. A path that names a whole extension, such as
/// `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User`, therefore parses as the URN
/// `…:2.0` and the name `User`; [`AttrPath::full_name`] gives the whole text back, and the
/// evaluator, `apply` and projection recognise it as the extension (they know which keys of a
/// resource are schema URNs).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AttrPath {
    pub urn: Option<String>,
    pub name: String,
    pub sub_attr: Option<String>,
}

impl AttrPath {
    /// A plain attribute name without URN or sub-attribute. The name is not validated; use
    /// [`AttrPath::parse`] for outside input.
    pub fn new(name: impl Into<String>) -> Self {
        AttrPath {
            urn: None,
            name: name.into(),
            sub_attr: None,
        }
    }

    /// The same path with `sub_attr` set.
    pub fn with_sub(&self, sub: impl Into<String>) -> Self {
        AttrPath {
            urn: self.urn.clone(),
            name: self.name.clone(),
            sub_attr: Some(sub.into()),
        }
    }

    /// The same path with `urn` set.
    pub fn with_urn(mut self, urn: impl Into<String>) -> Self {
        self.urn = Some(urn.into());
        self
    }

    /// Parses outside text (an `attributes` entry, a key of a path-less PATCH value).
    pub fn parse(text: &str) -> Result<Self, ParseError> {
        crate::parser::parse_attr_path(text)
    }

    /// `urn:name` (or just `name`), without the sub-attribute: the key under which a whole
    /// extension would be stored when this path names one.
    pub fn full_name(&self) -> String {
        match &self.urn {
            Some(urn) => format!("{urn}:{}", self.name),
            None => self.name.clone(),
        }
    }

    /// Whether the path refers to the same attribute as `other`, ignoring the case of names
    /// and URNs (RFC 7643 §2.1).
    pub fn eq_ignore_case(&self, other: &AttrPath) -> bool {
        fn same(a: &Option<String>, b: &Option<String>) -> bool {
            match (a, b) {
                (None, None) => true,
                (Some(a), Some(b)) => a.eq_ignore_ascii_case(b),
                _ => false,
            }
        }
        same(&self.urn, &other.urn)
            && self.name.eq_ignore_ascii_case(&other.name)
            && same(&self.sub_attr, &other.sub_attr)
    }
}

impl fmt::Display for AttrPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(urn) = &self.urn {
            write!(f, "{urn}:")?;
        }
        f.write_str(&self.name)?;
        if let Some(sub) = &self.sub_attr {
            write!(f, ".{sub}")?;
        }
        Ok(())
    }
}

impl FromStr for AttrPath {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        AttrPath::parse(s)
    }
}

/// The `path` of a PATCH operation.
#[derive(Debug, Clone, PartialEq)]
pub enum PatchPath {
    /// `name`, `name.subAttr`, `urn:…:name[.subAttr]`.
    Attribute(AttrPath),
    /// `name[filter]` or `name[filter].subAttr`: the values of a multi-valued attribute that
    /// match the filter (whose paths are relative to one value). `path` never has a
    /// `sub_attr` of its own; the sub-attribute after `]` is `sub_attr` here.
    ValuePath {
        path: AttrPath,
        filter: Filter,
        sub_attr: Option<String>,
    },
}

impl PatchPath {
    /// Parses a PATCH `path` (with the same limits as filters).
    pub fn parse(text: &str) -> Result<Self, ParseError> {
        crate::parser::parse_patch_path(text)
    }

    /// The attribute the path starts with (without a value filter's sub-attribute).
    pub fn attr(&self) -> &AttrPath {
        match self {
            PatchPath::Attribute(p) => p,
            PatchPath::ValuePath { path, .. } => path,
        }
    }

    /// The attribute whose characteristics describe the target: `emails.value` for
    /// `emails[type eq "work"].value`, `emails` for `emails[type eq "work"]`.
    pub fn target(&self) -> AttrPath {
        match self {
            PatchPath::Attribute(p) => p.clone(),
            PatchPath::ValuePath {
                path,
                sub_attr: Some(sub),
                ..
            } => path.with_sub(sub.clone()),
            PatchPath::ValuePath { path, .. } => path.clone(),
        }
    }
}

impl fmt::Display for PatchPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PatchPath::Attribute(p) => write!(f, "{p}"),
            PatchPath::ValuePath {
                path,
                filter,
                sub_attr,
            } => {
                write!(f, "{path}[{filter}]")?;
                if let Some(sub) = sub_attr {
                    write!(f, ".{sub}")?;
                }
                Ok(())
            }
        }
    }
}

impl FromStr for PatchPath {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        PatchPath::parse(s)
    }
}
