#!/usr/bin/env bash
# Runs one fuzz target for a time budget, starting from its committed seed corpus:
#   tests/fuzz/run.sh BINARY SECONDS [WORK_DIR]
# New inputs the run finds go to WORK_DIR/corpus (kept between runs when WORK_DIR is given, so
# that long runs build on each other); a crash, a leak, a timeout (10 s per input) or more than
# 2 GB of memory is a finding: the input is saved under WORK_DIR and the script fails. The last
# line says how many inputs ran.
set -euo pipefail
binary=$1
seconds=$2
name=$(basename "$binary")
here=$(cd "$(dirname "$0")" && pwd)
if [[ $# -ge 3 ]]; then
  work=$3
  mkdir -p "$work"
else
  work=$(mktemp -d "${TMPDIR:-/tmp}/pgha-fuzz-$name.XXXXXX")
  trap 'rm -rf "$work"' EXIT
fi
mkdir -p "$work/corpus" "$work/findings"
log="$work/$name.log"
# Inputs above 64 KiB only slow the search: every parser's limits are far below what a
# mutation reaches in that size, and the YAML limits have their own unit tests.
status=0
"$binary" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
  -print_final_stats=1 -artifact_prefix="$work/findings/" \
  "$work/corpus" "$here/corpus/$name" >"$log" 2>&1 || status=$?
runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo 0)
if ((status != 0)); then
  tail -n 60 "$log"
  echo "$name: FINDING after $runs inputs (exit $status); input saved in $work/findings:" >&2
  ls "$work/findings" >&2
  trap - EXIT
  exit 1
fi
echo "$name: $runs inputs in ${seconds} s, no finding (corpus: $(ls "$work/corpus" | wc -l) inputs)"
