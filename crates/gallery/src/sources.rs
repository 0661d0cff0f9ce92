//! The source attribute names mappings may read: Entra's names for directory attributes, so a
//! mapping copied from a Microsoft tutorial or a Graph export reads the same here.
//!
//! Steward's directory stores users and groups as SCIM resources; the provisioning engine
//! resolves each name below to the directory attribute in its description before a mapping or
//! an expression reads it. Names are case-sensitive, as in Entra. Directory extension
//! attributes (`extension_<name>`) are accepted without being listed.

use crate::model::{AttributeType, ObjectType};

/// One attribute a mapping can read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SourceAttribute {
    /// The name used in `source = "…"` and in `[…]` inside expressions.
    pub name: &'static str,
    /// Its type.
    pub attribute_type: AttributeType,
    /// Which directory attribute it is.
    pub description: &'static str,
}

const fn attr(
    name: &'static str,
    attribute_type: AttributeType,
    description: &'static str,
) -> SourceAttribute {
    SourceAttribute {
        name,
        attribute_type,
        description,
    }
}

use AttributeType::{Boolean, DateTime, Reference, String as Str};

/// What user mappings can read.
pub const USER_SOURCE_ATTRIBUTES: &[SourceAttribute] = &[
    attr("objectId", Str, "The user's directory id (SCIM `id`)."),
    attr("userPrincipalName", Str, "The sign-in name (SCIM `userName`)."),
    attr("displayName", Str, "SCIM `displayName`."),
    attr("givenName", Str, "SCIM `name.givenName`."),
    attr("surname", Str, "SCIM `name.familyName`."),
    attr("mail", Str, "The work e-mail address (SCIM `emails[type eq \"work\"].value`, else the primary e-mail)."),
    attr("mailNickname", Str, "The mail alias: the part of `userName` before `@`."),
    attr("proxyAddresses", Str, "Every e-mail address with its `SMTP:`/`smtp:` prefix (multi-valued)."),
    attr("jobTitle", Str, "SCIM `title`."),
    attr("companyName", Str, "Enterprise `organization`."),
    attr("department", Str, "Enterprise `department`."),
    attr("employeeId", Str, "Enterprise `employeeNumber`."),
    attr("employeeType", Str, "SCIM `userType`."),
    attr("employeeOrgData.costCenter", Str, "Enterprise `costCenter`."),
    attr("employeeOrgData.division", Str, "Enterprise `division`."),
    attr("employeeHireDate", DateTime, "The hire date, when the directory has one."),
    attr("employeeLeaveDateTime", DateTime, "The leave date, when the directory has one."),
    attr("manager", Reference, "The manager (enterprise `manager`), resolved to the manager's account in the application."),
    attr("telephoneNumber", Str, "SCIM `phoneNumbers[type eq \"work\"].value`."),
    attr("mobile", Str, "SCIM `phoneNumbers[type eq \"mobile\"].value`."),
    attr("facsimileTelephoneNumber", Str, "SCIM `phoneNumbers[type eq \"fax\"].value`."),
    attr("physicalDeliveryOfficeName", Str, "SCIM `addresses[type eq \"work\"].formatted`."),
    attr("streetAddress", Str, "SCIM `addresses[type eq \"work\"].streetAddress`."),
    attr("city", Str, "SCIM `addresses[type eq \"work\"].locality`."),
    attr("state", Str, "SCIM `addresses[type eq \"work\"].region`."),
    attr("postalCode", Str, "SCIM `addresses[type eq \"work\"].postalCode`."),
    attr("country", Str, "SCIM `addresses[type eq \"work\"].country`."),
    attr("preferredLanguage", Str, "SCIM `preferredLanguage`."),
    attr("userType", Str, "`Member` or `Guest`."),
    attr("accountEnabled", Boolean, "SCIM `active`."),
    attr("IsSoftDeleted", Boolean, "True when the user is out of scope: unassigned, filtered out by a scoping filter, inactive or deleted in the directory."),
];

/// What group mappings can read.
pub const GROUP_SOURCE_ATTRIBUTES: &[SourceAttribute] = &[
    attr("objectId", Str, "The group's directory id (SCIM `id`)."),
    attr("displayName", Str, "SCIM `displayName`."),
    attr("description", Str, "The group's description."),
    attr("mail", Str, "The group's e-mail address, when it has one."),
    attr(
        "mailNickname",
        Str,
        "The group's mail alias, when it has one.",
    ),
    attr(
        "members",
        Reference,
        "The members (SCIM `members`), resolved to their accounts in the application.",
    ),
    attr(
        "IsSoftDeleted",
        Boolean,
        "True when the group is out of scope or deleted in the directory.",
    ),
];

/// The attributes a mapping of `object` can read.
pub fn source_attributes(object: ObjectType) -> &'static [SourceAttribute] {
    match object {
        ObjectType::Users => USER_SOURCE_ATTRIBUTES,
        ObjectType::Groups => GROUP_SOURCE_ATTRIBUTES,
    }
}

/// Whether a mapping of `object` may read `name`: a listed attribute, or a directory extension
/// attribute (`extension_…`).
pub fn is_source_attribute(object: ObjectType, name: &str) -> bool {
    is_extension(name) || source_attributes(object).iter().any(|a| a.name == name)
}

fn is_extension(name: &str) -> bool {
    name.strip_prefix("extension_")
        .is_some_and(|rest| !rest.is_empty())
}

/// The listed attribute `name` was probably meant to be: the same spelling ignoring case, else
/// the closest name at most two edits away.
pub(crate) fn suggest(object: ObjectType, name: &str) -> Option<&'static str> {
    let listed = source_attributes(object);
    if let Some(a) = listed.iter().find(|a| a.name.eq_ignore_ascii_case(name)) {
        return Some(a.name);
    }
    let lower = name.to_ascii_lowercase();
    listed
        .iter()
        .map(|a| (edit_distance(&lower, &a.name.to_ascii_lowercase()), a.name))
        .filter(|&(d, _)| d <= 2)
        .min_by_key(|&(d, _)| d)
        .map(|(_, n)| n)
}

/// Levenshtein distance in characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1; b.len() + 1];
        for (j, &cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != cb);
            current[j + 1] = substitution.min(previous[j + 1] + 1).min(current[j] + 1);
        }
        previous = current;
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edit_distance_counts_insertions_deletions_and_substitutions() {
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("surname", "surname"), 0);
        assert_eq!(edit_distance("surename", "surname"), 1);
        assert_eq!(edit_distance("principle", "principal"), 2);
    }

    #[test]
    fn names_are_unique_and_extensions_are_accepted() {
        for object in [ObjectType::Users, ObjectType::Groups] {
            let list = source_attributes(object);
            for (i, a) in list.iter().enumerate() {
                assert!(list[..i].iter().all(|b| b.name != a.name), "{}", a.name);
                assert!(is_source_attribute(object, a.name));
            }
            assert!(is_source_attribute(object, "extension_badge"));
            assert!(!is_source_attribute(object, "extension_"));
            assert!(!is_source_attribute(object, "Mail"));
        }
    }
}
