//! Showing attacker-controlled text honestly.
//!
//! Everything from an export is rendered as text (Yew escapes it), but Unicode bidirectional
//! controls still change how text *looks*: `U+202E` turns `gnp.exe` into `exe.png` on screen.
//! The UI shows those characters as visible markers instead. (Other controls do nothing in
//! HTML text; on a terminal they do, and the CLI shows them too: `sendas_core::display`.)

use sendas_core::display::{is_bidi_control, replace_chars};

/// The text with every bidirectional control shown as `[U+XXXX]`.
pub fn visible(text: &str) -> String {
    replace_chars(text, is_bidi_control, |c| format!("[U+{:04X}]", c as u32)).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bidi_overrides_become_visible() {
        assert_eq!(visible("\u{202e}gnp.exe"), "[U+202E]gnp.exe");
        assert_eq!(visible("a\u{2066}b\u{2069}"), "a[U+2066]b[U+2069]");
        assert_eq!(visible("plain <b>text</b>"), "plain <b>text</b>");
    }
}
