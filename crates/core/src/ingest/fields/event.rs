//! Record → event: what one record becomes (a full [`AuditEvent`] for sends and group owner
//! changes, a borrowed [`PlainRecord`] for the rest), or why it cannot be read.

use serde::Deserialize;

use super::date_order::{resolve_time, DateOrderHint, MappingNotes};
use super::record::{pick, RecordFields};
use super::vocabulary::FieldId;
use crate::ingest::error::RowErrorKind;
use crate::ingest::sink::PlainRecord;
use crate::model::{
    normalise_ip, record_type_name, workload_for_record_type, ArrivalSource, AuditEvent, LogonType, OwnerChange,
    SendOperation, SourceRef, UserType,
};

/// What building an event needs besides the fields.
pub(crate) struct EventContext<'c> {
    pub source: SourceRef,
    /// The record's text, kept on send-type events for the UI.
    pub raw: &'c dyn Fn() -> String,
}

/// Operations whose records need every detail: sends (classified and kept whole) and group
/// owner changes (their parameters are read). Every other record only feeds counts and delays,
/// and may take the fast lane.
pub(crate) fn reads_details(operation: &str) -> bool {
    SendOperation::parse(operation).is_some() || OWNER_OPERATIONS.iter().any(|op| op.eq_ignore_ascii_case(operation))
}

/// Owners named per change; the rest are counted.
const MAX_LISTED_OWNERS: usize = 100;

const OWNER_OPERATIONS: [&str; 4] =
    ["Add-UnifiedGroupLinks", "Remove-UnifiedGroupLinks", "Add owner to group.", "Remove owner from group."];

fn owned(value: Option<&str>) -> Option<String> {
    value.map(str::to_owned)
}

/// Builds the event for one record, or says why it cannot.
/// What one record becomes: a full event, or, for the records an analysis only counts, the few
/// fields it needs, borrowed from the input.
pub(crate) enum Built<'a> {
    /// A send or a group owner change.
    Event(Box<AuditEvent>),
    /// Anything else.
    Plain(PlainRecord<'a>),
}

pub(crate) fn build_event<'a>(
    outer: &'a RecordFields<'_>,
    ctx: &EventContext<'_>,
    hint: &mut DateOrderHint,
    notes: &mut MappingNotes,
) -> Result<Built<'a>, RowErrorKind> {
    if let Some((kind, _)) = &outer.inner_error {
        return Err(kind.clone());
    }
    let inner = outer.inner.as_deref();
    let f = |field| pick(outer, inner, field);

    let operation = f(FieldId::Operation).ok_or(RowErrorKind::MissingField { field: "Operation".into() })?;
    let time = resolve_time(outer, inner, hint, notes)?;

    let record_type = f(FieldId::RecordType);
    let workload = f(FieldId::Workload).unwrap_or_else(|| {
        record_type.map(record_type_name).as_deref().and_then(workload_for_record_type).unwrap_or("Unknown")
    });
    // Graph's envelope `userId` is an object id; its `userPrincipalName` is the name people know.
    let actor = inner
        .and_then(|i| i.get(FieldId::UserId))
        .or_else(|| outer.get(FieldId::UserPrincipalName))
        .or_else(|| outer.get(FieldId::UserId))
        .or_else(|| f(FieldId::LogonUserDisplayName));
    let (arrived, arrival_source) = match f(FieldId::IngestionTime) {
        Some(text) => (Some(hint.parse_field(text, "ingestion time")?), Some(ArrivalSource::IngestionTime)),
        None => match f(FieldId::ContentCreated) {
            Some(text) => (Some(hint.parse_field(text, "contentCreated")?), Some(ArrivalSource::ContentCreated)),
            None => (None, None),
        },
    };
    let is_send = SendOperation::parse(operation).is_some();
    let owner_change = if reads_details(operation) { owner_change(operation, outer, inner) } else { None };
    let plain = PlainRecord {
        id: f(FieldId::Id),
        time,
        record_type,
        workload,
        operation,
        arrived: arrived.zip(arrival_source),
        source: ctx.source,
    };
    // Most records are not sends: they feed counts and delays only, and are handed over as
    // they are, borrowed (no allocation per field for the million file reads of a tenant export).
    if !is_send && owner_change.is_none() {
        return Ok(Built::Plain(plain));
    }
    let mut event = plain.to_event();
    if owner_change.is_some() {
        event.actor = owned(actor);
        event.object_id = owned(f(FieldId::ObjectId));
        event.owner_change = owner_change;
    }
    if is_send {
        event.actor = owned(actor);
        event.actor_sid = owned(f(FieldId::ActorSid));
        event.mailbox_owner = owned(f(FieldId::MailboxOwnerUpn).or_else(|| f(FieldId::MailboxResolvedOwnerName)));
        event.mailbox_owner_sid = owned(f(FieldId::MailboxOwnerSid));
        event.send_as = owned(f(FieldId::SendAsSmtp));
        event.send_on_behalf = owned(f(FieldId::SendOnBehalfSmtp));
        event.client_info = owned(f(FieldId::ClientInfo));
        event.logon_type = f(FieldId::LogonType).and_then(LogonType::parse);
        event.user_type = f(FieldId::UserType).and_then(UserType::parse);
        event.app_id = owned(f(FieldId::AppId));
        event.client_app_id = owned(f(FieldId::ClientAppId).or_else(|| f(FieldId::ContextClientAppId)));
        event.client_ip = f(FieldId::ClientIp).or_else(|| f(FieldId::ClientIpAddress)).map(normalise_ip);
        event.subject = owned(f(FieldId::Subject));
        event.object_id = owned(f(FieldId::ObjectId));
        event.raw = Some((ctx.raw)());
    }
    Ok(Built::Event(Box::new(event)))
}

#[derive(Deserialize)]
struct NameValue {
    #[serde(alias = "name")]
    #[serde(rename = "Name")]
    name: String,
    #[serde(alias = "value", alias = "NewValue", alias = "newValue")]
    #[serde(rename = "Value", default)]
    value: serde_json::Value,
}

fn value_text(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::String(s) => s.trim().trim_matches('"').to_owned(),
        other => other.to_string(),
    }
}

/// Reads a group owner change from Exchange admin (`Add-UnifiedGroupLinks -LinkType Owners`)
/// or directory (`Add owner to group.`) records.
fn owner_change(operation: &str, outer: &RecordFields<'_>, inner: Option<&RecordFields<'_>>) -> Option<OwnerChange> {
    let f = |field| pick(outer, inner, field);
    let parse_pairs = |field| -> Vec<NameValue> {
        f(field).and_then(|raw| serde_json::from_str::<Vec<NameValue>>(raw).ok()).unwrap_or_default()
    };
    let op = operation.to_ascii_lowercase();
    // A list of members can be millions long in a hostile record: the first are kept, the rest
    // counted.
    let split = |s: &str| -> Vec<String> {
        let mut names = s.split([',', ';']).map(str::trim).filter(|p| !p.is_empty());
        let mut kept: Vec<String> = names.by_ref().take(MAX_LISTED_OWNERS).map(str::to_owned).collect();
        let more = names.count();
        if more > 0 {
            kept.push(format!("… and {more} more"));
        }
        kept
    };
    match op.as_str() {
        "add-unifiedgrouplinks" | "remove-unifiedgrouplinks" => {
            let params = parse_pairs(FieldId::Parameters);
            let get =
                |name: &str| params.iter().find(|p| p.name.eq_ignore_ascii_case(name)).map(|p| value_text(&p.value));
            if !get("LinkType")?.eq_ignore_ascii_case("Owners") {
                return None;
            }
            let group = get("Identity")?;
            let links = split(&get("Links").unwrap_or_default());
            let adding = op.starts_with("add");
            Some(OwnerChange {
                group,
                added: if adding { links.clone() } else { Vec::new() },
                removed: if adding { Vec::new() } else { links },
            })
        }
        "add owner to group." | "remove owner from group." => {
            let props = parse_pairs(FieldId::ModifiedProperties);
            let group = props
                .iter()
                .find(|p| p.name.eq_ignore_ascii_case("Group.DisplayName"))
                .map(|p| value_text(&p.value))?;
            let who: Vec<String> = f(FieldId::ObjectId).map(|s| vec![s.to_owned()]).unwrap_or_default();
            let adding = op.starts_with("add");
            Some(OwnerChange {
                group,
                added: if adding { who.clone() } else { Vec::new() },
                removed: if adding { Vec::new() } else { who },
            })
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::error::JsonPart;
    use crate::ingest::fields::{json_error_kind, parse_record};

    fn event(text: &str) -> Result<AuditEvent, RowErrorKind> {
        let fields = parse_record(text).map_err(|e| json_error_kind(&e, text, JsonPart::Record))?;
        let raw = || text.to_owned();
        let ctx = EventContext { source: SourceRef { file: 0, line: 1 }, raw: &raw };
        match build_event(&fields, &ctx, &mut DateOrderHint::default(), &mut MappingNotes::default())? {
            Built::Event(event) => Ok(*event),
            Built::Plain(plain) => Ok(plain.to_event()),
        }
    }

    #[test]
    fn reads_a_flat_record_with_numbers_as_strings() {
        let e = event(
            r#"{"CreationTime":"2026-01-24T06:54:24","Id":"x","Operation":"SendAs","RecordType":"2",
            "LogonType":"2","UserType":0,"UserId":"a@c.com","ClientIP":"1.2.3.4:55","Item":{"Subject":"hi","Id":"no"},
            "AppAccessContext":{"ClientAppId":"app"},"Nested":{"Operation":"ignored"}}"#,
        )
        .unwrap();
        assert_eq!(e.record_type.as_deref(), Some("ExchangeItem"));
        assert_eq!(e.workload, "Exchange");
        assert_eq!(e.logon_type, Some(LogonType::Delegated));
        assert_eq!(e.user_type, Some(UserType::Regular));
        assert_eq!(e.client_ip.as_deref(), Some("1.2.3.4"));
        assert_eq!(e.subject.as_deref(), Some("hi"));
        assert_eq!(e.client_app_id.as_deref(), Some("app"));
        assert_eq!(e.operation, "SendAs");
        assert!(e.raw.is_some());
    }

    #[test]
    fn reads_wrapped_records_with_auditdata_as_object_or_text() {
        let as_object = event(
            r#"{"CreationDate":"\/Date(1700000000000)\/","UserIds":"env@c.com","Operations":"Send",
            "AuditData":{"CreationTime":"2023-11-14T22:13:20","UserId":"inner@c.com","Operation":"Send"}}"#,
        )
        .unwrap();
        assert_eq!(as_object.actor.as_deref(), Some("inner@c.com"));
        let as_text = event(
            r#"{"CreationDate":"2023-11-14T22:13:20Z","Operations":"Send",
            "AuditData":"{\"CreationTime\":\"2023-11-14T22:13:20\",\"UserId\":\"inner@c.com\"}"}"#,
        )
        .unwrap();
        assert_eq!(as_text.actor.as_deref(), Some("inner@c.com"));
        assert_eq!(as_text.operation, "Send");
    }

    #[test]
    fn graph_envelopes_prefer_the_principal_name() {
        let e = event(r#"{"id":"g1","createdDateTime":"2026-01-24T06:54:24Z","auditLogRecordType":"exchangeItem",
            "operation":"SendAs","userId":"0f1e-guid","userPrincipalName":"pat@c.com","service":"Exchange","auditData":{"ClientInfoString":"Client=OWA"}}"#).unwrap();
        assert_eq!(e.actor.as_deref(), Some("pat@c.com"));
        assert_eq!(e.id.as_deref(), Some("g1"));
        assert_eq!(e.client_info.as_deref(), Some("Client=OWA"));
    }

    #[test]
    fn missing_fields_and_bad_json_are_explained() {
        assert_eq!(
            event(r#"{"CreationTime":"2026-01-24T06:54:24"}"#),
            Err(RowErrorKind::MissingField { field: "Operation".into() })
        );
        assert_eq!(event(r#"{"Operation":"Send"}"#), Err(RowErrorKind::MissingField { field: "CreationTime".into() }));
        assert!(matches!(
            event(r#"{"Operation":"Send","CreationTime":"soon"}"#),
            Err(RowErrorKind::BadTimestamp { .. })
        ));
        assert_eq!(event(r#"{"Operation":"Send""#), Err(RowErrorKind::TruncatedJson));
        assert_eq!(event("[1,2]"), Err(RowErrorKind::NotAnObject));
    }

    #[test]
    fn owner_changes_are_read_from_admin_and_directory_records() {
        let admin = event(r#"{"CreationTime":"2026-01-24T06:54:24","Operation":"Add-UnifiedGroupLinks","Workload":"Exchange",
            "Parameters":[{"Name":"Identity","Value":"MVPtweets"},{"Name":"LinkType","Value":"Owners"},{"Name":"Links","Value":"kim@c.com"}]}"#).unwrap();
        assert_eq!(
            admin.owner_change,
            Some(OwnerChange { group: "MVPtweets".into(), added: vec!["kim@c.com".into()], removed: vec![] })
        );
        let members = event(
            r#"{"CreationTime":"2026-01-24T06:54:24","Operation":"Add-UnifiedGroupLinks",
            "Parameters":[{"Name":"Identity","Value":"MVPtweets"},{"Name":"LinkType","Value":"Members"}]}"#,
        )
        .unwrap();
        assert_eq!(members.owner_change, None);
        let directory = event(
            r#"{"CreationTime":"2026-01-24T06:54:24","Operation":"Remove owner from group.","ObjectId":"tony@c.com",
            "ModifiedProperties":[{"Name":"Group.DisplayName","NewValue":"MVPtweets","OldValue":""}]}"#,
        )
        .unwrap();
        assert_eq!(directory.owner_change.unwrap().removed, vec!["tony@c.com".to_string()]);
        // A hostile list of owners: the first hundred kept, the rest counted.
        let links = (0..1000).map(|i| format!("u{i}@c.com")).collect::<Vec<_>>().join(",");
        let many = event(&format!(r#"{{"CreationTime":"2026-01-24T06:54:24","Operation":"Add-UnifiedGroupLinks",
            "Parameters":[{{"Name":"Identity","Value":"G"}},{{"Name":"LinkType","Value":"Owners"}},{{"Name":"Links","Value":"{links}"}}]}}"#))
        .unwrap();
        let added = many.owner_change.unwrap().added;
        assert_eq!(added.len(), 101);
        assert_eq!(added.last().map(String::as_str), Some("… and 900 more"));
    }
}
