//! The built-in entries against the tutorials they were transcribed from. Each table below is
//! copied from a seed tutorial's attribute table (cited above it), so a data file that drifts
//! from its tutorial fails here rather than in a customer's provisioning logs.

#![allow(clippy::unwrap_used)]

use steward_gallery::{
    AttributeType, Connector, CredentialKind, Entry, Gallery, ObjectType, OutOfScopeAction, Source,
};

use AttributeType::{Boolean, DateTime, Reference, String as Str};

/// (target, type, supported for filtering, required by the app, matching precedence)
type Row<'a> = (&'a str, AttributeType, bool, bool, Option<u8>);

/// A [`Row`] with the mapping's source.
type SourcedRow<'a> = (&'a str, AttributeType, bool, bool, Option<u8>, Source);

const Y: bool = true;
const N: bool = false;

fn gallery() -> Gallery {
    Gallery::builtin().unwrap_or_else(|e| panic!("{e}"))
}

fn entry(id: &str) -> Entry {
    gallery().get(id).unwrap().clone()
}

fn assert_rows(entry: &Entry, object: ObjectType, expected: &[Row]) {
    let actual: Vec<Row> = entry
        .mapping(object)
        .unwrap()
        .attributes
        .iter()
        .map(|a| {
            (
                a.target.as_str(),
                a.target_type,
                a.filterable,
                a.required,
                a.matching,
            )
        })
        .collect();
    assert_eq!(actual, expected, "{} {object}", entry.id);
}

fn credentials(entry: &Entry) -> Vec<(&str, &str, CredentialKind, bool)> {
    entry
        .credentials
        .iter()
        .map(|c| (c.name.as_str(), c.label.as_str(), c.kind, c.required))
        .collect()
}

fn source<'a>(entry: &'a Entry, object: ObjectType, target: &str) -> &'a Source {
    &entry
        .mapping(object)
        .unwrap()
        .attribute(target)
        .unwrap()
        .source
}

const ACTIVE: &str = r#"Switch([IsSoftDeleted], , "False", "True", "True", "False")"#;

#[test]
fn all_builtin_entries_load_and_validate() {
    let gallery = gallery();
    let ids: Vec<_> = gallery.entries().iter().map(|e| e.id.as_str()).collect();
    assert_eq!(
        ids,
        ["alexishr", "custom-scim", "klaxoon", "xledger", "xmatters"]
    );
    for entry in gallery.entries() {
        assert!(steward_gallery::validate(entry).is_empty(), "{}", entry.id);
        for object in entry.object_types() {
            assert!(
                !entry.mapping(object).unwrap().matching().is_empty(),
                "{} {object}",
                entry.id
            );
        }
    }
}

#[test]
fn entries_round_trip_through_json() {
    // The server hands entries to the portal as JSON; nothing may be lost on the way.
    for entry in gallery().entries() {
        let json = serde_json::to_string(entry).unwrap();
        let back: Entry = serde_json::from_str(&json).unwrap();
        assert_eq!(&back, entry);
    }
}

/// Seed 000_903edfdd7ad86365.txt (Xledger), step 5: the user and group attribute tables.
#[test]
fn xledger_matches_its_tutorial() {
    let xledger = entry("xledger");
    assert_rows(
        &xledger,
        ObjectType::Users,
        &[
            ("userName", Str, Y, Y, Some(1)),
            ("active", Boolean, N, N, None),
            ("displayName", Str, N, N, None),
            (r#"emails[type eq "work"].value"#, Str, N, N, None),
            (r#"phoneNumbers[type eq "work"].value"#, Str, N, N, None),
            (
                "urn:ietf:params:scim:schemas:extension:xledger:2.0:User:accessFromDate",
                DateTime,
                N,
                N,
                None,
            ),
            (
                "urn:ietf:params:scim:schemas:extension:xledger:2.0:User:accessToDate",
                DateTime,
                N,
                N,
                None,
            ),
        ],
    );
    assert_rows(
        &xledger,
        ObjectType::Groups,
        &[
            ("displayName", Str, Y, Y, Some(1)),
            ("members", Reference, N, N, None),
        ],
    );
    assert_eq!(xledger.connector, Connector::Scim);
    // "Remove users in Xledger when they do not require access anymore."
    assert_eq!(xledger.out_of_scope, OutOfScopeAction::Delete);
    assert_eq!(xledger.cycle_interval_minutes, 40);
    assert_eq!(
        credentials(&xledger),
        [
            ("tenant_url", "Tenant URL", CredentialKind::Url, true),
            ("secret_token", "Secret Token", CredentialKind::Secret, true),
        ]
    );
    let ext = xledger
        .extension_schema("urn:ietf:params:scim:schemas:extension:xledger:2.0:User")
        .unwrap();
    assert_eq!(ext.object, ObjectType::Users);
    let attrs: Vec<_> = ext
        .attributes
        .iter()
        .map(|a| (a.name.as_str(), a.attribute_type))
        .collect();
    assert_eq!(
        attrs,
        [("accessFromDate", DateTime), ("accessToDate", DateTime)]
    );
    assert_eq!(
        source(&xledger, ObjectType::Users, "active"),
        &Source::Expression(ACTIVE.into())
    );
}

/// Seed 001_919c794fa6044dbc.txt (Klaxoon), step 5: the user and group attribute tables and the
/// license value table.
#[test]
fn klaxoon_matches_its_tutorial() {
    let klaxoon = entry("klaxoon");
    assert_rows(
        &klaxoon,
        ObjectType::Users,
        &[
            ("userName", Str, Y, Y, Some(1)),
            (r#"emails[type eq "work"].value"#, Str, Y, Y, None),
            ("externalId", Str, N, Y, None),
            ("name.givenName", Str, N, Y, None),
            ("name.familyName", Str, N, Y, None),
            ("active", Boolean, N, Y, None),
        ],
    );
    assert_rows(
        &klaxoon,
        ObjectType::Groups,
        &[
            ("displayName", Str, Y, Y, Some(1)),
            ("externalId", Str, N, Y, None),
            ("members", Reference, N, N, None),
            (
                "urn:ietf:params:scim:schemas:extension:klaxoon:2.0:Group:license",
                Str,
                N,
                N,
                None,
            ),
        ],
    );
    // "Disable users in Klaxoon when they do not require access anymore."
    assert_eq!(klaxoon.out_of_scope, OutOfScopeAction::Disable);
    assert_eq!(klaxoon.cycle_interval_minutes, 40);
    assert_eq!(
        credentials(&klaxoon),
        [
            ("tenant_url", "Tenant URL", CredentialKind::Url, true),
            ("secret_token", "Secret Token", CredentialKind::Secret, true),
        ]
    );
    // "not specified (default value)" gives the group a Klaxoon PRO license.
    let ext = klaxoon
        .extension_schema("urn:ietf:params:scim:schemas:extension:klaxoon:2.0:Group")
        .unwrap();
    assert_eq!(ext.object, ObjectType::Groups);
    assert_eq!(ext.attributes[0].name, "license");
    assert_eq!(ext.attributes[0].app_default.as_deref(), Some("true"));
    let license = klaxoon
        .mapping(ObjectType::Groups)
        .unwrap()
        .attribute("urn:ietf:params:scim:schemas:extension:klaxoon:2.0:Group:license")
        .unwrap();
    assert_eq!(license.source, Source::None);
    assert_eq!(license.default_value.as_deref(), Some("true"));
}

/// Seed 002_87639803f6a9b664.txt (xMatters): credentials "Admin Username & Admin Password &
/// Domain", users only, "create, update and disable", cycles "approximately every 20 minutes".
/// The tutorial has no attribute table; the mapping is Steward's (see xmatters.toml).
#[test]
fn xmatters_matches_its_tutorial() {
    let xmatters = entry("xmatters");
    assert_eq!(xmatters.connector, Connector::Xmatters);
    assert_eq!(
        credentials(&xmatters),
        [
            ("username", "Admin Username", CredentialKind::Text, true),
            ("password", "Admin Password", CredentialKind::Secret, true),
            ("domain", "Domain", CredentialKind::Text, true),
        ]
    );
    assert_eq!(xmatters.object_types(), [ObjectType::Users]);
    assert_eq!(xmatters.out_of_scope, OutOfScopeAction::Disable);
    assert_eq!(xmatters.cycle_interval_minutes, 20);
    assert_rows(
        &xmatters,
        ObjectType::Users,
        &[
            ("targetName", Str, Y, Y, Some(1)),
            ("firstName", Str, N, Y, None),
            ("lastName", Str, N, Y, None),
            ("status", Str, N, N, None),
            ("externalKey", Str, N, N, None),
            (
                r#"devices[name eq "Work Email"].emailAddress"#,
                Str,
                N,
                N,
                None,
            ),
        ],
    );
}

/// Seed 003_70a176318bd70b91.txt (AlexisHR), step 5: the user attribute table and its E.164
/// note. No group table: users only.
#[test]
fn alexishr_matches_its_tutorial() {
    let alexishr = entry("alexishr");
    assert_rows(
        &alexishr,
        ObjectType::Users,
        &[
            ("userName", Str, Y, Y, Some(1)),
            (
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager",
                Reference,
                N,
                N,
                None,
            ),
            ("active", Boolean, N, Y, None),
            ("title", Str, N, N, None),
            (r#"emails[type eq "work"].value"#, Str, N, Y, None),
            ("name.givenName", Str, N, Y, None),
            ("name.familyName", Str, N, Y, None),
            (r#"phoneNumbers[type eq "work"].value"#, Str, N, Y, None),
            (
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department",
                Str,
                N,
                N,
                None,
            ),
            (
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:costCenter",
                Str,
                N,
                N,
                None,
            ),
            (
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:division",
                Str,
                N,
                N,
                None,
            ),
            (
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:organization",
                Str,
                N,
                N,
                None,
            ),
        ],
    );
    assert_eq!(alexishr.object_types(), [ObjectType::Users]);
    // "Remove users in AlexisHR when they do not require access anymore."
    assert_eq!(alexishr.out_of_scope, OutOfScopeAction::Delete);
    assert!(alexishr.notes.iter().any(|n| n.contains("E.164")));
    assert_eq!(
        credentials(&alexishr),
        [
            ("tenant_url", "Tenant URL", CredentialKind::Url, true),
            ("secret_token", "Secret Token", CredentialKind::Secret, true),
        ]
    );
}

/// Seed 004_8fadeb7aebeb3797.txt (generic "Configure application provisioning" quickstart) and
/// the reference's description of the generic SCIM app: Entra's default mappings for "create
/// your own application", with their sources.
#[test]
fn custom_scim_has_entras_generic_defaults() {
    let custom = entry("custom-scim");
    let expected_users: &[SourcedRow] = &[
        ("userName", Str, Y, Y, Some(1), direct("userPrincipalName")),
        ("active", Boolean, N, N, None, expr(ACTIVE)),
        ("displayName", Str, N, N, None, direct("displayName")),
        ("title", Str, N, N, None, direct("jobTitle")),
        (
            r#"emails[type eq "work"].value"#,
            Str,
            Y,
            N,
            None,
            direct("mail"),
        ),
        (
            "preferredLanguage",
            Str,
            N,
            N,
            None,
            direct("preferredLanguage"),
        ),
        ("name.givenName", Str, N, N, None, direct("givenName")),
        ("name.familyName", Str, N, N, None, direct("surname")),
        (
            "name.formatted",
            Str,
            N,
            N,
            None,
            expr(r#"Join(" ", [givenName], [surname])"#),
        ),
        (
            r#"addresses[type eq "work"].formatted"#,
            Str,
            N,
            N,
            None,
            direct("physicalDeliveryOfficeName"),
        ),
        (
            r#"addresses[type eq "work"].streetAddress"#,
            Str,
            N,
            N,
            None,
            direct("streetAddress"),
        ),
        (
            r#"addresses[type eq "work"].locality"#,
            Str,
            N,
            N,
            None,
            direct("city"),
        ),
        (
            r#"addresses[type eq "work"].region"#,
            Str,
            N,
            N,
            None,
            direct("state"),
        ),
        (
            r#"addresses[type eq "work"].postalCode"#,
            Str,
            N,
            N,
            None,
            direct("postalCode"),
        ),
        (
            r#"addresses[type eq "work"].country"#,
            Str,
            N,
            N,
            None,
            direct("country"),
        ),
        (
            r#"phoneNumbers[type eq "work"].value"#,
            Str,
            N,
            N,
            None,
            direct("telephoneNumber"),
        ),
        (
            r#"phoneNumbers[type eq "mobile"].value"#,
            Str,
            N,
            N,
            None,
            direct("mobile"),
        ),
        (
            r#"phoneNumbers[type eq "fax"].value"#,
            Str,
            N,
            N,
            None,
            direct("facsimileTelephoneNumber"),
        ),
        ("externalId", Str, Y, N, None, direct("mailNickname")),
        (
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber",
            Str,
            N,
            N,
            None,
            direct("employeeId"),
        ),
        (
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department",
            Str,
            N,
            N,
            None,
            direct("department"),
        ),
        (
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager",
            Reference,
            N,
            N,
            None,
            direct("manager"),
        ),
    ];
    let users = &custom.mapping(ObjectType::Users).unwrap().attributes;
    let actual: Vec<SourcedRow> = users
        .iter()
        .map(|a| {
            (
                a.target.as_str(),
                a.target_type,
                a.filterable,
                a.required,
                a.matching,
                a.source.clone(),
            )
        })
        .collect();
    assert_eq!(actual.len(), expected_users.len());
    for (a, e) in actual.iter().zip(expected_users) {
        assert_eq!(a, e);
    }
    let groups: Vec<_> = custom
        .mapping(ObjectType::Groups)
        .unwrap()
        .attributes
        .iter()
        .map(|a| (a.target.as_str(), a.matching, a.source.clone()))
        .collect();
    assert_eq!(
        groups,
        [
            ("displayName", Some(1), direct("displayName")),
            ("externalId", None, direct("objectId")),
            ("members", None, direct("members")),
        ]
    );
    assert_eq!(custom.out_of_scope, OutOfScopeAction::Disable);
    assert_eq!(custom.cycle_interval_minutes, 40);
}

fn direct(name: &str) -> Source {
    Source::Direct(name.into())
}

fn expr(text: &str) -> Source {
    Source::Expression(text.into())
}

/// Sources the tutorials leave out come from Entra's defaults, the same for every entry.
#[test]
fn gallery_sources_follow_entras_defaults() {
    let defaults = entry("custom-scim");
    let default_users = defaults.mapping(ObjectType::Users).unwrap();
    for id in ["xledger", "klaxoon", "alexishr"] {
        let e = entry(id);
        for a in &e.mapping(ObjectType::Users).unwrap().attributes {
            if let Some(d) = default_users.attribute(&a.target) {
                assert_eq!(a.source, d.source, "{id} {}", a.target);
            }
        }
    }
}
