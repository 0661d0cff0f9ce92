//! The panel that manages one kind of bearer token, shared by the SCIM tokens section of
//! Settings and the API tokens page: create one (shown once), list them with when they were
//! created and last used, revoke one after a confirmation.

use crate::api::{list_tokens, CreateToken, RevokeToken, TokenKind, TokenView};
use crate::components::{format_time, ErrorPanel, FieldMessage, FormError};
use crate::error::AppError;
use leptos::prelude::*;

#[component]
pub fn TokensPanel(kind: TokenKind) -> impl IntoView {
    let create = ServerAction::<CreateToken>::new();
    let revoke = ServerAction::<RevokeToken>::new();
    let tokens = Resource::new(
        move || (create.version().get(), revoke.version().get()),
        move |_| list_tokens(kind),
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
    let kind_name = kind.as_str();
    view! {
        {move || created().map(|token| view! {
            <div class="callout" role="status" data-testid=format!("new-{kind_name}-token")>
                <p><strong>"Copy this token now: it will not be shown again."</strong></p>
                <code class="secret">{token}</code>
                <p class="hint">"Keep it in the client's secret store. Only a hash is kept here; if the token is lost, revoke it and create another."</p>
            </div>
        })}
        <FormError error=create_error/>
        <FormError error=revoke_error/>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match tokens.await {
                    Err(e) => view! { <ErrorPanel error=e/> }.into_any(),
                    Ok(list) => view! {
                        <ActionForm action=create node_ref=form attr:class="form form-inline" attr:novalidate=true>
                            <input type="hidden" name="kind" value=kind_name/>
                            <div class="field">
                                <label for=format!("{kind_name}-token-name")>"New token for"</label>
                                <input id=format!("{kind_name}-token-name") name="name" type="text" autocomplete="off"
                                    placeholder=if kind.has_role() { "e.g. Terraform" } else { "e.g. Workday" }
                                    aria-invalid=invalid(create_error, "name")/>
                                <FieldMessage error=create_error field="name"/>
                            </div>
                            {kind.has_role().then(|| view! {
                                <div class="field">
                                    <label for=format!("{kind_name}-token-role")>"Role"</label>
                                    <select id=format!("{kind_name}-token-role") name="role" aria-invalid=invalid(create_error, "role")>
                                        {list.roles.iter().map(|r| view! { <option value=r.value.clone()>{r.label.clone()}</option> }).collect_view()}
                                    </select>
                                    <FieldMessage error=create_error field="role"/>
                                </div>
                            })}
                            <button type="submit" class="button button-primary" disabled=move || create.pending().get()>"Create token"</button>
                        </ActionForm>
                        <p>"Endpoint: " <code data-testid=format!("{kind_name}-endpoint")>{list.endpoint.clone()}</code>
                            " · clients send " <code>"Authorization: Bearer <token>"</code></p>
                        <TokenTable kind tokens=list.tokens revoke/>
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

/// Tokens with their state, when they were created and last used, and for live ones a
/// confirmation before revoking; API tokens also show their role.
#[component]
fn TokenTable(
    kind: TokenKind,
    tokens: Vec<TokenView>,
    revoke: ServerAction<RevokeToken>,
) -> impl IntoView {
    if tokens.is_empty() {
        return view! { <p class="muted">"No tokens yet."</p> }.into_any();
    }
    let with_role = kind.has_role();
    view! {
        <div class="table-wrap">
            <table class="table" data-testid=format!("{}-tokens-table", kind.as_str())>
                <thead><tr>
                    <th scope="col">"Name"</th>
                    {with_role.then(|| view! { <th scope="col">"Role"</th> })}
                    <th scope="col">"Starts with"</th>
                    <th scope="col">"Created"</th>
                    <th scope="col">"Last used"</th>
                    <th scope="col">"State"</th>
                    <th scope="col"><span class="sr-only">"Actions"</span></th>
                </tr></thead>
                <tbody>
                    {tokens.into_iter().map(|t| {
                        let live = t.revoked_at.is_none();
                        let label = format!("Revoke {}", t.name);
                        view! {
                            <tr>
                                <td><strong>{t.name.clone()}</strong></td>
                                {with_role.then(|| view! { <td>{t.role.clone().unwrap_or_default()}</td> })}
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
                                                <input type="hidden" name="kind" value=kind.as_str()/>
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
    }
    .into_any()
}
