//! The applications service: everything the portal and the `/api/v1` REST API do with
//! enterprise applications, written once. Each function takes the [`Actor`] asking, checks
//! its role, validates the input, calls the store and writes the audit log (before and after,
//! secrets redacted). The portal's server functions and the REST handlers only translate
//! their transport to these calls.

use std::collections::{BTreeMap, HashSet};

use super::provisioning::{mappings_of, settings_of};
use super::{internal, set_status, store_error, Actor, AuditEntry, PortalState};
use crate::api::{
    ApplicationDetail, ApplicationRow, AssignmentPage, AssignmentRow, CredentialView, GalleryTile,
    MappingTest, MappingsView, ProvisioningSettings, ScopePreview, SourceOption, TargetOption,
    TestResult,
};
use crate::error::{field_errors, AppError, ErrorCode, FieldError};
use steward_gallery::{
    AppMappings, Connector, CredentialKind, DirectoryObject, Entry, ObjectType, TargetFacts,
};
use steward_store::{Application, ApplicationChange, Role, StoredCredential};

/// What every application operation needs: a Global Administrator.
const ROLE: Role = Role::GlobalAdministrator;

/// The gallery entries whose name, publisher, description or category contains `search`,
/// "Create your own application" first.
pub fn gallery(
    state: &PortalState,
    actor: &Actor,
    search: &str,
) -> Result<Vec<GalleryTile>, AppError> {
    actor.require(ROLE)?;
    let needle = search.trim().to_lowercase();
    let mut tiles: Vec<GalleryTile> = state
        .gallery
        .entries()
        .iter()
        .filter(|e| {
            needle.is_empty()
                || [&e.name, &e.publisher, &e.description, &e.category]
                    .iter()
                    .any(|t| t.to_lowercase().contains(&needle))
        })
        .map(|e| GalleryTile {
            id: e.id.clone(),
            name: e.name.clone(),
            publisher: e.publisher.clone(),
            description: e.description.clone(),
            category: e.category.clone(),
            connector: e.connector.as_str().into(),
        })
        .collect();
    tiles.sort_by_key(|t| (t.id != "custom-scim", t.name.to_lowercase()));
    Ok(tiles)
}

pub async fn list(state: &PortalState, actor: &Actor) -> Result<Vec<ApplicationRow>, AppError> {
    actor.require(ROLE)?;
    let apps = state.store.list_applications().await.map_err(internal)?;
    Ok(apps
        .into_iter()
        .map(|a| ApplicationRow {
            gallery_name: state
                .gallery
                .get(&a.gallery_id)
                .map_or_else(|| a.gallery_id.clone(), |e| e.name.clone()),
            id: a.id,
            name: a.name,
            provisioning_mode: a.provisioning_mode,
            updated_at: a.updated_at,
        })
        .collect())
}

pub(crate) fn not_found(what: &str, id: &str) -> AppError {
    set_status(404);
    AppError::new(ErrorCode::NotFound, format!("There is no {what} {id:?}."))
}

pub(crate) fn invalid(errors: Vec<FieldError>) -> AppError {
    set_status(422);
    AppError::invalid(errors)
}

/// Adds an application from a gallery entry, with the entry's default mappings.
pub async fn create(
    state: &PortalState,
    actor: &Actor,
    gallery_id: &str,
    name: &str,
) -> Result<ApplicationDetail, AppError> {
    actor.require(ROLE)?;
    let entry = state
        .gallery
        .get(gallery_id)
        .ok_or_else(|| not_found("gallery entry", gallery_id))?;
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 256 {
        return Err(invalid(field_errors([(
            "name",
            Some("Name the application (at most 256 characters).".to_string()),
        )])));
    }
    let app = state
        .store
        .create_application(&entry.id, name)
        .await
        .map_err(store_error)?;
    actor
        .audit(
            state,
            AuditEntry::new("application.create", name)
                .detail(format!("from the gallery entry {}", entry.name)),
        )
        .await;
    get(state, actor, &app.id).await
}

/// An application with its gallery entry.
async fn load(state: &PortalState, id: &str) -> Result<(Application, Entry), AppError> {
    let app = state
        .store
        .application(id)
        .await
        .map_err(internal)?
        .ok_or_else(|| not_found("application", id))?;
    let entry = state.gallery.get(&app.gallery_id).cloned().ok_or_else(|| {
        internal(format!(
            "application {id} names the gallery entry {:?}, which is not installed",
            app.gallery_id
        ))
    })?;
    Ok((app, entry))
}

pub async fn get(
    state: &PortalState,
    actor: &Actor,
    id: &str,
) -> Result<ApplicationDetail, AppError> {
    actor.require(ROLE)?;
    let (app, entry) = load(state, id).await?;
    let stored = state.store.credentials(&app.id).await.map_err(internal)?;
    let credentials = entry
        .credentials
        .iter()
        .map(|f| {
            let value = stored.iter().find(|s| s.field == f.name);
            CredentialView {
                name: f.name.clone(),
                label: f.label.clone(),
                kind: f.kind.to_string(),
                required: f.required,
                help: f.help.clone(),
                value: value
                    .filter(|v| !v.encrypted)
                    .map(|v| v.value.clone())
                    .unwrap_or_default(),
                is_set: value.is_some_and(|v| !v.value.is_empty()),
            }
        })
        .collect();
    Ok(ApplicationDetail {
        settings: settings_of(&app, &entry),
        id: app.id,
        name: app.name,
        gallery_id: entry.id.clone(),
        gallery_name: entry.name.clone(),
        connector: entry.connector.as_str().into(),
        provisioning_mode: app.provisioning_mode,
        version: app.version,
        notes: entry.notes.clone(),
        credentials,
        owners: app.owners,
        roles: app.roles,
        full_sync_required: app.full_sync_required,
        custom_mappings: app.mappings.is_some(),
        provisions_groups: entry.groups.is_some(),
        updated_at: app.updated_at,
    })
}

/// The stored settings, with defaults (the entry's cycle interval among them) for what was
/// never set.
/// The general part of an application: name, provisioning mode, owners and app roles.
#[derive(Clone, Debug, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GeneralChange {
    pub name: Option<String>,
    pub provisioning_mode: Option<String>,
    pub owners: Option<Vec<String>>,
    pub roles: Option<Vec<String>>,
}

/// Changes the general part; `version` is the one the caller saw, so another admin's newer
/// change is refused rather than overwritten.
pub async fn update(
    state: &PortalState,
    actor: &Actor,
    id: &str,
    version: i64,
    change: GeneralChange,
) -> Result<ApplicationDetail, AppError> {
    actor.require(ROLE)?;
    let (before, _) = load(state, id).await?;
    let mut errors = Vec::new();
    let name = change.name.map(|n| n.trim().to_string());
    if name
        .as_deref()
        .is_some_and(|n| n.is_empty() || n.chars().count() > 256)
    {
        errors.push(FieldError::new(
            "name",
            "Name the application (at most 256 characters).",
        ));
    }
    if change
        .provisioning_mode
        .as_deref()
        .is_some_and(|m| !matches!(m, "manual" | "automatic"))
    {
        errors.push(FieldError::new(
            "provisioning_mode",
            "Choose Manual or Automatic.",
        ));
    }
    let owners = match change.owners {
        Some(list) => Some(clean_owners(state, list, &mut errors).await?),
        None => None,
    };
    let roles = change.roles.map(|r| clean_roles(r, &mut errors));
    if !errors.is_empty() {
        return Err(invalid(errors));
    }
    let app = state
        .store
        .update_application(
            id,
            ApplicationChange {
                name,
                provisioning_mode: change.provisioning_mode,
                owners,
                roles,
                ..Default::default()
            },
            version,
        )
        .await
        .map_err(store_error)?;
    let general = |a: &Application| {
        serde_json::json!({
            "name": a.name, "provisioning_mode": a.provisioning_mode,
            "owners": a.owners, "roles": a.roles,
        })
    };
    actor
        .audit(
            state,
            AuditEntry::new("application.update", &app.name)
                .change(general(&before), general(&app)),
        )
        .await;
    get(state, actor, id).await
}

/// Owners must be admins of this tenant (by e-mail, any case), listed once each.
async fn clean_owners(
    state: &PortalState,
    list: Vec<String>,
    errors: &mut Vec<FieldError>,
) -> Result<Vec<String>, AppError> {
    let admins = state.store.list_admins().await.map_err(internal)?;
    let mut out: Vec<String> = Vec::new();
    for owner in list {
        let owner = owner.trim().to_lowercase();
        if owner.is_empty() || out.contains(&owner) {
            continue;
        }
        if admins.iter().any(|a| a.email == owner) {
            out.push(owner);
        } else {
            errors.push(FieldError::new(
                "owners",
                format!("{owner} is not an administrator of this tenant; owners must be admins."),
            ));
        }
    }
    Ok(out)
}

/// App roles: "User" always first, each name once (ignoring case), at most 64 characters.
fn clean_roles(list: Vec<String>, errors: &mut Vec<FieldError>) -> Vec<String> {
    let mut out = vec!["User".to_string()];
    for role in list {
        let role = role.trim().to_string();
        if role.is_empty() || out.iter().any(|r| r.eq_ignore_ascii_case(&role)) {
            continue;
        }
        if role.chars().count() > 64 {
            errors.push(FieldError::new(
                "roles",
                "A role name has at most 64 characters.",
            ));
        } else {
            out.push(role);
        }
    }
    out
}

pub async fn delete(state: &PortalState, actor: &Actor, id: &str) -> Result<(), AppError> {
    actor.require(ROLE)?;
    let (app, _) = load(state, id).await?;
    state
        .store
        .delete_application(&app.id)
        .await
        .map_err(store_error)?;
    actor
        .audit(state, AuditEntry::new("application.delete", &app.name))
        .await;
    Ok(())
}

/// Checks and saves the provisioning settings.
pub async fn save_settings(
    state: &PortalState,
    actor: &Actor,
    id: &str,
    version: i64,
    after: ProvisioningSettings,
) -> Result<ProvisioningSettings, AppError> {
    actor.require(ROLE)?;
    let (app, entry) = load(state, id).await?;
    let before = settings_of(&app, &entry);
    let after = ProvisioningSettings {
        notification_email: after.notification_email.trim().to_string(),
        ..after
    };
    let email = &after.notification_email;
    let fields = field_errors([
        (
            "scope",
            (!matches!(after.scope.as_str(), "assigned" | "all"))
                .then(|| "Choose who is provisioned: assigned or all.".to_string()),
        ),
        (
            "deletion_threshold",
            (!(1..=1_000_000).contains(&after.deletion_threshold))
                .then(|| "A whole number from 1 to 1,000,000.".to_string()),
        ),
        (
            "cycle_interval_minutes",
            (!(1..=1440).contains(&after.cycle_interval_minutes))
                .then(|| "Minutes between full cycles, from 1 to 1440 (a day).".to_string()),
        ),
        (
            "compatibility.updates",
            (!matches!(
                after.compatibility.updates.as_str(),
                "" | "auto" | "patch" | "put"
            ))
            .then(|| {
                "Send updates as auto (what the application says it supports), patch or put."
                    .to_string()
            }),
        ),
        (
            "compatibility.member_chunk",
            after
                .compatibility
                .member_chunk
                .is_some_and(|n| !(1..=1000).contains(&n))
                .then(|| "Members per request, from 1 to 1000.".to_string()),
        ),
        (
            "compatibility.max_concurrency",
            after
                .compatibility
                .max_concurrency
                .is_some_and(|n| !(1..=64).contains(&n))
                .then(|| "Requests at once, from 1 to 64.".to_string()),
        ),
        (
            "notification_email",
            if email.is_empty() && after.notify_on_failure {
                Some("Enter the address to notify, or untick the notification.".to_string())
            } else if !email.is_empty() {
                super::auth::validate_email(email)
            } else {
                None
            },
        ),
    ]);
    if !fields.is_empty() {
        return Err(invalid(fields));
    }
    let value = serde_json::to_value(&after).map_err(internal)?;
    state
        .store
        .update_application(
            &app.id,
            ApplicationChange {
                settings: Some(value.clone()),
                // Who is in scope changed: every object must be looked at again.
                require_full_sync: before.scope != after.scope,
                ..Default::default()
            },
            version,
        )
        .await
        .map_err(store_error)?;
    actor
        .audit(
            state,
            AuditEntry::new("application.settings", &app.name)
                .change(serde_json::to_value(&before).map_err(internal)?, value),
        )
        .await;
    Ok(after)
}

/// The values a credentials form or API call gave, checked against the entry's fields:
/// (field, value or None to keep the stored one), or field messages keyed `cred.NAME`.
fn read_credentials(
    entry: &Entry,
    stored: &[StoredCredential],
    posted: &BTreeMap<String, String>,
) -> Result<Vec<(steward_gallery::CredentialField, Option<String>)>, Vec<FieldError>> {
    let mut out = Vec::new();
    let mut errors = Vec::new();
    for name in posted.keys() {
        if entry.credential(name).is_none() {
            errors.push(FieldError::new(
                format!("cred.{name}"),
                format!(
                    "{} has no credential {name:?}; it takes {}.",
                    entry.name,
                    entry
                        .credentials
                        .iter()
                        .map(|c| c.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
        }
    }
    for field in &entry.credentials {
        let posted = posted
            .get(&field.name)
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty());
        let is_set = stored
            .iter()
            .any(|s| s.field == field.name && !s.value.is_empty());
        let problem = match (&posted, field.kind) {
            (None, _) if field.required && !is_set => Some(format!("Enter the {}.", field.label)),
            (Some(v), CredentialKind::Url)
                if !(v.starts_with("https://") || v.starts_with("http://"))
                    || v.chars().any(char::is_whitespace) =>
            {
                Some(format!(
                    "Enter the full URL, starting with https:// (for example https://app.example.com/scim/v2); {v:?} is not one."
                ))
            }
            _ => None,
        };
        if let Some(message) = problem {
            errors.push(FieldError::new(format!("cred.{}", field.name), message));
        }
        out.push((field.clone(), posted));
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

/// An application with its gallery entry, its stored credentials, and posted credentials
/// checked against the entry's fields.
struct PostedCredentials {
    app: Application,
    entry: Entry,
    stored: Vec<StoredCredential>,
    /// Each field with the value posted for it (`None`: keep the stored one).
    fields: Vec<(steward_gallery::CredentialField, Option<String>)>,
}

async fn load_posted(
    state: &PortalState,
    id: &str,
    form: &BTreeMap<String, String>,
) -> Result<PostedCredentials, AppError> {
    let (app, entry) = load(state, id).await?;
    let stored = state.store.credentials(&app.id).await.map_err(internal)?;
    let fields = read_credentials(&entry, &stored, form).map_err(invalid)?;
    Ok(PostedCredentials {
        app,
        entry,
        stored,
        fields,
    })
}

/// Saves admin credentials. A secret left empty keeps the stored one; secrets are encrypted
/// with the installation's key, never sent back, and the audit log only says they changed.
pub async fn save_credentials(
    state: &PortalState,
    actor: &Actor,
    id: &str,
    version: i64,
    form: &BTreeMap<String, String>,
) -> Result<(), AppError> {
    actor.require(ROLE)?;
    let PostedCredentials {
        app,
        fields,
        stored,
        ..
    } = load_posted(state, id, form).await?;
    let redacted = |values: &mut dyn Iterator<Item = (String, String, bool)>| {
        serde_json::Value::Object(
            values
                .map(|(field, value, secret)| {
                    let shown = if secret { "[set]".to_string() } else { value };
                    (field, serde_json::Value::String(shown))
                })
                .collect(),
        )
    };
    let before = redacted(
        &mut stored
            .iter()
            .map(|s| (s.field.clone(), s.value.clone(), s.encrypted)),
    );
    let mut writes = Vec::new();
    let mut changed = Vec::new();
    for (field, value) in fields {
        let Some(value) = value else { continue };
        let secret = field.kind == CredentialKind::Secret;
        changed.push(if secret {
            format!("{}: replaced", field.name)
        } else {
            format!("{}: {value}", field.name)
        });
        writes.push(StoredCredential {
            field: field.name.clone(),
            value: if secret {
                state.secrets.seal(&value).map_err(internal)?
            } else {
                value
            },
            encrypted: secret,
        });
    }
    state
        .store
        .set_credentials(&app.id, writes.clone(), version)
        .await
        .map_err(store_error)?;
    let mut after_values: BTreeMap<String, (String, bool)> = stored
        .into_iter()
        .map(|s| (s.field, (s.value, s.encrypted)))
        .collect();
    for w in writes {
        after_values.insert(w.field, (w.value, w.encrypted));
    }
    let after = redacted(&mut after_values.into_iter().map(|(f, (v, e))| (f, v, e)));
    actor
        .audit(
            state,
            AuditEntry::new("application.credentials", &app.name)
                .detail(changed.join(", "))
                .change(before, after),
        )
        .await;
    Ok(())
}

/// Tests the given credentials (a secret left out: the stored one) without saving them, as
/// Entra's Test Connection does.
pub async fn test_connection(
    state: &PortalState,
    actor: &Actor,
    id: &str,
    form: &BTreeMap<String, String>,
) -> Result<TestResult, AppError> {
    actor.require(ROLE)?;
    let PostedCredentials {
        app,
        entry,
        stored,
        fields,
    } = load_posted(state, id, form).await?;
    let mut values: BTreeMap<String, String> = BTreeMap::new();
    for (field, posted) in fields {
        let value = match posted {
            Some(v) => v,
            None => match stored.iter().find(|s| s.field == field.name) {
                Some(s) if s.encrypted => state.secrets.open(&s.value).map_err(|problem| {
                    invalid(vec![FieldError::new(
                        format!("cred.{}", field.name),
                        problem,
                    )])
                })?,
                Some(s) => s.value.clone(),
                None => String::new(),
            },
        };
        values.insert(field.name.clone(), value);
    }
    let result = match entry.connector {
        Connector::Scim => {
            let mappings = mappings_of(&app, &entry);
            let matching = mappings
                .users
                .attributes
                .iter()
                .filter(|m| m.matching.is_some())
                .min_by_key(|m| m.matching)
                .map_or("userName".to_string(), |m| m.target.clone());
            let client = steward_connect::ScimClient::new(
                values.get("tenant_url").map_or("", String::as_str),
                values.get("secret_token").map_or("", String::as_str),
                std::time::Duration::from_secs(15),
            )
            .map_err(|e| internal(e.detail))?;
            TestResult::from(steward_connect::Connector::test_connection(&client, &matching).await)
        }
        Connector::Xmatters => {
            let value = |k: &str| values.get(k).cloned().unwrap_or_default();
            let target = steward_connect::XmattersTarget::from_domain(
                &value("domain"),
                value("username"),
                value("password"),
            );
            // An address that is no http(s) URL makes no connector; the target's own check
            // says what is wrong with it.
            TestResult::from(match target.connector() {
                Ok(c) => steward_connect::Connector::test_connection(&c, "targetName").await,
                Err(_) => target.test_connection().await,
            })
        }
    };
    let entry = AuditEntry::new("application.test_connection", &app.name);
    let entry = if result.ok {
        entry.detail("succeeded")
    } else {
        entry.detail(format!("failed at {}", result.step)).failed()
    };
    actor.audit(state, entry).await;
    Ok(result)
}

impl From<Result<steward_connect::Success, steward_connect::Failure>> for TestResult {
    fn from(r: Result<steward_connect::Success, steward_connect::Failure>) -> Self {
        match r {
            Ok(ok) => TestResult {
                ok: true,
                step: String::new(),
                status: Some(ok.status),
                detail: format!("{} answered {} as expected.", ok.request, ok.status),
                excerpt: None,
                hint: "Save the credentials to use them.".into(),
                millis: u64::try_from(ok.millis).ok(),
            },
            Err(f) => TestResult {
                ok: false,
                step: f.step.label().into(),
                status: f.status,
                detail: f.detail,
                excerpt: f.excerpt,
                hint: f.hint,
                millis: None,
            },
        }
    }
}

/// The application's mappings: its own once saved, else its entry's defaults. Mappings saved
/// by an older Steward that no longer read fall back to the defaults, with an error logged.
/// Attributes the target's `/Schemas` offered when last read, as cached on the application.
#[derive(Clone, Debug, serde::Deserialize)]
struct CachedTargetAttribute {
    path: String,
    object: String,
    #[serde(default)]
    attribute_type: String,
    #[serde(default)]
    required: bool,
}

fn cached_target(app: &Application) -> Vec<CachedTargetAttribute> {
    app.target_schema
        .as_ref()
        .and_then(|v| v.get("attributes").cloned())
        .and_then(|v| serde_json::from_value(v).ok())
        .unwrap_or_default()
}

/// The facts the target's cached schema adds to validation: its extension attributes and
/// required attributes.
fn target_facts(app: &Application) -> TargetFacts {
    use steward_gallery::{AttributeType, ExtensionAttribute, ExtensionSchema};
    let mut facts = TargetFacts::default();
    for a in cached_target(app) {
        let object = ObjectType::parse(&a.object).unwrap_or(ObjectType::Users);
        if a.required {
            facts.required.push((object, a.path.clone()));
        }
        // `urn:…:Schema:attr` paths declare the schema's attributes.
        if let Some((urn, name)) = a
            .path
            .starts_with("urn:")
            .then(|| a.path.rsplit_once(':'))
            .flatten()
        {
            let attribute = ExtensionAttribute {
                name: name.split('.').next().unwrap_or(name).to_string(),
                attribute_type: scim_type(&a.attribute_type).unwrap_or(AttributeType::String),
                description: None,
                app_default: None,
            };
            match facts.extensions.iter_mut().find(|s| s.urn == urn) {
                Some(s) => s.attributes.push(attribute),
                None => facts.extensions.push(ExtensionSchema {
                    urn: urn.to_string(),
                    object,
                    attributes: vec![attribute],
                }),
            }
        }
    }
    facts
}

fn scim_type(t: &str) -> Option<steward_gallery::AttributeType> {
    use steward_gallery::AttributeType as T;
    Some(match t.to_ascii_lowercase().as_str() {
        "string" => T::String,
        "boolean" => T::Boolean,
        "datetime" => T::DateTime,
        "integer" | "decimal" => T::Integer,
        "reference" => T::Reference,
        "binary" => T::Binary,
        _ => return None,
    })
}

/// The mapping editor's data: the mappings, what sources and targets can be picked.
pub async fn mappings(
    state: &PortalState,
    actor: &Actor,
    id: &str,
) -> Result<MappingsView, AppError> {
    actor.require(ROLE)?;
    let (app, entry) = load(state, id).await?;
    let mappings = mappings_of(&app, &entry);
    let sources = |object| {
        steward_gallery::sources::source_attributes(object)
            .iter()
            .map(|a| SourceOption {
                name: a.name.to_string(),
                attribute_type: a.attribute_type.to_string(),
                description: a.description.to_string(),
            })
            .collect::<Vec<_>>()
    };
    let cached = cached_target(&app);
    let targets = |object: ObjectType| {
        let mut out: Vec<TargetOption> = Vec::new();
        let mut add = |path: &str, attribute_type: String, required: bool, origin: &str| {
            if !out.iter().any(|t| t.path.eq_ignore_ascii_case(path)) {
                out.push(TargetOption {
                    path: path.to_string(),
                    attribute_type,
                    required,
                    origin: origin.to_string(),
                });
            }
        };
        for a in entry
            .mapping(object)
            .into_iter()
            .flat_map(|m| &m.attributes)
        {
            add(&a.target, a.target_type.to_string(), a.required, "gallery");
        }
        for schema in entry
            .extension_schemas
            .iter()
            .filter(|s| s.object == object)
        {
            for a in &schema.attributes {
                add(
                    &format!("{}:{}", schema.urn, a.name),
                    a.attribute_type.to_string(),
                    false,
                    "gallery",
                );
            }
        }
        for a in cached.iter().filter(|a| a.object == object.as_str()) {
            let t = scim_type(&a.attribute_type)
                .map_or_else(|| a.attribute_type.clone(), |t| t.to_string());
            add(&a.path, t, a.required, "target");
        }
        out
    };
    Ok(MappingsView {
        version: app.version,
        connector: entry.connector.as_str().into(),
        application: app.name.clone(),
        is_default: app.mappings.is_none(),
        full_sync_required: app.full_sync_required,
        groups_supported: entry.groups.is_some(),
        target_schema_read: !cached.is_empty(),
        mappings_json: serde_json::to_string(&mappings).map_err(internal)?,
        user_sources: sources(ObjectType::Users),
        group_sources: sources(ObjectType::Groups),
        user_targets: targets(ObjectType::Users),
        group_targets: targets(ObjectType::Groups),
    })
}

/// Problems as field errors keyed by the target they concern (`users.title`), or the object
/// (`users`) when they concern no single attribute.
fn problem_fields(problems: &[steward_gallery::Problem]) -> Vec<FieldError> {
    use steward_gallery::Problem as P;
    problems
        .iter()
        .map(|p| {
            let field = match p {
                P::DuplicateTarget { object, target }
                | P::BadTarget { object, target, .. }
                | P::BadExpression { object, target, .. }
                | P::UnknownSourceAttribute { object, target, .. }
                | P::RequiredWithoutValue { object, target }
                | P::DefaultOnConstant { object, target }
                | P::UndeclaredExtensionAttribute { object, target }
                | P::ExtensionTypeMismatch { object, target, .. }
                | P::MatchingZero { object, target }
                | P::MatchingNotFilterable { object, target }
                | P::MatchingWithoutValue { object, target, .. }
                | P::RequiredNotMapped { object, target }
                | P::TypeMismatch { object, target, .. } => format!("{object}.{target}"),
                P::DuplicatePrecedence { object, second, .. } => format!("{object}.{second}"),
                P::NoMatching { object } => object.to_string(),
                P::BadScope { object, .. } => format!("{object}.scope"),
                _ => "mappings".to_string(),
            };
            FieldError::new(field, p.to_string())
        })
        .collect()
}

/// Checks and saves the mappings (`None`: back to the gallery defaults). Saving marks the
/// application for a full re-evaluation: its next cycle looks at every object again.
pub async fn save_mappings(
    state: &PortalState,
    actor: &Actor,
    id: &str,
    version: i64,
    mappings: Option<AppMappings>,
) -> Result<MappingsView, AppError> {
    actor.require(ROLE)?;
    let (app, entry) = load(state, id).await?;
    let before = mappings_of(&app, &entry);
    let after = mappings
        .clone()
        .unwrap_or_else(|| AppMappings::defaults(&entry));
    let problems = after.validate(&entry, &target_facts(&app));
    if !problems.is_empty() {
        return Err(invalid(problem_fields(&problems)));
    }
    let stored = match &mappings {
        Some(m) => Some(serde_json::to_value(m).map_err(internal)?),
        None => None,
    };
    state
        .store
        .update_application(
            &app.id,
            ApplicationChange {
                mappings: Some(stored),
                require_full_sync: true,
                ..Default::default()
            },
            version,
        )
        .await
        .map_err(store_error)?;
    let entry_log = AuditEntry::new(
        if mappings.is_some() {
            "application.mappings"
        } else {
            "application.mappings_restored"
        },
        &app.name,
    )
    .detail(mapping_change_summary(&before, &after))
    .change(
        serde_json::to_value(&before).map_err(internal)?,
        serde_json::to_value(&after).map_err(internal)?,
    );
    actor.audit(state, entry_log).await;
    self::mappings(state, actor, id).await
}

/// "users: title changed, nickName added; users scope: 1 filter" for the audit detail.
fn mapping_change_summary(before: &AppMappings, after: &AppMappings) -> String {
    let mut parts = Vec::new();
    for object in [ObjectType::Users, ObjectType::Groups] {
        let (b, a) = (before.object(object), after.object(object));
        let targets = |m: Option<&steward_gallery::AppObjectMapping>| {
            m.map(|m| m.attributes.clone()).unwrap_or_default()
        };
        let (tb, ta) = (targets(b), targets(a));
        for m in &ta {
            match tb.iter().find(|x| x.target == m.target) {
                None => parts.push(format!("{object}: {} added", m.target)),
                Some(old) if old != m => parts.push(format!("{object}: {} changed", m.target)),
                Some(_) => {}
            }
        }
        for m in tb
            .iter()
            .filter(|m| ta.iter().all(|x| x.target != m.target))
        {
            parts.push(format!("{object}: {} removed", m.target));
        }
        if b.map(|m| &m.scope) != a.map(|m| &m.scope) {
            parts.push(format!(
                "{object}: scoping filters changed ({} now)",
                a.map_or(0, |m| m.scope.filters.len())
            ));
        }
        if b.map(|m| (m.enabled, m.actions)) != a.map(|m| (m.enabled, m.actions)) {
            parts.push(format!("{object}: provisioning or actions changed"));
        }
    }
    if parts.is_empty() {
        "no change".into()
    } else {
        parts.join("; ")
    }
}

/// Reads the target's `/Schemas` with the stored credentials and keeps what it offers, so the
/// mapping editor can offer the application's own attributes.
pub async fn read_target_schema(
    state: &PortalState,
    actor: &Actor,
    id: &str,
) -> Result<TestResult, AppError> {
    actor.require(ROLE)?;
    let PostedCredentials {
        app, entry, stored, ..
    } = load_posted(state, id, &BTreeMap::new()).await?;
    if entry.connector != Connector::Scim {
        return Err(invalid(vec![FieldError::new(
            "mappings",
            format!(
                "{} is not a SCIM application; its attributes are the gallery's.",
                entry.name
            ),
        )]));
    }
    let value = |name: &str| -> Result<String, AppError> {
        match stored.iter().find(|s| s.field == name) {
            Some(s) if s.encrypted => state.secrets.open(&s.value).map_err(internal),
            Some(s) => Ok(s.value.clone()),
            None => Ok(String::new()),
        }
    };
    let client = steward_connect::ScimClient::new(
        &value("tenant_url")?,
        &value("secret_token")?,
        std::time::Duration::from_secs(15),
    )
    .map_err(|e| internal(e.detail))?;
    let result = steward_connect::Connector::discover_schema(&client).await;
    let outcome = match result {
        Ok(None) => return Err(internal("the SCIM connector read no schema".to_string())),
        Ok(Some(schema)) => {
            let count = schema.attributes.len();
            let json = serde_json::json!({
                "read_at": chrono::Utc::now(),
                "attributes": schema.attributes.iter().map(|a| serde_json::json!({
                    "path": a.path,
                    "object": a.object.as_str(),
                    "attribute_type": a.attribute_type,
                    "required": a.required,
                })).collect::<Vec<_>>(),
            });
            state
                .store
                .set_target_schema(&app.id, json)
                .await
                .map_err(store_error)?;
            TestResult {
                ok: true,
                step: String::new(),
                status: Some(200),
                detail: format!("The application's /Schemas offered {count} attributes to map to."),
                excerpt: None,
                hint: "They are now offered as target attributes.".into(),
                millis: None,
            }
        }
        Err(f) => TestResult::from(Err::<steward_connect::Success, _>(f)),
    };
    let log = AuditEntry::new("application.read_schema", &app.name);
    let log = if outcome.ok {
        log.detail(outcome.detail.clone())
    } else {
        log.detail(format!("failed at {}", outcome.step)).failed()
    };
    actor.audit(state, log).await;
    Ok(outcome)
}

/// Who a scope admits now: the users (or groups) the application provisions by assignment or
/// all, passed through `scope`'s filters: how many, and the first names.
pub async fn scope_preview(
    state: &PortalState,
    actor: &Actor,
    id: &str,
    object: ObjectType,
    scope: &steward_expr::Scope,
) -> Result<ScopePreview, AppError> {
    const SHOWN: usize = 10;
    const BATCH: u32 = 1000;
    actor.require(ROLE)?;
    let (app, entry) = load(state, id).await?;
    let compiled = scope.compile().map_err(|e| {
        invalid(vec![FieldError::new(
            format!("{object}.scope"),
            e.to_string(),
        )])
    })?;
    let settings = settings_of(&app, &entry);
    let assigned: Option<HashSet<String>> = if settings.scope == "assigned" {
        Some(assigned_principals(state, &app.id, object).await?)
    } else {
        None
    };
    let mut preview = ScopePreview::default();
    // The first names alphabetically: the smallest SHOWN seen so far.
    let mut first = std::collections::BTreeSet::new();
    let mut consider = |id: &str, name: &str, resource: &serde_json::Value| {
        if assigned.as_ref().is_some_and(|set| !set.contains(id)) {
            return;
        }
        preview.considered += 1;
        let source = match object {
            ObjectType::Users => DirectoryObject::user(resource, false),
            ObjectType::Groups => DirectoryObject::group(resource, false),
        };
        if compiled.admits(&source) {
            preview.in_scope += 1;
            first.insert(name.to_string());
            if first.len() > SHOWN {
                first.pop_last();
            }
        }
    };
    match object {
        ObjectType::Users => {
            let mut after = None;
            loop {
                let batch = state
                    .store
                    .scan_users(after, BATCH, None)
                    .await
                    .map_err(internal)?;
                for u in &batch {
                    let resource = u.to_scim();
                    let name = resource
                        .get("displayName")
                        .and_then(|v| v.as_str())
                        .or_else(|| resource.get("userName").and_then(|v| v.as_str()))
                        .unwrap_or_default()
                        .to_string();
                    consider(&u.id.to_string(), &name, &resource);
                }
                match batch.last() {
                    Some(u) if batch.len() == BATCH as usize => after = Some(u.id),
                    _ => break,
                }
            }
        }
        ObjectType::Groups => {
            let mut after = None;
            loop {
                let batch = state
                    .store
                    .scan_groups(after, BATCH, None)
                    .await
                    .map_err(internal)?;
                for g in &batch {
                    let resource = g.to_scim();
                    let name = resource
                        .get("displayName")
                        .and_then(|v| v.as_str())
                        .unwrap_or_default()
                        .to_string();
                    consider(&g.id.to_string(), &name, &resource);
                }
                match batch.last() {
                    Some(g) if batch.len() == BATCH as usize => after = Some(g.id),
                    _ => break,
                }
            }
        }
    }
    preview.scope = settings.scope;
    preview.first = first.into_iter().collect();
    Ok(preview)
}

/// The ids an application provisions by assignment: assigned users and the direct members of
/// assigned groups (for users), or the assigned groups (for groups).
async fn assigned_principals(
    state: &PortalState,
    app: &str,
    object: ObjectType,
) -> Result<HashSet<String>, AppError> {
    use steward_store::MemberType;
    let assignments = state
        .store
        .assignments(app, None, u32::MAX)
        .await
        .map_err(internal)?;
    let mut out = HashSet::new();
    for a in assignments.items {
        match (object, a.principal_type) {
            (ObjectType::Users, MemberType::User) | (ObjectType::Groups, MemberType::Group) => {
                out.insert(a.principal_id);
            }
            (ObjectType::Users, MemberType::Group) => {
                let Some(group) = steward_store::GroupId::parse(&a.principal_id) else {
                    continue;
                };
                for m in state.store.members(group).await.map_err(internal)? {
                    if m.member_type == MemberType::User {
                        out.insert(m.id);
                    }
                }
            }
            (ObjectType::Groups, MemberType::User) => {}
        }
    }
    Ok(out)
}

/// Evaluates one attribute mapping for a real directory user (found by userName, e-mail or
/// display name) or group (by display name), as the engine would.
pub async fn test_mapping(
    state: &PortalState,
    actor: &Actor,
    object: ObjectType,
    mapping: &steward_gallery::AttributeMapping,
    who: &str,
) -> Result<MappingTest, AppError> {
    actor.require(ROLE)?;
    let who = who.trim();
    let resource = find_directory_object(state, object, who).await?;
    let source = match object {
        ObjectType::Users => DirectoryObject::user(&resource, false),
        ObjectType::Groups => DirectoryObject::group(&resource, false),
    };
    let name = resource
        .get("displayName")
        .or_else(|| resource.get("userName"))
        .and_then(|v| v.as_str())
        .unwrap_or(who)
        .to_string();
    let mut ctx = steward_expr::FixedContext::new(chrono::Utc::now(), rand_seed());
    Ok(match mapping.evaluate(&source, &mut ctx) {
        Ok(Some(value)) => MappingTest {
            object_name: name,
            value: Some(value.to_string()),
            error: None,
        },
        Ok(None) => MappingTest {
            object_name: name,
            value: None,
            error: None,
        },
        Err(e) => MappingTest {
            object_name: name,
            value: None,
            error: Some(e),
        },
    })
}

/// The directory user (by userName, e-mail or display name) or group (by display name) an
/// admin named, as its SCIM resource; a field error naming `test_who` when there is none.
pub(crate) async fn find_directory_object(
    state: &PortalState,
    object: ObjectType,
    who: &str,
) -> Result<serde_json::Value, AppError> {
    use steward_store::Lookup;
    let found = match object {
        ObjectType::Users => {
            let mut found = None;
            for lookup in [
                Lookup::Id(who.to_string()),
                Lookup::UserName(who.to_string()),
                Lookup::Email(who.to_string()),
                Lookup::DisplayName(who.to_string()),
            ] {
                if let Some(u) = state
                    .store
                    .find_users(&lookup)
                    .await
                    .map_err(internal)?
                    .into_iter()
                    .next()
                {
                    found = Some(u.to_scim());
                    break;
                }
            }
            found
        }
        ObjectType::Groups => state
            .store
            .find_groups(&Lookup::DisplayName(who.to_string()))
            .await
            .map_err(internal)?
            .into_iter()
            .next()
            .map(|g| g.to_scim()),
    };
    found.ok_or_else(|| {
        invalid(vec![FieldError::new(
            "test_who",
            format!(
                "No {} is called {who:?}; enter a userName, e-mail address or display name from the directory.",
                if object == ObjectType::Users { "user" } else { "group" }
            ),
        )])
    })
}

/// The stored value of a credential field, opened when it is a secret.
/// Provisions one directory user now, through the engine's own path, and returns its trace
/// (import, scope with each clause, matching, the request sent, references).
pub async fn provision_on_demand(
    state: &PortalState,
    actor: &Actor,
    id: &str,
    who: &str,
    dry_run: bool,
) -> Result<steward_engine::Outcome, AppError> {
    actor.require(ROLE)?;
    let (app, _) = load(state, id).await?;
    let resource = find_directory_object(state, ObjectType::Users, who).await?;
    let user_id = resource["id"].as_str().unwrap_or_default().to_string();
    let ctx = state
        .engine_host
        .context(app.clone())
        .await
        .map_err(internal)?;
    let outcome = steward_engine::provision_user(state.store.as_ref(), &ctx, &user_id, dry_run)
        .await
        .map_err(store_error)?;
    let log = AuditEntry::new("application.provision_on_demand", &app.name)
        .detail(format!("{who}: {} ({})", outcome.action, outcome.status));
    let log = if outcome.status == "failure" {
        log.failed()
    } else {
        log
    };
    actor.audit(state, log).await;
    Ok(outcome)
}

/// Provisions one directory group now with its members (members first, then the group and
/// its member difference), through the engine's own path: the group's trace and each
/// member's.
pub async fn provision_group_on_demand(
    state: &PortalState,
    actor: &Actor,
    id: &str,
    which: &str,
    dry_run: bool,
) -> Result<(steward_engine::Outcome, Vec<steward_engine::Outcome>), AppError> {
    actor.require(ROLE)?;
    let (app, _) = load(state, id).await?;
    let resource = find_directory_object(state, ObjectType::Groups, which).await?;
    let group_id = resource["id"].as_str().unwrap_or_default().to_string();
    let ctx = state
        .engine_host
        .context(app.clone())
        .await
        .map_err(internal)?;
    let (group, members) = steward_engine::provision_group_with_members(
        state.store.as_ref(),
        &ctx,
        &group_id,
        dry_run,
        None,
    )
    .await
    .map_err(store_error)?;
    let failures = members
        .iter()
        .chain(std::iter::once(&group))
        .filter(|o| o.status == "failure")
        .count();
    let log = AuditEntry::new("application.provision_on_demand", &app.name).detail(format!(
        "group {which}: {} ({}), {} member(s), {failures} failure(s)",
        group.action,
        group.status,
        members.len()
    ));
    actor
        .audit(state, if failures > 0 { log.failed() } else { log })
        .await;
    Ok((group, members))
}

/// The provisioning log of an application, newest first: every entry, or one directory
/// object's (`source`: its id); `before` pages back, at most `limit` (capped at 500).
pub async fn provisioning_log(
    state: &PortalState,
    actor: &Actor,
    id: &str,
    source: Option<&str>,
    before: Option<i64>,
    limit: u32,
) -> Result<Vec<steward_store::LogEntry>, AppError> {
    actor.require(ROLE)?;
    let (app, _) = load(state, id).await?;
    state
        .store
        .provisioning_log(&app.id, source, before, limit.clamp(1, 500))
        .await
        .map_err(internal)
}

fn rand_seed() -> u64 {
    u64::from(uuid::Uuid::new_v4().as_u128() as u32)
}

/// The users and groups assigned to an application, by name, filtered; a hundred at most.
pub async fn assignments(
    state: &PortalState,
    actor: &Actor,
    id: &str,
    filter: &str,
) -> Result<AssignmentPage, AppError> {
    actor.require(ROLE)?;
    let (app, _) = load(state, id).await?;
    let page = state
        .store
        .assignments(&app.id, Some(filter), 100)
        .await
        .map_err(internal)?;
    Ok(AssignmentPage {
        rows: page
            .items
            .into_iter()
            .map(|a| AssignmentRow {
                id: a.principal_id,
                kind: a.principal_type.scim_name().into(),
                display: a.display,
                detail: a.user_name,
                role: a.role,
            })
            .collect(),
        total: page.total,
    })
}

/// Users and groups matching `query` that are not assigned yet.
pub async fn assignment_candidates(
    state: &PortalState,
    actor: &Actor,
    id: &str,
    query: &str,
) -> Result<Vec<crate::api::MemberRow>, AppError> {
    actor.require(ROLE)?;
    let query = query.trim();
    if query.is_empty() {
        return Ok(Vec::new());
    }
    let (app, _) = load(state, id).await?;
    let mut out = crate::api::directory_candidates(state, query).await?;
    let assigned = state
        .store
        .assignments(&app.id, None, u32::MAX)
        .await
        .map_err(internal)?;
    let assigned: HashSet<String> = assigned.items.into_iter().map(|a| a.principal_id).collect();
    out.retain(|c| !assigned.contains(&c.id));
    Ok(out)
}

/// Assigns a user or group (`kind` "User" or "Group") with one of the application's roles
/// (empty: "User").
pub async fn assign(
    state: &PortalState,
    actor: &Actor,
    id: &str,
    member: &str,
    kind: &str,
    role: &str,
) -> Result<(), AppError> {
    actor.require(ROLE)?;
    let (app, _) = load(state, id).await?;
    let role = match role.trim() {
        "" => "User",
        r => r,
    };
    let Some(role) = app.roles.iter().find(|r| r.eq_ignore_ascii_case(role)) else {
        return Err(invalid(vec![FieldError::new(
            "role",
            format!(
                "{} has no app role {role:?}; its roles are {}. Add the role to the application first.",
                app.name,
                app.roles.join(", ")
            ),
        )]));
    };
    let member_type = match kind.to_ascii_lowercase().as_str() {
        "group" => steward_store::MemberType::Group,
        "user" | "" => steward_store::MemberType::User,
        other => {
            return Err(invalid(vec![FieldError::new(
                "kind",
                format!("Assign a \"User\" or a \"Group\", not {other:?}."),
            )]))
        }
    };
    state
        .store
        .assign(
            &app.id,
            steward_store::Member {
                id: member.to_string(),
                member_type,
            },
            role,
        )
        .await
        .map_err(store_error)?;
    actor
        .audit(
            state,
            AuditEntry::new("application.assign", &app.name)
                .detail(format!("{} {member} as {role}", member_type.scim_name())),
        )
        .await;
    Ok(())
}

pub async fn unassign(
    state: &PortalState,
    actor: &Actor,
    id: &str,
    member: &str,
) -> Result<(), AppError> {
    actor.require(ROLE)?;
    let (app, _) = load(state, id).await?;
    let removed = state
        .store
        .unassign(&app.id, member)
        .await
        .map_err(store_error)?;
    if !removed {
        return Err(not_found("assignment of", member));
    }
    actor
        .audit(
            state,
            AuditEntry::new("application.unassign", &app.name).detail(member.to_string()),
        )
        .await;
    Ok(())
}
