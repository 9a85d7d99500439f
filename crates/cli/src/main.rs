//! `sendas-lens`: the command-line face of the SendAs Lens core.
//!
//! It runs exactly the pipeline the browser runs (`sendas_core::Analysis`), so
//! `summary --json` is the same document the app's "Download report" saves.
//!
//! Audit text and file names are attacker-controlled: nothing from them reaches the terminal
//! raw (`display::visible` for text, `display::to_json` for JSON).

#![forbid(unsafe_code)]

mod alerts;
mod generate;
mod human;
mod kql;
mod parts;

use std::fs::File;
use std::io::{self, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use chrono::{DateTime, Utc};
use clap::{Parser, Subcommand};
use sendas_core::display::{to_json, visible};
use sendas_core::report::{EventLine, ExportTimeOrigin};
use sendas_core::{Analysis, AnalysisResult, Input, SourceMeta};

/// Who really sent as whom, and how late the audit log is: read Microsoft 365 audit exports.
///
/// The format of each file is detected from its content, never its name. Several files are
/// merged; a record in two of them counts once.
#[derive(Parser, Debug)]
#[command(name = "sendas-lens", version, about, long_about, after_long_help = formats_help())]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Summarise one or more exports: counts, classes, delays, findings, rejected rows.
    Summary {
        #[command(flatten)]
        exports: ExportArgs,
        /// Print one JSON object (the same report the app downloads) instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Print every send-type event (SendAs, SendOnBehalf, Send) with its class and evidence.
    Events {
        #[command(flatten)]
        exports: ExportArgs,
        /// One JSON object per line (the only output format; required so scripts say what they expect).
        #[arg(long, required = true)]
        jsonl: bool,
    },
    /// List the classification rules, in the order they are tried.
    Rules {
        /// Print the rule table as JSON (the form a tenant's own rules take).
        #[arg(long)]
        json: bool,
    },
    /// Tune an alert on send events: how often it fires, how much of that is connector or
    /// system noise, the exclusion that silences it, and how early each alert could fire.
    Alerts(alerts::AlertsArgs),
    /// Write a deterministic synthetic export for benchmarks and tests.
    Generate(generate::GenerateArgs),
    /// Print the classifier as KQL for Microsoft Sentinel (OfficeActivity) or Defender XDR advanced
    /// hunting (CloudAppEvents), generated from the same rule table; or the arrival-delay query.
    Kql(kql::KqlArgs),
}

#[derive(clap::Args, Debug)]
pub(crate) struct RulesArg {
    /// A rules file (the JSON `sendas-lens rules --json` prints, with a tenant's own rules) to
    /// classify with instead of the built-in rules.
    #[arg(long = "rules", value_name = "FILE")]
    pub(crate) path: Option<PathBuf>,
}

/// The exports a command reads, and how: what `summary`, `events` and `alerts` share.
#[derive(clap::Args, Debug)]
pub(crate) struct ExportArgs {
    /// Export files (several daily or overlapping exports are merged; repeated records count once).
    #[arg(required = true)]
    pub(crate) files: Vec<PathBuf>,
    #[command(flatten)]
    times: ExportTimes,
    #[command(flatten)]
    rules: RulesArg,
    #[command(flatten)]
    threads: Threads,
}

#[derive(clap::Args, Debug)]
pub(crate) struct Threads {
    /// Threads that read a large CSV export in parts at once (default: every core). The report
    /// is the same whatever the number.
    #[arg(long = "threads", value_name = "N", value_parser = clap::value_parser!(u16).range(1..=256))]
    pub(crate) count: Option<u16>,
}

#[derive(clap::Args, Debug)]
struct ExportTimes {
    /// When FILE was exported (RFC 3339, e.g. 2026-11-20T09:00:00Z). Used to bound delays
    /// between overlapping exports; without it the file's modification time is used.
    #[arg(long = "exported-at", value_name = "FILE=TIME")]
    exported_at: Vec<String>,
}

/// Where each export comes from, as `--help` lists it (the README's table, from the core).
fn formats_help() -> String {
    let mut text = String::from("Exports it reads, and where they come from:\n");
    for format in sendas_core::ingest::Format::ALL {
        text.push_str(&format!("  {:<22} {}\n", format.name(), format.how_to_get()));
    }
    text
}

/// A failure that makes the run unusable: printed as one line, exit code 2.
struct Fatal(String);

/// How a run ends early.
enum Stop {
    /// Printed as one line, exit code 2.
    Fatal(Fatal),
    /// Whoever read the output stopped reading (`sendas-lens events … | head -1`): nothing
    /// more to say, and nothing wrong.
    OutputClosed,
}

impl From<Fatal> for Stop {
    fn from(fatal: Fatal) -> Self {
        Stop::Fatal(fatal)
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) | Err(Stop::OutputClosed) => ExitCode::SUCCESS,
        Err(Stop::Fatal(Fatal(message))) => {
            eprintln!("sendas-lens: {}", visible(&message));
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> Result<(), Stop> {
    let stdout = io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    let write_err = |e: io::Error| match e.kind() {
        io::ErrorKind::BrokenPipe => Stop::OutputClosed,
        _ => Stop::Fatal(Fatal(format!("cannot write output: {e}"))),
    };
    match cli.command {
        Command::Summary { exports, json } => {
            // The summary never shows raw records: not keeping them is most of the memory saved.
            let result = analyse(&exports, false, !json)?;
            if json {
                writeln!(out, "{}", to_json(&result.summary, true)).map_err(write_err)?;
            } else {
                human::print_summary(&mut out, &result).map_err(write_err)?;
            }
        }
        Command::Events { exports, .. } => {
            let result = analyse(&exports, true, true)?;
            for send in &result.sends {
                let line = EventLine::new(send, result.source_name(send.event.source));
                writeln!(out, "{}", to_json(&line, false)).map_err(write_err)?;
            }
        }
        Command::Rules { json } => {
            let rules = sendas_core::classify::RuleSet::default();
            if json {
                writeln!(out, "{}", to_json(&rules, true)).map_err(write_err)?;
            } else {
                for (i, rule) in rules.rules.iter().enumerate() {
                    let (name, explanation) = (visible(&rule.name), visible(&rule.explanation));
                    writeln!(out, "{}. {name} → {}\n   {explanation}", i + 1, rule.class.name()).map_err(write_err)?;
                }
                writeln!(out, "{}. (no rule matched) → unknown", rules.rules.len() + 1).map_err(write_err)?;
            }
        }
        Command::Alerts(args) => {
            let text = alerts::run(&args)?;
            out.write_all(text.as_bytes()).map_err(write_err)?;
        }
        Command::Generate(args) => generate::run(&args).map_err(Fatal)?,
        Command::Kql(args) => {
            let rules = load_rules(args.rules.path.as_deref())?;
            let text = kql::query(&args, &rules)?;
            write!(out, "{text}").map_err(write_err)?;
        }
    }
    out.flush().map_err(write_err)
}

/// The rule table: a rules file (the JSON `rules --json` prints), else the built-in rules. A file
/// that does not read is refused whole, with the JSON path of the fault.
fn load_rules(path: Option<&Path>) -> Result<sendas_core::classify::RuleSet, Fatal> {
    let Some(path) = path else {
        return Ok(sendas_core::classify::RuleSet::default());
    };
    let shown = path.display();
    let text = std::fs::read_to_string(path).map_err(|e| Fatal(format!("{shown}: cannot read the rules file: {e}")))?;
    sendas_core::classify::RuleSet::from_json(&text).map_err(|e| Fatal(format!("{shown}: not a rules file: {e}")))
}

/// The `--exported-at` time given for each file (matched on the path as given or its file name).
/// An entry that names no file given, or whose time is not RFC 3339, is an error: a silently
/// ignored export time would bound delays with the file's modification time instead.
fn given_export_times(files: &[PathBuf], times: &ExportTimes) -> Result<Vec<Option<DateTime<Utc>>>, Fatal> {
    let mut given = vec![None; files.len()];
    for entry in &times.exported_at {
        let Some((file, time)) = entry.rsplit_once('=') else {
            return Err(Fatal(format!("--exported-at {entry:?}: expected FILE=TIME")));
        };
        let time = DateTime::parse_from_rfc3339(time.trim()).map_err(|e| {
            Fatal(format!(
                "--exported-at {entry:?}: {time:?} is not an RFC 3339 date and time like 2026-11-20T09:00:00Z ({e})"
            ))
        })?;
        let named = |path: &PathBuf| {
            Path::new(file) == path.as_path() || path.file_name().is_some_and(|n| n == Path::new(file).as_os_str())
        };
        let mut matched = false;
        for (slot, _) in given.iter_mut().zip(files).filter(|(_, path)| named(path)) {
            *slot = Some(time.with_timezone(&Utc));
            matched = true;
        }
        if !matched {
            return Err(Fatal(format!("--exported-at {entry:?}: {file:?} is not one of the files given")));
        }
    }
    Ok(given)
}

/// Reads every file through the core's multi-file analysis: an unusable file is a warning
/// line on stderr (the report lists it too), and only when no file is usable is the run fatal.
fn analyse(exports: &ExportArgs, keep_details: bool, show_progress: bool) -> Result<AnalysisResult, Fatal> {
    let ExportArgs { files, times, rules, threads } = exports;
    let rules = load_rules(rules.path.as_deref())?;
    let given = given_export_times(files, times)?;
    let mut inputs = Vec::with_capacity(files.len());
    for (path, given) in files.iter().zip(given) {
        let exported_at = match given {
            Some(t) => Some((t, ExportTimeOrigin::Given)),
            None => std::fs::metadata(path)
                .and_then(|m| m.modified())
                .ok()
                .map(|t| (DateTime::<Utc>::from(t), ExportTimeOrigin::FileModified)),
        };
        inputs.push(FileInput::new(path, exported_at));
    }
    let total_bytes: u64 = inputs.iter().map(Input::size).sum();
    let mut analysis = Analysis::new(rules);
    analysis.keep_send_details(keep_details);
    // Neither command prints raw records.
    analysis.keep_raw_records(false);
    let shown = |i: usize| files[i].display().to_string();
    let bar = progress_bar(total_bytes, show_progress);
    let mut progress = |at: &sendas_core::Progress| {
        if let Some(bar) = &bar {
            bar.set_position(at.bytes);
            let seconds = bar.elapsed().as_secs_f64().max(0.001);
            bar.set_message(format!("{} records, {:.0}/s", at.rows, at.rows as f64 / seconds));
        }
    };
    let threads = parts::thread_count(threads.count.map(usize::from));
    let mut at = sendas_core::Progress { total: total_bytes, ..Default::default() };
    for input in inputs {
        let (done, done_rows) = (at.bytes, at.rows);
        let (read, rows) = (std::sync::atomic::AtomicU64::new(0), std::sync::atomic::AtomicU64::new(0));
        let tick = |n: u64, more_rows: u64| {
            let read = read.fetch_add(n, std::sync::atomic::Ordering::Relaxed) + n;
            let rows = rows.fetch_add(more_rows, std::sync::atomic::Ordering::Relaxed) + more_rows;
            if let Some(bar) = &bar {
                bar.set_position(done + read);
                let seconds = bar.elapsed().as_secs_f64().max(0.001);
                let rows = done_rows + rows;
                bar.set_message(format!("{rows} records, {:.0}/s", rows as f64 / seconds));
            }
        };
        // A large CSV export on every core; anything else (and a cut that does not verify) in one pass.
        if let Some(one) = parts::read_in_parts(&analysis, input.path, &input.meta, input.size, threads, &tick) {
            analysis.merge(one);
            at.bytes = done + input.size;
            at.rows = done_rows + rows.into_inner();
            continue;
        }
        at.bytes = done;
        pollster::block_on(analysis.read_input(input, &mut at, &mut progress));
    }
    let outcome = analysis.report();
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    match outcome {
        Ok(result) => {
            for (i, source) in result.summary.sources.iter().enumerate() {
                if let Some(error) = &source.error {
                    eprintln!("sendas-lens: warning: {}", visible(&format!("{}: {error}", shown(i))));
                }
            }
            Ok(result)
        }
        Err(none) => {
            let reasons: Vec<String> =
                none.inputs.iter().enumerate().map(|(i, input)| format!("{}: {}", shown(i), input.reason)).collect();
            Err(Fatal(match reasons.as_slice() {
                [one] => one.clone(),
                many => format!("no input is usable: {}", many.join("; ")),
            }))
        }
    }
}

/// Inputs smaller than this are read before a bar would be worth drawing.
const PROGRESS_MIN_BYTES: u64 = 64 << 20;

/// A progress bar on stderr, for large inputs when stderr is a terminal and the caller allows
/// it: never in a pipe, a file or a CI log.
fn progress_bar(total: u64, allowed: bool) -> Option<indicatif::ProgressBar> {
    use std::io::IsTerminal;
    if !allowed || total < PROGRESS_MIN_BYTES || !io::stderr().is_terminal() {
        return None;
    }
    let bar = indicatif::ProgressBar::with_draw_target(Some(total), indicatif::ProgressDrawTarget::stderr());
    let style =
        indicatif::ProgressStyle::with_template("{bar:30} {bytes}/{total_bytes} {bytes_per_sec} {msg}, {eta} left")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar());
    bar.set_style(style);
    Some(bar)
}

/// One export file, opened when first read and read through one reused buffer.
///
/// Read, not mapped: a mapped file that another process cuts shorter meanwhile kills the run
/// with SIGBUS, with nothing said. A read of a file that shrank simply ends early, and the
/// size taken when the file was opened tells that it did: the input is then unusable, with
/// that reason (the browser says the same of a file that changes under it).
struct FileInput<'p> {
    path: &'p Path,
    meta: SourceMeta,
    size: u64,
    reading: Option<Reading>,
    buffer: Vec<u8>,
}

/// An open file and how far it has been read.
struct Reading {
    file: File,
    /// The size of a regular file when it was opened; `None` for pipes and devices.
    size: Option<u64>,
    read: u64,
}

impl<'p> FileInput<'p> {
    fn new(path: &'p Path, exported_at: Option<(DateTime<Utc>, ExportTimeOrigin)>) -> Self {
        let name = path.file_name().map_or_else(|| path.display().to_string(), |n| n.to_string_lossy().into_owned());
        let size = std::fs::metadata(path).map_or(0, |m| m.len());
        Self { path, meta: SourceMeta { name, exported_at }, size, reading: None, buffer: Vec::new() }
    }

    fn next(&mut self) -> Option<Result<&[u8], String>> {
        if self.reading.is_none() {
            let file = match File::open(self.path) {
                Ok(file) => file,
                Err(e) => return Some(Err(format!("cannot open: {e}"))),
            };
            let size = file.metadata().ok().filter(|m| m.is_file()).map(|m| m.len());
            self.reading = Some(Reading { file, size, read: 0 });
            self.buffer.resize(READ_BUFFER, 0);
        }
        let reading = self.reading.as_mut()?;
        loop {
            match reading.file.read(&mut self.buffer) {
                Ok(0) => {
                    return match reading.size {
                        Some(size) if reading.read < size => Some(Err(format!(
                            "it changed while it was being read: it ended after {} of its {size} bytes",
                            reading.read
                        ))),
                        _ => None,
                    };
                }
                Ok(n) => {
                    reading.read += n as u64;
                    return Some(Ok(&self.buffer[..n]));
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Some(Err(format!("cannot read: {e}"))),
            }
        }
    }
}

impl Input for FileInput<'_> {
    fn meta(&self) -> SourceMeta {
        self.meta.clone()
    }

    fn size(&self) -> u64 {
        self.size
    }

    async fn next_chunk(&mut self) -> Option<Result<&[u8], String>> {
        self.next()
    }
}

/// Bytes read at a time: resident memory stays bounded by one buffer however large the file.
pub(crate) const READ_BUFFER: usize = 1 << 20;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_cut_shorter_while_it_is_read_ends_as_a_reason_not_a_signal() {
        let path = std::env::temp_dir().join(format!("sendas-lens-shrinks-{}.csv", std::process::id()));
        std::fs::write(&path, vec![b'x'; 3 * READ_BUFFER]).unwrap();
        let mut input = FileInput::new(&path, None);
        assert_eq!(input.next().unwrap().unwrap().len(), READ_BUFFER);
        // Another process cuts the file to half its size while the first megabyte is analysed.
        std::fs::OpenOptions::new().write(true).open(&path).unwrap().set_len(READ_BUFFER as u64 * 3 / 2).unwrap();
        assert_eq!(input.next().unwrap().unwrap().len(), READ_BUFFER / 2);
        let reason = input.next().unwrap().unwrap_err();
        assert_eq!(
            reason,
            format!(
                "it changed while it was being read: it ended after {} of its {} bytes",
                READ_BUFFER * 3 / 2,
                3 * READ_BUFFER
            )
        );
        std::fs::remove_file(&path).unwrap();
    }

    #[test]
    fn a_missing_file_is_a_reason() {
        let mut input = FileInput::new(Path::new("/no/such/export.csv"), None);
        assert!(input.next().unwrap().unwrap_err().starts_with("cannot open: "));
    }
}
