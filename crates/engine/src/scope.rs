//! Which groups are assigned to an application: read once per cycle (there are few). Whether
//! a user is assigned (directly or through a group) comes from the store with the user, a
//! page at a time, so a cycle never holds every assigned user.

use std::collections::HashSet;

use steward_store::{Store, StoreError};

/// The application's assigned groups.
#[derive(Debug, Clone, Default)]
pub struct Assignments {
    groups: HashSet<String>,
}

impl Assignments {
    pub async fn load(store: &dyn Store, application: &str) -> Result<Assignments, StoreError> {
        Ok(Assignments {
            groups: store
                .assigned_groups(application)
                .await?
                .into_iter()
                .collect(),
        })
    }

    pub fn group_assigned(&self, group_id: &str) -> bool {
        self.groups.contains(group_id)
    }

    /// How many groups are assigned.
    pub fn group_count(&self) -> usize {
        self.groups.len()
    }
}
