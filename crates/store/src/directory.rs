//! The directory's types: users and groups stored as SCIM resources, memberships, and the
//! change feed. The store copies the searched, sorted and unique attributes out of the
//! resource into columns; the resource itself stays the source of truth.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::fmt;
use uuid::Uuid;

macro_rules! id_type {
    ($name:ident) => {
        #[derive(
            Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
        )]
        pub struct $name(pub Uuid);

        impl $name {
            pub fn new() -> Self {
                Self(Uuid::new_v4())
            }

            pub fn parse(s: &str) -> Option<Self> {
                Uuid::parse_str(s).ok().map(Self)
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

id_type!(UserId);
id_type!(GroupId);

pub const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
/// The enterprise User extension (RFC 7643 §4.3): department, manager and so on.
pub const ENTERPRISE_USER_SCHEMA: &str =
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
pub const GROUP_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";

/// A user as stored: the SCIM resource (without `id` and `meta`) and its bookkeeping.
#[derive(Clone, Debug, PartialEq)]
pub struct User {
    pub id: UserId,
    pub resource: Value,
    pub version: i64,
    pub active: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Set while the user is in the recycle bin.
    pub deleted_at: Option<DateTime<Utc>>,
}

impl User {
    /// The full SCIM resource with `id` and `meta` (`location` is the caller's, it knows
    /// the public URL).
    pub fn to_scim(&self) -> Value {
        let mut r = self.resource.clone();
        if let Value::Object(map) = &mut r {
            map.insert("id".into(), json!(self.id.to_string()));
            map.insert(
                "meta".into(),
                json!({
                    "resourceType": "User",
                    "created": self.created_at.to_rfc3339(),
                    "lastModified": self.updated_at.to_rfc3339(),
                    "version": format!("W/\"{}\"", self.version),
                }),
            );
        }
        r
    }
}

/// The columns of a user that lists show, without the whole resource.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UserSummary {
    pub id: UserId,
    pub user_name: String,
    pub display_name: String,
    pub given_name: String,
    pub family_name: String,
    pub email: String,
    pub active: bool,
    pub deleted: bool,
    pub updated_at: DateTime<Utc>,
}

/// What a user list shows: who, in which order, which page.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserQuery {
    /// Matches anywhere in userName, displayName or email, ignoring case.
    pub search: Option<String>,
    pub state: UserState,
    pub sort: UserSort,
    pub descending: bool,
    pub offset: u32,
    pub limit: u32,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum UserState {
    /// Not in the recycle bin (enabled or disabled).
    #[default]
    Current,
    /// In the recycle bin.
    Deleted,
    All,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum UserSort {
    #[default]
    DisplayName,
    UserName,
    FamilyName,
    Email,
    UpdatedAt,
}

impl UserSort {
    pub(crate) fn column(self) -> &'static str {
        match self {
            UserSort::DisplayName => "display_name COLLATE NOCASE",
            UserSort::UserName => "user_name_key",
            UserSort::FamilyName => "family_name COLLATE NOCASE",
            UserSort::Email => "email",
            UserSort::UpdatedAt => "updated_at",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// How many match the query in all.
    pub total: i64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Group {
    pub id: GroupId,
    pub display_name: String,
    /// The SCIM resource without `id`, `meta` and `members` (members live in their own table).
    pub resource: Value,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Group {
    /// The SCIM resource with `id` and `meta`, without members (the caller adds them when
    /// asked for: a group may have a great many).
    pub fn to_scim(&self) -> Value {
        let mut r = self.resource.clone();
        if let Value::Object(map) = &mut r {
            map.insert("id".into(), json!(self.id.to_string()));
            map.insert(
                "meta".into(),
                json!({
                    "resourceType": "Group",
                    "created": self.created_at.to_rfc3339(),
                    "lastModified": self.updated_at.to_rfc3339(),
                    "version": format!("W/\"{}\"", self.version),
                }),
            );
        }
        r
    }
}

/// The columns of a group that lists show.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GroupSummary {
    pub id: GroupId,
    pub display_name: String,
    pub description: String,
    pub external_id: Option<String>,
    /// Direct members, users and groups.
    pub member_count: i64,
    pub updated_at: DateTime<Utc>,
}

/// What a group list shows: searched by displayName, sorted by it, paged.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupQuery {
    pub search: Option<String>,
    pub descending: bool,
    pub offset: u32,
    pub limit: u32,
}

/// A member with what a list shows of it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberDetail {
    pub id: String,
    pub member_type: MemberType,
    /// The user's displayName (else userName), or the group's displayName.
    pub display: String,
    /// The user's userName; empty for groups.
    pub user_name: String,
}

/// An indexed way to find users or groups: what SCIM equality filters and matching use.
/// Names compare as SCIM says (userName, email and displayName ignore case; ids and
/// externalId are exact). Recycle-bin users are never found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Lookup {
    Id(String),
    UserName(String),
    ExternalId(String),
    Email(String),
    DisplayName(String),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum MemberType {
    User,
    Group,
}

impl MemberType {
    pub fn as_str(self) -> &'static str {
        match self {
            MemberType::User => "user",
            MemberType::Group => "group",
        }
    }

    /// The SCIM `members[].type` value.
    pub fn scim_name(self) -> &'static str {
        match self {
            MemberType::User => "User",
            MemberType::Group => "Group",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    pub id: String,
    pub member_type: MemberType,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ObjectType {
    User,
    Group,
}

impl ObjectType {
    /// The value stored in `object_type` columns.
    pub fn as_str(self) -> &'static str {
        match self {
            ObjectType::User => "user",
            ObjectType::Group => "group",
        }
    }

    pub fn parse(s: &str) -> Option<ObjectType> {
        match s {
            "user" => Some(ObjectType::User),
            "group" => Some(ObjectType::Group),
            _ => None,
        }
    }
}

/// What happened to an object. Downstream, `Disabled` and `SoftDeleted` both take a user out
/// of scope but differ in what the target is told, so they stay distinct.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ChangeKind {
    Created,
    Updated,
    Disabled,
    Enabled,
    SoftDeleted,
    Restored,
    HardDeleted,
    MemberAdded,
    MemberRemoved,
    /// The user or group was assigned to an application (detail: application, role).
    Assigned,
    /// The assignment was removed (detail: application).
    Unassigned,
}

impl ChangeKind {
    pub const ALL: [ChangeKind; 11] = [
        ChangeKind::Created,
        ChangeKind::Updated,
        ChangeKind::Disabled,
        ChangeKind::Enabled,
        ChangeKind::SoftDeleted,
        ChangeKind::Restored,
        ChangeKind::HardDeleted,
        ChangeKind::MemberAdded,
        ChangeKind::MemberRemoved,
        ChangeKind::Assigned,
        ChangeKind::Unassigned,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::Created => "created",
            ChangeKind::Updated => "updated",
            ChangeKind::Disabled => "disabled",
            ChangeKind::Enabled => "enabled",
            ChangeKind::SoftDeleted => "soft_deleted",
            ChangeKind::Restored => "restored",
            ChangeKind::HardDeleted => "hard_deleted",
            ChangeKind::MemberAdded => "member_added",
            ChangeKind::MemberRemoved => "member_removed",
            ChangeKind::Assigned => "assigned",
            ChangeKind::Unassigned => "unassigned",
        }
    }

    pub fn parse(s: &str) -> Option<ChangeKind> {
        ChangeKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// One entry of the change feed.
#[derive(Clone, Debug, PartialEq)]
pub struct Change {
    pub seq: i64,
    pub at: DateTime<Utc>,
    pub object_type: ObjectType,
    pub object_id: String,
    pub kind: ChangeKind,
    pub detail: Option<Value>,
}

/// The columns a user resource yields, or why it is not acceptable.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct UserColumns {
    pub user_name: String,
    pub external_id: Option<String>,
    pub display_name: String,
    pub given_name: String,
    pub family_name: String,
    pub email: String,
    pub active: bool,
}

/// Checks a user resource and extracts its columns. `id` and `meta` are the store's and are
/// removed from the resource.
pub(crate) fn user_columns(resource: &mut Value) -> Result<UserColumns, String> {
    let Value::Object(map) = resource else {
        return Err("a user must be a JSON object".into());
    };
    map.remove("id");
    map.remove("meta");
    if !map.contains_key("schemas") {
        map.insert("schemas".into(), json!([USER_SCHEMA]));
    }
    let text = |v: Option<&Value>| {
        v.and_then(Value::as_str)
            .map(str::trim)
            .unwrap_or("")
            .to_string()
    };
    let user_name = text(map.get("userName"));
    if user_name.is_empty() {
        return Err("userName is required".into());
    }
    let name = map.get("name");
    let emails = map.get("emails").and_then(Value::as_array);
    let email = emails
        .and_then(|list| {
            list.iter()
                .find(|e| e.get("primary").and_then(Value::as_bool) == Some(true))
                .or_else(|| list.first())
        })
        .map(|e| text(e.get("value")).to_lowercase())
        .unwrap_or_default();
    let active = match map.get("active") {
        None | Some(Value::Null) => true,
        Some(Value::Bool(b)) => *b,
        Some(other) => return Err(format!("active must be true or false, not {other}")),
    };
    let external_id = Some(text(map.get("externalId"))).filter(|s| !s.is_empty());
    Ok(UserColumns {
        display_name: text(map.get("displayName")),
        given_name: text(name.and_then(|n| n.get("givenName"))),
        family_name: text(name.and_then(|n| n.get("familyName"))),
        user_name,
        external_id,
        email,
        active,
    })
}

/// The id of a user's manager: the enterprise extension's `manager.value`, as the store's
/// `manager_id` column derives it (see `migrations/sqlite/0004_user_manager.sql`).
pub fn manager_id(resource: &Value) -> Option<&str> {
    resource
        .get(ENTERPRISE_USER_SCHEMA)?
        .get("manager")?
        .get("value")?
        .as_str()
        .filter(|id| !id.is_empty())
}

/// The columns a group resource yields. `id`, `meta` and `members` are removed from the
/// resource (members are stored as rows).
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct GroupColumns {
    pub display_name: String,
    pub external_id: Option<String>,
}

pub(crate) fn group_columns(resource: &mut Value) -> Result<GroupColumns, String> {
    let Value::Object(map) = resource else {
        return Err("a group must be a JSON object".into());
    };
    for key in ["id", "meta", "members"] {
        map.remove(key);
    }
    map.entry("schemas")
        .or_insert_with(|| json!([GROUP_SCHEMA]));
    let text = |key: &str| {
        map.get(key)
            .and_then(Value::as_str)
            .map(str::trim)
            .unwrap_or("")
            .to_string()
    };
    let display_name = text("displayName");
    if display_name.is_empty() {
        return Err("displayName is required".into());
    }
    let external_id = Some(text("externalId")).filter(|s| !s.is_empty());
    Ok(GroupColumns {
        display_name,
        external_id,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extracts_columns_from_a_user_resource() {
        let mut r = json!({
            "id": "ignored", "meta": {"version": "x"},
            "userName": " ada@example.com ", "externalId": "E1", "displayName": "Ada Lovelace",
            "name": {"givenName": "Ada", "familyName": "Lovelace"},
            "emails": [{"value": "ADA@home.example", "type": "home"}, {"value": "Ada@Work.example", "primary": true}],
            "active": false
        });
        let c = user_columns(&mut r).unwrap();
        assert_eq!(c.user_name, "ada@example.com");
        assert_eq!(c.external_id.as_deref(), Some("E1"));
        assert_eq!(
            (c.given_name.as_str(), c.family_name.as_str()),
            ("Ada", "Lovelace")
        );
        assert_eq!(c.email, "ada@work.example");
        assert!(!c.active);
        assert!(r.get("id").is_none() && r.get("meta").is_none());
        assert_eq!(r["schemas"], json!([USER_SCHEMA]));
    }

    #[test]
    fn refuses_bad_user_resources() {
        for (r, want) in [
            (json!([]), "JSON object"),
            (json!({}), "userName is required"),
            (json!({"userName": "  "}), "userName is required"),
            (
                json!({"userName": "a", "active": "yes"}),
                "active must be true or false",
            ),
        ] {
            let mut r = r;
            assert!(user_columns(&mut r).unwrap_err().contains(want), "{want}");
        }
    }

    #[test]
    fn reads_the_manager_reference() {
        let with = |manager: Value| json!({ ENTERPRISE_USER_SCHEMA: { "manager": manager } });
        assert_eq!(manager_id(&with(json!({"value": "m1"}))), Some("m1"));
        assert_eq!(manager_id(&with(json!({"value": ""}))), None);
        assert_eq!(manager_id(&with(json!({"displayName": "Boss"}))), None);
        assert_eq!(manager_id(&json!({"userName": "a"})), None);
    }

    #[test]
    fn change_kinds_round_trip() {
        for k in ChangeKind::ALL {
            assert_eq!(ChangeKind::parse(k.as_str()), Some(k));
        }
    }
}
