#!/usr/bin/env bash
# Runs pgha's benchmark (figures, not pass/fail) as the unprivileged user: failover and
# switchover write-unavailability, daemon RSS and idle CPU, REST health-check throughput.
#   scripts/bench.sh [--runs N]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/install-deps.sh"
"$root/scripts/build.sh"
exec "$root/tests/run-unprivileged.sh" "$root/build/bin/pgha_bench" "$@"
