//! Where records go as they are read: the [`EventSink`] an ingestor feeds.

use chrono::{DateTime, Utc};

use super::error::RowError;
use crate::model::{record_type_name, ArrivalSource, AuditEvent, SourceRef};

/// Where records go as they are read.
pub trait EventSink {
    /// A send or a group owner change was read.
    fn event(&mut self, event: AuditEvent);
    /// Any other record was read. By default it becomes an [`AuditEvent`] with only these fields.
    fn plain(&mut self, record: PlainRecord<'_>) {
        self.event(record.to_event());
    }
    /// A record could not be read.
    fn rejected(&mut self, error: RowError);
}

/// A record an analysis only counts (neither a send nor a group owner change): the fields it
/// needs, borrowed from the input. A tenant export is mostly these (file reads, sign-ins), and
/// owning their fields would allocate and free them a million times.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PlainRecord<'a> {
    /// The record's unique id, when it has one.
    pub id: Option<&'a str>,
    /// When it happened.
    pub time: DateTime<Utc>,
    /// The record type as the export writes it (a number or a name).
    pub record_type: Option<&'a str>,
    /// The workload, or what the record type implies, or `Unknown`.
    pub workload: &'a str,
    /// The operation.
    pub operation: &'a str,
    /// When it reached the log, and which field says so.
    pub arrived: Option<(DateTime<Utc>, ArrivalSource)>,
    /// Where it was read.
    pub source: SourceRef,
}

impl PlainRecord<'_> {
    /// The same record as an owned event (the fields a plain record has; the rest empty).
    pub fn to_event(&self) -> AuditEvent {
        AuditEvent {
            id: self.id.map(str::to_owned),
            time: self.time,
            record_type: self.record_type.map(record_type_name),
            workload: self.workload.to_owned(),
            operation: self.operation.to_owned(),
            arrived: self.arrived.map(|(time, _)| time),
            arrival_source: self.arrived.map(|(_, source)| source),
            source: self.source,
            ..AuditEvent::default()
        }
    }
}
