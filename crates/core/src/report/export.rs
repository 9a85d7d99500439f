//! CSV export of sends, safe to open in a spreadsheet.
//!
//! Audit text is attacker-controlled (mail subjects, tweets): a cell starting with `=`, `+`,
//! `-`, `@`, a tab or a carriage return would be run as a formula by Excel or LibreOffice.
//! Such cells get a leading `'` (OWASP's recommendation), which spreadsheets show as text.

use super::EventLine;

/// Columns of the export, in order.
pub const CSV_COLUMNS: [&str; 12] = [
    "time",
    "operation",
    "class",
    "actor",
    "mailbox",
    "client",
    "app_id",
    "subject",
    "delay_seconds",
    "evidence",
    "id",
    "source",
];

/// Makes a cell inert in spreadsheets.
pub fn neutralise_formula(cell: &str) -> String {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{cell}"),
        _ => cell.to_owned(),
    }
}

/// One CSV field: neutralised, then quoted when it holds a delimiter, quote or line break.
fn field(out: &mut String, cell: &str) {
    let cell = neutralise_formula(cell);
    if cell.contains([',', '"', '\n', '\r']) {
        out.push('"');
        out.push_str(&cell.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(&cell);
    }
}

/// The sends as CSV (header first, CRLF line ends, as spreadsheets expect).
pub fn events_csv<'a>(lines: impl IntoIterator<Item = &'a EventLine>) -> String {
    let mut out = CSV_COLUMNS.join(",");
    out.push_str("\r\n");
    for l in lines {
        let delay = l
            .delay_seconds
            .map(|d| d.to_string())
            .or_else(|| l.delay_bounds_seconds.map(|[low, high]| format!("{low}..{high}")));
        let cells = [
            Some(l.time.as_str()),
            Some(l.operation.as_str()),
            Some(l.class.as_str()),
            l.actor.as_deref(),
            l.mailbox.as_deref(),
            l.client.as_deref(),
            l.app_id.as_deref(),
            l.subject.as_deref(),
            delay.as_deref(),
            Some(&l.evidence.join("; ")),
            l.id.as_deref(),
            Some(l.source.as_str()),
        ];
        for (i, cell) in cells.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            field(&mut out, cell.unwrap_or(""));
        }
        out.push_str("\r\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(actor: &str) -> EventLine {
        EventLine {
            id: Some("1".into()),
            time: "2026-11-20T09:00:00Z".into(),
            operation: "SendAs".into(),
            class: "delegate".into(),
            actor: Some(actor.into()),
            mailbox: Some("ceo@contoso.com".into()),
            client: Some("Client=OWA;Action=ViaProxy".into()),
            app_id: None,
            subject: Some("=1+1".into()),
            evidence: vec!["rule delegate-mail-client".into()],
            delay_seconds: Some(60),
            delay_bounds_seconds: None,
            source: "a.csv:2".into(),
        }
    }

    #[test]
    fn formula_cells_are_neutralised() {
        for danger in ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"] {
            assert!(neutralise_formula(danger).starts_with('\''), "{danger:?}");
        }
        assert_eq!(neutralise_formula("kim@contoso.com"), "kim@contoso.com");
    }

    #[test]
    fn csv_quotes_and_neutralises() {
        let csv = events_csv(&[line("=HYPERLINK(\"http://x\",\"y\")"), line("a,b")]);
        let rows: Vec<&str> = csv.split("\r\n").collect();
        assert_eq!(rows[0], CSV_COLUMNS.join(","));
        assert!(rows[1].contains("\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\""), "{}", rows[1]);
        assert!(rows[2].contains(",\"a,b\","), "{}", rows[2]);
        assert_eq!(rows.len(), 4);
    }
}
