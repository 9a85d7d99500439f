//! The multi-file policy on arbitrary bytes: the input cut in two files, read together, read
//! apart and merged, and read in the other order. Reading together and merging must give the
//! same report; swapping the files must not change any count, class, chart or delay; nothing
//! may panic, and every record is counted once.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sendas_core::{Analysis, AnalysisResult, SourceMeta};

fn read(inputs: &[(&str, &[u8])], limit: usize) -> Analysis {
    let mut analysis = Analysis::default();
    analysis.set_record_limit(limit);
    for (name, bytes) in inputs {
        let _ = analysis.read_source(SourceMeta { name: (*name).into(), exported_at: None }, bytes);
    }
    analysis
}

/// What does not name the inputs' order.
fn order_free(result: &AnalysisResult) -> impl PartialEq + std::fmt::Debug + '_ {
    let s = &result.summary;
    (
        (s.rows_read, s.events, s.rejected, s.duplicates, s.conflicting_duplicates, s.send_events),
        (&s.by_class, &s.by_operation, &s.by_workload, &s.time_range),
        (&s.attribution, &s.matrix, &s.connectors, &s.timeline, &s.delays, &s.findings),
    )
}

fuzz_target!(|data: &[u8]| {
    if data.len() < 3 {
        return;
    }
    let limit = if data[0] & 1 == 0 { 1 << 20 } else { 64 + data[0] as usize * 4 };
    let input = &data[2..];
    let cut = (data[1] as usize * input.len() / 256).min(input.len());
    let (a, b) = input.split_at(cut);
    let together = read(&[("a", a), ("b", b)], limit).finish();
    let s = &together.summary;
    assert_eq!(s.rows_read, s.events + s.rejected + s.duplicates);
    assert_eq!(s.rejected_by_reason.iter().map(|r| r.count).sum::<u64>(), s.rejected);
    let mut merged = read(&[("a", a)], limit);
    merged.merge(read(&[("b", b)], limit));
    let merged = merged.finish();
    assert_eq!(merged.summary, together.summary);
    assert_eq!(merged.sends, together.sends);
    let swapped = read(&[("b", b), ("a", a)], limit).finish();
    assert_eq!(order_free(&swapped), order_free(&together));
});
