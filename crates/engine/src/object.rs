//! One directory object (a user or a group) brought in line in one application: the path
//! every cycle and "provision on demand" share. Import, scope (each clause traced), map,
//! resolve references, match by the matching attributes in precedence order (or use the link),
//! then the one request needed (create, a PATCH of only what changed, disable or delete), or
//! none; for groups then the member difference. Records the provisioning log entry and keeps
//! the link with a fingerprint of what was sent.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{json, Value};
use steward_connect::{OpError, TargetObject};
use steward_gallery::{AppObjectMapping, DirectoryObject, OutOfScopeAction};
use steward_scim::{PatchOperation, PatchPath};
use steward_store::{
    GroupId, Link, LinkWrite, MemberType, NewLogEntry, ObjectType, Store, StoreError, UserId,
};
use steward_sync::{
    on_create_paths, render, resource, shown, shown_values, target_value, Fingerprint,
};

use crate::scope::Assignments;
use crate::{failed, step, AppContext, End, Outcome, Removal, RunOptions, Step};

/// What is known about one object before deciding: read one at a time for on-demand runs, in
/// batches by cycles.
#[derive(Debug, Clone)]
pub struct Subject {
    pub object_type: ObjectType,
    pub id: String,
    /// The directory resource; `None` when the object is gone (hard-deleted, or for users in
    /// the recycle bin).
    pub resource: Option<Value>,
    /// For users: enabled in the directory. Groups are always active.
    pub active: bool,
    /// For users: the directory version read (part of the run's basis).
    pub version: Option<i64>,
    /// Assigned to the application (users: directly or through a direct group).
    pub assigned: bool,
    pub link: Option<Link>,
    /// For groups: the direct members that are users (directory ids).
    pub members: Vec<String>,
    /// Users it refers to (its manager) that have an account: directory id -> target id,
    /// read in a batch by cycles.
    pub references: std::collections::HashMap<String, String>,
    /// Whether `references` holds every referenced user that has an account (so the rest
    /// need no lookup).
    pub references_complete: bool,
}

impl Subject {
    /// Reads one object and its facts from the store.
    pub async fn load(
        store: &dyn Store,
        app: &str,
        object_type: ObjectType,
        id: &str,
        assignments: &Assignments,
    ) -> Result<Subject, StoreError> {
        let link = store.link(app, object_type, id).await?;
        let mut subject = Subject {
            object_type,
            id: id.to_string(),
            resource: None,
            active: true,
            version: None,
            assigned: false,
            link,
            members: Vec::new(),
            references: Default::default(),
            references_complete: false,
        };
        match object_type {
            ObjectType::User => {
                let user = match UserId::parse(id) {
                    Some(uid) => store.user(uid).await?,
                    None => None,
                };
                if let Some(user) = user.filter(|u| u.deleted_at.is_none()) {
                    subject.assigned = !store
                        .assigned_users_among(app, &[id.to_string()])
                        .await?
                        .is_empty();
                    subject.active = user.active;
                    subject.version = Some(user.version);
                    subject.resource = Some(user.to_scim());
                }
            }
            ObjectType::Group => {
                if let Some(gid) = GroupId::parse(id) {
                    if let Some(group) = store.group(gid).await? {
                        subject.assigned = assignments.group_assigned(id);
                        subject.members = user_members(store, gid).await?;
                        subject.resource = Some(group.to_scim());
                    }
                }
            }
        }
        Ok(subject)
    }

    fn name(&self) -> String {
        self.resource
            .as_ref()
            .and_then(|r| r.get("displayName").or_else(|| r.get("userName")))
            .and_then(|v| v.as_str())
            .unwrap_or(&self.id)
            .to_string()
    }
}

/// What a user's run is based on: its directory version, the application's version (its
/// mappings and settings) and whether it is assigned. Nothing else decides what is sent.
pub(crate) fn basis(user_version: i64, app_version: i64, assigned: bool) -> String {
    format!("{user_version}:{app_version}:{assigned}")
}

/// The direct members of a group that are users.
pub(crate) async fn user_members(
    store: &dyn Store,
    group: GroupId,
) -> Result<Vec<String>, StoreError> {
    Ok(store
        .members(group)
        .await?
        .into_iter()
        .filter(|m| m.member_type == MemberType::User)
        .map(|m| m.id)
        .collect())
}

fn target(object_type: ObjectType) -> TargetObject {
    match object_type {
        ObjectType::User => TargetObject::Users,
        ObjectType::Group => TargetObject::Groups,
    }
}

fn gallery_type(object_type: ObjectType) -> steward_gallery::ObjectType {
    match object_type {
        ObjectType::User => steward_gallery::ObjectType::Users,
        ObjectType::Group => steward_gallery::ObjectType::Groups,
    }
}

fn collection(object_type: ObjectType) -> &'static str {
    match object_type {
        ObjectType::User => "Users",
        ObjectType::Group => "Groups",
    }
}

fn noun(object_type: ObjectType) -> &'static str {
    match object_type {
        ObjectType::User => "account",
        ObjectType::Group => "group",
    }
}

/// A run in progress: its steps and what it modified.
struct Run<'a> {
    ctx: &'a AppContext,
    opts: &'a RunOptions,
    store: &'a dyn Store,
    subject: &'a Subject,
    mapping: &'a AppObjectMapping,
    steps: Vec<Step>,
    modified: Vec<Value>,
    removal: Option<Removal>,
    in_scope: bool,
    /// What this run is based on (users): the same as the link's means nothing changed.
    basis: Option<String>,
    /// Whether the link saved by this run carries `basis` already.
    basis_saved: bool,
    /// The link write a cycle makes with the rest of its page (users only).
    pending_link: Option<LinkWrite>,
}

impl Run<'_> {
    /// Whether link writes wait for the page: in cycles, for users (groups' member records
    /// need their link at once).
    fn defers_links(&self) -> bool {
        self.opts.defer_log && self.subject.object_type == ObjectType::User
    }

    /// Saves the link now, or leaves it to the cycle's page write.
    async fn save_link(&mut self, link: Link) -> Result<(), StoreError> {
        if self.defers_links() {
            self.pending_link = Some(LinkWrite::Save(link));
            Ok(())
        } else {
            self.store.save_link(&link).await
        }
    }

    fn push(&mut self, s: Step) {
        if let Some(sink) = &self.opts.on_step {
            (sink.0)(self.subject.object_type, &self.subject.id, &s);
        }
        self.steps.push(s);
    }

    fn app(&self) -> &str {
        &self.ctx.app.id
    }

    fn link_for(&self, target_id: String, fingerprint: Value, active: bool) -> Link {
        Link {
            application_id: self.app().to_string(),
            object_type: self.subject.object_type,
            source_id: self.subject.id.clone(),
            target_id,
            fingerprint,
            active,
            updated_at: chrono::Utc::now(),
            sent: json!({}),
            basis: None,
        }
    }

    fn redacted(&self) -> &BTreeSet<String> {
        self.ctx.redacted(self.subject.object_type)
    }

    /// The values as logs may show them.
    fn shown(&self, values: &BTreeMap<String, Value>) -> BTreeMap<String, Value> {
        shown_values(values, self.redacted())
    }

    /// The operations as logs may show them.
    fn shown_ops(&self, ops: &[PatchOperation]) -> Value {
        Value::Array(
            ops.iter()
                .map(|o| {
                    let mut op = serde_json::to_value(o).unwrap_or_default();
                    if let (Some(path), Some(v)) = (&o.path, op.get_mut("value")) {
                        *v = shown(&path.to_string(), v, self.redacted());
                    }
                    op
                })
                .collect(),
        )
    }
}

/// Provisions one object and records the run (unless it sent nothing and `opts` says not to).
pub async fn provision(
    store: &dyn Store,
    ctx: &AppContext,
    opts: &RunOptions,
    subject: &Subject,
) -> Result<Outcome, StoreError> {
    let mapping = match subject.object_type {
        ObjectType::User => &ctx.mappings.users,
        ObjectType::Group => match &ctx.mappings.groups {
            Some(groups) => groups,
            None => &ctx.mappings.users,
        },
    };
    let mut run = Run {
        ctx,
        opts,
        store,
        subject,
        mapping,
        steps: Vec::new(),
        modified: Vec::new(),
        removal: None,
        in_scope: false,
        basis: match (subject.object_type, subject.version) {
            (ObjectType::User, Some(v)) if !opts.dry_run => {
                Some(basis(v, ctx.app.version, subject.assigned))
            }
            _ => None,
        },
        basis_saved: false,
        pending_link: None,
    };
    let end = decide(&mut run).await?;
    // Remember what an unchanged result was based on, so the next cycle can skip the object.
    if let (Some(link), false) = (&subject.link, run.basis_saved) {
        let settled = end.noop && end.status != "failure" && end.action != "staged_delete";
        if settled && link.basis != run.basis && run.basis.is_some() {
            if run.defers_links() {
                run.pending_link = Some(LinkWrite::Basis {
                    application_id: ctx.app.id.clone(),
                    object_type: subject.object_type,
                    source_id: subject.id.clone(),
                    basis: run.basis.clone(),
                });
            } else {
                store
                    .set_link_basis(
                        &ctx.app.id,
                        subject.object_type,
                        &subject.id,
                        run.basis.as_deref(),
                    )
                    .await?;
            }
        }
    }
    let name = subject.name();
    let mut pending_log = None;
    let log_id = if end.noop && !opts.record_noops {
        None
    } else {
        let entry = NewLogEntry {
            application_id: ctx.app.id.clone(),
            cycle_id: opts.cycle_id.clone(),
            object_type: Some(subject.object_type),
            source_id: subject.id.clone(),
            source_name: name.clone(),
            target_id: end.target_id.clone(),
            action: end.action.to_string(),
            status: end.status.to_string(),
            steps: serde_json::to_value(&run.steps).unwrap_or_default(),
            modified: Value::Array(run.modified.clone()),
            error_code: end.error_code.clone(),
            message: end.message.clone(),
        };
        if opts.defer_log {
            pending_log = Some(entry);
            None
        } else {
            Some(store.record_provisioning(entry).await?)
        }
    };
    Ok(Outcome {
        object_type: subject.object_type,
        source_id: subject.id.clone(),
        source_name: name,
        action: end.action,
        status: end.status,
        target_id: end.target_id,
        steps: run.steps,
        modified: run.modified,
        error_code: end.error_code,
        message: end.message,
        log_id: log_id.unwrap_or(0),
        noop: end.noop,
        transient: end.transient,
        target_wide: end.target_wide,
        removal: run.removal,
        unresolved_references: end.unresolved_references,
        in_scope: run.in_scope,
        pending_log,
        pending_link: run.pending_link,
    })
}

async fn decide(run: &mut Run<'_>) -> Result<End, StoreError> {
    let subject = run.subject;
    let ctx = run.ctx;
    let kind = subject.object_type;
    let Some(resource_json) = &subject.resource else {
        run.push(step(
            "import",
            "ok",
            format!("The {} is not in the directory (deleted).", kind.as_str()),
            Value::Null,
        ));
        return leave_scope(run, "deleted in the directory", None).await;
    };
    let name = subject.name();
    if let Some(link) = &subject.link {
        if run.opts.trust_basis && run.basis.is_some() && link.basis == run.basis {
            run.in_scope = link.active;
            run.basis_saved = true;
            run.push(step(
                "action",
                "skipped",
                "Unchanged since the last run (same directory version, mappings and assignment): no request sent.",
                Value::Null,
            ));
            return Ok(End::unchanged(Some(link.target_id.clone()), "No change."));
        }
    }
    run.push(step(
        "import",
        "ok",
        format!("Read {name} from the directory."),
        match kind {
            ObjectType::User => json!({"userName": resource_json.get("userName")}),
            ObjectType::Group => json!({"members": subject.members.len()}),
        },
    ));

    // Scope: the object type provisioned, assignment, directory state, scoping filters.
    let mut out_reason = None;
    if kind == ObjectType::Group && ctx.mappings.groups.as_ref().is_none_or(|g| !g.enabled) {
        out_reason = Some("group provisioning is off for this application".to_string());
    } else if !run.mapping.enabled {
        out_reason = Some("user provisioning is off for this application".to_string());
    } else if !subject.active {
        out_reason = Some("disabled in the directory".to_string());
    } else if ctx.settings.assigned_only() && !subject.assigned {
        out_reason = Some(match kind {
            ObjectType::User => {
                "not assigned to the application (directly or through a group)".to_string()
            }
            ObjectType::Group => "not assigned to the application".to_string(),
        });
    }
    let source = match kind {
        ObjectType::User => DirectoryObject::user(resource_json, out_reason.is_some()),
        ObjectType::Group => DirectoryObject::group(resource_json, out_reason.is_some()),
    };
    if let Some(reason) = &out_reason {
        run.push(step(
            "scope",
            "ok",
            format!("Out of scope: {reason}."),
            Value::Null,
        ));
    } else {
        match ctx.scope(kind) {
            Err(e) => {
                run.push(step(
                    "scope",
                    "failed",
                    format!("The scoping filters do not compile: {e}"),
                    Value::Null,
                ));
                return Ok(End {
                    error_code: Some("ENG-SCOPE".into()),
                    ..End::new(
                        "skip",
                        "failure",
                        subject.link.as_ref().map(|l| l.target_id.clone()),
                        "Fix the scoping filters.",
                    )
                });
            }
            Ok(compiled) => {
                let verdict = compiled.evaluate(&source);
                let trace = serde_json::to_value(&verdict).unwrap_or_default();
                if verdict.in_scope {
                    run.push(step(
                        "scope",
                        "ok",
                        if compiled.is_empty() {
                            "In scope (no scoping filter).".to_string()
                        } else {
                            format!("In scope: a scoping filter admits the {}.", kind.as_str())
                        },
                        trace,
                    ));
                } else {
                    out_reason = Some("filtered out by the scoping filters".to_string());
                    run.push(step(
                        "scope",
                        "ok",
                        format!(
                            "Out of scope: no scoping filter admits the {}.",
                            kind.as_str()
                        ),
                        trace,
                    ));
                }
            }
        }
    }
    if let Some(reason) = out_reason {
        return leave_scope(run, &reason, Some(&source)).await;
    }
    let mut ectx = steward_expr::FixedContext::new(chrono::Utc::now(), 0);

    // Map, resolving references to their targets.
    run.in_scope = true;
    let creating = subject.link.is_none();
    let mut rendered = render(run.mapping, &source, &mut ectx, creating);
    let mut unresolved = false;
    for (path, ids) in std::mem::take(&mut rendered.references) {
        if kind == ObjectType::Group && path == "members" {
            continue;
        }
        let mut resolved = None;
        for id in &ids {
            if let Some(target) = subject.references.get(id) {
                resolved = Some(target.clone());
                break;
            }
            if subject.references_complete {
                continue;
            }
            if let Some(l) = run.store.link(run.app(), ObjectType::User, id).await? {
                resolved = Some(l.target_id);
                break;
            }
        }
        match resolved {
            None => {
                unresolved = true;
                run.basis = None;
                run.push(step("references", "warning", format!("{path}: the referenced user is not provisioned to this application yet; linked once they are."), json!({"ids": ids})));
            }
            Some(target_id) => {
                run.push(step(
                    "references",
                    "ok",
                    format!("{path}: resolved to {target_id}."),
                    Value::Null,
                ));
                rendered.values.insert(path, json!({"value": target_id}));
            }
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

    let mut end = match subject.link.clone() {
        Some(link) => update(run, link, &rendered.values, false).await?,
        None if run.opts.empty_in_target.contains(&kind) => {
            run.push(step(
                "match",
                "skipped",
                format!(
                    "The application had no {}s when the cycle began: nothing to match.",
                    noun(kind)
                ),
                Value::Null,
            ));
            create(run, &rendered.values).await?
        }
        None => match match_existing(run, &rendered.values).await? {
            Matched::Found(link) => update(run, link, &rendered.values, true).await?,
            Matched::Failed(end) => return Ok(end),
            Matched::None => create(run, &rendered.values).await?,
        },
    };
    end.unresolved_references = unresolved;
    if kind == ObjectType::Group
        && maps_members(run.mapping)
        && (end.status == "success" || end.noop)
    {
        if let Some(target_id) = end.target_id.clone() {
            return sync_members(run, end, &target_id).await;
        }
    }
    Ok(end)
}

fn maps_members(mapping: &AppObjectMapping) -> bool {
    mapping.attributes.iter().any(|a| a.target == "members")
}

enum Matched {
    Found(Link),
    None,
    Failed(End),
}

/// Looks the object up in the target by the matching attributes, in precedence order.
async fn match_existing(
    run: &mut Run<'_>,
    values: &BTreeMap<String, Value>,
) -> Result<Matched, StoreError> {
    let kind = run.subject.object_type;
    for m in run.mapping.matching_in_order() {
        let Some(value) = values.get(&m.target).and_then(|v| v.as_str()) else {
            run.push(step(
                "match",
                "skipped",
                format!("{} has no value to match on.", m.target),
                Value::Null,
            ));
            continue;
        };
        let index = run
            .opts
            .listed
            .iter()
            .find(|i| i.object_type == Some(kind))
            .filter(|i| i.find(&m.target, value).is_some())
            .cloned();
        let looked_up = match &index {
            Some(i) => Ok(i
                .find(&m.target, value)
                .unwrap_or_default()
                .iter()
                .map(|id| json!({ "id": id }))
                .collect()),
            None => run.ctx.connector.find(target(kind), &m.target, value).await,
        };
        let source = if index.is_some() {
            " (in the listing read at the start of the cycle)"
        } else {
            ""
        };
        match looked_up {
            Err(e) => {
                run.push(step(
                    "match",
                    "failed",
                    format!("Looking up {} eq {value:?} failed.", m.target),
                    Value::Null,
                ));
                return Ok(Matched::Failed(failed("skip", None, &e)));
            }
            Ok(found) if found.len() > 1 => {
                run.push(step(
                    "match",
                    "failed",
                    format!(
                        "{} {}s have {} {value:?}.",
                        found.len(),
                        noun(kind),
                        m.target
                    ),
                    Value::Null,
                ));
                return Ok(Matched::Failed(End { error_code: Some("ENG-AMBIGUOUS".into()), ..End::new("skip", "failure", None, format!("Several {}s in the application have {} {value:?}; remove the duplicates or add a matching attribute with a unique value.", noun(kind), m.target)) }));
            }
            Ok(found) if found.len() == 1 => {
                let target_id = found[0]
                    .get("id")
                    .and_then(|v| v.as_str())
                    .unwrap_or_default()
                    .to_string();
                if let Some(other) = run
                    .store
                    .link_by_target(run.app(), kind, &target_id)
                    .await?
                {
                    run.push(step(
                        "match",
                        "failed",
                        format!(
                            "Matched {target_id} by {}, but it is linked to another directory {}.",
                            m.target,
                            kind.as_str()
                        ),
                        Value::Null,
                    ));
                    return Ok(Matched::Failed(End { error_code: Some("ENG-LINKED".into()), ..End::new("skip", "failure", Some(target_id), format!("The {} is already linked to directory {} {}; two directory objects map to the same {}.", noun(kind), kind.as_str(), other.source_id, m.target)) }));
                }
                run.push(step(
                    "match",
                    "ok",
                    format!(
                        "Found the {} {target_id} by {} eq {value:?}{source}.",
                        noun(kind),
                        m.target
                    ),
                    Value::Null,
                ));
                // Its first update sends only what differs from what it holds.
                let (held, sent) = match &index {
                    Some(i) => (i.held(&target_id), json!({})),
                    None => {
                        let held = Fingerprint::of_target(&found[0], values);
                        let sent: serde_json::Map<String, Value> = values
                            .keys()
                            .filter_map(|p| {
                                let v = target_value(&found[0], p)?;
                                Some((p.clone(), shown(p, &v, run.redacted())))
                            })
                            .collect();
                        (held, Value::Object(sent))
                    }
                };
                let mut link = run.link_for(
                    target_id,
                    serde_json::to_value(held).unwrap_or_default(),
                    true,
                );
                link.sent = sent;
                return Ok(Matched::Found(link));
            }
            Ok(_) => {
                run.push(step(
                    "match",
                    "ok",
                    format!("No {} has {} {value:?}{source}.", noun(kind), m.target),
                    Value::Null,
                ));
            }
        }
    }
    Ok(Matched::None)
}

/// The modified properties of a create: every value, from nothing.
fn created_props(shown: &BTreeMap<String, Value>) -> Vec<Value> {
    shown
        .iter()
        .map(|(p, v)| json!({"path": p, "old": null, "new": v}))
        .collect()
}

async fn create(run: &mut Run<'_>, values: &BTreeMap<String, Value>) -> Result<End, StoreError> {
    let kind = run.subject.object_type;
    if !run.mapping.actions.create {
        run.push(step(
            "action",
            "skipped",
            format!(
                "Creating {}s is turned off (target object actions).",
                noun(kind)
            ),
            Value::Null,
        ));
        return Ok(End::new(
            "skip",
            "skipped",
            None,
            "Not created: the Create action is off.",
        ));
    }
    let body = resource(gallery_type(kind), values);
    let shown = run.shown(values);
    let shown_body = resource(gallery_type(kind), &shown);
    let what = format!("create the {}", noun(kind));
    if run.opts.dry_run {
        run.modified = created_props(&shown);
        run.push(step(
            "action",
            "skipped",
            format!("Dry run: would {what} (POST /{}).", collection(kind)),
            json!({"request": shown_body}),
        ));
        return Ok(End::would("create", None, &what));
    }
    match run.ctx.connector.create(target(kind), &body).await {
        Err(e) => {
            run.push(step(
                "action",
                "failed",
                format!("POST /{} failed.", collection(kind)),
                json!({"request": shown_body, "response": e.detail}),
            ));
            Ok(failed("create", None, &e))
        }
        Ok(created) => {
            let target_id = created["id"].as_str().unwrap_or_default().to_string();
            run.modified = created_props(&shown);
            run.push(step(
                "action",
                "ok",
                format!("Created the {} {target_id}.", noun(kind)),
                json!({
                    "request": shown_body,
                    "response": {"id": target_id, "meta": created.get("meta")},
                }),
            ));
            let mut link = run.link_for(
                target_id.clone(),
                serde_json::to_value(Fingerprint::of(values)).unwrap_or_default(),
                true,
            );
            link.sent = serde_json::to_value(&shown).unwrap_or_default();
            link.basis = run.basis.clone();
            run.basis_saved = true;
            run.save_link(link).await?;
            Ok(End::new("create", "success", Some(target_id), "Created."))
        }
    }
}

/// Sends what changed since the fingerprint, or nothing.
/// `matched`: the link is new, made by matching an object the target already had.
async fn update(
    run: &mut Run<'_>,
    mut link: Link,
    values: &BTreeMap<String, Value>,
    matched: bool,
) -> Result<End, StoreError> {
    let kind = run.subject.object_type;
    let sent: Fingerprint = serde_json::from_value(link.fingerprint.clone()).unwrap_or_default();
    let keep = on_create_paths(run.mapping);
    let ops = sent.patch(values, &keep);
    let target_id = Some(link.target_id.clone());
    if ops.is_empty() && matched {
        run.push(step(
            "action",
            "skipped",
            "The account already holds every mapped value: linked, no request sent.",
            Value::Null,
        ));
        if !run.opts.dry_run {
            link.fingerprint = serde_json::to_value(Fingerprint::of(values)).unwrap_or_default();
            link.sent = serde_json::to_value(run.shown(values)).unwrap_or_default();
            link.basis = run.basis.clone();
            run.basis_saved = true;
            link.active = values.get("active") != Some(&Value::Bool(false));
            run.save_link(link).await?;
        }
        return Ok(End::unchanged(
            target_id,
            "Linked to the existing account, which already matched.",
        ));
    }
    if ops.is_empty() {
        run.push(step(
            "action",
            "skipped",
            "Nothing changed since the last run: no request sent.",
            Value::Null,
        ));
        return Ok(End::unchanged(target_id, "No change."));
    }
    if !run.mapping.actions.update {
        run.push(step(
            "action",
            "skipped",
            format!(
                "Updating {}s is turned off (target object actions).",
                noun(kind)
            ),
            Value::Null,
        ));
        return Ok(End::new(
            "skip",
            "skipped",
            target_id,
            "Not updated: the Update action is off.",
        ));
    }
    if link.sent.is_null() {
        // Read in a batch without what was sent: fetch it to show the old values.
        if let Some(full) = run.store.link(run.app(), kind, &link.source_id).await? {
            link.sent = full.sent;
        }
    }
    let path = format!("/{}/{}", collection(kind), link.target_id);
    let shown_ops = run.shown_ops(&ops);
    let modified: Vec<Value> = ops
        .iter()
        .map(|o| {
            let p = o.path.as_ref().map(|p| p.to_string()).unwrap_or_default();
            let new = o
                .value
                .as_ref()
                .map_or(Value::Null, |v| shown(&p, v, run.redacted()));
            let old = link.sent.get(&p).cloned().unwrap_or(Value::Null);
            json!({"path": p, "old": old, "new": new})
        })
        .collect();
    if run.opts.dry_run {
        run.modified = modified;
        run.push(step(
            "action",
            "skipped",
            format!(
                "Dry run: would update {} attribute(s) (PATCH {path}).",
                ops.len()
            ),
            json!({"Operations": shown_ops}),
        ));
        return Ok(End::would(
            "update",
            target_id,
            "update the attributes that changed",
        ));
    }
    let mut full = resource(gallery_type(kind), values);
    full["id"] = Value::String(link.target_id.clone());
    if let Err(e) = run
        .ctx
        .connector
        .update(target(kind), &link.target_id, &ops, &full)
        .await
    {
        run.push(step(
            "action",
            "failed",
            format!("PATCH {path} failed."),
            json!({"Operations": shown_ops, "response": e.detail}),
        ));
        return Ok(failed("update", target_id, &e));
    }
    run.modified = modified;
    run.push(step(
        "action",
        "ok",
        format!("Updated {} attribute(s) of {}.", ops.len(), link.target_id),
        json!({"Operations": shown_ops}),
    ));
    let mut sent = serde_json::to_value(run.shown(values)).unwrap_or_default();
    for path in &keep {
        if let Some(v) = link.sent.get(*path) {
            sent[*path] = v.clone();
        }
    }
    link.sent = sent;
    link.basis = run.basis.clone();
    run.basis_saved = true;
    link.fingerprint = serde_json::to_value(Fingerprint::of(values)).unwrap_or_default();
    link.active = values.get("active") != Some(&Value::Bool(false));
    link.updated_at = chrono::Utc::now();
    run.save_link(link).await?;
    Ok(End::new("update", "success", target_id, "Updated."))
}

/// The object left scope: disable or delete its target object (as the gallery entry says;
/// groups are deleted), unless out-of-scope deletions are skipped; nothing when it has none.
/// Cycles that stage removals get the removal back instead of a request. `source` is the
/// object as the directory has it, when it still does (a target that only replaces whole
/// objects is sent it, mapped, with `active` false).
async fn leave_scope(
    run: &mut Run<'_>,
    reason: &str,
    source: Option<&DirectoryObject<'_>>,
) -> Result<End, StoreError> {
    let kind = run.subject.object_type;
    let Some(mut link) = run.subject.link.clone() else {
        run.push(step(
            "action",
            "skipped",
            format!("No {} in the application: nothing to do.", noun(kind)),
            Value::Null,
        ));
        return Ok(End::unchanged(
            None,
            format!("Out of scope ({reason}); never provisioned."),
        ));
    };
    let target_id = Some(link.target_id.clone());
    if run.ctx.settings.skip_out_of_scope_deletions && run.subject.resource.is_some() {
        run.push(step(
            "action",
            "skipped",
            format!(
                "Skip out-of-scope deletions is on: the {} is left as it is.",
                noun(kind)
            ),
            Value::Null,
        ));
        return Ok(End::unchanged(
            target_id,
            format!("Out of scope ({reason}); left alone by the settings."),
        ));
    }
    if !run.mapping.actions.delete {
        run.push(step(
            "action",
            "skipped",
            format!(
                "Deleting or disabling {}s is turned off (target object actions).",
                noun(kind)
            ),
            Value::Null,
        ));
        return Ok(End::unchanged(
            target_id,
            "Not removed: the Delete action is off.",
        ));
    }
    let delete = kind == ObjectType::Group
        || run.ctx.entry.out_of_scope == OutOfScopeAction::Delete
        || run.subject.resource.is_none();
    if !delete && !link.active {
        run.push(step(
            "action",
            "skipped",
            format!("The {} is disabled already.", noun(kind)),
            Value::Null,
        ));
        return Ok(End::unchanged(target_id, "Already disabled."));
    }
    let (action, what) = if delete {
        ("delete", format!("delete the {}", noun(kind)))
    } else {
        ("disable", format!("disable the {}", noun(kind)))
    };
    if run.opts.dry_run {
        run.push(step(
            "action",
            "skipped",
            format!("Dry run: would {what} {} ({reason}).", link.target_id),
            Value::Null,
        ));
        return Ok(End::would(action, target_id, &what));
    }
    if run.opts.stage_removals {
        run.removal = Some(Removal {
            action,
            reason: reason.to_string(),
        });
        run.push(step(
            "action",
            "skipped",
            format!(
                "Would {what} {} ({reason}); held until the cycle knows how many objects leave (accidental deletion prevention).",
                link.target_id
            ),
            Value::Null,
        ));
        return Ok(End {
            noop: true,
            ..End::new(
                "staged_delete",
                "skipped",
                target_id,
                format!("Held: {what} ({reason})."),
            )
        });
    }
    if delete {
        return match run
            .ctx
            .connector
            .delete(target(kind), &link.target_id)
            .await
        {
            Err(e) => {
                run.push(step(
                    "action",
                    "failed",
                    format!("DELETE /{}/{} failed.", collection(kind), link.target_id),
                    Value::Null,
                ));
                Ok(failed("delete", target_id, &e))
            }
            Ok(existed) => {
                run.push(step(
                    "action",
                    "ok",
                    if existed {
                        format!("Deleted the {} {} ({reason}).", noun(kind), link.target_id)
                    } else {
                        format!(
                            "The {} {} was already gone from the application ({reason}).",
                            noun(kind),
                            link.target_id
                        )
                    },
                    Value::Null,
                ));
                run.store
                    .remove_link(run.app(), kind, &link.source_id)
                    .await?;
                if kind == ObjectType::Group {
                    let sent = run.store.sent_members(run.app(), &link.source_id).await?;
                    run.store
                        .record_sent_members(run.app(), &link.source_id, &[], &sent)
                        .await?;
                }
                Ok(End::new(
                    "delete",
                    "success",
                    target_id,
                    format!("Deleted: {reason}."),
                ))
            }
        };
    }
    let Ok(path) = PatchPath::parse("active") else {
        return Ok(End::new(
            "skip",
            "failure",
            target_id,
            "internal: the path active does not parse",
        ));
    };
    let op = PatchOperation::replace(Some(&path), Value::Bool(false));
    let mut disabled = match source {
        Some(source) => {
            let mut ectx = steward_expr::FixedContext::new(chrono::Utc::now(), 0);
            render(run.mapping, source, &mut ectx, false).values
        }
        None => BTreeMap::new(),
    };
    disabled.insert("active".into(), Value::Bool(false));
    let full = resource(gallery_type(kind), &disabled);
    if let Err(e) = run
        .ctx
        .connector
        .update(
            target(kind),
            &link.target_id,
            std::slice::from_ref(&op),
            &full,
        )
        .await
    {
        run.push(step(
            "action",
            "failed",
            format!("PATCH /{}/{} failed.", collection(kind), link.target_id),
            json!({"Operations": [op]}),
        ));
        return Ok(failed("disable", target_id, &e));
    }
    let old = link
        .sent
        .get("active")
        .cloned()
        .unwrap_or(Value::Bool(true));
    run.modified = vec![json!({"path": "active", "old": old, "new": false})];
    if link.sent.is_object() {
        link.sent["active"] = Value::Bool(false);
    }
    run.push(step(
        "action",
        "ok",
        format!("Disabled the account {} ({reason}).", link.target_id),
        json!({"Operations": [op]}),
    ));
    let mut sent: Fingerprint =
        serde_json::from_value(link.fingerprint.clone()).unwrap_or_default();
    sent.record("active", &Value::Bool(false));
    link.fingerprint = serde_json::to_value(sent).unwrap_or_default();
    link.active = false;
    link.updated_at = chrono::Utc::now();
    link.basis = run.basis.clone();
    run.basis_saved = true;
    run.save_link(link).await?;
    Ok(End::new(
        "disable",
        "success",
        target_id,
        format!("Disabled: {reason}."),
    ))
}

/// Sends the group's member difference since what was last sent: members are the group's
/// direct user members that have an account in the application.
async fn sync_members(run: &mut Run<'_>, mut end: End, target_id: &str) -> Result<End, StoreError> {
    let app = run.app().to_string();
    let group = run.subject.id.clone();
    let wanted: BTreeMap<String, String> = run
        .store
        .links(&app, ObjectType::User, &run.subject.members)
        .await?
        .into_iter()
        .filter(|l| l.active)
        .map(|l| (l.source_id, l.target_id))
        .collect();
    let sent: BTreeSet<String> = run
        .store
        .sent_members(&app, &group)
        .await?
        .into_iter()
        .collect();
    let add: Vec<String> = wanted
        .keys()
        .filter(|id| !sent.contains(*id))
        .cloned()
        .collect();
    let remove: Vec<String> = sent
        .iter()
        .filter(|id| !wanted.contains_key(*id))
        .cloned()
        .collect();
    let not_provisioned = run.subject.members.len() - wanted.len();
    if add.is_empty() && remove.is_empty() {
        run.push(step(
            "members",
            "ok",
            format!(
                "Members unchanged ({} with an account in the application{}).",
                wanted.len(),
                if not_provisioned > 0 {
                    format!(", {not_provisioned} without")
                } else {
                    String::new()
                }
            ),
            Value::Null,
        ));
        return Ok(end);
    }
    // Removed members' target ids: from their links, when they still have one.
    let removed_links: BTreeMap<String, String> = run
        .store
        .links(&app, ObjectType::User, &remove)
        .await?
        .into_iter()
        .map(|l| (l.source_id, l.target_id))
        .collect();
    let add_targets: Vec<String> = add
        .iter()
        .filter_map(|id| wanted.get(id).cloned())
        .collect();
    let remove_targets: Vec<String> = remove
        .iter()
        .filter_map(|id| removed_links.get(id).cloned())
        .collect();
    let data = json!({"add": add_targets.len(), "remove": remove_targets.len()});
    if run.opts.dry_run {
        run.push(step(
            "members",
            "skipped",
            format!(
                "Dry run: would add {} member(s) and remove {}.",
                add_targets.len(),
                remove_targets.len()
            ),
            data,
        ));
        return Ok(end);
    }
    if let Err(e) = run
        .ctx
        .connector
        .change_members(target_id, &add_targets, &remove_targets)
        .await
    {
        run.push(step(
            "members",
            "failed",
            format!("Changing the members of {target_id} failed."),
            data,
        ));
        return Ok(failed("update", Some(target_id.to_string()), &e));
    }
    run.store
        .record_sent_members(&app, &group, &add, &remove)
        .await?;
    run.push(step(
        "members",
        "ok",
        format!(
            "Added {} member(s) and removed {}.",
            add_targets.len(),
            remove_targets.len()
        ),
        data,
    ));
    run.modified.push(
        json!({"path": "members", "value": {"added": add_targets, "removed": remove_targets}}),
    );
    if end.noop {
        end = End::new(
            "update",
            "success",
            Some(target_id.to_string()),
            "Members updated.",
        );
    }
    Ok(end)
}

/// Whether `e` concerns the whole target (credentials, address) rather than one object.
pub(crate) fn is_target_wide(e: &OpError) -> bool {
    use steward_connect::OpErrorKind::*;
    matches!(e.kind, Authentication | Transport | Timeout | NotScim)
}
