//! The rule table as KQL agrees with the Rust rules: every rule's KQL condition, evaluated the
//! way Kusto evaluates it, holds exactly when the Rust condition does, on every fixture's sends,
//! on generated exports of every format, and on random sends built to hit the rules' corners.
//! (That the generated text is valid KQL is checked by Microsoft's parser: `tests/kql/`.)

mod common;

use common::{all_fixtures, analyse_fixture};
use proptest::prelude::*;
use sendas_core::classify::{Condition, Field, Rule, RuleSet};
use sendas_core::ingest::Format;
use sendas_core::kql::{classify_query, compile, row_value, Column, Target};
use sendas_core::model::{AuditEvent, LogonType, SendClass, SourceRef, UserType};

/// The default rules, with a tenant's own rule first (as a rules file would put it).
fn rules_with_a_tenant_rule() -> RuleSet {
    let mut rules = RuleSet::default();
    rules.rules.insert(
        0,
        Rule {
            name: "tenant-scanner-sends-for-staff".into(),
            class: SendClass::Application,
            explanation: "The scanner account sends scans on behalf of staff.".into(),
            condition: Condition::All(vec![
                Condition::Equals { field: Field::Actor, any_of: vec!["scanner@contoso.com".into()] },
                Condition::StartsWith { field: Field::Mailbox, any_of: vec!["staff-".into(), "".into()] },
                Condition::Not(Box::new(Condition::EndsWith {
                    field: Field::Actor,
                    any_of: vec!["@fabrikam.com".into()],
                })),
            ]),
        },
    );
    rules.rules.insert(
        1,
        Rule {
            name: "tenant-partner-domain".into(),
            class: SendClass::Delegate,
            explanation: "Partners at Fabrikam send for us.".into(),
            condition: Condition::EndsWith { field: Field::Actor, any_of: vec!["@fabrikam.com".into()] },
        },
    );
    rules
}

/// Checks one event against every rule and the whole first-match classification.
fn agree(rules: &RuleSet, event: &AuditEvent, context: &str) {
    let row = |c: Column| row_value(event, c);
    let mut first = None;
    for rule in &rules.rules {
        let in_rust = rule.condition.eval(event).is_some();
        let in_kql = compile(&rule.condition).eval(&row);
        assert_eq!(in_kql, in_rust, "{context}: rule {} disagrees on {event:?}", rule.name);
        if in_kql && first.is_none() {
            first = Some(rule);
        }
    }
    let decided = rules.classify(event);
    assert_eq!(first.map(|r| r.name.clone()), decided.rule, "{context}");
    assert_eq!(first.map_or(SendClass::Unknown, |r| r.class), decided.class, "{context}");
}

#[test]
fn every_rule_agrees_on_every_fixture_send() {
    let mut checked = 0;
    for rules in [RuleSet::default(), rules_with_a_tenant_rule()] {
        for name in all_fixtures() {
            for send in analyse_fixture(&name).sends {
                agree(&rules, &send.event, &name);
                checked += 1;
            }
        }
    }
    assert!(checked > 200, "only {checked} sends checked");
}

#[test]
fn every_rule_agrees_on_generated_exports_of_every_format() {
    for format in Format::ALL {
        let mut bytes = Vec::new();
        sendas_core::generate::write_export(format, 2000, 5, &mut bytes).unwrap();
        let mut analysis = sendas_core::Analysis::default();
        let _ = analysis.read_source(sendas_core::SourceMeta { name: format.name().into(), exported_at: None }, &bytes);
        for send in analysis.finish().sends {
            agree(&RuleSet::default(), &send.event, format.name());
        }
    }
}

#[test]
fn no_rule_can_go_missing_from_the_query() {
    for rules in [RuleSet::default(), rules_with_a_tenant_rule()] {
        for target in [Target::Sentinel, Target::Defender] {
            let kql = classify_query(&rules, target).unwrap();
            for rule in &rules.rules {
                let arm = format!("{}, \"{}\"", compile(&rule.condition).render(target), rule.name);
                assert!(kql.contains(&arm), "{}: {} missing from\n{kql}", target.name(), rule.name);
            }
            let arms = kql.matches("\", \"").count();
            assert!(arms >= rules.rules.len(), "{}", target.name());
        }
    }
}

#[test]
fn a_value_cannot_break_out_of_the_query() {
    let mut rules = RuleSet::default();
    rules.rules[0].name = "x\") or true //".into();
    let kql = classify_query(&rules, Target::Sentinel).unwrap();
    assert!(kql.contains(r#""x\") or true //""#));
    rules.rules[0].name = "two\nlines".into();
    assert!(classify_query(&rules, Target::Sentinel).is_err(), "a line break cannot reach the query");
}

fn pick(values: &'static [&'static str]) -> impl Strategy<Value = Option<String>> {
    proptest::option::of(proptest::sample::select(values).prop_map(str::to_owned))
}

prop_compose! {
    /// A send built from values that hit the rules' corners: case variants, the system SID,
    /// the connector marker, first-party and other app ids, an actor that is or is not the
    /// mailbox, SIDs that do or do not match.
    fn corner_send()(
        operation in proptest::sample::select(&["SendAs", "SENDAS", "SendOnBehalf", "Send"][..]),
        actor in pick(&["kim@contoso.com", "KIM@contoso.com", "scanner@FABRIKAM.com", "ceo@contoso.com", "S-1-5-18", "NT AUTHORITY\\SYSTEM (Microsoft.Exchange)", "scanner@contoso.com"]),
        actor_sid in pick(&["S-1-5-21-1", "s-1-5-21-1", "S-1-5-21-2", "S-1-5-18"]),
        owner_sid in pick(&["S-1-5-21-1", "S-1-5-21-2"]),
        owner in pick(&["ceo@contoso.com", "kim@contoso.com", "mvptweets@contoso.com", "staff-desk@contoso.com"]),
        send_as in pick(&["ceo@contoso.com", "CEO@contoso.com", "staff-x@contoso.com"]),
        on_behalf in pick(&["ceo@contoso.com"]),
        client in pick(&["Client=OWA;Action=ViaProxy", "Client=REST;Client=RESTSystem;;", "client=connectorworkprovider", "Client=MSExchangeRPC", "Outlook-iOS/2.0", "Client=WebServices", "Client=RESTSystem;Outlook"]),
        logon in proptest::option::of(0u8..7),
        user in proptest::option::of(0u8..11),
        app in pick(&["00000002-0000-0ff1-ce00-000000000000", "7df0a125-d3be-4c96-aa54-591f83ff541c", "27922004-5251-4030-b22d-91ecd9a37ea4"]),
        client_app in pick(&["00000002-0000-0ff1-ce00-000000000000", "7df0a125-d3be-4c96-aa54-591f83ff541c"]),
    ) -> AuditEvent {
        AuditEvent {
            time: chrono::DateTime::from_timestamp(1_795_000_000, 0).unwrap(),
            workload: "Exchange".into(),
            operation: operation.to_owned(),
            actor,
            actor_sid,
            mailbox_owner: owner,
            mailbox_owner_sid: owner_sid,
            send_as,
            send_on_behalf: on_behalf,
            client_info: client,
            logon_type: logon.and_then(|n| LogonType::parse(&n.to_string())),
            user_type: user.and_then(|n| UserType::parse(&n.to_string())),
            app_id: app,
            client_app_id: client_app,
            source: SourceRef { file: 0, line: 1 },
            ..AuditEvent::default()
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn every_rule_agrees_on_sends_built_to_hit_its_corners(event in corner_send()) {
        agree(&rules_with_a_tenant_rule(), &event, "random send");
    }
}

/// The columns the Sentinel classify query projects, in order.
fn projected_columns() -> Vec<String> {
    let kql = classify_query(&RuleSet::default(), Target::Sentinel).unwrap();
    let project = kql.lines().find_map(|l| l.strip_prefix("| project ")).expect("a project line");
    project.split(", ").map(|c| c.split(" = ").next().unwrap().trim().to_owned()).collect()
}

#[test]
fn the_sentinel_query_result_loads_back_with_the_same_classes() {
    // What a Sentinel user gets by running the classify query and exporting the result as CSV:
    // one row per send, in the query's columns. It must load back into SendAs Lens, as the
    // Sentinel format, with the arrival times, and classify the same.
    let original = analyse_fixture("purview-article-scenario.csv");
    let columns = projected_columns();
    let time = |t: chrono::DateTime<chrono::Utc>| t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string();
    let mut csv = columns.join(",");
    csv.push('\n');
    for send in &original.sends {
        let e = &send.event;
        let cell = |name: &str| -> String {
            match name {
                "TimeGenerated" => time(e.time),
                "IngestionTime" => time(e.time + chrono::Duration::minutes(47)),
                "OfficeId" => e.id.clone().unwrap_or_default(),
                "OfficeWorkload" => e.workload.clone(),
                "RecordType" => e.record_type.clone().unwrap_or_default(),
                "Logon_Type" => e.logon_type.map(|l| l.name().to_owned()).unwrap_or_default(),
                "UserType" => e.user_type.map(|u| u.name().to_owned()).unwrap_or_default(),
                "ClientIP" => e.client_ip.clone().unwrap_or_default(),
                "AppId" => e.app_id.clone().unwrap_or_default(),
                "ClientAppId" => e.client_app_id.clone().unwrap_or_default(),
                "ItemName" => e.subject.clone().unwrap_or_default(),
                "SendAsLensClass" => send.classification.class.name().to_owned(),
                "SendAsLensRule" => send.classification.rule.clone().unwrap_or_default(),
                other => {
                    let column = Column::ALL
                        .into_iter()
                        .find(|c| c.name(Target::Sentinel) == other)
                        .unwrap_or_else(|| panic!("column {other}"));
                    row_value(e, column)
                }
            }
        };
        let cells: Vec<String> = columns.iter().map(|c| format!("\"{}\"", cell(c).replace('"', "\"\""))).collect();
        csv.push_str(&cells.join(","));
        csv.push('\n');
    }
    let back = common::analyse_chunked(&[("sentinel-result.csv", csv.as_bytes(), None)], 512);
    assert_eq!(back.summary.formats, vec!["sentinel-csv"]);
    assert_eq!(back.summary.rows_read, original.sends.len() as u64);
    assert_eq!(back.summary.by_class, original.summary.by_class);
    let class_of = |r: &sendas_core::AnalysisResult| {
        let mut v: Vec<(String, &str)> =
            r.sends.iter().map(|s| (s.event.id.clone().unwrap(), s.classification.class.name())).collect();
        v.sort();
        v
    };
    assert_eq!(class_of(&back), class_of(&original));
    assert_eq!(
        back.summary.delays["Exchange"].p50_seconds,
        Some(47 * 60),
        "the ingestion time came back as the arrival"
    );
}

#[test]
fn the_tuned_alert_leaves_out_what_the_alert_panel_leaves_out() {
    use sendas_core::kql::alert_query;
    use sendas_core::report::{AlertRule, NOISE_CLASSES};
    let rule =
        AlertRule { threshold: 3, window_seconds: 900, actor: Some("kim@contoso.com".into()), ..AlertRule::default() };
    for target in [Target::Sentinel, Target::Defender] {
        let kql = alert_query(&RuleSet::default(), target, &rule).unwrap();
        let noise: Vec<String> = NOISE_CLASSES.iter().map(|c| format!("\"{}\"", c.name())).collect();
        assert!(kql.contains(&format!("| where SendAsLensClass !in ({})", noise.join(", "))), "{kql}");
        assert!(kql.contains(&format!("by Window = bin({}, 900s)", target.time_column())), "{kql}");
        assert!(kql.contains("| where Events >= 3"), "{kql}");
        assert!(kql.contains(r#"| where UserId =~ "kim@contoso.com""#), "{kql}");
        assert!(kql.contains(r#"in~ ("SendAs")"#), "only the rule's operations: {kql}");
    }
    let sneaky = AlertRule { mailbox: Some("a\nb".into()), ..AlertRule::default() };
    assert!(alert_query(&RuleSet::default(), Target::Sentinel, &sneaky).is_err());
}
