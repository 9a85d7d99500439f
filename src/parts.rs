//! A large file analysed by several workers at once.
//!
//! The page starts helper workers with itself and, for each run, gives the analysing worker one
//! end of a `MessageChannel` to each ([`ToWorker::Serve`](crate::protocol::ToWorker::Serve)).
//! For a large CSV file the analysing worker asks the core where to cut it
//! ([`Splitter`]), hands every part but the first to a helper ([`PartRequest`] and the `File`,
//! which crosses as a handle: the helper reads its own bytes), reads the first part itself, and
//! has the core join the parts ([`Analysis::join_parts`]), which verifies every cut. Anything
//! else (a small file, JSON, a cut that does not verify, a helper that failed) is read in one
//! pass, as with no helpers: the answer never depends on how many workers read it.
//!
//! A helper that stops without answering (a trap: the tab out of memory) cannot say so on its
//! channel; the page sees its `error` event and tells the analysing worker
//! ([`ToWorker::HelperStopped`](crate::protocol::ToWorker::HelperStopped)), which ends the wait
//! for its part and asks nothing more of it.
//!
//! On the channel, the analysing worker sends `[request JSON, File]`; the helper answers
//! `[id, bytes read so far]` as it goes, then `[id, ArrayBuffer]` (the part's analysis,
//! [`Analysis::to_bytes`], transferred) or `[id, "why it failed"]`. Ids tell a current part's
//! replies from those of a part given up on.

use std::cell::Cell;
use std::rc::Rc;

use js_sys::{Array, ArrayBuffer, Promise, Uint8Array};
use serde::{Deserialize, Serialize};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{File, MessageEvent, MessagePort};

use sendas_core::ingest::split::{Splitter, SPLIT_WINDOW};
use sendas_core::{Analysis, Input, Progress};

use crate::timing::Measure;
use crate::worker::{FileInput, Reading};

/// Bytes read from a file's start to find its head (the header must be whole in them).
const HEAD_BYTES: u64 = 1 << 20;

/// What the analysing worker asks of a helper: one part of the file that travels with it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PartRequest {
    /// Tells this part's replies apart.
    pub id: u32,
    /// The part's first byte (a row start).
    pub start: u64,
    /// The byte after its last.
    pub end: u64,
    /// The file's head ([`Splitter::head_len`]): the helper primes its reader with it.
    pub head_len: u64,
    /// The part ends the file (its last row may be cut, and is then reported).
    pub last: bool,
}

/// Ids of part requests, over the worker's life (from 1: a reply with id 0 is a failure of
/// whatever the channel was asked).
static NEXT_ID: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(1);

/// Reads bytes `start..end` of a file.
async fn read_bytes(file: &File, start: u64, end: u64) -> Result<Vec<u8>, JsValue> {
    let blob = file.slice_with_f64_and_f64(start as f64, end as f64)?;
    let buffer = JsFuture::from(blob.array_buffer()).await?;
    Ok(Uint8Array::new(&buffer).to_vec())
}

thread_local! {
    /// The parts this helper is reading, and where each is awaited: a panic (a bug; the worker
    /// then stops) answers them all, so the analysing worker reads the file in one pass instead
    /// of waiting for ever.
    static IN_FLIGHT: std::cell::RefCell<Vec<(MessagePort, u32)>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Says, on every channel with a part under way, that this helper failed.
fn fail_in_flight(info: &std::panic::PanicHookInfo<'_>) {
    let reason = JsValue::from_str(&format!("the helper failed: {info}"));
    let _ = IN_FLIGHT.try_with(|parts| {
        for (port, id) in parts.borrow().iter() {
            let _ = port.post_message(&Array::of2(&JsValue::from(*id), &reason));
        }
    });
}

/// The helper's side: answers part requests on `port` until the worker is terminated.
pub fn serve(port: MessagePort) {
    static HOOK: std::sync::Once = std::sync::Once::new();
    HOOK.call_once(|| std::panic::set_hook(Box::new(fail_in_flight)));
    let replies = port.clone();
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
        let data = event.data();
        let request = data.dyn_ref::<Array>().and_then(|envelope| {
            let request: PartRequest = serde_json::from_str(&envelope.get(0).as_string()?).ok()?;
            Some((request, envelope.get(1).dyn_into::<File>().ok()?))
        });
        let Some((request, file)) = request else {
            // Only our own worker sends on this channel: a bug, said rather than hung on (id 0,
            // which no request has, fails whichever part is awaited on this channel).
            let reply = Array::of2(&JsValue::from(0), &JsValue::from_str("unreadable part request"));
            let _ = replies.post_message(&reply);
            return;
        };
        let port = replies.clone();
        IN_FLIGHT.with_borrow_mut(|parts| parts.push((port.clone(), request.id)));
        wasm_bindgen_futures::spawn_local(async move {
            let id = JsValue::from(request.id);
            let key = request.id;
            let outcome = analyse_part(&port, request, file).await;
            IN_FLIGHT.with_borrow_mut(|parts| parts.retain(|(_, id)| *id != key));
            match outcome {
                Ok(bytes) => {
                    let buffer = Uint8Array::from(&bytes[..]).buffer();
                    let _ = port.post_message_with_transferable(&Array::of2(&id, &buffer), &Array::of1(&buffer));
                }
                Err(reason) => drop(port.post_message(&Array::of2(&id, &JsValue::from_str(&reason)))),
            }
        });
    });
    port.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    on_message.forget();
}

/// Reads one part into an analysis of its own, and returns it as bytes.
async fn analyse_part(port: &MessagePort, request: PartRequest, file: File) -> Result<Vec<u8>, String> {
    // With the rule table the run's `ToWorker::Serve` brought.
    let mut analysis = crate::rules::analysis();
    let head = read_bytes(&file, 0, request.head_len).await.map_err(|_| "the file's head could not be read")?;
    let mut input = FileInput::new(file, false, Rc::new(Reading::default())).range(request.start, request.end);
    let mut reader = analysis.start_part(input.meta(), &head).ok_or("the file's head is not a header")?;
    let mut read = 0u64;
    while let Some(chunk) = input.next_chunk().await {
        let chunk = chunk?;
        read += chunk.len() as u64;
        // An unusable part is recorded as such; the join refuses it.
        if reader.push(chunk).is_err() {
            break;
        }
        let _ = port.post_message(&Array::of2(&JsValue::from(request.id), &JsValue::from_f64(read as f64)));
    }
    match request.last {
        true => drop(reader.finish()),
        false => reader.finish_part(),
    }
    let _measure = Measure::start("part-encode");
    Ok(analysis.to_bytes())
}

/// What the analysing worker knows of each helper of its run, by its channel's place.
#[derive(Default)]
struct HelperState {
    /// The page saw it stop.
    stopped: bool,
    /// Ends the wait for the part it was asked for.
    resolve: Option<js_sys::Function>,
}

thread_local! {
    static HELPERS: std::cell::RefCell<Vec<HelperState>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Runs `f` on the state of helper `helper`.
fn with_helper<T>(helper: usize, f: impl FnOnce(&mut HelperState) -> T) -> T {
    HELPERS.with_borrow_mut(|helpers| {
        if helpers.len() <= helper {
            helpers.resize_with(helper + 1, HelperState::default);
        }
        f(&mut helpers[helper])
    })
}

/// The page saw helper `helper` stop: the part asked of it fails now, and it is asked nothing
/// more this run.
pub(crate) fn helper_stopped(helper: usize) {
    let resolve = with_helper(helper, |state| {
        state.stopped = true;
        state.resolve.take()
    });
    if let Some(resolve) = resolve {
        stop_waiting(&resolve);
    }
}

/// Ends the wait for a part whose helper stopped, as a failure reply would.
fn stop_waiting(resolve: &js_sys::Function) {
    let _ = resolve.call1(&JsValue::NULL, &JsValue::from_str("the helper stopped"));
}

/// A part handed to a helper: its reply when it comes, and the bytes it has read meanwhile.
struct Asked {
    helper: usize,
    port: MessagePort,
    reply: JsFuture,
    read: Rc<Cell<u64>>,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
}

impl Drop for Asked {
    fn drop(&mut self) {
        // Late replies of a part given up on are dropped unread.
        self.port.set_onmessage(None);
        with_helper(self.helper, |state| state.resolve = None);
    }
}

/// Hands a part to helper `helper`, at `port`.
fn ask(helper: usize, port: &MessagePort, request: &PartRequest, file: &File) -> Asked {
    let mut resolve = None;
    let reply = Promise::new(&mut |yes, _| resolve = Some(yes));
    // Checked and registered at once: the page may have said it stopped while this worker
    // read the file's head and windows, after the helpers were chosen.
    let stopped = with_helper(helper, |state| {
        if !state.stopped {
            state.resolve = resolve.clone();
        }
        state.stopped
    });
    if let (true, Some(resolve)) = (stopped, &resolve) {
        stop_waiting(resolve);
    }
    let read = Rc::new(Cell::new(0));
    let (id, seen) = (request.id, read.clone());
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
        let Some(envelope) = event.data().dyn_into::<Array>().ok() else { return };
        let from = envelope.get(0).as_f64();
        if from != Some(f64::from(id)) && from != Some(0.0) {
            return;
        }
        let payload = envelope.get(1);
        match payload.as_f64() {
            Some(bytes) => seen.set(bytes as u64),
            // The part's analysis, or why it failed (a string): either ends the wait.
            None => drop(resolve.as_ref().map(|r| r.call1(&JsValue::NULL, &payload))),
        }
    });
    port.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    if !stopped {
        let text = serde_json::to_string(request).unwrap_or_default();
        let _ = port.post_message(&Array::of2(&JsValue::from_str(&text), file));
    }
    Asked { helper, port: port.clone(), reply: JsFuture::from(reply), read, _on_message: on_message }
}

/// Reads `file` in parts, this worker and the helpers at `helpers` at once, into an analysis of
/// this one file made with `like`'s settings, moving `at` on and calling `progress` as
/// [`Analysis::read_input`] does. `None` when it is not read so (see the module's doc): the
/// caller reads it in one pass.
pub(crate) async fn read_in_parts(
    like: &Analysis,
    file: &File,
    helpers: &[MessagePort],
    reading: &Rc<Reading>,
    last_file: bool,
    at: &mut Progress,
    progress: &mut impl FnMut(&Progress),
) -> Option<Analysis> {
    let size = file.size() as u64;
    // Helpers the page saw stop are asked nothing (their places are kept: the page names them so).
    let helpers: Vec<(usize, &MessagePort)> =
        helpers.iter().enumerate().filter(|&(i, _)| !with_helper(i, |state| state.stopped)).collect();
    if helpers.is_empty() {
        return None;
    }
    let head = read_bytes(file, 0, HEAD_BYTES.min(size)).await.ok()?;
    let splitter = Splitter::new(&head)?;
    let mut cuts = Vec::new();
    for point in splitter.cut_points(size, helpers.len() + 1) {
        let window = read_bytes(file, point, (point + SPLIT_WINDOW as u64).min(size)).await.ok()?;
        if let Some(at) = splitter.boundary_in(&window) {
            cuts.push(point + at as u64);
        }
    }
    let ranges = splitter.parts(size, cuts);
    if ranges.len() < 2 {
        return None;
    }
    // The helpers start first, and work while this worker reads the first part.
    let last = ranges.len() - 1;
    let asked: Vec<Asked> = ranges[1..]
        .iter()
        .zip(helpers)
        .enumerate()
        .map(|(i, (range, (helper, port)))| {
            let id = NEXT_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let request = PartRequest {
                id,
                start: range.start,
                end: range.end,
                head_len: splitter.head_len() as u64,
                last: i + 1 == last,
            };
            ask(helper, port, &request, file)
        })
        .collect();
    let mut first = like.with_same_settings();
    let mut input = FileInput::new(file.clone(), last_file, reading.clone()).range(0, ranges[0].end);
    at.file = file.name();
    let done = at.bytes;
    let mut reader = first.start_source(input.meta());
    let mut own = 0u64;
    let mut failed = false;
    while let Some(chunk) = input.next_chunk().await {
        let Ok(chunk) = chunk else {
            failed = true;
            break;
        };
        own += chunk.len() as u64;
        failed |= reader.push(chunk).is_err();
        at.bytes = done + own + asked.iter().map(|a| a.read.get()).sum::<u64>();
        progress(at);
        if failed {
            break;
        }
    }
    reader.finish_part();
    if failed {
        return None;
    }
    let mut parts = vec![first];
    let mut asked = asked;
    for i in 0..asked.len() {
        let waiting = Measure::start("parts-wait");
        let reply = (&mut asked[i].reply).await.ok()?;
        drop(waiting);
        let _measure = Measure::start("parts-decode");
        let buffer = reply.dyn_into::<ArrayBuffer>().ok()?;
        parts.push(Analysis::from_bytes(like, &Uint8Array::new(&buffer).to_vec()).ok()?);
        at.bytes = done + own + asked.iter().map(|a| a.read.get()).sum::<u64>();
        progress(at);
    }
    let joining = Measure::start("parts-join");
    let joined = Analysis::join_parts(parts).ok()?;
    drop(joining);
    at.bytes = done + size;
    Some(joined)
}
