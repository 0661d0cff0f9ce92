//! The groups list: search by name or external id, paged, with the state in the URL.

use crate::api::{list_groups, GroupListPage, GROUPS_PAGE_SIZE};
use crate::components::{format_time, EmptyState, ErrorPanel, Icon, PageHeader};
use crate::url::percent_encode;
use leptos::prelude::*;
use leptos_router::components::Form;
use leptos_router::hooks::use_query_map;

fn href(search: &str, page: u32) -> String {
    let mut parts = Vec::new();
    if !search.is_empty() {
        parts.push(format!("q={}", percent_encode(search, b"@")));
    }
    if page > 1 {
        parts.push(format!("page={page}"));
    }
    if parts.is_empty() {
        "/groups".into()
    } else {
        format!("/groups?{}", parts.join("&"))
    }
}

#[component]
pub fn GroupsPage() -> impl IntoView {
    let query = use_query_map();
    let state = Memo::new(move |_| {
        let q = query.read();
        (
            q.get("q").unwrap_or_default().trim().to_string(),
            q.get("page")
                .and_then(|p| p.parse::<u32>().ok())
                .filter(|p| *p >= 1)
                .unwrap_or(1),
        )
    });
    let groups = Resource::new(
        move || state.get(),
        |(search, page)| list_groups(Some(search).filter(|s| !s.is_empty()), page),
    );
    view! {
        <PageHeader title="Groups" subtitle="Groups decide who is assigned to which application, and can be provisioned themselves."/>
        <Form method="GET" action="/groups" attr:class="toolbar" attr:role="search">
            <input type="search" name="q" class="toolbar-search" placeholder="Search by name or external id"
                aria-label="Search groups" prop:value=move || state.with(|s| s.0.clone())/>
            <button type="submit" class="button">"Search"</button>
            <a class="button" href="/users/import?kind=memberships">"Import memberships"</a>
            <a class="button button-primary" href="/groups/new">"New group"</a>
        </Form>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                let (search, page) = state.get_untracked();
                match groups.await {
                    Ok(p) if p.total == 0 && search.is_empty() => view! {
                        <EmptyState icon=Icon::Group title="No groups yet">
                            <p>"Groups decide who each application provisions: assign a group to an application and everyone in it gets an account."</p>
                            <p>"Create one with " <a href="/groups/new">"New group"</a> ", or let your HR system push groups to this tenant's SCIM endpoint, " <code>"/scim/v2/Groups"</code> "."</p>
                        </EmptyState>
                    }.into_any(),
                    Ok(p) if p.total == 0 => view! {
                        <p class="muted" data-testid="no-match">
                            "No groups match " <strong>{search}</strong> ". " <a href="/groups">"Show all groups"</a>
                        </p>
                    }.into_any(),
                    Ok(p) => view! { <GroupTable page=p search page_number=page/> }.into_any(),
                    Err(e) => view! { <ErrorPanel error=e/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn GroupTable(page: GroupListPage, search: String, page_number: u32) -> impl IntoView {
    let first = i64::from(page.offset) + 1;
    let last = i64::from(page.offset) + page.rows.len() as i64;
    let has_next = last < page.total;
    view! {
        <div class="table-wrap">
            <table class="table" data-testid="groups-table">
                <thead>
                    <tr>
                        <th scope="col">"Name"</th>
                        <th scope="col">"Description"</th>
                        <th scope="col" class="numeric">"Members"</th>
                        <th scope="col">"External id"</th>
                        <th scope="col">"Last changed"</th>
                    </tr>
                </thead>
                <tbody>
                    {page.rows.into_iter().map(|g| view! {
                        <tr>
                            <td><a href=format!("/groups/{}", g.id)><strong>{g.display_name}</strong></a></td>
                            <td class="muted">{g.description}</td>
                            <td class="numeric">{g.member_count}</td>
                            <td>{g.external_id.unwrap_or_default()}</td>
                            <td class="nowrap">{format_time(g.updated_at)}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </div>
        <nav class="pager" aria-label="Pages">
            <span class="muted" data-testid="groups-range">{format!("{first}–{last} of {}", page.total)}</span>
            {(page_number > 1).then(|| view! { <a class="button" href=href(&search, page_number - 1)>"Previous"</a> })}
            {has_next.then(|| view! { <a class="button" href=href(&search, page_number + 1)>"Next"</a> })}
        </nav>
        <p class="sr-only">{format!("{GROUPS_PAGE_SIZE} groups per page")}</p>
    }
}

#[cfg(test)]
mod tests {
    use super::href;

    #[test]
    fn links_keep_the_search() {
        assert_eq!(href("", 1), "/groups");
        assert_eq!(href("r&d team", 2), "/groups?q=r%26d%20team&page=2");
    }
}
