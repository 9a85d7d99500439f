//! `sendas-lens kql`: the rule table as KQL for Sentinel or Defender XDR.

use sendas_core::classify::RuleSet;
use sendas_core::kql::{alert_query, classify_query, delays_query, Target};

/// Where the query runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum TargetArg {
    /// Microsoft Sentinel / Log Analytics: the OfficeActivity table.
    Sentinel,
    /// Defender XDR advanced hunting: the CloudAppEvents table.
    Defender,
}

/// Which query.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum QueryArg {
    /// Every send-type event labelled with its class and the rule that decided it.
    Classify,
    /// How late the log is: arrival delay percentiles per workload (Sentinel only).
    Delays,
    /// The alert tuned on your data: the alert flags below, connector and system sends left out.
    Alert,
}

/// The arguments of `kql`.
#[derive(clap::Args, Debug)]
pub struct KqlArgs {
    /// Where the query runs.
    #[arg(long, value_enum)]
    pub target: TargetArg,
    /// Which query.
    #[arg(long, value_enum, default_value = "classify")]
    pub query: QueryArg,
    #[command(flatten)]
    pub rules: crate::RulesArg,
    /// The alert (with `--query alert`).
    #[command(flatten)]
    pub alert: crate::alerts::AlertRuleArgs,
}

/// The query's text.
pub fn query(args: &KqlArgs, rules: &RuleSet) -> Result<String, crate::Fatal> {
    let target = match args.target {
        TargetArg::Sentinel => Target::Sentinel,
        TargetArg::Defender => Target::Defender,
    };
    let text = match args.query {
        QueryArg::Classify => classify_query(rules, target),
        QueryArg::Delays => delays_query(target),
        QueryArg::Alert => alert_query(rules, target, &args.alert.to_rule()?),
    };
    text.map_err(|e| crate::Fatal(e.to_string()))
}
