//! What the analysis knows of each input: given before reading, and learnt while reading.

use chrono::{DateTime, Utc};

use crate::ingest::split::PartEnd;
use crate::ingest::{FatalError, Format, IngestStats};
use crate::report::ExportTimeOrigin;

/// What is known about an input before reading it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceMeta {
    /// File name, without directories.
    pub name: String,
    /// When the export was taken, and how that is known.
    pub exported_at: Option<(DateTime<Utc>, ExportTimeOrigin)>,
}

/// One input of an analysis, as far as it has been read.
pub(crate) struct SourceState {
    pub meta: SourceMeta,
    pub format: Option<Format>,
    pub stats: IngestStats,
    /// Earliest and latest record time (Unix seconds), duplicates included.
    pub first: Option<i64>,
    pub last: Option<i64>,
    /// Why the input is unusable, if it is.
    pub error: Option<FatalError>,
    /// Values of its records cut to the length an analysis keeps.
    pub cut_values: u64,
    /// How reading it ended, as a part (where the next part of the same input may join).
    pub part_end: PartEnd,
}

impl SourceState {
    pub fn new(mut meta: SourceMeta) -> Self {
        // Whole seconds: a browser knows a file's time to the millisecond, the CLI to the
        // nanosecond; the reports must not differ for it.
        if let Some((t, origin)) = meta.exported_at {
            meta.exported_at = DateTime::<Utc>::from_timestamp(t.timestamp(), 0).map(|t| (t, origin));
        }
        Self {
            meta,
            format: None,
            stats: IngestStats::default(),
            first: None,
            last: None,
            error: None,
            cut_values: 0,
            part_end: PartEnd::default(),
        }
    }

    /// Widens the input's time range to take in a record.
    pub fn saw(&mut self, time: i64) {
        self.first = Some(self.first.map_or(time, |f| f.min(time)));
        self.last = Some(self.last.map_or(time, |l| l.max(time)));
    }

    /// Takes in the next part of the same input (read after this one, verified to continue it):
    /// counts add up, time ranges widen, the first part's header findings stay.
    pub fn continue_with(&mut self, later: SourceState) {
        let (stats, more) = (&mut self.stats, later.stats);
        stats.bytes += more.bytes;
        stats.rows_read += more.rows_read;
        stats.accepted += more.accepted;
        stats.rejected += more.rejected;
        stats.ambiguous_dates += more.ambiguous_dates;
        stats.repaired_text += more.repaired_text;
        for time in later.first.into_iter().chain(later.last) {
            self.saw(time);
        }
        self.cut_values += later.cut_values;
        self.format = self.format.or(later.format);
        self.error = self.error.take().or(later.error);
        let (mine, next) = (self.part_end, later.part_end);
        self.part_end = PartEnd {
            at_row_boundary: next.at_row_boundary,
            line_breaks: mine.line_breaks + next.line_breaks,
            head_line_breaks: mine.head_line_breaks,
            // The first order shown wins, as in one pass.
            date_order: mine.date_order.or(next.date_order),
            date_order_consulted: mine.date_order_consulted || next.date_order_consulted,
        };
    }
}
