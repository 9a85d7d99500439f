//! The page's side of the worker: spawn, send requests once it is ready, relay replies.

use std::cell::RefCell;
use std::rc::Rc;

use js_sys::{Array, ArrayBuffer, Uint8Array};
use wasm_bindgen::prelude::*;
use web_sys::{ErrorEvent, Event, File, MessageEvent, MessagePort, Worker};
use yew::Callback;

use crate::protocol::{FromWorker, ResultAssembler, ToWorker};

/// The loader of the worker bin (`static/worker_loader.js`: it imports `worker.js` and starts
/// `worker_bg.wasm`, and a failed start reaches [`AnalysisWorker`]'s error handler). Relative,
/// so the app works under any sub-path.
const WORKER_URL: &str = "./worker_loader.js";

/// A request with the `File` handles it carries: built only by the constructors, so the count
/// a [`ToWorker::Analyse`] announces is the count that travels.
#[derive(Clone, Debug)]
pub struct Request {
    message: ToWorker,
    files: Vec<File>,
    /// Transferred, not cloned: each is the end of a channel to one helper worker.
    ports: Vec<MessagePort>,
}

impl Request {
    /// Analyse these files together, with the rule table in use ([`crate::rules::active`]),
    /// handing parts of a large one to the helper workers at the other end of `helpers`.
    pub fn analyse(files: Vec<File>, helpers: Vec<MessagePort>) -> Self {
        let message = ToWorker::Analyse { files: files.len(), rules: rules(), helpers: helpers.len() };
        Self { message, files, ports: helpers }
    }

    /// Serve parts of files to the worker at the other end of `port`.
    pub fn serve(port: MessagePort) -> Self {
        Self { message: ToWorker::Serve { rules: rules() }, files: Vec::new(), ports: vec![port] }
    }

    /// Analyse the built-in sample, with the rule table in use.
    pub fn sample() -> Self {
        Self { message: ToWorker::Sample { rules: rules() }, files: Vec::new(), ports: Vec::new() }
    }

    /// Classify the last result again with the rule table in use, without reading again.
    pub fn reclassify() -> Self {
        Self { message: ToWorker::Reclassify { rules: rules() }, files: Vec::new(), ports: Vec::new() }
    }

    /// The run's `helper`-th helper stopped ([`ToWorker::HelperStopped`]).
    pub fn helper_stopped(helper: usize) -> Self {
        Self { message: ToWorker::HelperStopped { helper }, files: Vec::new(), ports: Vec::new() }
    }

    /// Send the raw record of the last result's send at this index.
    pub fn raw_record(index: usize) -> Self {
        Self { message: ToWorker::RawRecord { index }, files: Vec::new(), ports: Vec::new() }
    }

    /// The posted value: `[text, [File, …], [MessagePort, …]]`; the handles cross by structured
    /// clone, the ports are transferred.
    fn to_js(&self) -> JsValue {
        let files: Array = self.files.iter().collect();
        let ports: Array = self.ports.iter().collect();
        Array::of3(&JsValue::from_str(&self.message.encode()), &files, &ports).into()
    }

    fn post(&self, worker: &Worker) {
        let ports: Array = self.ports.iter().collect();
        let _ = worker.post_message_with_transfer(&self.to_js(), &ports);
    }
}

/// The page's rule table, for a request.
fn rules() -> sendas_core::classify::RuleSet {
    sendas_core::classify::RuleSet::clone(&crate::rules::active())
}

struct Shared {
    ready: bool,
    /// Requests sent before the worker was ready, in order.
    pending: Vec<Request>,
    /// From spawning to the worker's Wasm running.
    starting: Option<crate::timing::Measure>,
    /// An uncaught error reached the worker's global scope ([`AnalysisWorker::has_stopped`]).
    stopped: bool,
    /// Called once when it stops ([`AnalysisWorker::when_stopped`]).
    on_stop: Option<Box<dyn FnOnce()>>,
}

/// A running worker. Dropping it terminates the worker (that is how Cancel works).
pub struct AnalysisWorker {
    worker: Worker,
    shared: Rc<RefCell<Shared>>,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    _on_error: Closure<dyn FnMut(Event)>,
}

impl AnalysisWorker {
    /// Starts a worker; every reply goes to `on_reply`.
    pub fn spawn(on_reply: Callback<FromWorker>) -> Result<Self, JsValue> {
        let worker = Worker::new(WORKER_URL)?;
        let starting = Some(crate::timing::Measure::start("worker-start"));
        let shared = Rc::new(RefCell::new(Shared {
            ready: false,
            pending: Vec::new(),
            starting,
            stopped: false,
            on_stop: None,
        }));
        let (state, sender) = (shared.clone(), worker.clone());
        let mut assembler = ResultAssembler::default();
        let on_failure = on_reply.clone();
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
                    std::mem::take(&mut s.pending)
                };
                for request in pending {
                    request.post(&sender);
                }
                return;
            }
            on_reply.emit(reply);
        });
        worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        // A panic posts why before the worker stops; a trap without one (memory exhausted,
        // Wasm that failed to start) reaches only this handler. Without it the page would wait
        // for ever for a reply that cannot come.
        let (state, on_reply) = (shared.clone(), on_failure);
        let on_error = Closure::<dyn FnMut(Event)>::new(move |event: Event| {
            // Handled here: not also reported as an error of the page.
            event.prevent_default();
            let on_stop = {
                let mut s = state.borrow_mut();
                // One stop, one failure: a second uncaught error says nothing new.
                if s.stopped {
                    return;
                }
                s.stopped = true;
                s.on_stop.take()
            };
            if let Some(on_stop) = on_stop {
                on_stop();
            }
            // An uncaught error is an `ErrorEvent`; a script that could not be loaded, a plain `Event`.
            let why = event
                .dyn_ref::<ErrorEvent>()
                .map_or_else(|| "its code could not be loaded".to_owned(), |e| e.message());
            let message = format!(
                "The analysis stopped before it finished: its worker failed ({why}). The tab may have run \
                 out of memory: drop fewer or smaller files at once, or read them with the command line \
                 (sendas-lens summary), which reads files of any size."
            );
            on_reply.emit(FromWorker::Failed { message });
        });
        worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        Ok(Self { worker, shared, _on_message: on_message, _on_error: on_error })
    }

    /// An uncaught error stopped the worker: it will not answer.
    pub fn has_stopped(&self) -> bool {
        self.shared.borrow().stopped
    }

    /// Calls `on_stop` once if the worker stops (at once if it has).
    pub fn when_stopped(&self, on_stop: impl FnOnce() + 'static) {
        let mut shared = self.shared.borrow_mut();
        match shared.stopped {
            true => {
                drop(shared);
                on_stop();
            }
            false => shared.on_stop = Some(Box::new(on_stop)),
        }
    }

    /// Sends a request now, or as soon as the worker is ready.
    pub fn send(&self, request: Request) {
        let mut shared = self.shared.borrow_mut();
        if shared.ready {
            request.post(&self.worker);
        } else {
            shared.pending.push(request);
        }
    }
}

impl Drop for AnalysisWorker {
    fn drop(&mut self) {
        self.worker.terminate();
    }
}
