//! The SCIM tokens section of Settings: what HR systems and scripts authenticate with at
//! `/scim/v2`. A new token is shown once; only its hash is kept.

use super::tokens::TokensPanel;
use crate::api::TokenKind;
use leptos::prelude::*;

#[component]
pub fn ScimTokensSection() -> impl IntoView {
    view! {
        <section class="card" id="scim-tokens">
            <h2>"SCIM tokens"</h2>
            <p class="hint">"HR systems and scripts push users and groups to this tenant's SCIM 2.0 endpoint with one of these bearer tokens. Give each client its own token, so you can revoke one without breaking the others."</p>
            <TokensPanel kind=TokenKind::Scim/>
        </section>
    }
}
