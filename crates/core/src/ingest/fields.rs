//! One field vocabulary for every export, and the record → [`AuditEvent`] mapping.
//!
//! The same audit field travels under many names: `Operation` / `Operations`,
//! `LogonType` / `Logon_Type`, `ClientIPAddress` / `Client_IPAddress`,
//! `createdDateTime` / `CreationDate` / `TimeGenerated [UTC]`. [`ALIASES`] maps
//! every spelling (compared ignoring ASCII case) to one [`FieldId`], and both
//! CSV headers and JSON keys go through it, so a new spelling is one line here.
//!
//! A record has up to two layers: the *envelope* (CSV columns, the Graph or
//! Extractor wrapper object) and the *AuditData* object inside it. Details come
//! from AuditData first, the envelope fills gaps.

use std::borrow::Cow;
use std::fmt;

use chrono::{DateTime, Utc};
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde::Deserialize;
use serde_json::value::RawValue;

use crate::model::{
    normalise_ip, record_type_name, workload_for_record_type, ArrivalSource, AuditEvent, LogonType, OwnerChange,
    SendOperation, SourceRef, UserType,
};
use crate::time::{parse_timestamp, DateOrder};

use super::{JsonPart, PlainRecord, RowErrorKind};

/// A field of the audit record the product reads, whatever the export calls it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum FieldId {
    Id,
    CreationTime,
    EnvelopeTime,
    RecordType,
    Workload,
    Operation,
    UserId,
    UserPrincipalName,
    LogonUserDisplayName,
    ActorSid,
    MailboxOwnerUpn,
    MailboxResolvedOwnerName,
    MailboxOwnerSid,
    SendAsSmtp,
    SendOnBehalfSmtp,
    ClientInfo,
    LogonType,
    UserType,
    AppId,
    ClientAppId,
    ContextClientAppId,
    ClientIp,
    ClientIpAddress,
    Subject,
    ObjectId,
    IngestionTime,
    ContentCreated,
    Parameters,
    ModifiedProperties,
}

const FIELD_COUNT: usize = FieldId::ModifiedProperties as usize + 1;

/// What a key or column is to the reader.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum KeyRole {
    /// A value kept as text.
    Scalar(FieldId),
    /// A JSON value kept verbatim, parsed only when the operation needs it.
    Raw(FieldId),
    /// The nested AuditData record (an object, or JSON text in a string).
    AuditData,
    /// The `Item` object, for its `Subject`.
    Item,
    /// The `AppAccessContext` object, for its `ClientAppId`.
    AppAccessContext,
}

/// Every spelling of every field, compared ignoring ASCII case.
pub(crate) const ALIASES: &[(&str, KeyRole)] = &[
    ("Id", KeyRole::Scalar(FieldId::Id)),
    ("RecordId", KeyRole::Scalar(FieldId::Id)),
    ("Identity", KeyRole::Scalar(FieldId::Id)),
    ("OfficeId", KeyRole::Scalar(FieldId::Id)),
    ("SourceRecordId", KeyRole::Scalar(FieldId::Id)),
    ("CreationTime", KeyRole::Scalar(FieldId::CreationTime)),
    ("CreationDate", KeyRole::Scalar(FieldId::EnvelopeTime)),
    ("createdDateTime", KeyRole::Scalar(FieldId::EnvelopeTime)),
    ("TimeGenerated", KeyRole::Scalar(FieldId::EnvelopeTime)),
    ("LastAccessed", KeyRole::Scalar(FieldId::EnvelopeTime)),
    ("RecordType", KeyRole::Scalar(FieldId::RecordType)),
    ("auditLogRecordType", KeyRole::Scalar(FieldId::RecordType)),
    ("Workload", KeyRole::Scalar(FieldId::Workload)),
    ("OfficeWorkload", KeyRole::Scalar(FieldId::Workload)),
    ("service", KeyRole::Scalar(FieldId::Workload)),
    ("Operation", KeyRole::Scalar(FieldId::Operation)),
    ("Operations", KeyRole::Scalar(FieldId::Operation)),
    ("UserId", KeyRole::Scalar(FieldId::UserId)),
    ("UserIds", KeyRole::Scalar(FieldId::UserId)),
    ("userPrincipalName", KeyRole::Scalar(FieldId::UserPrincipalName)),
    ("LogonUserDisplayName", KeyRole::Scalar(FieldId::LogonUserDisplayName)),
    ("LogonUserSid", KeyRole::Scalar(FieldId::ActorSid)),
    ("MailboxOwnerUPN", KeyRole::Scalar(FieldId::MailboxOwnerUpn)),
    ("MailboxResolvedOwnerName", KeyRole::Scalar(FieldId::MailboxResolvedOwnerName)),
    ("MailboxOwnerSid", KeyRole::Scalar(FieldId::MailboxOwnerSid)),
    ("SendAsUserSmtp", KeyRole::Scalar(FieldId::SendAsSmtp)),
    ("SendOnBehalfOfUserSmtp", KeyRole::Scalar(FieldId::SendOnBehalfSmtp)),
    ("ClientInfoString", KeyRole::Scalar(FieldId::ClientInfo)),
    ("LogonType", KeyRole::Scalar(FieldId::LogonType)),
    ("Logon_Type", KeyRole::Scalar(FieldId::LogonType)),
    ("UserType", KeyRole::Scalar(FieldId::UserType)),
    ("AppId", KeyRole::Scalar(FieldId::AppId)),
    ("ClientAppId", KeyRole::Scalar(FieldId::ClientAppId)),
    ("ClientIP", KeyRole::Scalar(FieldId::ClientIp)),
    ("ClientIPAddress", KeyRole::Scalar(FieldId::ClientIpAddress)),
    ("Client_IPAddress", KeyRole::Scalar(FieldId::ClientIpAddress)),
    ("ItemName", KeyRole::Scalar(FieldId::Subject)),
    ("ItemSubject", KeyRole::Scalar(FieldId::Subject)),
    ("ObjectId", KeyRole::Scalar(FieldId::ObjectId)),
    ("ingestion_time()", KeyRole::Scalar(FieldId::IngestionTime)),
    ("ingestion_time", KeyRole::Scalar(FieldId::IngestionTime)),
    ("IngestionTime", KeyRole::Scalar(FieldId::IngestionTime)),
    ("_TimeReceived", KeyRole::Scalar(FieldId::IngestionTime)),
    ("TimeReceived", KeyRole::Scalar(FieldId::IngestionTime)),
    ("contentCreated", KeyRole::Scalar(FieldId::ContentCreated)),
    ("Parameters", KeyRole::Raw(FieldId::Parameters)),
    ("ModifiedProperties", KeyRole::Raw(FieldId::ModifiedProperties)),
    ("AuditData", KeyRole::AuditData),
    ("Item", KeyRole::Item),
    ("AppAccessContext", KeyRole::AppAccessContext),
];

/// Strips what exports add around a column name: a BOM, spaces, quotes,
/// and Log Analytics' ` [UTC]` suffix.
pub(crate) fn normalise_header(name: &str) -> &str {
    let name = name.trim_start_matches('\u{feff}').trim().trim_matches('"').trim();
    match name.rfind(" [") {
        Some(i) if name.ends_with(']') => name[..i].trim_end(),
        _ => name,
    }
}

/// The role of a CSV column, if the product reads it.
pub(crate) fn role_of_header(name: &str) -> Option<KeyRole> {
    role_of_key(normalise_header(name))
}

/// The role of a JSON key (used as it is: keys carry no quotes, BOMs or `[UTC]` suffixes).
pub(crate) fn role_of_key(name: &str) -> Option<KeyRole> {
    // Every key of every record comes through here, and most are no alias at all: one probe of
    // a hash table on the length and the first eight letters, case folded, usually says so.
    // A hit compares the next eight letters the same way, and only longer keys letter by letter.
    let bytes = name.as_bytes();
    let prefix = folded_prefix(bytes);
    let mut slot = alias_slot(prefix, bytes.len());
    loop {
        let (alias_prefix, alias_second, length, index) = ALIAS_TABLE[slot];
        if index == NO_ALIAS {
            return None;
        }
        if alias_prefix == prefix
            && length as usize == bytes.len()
            && alias_second == folded_prefix(bytes.get(8..).unwrap_or_default())
        {
            let (alias, role) = ALIASES[index as usize];
            let rest = |key: &'static [u8]| key.get(16..).unwrap_or_default();
            if bytes.len() <= 16 || rest(alias.as_bytes()).eq_ignore_ascii_case(&bytes[16..]) {
                return Some(role);
            }
        }
        // Linear probing; the table is never full, so an empty slot ends every search.
        slot = (slot + 1) % ALIAS_SLOTS;
    }
}

/// The first eight bytes of a key, zero-padded, ASCII capitals lowered (eight at a time: a byte
/// from `A` to `Z`, top bit clear, gets 0x20 added). Equal for two keys that are equal ignoring
/// ASCII case.
fn folded_prefix(bytes: &[u8]) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let word = match bytes.first_chunk::<8>() {
        Some(head) => u64::from_le_bytes(*head),
        None => bytes.iter().rev().fold(0, |word, &b| word << 8 | u64::from(b)),
    };
    let low7 = word & !HIGH;
    let at_least_a = low7 + ONES * (0x80 - u64::from(b'A'));
    let above_z = low7 + ONES * (0x80 - u64::from(b'Z') - 1);
    let capitals = at_least_a & !above_z & !word & HIGH;
    word | (capitals >> 2)
}

/// [`folded_prefix`] at compile time, a byte at a time.
const fn folded_prefix_const(bytes: &[u8]) -> u64 {
    let mut word = 0u64;
    let mut i = 0;
    while i < 8 && i < bytes.len() {
        word |= (bytes[i].to_ascii_lowercase() as u64) << (8 * i);
        i += 1;
    }
    word
}

const NO_ALIAS: u8 = u8::MAX;
/// Slots in [`ALIAS_TABLE`]: a power of two, well above the number of aliases.
const ALIAS_SLOTS: usize = 256;

/// Where a key's search starts: a multiplicative hash of its folded prefix and length.
const fn alias_slot(prefix: u64, length: usize) -> usize {
    let mixed = (prefix ^ (length as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)).wrapping_mul(0xD6E8_FEB8_6659_FD93);
    (mixed >> (64 - ALIAS_SLOTS.trailing_zeros())) as usize
}

/// Every alias by [`alias_slot`]: its first and second eight bytes folded, its length, and its
/// index in [`ALIASES`] (built at compile time).
static ALIAS_TABLE: [(u64, u64, u8, u8); ALIAS_SLOTS] = {
    assert!(ALIASES.len() < ALIAS_SLOTS / 2 && ALIASES.len() < NO_ALIAS as usize);
    let mut table = [(0u64, 0u64, 0u8, NO_ALIAS); ALIAS_SLOTS];
    let mut i = 0;
    while i < ALIASES.len() {
        let alias = ALIASES[i].0.as_bytes();
        assert!(alias.len() <= u8::MAX as usize);
        let prefix = folded_prefix_const(alias);
        let second = match alias.split_at_checked(8) {
            Some((_, rest)) => folded_prefix_const(rest),
            None => 0,
        };
        let mut slot = alias_slot(prefix, alias.len());
        while table[slot].3 != NO_ALIAS {
            slot = (slot + 1) % ALIAS_SLOTS;
        }
        table[slot] = (prefix, second, alias.len() as u8, i as u8);
        i += 1;
    }
    table
};

/// The fields of one record layer. The first value seen for a field wins, so a
/// duplicated column or key cannot silently override the one before it.
#[derive(Debug, Default)]
pub(crate) struct RecordFields<'a> {
    values: [Option<Cow<'a, str>>; FIELD_COUNT],
    /// The nested AuditData layer, when this is an envelope.
    pub(crate) inner: Option<Box<RecordFields<'a>>>,
    /// AuditData was present but could not be read (text that is not JSON).
    pub(crate) inner_error: Option<(RowErrorKind, usize)>,
}

impl<'a> RecordFields<'a> {
    pub(crate) fn get(&self, field: FieldId) -> Option<&str> {
        self.values[field as usize].as_deref().map(crate::text::trim).filter(|v| !v.is_empty())
    }

    pub(crate) fn set(&mut self, field: FieldId, value: Cow<'a, str>) {
        let slot = &mut self.values[field as usize];
        if slot.is_none() {
            *slot = Some(value);
        }
    }

    /// True when the record has any field every audit record has (an operation or a time),
    /// itself or in its AuditData: tells an audit export from other JSON.
    pub(crate) fn looks_like_audit(&self) -> bool {
        let core = [FieldId::Operation, FieldId::CreationTime, FieldId::EnvelopeTime];
        core.iter().any(|f| self.values[*f as usize].is_some())
            || self.inner.as_ref().is_some_and(|i| i.looks_like_audit())
            || self.inner_error.is_some()
    }

    /// The fields the fast lane reads agree with another reading (tests compare the two lanes).
    /// Raw fields, `Item.Subject` and `AppAccessContext` are left out: only sends and owner
    /// changes read them, and those always take the full parse.
    #[cfg(test)]
    pub(crate) fn same_scalars(&self, other: &RecordFields<'_>) -> bool {
        let skipped = [FieldId::Parameters, FieldId::ModifiedProperties, FieldId::Subject, FieldId::ContextClientAppId];
        let same_values = self
            .values
            .iter()
            .zip(&other.values)
            .enumerate()
            .all(|(i, (a, b))| skipped.iter().any(|f| *f as usize == i) || a.as_deref() == b.as_deref());
        let same_inner = match (&self.inner, &other.inner) {
            (Some(a), Some(b)) => a.same_scalars(b),
            (None, None) => true,
            _ => false,
        };
        same_values && same_inner && self.inner_error.is_none() && other.inner_error.is_none()
    }

    fn into_owned(self) -> RecordFields<'static> {
        RecordFields {
            values: self.values.map(|v| v.map(|c| Cow::Owned(c.into_owned()))),
            inner: self.inner.map(|i| Box::new(i.into_owned())),
            inner_error: self.inner_error,
        }
    }

    /// Reads an AuditData text into the inner layer (CSV exports keep AuditData as JSON text).
    pub(crate) fn set_inner_json(&mut self, text: &'a str) {
        match parse_record(text) {
            Ok(fields) => self.inner = Some(Box::new(fields)),
            Err(error) => self.inner_error = Some((json_error_kind(&error, text, JsonPart::AuditData), text.len())),
        }
    }
}

/// Parses one JSON record (an envelope or a bare AuditData object).
pub(crate) fn parse_record(text: &str) -> Result<RecordFields<'_>, serde_json::Error> {
    let mut de = serde_json::Deserializer::from_str(text);
    let fields = RecordFields::deserialize(&mut de)?;
    de.end()?;
    Ok(fields)
}

/// Excel cuts every cell at 32,767 characters.
pub(crate) const EXCEL_CELL_LIMIT: usize = 32_767;

/// Explains a JSON failure, recognising the Excel cut.
pub(crate) fn json_error_kind(error: &serde_json::Error, text: &str, part: JsonPart) -> RowErrorKind {
    if error.is_eof() {
        let chars = text.chars().count();
        if chars == EXCEL_CELL_LIMIT {
            return RowErrorKind::TruncatedCell { chars };
        }
        return RowErrorKind::TruncatedJson;
    }
    if error.classify() == serde_json::error::Category::Data && text.trim_start().starts_with(|c| c != '{') {
        return RowErrorKind::NotAnObject;
    }
    RowErrorKind::InvalidJson { part, detail: error.to_string() }
}

impl<'de> Deserialize<'de> for RecordFields<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(RecordVisitor)
    }
}

struct RecordVisitor;

impl<'de> Visitor<'de> for RecordVisitor {
    type Value = RecordFields<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an audit record object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut fields = RecordFields::default();
        while let Some(role) = map.next_key_seed(KeySeed)? {
            match role {
                Some(KeyRole::Scalar(field)) => {
                    if let Some(value) = map.next_value::<Scalar<'de>>()?.0 {
                        fields.set(field, value);
                    }
                }
                Some(KeyRole::Raw(field)) => {
                    let raw: &'de RawValue = map.next_value()?;
                    fields.set(field, Cow::Borrowed(raw.get()));
                }
                Some(KeyRole::AuditData) => match map.next_value::<AuditDataValue<'de>>()? {
                    AuditDataValue::Object(inner) => {
                        if fields.inner.is_none() {
                            fields.inner = Some(inner);
                        }
                    }
                    AuditDataValue::Text(text) => {
                        if fields.inner.is_none() {
                            match parse_record(&text) {
                                Ok(inner) => fields.inner = Some(Box::new(inner.into_owned())),
                                Err(error) => {
                                    fields.inner_error =
                                        Some((json_error_kind(&error, &text, JsonPart::AuditData), text.len()))
                                }
                            }
                        }
                    }
                    AuditDataValue::Absent => {}
                },
                Some(KeyRole::Item) => {
                    if let Some(subject) = map.next_value::<NestedPick<'de, SubjectKey>>()?.0 {
                        fields.set(FieldId::Subject, subject);
                    }
                }
                Some(KeyRole::AppAccessContext) => {
                    if let Some(app) = map.next_value::<NestedPick<'de, ClientAppIdKey>>()?.0 {
                        fields.set(FieldId::ContextClientAppId, app);
                    }
                }
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(fields)
    }
}

/// Resolves a key to its role without allocating.
struct KeySeed;

impl<'de> DeserializeSeed<'de> for KeySeed {
    type Value = Option<KeyRole>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        struct KeyVisitor;
        impl Visitor<'_> for KeyVisitor {
            type Value = Option<KeyRole>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a field name")
            }
            fn visit_str<E: de::Error>(self, key: &str) -> Result<Self::Value, E> {
                Ok(role_of_key(key))
            }
        }
        deserializer.deserialize_str(KeyVisitor)
    }
}

/// Any JSON scalar as text: `"2"`, `2` and `true` all read; objects and arrays are skipped.
struct Scalar<'a>(Option<Cow<'a, str>>);

impl<'de> Deserialize<'de> for Scalar<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ScalarVisitor;
        impl<'de> Visitor<'de> for ScalarVisitor {
            type Value = Scalar<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a scalar")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Scalar(Some(Cow::Borrowed(v))))
            }
            fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Scalar(Some(Cow::Owned(v.to_owned()))))
            }
            fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
                Ok(Scalar(Some(Cow::Owned(v))))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
                Ok(Scalar(Some(Cow::Owned(v.to_string()))))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
                Ok(Scalar(Some(Cow::Owned(v.to_string()))))
            }
            fn visit_f64<E>(self, v: f64) -> Result<Self::Value, E> {
                Ok(Scalar(Some(Cow::Owned(v.to_string()))))
            }
            fn visit_bool<E>(self, v: bool) -> Result<Self::Value, E> {
                Ok(Scalar(Some(Cow::Borrowed(if v { "true" } else { "false" }))))
            }
            fn visit_unit<E>(self) -> Result<Self::Value, E> {
                Ok(Scalar(None))
            }
            fn visit_none<E>(self) -> Result<Self::Value, E> {
                Ok(Scalar(None))
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Scalar(None))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Scalar(None))
            }
        }
        deserializer.deserialize_any(ScalarVisitor)
    }
}

/// AuditData as the exports carry it.
enum AuditDataValue<'a> {
    Object(Box<RecordFields<'a>>),
    Text(Cow<'a, str>),
    Absent,
}

impl<'de> Deserialize<'de> for AuditDataValue<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct AuditDataVisitor;
        impl<'de> Visitor<'de> for AuditDataVisitor {
            type Value = AuditDataValue<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an AuditData object or JSON text")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                RecordVisitor.visit_map(map).map(|inner| AuditDataValue::Object(Box::new(inner)))
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(AuditDataValue::Text(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
                Ok(AuditDataValue::Text(Cow::Owned(v.to_owned())))
            }
            fn visit_unit<E>(self) -> Result<Self::Value, E> {
                Ok(AuditDataValue::Absent)
            }
        }
        deserializer.deserialize_any(AuditDataVisitor)
    }
}

/// Which key a [`NestedPick`] keeps.
trait PickKey {
    const KEY: &'static str;
}
struct SubjectKey;
impl PickKey for SubjectKey {
    const KEY: &'static str = "Subject";
}
struct ClientAppIdKey;
impl PickKey for ClientAppIdKey {
    const KEY: &'static str = "ClientAppId";
}

/// One scalar picked from a nested object (`Item.Subject`, `AppAccessContext.ClientAppId`).
struct NestedPick<'a, K>(Option<Cow<'a, str>>, std::marker::PhantomData<K>);

impl<'de, K: PickKey> Deserialize<'de> for NestedPick<'de, K> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct PickVisitor<K>(std::marker::PhantomData<K>);
        impl<'de, K: PickKey> Visitor<'de> for PickVisitor<K> {
            type Value = NestedPick<'de, K>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut picked = None;
                while let Some(key) = map.next_key::<Cow<'de, str>>()? {
                    if picked.is_none() && key.eq_ignore_ascii_case(K::KEY) {
                        picked = map.next_value::<Scalar<'de>>()?.0;
                    } else {
                        map.next_value::<IgnoredAny>()?;
                    }
                }
                Ok(NestedPick(picked, std::marker::PhantomData))
            }
            fn visit_borrowed_str<E>(self, _: &'de str) -> Result<Self::Value, E> {
                Ok(NestedPick(None, std::marker::PhantomData))
            }
            fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
                Ok(NestedPick(None, std::marker::PhantomData))
            }
            fn visit_unit<E>(self) -> Result<Self::Value, E> {
                Ok(NestedPick(None, std::marker::PhantomData))
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(NestedPick(None, std::marker::PhantomData))
            }
        }
        deserializer.deserialize_any(PickVisitor(std::marker::PhantomData))
    }
}

/// Remembers, per input, whether ambiguous `a/b/yyyy` dates are month- or day-first.
///
/// Learned from rows that show it: a date whose first number is over 12, or an
/// envelope date that can be compared with the row's ISO `CreationTime`.
#[derive(Debug, Default)]
pub(crate) struct DateOrderHint {
    order: DateOrder,
    learned: bool,
}

impl DateOrderHint {
    fn learn(&mut self, order: DateOrder) {
        if !self.learned {
            self.order = order;
            self.learned = true;
        }
    }
}

/// What building an event needs besides the fields.
pub(crate) struct EventContext<'c> {
    pub source: SourceRef,
    /// The record's text, kept on send-type events for the UI.
    pub raw: &'c dyn Fn() -> String,
}

/// Counts of things worth telling the user, found while mapping records.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct MappingNotes {
    /// Rows whose only timestamp was an ambiguous locale date.
    pub ambiguous_dates: u64,
}

/// Operations whose records need every detail: sends (classified and kept whole) and group
/// owner changes (their parameters are read). Every other record only feeds counts and delays,
/// and may take the fast lane.
pub(crate) fn reads_details(operation: &str) -> bool {
    SendOperation::parse(operation).is_some() || OWNER_OPERATIONS.iter().any(|op| op.eq_ignore_ascii_case(operation))
}

const OWNER_OPERATIONS: [&str; 4] =
    ["Add-UnifiedGroupLinks", "Remove-UnifiedGroupLinks", "Add owner to group.", "Remove owner from group."];

pub(crate) fn pick<'f>(
    outer: &'f RecordFields<'_>,
    inner: Option<&'f RecordFields<'_>>,
    field: FieldId,
) -> Option<&'f str> {
    inner.and_then(|i| i.get(field)).or_else(|| outer.get(field))
}

fn owned(value: Option<&str>) -> Option<String> {
    value.map(str::to_owned)
}

/// Builds the event for one record, or says why it cannot.
/// What one record becomes: a full event, or, for the records an analysis only counts, the few
/// fields it needs, borrowed from the input.
pub(crate) enum Built<'a> {
    /// A send or a group owner change.
    Event(Box<AuditEvent>),
    /// Anything else.
    Plain(PlainRecord<'a>),
}

pub(crate) fn build_event<'a>(
    outer: &'a RecordFields<'_>,
    ctx: &EventContext<'_>,
    hint: &mut DateOrderHint,
    notes: &mut MappingNotes,
) -> Result<Built<'a>, RowErrorKind> {
    if let Some((kind, _)) = &outer.inner_error {
        return Err(kind.clone());
    }
    let inner = outer.inner.as_deref();
    let f = |field| pick(outer, inner, field);

    let operation = f(FieldId::Operation).ok_or(RowErrorKind::MissingField { field: "Operation" })?;
    let time = resolve_time(outer, inner, hint, notes)?;

    let record_type = f(FieldId::RecordType);
    let workload = f(FieldId::Workload).unwrap_or_else(|| {
        record_type.map(record_type_name).as_deref().and_then(workload_for_record_type).unwrap_or("Unknown")
    });
    // Graph's envelope `userId` is an object id; its `userPrincipalName` is the name people know.
    let actor = inner
        .and_then(|i| i.get(FieldId::UserId))
        .or_else(|| outer.get(FieldId::UserPrincipalName))
        .or_else(|| outer.get(FieldId::UserId))
        .or_else(|| f(FieldId::LogonUserDisplayName));
    let (arrived, arrival_source) = match f(FieldId::IngestionTime) {
        Some(text) => (Some(parse_time_field(text, "ingestion time", hint.order)?), Some(ArrivalSource::IngestionTime)),
        None => match f(FieldId::ContentCreated) {
            Some(text) => {
                (Some(parse_time_field(text, "contentCreated", hint.order)?), Some(ArrivalSource::ContentCreated))
            }
            None => (None, None),
        },
    };
    let is_send = SendOperation::parse(operation).is_some();
    let owner_change = if reads_details(operation) { owner_change(operation, outer, inner) } else { None };
    let plain = PlainRecord {
        id: f(FieldId::Id),
        time,
        record_type,
        workload,
        operation,
        arrived: arrived.zip(arrival_source),
        source: ctx.source,
    };
    // Most records are not sends: they feed counts and delays only, and are handed over as
    // they are, borrowed (no allocation per field for the million file reads of a tenant export).
    if !is_send && owner_change.is_none() {
        return Ok(Built::Plain(plain));
    }
    let mut event = plain.to_event();
    if owner_change.is_some() {
        event.actor = owned(actor);
        event.object_id = owned(f(FieldId::ObjectId));
        event.owner_change = owner_change;
    }
    if is_send {
        event.actor = owned(actor);
        event.actor_sid = owned(f(FieldId::ActorSid));
        event.mailbox_owner = owned(f(FieldId::MailboxOwnerUpn).or_else(|| f(FieldId::MailboxResolvedOwnerName)));
        event.mailbox_owner_sid = owned(f(FieldId::MailboxOwnerSid));
        event.send_as = owned(f(FieldId::SendAsSmtp));
        event.send_on_behalf = owned(f(FieldId::SendOnBehalfSmtp));
        event.client_info = owned(f(FieldId::ClientInfo));
        event.logon_type = f(FieldId::LogonType).and_then(LogonType::parse);
        event.user_type = f(FieldId::UserType).and_then(UserType::parse);
        event.app_id = owned(f(FieldId::AppId));
        event.client_app_id = owned(f(FieldId::ClientAppId).or_else(|| f(FieldId::ContextClientAppId)));
        event.client_ip = f(FieldId::ClientIp).or_else(|| f(FieldId::ClientIpAddress)).map(normalise_ip);
        event.subject = owned(f(FieldId::Subject));
        event.object_id = owned(f(FieldId::ObjectId));
        event.raw = Some((ctx.raw)());
    }
    Ok(Built::Event(Box::new(event)))
}

fn parse_time_field(text: &str, what: &'static str, order: DateOrder) -> Result<DateTime<Utc>, RowErrorKind> {
    parse_timestamp(text, order)
        .map(|t| t.time)
        .ok_or_else(|| RowErrorKind::BadTimestamp { field: what, value: clip(text) })
}

/// `AuditData.CreationTime` (ISO, UTC) wins; the envelope's locale date is the fallback,
/// read with the order this input has shown.
fn resolve_time(
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
        return Err(RowErrorKind::MissingField { field: "CreationTime" });
    };
    let parsed = parse_timestamp(text, hint.order)
        .ok_or_else(|| RowErrorKind::BadTimestamp { field: "CreationDate", value: clip(text) })?;
    match parsed.slash_readings {
        Some((true, false)) => hint.learn(DateOrder::MonthFirst),
        Some((false, true)) => hint.learn(DateOrder::DayFirst),
        _ => {}
    }
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

#[derive(Deserialize)]
struct NameValue {
    #[serde(alias = "name")]
    #[serde(rename = "Name")]
    name: String,
    #[serde(alias = "value", alias = "NewValue", alias = "newValue")]
    #[serde(rename = "Value", default)]
    value: serde_json::Value,
}

fn value_text(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::String(s) => s.trim().trim_matches('"').to_owned(),
        other => other.to_string(),
    }
}

/// Reads a group owner change from Exchange admin (`Add-UnifiedGroupLinks -LinkType Owners`)
/// or directory (`Add owner to group.`) records.
fn owner_change(operation: &str, outer: &RecordFields<'_>, inner: Option<&RecordFields<'_>>) -> Option<OwnerChange> {
    let f = |field| pick(outer, inner, field);
    let parse_pairs = |field| -> Vec<NameValue> {
        f(field).and_then(|raw| serde_json::from_str::<Vec<NameValue>>(raw).ok()).unwrap_or_default()
    };
    let op = operation.to_ascii_lowercase();
    let split = |s: &str| -> Vec<String> {
        s.split([',', ';']).map(str::trim).filter(|p| !p.is_empty()).map(str::to_owned).collect()
    };
    match op.as_str() {
        "add-unifiedgrouplinks" | "remove-unifiedgrouplinks" => {
            let params = parse_pairs(FieldId::Parameters);
            let get =
                |name: &str| params.iter().find(|p| p.name.eq_ignore_ascii_case(name)).map(|p| value_text(&p.value));
            if !get("LinkType")?.eq_ignore_ascii_case("Owners") {
                return None;
            }
            let group = get("Identity")?;
            let links = split(&get("Links").unwrap_or_default());
            let adding = op.starts_with("add");
            Some(OwnerChange {
                group,
                added: if adding { links.clone() } else { Vec::new() },
                removed: if adding { Vec::new() } else { links },
            })
        }
        "add owner to group." | "remove owner from group." => {
            let props = parse_pairs(FieldId::ModifiedProperties);
            let group = props
                .iter()
                .find(|p| p.name.eq_ignore_ascii_case("Group.DisplayName"))
                .map(|p| value_text(&p.value))?;
            let who: Vec<String> = f(FieldId::ObjectId).map(|s| vec![s.to_owned()]).unwrap_or_default();
            let adding = op.starts_with("add");
            Some(OwnerChange {
                group,
                added: if adding { who.clone() } else { Vec::new() },
                removed: if adding { Vec::new() } else { who },
            })
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(text: &str) -> Result<AuditEvent, RowErrorKind> {
        let fields = parse_record(text).map_err(|e| json_error_kind(&e, text, JsonPart::Record))?;
        let raw = || text.to_owned();
        let ctx = EventContext { source: SourceRef { file: 0, line: 1 }, raw: &raw };
        match build_event(&fields, &ctx, &mut DateOrderHint::default(), &mut MappingNotes::default())? {
            Built::Event(event) => Ok(*event),
            Built::Plain(plain) => Ok(plain.to_event()),
        }
    }

    #[test]
    fn every_alias_is_found_by_its_length() {
        for (alias, role) in ALIASES {
            assert_eq!(role_of_key(alias), Some(*role), "{alias}");
            assert_eq!(role_of_key(&alias.to_ascii_uppercase()), Some(*role), "{alias}");
        }
        assert_eq!(role_of_key(&"x".repeat(200)), None);
    }

    #[test]
    fn a_key_has_a_role_exactly_when_it_is_an_alias_ignoring_case() {
        let by_search =
            |key: &str| ALIASES.iter().find(|(alias, _)| alias.eq_ignore_ascii_case(key)).map(|(_, role)| *role);
        let mut keys: Vec<String> = Vec::new();
        for (alias, _) in ALIASES {
            keys.push(alias.to_string());
            keys.push(alias[..alias.len() - 1].to_string());
            keys.push(format!("{alias}x"));
            keys.push(format!("x{}", &alias[1..]));
            keys.push(format!("{}X", &alias[..alias.len() - 1]));
            keys.push(alias.replace(|c: char| c.is_ascii_lowercase(), "_"));
        }
        keys.extend(["", "I", "id", "ID_", "Ιd", "Id\u{0}", "ÿÿÿÿÿÿÿÿÿ"].map(String::from));
        for key in keys {
            assert_eq!(role_of_key(&key), by_search(&key), "{key:?}");
        }
    }

    #[test]
    fn the_folded_prefix_is_the_byte_by_byte_one() {
        let mut keys: Vec<Vec<u8>> = ALIASES.iter().map(|(alias, _)| alias.as_bytes().to_vec()).collect();
        keys.extend(ALIASES.iter().map(|(alias, _)| alias.to_ascii_uppercase().into_bytes()));
        // Every byte value in every position, next to the letters' edges.
        for b in 0..=255u8 {
            keys.push(vec![b; 9]);
            keys.push([b"@AZ[`az{".as_slice(), &[b]].concat());
            keys.push(vec![b'a', b, b'Z', b.wrapping_add(0x20), b]);
        }
        for key in keys {
            assert_eq!(folded_prefix(&key), folded_prefix_const(&key), "{key:?}");
        }
    }

    #[test]
    fn headers_are_matched_loosely() {
        assert_eq!(role_of_header("\u{feff}\"CreationDate\""), Some(KeyRole::Scalar(FieldId::EnvelopeTime)));
        assert_eq!(role_of_header("TimeGenerated [UTC]"), Some(KeyRole::Scalar(FieldId::EnvelopeTime)));
        assert_eq!(role_of_header("logon_type"), Some(KeyRole::Scalar(FieldId::LogonType)));
        assert_eq!(role_of_header("SendonBehalfOfUserSmtp"), Some(KeyRole::Scalar(FieldId::SendOnBehalfSmtp)));
        assert_eq!(role_of_header("Nope"), None);
    }

    #[test]
    fn reads_a_flat_record_with_numbers_as_strings() {
        let e = event(
            r#"{"CreationTime":"2026-01-24T06:54:24","Id":"x","Operation":"SendAs","RecordType":"2",
            "LogonType":"2","UserType":0,"UserId":"a@c.com","ClientIP":"1.2.3.4:55","Item":{"Subject":"hi","Id":"no"},
            "AppAccessContext":{"ClientAppId":"app"},"Nested":{"Operation":"ignored"}}"#,
        )
        .unwrap();
        assert_eq!(e.record_type.as_deref(), Some("ExchangeItem"));
        assert_eq!(e.workload, "Exchange");
        assert_eq!(e.logon_type, Some(LogonType::Delegated));
        assert_eq!(e.user_type, Some(UserType::Regular));
        assert_eq!(e.client_ip.as_deref(), Some("1.2.3.4"));
        assert_eq!(e.subject.as_deref(), Some("hi"));
        assert_eq!(e.client_app_id.as_deref(), Some("app"));
        assert_eq!(e.operation, "SendAs");
        assert!(e.raw.is_some());
    }

    #[test]
    fn reads_wrapped_records_with_auditdata_as_object_or_text() {
        let as_object = event(
            r#"{"CreationDate":"\/Date(1700000000000)\/","UserIds":"env@c.com","Operations":"Send",
            "AuditData":{"CreationTime":"2023-11-14T22:13:20","UserId":"inner@c.com","Operation":"Send"}}"#,
        )
        .unwrap();
        assert_eq!(as_object.actor.as_deref(), Some("inner@c.com"));
        let as_text = event(
            r#"{"CreationDate":"2023-11-14T22:13:20Z","Operations":"Send",
            "AuditData":"{\"CreationTime\":\"2023-11-14T22:13:20\",\"UserId\":\"inner@c.com\"}"}"#,
        )
        .unwrap();
        assert_eq!(as_text.actor.as_deref(), Some("inner@c.com"));
        assert_eq!(as_text.operation, "Send");
    }

    #[test]
    fn graph_envelopes_prefer_the_principal_name() {
        let e = event(r#"{"id":"g1","createdDateTime":"2026-01-24T06:54:24Z","auditLogRecordType":"exchangeItem",
            "operation":"SendAs","userId":"0f1e-guid","userPrincipalName":"pat@c.com","service":"Exchange","auditData":{"ClientInfoString":"Client=OWA"}}"#).unwrap();
        assert_eq!(e.actor.as_deref(), Some("pat@c.com"));
        assert_eq!(e.id.as_deref(), Some("g1"));
        assert_eq!(e.client_info.as_deref(), Some("Client=OWA"));
    }

    #[test]
    fn missing_fields_and_bad_json_are_explained() {
        assert_eq!(
            event(r#"{"CreationTime":"2026-01-24T06:54:24"}"#),
            Err(RowErrorKind::MissingField { field: "Operation" })
        );
        assert_eq!(event(r#"{"Operation":"Send"}"#), Err(RowErrorKind::MissingField { field: "CreationTime" }));
        assert!(matches!(
            event(r#"{"Operation":"Send","CreationTime":"soon"}"#),
            Err(RowErrorKind::BadTimestamp { .. })
        ));
        assert_eq!(event(r#"{"Operation":"Send""#), Err(RowErrorKind::TruncatedJson));
        assert_eq!(event("[1,2]"), Err(RowErrorKind::NotAnObject));
    }

    #[test]
    fn owner_changes_are_read_from_admin_and_directory_records() {
        let admin = event(r#"{"CreationTime":"2026-01-24T06:54:24","Operation":"Add-UnifiedGroupLinks","Workload":"Exchange",
            "Parameters":[{"Name":"Identity","Value":"MVPtweets"},{"Name":"LinkType","Value":"Owners"},{"Name":"Links","Value":"kim@c.com"}]}"#).unwrap();
        assert_eq!(
            admin.owner_change,
            Some(OwnerChange { group: "MVPtweets".into(), added: vec!["kim@c.com".into()], removed: vec![] })
        );
        let members = event(
            r#"{"CreationTime":"2026-01-24T06:54:24","Operation":"Add-UnifiedGroupLinks",
            "Parameters":[{"Name":"Identity","Value":"MVPtweets"},{"Name":"LinkType","Value":"Members"}]}"#,
        )
        .unwrap();
        assert_eq!(members.owner_change, None);
        let directory = event(
            r#"{"CreationTime":"2026-01-24T06:54:24","Operation":"Remove owner from group.","ObjectId":"tony@c.com",
            "ModifiedProperties":[{"Name":"Group.DisplayName","NewValue":"MVPtweets","OldValue":""}]}"#,
        )
        .unwrap();
        assert_eq!(directory.owner_change.unwrap().removed, vec!["tony@c.com".to_string()]);
    }
}
