//! Helpers shared by the core's integration tests.
#![allow(dead_code)]

use std::path::PathBuf;

use std::convert::Infallible;

use sendas_core::report::ExportTimeOrigin;
use sendas_core::{Analysis, AnalysisResult, SourceMeta};

/// `tests/fixtures/NAME` at the repository root.
pub fn fixture_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures").join(name)
}

/// Every fixture that is an audit export, good or damaged (paths relative to `tests/fixtures`):
/// `*.csv`, `*.json`, `*.jsonl` here and in `bad/`.
pub fn all_fixtures() -> Vec<String> {
    let mut names = Vec::new();
    for dir in ["", "bad/"] {
        for entry in std::fs::read_dir(fixture_path(dir)).unwrap() {
            let name = entry.unwrap().file_name().to_string_lossy().into_owned();
            if [".csv", ".json", ".jsonl"].iter().any(|ext| name.ends_with(ext)) {
                names.push(format!("{dir}{name}"));
            }
        }
    }
    names.sort();
    names
}

pub fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(fixture_path(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// Analyses inputs given as (name, bytes, export time), feeding each in chunks of `chunk` bytes.
pub fn analyse_chunked(inputs: &[(&str, &[u8], Option<&str>)], chunk: usize) -> AnalysisResult {
    let mut analysis = Analysis::default();
    for (name, bytes, exported) in inputs {
        let exported_at = exported.map(|t| {
            (chrono::DateTime::parse_from_rfc3339(t).unwrap().with_timezone(&chrono::Utc), ExportTimeOrigin::Given)
        });
        let meta = SourceMeta { name: (*name).to_owned(), exported_at };
        let _ = analysis.read_source_chunks(meta, cut(bytes, &[chunk]), |_| {});
    }
    analysis.finish()
}

/// Analyses one fixture in one piece.
pub fn analyse_fixture(name: &str) -> AnalysisResult {
    let bytes = fixture(name);
    analyse_chunked(&[(name, &bytes, None)], usize::MAX)
}

/// The invariant every input must keep.
pub fn assert_counts_add_up(result: &AnalysisResult) {
    let s = &result.summary;
    assert_eq!(s.rows_read, s.events + s.rejected + s.duplicates, "rows_read = events + rejected + duplicates: {s:?}");
    assert_eq!(s.send_events, s.by_class.total(), "every send has one class");
    assert_eq!(s.send_events as usize, result.sends.len());
    assert_eq!(
        result.errors.len(),
        (s.rejected as usize).min(sendas_core::KEPT_ERRORS),
        "the first rejections are kept whole"
    );
    assert_eq!(
        s.rejected_by_reason.iter().map(|r| r.count).sum::<u64>(),
        s.rejected,
        "every rejection is counted by reason"
    );
}

/// Analyses one input cut at the given chunk sizes (cycled), as a browser or network might deliver it.
pub fn analyse_with_cuts(name: &str, bytes: &[u8], cuts: &[usize]) -> AnalysisResult {
    analyse_with_limit(name, bytes, cuts, sendas_core::ingest::MAX_RECORD_BYTES)
}

/// The input cut at the given chunk sizes (cycled).
pub fn cut<'a>(bytes: &'a [u8], cuts: &'a [usize]) -> impl Iterator<Item = Result<&'a [u8], Infallible>> + 'a {
    let mut rest = bytes;
    let mut i = 0;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let n = cuts[i % cuts.len()].clamp(1, rest.len());
        let (piece, tail) = rest.split_at(n);
        rest = tail;
        i += 1;
        Some(Ok(piece))
    })
}

/// As [`analyse_with_cuts`], skipping records larger than `limit` bytes.
pub fn analyse_with_limit(name: &str, bytes: &[u8], cuts: &[usize], limit: usize) -> AnalysisResult {
    analyse_with(name, bytes, cuts, limit, true)
}

/// The general form: record limit, and the ingest fast lane on or off.
pub fn analyse_with(name: &str, bytes: &[u8], cuts: &[usize], limit: usize, fast_lane: bool) -> AnalysisResult {
    let mut analysis = Analysis::default();
    analysis.set_record_limit(limit);
    analysis.set_fast_lane(fast_lane);
    let meta = SourceMeta { name: name.to_owned(), exported_at: None };
    // Unusable input is part of what is tested: the summary records it.
    let _ = analysis.read_source_chunks(meta, cut(bytes, cuts), |_| {});
    analysis.finish()
}

/// Two analyses agree on everything they report.
pub fn assert_same(a: &AnalysisResult, b: &AnalysisResult, context: &str) {
    assert_eq!(a.summary, b.summary, "summary differs: {context}");
    assert_eq!(a.sends, b.sends, "sends differ: {context}");
    assert_eq!(a.errors, b.errors, "errors differ: {context}");
}
