//! The analysis worker: reads files slice by slice and runs the core.
//!
//! It runs in its own thread, so the page keeps scrolling and the Cancel button keeps
//! working; cancelling terminates the worker outright. Slices are requested with
//! `Blob.arrayBuffer()` a few ahead of the one being analysed ([`READ_AHEAD`]): the browser
//! reads files on its own I/O thread, so reading overlaps analysing (`FileReaderSync` made the
//! worker wait for every read, about a third of its time).

use std::cell::RefCell;
use std::collections::VecDeque;

use chrono::{DateTime, Utc};
use js_sys::{Array, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{DedicatedWorkerGlobalScope, File, MessageEvent};

use sendas_core::report::ExportTimeOrigin;
use sendas_core::{Analysis, SourceMeta};

use crate::protocol::{encode_result, FromWorker, Payload, SENDS_PER_PART, SLICE_BYTES};
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
    if let FromWorker::Done(payload) = message {
        let _measure = Measure::start("post");
        for part in encode_result(&payload, SENDS_PER_PART) {
            let buffer = Uint8Array::from(&part[..]).buffer();
            let _ = scope.post_message_with_transfer(&buffer, &Array::of1(&buffer));
        }
    } else if let Ok(text) = serde_json::to_string(&message) {
        let _ = scope.post_message(&JsValue::from_str(&text));
    }
}

/// Worker entry point: answers requests until terminated.
pub fn start() {
    let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    let replies = scope.clone();
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
        let data = event.data();
        let kind = Reflect::get(&data, &"kind".into()).ok().and_then(|k| k.as_string());
        let replies = replies.clone();
        match kind.as_deref() {
            Some("sample") => post(&replies, analyse_sample(&replies)),
            Some("raw") => {
                let index = Reflect::get(&data, &"index".into()).ok().and_then(|i| i.as_f64());
                // Only this page sends requests; one without a usable index gets no answer.
                if let Some(index) = index.filter(|i| i.fract() == 0.0 && *i >= 0.0) {
                    post(&replies, raw_record(index as usize));
                }
            }
            Some("analyse") => {
                let files: Array = Reflect::get(&data, &"files".into()).map(JsCast::unchecked_into).unwrap_or_default();
                let files = files.iter().filter_map(|f| f.dyn_into::<File>().ok()).collect();
                wasm_bindgen_futures::spawn_local(async move {
                    let outcome = analyse_files(&replies, files).await;
                    post(&replies, outcome);
                });
            }
            _ => {}
        }
    });
    scope.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    on_message.forget();
    post(&scope, FromWorker::Ready);
}

thread_local! {
    /// The last result's raw records, by send index: they stay here, and the page asks for the
    /// one whose details it opens.
    static RAW_RECORDS: RefCell<Vec<Option<String>>> = const { RefCell::new(Vec::new()) };
}

fn raw_record(index: usize) -> FromWorker {
    let text = RAW_RECORDS.with_borrow(|raws| raws.get(index).cloned().flatten());
    FromWorker::RawRecord { index, text }
}

fn finish(analysis: Analysis) -> FromWorker {
    let _measure = Measure::start("finish");
    let mut result = analysis.finish();
    let raws = result.sends.iter_mut().map(|send| send.event.raw.take()).collect();
    RAW_RECORDS.set(raws);
    FromWorker::Done(Box::new(Payload {
        summary: result.summary,
        sends: result.sends,
        source_names: result.source_names,
    }))
}

fn analyse_sample(scope: &DedicatedWorkerGlobalScope) -> FromWorker {
    let mut analysis = Analysis::default();
    let total = SAMPLE.len() as u64;
    let meta = SourceMeta { name: SAMPLE_NAME.into(), exported_at: None };
    let chunks = SAMPLE.chunks(SLICE_BYTES as usize).map(Ok::<_, String>);
    let outcome = analysis.read_source_chunks(meta, chunks, |stats| {
        post(scope, FromWorker::Progress { file: SAMPLE_NAME.into(), bytes: stats.bytes, total, rows: stats.rows_read })
    });
    match outcome {
        Ok(_) => finish(analysis),
        Err(_) => FromWorker::Failed { message: "the built-in sample could not be read".into() },
    }
}

/// Slices requested before the one being analysed is done: the browser reads them meanwhile.
const READ_AHEAD: usize = 4;

/// Asks the browser for bytes `start..end` of `file`; the read starts now.
fn request_slice(file: &File, start: f64, end: f64) -> Result<JsFuture, JsValue> {
    Ok(JsFuture::from(file.slice_with_f64_and_f64(start, end)?.array_buffer()))
}

async fn analyse_files(scope: &DedicatedWorkerGlobalScope, files: Vec<File>) -> FromWorker {
    let total: u64 = files.iter().map(|f| f.size() as u64).sum();
    let mut done_bytes = 0u64;
    let mut done_rows = 0u64;
    let mut analysis = Analysis::default();
    let mut readable = 0;
    let mut buffer = Vec::new();
    for file in &files {
        let name = file.name();
        let size = file.size();
        let exported_at = DateTime::<Utc>::from_timestamp_millis(file.last_modified() as i64)
            .map(|t| (t, ExportTimeOrigin::FileModified));
        let meta = SourceMeta { name: name.clone(), exported_at };
        let _measure = Measure::start("read");
        let mut source = analysis.start_source(meta);
        // Slices requested and not yet analysed, oldest first.
        let mut pending = VecDeque::new();
        let mut requested = 0.0;
        let mut request_ahead = |pending: &mut VecDeque<_>| {
            while pending.len() < READ_AHEAD && requested < size {
                let end = (requested + SLICE_BYTES).min(size);
                pending.push_back((request_slice(file, requested, end), end - requested));
                requested = end;
            }
        };
        request_ahead(&mut pending);
        while let Some((next, expected)) = pending.pop_front() {
            let read = match next {
                Ok(next) => next.await,
                Err(e) => Err(e),
            };
            let array = match read.map(|buffer| Uint8Array::new(&buffer)) {
                Ok(array) if f64::from(array.length()) == expected => array,
                outcome => {
                    source.unreadable();
                    let message = match outcome {
                        Err(e) => e
                            .as_string()
                            .or_else(|| e.dyn_ref::<js_sys::Error>().map(|e| String::from(e.message())))
                            .unwrap_or_else(|| "the browser refused to read it".into()),
                        Ok(_) => "it changed while it was being read".into(),
                    };
                    return FromWorker::Failed { message: format!("{name}: could not be read: {message}") };
                }
            };
            request_ahead(&mut pending);
            // Each slice is copied once, from the browser's ArrayBuffer into one reused buffer
            // in Wasm memory, and the core borrows it from there.
            let parsing = Measure::start("parse");
            buffer.resize(array.length() as usize, 0);
            array.copy_to(&mut buffer);
            let pushed = source.push(&buffer);
            drop(parsing);
            let stats = source.stats();
            post(
                scope,
                FromWorker::Progress {
                    file: name.clone(),
                    bytes: done_bytes + stats.bytes,
                    total,
                    rows: done_rows + stats.rows_read,
                },
            );
            if pushed.is_err() {
                break;
            }
        }
        let file_rows = source.stats().rows_read;
        // An unusable file is listed in the summary with its error; the others are still analysed.
        if source.finish().is_ok() {
            readable += 1;
        }
        done_bytes += size as u64;
        done_rows += file_rows;
    }
    if readable == 0 {
        let result = analysis.finish();
        let reasons: Vec<String> = result
            .summary
            .sources
            .iter()
            .map(|s| format!("{}: {}", s.name, s.error.as_deref().unwrap_or("no records")))
            .collect();
        return FromWorker::Failed { message: reasons.join("\n") };
    }
    finish(analysis)
}
