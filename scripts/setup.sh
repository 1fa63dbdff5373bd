#!/usr/bin/env bash
# Installs what building, running and testing Hooklab needs on a fresh Debian/Ubuntu machine:
# Debian packages (the desktop app's WebKitGTK; with `test`, Xvfb and the WebDriver pieces),
# the UI's npm packages, and (with `test`) tauri-driver. Installs only what is missing, so a
# second run takes a second.
#   scripts/setup.sh        build and run
#   scripts/setup.sh test   also what the end-to-end tests of the real window need
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(build-essential pkg-config ca-certificates
  libwebkit2gtk-4.1-dev libxdo-dev libayatana-appindicator3-dev librsvg2-dev)
if [ "${1:-}" = "test" ]; then
  packages+=(xvfb xauth webkit2gtk-driver xclip)
fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "setup: installing ${missing[*]}"
  $sudo apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# The workspace needs Rust 1.88 or newer (let-chains), with rustfmt and clippy.
need="1.88"
if ! command -v cargo >/dev/null 2>&1; then
  echo "setup: Rust $need+ is required: install it with rustup (https://rustup.rs)" >&2
  exit 1
fi
have=$(rustc --version | awk '{print $2}')
if [ "$(printf '%s\n%s\n' "$need" "$have" | sort -V | head -n1)" != "$need" ]; then
  echo "setup: Rust $have is too old; $need+ is required (rustup update stable)" >&2
  exit 1
fi
if command -v rustup >/dev/null 2>&1; then
  for c in rustfmt clippy; do
    rustup component list --installed 2>/dev/null | grep -q "^$c" || rustup component add "$c"
  done
fi
for tool in rustfmt cargo-clippy; do
  command -v "$tool" >/dev/null 2>&1 || { echo "setup: $tool is missing (rustup component add ${tool#cargo-})" >&2; exit 1; }
done

# The UI: Node 20 or newer with npm, then the locked packages.
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  echo "setup: Node.js 20+ with npm is required for the UI (https://nodejs.org, or your package manager)" >&2
  exit 1
fi
node_major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$node_major" -lt 20 ]; then
  echo "setup: Node.js $(node --version) is too old; 20 or newer is required" >&2
  exit 1
fi
if [ ! -f ui/node_modules/.package-lock.json ] || [ ui/package-lock.json -nt ui/node_modules/.package-lock.json ]; then
  echo "setup: npm ci (ui)"
  (cd ui && npm ci --no-audit --no-fund --loglevel=error)
fi

if [ "${1:-}" = "test" ]; then
  export PATH="$HOME/.cargo/bin:$PATH"
  if ! command -v tauri-driver >/dev/null 2>&1; then
    echo "setup: cargo install tauri-driver (about a minute)"
    cargo install tauri-driver --locked --version 2.1.0 --quiet
  fi
fi
