//! Messages between the page and the analysis worker.
//!
//! Page → worker: a JS object `{kind: "analyse", files: [File, …]}`, `{kind: "sample"}` or, once
//! a result is in, `{kind: "raw", index}` (File handles cross by structured clone; the bytes
//! never pass through the page).
//! Worker → page: [`FromWorker`] as JSON text for the small messages, and the result as JSON
//! bytes in a transferred `ArrayBuffer` ([`encode_payload`]): at a million records the result is
//! tens of megabytes, and a JS string would be converted UTF-8 → UTF-16 in the worker, copied by
//! structured clone, and converted back on the page (3.3 s of the 1M-record run, measured).

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
    /// The analysis is complete. Never sent as JSON text: see [`encode_payload`].
    #[serde(skip)]
    Done(Box<Payload>),
    /// One send's raw record, asked for when its details open (raw records stay in the worker:
    /// they are most of a result, and only the ones opened are ever read).
    RawRecord {
        /// The send's index in [`Payload::sends`].
        index: usize,
        /// Its raw record, if the input had one.
        text: Option<String>,
    },
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
    /// Every send, classified (without its raw record: see [`FromWorker::RawRecord`]).
    pub sends: Vec<ClassifiedEvent>,
    /// Input names by index.
    pub source_names: Vec<String>,
}

/// Bytes the worker reads per slice: large enough to amortise the call, small enough that
/// progress moves and memory stays flat.
pub const SLICE_BYTES: f64 = 16.0 * 1024.0 * 1024.0;

/// The result as the worker sends it: JSON bytes of the [`Payload`] itself (not wrapped in the
/// tagged [`FromWorker`], whose decoding would buffer the whole payload once more).
pub fn encode_payload(payload: &Payload) -> Vec<u8> {
    // Serialising plain data into a Vec cannot fail.
    serde_json::to_vec(payload).unwrap_or_default()
}

/// The page's side of [`encode_payload`].
pub fn decode_payload(bytes: &[u8]) -> FromWorker {
    match serde_json::from_slice::<Payload>(bytes) {
        Ok(payload) => FromWorker::Done(Box::new(payload)),
        Err(e) => FromWorker::Failed { message: format!("unreadable result from the worker: {e}") },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample_payload() -> Payload {
        let sample = include_bytes!("sample/field-report.jsonl");
        let mut analysis = sendas_core::Analysis::default();
        let meta = sendas_core::SourceMeta { name: "sample".into(), exported_at: None };
        analysis.read_source(meta, sample).unwrap();
        let result = analysis.finish();
        Payload { summary: result.summary, sends: result.sends, source_names: result.source_names }
    }

    #[test]
    fn the_result_survives_the_trip_as_bytes() {
        let payload = sample_payload();
        assert!(!payload.sends.is_empty());
        assert_eq!(decode_payload(&encode_payload(&payload)), FromWorker::Done(Box::new(payload)));
    }

    #[test]
    fn a_damaged_result_is_a_failure_not_a_panic() {
        let bytes = encode_payload(&sample_payload());
        for damaged in [&bytes[..0], &bytes[..bytes.len() / 2], &bytes[..bytes.len() - 1], b"{\"summary\":"] {
            let FromWorker::Failed { message } = decode_payload(damaged) else {
                panic!("a damaged result must fail");
            };
            assert!(message.starts_with("unreadable result from the worker"), "{message}");
        }
    }

    #[test]
    fn the_small_messages_stay_json_text() {
        for message in [
            FromWorker::Progress { file: "a.csv".into(), bytes: 1, total: 2, rows: 3 },
            FromWorker::RawRecord { index: 7, text: Some("{\"Operation\":\"SendAs\"}".into()) },
            FromWorker::RawRecord { index: 8, text: None },
        ] {
            let text = serde_json::to_string(&message).unwrap();
            assert_eq!(serde_json::from_str::<FromWorker>(&text).unwrap(), message);
        }
    }
}
