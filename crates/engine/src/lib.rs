//! # steward-engine: provisioning
//!
//! Brings an application's objects in the target in line with what the directory,
//! assignments, scoping filters and attribute mappings say. Today: one user at a time, the
//! path every cycle and "provision on demand" share ([`provision_user`]): import the user,
//! decide scope (assignment, directory state, scoping filters, each clause traced), map the
//! attributes, find the account by the matching attributes in precedence order (or use the
//! link from an earlier run), and send the one request that is needed (create, a PATCH of only
//! what changed, disable or delete), or none. Every run records a provisioning log entry with
//! its steps and the properties it modified, and keeps the link (target id and a fingerprint of
//! what was sent) so the next run sends nothing when nothing changed.

use serde::Serialize;
use serde_json::{json, Value};
use steward_connect::{OpError, OpErrorKind, ScimClient, TargetObject};
use steward_gallery::{AppMappings, DirectoryObject, Entry, OutOfScopeAction};
use steward_scim::{PatchOperation, PatchPath};
use steward_store::{
    Application, Link, MemberType, NewLogEntry, ObjectType, Store, StoreError, UserId,
};
use steward_sync::{on_create_paths, render, resource, Fingerprint, ProvisioningSettings};

/// What the engine needs to know about one application.
pub struct AppContext<'a> {
    pub app: &'a Application,
    pub entry: &'a Entry,
    pub mappings: &'a AppMappings,
    pub settings: &'a ProvisioningSettings,
    pub client: &'a ScimClient,
    /// Compute and record every operation, send none (reads such as matching still happen).
    pub dry_run: bool,
}

/// The end of a dry run at an operation that would have been sent.
fn would(action: &'static str, target: Option<String>, what: &str) -> End {
    ended(
        action,
        "skipped",
        target,
        format!("Dry run: would {what}; nothing was sent."),
    )
}

/// One step of a run, as the provisioning log shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Step {
    /// import, scope, match, action, references.
    pub step: &'static str,
    /// ok, skipped, warning, failed.
    pub status: &'static str,
    pub detail: String,
    #[serde(skip_serializing_if = "Value::is_null")]
    pub data: Value,
}

fn step(step: &'static str, status: &'static str, detail: impl Into<String>, data: Value) -> Step {
    Step {
        step,
        status,
        detail: detail.into(),
        data,
    }
}

/// What a run did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Outcome {
    /// create, update, disable, delete, skip.
    pub action: &'static str,
    /// success, failure, skipped, warning.
    pub status: &'static str,
    pub target_id: Option<String>,
    pub steps: Vec<Step>,
    /// `{path, value}` of each property sent (`null`: removed).
    pub modified: Vec<Value>,
    pub error_code: Option<String>,
    pub message: String,
    /// The provisioning log entry recorded.
    pub log_id: i64,
}

struct Run {
    steps: Vec<Step>,
    modified: Vec<Value>,
}

impl Run {
    fn push(&mut self, s: Step) {
        self.steps.push(s);
    }
}

/// A run's end before it is recorded.
struct End {
    action: &'static str,
    status: &'static str,
    target_id: Option<String>,
    error_code: Option<String>,
    message: String,
}

fn ended(
    action: &'static str,
    status: &'static str,
    target: Option<String>,
    message: impl Into<String>,
) -> End {
    End {
        action,
        status,
        target_id: target,
        error_code: None,
        message: message.into(),
    }
}

fn failed(action: &'static str, target: Option<String>, e: &OpError) -> End {
    let (code, advice) = match e.kind {
        OpErrorKind::Authentication => ("ENG-AUTH", "Check the Secret Token with Test Connection."),
        OpErrorKind::Conflict => ("ENG-CONFLICT", "An account with these values exists in the application but was not matched: check the matching attributes."),
        OpErrorKind::RateLimited => ("ENG-THROTTLED", "The application asked to slow down; the next cycle retries."),
        OpErrorKind::ServerError => ("ENG-TARGET", "The application failed; the next cycle retries."),
        OpErrorKind::Timeout | OpErrorKind::Transport => ("ENG-UNREACHABLE", "Check the Tenant URL with Test Connection."),
        OpErrorKind::NotFound => ("ENG-MISSING", "The account was deleted in the application; restart provisioning to create it again."),
        OpErrorKind::Rejected => ("ENG-REJECTED", "The application refused a value: check the mappings of the attributes named."),
        OpErrorKind::NotScim => ("ENG-NOT-SCIM", "Check the Tenant URL with Test Connection."),
    };
    End {
        action,
        status: "failure",
        target_id: target,
        error_code: Some(code.into()),
        message: format!("{e}. {advice}"),
    }
}

/// Provisions one directory user to one application and records the run.
pub async fn provision_user(
    store: &dyn Store,
    ctx: &AppContext<'_>,
    user_id: &str,
) -> Result<Outcome, StoreError> {
    let mut run = Run {
        steps: Vec::new(),
        modified: Vec::new(),
    };
    let (end, name) = decide(store, ctx, user_id, &mut run).await?;
    let entry = NewLogEntry {
        application_id: ctx.app.id.clone(),
        cycle_id: None,
        object_type: Some(ObjectType::User),
        source_id: user_id.to_string(),
        source_name: name,
        target_id: end.target_id.clone(),
        action: end.action.to_string(),
        status: end.status.to_string(),
        steps: serde_json::to_value(&run.steps).unwrap_or_default(),
        modified: Value::Array(run.modified.clone()),
        error_code: end.error_code.clone(),
        message: end.message.clone(),
    };
    let log_id = store.record_provisioning(entry).await?;
    Ok(Outcome {
        action: end.action,
        status: end.status,
        target_id: end.target_id,
        steps: run.steps,
        modified: run.modified,
        error_code: end.error_code,
        message: end.message,
        log_id,
    })
}

async fn decide(
    store: &dyn Store,
    ctx: &AppContext<'_>,
    user_id: &str,
    run: &mut Run,
) -> Result<(End, String), StoreError> {
    let app = &ctx.app.id;
    let link = store.link(app, ObjectType::User, user_id).await?;
    let user = match UserId::parse(user_id) {
        Some(id) => store.user(id).await?,
        None => None,
    };
    let Some(user) = user.filter(|u| u.deleted_at.is_none()) else {
        run.push(step(
            "import",
            "ok",
            "The user is not in the directory (deleted).",
            Value::Null,
        ));
        return Ok((
            leave_scope(ctx, store, link, run, "deleted in the directory").await?,
            user_id.to_string(),
        ));
    };
    let resource_json = user.to_scim();
    let name = resource_json
        .get("displayName")
        .or_else(|| resource_json.get("userName"))
        .and_then(|v| v.as_str())
        .unwrap_or(user_id)
        .to_string();
    run.push(step(
        "import",
        "ok",
        format!("Read {name} from the directory."),
        json!({"userName": resource_json.get("userName")}),
    ));

    // Scope: the object type provisioned, assignment, directory state, scoping filters.
    let mut out_reason = None;
    if !ctx.mappings.users.enabled {
        out_reason = Some("user provisioning is off for this application".to_string());
    } else if !user.active {
        out_reason = Some("disabled in the directory".to_string());
    } else if ctx.settings.assigned_only() && !is_assigned(store, app, user_id).await? {
        out_reason =
            Some("not assigned to the application (directly or through a group)".to_string());
    }
    let source = DirectoryObject::user(&resource_json, out_reason.is_some());
    if out_reason.is_none() {
        match ctx.mappings.users.scope.compile() {
            Err(e) => {
                run.push(step(
                    "scope",
                    "failed",
                    format!("The scoping filters do not compile: {e}"),
                    Value::Null,
                ));
                return Ok((
                    End {
                        error_code: Some("ENG-SCOPE".into()),
                        ..ended(
                            "skip",
                            "failure",
                            link.map(|l| l.target_id),
                            "Fix the scoping filters.",
                        )
                    },
                    name,
                ));
            }
            Ok(compiled) => {
                let verdict = compiled.evaluate(&source);
                let trace = serde_json::to_value(&verdict).unwrap_or_default();
                if !verdict.in_scope {
                    out_reason = Some("filtered out by the scoping filters".to_string());
                    run.push(step(
                        "scope",
                        "ok",
                        "Out of scope: no scoping filter admits the user.",
                        trace,
                    ));
                } else {
                    run.push(step(
                        "scope",
                        "ok",
                        if compiled.is_empty() {
                            "In scope (no scoping filter)."
                        } else {
                            "In scope: a scoping filter admits the user."
                        },
                        trace,
                    ));
                }
            }
        }
    } else if let Some(reason) = &out_reason {
        run.push(step(
            "scope",
            "ok",
            format!("Out of scope: {reason}."),
            Value::Null,
        ));
    }
    if let Some(reason) = out_reason {
        let end = leave_scope(ctx, store, link, run, &reason).await?;
        return Ok((end, name));
    }

    // Map, resolving references to their targets.
    let mut ectx = steward_expr::FixedContext::new(chrono::Utc::now(), 0);
    let creating = link.is_none();
    let mut rendered = render(&ctx.mappings.users, &source, &mut ectx, creating);
    for (path, ids) in std::mem::take(&mut rendered.references) {
        let mut resolved = Vec::new();
        for id in &ids {
            if let Some(l) = store.link(app, ObjectType::User, id).await? {
                resolved.push(l.target_id);
            }
        }
        if resolved.is_empty() {
            run.push(step("references", "warning", format!("{path}: the referenced user is not provisioned to this application yet; linked once they are."), json!({"ids": ids})));
        } else {
            rendered
                .values
                .insert(path.clone(), json!({"value": resolved[0]}));
            run.push(step(
                "references",
                "ok",
                format!("{path}: resolved to {}.", resolved[0]),
                Value::Null,
            ));
        }
    }
    for (path, error) in &rendered.errors {
        run.push(step(
            "map",
            "warning",
            format!("{path}: {error}; not sent."),
            Value::Null,
        ));
    }

    let keep = on_create_paths(&ctx.mappings.users);
    match link {
        Some(link) => update(ctx, store, link, &rendered.values, &keep, run)
            .await
            .map(|e| (e, name)),
        None => {
            // Match by the matching attributes, in precedence order.
            for m in ctx.mappings.users.matching_in_order() {
                let Some(value) = rendered.values.get(&m.target).and_then(|v| v.as_str()) else {
                    run.push(step(
                        "match",
                        "skipped",
                        format!("{} has no value to match on.", m.target),
                        Value::Null,
                    ));
                    continue;
                };
                match ctx.client.find(TargetObject::Users, &m.target, value).await {
                    Err(e) => {
                        run.push(step(
                            "match",
                            "failed",
                            format!("Looking up {} eq {value:?} failed.", m.target),
                            Value::Null,
                        ));
                        return Ok((failed("skip", None, &e), name));
                    }
                    Ok(found) if found.len() > 1 => {
                        run.push(step(
                            "match",
                            "failed",
                            format!("{} accounts have {} {value:?}.", found.len(), m.target),
                            Value::Null,
                        ));
                        return Ok((End { error_code: Some("ENG-AMBIGUOUS".into()), ..ended("skip", "failure", None, format!("Several accounts in the application have {} {value:?}; remove the duplicates or add a matching attribute with a unique value.", m.target)) }, name));
                    }
                    Ok(found) if found.len() == 1 => {
                        let target_id = found[0]
                            .get("id")
                            .and_then(|v| v.as_str())
                            .unwrap_or_default()
                            .to_string();
                        if let Some(other) = store
                            .link_by_target(app, ObjectType::User, &target_id)
                            .await?
                        {
                            run.push(step("match", "failed", format!("Matched {target_id} by {}, but it is linked to another directory user.", m.target), Value::Null));
                            return Ok((End { error_code: Some("ENG-LINKED".into()), ..ended("skip", "failure", Some(target_id), format!("The account is already linked to directory user {}; two directory users map to the same {}.", other.source_id, m.target)) }, name));
                        }
                        run.push(step(
                            "match",
                            "ok",
                            format!(
                                "Found the account {target_id} by {} eq {value:?}.",
                                m.target
                            ),
                            Value::Null,
                        ));
                        let link = Link {
                            application_id: app.clone(),
                            object_type: ObjectType::User,
                            source_id: user_id.to_string(),
                            target_id,
                            fingerprint: json!({}),
                            active: true,
                            updated_at: chrono::Utc::now(),
                        };
                        return update(ctx, store, link, &rendered.values, &keep, run)
                            .await
                            .map(|e| (e, name));
                    }
                    Ok(_) => {
                        run.push(step(
                            "match",
                            "ok",
                            format!("No account has {} {value:?}.", m.target),
                            Value::Null,
                        ));
                    }
                }
            }
            if !ctx.mappings.users.actions.create {
                run.push(step(
                    "action",
                    "skipped",
                    "Creating accounts is turned off (target object actions).",
                    Value::Null,
                ));
                return Ok((
                    ended(
                        "skip",
                        "skipped",
                        None,
                        "Not created: the Create action is off.",
                    ),
                    name,
                ));
            }
            let body = resource(steward_gallery::ObjectType::Users, &rendered.values);
            if ctx.dry_run {
                run.modified = rendered
                    .values
                    .iter()
                    .map(|(p, v)| json!({"path": p, "value": v}))
                    .collect();
                run.push(step(
                    "action",
                    "skipped",
                    "Dry run: would create the account (POST /Users).",
                    json!({"request": body}),
                ));
                return Ok((would("create", None, "create the account"), name));
            }
            match ctx.client.create(TargetObject::Users, &body).await {
                Err(e) => {
                    run.push(step(
                        "action",
                        "failed",
                        "POST /Users failed.",
                        json!({"request": body}),
                    ));
                    Ok((failed("create", None, &e), name))
                }
                Ok(created) => {
                    let target_id = created["id"].as_str().unwrap_or_default().to_string();
                    run.modified = rendered
                        .values
                        .iter()
                        .map(|(p, v)| json!({"path": p, "value": v}))
                        .collect();
                    run.push(step(
                        "action",
                        "ok",
                        format!("Created the account {target_id}."),
                        json!({"request": body}),
                    ));
                    store
                        .save_link(&Link {
                            application_id: app.clone(),
                            object_type: ObjectType::User,
                            source_id: user_id.to_string(),
                            target_id: target_id.clone(),
                            fingerprint: serde_json::to_value(Fingerprint::of(&rendered.values))
                                .unwrap_or_default(),
                            active: true,
                            updated_at: chrono::Utc::now(),
                        })
                        .await?;
                    Ok((
                        ended("create", "success", Some(target_id), "Created."),
                        name,
                    ))
                }
            }
        }
    }
}

/// Whether the user is assigned directly or through a group it is a direct member of.
async fn is_assigned(store: &dyn Store, app: &str, user_id: &str) -> Result<bool, StoreError> {
    let assignments = store.assignments(app, None, u32::MAX).await?;
    if assignments.items.iter().any(|a| a.principal_id == user_id) {
        return Ok(true);
    }
    let groups: Vec<String> = store
        .groups_of(&[user_id.to_string()])
        .await?
        .into_iter()
        .map(|(_, g, _)| g.to_string())
        .collect();
    Ok(assignments
        .items
        .iter()
        .any(|a| a.principal_type == MemberType::Group && groups.contains(&a.principal_id)))
}

/// Sends what changed since the fingerprint, or nothing.
async fn update(
    ctx: &AppContext<'_>,
    store: &dyn Store,
    mut link: Link,
    values: &std::collections::BTreeMap<String, Value>,
    keep: &[&str],
    run: &mut Run,
) -> Result<End, StoreError> {
    let sent: Fingerprint = serde_json::from_value(link.fingerprint.clone()).unwrap_or_default();
    let ops = sent.patch(values, keep);
    let target = Some(link.target_id.clone());
    if ops.is_empty() {
        run.push(step(
            "action",
            "skipped",
            "Nothing changed since the last run: no request sent.",
            Value::Null,
        ));
        return Ok(ended("skip", "skipped", target, "No change."));
    }
    if !ctx.mappings.users.actions.update {
        run.push(step(
            "action",
            "skipped",
            "Updating accounts is turned off (target object actions).",
            Value::Null,
        ));
        return Ok(ended(
            "skip",
            "skipped",
            target,
            "Not updated: the Update action is off.",
        ));
    }
    if let Err(e) = ctx
        .client
        .patch(TargetObject::Users, &link.target_id, &ops)
        .await
    {
        run.push(step(
            "action",
            "failed",
            format!("PATCH /Users/{} failed.", link.target_id),
            json!({"Operations": ops}),
        ));
        return Ok(failed("update", target, &e));
    }
    run.modified = ops
        .iter()
        .map(|o| json!({"path": o.path, "value": o.value}))
        .collect();
    run.push(step(
        "action",
        "ok",
        format!("Updated {} attribute(s) of {}.", ops.len(), link.target_id),
        json!({"Operations": ops}),
    ));
    link.fingerprint = serde_json::to_value(Fingerprint::of(values)).unwrap_or_default();
    link.active = values.get("active") != Some(&Value::Bool(false));
    link.updated_at = chrono::Utc::now();
    store.save_link(&link).await?;
    Ok(ended("update", "success", target, "Updated."))
}

/// The user left scope: disable or delete its account (as the gallery entry says), unless
/// out-of-scope deletions are skipped; nothing when it has no account.
async fn leave_scope(
    ctx: &AppContext<'_>,
    store: &dyn Store,
    link: Option<Link>,
    run: &mut Run,
    reason: &str,
) -> Result<End, StoreError> {
    let Some(mut link) = link else {
        run.push(step(
            "action",
            "skipped",
            "No account in the application: nothing to do.",
            Value::Null,
        ));
        return Ok(ended(
            "skip",
            "skipped",
            None,
            format!("Out of scope ({reason}); never provisioned."),
        ));
    };
    let target = Some(link.target_id.clone());
    if ctx.settings.skip_out_of_scope_deletions {
        run.push(step(
            "action",
            "skipped",
            "Skip out-of-scope deletions is on: the account is left as it is.",
            Value::Null,
        ));
        return Ok(ended(
            "skip",
            "skipped",
            target,
            format!("Out of scope ({reason}); left alone by the settings."),
        ));
    }
    if !ctx.mappings.users.actions.delete {
        run.push(step(
            "action",
            "skipped",
            "Deleting or disabling accounts is turned off (target object actions).",
            Value::Null,
        ));
        return Ok(ended(
            "skip",
            "skipped",
            target,
            "Not disabled: the Delete action is off.",
        ));
    }
    if ctx.dry_run {
        let (action, what) = match ctx.entry.out_of_scope {
            OutOfScopeAction::Delete => ("delete", "delete the account"),
            OutOfScopeAction::Disable if link.active => ("disable", "disable the account"),
            OutOfScopeAction::Disable => ("skip", "leave the disabled account as it is"),
        };
        run.push(step(
            "action",
            "skipped",
            format!("Dry run: would {what} {} ({reason}).", link.target_id),
            Value::Null,
        ));
        return Ok(would(action, target, what));
    }
    match ctx.entry.out_of_scope {
        OutOfScopeAction::Delete => match ctx
            .client
            .delete(TargetObject::Users, &link.target_id)
            .await
        {
            Err(e) => Ok(failed("delete", target, &e)),
            Ok(_) => {
                run.push(step(
                    "action",
                    "ok",
                    format!("Deleted the account {} ({reason}).", link.target_id),
                    Value::Null,
                ));
                store
                    .remove_link(&ctx.app.id, ObjectType::User, &link.source_id)
                    .await?;
                Ok(ended(
                    "delete",
                    "success",
                    target,
                    format!("Deleted: {reason}."),
                ))
            }
        },
        OutOfScopeAction::Disable => {
            if !link.active {
                run.push(step(
                    "action",
                    "skipped",
                    "The account is disabled already.",
                    Value::Null,
                ));
                return Ok(ended("skip", "skipped", target, "Already disabled."));
            }
            let Ok(path) = PatchPath::parse("active") else {
                return Ok(ended(
                    "skip",
                    "failure",
                    target,
                    "internal: the path active does not parse",
                ));
            };
            let op = PatchOperation::replace(Some(&path), Value::Bool(false));
            if let Err(e) = ctx
                .client
                .patch(
                    TargetObject::Users,
                    &link.target_id,
                    std::slice::from_ref(&op),
                )
                .await
            {
                return Ok(failed("disable", target, &e));
            }
            run.modified = vec![json!({"path": "active", "value": false})];
            run.push(step(
                "action",
                "ok",
                format!("Disabled the account {} ({reason}).", link.target_id),
                Value::Null,
            ));
            let mut sent: Fingerprint =
                serde_json::from_value(link.fingerprint.clone()).unwrap_or_default();
            sent.record("active", &Value::Bool(false));
            link.fingerprint = serde_json::to_value(sent).unwrap_or_default();
            link.active = false;
            link.updated_at = chrono::Utc::now();
            store.save_link(&link).await?;
            Ok(ended(
                "disable",
                "success",
                target,
                format!("Disabled: {reason}."),
            ))
        }
    }
}
