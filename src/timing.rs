//! User Timing measures (`performance.measure`) around the slow steps: reading and analysing
//! in the worker, decoding the result on the page. They cost nothing when nobody looks, stay in
//! the browser, and let `benches/browser-drop.mjs` say where the time goes.

use wasm_bindgen::JsCast;
use web_sys::Performance;

fn performance() -> Option<Performance> {
    // `performance` exists on both the window and a worker's global scope.
    js_sys::Reflect::get(&js_sys::global(), &"performance".into()).ok()?.dyn_into().ok()
}

/// A measure that ends when dropped, named `sendas:<name>`.
pub struct Measure {
    name: &'static str,
}

impl Measure {
    /// Starts measuring.
    pub fn start(name: &'static str) -> Self {
        if let Some(p) = performance() {
            let _ = p.mark(&format!("sendas:{name}:start"));
        }
        Self { name }
    }
}

impl Drop for Measure {
    fn drop(&mut self) {
        if let Some(p) = performance() {
            let _ = p.measure_with_start_mark(&format!("sendas:{}", self.name), &format!("sendas:{}:start", self.name));
        }
    }
}
