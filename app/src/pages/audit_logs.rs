//! The audit log: what administrators did in this tenant.

use crate::api::load_audit_events;
use crate::components::{format_time, EmptyState, ErrorPanel, Icon, PageHeader};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

#[component]
pub fn AuditLogsPage() -> impl IntoView {
    let query = use_query_map();
    let before = move || {
        query
            .read()
            .get("before")
            .and_then(|b| b.parse::<i64>().ok())
    };
    let page = Resource::new(before, load_audit_events);
    view! {
        <PageHeader title="Audit logs" subtitle="Sign-ins and changes made by administrators, newest first."/>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match page.await {
                    Ok(p) if p.events.is_empty() => view! {
                        <EmptyState icon=Icon::Audit title="No audit events">
                            <p>"Sign-ins, sign-outs and configuration changes are recorded here."</p>
                        </EmptyState>
                    }.into_any(),
                    Ok(p) => view! {
                        <div class="table-wrap">
                            <table class="table" data-testid="audit-table">
                                <thead>
                                    <tr>
                                        <th scope="col">"Date"</th>
                                        <th scope="col">"Actor"</th>
                                        <th scope="col">"Activity"</th>
                                        <th scope="col">"Result"</th>
                                        <th scope="col">"Details"</th>
                                        <th scope="col">"IP address"</th>
                                        <th scope="col">"Operation id"</th>
                                    </tr>
                                </thead>
                                <tbody>
                                    {p.events.into_iter().map(|e| view! {
                                        <tr>
                                            <td class="nowrap">{format_time(e.at)}</td>
                                            <td>{e.actor}</td>
                                            <td><code>{e.action}</code></td>
                                            <td>{if e.succeeded {
                                                view! { <span class="badge badge-ok">"Success"</span> }.into_any()
                                            } else {
                                                view! { <span class="badge badge-bad">"Failure"</span> }.into_any()
                                            }}</td>
                                            <td>{e.detail.unwrap_or_default()}</td>
                                            <td>{e.ip.unwrap_or_default()}</td>
                                            <td>{e.operation_id.map(|op| view! { <code>{op}</code> })}</td>
                                        </tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                        </div>
                        {p.next_before.map(|id| view! {
                            <p class="pager"><a class="button" href=format!("/audit-logs?before={id}")>"Older events"</a></p>
                        })}
                    }.into_any(),
                    Err(e) => view! { <ErrorPanel error=e/> }.into_any(),
                }
            })}
        </Transition>
    }
}
