//! Loading: error messages that name the file and say what is wrong, validation of each rule,
//! and the directory of extra entries.

#![allow(clippy::unwrap_used)]

use std::fs;

use steward_gallery::{parse_entry, Error, Gallery, Problem, Source};

/// A small valid entry the tests below break in one place each.
const BASE: &str = r#"
id = "acme"
name = "Acme"
publisher = "Acme Inc."
description = "Test entry."
category = "Testing"
connector = "scim"
out_of_scope = "disable"

[[credentials]]
name = "tenant_url"
label = "Tenant URL"
kind = "url"
help = "Acme's SCIM URL."

[[credentials]]
name = "secret_token"
label = "Secret Token"
kind = "secret"
help = "Acme's token."

[users]

[[users.attributes]]
target = "userName"
type = "String"
filterable = true
required = true
mapping = "direct"
source = "userPrincipalName"
matching = 1

[[users.attributes]]
target = "active"
type = "Boolean"
mapping = "expression"
expression = 'Switch([IsSoftDeleted], , "False", "True", "True", "False")'

[groups]

[[groups.attributes]]
target = "displayName"
type = "String"
filterable = true
mapping = "direct"
source = "displayName"
matching = 1
"#;

fn with(from: &str, to: &str) -> String {
    assert!(BASE.contains(from), "BASE has no {from:?}");
    BASE.replacen(from, to, 1)
}

fn problems(text: &str) -> Vec<Problem> {
    match parse_entry("acme.toml", text) {
        Err(Error::Invalid { problems, .. }) => problems,
        other => panic!("expected validation problems, got {other:?}"),
    }
}

fn codes(text: &str) -> Vec<&'static str> {
    problems(text).iter().map(Problem::code).collect()
}

#[test]
fn base_entry_is_valid() {
    let entry = parse_entry("acme.toml", BASE).unwrap();
    assert_eq!(entry.id, "acme");
    assert_eq!(entry.cycle_interval_minutes, 40);
    assert!(entry.credentials.iter().all(|c| c.required));
}

#[test]
fn unknown_key_names_the_file_line_and_key() {
    let text = with(
        "category = \"Testing\"",
        "category = \"Testing\"\ncolour = \"red\"",
    );
    let err = parse_entry("acme.toml", &text).unwrap_err();
    let message = err.to_string();
    assert_eq!(err.code(), "GAL-L02");
    assert!(
        message.starts_with("[GAL-L02] acme.toml:7:1: "),
        "{message}"
    );
    assert!(message.contains("unknown field `colour`"), "{message}");
}

#[test]
fn misspelt_mapping_key_is_an_error_at_its_line() {
    let text = with(
        "filterable = true\nrequired = true",
        "filtrable = true\nrequired = true",
    );
    let message = parse_entry("acme.toml", &text).unwrap_err().to_string();
    assert!(message.contains("acme.toml:"), "{message}");
    assert!(message.contains("unknown field `filtrable`"), "{message}");
}

#[test]
fn bad_toml_names_the_file_and_position() {
    let text = with("name = \"Acme\"", "name = \"Acme");
    let err = parse_entry("entries/acme.toml", &text).unwrap_err();
    match &err {
        Error::Toml { file, line, .. } => {
            assert_eq!(file, "entries/acme.toml");
            assert_eq!(*line, Some(3));
        }
        other => panic!("{other:?}"),
    }
    assert!(err
        .to_string()
        .starts_with("[GAL-L02] entries/acme.toml:3:"));
}

#[test]
fn mapping_without_the_key_its_type_needs_is_refused_with_its_position() {
    let text = with("source = \"userPrincipalName\"\n", "");
    let message = parse_entry("acme.toml", &text).unwrap_err().to_string();
    assert!(message.starts_with("[GAL-L02] acme.toml:"), "{message}");
    assert!(
        message.contains("mapping of `userName`: mapping = \"direct\" needs `source`"),
        "{message}"
    );

    let text = with(
        "mapping = \"direct\"\nsource = \"userPrincipalName\"",
        "mapping = \"constant\"\nsource = \"userPrincipalName\"",
    );
    let message = parse_entry("acme.toml", &text).unwrap_err().to_string();
    assert!(
        message.contains("`source` is only allowed with mapping = \"direct\""),
        "{message}"
    );
}

#[test]
fn bad_expression_names_the_file_entry_target_and_parse_error() {
    let text = with("expression = 'Switch(", "expression = 'switch(");
    let err = parse_entry("acme.toml", &text).unwrap_err();
    let message = err.to_string();
    assert_eq!(err.code(), "GAL-L03");
    assert!(
        message.starts_with("[GAL-L03] acme.toml: entry \"acme\" is invalid:"),
        "{message}"
    );
    assert!(message.contains("[GAL-V15] [users] `active`"), "{message}");
    assert!(message.contains("did you mean Switch?"), "{message}");
    assert!(
        message.contains("(at line 1, column 1 of the expression)"),
        "{message}"
    );
}

#[test]
fn every_problem_is_reported_at_once() {
    let text = with("id = \"acme\"", "id = \"Acme\"").replace("matching = 1\n", "");
    assert_eq!(codes(&text), ["GAL-V01", "GAL-V08", "GAL-V08"]);
}

#[test]
fn validation_rules() {
    let active = "mapping = \"expression\"\nexpression = 'Switch([IsSoftDeleted], , \"False\", \"True\", \"True\", \"False\")'";
    let cases: &[(&str, String, &[&str])] = &[
        (
            "duplicate matching precedence",
            with(active, &format!("{active}\nfilterable = true\nmatching = 1")),
            &["GAL-V10"],
        ),
        (
            "matching precedence 0",
            with("matching = 1", "matching = 0"),
            &["GAL-V09"],
        ),
        (
            "matching attribute not filterable",
            with("filterable = true\nrequired = true", "required = true"),
            &["GAL-V11"],
        ),
        (
            "constant matching attribute",
            with(
                "mapping = \"direct\"\nsource = \"userPrincipalName\"",
                "mapping = \"constant\"\nconstant = \"x\"",
            ),
            &["GAL-V12"],
        ),
        (
            "no matching attribute for groups",
            BASE.replacen("source = \"displayName\"\nmatching = 1", "source = \"displayName\"", 1),
            &["GAL-V08"],
        ),
        (
            "a disabled group mapping needs no matching attribute",
            BASE.replacen("[groups]\n", "[groups]\nenabled = false\n", 1)
                .replacen("source = \"displayName\"\nmatching = 1", "source = \"displayName\"", 1),
            &[],
        ),
        (
            "users cannot be disabled",
            with("[users]\n", "[users]\nenabled = false\n"),
            &["GAL-V07"],
        ),
        (
            "unknown source attribute",
            with("source = \"userPrincipalName\"", "source = \"userprincipalname\""),
            &["GAL-V16"],
        ),
        (
            "misspelt source attribute",
            with("source = \"userPrincipalName\"", "source = \"userPrincipleName\""),
            &["GAL-V16"],
        ),
        (
            "unknown attribute inside an expression",
            with("[IsSoftDeleted]", "[isDeleted]"),
            &["GAL-V16"],
        ),
        (
            "directory extension attributes are accepted",
            with("source = \"userPrincipalName\"", "source = \"extension_badge\""),
            &[],
        ),
        (
            "duplicate credential name",
            with("name = \"secret_token\"", "name = \"tenant_url\""),
            // The name is taken twice, and secret_token is then missing.
            &["GAL-V04", "GAL-V05"],
        ),
        (
            "scim needs a url",
            with("kind = \"url\"", "kind = \"text\""),
            &["GAL-V06"],
        ),
        (
            "duplicate target",
            with("target = \"active\"", "target = \"userName\""),
            &["GAL-V13"],
        ),
        (
            "target that is not a SCIM path",
            with("target = \"active\"", "target = \"emails[type eq\""),
            &["GAL-V14"],
        ),
        (
            "undeclared extension attribute",
            with(
                "target = \"active\"",
                "target = \"urn:ietf:params:scim:schemas:extension:acme:2.0:User:active\"",
            ),
            &["GAL-V19"],
        ),
        (
            "enterprise extension needs no declaration",
            with(
                "target = \"active\"\ntype = \"Boolean\"",
                "target = \"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department\"\ntype = \"String\"",
            ),
            &[],
        ),
        (
            "required attribute that never gets a value",
            with(active, "required = true\nmapping = \"none\""),
            &["GAL-V17"],
        ),
        (
            "cycle interval out of range",
            with("out_of_scope = \"disable\"", "out_of_scope = \"disable\"\ncycle_interval_minutes = 0"),
            &["GAL-V03"],
        ),
        (
            "empty name",
            with("name = \"Acme\"", "name = \" \""),
            &["GAL-V02"],
        ),
    ];
    for (what, text, expected) in cases {
        let actual = match parse_entry("acme.toml", text) {
            Ok(_) => vec![],
            Err(Error::Invalid { problems, .. }) => problems.iter().map(Problem::code).collect(),
            Err(other) => panic!("{what}: {other}"),
        };
        assert_eq!(&actual, expected, "{what}");
    }
}

#[test]
fn extension_attribute_types_must_agree() {
    let text = with(
        "[users]\n",
        "[[extension_schemas]]\nurn = \"urn:ietf:params:scim:schemas:extension:acme:2.0:User\"\nobject = \"users\"\n\
         [[extension_schemas.attributes]]\nname = \"badge\"\ntype = \"Integer\"\n\n[users]\n",
    )
    .replace(
        "target = \"active\"",
        "target = \"urn:ietf:params:scim:schemas:extension:acme:2.0:User:badge\"",
    );
    let problems = problems(&text);
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(
        problems[0].to_string(),
        "[GAL-V20] [users] `urn:ietf:params:scim:schemas:extension:acme:2.0:User:badge`: \
         type Boolean differs from the extension's declared type Integer"
    );
}

#[test]
fn xmatters_connector_needs_its_three_credentials() {
    let text = with("connector = \"scim\"", "connector = \"xmatters\"");
    let problems = problems(&text);
    let missing: Vec<_> = problems
        .iter()
        .map(|p| match p {
            Problem::MissingCredential { name, .. } => *name,
            other => panic!("{other}"),
        })
        .collect();
    assert_eq!(missing, ["username", "password", "domain"]);
}

fn acme_with_name(name: &str) -> String {
    with("name = \"Acme\"", &format!("name = \"{name}\""))
}

#[test]
fn extra_directory_adds_entries_and_overrides_builtins_by_id() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("acme.toml"), BASE).unwrap();
    // An override of a built-in: any file name, same id.
    let xledger = with("id = \"acme\"", "id = \"xledger\"").replacen(
        "name = \"Acme\"",
        "name = \"Xledger (EU)\"",
        1,
    );
    fs::write(dir.path().join("zz-xledger-eu.toml"), xledger).unwrap();
    // Not an entry file: ignored.
    fs::write(dir.path().join("README.md"), "not toml").unwrap();
    fs::create_dir(dir.path().join("nested.toml")).unwrap();

    let builtin = Gallery::builtin().unwrap();
    let gallery = Gallery::with_extra_dir(dir.path()).unwrap();
    assert_eq!(gallery.len(), builtin.len() + 1);
    assert_eq!(gallery.get("acme").unwrap().name, "Acme");
    assert_eq!(gallery.get("xledger").unwrap().name, "Xledger (EU)");
    assert_eq!(
        gallery.get("klaxoon").unwrap(),
        builtin.get("klaxoon").unwrap()
    );
    let ids: Vec<_> = gallery.entries().iter().map(|e| e.id.as_str()).collect();
    let mut sorted = ids.clone();
    sorted.sort_unstable();
    assert_eq!(ids, sorted);
    assert_eq!(
        gallery
            .get("acme")
            .unwrap()
            .users
            .matching()
            .first()
            .map(|a| &a.source),
        Some(&Source::Direct("userPrincipalName".into()))
    );
}

#[test]
fn errors_in_the_extra_directory_name_the_file() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("good.toml"), BASE).unwrap();
    let broken = dir.path().join("broken.toml");
    fs::write(
        &broken,
        acme_with_name("Broken").replace("id = \"acme\"", "id = \"broken\"\nid2 = 1"),
    )
    .unwrap();
    let message = Gallery::with_extra_dir(dir.path()).unwrap_err().to_string();
    assert!(
        message.starts_with(&format!("[GAL-L02] {}:3:1: ", broken.display())),
        "{message}"
    );
    assert!(message.contains("unknown field `id2`"), "{message}");
}

#[test]
fn two_extra_files_with_one_id_are_an_error() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("a.toml"), BASE).unwrap();
    fs::write(dir.path().join("b.toml"), acme_with_name("Acme 2")).unwrap();
    let err = Gallery::with_extra_dir(dir.path()).unwrap_err();
    assert_eq!(err.code(), "GAL-L04");
    let message = err.to_string();
    assert!(message.contains("\"acme\" is defined twice"), "{message}");
    assert!(
        message.contains("a.toml") && message.contains("b.toml"),
        "{message}"
    );
}

#[test]
fn a_missing_extra_directory_is_an_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope");
    let err = Gallery::with_extra_dir(&missing).unwrap_err();
    assert_eq!(err.code(), "GAL-L01");
    assert!(err.to_string().contains(&missing.display().to_string()));
}

#[test]
fn unknown_source_attributes_come_with_a_suggestion() {
    for (written, meant) in [
        ("userprincipalname", "userPrincipalName"),
        ("userPrincipleName", "userPrincipalName"),
        ("surename", "surname"),
    ] {
        let text = with(
            "source = \"userPrincipalName\"",
            &format!("source = \"{written}\""),
        );
        let problems = problems(&text);
        assert_eq!(
            problems[0].to_string(),
            format!(
                "[GAL-V16] [users] `userName`: unknown source attribute `{written}`; did you mean `{meant}`?"
            )
        );
    }
    let text = with("source = \"userPrincipalName\"", "source = \"badge\"");
    assert_eq!(
        problems(&text)[0].to_string(),
        "[GAL-V16] [users] `userName`: unknown source attribute `badge`"
    );
}
