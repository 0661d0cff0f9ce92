//! Users and Groups over SCIM: the operations behind both the per-resource endpoints and
//! Bulk. Every write goes through the store, so it lands in the change feed like a portal
//! edit.

use super::error::{ApiError, ApiResult};
use super::query::Projection;
use super::schema::Kind;
use super::ScimState;
use serde_json::{json, Value};
use steward_scim::{PatchOp, ScimError, ScimType};
use steward_store::{Group, GroupId, Member, MemberType, StoreError, User, UserId};

/// A resource as answered: the full body (before projection), its version and location.
#[derive(Debug)]
pub struct Rendered {
    pub body: Value,
    pub version: i64,
    pub location: String,
}

impl Rendered {
    pub fn etag(&self) -> String {
        etag(self.version)
    }
}

pub fn etag(version: i64) -> String {
    format!("W/\"{version}\"")
}

/// An `If-Match` / `If-None-Match` header or a Bulk `version`: `*` or a list of ETags.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Precondition {
    Any,
    Versions(Vec<String>),
}

impl Precondition {
    pub fn parse(text: &str) -> Precondition {
        let text = text.trim();
        if text == "*" {
            return Precondition::Any;
        }
        Precondition::Versions(
            text.split(',')
                .map(|t| {
                    let t = t.trim();
                    let t = t.strip_prefix("W/").unwrap_or(t);
                    t.trim_matches('"').to_string()
                })
                .filter(|t| !t.is_empty())
                .collect(),
        )
    }

    pub fn matches(&self, version: i64) -> bool {
        match self {
            Precondition::Any => true,
            Precondition::Versions(list) => list.iter().any(|v| *v == version.to_string()),
        }
    }

    /// The version a write must find, or 412 when the resource is already past it.
    fn expect(&self, current: i64) -> ApiResult<i64> {
        if self.matches(current) {
            Ok(current)
        } else {
            Err(StoreError::VersionMismatch { current }.into())
        }
    }
}

fn parse_user_id(id: &str) -> ApiResult<UserId> {
    UserId::parse(id).ok_or_else(|| ApiError::not_found("User", id))
}

fn parse_group_id(id: &str) -> ApiResult<GroupId> {
    GroupId::parse(id).ok_or_else(|| ApiError::not_found("Group", id))
}

fn patch_request(body: Value, state: &ScimState) -> ApiResult<PatchOp> {
    let mut patch: PatchOp = serde_json::from_value(body).map_err(|e| {
        ApiError::bad_request(
            ScimType::InvalidSyntax,
            format!("the body is not a PatchOp request: {e}"),
        )
    })?;
    if patch.operations.is_empty() {
        return Err(ApiError::bad_request(
            ScimType::InvalidValue,
            "a PatchOp request needs at least one operation in Operations",
        ));
    }
    patch.normalize(&*state.schemas.characteristics());
    Ok(patch)
}

/// How often a read-modify-write without `If-Match` is retried when another writer got in
/// between (the client did not ask for a precondition, so it should not see one fail).
const RACE_RETRIES: usize = 5;

impl ScimState {
    pub fn location(&self, kind: Kind, id: &str) -> String {
        format!("{}{}/{id}", self.base_url, kind.endpoint())
    }

    // ---- either resource type ----

    pub async fn create(&self, kind: Kind, body: Value) -> ApiResult<Rendered> {
        match kind {
            Kind::User => self.create_user(body).await,
            Kind::Group => self.create_group(body).await,
        }
    }

    /// One resource; a group's members are loaded only when the answer shows them.
    pub async fn get(&self, kind: Kind, id: &str, projection: &Projection) -> ApiResult<Rendered> {
        match kind {
            Kind::User => self.get_user(id).await,
            Kind::Group => self.get_group(id, projection.shows("members")).await,
        }
    }

    pub async fn replace(
        &self,
        kind: Kind,
        id: &str,
        body: Value,
        precondition: Option<&Precondition>,
    ) -> ApiResult<Rendered> {
        match kind {
            Kind::User => self.replace_user(id, body, precondition).await,
            Kind::Group => self.replace_group(id, body, precondition).await,
        }
    }

    pub async fn patch(
        &self,
        kind: Kind,
        id: &str,
        body: Value,
        precondition: Option<&Precondition>,
    ) -> ApiResult<Rendered> {
        match kind {
            Kind::User => self.patch_user(id, body, precondition).await,
            Kind::Group => self.patch_group(id, body, precondition).await,
        }
    }

    pub async fn delete(
        &self,
        kind: Kind,
        id: &str,
        precondition: Option<&Precondition>,
    ) -> ApiResult<()> {
        match kind {
            Kind::User => self.delete_user(id, precondition).await,
            Kind::Group => self.delete_group(id, precondition).await,
        }
    }

    // ---- users ----

    /// A current user (not in the recycle bin: to SCIM clients that is gone).
    async fn current_user(&self, id: &str) -> ApiResult<User> {
        let uid = parse_user_id(id)?;
        match self.store.user(uid).await? {
            Some(user) if user.deleted_at.is_none() => Ok(user),
            _ => Err(ApiError::not_found("User", id)),
        }
    }

    /// The user's SCIM resource with `meta.location` and, when `with_groups`, its direct
    /// groups.
    pub fn render_user(&self, user: &User, groups: &[(GroupId, String)]) -> Rendered {
        let id = user.id.to_string();
        let location = self.location(Kind::User, &id);
        let mut body = user.to_scim();
        body["meta"]["location"] = json!(location);
        if !groups.is_empty() {
            body["groups"] = groups
                .iter()
                .map(|(gid, name)| {
                    json!({
                        "value": gid.to_string(),
                        "display": name,
                        "$ref": self.location(Kind::Group, &gid.to_string()),
                        "type": "direct",
                    })
                })
                .collect();
        }
        Rendered {
            body,
            version: user.version,
            location,
        }
    }

    async fn render_user_with_groups(&self, user: &User) -> ApiResult<Rendered> {
        let groups: Vec<(GroupId, String)> = self
            .store
            .groups_of(&[user.id.to_string()])
            .await?
            .into_iter()
            .map(|(_, gid, name)| (gid, name))
            .collect();
        Ok(self.render_user(user, &groups))
    }

    pub async fn get_user(&self, id: &str) -> ApiResult<Rendered> {
        let user = self.current_user(id).await?;
        self.render_user_with_groups(&user).await
    }

    pub async fn create_user(&self, body: Value) -> ApiResult<Rendered> {
        let resource = self.schemas.validate(Kind::User, body)?;
        let user = self.store.create_user(resource).await?;
        Ok(self.render_user(&user, &[]))
    }

    pub async fn replace_user(
        &self,
        id: &str,
        body: Value,
        precondition: Option<&Precondition>,
    ) -> ApiResult<Rendered> {
        let before = self.current_user(id).await?;
        let expected = precondition.map(|p| p.expect(before.version)).transpose()?;
        let resource = self.schemas.validate(Kind::User, body)?;
        let user = self
            .store
            .replace_user(before.id, resource, expected)
            .await?;
        self.render_user_with_groups(&user).await
    }

    pub async fn patch_user(
        &self,
        id: &str,
        body: Value,
        precondition: Option<&Precondition>,
    ) -> ApiResult<Rendered> {
        let patch = patch_request(body, self)?;
        let mut attempt = 0;
        loop {
            let before = self.current_user(id).await?;
            if let Some(p) = precondition {
                p.expect(before.version)?;
            }
            let mut resource = before.to_scim();
            patch
                .apply(&mut resource, &*self.schemas.characteristics())
                .map_err(|e| ApiError(ScimError::from(&e)))?;
            let resource = self.schemas.validate_patched(Kind::User, resource)?;
            match self
                .store
                .replace_user(before.id, resource, Some(before.version))
                .await
            {
                Ok(user) => return self.render_user_with_groups(&user).await,
                Err(StoreError::VersionMismatch { .. })
                    if precondition.is_none() && attempt < RACE_RETRIES =>
                {
                    attempt += 1;
                }
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// Moves the user to the recycle bin: gone for SCIM clients, restorable by an admin
    /// until the retention period ends.
    pub async fn delete_user(
        &self,
        id: &str,
        precondition: Option<&Precondition>,
    ) -> ApiResult<()> {
        let user = self.current_user(id).await?;
        if let Some(p) = precondition {
            p.expect(user.version)?;
        }
        self.store.soft_delete_user(user.id).await?;
        Ok(())
    }

    // ---- groups ----

    async fn existing_group(&self, id: &str) -> ApiResult<Group> {
        let gid = parse_group_id(id)?;
        self.store
            .group(gid)
            .await?
            .ok_or_else(|| ApiError::not_found("Group", id))
    }

    /// The group's resource with `meta.location` and, when `with_members`, its members.
    pub async fn render_group(&self, group: &Group, with_members: bool) -> ApiResult<Rendered> {
        let id = group.id.to_string();
        let location = self.location(Kind::Group, &id);
        let mut body = group.to_scim();
        body["meta"]["location"] = json!(location);
        if with_members {
            let members = self.store.member_details(group.id).await?;
            if !members.is_empty() {
                body["members"] = members
                    .iter()
                    .map(|m| {
                        let kind = match m.member_type {
                            MemberType::User => Kind::User,
                            MemberType::Group => Kind::Group,
                        };
                        json!({
                            "value": m.id,
                            "display": m.display,
                            "type": m.member_type.scim_name(),
                            "$ref": self.location(kind, &m.id),
                        })
                    })
                    .collect();
            }
        }
        Ok(Rendered {
            body,
            version: group.version,
            location,
        })
    }

    pub async fn get_group(&self, id: &str, with_members: bool) -> ApiResult<Rendered> {
        let group = self.existing_group(id).await?;
        self.render_group(&group, with_members).await
    }

    /// The members a resource names, checked to exist. A `type` given by the client must
    /// agree with what the id is.
    async fn members_of(&self, resource: &Value) -> ApiResult<Vec<Member>> {
        let Some(list) = resource.get("members").and_then(Value::as_array) else {
            return Ok(Vec::new());
        };
        let mut ids = Vec::with_capacity(list.len());
        for (i, m) in list.iter().enumerate() {
            match m.get("value").and_then(Value::as_str) {
                Some(v) if !v.trim().is_empty() => ids.push(v.trim().to_string()),
                _ => {
                    return Err(ApiError::bad_request(
                        ScimType::InvalidValue,
                        format!("members[{i}].value is required: the id of a user or group"),
                    ))
                }
            }
        }
        let members = self
            .store
            .resolve_members(&ids)
            .await
            .map_err(|e| match e {
                StoreError::NotFound { id, .. } => ApiError::bad_request(
                    ScimType::InvalidValue,
                    format!("members: no user or group has the id {id:?}"),
                ),
                other => other.into(),
            })?;
        for (i, (m, given)) in members.iter().zip(list).enumerate() {
            if let Some(t) = given.get("type").and_then(Value::as_str) {
                if !t.eq_ignore_ascii_case(m.member_type.scim_name()) {
                    return Err(ApiError::bad_request(
                        ScimType::InvalidValue,
                        format!(
                            "members[{i}].type is {t:?} but {} is a {}",
                            m.id,
                            m.member_type.scim_name()
                        ),
                    ));
                }
            }
        }
        Ok(members)
    }

    pub async fn create_group(&self, body: Value) -> ApiResult<Rendered> {
        let resource = self.schemas.validate(Kind::Group, body)?;
        let members = self.members_of(&resource).await?;
        let group = self.store.create_group(resource, members).await?;
        self.render_group(&group, true).await
    }

    pub async fn replace_group(
        &self,
        id: &str,
        body: Value,
        precondition: Option<&Precondition>,
    ) -> ApiResult<Rendered> {
        let before = self.existing_group(id).await?;
        let expected = precondition.map(|p| p.expect(before.version)).transpose()?;
        let resource = self.schemas.validate(Kind::Group, body)?;
        let members = self.members_of(&resource).await?;
        let group = self
            .store
            .replace_group(before.id, resource, Some(members), expected)
            .await?;
        self.render_group(&group, true).await
    }

    pub async fn patch_group(
        &self,
        id: &str,
        body: Value,
        precondition: Option<&Precondition>,
    ) -> ApiResult<Rendered> {
        let patch = patch_request(body, self)?;
        if let Some(delta) = member_delta(&patch) {
            return self.patch_members(id, delta, precondition).await;
        }
        let mut attempt = 0;
        loop {
            let before = self.existing_group(id).await?;
            if let Some(p) = precondition {
                p.expect(before.version)?;
            }
            let mut resource = self.render_group(&before, true).await?.body;
            patch
                .apply(&mut resource, &*self.schemas.characteristics())
                .map_err(|e| ApiError(ScimError::from(&e)))?;
            let resource = self.schemas.validate_patched(Kind::Group, resource)?;
            let members = self.members_of(&resource).await?;
            match self
                .store
                .replace_group(before.id, resource, Some(members), Some(before.version))
                .await
            {
                Ok(group) => return self.render_group(&group, true).await,
                Err(StoreError::VersionMismatch { .. })
                    if precondition.is_none() && attempt < RACE_RETRIES =>
                {
                    attempt += 1;
                }
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// A PATCH that only adds and removes members, applied to the membership rows without
    /// reading the others. Answered without a body (`204`, RFC 7644 §3.5.2 allows it):
    /// rendering a group of many thousands of members back would cost what the fast path saves.
    async fn patch_members(
        &self,
        id: &str,
        delta: MemberDelta,
        precondition: Option<&Precondition>,
    ) -> ApiResult<Rendered> {
        let group = self.existing_group(id).await?;
        let expected = precondition.map(|p| p.expect(group.version)).transpose()?;
        let add = self.members_of(&json!({ "members": delta.add })).await?;
        let group = self
            .store
            .change_members(group.id, add, delta.remove, expected)
            .await
            .map_err(|e| match e {
                StoreError::NotFound { what, id } if what != "group" => ApiError::bad_request(
                    ScimType::InvalidValue,
                    format!("members: no {what} has the id {id:?}"),
                ),
                other => other.into(),
            })?;
        Ok(Rendered {
            body: Value::Null,
            version: group.version,
            location: self.location(Kind::Group, &group.id.to_string()),
        })
    }

    pub async fn delete_group(
        &self,
        id: &str,
        precondition: Option<&Precondition>,
    ) -> ApiResult<()> {
        let group = self.existing_group(id).await?;
        if let Some(p) = precondition {
            p.expect(group.version)?;
        }
        self.store.delete_group(group.id).await?;
        Ok(())
    }
}

/// The net membership change of a PATCH that does nothing else.
#[derive(Debug, Default, PartialEq)]
struct MemberDelta {
    /// Member objects to add (`value`, optionally `type`).
    add: Vec<Value>,
    /// Ids to remove.
    remove: Vec<String>,
}

/// The members a PATCH adds and removes, when that is all it does: `add` on `members` with a
/// value or list, `remove` of `members[value eq "id"]`, or the legacy `remove` of `members`
/// with a value list (a `remove` of `members` without a value empties the group and takes the
/// general path). Later operations win over earlier ones for the same id, as applying them in
/// order would.
fn member_delta(patch: &PatchOp) -> Option<MemberDelta> {
    use std::collections::BTreeMap;
    use steward_scim::{CompValue, CompareOp, Filter, PatchOpKind, PatchPath};
    let is_members = |p: &steward_scim::AttrPath| {
        p.sub_attr.is_none()
            && p.name.eq_ignore_ascii_case("members")
            && p.urn
                .as_deref()
                .is_none_or(|u| u.eq_ignore_ascii_case(steward_scim::urn::GROUP))
    };
    let id_of = |item: &Value| {
        item.get("value")
            .and_then(Value::as_str)
            .map(|v| v.trim().to_lowercase())
            .filter(|v| !v.is_empty())
    };
    // id -> Some(member object) to add, None to remove; in the order first seen.
    let mut net: BTreeMap<String, (usize, Option<Value>)> = BTreeMap::new();
    let mut order = 0;
    let mut set = |id: String, item: Option<Value>| {
        order += 1;
        net.insert(id, (order, item));
    };
    for op in &patch.operations {
        let path = op.parsed_path().ok()??;
        match (op.op, &path) {
            (PatchOpKind::Add, PatchPath::Attribute(p)) if is_members(p) => {
                let items = match op.value.as_ref()? {
                    Value::Array(items) => items.clone(),
                    one @ Value::Object(_) => vec![one.clone()],
                    _ => return None,
                };
                for item in items {
                    set(id_of(&item)?, Some(item));
                }
            }
            (
                PatchOpKind::Remove,
                PatchPath::ValuePath {
                    path,
                    filter:
                        Filter::Compare {
                            path: by,
                            op: CompareOp::Eq,
                            value: CompValue::String(id),
                        },
                    sub_attr: None,
                },
            ) if is_members(path)
                && by.urn.is_none()
                && by.sub_attr.is_none()
                && by.name.eq_ignore_ascii_case("value") =>
            {
                set(id.trim().to_lowercase(), None);
            }
            (PatchOpKind::Remove, PatchPath::Attribute(p)) if is_members(p) => {
                let Value::Array(items) = op.value.as_ref()? else {
                    return None;
                };
                for item in items {
                    set(id_of(item)?, None);
                }
            }
            _ => return None,
        }
    }
    let mut entries: Vec<(String, (usize, Option<Value>))> = net.into_iter().collect();
    entries.sort_by_key(|(_, (order, _))| *order);
    let mut delta = MemberDelta::default();
    for (id, (_, item)) in entries {
        match item {
            Some(item) => delta.add.push(item),
            None => delta.remove.push(id),
        }
    }
    Some(delta)
}

#[cfg(test)]
mod tests {
    use super::{member_delta, PatchOp, Precondition};

    #[test]
    fn member_only_patches_take_the_fast_path() {
        let patch = |ops: serde_json::Value| -> PatchOp {
            serde_json::from_value(serde_json::json!({ "Operations": ops })).unwrap()
        };
        let delta = member_delta(&patch(serde_json::json!([
            {"op": "add", "path": "members", "value": [{"value": "A"}, {"value": "b", "type": "User"}]},
            {"op": "remove", "path": "members[value eq \"a\"]"},
            {"op": "Remove", "path": "members", "value": [{"value": "c"}]},
            {"op": "add", "path": "members", "value": {"value": "c"}}
        ])))
        .unwrap();
        assert_eq!(
            delta.add,
            [
                serde_json::json!({"value": "b", "type": "User"}),
                serde_json::json!({"value": "c"})
            ]
        );
        assert_eq!(delta.remove, ["a"]);
        for other in [
            serde_json::json!([{"op": "remove", "path": "members"}]),
            serde_json::json!([{"op": "replace", "path": "members", "value": []}]),
            serde_json::json!([{"op": "add", "path": "members", "value": [{"value": "a"}]},
                               {"op": "replace", "path": "displayName", "value": "x"}]),
            serde_json::json!([{"op": "remove", "path": "members[display eq \"a\"]"}]),
        ] {
            assert_eq!(member_delta(&patch(other.clone())), None, "{other}");
        }
    }

    #[test]
    fn preconditions_read_weak_and_strong_etags() {
        assert!(Precondition::parse("*").matches(9));
        assert!(Precondition::parse("W/\"3\"").matches(3));
        assert!(Precondition::parse("\"3\"").matches(3));
        assert!(Precondition::parse("W/\"2\", W/\"3\"").matches(3));
        assert!(!Precondition::parse("W/\"2\"").matches(3));
        assert!(!Precondition::parse("").matches(3));
    }
}
