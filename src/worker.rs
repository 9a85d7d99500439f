//! The analysis worker: hands the dropped files to the core's multi-file analysis
//! ([`sendas_core::Analysis::analyse`]), slice by slice, and posts progress and the result.
//!
//! It runs in its own thread, so the page keeps scrolling and the Cancel button keeps
//! working; cancelling terminates the worker outright. Slices are requested with
//! `Blob.arrayBuffer()` a few ahead of the one being analysed ([`READ_AHEAD`]): the browser
//! reads files on its own I/O thread, so reading overlaps analysing (`FileReaderSync` made the
//! worker wait for every read, about a third of its time).

use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;

use chrono::{DateTime, Utc};
use js_sys::{Array, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{DedicatedWorkerGlobalScope, File, MessageEvent, MessagePort};

use sendas_core::classify::RuleSet;
use sendas_core::report::ExportTimeOrigin;
use sendas_core::{AnalysisResult, Input, MemoryInput, NoUsableInput, Progress, SourceMeta};

use crate::protocol::{encode_result, FromWorker, ToWorker, SENDS_PER_PART, SLICE_BYTES};
use crate::timing::Measure;

/// The built-in sample: the field report's week (see `tests/fixtures/make_fixtures.py`).
pub const SAMPLE: &[u8] = include_bytes!("sample/field-report.jsonl");
/// The sample's size, for the progress bar (a constant, so the page's bundle does not carry
/// the sample itself: only the worker's does).
pub const SAMPLE_LEN: u64 = SAMPLE.len() as u64;
/// The sample's file name, as reports show it.
pub const SAMPLE_NAME: &str = "sample-field-report.jsonl";

fn post(scope: &DedicatedWorkerGlobalScope, message: FromWorker) {
    // Posting only fails for uncloneable values; strings and transferred buffers always go.
    if let FromWorker::Done(result) = message {
        post_result(scope, &result);
    } else if let Ok(text) = serde_json::to_string(&message) {
        let _ = scope.post_message(&JsValue::from_str(&text));
    }
}

/// Posts a result in parts, each in a transferred `ArrayBuffer` ([`encode_result`]).
fn post_result(scope: &DedicatedWorkerGlobalScope, result: &AnalysisResult) {
    let _measure = Measure::start("post");
    for part in encode_result(result, SENDS_PER_PART) {
        let buffer = Uint8Array::from(&part[..]).buffer();
        let _ = scope.post_message_with_transfer(&buffer, &Array::of1(&buffer));
    }
}

/// Reads a posted request: `[text, [File, …], [MessagePort, …]]` ([`ToWorker::decode`]).
fn read_request(data: &JsValue) -> Result<(ToWorker, Vec<File>, Vec<MessagePort>), String> {
    let envelope = data.dyn_ref::<Array>().ok_or("not a [text, files, ports] triple")?;
    let text = envelope.get(0).as_string().ok_or("no request text")?;
    let handles = envelope.get(1).dyn_into::<Array>().map_err(|_| "no list of files")?;
    let files = handles.iter().map(JsCast::dyn_into::<File>).collect::<Result<Vec<_>, _>>();
    let files = files.map_err(|_| "something other than a file came with the request")?;
    let ports = envelope.get(2).dyn_into::<Array>().map_err(|_| "no list of ports")?;
    let ports = ports.iter().map(JsCast::dyn_into::<MessagePort>).collect::<Result<Vec<_>, _>>();
    let ports = ports.map_err(|_| "something other than a port came with the request")?;
    let request = ToWorker::decode(&text, files.len())?;
    if ports.len() != request.ports() {
        return Err(format!("{} ports came with a request for {}", ports.len(), request.ports()));
    }
    Ok((request, files, ports))
}

/// Worker entry point: answers requests until terminated.
pub fn start() {
    let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    let replies = scope.clone();
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
        let replies = replies.clone();
        match read_request(&event.data()) {
            Ok((ToWorker::RawRecord { index }, _, _)) => post(&replies, raw_record(index)),
            Ok((ToWorker::HelperStopped { helper }, _, _)) => crate::parts::helper_stopped(helper),
            Ok((ToWorker::Serve { rules }, _, mut ports)) => {
                crate::rules::set_active(rules);
                if let Some(port) = ports.pop() {
                    crate::parts::serve(port);
                }
            }
            Ok((ToWorker::Reclassify { rules }, _, _)) => {
                crate::rules::set_active(rules);
                // Nothing kept yet: an analysis under way classifies with the new table when done.
                if let Some(result) = LAST_RESULT.take() {
                    finish(&replies, FromWorker::Done(Box::new(result)));
                }
            }
            Ok((ToWorker::Sample { rules }, _, _)) => {
                crate::rules::set_active(rules);
                wasm_bindgen_futures::spawn_local(async move {
                    let input = MemoryInput::new(SAMPLE_NAME, SAMPLE).in_chunks_of(SLICE_BYTES as usize);
                    let outcome = analyse(&replies, [input], &Reading::default()).await;
                    // The sample is built in: it cannot be unusable unless the build is broken.
                    let outcome = match outcome {
                        FromWorker::Failed { .. } => {
                            FromWorker::Failed { message: "the built-in sample could not be read".into() }
                        }
                        done => done,
                    };
                    finish(&replies, outcome);
                });
            }
            Ok((ToWorker::Analyse { rules, .. }, files, helpers)) => {
                crate::rules::set_active(rules);
                wasm_bindgen_futures::spawn_local(async move {
                    let outcome = analyse_files(&replies, files, &helpers).await;
                    finish(&replies, outcome);
                });
            }
            // Only this page sends requests, so this is a bug; saying so beats a progress bar
            // that never moves.
            Err(reason) => {
                post(&replies, FromWorker::Failed { message: format!("unreadable request to the worker: {reason}") })
            }
        }
    });
    scope.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    on_message.forget();
    post(&scope, FromWorker::Ready);
}

/// Posts how a run (or a re-classification) ended; a result is kept, classified with the rule
/// table in use (set again while it was being read: classified again here, nothing re-read).
fn finish(scope: &DedicatedWorkerGlobalScope, outcome: FromWorker) {
    let FromWorker::Done(mut result) = outcome else {
        return post(scope, outcome);
    };
    let rules = crate::rules::active();
    if result.rules != *rules {
        let _measure = Measure::start("reclassify");
        result.reclassify(RuleSet::clone(&rules));
    }
    post_result(scope, &result);
    LAST_RESULT.set(Some(*result));
}

thread_local! {
    /// The last result (its raw records taken out, see [`RAW_RECORDS`]): classified again when
    /// the rule table changes.
    static LAST_RESULT: RefCell<Option<AnalysisResult>> = const { RefCell::new(None) };
    /// The last result's raw records, by send index: they stay here, and the page asks for the
    /// one whose details it opens.
    static RAW_RECORDS: RefCell<Vec<Option<String>>> = const { RefCell::new(Vec::new()) };
}

fn raw_record(index: usize) -> FromWorker {
    let text = RAW_RECORDS.with_borrow(|raws| raws.get(index).cloned().flatten());
    FromWorker::RawRecord { index, text }
}

/// Runs the core's multi-file analysis, posting its progress, and says how it ended.
async fn analyse<I: Input>(
    scope: &DedicatedWorkerGlobalScope,
    inputs: impl IntoIterator<Item = I>,
    reading: &Reading,
) -> FromWorker {
    let progress = posts_progress(scope, reading);
    // The rule table the page also generates its KQL and alert exclusion from.
    let outcome = crate::rules::analysis().analyse(inputs, progress).await;
    ended(outcome, reading)
}

/// Analyses dropped files as [`analyse`] does, a large CSV file in parts with the helper
/// workers at `helpers` (`crate::parts`).
async fn analyse_files(scope: &DedicatedWorkerGlobalScope, files: Vec<File>, helpers: &[MessagePort]) -> FromWorker {
    let reading = Rc::new(Reading::default());
    let mut progress = posts_progress(scope, &reading);
    let mut analysis = crate::rules::analysis();
    let mut at = Progress { total: files.iter().map(|f| f.size() as u64).sum(), ..Progress::default() };
    let last = files.len().saturating_sub(1);
    for (i, file) in files.into_iter().enumerate() {
        let done = at.bytes;
        let parts = crate::parts::read_in_parts(&analysis, &file, helpers, &reading, i == last, &mut at, &mut progress);
        if let Some(one) = parts.await {
            let _measure = crate::timing::Measure::start("parts-merge");
            analysis.merge(one);
            continue;
        }
        at.bytes = done;
        analysis.read_input(FileInput::new(file, i == last, reading.clone()), &mut at, &mut progress).await;
    }
    ended(analysis.report(), &reading)
}

/// What the core calls after each slice: the slice's `parse` measure ends, the page is told.
fn posts_progress<'a>(scope: &'a DedicatedWorkerGlobalScope, reading: &'a Reading) -> impl FnMut(&Progress) + 'a {
    move |at: &Progress| {
        reading.end_parse();
        post(scope, FromWorker::Progress(at.clone()));
    }
}

/// How an analysis ended, as the page is told it; the raw records stay here.
fn ended(outcome: Result<AnalysisResult, NoUsableInput>, reading: &Reading) -> FromWorker {
    let done = outcome.map(keep_raw_records);
    reading.end_all();
    match done {
        Ok(result) => FromWorker::Done(Box::new(result)),
        Err(none) => FromWorker::Failed { message: reasons(&none) },
    }
}

/// Why no input was usable: one `name: reason` line per input (one input: the core's own
/// wording, which is the CLI's).
fn reasons(none: &NoUsableInput) -> String {
    let lines: Vec<String> = none.inputs.iter().map(|input| format!("{}: {}", input.file, input.reason)).collect();
    lines.join("\n")
}

/// Keeps the raw records here ([`RAW_RECORDS`]) and returns the result without them.
fn keep_raw_records(mut result: AnalysisResult) -> AnalysisResult {
    let raws = result.sends.iter_mut().map(|send| send.event.raw.take()).collect();
    RAW_RECORDS.set(raws);
    result
}

/// Slices requested before the one being analysed is done: the browser reads them meanwhile.
const READ_AHEAD: usize = 4;

/// The first slice of a file or part ([`FileInput::request_ahead`]).
const FIRST_SLICE_BYTES: f64 = (1 << 20) as f64;

/// What the file inputs of one analysis share, as only one is read at a time: the slice buffer,
/// the reads under way, and the User Timing measures that `benches/browser-drop.mjs` reads:
/// `read` (one per file, from its first request to its last byte or its failure), `read-wait`
/// (one per slice: waiting for the browser to hand it over), `parse` (one
/// per slice: copying it into Wasm memory and the core's work on it) and `finish` (from the last
/// file's last byte to the result). A measure ends at the latest start mark of its name, so each
/// must end before the next of its name starts, even when the core stops reading a file early
/// (a file that is not an export): the next file, or the end of the analysis, ends them.
#[derive(Default)]
pub(crate) struct Reading {
    /// The slice buffer while no file holds it: one buffer serves every file in turn.
    spare_buffer: RefCell<Vec<u8>>,
    /// The file being read's slices requested and not yet handed over, oldest first, with the
    /// bytes each must hold. Here rather than in the file, so that the next file drops the reads
    /// of one the core stopped reading early instead of keeping them to the end.
    pending: RefCell<VecDeque<(Result<JsFuture, JsValue>, f64)>>,
    read: RefCell<Option<Measure>>,
    parse: RefCell<Option<Measure>>,
    finish: RefCell<Option<Measure>>,
}

impl Reading {
    fn start(slot: &RefCell<Option<Measure>>, name: &'static str) {
        // The old measure ends (is dropped) before the new one marks its start.
        slot.take();
        *slot.borrow_mut() = Some(Measure::start(name));
    }

    fn end_parse(&self) {
        self.parse.take();
    }

    fn end_all(&self) {
        self.pending.take();
        self.parse.take();
        self.read.take();
        self.finish.take();
    }
}

/// A dropped file as an input of the core's analysis: read in slices of [`SLICE_BYTES`] with
/// `Blob.arrayBuffer()`, [`READ_AHEAD`] slices requested ahead of the one being analysed, each
/// copied once into one reused buffer that the core borrows.
pub(crate) struct FileInput {
    file: File,
    meta: SourceMeta,
    /// Where reading starts (0, or a part's start).
    start: f64,
    /// Where reading ends (the file's size, or a part's end).
    size: f64,
    /// Bytes requested so far.
    requested: f64,
    /// The slice handed over last (taken from, and given back to, [`Reading::spare_buffer`]).
    buffer: Vec<u8>,
    started: bool,
    /// The analysis's last input: its end starts the `finish` measure.
    last: bool,
    reading: Rc<Reading>,
}

impl FileInput {
    pub(crate) fn new(file: File, last: bool, reading: Rc<Reading>) -> Self {
        let exported_at = DateTime::<Utc>::from_timestamp_millis(file.last_modified() as i64)
            .map(|t| (t, ExportTimeOrigin::FileModified));
        let meta = SourceMeta { name: file.name(), exported_at };
        let size = file.size();
        Self { file, meta, start: 0.0, size, requested: 0.0, buffer: Vec::new(), started: false, last, reading }
    }

    /// Reads only the bytes from `start` to `end` (a part of the file).
    pub(crate) fn range(mut self, start: u64, end: u64) -> Self {
        (self.start, self.size) = (start as f64, (end as f64).min(self.size));
        self.requested = self.start;
        self
    }

    /// Asks the browser for the next slices until [`READ_AHEAD`] are under way; each read
    /// starts now.
    fn request_ahead(&mut self) {
        let mut pending = self.reading.pending.borrow_mut();
        while pending.len() < READ_AHEAD && self.requested < self.size {
            // The first slices are small, so the core starts on the first bytes instead of
            // waiting for 16 MiB: 1 MiB, 4 MiB, then [`SLICE_BYTES`].
            let slice_bytes = match self.requested - self.start {
                0.0 => FIRST_SLICE_BYTES,
                at if at <= FIRST_SLICE_BYTES => 4.0 * FIRST_SLICE_BYTES,
                _ => SLICE_BYTES,
            };
            let end = (self.requested + slice_bytes).min(self.size);
            let slice = self.file.slice_with_f64_and_f64(self.requested, end);
            pending.push_back((slice.map(|blob| JsFuture::from(blob.array_buffer())), end - self.requested));
            self.requested = end;
        }
    }

    /// The file is read, or cannot be: the reads still under way are dropped, the buffer goes
    /// back for the next file, and the `read` measure ends.
    fn done_reading(&mut self) {
        self.reading.pending.take();
        *self.reading.spare_buffer.borrow_mut() = std::mem::take(&mut self.buffer);
        self.reading.read.take();
        if self.last {
            Reading::start(&self.reading.finish, "finish");
        }
    }
}

/// What the browser said when a read failed, in words.
fn browser_error(error: &JsValue) -> String {
    error
        .as_string()
        .or_else(|| error.dyn_ref::<js_sys::Error>().map(|e| String::from(e.message())))
        .unwrap_or_else(|| "the browser refused to read it".into())
}

impl Input for FileInput {
    fn meta(&self) -> SourceMeta {
        self.meta.clone()
    }

    fn size(&self) -> u64 {
        (self.size - self.start) as u64
    }

    async fn next_chunk(&mut self) -> Option<Result<&[u8], String>> {
        // Normally the progress callback has ended it already; this covers a core that asks for
        // the next slice without reporting progress in between.
        self.reading.end_parse();
        if !self.started {
            self.started = true;
            // A file the core stopped reading early did not get to end its reads or its
            // measure: they end here, before this file's start.
            self.reading.pending.take();
            Reading::start(&self.reading.read, "read");
            self.buffer = std::mem::take(&mut *self.reading.spare_buffer.borrow_mut());
            self.request_ahead();
        }
        // Popped before awaiting: no borrow of the queue is held across the await.
        let next = self.reading.pending.borrow_mut().pop_front();
        let Some((next, expected)) = next else {
            self.done_reading();
            return None;
        };
        let waiting = Measure::start("read-wait");
        let read = match next {
            Ok(next) => next.await,
            Err(e) => Err(e),
        };
        drop(waiting);
        let array = match read.map(|buffer| Uint8Array::new(&buffer)) {
            Ok(array) if f64::from(array.length()) == expected => array,
            outcome => {
                self.done_reading();
                let reason = match outcome {
                    Err(e) => browser_error(&e),
                    Ok(_) => "it changed while it was being read".into(),
                };
                return Some(Err(format!("could not be read: {reason}")));
            }
        };
        self.request_ahead();
        // Each slice is copied once, from the browser's ArrayBuffer into one reused buffer in
        // Wasm memory, and the core borrows it from there.
        Reading::start(&self.reading.parse, "parse");
        self.buffer.resize(array.length() as usize, 0);
        array.copy_to(&mut self.buffer);
        Some(Ok(&self.buffer))
    }
}
