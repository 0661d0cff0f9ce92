//! The portal's frame and the small pieces every page uses: top bar, navigation, page
//! header, empty state, error panel.

use crate::api::{current_admin, SignOut};
use crate::error::AppError;
use chrono::{DateTime, Utc};
use leptos::prelude::*;
use leptos_router::components::{Outlet, A};

/// One entry of the left navigation.
struct NavEntry {
    href: &'static str,
    label: &'static str,
    icon: Icon,
}

const NAV: [NavEntry; 7] = [
    NavEntry {
        href: "/",
        label: "Overview",
        icon: Icon::Home,
    },
    NavEntry {
        href: "/users",
        label: "Users",
        icon: Icon::User,
    },
    NavEntry {
        href: "/groups",
        label: "Groups",
        icon: Icon::Group,
    },
    NavEntry {
        href: "/applications",
        label: "Enterprise applications",
        icon: Icon::Apps,
    },
    NavEntry {
        href: "/provisioning-logs",
        label: "Provisioning logs",
        icon: Icon::Logs,
    },
    NavEntry {
        href: "/audit-logs",
        label: "Audit logs",
        icon: Icon::Audit,
    },
    NavEntry {
        href: "/settings",
        label: "Settings",
        icon: Icon::Settings,
    },
];

/// The signed-in portal: the frame around each page's outlet.
#[component]
pub fn PortalLayout() -> impl IntoView {
    view! { <PortalFrame><Outlet/></PortalFrame> }
}

/// Top bar, navigation and content area around `children`.
#[component]
pub fn PortalFrame(children: Children) -> impl IntoView {
    view! {
        <a class="skip-link" href="#content">"Skip to content"</a>
        <div class="portal">
            <TopBar/>
            <NavMenu/>
            <main id="content" class="content" tabindex="-1">{children()}</main>
        </div>
    }
}

#[component]
fn TopBar() -> impl IntoView {
    let admin = Resource::new(|| (), |_| current_admin());
    let sign_out = ServerAction::<SignOut>::new();
    view! {
        <header class="topbar">
            <a class="brand" href="/">
                <BrandMark/>
                <span class="brand-name">"Steward"</span>
                <span class="brand-tag">"Identity provisioning"</span>
            </a>
            <div class="topbar-right">
                <Suspense fallback=|| ()>
                    {move || Suspend::new(async move {
                        admin.await.ok().map(|a| {
                            let initials = initials(&a.display_name);
                            view! {
                                <div class="whoami" data-testid="signed-in-admin">
                                    <span class="avatar" aria-hidden="true">{initials}</span>
                                    <span class="whoami-text">
                                        <span class="whoami-name">{a.display_name.clone()}</span>
                                        <span class="whoami-role">{a.roles.join(", ")}</span>
                                    </span>
                                </div>
                            }
                        })
                    })}
                </Suspense>
                <ActionForm action=sign_out attr:class="sign-out-form">
                    <button type="submit" class="button button-quiet">"Sign out"</button>
                </ActionForm>
            </div>
        </header>
    }
}

fn initials(name: &str) -> String {
    name.split_whitespace()
        .filter_map(|w| w.chars().next())
        .take(2)
        .flat_map(char::to_uppercase)
        .collect()
}

#[component]
fn NavMenu() -> impl IntoView {
    view! {
        <nav class="sidenav" aria-label="Main">
            <ul>
                {NAV
                    .iter()
                    .map(|entry| {
                        view! {
                            <li>
                                <A href=entry.href exact=entry.href == "/">
                                    <IconSvg icon=entry.icon/>
                                    <span>{entry.label}</span>
                                </A>
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
        </nav>
    }
}

/// The title row of a page, with an optional one-line description.
#[component]
pub fn PageHeader(title: &'static str, #[prop(optional)] subtitle: &'static str) -> impl IntoView {
    view! {
        <leptos_meta::Title text=title/>
        <div class="page-header">
            <h1>{title}</h1>
            {(!subtitle.is_empty()).then(|| view! { <p class="page-subtitle">{subtitle}</p> })}
        </div>
    }
}

/// What a page shows when it has nothing yet: what this is and what to do next.
#[component]
pub fn EmptyState(icon: Icon, title: &'static str, children: Children) -> impl IntoView {
    view! {
        <section class="empty-state">
            <div class="empty-icon"><IconSvg icon=icon/></div>
            <h2>{title}</h2>
            <div class="empty-body">{children()}</div>
        </section>
    }
}

/// An error as admins see it: what happened, its code and operation id.
#[component]
pub fn ErrorPanel(error: AppError) -> impl IntoView {
    view! {
        <section class="error-panel" role="alert">
            <h2>"Something went wrong"</h2>
            <p>{error.message.clone()}</p>
            <dl class="facts">
                <dt>"Error code"</dt>
                <dd><code data-testid="error-code">{error.code.as_str()}</code></dd>
                {error.operation_id.clone().map(|op| view! {
                    <dt>"Operation id"</dt>
                    <dd><code data-testid="operation-id">{op}</code></dd>
                })}
            </dl>
        </section>
    }
}

/// A form-level message for an action's error (field errors show next to fields).
#[component]
pub fn FormError(error: Signal<Option<AppError>>) -> impl IntoView {
    move || {
        error.get().filter(|e| e.fields.is_empty()).map(|e| {
            view! {
                <div class="form-error" role="alert">
                    <span>{e.message.clone()}</span>
                    {e.operation_id.clone().map(|op| view! { <small>" Operation id: " <code>{op}</code></small> })}
                </div>
            }
        })
    }
}

/// A message under a field, when the action's error names it.
#[component]
pub fn FieldMessage(error: Signal<Option<AppError>>, field: &'static str) -> impl IntoView {
    let id = format!("{field}-error");
    move || {
        error.get().and_then(|e| e.field(field)).map(|msg| {
            view! { <p class="field-error" id=id.clone()>{msg}</p> }
        })
    }
}

pub fn format_time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}

#[component]
pub fn BrandMark() -> impl IntoView {
    view! {
        <svg class="brand-mark" viewBox="0 0 32 32" aria-hidden="true">
            <rect width="32" height="32" rx="8" fill="currentColor"/>
            <path d="M9 21.5c1.6 1.4 3.9 2.2 6.6 2.2 3.7 0 6.2-1.8 6.2-4.5 0-2.5-1.8-3.6-5.4-4.4-2.6-.6-3.5-1.1-3.5-2.1 0-1 1-1.7 2.7-1.7 1.6 0 3 .5 4.3 1.5l1.7-2.3c-1.6-1.3-3.6-2-6-2-3.6 0-6 1.9-6 4.6 0 2.7 2 3.6 5.4 4.4 2.5.6 3.4 1.1 3.4 2.1 0 1.1-1.1 1.8-2.9 1.8-2 0-3.7-.7-5.1-1.9z" fill="#fff"/>
        </svg>
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Icon {
    Home,
    User,
    Group,
    Apps,
    Logs,
    Audit,
    Settings,
    Search,
}

#[component]
pub fn IconSvg(icon: Icon) -> impl IntoView {
    let d = match icon {
        Icon::Home => "M3 10.5 12 3l9 7.5V20a1 1 0 0 1-1 1h-5v-6h-6v6H4a1 1 0 0 1-1-1z",
        Icon::User => "M12 12a4 4 0 1 0 0-8 4 4 0 0 0 0 8zm-7 9a7 7 0 0 1 14 0",
        Icon::Group => "M9 11a3.5 3.5 0 1 0 0-7 3.5 3.5 0 0 0 0 7zm-6.5 9a6.5 6.5 0 0 1 13 0M16 4.3a3.5 3.5 0 0 1 0 6.4M18 14.2a6.5 6.5 0 0 1 3.5 5.8",
        Icon::Apps => "M4 4h6v6H4zM14 4h6v6h-6zM4 14h6v6H4zM14 14h6v6h-6z",
        Icon::Logs => "M5 4h14v16H5zM8 8h8M8 12h8M8 16h5",
        Icon::Audit => "M12 3 4 6v6c0 4.5 3.4 8.3 8 9 4.6-.7 8-4.5 8-9V6zm-3 9 2 2 4-4",
        Icon::Settings => "M12 15a3 3 0 1 0 0-6 3 3 0 0 0 0 6zm7.4-3a7.4 7.4 0 0 0-.1-1.2l2-1.6-2-3.4-2.4 1a7.5 7.5 0 0 0-2-1.2L14.5 3h-4l-.4 2.6a7.5 7.5 0 0 0-2 1.2l-2.4-1-2 3.4 2 1.6a7.4 7.4 0 0 0 0 2.4l-2 1.6 2 3.4 2.4-1a7.5 7.5 0 0 0 2 1.2l.4 2.6h4l.4-2.6a7.5 7.5 0 0 0 2-1.2l2.4 1 2-3.4-2-1.6c.1-.4.1-.8.1-1.2z",
        Icon::Search => "M11 18a7 7 0 1 0 0-14 7 7 0 0 0 0 14zm9 3-4.3-4.3",
    };
    view! {
        <svg class="icon" viewBox="0 0 24 24" aria-hidden="true" fill="none" stroke="currentColor"
            stroke-width="1.8" stroke-linecap="round" stroke-linejoin="round">
            <path d=d/>
        </svg>
    }
}

#[cfg(test)]
mod tests {
    use super::initials;

    #[test]
    fn initials_of_names() {
        assert_eq!(initials("Ada Lovelace"), "AL");
        assert_eq!(initials("grace brewster murray hopper"), "GB");
        assert_eq!(initials("Ωmega"), "Ω");
        assert_eq!(initials(""), "");
    }
}

/// The sections of an application's pages.
#[component]
pub fn AppTabs(id: String, active: &'static str) -> impl IntoView {
    let tab = |key: &'static str, label: &'static str, href: String| {
        view! {
            <a class=if key == active { "tab tab-active" } else { "tab" } href=href
                aria-current=if key == active { Some("page") } else { None }>{label}</a>
        }
    };
    view! {
        <nav class="tabs" aria-label="Application">
            {tab("overview", "Overview", format!("/applications/{id}"))}
            {tab("provisioning", "Provisioning", format!("/applications/{id}/provisioning"))}
            {tab("mappings", "Mappings", format!("/applications/{id}/mappings?object=users"))}
            {tab("logs", "Provisioning logs", format!("/provisioning-logs?app={id}"))}
        </nav>
    }
}
