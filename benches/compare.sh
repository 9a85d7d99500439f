#!/usr/bin/env bash
# Side by side on the same generated export: the CLI (whole process), the release app in
# headless Chromium, and what an analyst would use instead (Python csv + json.loads per row,
# pandas read_csv + json_normalize, DuckDB read_csv + JSON extraction; DuckDB-Wasm in the same
# Chromium as the app, runs alternating with the app's, benches/browser-duckdb.mjs).
#
#   benches/compare.sh [ROWS] [RUNS]      default 100000 rows, 3 runs (medians)
#   BASELINES=0 benches/compare.sh 1000000 1   the project's own figures only (pandas needs
#                                              many GB for a million rows)
#
# Installs pandas and DuckDB from PyPI into target/bench/venv and DuckDB-Wasm from npm into
# benches/node_modules (benches/package-lock.json, apart from the test tools); builds the CLI and dist/ if needed (scripts/setup.sh first). Prints seconds,
# MB/s and each tool's time relative to the CLI, and DuckDB-Wasm's time relative to the app's.
set -euo pipefail
cd "$(dirname "$0")/.."
rows=${1:-100000}
runs=${2:-3}
export PATH="$HOME/.cargo/bin:$PWD/node_modules/.bin:$PATH"
mkdir -p target/bench
file=target/bench/purview-$rows.csv

cargo build --release --locked --bin sendas-lens >/dev/null 2>&1
[ -s "$file" ] || target/release/sendas-lens generate --format purview-csv --rows "$rows" --seed 1 "$file"
ndjson=target/bench/ndjson-$rows.jsonl
[ -s "$ndjson" ] || target/release/sendas-lens generate --format ndjson --rows "$rows" --seed 1 "$ndjson"
# Always rebuilt: a stale dist/ would time old code.
trunk build --release --offline >/dev/null 2>&1
if [ "${BASELINES:-1}" != 0 ] && ! target/bench/venv/bin/python -c 'import pandas, duckdb' 2>/dev/null; then
  python3 -m venv target/bench/venv
  target/bench/venv/bin/pip install -q pandas duckdb
fi
if [ "${BASELINES:-1}" != 0 ] && [ ! -d benches/node_modules/@duckdb/duckdb-wasm ]; then
  npm ci --prefix benches --no-audit --no-fund >/dev/null
fi

bytes=$(stat -c %s "$file")
mb=$(awk -v b="$bytes" 'BEGIN { printf "%.0f", b / 1e6 }')
echo "file: $file ($mb MB, $rows records); $(nproc) cores; medians of $runs runs"

median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
cli=$(for _ in $(seq "$runs"); do
  /usr/bin/time -f "%e %M" target/release/sendas-lens summary --json "$file" 2>&1 >/dev/null | tail -1
done | tee target/bench/cli-times.txt | awk '{ print $1 }' | median)
peak=$(awk '{ print $2 }' target/bench/cli-times.txt | sort -n | tail -1)
# The same on one thread (the default reads a large CSV in parts on every core).
cli1=$(for _ in $(seq "$runs"); do
  /usr/bin/time -f "%e %M" target/release/sendas-lens summary --json --threads 1 "$file" 2>&1 >/dev/null | tail -1
done | tee target/bench/cli-1-thread-times.txt | awk '{ print $1 }' | median)
ndjson_bytes=$(stat -c %s "$ndjson")
ndjson_cli=$(for _ in $(seq "$runs"); do
  /usr/bin/time -f "%e %M" target/release/sendas-lens summary --json "$ndjson" 2>&1 >/dev/null | tail -1
done | tee target/bench/cli-ndjson-times.txt | awk '{ print $1 }' | median)

browser=$(node benches/browser-drop.mjs "$file" "$runs" | tee target/bench/browser.txt | sed -n 's/.*median \([0-9.]*\) s.*/\1/p')
: > target/bench/baselines.txt
: > target/bench/duckdb-wasm.txt
if [ "${BASELINES:-1}" != 0 ]; then
  target/bench/venv/bin/python benches/baselines.py "$file" "$runs" | tee target/bench/baselines.txt >/dev/null
  # Fails (and so does this script) if DuckDB-Wasm's counts disagree with the CLI's.
  node benches/browser-duckdb.mjs "$file" "$runs" > target/bench/duckdb-wasm.txt
fi

printf '\n%-18s %9s %9s %10s\n' tool seconds MB/s "vs CLI"
line() { awk -v n="$1" -v s="$2" -v b="$bytes" -v c="$cli" 'BEGIN { printf "%-18s %9.2f %9.0f %9.1fx\n", n, s, b / 1e6 / s, s / c }'; }
line "sendas-lens CLI" "$cli"
line "CLI, 1 thread" "$cli1"
line "browser (worker)" "$browser"
while read -r name seconds _ _; do line "$name" "$seconds"; done < target/bench/baselines.txt
duckdb_wasm=$(sed -n 's/^duckdb-wasm (hand-over to counts): median \([0-9.]*\) s.*/\1/p' target/bench/duckdb-wasm.txt)
[ -z "$duckdb_wasm" ] || line "duckdb-wasm" "$duckdb_wasm"
echo
echo "CLI peak memory: $((peak / 1024)) MB (max RSS, /usr/bin/time; $(nproc) threads), $(( $(awk '{ print $2 }' target/bench/cli-1-thread-times.txt | sort -n | tail -1) / 1024 )) MB on 1 thread"
# On a shared machine the fastest run is the one least disturbed by other work.
best=$(awk '{ print $1 }' target/bench/cli-times.txt | sort -n | head -1)
awk -v s="$best" -v b="$bytes" -v r="$runs" 'BEGIN { printf "CLI fastest of %d runs: %.2f s, %.0f MB/s\n", r, s, b / 1e6 / s }'
awk -v s="$ndjson_cli" -v b="$ndjson_bytes" -v n="$rows" 'BEGIN { printf "CLI on NDJSON (%s, %.0f MB): %.2f s, %.0f MB/s, %.0f records/s\n", "'"$ndjson"'", b / 1e6, s, b / 1e6 / s, n / s }'
awk -v s="$cli" -v n="$rows" 'BEGIN { printf "CLI on the CSV: %.0f records/s\n", n / s }'
grep -E '^  steps' target/bench/browser.txt | sed 's/^  /browser /' | head -1
grep -E '^run' target/bench/browser.txt | sed 's/^/browser /'
if [ -s target/bench/duckdb-wasm.txt ]; then
  # Its own alternating runs of the app, so both medians come from the same minutes.
  grep -E '^(app|duckdb-wasm|ratio|counts)' target/bench/duckdb-wasm.txt | sed 's/^/browser-duckdb: /'
fi
