//! Evaluating a [`Filter`] against a JSON resource, with RFC 7644 §3.4.2.2 semantics:
//!
//! - attribute names are case-insensitive; string values compare case-insensitively unless the
//!   attribute is `caseExact` (asked through [`AttributeCharacteristics`]);
//! - a multi-valued attribute matches if any of its values matches; a complex value without a
//!   sub-attribute is compared through its `value` sub-attribute (`emails co "example.com"`);
//! - `pr` means present and non-empty (null, `""`, `[]` and empty objects are absent);
//! - `gt`/`ge`/`lt`/`le` order strings lexicographically (by code point, after case folding when
//!   not caseExact), numbers numerically and date-times chronologically: an attribute of type
//!   dateTime always compares as a date-time, any other string when both sides parse as one;
//! - `eq null` matches an unassigned attribute (RFC 7643 §2.5: unassigned and null are the
//!   same state).
//!
//! Deliberate choices where the RFC is silent: `ne` is exactly `not (… eq …)`, so an absent
//! attribute is "not equal" and `emails ne "x"` means "no email is x"; values of another JSON
//! type than the literal never match (`active eq "true"` does not match `true`), except that a
//! boolean attribute stored as the legacy string `"True"`/`"False"` compares as the boolean.

use std::cmp::Ordering;

use chrono::{DateTime, NaiveDateTime, Utc};
use serde_json::Value;

use crate::filter::{CompValue, CompareOp, Condition, Filter};
use crate::json::{get_ci, is_present, parse_bool};
use crate::path::AttrPath;
use crate::schema::{AttributeCharacteristics, AttributeType, Characteristics};

pub(crate) fn matches(
    filter: &Filter,
    resource: &Value,
    attributes: &dyn AttributeCharacteristics,
) -> bool {
    eval(filter, resource, None, attributes)
}

/// `parent` is the multi-valued attribute whose value `ctx` is, inside `[...]`.
pub(crate) fn eval(
    filter: &Filter,
    ctx: &Value,
    parent: Option<&AttrPath>,
    attributes: &dyn AttributeCharacteristics,
) -> bool {
    match filter {
        Filter::And(items) => items.iter().all(|f| eval(f, ctx, parent, attributes)),
        Filter::Or(items) => items.iter().any(|f| eval(f, ctx, parent, attributes)),
        Filter::Not(inner) => !eval(inner, ctx, parent, attributes),
        Filter::Present(path) => resolve(ctx, path, parent, attributes)
            .iter()
            .any(|v| is_present(v)),
        Filter::Compare { path, op, value } => {
            let values = resolve(ctx, path, parent, attributes);
            let c = attributes.characteristics(&describe(path, parent));
            test(&values, *op, value, &c)
        }
        Filter::ValuePath {
            path,
            filter,
            sub_attr,
        } => {
            let element_path = describe(path, parent);
            resolve(ctx, path, parent, attributes)
                .iter()
                .any(|element| {
                    eval(filter, element, Some(&element_path), attributes)
                        && sub_attr.as_ref().is_none_or(|sub| {
                            let sub_path = AttrPath::new(sub.name.clone());
                            let values =
                                resolve(element, &sub_path, Some(&element_path), attributes);
                            match &sub.condition {
                                Condition::Present => values.iter().any(|v| is_present(v)),
                                Condition::Compare(op, value) => {
                                    let c = attributes
                                        .characteristics(&element_path.with_sub(&sub.name));
                                    test(&values, *op, value, &c)
                                }
                            }
                        })
                })
        }
    }
}

/// The path to ask characteristics about: inside `emails[...]`, `type` is `emails.type`.
fn describe(path: &AttrPath, parent: Option<&AttrPath>) -> AttrPath {
    match parent {
        Some(parent) => AttrPath {
            urn: parent.urn.clone(),
            name: parent.name.clone(),
            sub_attr: Some(path.name.clone()),
        },
        None => path.clone(),
    }
}

/// Every value `path` denotes in `ctx`, multi-valued attributes flattened.
pub(crate) fn resolve<'v>(
    ctx: &'v Value,
    path: &AttrPath,
    parent: Option<&AttrPath>,
    attributes: &dyn AttributeCharacteristics,
) -> Vec<&'v Value> {
    let mut container = ctx;
    if let (None, Some(urn)) = (parent, &path.urn) {
        // `urn:…:enterprise:2.0:User` names the whole extension object.
        if path.sub_attr.is_none() {
            if let Some(whole) = get_ci(ctx, &path.full_name()) {
                return flatten(whole);
            }
        }
        if attributes.is_extension_schema(urn) {
            match get_ci(ctx, urn) {
                Some(extension) => container = extension,
                None => return Vec::new(),
            }
        }
    }
    let Some(value) = get_ci(container, &path.name) else {
        return Vec::new();
    };
    match &path.sub_attr {
        None => flatten(value),
        Some(sub) => flatten(value)
            .into_iter()
            .filter_map(|element| get_ci(element, sub))
            .flat_map(flatten)
            .collect(),
    }
}

fn flatten(value: &Value) -> Vec<&Value> {
    match value {
        Value::Array(items) => items.iter().collect(),
        other => vec![other],
    }
}

fn test(values: &[&Value], op: CompareOp, literal: &CompValue, c: &Characteristics) -> bool {
    match op {
        CompareOp::Ne => !test(values, CompareOp::Eq, literal, c),
        CompareOp::Eq if *literal == CompValue::Null => !values.iter().any(|v| is_present(v)),
        _ => values.iter().any(|v| compare(v, op, literal, c)),
    }
}

fn compare(value: &Value, op: CompareOp, literal: &CompValue, c: &Characteristics) -> bool {
    // A complex value is compared through its `value` sub-attribute.
    let value = match value {
        Value::Object(_) => match get_ci(value, "value") {
            Some(v) => v,
            None => return false,
        },
        other => other,
    };
    match (value, literal) {
        (Value::String(a), CompValue::String(b)) => compare_strings(a, b, op, c),
        (Value::Number(a), CompValue::Number(b)) => order(compare_numbers(a, b), op),
        (Value::Bool(a), CompValue::Bool(b)) => op == CompareOp::Eq && a == b,
        (Value::String(a), CompValue::Bool(b)) if c.kind == AttributeType::Boolean => {
            op == CompareOp::Eq && parse_bool(a) == Some(*b)
        }
        _ => false,
    }
}

fn order(ordering: Option<Ordering>, op: CompareOp) -> bool {
    let Some(o) = ordering else { return false };
    match op {
        CompareOp::Eq => o == Ordering::Equal,
        CompareOp::Gt => o == Ordering::Greater,
        CompareOp::Ge => o != Ordering::Less,
        CompareOp::Lt => o == Ordering::Less,
        CompareOp::Le => o != Ordering::Greater,
        CompareOp::Ne | CompareOp::Co | CompareOp::Sw | CompareOp::Ew => false,
    }
}

fn compare_numbers(a: &serde_json::Number, b: &serde_json::Number) -> Option<Ordering> {
    let int = |n: &serde_json::Number| {
        n.as_i64()
            .map(i128::from)
            .or_else(|| n.as_u64().map(i128::from))
    };
    match (int(a), int(b)) {
        (Some(x), Some(y)) => Some(x.cmp(&y)),
        _ => a.as_f64()?.partial_cmp(&b.as_f64()?),
    }
}

/// xsd:dateTime as SCIM uses it: RFC 3339, or without an offset (read as UTC).
pub(crate) fn parse_date_time(text: &str) -> Option<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Some(t.with_timezone(&Utc));
    }
    NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f")
        .ok()
        .map(|t| t.and_utc())
}

fn compare_strings(a: &str, b: &str, op: CompareOp, c: &Characteristics) -> bool {
    let date_op = op == CompareOp::Eq || op.is_ordering();
    if date_op && (c.kind == AttributeType::DateTime || op.is_ordering()) {
        if let (Some(x), Some(y)) = (parse_date_time(a), parse_date_time(b)) {
            return order(Some(x.cmp(&y)), op);
        }
    }
    let (a, b) = if c.case_exact {
        (a.to_owned(), b.to_owned())
    } else {
        (a.to_lowercase(), b.to_lowercase())
    };
    match op {
        CompareOp::Eq => a == b,
        CompareOp::Co => a.contains(&b),
        CompareOp::Sw => a.starts_with(&b),
        CompareOp::Ew => a.ends_with(&b),
        _ => order(Some(a.cmp(&b)), op),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::schema::CoreSchema;

    fn user() -> Value {
        json!({
            "schemas": [
                "urn:ietf:params:scim:schemas:core:2.0:User",
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
            ],
            "id": "2819c223-7f76-453a-919d-413861904646",
            "externalId": "BJensen-7",
            "userName": "bjensen@example.com",
            "name": {"familyName": "O'Malley", "givenName": "Barbara"},
            "title": "Tour Guide",
            "userType": "Employee",
            "active": true,
            "nickName": "",
            "loginCount": 42,
            "score": 2.5,
            "emails": [
                {"value": "bjensen@example.com", "type": "work", "primary": true},
                {"value": "babs@jensen.org", "type": "home"}
            ],
            "ims": [{"value": "babs@foo.com", "type": "xmpp"}],
            "meta": {
                "created": "2010-01-23T04:56:22Z",
                "lastModified": "2011-05-13T04:42:34Z"
            },
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {
                "employeeNumber": "701984",
                "manager": {"value": "26118915-6090-4610-87e4-49d8ca9f808d"}
            }
        })
    }

    fn check(cases: &[(&str, bool)], resource: &Value) {
        for (text, expected) in cases {
            let filter = Filter::parse(text).unwrap();
            assert_eq!(
                filter.matches(resource, &CoreSchema),
                *expected,
                "{text} (parsed as {filter})"
            );
        }
    }

    #[test]
    fn every_operator_on_strings() {
        check(
            &[
                (r#"userName eq "BJENSEN@example.com""#, true),
                (r#"userName eq "bjensen""#, false),
                (r#"userName ne "bjensen""#, true),
                (r#"userName ne "bjensen@EXAMPLE.com""#, false),
                (r#"userName co "JENSEN""#, true),
                (r#"userName co "smith""#, false),
                (r#"userName sw "BJ""#, true),
                (r#"userName sw "jensen""#, false),
                (r#"userName ew ".COM""#, true),
                (r#"userName ew ".org""#, false),
                (r#"title gt "Tour""#, true),
                (r#"title gt "tour guide""#, false),
                (r#"title ge "tour guide""#, true),
                (r#"title lt "Zebra""#, true),
                (r#"title lt "tour guide""#, false),
                (r#"title le "TOUR GUIDE""#, true),
                (r#"title le "A""#, false),
                ("title pr", true),
                ("nickName pr", false),
                ("missing pr", false),
                (r#"missing eq "x""#, false),
                (r#"missing ne "x""#, true),
                ("missing eq null", true),
                ("nickName eq null", true),
                ("title eq null", false),
                ("title ne null", true),
            ],
            &user(),
        );
    }

    #[test]
    fn case_exact_attributes_compare_exactly() {
        check(
            &[
                (r#"externalId eq "BJensen-7""#, true),
                (r#"externalId eq "bjensen-7""#, false),
                (r#"id sw "2819C223""#, false),
                (r#"id sw "2819c223""#, true),
                (r#"EXTERNALID co "Jensen""#, true),
            ],
            &user(),
        );
        // A closure describes a custom schema: here userName is caseExact.
        let exact = |p: &AttrPath| {
            let c = crate::schema::core_characteristics(p);
            if p.name.eq_ignore_ascii_case("userName") {
                c.case_exact()
            } else {
                c
            }
        };
        let f = Filter::parse(r#"userName eq "BJENSEN@example.com""#).unwrap();
        assert!(!f.matches(&user(), &exact));
    }

    #[test]
    fn numbers_booleans_and_dates() {
        check(
            &[
                ("loginCount eq 42", true),
                ("loginCount eq 42.0", true),
                ("loginCount gt 41", true),
                ("loginCount ge 42", true),
                ("loginCount lt 42", false),
                ("loginCount le 42", true),
                ("score gt 2", true),
                ("score lt 2.6", true),
                ("score eq 2.5", true),
                (r#"loginCount eq "42""#, false),
                ("active eq true", true),
                ("active eq FALSE", false),
                ("active ne false", true),
                (r#"active eq "true""#, false),
                (r#"meta.lastModified gt "2011-05-13T04:42:34Z""#, false),
                (r#"meta.lastModified ge "2011-05-13T04:42:34Z""#, true),
                (r#"meta.lastModified lt "2011-05-13T04:42:34Z""#, false),
                (r#"meta.lastModified le "2011-05-13T04:42:34Z""#, true),
                // Chronological, not lexicographic: 06:42+02:00 is 04:42Z.
                (r#"meta.lastModified eq "2011-05-13T06:42:34+02:00""#, true),
                (r#"meta.lastModified gt "2011-05-13T05:00:00+02:00""#, true),
                (r#"meta.created lt "2010-01-23T04:56:22.5""#, true),
            ],
            &user(),
        );
    }

    #[test]
    fn legacy_boolean_strings_compare_as_booleans() {
        let r = json!({"active": "False"});
        check(&[("active eq false", true), ("active eq true", false)], &r);
    }

    #[test]
    fn multi_valued_and_complex_attributes() {
        check(
            &[
                (r#"emails co "example.com""#, true),
                (r#"emails.value co "jensen.org""#, true),
                (r#"emails.type eq "home""#, true),
                (r#"emails.type eq "other""#, false),
                (
                    r#"emails[type eq "work" and value co "@example.com"]"#,
                    true,
                ),
                (
                    r#"emails[type eq "home" and value co "@example.com"]"#,
                    false,
                ),
                (
                    r#"emails[type eq "work"].value eq "bjensen@example.com""#,
                    true,
                ),
                (
                    r#"emails[type eq "home"].value eq "bjensen@example.com""#,
                    false,
                ),
                (r#"emails[type eq "home"].primary pr"#, false),
                (r#"emails[primary eq true].type eq "work""#, true),
                (r#"emails[not (type eq "work")]"#, true),
                (r#"ims[type eq "xmpp" and value co "@foo.com"]"#, true),
                (r#"name.familyName co "O'Malley""#, true),
                (r#"name.givenName sw "x""#, false),
                (
                    r#"schemas eq "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User""#,
                    true,
                ),
            ],
            &user(),
        );
    }

    #[test]
    fn schema_urn_prefixes() {
        check(
            &[
                (r#"urn:ietf:params:scim:schemas:core:2.0:User:userName sw "b""#, true),
                (
                    r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber eq "701984""#,
                    true,
                ),
                (
                    r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "26118915-6090-4610-87e4-49d8ca9f808d""#,
                    true,
                ),
                (
                    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq \"26118915-6090-4610-87E4-49D8CA9F808D\"",
                    false,
                ),
                // Extension attributes are not found at the top level, nor vice versa.
                (
                    r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:userName pr"#,
                    false,
                ),
                ("employeeNumber pr", false),
                ("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User pr", true),
                ("urn:acme:ext:1.0:User:x pr", false),
            ],
            &user(),
        );
    }

    #[test]
    fn logic_and_precedence() {
        check(
            &[
                (r#"title pr and userType eq "Employee""#, true),
                (r#"title pr and userType eq "Intern""#, false),
                (r#"title pr or userType eq "Intern""#, true),
                (r#"missing pr or userType eq "Intern""#, false),
                // and binds tighter: false or (true and true).
                (r#"missing pr or title pr and active eq true"#, true),
                // (false or true) and false.
                (r#"(missing pr or title pr) and active eq false"#, false),
                (r#"not (title pr)"#, false),
                (r#"not (missing pr) and not(userName eq "x")"#, true),
                (
                    r#"userType eq "Employee" and (emails co "example.com" or emails.value co "example.org")"#,
                    true,
                ),
                (
                    r#"userType ne "Employee" and not (emails co "example.com" or emails.value co "example.org")"#,
                    false,
                ),
                (
                    r#"userType eq "Employee" and (emails.type eq "work")"#,
                    true,
                ),
                (
                    r#"userType eq "Employee" and emails[type eq "work" and value co "@example.com"]"#,
                    true,
                ),
                (
                    r#"emails[type eq "work" and value co "@example.com"] or ims[type eq "xmpp" and value co "@foo.com"]"#,
                    true,
                ),
            ],
            &user(),
        );
    }

    #[test]
    fn non_objects_never_match_and_never_panic() {
        for resource in [json!(null), json!([1, 2]), json!("text"), json!(5)] {
            for text in [r#"userName eq "x""#, "title pr", r#"emails[type eq "w"]"#] {
                assert!(!Filter::parse(text).unwrap().matches(&resource, &CoreSchema));
            }
        }
    }
}
