//! One group: its members (add users and groups with a search picker, remove them), its
//! properties (edited with a version check), and deleting it.

use crate::api::{
    get_group, group_members, member_candidates, AddGroupMember, DeleteGroup, MemberRow,
    RemoveGroupMember, UpdateGroup,
};
use crate::components::{format_time, ErrorPanel, FieldMessage, FormError};
use crate::error::AppError;
use crate::pages::candidates::CandidateList;
use crate::pages::custom_fields::CustomFields;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

/// The fields of the create and edit forms.
#[component]
pub fn GroupFields(
    error: Signal<Option<AppError>>,
    name: String,
    description: String,
    external_id: String,
) -> impl IntoView {
    let invalid = move |field: &'static str| {
        move || {
            if error.get().and_then(|e| e.field(field)).is_some() {
                "true"
            } else {
                "false"
            }
        }
    };
    view! {
        <div class="field">
            <label for="display_name">"Name"</label>
            <input id="display_name" name="form[display_name]" type="text" autocomplete="off"
                value=name aria-invalid=invalid("display_name")/>
            <p class="hint">"Unique, ignoring case. Applications that receive groups see this name."</p>
            <FieldMessage error field="display_name"/>
        </div>
        <div class="field">
            <label for="description">"Description"</label>
            <input id="description" name="form[description]" type="text" autocomplete="off" value=description/>
        </div>
        <div class="field">
            <label for="external_id">"External id"</label>
            <input id="external_id" name="form[external_id]" type="text" autocomplete="off"
                value=external_id aria-invalid=invalid("external_id")/>
            <p class="hint">"The group's id in your HR system, if any; unique."</p>
            <FieldMessage error field="external_id"/>
        </div>
    }
}

#[component]
pub fn GroupDetailPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").unwrap_or_default();
    let update = ServerAction::<UpdateGroup>::new();
    let add = ServerAction::<AddGroupMember>::new();
    let remove = ServerAction::<RemoveGroupMember>::new();
    let delete = ServerAction::<DeleteGroup>::new();
    // Member changes bump the group's version too: reload it so the edit form saves against
    // the current one.
    let group = Resource::new(
        move || {
            (
                id(),
                update.version().get(),
                add.version().get(),
                remove.version().get(),
            )
        },
        |(id, ..)| get_group(id),
    );
    let update_error = Signal::derive(move || update.value().get().and_then(|r| r.err()));
    let saved = move || matches!(update.value().get(), Some(Ok(())));
    let error = Signal::derive(move || {
        [
            add.value().get(),
            remove.value().get(),
            delete.value().get(),
        ]
        .into_iter()
        .flatten()
        .find_map(|r| r.err())
    });
    view! {
        <p class="breadcrumb"><a href="/groups">"Groups"</a> " / Group"</p>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match group.await {
                    Err(e) => view! { <Title text="Group"/><ErrorPanel error=e/> }.into_any(),
                    Ok(g) => {
                        let subtitle = g.description.clone();
                        let (gid, gid2, gid3, gid4) = (g.id.clone(), g.id.clone(), g.id.clone(), g.id.clone());
                        let name = g.display_name.clone();
                        view! {
                            <Title text=g.display_name.clone()/>
                            <div class="page-header">
                                <h1>{g.display_name.clone()}</h1>
                                <p class="page-subtitle">{subtitle}</p>
                            </div>
                            <FormError error/>
                            <MembersCard group=gid add remove/>
                            <section class="card form-card">
                                <h2>"Properties"</h2>
                                <FormError error=update_error/>
                                <ActionForm action=update attr:class="form" attr:novalidate=true>
                                    <input type="hidden" name="id" value=gid2/>
                                    <input type="hidden" name="version" value=g.version.to_string()/>
                                    <GroupFields error=update_error name=g.display_name.clone()
                                        description=g.description.clone() external_id=g.external_id.clone()/>
                                    <CustomFields object_type="group" id=Some(gid4) error=update_error/>
                                    <div class="actions">
                                        <button type="submit" class="button button-primary" disabled=move || update.pending().get()>
                                            {move || if update.pending().get() { "Saving…" } else { "Save changes" }}
                                        </button>
                                        {move || saved().then(|| view! { <span class="badge badge-ok" role="status">"Saved"</span> })}
                                    </div>
                                </ActionForm>
                                <dl class="facts">
                                    <dt>"Object id"</dt><dd><code>{g.id.clone()}</code></dd>
                                    <dt>"Created"</dt><dd>{format_time(g.created_at)}</dd>
                                    <dt>"Last changed"</dt><dd>{format_time(g.updated_at)} " (version " {g.version} ")"</dd>
                                </dl>
                            </section>
                            <details class="card danger-zone">
                                <summary>"Delete this group…"</summary>
                                <p>"Deleting " <strong>{name.clone()}</strong> " removes it and its memberships for good. Its members stay in the directory; applications it was assigned to will stop provisioning them through it."</p>
                                <ActionForm action=delete>
                                    <input type="hidden" name="id" value=gid3/>
                                    <button type="submit" class="button button-danger">{format!("Delete {name}")}</button>
                                </ActionForm>
                            </details>
                        }.into_any()
                    }
                }
            })}
        </Transition>
    }
}

/// The members, filtered on the server: the first hundred by name (`MEMBERS_SHOWN`).
#[component]
fn MembersCard(
    group: String,
    add: ServerAction<AddGroupMember>,
    remove: ServerAction<RemoveGroupMember>,
) -> impl IntoView {
    let (filter, set_filter) = signal(String::new());
    let lookup = group.clone();
    let members = Resource::new(
        move || (filter.get(), add.version().get(), remove.version().get()),
        move |(filter, ..)| group_members(lookup.clone(), filter),
    );
    view! {
        <section class="card">
            <Transition fallback=|| view! { <h2>"Members"</h2> }>
                {move || Suspend::new(async move {
                    let heading = match members.await {
                        Ok(page) if filter.get_untracked().trim().is_empty() => format!("({})", page.total),
                        Ok(page) => format!("({} match)", page.total),
                        Err(_) => String::new(),
                    };
                    view! { <h2>"Members " <span class="muted" data-testid="member-count">{heading}</span></h2> }
                })}
            </Transition>
            <MemberPicker group=group.clone() add/>
            <div class="picker">
                <label for="member-filter">"Filter members"</label>
                <input id="member-filter" type="search" autocomplete="off" placeholder="Name or user name"
                    prop:value=filter on:input=move |ev| set_filter.set(event_target_value(&ev))/>
            </div>
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || {
                    let group = group.clone();
                    Suspend::new(async move {
                        match members.await {
                            Err(e) => view! { <ErrorPanel error=e/> }.into_any(),
                            Ok(page) => {
                                let shown = page.rows.len() as i64;
                                let more = (page.total > shown).then(|| view! {
                                    <p class="hint">{format!("Showing the first {shown} of {} by name; filter to find the others.", page.total)}</p>
                                });
                                view! { <MemberTable group members=page.rows remove/> {more} }.into_any()
                            }
                        }
                    })
                }}
            </Transition>
        </section>
    }
}

#[component]
fn MemberTable(
    group: String,
    members: Vec<MemberRow>,
    remove: ServerAction<RemoveGroupMember>,
) -> impl IntoView {
    if members.is_empty() {
        return view! { <p class="muted" data-testid="no-members">"No members yet. Search above to add users or groups."</p> }.into_any();
    }
    view! {
        <div class="table-wrap">
            <table class="table" data-testid="members-table">
                <thead>
                    <tr>
                        <th scope="col">"Name"</th>
                        <th scope="col">"Type"</th>
                        <th scope="col">"User name"</th>
                        <th scope="col"><span class="sr-only">"Actions"</span></th>
                    </tr>
                </thead>
                <tbody>
                    {members.into_iter().map(|m| {
                        let link = if m.kind == "Group" { format!("/groups/{}", m.id) } else { format!("/users/{}", m.id) };
                        let label = format!("Remove {}", m.display);
                        let group = group.clone();
                        view! {
                            <tr>
                                <td><a href=link>{m.display.clone()}</a></td>
                                <td><span class="badge">{m.kind.clone()}</span></td>
                                <td>{m.detail.clone()}</td>
                                <td class="row-actions">
                                    <ActionForm action=remove>
                                        <input type="hidden" name="group" value=group/>
                                        <input type="hidden" name="member" value=m.id.clone()/>
                                        <button type="submit" class="button button-quiet" aria-label=label>"Remove"</button>
                                    </ActionForm>
                                </td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
    .into_any()
}

/// Search users and groups by name and add them with one click.
#[component]
fn MemberPicker(group: String, add: ServerAction<AddGroupMember>) -> impl IntoView {
    let (query, set_query) = signal(String::new());
    let lookup_group = group.clone();
    let candidates = Resource::new(
        move || (query.get(), add.version().get()),
        move |(q, _)| member_candidates(lookup_group.clone(), q),
    );
    view! {
        <div class="picker">
            <label for="member-search">"Add members"</label>
            <input id="member-search" type="search" autocomplete="off"
                placeholder="Search users and groups by name, user name or email"
                prop:value=query on:input=move |ev| set_query.set(event_target_value(&ev))/>
            <CandidateList candidates query testid="member-candidates"
                empty="No users or groups match that aren't members already."
                take=move |c: MemberRow| {
                    let label = format!("Add {}", c.display);
                    let owner = group.clone();
                    view! {
                        <ActionForm action=add>
                            <input type="hidden" name="group" value=owner/>
                            <input type="hidden" name="member" value=c.id/>
                            <input type="hidden" name="kind" value=c.kind/>
                            <button type="submit" class="button" aria-label=label>"Add"</button>
                        </ActionForm>
                    }
                }/>
        </div>
    }
}
