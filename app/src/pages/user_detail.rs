//! One user: who they are, their sign-in state, their manager and direct reports, the
//! recycle bin (and deleting for good from it), and their SCIM resource.

use crate::api::{get_user, get_user_org, DeleteUserForGood, RecycleUser, SetUserEnabled, UserOrg};
use crate::components::{format_time, ErrorPanel, FormError};
use crate::pages::custom_fields::CustomFacts;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

#[component]
pub fn UserDetailPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").unwrap_or_default();
    let set_enabled = ServerAction::<SetUserEnabled>::new();
    let recycle = ServerAction::<RecycleUser>::new();
    let delete_for_good = ServerAction::<DeleteUserForGood>::new();
    // Reload after each action so the page shows what the store now holds.
    let user = Resource::new(
        move || (id(), set_enabled.version().get(), recycle.version().get()),
        |(id, _, _)| get_user(id),
    );
    let org = Resource::new(id, get_user_org);
    let error = Signal::derive(move || {
        set_enabled
            .value()
            .get()
            .and_then(|r| r.err())
            .or_else(|| recycle.value().get().and_then(|r| r.err()))
            .or_else(|| delete_for_good.value().get().and_then(|r| r.err()))
    });
    view! {
        <p class="breadcrumb"><a href="/users">"Users"</a> " / User"</p>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match user.await {
                    Err(e) => view! { <Title text="User"/><ErrorPanel error=e/> }.into_any(),
                    Ok(u) => {
                        let title = if u.display_name.is_empty() { u.user_name.clone() } else { u.display_name.clone() };
                        let deleted = u.deleted_at.is_some();
                        let (enable_id, recycle_id) = (u.id.clone(), u.id.clone());
                        let edit_href = format!("/users/{}/edit", u.id);
                        let org = org.await.ok();
                        view! {
                            <Title text=title.clone()/>
                            <div class="page-header">
                                <h1>{title.clone()}</h1>
                                <p class="page-subtitle">{u.user_name.clone()}</p>
                            </div>
                            <FormError error/>
                            <div class="actions">
                                {(!deleted).then(|| view! { <a class="button" href=edit_href>"Edit"</a> })}
                                {(!deleted).then(|| view! {
                                    <ActionForm action=set_enabled>
                                        <input type="hidden" name="id" value=enable_id/>
                                        <input type="hidden" name="enabled" value=(!u.active).to_string()/>
                                        <input type="hidden" name="version" value=u.version.to_string()/>
                                        <button type="submit" class="button">
                                            {if u.active { "Disable sign-in" } else { "Enable sign-in" }}
                                        </button>
                                    </ActionForm>
                                })}
                                <ActionForm action=recycle>
                                    <input type="hidden" name="id" value=recycle_id/>
                                    <input type="hidden" name="restore" value=deleted.to_string()/>
                                    <button type="submit" class="button">
                                        {if deleted { "Restore" } else { "Delete" }}
                                    </button>
                                </ActionForm>
                            </div>
                            <section class="card">
                                <h2>"Identity"</h2>
                                <dl class="facts" data-testid="user-facts">
                                    <dt>"State"</dt>
                                    <dd>{match (deleted, u.active) {
                                        (true, _) => view! { <span class="badge badge-bad">"In the recycle bin"</span> }.into_any(),
                                        (false, true) => view! { <span class="badge badge-ok">"Enabled"</span> }.into_any(),
                                        (false, false) => view! { <span class="badge badge-bad">"Disabled"</span> }.into_any(),
                                    }}</dd>
                                    <dt>"Email"</dt><dd>{u.email.clone()}</dd>
                                    <dt>"External id"</dt><dd>{u.external_id.clone().unwrap_or_else(|| "None".into())}</dd>
                                    <dt>"Object id"</dt><dd><code>{u.id.clone()}</code></dd>
                                    <dt>"Created"</dt><dd>{format_time(u.created_at)}</dd>
                                    <dt>"Last changed"</dt><dd>{format_time(u.updated_at)} " (version " {u.version} ")"</dd>
                                    {u.deleted_at.map(|at| view! {
                                        <dt>"Deleted"</dt>
                                        <dd>{format_time(at)} " · deleted for good 30 days later unless restored"</dd>
                                    })}
                                </dl>
                            </section>
                            {org.map(|o| view! { <OrgCard org=o/> })}
                            <CustomFacts object_type="user" id=u.id.clone()/>
                            <section class="card">
                                <h2>"SCIM resource"</h2>
                                <pre class="expr-value">{u.resource.clone()}</pre>
                            </section>
                            {deleted.then(|| {
                                let name = title.clone();
                                view! {
                                    <details class="card danger-zone">
                                        <summary>"Delete for good…"</summary>
                                        <p>"Deleting " <strong>{name.clone()}</strong> " for good removes them and their group memberships. It cannot be undone: to bring them back you would create them again, with a new object id."</p>
                                        <ActionForm action=delete_for_good>
                                            <input type="hidden" name="id" value=u.id.clone()/>
                                            <button type="submit" class="button button-danger">{format!("Delete {name} for good")}</button>
                                        </ActionForm>
                                    </details>
                                }
                            })}
                        }.into_any()
                    }
                }
            })}
        </Transition>
    }
}

/// Job title, department, manager and direct reports.
#[component]
fn OrgCard(org: UserOrg) -> impl IntoView {
    let or_none = |s: String| if s.is_empty() { "None".to_string() } else { s };
    let count = org.report_count;
    let shown = org.reports.len() as i64;
    view! {
        <section class="card">
            <h2>"Organization"</h2>
            <dl class="facts" data-testid="user-org">
                <dt>"Job title"</dt><dd>{or_none(org.title)}</dd>
                <dt>"Department"</dt><dd>{or_none(org.department)}</dd>
                <dt>"Manager"</dt>
                <dd data-testid="user-manager">{match org.manager {
                    Some(m) => view! {
                        <a href=format!("/users/{}", m.id)>{m.display}</a>
                        {m.note.map(|n| view! { " " <span class="badge badge-bad">{n}</span> })}
                    }.into_any(),
                    None => "None".into_any(),
                }}</dd>
            </dl>
            <h3 class="org-reports-heading">"Direct reports " <span class="muted">{format!("({count})")}</span></h3>
            {if org.reports.is_empty() {
                view! { <p class="muted">"No one reports to this user."</p> }.into_any()
            } else {
                view! {
                    <ul class="report-list" data-testid="direct-reports">
                        {org.reports.into_iter().map(|r| view! {
                            <li>
                                <a href=format!("/users/{}", r.id)>{r.display}</a>
                                <span class="muted">{r.user_name}</span>
                            </li>
                        }).collect_view()}
                    </ul>
                    {(count > shown).then(|| view! {
                        <p class="hint">{format!("Showing the first {shown} of {count}, by name.")}</p>
                    })}
                }.into_any()
            }}
        </section>
    }
}
