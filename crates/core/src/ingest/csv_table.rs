//! Push-based CSV rows on top of `csv-core`, with the line each row starts on.
//!
//! `csv-core` is an allocation-free state machine: we hand it whatever bytes
//! arrived (a file slice in the browser, a read buffer in the CLI) and it hands
//! back complete records, keeping partial ones across calls. This wrapper owns
//! the growing output buffers, counts lines (so errors carry a position even
//! when quoted fields hold line breaks), and tracks quote parity so a file cut
//! inside a quoted field is reported instead of silently closed.
//!
//! Beside it runs a fast lane for the common case: a one-line record whose fields are plain,
//! except one long quoted column (AuditData). The lane finds the line end with `memchr`, splits
//! the short fields from both ends, and hands the long one over *still escaped* ([`RawRow`]), so
//! it is read in place instead of being copied out by csv-core. The handler either reads the row
//! completely or declines it, and a declined line goes through csv-core as before: csv-core
//! stays the only judge of anything unusual, and of every error.

use csv_core::{ReadRecordResult, Reader, ReaderBuilder};
use memchr::{memchr, memchr2, memrchr};

/// One CSV row, borrowed from the table's buffers.
pub(crate) struct CsvRow<'a> {
    /// 1-based line on which the row starts.
    pub line: u64,
    data: &'a [u8],
    ends: &'a [usize],
    /// The row was larger than the table keeps; its fields were discarded.
    pub overflow: Option<Overflow>,
}

impl<'a> CsvRow<'a> {
    /// Number of fields.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// Field `i`, unescaped.
    pub fn field(&self, i: usize) -> Option<&'a [u8]> {
        let end = *self.ends.get(i)?;
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        Some(&self.data[start..end])
    }

    /// True for the single empty field csv-core reports for a blank line.
    pub fn is_blank(&self) -> bool {
        self.overflow.is_none() && self.ends.len() == 1 && self.ends[0] == 0
    }
}

/// The shape of row the fast lane splits: `columns` fields, of which field `long` may be a
/// quoted cell full of doubled quotes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct FastLayout {
    pub columns: usize,
    pub long: usize,
}

/// Where one field of a [`RawRow`] lies in its line.
#[derive(Clone, Copy, Debug, Default)]
struct Span {
    start: usize,
    end: usize,
    quoted: bool,
}

/// A one-line row split by the fast lane, borrowed from the input as written.
pub(crate) struct RawRow<'a> {
    /// 1-based line of the row.
    pub line: u64,
    text: &'a [u8],
    spans: &'a [Span],
}

impl<'a> RawRow<'a> {
    /// The line, without its terminator.
    pub fn text(&self) -> &'a [u8] {
        self.text
    }

    /// Field `i` as a byte range of [`RawRow::text`], and whether it was quoted. Only the
    /// layout's long field can hold quotes, still doubled; every other field is its value.
    pub fn field(&self, i: usize) -> Option<(std::ops::Range<usize>, bool)> {
        self.spans.get(i).map(|s| (s.start..s.end, s.quoted))
    }
}

/// What a [`CsvTable`] hands its rows to.
pub(crate) trait RowHandler {
    /// A row read by csv-core, unescaped.
    fn row(&mut self, row: CsvRow<'_>);
    /// The fast lane's layout, once the handler knows it (after the header).
    fn layout(&self) -> Option<FastLayout> {
        None
    }
    /// A row split by the fast lane. `false` declines it: csv-core then reads the same line.
    fn raw_row(&mut self, _row: RawRow<'_>) -> bool {
        false
    }
}

impl<F: FnMut(CsvRow<'_>)> RowHandler for F {
    fn row(&mut self, row: CsvRow<'_>) {
        self(row)
    }
}

/// Why a row was too large to keep.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Overflow {
    /// More bytes than the table's limit.
    Bytes,
    /// More fields than [`MAX_FIELDS`].
    Fields,
}

/// Incremental CSV reader.
pub(crate) struct CsvTable {
    reader: Reader,
    out: Vec<u8>,
    out_len: usize,
    ends: Vec<usize>,
    ends_len: usize,
    /// `\n` bytes consumed so far (csv-core's count).
    newlines: u64,
    last_byte: Option<u8>,
    /// Odd when the current record has an unclosed quote so far.
    quotes: u64,
    /// True once the current record has consumed any byte.
    in_record: bool,
    /// Largest record kept, in bytes; a larger one is discarded as it streams past.
    limit: usize,
    /// The current record passed a limit.
    overflow: Option<Overflow>,
    /// Line breaks inside the discarded part of an oversized record.
    discarded_newlines: u64,
    delimiter: u8,
    layout: Option<FastLayout>,
    /// Lines the fast lane read (csv-core never saw them, so its line count lacks them).
    fast_lines: u64,
    spans: Vec<Span>,
}

/// Fields in one row before it is too large to keep (a row of a million commas).
pub(crate) const MAX_FIELDS: usize = 1 << 16;

impl CsvTable {
    pub(crate) fn new(delimiter: u8, limit: usize) -> Self {
        Self {
            limit,
            overflow: None,
            discarded_newlines: 0,
            reader: ReaderBuilder::new().delimiter(delimiter).build(),
            out: vec![0; 64 * 1024],
            out_len: 0,
            ends: vec![0; 64],
            ends_len: 0,
            newlines: 0,
            last_byte: None,
            quotes: 0,
            in_record: false,
            delimiter,
            layout: None,
            fast_lines: 0,
            spans: Vec::new(),
        }
    }

    /// Feeds a chunk; calls `on_row` for every row it completes.
    pub(crate) fn feed(&mut self, mut input: &[u8], on_row: &mut dyn RowHandler) {
        while !input.is_empty() {
            if self.layout.is_none() {
                self.layout = on_row.layout();
            }
            let Some(layout) = self.layout else {
                return self.run(input, false, on_row);
            };
            if !self.in_record {
                input = &input[self.fast_lane(input, layout, on_row)..];
            }
            // The next line is not the fast lane's (or continues a record csv-core began):
            // csv-core reads it, and the lane resumes after it.
            let end = memchr(b'\n', input).map_or(input.len(), |p| p + 1);
            if end > 0 {
                self.run(&input[..end], false, on_row);
            }
            input = &input[end..];
        }
    }

    /// Reads whole lines while the handler takes them; returns the bytes used.
    fn fast_lane(&mut self, input: &[u8], layout: FastLayout, on_row: &mut dyn RowHandler) -> usize {
        let mut used = 0;
        while let Some(newline) = memchr(b'\n', &input[used..]) {
            let whole = &input[used..used + newline];
            let line = whole.strip_suffix(b"\r").unwrap_or(whole);
            if line.is_empty() || line.len() > self.limit || self.split(line, layout).is_none() {
                break;
            }
            let row = RawRow { line: self.reader.line() + self.fast_lines, text: line, spans: &self.spans };
            if !on_row.raw_row(row) {
                break;
            }
            used += newline + 1;
            self.fast_lines += 1;
            self.last_byte = Some(b'\n');
        }
        used
    }

    /// Splits a line by the layout into `spans`, or `None` when it is not that plain shape.
    fn split(&mut self, line: &[u8], layout: FastLayout) -> Option<()> {
        let delimiter = self.delimiter;
        self.spans.clear();
        self.spans.resize(layout.columns, Span::default());
        let mut start = 0;
        for i in 0..layout.long {
            let (span, next) = field_forward(line, start, delimiter)?;
            self.spans[i] = span;
            start = next;
        }
        let mut end = line.len();
        for i in (layout.long + 1..layout.columns).rev() {
            let (span, delimiter_at) = field_backward(line, start, end, delimiter)?;
            self.spans[i] = span;
            end = delimiter_at;
        }
        let middle = &line[start..end];
        self.spans[layout.long] = if middle.first() == Some(&b'"') {
            // Its inner quotes (all doubled, else the reader of the cell declines) are checked
            // by whoever reads it.
            if middle.len() < 2 || middle.last() != Some(&b'"') {
                return None;
            }
            Span { start: start + 1, end: end - 1, quoted: true }
        } else {
            plain(middle, delimiter)?;
            Span { start, end, quoted: false }
        };
        Some(())
    }

    /// True when the bytes so far end exactly after a row's line break, with nothing of the
    /// next row read: a part of an input may end (and the next begin) here.
    pub(crate) fn at_row_boundary(&self) -> bool {
        !self.in_record && self.out_len == 0 && self.ends_len == 0 && self.last_byte == Some(b'\n')
    }

    /// Line breaks read so far, inside quoted fields too.
    pub(crate) fn line_breaks(&self) -> u64 {
        self.reader.line() - 1 + self.fast_lines
    }

    /// True when the input so far ends inside a quoted field: called before
    /// [`CsvTable::finish`], it says the last row was cut (csv-core would silently close it).
    pub(crate) fn has_open_quote(&self) -> bool {
        self.in_record && self.quotes % 2 == 1
    }

    /// Ends the input, flushing the last row.
    pub(crate) fn finish(&mut self, on_row: &mut dyn RowHandler) {
        self.run(&[], true, on_row);
    }

    /// Past the limit: drops what was kept of the current row and goes on reading to its end,
    /// so memory stays bounded and the next row is read normally.
    fn discard_record(&mut self, why: Overflow) {
        self.discarded_newlines += count_byte(&self.out[..self.out_len], b'\n');
        self.out_len = 0;
        self.ends_len = 0;
        // The first limit passed is the reason.
        self.overflow.get_or_insert(why);
    }

    fn run(&mut self, mut input: &[u8], at_end: bool, on_row: &mut dyn RowHandler) {
        loop {
            let (result, nin, nout, nend) =
                self.reader.read_record(input, &mut self.out[self.out_len..], &mut self.ends[self.ends_len..]);
            let consumed = &input[..nin];
            if !consumed.is_empty() {
                // csv-core ends a record at the `\r` of a `\r\n`; the `\n` it takes next belongs
                // to no record.
                let tail_of_crlf = !self.in_record && consumed == b"\n" && self.last_byte == Some(b'\r');
                self.in_record |= !tail_of_crlf;
                // csv-core counts every `\n` it consumes (from 1).
                self.newlines = self.reader.line() - 1 + self.fast_lines;
                // Quote parity only matters for a row still open when the input ends, so the
                // bytes of a row completed in this call need no counting.
                if result != ReadRecordResult::Record {
                    self.quotes += count_byte(consumed, b'"');
                }
                self.last_byte = consumed.last().copied();
            }
            input = &input[nin..];
            self.out_len += nout;
            self.ends_len += nend;
            match result {
                ReadRecordResult::InputEmpty => {
                    if input.is_empty() && !at_end {
                        return;
                    }
                }
                ReadRecordResult::OutputFull => {
                    if self.out.len() * 2 > self.limit {
                        self.discard_record(Overflow::Bytes);
                    } else {
                        let bigger = self.out.len() * 2;
                        self.out.resize(bigger, 0);
                    }
                }
                ReadRecordResult::OutputEndsFull => {
                    if self.ends.len() >= MAX_FIELDS {
                        self.discard_record(Overflow::Fields);
                    } else {
                        let bigger = self.ends.len() * 2;
                        self.ends.resize(bigger, 0);
                    }
                }
                ReadRecordResult::Record => {
                    let data = &self.out[..self.out_len];
                    // Lines up to the row's end, minus its terminator, minus breaks inside quoted fields.
                    // A flush at end of input (nothing consumed) has no terminator.
                    let terminator = u64::from(nin > 0 && self.last_byte == Some(b'\n'));
                    let inside = count_byte(data, b'\n') + self.discarded_newlines;
                    let line = (self.newlines - terminator).saturating_sub(inside) + 1;
                    let overflow = self.overflow;
                    let (data, ends) =
                        if overflow.is_some() { (&[][..], &[][..]) } else { (data, &self.ends[..self.ends_len]) };
                    on_row.row(CsvRow { line, data, ends, overflow });
                    self.overflow = None;
                    self.discarded_newlines = 0;
                    self.out_len = 0;
                    self.ends_len = 0;
                    self.quotes = 0;
                    self.in_record = false;
                }
                ReadRecordResult::End => return,
            }
        }
    }
}

/// A short field from `start`: quoted without inner quotes, or plain. Returns it and where the
/// next field starts (a field follows: the layout's long one at least).
fn field_forward(line: &[u8], start: usize, delimiter: u8) -> Option<(Span, usize)> {
    let rest = &line[start..];
    if rest.first() == Some(&b'"') {
        let close = start + 1 + memchr(b'"', &rest[1..])?;
        (line.get(close + 1) == Some(&delimiter))
            .then_some((Span { start: start + 1, end: close, quoted: true }, close + 2))
    } else {
        let end = start + memchr(delimiter, rest)?;
        plain(&line[start..end], delimiter)?;
        Some((Span { start, end, quoted: false }, end + 1))
    }
}

/// A short field ending at `end`, its delimiter at or after `low`. Returns it and where its
/// delimiter is.
fn field_backward(line: &[u8], low: usize, end: usize, delimiter: u8) -> Option<(Span, usize)> {
    if end > low && line[end - 1] == b'"' {
        let open = low + memrchr(b'"', &line[low..end - 1])?;
        (open > low && line[open - 1] == delimiter)
            .then_some((Span { start: open + 1, end: end - 1, quoted: true }, open - 1))
    } else {
        let at = low + memrchr(delimiter, &line[low..end])?;
        plain(&line[at + 1..end], delimiter)?;
        Some((Span { start: at + 1, end, quoted: false }, at))
    }
}

/// An unquoted field as csv-core would read it whole: no quote, no delimiter, no lone `\r`.
fn plain(field: &[u8], delimiter: u8) -> Option<()> {
    (memchr2(b'"', b'\r', field).is_none() && memchr(delimiter, field).is_none()).then_some(())
}

/// Counts one byte value (SIMD where the target has it).
pub(crate) fn count_byte(haystack: &[u8], needle: u8) -> u64 {
    bytecount::count(haystack, needle) as u64
}

/// Picks the delimiter of a header line: the most frequent of `,` `;` and tab outside quotes.
///
/// Excel re-saves in many European locales use `;`.
pub(crate) fn guess_delimiter(header_line: &[u8]) -> u8 {
    let mut counts = [0usize; 3];
    let mut quoted = false;
    for &b in header_line {
        match b {
            b'"' => quoted = !quoted,
            b',' if !quoted => counts[0] += 1,
            b';' if !quoted => counts[1] += 1,
            b'\t' if !quoted => counts[2] += 1,
            _ => {}
        }
    }
    let candidates = [b',', b';', b'\t'];
    let best = (0..3).max_by_key(|&i| (counts[i], usize::from(i == 0))).unwrap_or(0);
    candidates[best]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(input: &[u8], chunk: usize) -> (Vec<(u64, Vec<String>)>, bool) {
        let mut table = CsvTable::new(b',', 1 << 20);
        let mut got = Vec::new();
        let mut on_row = |row: CsvRow<'_>| {
            let fields = (0..row.len()).map(|i| String::from_utf8_lossy(row.field(i).unwrap()).into_owned()).collect();
            got.push((row.line, fields));
        };
        for piece in input.chunks(chunk.max(1)) {
            table.feed(piece, &mut on_row);
        }
        let cut = table.has_open_quote();
        table.finish(&mut on_row);
        (got, cut)
    }

    #[test]
    fn rows_carry_their_start_line_whatever_the_chunking() {
        let input = b"a,b\r\n1,\"x\r\ny\"\r\n\r\n2,\"he said \"\"hi\"\"\"\n3,z";
        for chunk in [1, 2, 3, 5, 8, 1000] {
            let (got, cut) = rows(input, chunk);
            assert!(!cut);
            let lines: Vec<u64> = got.iter().filter(|(_, f)| f != &vec![String::new()]).map(|(l, _)| *l).collect();
            assert_eq!(lines, vec![1, 2, 5, 6], "chunk {chunk}: {got:?}");
            let last = got.iter().rev().find(|(l, _)| *l == 5).unwrap();
            assert_eq!(last.1[1], "he said \"hi\"");
        }
    }

    #[test]
    fn a_quote_left_open_at_the_end_is_reported() {
        let (got, cut) = rows(b"a,b\n1,\"never closed\n", 4);
        assert!(cut);
        assert_eq!(got.last().unwrap().0, 2);
    }

    #[test]
    fn rows_over_the_limit_are_discarded_and_the_next_row_read() {
        let big = "x".repeat(300_000);
        let input = format!("a,b\n1,\"{big}\n{big}\"\n2,ok\n");
        let mut table = CsvTable::new(b',', 100_000);
        let mut got = Vec::new();
        let mut on_row = |row: CsvRow<'_>| got.push((row.line, row.overflow.is_some(), row.len()));
        for piece in input.as_bytes().chunks(4096) {
            table.feed(piece, &mut on_row);
        }
        table.finish(&mut on_row);
        assert_eq!(got, vec![(1, false, 2), (2, true, 0), (4, false, 2)]);
        assert!(table.out.len() <= 131_072, "the buffer stayed bounded: {}", table.out.len());
    }

    #[test]
    fn delimiter_is_guessed_from_the_header() {
        assert_eq!(guess_delimiter(b"CreationDate;UserIds;Operations;AuditData"), b';');
        assert_eq!(guess_delimiter(b"\"a;b\",c,d"), b',');
        assert_eq!(guess_delimiter(b"a\tb\tc"), b'\t');
        assert_eq!(guess_delimiter(b"single"), b',');
    }
}
