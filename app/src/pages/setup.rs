//! First-run setup: creates the first Global Administrator, protected by the one-time token
//! the server prints in its log while no administrator exists.

use super::sign_in::AuthAside;
use crate::api::{setup_open, CompleteSetup};
use crate::components::{FieldMessage, FormError};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

#[component]
pub fn SetupPage() -> impl IntoView {
    let action = ServerAction::<CompleteSetup>::new();
    let error = Signal::derive(move || action.value().get().and_then(|r| r.err()));
    let query = use_query_map();
    let token = move || query.read().get("token").unwrap_or_default();
    let open = Resource::new(|| (), |_| setup_open());
    view! {
        <Title text="Set up Steward"/>
        <div class="auth-page">
            <AuthAside/>
            <main class="auth-main">
                <div class="auth-card auth-card-wide">
                    <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                        {move || Suspend::new(async move {
                            if matches!(open.await, Ok(true)) {
                                view! {
                                    <h1>"Set up Steward"</h1>
                                    <p class="muted">"Create the first Global Administrator. You can add more administrators later."</p>
                                    <FormError error/>
                                    <ActionForm action attr:class="form" attr:novalidate=true>
                                        <div class="field">
                                            <label for="token">"Setup token"</label>
                                            <input id="token" name="token" type="text" prop:value=token
                                                autocomplete="off" spellcheck="false" required/>
                                            <p class="hint">"Printed in the server log at start-up, as part of the setup link."</p>
                                        </div>
                                        <div class="field">
                                            <label for="display_name">"Your name"</label>
                                            <input id="display_name" name="display_name" type="text" autocomplete="name" required/>
                                            <FieldMessage error field="display_name"/>
                                        </div>
                                        <div class="field">
                                            <label for="email">"Email"</label>
                                            <input id="email" name="email" type="email" autocomplete="username" required/>
                                            <FieldMessage error field="email"/>
                                        </div>
                                        <div class="field-row">
                                            <div class="field">
                                                <label for="password">"Password"</label>
                                                <input id="password" name="password" type="password" autocomplete="new-password" required/>
                                                <FieldMessage error field="password"/>
                                            </div>
                                            <div class="field">
                                                <label for="password_confirm">"Confirm password"</label>
                                                <input id="password_confirm" name="password_confirm" type="password" autocomplete="new-password" required/>
                                                <FieldMessage error field="password_confirm"/>
                                            </div>
                                        </div>
                                        <p class="hint">"At least 12 characters. A passphrase of several words is easy to remember and hard to guess."</p>
                                        <button type="submit" class="button button-primary button-block"
                                            disabled=move || action.pending().get()>
                                            "Create administrator and sign in"
                                        </button>
                                    </ActionForm>
                                }.into_any()
                            } else {
                                view! {
                                    <h1>"Setup is complete"</h1>
                                    <p>"An administrator already exists for this Steward."</p>
                                    <a class="button button-primary" href="/sign-in">"Go to sign in"</a>
                                }.into_any()
                            }
                        })}
                    </Suspense>
                </div>
            </main>
        </div>
    }
}
