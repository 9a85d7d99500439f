//! When a record happened: `AuditData.CreationTime` first, else the envelope's date, read in
//! the day/month order the input has shown.

use chrono::{DateTime, Utc};

use super::record::{pick, RecordFields};
use super::vocabulary::FieldId;
use crate::ingest::error::RowErrorKind;
use crate::time::{parse_timestamp, DateOrder};

/// Remembers, per input, whether ambiguous `a/b/yyyy` dates are month- or day-first.
///
/// Learned from rows that show it: a date whose first number is over 12, or an
/// envelope date that can be compared with the row's ISO `CreationTime`.
#[derive(Debug, Default)]
pub(crate) struct DateOrderHint {
    /// The order ambiguous dates are read in.
    pub order: DateOrder,
    learned: bool,
    /// An ambiguous date was read with the order: what was read depended on the rows before.
    /// A part of an input read on its own (`ingest::split`) is only valid when it did not.
    pub consulted: bool,
}

impl DateOrderHint {
    fn learn(&mut self, order: DateOrder) {
        if !self.learned {
            self.order = order;
            self.learned = true;
        }
    }

    /// The order the input has shown, if it has.
    pub(crate) fn learned(&self) -> Option<DateOrder> {
        self.learned.then_some(self.order)
    }

    /// Reads a timestamp field that may be a locale date, in the order shown so far.
    pub(crate) fn parse_field(&mut self, text: &str, what: &'static str) -> Result<DateTime<Utc>, RowErrorKind> {
        let parsed = parse_timestamp(text, self.order)
            .ok_or_else(|| RowErrorKind::BadTimestamp { field: what.into(), value: clip(text) })?;
        self.consulted |= parsed.ambiguous;
        Ok(parsed.time)
    }
}

/// Counts of things worth telling the user, found while mapping records.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct MappingNotes {
    /// Rows whose only timestamp was an ambiguous locale date.
    pub ambiguous_dates: u64,
}

pub(crate) fn parse_time_field(
    text: &str,
    what: &'static str,
    order: DateOrder,
) -> Result<DateTime<Utc>, RowErrorKind> {
    parse_timestamp(text, order)
        .map(|t| t.time)
        .ok_or_else(|| RowErrorKind::BadTimestamp { field: what.into(), value: clip(text) })
}

/// `AuditData.CreationTime` (ISO, UTC) wins; the envelope's locale date is the fallback,
/// read with the order this input has shown.
pub(crate) fn resolve_time(
    outer: &RecordFields<'_>,
    inner: Option<&RecordFields<'_>>,
    hint: &mut DateOrderHint,
    notes: &mut MappingNotes,
) -> Result<DateTime<Utc>, RowErrorKind> {
    let creation = pick(outer, inner, FieldId::CreationTime);
    let envelope = outer.get(FieldId::EnvelopeTime);
    if let Some(text) = creation {
        let time = parse_time_field(text, "CreationTime", DateOrder::MonthFirst)?;
        if let Some(env) = envelope {
            learn_order(env, time, hint);
        }
        return Ok(time);
    }
    let Some(text) = envelope else {
        return Err(RowErrorKind::MissingField { field: "CreationTime".into() });
    };
    let parsed = parse_timestamp(text, hint.order)
        .ok_or_else(|| RowErrorKind::BadTimestamp { field: "CreationDate".into(), value: clip(text) })?;
    match parsed.slash_readings {
        Some((true, false)) => hint.learn(DateOrder::MonthFirst),
        Some((false, true)) => hint.learn(DateOrder::DayFirst),
        _ => {}
    }
    hint.consulted |= parsed.ambiguous;
    if parsed.ambiguous && !hint.learned {
        notes.ambiguous_dates += 1;
    }
    Ok(parsed.time)
}

fn learn_order(envelope: &str, creation: DateTime<Utc>, hint: &mut DateOrderHint) {
    if hint.learned {
        return;
    }
    let close = |order| {
        parse_timestamp(envelope, order)
            .filter(|p| p.slash_readings.is_some())
            .map(|p| (p.time - creation).num_seconds().abs() < 2)
            .unwrap_or(false)
    };
    match (close(DateOrder::MonthFirst), close(DateOrder::DayFirst)) {
        (true, false) => hint.learn(DateOrder::MonthFirst),
        (false, true) => hint.learn(DateOrder::DayFirst),
        _ => {}
    }
}

/// Keeps error messages short when a cell is huge.
pub(crate) fn clip(text: &str) -> String {
    const MAX: usize = 80;
    if text.chars().count() <= MAX {
        text.to_owned()
    } else {
        let cut: String = text.chars().take(MAX).collect();
        format!("{cut}…")
    }
}
