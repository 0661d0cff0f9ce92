//! Enterprise applications: the list, the gallery to add one from, and an application's
//! page with its provisioning mode, admin credentials and Test Connection.

use crate::api::{
    application_assignments, assignment_candidates, gallery, get_application, list_applications,
    ApplicationDetail, Assign, CreateApplication, CredentialView, MemberRow, ProvisioningSettings,
    SaveCredentials, SaveSettings, TestConnection, TestResult, Unassign, UpdateApplication,
};
use crate::components::{
    format_time, AppTabs, EmptyState, ErrorPanel, FieldMessage, FormError, Icon, PageHeader,
};
use crate::error::AppError;
use crate::pages::candidates::CandidateList;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

#[component]
pub fn ApplicationsPage() -> impl IntoView {
    let apps = Resource::new(|| (), |_| list_applications());
    view! {
        <PageHeader title="Enterprise applications" subtitle="The SaaS applications Steward keeps accounts in."/>
        <div class="toolbar">
            <a class="button button-primary" href="/applications/gallery">"New application"</a>
        </div>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match apps.await {
                    Err(e) => view! { <ErrorPanel error=e/> }.into_any(),
                    Ok(list) if list.is_empty() => view! {
                        <EmptyState icon=Icon::Apps title="No applications yet">
                            <p>"Each application gets its own credentials, attribute mappings, scoping filters and assignments."</p>
                            <p>"Add one from the " <a href="/applications/gallery">"gallery"</a> " (Xledger, Klaxoon, xMatters, AlexisHR) or create your own SCIM 2.0 application, then set its provisioning mode to Automatic."</p>
                        </EmptyState>
                    }.into_any(),
                    Ok(list) => view! {
                        <div class="table-wrap">
                            <table class="table" data-testid="applications-table">
                                <thead><tr>
                                    <th scope="col">"Name"</th>
                                    <th scope="col">"Gallery entry"</th>
                                    <th scope="col">"Provisioning"</th>
                                    <th scope="col">"Last changed"</th>
                                </tr></thead>
                                <tbody>
                                    {list.into_iter().map(|a| view! {
                                        <tr>
                                            <td><a href=format!("/applications/{}", a.id)><strong>{a.name}</strong></a></td>
                                            <td>{a.gallery_name}</td>
                                            <td>{if a.provisioning_mode == "automatic" { "Automatic" } else { "Manual" }}</td>
                                            <td class="nowrap">{format_time(a.updated_at)}</td>
                                        </tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                        </div>
                    }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
pub fn GalleryPage() -> impl IntoView {
    let (search, set_search) = signal(String::new());
    let (chosen, set_chosen) = signal(None::<(String, String)>);
    let tiles = Resource::new(move || search.get(), gallery);
    let create = ServerAction::<CreateApplication>::new();
    let error = Signal::derive(move || create.value().get().and_then(|r| r.err()));
    view! {
        <p class="breadcrumb"><a href="/applications">"Enterprise applications"</a> " / Gallery"</p>
        <PageHeader title="Application gallery" subtitle="Pick the application to provision, or create your own for any SCIM 2.0 service."/>
        <div class="toolbar">
            <input type="search" class="toolbar-search" placeholder="Search applications" aria-label="Search applications"
                prop:value=search on:input=move |ev| set_search.set(event_target_value(&ev))/>
        </div>
        {move || chosen.get().map(|(id, name)| view! {
            <section class="card form-card" data-testid="create-application">
                <h2>{format!("Add {name}")}</h2>
                <FormError error/>
                <ActionForm action=create attr:class="form" attr:novalidate=true>
                    <input type="hidden" name="gallery_id" value=id/>
                    <div class="field">
                        <label for="app-name">"Name"</label>
                        <input id="app-name" name="name" type="text" value=name.clone() autocomplete="off"/>
                        <p class="hint">"How this application appears in Steward; you can add the same gallery entry several times (one per tenant)."</p>
                    </div>
                    <div class="actions">
                        <button type="submit" class="button button-primary" disabled=move || create.pending().get()>"Create"</button>
                        <button type="button" class="button" on:click=move |_| set_chosen.set(None)>"Cancel"</button>
                    </div>
                </ActionForm>
            </section>
        })}
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match tiles.await {
                    Err(e) => view! { <ErrorPanel error=e/> }.into_any(),
                    Ok(list) => view! {
                        <ul class="tiles" data-testid="gallery-tiles">
                            {list.into_iter().map(|t| {
                                let custom = t.id == "custom-scim";
                                let (id, name) = (t.id.clone(), t.name.clone());
                                view! {
                                    <li class=if custom { "tile tile-custom" } else { "tile" }>
                                        <button type="button" class="tile-button" on:click=move |_| set_chosen.set(Some((id.clone(), name.clone())))>
                                            <span class="tile-name">{t.name.clone()}</span>
                                            <span class="tile-publisher">{t.publisher.clone()}</span>
                                            <span class="tile-description">{t.description.clone()}</span>
                                            <span class="badge">{if t.connector == "scim" { "SCIM 2.0" } else { "REST API" }}</span>
                                        </button>
                                    </li>
                                }
                            }).collect_view()}
                        </ul>
                    }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
pub fn ApplicationPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").unwrap_or_default();
    let update = ServerAction::<UpdateApplication>::new();
    let save = ServerAction::<SaveCredentials>::new();
    let save_settings = ServerAction::<SaveSettings>::new();
    let app = Resource::new(
        move || {
            (
                id(),
                update.version().get(),
                save.version().get(),
                save_settings.version().get(),
            )
        },
        |(id, ..)| get_application(id),
    );
    view! {
        <p class="breadcrumb"><a href="/applications">"Enterprise applications"</a> " / Application"</p>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match app.await {
                    Err(e) => view! { <Title text="Application"/><ErrorPanel error=e/> }.into_any(),
                    Ok(a) => view! { <ApplicationView a update save save_settings/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn ApplicationView(
    a: ApplicationDetail,
    update: ServerAction<UpdateApplication>,
    save: ServerAction<SaveCredentials>,
    save_settings: ServerAction<SaveSettings>,
) -> impl IntoView {
    let update_error = Signal::derive(move || update.value().get().and_then(|r| r.err()));
    let automatic = a.provisioning_mode == "automatic";
    let (owners_text, roles_text, roles) =
        (a.owners.join(", "), a.roles.join(", "), a.roles.clone());
    let (form_id, card_id, settings_id, assignments_id, name) = (
        a.id.clone(),
        a.id.clone(),
        a.id.clone(),
        a.id.clone(),
        a.name.clone(),
    );
    view! {
        <Title text=a.name.clone()/>
        <div class="page-header">
            <h1>{a.name.clone()}</h1>
            <p class="page-subtitle">{format!("{} · last changed {}", a.gallery_name, format_time(a.updated_at))}</p>
        </div>
        <AppTabs id=a.id.clone() active="overview"/>
        {(!a.notes.is_empty()).then(|| view! {
            <div class="notice">{a.notes.iter().map(|n| view! { <p>{n.clone()}</p> }).collect_view()}</div>
        })}
        <section class="card form-card">
            <h2>"Provisioning"</h2>
            <FormError error=update_error/>
            <ActionForm action=update attr:class="form" attr:novalidate=true>
                <input type="hidden" name="id" value=form_id/>
                <input type="hidden" name="version" value=a.version.to_string()/>
                <div class="field-row">
                    <div class="field">
                        <label for="app-name">"Name"</label>
                        <input id="app-name" name="name" type="text" value=name autocomplete="off"/>
                    </div>
                    <div class="field">
                        <label for="app-mode">"Provisioning mode"</label>
                        <select id="app-mode" name="provisioning_mode">
                            <option value="manual" selected=!automatic>"Manual"</option>
                            <option value="automatic" selected=automatic>"Automatic"</option>
                        </select>
                    </div>
                </div>
                <div class="field-row">
                    <div class="field">
                        <label for="app-owners">"Owners"</label>
                        <input id="app-owners" name="owners" type="text" autocomplete="off" value=owners_text
                            placeholder="admin@example.com, …"/>
                        <p class="hint">"Admins responsible for this application, by e-mail, separated by commas."</p>
                        <FieldMessage error=update_error field="owners"/>
                    </div>
                    <div class="field">
                        <label for="app-roles">"App roles"</label>
                        <input id="app-roles" name="roles" type="text" autocomplete="off" value=roles_text/>
                        <p class="hint">"Roles assignments can carry, separated by commas; \"User\" always exists."</p>
                        <FieldMessage error=update_error field="roles"/>
                    </div>
                </div>
                <div class="actions">
                    <button type="submit" class="button button-primary" disabled=move || update.pending().get()>"Save"</button>
                </div>
            </ActionForm>
        </section>
        <CredentialsCard id=card_id version=a.version fields=a.credentials.clone() save/>
        <MappingsCard id=a.id.clone() custom=a.custom_mappings groups=a.provisions_groups full_sync=a.full_sync_required/>
        <SettingsCard id=settings_id version=a.version settings=a.settings.clone() save=save_settings/>
        <AssignmentsCard application=assignments_id roles/>
        <section class="card">
            <h2>"Provisioning status and provision on demand"</h2>
            <p>"Turn provisioning on, watch its progress live, provision one user or group now, allow held deletes and run dry runs on the "
                <a href=format!("/applications/{}/provisioning", a.id)><strong>"Provisioning"</strong></a> " page."</p>
        </section>
    }
}

/// The admin credentials form: Test Connection checks what is typed (a secret left empty:
/// the stored one) without saving; Save stores it, secrets encrypted.
#[component]
fn CredentialsCard(
    id: String,
    version: i64,
    fields: Vec<CredentialView>,
    save: ServerAction<SaveCredentials>,
) -> impl IntoView {
    let test = ServerAction::<TestConnection>::new();
    let form = NodeRef::<leptos::html::Form>::new();
    let save_error = Signal::derive(move || save.value().get().and_then(|r| r.err()));
    let test_error = Signal::derive(move || test.value().get().and_then(|r| r.err()));
    let error = Signal::derive(move || save_error.get().or_else(|| test_error.get()));
    let saved = move || matches!(save.value().get(), Some(Ok(())));
    let run_test = {
        let id = id.clone();
        move |_| {
            let Some(form) = form.get() else { return };
            let mut values = std::collections::BTreeMap::new();
            if let Ok(data) = web_sys_form_values(&form) {
                values = data;
            }
            test.dispatch(TestConnection {
                id: id.clone(),
                form: values,
            });
        }
    };
    view! {
        <section class="card form-card">
            <h2>"Admin credentials"</h2>
            <p class="hint">"Secrets are encrypted with this installation's key and never shown again; leave a secret empty to keep the stored one."</p>
            <FormError error/>
            <ActionForm action=save node_ref=form attr:class="form" attr:novalidate=true>
                <input type="hidden" name="id" value=id.clone()/>
                <input type="hidden" name="version" value=version.to_string()/>
                {fields.into_iter().map(|f| view! { <CredentialInput f error/> }).collect_view()}
                <div class="actions">
                    <button type="button" class="button" on:click=run_test disabled=move || test.pending().get()>
                        {move || if test.pending().get() { "Testing…" } else { "Test Connection" }}
                    </button>
                    <button type="submit" class="button button-primary" disabled=move || save.pending().get()>"Save credentials"</button>
                    {move || saved().then(|| view! { <span class="badge badge-ok" role="status">"Saved"</span> })}
                </div>
            </ActionForm>
            {move || test.value().get().and_then(|r| r.ok()).map(|r| view! { <TestOutcome r/> })}
        </section>
    }
}

/// The form's `form[NAME]` inputs as a map, read in the browser.
fn web_sys_form_values(
    form: &leptos::web_sys::HtmlFormElement,
) -> Result<std::collections::BTreeMap<String, String>, ()> {
    use leptos::wasm_bindgen::JsCast;
    use leptos::web_sys::js_sys;
    let data = leptos::web_sys::FormData::new_with_form(form).map_err(|_| ())?;
    let mut out = std::collections::BTreeMap::new();
    let entries: js_sys::Iterator = data.entries();
    while let Ok(next) = entries.next() {
        if next.done() {
            break;
        }
        let Ok(pair) = next.value().dyn_into::<js_sys::Array>() else {
            continue;
        };
        let (Some(name), Some(value)) = (pair.get(0).as_string(), pair.get(1).as_string()) else {
            continue;
        };
        if let Some(key) = name.strip_prefix("form[").and_then(|n| n.strip_suffix(']')) {
            out.insert(key.to_string(), value);
        }
    }
    Ok(out)
}

#[component]
fn CredentialInput(f: CredentialView, error: Signal<Option<AppError>>) -> impl IntoView {
    let input_id = format!("cred-{}", f.name);
    let key = format!("cred.{}", f.name);
    let secret = f.kind == "secret";
    let message = {
        let key = key.clone();
        move || error.get().and_then(|e| e.field(&key))
    };
    let kind = match f.kind.as_str() {
        "secret" => "password",
        "url" => "url",
        _ => "text",
    };
    let placeholder = if secret && f.is_set {
        "A secret is stored; type to replace it".to_string()
    } else {
        String::new()
    };
    view! {
        <div class="field">
            <label for=input_id.clone()>{f.label.clone()}</label>
            <input id=input_id name=format!("form[{}]", f.name) type=kind autocomplete="off"
                value=if secret { String::new() } else { f.value.clone() } placeholder=placeholder/>
            {(secret && f.is_set).then(|| view! { <p class="hint"><span class="badge badge-ok">"Stored"</span> " Leave empty to keep it."</p> })}
            <p class="hint">{f.help.clone()}</p>
            {move || message().map(|m| view! { <p class="field-error">{m}</p> })}
        </div>
    }
}

/// Scope, accidental deletion prevention, out-of-scope deletions, cycle interval and the
/// failure notification.
#[component]
fn SettingsCard(
    id: String,
    version: i64,
    settings: ProvisioningSettings,
    save: ServerAction<SaveSettings>,
) -> impl IntoView {
    let error = Signal::derive(move || save.value().get().and_then(|r| r.err()));
    let saved = move || matches!(save.value().get(), Some(Ok(())));
    let message = move |field: &'static str| {
        move || {
            error
                .get()
                .and_then(|e| e.field(field))
                .map(|m| view! { <p class="field-error">{m}</p> })
        }
    };
    let all = settings.scope == "all";
    view! {
        <section class="card form-card">
            <h2>"Settings"</h2>
            <FormError error/>
            <ActionForm action=save attr:class="form" attr:novalidate=true>
                <input type="hidden" name="id" value=id/>
                <input type="hidden" name="version" value=version.to_string()/>
                <div class="field">
                    <label for="set-scope">"Scope"</label>
                    <select id="set-scope" name="form[scope]">
                        <option value="assigned" selected=!all>"Sync only assigned users and groups"</option>
                        <option value="all" selected=all>"Sync all users and groups"</option>
                    </select>
                    {message("scope")}
                </div>
                <label class="check"><input type="checkbox" name="form[prevent_accidental_deletion]" checked=settings.prevent_accidental_deletion/>
                    " Prevent accidental deletion"</label>
                <div class="field">
                    <label for="set-threshold">"Accidental deletion threshold"</label>
                    <input id="set-threshold" name="form[deletion_threshold]" type="number" min="1" value=settings.deletion_threshold.to_string()/>
                    <p class="hint">"A cycle that would disable or delete more accounts than this holds them until an admin allows them."</p>
                    {message("deletion_threshold")}
                </div>
                <label class="check"><input type="checkbox" name="form[skip_out_of_scope_deletions]" checked=settings.skip_out_of_scope_deletions/>
                    " Skip out-of-scope deletions (leave accounts of users who leave scope as they are)"</label>
                <div class="field">
                    <label for="set-interval">"Cycle interval (minutes)"</label>
                    <input id="set-interval" name="form[cycle_interval_minutes]" type="number" min="1" max="1440" value=settings.cycle_interval_minutes.to_string()/>
                    <p class="hint">"Changes reach the application within seconds; the full cycle at this interval is the safety net."</p>
                    {message("cycle_interval_minutes")}
                </div>
                <div class="field">
                    <label for="set-email">"Notification email"</label>
                    <input id="set-email" name="form[notification_email]" type="email" autocomplete="off" value=settings.notification_email.clone()/>
                    {message("notification_email")}
                </div>
                <label class="check"><input type="checkbox" name="form[notify_on_failure]" checked=settings.notify_on_failure/>
                    " Send an email notification when a failure occurs"</label>
                <details class="field">
                    <summary>"Target compatibility"</summary>
                    <div class="field">
                        <label for="set-updates">"Send updates as"</label>
                        <select id="set-updates" name="form[updates]">
                            <option value="auto" selected=matches!(settings.compatibility.updates.as_str(), "" | "auto")>"What the application says it supports (its /ServiceProviderConfig)"</option>
                            <option value="patch" selected=settings.compatibility.updates == "patch">"PATCH with only what changed"</option>
                            <option value="put" selected=settings.compatibility.updates == "put">"PUT of the whole object"</option>
                        </select>
                        {message("compatibility.updates")}
                    </div>
                    <label class="check"><input type="checkbox" name="form[legacy_shapes]" checked=settings.compatibility.legacy_shapes/>
                        " Send Entra's legacy request shapes (for applications built against Entra's older provisioning: \"Replace\", \"False\" as text, member removal as a value list)"</label>
                </details>
                <div class="actions">
                    <button type="submit" class="button button-primary" disabled=move || save.pending().get()>"Save settings"</button>
                    {move || saved().then(|| view! { <span class="badge badge-ok" role="status">"Settings saved"</span> })}
                </div>
            </ActionForm>
        </section>
    }
}

/// Where the attribute mappings and scoping filters are edited.
#[component]
fn MappingsCard(id: String, custom: bool, groups: bool, full_sync: bool) -> impl IntoView {
    view! {
        <section class="card" data-testid="mappings-card">
            <h2>"Mappings"</h2>
            <p class="hint">{if custom {
                "Edited attribute mappings and scoping filters."
            } else {
                "The gallery's default attribute mappings, no scoping filter."
            }}
            {full_sync.then(|| view! { " " <span class="badge badge-info">"Full re-evaluation pending"</span> })}</p>
            <ul class="link-list">
                <li><a href=format!("/applications/{id}/mappings?object=users")>"Provision users"</a>
                    <span class="muted">" · attributes, matching, scoping filters"</span></li>
                {groups.then(|| view! {
                    <li><a href=format!("/applications/{id}/mappings?object=groups")>"Provision groups"</a>
                        <span class="muted">" · on or off, attributes, scoping filters"</span></li>
                })}
            </ul>
        </section>
    }
}

#[component]
fn TestOutcome(r: TestResult) -> impl IntoView {
    if r.ok {
        return view! {
            <div class="callout" role="status" data-testid="test-result">
                <p><strong>"Test Connection succeeded"</strong>{r.millis.map(|m| format!(" in {m} ms"))}</p>
                <p class="muted">{r.detail}</p>
            </div>
        }
        .into_any();
    }
    view! {
        <div class="form-error test-failure" role="alert" data-testid="test-result">
            <p><strong>{format!("Test Connection failed at: {}", r.step)}</strong>{r.status.map(|s| format!(" (HTTP {s})"))}</p>
            <p>{r.detail}</p>
            {r.excerpt.map(|e| view! { <pre class="excerpt">{e}</pre> })}
            <p><strong>"What to try: "</strong>{r.hint}</p>
        </div>
    }
    .into_any()
}

/// Users and groups assigned to the application: a picker to add them with a role, and the
/// list (filtered on the server) to remove them.
#[component]
fn AssignmentsCard(application: String, roles: Vec<String>) -> impl IntoView {
    let assign = ServerAction::<Assign>::new();
    let unassign = ServerAction::<Unassign>::new();
    let (query, set_query) = signal(String::new());
    let (filter, set_filter) = signal(String::new());
    let (role, set_role) = signal("User".to_string());
    let app_for_list = application.clone();
    let list = Resource::new(
        move || {
            (
                filter.get(),
                assign.version().get(),
                unassign.version().get(),
            )
        },
        move |(filter, ..)| application_assignments(app_for_list.clone(), filter),
    );
    let app_for_candidates = application.clone();
    let candidates = Resource::new(
        move || (query.get(), assign.version().get()),
        move |(q, _)| assignment_candidates(app_for_candidates.clone(), q),
    );
    let error = Signal::derive(move || {
        assign
            .value()
            .get()
            .and_then(|r| r.err())
            .or_else(|| unassign.value().get().and_then(|r| r.err()))
    });
    let picker_app = application.clone();
    view! {
        <section class="card">
            <h2>"Users and groups"</h2>
            <p class="hint">"With the scope \"Sync only assigned users and groups\", these are who the application provisions; a group assigns its direct members."</p>
            <FormError error/>
            <div class="field-row">
                <div class="picker">
                    <label for="assign-search">"Assign users and groups"</label>
                    <input id="assign-search" type="search" autocomplete="off" placeholder="Search by name, user name or email"
                        prop:value=query on:input=move |ev| set_query.set(event_target_value(&ev))/>
                </div>
                <div class="picker">
                    <label for="assign-role">"Role"</label>
                    <select id="assign-role" on:change=move |ev| set_role.set(event_target_value(&ev))>
                        {roles.into_iter().map(|r| view! { <option value=r.clone() selected=r == "User">{r.clone()}</option> }).collect_view()}
                    </select>
                </div>
            </div>
            <CandidateList candidates query testid="assignment-candidates"
                empty="No users or groups match that aren't assigned already."
                take=move |c: MemberRow| {
                    let label = format!("Assign {}", c.display);
                    let owner = picker_app.clone();
                    view! {
                        <ActionForm action=assign>
                            <input type="hidden" name="application" value=owner/>
                            <input type="hidden" name="member" value=c.id/>
                            <input type="hidden" name="kind" value=c.kind/>
                            <input type="hidden" name="role" value=move || role.get()/>
                            <button type="submit" class="button" aria-label=label>"Assign"</button>
                        </ActionForm>
                    }
                }/>
            <div class="picker">
                <label for="assignment-filter">"Filter assignments"</label>
                <input id="assignment-filter" type="search" autocomplete="off" placeholder="Name or user name"
                    prop:value=filter on:input=move |ev| set_filter.set(event_target_value(&ev))/>
            </div>
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || {
                    let application = application.clone();
                    Suspend::new(async move {
                        match list.await {
                            Err(e) => view! { <ErrorPanel error=e/> }.into_any(),
                            Ok(page) if page.rows.is_empty() => view! {
                                <p class="muted" data-testid="no-assignments">"Nobody is assigned yet."</p>
                            }.into_any(),
                            Ok(page) => view! {
                                <div class="table-wrap">
                                    <table class="table" data-testid="assignments-table">
                                        <thead><tr>
                                            <th scope="col">"Name"</th>
                                            <th scope="col">"Type"</th>
                                            <th scope="col">"Role"</th>
                                            <th scope="col"><span class="sr-only">"Actions"</span></th>
                                        </tr></thead>
                                        <tbody>
                                            {page.rows.into_iter().map(|a| {
                                                let link = if a.kind == "Group" { format!("/groups/{}", a.id) } else { format!("/users/{}", a.id) };
                                                let label = format!("Remove {}", a.display);
                                                let application = application.clone();
                                                view! {
                                                    <tr>
                                                        <td><a href=link>{a.display.clone()}</a><br/><span class="muted">{a.detail.clone()}</span></td>
                                                        <td><span class="badge">{a.kind.clone()}</span></td>
                                                        <td>{a.role.clone()}</td>
                                                        <td class="row-actions">
                                                            <ActionForm action=unassign>
                                                                <input type="hidden" name="application" value=application/>
                                                                <input type="hidden" name="member" value=a.id.clone()/>
                                                                <button type="submit" class="button button-quiet" aria-label=label>"Remove"</button>
                                                            </ActionForm>
                                                        </td>
                                                    </tr>
                                                }
                                            }).collect_view()}
                                        </tbody>
                                    </table>
                                </div>
                                {(page.total > 100).then(|| view! { <p class="hint">{format!("Showing 100 of {}; filter to find the others.", page.total)}</p> })}
                            }.into_any(),
                        }
                    })
                }}
            </Transition>
        </section>
    }
}
