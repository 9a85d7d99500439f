"""The CLI against DuckDB natively, run alternately so both see the same minutes of a noisy machine.

    target/bench/venv/bin/python benches/cli_vs_duckdb.py FILE [ROUNDS] [CLI]

Each round runs the CLI once as a whole process (`summary --json`, its default thread count)
and DuckDB once in-process, as `benches/baselines.py` runs it (`read_csv` + JSON extraction),
after one DuckDB warm-up. Prints medians with ranges, the ratio of the medians and the ratio of
each pair. A benchmark, not a test.
"""

import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from baselines import duckdb_sql  # noqa: E402


def main():
    path = sys.argv[1]
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 11
    cli = sys.argv[3] if len(sys.argv) > 3 else "target/release/sendas-lens"
    cli_times, duck_times = [], []
    duckdb_sql(path)
    for _ in range(rounds):
        start = time.perf_counter()
        subprocess.run([cli, "summary", "--json", path], stdout=subprocess.DEVNULL, check=True)
        cli_times.append(time.perf_counter() - start)
        start = time.perf_counter()
        duckdb_sql(path)
        duck_times.append(time.perf_counter() - start)

    def spread(xs):
        return f"{statistics.median(xs):.3f} s ({min(xs):.3f}-{max(xs):.3f})"

    pairs = sorted(round(d / c, 1) for c, d in zip(cli_times, duck_times))
    print(f"cli {spread(cli_times)}")
    print(f"duckdb {spread(duck_times)}")
    print(f"duckdb / cli: {statistics.median(duck_times) / statistics.median(cli_times):.1f}x, pair by pair {pairs[0]}-{pairs[-1]}x")


if __name__ == "__main__":
    main()
