#!/usr/bin/env bash
# The whole test suite, as README.md documents it: formatting, lints, every crate's tests.
# Installs what the tests need on a fresh Debian machine (cabextract, to check our LZX cabs against it; chromium,
# to render the HTML report in a real browser).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

if ! command -v cabextract >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "test.sh: installing cabextract" >&2
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq cabextract >/dev/null) \
      || echo "test.sh: WARNING: could not install cabextract; the cabextract cross-check will be skipped" >&2
  else
    echo "test.sh: WARNING: cabextract missing and cannot be installed; its cross-check will be skipped" >&2
  fi
fi
if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "test.sh: installing chromium (renders the HTML report in a real browser)" >&2
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
      || echo "test.sh: WARNING: could not install chromium; the HTML report's browser check will be skipped" >&2
  else
    echo "test.sh: WARNING: chromium missing and cannot be installed; the HTML report's browser check will be skipped" >&2
  fi
fi
if [ ! -d ../shared/fixtures ]; then
  echo "test.sh: WARNING: ../shared/fixtures is missing: tests on real logs will say so and check nothing" >&2
fi

cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings
cargo test --workspace --locked
# The detection rules, checked the way a rule author checks them.
cargo run --quiet --locked -p patchdx -- rules lint
cargo run --quiet --locked -p patchdx -- rules test | tail -n 1
