//! Reviewer's scratch test (to be deleted): cut crafted inputs at every byte and compare.
mod common;

use common::{all_fixtures, analyse_with, cut, fixture};
use sendas_core::display::to_json;
use sendas_core::ingest::split::{Splitter, SPLIT_WINDOW};
use sendas_core::{Analysis, AnalysisResult, JoinError, SourceMeta};

#[derive(Clone, Copy)]
struct Cfg { limit: usize, fast: bool, chunk: usize, posted: bool }

fn parts_at(name: &str, bytes: &[u8], cuts: &[u64], cfg: Cfg) -> Option<Result<AnalysisResult, JoinError>> {
    let splitter = Splitter::new(&bytes[..bytes.len().min(1 << 20)])?;
    let ranges = splitter.parts(bytes.len() as u64, cuts.iter().copied());
    if ranges.len() < 2 { return None; }
    let meta = SourceMeta { name: name.to_owned(), exported_at: None };
    let head = &bytes[..splitter.head_len()];
    let last = ranges.len() - 1;
    let mut parts = Vec::new();
    for (i, range) in ranges.iter().enumerate() {
        let mut analysis = Analysis::default();
        analysis.set_record_limit(cfg.limit);
        analysis.set_fast_lane(cfg.fast);
        {
            let mut reader = match i {
                0 => analysis.start_source(meta.clone()),
                _ => analysis.start_part(meta.clone(), head).expect("primes"),
            };
            for piece in cut(&bytes[range.start as usize..range.end as usize], &[cfg.chunk]) {
                let _ = reader.push(piece.unwrap());
            }
            if i == last { let _ = reader.finish(); } else { reader.finish_part(); }
        }
        let analysis = if cfg.posted && i > 0 {
            let like = { let mut a = Analysis::default(); a.set_record_limit(cfg.limit); a.set_fast_lane(cfg.fast); a };
            Analysis::from_bytes(&like, &analysis.to_bytes()).expect("crosses")
        } else { analysis };
        parts.push(analysis);
    }
    Some(Analysis::join_parts(parts).map(Analysis::finish))
}

fn differs(a: &AnalysisResult, b: &AnalysisResult) -> Option<String> {
    if to_json(&a.summary, true) != to_json(&b.summary, true) {
        let (x, y) = (to_json(&a.summary, true), to_json(&b.summary, true));
        let i = x.bytes().zip(y.bytes()).position(|(p, q)| p != q).unwrap_or(0);
        return Some(format!("summary json: parts {:?} vs whole {:?}", &x[i.saturating_sub(80)..(i + 80).min(x.len())], &y[i.saturating_sub(80)..(i + 80).min(y.len())]));
    }
    if a.summary != b.summary { return Some(format!("summary struct differs")); }
    if a.sends != b.sends { return Some("sends differ".into()); }
    if a.errors != b.errors { return Some(format!("errors: {:?}\n vs {:?}", a.errors, b.errors)); }
    None
}

/// Cuts at every byte (one cut) and reports accepted-but-different joins.
fn every_cut(name: &str, bytes: &[u8], cfg: Cfg) -> (usize, usize, Vec<String>) {
    let whole = analyse_with(name, bytes, &[cfg.chunk], cfg.limit, cfg.fast);
    let (mut ok, mut refused, mut bad) = (0, 0, Vec::new());
    for c in 1..bytes.len() {
        let Some(res) = parts_at(name, bytes, &[c as u64], cfg) else { continue };
        match res {
            Ok(j) => { ok += 1; if let Some(d) = differs(&j, &whole) { bad.push(format!("{name} cut {c} (fast {} limit {} chunk {} posted {}): {d}", cfg.fast, cfg.limit, cfg.chunk, cfg.posted)); } }
            Err(_) => refused += 1,
        }
    }
    (ok, refused, bad)
}

fn variants(bytes: &[u8]) -> Vec<(&'static str, Vec<u8>)> {
    let s = bytes.to_vec();
    let mut v = vec![("orig", s.clone())];
    let crlf: Vec<u8> = { let mut o = Vec::new(); for &b in &s { if b == b'\n' { o.push(b'\r'); } o.push(b); } o };
    v.push(("crlf", crlf.clone()));
    let mut bom = b"\xEF\xBB\xBF".to_vec(); bom.extend_from_slice(&crlf); v.push(("bom-crlf", bom));
    let blank: Vec<u8> = { let mut o = Vec::new(); for &b in &s { o.push(b); if b == b'\n' { o.extend_from_slice(b"\n"); } } o };
    v.push(("blank", blank));
    let blankcr: Vec<u8> = { let mut o = Vec::new(); for &b in &crlf { o.push(b); if b == b'\n' { o.extend_from_slice(b"\r\n \n"); } } o };
    v.push(("blank-crlf-space", blankcr));
    let mut nonl = s.clone(); while nonl.last() == Some(&b'\n') || nonl.last() == Some(&b'\r') { nonl.pop(); } v.push(("no-final-newline", nonl));
    let lead = [b"\n\n  \r\n".to_vec(), s.clone()].concat(); v.push(("leading-blank", lead));
    v
}

#[test]
fn zz_fixtures_every_byte() {
    let mut all_bad = Vec::new();
    let mut total_ok = 0;
    for name in all_fixtures() {
        let bytes = fixture(&name);
        if Splitter::new(&bytes).is_none() && !name.contains("utf16") { /* may still be cut in variants */ }
        if bytes.len() > 40_000 { continue; }
        for (vname, b) in variants(&bytes) {
            if Splitter::new(&b).is_none() { continue; }
            for cfg in [Cfg { limit: 64 << 20, fast: true, chunk: usize::MAX, posted: false }, Cfg { limit: 300, fast: true, chunk: 7, posted: true }, Cfg { limit: 64 << 20, fast: false, chunk: usize::MAX, posted: true }] {
                let (ok, _r, bad) = every_cut(&format!("{name}/{vname}"), &b, cfg);
                total_ok += ok;
                all_bad.extend(bad.into_iter().take(3));
            }
        }
    }
    eprintln!("accepted joins: {total_ok}");
    for b in &all_bad { eprintln!("BAD {b}"); }
    assert!(all_bad.is_empty(), "{} bad", all_bad.len());
}
