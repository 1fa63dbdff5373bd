#!/usr/bin/env bash
# Runs the headless receiver: `hooklab serve` on http://127.0.0.1:8787/api/webhooks/clerk.
# Extra arguments go to `hooklab serve` (e.g. --tunnel, --port 9000).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh
cargo build --release --locked -p hooklab-cli
exec "${CARGO_TARGET_DIR:-target}/release/hooklab" serve "$@"
