//! Settings: this installation, its administrators, email notifications (SMTP), how long
//! provisioning logs are kept, SCIM tokens, tools and the current session.

use crate::api::{load_log_retention, load_settings, LogRetention, SaveLogRetention};
use crate::components::{format_time, ErrorPanel, FormError, PageHeader};
use crate::pages::email_settings::EmailNotificationsSection;
use crate::pages::scim_tokens::ScimTokensSection;
use leptos::prelude::*;

#[component]
pub fn SettingsPage() -> impl IntoView {
    let settings = Resource::new(|| (), |_| load_settings());
    view! {
        <PageHeader title="Settings" subtitle="This Steward installation and who administers it."/>
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match settings.await {
                    Ok(s) => view! {
                        <section class="card">
                            <h2>"Installation"</h2>
                            <dl class="facts">
                                <dt>"Version"</dt><dd>{s.version.clone()}</dd>
                                <dt>"Public URL"</dt><dd><code>{s.public_url.clone()}</code></dd>
                                <dt>"Database"</dt><dd>{s.database_backend.clone()} " · " <code>{s.database.clone()}</code></dd>
                                <dt>"Data folder"</dt><dd><code>{s.data_dir.clone()}</code></dd>
                            </dl>
                        </section>
                        <section class="card">
                            <h2>"Administrators"</h2>
                            <div class="table-wrap">
                                <table class="table" data-testid="admins-table">
                                    <thead><tr>
                                        <th scope="col">"Name"</th>
                                        <th scope="col">"Email"</th>
                                        <th scope="col">"Role"</th>
                                        <th scope="col">"Last sign-in"</th>
                                    </tr></thead>
                                    <tbody>
                                        {s.admins.iter().map(|a| view! {
                                            <tr>
                                                <td>{a.display_name.clone()}</td>
                                                <td>{a.email.clone()}</td>
                                                <td>{a.roles.join(", ")}</td>
                                                <td>{a.last_sign_in_at.map(format_time).unwrap_or_else(|| "Never".into())}</td>
                                            </tr>
                                        }).collect_view()}
                                    </tbody>
                                </table>
                            </div>
                            <p class="hint">"Add administrators on the server with " <code>"steward admin create --email EMAIL"</code> "."</p>
                        </section>
                        <EmailNotificationsSection/>
                        <LogRetentionSection/>
                        <ScimTokensSection/>
                        <section class="card">
                            <h2>"Tools"</h2>
                            <p><a href="/settings/api-tokens"><strong>"API tokens"</strong></a></p>
                            <p class="hint">"Bearer tokens for scripts and tools that call the REST API, each acting with an admin role."</p>
                            <p><a href="/settings/embed"><strong>"Embedded dashboards"</strong></a></p>
                            <p class="hint">"Links to a live, read-only provisioning dashboard that another site can show in an iframe."</p>
                            <p><a href="/settings/attributes"><strong>"Custom attributes"</strong></a></p>
                            <p class="hint">"Add attributes of your own to users and groups; they appear in SCIM, CSV and the user pages."</p>
                            <p><a href="/settings/expression-builder"><strong>"Expression builder"</strong></a></p>
                            <p class="hint">"Write and test attribute-mapping expressions against sample attributes, with errors underlined as you type."</p>
                        </section>
                        <section class="card">
                            <h2>"Your session"</h2>
                            <p>"Ends at " {format_time(s.session_expires_at)} " or after 12 hours without activity, whichever comes first."</p>
                        </section>
                    }.into_any(),
                    Err(e) => view! { <ErrorPanel error=e/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// How long provisioning log entries are kept: the configured default, or what an admin saves.
#[component]
fn LogRetentionSection() -> impl IntoView {
    let save = ServerAction::<SaveLogRetention>::new();
    let retention = Resource::new(move || save.version().get(), |_| load_log_retention());
    view! {
        <section class="card" data-testid="log-retention">
            <h2>"Provisioning logs"</h2>
            <p class="hint">"Entries older than the retention period are deleted by a background job every hour, and at once when the period is shortened. Export what you need to keep longer from the provisioning logs page (CSV or JSON)."</p>
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match retention.await {
                        Ok(r) => view! { <LogRetentionForm retention=r save/> }.into_any(),
                        Err(e) => view! { <ErrorPanel error=e/> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn LogRetentionForm(
    retention: LogRetention,
    save: ServerAction<SaveLogRetention>,
) -> impl IntoView {
    let days = RwSignal::new(if retention.saved {
        retention.days.to_string()
    } else {
        String::new()
    });
    let error = Signal::derive(move || save.value().get().and_then(|r| r.err()));
    let source = if retention.saved {
        format!(
            "Set here. Leave empty to go back to the configured {} days.",
            retention.configured_days
        )
    } else {
        format!("The configured default ({} days, log_retention_days). Enter a number to change it here.", retention.configured_days)
    };
    view! {
        <FormError error/>
        <div class="form form-card">
            <p>"Kept for " <strong data-testid="retention-days">{format!("{} days", retention.days)}</strong></p>
            <div class="field">
                <label for="retention-days-input">"Retention (days)"</label>
                <div class="inline">
                    <input id="retention-days-input" class="input-days" type="number" min="1" max="3650" inputmode="numeric"
                        placeholder=retention.configured_days.to_string()
                        prop:value=move || days.get() on:input=move |ev| days.set(event_target_value(&ev))/>
                    <button type="button" class="button button-primary" disabled=move || save.pending().get()
                        on:click=move |_| { save.dispatch(SaveLogRetention { days: days.get_untracked() }); }>
                        {move || if save.pending().get() { "Saving…" } else { "Save" }}
                    </button>
                    {move || matches!(save.value().get(), Some(Ok(_))).then(|| view! { <span class="badge badge-ok" role="status">"Retention saved"</span> })}
                </div>
                <p class="hint">{source}</p>
                {move || error.get().and_then(|e| e.field("days")).map(|m| view! { <p class="field-error">{m}</p> })}
            </div>
        </div>
    }
}
