#!/usr/bin/env bash
# Builds the Debian packages with CPack and checks them: contents, control fields, maintainer
# scripts, and that the shipped /etc/patroni template, filled in as Debian's
# pg_createconfig_patroni fills it, is a configuration pgha accepts.
#
# As root (CI), also installs the packages on this machine, starts the daemon the way the
# systemd unit does (its ExecStart as its User, against a real etcd) until a primary answers on
# the REST API, stops it with the unit's signal, and removes and purges the packages, checking
# that nothing is left behind (an enabled unit's link included). Set PGHA_PACKAGE_INSTALL=0 to skip that part.
#
#   deb_test.sh BUILD_DIR OUT_DIR
set -euo pipefail
build_dir=$(cd "$1" && pwd)
out=$2
rm -rf "$out"
mkdir -p "$out"
out=$(cd "$out" && pwd)
fail() { echo "deb_test: $*" >&2; exit 1; }

echo "== cpack -G DEB"
(cd "$build_dir" && cpack -G DEB -B "$out" >"$out/cpack.log") || { tail -30 "$out/cpack.log"; fail "cpack failed"; }
pgha_deb=$(ls "$out"/pgha_*.deb)
dev_deb=$(ls "$out"/libpgha-dev_*.deb)

contents() { dpkg-deb -c "$1" | awk '{print $NF}' | sed 's|^\./|/|'; }
contents "$pgha_deb" >"$out/pgha.list"
contents "$dev_deb" >"$out/dev.list"
expect() {  # expect LIST PATH...
  local list=$1; shift
  for p in "$@"; do grep -qxF "$p" "$list" || fail "$(basename "$list" .list) lacks $p"; done
}
expect "$out/pgha.list" /usr/bin/pgha /usr/bin/pghactl /usr/bin/pgha-fencer \
  /usr/lib/systemd/system/pgha.service /usr/lib/systemd/system/pgha@.service \
  /usr/lib/systemd/system/pgha-fencer@.service \
  /usr/share/pgha/etc/dcs.yml /usr/share/pgha/etc/config.yml.in /usr/share/doc/pgha/README.md
expect "$out/dev.list" /usr/include/pgha/client/client.h /usr/include/pgha/client/conninfo.h \
  /usr/include/pgha/backends/factory.h /usr/include/pgha/dcs/backend_registry.h \
  /usr/lib/libpgha_client.a /usr/lib/libpgha_etcd3.a /usr/lib/libpgha_backends.a \
  /usr/lib/cmake/pgha/pghaConfig.cmake /usr/lib/cmake/pgha/pghaTargets.cmake \
  /usr/lib/pkgconfig/pgha-client.pc /usr/lib/pkgconfig/pgha-backends.pc \
  /usr/share/doc/libpgha-dev/examples/embed/primary_writer.cc
# Each package holds only its part.
grep -qE '\.a$|^/usr/include/' "$out/pgha.list" && fail "pgha carries development files"
grep -qE '^/usr/bin/' "$out/dev.list" && fail "libpgha-dev carries programs"
# Only the /etc/patroni directory: its files belong to the administrator (and to Debian's
# patroni package, whose conffiles pgha must not take over).
expect "$out/pgha.list" /etc/patroni/
grep -E '^/etc/' "$out/pgha.list" | grep -qvxE '/etc/|/etc/patroni/' &&
  fail "pgha ships files under /etc (conflicts with the patroni package)"

field() { dpkg-deb -f "$1" "$2"; }
[[ $(field "$pgha_deb" Package) == pgha ]] || fail "package name"
[[ $(field "$dev_deb" Package) == libpgha-dev ]] || fail "dev package name"
depends=$(field "$pgha_deb" Depends)
for d in libpq5 libgrpc++1.51 libyaml-cpp0.7 postgresql-common; do
  grep -q "$d" <<<"$depends" || fail "pgha Depends lacks $d: $depends"
done
grep -q libgrpc++-dev <<<"$(field "$dev_deb" Depends)" || fail "libpgha-dev Depends lacks libgrpc++-dev"
mkdir -p "$out/control"
dpkg-deb -e "$pgha_deb" "$out/control"
for s in postinst prerm postrm; do
  [[ -x "$out/control/$s" ]] || fail "maintainer script $s missing or not executable"
  sh -n "$out/control/$s" || fail "maintainer script $s does not parse"
done

echo "== the template, filled in as pg_createconfig_patroni does, validates"
mkdir -p "$out/root"
dpkg-deb -x "$pgha_deb" "$out/root"
dcs=$(grep -v '^#' "$out/root/usr/share/pgha/etc/dcs.yml" | grep -v '^$')
sed -e "s|@VERSION@|15|g; s|@CLUSTER@|main|g; s|@HOSTNAME@|node1|g; s|@HOSTIP@|10.0.0.1|g" \
    -e "s|@API_PORT@|8008|g; s|@PORT@|5432|g; s|@NETWORK@|10.0.0.0/24|g" \
    -e "s|@DATADIR_BASE@|/var/lib/postgresql|g; s|@LISTEN_VIP@||g" \
    "$out/root/usr/share/pgha/etc/config.yml.in" |
  awk -v dcs="$dcs" '{ if ($0 == "@DCS_CONFIG@") print dcs; else print }' >"$out/15-main.yml"
"$out/root/usr/bin/pgha" --validate-config "$out/15-main.yml" >"$out/validate.log" 2>&1 ||
  { cat "$out/validate.log"; fail "the filled-in template does not validate"; }
"$out/root/usr/bin/pgha" --version
unit_exec() { sed -n 's/^ExecStart=//p' "$1"; }
[[ $(unit_exec "$out/root/usr/lib/systemd/system/pgha@.service") == "/usr/bin/pgha /etc/patroni/%i.yml" ]] ||
  fail "pgha@.service does not run /usr/bin/pgha /etc/patroni/%i.yml"

if [[ $(id -u) -ne 0 || ${PGHA_PACKAGE_INSTALL:-1} == 0 ]]; then
  echo "deb_test: OK (install/start/remove skipped: needs root)"
  exit 0
fi
if dpkg-query -W -f='${Status}' pgha 2>/dev/null | grep -q 'install ok installed'; then
  fail "a pgha package is already installed on this machine; not touching it"
fi

echo "== install both packages"
# /etc/patroni may already hold files (Debian's patroni package, an administrator's): they must
# be exactly as they were after the purge.
etc_before=$(ls -la --time-style=+%s /etc/patroni 2>/dev/null | tail -n +2 | grep -v ' \.\.\?$' || true)
dpkg -i "$pgha_deb" "$dev_deb" >"$out/dpkg-install.log" 2>&1 || { cat "$out/dpkg-install.log"; fail "dpkg -i failed"; }
trap 'dpkg -P libpgha-dev pgha >/dev/null 2>&1 || true' EXIT
[[ -d /etc/patroni ]] || fail "no /etc/patroni after install"
if [[ -z $etc_before ]]; then
  [[ -z $(ls -A /etc/patroni) ]] || fail "the package wrote into /etc/patroni: $(ls -A /etc/patroni)"
fi
[[ $(command -v pgha) == /usr/bin/pgha ]] || fail "pgha is not on PATH"
pkg-config --exists pgha-client || fail "pkg-config does not find pgha-client after install"

echo "== start the daemon as pgha@test.service would"
unit=/usr/lib/systemd/system/pgha@.service
user=$(sed -n 's/^User=//p' "$unit")
exec_start=$(unit_exec "$unit" | sed 's/%i/pkgtest/g')
taken=" "
free_port() {  # a port nothing listens on, not handed out before (ss is in iproute2)
  local p
  while :; do
    p=$((20000 + RANDOM % 40000))
    [[ $taken == *" $p "* ]] && continue
    ss -Htan "sport = :$p" | grep -q . && continue
    taken+="$p "
    echo "$p"
    return
  done
}
free_port >"$out/port"; etcd_client=$(<"$out/port")
free_port >"$out/port"; etcd_peer=$(<"$out/port")
free_port >"$out/port"; pg_port=$(<"$out/port")
free_port >"$out/port"; api_port=$(<"$out/port")
work=$(mktemp -d /tmp/pgha-deb-XXXXXX)
chown "$user" "$work"
etcd --name pkgtest --data-dir "$work/etcd" --listen-client-urls "http://127.0.0.1:$etcd_client" \
  --advertise-client-urls "http://127.0.0.1:$etcd_client" --listen-peer-urls "http://127.0.0.1:$etcd_peer" \
  --initial-advertise-peer-urls "http://127.0.0.1:$etcd_peer" \
  --initial-cluster "pkgtest=http://127.0.0.1:$etcd_peer" >"$out/etcd.log" 2>&1 &
etcd_pid=$!
cleanup_all() {
  [[ -n ${daemon_pid:-} ]] && kill -KILL "$daemon_pid" 2>/dev/null || true
  if [[ -f $work/data/postmaster.pid ]]; then kill -KILL "$(head -1 "$work/data/postmaster.pid")" 2>/dev/null || true; fi
  kill "$etcd_pid" 2>/dev/null || true
  rm -f /etc/patroni/pkgtest.yml
  rm -rf "$work"
  dpkg -P libpgha-dev pgha >/dev/null 2>&1 || true
}
trap cleanup_all EXIT
cat >/etc/patroni/pkgtest.yml <<YML
scope: pkgtest
name: node1
etcd3:
  hosts: 127.0.0.1:$etcd_client
restapi:
  listen: 127.0.0.1:$api_port
  connect_address: 127.0.0.1:$api_port
bootstrap:
  dcs:
    ttl: 10
    loop_wait: 1
    retry_timeout: 3
postgresql:
  listen: 127.0.0.1:$pg_port
  connect_address: 127.0.0.1:$pg_port
  data_dir: $work/data
  bin_dir: /usr/lib/postgresql/15/bin
  pgpass: $work/pgpass
  authentication:
    superuser: {username: postgres, password: pkgtest}
    replication: {username: replicator, password: pkgtest}
  parameters:
    unix_socket_directories: $work
YML
chown "$user" /etc/patroni/pkgtest.yml
runuser -u "$user" -- $exec_start >"$out/daemon.log" 2>&1 &
daemon_pid=$!
for _ in $(seq 1 600); do
  if curl -fsS "http://127.0.0.1:$api_port/primary" >/dev/null 2>&1; then break; fi
  kill -0 "$daemon_pid" 2>/dev/null || { tail -30 "$out/daemon.log"; fail "the daemon exited"; }
  sleep 0.2
done
curl -fsS "http://127.0.0.1:$api_port/primary" >/dev/null || { tail -30 "$out/daemon.log"; fail "no primary within 120 s"; }
echo "primary up: $(curl -fsS "http://127.0.0.1:$api_port/patroni" | head -c 120)"
pghactl --dcs-url "etcd3://127.0.0.1:$etcd_client" list pkgtest
kill -TERM "$daemon_pid"
for _ in $(seq 1 600); do kill -0 "$daemon_pid" 2>/dev/null || break; sleep 0.2; done
kill -0 "$daemon_pid" 2>/dev/null && fail "the daemon did not stop on SIGTERM within 120 s"
daemon_pid=
[[ -f $work/data/postmaster.pid ]] && fail "PostgreSQL still runs after the daemon stopped"
rm -f /etc/patroni/pkgtest.yml
# As `systemctl enable pgha@pkgtest` would: purge must not leave the link dangling.
mkdir -p /etc/systemd/system/multi-user.target.wants
ln -sf /usr/lib/systemd/system/pgha@.service /etc/systemd/system/multi-user.target.wants/pgha@pkgtest.service

echo "== remove and purge"
dpkg -r libpgha-dev pgha >"$out/dpkg-remove.log" 2>&1 || { cat "$out/dpkg-remove.log"; fail "dpkg -r failed"; }
[[ -e /usr/bin/pgha || -e /usr/include/pgha ]] && fail "files left after remove"
dpkg -P libpgha-dev pgha >"$out/dpkg-purge.log" 2>&1 || { cat "$out/dpkg-purge.log"; fail "dpkg -P failed"; }
[[ -L /etc/systemd/system/multi-user.target.wants/pgha@pkgtest.service ]] &&
  fail "purge left the enabled unit's link"
etc_after=$(ls -la --time-style=+%s /etc/patroni 2>/dev/null | tail -n +2 | grep -v ' \.\.\?$' || true)
[[ $etc_after == "$etc_before" ]] || fail "/etc/patroni differs after purge: before [$etc_before] after [$etc_after]"
echo "deb_test: OK"
