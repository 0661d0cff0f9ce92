//! The custom attributes of a user or group as form fields (posted as
//! `form[custom][NAME]`) and as a card of facts.

use crate::api::{custom_fields, CustomFieldView};
use crate::error::AppError;
use leptos::prelude::*;

/// The form fields, or nothing when the tenant defines no custom attributes.
#[component]
pub fn CustomFields(
    object_type: &'static str,
    id: Option<String>,
    error: Signal<Option<AppError>>,
) -> impl IntoView {
    let fields = Resource::new(
        || (),
        move |_| custom_fields(object_type.to_string(), id.clone()),
    );
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                match fields.await {
                    Ok(list) if list.is_empty() => ().into_any(),
                    Ok(list) => view! {
                        <fieldset class="form-section" data-testid="custom-fields">
                            <legend>"Custom attributes"</legend>
                            {list.into_iter().map(|f| view! { <CustomField f error/> }).collect_view()}
                        </fieldset>
                    }.into_any(),
                    Err(e) => view! { <p class="field-error">{e.message}</p> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn CustomField(f: CustomFieldView, error: Signal<Option<AppError>>) -> impl IntoView {
    let input_id = format!("custom-{}", f.name);
    let name = format!("form[custom][{}]", f.name);
    let key = format!("custom.{}", f.name);
    let message = {
        let key = key.clone();
        move || error.get().and_then(|e| e.field(&key))
    };
    let invalid = {
        let key = key.clone();
        move || {
            if error.get().and_then(|e| e.field(&key)).is_some() {
                "true"
            } else {
                "false"
            }
        }
    };
    let mut hints = Vec::new();
    if !f.description.is_empty() {
        hints.push(f.description.clone());
    }
    if f.multi_valued {
        hints.push("Several values: separate them with ;".to_string());
    }
    match f.kind.as_str() {
        "dateTime" => {
            hints.push("A date (2026-01-31) or a date and time (2026-01-31T09:00:00Z).".into())
        }
        "reference" => hints.push("The id of a user or group.".into()),
        _ => {}
    }
    let control = if f.kind == "boolean" && !f.multi_valued {
        let value = f.value.clone();
        view! {
            <select id=input_id.clone() name=name aria-invalid=invalid>
                <option value="" selected=value.is_empty()>"Not set"</option>
                <option value="true" selected=value == "true">"True"</option>
                <option value="false" selected=value == "false">"False"</option>
            </select>
        }
        .into_any()
    } else {
        let kind = if f.kind == "integer" && !f.multi_valued {
            "number"
        } else {
            "text"
        };
        view! {
            <input id=input_id.clone() name=name type=kind autocomplete="off" value=f.value.clone()
                aria-invalid=invalid/>
        }
        .into_any()
    };
    view! {
        <div class="field">
            <label for=input_id>{f.name.clone()}</label>
            {control}
            {(!hints.is_empty()).then(|| view! { <p class="hint">{hints.join(" ")}</p> })}
            {move || message().map(|m| view! { <p class="field-error">{m}</p> })}
        </div>
    }
}

/// The custom attributes of an object as a card of facts, or nothing when none is defined.
#[component]
pub fn CustomFacts(object_type: &'static str, id: String) -> impl IntoView {
    let fields = Resource::new(
        || (),
        move |_| custom_fields(object_type.to_string(), Some(id.clone())),
    );
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                match fields.await {
                    Ok(list) if list.is_empty() => ().into_any(),
                    Ok(list) => view! {
                        <section class="card">
                            <h2>"Custom attributes"</h2>
                            <dl class="facts" data-testid="custom-facts">
                                {list.into_iter().map(|f| view! {
                                    <dt>{f.name.clone()}</dt>
                                    <dd>{if f.value.is_empty() { "Not set".to_string() } else { f.value.clone() }}</dd>
                                }).collect_view()}
                            </dl>
                        </section>
                    }.into_any(),
                    Err(e) => view! { <p class="field-error">{e.message}</p> }.into_any(),
                }
            })}
        </Transition>
    }
}
