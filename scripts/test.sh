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
ctest --output-on-failure --timeout 900 "$@"
