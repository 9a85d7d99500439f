//! `sendas-lens kql`: the rule table as KQL for Sentinel or Defender XDR.

use sendas_core::classify::RuleSet;
use sendas_core::kql::{classify_query, delays_query, Target};

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
    /// A rules file (the JSON `sendas-lens rules --json` prints, with a tenant's own rules) instead
    /// of the built-in rules.
    #[arg(long, value_name = "FILE")]
    pub rules: Option<std::path::PathBuf>,
}

/// The query's text.
pub fn query(args: &KqlArgs, rules: &RuleSet) -> Result<String, String> {
    let target = match args.target {
        TargetArg::Sentinel => Target::Sentinel,
        TargetArg::Defender => Target::Defender,
    };
    let text = match args.query {
        QueryArg::Classify => classify_query(rules, target),
        QueryArg::Delays => delays_query(target),
    };
    text.map_err(|e| e.to_string())
}
