//! Server functions of the enterprise applications pages: the gallery, creating an
//! application from an entry, its settings and admin credentials (secrets encrypted at rest,
//! never sent back), and Test Connection.

use crate::error::AppError;
use chrono::{DateTime, Utc};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[cfg(feature = "ssr")]
use super::{audit, directory_error};
#[cfg(feature = "ssr")]
use crate::server as srv;
#[cfg(feature = "ssr")]
use steward_store::Role;

/// A gallery entry as a tile.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GalleryTile {
    pub id: String,
    pub name: String,
    pub publisher: String,
    pub description: String,
    pub category: String,
    /// "scim" or "xmatters".
    pub connector: String,
}

/// The gallery entries whose name, publisher, description or category contains `search`.
#[server(endpoint = "gallery")]
pub async fn gallery(search: String) -> Result<Vec<GalleryTile>, AppError> {
    srv::require_role(Role::GlobalAdministrator)?;
    let state = srv::portal_state()?;
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
    // "Create your own application" first, then the gallery by name.
    tiles.sort_by_key(|t| (t.id != "custom-scim", t.name.to_lowercase()));
    Ok(tiles)
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ApplicationRow {
    pub id: String,
    pub name: String,
    pub gallery_name: String,
    pub provisioning_mode: String,
    pub updated_at: DateTime<Utc>,
}

#[server(endpoint = "applications")]
pub async fn list_applications() -> Result<Vec<ApplicationRow>, AppError> {
    srv::require_role(Role::GlobalAdministrator)?;
    let state = srv::portal_state()?;
    let apps = state
        .store
        .list_applications()
        .await
        .map_err(srv::internal)?;
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

/// Adds an application from a gallery entry and opens its page.
#[server(endpoint = "application_create")]
pub async fn create_application(gallery_id: String, name: String) -> Result<(), AppError> {
    use crate::error::field_errors;
    let session = srv::require_role(Role::GlobalAdministrator)?;
    let state = srv::portal_state()?;
    let Some(entry) = state.gallery.get(&gallery_id) else {
        srv::set_status(404);
        return Err(AppError::new(
            crate::error::ErrorCode::NotFound,
            format!("The gallery has no application {gallery_id:?}."),
        ));
    };
    let name = name.trim().to_string();
    if name.is_empty() || name.chars().count() > 256 {
        srv::set_status(422);
        return Err(AppError::invalid(field_errors([(
            "name",
            Some("Name the application (at most 256 characters).".to_string()),
        )])));
    }
    let app = state
        .store
        .create_application(&entry.id, &name)
        .await
        .map_err(directory_error)?;
    audit(
        &state,
        &session.admin.email,
        "application.create",
        Some(&name),
        steward_store::Outcome::Success,
        Some(format!("from the gallery entry {}", entry.name)),
    )
    .await;
    leptos_axum::redirect(&format!("/applications/{}", app.id));
    Ok(())
}

/// One admin credential field as the form shows it: secrets only say whether one is set.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CredentialView {
    pub name: String,
    pub label: String,
    /// "url", "secret" or "text".
    pub kind: String,
    pub required: bool,
    pub help: String,
    /// The stored value of a non-secret field; always empty for secrets.
    pub value: String,
    /// Whether a value is stored (for secrets, the only thing the browser learns).
    pub is_set: bool,
}

/// How an application is provisioned (the Settings section of Entra's provisioning page).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ProvisioningSettings {
    /// "assigned" (only assigned users and groups) or "all".
    pub scope: String,
    pub prevent_accidental_deletion: bool,
    /// Disables and deletes above this many in one cycle are held for an admin to allow.
    pub deletion_threshold: u32,
    pub skip_out_of_scope_deletions: bool,
    pub cycle_interval_minutes: u32,
    pub notification_email: String,
    pub notify_on_failure: bool,
}

impl Default for ProvisioningSettings {
    fn default() -> Self {
        ProvisioningSettings {
            scope: "assigned".into(),
            prevent_accidental_deletion: true,
            deletion_threshold: 500,
            skip_out_of_scope_deletions: false,
            cycle_interval_minutes: 40,
            notification_email: String::new(),
            notify_on_failure: false,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ApplicationDetail {
    pub id: String,
    pub name: String,
    pub gallery_id: String,
    pub gallery_name: String,
    pub connector: String,
    pub provisioning_mode: String,
    pub version: i64,
    pub notes: Vec<String>,
    pub credentials: Vec<CredentialView>,
    pub settings: ProvisioningSettings,
    pub updated_at: DateTime<Utc>,
}

#[cfg(feature = "ssr")]
async fn load(
    state: &srv::PortalState,
    id: &str,
) -> Result<(steward_store::Application, steward_gallery::Entry), AppError> {
    let app = state
        .store
        .application(id)
        .await
        .map_err(srv::internal)?
        .ok_or_else(|| {
            directory_error(steward_store::StoreError::NotFound {
                what: "application",
                id: id.to_string(),
            })
        })?;
    let entry = state.gallery.get(&app.gallery_id).cloned().ok_or_else(|| {
        srv::internal(format!(
            "application {id} names the gallery entry {:?}, which is not installed",
            app.gallery_id
        ))
    })?;
    Ok((app, entry))
}

#[server(endpoint = "application")]
pub async fn get_application(id: String) -> Result<ApplicationDetail, AppError> {
    srv::require_role(Role::GlobalAdministrator)?;
    let state = srv::portal_state()?;
    let (app, entry) = load(&state, &id).await?;
    let stored = state
        .store
        .credentials(&app.id)
        .await
        .map_err(srv::internal)?;
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
    let settings = settings_of(&app, &entry);
    Ok(ApplicationDetail {
        settings,
        id: app.id,
        name: app.name,
        gallery_id: entry.id.clone(),
        gallery_name: entry.name.clone(),
        connector: entry.connector.as_str().into(),
        provisioning_mode: app.provisioning_mode,
        version: app.version,
        notes: entry.notes.clone(),
        credentials,
        updated_at: app.updated_at,
    })
}

/// The stored settings, with defaults (the entry's cycle interval among them) for what was
/// never set.
#[cfg(feature = "ssr")]
fn settings_of(
    app: &steward_store::Application,
    entry: &steward_gallery::Entry,
) -> ProvisioningSettings {
    let defaults = ProvisioningSettings {
        cycle_interval_minutes: entry.cycle_interval_minutes,
        ..Default::default()
    };
    if app.settings.as_object().is_none_or(|m| m.is_empty()) {
        return defaults;
    }
    serde_json::from_value(app.settings.clone()).unwrap_or(defaults)
}

/// The settings form as posted (`form[scope]`, checkboxes present when ticked).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SettingsForm {
    #[serde(default)]
    pub scope: String,
    #[serde(default)]
    pub prevent_accidental_deletion: Option<String>,
    #[serde(default)]
    pub deletion_threshold: String,
    #[serde(default)]
    pub skip_out_of_scope_deletions: Option<String>,
    #[serde(default)]
    pub cycle_interval_minutes: String,
    #[serde(default)]
    pub notification_email: String,
    #[serde(default)]
    pub notify_on_failure: Option<String>,
}

/// Saves the provisioning settings; `version` is the one the admin saw, so another admin's
/// newer change is never overwritten.
#[server(endpoint = "application_settings")]
pub async fn save_settings(id: String, version: i64, form: SettingsForm) -> Result<(), AppError> {
    use crate::error::field_errors;
    let session = srv::require_role(Role::GlobalAdministrator)?;
    let state = srv::portal_state()?;
    let (app, entry) = load(&state, &id).await?;
    let before = settings_of(&app, &entry);
    let threshold = form
        .deletion_threshold
        .trim()
        .parse::<u32>()
        .ok()
        .filter(|n| (1..=1_000_000).contains(n));
    let interval = form
        .cycle_interval_minutes
        .trim()
        .parse::<u32>()
        .ok()
        .filter(|n| (1..=1440).contains(n));
    let email = form.notification_email.trim().to_string();
    let notify = form.notify_on_failure.is_some();
    let fields = field_errors([
        (
            "scope",
            (!matches!(form.scope.as_str(), "assigned" | "all"))
                .then(|| "Choose who is provisioned.".to_string()),
        ),
        (
            "deletion_threshold",
            threshold
                .is_none()
                .then(|| "A whole number from 1 to 1,000,000.".to_string()),
        ),
        (
            "cycle_interval_minutes",
            interval
                .is_none()
                .then(|| "Minutes between full cycles, from 1 to 1440 (a day).".to_string()),
        ),
        (
            "notification_email",
            if email.is_empty() && notify {
                Some("Enter the address to notify, or untick the notification.".to_string())
            } else if !email.is_empty() {
                srv::auth::validate_email(&email)
            } else {
                None
            },
        ),
    ]);
    let (Some(deletion_threshold), Some(cycle_interval_minutes)) = (threshold, interval) else {
        srv::set_status(422);
        return Err(AppError::invalid(fields));
    };
    if !fields.is_empty() {
        srv::set_status(422);
        return Err(AppError::invalid(fields));
    }
    let after = ProvisioningSettings {
        scope: form.scope.clone(),
        prevent_accidental_deletion: form.prevent_accidental_deletion.is_some(),
        deletion_threshold,
        skip_out_of_scope_deletions: form.skip_out_of_scope_deletions.is_some(),
        cycle_interval_minutes,
        notification_email: email,
        notify_on_failure: notify,
    };
    let value = serde_json::to_value(&after).map_err(srv::internal)?;
    state
        .store
        .set_application_settings(&app.id, value, version)
        .await
        .map_err(directory_error)?;
    audit(
        &state,
        &session.admin.email,
        "application.settings",
        Some(&app.name),
        steward_store::Outcome::Success,
        Some(settings_change(&before, &after)),
    )
    .await;
    Ok(())
}

/// "scope: assigned -> all, deletion_threshold: 500 -> 50" for the audit log.
#[cfg(feature = "ssr")]
fn settings_change(before: &ProvisioningSettings, after: &ProvisioningSettings) -> String {
    let (Ok(serde_json::Value::Object(b)), Ok(serde_json::Value::Object(a))) =
        (serde_json::to_value(before), serde_json::to_value(after))
    else {
        return String::new();
    };
    let changes: Vec<String> = a
        .iter()
        .filter(|(k, v)| b.get(*k) != Some(*v))
        .map(|(k, v)| format!("{k}: {} -> {v}", b.get(k).cloned().unwrap_or_default()))
        .collect();
    if changes.is_empty() {
        "no change".into()
    } else {
        changes.join(", ")
    }
}

/// Renames an application and sets its provisioning mode ("manual" or "automatic").
#[server(endpoint = "application_update")]
pub async fn update_application(
    id: String,
    version: i64,
    name: String,
    provisioning_mode: String,
) -> Result<(), AppError> {
    let session = srv::require_role(Role::GlobalAdministrator)?;
    let state = srv::portal_state()?;
    let (before, _) = load(&state, &id).await?;
    let app = state
        .store
        .update_application(&id, &name, &provisioning_mode, version)
        .await
        .map_err(directory_error)?;
    audit(
        &state,
        &session.admin.email,
        "application.update",
        Some(&app.name),
        steward_store::Outcome::Success,
        Some(format!(
            "name {:?} -> {:?}, provisioning {} -> {}",
            before.name, app.name, before.provisioning_mode, app.provisioning_mode
        )),
    )
    .await;
    Ok(())
}

/// The values a credentials form posted (`form[NAME]`) checked against the entry's fields:
/// (field, value or None to keep the stored one), or field messages keyed `cred.NAME`.
#[cfg(feature = "ssr")]
fn read_credentials(
    entry: &steward_gallery::Entry,
    stored: &[steward_store::StoredCredential],
    posted: &BTreeMap<String, String>,
) -> Result<Vec<(steward_gallery::CredentialField, Option<String>)>, Vec<crate::error::FieldError>>
{
    use steward_gallery::CredentialKind;
    let mut out = Vec::new();
    let mut errors = Vec::new();
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
            errors.push(crate::error::FieldError {
                field: format!("cred.{}", field.name),
                message,
            });
        }
        out.push((field.clone(), posted));
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

/// An application with its gallery entry, its stored credentials, and a posted credentials
/// form checked against the entry's fields.
#[cfg(feature = "ssr")]
struct PostedCredentials {
    app: steward_store::Application,
    entry: steward_gallery::Entry,
    stored: Vec<steward_store::StoredCredential>,
    /// Each field with the value posted for it (`None`: keep the stored one).
    fields: Vec<(steward_gallery::CredentialField, Option<String>)>,
}

#[cfg(feature = "ssr")]
async fn load_form(
    state: &srv::PortalState,
    id: &str,
    form: &BTreeMap<String, String>,
) -> Result<PostedCredentials, AppError> {
    let (app, entry) = load(state, id).await?;
    let stored = state
        .store
        .credentials(&app.id)
        .await
        .map_err(srv::internal)?;
    let fields = read_credentials(&entry, &stored, form).map_err(|errors| {
        srv::set_status(422);
        AppError::invalid(errors)
    })?;
    Ok(PostedCredentials {
        app,
        entry,
        stored,
        fields,
    })
}

/// Saves the admin credentials. A secret left empty keeps the stored one; secrets are
/// encrypted with the installation's key and never sent back.
#[server(endpoint = "application_credentials")]
pub async fn save_credentials(
    id: String,
    version: i64,
    form: BTreeMap<String, String>,
) -> Result<(), AppError> {
    use steward_gallery::CredentialKind;
    let session = srv::require_role(Role::GlobalAdministrator)?;
    let state = srv::portal_state()?;
    let PostedCredentials { app, fields, .. } = load_form(&state, &id, &form).await?;
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
        writes.push(steward_store::StoredCredential {
            field: field.name.clone(),
            value: if secret {
                state.secrets.seal(&value).map_err(srv::internal)?
            } else {
                value
            },
            encrypted: secret,
        });
    }
    state
        .store
        .set_credentials(&app.id, writes, version)
        .await
        .map_err(directory_error)?;
    audit(
        &state,
        &session.admin.email,
        "application.credentials",
        Some(&app.name),
        steward_store::Outcome::Success,
        Some(changed.join(", ")),
    )
    .await;
    Ok(())
}

/// The outcome of Test Connection, for the page.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TestResult {
    pub ok: bool,
    /// The failed step's label ("DNS", "Authentication", ...); empty on success.
    pub step: String,
    pub status: Option<u16>,
    pub detail: String,
    pub excerpt: Option<String>,
    pub hint: String,
    pub millis: Option<u64>,
}

/// Tests the credentials in the form (a secret left empty: the stored one), without saving
/// them, as Entra's Test Connection does.
#[server(endpoint = "application_test_connection")]
pub async fn test_connection(
    id: String,
    form: BTreeMap<String, String>,
) -> Result<TestResult, AppError> {
    use steward_gallery::Connector;
    let session = srv::require_role(Role::GlobalAdministrator)?;
    let state = srv::portal_state()?;
    let PostedCredentials {
        app,
        entry,
        stored,
        fields,
    } = load_form(&state, &id, &form).await?;
    let mut values: BTreeMap<String, String> = BTreeMap::new();
    for (field, posted) in fields {
        let value = match posted {
            Some(v) => v,
            None => match stored.iter().find(|s| s.field == field.name) {
                Some(s) if s.encrypted => state.secrets.open(&s.value).map_err(|problem| {
                    AppError::invalid(vec![crate::error::FieldError {
                        field: format!("cred.{}", field.name),
                        message: problem,
                    }])
                })?,
                Some(s) => s.value.clone(),
                None => String::new(),
            },
        };
        values.insert(field.name.clone(), value);
    }
    let result = match entry.connector {
        Connector::Scim => {
            let matching = entry
                .users
                .attributes
                .iter()
                .filter(|m| m.matching.is_some())
                .min_by_key(|m| m.matching)
                .map_or("userName".to_string(), |m| m.target.clone());
            let probe = uuid::Uuid::new_v4().to_string();
            let target = steward_connect::ScimTarget::new(
                values.get("tenant_url").cloned().unwrap_or_default(),
                values.get("secret_token").cloned().unwrap_or_default(),
            );
            match target.test_connection(&matching, &probe).await {
                Ok(ok) => TestResult {
                    ok: true,
                    step: String::new(),
                    status: Some(ok.status),
                    detail: format!(
                        "{} answered {} as a SCIM service should.",
                        ok.request, ok.status
                    ),
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
        Connector::Xmatters => TestResult {
            ok: false,
            step: "Not available yet".into(),
            status: None,
            detail: "Test Connection for xMatters arrives with its connector.".into(),
            excerpt: None,
            hint: "Save the credentials now; they are kept encrypted.".into(),
            millis: None,
        },
    };
    audit(
        &state,
        &session.admin.email,
        "application.test_connection",
        Some(&app.name),
        if result.ok {
            steward_store::Outcome::Success
        } else {
            steward_store::Outcome::Failure
        },
        Some(if result.ok {
            "succeeded".to_string()
        } else {
            format!("failed at {}", result.step)
        }),
    )
    .await;
    Ok(result)
}

/// An assignment as the application page lists it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AssignmentRow {
    pub id: String,
    /// "User" or "Group".
    pub kind: String,
    pub display: String,
    pub detail: String,
    pub role: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AssignmentPage {
    pub rows: Vec<AssignmentRow>,
    pub total: i64,
}

/// The users and groups assigned to an application, by name, filtered; a hundred at most.
#[server(endpoint = "application_assignments")]
pub async fn application_assignments(
    id: String,
    filter: String,
) -> Result<AssignmentPage, AppError> {
    srv::require_role(Role::GlobalAdministrator)?;
    let state = srv::portal_state()?;
    let (app, _) = load(&state, &id).await?;
    let page = state
        .store
        .assignments(&app.id, Some(filter.as_str()), 100)
        .await
        .map_err(srv::internal)?;
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
#[server(endpoint = "application_assignment_candidates")]
pub async fn assignment_candidates(
    id: String,
    query: String,
) -> Result<Vec<super::MemberRow>, AppError> {
    srv::require_role(Role::GlobalAdministrator)?;
    let state = srv::portal_state()?;
    let query = query.trim().to_string();
    if query.is_empty() {
        return Ok(Vec::new());
    }
    let (app, _) = load(&state, &id).await?;
    let mut out = super::groups::directory_candidates(&state, &query).await?;
    let assigned = state
        .store
        .assignments(&app.id, None, u32::MAX)
        .await
        .map_err(srv::internal)?;
    let assigned: std::collections::HashSet<String> =
        assigned.items.into_iter().map(|a| a.principal_id).collect();
    out.retain(|c| !assigned.contains(&c.id));
    Ok(out)
}

/// Assigns a user or group (`kind` "User" or "Group") with a role (default "User").
#[server(endpoint = "application_assign")]
pub async fn assign(
    application: String,
    member: String,
    kind: String,
    role: String,
) -> Result<(), AppError> {
    let session = srv::require_role(Role::GlobalAdministrator)?;
    let state = srv::portal_state()?;
    let (app, _) = load(&state, &application).await?;
    let member_type = if kind.eq_ignore_ascii_case("group") {
        steward_store::MemberType::Group
    } else {
        steward_store::MemberType::User
    };
    state
        .store
        .assign(
            &app.id,
            steward_store::Member {
                id: member.clone(),
                member_type,
            },
            &role,
        )
        .await
        .map_err(directory_error)?;
    audit(
        &state,
        &session.admin.email,
        "application.assign",
        Some(&app.name),
        steward_store::Outcome::Success,
        Some(format!(
            "{kind} {member} as {}",
            if role.trim().is_empty() {
                "User"
            } else {
                role.trim()
            }
        )),
    )
    .await;
    Ok(())
}

#[server(endpoint = "application_unassign")]
pub async fn unassign(application: String, member: String) -> Result<(), AppError> {
    let session = srv::require_role(Role::GlobalAdministrator)?;
    let state = srv::portal_state()?;
    let (app, _) = load(&state, &application).await?;
    state
        .store
        .unassign(&app.id, &member)
        .await
        .map_err(directory_error)?;
    audit(
        &state,
        &session.admin.email,
        "application.unassign",
        Some(&app.name),
        steward_store::Outcome::Success,
        Some(member),
    )
    .await;
    Ok(())
}
