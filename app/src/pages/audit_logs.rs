//! The audit log: what administrators and API tokens did in this tenant, filtered by actor,
//! activity, target, result and date, each configuration change with its before and after.

use crate::api::{load_audit_events, AuditEventView, AuditQuery};
use crate::components::{format_time, EmptyState, ErrorPanel, Icon, PageHeader};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

/// Activities the filter offers, by the prefix of their action name.
const ACTIVITIES: &[(&str, &str)] = &[
    ("", "All activities"),
    ("admin.", "Sign-ins and admins"),
    ("application.", "Applications: any change"),
    ("application.mappings", "Applications: attribute mappings"),
    ("application.settings", "Applications: settings"),
    ("application.credentials", "Applications: credentials"),
    ("application.assign", "Applications: assignments"),
    ("user.", "Users"),
    ("group.", "Groups"),
    ("scim_token.", "SCIM tokens"),
    ("api_token.", "API tokens"),
];

#[component]
pub fn AuditLogsPage() -> impl IntoView {
    let query_map = use_query_map();
    let query = move || {
        let q = query_map.read();
        let get = |k: &str| q.get(k).unwrap_or_default();
        AuditQuery {
            actor: get("actor"),
            action: get("action"),
            target: get("target"),
            outcome: get("outcome"),
            since: get("since"),
            until: get("until"),
            before: q.get("before").and_then(|b| b.parse::<i64>().ok()),
        }
    };
    let page = Resource::new(query, load_audit_events);
    let current = query();
    let filtered = current != AuditQuery::default();
    view! {
        <PageHeader title="Audit logs" subtitle="Sign-ins and changes made by administrators and API tokens, newest first."/>
        <form class="filters card" method="get" action="/audit-logs" data-testid="audit-filters">
            <div class="field">
                <label for="audit-actor">"Actor"</label>
                <input id="audit-actor" name="actor" type="text" placeholder="admin@example.com" value=current.actor.clone()/>
            </div>
            <div class="field">
                <label for="audit-action">"Activity"</label>
                <select id="audit-action" name="action">
                    {ACTIVITIES.iter().map(|(value, label)| view! {
                        <option value=*value selected=current.action == *value>{*label}</option>
                    }).collect_view()}
                </select>
            </div>
            <div class="field">
                <label for="audit-target">"Target"</label>
                <input id="audit-target" name="target" type="text" placeholder="Application or user" value=current.target.clone()/>
            </div>
            <div class="field">
                <label for="audit-outcome">"Result"</label>
                <select id="audit-outcome" name="outcome">
                    <option value="" selected=current.outcome.is_empty()>"Any"</option>
                    <option value="success" selected=current.outcome == "success">"Success"</option>
                    <option value="failure" selected=current.outcome == "failure">"Failure"</option>
                </select>
            </div>
            <div class="field">
                <label for="audit-since">"From"</label>
                <input id="audit-since" name="since" type="date" value=current.since.clone()/>
            </div>
            <div class="field">
                <label for="audit-until">"To"</label>
                <input id="audit-until" name="until" type="date" value=current.until.clone()/>
            </div>
            <div class="actions">
                <button type="submit" class="button button-primary">"Filter"</button>
                {filtered.then(|| view! { <a class="button" href="/audit-logs">"Clear"</a> })}
            </div>
        </form>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match page.await {
                    Ok(p) if p.events.is_empty() => view! {
                        <EmptyState icon=Icon::Audit title="No audit events">
                            <p>{if filtered {
                                "Nothing matches these filters. Widen the dates or clear the filters."
                            } else {
                                "Sign-ins, sign-outs and configuration changes are recorded here."
                            }}</p>
                        </EmptyState>
                    }.into_any(),
                    Ok(p) => {
                        let next = p.next_before.map(|id| {
                            let q = query();
                            let pairs = [
                                ("actor", q.actor), ("action", q.action), ("target", q.target),
                                ("outcome", q.outcome), ("since", q.since), ("until", q.until),
                            ];
                            let mut href = "/audit-logs?".to_string();
                            for (key, value) in pairs.iter().filter(|(_, v)| !v.is_empty()) {
                                href.push_str(&format!("{key}={}&", crate::url::percent_encode(value, b"@")));
                            }
                            format!("{href}before={id}")
                        });
                        view! {
                            <div class="table-wrap">
                                <table class="table" data-testid="audit-table">
                                    <thead>
                                        <tr>
                                            <th scope="col">"Date"</th>
                                            <th scope="col">"Actor"</th>
                                            <th scope="col">"Activity"</th>
                                            <th scope="col">"Target"</th>
                                            <th scope="col">"Result"</th>
                                            <th scope="col">"Details"</th>
                                            <th scope="col">"IP address"</th>
                                        </tr>
                                    </thead>
                                    <tbody>
                                        {p.events.into_iter().map(|e| view! { <AuditRow e/> }).collect_view()}
                                    </tbody>
                                </table>
                            </div>
                            {next.map(|href| view! {
                                <p class="pager"><a class="button" href=href>"Older events"</a></p>
                            })}
                        }.into_any()
                    }
                    Err(e) => view! { <ErrorPanel error=e/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn AuditRow(e: AuditEventView) -> impl IntoView {
    let changes = e.changes;
    view! {
        <tr>
            <td class="nowrap">{format_time(e.at)}</td>
            <td>{e.actor}</td>
            <td><code>{e.action}</code></td>
            <td>{e.target.unwrap_or_default()}</td>
            <td>{if e.succeeded {
                view! { <span class="badge badge-ok">"Success"</span> }.into_any()
            } else {
                view! { <span class="badge badge-bad">"Failure"</span> }.into_any()
            }}</td>
            <td>
                {e.detail.unwrap_or_default()}
                {e.operation_id.map(|op| view! { <p class="muted small">"Operation " <code>{op}</code></p> })}
            </td>
            <td>{e.ip.unwrap_or_default()}</td>
        </tr>
        {(!changes.is_empty()).then(|| view! {
            <tr class="audit-changes-row">
                <td colspan="7">
                    <details class="audit-changes">
                        <summary>{format!("{} changed value{}", changes.len(), if changes.len() == 1 { "" } else { "s" })}</summary>
                        <table class="table table-compact diff-table">
                            <thead><tr><th scope="col">"Setting"</th><th scope="col">"Before"</th><th scope="col">"After"</th></tr></thead>
                            <tbody>
                                {changes.into_iter().map(|c| view! {
                                    <tr>
                                        <td><code>{c.path}</code></td>
                                        <td class="diff-before">{c.before}</td>
                                        <td class="diff-after">{c.after}</td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    </details>
                </td>
            </tr>
        })}
    }
}
