//! The pipeline over several inputs: ingest → de-duplicate → classify → report.
//!
//! An [`Analysis`] is the [`EventSink`] every [`Ingestor`] feeds. It counts,
//! drops records already seen (same `Id`, e.g. overlapping daily exports),
//! classifies sends as they arrive, and at [`Analysis::finish`] works out the
//! delays, which need every input: a record missing from an export taken at
//! T1 but present in one taken at T2 reached the log in (T1, T2].

use std::collections::{BTreeMap, HashMap};
use std::hash::BuildHasher;

use chrono::{DateTime, Utc};
use hashbrown::{DefaultHashBuilder, HashTable};

use crate::classify::RuleSet;
use crate::ingest::{EventSink, FatalError, Format, IngestStats, Ingestor, PlainRecord, RowError, MAX_RECORD_BYTES};
use crate::model::{ArrivalSource, AuditEvent};
use crate::report::{
    delay_bins, findings, ClassifiedEvent, Delay, DelayStats, ErrorRow, ExportTimeOrigin, FindingInput, OwnerChangeRow,
    SendReport, SourceSummary, Summary, TimeRange, MAX_LISTED_ERRORS,
};

/// What is known about an input before reading it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceMeta {
    /// File name, without directories.
    pub name: String,
    /// When the export was taken, and how that is known.
    pub exported_at: Option<(DateTime<Utc>, ExportTimeOrigin)>,
}

/// Why an input could not be read.
#[derive(Debug)]
pub enum ReadError<E> {
    /// Reading the bytes failed (I/O, browser file API).
    Read(E),
    /// The bytes are not a usable export.
    Fatal(FatalError),
}

/// Purview's web export stops at this many rows without saying so.
pub const PURVIEW_EXPORT_CAP: u64 = 50_000;

/// Distinct workload names kept; the rest are counted together under [`OTHER_WORKLOADS`].
const MAX_WORKLOADS: usize = 1000;
const OTHER_WORKLOADS: &str = "(other workloads)";

/// Inputs whose presence can be tracked per record (one bit each).
const MAX_TRACKED_SOURCES: usize = 64;

/// Record ids are GUIDs almost always; a GUID key is 16 bytes instead of a 36-byte string.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum RecordKey {
    Guid(u128),
    Text(Box<str>),
}

impl RecordKey {
    fn new(id: &str) -> Self {
        Self::guid(id).map_or_else(|| Self::Text(id.into()), Self::Guid)
    }

    /// `8-4-4-4-12` hex digits as a number, without allocating.
    fn guid(id: &str) -> Option<u128> {
        let bytes = id.as_bytes();
        if bytes.len() != 36 {
            return None;
        }
        let mut n: u128 = 0;
        for (i, &b) in bytes.iter().enumerate() {
            if matches!(i, 8 | 13 | 18 | 23) {
                if b != b'-' {
                    return None;
                }
                continue;
            }
            n = (n << 4) | u128::from((b as char).to_digit(16)?);
        }
        Some(n)
    }
}

/// The record has an id (it can be recognised again).
const KEYED: u8 = 1;
/// Its arrival time came from an ingestion-time column.
const ARRIVED_INGESTION: u8 = 2;
/// Its arrival time came from `contentCreated`.
const ARRIVED_CONTENT: u8 = 4;
/// No arrival time.
const NOT_ARRIVED: i64 = i64::MIN;

/// Every distinct record, column by column: what de-duplication and delays need, about 40
/// bytes a record (a million-record tenant export in tens of megabytes), never the record.
#[derive(Default)]
struct Records {
    /// When each record happened (Unix seconds).
    times: Vec<i64>,
    /// Index into [`Analysis`]'s workload names.
    workloads: Vec<u16>,
    /// [`KEYED`], [`ARRIVED_INGESTION`], [`ARRIVED_CONTENT`].
    flags: Vec<u8>,
    /// Bit `i`: input `i` contained the record. Empty while one input has been read: every
    /// record then came from input 0.
    presence: Vec<u64>,
    /// Arrival times ([`NOT_ARRIVED`] for none); empty until some record has one.
    arrivals: Vec<i64>,
    /// Each record's id as a GUID number (0 for a text id or none).
    guids: Vec<u128>,
    /// Record index, found by GUID (hashed with a per-process random seed: ids are
    /// attacker-controlled, so colliding ids cannot be crafted in advance).
    guid_index: HashTable<u32>,
    text_index: hashbrown::HashMap<Box<str>, u32>,
    hasher: DefaultHashBuilder,
}

impl Records {
    fn len(&self) -> usize {
        self.times.len()
    }

    fn find(&self, key: &RecordKey) -> Option<u32> {
        match key {
            RecordKey::Guid(guid) => {
                let hash = self.hasher.hash_one(guid);
                self.guid_index.find(hash, |&record| self.guids[record as usize] == *guid).copied()
            }
            RecordKey::Text(text) => self.text_index.get(text).copied(),
        }
    }

    fn push(
        &mut self,
        key: Option<RecordKey>,
        time: i64,
        workload: u16,
        arrived: Option<(i64, ArrivalSource)>,
        bit: u64,
    ) {
        let index = self.len() as u32;
        self.flags.push(if key.is_some() { KEYED } else { 0 });
        match key {
            Some(RecordKey::Guid(guid)) => {
                self.guids.push(guid);
                let hash = self.hasher.hash_one(guid);
                let (guids, hasher) = (&self.guids, &self.hasher);
                self.guid_index.insert_unique(hash, index, |&record| hasher.hash_one(guids[record as usize]));
            }
            Some(RecordKey::Text(text)) => {
                self.guids.push(0);
                self.text_index.insert(text, index);
            }
            None => self.guids.push(0),
        }
        // Before the record's own columns grow: tracking starts with one bit for each record
        // already there.
        if !self.presence.is_empty() || bit != 1 {
            self.track_presence();
            self.presence.push(bit);
        }
        self.times.push(time);
        self.workloads.push(workload);
        if !self.arrivals.is_empty() {
            self.arrivals.push(NOT_ARRIVED);
        }
        self.set_arrival(index, arrived);
    }

    /// From the second input on, which inputs held each record is tracked.
    fn track_presence(&mut self) {
        if self.presence.is_empty() {
            self.presence = vec![1; self.len()];
        }
    }

    fn presence(&self, record: usize) -> u64 {
        self.presence.get(record).copied().unwrap_or(1)
    }

    fn add_presence(&mut self, record: u32, bit: u64) {
        if bit != 1 || !self.presence.is_empty() {
            self.track_presence();
            if let Some(p) = self.presence.get_mut(record as usize) {
                *p |= bit;
            }
        }
    }

    /// A record's delay: measured from its arrival time, else bounded by which inputs held it.
    fn delay(&self, record: usize, can_bound: bool, comparable: &[(usize, i64, i64, i64)]) -> Option<Delay> {
        let time = self.times[record];
        if let Some((arrived, _)) = self.arrival(record) {
            return Some(Delay::Measured { seconds: arrived - time });
        }
        if !can_bound || self.flags[record] & KEYED == 0 {
            return None;
        }
        bound(time, self.presence(record), comparable)
            .map(|(low, high)| Delay::Bounded { min_seconds: low, max_seconds: high })
    }

    fn arrival(&self, record: usize) -> Option<(i64, ArrivalSource)> {
        let at = *self.arrivals.get(record)?;
        let source = if self.flags[record] & ARRIVED_CONTENT != 0 {
            ArrivalSource::ContentCreated
        } else {
            ArrivalSource::IngestionTime
        };
        (at != NOT_ARRIVED).then_some((at, source))
    }

    /// Sets the arrival time, unless the record has one already.
    fn set_arrival(&mut self, record: u32, arrived: Option<(i64, ArrivalSource)>) {
        let Some((at, source)) = arrived else {
            return;
        };
        if self.arrival(record as usize).is_some() {
            return;
        }
        if self.arrivals.is_empty() {
            self.arrivals = vec![NOT_ARRIVED; self.len()];
        }
        self.arrivals[record as usize] = at;
        self.flags[record as usize] |= match source {
            ArrivalSource::IngestionTime => ARRIVED_INGESTION,
            ArrivalSource::ContentCreated => ARRIVED_CONTENT,
        };
    }
}

/// One input being read into an [`Analysis`]: push its bytes, then finish it.
pub struct SourceReader<'a> {
    analysis: &'a mut Analysis,
    file: u32,
    ingestor: Ingestor,
    outcome: Result<(), FatalError>,
}

impl SourceReader<'_> {
    /// Reads the next chunk. An `Err` means the input is unusable: later chunks are ignored,
    /// and [`SourceReader::finish`] returns the same error.
    pub fn push(&mut self, chunk: &[u8]) -> Result<(), FatalError> {
        if self.outcome.is_ok() {
            self.outcome = self.ingestor.push(chunk, self.analysis);
        }
        self.outcome.clone()
    }

    /// Counts so far (`bytes` is the progress).
    pub fn stats(&self) -> IngestStats {
        self.ingestor.stats()
    }

    /// Ends the input and records how reading it went.
    pub fn finish(mut self) -> Result<Format, FatalError> {
        let outcome = std::mem::replace(&mut self.outcome, Ok(())).and_then(|()| self.ingestor.finish(self.analysis));
        let format = self.ingestor.format();
        self.analysis.finish_source(self.file, format, outcome.clone());
        outcome?;
        format.ok_or(FatalError::Empty)
    }

    /// The bytes could not be read (an I/O or browser file error): records the input as unreadable.
    pub fn unreadable(self) {
        self.analysis.finish_source(self.file, self.ingestor.format(), Err(FatalError::Unreadable));
    }
}

struct SourceState {
    meta: SourceMeta,
    format: Option<Format>,
    stats: IngestStats,
    events: u64,
    duplicates: u64,
    rejected: u64,
    first: Option<i64>,
    last: Option<i64>,
    error: Option<FatalError>,
    /// Events without a record id (they cannot be de-duplicated).
    unkeyed: u64,
}

/// Everything an analysis produced.
#[derive(Clone, Debug)]
pub struct AnalysisResult {
    /// The JSON report.
    pub summary: Summary,
    /// Every distinct send-type event, classified, in input order.
    pub sends: Vec<ClassifiedEvent>,
    /// Every rejected record (the summary lists only the first ones).
    pub errors: Vec<RowError>,
    /// Input names by index, for [`crate::model::SourceRef::file`].
    pub source_names: Vec<String>,
}

/// The running analysis of one or more inputs.
pub struct Analysis {
    rules: RuleSet,
    sources: Vec<SourceState>,
    records: Records,
    workloads: Vec<String>,
    workload_ids: HashMap<String, u16>,
    sends: Vec<ClassifiedEvent>,
    /// The record index of each send, for its delay.
    send_records: Vec<u32>,
    keep_send_details: bool,
    report: SendReport,
    errors: Vec<RowError>,
    owner_changes: Vec<OwnerChangeRow>,
    events: u64,
    duplicates: u64,
    rejected: u64,
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
            workloads: Vec::new(),
            workload_ids: HashMap::new(),
            sends: Vec::new(),
            send_records: Vec::new(),
            keep_send_details: true,
            report: SendReport::default(),
            errors: Vec::new(),
            owner_changes: Vec::new(),
            events: 0,
            duplicates: 0,
            rejected: 0,
            record_limit: MAX_RECORD_BYTES,
            fast_lane: true,
        }
    }

    /// Skips records larger than `bytes` in inputs read from now on (the default is
    /// [`MAX_RECORD_BYTES`]; tests and fuzzing use small limits).
    pub fn set_record_limit(&mut self, bytes: usize) {
        self.record_limit = bytes;
    }

    /// Turns the ingest fast lane on (the default) or off for inputs read from now on; see
    /// [`Ingestor::set_fast_lane`].
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
    }

    /// Registers an input; returns the index its [`Ingestor`] must be created with.
    pub fn add_source(&mut self, mut meta: SourceMeta) -> u32 {
        // Whole seconds: a browser knows a file's time to the millisecond, the CLI to the
        // nanosecond; the reports must not differ for it.
        if let Some((t, origin)) = meta.exported_at {
            meta.exported_at = DateTime::<Utc>::from_timestamp(t.timestamp(), 0).map(|t| (t, origin));
        }
        self.sources.push(SourceState {
            meta,
            format: None,
            stats: IngestStats::default(),
            events: 0,
            duplicates: 0,
            rejected: 0,
            first: None,
            last: None,
            error: None,
            unkeyed: 0,
        });
        (self.sources.len() - 1) as u32
    }

    /// Records how reading input `file` ended.
    pub fn finish_source(&mut self, file: u32, format: Option<Format>, outcome: Result<IngestStats, FatalError>) {
        let Some(source) = self.sources.get_mut(file as usize) else {
            return;
        };
        source.format = format;
        match outcome {
            Ok(stats) => source.stats = stats,
            Err(error) => source.error = Some(error),
        }
    }

    /// Reads a whole input held in memory (tests, small files).
    pub fn read_source(&mut self, meta: SourceMeta, bytes: &[u8]) -> Result<Format, FatalError> {
        let chunks = std::iter::once(Ok::<_, std::convert::Infallible>(bytes));
        self.read_source_chunks(meta, chunks, |_| {}).map_err(|e| match e {
            ReadError::Fatal(fatal) => fatal,
            ReadError::Read(never) => match never {},
        })
    }

    /// Reads one input from its chunks, as they come (file slices in the browser's worker),
    /// calling `progress` after each chunk. A thin loop over [`Analysis::start_source`].
    pub fn read_source_chunks<C: AsRef<[u8]>, E>(
        &mut self,
        meta: SourceMeta,
        chunks: impl IntoIterator<Item = Result<C, E>>,
        mut progress: impl FnMut(&IngestStats),
    ) -> Result<Format, ReadError<E>> {
        let mut reader = self.start_source(meta);
        for chunk in chunks {
            match chunk {
                Ok(chunk) => {
                    if reader.push(chunk.as_ref()).is_err() {
                        break;
                    }
                    progress(&reader.stats());
                }
                Err(e) => {
                    reader.unreadable();
                    return Err(ReadError::Read(e));
                }
            }
        }
        reader.finish().map_err(ReadError::Fatal)
    }

    /// Starts reading one input, push-style: the caller owns the buffers (the CLI reads the
    /// file into one reused buffer). Both faces read through here.
    pub fn start_source(&mut self, meta: SourceMeta) -> SourceReader<'_> {
        let file = self.add_source(meta);
        let mut ingestor = Ingestor::with_record_limit(file, self.record_limit);
        ingestor.set_fast_lane(self.fast_lane);
        SourceReader { analysis: self, file, ingestor, outcome: Ok(()) }
    }

    fn workload_id(&mut self, name: &str) -> u16 {
        if let Some(id) = self.workload_ids.get(name) {
            return *id;
        }
        // Real tenants have a few dozen workloads; a hostile file could name millions.
        let name = if self.workloads.len() >= MAX_WORKLOADS { OTHER_WORKLOADS } else { name };
        if let Some(id) = self.workload_ids.get(name) {
            return *id;
        }
        let id = self.workloads.len() as u16;
        self.workloads.push(name.to_owned());
        self.workload_ids.insert(name.to_owned(), id);
        id
    }

    /// Finishes: computes delays, findings and the summary.
    pub fn finish(mut self) -> AnalysisResult {
        let (delays, delay_note) = self.compute_delays();
        self.owner_changes.sort_by_key(|c| c.time);
        let summary_findings = findings(&FindingInput {
            sends: &self.sends,
            report: &self.report,
            delays: &delays,
            delay_note: delay_note.as_deref(),
            owner_changes: &self.owner_changes,
        });

        let mut formats: Vec<String> = Vec::new();
        for source in &self.sources {
            if let Some(format) = source.format {
                if !formats.iter().any(|f| f == format.name()) {
                    formats.push(format.name().to_owned());
                }
            }
        }
        let mut per_workload = vec![0u64; self.workloads.len()];
        for &w in &self.records.workloads {
            per_workload[w as usize] += 1;
        }
        let by_workload: BTreeMap<String, u64> =
            self.workloads.iter().cloned().zip(per_workload).filter(|(_, n)| *n > 0).collect();
        let time_range = {
            let first = self.records.times.iter().copied().min();
            let last = self.records.times.iter().copied().max();
            match (first.and_then(from_ts), last.and_then(from_ts)) {
                (Some(first), Some(last)) => Some(TimeRange { first, last }),
                _ => None,
            }
        };
        let warnings = self.warnings();
        let sources: Vec<SourceSummary> = self.sources.iter().map(source_summary).collect();
        let names: Vec<String> = self.sources.iter().map(|s| s.meta.name.clone()).collect();
        let errors = self
            .errors
            .iter()
            .take(MAX_LISTED_ERRORS)
            .map(|e| ErrorRow {
                file: names.get(e.source.file as usize).cloned().unwrap_or_default(),
                line: e.source.line,
                message: e.kind.to_string(),
            })
            .collect();
        let rows_read = self.sources.iter().map(|s| s.stats.rows_read).sum();

        let summary = Summary {
            rows_read,
            events: self.events,
            rejected: self.rejected,
            duplicates: self.duplicates,
            formats,
            send_events: self.sends.len() as u64,
            by_class: self.report.by_class,
            by_operation: self.report.by_operation.clone(),
            by_workload,
            time_range,
            sources,
            attribution: self.report.actors(),
            matrix: self.report.matrix(),
            connectors: self.report.connectors(),
            timeline: self.report.timeline(),
            delay_bins: delay_bins(),
            delays,
            delay_note,
            owner_changes: self.owner_changes.clone(),
            findings: summary_findings,
            warnings,
            errors,
        };
        AnalysisResult { summary, sends: self.sends, errors: self.errors, source_names: names }
    }

    fn warnings(&self) -> Vec<String> {
        let mut warnings = Vec::new();
        for source in &self.sources {
            let name = &source.meta.name;
            if source.stats.rows_read == PURVIEW_EXPORT_CAP {
                warnings.push(format!(
                    "{name} holds exactly {PURVIEW_EXPORT_CAP} records, Purview's export limit: the search probably had more results than were exported. Narrow the date range and export again."
                ));
            }
            for column in &source.stats.duplicate_columns {
                warnings.push(format!("{name}: the column {column} appears more than once; the first one is used."));
            }
            if source.unkeyed > 0 {
                warnings.push(format!(
                    "{name}: {} records have no Id, so a repeat of one of them cannot be recognised as a duplicate.",
                    source.unkeyed
                ));
            }
            if source.stats.ambiguous_dates > 0 {
                warnings.push(format!(
                    "{name}: {} records had only a date like 3/12/2025, which could be 12 March or 3 December; they were read month-first. Records with AuditData.CreationTime are not affected.",
                    source.stats.ambiguous_dates
                ));
            }
        }
        if self.sources.len() > MAX_TRACKED_SOURCES {
            warnings.push(format!(
                "Delays between exports are compared across the first {MAX_TRACKED_SOURCES} inputs only."
            ));
        }
        warnings
    }

    /// Per-workload delay statistics, and a note where nothing could be measured.
    fn compute_delays(&mut self) -> (BTreeMap<String, DelayStats>, Option<String>) {
        let n = self.workloads.len();
        let mut measured: Vec<Vec<i64>> = vec![Vec::new(); n];
        let mut bounded: Vec<Vec<(i64, i64)>> = vec![Vec::new(); n];
        let mut arrival_sources: Vec<Vec<String>> = vec![Vec::new(); n];

        // Inputs usable for comparison: read, with an export time, among the tracked ones.
        let comparable: Vec<(usize, i64, i64, i64)> = self
            .sources
            .iter()
            .enumerate()
            .take(MAX_TRACKED_SOURCES)
            .filter(|(_, s)| s.error.is_none())
            .filter_map(|(i, s)| Some((i, s.meta.exported_at?.0.timestamp(), s.first?, s.last?)))
            .collect();
        let distinct_times = {
            let mut t: Vec<i64> = comparable.iter().map(|c| c.1).collect();
            t.sort_unstable();
            t.dedup();
            t.len()
        };
        let can_bound = distinct_times >= 2;

        for record in 0..self.records.len() {
            let w = self.records.workloads[record] as usize;
            match self.records.delay(record, can_bound, &comparable) {
                Some(Delay::Measured { seconds }) => {
                    let name = match self.records.arrival(record) {
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
        for (send, &record) in self.sends.iter_mut().zip(&self.send_records) {
            send.delay = self.records.delay(record as usize, can_bound, &comparable);
        }

        let mut delays = BTreeMap::new();
        for (w, name) in self.workloads.iter().enumerate() {
            let stats = DelayStats::compute(
                std::mem::take(&mut measured[w]),
                std::mem::take(&mut bounded[w]),
                std::mem::take(&mut arrival_sources[w]),
            );
            delays.insert(name.clone(), stats);
        }
        let known: u64 = delays.values().map(|d| d.measured + d.bounded).sum();
        let note = if self.records.len() == 0 {
            None
        } else if known == 0 {
            Some(self.no_delay_note(can_bound))
        } else {
            let blind: Vec<&str> =
                delays.iter().filter(|(_, d)| d.measured + d.bounded == 0).map(|(w, _)| w.as_str()).collect();
            (!blind.is_empty()).then(|| {
                format!(
                    "No arrival information for {} events: the inputs give arrival times for other workloads only.",
                    blind.join(", ")
                )
            })
        };
        (delays, note)
    }

    fn no_delay_note(&self, can_bound: bool) -> String {
        let formats: Vec<&str> = self.sources.iter().filter_map(|s| s.format).map(|f| f.name()).collect();
        let mut note = format!(
            "The delay between an event and its arrival in the log cannot be measured from these inputs: {} exports record only when each action happened.",
            if formats.is_empty() { "these".to_owned() } else { formats.join(", ") }
        );
        if self.sources.len() >= 2 && !can_bound {
            note.push_str(" Several files were given, but not with different export times (give --exported-at FILE=TIME, or keep the files' modification times).");
        }
        note.push_str(
            " To measure it: in Microsoft Sentinel export OfficeActivity with `| extend IngestionTime = ingestion_time()`; \
             or keep the Management Activity API's contentCreated with each record; \
             or export the same search twice, some hours apart, and load both files: records that appear only in the later export arrived in between.",
        );
        note
    }
}

/// `(least, greatest)` possible delay for a record, from which inputs contained it.
fn bound(time: i64, presence: u64, comparable: &[(usize, i64, i64, i64)]) -> Option<(i64, i64)> {
    let mut upper: Option<i64> = None;
    let mut lower: Option<i64> = None;
    for &(i, exported, first, last) in comparable {
        let present = presence & (1u64 << i) != 0;
        if present {
            upper = Some(upper.map_or(exported, |u| u.min(exported)));
        } else if exported > time && (first..=last).contains(&time) {
            // The export covered this moment and was taken after it, yet lacked the record:
            // it had not reached the log yet.
            lower = Some(lower.map_or(exported, |l| l.max(exported)));
        }
    }
    let (lower, upper) = (lower?, upper?);
    (lower < upper).then_some((lower - time, upper - time))
}

fn from_ts(t: i64) -> Option<DateTime<Utc>> {
    DateTime::<Utc>::from_timestamp(t, 0)
}

fn source_summary(s: &SourceState) -> SourceSummary {
    SourceSummary {
        name: s.meta.name.clone(),
        format: s.format.map(|f| f.name().to_owned()),
        bytes: s.stats.bytes,
        rows_read: s.stats.rows_read,
        events: s.events,
        rejected: s.rejected,
        duplicates: s.duplicates,
        exported_at: s.meta.exported_at.map(|e| e.0),
        exported_at_origin: s.meta.exported_at.map(|e| e.1),
        time_range: match (s.first.and_then(from_ts), s.last.and_then(from_ts)) {
            (Some(first), Some(last)) => Some(TimeRange { first, last }),
            _ => None,
        },
        error: s.error.as_ref().map(|e| e.to_string()),
    }
}

impl Analysis {
    /// Counts one record of input `file` and stores it unless it is a duplicate: then only
    /// where else it was seen, and any arrival time it adds, are kept. The new record's number,
    /// or `None` for a duplicate.
    fn add_record(
        &mut self,
        id: Option<&str>,
        time: DateTime<Utc>,
        workload: &str,
        arrived: Option<(DateTime<Utc>, ArrivalSource)>,
        file: u32,
    ) -> Option<u32> {
        let file = file as usize;
        let time = time.timestamp();
        if let Some(source) = self.sources.get_mut(file) {
            source.first = Some(source.first.map_or(time, |f| f.min(time)));
            source.last = Some(source.last.map_or(time, |l| l.max(time)));
        }
        let bit = if file < MAX_TRACKED_SOURCES { 1u64 << file } else { 0 };
        let arrived = arrived.map(|(t, s)| (t.timestamp(), s));
        let key = id.map(RecordKey::new);
        if let Some(record) = key.as_ref().and_then(|key| self.records.find(key)) {
            self.records.add_presence(record, bit);
            self.records.set_arrival(record, arrived);
            self.duplicates += 1;
            if let Some(source) = self.sources.get_mut(file) {
                source.duplicates += 1;
            }
            return None;
        }
        let workload = self.workload_id(workload);
        let record = self.records.len() as u32;
        let keyed = key.is_some();
        self.records.push(key, time, workload, arrived, bit);
        self.events += 1;
        if let Some(source) = self.sources.get_mut(file) {
            source.events += 1;
            source.unkeyed += u64::from(!keyed);
        }
        Some(record)
    }
}

impl EventSink for Analysis {
    fn event(&mut self, event: AuditEvent) {
        let arrived = event.arrived.zip(event.arrival_source);
        let Some(record) =
            self.add_record(event.id.as_deref(), event.time, &event.workload, arrived, event.source.file)
        else {
            return;
        };
        if let Some(change) = &event.owner_change {
            self.owner_changes.push(OwnerChangeRow {
                time: event.time,
                changed_by: event.actor.clone(),
                change: change.clone(),
            });
        }
        if event.send_operation().is_some() {
            let classification = self.rules.classify(&event);
            let mut classified = ClassifiedEvent { event, classification, delay: None };
            self.report.add(&classified);
            if !self.keep_send_details {
                classified.drop_details();
            }
            self.sends.push(classified);
            self.send_records.push(record);
        }
    }

    fn plain(&mut self, record: PlainRecord<'_>) {
        self.add_record(record.id, record.time, record.workload, record.arrived, record.source.file);
    }

    fn rejected(&mut self, error: RowError) {
        self.rejected += 1;
        if let Some(source) = self.sources.get_mut(error.source.file as usize) {
            source.rejected += 1;
        }
        self.errors.push(error);
    }
}

#[cfg(test)]
mod tests {
    use super::{RecordKey, Records};

    #[test]
    fn guids_become_numbers_ignoring_case_and_other_ids_stay_text() {
        let a = RecordKey::new("0000002A-0000-4000-8000-00000000002a");
        assert_eq!(a, RecordKey::new("0000002a-0000-4000-8000-00000000002A"));
        assert!(matches!(a, RecordKey::Guid(_)));
        assert_eq!(RecordKey::new("RgAAAAD1"), RecordKey::Text("RgAAAAD1".into()));
        assert!(matches!(RecordKey::new("0000002a-0000-4000-8000-00000000002g"), RecordKey::Text(_)));
        assert!(matches!(RecordKey::new("0000002a00000-4000-8000-00000000002a"), RecordKey::Text(_)));
    }

    #[test]
    fn presence_is_tracked_from_the_second_input_on() {
        let mut records = Records::default();
        records.push(Some(RecordKey::Guid(1)), 0, 0, None, 1);
        records.push(Some(RecordKey::Guid(2)), 0, 0, None, 1);
        // The second input's first record is a new one.
        records.push(Some(RecordKey::Guid(3)), 0, 0, None, 1 << 1);
        records.add_presence(records.find(&RecordKey::Guid(1)).unwrap(), 1 << 1);
        assert_eq!(records.presence.len(), records.len());
        assert_eq!((0..3).map(|r| records.presence(r)).collect::<Vec<_>>(), vec![0b11, 0b01, 0b10]);
    }
}
