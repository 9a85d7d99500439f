//! `sendas-lens generate`: the core's deterministic export generator, written to a file.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::PathBuf;

use clap::builder::TypedValueParser;
use sendas_core::generate::write_export;
use sendas_core::ingest::Format;

#[derive(clap::Args, Debug)]
pub struct GenerateArgs {
    /// Output format: any format SendAs Lens reads.
    #[arg(long, value_parser = format_names().map(parse_format))]
    format: Format,
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
    write_export(args.format, args.rows, args.seed, &mut out).map_err(shown)?;
    out.flush().map_err(shown)
}

/// The formats' names, which `--help` lists and the parser accepts.
fn format_names() -> clap::builder::PossibleValuesParser {
    clap::builder::PossibleValuesParser::new(Format::ALL.map(Format::name))
}

fn parse_format(name: String) -> Format {
    // Only the names `format_names` accepts get here.
    Format::ALL.into_iter().find(|f| f.name() == name).unwrap_or(Format::PurviewCsv)
}
