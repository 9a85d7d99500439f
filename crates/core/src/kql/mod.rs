//! The rule table as KQL, for the engines that already hold a tenant's whole audit log:
//! Microsoft Sentinel / Log Analytics (`OfficeActivity`) and Defender XDR advanced hunting
//! (`CloudAppEvents`). Generated from the same [`RuleSet`] the app and the CLI classify with,
//! never copied by hand: each rule's [`Condition`](crate::classify::Condition) becomes a KQL
//! condition ([`compile`]), and the rules become one `case()`, first match wins.
//!
//! The translation is checked two ways: Microsoft's own Kusto parser finds no error in any
//! generated query (`tests/kql/`, in Node), and every rule's KQL condition, evaluated the way
//! Kusto evaluates it ([`Expr::eval`]), agrees with the Rust rule on every fixture's sends
//! (`crates/core/tests/kql.rs`). The tuned alert ([`alert_query`]) leaves out the same noise
//! classes the app's alert panel does.
//!
//! ```
//! use sendas_core::classify::RuleSet;
//! use sendas_core::kql::{classify_query, Target};
//!
//! let kql = classify_query(&RuleSet::default(), Target::Sentinel).unwrap();
//! assert!(kql.starts_with("// SendAs Lens"));
//! assert!(kql.contains("OfficeActivity"));
//! assert!(kql.contains(r#"ClientInfoString contains "ConnectorWorkProvider", "connector-work-provider""#));
//! ```

mod compile;
mod expr;

pub use compile::{column, compile, logon_type_names, user_type_names};
pub use expr::{literal, Column, Expr};

use crate::classify::RuleSet;
use crate::model::{AuditEvent, SendClass, SendOperation};
use crate::report::{AlertRule, MAX_PLAUSIBLE_DELAY_SECONDS, NOISE_CLASSES};

/// Where a query runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Target {
    /// Microsoft Sentinel / Log Analytics: the `OfficeActivity` table.
    Sentinel,
    /// Defender XDR advanced hunting: the `CloudAppEvents` table.
    Defender,
}

impl Target {
    /// The target's name on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Self::Sentinel => "sentinel",
            Self::Defender => "defender",
        }
    }

    /// The table the query reads.
    pub fn table(self) -> &'static str {
        match self {
            Self::Sentinel => "OfficeActivity",
            Self::Defender => "CloudAppEvents",
        }
    }

    /// The event time column.
    pub fn time_column(self) -> &'static str {
        match self {
            Self::Sentinel => "TimeGenerated",
            Self::Defender => "Timestamp",
        }
    }
}

/// Why a query could not be generated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KqlError {
    /// A rule's name or value holds a control character, which a KQL literal cannot carry
    /// safely on one line.
    ControlCharacter {
        /// The rule.
        rule: String,
    },
    /// The query is not available for the target.
    NotAvailable {
        /// Why.
        reason: &'static str,
    },
}

impl std::fmt::Display for KqlError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::ControlCharacter { rule } => write!(
                f,
                "rule {}: a name or value holds a control character, which KQL cannot carry safely",
                crate::display::visible(rule)
            ),
            Self::NotAvailable { reason } => f.write_str(reason),
        }
    }
}

impl std::error::Error for KqlError {}

/// The operations the rules classify, as the table filter.
const SEND_OPERATIONS: [SendOperation; 3] = [SendOperation::SendAs, SendOperation::SendOnBehalf, SendOperation::Send];

/// The `where`/`extend` lines that bring a target's table to the columns the rules read.
fn preamble(target: Target, operations: &[SendOperation]) -> String {
    let ops: Vec<String> = operations.iter().map(|o| literal(o.name())).collect();
    let normalise = |input: &str, names: Vec<(&'static str, Vec<&'static str>)>| {
        let arms: Vec<String> = names
            .into_iter()
            .map(|(name, spellings)| {
                let spellings: Vec<String> = spellings.into_iter().map(literal).collect();
                format!("{input} in~ ({}), {}", spellings.join(", "), literal(name))
            })
            .collect();
        format!("case({}, \"\")", arms.join(", "))
    };
    let mut out = String::new();
    let (logon_type, user_type) = match target {
        Target::Sentinel => {
            out.push_str(&format!("{}\n| where Operation in~ ({})\n", target.table(), ops.join(", ")));
            ("Logon_Type", "UserType")
        }
        Target::Defender => {
            out.push_str(&format!("{}\n| where ActionType in~ ({})\n", target.table(), ops.join(", ")));
            // The Exchange fields sit in the dynamic RawEventData, with the Management API's names.
            let fields = [
                "UserId",
                "LogonUserSid",
                "ClientInfoString",
                "AppId",
                "ClientAppId",
                "MailboxOwnerUPN",
                "MailboxOwnerSid",
                "SendAsUserSmtp",
                "SendOnBehalfOfUserSmtp",
            ];
            let extends: Vec<String> = fields.iter().map(|f| format!("{f} = tostring(RawEventData.{f})")).collect();
            out.push_str(&format!("| extend {}\n", extends.join(",\n    ")));
            ("tostring(RawEventData.LogonType)", "tostring(RawEventData.UserType)")
        }
    };
    out.push_str(&format!(
        "| extend SendAsLensLogonType = {},\n    SendAsLensUserType = {}\n",
        normalise(logon_type, logon_type_names()),
        normalise(user_type, user_type_names())
    ));
    out.push_str(
        "| extend SendAsLensMailbox = coalesce(SendAsUserSmtp, SendOnBehalfOfUserSmtp, MailboxOwnerUPN),\n    SendAsLensAppId = coalesce(AppId, ClientAppId)\n",
    );
    out
}

/// The `extend` lines that label each row with its rule and class, first match wins.
fn classification(rules: &RuleSet, target: Target) -> Result<String, KqlError> {
    let mut arms = Vec::new();
    for rule in &rules.rules {
        let expr = compile(&rule.condition);
        let control = |s: &str| s.chars().any(char::is_control);
        if control(&rule.name) || expr.values().into_iter().any(control) {
            return Err(KqlError::ControlCharacter { rule: rule.name.clone() });
        }
        arms.push(format!("    {}, {}", expr.render(target), literal(&rule.name)));
    }
    let mut out = format!("| extend SendAsLensRule = case(\n{},\n    \"\")\n", arms.join(",\n"));
    let class_arms: Vec<String> = SendClass::ALL
        .iter()
        .filter_map(|class| {
            let names: Vec<String> =
                rules.rules.iter().filter(|r| r.class == *class).map(|r| literal(&r.name)).collect();
            (!names.is_empty())
                .then(|| format!("    SendAsLensRule in ({}), {}", names.join(", "), literal(class.name())))
        })
        .collect();
    out.push_str(&format!("| extend SendAsLensClass = case(\n{},\n    \"unknown\")\n", class_arms.join(",\n")));
    Ok(out)
}

/// Comment lines naming what a query is, and the rules it was made from.
fn header(what: &str, rules: Option<&RuleSet>) -> String {
    let mut out = format!("// SendAs Lens {}: {what}\n", env!("CARGO_PKG_VERSION"));
    if let Some(rules) = rules {
        out.push_str("// Generated from the rule table (first match wins); regenerate it rather than edit it:\n");
        for (i, rule) in rules.rules.iter().enumerate() {
            // Names come from tenant rules: shown, never able to end the comment line.
            out.push_str(&format!(
                "//   {}. {} -> {}\n",
                i + 1,
                crate::display::visible(&rule.name),
                rule.class.name()
            ));
        }
    }
    out
}

/// Every send-type event of the table, labelled with its class and the rule that decided it,
/// exactly as [`RuleSet::classify`] decides. Sentinel's result, exported as CSV, loads back into
/// SendAs Lens (it keeps the columns the app reads, and the ingestion time).
pub fn classify_query(rules: &RuleSet, target: Target) -> Result<String, KqlError> {
    let mut out = header("who really sent as whom, each send-type event labelled", Some(rules));
    out.push_str(&preamble(target, &SEND_OPERATIONS));
    out.push_str(&classification(rules, target)?);
    out.push_str(match target {
        Target::Sentinel => "| project TimeGenerated, IngestionTime = ingestion_time(), OfficeId, OfficeWorkload, RecordType, Operation, UserId, UserType, Logon_Type, LogonUserSid, ClientIP, ClientInfoString, MailboxOwnerUPN, MailboxOwnerSid, SendAsUserSmtp, SendOnBehalfOfUserSmtp, AppId, ClientAppId, ItemName, SendAsLensClass, SendAsLensRule\n",
        Target::Defender => "| project Timestamp, ReportId, ActionType, AccountDisplayName, UserId, LogonUserSid, ClientInfoString, SendAsLensLogonType, SendAsLensUserType, AppId, ClientAppId, MailboxOwnerUPN, SendAsUserSmtp, SendOnBehalfOfUserSmtp, RawEventData, SendAsLensClass, SendAsLensRule\n",
    });
    Ok(out)
}

/// The tuned alert rule: the rule's operations (and actor or mailbox), at least `threshold`
/// events in fixed windows aligned to multiples of their length in UTC (`bin()`), with the
/// connector and system sends left out, as decided by the same rule table. The suggested
/// exclusion of [`AlertRule::evaluate`], as a scheduled analytics rule runs it.
pub fn alert_query(rules: &RuleSet, target: Target, alert: &AlertRule) -> Result<String, KqlError> {
    let control = |s: &Option<String>| s.as_deref().is_some_and(|v| v.chars().any(char::is_control));
    if control(&alert.actor) || control(&alert.mailbox) {
        return Err(KqlError::ControlCharacter { rule: "the alert's actor or mailbox".into() });
    }
    let window = alert.window_seconds.max(1);
    let mut out = header(
        &format!(
            "the alert tuned on your data: {} or more of {} in {window} s windows, connector and system sends left out",
            alert.threshold.max(1),
            alert.operations.iter().map(|o| o.name()).collect::<Vec<_>>().join(", ")
        ),
        Some(rules),
    );
    out.push_str(&preamble(target, &alert.operations));
    out.push_str(&classification(rules, target)?);
    let noise: Vec<String> = NOISE_CLASSES.iter().map(|c| literal(c.name())).collect();
    out.push_str(&format!(
        "| where SendAsLensClass !in ({})
",
        noise.join(", ")
    ));
    if let Some(actor) = &alert.actor {
        out.push_str(&format!(
            "| where UserId =~ {}
",
            literal(actor)
        ));
    }
    if let Some(mailbox) = &alert.mailbox {
        out.push_str(&format!(
            "| where SendAsLensMailbox =~ {}
",
            literal(mailbox)
        ));
    }
    out.push_str(&format!(
        "| summarize Events = count(), Senders = make_set(UserId, 10), Classes = make_set(SendAsLensClass) by Window = bin({}, {window}s)\n| where Events >= {}\n",
        target.time_column(),
        alert.threshold.max(1)
    ));
    Ok(out)
}

/// How late the log is, per workload: the delay between each event and its arrival in the
/// workspace (`ingestion_time() - TimeGenerated`), with the percentiles the app shows. Arrivals
/// before the event and delays over 30 days are counted apart, as the app counts them.
/// Sentinel only: advanced hunting has no ingestion time.
pub fn delays_query(target: Target) -> Result<String, KqlError> {
    if target == Target::Defender {
        return Err(KqlError::NotAvailable {
            reason: "the delay query is for Sentinel: Defender advanced hunting has no ingestion time",
        });
    }
    let mut out = header("how late the audit log is, per workload (event time to arrival in the workspace)", None);
    let table = Target::Sentinel.table();
    out.push_str(&format!(
        "{table}\n\
         | where TimeGenerated > ago(7d)\n\
         | extend DelaySeconds = datetime_diff('second', ingestion_time(), TimeGenerated)\n\
         | extend Plausible = DelaySeconds between (0 .. {MAX_PLAUSIBLE_DELAY_SECONDS})\n\
         | summarize Events = count(), ArrivedBeforeEvent = countif(DelaySeconds < 0), OverThirtyDays = countif(DelaySeconds > {MAX_PLAUSIBLE_DELAY_SECONDS}),\n    \
         percentiles(iff(Plausible, DelaySeconds, long(null)), 50, 90, 99), MaxSeconds = maxif(DelaySeconds, Plausible) by OfficeWorkload\n\
         | order by OfficeWorkload asc\n"
    ));
    Ok(out)
}

/// The value a table row holds in `column` for an event read from an export: the model the
/// translation is checked on (a Sentinel or Defender row of the same record holds the same
/// values, the enums by the schema's name once the query has normalised them).
pub fn row_value(event: &AuditEvent, column: Column) -> String {
    let text = |v: Option<&str>| v.unwrap_or_default().to_owned();
    match column {
        Column::UserId => text(event.actor.as_deref()),
        Column::LogonUserSid => text(event.actor_sid.as_deref()),
        Column::ClientInfoString => text(event.client_info.as_deref()),
        Column::LogonType => text(event.logon_type.map(|l| l.name())),
        Column::UserType => text(event.user_type.map(|u| u.name())),
        Column::AppId => text(event.app_id.as_deref().or(event.client_app_id.as_deref())),
        Column::Mailbox => text(event.target_mailbox()),
        Column::MailboxOwnerUpn => text(event.mailbox_owner.as_deref()),
        Column::MailboxOwnerSid => text(event.mailbox_owner_sid.as_deref()),
        Column::SendAsUserSmtp => text(event.send_as.as_deref()),
        Column::SendOnBehalfOfUserSmtp => text(event.send_on_behalf.as_deref()),
        Column::Operation => event.operation.clone(),
    }
}
