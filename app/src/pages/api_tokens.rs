//! Settings → API tokens: what scripts and tools authenticate with at the REST API
//! (`/api/v1`), each acting with an admin role. A new token is shown once; only its hash is
//! kept.

use super::tokens::TokensPanel;
use crate::api::TokenKind;
use crate::components::PageHeader;
use leptos::prelude::*;

#[component]
pub fn ApiTokensPage() -> impl IntoView {
    view! {
        <p class="breadcrumb"><a href="/settings">"Settings"</a> " / API tokens"</p>
        <PageHeader title="API tokens" subtitle="Scripts and tools call Steward's REST API with one of these bearer tokens, and act with the role the token has. Give each client its own token, so you can revoke one without breaking the others."/>
        <section class="card" id="api-tokens">
            <TokensPanel kind=TokenKind::Api/>
        </section>
    }
}
