//! Classic Security & Compliance Center "Download all results" CSV.
//!
//! Header: `CreationDate,UserIds,Operations,AuditData` (unquoted; Microsoft's pages also spell
//! `Operation`). Any other CSV with an `AuditData` column and no cmdlet or Purview columns is
//! read the same way: the JSON in `AuditData` carries the record.

use super::CsvHeader;

/// An `AuditData` column is enough once the more specific exports are ruled out.
pub(crate) fn matches(header: &CsvHeader) -> bool {
    header.has("AuditData")
}
