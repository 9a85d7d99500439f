//! Properties over every input: chunking never changes a result, nothing panics, counts add up.

mod common;

use common::{
    all_fixtures, analyse_with, analyse_with_cuts, analyse_with_limit, assert_counts_add_up, assert_same, fixture,
};
use proptest::prelude::*;
use sendas_core::generate::write_export;
use sendas_core::ingest::{Format, MAX_RECORD_BYTES};

const FORMATS: [Format; Format::ALL.len()] = Format::ALL;

fn generated(format: Format, rows: u64, seed: u64) -> Vec<u8> {
    let mut bytes = Vec::new();
    write_export(format, rows, seed, &mut bytes).unwrap();
    bytes
}

/// Every fixture, and a 3,000-record generated export of every format (from `seed`).
fn every_input(seed: u64) -> Vec<(String, Vec<u8>)> {
    let mut inputs: Vec<(String, Vec<u8>)> = all_fixtures().into_iter().map(|n| (n.clone(), fixture(&n))).collect();
    for format in FORMATS {
        inputs.push((format!("{format:?}"), generated(format, 3000, seed)));
    }
    inputs
}

/// The fast lane (skimmed records, CSV rows split in place) and the full parse agree on
/// everything, on every fixture and on generated exports of every format.
#[test]
fn the_fast_lane_and_the_full_parse_agree() {
    for (name, bytes) in &every_input(7) {
        let fast = analyse_with(name, bytes, &[usize::MAX], MAX_RECORD_BYTES, true);
        let full = analyse_with(name, bytes, &[usize::MAX], MAX_RECORD_BYTES, false);
        assert_counts_add_up(&fast);
        assert_same(&fast, &full, &format!("{name}: fast lane against full parse"));
    }
}

/// Dropping what only the event views show (the CLI's `summary` does) changes nothing the
/// summary says: no part of it reads the dropped fields.
#[test]
fn the_summary_does_not_need_the_details_of_sends() {
    for (name, bytes) in &every_input(11) {
        let summary = |details: bool| {
            let mut analysis = sendas_core::Analysis::default();
            analysis.keep_send_details(details);
            let meta = sendas_core::SourceMeta { name: name.clone(), exported_at: None };
            let _ = analysis.read_source(meta, bytes);
            analysis.finish()
        };
        let (slim, whole) = (summary(false), summary(true));
        assert_eq!(slim.summary, whole.summary, "{name}");
        assert_eq!(slim.sends.len(), whole.sends.len(), "{name}");
        assert!(slim.sends.iter().all(|s| s.event.raw.is_none() && s.classification.evidence.is_empty()), "{name}");
    }
}

#[test]
fn every_fixture_gives_the_same_result_at_fixed_chunk_sizes() {
    let names = all_fixtures();
    assert!(names.len() > 30, "the fixture corpus is read: {names:?}");
    for name in &names {
        let bytes = fixture(name);
        let whole = analyse_with_cuts(name, &bytes, &[usize::MAX]);
        assert_counts_add_up(&whole);
        for size in [1, 2, 3, 7, 64, 1000, 4096] {
            let chunked = analyse_with_cuts(name, &bytes, &[size]);
            assert_same(&whole, &chunked, &format!("{name} in chunks of {size}"));
        }
    }
}

/// A byte edit: position (as a fraction of the length), kind, byte.
#[derive(Clone, Debug)]
enum Edit {
    Replace(f64, u8),
    Insert(f64, u8),
    Delete(f64, usize),
    Truncate(f64),
}

fn edit() -> impl Strategy<Value = Edit> {
    let interesting = prop::sample::select(vec![
        b'"', b',', b'\n', b'\r', b'{', b'}', b'[', b']', b':', b'\\', 0u8, 0xFF, b'x', b';',
    ]);
    prop_oneof![
        (0.0..1.0f64, interesting.clone()).prop_map(|(p, b)| Edit::Replace(p, b)),
        (0.0..1.0f64, interesting).prop_map(|(p, b)| Edit::Insert(p, b)),
        (0.0..1.0f64, 1usize..40).prop_map(|(p, n)| Edit::Delete(p, n)),
        (0.0..1.0f64).prop_map(Edit::Truncate),
    ]
}

fn apply(mut bytes: Vec<u8>, edits: &[Edit]) -> Vec<u8> {
    for e in edits {
        let at = |p: f64, len: usize| ((p * len as f64) as usize).min(len);
        match *e {
            Edit::Replace(p, b) if !bytes.is_empty() => {
                let i = at(p, bytes.len() - 1);
                bytes[i] = b;
            }
            Edit::Insert(p, b) => {
                let i = at(p, bytes.len());
                bytes.insert(i, b);
            }
            Edit::Delete(p, n) => {
                let i = at(p, bytes.len());
                let end = (i + n).min(bytes.len());
                bytes.drain(i..end);
            }
            Edit::Truncate(p) => {
                let i = at(p, bytes.len());
                bytes.truncate(i);
            }
            _ => {}
        }
    }
    bytes
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// Damaged exports (the shapes truncated downloads and hand edits produce): no panic,
    /// the invariant holds, and how the bytes are cut into chunks changes nothing.
    #[test]
    fn damaged_fixtures_never_panic_and_chunking_never_matters(
        which in 0..64usize,
        edits in prop::collection::vec(edit(), 0..6),
        cuts in prop::collection::vec(1usize..300, 1..8),
    ) {
        let names = all_fixtures();
        let name = &names[which % names.len()];
        let bytes = apply(fixture(name), &edits);
        let whole = analyse_with_cuts(name, &bytes, &[usize::MAX]);
        assert_counts_add_up(&whole);
        let chunked = analyse_with_cuts(name, &bytes, &cuts);
        assert_same(&whole, &chunked, &format!("{name} with {edits:?} cut at {cuts:?}"));
    }

    /// With a small record limit many records are skipped as too large: still no panic, the
    /// same result however the input is cut, and every skipped record counted.
    #[test]
    fn oversized_records_are_skipped_consistently(
        which in 0..64usize,
        limit in 64usize..2000,
        cuts in prop::collection::vec(1usize..300, 1..8),
    ) {
        let names = all_fixtures();
        let name = &names[which % names.len()];
        let bytes = fixture(name);
        let whole = analyse_with_limit(name, &bytes, &[usize::MAX], limit);
        assert_counts_add_up(&whole);
        let chunked = analyse_with_limit(name, &bytes, &cuts, limit);
        assert_same(&whole, &chunked, &format!("{name} with limit {limit} cut at {cuts:?}"));
    }

    /// Damaged generated exports (mostly records the fast lane takes): the fast lane and the full
    /// parse still agree, record for record and error for error.
    #[test]
    fn damaged_exports_read_the_same_in_both_lanes(
        format in prop::sample::select(FORMATS.to_vec()),
        seed in 0u64..1000,
        edits in prop::collection::vec(edit(), 1..8),
        cuts in prop::collection::vec(1usize..5000, 1..4),
    ) {
        let bytes = apply(generated(format, 40, seed), &edits);
        let fast = analyse_with("damaged", &bytes, &cuts, MAX_RECORD_BYTES, true);
        assert_counts_add_up(&fast);
        let full = analyse_with("damaged", &bytes, &[usize::MAX], MAX_RECORD_BYTES, false);
        assert_same(&fast, &full, &format!("{format:?} seed {seed} with {edits:?} cut at {cuts:?}"));
    }

    /// Arbitrary bytes: never a panic, always a consistent count.
    #[test]
    fn arbitrary_bytes_never_panic(
        bytes in prop::collection::vec(any::<u8>(), 0..2000),
        cuts in prop::collection::vec(1usize..64, 1..5),
    ) {
        let whole = analyse_with_cuts("random.bin", &bytes, &[usize::MAX]);
        assert_counts_add_up(&whole);
        let chunked = analyse_with_cuts("random.bin", &bytes, &cuts);
        assert_same(&whole, &chunked, "arbitrary bytes");
    }

    /// Text that looks like an export header followed by noise.
    #[test]
    fn audit_shaped_noise_never_panics(
        header in prop::sample::select(vec![
            "CreationDate,UserIds,Operations,AuditData\n",
            "[",
            "{\"value\":[",
            "TimeGenerated [UTC],OfficeWorkload,Operation,UserId,IngestionTime [UTC]\n",
        ]),
        body in "[ -~\\n\\r\"{}\\[\\],:]{0,400}",
        cuts in prop::collection::vec(1usize..50, 1..5),
    ) {
        let bytes = format!("{header}{body}").into_bytes();
        let whole = analyse_with_cuts("noise", &bytes, &[usize::MAX]);
        assert_counts_add_up(&whole);
        let chunked = analyse_with_cuts("noise", &bytes, &cuts);
        assert_same(&whole, &chunked, "audit-shaped noise");
    }
}

/// Reads `inputs` (name, bytes, export time) into one analysis, in order.
fn read_all(inputs: &[(String, Vec<u8>, i64)]) -> sendas_core::Analysis {
    let mut analysis = sendas_core::Analysis::default();
    for (name, bytes, exported) in inputs {
        let at = chrono::DateTime::from_timestamp(*exported, 0).unwrap();
        let exported_at = Some((at, sendas_core::report::ExportTimeOrigin::Given));
        let _ = analysis.read_source(sendas_core::SourceMeta { name: name.clone(), exported_at }, bytes);
    }
    analysis
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Inputs read in two analyses, the second merged into the first, give exactly the report
    /// one analysis of them all gives: duplicates across the two, bounded delays, workloads,
    /// row errors and their files, unusable inputs.
    #[test]
    fn merged_analyses_equal_one_pass(
        picks in proptest::collection::vec(0usize..64, 1..7),
        split in 0usize..7,
        times in proptest::collection::vec(0i64..4, 7),
    ) {
        let inputs = pick_inputs(&picks, &times);
        let split = split.min(inputs.len());
        let whole = read_all(&inputs).finish();
        let mut first = read_all(&inputs[..split]);
        first.merge(read_all(&inputs[split..]));
        let merged = first.finish();
        assert_counts_add_up(&merged);
        assert_same(&merged, &whole, &format!("{:?} split at {split}", inputs.iter().map(|i| &i.0).collect::<Vec<_>>()));
    }
}

/// What a report says that does not name the inputs' order: every count, chart, delay and
/// finding, and the warnings as a set.
fn order_free(result: &sendas_core::AnalysisResult) -> serde_json::Value {
    let mut s = serde_json::to_value(&result.summary).unwrap();
    let object = s.as_object_mut().unwrap();
    for key in ["sources", "formats", "errors", "rejected_by_reason", "unusable_inputs", "owner_changes"] {
        object.remove(key);
    }
    if let Some(serde_json::Value::Array(warnings)) = object.get_mut("warnings") {
        warnings.sort_by_key(|w| w.to_string());
    }
    s
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    /// The same inputs in any order give the same answer, including when one id stands for
    /// different records in different files.
    #[test]
    fn file_order_never_changes_the_answer(
        picks in proptest::collection::vec(0usize..64, 2..6),
        order in proptest::collection::vec(any::<u32>(), 6),
        times in proptest::collection::vec(0i64..4, 6),
    ) {
        let inputs = pick_inputs(&picks, &times);
        // The inputs sorted by a random key each: a random permutation.
        let mut positions: Vec<usize> = (0..inputs.len()).collect();
        positions.sort_by_key(|&i| order[i]);
        let shuffled: Vec<(String, Vec<u8>, i64)> = positions.iter().map(|&i| inputs[i].clone()).collect();
        let (a, b) = (read_all(&inputs).finish(), read_all(&shuffled).finish());
        assert_counts_add_up(&a);
        prop_assert_eq!(order_free(&a), order_free(&b));
    }
}

/// Inputs picked from every fixture, overlapping daily exports, a generated export and two
/// files that reuse each other's ids (so duplicates, bounds and conflicts are common), each
/// with one of a few export times.
fn pick_inputs(picks: &[usize], times: &[i64]) -> Vec<(String, Vec<u8>, i64)> {
    let mut pool: Vec<(String, Vec<u8>)> = all_fixtures().into_iter().map(|n| (n.clone(), fixture(&n))).collect();
    pool.insert(0, ("daily-export-2026-11-20.csv".into(), fixture("daily-export-2026-11-20.csv")));
    pool.insert(1, ("daily-export-2026-11-21.csv".into(), fixture("daily-export-2026-11-21.csv")));
    pool.insert(2, ("generated.jsonl".into(), generated(Format::Ndjson, 400, 3)));
    pool.insert(3, ("conflicts-a.jsonl".into(), conflicting_export(0)));
    pool.insert(4, ("conflicts-b.jsonl".into(), conflicting_export(1)));
    picks
        .iter()
        .zip(times)
        .map(|(&p, &t)| {
            let (name, bytes) = pool[p % pool.len()].clone();
            (name, bytes, 1_795_000_000 + t * 43_200)
        })
        .collect()
}

/// Records whose ids the other variant reuses: a file read, or a send at another time or by
/// another account, under the same `Id`.
fn conflicting_export(variant: u32) -> Vec<u8> {
    let mut out = String::new();
    for i in 0..12u32 {
        let (operation, minute, actor) = match (variant + i) % 3 {
            0 => ("FileAccessed", 0, "kim@contoso.com"),
            1 => ("SendAs", i % 2, "kim@contoso.com"),
            _ => ("SendAs", 0, if variant == 0 { "kim@contoso.com" } else { "lee@contoso.com" }),
        };
        out.push_str(&format!(
            r#"{{"Id":"0000{i:04}-0000-4000-8000-000000000000","CreationTime":"2026-11-20T09:{minute:02}:00","Operation":"{operation}","Workload":"Exchange","UserId":"{actor}","MailboxOwnerUPN":"ceo@contoso.com","ClientInfoString":"Client=OWA"}}"#
        ));
        out.push('\n');
    }
    out.into_bytes()
}
