//! PATCH (RFC 7644 §3.5.2): the request model [`PatchOp`], the legacy-variant normalisation
//! [`PatchOp::normalize`], the pure [`apply`] on a JSON resource, and
//! [`PatchOp::to_legacy_json`] for targets built against Entra's old request shapes.
//!
//! ## Legacy variants accepted
//! Real clients (Entra ID above all, see the reference's section 7) send:
//! - capitalised or upper-case op names (`"Replace"`): read in any case, written lowercase;
//! - `"Operations"` spelled `"operations"`; a missing `schemas`;
//! - booleans as strings (`"value": "False"` for `active`): [`PatchOp::normalize`] turns them
//!   into booleans where the attribute is boolean; `apply` refuses them (`invalidValue`) so a
//!   string never lands in a boolean attribute by accident;
//! - a single-valued complex attribute sent as a one-element array (Entra's manager:
//!   `"value": [{"value": "id"}]`): `normalize` unwraps it;
//! - member removal with a value list instead of a filter
//!   (`{"op": "Remove", "path": "members", "value": [{"value": "id"}]}`): `apply` removes only the
//!   listed members. Read literally, the RFC would remove *all* members, which is never what
//!   the sender means;
//! - a path-less `add`/`replace` whose value object has attribute paths as keys
//!   (`"name.givenName"`, `"urn:…:enterprise:2.0:User:department"`) or extension URNs holding
//!   objects: each key is applied as if it were the path.
//!
//! ## Semantics chosen where the RFC leaves room
//! - `apply` is atomic: it works on a copy and changes the resource only if every operation
//!   succeeds.
//! - `add` with a value filter that matches nothing creates the value from the filter's `eq`
//!   comparisons (`emails[type eq "work"].value` adds `{"type": "work", "value": …}`);
//!   `replace` answers `noTarget` as §3.5.2.3 requires; `remove` of nothing succeeds
//!   (removal is idempotent).
//! - `add`/`replace` on a complex value merge sub-attributes (§3.5.2.3: "sub-attributes that
//!   are not specified … are left unchanged"); `replace` of a multi-valued attribute without a
//!   filter replaces all values; `replace` with `null` unassigns.
//! - Setting `primary: true` on a value sets it to false on the others (§3.5.2).
//! - Changing a `readOnly` attribute (`id`, `meta`, `groups`) is `mutability`, unless the
//!   value sent equals the current one (clients that echo a whole resource are not punished).

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

use crate::error::{ParseError, PatchError, PatchErrorKind};
use crate::eval;
use crate::filter::{CompValue, CompareOp, Filter};
use crate::json::{get_ci, is_present, key_ci, parse_bool};
use crate::path::{AttrPath, PatchPath};
use crate::schema::{AttributeCharacteristics, AttributeType, Characteristics, Mutability};
use crate::types::urn;

/// A PATCH request body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PatchOp {
    #[serde(default)]
    pub schemas: Vec<String>,
    #[serde(rename = "Operations", alias = "operations")]
    pub operations: Vec<PatchOperation>,
}

/// `add`, `replace` or `remove`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PatchOpKind {
    Add,
    Replace,
    Remove,
}

impl PatchOpKind {
    pub fn as_str(self) -> &'static str {
        match self {
            PatchOpKind::Add => "add",
            PatchOpKind::Replace => "replace",
            PatchOpKind::Remove => "remove",
        }
    }

    /// Entra's capitalised spelling.
    pub fn legacy_str(self) -> &'static str {
        match self {
            PatchOpKind::Add => "Add",
            PatchOpKind::Replace => "Replace",
            PatchOpKind::Remove => "Remove",
        }
    }
}

impl Serialize for PatchOpKind {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for PatchOpKind {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        [PatchOpKind::Add, PatchOpKind::Replace, PatchOpKind::Remove]
            .into_iter()
            .find(|k| k.as_str().eq_ignore_ascii_case(&text))
            .ok_or_else(|| {
                serde::de::Error::custom(format!("op must be add, replace or remove, not {text:?}"))
            })
    }
}

/// One operation. `path` stays text here so that a bad path becomes an `invalidPath` error
/// from [`apply`] (with position) rather than a generic JSON error.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PatchOperation {
    pub op: PatchOpKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// `Some(Value::Null)` when the request says `"value": null` (which unassigns, RFC 7643
    /// §2.5), `None` when it has no value at all.
    #[serde(
        default,
        deserialize_with = "present_value",
        skip_serializing_if = "Option::is_none"
    )]
    pub value: Option<Value>,
}

fn present_value<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Value>, D::Error> {
    Value::deserialize(d).map(Some)
}

impl PatchOperation {
    pub fn add(path: Option<&PatchPath>, value: Value) -> Self {
        PatchOperation {
            op: PatchOpKind::Add,
            path: path.map(ToString::to_string),
            value: Some(value),
        }
    }

    pub fn replace(path: Option<&PatchPath>, value: Value) -> Self {
        PatchOperation {
            op: PatchOpKind::Replace,
            path: path.map(ToString::to_string),
            value: Some(value),
        }
    }

    pub fn remove(path: &PatchPath) -> Self {
        PatchOperation {
            op: PatchOpKind::Remove,
            path: Some(path.to_string()),
            value: None,
        }
    }

    /// The parsed path; `None` when absent or blank.
    pub fn parsed_path(&self) -> Result<Option<PatchPath>, ParseError> {
        match self.path.as_deref().map(str::trim) {
            None | Some("") => Ok(None),
            Some(text) => PatchPath::parse(text).map(Some),
        }
    }

    /// Rewrites legacy value shapes in place; see the module documentation. Operations whose
    /// path does not parse are left alone ([`apply`] reports them).
    pub fn normalize(&mut self, attributes: &dyn AttributeCharacteristics) {
        let path = self.parsed_path();
        let Some(value) = self.value.as_mut() else {
            return;
        };
        match path {
            Ok(Some(path)) => normalize_value(value, &path.target(), attributes),
            Ok(None) => {
                let Value::Object(map) = value else { return };
                for (key, v) in map.iter_mut() {
                    let is_extension =
                        attributes.is_extension_schema(key) && attributes.is_schema_urn(key);
                    match v {
                        Value::Object(inner) if is_extension => {
                            for (k, x) in inner.iter_mut() {
                                if let Ok(p) = AttrPath::parse(k) {
                                    normalize_value(x, &p.with_urn(key.clone()), attributes);
                                }
                            }
                        }
                        v => {
                            if let Ok(p) = PatchPath::parse(key) {
                                normalize_value(v, &p.target(), attributes);
                            }
                        }
                    }
                }
            }
            Err(_) => {}
        }
    }
}

impl PatchOp {
    /// A request with the PatchOp schema.
    pub fn new(operations: Vec<PatchOperation>) -> Self {
        PatchOp {
            schemas: vec![urn::PATCH_OP.to_owned()],
            operations,
        }
    }

    /// Whether `schemas` names the PatchOp message (RFC 7644 requires it; Steward's server may
    /// choose to be lenient).
    pub fn has_patch_schema(&self) -> bool {
        self.schemas
            .iter()
            .any(|s| s.eq_ignore_ascii_case(urn::PATCH_OP))
    }

    /// [`PatchOperation::normalize`] for every operation.
    pub fn normalize(&mut self, attributes: &dyn AttributeCharacteristics) {
        for op in &mut self.operations {
            op.normalize(attributes);
        }
    }

    /// [`apply`] with this request's operations.
    pub fn apply(
        &self,
        resource: &mut Value,
        attributes: &dyn AttributeCharacteristics,
    ) -> Result<(), PatchError> {
        apply(resource, &self.operations, attributes)
    }

    /// The request in the shape Entra's pre-2020 provisioning sends, for targets built against
    /// it: capitalised op names, booleans as `"True"`/`"False"` where the attribute is boolean,
    /// and `members[value eq "x"]` removals as a value list.
    pub fn to_legacy_json(&self, attributes: &dyn AttributeCharacteristics) -> Value {
        let ops = self
            .operations
            .iter()
            .map(|op| {
                let mut out = Map::new();
                out.insert("op".into(), Value::from(op.op.legacy_str()));
                let path = op.parsed_path().ok().flatten();
                let member = match (&path, op.op) {
                    (
                        Some(PatchPath::ValuePath {
                            path,
                            filter,
                            sub_attr: None,
                        }),
                        PatchOpKind::Remove,
                    ) => match filter {
                        Filter::Compare {
                            path: p,
                            op: CompareOp::Eq,
                            value: CompValue::String(id),
                        } if p.name.eq_ignore_ascii_case("value") && p.sub_attr.is_none() => {
                            Some((path.to_string(), id.clone()))
                        }
                        _ => None,
                    },
                    _ => None,
                };
                if let Some((attr, id)) = member {
                    out.insert("path".into(), Value::from(attr));
                    out.insert("value".into(), serde_json::json!([{ "value": id }]));
                } else {
                    if let Some(p) = &op.path {
                        out.insert("path".into(), Value::from(p.clone()));
                    }
                    if let Some(v) = &op.value {
                        let mut v = v.clone();
                        if let Some(p) = &path {
                            stringify_booleans(&mut v, &p.target(), attributes);
                        }
                        out.insert("value".into(), v);
                    }
                }
                Value::Object(out)
            })
            .collect::<Vec<_>>();
        serde_json::json!({ "schemas": [urn::PATCH_OP], "Operations": ops })
    }
}

fn stringify_booleans(v: &mut Value, target: &AttrPath, attributes: &dyn AttributeCharacteristics) {
    let c = attributes.characteristics(target);
    match v {
        Value::Bool(b) if c.kind == AttributeType::Boolean => {
            *v = Value::from(if *b { "True" } else { "False" });
        }
        Value::Array(items) => items
            .iter_mut()
            .for_each(|i| stringify_booleans(i, target, attributes)),
        Value::Object(map) if target.sub_attr.is_none() => {
            for (k, x) in map.iter_mut() {
                stringify_booleans(x, &target.with_sub(k.clone()), attributes);
            }
        }
        _ => {}
    }
}

/// Legacy shapes → RFC shapes for the value aimed at `target`.
fn normalize_value(v: &mut Value, target: &AttrPath, attributes: &dyn AttributeCharacteristics) {
    let c = attributes.characteristics(target);
    match v {
        Value::String(s) if c.kind == AttributeType::Boolean => {
            if let Some(b) = parse_bool(s) {
                *v = Value::Bool(b);
            }
        }
        Value::Array(items)
            if !c.multi_valued && c.kind == AttributeType::Complex && items.len() == 1 =>
        {
            let single = items.remove(0);
            *v = single;
            normalize_value(v, target, attributes);
        }
        Value::Array(items) => items
            .iter_mut()
            .for_each(|i| normalize_value(i, target, attributes)),
        Value::Object(map) if target.sub_attr.is_none() => {
            for (k, x) in map.iter_mut() {
                normalize_value(x, &target.with_sub(k.clone()), attributes);
            }
        }
        _ => {}
    }
}

/// Applies `operations` to `resource` (a JSON object) atomically.
pub fn apply(
    resource: &mut Value,
    operations: &[PatchOperation],
    attributes: &dyn AttributeCharacteristics,
) -> Result<(), PatchError> {
    let mut work = resource.clone();
    for (i, op) in operations.iter().enumerate() {
        apply_one(&mut work, op, attributes).map_err(|kind| PatchError { operation: i, kind })?;
    }
    *resource = work;
    Ok(())
}

/// Whether `key` names a whole extension of `root` (known, present, or listed in `schemas`).
fn is_extension_of(
    root: &Map<String, Value>,
    key: &str,
    attributes: &dyn AttributeCharacteristics,
) -> bool {
    attributes.is_extension_schema(key)
        && (attributes.is_schema_urn(key)
            || key_ci(root, key).is_some_and(|k| root.get(k).is_some_and(Value::is_object))
            || root
                .get("schemas")
                .and_then(Value::as_array)
                .is_some_and(|s| {
                    s.iter()
                        .any(|u| u.as_str().is_some_and(|u| u.eq_ignore_ascii_case(key)))
                }))
}

fn invalid_path(path: &str, source: ParseError) -> PatchErrorKind {
    PatchErrorKind::InvalidPath {
        path: path.to_owned(),
        source,
    }
}

fn apply_one(
    root: &mut Value,
    op: &PatchOperation,
    attributes: &dyn AttributeCharacteristics,
) -> Result<(), PatchErrorKind> {
    let path = op
        .parsed_path()
        .map_err(|e| invalid_path(op.path.as_deref().unwrap_or_default(), e))?;
    if let Some(path) = path {
        return apply_path(root, op.op, &path, op.value.as_ref(), attributes);
    }
    if op.op == PatchOpKind::Remove {
        return Err(PatchErrorKind::NoTarget(
            "remove needs a path naming what to remove".into(),
        ));
    }
    let Some(Value::Object(values)) = &op.value else {
        return Err(PatchErrorKind::InvalidValue(format!(
            "{} without a path needs an object of attributes as value",
            op.op.as_str()
        )));
    };
    for (key, value) in values {
        let is_extension = root
            .as_object()
            .is_some_and(|r| is_extension_of(r, key, attributes));
        if let (true, Value::Object(inner)) = (is_extension, value) {
            for (k, v) in inner {
                let p = AttrPath::parse(k).map_err(|e| invalid_path(k, e))?;
                let p = PatchPath::Attribute(p.with_urn(key.clone()));
                apply_path(root, op.op, &p, Some(v), attributes)?;
            }
        } else {
            let p = PatchPath::parse(key).map_err(|e| invalid_path(key, e))?;
            apply_path(root, op.op, &p, Some(value), attributes)?;
        }
    }
    Ok(())
}

fn add_schema(root: &mut Map<String, Value>, schema: &str) {
    if let Some(Value::Array(schemas)) = root.get_mut("schemas") {
        if !schemas
            .iter()
            .any(|s| s.as_str().is_some_and(|s| s.eq_ignore_ascii_case(schema)))
        {
            schemas.push(Value::from(schema));
        }
    }
}

fn apply_path(
    root: &mut Value,
    kind: PatchOpKind,
    path: &PatchPath,
    value: Option<&Value>,
    attributes: &dyn AttributeCharacteristics,
) -> Result<(), PatchErrorKind> {
    let Some(root) = root.as_object_mut() else {
        return Err(PatchErrorKind::InvalidValue(
            "the resource is not a JSON object".into(),
        ));
    };
    if kind != PatchOpKind::Remove && value.is_none() {
        return Err(PatchErrorKind::InvalidSyntax(format!(
            "{} needs a value",
            kind.as_str()
        )));
    }
    let attr = path.attr();
    let (filter, sub) = match path {
        PatchPath::Attribute(a) => (None, a.sub_attr.as_deref()),
        PatchPath::ValuePath {
            filter, sub_attr, ..
        } => (Some(filter), sub_attr.as_deref()),
    };
    let mut base = AttrPath {
        urn: attr.urn.clone(),
        name: attr.name.clone(),
        sub_attr: None,
    };
    let mut characteristics = attributes.characteristics(&base);

    // `urn:…:enterprise:2.0:User` as a path: the whole extension object.
    let whole_extension = attr.urn.is_some()
        && filter.is_none()
        && sub.is_none()
        && is_extension_of(root, &attr.full_name(), attributes);
    let container: &mut Map<String, Value> = if whole_extension {
        base = AttrPath::new(attr.full_name());
        characteristics = Characteristics::of(AttributeType::Complex);
        if kind != PatchOpKind::Remove {
            add_schema(root, &base.name);
        }
        root
    } else {
        match &attr.urn {
            Some(urn) if attributes.is_extension_schema(urn) => {
                let key = match key_ci(root, urn) {
                    Some(k) => k.clone(),
                    None if kind == PatchOpKind::Remove => return Ok(()),
                    None => {
                        add_schema(root, urn);
                        root.insert(urn.clone(), Value::Object(Map::new()));
                        urn.clone()
                    }
                };
                match root.get_mut(&key) {
                    Some(Value::Object(m)) => m,
                    _ => {
                        return Err(PatchErrorKind::InvalidValue(format!(
                            "{urn} holds extension attributes and must be an object"
                        )))
                    }
                }
            }
            _ => root,
        }
    };
    let target = Target {
        key: key_ci(container, &base.name)
            .cloned()
            .unwrap_or_else(|| base.name.clone()),
        base,
        characteristics,
    };
    check_mutability(container, &target, sub, kind, value, attributes)?;
    if let Some(v) = value {
        let described = match sub {
            Some(s) => target.base.with_sub(s),
            None => target.base.clone(),
        };
        check_value(v, &described, attributes)?;
    }
    match (filter, sub) {
        (None, None) => apply_whole(container, &target, kind, value, attributes),
        (None, Some(sub)) => apply_sub(container, &target, sub, kind, value),
        (Some(filter), sub) => {
            apply_filtered(container, &target, filter, sub, kind, value, attributes)
        }
    }
}

/// The attribute an operation works on, within its container (resource or extension).
struct Target {
    /// The key to use in the container (the existing spelling, if there is one).
    key: String,
    /// The attribute without sub-attribute, for characteristics and messages.
    base: AttrPath,
    characteristics: Characteristics,
}

fn check_mutability(
    container: &Map<String, Value>,
    target: &Target,
    sub: Option<&str>,
    kind: PatchOpKind,
    value: Option<&Value>,
    attributes: &dyn AttributeCharacteristics,
) -> Result<(), PatchErrorKind> {
    let existing = container.get(&target.key);
    let unchanged = kind != PatchOpKind::Remove && sub.is_none() && existing == value;
    let refuse = |attribute: String, m: Mutability| {
        Err(PatchErrorKind::Mutability {
            attribute,
            mutability: m.as_str(),
        })
    };
    match target.characteristics.mutability {
        Mutability::ReadOnly if !unchanged => {
            return refuse(target.base.to_string(), Mutability::ReadOnly)
        }
        Mutability::Immutable if !unchanged && existing.is_some_and(is_present) => {
            return refuse(target.base.to_string(), Mutability::Immutable)
        }
        _ => {}
    }
    if let Some(sub) = sub {
        let path = target.base.with_sub(sub);
        match attributes.characteristics(&path).mutability {
            Mutability::ReadOnly => return refuse(path.to_string(), Mutability::ReadOnly),
            Mutability::Immutable if kind != PatchOpKind::Add => {
                return refuse(path.to_string(), Mutability::Immutable)
            }
            _ => {}
        }
    }
    Ok(())
}

/// Refuses values of the wrong JSON type for boolean attributes (the legacy `"True"` among
/// them: normalising is the caller's explicit choice).
fn check_value(
    v: &Value,
    target: &AttrPath,
    attributes: &dyn AttributeCharacteristics,
) -> Result<(), PatchErrorKind> {
    match v {
        Value::Array(items) => items
            .iter()
            .try_for_each(|i| check_value(i, target, attributes)),
        Value::Object(map) if target.sub_attr.is_none() => map
            .iter()
            .try_for_each(|(k, x)| check_value(x, &target.with_sub(k.clone()), attributes)),
        Value::Bool(_) | Value::Null => Ok(()),
        other if attributes.characteristics(target).kind == AttributeType::Boolean => {
            Err(PatchErrorKind::InvalidValue(format!(
                "{target} is a boolean, not {other}{}",
                if other.is_string() {
                    " (a legacy string boolean: normalise the request first)"
                } else {
                    ""
                }
            )))
        }
        _ => Ok(()),
    }
}

fn as_items(v: &Value) -> Vec<Value> {
    match v {
        Value::Array(items) => items.clone(),
        Value::Null => Vec::new(),
        other => vec![other.clone()],
    }
}

fn ensure_array<'m>(map: &'m mut Map<String, Value>, key: &str) -> &'m mut Vec<Value> {
    let slot = map.entry(key.to_owned()).or_insert(Value::Null);
    if !slot.is_array() {
        let old = slot.take();
        *slot = Value::Array(if old.is_null() { Vec::new() } else { vec![old] });
    }
    match slot {
        Value::Array(items) => items,
        _ => unreachable!("the slot was just made an array"),
    }
}

fn set_ci(map: &mut Map<String, Value>, name: &str, value: Value) {
    let key = key_ci(map, name)
        .cloned()
        .unwrap_or_else(|| name.to_owned());
    if value.is_null() {
        map.remove(&key);
    } else {
        map.insert(key, value);
    }
}

fn remove_ci(map: &mut Map<String, Value>, name: &str) {
    if let Some(key) = key_ci(map, name).cloned() {
        map.remove(&key);
    }
}

/// Sets the given sub-attributes of a complex value, leaving the others (RFC 7644 §3.5.2.3).
fn merge(into: &mut Map<String, Value>, from: &Map<String, Value>) {
    for (k, v) in from {
        set_ci(into, k, v.clone());
    }
}

/// After values were added or changed at `changed`, keeps at most one `primary: true`: the
/// last changed value that has it (RFC 7644 §3.5.2).
fn fix_primary(items: &mut [Value], changed: &[usize]) {
    let is_primary = |v: &Value| get_ci(v, "primary") == Some(&Value::Bool(true));
    let Some(&keep) = changed
        .iter()
        .rev()
        .find(|&&i| items.get(i).is_some_and(is_primary))
    else {
        return;
    };
    for (i, item) in items.iter_mut().enumerate() {
        if i != keep && is_primary(item) {
            if let Value::Object(m) = item {
                set_ci(m, "primary", Value::Bool(false));
            }
        }
    }
}

fn apply_whole(
    map: &mut Map<String, Value>,
    target: &Target,
    kind: PatchOpKind,
    value: Option<&Value>,
    attributes: &dyn AttributeCharacteristics,
) -> Result<(), PatchErrorKind> {
    let key = target.key.as_str();
    let multi = target.characteristics.multi_valued || map.get(key).is_some_and(Value::is_array);
    match (kind, value) {
        (PatchOpKind::Remove, Some(list))
            if !list.is_null() && map.get(key).is_some_and(Value::is_array) =>
        {
            // Legacy: remove only the listed values (Entra's member removal).
            let exact = attributes
                .characteristics(&target.base.with_sub("value"))
                .case_exact;
            let listed = as_items(list);
            let items = ensure_array(map, key);
            items.retain(|item| !listed.iter().any(|l| same_value(item, l, exact)));
            if items.is_empty() {
                map.remove(key);
            }
            Ok(())
        }
        (PatchOpKind::Remove, _) | (PatchOpKind::Replace, None | Some(Value::Null)) => {
            map.remove(key);
            Ok(())
        }
        (_, None) => Ok(()),
        (PatchOpKind::Add, Some(v)) if multi => {
            let items = ensure_array(map, key);
            let mut changed = Vec::new();
            for new in as_items(v) {
                match items.iter().position(|existing| *existing == new) {
                    Some(i) => changed.push(i),
                    None => {
                        items.push(new);
                        changed.push(items.len() - 1);
                    }
                }
            }
            fix_primary(items, &changed);
            if items.is_empty() {
                map.remove(key);
            }
            Ok(())
        }
        (PatchOpKind::Replace, Some(v)) if multi => {
            let mut items = as_items(v);
            let all: Vec<usize> = (0..items.len()).collect();
            fix_primary(&mut items, &all);
            if items.is_empty() {
                map.remove(key);
            } else {
                map.insert(key.to_owned(), Value::Array(items));
            }
            Ok(())
        }
        (_, Some(v)) => {
            let v = match v {
                Value::Array(items) if items.len() == 1 => &items[0],
                Value::Array(_) => {
                    return Err(PatchErrorKind::InvalidValue(format!(
                        "{} is single-valued; a list of values cannot be assigned to it",
                        target.base
                    )))
                }
                v => v,
            };
            match (map.get_mut(key), v) {
                (Some(Value::Object(existing)), Value::Object(new)) => merge(existing, new),
                _ => set_ci(map, key, v.clone()),
            }
            Ok(())
        }
    }
}

/// Compares a value of a multi-valued attribute with an entry of a legacy removal list, by
/// their `value` sub-attributes when they have them.
fn same_value(item: &Value, listed: &Value, case_exact: bool) -> bool {
    let listed_value = match listed {
        Value::Object(_) => match get_ci(listed, "value") {
            Some(v) => v,
            None => return item == listed,
        },
        other => other,
    };
    let item_value = match item {
        Value::Object(_) => match get_ci(item, "value") {
            Some(v) => v,
            None => return false,
        },
        other => other,
    };
    match (item_value, listed_value) {
        (Value::String(a), Value::String(b)) if !case_exact => a.to_lowercase() == b.to_lowercase(),
        (a, b) => a == b,
    }
}

/// `name.sub` without a filter.
fn apply_sub(
    map: &mut Map<String, Value>,
    target: &Target,
    sub: &str,
    kind: PatchOpKind,
    value: Option<&Value>,
) -> Result<(), PatchErrorKind> {
    let key = target.key.as_str();
    let value = value.filter(|v| !v.is_null());
    match map.get_mut(key) {
        Some(Value::Array(items)) => {
            match (kind, value) {
                (PatchOpKind::Remove, _) | (_, None) => {
                    items
                        .iter_mut()
                        .filter_map(Value::as_object_mut)
                        .for_each(|m| remove_ci(m, sub));
                }
                (_, Some(v)) => {
                    if items.is_empty() {
                        return Err(PatchErrorKind::NoTarget(format!(
                            "{} has no values whose {sub} could be set; add a value or use a filter such as {}[type eq \"work\"].{sub}",
                            target.base, target.base
                        )));
                    }
                    items
                        .iter_mut()
                        .filter_map(Value::as_object_mut)
                        .for_each(|m| set_ci(m, sub, v.clone()));
                }
            }
            Ok(())
        }
        Some(Value::Object(m)) => {
            match (kind, value) {
                (PatchOpKind::Remove, _) | (_, None) => remove_ci(m, sub),
                (_, Some(v)) => set_ci(m, sub, v.clone()),
            }
            if m.is_empty() {
                map.remove(key);
            }
            Ok(())
        }
        None | Some(Value::Null) => match (kind, value) {
            (PatchOpKind::Remove, _) | (_, None) => Ok(()),
            (_, Some(_)) if target.characteristics.multi_valued => Err(PatchErrorKind::NoTarget(
                format!("{} has no values whose {sub} could be set", target.base),
            )),
            (_, Some(v)) => {
                let mut m = Map::new();
                m.insert(sub.to_owned(), v.clone());
                map.insert(key.to_owned(), Value::Object(m));
                Ok(())
            }
        },
        Some(_) => Err(PatchErrorKind::PathNotApplicable(format!(
            "{} is not a complex attribute, so it has no sub-attribute {sub}",
            target.base
        ))),
    }
}

/// The value a filter describes when it is only `eq` comparisons joined by `and`:
/// `type eq "work" and primary eq true` → `{"type": "work", "primary": true}`.
fn seed_from_filter(filter: &Filter) -> Option<Map<String, Value>> {
    let mut seed = Map::new();
    let terms: Vec<&Filter> = match filter {
        Filter::And(items) => items.iter().collect(),
        other => vec![other],
    };
    for term in terms {
        let Filter::Compare {
            path,
            op: CompareOp::Eq,
            value,
        } = term
        else {
            return None;
        };
        if path.urn.is_some() || path.sub_attr.is_some() {
            return None;
        }
        let v = match value {
            CompValue::Null => return None,
            CompValue::Bool(b) => Value::Bool(*b),
            CompValue::Number(n) => Value::Number(n.clone()),
            CompValue::String(s) => Value::String(s.clone()),
        };
        seed.insert(path.name.clone(), v);
    }
    Some(seed)
}

fn apply_filtered(
    map: &mut Map<String, Value>,
    target: &Target,
    filter: &Filter,
    sub: Option<&str>,
    kind: PatchOpKind,
    value: Option<&Value>,
    attributes: &dyn AttributeCharacteristics,
) -> Result<(), PatchErrorKind> {
    let key = target.key.as_str();
    let mut matched: Vec<usize> = match map.get(key) {
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .filter(|(_, item)| eval::eval(filter, item, Some(&target.base), attributes))
            .map(|(i, _)| i)
            .collect(),
        None | Some(Value::Null) => Vec::new(),
        Some(_) => {
            return Err(PatchErrorKind::PathNotApplicable(format!(
                "{} is not multi-valued, so a value filter cannot select its values",
                target.base
            )))
        }
    };
    if matched.is_empty() {
        match kind {
            PatchOpKind::Remove => return Ok(()),
            PatchOpKind::Replace => {
                return Err(PatchErrorKind::NoTarget(format!(
                    "no value of {} matches [{filter}]",
                    target.base
                )))
            }
            PatchOpKind::Add => {
                let Some(seed) = seed_from_filter(filter) else {
                    return Err(PatchErrorKind::NoTarget(format!(
                        "no value of {} matches [{filter}], and only a filter of eq comparisons joined by and describes a value to add",
                        target.base
                    )));
                };
                let items = ensure_array(map, key);
                items.push(Value::Object(seed));
                matched.push(items.len() - 1);
            }
        }
    }
    let items = ensure_array(map, key);
    let value = value.filter(|v| !v.is_null());
    match (kind, sub, value) {
        (PatchOpKind::Remove, None, _) => {
            for &i in matched.iter().rev() {
                items.remove(i);
            }
        }
        (PatchOpKind::Remove, Some(sub), _) | (_, Some(sub), None) => {
            for &i in &matched {
                if let Some(m) = items[i].as_object_mut() {
                    remove_ci(m, sub);
                }
            }
        }
        (_, None, None) => {
            for &i in matched.iter().rev() {
                items.remove(i);
            }
        }
        (_, Some(sub), Some(v)) => {
            for &i in &matched {
                if let Some(m) = items[i].as_object_mut() {
                    set_ci(m, sub, v.clone());
                }
            }
            fix_primary(items, &matched);
        }
        (_, None, Some(v)) => {
            let Value::Object(new) = v else {
                return Err(PatchErrorKind::InvalidValue(format!(
                    "a value filter without a sub-attribute needs an object of sub-attributes, as in {{\"value\": …}}; got {v}"
                )));
            };
            for &i in &matched {
                if let Some(m) = items[i].as_object_mut() {
                    merge(m, new);
                }
            }
            fix_primary(items, &matched);
        }
    }
    if items.is_empty() {
        map.remove(key);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::schema::CoreSchema;
    use crate::types::ScimType;

    fn user() -> Value {
        json!({
            "schemas": [urn::USER],
            "id": "2819c223",
            "userName": "bjensen",
            "active": true,
            "name": {"givenName": "Barbara", "familyName": "Jensen"},
            "emails": [
                {"value": "bjensen@example.com", "type": "work", "primary": true},
                {"value": "babs@jensen.org", "type": "home"}
            ],
            "addresses": [{"type": "work", "streetAddress": "100 Universal City Plaza", "locality": "Hollywood"}],
            "meta": {"resourceType": "User", "version": "W/\"a330bc54f0671c9\""}
        })
    }

    fn group() -> Value {
        json!({
            "schemas": [urn::GROUP],
            "id": "acbf3ae7",
            "displayName": "Tour Guides",
            "members": [
                {"value": "2819c223", "display": "Babs Jensen"},
                {"value": "902c246b", "display": "Mandy Pepperidge"},
                {"value": "c3a26dd3", "display": "Kim"}
            ]
        })
    }

    /// Applies the operations (a JSON array, as sent) to `resource`, normalising first.
    fn patch(resource: &Value, ops: Value) -> Result<Value, PatchError> {
        let mut request: PatchOp =
            serde_json::from_value(json!({"schemas": [urn::PATCH_OP], "Operations": ops})).unwrap();
        request.normalize(&CoreSchema);
        let mut r = resource.clone();
        request.apply(&mut r, &CoreSchema)?;
        Ok(r)
    }

    fn with(mut resource: Value, changes: &[(&str, Value)]) -> Value {
        let m = resource.as_object_mut().unwrap();
        for (k, v) in changes {
            if v.is_null() {
                m.remove(*k);
            } else {
                m.insert((*k).to_owned(), v.clone());
            }
        }
        resource
    }

    #[test]
    fn rfc_7644_section_3_5_2_examples() {
        let new_member = json!({"display": "Babs Jensen", "$ref": "https://example.com/v2/Users/2819c223", "value": "d1"});
        let cases: Vec<(&str, Value, Value, Value)> = vec![
            // name, resource, operations, expected
            (
                "3.5.2.1 add members",
                group(),
                json!([{"op": "add", "path": "members", "value": [new_member.clone()]}]),
                with(
                    group(),
                    &[("members", {
                        let mut m = group()["members"].as_array().unwrap().clone();
                        m.push(new_member.clone());
                        Value::Array(m)
                    })],
                ),
            ),
            (
                "3.5.2.1 add without path",
                user(),
                json!([{"op": "add", "value": {"emails": [{"value": "babs@jensen.org", "type": "home"}, {"value": "b@x.org", "type": "other"}], "nickname": "Babs"}}]),
                with(
                    user(),
                    &[
                        ("nickname", json!("Babs")),
                        (
                            "emails",
                            json!([
                                {"value": "bjensen@example.com", "type": "work", "primary": true},
                                {"value": "babs@jensen.org", "type": "home"},
                                {"value": "b@x.org", "type": "other"}
                            ]),
                        ),
                    ],
                ),
            ),
            (
                "3.5.2.2 remove one member",
                group(),
                json!([{"op": "remove", "path": "members[value eq \"902c246b\"]"}]),
                with(
                    group(),
                    &[(
                        "members",
                        json!([
                            {"value": "2819c223", "display": "Babs Jensen"},
                            {"value": "c3a26dd3", "display": "Kim"}
                        ]),
                    )],
                ),
            ),
            (
                "3.5.2.2 remove all members",
                group(),
                json!([{"op": "remove", "path": "members"}]),
                with(group(), &[("members", Value::Null)]),
            ),
            (
                "3.5.2.2 remove and add members",
                group(),
                json!([
                    {"op": "remove", "path": "members[value eq \"2819c223\"]"},
                    {"op": "add", "path": "members", "value": [{"value": "d1"}]}
                ]),
                with(
                    group(),
                    &[(
                        "members",
                        json!([
                            {"value": "902c246b", "display": "Mandy Pepperidge"},
                            {"value": "c3a26dd3", "display": "Kim"},
                            {"value": "d1"}
                        ]),
                    )],
                ),
            ),
            (
                "3.5.2.2 remove a sub-attribute of selected values",
                user(),
                json!([{"op": "remove", "path": "emails[type eq \"work\"].primary"}]),
                with(
                    user(),
                    &[(
                        "emails",
                        json!([
                            {"value": "bjensen@example.com", "type": "work"},
                            {"value": "babs@jensen.org", "type": "home"}
                        ]),
                    )],
                ),
            ),
            (
                "3.5.2.3 replace all members",
                group(),
                json!([{"op": "replace", "path": "members", "value": [{"value": "a"}, {"value": "b"}]}]),
                with(
                    group(),
                    &[("members", json!([{"value": "a"}, {"value": "b"}]))],
                ),
            ),
            (
                "3.5.2.3 replace a selected value (sub-attributes merge)",
                user(),
                json!([{"op": "replace", "path": "addresses[type eq \"work\"]", "value": {
                    "type": "work", "streetAddress": "911 Universal City Plaza", "postalCode": "91608", "primary": true
                }}]),
                with(
                    user(),
                    &[(
                        "addresses",
                        json!([{
                            "type": "work", "streetAddress": "911 Universal City Plaza", "locality": "Hollywood",
                            "postalCode": "91608", "primary": true
                        }]),
                    )],
                ),
            ),
            (
                "3.5.2.3 replace a sub-attribute of a selected value",
                user(),
                json!([{"op": "replace", "path": "addresses[type eq \"work\"].streetAddress", "value": "1010 Broadway Ave"}]),
                with(
                    user(),
                    &[(
                        "addresses",
                        json!([{"type": "work", "streetAddress": "1010 Broadway Ave", "locality": "Hollywood"}]),
                    )],
                ),
            ),
            (
                "3.5.2.3 replace without path",
                user(),
                json!([{"op": "replace", "value": {
                    "emails": [{"value": "bjensen@example.com", "type": "work", "primary": true}, {"value": "babs@jensen.org", "type": "home"}],
                    "nickname": "Babs"
                }}]),
                with(user(), &[("nickname", json!("Babs"))]),
            ),
            (
                "replace a sub-attribute of a complex attribute",
                user(),
                json!([{"op": "replace", "path": "name.familyName", "value": "Doe"}]),
                with(
                    user(),
                    &[("name", json!({"givenName": "Barbara", "familyName": "Doe"}))],
                ),
            ),
            (
                "add merges into a complex attribute",
                user(),
                json!([{"op": "add", "path": "name", "value": {"middleName": "Jane"}}]),
                with(
                    user(),
                    &[(
                        "name",
                        json!({"givenName": "Barbara", "familyName": "Jensen", "middleName": "Jane"}),
                    )],
                ),
            ),
            (
                "attribute names are case-insensitive",
                user(),
                json!([{"op": "replace", "path": "USERNAME", "value": "babs"}, {"op": "remove", "path": "Name.GivenName"}]),
                with(
                    user(),
                    &[
                        ("userName", json!("babs")),
                        ("name", json!({"familyName": "Jensen"})),
                    ],
                ),
            ),
            (
                "a new primary value demotes the old one",
                user(),
                json!([{"op": "add", "path": "emails", "value": [{"value": "new@x.org", "type": "other", "primary": true}]}]),
                with(
                    user(),
                    &[(
                        "emails",
                        json!([
                            {"value": "bjensen@example.com", "type": "work", "primary": false},
                            {"value": "babs@jensen.org", "type": "home"},
                            {"value": "new@x.org", "type": "other", "primary": true}
                        ]),
                    )],
                ),
            ),
            (
                "add with an unmatched filter creates the value",
                user(),
                json!([{"op": "add", "path": "phoneNumbers[type eq \"work\"].value", "value": "555-1234"}]),
                with(
                    user(),
                    &[(
                        "phoneNumbers",
                        json!([{"type": "work", "value": "555-1234"}]),
                    )],
                ),
            ),
            (
                "removing something absent succeeds",
                user(),
                json!([{"op": "remove", "path": "title"}, {"op": "remove", "path": "emails[type eq \"fax\"]"}]),
                user(),
            ),
            (
                "replace with null unassigns",
                user(),
                json!([{"op": "replace", "path": "name", "value": null}]),
                with(user(), &[("name", Value::Null)]),
            ),
            (
                "an extension attribute is created with its container and schema",
                user(),
                json!([{"op": "add", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber", "value": "701984"}]),
                with(
                    user(),
                    &[
                        ("schemas", json!([urn::USER, urn::ENTERPRISE_USER])),
                        (urn::ENTERPRISE_USER, json!({"employeeNumber": "701984"})),
                    ],
                ),
            ),
            (
                "a whole extension as path",
                user(),
                json!([{"op": "add", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User", "value": {"department": "Tours"}}]),
                with(
                    user(),
                    &[
                        ("schemas", json!([urn::USER, urn::ENTERPRISE_USER])),
                        (urn::ENTERPRISE_USER, json!({"department": "Tours"})),
                    ],
                ),
            ),
            (
                "echoing a read-only value unchanged is allowed",
                user(),
                json!([{"op": "replace", "value": {"id": "2819c223", "userName": "x"}}]),
                with(user(), &[("userName", json!("x"))]),
            ),
        ];
        for (name, resource, ops, expected) in cases {
            let got = patch(&resource, ops).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(got, expected, "{name}");
        }
    }

    #[test]
    fn entra_legacy_requests() {
        let enterprise = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
        let cases: Vec<(&str, Value, Value, Value)> = vec![
            (
                "disable with a string boolean and a capitalised op",
                user(),
                json!([{"op": "Replace", "path": "active", "value": "False"}]),
                with(user(), &[("active", json!(false))]),
            ),
            (
                "capitalised replace of a filtered sub-attribute",
                user(),
                json!([{"op": "Replace", "path": "emails[type eq \"work\"].value", "value": "new@example.com"}]),
                with(
                    user(),
                    &[(
                        "emails",
                        json!([
                            {"value": "new@example.com", "type": "work", "primary": true},
                            {"value": "babs@jensen.org", "type": "home"}
                        ]),
                    )],
                ),
            ),
            (
                "manager as a one-element list",
                user(),
                json!([{"op": "Add", "path": format!("{enterprise}:manager"),
                        "value": [{"$ref": "../Users/26118915", "value": "26118915"}]}]),
                with(
                    user(),
                    &[
                        ("schemas", json!([urn::USER, enterprise])),
                        (
                            enterprise,
                            json!({"manager": {"$ref": "../Users/26118915", "value": "26118915"}}),
                        ),
                    ],
                ),
            ),
            (
                "add members with $ref null",
                group(),
                json!([{"op": "Add", "path": "members", "value": [{"$ref": null, "value": "d1"}]}]),
                with(
                    group(),
                    &[("members", {
                        let mut m = group()["members"].as_array().unwrap().clone();
                        m.push(json!({"$ref": null, "value": "d1"}));
                        Value::Array(m)
                    })],
                ),
            ),
            (
                "remove members with a value list removes only those",
                group(),
                json!([{"op": "Remove", "path": "members", "value": [{"$ref": null, "value": "2819c223"}, {"value": "c3a26dd3"}]}]),
                with(
                    group(),
                    &[(
                        "members",
                        json!([{"value": "902c246b", "display": "Mandy Pepperidge"}]),
                    )],
                ),
            ),
            (
                "path-less replace with paths and URNs as keys (aadOptscim062020)",
                user(),
                json!([{"op": "replace", "value": {
                    "active": "True",
                    "displayName": "Babs",
                    "name.givenName": "Babs",
                    "emails[type eq \"work\"].value": "babs@example.com",
                    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department": "Tours",
                    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"costCenter": "4130"}
                }}]),
                with(
                    user(),
                    &[
                        ("displayName", json!("Babs")),
                        ("name", json!({"givenName": "Babs", "familyName": "Jensen"})),
                        (
                            "emails",
                            json!([
                                {"value": "babs@example.com", "type": "work", "primary": true},
                                {"value": "babs@jensen.org", "type": "home"}
                            ]),
                        ),
                        ("schemas", json!([urn::USER, enterprise])),
                        (
                            enterprise,
                            json!({"department": "Tours", "costCenter": "4130"}),
                        ),
                    ],
                ),
            ),
            (
                "primary as a string inside a value",
                user(),
                json!([{"op": "add", "path": "emails", "value": [{"value": "x@y.z", "type": "other", "primary": "True"}]}]),
                with(
                    user(),
                    &[(
                        "emails",
                        json!([
                            {"value": "bjensen@example.com", "type": "work", "primary": false},
                            {"value": "babs@jensen.org", "type": "home"},
                            {"value": "x@y.z", "type": "other", "primary": true}
                        ]),
                    )],
                ),
            ),
        ];
        for (name, resource, ops, expected) in cases {
            let got = patch(&resource, ops).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(got, expected, "{name}");
        }
    }

    #[test]
    fn errors_carry_the_scim_type_and_leave_the_resource_alone() {
        let cases: Vec<(Value, usize, &str, ScimType)> = vec![
            // operations, failing operation, code, scimType
            (
                json!([{"op": "remove"}]),
                0,
                "SCIM-P003",
                ScimType::NoTarget,
            ),
            (
                json!([{"op": "replace", "path": "emails[type eq \"fax\"].value", "value": "x"}]),
                0,
                "SCIM-P003",
                ScimType::NoTarget,
            ),
            (
                json!([{"op": "add", "path": "emails[type co \"fax\"].value", "value": "x"}]),
                0,
                "SCIM-P003",
                ScimType::NoTarget,
            ),
            (
                json!([{"op": "add", "path": "emails[type eq", "value": "x"}]),
                0,
                "SCIM-P001",
                ScimType::InvalidPath,
            ),
            (
                json!([{"op": "add", "path": "userName.first.x", "value": "x"}]),
                0,
                "SCIM-P001",
                ScimType::InvalidPath,
            ),
            (
                json!([{"op": "add", "path": "userName[value eq \"x\"]", "value": "x"}]),
                0,
                "SCIM-P002",
                ScimType::InvalidPath,
            ),
            (
                json!([{"op": "add", "path": "userName.first", "value": "x"}]),
                0,
                "SCIM-P002",
                ScimType::InvalidPath,
            ),
            (
                json!([{"op": "replace", "path": "userName", "value": "ok"}, {"op": "replace", "path": "id", "value": "x"}]),
                1,
                "SCIM-P005",
                ScimType::Mutability,
            ),
            (
                json!([{"op": "remove", "path": "meta"}]),
                0,
                "SCIM-P005",
                ScimType::Mutability,
            ),
            (
                json!([{"op": "replace", "path": "meta.version", "value": "x"}]),
                0,
                "SCIM-P005",
                ScimType::Mutability,
            ),
            (
                json!([{"op": "add", "path": "groups", "value": [{"value": "g"}]}]),
                0,
                "SCIM-P005",
                ScimType::Mutability,
            ),
            (
                json!([{"op": "add", "path": "title"}]),
                0,
                "SCIM-P006",
                ScimType::InvalidSyntax,
            ),
            (
                json!([{"op": "add", "value": "x"}]),
                0,
                "SCIM-P004",
                ScimType::InvalidValue,
            ),
            (
                json!([{"op": "replace", "path": "active", "value": 1}]),
                0,
                "SCIM-P004",
                ScimType::InvalidValue,
            ),
            (
                json!([{"op": "replace", "path": "active", "value": "yes"}]),
                0,
                "SCIM-P004",
                ScimType::InvalidValue,
            ),
            (
                json!([{"op": "replace", "path": "title", "value": ["a", "b"]}]),
                0,
                "SCIM-P004",
                ScimType::InvalidValue,
            ),
            (
                json!([{"op": "replace", "path": "emails[type eq \"work\"]", "value": "x"}]),
                0,
                "SCIM-P004",
                ScimType::InvalidValue,
            ),
        ];
        for (ops, index, code, scim_type) in cases {
            let e = patch(&user(), ops.clone()).expect_err(&ops.to_string());
            assert_eq!(
                (e.operation, e.code(), e.scim_type()),
                (index, code, scim_type),
                "{ops}: {e}"
            );
        }
        // Without normalising, a legacy string boolean is refused rather than stored.
        let request: PatchOp = serde_json::from_value(
            json!({"Operations": [{"op": "replace", "path": "active", "value": "False"}]}),
        )
        .unwrap();
        let mut r = user();
        let e = request.apply(&mut r, &CoreSchema).unwrap_err();
        assert_eq!(e.scim_type(), ScimType::InvalidValue);
        assert_eq!(r, user());
        // Members' values are immutable once set.
        let e = patch(&group(), json!([{"op": "replace", "path": "members[value eq \"c3a26dd3\"].value", "value": "x"}])).unwrap_err();
        assert_eq!(e.scim_type(), ScimType::Mutability);
    }

    #[test]
    fn op_names_and_wire_shape() {
        for (text, kind) in [
            ("add", PatchOpKind::Add),
            ("Add", PatchOpKind::Add),
            ("REPLACE", PatchOpKind::Replace),
            ("Remove", PatchOpKind::Remove),
        ] {
            assert_eq!(
                serde_json::from_value::<PatchOpKind>(json!(text)).unwrap(),
                kind
            );
        }
        assert!(serde_json::from_value::<PatchOpKind>(json!("move")).is_err());
        let request: PatchOp = serde_json::from_value(
            json!({"operations": [{"op": "Add", "path": "title", "value": "x"}]}),
        )
        .unwrap();
        assert!(!request.has_patch_schema());
        let built = PatchOp::new(vec![PatchOperation::replace(
            Some(&PatchPath::parse("title").unwrap()),
            json!("x"),
        )]);
        assert!(built.has_patch_schema());
        assert_eq!(
            serde_json::to_value(&built).unwrap(),
            json!({"schemas": [urn::PATCH_OP], "Operations": [{"op": "replace", "path": "title", "value": "x"}]})
        );
    }

    #[test]
    fn legacy_output_for_entra_era_targets() {
        let request = PatchOp::new(vec![
            PatchOperation::replace(Some(&PatchPath::parse("active").unwrap()), json!(false)),
            PatchOperation::remove(&PatchPath::parse("members[value eq \"u1\"]").unwrap()),
            PatchOperation::add(
                Some(&PatchPath::parse("emails").unwrap()),
                json!([{"value": "a@b.c", "primary": true}]),
            ),
        ]);
        assert_eq!(
            request.to_legacy_json(&CoreSchema),
            json!({"schemas": [urn::PATCH_OP], "Operations": [
                {"op": "Replace", "path": "active", "value": "False"},
                {"op": "Remove", "path": "members", "value": [{"value": "u1"}]},
                {"op": "Add", "path": "emails", "value": [{"value": "a@b.c", "primary": "True"}]}
            ]})
        );
        // And Steward's own server reads it back to the same effect.
        let legacy: PatchOp = serde_json::from_value(request.to_legacy_json(&CoreSchema)).unwrap();
        let mut normalised = legacy.clone();
        normalised.normalize(&CoreSchema);
        let (mut a, mut b) = (
            with(group(), &[("active", json!(true))]),
            with(group(), &[("active", json!(true))]),
        );
        request.apply(&mut a, &CoreSchema).unwrap();
        normalised.apply(&mut b, &CoreSchema).unwrap();
        assert_eq!(a, b);
    }
}
