//! Settings → Email notifications (SMTP): the SMTP server Steward sends through, a test email
//! with what the form holds, and the last notifications with how their delivery went.

use crate::api::{
    load_email_settings, NotificationRow, SaveSmtp, SendTestEmail, SmtpForm, SmtpView,
};
use crate::components::{format_time, ErrorPanel, FormError};
use crate::error::AppError;
use leptos::prelude::*;

#[component]
pub fn EmailNotificationsSection() -> impl IntoView {
    let save = ServerAction::<SaveSmtp>::new();
    let test = ServerAction::<SendTestEmail>::new();
    let settings = Resource::new(move || save.version().get(), |_| load_email_settings());
    view! {
        <section class="card email-notifications" data-testid="email-notifications">
            <h2>"Email notifications (SMTP)"</h2>
            <p class="hint">"Steward emails an application's notification address (set in the application's Settings, with notifications ticked) when its provisioning enters quarantine, when the quarantine's reason changes, and when deletes are held by the accidental-deletion threshold: one message per event, never one per failed object."</p>
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match settings.await {
                        Ok(s) => view! {
                            <SmtpSettingsForm smtp=s.smtp save test/>
                            <h3>"Last notifications"</h3>
                            <NotificationTable rows=s.notifications/>
                        }.into_any(),
                        Err(e) => view! { <ErrorPanel error=e/> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

/// Which button was pressed last: its errors are the ones shown.
#[derive(Clone, Copy, PartialEq)]
enum Last {
    Save,
    Test,
}

#[component]
fn SmtpSettingsForm(
    smtp: SmtpView,
    save: ServerAction<SaveSmtp>,
    test: ServerAction<SendTestEmail>,
) -> impl IntoView {
    let host = RwSignal::new(smtp.host.clone());
    let port = RwSignal::new(smtp.port.map(|p| p.to_string()).unwrap_or_default());
    let security = RwSignal::new(if smtp.security.is_empty() {
        "starttls".to_string()
    } else {
        smtp.security.clone()
    });
    let username = RwSignal::new(smtp.username.clone());
    let password = RwSignal::new(String::new());
    let from = RwSignal::new(smtp.from.clone());
    let to = RwSignal::new(String::new());
    let last = RwSignal::new(Last::Save);
    let form = move || SmtpForm {
        host: host.get_untracked(),
        port: port.get_untracked(),
        security: security.get_untracked(),
        username: username.get_untracked(),
        password: password.get_untracked(),
        from: from.get_untracked(),
    };
    let error = Signal::derive(move || match last.get() {
        Last::Save => save.value().get().and_then(|r| r.err()),
        Last::Test => test.value().get().and_then(|r| r.err()),
    });
    let message = move |field: &'static str| {
        move || {
            error
                .get()
                .and_then(|e: AppError| e.field(field))
                .map(|m| view! { <p class="field-error">{m}</p> })
        }
    };
    let saved = move || last.get() == Last::Save && matches!(save.value().get(), Some(Ok(_)));
    let tested = move || {
        (last.get() == Last::Test)
            .then(|| test.value().get().and_then(|r| r.ok()))
            .flatten()
    };
    let password_hint = if smtp.password_set {
        "Stored. Leave empty to keep it."
    } else {
        "Only when the server needs a sign-in."
    };
    view! {
        <FormError error/>
        <div class="form form-card">
            <p>{if smtp.configured {
                view! { <span class="badge badge-ok">"Configured"</span> }.into_any()
            } else {
                view! { <span class="badge badge-bad">"Not configured"</span> " " <span class="muted">"Notifications wait until it is."</span> }.into_any()
            }}</p>
            <div class="field-row">
                <div class="field">
                    <label for="smtp-host">"SMTP host"</label>
                    <input id="smtp-host" type="text" autocomplete="off" placeholder="smtp.example.com"
                        value=smtp.host.clone() prop:value=move || host.get() on:input=move |ev| host.set(event_target_value(&ev))/>
                    {message("host")}
                </div>
                <div class="field">
                    <label for="smtp-security">"Security"</label>
                    <select id="smtp-security" prop:value=move || security.get()
                        on:change=move |ev| security.set(event_target_value(&ev))>
                        <option value="starttls" selected=smtp.security != "tls" && smtp.security != "none">"STARTTLS (port 587)"</option>
                        <option value="tls" selected=smtp.security == "tls">"TLS (port 465)"</option>
                        <option value="none" selected=smtp.security == "none">"None (trusted relay only)"</option>
                    </select>
                    {message("security")}
                </div>
                <div class="field">
                    <label for="smtp-port">"Port"</label>
                    <input id="smtp-port" type="number" min="1" max="65535" placeholder="587"
                        value=smtp.port.map(|p| p.to_string()) prop:value=move || port.get() on:input=move |ev| port.set(event_target_value(&ev))/>
                    {message("port")}
                </div>
            </div>
            <div class="field-row">
                <div class="field">
                    <label for="smtp-username">"Username"</label>
                    <input id="smtp-username" type="text" autocomplete="off"
                        value=smtp.username.clone() prop:value=move || username.get() on:input=move |ev| username.set(event_target_value(&ev))/>
                    <p class="hint">"Leave empty when the server does not need a sign-in."</p>
                    {message("username")}
                </div>
                <div class="field">
                    <label for="smtp-password">"Password"</label>
                    <input id="smtp-password" type="password" autocomplete="new-password"
                        prop:value=move || password.get() on:input=move |ev| password.set(event_target_value(&ev))/>
                    <p class="hint">{password_hint}</p>
                    {message("password")}
                </div>
            </div>
            <div class="field">
                <label for="smtp-from">"From address"</label>
                <input id="smtp-from" type="text" autocomplete="off" placeholder="Steward <steward@example.com>"
                    value=smtp.from.clone() prop:value=move || from.get() on:input=move |ev| from.set(event_target_value(&ev))/>
                {message("from")}
            </div>
            <div class="actions">
                <button type="button" class="button button-primary" disabled=move || save.pending().get()
                    on:click=move |_| { last.set(Last::Save); save.dispatch(SaveSmtp { form: form() }); }>
                    {move || if save.pending().get() { "Saving…" } else { "Save" }}
                </button>
                {move || saved().then(|| view! { <span class="badge badge-ok" role="status">"SMTP settings saved"</span> })}
            </div>
            <div class="field">
                <label for="smtp-test-to">"Send a test email to"</label>
                <div class="inline">
                    <input id="smtp-test-to" type="email" autocomplete="off" placeholder="you@example.com"
                        prop:value=move || to.get() on:input=move |ev| to.set(event_target_value(&ev))/>
                    <button type="button" class="button" disabled=move || test.pending().get()
                        on:click=move |_| { last.set(Last::Test); test.dispatch(SendTestEmail { form: form(), to: to.get_untracked() }); }>
                        {move || if test.pending().get() { "Sending…" } else { "Send test email" }}
                    </button>
                </div>
                <p class="hint">"Uses the settings above as they are, without saving them."</p>
                {message("to")}
                {move || tested().map(|r| view! {
                    <div class=if r.ok { "callout" } else { "form-error" } role="status" data-testid="smtp-test-result">
                        <p>{r.message}</p>
                    </div>
                })}
            </div>
        </div>
    }
}

/// The last notifications: when, for which application, what, to whom, and their delivery.
#[component]
fn NotificationTable(rows: Vec<NotificationRow>) -> impl IntoView {
    if rows.is_empty() {
        return view! { <p class="muted">"No notifications yet."</p> }.into_any();
    }
    view! {
        <div class="table-wrap">
            <table class="table" data-testid="notifications-table">
                <thead><tr>
                    <th scope="col">"When"</th>
                    <th scope="col">"Application"</th>
                    <th scope="col">"Event"</th>
                    <th scope="col">"To"</th>
                    <th scope="col">"Delivery"</th>
                </tr></thead>
                <tbody>
                    {rows.into_iter().map(|n| {
                        let (badge, label) = match n.state.as_str() {
                            "sent" => ("badge badge-ok", "Sent"),
                            "retrying" => ("badge badge-bad", "Retrying"),
                            "waiting" => ("badge badge-bad", "Waiting for SMTP"),
                            _ => ("badge badge-info", "Pending"),
                        };
                        let detail = match (n.sent_at, n.last_error.clone()) {
                            (Some(at), _) => format_time(at),
                            (None, Some(e)) => format!("{e} Next attempt {}.", format_time(n.next_attempt_at)),
                            (None, None) => String::new(),
                        };
                        view! {
                            <tr>
                                <td class="nowrap">{format_time(n.created_at)}</td>
                                <td><a href=format!("/applications/{}", n.application_id)>{n.application}</a></td>
                                <td>{n.kind}<br/><span class="muted">{n.subject}</span></td>
                                <td>{n.recipient}</td>
                                <td><span class=badge>{label}</span>
                                    {match n.attempts {
                                        0 => String::new(),
                                        1 => " (1 attempt)".to_string(),
                                        k => format!(" ({k} attempts)"),
                                    }}
                                    <br/><span class="muted">{detail}</span></td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
    .into_any()
}
