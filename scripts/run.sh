#!/usr/bin/env bash
# First command: set up, build the app (release, offline) and serve it on localhost.
#   scripts/run.sh [PORT]     default port 8080
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh app
export PATH="$HOME/.cargo/bin:$PWD/node_modules/.bin:$PATH"
port=${1:-8080}
trunk build --release --offline
echo "SendAs Lens: http://127.0.0.1:$port/  (Ctrl-C stops it; dist/ can be copied to any static host)"
exec python3 -m http.server "$port" --bind 127.0.0.1 --directory dist
