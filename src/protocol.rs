//! Messages between the page and the analysis worker.
//!
//! Page → worker: [`ToWorker`] as JSON text, posted in a JS array `[text, [File, …]]`
//! ([`ToWorker::encode`], [`ToWorker::decode`]): the `File` handles cross by structured clone
//! beside the text, so the bytes never pass through the page; only `Analyse` carries any.
//! Worker → page: [`FromWorker`] as JSON text for the small messages, and the result as bytes
//! in transferred `ArrayBuffer`s ([`encode_result`]): a JS string would be converted UTF-8 →
//! UTF-16 in the worker, copied by structured clone, and converted back on the page (3.3 s of
//! the 1M-record run when the result was JSON text, measured). The result's first part, the
//! summary, is JSON bytes; the classified sends follow in the compact binary parts of
//! [`sendas_core::report::codec`], which the page reads several times faster than their JSON.

use serde::{Deserialize, Serialize};

use sendas_core::classify::RuleSet;

use sendas_core::report::codec::{decode_sends, encode_sends};
use sendas_core::report::{ClassifiedEvent, Summary};
use sendas_core::{AnalysisResult, Progress};

/// What the page asks of the worker.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum ToWorker {
    /// Analyse the files that travel with this message, together, in their order.
    Analyse {
        /// How many `File` handles travel with it (the worker checks they all arrived).
        files: usize,
        /// The rule table to classify with (the page's [`crate::rules::active`]).
        rules: RuleSet,
        /// How many `MessagePort`s travel with it, each to a helper worker serving parts of a
        /// large file ([`ToWorker::Serve`], `crate::parts`).
        #[serde(default)]
        helpers: usize,
    },
    /// Serve parts of files to the worker at the other end of the `MessagePort` that travels
    /// with this message (`crate::parts`), for one run.
    Serve {
        /// The rule table to classify with.
        rules: RuleSet,
    },
    /// Analyse the built-in sample.
    Sample {
        /// The rule table to classify with.
        rules: RuleSet,
    },
    /// Classify the last result's sends again with this table, without reading anything again,
    /// and send the result as after an analysis (an analysis under way uses it when done).
    Reclassify {
        /// The new rule table.
        rules: RuleSet,
    },
    /// The helper at the end of the run's `helper`-th channel stopped without answering (an
    /// uncaught error: the tab out of memory, a trap): the part asked of it will not come, and
    /// nothing more is asked of it.
    HelperStopped {
        /// Its channel's place among those the [`ToWorker::Analyse`] brought.
        helper: usize,
    },
    /// Send the raw record of the last result's send at this index.
    RawRecord {
        /// The send's index in [`AnalysisResult::sends`].
        index: usize,
    },
}

impl ToWorker {
    /// The message as the JSON text that is posted.
    pub fn encode(&self) -> String {
        // Serialising a plain enum cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }

    /// How many `MessagePort`s must travel with the request.
    pub fn ports(&self) -> usize {
        match self {
            Self::Analyse { helpers, .. } => *helpers,
            Self::Serve { .. } => 1,
            Self::Sample { .. } | Self::Reclassify { .. } | Self::RawRecord { .. } | Self::HelperStopped { .. } => 0,
        }
    }

    /// Reads a posted message, given how many `File` handles came with it: a request that is
    /// not one of ours, or whose handles did not all arrive, is an `Err` with the reason.
    pub fn decode(text: &str, handles: usize) -> Result<Self, String> {
        let request: Self = serde_json::from_str(text).map_err(|e| e.to_string())?;
        let expected = match request {
            Self::Analyse { files, .. } => files,
            Self::Serve { .. }
            | Self::Sample { .. }
            | Self::Reclassify { .. }
            | Self::RawRecord { .. }
            | Self::HelperStopped { .. } => 0,
        };
        if handles != expected {
            return Err(format!("{handles} files came with a request for {expected}"));
        }
        Ok(request)
    }
}

/// What the worker tells the page.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "kebab-case")]
pub enum FromWorker {
    /// The worker's Wasm is running; requests can be sent.
    Ready,
    /// Reading is under way.
    Progress(Progress),
    /// The analysis is complete (its raw records and rejected records stay in the worker).
    /// Never sent as JSON text: see [`encode_result`].
    #[serde(skip)]
    Done(Box<AnalysisResult>),
    /// One send's raw record, asked for when its details open (raw records stay in the worker:
    /// they are most of a result, and only the ones opened are ever read).
    RawRecord {
        /// The send's index in [`AnalysisResult::sends`].
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

/// Bytes the worker reads per slice: large enough to amortise the call, small enough that
/// progress moves and memory stays flat.
pub const SLICE_BYTES: f64 = 16.0 * 1024.0 * 1024.0;

/// Sends per result part ([`sendas_core::report::codec`]): about 0.6 MB (it was 4.5 MB of JSON), which
/// the page decodes in 5 to 10 ms (the JSON took 16 to 30), so no page task is long even on a
/// slower machine. Larger parts would save next to nothing (a message and a part's string table
/// cost little) and lengthen the page's tasks, so the count stayed where the JSON parts had it.
pub const SENDS_PER_PART: usize = 4_000;

/// The first part of a result: everything but the sends, and how many sends follow.
#[derive(Serialize)]
struct ResultHeadRef<'a> {
    summary: &'a Summary,
    source_names: &'a [String],
    rules: &'a RuleSet,
    sends: usize,
}

/// [`ResultHeadRef`] as the page reads it.
#[derive(Deserialize)]
struct ResultHead {
    summary: Summary,
    source_names: Vec<String>,
    rules: RuleSet,
    sends: usize,
}

/// The result as the worker sends it: parts of bytes, one message (and one transferred
/// `ArrayBuffer`) each; its rejected records (`errors`, not serialised) stay behind, as the
/// summary lists the first ones. The first part is JSON: the summary, the input names, the rule
/// table and the number of sends. Then the sends, `per_part` at a time, each part in the binary
/// form of [`sendas_core::report::codec`] (a send's raw record goes with it if it has one; the worker
/// takes them out first, see `src/worker.rs`). The page decodes each message in its own task,
/// so no task is long: one 45 MB JSON message took 0.8 s to decode at 1M records, with the page
/// frozen meanwhile.
pub fn encode_result(result: &AnalysisResult, per_part: usize) -> Vec<Vec<u8>> {
    let head = ResultHeadRef {
        summary: &result.summary,
        source_names: &result.source_names,
        rules: &result.rules,
        sends: result.sends.len(),
    };
    // Serialising plain data into a Vec cannot fail.
    let mut parts = vec![serde_json::to_vec(&head).unwrap_or_default()];
    parts.extend(result.sends.chunks(per_part.max(1)).map(encode_sends));
    parts
}

/// Puts a result back together on the page, part by part ([`encode_result`]).
#[derive(Default)]
pub struct ResultAssembler {
    head: Option<ResultHead>,
    sends: Vec<ClassifiedEvent>,
}

impl ResultAssembler {
    /// Takes the next part: `None` while more are due, then the whole result, or the failure
    /// (after which it starts afresh).
    pub fn part(&mut self, bytes: &[u8]) -> Option<FromWorker> {
        match self.read(bytes) {
            Ok(None) => None,
            Ok(Some(result)) => Some(FromWorker::Done(Box::new(result))),
            Err(reason) => {
                *self = Self::default();
                Some(FromWorker::Failed { message: format!("unreadable result from the worker: {reason}") })
            }
        }
    }

    fn read(&mut self, bytes: &[u8]) -> Result<Option<AnalysisResult>, String> {
        match &self.head {
            None => {
                let head: ResultHead = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
                self.sends = Vec::with_capacity(head.sends);
                self.head = Some(head);
            }
            Some(head) => {
                let sends = decode_sends(bytes)?;
                if sends.is_empty() || self.sends.len() + sends.len() > head.sends {
                    return Err(format!("more sends than the {} announced", head.sends));
                }
                self.sends.extend(sends);
            }
        }
        match &self.head {
            Some(head) if head.sends == self.sends.len() => {
                let head = self.head.take().expect("just matched");
                let sends = std::mem::take(&mut self.sends);
                Ok(Some(AnalysisResult {
                    summary: head.summary,
                    sends,
                    errors: Vec::new(),
                    source_names: head.source_names,
                    rules: head.rules,
                }))
            }
            _ => Ok(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample_result() -> AnalysisResult {
        let sample = include_bytes!("sample/field-report.jsonl");
        let mut analysis = sendas_core::Analysis::default();
        let meta = sendas_core::SourceMeta { name: "sample".into(), exported_at: None };
        analysis.read_source(meta, sample).unwrap();
        let mut result = analysis.finish();
        // Rejected records stay in the worker (the summary lists the first ones).
        result.errors.clear();
        result
    }

    fn assemble(parts: &[Vec<u8>]) -> Vec<Option<FromWorker>> {
        let mut assembler = ResultAssembler::default();
        parts.iter().map(|part| assembler.part(part)).collect()
    }

    #[test]
    fn the_result_survives_the_trip_in_parts() {
        let result = sample_result();
        let n = result.sends.len();
        assert!(n > 10);
        for per_part in [1, 3, n - 1, n, SENDS_PER_PART] {
            let parts = encode_result(&result, per_part);
            assert_eq!(parts.len(), 1 + n.div_ceil(per_part), "{per_part}");
            let replies = assemble(&parts);
            assert!(replies[..parts.len() - 1].iter().all(Option::is_none), "nothing before the last part");
            assert_eq!(replies.last().unwrap(), &Some(FromWorker::Done(Box::new(result.clone()))), "{per_part}");
        }
        let none = AnalysisResult { sends: Vec::new(), ..result };
        assert_eq!(assemble(&encode_result(&none, 3)), vec![Some(FromWorker::Done(Box::new(none)))]);
    }

    #[test]
    fn a_damaged_result_is_a_failure_not_a_panic() {
        let result = sample_result();
        let parts = encode_result(&result, 5);
        let failed = |replies: Vec<Option<FromWorker>>| matches!(replies.last(), Some(Some(FromWorker::Failed { message })) if message.starts_with("unreadable result from the worker"));
        let cut = |bytes: &[u8]| bytes[..bytes.len() / 2].to_vec();
        assert!(failed(assemble(&[cut(&parts[0])])), "a cut head");
        assert!(failed(assemble(&[parts[0].clone(), cut(&parts[1])])), "a cut part");
        assert!(failed(assemble(&[parts[0].clone(), sendas_core::report::codec::encode_sends(&[])])), "an empty part");
        assert!(failed(assemble(&[parts[0].clone(), b"[]".to_vec()])), "a JSON part");
        assert!(failed(assemble(&[parts[0].clone(), parts[0].clone()])), "a second head");
        let mut too_many = parts.clone();
        too_many.insert(2, parts[1].clone());
        let replies = assemble(&too_many);
        assert!(replies.iter().flatten().any(|r| matches!(r, FromWorker::Failed { .. })), "more sends than announced");
        assert!(failed(assemble(&[b"{\"summary\":".to_vec()])));
        // After a failure the next result is read afresh.
        let mut assembler = ResultAssembler::default();
        assembler.part(&cut(&parts[0]));
        let replies: Vec<_> = parts.iter().map(|p| assembler.part(p)).collect();
        assert_eq!(replies.last().unwrap(), &Some(FromWorker::Done(Box::new(result))));
    }

    #[test]
    fn the_small_messages_stay_json_text() {
        for message in [
            FromWorker::Ready,
            FromWorker::Progress(Progress { file: "a.csv".into(), bytes: 1, total: 2, rows: 3 }),
            FromWorker::RawRecord { index: 7, text: Some("{\"Operation\":\"SendAs\"}".into()) },
            FromWorker::RawRecord { index: 8, text: None },
            FromWorker::Failed { message: "a.csv: the file is empty".into() },
        ] {
            let text = serde_json::to_string(&message).unwrap();
            assert_eq!(serde_json::from_str::<FromWorker>(&text).unwrap(), message);
        }
    }

    #[test]
    fn every_request_survives_the_trip() {
        let mut mine = RuleSet::default();
        mine.rules.swap(0, 1);
        for (request, handles) in [
            (ToWorker::Analyse { files: 0, rules: RuleSet::default(), helpers: 0 }, 0),
            (ToWorker::Serve { rules: RuleSet::default() }, 0),
            (ToWorker::Analyse { files: 3, rules: mine.clone(), helpers: 3 }, 3),
            (ToWorker::Sample { rules: RuleSet::default() }, 0),
            (ToWorker::Reclassify { rules: mine }, 0),
            (ToWorker::RawRecord { index: 0 }, 0),
            (ToWorker::RawRecord { index: usize::MAX }, 0),
        ] {
            let text = request.encode();
            assert_eq!(ToWorker::decode(&text, handles), Ok(request), "{text}");
        }
        let empty = RuleSet { rules: Vec::new() };
        assert_eq!(
            ToWorker::Analyse { files: 2, rules: empty.clone(), helpers: 1 }.encode(),
            r#"{"kind":"analyse","files":2,"rules":{"rules":[]},"helpers":1}"#
        );
        assert_eq!(ToWorker::Reclassify { rules: empty }.encode(), r#"{"kind":"reclassify","rules":{"rules":[]}}"#);
        assert_eq!(ToWorker::RawRecord { index: 4 }.encode(), r#"{"kind":"raw-record","index":4}"#);
    }

    #[test]
    fn a_malformed_request_is_rejected_not_a_panic() {
        for text in [
            "",
            "null",
            "[]",
            "{}",
            "{\"kind\":\"format-disk\"}",
            "{\"kind\":\"raw-record\"}",
            "{\"kind\":\"raw-record\",\"index\":-1}",
            "{\"kind\":\"raw-record\",\"index\":1.5}",
            "{\"kind\":\"raw-record\",\"index\":\"3\"}",
            "{\"kind\":\"raw-record\",\"index\":1e400}",
            "{\"kind\":\"analyse\",\"files\":2,\"extra\":1}",
            "{\"kind\":\"sample\"",
            "{\"kind\":\"sample\"}",
            "{\"kind\":\"reclassify\",\"rules\":{\"rules\":[{\"name\":\"x\"}]}}",
            "\u{0}\u{ffff}",
        ] {
            assert!(ToWorker::decode(text, 0).is_err(), "{text:?} was accepted");
        }
        // The handles that came must be the ones announced.
        let rules = || RuleSet::default();
        assert!(ToWorker::decode(&ToWorker::Analyse { files: 2, rules: rules(), helpers: 0 }.encode(), 1).is_err());
        assert!(ToWorker::decode(&ToWorker::Analyse { files: 1, rules: rules(), helpers: 0 }.encode(), 2).is_err());
        assert!(ToWorker::decode(&ToWorker::Sample { rules: rules() }.encode(), 1).is_err());
        assert!(ToWorker::decode(&ToWorker::Reclassify { rules: rules() }.encode(), 1).is_err());
    }
}
