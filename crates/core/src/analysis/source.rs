//! What the analysis knows of each input: given before reading, and learnt while reading.

use chrono::{DateTime, Utc};

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
}

impl SourceState {
    pub fn new(mut meta: SourceMeta) -> Self {
        // Whole seconds: a browser knows a file's time to the millisecond, the CLI to the
        // nanosecond; the reports must not differ for it.
        if let Some((t, origin)) = meta.exported_at {
            meta.exported_at = DateTime::<Utc>::from_timestamp(t.timestamp(), 0).map(|t| (t, origin));
        }
        Self { meta, format: None, stats: IngestStats::default(), first: None, last: None, error: None, cut_values: 0 }
    }

    /// Widens the input's time range to take in a record.
    pub fn saw(&mut self, time: i64) {
        self.first = Some(self.first.map_or(time, |f| f.min(time)));
        self.last = Some(self.last.map_or(time, |l| l.max(time)));
    }
}
