//! Messages between the page and the analysis worker.
//!
//! Page → worker: a JS object `{kind: "analyse", files: [File, …]}` or `{kind: "sample"}`
//! (File handles cross by structured clone; the bytes never pass through the page).
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
pub const SLICE_BYTES: f64 = 16.0 * 1024.0 * 1024.0;

/// The result as the worker sends it, in one buffer:
///
/// - a `u32` (little-endian): the length of the JSON that follows;
/// - the JSON of the [`Payload`] itself, the sends' raw records taken out (not wrapped in the
///   tagged [`FromWorker`], whose decoding would buffer the whole payload once more);
/// - per send, a `u32`: its raw record's length plus one, or 0 when it has none;
/// - the raw records, back to back.
///
/// Raw records are most of the result (58 % of it at 100k records) and JSON inside JSON would
/// escape every quote in them, only for the page to unescape it again.
pub fn encode_payload(mut payload: Payload) -> Vec<u8> {
    let raws: Vec<Option<String>> = payload.sends.iter_mut().map(|send| send.event.raw.take()).collect();
    // Serialising plain data into a Vec cannot fail.
    let json = serde_json::to_vec(&payload).unwrap_or_default();
    let raw_bytes: usize = raws.iter().flatten().map(String::len).sum();
    let mut out = Vec::with_capacity(4 + json.len() + 4 * raws.len() + raw_bytes);
    out.extend_from_slice(&(json.len() as u32).to_le_bytes());
    out.extend_from_slice(&json);
    for raw in &raws {
        let tag = raw.as_ref().map_or(0, |r| r.len() as u32 + 1);
        out.extend_from_slice(&tag.to_le_bytes());
    }
    for raw in raws.iter().flatten() {
        out.extend_from_slice(raw.as_bytes());
    }
    out
}

/// The page's side of [`encode_payload`].
pub fn decode_payload(bytes: &[u8]) -> FromWorker {
    match split_payload(bytes) {
        Ok(payload) => FromWorker::Done(Box::new(payload)),
        Err(reason) => FromWorker::Failed { message: format!("unreadable result from the worker: {reason}") },
    }
}

fn split_payload(bytes: &[u8]) -> Result<Payload, String> {
    let (length, rest) = take_u32(bytes).ok_or("no length")?;
    let json = rest.get(..length as usize).ok_or("the JSON is cut short")?;
    let mut payload: Payload = serde_json::from_slice(json).map_err(|e| e.to_string())?;
    let mut tags = &rest[json.len()..];
    let mut raws = tags.get(4 * payload.sends.len()..).ok_or("the raw record table is cut short")?;
    for send in &mut payload.sends {
        let (tag, next) = take_u32(tags).ok_or("the raw record table is cut short")?;
        tags = next;
        if let Some(length) = (tag as usize).checked_sub(1) {
            let raw = raws.get(..length).ok_or("a raw record is cut short")?;
            send.event.raw = Some(std::str::from_utf8(raw).map_err(|e| e.to_string())?.to_owned());
            raws = &raws[length..];
        }
    }
    if raws.is_empty() {
        Ok(payload)
    } else {
        Err(format!("{} bytes left over", raws.len()))
    }
}

fn take_u32(bytes: &[u8]) -> Option<(u32, &[u8])> {
    let (head, rest) = bytes.split_first_chunk::<4>()?;
    Some((u32::from_le_bytes(*head), rest))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_result_survives_the_trip_as_bytes() {
        let sample = include_bytes!("sample/field-report.jsonl");
        let mut analysis = sendas_core::Analysis::default();
        let meta = sendas_core::SourceMeta { name: "sample".into(), exported_at: None };
        analysis.read_source(meta, sample).unwrap();
        let result = analysis.finish();
        let payload = Payload { summary: result.summary, sends: result.sends, source_names: result.source_names };
        assert!(payload.sends.iter().any(|s| s.event.raw.is_some()));
        let mut some_without_raw = payload.clone();
        some_without_raw.sends[1].event.raw = None;
        some_without_raw.sends[2].event.raw = Some(String::new());
        for payload in [payload, some_without_raw] {
            assert_eq!(decode_payload(&encode_payload(payload.clone())), FromWorker::Done(Box::new(payload)));
        }
    }

    #[test]
    fn a_damaged_result_is_a_failure_not_a_panic() {
        let sample = include_bytes!("sample/field-report.jsonl");
        let mut analysis = sendas_core::Analysis::default();
        analysis.read_source(sendas_core::SourceMeta { name: "sample".into(), exported_at: None }, sample).unwrap();
        let result = analysis.finish();
        let bytes = encode_payload(Payload { summary: result.summary, sends: result.sends, source_names: result.source_names });
        let mut longer = bytes.clone();
        longer.push(b'x');
        let mut not_utf8 = bytes.clone();
        *not_utf8.last_mut().unwrap() = 0xFF;
        let damaged = [&bytes[..3], &bytes[..bytes.len() / 2], &bytes[..bytes.len() - 1], &longer, &not_utf8, b"{\"summary\":"];
        for damaged in damaged {
            let FromWorker::Failed { message } = decode_payload(damaged) else {
                panic!("a damaged result must fail");
            };
            assert!(message.starts_with("unreadable result from the worker"), "{message}");
        }
    }

    #[test]
    fn the_small_messages_stay_json_text() {
        let progress = FromWorker::Progress { file: "a.csv".into(), bytes: 1, total: 2, rows: 3 };
        let text = serde_json::to_string(&progress).unwrap();
        assert_eq!(serde_json::from_str::<FromWorker>(&text).unwrap(), progress);
    }
}
