//! The report's assembly: from a finished analysis to the [`Summary`] both faces print.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use super::delays::DelayInference;
use super::records::MAX_TRACKED_SOURCES;
use super::source::SourceState;
use super::{source_name, Analysis, AnalysisResult};
use crate::report::{
    conflict_warning, delay_bins, delay_note, delay_warnings, findings, input_warnings, rules_warnings,
    ClassifiedEvent, ErrorRow, FindingInput, InputNotes, RejectedReason, SendReport, SourceSummary, Summary, TimeRange,
    UnusableInput, MAX_LISTED_ERRORS,
};

/// Per-input counts that follow from the store: new events and records without an id.
#[derive(Clone, Copy, Default)]
struct InputCounts {
    events: u64,
    unkeyed: u64,
}

/// Computes delays, findings and the summary.
pub(super) fn assemble(mut analysis: Analysis) -> AnalysisResult {
    // Owned here so it can go before the sends are unpacked (`sends.rs`): the two largest parts
    // of an analysis are never whole at once.
    let store = std::mem::take(&mut analysis.records);
    let records = &store;
    let inference = DelayInference::new(&analysis.sources);
    let delays = inference.per_workload(records, &analysis.workloads.names);
    let send_delays: Vec<_> =
        analysis.send_records.iter().map(|&record| inference.delay(records, record as usize)).collect();
    let known: u64 = delays.values().map(|d| d.measured + d.bounded).sum();
    let blind: Vec<&str> =
        delays.iter().filter(|(_, d)| d.measured + d.bounded == 0).map(|(w, _)| w.as_str()).collect();
    // Each format once, in a fixed order: the sentence must not depend on the order of the files.
    let formats: Vec<&str> = {
        let read = crate::sorting::set_of(analysis.sources.iter().filter_map(|s| s.format));
        read.into_iter().map(|f| f.name()).collect()
    };
    // An input that could not be used is no export to compare with.
    let usable = analysis.sources.iter().filter(|s| s.error.is_none()).count();
    let delay_note =
        (records.len() > 0).then(|| delay_note(&formats, usable, inference.can_bound, known, &blind)).flatten();

    crate::sorting::sort_stable_by(&mut analysis.owner_changes, |a, b| a.time.cmp(&b.time));
    let mut counts = vec![InputCounts::default(); analysis.sources.len()];
    let mut per_workload = vec![0u64; analysis.workloads.names.len()];
    for record in 0..records.len() {
        per_workload[records.workloads[record] as usize] += 1;
        if let Some(c) = counts.get_mut(analysis.first_input(record) as usize) {
            c.events += 1;
            c.unkeyed += u64::from(!records.is_keyed(record));
        }
    }
    let by_workload: BTreeMap<String, u64> =
        crate::sorting::map_of(analysis.workloads.names.iter().cloned().zip(per_workload).filter(|(_, n)| *n > 0));
    let time_range = range(records.times.iter().copied().min(), records.times.iter().copied().max());

    let mut formats: Vec<String> = Vec::new();
    for format in analysis.sources.iter().filter_map(|s| s.format) {
        if !formats.iter().any(|f| f == format.name()) {
            formats.push(format.name().to_owned());
        }
    }
    let notes: Vec<InputNotes<'_>> = analysis
        .sources
        .iter()
        .zip(&counts)
        .map(|(s, c)| InputNotes {
            name: &s.meta.name,
            stats: &s.stats,
            unkeyed: c.unkeyed,
            usable: s.error.is_none(),
            cut_values: s.cut_values,
        })
        .collect();
    let mut warnings = rules_warnings(&analysis.rules.departures());
    warnings.extend(input_warnings(&notes, MAX_TRACKED_SOURCES));
    warnings.extend(delay_warnings(&delays));
    let (conflicting, first_ids) = records.conflicting_ids(5);
    let first_ids: Vec<String> = first_ids.iter().map(|id| crate::ingest::fields::clip(id)).collect();
    warnings.extend(conflict_warning(conflicting, &first_ids));
    drop(store);
    let mut sends = std::mem::take(&mut analysis.sends).into_vec();
    for (send, delay) in sends.iter_mut().zip(send_delays) {
        send.delay = delay;
    }
    let sources: Vec<SourceSummary> =
        analysis.sources.iter().zip(&counts).map(|(s, c)| source_summary(s, *c)).collect();
    let unusable_inputs = analysis
        .sources
        .iter()
        .filter_map(|s| Some(UnusableInput { file: s.meta.name.clone(), reason: s.error.as_ref()?.to_string() }))
        .collect();
    let names: Vec<String> = analysis.sources.iter().map(|s| s.meta.name.clone()).collect();
    let errors = analysis
        .errors
        .iter()
        .take(MAX_LISTED_ERRORS)
        .map(|e| ErrorRow {
            file: source_name(&names, e.source).to_owned(),
            line: e.source.line,
            message: e.kind.to_string(),
        })
        .collect();
    let mut tallies: Vec<&super::RejectTally> = analysis.reject_tallies.iter().collect();
    crate::sorting::sort_stable_by(&mut tallies, |a, b| {
        (a.file, a.first.source.line).cmp(&(b.file, b.first.source.line))
    });
    let rejected_by_reason = tallies
        .into_iter()
        .map(|t| RejectedReason {
            file: source_name(&names, t.first.source).to_owned(),
            reason: t.reason.to_owned(),
            count: t.count,
            first_line: t.first.source.line,
            last_line: t.last_line,
            example: t.first.kind.to_string(),
        })
        .collect();
    let total = |count: fn(&SourceSummary) -> u64| sources.iter().map(count).sum::<u64>();

    let mut summary = Summary {
        rows_read: total(|s| s.rows_read),
        events: total(|s| s.events),
        rejected: total(|s| s.rejected),
        duplicates: total(|s| s.duplicates),
        conflicting_duplicates: conflicting,
        formats,
        send_events: sends.len() as u64,
        // The parts drawn from the classified sends: `fill_send_parts` below.
        by_class: Default::default(),
        by_operation: Default::default(),
        by_workload,
        time_range,
        attribution: Vec::new(),
        matrix: Vec::new(),
        connectors: Vec::new(),
        timeline: SendReport::default().timeline(),
        delay_bins: delay_bins(),
        delays,
        delay_note,
        owner_changes: analysis.owner_changes,
        findings: Vec::new(),
        warnings,
        errors,
        rejected_by_reason,
        sources,
        unusable_inputs,
    };
    fill_send_parts(&mut summary, &sends);
    AnalysisResult { summary, sends, errors: analysis.errors, source_names: names, rules: analysis.rules }
}

/// The parts of the report drawn from the classified sends (classes, charts, findings): what
/// changes when the same sends are classified by other rules.
pub(super) fn fill_send_parts(summary: &mut Summary, sends: &[ClassifiedEvent]) {
    let mut report = SendReport::default();
    for send in sends {
        report.add(send);
    }
    summary.findings = findings(&FindingInput {
        sends,
        report: &report,
        delays: &summary.delays,
        delay_note: summary.delay_note.as_deref(),
        owner_changes: &summary.owner_changes,
        time_range: summary.time_range,
        workloads: summary.delays.keys().map(String::as_str).collect(),
    });
    summary.by_class = report.by_class;
    summary.attribution = report.actors();
    summary.matrix = report.matrix();
    summary.connectors = report.connectors();
    summary.timeline = report.timeline();
    summary.by_operation = report.by_operation;
}

fn range(first: Option<i64>, last: Option<i64>) -> Option<TimeRange> {
    let at = |t: Option<i64>| DateTime::<Utc>::from_timestamp(t?, 0);
    Some(TimeRange { first: at(first)?, last: at(last)? })
}

fn source_summary(s: &SourceState, counts: InputCounts) -> SourceSummary {
    SourceSummary {
        name: s.meta.name.clone(),
        format: s.format.map(|f| f.name().to_owned()),
        bytes: s.stats.bytes,
        rows_read: s.stats.rows_read,
        events: counts.events,
        rejected: s.stats.rejected,
        // Every accepted record is either new or a repeat of one seen before.
        duplicates: s.stats.accepted.saturating_sub(counts.events),
        exported_at: s.meta.exported_at.map(|e| e.0),
        exported_at_origin: s.meta.exported_at.map(|e| e.1),
        time_range: range(s.first, s.last),
        error: s.error.as_ref().map(|e| e.to_string()),
    }
}
