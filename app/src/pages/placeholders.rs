//! Pages whose data arrives with later parts of the product. Each shows an empty state that
//! says what the page is for and how it fills up.

use crate::components::{EmptyState, Icon, PageHeader};
use leptos::prelude::*;

#[component]
pub fn UsersPage() -> impl IntoView {
    view! {
        <PageHeader title="Users" subtitle="The people in your directory, the source every application is provisioned from."/>
        <EmptyState icon=Icon::User title="No users yet">
            <p>"Users are the source of truth for every application's accounts. Add them one at a time, import a CSV file, or point your HR system at this tenant's SCIM endpoint, " <code>"/scim/v2"</code> "."</p>
        </EmptyState>
    }
}

#[component]
pub fn GroupsPage() -> impl IntoView {
    view! {
        <PageHeader title="Groups" subtitle="Groups decide who is assigned to which application, and can be provisioned themselves."/>
        <EmptyState icon=Icon::Group title="No groups yet">
            <p>"Create a group for each team or role, add its members, then assign the group to an application to provision everyone in it."</p>
        </EmptyState>
    }
}

#[component]
pub fn ApplicationsPage() -> impl IntoView {
    view! {
        <PageHeader title="Enterprise applications" subtitle="The SaaS applications Steward keeps accounts in."/>
        <EmptyState icon=Icon::Apps title="No applications yet">
            <p>"Add an application from the gallery (Xledger, Klaxoon, xMatters, AlexisHR) or create your own SCIM 2.0 application, then set its provisioning mode to Automatic."</p>
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
