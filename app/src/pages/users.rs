//! The users list: server-side search, sort and paging, with the state in the URL so a view
//! can be bookmarked, shared and reloaded.

use crate::api::{list_users, UserListPage, USER_SORTS};
use crate::components::{format_time, EmptyState, ErrorPanel, Icon, PageHeader};
use crate::url::percent_encode;
use leptos::prelude::*;
use leptos_router::components::Form;
use leptos_router::hooks::use_query_map;

/// The list's state as read from the URL.
#[derive(Clone, Debug, PartialEq)]
struct ListState {
    search: String,
    recycle_bin: bool,
    sort: String,
    descending: bool,
    page: u32,
}

impl ListState {
    /// The CSV export of this view: same search, bin, order; every page.
    fn export_href(&self) -> String {
        let view = self.href(&self.sort, self.descending, 1);
        match view.split_once('?') {
            Some((_, query)) => format!("/api/export/users.csv?{query}"),
            None => "/api/export/users.csv".into(),
        }
    }

    fn href(&self, sort: &str, descending: bool, page: u32) -> String {
        let mut parts = Vec::new();
        if self.recycle_bin {
            parts.push("bin=1".to_string());
        }
        if !self.search.is_empty() {
            parts.push(format!("q={}", percent_encode(&self.search, b"@")));
        }
        if sort != "name" {
            parts.push(format!("sort={sort}"));
        }
        if descending {
            parts.push("desc=1".to_string());
        }
        if page > 1 {
            parts.push(format!("page={page}"));
        }
        if parts.is_empty() {
            "/users".into()
        } else {
            format!("/users?{}", parts.join("&"))
        }
    }
}

#[component]
pub fn UsersPage() -> impl IntoView {
    let query = use_query_map();
    let state = Memo::new(move |_| {
        let q = query.read();
        let sort = q
            .get("sort")
            .filter(|s| USER_SORTS.contains(&s.as_str()))
            .unwrap_or_else(|| "name".into());
        ListState {
            search: q.get("q").unwrap_or_default().trim().to_string(),
            recycle_bin: q.get("bin").is_some_and(|b| b == "1"),
            sort,
            descending: q.get("desc").is_some_and(|d| d == "1"),
            page: q
                .get("page")
                .and_then(|p| p.parse().ok())
                .filter(|p| *p >= 1)
                .unwrap_or(1),
        }
    });
    let users = Resource::new(
        move || state.get(),
        |s| {
            list_users(
                Some(s.search).filter(|q| !q.is_empty()),
                Some(s.sort),
                s.descending,
                s.page,
                s.recycle_bin,
            )
        },
    );
    view! {
        <PageHeader title="Users" subtitle="The people in your directory, the source every application is provisioned from."/>
        <Form method="GET" action="/users" attr:class="toolbar" attr:role="search">
            {move || state.with(|s| s.recycle_bin).then(|| view! { <input type="hidden" name="bin" value="1"/> })}
            <input type="search" name="q" class="toolbar-search" placeholder="Search by name, user name or email"
                aria-label="Search users" prop:value=move || state.with(|s| s.search.clone())/>
            <button type="submit" class="button">"Search"</button>
            {move || if state.with(|s| s.recycle_bin) {
                view! { <a class="button button-quiet" href="/users">"Back to users"</a> }.into_any()
            } else {
                view! {
                    <a class="button button-quiet" href="/users?bin=1">"Recycle bin"</a>
                    <a class="button" href=move || state.with(|s| s.export_href()) download="users.csv">"Export CSV"</a>
                    <a class="button" href="/users/import">"Import CSV"</a>
                    <a class="button button-primary" href="/users/new">"New user"</a>
                }.into_any()
            }}
        </Form>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match users.await {
                    Ok(page) if page.total == 0 && state.with_untracked(|s| s.recycle_bin && s.search.is_empty()) => view! {
                        <EmptyState icon=Icon::User title="The recycle bin is empty">
                            <p>"Deleted users stay here for 30 days, restorable, then are deleted for good."</p>
                        </EmptyState>
                    }.into_any(),
                    Ok(page) if page.total == 0 && state.with_untracked(|s| s.search.is_empty()) => view! {
                        <EmptyState icon=Icon::User title="No users yet">
                            <p>"Users are the source of truth for every application's accounts."</p>
                            <p>"Add them one at a time with " <a href="/users/new">"New user"</a> ", " <a href="/users/import">"import a CSV file"</a> ", or let your HR system push them to this tenant's SCIM endpoint, " <code>"/scim/v2"</code> ", with a token from " <a href="/settings#scim-tokens">"Settings"</a> "."</p>
                        </EmptyState>
                    }.into_any(),
                    Ok(page) if page.total == 0 => view! {
                        <p class="muted" data-testid="no-match">
                            "No users match " <strong>{state.with_untracked(|s| s.search.clone())}</strong> ". "
                            <a href="/users">"Show all users"</a>
                        </p>
                    }.into_any(),
                    Ok(page) => view! { <UserTable page state=state.get_untracked()/> }.into_any(),
                    Err(e) => view! { <ErrorPanel error=e/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn UserTable(page: UserListPage, state: ListState) -> impl IntoView {
    let header = |label: &'static str, key: &'static str| {
        let active = state.sort == key;
        let next_desc = active && !state.descending;
        let href = state.href(key, next_desc, 1);
        let sort = match (active, state.descending) {
            (false, _) => "none",
            (true, false) => "ascending",
            (true, true) => "descending",
        };
        let arrow = match sort {
            "ascending" => " ▲",
            "descending" => " ▼",
            _ => "",
        };
        view! { <th scope="col" aria-sort=sort><a href=href>{label}{arrow}</a></th> }
    };
    let first = page.offset as i64 + 1;
    let last = page.offset as i64 + page.rows.len() as i64;
    let current_page = state.page;
    let has_next = last < page.total;
    view! {
        <div class="table-wrap">
            <table class="table" data-testid="users-table">
                <thead>
                    <tr>
                        {header("Display name", "name")}
                        {header("User name", "username")}
                        {header("Email", "email")}
                        <th scope="col">"Sign-in"</th>
                        {header("Last changed", "updated")}
                    </tr>
                </thead>
                <tbody>
                    {page.rows.into_iter().map(|u| view! {
                        <tr>
                            <td><a href=format!("/users/{}", u.id)><strong>{u.display_name}</strong></a></td>
                            <td>{u.user_name}</td>
                            <td>{u.email}</td>
                            <td>{if u.active {
                                view! { <span class="badge badge-ok">"Enabled"</span> }.into_any()
                            } else {
                                view! { <span class="badge badge-bad">"Disabled"</span> }.into_any()
                            }}</td>
                            <td class="nowrap">{format_time(u.updated_at)}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </div>
        <nav class="pager" aria-label="Pages">
            <span class="muted" data-testid="users-range">{format!("{first}–{last} of {}", page.total)}</span>
            {(current_page > 1).then(|| view! {
                <a class="button" href=state.href(&state.sort, state.descending, current_page - 1)>"Previous"</a>
            })}
            {has_next.then(|| view! {
                <a class="button" href=state.href(&state.sort, state.descending, current_page + 1)>"Next"</a>
            })}
        </nav>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_keep_the_search_and_drop_defaults() {
        let s = ListState {
            search: "ada lovelace&co".into(),
            recycle_bin: false,
            sort: "name".into(),
            descending: false,
            page: 3,
        };
        assert_eq!(s.href("name", false, 1), "/users?q=ada%20lovelace%26co");
        assert_eq!(
            s.href("email", true, 2),
            "/users?q=ada%20lovelace%26co&sort=email&desc=1&page=2"
        );
        let plain = ListState {
            search: String::new(),
            ..s
        };
        assert_eq!(plain.href("name", false, 1), "/users");
        assert_eq!(plain.export_href(), "/api/export/users.csv");
        assert_eq!(
            ListState {
                sort: "email".into(),
                ..plain
            }
            .export_href(),
            "/api/export/users.csv?sort=email"
        );
    }
}
