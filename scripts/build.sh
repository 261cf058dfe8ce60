#!/usr/bin/env bash
# Configures and builds into build/ (binaries in build/bin). Safe to re-run.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
if [[ ! -f build/build.ninja ]]; then
  cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE="${PGHA_BUILD_TYPE:-Release}"
fi
cmake --build build -j"$(nproc)"
