//! Settings → Embedded dashboards: links to a read-only, live provisioning dashboard that
//! another site (an intranet, a status page) shows in an `<iframe>`. Each link carries a token
//! that reads one application's status (or every application's) and nothing else, and names
//! the sites allowed to frame it. Created (shown once, with the snippet), listed, revoked.

use crate::api::{
    list_embed_tokens, ApplicationChoice, CreateEmbedToken, EmbedTokenView, RevokeEmbedToken,
};
use crate::components::{format_time, ErrorPanel, FieldMessage, FormError, PageHeader};
use crate::error::AppError;
use leptos::prelude::*;

#[component]
pub fn EmbedTokensPage() -> impl IntoView {
    let create = ServerAction::<CreateEmbedToken>::new();
    let revoke = ServerAction::<RevokeEmbedToken>::new();
    let list = Resource::new(
        move || (create.version().get(), revoke.version().get()),
        |_| list_embed_tokens(),
    );
    let create_error = Signal::derive(move || create.value().get().and_then(|r| r.err()));
    let revoke_error = Signal::derive(move || revoke.value().get().and_then(|r| r.err()));
    let created = move || create.value().get().and_then(|r| r.ok());
    // A created token empties the form for the next one.
    let form = NodeRef::<leptos::html::Form>::new();
    Effect::new(move |_| {
        if created().is_some() {
            if let Some(form) = form.get() {
                form.reset();
            }
        }
    });
    view! {
        <p class="breadcrumb"><a href="/settings">"Settings"</a> " / Embedded dashboards"</p>
        <PageHeader title="Embedded dashboards" subtitle="A live, read-only view of provisioning for another site to show in an iframe: state, progress, statistics and the latest failures. Each link opens only that view, and only on the sites you list."/>
        {move || created().map(|new| view! {
            <div class="callout" role="status" data-testid="embed-snippet">
                <p><strong>"Copy this now: the link will not be shown again."</strong></p>
                <label class="field-label" for="embed-snippet-code">"Paste into the other site's page"</label>
                <textarea id="embed-snippet-code" class="snippet" readonly=true rows="3">{new.snippet.clone()}</textarea>
                <p class="hint">"The dashboard's address: " <code class="wrap" data-testid="embed-url">{new.url.clone()}</code>
                    " · " <a href=new.url.clone() target="_blank" rel="noopener noreferrer">"Open it"</a></p>
                <p class="hint">"Anyone who can see the other page can open this link. Only a hash of the token is kept here; if it is lost or leaks, revoke it and create another."</p>
            </div>
        })}
        <FormError error=revoke_error/>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match list.await {
                    Err(e) => view! { <ErrorPanel error=e/> }.into_any(),
                    Ok(list) => view! {
                        <section class="card" data-testid="embed-create">
                            <h2>"New dashboard link"</h2>
                            <FormError error=create_error/>
                            <ActionForm action=create node_ref=form attr:class="form form-card" attr:novalidate=true>
                                <div class="field">
                                    <label for="embed-name">"Name"</label>
                                    <input id="embed-name" name="name" type="text" autocomplete="off"
                                        placeholder="e.g. Intranet status page" aria-invalid=invalid(create_error, "name")/>
                                    <FieldMessage error=create_error field="name"/>
                                </div>
                                <div class="field">
                                    <label for="embed-application">"Shows"</label>
                                    <select id="embed-application" name="application" aria-invalid=invalid(create_error, "application")>
                                        <option value="">"All applications"</option>
                                        {list.applications.iter().map(|a: &ApplicationChoice| view! {
                                            <option value=a.id.clone()>{a.name.clone()}</option>
                                        }).collect_view()}
                                    </select>
                                    <FieldMessage error=create_error field="application"/>
                                </div>
                                <div class="field">
                                    <label for="embed-origins">"Sites allowed to show it"</label>
                                    <textarea id="embed-origins" name="origins" rows="3" spellcheck="false"
                                        placeholder="https://intranet.example.com" aria-invalid=invalid(create_error, "origins")
                                        aria-describedby="embed-origins-hint"></textarea>
                                    <p class="hint" id="embed-origins-hint">"One origin a line: https://host, or https://host:port; no path. Every other site is refused by the browser."</p>
                                    <FieldMessage error=create_error field="origins"/>
                                </div>
                                <div>
                                    <button type="submit" class="button button-primary" disabled=move || create.pending().get()>"Create link"</button>
                                </div>
                            </ActionForm>
                        </section>
                        <section class="card">
                            <h2>"Links"</h2>
                            <EmbedTokenTable tokens=list.tokens revoke/>
                        </section>
                    }.into_any(),
                }
            })}
        </Transition>
    }
}

/// `"true"` while the last create failed on `field`, for `aria-invalid`.
fn invalid(error: Signal<Option<AppError>>, field: &'static str) -> impl Fn() -> &'static str {
    move || {
        if error.get().and_then(|e| e.field(field)).is_some() {
            "true"
        } else {
            "false"
        }
    }
}

/// The links with their state, what each shows, who may frame it, when it was created and
/// last used, and for live ones a confirmation before revoking.
#[component]
fn EmbedTokenTable(
    tokens: Vec<EmbedTokenView>,
    revoke: ServerAction<RevokeEmbedToken>,
) -> impl IntoView {
    if tokens.is_empty() {
        return view! { <p class="muted" data-testid="embed-tokens">"No dashboard links yet."</p> }
            .into_any();
    }
    view! {
        <div class="table-wrap">
            <table class="table" data-testid="embed-tokens">
                <thead><tr>
                    <th scope="col">"Name"</th>
                    <th scope="col">"Shows"</th>
                    <th scope="col">"Allowed sites"</th>
                    <th scope="col">"Created"</th>
                    <th scope="col">"Last used"</th>
                    <th scope="col"><span class="sr-only">"Actions"</span></th>
                </tr></thead>
                <tbody>
                    {tokens.into_iter().map(|t| {
                        let live = t.revoked_at.is_none();
                        let label = format!("Revoke {}", t.name);
                        view! {
                            <tr data-testid="embed-token" data-state=if live { "live" } else { "revoked" }>
                                <td>
                                    <strong>{t.name.clone()}</strong> " "
                                    {if live {
                                        view! { <span class="badge badge-ok">"Live"</span> }.into_any()
                                    } else {
                                        view! { <span class="badge badge-bad">"Revoked"</span> }.into_any()
                                    }}
                                    <br/><code class="small">{t.prefix.clone()} "…"</code>
                                </td>
                                <td>{t.scope.clone()}</td>
                                <td><ul class="plain-list">{t.allowed_origins.iter().map(|o| view! { <li><code>{o.clone()}</code></li> }).collect_view()}</ul></td>
                                <td>{format_time(t.created_at)}<br/><span class="muted">{t.created_by.clone().unwrap_or_default()}</span></td>
                                <td>{t.last_used_at.map(format_time).unwrap_or_else(|| "Never".into())}</td>
                                <td class="row-actions">{live.then(|| view! {
                                    <details class="confirm">
                                        <summary class="button button-quiet">"Revoke…"</summary>
                                        <div class="confirm-body">
                                            <p>"Open dashboards stop updating within seconds and then say that the link is no longer valid. This cannot be undone."</p>
                                            <ActionForm action=revoke>
                                                <input type="hidden" name="id" value=t.id.clone()/>
                                                <button type="submit" class="button button-danger" aria-label=label>"Revoke link"</button>
                                            </ActionForm>
                                        </div>
                                    </details>
                                })}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
    .into_any()
}
