//! Microsoft Sentinel / Log Analytics `OfficeActivity` export CSV.
//!
//! A flat table: one column per field (`TimeGenerated [UTC]`, `OfficeWorkload`, `Logon_Type`,
//! `Client_IPAddress`, `SendAsUserSmtp`, …), no AuditData. It is the one CSV that can carry
//! when a record reached the log: project `ingestion_time()` (or `_TimeReceived`) in the query
//! and the column is read as the arrival time.

use super::CsvHeader;

/// Log Analytics names the time column `TimeGenerated` and the workload `OfficeWorkload`.
pub(crate) fn matches(header: &CsvHeader) -> bool {
    header.has("TimeGenerated") && (header.has("OfficeWorkload") || header.has("OfficeId") || header.has("Operation"))
}
