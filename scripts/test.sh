#!/usr/bin/env bash
# Installs what is missing, builds pgha and runs every test.
#   ./scripts/test.sh            all tests
#   ./scripts/test.sh -L unit    only one ctest label (unit, postgres, etcd, conformance, ...)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
./scripts/install-deps.sh
./scripts/build.sh
cd build
if (($# > 0)); then
  exec ctest --output-on-failure --timeout 900 "$@"
fi
# Everything: the unit tests (no servers, no timing) as many at a time as there are cores, then
# the rest one at a time (they start servers and wait out leases). Both parts always run.
status=0
ctest --output-on-failure --timeout 900 -L unit -j "$(nproc)" || status=1
ctest --output-on-failure --timeout 900 -LE unit || status=1
exit $status
