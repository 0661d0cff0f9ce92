//! The app-role functions. `[appRoleAssignments]` is read as a list of objects with `value` (the
//! role's value, as defined on the application) and `displayName` (or `display`), optionally
//! `id`; a plain string item is a role whose value and display name are that string.
//!
//! `AppRoleAssignmentsComplex` and `AssertiveAppRoleAssignmentsComplex` give the same list of
//! SCIM role objects (`primary` false, `type` `WindowsAzureActiveDirectoryRole`, `display`,
//! `value`, using RFC 7643's sub-attribute names); they differ only in how the engine sends it
//! (PATCH add or replace, see `Expression::role_patch_mode`). `SingleAppRoleAssignment` gives
//! the first role's value: Entra does not say which role wins when there are several, Steward
//! makes it the first, so the result is at least stable.

use std::collections::BTreeMap;

use crate::catalogue::Function;
use crate::error::EvalError;
use crate::value::Value;

struct Role {
    value: String,
    display: String,
}

fn roles(f: Function, v: &Value) -> Result<Vec<Role>, EvalError> {
    let items: Vec<&Value> = match v {
        Value::Null => Vec::new(),
        Value::Multi(items) => items.iter().collect(),
        single => vec![single],
    };
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        let role = match item {
            Value::Null => continue,
            Value::Complex(m) => {
                let text = |k: &str| m.get(k).and_then(|v| v.as_text()).map(|t| t.into_owned());
                let display = text("displayName").or_else(|| text("display"));
                match text("value").or_else(|| display.clone()) {
                    Some(value) => Role {
                        display: display.unwrap_or_else(|| value.clone()),
                        value,
                    },
                    None => {
                        return Err(EvalError::InvalidArgument {
                            function: f.name(),
                            message: "an app role assignment has neither value nor displayName"
                                .into(),
                        })
                    }
                }
            }
            other => match other.as_text() {
                Some(t) => Role {
                    value: t.to_string(),
                    display: t.into_owned(),
                },
                None => {
                    return Err(EvalError::TypeMismatch {
                        function: f.name(),
                        position: 1,
                        expected: "app role assignments",
                        found: other.kind().to_string(),
                    })
                }
            },
        };
        out.push(role);
    }
    Ok(out)
}

/// `AppRoleAssignmentsComplex` / `AssertiveAppRoleAssignmentsComplex`: null when the user has
/// no roles (so nothing is sent), else the list of role objects.
pub fn complex(f: Function, v: &Value) -> Result<Value, EvalError> {
    let roles = roles(f, v)?;
    if roles.is_empty() {
        return Ok(Value::Null);
    }
    Ok(Value::Multi(
        roles
            .into_iter()
            .map(|r| {
                let mut m = BTreeMap::new();
                m.insert("primary".to_string(), Value::Boolean(false));
                m.insert(
                    "type".to_string(),
                    Value::from("WindowsAzureActiveDirectoryRole"),
                );
                m.insert("display".to_string(), Value::String(r.display));
                m.insert("value".to_string(), Value::String(r.value));
                Value::Complex(m)
            })
            .collect(),
    ))
}

/// `SingleAppRoleAssignment`: the first role's value, or null.
pub fn single(f: Function, v: &Value) -> Result<Value, EvalError> {
    Ok(roles(f, v)?
        .into_iter()
        .next()
        .map_or(Value::Null, |r| Value::String(r.value)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn role_shapes() {
        let assignments = Value::from_json(&json!([
            {"id": "06b07648-ecfe-589f-9d2f-6325724a46ee", "value": "Admin", "displayName": "Administrator"},
            {"value": "User"},
            "Reader"
        ]));
        let out = complex(Function::AppRoleAssignmentsComplex, &assignments).unwrap();
        assert_eq!(
            out.to_json(),
            json!([
                {"primary": false, "type": "WindowsAzureActiveDirectoryRole", "display": "Administrator", "value": "Admin"},
                {"primary": false, "type": "WindowsAzureActiveDirectoryRole", "display": "User", "value": "User"},
                {"primary": false, "type": "WindowsAzureActiveDirectoryRole", "display": "Reader", "value": "Reader"}
            ])
        );
        assert_eq!(
            single(Function::SingleAppRoleAssignment, &assignments).unwrap(),
            Value::from("Admin")
        );
        assert_eq!(
            complex(Function::AppRoleAssignmentsComplex, &Value::Null).unwrap(),
            Value::Null
        );
        assert_eq!(
            single(Function::SingleAppRoleAssignment, &Value::Multi(vec![])).unwrap(),
            Value::Null
        );
        let bad = Value::from_json(&json!([{"id": "x"}]));
        assert!(complex(Function::AppRoleAssignmentsComplex, &bad).is_err());
    }
}
