#!/usr/bin/env bash
# Runs a test binary as the unprivileged user `pgha` when invoked as root: PostgreSQL refuses to
# run as root, and tests should not hold more privilege than the daemon would.
# (scripts/install-deps.sh creates the user.)
set -euo pipefail
if [[ $(id -u) -ne 0 ]]; then
  exec "$@"
fi
user=${PGHA_TEST_USER:-pgha}
if ! id "$user" >/dev/null 2>&1; then
  echo "run-unprivileged.sh: user '$user' is missing; run scripts/install-deps.sh" >&2
  exit 1
fi
export HOME=$(getent passwd "$user" | cut -d: -f6)
export TMPDIR=${TMPDIR:-/tmp}
exec setpriv --reuid="$user" --regid="$user" --init-groups --inh-caps=-all -- "$@"
