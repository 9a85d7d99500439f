use super::*;
use crate::model::{LogonType, SourceRef, UserType};
use chrono::{TimeZone, Utc};

fn send_as(actor: &str, target: &str) -> AuditEvent {
    AuditEvent {
        id: Some("id".into()),
        time: Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap(),
        record_type: Some("ExchangeItem".into()),
        workload: "Exchange".into(),
        operation: "SendAs".into(),
        actor: Some(actor.into()),
        actor_sid: Some("S-1-5-21-1-2-3-1001".into()),
        mailbox_owner: Some(actor.into()),
        mailbox_owner_sid: Some("S-1-5-21-1-2-3-1001".into()),
        send_as: Some(target.into()),
        client_info: Some("Client=OWA;Action=ViaProxy".into()),
        logon_type: Some(LogonType::Owner),
        user_type: Some(UserType::Regular),
        app_id: Some("00000002-0000-0ff1-ce00-000000000000".into()),
        source: SourceRef { file: 0, line: 2 },
        ..AuditEvent::default()
    }
}

fn class_of(event: &AuditEvent) -> (SendClass, Option<String>) {
    let c = RuleSet::default().classify(event);
    (c.class, c.rule)
}

#[test]
fn connector_cards_are_connector_noise_whoever_is_stamped() {
    let mut e = send_as("tony@contoso.com", "mvptweets@contoso.com");
    e.client_info = Some("Client=ConnectorWorkProvider;Action=Card".into());
    let c = RuleSet::default().classify(&e);
    assert_eq!(c.class, SendClass::Connector);
    assert_eq!(c.evidence[0].field, "ClientInfoString");
    assert!(c.evidence_lines()[0].contains("connector-work-provider"));
    // Case does not matter.
    e.client_info = Some("client=connectorworkprovider".into());
    assert_eq!(class_of(&e).0, SendClass::Connector);
}

#[test]
fn a_person_sending_as_another_mailbox_from_owa_is_a_delegate() {
    let e = send_as("kim@contoso.com", "ceo@contoso.com");
    let c = RuleSet::default().classify(&e);
    assert_eq!(c.class, SendClass::Delegate, "{c:?}");
    // Evidence names both identities and the client.
    let text = c.evidence_lines().join("\n");
    assert!(
        text.contains("kim@contoso.com") && text.contains("ceo@contoso.com") && text.contains("Client=OWA"),
        "{text}"
    );
}

#[test]
fn sending_as_yourself_is_the_owner_even_though_sids_describe_the_session() {
    let e = send_as("kim@contoso.com", "KIM@contoso.com");
    assert_eq!(class_of(&e).0, SendClass::Owner);
    let mut plain_send = send_as("kim@contoso.com", "x");
    plain_send.operation = "Send".into();
    plain_send.send_as = None;
    assert_eq!(class_of(&plain_send).0, SendClass::Owner);
}

#[test]
fn apps_system_and_admins_are_told_apart() {
    let mut app = send_as("svc-flow@contoso.com", "shared@contoso.com");
    app.app_id = Some("7df0a125-d3be-4c96-aa54-591f83ff541c".into());
    app.client_info = Some("Client=REST;Client=RESTSystem;;".into());
    assert_eq!(class_of(&app).0, SendClass::Application);

    let mut rest = send_as("kim@contoso.com", "shared@contoso.com");
    rest.app_id = None;
    rest.client_info = Some("Client=REST;Client=RESTSystem;UserAgent=[NoUserAgent]".into());
    assert_eq!(class_of(&rest).0, SendClass::Application);

    let mut system = send_as("NT AUTHORITY\\SYSTEM (Microsoft.Exchange.ServiceHost)", "x@contoso.com");
    system.user_type = Some(UserType::Regular);
    assert_eq!(class_of(&system).0, SendClass::System);

    let mut transport = send_as("kim@contoso.com", "x@contoso.com");
    transport.logon_type = Some(LogonType::Transport);
    assert_eq!(class_of(&transport).0, SendClass::System);

    let mut admin = send_as("admin@contoso.com", "x@contoso.com");
    admin.logon_type = Some(LogonType::Admin);
    assert_eq!(class_of(&admin).0, SendClass::Admin);
}

#[test]
fn nothing_is_guessed() {
    let mut bare = send_as("kim@contoso.com", "other@contoso.com");
    bare.client_info = None;
    bare.app_id = None;
    bare.logon_type = None;
    let c = RuleSet::default().classify(&bare);
    assert_eq!(c.class, SendClass::Unknown);
    assert_eq!(c.rule, None);
    assert_eq!(c.evidence_lines(), vec!["no rule matched".to_string()]);
}

#[test]
fn rules_round_trip_through_json_so_tenants_can_add_their_own() {
    let rules = RuleSet::default();
    let text = serde_json::to_string(&rules).unwrap();
    let back: RuleSet = serde_json::from_str(&text).unwrap();
    assert_eq!(back, rules);
    assert!(rules.rules.iter().all(|r| !r.explanation.is_empty() && !r.name.is_empty()));
}
