//! Office 365 Management Activity API content: a JSON array of flat audit records.
//!
//! What `GET contentUri` returns, and what most collectors save; Extractor-style tools also
//! write arrays of wrapper objects (`{"CreationDate", "UserIds", "AuditData": {…}}`), which the
//! shared field mapping reads the same way. Records may carry the content blob's
//! `contentCreated` when the collector kept it: that is when the record became available.

use super::json_records::JsonLayout;

/// A top-level array whose records are not Graph's camelCase envelopes.
pub(crate) fn matches(layout: JsonLayout, first_record: &[u8]) -> bool {
    layout == JsonLayout::Array && !super::graph_json::looks_like_graph(first_record)
}
