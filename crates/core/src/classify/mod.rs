//! The shared classifier: who really performed each send.
//!
//! Rules are data ([`Rule`]: a name, the class it assigns, a plain-language
//! explanation and a [`Condition`] tree), evaluated in order, first match
//! wins. The UI lists them from the same table, and a tenant can add its own
//! (they deserialize from JSON). Every decision carries its [`Evidence`]: the
//! rule and the field values that made its condition true.

mod clients;
mod first_party;
mod rules;
mod rules_file;

use serde::{Deserialize, Serialize};

use crate::model::{AuditEvent, SendClass};
pub use clients::{client_name, mail_client_markers, ClientMarker, CLIENT_MARKERS};
pub use first_party::{FirstPartyApp, FIRST_PARTY_MAIL_CLIENTS};
pub use rules::default_rules;
pub use rules_file::RulesFileError;

/// A field of an event a condition can test.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    /// `UserId`: the stamped actor.
    Actor,
    /// `LogonUserSid`.
    ActorSid,
    /// `ClientInfoString`.
    ClientInfo,
    /// `LogonType`, by schema name (`Delegated`, `Admin`, …).
    LogonType,
    /// `UserType`, by schema name (`Application`, `System`, …).
    UserType,
    /// `AppId`, else `ClientAppId`.
    AppId,
    /// The mailbox the send acted on (`SendAsUserSmtp`, `SendOnBehalfOfUserSmtp`, else `MailboxOwnerUPN`).
    Mailbox,
    /// `MailboxOwnerUPN`.
    MailboxOwner,
    /// The operation.
    Operation,
}

impl Field {
    /// The audit log's name for the field, as evidence shows it.
    pub fn label(self) -> &'static str {
        match self {
            Self::Actor => "UserId",
            Self::ActorSid => "LogonUserSid",
            Self::ClientInfo => "ClientInfoString",
            Self::LogonType => "LogonType",
            Self::UserType => "UserType",
            Self::AppId => "AppId",
            Self::Mailbox => "Mailbox",
            Self::MailboxOwner => "MailboxOwnerUPN",
            Self::Operation => "Operation",
        }
    }

    /// The field's value on an event, if present.
    pub fn value(self, event: &AuditEvent) -> Option<&str> {
        let value = match self {
            Self::Actor => event.actor.as_deref(),
            Self::ActorSid => event.actor_sid.as_deref(),
            Self::ClientInfo => event.client_info.as_deref(),
            Self::LogonType => event.logon_type.map(|l| l.name()),
            Self::UserType => event.user_type.map(|u| u.name()),
            Self::AppId => event.app_id.as_deref().or(event.client_app_id.as_deref()),
            Self::Mailbox => event.target_mailbox(),
            Self::MailboxOwner => event.mailbox_owner.as_deref(),
            Self::Operation => Some(event.operation.as_str()),
        };
        value.filter(|v| !v.is_empty())
    }
}

/// A test on an event. Text comparisons ignore ASCII case.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Condition {
    /// The field contains one of these substrings.
    Contains {
        /// Field tested.
        field: Field,
        /// Substrings, any of which matches.
        any_of: Vec<String>,
    },
    /// The field equals one of these values.
    Equals {
        /// Field tested.
        field: Field,
        /// Values, any of which matches.
        any_of: Vec<String>,
    },
    /// The field starts with one of these prefixes.
    StartsWith {
        /// Field tested.
        field: Field,
        /// Prefixes, any of which matches.
        any_of: Vec<String>,
    },
    /// The field ends with one of these suffixes (a domain: `@contoso.com`).
    EndsWith {
        /// Field tested.
        field: Field,
        /// Suffixes, any of which matches.
        any_of: Vec<String>,
    },
    /// The field is present and equals none of these values.
    PresentAndNotIn {
        /// Field tested.
        field: Field,
        /// Values that do not match.
        values: Vec<String>,
    },
    /// The actor is the owner of the mailbox acted on: same SID, or same address.
    ActorOwnsMailbox,
    /// Actor and mailbox are both known and differ.
    ActorIsNotMailbox,
    /// Always holds; records the field's value as evidence when it has one (what a rule
    /// attributes the send to, e.g. the stamped account and the Group mailbox of a connector card).
    Note {
        /// Field recorded.
        field: Field,
        /// Why it matters.
        because: String,
    },
    /// Every condition holds.
    All(Vec<Condition>),
    /// At least one condition holds (evidence from the first that does).
    Any(Vec<Condition>),
    /// The condition does not hold.
    Not(Box<Condition>),
}

/// One fact that decided a classification.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evidence {
    /// The field (`ClientInfoString`, `LogonType`, …).
    pub field: String,
    /// Its value on the event (empty when the evidence is an absence).
    pub value: String,
    /// What about the value mattered (`contains ConnectorWorkProvider`).
    pub test: String,
}

impl std::fmt::Display for Evidence {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}={} ({})", self.field, self.value, self.test)
    }
}

fn lower_contains(haystack: &str, needle: &str) -> bool {
    haystack.to_ascii_lowercase().contains(&needle.to_ascii_lowercase())
}

impl Condition {
    /// Evaluates the condition; `Some(evidence)` when it holds.
    pub fn eval(&self, event: &AuditEvent) -> Option<Vec<Evidence>> {
        let fact = |field: Field, value: &str, test: String| Evidence {
            field: field.label().to_owned(),
            value: value.to_owned(),
            test,
        };
        match self {
            Self::Contains { field, any_of } => {
                let value = field.value(event)?;
                let hit = any_of.iter().find(|n| lower_contains(value, n))?;
                Some(vec![fact(*field, value, format!("contains {hit}"))])
            }
            Self::Equals { field, any_of } => {
                let value = field.value(event)?;
                let hit = any_of.iter().find(|n| n.eq_ignore_ascii_case(value))?;
                Some(vec![fact(*field, value, format!("is {hit}"))])
            }
            Self::StartsWith { field, any_of } => {
                let value = field.value(event)?;
                let lower = value.to_ascii_lowercase();
                let hit = any_of.iter().find(|p| lower.starts_with(&p.to_ascii_lowercase()))?;
                Some(vec![fact(*field, value, format!("starts with {hit}"))])
            }
            Self::EndsWith { field, any_of } => {
                let value = field.value(event)?;
                let lower = value.to_ascii_lowercase();
                let hit = any_of.iter().find(|p| lower.ends_with(&p.to_ascii_lowercase()))?;
                Some(vec![fact(*field, value, format!("ends with {hit}"))])
            }
            Self::PresentAndNotIn { field, values } => {
                let value = field.value(event)?;
                if values.iter().any(|v| v.eq_ignore_ascii_case(value)) {
                    return None;
                }
                Some(vec![fact(*field, value, "is not a first-party mail client".to_owned())])
            }
            Self::ActorOwnsMailbox => actor_owns_mailbox(event),
            Self::ActorIsNotMailbox => {
                let actor = Field::Actor.value(event)?;
                let mailbox = Field::Mailbox.value(event)?;
                if actor.eq_ignore_ascii_case(mailbox) {
                    return None;
                }
                Some(vec![
                    fact(Field::Actor, actor, "is the acting account".to_owned()),
                    fact(Field::Mailbox, mailbox, "is another mailbox".to_owned()),
                ])
            }
            Self::Note { field, because } => {
                Some(field.value(event).map(|v| vec![fact(*field, v, because.clone())]).unwrap_or_default())
            }
            Self::All(conditions) => {
                let mut all = Vec::new();
                for condition in conditions {
                    all.extend(condition.eval(event)?);
                }
                Some(all)
            }
            Self::Any(conditions) => conditions.iter().find_map(|c| c.eval(event)),
            Self::Not(condition) => match condition.eval(event) {
                Some(_) => None,
                None => Some(Vec::new()),
            },
        }
    }
}

fn actor_owns_mailbox(event: &AuditEvent) -> Option<Vec<Evidence>> {
    let fact = |field: &str, value: &str, test: &str| Evidence {
        field: field.to_owned(),
        value: value.to_owned(),
        test: test.to_owned(),
    };
    // A send naming another mailbox (SendAsUserSmtp / SendOnBehalfOfUserSmtp) is judged on that
    // mailbox: the SIDs of the session's own mailbox say nothing about it.
    let names_target = event.send_as.is_some() || event.send_on_behalf.is_some();
    if !names_target {
        if let (Some(actor_sid), Some(owner_sid)) = (event.actor_sid.as_deref(), event.mailbox_owner_sid.as_deref()) {
            if !actor_sid.is_empty() && actor_sid.eq_ignore_ascii_case(owner_sid) {
                return Some(vec![
                    fact("LogonUserSid", actor_sid, "equals MailboxOwnerSid"),
                    fact("MailboxOwnerSid", owner_sid, "equals LogonUserSid"),
                ]);
            }
        }
    }
    let actor = Field::Actor.value(event)?;
    let mailbox = Field::Mailbox.value(event)?;
    if actor.eq_ignore_ascii_case(mailbox) {
        return Some(vec![
            fact("UserId", actor, "is the mailbox's own address"),
            fact("Mailbox", mailbox, "equals UserId"),
        ]);
    }
    None
}

/// One classification rule.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rule {
    /// Short stable name (`connector-work-provider`).
    pub name: String,
    /// The class a match assigns.
    pub class: SendClass,
    /// Why the rule holds, for the UI and the evidence list.
    pub explanation: String,
    /// When it matches.
    pub condition: Condition,
}

/// The outcome of classifying one send.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Classification {
    /// The class.
    pub class: SendClass,
    /// The rule that decided (`None` for the `unknown` fall-through).
    pub rule: Option<String>,
    /// The facts behind it.
    pub evidence: Vec<Evidence>,
    /// The deciding rule is the tenant's own, not one SendAs Lens ships (the evidence and the
    /// table say so).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub tenant_rule: bool,
}

impl Classification {
    /// Evidence as the CLI prints it: the rule first, then each fact.
    pub fn evidence_lines(&self) -> Vec<String> {
        let mut lines = Vec::with_capacity(self.evidence.len() + 1);
        lines.push(match &self.rule {
            Some(rule) if self.tenant_rule => format!("rule {rule} (the tenant's own rule)"),
            Some(rule) => format!("rule {rule}"),
            None => "no rule matched".to_owned(),
        });
        lines.extend(self.evidence.iter().map(|e| e.to_string()));
        lines
    }
}

/// The rules SendAs Lens ships, to tell a tenant's own from them.
static BUILT_IN: std::sync::LazyLock<Vec<Rule>> = std::sync::LazyLock::new(default_rules);

/// A way a rule table departs from the built-in rules.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Departure {
    /// A built-in rule, by name, is not in the table.
    LeftOut(String),
    /// A built-in rule's name is in the table with another class, explanation or condition.
    Changed(String),
}

/// An ordered rule table.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleSet {
    /// Rules, tried in order.
    pub rules: Vec<Rule>,
}

impl Default for RuleSet {
    fn default() -> Self {
        Self { rules: default_rules() }
    }
}

impl RuleSet {
    /// Classifies one send-type event: the first rule that matches, else `unknown`.
    ///
    /// ```
    /// use sendas_core::classify::RuleSet;
    /// use sendas_core::ingest::{EventSink, Ingestor, RowError};
    /// use sendas_core::model::{AuditEvent, SendClass};
    ///
    /// // An event as an export gives it: read one record.
    /// struct One(Option<AuditEvent>);
    /// impl EventSink for One {
    ///     fn event(&mut self, event: AuditEvent) { self.0 = Some(event) }
    ///     fn rejected(&mut self, error: RowError) { panic!("{error:?}") }
    /// }
    /// let card = br#"{"CreationTime":"2026-11-20T09:00:00","Operation":"SendAs","UserId":"tony@contoso.com",
    ///     "ClientInfoString":"Client=REST;ConnectorWorkProvider","MailboxOwnerUPN":"mvptweets@contoso.com"}"#;
    /// let mut one = One(None);
    /// let mut ingestor = Ingestor::new(0);
    /// ingestor.push(card, &mut one).unwrap();
    /// ingestor.finish(&mut one).unwrap();
    ///
    /// let decided = RuleSet::default().classify(&one.0.unwrap());
    /// assert_eq!(decided.class, SendClass::Connector);
    /// assert_eq!(decided.rule.as_deref(), Some("connector-work-provider"));
    /// assert_eq!(decided.evidence_lines()[1], "ClientInfoString=Client=REST;ConnectorWorkProvider (contains ConnectorWorkProvider)");
    /// ```
    pub fn classify(&self, event: &AuditEvent) -> Classification {
        for rule in &self.rules {
            if let Some(evidence) = rule.condition.eval(event) {
                let tenant_rule = !BUILT_IN.contains(rule);
                return Classification { class: rule.class, rule: Some(rule.name.clone()), evidence, tenant_rule };
            }
        }
        Classification { class: SendClass::Unknown, rule: None, evidence: Vec::new(), tenant_rule: false }
    }

    /// How this table departs from the rules SendAs Lens ships: a built-in rule left out or
    /// changed is never silent (the report warns).
    pub fn departures(&self) -> Vec<Departure> {
        let mut out = Vec::new();
        for built_in in BUILT_IN.iter() {
            match self.rules.iter().find(|r| r.name == built_in.name) {
                None => out.push(Departure::LeftOut(built_in.name.clone())),
                Some(rule) if rule != built_in => out.push(Departure::Changed(built_in.name.clone())),
                Some(_) => {}
            }
        }
        out
    }

    /// The tenant's own rules (neither built in nor a changed built-in rule).
    pub fn tenant_rules(&self) -> impl Iterator<Item = &Rule> {
        self.rules.iter().filter(|r| !BUILT_IN.iter().any(|b| b.name == r.name))
    }
}

#[cfg(test)]
mod tests;
