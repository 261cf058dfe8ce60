#!/usr/bin/env bash
# Installs everything needed to build pgha and run every test on Debian 12 (bookworm).
# Idempotent: re-running only installs what is missing. Must run as root (apt-get).
set -euo pipefail

packages=(
  # toolchain
  build-essential cmake ninja-build pkg-config git ca-certificates
  # libraries (see ../shared/reference/deps.md for how each is found)
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler libabsl-dev
  libyaml-cpp-dev libcpp-httplib-dev libssl-dev catch2 libpq-dev libzookeeper-mt-dev
  nlohmann-json3-dev libcli11-dev
  # servers the tests start
  etcd-server etcd-client zookeeper default-jre-headless postgresql-15 postgresql-client-15
  haproxy
  # test helpers: unprivileged user switching, network namespaces, process tools, TLS test certs
  util-linux iproute2 procps curl openssl
  # the pycompat test compares with Python itself
  python3 python3-yaml python3-dateutil
  # the migration test replaces Debian's Patroni node by node (nothing is enabled or started)
  patroni
  # the fault suite drops packets with nftables
  nftables
  # fuzz targets: clang with ASan/UBSan and libFuzzer (tests/fuzz)
  clang libfuzzer-14-dev
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

need_root() {
  if [[ $(id -u) -ne 0 ]]; then
    if command -v sudo >/dev/null 2>&1; then exec sudo -E "$0" "$@"; fi
    echo "install-deps.sh: must run as root to install: $*" >&2
    exit 1
  fi
}

if ! id pgha >/dev/null 2>&1; then missing_user=1; else missing_user=0; fi
if ((${#missing[@]})) || ((missing_user)); then need_root "${missing[@]}" pgha-user; fi

if ((${#missing[@]})); then
  echo "install-deps.sh: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${missing[@]}"
else
  echo "install-deps.sh: all packages present"
fi

# The Debian packages start system services we do not use (tests start their own servers on
# free ports); stop them so they do not hold the default ports. Ignore failures: in containers
# there is often no init system at all.
for svc in etcd zookeeper haproxy postgresql; do
  if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet "$svc" 2>/dev/null; then
    systemctl stop "$svc" || true
    systemctl disable "$svc" >/dev/null 2>&1 || true
  fi
done

# PostgreSQL refuses to run as root: tests and the local cluster run it as this user.
if ! id pgha >/dev/null 2>&1; then
  useradd --system --create-home --home-dir /var/lib/pgha --shell /bin/bash pgha
fi
