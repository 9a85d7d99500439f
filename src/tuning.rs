//! The alert-tuning and KQL panels' inputs as plain data, and the pure functions that read them
//! into the core's types: an [`AlertForm`] into an [`AlertRule`], a target and a query choice
//! into the KQL the core generates ([`kql`]). Tested natively below; the components in
//! `src/components/alert_panel.rs` and `kql_panel.rs` only render and dispatch.

use sendas_core::classify::RuleSet;
use sendas_core::kql::{alert_query, classify_query, delays_query, Target};
use sendas_core::model::SendOperation;
use sendas_core::report::{parse_alert_window, AlertRule, ALERT_WINDOWS};

/// The operations the alert panel offers, in the order it lists them (and builds the rule).
pub const OPERATIONS: [SendOperation; 3] = [SendOperation::SendAs, SendOperation::SendOnBehalf, SendOperation::Send];

/// What the alert panel's inputs hold, as typed: [`AlertForm::rule`] reads it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AlertForm {
    /// The operations ticked, in [`OPERATIONS`] order.
    pub operations: Vec<SendOperation>,
    /// The threshold field's text.
    pub threshold: String,
    /// The window's name, one of [`ALERT_WINDOWS`] (`15m`, `1h`, `2h`, `1d`).
    pub window: String,
    /// The actor field (empty: any actor).
    pub actor: String,
    /// The mailbox field (empty: any mailbox).
    pub mailbox: String,
}

impl Default for AlertForm {
    /// The core's default alert (the field report's): every `SendAs`, one is enough, one hour.
    fn default() -> Self {
        let rule = AlertRule::default();
        let window = ALERT_WINDOWS.iter().find(|(_, seconds)| *seconds == rule.window_seconds).map_or("1h", |(n, _)| n);
        Self {
            operations: rule.operations,
            threshold: rule.threshold.to_string(),
            window: window.to_owned(),
            actor: rule.actor.unwrap_or_default(),
            mailbox: rule.mailbox.unwrap_or_default(),
        }
    }
}

impl AlertForm {
    /// The form with `operation` ticked or not; the operations stay in [`OPERATIONS`] order.
    pub fn with_operation(&self, operation: SendOperation, on: bool) -> Self {
        let operations =
            OPERATIONS.into_iter().filter(|o| if *o == operation { on } else { self.operations.contains(o) }).collect();
        Self { operations, ..self.clone() }
    }

    /// The alert rule the form describes, or what is wrong with it, in a sentence. The actor and
    /// mailbox are trimmed (a stray space would match nothing); empty means any.
    pub fn rule(&self) -> Result<AlertRule, String> {
        if self.operations.is_empty() {
            return Err("Tick at least one operation for the alert to watch.".to_owned());
        }
        let threshold = match self.threshold.trim().parse::<u64>() {
            Ok(n) if n >= 1 => n,
            _ => return Err("The threshold is a whole number of events, 1 or more.".to_owned()),
        };
        let window_seconds = parse_alert_window(&self.window).ok_or_else(|| {
            let names: Vec<&str> = ALERT_WINDOWS.iter().map(|(name, _)| *name).collect();
            format!("The window is one of {}.", names.join(", "))
        })?;
        let optional = |text: &str| Some(text.trim()).filter(|t| !t.is_empty()).map(str::to_owned);
        Ok(AlertRule {
            operations: OPERATIONS.into_iter().filter(|o| self.operations.contains(o)).collect(),
            actor: optional(&self.actor),
            mailbox: optional(&self.mailbox),
            threshold,
            window_seconds,
        })
    }
}

/// A window's name ([`ALERT_WINDOWS`]) in words.
pub fn window_label(name: &str) -> String {
    match name {
        "15m" => "15 minutes".to_owned(),
        "1h" => "1 hour".to_owned(),
        "2h" => "2 hours".to_owned(),
        "1d" => "1 day".to_owned(),
        other => other.to_owned(),
    }
}

/// Which query the KQL panel shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum QueryKind {
    /// Every send-type event labelled with its class ([`classify_query`]).
    Classify,
    /// How late the log is, per workload ([`delays_query`]; Sentinel only).
    Delays,
    /// The alert tuned in the alert panel ([`alert_query`]).
    Alert,
}

impl QueryKind {
    /// Every query, in the order the panel offers them.
    pub const ALL: [Self; 3] = [Self::Classify, Self::Delays, Self::Alert];

    /// The name the CLI's `--query` takes.
    pub fn name(self) -> &'static str {
        match self {
            Self::Classify => "classify",
            Self::Delays => "delays",
            Self::Alert => "alert",
        }
    }

    /// The query named `name` ([`QueryKind::name`]).
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|q| q.name() == name)
    }
}

/// Every target, in the order the panel offers them.
pub const TARGETS: [Target; 2] = [Target::Sentinel, Target::Defender];

/// The target named `name` ([`Target::name`], the CLI's `--target`).
pub fn target_named(name: &str) -> Option<Target> {
    TARGETS.into_iter().find(|t| t.name() == name)
}

/// The query's text as the core generates it from `rules` (the rule table the sends were
/// classified with), or why there is none: the delay query on Defender (advanced hunting has no
/// ingestion time), or an alert form that does not read.
pub fn kql(
    rules: &RuleSet,
    target: Target,
    query: QueryKind,
    alert: &Result<AlertRule, String>,
) -> Result<String, String> {
    let text = match query {
        QueryKind::Classify => classify_query(rules, target),
        QueryKind::Delays => delays_query(target),
        QueryKind::Alert => match alert {
            Ok(alert) => alert_query(rules, target, alert),
            Err(why) => return Err(format!("The alert settings above do not read yet: {why}")),
        },
    };
    text.map_err(|e| e.to_string())
}

/// The file the Download button saves a query as: `sendas-lens-<target>-<query>.kql`.
pub fn kql_file_name(target: Target, query: QueryKind) -> String {
    format!("sendas-lens-{}-{}.kql", target.name(), query.name())
}

#[cfg(test)]
mod tests {
    use super::*;
    use sendas_core::report::NOISE_CLASSES;

    #[test]
    fn the_default_form_is_the_cores_default_alert() {
        assert_eq!(AlertForm::default().rule(), Ok(AlertRule::default()));
        assert_eq!(AlertForm::default().window, "1h");
    }

    #[test]
    fn thresholds_are_whole_numbers_from_one() {
        let with = |t: &str| AlertForm { threshold: t.into(), ..AlertForm::default() }.rule().map(|r| r.threshold);
        assert_eq!(with("2"), Ok(2));
        assert_eq!(with(" 12 "), Ok(12));
        assert_eq!(with("18446744073709551615"), Ok(u64::MAX));
        for bad in ["", "0", "-1", "1.5", "1e3", "two", "18446744073709551616"] {
            assert!(with(bad).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn every_offered_window_reads_and_nothing_else() {
        for (name, seconds) in ALERT_WINDOWS {
            let form = AlertForm { window: name.into(), ..AlertForm::default() };
            assert_eq!(form.rule().map(|r| r.window_seconds), Ok(seconds));
            assert_ne!(window_label(name), name, "{name} has words");
        }
        for bad in ["", "30m", "1H", "3600"] {
            let form = AlertForm { window: bad.into(), ..AlertForm::default() };
            assert!(form.rule().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn operations_keep_the_panels_order_and_one_is_needed() {
        let form = AlertForm::default()
            .with_operation(SendOperation::Send, true)
            .with_operation(SendOperation::SendAs, false)
            .with_operation(SendOperation::SendOnBehalf, true)
            .with_operation(SendOperation::SendAs, true);
        assert_eq!(form.rule().unwrap().operations, OPERATIONS);
        let none = OPERATIONS.into_iter().fold(form, |f, op| f.with_operation(op, false));
        assert!(none.operations.is_empty());
        assert!(none.rule().unwrap_err().contains("at least one operation"));
    }

    #[test]
    fn actor_and_mailbox_are_trimmed_and_empty_means_any() {
        let form = AlertForm { actor: "  kim@contoso.com ".into(), mailbox: " \t ".into(), ..AlertForm::default() };
        let rule = form.rule().unwrap();
        assert_eq!(rule.actor.as_deref(), Some("kim@contoso.com"));
        assert_eq!(rule.mailbox, None);
    }

    #[test]
    fn the_panels_kql_is_the_cores_from_the_same_rules() {
        let rules = RuleSet::default();
        let alert = AlertForm { threshold: "3".into(), window: "15m".into(), ..AlertForm::default() }.rule();
        for target in TARGETS {
            assert_eq!(target_named(target.name()), Some(target));
            assert_eq!(kql(&rules, target, QueryKind::Classify, &alert), Ok(classify_query(&rules, target).unwrap()));
            let tuned = kql(&rules, target, QueryKind::Alert, &alert).unwrap();
            assert_eq!(tuned, alert_query(&rules, target, alert.as_ref().unwrap()).unwrap());
            assert!(NOISE_CLASSES.iter().all(|c| tuned.contains(&format!("\"{}\"", c.name()))));
            assert!(tuned.contains("900s"), "{tuned}");
        }
        assert_eq!(
            kql(&rules, Target::Sentinel, QueryKind::Delays, &alert),
            Ok(delays_query(Target::Sentinel).unwrap())
        );
        let defender = kql(&rules, Target::Defender, QueryKind::Delays, &alert).unwrap_err();
        assert!(defender.contains("no ingestion time"), "{defender}");
        let broken = AlertForm { threshold: "0".into(), ..AlertForm::default() }.rule();
        assert!(kql(&rules, Target::Sentinel, QueryKind::Alert, &broken).unwrap_err().contains("threshold"));
        // A control character cannot reach a KQL literal: the core refuses it, the panel says why.
        let control = AlertForm { actor: "a\u{7}b".into(), ..AlertForm::default() }.rule();
        assert!(kql(&rules, Target::Sentinel, QueryKind::Alert, &control).is_err());
        assert_eq!(target_named("splunk"), None);
    }

    #[test]
    fn queries_have_names_and_file_names() {
        for query in QueryKind::ALL {
            assert_eq!(QueryKind::parse(query.name()), Some(query));
        }
        assert_eq!(QueryKind::parse("Classify"), None);
        assert_eq!(kql_file_name(Target::Defender, QueryKind::Alert), "sendas-lens-defender-alert.kql");
    }
}
