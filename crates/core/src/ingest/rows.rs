//! What every record of an input goes through, whichever stage split it out: mapping to an
//! event, counting, and the hand-over to the sink.

use super::error::{FatalError, RowError, RowErrorKind};
use super::fields::{
    build_event, pick, reads_details, Built, DateOrderHint, EventContext, FieldId, MappingNotes, RecordFields,
};
use super::format::Format;
use super::sink::EventSink;
use super::stats::IngestStats;
use crate::model::SourceRef;

/// The per-input state records are read with, owned by the [`Ingestor`](super::Ingestor) beside
/// its stage.
pub(crate) struct RowState {
    /// The input's number, carried by every event and error.
    pub file: u32,
    /// Whether the fast lanes may take records (the answers are the same either way).
    pub fast_lane: bool,
    /// Largest record kept, in bytes.
    pub limit: usize,
    /// The format, once the content has shown it.
    pub format: Option<Format>,
    pub stats: IngestStats,
    /// The day/month order ambiguous dates are read in, as this input has shown it.
    pub hint: DateOrderHint,
    pub notes: MappingNotes,
    /// Why the input is unusable, once it is known to be.
    pub fatal: Option<FatalError>,
    /// The record being read had bytes that are not UTF-8 (now U+FFFD); counted if it is accepted.
    pub invalid_utf8: bool,
}

impl RowState {
    pub(crate) fn new(file: u32, limit: usize) -> Self {
        Self {
            file,
            fast_lane: true,
            limit,
            format: None,
            stats: IngestStats::default(),
            hint: DateOrderHint::default(),
            notes: MappingNotes::default(),
            fatal: None,
            invalid_utf8: false,
        }
    }

    /// Rejects the record starting on `line`.
    pub(crate) fn reject(&mut self, sink: &mut dyn EventSink, line: u64, kind: RowErrorKind) {
        self.invalid_utf8 = false;
        self.stats.rejected += 1;
        sink.rejected(RowError { source: SourceRef { file: self.file, line }, kind });
    }

    /// Maps a record's fields to an event and hands it over, or rejects it with the reason.
    pub(crate) fn accept_fields(
        &mut self,
        sink: &mut dyn EventSink,
        fields: &RecordFields<'_>,
        line: u64,
        raw: &dyn Fn() -> String,
    ) {
        let repaired = std::mem::take(&mut self.invalid_utf8) || fields.was_repaired();
        let ctx = EventContext { source: SourceRef { file: self.file, line }, raw };
        match build_event(fields, &ctx, &mut self.hint, &mut self.notes) {
            Ok(Built::Event(event)) => {
                self.stats.accepted += 1;
                self.stats.repaired_text += u64::from(repaired);
                sink.event(*event);
            }
            Ok(Built::Plain(record)) => {
                self.stats.accepted += 1;
                self.stats.repaired_text += u64::from(repaired);
                sink.plain(record);
            }
            Err(kind) => self.reject(sink, line, kind),
        }
    }
}

/// Whether a skimmed record may be accepted as it is: it has an operation, and not one whose
/// details are read (those, and a missing operation's error, are the full parse's).
pub(crate) fn fast_lane_takes(record: &RecordFields<'_>) -> bool {
    pick(record, record.inner.as_deref(), FieldId::Operation).is_some_and(|operation| !reads_details(operation))
}
