//! Wire types and server functions of the enterprise applications pages: the gallery,
//! creating an application, its settings and admin credentials (secrets encrypted at rest,
//! never sent back), Test Connection, attribute mappings with scoping filters, and
//! assignments. Each server function only identifies the admin and calls the applications
//! service (`crate::server::applications`), which the `/api/v1` REST API calls too.

use crate::error::AppError;
use chrono::{DateTime, Utc};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[cfg(feature = "ssr")]
use crate::server::{self as srv, applications as service, Actor};
#[cfg(feature = "ssr")]
use steward_store::Role;

/// The admin asking, with the state: what every server function here starts with.
#[cfg(feature = "ssr")]
fn context() -> Result<(srv::PortalState, Actor), AppError> {
    let actor = Actor::portal(Role::GlobalAdministrator)?;
    Ok((srv::portal_state()?, actor))
}

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
    let (state, actor) = context()?;
    service::gallery(&state, &actor, &search)
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
    let (state, actor) = context()?;
    service::list(&state, &actor).await
}

/// Adds an application from a gallery entry and opens its page.
#[server(endpoint = "application_create")]
pub async fn create_application(gallery_id: String, name: String) -> Result<(), AppError> {
    let (state, actor) = context()?;
    let app = service::create(&state, &actor, &gallery_id, &name).await?;
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

pub use steward_sync::ProvisioningSettings;

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
    /// E-mail addresses of the admins responsible for the application.
    pub owners: Vec<String>,
    /// The app roles assignments can carry ("User" first).
    pub roles: Vec<String>,
    /// Mappings or scope changed since the last cycle: the next one re-evaluates everything.
    pub full_sync_required: bool,
    /// Whether the mappings were edited (false: the gallery defaults).
    pub custom_mappings: bool,
    pub provisions_groups: bool,
    pub updated_at: DateTime<Utc>,
}

#[server(endpoint = "application")]
pub async fn get_application(id: String) -> Result<ApplicationDetail, AppError> {
    let (state, actor) = context()?;
    service::get(&state, &actor, &id).await
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
    #[serde(default)]
    pub legacy_shapes: Option<String>,
    #[serde(default)]
    pub updates: String,
}

/// Saves the provisioning settings; `version` is the one the admin saw, so another admin's
/// newer change is never overwritten.
#[server(endpoint = "application_settings")]
pub async fn save_settings(id: String, version: i64, form: SettingsForm) -> Result<(), AppError> {
    use crate::error::field_errors;
    let (state, actor) = context()?;
    // A number the form could not parse is the form's error; ranges are the service's.
    let number = |text: &str| text.trim().parse::<u32>().ok();
    let (threshold, interval) = (
        number(&form.deletion_threshold),
        number(&form.cycle_interval_minutes),
    );
    let (Some(deletion_threshold), Some(cycle_interval_minutes)) = (threshold, interval) else {
        srv::set_status(422);
        return Err(AppError::invalid(field_errors([
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
        ])));
    };
    let settings = ProvisioningSettings {
        scope: form.scope,
        prevent_accidental_deletion: form.prevent_accidental_deletion.is_some(),
        deletion_threshold,
        skip_out_of_scope_deletions: form.skip_out_of_scope_deletions.is_some(),
        cycle_interval_minutes,
        notification_email: form.notification_email,
        notify_on_failure: form.notify_on_failure.is_some(),
        compatibility: steward_sync::TargetCompatibility {
            legacy_shapes: form.legacy_shapes.is_some(),
            updates: form.updates,
            // Not on the form: kept as the API set them.
            ..service::get(&state, &actor, &id)
                .await?
                .settings
                .compatibility
        },
    };
    service::save_settings(&state, &actor, &id, version, settings).await?;
    Ok(())
}

/// Renames an application, sets its provisioning mode ("manual" or "automatic"), its owners
/// (admin e-mails, one per line or comma-separated) and app roles (likewise).
#[server(endpoint = "application_update")]
pub async fn update_application(
    id: String,
    version: i64,
    name: String,
    provisioning_mode: String,
    #[server(default)] owners: Option<String>,
    #[server(default)] roles: Option<String>,
) -> Result<(), AppError> {
    let (state, actor) = context()?;
    let list = |text: Option<String>| {
        text.map(|t| {
            t.split([',', '\n'])
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
        })
    };
    let change = service::GeneralChange {
        name: Some(name),
        provisioning_mode: Some(provisioning_mode),
        owners: list(owners),
        roles: list(roles),
    };
    service::update(&state, &actor, &id, version, change).await?;
    Ok(())
}

/// Saves the admin credentials. A secret left empty keeps the stored one; secrets are
/// encrypted with the installation's key and never sent back.
#[server(endpoint = "application_credentials")]
pub async fn save_credentials(
    id: String,
    version: i64,
    form: BTreeMap<String, String>,
) -> Result<(), AppError> {
    let (state, actor) = context()?;
    service::save_credentials(&state, &actor, &id, version, &form).await
}

/// The outcome of Test Connection (or of reading the target's schema), for the page.
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
    let (state, actor) = context()?;
    service::test_connection(&state, &actor, &id, &form).await
}

/// A directory attribute a mapping can read.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SourceOption {
    pub name: String,
    pub attribute_type: String,
    pub description: String,
}

/// A target attribute a mapping can write.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TargetOption {
    pub path: String,
    pub attribute_type: String,
    pub required: bool,
    /// "gallery" (the entry) or "target" (read from the application's /Schemas).
    pub origin: String,
}

/// What the mapping editor needs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MappingsView {
    pub version: i64,
    pub application: String,
    pub connector: String,
    /// The mappings are the gallery's defaults.
    pub is_default: bool,
    pub full_sync_required: bool,
    pub groups_supported: bool,
    /// The target's /Schemas has been read.
    pub target_schema_read: bool,
    /// `steward_gallery::AppMappings` as JSON.
    pub mappings_json: String,
    pub user_sources: Vec<SourceOption>,
    pub group_sources: Vec<SourceOption>,
    pub user_targets: Vec<TargetOption>,
    pub group_targets: Vec<TargetOption>,
}

#[server(endpoint = "application_mappings")]
pub async fn application_mappings(id: String) -> Result<MappingsView, AppError> {
    let (state, actor) = context()?;
    service::mappings(&state, &actor, &id).await
}

/// Saves mappings given as `AppMappings` JSON; an empty text restores the gallery defaults.
#[server(endpoint = "application_save_mappings")]
pub async fn save_mappings(
    id: String,
    version: i64,
    mappings_json: String,
) -> Result<MappingsView, AppError> {
    let (state, actor) = context()?;
    let mappings = if mappings_json.trim().is_empty() {
        None
    } else {
        Some(read_json(
            &mappings_json,
            "mappings",
            "The mappings do not read",
        )?)
    };
    service::save_mappings(&state, &actor, &id, version, mappings).await
}

/// JSON the editor sent, or a field message on `field`: "`problem`: <serde's reason>."
#[cfg(feature = "ssr")]
fn read_json<T: serde::de::DeserializeOwned>(
    json: &str,
    field: &str,
    problem: &str,
) -> Result<T, AppError> {
    serde_json::from_str(json).map_err(|e| {
        srv::set_status(422);
        AppError::invalid(vec![crate::error::FieldError::new(
            field,
            format!("{problem}: {e}."),
        )])
    })
}

/// Reads the application's /Schemas with the saved credentials.
#[server(endpoint = "application_read_schema")]
pub async fn read_target_schema(id: String) -> Result<TestResult, AppError> {
    let (state, actor) = context()?;
    service::read_target_schema(&state, &actor, &id).await
}

/// Who a set of scoping filters admits now.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ScopePreview {
    /// "assigned" or "all": who was considered before the filters.
    pub scope: String,
    /// How many users or groups were considered (assigned ones, or all).
    pub considered: u64,
    pub in_scope: u64,
    /// The first names in scope.
    pub first: Vec<String>,
}

/// Previews scoping filters (`steward_expr::Scope` JSON) for "users" or "groups".
#[server(endpoint = "application_scope_preview")]
pub async fn preview_scope(
    id: String,
    object: String,
    scope_json: String,
) -> Result<ScopePreview, AppError> {
    let (state, actor) = context()?;
    let scope: steward_expr::Scope =
        read_json(&scope_json, "scope", "The scoping filters do not read")?;
    service::scope_preview(&state, &actor, &id, object_type(&object)?, &scope).await
}

#[cfg(feature = "ssr")]
pub(crate) fn object_type(object: &str) -> Result<steward_gallery::ObjectType, AppError> {
    steward_gallery::ObjectType::parse(object).ok_or_else(|| {
        srv::set_status(404);
        AppError::new(
            crate::error::ErrorCode::NotFound,
            format!("Mappings are for \"users\" or \"groups\", not {object:?}."),
        )
    })
}

/// One mapping evaluated for a real user or group.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MappingTest {
    pub object_name: String,
    /// The value sent; `None` (with no error): nothing flows.
    pub value: Option<String>,
    pub error: Option<String>,
}

/// Evaluates one attribute mapping (`AttributeMapping` JSON) for the directory user or group
/// called `who`.
#[server(endpoint = "application_test_mapping")]
pub async fn test_mapping(
    object: String,
    mapping_json: String,
    who: String,
) -> Result<MappingTest, AppError> {
    let (state, actor) = context()?;
    let mapping: steward_gallery::AttributeMapping =
        read_json(&mapping_json, "mapping", "The mapping does not read")?;
    service::test_mapping(&state, &actor, object_type(&object)?, &mapping, &who).await
}

/// One step of a provisioning run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunStep {
    pub step: String,
    pub status: String,
    pub detail: String,
}

/// What provisioning one user on demand did.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OnDemandResult {
    /// create, update, disable, delete, skip.
    pub action: String,
    /// success, failure, skipped, warning.
    pub status: String,
    pub target_id: Option<String>,
    pub steps: Vec<RunStep>,
    /// (target path, value sent as JSON text).
    /// (attribute, value before — empty when none was sent —, value sent).
    pub modified: Vec<(String, String, String)>,
    pub error_code: Option<String>,
    pub message: String,
}

/// Provisions one directory user now (by id, userName, e-mail or display name) and returns
/// every step.
#[server(endpoint = "application_provision_on_demand")]
pub async fn provision_on_demand(
    id: String,
    who: String,
    #[server(default)] dry_run: bool,
) -> Result<OnDemandResult, AppError> {
    let (state, actor) = context()?;
    let o = service::provision_on_demand(&state, &actor, &id, &who, dry_run).await?;
    Ok(OnDemandResult::from(o))
}

#[cfg(feature = "ssr")]
impl From<steward_engine::Outcome> for OnDemandResult {
    fn from(o: steward_engine::Outcome) -> Self {
        OnDemandResult {
            action: o.action.into(),
            status: o.status.into(),
            target_id: o.target_id,
            steps: o
                .steps
                .into_iter()
                .map(|s| RunStep {
                    step: s.step.into(),
                    status: s.status.into(),
                    detail: s.detail,
                })
                .collect(),
            modified: o
                .modified
                .into_iter()
                .map(|m| {
                    let text = |v: &serde_json::Value| match v {
                        serde_json::Value::Null => String::new(),
                        v => v.to_string(),
                    };
                    (
                        m["path"].as_str().unwrap_or_default().to_string(),
                        text(&m["old"]),
                        text(&m["new"]),
                    )
                })
                .collect(),
            error_code: o.error_code,
            message: o.message,
        }
    }
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
    let (state, actor) = context()?;
    service::assignments(&state, &actor, &id, &filter).await
}

/// Users and groups matching `query` that are not assigned yet.
#[server(endpoint = "application_assignment_candidates")]
pub async fn assignment_candidates(
    id: String,
    query: String,
) -> Result<Vec<super::MemberRow>, AppError> {
    let (state, actor) = context()?;
    service::assignment_candidates(&state, &actor, &id, &query).await
}

/// Assigns a user or group (`kind` "User" or "Group") with a role (default "User").
#[server(endpoint = "application_assign")]
pub async fn assign(
    application: String,
    member: String,
    kind: String,
    role: String,
) -> Result<(), AppError> {
    let (state, actor) = context()?;
    service::assign(&state, &actor, &application, &member, &kind, &role).await
}

#[server(endpoint = "application_unassign")]
pub async fn unassign(application: String, member: String) -> Result<(), AppError> {
    let (state, actor) = context()?;
    service::unassign(&state, &actor, &application, &member).await
}
