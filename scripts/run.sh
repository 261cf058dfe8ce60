#!/usr/bin/env bash
# pgha's main job on this machine. Installs what is missing, builds, and checks the example
# configuration with the daemon's validator. (The one-command local cluster replaces this once
# the daemon runs a cluster.)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
./scripts/install-deps.sh
./scripts/build.sh
echo "== pgha --validate-config examples/configs/pgha-etcd3.yml"
./build/bin/pgha --validate-config examples/configs/pgha-etcd3.yml
echo "valid. Effective configuration (secrets masked):"
./build/bin/pgha --print-config examples/configs/pgha-etcd3.yml 2>/dev/null
