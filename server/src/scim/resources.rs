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

#[cfg(test)]
mod tests {
    use super::Precondition;

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
