//! Creating a group. The name is checked on the server; "already exists" appears next to it.

use crate::api::CreateGroup;
use crate::components::{FormError, PageHeader};
use crate::pages::custom_fields::CustomFields;
use crate::pages::group_detail::GroupFields;
use leptos::prelude::*;

#[component]
pub fn NewGroupPage() -> impl IntoView {
    let action = ServerAction::<CreateGroup>::new();
    let error = Signal::derive(move || action.value().get().and_then(|r| r.err()));
    view! {
        <p class="breadcrumb"><a href="/groups">"Groups"</a> " / New group"</p>
        <PageHeader title="New group" subtitle="Add members after creating it; assign it to applications to provision everyone in it."/>
        <section class="card form-card">
            <FormError error/>
            <ActionForm action attr:class="form" attr:novalidate=true>
                <GroupFields error name=String::new() description=String::new() external_id=String::new()/>
                <CustomFields object_type="group" id=None error/>
                <div class="actions">
                    <button type="submit" class="button button-primary" disabled=move || action.pending().get()>
                        {move || if action.pending().get() { "Creating…" } else { "Create group" }}
                    </button>
                    <a class="button" href="/groups">"Cancel"</a>
                </div>
            </ActionForm>
        </section>
    }
}
