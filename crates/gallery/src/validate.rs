//! Checks of one entry that the file format alone cannot express: identifiers, credentials the
//! connector needs, matching attributes, expressions, source attribute names, SCIM target paths
//! and extension attributes. [`validate`] returns every problem at once, so the author of a
//! data file can fix them in one go.
//!
//! Uniqueness of ids across files is the loader's business ([`crate::Error::DuplicateId`]).

use std::fmt;

use steward_scim::path::PatchPath;

use crate::model::{
    AttributeMapping, AttributeType, Connector, CredentialKind, Entry, MappingType, ObjectMapping,
    ObjectType, Source,
};
use crate::sources;

/// The enterprise User extension every SCIM user may use without declaring it.
const ENTERPRISE_USER: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

/// The longest cycle interval an entry may ask for: one day.
pub const MAX_CYCLE_INTERVAL_MINUTES: u32 = 24 * 60;

/// One thing wrong with an entry. `Display` starts with a stable code (`GAL-V…`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Problem {
    #[error("[GAL-V01] id {id:?} must be lowercase ASCII letters and digits, with single `-` between them, as in \"custom-scim\"")]
    InvalidId { id: String },
    #[error("[GAL-V02] `{field}` is empty")]
    EmptyField { field: String },
    #[error(
        "[GAL-V03] cycle_interval_minutes = {minutes}; expected 1 to {MAX_CYCLE_INTERVAL_MINUTES}"
    )]
    CycleInterval { minutes: u32 },
    #[error("[GAL-V04] credential field `{name}` is defined twice")]
    DuplicateCredential { name: String },
    #[error("[GAL-V05] the {connector} connector needs a credential field named `{name}` of kind \"{kind}\"")]
    MissingCredential {
        connector: Connector,
        name: &'static str,
        kind: CredentialKind,
    },
    #[error("[GAL-V06] credential field `{name}` must be of kind \"{expected}\" for the {connector} connector, not \"{found}\"")]
    CredentialKind {
        connector: Connector,
        name: String,
        expected: CredentialKind,
        found: CredentialKind,
    },
    #[error("[GAL-V07] the user mapping cannot be disabled; only a group mapping can")]
    UsersDisabled,
    #[error("[GAL-V08] [{object}] has no matching attribute; set `matching = 1` on the attribute that identifies an account in the application (usually userName for users, displayName for groups)")]
    NoMatching { object: ObjectType },
    #[error("[GAL-V09] [{object}] `{target}`: matching precedence starts at 1, not 0")]
    MatchingZero { object: ObjectType, target: String },
    #[error(
        "[GAL-V10] [{object}] `{first}` and `{second}` both have matching precedence {precedence}"
    )]
    DuplicatePrecedence {
        object: ObjectType,
        precedence: u8,
        first: String,
        second: String,
    },
    #[error("[GAL-V11] [{object}] `{target}`: a matching attribute must be supported for filtering (`filterable = true`)")]
    MatchingNotFilterable { object: ObjectType, target: String },
    #[error("[GAL-V12] [{object}] `{target}`: a matching attribute needs a value from the directory, not mapping = \"{mapping}\"")]
    MatchingWithoutValue {
        object: ObjectType,
        target: String,
        mapping: MappingType,
    },
    #[error("[GAL-V13] [{object}] target `{target}` is mapped twice")]
    DuplicateTarget { object: ObjectType, target: String },
    #[error("[GAL-V14] [{object}] target `{target}` is not a SCIM attribute path: {error}")]
    BadTarget {
        object: ObjectType,
        target: String,
        error: steward_scim::ParseError,
    },
    #[error("[GAL-V15] [{object}] `{target}`: the expression does not parse: {} (at {} of the expression)", error.kind, error.span)]
    BadExpression {
        object: ObjectType,
        target: String,
        error: steward_expr::ParseError,
    },
    #[error("[GAL-V16] [{object}] `{target}`: unknown source attribute `{attribute}`{}", suggestion.map(|s| format!("; did you mean `{s}`?")).unwrap_or_default())]
    UnknownSourceAttribute {
        object: ObjectType,
        target: String,
        attribute: String,
        suggestion: Option<&'static str>,
    },
    #[error("[GAL-V17] [{object}] `{target}`: the application requires this attribute, but mapping = \"none\" without a `default` never gives it a value")]
    RequiredWithoutValue { object: ObjectType, target: String },
    #[error("[GAL-V18] [{object}] `{target}`: a constant is never null, so `default` would never be used")]
    DefaultOnConstant { object: ObjectType, target: String },
    #[error("[GAL-V19] [{object}] `{target}`: the attribute is not declared in `extension_schemas` for {object}")]
    UndeclaredExtensionAttribute { object: ObjectType, target: String },
    #[error("[GAL-V20] [{object}] `{target}`: type {mapped} differs from the extension's declared type {declared}")]
    ExtensionTypeMismatch {
        object: ObjectType,
        target: String,
        declared: AttributeType,
        mapped: AttributeType,
    },
    #[error("[GAL-V21] extension schema {urn:?} must be a URN starting with \"urn:\" and may only be used with the scim connector")]
    InvalidExtensionUrn { urn: String },
    #[error("[GAL-V22] extension schema {urn:?} is declared twice")]
    DuplicateExtension { urn: String },
    #[error("[GAL-V23] extension schema {urn:?}: attribute `{name}` is declared twice")]
    DuplicateExtensionAttribute { urn: String, name: String },
    #[error("[GAL-V24] [{object}] `{target}` is required by the application; map it to a directory attribute, a constant or an expression, or give it a default value")]
    RequiredNotMapped { object: ObjectType, target: String },
    #[error("[GAL-V25] [{object}] `{target}`: the source `{from}` is {source_type}, which cannot fill a {target_type} attribute; pick another source or use an expression that converts it")]
    TypeMismatch {
        object: ObjectType,
        target: String,
        from: String,
        source_type: AttributeType,
        target_type: AttributeType,
    },
    #[error("[GAL-V26] [{object}] scoping filter: {error}")]
    BadScope { object: ObjectType, error: String },
    #[error("[GAL-V27] this application does not provision groups")]
    GroupsNotSupported,
}

impl Problem {
    /// The stable code, e.g. `GAL-V15`.
    pub fn code(&self) -> &'static str {
        match self {
            Problem::InvalidId { .. } => "GAL-V01",
            Problem::EmptyField { .. } => "GAL-V02",
            Problem::CycleInterval { .. } => "GAL-V03",
            Problem::DuplicateCredential { .. } => "GAL-V04",
            Problem::MissingCredential { .. } => "GAL-V05",
            Problem::CredentialKind { .. } => "GAL-V06",
            Problem::UsersDisabled => "GAL-V07",
            Problem::NoMatching { .. } => "GAL-V08",
            Problem::MatchingZero { .. } => "GAL-V09",
            Problem::DuplicatePrecedence { .. } => "GAL-V10",
            Problem::MatchingNotFilterable { .. } => "GAL-V11",
            Problem::MatchingWithoutValue { .. } => "GAL-V12",
            Problem::DuplicateTarget { .. } => "GAL-V13",
            Problem::BadTarget { .. } => "GAL-V14",
            Problem::BadExpression { .. } => "GAL-V15",
            Problem::UnknownSourceAttribute { .. } => "GAL-V16",
            Problem::RequiredWithoutValue { .. } => "GAL-V17",
            Problem::DefaultOnConstant { .. } => "GAL-V18",
            Problem::UndeclaredExtensionAttribute { .. } => "GAL-V19",
            Problem::ExtensionTypeMismatch { .. } => "GAL-V20",
            Problem::InvalidExtensionUrn { .. } => "GAL-V21",
            Problem::DuplicateExtension { .. } => "GAL-V22",
            Problem::DuplicateExtensionAttribute { .. } => "GAL-V23",
            Problem::RequiredNotMapped { .. } => "GAL-V24",
            Problem::TypeMismatch { .. } => "GAL-V25",
            Problem::BadScope { .. } => "GAL-V26",
            Problem::GroupsNotSupported => "GAL-V27",
        }
    }
}

/// Every problem of one entry; empty when the entry is valid.
pub fn validate(entry: &Entry) -> Vec<Problem> {
    let mut problems = Vec::new();
    if !is_valid_id(&entry.id) {
        problems.push(Problem::InvalidId {
            id: entry.id.clone(),
        });
    }
    let texts = [
        ("name", &entry.name),
        ("publisher", &entry.publisher),
        ("description", &entry.description),
        ("category", &entry.category),
    ];
    for (field, text) in texts {
        non_empty(&mut problems, field, text);
    }
    for (i, note) in entry.notes.iter().enumerate() {
        non_empty(&mut problems, &format!("notes[{i}]"), note);
    }
    if !(1..=MAX_CYCLE_INTERVAL_MINUTES).contains(&entry.cycle_interval_minutes) {
        problems.push(Problem::CycleInterval {
            minutes: entry.cycle_interval_minutes,
        });
    }
    credentials(entry, &mut problems);
    extensions(entry, &mut problems);
    if !entry.users.enabled {
        problems.push(Problem::UsersDisabled);
    }
    for object in entry.object_types() {
        if let Some(mapping) = entry.mapping(object) {
            object_mapping(entry, object, mapping, &mut problems);
        }
    }
    problems
}

fn is_valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.split('-').all(|part| {
            !part.is_empty()
                && part
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
}

fn non_empty(problems: &mut Vec<Problem>, field: &str, text: &str) {
    if text.trim().is_empty() {
        problems.push(Problem::EmptyField {
            field: field.to_owned(),
        });
    }
}

fn credentials(entry: &Entry, problems: &mut Vec<Problem>) {
    for (i, field) in entry.credentials.iter().enumerate() {
        if entry.credentials[..i].iter().any(|f| f.name == field.name) {
            problems.push(Problem::DuplicateCredential {
                name: field.name.clone(),
            });
        }
        non_empty(problems, &format!("credentials[{i}].name"), &field.name);
        non_empty(problems, &format!("credentials[{i}].label"), &field.label);
        non_empty(problems, &format!("credentials[{i}].help"), &field.help);
    }
    let connector = entry.connector;
    for &(name, kind) in connector.required_credentials() {
        match entry.credential(name) {
            None => problems.push(Problem::MissingCredential {
                connector,
                name,
                kind,
            }),
            Some(field) if field.kind != kind => problems.push(Problem::CredentialKind {
                connector,
                name: name.to_owned(),
                expected: kind,
                found: field.kind,
            }),
            Some(_) => {}
        }
    }
}

fn extensions(entry: &Entry, problems: &mut Vec<Problem>) {
    for (i, schema) in entry.extension_schemas.iter().enumerate() {
        let urn_ok = schema.urn.starts_with("urn:")
            && schema.urn.len() > "urn:".len()
            && entry.connector == Connector::Scim;
        if !urn_ok {
            problems.push(Problem::InvalidExtensionUrn {
                urn: schema.urn.clone(),
            });
        }
        if entry.extension_schemas[..i]
            .iter()
            .any(|s| s.urn.eq_ignore_ascii_case(&schema.urn))
        {
            problems.push(Problem::DuplicateExtension {
                urn: schema.urn.clone(),
            });
        }
        for (j, attribute) in schema.attributes.iter().enumerate() {
            non_empty(
                problems,
                &format!("extension_schemas[{i}].attributes[{j}].name"),
                &attribute.name,
            );
            if schema.attributes[..j]
                .iter()
                .any(|a| a.name.eq_ignore_ascii_case(&attribute.name))
            {
                problems.push(Problem::DuplicateExtensionAttribute {
                    urn: schema.urn.clone(),
                    name: attribute.name.clone(),
                });
            }
        }
    }
}

pub(crate) fn object_mapping(
    entry: &Entry,
    object: ObjectType,
    mapping: &ObjectMapping,
    problems: &mut Vec<Problem>,
) {
    for (i, attribute) in mapping.attributes.iter().enumerate() {
        let target = &attribute.target;
        if mapping.attributes[..i]
            .iter()
            .any(|a| a.target.eq_ignore_ascii_case(target))
        {
            problems.push(Problem::DuplicateTarget {
                object,
                target: target.clone(),
            });
        }
        if entry.connector == Connector::Scim {
            scim_target(entry, object, attribute, problems);
        } else {
            non_empty(
                problems,
                &format!("{object}.attributes[{i}].target"),
                target,
            );
        }
        source(object, attribute, problems);
        matching(mapping, object, i, attribute, problems);
    }
    if mapping.enabled && mapping.matching().is_empty() {
        problems.push(Problem::NoMatching { object });
    }
}

fn scim_target(
    entry: &Entry,
    object: ObjectType,
    attribute: &AttributeMapping,
    problems: &mut Vec<Problem>,
) {
    let target = &attribute.target;
    let path = match PatchPath::parse(target) {
        Ok(path) => path,
        Err(error) => {
            problems.push(Problem::BadTarget {
                object,
                target: target.clone(),
                error,
            });
            return;
        }
    };
    let Some(urn) = &path.attr().urn else {
        return;
    };
    if object == ObjectType::Users && urn.eq_ignore_ascii_case(ENTERPRISE_USER) {
        return;
    }
    let declared = entry
        .extension_schemas
        .iter()
        .filter(|s| s.object == object && s.urn.eq_ignore_ascii_case(urn))
        .flat_map(|s| s.attributes.iter())
        .find(|a| a.name.eq_ignore_ascii_case(&path.attr().name));
    match declared {
        None => problems.push(Problem::UndeclaredExtensionAttribute {
            object,
            target: target.clone(),
        }),
        Some(a) if a.attribute_type != attribute.target_type => {
            problems.push(Problem::ExtensionTypeMismatch {
                object,
                target: target.clone(),
                declared: a.attribute_type,
                mapped: attribute.target_type,
            })
        }
        Some(_) => {}
    }
}

fn source(object: ObjectType, attribute: &AttributeMapping, problems: &mut Vec<Problem>) {
    let target = &attribute.target;
    let mut check_name = |name: &str| {
        if !sources::is_source_attribute(object, name) {
            problems.push(Problem::UnknownSourceAttribute {
                object,
                target: target.clone(),
                attribute: name.to_owned(),
                suggestion: sources::suggest(object, name),
            });
        }
    };
    match &attribute.source {
        Source::Direct(name) => check_name(name),
        Source::Expression(text) => match steward_expr::parse(text) {
            Ok(expression) => {
                for name in expression.ast().attributes() {
                    check_name(name);
                }
            }
            Err(error) => problems.push(Problem::BadExpression {
                object,
                target: target.clone(),
                error,
            }),
        },
        Source::Constant(_) => {
            if attribute.default_value.is_some() {
                problems.push(Problem::DefaultOnConstant {
                    object,
                    target: target.clone(),
                });
            }
        }
        Source::None => {
            if attribute.required && attribute.default_value.is_none() {
                problems.push(Problem::RequiredWithoutValue {
                    object,
                    target: target.clone(),
                });
            }
        }
    }
}

fn matching(
    mapping: &ObjectMapping,
    object: ObjectType,
    index: usize,
    attribute: &AttributeMapping,
    problems: &mut Vec<Problem>,
) {
    let Some(precedence) = attribute.matching else {
        return;
    };
    let target = &attribute.target;
    if precedence == 0 {
        problems.push(Problem::MatchingZero {
            object,
            target: target.clone(),
        });
    }
    if let Some(first) = mapping.attributes[..index]
        .iter()
        .find(|a| a.matching == Some(precedence))
    {
        problems.push(Problem::DuplicatePrecedence {
            object,
            precedence,
            first: first.target.clone(),
            second: target.clone(),
        });
    }
    if !attribute.filterable {
        problems.push(Problem::MatchingNotFilterable {
            object,
            target: target.clone(),
        });
    }
    let mapping_type = attribute.source.mapping_type();
    if matches!(mapping_type, MappingType::Constant | MappingType::None) {
        problems.push(Problem::MatchingWithoutValue {
            object,
            target: target.clone(),
            mapping: mapping_type,
        });
    }
}

impl fmt::Display for Problems<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, problem) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "  - {problem}")?;
        }
        Ok(())
    }
}

/// A list of problems printed one per line, for error messages.
pub(crate) struct Problems<'a>(pub(crate) &'a [Problem]);
