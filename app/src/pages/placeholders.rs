//! Pages whose data arrives with later parts of the product. Each shows an empty state that
//! says what the page is for and how it fills up.

use crate::components::{EmptyState, Icon, PageHeader};
use leptos::prelude::*;

#[component]
pub fn ApplicationsPage() -> impl IntoView {
    view! {
        <PageHeader title="Enterprise applications" subtitle="The SaaS applications Steward keeps accounts in."/>
        <EmptyState icon=Icon::Apps title="No applications yet">
            <p>"Each application gets its own credentials, attribute mappings, scoping filters and assignments."</p>
            <p>"Coming next: add one from the gallery (Xledger, Klaxoon, xMatters, AlexisHR) or create your own SCIM 2.0 application, then set its provisioning mode to Automatic."</p>
        </EmptyState>
    }
}

#[component]
pub fn ProvisioningLogsPage() -> impl IntoView {
    view! {
        <PageHeader title="Provisioning logs" subtitle="Every create, update, disable and delete Steward sends to an application, with its steps."/>
        <EmptyState icon=Icon::Logs title="Nothing provisioned yet">
            <p>"Entries appear here as soon as an application's provisioning is turned on. Each one shows what was sent, what the application answered, and what to do when it failed."</p>
        </EmptyState>
    }
}
