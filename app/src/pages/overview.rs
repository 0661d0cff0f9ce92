//! The landing page: where this tenant stands and what to do next.

use crate::api::{current_admin, load_overview};
use crate::components::{ErrorPanel, Icon, IconSvg, PageHeader};
use leptos::prelude::*;

#[component]
pub fn OverviewPage() -> impl IntoView {
    let admin = Resource::new(|| (), |_| current_admin());
    let facts = Resource::new(|| (), |_| load_overview());
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
                                <dt>"Applications"</dt>
                                <dd>"None yet"</dd>
                            </dl>
                        }.into_any(),
                        Err(e) => view! { <ErrorPanel error=e/> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}
