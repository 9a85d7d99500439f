//! The JSON stage: records split out of arrays, NDJSON lines or Graph envelopes by
//! [`JsonRecords`], the first deciding the format, each mapped through the field vocabulary.
//! Records that only feed counts take the fast lane (the skim); the rest, and every error, the
//! full parse.

use super::error::{FatalError, JsonPart, RowErrorKind};
use super::fields::{clip, json_error_kind, parse_record};
use super::format::{detect_json, Format};
use super::json_records::{JsonRecords, Piece};
use super::rows::{fast_lane_takes, RowState};
use super::sink::EventSink;
use super::skim::{skim, Quotes};

/// A JSON input being read.
pub(crate) struct JsonStage {
    records: JsonRecords,
    /// Stray text is reported once per line.
    last_stray_line: u64,
}

impl JsonStage {
    pub(crate) fn new(limit: usize) -> Self {
        Self { records: JsonRecords::new(limit), last_stray_line: 0 }
    }

    pub(crate) fn feed(&mut self, text: &[u8], rows: &mut RowState, sink: &mut dyn EventSink) {
        let Self { records, last_stray_line } = self;
        records.feed(text, &mut |piece| read_piece(rows, sink, last_stray_line, piece));
    }

    pub(crate) fn finish(&mut self, rows: &mut RowState, sink: &mut dyn EventSink) {
        let Self { records, last_stray_line } = self;
        records.finish(&mut |piece| read_piece(rows, sink, last_stray_line, piece));
        match records.layout() {
            None if rows.stats.rows_read == 0 && rows.fatal.is_none() => {
                rows.fatal = Some(FatalError::NotAnAuditExport { seen: "JSON with no records".into() });
            }
            // An export of a search that found nothing (`[]`, `{"value":[]}`), or whose every
            // record was damaged: the layout still says which export it is.
            Some(layout) if rows.format.is_none() => rows.format = Some(detect_json(layout, b"")),
            _ => {}
        }
    }
}

fn read_piece(rows: &mut RowState, sink: &mut dyn EventSink, last_stray_line: &mut u64, piece: Piece<'_>) {
    if rows.fatal.is_some() {
        return;
    }
    match piece {
        Piece::Record { line, text, layout } => {
            let first = rows.format.is_none();
            if first {
                rows.format = Some(detect_json(layout, text));
            }
            // Bytes that are not UTF-8 become U+FFFD, as in a CSV export, and the record is read.
            let text = crate::text::utf8_lossy(text);
            let invalid_utf8 = matches!(text, std::borrow::Cow::Owned(_));
            rows.invalid_utf8 = invalid_utf8;
            let text = text.as_ref();
            // The first record decides whether this is an audit export at all: full parse.
            if !first && !invalid_utf8 && rows.fast_lane && fast_record(rows, sink, line, text) {
                return;
            }
            match parse_record(text) {
                // A Graph page with no `value`, only its paging links: a search that found nothing.
                Ok(fields) if first && !fields.looks_like_audit() && is_graph_page(text) => {
                    rows.format = Some(Format::GraphJson);
                }
                // Not a record of an export that was misread: the input is not an export.
                Ok(fields) if first && !fields.looks_like_audit() => {
                    rows.fatal = Some(FatalError::NotAnAuditExport { seen: clip(text) });
                }
                Ok(fields) => {
                    rows.stats.rows_read += 1;
                    rows.accept_fields(sink, &fields, line, &|| text.to_owned());
                }
                Err(error) => {
                    rows.stats.rows_read += 1;
                    rows.reject(sink, line, json_error_kind(&error, text, JsonPart::Record));
                }
            }
        }
        Piece::Oversized { line } => {
            rows.stats.rows_read += 1;
            let limit = rows.limit;
            rows.reject(sink, line, RowErrorKind::RecordTooLarge { limit });
        }
        Piece::Damaged { line, last_line } => {
            rows.stats.rows_read += 1;
            rows.reject(sink, line, RowErrorKind::DamagedRecord { last_line });
        }
        Piece::Truncated { line, .. } => {
            rows.stats.rows_read += 1;
            rows.reject(sink, line, RowErrorKind::TruncatedJson);
        }
        Piece::Stray { line, .. } => {
            if *last_stray_line != line {
                *last_stray_line = line;
                rows.stats.rows_read += 1;
                rows.reject(sink, line, RowErrorKind::StrayText);
            }
        }
    }
}

/// The fast lane for a JSON record: skimmed, unless it is a send or an owner change.
fn fast_record(rows: &mut RowState, sink: &mut dyn EventSink, line: u64, text: &str) -> bool {
    let Some(record) = skim(text, Quotes::Plain, true) else {
        return false;
    };
    if !fast_lane_takes(&record) {
        return false;
    }
    rows.stats.rows_read += 1;
    rows.accept_fields(sink, &record, line, &String::new);
    true
}

/// A Graph response envelope that carries no records: its only keys are Graph's own.
fn is_graph_page(text: &str) -> bool {
    let Ok(serde_json::Value::Object(keys)) = serde_json::from_str::<serde_json::Value>(text) else {
        return false;
    };
    !keys.is_empty() && keys.keys().all(|k| k.starts_with("@odata.") || k == "value")
}
