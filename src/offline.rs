//! Offline use: registers the service worker (`sw.js`, from `static/sw.js`) that keeps the app's
//! own files, so the app opens and analyses files with the network gone after a first visit.
//!
//! A new deployment's service worker waits until the page asks it to take over: the page's
//! update banner (`src/components/update_banner.rs`) watches the registration this makes, offers
//! "Reload to update", and reloads once the new worker is in charge (see `static/sw.js`).
//!
//! Registration is best-effort. Where there are no service workers (a page opened from `file://`,
//! an origin that is not secure, a browser's private mode) or registration fails, the app works as
//! before, online, and says nothing: the console gets one debug line.

use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::ServiceWorkerContainer;

/// Registers `sw.js` (next to `index.html`, so its scope is the app's folder, under any sub-path)
/// once the page has loaded, so the service worker's first download does not compete with the
/// app's own.
pub fn register_service_worker() {
    let Some(window) = web_sys::window() else { return };
    let Some(container) = sendas_lens_web::components::update_banner::container() else { return };
    let loaded = window.document().is_none_or(|document| document.ready_state() == "complete");
    if loaded {
        register(container);
    } else {
        let on_load = Closure::once_into_js(move || register(container));
        let _ = window.add_event_listener_with_callback("load", on_load.unchecked_ref());
    }
}

fn register(container: ServiceWorkerContainer) {
    // A relative URL: resolved against the page's base, the app's own folder.
    let registration = container.register("sw.js");
    wasm_bindgen_futures::spawn_local(async move {
        if let Err(reason) = JsFuture::from(registration).await {
            web_sys::console::debug_2(&JsValue::from_str("SendAs Lens: offline use is not available here:"), &reason);
        }
    });
}
