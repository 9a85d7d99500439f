//! The streaming ingest entry point on arbitrary bytes, cut at arbitrary chunk boundaries:
//! it must never panic, must keep `rows_read = events + rejected + duplicates`, and must give
//! the same result whole and chunked.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sendas_core::{Analysis, AnalysisResult, SourceMeta};

fn analyse(bytes: &[u8], cuts: &[usize], limit: usize) -> AnalysisResult {
    let mut analysis = Analysis::default();
    analysis.set_record_limit(limit);
    let mut rest = bytes;
    let mut i = 0;
    let chunks = std::iter::from_fn(|| {
        if rest.is_empty() {
            return None;
        }
        let (piece, tail) = rest.split_at(cuts[i % cuts.len()].clamp(1, rest.len()));
        rest = tail;
        i += 1;
        Some(Ok::<_, std::convert::Infallible>(piece))
    });
    let _ = analysis.read_source_chunks(SourceMeta { name: "fuzz".into(), exported_at: None }, chunks, |_| {});
    analysis.finish()
}

fuzz_target!(|data: &[u8]| {
    // The first bytes choose the chunk sizes and the record limit; the rest is the input.
    if data.len() < 3 {
        return;
    }
    let cuts = [1 + data[0] as usize, 1 + data[1] as usize * 7];
    let limit = if data[2] & 1 == 0 { 1 << 20 } else { 64 + data[2] as usize * 4 };
    let input = &data[3..];
    let whole = analyse(input, &[usize::MAX], limit);
    let chunked = analyse(input, &cuts, limit);
    let s = &whole.summary;
    assert_eq!(s.rows_read, s.events + s.rejected + s.duplicates);
    assert_eq!(s.send_events, s.by_class.total());
    assert_eq!(whole.summary, chunked.summary);
    assert_eq!(whole.sends, chunked.sends);
});
