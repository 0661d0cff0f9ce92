//! Settings → Custom attributes: the attributes this tenant adds to users and groups. Each
//! appears in the SCIM schema, CSV import and export, and the user pages like a built-in one.

use crate::api::{
    custom_kinds, list_custom_attributes, CreateCustomAttribute, DeleteCustomAttribute,
};
use crate::components::{ErrorPanel, FieldMessage, FormError, PageHeader};
use leptos::prelude::*;

#[component]
pub fn CustomAttributesPage() -> impl IntoView {
    let create = ServerAction::<CreateCustomAttribute>::new();
    let delete = ServerAction::<DeleteCustomAttribute>::new();
    let attributes = Resource::new(
        move || (create.version().get(), delete.version().get()),
        |_| list_custom_attributes(),
    );
    let create_error = Signal::derive(move || create.value().get().and_then(|r| r.err()));
    // A defined attribute empties the form for the next one.
    let form = NodeRef::<leptos::html::Form>::new();
    Effect::new(move |_| {
        if matches!(create.value().get(), Some(Ok(()))) {
            if let Some(form) = form.get() {
                form.reset();
            }
        }
    });
    let delete_error = Signal::derive(move || delete.value().get().and_then(|r| r.err()));
    let invalid = move |field: &'static str| {
        move || {
            if create_error.get().and_then(|e| e.field(field)).is_some() {
                "true"
            } else {
                "false"
            }
        }
    };
    view! {
        <p class="breadcrumb"><a href="/settings">"Settings"</a> " / Custom attributes"</p>
        <PageHeader title="Custom attributes" subtitle="Attributes your organisation keeps about people and groups beyond the standard ones. They appear in SCIM, CSV import and export, and the user pages."/>
        <section class="card form-card">
            <h2>"New attribute"</h2>
            <FormError error=create_error/>
            <ActionForm action=create node_ref=form attr:class="form" attr:novalidate=true>
                <fieldset class="choice">
                    <legend>"Of"</legend>
                    <label><input type="radio" name="form[object_type]" value="user" checked=true/> " Users"</label>
                    <label><input type="radio" name="form[object_type]" value="group"/> " Groups"</label>
                </fieldset>
                <div class="field-row">
                    <div class="field">
                        <label for="attr-name">"Name"</label>
                        <input id="attr-name" name="form[name]" type="text" autocomplete="off" placeholder="e.g. badgeColour" aria-invalid=invalid("name")/>
                        <p class="hint">"Letters, digits, - and _; no spaces. This is the CSV column and the SCIM attribute name."</p>
                        <FieldMessage error=create_error field="name"/>
                    </div>
                    <div class="field">
                        <label for="attr-kind">"Type"</label>
                        <select id="attr-kind" name="form[kind]" aria-invalid=invalid("kind")>
                            {custom_kinds().into_iter().map(|(value, label)| view! { <option value=value>{label}</option> }).collect_view()}
                        </select>
                        <FieldMessage error=create_error field="kind"/>
                    </div>
                </div>
                <label class="check"><input type="checkbox" name="form[multi_valued]"/> " Several values (a list)"</label>
                <div class="field">
                    <label for="attr-description">"Description"</label>
                    <input id="attr-description" name="form[description]" type="text" autocomplete="off"/>
                </div>
                <div class="actions">
                    <button type="submit" class="button button-primary" disabled=move || create.pending().get()>"Add attribute"</button>
                </div>
            </ActionForm>
        </section>
        <section class="card">
            <h2>"Defined attributes"</h2>
            <FormError error=delete_error/>
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match attributes.await {
                        Err(e) => view! { <ErrorPanel error=e/> }.into_any(),
                        Ok(list) if list.is_empty() => view! {
                            <p class="muted" data-testid="no-attributes">"No custom attributes yet."</p>
                        }.into_any(),
                        Ok(list) => view! {
                            <div class="table-wrap">
                                <table class="table" data-testid="attributes-table">
                                    <thead><tr>
                                        <th scope="col">"Name"</th>
                                        <th scope="col">"Of"</th>
                                        <th scope="col">"Type"</th>
                                        <th scope="col" class="numeric">"In use"</th>
                                        <th scope="col">"SCIM attribute"</th>
                                        <th scope="col"><span class="sr-only">"Actions"</span></th>
                                    </tr></thead>
                                    <tbody>
                                        {list.into_iter().map(|a| {
                                            let label = format!("Remove {}", a.name);
                                            let what = if a.object_type == "group" { "groups" } else { "users" };
                                            let warning = format!(
                                                "Removing {} also removes its value from {} {what}; applications get the change.",
                                                a.name, a.usage
                                            );
                                            view! {
                                                <tr>
                                                    <td><strong>{a.name.clone()}</strong><br/><span class="muted">{a.description.clone()}</span></td>
                                                    <td>{if a.object_type == "group" { "Groups" } else { "Users" }}</td>
                                                    <td>{a.kind_label.clone()}{a.multi_valued.then_some(", several values")}</td>
                                                    <td class="numeric">{a.usage}</td>
                                                    <td><code class="wrap">{a.scim_path.clone()}</code></td>
                                                    <td class="row-actions">
                                                        <details class="confirm">
                                                            <summary class="button button-quiet">"Remove…"</summary>
                                                            <div class="confirm-body">
                                                                <p>{warning}</p>
                                                                <ActionForm action=delete>
                                                                    <input type="hidden" name="object_type" value=a.object_type.clone()/>
                                                                    <input type="hidden" name="name" value=a.name.clone()/>
                                                                    <button type="submit" class="button button-danger" aria-label=label>"Remove attribute and values"</button>
                                                                </ActionForm>
                                                            </div>
                                                        </details>
                                                    </td>
                                                </tr>
                                            }
                                        }).collect_view()}
                                    </tbody>
                                </table>
                            </div>
                        }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}
