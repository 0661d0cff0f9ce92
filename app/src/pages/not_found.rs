//! The 404 page, inside the portal frame.

use crate::components::{Icon, IconSvg, PortalFrame};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_location;

#[component]
pub fn NotFoundPage() -> impl IntoView {
    #[cfg(feature = "ssr")]
    crate::server::set_status(404);
    let path = use_location().pathname;
    view! {
        <Title text="Page not found"/>
        <PortalFrame>
            <section class="empty-state" data-testid="not-found">
                <div class="empty-icon"><IconSvg icon=Icon::Search/></div>
                <h1>"Page not found"</h1>
                <p>"There is no page at " <code>{move || path.get()}</code> "."</p>
                <p class="muted">"Error code " <code>"NAV-0404"</code> ". Check the address, or use the navigation on the left."</p>
                <a class="button button-primary" href="/">"Go to Overview"</a>
            </section>
        </PortalFrame>
    }
}
