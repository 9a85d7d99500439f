//! Plain-language findings: the answer first, with the numbers behind it.
//!
//! Each finding carries the filter that shows the events behind it, so the UI
//! can link the sentence to the proof.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::{human_duration, ClassifiedEvent, DelayStats, OwnerChangeRow, SendReport};
use crate::classify::client_name;
use crate::ingest::{IngestStats, PURVIEW_EXPORT_CAP};
use crate::model::{SendClass, SendOperation};

/// What the events behind a finding have in common.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FindingFilter {
    /// Only this class.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub class: Option<SendClass>,
    /// Only this mailbox.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mailbox: Option<String>,
    /// Only this workload (delay findings).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub workload: Option<String>,
}

/// One plain-language statement.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    /// Stable kind (`connector`, `owner-change`, `delegate`, `delay`, …).
    pub kind: String,
    /// The sentence.
    pub text: String,
    /// The view that proves it.
    pub filter: FindingFilter,
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// "a, b and c"
fn join_list<I: IntoIterator<Item = String>>(items: I) -> String {
    let items: Vec<String> = items.into_iter().collect();
    match items.len() {
        0 => String::new(),
        1 => items[0].clone(),
        n => format!("{} and {}", items[..n - 1].join(", "), items[n - 1]),
    }
}

/// At most `max` names, then "and N others".
fn names(set: &BTreeSet<String>, max: usize) -> String {
    let mut shown: Vec<String> = set.iter().take(max).cloned().collect();
    if set.len() > max {
        shown.push(format!("{} others", set.len() - max));
    }
    join_list(shown)
}

fn group_matches(group: &str, mailbox: &str) -> bool {
    let group = group.to_ascii_lowercase();
    let mailbox = mailbox.to_ascii_lowercase();
    let local = mailbox.split('@').next().unwrap_or(&mailbox);
    group == mailbox || group == local || group.replace(' ', "") == local
}

/// Everything findings are computed from.
pub struct FindingInput<'a> {
    /// Every send-type event.
    pub sends: &'a [ClassifiedEvent],
    /// Their aggregation.
    pub report: &'a SendReport,
    /// Delay figures per workload.
    pub delays: &'a BTreeMap<String, DelayStats>,
    /// Why delays are unknown, if they are.
    pub delay_note: Option<&'a str>,
    /// Group owner changes.
    pub owner_changes: &'a [OwnerChangeRow],
    /// First and last event of any kind.
    pub time_range: Option<super::TimeRange>,
    /// Workloads the events come from.
    pub workloads: Vec<&'a str>,
}

/// Computes the findings, most important first.
pub fn findings(input: &FindingInput<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    connector_findings(input, &mut out);
    people_findings(input, &mut out);
    delay_findings(input, &mut out);
    coverage_findings(input, &mut out);
    out
}

/// How long the audit log is known to take, when nothing was measured: Microsoft documents
/// up to 24 hours for some services.
const DOCUMENTED_DELAY_SECONDS: i64 = 24 * 3600;

/// What the export cannot show, each with the way to get it.
fn coverage_findings(input: &FindingInput<'_>, out: &mut Vec<Finding>) {
    let has = |op: SendOperation| input.sends.iter().any(|e| e.event.send_operation() == Some(op));
    let exchange = input.workloads.iter().any(|w| w.eq_ignore_ascii_case("Exchange"));
    if !input.sends.is_empty() && !has(SendOperation::Send) {
        out.push(Finding {
            kind: "coverage-send".into(),
            text: "No ordinary Send events: they are audited only for mailboxes with Audit (Premium) (E5 or an add-on), so a person's own sends are missing here. Where licensed, include Send in the search; elsewhere, message trace shows who sent what.".into(),
            filter: FindingFilter::default(),
        });
    }
    if exchange && !has(SendOperation::SendAs) && !has(SendOperation::SendOnBehalf) {
        out.push(Finding {
            kind: "coverage-sendas".into(),
            text: "This export has Exchange events but no SendAs or SendOnBehalf: check that mailbox auditing is on (Get-OrganizationConfig: AuditDisabled False) and that the search included the SendAs and SendOnBehalf operations.".into(),
            filter: FindingFilter::default(),
        });
    }
    if let Some(range) = input.time_range {
        // The slowest delay measured (90th percentile), else the documented one.
        let known = input.delays.values().filter_map(|d| d.p90_seconds).max().unwrap_or(DOCUMENTED_DELAY_SECONDS);
        let span = (range.last - range.first).num_seconds();
        if known > 0 && span < known {
            out.push(Finding {
                kind: "coverage-range".into(),
                text: format!(
                    "The events span {}, less than the {} the audit log can take to arrive: events of the last hours may still have been arriving when this was exported. Export the same range again later to complete it.",
                    human_duration(span),
                    human_duration(known),
                ),
                filter: FindingFilter::default(),
            });
        }
    }
    let connectors = input.report.connectors();
    if !connectors.is_empty() {
        let stamped: BTreeSet<String> = crate::sorting::set_of(connectors.iter().map(|c| c.stamped_as.clone()));
        out.push(Finding {
            kind: "connector-creator".into(),
            text: format!(
                "The name on a connector card is the connector's creator's ({}), whoever owns the group now, and it stays on new cards if that person has left or changed role: check who manages each connector in the group's Connectors settings, and remove connectors nobody owns.",
                names(&stamped, 3)
            ),
            filter: FindingFilter { class: Some(SendClass::Connector), ..Default::default() },
        });
    }
}

fn by_class(sends: &[ClassifiedEvent], class: SendClass) -> impl Iterator<Item = &ClassifiedEvent> {
    sends.iter().filter(move |e| e.classification.class == class)
}

fn connector_findings(input: &FindingInput<'_>, out: &mut Vec<Finding>) {
    let connectors = input.report.connectors();
    if connectors.is_empty() {
        return;
    }
    let is_send_as = |e: &&ClassifiedEvent| e.event.send_operation() == Some(SendOperation::SendAs);
    let send_as_total = input.sends.iter().filter(is_send_as).count();
    let connector_send_as = by_class(input.sends, SendClass::Connector).filter(is_send_as).count();
    let connector_total = by_class(input.sends, SendClass::Connector).count();
    let stamped: BTreeSet<String> = crate::sorting::set_of(connectors.iter().map(|c| c.stamped_as.clone()));
    let mailboxes: BTreeSet<String> = crate::sorting::set_of(connectors.iter().map(|c| c.mailbox.clone()));
    let share = if send_as_total > 0 && connector_send_as > 0 {
        let pct = (connector_send_as as f64 * 100.0 / send_as_total as f64).round() as u64;
        format!("{pct}% of SendAs events ({connector_send_as})")
    } else {
        format!("{connector_total} send events")
    };
    let text = format!(
        "{share} were written by {} into {} ({}); they carry the name of {}, who created the connector{}, not of anyone who sent them.",
        plural(connectors.len(), "Office 365 connector", "Office 365 connectors"),
        plural(mailboxes.len(), "group mailbox", "group mailboxes"),
        names(&mailboxes, 3),
        names(&stamped, 3),
        if connectors.len() == 1 { "" } else { "s" },
    );
    out.push(Finding {
        kind: "connector".into(),
        text,
        filter: FindingFilter { class: Some(SendClass::Connector), ..Default::default() },
    });

    for change in merge_owner_changes(input.owner_changes) {
        let change = &change;
        for mailbox in &mailboxes {
            if !group_matches(&change.change.group, mailbox) {
                continue;
            }
            let cards: Vec<&ClassifiedEvent> =
                by_class(input.sends, SendClass::Connector).filter(|e| e.mailbox_label() == mailbox).collect();
            let before: BTreeSet<String> = crate::sorting::set_of(
                cards.iter().filter(|e| e.event.time < change.time).map(|e| e.actor_label().to_owned()),
            );
            let after: Vec<&&ClassifiedEvent> = cards.iter().filter(|e| e.event.time >= change.time).collect();
            if before.is_empty() || after.is_empty() {
                continue;
            }
            let after_names: BTreeSet<String> =
                crate::sorting::set_of(after.iter().map(|e| e.actor_label().to_owned()));
            let mut what = Vec::new();
            if !change.change.added.is_empty() {
                what.push(format!("{} added", join_list(change.change.added.iter().cloned())));
            }
            if !change.change.removed.is_empty() {
                what.push(format!("{} removed", join_list(change.change.removed.iter().cloned())));
            }
            let date = change.time.format("%-d %b %Y");
            let text = if after_names == before {
                format!(
                    "The {} group's owner changed on {date} ({}); the {} connector cards written after it still carry {}'s name, as before: the stamp is the connector's creator, not the group's owner.",
                    change.change.group,
                    what.join("; "),
                    after.len(),
                    names(&after_names, 3),
                )
            } else {
                format!(
                    "The {} group's owner changed on {date} ({}); connector cards before it carried {}, the {} after it carry {}.",
                    change.change.group,
                    what.join("; "),
                    names(&before, 3),
                    after.len(),
                    names(&after_names, 3),
                )
            };
            out.push(Finding {
                kind: "owner-change".into(),
                text,
                filter: FindingFilter {
                    class: Some(SendClass::Connector),
                    mailbox: Some(mailbox.clone()),
                    ..Default::default()
                },
            });
        }
    }
}

/// Adding one owner and removing another is logged as two records minutes apart; they are one
/// change to the reader. Changes to the same group within a day are merged.
fn merge_owner_changes(changes: &[OwnerChangeRow]) -> Vec<OwnerChangeRow> {
    let mut merged: Vec<OwnerChangeRow> = Vec::new();
    for change in changes {
        let same = merged.iter_mut().rev().find(|m| {
            m.change.group.eq_ignore_ascii_case(&change.change.group)
                && (change.time - m.time).num_seconds().abs() < 86_400
        });
        match same {
            Some(m) => {
                m.change.added.extend(change.change.added.iter().cloned());
                m.change.removed.extend(change.change.removed.iter().cloned());
            }
            None => merged.push(change.clone()),
        }
    }
    merged
}

fn people_findings(input: &FindingInput<'_>, out: &mut Vec<Finding>) {
    let delegates: Vec<&ClassifiedEvent> = by_class(input.sends, SendClass::Delegate).collect();
    if !delegates.is_empty() {
        let actors: BTreeSet<String> = crate::sorting::set_of(delegates.iter().map(|e| e.actor_label().to_owned()));
        let mailboxes: BTreeSet<String> =
            crate::sorting::set_of(delegates.iter().map(|e| e.mailbox_label().to_owned()));
        let clients: BTreeSet<String> = crate::sorting::set_of(
            delegates.iter().filter_map(|e| e.event.client_info.as_deref().and_then(client_name)).map(str::to_owned),
        );
        let ops: BTreeSet<Option<SendOperation>> =
            crate::sorting::set_of(delegates.iter().map(|e| e.event.send_operation()));
        let verb = match (ops.contains(&Some(SendOperation::SendAs)), ops.contains(&Some(SendOperation::SendOnBehalf)))
        {
            (true, true) => "sent as or on behalf of",
            (false, true) => "sent on behalf of",
            (true, false) => "sent as",
            (false, false) => "sent from",
        };
        let via = if clients.is_empty() { String::new() } else { format!(" from {}", join_list(clients)) };
        out.push(Finding {
            kind: "delegate".into(),
            text: format!(
                "{} ({}) {verb} {}{via}: {}.",
                plural(actors.len(), "person", "people"),
                names(&actors, 3),
                plural(mailboxes.len(), "other mailbox", "other mailboxes"),
                plural(delegates.len(), "event", "events"),
            ),
            filter: FindingFilter { class: Some(SendClass::Delegate), ..Default::default() },
        });
    }

    let apps: Vec<&ClassifiedEvent> = by_class(input.sends, SendClass::Application).collect();
    if !apps.is_empty() {
        let ids: BTreeSet<String> = crate::sorting::set_of(apps.iter().map(|e| {
            match e.event.app_id.as_deref().or(e.event.client_app_id.as_deref()) {
                Some(id) => format!("app {id}"),
                None => e.actor_label().to_owned(),
            }
        }));
        let mailboxes: BTreeSet<String> = crate::sorting::set_of(apps.iter().map(|e| e.mailbox_label().to_owned()));
        out.push(Finding {
            kind: "application".into(),
            text: format!(
                "{} from {} ({}) acted as {} ({}).",
                plural(apps.len(), "send", "sends"),
                plural(ids.len(), "application", "applications"),
                names(&ids, 2),
                plural(mailboxes.len(), "mailbox", "mailboxes"),
                names(&mailboxes, 3),
            ),
            filter: FindingFilter { class: Some(SendClass::Application), ..Default::default() },
        });
    }

    let simple = [
        (SendClass::Admin, "admin", "was made under an administrator logon", "were made under administrator logons"),
        (
            SendClass::System,
            "system",
            "came from a system identity or a Microsoft datacenter service",
            "came from system identities or Microsoft datacenter services",
        ),
        (
            SendClass::Owner,
            "owner",
            "was made by a mailbox owner from their own mailbox",
            "were made by mailbox owners from their own mailboxes",
        ),
        (
            SendClass::Unknown,
            "unknown",
            "could not be attributed from the fields the export carries; it is marked unknown, not guessed",
            "could not be attributed from the fields the export carries; they are marked unknown, not guessed",
        ),
    ];
    for (class, kind, one, many) in simple {
        let n = by_class(input.sends, class).count();
        if n > 0 {
            out.push(Finding {
                kind: kind.into(),
                text: format!("{} {}.", plural(n, "send", "sends"), if n == 1 { one } else { many }),
                filter: FindingFilter { class: Some(class), ..Default::default() },
            });
        }
    }
}

fn delay_findings(input: &FindingInput<'_>, out: &mut Vec<Finding>) {
    for (workload, stats) in input.delays {
        if let (Some(p50), Some(p90)) = (stats.p50_seconds, stats.p90_seconds) {
            out.push(Finding {
                kind: "delay".into(),
                text: format!(
                    "Half of {workload} events reached the log within {}; 1 in 10 took over {} (measured on {}).",
                    human_duration(p50),
                    human_duration(p90),
                    plural(stats.measured as usize, "event", "events"),
                ),
                filter: FindingFilter { workload: Some(workload.clone()), ..Default::default() },
            });
        }
        if let (Some(low), Some(high)) = (stats.bounded_min_p50_seconds, stats.bounded_max_p50_seconds) {
            out.push(Finding {
                kind: "delay-bounded".into(),
                text: format!(
                    "{} missing from an earlier export and present in a later one: typically {} the log between {} and {} after {} happened.",
                    if stats.bounded == 1 { format!("1 {workload} event was") } else { format!("{} {workload} events were", stats.bounded) },
                    if stats.bounded == 1 { "it reached" } else { "they reached" },
                    human_duration(low),
                    human_duration(high),
                    if stats.bounded == 1 { "it" } else { "they" },
                ),
                filter: FindingFilter { workload: Some(workload.clone()), ..Default::default() },
            });
        }
    }
    if let Some(note) = input.delay_note {
        out.push(Finding { kind: "delay-unknown".into(), text: note.to_owned(), filter: FindingFilter::default() });
    }
}

/// What the warnings about one input are made of.
pub(crate) struct InputNotes<'a> {
    /// Its name.
    pub name: &'a str,
    /// How reading it went.
    pub stats: &'a IngestStats,
    /// Its records without an id.
    pub unkeyed: u64,
    /// It could be read (an unusable input is reported apart, with its reason).
    pub usable: bool,
    /// Values of its records cut to the length an analysis keeps.
    pub cut_values: u64,
}

/// Things the reader should know about the inputs; delays are compared across the first
/// `tracked` of them.
pub(crate) fn input_warnings(inputs: &[InputNotes<'_>], tracked: usize) -> Vec<String> {
    let mut warnings = Vec::new();
    for input in inputs {
        let (name, stats) = (input.name, input.stats);
        if input.usable && stats.rows_read == 0 {
            warnings.push(format!(
                "{name} holds no records: an export of a search that found nothing? Check the search's dates, users and operations."
            ));
        }
        if stats.rows_read == PURVIEW_EXPORT_CAP {
            warnings.push(format!(
                "{name} holds exactly {PURVIEW_EXPORT_CAP} records, Purview's export limit: the search probably had more results than were exported. Narrow the date range and export again."
            ));
        }
        for column in &stats.duplicate_columns {
            warnings.push(format!("{name}: the column {column} appears more than once; the first one is used."));
        }
        if input.unkeyed > 0 {
            warnings.push(format!(
                "{name}: {} records have no Id, so a repeat of one of them cannot be recognised as a duplicate.",
                input.unkeyed
            ));
        }
        if stats.repaired_text > 0 {
            warnings.push(format!(
                "{name}: {} text that is not valid Unicode (bytes that are not UTF-8, or half an emoji); it is shown as '\u{FFFD}' and the rest of each record was read.",
                plural(stats.repaired_text as usize, "record had", "records had"),
            ));
        }
        if input.cut_values > 0 {
            warnings.push(format!(
                "{name}: {} longer than any real field (over {} bytes; raw records over {} KiB) kept only in part, marked \"… [cut: N bytes]\"; classes were decided on the whole value.",
                plural(input.cut_values as usize, "value was", "values were"),
                crate::model::MAX_KEPT_VALUE_BYTES,
                crate::model::MAX_KEPT_RAW_BYTES >> 10,
            ));
        }
        if stats.ambiguous_dates > 0 {
            warnings.push(format!(
                "{name}: {} records had only a date like 3/12/2025, which could be 12 March or 3 December; they were read month-first. Records with AuditData.CreationTime are not affected.",
                stats.ambiguous_dates
            ));
        }
    }
    if inputs.len() > tracked {
        warnings.push(format!("Delays between exports are compared across the first {tracked} inputs only."));
    }
    warnings
}

/// A rule table that leaves out or changes built-in rules says so.
pub(crate) fn rules_warnings(departures: &[crate::classify::Departure]) -> Vec<String> {
    departures
        .iter()
        .map(|d| match d {
            crate::classify::Departure::LeftOut(name) => {
                format!("The rules in use leave out the built-in rule {name}: sends it would decide are decided by the rules after it, or are unknown.")
            }
            crate::classify::Departure::Changed(name) => {
                format!("The rules in use change the built-in rule {name}: its decisions are the tenant's, not SendAs Lens's.")
            }
        })
        .collect()
}

/// Ids seen on records that differ: how many, the first few, and which record is kept.
pub(crate) fn conflict_warning(count: u64, first_ids: &[String]) -> Option<String> {
    (count > 0).then(|| {
        format!(
            "{} on records that differ (another time, or a send beside a record that is not one): {}{}. Each is counted once; the record kept is a send over any other, else the earlier, whatever the order of the files.",
            plural(count as usize, "Id was seen", "Ids were seen"),
            first_ids.join(", "),
            if count as usize > first_ids.len() { ", …" } else { "" },
        )
    })
}

/// What the delay figures leave out, per workload: arrivals before the event, and delays
/// longer than any the log takes.
pub(crate) fn delay_warnings(delays: &BTreeMap<String, DelayStats>) -> Vec<String> {
    let mut warnings = Vec::new();
    for (workload, stats) in delays {
        if stats.negative > 0 {
            warnings.push(format!(
                "{}: the arrival time is earlier than the event time (clock skew, or a wrong column?); left out of the delay figures.",
                plural(stats.negative as usize, &format!("{workload} event"), &format!("{workload} events"))
            ));
        }
        if stats.implausible > 0 {
            warnings.push(format!(
                "{}: the delay is over {}, longer than the audit log takes (a wrong date?); left out of the delay figures.",
                plural(stats.implausible as usize, &format!("{workload} event"), &format!("{workload} events")),
                human_duration(super::delays::MAX_PLAUSIBLE_DELAY_SECONDS)
            ));
        }
    }
    warnings
}

/// Why delays could not be measured, where they could not: `known` delays measured or bounded
/// in all, over inputs of these `formats` (`inputs` of them); `blind`, the workloads with none.
pub(crate) fn delay_note(
    formats: &[&str],
    inputs: usize,
    can_bound: bool,
    known: u64,
    blind: &[&str],
) -> Option<String> {
    if known > 0 {
        return (!blind.is_empty()).then(|| {
            format!(
                "No arrival information for {} events: the inputs give arrival times for other workloads only.",
                blind.join(", ")
            )
        });
    }
    let mut note = format!(
        "The delay between an event and its arrival in the log cannot be measured from these inputs: {} exports record only when each action happened.",
        if formats.is_empty() { "these".to_owned() } else { formats.join(", ") }
    );
    if inputs >= 2 && !can_bound {
        note.push_str(" Several files were given, but not with different export times (give --exported-at FILE=TIME, or keep the files' modification times).");
    }
    note.push_str(
        " To measure it: in Microsoft Sentinel export OfficeActivity with `| extend IngestionTime = ingestion_time()`; \
         or keep the Management Activity API's contentCreated with each record; \
         or export the same search twice, some hours apart, and load both files: records that appear only in the later export arrived in between.",
    );
    Some(note)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_read_like_sentences() {
        assert_eq!(join_list(vec!["a".into()]), "a");
        assert_eq!(join_list(vec!["a".into(), "b".into(), "c".into()]), "a, b and c");
        let set: BTreeSet<String> = crate::sorting::set_of(["a", "b", "c", "d"].iter().map(|s| s.to_string()));
        assert_eq!(names(&set, 2), "a, b and 2 others");
    }

    #[test]
    fn groups_match_their_mailbox_by_alias_or_name() {
        assert!(group_matches("MVPtweets", "mvptweets@contoso.com"));
        assert!(group_matches("MVP tweets", "mvptweets@contoso.com"));
        assert!(!group_matches("Sales", "mvptweets@contoso.com"));
    }
}
