//! The aggregations the charts draw and the JSON report both faces print.
//!
//! [`SendReport`] is built incrementally ([`SendReport::add`]) and partial
//! reports merge ([`SendReport::merge`]), so the same code summarises a whole
//! file, a filtered subset in the UI, or slices processed separately.
//! [`Summary`] is the JSON contract: `sendas-lens summary --json` and the
//! app's "Download report" serialise the very same value.

mod alerts;
pub mod codec;
mod delays;
mod export;
mod findings;
mod timeline;

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::classify::Classification;
use crate::model::{AuditEvent, OwnerChange, SendClass};
pub use alerts::{
    is_noise, parse_alert_window, AlertReport, AlertRule, AlertWindow, FireBasis, ALERT_WINDOWS, NOISE_CLASSES,
};
pub use delays::{
    bin_of, delay_bins, human_duration, percentile, DelayBin, DelayStats, BIN_COUNT, MAX_PLAUSIBLE_DELAY_SECONDS,
};
pub use export::{events_csv, neutralise_formula, CSV_COLUMNS};
pub(crate) use findings::{conflict_warning, delay_note, delay_warnings, input_warnings, rules_warnings, InputNotes};
pub use findings::{findings, Finding, FindingFilter, FindingInput};
pub use timeline::{bucket_for_range, bucket_start, TimeBucket, Timeline, TimelineRow};

/// A count per class, in [`SendClass::ALL`] order; serialises with every class name as a key.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClassCounts {
    /// Connector cards.
    pub connector: u64,
    /// System identities.
    pub system: u64,
    /// Applications.
    pub application: u64,
    /// Administrators.
    pub admin: u64,
    /// Mailbox owners.
    pub owner: u64,
    /// Delegates.
    pub delegate: u64,
    /// Not decided.
    pub unknown: u64,
}

impl ClassCounts {
    /// The count for one class.
    pub fn get(&self, class: SendClass) -> u64 {
        match class {
            SendClass::Connector => self.connector,
            SendClass::System => self.system,
            SendClass::Application => self.application,
            SendClass::Admin => self.admin,
            SendClass::Owner => self.owner,
            SendClass::Delegate => self.delegate,
            SendClass::Unknown => self.unknown,
        }
    }

    /// Adds `n` to one class.
    pub fn add(&mut self, class: SendClass, n: u64) {
        let slot = match class {
            SendClass::Connector => &mut self.connector,
            SendClass::System => &mut self.system,
            SendClass::Application => &mut self.application,
            SendClass::Admin => &mut self.admin,
            SendClass::Owner => &mut self.owner,
            SendClass::Delegate => &mut self.delegate,
            SendClass::Unknown => &mut self.unknown,
        };
        *slot += n;
    }

    /// Adds another set of counts.
    pub fn merge(&mut self, other: &ClassCounts) {
        for class in SendClass::ALL {
            self.add(class, other.get(class));
        }
    }

    /// Sum over classes.
    pub fn total(&self) -> u64 {
        SendClass::ALL.iter().map(|c| self.get(*c)).sum()
    }
}

/// What is known of when a record reached the log.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Delay {
    /// The input gives the arrival time.
    Measured {
        /// Arrival minus creation.
        seconds: i64,
    },
    /// Absent from an earlier export, present in a later one.
    Bounded {
        /// Least possible delay (earlier export's time minus creation).
        min_seconds: i64,
        /// Greatest possible delay (later export's time minus creation).
        max_seconds: i64,
    },
}

/// A send-type event with its classification.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClassifiedEvent {
    /// The event.
    pub event: AuditEvent,
    /// Who really sent it, and why we say so.
    pub classification: Classification,
    /// How late it reached the log, when known.
    pub delay: Option<Delay>,
}

impl ClassifiedEvent {
    /// The actor as charts label it.
    pub fn actor_label(&self) -> &str {
        self.event.actor.as_deref().filter(|a| !a.is_empty()).unwrap_or(UNKNOWN_LABEL)
    }

    /// The mailbox the send is attributed to: for a connector card, the Group mailbox the card
    /// was written into (the mailbox the record was logged against); for any other send, the
    /// mailbox it acted on ([`AuditEvent::target_mailbox`]). Every view (charts, connectors,
    /// filters, findings, exports) uses this one definition, so a link from one to another
    /// always finds the same sends.
    pub fn mailbox(&self) -> Option<&str> {
        let event = &self.event;
        match self.classification.class {
            SendClass::Connector => event.mailbox_owner.as_deref().filter(|m| !m.is_empty()).or(event.target_mailbox()),
            _ => event.target_mailbox(),
        }
    }

    /// [`ClassifiedEvent::mailbox`] as charts label it.
    pub fn mailbox_label(&self) -> &str {
        self.mailbox().unwrap_or(UNKNOWN_LABEL)
    }

    /// Drops what only the event views show, keeping what the summary and findings read:
    /// [`Analysis::keep_send_details`](crate::Analysis::keep_send_details).
    pub fn drop_details(&mut self) {
        let event = &mut self.event;
        event.raw = None;
        event.id = None;
        event.record_type = None;
        event.workload = String::new();
        event.actor_sid = None;
        event.mailbox_owner_sid = None;
        event.client_ip = None;
        event.subject = None;
        event.object_id = None;
        self.classification.evidence = Vec::new();
    }
}

/// Label for an absent actor or mailbox.
pub const UNKNOWN_LABEL: &str = "(not recorded)";

/// One actor's sends by class.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActorRow {
    /// The stamped actor.
    pub actor: String,
    /// Sends per class.
    pub by_class: ClassCounts,
    /// Total sends.
    pub total: u64,
}

/// Sends by one actor as one mailbox.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MatrixCell {
    /// The stamped actor.
    pub actor: String,
    /// The mailbox sent as or on behalf of.
    pub mailbox: String,
    /// Sends per class.
    pub by_class: ClassCounts,
    /// Total sends.
    pub total: u64,
}

/// One connector: the stamped creator and the group mailbox it writes into.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectorRow {
    /// The account stamped on the cards (the connector's creator).
    pub stamped_as: String,
    /// The Group mailbox the cards go into.
    pub mailbox: String,
    /// Cards written.
    pub events: u64,
    /// First card.
    pub first: DateTime<Utc>,
    /// Last card.
    pub last: DateTime<Utc>,
}

#[derive(Clone, Debug)]
struct ConnectorAcc {
    events: u64,
    first: DateTime<Utc>,
    last: DateTime<Utc>,
}

/// Incremental aggregation of send-type events.
#[derive(Clone, Debug, Default)]
pub struct SendReport {
    /// Sends per class.
    pub by_class: ClassCounts,
    /// Sends per operation, per class.
    pub by_operation: BTreeMap<String, ClassCounts>,
    actors: HashMap<String, ClassCounts>,
    matrix: HashMap<(String, String), ClassCounts>,
    connectors: HashMap<(String, String), ConnectorAcc>,
    hours: BTreeMap<i64, ClassCounts>,
    first: Option<DateTime<Utc>>,
    last: Option<DateTime<Utc>>,
}

impl SendReport {
    /// Adds one send.
    pub fn add(&mut self, e: &ClassifiedEvent) {
        let class = e.classification.class;
        self.by_class.add(class, 1);
        // `SENDAS` and `sendas` are the operation `SendAs` is: counted under its one spelling.
        let operation = e.event.send_operation().map_or(e.event.operation.as_str(), |op| op.name());
        self.by_operation.entry(operation.to_owned()).or_default().add(class, 1);
        self.actors.entry(e.actor_label().to_owned()).or_default().add(class, 1);
        self.matrix.entry((e.actor_label().to_owned(), e.mailbox_label().to_owned())).or_default().add(class, 1);
        let t = e.event.time;
        if class == SendClass::Connector {
            let key = (e.actor_label().to_owned(), e.mailbox_label().to_owned());
            let acc = self.connectors.entry(key).or_insert(ConnectorAcc { events: 0, first: t, last: t });
            acc.events += 1;
            acc.first = acc.first.min(t);
            acc.last = acc.last.max(t);
        }
        self.hours.entry(bucket_start(t, TimeBucket::Hour)).or_default().add(class, 1);
        self.first = Some(self.first.map_or(t, |f| f.min(t)));
        self.last = Some(self.last.map_or(t, |l| l.max(t)));
    }

    /// Adds a report built elsewhere (another slice, another worker).
    pub fn merge(&mut self, other: SendReport) {
        self.by_class.merge(&other.by_class);
        for (k, v) in other.by_operation {
            self.by_operation.entry(k).or_default().merge(&v);
        }
        for (k, v) in other.actors {
            self.actors.entry(k).or_default().merge(&v);
        }
        for (k, v) in other.matrix {
            self.matrix.entry(k).or_default().merge(&v);
        }
        for (k, v) in other.connectors {
            match self.connectors.get_mut(&k) {
                Some(acc) => {
                    acc.events += v.events;
                    acc.first = acc.first.min(v.first);
                    acc.last = acc.last.max(v.last);
                }
                None => {
                    self.connectors.insert(k, v);
                }
            }
        }
        for (k, v) in other.hours {
            self.hours.entry(k).or_default().merge(&v);
        }
        self.first = match (self.first, other.first) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        self.last = match (self.last, other.last) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
    }

    /// Actors, most sends first (ties by name).
    pub fn actors(&self) -> Vec<ActorRow> {
        let mut rows: Vec<ActorRow> = self
            .actors
            .iter()
            .map(|(actor, by_class)| ActorRow { actor: actor.clone(), by_class: *by_class, total: by_class.total() })
            .collect();
        crate::sorting::sort_stable_by(&mut rows, |a, b| b.total.cmp(&a.total).then_with(|| a.actor.cmp(&b.actor)));
        rows
    }

    /// Actor → mailbox cells, most sends first.
    pub fn matrix(&self) -> Vec<MatrixCell> {
        let mut cells: Vec<MatrixCell> = self
            .matrix
            .iter()
            .map(|((actor, mailbox), by_class)| MatrixCell {
                actor: actor.clone(),
                mailbox: mailbox.clone(),
                by_class: *by_class,
                total: by_class.total(),
            })
            .collect();
        crate::sorting::sort_stable_by(&mut cells, |a, b| {
            b.total.cmp(&a.total).then_with(|| a.actor.cmp(&b.actor)).then_with(|| a.mailbox.cmp(&b.mailbox))
        });
        cells
    }

    /// Connectors, most cards first.
    pub fn connectors(&self) -> Vec<ConnectorRow> {
        let mut rows: Vec<ConnectorRow> = self
            .connectors
            .iter()
            .map(|((stamped_as, mailbox), acc)| ConnectorRow {
                stamped_as: stamped_as.clone(),
                mailbox: mailbox.clone(),
                events: acc.events,
                first: acc.first,
                last: acc.last,
            })
            .collect();
        crate::sorting::sort_stable_by(&mut rows, |a, b| {
            b.events
                .cmp(&a.events)
                .then_with(|| a.mailbox.cmp(&b.mailbox))
                .then_with(|| a.stamped_as.cmp(&b.stamped_as))
        });
        rows
    }

    /// Sends over time, by hour or by day as the range suggests.
    pub fn timeline(&self) -> Timeline {
        let bucket = match (self.first, self.last) {
            (Some(first), Some(last)) => bucket_for_range(first, last),
            _ => TimeBucket::Hour,
        };
        let mut rows: BTreeMap<i64, ClassCounts> = BTreeMap::new();
        for (&hour, counts) in &self.hours {
            let start = DateTime::<Utc>::from_timestamp(hour, 0).map_or(hour, |t| bucket_start(t, bucket));
            rows.entry(start).or_default().merge(counts);
        }
        Timeline {
            bucket,
            rows: rows
                .into_iter()
                .filter_map(|(start, by_class)| {
                    Some(TimelineRow { start: DateTime::<Utc>::from_timestamp(start, 0)?, by_class })
                })
                .collect(),
        }
    }

    /// First and last send.
    pub fn range(&self) -> Option<TimeRange> {
        Some(TimeRange { first: self.first?, last: self.last? })
    }
}

/// A span of time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimeRange {
    /// Earliest.
    pub first: DateTime<Utc>,
    /// Latest.
    pub last: DateTime<Utc>,
}

/// How an input's export time was known.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ExportTimeOrigin {
    /// Given explicitly (CLI `--exported-at`).
    Given,
    /// The file's modification time.
    FileModified,
}

/// One input, as the report describes it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SourceSummary {
    /// File name (no directories: the browser knows no more).
    pub name: String,
    /// Detected format.
    pub format: Option<String>,
    /// Bytes read.
    pub bytes: u64,
    /// Records read.
    pub rows_read: u64,
    /// New events.
    pub events: u64,
    /// Rejected records.
    pub rejected: u64,
    /// Records already seen in this or an earlier input.
    pub duplicates: u64,
    /// When the export was taken, if known.
    pub exported_at: Option<DateTime<Utc>>,
    /// How [`SourceSummary::exported_at`] was known.
    pub exported_at_origin: Option<ExportTimeOrigin>,
    /// Earliest and latest record time in this input.
    pub time_range: Option<TimeRange>,
    /// Why the input could not be read at all.
    pub error: Option<String>,
}

/// Rejected records of one input for one reason: every one counted, wherever the list of
/// rejected records stopped.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RejectedReason {
    /// File name.
    pub file: String,
    /// The reason's stable name (`invalid-json`, `column-count`, …).
    pub reason: String,
    /// How many records of the file were rejected for it.
    pub count: u64,
    /// The line of the first of them.
    pub first_line: u64,
    /// The line of the last of them.
    pub last_line: u64,
    /// The first one's message.
    pub example: String,
}

/// A rejected record in the report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorRow {
    /// File name.
    pub file: String,
    /// Line the record starts on.
    pub line: u64,
    /// Why it was rejected.
    pub message: String,
}

/// A group owner change seen in the input.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OwnerChangeRow {
    /// When.
    pub time: DateTime<Utc>,
    /// Who made the change.
    pub changed_by: Option<String>,
    /// What changed.
    #[serde(flatten)]
    pub change: OwnerChange,
}

/// The JSON report: identical from the CLI and the browser for the same inputs.
///
/// ```
/// use sendas_core::{Analysis, MemoryInput};
///
/// let send = r#"{"Id":"1","CreationTime":"2026-11-20T09:00:00","Operation":"SendAs","Workload":"Exchange","UserId":"kim@contoso.com","ClientInfoString":"Client=OWA","MailboxOwnerUPN":"ceo@contoso.com"}"#;
/// let read = r#"{"Id":"2","CreationTime":"2026-11-20T09:05:00","Operation":"FileAccessed","Workload":"SharePoint"}"#;
/// // The send twice (overlapping exports), and a file read.
/// let export = format!("{send}\n{send}\n{read}\n");
/// let inputs = [MemoryInput::new("audit.jsonl", export.as_bytes())];
/// let summary = pollster::block_on(Analysis::default().analyse(inputs, |_| {})).unwrap().summary;
/// // Every record is an event, a rejection or a duplicate.
/// assert_eq!(summary.rows_read, summary.events + summary.rejected + summary.duplicates);
/// assert_eq!((summary.events, summary.duplicates, summary.send_events), (2, 1, 1));
/// assert_eq!(summary.conflicting_duplicates, 0, "the repeat is the same record");
/// assert_eq!(summary.by_class.delegate, 1);
/// assert_eq!(summary.by_workload["SharePoint"], 1);
/// // It is the JSON document `sendas-lens summary --json` prints.
/// let json = serde_json::to_value(&summary).unwrap();
/// assert_eq!(json["by_class"]["delegate"], 1);
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// Records read from all inputs (CSV data rows, JSON records).
    pub rows_read: u64,
    /// Distinct records accepted, send-type or not.
    pub events: u64,
    /// Records that could not be read.
    pub rejected: u64,
    /// Records whose `Id` was already seen (`rows_read = events + rejected + duplicates`).
    pub duplicates: u64,
    /// Ids seen on records that differ (another time, or a send beside a record that is not
    /// one): each counted once. The record kept is the same whatever the order of the inputs.
    pub conflicting_duplicates: u64,
    /// Detected format names, in input order, each once.
    pub formats: Vec<String>,
    /// Send-type events (`SendAs`, `SendOnBehalf`, `Send`).
    pub send_events: u64,
    /// Send-type events per class.
    pub by_class: ClassCounts,
    /// Send-type events per operation, per class.
    pub by_operation: BTreeMap<String, ClassCounts>,
    /// Events per workload (all operations).
    pub by_workload: BTreeMap<String, u64>,
    /// First and last event of any kind.
    pub time_range: Option<TimeRange>,
    /// Inputs.
    pub sources: Vec<SourceSummary>,
    /// Sends per actor.
    pub attribution: Vec<ActorRow>,
    /// Sends per actor and mailbox.
    pub matrix: Vec<MatrixCell>,
    /// Connectors: stamped creator and Group mailbox.
    pub connectors: Vec<ConnectorRow>,
    /// Sends over time.
    pub timeline: Timeline,
    /// The delay histogram's bins.
    pub delay_bins: Vec<DelayBin>,
    /// Delay figures per workload.
    pub delays: BTreeMap<String, DelayStats>,
    /// Why delays could not be measured, where they could not.
    pub delay_note: Option<String>,
    /// Group owner changes.
    pub owner_changes: Vec<OwnerChangeRow>,
    /// Plain-language findings, most important first.
    pub findings: Vec<Finding>,
    /// Things the reader should know about the inputs.
    pub warnings: Vec<String>,
    /// The first rejected records.
    pub errors: Vec<ErrorRow>,
    /// Every rejected record counted by input and reason, with its first and last line.
    pub rejected_by_reason: Vec<RejectedReason>,
    /// Inputs that could not be used (not an export, unreadable, empty), each with its reason;
    /// the other inputs were analysed.
    pub unusable_inputs: Vec<UnusableInput>,
}

/// An input that could not be used, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnusableInput {
    /// File name.
    pub file: String,
    /// Why, in words for the user.
    pub reason: String,
}

/// How many rejected records the report lists.
pub const MAX_LISTED_ERRORS: usize = 100;

/// One send as `sendas-lens events --jsonl` prints it and the app exports it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventLine {
    /// Record id.
    pub id: Option<String>,
    /// When it happened, RFC 3339 UTC.
    pub time: String,
    /// `SendAs`, `SendOnBehalf` or `Send`.
    pub operation: String,
    /// Class name.
    pub class: String,
    /// The stamped actor.
    pub actor: Option<String>,
    /// The mailbox sent as or on behalf of.
    pub mailbox: Option<String>,
    /// `ClientInfoString`.
    pub client: Option<String>,
    /// `AppId` (else `ClientAppId`).
    pub app_id: Option<String>,
    /// The message subject (attacker-controlled text: exports neutralise it).
    pub subject: Option<String>,
    /// The rule, then each fact that decided the class.
    pub evidence: Vec<String>,
    /// Measured delay, seconds.
    pub delay_seconds: Option<i64>,
    /// Least and greatest possible delay, when only bounded.
    pub delay_bounds_seconds: Option<[i64; 2]>,
    /// `file:line`.
    pub source: String,
}

impl EventLine {
    /// The line for one send; `file_name` names its input.
    pub fn new(e: &ClassifiedEvent, file_name: &str) -> Self {
        let (delay_seconds, delay_bounds_seconds) = match e.delay {
            Some(Delay::Measured { seconds }) => (Some(seconds), None),
            Some(Delay::Bounded { min_seconds, max_seconds }) => (None, Some([min_seconds, max_seconds])),
            None => (None, None),
        };
        Self {
            id: e.event.id.clone(),
            time: crate::time::format_rfc3339(e.event.time),
            operation: e.event.operation.clone(),
            class: e.classification.class.name().to_owned(),
            actor: e.event.actor.clone(),
            mailbox: e.mailbox().map(str::to_owned),
            client: e.event.client_info.clone(),
            app_id: e.event.app_id.clone().or_else(|| e.event.client_app_id.clone()),
            subject: e.event.subject.clone(),
            evidence: e.classification.evidence_lines(),
            delay_seconds,
            delay_bounds_seconds,
            source: format!("{file_name}:{}", e.event.source.line),
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::{Analysis, SourceMeta};

    #[test]
    fn a_connector_card_is_the_group_mailboxs_in_every_view() {
        // The card's record names another address in SendAsUserSmtp than the Group mailbox it
        // was logged against: the connectors table, the matrix, the filter key and the export
        // must all say the Group mailbox, or a link from one view to another finds nothing.
        let card = r#"{"Id":"c1","CreationTime":"2026-11-20T09:00:00","Operation":"SendAs","Workload":"Exchange",
            "UserId":"tony@contoso.com","ClientInfoString":"Client=REST;ConnectorWorkProvider",
            "MailboxOwnerUPN":"mvptweets@contoso.com","SendAsUserSmtp":"MVPtweets-alias@contoso.com"}"#;
        let mut analysis = Analysis::default();
        analysis.read_source(SourceMeta { name: "card.jsonl".into(), exported_at: None }, card.as_bytes()).unwrap();
        let result = analysis.finish();
        let send = &result.sends[0];
        assert_eq!(send.classification.class, crate::model::SendClass::Connector);
        assert_eq!(send.mailbox_label(), "mvptweets@contoso.com");
        let summary = &result.summary;
        assert_eq!(summary.connectors[0].mailbox, "mvptweets@contoso.com");
        assert_eq!(summary.matrix[0].mailbox, "mvptweets@contoso.com");
        let line = super::EventLine::new(send, result.source_name(send.event.source));
        assert_eq!(line.mailbox.as_deref(), Some("mvptweets@contoso.com"));
        // A delegate's send is judged on the mailbox it acted on.
        let delegate = card.replace("c1", "d1").replace("Client=REST;ConnectorWorkProvider", "Client=OWA");
        let mut analysis = Analysis::default();
        analysis.read_source(SourceMeta { name: "d.jsonl".into(), exported_at: None }, delegate.as_bytes()).unwrap();
        assert_eq!(analysis.finish().sends[0].mailbox_label(), "MVPtweets-alias@contoso.com");
    }
}
