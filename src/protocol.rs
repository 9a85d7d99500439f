//! Messages between the page and the analysis worker.
//!
//! Page → worker: a JS object `{kind: "analyse", files: [File, …]}` or `{kind: "sample"}`
//! (File handles cross by structured clone; the bytes never pass through the page).
//! Worker → page: [`FromWorker`] as JSON text.

use serde::{Deserialize, Serialize};

use sendas_core::report::{ClassifiedEvent, Summary};

/// What the worker tells the page.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum FromWorker {
    /// The worker's Wasm is running; requests can be sent.
    Ready,
    /// Reading is under way.
    Progress {
        /// The file being read.
        file: String,
        /// Bytes read so far, all files.
        bytes: u64,
        /// Bytes in all files.
        total: u64,
        /// Records read so far, all files.
        rows: u64,
    },
    /// The analysis is complete.
    Done(Box<Payload>),
    /// Nothing could be analysed.
    Failed {
        /// Why, in words for the user.
        message: String,
    },
}

/// The result the page renders: the core's report and every classified send.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Payload {
    /// The JSON report (the same `summary --json` prints).
    pub summary: Summary,
    /// Every send, classified, with its raw record.
    pub sends: Vec<ClassifiedEvent>,
    /// Input names by index.
    pub source_names: Vec<String>,
}

/// Bytes the worker reads per slice: large enough to amortise the call, small enough that
/// progress moves and memory stays flat.
pub const SLICE_BYTES: f64 = 8.0 * 1024.0 * 1024.0;
