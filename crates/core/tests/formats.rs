//! Every export format and encoding, read from its fixture, with the outcome asserted.

mod common;

use std::collections::BTreeMap;

use chrono::{TimeZone, Utc};
use common::{analyse_chunked, analyse_fixture, analyse_with, assert_counts_add_up, assert_same, fixture};
use sendas_core::classify::Classification;
use sendas_core::ingest::MAX_RECORD_BYTES;
use sendas_core::model::SendClass;
use sendas_core::report::{ClassCounts, Delay};
use sendas_core::AnalysisResult;

fn classes(result: &AnalysisResult) -> ClassCounts {
    result.summary.by_class
}

fn send<'a>(result: &'a AnalysisResult, subject: &str) -> &'a sendas_core::report::ClassifiedEvent {
    result
        .sends
        .iter()
        .find(|s| s.event.subject.as_deref() == Some(subject))
        .unwrap_or_else(|| panic!("no send with subject {subject:?}"))
}

#[test]
fn purview_csv_reproduces_the_field_report() {
    let r = analyse_fixture("purview-article-scenario.csv");
    assert_counts_add_up(&r);
    let s = &r.summary;
    assert_eq!(s.formats, vec!["purview-csv"]);
    assert_eq!((s.rows_read, s.events, s.rejected, s.duplicates), (26, 26, 0, 0));
    assert_eq!(s.send_events, 19);
    assert_eq!(
        classes(&r),
        ClassCounts { connector: 10, system: 1, application: 1, admin: 1, owner: 2, delegate: 3, unknown: 1 }
    );
    // The connector is attributed to its creator and the group mailbox.
    assert_eq!(s.connectors.len(), 1);
    assert_eq!(s.connectors[0].stamped_as, "tony@contoso.com");
    assert_eq!(s.connectors[0].mailbox, "mvptweets@contoso.com");
    assert_eq!(s.connectors[0].events, 10);
    // The owner change is read and the finding says the stamp survived it.
    assert_eq!(s.owner_changes.len(), 2);
    let owner_finding = s.findings.iter().find(|f| f.kind == "owner-change").expect("owner-change finding");
    assert!(
        owner_finding.text.contains("MVPtweets") && owner_finding.text.contains("still carry tony@contoso.com"),
        "{}",
        owner_finding.text
    );
    let connector_finding = &s.findings[0];
    assert_eq!(connector_finding.kind, "connector");
    assert!(connector_finding.text.starts_with("63% of SendAs events (10)"), "{}", connector_finding.text);
    // Evidence names the rule and the deciding values.
    let card = send(&r, "MVP summit notes are up");
    assert_eq!(card.classification.rule.as_deref(), Some("connector-work-provider"));
    let evidence = card.classification.evidence_lines().join("\n");
    assert!(evidence.contains("ConnectorWorkProvider") && evidence.contains("mvptweets@contoso.com"), "{evidence}");
    // Raw records are kept for sends only, and attacker text stays text.
    assert!(card.event.raw.as_deref().unwrap().contains("\"Operation\":\"SendAs\""));
    assert!(send(&r, "<img src=x onerror=alert(1)> looks like a tweet, renders as text").event.raw.is_some());
    // No arrival data in a Purview export: delays are unknown and the report says why.
    assert!(s.delays.values().all(|d| d.measured == 0 && d.bounded == 0));
    assert!(s.delay_note.as_deref().unwrap().contains("ingestion_time()"));
}

#[test]
fn purview_csv_reads_us_locale_dates_and_the_rest_of_the_mix() {
    let r = analyse_fixture("purview-us-dates.csv");
    assert_counts_add_up(&r);
    assert_eq!(r.summary.formats, vec!["purview-csv"]);
    assert_eq!(r.sends[0].event.time, Utc.with_ymd_and_hms(2023, 9, 20, 16, 45, 10).unwrap());
    assert_eq!(r.sends[0].classification.class, SendClass::Delegate);
}

#[test]
fn classic_csv_with_bom() {
    let r = analyse_fixture("classic-compliance-utf8-bom.csv");
    assert_counts_add_up(&r);
    assert_eq!(r.summary.formats, vec!["classic-csv"]);
    assert_eq!((r.summary.rows_read, r.summary.events), (6, 6));
    assert_eq!(classes(&r), ClassCounts { application: 1, owner: 2, delegate: 3, ..Default::default() });
}

#[test]
fn powershell_csv_resolves_day_first_dates_from_creation_time() {
    let r = analyse_fixture("powershell-export-en-au.csv");
    assert_counts_add_up(&r);
    assert_eq!(r.summary.formats, vec!["powershell-csv"]);
    // Row 1: 3/12/2025 with CreationTime 2025-12-03 → 3 December.
    assert_eq!(send(&r, "Quote").event.time, Utc.with_ymd_and_hms(2025, 12, 3, 7, 31, 34).unwrap());
    // Row 3 has no CreationTime: its envelope 4/12/2025 is read day-first, as the file showed.
    assert_eq!(send(&r, "Follow-up").event.time, Utc.with_ymd_and_hms(2025, 12, 4, 10, 15, 0).unwrap());
    assert!(r.summary.warnings.is_empty(), "{:?}", r.summary.warnings);
    // RecordType names are kept as names.
    assert_eq!(send(&r, "Quote").event.record_type.as_deref(), Some("ExchangeItem"));
}

#[test]
fn utf16_exports_read_like_utf8_in_both_byte_orders() {
    let le = analyse_fixture("powershell-subset-utf16le-bom.csv");
    let be = analyse_fixture("powershell-subset-utf16be-bom.csv");
    for r in [&le, &be] {
        assert_counts_add_up(r);
        assert_eq!(r.summary.formats, vec!["powershell-csv"]);
        assert_eq!((r.summary.rows_read, r.summary.events, r.summary.rejected), (4, 4, 0));
    }
    assert_eq!(le.sends, be.sends);
}

#[test]
fn management_api_json_array() {
    let r = analyse_fixture("management-api-content.json");
    assert_counts_add_up(&r);
    assert_eq!(r.summary.formats, vec!["management-api-json"]);
    assert_eq!((r.summary.rows_read, r.summary.events), (8, 8));
    assert_eq!(classes(&r), ClassCounts { connector: 4, system: 1, admin: 1, ..Default::default() });
    // Lines point at where each record starts in the pretty-printed array.
    assert_eq!(r.sends[0].event.source.line, 2);
}

#[test]
fn powershell_json_wrappers_with_ms_dates() {
    let r = analyse_fixture("extractor-wrapped-ps51.json");
    assert_counts_add_up(&r);
    assert_eq!(r.summary.formats, vec!["management-api-json"]);
    // The second AuditData has no CreationTime: the \/Date(ms)\/ envelope gives it.
    let second = &r.sends[1];
    assert_eq!(second.event.time, Utc.timestamp_millis_opt(1_763_546_700_000).unwrap());
    assert_eq!(second.event.actor.as_deref(), Some("kim@contoso.com"));
    assert_eq!(second.classification.class, SendClass::Owner);
}

#[test]
fn ndjson_with_crlf_numbers_as_strings_and_ports() {
    let r = analyse_fixture("ndjson-collector-crlf.jsonl");
    assert_counts_add_up(&r);
    assert_eq!(r.summary.formats, vec!["ndjson"]);
    assert_eq!(r.sends[0].event.client_ip.as_deref(), Some("185.73.124.135"));
    assert_eq!(r.sends[1].event.client_ip.as_deref(), Some("2603:10b6:930:3d::7"));
    assert_eq!(r.sends[0].event.record_type.as_deref(), Some("ExchangeItem"));
    assert_eq!(r.sends.iter().map(|s| s.event.source.line).collect::<Vec<_>>(), vec![1, 2, 3, 4]);
    // "LogonType":"2" is read as Delegated.
    let on_behalf = r.sends.iter().find(|s| s.event.operation == "SendOnBehalf").unwrap();
    assert_eq!(on_behalf.event.logon_type, Some(sendas_core::model::LogonType::Delegated));
}

#[test]
fn graph_json_envelope() {
    let r = analyse_fixture("graph-audit-query.json");
    assert_counts_add_up(&r);
    assert_eq!(r.summary.formats, vec!["graph-json"]);
    assert_eq!((r.summary.rows_read, r.summary.events), (4, 4));
    assert_eq!(classes(&r), ClassCounts { connector: 1, application: 1, delegate: 1, ..Default::default() });
    assert!(r.sends.iter().all(|s| s.event.actor.as_deref() != Some("7b1d3c4e-0000-4000-8000-000000000001")));
}

#[test]
fn sentinel_csv_measures_delays_from_ingestion_time() {
    let r = analyse_fixture("sentinel-officeactivity-ingestion.csv");
    assert_counts_add_up(&r);
    assert_eq!(r.summary.formats, vec!["sentinel-csv"]);
    let exchange = &r.summary.delays["Exchange"];
    assert_eq!(exchange.measured, 4);
    // 47 min, 6 h 7 min, 36.5 min, 16 h: nearest-rank p50 is the 2nd smallest.
    assert_eq!(exchange.p50_seconds, Some(47 * 60));
    assert_eq!(exchange.max_seconds, Some(16 * 3600));
    assert_eq!(exchange.arrival_sources, vec!["ingestion-time"]);
    let sharepoint = &r.summary.delays["SharePoint"];
    assert_eq!((sharepoint.measured, sharepoint.p50_seconds), (2, Some(6 * 60)));
    assert_eq!(r.summary.delay_note, None);
    assert!(r
        .summary
        .findings
        .iter()
        .any(|f| f.kind == "delay" && f.text.starts_with("Half of Exchange events reached the log within 47 min")));
    // Locale times with milliseconds.
    assert_eq!(
        r.sends[0].event.time,
        Utc.with_ymd_and_hms(2026, 1, 31, 7, 30, 15).unwrap() + chrono::Duration::milliseconds(123)
    );
    assert!(matches!(r.sends[0].delay, Some(Delay::Measured { .. })));
}

#[test]
fn ndjson_content_created_gives_measured_delays() {
    let r = analyse_fixture("ndjson-with-content-created.jsonl");
    assert_counts_add_up(&r);
    let exchange = &r.summary.delays["Exchange"];
    assert_eq!(exchange.measured, 6);
    assert_eq!(exchange.histogram, vec![0, 2, 1, 1, 1, 1, 0]);
    assert_eq!(exchange.arrival_sources, vec!["content-created"]);
}

#[test]
fn mailbox_audit_csv_uses_display_names_and_logon_type_names() {
    let r = analyse_fixture("mailbox-audit-log.csv");
    assert_counts_add_up(&r);
    assert_eq!(r.summary.formats, vec!["mailbox-audit-csv"]);
    assert_eq!(classes(&r), ClassCounts { connector: 1, owner: 1, delegate: 1, ..Default::default() });
    let delegate = send(&r, "Budget approval");
    assert_eq!(delegate.event.actor.as_deref(), Some("Kim Akers"));
    assert_eq!(delegate.classification.class, SendClass::Delegate);
}

/// Each send's classification, by its record's id.
fn classified_by_id(result: &AnalysisResult) -> BTreeMap<String, Classification> {
    result.sends.iter().map(|s| (s.event.id.clone().expect("an id"), s.classification.clone())).collect()
}

#[test]
fn cloud_app_events_csv_reads_the_record_in_raw_event_data() {
    let r = analyse_fixture("defender-cloudappevents.csv");
    assert_counts_add_up(&r);
    let s = &r.summary;
    assert_eq!(s.formats, vec!["cloud-app-events-csv"]);
    assert_eq!((s.rows_read, s.events, s.rejected, s.duplicates), (8, 8, 0, 0));
    assert_eq!(classes(&r), ClassCounts { connector: 4, system: 1, admin: 1, ..Default::default() });
    // The same records read from the Management Activity API are classified alike, on the same evidence.
    let api = analyse_fixture("management-api-content.json");
    let (hunted, fetched) = (classified_by_id(&r), classified_by_id(&api));
    assert_eq!(hunted.len(), 6);
    assert_eq!(hunted, fetched);
    // RawEventData's fields win over the envelope's: the actor is its UserId, not AccountId (an
    // object id), and the numeric LogonType is read.
    let card = send(&r, "New blog: Office 365 Groups and connectors, what you need to know");
    assert_eq!(card.event.actor.as_deref(), Some("tony@contoso.com"));
    assert_eq!(card.event.send_as.as_deref(), Some("mvptweets@contoso.com"));
    let admin = r.sends.iter().find(|s| s.classification.class == SendClass::Admin).unwrap();
    assert_eq!(admin.event.logon_type, Some(sendas_core::model::LogonType::Admin));
    // The raw record shown for a send is RawEventData itself.
    assert!(card.event.raw.as_deref().unwrap().starts_with("{\"CreationTime\":\"2026-11-18T08:15:00\""));
    // Advanced hunting has no ingestion time: delays are unknown, and the report says why.
    assert!(s.delays.values().all(|d| d.measured == 0 && d.bounded == 0));
    assert!(s.delay_note.is_some());
}

#[test]
fn cloud_app_events_and_the_management_api_hold_the_same_records() {
    let hunted = fixture("defender-cloudappevents.csv");
    let fetched = fixture("management-api-content.json");
    let inputs =
        [("defender-cloudappevents.csv", &hunted[..], None), ("management-api-content.json", &fetched[..], None)];
    for order in [[0, 1], [1, 0]] {
        let r = analyse_chunked(&[inputs[order[0]], inputs[order[1]]], usize::MAX);
        assert_counts_add_up(&r);
        let s = &r.summary;
        // Every record of the second input is its twin from the first, and the same record.
        assert_eq!((s.rows_read, s.events, s.duplicates, s.conflicting_duplicates), (16, 8, 8, 0), "{order:?}");
        assert_eq!((s.sources[0].duplicates, s.sources[1].duplicates), (0, 8), "{order:?}");
        assert!(s.warnings.is_empty(), "{:?}", s.warnings);
        assert_eq!(classes(&r), ClassCounts { connector: 4, system: 1, admin: 1, ..Default::default() });
        let mut formats = s.formats.clone();
        formats.sort();
        assert_eq!(formats, vec!["cloud-app-events-csv", "management-api-json"]);
    }
}

#[test]
fn cloud_app_events_csv_does_not_depend_on_chunks_or_the_fast_lane() {
    let bytes = fixture("defender-cloudappevents.csv");
    let name = "defender-cloudappevents.csv";
    let whole = analyse_with(name, &bytes, &[usize::MAX], MAX_RECORD_BYTES, true);
    for cuts in [&[1][..], &[2, 3], &[7], &[64, 1, 500], &[4096]] {
        for fast_lane in [true, false] {
            let cut = analyse_with(name, &bytes, cuts, MAX_RECORD_BYTES, fast_lane);
            assert_same(&whole, &cut, &format!("cuts {cuts:?}, fast lane {fast_lane}"));
        }
    }
}

#[test]
fn cloud_app_events_envelope_columns_fill_what_raw_event_data_lacks() {
    // The portal may write Timestamp in its own format: RawEventData's CreationTime decides.
    // A record without CreationTime takes Timestamp (ISO); one without Operation, ActionType.
    let text = "Timestamp,ActionType,AccountId,ReportId,RawEventData\r\n\
        \"Nov 20, 2026 9:00:00 AM\",SendAs,kim,r1,\"{\"\"CreationTime\"\":\"\"2026-11-20T09:00:00\"\",\"\"Id\"\":\"\"a1\"\",\"\"Operation\"\":\"\"SendAs\"\",\"\"UserId\"\":\"\"kim@contoso.com\"\",\"\"SendAsUserSmtp\"\":\"\"ceo@contoso.com\"\",\"\"LogonType\"\":2}\"\r\n\
        2026-11-20T10:30:00.0000000Z,SendOnBehalf,kim,r2,\"{\"\"Id\"\":\"\"a2\"\",\"\"UserId\"\":\"\"kim@contoso.com\"\",\"\"UserType\"\":5}\"\r\n";
    let r = analyse_chunked(&[("hunting.csv", text.as_bytes(), None)], usize::MAX);
    assert_counts_add_up(&r);
    assert_eq!(r.summary.formats, vec!["cloud-app-events-csv"]);
    assert_eq!((r.summary.events, r.summary.rejected), (2, 0), "{:?}", r.summary.errors);
    let first = r.sends.iter().find(|s| s.event.id.as_deref() == Some("a1")).unwrap();
    assert_eq!(first.event.time, Utc.with_ymd_and_hms(2026, 11, 20, 9, 0, 0).unwrap());
    assert_eq!(first.classification.class, SendClass::Delegate);
    let second = r.sends.iter().find(|s| s.event.id.as_deref() == Some("a2")).unwrap();
    assert_eq!(second.event.time, Utc.with_ymd_and_hms(2026, 11, 20, 10, 30, 0).unwrap());
    assert_eq!(second.event.operation, "SendOnBehalf");
    assert_eq!(second.classification.class, SendClass::Application);
}

#[test]
fn advanced_hunting_api_results_saved_as_an_array_read_like_the_csv() {
    // The API's `Results`, saved on their own: RawEventData is an object there, not JSON text.
    let api: Vec<serde_json::Value> = serde_json::from_slice(&fixture("management-api-content.json")).unwrap();
    let results: Vec<serde_json::Value> = api
        .into_iter()
        .map(|record| {
            serde_json::json!({
                "Timestamp": format!("{}Z", record["CreationTime"].as_str().unwrap()),
                "ActionType": record["Operation"], "Application": "Microsoft Exchange Online",
                "AccountObjectId": "7b1d3c4e-0000-4000-8000-000000000001", "ReportId": "r",
                "RawEventData": record, "AdditionalFields": {},
            })
        })
        .collect();
    let text = serde_json::to_vec(&results).unwrap();
    let r = analyse_chunked(&[("results.json", &text, None)], usize::MAX);
    assert_counts_add_up(&r);
    assert_eq!(r.summary.formats, vec!["management-api-json"]);
    assert_eq!((r.summary.rows_read, r.summary.events), (8, 8));
    assert_eq!(classified_by_id(&r), classified_by_id(&analyse_fixture("defender-cloudappevents.csv")));
}

#[test]
fn overlapping_daily_exports_are_merged_and_bound_the_late_record() {
    let day1 = fixture("daily-export-2026-11-20.csv");
    let day2 = fixture("daily-export-2026-11-21.csv");
    let r = analyse_chunked(
        &[
            ("daily-export-2026-11-20.csv", &day1, Some("2026-11-20T12:00:00Z")),
            ("daily-export-2026-11-21.csv", &day2, Some("2026-11-21T12:00:00Z")),
        ],
        usize::MAX,
    );
    assert_counts_add_up(&r);
    let s = &r.summary;
    assert_eq!((s.rows_read, s.events, s.duplicates), (8, 5, 3));
    assert_eq!(s.sources[1].duplicates, 3);
    // C (11:30 on the 20th) was absent at 12:00 on the 20th, present at 12:00 on the 21st.
    let late = r.sends.iter().find(|e| e.event.subject.as_deref() == Some("C arrived late")).unwrap();
    assert_eq!(late.delay, Some(Delay::Bounded { min_seconds: 30 * 60, max_seconds: 24 * 3600 + 30 * 60 }));
    assert_eq!(s.delays["Exchange"].bounded, 1);
    assert_eq!(s.delays["Exchange"].measured, 0);
    // D was created after the first export was taken: its absence proves nothing.
    assert_eq!(s.delays["SharePoint"].bounded, 0);
    // Without export times nothing is bounded, and the note says why.
    let blind = analyse_chunked(&[("day1.csv", &day1, None), ("day2.csv", &day2, None)], usize::MAX);
    assert!(blind.summary.delays.values().all(|d| d.bounded == 0));
    assert!(blind.summary.delay_note.unwrap().contains("--exported-at"));
}

#[test]
fn malformed_rows_are_reported_with_lines_and_good_rows_kept() {
    let r = analyse_fixture("malformed-rows.csv");
    assert_counts_add_up(&r);
    let s = &r.summary;
    assert_eq!((s.rows_read, s.events, s.rejected), (8, 3, 5));
    let lines: Vec<u64> = s.errors.iter().map(|e| e.line).collect();
    assert_eq!(lines, vec![3, 4, 6, 7, 9]);
    assert!(s.errors[0].message.contains("not valid JSON"));
    assert!(s.errors[1].message.contains("5 fields but the header has 4"));
    assert!(s.errors[2].message.contains("no Operation"));
    assert!(s.errors[3].message.contains("2026-13-45"));
    assert!(s.errors[4].message.contains("cut short"));
    assert!(s.errors.iter().all(|e| e.file == "malformed-rows.csv"));
}

#[test]
fn unusable_inputs_are_fatal_with_a_clear_reason() {
    use sendas_core::ingest::FatalError;
    let mut analysis = sendas_core::Analysis::default();
    let meta = |name: &str| sendas_core::SourceMeta { name: name.into(), exported_at: None };
    assert_eq!(analysis.read_source(meta("empty.csv"), b""), Err(FatalError::Empty));
    assert_eq!(analysis.read_source(meta("blank.csv"), b"  \r\n\n"), Err(FatalError::Empty));
    let err = analysis.read_source(meta("people.csv"), b"name,email\nkim,kim@contoso.com\n").unwrap_err();
    assert!(err.to_string().contains("not a Microsoft 365 audit export"), "{err}");
    let err = analysis.read_source(meta("book.xlsx"), b"PK\x03\x04\x14\x00\x06\x00").unwrap_err();
    assert!(err.to_string().contains("xlsx"), "{err}");
    for (name, text) in [
        ("Cargo.toml", &b"[workspace]\nmembers = []\n"[..]),
        ("package.json", b"{\"name\":\"pkg\",\"version\":\"1.0.0\"}"),
        ("numbers.json", b"[1,2,3]"),
    ] {
        let err = analysis.read_source(meta(name), text).unwrap_err();
        assert!(matches!(err, FatalError::NotAnAuditExport { .. }), "{name}: {err}");
    }
    // A header alone is a valid, empty export.
    assert!(analysis.read_source(meta("header.csv"), b"CreationDate,UserIds,Operations,AuditData\r\n").is_ok());
}
