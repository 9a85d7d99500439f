//! What an input turned out to be, and how much of it was read.

use serde::{Deserialize, Serialize};

/// What an input turned out to be and how much of it was read.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IngestStats {
    /// Bytes pushed so far.
    pub bytes: u64,
    /// Records read: CSV data rows (blank lines aside) and JSON records.
    pub rows_read: u64,
    /// Records handed to the sink as events.
    pub accepted: u64,
    /// Records handed to the sink as errors.
    pub rejected: u64,
    /// Rows whose only timestamp was an ambiguous locale date, read month-first
    /// because the input never showed its order.
    pub ambiguous_dates: u64,
    /// Records whose text had to be repaired to be read: bytes that are not UTF-8, or a lone
    /// surrogate escape (half an emoji), became U+FFFD.
    pub repaired_text: u64,
    /// CSV columns named more than once (the first of each is used).
    pub duplicate_columns: Vec<String>,
}
