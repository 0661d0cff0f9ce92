//! The embedded dashboard (`/embed/{token}`), framed by another site: the provisioning state
//! of the token's application (or of every application), its cycle's progress, statistics
//! and the newest failures, all live. Outside the portal layout and without a single link
//! into the portal: the viewer is not an admin, and the token reads nothing else.

use crate::api::{
    action_label, cycle_kind_label, embed_view, CycleView, EmbedDashboard, JobView, LogRow,
    EMBED_FAILURES, EMBED_INVALID_MESSAGE,
};
use crate::components::ErrorPanel;
use crate::error::ErrorCode;
use crate::pages::provisioning::{cycle_status_label, number, LiveBadge};
use crate::sse::{listen, Connection};
use chrono::{DateTime, Utc};
use leptos::prelude::*;
use leptos_meta::{Meta, Title};
use leptos_router::hooks::use_params_map;

/// How long after the server refused the stream the page asks whether its link still works
/// (and between further tries while the answer is neither yes nor no).
#[cfg(feature = "hydrate")]
const RECHECK_AFTER_SECS: u64 = 5;

#[component]
pub fn EmbedPage() -> impl IntoView {
    let params = use_params_map();
    let token = move || params.read().get("token").unwrap_or_default();
    let data = Resource::new(token, embed_view);
    view! {
        <Meta name="robots" content="noindex"/>
        <Suspense fallback=|| view! { <main class="embed"><p class="muted">"Loading…"</p></main> }>
            {move || {
                let token = token();
                Suspend::new(async move {
                    match data.await {
                        Ok(board) => view! { <EmbedBoard token board/> }.into_any(),
                        Err(e) if e.code == ErrorCode::NotFound => view! { <EmbedInvalid/> }.into_any(),
                        Err(e) => view! {
                            <Title text="Provisioning status"/>
                            <main class="embed"><ErrorPanel error=e/></main>
                        }.into_any(),
                    }
                })
            }}
        </Suspense>
    }
}

/// What a link that opens nothing shows (the server answers unknown tokens with the same
/// words before the app is reached; this covers a token revoked in between).
#[component]
fn EmbedInvalid() -> impl IntoView {
    view! {
        <Title text="Dashboard link not valid"/>
        <main class="embed embed-invalid" data-testid="embed-invalid">
            <p>{EMBED_INVALID_MESSAGE}</p>
        </main>
    }
}

#[component]
fn EmbedBoard(token: String, board: EmbedDashboard) -> impl IntoView {
    let EmbedDashboard {
        title,
        all,
        jobs,
        failures,
    } = board.clone();
    let url = format!("/embed/{token}/live?after={}", board.newest_failure());
    let jobs = RwSignal::new(jobs);
    let failures = RwSignal::new(failures);
    let connection = listen(
        move || url.clone(),
        &["status", "jobs", "log"],
        move |event, data| match event {
            "status" => {
                if let Ok(v) = serde_json::from_str::<JobView>(&data) {
                    jobs.set(vec![v]);
                }
            }
            "jobs" => {
                if let Ok(list) = serde_json::from_str::<Vec<JobView>>(&data) {
                    jobs.set(list);
                }
            }
            "log" => {
                if let Ok(row) = serde_json::from_str::<LogRow>(&data) {
                    failures.update(|list| {
                        if !list.iter().any(|r| r.id == row.id) {
                            list.insert(0, row);
                            list.truncate(EMBED_FAILURES);
                        }
                    });
                }
            }
            _ => {}
        },
    );
    // The server refused the stream: the link was revoked, or the database failed for a
    // moment. Ask until it is clear which: a revoked link replaces everything with the message
    // in place (a reload would be a 404 no site may frame, which the browser shows as a broken
    // frame); a working one reloads to go live again. A wall screen needs nobody to press
    // reload.
    let revoked = RwSignal::new(false);
    #[cfg(feature = "hydrate")]
    Effect::new({
        let token = token.clone();
        let shown = Shown {
            jobs,
            failures,
            revoked,
            loaded_at: js_sys::Date::now(),
        };
        move |_| {
            if connection.get() == Connection::Closed {
                recheck(token.clone(), shown);
            }
        }
    });
    Effect::new(move |_| {
        if revoked.get() {
            jobs.set(Vec::new());
            failures.set(Vec::new());
        }
    });
    view! {
        <Title text=format!("{title} · provisioning status")/>
        <Show when=move || !revoked.get() fallback=|| view! { <EmbedInvalid/> }>
            <main class=if all { "embed embed-all" } else { "embed" } data-testid="embed-dashboard"
                data-scope=if all { "all" } else { "application" }>
                <header class="embed-head">
                    <h1 class="embed-title">{title.clone()}</h1>
                    <LiveBadge connection/>
                </header>
                {move || (connection.get() == Connection::Closed).then(|| view! {
                    <p class="embed-note" role="status">"This dashboard stopped updating; it tries again by itself."</p>
                })}
                {move || {
                    let list = jobs.get();
                    if list.is_empty() {
                        view! { <p class="muted">"No applications yet."</p> }.into_any()
                    } else {
                        list.into_iter().map(|job| view! { <EmbedJob job all/> }).collect_view().into_any()
                    }
                }}
                <EmbedFailures failures all/>
                <footer class="embed-foot">"Steward · read-only provisioning status"</footer>
            </main>
        </Show>
    }
}

/// What the dashboard shows, for [`recheck`].
#[cfg(feature = "hydrate")]
#[derive(Clone, Copy)]
struct Shown {
    jobs: RwSignal<Vec<JobView>>,
    failures: RwSignal<Vec<LogRow>>,
    revoked: RwSignal<bool>,
    /// When the page loaded (ms since the epoch).
    loaded_at: f64,
}

/// After [`RECHECK_AFTER_SECS`], asks whether the link still opens the dashboard. Revoked
/// (404): the page says so. Open: the page reloads to go live again, at most once a minute
/// (a proxy that refuses event streams must not make it reload in a loop; until then it
/// shows what it was told and asks again). Any other answer: asks again.
#[cfg(feature = "hydrate")]
fn recheck(token: String, shown: Shown) {
    set_timeout(
        move || {
            leptos::task::spawn_local(async move {
                match embed_view(token.clone()).await {
                    Ok(_) if js_sys::Date::now() - shown.loaded_at >= 60_000.0 => {
                        let _ = window().location().reload();
                    }
                    Ok(board) => {
                        shown.jobs.set(board.jobs);
                        shown.failures.set(board.failures);
                        recheck(token, shown);
                    }
                    Err(e) if e.code == ErrorCode::NotFound => shown.revoked.set(true),
                    Err(_) => recheck(token, shown),
                }
            });
        },
        std::time::Duration::from_secs(RECHECK_AFTER_SECS),
    );
}

/// A short time for a small frame: the day and minute, in UTC (the same text on the server
/// and in the browser, so hydration matches).
fn short_time(t: DateTime<Utc>) -> String {
    t.format("%-d %b %H:%M UTC").to_string()
}

/// One application: its state, quarantine, cycle and numbers.
#[component]
fn EmbedJob(job: JobView, all: bool) -> impl IntoView {
    let failed_last = job.last.as_ref().map_or(0, |c| c.failed);
    let waiting = job.retries.len() as u64;
    let tone = |n: u64| if n == 0 { "" } else { "embed-stat-bad" };
    view! {
        <section class="embed-app" data-testid="embed-application" data-state=job.state.clone()>
            <div class="embed-app-head">
                {all.then(|| view! { <h2 class="embed-app-name">{job.application_name.clone()}</h2> })}
                <span class=job.state_class() data-testid="embed-state">{job.state_label()}</span>
            </div>
            {job.quarantine.clone().map(|q| view! {
                <p class="embed-quarantine" data-testid="embed-quarantine">
                    <strong>{q.reason}</strong>
                    <span class="muted">{format!(" · next attempt {}", short_time(q.next_attempt_at))}</span>
                </p>
            })}
            {(job.staged_deletes > 0).then(|| view! {
                <p class="embed-note">{format!("{} disables or deletes are held for an administrator to review.", number(job.staged_deletes))}</p>
            })}
            <EmbedProgress current=job.current.clone() last=job.last.clone()/>
            <dl class="embed-stats">
                <div><dt>"Users"</dt><dd>{number(job.users_provisioned)}</dd></div>
                <div><dt>"Groups"</dt><dd>{number(job.groups_provisioned)}</dd></div>
                <div class=tone(waiting)><dt>"To retry"</dt><dd>{number(waiting)}</dd></div>
                <div class=tone(failed_last)><dt>"Failed last cycle"</dt><dd>{number(failed_last)}</dd></div>
            </dl>
        </section>
    }
}

/// The running cycle's progress bar, or how the last cycle ended.
#[component]
fn EmbedProgress(current: Option<CycleView>, last: Option<CycleView>) -> impl IntoView {
    let body = match (current, last) {
        (Some(c), _) => {
            let rate = c.rate(Utc::now());
            let max = c.total.max(1);
            view! {
                <div class="embed-progress-line">
                    <strong>{cycle_kind_label(&c.kind)}</strong>
                    <span>{c.percent().map(|p| format!("{p}%")).unwrap_or_default()}</span>
                </div>
                <progress class="progress" max=max.to_string() value=c.done.min(max).to_string()
                    aria-label="Cycle progress"></progress>
                <p class="embed-progress-numbers">
                    {number(c.done)}
                    {if c.total > 0 { format!(" of {} objects", number(c.total)) } else { " objects".to_string() }}
                    {(rate >= 1.0).then(|| format!(" · {rate:.0}/s"))}
                </p>
            }
            .into_any()
        }
        (None, Some(c)) => view! {
            <p class="embed-progress-numbers">
                {format!("Last: {} · {}", cycle_kind_label(&c.kind), cycle_status_label(&c.status))}
                {c.ended_at.map(|t| format!(" · {}", short_time(t)))}
            </p>
        }
        .into_any(),
        (None, None) => {
            view! { <p class="embed-progress-numbers">"No cycle has run yet."</p> }.into_any()
        }
    };
    view! { <div class="embed-progress" data-testid="embed-progress">{body}</div> }
}

/// The newest failures, live.
#[component]
fn EmbedFailures(failures: RwSignal<Vec<LogRow>>, all: bool) -> impl IntoView {
    view! {
        <section class="embed-failures" data-testid="embed-failures">
            <h2>"Last failures"</h2>
            {move || {
                let list = failures.get();
                if list.is_empty() {
                    view! { <p class="muted">"No failures."</p> }.into_any()
                } else {
                    view! {
                        <ol class="embed-failure-list">
                            {list.into_iter().map(|r| view! {
                                <li data-testid="embed-failure">
                                    <div class="embed-failure-head">
                                        <strong>{r.source_name.clone()}</strong>
                                        <span class="muted">
                                            {all.then(|| format!(" · {}", r.application_name))}
                                            {format!(" · {} · {}", action_label(&r.action), short_time(r.at))}
                                        </span>
                                    </div>
                                    <p class="embed-failure-message">
                                        {r.error_code.clone().map(|c| view! { <code>{c}</code> " " })}
                                        {r.message.clone()}
                                    </p>
                                </li>
                            }).collect_view()}
                        </ol>
                    }.into_any()
                }
            }}
        </section>
    }
}
