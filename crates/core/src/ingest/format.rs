//! The export formats, and how each is recognised: one table per kind of text, in precedence
//! order, as data. Each format's quirks are written beside its entry; how its fields are named
//! is the field vocabulary's business (`fields/vocabulary.rs`), since the formats share it.
//!
//! The format is decided from the content, never the file name: a CSV by its header line, a
//! JSON export by its layout and first record.

use serde::{Deserialize, Serialize};

use super::json_records::JsonLayout;

/// The export formats SendAs Lens reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "kebab-case")]
pub enum Format {
    /// Purview "Audit (New Search)" export CSV.
    ///
    /// Header: `RecordId,CreationDate,RecordType,Operation,UserId,AuditData,AssociatedAdminUnits,AssociatedAdminUnitsNames`.
    /// `RecordType` is numeric, `CreationDate` is either `"2026-01-24T06:54:24.0000000Z "` (note
    /// the trailing space) or `9/20/2023 4:05:03 AM`; `AuditData.CreationTime` is preferred.
    /// The web UI exports at most [`PURVIEW_EXPORT_CAP`] rows per search.
    PurviewCsv,
    /// Classic Security & Compliance Center "Download all results" CSV.
    ///
    /// Header: `CreationDate,UserIds,Operations,AuditData` (unquoted; Microsoft's pages also
    /// spell `Operation`). Any other CSV with an `AuditData` column and no cmdlet or Purview
    /// columns is read the same way: the JSON in `AuditData` carries the record.
    ClassicCsv,
    /// `Search-UnifiedAuditLog | Export-Csv` output.
    ///
    /// Windows PowerShell quotes every field, header included:
    /// `"RunspaceId","RecordType","CreationDate","UserIds","Operations","AuditData","ResultIndex",…`
    /// or any subset picked with `Select-Object`. `RecordType` is a name (`ExchangeItem`) and
    /// `CreationDate` is rendered in the exporting machine's culture, so `3/12/2025` may be
    /// 3 December: the row's `AuditData.CreationTime` decides, and rows without one use the
    /// order the file has shown (`fields/date_order.rs`).
    PowershellCsv,
    /// Office 365 Management Activity API content: a JSON array of flat audit records.
    ///
    /// What `GET contentUri` returns, and what most collectors save; Extractor-style tools also
    /// write arrays of wrapper objects (`{"CreationDate", "UserIds", "AuditData": {…}}`), which
    /// the shared field mapping reads the same way. Records may carry the content blob's
    /// `contentCreated` when the collector kept it: that is when the record became available.
    ManagementApiJson,
    /// NDJSON / JSONL: one audit record per line.
    ///
    /// Written by collectors, SOF-ELK, Filebeat and Extractor-style tools (`-Output JSONL`,
    /// `-AuditDataOnly`). A line cut short is reported on its own line number and the next line
    /// is read normally.
    Ndjson,
    /// Microsoft Graph audit log query results (`security/auditLog/queries/{id}/records`).
    ///
    /// `{"@odata.context": …, "value": [{"id", "createdDateTime", "auditLogRecordType",
    /// "operation", "userPrincipalName", "service", …, "auditData": {…}}]}`: a camelCase
    /// envelope around the same AuditData the other exports carry. Several pages concatenated
    /// in one file, or the records saved as an array or one per line, are read too.
    GraphJson,
    /// Microsoft Sentinel / Log Analytics `OfficeActivity` export CSV.
    ///
    /// A flat table: one column per field (`TimeGenerated [UTC]`, `OfficeWorkload`,
    /// `Logon_Type`, `Client_IPAddress`, `SendAsUserSmtp`, …), no AuditData. It is the one CSV
    /// that can carry when a record reached the log: project `ingestion_time()` (or
    /// `_TimeReceived`) in the query and the column is read as the arrival time.
    SentinelCsv,
    /// `Search-MailboxAuditLog` (and `New-MailboxAuditLogSearch`) output CSV.
    ///
    /// A flat table from the mailbox audit log itself: `LastAccessed` (culture-formatted; UTC
    /// in Exchange Online), `Operation`, `LogonType` as `Owner`/`Delegate`/`Admin`,
    /// `ClientInfoString`, `LogonUserDisplayName` (the actor is a display name here),
    /// `MailboxOwnerUPN` / `MailboxResolvedOwnerName`, `SendAsUserSmtp`. Records have no unique
    /// id, so they are never treated as duplicates of each other.
    MailboxAuditCsv,
    /// Microsoft Defender XDR advanced hunting `CloudAppEvents` results, exported from the portal
    /// as CSV.
    ///
    /// The columns the query projected, header first (the table has 41: `Timestamp`,
    /// `ActionType`, `Application`, `AccountId`, `AccountDisplayName`, `IPAddress`, `ReportId`,
    /// `RawEventData`, `AdditionalFields`, …). The audit record is the JSON in `RawEventData`,
    /// with the Management Activity API's field names and numeric enums (`LogonType` 2,
    /// `UserType` 5), so it is read as AuditData and its `Id` meets the same record from any
    /// other export. `ActionType` is the operation and `Timestamp` the event time
    /// (`2026-11-20T09:00:00.0000000Z`), both behind the record's own `Operation` and
    /// `CreationTime` (so a `Timestamp` the portal wrote as `Nov 20, 2026 9:00:00 AM` costs
    /// nothing while `RawEventData` has its time). Every dynamic column is JSON text in a
    /// CSV-quoted cell. `ReportId` names the row, not the audit record. Advanced hunting has no
    /// ingestion time, so this export carries no arrival time.
    ///
    /// The advanced hunting API's JSON (`{"Schema": […], "Results": […]}`) is not read as such;
    /// its `Results` saved as an array or one per line are, as `management-api-json` or `ndjson`.
    CloudAppEventsCsv,
}

impl Format {
    /// Every format, in the order the README lists them.
    pub const ALL: [Format; 9] = [
        Self::PurviewCsv,
        Self::ClassicCsv,
        Self::PowershellCsv,
        Self::ManagementApiJson,
        Self::Ndjson,
        Self::GraphJson,
        Self::SentinelCsv,
        Self::MailboxAuditCsv,
        Self::CloudAppEventsCsv,
    ];

    /// Where an export of this format comes from, in a sentence for `--help` and the app.
    pub fn how_to_get(self) -> &'static str {
        match self {
            Self::PurviewCsv => "Purview portal → Audit → search → Export (at most 50,000 rows a search)",
            Self::ClassicCsv => "the old compliance center's \"Download all results\"",
            Self::PowershellCsv => "Search-UnifiedAuditLog … | Export-Csv (any subset of its columns)",
            Self::ManagementApiJson => "Office 365 Management Activity API content, or tools that save arrays of records",
            Self::Ndjson => "one record per line: collectors, SOF-ELK, Extractor-style -Output JSONL",
            Self::GraphJson => "Microsoft Graph security/auditLog/queries/{id}/records results",
            Self::SentinelCsv => {
                "Sentinel / Log Analytics: OfficeActivity | extend IngestionTime = ingestion_time(), exported to CSV (carries arrival times)"
            }
            Self::MailboxAuditCsv => "Search-MailboxAuditLog -ShowDetails | Export-Csv",
            Self::CloudAppEventsCsv => "Defender portal → Advanced hunting → CloudAppEvents → Export",
        }
    }

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
            Self::CloudAppEventsCsv => "cloud-app-events-csv",
        }
    }
}

/// Purview's web export stops at this many rows without saying so.
pub const PURVIEW_EXPORT_CAP: u64 = 50_000;

/// Header of a CSV input, as format detection sees it.
pub(crate) struct CsvHeader {
    /// Column names, normalised (`fields::normalise_header`).
    pub names: Vec<String>,
    /// Every header field is quoted, as `Export-Csv` writes it.
    pub all_quoted: bool,
}

impl CsvHeader {
    fn has(&self, name: &str) -> bool {
        self.names.iter().any(|n| n.eq_ignore_ascii_case(name))
    }
}

/// Columns only the `Search-UnifiedAuditLog` cmdlet's object has.
const CMDLET_COLUMNS: [&str; 6] = ["RunspaceId", "ResultIndex", "ResultCount", "Identity", "IsValid", "ObjectState"];

/// Whether a CSV header is this format's.
type CsvTest = fn(&CsvHeader) -> bool;

/// The CSV formats, most specific first: the first whose test the header passes is the format.
const CSV_FORMATS: [(Format, CsvTest); 6] = [
    // A Purview export names its id column `RecordId`; no other export does.
    (Format::PurviewCsv, |h| h.has("RecordId") && h.has("AuditData") && h.has("Operation")),
    // The cmdlet's own columns, or the portal's four columns quoted the way `Export-Csv` quotes.
    (Format::PowershellCsv, |h| {
        h.has("AuditData")
            && (CMDLET_COLUMNS.iter().any(|c| h.has(c)) || (h.all_quoted && h.has("CreationDate") && h.has("UserIds")))
    }),
    // An `AuditData` column is enough once the more specific exports are ruled out.
    (Format::ClassicCsv, |h| h.has("AuditData")),
    // Advanced hunting calls the record `RawEventData`, beside its own `ActionType` or
    // `Timestamp`; no Purview, PowerShell or Log Analytics export has that column. (Before
    // Sentinel's test: the table has a `TimeGenerated` column too.)
    (Format::CloudAppEventsCsv, |h| h.has("RawEventData") && (h.has("ActionType") || h.has("Timestamp"))),
    // Log Analytics names the time column `TimeGenerated` and the workload `OfficeWorkload`.
    (Format::SentinelCsv, |h| {
        h.has("TimeGenerated") && (h.has("OfficeWorkload") || h.has("OfficeId") || h.has("Operation"))
    }),
    // `LastAccessed` is this export's time column and no other's.
    (Format::MailboxAuditCsv, |h| h.has("LastAccessed") && h.has("Operation")),
];

/// The format of a CSV with this header, if it is an audit export.
pub(crate) fn detect_csv(header: &CsvHeader) -> Option<Format> {
    CSV_FORMATS.iter().find(|(_, matches)| matches(header)).map(|(format, _)| *format)
}

/// Graph's envelope keys, as they appear in the record text.
const GRAPH_KEYS: [&[u8]; 2] = [b"\"createdDateTime\"", b"\"auditLogRecordType\""];

/// True when a record carries Graph's envelope keys.
fn looks_like_graph(record: &[u8]) -> bool {
    GRAPH_KEYS.iter().any(|key| record.windows(key.len()).any(|w| w.eq_ignore_ascii_case(key)))
}

/// Whether a JSON export of this layout, with this first record, is this format.
type JsonTest = fn(JsonLayout, &[u8]) -> bool;

/// The JSON formats, most specific first; the last takes whatever is left.
const JSON_FORMATS: [(Format, JsonTest); 3] = [
    // The `value` envelope, or Graph records in any other layout.
    (Format::GraphJson, |layout, first| layout == JsonLayout::Envelope || looks_like_graph(first)),
    // A top-level array of records that are not Graph's camelCase envelopes.
    (Format::ManagementApiJson, |layout, _| layout == JsonLayout::Array),
    // Top-level objects one after another.
    (Format::Ndjson, |_, _| true),
];

/// The format of a JSON export, from its layout and its first record.
pub(crate) fn detect_json(layout: JsonLayout, first_record: &[u8]) -> Format {
    JSON_FORMATS.iter().find(|(_, matches)| matches(layout, first_record)).map_or(Format::Ndjson, |(format, _)| *format)
}

/// Whether text starts like a JSON export: `[` then `{` or `]`, or `{` then `"` or `}`.
/// `None` until enough of the text has arrived to tell (a TOML `[section]` or an INI file
/// also starts with `[`).
pub(crate) fn looks_like_json(text: &[u8]) -> Option<bool> {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn header(names: &[&str], all_quoted: bool) -> CsvHeader {
        CsvHeader { names: names.iter().map(|n| (*n).to_owned()).collect(), all_quoted }
    }

    #[test]
    fn the_most_specific_csv_format_wins() {
        let purview = ["RecordId", "CreationDate", "RecordType", "Operation", "UserId", "AuditData"];
        assert_eq!(detect_csv(&header(&purview, false)), Some(Format::PurviewCsv));
        let portal = ["CreationDate", "UserIds", "Operations", "AuditData"];
        assert_eq!(detect_csv(&header(&portal, false)), Some(Format::ClassicCsv));
        assert_eq!(detect_csv(&header(&portal, true)), Some(Format::PowershellCsv), "quoted as Export-Csv quotes");
        assert_eq!(detect_csv(&header(&["RunspaceId", "AuditData"], false)), Some(Format::PowershellCsv));
        assert_eq!(detect_csv(&header(&["TimeGenerated", "OfficeWorkload"], false)), Some(Format::SentinelCsv));
        assert_eq!(detect_csv(&header(&["LastAccessed", "Operation"], false)), Some(Format::MailboxAuditCsv));
        assert_eq!(detect_csv(&header(&["Name", "Value"], false)), None);
        let hunting = ["Timestamp", "ActionType", "Application", "AccountId", "ReportId", "RawEventData"];
        assert_eq!(detect_csv(&header(&hunting, false)), Some(Format::CloudAppEventsCsv));
        assert_eq!(detect_csv(&header(&hunting, true)), Some(Format::CloudAppEventsCsv), "quoted or not");
        let projected = ["TimeGenerated", "Timestamp", "RawEventData", "Operation"];
        assert_eq!(detect_csv(&header(&projected, false)), Some(Format::CloudAppEventsCsv), "before Sentinel");
        assert_eq!(detect_csv(&header(&["ActionType", "Timestamp"], false)), None, "no record, no export");
        assert_eq!(detect_csv(&header(&["RawEventData", "AuditData"], false)), Some(Format::ClassicCsv));
    }

    #[test]
    fn json_formats_by_layout_and_first_record() {
        let graph = br#"{"createdDateTime":"2026-01-01T00:00:00Z"}"#;
        let flat = br#"{"CreationTime":"2026-01-01T00:00:00"}"#;
        assert_eq!(detect_json(JsonLayout::Envelope, flat), Format::GraphJson);
        assert_eq!(detect_json(JsonLayout::Array, graph), Format::GraphJson);
        assert_eq!(detect_json(JsonLayout::Array, flat), Format::ManagementApiJson);
        assert_eq!(detect_json(JsonLayout::ObjectStream, flat), Format::Ndjson);
        assert_eq!(detect_json(JsonLayout::ObjectStream, graph), Format::GraphJson);
    }

    #[test]
    fn json_is_told_from_other_bracketed_text() {
        assert_eq!(looks_like_json(b"[{"), Some(true));
        assert_eq!(looks_like_json(b"[section]"), Some(false));
        assert_eq!(looks_like_json(b"{ \"a\""), Some(true));
        assert_eq!(looks_like_json(b"["), None);
        assert_eq!(looks_like_json(b"Id,Operation"), Some(false));
    }
}
