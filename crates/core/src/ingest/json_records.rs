//! Push-based splitting of a JSON export into one text per record.
//!
//! serde_json has no push parser, and reading a 1 GB array into a `Vec` would
//! hold the whole file in memory. The exports only ever put records in three
//! places, so a byte scanner that tracks strings and bracket depth can cut
//! them out as they stream past, and serde_json then parses each record on its
//! own (with its own error, line and no effect on its neighbours):
//!
//! * a top-level array of records (Management Activity API content, Extractor JSON);
//! * top-level objects one after another (NDJSON / JSONL, one per line);
//! * an envelope whose `value` array holds the records (Graph audit log query results).

/// How the records are laid out, once known.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum JsonLayout {
    /// `[ {...}, {...} ]`
    Array,
    /// `{...}\n{...}\n`
    ObjectStream,
    /// `{"@odata.context": ..., "value": [ {...} ] }`
    Envelope,
}

/// A record's text and position, or a piece of the input that is not one.
pub(crate) enum Piece<'a> {
    /// A complete element at record depth (an object, or anything else the caller will reject).
    Record { line: u64, text: &'a [u8], layout: JsonLayout },
    /// An element larger than the scanner's limit (its bytes were discarded).
    Oversized { line: u64 },
    /// An element cut off by the end of the input or by a line break inside an NDJSON line.
    Truncated { line: u64 },
    /// A byte that cannot start or continue anything here (e.g. text between NDJSON records).
    Stray { line: u64 },
    /// A record whose text stopped making sense (an unescaped quote inside a string turns the
    /// rest inside out), from `line` to `last_line`; reading resumed at the next record.
    Damaged { line: u64, last_line: u64 },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Scalar {
    None,
    /// Inside a bare number / literal at record depth.
    Bare,
}

/// The scanner.
pub(crate) struct JsonRecords {
    layout: Option<JsonLayout>,
    depth: u32,
    in_string: bool,
    escaped: bool,
    line: u64,
    /// Depth at which records sit (1 inside a top array, 0 for a stream, 2 inside `value`).
    record_depth: u32,
    /// Bytes of the element being collected.
    buf: Vec<u8>,
    collecting: bool,
    scalar: Scalar,
    element_line: u64,
    /// The latest string completed at depth 1 of a top-level object, to spot the `value` key.
    key: Vec<u8>,
    key_open: bool,
    /// In an object stream: whether records so far fit on one line each (NDJSON proper).
    single_line: bool,
    /// In an object stream: records completed so far.
    stream_records: u64,
    /// Envelope mode: inside the `value` array.
    in_value_array: bool,
    /// Largest element kept, in bytes.
    limit: usize,
    /// The current element passed the limit.
    oversized: bool,
    /// Depth at which the current element started (`record_depth`, or 0 for an object after
    /// a top-level array: NDJSON lines appended to an array).
    element_depth: u32,
    /// An object stream's first record has a line break in it: the next byte tells whether the
    /// line was cut (a `{` starts the next line) or the record spans lines.
    first_break: bool,
    /// A string just closed inside a kept element: only `:`, `,`, `}` or `]` may follow.
    after_string: bool,
    /// Inside a damaged record of an array: the line it started on, and the search for the
    /// next record's start.
    damage: Option<(u64, Resync)>,
    /// The first key of the first record of an array (`CreationTime` in Management API
    /// content): the next record's start is `,{"` and this key.
    first_key: Vec<u8>,
    /// The last byte outside strings that is not white space: a line may end after `{`, `[`,
    /// `,` or `:` inside a record; after anything else, a break before a `{` is a cut line.
    last_significant: u8,
}

/// The search for the next record after a damaged one: `,` then `{` then `"`, the first key
/// (when known), `"`, white space allowed between them.
#[derive(Clone, Debug, Default)]
struct Resync {
    /// 0: looking for `,`; 1: for `{`; 2: for `"`; 3: reading the key.
    stage: u8,
    key: Vec<u8>,
    /// The line the candidate `,` is on: where the damaged record ends.
    comma_line: u64,
    /// The line the candidate `{` is on.
    brace_line: u64,
    /// The line of the last text seen: where the damage ends if no record follows.
    last_text_line: u64,
}

/// Longest first key remembered for resynchronising.
const MAX_FIRST_KEY: usize = 64;

/// `record_depth` while skipping envelope metadata: no depth reaches it.
const SKIP: u32 = u32::MAX;

impl JsonRecords {
    pub(crate) fn new(limit: usize) -> Self {
        Self {
            limit,
            oversized: false,
            layout: None,
            depth: 0,
            in_string: false,
            escaped: false,
            line: 1,
            record_depth: 0,
            buf: Vec::new(),
            collecting: false,
            scalar: Scalar::None,
            element_line: 1,
            key: Vec::new(),
            key_open: false,
            single_line: true,
            stream_records: 0,
            in_value_array: false,
            element_depth: 0,
            first_break: false,
            after_string: false,
            damage: None,
            first_key: Vec::new(),
            last_significant: b' ',
        }
    }

    /// The layout, once the first record has shown it.
    pub(crate) fn layout(&self) -> Option<JsonLayout> {
        self.layout
    }

    /// Feeds a chunk, calling `on_piece` for every record completed.
    pub(crate) fn feed(&mut self, mut input: &[u8], on_piece: &mut dyn FnMut(Piece<'_>)) {
        while let Some((&b, rest)) = input.split_first() {
            // Inside a string of a record being kept, every byte up to the next quote,
            // backslash or line break only gets copied: copy the run at once. (What `step`
            // would do byte by byte; the chunking tests compare the two.)
            if self.in_string
                && !self.escaped
                && !self.key_open
                && self.collecting
                && !self.oversized
                && !self.first_break
            {
                let run = memchr::memchr3(b'"', b'\\', b'\n', input).unwrap_or(input.len());
                if run > 0 && self.buf.len() + run < self.limit {
                    self.buf.extend_from_slice(&input[..run]);
                    input = &input[run..];
                    continue;
                }
            }
            self.step(b, on_piece);
            input = rest;
        }
    }

    /// Ends the input: an element still open is reported as truncated.
    pub(crate) fn finish(&mut self, on_piece: &mut dyn FnMut(Piece<'_>)) {
        if let Some((line, resync)) = self.damage.take() {
            on_piece(Piece::Damaged { line, last_line: resync.last_text_line.max(line) });
            return;
        }
        if self.collecting {
            if self.scalar == Scalar::Bare {
                self.emit(on_piece);
            } else {
                let line = self.element_line;
                on_piece(Piece::Truncated { line });
                self.reset_element();
            }
        }
    }

    fn reset_element(&mut self) {
        self.buf.clear();
        self.oversized = false;
        self.collecting = false;
        self.scalar = Scalar::None;
    }

    fn emit(&mut self, on_piece: &mut dyn FnMut(Piece<'_>)) {
        let line = self.element_line;
        // Every element starts after the layout is set, so the fallback is never used.
        let layout = self.layout.unwrap_or(JsonLayout::ObjectStream);
        if self.oversized {
            on_piece(Piece::Oversized { line });
        } else {
            if self.first_key.is_empty() && layout != JsonLayout::ObjectStream {
                self.first_key = first_key(&self.buf).map(<[u8]>::to_vec).unwrap_or_default();
            }
            on_piece(Piece::Record { line, text: &self.buf, layout });
        }
        self.reset_element();
    }

    fn start_element(&mut self, b: u8) {
        self.collecting = true;
        self.oversized = false;
        self.element_line = self.line;
        self.element_depth = self.depth;
        self.buf.clear();
        self.buf.push(b);
    }

    /// A byte inside a damaged record: only the search for the next record's start.
    fn damaged_step(&mut self, b: u8, on_piece: &mut dyn FnMut(Piece<'_>)) {
        let Some((line, resync)) = &mut self.damage else {
            return;
        };
        if b == b'\n' {
            self.line += 1;
        }
        if b.is_ascii_whitespace() {
            return;
        }
        resync.last_text_line = self.line;
        match (resync.stage, b) {
            (3, b'"') if self.first_key.is_empty() || resync.key == self.first_key => {
                // The next record starts here: report the damaged span, and read on.
                let (start, comma_line, brace_line) = (*line, resync.comma_line, resync.brace_line);
                let key = std::mem::take(&mut resync.key);
                self.damage = None;
                on_piece(Piece::Damaged { line: start, last_line: comma_line.max(start) });
                self.depth = self.record_depth;
                self.start_element(b'{');
                self.element_line = brace_line;
                self.buf.push(b'"');
                self.buf.extend_from_slice(&key);
                self.buf.push(b'"');
                self.depth = self.record_depth + 1;
                self.after_string = true;
            }
            // Another key: not a record's start.
            (3, b'"') => resync.stage = 0,
            (3, _) if resync.key.len() < MAX_FIRST_KEY => resync.key.push(b),
            (2, b'"') => {
                resync.stage = 3;
                resync.key.clear();
            }
            (1, b'{') => {
                resync.stage = 2;
                resync.brace_line = self.line;
            }
            (_, b',') => {
                resync.stage = 1;
                resync.comma_line = self.line;
            }
            _ => resync.stage = 0,
        }
    }

    /// An object stream's line was cut: report its record, and start afresh on the next line.
    fn cut_line(&mut self, on_piece: &mut dyn FnMut(Piece<'_>)) {
        let line = self.element_line;
        on_piece(Piece::Truncated { line });
        self.reset_element();
        self.depth = 0;
        self.in_string = false;
        self.escaped = false;
        self.after_string = false;
    }

    fn step(&mut self, b: u8, on_piece: &mut dyn FnMut(Piece<'_>)) {
        if self.damage.is_some() {
            return self.damaged_step(b, on_piece);
        }
        if self.first_break && b != b'\n' {
            self.first_break = false;
            if b == b'{' {
                // The first line was cut: report it, and read this line as the next record.
                self.cut_line(on_piece);
            }
        }
        if b == b'\n' {
            self.line += 1;
            // A break inside the first record: a cut line if it fell inside a string or after a
            // value (a record that spans lines breaks after `{`, `[`, `,` or `:`).
            if self.collecting
                && self.layout == Some(JsonLayout::ObjectStream)
                && self.stream_records == 0
                && self.depth > 0
                && self.record_depth == 0
                && (self.in_string || !matches!(self.last_significant, b'{' | b'[' | b',' | b':'))
            {
                self.first_break = true;
            }
            // NDJSON: a line break inside a record (outside strings, which cannot hold raw
            // breaks) means the line was cut; resynchronise on the next line.
            if self.collecting
                && self.layout == Some(JsonLayout::ObjectStream)
                && self.single_line
                && self.stream_records > 0
                && self.depth > 0
                && self.record_depth == 0
            {
                self.cut_line(on_piece);
                return;
            }
        }
        if self.collecting && !self.oversized {
            if self.buf.len() < self.limit {
                self.buf.push(b);
            } else {
                // Keep scanning (depth, strings) to find the element's end; keep no more bytes.
                self.oversized = true;
                self.buf = Vec::new();
            }
        }
        if !self.in_string && !b.is_ascii_whitespace() {
            self.last_significant = b;
        }
        if self.in_string {
            if self.escaped {
                self.escaped = false;
            } else if b == b'\\' {
                self.escaped = true;
            } else if b == b'"' {
                self.in_string = false;
                self.key_open = false;
                if self.collecting && self.depth == self.element_depth {
                    // A string scalar as an array element.
                    self.emit(on_piece);
                } else if self.collecting {
                    self.after_string = true;
                }
            } else if self.key_open && self.key.len() < 16 {
                self.key.push(b);
            }
            return;
        }
        if self.scalar == Scalar::Bare {
            if matches!(b, b',' | b']' | b'}' | b' ' | b'\t' | b'\r' | b'\n') {
                self.buf.pop();
                self.emit(on_piece);
                // The terminator still closes whatever it closes.
            } else {
                return;
            }
        }
        if self.after_string && !b.is_ascii_whitespace() {
            self.after_string = false;
            let records_in_a_container = matches!(self.layout, Some(JsonLayout::Array | JsonLayout::Envelope));
            if !matches!(b, b':' | b',' | b'}' | b']') && records_in_a_container && self.depth > self.record_depth {
                // Text right after a string: a quote inside it was not escaped, and the string
                // state is now inside out. Skip to the next record's start.
                if self.first_key.is_empty() {
                    // The damaged record is the first: its first key still marks where records start.
                    self.first_key = first_key(&self.buf).map(<[u8]>::to_vec).unwrap_or_default();
                }
                self.damage = Some((self.element_line, Resync::default()));
                self.reset_element();
                self.in_string = false;
                self.escaped = false;
                self.key_open = false;
                return;
            }
        }
        match b {
            b'"' => {
                self.in_string = true;
                if !self.collecting && self.depth == self.record_depth {
                    self.start_element(b);
                }
                // Only a first top-level object can be an envelope (see `[` below): after it,
                // keys are not kept, and the strings take the fast path in `feed`.
                if self.depth == 1
                    && self.record_depth == 0
                    && self.layout != Some(JsonLayout::Array)
                    && self.stream_records == 0
                {
                    self.key.clear();
                    self.key_open = true;
                }
            }
            b'{' | b'[' => {
                if self.depth == 0 && self.layout.is_none() && b == b'[' {
                    self.layout = Some(JsonLayout::Array);
                    self.record_depth = 1;
                    self.depth = 1;
                    return;
                }
                if self.depth == 0 && b == b'[' && self.layout == Some(JsonLayout::Array) {
                    // A second top-level array (concatenated content blobs).
                    self.depth = 1;
                    return;
                }
                // Envelope: `"value": [` at depth 1 of a top-level object.
                if b == b'['
                    && self.depth == 1
                    && self.record_depth == 0
                    && self.collecting
                    && self.stream_records == 0
                    && self.key.eq_ignore_ascii_case(b"value")
                {
                    self.layout = Some(JsonLayout::Envelope);
                    self.reset_element();
                    self.record_depth = 2;
                    self.in_value_array = true;
                    self.depth = 2;
                    return;
                }
                let loose_object = self.depth == 0 && self.layout == Some(JsonLayout::Array) && b == b'{';
                if !self.collecting && (self.depth == self.record_depth || loose_object) {
                    // (A loose object: a record after the array closed, as when NDJSON lines
                    // were appended to an array. It is read as a record, not token by token.)
                    self.start_element(b);
                    if self.depth == 0 && self.layout.is_none() {
                        self.layout = Some(JsonLayout::ObjectStream);
                    }
                }
                // Saturating: four billion open brackets would otherwise wrap.
                self.depth = self.depth.saturating_add(1);
            }
            b'}' | b']' => {
                if self.depth == 0 {
                    if self.collecting {
                        return;
                    }
                    let line = self.line;
                    on_piece(Piece::Stray { line });
                    return;
                }
                self.depth -= 1;
                if self.collecting && self.depth == self.element_depth {
                    if self.layout == Some(JsonLayout::ObjectStream) && self.record_depth == 0 {
                        self.single_line &= self.element_line == self.line;
                        self.stream_records += 1;
                    }
                    self.emit(on_piece);
                } else if self.in_value_array && self.depth == 1 {
                    // The `value` array closed: the rest of the envelope is metadata
                    // (`@odata.nextLink` …); collect nothing until the envelope closes.
                    self.in_value_array = false;
                    self.record_depth = SKIP;
                } else if self.record_depth == SKIP && self.depth == 0 {
                    // The envelope closed; another may follow (several Graph pages in one file).
                    self.record_depth = 0;
                }
            }
            b' ' | b'\t' | b'\r' | b'\n' | b',' | b':' => {}
            _ => {
                if !self.collecting && self.depth == self.record_depth {
                    if self.record_depth == 0 {
                        let line = self.line;
                        on_piece(Piece::Stray { line });
                        return;
                    }
                    self.start_element(b);
                    self.scalar = Scalar::Bare;
                }
            }
        }
    }
}

/// The first key of a record's text (`{"CreationTime":…` gives `CreationTime`), if it is
/// plain (no escapes) and short.
fn first_key(record: &[u8]) -> Option<&[u8]> {
    let rest = record.strip_prefix(b"{")?.trim_ascii_start().strip_prefix(b"\"")?;
    let end = rest.iter().position(|&b| b == b'"' || b == b'\\')?;
    (rest[end] == b'"' && end <= MAX_FIRST_KEY).then_some(&rest[..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(input: &str, chunk: usize) -> (Option<JsonLayout>, Vec<String>) {
        let mut scanner = JsonRecords::new(1 << 20);
        let mut got = Vec::new();
        let mut on_piece = |piece: Piece<'_>| match piece {
            Piece::Record { line, text, .. } => got.push(format!("{line}:{}", String::from_utf8_lossy(text))),
            Piece::Truncated { line } => got.push(format!("{line}:CUT")),
            Piece::Stray { line } => got.push(format!("{line}:STRAY")),
            Piece::Oversized { line } => got.push(format!("{line}:BIG")),
            Piece::Damaged { line, last_line } => got.push(format!("{line}-{last_line}:DAMAGED")),
        };
        for piece in input.as_bytes().chunks(chunk.max(1)) {
            scanner.feed(piece, &mut on_piece);
        }
        scanner.finish(&mut on_piece);
        (scanner.layout(), got)
    }

    #[test]
    fn splits_a_top_level_array() {
        let input = "[\n {\"a\":\"x]}\\\"\"},\n {\"b\":[1,{\"c\":2}]}\n]\n";
        for chunk in [1, 2, 7, 100] {
            let (layout, got) = split(input, chunk);
            assert_eq!(layout, Some(JsonLayout::Array));
            assert_eq!(got, vec!["2:{\"a\":\"x]}\\\"\"}", "3:{\"b\":[1,{\"c\":2}]}"], "chunk {chunk}");
        }
    }

    #[test]
    fn splits_ndjson_and_resyncs_after_a_cut_line() {
        let input = "{\"a\":1}\r\n{\"b\":{\"c\":\n{\"d\":3}\n";
        let (layout, got) = split(input, 3);
        assert_eq!(layout, Some(JsonLayout::ObjectStream));
        assert_eq!(got, vec!["1:{\"a\":1}", "2:CUT", "3:{\"d\":3}"]);
    }

    #[test]
    fn finds_records_inside_a_graph_envelope() {
        let input = r#"{"@odata.context":"x","value":[{"id":"1","auditData":{"Id":"1"}},{"id":"2"}],"@odata.nextLink":"y"}
{"value":[{"id":"3"}]}"#;
        for chunk in [1, 5, 1000] {
            let (layout, got) = split(input, chunk);
            assert_eq!(layout, Some(JsonLayout::Envelope));
            assert_eq!(
                got,
                vec!["1:{\"id\":\"1\",\"auditData\":{\"Id\":\"1\"}}", "1:{\"id\":\"2\"}", "2:{\"id\":\"3\"}",],
                "chunk {chunk}"
            );
        }
    }

    #[test]
    fn elements_over_the_limit_are_reported_and_the_next_read() {
        let big = "y".repeat(5000);
        let input = format!("[{{\"a\":\"{big}\"}},\n{{\"b\":1}}]");
        let mut scanner = JsonRecords::new(1000);
        let mut got = Vec::new();
        let mut on_piece = |piece: Piece<'_>| match piece {
            Piece::Record { line, text, .. } => got.push(format!("{line}:{}", String::from_utf8_lossy(text))),
            Piece::Oversized { line } => got.push(format!("{line}:BIG")),
            _ => got.push("?".into()),
        };
        scanner.feed(input.as_bytes(), &mut on_piece);
        scanner.finish(&mut on_piece);
        assert_eq!(got, vec!["1:BIG", "2:{\"b\":1}"]);
    }

    #[test]
    fn reports_elements_that_are_not_objects_and_cut_records() {
        let (_, got) = split("[1, \"s\", {\"a\":1}, {\"b\":", 4);
        assert_eq!(got, vec!["1:1", "1:\"s\"", "1:{\"a\":1}", "1:CUT"]);
    }

    #[test]
    fn a_cut_first_line_of_ndjson_is_reported_and_the_next_read() {
        let input = "{\"a\":\"cut he\n{\"b\":1}\n{\"c\":2}\n";
        for chunk in [1, 3, 100] {
            let (layout, got) = split(input, chunk);
            assert_eq!(layout, Some(JsonLayout::ObjectStream));
            assert_eq!(got, vec!["1:CUT", "2:{\"b\":1}", "3:{\"c\":2}"], "chunk {chunk}");
        }
        // A first record over several lines is one record, even with objects starting lines
        // (Python's `json.dumps(record, indent=0)`).
        let (_, got) = split("{\n  \"a\": 1,\n  \"b\": {\"c\": 2}\n}\n{\"d\":3}\n", 2);
        assert_eq!(got, vec!["1:{\n  \"a\": 1,\n  \"b\": {\"c\": 2}\n}", "5:{\"d\":3}"]);
        let indent0 = "{\n\"a\": [\n{\n\"n\": 1\n},\n{\n\"n\": 2\n}\n]\n}\n{\"d\":3}\n";
        for chunk in [1, 2, 100] {
            let (_, got) = split(indent0, chunk);
            let first = &indent0[..indent0.find("\n{\"d\"").unwrap()];
            assert_eq!(got, vec![format!("1:{first}"), "11:{\"d\":3}".to_owned()], "chunk {chunk}");
        }
    }

    #[test]
    fn an_unescaped_quote_costs_its_record_only() {
        let input = "[{\"Id\":\"1\",\"S\":\"ok\"},\n{\"Id\":\"2\",\"S\":\"he said \"hi\" there\",\"T\":[{\"Id\":3},{\"x\":4}]},\n{\"Id\":\"5\",\"S\":\"fine\"}]";
        for chunk in [1, 4, 1000] {
            let (_, got) = split(input, chunk);
            assert_eq!(
                got,
                vec!["1:{\"Id\":\"1\",\"S\":\"ok\"}", "2-2:DAMAGED", "3:{\"Id\":\"5\",\"S\":\"fine\"}"],
                "chunk {chunk}"
            );
        }
    }

    #[test]
    fn records_appended_after_an_array_are_read_as_records() {
        let (layout, got) = split("[{\"a\":1}]\n{\"b\":2}\n{\"c\":{\"d\":3}}\n", 3);
        assert_eq!(layout, Some(JsonLayout::Array));
        assert_eq!(got, vec!["1:{\"a\":1}", "2:{\"b\":2}", "3:{\"c\":{\"d\":3}}"]);
    }
}
