#!/usr/bin/env bash
# Rebuilds Windows/Logs/CBS/CbsPersist_20221011010000.cab from its source log in
# this folder, with patchdx-testkit's `mkcab` (LZX, window 2^21, typeCompress 0x1503,
# like the CbsPersist_*.cab files Windows writes). The output is byte-for-byte reproducible.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
src="$root/examples/cas-07293-src/CbsPersist_20221011010000.log"
out="$root/examples/cas-07293/Windows/Logs/CBS/CbsPersist_20221011010000.cab"
# Entry time = when CBS renamed CBS.log to this CbsPersist (2022-10-11 01:00:00 UTC), in local time.
cargo run --quiet --manifest-path "$root/Cargo.toml" -j1 -p patchdx-testkit --bin mkcab -- \
  --lzx --date 2022-10-11T09:00:00 "$out" "$src"
if command -v cabextract >/dev/null 2>&1; then
  cabextract -t "$out" >/dev/null && echo "cabextract -t: OK"
fi
ls -l "$out"
