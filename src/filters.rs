//! What the user has narrowed the view to, and its encoding in the URL fragment.
//!
//! The fragment holds the filter only, never records, so a view can be shared as a link and
//! survives a reload without any audit data leaving the page.

use chrono::NaiveDate;
use sendas_core::model::{SendClass, SendOperation};
use sendas_core::report::ClassifiedEvent;

/// The view's filter. The default shows `SendAs` and `SendOnBehalf` of every class.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Filters {
    /// Classes shown; empty means all.
    pub classes: Vec<SendClass>,
    /// Also show ordinary `Send` events (mostly owners, so they are hidden by default).
    pub include_send: bool,
    /// Hide connector cards and system sends.
    pub hide_noise: bool,
    /// Only this actor.
    pub actor: Option<String>,
    /// Only this mailbox.
    pub mailbox: Option<String>,
    /// Only this workload.
    pub workload: Option<String>,
    /// From this day (UTC), inclusive.
    pub from: Option<NaiveDate>,
    /// To this day (UTC), inclusive.
    pub to: Option<NaiveDate>,
    /// Free text, matched ignoring case in subject, actor, mailbox, client, operation and id.
    pub text: String,
}

/// Classes the "hide noise" toggle hides.
pub const NOISE: [SendClass; 2] = [SendClass::Connector, SendClass::System];

impl Filters {
    /// Does a send pass every filter?
    pub fn matches(&self, e: &ClassifiedEvent) -> bool {
        self.matches_except_noise(e) && !(self.hide_noise && NOISE.contains(&e.classification.class))
    }

    fn matches_except_noise(&self, e: &ClassifiedEvent) -> bool {
        let class = e.classification.class;
        if !self.include_send && e.event.send_operation() == Some(SendOperation::Send) {
            return false;
        }
        if !self.classes.is_empty() && !self.classes.contains(&class) {
            return false;
        }
        if self.actor.as_deref().is_some_and(|a| a != e.actor_label()) {
            return false;
        }
        if self.mailbox.as_deref().is_some_and(|m| m != e.mailbox_label()) {
            return false;
        }
        if self.workload.as_deref().is_some_and(|w| w != e.event.workload) {
            return false;
        }
        let day = e.event.time.date_naive();
        if self.from.is_some_and(|from| day < from) || self.to.is_some_and(|to| day > to) {
            return false;
        }
        if !self.text.is_empty() {
            let needle = self.text.to_lowercase();
            let ev = &e.event;
            let fields = [
                ev.subject.as_deref(),
                ev.actor.as_deref(),
                ev.target_mailbox(),
                ev.client_info.as_deref(),
                Some(ev.operation.as_str()),
                ev.id.as_deref(),
            ];
            if !fields.iter().flatten().any(|f| f.to_lowercase().contains(&needle)) {
                return false;
            }
        }
        true
    }

    /// How many sends the noise toggle hides (or would hide) under the other filters.
    pub fn noise_count(&self, sends: &[ClassifiedEvent]) -> usize {
        sends.iter().filter(|e| NOISE.contains(&e.classification.class) && self.matches_except_noise(e)).count()
    }

    /// True when nothing is filtered beyond the defaults.
    pub fn is_default(&self) -> bool {
        *self == Filters::default()
    }

    /// The filter as a URL fragment (without `#`).
    pub fn to_fragment(&self) -> String {
        let mut parts: Vec<String> = Vec::new();
        if !self.classes.is_empty() {
            let names: Vec<&str> = self.classes.iter().map(|c| c.name()).collect();
            parts.push(format!("class={}", names.join(",")));
        }
        if self.include_send {
            parts.push("send=1".into());
        }
        if self.hide_noise {
            parts.push("noise=0".into());
        }
        let mut text = |key: &str, value: Option<&str>| {
            if let Some(v) = value.filter(|v| !v.is_empty()) {
                parts.push(format!("{key}={}", encode(v)));
            }
        };
        text("actor", self.actor.as_deref());
        text("mailbox", self.mailbox.as_deref());
        text("workload", self.workload.as_deref());
        text("from", self.from.map(|d| d.to_string()).as_deref());
        text("to", self.to.map(|d| d.to_string()).as_deref());
        text("q", Some(self.text.as_str()));
        parts.join("&")
    }

    /// Reads a fragment (with or without `#`); unknown or malformed parts are ignored.
    pub fn from_fragment(fragment: &str) -> Self {
        let mut f = Filters::default();
        for part in fragment.trim_start_matches('#').split('&') {
            let Some((key, value)) = part.split_once('=') else {
                continue;
            };
            let value = decode(value);
            match key {
                "class" => {
                    f.classes = value
                        .split(',')
                        .filter_map(|name| SendClass::ALL.into_iter().find(|c| c.name() == name))
                        .collect()
                }
                "send" => f.include_send = value == "1",
                "noise" => f.hide_noise = value == "0",
                "actor" => f.actor = Some(value),
                "mailbox" => f.mailbox = Some(value),
                "workload" => f.workload = Some(value),
                "from" => f.from = value.parse().ok(),
                "to" => f.to = value.parse().ok(),
                "q" => f.text = value,
                _ => {}
            }
        }
        f
    }
}

/// Percent-encodes everything but unreserved characters (RFC 3986).
fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~@".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn decode(text: &str) -> String {
    let hex = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let (Some(high), Some(low)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push(high * 16 + low);
                i += 3;
                continue;
            }
        }
        out.push(if bytes[i] == b'+' { b' ' } else { bytes[i] });
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fragments_round_trip() {
        let f = Filters {
            classes: vec![SendClass::Delegate, SendClass::Application],
            include_send: true,
            hide_noise: true,
            actor: Some("kim@contoso.com".into()),
            mailbox: Some("CEO & board <x>".into()),
            workload: Some("Exchange".into()),
            from: NaiveDate::from_ymd_opt(2026, 11, 16),
            to: NaiveDate::from_ymd_opt(2026, 11, 22),
            text: "board pack #1 = 100%".into(),
        };
        let fragment = f.to_fragment();
        assert!(!fragment.contains(' ') && !fragment.contains('#') && !fragment.contains('<'), "{fragment}");
        assert_eq!(Filters::from_fragment(&format!("#{fragment}")), f);
        assert_eq!(Filters::from_fragment(""), Filters::default());
        assert_eq!(Filters::default().to_fragment(), "");
    }

    #[test]
    fn malformed_fragments_are_ignored() {
        let f = Filters::from_fragment("#class=nonsense,owner&from=yesterday&q=%E2%82%AC%&junk");
        assert_eq!(f.classes, vec![SendClass::Owner]);
        assert_eq!(f.from, None);
        assert_eq!(f.text, "€%");
    }
}
