//! The SCIM tokens section of Settings: what HR systems and scripts authenticate with at
//! `/scim/v2`. A new token is shown once; only its hash is kept.

use crate::api::{scim_tokens, CreateScimToken, RevokeScimToken};
use crate::components::{format_time, ErrorPanel, FieldMessage, FormError};
use leptos::prelude::*;

#[component]
pub fn ScimTokensSection() -> impl IntoView {
    let create = ServerAction::<CreateScimToken>::new();
    let revoke = ServerAction::<RevokeScimToken>::new();
    let tokens = Resource::new(
        move || (create.version().get(), revoke.version().get()),
        |_| scim_tokens(),
    );
    let create_error = Signal::derive(move || create.value().get().and_then(|r| r.err()));
    let revoke_error = Signal::derive(move || revoke.value().get().and_then(|r| r.err()));
    let new_token = move || create.value().get().and_then(|r| r.ok());
    let form = NodeRef::<leptos::html::Form>::new();
    Effect::new(move |_| {
        if new_token().is_some() {
            if let Some(form) = form.get() {
                form.reset();
            }
        }
    });
    view! {
        <section class="card" id="scim-tokens">
            <h2>"SCIM tokens"</h2>
            <p class="hint">"HR systems and scripts push users and groups to this tenant's SCIM 2.0 endpoint with one of these bearer tokens. Give each client its own token, so you can revoke one without breaking the others."</p>
            {move || new_token().map(|token| view! {
                <div class="callout" role="status" data-testid="new-scim-token">
                    <p><strong>"Copy this token now: it will not be shown again."</strong></p>
                    <code class="secret">{token}</code>
                </div>
            })}
            <FormError error=create_error/>
            <ActionForm action=create node_ref=form attr:class="form form-inline" attr:novalidate=true>
                <div class="field">
                    <label for="scim-token-name">"New token for"</label>
                    <input id="scim-token-name" name="name" type="text" autocomplete="off" placeholder="e.g. Workday"
                        aria-invalid=move || if create_error.get().and_then(|e| e.field("name")).is_some() { "true" } else { "false" }/>
                    <FieldMessage error=create_error field="name"/>
                </div>
                <button type="submit" class="button button-primary" disabled=move || create.pending().get()>"Create token"</button>
            </ActionForm>
            <FormError error=revoke_error/>
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match tokens.await {
                        Err(e) => view! { <ErrorPanel error=e/> }.into_any(),
                        Ok(list) => view! {
                            <p>"Endpoint: " <code data-testid="scim-endpoint">{list.endpoint.clone()}</code></p>
                            {if list.tokens.is_empty() {
                                view! { <p class="muted">"No tokens yet."</p> }.into_any()
                            } else {
                                view! {
                                    <div class="table-wrap">
                                        <table class="table" data-testid="scim-tokens-table">
                                            <thead><tr>
                                                <th scope="col">"Name"</th>
                                                <th scope="col">"Starts with"</th>
                                                <th scope="col">"Created"</th>
                                                <th scope="col">"Last used"</th>
                                                <th scope="col">"State"</th>
                                                <th scope="col"><span class="sr-only">"Actions"</span></th>
                                            </tr></thead>
                                            <tbody>
                                                {list.tokens.into_iter().map(|t| {
                                                    let live = t.revoked_at.is_none();
                                                    let label = format!("Revoke {}", t.name);
                                                    view! {
                                                        <tr>
                                                            <td><strong>{t.name.clone()}</strong></td>
                                                            <td><code>{t.prefix.clone()} "…"</code></td>
                                                            <td class="nowrap">{format_time(t.created_at)} <br/><span class="muted">{t.created_by.clone().unwrap_or_default()}</span></td>
                                                            <td class="nowrap">{t.last_used_at.map(format_time).unwrap_or_else(|| "Never".into())}</td>
                                                            <td>{if live {
                                                                view! { <span class="badge badge-ok">"Live"</span> }.into_any()
                                                            } else {
                                                                view! { <span class="badge badge-bad">"Revoked"</span> }.into_any()
                                                            }}</td>
                                                            <td class="row-actions">{live.then(|| view! {
                                                                <details class="confirm">
                                                                    <summary class="button button-quiet">"Revoke…"</summary>
                                                                    <div class="confirm-body">
                                                                        <p>"Clients using this token are refused from their next request. This cannot be undone."</p>
                                                                        <ActionForm action=revoke>
                                                                            <input type="hidden" name="id" value=t.id.clone()/>
                                                                            <button type="submit" class="button button-danger" aria-label=label>"Revoke token"</button>
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
                                }.into_any()
                            }}
                        }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}
