//! Microsoft Graph audit log query results (`security/auditLog/queries/{id}/records`).
//!
//! `{"@odata.context": …, "value": [{"id", "createdDateTime", "auditLogRecordType", "operation",
//! "userPrincipalName", "service", …, "auditData": {…}}]}`: a camelCase envelope around the
//! same AuditData the other exports carry. Several pages concatenated in one file, or the
//! records saved as an array or one per line, are read too.

use super::json_records::JsonLayout;

/// Graph's envelope keys, as they appear in the record text.
const GRAPH_KEYS: [&[u8]; 2] = [b"\"createdDateTime\"", b"\"auditLogRecordType\""];

/// True when a record carries Graph's envelope keys.
pub(crate) fn looks_like_graph(record: &[u8]) -> bool {
    GRAPH_KEYS.iter().any(|key| record.windows(key.len()).any(|w| w.eq_ignore_ascii_case(key)))
}

/// The `value` envelope, or Graph records in any other layout.
pub(crate) fn matches(layout: JsonLayout, first_record: &[u8]) -> bool {
    layout == JsonLayout::Envelope || looks_like_graph(first_record)
}
