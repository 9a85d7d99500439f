//! The page's side of the worker: spawn, send requests once it is ready, relay replies.

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::{Array, ArrayBuffer, Object, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;
use web_sys::{File, MessageEvent, Worker};
use yew::Callback;

use crate::protocol::{FromWorker, ResultAssembler};

/// Trunk's loader for the worker bin (it imports `worker.js` and starts `worker_bg.wasm`).
/// Relative, so the app works under any sub-path.
const WORKER_URL: &str = "./worker_loader.js";

/// What the page asks of the worker.
#[derive(Clone, Debug)]
pub enum Request {
    /// Analyse these files together.
    Files(Vec<File>),
    /// Analyse the built-in sample.
    Sample,
    /// Send the raw record of the last result's send at this index.
    RawRecord(usize),
}

impl Request {
    fn to_js(&self) -> JsValue {
        let message = Object::new();
        let set = |key: &str, value: &JsValue| {
            // Setting a property on a fresh plain object cannot fail.
            let _ = Reflect::set(&message, &key.into(), value);
        };
        match self {
            Request::Files(files) => {
                set("kind", &"analyse".into());
                let list: Array = files.iter().collect();
                set("files", &list);
            }
            Request::Sample => set("kind", &"sample".into()),
            Request::RawRecord(index) => {
                set("kind", &"raw".into());
                set("index", &(*index as f64).into());
            }
        }
        message.into()
    }
}

struct Shared {
    ready: bool,
    pending: Option<Request>,
    /// From spawning to the worker's Wasm running.
    starting: Option<crate::timing::Measure>,
}

/// A running worker. Dropping it terminates the worker (that is how Cancel works).
pub struct AnalysisWorker {
    worker: Worker,
    shared: Rc<RefCell<Shared>>,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
}

impl AnalysisWorker {
    /// Starts a worker; every reply goes to `on_reply`.
    pub fn spawn(on_reply: Callback<FromWorker>) -> Result<Self, JsValue> {
        let worker = Worker::new(WORKER_URL)?;
        let starting = Some(crate::timing::Measure::start("worker-start"));
        let shared = Rc::new(RefCell::new(Shared { ready: false, pending: None, starting }));
        let (state, sender) = (shared.clone(), worker.clone());
        let mut assembler = ResultAssembler::default();
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
            let data = event.data();
            let decoding = crate::timing::Measure::start("decode");
            let reply = if let Some(buffer) = data.dyn_ref::<ArrayBuffer>() {
                // A part of the result: one copy into Wasm memory, parsed from bytes.
                match assembler.part(&Uint8Array::new(buffer).to_vec()) {
                    Some(reply) => reply,
                    None => return,
                }
            } else if let Some(text) = data.as_string() {
                match serde_json::from_str::<FromWorker>(&text) {
                    Ok(reply) => reply,
                    Err(e) => FromWorker::Failed { message: format!("unreadable reply from the worker: {e}") },
                }
            } else {
                return;
            };
            drop(decoding);
            if reply == FromWorker::Ready {
                let pending = {
                    let mut s = state.borrow_mut();
                    s.ready = true;
                    s.starting.take();
                    s.pending.take()
                };
                if let Some(request) = pending {
                    let _ = sender.post_message(&request.to_js());
                }
                return;
            }
            on_reply.emit(reply);
        });
        worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        Ok(Self { worker, shared, _on_message: on_message })
    }

    /// Sends a request now, or as soon as the worker is ready.
    pub fn send(&self, request: Request) {
        let mut shared = self.shared.borrow_mut();
        if shared.ready {
            let _ = self.worker.post_message(&request.to_js());
        } else {
            shared.pending = Some(request);
        }
    }
}

impl Drop for AnalysisWorker {
    fn drop(&mut self) {
        self.worker.terminate();
    }
}
