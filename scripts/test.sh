#!/usr/bin/env bash
# The whole test suite, as README.md documents it: formatting, lints, every crate's tests.
# Installs what the tests need on a fresh Debian machine (cabextract, to check our LZX cabs against it; chromium,
# to render the HTML report in a real browser).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# ensure_tool COMMAND WHY: installs the Debian package of the same name when COMMAND is missing (as root, with
# apt-get); otherwise warns that the check needing it will be skipped.
APT_UPDATED=0
ensure_tool() {
  local tool="$1" why="$2"
  command -v "$tool" >/dev/null 2>&1 && return 0
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "test.sh: installing $tool ($why)" >&2
    if [ "$APT_UPDATED" = 0 ]; then apt-get update -qq && APT_UPDATED=1; fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$tool" >/dev/null \
      || echo "test.sh: WARNING: could not install $tool; the check that needs it ($why) will be skipped" >&2
  else
    echo "test.sh: WARNING: $tool missing and cannot be installed; the check that needs it ($why) will be skipped" >&2
  fi
}
ensure_tool cabextract "to check our LZX cabs against it"
ensure_tool chromium "renders the HTML report in a real browser"
if [ ! -d ../shared/fixtures ]; then
  if [ "${PATCHDX_SKIP_FIXTURES:-}" = 1 ]; then
    echo "test.sh: WARNING: ../shared/fixtures is missing and PATCHDX_SKIP_FIXTURES=1: tests on real logs will say so and check nothing" >&2
  else
    echo "test.sh: WARNING: ../shared/fixtures is missing: tests on real logs will FAIL (set PATCHDX_SKIP_FIXTURES=1 to skip them on purpose)" >&2
  fi
fi

cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings
cargo test --workspace --locked
# The detection rules, checked the way a rule author checks them.
cargo run --quiet --locked -p patchdx -- rules lint
cargo run --quiet --locked -p patchdx -- rules test | tail -n 1
