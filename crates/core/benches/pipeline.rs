//! Inner-loop benchmarks: `cargo bench -p sendas-core`.
//!
//! Each runs on a deterministic synthetic export built in memory (the same generator the CLI's
//! `generate` writes files with), and divan reports time and throughput per stage:
//! ingest alone (bytes → events), the whole analysis (ingest, de-duplication, classification,
//! delays, report, findings), and the classifier on send events alone.

use std::sync::LazyLock;

use divan::counter::{BytesCount, ItemsCount};
use divan::{black_box, Bencher};
use sendas_core::classify::RuleSet;
use sendas_core::generate::write_export;
use sendas_core::ingest::{EventSink, Format, Ingestor, PlainRecord, RowError};
use sendas_core::model::AuditEvent;
use sendas_core::{Analysis, MemoryInput};

const ROWS: u64 = 20_000;

fn export(format: Format) -> Vec<u8> {
    let mut bytes = Vec::new();
    write_export(format, ROWS, 1, &mut bytes).expect("writing to memory");
    bytes
}

static PURVIEW: LazyLock<Vec<u8>> = LazyLock::new(|| export(Format::PurviewCsv));
static NDJSON: LazyLock<Vec<u8>> = LazyLock::new(|| export(Format::Ndjson));
static SENTINEL: LazyLock<Vec<u8>> = LazyLock::new(|| export(Format::SentinelCsv));

fn main() {
    divan::main();
}

fn input(name: &str) -> &'static [u8] {
    match name {
        "purview-csv" => &PURVIEW,
        "ndjson" => &NDJSON,
        _ => &SENTINEL,
    }
}

/// Counts what ingest produces, keeping nothing.
#[derive(Default)]
struct Count {
    events: u64,
    rejected: u64,
}

impl EventSink for Count {
    fn event(&mut self, event: AuditEvent) {
        self.events += 1;
        black_box(event);
    }
    fn plain(&mut self, record: PlainRecord<'_>) {
        self.events += 1;
        black_box(record);
    }
    fn rejected(&mut self, error: RowError) {
        self.rejected += 1;
        black_box(error);
    }
}

/// Bytes → events, in 1 MiB chunks as the CLI reads them.
#[divan::bench(args = ["purview-csv", "ndjson", "sentinel-csv"])]
fn ingest(bencher: Bencher, format: &str) {
    let bytes = input(format);
    bencher.counter(BytesCount::of_slice(bytes)).bench(|| {
        let mut sink = Count::default();
        let mut ingestor = Ingestor::new(0);
        for chunk in bytes.chunks(1 << 20) {
            ingestor.push(chunk, &mut sink).expect("a valid export");
        }
        ingestor.finish(&mut sink).expect("a valid export");
        assert_eq!(sink.events, ROWS);
    });
}

/// The whole pipeline: what the CLI's `summary` and the browser's worker run.
#[divan::bench(args = ["purview-csv", "ndjson", "sentinel-csv"])]
fn analysis(bencher: Bencher, format: &str) {
    let bytes = input(format);
    bencher.counter(BytesCount::of_slice(bytes)).bench(|| {
        let inputs = [MemoryInput::new(format, bytes).in_chunks_of(1 << 20)];
        black_box(pollster::block_on(Analysis::default().analyse(inputs, |_| {})).expect("a valid export"))
    });
}

/// The rule table on every send event of the export.
#[divan::bench]
fn classify(bencher: Bencher) {
    struct Sends(Vec<AuditEvent>);
    impl EventSink for Sends {
        fn event(&mut self, event: AuditEvent) {
            if event.send_operation().is_some() {
                self.0.push(event);
            }
        }
        fn rejected(&mut self, _: RowError) {}
    }
    let mut sends = Sends(Vec::new());
    let mut ingestor = Ingestor::new(0);
    ingestor.push(&PURVIEW, &mut sends).expect("a valid export");
    ingestor.finish(&mut sends).expect("a valid export");
    let rules = RuleSet::default();
    bencher.counter(ItemsCount::new(sends.0.len())).bench(|| {
        for event in &sends.0 {
            black_box(rules.classify(event));
        }
    });
}
