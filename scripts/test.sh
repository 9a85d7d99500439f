#!/usr/bin/env bash
# Second command: every test. Native tests of the core, the CLI and the app's pure code,
# then the Wasm build of the core and the app (the core must compile for the browser).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh test
export PATH="$HOME/.cargo/bin:$PWD/node_modules/.bin:$PATH"

log=$(mktemp)
trap 'rm -f "$log"' EXIT

echo "== native tests"
cargo test --workspace --locked 2>&1 | tee "$log"

echo "== wasm32 build of the core and the app"
cargo build --locked --target wasm32-unknown-unknown -p sendas-core -p sendas-lens-web

# One closing line over every test binary (cargo prints one result line per binary).
sum() { grep -Eo "[0-9]+ $1" "$log" | awk '{ n += $1 } END { print n + 0 }'; }
echo "tests: $(sum passed) passed, $(sum failed) failed"
