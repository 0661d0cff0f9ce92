//! CSV import: upload a file, see what every row will do, apply it and watch it progress.

use crate::api::{get_import_preview, get_import_status, ApplyImport, ImportPreview, PreviewRow};
use crate::components::{format_time, ErrorPanel, FormError, PageHeader};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

#[component]
pub fn ImportPage() -> impl IntoView {
    let query = use_query_map();
    let problem = move || query.read().get("error").filter(|e| !e.is_empty());
    let memberships = move || query.read().get("kind").is_some_and(|k| k == "memberships");
    view! {
        <p class="breadcrumb"><a href="/users">"Users"</a> " / Import"</p>
        <PageHeader title="Import from CSV" subtitle="Add and update users, or add people to groups, from a spreadsheet. You see what every row will do before anything is written."/>
        {move || problem().map(|p| view! { <div class="form-error" role="alert" data-testid="import-error">{p}</div> })}
        <section class="card form-card">
            <form class="form" method="post" action="/api/import" enctype="multipart/form-data">
                <fieldset class="choice">
                    <legend>"What the file holds"</legend>
                    <label><input type="radio" name="kind" value="users" checked=move || !memberships()/> " Users"</label>
                    <label><input type="radio" name="kind" value="memberships" checked=memberships/> " Group memberships"</label>
                </fieldset>
                <div class="field">
                    <label for="import-file">"CSV file"</label>
                    <input id="import-file" name="file" type="file" accept=".csv,text/csv" required/>
                    <p class="hint">"UTF-8, comma-separated, the first line naming the columns. Up to 64 MB."</p>
                </div>
                <div class="actions">
                    <button type="submit" class="button button-primary">"Upload and preview"</button>
                    <a class="button" href="/users">"Cancel"</a>
                </div>
            </form>
        </section>
        <section class="card">
            <h2>"Users file"</h2>
            <p>"Columns (any order; only " <code>"userName"</code> " is required): "
                <code>"userName, externalId, displayName, givenName, familyName, email, title, department, employeeNumber, costCenter, organization, division, phone, active, manager"</code> "."</p>
            <ul class="hint-list">
                <li>"A row whose userName exists updates that user; any other row creates one."</li>
                <li>"An empty cell leaves the attribute as it is."</li>
                <li><code>"manager"</code> " is the manager's userName, in the directory or in the same file."</li>
                <li><code>"active"</code> " is true or false (yes/no, 1/0)."</li>
                <li>"The users list's " <strong>"Export CSV"</strong> " writes this same format."</li>
            </ul>
            <pre class="expr-value">"userName,givenName,familyName,email,department,manager\nada@contoso.com,Ada,Lovelace,ada@contoso.com,Research,\ngrace@contoso.com,Grace,Hopper,grace@contoso.com,Research,ada@contoso.com"</pre>
            <h2>"Group memberships file"</h2>
            <p>"Columns " <code>"group"</code> " (the group's name) and " <code>"userName"</code> ". Each row adds the user to the group; groups must exist."</p>
        </section>
    }
}

fn badge(action: &str) -> &'static str {
    match action {
        "create" => "badge badge-ok",
        "update" => "badge badge-info",
        "reject" | "failed" => "badge badge-bad",
        _ => "badge",
    }
}

#[component]
fn RowsTable(rows: Vec<PreviewRow>, testid: &'static str) -> impl IntoView {
    view! {
        <div class="table-wrap">
            <table class="table" data-testid=testid>
                <thead><tr>
                    <th scope="col" class="numeric">"Line"</th>
                    <th scope="col">"Row"</th>
                    <th scope="col">"Action"</th>
                    <th scope="col">"Details"</th>
                </tr></thead>
                <tbody>
                    {rows.into_iter().map(|r| view! {
                        <tr>
                            <td class="numeric">{r.line}</td>
                            <td>{r.label}</td>
                            <td><span class=badge(&r.action)>{r.action.clone()}</span></td>
                            <td>{r.note}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}

#[component]
pub fn ImportPreviewPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").unwrap_or_default();
    let apply = ServerAction::<ApplyImport>::new();
    let preview = Resource::new(id, get_import_preview);
    let (tick, set_tick) = signal(0u32);
    let (polling, set_polling) = signal(false);
    let status = Resource::new(
        move || (id(), tick.get(), apply.version().get()),
        |(id, ..)| get_import_status(id),
    );
    // Poll while the import runs; the interval exists only in the browser.
    Effect::new(move |_| {
        if let Ok(handle) = set_interval_with_handle(
            move || {
                if polling.get_untracked() {
                    set_tick.update(|t| *t += 1);
                }
            },
            std::time::Duration::from_millis(400),
        ) {
            on_cleanup(move || handle.clear());
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(s)) = status.get() {
            set_polling.set(s.running);
        }
    });
    let apply_error = Signal::derive(move || apply.value().get().and_then(|r| r.err()));
    view! {
        <p class="breadcrumb"><a href="/users">"Users"</a> " / " <a href="/users/import">"Import"</a> " / Preview"</p>
        <Title text="Import preview"/>
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match preview.await {
                    Err(e) => view! { <ErrorPanel error=e/> }.into_any(),
                    Ok(p) => view! { <PreviewView p apply apply_error status/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn PreviewView(
    p: ImportPreview,
    apply: ServerAction<ApplyImport>,
    apply_error: Signal<Option<crate::error::AppError>>,
    status: Resource<Result<crate::api::ImportStatus, crate::error::AppError>>,
) -> impl IntoView {
    let writes = p.creates + p.updates;
    let what = if p.kind == "memberships" {
        "memberships"
    } else {
        "users"
    };
    let id = p.id.clone();
    view! {
        <div class="page-header">
            <h1>{format!("Import {what} from {}", p.file_name)}</h1>
            <p class="page-subtitle">"Uploaded by " {p.created_by.clone()} " at " {format_time(p.created_at)}</p>
        </div>
        <div class="stats" data-testid="import-counts">
            <div class="stat"><span class="stat-value">{p.creates}</span><span class="stat-label">{if p.kind == "memberships" { "to add" } else { "to create" }}</span></div>
            <div class="stat"><span class="stat-value">{p.updates}</span><span class="stat-label">"to update"</span></div>
            <div class="stat"><span class="stat-value">{p.unchanged}</span><span class="stat-label">"unchanged"</span></div>
            <div class="stat stat-bad"><span class="stat-value">{p.rejects}</span><span class="stat-label">"rejected"</span></div>
        </div>
        {(!p.ignored_columns.is_empty()).then(|| view! {
            <p class="notice">"These columns are not part of the format and are ignored: " <strong>{p.ignored_columns.join(", ")}</strong></p>
        })}
        <section class="card">
            <FormError error=apply_error/>
            <Transition fallback=|| ()>
                {move || {
                    let id = id.clone();
                    Suspend::new(async move {
                        match status.await {
                            Err(e) => view! { <ErrorPanel error=e/> }.into_any(),
                            Ok(s) if s.running || s.finished => {
                                let pct = (s.done * 100).checked_div(s.total).unwrap_or(100);
                                view! {
                                    <h2>{if s.finished { "Import finished" } else { "Importing…" }}</h2>
                                    <progress class="progress" max=s.total.max(1).to_string() value=s.done.to_string()
                                        aria-label="Import progress"></progress>
                                    <p data-testid="import-progress">
                                        {format!("{} of {} rows ({pct}%) · {} written", s.done, s.total, s.succeeded)}
                                        {s.seconds.map(|t| format!(" · {t:.1} s"))}
                                        {(!s.failures.is_empty()).then(|| format!(" · {} failed", s.failures.len()))}
                                    </p>
                                    {s.error.clone().map(|e| view! { <div class="form-error" role="alert">{e}</div> })}
                                    {(!s.failures.is_empty()).then(|| view! {
                                        <h3>"Rows that failed when written"</h3>
                                        <RowsTable rows=s.failures.clone() testid="import-failures"/>
                                    })}
                                    {s.finished.then(|| view! {
                                        <div class="actions">
                                            <a class="button button-primary" href="/users">"Go to users"</a>
                                            <a class="button" href="/users/import">"Import another file"</a>
                                        </div>
                                    })}
                                }.into_any()
                            }
                            Ok(_) => view! {
                                <h2>"Ready to import"</h2>
                                <p>{if writes == 0 {
                                    "Nothing to write: every row is unchanged or rejected.".to_string()
                                } else {
                                    format!("Applying writes {writes} rows; rejected and unchanged rows are skipped. Each write reaches the applications these people are assigned to.")
                                }}</p>
                                <ActionForm action=apply>
                                    <input type="hidden" name="id" value=id/>
                                    <div class="actions">
                                        <button type="submit" class="button button-primary" disabled=move || writes == 0 || apply.pending().get()>
                                            {format!("Apply {writes} changes")}
                                        </button>
                                        <a class="button" href="/users/import">"Upload another file"</a>
                                    </div>
                                </ActionForm>
                            }.into_any(),
                        }
                    })
                }}
            </Transition>
        </section>
        <section class="card">
            <h2>"Rows"</h2>
            <p class="hint">{format!("Rejected rows first, then what will be written; {} of {} rows shown.", p.rows.len(), p.creates + p.updates + p.unchanged + p.rejects)}</p>
            <RowsTable rows=p.rows testid="import-rows"/>
        </section>
    }
}
