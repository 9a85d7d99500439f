//! What can go wrong: a record that cannot be read ([`RowError`]), and an input that cannot be
//! used at all ([`FatalError`]).

use std::borrow::Cow;
use std::fmt;

use serde::Serialize;

use crate::model::SourceRef;

/// Which JSON text an error is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum JsonPart {
    /// The AuditData column of a CSV row (or an AuditData string inside a JSON record).
    AuditData,
    /// A record of a JSON export.
    Record,
}

/// Why one record was not accepted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum RowErrorKind {
    /// The record's JSON does not parse.
    InvalidJson {
        /// Which JSON: the AuditData column of a CSV row, or a JSON export's record.
        part: JsonPart,
        /// serde_json's explanation, with the column within the record.
        detail: String,
    },
    /// The JSON stops before it is complete.
    TruncatedJson,
    /// A cell holds exactly Excel's 32,767-character limit and its JSON is cut there.
    TruncatedCell {
        /// Characters in the cell.
        chars: usize,
    },
    /// The record is JSON, but not an object.
    NotAnObject,
    /// A field every record needs is absent.
    MissingField {
        /// The field's name.
        field: Cow<'static, str>,
    },
    /// A timestamp that is not a valid date and time.
    BadTimestamp {
        /// Which field.
        field: Cow<'static, str>,
        /// The text (shortened).
        value: String,
    },
    /// A CSV row with more or fewer fields than the header.
    ColumnCount {
        /// Fields in the header.
        expected: usize,
        /// Fields in this row.
        found: usize,
    },
    /// A record of a JSON array stopped making sense (an unescaped quote inside a string turns
    /// the rest inside out); it was skipped up to the next record.
    DamagedRecord {
        /// The last line of the skipped text.
        last_line: u64,
    },
    /// The file ends inside a quoted CSV field.
    UnterminatedQuote,
    /// The record is not valid UTF-8.
    InvalidUtf8,
    /// Text between JSON records.
    StrayText,
    /// The AuditData cell is empty.
    EmptyAuditData,
    /// The CSV row has more fields than the reader keeps (they were skipped, memory stays bounded).
    TooManyFields {
        /// The limit.
        limit: usize,
    },
    /// The record is larger than the reader keeps (its bytes were skipped, memory stays bounded).
    RecordTooLarge {
        /// The limit, in bytes.
        limit: usize,
    },
}

impl RowErrorKind {
    /// The reason's stable name (`invalid-json`, `column-count`, …), as the report counts it.
    pub fn name(&self) -> &'static str {
        match self {
            Self::InvalidJson { .. } => "invalid-json",
            Self::TruncatedJson => "truncated-json",
            Self::DamagedRecord { .. } => "damaged-record",
            Self::TruncatedCell { .. } => "truncated-cell",
            Self::NotAnObject => "not-an-object",
            Self::MissingField { .. } => "missing-field",
            Self::BadTimestamp { .. } => "bad-timestamp",
            Self::ColumnCount { .. } => "column-count",
            Self::UnterminatedQuote => "unterminated-quote",
            Self::InvalidUtf8 => "invalid-utf8",
            Self::StrayText => "stray-text",
            Self::EmptyAuditData => "empty-audit-data",
            Self::TooManyFields { .. } => "too-many-fields",
            Self::RecordTooLarge { .. } => "record-too-large",
        }
    }
}

impl fmt::Display for RowErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::InvalidJson { part: JsonPart::AuditData, detail } => write!(f, "AuditData is not valid JSON: {detail}"),
            Self::InvalidJson { part: JsonPart::Record, detail } => write!(f, "the record is not valid JSON: {detail}"),
            Self::TruncatedJson => f.write_str("the record's JSON ends before it is complete (file cut short?)"),
            Self::TruncatedCell { chars } => write!(
                f,
                "AuditData is cut at {chars} characters, Excel's cell limit: the file was probably opened and saved in Excel; export it again and do not re-save it"
            ),
            Self::NotAnObject => f.write_str("the record is not a JSON object"),
            Self::MissingField { field } => write!(f, "the record has no {field}"),
            Self::BadTimestamp { field, value } => write!(f, "{field} is not a valid date and time: {value:?}"),
            Self::ColumnCount { expected, found } => {
                write!(f, "the row has {found} fields but the header has {expected}")
            }
            Self::DamagedRecord { last_line } => write!(
                f,
                "the record is damaged (a quote inside a text not escaped?) up to line {last_line}: it was skipped, and reading resumed at the next record"
            ),
            Self::UnterminatedQuote => f.write_str(
                "the file ends inside a quoted field: the download was probably cut short",
            ),
            Self::InvalidUtf8 => f.write_str("the record is not valid UTF-8 text"),
            Self::StrayText => f.write_str("text outside any JSON record"),
            Self::EmptyAuditData => f.write_str("the AuditData cell is empty"),
            Self::TooManyFields { limit } => {
                write!(f, "the row has more than {limit} fields, more than any audit export has: skipped")
            }
            Self::RecordTooLarge { limit } => write!(
                f,
                "the record is larger than {} MiB, more than any audit record holds: skipped",
                limit >> 20
            ),
        }
    }
}

/// A rejected record: where, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RowError {
    /// The input and line the record starts on.
    pub source: SourceRef,
    /// Why it was rejected.
    pub kind: RowErrorKind,
}

/// An input that cannot be read at all.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum FatalError {
    /// The input has no bytes (or only white space).
    Empty,
    /// The input is another kind of file (its magic bytes say which).
    NotText {
        /// What it looks like, and what to do instead.
        what: &'static str,
    },
    /// The bytes could not be read (an I/O or browser file error).
    Unreadable {
        /// Why, in words for the user (`cannot open: …`).
        reason: String,
    },
    /// The input is text but no format SendAs Lens reads.
    NotAnAuditExport {
        /// What was seen instead (the header, or the first bytes).
        seen: String,
    },
}

impl fmt::Display for FatalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Empty => f.write_str("the file is empty"),
            Self::Unreadable { reason } => f.write_str(reason),
            Self::NotText { what } => write!(f, "this is {what}"),
            Self::NotAnAuditExport { seen } => write!(
                f,
                "not a Microsoft 365 audit export (no known header or JSON record layout); it starts with {seen:?}"
            ),
        }
    }
}

impl std::error::Error for FatalError {}
