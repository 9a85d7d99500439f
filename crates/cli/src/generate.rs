//! `sendas-lens generate`: the core's deterministic export generator, written to a file.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::PathBuf;

use sendas_core::generate::{write_export, GenFormat};

/// Output formats the generator writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum FormatArg {
    /// Purview "Audit (New Search)" CSV.
    PurviewCsv,
    /// One AuditData object per line.
    Ndjson,
    /// Graph audit log query results (`{"value":[…]}`).
    GraphJson,
    /// Sentinel OfficeActivity CSV with an IngestionTime column.
    SentinelCsv,
}

#[derive(clap::Args, Debug)]
pub struct GenerateArgs {
    /// Output format.
    #[arg(long, value_enum)]
    format: FormatArg,
    /// Number of records.
    #[arg(long)]
    rows: u64,
    /// Random seed: the same seed writes the same file.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Output file.
    out: PathBuf,
}

/// Writes the file.
pub fn run(args: &GenerateArgs) -> Result<(), String> {
    let shown = |e: std::io::Error| format!("{}: {e}", args.out.display());
    let file = File::create(&args.out).map_err(shown)?;
    let mut out = BufWriter::with_capacity(1 << 20, file);
    let format = match args.format {
        FormatArg::PurviewCsv => GenFormat::PurviewCsv,
        FormatArg::Ndjson => GenFormat::Ndjson,
        FormatArg::GraphJson => GenFormat::GraphJson,
        FormatArg::SentinelCsv => GenFormat::SentinelCsv,
    };
    write_export(format, args.rows, args.seed, &mut out).map_err(shown)?;
    out.flush().map_err(shown)
}
