//! Settings → Expression builder: the builder on a page of its own, for trying expressions
//! before they go into an application's attribute mappings.

use crate::components::PageHeader;
use crate::expression_builder::ExpressionBuilder;
use leptos::prelude::*;

#[component]
pub fn ExpressionBuilderPage() -> impl IntoView {
    view! {
        <PageHeader title="Expression builder"
            subtitle="Write and test attribute-mapping expressions. They run in your browser with the same code the provisioning engine uses; nothing is saved."/>
        <p class="breadcrumb"><a href="/settings">"Settings"</a> " / Expression builder"</p>
        <ExpressionBuilder initial="Join(\".\", [givenName], [surname])"/>
    }
}
