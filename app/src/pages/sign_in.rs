//! The sign-in page: the only page reachable without a session (besides first-run setup).

use crate::api::{setup_open, SignIn};
use crate::components::{BrandMark, FieldMessage, FormError};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

#[component]
pub fn SignInPage() -> impl IntoView {
    let action = ServerAction::<SignIn>::new();
    let error = Signal::derive(move || action.value().get().and_then(|r| r.err()));
    let query = use_query_map();
    let next = move || query.read().get("next").unwrap_or_default();
    let setup = Resource::new(|| (), |_| setup_open());
    view! {
        <Title text="Sign in"/>
        <div class="auth-page">
            <AuthAside/>
            <main class="auth-main">
                <div class="auth-card">
                    <h1>"Sign in"</h1>
                    <p class="muted">"Use your Steward administrator account."</p>
                    <Suspense fallback=|| ()>
                        {move || Suspend::new(async move {
                            matches!(setup.await, Ok(true)).then(|| view! {
                                <div class="notice" data-testid="setup-notice">
                                    <strong>"No administrator exists yet."</strong>
                                    " Open the setup link printed in the server log, or run "
                                    <code>"steward admin create --email you@example.com"</code>
                                    " on the server."
                                </div>
                            })
                        })}
                    </Suspense>
                    <FormError error/>
                    <ActionForm action attr:class="form" attr:novalidate=true>
                        <input type="hidden" name="next" prop:value=next/>
                        <div class="field">
                            <label for="email">"Email"</label>
                            <input id="email" name="email" type="email" autocomplete="username"
                                required autofocus aria-describedby="email-error"/>
                            <FieldMessage error field="email"/>
                        </div>
                        <div class="field">
                            <label for="password">"Password"</label>
                            <input id="password" name="password" type="password"
                                autocomplete="current-password" required aria-describedby="password-error"/>
                            <FieldMessage error field="password"/>
                        </div>
                        <button type="submit" class="button button-primary button-block"
                            disabled=move || action.pending().get()>
                            {move || if action.pending().get() { "Signing in…" } else { "Sign in" }}
                        </button>
                    </ActionForm>
                </div>
                <p class="auth-footnote">"Forgot your password? Whoever runs the server can set a new one with " <code>"steward admin reset-password"</code> "."</p>
            </main>
        </div>
    }
}

/// The brand panel beside the sign-in and setup forms.
#[component]
pub fn AuthAside() -> impl IntoView {
    view! {
        <aside class="auth-aside">
            <div class="auth-brand"><BrandMark/><span>"Steward"</span></div>
            <div class="auth-pitch">
                <h2>"Every account, exactly right."</h2>
                <p>"Steward keeps the accounts in your SaaS applications in step with your directory: created when people join, updated when they move, disabled when they leave. In seconds, with a log of every change."</p>
            </div>
            <p class="auth-aside-foot">"Identity provisioning over SCIM 2.0"</p>
        </aside>
    }
}
