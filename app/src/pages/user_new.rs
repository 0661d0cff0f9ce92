//! Creating a user in the portal. Fields are checked on the server; messages appear next to
//! the field they concern, including "already exists" for userName and externalId.

use crate::api::CreateUser;
use crate::components::{FieldMessage, FormError, PageHeader};
use crate::pages::custom_fields::CustomFields;
use leptos::prelude::*;

#[component]
pub fn NewUserPage() -> impl IntoView {
    let action = ServerAction::<CreateUser>::new();
    let error = Signal::derive(move || action.value().get().and_then(|r| r.err()));
    let field = move |id: &'static str,
                      label: &'static str,
                      kind: &'static str,
                      hint: &'static str| {
        view! {
            <div class="field">
                <label for=id>{label}</label>
                <input id=id name=format!("form[{id}]") type=kind autocomplete="off"
                    aria-invalid=move || if error.get().and_then(|e| e.field(id)).is_some() { "true" } else { "false" }/>
                {(!hint.is_empty()).then(|| view! { <p class="hint">{hint}</p> })}
                <FieldMessage error field=id/>
            </div>
        }
    };
    view! {
        <p class="breadcrumb"><a href="/users">"Users"</a> " / New user"</p>
        <PageHeader title="New user" subtitle="Add a person to the directory. Applications they are assigned to will get an account."/>
        <section class="card form-card">
            <FormError error/>
            <ActionForm action attr:class="form" attr:novalidate=true>
                {field("user_name", "User name", "text", "Unique; usually the sign-in email, e.g. ada.lovelace@contoso.com.")}
                <div class="field-row">
                    {field("given_name", "First name", "text", "")}
                    {field("family_name", "Last name", "text", "")}
                </div>
                {field("display_name", "Display name", "text", "Leave empty to use first and last name.")}
                {field("email", "Work email", "email", "")}
                <div class="field-row">
                    {field("title", "Job title", "text", "")}
                    {field("department", "Department", "text", "")}
                </div>
                {field("external_id", "External id", "text", "The person's id in your HR system, if any; unique.")}
                <CustomFields object_type="user" id=None error/>
                <div class="actions">
                    <button type="submit" class="button button-primary" disabled=move || action.pending().get()>
                        {move || if action.pending().get() { "Creating…" } else { "Create user" }}
                    </button>
                    <a class="button" href="/users">"Cancel"</a>
                </div>
            </ActionForm>
        </section>
    }
}
