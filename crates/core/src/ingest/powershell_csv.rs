//! `Search-UnifiedAuditLog | Export-Csv` output.
//!
//! Windows PowerShell quotes every field, header included:
//! `"RunspaceId","RecordType","CreationDate","UserIds","Operations","AuditData","ResultIndex",…`
//! or any subset picked with `Select-Object`. `RecordType` is a name (`ExchangeItem`) and
//! `CreationDate` is rendered in the exporting machine's culture, so `3/12/2025` may be
//! 3 December: the row's `AuditData.CreationTime` decides, and rows without one use the order
//! the file has shown (see `fields::DateOrderHint`).

use super::CsvHeader;

/// Columns only the cmdlet's object has.
const CMDLET_COLUMNS: [&str; 6] = ["RunspaceId", "ResultIndex", "ResultCount", "Identity", "IsValid", "ObjectState"];

/// The cmdlet's own columns, or the portal's four columns quoted the way `Export-Csv` quotes.
pub(crate) fn matches(header: &CsvHeader) -> bool {
    header.has("AuditData")
        && (CMDLET_COLUMNS.iter().any(|c| header.has(c))
            || (header.all_quoted && header.has("CreationDate") && header.has("UserIds")))
}
