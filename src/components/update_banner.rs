//! "A new version is ready": shown when a new deployment's service worker is installed and waits
//! (static/sw.js). A waiting worker takes over only when no page of the old version is left, which
//! never happens while tabs are only reloaded (the old page still runs while the new one loads) or
//! when the app stays open in a pinned tab or an installed window. So the page offers the update:
//! the button tells the waiting worker to take over, and the page reloads once it has, so the page
//! and its files always come from one version.
//!
//! Nothing here registers the worker (src/offline.rs does, once the page has loaded); this waits
//! for `navigator.serviceWorker.ready`, so it also sees an update found later in the page's life.

use std::cell::Cell;
use std::rc::Rc;

use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{ServiceWorker, ServiceWorkerContainer, ServiceWorkerRegistration, ServiceWorkerState};
use yew::prelude::*;

/// `navigator.serviceWorker`, where service workers are available (it is undefined elsewhere).
pub fn container() -> Option<ServiceWorkerContainer> {
    let navigator = web_sys::window()?.navigator();
    let available = js_sys::Reflect::get(&navigator, &JsValue::from_str("serviceWorker"))
        .is_ok_and(|container| !container.is_undefined() && !container.is_null());
    available.then(|| navigator.service_worker())
}

thread_local! {
    /// Set when another version's service worker took this page over (another tab's "Reload to
    /// update"): from then on the files this page would load come from that version.
    static REPLACED: Cell<bool> = const { Cell::new(false) };
}

/// Whether another version now serves this page's files, so a newly started analysis worker
/// would be of a different build than the page: the page must reload before it starts one.
/// Workers already running were loaded before and stay of this page's version.
pub fn replaced() -> bool {
    REPLACED.get()
}

/// Calls `on_waiting` with the registration's waiting worker: now if there is one, and whenever a
/// newer one finishes installing.
fn watch(on_waiting: Rc<dyn Fn(ServiceWorker)>) {
    let Some(container) = container() else { return };
    // A page is never claimed (static/sw.js), so its controller only changes when a waiting
    // version takes over: this page's files are that version's from now on.
    let changed = Closure::<dyn Fn()>::new(|| REPLACED.set(true));
    let _ = container.add_event_listener_with_callback("controllerchange", changed.as_ref().unchecked_ref());
    changed.forget();
    let Ok(ready) = container.ready() else { return };
    wasm_bindgen_futures::spawn_local(async move {
        let Ok(registration) = JsFuture::from(ready).await else { return };
        let registration: ServiceWorkerRegistration = registration.unchecked_into();
        check(&registration, &on_waiting);
        let found = {
            let registration = registration.clone();
            Closure::<dyn Fn()>::new(move || check(&registration, &on_waiting))
        };
        registration.set_onupdatefound(Some(found.as_ref().unchecked_ref()));
        found.forget();
    });
}

/// Reports the waiting worker, if any, and follows the installing one until it waits.
fn check(registration: &ServiceWorkerRegistration, on_waiting: &Rc<dyn Fn(ServiceWorker)>) {
    if let Some(waiting) = registration.waiting() {
        on_waiting(waiting);
    }
    if let Some(installing) = registration.installing() {
        let (registration, on_waiting) = (registration.clone(), on_waiting.clone());
        let changed = Closure::<dyn Fn()>::new(move || {
            if let Some(waiting) = registration.waiting() {
                on_waiting(waiting);
            }
        });
        installing.set_onstatechange(Some(changed.as_ref().unchecked_ref()));
        changed.forget();
    }
}

/// Whether `worker` has taken over: it controls the page (which it did before), or it is active
/// (the page was not controlled: nothing claims an open page).
fn taken_over(window: &web_sys::Window, worker: &ServiceWorker) -> bool {
    window.navigator().service_worker().controller().as_ref() == Some(worker)
        || worker.state() == ServiceWorkerState::Activated
}

/// Tells `worker` to take over, and reloads the page once it has (once only).
fn update(worker: &ServiceWorker) {
    let Some(window) = web_sys::window() else { return };
    // Already taken over (the button of another tab was pressed first): reload now.
    if taken_over(&window, worker) {
        let _ = window.location().reload();
        return;
    }
    let reloaded = Rc::new(Cell::new(false));
    let reload = {
        let worker = worker.clone();
        Closure::<dyn Fn()>::new(move || {
            if taken_over(&window, &worker) && !reloaded.replace(true) {
                let _ = window.location().reload();
            }
        })
    };
    if let Some(container) = container() {
        let _ = container.add_event_listener_with_callback("controllerchange", reload.as_ref().unchecked_ref());
    }
    let _ = worker.add_event_listener_with_callback("statechange", reload.as_ref().unchecked_ref());
    reload.forget();
    let message = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&message, &JsValue::from_str("type"), &JsValue::from_str("skip-waiting"));
    let _ = worker.post_message(&message);
}

/// The banner: an empty live region until a new version waits, then the message and the button.
#[function_component(UpdateBanner)]
pub fn update_banner() -> Html {
    let waiting = use_state(|| None::<ServiceWorker>);
    let updating = use_state(|| false);
    {
        let set = waiting.setter();
        use_effect_with((), move |_| watch(Rc::new(move |worker| set.set(Some(worker)))));
    }
    let onclick = {
        let (waiting, updating) = (waiting.clone(), updating.clone());
        Callback::from(move |_: MouseEvent| {
            if let Some(worker) = waiting.as_ref() {
                updating.set(true);
                update(worker);
            }
        })
    };
    html! {
        <div class="update-banner" role="status" data-testid="update-banner">
            if waiting.is_some() {
                <p>{ "A new version of SendAs Lens is ready." }</p>
                <button type="button" class="button small primary" data-testid="update-reload" disabled={*updating} {onclick}>
                    { if *updating { "Updating…" } else { "Reload to update" } }
                </button>
            }
        </div>
    }
}
