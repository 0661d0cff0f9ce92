//! The browser's side of live pages: an `EventSource` on one of the server's event streams
//! (`crate::server::live`), open while the component that asked for it lives. The browser
//! reconnects by itself after a network drop and sends the last event id it saw, so the
//! server resumes where the page was.

use leptos::prelude::*;

/// Where the stream stands, for the page's "Live" indicator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Connection {
    Connecting,
    Live,
    /// The connection dropped; the browser is trying again.
    Reconnecting,
    /// The server refused the stream (a session that ended, a revoked link): the browser
    /// does not try again.
    Closed,
}

impl Connection {
    pub fn label(self) -> &'static str {
        match self {
            Connection::Connecting => "Connecting…",
            Connection::Live => "Live",
            Connection::Reconnecting => "Reconnecting…",
            Connection::Closed => "Not updating",
        }
    }

    pub fn class(self) -> &'static str {
        match self {
            Connection::Live => "live live-on",
            _ => "live live-off",
        }
    }
}

/// Opens the stream at `url` once the page is interactive, and calls `on_event(name, data)`
/// for each event named in `names`. Closed when the calling component is dropped.
#[allow(unused_variables)]
pub fn listen<F>(
    url: impl Fn() -> String + 'static,
    names: &'static [&'static str],
    on_event: F,
) -> ReadSignal<Connection>
where
    F: Fn(&str, String) + Clone + 'static,
{
    let (state, set_state) = signal(Connection::Connecting);
    #[cfg(feature = "hydrate")]
    {
        use send_wrapper::SendWrapper;
        use wasm_bindgen::prelude::*;
        use wasm_bindgen::JsCast;
        let url = SendWrapper::new(url);
        let on_event = SendWrapper::new(on_event);
        Effect::new(move |_| {
            let Ok(source) = web_sys::EventSource::new(&url()) else {
                set_state.set(Connection::Reconnecting);
                return;
            };
            let opened = Closure::<dyn FnMut()>::new(move || set_state.set(Connection::Live));
            source.set_onopen(Some(opened.as_ref().unchecked_ref()));
            opened.forget();
            // After an error the browser retries, unless the server answered with something
            // other than a stream (an error status): then the source is closed for good.
            let watched = source.clone();
            let failed = Closure::<dyn FnMut()>::new(move || {
                set_state.set(if watched.ready_state() == web_sys::EventSource::CLOSED {
                    Connection::Closed
                } else {
                    Connection::Reconnecting
                })
            });
            source.set_onerror(Some(failed.as_ref().unchecked_ref()));
            failed.forget();
            let mut listeners = Vec::new();
            for name in names {
                let handler = (*on_event).clone();
                let listener = Closure::<dyn FnMut(web_sys::MessageEvent)>::new(
                    move |e: web_sys::MessageEvent| {
                        if let Some(data) = e.data().as_string() {
                            handler(name, data);
                        }
                    },
                );
                let _ = source
                    .add_event_listener_with_callback(name, listener.as_ref().unchecked_ref());
                listeners.push(listener);
            }
            let held = SendWrapper::new((source, listeners));
            on_cleanup(move || {
                let (source, _listeners) = held.take();
                source.close();
            });
        });
    }
    state
}
