//! The landing page: where this tenant stands and what to do next.

use crate::api::{
    current_admin, load_jobs, load_overview, provisioning_activity, ActivityPoint, JobView,
};
use crate::components::{format_time, ErrorPanel, Icon, IconSvg, PageHeader};
use crate::pages::provisioning::LiveBadge;
use crate::sse::listen;
use leptos::prelude::*;

#[component]
pub fn OverviewPage() -> impl IntoView {
    let admin = Resource::new(|| (), |_| current_admin());
    let facts = Resource::new(|| (), |_| load_overview());
    let jobs = Resource::new(|| (), |_| load_jobs());
    view! {
        <PageHeader title="Overview" subtitle="The state of provisioning in this tenant at a glance."/>
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                admin.await.ok().map(|a| {
                    let first = a.display_name.split_whitespace().next().unwrap_or_default().to_string();
                    view! { <p class="greeting">"Welcome, " {first} "."</p> }
                })
            })}
        </Suspense>
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                match jobs.await {
                    Ok(list) if list.is_empty() => ().into_any(),
                    Ok(list) => view! { <JobsCard initial=list/> }.into_any(),
                    Err(e) => view! { <ErrorPanel error=e/> }.into_any(),
                }
            })}
        </Transition>
        <ActivityCard/>
        <section class="card">
            <h2>"Get started"</h2>
            <p class="muted">"Provisioning follows three steps, as in any identity provider."</p>
            <ol class="steps">
                <li>
                    <IconSvg icon=Icon::User/>
                    <div>
                        <a href="/users"><strong>"Bring your people into the directory"</strong></a>
                        <p>"Create users and groups, import them from CSV, or let your HR system push them over SCIM."</p>
                    </div>
                </li>
                <li>
                    <IconSvg icon=Icon::Apps/>
                    <div>
                        <a href="/applications"><strong>"Add an enterprise application"</strong></a>
                        <p>"Pick an app from the gallery, enter its SCIM endpoint and token, and test the connection."</p>
                    </div>
                </li>
                <li>
                    <IconSvg icon=Icon::Logs/>
                    <div>
                        <a href="/provisioning-logs"><strong>"Turn provisioning on and watch it work"</strong></a>
                        <p>"Assign users and groups, start provisioning, and follow every create, update and disable in the logs."</p>
                    </div>
                </li>
            </ol>
        </section>
        <section class="card">
            <h2>"Tenant health"</h2>
            <Suspense fallback=|| view! { <p class="muted">"Checking…"</p> }>
                {move || Suspend::new(async move {
                    match facts.await {
                        Ok(f) => view! {
                            <dl class="facts">
                                <dt>"Database"</dt>
                                <dd>
                                    {f.database_backend.clone()} " "
                                    {if f.database_healthy {
                                        view! { <span class="badge badge-ok">"Healthy"</span> }.into_any()
                                    } else {
                                        view! { <span class="badge badge-bad">"Unreachable"</span> }.into_any()
                                    }}
                                </dd>
                                <dt>"Administrators"</dt>
                                <dd>{f.admin_count}</dd>
                            </dl>
                        }.into_any(),
                        Err(e) => view! { <ErrorPanel error=e/> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

/// Every application's state at a glance, what needs an admin first; live.
#[component]
fn JobsCard(initial: Vec<JobView>) -> impl IntoView {
    let jobs = RwSignal::new(initial);
    let connection = listen(
        || "/api/live?view=overview".to_string(),
        &["jobs"],
        move |_, data| {
            if let Ok(list) = serde_json::from_str::<Vec<JobView>>(&data) {
                jobs.set(list);
            }
        },
    );
    view! {
        <section class="card" data-testid="applications-state">
            <div class="card-head">
                <h2>"Applications"</h2>
                <LiveBadge connection/>
            </div>
            <div class="table-wrap">
                <table class="table">
                    <thead><tr>
                        <th scope="col">"Application"</th>
                        <th scope="col">"State"</th>
                        <th scope="col">"Progress"</th>
                        <th scope="col">"Provisioned"</th>
                        <th scope="col">"Last cycle"</th>
                    </tr></thead>
                    <tbody>
                        {move || jobs.get().into_iter().map(|j| {
                            let progress = j.current.as_ref().map(|c| match c.percent() {
                                Some(p) => format!("{p}% of {}", c.total),
                                None => format!("{} objects", c.done),
                            });
                            view! {
                                <tr data-testid="application-state" data-state=j.state.clone()>
                                    <td><a href=format!("/applications/{}/provisioning", j.application_id)><strong>{j.application_name.clone()}</strong></a></td>
                                    <td>
                                        <span class=j.state_class()>{j.state_label()}</span>
                                        {j.quarantine.as_ref().map(|q| view! { <div class="small muted">{q.reason.clone()}</div> })}
                                    </td>
                                    <td>{progress.unwrap_or_else(|| "—".into())}</td>
                                    <td class="nowrap">{format!("{} users, {} groups", j.users_provisioned, j.groups_provisioned)}</td>
                                    <td class="nowrap">{j.last.as_ref().and_then(|c| c.ended_at).map(format_time).unwrap_or_else(|| "—".into())}</td>
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
        </section>
    }
}

/// A series of the chart: name, colour class, value of a point.
type Series = (&'static str, &'static str, fn(&ActivityPoint) -> u64);

/// The chart's series.
const SERIES: [Series; 4] = [
    ("Created", "bar-created", |p| p.created),
    ("Updated", "bar-updated", |p| p.updated),
    ("Disabled or deleted", "bar-removed", |p| p.removed),
    ("Failed", "bar-failed", |p| p.failed),
];

/// A rounded axis maximum: 1, 2 or 5 times a power of ten, at least `max`.
fn nice_max(max: u64) -> u64 {
    let mut step = 1u64;
    loop {
        for m in [1, 2, 5] {
            if step * m >= max.max(1) {
                return step * m;
            }
        }
        step *= 10;
    }
}

/// Provisioning activity per hour, stacked bars drawn as SVG.
#[component]
fn ActivityCard() -> impl IntoView {
    let days = RwSignal::new(1u32);
    let points = Resource::new(
        move || days.get(),
        |d| provisioning_activity(String::new(), d),
    );
    let choice = move |d: u32, label: &'static str| {
        view! {
            <button type="button" class=move || if days.get() == d { "chip chip-on" } else { "chip" }
                aria-pressed=move || (days.get() == d).to_string() on:click=move |_| days.set(d)>{label}</button>
        }
    };
    view! {
        <section class="card" data-testid="activity">
            <div class="card-head">
                <h2>"Provisioning activity"</h2>
                <div class="chips" role="group" aria-label="Period">{choice(1, "Last 24 hours")}{choice(7, "Last 7 days")}</div>
            </div>
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match points.await {
                        Err(e) => view! { <ErrorPanel error=e/> }.into_any(),
                        Ok(list) => view! { <ActivityChart points=list hours=days.get_untracked() * 24/> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn ActivityChart(points: Vec<ActivityPoint>, hours: u32) -> impl IntoView {
    use chrono::{Duration, DurationRound, Utc};
    let (width, height, left, bottom) = (720.0_f64, 180.0_f64, 40.0_f64, 22.0_f64);
    let end = Utc::now()
        .duration_trunc(Duration::hours(1))
        .unwrap_or_else(|_| Utc::now());
    let start = end - Duration::hours(i64::from(hours) - 1);
    let slot = (width - left) / f64::from(hours);
    let totals: Vec<u64> = points
        .iter()
        .map(|p| SERIES.iter().map(|s| (s.2)(p)).sum())
        .collect();
    let max = nice_max(totals.iter().copied().max().unwrap_or(0));
    let plot = height - bottom;
    let scale = plot / max as f64;
    let sums: Vec<u64> = SERIES
        .iter()
        .map(|s| points.iter().map(|p| (s.2)(p)).sum())
        .collect();
    let mut bars = Vec::new();
    for p in points.iter().filter(|p| p.hour >= start && p.hour <= end) {
        let i = (p.hour - start).num_hours() as f64;
        let x = left + i * slot + slot * 0.12;
        let w = (slot * 0.76).max(1.0);
        let mut y = plot;
        for (name, class, value) in SERIES {
            let v = value(p);
            if v == 0 {
                continue;
            }
            let h = v as f64 * scale;
            y -= h;
            bars.push(view! {
                <rect class=class x=format!("{x:.1}") y=format!("{y:.1}") width=format!("{w:.1}") height=format!("{h:.1}")>
                    <title>{format!("{} · {name}: {v}", p.hour.format("%Y-%m-%d %H:00 UTC"))}</title>
                </rect>
            });
        }
    }
    let ticks: Vec<_> = (0..=hours)
        .step_by(if hours <= 24 { 6 } else { 24 })
        .map(|h| {
            let x = left + f64::from(h) * slot;
            let t = start + Duration::hours(i64::from(h));
            let label = if hours <= 24 { t.format("%H:00").to_string() } else { t.format("%a %d").to_string() };
            let anchor = if h == 0 { "start" } else if h == hours { "end" } else { "middle" };
            view! { <text class="axis" x=format!("{x:.1}") y=format!("{}", height - 6.0) text-anchor=anchor>{label}</text> }
        })
        .collect();
    let empty = totals.iter().all(|t| *t == 0);
    view! {
        <svg class="chart" viewBox=format!("0 0 {width} {height}") role="img"
            aria-label=format!("Provisioning activity per hour over the last {hours} hours") data-testid="activity-chart">
            <line class="grid" x1=left y1="4" x2=width y2="4"/>
            <line class="grid" x1=left y1=plot / 2.0 + 2.0 x2=width y2=plot / 2.0 + 2.0/>
            <line class="axis-line" x1=left y1=plot x2=width y2=plot/>
            <text class="axis" x=left - 6.0 y="10" text-anchor="end">{max}</text>
            <text class="axis" x=left - 6.0 y=plot text-anchor="end">"0"</text>
            {bars}
            {ticks}
        </svg>
        <ul class="legend">
            {SERIES.iter().zip(sums).map(|((name, class, _), n)| view! {
                <li><span class=format!("swatch {class}")></span>{format!("{name}: {n}")}</li>
            }).collect_view()}
        </ul>
        {empty.then(|| view! { <p class="muted">"Nothing was provisioned in this period."</p> })}
    }
}
