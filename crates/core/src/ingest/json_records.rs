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
}

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
            if self.in_string && !self.escaped && !self.key_open && self.collecting && !self.oversized {
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
            on_piece(Piece::Record { line, text: &self.buf, layout });
        }
        self.reset_element();
    }

    fn start_element(&mut self, b: u8) {
        self.collecting = true;
        self.oversized = false;
        self.element_line = self.line;
        self.buf.clear();
        self.buf.push(b);
    }

    fn step(&mut self, b: u8, on_piece: &mut dyn FnMut(Piece<'_>)) {
        if b == b'\n' {
            self.line += 1;
            // NDJSON: a line break inside a record (outside strings, which cannot hold raw
            // breaks) means the line was cut; resynchronise on the next line.
            if self.collecting
                && self.layout == Some(JsonLayout::ObjectStream)
                && self.single_line
                && self.stream_records > 0
                && self.depth > 0
                && self.record_depth == 0
            {
                let line = self.element_line;
                on_piece(Piece::Truncated { line });
                self.reset_element();
                self.depth = 0;
                self.in_string = false;
                self.escaped = false;
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
        if self.in_string {
            if self.escaped {
                self.escaped = false;
            } else if b == b'\\' {
                self.escaped = true;
            } else if b == b'"' {
                self.in_string = false;
                self.key_open = false;
                if self.collecting && self.depth == self.record_depth {
                    // A string scalar as an array element.
                    self.emit(on_piece);
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
        match b {
            b'"' => {
                self.in_string = true;
                if !self.collecting && self.depth == self.record_depth {
                    self.start_element(b);
                }
                if self.depth == 1 && self.record_depth == 0 && self.layout != Some(JsonLayout::Array) {
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
                    && self.key.eq_ignore_ascii_case(b"value")
                {
                    self.layout = Some(JsonLayout::Envelope);
                    self.reset_element();
                    self.record_depth = 2;
                    self.in_value_array = true;
                    self.depth = 2;
                    return;
                }
                if !self.collecting && self.depth == self.record_depth {
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
                if self.collecting && self.depth == self.record_depth {
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
}
