//! Alert tuning (`AlertRule::evaluate`): windows, thresholds, noise, the exclusion, filters and
//! the earliest time an alert could fire, on hand-built sends and on the field report's export.

mod common;

use chrono::{DateTime, Utc};
use common::analyse_fixture;
use sendas_core::classify::{Classification, Condition, Field, Rule, RuleSet};
use sendas_core::model::{AuditEvent, SendClass, SendOperation, SourceRef, UserType};
use sendas_core::report::{
    is_noise, AlertReport, AlertRule, ClassCounts, ClassifiedEvent, Delay, FireBasis, NOISE_CLASSES,
};

fn utc(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text).unwrap().with_timezone(&Utc)
}

/// A send as the analysis would hand it over: `class` decided, `actor` sending as `mailbox`.
fn send(time: &str, class: SendClass, actor: &str, mailbox: &str) -> ClassifiedEvent {
    let event = AuditEvent {
        time: utc(time),
        record_type: Some("ExchangeItem".into()),
        workload: "Exchange".into(),
        operation: "SendAs".into(),
        actor: Some(actor.into()),
        mailbox_owner: Some(mailbox.into()),
        client_info: (class == SendClass::Connector).then(|| "Client=REST;ConnectorWorkProvider".into()),
        source: SourceRef { file: 0, line: 1 },
        ..AuditEvent::default()
    };
    ClassifiedEvent {
        event,
        classification: Classification { class, rule: None, evidence: Vec::new(), tenant_rule: false },
        delay: None,
    }
}

fn person(time: &str) -> ClassifiedEvent {
    send(time, SendClass::Delegate, "kim@contoso.com", "ceo@contoso.com")
}

fn card(time: &str) -> ClassifiedEvent {
    send(time, SendClass::Connector, "tony@contoso.com", "mvptweets@contoso.com")
}

fn system(time: &str) -> ClassifiedEvent {
    send(time, SendClass::System, "S-1-5-18", "journal@contoso.com")
}

fn app(time: &str) -> ClassifiedEvent {
    let mut s = send(time, SendClass::Application, "svc-flow@contoso.com", "support@contoso.com");
    s.event.user_type = Some(UserType::Application);
    s.event.client_info = Some("Client=REST;Client=RESTSystem;;".into());
    s
}

fn with_delay(mut s: ClassifiedEvent, delay: Delay) -> ClassifiedEvent {
    s.delay = Some(delay);
    s
}

fn rule(threshold: u64, window_seconds: i64) -> AlertRule {
    AlertRule { threshold, window_seconds, ..AlertRule::default() }
}

fn evaluate(rule: &AlertRule, sends: &[ClassifiedEvent]) -> AlertReport {
    let report = rule.evaluate(sends, &RuleSet::default());
    // Whatever the sends, in whatever order: the same report, and the invariants hold.
    let mut reversed = sends.to_vec();
    reversed.reverse();
    assert_eq!(rule.evaluate(&reversed, &RuleSet::default()), report, "order changed the report");
    assert_invariants(&report);
    report
}

/// What holds of every report whose exclusion removes nobody's send.
fn assert_invariants(report: &AlertReport) {
    assert_eq!(report.person_events_lost, 0, "the exclusion removed a send no connector or system made");
    assert_eq!(report.alerts_after_exclusion, report.alerts_fired - report.alerts_noise_only);
    assert_eq!(report.alerts.len() as u64, report.alerts_fired);
    assert_eq!(report.alerts.iter().filter(|a| a.noise_only).count() as u64, report.alerts_noise_only);
    assert!(report.alerts.iter().all(|a| a.events.total() >= report.rule.threshold));
    assert!(report.alerts.windows(2).all(|w| w[0].window_start < w[1].window_start), "windows in time order");
}

fn starts(report: &AlertReport) -> Vec<&str> {
    report.alerts.iter().map(|a| a.window_start.as_str()).collect()
}

fn totals(report: &AlertReport) -> Vec<u64> {
    report.alerts.iter().map(|a| a.events.total()).collect()
}

#[test]
fn windows_are_fixed_and_aligned_to_their_length_in_utc() {
    let sends = [
        person("2026-11-20T09:00:00Z"),
        person("2026-11-20T09:59:59Z"),
        person("2026-11-20T10:00:00Z"),
        person("2026-11-20T10:44:59.5Z"),
    ];
    let hourly = evaluate(&rule(1, 3600), &sends);
    assert_eq!(starts(&hourly), ["2026-11-20T09:00:00Z", "2026-11-20T10:00:00Z"]);
    assert_eq!(totals(&hourly), [2, 2]);
    let quarter = evaluate(&rule(1, 900), &sends);
    assert_eq!(
        starts(&quarter),
        ["2026-11-20T09:00:00Z", "2026-11-20T09:45:00Z", "2026-11-20T10:00:00Z", "2026-11-20T10:30:00Z"]
    );
    // Two-hour windows start at even hours, whatever the first event.
    assert_eq!(starts(&evaluate(&rule(1, 7200), &sends)), ["2026-11-20T08:00:00Z", "2026-11-20T10:00:00Z"]);
    let daily = evaluate(&rule(1, 86_400), &sends);
    assert_eq!((starts(&daily), totals(&daily)), (vec!["2026-11-20T00:00:00Z"], vec![4]));
    // Before 1970 too: the window holds the event, it does not start after it.
    let old = evaluate(&rule(1, 3600), &[person("1969-12-31T23:30:00Z")]);
    assert_eq!(starts(&old), ["1969-12-31T23:00:00Z"]);
}

#[test]
fn a_threshold_counts_events_in_one_window_not_across_windows() {
    let sends = [
        person("2026-11-20T09:10:00Z"),
        person("2026-11-20T09:50:00Z"),
        person("2026-11-20T10:05:00Z"),
        person("2026-11-20T11:00:00Z"),
        person("2026-11-20T11:01:00Z"),
        person("2026-11-20T11:02:00Z"),
    ];
    let three = evaluate(&rule(3, 3600), &sends);
    assert_eq!((three.alerts_fired, starts(&three)), (1, vec!["2026-11-20T11:00:00Z"]));
    let two = evaluate(&rule(2, 3600), &sends);
    assert_eq!(starts(&two), ["2026-11-20T09:00:00Z", "2026-11-20T11:00:00Z"]);
    assert_eq!(evaluate(&rule(1, 3600), &sends).alerts_fired, 3);
    assert_eq!(evaluate(&rule(7, 86_400), &sends).alerts_fired, 0);
    // A threshold of 0 means what 1 does: a window with no event never fires.
    let zero = evaluate(&rule(0, 3600), &sends);
    assert_eq!((zero.rule.threshold, zero.alerts_fired), (1, 3));
    assert_eq!(zero.events.delegate, 6);
}

#[test]
fn windows_that_fire_only_because_of_noise_are_found_and_excluded() {
    let sends = [
        // 08:00 connector cards only; 09:00 a card and the system account; 10:00 a card and a person;
        // 11:00 two cards and a person; 12:00 two people.
        card("2026-11-20T08:15:00Z"),
        card("2026-11-20T09:15:00Z"),
        system("2026-11-20T09:20:00Z"),
        card("2026-11-20T10:15:00Z"),
        person("2026-11-20T10:20:00Z"),
        card("2026-11-20T11:15:00Z"),
        card("2026-11-20T11:16:00Z"),
        person("2026-11-20T11:20:00Z"),
        person("2026-11-20T12:00:00Z"),
        person("2026-11-20T12:01:00Z"),
    ];
    let one = evaluate(&rule(1, 3600), &sends);
    assert_eq!((one.alerts_fired, one.alerts_noise_only, one.alerts_after_exclusion), (5, 2, 3));
    let noise_only: Vec<bool> = one.alerts.iter().map(|a| a.noise_only).collect();
    assert_eq!(noise_only, [true, true, false, false, false]);
    assert_eq!(one.alerts[1].events, ClassCounts { connector: 1, system: 1, ..ClassCounts::default() });
    assert_eq!(one.events, ClassCounts { connector: 5, system: 1, delegate: 4, ..ClassCounts::default() });
    // With a threshold of 2, the 10:00 and 11:00 windows fire with their cards, not with their
    // one person each.
    let two = evaluate(&rule(2, 3600), &sends);
    assert_eq!(
        starts(&two),
        ["2026-11-20T09:00:00Z", "2026-11-20T10:00:00Z", "2026-11-20T11:00:00Z", "2026-11-20T12:00:00Z"]
    );
    assert_eq!((two.alerts_fired, two.alerts_noise_only, two.alerts_after_exclusion), (4, 3, 1));
    assert_eq!(two.alerts.iter().map(|a| a.noise_only).collect::<Vec<_>>(), [true, true, true, false]);
    // The exclusion is the connector and system rules, and nothing else.
    assert_eq!(one.exclusion_rules, ["connector-work-provider", "system-identity"]);
    assert!(
        one.exclusion.starts_with(r#"ClientInfoString contains "ConnectorWorkProvider", or ("#),
        "{}",
        one.exclusion
    );
    for identity in ["S-1-5-18", r"NT AUTHORITY\SYSTEM", "SystemPolicy", "Transport", "SystemService"] {
        assert!(one.exclusion.contains(identity), "{identity}: {}", one.exclusion);
    }
}

#[test]
fn an_application_sending_as_a_mailbox_is_never_noise() {
    assert_eq!(NOISE_CLASSES, [SendClass::Connector, SendClass::System]);
    for class in SendClass::ALL {
        assert_eq!(is_noise(class), matches!(class, SendClass::Connector | SendClass::System), "{class:?}");
    }
    // What an illicit-consent attack looks like: an app sending as mailboxes, alone in its window.
    let sends = [app("2026-11-20T03:00:00Z"), app("2026-11-20T03:01:00Z"), card("2026-11-20T04:00:00Z")];
    let report = evaluate(&rule(2, 3600), &sends);
    assert_eq!((report.alerts_fired, report.alerts_noise_only, report.alerts_after_exclusion), (1, 0, 1));
    assert_eq!(report.alerts[0].events.application, 2);
    assert!(!report.alerts[0].noise_only);
    // The app's record matches nothing the exclusion names.
    assert!(!report.exclusion_rules.iter().any(|r| r.contains("application")));
    for marker in ["Application", "ServicePrincipal", "AppId", "RESTSystem"] {
        assert!(!report.exclusion.contains(marker), "{marker}: {}", report.exclusion);
    }
    // A window of cards and apps is not noise only when the apps alone reach the threshold.
    let mixed = evaluate(&rule(2, 86_400), &[app("2026-11-20T03:00:00Z"), card("2026-11-20T04:00:00Z")]);
    assert_eq!((mixed.alerts_fired, mixed.alerts_noise_only), (1, 1));
    assert_eq!(mixed.alerts[0].events.application, 1);
}

#[test]
fn person_events_lost_counts_the_sends_an_exclusion_would_hide() {
    // A tenant rule of the connector class, after the application rule: a REST client. An app's
    // send decided by the earlier rule still matches its condition, so the exclusion (an alert
    // has no first-match-wins) removes the app's send too, and the report must say so.
    let mut rules = RuleSet::default();
    rules.rules.push(Rule {
        name: "tenant-rest-bot".into(),
        class: SendClass::Connector,
        explanation: "Our bot.".into(),
        condition: Condition::Contains { field: Field::ClientInfo, any_of: vec!["Client=REST".into()] },
    });
    let sends = [app("2026-11-20T03:00:00Z"), card("2026-11-20T04:00:00Z"), person("2026-11-20T05:00:00Z")];
    let report = AlertRule::default().evaluate(&sends, &rules);
    assert_eq!(report.exclusion_rules, ["connector-work-provider", "system-identity", "tenant-rest-bot"]);
    assert!(report.exclusion.ends_with(r#", or ClientInfoString contains "Client=REST""#), "{}", report.exclusion);
    assert_eq!(report.person_events_lost, 1);
    assert_eq!((report.alerts_fired, report.alerts_noise_only, report.alerts_after_exclusion), (3, 1, 1));
    assert_ne!(report.alerts_after_exclusion, report.alerts_fired - report.alerts_noise_only);
    // The shipped rules hide nobody's send.
    assert_eq!(AlertRule::default().evaluate(&sends, &RuleSet::default()).person_events_lost, 0);
    // A table with no noise rule suggests nothing.
    let none = RuleSet { rules: Vec::new() }.rules;
    let report = AlertRule::default().evaluate(&sends, &RuleSet { rules: none });
    assert_eq!((report.exclusion.as_str(), report.exclusion_rules.len()), ("", 0));
}

#[test]
fn actor_mailbox_and_operation_filters_match_exactly_ignoring_ascii_case() {
    let mut on_behalf = send("2026-11-20T09:30:00Z", SendClass::Delegate, "pa@contoso.com", "ceo@contoso.com");
    on_behalf.event.operation = "SendOnBehalf".into();
    let mut shouted = person("2026-11-20T10:30:00Z");
    shouted.event.operation = "SENDAS".into();
    let mut plain = person("2026-11-20T13:30:00Z");
    plain.event.operation = "Send".into();
    let sends = [
        person("2026-11-20T09:00:00Z"),
        on_behalf,
        shouted,
        card("2026-11-20T11:15:00Z"),
        send("2026-11-20T12:00:00Z", SendClass::Delegate, "kimberly@contoso.com", "ceo@contoso.com"),
        plain,
    ];
    let count = |rule: AlertRule| evaluate(&rule, &sends).events.total();
    assert_eq!(count(AlertRule::default()), 4, "SendAs in any case; not SendOnBehalf, not Send");
    let ops = |operations: Vec<SendOperation>| AlertRule { operations, ..AlertRule::default() };
    assert_eq!(count(ops(vec![SendOperation::SendAs, SendOperation::SendOnBehalf])), 5);
    assert_eq!(count(ops(vec![SendOperation::Send])), 1);
    assert_eq!(count(ops(Vec::new())), 0, "an empty list watches nothing");
    let actor = |a: &str| AlertRule { actor: Some(a.into()), ..AlertRule::default() };
    assert_eq!(count(actor("KIM@Contoso.com")), 2);
    assert_eq!(count(actor("kim")), 0, "exact, not a substring");
    // A connector card is stamped with its creator and filed under the Group mailbox.
    assert_eq!(count(actor("tony@contoso.com")), 1);
    let mailbox = |m: &str| AlertRule { mailbox: Some(m.into()), ..AlertRule::default() };
    assert_eq!(count(mailbox("MVPTWEETS@contoso.com")), 1);
    assert_eq!(count(mailbox("ceo@contoso.com")), 3);
    let both = AlertRule {
        actor: Some("kim@contoso.com".into()),
        mailbox: Some("ceo@contoso.com".into()),
        ..AlertRule::default()
    };
    let report = evaluate(&both, &sends);
    assert_eq!(starts(&report), ["2026-11-20T09:00:00Z", "2026-11-20T10:00:00Z"]);
    // Absent values go by their label.
    let mut nobody = person("2026-11-20T14:00:00Z");
    nobody.event.actor = None;
    assert!(actor("(not recorded)").matches(&nobody));
    assert!(!actor("").matches(&nobody));
}

#[test]
fn the_earliest_fire_is_the_threshold_th_arrival_and_says_how_it_is_known() {
    let measured = |time: &str, seconds: i64| with_delay(person(time), Delay::Measured { seconds });
    let bounded = |time: &str, min_seconds: i64| {
        with_delay(person(time), Delay::Bounded { min_seconds, max_seconds: min_seconds + 86_400 })
    };
    let sends = [
        // Arrives 12:10 (measured), 09:30 (measured), at least 09:35 (bounded), at least 09:40 (unknown).
        measured("2026-11-20T09:10:00Z", 3 * 3600),
        measured("2026-11-20T09:20:00Z", 600),
        bounded("2026-11-20T09:05:00Z", 1800),
        person("2026-11-20T09:40:00Z"),
    ];
    let fire = |threshold: u64, sends: &[ClassifiedEvent]| {
        let report = evaluate(&rule(threshold, 3600), sends);
        assert_eq!(report.alerts.len(), 1);
        (report.alerts[0].earliest_fire.clone(), report.alerts[0].fire_basis)
    };
    assert_eq!(fire(1, &sends), ("2026-11-20T09:30:00Z".into(), FireBasis::Measured));
    assert_eq!(fire(2, &sends), ("2026-11-20T09:35:00Z".into(), FireBasis::Bounded));
    assert_eq!(fire(3, &sends), ("2026-11-20T09:40:00Z".into(), FireBasis::EventTime));
    // The fourth arrival is measured, but it rests on the three before it: at least.
    assert_eq!(fire(4, &sends), ("2026-11-20T12:10:00Z".into(), FireBasis::EventTime));
    // Measured alone: exact, and hours after the window closed (the field report's late alert).
    assert_eq!(fire(2, &sends[..2]), ("2026-11-20T12:10:00Z".into(), FireBasis::Measured));
    // Bounded and measured: at least.
    assert_eq!(fire(2, &[sends[1].clone(), sends[2].clone()]), ("2026-11-20T09:35:00Z".into(), FireBasis::Bounded));
    // On a tie the better-known arrival is the one the alert rests on.
    let tie = [person("2026-11-20T14:10:00Z"), measured("2026-11-20T14:00:00Z", 600)];
    assert_eq!(fire(1, &tie), ("2026-11-20T14:10:00Z".into(), FireBasis::Measured));
    assert_eq!(fire(2, &tie), ("2026-11-20T14:10:00Z".into(), FireBasis::EventTime));
    // Unknown delays only: the event times.
    assert_eq!(fire(1, &[card("2026-11-20T08:15:00Z")]), ("2026-11-20T08:15:00Z".into(), FireBasis::EventTime));
}

#[test]
fn the_report_serialises_with_the_contracted_keys() {
    let report = evaluate(&AlertRule::default(), &[card("2026-11-20T08:15:00Z"), person("2026-11-20T09:00:00Z")]);
    let json = serde_json::to_value(&report).unwrap();
    for key in [
        "rule",
        "events",
        "alerts_fired",
        "alerts_noise_only",
        "alerts_after_exclusion",
        "person_events_lost",
        "exclusion",
        "exclusion_rules",
        "alerts",
    ] {
        assert!(json.get(key).is_some(), "missing {key}: {json}");
    }
    assert_eq!(
        json["rule"],
        serde_json::json!({"operations": ["SendAs"], "actor": null, "mailbox": null, "threshold": 1, "window_seconds": 3600})
    );
    let alert = &json["alerts"][0];
    assert_eq!(alert["window_start"], "2026-11-20T08:00:00Z");
    assert_eq!(alert["events"]["connector"], 1);
    assert_eq!(alert["noise_only"], true);
    assert_eq!(alert["earliest_fire"], "2026-11-20T08:15:00Z");
    assert_eq!(alert["fire_basis"], "event-time");
    assert_eq!(serde_json::from_value::<AlertReport>(json).unwrap(), report);
}

#[test]
fn the_field_reports_export_connector_alerts_go_and_every_persons_send_stays() {
    let result = analyse_fixture("purview-article-scenario.csv");
    let report = evaluate(&AlertRule::default(), &result.sends);
    // 16 SendAs: 10 connector cards, the system account, 2 delegates, an app, an admin, an unknown;
    // each alone in its hour.
    assert_eq!(
        report.events,
        ClassCounts { connector: 10, system: 1, application: 1, admin: 1, delegate: 2, unknown: 1, owner: 0 }
    );
    assert_eq!((report.alerts_fired, report.alerts_noise_only, report.alerts_after_exclusion), (16, 11, 5));
    assert_eq!(report.person_events_lost, 0);
    // Every alert the exclusion silences was noise only; every send that is not noise still alerts.
    let kept: u64 = report.alerts.iter().filter(|a| !a.noise_only).map(|a| a.events.total()).sum();
    let not_noise = report.events.total() - report.events.connector - report.events.system;
    assert_eq!(kept, not_noise);
    assert!(report
        .alerts
        .iter()
        .filter(|a| a.noise_only)
        .all(|a| a.events.connector + a.events.system == a.events.total()));
    // The connector's cards, under the stamped creator's name: all noise.
    let tony = evaluate(&AlertRule { actor: Some("tony@contoso.com".into()), ..AlertRule::default() }, &result.sends);
    assert_eq!((tony.alerts_fired, tony.alerts_noise_only, tony.alerts_after_exclusion), (10, 10, 0));
    // Per day, two or more: the 18th (cards) and the 21st (cards and one unknown) are noise only.
    let daily = evaluate(&rule(2, 86_400), &result.sends);
    assert_eq!(
        starts(&daily),
        ["2026-11-18T00:00:00Z", "2026-11-19T00:00:00Z", "2026-11-20T00:00:00Z", "2026-11-21T00:00:00Z"]
    );
    assert_eq!((daily.alerts_fired, daily.alerts_noise_only, daily.alerts_after_exclusion), (4, 2, 2));
    // No arrival times in a Purview export: every earliest fire is an event time, "at least".
    assert!(report.alerts.iter().all(|a| a.fire_basis == FireBasis::EventTime));
    // The summary-only sends (details dropped) give the same report.
    let mut lean = result.sends.clone();
    lean.iter_mut().for_each(ClassifiedEvent::drop_details);
    assert_eq!(evaluate(&AlertRule::default(), &lean), report);
}
