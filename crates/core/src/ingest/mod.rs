//! Reading audit exports: bytes in, [`AuditEvent`]s and [`RowError`]s out.
//!
//! An [`Ingestor`] reads one input. Feed it chunks of any size with
//! [`Ingestor::push`] (a browser file slice, a CLI read buffer), then call
//! [`Ingestor::finish`]. It decides the encoding from the first bytes and the
//! [`Format`] from the content (never the file name), and hands every record to
//! an [`EventSink`] as soon as it is complete: memory stays bounded by the
//! largest record, and [`Ingestor::stats`]' `bytes` is the progress.
//!
//! Results do not depend on how the input is cut into chunks; the tests check it.

mod classic_csv;
mod csv_table;
mod decode;
pub(crate) mod fields;
mod graph_json;
mod json_records;
mod mailbox_audit_csv;
mod management_api_json;
mod ndjson;
mod powershell_csv;
mod purview_csv;
mod sentinel_csv;
mod skim;

use std::borrow::Cow;
use std::fmt;

use serde::{Deserialize, Serialize};

use chrono::{DateTime, Utc};

use crate::model::{record_type_name, ArrivalSource, AuditEvent, SourceRef};
use csv_table::{guess_delimiter, CsvRow, CsvTable, FastLayout, RawRow, RowHandler};
use decode::TextDecoder;
pub use decode::TextEncoding;
use fields::{
    build_event, json_error_kind, parse_record, pick, reads_details, role_of_header, Built, DateOrderHint,
    EventContext, FieldId, KeyRole, MappingNotes, RecordFields,
};
use json_records::{JsonRecords, Piece};
use skim::{skim, Quotes};

/// The export formats SendAs Lens reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "kebab-case")]
pub enum Format {
    /// Purview "Audit (New Search)" export CSV.
    PurviewCsv,
    /// Classic compliance-center "Download all results" CSV.
    ClassicCsv,
    /// `Search-UnifiedAuditLog | Export-Csv`.
    PowershellCsv,
    /// Management Activity API content: a JSON array of records.
    ManagementApiJson,
    /// One JSON record per line.
    Ndjson,
    /// Microsoft Graph audit log query results.
    GraphJson,
    /// Sentinel / Log Analytics `OfficeActivity` export CSV.
    SentinelCsv,
    /// `Search-MailboxAuditLog` output CSV.
    MailboxAuditCsv,
}

impl Format {
    /// The format's name in reports and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Self::PurviewCsv => "purview-csv",
            Self::ClassicCsv => "classic-csv",
            Self::PowershellCsv => "powershell-csv",
            Self::ManagementApiJson => "management-api-json",
            Self::Ndjson => "ndjson",
            Self::GraphJson => "graph-json",
            Self::SentinelCsv => "sentinel-csv",
            Self::MailboxAuditCsv => "mailbox-audit-csv",
        }
    }
}

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
        field: &'static str,
    },
    /// A timestamp that is not a valid date and time.
    BadTimestamp {
        /// Which field.
        field: &'static str,
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
    /// The file ends inside a quoted CSV field.
    UnterminatedQuote,
    /// The record is not valid UTF-8.
    InvalidUtf8,
    /// Text between JSON records.
    StrayText,
    /// The AuditData cell is empty.
    EmptyAuditData,
    /// The record is larger than the reader keeps (its bytes were skipped, memory stays bounded).
    RecordTooLarge {
        /// The limit, in bytes.
        limit: usize,
    },
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
            Self::UnterminatedQuote => f.write_str(
                "the file ends inside a quoted field: the download was probably cut short",
            ),
            Self::InvalidUtf8 => f.write_str("the record is not valid UTF-8 text"),
            Self::StrayText => f.write_str("text outside any JSON record"),
            Self::EmptyAuditData => f.write_str("the AuditData cell is empty"),
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
    /// The bytes could not be read (the reason went to the caller).
    Unreadable,
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
            Self::Unreadable => f.write_str("the file could not be read"),
            Self::NotText { what } => write!(f, "this is {what}"),
            Self::NotAnAuditExport { seen } => write!(
                f,
                "not a Microsoft 365 audit export (no known header or JSON record layout); it starts with {seen:?}"
            ),
        }
    }
}

impl std::error::Error for FatalError {}

/// Where records go as they are read.
pub trait EventSink {
    /// A send or a group owner change was read.
    fn event(&mut self, event: AuditEvent);
    /// Any other record was read. By default it becomes an [`AuditEvent`] with only these fields.
    fn plain(&mut self, record: PlainRecord<'_>) {
        self.event(record.to_event());
    }
    /// A record could not be read.
    fn rejected(&mut self, error: RowError);
}

/// A record an analysis only counts (neither a send nor a group owner change): the fields it
/// needs, borrowed from the input. A tenant export is mostly these (file reads, sign-ins), and
/// owning their fields would allocate and free them a million times.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PlainRecord<'a> {
    /// The record's unique id, when it has one.
    pub id: Option<&'a str>,
    /// When it happened.
    pub time: DateTime<Utc>,
    /// The record type as the export writes it (a number or a name).
    pub record_type: Option<&'a str>,
    /// The workload, or what the record type implies, or `Unknown`.
    pub workload: &'a str,
    /// The operation.
    pub operation: &'a str,
    /// When it reached the log, and which field says so.
    pub arrived: Option<(DateTime<Utc>, ArrivalSource)>,
    /// Where it was read.
    pub source: SourceRef,
}

impl PlainRecord<'_> {
    /// The same record as an owned event (the fields a plain record has; the rest empty).
    pub fn to_event(&self) -> AuditEvent {
        AuditEvent {
            id: self.id.map(str::to_owned),
            time: self.time,
            record_type: self.record_type.map(record_type_name),
            workload: self.workload.to_owned(),
            operation: self.operation.to_owned(),
            actor: None,
            actor_sid: None,
            mailbox_owner: None,
            mailbox_owner_sid: None,
            send_as: None,
            send_on_behalf: None,
            client_info: None,
            logon_type: None,
            user_type: None,
            app_id: None,
            client_app_id: None,
            client_ip: None,
            subject: None,
            object_id: None,
            arrived: self.arrived.map(|(time, _)| time),
            arrival_source: self.arrived.map(|(_, source)| source),
            source: self.source,
            raw: None,
            owner_change: None,
        }
    }
}

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
    /// CSV columns named more than once (the first of each is used).
    pub duplicate_columns: Vec<String>,
}

/// Header of a CSV input, as format detection sees it.
pub(crate) struct CsvHeader {
    names: Vec<String>,
    all_quoted: bool,
}

impl CsvHeader {
    fn has(&self, name: &str) -> bool {
        self.names.iter().any(|n| n.eq_ignore_ascii_case(name))
    }
}

fn detect_csv(header: &CsvHeader) -> Option<Format> {
    if purview_csv::matches(header) {
        Some(Format::PurviewCsv)
    } else if powershell_csv::matches(header) {
        Some(Format::PowershellCsv)
    } else if classic_csv::matches(header) {
        Some(Format::ClassicCsv)
    } else if sentinel_csv::matches(header) {
        Some(Format::SentinelCsv)
    } else if mailbox_audit_csv::matches(header) {
        Some(Format::MailboxAuditCsv)
    } else {
        None
    }
}

fn detect_json(layout: json_records::JsonLayout, first: &[u8]) -> Format {
    if graph_json::matches(layout, first) {
        Format::GraphJson
    } else if management_api_json::matches(layout, first) {
        Format::ManagementApiJson
    } else {
        debug_assert!(ndjson::matches(layout, first));
        Format::Ndjson
    }
}

/// Whether text starts like a JSON export: `[` then `{` or `]`, or `{` then `"` or `}`.
/// `None` until enough of the text has arrived to tell (a TOML `[section]` or an INI file
/// also starts with `[`).
fn looks_like_json(text: &[u8]) -> Option<bool> {
    let first = *text.first()?;
    if first != b'[' && first != b'{' {
        return Some(false);
    }
    let next = *text[1..].iter().find(|b| !b.is_ascii_whitespace())?;
    Some(match first {
        b'[' => next == b'{' || next == b']',
        _ => next == b'"' || next == b'}',
    })
}

/// Largest record kept, in bytes. Real audit records are kilobytes (Excel caps a cell at 32 KB,
/// and a 10 MB cell still reads); a larger one is skipped, so a hostile or corrupt file cannot
/// make the reader hold gigabytes.
pub const MAX_RECORD_BYTES: usize = 64 << 20;

/// Bytes read before deciding that a header line will never end.
const MAX_HEADER: usize = 1 << 20;

struct CsvStage {
    table: CsvTable,
    header: Option<Header>,
    /// Every header field is quoted, as `Export-Csv` writes it.
    header_quoted: bool,
}

struct Header {
    names: Vec<String>,
    roles: Vec<Option<KeyRole>>,
    audit_data: Option<usize>,
    /// Exports with an AuditData column take the fast lane.
    fast: Option<FastLayout>,
}

/// A CSV stage's rows, handed to the row context.
struct CsvRows<'c, 's> {
    ctx: &'c mut RowContext<'s>,
    header: &'c mut Option<Header>,
    header_quoted: bool,
    cut: bool,
}

impl RowHandler for CsvRows<'_, '_> {
    fn row(&mut self, row: CsvRow<'_>) {
        self.ctx.csv_row(self.header, self.header_quoted, row, self.cut);
    }

    fn layout(&self) -> Option<FastLayout> {
        self.header.as_ref()?.fast.filter(|_| self.ctx.fast_lane)
    }

    fn raw_row(&mut self, row: RawRow<'_>) -> bool {
        match self.header.as_ref() {
            Some(header) => self.ctx.fast_csv_row(header, row),
            None => false,
        }
    }
}

struct JsonStage {
    records: JsonRecords,
    last_stray_line: u64,
}

enum Stage {
    Sniffing(Vec<u8>),
    Csv(Box<CsvStage>),
    Json(Box<JsonStage>),
}

/// Everything row handling needs besides the stage, split out so the stage can be borrowed beside it.
struct RowContext<'s> {
    file: u32,
    fast_lane: bool,
    limit: usize,
    format: &'s mut Option<Format>,
    stats: &'s mut IngestStats,
    hint: &'s mut DateOrderHint,
    notes: &'s mut MappingNotes,
    fatal: &'s mut Option<FatalError>,
    sink: &'s mut dyn EventSink,
}

impl RowContext<'_> {
    fn reject(&mut self, line: u64, kind: RowErrorKind) {
        self.stats.rejected += 1;
        self.sink.rejected(RowError { source: SourceRef { file: self.file, line }, kind });
    }

    fn accept_fields(&mut self, fields: &RecordFields<'_>, line: u64, raw: &dyn Fn() -> String) {
        let ctx = EventContext { source: SourceRef { file: self.file, line }, raw };
        match build_event(fields, &ctx, self.hint, self.notes) {
            Ok(Built::Event(event)) => {
                self.stats.accepted += 1;
                self.sink.event(*event);
            }
            Ok(Built::Plain(record)) => {
                self.stats.accepted += 1;
                self.sink.plain(record);
            }
            Err(kind) => self.reject(line, kind),
        }
    }

    fn csv_row(&mut self, stage_header: &mut Option<Header>, header_quoted: bool, row: CsvRow<'_>, cut: bool) {
        if self.fatal.is_some() || row.is_blank() {
            return;
        }
        if row.oversized {
            if stage_header.is_some() {
                self.stats.rows_read += 1;
                self.reject(row.line, RowErrorKind::RecordTooLarge { limit: self.limit });
            } else {
                *self.fatal = Some(FatalError::NotAnAuditExport { seen: "a header line of many megabytes".into() });
            }
            return;
        }
        let texts: Vec<Cow<'_, str>> = (0..row.len()).map(|i| utf8(row.field(i).unwrap_or_default())).collect();
        let Some(header) = stage_header else {
            let names: Vec<String> = texts.iter().map(|t| fields::normalise_header(t).to_owned()).collect();
            let csv_header = CsvHeader { all_quoted: header_quoted, names };
            match detect_csv(&csv_header) {
                Some(format) => {
                    *self.format = Some(format);
                    let roles: Vec<Option<KeyRole>> = csv_header.names.iter().map(|n| role_of_header(n)).collect();
                    let audit_data = roles.iter().position(|r| *r == Some(KeyRole::AuditData));
                    for (i, name) in csv_header.names.iter().enumerate() {
                        let repeated = csv_header.names[..i].iter().any(|n| n.eq_ignore_ascii_case(name));
                        if repeated && !self.stats.duplicate_columns.iter().any(|d| d.eq_ignore_ascii_case(name)) {
                            self.stats.duplicate_columns.push(name.clone());
                        }
                    }
                    let fast = audit_data.map(|long| FastLayout { columns: csv_header.names.len(), long });
                    *stage_header = Some(Header { names: csv_header.names, roles, audit_data, fast });
                }
                None => *self.fatal = Some(FatalError::NotAnAuditExport { seen: fields::clip(&texts.join(",")) }),
            }
            return;
        };
        self.stats.rows_read += 1;
        if cut {
            return self.reject(row.line, RowErrorKind::UnterminatedQuote);
        }
        if row.len() != header.names.len() {
            return self.reject(row.line, RowErrorKind::ColumnCount { expected: header.names.len(), found: row.len() });
        }
        let mut record = RecordFields::default();
        for (text, role) in texts.iter().zip(&header.roles) {
            match role {
                Some(KeyRole::Scalar(field) | KeyRole::Raw(field)) => record.set(*field, Cow::Borrowed(text)),
                Some(KeyRole::AuditData) => {
                    if text.trim().is_empty() {
                        return self.reject(row.line, RowErrorKind::EmptyAuditData);
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
        self.accept_fields(&record, row.line, &raw);
    }

    /// The fast lane: a plain one-line row whose record only feeds counts and delays, read with
    /// the AuditData cell skimmed in place. `false` declines the row (a send, an owner change,
    /// anything the skim is not sure of, any error): csv-core then reads it for [`Self::csv_row`].
    fn fast_csv_row(&mut self, header: &Header, row: RawRow<'_>) -> bool {
        if self.fatal.is_some() {
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
        self.stats.rows_read += 1;
        self.accept_fields(&record, row.line, &String::new);
        true
    }

    /// The fast lane for a JSON record: skimmed, unless it is a send or an owner change.
    fn fast_json_record(&mut self, line: u64, text: &str) -> bool {
        let Some(record) = skim(text, Quotes::Plain, true) else {
            return false;
        };
        if !fast_lane_takes(&record) {
            return false;
        }
        self.accept_fields(&record, line, &String::new);
        true
    }

    fn json_piece(&mut self, last_stray_line: &mut u64, piece: Piece<'_>) {
        match piece {
            Piece::Record { line, text, layout } => {
                if self.fatal.is_some() {
                    return;
                }
                let first = self.format.is_none();
                if first {
                    *self.format = Some(detect_json(layout, text));
                }
                self.stats.rows_read += 1;
                let Ok(text) = std::str::from_utf8(text) else {
                    return self.reject(line, RowErrorKind::InvalidUtf8);
                };
                // The first record decides whether this is an audit export at all: full parse.
                if !first && self.fast_lane && self.fast_json_record(line, text) {
                    return;
                }
                match parse_record(text) {
                    Ok(fields) => {
                        if first && !fields.looks_like_audit() {
                            *self.fatal = Some(FatalError::NotAnAuditExport { seen: fields::clip(text) });
                            return;
                        }
                        self.accept_fields(&fields, line, &|| text.to_owned())
                    }
                    Err(error) => self.reject(line, json_error_kind(&error, text, JsonPart::Record)),
                }
            }
            Piece::Oversized { line } => {
                if self.fatal.is_some() {
                    return;
                }
                self.stats.rows_read += 1;
                self.reject(line, RowErrorKind::RecordTooLarge { limit: self.limit });
            }
            Piece::Truncated { line, .. } => {
                if self.fatal.is_some() {
                    return;
                }
                self.stats.rows_read += 1;
                self.reject(line, RowErrorKind::TruncatedJson);
            }
            Piece::Stray { line, .. } => {
                if self.fatal.is_none() && *last_stray_line != line {
                    *last_stray_line = line;
                    self.stats.rows_read += 1;
                    self.reject(line, RowErrorKind::StrayText);
                }
            }
        }
    }
}

/// Whether a skimmed record may be accepted as it is: it has an operation, and not one whose
/// details are read (those, and a missing operation's error, are the full parse's).
fn fast_lane_takes(record: &RecordFields<'_>) -> bool {
    pick(record, record.inner.as_deref(), FieldId::Operation).is_some_and(|operation| !reads_details(operation))
}

/// A field as text: borrowed when it is valid UTF-8 (checked with std's fast validator),
/// else with U+FFFD for the invalid bytes.
fn utf8(bytes: &[u8]) -> Cow<'_, str> {
    match std::str::from_utf8(bytes) {
        Ok(text) => Cow::Borrowed(text),
        Err(_) => String::from_utf8_lossy(bytes),
    }
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

/// Reads one input, push-style.
pub struct Ingestor {
    file: u32,
    fast_lane: bool,
    record_limit: usize,
    decoder: TextDecoder,
    scratch: Vec<u8>,
    stage: Stage,
    format: Option<Format>,
    stats: IngestStats,
    hint: DateOrderHint,
    notes: MappingNotes,
    fatal: Option<FatalError>,
}

impl Ingestor {
    /// A reader for input number `file` (the index events and errors will carry).
    pub fn new(file: u32) -> Self {
        Self::with_record_limit(file, MAX_RECORD_BYTES)
    }

    /// A reader that skips records larger than `record_limit` bytes (tests use a small one).
    pub fn with_record_limit(file: u32, record_limit: usize) -> Self {
        Self {
            file,
            fast_lane: true,
            record_limit,
            decoder: TextDecoder::new(),
            scratch: Vec::new(),
            stage: Stage::Sniffing(Vec::new()),
            format: None,
            stats: IngestStats::default(),
            hint: DateOrderHint::default(),
            notes: MappingNotes::default(),
            fatal: None,
        }
    }

    /// Turns the fast lane on (the default) or off. Off, every record takes the full parse; the
    /// answers are the same either way (the tests compare them), only the speed differs.
    pub fn set_fast_lane(&mut self, on: bool) {
        self.fast_lane = on;
    }

    /// The format, once the content has shown it.
    pub fn format(&self) -> Option<Format> {
        self.format
    }

    /// The text encoding, once the first bytes have shown it.
    pub fn encoding(&self) -> Option<TextEncoding> {
        self.decoder.encoding()
    }

    /// Counts so far.
    pub fn stats(&self) -> IngestStats {
        IngestStats { ambiguous_dates: self.notes.ambiguous_dates, ..self.stats.clone() }
    }

    /// Reads the next chunk. An `Err` means the input is unusable; later calls return it again.
    pub fn push(&mut self, chunk: &[u8], sink: &mut dyn EventSink) -> Result<(), FatalError> {
        if let Some(fatal) = &self.fatal {
            return Err(fatal.clone());
        }
        self.stats.bytes += chunk.len() as u64;
        let mut scratch = std::mem::take(&mut self.scratch);
        let result = match self.decoder.push(chunk, &mut scratch) {
            Ok(text) => {
                self.feed_text(text, sink, false);
                Ok(())
            }
            Err(fatal) => Err(fatal),
        };
        self.scratch = scratch;
        if let Err(fatal) = result {
            self.fatal = Some(fatal);
        }
        self.fatal.clone().map_or(Ok(()), Err)
    }

    /// Ends the input: flushes the last record and reports the totals.
    pub fn finish(&mut self, sink: &mut dyn EventSink) -> Result<IngestStats, FatalError> {
        if let Some(fatal) = &self.fatal {
            return Err(fatal.clone());
        }
        let mut scratch = std::mem::take(&mut self.scratch);
        match self.decoder.finish(&mut scratch) {
            Ok(text) => self.feed_text(text, sink, true),
            Err(fatal) => self.fatal = Some(fatal),
        }
        if self.fatal.is_none() {
            self.flush(sink);
        }
        if let Some(fatal) = &self.fatal {
            return Err(fatal.clone());
        }
        Ok(self.stats())
    }

    fn feed_text(&mut self, text: &[u8], sink: &mut dyn EventSink, at_end: bool) {
        if let Stage::Sniffing(held) = &mut self.stage {
            held.extend_from_slice(text);
            let Some(first) = held.iter().position(|b| !b.is_ascii_whitespace()) else {
                return;
            };
            let looks_json = match looks_like_json(&held[first..]) {
                Some(answer) => answer,
                None if at_end => false,
                None => return,
            };
            let held = std::mem::take(held);
            self.stage = match looks_json {
                true => Stage::Json(Box::new(JsonStage {
                    records: JsonRecords::new(self.record_limit),
                    last_stray_line: 0,
                })),
                false => {
                    let line_end = held[first..].iter().position(|&b| b == b'\n');
                    if line_end.is_none() && held.len() < MAX_HEADER && !at_end {
                        self.stage = Stage::Sniffing(held);
                        return;
                    }
                    let header_line = &held[first..first + line_end.unwrap_or(held.len() - first)];
                    if header_line.iter().any(|&b| b == 0 || (b < 0x09)) {
                        self.fatal = Some(FatalError::NotText { what: "binary data, not a text export" });
                        return;
                    }
                    let trimmed = header_line.trim_ascii();
                    Stage::Csv(Box::new(CsvStage {
                        table: CsvTable::new(guess_delimiter(header_line), self.record_limit),
                        header: None,
                        header_quoted: trimmed.starts_with(b"\"") && trimmed.ends_with(b"\""),
                    }))
                }
            };
            return self.feed_stage(&held, sink);
        }
        self.feed_stage(text, sink);
    }

    /// The row-handling context and the stage, borrowed side by side.
    fn split<'s>(&'s mut self, sink: &'s mut dyn EventSink) -> (RowContext<'s>, &'s mut Stage) {
        let Self { file, fast_lane, record_limit, format, stats, hint, notes, fatal, stage, .. } = self;
        let ctx = RowContext {
            file: *file,
            fast_lane: *fast_lane,
            limit: *record_limit,
            format,
            stats,
            hint,
            notes,
            fatal,
            sink,
        };
        (ctx, stage)
    }

    fn feed_stage(&mut self, text: &[u8], sink: &mut dyn EventSink) {
        let (mut ctx, stage) = self.split(sink);
        match stage {
            Stage::Sniffing(_) => unreachable!("feed_stage runs after sniffing"),
            Stage::Csv(stage) => {
                let CsvStage { table, header, header_quoted } = &mut **stage;
                let mut rows = CsvRows { ctx: &mut ctx, header, header_quoted: *header_quoted, cut: false };
                table.feed(text, &mut rows);
            }
            Stage::Json(stage) => {
                let JsonStage { records, last_stray_line } = &mut **stage;
                records.feed(text, &mut |piece| ctx.json_piece(last_stray_line, piece));
            }
        }
    }

    fn flush(&mut self, sink: &mut dyn EventSink) {
        let (mut ctx, stage) = self.split(sink);
        match stage {
            Stage::Sniffing(held) => {
                *ctx.fatal = Some(if held.iter().all(u8::is_ascii_whitespace) {
                    FatalError::Empty
                } else {
                    FatalError::NotAnAuditExport { seen: fields::clip(&String::from_utf8_lossy(held)) }
                });
            }
            Stage::Csv(stage) => {
                let CsvStage { table, header, header_quoted } = &mut **stage;
                // Only the final row can be cut inside quotes.
                let cut = table.has_open_quote();
                table.finish(&mut CsvRows { ctx: &mut ctx, header, header_quoted: *header_quoted, cut });
                if header.is_none() && ctx.fatal.is_none() {
                    *ctx.fatal = Some(FatalError::Empty);
                }
            }
            Stage::Json(stage) => {
                let JsonStage { records, last_stray_line } = &mut **stage;
                records.finish(&mut |piece| ctx.json_piece(last_stray_line, piece));
                if records.layout().is_none() && ctx.stats.rows_read == 0 {
                    *ctx.fatal = Some(FatalError::NotAnAuditExport { seen: "JSON with no records".into() });
                }
            }
        }
    }
}
