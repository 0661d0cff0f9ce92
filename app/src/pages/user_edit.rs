//! Editing a user: the create form's fields, enterprise attributes, contact and locale, and
//! the manager, chosen with a search picker. Fields are checked on the server; messages
//! appear next to the field they concern.

use crate::api::{get_user_for_edit, manager_candidates, UpdateUser, UserEditData, UserRef};
use crate::components::{ErrorPanel, FieldMessage, FormError};
use crate::error::AppError;
use crate::pages::custom_fields::CustomFields;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

#[component]
pub fn EditUserPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").unwrap_or_default();
    let action = ServerAction::<UpdateUser>::new();
    // Loaded once: reloading after a failed save would put back the stored values over
    // what the admin typed.
    let user = Resource::new(id, get_user_for_edit);
    let error = Signal::derive(move || action.value().get().and_then(|r| r.err()));
    view! {
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match user.await {
                    Err(e) => view! {
                        <p class="breadcrumb"><a href="/users">"Users"</a> " / Edit user"</p>
                        <Title text="Edit user"/>
                        <ErrorPanel error=e/>
                    }.into_any(),
                    Ok(data) => view! { <EditUserForm data action error/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn EditUserForm(
    data: UserEditData,
    action: ServerAction<UpdateUser>,
    error: Signal<Option<AppError>>,
) -> impl IntoView {
    let UserEditData {
        id,
        name,
        version,
        deleted,
        form: f,
        manager,
    } = data;
    let user_href = format!("/users/{id}");
    let header = view! {
        <p class="breadcrumb">
            <a href="/users">"Users"</a> " / " <a href=user_href.clone()>{name.clone()}</a> " / Edit"
        </p>
        <Title text=format!("Edit {name}")/>
        <div class="page-header">
            <h1>{format!("Edit {name}")}</h1>
            <p class="page-subtitle">
                "Changes reach the applications this user is provisioned to. Attributes this form does not show, such as those set over SCIM, are kept."
            </p>
        </div>
    };
    if deleted {
        return view! {
            {header}
            <p class="notice">"This user is in the recycle bin. Restore them to edit them."</p>
            <a class="button" href=user_href>"Back to the user"</a>
        }
        .into_any();
    }
    let field = move |id: &'static str, label: &'static str, value: String| {
        view! { <TextField error id label value/> }
    };
    view! {
        {header}
        <section class="card form-card user-edit">
            <FormError error/>
            <ActionForm action attr:class="form" attr:novalidate=true>
                <input type="hidden" name="id" value=id.clone()/>
                <input type="hidden" name="version" value=version.to_string()/>
                <fieldset class="form-section">
                    <legend>"Identity"</legend>
                    <TextField error id="user_name" label="User name" value=f.user_name
                        hint="Unique; usually the sign-in email, e.g. ada.lovelace@contoso.com."/>
                    <div class="field-row">
                        {field("given_name", "First name", f.given_name)}
                        {field("family_name", "Last name", f.family_name)}
                    </div>
                    <TextField error id="display_name" label="Display name" value=f.display_name
                        hint="Leave empty to use first and last name."/>
                    <TextField error id="email" label="Work email" value=f.email kind="email"/>
                    <TextField error id="external_id" label="External id" value=f.external_id
                        hint="The person's id in your HR system, if any; unique."/>
                </fieldset>
                <fieldset class="form-section">
                    <legend>"Job"</legend>
                    <div class="field-row">
                        {field("title", "Job title", f.title)}
                        {field("department", "Department", f.department)}
                    </div>
                    <div class="field-row">
                        {field("employee_number", "Employee number", f.employee_number)}
                        {field("cost_center", "Cost center", f.cost_center)}
                    </div>
                    <div class="field-row">
                        {field("organization", "Organization", f.organization)}
                        {field("division", "Division", f.division)}
                    </div>
                    <ManagerPicker user=id.clone() initial=manager error/>
                </fieldset>
                <fieldset class="form-section">
                    <legend>"Contact and locale"</legend>
                    <div class="field-row">
                        <TextField error id="phone" label="Work phone" value=f.phone kind="tel"
                            placeholder="e.g. +1 425 555 0100"/>
                        <TextField error id="timezone" label="Time zone" value=f.timezone
                            placeholder="e.g. Europe/Paris"/>
                    </div>
                    <div class="field-row">
                        <TextField error id="preferred_language" label="Preferred language"
                            value=f.preferred_language placeholder="e.g. en-US"/>
                        <TextField error id="locale" label="Locale" value=f.locale placeholder="e.g. en-US"/>
                    </div>
                </fieldset>
                <CustomFields object_type="user" id=Some(id.clone()) error/>
                <div class="actions form-actions">
                    <button type="submit" class="button button-primary" disabled=move || action.pending().get()>
                        {move || if action.pending().get() { "Saving…" } else { "Save changes" }}
                    </button>
                    <a class="button" href=user_href>"Cancel"</a>
                </div>
            </ActionForm>
        </section>
    }
    .into_any()
}

/// One labelled text input with its hint and its message, named `form[<id>]`.
#[component]
fn TextField(
    error: Signal<Option<AppError>>,
    id: &'static str,
    label: &'static str,
    value: String,
    #[prop(default = "text")] kind: &'static str,
    #[prop(optional)] hint: &'static str,
    #[prop(optional)] placeholder: &'static str,
) -> impl IntoView {
    view! {
        <div class="field">
            <label for=id>{label}</label>
            <input id=id name=format!("form[{id}]") type=kind autocomplete="off" value=value
                placeholder=(!placeholder.is_empty()).then_some(placeholder)
                aria-invalid=move || if error.get().and_then(|e| e.field(id)).is_some() { "true" } else { "false" }/>
            {(!hint.is_empty()).then(|| view! { <p class="hint">{hint}</p> })}
            <FieldMessage error field=id/>
        </div>
    }
}

/// The manager: search current users, click one to choose them, "Clear" to have none.
/// The choice is posted as `form[manager_id]`.
#[component]
fn ManagerPicker(
    user: String,
    initial: Option<UserRef>,
    error: Signal<Option<AppError>>,
) -> impl IntoView {
    let (chosen, set_chosen) = signal(initial);
    let (query, set_query) = signal(String::new());
    let candidates = Resource::new(
        move || query.get(),
        move |q| manager_candidates(user.clone(), q),
    );
    let invalid = move || {
        if error.get().and_then(|e| e.field("manager_id")).is_some() {
            "true"
        } else {
            "false"
        }
    };
    let choose = move |who: UserRef| {
        set_chosen.set(Some(who));
        set_query.set(String::new());
    };
    view! {
        <div class="field manager-field">
            <input type="hidden" name="form[manager_id]"
                value=move || chosen.with(|c| c.as_ref().map(|m| m.id.clone()).unwrap_or_default())/>
            {move || match chosen.get() {
                Some(m) => view! {
                    <span class="field-label" id="manager-label">"Manager"</span>
                    <div class="picker-chosen" data-testid="manager-chosen" role="group" aria-labelledby="manager-label">
                        <span class="avatar avatar-small" aria-hidden="true">{initials(&m.display)}</span>
                        <span class="picker-chosen-text">
                            <span class="picker-name">{m.display.clone()}</span>
                            <span class="muted">{m.user_name.clone()}</span>
                        </span>
                        {m.note.clone().map(|n| view! { <span class="badge badge-bad">{n}</span> })}
                        <button type="button" class="button button-quiet" aria-label="Clear the manager"
                            on:click=move |_| set_chosen.set(None)>"Clear"</button>
                    </div>
                }.into_any(),
                None => view! {
                    <label for="manager-search">"Manager"</label>
                    <input id="manager-search" type="search" autocomplete="off"
                        placeholder="Search by name, user name or email" aria-invalid=invalid
                        prop:value=query on:input=move |ev| set_query.set(event_target_value(&ev))
                        // Enter here would save the whole form; pick from the list instead.
                        on:keydown=move |ev| if ev.key() == "Enter" { ev.prevent_default() }/>
                    <Transition fallback=|| ()>
                        {move || Suspend::new(async move {
                            match candidates.await {
                                Ok(list) if list.is_empty() => {
                                    (!query.get_untracked().trim().is_empty()).then(|| view! {
                                        <p class="muted">"No users match."</p>
                                    }).into_any()
                                }
                                Ok(list) => view! {
                                    <ul class="picker-results" data-testid="manager-candidates">
                                        {list.into_iter().map(|c| {
                                            let label = format!("Choose {}", c.display);
                                            let who = c.clone();
                                            view! {
                                                <li>
                                                    <button type="button" class="picker-choice" aria-label=label
                                                        on:click=move |_| choose(who.clone())>
                                                        <span class="picker-name">{c.display.clone()}</span>
                                                        <span class="muted">{c.user_name.clone()}</span>
                                                    </button>
                                                </li>
                                            }
                                        }).collect_view()}
                                    </ul>
                                }.into_any(),
                                Err(e) => view! { <p class="field-error">{e.message}</p> }.into_any(),
                            }
                        })}
                    </Transition>
                    <p class="hint">"Leave empty for no manager."</p>
                }.into_any(),
            }}
            <FieldMessage error field="manager_id"/>
        </div>
    }
}

fn initials(name: &str) -> String {
    name.split_whitespace()
        .filter_map(|w| w.chars().next())
        .take(2)
        .flat_map(char::to_uppercase)
        .collect()
}
