//! A validating skim of one JSON record: the fast lane for records that are not sends.
//!
//! Most audit records (file reads, sign-ins, mail access) only feed counts and delays, which
//! need a handful of top-level fields. Building them through serde visits every key through a
//! trait object per value; [`skim`] instead walks the bytes once, checks that they are JSON
//! the full parser would accept, and borrows the few values the product reads.
//!
//! The contract that keeps the two lanes giving the same answer: `skim` returns `Some` only when
//! it is certain the full parser ([`super::fields::parse_record`]) would accept the text and
//! read the same values for every [`KeyRole::Scalar`] field. Anything unusual (an escape in a
//! key or a read value, a float where a number is read, a lone surrogate, deep nesting, nested
//! `AuditData` text) returns `None` and the record takes the full parse, which also explains
//! any error. Raw fields (`Parameters`, `ModifiedProperties`) are validated but not kept: only
//! owner changes read them, and those always take the full parse.
//!
//! The text may be JSON as it is, or JSON inside a quoted CSV cell where every `"` is written
//! `""` ([`Quotes::CsvDoubled`]): the Purview export's AuditData is skimmed in place, without
//! first copying it out unescaped.

use std::borrow::Cow;

use super::fields::vocabulary::{role_of_key, KeyRole};
use super::fields::RecordFields;

/// How a `"` of the JSON is written in the text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Quotes {
    /// JSON as it is.
    Plain,
    /// JSON inside a quoted CSV field: each `"` is `""`.
    CsvDoubled,
}

/// Nesting deeper than this takes the full parse (serde_json stops at 128).
const MAX_DEPTH: u32 = 64;

/// Bytes that may stand in a JSON string without ending it or starting an escape.
static PLAIN: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0x20;
    while b < 256 {
        table[b] = b != b'"' as usize && b != b'\\' as usize;
        b += 1;
    }
    table
};

/// Position of the first byte that ends a string's plain run: `"`, `\\` or a control character.
///
/// Eight bytes at a time (SWAR, so the same code is fast natively and in WebAssembly): a byte
/// equal to `b` is a zero byte of `word ^ b`, and `(x - 0x01…) & !x & 0x80…` flags the lowest
/// zero byte exactly (bytes above it may be flagged falsely; only the lowest is used).
fn special_byte(bytes: &[u8]) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let mut words = bytes.chunks_exact(8);
    let mut at = 0;
    for chunk in &mut words {
        let word = u64::from_le_bytes(chunk.try_into().expect("eight bytes"));
        let quote = word ^ (ONES * u64::from(b'"'));
        let backslash = word ^ (ONES * u64::from(b'\\'));
        let zero = |x: u64| x.wrapping_sub(ONES) & !x & HIGH;
        // Below 0x20: subtracting 0x20 borrows into the top bit, and the byte had it clear.
        let control = word.wrapping_sub(ONES * 0x20) & !word & HIGH;
        let found = zero(quote) | zero(backslash) | control;
        if found != 0 {
            return Some(at + (found.trailing_zeros() / 8) as usize);
        }
        at += 8;
    }
    words.remainder().iter().position(|&b| !PLAIN[b as usize]).map(|p| at + p)
}

/// The top-level fields of the JSON object `text`, or `None` when the full parser must decide.
///
/// With `envelope`, a top-level `AuditData` object (Graph's wrapper) becomes the inner layer, as
/// the full parser reads it; without (an AuditData cell), an `AuditData` key inside is left to
/// the full parser.
pub(crate) fn skim(text: &str, quotes: Quotes, envelope: bool) -> Option<RecordFields<'_>> {
    let mut skim = Skim { text, bytes: text.as_bytes(), at: 0, doubled: quotes == Quotes::CsvDoubled };
    skim.whitespace();
    if skim.next()? != b'{' {
        return None;
    }
    let mut fields = RecordFields::default();
    skim.object(&mut fields, envelope)?;
    skim.whitespace();
    (skim.at == skim.bytes.len()).then_some(fields)
}

struct Skim<'a> {
    text: &'a str,
    bytes: &'a [u8],
    at: usize,
    doubled: bool,
}

impl<'a> Skim<'a> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    fn next(&mut self) -> Option<u8> {
        let b = self.peek()?;
        self.at += 1;
        Some(b)
    }

    fn whitespace(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.at += 1;
        }
    }

    /// Consumes one JSON quote (`"`, or `""` inside a CSV cell).
    fn quote(&mut self) -> Option<()> {
        if self.next()? != b'"' {
            return None;
        }
        if self.doubled && self.next()? != b'"' {
            return None;
        }
        Some(())
    }

    fn literal(&mut self, word: &[u8]) -> Option<()> {
        let end = self.at.checked_add(word.len())?;
        (self.bytes.get(self.at..end)? == word).then(|| self.at = end)
    }

    /// After an opening quote: the string's raw content, and whether it has escapes.
    fn string_body(&mut self) -> Option<(&'a str, bool)> {
        let start = self.at;
        let mut escaped = false;
        loop {
            self.at += special_byte(&self.bytes[self.at..])?;
            match self.bytes[self.at] {
                b'"' => {
                    let end = self.at;
                    self.quote()?;
                    return Some((&self.text[start..end], escaped));
                }
                b'\\' => {
                    escaped = true;
                    self.at += 1;
                    match self.peek()? {
                        b'"' => self.quote()?,
                        b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => self.at += 1,
                        b'u' => {
                            let hex = self.bytes.get(self.at + 1..self.at + 5)?;
                            let unit = hex.iter().try_fold(0u32, |n, &h| Some(n << 4 | (h as char).to_digit(16)?))?;
                            // Surrogates must pair up; the full parser decides those.
                            if (0xD800..=0xDFFF).contains(&unit) {
                                return None;
                            }
                            self.at += 5;
                        }
                        _ => return None,
                    }
                }
                // A control character: invalid in a JSON string.
                _ => return None,
            }
        }
    }

    fn digits(&mut self) -> usize {
        let n = self.bytes[self.at..].iter().take_while(|b| b.is_ascii_digit()).count();
        self.at += n;
        n
    }

    /// A number by JSON's grammar; returns its text.
    fn number(&mut self) -> Option<&'a str> {
        let start = self.at;
        if self.peek() == Some(b'-') {
            self.at += 1;
        }
        match self.peek()? {
            b'0' => self.at += 1,
            b'1'..=b'9' => {
                self.digits();
            }
            _ => return None,
        }
        if self.peek() == Some(b'.') {
            self.at += 1;
            if self.digits() == 0 {
                return None;
            }
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.at += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.at += 1;
            }
            if self.digits() == 0 {
                return None;
            }
        }
        Some(&self.text[start..self.at])
    }

    /// Skips any value, checking it.
    fn value(&mut self, depth: u32) -> Option<()> {
        match self.peek()? {
            b'"' => {
                self.quote()?;
                self.string_body()?;
            }
            b'{' => {
                self.at += 1;
                self.nested_object(depth + 1)?;
            }
            b'[' => {
                self.at += 1;
                self.array(depth + 1)?;
            }
            b't' => self.literal(b"true")?,
            b'f' => self.literal(b"false")?,
            b'n' => self.literal(b"null")?,
            _ => {
                self.number()?;
            }
        }
        Some(())
    }

    fn array(&mut self, depth: u32) -> Option<()> {
        if depth > MAX_DEPTH {
            return None;
        }
        self.whitespace();
        if self.peek()? == b']' {
            self.at += 1;
            return Some(());
        }
        loop {
            self.whitespace();
            self.value(depth)?;
            self.whitespace();
            match self.next()? {
                b',' => {}
                b']' => return Some(()),
                _ => return None,
            }
        }
    }

    /// An object below the top level: keys are not read, only checked.
    fn nested_object(&mut self, depth: u32) -> Option<()> {
        if depth > MAX_DEPTH {
            return None;
        }
        self.members(|skim, _key, _escaped| skim.value(depth))
    }

    /// After an object's `{`: each `"key": value` up to the closing `}`; `member` reads the
    /// value (it is handed the raw key and whether it has escapes).
    fn members(&mut self, mut member: impl FnMut(&mut Self, &'a str, bool) -> Option<()>) -> Option<()> {
        self.whitespace();
        if self.peek()? == b'}' {
            self.at += 1;
            return Some(());
        }
        loop {
            self.whitespace();
            self.quote()?;
            let (key, escaped) = self.string_body()?;
            self.whitespace();
            if self.next()? != b':' {
                return None;
            }
            self.whitespace();
            member(self, key, escaped)?;
            self.whitespace();
            match self.next()? {
                b',' => {}
                b'}' => return Some(()),
                _ => return None,
            }
        }
    }

    /// A value read as text, as the full parser's `Scalar` reads it: `Some(None)` for the values
    /// it ignores (null, objects, arrays), `None` when only the full parser can say.
    fn scalar(&mut self) -> Option<Option<&'a str>> {
        match self.peek()? {
            b'"' => {
                self.quote()?;
                let (text, escaped) = self.string_body()?;
                (!escaped).then_some(Some(text))
            }
            b'{' | b'[' => self.value(1).map(|()| None),
            b't' => self.literal(b"true").map(|()| Some("true")),
            b'f' => self.literal(b"false").map(|()| Some("false")),
            b'n' => self.literal(b"null").map(|()| None),
            _ => {
                // Integers read back as the same digits; `-0`, `007`, fractions and exponents
                // are left to serde's own number formatting.
                let text = self.number()?;
                let plain = text.len() <= 18 && text.bytes().all(|b| b.is_ascii_digit());
                let canonical = text == "0" || !text.starts_with('0');
                (plain && canonical).then_some(Some(text))
            }
        }
    }

    /// The top-level object (or a Graph envelope's AuditData object): keys are read.
    fn object(&mut self, fields: &mut RecordFields<'a>, top: bool) -> Option<()> {
        self.members(|skim, key, escaped| {
            if escaped {
                return None;
            }
            match role_of_key(key) {
                Some(KeyRole::Scalar(field)) => {
                    if let Some(value) = skim.scalar()? {
                        fields.set(field, Cow::Borrowed(value));
                    }
                }
                Some(KeyRole::Raw(_)) => skim.value(1)?,
                // The full parser reads these as objects; it rejects a number or `true` there.
                Some(KeyRole::Item | KeyRole::AppAccessContext) => match skim.peek()? {
                    b'{' | b'[' | b'"' | b'n' => skim.value(1)?,
                    _ => return None,
                },
                Some(KeyRole::AuditData) => match skim.peek()? {
                    b'{' if top && fields.inner.is_none() => {
                        skim.at += 1;
                        let mut inner = RecordFields::default();
                        skim.object(&mut inner, false)?;
                        fields.inner = Some(Box::new(inner));
                    }
                    b'n' => skim.literal(b"null")?,
                    // AuditData as JSON text, nested or repeated: the full parser's business.
                    _ => return None,
                },
                None => skim.value(1)?,
            }
            Some(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::fields::{parse_record, FieldId};

    /// Every field the skim read, as the full parser read it too.
    fn agrees(text: &str) -> bool {
        let Some(skimmed) = skim(text, Quotes::Plain, true) else {
            return false;
        };
        let full = parse_record(text).expect("the skim accepted text the full parser rejects");
        assert!(skimmed.same_scalars(&full), "{text}");
        let doubled = text.replace('"', "\"\"");
        let from_csv = skim(&doubled, Quotes::CsvDoubled, true).expect("the CSV form skims too");
        assert!(from_csv.same_scalars(&full), "{doubled}");
        true
    }

    #[test]
    fn reads_the_fields_a_non_send_record_needs() {
        let text = r#" {"CreationTime":"2026-01-24T06:54:24","Id":"a1","Operation":"FileAccessed","RecordType":6,
            "Workload":"SharePoint","UserType":0,"Flag":true,"Nested":{"Operation":"x","List":[1,-2.5e3,{"a":null}]},
            "Escaped":"tab\there \u00e9 \"q\" \/","Empty":"","UserId":null} "#;
        assert!(agrees(text));
        let fields = skim(text, Quotes::Plain, true).unwrap();
        assert_eq!(fields.get(FieldId::Operation), Some("FileAccessed"));
        assert_eq!(fields.get(FieldId::RecordType), Some("6"));
        assert_eq!(fields.get(FieldId::UserId), None);
    }

    #[test]
    fn graph_envelopes_skim_their_auditdata_object() {
        let text = r#"{"id":"g1","createdDateTime":"2026-01-24T06:54:24Z","operation":"FileAccessed",
            "auditData":{"CreationTime":"2026-01-24T06:54:24","Workload":"OneDrive"}}"#;
        assert!(agrees(text));
        let fields = skim(text, Quotes::Plain, true).unwrap();
        assert_eq!(fields.inner.unwrap().get(FieldId::Workload), Some("OneDrive"));
    }

    #[test]
    fn first_value_of_a_repeated_key_wins_as_in_the_full_parse() {
        assert!(agrees(r#"{"Operation":"","Operation":"SendAs","RecordType":null,"RecordType":"2"}"#));
    }

    #[test]
    fn anything_unusual_is_left_to_the_full_parser() {
        let unusual = [
            r#"{"Operation":"Send\u0041s"}"#,                // escape in a value that is read
            r#"{"Oper\u0061tion":"SendAs"}"#,                // escape in a key
            r#"{"RecordType":2.0}"#,                         // a float where a number is read
            r#"{"RecordType":-0}"#,                          // serde prints this as 0
            r#"{"RecordType":12345678901234567890}"#,        // past u64
            r#"{"x":"\ud800"}"#,                             // a lone surrogate
            r#"{"Item":5}"#,                                 // the full parser rejects this
            r#"{"AuditData":"{\"Operation\":\"SendAs\"}"}"#, // AuditData as text
            r#"{"AuditData":{"AuditData":{}}}"#,             // nested AuditData
        ];
        for text in unusual {
            assert!(skim(text, Quotes::Plain, true).is_none(), "{text}");
        }
        let deep = format!("{{\"x\":{}{}}}", "[".repeat(100), "]".repeat(100));
        assert!(skim(&deep, Quotes::Plain, true).is_none());
    }

    #[test]
    fn special_bytes_are_found_wherever_they_are() {
        for len in 0..40 {
            for at in 0..len {
                for special in [b'"', b'\\', 0x00, 0x1F] {
                    let mut bytes = vec![b'a'; len];
                    // High bytes and 0x20 just around it must not be taken for it.
                    if at > 0 {
                        bytes[at - 1] = 0xC3;
                    }
                    if at + 1 < len {
                        bytes[at + 1] = 0x20;
                    }
                    bytes[at] = special;
                    assert_eq!(special_byte(&bytes), Some(at), "{bytes:?}");
                }
            }
            let plain: Vec<u8> = (0..len).map(|i| [b'a', 0x20, 0x7F, 0x80, 0xFF, b'!', b'#'][i % 7]).collect();
            assert_eq!(special_byte(&plain), None, "{plain:?}");
        }
    }

    #[test]
    fn invalid_json_is_never_accepted() {
        let invalid = [
            "",
            "[]",
            "{",
            r#"{"a":1,}"#,
            r#"{"a":01}"#,
            r#"{"a":1.}"#,
            r#"{"a":tru}"#,
            r#"{"a" 1}"#,
            r#"{"a":"x"} x"#,
            "{\"a\":\"line\nbreak\"}",
            r#"{"a":"\x"}"#,
            r#"{"a":[1 2]}"#,
        ];
        for text in invalid {
            assert!(skim(text, Quotes::Plain, true).is_none(), "{text:?}");
            assert!(parse_record(text).is_err(), "{text:?} is invalid JSON");
        }
        // Inside a CSV cell every quote is doubled; a single one is not this lane's to read.
        assert!(skim(r#"{""a"":"x"}"#, Quotes::CsvDoubled, false).is_none());
    }
}
