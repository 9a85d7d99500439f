//! The CSV stage: rows from [`CsvTable`], the header that decides the format, and each data
//! row mapped through the field vocabulary. Plain one-line rows of records that only feed
//! counts take the fast lane ([`CsvRows::fast_row`]); every other row, and every error, goes
//! through csv-core ([`CsvRows::row`]).

use std::borrow::Cow;

use super::csv_table::{guess_delimiter, CsvRow, CsvTable, FastLayout, Overflow, RawRow, RowHandler, MAX_FIELDS};
use super::error::{FatalError, RowErrorKind};
use super::fields::{clip, normalise_header, role_of_header, KeyRole, RecordFields};
use super::format::{detect_csv, CsvHeader};
use super::rows::{fast_lane_takes, RowState};
use super::sink::EventSink;
use super::skim::{skim, Quotes};

/// A CSV input being read.
pub(crate) struct CsvStage {
    table: CsvTable,
    header: Option<Header>,
    /// Every header field is quoted, as `Export-Csv` writes it.
    header_quoted: bool,
}

/// The header, once read: column names, what each column is to the reader, and where the
/// AuditData column is.
struct Header {
    names: Vec<String>,
    roles: Vec<Option<KeyRole>>,
    audit_data: Option<usize>,
    /// Exports with an AuditData column take the fast lane.
    fast: Option<FastLayout>,
}

impl CsvStage {
    /// A stage for text whose first line is `header_line`.
    pub(crate) fn new(header_line: &[u8], limit: usize) -> Self {
        let trimmed = header_line.trim_ascii();
        Self {
            table: CsvTable::new(guess_delimiter(header_line), limit),
            header: None,
            header_quoted: trimmed.starts_with(b"\"") && trimmed.ends_with(b"\""),
        }
    }

    pub(crate) fn feed(&mut self, text: &[u8], rows: &mut RowState, sink: &mut dyn EventSink) {
        let Self { table, header, header_quoted } = self;
        table.feed(text, &mut CsvRows { rows, sink, header, header_quoted: *header_quoted, cut: false });
    }

    /// The header has been read and the text so far ends between two rows.
    pub(crate) fn at_row_boundary(&self) -> bool {
        self.header.is_some() && self.table.at_row_boundary()
    }

    /// Line breaks read so far.
    pub(crate) fn line_breaks(&self) -> u64 {
        self.table.line_breaks()
    }

    pub(crate) fn finish(&mut self, rows: &mut RowState, sink: &mut dyn EventSink) {
        let Self { table, header, header_quoted } = self;
        // Only the final row can be cut inside quotes.
        let cut = table.has_open_quote();
        table.finish(&mut CsvRows { rows, sink, header, header_quoted: *header_quoted, cut });
        if header.is_none() && rows.fatal.is_none() {
            rows.fatal = Some(FatalError::Empty);
        }
    }
}

/// The rows of a CSV stage, handed to the row state.
struct CsvRows<'c> {
    rows: &'c mut RowState,
    sink: &'c mut dyn EventSink,
    header: &'c mut Option<Header>,
    header_quoted: bool,
    /// The row is the last one, and the file ends inside its quotes.
    cut: bool,
}

impl RowHandler for CsvRows<'_> {
    fn row(&mut self, row: CsvRow<'_>) {
        if self.rows.fatal.is_some() || row.is_blank() {
            return;
        }
        if self.header.is_none() {
            return self.header_row(&row);
        }
        self.data_row(&row);
    }

    fn layout(&self) -> Option<FastLayout> {
        self.header.as_ref()?.fast.filter(|_| self.rows.fast_lane)
    }

    fn raw_row(&mut self, row: RawRow<'_>) -> bool {
        self.fast_row(row)
    }
}

impl CsvRows<'_> {
    fn header_row(&mut self, row: &CsvRow<'_>) {
        if let Some(overflow) = row.overflow {
            let seen = match overflow {
                Overflow::Bytes => "a header line of many megabytes".to_owned(),
                Overflow::Fields => format!("a header line of more than {MAX_FIELDS} columns"),
            };
            self.rows.fatal = Some(FatalError::NotAnAuditExport { seen });
            return;
        }
        let texts = texts(row);
        let names: Vec<String> = texts.iter().map(|t| normalise_header(t).to_owned()).collect();
        let header = CsvHeader { all_quoted: self.header_quoted, names };
        let Some(format) = detect_csv(&header) else {
            self.rows.fatal = Some(FatalError::NotAnAuditExport { seen: clip(&texts.join(",")) });
            return;
        };
        self.rows.format = Some(format);
        let roles: Vec<Option<KeyRole>> = header.names.iter().map(|n| role_of_header(n)).collect();
        let audit_data = roles.iter().position(|r| *r == Some(KeyRole::AuditData));
        let duplicates = &mut self.rows.stats.duplicate_columns;
        for (i, name) in header.names.iter().enumerate() {
            let repeated = header.names[..i].iter().any(|n| n.eq_ignore_ascii_case(name));
            if repeated && !duplicates.iter().any(|d| d.eq_ignore_ascii_case(name)) {
                duplicates.push(name.clone());
            }
        }
        let fast = audit_data.map(|long| FastLayout { columns: header.names.len(), long });
        *self.header = Some(Header { names: header.names, roles, audit_data, fast });
    }

    fn data_row(&mut self, row: &CsvRow<'_>) {
        let Self { rows, sink, header, cut, .. } = self;
        let Some(header) = header.as_ref() else {
            return;
        };
        rows.stats.rows_read += 1;
        match row.overflow {
            Some(Overflow::Bytes) => {
                return rows.reject(*sink, row.line, RowErrorKind::RecordTooLarge { limit: rows.limit })
            }
            Some(Overflow::Fields) => {
                return rows.reject(*sink, row.line, RowErrorKind::TooManyFields { limit: MAX_FIELDS })
            }
            None => {}
        }
        if *cut {
            return rows.reject(*sink, row.line, RowErrorKind::UnterminatedQuote);
        }
        if row.len() != header.names.len() {
            let kind = RowErrorKind::ColumnCount { expected: header.names.len(), found: row.len() };
            return rows.reject(*sink, row.line, kind);
        }
        let texts = texts(row);
        // Bytes that are not UTF-8 became U+FFFD (the fields that own their text).
        rows.invalid_utf8 = texts.iter().any(|t| matches!(t, Cow::Owned(_)));
        let mut record = RecordFields::default();
        for (text, role) in texts.iter().zip(&header.roles) {
            match role {
                Some(KeyRole::Scalar(field) | KeyRole::Raw(field)) => record.set(*field, Cow::Borrowed(text)),
                Some(KeyRole::AuditData) => {
                    if text.trim().is_empty() {
                        return rows.reject(*sink, row.line, RowErrorKind::EmptyAuditData);
                    }
                    record.set_inner_json(text);
                }
                // Sentinel's `Item` column is JSON text; the subject is in `ItemName`.
                Some(KeyRole::Item | KeyRole::AppAccessContext) | None => {}
            }
        }
        let raw = || match header.audit_data {
            Some(i) => texts[i].to_string(),
            None => flat_json(&header.names, &texts),
        };
        rows.accept_fields(*sink, &record, row.line, &raw);
    }

    /// The fast lane: a plain one-line row whose record only feeds counts and delays, read with
    /// the AuditData cell skimmed in place. `false` declines the row (a send, an owner change,
    /// anything the skim is not sure of, any error): csv-core then reads it for [`Self::row`].
    fn fast_row(&mut self, row: RawRow<'_>) -> bool {
        let Self { rows, sink, header, .. } = self;
        let Some(header) = header.as_ref() else {
            return false;
        };
        if rows.fatal.is_some() {
            return false;
        }
        let Ok(text) = std::str::from_utf8(row.text()) else {
            return false;
        };
        let mut record = RecordFields::default();
        for (i, role) in header.roles.iter().enumerate() {
            let Some((range, quoted)) = row.field(i) else {
                return false;
            };
            let value = &text[range];
            match role {
                Some(KeyRole::Scalar(field) | KeyRole::Raw(field)) => record.set(*field, Cow::Borrowed(value)),
                Some(KeyRole::AuditData) => {
                    let quotes = if quoted { Quotes::CsvDoubled } else { Quotes::Plain };
                    match (header.audit_data == Some(i)).then(|| skim(value, quotes, false)).flatten() {
                        Some(inner) => record.inner = Some(Box::new(inner)),
                        None => return false,
                    }
                }
                Some(KeyRole::Item | KeyRole::AppAccessContext) | None => {}
            }
        }
        if !fast_lane_takes(&record) {
            return false;
        }
        rows.stats.rows_read += 1;
        rows.accept_fields(*sink, &record, row.line, &String::new);
        true
    }
}

/// A row's fields as text: borrowed when valid UTF-8, else with U+FFFD for the invalid bytes.
fn texts<'r>(row: &CsvRow<'r>) -> Vec<Cow<'r, str>> {
    (0..row.len()).map(|i| crate::text::utf8_lossy(row.field(i).unwrap_or_default())).collect()
}

/// A flat row as a JSON object, for the UI's raw-record view.
fn flat_json(names: &[String], values: &[Cow<'_, str>]) -> String {
    let mut out = String::from("{");
    for (i, (name, value)) in names.iter().zip(values).enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&serde_json::to_string(name).unwrap_or_default());
        out.push(':');
        out.push_str(&serde_json::to_string(value.as_ref()).unwrap_or_default());
    }
    out.push('}');
    out
}
