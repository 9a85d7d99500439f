//! The one event model every export format is read into.
//!
//! Every format (Purview CSV, Management API JSON, Sentinel, …) carries the same
//! underlying Unified Audit Log record under different names and shapes; the
//! ingest layer maps them all onto [`AuditEvent`], so the classifier and the
//! report never see where a record came from except through [`SourceRef`].

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Where a record was read: which input (by index in the analysis) and which line.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SourceRef {
    /// Index of the input in [`crate::Analysis`]'s source list.
    pub file: u32,
    /// 1-based line on which the record starts (CSV row or JSON record).
    pub line: u64,
}

/// The three send operations the classifier attributes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
pub enum SendOperation {
    /// `SendAs`: a message sent as though it came from another mailbox.
    SendAs,
    /// `SendOnBehalf`: a message sent on behalf of another mailbox (the recipient sees both).
    SendOnBehalf,
    /// `Send`: an ordinary send (logged for Audit Premium / E5 mailboxes only).
    Send,
}

impl SendOperation {
    /// Recognises an operation name, ignoring case. `None` for every non-send operation.
    pub fn parse(operation: &str) -> Option<Self> {
        if operation.eq_ignore_ascii_case("SendAs") {
            Some(Self::SendAs)
        } else if operation.eq_ignore_ascii_case("SendOnBehalf") {
            Some(Self::SendOnBehalf)
        } else if operation.eq_ignore_ascii_case("Send") {
            Some(Self::Send)
        } else {
            None
        }
    }

    /// The operation's name as the audit log spells it.
    pub fn name(self) -> &'static str {
        match self {
            Self::SendAs => "SendAs",
            Self::SendOnBehalf => "SendOnBehalf",
            Self::Send => "Send",
        }
    }
}

/// Who really performed a send, as decided by the classifier.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum SendClass {
    /// An Office 365 Connector writing cards into a Group mailbox under its creator's name.
    Connector,
    /// A system identity or a Microsoft datacenter service.
    System,
    /// An application or service principal (Graph, Power Automate, background REST).
    Application,
    /// An administrator acting on someone's mailbox.
    Admin,
    /// The mailbox's own owner.
    Owner,
    /// A person acting on another mailbox through a mail client.
    Delegate,
    /// The evidence did not decide; never guessed.
    Unknown,
}

impl SendClass {
    /// Every class, in the order reports list them.
    pub const ALL: [SendClass; 7] =
        [Self::Connector, Self::System, Self::Application, Self::Admin, Self::Owner, Self::Delegate, Self::Unknown];

    /// Lower-case name used in JSON, CLI output and `data-testid`s.
    pub fn name(self) -> &'static str {
        match self {
            Self::Connector => "connector",
            Self::System => "system",
            Self::Application => "application",
            Self::Admin => "admin",
            Self::Owner => "owner",
            Self::Delegate => "delegate",
            Self::Unknown => "unknown",
        }
    }

    /// Position in [`SendClass::ALL`], for per-class count arrays.
    pub fn index(self) -> usize {
        self as usize
    }
}

/// Exchange mailbox `LogonType` (Management Activity API schema enum).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum LogonType {
    /// 0: the mailbox owner.
    Owner,
    /// 1: a person with administrative privileges for the mailbox.
    Admin,
    /// 2: a person with delegate privileges (Search-MailboxAuditLog says `Delegate`).
    Delegated,
    /// 3: a transport service in the Microsoft datacenter.
    Transport,
    /// 4: a service account in the Microsoft datacenter.
    SystemService,
    /// 5: reserved for internal use.
    BestAccess,
    /// 6: a delegated administrator.
    DelegatedAdmin,
}

impl LogonType {
    /// Reads a number (`2`), a number as text (`"2"`) or a name (`Delegate`, `Delegated`), ignoring case.
    pub fn parse(value: &str) -> Option<Self> {
        let value = value.trim();
        Some(match value.to_ascii_lowercase().as_str() {
            "0" | "owner" => Self::Owner,
            "1" | "admin" => Self::Admin,
            "2" | "delegate" | "delegated" => Self::Delegated,
            "3" | "transport" => Self::Transport,
            "4" | "systemservice" => Self::SystemService,
            "5" | "bestaccess" => Self::BestAccess,
            "6" | "delegatedadmin" => Self::DelegatedAdmin,
            _ => return None,
        })
    }

    /// The schema's name for this value.
    pub fn name(self) -> &'static str {
        match self {
            Self::Owner => "Owner",
            Self::Admin => "Admin",
            Self::Delegated => "Delegated",
            Self::Transport => "Transport",
            Self::SystemService => "SystemService",
            Self::BestAccess => "BestAccess",
            Self::DelegatedAdmin => "DelegatedAdmin",
        }
    }
}

/// The audit record's `UserType` (Management Activity API schema enum).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum UserType {
    /// 0: a regular user.
    Regular,
    /// 1: reserved.
    Reserved,
    /// 2: an administrator in the tenant.
    Admin,
    /// 3: a Microsoft datacenter administrator.
    DcAdmin,
    /// 4: triggered by server-side logic.
    System,
    /// 5: triggered by a Microsoft Entra application.
    Application,
    /// 6: a service principal.
    ServicePrincipal,
    /// 7: a custom policy.
    CustomPolicy,
    /// 8: a system policy.
    SystemPolicy,
    /// 9: a partner technician.
    PartnerTechnician,
    /// 10: a guest.
    Guest,
}

impl UserType {
    /// Reads a number, a number as text or a name, ignoring case.
    pub fn parse(value: &str) -> Option<Self> {
        Some(match value.trim().to_ascii_lowercase().as_str() {
            "0" | "regular" => Self::Regular,
            "1" | "reserved" => Self::Reserved,
            "2" | "admin" => Self::Admin,
            "3" | "dcadmin" => Self::DcAdmin,
            "4" | "system" => Self::System,
            "5" | "application" => Self::Application,
            "6" | "serviceprincipal" => Self::ServicePrincipal,
            "7" | "custompolicy" => Self::CustomPolicy,
            "8" | "systempolicy" => Self::SystemPolicy,
            "9" | "partnertechnician" => Self::PartnerTechnician,
            "10" | "guest" => Self::Guest,
            _ => return None,
        })
    }

    /// The schema's name for this value.
    pub fn name(self) -> &'static str {
        match self {
            Self::Regular => "Regular",
            Self::Reserved => "Reserved",
            Self::Admin => "Admin",
            Self::DcAdmin => "DcAdmin",
            Self::System => "System",
            Self::Application => "Application",
            Self::ServicePrincipal => "ServicePrincipal",
            Self::CustomPolicy => "CustomPolicy",
            Self::SystemPolicy => "SystemPolicy",
            Self::PartnerTechnician => "PartnerTechnician",
            Self::Guest => "Guest",
        }
    }
}

/// What told us when a record reached the log.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ArrivalSource {
    /// A Log Analytics ingestion-time column (`ingestion_time()`, `_TimeReceived`, `IngestionTime`).
    IngestionTime,
    /// The Management Activity API content blob's `contentCreated`, carried on the record.
    ContentCreated,
}

/// A change of owners on an Office 365 Group, read from an admin or directory record.
///
/// The field report's proof that connector cards are stamped with the connector's
/// creator, not the group owner, was an owner change: the stamp did not move.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OwnerChange {
    /// The group as the record names it (alias, display name or address).
    pub group: String,
    /// Accounts added as owners.
    pub added: Vec<String>,
    /// Accounts removed as owners.
    pub removed: Vec<String>,
}

/// One audit record, whatever export it came from.
///
/// Send-type events (`SendAs`, `SendOnBehalf`, `Send`) carry every field below. Other events
/// carry only what the report uses (id, time, record type, workload, operation, arrival, source,
/// and the actor and change of a group owner change): a tenant export is mostly file and
/// sign-in activity, and those fields would be allocated and dropped a million times.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct AuditEvent {
    /// The record's unique `Id` (`RecordId`, `Identity`, Graph `id`), when the export has one.
    pub id: Option<String>,
    /// When the audited action happened (`CreationTime`), UTC.
    pub time: DateTime<Utc>,
    /// Record type by name (`ExchangeItem`), numbers translated.
    pub record_type: Option<String>,
    /// Workload (`Exchange`, `SharePoint`, `AzureActiveDirectory`, …), `Unknown` when absent.
    pub workload: String,
    /// The operation (`SendAs`, `FileAccessed`, …).
    pub operation: String,
    /// The acting identity as stamped (`UserId`; for connector cards, the connector's creator).
    pub actor: Option<String>,
    /// The acting identity's SID (`LogonUserSid`).
    pub actor_sid: Option<String>,
    /// `MailboxOwnerUPN`: the mailbox the action was logged against.
    pub mailbox_owner: Option<String>,
    /// `MailboxOwnerSid`.
    pub mailbox_owner_sid: Option<String>,
    /// `SendAsUserSmtp`: the mailbox impersonated by a SendAs.
    pub send_as: Option<String>,
    /// `SendOnBehalfOfUserSmtp`: the mailbox a SendOnBehalf was sent for.
    pub send_on_behalf: Option<String>,
    /// `ClientInfoString`.
    pub client_info: Option<String>,
    /// `LogonType`, when it is one the schema defines.
    pub logon_type: Option<LogonType>,
    /// `UserType`, when it is one the schema defines.
    pub user_type: Option<UserType>,
    /// `AppId`.
    pub app_id: Option<String>,
    /// `ClientAppId` (or `AppAccessContext.ClientAppId`).
    pub client_app_id: Option<String>,
    /// Client IP without any port or brackets.
    pub client_ip: Option<String>,
    /// The message subject (`Item.Subject`, `ItemName`, `ItemSubject`).
    pub subject: Option<String>,
    /// `ObjectId`.
    pub object_id: Option<String>,
    /// When the record reached the log, where the input says.
    pub arrived: Option<DateTime<Utc>>,
    /// What [`AuditEvent::arrived`] was read from.
    pub arrival_source: Option<ArrivalSource>,
    /// A group owner change this record describes, if any.
    pub owner_change: Option<OwnerChange>,
    /// Where the record was read.
    pub source: SourceRef,
    /// The record as it stood in the export (JSON text); kept for send-type events only.
    pub raw: Option<String>,
}

/// Longest value an analysis keeps of any field: real ones are addresses, ids and client
/// strings of tens of bytes; a hostile export can make one megabytes long, record after record.
pub const MAX_KEPT_VALUE_BYTES: usize = 1024;

/// Longest raw record kept for the detail view (real records are a few kilobytes; Excel cuts
/// a cell at 32,767 characters).
pub const MAX_KEPT_RAW_BYTES: usize = 256 * 1024;

/// Cuts `value` to at most `max` bytes (at a character boundary), marked with its full length.
/// Returns whether it was cut.
pub fn cut_to(value: &mut String, max: usize) -> bool {
    if value.len() <= max {
        return false;
    }
    let mut end = max;
    while !value.is_char_boundary(end) {
        end -= 1;
    }
    // A new string, not the old one truncated: shrinking in place leaves each kept head
    // pinning its megabytes' block, and the allocator cannot reuse the holes around them.
    *value = format!("{}… [cut: {} bytes]", &value[..end], value.len());
    true
}

impl AuditEvent {
    /// Cuts every kept value to [`MAX_KEPT_VALUE_BYTES`] and the raw record to
    /// [`MAX_KEPT_RAW_BYTES`]; returns how many were cut.
    pub fn cut_long_values(&mut self) -> u64 {
        let mut cut = 0;
        let fields = [
            &mut self.id,
            &mut self.record_type,
            &mut self.actor,
            &mut self.actor_sid,
            &mut self.mailbox_owner,
            &mut self.mailbox_owner_sid,
            &mut self.send_as,
            &mut self.send_on_behalf,
            &mut self.client_info,
            &mut self.app_id,
            &mut self.client_app_id,
            &mut self.client_ip,
            &mut self.subject,
            &mut self.object_id,
        ];
        for value in fields.into_iter().flatten() {
            cut += u64::from(cut_to(value, MAX_KEPT_VALUE_BYTES));
        }
        cut += u64::from(cut_to(&mut self.workload, MAX_KEPT_VALUE_BYTES));
        cut += u64::from(cut_to(&mut self.operation, MAX_KEPT_VALUE_BYTES));
        if let Some(change) = &mut self.owner_change {
            for value in std::iter::once(&mut change.group).chain(&mut change.added).chain(&mut change.removed) {
                cut += u64::from(cut_to(value, MAX_KEPT_VALUE_BYTES));
            }
        }
        if let Some(raw) = &mut self.raw {
            cut += u64::from(cut_to(raw, MAX_KEPT_RAW_BYTES));
        }
        cut
    }

    /// The send operation this record is, if any.
    pub fn send_operation(&self) -> Option<SendOperation> {
        SendOperation::parse(&self.operation)
    }

    /// The mailbox a send acted on: the impersonated or represented mailbox when the
    /// record names one, else the mailbox it was logged against.
    pub fn target_mailbox(&self) -> Option<&str> {
        self.send_as
            .as_deref()
            .or(self.send_on_behalf.as_deref())
            .or(self.mailbox_owner.as_deref())
            .filter(|s| !s.is_empty())
    }
}

/// Record types by number, for exports that give `RecordType` as an integer.
///
/// From the Management Activity API schema's `AuditLogRecordType` enum; the
/// types this product meets most often. Unlisted numbers are kept as digits.
pub const RECORD_TYPES: &[(u32, &str)] = &[
    (1, "ExchangeAdmin"),
    (2, "ExchangeItem"),
    (3, "ExchangeItemGroup"),
    (4, "SharePoint"),
    (6, "SharePointFileOperation"),
    (7, "OneDrive"),
    (8, "AzureActiveDirectory"),
    (9, "AzureActiveDirectoryAccountLogon"),
    (10, "DataCenterSecurityCmdlet"),
    (11, "ComplianceDLPSharePoint"),
    (13, "ComplianceDLPExchange"),
    (14, "SharePointSharingOperation"),
    (15, "AzureActiveDirectoryStsLogon"),
    (18, "SecurityComplianceCenterEOPCmdlet"),
    (19, "ExchangeAggregatedOperation"),
    (20, "PowerBIAudit"),
    (25, "MicrosoftTeams"),
    (28, "ThreatIntelligence"),
    (30, "MicrosoftFlow"),
    (36, "SharePointListOperation"),
    (40, "SecurityComplianceAlerts"),
    (50, "ExchangeItemAggregated"),
    (52, "ComplianceSupervisionExchange"),
    (64, "AirInvestigation"),
    (68, "ComplianceSupervisionExchange"),
    (75, "MipAutoLabelExchangeItem"),
    (101, "ExchangeSearch"),
];

/// Normalises a record type given as a number, a number as text, or a name.
pub fn record_type_name(value: &str) -> String {
    let value = value.trim();
    if let Ok(n) = value.parse::<u32>() {
        if let Some((_, name)) = RECORD_TYPES.iter().find(|(k, _)| *k == n) {
            return (*name).to_string();
        }
        return value.to_string();
    }
    // Graph spells names in camelCase (`exchangeItem`); match the schema's spelling.
    if let Some((_, name)) = RECORD_TYPES.iter().find(|(_, name)| name.eq_ignore_ascii_case(value)) {
        return (*name).to_string();
    }
    value.to_string()
}

/// Workload implied by a record type name, for exports that carry no `Workload` field.
pub fn workload_for_record_type(record_type: &str) -> Option<&'static str> {
    let lower = record_type.to_ascii_lowercase();
    let workload = if lower.starts_with("exchange") || lower.contains("exchange") {
        "Exchange"
    } else if lower.starts_with("sharepoint") {
        "SharePoint"
    } else if lower.starts_with("onedrive") {
        "OneDrive"
    } else if lower.starts_with("azureactivedirectory") {
        "AzureActiveDirectory"
    } else if lower.starts_with("microsoftteams") {
        "MicrosoftTeams"
    } else if lower.starts_with("powerbi") {
        "PowerBI"
    } else if lower.starts_with("microsoftflow") {
        "MicrosoftFlow"
    } else {
        return None;
    };
    Some(workload)
}

/// Removes a port (`1.2.3.4:5678`, `[2603:10b6::7]:443`) and brackets from a client IP.
pub fn normalise_ip(value: &str) -> String {
    let value = value.trim();
    if let Some(rest) = value.strip_prefix('[') {
        if let Some(end) = rest.find(']') {
            return rest[..end].to_string();
        }
    }
    // Exactly one colon means IPv4 with a port; IPv6 has several.
    if value.matches(':').count() == 1 {
        if let Some((host, _)) = value.split_once(':') {
            return host.to_string();
        }
    }
    value.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logon_type_reads_numbers_strings_and_names() {
        assert_eq!(LogonType::parse("2"), Some(LogonType::Delegated));
        assert_eq!(LogonType::parse("Delegate"), Some(LogonType::Delegated));
        assert_eq!(LogonType::parse("delegatedadmin"), Some(LogonType::DelegatedAdmin));
        assert_eq!(LogonType::parse("9"), None);
    }

    #[test]
    fn record_types_translate_numbers_and_camel_case() {
        assert_eq!(record_type_name("2"), "ExchangeItem");
        assert_eq!(record_type_name("exchangeItem"), "ExchangeItem");
        assert_eq!(record_type_name("999"), "999");
        assert_eq!(workload_for_record_type("SharePointFileOperation"), Some("SharePoint"));
    }

    #[test]
    fn client_ips_lose_ports_and_brackets() {
        assert_eq!(normalise_ip("185.73.124.135:19823"), "185.73.124.135");
        assert_eq!(normalise_ip("2603:10b6:930:3d::7"), "2603:10b6:930:3d::7");
        assert_eq!(normalise_ip("[2603:10b6::7]:443"), "2603:10b6::7");
    }
}
