//! An application's own attribute mappings: what an admin made of its gallery entry's
//! defaults. Starts as [`AppMappings::defaults`], is edited in the portal or over the API, and
//! is checked with [`AppMappings::validate`] before it is saved, with the same checks as an
//! entry file plus the ones only an edit can break (a required attribute left unmapped, a
//! source whose type cannot fill the target, a scoping filter that does not compile).
//!
//! Stored and exchanged as JSON:
//!
//! ```json
//! {"users": {"enabled": true,
//!            "actions": {"create": true, "update": true, "delete": true},
//!            "attributes": [{"target": "userName", "type": "String", "filterable": true,
//!                            "mapping": "direct", "source": "userPrincipalName", "matching": 1}],
//!            "scope": [{"title": "Sales", "clauses": [
//!                {"attribute": "department", "operator": "EQUALS", "value": "Sales"}]}]},
//!  "groups": null}
//! ```

use serde::{Deserialize, Serialize};
use steward_expr::Scope;

use crate::model::{
    Apply, AttributeMapping, AttributeType, Entry, ExtensionSchema, ObjectType, Source,
};
use crate::sources;
use crate::validate::{object_mapping, Problem};

/// The mappings of one application: users always, groups when the entry provisions them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppMappings {
    pub users: AppObjectMapping,
    #[serde(default)]
    pub groups: Option<AppObjectMapping>,
}

/// How one object type is provisioned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AppObjectMapping {
    /// Whether the object type is provisioned at all (only groups may be off).
    pub enabled: bool,
    /// Which changes Steward may make to the application's objects.
    #[serde(default)]
    pub actions: ObjectActions,
    pub attributes: Vec<AttributeMapping>,
    /// Which directory objects are provisioned, on top of assignment (an empty scope admits
    /// every object).
    #[serde(default)]
    pub scope: Scope,
}

impl AppObjectMapping {
    /// Whether a mapping applied on updates reads the clock (`Now()`): its value can change
    /// while the object does not, so the object must be mapped again on every cycle.
    pub fn reads_clock(&self) -> bool {
        self.attributes.iter().any(|a| {
            a.apply != Apply::OnCreate
                && matches!(&a.source, Source::Expression(text)
                    if parsed(text).is_ok_and(|e| e.ast().reads_clock()))
        })
    }

    /// The matching attributes, in the order they are tried (lowest precedence first).
    pub fn matching_in_order(&self) -> Vec<&AttributeMapping> {
        crate::model::matching_in_order(&self.attributes)
    }
}

/// Entra's "Target object actions".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ObjectActions {
    pub create: bool,
    pub update: bool,
    pub delete: bool,
}

impl Default for ObjectActions {
    fn default() -> Self {
        ObjectActions {
            create: true,
            update: true,
            delete: true,
        }
    }
}

/// What the target itself told Steward, beyond the gallery entry: the extension attributes
/// its `/Schemas` offers and the attributes it requires.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TargetFacts {
    pub extensions: Vec<ExtensionSchema>,
    pub required: Vec<(ObjectType, String)>,
}

impl AppMappings {
    /// The entry's default mappings, with every action allowed and no scoping filter.
    pub fn defaults(entry: &Entry) -> AppMappings {
        let object = |m: &crate::model::ObjectMapping| AppObjectMapping {
            enabled: m.enabled,
            actions: ObjectActions::default(),
            attributes: m.attributes.clone(),
            scope: Scope::default(),
        };
        AppMappings {
            users: object(&entry.users),
            groups: entry.groups.as_ref().map(object),
        }
    }

    /// The mapping of one object type.
    pub fn object(&self, object: ObjectType) -> Option<&AppObjectMapping> {
        match object {
            ObjectType::Users => Some(&self.users),
            ObjectType::Groups => self.groups.as_ref(),
        }
    }

    /// Mutable access to the mapping of one object type.
    pub fn object_mut(&mut self, object: ObjectType) -> Option<&mut AppObjectMapping> {
        match object {
            ObjectType::Users => Some(&mut self.users),
            ObjectType::Groups => self.groups.as_mut(),
        }
    }

    /// Every problem of these mappings for an application made from `entry`; empty when they
    /// can be saved.
    pub fn validate(&self, entry: &Entry, target: &TargetFacts) -> Vec<Problem> {
        let mut problems = Vec::new();
        if !self.users.enabled {
            problems.push(Problem::UsersDisabled);
        }
        if self.groups.is_some() && entry.groups.is_none() {
            problems.push(Problem::GroupsNotSupported);
        }
        // The entry with the target's own extensions declared, so attributes read from its
        // /Schemas are accepted like the entry's.
        let mut widened = entry.clone();
        for schema in &target.extensions {
            if widened.extension_schema(&schema.urn).is_none() {
                widened.extension_schemas.push(schema.clone());
            }
        }
        for object in [ObjectType::Users, ObjectType::Groups] {
            let Some(mapping) = self.object(object) else {
                continue;
            };
            let as_entry = crate::model::ObjectMapping {
                enabled: mapping.enabled,
                attributes: mapping.attributes.clone(),
            };
            object_mapping(&widened, object, &as_entry, &mut problems);
            if !mapping.enabled {
                continue;
            }
            let required = entry
                .mapping(object)
                .into_iter()
                .flat_map(|m| m.attributes.iter().filter(|a| a.required))
                .map(|a| a.target.clone())
                .chain(
                    target
                        .required
                        .iter()
                        .filter(|(o, _)| *o == object)
                        .map(|(_, t)| t.clone()),
                );
            for target in required {
                if mapping.attributes.iter().all(|a| {
                    !a.target.eq_ignore_ascii_case(&target)
                        || matches!(a.source, Source::None) && a.default_value.is_none()
                }) {
                    push_once(&mut problems, Problem::RequiredNotMapped { object, target });
                }
            }
            for attribute in &mapping.attributes {
                if let Some(problem) = type_mismatch(object, attribute) {
                    problems.push(problem);
                }
            }
            if let Err(error) = mapping.scope.compile() {
                problems.push(Problem::BadScope {
                    object,
                    error: error.to_string(),
                });
            }
        }
        problems
    }
}

impl AttributeMapping {
    /// The value this mapping gives one object: the source attribute, the constant or the
    /// expression's result, else the default value; `None` when nothing flows (a `None`
    /// mapping without default, or a null source without default). An expression that does
    /// not parse or fails gives its message.
    pub fn evaluate(
        &self,
        object: &dyn steward_expr::AttributeSource,
        ctx: &mut dyn steward_expr::EvalContext,
    ) -> Result<Option<steward_expr::Value>, String> {
        use steward_expr::Value;
        let value = match &self.source {
            Source::Direct(name) => object.attribute(name).map(|v| v.into_owned()),
            Source::Constant(text) => Some(Value::String(text.clone())),
            Source::Expression(text) => {
                let expression = parsed(text)?;
                let outcome = expression
                    .evaluate(object, ctx)
                    .map_err(|e| e.to_string())?;
                (!outcome.ignore_flow).then_some(outcome.value)
            }
            Source::None => None,
        };
        let empty =
            |v: &Value| matches!(v, Value::Null) || v.as_text().is_some_and(|t| t.is_empty());
        let value = match value {
            Some(v) if !empty(&v) => Some(v),
            _ => self.default_value.clone().map(Value::String),
        };
        match (self.format, value) {
            (Some(format), Some(v)) => {
                let text = v.as_text().map(|t| t.into_owned()).unwrap_or_default();
                format.apply(&text).map(|t| Some(Value::String(t)))
            }
            (_, value) => Ok(value),
        }
    }
}

fn push_once(problems: &mut Vec<Problem>, problem: Problem) {
    if !problems.contains(&problem) {
        problems.push(problem);
    }
}

/// A direct mapping whose source type cannot fill the target: a reference into anything but a
/// reference (or the reverse), a true/false into a date or number, a date into a true/false or
/// number. Text targets take any value.
fn type_mismatch(object: ObjectType, attribute: &AttributeMapping) -> Option<Problem> {
    use AttributeType::{Boolean, DateTime, Integer, Reference, String as Text};
    let Source::Direct(name) = &attribute.source else {
        return None;
    };
    let source = sources::source_attributes(object)
        .iter()
        .find(|a| a.name == name)?
        .attribute_type;
    let target = attribute.target_type;
    let fits = match (source, target) {
        (a, b) if a == b => true,
        (Reference, _) | (_, Reference) => false,
        (_, Text) => true,
        (Boolean, DateTime | Integer) | (DateTime, Boolean | Integer) => false,
        _ => true,
    };
    (!fits).then(|| Problem::TypeMismatch {
        object,
        target: attribute.target.clone(),
        from: name.clone(),
        source_type: source,
        target_type: target,
    })
}

/// The parsed expression, from a small per-thread cache: a cycle evaluates the same few
/// expressions for every object, and parsing each time cost more than evaluating.
fn parsed(text: &str) -> Result<std::rc::Rc<steward_expr::Expression>, String> {
    use std::cell::RefCell;
    use std::collections::HashMap;
    use std::rc::Rc;
    thread_local! {
        static CACHE: RefCell<HashMap<String, Rc<steward_expr::Expression>>> =
            RefCell::new(HashMap::new());
    }
    if let Some(hit) = CACHE.with(|c| c.borrow().get(text).cloned()) {
        return Ok(hit);
    }
    let expression = Rc::new(steward_expr::parse(text).map_err(|e| e.to_string())?);
    CACHE.with(|c| {
        let mut cache = c.borrow_mut();
        // Mappings are edited now and then; a bound keeps old texts from piling up.
        if cache.len() >= 256 {
            cache.clear();
        }
        cache.insert(text.to_string(), expression.clone());
    });
    Ok(expression)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Gallery;
    use steward_expr::{Clause, Operator, ScopingFilter};

    fn custom() -> Entry {
        Gallery::builtin()
            .unwrap()
            .get("custom-scim")
            .unwrap()
            .clone()
    }

    fn mapping(target: &str, source: Source) -> AttributeMapping {
        AttributeMapping {
            target: target.into(),
            target_type: AttributeType::String,
            filterable: false,
            required: false,
            source,
            default_value: None,
            matching: None,
            apply: Apply::Always,
            format: None,
        }
    }

    #[test]
    fn defaults_are_valid_for_every_builtin_entry() {
        for entry in Gallery::builtin().unwrap().entries() {
            let defaults = AppMappings::defaults(entry);
            assert_eq!(defaults.validate(entry, &TargetFacts::default()), []);
            let json = serde_json::to_value(&defaults).unwrap();
            let back: AppMappings = serde_json::from_value(json).unwrap();
            assert_eq!(back, defaults, "{}", entry.id);
        }
    }

    #[test]
    fn edits_that_break_a_mapping_are_named() {
        let entry = custom();
        let mut m = AppMappings::defaults(&entry);
        // Remove the required userName (also the matching attribute).
        m.users.attributes.retain(|a| a.target != "userName");
        m.users.attributes.push(mapping(
            "title",
            Source::Expression("Join(\" \", [givenName]".into()),
        ));
        m.users.attributes.push(AttributeMapping {
            target_type: AttributeType::Boolean,
            ..mapping(
                "urn:ietf:params:scim:schemas:extension:acme:2.0:User:vip",
                Source::Direct("manager".into()),
            )
        });
        m.users.scope = Scope::new(vec![ScopingFilter {
            title: "bad".into(),
            clauses: vec![Clause::new("department", Operator::GreaterThan, "many")],
        }]);
        let codes: Vec<&str> = m
            .validate(&entry, &TargetFacts::default())
            .iter()
            .map(Problem::code)
            .collect();
        for code in [
            "GAL-V08", "GAL-V13", "GAL-V15", "GAL-V19", "GAL-V24", "GAL-V25", "GAL-V26",
        ] {
            assert!(codes.contains(&code), "{code} missing from {codes:?}");
        }
    }

    #[test]
    fn target_facts_widen_extensions_and_add_required_attributes() {
        let entry = custom();
        let mut m = AppMappings::defaults(&entry);
        let vip = "urn:ietf:params:scim:schemas:extension:acme:2.0:User:vip";
        m.users
            .attributes
            .push(mapping(vip, Source::Constant("yes".into())));
        let facts = TargetFacts {
            extensions: vec![ExtensionSchema {
                urn: "urn:ietf:params:scim:schemas:extension:acme:2.0:User".into(),
                object: ObjectType::Users,
                attributes: vec![crate::model::ExtensionAttribute {
                    name: "vip".into(),
                    attribute_type: AttributeType::String,
                    description: None,
                    app_default: None,
                }],
            }],
            required: vec![(ObjectType::Users, "nickName".into())],
        };
        let problems = m.validate(&entry, &facts);
        assert_eq!(
            problems,
            [Problem::RequiredNotMapped {
                object: ObjectType::Users,
                target: "nickName".into()
            }]
        );
        m.users
            .attributes
            .push(mapping("nickName", Source::Direct("mailNickname".into())));
        assert_eq!(m.validate(&entry, &facts), []);
    }

    #[test]
    fn a_mapping_evaluates_against_a_directory_user() {
        use crate::DirectoryObject;
        use steward_expr::{FixedContext, Value};
        let user = serde_json::json!({"userName": "ada@example.com",
            "name": {"givenName": "Ada", "familyName": "Lovelace"}});
        let source = DirectoryObject::user(&user, false);
        let mut ctx = FixedContext::default();
        let run = |m: AttributeMapping, ctx: &mut FixedContext| m.evaluate(&source, ctx);
        assert_eq!(
            run(
                mapping("userName", Source::Direct("userPrincipalName".into())),
                &mut ctx
            ),
            Ok(Some(Value::String("ada@example.com".into())))
        );
        assert_eq!(
            run(
                mapping(
                    "displayName",
                    Source::Expression("Join(\" \", [givenName], [surname])".into())
                ),
                &mut ctx
            ),
            Ok(Some(Value::String("Ada Lovelace".into())))
        );
        let title = AttributeMapping {
            default_value: Some("Staff".into()),
            ..mapping("title", Source::Direct("jobTitle".into()))
        };
        assert_eq!(
            run(title, &mut ctx),
            Ok(Some(Value::String("Staff".into())))
        );
        assert_eq!(run(mapping("nickName", Source::None), &mut ctx), Ok(None));
        assert!(run(
            mapping("title", Source::Expression("Left([givenName]".into())),
            &mut ctx
        )
        .is_err());
    }

    #[test]
    fn phone_numbers_are_brought_to_e164_or_refused() {
        use crate::model::ValueFormat::E164;
        assert_eq!(E164.apply("+1 (617) 555-1212"), Ok("+16175551212".into()));
        assert_eq!(E164.apply("0046 70 123 45 67"), Ok("+46701234567".into()));
        assert_eq!(E164.apply(" +44.20.7946.0958 "), Ok("+442079460958".into()));
        assert!(E164
            .apply("617 555 1212")
            .unwrap_err()
            .contains("no country code"));
        assert!(E164.apply("+1 555").unwrap_err().contains("8 to 15 digits"));
        assert!(E164
            .apply("+1 617 CALL NOW")
            .unwrap_err()
            .contains("not a digit"));
        assert!(
            E164.apply("+0 617 555 1212").is_err(),
            "no country code starts with 0"
        );
    }

    #[test]
    fn groups_can_be_turned_off_but_users_cannot() {
        let entry = custom();
        let mut m = AppMappings::defaults(&entry);
        let groups = m.groups.as_mut().unwrap();
        groups.enabled = false;
        groups.attributes.clear();
        assert_eq!(m.validate(&entry, &TargetFacts::default()), []);
        m.users.enabled = false;
        assert!(m
            .validate(&entry, &TargetFacts::default())
            .contains(&Problem::UsersDisabled));
    }
}
