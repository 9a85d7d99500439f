//! NDJSON / JSONL: one audit record per line.
//!
//! Written by collectors, SOF-ELK, Filebeat and Extractor-style tools (`-Output JSONL`,
//! `-AuditDataOnly`). A line cut short is reported on its own line number and the next line
//! is read normally.

use super::json_records::JsonLayout;

/// Top-level objects one after another, not Graph records.
pub(crate) fn matches(layout: JsonLayout, first_record: &[u8]) -> bool {
    layout == JsonLayout::ObjectStream && !super::graph_json::looks_like_graph(first_record)
}
