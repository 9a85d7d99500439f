//! Timestamps in every shape the exports write them.
//!
//! `AuditData.CreationTime` is always ISO 8601 UTC, but envelope columns are
//! rendered in the exporting machine's culture (`3/12/2025 7:31:34 AM` is
//! 3 December on an en-AU machine), PowerShell 5.1 JSON writes
//! `\/Date(1700000000000)\/`, and Log Analytics writes `1/31/2026, 7:30:15.123 AM`.
//! One hand-written scanner reads them all; it is much faster than trying
//! chrono format strings one after another, and it reports ambiguity instead of
//! silently picking a reading.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, TimeZone, Utc};

/// How to read a numeric date whose day and month could be swapped.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum DateOrder {
    /// `M/d/yyyy`: en-US, PowerShell's invariant culture, Purview's older export.
    #[default]
    MonthFirst,
    /// `d/M/yyyy`: en-GB, en-AU and most of the world.
    DayFirst,
}

/// A timestamp read from text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ParsedTime {
    /// The instant, in UTC (texts without a zone are UTC, as the audit log stores them).
    pub time: DateTime<Utc>,
    /// True when the text was `a/b/yyyy` with both `a` and `b` at most 12 and different:
    /// the reading depended on the [`DateOrder`] given.
    pub ambiguous: bool,
    /// For slash dates: which readings are possible (`(month_first, day_first)`).
    pub slash_readings: Option<(bool, bool)>,
}

/// Reads one timestamp. Returns `None` for text that is not a valid date and time.
pub fn parse_timestamp(text: &str, order: DateOrder) -> Option<ParsedTime> {
    let text = crate::text::trim(text);
    let text = if text.starts_with('"') || text.ends_with('"') { text.trim_matches('"').trim() } else { text };
    if text.is_empty() {
        return None;
    }
    if let Some(time) = parse_ms_date(text) {
        return Some(ParsedTime { time, ambiguous: false, slash_readings: None });
    }
    let mut cur = Cursor { bytes: text.as_bytes(), pos: 0 };
    let first = cur.number(1, 4)?;
    match cur.peek()? {
        b'-' if first.1 == 4 => parse_iso(&mut cur, first.0),
        b'/' => parse_slash(&mut cur, first, order),
        b'.' => parse_dotted(&mut cur, first.0),
        _ => None,
    }
}

/// `\/Date(1700000000000)\/`, `/Date(1700000000000+0100)/`: milliseconds since the epoch, UTC.
fn parse_ms_date(text: &str) -> Option<DateTime<Utc>> {
    let inner = text.trim_start_matches('\\').trim_start_matches('/').strip_prefix("Date(")?;
    let end = inner.find(')')?;
    let body = &inner[..end];
    // A trailing +hhmm is the offset the DateTime was displayed in; the number is already UTC.
    let digits_end =
        body.char_indices().skip(1).find(|(_, c)| *c == '+' || *c == '-').map(|(i, _)| i).unwrap_or(body.len());
    let ms: i64 = body[..digits_end].parse().ok()?;
    DateTime::<Utc>::from_timestamp_millis(ms)
}

struct Cursor<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl Cursor<'_> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn eat(&mut self, byte: u8) -> bool {
        if self.peek() == Some(byte) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn skip_spaces(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.pos += 1;
        }
    }

    /// Reads between `min` and `max` digits: `(value, digit count)`.
    fn number(&mut self, min: usize, max: usize) -> Option<(u32, usize)> {
        let start = self.pos;
        let mut value: u32 = 0;
        while self.pos - start < max {
            match self.peek() {
                Some(b @ b'0'..=b'9') => {
                    value = value * 10 + u32::from(b - b'0');
                    self.pos += 1;
                }
                _ => break,
            }
        }
        let count = self.pos - start;
        (count >= min).then_some((value, count))
    }

    /// Reads a fraction of a second (any number of digits) as nanoseconds.
    fn fraction(&mut self) -> u32 {
        let mut nanos: u32 = 0;
        let mut scale: u32 = 100_000_000;
        while let Some(b @ b'0'..=b'9') = self.peek() {
            nanos += u32::from(b - b'0') * scale;
            scale /= 10;
            self.pos += 1;
        }
        nanos
    }

    fn at_end(&mut self) -> bool {
        self.skip_spaces();
        self.pos == self.bytes.len()
    }

    /// `HH:mm[:ss[.fffffff]]`, returning `(h, m, s, nanos)`.
    fn clock(&mut self) -> Option<(u32, u32, u32, u32)> {
        let (h, _) = self.number(1, 2)?;
        if !self.eat(b':') {
            return None;
        }
        let (m, _) = self.number(2, 2)?;
        let mut s = 0;
        let mut nanos = 0;
        if self.eat(b':') {
            s = self.number(2, 2)?.0;
            if self.eat(b'.') || self.eat(b',') {
                nanos = self.fraction();
            }
        }
        Some((h, m, s, nanos))
    }
}

fn build(date: NaiveDate, (h, m, s, nanos): (u32, u32, u32, u32), offset_seconds: i32) -> Option<DateTime<Utc>> {
    let naive: NaiveDateTime = date.and_hms_nano_opt(h, m, s, nanos)?;
    let offset = FixedOffset::east_opt(offset_seconds)?;
    Some(offset.from_local_datetime(&naive).single()?.with_timezone(&Utc))
}

fn parse_iso(cur: &mut Cursor<'_>, year: u32) -> Option<ParsedTime> {
    cur.eat(b'-');
    let (month, _) = cur.number(2, 2)?;
    if !cur.eat(b'-') {
        return None;
    }
    let (day, _) = cur.number(2, 2)?;
    let date = NaiveDate::from_ymd_opt(year as i32, month, day)?;
    let clock = if cur.eat(b'T') || cur.eat(b't') || cur.eat(b' ') { cur.clock()? } else { (0, 0, 0, 0) };
    let mut offset = 0;
    match cur.peek() {
        Some(b'Z' | b'z') => cur.pos += 1,
        Some(sign @ (b'+' | b'-')) => {
            cur.pos += 1;
            let (oh, _) = cur.number(2, 2)?;
            cur.eat(b':');
            let (om, _) = cur.number(2, 2)?;
            let magnitude = (oh * 3600 + om * 60) as i32;
            offset = if sign == b'-' { -magnitude } else { magnitude };
        }
        _ => {}
    }
    if !cur.at_end() {
        return None;
    }
    Some(ParsedTime { time: build(date, clock, offset)?, ambiguous: false, slash_readings: None })
}

/// Clock part after a locale date: optional `,`, `H:mm[:ss[.fff]]`, optional `AM`/`PM`.
fn locale_clock(cur: &mut Cursor<'_>) -> Option<(u32, u32, u32, u32)> {
    cur.eat(b',');
    cur.skip_spaces();
    if cur.at_end() {
        return Some((0, 0, 0, 0));
    }
    let (mut h, m, s, nanos) = cur.clock()?;
    cur.skip_spaces();
    let rest = &cur.bytes[cur.pos..];
    let meridiem = if rest.len() >= 2 { Some(&rest[..2]) } else { None };
    match meridiem.map(|m| m.to_ascii_uppercase()) {
        Some(ref m) if m == b"AM" || m == b"PM" => {
            if !(1..=12).contains(&h) {
                return None;
            }
            let pm = m == b"PM";
            h = match (h, pm) {
                (12, false) => 0,
                (12, true) => 12,
                (h, true) => h + 12,
                (h, false) => h,
            };
            cur.pos += 2;
        }
        _ => {}
    }
    if !cur.at_end() {
        return None;
    }
    Some((h, m, s, nanos))
}

fn parse_slash(cur: &mut Cursor<'_>, first: (u32, usize), order: DateOrder) -> Option<ParsedTime> {
    cur.eat(b'/');
    let (second, _) = cur.number(1, 2)?;
    if !cur.eat(b'/') {
        return None;
    }
    if first.1 == 4 {
        // yyyy/MM/dd: not ambiguous.
        let (day, _) = cur.number(1, 2)?;
        let date = NaiveDate::from_ymd_opt(first.0 as i32, second, day)?;
        let clock = locale_clock(cur)?;
        return Some(ParsedTime { time: build(date, clock, 0)?, ambiguous: false, slash_readings: None });
    }
    let (year, year_digits) = cur.number(4, 4)?;
    debug_assert_eq!(year_digits, 4);
    let month_first = NaiveDate::from_ymd_opt(year as i32, first.0, second);
    let day_first = NaiveDate::from_ymd_opt(year as i32, second, first.0);
    let clock = locale_clock(cur)?;
    let readings = (month_first.is_some(), day_first.is_some());
    let ambiguous = month_first.is_some() && day_first.is_some() && first.0 != second;
    let date = match order {
        DateOrder::MonthFirst => month_first.or(day_first)?,
        DateOrder::DayFirst => day_first.or(month_first)?,
    };
    Some(ParsedTime { time: build(date, clock, 0)?, ambiguous, slash_readings: Some(readings) })
}

fn parse_dotted(cur: &mut Cursor<'_>, day: u32) -> Option<ParsedTime> {
    cur.eat(b'.');
    let (month, _) = cur.number(1, 2)?;
    if !cur.eat(b'.') {
        return None;
    }
    let (year, _) = cur.number(4, 4)?;
    let date = NaiveDate::from_ymd_opt(year as i32, month, day)?;
    let clock = locale_clock(cur)?;
    Some(ParsedTime { time: build(date, clock, 0)?, ambiguous: false, slash_readings: None })
}

/// Formats an instant the way every output of the product does: RFC 3339, UTC, `Z`, whole seconds
/// unless the instant has a fraction.
pub fn format_rfc3339(time: DateTime<Utc>) -> String {
    time.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).unwrap().with_timezone(&Utc)
    }

    fn read(text: &str) -> DateTime<Utc> {
        parse_timestamp(text, DateOrder::MonthFirst).unwrap().time
    }

    #[test]
    fn reads_iso_in_every_export_shape() {
        assert_eq!(read("2020-02-17T17:12:03"), utc("2020-02-17T17:12:03Z"));
        assert_eq!(read("\"2026-01-24T06:54:24.0000000Z \""), utc("2026-01-24T06:54:24Z"));
        assert_eq!(read("2026-01-24T06:54:24.5Z"), utc("2026-01-24T06:54:24.5Z"));
        assert_eq!(read("2023-07-30T23:55:35.522Z"), utc("2023-07-30T23:55:35.522Z"));
        assert_eq!(read("2026-01-24T08:54:24+02:00"), utc("2026-01-24T06:54:24Z"));
        assert_eq!(read("2026-01-24 06:54:24"), utc("2026-01-24T06:54:24Z"));
    }

    #[test]
    fn reads_locale_dates() {
        assert_eq!(read("9/20/2023 4:05:03 AM"), utc("2023-09-20T04:05:03Z"));
        assert_eq!(read("9/20/2023 12:05:03 AM"), utc("2023-09-20T00:05:03Z"));
        assert_eq!(read("9/20/2023 12:05:03 PM"), utc("2023-09-20T12:05:03Z"));
        assert_eq!(read("1/31/2026, 7:30:15.123 PM"), utc("2026-01-31T19:30:15.123Z"));
        assert_eq!(read("24.01.2026 16:05:09"), utc("2026-01-24T16:05:09Z"));
        assert_eq!(read("2026/01/24 16:05:09"), utc("2026-01-24T16:05:09Z"));
    }

    #[test]
    fn ambiguous_slash_dates_follow_the_order_and_say_so() {
        let us = parse_timestamp("3/12/2025 7:31:34 AM", DateOrder::MonthFirst).unwrap();
        let au = parse_timestamp("3/12/2025 7:31:34 AM", DateOrder::DayFirst).unwrap();
        assert!(us.ambiguous && au.ambiguous);
        assert_eq!(us.time, utc("2025-03-12T07:31:34Z"));
        assert_eq!(au.time, utc("2025-12-03T07:31:34Z"));
        // A day over 12 leaves one reading, whatever the order.
        let only = parse_timestamp("20/9/2023 4:05:03 AM", DateOrder::MonthFirst).unwrap();
        assert!(!only.ambiguous);
        assert_eq!(only.time, utc("2023-09-20T04:05:03Z"));
    }

    #[test]
    fn reads_powershell_json_dates() {
        assert_eq!(read("\\/Date(1700000000000)\\/"), utc("2023-11-14T22:13:20Z"));
        assert_eq!(read("/Date(1700000000000+0100)/"), utc("2023-11-14T22:13:20Z"));
    }

    #[test]
    fn refuses_impossible_or_foreign_text() {
        for bad in [
            "",
            "yesterday",
            "2023-02-30T00:00:00",
            "13/13/2023 1:00:00",
            "2023-01-01T25:00:00",
            "9/20/2023 13:05:03 PM",
            "2023-01-01T00:00:00 junk",
        ] {
            assert!(parse_timestamp(bad, DateOrder::MonthFirst).is_none(), "{bad}");
        }
    }
}
