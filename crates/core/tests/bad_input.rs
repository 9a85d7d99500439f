//! Broken, hostile and mistaken inputs (`tests/fixtures/bad/`): the exact outcome of each.
//! No panic, a clear message with file and line, every good row kept, and
//! `rows_read = events + rejected + duplicates`.

mod common;

use common::{analyse_chunked, analyse_with_limit, assert_counts_add_up, fixture};
use sendas_core::ingest::FatalError;
use sendas_core::{Analysis, AnalysisResult, SourceMeta};

fn bad(name: &str) -> Vec<u8> {
    fixture(&format!("bad/{name}"))
}

fn analyse_bad(name: &str) -> AnalysisResult {
    let bytes = bad(name);
    let result = analyse_chunked(&[(name, &bytes, None)], 4096);
    assert_counts_add_up(&result);
    result
}

/// (rows read, events, rejected, duplicates)
fn counts(r: &AnalysisResult) -> (u64, u64, u64, u64) {
    let s = &r.summary;
    (s.rows_read, s.events, s.rejected, s.duplicates)
}

fn errors(r: &AnalysisResult) -> Vec<(u64, String)> {
    r.summary.errors.iter().map(|e| (e.line, e.message.clone())).collect()
}

fn fatal(name: &str) -> FatalError {
    let mut analysis = Analysis::default();
    let meta = SourceMeta { name: name.into(), exported_at: None };
    let err = analysis.read_source(meta, &bad(name)).expect_err("unusable input");
    // The analysis still reports the file, with the reason.
    let summary = analysis.finish().summary;
    assert_eq!(summary.sources[0].error.as_deref(), Some(err.to_string().as_str()));
    assert_eq!(summary.rows_read, 0);
    err
}

#[test]
fn empty_and_header_only_files() {
    assert_eq!(fatal("empty.csv"), FatalError::Empty);
    let r = analyse_bad("header-only.csv");
    assert_eq!(counts(&r), (0, 0, 0, 0));
    assert_eq!(r.summary.formats, vec!["classic-csv"]);
}

#[test]
fn files_that_are_not_audit_exports_are_named_for_what_they_are() {
    let not_audit = fatal("not-an-audit-export.csv");
    assert!(not_audit.to_string().contains("not a Microsoft 365 audit export"), "{not_audit}");
    assert!(not_audit.to_string().contains("name,email,department"), "shows what it saw: {not_audit}");
    for zip in ["workbook-dropped-by-mistake.xlsx", "archive-dropped-by-mistake.zip"] {
        let err = fatal(zip).to_string();
        assert!(err.contains("ZIP archive") && err.contains(".xlsx") && err.contains("save as CSV"), "{err}");
    }
    assert!(fatal("binary-garbage.bin").to_string().contains("binary data"));
}

#[test]
fn utf16_without_a_bom_is_recognised() {
    for name in ["utf16le-without-bom.csv", "utf16be-without-bom.csv"] {
        let r = analyse_bad(name);
        assert_eq!(counts(&r), (3, 3, 0, 0), "{name}");
        assert_eq!(r.summary.by_class.delegate, 3, "{name}");
    }
}

#[test]
fn an_excel_semicolon_resave_is_read() {
    let r = analyse_bad("excel-semicolon-resave.csv");
    assert_eq!(r.summary.formats, vec!["classic-csv"]);
    assert_eq!(counts(&r), (3, 3, 0, 0));
}

#[test]
fn auditdata_cut_at_excels_cell_limit_is_named_as_such() {
    let r = analyse_bad("auditdata-cut-by-excel.csv");
    assert_eq!(counts(&r), (3, 2, 1, 0));
    let (line, message) = &errors(&r)[0];
    assert_eq!(*line, 3);
    assert!(
        message.contains("32767 characters") && message.contains("probably opened and saved in Excel"),
        "{message}"
    );
}

#[test]
fn a_download_cut_inside_a_quoted_field() {
    let r = analyse_bad("truncated-download.csv");
    assert_eq!(counts(&r), (2, 1, 1, 0));
    assert_eq!(
        errors(&r),
        vec![(3, "the file ends inside a quoted field: the download was probably cut short".into())]
    );
}

#[test]
fn one_invalid_json_row_among_good_ones() {
    let r = analyse_bad("one-invalid-json-row.csv");
    assert_eq!(counts(&r), (3, 2, 1, 0));
    let (line, message) = &errors(&r)[0];
    assert_eq!(*line, 3);
    assert!(message.starts_with("AuditData is not valid JSON: trailing comma"), "{message}");
    assert_eq!(r.summary.errors[0].file, "one-invalid-json-row.csv");
}

#[test]
fn rows_with_extra_or_missing_columns() {
    let r = analyse_bad("extra-and-missing-columns.csv");
    assert_eq!(counts(&r), (3, 1, 2, 0));
    assert_eq!(
        errors(&r),
        vec![
            (2, "the row has 5 fields but the header has 4".into()),
            (3, "the row has 2 fields but the header has 4".into()),
        ]
    );
}

#[test]
fn duplicate_header_names_use_the_first_and_say_so() {
    let r = analyse_bad("duplicate-header-names.csv");
    assert_eq!(counts(&r), (2, 2, 0, 0));
    assert!(r.sends.iter().all(|s| s.event.operation == "SendAs"), "the first Operations column is used");
    assert_eq!(
        r.summary.warnings,
        vec!["duplicate-header-names.csv: the column Operations appears more than once; the first one is used."]
    );
}

#[test]
fn deeply_nested_json_does_not_overflow_the_stack() {
    let r = analyse_bad("deeply-nested-json.jsonl");
    // 20,000 levels of arrays inside a field the product does not read: skipped iteratively.
    assert_eq!(counts(&r), (3, 3, 0, 0));
}

#[test]
fn numbers_out_of_range() {
    let r = analyse_bad("numbers-out-of-range.jsonl");
    assert_eq!(counts(&r), (3, 2, 1, 0));
    // A 30-digit LogonType is not a logon type: kept, and not trusted.
    assert_eq!(r.sends[0].event.logon_type, None);
    let (line, message) = &errors(&r)[0];
    assert_eq!(*line, 2);
    assert!(message.starts_with("the record is not valid JSON: number out of range"), "{message}");
}

#[test]
fn dates_in_every_locale_shape_and_impossible_ones() {
    let r = analyse_bad("locale-dates.csv");
    assert_eq!(counts(&r), (10, 6, 4, 0));
    // Every valid shape is the same instant.
    let all_same = r.summary.time_range.unwrap();
    assert_eq!(all_same.first, all_same.last);
    assert_eq!(all_same.first.to_rfc3339(), "2026-11-20T09:15:02+00:00");
    let bad_lines: Vec<u64> = errors(&r).iter().map(|(l, _)| *l).collect();
    assert_eq!(bad_lines, vec![8, 9, 10, 11]);
    assert!(errors(&r).iter().all(|(_, m)| m.starts_with("CreationDate is not a valid date and time")));
}

#[test]
fn records_missing_required_fields() {
    let r = analyse_bad("missing-required-fields.jsonl");
    assert_eq!(counts(&r), (5, 3, 2, 0));
    assert_eq!(
        errors(&r),
        vec![(3, "the record has no CreationTime".into()), (4, "the record has no Operation".into())]
    );
    // No UserId: kept, and the send is not guessed.
    assert_eq!(r.summary.by_class.unknown, 1);
    assert!(r.summary.warnings[0].contains("2 records have no Id"));
}

#[test]
fn attacker_text_is_kept_verbatim_as_data() {
    let r = analyse_bad("xss-in-every-field.csv");
    assert_eq!(counts(&r), (8, 8, 0, 0));
    let subjects: Vec<&str> = r.sends.iter().filter_map(|s| s.event.subject.as_deref()).collect();
    assert!(subjects.contains(&"<img src=x onerror=alert('img')>"));
    assert!(subjects.contains(&"\u{202e}gnp.exe"));
}

#[test]
fn an_export_of_exactly_50000_rows_warns_of_purviews_cap() {
    let mut csv = String::from(
        "RecordId,CreationDate,RecordType,Operation,UserId,AuditData,AssociatedAdminUnits,AssociatedAdminUnitsNames\n",
    );
    for i in 0..50_000 {
        csv.push_str(&format!(
            "{i:032x},2026-11-20T09:00:00,6,FileAccessed,kim@contoso.com,\"{{\"\"Id\"\":\"\"{i:032x}\"\",\"\"CreationTime\"\":\"\"2026-11-20T09:00:00\"\",\"\"Operation\"\":\"\"FileAccessed\"\",\"\"Workload\"\":\"\"SharePoint\"\"}}\",,\n"
        ));
    }
    let r = analyse_chunked(&[("AuditLog_2026-11-20.csv", csv.as_bytes(), None)], 1 << 20);
    assert_counts_add_up(&r);
    assert_eq!(counts(&r), (50_000, 50_000, 0, 0));
    assert!(r.summary.warnings.iter().any(|w| w.contains("exactly 50000 records") && w.contains("export limit")));
}

#[test]
fn a_10_mb_cell_is_read_and_a_record_over_the_limit_is_skipped_with_bounded_memory() {
    let record = |subject: &str| {
        format!(
            "2026-11-20T09:00:00,kim@contoso.com,SendAs,\"{{\"\"CreationTime\"\":\"\"2026-11-20T09:00:00\"\",\"\"Id\"\":\"\"{}\"\",\"\"Operation\"\":\"\"SendAs\"\",\"\"Item\"\":{{\"\"Subject\"\":\"\"{subject}\"\"}}}}\"\n",
            subject.len()
        )
    };
    let ten_mb = "s".repeat(10 << 20);
    let csv = format!("CreationDate,UserIds,Operations,AuditData\n{}{}", record(&ten_mb), record("small"));
    let r = analyse_chunked(&[("big-cell.csv", csv.as_bytes(), None)], 1 << 20);
    assert_counts_add_up(&r);
    assert_eq!(counts(&r), (2, 2, 0, 0));
    // Read whole, kept in part: the subject's first kilobyte, marked with its full length.
    let subject = r.sends[0].event.subject.as_deref().unwrap();
    assert!(
        subject.starts_with("sss") && subject.ends_with(&format!("… [cut: {} bytes]", 10 << 20)),
        "{}",
        &subject[..40]
    );
    assert!(subject.len() < 1100);
    assert!(r.summary.warnings.iter().any(|w| w.contains("kept only in part")), "{:?}", r.summary.warnings);

    // With a 1 MiB limit the same record is skipped, its line reported, the next row kept.
    let r = analyse_with_limit("big-cell.csv", csv.as_bytes(), &[65_536], 1 << 20);
    assert_counts_add_up(&r);
    assert_eq!(counts(&r), (2, 1, 1, 0));
    assert_eq!(r.summary.errors[0].line, 2);
    assert!(r.summary.errors[0].message.contains("larger than 1 MiB"), "{}", r.summary.errors[0].message);
}

#[test]
fn rows_and_headers_of_too_many_fields_say_so() {
    let header = "CreationDate,UserIds,Operations,AuditData\n";
    let record = r#"2026-11-20T09:00:00,kim@contoso.com,FileAccessed,"{""CreationTime"":""2026-11-20T09:00:00"",""Id"":""1"",""Operation"":""FileAccessed""}""#;
    let wide_row = ",".repeat(70_000);
    let export = format!("{header}{wide_row}\n{record}\n");
    let r = analyse_chunked(&[("wide-row.csv", export.as_bytes(), None)], 4096);
    assert_counts_add_up(&r);
    assert_eq!(counts(&r), (2, 1, 1, 0));
    assert_eq!(
        errors(&r),
        vec![(2, "the row has more than 65536 fields, more than any audit export has: skipped".to_owned())]
    );

    let wide_header = format!("{}\n{record}\n", (0..100_000).map(|i| format!("c{i}")).collect::<Vec<_>>().join(","));
    let mut analysis = Analysis::default();
    let meta = SourceMeta { name: "wide-header.csv".into(), exported_at: None };
    let err = analysis.read_source(meta, wide_header.as_bytes()).unwrap_err().to_string();
    assert!(err.contains("a header line of more than 65536 columns"), "{err}");
}

#[test]
fn operations_are_counted_under_one_spelling() {
    let export = ["SendAs", "SENDAS", "sendas", "SendOnBehalf", "SENDONBEHALF"]
        .iter()
        .enumerate()
        .map(|(i, op)| {
            format!(
                r#"{{"Id":"{i}","CreationTime":"2026-11-20T09:00:00","Operation":"{op}","UserId":"a@contoso.com"}}"#
            )
        })
        .collect::<Vec<_>>()
        .join("\n");
    let r = analyse_chunked(&[("ops.jsonl", export.as_bytes(), None)], 7);
    let ops: Vec<(&str, u64)> = r.summary.by_operation.iter().map(|(op, c)| (op.as_str(), c.total())).collect();
    assert_eq!(ops, vec![("SendAs", 3), ("SendOnBehalf", 2)]);
}

#[test]
fn delays_that_cannot_be_true_are_counted_apart_and_warned_about() {
    // An ingestion time before the event (clock skew, or a wrong column picked in the query),
    // and a year-0 event arriving in 2026: neither is a delay of the log.
    let export = "TimeGenerated [UTC],OfficeId,OfficeWorkload,Operation,UserId,IngestionTime [UTC]\n\
        2026-11-20T09:00:00Z,1,Exchange,SendAs,a@contoso.com,2026-11-20T09:10:00Z\n\
        2026-11-20T09:00:00Z,2,Exchange,SendAs,a@contoso.com,2026-11-20T08:59:00Z\n\
        0001-01-01T00:00:00Z,3,Exchange,SendAs,a@contoso.com,2026-11-20T09:00:00Z\n\
        2026-11-20T09:00:00Z,4,SharePoint,FileAccessed,a@contoso.com,2026-11-20T09:02:00Z\n";
    let r = analyse_chunked(&[("skewed.csv", export.as_bytes(), None)], 16);
    assert_counts_add_up(&r);
    let exchange = &r.summary.delays["Exchange"];
    assert_eq!((exchange.measured, exchange.negative, exchange.implausible), (1, 1, 1));
    assert_eq!((exchange.p50_seconds, exchange.max_seconds), (Some(600), Some(600)));
    assert_eq!(exchange.histogram.iter().sum::<u64>(), 1);
    assert_eq!(r.summary.delays["SharePoint"].negative, 0);
    let warnings = r.summary.warnings.join("\n");
    assert!(warnings.contains("1 Exchange event: the arrival time is earlier than the event time"), "{warnings}");
    assert!(warnings.contains("1 Exchange event: the delay is over 30 days"), "{warnings}");
    assert!(!r.summary.findings.iter().any(|f| f.text.contains("days")), "no finding of a delay in days");
}

#[test]
fn an_export_of_a_search_that_found_nothing_is_zero_records_not_an_error() {
    for (name, text, format) in [
        ("empty-array.json", "[]", "management-api-json"),
        ("empty-array-spaced.json", " [ \n ] \n", "management-api-json"),
        (
            "graph-empty-value.json",
            r#"{"@odata.context":"https://graph.microsoft.com/v1.0/$metadata#records","value":[]}"#,
            "graph-json",
        ),
        (
            "graph-next-link-only.json",
            r#"{"@odata.nextLink":"https://graph.microsoft.com/v1.0/security/auditLog/queries/q/records?$skiptoken=x"}"#,
            "graph-json",
        ),
    ] {
        let mut analysis = Analysis::default();
        let format_read = analysis.read_source(SourceMeta { name: name.into(), exported_at: None }, text.as_bytes());
        assert_eq!(format_read.map(|f| f.name()), Ok(format), "{name}");
        let r = analysis.finish();
        assert_counts_add_up(&r);
        assert_eq!(counts(&r), (0, 0, 0, 0), "{name}");
        assert!(r.summary.unusable_inputs.is_empty(), "{name}");
        assert!(
            r.summary.warnings.iter().any(|w| w.starts_with(&format!("{name} holds no records"))),
            "{name}: {:?}",
            r.summary.warnings
        );
    }
    // Beside a real export, an empty one changes nothing but the warning.
    let good = fixture("graph-audit-query.json");
    let alone = analyse_chunked(&[("graph-audit-query.json", &good, None)], 4096);
    let with_empty =
        analyse_chunked(&[("empty.json", b"{\"value\":[]}", None), ("graph-audit-query.json", &good, None)], 4096);
    assert_eq!(counts(&with_empty), counts(&alone));
    assert_eq!(with_empty.summary.by_class, alone.summary.by_class);
    // A JSON object that is neither records nor a Graph page is still no export.
    assert!(matches!(
        Analysis::default().read_source(SourceMeta { name: "x.json".into(), exported_at: None }, b"{\"name\":\"x\"}"),
        Err(FatalError::NotAnAuditExport { .. })
    ));
}

#[test]
fn rejections_beyond_the_first_thousand_are_counted_not_kept() {
    // A Purview header, then 5,000 one-character rows and one cut JSON: garbage by the line.
    let mut export = String::from("RecordId,CreationDate,RecordType,Operation,UserId,AuditData\n");
    for _ in 0..5000 {
        export.push_str("x\n");
    }
    export.push_str("1,2026-11-20,2,SendAs,a@contoso.com,\"{\"\"Id\"\":\"\"1\"\"\n");
    let r = analyse_chunked(&[("garbage.csv", export.as_bytes(), None)], 4096);
    assert_counts_add_up(&r);
    assert_eq!(r.summary.rejected, 5001);
    assert_eq!(r.errors.len(), sendas_core::KEPT_ERRORS);
    let by_reason: Vec<(&str, u64, u64, u64)> =
        r.summary.rejected_by_reason.iter().map(|t| (t.reason.as_str(), t.count, t.first_line, t.last_line)).collect();
    assert_eq!(by_reason, vec![("column-count", 5000, 2, 5001), ("unterminated-quote", 1, 5002, 5002)]);
    assert_eq!(r.summary.rejected_by_reason[0].example, "the row has 1 fields but the header has 6");
}

#[test]
fn long_values_are_kept_in_part_and_long_ids_still_find_their_duplicates() {
    // 40 records with a unique 256 KB UserId, mailbox, workload and Id each, every one twice
    // (the CLI's memory on a hundred 2 MB ones is in BENCHMARKS.md).
    let big = |tag: &str, i: usize| format!("{tag}{i}-{}", "x".repeat(256 << 10));
    let mut export = String::new();
    for i in 0..40 {
        let line = format!(
            r#"{{"Id":"{}","CreationTime":"2026-11-20T09:00:00","Operation":"SendAs","Workload":"{}","UserId":"{}","MailboxOwnerUPN":"{}","ClientInfoString":"Client=OWA"}}"#,
            big("id", i),
            big("w", i % 3),
            big("u", i),
            big("m", i)
        );
        export.push_str(&line);
        export.push('\n');
        export.push_str(&line);
        export.push('\n');
    }
    let r = analyse_chunked(&[("long.jsonl", export.as_bytes(), None)], 1 << 20);
    assert_counts_add_up(&r);
    assert_eq!(counts(&r), (80, 40, 0, 40), "every repeat of a long id is a duplicate");
    let kept: usize = r
        .sends
        .iter()
        .map(|s| {
            s.event.actor.as_ref().unwrap().len()
                + s.event.mailbox_owner.as_ref().unwrap().len()
                + s.event.raw.as_ref().map_or(0, String::len)
        })
        .sum();
    assert!(kept < 40 * 260 * 1024, "kept {kept} bytes for 40 sends");
    assert!(r.summary.by_workload.keys().all(|w| w.len() < 1100), "workload names kept in part");
    assert_eq!(r.summary.by_workload.len(), 3);
    // Classified on the whole value: a delegate through OWA, not unknown.
    assert_eq!(r.summary.by_class.delegate, 40);
}

#[test]
fn broken_text_costs_only_its_characters_in_csv_and_json_alike() {
    let subject_json = |s: &[u8]| {
        [br#"{"Id":"1","CreationTime":"2026-11-20T09:00:00","Operation":"SendAs","UserId":"kim@contoso.com","Item":{"Subject":""#.as_slice(), s, br#""}}"#.as_slice()].concat()
    };
    // Half an emoji (a lone surrogate escape), and a byte that is not UTF-8.
    let mut ndjson = subject_json(br"hi \ud83d");
    ndjson.push(b'\n');
    // A second record (its own Id) with the byte.
    let second = String::from_utf8_lossy(&subject_json(b"cafX")).replace(r#""Id":"1""#, r#""Id":"2""#);
    ndjson.extend(second.as_bytes().iter().map(|&b| if b == b'X' { 0xe9 } else { b }));
    let r = analyse_chunked(&[("broken.jsonl", &ndjson, None)], 7);
    assert_counts_add_up(&r);
    assert_eq!(counts(&r), (2, 2, 0, 0));
    let subjects: Vec<&str> = r.sends.iter().map(|s| s.event.subject.as_deref().unwrap()).collect();
    assert_eq!(subjects, vec!["hi \u{fffd}", "caf\u{fffd}"]);
    assert!(
        r.summary.warnings.iter().any(|w| w.contains("2 records had text that is not valid Unicode")),
        "{:?}",
        r.summary.warnings
    );

    // The same byte in a CSV export: the same outcome.
    let mut csv = b"CreationDate,UserIds,Operations,AuditData\n2026-11-20T09:00:00,kim@contoso.com,SendAs,\"{\"\"Id\"\":\"\"3\"\",\"\"CreationTime\"\":\"\"2026-11-20T09:00:00\"\",\"\"Operation\"\":\"\"SendAs\"\",\"\"Item\"\":{\"\"Subject\"\":\"\"caf".to_vec();
    csv.extend_from_slice(b"\xe9\"\"}}\"\n");
    let r = analyse_chunked(&[("broken.csv", &csv, None)], 5);
    assert_counts_add_up(&r);
    assert_eq!(counts(&r), (1, 1, 0, 0));
    assert_eq!(r.sends[0].event.subject.as_deref(), Some("caf\u{fffd}"));
    assert!(
        r.summary.warnings.iter().any(|w| w.contains("1 record had text that is not valid Unicode")),
        "{:?}",
        r.summary.warnings
    );
}

#[test]
fn damage_in_json_costs_only_the_damaged_record() {
    let record = |id: u32, subject: &str| {
        format!(
            r#"{{"CreationTime":"2026-11-20T09:00:00","Id":"{id}","Operation":"SendAs","UserId":"kim@contoso.com","Item":{{"Subject":"{subject}"}}}}"#
        )
    };
    // NDJSON whose first line was cut: the line is reported, the rest read.
    let ndjson = format!("{}\n{}\n{}\n", &record(1, "first")[..60], record(2, "second"), record(3, "third"));
    let r = analyse_chunked(&[("cut-first-line.jsonl", ndjson.as_bytes(), None)], 9);
    assert_counts_add_up(&r);
    assert_eq!(counts(&r), (3, 2, 1, 0));
    assert_eq!(r.summary.formats, vec!["ndjson"]);
    assert_eq!(errors(&r)[0].0, 1);

    // NDJSON whose only record is over the record limit: not "empty", one rejected record.
    let big = format!("{}\n", record(4, &"s".repeat(4000)));
    let r = analyse_with_limit("one-big-record.jsonl", big.as_bytes(), &[512], 1024);
    assert_counts_add_up(&r);
    assert_eq!(counts(&r), (1, 0, 1, 0));
    assert!(r.summary.unusable_inputs.is_empty());
    assert_eq!(r.summary.formats, vec!["ndjson"]);

    // A Management API array with an unescaped quote in one subject: that record, not the rest.
    let array = format!(
        "[{},\n{},\n{},\n{}]",
        record(5, "ok"),
        record(6, r#"he said "hi" there"#),
        record(7, "fine"),
        record(8, "also fine")
    );
    let r = analyse_chunked(&[("unescaped-quote.json", array.as_bytes(), None)], 13);
    assert_counts_add_up(&r);
    assert_eq!(counts(&r), (4, 3, 1, 0));
    assert_eq!(errors(&r), vec![(2, "the record is damaged (a quote inside a text not escaped?) up to line 2: it was skipped, and reading resumed at the next record".to_owned())]);

    // The first record damaged, with nested objects after the damage: the next record is
    // still found by the first record's first key.
    let first_damaged =
        format!("[{},\n{}]", record(12, r#"he said "hi" there","T":[{"a":1},{"b":2}],"U":"x"#), record(13, "good"));
    let r = analyse_chunked(&[("first-damaged.json", first_damaged.as_bytes(), None)], 7);
    assert_counts_add_up(&r);
    assert_eq!(counts(&r), (2, 1, 1, 0));
    assert!(r.summary.unusable_inputs.is_empty());

    // NDJSON lines appended to an array: one record each, no error per token.
    let appended = format!("[{}]\n{}\n{}\n", record(9, "in the array"), record(10, "after"), record(11, "after too"));
    let r = analyse_chunked(&[("array-then-lines.json", appended.as_bytes(), None)], 5);
    assert_counts_add_up(&r);
    assert_eq!(counts(&r), (3, 3, 0, 0));
}

#[test]
fn a_send_is_never_hidden_by_another_record_with_its_id_whatever_the_order() {
    let id = "0000002a-0000-4000-8000-00000000002a";
    let read = format!(
        r#"{{"Id":"{id}","CreationTime":"2026-11-20T09:00:00","Operation":"FileAccessed","Workload":"SharePoint","UserId":"kim@contoso.com"}}"#
    );
    let send = format!(
        r#"{{"Id":"{id}","CreationTime":"2026-11-20T09:00:00","Operation":"SendAs","Workload":"Exchange","UserId":"kim@contoso.com","MailboxOwnerUPN":"ceo@contoso.com","ClientInfoString":"Client=OWA"}}"#
    );
    let other_send = send.replace("kim@", "lee@");
    let runs = [
        analyse_chunked(&[("read.jsonl", read.as_bytes(), None), ("send.jsonl", send.as_bytes(), None)], 64),
        analyse_chunked(&[("send.jsonl", send.as_bytes(), None), ("read.jsonl", read.as_bytes(), None)], 64),
    ];
    for r in &runs {
        assert_counts_add_up(r);
        assert_eq!((r.summary.events, r.summary.duplicates, r.summary.send_events), (1, 1, 1));
        assert_eq!(r.summary.conflicting_duplicates, 1);
        assert_eq!(r.summary.by_workload.keys().collect::<Vec<_>>(), vec!["Exchange"]);
        assert!(
            r.summary.warnings.iter().any(|w| w.starts_with("1 Id was seen on records that differ") && w.contains(id)),
            "{:?}",
            r.summary.warnings
        );
    }
    // Two different sends under one id: the same one is kept in either order.
    let kept = |first: &str, second: &str| {
        let r = analyse_chunked(&[("a.jsonl", first.as_bytes(), None), ("b.jsonl", second.as_bytes(), None)], 64);
        assert_eq!(r.summary.conflicting_duplicates, 1);
        r.sends[0].event.actor.clone()
    };
    assert_eq!(kept(&send, &other_send), kept(&other_send, &send));
    // A true repeat is no conflict.
    let r = analyse_chunked(&[("a.jsonl", send.as_bytes(), None), ("b.jsonl", send.as_bytes(), None)], 64);
    assert_eq!((r.summary.duplicates, r.summary.conflicting_duplicates), (1, 0));
}

#[test]
fn which_copy_of_an_id_is_kept_never_depends_on_file_order() {
    // Found in review: copies that differ only where the kept record does not show (a SID, a
    // value past the cut, the workload of a record that is not a send).
    let record = |extra: &str| {
        format!(
            r#"{{"Id":"0000002a-0000-4000-8000-00000000002a","CreationTime":"2026-11-20T09:00:00","Operation":"SendAs","Workload":"Exchange","UserId":"kim@contoso.com","MailboxOwnerUPN":"ceo@contoso.com",{extra}}}"#
        )
    };
    let padding = "x".repeat(1100);
    let pairs = [
        (
            record(r#""LogonUserSid":"S-1-5-18","ClientInfoString":"Client=OWA""#),
            record(r#""LogonUserSid":"S-1-5-21-1","ClientInfoString":"Client=OWA""#),
        ),
        (
            record(&format!(r#""ClientInfoString":"Client=OWA;{padding}ConnectorWorkProvider""#)),
            record(&format!(r#""ClientInfoString":"Client=OWA;{padding}ConnectorXorkProvider""#)),
        ),
        (
            r#"{"Id":"1","CreationTime":"2026-11-20T09:00:10","Operation":"FileAccessed","Workload":"SharePoint"}"#
                .to_owned(),
            r#"{"Id":"1","CreationTime":"2026-11-20T09:00:10","Operation":"FileAccessed","Workload":"OneDrive"}"#
                .to_owned(),
        ),
        (
            r#"{"Id":"1","CreationTime":"2026-11-20T09:00:10","Operation":"FileAccessed","Workload":"SharePoint"}"#
                .to_owned(),
            r#"{"Id":"1","CreationTime":"2026-11-20T09:00:05","Operation":"FileAccessed","Workload":"OneDrive"}"#
                .to_owned(),
        ),
    ];
    for (a, b) in &pairs {
        let run = |first: &str, second: &str| {
            let r = analyse_chunked(&[("a.jsonl", first.as_bytes(), None), ("b.jsonl", second.as_bytes(), None)], 64);
            assert_counts_add_up(&r);
            let s = r.summary;
            (
                s.by_class,
                s.by_workload,
                s.delays.keys().cloned().collect::<Vec<_>>(),
                s.conflicting_duplicates,
                s.attribution,
            )
        };
        let (ab, ba) = (run(a, b), run(b, a));
        assert_eq!(ab, ba, "{a} / {b}");
        assert_eq!(ab.3, 1, "the id is counted as conflicting: {a} / {b}");
    }
}
