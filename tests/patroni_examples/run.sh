#!/usr/bin/env bash
# Patroni 3.0.2's example configurations (tests/fixtures/patroni-examples), unchanged, bootstrap
# a 3-node pgha cluster on PostgreSQL 15: one primary, two streaming replicas, a row written on
# the primary read on both replicas, `pghactl list` showing the three members, and a switchover.
#
# The files name fixed addresses (etcd 127.0.0.1:2379, REST 8008-8010, PostgreSQL 5432-5434) and
# expect the PostgreSQL binaries on PATH. The test runs in a network namespace of its own, so
# those ports are free whatever else runs on the machine; it needs root for that (ctest runs it
# as root, the daemons run as the unprivileged user `pgha`). Exit 77 (skip) without root.
#
# usage: run.sh BIN_DIR FIXTURE_DIR
set -euo pipefail

if [[ ${1:-} != --inside ]]; then
  [[ $(id -u) -eq 0 ]] || { echo "skipped: needs root for a network namespace"; exit 77; }
  [[ -x /usr/lib/postgresql/15/bin/postgres ]] || { echo "skipped: PostgreSQL 15 is not installed"; exit 77; }
  command -v etcd >/dev/null || { echo "skipped: etcd is not installed"; exit 77; }
  id pgha >/dev/null 2>&1 || { echo "run scripts/install-deps.sh (user pgha)"; exit 1; }
  exec unshare --net -- "$0" --inside "$@"
fi
shift
bin_dir=$(realpath "$1")
fixtures=$(realpath "$2")
pg_bin=/usr/lib/postgresql/15/bin

ip link set lo up
work=$(mktemp -d /tmp/pgha-patroni-examples.XXXXXX)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  # A postmaster whose daemon died first: stop it by the PID in its own pid file.
  for i in 0 1 2; do
    pidfile=$work/data/postgresql$i/postmaster.pid
    [[ -f $pidfile ]] && kill -QUIT "$(head -1 "$pidfile")" 2>/dev/null || true
  done
  rm -rf "$work" /tmp/pgpass0 /tmp/pgpass1 /tmp/pgpass2
}
trap cleanup EXIT
rm -f /tmp/pgpass0 /tmp/pgpass1 /tmp/pgpass2
cp "$fixtures"/postgres0.yml "$fixtures"/postgres1.yml "$fixtures"/postgres2.yml "$work"/
chown -R pgha: "$work"
chmod 700 "$work"

as_pgha() {
  setpriv --reuid=pgha --regid=pgha --init-groups --inh-caps=-all -- env HOME="$work" PATH="$pg_bin:$PATH" "$@"
}
fail() {
  echo "FAILED: $*"
  for i in 0 1 2; do echo "--- postgres$i.yml daemon log (tail)"; tail -40 "$work/pgha$i.log" 2>/dev/null || true; done
  exit 1
}
# Polls a command until it succeeds (generous deadline; no timed assertion).
wait_for() {
  local what=$1 seconds=$2
  shift 2
  local deadline=$((SECONDS + seconds))
  until "$@" >/dev/null 2>&1; do
    ((SECONDS < deadline)) || fail "$what (waited ${seconds}s)"
    sleep 0.5
  done
}
http_code() { curl -s -o /dev/null -m 5 -w '%{http_code}' "http://127.0.0.1:$1$2" || true; }
sql() {  # port, statement: the first column of the rows
  PGPASSWORD=zalando PGCONNECT_TIMEOUT=3 psql -h 127.0.0.1 -p "$1" -U postgres -d postgres -XAtq -c "$2"
}

as_pgha etcd --name examples --data-dir "$work/etcd" \
  --listen-client-urls http://127.0.0.1:2379 --advertise-client-urls http://127.0.0.1:2379 \
  --listen-peer-urls http://127.0.0.1:2380 --initial-advertise-peer-urls http://127.0.0.1:2380 \
  --initial-cluster examples=http://127.0.0.1:2380 --logger=zap --log-level=warn >"$work/etcd.log" 2>&1 &
pids+=($!)
wait_for "etcd serves" 60 env ETCDCTL_API=3 etcdctl --endpoints=127.0.0.1:2379 endpoint health

for i in 0 1 2; do
  (cd "$work" && as_pgha "$bin_dir/pgha" "postgres$i.yml" >"$work/pgha$i.log" 2>&1) &
  pids+=($!)
done

primary_port() {
  for i in 0 1 2; do
    [[ $(http_code $((8008 + i)) /primary) == 200 ]] && { echo $((5432 + i)); return 0; }
  done
  return 1
}
two_streaming() {
  local port
  port=$(primary_port) || return 1
  [[ $(sql "$port" "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'") == 2 ]]
}
wait_for "one primary and two streaming replicas" 300 two_streaming
port=$(primary_port)
# The REST API reports what the last HA cycle saw (loop_wait 10 here).
two_replica_checks() {
  local n=0
  for i in 0 1 2; do [[ $(http_code $((8008 + i)) /replica) == 200 ]] && n=$((n + 1)); done
  ((n == 2))
}
wait_for "GET /replica answering 200 on two nodes" 60 two_replica_checks

sql "$port" "CREATE TABLE examples (id int primary key); INSERT INTO examples VALUES (1)" || fail "write on the primary"
for p in 5432 5433 5434; do
  wait_for "the row on $p" 60 test "$(sql "$p" "SELECT count(*) FROM examples" 2>/dev/null)" = 1
done
# The role bootstrap.users asked for exists.
[[ $(sql "$port" "SELECT rolcreaterole AND rolcreatedb FROM pg_roles WHERE rolname = 'admin'") == t ]] ||
  fail "bootstrap.users: role admin missing or without createrole/createdb"

listing=$(cd "$work" && as_pgha "$bin_dir/pghactl" -c postgres0.yml list) || fail "pghactl list"
echo "$listing"
for i in 0 1 2; do grep -q "postgresql$i" <<<"$listing" || fail "pghactl list lacks postgresql$i"; done
[[ $(grep -c "| Replica | running |" <<<"$listing") == 2 ]] || fail "pghactl list: not two running replicas"

old=$port
(cd "$work" && as_pgha "$bin_dir/pghactl" -c postgres0.yml switchover --force) || fail "pghactl switchover"
moved() { local p; p=$(primary_port) && [[ $p != "$old" ]] && two_streaming; }
wait_for "a new primary after the switchover, both replicas streaming" 180 moved
sql "$(primary_port)" "INSERT INTO examples VALUES (2)" || fail "write on the new primary"
wait_for "the new row on the old primary" 60 test "$(sql "$old" "SELECT count(*) FROM examples" 2>/dev/null)" = 2
echo "OK: Patroni's example configurations run a pgha cluster (primary now on port $(primary_port))"
