//! One input read as parts (as the CLI's threads and the browser's workers read it) and joined
//! gives the report one pass gives, byte for byte, wherever it is cut; a cut speculated wrong is
//! refused, never believed.

mod common;

use common::{all_fixtures, analyse_with_cuts, assert_counts_add_up, assert_same, cut, fixture};
use proptest::prelude::*;
use sendas_core::display::to_json;
use sendas_core::generate::write_export;
use sendas_core::ingest::split::{Splitter, SPLIT_WINDOW};
use sendas_core::ingest::Format;
use sendas_core::{Analysis, AnalysisResult, JoinError, SourceMeta};

/// Reads `bytes` as parts cut at the row starts found near `points` (each read in chunks of
/// `chunk` bytes), and joins them. `None` when the input cannot be cut at all (not CSV) or no
/// cut was found; else how many parts, and the join's outcome.
fn read_in_parts(
    name: &str,
    bytes: &[u8],
    points: &[usize],
    chunk: usize,
) -> Option<(usize, Result<AnalysisResult, JoinError>)> {
    read_in_parts_via(name, bytes, points, chunk, false)
}

/// As [`read_in_parts`]; with `posted`, every part but the first crosses as bytes (as the
/// browser's workers post them) before the join.
fn read_in_parts_via(
    name: &str,
    bytes: &[u8],
    points: &[usize],
    chunk: usize,
    posted: bool,
) -> Option<(usize, Result<AnalysisResult, JoinError>)> {
    let splitter = Splitter::new(&bytes[..bytes.len().min(1 << 20)])?;
    let cuts = points.iter().filter(|&&p| p < bytes.len()).filter_map(|&p| {
        let window = &bytes[p..(p + SPLIT_WINDOW).min(bytes.len())];
        splitter.boundary_in(window).map(|at| (p + at) as u64)
    });
    let ranges = splitter.parts(bytes.len() as u64, cuts);
    if ranges.len() < 2 {
        return None;
    }
    Some((ranges.len(), read_ranges(name, bytes, &splitter, &ranges, chunk, posted)))
}

/// Reads the parts at exactly these byte ranges (no speculation) and joins them.
fn read_ranges(
    name: &str,
    bytes: &[u8],
    splitter: &Splitter,
    ranges: &[std::ops::Range<u64>],
    chunk: usize,
    posted: bool,
) -> Result<AnalysisResult, JoinError> {
    let meta = SourceMeta { name: name.to_owned(), exported_at: None };
    let head = &bytes[..splitter.head_len()];
    let last = ranges.len() - 1;
    let parts = ranges.iter().enumerate().map(|(i, range)| {
        let mut analysis = Analysis::default();
        let mut reader = match i {
            0 => analysis.start_source(meta.clone()),
            _ => analysis.start_part(meta.clone(), head).expect("the splitter's head primes a reader"),
        };
        for piece in cut(&bytes[range.start as usize..range.end as usize], &[chunk]) {
            let _ = reader.push(piece.unwrap());
        }
        if i == last {
            let _ = reader.finish();
        } else {
            reader.finish_part();
        }
        match posted && i > 0 {
            true => Analysis::from_bytes(&Analysis::default(), &analysis.to_bytes()).expect("a part crosses"),
            false => analysis,
        }
    });
    Analysis::join_parts(parts.collect()).map(Analysis::finish)
}

fn one_pass(name: &str, bytes: &[u8]) -> AnalysisResult {
    analyse_with_cuts(name, bytes, &[usize::MAX])
}

/// The two reports agree on everything, and their JSON is the same bytes.
fn assert_identical(parts: &AnalysisResult, whole: &AnalysisResult, context: &str) {
    assert_counts_add_up(parts);
    assert_same(parts, whole, context);
    assert_eq!(to_json(&parts.summary, true), to_json(&whole.summary, true), "JSON differs: {context}");
}

fn generated(format: Format, rows: u64, seed: u64) -> Vec<u8> {
    let mut bytes = Vec::new();
    write_export(format, rows, seed, &mut bytes).unwrap();
    bytes
}

/// Every CSV format, generated, with its rows repeated (ids seen in two parts) and a few rows
/// broken (errors with line numbers in later parts).
fn csv_exports(seed: u64) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for format in Format::ALL {
        let bytes = generated(format, 1500, seed);
        if Splitter::new(&bytes).is_none() {
            continue;
        }
        let text = String::from_utf8(bytes).unwrap();
        let (header, body) = text.split_once('\n').unwrap();
        let mut lines: Vec<&str> = body.lines().collect();
        // Overlapping exports: the first hundred rows again at the end.
        let again: Vec<&str> = lines[..100.min(lines.len())].to_vec();
        lines.extend(again);
        for i in (7..lines.len()).step_by(211) {
            lines[i] = if i % 2 == 0 {
                "a row,with the wrong width"
            } else {
                "2026-11-20T09:00:00,x@contoso.com,SendAs,\"{not json\""
            };
        }
        out.push((format!("{format:?}.csv"), format!("{header}\n{}\n", lines.join("\n")).into_bytes()));
    }
    assert!(out.len() >= 3, "several CSV formats are cut: {:?}", out.iter().map(|o| &o.0).collect::<Vec<_>>());
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(40))]

    /// Any cut points, any chunking: the joined parts give the one-pass report, byte for byte,
    /// on generated exports of every CSV format (repeats across parts, errors in later parts).
    #[test]
    fn parts_joined_equal_one_pass(
        fractions in proptest::collection::vec(0.0..1.0f64, 1..8),
        chunk in prop::sample::select(vec![1usize << 20, 4096, 777, 61]),
        seed in 0u64..1000,
    ) {
        for (name, bytes) in csv_exports(seed) {
            let points: Vec<usize> = fractions.iter().map(|f| (f * bytes.len() as f64) as usize).collect();
            let whole = one_pass(&name, &bytes);
            let posted = seed % 2 == 0;
            let (parts, joined) = read_in_parts_via(&name, &bytes, &points, chunk, posted).expect("generated exports are cut");
            prop_assert!(parts >= 2);
            let joined = joined.unwrap_or_else(|e| panic!("{name} at {points:?}: {e}"));
            assert_identical(&joined, &whole, &format!("{name} cut near {points:?} in chunks of {chunk}"));
        }
    }
}

/// Every fixture, cut at every 37th byte in turn: a join that is accepted is the one-pass
/// report; JSON and UTF-16 inputs are never cut.
#[test]
fn every_fixture_cut_anywhere_joins_to_one_pass_or_is_refused() {
    let mut joined_ok = 0;
    for name in all_fixtures() {
        let original = fixture(&name);
        if name.ends_with(".json") || name.ends_with(".jsonl") || name.contains("utf16") {
            assert!(Splitter::new(&original).is_none(), "{name} is not cut");
        }
        // As exported, with CRLF line ends, and with no line break after the last row.
        let crlf: Vec<u8> =
            original.iter().flat_map(|&b| if b == b'\n' { vec![b'\r', b'\n'] } else { vec![b] }).collect();
        let unterminated = original.trim_ascii_end().to_vec();
        for (variant, bytes) in [("", original), (" (CRLF)", crlf), (" (no final line break)", unterminated)] {
            let whole = one_pass(&name, &bytes);
            for point in (1..bytes.len()).step_by(37) {
                let Some((_, joined)) = read_in_parts(&name, &bytes, &[point], 1 << 20) else { continue };
                if let Ok(joined) = joined {
                    assert_identical(&joined, &whole, &format!("{name}{variant} cut near {point}"));
                    joined_ok += 1;
                }
            }
        }
    }
    assert!(joined_ok > 20, "fixtures were cut and joined: {joined_ok}");
}

/// An AuditData cell whose text holds lines that look like whole rows: the speculation picks
/// one of them as a row start, and the join refuses instead of believing it.
#[test]
fn rows_faked_inside_a_quoted_cell_are_refused() {
    let header = "CreationDate,UserIds,Operations,AuditData\n";
    let row = |id: u32| {
        format!("2026-11-20T09:00:{:02},kim@contoso.com,FileAccessed,\"{{\"\"Id\"\":\"\"{id}\"\",\"\"Operation\"\":\"\"FileAccessed\"\",\"\"CreationTime\"\":\"\"2026-11-20T09:00:00\"\"}}\"\n", id % 60)
    };
    let fake = "2026-11-20T09:00:00,mallory@contoso.com,SendAs,not a cell\n".repeat(40);
    let mut text = String::from(header);
    for id in 0..50 {
        text.push_str(&row(id));
    }
    let hostile_at = text.len();
    text.push_str(&format!(
        "2026-11-20T09:00:00,mallory@contoso.com,FileAccessed,\"{{\"\"Id\"\":\"\"x\"\",\"\"Operation\"\":\"\"FileAccessed\"\",\"\"Note\"\":\"\"\n{fake}\"\"}}\"\n"
    ));
    for id in 50..100 {
        text.push_str(&row(id));
    }
    let bytes = text.into_bytes();
    let point = hostile_at + 200;
    let (_, joined) = read_in_parts("hostile.csv", &bytes, &[point], 1 << 20).expect("a cut is speculated");
    assert_eq!(joined.unwrap_err(), JoinError::CutInsideRow { part: 0 });
    // Cut elsewhere, the same file joins.
    let (_, joined) = read_in_parts("hostile.csv", &bytes, &[400], 1 << 20).unwrap();
    assert_identical(&joined.unwrap(), &one_pass("hostile.csv", &bytes), "cut before the hostile cell");
}

/// The same, when the ambiguous date is in a last row with no line break after it (it is read
/// only when the input ends): found by an independent review, where the join accepted it.
#[test]
fn an_ambiguous_date_in_an_unterminated_last_row_is_refused_too() {
    let row = |date: &str, id: &str| {
        format!("{date},kim@contoso.com,FileAccessed,\"{{\"\"Id\"\":\"\"{id}\"\",\"\"Operation\"\":\"\"FileAccessed\"\"}}\"\r\n")
    };
    let mut text = String::from("CreationDate,UserIds,Operations,AuditData\r\n");
    for i in 0..5 {
        text.push_str(&row("25/03/2026 10:00:00", &format!("a{i}")));
    }
    let cut = text.len();
    text.push_str(row("03/04/2026 10:00:00", "b").trim_end());
    let bytes = text.into_bytes();
    let splitter = Splitter::new(&bytes).unwrap();
    let ranges = splitter.parts(bytes.len() as u64, [cut as u64]);
    let joined = read_ranges("unterminated.csv", &bytes, &splitter, &ranges, 1 << 20, false);
    assert_eq!(joined.unwrap_err(), JoinError::DateOrder { part: 1 });
}

/// A part that reads an ambiguous date (`03/04/2026`) while an earlier part has shown the
/// day/month order is refused: one pass reads it in that order, the part alone could not.
#[test]
fn a_date_order_shown_before_a_part_is_refused() {
    let header = "CreationDate,UserIds,Operations,AuditData\n";
    let row = |date: &str, id: u32| {
        format!("{date},kim@contoso.com,FileAccessed,\"{{\"\"Id\"\":\"\"{id}\"\",\"\"Operation\"\":\"\"FileAccessed\"\"}}\"\n")
    };
    let mut text = String::from(header);
    for id in 0..30 {
        text.push_str(&row("25/03/2026 10:00:00", id));
    }
    let later = text.len();
    for id in 30..60 {
        text.push_str(&row("03/04/2026 10:00:00", id));
    }
    let bytes = text.into_bytes();
    let (_, joined) = read_in_parts("day-first.csv", &bytes, &[later - 10], 1 << 20).unwrap();
    assert_eq!(joined.unwrap_err(), JoinError::DateOrder { part: 1 });

    // Nothing shown before the ambiguous part: the part reads as one pass does.
    let mut text = String::from(header);
    for id in 0..30 {
        text.push_str(&row("2026-03-25T10:00:00", id));
    }
    let later = text.len();
    for id in 30..60 {
        text.push_str(&row(if id == 45 { "25/04/2026 10:00:00" } else { "03/04/2026 10:00:00" }, id));
    }
    let bytes = text.into_bytes();
    let (_, joined) = read_in_parts("ambiguous.csv", &bytes, &[later - 10], 1 << 20).unwrap();
    let whole = one_pass("ambiguous.csv", &bytes);
    assert!(to_json(&whole.summary, false).contains("ambiguous"), "the report warns of ambiguous dates");
    assert_identical(&joined.unwrap(), &whole, "ambiguous dates after an ISO part");
}
