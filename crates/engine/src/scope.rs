//! Who is assigned to an application: read once per cycle, then asked per object.

use std::collections::HashSet;

use steward_store::{MemberType, Store, StoreError};

/// The application's assignments: users directly, and groups (whose direct members are
/// assigned through them).
#[derive(Debug, Clone, Default)]
pub struct Assignments {
    users: HashSet<String>,
    groups: HashSet<String>,
}

impl Assignments {
    pub async fn load(store: &dyn Store, application: &str) -> Result<Assignments, StoreError> {
        let mut out = Assignments::default();
        for a in store.assigned_principals(application).await? {
            match a.member_type {
                MemberType::User => out.users.insert(a.id),
                MemberType::Group => out.groups.insert(a.id),
            };
        }
        Ok(out)
    }

    /// Whether a user with these direct groups is assigned, directly or through one of them.
    pub fn user_assigned(&self, user_id: &str, direct_groups: &[String]) -> bool {
        self.users.contains(user_id) || direct_groups.iter().any(|g| self.groups.contains(g))
    }

    pub fn group_assigned(&self, group_id: &str) -> bool {
        self.groups.contains(group_id)
    }

    /// The assigned groups.
    pub fn groups(&self) -> impl Iterator<Item = &String> {
        self.groups.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn users_are_assigned_directly_or_through_a_direct_group() {
        let a = Assignments {
            users: ["u1".to_string()].into(),
            groups: ["g1".to_string()].into(),
        };
        assert!(a.user_assigned("u1", &[]));
        assert!(a.user_assigned("u2", &["g2".into(), "g1".into()]));
        assert!(!a.user_assigned("u2", &["g2".into()]));
        assert!(a.group_assigned("g1"));
        assert!(!a.group_assigned("g2"));
    }
}
