//! Showing attacker-controlled text safely. Audit fields, file names and the snippets of a file
//! quoted in errors all come from whoever wrote the export: printed raw, an ESC sequence
//! rewrites a terminal (colours, titles, hyperlinks, a cleared screen), a newline splits a
//! one-line message in two, and a right-to-left override turns `gnp.exe` into `exe.png` on screen.

use std::borrow::Cow;

/// Unicode's bidirectional formatting characters: marks, embeddings, overrides, isolates.
pub fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{200E}' | '\u{200F}' | '\u{061C}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// A character that acts on a terminal or on the text around it instead of showing: C0 and C1
/// controls and DEL (ESC, CSI, OSC among them, and line breaks), bidi controls, and the
/// Unicode line and paragraph separators.
pub fn is_hidden_control(c: char) -> bool {
    c.is_control() || is_bidi_control(c) || matches!(c, '\u{2028}' | '\u{2029}')
}

/// The text with every hidden control shown as `[U+XXXX]`: safe to print on one line of a
/// terminal, and honest about what the text holds.
///
/// ```
/// use sendas_core::display::visible;
///
/// assert_eq!(visible("\u{1b}]8;;http://x\u{7}click\u{1b}]8;;\u{7}"), "[U+001B]]8;;http://x[U+0007]click[U+001B]]8;;[U+0007]");
/// assert_eq!(visible("\u{202e}gnp.exe"), "[U+202E]gnp.exe");
/// assert_eq!(visible("two\nlines"), "two[U+000A]lines");
/// assert_eq!(visible("plain café"), "plain café");
/// ```
pub fn visible(text: &str) -> Cow<'_, str> {
    replace_chars(text, is_hidden_control, |c| format!("[U+{:04X}]", c as u32))
}

/// The text with every character `hide` picks written as `shown(c)` instead: borrowed when
/// there is none (almost always).
pub fn replace_chars(text: &str, hide: impl Fn(char) -> bool, shown: impl Fn(char) -> String) -> Cow<'_, str> {
    if !text.chars().any(&hide) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if hide(c) {
            out.push_str(&shown(c));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// A value as JSON text (pretty or compact) in which no hidden control appears raw: serde_json
/// escapes C0 controls already, and the rest (DEL, C1, bidi, separators) are written as `\uXXXX`
/// too. The same data to any JSON reader, and nothing a terminal acts on. Both faces write
/// reports through here, so they stay byte-identical.
///
/// ```
/// let json = sendas_core::display::to_json(&"\u{202e}gnp.exe\u{9b}", false);
/// assert_eq!(json, r#""\u202egnp.exe\u009b""#);
/// assert_eq!(serde_json::from_str::<String>(&json).unwrap(), "\u{202e}gnp.exe\u{9b}");
/// ```
pub fn to_json<T: serde::Serialize + ?Sized>(value: &T, pretty: bool) -> String {
    // Serialising plain data into a String cannot fail.
    let text =
        if pretty { serde_json::to_string_pretty(value) } else { serde_json::to_string(value) }.unwrap_or_default();
    // Outside strings JSON has only ASCII white space, which serde_json writes as itself.
    let raw_in_a_string = |c: char| is_hidden_control(c) && c != '\n';
    replace_chars(&text, raw_in_a_string, |c| format!("\\u{:04x}", c as u32)).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_control_is_shown_and_nothing_else() {
        for c in ('\0'..='\u{1f}').chain(['\u{7f}', '\u{80}', '\u{9b}', '\u{9f}', '\u{202e}', '\u{2066}', '\u{2028}']) {
            assert_eq!(visible(&format!("a{c}b")), format!("a[U+{:04X}]b", c as u32));
        }
        for text in ["", "plain", "tony@contoso.com", "日本語", "emoji 😀", "<img src=x>"] {
            assert!(matches!(visible(text), Cow::Borrowed(_)), "{text}");
        }
    }

    #[test]
    fn json_keeps_the_data_and_hides_no_control() {
        let nasty: String = ('\0'..='\u{a0}').chain(['\u{202e}', '\u{2029}', '😀']).collect();
        for pretty in [false, true] {
            let json = to_json(&serde_json::json!({ "k\u{9b}": nasty, "n": [1, 2] }), pretty);
            assert!(!json.chars().any(|c| is_hidden_control(c) && c != '\n'), "{json}");
            let back: serde_json::Value = serde_json::from_str(&json).unwrap();
            assert_eq!(back["k\u{9b}"], nasty.as_str());
        }
    }
}
