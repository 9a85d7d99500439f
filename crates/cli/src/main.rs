//! `sendas-lens`: the command-line face of the SendAs Lens core.
//!
//! It runs exactly the pipeline the browser runs (`sendas_core::Analysis`), so
//! `summary --json` is the same document the app's "Download report" saves.

mod generate;
mod human;

use std::fs::File;
use std::io::{self, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use chrono::{DateTime, Utc};
use clap::{Parser, Subcommand};
use sendas_core::report::{EventLine, ExportTimeOrigin};
use sendas_core::time::{parse_timestamp, DateOrder};
use sendas_core::{Analysis, AnalysisResult, SourceMeta};

/// Who really sent as whom, and how late the audit log is: read Microsoft 365 audit exports.
///
/// Reads Purview and classic compliance-center CSV, Search-UnifiedAuditLog | Export-Csv,
/// Management Activity API JSON, NDJSON, Graph audit log query JSON, Sentinel OfficeActivity
/// CSV and Search-MailboxAuditLog CSV; the format is detected from the content.
#[derive(Parser, Debug)]
#[command(name = "sendas-lens", version, about, long_about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Summarise one or more exports: counts, classes, delays, findings, rejected rows.
    Summary {
        /// Export files (several daily or overlapping exports are merged; repeated records count once).
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Print one JSON object (the same report the app downloads) instead of text.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        times: ExportTimes,
    },
    /// Print every send-type event (SendAs, SendOnBehalf, Send) with its class and evidence.
    Events {
        /// Export files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// One JSON object per line (the only output format; required so scripts say what they expect).
        #[arg(long, required = true)]
        jsonl: bool,
        #[command(flatten)]
        times: ExportTimes,
    },
    /// List the classification rules, in the order they are tried.
    Rules {
        /// Print the rule table as JSON (the form a tenant's own rules take).
        #[arg(long)]
        json: bool,
    },
    /// Write a deterministic synthetic export for benchmarks and tests.
    Generate(generate::GenerateArgs),
}

#[derive(clap::Args, Debug)]
struct ExportTimes {
    /// When FILE was exported (RFC 3339, e.g. 2026-11-20T09:00:00Z). Used to bound delays
    /// between overlapping exports; without it the file's modification time is used.
    #[arg(long = "exported-at", value_name = "FILE=TIME")]
    exported_at: Vec<String>,
}

/// A failure that makes the run unusable: printed as one line, exit code 2.
struct Fatal(String);

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Fatal(message)) => {
            eprintln!("sendas-lens: {message}");
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> Result<(), Fatal> {
    let stdout = io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    let write_err = |e: io::Error| Fatal(format!("cannot write output: {e}"));
    match cli.command {
        Command::Summary { files, json, times } => {
            // The summary never shows raw records: not keeping them is most of the memory saved.
            let result = analyse(&files, &times, false)?;
            if json {
                serde_json::to_writer_pretty(&mut out, &result.summary).map_err(|e| Fatal(e.to_string()))?;
                writeln!(out).map_err(write_err)?;
            } else {
                human::print_summary(&mut out, &result).map_err(write_err)?;
            }
        }
        Command::Events { files, times, .. } => {
            let result = analyse(&files, &times, true)?;
            for send in &result.sends {
                let name = result.source_names.get(send.event.source.file as usize).map_or("", String::as_str);
                serde_json::to_writer(&mut out, &EventLine::new(send, name)).map_err(|e| Fatal(e.to_string()))?;
                writeln!(out).map_err(write_err)?;
            }
        }
        Command::Rules { json } => {
            let rules = sendas_core::classify::RuleSet::default();
            if json {
                serde_json::to_writer_pretty(&mut out, &rules).map_err(|e| Fatal(e.to_string()))?;
                writeln!(out).map_err(write_err)?;
            } else {
                for (i, rule) in rules.rules.iter().enumerate() {
                    writeln!(out, "{}. {} → {}\n   {}", i + 1, rule.name, rule.class.name(), rule.explanation)
                        .map_err(write_err)?;
                }
                writeln!(out, "{}. (no rule matched) → unknown", rules.rules.len() + 1).map_err(write_err)?;
            }
        }
        Command::Generate(args) => generate::run(&args).map_err(Fatal)?,
    }
    out.flush().map_err(write_err)
}

/// The `--exported-at` value for `path`, matched on the path as given or its file name.
fn given_export_time(path: &Path, times: &ExportTimes) -> Result<Option<DateTime<Utc>>, Fatal> {
    for entry in &times.exported_at {
        let Some((file, time)) = entry.rsplit_once('=') else {
            return Err(Fatal(format!("--exported-at {entry:?}: expected FILE=TIME")));
        };
        let same = Path::new(file) == path || path.file_name().is_some_and(|n| n == Path::new(file).as_os_str());
        if same {
            let parsed = parse_timestamp(time, DateOrder::MonthFirst)
                .ok_or_else(|| Fatal(format!("--exported-at {entry:?}: {time:?} is not a date and time")))?;
            return Ok(Some(parsed.time));
        }
    }
    Ok(None)
}

/// Reads every file through one analysis: mapped when it is a regular file, else in 1 MiB reads.
fn analyse(files: &[PathBuf], times: &ExportTimes, keep_details: bool) -> Result<AnalysisResult, Fatal> {
    let mut analysis = Analysis::default();
    analysis.keep_send_details(keep_details);
    // One buffer for every read: the core borrows each chunk, nothing is copied on the way.
    let mut buffer = vec![0u8; 1 << 20];
    for path in files {
        let shown = path.display();
        let mut file = File::open(path).map_err(|e| Fatal(format!("{shown}: cannot open: {e}")))?;
        let exported_at = match given_export_time(path, times)? {
            Some(t) => Some((t, ExportTimeOrigin::Given)),
            None => file
                .metadata()
                .and_then(|m| m.modified())
                .ok()
                .map(|t| (DateTime::<Utc>::from(t), ExportTimeOrigin::FileModified)),
        };
        let name = path.file_name().map_or_else(|| shown.to_string(), |n| n.to_string_lossy().into_owned());
        let mut reader = analysis.start_source(SourceMeta { name, exported_at });
        let read = match read_mapped(&file, &mut reader) {
            Ok(true) => Ok(()),
            Ok(false) => read_buffered(&mut file, &mut buffer, &mut reader),
            Err(e) => Err(e),
        };
        if let Err(e) = read {
            reader.unreadable();
            return Err(Fatal(format!("{shown}: cannot read: {e}")));
        }
        if let Err(fatal) = reader.finish() {
            return Err(Fatal(format!("{shown}: {fatal}")));
        }
    }
    Ok(analysis.finish())
}

/// Bytes mapped at a time: resident memory stays bounded by one window however large the file.
const MAP_WINDOW: u64 = 1 << 20;

/// Feeds a regular file to the core straight from the page cache, a window at a time.
/// `Ok(false)`: not mappable (a pipe, a device, a file system without mmap), read it instead.
///
/// Why map: reading copies every byte from the kernel into a buffer, and that copy alone was
/// 14 % of the whole run on the 100k-record export (`perf record`), about 1.1 GB/s on this
/// machine: a ceiling below the throughput the CLI aims at.
fn read_mapped(file: &File, reader: &mut sendas_core::SourceReader<'_>) -> io::Result<bool> {
    let metadata = file.metadata()?;
    if !metadata.is_file() || metadata.len() == 0 {
        return Ok(false);
    }
    let size = metadata.len();
    let mut offset = 0;
    while offset < size {
        let len = MAP_WINDOW.min(size - offset);
        let options = {
            let mut options = memmap2::MmapOptions::new();
            options.offset(offset).len(len as usize);
            options
        };
        // SAFETY: the map is only read, through the slice it derefs to, while `window` lives.
        // What memmap2 cannot rule out is another process changing the file meanwhile: the
        // bytes could change under the parser (which only ever sees them as untrusted input,
        // so at worst the result is wrong) or, if the file is cut shorter, the read faults
        // (SIGBUS). The same trade-off ripgrep makes for exports at rest; pipes and devices
        // are read, never mapped.
        let window = match unsafe { options.map(file) } {
            Ok(window) => window,
            Err(_) if offset == 0 => return Ok(false),
            Err(e) => return Err(e),
        };
        if reader.push(&window).is_err() {
            break;
        }
        offset += len;
    }
    Ok(true)
}

/// Feeds any readable file to the core through one reused buffer.
fn read_buffered(file: &mut File, buffer: &mut [u8], reader: &mut sendas_core::SourceReader<'_>) -> io::Result<()> {
    loop {
        match file.read(buffer) {
            Ok(0) => return Ok(()),
            Ok(n) => {
                if reader.push(&buffer[..n]).is_err() {
                    return Ok(());
                }
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
    }
}
