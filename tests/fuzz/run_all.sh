#!/usr/bin/env bash
# Runs several fuzz targets for SECONDS each, as many at a time as there are cores (each target
# is one single-threaded process), through run.sh:
#   tests/fuzz/run_all.sh SECONDS BINARY...
# Fails when any target has a finding; every target's last lines are printed either way.
set -uo pipefail
seconds=$1
shift
here=$(cd "$(dirname "$0")" && pwd)
out=$(mktemp -d "${TMPDIR:-/tmp}/pgha-fuzz-all.XXXXXX")
trap 'rm -rf "$out"' EXIT
slots=$(nproc)
pids=()
names=()
for binary in "$@"; do
  while (($(jobs -rp | wc -l) >= slots)); do wait -n || true; done
  name=$(basename "$binary")
  "$here/run.sh" "$binary" "$seconds" >"$out/$name.out" 2>&1 &
  pids+=($!)
  names+=("$name")
done
failed=0
for i in "${!pids[@]}"; do
  if ! wait "${pids[$i]}"; then failed=1; fi
  cat "$out/${names[$i]}.out"
done
exit $failed
