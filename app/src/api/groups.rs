//! Server functions of the groups pages: list, detail with members, create, edit, delete,
//! and the member picker's search.

use crate::error::AppError;
use chrono::{DateTime, Utc};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
use super::{audit, directory_error};
#[cfg(feature = "ssr")]
use crate::server as srv;
#[cfg(feature = "ssr")]
use steward_store::Role;

pub const GROUPS_PAGE_SIZE: u32 = 50;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GroupRow {
    pub id: String,
    pub display_name: String,
    pub description: String,
    pub external_id: Option<String>,
    pub member_count: i64,
    pub updated_at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GroupListPage {
    pub rows: Vec<GroupRow>,
    pub total: i64,
    pub offset: u32,
}

/// Groups by name, searched by name or external id.
#[server(endpoint = "groups")]
pub async fn list_groups(search: Option<String>, page: u32) -> Result<GroupListPage, AppError> {
    srv::require_role(Role::GlobalAdministrator)?;
    let state = srv::portal_state()?;
    let offset = page.saturating_sub(1).saturating_mul(GROUPS_PAGE_SIZE);
    let found = state
        .store
        .list_groups(&steward_store::GroupQuery {
            search,
            descending: false,
            offset,
            limit: GROUPS_PAGE_SIZE,
        })
        .await
        .map_err(srv::internal)?;
    Ok(GroupListPage {
        rows: found
            .items
            .into_iter()
            .map(|g| GroupRow {
                id: g.id.to_string(),
                display_name: g.display_name,
                description: g.description,
                external_id: g.external_id,
                member_count: g.member_count,
                updated_at: g.updated_at,
            })
            .collect(),
        total: found.total,
        offset,
    })
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MemberRow {
    pub id: String,
    /// "User" or "Group".
    pub kind: String,
    pub display: String,
    /// A user's userName; empty for groups.
    pub detail: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GroupDetail {
    pub id: String,
    pub display_name: String,
    pub description: String,
    pub external_id: String,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Members shown on a group's page: the first [`MEMBERS_SHOWN`] by name (of those matching
/// the filter), and how many match in all.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MemberPage {
    pub rows: Vec<MemberRow>,
    pub total: i64,
}

pub const MEMBERS_SHOWN: u32 = 100;

#[cfg(feature = "ssr")]
fn parse_group_id(id: &str) -> Result<steward_store::GroupId, AppError> {
    steward_store::GroupId::parse(id).ok_or_else(|| {
        srv::set_status(404);
        AppError::new(
            crate::error::ErrorCode::NotFound,
            format!("{id:?} is not a group id."),
        )
    })
}

#[cfg(feature = "ssr")]
async fn load_group(state: &srv::PortalState, id: &str) -> Result<steward_store::Group, AppError> {
    let gid = parse_group_id(id)?;
    state
        .store
        .group(gid)
        .await
        .map_err(srv::internal)?
        .ok_or_else(|| {
            directory_error(steward_store::StoreError::NotFound {
                what: "group",
                id: id.to_string(),
            })
        })
}

#[cfg(feature = "ssr")]
fn text_of(resource: &serde_json::Value, key: &str) -> String {
    resource
        .get(key)
        .and_then(|v| v.as_str())
        .unwrap_or_default()
        .to_string()
}

#[server(endpoint = "group")]
pub async fn get_group(id: String) -> Result<GroupDetail, AppError> {
    srv::require_role(Role::GlobalAdministrator)?;
    let state = srv::portal_state()?;
    let group = load_group(&state, &id).await?;
    Ok(GroupDetail {
        id: group.id.to_string(),
        display_name: group.display_name.clone(),
        description: text_of(&group.resource, "description"),
        external_id: text_of(&group.resource, "externalId"),
        version: group.version,
        created_at: group.created_at,
        updated_at: group.updated_at,
    })
}

/// A group's members by name, filtered by name or user name: a page stays small however
/// large the group.
#[server(endpoint = "group_members")]
pub async fn group_members(group: String, filter: String) -> Result<MemberPage, AppError> {
    srv::require_role(Role::GlobalAdministrator)?;
    let state = srv::portal_state()?;
    let target = load_group(&state, &group).await?;
    let page = state
        .store
        .member_page(target.id, Some(filter.as_str()), MEMBERS_SHOWN)
        .await
        .map_err(srv::internal)?;
    Ok(MemberPage {
        rows: page
            .items
            .into_iter()
            .map(|m| MemberRow {
                id: m.id,
                kind: m.member_type.scim_name().to_string(),
                display: m.display,
                detail: m.user_name,
            })
            .collect(),
        total: page.total,
    })
}

/// The create and edit forms of a group (inputs named `form[display_name]` and so on).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct GroupForm {
    pub display_name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub external_id: String,
    /// Custom attributes by name (`form[custom][NAME]`).
    #[serde(default)]
    pub custom: std::collections::BTreeMap<String, String>,
}

#[cfg(feature = "ssr")]
impl GroupForm {
    /// Checks the form and writes its fields into `resource` (keeping what the form does
    /// not show, such as attributes set over SCIM).
    fn apply(
        self,
        state: &srv::PortalState,
        resource: &mut serde_json::Value,
    ) -> Result<String, AppError> {
        use crate::error::field_errors;
        let name = self.display_name.trim().to_string();
        let fields = field_errors([(
            "display_name",
            if name.is_empty() {
                Some("Enter a name for the group.".to_string())
            } else if name.chars().count() > 256 {
                Some("A group name has at most 256 characters.".to_string())
            } else {
                None
            },
        )]);
        let mut fields = fields;
        fields.extend(super::apply_custom_fields(
            state,
            steward_store::ObjectType::Group,
            &self.custom,
            resource,
        ));
        if !fields.is_empty() {
            srv::set_status(422);
            return Err(AppError::invalid(fields));
        }
        if !resource.is_object() {
            *resource = serde_json::json!({});
        }
        resource["displayName"] = serde_json::json!(name);
        for (key, value) in [
            ("description", self.description.trim()),
            ("externalId", self.external_id.trim()),
        ] {
            if let Some(map) = resource.as_object_mut() {
                if value.is_empty() {
                    map.remove(key);
                } else {
                    map.insert(key.into(), serde_json::json!(value));
                }
            }
        }
        Ok(name)
    }
}

/// A store conflict on the group name or externalId as a message next to that field.
#[cfg(feature = "ssr")]
fn group_conflict(e: steward_store::StoreError) -> AppError {
    super::users_edit::conflict_next_to(e, "display_name")
}

#[server(endpoint = "group_create")]
pub async fn create_group(form: GroupForm) -> Result<(), AppError> {
    let session = srv::require_role(Role::GlobalAdministrator)?;
    let state = srv::portal_state()?;
    let mut resource = serde_json::json!({ "schemas": [steward_store::GROUP_SCHEMA] });
    let name = form.apply(&state, &mut resource)?;
    let group = state
        .store
        .create_group(resource, Vec::new())
        .await
        .map_err(group_conflict)?;
    audit(
        &state,
        &session.admin.email,
        "group.create",
        Some(&name),
        steward_store::Outcome::Success,
        None,
    )
    .await;
    leptos_axum::redirect(&format!("/groups/{}", group.id));
    Ok(())
}

/// Saves the edit form; `version` is the one the admin saw, so a change made meanwhile by
/// someone else is not overwritten.
#[server(endpoint = "group_update")]
pub async fn update_group(id: String, version: i64, form: GroupForm) -> Result<(), AppError> {
    let session = srv::require_role(Role::GlobalAdministrator)?;
    let state = srv::portal_state()?;
    let group = load_group(&state, &id).await?;
    let mut resource = group.resource.clone();
    let name = form.apply(&state, &mut resource)?;
    state
        .store
        .replace_group(group.id, resource, None, Some(version))
        .await
        .map_err(group_conflict)?;
    audit(
        &state,
        &session.admin.email,
        "group.update",
        Some(&name),
        steward_store::Outcome::Success,
        None,
    )
    .await;
    Ok(())
}

/// Deletes a group for good (its members stay; they only leave it).
#[server(endpoint = "group_delete")]
pub async fn delete_group(id: String) -> Result<(), AppError> {
    let session = srv::require_role(Role::GlobalAdministrator)?;
    let state = srv::portal_state()?;
    let group = load_group(&state, &id).await?;
    state
        .store
        .delete_group(group.id)
        .await
        .map_err(directory_error)?;
    audit(
        &state,
        &session.admin.email,
        "group.delete",
        Some(&group.display_name),
        steward_store::Outcome::Success,
        None,
    )
    .await;
    leptos_axum::redirect("/groups");
    Ok(())
}

/// Adds a user or group to a group (`kind` is "User" or "Group").
#[server(endpoint = "group_member_add")]
pub async fn add_group_member(group: String, member: String, kind: String) -> Result<(), AppError> {
    let session = srv::require_role(Role::GlobalAdministrator)?;
    let state = srv::portal_state()?;
    let target = load_group(&state, &group).await?;
    let member_type = if kind.eq_ignore_ascii_case("group") {
        steward_store::MemberType::Group
    } else {
        steward_store::MemberType::User
    };
    state
        .store
        .add_member(
            target.id,
            steward_store::Member {
                id: member.clone(),
                member_type,
            },
        )
        .await
        .map_err(directory_error)?;
    audit(
        &state,
        &session.admin.email,
        "group.member_add",
        Some(&target.display_name),
        steward_store::Outcome::Success,
        Some(format!("{kind} {member}")),
    )
    .await;
    Ok(())
}

#[server(endpoint = "group_member_remove")]
pub async fn remove_group_member(group: String, member: String) -> Result<(), AppError> {
    let session = srv::require_role(Role::GlobalAdministrator)?;
    let state = srv::portal_state()?;
    let target = load_group(&state, &group).await?;
    state
        .store
        .remove_member(target.id, &member)
        .await
        .map_err(directory_error)?;
    audit(
        &state,
        &session.admin.email,
        "group.member_remove",
        Some(&target.display_name),
        steward_store::Outcome::Success,
        Some(member),
    )
    .await;
    Ok(())
}

/// Up to 8 users and 5 groups whose name, userName or email contains `query`, for pickers.
#[cfg(feature = "ssr")]
pub(crate) async fn directory_candidates(
    state: &srv::PortalState,
    query: &str,
) -> Result<Vec<MemberRow>, AppError> {
    let users = state
        .store
        .list_users(&steward_store::UserQuery {
            search: Some(query.to_string()),
            limit: 8,
            ..Default::default()
        })
        .await
        .map_err(srv::internal)?;
    let groups = state
        .store
        .list_groups(&steward_store::GroupQuery {
            search: Some(query.to_string()),
            limit: 5,
            ..Default::default()
        })
        .await
        .map_err(srv::internal)?;
    let mut out: Vec<MemberRow> = users
        .items
        .into_iter()
        .map(|u| MemberRow {
            id: u.id.to_string(),
            kind: "User".into(),
            display: if u.display_name.is_empty() {
                u.user_name.clone()
            } else {
                u.display_name
            },
            detail: u.user_name,
        })
        .collect();
    out.extend(groups.items.into_iter().map(|g| MemberRow {
        id: g.id.to_string(),
        kind: "Group".into(),
        display: g.display_name,
        detail: format!("{} members", g.member_count),
    }));
    Ok(out)
}

/// Users and groups whose name matches `query`, for the member picker; members already in
/// the group and the group itself are left out.
#[server(endpoint = "group_member_candidates")]
pub async fn member_candidates(group: String, query: String) -> Result<Vec<MemberRow>, AppError> {
    srv::require_role(Role::GlobalAdministrator)?;
    let state = srv::portal_state()?;
    let query = query.trim().to_string();
    if query.is_empty() {
        return Ok(Vec::new());
    }
    let target = load_group(&state, &group).await?;
    let mut out = directory_candidates(&state, &query).await?;
    // Only the candidates are checked for membership, not the whole group.
    let ids: Vec<String> = out.iter().map(|c| c.id.clone()).collect();
    let existing: std::collections::HashSet<String> = state
        .store
        .members_among(target.id, &ids)
        .await
        .map_err(srv::internal)?
        .into_iter()
        .collect();
    out.retain(|c| c.id != group && !existing.contains(&c.id));
    Ok(out)
}
