//! An analysis in transit: the browser reads the parts of an input in several workers, and each
//! posts its analysis to the one that joins them ([`Analysis::to_bytes`],
//! [`Analysis::from_bytes`]). Only what a join or merge reads crosses; the settings (rules,
//! limits) are the receiver's, as they must be the same.

use serde::{Deserialize, Serialize};

use super::records::{Records, Workloads};
use super::source::{SourceMeta, SourceState};
use super::{Analysis, RejectTally};
use crate::ingest::split::PartEnd;
use crate::ingest::{FatalError, Format, IngestStats, RowError};
use crate::report::codec::{decode_sends, encode_sends};
use crate::report::OwnerChangeRow;

/// What an analysis of parts carries across.
#[derive(Serialize, Deserialize)]
struct Wire {
    sources: Vec<WireSource>,
    first_inputs: Option<Vec<u32>>,
    workloads: Vec<String>,
    send_records: Vec<u32>,
    send_digests: Vec<u128>,
    owner_changes: Vec<OwnerChangeRow>,
    owner_change_records: Vec<u32>,
    errors: Vec<RowError>,
    reject_tallies: Vec<WireTally>,
}

#[derive(Serialize, Deserialize)]
struct WireSource {
    meta: SourceMeta,
    format: Option<Format>,
    stats: IngestStats,
    first: Option<i64>,
    last: Option<i64>,
    /// Why it is unusable, in words: a part found unusable is never joined (the receiver reads
    /// the input again in one pass and says why), so only the fact and the words cross.
    error: Option<String>,
    cut_values: u64,
    part_end: PartEnd,
}

#[derive(Serialize, Deserialize)]
struct WireTally {
    file: u32,
    count: u64,
    first: RowError,
    last_line: u64,
}

impl Analysis {
    /// The analysis as bytes, for [`Analysis::from_bytes`] in another worker (sends, counts,
    /// records and rejections; not the settings).
    pub fn to_bytes(self) -> Vec<u8> {
        let wire = Wire {
            sources: self
                .sources
                .into_iter()
                .map(|s| WireSource {
                    meta: s.meta,
                    format: s.format,
                    stats: s.stats,
                    first: s.first,
                    last: s.last,
                    error: s.error.map(|e| e.to_string()),
                    cut_values: s.cut_values,
                    part_end: s.part_end,
                })
                .collect(),
            first_inputs: self.first_inputs,
            workloads: self.workloads.names,
            send_records: self.send_records,
            send_digests: self.send_digests,
            owner_changes: self.owner_changes,
            owner_change_records: self.owner_change_records,
            errors: self.errors,
            reject_tallies: self
                .reject_tallies
                .into_iter()
                .map(|t| WireTally { file: t.file, count: t.count, first: t.first, last_line: t.last_line })
                .collect(),
        };
        // The sends in the compact form and the records as columns of numbers (most of a large
        // part); the rest as JSON. Plain data into a Vec: it cannot fail.
        let json = serde_json::to_vec(&wire).unwrap_or_default();
        let sends = encode_sends(&self.sends);
        let mut bytes = Vec::with_capacity(json.len() + sends.len() + 8 + self.records.len() * 48);
        for part in [&json, &sends] {
            bytes.extend_from_slice(&(part.len() as u32).to_le_bytes());
            bytes.extend_from_slice(part);
        }
        self.records.to_bytes(&mut bytes);
        bytes
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
        let mut rest = bytes;
        let mut next = || -> Result<&[u8], String> {
            let cut = || "the analysis is cut short".to_owned();
            let len = u32::from_le_bytes(rest.get(..4).ok_or_else(cut)?.try_into().map_err(|_| cut())?) as usize;
            let part = rest.get(4..len.checked_add(4).ok_or_else(cut)?).ok_or_else(cut)?;
            rest = &rest[4 + len..];
            Ok(part)
        };
        let wire: Wire = serde_json::from_slice(next()?).map_err(|e| e.to_string())?;
        let sends = decode_sends(next()?)?;
        let (store, used) = Records::from_bytes(rest)?;
        if used != rest.len() {
            return Err("bytes follow the analysis".into());
        }
        let records = store.len();
        let consistent = wire.send_records.len() == sends.len()
            && wire.send_digests.len() == sends.len()
            && wire.owner_change_records.len() == wire.owner_changes.len()
            && wire.send_records.iter().chain(&wire.owner_change_records).all(|&r| (r as usize) < records)
            && store.workloads.iter().all(|&w| (w as usize) < wire.workloads.len())
            && wire.first_inputs.as_ref().is_none_or(|f| f.len() == records);
        if !consistent {
            return Err("the parts of the analysis do not fit together".into());
        }
        let mut analysis = like.with_same_settings();
        analysis.sources = wire
            .sources
            .into_iter()
            .map(|s| {
                let mut state = SourceState::new(s.meta);
                state.format = s.format;
                state.stats = s.stats;
                state.first = s.first;
                state.last = s.last;
                state.error = s.error.map(|reason| FatalError::Unreadable { reason });
                state.cut_values = s.cut_values;
                state.part_end = s.part_end;
                state
            })
            .collect();
        let mut workloads = Workloads::default();
        for name in &wire.workloads {
            workloads.id(name);
        }
        analysis.records = store;
        if workloads.names.len() != wire.workloads.len() {
            return Err("the workloads of the analysis repeat one another".into());
        }
        analysis.workloads = workloads;
        analysis.first_inputs = wire.first_inputs;
        analysis.sends = sends;
        analysis.send_records = wire.send_records;
        analysis.send_digests = wire.send_digests;
        analysis.owner_changes = wire.owner_changes;
        analysis.owner_change_records = wire.owner_change_records;
        analysis.errors = wire.errors;
        analysis.reject_tallies = wire
            .reject_tallies
            .into_iter()
            .map(|t| RejectTally {
                file: t.file,
                reason: t.first.kind.name(),
                count: t.count,
                first: t.first,
                last_line: t.last_line,
            })
            .collect();
        Ok(analysis)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generate::write_export;
    use crate::ingest::Format;

    fn part() -> Analysis {
        let mut bytes = Vec::new();
        write_export(Format::PurviewCsv, 300, 9, &mut bytes).unwrap();
        // Repeats and a text id, so every column is there.
        bytes.extend_from_slice(b"2026-11-20T09:00:00,kim@contoso.com,FileAccessed,\"{\"\"Id\"\":\"\"not-a-guid\"\",\"\"Operation\"\":\"\"FileAccessed\"\",\"\"CreationTime\"\":\"\"2026-11-20T09:00:00\"\"}\"\n");
        let mut analysis = Analysis::default();
        analysis.read_source(SourceMeta { name: "a.csv".into(), exported_at: None }, &bytes).unwrap();
        analysis
    }

    #[test]
    fn a_part_crosses_whole_and_damage_is_an_error_not_a_panic() {
        let whole = part().finish();
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
