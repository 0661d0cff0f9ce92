//! The browser entry point: hydrates the server-rendered portal so it becomes interactive.

#![recursion_limit = "256"]

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(steward_app::App);
}
