//! Pages whose data arrives with later parts of the product. Each shows an empty state that
//! says what the page is for and how it fills up.

use crate::components::{EmptyState, Icon, PageHeader};
use leptos::prelude::*;

#[component]
pub fn ProvisioningLogsPage() -> impl IntoView {
    view! {
        <PageHeader title="Provisioning logs" subtitle="Every create, update, disable and delete Steward sends to an application, with its steps."/>
        <EmptyState icon=Icon::Logs title="Nothing provisioned yet">
            <p>"Entries appear here as soon as an application's provisioning is turned on. Each one shows what was sent, what the application answered, and what to do when it failed."</p>
        </EmptyState>
    }
}
