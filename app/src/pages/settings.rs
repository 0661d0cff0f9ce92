//! Settings: this installation, its administrators, email notifications (SMTP), SCIM tokens,
//! tools and the current session.

use crate::api::load_settings;
use crate::components::{format_time, ErrorPanel, PageHeader};
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
