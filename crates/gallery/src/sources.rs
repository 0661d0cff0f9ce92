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

/// The SCIM schema under which the directory keeps a user's custom attributes, read by mappings
/// as `extension_<name>` (the same URN as the store's `STEWARD_USER_EXTENSION`).
pub const DIRECTORY_USER_EXTENSION: &str =
    "urn:ietf:params:scim:schemas:extension:steward:2.0:User";
/// The same for groups (the store's `STEWARD_GROUP_EXTENSION`).
pub const DIRECTORY_GROUP_EXTENSION: &str =
    "urn:ietf:params:scim:schemas:extension:steward:2.0:Group";
const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

/// A directory user or group (its SCIM resource) read through the source names above, for
/// expressions and scoping filters. Values are looked up when asked for, so evaluating a few
/// mappings costs only the attributes they read.
#[derive(Debug, Clone, Copy)]
pub struct DirectoryObject<'a> {
    object: ObjectType,
    resource: &'a serde_json::Value,
    out_of_scope: bool,
}

impl<'a> DirectoryObject<'a> {
    /// A user resource; `out_of_scope` is what `IsSoftDeleted` reports besides `active = false`.
    pub fn user(resource: &'a serde_json::Value, out_of_scope: bool) -> Self {
        DirectoryObject {
            object: ObjectType::Users,
            resource,
            out_of_scope,
        }
    }

    /// A group resource.
    pub fn group(resource: &'a serde_json::Value, out_of_scope: bool) -> Self {
        DirectoryObject {
            object: ObjectType::Groups,
            resource,
            out_of_scope,
        }
    }

    fn get(&self, path: &[&str]) -> Option<&'a serde_json::Value> {
        path.iter()
            .try_fold(self.resource, |v, key| v.get(key))
            .filter(|v| !v.is_null())
    }

    /// The `sub` of the multi-valued `attr` entry of `kind`; for e-mails also the primary one,
    /// then the first, when no entry has the type.
    fn typed(&self, attr: &str, kind: &str, sub: &str) -> Option<&'a serde_json::Value> {
        let items = self.resource.get(attr)?.as_array()?;
        let of_type = items.iter().find(|i| {
            i.get("type")
                .and_then(|t| t.as_str())
                .is_some_and(|t| t.eq_ignore_ascii_case(kind))
        });
        let fallback = || {
            (attr == "emails").then(|| {
                items
                    .iter()
                    .find(|i| i.get("primary").and_then(|p| p.as_bool()) == Some(true))
                    .or_else(|| items.first())
            })?
        };
        of_type.or_else(fallback)?.get(sub).filter(|v| !v.is_null())
    }

    fn user_attribute(&self, name: &str) -> Option<steward_expr::Value> {
        use steward_expr::Value;
        let text = |v: Option<&serde_json::Value>| v.map(Value::from_json);
        let user_name = || self.get(&["userName"]).and_then(|v| v.as_str());
        Some(match name {
            "objectId" => return text(self.get(&["id"])),
            "userPrincipalName" => return text(self.get(&["userName"])),
            "displayName" => return text(self.get(&["displayName"])),
            "givenName" => return text(self.get(&["name", "givenName"])),
            "surname" => return text(self.get(&["name", "familyName"])),
            "mail" => return text(self.typed("emails", "work", "value")),
            "mailNickname" => {
                let name = user_name()?;
                Value::String(name.split('@').next().unwrap_or(name).to_string())
            }
            "proxyAddresses" => {
                let items = self.resource.get("emails")?.as_array()?;
                let primary = |i: &serde_json::Value| {
                    i.get("primary").and_then(|p| p.as_bool()) == Some(true)
                };
                Value::Multi(
                    items
                        .iter()
                        .filter_map(|i| {
                            let v = i.get("value")?.as_str()?;
                            let prefix = if primary(i) { "SMTP" } else { "smtp" };
                            Some(Value::String(format!("{prefix}:{v}")))
                        })
                        .collect(),
                )
            }
            "jobTitle" => return text(self.get(&["title"])),
            "companyName" => return text(self.get(&[ENTERPRISE, "organization"])),
            "department" => return text(self.get(&[ENTERPRISE, "department"])),
            "employeeId" => return text(self.get(&[ENTERPRISE, "employeeNumber"])),
            "employeeType" => return text(self.get(&["userType"])),
            "employeeOrgData.costCenter" => return text(self.get(&[ENTERPRISE, "costCenter"])),
            "employeeOrgData.division" => return text(self.get(&[ENTERPRISE, "division"])),
            "employeeHireDate" => {
                return text(self.get(&[DIRECTORY_USER_EXTENSION, "employeeHireDate"]))
            }
            "employeeLeaveDateTime" => {
                return text(self.get(&[DIRECTORY_USER_EXTENSION, "employeeLeaveDateTime"]))
            }
            "manager" => Value::Reference(
                self.get(&[ENTERPRISE, "manager", "value"])?
                    .as_str()?
                    .to_string(),
            ),
            "telephoneNumber" => return text(self.typed("phoneNumbers", "work", "value")),
            "mobile" => return text(self.typed("phoneNumbers", "mobile", "value")),
            "facsimileTelephoneNumber" => return text(self.typed("phoneNumbers", "fax", "value")),
            "physicalDeliveryOfficeName" => {
                return text(self.typed("addresses", "work", "formatted"))
            }
            "streetAddress" => return text(self.typed("addresses", "work", "streetAddress")),
            "city" => return text(self.typed("addresses", "work", "locality")),
            "state" => return text(self.typed("addresses", "work", "region")),
            "postalCode" => return text(self.typed("addresses", "work", "postalCode")),
            "country" => return text(self.typed("addresses", "work", "country")),
            "preferredLanguage" => return text(self.get(&["preferredLanguage"])),
            "userType" => match self.get(&["userType"]).and_then(|v| v.as_str()) {
                Some(t) if t.eq_ignore_ascii_case("guest") => Value::String("Guest".into()),
                _ => Value::String("Member".into()),
            },
            "accountEnabled" => Value::Boolean(self.active()),
            "IsSoftDeleted" => Value::Boolean(self.out_of_scope || !self.active()),
            _ => return self.extension(name, DIRECTORY_USER_EXTENSION),
        })
    }

    fn active(&self) -> bool {
        self.get(&["active"]).and_then(|v| v.as_bool()) != Some(false)
    }

    fn group_attribute(&self, name: &str) -> Option<steward_expr::Value> {
        use steward_expr::Value;
        let text = |v: Option<&serde_json::Value>| v.map(Value::from_json);
        Some(match name {
            "objectId" => return text(self.get(&["id"])),
            "displayName" => return text(self.get(&["displayName"])),
            "description" => {
                return text(
                    self.get(&[DIRECTORY_GROUP_EXTENSION, "description"])
                        .or_else(|| self.get(&["description"])),
                )
            }
            "mail" => return text(self.get(&[DIRECTORY_GROUP_EXTENSION, "mail"])),
            "mailNickname" => return text(self.get(&[DIRECTORY_GROUP_EXTENSION, "mailNickname"])),
            "members" => Value::Multi(
                self.resource
                    .get("members")?
                    .as_array()?
                    .iter()
                    .filter_map(|m| Some(Value::Reference(m.get("value")?.as_str()?.to_string())))
                    .collect(),
            ),
            "IsSoftDeleted" => Value::Boolean(self.out_of_scope),
            _ => return self.extension(name, DIRECTORY_GROUP_EXTENSION),
        })
    }

    fn extension(&self, name: &str, urn: &str) -> Option<steward_expr::Value> {
        let attribute = name.strip_prefix("extension_")?;
        self.get(&[urn, attribute])
            .map(steward_expr::Value::from_json)
    }
}

impl steward_expr::AttributeSource for DirectoryObject<'_> {
    fn attribute(&self, name: &str) -> Option<std::borrow::Cow<'_, steward_expr::Value>> {
        match self.object {
            ObjectType::Users => self.user_attribute(name),
            ObjectType::Groups => self.group_attribute(name),
        }
        .map(std::borrow::Cow::Owned)
    }
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

    #[test]
    fn a_directory_user_reads_as_entra_names() {
        use steward_expr::{AttributeSource, Value};
        let user = serde_json::json!({
            "id": "u1", "userName": "ada@example.com", "displayName": "Ada Lovelace",
            "name": {"givenName": "Ada", "familyName": "Lovelace"},
            "emails": [{"value": "ada@home.example", "type": "home"},
                       {"value": "ada@example.com", "type": "work", "primary": true}],
            "phoneNumbers": [{"value": "+44 20 1234", "type": "mobile"}],
            "addresses": [{"type": "work", "locality": "London", "country": "GB"}],
            "title": "Analyst", "active": true,
            ENTERPRISE: {"department": "Maths", "manager": {"value": "m1"}},
            DIRECTORY_USER_EXTENSION: {"badge": 42}
        });
        let source = DirectoryObject::user(&user, false);
        let read = |name: &str| source.attribute(name).map(|v| v.into_owned());
        let text = |s: &str| Some(Value::String(s.into()));
        assert_eq!(read("userPrincipalName"), text("ada@example.com"));
        assert_eq!(read("givenName"), text("Ada"));
        assert_eq!(read("surname"), text("Lovelace"));
        assert_eq!(read("mail"), text("ada@example.com"));
        assert_eq!(read("mailNickname"), text("ada"));
        assert_eq!(read("mobile"), text("+44 20 1234"));
        assert_eq!(read("telephoneNumber"), None);
        assert_eq!(read("city"), text("London"));
        assert_eq!(read("jobTitle"), text("Analyst"));
        assert_eq!(read("department"), text("Maths"));
        assert_eq!(read("manager"), Some(Value::Reference("m1".into())));
        assert_eq!(read("accountEnabled"), Some(Value::Boolean(true)));
        assert_eq!(read("IsSoftDeleted"), Some(Value::Boolean(false)));
        assert_eq!(read("userType"), text("Member"));
        assert_eq!(read("extension_badge"), Some(Value::from(42)));
        assert_eq!(read("unknown"), None);
        assert_eq!(
            read("proxyAddresses"),
            Some(Value::Multi(vec![
                Value::String("smtp:ada@home.example".into()),
                Value::String("SMTP:ada@example.com".into())
            ]))
        );
        let gone = DirectoryObject::user(&user, true);
        assert_eq!(
            gone.attribute("IsSoftDeleted").map(|v| v.into_owned()),
            Some(Value::Boolean(true))
        );
        // Every listed user attribute resolves without panicking.
        for a in USER_SOURCE_ATTRIBUTES {
            let _ = source.attribute(a.name);
        }
    }
}
