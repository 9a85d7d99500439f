//! The record store: every distinct record, column by column, and its de-duplication index.
//!
//! What de-duplication and delays need, about 40 bytes a record (a million-record tenant export
//! in tens of megabytes), never the record itself.

use std::hash::BuildHasher;

use hashbrown::{DefaultHashBuilder, HashTable};

use super::bytes::{Cursor, Out};
use crate::model::ArrivalSource;

/// Inputs whose presence can be tracked per record (one bit each).
pub(crate) const MAX_TRACKED_SOURCES: usize = 64;

/// A record's identity for de-duplication. Record ids are GUIDs almost always; a GUID key is
/// 16 bytes instead of a 36-byte string.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) enum RecordKey {
    Guid(u128),
    Text(Box<str>),
    /// An id longer than [`MAX_TEXT_KEY_BYTES`], known by a 128-bit digest instead of kept.
    Digest(u128),
}

/// Longest id kept as text. Real ids are GUIDs or short base64 item ids; a hostile export
/// can make each one megabytes long.
const MAX_TEXT_KEY_BYTES: usize = 128;

impl RecordKey {
    pub(crate) fn new(id: &str) -> Self {
        match Self::guid(id) {
            Some(guid) => Self::Guid(guid),
            None if id.len() > MAX_TEXT_KEY_BYTES => Self::Digest(digest(id)),
            None => Self::Text(id.into()),
        }
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

/// 128 bits of SipHash-1-3 (std's `DefaultHasher`, fixed keys) over two domains: the same in
/// every process, so partial analyses merge, and out of reach of chance collisions. (An
/// attacker could only collide two of their own records' ids, hiding one of their own records.)
fn digest(id: &str) -> u128 {
    digest_of([id])
}

/// [`digest`] over several texts, each delimited (so `["ab", "c"]` and `["a", "bc"]` differ).
pub(crate) fn digest_of<'a>(parts: impl IntoIterator<Item = &'a str> + Clone) -> u128 {
    use std::hash::{Hash, Hasher};
    let half = |domain: u8| {
        let mut hasher = std::hash::DefaultHasher::new();
        domain.hash(&mut hasher);
        for part in parts.clone() {
            part.hash(&mut hasher);
        }
        hasher.finish()
    };
    (u128::from(half(1)) << 64) | u128::from(half(2))
}

/// The record has an id (it can be recognised again).
const KEYED: u8 = 1;
/// Its id is a [`RecordKey::Digest`] (in `guids`).
const DIGEST: u8 = 8;
/// Its arrival time came from an ingestion-time column.
const ARRIVED_INGESTION: u8 = 2;
/// Its arrival time came from `contentCreated`.
const ARRIVED_CONTENT: u8 = 4;
/// It is a send-type record.
const SEND: u8 = 16;
/// Its id was seen on records that differ (time, or send-type or not).
const CONFLICT: u8 = 32;
/// No arrival time.
const NOT_ARRIVED: i64 = i64::MIN;

/// One record as it enters the store: what it is known by, when it happened, where it was seen.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct NewRecord {
    /// Its id, if it has one.
    pub key: Option<RecordKey>,
    /// When it happened (Unix seconds).
    pub time: i64,
    /// Index into the analysis's workload names.
    pub workload: u16,
    /// When it reached the log (Unix seconds), and which field says so.
    pub arrived: Option<(i64, ArrivalSource)>,
    /// Bit `i` set: input `i` contained it (0 past [`MAX_TRACKED_SOURCES`]).
    pub presence: u64,
    /// It is a send-type record.
    pub send: bool,
    /// Copies that differ were seen already (a record coming from another store).
    pub conflict: bool,
}

/// Every distinct record, column by column.
#[derive(Default)]
pub(crate) struct Records {
    /// When each record happened (Unix seconds).
    pub times: Vec<i64>,
    /// Index into the analysis's workload names.
    pub workloads: Vec<u16>,
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
    /// `guid_index` lacks the records: the columns came as bytes ([`Records::from_bytes`]), and
    /// most such stores are only ever read out; it is built at the first insert.
    unindexed: bool,
}

/// Workload names by number, in the order records first show them.
#[derive(Default)]
pub(crate) struct Workloads {
    pub names: Vec<String>,
    ids: std::collections::HashMap<String, u16>,
}

/// Distinct workload names kept; the rest are counted together under [`OTHER_WORKLOADS`].
const MAX_WORKLOADS: usize = 1000;
const OTHER_WORKLOADS: &str = "(other workloads)";

impl Workloads {
    /// The workload's number, given it if it has none yet. A name longer than any real one is
    /// known by its first [`MAX_KEPT_VALUE_BYTES`](crate::model::MAX_KEPT_VALUE_BYTES).
    pub(crate) fn id(&mut self, name: &str) -> u16 {
        let mut end = name.len().min(crate::model::MAX_KEPT_VALUE_BYTES);
        while !name.is_char_boundary(end) {
            end -= 1;
        }
        let name = &name[..end];
        if let Some(id) = self.ids.get(name) {
            return *id;
        }
        // Real tenants have a few dozen workloads; a hostile file could name millions.
        let name = if self.names.len() >= MAX_WORKLOADS { OTHER_WORKLOADS } else { name };
        if let Some(id) = self.ids.get(name) {
            return *id;
        }
        let id = self.names.len() as u16;
        self.names.push(name.to_owned());
        self.ids.insert(name.to_owned(), id);
        id
    }
}

/// What [`Records::insert`] did with a record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Inserted {
    /// A record not seen before, stored under this number.
    New(u32),
    /// A repeat of stored record `record`: where it was seen and its arrival time were added.
    /// Which of the two is kept is the analysis's to decide ([`Records::take_place`]).
    Duplicate {
        /// The stored record.
        record: u32,
    },
}

/// A record of a merged store that repeats one of this store's: its number there, and what it
/// is compared with (its workload in its own store's numbering).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Repeat {
    pub record: u32,
    pub time: i64,
    pub workload: u16,
}

/// What the store keeps of a record that a repeat is compared with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Stored {
    /// When it happened (Unix seconds).
    pub time: i64,
    /// Its workload's number.
    pub workload: u16,
    /// It is a send-type record.
    pub send: bool,
}

#[cfg(test)]
impl Inserted {
    /// The stored record's number, new or not.
    pub(crate) fn record(self) -> u32 {
        match self {
            Self::New(record) | Self::Duplicate { record } => record,
        }
    }
}

impl Records {
    pub(crate) fn len(&self) -> usize {
        self.times.len()
    }

    pub(crate) fn is_keyed(&self, record: usize) -> bool {
        self.flags[record] & KEYED != 0
    }

    fn find(&self, key: &RecordKey) -> Option<u32> {
        match key {
            RecordKey::Guid(number) | RecordKey::Digest(number) => {
                let digest = matches!(key, RecordKey::Digest(_));
                let hash = self.hasher.hash_one(number);
                self.guid_index
                    .find(hash, |&record| {
                        self.guids[record as usize] == *number && (self.flags[record as usize] & DIGEST != 0) == digest
                    })
                    .copied()
            }
            RecordKey::Text(text) => self.text_index.get(text).copied(),
        }
    }

    /// Stores a record, or, when its key is known, adds what it says to the stored one.
    /// `workload_id` gives a new record's workload its number in the store from the number it
    /// came with; it is asked only for new records, so workloads are numbered in the order
    /// records first show them.
    pub(crate) fn insert(&mut self, record: NewRecord, workload_id: impl FnOnce(u16) -> u16) -> Inserted {
        if self.unindexed {
            self.build_guid_index();
        }
        if let Some(found) = record.key.as_ref().and_then(|key| self.find(key)) {
            self.add_presence(found, record.presence);
            self.set_arrival(found, record.arrived);
            if record.conflict {
                self.flags[found as usize] |= CONFLICT;
            }
            return Inserted::Duplicate { record: found };
        }
        let NewRecord { key, time, workload, arrived, presence, send, conflict } = record;
        let workload = workload_id(workload);
        let index = self.len() as u32;
        let kind = match key {
            Some(RecordKey::Digest(_)) => KEYED | DIGEST,
            Some(_) => KEYED,
            None => 0,
        };
        self.flags.push(kind | if send { SEND } else { 0 } | if conflict { CONFLICT } else { 0 });
        match key {
            Some(RecordKey::Guid(guid) | RecordKey::Digest(guid)) => {
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
        if !self.presence.is_empty() || presence != 1 {
            self.track_presence();
            self.presence.push(presence);
        }
        self.times.push(time);
        self.workloads.push(workload);
        if !self.arrivals.is_empty() {
            self.arrivals.push(NOT_ARRIVED);
        }
        self.set_arrival(index, arrived);
        Inserted::New(index)
    }

    /// From the second input on, which inputs held each record is tracked.
    fn track_presence(&mut self) {
        if self.presence.is_empty() {
            self.presence = vec![1; self.len()];
        }
    }

    /// Which inputs held the record (bit `i` for input `i`).
    pub(crate) fn presence(&self, record: usize) -> u64 {
        self.presence.get(record).copied().unwrap_or(1)
    }

    fn add_presence(&mut self, record: u32, bits: u64) {
        if bits != 1 || !self.presence.is_empty() {
            self.track_presence();
            if let Some(p) = self.presence.get_mut(record as usize) {
                *p |= bits;
            }
        }
    }

    /// When the record reached the log, and which field says so.
    pub(crate) fn arrival(&self, record: usize) -> Option<(i64, ArrivalSource)> {
        let at = *self.arrivals.get(record)?;
        let source = if self.flags[record] & ARRIVED_CONTENT != 0 {
            ArrivalSource::ContentCreated
        } else {
            ArrivalSource::IngestionTime
        };
        (at != NOT_ARRIVED).then_some((at, source))
    }

    /// Sets the arrival time, unless the record has one as early already (the earliest is
    /// kept: the same answer whichever copy came first).
    fn set_arrival(&mut self, record: u32, arrived: Option<(i64, ArrivalSource)>) {
        let Some((at, source)) = arrived else {
            return;
        };
        // The earliest arrival is kept; between two sources at the same moment, the ingestion time.
        let known = self.arrival(record as usize);
        if known.is_some_and(|(t, s)| t < at || (t == at && (s == source || s == ArrivalSource::IngestionTime))) {
            return;
        }
        if self.arrivals.is_empty() {
            self.arrivals = vec![NOT_ARRIVED; self.len()];
        }
        self.arrivals[record as usize] = at;
        self.flags[record as usize] &= !(ARRIVED_INGESTION | ARRIVED_CONTENT);
        self.flags[record as usize] |= match source {
            ArrivalSource::IngestionTime => ARRIVED_INGESTION,
            ArrivalSource::ContentCreated => ARRIVED_CONTENT,
        };
    }

    /// What a repeat of the record is compared with.
    pub(crate) fn stored(&self, record: u32) -> Stored {
        let at = record as usize;
        Stored { time: self.times[at], workload: self.workloads[at], send: self.flags[at] & SEND != 0 }
    }

    /// A repeat of the record takes its place: its time, workload and kind are kept instead.
    pub(crate) fn take_place(&mut self, record: u32, time: i64, workload: u16, send: bool) {
        let at = record as usize;
        self.times[at] = time;
        self.workloads[at] = workload;
        self.flags[at] = (self.flags[at] & !SEND) | if send { SEND } else { 0 };
    }

    /// Marks a record's id as seen on records that differ.
    pub(crate) fn mark_conflict(&mut self, record: u32) {
        self.flags[record as usize] |= CONFLICT;
    }

    /// How many ids were seen on records that differ, and the `limit` first of them in text
    /// order (a GUID in its usual lower-case form; a long id is known by its digest only): the
    /// same list whatever the order the records came in.
    pub(crate) fn conflicting_ids(&self, limit: usize) -> (u64, Vec<String>) {
        let conflicting: Vec<usize> = (0..self.len()).filter(|&r| self.flags[r] & CONFLICT != 0).collect();
        if conflicting.is_empty() {
            return (0, Vec::new());
        }
        let texts: std::collections::HashMap<u32, &str> =
            self.text_index.iter().map(|(text, &record)| (record, text.as_ref())).collect();
        let mut first = std::collections::BTreeSet::new();
        for &record in &conflicting {
            let id = if self.flags[record] & DIGEST != 0 {
                "(a long id)".to_owned()
            } else if let Some(text) = texts.get(&(record as u32)) {
                (*text).to_owned()
            } else {
                let g = self.guids[record];
                format!(
                    "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
                    g >> 96,
                    (g >> 80) & 0xffff,
                    (g >> 64) & 0xffff,
                    (g >> 48) & 0xffff,
                    g & 0xffff_ffff_ffff
                )
            };
            first.insert(id);
            if first.len() > limit {
                first.pop_last();
            }
        }
        (conflicting.len() as u64, first.into_iter().collect())
    }

    /// The record as it would enter another store (the inverse of [`Records::insert`]);
    /// `text` is its text id, if it has one.
    #[cfg(test)]
    fn take_out(&self, record: usize, text: Option<Box<str>>) -> NewRecord {
        NewRecord {
            key: self.key(record, text),
            time: self.times[record],
            workload: self.workloads[record],
            arrived: self.arrival(record),
            presence: self.presence(record),
            send: self.flags[record] & SEND != 0,
            conflict: self.flags[record] & CONFLICT != 0,
        }
    }

    /// The record's key; `text` is its text id, if it has one.
    fn key(&self, record: usize, text: Option<Box<str>>) -> Option<RecordKey> {
        match text {
            Some(text) => Some(RecordKey::Text(text)),
            None if self.flags[record] & DIGEST != 0 => Some(RecordKey::Digest(self.guids[record])),
            None => self.is_keyed(record).then(|| RecordKey::Guid(self.guids[record])),
        }
    }

    /// Every record in order, as it would enter another store.
    #[cfg(test)]
    pub(crate) fn into_new_records(mut self) -> impl Iterator<Item = NewRecord> {
        let mut texts: Vec<Option<Box<str>>> = vec![None; self.len()];
        for (text, record) in std::mem::take(&mut self.text_index) {
            texts[record as usize] = Some(text);
        }
        texts.into_iter().enumerate().map(move |(record, text)| self.take_out(record, text))
    }

    /// Indexes the records by GUID or digest (every keyed record without a text id).
    fn build_guid_index(&mut self) {
        self.unindexed = false;
        self.index_from(0);
    }

    /// Adds records `start..` to the GUID index (the keyed ones without a text id).
    fn index_from(&mut self, start: usize) {
        let texts: std::collections::HashSet<u32> =
            self.text_index.values().copied().filter(|&r| r as usize >= start).collect();
        let (guids, hasher) = (&self.guids, &self.hasher);
        let keyed = self.flags[start..].iter().filter(|&&f| f & KEYED != 0).count();
        self.guid_index.reserve(keyed.saturating_sub(texts.len()), |&r| hasher.hash_one(guids[r as usize]));
        for record in start as u32..self.times.len() as u32 {
            if self.flags[record as usize] & KEYED != 0 && !texts.contains(&record) {
                let hash = hasher.hash_one(guids[record as usize]);
                self.guid_index.insert_unique(hash, record, |&r| hasher.hash_one(guids[r as usize]));
            }
        }
    }

    /// The columns as bytes, appended to `out` ([`Records::from_bytes`] reads them back).
    pub(crate) fn to_bytes(&self, out: &mut Out) {
        out.len(self.len());
        out.0.extend_from_slice(&self.flags);
        self.times.iter().for_each(|&v| out.i64(v));
        self.workloads.iter().for_each(|&v| out.0.extend_from_slice(&v.to_le_bytes()));
        self.guids.iter().for_each(|&v| out.u128(v));
        for column in [&self.presence, &self.arrivals.iter().map(|&a| a as u64).collect::<Vec<u64>>()] {
            out.u8(u8::from(!column.is_empty()));
            column.iter().for_each(|&v| out.u64(v));
        }
        out.len(self.text_index.len());
        for (text, &record) in &self.text_index {
            out.u32(record);
            out.str(text);
        }
    }

    /// A store from [`Records::to_bytes`]' bytes, read from `at`. Lengths are checked against
    /// the bytes there are, so damaged bytes are an `Err`.
    pub(crate) fn from_bytes(at: &mut Cursor<'_>) -> Result<Self, String> {
        let n = at.u32()? as usize;
        let mut store = Self { unindexed: true, ..Self::default() };
        store.flags = at.take(n)?.to_vec();
        store.times = at.items(n, 8)?.map(|c| i64::from_le_bytes(c.try_into().unwrap_or_default())).collect();
        store.workloads = at.items(n, 2)?.map(|c| u16::from_le_bytes([c[0], c[1]])).collect();
        store.guids = at.items(n, 16)?.map(|c| u128::from_le_bytes(c.try_into().unwrap_or_default())).collect();
        let mut column = || -> Result<Vec<u64>, String> {
            match at.flag()? {
                false => Ok(Vec::new()),
                true => Ok(at.items(n, 8)?.map(|c| u64::from_le_bytes(c.try_into().unwrap_or_default())).collect()),
            }
        };
        store.presence = column()?;
        store.arrivals = column()?.into_iter().map(|a| a as i64).collect();
        for _ in 0..at.count(8)? {
            let record = at.u32()?;
            let text = at.str().map_err(|_| "an id is not text")?;
            if record as usize >= n {
                return Err("an id names no record".into());
            }
            store.text_index.insert(text.into(), record);
        }
        Ok(store)
    }

    /// Adds every record of `later`, a store filled from inputs read after this one's, as if
    /// they had been inserted here in their order: a record this store holds already becomes a
    /// duplicate of it. `presence` moves a record's presence bits, and `workload_id` its
    /// workload, into this store's numbering. Returns what became of each of `later`'s
    /// records, by its number there, and which of them repeat one of this store's.
    ///
    /// Every record of `later` is looked up here first; the new ones are then appended column
    /// by column, each of `later`'s columns freed once moved, so the two stores are never both
    /// whole beside a grown copy. With `keep_index`, the appended records are then indexed (a
    /// later part's records will be looked up); without, the index goes before the columns
    /// grow, to be built again only if a record is ever inserted again (a report never does).
    /// `later` de-duplicated its own records, so looking all of them up before appending any is
    /// the same as inserting them one by one.
    pub(crate) fn merge(
        &mut self,
        later: Records,
        presence: impl Fn(u64) -> u64,
        mut workload_id: impl FnMut(u16) -> u16,
        keep_index: bool,
    ) -> (Vec<Inserted>, Vec<Repeat>) {
        if self.unindexed {
            self.build_guid_index();
        }
        let base = self.len();
        let Records { times, workloads, flags, presence: presences, arrivals, guids, guid_index, text_index, .. } =
            later;
        drop(guid_index);
        // `later`'s keys and arrivals, read through the store's own accessors.
        let later = Records { flags, guids, arrivals, ..Records::default() };
        let mut texts: std::collections::HashMap<u32, Box<str>> =
            text_index.into_iter().map(|(text, record)| (record, text)).collect();
        let later_presence = |r: usize| presence(presences.get(r).copied().unwrap_or(1));
        let mut outcomes = Vec::with_capacity(times.len());
        let mut repeats = Vec::new();
        let mut new_texts = Vec::new();
        for r in 0..times.len() {
            let key = later.key(r, texts.remove(&(r as u32)));
            let Some(found) = key.as_ref().and_then(|key| self.find(key)) else {
                // Its number: after ours and the new ones before it.
                let record = (base + outcomes.len() - repeats.len()) as u32;
                if let Some(RecordKey::Text(text)) = key {
                    new_texts.push((text, record));
                }
                outcomes.push(Inserted::New(record));
                continue;
            };
            self.add_presence(found, later_presence(r));
            self.set_arrival(found, later.arrival(r));
            if later.flags[r] & CONFLICT != 0 {
                self.flags[found as usize] |= CONFLICT;
            }
            outcomes.push(Inserted::Duplicate { record: found });
            repeats.push(Repeat { record: r as u32, time: times[r], workload: workloads[r] });
        }
        if !keep_index {
            // It would lack what comes next; it goes now, before the columns grow.
            self.guid_index = HashTable::new();
            self.unindexed = true;
        }
        self.text_index.extend(new_texts);

        let is_new = |r: usize| matches!(outcomes[r], Inserted::New(_));
        let new = || (0..outcomes.len()).filter(move |&r| is_new(r));
        // Tracking presence or arrivals starts with a value for each record already there, as
        // at an insert; both columns stay empty when nothing needs them.
        if !self.presence.is_empty() || new().any(|r| later_presence(r) != 1) {
            self.track_presence();
            self.presence.extend(new().map(later_presence));
        }
        drop(presences);
        let arrived = |r: usize| later.arrivals.get(r).copied().unwrap_or(NOT_ARRIVED);
        if !self.arrivals.is_empty() || new().any(|r| arrived(r) != NOT_ARRIVED) {
            if self.arrivals.is_empty() {
                self.arrivals = vec![NOT_ARRIVED; base];
            }
            self.arrivals.extend(new().map(arrived));
        }
        let Records { flags, guids, .. } = later;
        // No repeat: every record is new.
        let all_new = repeats.is_empty();
        append(&mut self.flags, flags, all_new, is_new);
        append(&mut self.guids, guids, all_new, is_new);
        append(&mut self.times, times, all_new, is_new);
        // Workloads numbered in the order new records first show them, each name asked once.
        let mut numbers = vec![u16::MAX; workloads.iter().max().map_or(0, |&w| usize::from(w) + 1)];
        self.workloads.extend(new().map(|r| {
            let number = &mut numbers[usize::from(workloads[r])];
            if *number == u16::MAX {
                *number = workload_id(workloads[r]);
            }
            *number
        }));
        if keep_index {
            self.index_from(base);
        }
        (outcomes, repeats)
    }
}

/// Appends the values of the records `keep` takes (all of them, in one copy, when `all` are),
/// then frees `from`.
fn append<T: Copy>(to: &mut Vec<T>, from: Vec<T>, all: bool, keep: impl Fn(usize) -> bool) {
    if all {
        to.extend_from_slice(&from);
    } else {
        to.extend(from.iter().enumerate().filter(|&(r, _)| keep(r)).map(|(_, &v)| v));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(key: Option<RecordKey>, time: i64, presence: u64) -> NewRecord {
        NewRecord { key, time, workload: 0, arrived: None, presence, send: false, conflict: false }
    }

    #[test]
    fn guids_become_numbers_ignoring_case_and_other_ids_stay_text() {
        let a = RecordKey::new("0000002A-0000-4000-8000-00000000002a");
        assert_eq!(a, RecordKey::new("0000002a-0000-4000-8000-00000000002A"));
        assert!(matches!(a, RecordKey::Guid(_)));
        assert_eq!(RecordKey::new("RgAAAAD1"), RecordKey::Text("RgAAAAD1".into()));
        assert!(matches!(RecordKey::new("0000002a-0000-4000-8000-00000000002g"), RecordKey::Text(_)));
        assert!(matches!(RecordKey::new("0000002a00000-4000-8000-00000000002a"), RecordKey::Text(_)));
        // A long id is known by its digest: equal ids, equal keys; one byte apart, apart.
        let long = "x".repeat(5 << 20);
        assert!(matches!(RecordKey::new(&long), RecordKey::Digest(_)));
        assert_eq!(RecordKey::new(&long), RecordKey::new(&long.clone()));
        assert_ne!(RecordKey::new(&long), RecordKey::new(&format!("{long}y")));
    }

    #[test]
    fn a_digest_never_matches_a_guid_of_the_same_number() {
        let mut records = Records::default();
        let RecordKey::Digest(number) = RecordKey::new(&"z".repeat(200)) else { panic!("a digest") };
        assert_eq!(records.insert(record(Some(RecordKey::Digest(number)), 0, 1), |w| w), Inserted::New(0));
        assert_eq!(records.insert(record(Some(RecordKey::Guid(number)), 0, 1), |w| w), Inserted::New(1));
        assert_eq!(
            records.insert(record(Some(RecordKey::new(&"z".repeat(200))), 0, 1), |w| w),
            Inserted::Duplicate { record: 0 }
        );
    }

    #[test]
    fn presence_is_tracked_from_the_second_input_on() {
        let mut records = Records::default();
        records.insert(record(Some(RecordKey::Guid(1)), 0, 1), |w| w);
        records.insert(record(Some(RecordKey::Guid(2)), 0, 1), |w| w);
        // The second input's first record is a new one.
        records.insert(record(Some(RecordKey::Guid(3)), 0, 1 << 1), |w| w);
        assert_eq!(
            records.insert(record(Some(RecordKey::Guid(1)), 5, 1 << 1), |w| w),
            Inserted::Duplicate { record: 0 }
        );
        records.mark_conflict(0);
        assert_eq!(records.conflicting_ids(5), (1, vec!["00000000-0000-0000-0000-000000000001".to_owned()]));
        assert_eq!(records.presence.len(), records.len());
        assert_eq!((0..3).map(|r| records.presence(r)).collect::<Vec<_>>(), vec![0b11, 0b01, 0b10]);
    }

    /// A store's columns, for comparing two stores.
    fn columns(records: Records) -> Vec<NewRecord> {
        records.into_new_records().collect()
    }

    #[test]
    fn a_merge_is_the_same_as_inserting_in_order() {
        // Keys drawn from a small set so that repeats happen within and across the halves;
        // GUID 0 is a real GUID too, and some records have no key at all.
        let same = |w: u16| w;
        let key = |n: u64| match n % 7 {
            0 => None,
            1 => Some(RecordKey::Text(format!("id-{}", n % 5).into())),
            2 => Some(RecordKey::new(&format!("{}", n % 3).repeat(300))),
            _ => Some(RecordKey::Guid(u128::from(n % 6))),
        };
        let arrival = |n: u64| (n % 3 == 0).then_some((n as i64 * 10, ArrivalSource::IngestionTime));
        let all: Vec<NewRecord> = (0..60u64)
            .map(|n| NewRecord {
                key: key(n * 31 % 17),
                time: n as i64,
                workload: (n % 4) as u16,
                arrived: arrival(n),
                presence: if n < 25 { 1 } else { 1 << 1 },
                send: n % 5 == 0,
                conflict: false,
            })
            .collect();
        // The records after `end` are inserted after the merge: the index it left out is
        // built again, and repeats of merged records are found.
        for (split, end) in [(0, 60), (1, 60), (13, 45), (25, 30), (40, 60), (40, 41), (59, 60), (60, 60)] {
            let mut whole = Records::default();
            let whole_outcomes: Vec<Inserted> = all.iter().cloned().map(|r| whole.insert(r, same)).collect();
            let mut first = Records::default();
            let mut outcomes: Vec<Inserted> = all[..split].iter().cloned().map(|r| first.insert(r, same)).collect();
            let mut second = Records::default();
            let second_outcomes: Vec<Inserted> =
                all[split..end].iter().cloned().map(|r| second.insert(r, same)).collect();
            let (merged, _) = first.merge(second, |p| p, same, split % 2 == 0);
            // What became of each record: its stored number (a duplicate in the second half is a
            // duplicate of whatever its first sighting became).
            outcomes.extend(second_outcomes.iter().map(|o| merged[o.record() as usize]));
            outcomes.extend(all[end..].iter().cloned().map(|r| first.insert(r, same)));
            let numbers = |outcomes: &[Inserted]| outcomes.iter().map(|o| o.record()).collect::<Vec<_>>();
            let (outcomes, whole_outcomes) = (numbers(&outcomes), numbers(&whole_outcomes));
            assert_eq!(outcomes, whole_outcomes, "split at {split}");
            assert_eq!(columns(first), columns(whole), "split at {split}");
        }
    }

    /// A small xorshift generator: the same records on every run.
    struct Rng(u64);

    impl Rng {
        fn below(&mut self, n: u64) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0 % n
        }
    }

    fn random_record(rng: &mut Rng, presence: u64) -> NewRecord {
        let key = match rng.below(8) {
            0 => None,
            1 => Some(RecordKey::Text(format!("id-{}", rng.below(9)).into())),
            2 => Some(RecordKey::Digest(u128::from(rng.below(5)))),
            _ => Some(RecordKey::Guid(u128::from(rng.below(12)))),
        };
        let arrived = match rng.below(4) {
            0 => Some((rng.below(5) as i64, ArrivalSource::IngestionTime)),
            1 => Some((rng.below(5) as i64, ArrivalSource::ContentCreated)),
            _ => None,
        };
        let (time, workload) = (rng.below(100) as i64, rng.below(6) as u16);
        NewRecord { key, time, workload, arrived, presence, send: rng.below(3) == 0, conflict: rng.below(7) == 0 }
    }

    /// A store of `n` random records from `inputs` inputs, some marked as conflicting, as it
    /// crosses between workers (from bytes: not indexed yet).
    fn random_store(rng: &mut Rng, n: usize, inputs: usize) -> Records {
        let mut store = Records::default();
        for i in 0..n {
            store.insert(random_record(rng, 1 << (i * inputs / n.max(1))), |w| w);
        }
        for r in 0..store.len() {
            if rng.below(9) == 0 {
                store.mark_conflict(r as u32);
            }
        }
        copy(&store)
    }

    fn copy(store: &Records) -> Records {
        let mut out = Out(Vec::new());
        store.to_bytes(&mut out);
        Records::from_bytes(&mut Cursor::new(&out.0)).unwrap()
    }

    /// Every column as it is, empty ones included, and the text ids.
    fn raw(store: &Records) -> String {
        let mut texts: Vec<(&str, u32)> = store.text_index.iter().map(|(t, &n)| (t.as_ref(), n)).collect();
        texts.sort();
        let Records { times, workloads, flags, presence, arrivals, guids, .. } = store;
        format!("{times:?} {workloads:?} {flags:?} {presence:?} {arrivals:?} {guids:?} {texts:?}")
    }

    /// The meaning of a merge: `later`'s records inserted here one by one, in order.
    fn insert_each(
        store: &mut Records,
        later: Records,
        presence: impl Fn(u64) -> u64,
        mut workload_id: impl FnMut(u16) -> u16,
    ) -> (Vec<Inserted>, Vec<(u32, i64, u16)>) {
        let mut repeats = Vec::new();
        let outcomes = (later.into_new_records().enumerate())
            .map(|(r, record)| {
                let (time, workload) = (record.time, record.workload);
                let outcome =
                    store.insert(NewRecord { presence: presence(record.presence), ..record }, &mut workload_id);
                if let Inserted::Duplicate { .. } = outcome {
                    repeats.push((r as u32, time, workload));
                }
                outcome
            })
            .collect();
        (outcomes, repeats)
    }

    /// (From an independent review.) Column for column, with inputs shifted, workloads
    /// renumbered, conflicts, both arrival sources, stores indexed or not, a second merge and
    /// inserts after: a merge is inserting each record.
    #[test]
    fn a_merge_is_inserting_each_record_column_for_column() {
        for seed in 1..3000u64 {
            let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
            let (n1, n2, n3) = (rng.below(30) as usize, rng.below(30) as usize, rng.below(10) as usize);
            let (in1, in2) = (1 + rng.below(2) as usize, 1 + rng.below(2) as usize);
            let (first, later) = (random_store(&mut rng, n1, in1), random_store(&mut rng, n2, in2));
            let after: Vec<NewRecord> = (0..n3)
                .map(|_| {
                    let input = rng.below(3);
                    random_record(&mut rng, 1 << input)
                })
                .collect();
            let offset = rng.below(3) as u32;
            let presence = move |p: u64| p.checked_shl(offset).unwrap_or(0);
            let keep_index = rng.below(2) == 0;
            let (mut merged, mut inserted) = (copy(&first), copy(&first));
            if rng.below(2) == 0 {
                merged.build_guid_index();
            }
            // Workload numbers given in the order they are first asked for, as `Workloads::id`.
            let number = |names: &mut Vec<u16>, w: u16| match names.iter().position(|&n| n == w + 100) {
                Some(i) => i as u16,
                None => {
                    names.push(w + 100);
                    (names.len() - 1) as u16
                }
            };
            let (mut names, mut names_each) = (Vec::new(), Vec::new());
            let (outcomes, repeats) = merged.merge(copy(&later), presence, |w| number(&mut names, w), keep_index);
            let (outcomes_each, repeats_each) =
                insert_each(&mut inserted, later, presence, |w| number(&mut names_each, w));
            let at = format!("seed {seed}");
            assert_eq!(outcomes, outcomes_each, "{at}");
            let repeats: Vec<(u32, i64, u16)> = repeats.iter().map(|r| (r.record, r.time, r.workload)).collect();
            assert_eq!(repeats, repeats_each, "{at}");
            assert_eq!(names, names_each, "{at}: workloads numbered differently");
            assert_eq!(raw(&merged), raw(&inserted), "{at}: after the merge");
            let again = random_store(&mut rng, n3 + 3, 1);
            let (outcomes, _) = merged.merge(copy(&again), presence, |w| w, !keep_index);
            assert_eq!(outcomes, insert_each(&mut inserted, again, presence, |w| w).0, "{at}: a second merge");
            for record in &after {
                assert_eq!(merged.insert(record.clone(), |w| w), inserted.insert(record.clone(), |w| w), "{at}: after");
            }
            assert_eq!(raw(&merged), raw(&inserted), "{at}: after the inserts");
            if !after.is_empty() {
                assert_eq!(merged.guid_index.len(), inserted.guid_index.len(), "{at}: the index");
            }
        }
    }
}
