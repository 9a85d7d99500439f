//! One record's fields, read in one pass: the serde visitors over a JSON record (an envelope
//! or a bare AuditData object) that pick the vocabulary's fields under every spelling,
//! borrowing strings where they can and skipping the rest.
//!
//! A record has up to two layers: the *envelope* (CSV columns, the Graph or Extractor wrapper
//! object) and the *AuditData* object inside it. Details come from AuditData first, the
//! envelope fills gaps ([`pick`]).

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, Visitor};
use serde::Deserialize;
use serde_json::value::RawValue;

use super::vocabulary::{role_of_key, FieldId, KeyRole, FIELD_COUNT};
use crate::ingest::error::{JsonPart, RowErrorKind};

/// The fields of one record layer. The first value seen for a field wins, so a
/// duplicated column or key cannot silently override the one before it.
#[derive(Debug, Default)]
pub(crate) struct RecordFields<'a> {
    values: [Option<Cow<'a, str>>; FIELD_COUNT],
    /// The nested AuditData layer, when this is an envelope.
    pub(crate) inner: Option<Box<RecordFields<'a>>>,
    /// AuditData was present but could not be read (text that is not JSON).
    pub(crate) inner_error: Option<(RowErrorKind, usize)>,
    /// Text of this layer had to be repaired to be read: a lone surrogate escape (half an
    /// emoji) became U+FFFD.
    pub(crate) repaired: bool,
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
            repaired: self.repaired,
        }
    }

    /// This layer or the one inside it was repaired to be read.
    pub(crate) fn was_repaired(&self) -> bool {
        self.repaired || self.inner.as_ref().is_some_and(|i| i.was_repaired())
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
/// A record with a lone surrogate escape (`\ud83d` without its pair: an emoji cut in half by
/// whatever wrote the subject) is read with U+FFFD in its place, and marked as repaired.
pub(crate) fn parse_record(text: &str) -> Result<RecordFields<'_>, serde_json::Error> {
    match parse_exact(text) {
        // serde_json words it several ways ("lone leading surrogate", "unexpected end of hex
        // escape"): whether a repair changes the text is what tells.
        Err(error) => {
            let repaired = replace_lone_surrogates(text);
            if repaired == text {
                return Err(error);
            }
            let mut fields = parse_exact(&repaired).map_err(|_| error)?.into_owned();
            fields.repaired = true;
            Ok(fields)
        }
        done => done,
    }
}

fn parse_exact(text: &str) -> Result<RecordFields<'_>, serde_json::Error> {
    let mut de = serde_json::Deserializer::from_str(text);
    let fields = RecordFields::deserialize(&mut de)?;
    de.end()?;
    Ok(fields)
}

/// The JSON text with every `\uD800`–`\uDFFF` escape that is not half of a valid pair written
/// as `\uFFFD`. Escaped backslashes (`\\uD800` is text, not an escape) are stepped over.
fn replace_lone_surrogates(text: &str) -> String {
    let bytes = text.as_bytes();
    let unit = |at: usize| -> Option<u16> {
        let hex = bytes.get(at..at + 6)?;
        if hex[0] != b'\\' || hex[1] != b'u' {
            return None;
        }
        u16::from_str_radix(std::str::from_utf8(&hex[2..]).ok()?, 16).ok()
    };
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'\\' {
            i += 1;
            continue;
        }
        match unit(i) {
            Some(high @ 0xD800..=0xDBFF) if unit(i + 6).is_some_and(|low| (0xDC00..=0xDFFF).contains(&low)) => {
                let _ = high;
                i += 12;
            }
            Some(0xD800..=0xDFFF) => {
                out.push_str(&text[copied..i]);
                out.push_str("\\ufffd");
                i += 6;
                copied = i;
            }
            // Any other escape is two characters at least; step over the escaped one.
            _ => i += 2,
        }
    }
    out.push_str(&text[copied..]);
    out
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

pub(crate) fn pick<'f>(
    outer: &'f RecordFields<'_>,
    inner: Option<&'f RecordFields<'_>>,
    field: FieldId,
) -> Option<&'f str> {
    inner.and_then(|i| i.get(field)).or_else(|| outer.get(field))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lone_surrogates_become_replacement_characters_and_pairs_stay() {
        assert_eq!(replace_lone_surrogates(r#""a\ud83d b""#), r#""a\ufffd b""#);
        assert_eq!(replace_lone_surrogates(r#""\ude00""#), r#""\ufffd""#);
        assert_eq!(replace_lone_surrogates(r#""\ud83d\ude00""#), r#""\ud83d\ude00""#, "a whole emoji");
        assert_eq!(replace_lone_surrogates(r#""\\ud83d""#), r#""\\ud83d""#, "an escaped backslash, then text");
        assert_eq!(replace_lone_surrogates(r#""\ud83d\ud83d\ude00""#), r#""\ufffd\ud83d\ude00""#);
        assert_eq!(replace_lone_surrogates(r#""\ud83d"#), r#""\ufffd"#);
    }

    #[test]
    fn a_record_with_half_an_emoji_is_read_and_marked() {
        let fields = parse_record(r#"{"Operation":"SendAs","Item":{"Subject":"hi \ud83d"}}"#).unwrap();
        assert!(fields.was_repaired());
        assert_eq!(fields.get(FieldId::Subject), Some("hi \u{fffd}"));
        let whole = parse_record(r#"{"Operation":"SendAs","Item":{"Subject":"hi \ud83d\ude00"}}"#).unwrap();
        assert!(!whole.was_repaired());
        assert_eq!(whole.get(FieldId::Subject), Some("hi 😀"));
        // Other damage is still an error.
        assert!(parse_record(r#"{"Operation":"SendAs","Item":{"Subject":"hi \q"}}"#).is_err());
    }
}
