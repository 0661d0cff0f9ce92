//! The expression builder: write an attribute-mapping expression with syntax errors
//! underlined as you type, insert functions from the catalogue, and test the expression
//! against sample attributes. Parsing and evaluation run in the browser with the same
//! `steward-expr` code the provisioning engine runs.

use chrono::{DateTime, Utc};
use leptos::html;
use leptos::prelude::*;
use steward_expr::{parse, FixedContext, ParseError, FUNCTIONS};

pub const SAMPLE_ATTRIBUTES: &str = r#"{
  "givenName": "Ada",
  "surname": "Lovelace",
  "mail": "ada.lovelace@contoso.com",
  "department": "Engineering",
  "employeeId": "10042",
  "accountEnabled": true
}"#;

/// What the result panel shows.
#[derive(Clone, Debug, PartialEq)]
enum Evaluation {
    NotTested,
    SampleInvalid(String),
    ExpressionInvalid,
    Failed {
        code: &'static str,
        message: String,
    },
    Value {
        kind: &'static str,
        json: String,
        ignore_flow: bool,
        redacted: bool,
    },
}

fn now() -> DateTime<Utc> {
    #[cfg(all(target_arch = "wasm32", feature = "hydrate"))]
    {
        let ms = js_sys::Date::now() as i64;
        DateTime::<Utc>::from_timestamp_millis(ms).unwrap_or_default()
    }
    #[cfg(not(all(target_arch = "wasm32", feature = "hydrate")))]
    {
        Utc::now()
    }
}

fn evaluate(expression: &str, sample: &str, seed: u64) -> Evaluation {
    let attrs: serde_json::Value = match serde_json::from_str(sample) {
        Ok(v @ serde_json::Value::Object(_)) => v,
        Ok(_) => {
            return Evaluation::SampleInvalid(
                "Sample attributes must be a JSON object, like {\"givenName\": \"Ada\"}.".into(),
            )
        }
        Err(e) => {
            return Evaluation::SampleInvalid(format!("Sample attributes are not valid JSON: {e}."))
        }
    };
    let Ok(expr) = parse(expression) else {
        return Evaluation::ExpressionInvalid;
    };
    match expr.evaluate(&attrs, &mut FixedContext::new(now(), seed)) {
        Ok(outcome) => Evaluation::Value {
            kind: outcome.value.kind(),
            json: serde_json::to_string_pretty(&outcome.value.to_json()).unwrap_or_default(),
            ignore_flow: outcome.ignore_flow,
            redacted: outcome.redacted,
        },
        Err(e) => Evaluation::Failed {
            code: e.code(),
            message: e.to_string(),
        },
    }
}

/// Splits `text` around the error's span: before, the bad part (a space when the span is
/// empty, so the underline shows), after.
fn split_at_error(text: &str, err: &ParseError) -> (String, String, String) {
    let start = err.span.start.min(text.len());
    let end = err.span.end.clamp(start, text.len());
    let (Some(before), Some(bad), Some(after)) =
        (text.get(..start), text.get(start..end), text.get(end..))
    else {
        return (text.to_string(), " ".into(), String::new());
    };
    let bad = if bad.is_empty() {
        " ".to_string()
    } else {
        bad.to_string()
    };
    (before.to_string(), bad, after.to_string())
}

/// The byte offset of a UTF-16 position (what the DOM's selection reports).
fn byte_offset(text: &str, utf16: usize) -> usize {
    let mut units = 0;
    for (i, c) in text.char_indices() {
        if units >= utf16 {
            return i;
        }
        units += c.len_utf16();
    }
    text.len()
}

#[component]
pub fn ExpressionBuilder(
    #[prop(into, default = String::new())] initial: String,
    /// Edit this text rather than one of its own (the mapping editor's expression).
    #[prop(optional)]
    text: Option<RwSignal<String>>,
    /// Shown instead of the sample-attributes tester (the mapping editor tests against a real
    /// directory user).
    #[prop(optional)]
    tester: Option<ViewFn>,
) -> impl IntoView {
    let text = text.unwrap_or_else(|| RwSignal::new(initial));
    let sample = RwSignal::new(SAMPLE_ATTRIBUTES.to_string());
    let tests = RwSignal::new(0u64);
    let search = RwSignal::new(String::new());
    let area = NodeRef::<html::Textarea>::new();
    let mirror = NodeRef::<html::Pre>::new();

    let error = Memo::new(move |_| text.with(|t| parse(t).err()));
    let reads = Memo::new(move |_| {
        text.with(|t| {
            parse(t)
                .map(|e| {
                    e.ast()
                        .attributes()
                        .into_iter()
                        .map(str::to_string)
                        .collect::<Vec<_>>()
                })
                .unwrap_or_default()
        })
    });
    let evaluation = Memo::new(move |_| {
        let n = tests.get();
        if n == 0 {
            return Evaluation::NotTested;
        }
        text.with(|t| sample.with(|s| evaluate(t, s, n)))
    });

    let insert = move |snippet: &'static str| {
        let current = text.get_untracked();
        let (start, end) = area
            .get_untracked()
            .map(|el| {
                let s = el.selection_start().ok().flatten().unwrap_or(u32::MAX) as usize;
                let e = el.selection_end().ok().flatten().unwrap_or(u32::MAX) as usize;
                (byte_offset(&current, s), byte_offset(&current, e))
            })
            .unwrap_or((current.len(), current.len()));
        let new_text = format!(
            "{}{snippet}{}",
            &current[..start],
            &current[end.max(start)..]
        );
        let caret =
            (current[..start].encode_utf16().count() + snippet.encode_utf16().count()) as u32;
        text.set(new_text);
        if let Some(el) = area.get_untracked() {
            let _ = el.focus();
            let _ = el.set_selection_range(caret, caret);
        }
    };

    let sync_scroll = move |_| {
        if let (Some(a), Some(m)) = (area.get_untracked(), mirror.get_untracked()) {
            m.set_scroll_top(a.scroll_top());
            m.set_scroll_left(a.scroll_left());
        }
    };

    view! {
        <div class="expr-builder">
            <div class="expr-main">
                <label class="expr-label" for="expression">"Expression"</label>
                <div class="expr-editor" class:has-error=move || error.with(Option::is_some)>
                    <pre class="expr-mirror" node_ref=mirror aria-hidden="true">
                        {move || text.with(|t| match error.get() {
                            None => view! { {t.clone()} " " }.into_any(),
                            Some(e) => {
                                let (before, bad, after) = split_at_error(t, &e);
                                view! { {before} <mark class="expr-error-mark" data-testid="error-mark">{bad}</mark> {after} " " }.into_any()
                            }
                        })}
                    </pre>
                    <textarea
                        id="expression"
                        node_ref=area
                        class="expr-input"
                        rows="5"
                        spellcheck="false"
                        autocomplete="off"
                        placeholder="Join(\".\", [givenName], [surname])"
                        aria-describedby="expression-status"
                        aria-invalid=move || if error.with(Option::is_some) { "true" } else { "false" }
                        prop:value=move || text.get()
                        on:input=move |ev| text.set(event_target_value(&ev))
                        on:scroll=sync_scroll
                    ></textarea>
                </div>
                <div id="expression-status" class="expr-status" aria-live="polite">
                    {move || match error.get() {
                        Some(e) if !text.with(|t| t.trim().is_empty()) => view! {
                            <p class="field-error" data-testid="expression-error">
                                <strong>{format!("Line {}, column {}: ", e.span.line, e.span.column)}</strong>
                                {e.kind.to_string()}
                                <span class="muted">{format!(" ({})", e.code())}</span>
                            </p>
                        }.into_any(),
                        Some(_) => view! { <p class="hint">"Type an expression, or pick a function on the right to insert it."</p> }.into_any(),
                        None => view! {
                            <p class="expr-ok" data-testid="expression-ok">
                                "Syntax is valid."
                                {move || {
                                    let attrs = reads.get();
                                    (!attrs.is_empty()).then(|| view! {
                                        " Reads "
                                        {attrs.into_iter().map(|a| view! { <code class="chip">{format!("[{a}]")}</code> " " }).collect_view()}
                                    })
                                }}
                            </p>
                        }.into_any(),
                    }}
                </div>

                {match tester {
                    Some(tester) => tester.run(),
                    None => view! {
                <div class="expr-test">
                    <div class="field">
                        <label for="sample">"Sample attributes (JSON)"</label>
                        <textarea id="sample" class="expr-sample" rows="8" spellcheck="false"
                            prop:value=move || sample.get()
                            on:input=move |ev| sample.set(event_target_value(&ev))></textarea>
                    </div>
                    <button type="button" class="button button-primary"
                        on:click=move |_| tests.update(|n| *n += 1)>
                        "Test expression"
                    </button>
                    <section class="expr-result" data-testid="expression-result" aria-live="polite">
                        <h3>"Result"</h3>
                        {move || match evaluation.get() {
                            Evaluation::NotTested => view! { <p class="muted">"Press Test expression to evaluate it against the sample attributes."</p> }.into_any(),
                            Evaluation::SampleInvalid(msg) => view! { <p class="field-error">{msg}</p> }.into_any(),
                            Evaluation::ExpressionInvalid => view! { <p class="field-error">"Fix the expression first; the error is shown under it."</p> }.into_any(),
                            Evaluation::Failed { code, message } => view! { <p class="field-error">{message} <span class="muted">{format!(" ({code})")}</span></p> }.into_any(),
                            Evaluation::Value { kind, json, ignore_flow, redacted } => view! {
                                <p class="muted">{format!("The expression returns {kind}:")}</p>
                                <pre class="expr-value" data-testid="expression-value">{json}</pre>
                                {ignore_flow.then(|| view! { <p class="hint">"IgnoreFlowIfNullOrEmpty applies: the target attribute would be left out."</p> })}
                                {redacted.then(|| view! { <p class="hint">"Marked Redact: provisioning logs show [Redact] instead of this value."</p> })}
                            }.into_any(),
                        }}
                    </section>
                </div>
                    }.into_any(),
                }}
            </div>

            <aside class="expr-functions" aria-label="Functions">
                <h3>"Functions"</h3>
                <input type="search" class="expr-search" placeholder="Search functions" aria-label="Search functions"
                    prop:value=move || search.get()
                    on:input=move |ev| search.set(event_target_value(&ev))/>
                <ul>
                    {FUNCTIONS.iter().map(|f| {
                        let name = f.name;
                        let visible = move || search.with(|q| q.is_empty() || name.to_lowercase().contains(&q.to_lowercase()));
                        view! {
                            <li class:hidden=move || !visible()>
                                <button type="button" class="fn-insert" title=format!("Insert {name}")
                                    on:click=move |_| insert(f.snippet)>
                                    <code>{f.signature}</code>
                                </button>
                                <p>{f.help}</p>
                            </li>
                        }
                    }).collect_view()}
                </ul>
            </aside>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evaluates_the_sample() {
        let got = evaluate(
            "ToLower(Join(\".\", [givenName], [surname]))",
            SAMPLE_ATTRIBUTES,
            1,
        );
        assert!(
            matches!(got, Evaluation::Value { ref json, .. } if json == "\"ada.lovelace\""),
            "{got:?}"
        );
        assert_eq!(
            evaluate("Join(", SAMPLE_ATTRIBUTES, 1),
            Evaluation::ExpressionInvalid
        );
        assert!(matches!(
            evaluate("[a]", "[1]", 1),
            Evaluation::SampleInvalid(_)
        ));
        assert!(matches!(
            evaluate("[a]", "{", 1),
            Evaluation::SampleInvalid(_)
        ));
    }

    #[test]
    fn error_spans_split_the_text() {
        let src = "Join(\".\", [givenName], [surname]";
        let err = parse(src).unwrap_err();
        let (before, bad, after) = split_at_error(src, &err);
        assert_eq!(format!("{before}{}{after}", bad.trim_end()), src);
        assert!(!bad.is_empty());
    }

    #[test]
    fn utf16_positions_map_to_byte_offsets() {
        assert_eq!(byte_offset("abc", 1), 1);
        assert_eq!(byte_offset("é😀x", 1), 2);
        assert_eq!(byte_offset("é😀x", 3), 6);
        assert_eq!(byte_offset("é😀x", 99), 7);
    }
}
