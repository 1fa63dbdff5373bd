#!/usr/bin/env bash
# Installs what building and testing Hooklab needs on a fresh Debian/Ubuntu machine.
# Installs only what is missing, so a second run takes a second.
set -euo pipefail

packages=(build-essential pkg-config libssl-dev ca-certificates)
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
