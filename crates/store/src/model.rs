//! Row types the store reads and writes. These are server-side types; the portal's wire
//! types live in the `app` crate.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;
use uuid::Uuid;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct AdminId(pub Uuid);

impl AdminId {
    pub fn new() -> Self {
        Self(Uuid::new_v4())
    }
}

impl Default for AdminId {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Display for AdminId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// What an admin may do. A closed set that grows as the product does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Role {
    GlobalAdministrator,
}

impl Role {
    pub const ALL: [Role; 1] = [Role::GlobalAdministrator];

    /// The value stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::GlobalAdministrator => "global_administrator",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// A role as a person types it: its stored name or its label, ignoring case and the
    /// spaces around it (`global_administrator`, `Global Administrator`).
    pub fn from_input(s: &str) -> Option<Role> {
        let s = s.trim();
        Role::ALL
            .into_iter()
            .find(|r| r.as_str().eq_ignore_ascii_case(s) || r.label().eq_ignore_ascii_case(s))
    }

    /// The name shown to people.
    pub fn label(self) -> &'static str {
        match self {
            Role::GlobalAdministrator => "Global Administrator",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Admin {
    pub id: AdminId,
    pub email: String,
    pub display_name: String,
    pub roles: Vec<Role>,
    pub created_at: DateTime<Utc>,
    pub last_sign_in_at: Option<DateTime<Utc>>,
}

impl Admin {
    pub fn has_role(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }
}

/// An admin with the password hash, returned only to the sign-in path.
#[derive(Clone)]
pub struct AdminCredentials {
    pub admin: Admin,
    pub password_hash: String,
}

impl fmt::Debug for AdminCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AdminCredentials")
            .field("admin", &self.admin)
            .field("password_hash", &"<redacted>")
            .finish()
    }
}

#[derive(Clone)]
pub struct NewAdmin {
    /// Lower-cased by the store.
    pub email: String,
    pub display_name: String,
    pub password_hash: String,
    pub roles: Vec<Role>,
}

#[derive(Clone, Debug)]
pub struct NewSession {
    pub token_hash: String,
    pub admin_id: AdminId,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionInfo {
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FailureCounts {
    pub for_email: i64,
    pub from_ip: i64,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Outcome {
    #[default]
    Success,
    Failure,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Success => "success",
            Outcome::Failure => "failure",
        }
    }
}

#[derive(Clone, Debug, Default)]
pub struct NewAuditEvent {
    pub at: DateTime<Utc>,
    pub actor: String,
    pub action: String,
    pub target: Option<String>,
    pub outcome: Outcome,
    pub detail: Option<String>,
    pub ip: Option<String>,
    pub operation_id: Option<String>,
    /// The configuration before the change, secrets redacted by the caller.
    pub before: Option<serde_json::Value>,
    /// The configuration after the change, secrets redacted by the caller.
    pub after: Option<serde_json::Value>,
}

/// Which audit events a listing returns; empty parts match everything.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuditFilter {
    /// The actor, exactly (an admin's e-mail, an API token's name).
    pub actor: Option<String>,
    /// Actions starting with this, e.g. `application.` or `application.mappings`.
    pub action: Option<String>,
    /// Targets containing this, ignoring case.
    pub target: Option<String>,
    pub outcome: Option<Outcome>,
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditEvent {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub actor: String,
    pub action: String,
    pub target: Option<String>,
    pub outcome: Outcome,
    pub detail: Option<String>,
    pub ip: Option<String>,
    pub operation_id: Option<String>,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
}

#[cfg(test)]
mod tests {
    use super::Role;

    #[test]
    fn roles_are_read_by_stored_name_or_label() {
        for input in [
            "global_administrator",
            "GLOBAL_ADMINISTRATOR",
            "Global Administrator",
            " global administrator ",
        ] {
            assert_eq!(
                Role::from_input(input),
                Some(Role::GlobalAdministrator),
                "{input}"
            );
        }
        assert_eq!(Role::from_input("admin"), None);
        assert_eq!(Role::from_input(""), None);
        // The stored form is exact.
        assert_eq!(Role::parse("Global Administrator"), None);
    }
}
