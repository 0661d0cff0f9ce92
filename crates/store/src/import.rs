//! Bulk reads and writes for CSV import and export: many users in few round trips and
//! few transactions, each row still succeeding or failing on its own, each write still in
//! the change feed.

use crate::{StoreResult, User, UserId};
use async_trait::async_trait;
use serde_json::Value;

/// One write of a bulk import.
#[derive(Clone, Debug, PartialEq)]
pub enum UserWrite {
    Create(Value),
    /// Replace the resource of a user read at `version` (refused if it changed since).
    Replace {
        id: UserId,
        resource: Value,
        version: i64,
    },
}

#[async_trait]
pub trait DirectoryImport: Send + Sync {
    /// The users (recycle bin included) with these userNames, ignoring case.
    async fn users_by_user_name(&self, names: &[String]) -> StoreResult<Vec<User>>;
    /// The users with these ids, in no particular order; unknown ids are skipped.
    async fn users_by_id(&self, ids: &[UserId]) -> StoreResult<Vec<User>>;
    /// Applies the writes in one transaction. Each write succeeds or fails on its own (a
    /// conflict fails that row only); the result has one entry per write, in order.
    async fn write_users(&self, writes: Vec<UserWrite>) -> StoreResult<Vec<StoreResult<UserId>>>;
}
