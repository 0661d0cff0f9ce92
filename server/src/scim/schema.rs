//! The schemas the endpoint serves and validates against: steward-scim's registry of the
//! standard User, Group and enterprise User schemas.

use super::error::{ApiError, ApiResult};
use serde_json::Value;
use steward_scim::{ResourceKind, SchemaRegistry, ScimError};

pub type Kind = ResourceKind;

pub struct Schemas {
    registry: SchemaRegistry,
}

impl Schemas {
    pub fn standard() -> Self {
        Schemas {
            registry: SchemaRegistry::standard(),
        }
    }

    /// What filters, PATCH and projection know of each attribute (a concrete type, so
    /// futures holding it stay `Send`).
    pub fn characteristics(&self) -> &SchemaRegistry {
        &self.registry
    }

    /// A POST or PUT body, checked and cleaned (readOnly attributes dropped, names in their
    /// canonical case).
    pub fn validate(&self, kind: Kind, value: Value) -> ApiResult<Value> {
        self.registry
            .validate(kind, &value)
            .map_err(|e| ApiError(ScimError::from(&e)))
    }

    /// The result of applying a PATCH to a stored resource.
    pub fn validate_patched(&self, kind: Kind, value: Value) -> ApiResult<Value> {
        self.registry
            .validate_patched(kind, &value)
            .map_err(|e| ApiError(ScimError::from(&e)))
    }

    pub fn schema_documents(&self, base: &str) -> Vec<Value> {
        self.registry.schemas().map(|s| s.to_json(base)).collect()
    }

    pub fn resource_types(&self, base: &str) -> Vec<Value> {
        self.registry
            .resource_types()
            .iter()
            .map(|r| r.to_json(base))
            .collect()
    }
}
