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

source "$(dirname "$(realpath "$0")")/../support/cluster_script.sh"
[[ ${1:-} == --inside ]] || enter_namespace "$0" --inside "$@"
shift
bin_dir=$(realpath "$1")
fixtures=$(realpath "$2")
pg_bin=/usr/lib/postgresql/15/bin

work=$(mktemp -d /tmp/pgha-patroni-examples.XXXXXX)
data_dirs=("$work"/data/postgresql{0,1,2})
trap 'cluster_cleanup; rm -f /tmp/pgpass0 /tmp/pgpass1 /tmp/pgpass2' EXIT
rm -f /tmp/pgpass0 /tmp/pgpass1 /tmp/pgpass2
cp "$fixtures"/postgres0.yml "$fixtures"/postgres1.yml "$fixtures"/postgres2.yml "$work"/
chown -R pgha: "$work"
chmod 700 "$work"

http_code() { curl -s -o /dev/null -m 5 -w '%{http_code}' "http://127.0.0.1:$1$2" || true; }
sql() {  # port, statement: the first column of the rows
  PGPASSWORD=zalando PGCONNECT_TIMEOUT=3 psql -h 127.0.0.1 -p "$1" -U postgres -d postgres -XAtq -c "$2"
}
answers() { [[ $(sql "$1" "$2" 2>/dev/null) == "$3" ]]; }  # port, statement, expected answer

start_etcd

for i in 0 1 2; do
  start_as_pgha "$work/pgha$i.log" env -C "$work" "$bin_dir/pgha" "postgres$i.yml"
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
  wait_for "the row on $p" 60 answers "$p" "SELECT count(*) FROM examples" 1
done
# The role bootstrap.users asked for exists.
[[ $(sql "$port" "SELECT rolcreaterole AND rolcreatedb FROM pg_roles WHERE rolname = 'admin'") == t ]] ||
  fail "bootstrap.users: role admin missing or without createrole/createdb"

listing=$(as_pgha env -C "$work" "$bin_dir/pghactl" -c postgres0.yml list) || fail "pghactl list"
echo "$listing"
for i in 0 1 2; do grep -q "postgresql$i" <<<"$listing" || fail "pghactl list lacks postgresql$i"; done
[[ $(grep -c "| Replica | running |" <<<"$listing") == 2 ]] || fail "pghactl list: not two running replicas"

old=$port
as_pgha env -C "$work" "$bin_dir/pghactl" -c postgres0.yml switchover --force || fail "pghactl switchover"
moved() { local p; p=$(primary_port) && [[ $p != "$old" ]] && two_streaming; }
wait_for "a new primary after the switchover, both replicas streaming" 180 moved
sql "$(primary_port)" "INSERT INTO examples VALUES (2)" || fail "write on the new primary"
wait_for "the new row on the old primary" 60 answers "$old" "SELECT count(*) FROM examples" 2
echo "OK: Patroni's example configurations run a pgha cluster (primary now on port $(primary_port))"
