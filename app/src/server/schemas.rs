//! The directory's schemas as this tenant has them: the standard SCIM User, Group and
//! enterprise User, plus Steward's extensions built from the admin-defined attributes. One
//! copy, shared by the SCIM endpoint, the portal's forms and CSV; rebuilt whenever an admin
//! adds or removes an attribute, and read as a cheap snapshot by each request.

use std::sync::{Arc, RwLock};
use steward_scim::{AttributeType, ResourceKind, Schema, SchemaAttribute, SchemaRegistry};
use steward_store::{
    CustomAttribute, CustomKind, ObjectType, Store, StoreResult, STEWARD_GROUP_EXTENSION,
    STEWARD_USER_EXTENSION,
};

#[derive(Clone)]
struct Snapshot {
    registry: Arc<SchemaRegistry>,
    custom: Arc<Vec<CustomAttribute>>,
}

/// The current schemas; cheap to clone and share.
#[derive(Clone)]
pub struct DirectorySchemas(Arc<RwLock<Snapshot>>);

impl Default for DirectorySchemas {
    fn default() -> Self {
        DirectorySchemas(Arc::new(RwLock::new(Snapshot {
            registry: Arc::new(build(&[])),
            custom: Arc::default(),
        })))
    }
}

fn scim_type(kind: CustomKind) -> AttributeType {
    match kind {
        CustomKind::String => AttributeType::String,
        CustomKind::Boolean => AttributeType::Boolean,
        CustomKind::Integer => AttributeType::Integer,
        CustomKind::DateTime => AttributeType::DateTime,
        CustomKind::Reference => AttributeType::Reference,
    }
}

/// The registry for these custom attributes. A Steward extension is offered only when it has
/// attributes: an empty schema would only confuse clients (removing the last attribute also
/// takes the extension out of every resource's `schemas`).
pub fn build(custom: &[CustomAttribute]) -> SchemaRegistry {
    let mut registry = SchemaRegistry::standard();
    for (object_type, kind, id, name) in [
        (
            ObjectType::User,
            ResourceKind::User,
            STEWARD_USER_EXTENSION,
            "StewardUser",
        ),
        (
            ObjectType::Group,
            ResourceKind::Group,
            STEWARD_GROUP_EXTENSION,
            "StewardGroup",
        ),
    ] {
        let attributes: Vec<SchemaAttribute> = custom
            .iter()
            .filter(|a| a.object_type == object_type)
            .map(|a| {
                let mut attribute =
                    SchemaAttribute::simple(&a.name, scim_type(a.kind), a.multi_valued);
                attribute.description = a.description.clone();
                attribute
            })
            .collect();
        if attributes.is_empty() {
            continue;
        }
        let schema = Schema::new(
            id,
            name,
            "Attributes defined by this tenant's administrators",
            attributes,
        );
        if let Err(e) = registry.add_extension(kind, schema, false) {
            // Names are checked when attributes are defined; this would be a stored name
            // that predates a stricter check.
            tracing::error!(error = %e, "a custom attribute cannot be offered over SCIM");
        }
    }
    registry
}

impl DirectorySchemas {
    pub fn registry(&self) -> Arc<SchemaRegistry> {
        self.0
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .registry
            .clone()
    }

    /// The admin-defined attributes, users' first, by name.
    pub fn custom(&self) -> Arc<Vec<CustomAttribute>> {
        self.0
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .custom
            .clone()
    }

    /// Reads the definitions from the store and swaps in the new schemas.
    pub async fn reload(&self, store: &dyn Store) -> StoreResult<()> {
        let custom = store.custom_attributes().await?;
        let snapshot = Snapshot {
            registry: Arc::new(build(&custom)),
            custom: Arc::new(custom),
        };
        *self.0.write().unwrap_or_else(|p| p.into_inner()) = snapshot;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn custom_attributes_become_a_scim_extension() {
        let custom = vec![CustomAttribute {
            object_type: ObjectType::User,
            name: "badgeColour".into(),
            kind: CustomKind::String,
            multi_valued: false,
            description: "Lanyard colour".into(),
            created_at: chrono::Utc::now(),
        }];
        let registry = build(&custom);
        let ok = registry.validate(
            ResourceKind::User,
            &json!({"userName": "ada", STEWARD_USER_EXTENSION: {"BADGECOLOUR": "red"}}),
        );
        assert_eq!(
            ok.unwrap()[STEWARD_USER_EXTENSION],
            json!({"badgeColour": "red"})
        );
        let unknown = registry.validate(
            ResourceKind::User,
            &json!({"userName": "ada", STEWARD_USER_EXTENSION: {"shoeSize": 40}}),
        );
        assert!(unknown.is_err());
        // No group attribute: no group extension offered.
        assert!(registry.schema(STEWARD_GROUP_EXTENSION).is_none());
    }
}
