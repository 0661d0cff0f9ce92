//! Attribute mappings and scoping filters of one application, per object type (users,
//! groups): Entra's "Edit attribute mappings" page. Changes collect in a draft in the browser
//! and are saved together, checked by the server with the same rules as a gallery entry; a
//! save marks the application for a full re-evaluation, which the page says before saving.

use crate::api::{
    application_mappings, preview_scope, read_target_schema, test_mapping, MappingsView,
    SaveMappings, ScopePreview, SourceOption, TargetOption,
};
use crate::components::{ErrorPanel, FormError};
use crate::error::AppError;
use crate::expression_builder::ExpressionBuilder;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};
use steward_expr::{Clause, Operator, Scope, ScopingFilter};
use steward_gallery::{AppMappings, Apply, AttributeMapping, AttributeType, ObjectType, Source};

const TYPES: [AttributeType; 6] = [
    AttributeType::String,
    AttributeType::Boolean,
    AttributeType::DateTime,
    AttributeType::Integer,
    AttributeType::Reference,
    AttributeType::Binary,
];

#[component]
pub fn MappingsPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let id = move || params.read().get("id").unwrap_or_default();
    let object = move || {
        if query.read().get("object").as_deref() == Some("groups") {
            ObjectType::Groups
        } else {
            ObjectType::Users
        }
    };
    let reload = RwSignal::new(0u32);
    let data = Resource::new(
        move || (id(), reload.get()),
        |(id, _)| application_mappings(id),
    );
    view! {
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || {
                let object = object();
                let id = id();
                Suspend::new(async move {
                    match data.await {
                        Err(e) => view! { <Title text="Attribute mappings"/><ErrorPanel error=e/> }.into_any(),
                        Ok(v) => view! { <MappingEditor v id object reload/> }.into_any(),
                    }
                })
            }}
        </Transition>
    }
}

#[component]
fn MappingEditor(
    v: MappingsView,
    id: String,
    object: ObjectType,
    reload: RwSignal<u32>,
) -> impl IntoView {
    let parsed: Result<AppMappings, String> =
        serde_json::from_str(&v.mappings_json).map_err(|e| e.to_string());
    let parsed = match parsed {
        Ok(m) => m,
        Err(e) => {
            return view! {
                <ErrorPanel error=AppError::new(crate::error::ErrorCode::Internal, format!("The mappings do not read: {e}"))/>
            }
            .into_any()
        }
    };
    let saved = StoredValue::new(parsed.clone());
    let draft = RwSignal::new(parsed);
    let dirty = Memo::new(move |_| draft.with(|d| saved.with_value(|s| d != s)));
    let editing = RwSignal::new(None::<Option<usize>>);
    let save = ServerAction::<SaveMappings>::new();
    let save_error = Signal::derive(move || save.value().get().and_then(|r| r.err()));
    let confirm_restore = RwSignal::new(false);
    Effect::new(move |_| {
        if let Some(Ok(_)) = save.value().get() {
            reload.update(|n| *n += 1);
        }
    });
    let (sources, targets) = match object {
        ObjectType::Users => (v.user_sources.clone(), v.user_targets.clone()),
        ObjectType::Groups => (v.group_sources.clone(), v.group_targets.clone()),
    };
    let sources = StoredValue::new(sources);
    let targets = StoredValue::new(targets);
    let has_object = draft.with_untracked(|d| d.object(object).is_some());
    let title = format!("Attribute mappings · {}", v.application);
    let version = v.version;
    let (save_id, restore_id, schema_id, scope_id, app_href) = (
        id.clone(),
        id.clone(),
        id.clone(),
        id.clone(),
        format!("/applications/{id}"),
    );
    let tab = move |o: ObjectType, label: &'static str| {
        let href = format!("?object={}", o.as_str());
        view! {
            <a class="tab" class:tab-active=object == o href=href aria-current=move || (object == o).then_some("page")>{label}</a>
        }
    };
    let do_save = move |_| {
        let json = draft.with_untracked(|d| serde_json::to_string(d).unwrap_or_default());
        save.dispatch(SaveMappings {
            id: save_id.clone(),
            version,
            mappings_json: json,
        });
    };
    let restore = move |_| {
        confirm_restore.set(false);
        save.dispatch(SaveMappings {
            id: restore_id.clone(),
            version,
            mappings_json: String::new(),
        });
    };
    view! {
        <Title text=title/>
        <p class="breadcrumb">
            <a href="/applications">"Enterprise applications"</a> " / "
            <a href=app_href>{v.application.clone()}</a> " / Attribute mappings"
        </p>
        <div class="page-header">
            <h1>"Attribute mappings"</h1>
            <p class="page-subtitle">
                {if v.is_default { "The gallery's default mappings." } else { "Edited mappings." }}
                {v.full_sync_required.then(|| view! { " " <span class="badge badge-info" data-testid="full-sync-pending">"Full re-evaluation pending"</span> })}
            </p>
        </div>
        <nav class="tabs" aria-label="Object types">
            {tab(ObjectType::Users, "Provision users")}
            {v.groups_supported.then(|| tab(ObjectType::Groups, "Provision groups"))}
        </nav>
        {if !has_object {
            view! { <p class="notice">"This application does not provision groups."</p> }.into_any()
        } else {
            view! {
                <ObjectSettings draft object/>
                <AttributeTable draft object editing targets/>
                {move || editing.get().map(|index| view! {
                    <MappingForm draft object index editing sources targets/>
                })}
                <ScopeCard draft object sources id=scope_id.clone()/>
                {(v.connector == "scim").then(|| view! { <SchemaCard id=schema_id.clone() read=v.target_schema_read dirty reload/> })}
            }.into_any()
        }}
        <section class="card save-bar" data-testid="save-bar">
            <p class="hint">
                "Saving restarts provisioning for this application: its next cycle re-evaluates every user and group from scratch (an initial cycle), as changing mappings or scope must."
            </p>
            <FormError error=save_error/>
            {move || save_error.get().filter(|e| !e.fields.is_empty()).map(|e| view! {
                <div class="error-panel" role="alert" data-testid="mapping-problems">
                    <p><strong>"These need attention before the mappings can be saved:"</strong></p>
                    <ul>{e.fields.into_iter().map(|f| view! { <li><code>{f.field}</code> " " {f.message}</li> }).collect_view()}</ul>
                </div>
            })}
            {move || save_error.get().filter(|e| e.code == crate::error::ErrorCode::Conflict).map(|_| view! {
                <button type="button" class="button" on:click=move |_| reload.update(|n| *n += 1)>"Reload the saved mappings (discards yours)"</button>
            })}
            <div class="actions">
                <button type="button" class="button button-primary" data-testid="save-mappings"
                    disabled=move || !dirty.get() || save.pending().get()
                    on:click=do_save>
                    {move || if save.pending().get() { "Saving…" } else { "Save" }}
                </button>
                <button type="button" class="button" disabled=move || !dirty.get()
                    on:click=move |_| { draft.set(saved.get_value()); editing.set(None); }>
                    "Discard changes"
                </button>
                {move || dirty.get().then(|| view! { <span class="muted">"Unsaved changes"</span> })}
                <span class="spacer"></span>
                {move || if confirm_restore.get() {
                    let restore = restore.clone();
                    view! {
                        <span>"Replace every mapping and scoping filter with the gallery's defaults?"</span>
                        <button type="button" class="button button-danger" on:click=restore>"Restore defaults"</button>
                        <button type="button" class="button" on:click=move |_| confirm_restore.set(false)>"Cancel"</button>
                    }.into_any()
                } else {
                    view! {
                        <button type="button" class="button" disabled=v.is_default
                            on:click=move |_| confirm_restore.set(true)>"Restore default mappings"</button>
                    }.into_any()
                }}
            </div>
        </section>
    }
    .into_any()
}

/// Whether the object type is provisioned, and which actions Steward may take.
#[component]
fn ObjectSettings(draft: RwSignal<AppMappings>, object: ObjectType) -> impl IntoView {
    let read = move |f: fn(&steward_gallery::AppObjectMapping) -> bool| {
        move || draft.with(|d| d.object(object).is_some_and(f))
    };
    let write = move |f: fn(&mut steward_gallery::AppObjectMapping, bool)| {
        move |ev: leptos::ev::Event| {
            let on = event_target_checked(&ev);
            draft.update(|d| {
                if let Some(m) = d.object_mut(object) {
                    f(m, on);
                }
            });
        }
    };
    view! {
        <section class="card">
            <h2>{if object == ObjectType::Users { "Users" } else { "Groups" }}</h2>
            {(object == ObjectType::Groups).then(|| view! {
                <label class="check">
                    <input type="checkbox" prop:checked=read(|m| m.enabled) on:change=write(|m, on| m.enabled = on)/>
                    " Provision groups and their memberships"
                </label>
            })}
            <fieldset class="check-row">
                <legend>"Target object actions"</legend>
                <label class="check"><input type="checkbox" prop:checked=read(|m| m.actions.create) on:change=write(|m, on| m.actions.create = on)/>" Create"</label>
                <label class="check"><input type="checkbox" prop:checked=read(|m| m.actions.update) on:change=write(|m, on| m.actions.update = on)/>" Update"</label>
                <label class="check"><input type="checkbox" prop:checked=read(|m| m.actions.delete) on:change=write(|m, on| m.actions.delete = on)/>" Delete (or disable)"</label>
            </fieldset>
        </section>
    }
}

fn describe(source: &Source) -> (String, String) {
    match source {
        Source::Direct(s) => ("Direct".into(), s.clone()),
        Source::Constant(c) => ("Constant".into(), format!("\"{c}\"")),
        Source::Expression(e) => ("Expression".into(), e.clone()),
        Source::None => ("None".into(), String::new()),
    }
}

#[component]
fn AttributeTable(
    draft: RwSignal<AppMappings>,
    object: ObjectType,
    editing: RwSignal<Option<Option<usize>>>,
    targets: StoredValue<Vec<TargetOption>>,
) -> impl IntoView {
    let rows = move || {
        draft.with(|d| {
            d.object(object)
                .map(|m| m.attributes.clone())
                .unwrap_or_default()
        })
    };
    view! {
        <section class="card">
            <h2>"Attribute mappings"</h2>
            <p class="hint">"Each target attribute in the application and where its value comes from. Matching attributes find an existing account before one is created, lowest precedence first."</p>
            <div class="table-wrap">
                <table class="table mapping-table" data-testid="mapping-table">
                    <thead><tr>
                        <th scope="col">"Target attribute"</th>
                        <th scope="col">"Mapping"</th>
                        <th scope="col">"Source"</th>
                        <th scope="col">"Matching"</th>
                        <th scope="col">"Apply"</th>
                        <th scope="col"><span class="sr-only">"Actions"</span></th>
                    </tr></thead>
                    <tbody>
                        {move || rows().into_iter().enumerate().map(|(i, m)| {
                            let (kind, source) = describe(&m.source);
                            let required = m.required || targets.with_value(|t| t.iter().any(|t| t.required && t.path.eq_ignore_ascii_case(&m.target)));
                            let target = m.target.clone();
                            view! {
                                <tr data-target=target.clone()>
                                    <td><code>{m.target.clone()}</code>
                                        {required.then(|| view! { " " <span class="badge">"Required"</span> })}
                                        <div class="muted small">{m.target_type.to_string()}</div></td>
                                    <td>{kind}</td>
                                    <td><code class="wrap">{source}</code>
                                        {m.default_value.clone().map(|d| view! { <div class="muted small">{format!("Default if null: {d}")}</div> })}</td>
                                    <td>{m.matching.map(|p| format!("Precedence {p}"))}</td>
                                    <td>{match m.apply { Apply::Always => "Always", Apply::OnCreate => "On create" }}</td>
                                    <td class="nowrap">
                                        <button type="button" class="button button-small" aria-label=format!("Edit {target}")
                                            on:click=move |_| editing.set(Some(Some(i)))>"Edit"</button>
                                        " "
                                        <button type="button" class="button button-small" aria-label=format!("Delete {}", m.target)
                                            on:click=move |_| {
                                                draft.update(|d| if let Some(o) = d.object_mut(object) {
                                                    if i < o.attributes.len() { o.attributes.remove(i); }
                                                });
                                                editing.set(None);
                                            }>"Delete"</button>
                                    </td>
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
            </div>
            <div class="actions">
                <button type="button" class="button" data-testid="add-mapping" on:click=move |_| editing.set(Some(None))>"Add new mapping"</button>
            </div>
        </section>
    }
}

/// The editor of one attribute mapping; OK puts it into the draft.
#[component]
fn MappingForm(
    draft: RwSignal<AppMappings>,
    object: ObjectType,
    index: Option<usize>,
    editing: RwSignal<Option<Option<usize>>>,
    sources: StoredValue<Vec<SourceOption>>,
    targets: StoredValue<Vec<TargetOption>>,
) -> impl IntoView {
    let original: Option<AttributeMapping> = index.and_then(|i| {
        draft.with_untracked(|d| d.object(object).and_then(|o| o.attributes.get(i).cloned()))
    });
    let o = original.clone();
    let (kind, source, constant, expression) = match o.as_ref().map(|m| &m.source) {
        Some(Source::Direct(s)) => ("direct", s.clone(), String::new(), String::new()),
        Some(Source::Constant(c)) => ("constant", String::new(), c.clone(), String::new()),
        Some(Source::Expression(e)) => ("expression", String::new(), String::new(), e.clone()),
        Some(Source::None) => ("none", String::new(), String::new(), String::new()),
        None => ("direct", String::new(), String::new(), String::new()),
    };
    let kind = RwSignal::new(kind.to_string());
    let source = RwSignal::new(source);
    let constant = RwSignal::new(constant);
    let expression = RwSignal::new(expression);
    let target = RwSignal::new(o.as_ref().map(|m| m.target.clone()).unwrap_or_default());
    let target_type = RwSignal::new(
        o.as_ref()
            .map_or(AttributeType::String, |m| m.target_type)
            .to_string(),
    );
    let default_value = RwSignal::new(
        o.as_ref()
            .and_then(|m| m.default_value.clone())
            .unwrap_or_default(),
    );
    let matching = RwSignal::new(o.as_ref().is_some_and(|m| m.matching.is_some()));
    let precedence = RwSignal::new(o.as_ref().and_then(|m| m.matching).unwrap_or(1).to_string());
    let apply = RwSignal::new(
        if o.as_ref().is_some_and(|m| m.apply == Apply::OnCreate) {
            "on_create"
        } else {
            "always"
        }
        .to_string(),
    );
    let problem = RwSignal::new(None::<String>);
    let who = RwSignal::new(String::new());
    let original = StoredValue::new(original);

    let build = move || -> Result<AttributeMapping, String> {
        let target_text = target.get_untracked().trim().to_string();
        if target_text.is_empty() {
            return Err("Pick or type the target attribute.".into());
        }
        let source = match kind.get_untracked().as_str() {
            "direct" => {
                let s = source.get_untracked();
                if s.is_empty() {
                    return Err("Pick the source attribute.".into());
                }
                Source::Direct(s)
            }
            "constant" => Source::Constant(constant.get_untracked()),
            "expression" => {
                let e = expression.get_untracked();
                steward_expr::parse(&e).map_err(|err| {
                    format!(
                        "The expression does not parse: {} (line {}, column {}).",
                        err.kind, err.span.line, err.span.column
                    )
                })?;
                Source::Expression(e)
            }
            _ => Source::None,
        };
        let matching = if matching.get_untracked() {
            Some(
                precedence
                    .get_untracked()
                    .trim()
                    .parse::<u8>()
                    .ok()
                    .filter(|p| *p >= 1)
                    .ok_or("Matching precedence is a whole number from 1 (tried first).")?,
            )
        } else {
            None
        };
        let target_type = TYPES
            .into_iter()
            .find(|t| t.to_string() == target_type.get_untracked())
            .unwrap_or(AttributeType::String);
        let known = targets.with_value(|t| {
            t.iter()
                .find(|t| t.path.eq_ignore_ascii_case(&target_text))
                .cloned()
        });
        let default_text = default_value.get_untracked().trim().to_string();
        Ok(AttributeMapping {
            required: original.with_value(|o| o.as_ref().is_some_and(|m| m.required))
                || known.as_ref().is_some_and(|t| t.required),
            // Matching on an attribute asserts that the application can filter on it.
            filterable: matching.is_some()
                || original.with_value(|o| o.as_ref().is_some_and(|m| m.filterable)),
            target: target_text,
            target_type,
            source,
            default_value: (!default_text.is_empty()).then_some(default_text),
            matching,
            apply: if apply.get_untracked() == "on_create" {
                Apply::OnCreate
            } else {
                Apply::Always
            },
            // A format the gallery requires stays with the target attribute.
            format: original.with_value(|o| o.as_ref().and_then(|m| m.format)),
        })
    };

    let ok = move |_| match build() {
        Err(e) => problem.set(Some(e)),
        Ok(mapping) => {
            let clash = draft.with_untracked(|d| {
                d.object(object).is_some_and(|o| {
                    o.attributes.iter().enumerate().any(|(i, a)| {
                        Some(i) != index && a.target.eq_ignore_ascii_case(&mapping.target)
                    })
                })
            });
            if clash {
                problem.set(Some(format!(
                    "{} is mapped already; edit that mapping instead.",
                    mapping.target
                )));
                return;
            }
            draft.update(|d| {
                if let Some(o) = d.object_mut(object) {
                    match index {
                        Some(i) if i < o.attributes.len() => o.attributes[i] = mapping,
                        _ => o.attributes.push(mapping),
                    }
                }
            });
            editing.set(None);
        }
    };

    let test = Action::new(move |(mapping, who): &(String, String)| {
        test_mapping(object.as_str().to_string(), mapping.clone(), who.clone())
    });
    let run_test = move |_| match build() {
        Err(e) => problem.set(Some(e)),
        Ok(mapping) => {
            problem.set(None);
            let json = serde_json::to_string(&mapping).unwrap_or_default();
            test.dispatch((json, who.get_untracked()));
        }
    };
    let tester = move || {
        view! {
            <div class="mapping-test" data-testid="mapping-test">
                <div class="field">
                    <label for="test-who">{if object == ObjectType::Users { "Test with a directory user" } else { "Test with a directory group" }}</label>
                    <div class="inline">
                        <input id="test-who" type="text" placeholder=if object == ObjectType::Users { "userName, e-mail or display name" } else { "Group name" }
                            prop:value=move || who.get() on:input=move |ev| who.set(event_target_value(&ev))/>
                        <button type="button" class="button" on:click=run_test>"Test mapping"</button>
                    </div>
                </div>
                {move || test.value().get().map(|r| match r {
                    Ok(t) => match (t.value, t.error) {
                        (_, Some(e)) => view! { <p class="field-error" data-testid="mapping-test-result">{format!("For {}: {e}", t.object_name)}</p> }.into_any(),
                        (Some(v), None) => view! { <p data-testid="mapping-test-result">{format!("For {}, Steward sends ", t.object_name)}<code>{v}</code></p> }.into_any(),
                        (None, None) => view! { <p data-testid="mapping-test-result">{format!("For {}, nothing flows: the target is left as it is.", t.object_name)}</p> }.into_any(),
                    },
                    Err(e) => view! { <p class="field-error" data-testid="mapping-test-result">{e.field("test_who").unwrap_or(e.message)}</p> }.into_any(),
                })}
            </div>
        }
    };
    let on_target = move |ev: leptos::ev::Event| {
        let value = event_target_value(&ev);
        if let Some(t) = targets.with_value(|t| {
            t.iter()
                .find(|t| t.path.eq_ignore_ascii_case(&value))
                .cloned()
        }) {
            target_type.set(t.attribute_type.clone());
        }
        target.set(value);
    };
    view! {
        <section class="card mapping-form" data-testid="mapping-form">
            <h2>{if index.is_some() { "Edit attribute" } else { "Add attribute" }}</h2>
            <div class="field-row">
                <div class="field">
                    <label for="mapping-type">"Mapping type"</label>
                    <select id="mapping-type" on:change=move |ev| kind.set(event_target_value(&ev))>
                        {[("direct", "Direct"), ("constant", "Constant"), ("expression", "Expression"), ("none", "None")].into_iter().map(|(v, l)| view! {
                            <option value=v selected=move || kind.get() == v>{l}</option>
                        }).collect_view()}
                    </select>
                </div>
                <div class="field">
                    <label for="mapping-apply">"Apply this mapping"</label>
                    <select id="mapping-apply" on:change=move |ev| apply.set(event_target_value(&ev))>
                        <option value="always" selected=move || apply.get() == "always">"Always"</option>
                        <option value="on_create" selected=move || apply.get() == "on_create">"Only during object creation"</option>
                    </select>
                </div>
            </div>
            {move || match kind.get().as_str() {
                "direct" => view! {
                    <div class="field">
                        <label for="mapping-source">"Source attribute"</label>
                        <select id="mapping-source" on:change=move |ev| source.set(event_target_value(&ev))>
                            <option value="" selected=move || source.get().is_empty()>"Pick a directory attribute"</option>
                            {sources.get_value().into_iter().map(|s| {
                                let name = s.name.clone();
                                view! { <option value=s.name.clone() selected=move || source.get() == name title=s.description.clone()>{format!("{} ({})", s.name, s.attribute_type)}</option> }
                            }).collect_view()}
                        </select>
                    </div>
                    {tester()}
                }.into_any(),
                "constant" => view! {
                    <div class="field">
                        <label for="mapping-constant">"Constant value"</label>
                        <input id="mapping-constant" type="text" prop:value=move || constant.get() on:input=move |ev| constant.set(event_target_value(&ev))/>
                    </div>
                }.into_any(),
                "expression" => view! {
                    <ExpressionBuilder text=expression tester=ViewFn::from(tester)/>
                }.into_any(),
                _ => view! { <p class="hint">"Nothing flows from the directory; the default value, if any, fills the attribute when an account is created."</p> }.into_any(),
            }}
            <div class="field-row">
                <div class="field">
                    <label for="mapping-default">"Default value if null (optional)"</label>
                    <input id="mapping-default" type="text" prop:value=move || default_value.get() on:input=move |ev| default_value.set(event_target_value(&ev))/>
                </div>
            </div>
            <div class="field-row">
                <div class="field">
                    <label for="mapping-target">"Target attribute"</label>
                    <input id="mapping-target" type="text" list="mapping-targets" autocomplete="off" spellcheck="false"
                        placeholder="emails[type eq \"work\"].value"
                        prop:value=move || target.get() on:input=on_target/>
                    <datalist id="mapping-targets">
                        {targets.get_value().into_iter().map(|t| view! {
                            <option value=t.path.clone()>{format!("{}{}", t.attribute_type, if t.required { ", required" } else { "" })}</option>
                        }).collect_view()}
                    </datalist>
                    <p class="hint">"A SCIM path: userName, name.givenName, emails[type eq \"work\"].value, or an extension attribute as urn:…:User:department."</p>
                </div>
                <div class="field">
                    <label for="mapping-target-type">"Type"</label>
                    <select id="mapping-target-type" on:change=move |ev| target_type.set(event_target_value(&ev))>
                        {TYPES.into_iter().map(|t| {
                            let (value, label, name) = (t.to_string(), t.to_string(), t.to_string());
                            view! { <option value=value selected=move || target_type.get() == name>{label}</option> }
                        }).collect_view()}
                    </select>
                </div>
            </div>
            <div class="field-row">
                <label class="check">
                    <input id="mapping-matching" type="checkbox" prop:checked=move || matching.get() on:change=move |ev| matching.set(event_target_checked(&ev))/>
                    " Match objects using this attribute"
                </label>
                {move || matching.get().then(|| view! {
                    <div class="field field-narrow">
                        <label for="mapping-precedence">"Matching precedence"</label>
                        <input id="mapping-precedence" type="number" min="1" max="255" prop:value=move || precedence.get() on:input=move |ev| precedence.set(event_target_value(&ev))/>
                    </div>
                })}
            </div>
            {move || problem.get().map(|p| view! { <p class="field-error" role="alert" data-testid="mapping-form-error">{p}</p> })}
            <div class="actions">
                <button type="button" class="button button-primary" data-testid="mapping-ok" on:click=ok>"OK"</button>
                <button type="button" class="button" on:click=move |_| editing.set(None)>"Cancel"</button>
            </div>
        </section>
    }
}

/// Scoping filters: several filters (ORed), each with clauses (ANDed), and a preview of who
/// they admit now.
#[component]
fn ScopeCard(
    draft: RwSignal<AppMappings>,
    object: ObjectType,
    sources: StoredValue<Vec<SourceOption>>,
    id: String,
) -> impl IntoView {
    let scope = move || {
        draft.with(|d| {
            d.object(object)
                .map(|o| o.scope.clone())
                .unwrap_or_default()
        })
    };
    let edit = move |f: Box<dyn FnOnce(&mut Scope)>| {
        draft.update(|d| {
            if let Some(o) = d.object_mut(object) {
                f(&mut o.scope);
            }
        });
    };
    let preview = Action::new(move |(id, json): &(String, String)| {
        preview_scope(id.clone(), object.as_str().to_string(), json.clone())
    });
    let noun = if object == ObjectType::Users {
        "users"
    } else {
        "groups"
    };
    view! {
        <section class="card" data-testid="scope-card">
            <h2>"Scoping filters"</h2>
            <p class="hint">{format!("Only {noun} that pass at least one filter are provisioned; within a filter every clause must hold. No filter: every {} in scope is provisioned.", if object == ObjectType::Users { "user" } else { "group" })}</p>
            {move || scope().filters.into_iter().enumerate().map(|(fi, filter)| view! {
                <fieldset class="scope-filter" data-testid="scope-filter">
                    <legend>{format!("Filter {}", fi + 1)}</legend>
                    <div class="field">
                        <label for=format!("filter-{fi}-title")>"Title"</label>
                        <input id=format!("filter-{fi}-title") type="text" prop:value=filter.title.clone()
                            on:change=move |ev| { let t = event_target_value(&ev); edit(Box::new(move |s| if let Some(f) = s.filters.get_mut(fi) { f.title = t; })) }/>
                    </div>
                    <table class="table table-compact">
                        <thead><tr><th scope="col">"Attribute"</th><th scope="col">"Operator"</th><th scope="col">"Value"</th><th scope="col"><span class="sr-only">"Remove"</span></th></tr></thead>
                        <tbody>
                            {filter.clauses.into_iter().enumerate().map(|(ci, clause)| {
                                let attr = clause.attribute.clone();
                                let op = clause.operator;
                                view! {
                                    <tr data-testid="scope-clause">
                                        <td><select aria-label="Attribute" on:change=move |ev| { let a = event_target_value(&ev); edit(Box::new(move |s| if let Some(c) = s.filters.get_mut(fi).and_then(|f| f.clauses.get_mut(ci)) { c.attribute = a; })) }>
                                            {sources.get_value().into_iter().map(|s| {
                                                let selected = s.name == attr;
                                                view! { <option value=s.name.clone() selected=selected>{s.name.clone()}</option> }
                                            }).collect_view()}
                                        </select></td>
                                        <td><select aria-label="Operator" on:change=move |ev| {
                                            let name = event_target_value(&ev);
                                            if let Ok(o) = name.parse::<Operator>() {
                                                edit(Box::new(move |s| if let Some(c) = s.filters.get_mut(fi).and_then(|f| f.clauses.get_mut(ci)) { c.operator = o; }));
                                            }
                                        }>
                                            {Operator::ALL.into_iter().map(|o| view! {
                                                <option value=o.name() selected=o == op>{o.name()}</option>
                                            }).collect_view()}
                                        </select></td>
                                        <td><input type="text" aria-label="Value" prop:value=clause.value.clone() disabled=op.is_unary()
                                            on:change=move |ev| { let v = event_target_value(&ev); edit(Box::new(move |s| if let Some(c) = s.filters.get_mut(fi).and_then(|f| f.clauses.get_mut(ci)) { c.value = v; })) }/></td>
                                        <td><button type="button" class="button button-small" on:click=move |_| edit(Box::new(move |s| if let Some(f) = s.filters.get_mut(fi) { if ci < f.clauses.len() { f.clauses.remove(ci); } }))>"Remove"</button></td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                    <div class="actions">
                        <button type="button" class="button button-small" on:click=move |_| {
                            let first = sources.with_value(|s| s.first().map(|a| a.name.clone()).unwrap_or_default());
                            edit(Box::new(move |s| if let Some(f) = s.filters.get_mut(fi) { f.clauses.push(Clause::new(first, Operator::Equals, "")); }))
                        }>"Add clause"</button>
                        <button type="button" class="button button-small" on:click=move |_| edit(Box::new(move |s| if fi < s.filters.len() { s.filters.remove(fi); }))>"Delete filter"</button>
                    </div>
                </fieldset>
            }).collect_view()}
            <div class="actions">
                <button type="button" class="button" data-testid="add-filter" on:click=move |_| {
                    let first = sources.with_value(|s| s.iter().find(|a| a.name == "department").or(s.first()).map(|a| a.name.clone()).unwrap_or_default());
                    edit(Box::new(move |s| s.filters.push(ScopingFilter { title: String::new(), clauses: vec![Clause::new(first, Operator::Equals, "")] })))
                }>"Add scoping filter"</button>
                <button type="button" class="button" data-testid="preview-scope" on:click=move |_| {
                    let json = serde_json::to_string(&scope()).unwrap_or_default();
                    preview.dispatch((id.clone(), json));
                }>"Preview who is in scope"</button>
            </div>
            {move || preview.value().get().map(|r| match r {
                Ok(p) => view! { <ScopeResult p noun/> }.into_any(),
                Err(e) => view! { <p class="field-error" role="alert">{e.fields.first().map(|f| f.message.clone()).unwrap_or(e.message)}</p> }.into_any(),
            })}
        </section>
    }
}

#[component]
fn ScopeResult(p: ScopePreview, noun: &'static str) -> impl IntoView {
    let of = if p.scope == "assigned" {
        format!("of {} assigned {noun}", p.considered)
    } else {
        format!("of all {} {noun}", p.considered)
    };
    view! {
        <div class="scope-preview" data-testid="scope-preview" aria-live="polite">
            <p><strong>{format!("{} in scope", p.in_scope)}</strong> " " {of}</p>
            {(!p.first.is_empty()).then(|| view! {
                <p class="muted">{format!("{}{}", p.first.join(", "), if p.in_scope as usize > p.first.len() { ", …" } else { "" })}</p>
            })}
        </div>
    }
}

/// Reading the application's /Schemas to offer its own attributes.
#[component]
fn SchemaCard(id: String, read: bool, dirty: Memo<bool>, reload: RwSignal<u32>) -> impl IntoView {
    let action = Action::new(move |id: &String| read_target_schema(id.clone()));
    Effect::new(move |_| {
        if let Some(Ok(r)) = action.value().get() {
            if r.ok {
                reload.update(|n| *n += 1);
            }
        }
    });
    view! {
        <section class="card">
            <h2>"Target attributes"</h2>
            <p class="hint">{if read {
                "Target attributes include what the application's /Schemas offered when last read."
            } else {
                "Target attributes come from the gallery. Read the application's /Schemas (with the saved credentials) to offer its own attributes too."
            }}</p>
            {move || action.value().get().map(|r| match r {
                Ok(r) if !r.ok => view! { <p class="field-error" role="alert">{format!("{}: {} {}", r.step, r.detail, r.hint)}</p> }.into_any(),
                Ok(_) => ().into_any(),
                Err(e) => view! { <p class="field-error" role="alert">{e.message}</p> }.into_any(),
            })}
            <div class="actions">
                <button type="button" class="button" disabled=move || dirty.get() || action.pending().get()
                    title=move || if dirty.get() { "Save or discard your changes first" } else { "" }
                    on:click=move |_| { action.dispatch(id.clone()); }>
                    {move || if action.pending().get() { "Reading…" } else { "Read the application's schema" }}
                </button>
            </div>
        </section>
    }
}
