#!/usr/bin/env bash
# Runs the fuzz targets for a long time (CI runs each for 45 s through ctest -L fuzz):
#   bench/fuzz.sh MINUTES [TARGET...]      default: every target, one after the other
# Needs the fuzz build (build/fuzz/bin, made by ./scripts/build.sh when clang and libFuzzer are
# installed). Each target's corpus grows in build/fuzz-work/<target>/corpus across runs; a finding
# stops that target and is left in build/fuzz-work/<target>/findings. Prints inputs run per target.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
minutes=${1:?usage: bench/fuzz.sh MINUTES [TARGET...]}
shift
targets=("$@")
if ((${#targets[@]} == 0)); then
  targets=(fuzz_config_yaml fuzz_dcs_codec fuzz_rest_request fuzz_ctl_output)
fi
bin=${PGHA_FUZZ_BIN:-$root/build/fuzz/bin}
failed=0
for t in "${targets[@]}"; do
  if [[ ! -x $bin/$t ]]; then
    echo "bench/fuzz.sh: $bin/$t is missing (is clang with libFuzzer installed?)" >&2
    exit 1
  fi
  "$root/tests/fuzz/run.sh" "$bin/$t" $((minutes * 60)) "$root/build/fuzz-work/$t" || failed=1
done
exit $failed
