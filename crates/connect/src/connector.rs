//! The one interface the provisioning engine talks to a target through, whatever its API.
//! Resources travel as SCIM-shaped JSON (what `steward_sync::resource` builds); a connector for
//! an API that is not SCIM (xMatters) translates both ways.

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use steward_scim::PatchOperation;

use crate::schema::TargetObject;
use crate::OpError;

/// What a target can do, learned from it (SCIM `/ServiceProviderConfig`) or known from its
/// API, possibly overridden per application.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Capabilities {
    /// Updates as PATCH with only what changed; otherwise PUT of the whole resource.
    pub patch: bool,
    /// Filtered GETs (`filter=attr eq "v"`) answer matching lookups.
    pub filter: bool,
    /// Bulk requests, with the most operations one may carry.
    pub bulk_max_operations: Option<u32>,
    /// The most resources one list page returns.
    pub max_results: Option<u32>,
    /// Groups can be provisioned.
    pub groups: bool,
}

impl Default for Capabilities {
    /// What RFC 7644 targets are assumed to do until asked: PATCH and filters, no Bulk.
    fn default() -> Self {
        Capabilities {
            patch: true,
            filter: true,
            bulk_max_operations: None,
            max_results: None,
            groups: true,
        }
    }
}

/// One page of a target's objects.
#[derive(Debug, Clone, PartialEq)]
pub struct ListPage {
    pub resources: Vec<Value>,
    /// How many there are in all, when the target says.
    pub total: Option<u64>,
}

/// A target application, as the engine sees it.
#[async_trait]
pub trait Connector: Send + Sync {
    /// What the target supports (as last discovered or configured).
    fn capabilities(&self) -> Capabilities;

    /// Asks the target what it supports (SCIM: `/ServiceProviderConfig`), keeps it for
    /// [`Connector::capabilities`] and returns it. Connectors whose target always supports
    /// the same return what they know.
    async fn discover(&self) -> Result<Capabilities, OpError> {
        Ok(self.capabilities())
    }

    /// Checks the address and the credentials with a request that changes nothing (SCIM: a
    /// lookup by the `matching` attribute that finds nothing): what was asked and how long it
    /// took, or the step that failed and what to do (what Test Connection shows).
    async fn test_connection(&self, matching: &str) -> Result<crate::Success, crate::Failure>;

    /// The attributes the target offers for mapping (SCIM: `/Schemas`), or `None` for a
    /// target whose attributes are fixed (the gallery entry's).
    async fn discover_schema(&self) -> Result<Option<crate::TargetSchema>, crate::Failure> {
        Ok(None)
    }

    /// The objects whose `attribute` (a SCIM path such as `userName` or
    /// `emails[type eq "work"].value`) equals `value`; more than one is the caller's ambiguity.
    async fn find(
        &self,
        object: TargetObject,
        attribute: &str,
        value: &str,
    ) -> Result<Vec<Value>, OpError>;

    /// Objects `start_index` (1-based, as SCIM counts) onwards, at most `count`: for an
    /// initial cycle that reads the target once instead of one lookup per object.
    async fn list(
        &self,
        object: TargetObject,
        start_index: u64,
        count: u32,
    ) -> Result<ListPage, OpError>;

    /// Creates the object; the target's answer, with its `id`.
    async fn create(&self, object: TargetObject, resource: &Value) -> Result<Value, OpError>;

    /// Brings the object up to date: `operations` are the minimal change (for PATCH);
    /// `resource` is the whole object as it should now be (for targets that only replace).
    /// A 404 is a `NotFound` error, never "deleted".
    async fn update(
        &self,
        object: TargetObject,
        id: &str,
        operations: &[PatchOperation],
        resource: &Value,
    ) -> Result<(), OpError>;

    /// Deletes the object: `true` when deleted now, `false` when it was already gone.
    async fn delete(&self, object: TargetObject, id: &str) -> Result<bool, OpError>;

    /// Adds and removes group members (target ids), in as many requests as the target's
    /// limits need.
    async fn change_members(
        &self,
        group_id: &str,
        add: &[String],
        remove: &[String],
    ) -> Result<(), OpError>;
}
