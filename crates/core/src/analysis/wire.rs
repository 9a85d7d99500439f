//! An analysis in transit: the browser reads the parts of an input in several workers, and each
//! posts its analysis to the one that joins them ([`Analysis::to_bytes`],
//! [`Analysis::from_bytes`]). Only what a join or merge reads crosses; the settings (rules,
//! limits) are the receiver's, as they must be the same.
//!
//! Hand-rolled rather than JSON: serde_json's readers for these types were a third of the
//! worker's code (the page's download budget). Little-endian fixed-width numbers, strings as a
//! `u32` length and UTF-8; the sends in the codec's compact form ([`crate::report::codec`]),
//! the records as columns. Every length is checked against the bytes left.

use chrono::DateTime;

use super::bytes::{Cursor, Out};
use super::records::{Records, Workloads};
use super::source::{SourceMeta, SourceState};
use super::{Analysis, RejectTally};
use crate::ingest::split::PartEnd;
use crate::ingest::{FatalError, Format, IngestStats, JsonPart, RowError, RowErrorKind};
use crate::model::{OwnerChange, SourceRef};
use crate::report::codec::{decode_sends, encode_sends};
use crate::report::{ExportTimeOrigin, OwnerChangeRow};
use crate::time::DateOrder;

/// A rejected record, in the byte form.
impl Out {
    fn error(&mut self, e: &RowError) {
        self.u32(e.source.file);
        self.u64(e.source.line);
        use RowErrorKind as K;
        match &e.kind {
            K::InvalidJson { part, detail } => {
                self.u8(0);
                self.u8(u8::from(*part == JsonPart::Record));
                self.str(detail);
            }
            K::TruncatedJson => self.u8(1),
            K::TruncatedCell { chars } => {
                self.u8(2);
                self.u64(*chars as u64);
            }
            K::NotAnObject => self.u8(3),
            K::MissingField { field } => {
                self.u8(4);
                self.str(field);
            }
            K::BadTimestamp { field, value } => {
                self.u8(5);
                self.str(field);
                self.str(value);
            }
            K::ColumnCount { expected, found } => {
                self.u8(6);
                self.u64(*expected as u64);
                self.u64(*found as u64);
            }
            K::DamagedRecord { last_line } => {
                self.u8(7);
                self.u64(*last_line);
            }
            K::UnterminatedQuote => self.u8(8),
            K::InvalidUtf8 => self.u8(9),
            K::StrayText => self.u8(10),
            K::EmptyAuditData => self.u8(11),
            K::TooManyFields { limit } => {
                self.u8(12);
                self.u64(*limit as u64);
            }
            K::RecordTooLarge { limit } => {
                self.u8(13);
                self.u64(*limit as u64);
            }
        }
    }
}

/// Reads what [`Out::error`] wrote.
impl Cursor<'_> {
    fn error(&mut self) -> Result<RowError, String> {
        let source = SourceRef { file: self.u32()?, line: self.u64()? };
        use RowErrorKind as K;
        let kind = match self.u8()? {
            0 => {
                let part = if self.flag()? { JsonPart::Record } else { JsonPart::AuditData };
                K::InvalidJson { part, detail: self.string()? }
            }
            1 => K::TruncatedJson,
            2 => K::TruncatedCell { chars: self.usize()? },
            3 => K::NotAnObject,
            4 => K::MissingField { field: self.string()?.into() },
            5 => K::BadTimestamp { field: self.string()?.into(), value: self.string()? },
            6 => K::ColumnCount { expected: self.usize()?, found: self.usize()? },
            7 => K::DamagedRecord { last_line: self.u64()? },
            8 => K::UnterminatedQuote,
            9 => K::InvalidUtf8,
            10 => K::StrayText,
            11 => K::EmptyAuditData,
            12 => K::TooManyFields { limit: self.usize()? },
            13 => K::RecordTooLarge { limit: self.usize()? },
            _ => return Err("an unknown rejection reason".into()),
        };
        Ok(RowError { source, kind })
    }
}

fn source_out(out: &mut Out, s: &SourceState) {
    out.str(&s.meta.name);
    match s.meta.exported_at {
        Some((t, origin)) => {
            out.u8(1 + u8::from(origin == ExportTimeOrigin::FileModified));
            out.i64(t.timestamp());
        }
        None => out.u8(0),
    }
    out.u8(s.format.and_then(|f| Format::ALL.iter().position(|&g| g == f)).map_or(0, |i| i as u8 + 1));
    let st = &s.stats;
    for v in [st.bytes, st.rows_read, st.accepted, st.rejected, st.ambiguous_dates, st.repaired_text] {
        out.u64(v);
    }
    out.strs(&st.duplicate_columns);
    out.opt_i64(s.first);
    out.opt_i64(s.last);
    out.opt_str(s.error.as_ref().map(ToString::to_string).as_deref());
    out.u64(s.cut_values);
    let p = &s.part_end;
    out.u8(u8::from(p.at_row_boundary));
    out.u64(p.line_breaks);
    out.u64(p.head_line_breaks);
    out.u8(match p.date_order {
        None => 0,
        Some(DateOrder::MonthFirst) => 1,
        Some(DateOrder::DayFirst) => 2,
    });
    out.u8(u8::from(p.date_order_consulted));
}

fn source_in(at: &mut Cursor<'_>) -> Result<SourceState, String> {
    let name = at.string()?;
    let exported_at = match at.u8()? {
        0 => None,
        tag @ (1 | 2) => {
            let origin = if tag == 2 { ExportTimeOrigin::FileModified } else { ExportTimeOrigin::Given };
            Some((DateTime::from_timestamp(at.i64()?, 0).ok_or("an export time out of range")?, origin))
        }
        _ => return Err("an unknown export time".into()),
    };
    let mut state = SourceState::new(SourceMeta { name, exported_at });
    state.format = match at.u8()? {
        0 => None,
        i => Some(*Format::ALL.get(i as usize - 1).ok_or("an unknown format")?),
    };
    let mut n = [0u64; 6];
    for v in &mut n {
        *v = at.u64()?;
    }
    let duplicate_columns = at.strings()?;
    state.stats = IngestStats {
        bytes: n[0],
        rows_read: n[1],
        accepted: n[2],
        rejected: n[3],
        ambiguous_dates: n[4],
        repaired_text: n[5],
        duplicate_columns,
    };
    state.first = at.opt_i64()?;
    state.last = at.opt_i64()?;
    state.error = at.opt_string()?.map(|reason| FatalError::Unreadable { reason });
    state.cut_values = at.u64()?;
    state.part_end = PartEnd {
        at_row_boundary: at.flag()?,
        line_breaks: at.u64()?,
        head_line_breaks: at.u64()?,
        date_order: match at.u8()? {
            0 => None,
            1 => Some(DateOrder::MonthFirst),
            2 => Some(DateOrder::DayFirst),
            _ => return Err("an unknown date order".into()),
        },
        date_order_consulted: at.flag()?,
    };
    Ok(state)
}

impl Analysis {
    /// The analysis as bytes, for [`Analysis::from_bytes`] in another worker (sends, counts,
    /// records and rejections; not the settings).
    pub fn to_bytes(self) -> Vec<u8> {
        let mut out = Out(Vec::with_capacity(self.records.len() * 48 + self.sends.len() * 256));
        out.len(self.sources.len());
        self.sources.iter().for_each(|s| source_out(&mut out, s));
        out.u8(u8::from(self.first_inputs.is_some()));
        out.u32s(self.first_inputs.as_deref().unwrap_or_default());
        out.strs(&self.workloads.names);
        out.u32s(&self.send_records);
        out.len(self.send_digests.len());
        self.send_digests.iter().for_each(|&d| out.u128(d));
        out.len(self.owner_changes.len());
        for change in &self.owner_changes {
            out.i64(change.time.timestamp());
            out.u32(change.time.timestamp_subsec_nanos());
            out.opt_str(change.changed_by.as_deref());
            out.str(&change.change.group);
            out.strs(&change.change.added);
            out.strs(&change.change.removed);
        }
        out.u32s(&self.owner_change_records);
        out.len(self.errors.len());
        self.errors.iter().for_each(|e| out.error(e));
        out.len(self.reject_tallies.len());
        for t in &self.reject_tallies {
            out.u32(t.file);
            out.u64(t.count);
            out.error(&t.first);
            out.u64(t.last_line);
        }
        out.bytes(&encode_sends(&self.sends.into_vec()));
        self.records.to_bytes(&mut out);
        out.0
    }

    /// An analysis from [`Analysis::to_bytes`], with `like`'s settings ([`Analysis::with_same_settings`]).
    /// An `Err` says why the bytes are not one (damaged, another build's).
    ///
    /// ```
    /// use sendas_core::{Analysis, SourceMeta};
    ///
    /// let mut part = Analysis::default();
    /// let meta = SourceMeta { name: "a.jsonl".into(), exported_at: None };
    /// part.read_source(meta, br#"{"Id":"1","CreationTime":"2026-11-20T09:00:00","Operation":"SendAs"}"#).unwrap();
    /// let bytes = part.to_bytes();
    /// let back = Analysis::from_bytes(&Analysis::default(), &bytes).unwrap();
    /// assert_eq!(back.finish().summary.send_events, 1);
    /// assert!(Analysis::from_bytes(&Analysis::default(), &bytes[..10]).is_err());
    /// ```
    pub fn from_bytes(like: &Analysis, bytes: &[u8]) -> Result<Analysis, String> {
        let mut at = Cursor::new(bytes);
        let mut analysis = like.with_same_settings();
        analysis.sources = (0..at.count(8)?).map(|_| source_in(&mut at)).collect::<Result<_, _>>()?;
        let tracked = at.flag()?;
        let first_inputs = at.u32s()?;
        analysis.first_inputs = tracked.then_some(first_inputs);
        let names = at.strings()?;
        analysis.send_records = at.u32s()?;
        analysis.send_digests = (0..at.count(16)?).map(|_| at.u128()).collect::<Result<_, _>>()?;
        analysis.owner_changes = (0..at.count(12)?)
            .map(|_| {
                let time = DateTime::from_timestamp(at.i64()?, at.u32()?).ok_or("a time out of range")?;
                let changed_by = at.opt_string()?;
                let change = OwnerChange { group: at.string()?, added: at.strings()?, removed: at.strings()? };
                Ok(OwnerChangeRow { time, changed_by, change })
            })
            .collect::<Result<_, String>>()?;
        analysis.owner_change_records = at.u32s()?;
        analysis.errors = (0..at.count(13)?).map(|_| at.error()).collect::<Result<_, _>>()?;
        analysis.reject_tallies = (0..at.count(25)?)
            .map(|_| {
                let (file, count, first, last_line) = (at.u32()?, at.u64()?, at.error()?, at.u64()?);
                Ok(RejectTally { file, reason: first.kind.name(), count, first, last_line })
            })
            .collect::<Result<_, String>>()?;
        let sends = decode_sends(at.bytes()?)?;
        let store = Records::from_bytes(&mut at)?;
        if at.left() != 0 {
            return Err("bytes follow the analysis".into());
        }
        let records = store.len();
        let consistent = analysis.send_records.len() == sends.len()
            && analysis.send_digests.len() == sends.len()
            && analysis.owner_change_records.len() == analysis.owner_changes.len()
            && analysis.send_records.iter().chain(&analysis.owner_change_records).all(|&r| (r as usize) < records)
            && store.workloads.iter().all(|&w| (w as usize) < names.len())
            && analysis.first_inputs.as_ref().is_none_or(|f| f.len() == records)
            // Inputs named by number are inputs of this analysis (a merge adds to the numbers).
            && sends.iter().map(|s| s.event.source.file).chain(analysis.errors.iter().map(|e| e.source.file))
                .chain(analysis.reject_tallies.iter().flat_map(|t| [t.file, t.first.source.file]))
                .chain(analysis.first_inputs.iter().flatten().copied())
                .all(|file| (file as usize) < analysis.sources.len().max(1));
        if !consistent {
            return Err("the parts of the analysis do not fit together".into());
        }
        let mut workloads = Workloads::default();
        for name in &names {
            workloads.id(name);
        }
        if workloads.names.len() != names.len() {
            return Err("the workloads of the analysis repeat one another".into());
        }
        analysis.workloads = workloads;
        analysis.records = store;
        sends.into_iter().for_each(|send| analysis.sends.push(send));
        Ok(analysis)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generate::write_export;
    use crate::ingest::Format;

    fn part() -> Analysis {
        // The article's scenario (sends, owner changes, repeats), a text id and a broken row, so
        // every part of the form is there.
        let mut bytes = include_bytes!("../../../../tests/fixtures/purview-article-scenario.csv").to_vec();
        bytes.extend_from_slice(b"a broken row,with the wrong width\n");
        let mut analysis = Analysis::default();
        analysis.read_source(SourceMeta { name: "a.csv".into(), exported_at: None }, &bytes).unwrap();
        let mut generated = Vec::new();
        write_export(Format::Ndjson, 300, 9, &mut generated).unwrap();
        generated.extend_from_slice(
            br#"{"Id":"not-a-guid","CreationTime":"2026-11-20T09:00:00","Operation":"FileAccessed"}"#,
        );
        analysis.read_source(SourceMeta { name: "b.jsonl".into(), exported_at: None }, &generated).unwrap();
        analysis
    }

    #[test]
    fn a_part_crosses_whole_and_damage_is_an_error_not_a_panic() {
        let whole = part().finish();
        assert!(
            whole.summary.rejected > 0 && !whole.summary.owner_changes.is_empty(),
            "{:?}",
            whole.summary.owner_changes
        );
        let bytes = part().to_bytes();
        let back = Analysis::from_bytes(&Analysis::default(), &bytes).unwrap().finish();
        assert_eq!(back, whole);
        for cut in (0..bytes.len()).step_by(97) {
            assert!(Analysis::from_bytes(&Analysis::default(), &bytes[..cut]).is_err(), "cut at {cut}");
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(Analysis::from_bytes(&Analysis::default(), &longer).is_err());
        // Any byte changed: read or refused, never a panic.
        for at in (0..bytes.len()).step_by(13) {
            let mut damaged = bytes.clone();
            damaged[at] ^= 0xA5;
            if let Ok(analysis) = Analysis::from_bytes(&Analysis::default(), &damaged) {
                let mut joined = part();
                joined.merge(analysis);
                joined.finish();
            }
        }
    }
}
