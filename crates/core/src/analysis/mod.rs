//! The pipeline over several inputs: ingest → de-duplicate → classify → report.
//!
//! An [`Analysis`] is the [`EventSink`] every [`Ingestor`](crate::ingest::Ingestor) feeds. It
//! drops records already seen (same `Id`, e.g. overlapping daily exports), classifies sends as
//! they arrive, and at [`Analysis::finish`] works out the delays, which need every input: a
//! record missing from an export taken at T1 but present in one taken at T2 reached the log in
//! (T1, T2].
//!
//! The rooms: [`inputs`] (the multi-file policy both faces call), [`reader`] (one input,
//! push-style), [`parts`] (one input read as parts on several cores, and joined), [`wire`] (an
//! analysis as bytes between workers), [`records`] (the store of distinct records and its
//! merge), [`sends`] (the kept sends, packed when only the summary is wanted), [`delays`] (delay
//! inference), [`repeats`] (which copy of an id is kept), [`summary`] (the report's assembly),
//! [`source`] (what is known of each input).

mod bytes;
mod delays;
mod inputs;
mod parts;
mod reader;
mod records;
mod repeats;
mod sends;
mod source;
mod summary;
mod wire;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::classify::RuleSet;
use crate::ingest::{EventSink, FatalError, Format, IngestStats, PlainRecord, RowError, MAX_RECORD_BYTES};
use crate::model::{ArrivalSource, AuditEvent, SourceRef};
use crate::report::{ClassifiedEvent, OwnerChangeRow, Summary};
pub use inputs::{Input, MemoryInput, NoUsableInput, Progress};
pub use parts::JoinError;
pub use reader::{ReadError, SourceReader};
use records::{Inserted, NewRecord, RecordKey, Records, Workloads, MAX_TRACKED_SOURCES};
use repeats::{send_digest, Copy};
pub use source::SourceMeta;
use source::SourceState;

/// Everything an analysis produced. It crosses from the worker to the page as it is, except
/// the full list of rejected records (the summary lists the first ones).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AnalysisResult {
    /// The JSON report.
    pub summary: Summary,
    /// Every distinct send-type event, classified, in input order.
    pub sends: Vec<ClassifiedEvent>,
    /// The first [`KEPT_ERRORS`] rejected records, whole (the rest are counted in the summary's
    /// `rejected_by_reason`).
    #[serde(skip)]
    pub errors: Vec<RowError>,
    /// Input names by index, for [`SourceRef::file`].
    pub source_names: Vec<String>,
    /// The rules the sends were classified with.
    pub rules: RuleSet,
}

impl AnalysisResult {
    /// Classifies the same sends again with other rules (a tenant's rules changed), without
    /// reading any input again: the classes, charts, findings and rule warnings change; counts
    /// and delays do not. The report is the one reading the inputs with these rules gives, but
    /// where a value was longer than an analysis keeps (then the kept part decides).
    ///
    /// It needs the sends' details: an analysis made with
    /// [`keep_send_details(false)`](Analysis::keep_send_details) has dropped the actor's SID,
    /// which rules read, so re-classifying its result could differ from a fresh analysis. The
    /// app's worker keeps them (the default).
    ///
    /// ```
    /// use sendas_core::classify::{Condition, Field, Rule, RuleSet};
    /// use sendas_core::model::SendClass;
    /// use sendas_core::{Analysis, MemoryInput};
    ///
    /// let export = br#"{"Id":"1","CreationTime":"2026-11-20T09:00:00","Operation":"SendAs","UserId":"scanner@contoso.com","MailboxOwnerUPN":"ceo@contoso.com"}"#;
    /// let inputs = [MemoryInput::new("a.jsonl", export)];
    /// let mut result = pollster::block_on(Analysis::default().analyse(inputs, |_| {})).unwrap();
    /// assert_eq!(result.summary.by_class.unknown, 1);
    ///
    /// let mut rules = RuleSet::default();
    /// rules.rules.insert(0, Rule {
    ///     name: "scanner".into(),
    ///     class: SendClass::Application,
    ///     explanation: "The office scanner sends scans on behalf of staff.".into(),
    ///     condition: Condition::Equals { field: Field::Actor, any_of: vec!["scanner@contoso.com".into()] },
    /// });
    /// result.reclassify(rules);
    /// assert_eq!(result.summary.by_class.application, 1);
    /// assert!(result.sends[0].classification.tenant_rule);
    /// ```
    pub fn reclassify(&mut self, rules: RuleSet) {
        for send in &mut self.sends {
            send.classification = rules.classify(&send.event);
        }
        // The rule warnings lead the list (see the assembly); the old rules' go, the new come.
        let old = crate::report::rules_warnings(&self.rules.departures()).len();
        let rest = self.summary.warnings.split_off(old.min(self.summary.warnings.len()));
        self.summary.warnings = crate::report::rules_warnings(&rules.departures());
        self.summary.warnings.extend(rest);
        summary::fill_send_parts(&mut self.summary, &self.sends);
        self.rules = rules;
    }

    /// The name of the input a record was read from.
    pub fn source_name(&self, source: SourceRef) -> &str {
        source_name(&self.source_names, source)
    }
}

/// The name of the input a record was read from, among these names by input number.
fn source_name(names: &[String], source: SourceRef) -> &str {
    names.get(source.file as usize).map_or("", String::as_str)
}

/// How an analysis taken in by [`Analysis::absorb`] follows this one.
#[derive(Clone, Copy, Debug)]
enum Joint {
    /// Its inputs were read after this one's.
    NewInputs,
    /// Its one input is the next part of this one's last input; its line numbers count from
    /// `line_offset` lines before the true ones.
    SamePart {
        /// Lines to add to its line numbers.
        line_offset: u64,
        /// More parts follow: their records will be looked up among these.
        more: bool,
    },
}

/// Rejected records kept whole; the rest are only counted, by input and reason. A file of
/// garbage rejects a record per line: keeping each would make memory grow with the file.
pub const KEPT_ERRORS: usize = 1000;

/// Rejections of one input for one reason.
#[derive(Clone, Debug)]
struct RejectTally {
    file: u32,
    reason: &'static str,
    count: u64,
    first: RowError,
    last_line: u64,
}

/// The running analysis of one or more inputs.
pub struct Analysis {
    rules: RuleSet,
    sources: Vec<SourceState>,
    records: Records,
    /// Which input first held each record; `None` while every record came from input 0.
    first_inputs: Option<Vec<u32>>,
    workloads: Workloads,
    sends: sends::SendStore,
    /// The record number of each send, for its delay.
    send_records: Vec<u32>,
    /// Each send's content digest (taken before any value is cut), to choose between two
    /// sends of one id whatever their order.
    send_digests: Vec<u128>,
    /// The send kept for each record that has one, built the first time a repeat of a send
    /// needs it (repeats are rare; most analyses never build it).
    send_index: Option<std::collections::HashMap<u32, u32>>,
    owner_changes: Vec<OwnerChangeRow>,
    /// The record number of each owner change.
    owner_change_records: Vec<u32>,
    errors: Vec<RowError>,
    /// Every rejection counted, by input and reason, in order of first sighting.
    reject_tallies: Vec<RejectTally>,
    keep_send_details: bool,
    keep_raw_records: bool,
    record_limit: usize,
    fast_lane: bool,
}

impl Default for Analysis {
    fn default() -> Self {
        Self::new(RuleSet::default())
    }
}

impl Analysis {
    /// An empty analysis using these rules.
    pub fn new(rules: RuleSet) -> Self {
        Self {
            rules,
            sources: Vec::new(),
            records: Records::default(),
            first_inputs: None,
            workloads: Workloads::default(),
            sends: sends::SendStore::default(),
            send_records: Vec::new(),
            send_digests: Vec::new(),
            send_index: None,
            owner_changes: Vec::new(),
            owner_change_records: Vec::new(),
            errors: Vec::new(),
            reject_tallies: Vec::new(),
            keep_send_details: true,
            keep_raw_records: true,
            record_limit: MAX_RECORD_BYTES,
            fast_lane: true,
        }
    }

    /// An empty analysis with this one's rules and settings: for a part of an input read
    /// elsewhere (another thread, another worker) and joined or merged back.
    pub fn with_same_settings(&self) -> Self {
        let mut like = Self {
            keep_raw_records: self.keep_raw_records,
            record_limit: self.record_limit,
            fast_lane: self.fast_lane,
            ..Self::new(self.rules.clone())
        };
        like.keep_send_details(self.keep_send_details);
        like
    }

    /// Skips records larger than `bytes` in inputs read from now on (the default is
    /// [`MAX_RECORD_BYTES`]; tests and fuzzing use small limits).
    pub fn set_record_limit(&mut self, bytes: usize) {
        self.record_limit = bytes;
    }

    /// Turns the ingest fast lane on (the default) or off for inputs read from now on; see
    /// [`Ingestor::set_fast_lane`](crate::ingest::Ingestor::set_fast_lane).
    pub fn set_fast_lane(&mut self, on: bool) {
        self.fast_lane = on;
    }

    /// Keeps each send whole (the default: the app's event views and `events` show it), or,
    /// when only the summary is wanted, keeps of each send only what the summary and findings
    /// read (who, what, when, whose mailbox, through which client or app) and drops the rest
    /// once it is classified: the raw record, the evidence, the subject, SIDs, IP address, ids.
    /// Kept sends are most of the memory a large export takes.
    pub fn keep_send_details(&mut self, keep: bool) {
        self.keep_send_details = keep;
        // Without details, a send packs small: the sends are then kept packed until the report
        // is assembled (`sends.rs`). Set before any input is read.
        if self.sends.len() == 0 {
            self.sends = if keep { sends::SendStore::default() } else { sends::SendStore::packed() };
        }
    }

    /// Keeps each send's raw record (the default: the app's detail panel shows it), or drops it
    /// once the send is classified (`events --jsonl` prints every detail but the raw record,
    /// which is most of a send's size).
    pub fn keep_raw_records(&mut self, keep: bool) {
        self.keep_raw_records = keep;
    }

    /// Registers an input; returns the index its [`Ingestor`](crate::ingest::Ingestor) must be
    /// created with.
    fn add_source(&mut self, meta: SourceMeta) -> u32 {
        self.sources.push(SourceState::new(meta));
        (self.sources.len() - 1) as u32
    }

    /// Records how reading input `file` ended: its format, its counts, and the error that made
    /// it unusable, if one did.
    pub fn finish_source(&mut self, file: u32, format: Option<Format>, stats: IngestStats, error: Option<FatalError>) {
        let Some(source) = self.sources.get_mut(file as usize) else {
            return;
        };
        source.format = format;
        // An input the content showed to be no export has nothing to count, and how many of its
        // bytes were read before that showed depends only on how they were cut. An unreadable
        // one keeps its counts: records read before the failure are in the report.
        source.stats = match error {
            Some(FatalError::Unreadable { .. }) | None => stats,
            Some(_) => {
                // Nor its rejections: the lines it could not read were never records.
                self.errors.retain(|e| e.source.file != file);
                self.reject_tallies.retain(|t| t.file != file);
                IngestStats::default()
            }
        };
        source.error = error;
    }

    /// Adds `later`, an analysis of inputs read after this one's, as if its inputs had been read
    /// into this one in order: a record both hold counts once, as this one's, and the report is
    /// the one a single pass over every input gives. `later`'s settings (rules, limits) are not
    /// used: both must have been made with the same ones.
    pub fn merge(&mut self, later: Analysis) {
        if self.sources.is_empty() {
            // Nothing read here yet: `later` is the whole answer, with this one's settings
            // (a large file read in parts is usually the first and only input).
            let settings = std::mem::replace(self, later);
            self.rules = settings.rules;
            self.keep_send_details = settings.keep_send_details;
            self.keep_raw_records = settings.keep_raw_records;
            self.record_limit = settings.record_limit;
            self.fast_lane = settings.fast_lane;
            return;
        }
        self.absorb(later, Joint::NewInputs);
    }

    /// Adds `later` as [`Analysis::merge`] does, its inputs new ones or, for
    /// [`Joint::SamePart`], its one input the rest of this one's last.
    fn absorb(&mut self, mut later: Analysis, joint: Joint) {
        let (offset, lines, more) = match joint {
            Joint::NewInputs => (self.sources.len() as u32, 0, false),
            Joint::SamePart { line_offset, more } => (self.sources.len() as u32 - 1, line_offset, more),
        };
        // Which input first held each of `later`'s records (read per record below, in this
        // analysis's numbering: no column of a million zeros for one input).
        let later_first = later.first_inputs.take();
        let (names, workloads) = (&later.workloads.names, &mut self.workloads);
        let (outcomes, repeats) = self.records.merge(
            later.records,
            |presence| presence.checked_shl(offset).unwrap_or(0),
            |workload| workloads.id(&names[workload as usize]),
            more,
        );
        for (r, outcome) in outcomes.iter().enumerate() {
            if let Inserted::New(record) = outcome {
                let first = later_first.as_ref().and_then(|inputs| inputs.get(r)).copied().unwrap_or(0);
                self.note_first_input(*record, first + offset);
            }
        }
        // Each of `later`'s records that repeats one of ours: which copy is kept, decided as a
        // single pass decides it.
        let later_send_of: std::collections::HashMap<u32, usize> =
            later.send_records.iter().enumerate().map(|(i, &r)| (r, i)).collect();
        let mut wins = vec![false; outcomes.len()];
        for repeat in repeats {
            let (r, Inserted::Duplicate { record }) = (repeat.record as usize, outcomes[repeat.record as usize]) else {
                continue;
            };
            let copy = Copy {
                time: repeat.time,
                workload: &later.workloads.names[repeat.workload as usize],
                send: later_send_of.get(&(r as u32)).map(|&i| later.send_digests[i]),
            };
            wins[r] = self.resolve(record, copy);
        }
        for ((mut send, record), digest) in later.sends.into_iter().zip(later.send_records).zip(later.send_digests) {
            send.event.source.file += offset;
            send.event.source.line = send.event.source.line.saturating_add(lines);
            self.offer_send(outcomes[record as usize], wins[record as usize], send, digest);
        }
        for (change, record) in later.owner_changes.into_iter().zip(later.owner_change_records) {
            if let Inserted::New(record) = outcomes[record as usize] {
                self.owner_changes.push(change);
                self.owner_change_records.push(record);
            }
        }
        let moved = |mut error: RowError| {
            error.source.file += offset;
            error.source.line = error.source.line.saturating_add(lines);
            if let crate::ingest::RowErrorKind::DamagedRecord { last_line } = &mut error.kind {
                *last_line = last_line.saturating_add(lines);
            }
            error
        };
        let room = KEPT_ERRORS.saturating_sub(self.errors.len());
        self.errors.extend(later.errors.into_iter().take(room).map(moved));
        for mut tally in later.reject_tallies {
            tally.file += offset;
            tally.first = moved(tally.first);
            tally.last_line = tally.last_line.saturating_add(lines);
            // Tallies are per input and reason: a part of the same input adds to its own.
            let same = self.reject_tallies.iter_mut().find(|t| t.file == tally.file && t.reason == tally.reason);
            match same {
                Some(same) => {
                    same.count += tally.count;
                    same.last_line = tally.last_line;
                }
                None => self.reject_tallies.push(tally),
            }
        }
        let mut sources = later.sources.into_iter();
        if let Joint::SamePart { .. } = joint {
            if let (Some(last), Some(rest)) = (self.sources.last_mut(), sources.next()) {
                last.continue_with(rest);
            }
        }
        self.sources.extend(sources);
    }

    /// Notes which input held new record number `record` first (tracked from the first record
    /// of a later input on: a single export costs nothing).
    fn note_first_input(&mut self, record: u32, input: u32) {
        match &mut self.first_inputs {
            Some(inputs) => inputs.push(input),
            None if input != 0 => {
                let mut inputs = vec![0; record as usize];
                inputs.push(input);
                self.first_inputs = Some(inputs);
            }
            None => {}
        }
    }

    /// Which input first held a record.
    fn first_input(&self, record: usize) -> u32 {
        self.first_inputs.as_ref().and_then(|inputs| inputs.get(record)).copied().unwrap_or(0)
    }

    /// Stores one record of input `file`, or adds what a repeat says to the stored one and
    /// decides which of the two is kept. The outcome, and whether the new copy is the one kept.
    fn add_record(
        &mut self,
        key: Option<RecordKey>,
        copy: Copy<'_>,
        arrived: Option<(DateTime<Utc>, ArrivalSource)>,
        file: u32,
    ) -> (Inserted, bool) {
        if let Some(source) = self.sources.get_mut(file as usize) {
            source.saw(copy.time);
        }
        let presence = if (file as usize) < MAX_TRACKED_SOURCES { 1u64 << file } else { 0 };
        let arrived = arrived.map(|(t, s)| (t.timestamp(), s));
        let record = NewRecord {
            key,
            time: copy.time,
            workload: 0,
            arrived,
            presence,
            send: copy.send.is_some(),
            conflict: false,
        };
        let workloads = &mut self.workloads;
        let outcome = self.records.insert(record, |_| workloads.id(copy.workload));
        match outcome {
            Inserted::New(record) => {
                self.note_first_input(record, file);
                (outcome, true)
            }
            Inserted::Duplicate { record } => (outcome, self.resolve(record, copy)),
        }
    }
}

impl EventSink for Analysis {
    fn event(&mut self, mut event: AuditEvent) {
        // Known by its whole id, classified and told apart on every byte it has, kept at a
        // bounded size.
        let key = event.id.as_deref().map(RecordKey::new);
        let mut classification = event.send_operation().map(|_| self.rules.classify(&event));
        let digest = classification.as_ref().map(|_| send_digest(&event));
        let cut = event.cut_long_values();
        // Evidence quotes the event's values: cut alike, counted once (with the event's).
        for evidence in classification.iter_mut().flat_map(|c| &mut c.evidence) {
            crate::model::cut_to(&mut evidence.value, crate::model::MAX_KEPT_VALUE_BYTES);
        }
        let file = event.source.file;
        if let Some(source) = self.sources.get_mut(file as usize) {
            source.cut_values += cut;
        }
        let arrived = event.arrived.zip(event.arrival_source);
        let copy = Copy { time: event.time.timestamp(), workload: &event.workload, send: digest };
        let (outcome, wins) = self.add_record(key, copy, arrived, file);
        if let (Inserted::New(record), Some(change)) = (outcome, &event.owner_change) {
            self.owner_changes.push(OwnerChangeRow {
                time: event.time,
                changed_by: event.actor.clone(),
                change: change.clone(),
            });
            self.owner_change_records.push(record);
        }
        if let (Some(classification), Some(digest)) = (classification, digest) {
            let mut classified = ClassifiedEvent { event, classification, delay: None };
            if !self.keep_send_details {
                classified.drop_details();
            }
            if !self.keep_raw_records {
                classified.event.raw = None;
            }
            self.offer_send(outcome, wins, classified, digest);
        }
    }

    fn plain(&mut self, record: PlainRecord<'_>) {
        let file = record.source.file;
        if record.workload.len() > crate::model::MAX_KEPT_VALUE_BYTES {
            if let Some(source) = self.sources.get_mut(file as usize) {
                source.cut_values += 1;
            }
        }
        let key = record.id.map(RecordKey::new);
        let copy = Copy { time: record.time.timestamp(), workload: record.workload, send: None };
        self.add_record(key, copy, record.arrived, file);
    }

    fn rejected(&mut self, error: RowError) {
        let reason = error.kind.name();
        // A handful of reasons per input: a scan from the end finds the current one at once.
        let tally = self.reject_tallies.iter_mut().rev().find(|t| t.file == error.source.file && t.reason == reason);
        match tally {
            Some(tally) => {
                tally.count += 1;
                tally.last_line = error.source.line;
            }
            None => self.reject_tallies.push(RejectTally {
                file: error.source.file,
                reason,
                count: 1,
                first: error.clone(),
                last_line: error.source.line,
            }),
        }
        if self.errors.len() < KEPT_ERRORS {
            self.errors.push(error);
        }
    }
}

impl Analysis {
    /// Finishes: computes delays, findings and the summary.
    pub fn finish(self) -> AnalysisResult {
        summary::assemble(self)
    }
}
