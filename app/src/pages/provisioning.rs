//! An application's provisioning page: the job's current status (state, cycle progress,
//! statistics, last errors), its controls (on/off, restart, allow deletes, dry run), the
//! latest log entries, and provisioning on demand with each step as it happens. Everything
//! updates live in every browser watching.

use crate::api::{
    action_label, advice, cycle_kind_label, held_deletes, load_job, on_demand_candidates,
    provisioning_logs, send_job_command, CycleView, HeldDelete, JobView, LogFilter, LogRow,
    OnDemandEvent, OnDemandResult, StepView,
};
use crate::components::{format_time, AppTabs, ErrorPanel};
use crate::sse::{listen, Connection};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

/// How many entries the live list keeps.
const RECENT: usize = 15;

#[component]
pub fn ProvisioningPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").unwrap_or_default();
    let data = Resource::new(id, |id| async move {
        let job = load_job(id.clone()).await?;
        let logs = provisioning_logs(LogFilter {
            app: id,
            ..LogFilter::default()
        })
        .await?;
        Ok::<_, crate::error::AppError>((job, logs.rows))
    });
    view! {
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Err(e) => view! { <Title text="Provisioning"/><ErrorPanel error=e/> }.into_any(),
                    Ok((job, rows)) => view! { <ProvisioningView job rows/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn ProvisioningView(job: JobView, rows: Vec<LogRow>) -> impl IntoView {
    let id = job.application_id.clone();
    let name = job.application_name.clone();
    let after = rows.first().map_or(0, |r| r.id);
    let status = RwSignal::new(job);
    let entries = RwSignal::new(rows);
    let url_id = id.clone();
    let connection = listen(
        move || format!("/api/live?view=app&logs=1&app={url_id}&after={after}"),
        // This list only shows the latest entries, so a gap (more arrived than it shows)
        // changes nothing here.
        &["status", "log"],
        move |event, data| match event {
            "status" => {
                if let Ok(v) = serde_json::from_str::<JobView>(&data) {
                    status.set(v);
                }
            }
            "log" => {
                if let Ok(row) = serde_json::from_str::<LogRow>(&data) {
                    entries.update(|list| {
                        if !list.iter().any(|r| r.id == row.id) {
                            list.insert(0, row);
                            list.truncate(RECENT);
                        }
                    });
                }
            }
            _ => {}
        },
    );
    view! {
        <Title text=format!("Provisioning · {name}")/>
        <p class="breadcrumb"><a href="/applications">"Enterprise applications"</a> " / " <a href=format!("/applications/{id}")>{name.clone()}</a> " / Provisioning"</p>
        <div class="page-header page-header-row">
            <div>
                <h1>{name.clone()}</h1>
                <p class="page-subtitle">"Provisioning: what Steward is doing in this application, and the controls to change it."</p>
            </div>
            <LiveBadge connection/>
        </div>
        <AppTabs id=id.clone() active="provisioning"/>
        <StatusCard status/>
        <ControlsCard id=id.clone() status/>
        <RecentCard id=id.clone() entries/>
        <OnDemandCard id=id.clone()/>
    }
}

/// "Live" while the event stream is connected.
#[component]
pub fn LiveBadge(connection: ReadSignal<Connection>) -> impl IntoView {
    view! {
        <span class=move || connection.get().class() data-testid="live-state" role="status">
            <span class="live-dot" aria-hidden="true"></span>
            {move || connection.get().label()}
        </span>
    }
}

pub(crate) fn number(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn duration(secs: i64) -> String {
    match secs {
        s if s < 60 => format!("{s} s"),
        s if s < 3600 => format!("{} min {} s", s / 60, s % 60),
        s => format!("{} h {} min", s / 3600, (s % 3600) / 60),
    }
}

pub(crate) fn cycle_status_label(status: &str) -> &'static str {
    match status {
        "running" => "Running",
        "completed" => "Completed",
        "failed" => "Failed",
        "too_many_deletes" => "Deletes held",
        "quarantined" => "Quarantined",
        "interrupted" => "Interrupted",
        _ => "Ended",
    }
}

/// The progress of a cycle: a bar in objects, with the rate.
#[component]
pub fn CycleProgress(cycle: CycleView) -> impl IntoView {
    let now = chrono::Utc::now();
    let rate = cycle.rate(now);
    let percent = cycle.percent();
    view! {
        <div class="cycle-progress" data-testid="cycle-progress">
            <div class="cycle-progress-head">
                <strong>{cycle_kind_label(&cycle.kind)}</strong>
                <span class="muted">{format!(" · started {}", format_time(cycle.started_at))}</span>
            </div>
            <progress class="progress" max=cycle.total.max(1).to_string() value=cycle.done.min(cycle.total.max(1)).to_string()
                aria-label="Cycle progress"></progress>
            <p class="cycle-progress-numbers">
                <span data-testid="progress-done">{number(cycle.done)}</span>
                {if cycle.total > 0 { format!(" of {} objects", number(cycle.total)) } else { " objects".to_string() }}
                {percent.map(|p| format!(" · {p}%"))}
                {(rate > 0.0).then(|| format!(" · {:.0} objects/s", rate))}
            </p>
        </div>
    }
}

/// What the job is doing now, its statistics and its last errors.
#[component]
pub fn StatusCard(status: RwSignal<JobView>) -> impl IntoView {
    view! {
        <section class="card" data-testid="job-status">
            {move || {
                let s = status.get();
                let now = chrono::Utc::now();
                view! {
                    <div class="status-head">
                        <h2>"Current status"</h2>
                        <span class=s.state_class() data-testid="job-state">{s.state_label()}</span>
                        {s.pending_command.clone().map(|c| view! { <span class="muted small">{format!("Command waiting: {}", c.replace('_', " "))}</span> })}
                    </div>
                    {s.quarantine.clone().map(|q| {
                        let help = advice(&q.code);
                        view! {
                            <div class="form-error quarantine" role="alert" data-testid="quarantine">
                                <p><strong>"In quarantine since " {format_time(q.since)}</strong> " · " <code>{q.code.clone()}</code></p>
                                <p data-testid="quarantine-reason">{q.reason.clone()}</p>
                                <p class="muted">{format!("Next attempt at {} (attempt {}). Provisioning goes back to normal on the first attempt that succeeds.", format_time(q.next_attempt_at), q.attempts + 1)}</p>
                                {help.map(|a| view! {
                                    <ul class="hint-list">{a.actions.iter().map(|t| view! { <li>{*t}</li> }).collect_view()}</ul>
                                })}
                            </div>
                        }
                    })}
                    {(s.state == "not_configured").then(|| view! {
                        <p class="notice">"Provisioning Mode is Manual. Set it to Automatic on the application's page and save the admin credentials, then turn provisioning on here."</p>
                    })}
                    {(s.staged_deletes > 0).then(|| view! {
                        <p class="notice notice-warn" data-testid="held-notice">{format!("{} disables or deletes are held: more than the accidental-deletion threshold allows in one cycle. Review them under Controls and allow them, or fix the assignments or scoping filters that caused them.", number(s.staged_deletes))}</p>
                    })}
                    {s.current.clone().map(|c| view! { <CycleProgress cycle=c/> })}
                    <div class="stats">
                        <div class="stat"><span class="stat-value" data-testid="users-provisioned">{number(s.users_provisioned)}</span><span class="stat-label">"Users provisioned"</span></div>
                        <div class="stat"><span class="stat-value">{number(s.groups_provisioned)}</span><span class="stat-label">"Groups provisioned"</span></div>
                        <div class=if s.retries.is_empty() { "stat" } else { "stat stat-bad" }><span class="stat-value">{s.retries.len()}</span><span class="stat-label">"Objects waiting to be retried"</span></div>
                    </div>
                    <dl class="facts">
                        {s.last.clone().map(|c| view! {
                            <dt>"Last cycle"</dt>
                            <dd data-testid="last-cycle">
                                {format!("{} · {}", cycle_kind_label(&c.kind), cycle_status_label(&c.status))}
                                {c.ended_at.map(|t| format!(" · ended {}", format_time(t)))}
                                {format!(" · took {}", duration(c.duration_secs(now)))}
                                <br/>
                                <span class="muted">{if c.kind == "dry_run" {
                                    format!("Would create {}, update {}, disable {}, delete {}; {} failed, {} unchanged. Nothing was sent.", c.created, c.updated, c.disabled, c.deleted, c.failed, c.skipped)
                                } else {
                                    format!("{} created, {} updated, {} disabled, {} deleted, {} failed, {} unchanged{}", c.created, c.updated, c.disabled, c.deleted, c.failed, c.skipped,
                                        if c.staged > 0 { format!(", {} held for review", c.staged) } else { String::new() })
                                }}</span>
                                {(!c.message.is_empty()).then(|| view! { <br/><span class="muted">{c.message.clone()}</span> })}
                            </dd>
                            <dt>"Cycle id"</dt>
                            <dd><a href=format!("/provisioning-logs?cycle={}", c.id)><code>{c.id.clone()}</code></a></dd>
                        })}
                        <dt>"Last full cycle"</dt>
                        <dd>{s.last_full_at.map(format_time).unwrap_or_else(|| "Not yet".into())}</dd>
                        <dt>"Job id"</dt>
                        <dd><code>{format!("steward.{}", s.application_id)}</code></dd>
                    </dl>
                    {(!s.retries.is_empty()).then(|| view! {
                        <h3>"Last errors"</h3>
                        <div class="table-wrap">
                            <table class="table table-compact" data-testid="retries">
                                <thead><tr><th scope="col">"Object"</th><th scope="col">"Error"</th><th scope="col">"Attempts"</th><th scope="col">"Next attempt"</th></tr></thead>
                                <tbody>
                                    {s.retries.iter().map(|r| view! {
                                        <tr>
                                            <td><a href=format!("/provisioning-logs?app={}&identity={}", s.application_id, r.source_id)>{format!("{} {}", r.object_type, r.source_id)}</a></td>
                                            <td>{r.error_code.clone().map(|c| view! { <code>{c}</code> " " })}{r.message.clone()}</td>
                                            <td>{r.attempts}</td>
                                            <td class="nowrap">{format_time(r.next_attempt_at)}</td>
                                        </tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                        </div>
                    })}
                }
            }}
        </section>
    }
}

/// What each control does, said before it is done.
fn explain(action: &str) -> (&'static str, &'static str, &'static str) {
    match action {
        "start" => ("Turn provisioning on", "Steward starts with an initial cycle over every assigned user and group (or resumes the cycle that was stopped), then keeps the application in step with the directory within seconds of each change.", "Turn on"),
        "pause" => ("Turn provisioning off", "Nothing more is sent to the application. A cycle under way stops after the page it is on and resumes from there when provisioning is turned on again. Accounts already provisioned stay as they are.", "Turn off"),
        "run" => ("Run a cycle now", "Handles every pending change now instead of waiting for the next one.", "Run now"),
        "restart" => ("Restart provisioning", "Forgets the watermark, the retries, the held deletes and the quarantine, and runs an initial cycle: every object in scope is evaluated again. Links to existing accounts are kept.", "Restart"),
        "restart-full" => ("Restart provisioning and forget the links", "As Restart, and also forgets which account belongs to whom: every object is matched again in the application by its matching attributes. Use it after the application's data was restored or changed by hand.", "Restart and rematch"),
        "allow-deletes" => ("Allow the held deletes", "Sends every disable and delete that the accidental-deletion threshold held back, listed below. This cannot be undone from Steward.", "Allow deletes"),
        "dry-run" => ("Run a dry run", "Runs a full cycle that records what it would send — creates, updates, disables, deletes — and sends nothing. Its result appears below as a list of would-be changes.", "Start dry run"),
        _ => ("", "", ""),
    }
}

/// On/off, restart, allow deletes and dry run, each confirmed first.
#[component]
fn ControlsCard(id: String, status: RwSignal<JobView>) -> impl IntoView {
    let confirming = RwSignal::new(None::<&'static str>);
    let act = Action::new(move |(id, action): &(String, &'static str)| {
        let (id, action) = (id.clone(), action.to_string());
        async move { send_job_command(id, action).await }
    });
    Effect::new(move |_| {
        if let Some(Ok(v)) = act.value().get() {
            status.set(v);
            confirming.set(None);
        }
    });
    let held = Resource::new(
        move || (status.with(|s| s.staged_deletes), confirming.get()),
        {
            let id = id.clone();
            move |(n, c)| {
                let id = id.clone();
                async move {
                    if n == 0 || c != Some("allow-deletes") {
                        Ok(Vec::new())
                    } else {
                        held_deletes(id).await
                    }
                }
            }
        },
    );
    let button = move |action: &'static str, label: &'static str, class: &'static str| {
        view! {
            <button type="button" class=class data-action=action
                on:click=move |_| confirming.set(Some(action))>{label}</button>
        }
        .into_any()
    };
    let id_for_confirm = id.clone();
    view! {
        <section class="card" data-testid="job-controls">
            <h2>"Controls"</h2>
            <div class="control-row">
                {move || {
                    let s = status.get();
                    let configured = s.state != "not_configured";
                    let on = configured && s.state != "off";
                    view! {
                        <div class="toggle-group" role="group" aria-label="Provisioning status">
                            <span class="field-label">"Provisioning status"</span>
                            <span class=if on { "badge badge-ok" } else { "badge" } data-testid="provisioning-status">{if on { "On" } else { "Off" }}</span>
                            {if on { button("pause", "Turn off…", "button") } else if configured { button("start", "Turn on…", "button button-primary") } else { view! { <span class="muted">"Set the mode to Automatic first."</span> }.into_any() }}
                        </div>
                        <div class="button-row">
                            {configured.then(|| button("restart", "Restart provisioning…", "button"))}
                            {configured.then(|| button("restart-full", "Restart and rematch…", "button button-quiet"))}
                            {configured.then(|| button("dry-run", "Dry run…", "button"))}
                            {(s.staged_deletes > 0).then(|| button("allow-deletes", "Review held deletes…", "button button-danger"))}
                        </div>
                    }
                }}
            </div>
            {move || confirming.get().map(|action| {
                let (title, what, go) = explain(action);
                let id = id_for_confirm.clone();
                view! {
                    <div class="confirm-panel" role="dialog" aria-label=title data-testid="confirm">
                        <h3>{title}</h3>
                        <p>{what}</p>
                        {(action == "allow-deletes").then(|| view! {
                            <Transition fallback=|| view! { <p class="muted">"Loading the held deletes…"</p> }>
                                {move || Suspend::new(async move {
                                    match held.await {
                                        Err(e) => view! { <ErrorPanel error=e/> }.into_any(),
                                        Ok(list) => view! { <HeldList list/> }.into_any(),
                                    }
                                })}
                            </Transition>
                        })}
                        {move || act.value().get().and_then(|r| r.err()).map(|e| view! {
                            <p class="field-error" role="alert">{e.fields.first().map(|f| f.message.clone()).unwrap_or(e.message)}</p>
                        })}
                        <div class="actions">
                            <button type="button" class=if action == "allow-deletes" || action == "pause" { "button button-danger" } else { "button button-primary" }
                                data-testid="confirm-go" disabled=move || act.pending().get()
                                on:click={
                                    let id = id.clone();
                                    move |_| { act.dispatch((id.clone(), action)); }
                                }>{go}</button>
                            <button type="button" class="button" on:click=move |_| confirming.set(None)>"Cancel"</button>
                        </div>
                    </div>
                }
            })}
            <DryRunResult status/>
        </section>
    }
}

#[component]
fn HeldList(list: Vec<HeldDelete>) -> impl IntoView {
    view! {
        <div class="table-wrap">
            <table class="table table-compact" data-testid="held-deletes">
                <thead><tr><th scope="col">"Object"</th><th scope="col">"Action"</th><th scope="col">"Account"</th><th scope="col">"Why"</th></tr></thead>
                <tbody>
                    {list.into_iter().map(|h| view! {
                        <tr>
                            <td>{h.source_name}<span class="muted">{format!(" · {}", h.object_type)}</span></td>
                            <td>{action_label(&h.action)}</td>
                            <td><code>{h.target_id}</code></td>
                            <td>{h.reason}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}

/// The would-be changes of the last dry run, when the last cycle was one.
#[component]
fn DryRunResult(status: RwSignal<JobView>) -> impl IntoView {
    let cycle = Memo::new(move |_| {
        status.with(|s| {
            s.last
                .as_ref()
                .filter(|c| c.kind == "dry_run")
                .map(|c| (c.id.clone(), c.ended_at, s.application_id.clone()))
        })
    });
    let changes = Resource::new(
        move || cycle.get(),
        |c| async move {
            match c {
                None => Ok(None),
                Some((cycle, _, app)) => provisioning_logs(LogFilter {
                    app,
                    cycle,
                    ..LogFilter::default()
                })
                .await
                .map(Some),
            }
        },
    );
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                match changes.await {
                    Ok(Some(page)) => {
                        let ended = cycle.get_untracked().and_then(|c| c.1);
                        let cycle_id = cycle.get_untracked().map(|c| c.0).unwrap_or_default();
                        view! {
                            <div class="dry-run" data-testid="dry-run-result">
                                <h3>"Last dry run"{ended.map(|t| format!(" · {}", format_time(t)))}</h3>
                                {if page.rows.is_empty() {
                                    view! { <p class="muted">"Nothing would change: the application matches the directory."</p> }.into_any()
                                } else {
                                    view! {
                                        <p class="hint">"Nothing was sent. This is what a cycle would do now:"</p>
                                        <div class="table-wrap">
                                            <table class="table table-compact">
                                                <thead><tr><th scope="col">"Would"</th><th scope="col">"Object"</th><th scope="col">"Why"</th></tr></thead>
                                                <tbody>
                                                    {page.rows.iter().map(|r| view! {
                                                        <tr>
                                                            <td><span class="badge">{action_label(&r.action)}</span></td>
                                                            <td><a href=format!("/provisioning-logs/{}", r.id)>{r.source_name.clone()}</a></td>
                                                            <td>{r.message.clone()}</td>
                                                        </tr>
                                                    }).collect_view()}
                                                </tbody>
                                            </table>
                                        </div>
                                        {page.next_before.map(|_| view! {
                                            <p><a href=format!("/provisioning-logs?cycle={cycle_id}")>"See every would-be change"</a></p>
                                        })}
                                    }.into_any()
                                }}
                            </div>
                        }.into_any()
                    }
                    Ok(None) => ().into_any(),
                    Err(e) => view! { <ErrorPanel error=e/> }.into_any(),
                }
            })}
        </Transition>
    }
}

/// A provisioning log row as a compact list line.
#[component]
pub fn LogLine(row: LogRow) -> impl IntoView {
    view! {
        <tr data-testid="log-row">
            <td class="nowrap">{format_time(row.at)}</td>
            <td><a href=format!("/provisioning-logs/{}", row.id)>{row.source_name.clone()}</a>
                <span class="muted small">{format!(" · {}", row.object_type)}</span></td>
            <td>{action_label(&row.action)}</td>
            <td><span class=row.status_class()>{row.status.clone()}</span></td>
            <td class="log-message">{row.error_code.clone().map(|c| view! { <code>{c}</code> " " })}{row.message.clone()}</td>
        </tr>
    }
}

#[component]
fn RecentCard(id: String, entries: RwSignal<Vec<LogRow>>) -> impl IntoView {
    view! {
        <section class="card" data-testid="recent-logs">
            <div class="card-head">
                <h2>"Latest provisioning log entries"</h2>
                <a href=format!("/provisioning-logs?app={id}")>"All entries for this application"</a>
            </div>
            {move || {
                let list = entries.get();
                if list.is_empty() {
                    view! { <p class="muted">"No entries yet. They appear here as soon as provisioning sends something."</p> }.into_any()
                } else {
                    view! {
                        <div class="table-wrap">
                            <table class="table table-compact">
                                <thead><tr><th scope="col">"Time"</th><th scope="col">"Identity"</th><th scope="col">"Action"</th><th scope="col">"Status"</th><th scope="col">"Details"</th></tr></thead>
                                <tbody>{list.into_iter().map(|row| view! { <LogLine row/> }).collect_view()}</tbody>
                            </table>
                        </div>
                    }.into_any()
                }
            }}
        </section>
    }
}

/// The steps and outcome of one object in an on-demand run.
#[derive(Clone, Debug, PartialEq)]
struct ObjectRun {
    object_type: String,
    source_id: String,
    steps: Vec<StepView>,
    outcome: Option<(String, OnDemandResult)>,
}

fn step_title(step: &str) -> &'static str {
    match step {
        "import" => "Import from the directory",
        "scope" => "Determine if in scope",
        "map" => "Map attributes",
        "references" => "Resolve references",
        "match" => "Match in the application",
        "action" => "Perform action",
        "members" => "Update group members",
        _ => "Step",
    }
}

fn step_icon(status: &str) -> &'static str {
    match status {
        "ok" => "✓",
        "failed" => "✕",
        "warning" => "!",
        _ => "–",
    }
}

/// Provision a user or a group now; its steps appear as they happen.
#[component]
fn OnDemandCard(id: String) -> impl IntoView {
    let (query, set_query) = signal(String::new());
    let chosen = RwSignal::new(None::<(String, String, String)>);
    let dry_run = RwSignal::new(false);
    let runs = RwSignal::new(Vec::<ObjectRun>::new());
    let running = RwSignal::new(false);
    let failure = RwSignal::new(None::<String>);
    let candidates = Resource::new(move || query.get(), on_demand_candidates);
    let start = move |id: String, kind: String, who: String| {
        runs.set(Vec::new());
        failure.set(None);
        running.set(true);
        let dry = dry_run.get_untracked();
        leptos::task::spawn_local(async move {
            use futures::StreamExt;
            match crate::api::provision_on_demand_live(id, kind, who, dry).await {
                Err(e) => failure.set(Some(
                    e.fields
                        .first()
                        .map(|f| f.message.clone())
                        .unwrap_or(e.message),
                )),
                Ok(stream) => {
                    let mut lines = crate::api::LineBuffer::default();
                    let mut stream = stream.into_inner();
                    while let Some(chunk) = stream.next().await {
                        let chunk = match chunk {
                            Ok(c) => c,
                            Err(e) => {
                                failure.set(Some(e.message));
                                break;
                            }
                        };
                        for event in lines.push(&chunk) {
                            apply(runs, failure, event);
                        }
                    }
                }
            }
            running.set(false);
        });
    };
    view! {
        <section class="card" data-testid="on-demand">
            <h2>"Provision on demand"</h2>
            <p class="hint">"Provision one user, or a group with its members, now — through the same steps as a cycle. Each step appears as it happens; open it for its details, the request sent and the response."</p>
            {move || match chosen.get() {
                None => view! {
                    <div class="picker">
                        <input type="search" class="toolbar-search" placeholder="Search a user or group by name" aria-label="User or group to provision"
                            prop:value=query on:input=move |ev| set_query.set(event_target_value(&ev))/>
                        <crate::pages::candidates::CandidateList candidates query testid="on-demand-candidates"
                            empty="No user or group matches."
                            take=move |c: crate::api::MemberRow| view! {
                                <button type="button" class="button button-small"
                                    on:click=move |_| chosen.set(Some((c.id.clone(), c.kind.clone(), c.display.clone())))>"Select"</button>
                            }/>
                    </div>
                }.into_any(),
                Some((member, kind, display)) => {
                    let id = id.clone();
                    view! {
                        <div class="picker-chosen">
                            <span class="picker-chosen-text"><strong>{display.clone()}</strong><span class="badge">{kind.clone()}</span></span>
                            <button type="button" class="button button-quiet button-small" on:click=move |_| { chosen.set(None); runs.set(Vec::new()); }>"Change"</button>
                        </div>
                        <label class="check">
                            <input type="checkbox" prop:checked=move || dry_run.get() on:change=move |ev| dry_run.set(event_target_checked(&ev))/>
                            " Dry run: show what would be sent, send nothing"
                        </label>
                        <div class="actions">
                            <button type="button" class="button button-primary" data-testid="on-demand-go" disabled=move || running.get()
                                on:click=move |_| start(id.clone(), kind.clone(), member.clone())>
                                {move || if running.get() { "Provisioning…" } else { "Provision" }}
                            </button>
                        </div>
                    }.into_any()
                }
            }}
            {move || failure.get().map(|f| view! { <p class="field-error" role="alert">{f}</p> })}
            <div class="on-demand-runs" data-testid="on-demand-steps">
                {move || runs.get().into_iter().map(|run| view! { <RunView run/> }).collect_view()}
            </div>
        </section>
    }
}

fn apply(runs: RwSignal<Vec<ObjectRun>>, failure: RwSignal<Option<String>>, event: OnDemandEvent) {
    match event {
        OnDemandEvent::Step {
            object_type,
            source_id,
            step,
        } => runs.update(
            |list| match list.iter_mut().find(|r| r.source_id == source_id) {
                Some(run) => run.steps.push(step),
                None => list.push(ObjectRun {
                    object_type,
                    source_id,
                    steps: vec![step],
                    outcome: None,
                }),
            },
        ),
        OnDemandEvent::Outcome {
            source_id,
            source_name,
            result,
            object_type,
        } => runs.update(
            |list| match list.iter_mut().find(|r| r.source_id == source_id) {
                Some(run) => run.outcome = Some((source_name, result)),
                None => list.push(ObjectRun {
                    object_type,
                    source_id,
                    steps: Vec::new(),
                    outcome: Some((source_name, result)),
                }),
            },
        ),
        OnDemandEvent::Error { message } => failure.set(Some(message)),
        OnDemandEvent::Done => {}
    }
}

#[component]
fn RunView(run: ObjectRun) -> impl IntoView {
    let title = match &run.outcome {
        Some((name, _)) => format!("{name} · {}", run.object_type),
        None => format!("{} {}", run.object_type, run.source_id),
    };
    view! {
        <div class="run" data-testid="on-demand-run">
            <h3>{title}</h3>
            <ol class="timeline">
                {run.steps.into_iter().map(|s| {
                    let has_data = !s.data.is_null();
                    let data = serde_json::to_string_pretty(&s.data).unwrap_or_default();
                    view! {
                        <li class=format!("timeline-step timeline-{}", s.status) data-testid="on-demand-step" data-step=s.step.clone()>
                            <details>
                                <summary>
                                    <span class="timeline-icon" aria-hidden="true">{step_icon(&s.status)}</span>
                                    <strong>{step_title(&s.step)}</strong>
                                    <span class="timeline-detail">{s.detail.clone()}</span>
                                </summary>
                                {if has_data {
                                    view! { <pre class="json">{data}</pre> }.into_any()
                                } else {
                                    view! { <p class="muted small">"No further details."</p> }.into_any()
                                }}
                            </details>
                        </li>
                    }
                }).collect_view()}
            </ol>
            {run.outcome.map(|(_, o)| {
                let ok = o.status != "failure";
                view! {
                    <div class=if ok { "callout" } else { "form-error" } role="status" data-testid="on-demand-result">
                        <p><strong>{format!("{}: {}", action_label(&o.action), o.status)}</strong>
                            {o.target_id.map(|t| format!(" · account {t}"))}
                            {o.error_code.clone().map(|c| view! { " " <code>{c}</code> })}</p>
                        <p>{o.message}</p>
                        {(!o.modified.is_empty()).then(|| view! {
                            <table class="table table-compact">
                                <thead><tr><th scope="col">"Attribute"</th><th scope="col">"Before"</th><th scope="col">"Sent"</th></tr></thead>
                                <tbody>{o.modified.into_iter().map(|(p, old, new)| view! { <tr><td><code>{p}</code></td><td>{if old.is_empty() { view! { <span class="muted">"—"</span> }.into_any() } else { view! { <code class="wrap">{old}</code> }.into_any() }}</td><td><code class="wrap">{new}</code></td></tr> }).collect_view()}</tbody>
                            </table>
                        })}
                    </div>
                }
            })}
        </div>
    }
}
