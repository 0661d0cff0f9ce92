//! Steward's admin portal: Leptos components and server functions.
//!
//! Built twice: with `ssr` into the server (rendering pages, running server functions) and
//! with `hydrate` into the WASM bundle that makes those pages interactive. Everything under
//! [`server`] exists only in the server build.

#![recursion_limit = "256"]

pub mod api;
pub mod components;
pub mod error;
pub mod expression_builder;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod server;
pub mod sse;
pub mod url;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, Link, Meta, MetaTags, Stylesheet, Title};
use leptos_router::components::{ParentRoute, Route, Router, Routes};
use leptos_router::path;

use components::PortalLayout;
use pages::*;

/// The HTML document around the app, rendered on the server.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <AutoReload options=options.clone()/>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    // Lets browser tests (and curious admins) know when the page has become interactive.
    Effect::new(move |_| {
        if let Some(body) = document().body() {
            let _ = body.set_attribute("data-hydrated", "true");
        }
    });
    view! {
        <Stylesheet id="leptos" href="/pkg/steward.css"/>
        <Link rel="icon" type_="image/svg+xml" href="/favicon.svg"/>
        <Meta name="color-scheme" content="light"/>
        <Title formatter=|page: String| {
            if page.is_empty() { "Steward".to_string() } else { format!("{page} · Steward") }
        }/>
        <Router>
            <Routes fallback=|| view! { <NotFoundPage/> }>
                <Route path=path!("/sign-in") view=SignInPage/>
                <Route path=path!("/setup") view=SetupPage/>
                // Framed by other sites: no portal layout, no navigation.
                <Route path=path!("/embed/:token") view=EmbedPage/>
                <ParentRoute path=path!("") view=PortalLayout>
                    <Route path=path!("") view=OverviewPage/>
                    <Route path=path!("users") view=UsersPage/>
                    <Route path=path!("users/new") view=NewUserPage/>
                    <Route path=path!("users/import") view=ImportPage/>
                    <Route path=path!("users/import/:id") view=ImportPreviewPage/>
                    <Route path=path!("users/:id") view=UserDetailPage/>
                    <Route path=path!("users/:id/edit") view=EditUserPage/>
                    <Route path=path!("groups") view=GroupsPage/>
                    <Route path=path!("groups/new") view=NewGroupPage/>
                    <Route path=path!("groups/:id") view=GroupDetailPage/>
                    <Route path=path!("applications") view=ApplicationsPage/>
                    <Route path=path!("applications/gallery") view=GalleryPage/>
                    <Route path=path!("applications/:id") view=ApplicationPage/>
                    <Route path=path!("applications/:id/mappings") view=MappingsPage/>
                    <Route path=path!("applications/:id/provisioning") view=ProvisioningPage/>
                    <Route path=path!("provisioning-logs") view=ProvisioningLogsPage/>
                    <Route path=path!("provisioning-logs/:id") view=LogDetailPage/>
                    <Route path=path!("audit-logs") view=AuditLogsPage/>
                    <Route path=path!("settings") view=SettingsPage/>
                    <Route path=path!("settings/expression-builder") view=ExpressionBuilderPage/>
                    <Route path=path!("settings/attributes") view=CustomAttributesPage/>
                    <Route path=path!("settings/api-tokens") view=ApiTokensPage/>
                    <Route path=path!("settings/embed") view=EmbedTokensPage/>
                </ParentRoute>
            </Routes>
        </Router>
    }
}
