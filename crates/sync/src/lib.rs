//! # steward-sync: what the engine sends, computed without IO
//!
//! The provisioning engine (issue 6) reads the directory and talks to targets; everything in
//! between is here, pure and table-tested, and compiles for the browser:
//!
//! - [`render`]: one directory object (read through [`steward_gallery::DirectoryObject`])
//!   through an object mapping into **target values**, one JSON value per target path
//!   (`userName`, `name.givenName`, `emails[type eq "work"].value`,
//!   `urn:…:enterprise:2.0:User:department`), converted to each target attribute's type.
//!   Mappings applied only on creation are left out of updates; references (manager, members)
//!   are returned apart, for the engine to resolve to target ids.
//! - [`resource`]: target values as the SCIM resource a POST creates, with its `schemas`.
//! - [`Fingerprint`]: a hash per target path of what was last sent. The engine stores it with
//!   the link; [`Fingerprint::patch`] gives the operations that bring the target from what was
//!   sent to what is wanted now (only changed paths, `remove` for paths that lost their value),
//!   or none at all when nothing changed, without reading the target.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use steward_expr::{AttributeSource, EvalContext, Value as ExprValue};
use steward_gallery::{AppObjectMapping, Apply, AttributeType, ObjectType};
use steward_scim::{
    AttributeCharacteristics, CompValue, CompareOp, Filter, PatchOperation, PatchPath,
};

/// How an application is provisioned (the Settings section of Entra's provisioning page).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ProvisioningSettings {
    /// "assigned" (only assigned users and groups) or "all".
    pub scope: String,
    pub prevent_accidental_deletion: bool,
    /// Disables and deletes above this many in one cycle are held for an admin to allow.
    pub deletion_threshold: u32,
    pub skip_out_of_scope_deletions: bool,
    pub cycle_interval_minutes: u32,
    pub notification_email: String,
    pub notify_on_failure: bool,
    /// How the connector talks to this target, where it differs from the standard.
    pub compatibility: TargetCompatibility,
}

/// Per-application switches for targets that do not follow RFC 7644 to the letter.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct TargetCompatibility {
    /// Send the request shapes Entra's older provisioning sent, for targets built against
    /// it: capitalised op names, booleans as the strings "True"/"False", member removal as
    /// a value list.
    pub legacy_shapes: bool,
    /// "auto" (what the target's /ServiceProviderConfig says), "patch" or "put".
    pub updates: String,
    /// Members per request when changing group members (default 100).
    pub member_chunk: Option<u32>,
    /// Requests in flight to the target at most (default 8).
    pub max_concurrency: Option<u32>,
}

impl Default for ProvisioningSettings {
    fn default() -> Self {
        ProvisioningSettings {
            scope: "assigned".into(),
            prevent_accidental_deletion: true,
            deletion_threshold: 500,
            skip_out_of_scope_deletions: false,
            cycle_interval_minutes: 40,
            notification_email: String::new(),
            notify_on_failure: false,
            compatibility: TargetCompatibility::default(),
        }
    }
}

impl ProvisioningSettings {
    /// Whether only assigned users and groups are provisioned.
    pub fn assigned_only(&self) -> bool {
        self.scope != "all"
    }
}

/// What one object maps to.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Rendered {
    /// Target path → value, for every mapping that gave a value.
    pub values: BTreeMap<String, Value>,
    /// Target path → the directory ids it refers to (a manager, group members), to be
    /// resolved to the target's ids before sending.
    pub references: BTreeMap<String, Vec<String>>,
    /// Target path → why the mapping gave no value (an expression that failed, a value that
    /// does not fit the target type). The engine logs these as warnings and sends the rest.
    pub errors: BTreeMap<String, String>,
}

/// Maps one object. `creating`: whether the object is about to be created (mappings applied
/// only on creation count then, and only then).
pub fn render(
    mapping: &AppObjectMapping,
    object: &dyn AttributeSource,
    ctx: &mut dyn EvalContext,
    creating: bool,
) -> Rendered {
    let mut out = Rendered::default();
    for m in &mapping.attributes {
        if m.apply == Apply::OnCreate && !creating {
            continue;
        }
        match m.evaluate(object, ctx) {
            Err(e) => {
                out.errors.insert(m.target.clone(), e);
            }
            Ok(None) => {}
            Ok(Some(ExprValue::Reference(id))) => {
                out.references.insert(m.target.clone(), vec![id]);
            }
            Ok(Some(ExprValue::Multi(items)))
                if items.iter().all(|i| matches!(i, ExprValue::Reference(_))) =>
            {
                let ids = items
                    .into_iter()
                    .filter_map(|i| match i {
                        ExprValue::Reference(id) => Some(id),
                        _ => None,
                    })
                    .collect();
                out.references.insert(m.target.clone(), ids);
            }
            Ok(Some(value)) => match convert(&value, m.target_type) {
                Ok(v) => {
                    out.values.insert(m.target.clone(), v);
                }
                Err(e) => {
                    out.errors.insert(m.target.clone(), e);
                }
            },
        }
    }
    out
}

/// The target paths set only when an object is created: an update neither sends nor removes
/// them (the `keep` of [`Fingerprint::patch`]).
pub fn on_create_paths(mapping: &AppObjectMapping) -> Vec<&str> {
    mapping
        .attributes
        .iter()
        .filter(|m| m.apply == Apply::OnCreate)
        .map(|m| m.target.as_str())
        .collect()
}

/// A mapped value as JSON of the target attribute's type.
pub fn convert(value: &ExprValue, target: AttributeType) -> Result<Value, String> {
    let text = || value.as_text().map(|t| t.into_owned()).unwrap_or_default();
    Ok(match (target, value) {
        (_, ExprValue::Multi(items)) => Value::Array(
            items
                .iter()
                .map(|i| convert(i, target))
                .collect::<Result<_, _>>()?,
        ),
        (AttributeType::Boolean, ExprValue::Boolean(b)) => Value::Bool(*b),
        (AttributeType::Boolean, _) => match text().to_ascii_lowercase().as_str() {
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            other => return Err(format!("{other:?} is not true or false")),
        },
        (AttributeType::Integer, ExprValue::Number(n)) => json!(n.as_f64() as i64),
        (AttributeType::Integer, _) => {
            let t = text();
            json!(t
                .trim()
                .parse::<i64>()
                .map_err(|_| format!("{t:?} is not a whole number"))?)
        }
        (AttributeType::DateTime, ExprValue::DateTime(d)) => {
            Value::String(d.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        }
        (_, other) => Value::String(other.as_text().map(|t| t.into_owned()).unwrap_or_default()),
    })
}

/// The SCIM resource that creates the object: target values nested by their paths, with the
/// core schema of `object` and every extension used in `schemas`.
pub fn resource(object: ObjectType, values: &BTreeMap<String, Value>) -> Value {
    let core = match object {
        ObjectType::Users => "urn:ietf:params:scim:schemas:core:2.0:User",
        ObjectType::Groups => "urn:ietf:params:scim:schemas:core:2.0:Group",
    };
    let mut root = Map::new();
    let mut schemas = vec![Value::String(core.into())];
    for (path, value) in values {
        let Ok(parsed) = PatchPath::parse(path) else {
            continue;
        };
        let attr = parsed.attr();
        let container = match &attr.urn {
            Some(urn) => {
                if !schemas.iter().any(|s| s == urn.as_str()) {
                    schemas.push(Value::String(urn.clone()));
                }
                object_at(&mut root, urn)
            }
            None => &mut root,
        };
        match &parsed {
            PatchPath::Attribute(a) => match &a.sub_attr {
                None => {
                    container.insert(a.name.clone(), value.clone());
                }
                Some(sub) => {
                    object_at(container, &a.name).insert(sub.clone(), value.clone());
                }
            },
            PatchPath::ValuePath {
                path,
                filter,
                sub_attr,
            } => {
                // `emails[type eq "work"].value`: the entry whose type is work.
                let mut entry = Map::new();
                for (k, v) in equalities(filter) {
                    entry.insert(k, v);
                }
                let list = container
                    .entry(path.name.clone())
                    .or_insert_with(|| Value::Array(Vec::new()));
                let Value::Array(items) = list else { continue };
                let position = items
                    .iter()
                    .position(|i| entry.iter().all(|(k, v)| i.get(k).is_some_and(|x| x == v)));
                let target = match position {
                    Some(p) => &mut items[p],
                    None => {
                        items.push(Value::Object(entry));
                        let last = items.len() - 1;
                        &mut items[last]
                    }
                };
                if let Value::Object(fields) = target {
                    fields.insert(
                        sub_attr.clone().unwrap_or_else(|| "value".into()),
                        value.clone(),
                    );
                }
            }
        }
    }
    root.insert("schemas".into(), Value::Array(schemas));
    Value::Object(root)
}

/// The object under `key`, made when missing (or when something else is there).
fn object_at<'a>(map: &'a mut Map<String, Value>, key: &str) -> &'a mut Map<String, Value> {
    let slot = map
        .entry(key.to_string())
        .or_insert_with(|| Value::Object(Map::new()));
    if !slot.is_object() {
        *slot = Value::Object(Map::new());
    }
    match slot {
        Value::Object(m) => m,
        _ => unreachable!("just made an object"),
    }
}

/// The `attr eq "value"` parts of a value filter, as fields of the entry it selects.
fn equalities(filter: &Filter) -> Vec<(String, Value)> {
    match filter {
        Filter::Compare {
            path,
            op: CompareOp::Eq,
            value,
        } => {
            let v = match value {
                CompValue::String(s) => Value::String(s.clone()),
                CompValue::Bool(b) => Value::Bool(*b),
                CompValue::Number(n) => Value::Number(n.clone()),
                CompValue::Null => return Vec::new(),
            };
            vec![(path.name.clone(), v)]
        }
        Filter::And(parts) => parts.iter().flat_map(equalities).collect(),
        _ => Vec::new(),
    }
}

/// What was last sent to one target object: a hash per target path.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Fingerprint(pub BTreeMap<String, u64>);

impl Fingerprint {
    /// The fingerprint of values about to be sent.
    pub fn of(values: &BTreeMap<String, Value>) -> Fingerprint {
        Fingerprint(
            values
                .iter()
                .map(|(path, value)| (path.clone(), hash(value)))
                .collect(),
        )
    }

    /// Notes that `value` was sent to `path` (alone, as when disabling sends `active`).
    pub fn record(&mut self, path: &str, value: &Value) {
        self.0.insert(path.to_string(), hash(value));
    }

    /// What a target object found by matching holds at the mapped paths: a baseline for its
    /// first update, so that only what differs is sent and a multi-valued entry it lacks is
    /// added rather than replaced (which RFC 7644 refuses with `noTarget`).
    pub fn of_target(resource: &Value, values: &BTreeMap<String, Value>) -> Fingerprint {
        Fingerprint(
            values
                .keys()
                .filter_map(|path| Some((path.clone(), hash(&target_value(resource, path)?))))
                .collect(),
        )
    }

    /// The operations that bring the target from what this fingerprint says was sent to
    /// `values`: `replace` for each path whose value changed or is new, `remove` for each path
    /// that had a value and has none now. Empty when nothing changed. Paths that are only set
    /// on creation are never in `values` of an update, so they are neither replaced nor removed
    /// (`keep` lists them).
    ///
    /// A value of a multi-valued entry the target does not have yet (`emails[type eq
    /// "work"].value` when no work email was ever sent) is sent as one `add` of the whole
    /// entry (`emails: [{"type": "work", "value": …}]`), since a `replace` through a value
    /// filter that matches nothing fails (RFC 7644 §3.5.2.3).
    pub fn patch(&self, values: &BTreeMap<String, Value>, keep: &[&str]) -> Vec<PatchOperation> {
        // The multi-valued entries the target has: some path through their filter was sent.
        let existing: std::collections::BTreeSet<String> =
            self.0.keys().filter_map(|p| entry_key(p)).collect();
        let mut ops = Vec::new();
        let mut added: BTreeMap<String, (steward_scim::AttrPath, Map<String, Value>)> =
            BTreeMap::new();
        for (path, value) in values {
            if self.0.get(path) == Some(&hash(value)) {
                continue;
            }
            let Ok(parsed) = PatchPath::parse(path) else {
                continue;
            };
            match &parsed {
                PatchPath::ValuePath {
                    path: attr,
                    filter,
                    sub_attr,
                } if !entry_key(path).is_some_and(|k| existing.contains(&k)) => {
                    let (_, entry) = added
                        .entry(entry_key(path).unwrap_or_default())
                        .or_insert_with(|| {
                            (attr.clone(), equalities(filter).into_iter().collect())
                        });
                    entry.insert(
                        sub_attr.clone().unwrap_or_else(|| "value".into()),
                        value.clone(),
                    );
                }
                _ => ops.push(PatchOperation::replace(Some(&parsed), value.clone())),
            }
        }
        for (attr, entry) in added.into_values() {
            ops.push(PatchOperation::add(
                Some(&PatchPath::Attribute(attr)),
                Value::Array(vec![Value::Object(entry)]),
            ));
        }
        for path in self.0.keys() {
            if values.contains_key(path) || keep.iter().any(|k| k == path) {
                continue;
            }
            if let Ok(parsed) = PatchPath::parse(path) {
                ops.push(PatchOperation::remove(&parsed));
            }
        }
        ops
    }

    /// One hash of the whole fingerprint, to store or compare in one column.
    pub fn digest(&self) -> u64 {
        hash(&serde_json::to_value(&self.0).unwrap_or_default())
    }
}

/// `attr[filter]` of a path through a value filter, naming the multi-valued entry it selects.
fn entry_key(path: &str) -> Option<String> {
    match PatchPath::parse(path).ok()? {
        PatchPath::ValuePath { path, filter, .. } => Some(format!("{path}[{filter}]")),
        PatchPath::Attribute(_) => None,
    }
}

/// The value a target object holds at a mapped path (`userName`, `name.givenName`,
/// `emails[type eq "work"].value`, `urn:…:enterprise:2.0:User:department`); `None` when it
/// holds none. Attribute names compare without case, as SCIM's do.
pub fn target_value(resource: &Value, path: &str) -> Option<Value> {
    fn field<'a>(object: &'a Value, name: &str) -> Option<&'a Value> {
        object
            .as_object()?
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
            .filter(|v| !v.is_null())
    }
    let scope = |attr: &steward_scim::AttrPath| match &attr.urn {
        Some(urn) if steward_scim::CoreSchema.is_extension_schema(urn) => field(resource, urn),
        _ => Some(resource),
    };
    let found = match PatchPath::parse(path).ok()? {
        PatchPath::Attribute(attr) => {
            let v = field(scope(&attr)?, &attr.name)?;
            match &attr.sub_attr {
                Some(sub) => field(v, sub)?,
                None => v,
            }
        }
        PatchPath::ValuePath {
            path: attr,
            filter,
            sub_attr,
        } => {
            let entry = field(scope(&attr)?, &attr.name)?
                .as_array()?
                .iter()
                .find(|e| filter.matches(e, &steward_scim::CoreSchema))?;
            field(entry, sub_attr.as_deref().unwrap_or("value"))?
        }
    };
    Some(found.clone())
}

/// FNV-1a over the value's canonical JSON (object keys sorted by serde_json's map): stable
/// across runs and versions, which `std`'s hasher is not.
fn hash(value: &Value) -> u64 {
    let text = value.to_string();
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in text.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

#[cfg(test)]
mod tests;

/// The target paths whose values logs must not show: those mapped by an expression that
/// uses `Redact(…)` (the value is still sent).
pub fn redacted_paths(mapping: &AppObjectMapping) -> std::collections::BTreeSet<String> {
    mapping
        .attributes
        .iter()
        .filter(|m| match &m.source {
            steward_gallery::Source::Expression(text) => calls_redact(text),
            _ => false,
        })
        .map(|m| m.target.clone())
        .collect()
}

/// Whether the expression text calls `Redact` (outside string literals, in any case).
fn calls_redact(text: &str) -> bool {
    let mut code = String::with_capacity(text.len());
    let mut in_string = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (in_string, c) {
            (false, '"') => in_string = true,
            (true, '\\') => {
                chars.next();
            }
            (true, '"') => in_string = false,
            (false, c) => code.push(c.to_ascii_lowercase()),
            (true, _) => {}
        }
    }
    code.split(|c: char| !(c.is_alphanumeric() || c == '(' || c == '_'))
        .any(|word| word.starts_with("redact("))
        || code.contains("redact (")
}

/// What a log shows of `value` at `path`: `[Redact]` for redacted paths.
pub fn shown(path: &str, value: &Value, redacted: &std::collections::BTreeSet<String>) -> Value {
    if redacted.contains(path) && !value.is_null() {
        Value::String("[Redact]".into())
    } else {
        value.clone()
    }
}

/// The values as logs may show them.
pub fn shown_values(
    values: &BTreeMap<String, Value>,
    redacted: &std::collections::BTreeSet<String>,
) -> BTreeMap<String, Value> {
    values
        .iter()
        .map(|(p, v)| (p.clone(), shown(p, v, redacted)))
        .collect()
}
