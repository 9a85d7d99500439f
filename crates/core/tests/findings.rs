//! Findings about what an export cannot show, each with the way to get what is missing.

mod common;

use common::analyse_chunked;

fn kinds(export: &str) -> Vec<String> {
    let r = analyse_chunked(&[("export.jsonl", export.as_bytes(), None)], 64);
    r.summary.findings.into_iter().map(|f| f.kind).collect()
}

fn record(id: u32, time: &str, operation: &str, client: &str) -> String {
    format!(
        r#"{{"Id":"{id}","CreationTime":"{time}","Operation":"{operation}","Workload":"Exchange","UserId":"kim@contoso.com","MailboxOwnerUPN":"ceo@contoso.com","ClientInfoString":"{client}"}}"#
    )
}

#[test]
fn an_export_without_ordinary_sends_says_they_need_audit_premium() {
    let export = [
        record(1, "2026-11-18T09:00:00", "SendAs", "Client=OWA"),
        record(2, "2026-11-21T09:00:00", "SendAs", "Client=OWA"),
    ]
    .join("\n");
    let found = kinds(&export);
    assert!(found.contains(&"coverage-send".to_owned()), "{found:?}");
    assert!(!found.contains(&"coverage-range".to_owned()), "three days is more than the log's delay: {found:?}");
    let with_send = format!("{export}\n{}", record(3, "2026-11-20T09:00:00", "Send", "Client=OWA"));
    assert!(!kinds(&with_send).contains(&"coverage-send".to_owned()));
}

#[test]
fn an_exchange_export_without_sendas_says_how_to_check_auditing() {
    let export = [
        record(1, "2026-11-18T09:00:00", "MailItemsAccessed", "Client=OWA"),
        record(2, "2026-11-21T09:00:00", "Send", "Client=OWA"),
    ]
    .join("\n");
    assert!(kinds(&export).contains(&"coverage-sendas".to_owned()));
}

#[test]
fn a_range_shorter_than_the_logs_delay_says_the_newest_may_still_arrive() {
    let export = [
        record(1, "2026-11-20T09:00:00", "SendAs", "Client=OWA"),
        record(2, "2026-11-20T15:00:00", "SendAs", "Client=OWA"),
    ]
    .join("\n");
    let r = analyse_chunked(&[("six-hours.jsonl", export.as_bytes(), None)], 64);
    let range = r.summary.findings.iter().find(|f| f.kind == "coverage-range").expect("a range finding");
    assert!(
        range.text.starts_with("The events span 6 h, less than the 24 h the audit log can take to arrive"),
        "{}",
        range.text
    );
}

#[test]
fn connector_cards_remind_that_the_name_is_the_creators() {
    let export = [
        record(1, "2026-11-18T09:00:00", "SendAs", "Client=ConnectorWorkProvider"),
        record(2, "2026-11-21T09:00:00", "SendAs", "Client=ConnectorWorkProvider"),
    ]
    .join("\n");
    let r = analyse_chunked(&[("cards.jsonl", export.as_bytes(), None)], 64);
    let creator = r.summary.findings.iter().find(|f| f.kind == "connector-creator").expect("a creator finding");
    assert!(creator.text.contains("(kim@contoso.com), whoever owns the group now"), "{}", creator.text);
}
