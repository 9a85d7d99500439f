//! Reading audit exports: bytes in, [`AuditEvent`](crate::model::AuditEvent)s and
//! [`RowError`]s out.
//!
//! An [`Ingestor`] reads one input. Feed it chunks of any size with
//! [`Ingestor::push`] (a browser file slice, a CLI read buffer), then call
//! [`Ingestor::finish`]. It decides the encoding from the first bytes and the
//! [`Format`] from the content (never the file name), and hands every record to
//! an [`EventSink`] as soon as it is complete: memory stays bounded by the
//! largest record, and [`Ingestor::stats`]' `bytes` is the progress.
//!
//! Results do not depend on how the input is cut into chunks; the tests check it.
//!
//! This file is the state machine (sniffing, then a CSV or a JSON stage). The rooms, leaves
//! first: [`error`] and [`sink`] and [`stats`] (shared types), [`mod@format`] (the formats and
//! their detection table), `decode` (encodings), `csv_table` and `json_records` (splitting
//! text into records), `skim` (the fast lane's scan), `fields` (vocabulary, record parsing,
//! event building), `rows` (what every record goes through), `csv_stage` and `json_stage`;
//! [`split`] (where a CSV input may be cut to be read on several cores).

mod csv_stage;
mod csv_table;
mod decode;
pub mod error;
pub(crate) mod fields;
pub mod format;
mod json_records;
mod json_stage;
mod rows;
pub mod sink;
mod skim;
pub mod split;
pub mod stats;

use csv_stage::CsvStage;
use decode::TextDecoder;
pub use decode::TextEncoding;
pub use error::{FatalError, JsonPart, RowError, RowErrorKind};
use fields::clip;
use format::looks_like_json;
pub use format::{Format, PURVIEW_EXPORT_CAP};
use json_stage::JsonStage;
use rows::RowState;
pub use sink::{EventSink, PlainRecord};
pub use stats::IngestStats;

/// Largest record kept, in bytes. Real audit records are kilobytes (Excel caps a cell at 32 KB,
/// and a 10 MB cell still reads); a larger one is skipped, so a hostile or corrupt file cannot
/// make the reader hold gigabytes.
pub const MAX_RECORD_BYTES: usize = 64 << 20;

/// Bytes read before deciding that a header line will never end.
const MAX_HEADER: usize = 1 << 20;

/// Where reading an input stands.
enum Stage {
    /// Holding the first bytes until they show whether the text is CSV or JSON.
    Sniffing(Vec<u8>),
    Csv(Box<CsvStage>),
    Json(Box<JsonStage>),
}

/// Reads one input, push-style.
///
/// ```
/// use sendas_core::ingest::{EventSink, Format, Ingestor, RowError};
/// use sendas_core::model::AuditEvent;
///
/// /// Keeps what it is handed.
/// #[derive(Default)]
/// struct Collect { events: Vec<AuditEvent>, errors: Vec<RowError> }
/// impl EventSink for Collect {
///     fn event(&mut self, event: AuditEvent) { self.events.push(event) }
///     fn rejected(&mut self, error: RowError) { self.errors.push(error) }
/// }
///
/// let export = b"{\"Id\":\"1\",\"CreationTime\":\"2026-11-20T09:00:00\",\"Operation\":\"SendAs\",\"UserId\":\"kim@contoso.com\"}\n\
///                {\"Id\":\"2\",\"CreationTime\":\"not a time\",\"Operation\":\"SendAs\"}\n";
/// let mut ingestor = Ingestor::new(0);
/// let mut sink = Collect::default();
/// // Chunks may be cut anywhere, even inside a record.
/// for chunk in export.chunks(7) {
///     ingestor.push(chunk, &mut sink).unwrap();
/// }
/// let stats = ingestor.finish(&mut sink).unwrap();
/// assert_eq!(ingestor.format(), Some(Format::Ndjson));
/// assert_eq!((stats.rows_read, stats.accepted, stats.rejected), (2, 1, 1));
/// assert_eq!(sink.events[0].actor.as_deref(), Some("kim@contoso.com"));
/// assert_eq!(sink.errors[0].source.line, 2);
/// ```
pub struct Ingestor {
    decoder: TextDecoder,
    /// The decoder's output buffer, reused chunk after chunk.
    scratch: Vec<u8>,
    stage: Stage,
    rows: RowState,
    /// Line breaks in the head a part's reader was primed with ([`Ingestor::resume`]).
    head_line_breaks: u64,
}

impl Ingestor {
    /// A reader for input number `file` (the index events and errors will carry).
    pub fn new(file: u32) -> Self {
        Self::with_record_limit(file, MAX_RECORD_BYTES)
    }

    /// A reader that skips records larger than `record_limit` bytes (tests use a small one).
    pub fn with_record_limit(file: u32, record_limit: usize) -> Self {
        Self {
            decoder: TextDecoder::new(),
            scratch: Vec::new(),
            stage: Stage::Sniffing(Vec::new()),
            rows: RowState::new(file, record_limit),
            head_line_breaks: 0,
        }
    }

    /// Turns the fast lane on (the default) or off. Off, every record takes the full parse; the
    /// answers are the same either way (the tests compare them), only the speed differs.
    pub fn set_fast_lane(&mut self, on: bool) {
        self.rows.fast_lane = on;
    }

    /// The format, once the content has shown it.
    pub fn format(&self) -> Option<Format> {
        self.rows.format
    }

    /// The text encoding, once the first bytes have shown it.
    pub fn encoding(&self) -> Option<TextEncoding> {
        self.decoder.encoding()
    }

    /// Counts so far.
    pub fn stats(&self) -> IngestStats {
        IngestStats { ambiguous_dates: self.rows.notes.ambiguous_dates, ..self.rows.stats.clone() }
    }

    /// Reads the next chunk. An `Err` means the input is unusable; later calls return it again.
    pub fn push(&mut self, chunk: &[u8], sink: &mut dyn EventSink) -> Result<(), FatalError> {
        if let Some(fatal) = &self.rows.fatal {
            return Err(fatal.clone());
        }
        self.rows.stats.bytes += chunk.len() as u64;
        let mut scratch = std::mem::take(&mut self.scratch);
        let result = match self.decoder.push(chunk, &mut scratch) {
            Ok(text) => {
                self.feed_text(text, sink, false);
                Ok(())
            }
            Err(fatal) => Err(fatal),
        };
        self.scratch = scratch;
        if let Err(fatal) = result {
            self.rows.fatal = Some(fatal);
        }
        self.rows.fatal.clone().map_or(Ok(()), Err)
    }

    /// Ends the input: flushes the last record and reports the totals.
    pub fn finish(&mut self, sink: &mut dyn EventSink) -> Result<IngestStats, FatalError> {
        if let Some(fatal) = &self.rows.fatal {
            return Err(fatal.clone());
        }
        let mut scratch = std::mem::take(&mut self.scratch);
        match self.decoder.finish(&mut scratch) {
            Ok(text) => self.feed_text(text, sink, true),
            Err(fatal) => self.rows.fatal = Some(fatal),
        }
        if self.rows.fatal.is_none() {
            self.flush(sink);
        }
        if let Some(fatal) = &self.rows.fatal {
            return Err(fatal.clone());
        }
        Ok(self.stats())
    }

    fn feed_text(&mut self, text: &[u8], sink: &mut dyn EventSink, at_end: bool) {
        if let Stage::Sniffing(held) = &mut self.stage {
            held.extend_from_slice(text);
            let Some(first) = held.iter().position(|b| !b.is_ascii_whitespace()) else {
                return;
            };
            let looks_json = match looks_like_json(&held[first..]) {
                Some(answer) => answer,
                None if at_end => false,
                None => return,
            };
            let held = std::mem::take(held);
            let limit = self.rows.limit;
            self.stage = match looks_json {
                true => Stage::Json(Box::new(JsonStage::new(limit))),
                false => {
                    let line_end = held[first..].iter().position(|&b| b == b'\n');
                    if line_end.is_none() && held.len() < MAX_HEADER && !at_end {
                        self.stage = Stage::Sniffing(held);
                        return;
                    }
                    let header_line = &held[first..first + line_end.unwrap_or(held.len() - first)];
                    if header_line.iter().any(|&b| b == 0 || (b < 0x09)) {
                        self.rows.fatal = Some(FatalError::NotText { what: "binary data, not a text export" });
                        return;
                    }
                    Stage::Csv(Box::new(CsvStage::new(header_line, limit)))
                }
            };
            return self.feed_stage(&held, sink);
        }
        self.feed_stage(text, sink);
    }

    fn feed_stage(&mut self, text: &[u8], sink: &mut dyn EventSink) {
        match &mut self.stage {
            Stage::Sniffing(_) => unreachable!("feed_stage runs after sniffing"),
            Stage::Csv(stage) => stage.feed(text, &mut self.rows, sink),
            Stage::Json(stage) => stage.feed(text, &mut self.rows, sink),
        }
    }

    fn flush(&mut self, sink: &mut dyn EventSink) {
        match &mut self.stage {
            Stage::Sniffing(held) => {
                self.rows.fatal = Some(if held.iter().all(u8::is_ascii_whitespace) {
                    FatalError::Empty
                } else {
                    FatalError::NotAnAuditExport { seen: clip(&String::from_utf8_lossy(held)) }
                });
            }
            Stage::Csv(stage) => stage.finish(&mut self.rows, sink),
            Stage::Json(stage) => stage.finish(&mut self.rows, sink),
        }
    }
}
