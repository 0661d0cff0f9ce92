//! The target's objects read once, for matching. When a full cycle meets a target that holds
//! objects of a type none of which is linked yet (Steward adopting an application that
//! already has accounts, or a restart that forgot the links), reading them in pages of
//! [`LIST_PAGE`] costs T / 100 requests instead of one lookup per directory object. Kept per
//! object: its id, the matching attributes' values, and a hash of what it holds at each
//! mapped path (the baseline of its first update); only up to [`MAX_LISTED`] objects; past
//! that, objects are looked up one by one as before.
//!
//! The index is a snapshot: an object created in the target after it was read is not in it.
//! Creating the same object again then meets the target's uniqueness conflict, and the retry
//! looks it up, so an object that exists is still never created twice.

use std::collections::HashMap;

use std::collections::BTreeMap;

use serde_json::Value;
use steward_store::ObjectType;
use steward_sync::{target_value, Fingerprint};

/// Objects per listing request.
pub const LIST_PAGE: u32 = 100;
/// The most objects the index reads (about 100 bytes each per matching attribute).
pub const MAX_LISTED: u64 = 200_000;

/// The ids of a target's objects by the values of the matching attributes.
#[derive(Debug, Default)]
pub struct TargetIndex {
    pub object_type: Option<ObjectType>,
    /// Matching attribute (target path) → lowercase value → target ids.
    by_path: HashMap<String, HashMap<String, Vec<String>>>,
    /// The mapped target paths (values unused), in order.
    mapped: BTreeMap<String, Value>,
    /// Target id → the hash of what the object holds at each mapped path, in `mapped`'s order.
    held: HashMap<String, Box<[Option<u64>]>>,
    /// Objects read.
    pub objects: u64,
}

impl TargetIndex {
    /// An empty index by the matching attributes `paths`, keeping what each object holds at
    /// the `mapped` paths; `None` without a matching attribute.
    pub fn new(object_type: ObjectType, paths: &[&str], mapped: &[&str]) -> Option<TargetIndex> {
        if paths.is_empty() {
            return None;
        }
        Some(TargetIndex {
            object_type: Some(object_type),
            by_path: paths
                .iter()
                .map(|p| (p.to_string(), HashMap::new()))
                .collect(),
            mapped: mapped
                .iter()
                .map(|p| (p.to_string(), Value::Null))
                .collect(),
            held: HashMap::new(),
            objects: 0,
        })
    }

    /// Adds one listed object.
    pub fn add(&mut self, resource: &Value) {
        let Some(id) = resource.get("id").and_then(Value::as_str) else {
            return;
        };
        self.objects += 1;
        for (path, values) in &mut self.by_path {
            if let Some(key) = target_value(resource, path).as_ref().and_then(key_of) {
                values.entry(key).or_default().push(id.to_string());
            }
        }
        let held = Fingerprint::of_target(resource, &self.mapped);
        self.held.insert(
            id.to_string(),
            self.mapped.keys().map(|p| held.0.get(p).copied()).collect(),
        );
    }

    /// What the object `id` held at the mapped paths when it was read, as the baseline of its
    /// first update.
    pub fn held(&self, id: &str) -> Fingerprint {
        let Some(hashes) = self.held.get(id) else {
            return Fingerprint::default();
        };
        Fingerprint(
            self.mapped
                .keys()
                .zip(hashes.iter())
                .filter_map(|(p, h)| Some((p.clone(), (*h)?)))
                .collect(),
        )
    }

    /// The ids of the objects whose `path` has `value` (SCIM's `eq`, ignoring case as the
    /// usual matching attributes do); `None` when `path` is not indexed.
    pub fn find(&self, path: &str, value: &str) -> Option<&[String]> {
        let values = self.by_path.get(path)?;
        Some(
            values
                .get(&value.to_lowercase())
                .map(Vec::as_slice)
                .unwrap_or(&[]),
        )
    }
}

fn key_of(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.to_lowercase()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_matching_attribute_through_a_value_filter_is_indexed() {
        let work = r#"emails[type eq "work"].value"#;
        let mut index = TargetIndex::new(ObjectType::User, &[work], &[work]).unwrap();
        index.add(&json!({"id": "t1", "emails": [
            {"type": "home", "value": "ada@home.example.com"},
            {"type": "work", "value": "Ada@Example.com"},
        ]}));
        assert_eq!(index.find(work, "ada@example.com").unwrap(), ["t1"]);
        assert!(index.find(work, "ada@home.example.com").unwrap().is_empty());
    }

    #[test]
    fn the_index_finds_ids_by_value_ignoring_case() {
        assert!(TargetIndex::new(ObjectType::User, &[], &[]).is_none());
        let mut index = TargetIndex::new(
            ObjectType::User,
            &["userName", "externalId"],
            &["userName", "displayName", "emails[type eq \"work\"].value"],
        )
        .unwrap();
        index.add(&json!({"id": "t1", "userName": "ada@example.com", "externalId": "E1"}));
        index.add(&json!({"id": "t2", "userName": "grace@example.com", "emails": [{"type": "work", "value": "g@example.com"}]}));
        index.add(&json!({"id": "t3", "userName": "GRACE@example.com"}));
        index.add(&json!({"userName": "no-id@example.com"}));
        assert_eq!(index.objects, 3);
        assert_eq!(index.find("userName", "Ada@Example.com").unwrap(), ["t1"]);
        assert_eq!(
            index.find("userName", "grace@example.com").unwrap(),
            ["t2", "t3"]
        );
        assert!(index
            .find("userName", "bob@example.com")
            .unwrap()
            .is_empty());
        assert_eq!(index.find("externalId", "e1").unwrap(), ["t1"]);
        assert!(index.find("displayName", "x").is_none());
        // What t2 holds, as a baseline: userName and the work email, no displayName.
        let held = index.held("t2");
        assert_eq!(
            held.0.keys().collect::<Vec<_>>(),
            ["emails[type eq \"work\"].value", "userName"]
        );
        let wanted: BTreeMap<String, Value> = [
            ("userName".to_string(), json!("grace@example.com")),
            ("displayName".to_string(), json!("Grace")),
            (
                "emails[type eq \"work\"].value".to_string(),
                json!("g@example.com"),
            ),
        ]
        .into_iter()
        .collect();
        let ops = held.patch(&wanted, &[]);
        assert_eq!(ops.len(), 1, "{ops:?}");
        assert_eq!(ops[0].path.as_deref(), Some("displayName"));
    }
}
