#!/usr/bin/env bash
# As root, `pgha CONFIG` must refuse to start, and say why. Skipped (77) when not run as root.
#   refuses_root.sh PGHA_BINARY CONFIG
set -u
[[ $(id -u) -eq 0 ]] || exit 77
out=$("$1" "$2" 2>&1)
code=$?
if [[ $code -eq 0 ]]; then
  echo "pgha started as root (exit 0): $out"
  exit 1
fi
if ! grep -q "refusing to run as root" <<<"$out"; then
  echo "pgha exited $code as root without saying why: $out"
  exit 1
fi
echo "refused as root (exit $code): $out"
