//! Push-based CSV rows on top of `csv-core`, with the line each row starts on.
//!
//! `csv-core` is an allocation-free state machine: we hand it whatever bytes
//! arrived (a file slice in the browser, a read buffer in the CLI) and it hands
//! back complete records, keeping partial ones across calls. This wrapper owns
//! the growing output buffers, counts lines (so errors carry a position even
//! when quoted fields hold line breaks), and tracks quote parity so a file cut
//! inside a quoted field is reported instead of silently closed.

use csv_core::{ReadRecordResult, Reader, ReaderBuilder};

/// One CSV row, borrowed from the table's buffers.
pub(crate) struct CsvRow<'a> {
    /// 1-based line on which the row starts.
    pub line: u64,
    data: &'a [u8],
    ends: &'a [usize],
    /// The row was larger than the table's limit; its fields were discarded.
    pub oversized: bool,
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
        !self.oversized && self.ends.len() == 1 && self.ends[0] == 0
    }
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
    /// The current record passed the limit.
    oversized: bool,
    /// Line breaks inside the discarded part of an oversized record.
    discarded_newlines: u64,
}

/// Fields in one row before it counts as oversized (a row of a million commas).
const MAX_FIELDS: usize = 1 << 16;

impl CsvTable {
    pub(crate) fn new(delimiter: u8, limit: usize) -> Self {
        Self {
            limit,
            oversized: false,
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
        }
    }

    /// Feeds a chunk; calls `on_row` for every row it completes.
    pub(crate) fn feed(&mut self, input: &[u8], on_row: &mut dyn FnMut(CsvRow<'_>)) {
        // csv-core reads an empty input as the end of the file.
        if !input.is_empty() {
            self.run(input, false, on_row);
        }
    }

    /// True when the input so far ends inside a quoted field: called before
    /// [`CsvTable::finish`], it says the last row was cut (csv-core would silently close it).
    pub(crate) fn has_open_quote(&self) -> bool {
        self.in_record && self.quotes % 2 == 1
    }

    /// Ends the input, flushing the last row.
    pub(crate) fn finish(&mut self, on_row: &mut dyn FnMut(CsvRow<'_>)) {
        self.run(&[], true, on_row);
    }

    /// Past the limit: drops what was kept of the current row and goes on reading to its end,
    /// so memory stays bounded and the next row is read normally.
    fn discard_record(&mut self) {
        self.discarded_newlines += count_byte(&self.out[..self.out_len], b'\n');
        self.out_len = 0;
        self.ends_len = 0;
        self.oversized = true;
    }

    fn run(&mut self, mut input: &[u8], at_end: bool, on_row: &mut dyn FnMut(CsvRow<'_>)) {
        loop {
            let (result, nin, nout, nend) =
                self.reader.read_record(input, &mut self.out[self.out_len..], &mut self.ends[self.ends_len..]);
            let consumed = &input[..nin];
            if !consumed.is_empty() {
                self.in_record = true;
                // csv-core counts every `\n` it consumes (from 1).
                self.newlines = self.reader.line() - 1;
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
                        self.discard_record();
                    } else {
                        let bigger = self.out.len() * 2;
                        self.out.resize(bigger, 0);
                    }
                }
                ReadRecordResult::OutputEndsFull => {
                    if self.ends.len() >= MAX_FIELDS {
                        self.discard_record();
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
                    let oversized = self.oversized;
                    let (data, ends) = if oversized { (&[][..], &[][..]) } else { (data, &self.ends[..self.ends_len]) };
                    on_row(CsvRow { line, data, ends, oversized });
                    self.oversized = false;
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
        let mut on_row = |row: CsvRow<'_>| got.push((row.line, row.oversized, row.len()));
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
