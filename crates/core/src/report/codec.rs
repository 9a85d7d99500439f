//! Classified sends as bytes: a compact binary form, hand-rolled, read several times faster
//! than their JSON (which was mostly field names, quotes and the same few dozen strings again).
//! The browser's worker posts a result's sends to the page in it, and a helper worker posts a
//! part's sends, raw records included, to the worker that joins the parts
//! ([`Analysis::to_bytes`](crate::Analysis::to_bytes)).
//!
//! One part ([`encode_sends`], [`decode_sends`]) holds a run of sends and stands alone:
//!
//! ```text
//! part     = "SLs1" count:n strings:k string×k send×n        (nothing after the last send)
//! string   = len bytes                                        (UTF-8, checked once per part)
//! send     = id:ostr time record_type:ostr workload:str operation:str actor:ostr actor_sid:ostr
//!            mailbox_owner:ostr mailbox_owner_sid:ostr send_as:ostr send_on_behalf:ostr
//!            client_info:ostr logon_type:oenum user_type:oenum app_id:ostr client_app_id:ostr
//!            client_ip:ostr subject:ostr object_id:ostr arrived:otime arrival_source:oenum
//!            owner_change source_file source_line raw:ostr
//!            class:u8 rule:ostr evidence_count (field:str value:str test:str)×count tenant_rule:u8
//!            delay
//! time     = seconds:zigzag nanos                             (chrono's timestamp and subsecond nanos,
//!                                                              so leap seconds survive)
//! otime    = 0 | 1 time
//! str      = index into the part's strings;  ostr = 0 (None) | index + 1
//! oenum    = 0 (None) | position + 1                          (u8, positions in the tables below)
//! class    = position in `SendClass::ALL`;  tenant_rule = 0 | 1
//! owner_change = 0 | 1 group:str added_count str×added_count removed_count str×removed_count
//! delay    = 0 | 1 seconds:zigzag | 2 min:zigzag max:zigzag   (Measured, Bounded)
//! ```
//!
//! Every integer but the one-byte ones is an unsigned LEB128 varint (signed ones zig-zagged
//! first). The part's strings are stored once each, in order of first use (but for the rare
//! one a cache collision stores twice, see `Writer`): actors, mailboxes, client strings,
//! workloads, operations, rule names and evidence repeat from send to send, so a send is mostly
//! one- or two-byte indices, and the page checks each string's UTF-8 once a part. Reading
//! allocates nothing from a count or length it has not checked against the bytes left, and a
//! cut, damaged or foreign part is an `Err`, never a panic.
//! The raw record travels too when a send has one (the worker takes raw records out of a
//! result before posting it to the page: they stay in the worker).

use crate::classify::{Classification, Evidence};
use crate::model::{ArrivalSource, AuditEvent, LogonType, OwnerChange, SendClass, SourceRef, UserType};
use crate::report::{ClassifiedEvent, Delay};
use chrono::{DateTime, Utc};

/// The first bytes of every part: the format and its version.
const MAGIC: &[u8; 4] = b"SLs1";

/// The fewest bytes a send takes (every option absent, every number one byte), which bounds
/// how many sends a part of a given length can announce.
const MIN_SEND_BYTES: usize = 31;

/// `LogonType` by its one-byte code (position + 1 on the wire).
const LOGON_TYPES: [LogonType; 7] = [
    LogonType::Owner,
    LogonType::Admin,
    LogonType::Delegated,
    LogonType::Transport,
    LogonType::SystemService,
    LogonType::BestAccess,
    LogonType::DelegatedAdmin,
];

/// `UserType` by its one-byte code (position + 1 on the wire).
const USER_TYPES: [UserType; 11] = [
    UserType::Regular,
    UserType::Reserved,
    UserType::Admin,
    UserType::DcAdmin,
    UserType::System,
    UserType::Application,
    UserType::ServicePrincipal,
    UserType::CustomPolicy,
    UserType::SystemPolicy,
    UserType::PartnerTechnician,
    UserType::Guest,
];

/// `ArrivalSource` by its one-byte code (position + 1 on the wire).
const ARRIVAL_SOURCES: [ArrivalSource; 2] = [ArrivalSource::IngestionTime, ArrivalSource::ContentCreated];

// The positions, by exhaustive matches: a new variant will not compile until it has a code.
fn logon_code(value: LogonType) -> u8 {
    match value {
        LogonType::Owner => 0,
        LogonType::Admin => 1,
        LogonType::Delegated => 2,
        LogonType::Transport => 3,
        LogonType::SystemService => 4,
        LogonType::BestAccess => 5,
        LogonType::DelegatedAdmin => 6,
    }
}

fn user_code(value: UserType) -> u8 {
    match value {
        UserType::Regular => 0,
        UserType::Reserved => 1,
        UserType::Admin => 2,
        UserType::DcAdmin => 3,
        UserType::System => 4,
        UserType::Application => 5,
        UserType::ServicePrincipal => 6,
        UserType::CustomPolicy => 7,
        UserType::SystemPolicy => 8,
        UserType::PartnerTechnician => 9,
        UserType::Guest => 10,
    }
}

fn arrival_code(value: ArrivalSource) -> u8 {
    match value {
        ArrivalSource::IngestionTime => 0,
        ArrivalSource::ContentCreated => 1,
    }
}

/// Slots of the writer's string cache (64 K: 256 KB while a part is written), enough that the
/// strings that repeat are seldom evicted by the ones that do not (ids, subjects).
const SLOTS_BITS: u32 = 16;

/// A string's slot in the writer's cache: a multiply-rotate over 8-byte words, its top bits
/// (Fibonacci hashing: the top bits of a product mix all of its input's bits).
fn slot(value: &str) -> usize {
    const K: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut hash = value.len() as u64;
    let mut words = value.as_bytes().chunks_exact(8);
    for word in &mut words {
        let word = u64::from_le_bytes(word.try_into().unwrap_or_default());
        hash = (hash.rotate_left(23) ^ word).wrapping_mul(K);
    }
    let mut last = [0u8; 8];
    let rest = words.remainder();
    last[..rest.len()].copy_from_slice(rest);
    hash = (hash.rotate_left(23) ^ u64::from_le_bytes(last)).wrapping_mul(K);
    (hash >> (64 - SLOTS_BITS)) as usize
}

/// Writes one part: the strings first (gathered while the sends are written), then the sends.
///
/// Strings are interned through a direct-mapped cache, not a hash map: a string met again while
/// its slot still holds it is written as the index it has. Two strings sharing a slot evict each
/// other and cost a repeat in the table, never time: the values come from the audit export, and
/// colliding ones crafted against a map would make every insertion a long probe.
struct Writer<'a> {
    body: Vec<u8>,
    /// Per slot, the index + 1 of the string it last held (0: none).
    slots: Vec<u32>,
    strings: Vec<&'a str>,
}

impl<'a> Writer<'a> {
    fn varint(&mut self, mut value: u64) {
        while value >= 0x80 {
            self.body.push(value as u8 | 0x80);
            value >>= 7;
        }
        self.body.push(value as u8);
    }

    fn signed(&mut self, value: i64) {
        self.varint(((value << 1) ^ (value >> 63)) as u64);
    }

    fn byte(&mut self, value: u8) {
        self.body.push(value);
    }

    fn intern(&mut self, value: &'a str) -> u64 {
        let slot = &mut self.slots[slot(value)];
        if let Some(at) = slot.checked_sub(1) {
            if self.strings[at as usize] == value {
                return u64::from(at);
            }
        }
        self.strings.push(value);
        // A part holds far fewer than 4 G strings (each is a field of one of its sends).
        *slot = self.strings.len() as u32;
        self.strings.len() as u64 - 1
    }

    fn str(&mut self, value: &'a str) {
        let at = self.intern(value);
        self.varint(at);
    }

    fn opt_str(&mut self, value: &'a Option<String>) {
        let code = value.as_deref().map_or(0, |v| self.intern(v) + 1);
        self.varint(code);
    }

    fn opt_code(&mut self, code: Option<u8>) {
        self.byte(code.map_or(0, |c| c + 1));
    }

    fn time(&mut self, time: &DateTime<Utc>) {
        self.signed(time.timestamp());
        self.varint(u64::from(time.timestamp_subsec_nanos()));
    }

    fn strs(&mut self, values: &'a [String]) {
        self.varint(values.len() as u64);
        for value in values {
            self.str(value);
        }
    }

    fn send(&mut self, send: &'a ClassifiedEvent) {
        let ClassifiedEvent { event, classification, delay } = send;
        // Every field by name: a field added to the model will not compile until it travels.
        let AuditEvent {
            id,
            time,
            record_type,
            workload,
            operation,
            actor,
            actor_sid,
            mailbox_owner,
            mailbox_owner_sid,
            send_as,
            send_on_behalf,
            client_info,
            logon_type,
            user_type,
            app_id,
            client_app_id,
            client_ip,
            subject,
            object_id,
            arrived,
            arrival_source,
            owner_change,
            source,
            raw,
        } = event;
        self.opt_str(id);
        self.time(time);
        self.opt_str(record_type);
        self.str(workload);
        self.str(operation);
        for value in [actor, actor_sid, mailbox_owner, mailbox_owner_sid, send_as, send_on_behalf, client_info] {
            self.opt_str(value);
        }
        self.opt_code(logon_type.map(logon_code));
        self.opt_code(user_type.map(user_code));
        for value in [app_id, client_app_id, client_ip, subject, object_id] {
            self.opt_str(value);
        }
        match arrived {
            None => self.byte(0),
            Some(arrived) => {
                self.byte(1);
                self.time(arrived);
            }
        }
        self.opt_code(arrival_source.map(arrival_code));
        match owner_change {
            None => self.byte(0),
            Some(OwnerChange { group, added, removed }) => {
                self.byte(1);
                self.str(group);
                self.strs(added);
                self.strs(removed);
            }
        }
        let SourceRef { file, line } = *source;
        self.varint(u64::from(file));
        self.varint(line);
        self.opt_str(raw);

        let Classification { class, rule, evidence, tenant_rule } = classification;
        self.byte(class.index() as u8);
        self.opt_str(rule);
        self.varint(evidence.len() as u64);
        for Evidence { field, value, test } in evidence {
            self.str(field);
            self.str(value);
            self.str(test);
        }
        self.byte(u8::from(*tenant_rule));

        match *delay {
            None => self.byte(0),
            Some(Delay::Measured { seconds }) => {
                self.byte(1);
                self.signed(seconds);
            }
            Some(Delay::Bounded { min_seconds, max_seconds }) => {
                self.byte(2);
                self.signed(min_seconds);
                self.signed(max_seconds);
            }
        }
    }
}

/// The sends as one part (see the module doc).
pub fn encode_sends(sends: &[ClassifiedEvent]) -> Vec<u8> {
    let mut writer =
        Writer { body: Vec::with_capacity(sends.len() * 48), slots: vec![0; 1 << SLOTS_BITS], strings: Vec::new() };
    for send in sends {
        writer.send(send);
    }
    let Writer { body, strings, .. } = writer;
    let table: usize = strings.iter().map(|s| s.len() + 5).sum();
    let mut head = Writer {
        body: Vec::with_capacity(MAGIC.len() + 20 + table + body.len()),
        slots: Vec::new(),
        strings: Vec::new(),
    };
    head.body.extend_from_slice(MAGIC);
    head.varint(sends.len() as u64);
    head.varint(strings.len() as u64);
    for string in strings {
        head.varint(string.len() as u64);
        head.body.extend_from_slice(string.as_bytes());
    }
    head.body.extend_from_slice(&body);
    head.body
}

/// Reads a part: bounds-checked, never panicking, its own strings checked as UTF-8 once.
struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
    strings: Vec<&'a str>,
}

/// Why a part could not be read.
type Fault = String;

impl<'a> Reader<'a> {
    fn left(&self) -> usize {
        self.bytes.len() - self.at
    }

    fn byte(&mut self) -> Result<u8, Fault> {
        let byte = *self.bytes.get(self.at).ok_or_else(|| format!("cut short at byte {}", self.at))?;
        self.at += 1;
        Ok(byte)
    }

    fn varint(&mut self) -> Result<u64, Fault> {
        let mut value = 0u64;
        for shift in (0..64).step_by(7) {
            let byte = self.byte()?;
            let bits = u64::from(byte & 0x7f);
            if shift == 63 && bits > 1 {
                break;
            }
            value |= bits << shift;
            if byte & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(format!("a number too large at byte {}", self.at))
    }

    fn signed(&mut self) -> Result<i64, Fault> {
        let value = self.varint()?;
        Ok((value >> 1) as i64 ^ -((value & 1) as i64))
    }

    /// A count of items that each take at least `min_bytes` bytes: refused when the bytes left
    /// could not hold them, so no allocation is sized from a number the bytes do not back.
    fn count(&mut self, min_bytes: usize) -> Result<usize, Fault> {
        let count = self.varint()?;
        match usize::try_from(count) {
            Ok(count) if count <= self.left() / min_bytes => Ok(count),
            _ => Err(format!("{count} items announced with {} bytes left", self.left())),
        }
    }

    fn table(&mut self) -> Result<(), Fault> {
        let count = self.count(1)?;
        let mut strings = Vec::with_capacity(count);
        for _ in 0..count {
            let len = self.count(1)?;
            let bytes = &self.bytes[self.at..self.at + len];
            self.at += len;
            strings.push(std::str::from_utf8(bytes).map_err(|e| format!("a string that is not UTF-8: {e}"))?);
        }
        self.strings = strings;
        Ok(())
    }

    fn lookup(&self, index: u64) -> Result<&'a str, Fault> {
        usize::try_from(index)
            .ok()
            .and_then(|i| self.strings.get(i).copied())
            .ok_or_else(|| format!("string {index} of {}", self.strings.len()))
    }

    fn str(&mut self) -> Result<String, Fault> {
        let index = self.varint()?;
        self.lookup(index).map(str::to_owned)
    }

    fn opt_str(&mut self) -> Result<Option<String>, Fault> {
        match self.varint()? {
            0 => Ok(None),
            index => self.lookup(index - 1).map(|s| Some(s.to_owned())),
        }
    }

    fn strs(&mut self) -> Result<Vec<String>, Fault> {
        let count = self.count(1)?;
        let mut values = Vec::with_capacity(count);
        for _ in 0..count {
            values.push(self.str()?);
        }
        Ok(values)
    }

    fn opt_enum<T: Copy>(&mut self, table: &[T], what: &str) -> Result<Option<T>, Fault> {
        match self.byte()? {
            0 => Ok(None),
            code => table.get(usize::from(code) - 1).copied().map(Some).ok_or_else(|| format!("{what} code {code}")),
        }
    }

    fn flag(&mut self, what: &str) -> Result<bool, Fault> {
        match self.byte()? {
            0 => Ok(false),
            1 => Ok(true),
            other => Err(format!("{what} marked {other}")),
        }
    }

    fn time(&mut self) -> Result<DateTime<Utc>, Fault> {
        let seconds = self.signed()?;
        let nanos = self.varint()?;
        u32::try_from(nanos)
            .ok()
            .and_then(|nanos| DateTime::from_timestamp(seconds, nanos))
            .ok_or_else(|| format!("no such time: {seconds} s {nanos} ns"))
    }

    fn send(&mut self) -> Result<ClassifiedEvent, Fault> {
        let event = AuditEvent {
            id: self.opt_str()?,
            time: self.time()?,
            record_type: self.opt_str()?,
            workload: self.str()?,
            operation: self.str()?,
            actor: self.opt_str()?,
            actor_sid: self.opt_str()?,
            mailbox_owner: self.opt_str()?,
            mailbox_owner_sid: self.opt_str()?,
            send_as: self.opt_str()?,
            send_on_behalf: self.opt_str()?,
            client_info: self.opt_str()?,
            logon_type: self.opt_enum(&LOGON_TYPES, "LogonType")?,
            user_type: self.opt_enum(&USER_TYPES, "UserType")?,
            app_id: self.opt_str()?,
            client_app_id: self.opt_str()?,
            client_ip: self.opt_str()?,
            subject: self.opt_str()?,
            object_id: self.opt_str()?,
            arrived: if self.flag("arrival time")? { Some(self.time()?) } else { None },
            arrival_source: self.opt_enum(&ARRIVAL_SOURCES, "arrival source")?,
            owner_change: if self.flag("owner change")? {
                Some(OwnerChange { group: self.str()?, added: self.strs()?, removed: self.strs()? })
            } else {
                None
            },
            source: SourceRef {
                file: u32::try_from(self.varint()?).map_err(|_| "an input number too large".to_owned())?,
                line: self.varint()?,
            },
            raw: self.opt_str()?,
        };
        let class = self.byte()?;
        let class = *SendClass::ALL.get(usize::from(class)).ok_or_else(|| format!("class code {class}"))?;
        let rule = self.opt_str()?;
        let count = self.count(3)?;
        let mut evidence = Vec::with_capacity(count);
        for _ in 0..count {
            evidence.push(Evidence { field: self.str()?, value: self.str()?, test: self.str()? });
        }
        let tenant_rule = self.flag("tenant rule")?;
        let delay = match self.byte()? {
            0 => None,
            1 => Some(Delay::Measured { seconds: self.signed()? }),
            2 => Some(Delay::Bounded { min_seconds: self.signed()?, max_seconds: self.signed()? }),
            other => return Err(format!("delay kind {other}")),
        };
        Ok(ClassifiedEvent { event, classification: Classification { class, rule, evidence, tenant_rule }, delay })
    }
}

/// Reads a part written by [`encode_sends`]; anything else, cut or damaged, is an `Err` with
/// the reason (never a panic).
pub fn decode_sends(bytes: &[u8]) -> Result<Vec<ClassifiedEvent>, String> {
    let body = bytes.strip_prefix(MAGIC).ok_or("not a part of sends")?;
    let mut reader = Reader { bytes: body, at: 0, strings: Vec::new() };
    let count = reader.count(MIN_SEND_BYTES)?;
    reader.table()?;
    let mut sends = Vec::with_capacity(count.min(reader.left() / MIN_SEND_BYTES));
    for _ in 0..count {
        sends.push(reader.send()?);
    }
    match reader.left() {
        0 => Ok(sends),
        extra => Err(format!("{extra} bytes after the last send")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(sends: &[ClassifiedEvent]) {
        let bytes = encode_sends(sends);
        assert_eq!(decode_sends(&bytes).as_deref(), Ok(sends));
    }

    fn analysed(name: &str, bytes: &[u8]) -> Option<Vec<ClassifiedEvent>> {
        let mut analysis = crate::Analysis::default();
        let meta = crate::SourceMeta { name: name.into(), exported_at: None };
        analysis.read_source(meta, bytes).ok()?;
        Some(analysis.finish().sends)
    }

    #[test]
    fn the_sample_survives_with_its_raw_records_and_without() {
        let mut sends = analysed("sample", include_bytes!("../../../../src/sample/field-report.jsonl")).unwrap();
        assert!(sends.len() > 10);
        assert!(sends.iter().all(|s| s.event.raw.is_some()));
        round_trip(&sends);
        for send in &mut sends {
            send.event.raw = None;
        }
        round_trip(&sends);
        // Every subset too (the parts a result is cut into).
        for chunk in sends.chunks(3) {
            round_trip(chunk);
        }
        round_trip(&[]);
    }

    #[test]
    fn every_fixture_survives() {
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/fixtures");
        let mut files = Vec::new();
        for dir in [root.to_owned(), format!("{root}/bad")] {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_file() && path.extension().is_some_and(|e| e != "py") {
                    files.push(path);
                }
            }
        }
        files.sort();
        let (mut read, mut sends_seen) = (0, 0);
        for path in &files {
            let bytes = std::fs::read(path).unwrap();
            let Some(sends) = analysed(&path.display().to_string(), &bytes) else { continue };
            read += 1;
            sends_seen += sends.len();
            round_trip(&sends);
            // With a tenant's rule deciding: the evidence says so.
            let mut tenant = sends.clone();
            for send in &mut tenant {
                send.classification.tenant_rule = send.classification.rule.is_some();
            }
            round_trip(&tenant);
        }
        assert!(read >= 15 && sends_seen > 50, "{read} fixtures read, {sends_seen} sends");
    }

    /// The corners: empty, absent, long, non-ASCII, control characters, far times, every enum value.
    fn corners() -> Vec<ClassifiedEvent> {
        let mut sends = Vec::new();
        let time = |s: i64, n: u32| DateTime::from_timestamp(s, n).unwrap();
        let all = |text: &str| AuditEvent {
            id: Some(text.into()),
            time: time(1_700_000_000, 123_456_789),
            record_type: Some(text.into()),
            workload: text.into(),
            operation: text.into(),
            actor: Some(text.into()),
            actor_sid: Some(text.into()),
            mailbox_owner: Some(text.into()),
            mailbox_owner_sid: Some(text.into()),
            send_as: Some(text.into()),
            send_on_behalf: Some(text.into()),
            client_info: Some(text.into()),
            logon_type: Some(LogonType::Delegated),
            user_type: Some(UserType::Guest),
            app_id: Some(text.into()),
            client_app_id: Some(text.into()),
            client_ip: Some(text.into()),
            subject: Some(text.into()),
            object_id: Some(text.into()),
            arrived: Some(time(-1, 999_999_999)),
            arrival_source: Some(ArrivalSource::ContentCreated),
            owner_change: Some(OwnerChange {
                group: text.into(),
                added: vec![text.into(), String::new()],
                removed: vec![],
            }),
            source: SourceRef { file: u32::MAX, line: u64::MAX },
            raw: Some(text.into()),
        };
        let classified = |event: AuditEvent, class: SendClass| ClassifiedEvent {
            event,
            classification: Classification { class, rule: None, evidence: Vec::new(), tenant_rule: false },
            delay: None,
        };
        // None everywhere (and the default time, 1970).
        sends.push(classified(AuditEvent::default(), SendClass::Unknown));
        let long = "é\u{1F600}x".repeat(70_000);
        let texts = [
            "",
            " ",
            "\0",
            "\u{7f}\u{1b}[31m\r\n\t",
            "\u{202e}gnp.exe\u{200b}\u{feff}",
            "Ünïcødé 送信 مرسل",
            "\u{10ffff}",
            "a\"b\\c,d\n",
            long.as_str(),
        ];
        for (i, text) in texts.iter().enumerate() {
            let mut send = classified(all(text), SendClass::ALL[i % SendClass::ALL.len()]);
            send.classification = Classification {
                class: send.classification.class,
                rule: Some((*text).into()),
                evidence: vec![
                    Evidence { field: (*text).into(), value: String::new(), test: (*text).into() },
                    Evidence { field: "UserId".into(), value: (*text).into(), test: "is the acting account".into() },
                ],
                tenant_rule: i % 2 == 0,
            };
            send.delay = Some(Delay::Bounded { min_seconds: -(i as i64), max_seconds: i as i64 * 1_000_000 });
            sends.push(send);
        }
        // Every class, logon type, user type and arrival source; extreme delays.
        for (i, class) in SendClass::ALL.into_iter().enumerate() {
            let event = AuditEvent {
                logon_type: LOGON_TYPES.get(i).copied(),
                arrival_source: ARRIVAL_SOURCES.get(i).copied(),
                ..AuditEvent::default()
            };
            sends.push(ClassifiedEvent {
                delay: Some(Delay::Measured { seconds: [i64::MIN, i64::MAX, 0, -1, 1][i % 5] }),
                ..classified(event, class)
            });
        }
        for user_type in USER_TYPES {
            let event = AuditEvent { user_type: Some(user_type), ..AuditEvent::default() };
            sends.push(classified(event, SendClass::Owner));
        }
        // Times: before 1970, the far past and future chrono holds, a leap second, a pre-epoch
        // instant with nanoseconds.
        let leap = chrono::NaiveDate::from_ymd_opt(2016, 12, 31)
            .unwrap()
            .and_hms_nano_opt(23, 59, 59, 1_500_000_000)
            .unwrap()
            .and_utc();
        for moment in [
            time(-1, 1),
            time(-86_400 * 365 * 300, 0),
            DateTime::<Utc>::MIN_UTC,
            DateTime::<Utc>::MAX_UTC,
            time(253_402_300_799, 999_999_999),
            leap,
        ] {
            let event = AuditEvent { time: moment, arrived: Some(moment), ..AuditEvent::default() };
            sends.push(classified(event, SendClass::Delegate));
        }
        sends
    }

    #[test]
    fn the_corners_survive() {
        let sends = corners();
        round_trip(&sends);
        for send in &sends {
            round_trip(std::slice::from_ref(send));
        }
        // More strings than one byte indexes, and more than two (the long string left out).
        let short: Vec<_> = sends.iter().filter(|s| s.event.workload.len() < 100).collect();
        let many: Vec<_> = (0..20_000)
            .map(|i| {
                let mut send = short[i % short.len()].clone();
                send.event.id = Some(format!("id-{i}"));
                send.event.source.line = i as u64;
                send
            })
            .collect();
        round_trip(&many);
    }

    #[test]
    fn strings_sharing_a_slot_cost_repeats_not_errors() {
        let target = slot("Exchange");
        let colliding: Vec<String> =
            (0u64..).map(|i| format!("actor-{i}@contoso.com")).filter(|s| slot(s) == target).take(40).collect();
        let sends: Vec<_> = (0..400)
            .map(|i| ClassifiedEvent {
                event: AuditEvent {
                    workload: "Exchange".into(),
                    actor: Some(colliding[i % colliding.len()].clone()),
                    ..AuditEvent::default()
                },
                classification: Classification {
                    class: SendClass::Delegate,
                    rule: None,
                    evidence: Vec::new(),
                    tenant_rule: false,
                },
                delay: None,
            })
            .collect();
        round_trip(&sends);
        // Without collisions the same sends name fewer strings; with them, more, never wrong.
        let spread: Vec<_> = (0..400)
            .map(|i| ClassifiedEvent {
                event: AuditEvent { actor: Some(format!("a{}", i % 40)), ..sends[i].event.clone() },
                ..sends[i].clone()
            })
            .collect();
        round_trip(&spread);
        assert!(encode_sends(&spread).len() < encode_sends(&sends).len());
    }

    /// A small deterministic generator (xorshift), for property-style checks without a crate.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }

        fn below(&mut self, n: u64) -> u64 {
            self.next() % n
        }

        fn text(&mut self) -> String {
            const PIECES: [&str; 10] =
                ["a", "B", "@contoso.com", "\0", "\u{1b}", "é", "送", "\u{1F600}", "\u{202e}", " "];
            (0..self.below(12)).map(|_| PIECES[self.below(PIECES.len() as u64) as usize]).collect()
        }

        fn opt_text(&mut self) -> Option<String> {
            (self.below(3) > 0).then(|| self.text())
        }

        fn time(&mut self) -> DateTime<Utc> {
            let span = DateTime::<Utc>::MAX_UTC.timestamp() - DateTime::<Utc>::MIN_UTC.timestamp();
            let seconds = DateTime::<Utc>::MIN_UTC.timestamp() + (self.next() % span as u64) as i64;
            let seconds = if self.below(2) == 0 { seconds } else { seconds % 4_000_000_000 };
            DateTime::from_timestamp(seconds, self.below(1_000_000_000) as u32).unwrap()
        }

        fn send(&mut self) -> ClassifiedEvent {
            let event = AuditEvent {
                id: self.opt_text(),
                time: self.time(),
                record_type: self.opt_text(),
                workload: self.text(),
                operation: self.text(),
                actor: self.opt_text(),
                actor_sid: self.opt_text(),
                mailbox_owner: self.opt_text(),
                mailbox_owner_sid: self.opt_text(),
                send_as: self.opt_text(),
                send_on_behalf: self.opt_text(),
                client_info: self.opt_text(),
                logon_type: LOGON_TYPES.get(self.below(9) as usize).copied(),
                user_type: USER_TYPES.get(self.below(13) as usize).copied(),
                app_id: self.opt_text(),
                client_app_id: self.opt_text(),
                client_ip: self.opt_text(),
                subject: self.opt_text(),
                object_id: self.opt_text(),
                arrived: (self.below(2) == 0).then(|| self.time()),
                arrival_source: ARRIVAL_SOURCES.get(self.below(3) as usize).copied(),
                owner_change: (self.below(4) == 0).then(|| OwnerChange {
                    group: self.text(),
                    added: (0..self.below(3)).map(|_| self.text()).collect(),
                    removed: (0..self.below(3)).map(|_| self.text()).collect(),
                }),
                source: SourceRef { file: self.next() as u32 >> self.below(32), line: self.next() >> self.below(64) },
                raw: self.opt_text(),
            };
            let classification = Classification {
                class: SendClass::ALL[self.below(7) as usize],
                rule: self.opt_text(),
                evidence: (0..self.below(4))
                    .map(|_| Evidence { field: self.text(), value: self.text(), test: self.text() })
                    .collect(),
                tenant_rule: self.below(2) == 0,
            };
            let delay = match self.below(3) {
                0 => None,
                1 => Some(Delay::Measured { seconds: self.next() as i64 >> self.below(64) }),
                _ => Some(Delay::Bounded {
                    min_seconds: self.next() as i64 >> self.below(64),
                    max_seconds: self.next() as i64 >> self.below(64),
                }),
            };
            ClassifiedEvent { event, classification, delay }
        }
    }

    #[test]
    fn random_sends_survive() {
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        for size in [1, 2, 5, 50, 500, 4_000] {
            let sends: Vec<_> = (0..size).map(|_| rng.send()).collect();
            round_trip(&sends);
        }
    }

    /// A send with nothing but what every send has.
    fn smallest_send() -> ClassifiedEvent {
        ClassifiedEvent {
            event: AuditEvent::default(),
            classification: Classification {
                class: SendClass::Owner,
                rule: None,
                evidence: Vec::new(),
                tenant_rule: false,
            },
            delay: None,
        }
    }

    #[test]
    fn the_smallest_send_takes_the_bytes_the_count_check_assumes() {
        let least = smallest_send();
        // The magic, the count, one string (the empty workload and operation): length and bytes.
        let head = MAGIC.len() + 1 + 1 + 1;
        assert_eq!(encode_sends(std::slice::from_ref(&least)).len(), head + MIN_SEND_BYTES);
        let least_copy = least.clone();
        assert_eq!(encode_sends(&[least.clone(), least]).len(), head + 2 * MIN_SEND_BYTES);
        round_trip(&vec![least_copy; 1000]);
    }

    #[test]
    fn a_damaged_part_is_an_error_not_a_panic() {
        let mut rng = Rng(7);
        let mut sends: Vec<_> = (0..40).map(|_| rng.send()).collect();
        sends.extend(corners().into_iter().take(6));
        let bytes = encode_sends(&sends);
        // Every cut: too short, never a panic, never the sends.
        for end in 0..bytes.len() {
            assert!(decode_sends(&bytes[..end]).is_err(), "cut at {end}");
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(decode_sends(&longer).is_err(), "a byte too many");
        // Every byte changed, in three ways: an error or other sends, never a panic.
        for at in 0..bytes.len() {
            for flip in [0x01, 0x80, 0xff] {
                let mut damaged = bytes.clone();
                damaged[at] ^= flip;
                let _ = decode_sends(&damaged);
            }
        }
        // Random bytes, with and without the magic.
        for len in 0..300 {
            let noise: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
            assert!(decode_sends(&noise).is_err() || noise.starts_with(MAGIC));
            let _ = decode_sends(&[MAGIC.as_slice(), &noise].concat());
        }
        // Huge announced counts and lengths are refused before any allocation.
        for hostile in [
            [MAGIC.as_slice(), &[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01], &[0]].concat(),
            [MAGIC.as_slice(), &[1, 0xff, 0xff, 0xff, 0xff, 0x0f]].concat(),
            [MAGIC.as_slice(), &[1, 1, 0xff, 0xff, 0xff, 0xff, 0x0f, b'a']].concat(),
            [MAGIC.as_slice(), &[0xff; 11]].concat(),
            b"[{\"event\":{}}]".to_vec(),
        ] {
            assert!(decode_sends(&hostile).is_err(), "{hostile:?}");
        }
        // A string index past the table, a class or enum code out of range: errors.
        let one = encode_sends(&[smallest_send()]);
        for at in MAGIC.len()..one.len() {
            for value in [0x7f, 0x7e, 0x0c, 0x08, 0x03] {
                let mut damaged = one.clone();
                damaged[at] = value;
                let _ = decode_sends(&damaged);
            }
        }
    }

    #[test]
    fn a_part_is_much_smaller_than_its_json() {
        let sends = analysed("sample", include_bytes!("../../../../src/sample/field-report.jsonl")).unwrap();
        let sends: Vec<_> = sends
            .into_iter()
            .map(|mut s| {
                s.event.raw = None;
                s
            })
            .collect();
        let json = serde_json::to_vec(&sends).unwrap().len();
        let binary = encode_sends(&sends).len();
        assert!(binary * 4 < json, "{binary} bytes against {json} of JSON");
    }
}
