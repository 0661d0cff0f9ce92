//! The schemas the endpoint serves and validates against: the tenant's
//! [`DirectorySchemas`] (standard User, Group and enterprise User, plus Steward's extensions
//! of admin-defined attributes), read as a snapshot per use so a change an admin makes
//! applies from the next request.

use super::error::{ApiError, ApiResult};
use serde_json::Value;
use std::sync::Arc;
use steward_app::server::schemas::DirectorySchemas;
use steward_scim::{ResourceKind, SchemaRegistry, ScimError};

pub type Kind = ResourceKind;

pub struct Schemas {
    directory: DirectorySchemas,
}

impl Schemas {
    pub fn new(directory: DirectorySchemas) -> Self {
        Schemas { directory }
    }

    /// What filters, PATCH and projection know of each attribute (a concrete type, so
    /// futures holding it stay `Send`).
    pub fn characteristics(&self) -> Arc<SchemaRegistry> {
        self.directory.registry()
    }

    /// A POST or PUT body, checked and cleaned (readOnly attributes dropped, names in their
    /// canonical case).
    pub fn validate(&self, kind: Kind, value: Value) -> ApiResult<Value> {
        self.directory
            .registry()
            .validate(kind, &value)
            .map_err(|e| ApiError(ScimError::from(&e)))
    }

    /// The result of applying a PATCH to a stored resource.
    pub fn validate_patched(&self, kind: Kind, value: Value) -> ApiResult<Value> {
        self.directory
            .registry()
            .validate_patched(kind, &value)
            .map_err(|e| ApiError(ScimError::from(&e)))
    }

    pub fn schema_documents(&self, base: &str) -> Vec<Value> {
        self.directory
            .registry()
            .schemas()
            .map(|s| s.to_json(base))
            .collect()
    }

    pub fn resource_types(&self, base: &str) -> Vec<Value> {
        self.directory
            .registry()
            .resource_types()
            .iter()
            .map(|r| r.to_json(base))
            .collect()
    }
}
