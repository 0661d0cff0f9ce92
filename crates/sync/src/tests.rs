use super::*;
use steward_expr::FixedContext;
use steward_gallery::{AppMappings, DirectoryObject, Gallery};

fn users(entry: &str) -> AppObjectMapping {
    let gallery = Gallery::builtin().unwrap();
    AppMappings::defaults(gallery.get(entry).unwrap()).users
}

fn ada() -> Value {
    json!({
        "id": "u1", "userName": "ada@example.com", "displayName": "Ada Lovelace",
        "name": {"givenName": "Ada", "familyName": "Lovelace"},
        "emails": [{"value": "ada@example.com", "type": "work", "primary": true}],
        "title": "Analyst", "active": true,
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {
            "department": "Maths", "manager": {"value": "m1"}}
    })
}

#[test]
fn renders_the_custom_scim_defaults_for_a_user() {
    let user = ada();
    let r = render(
        &users("custom-scim"),
        &DirectoryObject::user(&user, false),
        &mut FixedContext::default(),
        true,
    );
    assert_eq!(r.errors, BTreeMap::new());
    assert_eq!(r.values["userName"], json!("ada@example.com"));
    assert_eq!(
        r.values["active"],
        json!(true),
        "Switch gives \"True\"; the target wants a boolean"
    );
    assert_eq!(r.values["name.givenName"], json!("Ada"));
    assert_eq!(
        r.values["emails[type eq \"work\"].value"],
        json!("ada@example.com")
    );
    assert_eq!(
        r.values["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department"],
        json!("Maths")
    );
    assert_eq!(
        r.references["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager"],
        ["m1"]
    );
    assert!(!r.values.contains_key("title") || r.values["title"] == json!("Analyst"));
}

#[test]
fn builds_the_resource_to_create() {
    let mut values = BTreeMap::new();
    values.insert("userName".to_string(), json!("ada@example.com"));
    values.insert("name.givenName".to_string(), json!("Ada"));
    values.insert("name.familyName".to_string(), json!("Lovelace"));
    values.insert(
        "emails[type eq \"work\"].value".to_string(),
        json!("ada@example.com"),
    );
    values.insert(
        "phoneNumbers[type eq \"mobile\"].value".to_string(),
        json!("+1 555"),
    );
    values.insert(
        "addresses[type eq \"work\"].locality".to_string(),
        json!("London"),
    );
    values.insert(
        "addresses[type eq \"work\"].country".to_string(),
        json!("GB"),
    );
    values.insert(
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department".to_string(),
        json!("Maths"),
    );
    let r = resource(ObjectType::Users, &values);
    assert_eq!(
        r,
        json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User",
                        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
            "userName": "ada@example.com",
            "name": {"givenName": "Ada", "familyName": "Lovelace"},
            "emails": [{"type": "work", "value": "ada@example.com"}],
            "phoneNumbers": [{"type": "mobile", "value": "+1 555"}],
            "addresses": [{"type": "work", "locality": "London", "country": "GB"}],
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "Maths"}
        })
    );
}

#[test]
fn an_unchanged_object_sends_nothing_and_a_change_sends_only_itself() {
    let mapping = users("custom-scim");
    let mut user = ada();
    let mut ctx = FixedContext::default();
    let first = render(
        &mapping,
        &DirectoryObject::user(&user, false),
        &mut ctx,
        true,
    );
    let sent = Fingerprint::of(&first.values);
    let again = render(
        &mapping,
        &DirectoryObject::user(&user, false),
        &mut ctx,
        false,
    );
    assert_eq!(sent.patch(&again.values, &[]), []);

    user["title"] = json!("Professor");
    user["name"]["givenName"] = Value::Null;
    let changed = render(
        &mapping,
        &DirectoryObject::user(&user, false),
        &mut ctx,
        false,
    );
    let ops = sent.patch(&changed.values, &[]);
    let described: Vec<String> = ops
        .iter()
        .map(|o| format!("{} {}", o.op.as_str(), o.path.clone().unwrap_or_default()))
        .collect();
    assert!(
        described.contains(&"replace title".to_string()),
        "{described:?}"
    );
    assert!(
        described.contains(&"remove name.givenName".to_string()),
        "{described:?}"
    );
    // displayName and name.formatted are expressions over givenName: they change too.
    assert!(
        described.iter().all(|d| !d.contains("userName")),
        "{described:?}"
    );
    assert_ne!(Fingerprint::of(&changed.values).digest(), sent.digest());
}

#[test]
fn types_are_converted_or_refused_with_a_reason() {
    assert_eq!(
        convert(&ExprValue::from("False"), AttributeType::Boolean),
        Ok(json!(false))
    );
    assert_eq!(
        convert(&ExprValue::from("42"), AttributeType::Integer),
        Ok(json!(42))
    );
    assert!(convert(&ExprValue::from("lots"), AttributeType::Integer)
        .unwrap_err()
        .contains("whole number"));
    assert!(convert(&ExprValue::from("maybe"), AttributeType::Boolean).is_err());
    assert_eq!(
        convert(&ExprValue::from(7), AttributeType::String),
        Ok(json!("7"))
    );
}

#[test]
fn on_create_mappings_are_left_out_of_updates() {
    let mut mapping = users("custom-scim");
    for m in &mut mapping.attributes {
        if m.target == "title" {
            m.apply = Apply::OnCreate;
        }
    }
    let user = ada();
    let mut ctx = FixedContext::default();
    let create = render(
        &mapping,
        &DirectoryObject::user(&user, false),
        &mut ctx,
        true,
    );
    let update = render(
        &mapping,
        &DirectoryObject::user(&user, false),
        &mut ctx,
        false,
    );
    assert!(create.values.contains_key("title"));
    assert!(!update.values.contains_key("title"));
    let sent = Fingerprint::of(&create.values);
    assert_eq!(on_create_paths(&mapping), ["title"]);
    assert_eq!(
        sent.patch(&update.values, &on_create_paths(&mapping)),
        [],
        "kept, not removed"
    );
}

#[test]
fn alexishr_phone_numbers_are_sent_in_e164_or_not_at_all() {
    let mapping = users("alexishr");
    let path = r#"phoneNumbers[type eq "work"].value"#;
    let mut user = ada();
    user["phoneNumbers"] = json!([{"value": "+1 (617) 555-1212", "type": "work"}]);
    let mut ctx = FixedContext::default();
    let r = render(
        &mapping,
        &DirectoryObject::user(&user, false),
        &mut ctx,
        true,
    );
    assert_eq!(r.values[path], json!("+16175551212"));
    user["phoneNumbers"] = json!([{"value": "617 555 1212", "type": "work"}]);
    let r = render(
        &mapping,
        &DirectoryObject::user(&user, false),
        &mut ctx,
        true,
    );
    assert!(!r.values.contains_key(path), "not sent");
    assert!(r.errors[path].contains("no country code"), "{:?}", r.errors);
}

#[test]
fn redact_is_found_in_expressions_but_not_in_their_text() {
    use crate::calls_redact;
    assert!(calls_redact("Redact([userPrincipalName])"));
    assert!(calls_redact(r#"Join(" ", redact([a]), [b])"#));
    assert!(calls_redact("REDACT (RandomString(6,3,0,0,3))"));
    assert!(!calls_redact(r#"Join(" ", "Redact(", [b])"#));
    assert!(!calls_redact("[userPrincipalName]"));
    assert!(!calls_redact("NotRedact([a])"));
}

/// Each operation as `op path value`.
fn described(ops: &[PatchOperation]) -> Vec<String> {
    ops.iter()
        .map(|o| {
            format!(
                "{} {} {}",
                o.op.as_str(),
                o.path.clone().unwrap_or_default(),
                o.value.clone().unwrap_or(Value::Null)
            )
        })
        .collect()
}

#[test]
fn a_multi_valued_entry_the_target_lacks_is_added_whole() {
    let values = |pairs: &[(&str, Value)]| -> BTreeMap<String, Value> {
        pairs
            .iter()
            .map(|(p, v)| (p.to_string(), v.clone()))
            .collect()
    };
    // Nothing sent through `addresses[type eq "work"]` yet: one add with both fields; the
    // work email was sent before: a replace through its filter.
    let sent = Fingerprint::of(&values(&[
        ("userName", json!("ada@example.com")),
        (
            "emails[type eq \"work\"].value",
            json!("ada@old.example.com"),
        ),
    ]));
    let now = values(&[
        ("userName", json!("ada@example.com")),
        ("emails[type eq \"work\"].value", json!("ada@example.com")),
        ("addresses[type eq \"work\"].locality", json!("London")),
        ("addresses[type eq \"work\"].streetAddress", json!("1 Lane")),
    ]);
    assert_eq!(
        described(&sent.patch(&now, &[])),
        [
            r#"replace emails[type eq "work"].value "ada@example.com""#,
            r#"add addresses [{"locality":"London","streetAddress":"1 Lane","type":"work"}]"#,
        ]
    );
    // Once sent, a change to one of them is a replace through the filter.
    let sent = Fingerprint::of(&now);
    let mut later = now.clone();
    later.insert(
        "addresses[type eq \"work\"].locality".into(),
        json!("Paris"),
    );
    assert_eq!(
        described(&sent.patch(&later, &[])),
        [r#"replace addresses[type eq "work"].locality "Paris""#]
    );
}

#[test]
fn a_matched_object_gets_only_what_differs_from_what_it_holds() {
    let target = json!({
        "id": "t1",
        "userName": "ADA@example.com",
        "Name": {"givenName": "Ada", "familyName": "Lovelace"},
        "emails": [{"type": "home", "value": "ada@home.example.com"}],
        "phoneNumbers": [{"type": "work", "value": "+44 1"}],
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "Maths"},
        "title": null,
    });
    for (path, want) in [
        ("userName", Some(json!("ADA@example.com"))),
        ("name.givenName", Some(json!("Ada"))),
        (
            "emails[type eq \"home\"].value",
            Some(json!("ada@home.example.com")),
        ),
        ("emails[type eq \"work\"].value", None),
        ("phoneNumbers[type eq \"work\"].value", Some(json!("+44 1"))),
        (
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department",
            Some(json!("Maths")),
        ),
        ("title", None),
        ("nickName", None),
    ] {
        assert_eq!(target_value(&target, path), want, "{path}");
    }
    let wanted: BTreeMap<String, Value> = [
        ("userName", json!("ada@example.com")),
        ("name.givenName", json!("Ada")),
        ("name.familyName", json!("Lovelace")),
        ("emails[type eq \"work\"].value", json!("ada@example.com")),
        ("phoneNumbers[type eq \"work\"].value", json!("+44 1")),
        (
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department",
            json!("Computing"),
        ),
        ("title", json!("Countess")),
    ]
    .into_iter()
    .map(|(p, v)| (p.to_string(), v))
    .collect();
    let baseline = Fingerprint::of_target(&target, &wanted);
    assert_eq!(
        described(&baseline.patch(&wanted, &[])),
        [
            r#"replace title "Countess""#,
            r#"replace urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department "Computing""#,
            r#"replace userName "ada@example.com""#,
            r#"add emails [{"type":"work","value":"ada@example.com"}]"#,
        ]
    );
}
