//! Alert tuning on the user's own data: how often an alert on send events would have fired over
//! an analysis, how many of those alerts only connector cards and system identities set off, the
//! exclusion that silences them without hiding anyone's send, and how early each alert could
//! have fired given how late the events reached the log.
//!
//! The alert works as Purview activity alerts and Sentinel scheduled rules do: at least
//! [`AlertRule::threshold`] matching events in a fixed window of [`AlertRule::window_seconds`],
//! the windows aligned to multiples of their length in UTC. The CLI (`sendas-lens alerts`) and
//! the app compute it with [`AlertRule::evaluate`], so both give the same numbers.
//!
//! Noise is [`NOISE_CLASSES`] (connector cards and system identities) and nothing else: an
//! application sending as a mailbox is what an illicit-consent attack looks like, so it is never
//! suggested for exclusion.

use std::collections::BTreeMap;

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

use super::{ClassCounts, ClassifiedEvent, Delay};
use crate::classify::{Condition, RuleSet};
use crate::model::{SendClass, SendOperation};
use crate::time::format_rfc3339;

/// The classes an alert can safely exclude: no person and no application sends them.
pub const NOISE_CLASSES: [SendClass; 2] = [SendClass::Connector, SendClass::System];

/// Whether a class is noise for alerting ([`NOISE_CLASSES`]); `application` never is.
pub fn is_noise(class: SendClass) -> bool {
    NOISE_CLASSES.contains(&class)
}

/// The window lengths alert tuning offers (the CLI's `--window`), by name, in seconds.
pub const ALERT_WINDOWS: [(&str, i64); 4] = [("15m", 15 * 60), ("1h", 3600), ("2h", 2 * 3600), ("1d", 86_400)];

/// The length in seconds of a window named in [`ALERT_WINDOWS`] (`15m`, `1h`, `2h`, `1d`);
/// `None` for any other text.
pub fn parse_alert_window(text: &str) -> Option<i64> {
    ALERT_WINDOWS.iter().find(|(name, _)| *name == text).map(|(_, seconds)| *seconds)
}

/// An alert condition as an admin sets one up: which send events count, and how many in how
/// long a window make it fire.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertRule {
    /// The operations watched (an event matches when its operation, read with
    /// [`SendOperation::parse`], is one of them); an empty list watches none.
    pub operations: Vec<SendOperation>,
    /// Only sends whose [`ClassifiedEvent::actor_label`] is this (ignoring ASCII case).
    pub actor: Option<String>,
    /// Only sends whose [`ClassifiedEvent::mailbox_label`] is this (ignoring ASCII case).
    pub mailbox: Option<String>,
    /// Matching events in one window that make the alert fire (0 is taken as 1).
    pub threshold: u64,
    /// The window's length in seconds (windows start at multiples of it, UTC; less than one
    /// second is taken as one).
    pub window_seconds: i64,
}

impl Default for AlertRule {
    /// Every `SendAs`, one is enough, one-hour windows: the field report's alert.
    fn default() -> Self {
        Self { operations: vec![SendOperation::SendAs], actor: None, mailbox: None, threshold: 1, window_seconds: 3600 }
    }
}

/// How the earliest fire time of an alert was known, strongest first: the order compares
/// strength, so the greatest of several is the weakest.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FireBasis {
    /// Every event it rests on has a measured arrival time: the alert could fire then, not sooner.
    Measured,
    /// At least one of them only has a least possible delay (bounded between exports): the
    /// alert fired at that time at the earliest.
    Bounded,
    /// At least one of them has no known delay and counts at its event time: the alert fired at
    /// that time at the earliest, likely later.
    EventTime,
}

/// One window in which the alert fires.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertWindow {
    /// When the window starts, RFC 3339 UTC (it lasts [`AlertRule::window_seconds`]).
    pub window_start: String,
    /// Its matching events, by class.
    pub events: ClassCounts,
    /// It fires only because of noise: without the connector and system events it would not.
    pub noise_only: bool,
    /// The earliest the alert could have fired, RFC 3339 UTC: the threshold-th earliest arrival
    /// in the log among the window's matching events (an event arrives at its time plus its
    /// measured delay, or plus its least possible delay when bounded, or at its time when
    /// the delay is unknown).
    pub earliest_fire: String,
    /// How [`AlertWindow::earliest_fire`] is known: anything but `measured` means "at least".
    pub fire_basis: FireBasis,
}

/// What an alert rule does over an analysis's sends: the numbers the CLI's `alerts` command
/// prints and the app's panel shows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertReport {
    /// The rule evaluated, as used (a threshold of 0 reads as 1, a window under a second as one).
    pub rule: AlertRule,
    /// The events the rule matches, by class.
    pub events: ClassCounts,
    /// Windows in which the alert fires, counting every matching event.
    pub alerts_fired: u64,
    /// Windows that fire only because of connector and system events (they would not fire
    /// without them).
    pub alerts_noise_only: u64,
    /// Windows that still fire once the suggested exclusion removes its events.
    pub alerts_after_exclusion: u64,
    /// Matching events that are not noise yet the suggested exclusion would remove: a person's
    /// (or an application's) send the tuned alert would miss. The exclusion is built not to.
    pub person_events_lost: u64,
    /// The suggested exclusion, as a condition to add to the alert: every condition of the rule
    /// table's connector and system rules, joined by `or` (empty when it has none).
    pub exclusion: String,
    /// The names of the rules [`AlertReport::exclusion`] is made of, in table order.
    pub exclusion_rules: Vec<String>,
    /// Every window in which the alert fires, in time order.
    pub alerts: Vec<AlertWindow>,
}

impl AlertRule {
    /// Whether a send counts towards the alert: its operation is watched, and the actor and
    /// mailbox filters, when set, equal its labels ignoring ASCII case.
    pub fn matches(&self, send: &ClassifiedEvent) -> bool {
        let watched = SendOperation::parse(&send.event.operation).is_some_and(|op| self.operations.contains(&op));
        let same =
            |filter: &Option<String>, label: &str| filter.as_deref().is_none_or(|f| f.eq_ignore_ascii_case(label));
        watched && same(&self.actor, send.actor_label()) && same(&self.mailbox, send.mailbox_label())
    }

    /// Evaluates the rule over the sends of an analysis classified with `rules`: the windows in
    /// which it fires, which fire only because of noise, the suggested exclusion (built from
    /// the connector and system rules of `rules`) and what is left after it, and when each
    /// alert could have fired at the earliest. Deterministic: the same sends give the same
    /// report in any order.
    ///
    /// ```
    /// use sendas_core::classify::RuleSet;
    /// use sendas_core::report::{AlertRule, FireBasis};
    /// use sendas_core::{Analysis, MemoryInput};
    ///
    /// let card = |id: &str, time: &str| format!(r#"{{"Id":"{id}","CreationTime":"{time}","Operation":"SendAs","Workload":"Exchange","UserId":"tony@contoso.com","ClientInfoString":"Client=REST;ConnectorWorkProvider","MailboxOwnerUPN":"mvptweets@contoso.com"}}"#);
    /// let delegate = r#"{"Id":"d1","CreationTime":"2026-11-20T09:30:00","Operation":"SendAs","Workload":"Exchange","UserId":"kim@contoso.com","ClientInfoString":"Client=OWA","MailboxOwnerUPN":"ceo@contoso.com"}"#;
    /// // Two connector cards an hour apart, and a delegate's send in the first card's hour.
    /// let export = format!("{}\n{}\n{delegate}\n", card("c1", "2026-11-20T09:15:00"), card("c2", "2026-11-20T10:15:00"));
    /// let inputs = [MemoryInput::new("audit.jsonl", export.as_bytes())];
    /// let result = pollster::block_on(Analysis::default().analyse(inputs, |_| {})).unwrap();
    ///
    /// let report = AlertRule::default().evaluate(&result.sends, &RuleSet::default());
    /// assert_eq!((report.alerts_fired, report.alerts_noise_only, report.alerts_after_exclusion), (2, 1, 1));
    /// assert_eq!(report.person_events_lost, 0);
    /// assert!(report.exclusion.starts_with(r#"ClientInfoString contains "ConnectorWorkProvider", or "#));
    /// let first = &report.alerts[0];
    /// assert_eq!(first.window_start, "2026-11-20T09:00:00Z");
    /// assert_eq!((first.events.connector, first.events.delegate, first.noise_only), (1, 1, false));
    /// // No arrival times in this export: the alert fired at the first event's time at the earliest.
    /// assert_eq!((first.earliest_fire.as_str(), first.fire_basis), ("2026-11-20T09:15:00Z", FireBasis::EventTime));
    /// assert!(report.alerts[1].noise_only);
    /// ```
    pub fn evaluate(&self, sends: &[ClassifiedEvent], rules: &RuleSet) -> AlertReport {
        let rule =
            AlertRule { threshold: self.threshold.max(1), window_seconds: self.window_seconds.max(1), ..self.clone() };
        let exclusion = Exclusion::new(rules);
        let mut windows: BTreeMap<i64, WindowAcc> = BTreeMap::new();
        let mut events = ClassCounts::default();
        let mut person_events_lost = 0;
        for send in sends.iter().filter(|s| rule.matches(s)) {
            let class = send.classification.class;
            let noise = is_noise(class);
            let removed = exclusion.removes(send);
            if removed && !noise {
                person_events_lost += 1;
            }
            events.add(class, 1);
            let t = send.event.time.timestamp();
            let acc = windows.entry(t - t.rem_euclid(rule.window_seconds)).or_default();
            acc.events.add(class, 1);
            acc.not_noise += u64::from(!noise);
            acc.kept += u64::from(!removed);
            acc.arrivals.push(arrival(send));
        }
        let mut report = AlertReport {
            rule,
            events,
            alerts_fired: 0,
            alerts_noise_only: 0,
            alerts_after_exclusion: 0,
            person_events_lost,
            exclusion: exclusion.text,
            exclusion_rules: exclusion.names,
            alerts: Vec::new(),
        };
        let threshold = report.rule.threshold;
        for (start, mut acc) in windows {
            if acc.events.total() < threshold {
                continue;
            }
            let noise_only = acc.not_noise < threshold;
            report.alerts_fired += 1;
            report.alerts_noise_only += u64::from(noise_only);
            report.alerts_after_exclusion += u64::from(acc.kept >= threshold);
            // The threshold-th earliest arrival; on a tie, the better-known arrival counts.
            acc.arrivals.sort_unstable();
            let reached = &acc.arrivals[..threshold as usize];
            let earliest_fire = reached[reached.len() - 1].0;
            let fire_basis = reached.iter().map(|(_, basis)| *basis).max().unwrap_or(FireBasis::EventTime);
            let window_start =
                DateTime::<Utc>::from_timestamp(start, 0).map_or_else(|| start.to_string(), format_rfc3339);
            report.alerts.push(AlertWindow {
                window_start,
                events: acc.events,
                noise_only,
                earliest_fire: format_rfc3339(earliest_fire),
                fire_basis,
            });
        }
        report
    }
}

/// What is gathered of one window.
#[derive(Default)]
struct WindowAcc {
    /// Matching events by class.
    events: ClassCounts,
    /// Matching events that are not noise.
    not_noise: u64,
    /// Matching events the exclusion keeps.
    kept: u64,
    /// When each matching event reached the log at the earliest, and how that is known.
    arrivals: Vec<(DateTime<Utc>, FireBasis)>,
}

/// When a send reached the log at the earliest, and how that is known.
fn arrival(send: &ClassifiedEvent) -> (DateTime<Utc>, FireBasis) {
    let time = send.event.time;
    let (seconds, basis) = match send.delay {
        Some(Delay::Measured { seconds }) => (seconds, FireBasis::Measured),
        Some(Delay::Bounded { min_seconds, .. }) => (min_seconds, FireBasis::Bounded),
        None => return (time, FireBasis::EventTime),
    };
    // A delay beyond what a date can hold says nothing usable: the event's time is all that is known.
    TimeDelta::try_seconds(seconds)
        .and_then(|d| time.checked_add_signed(d))
        .map_or((time, FireBasis::EventTime), |arrived| (arrived, basis))
}

/// The suggested exclusion: the conditions of the rule table's noise rules.
struct Exclusion {
    /// Any of them.
    condition: Condition,
    /// The rules' names.
    names: Vec<String>,
    /// As text.
    text: String,
}

impl Exclusion {
    fn new(rules: &RuleSet) -> Self {
        let noise: Vec<_> = rules.rules.iter().filter(|r| is_noise(r.class)).collect();
        let described: Vec<Option<Described>> = noise.iter().map(|r| describe(&r.condition)).collect();
        let text = if described.iter().any(Option::is_none) {
            // A noise rule that always holds excludes every event.
            "every event".to_owned()
        } else {
            let parts: Vec<Described> = described.into_iter().flatten().collect();
            let several = parts.len() > 1;
            parts.into_iter().map(|p| p.shown(several)).collect::<Vec<_>>().join(", or ")
        };
        Self {
            condition: Condition::Any(noise.iter().map(|r| r.condition.clone()).collect()),
            names: noise.iter().map(|r| r.name.clone()).collect(),
            text,
        }
    }

    /// Whether the exclusion removes a send: it is noise (its class came from one of the noise
    /// rules), or one of their conditions holds on it even though an earlier rule decided
    /// otherwise (the alert has no first-match-wins: the exclusion removes it too).
    fn removes(&self, send: &ClassifiedEvent) -> bool {
        is_noise(send.classification.class) || self.condition.eval(&send.event).is_some()
    }
}

/// A condition as text, and whether it joins several parts (so it needs brackets inside another).
struct Described {
    text: String,
    compound: bool,
}

impl Described {
    fn simple(text: String) -> Self {
        Self { text, compound: false }
    }

    fn shown(self, bracketed: bool) -> String {
        if bracketed && self.compound {
            format!("({})", self.text)
        } else {
            self.text
        }
    }

    fn join(parts: Vec<Described>, separator: &str) -> Option<Self> {
        if parts.len() <= 1 {
            return parts.into_iter().next();
        }
        let text = parts.into_iter().map(|p| p.shown(true)).collect::<Vec<_>>().join(separator);
        Some(Self { text, compound: true })
    }
}

/// `"a"`, or `one of ("a", "b")`.
fn quoted(values: &[String], several: &str) -> String {
    match values {
        [one] => format!("\"{one}\""),
        many => format!("{several} ({})", many.iter().map(|v| format!("\"{v}\"")).collect::<Vec<_>>().join(", ")),
    }
}

/// A condition in words an admin can type into an alert; `None` when it always holds.
fn describe(condition: &Condition) -> Option<Described> {
    let described = match condition {
        Condition::Contains { field, any_of } => {
            Described::simple(format!("{} contains {}", field.label(), quoted(any_of, "any of")))
        }
        Condition::Equals { field, any_of } => {
            Described::simple(format!("{} is {}", field.label(), quoted(any_of, "one of")))
        }
        Condition::StartsWith { field, any_of } => {
            Described::simple(format!("{} starts with {}", field.label(), quoted(any_of, "any of")))
        }
        Condition::EndsWith { field, any_of } => {
            Described::simple(format!("{} ends with {}", field.label(), quoted(any_of, "any of")))
        }
        Condition::PresentAndNotIn { field, values } => Described::simple(if values.is_empty() {
            format!("{} is present", field.label())
        } else {
            format!("{} is present and not {}", field.label(), quoted(values, "one of"))
        }),
        Condition::ActorOwnsMailbox => Described::simple("the actor owns the mailbox (same SID or address)".to_owned()),
        Condition::ActorIsNotMailbox => Described::simple("UserId is not the mailbox".to_owned()),
        Condition::Note { .. } => return None,
        Condition::All(conditions) => {
            // What always holds adds nothing to an `and`.
            return Described::join(conditions.iter().filter_map(describe).collect(), " and ");
        }
        Condition::Any(conditions) => {
            let parts: Option<Vec<Described>> = conditions.iter().map(describe).collect();
            // One part that always holds makes the whole `or` hold always.
            return Described::join(parts?, " or ").or_else(|| Some(Described::simple("never".to_owned())));
        }
        Condition::Not(inner) => match describe(inner) {
            Some(inner) => Described::simple(format!("not {}", inner.shown(true))),
            None => Described::simple("never".to_owned()),
        },
    };
    Some(described)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_exclusion_names_the_connector_marker_and_every_system_identity() {
        let exclusion = Exclusion::new(&RuleSet::default());
        assert_eq!(exclusion.names, ["connector-work-provider", "system-identity"]);
        assert_eq!(
            exclusion.text,
            r#"ClientInfoString contains "ConnectorWorkProvider", or (UserId is "S-1-5-18" or LogonUserSid is "S-1-5-18" or UserId starts with "NT AUTHORITY\SYSTEM" or UserType is one of ("System", "SystemPolicy") or LogonType is one of ("Transport", "SystemService"))"#
        );
    }

    #[test]
    fn conditions_read_as_words() {
        let text = |c: &Condition| describe(c).map(|d| d.text);
        let note = Condition::Note { field: crate::classify::Field::Actor, because: String::new() };
        assert_eq!(text(&note), None);
        assert_eq!(text(&Condition::Any(vec![note.clone(), Condition::ActorOwnsMailbox])), None);
        assert_eq!(text(&Condition::Any(Vec::new())).as_deref(), Some("never"));
        assert_eq!(
            text(&Condition::Not(Box::new(Condition::All(vec![
                Condition::ActorIsNotMailbox,
                Condition::ActorOwnsMailbox
            ]))))
            .as_deref(),
            Some("not (UserId is not the mailbox and the actor owns the mailbox (same SID or address))")
        );
    }

    #[test]
    fn windows_are_named_and_nothing_else_is_one() {
        assert_eq!(parse_alert_window("15m"), Some(900));
        assert_eq!(parse_alert_window("1d"), Some(86_400));
        for text in ["", "1H", "30m", "1h ", "3600", "-1h"] {
            assert_eq!(parse_alert_window(text), None, "{text:?}");
        }
    }
}
