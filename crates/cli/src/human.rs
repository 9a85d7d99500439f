//! The text summary: findings first, then the numbers behind them.

use std::io::{self, Write};

use sendas_core::display::visible as v;
use sendas_core::model::SendClass;
use sendas_core::report::human_duration;
use sendas_core::AnalysisResult;

/// How many rejected rows the text summary lists (the JSON lists up to 100).
const SHOWN_ERRORS: usize = 10;

pub fn print_summary(out: &mut dyn Write, result: &AnalysisResult) -> io::Result<()> {
    let s = &result.summary;
    writeln!(out, "SendAs Lens summary")?;
    writeln!(out)?;
    for source in &s.sources {
        let exported = match (source.exported_at, source.exported_at_origin) {
            (Some(t), Some(origin)) => format!(
                ", exported {} ({})",
                t.format("%Y-%m-%d %H:%M:%S UTC"),
                match origin {
                    sendas_core::report::ExportTimeOrigin::Given => "given",
                    sendas_core::report::ExportTimeOrigin::FileModified => "file time",
                }
            ),
            _ => String::new(),
        };
        writeln!(
            out,
            "  {}: {}, {} rows{exported}",
            v(&source.name),
            source.format.as_deref().unwrap_or("unreadable"),
            source.rows_read
        )?;
    }
    writeln!(
        out,
        "\nRows read {} = events {} + rejected {} + duplicates {}",
        s.rows_read, s.events, s.rejected, s.duplicates
    )?;
    let ops: Vec<String> = s.by_operation.iter().map(|(op, c)| format!("{} {}", v(op), c.total())).collect();
    writeln!(
        out,
        "Send-type events: {}{}",
        s.send_events,
        if ops.is_empty() { String::new() } else { format!(" ({})", ops.join(", ")) }
    )?;
    let classes: Vec<String> = SendClass::ALL.iter().map(|c| format!("{} {}", c.name(), s.by_class.get(*c))).collect();
    writeln!(out, "By class: {}", classes.join(", "))?;

    if !s.findings.is_empty() {
        writeln!(out, "\nFindings")?;
        for finding in &s.findings {
            writeln!(out, "  - {}", v(&finding.text))?;
        }
    }
    if !s.connectors.is_empty() {
        writeln!(out, "\nConnectors (stamped account → group mailbox)")?;
        for c in &s.connectors {
            writeln!(
                out,
                "  {} → {}: {} cards, {} to {}",
                v(&c.stamped_as),
                v(&c.mailbox),
                c.events,
                c.first.format("%Y-%m-%d"),
                c.last.format("%Y-%m-%d")
            )?;
        }
    }
    let measured: Vec<_> = s.delays.iter().filter(|(_, d)| d.measured + d.bounded > 0).collect();
    if !measured.is_empty() {
        writeln!(out, "\nDelays (event → arrival in the log)")?;
        let fmt = |v: Option<i64>| v.map_or_else(|| "-".to_owned(), human_duration);
        for (workload, d) in measured {
            writeln!(
                out,
                "  {}: measured {}, p50 {}, p90 {}, p99 {}, max {}; bounded {}",
                v(workload),
                d.measured,
                fmt(d.p50_seconds),
                fmt(d.p90_seconds),
                fmt(d.p99_seconds),
                fmt(d.max_seconds),
                d.bounded
            )?;
        }
    }
    if !s.warnings.is_empty() {
        writeln!(out, "\nWarnings")?;
        for warning in &s.warnings {
            writeln!(out, "  - {}", v(warning))?;
        }
    }
    if s.rejected > 0 {
        writeln!(out, "\nRejected rows (first {} of {})", SHOWN_ERRORS.min(s.errors.len()), s.rejected)?;
        for e in s.errors.iter().take(SHOWN_ERRORS) {
            writeln!(out, "  {}:{}: {}", v(&e.file), e.line, v(&e.message))?;
        }
        writeln!(out, "By reason")?;
        for r in &s.rejected_by_reason {
            writeln!(out, "  {}: {} × {} (lines {} to {})", v(&r.file), r.reason, r.count, r.first_line, r.last_line)?;
        }
    }
    Ok(())
}
