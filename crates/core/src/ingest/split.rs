//! Cutting one CSV input into parts that are read at the same time, on several cores.
//!
//! A part must begin where a row begins, but a line break inside a quoted AuditData cell is not
//! a row's end, and whether a byte is inside quotes depends on every byte before it. So, as
//! parallel CSV readers do (DuckDB's; Ge et al., "Speculative Distributed CSV Data Parsing",
//! SIGMOD 2019), the cut is *speculated* and then *verified*:
//!
//! - [`Splitter::boundary_in`] takes a window of bytes near a wanted cut and picks the first
//!   line start from which the next rows read as whole rows of the header's width.
//! - Each part is read from its start by its own [`Ingestor`], primed with the input's head
//!   (the bytes up to the first data row: BOM, header) so it knows the columns
//!   ([`Ingestor::resume`]).
//! - A part that is not the last reports where it stopped ([`Ingestor::part_end`]). Part 0
//!   starts where the input starts, so its reading is the true one; if it stops exactly between
//!   two rows, part 1 began at a true row start, and so on, part by part. If any part stops
//!   inside a row, the speculation was wrong (a quoted cell that held lines looking like rows)
//!   and the join refuses ([`Analysis::join_parts`](crate::Analysis::join_parts)): the input is
//!   read again in one pass. A wrong guess costs time, never a wrong answer.
//!
//! Only UTF-8 CSV is cut: a UTF-16 line break is two bytes, and a JSON array's records can span
//! any number of lines.

use csv_core::{ReadRecordResult, ReaderBuilder};
use memchr::memchr;

use super::csv_table::guess_delimiter;
use super::format::looks_like_json;
use super::{EventSink, IngestStats, Ingestor, PlainRecord, RowError, Stage};
use crate::model::AuditEvent;
use crate::time::DateOrder;

/// Bytes to read at a wanted cut for [`Splitter::boundary_in`] to find a row start in.
pub const SPLIT_WINDOW: usize = 256 * 1024;

/// The smallest part worth a core of its own: below this, starting a part costs more than it
/// saves.
pub const MIN_PART_BYTES: u64 = 4 << 20;

/// Line starts tried in one window before giving up on a cut there.
const CANDIDATES: usize = 64;

/// Whole rows of the header's width that must follow a candidate row start.
const ROWS_TO_CHECK: usize = 2;

/// Where an input may be cut: its head, and how to recognise a row start.
///
/// ```
/// use sendas_core::ingest::split::Splitter;
///
/// let export = b"CreationDate,UserIds,Operations,AuditData\n\
///     2026-11-20T09:00:00,kim@contoso.com,FileAccessed,\"{\"\"Id\"\":\"\"1\"\",\"\"Operation\"\":\"\"FileAccessed\"\"}\"\n\
///     2026-11-20T09:00:01,kim@contoso.com,FileAccessed,\"{\"\"Id\"\":\"\"2\"\",\"\"Operation\"\":\"\"FileAccessed\"\"}\"\n\
///     2026-11-20T09:00:02,kim@contoso.com,FileAccessed,\"{\"\"Id\"\":\"\"3\"\",\"\"Operation\"\":\"\"FileAccessed\"\"}\"\n";
/// let splitter = Splitter::new(export).unwrap();
/// assert_eq!(splitter.head_len(), 42);
/// // A window starting mid-row: the next row start is found.
/// let at = 50;
/// let start = at + splitter.boundary_in(&export[at..]).unwrap();
/// assert_eq!(&export[start..start + 19], b"2026-11-20T09:00:01");
/// let parts = splitter.parts(export.len() as u64, [start as u64]);
/// assert_eq!(parts, vec![0..start as u64, start as u64..export.len() as u64]);
///
/// // JSON is not cut.
/// assert!(Splitter::new(b"[{\"Id\":\"1\"}]").is_none());
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Splitter {
    head_len: usize,
    delimiter: u8,
    columns: usize,
}

impl Splitter {
    /// Reads the head of an input from its first bytes (the header must be whole in them: a
    /// megabyte is plenty). `None` when the input cannot be cut: JSON, UTF-16, no header line
    /// in these bytes, or a header the reader does not take.
    pub fn new(first_bytes: &[u8]) -> Option<Self> {
        if first_bytes.starts_with(&[0xFF, 0xFE]) || first_bytes.starts_with(&[0xFE, 0xFF]) {
            return None;
        }
        let bom = if first_bytes.starts_with(b"\xEF\xBB\xBF") { 3 } else { 0 };
        let text = &first_bytes[bom..];
        let first = text.iter().position(|b| !b.is_ascii_whitespace())?;
        if looks_like_json(&text[first..]) != Some(false) {
            return None;
        }
        let line_end = first + memchr(b'\n', &text[first..])?;
        let delimiter = guess_delimiter(&text[first..line_end]);
        let (used, columns) = first_row(&text[first..], delimiter)?;
        let mut head_len = bom + first + used;
        // csv-core ends a row at the `\r` of a `\r\n`; the `\n` belongs to the head.
        if first_bytes.get(head_len - 1) == Some(&b'\r') && first_bytes.get(head_len) == Some(&b'\n') {
            head_len += 1;
        }
        if first_bytes.get(head_len - 1) != Some(&b'\n') {
            return None;
        }
        // The reader itself must agree: primed with the head, it has read the header and no
        // row, and stands between rows.
        Ingestor::resume(0, usize::MAX, true, &first_bytes[..head_len])?;
        Some(Self { head_len, delimiter, columns })
    }

    /// Bytes of the head: what each part's reader is primed with ([`Ingestor::resume`]).
    pub fn head_len(&self) -> usize {
        self.head_len
    }

    /// Where to look for cuts for `parts` parts of an input of `size` bytes: evenly spaced,
    /// and no more than parts of [`MIN_PART_BYTES`] allow. Read [`SPLIT_WINDOW`] bytes at each
    /// and hand them to [`Splitter::boundary_in`].
    pub fn cut_points(&self, size: u64, parts: usize) -> Vec<u64> {
        let parts = (parts as u64).min(size / MIN_PART_BYTES).max(1);
        (1..parts).map(|k| size / parts * k).filter(|&at| at > self.head_len as u64).collect()
    }

    /// The first row start in `window` (bytes read from the input at a wanted cut), as an
    /// offset into it: a line start from which the next rows read as whole rows with as many
    /// fields as the header. A speculation, verified when the parts are joined. `None` when no
    /// line start in the window looks like one (rows larger than the window, a malformed
    /// stretch): no cut there.
    pub fn boundary_in(&self, window: &[u8]) -> Option<usize> {
        let mut from = 0;
        for _ in 0..CANDIDATES {
            let start = from + memchr(b'\n', &window[from..])? + 1;
            if self.rows_look_whole(&window[start..]) {
                return Some(start);
            }
            from = start;
        }
        None
    }

    /// The parts, as byte ranges, from the row starts found (absolute offsets, in any order):
    /// from the input's start to the first cut, cut to cut, the last cut to the end. Cuts in
    /// the head or at the end are dropped.
    pub fn parts(&self, size: u64, cuts: impl IntoIterator<Item = u64>) -> Vec<std::ops::Range<u64>> {
        let mut cuts: Vec<u64> = cuts.into_iter().filter(|&c| c > self.head_len as u64 && c < size).collect();
        cuts.sort_unstable();
        cuts.dedup();
        let starts = std::iter::once(0).chain(cuts.iter().copied());
        let ends = cuts.iter().copied().chain(std::iter::once(size));
        starts.zip(ends).map(|(start, end)| start..end).collect()
    }

    /// Whether the text starts with [`ROWS_TO_CHECK`] whole rows of the header's width.
    fn rows_look_whole(&self, text: &[u8]) -> bool {
        let mut reader = ReaderBuilder::new().delimiter(self.delimiter).build();
        let mut out = vec![0; text.len().min(1 << 20) + 1];
        let mut ends = vec![0; self.columns + 1];
        let mut at = 0;
        for _ in 0..ROWS_TO_CHECK {
            let (result, used, written, fields) = reader.read_record(&text[at..], &mut out, &mut ends);
            at += used;
            // csv-core only ends a row at its terminator: a row cut by the window's end is not one.
            let whole = result == ReadRecordResult::Record;
            if !whole || fields != self.columns || (fields == 1 && written == 0) {
                return false;
            }
        }
        true
    }
}

/// Reads the first non-blank row: the bytes it took and its number of fields.
fn first_row(text: &[u8], delimiter: u8) -> Option<(usize, usize)> {
    let mut reader = ReaderBuilder::new().delimiter(delimiter).build();
    let mut out = vec![0; text.len() + 1];
    let mut ends = vec![0; super::csv_table::MAX_FIELDS];
    let mut at = 0;
    loop {
        let (result, used, written, fields) = reader.read_record(&text[at..], &mut out, &mut ends);
        at += used;
        match result {
            ReadRecordResult::Record if fields == 1 && written == 0 => continue,
            ReadRecordResult::Record => return Some((at, fields)),
            _ => return None,
        }
    }
}

/// How reading a part of an input ended: whether it stopped between two rows, and what the
/// join needs to place the next part.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PartEnd {
    /// The part's bytes end exactly after a row's line break (a CSV input; never JSON).
    pub at_row_boundary: bool,
    /// Line breaks in the part's own bytes (the head it was primed with aside).
    pub line_breaks: u64,
    /// Line breaks in the head it was primed with (0 for the part that starts the input): its
    /// line numbers count them.
    pub head_line_breaks: u64,
    /// The day/month order its rows showed, if they did.
    pub date_order: Option<DateOrder>,
    /// It read an ambiguous date in the order known at the time: its answer depends on what
    /// the parts before it showed.
    pub date_order_consulted: bool,
}

/// A sink for the head, which holds no record.
struct Discard;

impl EventSink for Discard {
    fn event(&mut self, _: AuditEvent) {}
    fn plain(&mut self, _: PlainRecord<'_>) {}
    fn rejected(&mut self, _: RowError) {}
}

impl Ingestor {
    /// A reader for a part of input `file` that starts at a row start, primed with the input's
    /// `head` ([`Splitter::head_len`] bytes): it knows the encoding, the format and the
    /// columns, counts only the part's own bytes and rows, and numbers lines from the head's
    /// end (the join adds the lines of the parts before). `None` when the head is not exactly
    /// a header: a data row in it, or no header at all.
    pub fn resume(file: u32, record_limit: usize, fast_lane: bool, head: &[u8]) -> Option<Self> {
        let mut ingestor = Self::with_record_limit(file, record_limit);
        ingestor.set_fast_lane(fast_lane);
        ingestor.push(head, &mut Discard).ok()?;
        let Stage::Csv(stage) = &ingestor.stage else {
            return None;
        };
        let stats = &ingestor.rows.stats;
        if !stage.at_row_boundary() || stats.rows_read != 0 || stats.rejected != 0 {
            return None;
        }
        ingestor.head_line_breaks = stage.line_breaks();
        // The first part reports the header's findings (repeated columns).
        ingestor.rows.stats = IngestStats::default();
        Some(ingestor)
    }

    /// Where reading stands, as a part: call it after the part's last byte, before
    /// [`Ingestor::finish`] (which would end a row cut at the part's end as if the input ended).
    pub fn part_end(&self) -> PartEnd {
        let (at_row_boundary, breaks) = match &self.stage {
            Stage::Csv(stage) => (stage.at_row_boundary(), stage.line_breaks()),
            Stage::Sniffing(_) | Stage::Json(_) => (false, 0),
        };
        PartEnd {
            at_row_boundary,
            line_breaks: breaks - self.head_line_breaks,
            head_line_breaks: self.head_line_breaks,
            date_order: self.rows.hint.learned(),
            date_order_consulted: self.rows.hint.consulted,
        }
    }
}
