#!/usr/bin/env bash
# Runs the Hooklab desktop app (receiver on http://127.0.0.1:8787/api/webhooks/clerk, the
# public URL when an ngrok authtoken is saved). `make serve` runs the headless receiver instead.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh
(cd ui && npm run --silent build)
cargo build --locked -p hooklab-app
if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; then
  echo "run: no display here. On a desktop, run target/debug/hooklab-app; in a terminal, use" >&2
  echo "     \`make serve\` (the headless receiver), or \`xvfb-run target/debug/hooklab-app\`." >&2
  exit 1
fi
exec "${CARGO_TARGET_DIR:-target}/debug/hooklab-app"
