//! Listing and searching (RFC 7644 §3.4.2, §3.4.3): filter, sort, page, project.
//!
//! An equality on an indexed attribute (`id`, `userName`, `externalId`, `displayName`), alone
//! or as one term of an `and`, is answered from the index and the whole filter is then
//! checked on those few candidates. Without a filter, pages come straight from SQL in the
//! requested order when a column holds it. Any other filter is evaluated, with the same code
//! as everywhere else, on every resource read in batches.

use super::error::{ApiError, ApiResult};
use super::schema::Kind;
use super::ScimState;
use serde_json::Value;
use std::cmp::Ordering;
use std::collections::HashMap;
use steward_scim::{
    parse_attr_list, project, AttrPath, AttributeCharacteristics, AttributeType, CompValue,
    CompareOp, Filter, ListResponse, ScimType, SearchRequest, SortOrder,
};
use steward_scim::{Condition, Mutability, SchemaAttribute, SchemaRegistry, SubAttrCondition};
use steward_store::{GroupId, JsonPath, Lookup, Prefilter, TextOp, UserSort};

/// Largest page a client may ask for; announced as `filter.maxResults`.
pub const MAX_RESULTS: u64 = 1000;
const DEFAULT_COUNT: u64 = 100;
const SCAN_BATCH: u32 = 1000;

/// The parsed parameters of a list or search request.
pub struct ListParams {
    pub filter: Option<Filter>,
    pub sort_by: Option<AttrPath>,
    pub descending: bool,
    pub start_index: u64,
    pub count: u64,
    pub projection: Projection,
}

/// `attributes` / `excludedAttributes`.
#[derive(Default)]
pub struct Projection {
    pub attributes: Vec<AttrPath>,
    pub excluded: Vec<AttrPath>,
}

impl Projection {
    pub fn parse(attributes: Option<&str>, excluded: Option<&str>) -> ApiResult<Self> {
        let list = |text: Option<&str>, name: &str| -> ApiResult<Vec<AttrPath>> {
            match text.map(str::trim).filter(|t| !t.is_empty()) {
                None => Ok(Vec::new()),
                Some(t) => parse_attr_list(t).map_err(|e| {
                    ApiError::bad_request(
                        ScimType::InvalidValue,
                        format!("{name} is not a list of attribute names: {e}"),
                    )
                }),
            }
        };
        Ok(Projection {
            attributes: list(attributes, "attributes")?,
            excluded: list(excluded, "excludedAttributes")?,
        })
    }

    /// Whether the answer will show the top-level attribute `name` (so it is worth loading).
    pub fn shows(&self, name: &str) -> bool {
        if self.attributes.is_empty() {
            !self
                .excluded
                .iter()
                .any(|p| p.sub_attr.is_none() && p.name.eq_ignore_ascii_case(name))
        } else {
            self.attributes
                .iter()
                .any(|p| p.name.eq_ignore_ascii_case(name))
        }
    }

    pub fn apply(&self, resource: &Value, schema: &dyn AttributeCharacteristics) -> Value {
        project(resource, &self.attributes, &self.excluded, schema)
    }
}

impl ListParams {
    pub fn from_search(req: &SearchRequest) -> ApiResult<Self> {
        let filter = req
            .filter
            .as_deref()
            .filter(|f| !f.trim().is_empty())
            .map(|f| {
                Filter::parse(f).map_err(|e| ApiError(steward_scim::ScimError::invalid_filter(&e)))
            })
            .transpose()?;
        let sort_by = req
            .sort_by
            .as_deref()
            .filter(|s| !s.trim().is_empty())
            .map(|s| {
                AttrPath::parse(s.trim()).map_err(|e| {
                    ApiError::bad_request(
                        ScimType::InvalidValue,
                        format!("sortBy is not an attribute name: {e}"),
                    )
                })
            })
            .transpose()?;
        let attributes = (!req.attributes.is_empty()).then(|| req.attributes.join(","));
        let excluded =
            (!req.excluded_attributes.is_empty()).then(|| req.excluded_attributes.join(","));
        Ok(ListParams {
            filter,
            sort_by,
            descending: req.sort_order == Some(SortOrder::Descending),
            start_index: req.start_index_or_default(),
            count: req.count_or(DEFAULT_COUNT, MAX_RESULTS),
            projection: Projection::parse(attributes.as_deref(), excluded.as_deref())?,
        })
    }

    fn offset(&self) -> u32 {
        u32::try_from(self.start_index.saturating_sub(1)).unwrap_or(u32::MAX)
    }

    fn limit(&self) -> u32 {
        u32::try_from(self.count).unwrap_or(u32::MAX)
    }
}

/// An equality the index can answer, from the filter or one term of its top-level `and`.
fn indexed_lookup(filter: &Filter, kind: Kind) -> Option<Lookup> {
    match filter {
        Filter::And(terms) => terms.iter().find_map(|t| indexed_lookup(t, kind)),
        Filter::Compare {
            path,
            op: CompareOp::Eq,
            value: CompValue::String(v),
        } if path.sub_attr.is_none()
            && path.urn.as_deref().is_none_or(|u| {
                u.to_ascii_lowercase()
                    .starts_with("urn:ietf:params:scim:schemas:core:2.0:")
            }) =>
        {
            match (path.name.to_ascii_lowercase().as_str(), kind) {
                ("id", _) => Some(Lookup::Id(v.clone())),
                ("externalid", _) => Some(Lookup::ExternalId(v.clone())),
                ("username", Kind::User) => Some(Lookup::UserName(v.clone())),
                ("displayname", _) => Some(Lookup::DisplayName(v.clone())),
                _ => None,
            }
        }
        _ => None,
    }
}

/// The part of a filter that SQL can check on the stored JSON while scanning: equality,
/// `sw`, `ew`, `co` on text attributes and `pr`, joined as the filter joins them (an `and`
/// keeps the terms it can push down, an `or` only when all of them can). Everything else is
/// left to the real filter, which still checks every candidate. Only ASCII values are pushed
/// down, since SQLite folds ASCII case only.
fn prefilter(filter: &Filter, kind: Kind, schema: &SchemaRegistry) -> Option<Prefilter> {
    match filter {
        Filter::And(terms) => {
            let mut parts: Vec<Prefilter> = terms
                .iter()
                .filter_map(|t| prefilter(t, kind, schema))
                .collect();
            match parts.len() {
                0 => None,
                1 => parts.pop(),
                _ => Some(Prefilter::All(parts)),
            }
        }
        Filter::Or(terms) => terms
            .iter()
            .map(|t| prefilter(t, kind, schema))
            .collect::<Option<Vec<_>>>()
            .map(Prefilter::Any),
        Filter::Present(path) => {
            let (segments, _) = resolve(path, kind, schema)?;
            Some(Prefilter::Present(JsonPath(segments)))
        }
        Filter::Compare { path, op, value } => {
            let (op, value) = text_comparison(*op, value)?;
            let (segments, attribute) = resolve(path, kind, schema)?;
            if !matches!(
                attribute.kind,
                AttributeType::String | AttributeType::Reference
            ) {
                return None;
            }
            let case_exact = attribute.case_exact;
            // A multi-valued attribute matches when any of its values does.
            if multi_valued_prefix(path, kind, schema)? {
                let (array, sub) = split_multi(segments, path);
                Some(Prefilter::AnyText {
                    array: JsonPath(array),
                    sub,
                    op,
                    value,
                    case_exact,
                })
            } else {
                Some(Prefilter::Text {
                    path: JsonPath(segments),
                    op,
                    value,
                    case_exact,
                })
            }
        }
        Filter::ValuePath {
            path,
            sub_attr:
                Some(SubAttrCondition {
                    name,
                    condition: Condition::Compare(op, value),
                }),
            ..
        } => {
            // `emails[type eq "work"].value eq "x"`: some value of `emails` has that `value`
            // (the bracket filter is left to the real filter).
            let (op, value) = text_comparison(*op, value)?;
            let (array, container) = resolve(path, kind, schema)?;
            let sub = container.sub_attribute(name)?;
            if !container.multi_valued
                || !matches!(sub.kind, AttributeType::String | AttributeType::Reference)
            {
                return None;
            }
            Some(Prefilter::AnyText {
                array: JsonPath(array),
                sub: vec![sub.name.clone()],
                op,
                value,
                case_exact: sub.case_exact,
            })
        }
        _ => None,
    }
}

/// A comparison SQL can do on text: `eq`, `sw`, `ew`, `co` with an ASCII string.
fn text_comparison(op: CompareOp, value: &CompValue) -> Option<(TextOp, String)> {
    let CompValue::String(text) = value else {
        return None;
    };
    if !text.is_ascii() {
        return None;
    }
    let op = match op {
        CompareOp::Eq => TextOp::Eq,
        CompareOp::Sw => TextOp::StartsWith,
        CompareOp::Ew => TextOp::EndsWith,
        CompareOp::Co => TextOp::Contains,
        _ => return None,
    };
    Some((op, text.clone()))
}

/// Whether the attribute a path starts with is multi-valued.
fn multi_valued_prefix(path: &AttrPath, kind: Kind, schema: &SchemaRegistry) -> Option<bool> {
    let top = AttrPath {
        urn: path.urn.clone(),
        name: path.name.clone(),
        sub_attr: None,
    };
    resolve(&top, kind, schema).map(|(_, a)| a.multi_valued)
}

/// `[urn?, attribute, sub?]` split into the array and the path inside one of its values.
fn split_multi(mut segments: Vec<String>, path: &AttrPath) -> (Vec<String>, Vec<String>) {
    let sub = if path.sub_attr.is_some() {
        segments.pop().into_iter().collect()
    } else {
        Vec::new()
    };
    (segments, sub)
}

/// The stored JSON path of an attribute (canonical names from the schema, the extension's
/// URN first when it lives in one) and its definition (of the sub-attribute when named).
/// `None` for attributes the schemas do not describe (`id`, `meta`, unknown names).
fn resolve<'s>(
    path: &AttrPath,
    kind: Kind,
    schema: &'s SchemaRegistry,
) -> Option<(Vec<String>, &'s SchemaAttribute)> {
    let mut segments = Vec::new();
    let container = match path.urn.as_deref() {
        None => schema.schema(kind.schema_urn())?,
        Some(urn) if urn.eq_ignore_ascii_case(kind.schema_urn()) => {
            schema.schema(kind.schema_urn())?
        }
        Some(urn) => {
            let extension = schema.schema(urn)?;
            if !schema
                .resource_type(kind)
                .schema_extensions
                .iter()
                .any(|e| e.schema.eq_ignore_ascii_case(&extension.id))
            {
                return None;
            }
            segments.push(extension.id.clone());
            extension
        }
    };
    let attribute = container.attribute(&path.name)?;
    // Not stored in the resource's JSON: read-only attributes are derived when it is
    // rendered (a user's `groups`), and a group's members are rows of their own.
    let derived = attribute.mutability == Mutability::ReadOnly
        || (kind == Kind::Group && attribute.name.eq_ignore_ascii_case("members"));
    if derived {
        return None;
    }
    segments.push(attribute.name.clone());
    match &path.sub_attr {
        None => Some((segments, attribute)),
        Some(sub) => {
            let sub = attribute.sub_attribute(sub)?;
            segments.push(sub.name.clone());
            Some((segments, sub))
        }
    }
}

/// Whether the filter or sort reads `name` (so it must be loaded before evaluating).
fn mentions(filter: Option<&Filter>, sort: Option<&AttrPath>, name: &str) -> bool {
    let needle = name.to_ascii_lowercase();
    let in_text = |t: String| {
        t.to_ascii_lowercase()
            .split(|c: char| !c.is_ascii_alphanumeric() && c != '$')
            .any(|w| w == needle)
    };
    filter.is_some_and(|f| in_text(f.to_string()))
        || sort.is_some_and(|s| s.name.eq_ignore_ascii_case(name))
}

fn user_sort_column(path: &AttrPath) -> Option<UserSort> {
    if path.urn.is_some() {
        return None;
    }
    match (
        path.name.to_ascii_lowercase().as_str(),
        path.sub_attr
            .as_deref()
            .map(str::to_ascii_lowercase)
            .as_deref(),
    ) {
        ("username", None) => Some(UserSort::UserName),
        ("displayname", None) => Some(UserSort::DisplayName),
        ("name", Some("familyname")) => Some(UserSort::FamilyName),
        ("meta", Some("lastmodified")) => Some(UserSort::UpdatedAt),
        _ => None,
    }
}

/// A value to order resources by (RFC 7644 §3.4.2.3): a multi-valued attribute sorts by its
/// primary (else first) value; strings ignore case unless the attribute is caseExact.
#[derive(Debug, PartialEq, PartialOrd)]
enum SortKey {
    Bool(bool),
    Number(f64),
    Text(String),
}

fn sort_key(
    resource: &Value,
    path: &AttrPath,
    schema: &dyn AttributeCharacteristics,
) -> Option<SortKey> {
    let container = match &path.urn {
        Some(urn) if schema.is_extension_schema(urn) => get_ci(resource, urn)?,
        _ => resource,
    };
    let mut value = get_ci(container, &path.name)?;
    if let Value::Array(items) = value {
        value = items
            .iter()
            .find(|v| v.get("primary").and_then(Value::as_bool) == Some(true))
            .or_else(|| items.first())?;
    }
    if let Some(sub) = &path.sub_attr {
        value = get_ci(value, sub)?;
    } else if value.is_object() {
        value = value.get("value")?;
    }
    let characteristics = schema.characteristics(path);
    match value {
        Value::Bool(b) => Some(SortKey::Bool(*b)),
        Value::Number(n) => n.as_f64().map(SortKey::Number),
        Value::String(s)
            if characteristics.case_exact || characteristics.kind == AttributeType::DateTime =>
        {
            Some(SortKey::Text(s.clone()))
        }
        Value::String(s) => Some(SortKey::Text(s.to_lowercase())),
        _ => None,
    }
}

fn get_ci<'a>(value: &'a Value, key: &str) -> Option<&'a Value> {
    value
        .as_object()?
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(key))
        .map(|(_, v)| v)
}

/// Orders in place; resources without the attribute go last when ascending and first when
/// descending (RFC 7644 §3.4.2.3).
fn sort_resources(
    items: &mut [Value],
    path: &AttrPath,
    descending: bool,
    schema: &dyn AttributeCharacteristics,
) {
    let mut keyed: Vec<(Option<SortKey>, Value)> = items
        .iter_mut()
        .map(|v| (sort_key(v, path, schema), std::mem::take(v)))
        .collect();
    keyed.sort_by(|(a, _), (b, _)| match (a, b) {
        (Some(a), Some(b)) => {
            let o = a.partial_cmp(b).unwrap_or(Ordering::Equal);
            if descending {
                o.reverse()
            } else {
                o
            }
        }
        (Some(_), None) if descending => Ordering::Greater,
        (None, Some(_)) if descending => Ordering::Less,
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    });
    for (slot, (_, v)) in items.iter_mut().zip(keyed) {
        *slot = v;
    }
}

impl ScimState {
    pub async fn list(&self, kind: Kind, params: &ListParams) -> ApiResult<ListResponse<Value>> {
        let schema = &*self.schemas.characteristics();
        let (page, total) = match kind {
            Kind::User => self.list_users(params).await?,
            Kind::Group => self.list_groups(params).await?,
        };
        let resources: Vec<Value> = page
            .iter()
            .map(|r| params.projection.apply(r, schema))
            .collect();
        Ok(ListResponse::new(resources, total, params.start_index))
    }

    /// The page of users (full resources) and the total that matched.
    async fn list_users(&self, params: &ListParams) -> ApiResult<(Vec<Value>, u64)> {
        let schema = &*self.schemas.characteristics();
        let sql_order = match &params.sort_by {
            None => Some(None),
            Some(path) => user_sort_column(path).map(Some),
        };
        let with_groups = params.projection.shows("groups")
            || mentions(params.filter.as_ref(), params.sort_by.as_ref(), "groups");
        if let (None, Some(order)) = (&params.filter, sql_order) {
            let page = self
                .store
                .users_page(order, params.descending, params.offset(), params.limit())
                .await?;
            let rendered = self.render_users(&page.items, with_groups).await?;
            return Ok((rendered, u64::try_from(page.total).unwrap_or(0)));
        }
        let mut matched = Vec::new();
        let keep = |r: &Value| params.filter.as_ref().is_none_or(|f| f.matches(r, schema));
        if let Some(lookup) = params
            .filter
            .as_ref()
            .and_then(|f| indexed_lookup(f, Kind::User))
        {
            let users = self.store.find_users(&lookup).await?;
            matched.extend(
                self.render_users(&users, with_groups)
                    .await?
                    .into_iter()
                    .filter(|r| keep(r)),
            );
        } else {
            let narrowed = params
                .filter
                .as_ref()
                .and_then(|f| prefilter(f, Kind::User, schema));
            let mut after = None;
            loop {
                let batch = self
                    .store
                    .scan_users(after, SCAN_BATCH, narrowed.as_ref())
                    .await?;
                let Some(last) = batch.last() else { break };
                after = Some(last.id);
                matched.extend(
                    self.render_users(&batch, with_groups)
                        .await?
                        .into_iter()
                        .filter(|r| keep(r)),
                );
            }
        }
        Ok(self.page_of(matched, params))
    }

    async fn render_users(
        &self,
        users: &[steward_store::User],
        with_groups: bool,
    ) -> ApiResult<Vec<Value>> {
        let mut groups: HashMap<String, Vec<(GroupId, String)>> = HashMap::new();
        if with_groups && !users.is_empty() {
            let ids: Vec<String> = users.iter().map(|u| u.id.to_string()).collect();
            for (member, gid, name) in self.store.groups_of(&ids).await? {
                groups.entry(member).or_default().push((gid, name));
            }
        }
        Ok(users
            .iter()
            .map(|u| {
                let g = groups
                    .get(&u.id.to_string())
                    .map(Vec::as_slice)
                    .unwrap_or(&[]);
                self.render_user(u, g).body
            })
            .collect())
    }

    async fn list_groups(&self, params: &ListParams) -> ApiResult<(Vec<Value>, u64)> {
        let schema = &*self.schemas.characteristics();
        let with_members = params.projection.shows("members");
        let members_for_filter =
            mentions(params.filter.as_ref(), params.sort_by.as_ref(), "members");
        let by_name = params.sort_by.as_ref().is_none_or(|p| {
            p.urn.is_none() && p.sub_attr.is_none() && p.name.eq_ignore_ascii_case("displayName")
        });
        if params.filter.is_none() && by_name && !params.descending {
            let page = self
                .store
                .groups_page(params.offset(), params.limit())
                .await?;
            let mut out = Vec::with_capacity(page.items.len());
            for g in &page.items {
                out.push(self.render_group(g, with_members).await?.body);
            }
            return Ok((out, u64::try_from(page.total).unwrap_or(0)));
        }
        let load_members = with_members || members_for_filter;
        let keep = |r: &Value| params.filter.as_ref().is_none_or(|f| f.matches(r, schema));
        let mut matched = Vec::new();
        if let Some(lookup) = params
            .filter
            .as_ref()
            .and_then(|f| indexed_lookup(f, Kind::Group))
        {
            for g in self.store.find_groups(&lookup).await? {
                let r = self.render_group(&g, load_members).await?.body;
                if keep(&r) {
                    matched.push(r);
                }
            }
        } else {
            let narrowed = params
                .filter
                .as_ref()
                .and_then(|f| prefilter(f, Kind::Group, schema));
            let mut after = None;
            loop {
                let batch = self
                    .store
                    .scan_groups(after, SCAN_BATCH, narrowed.as_ref())
                    .await?;
                let Some(last) = batch.last() else { break };
                after = Some(last.id);
                for g in &batch {
                    let r = self.render_group(g, load_members).await?.body;
                    if keep(&r) {
                        matched.push(r);
                    }
                }
            }
        }
        Ok(self.page_of(matched, params))
    }

    /// Sorts (default: as read) and cuts the page out of everything that matched.
    fn page_of(&self, mut matched: Vec<Value>, params: &ListParams) -> (Vec<Value>, u64) {
        if let Some(path) = &params.sort_by {
            sort_resources(
                &mut matched,
                path,
                params.descending,
                &*self.schemas.characteristics(),
            );
        }
        let total = matched.len() as u64;
        let page = matched
            .into_iter()
            .skip(params.offset() as usize)
            .take(params.limit() as usize)
            .collect();
        (page, total)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use steward_scim::CoreSchema;

    #[test]
    fn finds_the_indexed_term_of_a_filter() {
        let cases = [
            (
                r#"userName eq "Ada""#,
                Kind::User,
                Some(Lookup::UserName("Ada".into())),
            ),
            (r#"userName eq "Ada""#, Kind::Group, None),
            (
                r#"active eq true and externalId eq "E1""#,
                Kind::User,
                Some(Lookup::ExternalId("E1".into())),
            ),
            (
                r#"urn:ietf:params:scim:schemas:core:2.0:User:userName eq "a""#,
                Kind::User,
                Some(Lookup::UserName("a".into())),
            ),
            (r#"userName eq "a" or userName eq "b""#, Kind::User, None),
            (r#"userName ne "a""#, Kind::User, None),
            (
                r#"displayName eq "Sales""#,
                Kind::Group,
                Some(Lookup::DisplayName("Sales".into())),
            ),
            (
                r#"emails[type eq "work"].value eq "a@b.c""#,
                Kind::User,
                None,
            ),
        ];
        for (text, kind, want) in cases {
            let f = Filter::parse(text).unwrap();
            assert_eq!(indexed_lookup(&f, kind), want, "{text}");
        }
    }

    #[test]
    fn sorts_unassigned_values_last_ascending_and_first_descending() {
        let mut items = vec![
            json!({"id": "1", "name": {"familyName": "b"}}),
            json!({"id": "2"}),
            json!({"id": "3", "name": {"familyName": "A"}}),
        ];
        let path = AttrPath::parse("name.familyName").unwrap();
        let ids = |items: &[Value]| {
            items
                .iter()
                .map(|v| v["id"].as_str().unwrap().to_string())
                .collect::<Vec<_>>()
        };
        sort_resources(&mut items, &path, false, &CoreSchema);
        assert_eq!(ids(&items), ["3", "1", "2"]);
        sort_resources(&mut items, &path, true, &CoreSchema);
        assert_eq!(ids(&items), ["2", "1", "3"]);
        let four =
            json!({"id": "4", "emails": [{"value": "z@x"}, {"value": "a@x", "primary": true}]});
        let emails = AttrPath::parse("emails").unwrap();
        assert_eq!(
            sort_key(&four, &emails, &CoreSchema),
            Some(SortKey::Text("a@x".into()))
        );
        assert_eq!(sort_key(&items[0], &emails, &CoreSchema), None);
    }

    #[test]
    fn pushes_down_what_sql_can_check() {
        let schema = SchemaRegistry::standard();
        const ENT: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
        let p = |segments: &[&str]| JsonPath(segments.iter().map(|s| s.to_string()).collect());
        let text = |path, op, value: &str, case_exact| Prefilter::Text {
            path,
            op,
            value: value.into(),
            case_exact,
        };
        let cases: Vec<(String, Option<Prefilter>)> = vec![
            (
                r#"TITLE eq "Boss""#.to_string(),
                Some(text(p(&["title"]), TextOp::Eq, "Boss", false)),
            ),
            (
                r#"name.familyName sw "Lo""#.to_string(),
                Some(text(
                    p(&["name", "familyName"]),
                    TextOp::StartsWith,
                    "Lo",
                    false,
                )),
            ),
            (
                format!(r#"{ENT}:department co "R&D""#),
                Some(text(
                    p(&[ENT, "department"]),
                    TextOp::Contains,
                    "R&D",
                    false,
                )),
            ),
            (
                r#"emails.value ew "@x.com""#.to_string(),
                Some(Prefilter::AnyText {
                    array: p(&["emails"]),
                    sub: vec!["value".into()],
                    op: TextOp::EndsWith,
                    value: "@x.com".into(),
                    case_exact: false,
                }),
            ),
            (
                r#"emails[type eq "work"].value eq "a@x.com""#.to_string(),
                Some(Prefilter::AnyText {
                    array: p(&["emails"]),
                    sub: vec!["value".into()],
                    op: TextOp::Eq,
                    value: "a@x.com".into(),
                    case_exact: false,
                }),
            ),
            (
                r#"nickName pr"#.to_string(),
                Some(Prefilter::Present(p(&["nickName"]))),
            ),
            (
                r#"title eq "a" and active eq true"#.to_string(),
                Some(text(p(&["title"]), TextOp::Eq, "a", false)),
            ),
            (r#"title eq "a" or active eq true"#.to_string(), None),
            (r#"not (title eq "a")"#.to_string(), None),
            (r#"title ne "a""#.to_string(), None),
            (r#"title eq "Çà""#.to_string(), None),
            (
                r#"meta.lastModified gt "2026-01-01T00:00:00Z""#.to_string(),
                None,
            ),
            (r#"shoeSize eq "40""#.to_string(), None),
            (r#"groups.value eq "g1""#.to_string(), None),
            (r#"active eq true"#.to_string(), None),
        ];
        for (text_filter, want) in cases {
            let f = Filter::parse(&text_filter).unwrap();
            assert_eq!(prefilter(&f, Kind::User, &schema), want, "{text_filter}");
        }
    }

    #[test]
    fn projection_knows_what_it_will_show() {
        let p = Projection::parse(None, Some("members")).unwrap();
        assert!(!p.shows("members") && p.shows("displayName"));
        let p = Projection::parse(Some("displayName,members.value"), None).unwrap();
        assert!(p.shows("members") && !p.shows("externalId"));
        assert!(Projection::parse(Some("bad name!"), None).is_err());
    }
}
