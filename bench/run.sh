#!/usr/bin/env bash
# patchdx benchmark: builds >= BENCH_GIB GiB of CBS text from the real fixtures in ../shared/fixtures and, in one
# run, times `patchdx analyze --json` against `rg -c 'Error|Failed'` on the same files, measures patchdx's peak RSS
# and prints a Markdown table row plus PASS/FAIL against the targets. See bench/README.md.
#
# Exit status: 0 when every section ran (a missed target is informational, not an error); 1 when something
# broke (patchdx did not build, crashed, a tool is missing, ...). Sections that can run still run and print.
set -euo pipefail

# ---------------------------------------------------------------------------------------------------------------
# Settings (environment)
# ---------------------------------------------------------------------------------------------------------------
BENCH_GIB="${BENCH_GIB:-1}"                    # corpus size in GiB (may be fractional, e.g. 0.25)
BENCH_RUNS="${BENCH_RUNS:-5}"                  # timed runs per command
BENCH_WARMUP="${BENCH_WARMUP:-1}"              # untimed warm-up runs per command
BENCH_SECTIONS="${BENCH_SECTIONS:-cbs evtx bundle}"  # space-separated, any of: cbs evtx bundle (section_* below)
BENCH_CARGO_FLAGS="${BENCH_CARGO_FLAGS:-}"     # extra flags for cargo build, e.g. "-j1"
BENCH_SKIP_BUILD="${BENCH_SKIP_BUILD:-0}"      # 1: use the existing target/release/patchdx as is
BENCH_NO_HYPERFINE="${BENCH_NO_HYPERFINE:-0}"  # 1: time with the bash loop even when hyperfine is there
BENCH_MAX_RATIO="${BENCH_MAX_RATIO:-1.5}"      # target: patchdx median / rg median
BENCH_MAX_RSS_MIB="${BENCH_MAX_RSS_MIB:-64}"   # target: patchdx peak RSS
BENCH_MAX_EVTX_RATIO="${BENCH_MAX_EVTX_RATIO:-1.0}"  # target: patchdx median / evtx_dump median
BENCH_EVTX_RUNS="${BENCH_EVTX_RUNS:-30}"       # timed runs per command in the evtx section (short runs: more of them)
BENCH_EVTX_WARMUP="${BENCH_EVTX_WARMUP:-3}"    # warm-up runs per command in the evtx section
BENCH_EVTX_FILE="${BENCH_EVTX_FILE:-}"         # evtx input; default: the largest fixtures/evtx/*System*.evtx
BENCH_TIMEOUT="${BENCH_TIMEOUT:-300}"          # seconds before an untimed (checking) run counts as hung

# ---------------------------------------------------------------------------------------------------------------
# Locations: the repo root is the parent of this script's folder, wherever the script is called from.
# ---------------------------------------------------------------------------------------------------------------
SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$SCRIPT_DIR/.." && pwd)"
cd "$ROOT"
if [ ! -f Cargo.toml ] || [ ! -d crates ]; then
  echo "bench: $ROOT does not look like the patchdx workspace (no Cargo.toml/crates)" >&2
  exit 1
fi
FIXTURES="$(dirname "$ROOT")/shared/fixtures"
OUT=bench/out                       # git-ignored (/bench/out in .gitignore); paths stay relative to $ROOT
CORPUS="$OUT/corpus"
PATCHDX="${BENCH_PATCHDX:-target/release/patchdx}"  # BENCH_PATCHDX: another binary (with BENCH_SKIP_BUILD=1)

BROKEN=0                            # set to 1 by anything that breaks; the script still reports what it can
ROWS=()                             # Markdown table rows, printed at the end
TARGETS=()                          # target lines with PASS/FAIL, printed at the end
PATCHDX_OK=0                        # 1 once the binary is built and runnable

log() { printf 'bench: %s\n' "$*" >&2; }
warn() { printf 'bench: WARNING: %s\n' "$*" >&2; }
broke() { printf 'bench: ERROR: %s\n' "$*" >&2; BROKEN=1; }
die() { printf 'bench: ERROR: %s\n' "$*" >&2; exit 1; }

# ---------------------------------------------------------------------------------------------------------------
# Tools
# ---------------------------------------------------------------------------------------------------------------
APT_UPDATED=0
# apt_install PKG...: quiet, non-interactive; as root, or through passwordless sudo. Returns non-zero on failure.
apt_install() {
  local sudo=()
  if [ "$(id -u)" != 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo=(sudo -n); else return 1; fi
  fi
  command -v apt-get >/dev/null 2>&1 || return 1
  log "installing $* (apt-get output in $OUT/apt.log)"
  if [ "$APT_UPDATED" = 0 ]; then
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq >>"$OUT/apt.log" 2>&1 || {
      tail -n 5 "$OUT/apt.log" >&2
      return 1
    }
    APT_UPDATED=1
  fi
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" \
    >>"$OUT/apt.log" 2>&1 || {
    tail -n 5 "$OUT/apt.log" >&2
    return 1
  }
}

# `time` is a bash keyword, so GNU time is looked for as a file; `-v` is what we need from it.
have_gnu_time() { [ -x /usr/bin/time ] && /usr/bin/time -v true >/dev/null 2>&1; }

ensure_tools() {
  local missing=()
  command -v rg >/dev/null 2>&1 || missing+=(ripgrep)
  command -v cabextract >/dev/null 2>&1 || missing+=(cabextract)
  have_gnu_time || missing+=(time)
  if [ ${#missing[@]} -gt 0 ]; then
    apt_install "${missing[@]}" || die "missing ${missing[*]} and cannot install them (need root or sudo, and apt-get)"
  fi
  command -v rg >/dev/null 2>&1 || die "rg not found after installing ripgrep"
  command -v cabextract >/dev/null 2>&1 || die "cabextract not found after installing it"
  have_gnu_time || die "GNU time (/usr/bin/time -v) not usable after installing it"
  if [ "$BENCH_NO_HYPERFINE" != 1 ] && ! command -v hyperfine >/dev/null 2>&1; then
    apt_install hyperfine || warn "hyperfine not available; timing with a bash loop instead"
  fi
}

build_patchdx() {
  if [ "$BENCH_SKIP_BUILD" = 1 ]; then
    log "BENCH_SKIP_BUILD=1: using $PATCHDX as it is"
  else
    log "cargo build --release -p patchdx $BENCH_CARGO_FLAGS"
    # shellcheck disable=SC2086 # BENCH_CARGO_FLAGS is a list of flags
    if ! cargo build --release -p patchdx $BENCH_CARGO_FLAGS; then
      broke "cargo build --release -p patchdx failed: patchdx sections are skipped, rg still runs"
      return 0
    fi
  fi
  if [ -x "$PATCHDX" ] && "$PATCHDX" --version >/dev/null 2>&1; then
    PATCHDX_OK=1
  else
    broke "$PATCHDX is missing or does not run: patchdx sections are skipped"
  fi
}

# ---------------------------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------------------------
gib_to_bytes() { awk -v g="$1" 'BEGIN { printf "%.0f", g * 1073741824 }'; }
fmt_gib() { awk -v b="$1" 'BEGIN { printf "%.2f", b / 1073741824 }'; }
dir_bytes() { find "$1" -type f -printf '%s\n' | awk '{ s += $1 } END { printf "%.0f", s }'; }
dir_files() { find "$1" -type f | wc -l | tr -d ' '; }
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) exit 1; if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
# le A B: succeeds when A <= B (floating point)
le() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a <= b) }'; }
pass_fail() { if le "$1" "$2"; then echo PASS; else echo FAIL; fi; }

# peak_rss_kib OUTFILE CMD...: runs CMD once under GNU time with stdout to OUTFILE; prints "RC KIB". After
# BENCH_TIMEOUT seconds the run is killed and RC is 124 (timeout kills its whole process group).
peak_rss_kib() {
  local out="$1"; shift
  local tv="$OUT/time-v.txt" rc=0
  : >"$tv"
  timeout -k 10 "$BENCH_TIMEOUT" /usr/bin/time -v -o "$tv" "$@" >"$out" 2>"$OUT/stderr.txt" || rc=$?
  local kib
  kib="$(awk -F: '/Maximum resident set size/ { gsub(/ /, "", $2); print $2 }' "$tv")"
  echo "$rc ${kib:-0}"
}

# checked_analyze INPUT JSON: one untimed `patchdx analyze --json INPUT` under GNU time, output kept in JSON.
# Exit statuses 0/1/2 are answers (no failure, failure diagnosed, input unreadable); anything else is a crash.
# With jq, the JSON must be valid. Sets PX_RC and PX_RSS (MiB). Returns 1 when the run hung (killed after
# BENCH_TIMEOUT s): there is nothing to time then.
PX_RC=0
PX_RSS=0
checked_analyze() {
  local input="$1" json="$2" rc kib
  read -r rc kib < <(peak_rss_kib "$json" "$PATCHDX" analyze --json "$input")
  PX_RC="$rc"
  PX_RSS=$((kib / 1024))
  case "$rc" in
    0 | 1 | 2) ;;
    124)
      broke "patchdx analyze hung (killed after $BENCH_TIMEOUT s) on $input: not timed"
      return 1
      ;;
    *) broke "patchdx analyze exited $rc on $input: $(head -c 500 "$OUT/stderr.txt")" ;;
  esac
  if command -v jq >/dev/null 2>&1 && ! jq -e . "$json" >/dev/null 2>&1; then
    broke "patchdx analyze --json did not print valid JSON on $input (kept in $json)"
  fi
  log "patchdx: exit $rc; peak RSS $PX_RSS MiB"
}

# time_cmds TAG NAME CMD [NAME CMD]...: warm-up + timed runs of shell commands (stdout and stderr discarded, any
# exit status accepted); sets MEDIANS[i] (seconds) in the order given. Uses hyperfine when present (per-run times
# in $OUT/TAG-hyperfine.json), else a bash loop (per-run times in $OUT/TAG-times.tsv).
MEDIANS=()
# A shell command run before every timed run of every command (hyperfine --prepare), or empty.
TIME_PREPARE=""
use_hyperfine() { [ "$BENCH_NO_HYPERFINE" != 1 ] && command -v hyperfine >/dev/null 2>&1; }
time_cmds() {
  local tag="$1"; shift
  local names=() cmds=() i
  while [ $# -ge 2 ]; do names+=("$1"); cmds+=("$2"); shift 2; done
  MEDIANS=()
  if use_hyperfine; then
    local json="$OUT/$tag-hyperfine.json" args=()
    for i in "${!names[@]}"; do args+=(-n "${names[$i]}" "${cmds[$i]}"); done
    local prepare=()
    [ -z "$TIME_PREPARE" ] || prepare=(--prepare "$TIME_PREPARE")
    hyperfine --warmup "$BENCH_WARMUP" --runs "$BENCH_RUNS" -i --style basic "${prepare[@]}" --export-json "$json" \
      "${args[@]}" >&2
    for i in "${!names[@]}"; do
      if command -v jq >/dev/null 2>&1; then
        MEDIANS+=("$(jq -r ".results[$i].median" "$json")")
      else
        MEDIANS+=("$(grep -o '"median": *[0-9.eE+-]*' "$json" | sed 's/.*: *//' | sed -n "$((i + 1))p")")
      fi
    done
  else
    local tsv="$OUT/$tag-times.tsv" t0 t1 r
    : >"$tsv"
    for i in "${!names[@]}"; do
      for ((r = 0; r < BENCH_WARMUP; r++)); do bash -c "${cmds[$i]}" >/dev/null 2>&1 || true; done
      for ((r = 1; r <= BENCH_RUNS; r++)); do
        [ -z "$TIME_PREPARE" ] || bash -c "$TIME_PREPARE" >/dev/null 2>&1 || true
        t0="$EPOCHREALTIME"
        bash -c "${cmds[$i]}" >/dev/null 2>&1 || true
        t1="$EPOCHREALTIME"
        awk -v n="$i" -v a="$t0" -v b="$t1" 'BEGIN { printf "%s\t%.6f\n", n, b - a }' >>"$tsv"
      done
      log "${names[$i]}: $(awk -F'\t' -v n="$i" '$1 == n { printf "%.3f ", $2 }' "$tsv")s"
      MEDIANS+=("$(awk -F'\t' -v n="$i" '$1 == n { print $2 }' "$tsv" | median)")
    done
  fi
}

# ---------------------------------------------------------------------------------------------------------------
# CBS corpus: machine-NNN/CBS.log (+ CbsPersist_*.log for the machine the cabs came from), one fixture machine
# per folder, cycling through the fixtures until the total reaches the target. Real copies (not hard links), so
# the page cache holds the full size, as it would for distinct logs. Provenance: bench/out/corpus.manifest.
# ---------------------------------------------------------------------------------------------------------------
build_cbs_corpus() {
  local cbs_dir="$FIXTURES/cbs"
  check_fixtures
  [ -d "$cbs_dir" ] || die "CBS fixtures not found: $cbs_dir"
  local target; target="$(gib_to_bytes "$BENCH_GIB")"
  awk -v t="$target" 'BEGIN { exit !(t > 0) }' || die "BENCH_GIB must be a positive number (got '$BENCH_GIB')"

  local logs=() cabs=()
  mapfile -t logs < <(find "$cbs_dir" -maxdepth 1 -type f -name '*.log' | LC_ALL=C sort)
  mapfile -t cabs < <(find "$cbs_dir" -maxdepth 1 -type f -name 'mattbalzan_*CbsPersist_*.cab' | LC_ALL=C sort)
  [ ${#logs[@]} -gt 0 ] || die "no *.log CBS fixtures in $cbs_dir"

  # What the corpus is made of; a corpus built from the same recipe and big enough is reused.
  local recipe
  recipe="$(printf 'layout=2 target=%s\n' "$target"; for f in "${logs[@]}" "${cabs[@]}"; do
    printf '%s %s\n' "$(basename "$f")" "$(stat -c %s "$f")"; done)"
  if [ -d "$CORPUS" ] && [ -f "$OUT/corpus.recipe" ] && [ "$(cat "$OUT/corpus.recipe")" = "$recipe" ]; then
    local have; have="$(dir_bytes "$CORPUS")"
    if awk -v h="$have" -v t="$target" 'BEGIN { exit !(h >= t) }'; then
      log "reusing $CORPUS ($(fmt_gib "$have") GiB, $(dir_files "$CORPUS") files)"
      return 0
    fi
  fi

  log "building $CORPUS (>= $(fmt_gib "$target") GiB) from $cbs_dir"
  rm -rf "$CORPUS" "$CORPUS.tmp" "$OUT/cab-text" "$OUT/corpus.recipe" "$OUT/corpus.manifest"
  mkdir -p "$CORPUS.tmp" "$OUT/cab-text"

  # The text inside the CbsPersist cabs (one log each); they belong to the mattbalzan machine.
  local cab persist=()
  for cab in "${cabs[@]}"; do
    cabextract -q -d "$OUT/cab-text/$(basename "$cab")" "$cab" || die "cabextract failed on $cab"
  done
  mapfile -t persist < <(find "$OUT/cab-text" -type f -iname '*.log' | LC_ALL=C sort)
  [ ${#cabs[@]} -eq 0 ] || [ ${#persist[@]} -gt 0 ] || die "the CbsPersist cabs held no .log file"

  # Groups: one per *.log fixture; the mattbalzan CBS.log gets the CbsPersist logs beside it.
  local groups=() f
  for f in "${logs[@]}"; do
    if [[ "$(basename "$f")" == mattbalzan_* ]]; then
      groups+=("$f$(printf '\t%s' "${persist[@]}")")
    else
      groups+=("$f")
    fi
  done

  local total=0 n=0 g members m dest machine
  while :; do
    for g in "${groups[@]}"; do
      n=$((n + 1))
      machine="$(printf 'machine-%03d' "$n")"
      dest="$CORPUS.tmp/$machine"
      mkdir -p "$dest"
      IFS=$'\t' read -r -a members <<<"$g"
      for m in "${members[@]}"; do
        if [[ "$(basename "$m")" == CbsPersist_* ]]; then
          cp "$m" "$dest/$(basename "$m")"
          printf '%s/%s\t%s!/%s\n' "$machine" "$(basename "$m")" "$(basename "$(dirname "$m")")" "$(basename "$m")"
        else
          cp "$m" "$dest/CBS.log"
          printf '%s/CBS.log\t%s\n' "$machine" "$(basename "$m")"
        fi >>"$OUT/corpus.manifest"
        total=$((total + $(stat -c %s "$m")))
        [ "$total" -lt "$target" ] || break 3
      done
    done
  done
  rm -rf "$OUT/cab-text"
  mv "$CORPUS.tmp" "$CORPUS"
  printf '%s\n' "$recipe" >"$OUT/corpus.recipe"
  log "built $CORPUS: $(fmt_gib "$(dir_bytes "$CORPUS")") GiB, $(dir_files "$CORPUS") files in $n folders"
}

# ---------------------------------------------------------------------------------------------------------------
# Sections. Each section_NAME appends to ROWS/TARGETS and calls broke() on errors; add new ones here and name
# them in BENCH_SECTIONS.
# ---------------------------------------------------------------------------------------------------------------
section_cbs() {
  build_cbs_corpus
  local bytes files size_label rg_files
  bytes="$(dir_bytes "$CORPUS")"
  files="$(dir_files "$CORPUS")"
  size_label="$(fmt_gib "$bytes") GiB ($files files)"
  # rg honours ignore files and skips hidden/binary files: make sure it reads every file patchdx gets.
  rg_files="$(rg --files "$CORPUS" | wc -l | tr -d ' ')"
  [ "$rg_files" = "$files" ] || broke "rg sees $rg_files of the $files corpus files: the comparison would be unfair"

  local rg_cmd="rg -c 'Error|Failed' $CORPUS"
  local px_cmd="$PATCHDX analyze --json $CORPUS"
  local rg_rss rc kib
  read -r rc kib < <(peak_rss_kib "$OUT/rg-cbs.txt" rg -c 'Error|Failed' "$CORPUS")
  [ "$rc" -le 1 ] || broke "rg exited $rc: $(head -c 500 "$OUT/stderr.txt")"
  rg_rss=$((kib / 1024))
  log "rg: $(awk -F: '{ s += $NF } END { print s + 0 }' "$OUT/rg-cbs.txt") matching lines; peak RSS $rg_rss MiB"

  if [ "$PATCHDX_OK" != 1 ]; then
    log "patchdx not available: timing rg alone"
    time_cmds cbs rg "$rg_cmd"
    log "median: rg $(printf '%.3f' "${MEDIANS[0]}") s"
    ROWS+=("| CBS scan, $size_label | \`patchdx analyze --json\` | n/a (not built) | \`rg -c 'Error\\|Failed'\` | $(printf '%.2f' "${MEDIANS[0]}") s | ratio n/a | peak RSS n/a |")
    TARGETS+=("- CBS scan ratio <= $BENCH_MAX_RATIO: n/a (patchdx not built)")
    TARGETS+=("- CBS scan peak RSS <= $BENCH_MAX_RSS_MIB MiB: n/a (patchdx not built)")
    return 0
  fi

  # One untimed run first: checks the exit status (0/1/2 are answers, anything else is a crash), keeps the JSON
  # for inspection and measures the peak RSS.
  local json="$OUT/patchdx-cbs.json" px_rss
  if ! checked_analyze "$CORPUS" "$json"; then
    ROWS+=("| CBS scan, $size_label | \`patchdx analyze --json\` | n/a (hung) | \`rg -c 'Error\\|Failed'\` | n/a | ratio n/a | peak RSS n/a |")
    TARGETS+=("- CBS scan: n/a (patchdx hung)")
    return 0
  fi
  px_rss="$PX_RSS"
  if command -v jq >/dev/null 2>&1 && jq -e . "$json" >/dev/null 2>&1; then
    log "patchdx: $(jq -r '"\(.files | length) files, \([.files[] | select(.analysed)] | length) analysed, \(.cbs.logs | length) CBS logs, \(.verdict.failures) failures"' "$json")"
    local px_files; px_files="$(jq -r '.files | length' "$json")"
    [ "$px_files" = "$files" ] || warn "patchdx lists $px_files files, the corpus has $files"
  fi

  # Before every timed run, read the corpus once (untimed) so that both tools search it from the page cache:
  # some VMs (DAMON reclaim) evict pages between runs, and reading them back from disk is not what is compared.
  TIME_PREPARE="find '$CORPUS' -type f -exec cat {} + >/dev/null"
  time_cmds cbs patchdx "$px_cmd" rg "$rg_cmd"
  TIME_PREPARE=""
  local px_s="${MEDIANS[0]}" rg_s="${MEDIANS[1]}" ratio
  ratio="$(awk -v a="$px_s" -v b="$rg_s" 'BEGIN { printf "%.2f", a / b }')"
  log "medians: patchdx $(printf '%.3f' "$px_s") s, rg $(printf '%.3f' "$rg_s") s, ratio patchdx/rg $ratio"
  ROWS+=("| CBS scan, $size_label | \`patchdx analyze --json\` | $(printf '%.2f' "$px_s") s | \`rg -c 'Error\\|Failed'\` | $(printf '%.2f' "$rg_s") s | ratio $ratio | peak RSS $px_rss MiB |")
  TARGETS+=("- CBS scan ratio patchdx/rg <= $BENCH_MAX_RATIO: $ratio $(pass_fail "$ratio" "$BENCH_MAX_RATIO")")
  TARGETS+=("- CBS scan peak RSS <= $BENCH_MAX_RSS_MIB MiB: $px_rss MiB $(pass_fail "$px_rss" "$BENCH_MAX_RSS_MIB") (rg: $rg_rss MiB)")
}

# evtx_dump (from the `evtx` crate patchdx itself parses with) as the EVTX baseline. Order: BENCH_EVTX_DUMP, then
# a bench-local install in $OUT/tools, then evtx_dump on PATH when it is version $EVTX_VERSION, else
# `cargo install --root $OUT/tools` (nothing global changes; takes several minutes). Sets EVTX_DUMP or returns 1.
EVTX_VERSION=0.15.1
EVTX_DUMP=""
ensure_evtx_dump() {
  local local_bin="$ROOT/$OUT/tools/bin/evtx_dump" v
  if [ -n "${BENCH_EVTX_DUMP:-}" ]; then
    EVTX_DUMP="$BENCH_EVTX_DUMP"
  elif [ -x "$local_bin" ]; then
    EVTX_DUMP="$local_bin"
  elif command -v evtx_dump >/dev/null 2>&1 && evtx_dump --version 2>/dev/null | grep -q " $EVTX_VERSION\$"; then
    EVTX_DUMP="$(command -v evtx_dump)"
  else
    command -v cargo >/dev/null 2>&1 || { broke "evtx_dump not found and cargo is not there to install it"; return 1; }
    log "installing evtx_dump: cargo install evtx --version $EVTX_VERSION --locked --root $OUT/tools (several minutes; log in $OUT/tools/install.log)"
    mkdir -p "$OUT/tools"
    # shellcheck disable=SC2086 # BENCH_CARGO_FLAGS is a list of flags
    if ! cargo install evtx --version "$EVTX_VERSION" --locked --root "$ROOT/$OUT/tools" $BENCH_CARGO_FLAGS \
      >"$OUT/tools/install.log" 2>&1; then
      tail -n 5 "$OUT/tools/install.log" >&2
      broke "cargo install evtx $EVTX_VERSION failed"
      return 1
    fi
    EVTX_DUMP="$local_bin"
  fi
  if ! v="$("$EVTX_DUMP" --version 2>/dev/null | sed -n 1p)"; then
    broke "$EVTX_DUMP does not run"
    return 1
  fi
  log "evtx baseline: $EVTX_DUMP ($v)"
  case "$v" in *" $EVTX_VERSION") ;; *) warn "evtx_dump is not version $EVTX_VERSION (patchdx pins evtx =$EVTX_VERSION)" ;; esac
}

# EVTX parse: the largest real System.evtx fixture, as it is. An .evtx file is a 4 KiB header plus self-contained
# 64 KiB chunks, so files cannot be concatenated; a bigger input would mean splicing chunks under a rewritten
# header, with record ids repeated across chunks, which patchdx's chunk accounting would (rightly) flag. Instead
# the real file is timed with more runs (BENCH_EVTX_RUNS / BENCH_EVTX_WARMUP). patchdx runs
# `timeline --json --source system-evtx`: every record is read (provider and channel straight from its template
# and values; the fields of mapped providers' records taken out and mapped), the kept events printed. evtx_dump
# -o jsonl renders and prints every record. Both use all cores.
section_evtx() {
  local file="${BENCH_EVTX_FILE:-}"
  if [ -z "$file" ]; then
    check_fixtures
    file="$(find "$FIXTURES/evtx" -maxdepth 1 -type f -name '*System*.evtx' -printf '%s\t%p\n' 2>/dev/null |
      sort -k1,1nr | sed -n '1s/^[0-9]*\t//p')"
  fi
  if [ -z "$file" ] || [ ! -f "$file" ]; then
    broke "no System .evtx fixture found in $FIXTURES/evtx (or BENCH_EVTX_FILE is not a file)"
    ROWS+=("| EVTX parse | \`patchdx timeline --json --source system-evtx\` | n/a | \`evtx_dump -o jsonl\` | n/a | ratio n/a | peak RSS n/a |")
    TARGETS+=("- EVTX parse ratio patchdx/evtx_dump <= $BENCH_MAX_EVTX_RATIO: n/a (no input)")
    return 0
  fi
  local size_label
  size_label="$(basename "$file"), $(awk -v b="$(stat -c %s "$file")" 'BEGIN { printf "%.1f MiB", b / 1048576 }')"
  local px_label="\`patchdx timeline --json --source system-evtx\`" ev_label="\`evtx_dump -o jsonl\`"

  local ev_ok=0 ev_rss="n/a" ev_records="?" rc kib
  if ensure_evtx_dump; then
    read -r rc kib < <(peak_rss_kib "$OUT/evtx_dump.jsonl" "$EVTX_DUMP" -o jsonl "$file")
    if [ "$rc" = 0 ]; then
      ev_ok=1
      ev_rss=$((kib / 1024))
      ev_records="$(wc -l <"$OUT/evtx_dump.jsonl" | tr -d ' ')"
      log "evtx_dump: $ev_records records; peak RSS $ev_rss MiB"
    elif [ "$rc" = 124 ]; then
      broke "evtx_dump hung (killed after $BENCH_TIMEOUT s) on $file: not timed"
    else
      broke "evtx_dump exited $rc: $(head -c 500 "$OUT/stderr.txt")"
    fi
  fi

  local px_rss="n/a" px_ok=0
  if [ "$PATCHDX_OK" = 1 ]; then
    local json="$OUT/patchdx-evtx.json"
    read -r rc kib < <(peak_rss_kib "$json" "$PATCHDX" timeline --json --source system-evtx "$file")
    if [ "$rc" = 124 ]; then
      broke "patchdx timeline hung (killed after $BENCH_TIMEOUT s) on $file: not timed"
      px_rss="n/a (hung)"
    elif [ "$rc" -le 2 ]; then
      px_ok=1
      px_rss=$((kib / 1024))
      if command -v jq >/dev/null 2>&1; then
        if jq -e . "$json" >/dev/null 2>&1; then
          # The timeline holds only the kept events; analyze's source summary says how many records were read.
          local px_records
          px_records="$("$PATCHDX" analyze --json "$file" 2>/dev/null | jq -r '[.sources[].records] | add // "?"' 2>/dev/null || echo "?")"
          log "patchdx: exit $rc; $(jq -r '.events | length' "$json") events kept of $px_records records read; peak RSS $px_rss MiB"
          [ "$ev_ok" != 1 ] || [ "$px_records" = "$ev_records" ] ||
            warn "patchdx read $px_records records, evtx_dump printed $ev_records: the two did not parse the same"
        else
          broke "patchdx timeline --json did not print valid JSON (kept in $json)"
        fi
      fi
    else
      broke "patchdx timeline exited $rc: $(head -c 500 "$OUT/stderr.txt")"
    fi
  fi

  local runs_save="$BENCH_RUNS" warm_save="$BENCH_WARMUP"
  BENCH_RUNS="$BENCH_EVTX_RUNS" BENCH_WARMUP="$BENCH_EVTX_WARMUP"
  local px_cmd="$PATCHDX timeline --json --source system-evtx '$file'" ev_cmd="'$EVTX_DUMP' -o jsonl '$file'"
  local px_s="" ev_s="" ratio="n/a"
  if [ "$px_ok" = 1 ] && [ "$ev_ok" = 1 ]; then
    time_cmds evtx patchdx "$px_cmd" evtx_dump "$ev_cmd"
    px_s="${MEDIANS[0]}" ev_s="${MEDIANS[1]}"
    ratio="$(awk -v a="$px_s" -v b="$ev_s" 'BEGIN { printf "%.2f", a / b }')"
  elif [ "$px_ok" = 1 ]; then
    time_cmds evtx patchdx "$px_cmd"
    px_s="${MEDIANS[0]}"
  elif [ "$ev_ok" = 1 ]; then
    time_cmds evtx evtx_dump "$ev_cmd"
    ev_s="${MEDIANS[0]}"
  fi
  BENCH_RUNS="$runs_save" BENCH_WARMUP="$warm_save"
  local px_med="n/a" ev_med="n/a"
  [ -z "$px_s" ] || px_med="$(printf '%.3f s' "$px_s")"
  [ -z "$ev_s" ] || ev_med="$(printf '%.3f s' "$ev_s")"
  log "medians ($BENCH_EVTX_RUNS runs): patchdx $px_med, evtx_dump $ev_med, ratio patchdx/evtx_dump $ratio"
  case "$px_rss" in n/a*) ;; *) px_rss="$px_rss MiB" ;; esac
  ROWS+=("| EVTX parse, $size_label | $px_label | $px_med | $ev_label | $ev_med | ratio $ratio | peak RSS $px_rss |")
  local verdict="n/a"
  [ "$ratio" = n/a ] || verdict="$ratio $(pass_fail "$ratio" "$BENCH_MAX_EVTX_RATIO")"
  [ "$ev_rss" = n/a ] || ev_rss="$ev_rss MiB"
  TARGETS+=("- EVTX parse ratio patchdx/evtx_dump <= $BENCH_MAX_EVTX_RATIO: $verdict (peak RSS patchdx $px_rss, evtx_dump $ev_rss)")
}

# Whole bundle: every fixture (fixtures/*/*, all evidence kinds, with the CbsPersist cabs) copied into
# $OUT/allfixtures/KIND/, reused when the same files (names and sizes) are there. Timed with
# `patchdx analyze --json`; no baseline. Exit statuses 0/1/2 are answers.
BUNDLE="$OUT/allfixtures"
build_bundle() {
  check_fixtures
  local srcs=() f recipe
  mapfile -t srcs < <(find "$FIXTURES" -mindepth 2 -maxdepth 2 -type f | LC_ALL=C sort)
  [ ${#srcs[@]} -gt 0 ] || die "no fixtures in $FIXTURES/*/"
  recipe="$(for f in "${srcs[@]}"; do printf '%s %s\n' "${f#"$FIXTURES"/}" "$(stat -c %s "$f")"; done)"
  if [ -d "$BUNDLE" ] && [ -f "$OUT/allfixtures.recipe" ] && [ "$(cat "$OUT/allfixtures.recipe")" = "$recipe" ]; then
    log "reusing $BUNDLE ($(dir_files "$BUNDLE") files)"
    return 0
  fi
  log "copying ${#srcs[@]} fixtures into $BUNDLE"
  rm -rf "$BUNDLE" "$BUNDLE.tmp" "$OUT/allfixtures.recipe"
  for f in "${srcs[@]}"; do
    mkdir -p "$BUNDLE.tmp/$(basename "$(dirname "$f")")"
    cp "$f" "$BUNDLE.tmp/${f#"$FIXTURES"/}"
  done
  chmod -R u+w "$BUNDLE.tmp"
  mv "$BUNDLE.tmp" "$BUNDLE"
  printf '%s\n' "$recipe" >"$OUT/allfixtures.recipe"
}

section_bundle() {
  build_bundle
  local files size_label
  files="$(dir_files "$BUNDLE")"
  size_label="$(awk -v b="$(dir_bytes "$BUNDLE")" 'BEGIN { printf "%.1f MiB", b / 1048576 }') ($files files)"
  if [ "$PATCHDX_OK" != 1 ]; then
    ROWS+=("| whole bundle (all fixtures), $size_label | \`patchdx analyze --json\` | n/a (not built) | - | - | - | peak RSS n/a |")
    return 0
  fi
  local json="$OUT/patchdx-bundle.json" px_rss summary="" listed="?" warnings="?" verdict="?"
  if ! checked_analyze "$BUNDLE" "$json"; then
    ROWS+=("| whole bundle (all fixtures), $size_label | \`patchdx analyze --json\` | n/a (hung, killed after $BENCH_TIMEOUT s) | - | - | - | peak RSS n/a |")
    return 0
  fi
  px_rss="$PX_RSS"
  if command -v jq >/dev/null 2>&1 && jq -e . "$json" >/dev/null 2>&1; then
    listed="$(jq -r '.files | length' "$json")"
    warnings="$(jq -r '.warnings | length' "$json")"
    verdict="$(jq -r '.verdict | "\(.failures) failures, \(.repaired) repaired, unreadable_input \(.unreadable_input), exit_code \(.exit_code)"' "$json")"
    log "patchdx: lists $listed files (the bundle has $files), $warnings warnings; verdict: $verdict"
    log "patchdx: verdict summary: $(jq -r '.verdict.summary' "$json")"
    summary="; patchdx lists $listed files, $warnings warnings, exit $PX_RC, verdict $verdict"
  fi
  time_cmds bundle patchdx "$PATCHDX analyze --json $BUNDLE"
  log "median: patchdx $(printf '%.3f' "${MEDIANS[0]}") s"
  ROWS+=("| whole bundle (all fixtures), $size_label$summary | \`patchdx analyze --json\` | $(printf '%.2f' "${MEDIANS[0]}") s | - | - | - | peak RSS $px_rss MiB |")
}

# ---------------------------------------------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------------------------------------------
print_machine() {
  local cpu
  cpu="$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null || true)"
  [ -n "$cpu" ] || cpu="$(uname -m)"
  echo "## Machine"
  echo
  echo "- CPU: $cpu, nproc $(nproc)"
  echo "- memory: $(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo 2>/dev/null || echo '?'), kernel $(uname -r)"
  echo "- rg: $(rg --version 2>/dev/null | sed -n 1p)"
  if [ "$PATCHDX_OK" = 1 ]; then
    echo "- patchdx: $("$PATCHDX" --version 2>/dev/null | sed -n 1p)"
  else
    echo "- patchdx: not built"
  fi
  echo "- tree: $(git rev-parse --short HEAD 2>/dev/null || echo '?')$([ -z "$(git status --porcelain -- crates Cargo.toml Cargo.lock 2>/dev/null)" ] || echo ' + uncommitted changes')"
  echo "- timing: $(if use_hyperfine; then hyperfine --version; else echo 'bash loop'; fi), warm-up $BENCH_WARMUP, runs $BENCH_RUNS$(
    case " $BENCH_SECTIONS " in *" evtx "*) echo " (evtx section: warm-up $BENCH_EVTX_WARMUP, runs $BENCH_EVTX_RUNS)" ;; esac
  ), medians, warm page cache"
  [ -z "$EVTX_DUMP" ] || echo "- evtx_dump: $("$EVTX_DUMP" --version 2>/dev/null | sed -n 1p) ($EVTX_DUMP)"
}

check_fixtures() {
  [ -d "$FIXTURES" ] || die "fixtures not found: $FIXTURES does not exist (the bench needs ../shared/fixtures, relative to the repo root $ROOT)"
}

main() {
  check_fixtures
  mkdir -p "$OUT"
  ensure_tools
  build_patchdx
  local s
  for s in $BENCH_SECTIONS; do
    if declare -F "section_$s" >/dev/null; then
      "section_$s"
    else
      broke "unknown section '$s' (known: $(declare -F | awk '$3 ~ /^section_/ { sub(/^section_/, "", $3); printf "%s ", $3 }'))"
    fi
  done

  {
    echo
    print_machine
    echo
    echo "## Results"
    echo
    echo "| what | patchdx | median | baseline | median | ratio | patchdx peak RSS |"
    echo "|---|---|---|---|---|---|---|"
    printf '%s\n' "${ROWS[@]}"
    echo
    echo "Targets (informational):"
    echo
    [ ${#TARGETS[@]} -eq 0 ] || printf '%s\n' "${TARGETS[@]}"
  } | tee "$OUT/results.md"
  if [ "$BROKEN" = 1 ]; then
    log "something broke (see the errors above); results are incomplete"
    exit 1
  fi
}

main "$@"
