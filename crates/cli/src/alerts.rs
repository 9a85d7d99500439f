//! `sendas-lens alerts`: how an alert on send events would have fired over these exports, how
//! many of its alerts only connector cards and system identities set off, the exclusion that
//! silences those, and how early each alert could have fired given how late the log is. The
//! numbers are the core's (`AlertRule::evaluate`), the ones the app shows for the same files.

use sendas_core::display::{to_json, visible as v};
use sendas_core::model::{SendClass, SendOperation};
use sendas_core::report::{parse_alert_window, AlertReport, AlertRule, AlertWindow, ClassCounts, FireBasis};

use crate::{analyse, ExportArgs, Fatal};

/// Windows the text lists (the JSON lists every one).
const SHOWN_WINDOWS: usize = 50;

#[derive(clap::Args, Debug)]
pub struct AlertsArgs {
    #[command(flatten)]
    exports: ExportArgs,
    #[command(flatten)]
    rule: AlertRuleArgs,
    /// Print one JSON object (the rule, the counts, the suggested exclusion and every window
    /// that fires) instead of text.
    #[arg(long)]
    json: bool,
}

/// The alert condition, as `alerts` evaluates it and `kql --query alert` writes it.
#[derive(clap::Args, Debug)]
pub struct AlertRuleArgs {
    /// An operation the alert watches: SendAs, SendOnBehalf or Send. Repeat it to watch several;
    /// without it, SendAs.
    #[arg(long = "operation", value_name = "OPERATION")]
    operations: Vec<String>,
    /// Only sends stamped with this actor (the whole value, ignoring case), as the charts name
    /// it; a connector card is stamped with the connector's creator.
    #[arg(long, value_name = "ACTOR")]
    actor: Option<String>,
    /// Only sends as or on behalf of this mailbox (the whole value, ignoring case); a connector
    /// card's mailbox is the Group mailbox it went into.
    #[arg(long, value_name = "MAILBOX")]
    mailbox: Option<String>,
    /// How many matching events in one window make the alert fire (1 or more).
    #[arg(long, value_name = "N", default_value_t = 1)]
    threshold: u64,
    /// The alert's window: 15m, 1h, 2h or 1d. Windows are fixed, aligned to multiples of their
    /// length in UTC.
    #[arg(long, value_name = "LENGTH", default_value = "1h")]
    window: String,
}

impl AlertRuleArgs {
    /// The flags as the core's alert rule; a flag it cannot use is a one-line error.
    pub fn to_rule(&self) -> Result<AlertRule, Fatal> {
        let window_seconds = parse_alert_window(&self.window)
            .ok_or_else(|| Fatal(format!("--window {:?}: expected 15m, 1h, 2h or 1d", self.window)))?;
        if self.threshold == 0 {
            return Err(Fatal("--threshold 0: an alert fires on 1 or more events".to_owned()));
        }
        let mut operations = Vec::new();
        for name in &self.operations {
            let operation = SendOperation::parse(name)
                .ok_or_else(|| Fatal(format!("--operation {name:?}: expected SendAs, SendOnBehalf or Send")))?;
            if !operations.contains(&operation) {
                operations.push(operation);
            }
        }
        if operations.is_empty() {
            operations.push(SendOperation::SendAs);
        }
        Ok(AlertRule {
            operations,
            actor: self.actor.clone(),
            mailbox: self.mailbox.clone(),
            threshold: self.threshold,
            window_seconds,
        })
    }
}

/// Reads the files and returns what to print.
pub fn run(args: &AlertsArgs) -> Result<String, Fatal> {
    // The flags first: a typo should not cost a read of every file.
    let rule = args.rule.to_rule()?;
    let result = analyse(&args.exports, true, !args.json)?;
    // The exclusion comes from the rules the sends were classified with, a tenant's own included.
    let report = rule.evaluate(&result.sends, &result.rules);
    Ok(if args.json { format!("{}\n", to_json(&report, true)) } else { text(&report, &args.rule.window) })
}

/// Non-zero classes, in report order: `connector 10, delegate 2`.
fn classes(counts: &ClassCounts) -> String {
    let parts: Vec<String> = SendClass::ALL
        .iter()
        .filter(|c| counts.get(**c) > 0)
        .map(|c| format!("{} {}", c.name(), counts.get(*c)))
        .collect();
    if parts.is_empty() {
        "none".to_owned()
    } else {
        parts.join(", ")
    }
}

fn fire(alert: &AlertWindow) -> String {
    let at = &alert.earliest_fire;
    match alert.fire_basis {
        FireBasis::Measured => format!("fired at {at}"),
        FireBasis::Bounded => format!("fired at {at} at the earliest (delays bounded between exports)"),
        FireBasis::EventTime => format!("fired at {at} at the earliest (arrival times unknown)"),
    }
}

/// The text summary. Actor, mailbox and the exclusion (tenant rules) are shown through `visible`.
fn text(report: &AlertReport, window: &str) -> String {
    let rule = &report.rule;
    let operations: Vec<&str> = rule.operations.iter().map(|o| o.name()).collect();
    let filter = |what: &str, value: &Option<String>| match value {
        Some(value) => format!("{what} {}", v(value)),
        None => format!("any {what}"),
    };
    let mut out = String::new();
    let mut line = |text: String| {
        out.push_str(&text);
        out.push('\n');
    };
    line("SendAs Lens alert tuning".to_owned());
    line(String::new());
    line(format!(
        "Alert: {}, {}, {}; fires on {} or more in a {window} window (UTC)",
        operations.join(" or "),
        filter("actor", &rule.actor),
        filter("mailbox", &rule.mailbox),
        rule.threshold,
    ));
    line(format!("Matching events: {} ({})", report.events.total(), classes(&report.events)));
    line(format!("Alerts fired: {}", report.alerts_fired));
    line(format!("  only because of connector or system noise: {}", report.alerts_noise_only));
    line(format!("  still firing after the suggested exclusion: {}", report.alerts_after_exclusion));
    line(format!("  sends that are not noise the exclusion would hide: {}", report.person_events_lost));
    line(String::new());
    if report.exclusion.is_empty() {
        line("Suggested exclusion: none (the rule table has no connector or system rule)".to_owned());
    } else {
        let names: Vec<String> = report.exclusion_rules.iter().map(|n| v(n).into_owned()).collect();
        line(format!("Suggested exclusion (rules {}):", names.join(", ")));
        line(format!("  {}", v(&report.exclusion)));
    }
    line(
        "Application sends are never excluded: an app sending as a mailbox is what an illicit-consent attack \
         looks like."
            .to_owned(),
    );
    if !report.alerts.is_empty() {
        line(String::new());
        line("Windows that fire".to_owned());
        for alert in report.alerts.iter().take(SHOWN_WINDOWS) {
            let noise = if alert.noise_only { "  noise only" } else { "" };
            line(format!("  {}  {}{noise}; {}", alert.window_start, classes(&alert.events), fire(alert)));
        }
        if report.alerts.len() > SHOWN_WINDOWS {
            line(format!("  … and {} more (--json lists every one)", report.alerts.len() - SHOWN_WINDOWS));
        }
    }
    out
}
