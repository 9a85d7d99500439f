//! Purview "Audit (New Search)" export CSV.
//!
//! Header: `RecordId,CreationDate,RecordType,Operation,UserId,AuditData,AssociatedAdminUnits,AssociatedAdminUnitsNames`.
//! `RecordType` is numeric, `CreationDate` is either `"2026-01-24T06:54:24.0000000Z "` (note
//! the trailing space) or `9/20/2023 4:05:03 AM`; `AuditData.CreationTime` is preferred.
//! The web UI exports at most 50,000 rows per search.

use super::CsvHeader;

/// A Purview export names its id column `RecordId`; no other export does.
pub(crate) fn matches(header: &CsvHeader) -> bool {
    header.has("RecordId") && header.has("AuditData") && header.has("Operation")
}
