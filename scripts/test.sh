#!/usr/bin/env bash
# Everything CI checks: set-up, the UI's type check, unit tests and build, Rust formatting and
# lints, every Rust test, generated TypeScript types being current, and end-to-end tests of the
# real app window under Xvfb.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh test
echo "== ui: svelte-check, vitest, vite build"
(cd ui && npm run --silent check && npm run --silent test && npm run --silent build)
echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy -D warnings"
cargo clippy --workspace --all-targets --locked -- -D warnings
cargo clippy -p hooklab-core --all-targets --features ts --locked -- -D warnings
echo "== cargo test"
cargo test --workspace --locked
echo "== generated TypeScript types are current"
cargo test --locked -p hooklab-core --features ts --test ts_bindings
echo "== end-to-end: the real app under Xvfb"
scripts/e2e.sh
