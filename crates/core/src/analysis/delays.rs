//! Delay inference: when each record reached the log, measured or bounded.
//!
//! Measured from an arrival time the input carries; else bounded by which exports held the
//! record: one taken after the record happened, covering its moment, yet lacking it, says it
//! had not arrived yet; one holding it says it had. The figures per workload are
//! [`DelayStats`](crate::report::DelayStats), in `report/delays.rs`.

use std::collections::BTreeMap;

use super::records::{Records, MAX_TRACKED_SOURCES};
use super::source::SourceState;
use crate::model::ArrivalSource;
use crate::report::{Delay, DelayStats};

/// An export whose time can bound delays: read without error, with an export time, among the
/// inputs whose presence is tracked. Times are Unix seconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct ComparableExport {
    /// Its input number.
    input: usize,
    /// When it was taken.
    exported_at: i64,
    /// Its earliest record.
    first: i64,
    /// Its latest record.
    last: i64,
}

/// What the inputs allow to be said about delays.
pub(super) struct DelayInference {
    comparable: Vec<ComparableExport>,
    /// At least two exports taken at different times: bounds are possible.
    pub can_bound: bool,
}

impl DelayInference {
    pub(super) fn new(sources: &[SourceState]) -> Self {
        let comparable: Vec<ComparableExport> = sources
            .iter()
            .enumerate()
            .take(MAX_TRACKED_SOURCES)
            .filter(|(_, s)| s.error.is_none())
            .filter_map(|(input, s)| {
                Some(ComparableExport {
                    input,
                    exported_at: s.meta.exported_at?.0.timestamp(),
                    first: s.first?,
                    last: s.last?,
                })
            })
            .collect();
        let mut times: Vec<i64> = comparable.iter().map(|c| c.exported_at).collect();
        times.sort_unstable();
        times.dedup();
        Self { can_bound: times.len() >= 2, comparable }
    }

    /// A record's delay: measured from its arrival time, else bounded by which inputs held it.
    pub(super) fn delay(&self, records: &Records, record: usize) -> Option<Delay> {
        let time = records.times[record];
        if let Some((arrived, _)) = records.arrival(record) {
            return Some(Delay::Measured { seconds: arrived - time });
        }
        if !self.can_bound || !records.is_keyed(record) {
            return None;
        }
        self.bound(time, records.presence(record))
            .map(|(low, high)| Delay::Bounded { min_seconds: low, max_seconds: high })
    }

    /// `(least, greatest)` possible delay for a record, from which inputs contained it.
    fn bound(&self, time: i64, presence: u64) -> Option<(i64, i64)> {
        let mut upper: Option<i64> = None;
        let mut lower: Option<i64> = None;
        for export in &self.comparable {
            let present = presence & (1u64 << export.input) != 0;
            if present {
                upper = Some(upper.map_or(export.exported_at, |u| u.min(export.exported_at)));
            } else if export.exported_at > time && (export.first..=export.last).contains(&time) {
                // The export covered this moment and was taken after it, yet lacked the record:
                // it had not reached the log yet.
                lower = Some(lower.map_or(export.exported_at, |l| l.max(export.exported_at)));
            }
        }
        let (lower, upper) = (lower?, upper?);
        (lower < upper).then_some((lower - time, upper - time))
    }

    /// Delay figures per workload (every workload named, measured or not).
    pub(super) fn per_workload(&self, records: &Records, workloads: &[String]) -> BTreeMap<String, DelayStats> {
        let n = workloads.len();
        let mut measured: Vec<Vec<i64>> = vec![Vec::new(); n];
        let mut bounded: Vec<Vec<(i64, i64)>> = vec![Vec::new(); n];
        let mut arrival_sources: Vec<Vec<String>> = vec![Vec::new(); n];
        let mut held = vec![false; n];
        for record in 0..records.len() {
            let w = records.workloads[record] as usize;
            held[w] = true;
            match self.delay(records, record) {
                Some(Delay::Measured { seconds }) => {
                    let name = match records.arrival(record) {
                        Some((_, ArrivalSource::ContentCreated)) => "content-created",
                        _ => "ingestion-time",
                    };
                    if !arrival_sources[w].iter().any(|s| s == name) {
                        arrival_sources[w].push(name.to_owned());
                    }
                    measured[w].push(seconds);
                }
                Some(Delay::Bounded { min_seconds, max_seconds }) => bounded[w].push((min_seconds, max_seconds)),
                None => {}
            }
        }
        let mut delays = BTreeMap::new();
        // Only workloads some record holds: a record kept in place of a repeat may leave its
        // repeat's workload behind, named but empty.
        for (w, name) in workloads.iter().enumerate().filter(|(w, _)| held[*w]) {
            crate::sorting::sort_stable_by(&mut arrival_sources[w], Ord::cmp);
            let stats = DelayStats::compute(
                std::mem::take(&mut measured[w]),
                std::mem::take(&mut bounded[w]),
                std::mem::take(&mut arrival_sources[w]),
            );
            delays.insert(name.clone(), stats);
        }
        delays
    }
}
