//! The provisioning logs: every application's or one's, filtered (date range, status, action,
//! application, identity, cycle id, change id), newest first in keyset pages, new entries
//! arriving live at the top; each entry opens in a detail view with its steps,
//! troubleshooting advice, modified properties and summary. The filtered view exports as CSV
//! or JSON.

use crate::api::{
    action_label, advice, provisioning_log_detail, provisioning_logs, status_class, LogDetail,
    LogFilter, LogRow,
};
use crate::components::{format_time, EmptyState, ErrorPanel, Icon, PageHeader};
use crate::pages::provisioning::LiveBadge;
use crate::sse::listen;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

fn filter_from_query() -> Memo<LogFilter> {
    let query = use_query_map();
    Memo::new(move |_| {
        query.with(|q| {
            let get = |k: &str| q.get(k).unwrap_or_default();
            LogFilter {
                app: get("app"),
                status: get("status"),
                action: get("action"),
                range: get("range"),
                from: get("from"),
                to: get("to"),
                identity: get("identity"),
                cycle: get("cycle"),
                change: get("change"),
                before: get("before"),
            }
        })
    })
}

#[component]
pub fn ProvisioningLogsPage() -> impl IntoView {
    let filter = filter_from_query();
    let page = Resource::new(move || filter.get(), provisioning_logs);
    view! {
        <Title text="Provisioning logs"/>
        <PageHeader title="Provisioning logs" subtitle="Every create, update, disable and delete Steward sends to an application, with its steps."/>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                let f = filter.get_untracked();
                match page.await {
                    Err(e) => view! { <LogFilters filter=f.clone() applications=Vec::new()/><ErrorPanel error=e/> }.into_any(),
                    Ok(p) => view! {
                        <LogFilters filter=f.clone() applications=p.applications.clone()/>
                        <LogList filter=f page=p/>
                    }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn LogFilters(filter: LogFilter, applications: Vec<(String, String)>) -> impl IntoView {
    let select = |name: &'static str,
                  label: &'static str,
                  current: String,
                  options: Vec<(String, String)>| {
        view! {
            <div class="field">
                <label for=format!("log-{name}")>{label}</label>
                <select id=format!("log-{name}") name=name>
                    {options.into_iter().map(|(v, text)| {
                        let selected = v == current;
                        view! { <option value=v selected=selected>{text}</option> }
                    }).collect_view()}
                </select>
            </div>
        }
    };
    let pairs = |list: &[(&str, &str)]| -> Vec<(String, String)> {
        list.iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    };
    let mut apps = vec![(String::new(), "All applications".to_string())];
    apps.extend(applications);
    let export = filter.to_query(false);
    view! {
        <section class="card filters-card">
            <leptos_router::components::Form method="GET" action="/provisioning-logs" attr:class="log-filters" attr:data-testid="log-filters">
                <div class="filter-grid">
                    {select("app", "Application", filter.app.clone(), apps)}
                    {select("range", "Date", filter.range.clone(), pairs(&[("", "Any time"), ("1h", "Last hour"), ("24h", "Last 24 hours"), ("7d", "Last 7 days"), ("30d", "Last 30 days")]))}
                    <div class="field">
                        <label for="log-from">"From (UTC)"</label>
                        <input id="log-from" type="date" name="from" value=filter.from.clone()/>
                    </div>
                    <div class="field">
                        <label for="log-to">"To (UTC)"</label>
                        <input id="log-to" type="date" name="to" value=filter.to.clone()/>
                    </div>
                    {select("status", "Status", filter.status.clone(), pairs(&[("", "Any status"), ("success", "Success"), ("failure", "Failure"), ("skipped", "Skipped"), ("warning", "Warning")]))}
                    {select("action", "Action", filter.action.clone(), pairs(&[("", "Any action"), ("create", "Create"), ("update", "Update"), ("remove", "Disable or delete"), ("disable", "Disable"), ("delete", "Delete"), ("staged_delete", "Held by threshold"), ("skip", "Other")]))}
                    <div class="field field-wide">
                        <label for="log-identity">"Identity"</label>
                        <input id="log-identity" type="search" name="identity" value=filter.identity.clone() placeholder="Name (starts with), directory id or target id"/>
                    </div>
                    <div class="field">
                        <label for="log-cycle">"Cycle id"</label>
                        <input id="log-cycle" type="text" name="cycle" value=filter.cycle.clone() autocomplete="off"/>
                    </div>
                    <div class="field">
                        <label for="log-change">"Change id"</label>
                        <input id="log-change" type="text" name="change" value=filter.change.clone() autocomplete="off" inputmode="numeric"/>
                    </div>
                </div>
                <div class="actions">
                    <button type="submit" class="button button-primary">"Apply filters"</button>
                    {filter.is_narrowed().then(|| view! { <a class="button button-quiet" href=if filter.app.is_empty() { "/provisioning-logs".to_string() } else { format!("/provisioning-logs?app={}", filter.app) }>"Clear"</a> })}
                    <span class="spacer"></span>
                    <a class="button" href=format!("/api/provisioning-logs/export.csv?{export}") download="" data-testid="export-csv">"Export CSV"</a>
                    <a class="button" href=format!("/api/provisioning-logs/export.json?{export}") download="" data-testid="export-json">"Export JSON"</a>
                </div>
            </leptos_router::components::Form>
        </section>
    }
}

#[component]
fn LogList(filter: LogFilter, page: crate::api::LogPage) -> impl IntoView {
    let first_page = filter.before.is_empty();
    let after = page.rows.first().map_or(0, |r| r.id);
    let rows = RwSignal::new(page.rows);
    let fresh = RwSignal::new(std::collections::HashSet::<i64>::new());
    let gap = RwSignal::new(false);
    let live_query = filter.to_query(false);
    // An older page does not grow: only the newest page listens.
    let connection = first_page.then(|| {
        listen(
            move || format!("/api/live?logs=1&after={after}&{live_query}"),
            &["log", "gap"],
            move |event, data| match event {
                "log" => {
                    if let Ok(row) = serde_json::from_str::<LogRow>(&data) {
                        fresh.update(|f| {
                            f.insert(row.id);
                        });
                        rows.update(|list| {
                            if !list.iter().any(|r| r.id == row.id) {
                                list.insert(0, row);
                            }
                        });
                    }
                }
                "gap" => gap.set(true),
                _ => {}
            },
        )
    });
    let older = page.next_before.map(|b| {
        let f = LogFilter {
            before: b.to_string(),
            ..filter.clone()
        };
        format!("/provisioning-logs?{}", f.to_query(true))
    });
    let newest = format!("/provisioning-logs?{}", filter.to_query(false));
    let millis = page.millis;
    let reload = newest.clone();
    view! {
        <div class="list-head">
            <p class="muted small" data-testid="log-timing">{format!("Read in {millis} ms")}{(!first_page).then_some(" · older entries")}</p>
            {connection.map(|connection| view! { <LiveBadge connection/> })}
        </div>
        {move || gap.get().then(|| view! {
            <p class="notice">"More entries arrived than are shown live. " <a href=reload.clone() rel="external">"Reload"</a> " to see them all."</p>
        })}
        {move || {
            let list = rows.get();
            if list.is_empty() {
                view! {
                    <EmptyState icon=Icon::Logs title="No entries match">
                        <p>"Entries appear here as soon as an application's provisioning sends something. Widen the date range or clear the filters to see more."</p>
                    </EmptyState>
                }.into_any()
            } else {
                view! {
                    <div class="table-wrap">
                        <table class="table" data-testid="log-table">
                            <thead><tr>
                                <th scope="col">"Date"</th>
                                <th scope="col">"Identity"</th>
                                <th scope="col">"Application"</th>
                                <th scope="col">"Action"</th>
                                <th scope="col">"Status"</th>
                                <th scope="col">"Details"</th>
                            </tr></thead>
                            <tbody>
                                {list.into_iter().map(|r| {
                                    let is_fresh = fresh.with(|f| f.contains(&r.id));
                                    view! {
                                        <tr class=if is_fresh { "row-fresh" } else { "" } data-testid="log-row">
                                            <td class="nowrap">{format_time(r.at)}</td>
                                            <td><a href=format!("/provisioning-logs/{}", r.id)><strong>{r.source_name.clone()}</strong></a>
                                                <div class="muted small">{format!("{} · {}", r.object_type, r.source_id)}</div></td>
                                            <td>{r.application_name.clone()}</td>
                                            <td>{action_label(&r.action)}</td>
                                            <td><span class=r.status_class()>{r.status.clone()}</span></td>
                                            <td class="log-message">{r.error_code.clone().map(|c| view! { <code>{c}</code> " " })}{r.message.clone()}</td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                    </div>
                }.into_any()
            }
        }}
        <nav class="pager" aria-label="Pages">
            {(!first_page).then(|| view! { <a class="button" href=newest.clone()>"Newest"</a> })}
            {older.map(|href| view! { <a class="button" href=href data-testid="older">"Older entries"</a> })}
        </nav>
    }
}

/// One entry: Steps, Troubleshooting & recommendations, Modified properties, Summary.
#[component]
pub fn LogDetailPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || {
        params
            .read()
            .get("id")
            .and_then(|s| s.parse::<i64>().ok())
            .unwrap_or(0)
    };
    let entry = Resource::new(id, provisioning_log_detail);
    view! {
        <p class="breadcrumb"><a href="/provisioning-logs">"Provisioning logs"</a> " / Entry"</p>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match entry.await {
                    Err(e) => view! { <Title text="Provisioning log entry"/><ErrorPanel error=e/> }.into_any(),
                    Ok(d) => view! { <DetailView d/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn DetailView(d: LogDetail) -> impl IntoView {
    let failed = d.row.status == "failure";
    let tab = RwSignal::new(if failed { "troubleshooting" } else { "steps" });
    let r = d.row.clone();
    let tab_button = move |key: &'static str, label: &'static str| {
        view! {
            <button type="button" role="tab" class=move || if tab.get() == key { "tab tab-active" } else { "tab" }
                aria-selected=move || (tab.get() == key).to_string() on:click=move |_| tab.set(key)>{label}</button>
        }
    };
    view! {
        <Title text=format!("{} · {}", action_label(&r.action), r.source_name)/>
        <div class="page-header">
            <h1>{format!("{} · {}", action_label(&r.action), r.source_name)}</h1>
            <p class="page-subtitle">{format!("{} · {}", r.application_name, format_time(r.at))} " " <span class=status_class(&r.status)>{r.status.clone()}</span></p>
        </div>
        <div class="tabs" role="tablist" data-testid="detail-tabs">
            {tab_button("steps", "Steps")}
            {tab_button("troubleshooting", "Troubleshooting & recommendations")}
            {tab_button("modified", "Modified properties")}
            {tab_button("summary", "Summary")}
        </div>
        <section class="card" role="tabpanel" data-testid="detail-panel">
            {move || match tab.get() {
                "steps" => view! {
                    <ol class="timeline">
                        {d.steps.iter().map(|s| {
                            let data = (!s.data.is_null()).then(|| serde_json::to_string_pretty(&s.data).unwrap_or_default());
                            view! {
                                <li class=format!("timeline-step timeline-{}", s.status)>
                                    <details open=s.status == "failed">
                                        <summary>
                                            <span class="timeline-icon" aria-hidden="true">{match s.status.as_str() { "ok" => "✓", "failed" => "✕", "warning" => "!", _ => "–" }}</span>
                                            <strong>{s.step.clone()}</strong>
                                            <span class="timeline-detail">{s.detail.clone()}</span>
                                        </summary>
                                        {data.map(|t| view! { <pre class="json">{t}</pre> })}
                                    </details>
                                </li>
                            }
                        }).collect_view()}
                    </ol>
                }.into_any(),
                "troubleshooting" => match r.error_code.as_deref().and_then(advice) {
                    Some(a) => view! {
                        <h2>{a.title}</h2>
                        <p><code>{r.error_code.clone()}</code> " · " {a.meaning}</p>
                        <h3>"What to do"</h3>
                        <ol>{a.actions.iter().map(|t| view! { <li>{*t}</li> }).collect_view()}</ol>
                        <h3>"What the application said"</h3>
                        <p>{r.message.clone()}</p>
                    }.into_any(),
                    None if failed => view! {
                        <p>{r.message.clone()}</p>
                        <p class="muted">"The Steps tab shows the request sent and the application's answer."</p>
                    }.into_any(),
                    None => view! { <p class="muted">"This entry did not fail: nothing to troubleshoot."</p> }.into_any(),
                },
                "modified" => if d.modified.is_empty() {
                    view! { <p class="muted">"No property was sent."</p> }.into_any()
                } else {
                    view! {
                        <table class="table table-compact" data-testid="modified">
                            <thead><tr><th scope="col">"Property"</th><th scope="col">"Old value"</th><th scope="col">"New value"</th></tr></thead>
                            <tbody>{d.modified.iter().map(|m| view! {
                                <tr>
                                    <td><code>{m.path.clone()}</code></td>
                                    <td>{if m.old.is_empty() { view! { <span class="muted">"—"</span> }.into_any() } else { view! { <code class="wrap">{m.old.clone()}</code> }.into_any() }}</td>
                                    <td>{if m.new.is_empty() { view! { <span class="muted">"(removed)"</span> }.into_any() } else { view! { <code class="wrap">{m.new.clone()}</code> }.into_any() }}</td>
                                </tr>
                            }).collect_view()}</tbody>
                        </table>
                    }.into_any()
                },
                _ => view! {
                    <dl class="facts">
                        <dt>"Date"</dt><dd>{format_time(r.at)}</dd>
                        <dt>"Application"</dt><dd><a href=format!("/applications/{}/provisioning", r.application_id)>{r.application_name.clone()}</a></dd>
                        <dt>"Action"</dt><dd>{action_label(&r.action)}</dd>
                        <dt>"Status"</dt><dd>{r.status.clone()}</dd>
                        <dt>"Identity"</dt><dd>{format!("{} ({})", r.source_name, r.object_type)}</dd>
                        <dt>"Source id"</dt><dd><code>{r.source_id.clone()}</code></dd>
                        <dt>"Target id"</dt><dd>{r.target_id.clone().map(|t| view! { <code>{t}</code> }.into_any()).unwrap_or_else(|| view! { <span class="muted">"None"</span> }.into_any())}</dd>
                        <dt>"Cycle id"</dt><dd>{r.cycle_id.clone().map(|c| view! { <a href=format!("/provisioning-logs?cycle={c}")><code>{c.clone()}</code></a> }.into_any()).unwrap_or_else(|| view! { <span class="muted">"On demand"</span> }.into_any())}</dd>
                        <dt>"Change id"</dt><dd><code>{r.id}</code></dd>
                        <dt>"Message"</dt><dd>{r.message.clone()}</dd>
                    </dl>
                }.into_any(),
            }}
        </section>
    }
}
