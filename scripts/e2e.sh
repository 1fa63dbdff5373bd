#!/usr/bin/env bash
# End-to-end tests of the real desktop app: a debug build driven through tauri-driver and
# WebKitWebDriver in an Xvfb display, on temporary databases and settings files. Screenshots of
# the main screens land in docs/screenshots/.
set -euo pipefail
cd "$(dirname "$0")/.."

export PATH="$HOME/.cargo/bin:$PATH"
cargo build --locked -p hooklab-app -p hooklab-cli
target="${CARGO_TARGET_DIR:-$PWD/target}"
export HOOKLAB_APP="$target/debug/hooklab-app" HOOKLAB_CLI="$target/debug/hooklab"
exec xvfb-run -a -s "-screen 0 1280x800x24" node --test --test-concurrency=1 src-tauri/e2e/
