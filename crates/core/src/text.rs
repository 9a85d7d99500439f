//! Text on the hot path: every field a record gives is decoded and trimmed before use.

use std::borrow::Cow;

/// Bytes as text, any that are not UTF-8 as U+FFFD. std's validator first: `from_utf8_lossy`
/// walks the bytes in chunks even when they are valid, at five times the cost (3 % of all
/// instructions on a Purview export's fields; 16 % on NDJSON records).
pub(crate) fn utf8_lossy(bytes: &[u8]) -> Cow<'_, str> {
    match std::str::from_utf8(bytes) {
        Ok(text) => Cow::Borrowed(text),
        Err(_) => String::from_utf8_lossy(bytes),
    }
}

/// The same as `text.trim()`, answered at once when both ends are printable ASCII (almost every
/// field): `str::trim` decodes a character at each end and looks it up in Unicode's White_Space.
pub(crate) fn trim(text: &str) -> &str {
    match text.as_bytes() {
        [first, .., last] | [first @ last] if printable_ascii(*first) && printable_ascii(*last) => text,
        _ => text.trim(),
    }
}

fn printable_ascii(byte: u8) -> bool {
    (0x21..0x7F).contains(&byte)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trims_exactly_as_std_does() {
        let ends = [
            "", " ", "\t", "\u{0B}", "\u{0C}", "\r\n", "\u{85}", "\u{A0}", "\u{2003}", "\u{3000}", "\u{7F}", "\0", "é",
            "\"", "a",
        ];
        for start in ends {
            for middle in ["", "x", " y z ", "\u{A0}"] {
                for end in ends {
                    let text = format!("{start}{middle}{end}");
                    assert_eq!(trim(&text), text.trim(), "{text:?}");
                }
            }
        }
    }
}
