#!/usr/bin/env bash
# A local three-node pgha cluster on 127.0.0.1: etcd, three PostgreSQL 15 nodes each run by a
# pgha daemon, and HAProxy routing a read-write and a read-only port with Patroni-style health
# checks (the seed haproxy.cfg, pointed at local ports).
#
#   scripts/local-cluster.sh start    install what is missing, build, start, wait until healthy
#   scripts/local-cluster.sh status   pghactl list
#   scripts/local-cluster.sh stop     stop everything and remove the cluster's directory
#
# State lives in $PGHA_LOCAL_DIR (default /tmp/pgha-local-cluster). Ports (127.0.0.1 only):
# etcd 12379, PostgreSQL 15432-15434, REST 18008-18010, HAProxy 5000 (read-write),
# 5001 (read-only), 7000 (stats).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dir=${PGHA_LOCAL_DIR:-/tmp/pgha-local-cluster}
bin=$root/build/bin
pgbin=/usr/lib/postgresql/15/bin
etcd_port=12379
password=pgha-demo

# PostgreSQL refuses to run as root: as root, everything runs as the unprivileged user pgha.
as_user() {
  if [[ $(id -u) -eq 0 ]]; then
    setpriv --reuid=pgha --regid=pgha --init-groups --reset-env -- env HOME="$dir" PATH=/usr/sbin:/usr/bin:/sbin:/bin "$@"
  else
    "$@"
  fi
}

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_for() {  # wait_for <seconds> <description> <command...>
  local deadline=$((SECONDS + $1)) what=$2
  shift 2
  until "$@" >/dev/null 2>&1; do
    if ((SECONDS >= deadline)); then
      echo "local-cluster: timed out waiting for $what" >&2
      return 1
    fi
    sleep 0.5
  done
}

start_bg() {  # start_bg <name> <command...>: background, log and pid file in $dir
  local name=$1
  shift
  # Inside: $0 is the log, $1 the pid file, the rest the command.
  as_user bash -c 'pidfile=$1; shift; "$@" >>"$0" 2>&1 </dev/null & echo $! >"$pidfile"' \
    "$dir/$name.log" "$dir/$name.pid" "$@"
}

node_yaml() {
  local i=$1
  cat <<YAML
# Node pg$i of the local demo cluster (the same file works with Patroni).
scope: demo
namespace: /service/
name: pg$i

restapi:
  listen: 127.0.0.1:$((18007 + i))
  connect_address: 127.0.0.1:$((18007 + i))

etcd3:
  hosts: 127.0.0.1:$etcd_port

bootstrap:
  dcs:
    ttl: 30
    loop_wait: 10
    retry_timeout: 10
    maximum_lag_on_failover: 1048576
    postgresql:
      use_pg_rewind: true
      use_slots: true
      parameters:
        wal_level: replica
        hot_standby: "on"
        wal_log_hints: "on"
        wal_keep_size: 128MB
        max_wal_senders: 10
        max_replication_slots: 10
        max_connections: 100
  initdb:
    - encoding: UTF8
    - locale: C.UTF-8
    - data-checksums

postgresql:
  listen: 127.0.0.1:$((15431 + i))
  connect_address: 127.0.0.1:$((15431 + i))
  data_dir: $dir/pg$i/data
  bin_dir: $pgbin
  pgpass: $dir/pg$i/pgpass
  authentication:
    superuser:
      username: postgres
      password: $password
    replication:
      username: replicator
      password: $password-repl
    rewind:
      username: rewinder
      password: $password-rewind
  parameters:
    unix_socket_directories: '$dir/pg$i'
  pg_hba:
    - local all all trust
    - host all all 127.0.0.1/32 scram-sha-256
    - host replication replicator 127.0.0.1/32 scram-sha-256

tags:
  nofailover: false
  noloadbalance: false
YAML
}

haproxy_cfg() {
  # The seed configuration (001-haproxy.cfg), made local: no chroot/user (not root), 127.0.0.1.
  cat <<CFG
global
    maxconn 1000

defaults
    mode tcp
    timeout connect 10s
    timeout client 30m
    timeout server 30m
    retries 3

listen stats
    mode http
    bind 127.0.0.1:7000
    stats enable
    stats uri /stats
    stats refresh 10s

listen postgres-primary
    bind 127.0.0.1:5000
    mode tcp
    option httpchk OPTIONS /primary
    http-check expect status 200
    default-server inter 1s fall 2 rise 1 on-marked-down shutdown-sessions
    server pg1 127.0.0.1:15432 check port 18008
    server pg2 127.0.0.1:15433 check port 18009
    server pg3 127.0.0.1:15434 check port 18010

listen postgres-replica
    bind 127.0.0.1:5001
    mode tcp
    balance roundrobin
    option httpchk OPTIONS /replica
    http-check expect status 200
    default-server inter 1s fall 2 rise 1 on-marked-down shutdown-sessions
    server pg1 127.0.0.1:15432 check port 18008
    server pg2 127.0.0.1:15433 check port 18009
    server pg3 127.0.0.1:15434 check port 18010
CFG
}

healthy() {
  local primaries=0 replicas=0
  for p in 18008 18009 18010; do
    [[ $(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$p/primary") == 200 ]] && primaries=$((primaries + 1))
    [[ $(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$p/replica") == 200 ]] && replicas=$((replicas + 1))
  done
  ((primaries == 1 && replicas == 2))
}

cmd_start() {
  if [[ -d $dir ]]; then
    echo "local-cluster: $dir exists; run '$0 stop' first" >&2
    exit 1
  fi
  "$root/scripts/install-deps.sh"
  "$root/scripts/build.sh"
  for p in $etcd_port $((etcd_port + 1)) 15432 15433 15434 18008 18009 18010 5000 5001 7000; do
    if port_busy "$p"; then
      echo "local-cluster: port $p on 127.0.0.1 is in use" >&2
      exit 1
    fi
  done
  mkdir -p "$dir"
  [[ $(id -u) -eq 0 ]] && chown pgha:pgha "$dir"
  as_user mkdir -p "$dir/pg1" "$dir/pg2" "$dir/pg3" "$dir/etcd"
  echo "== starting etcd on 127.0.0.1:$etcd_port"
  start_bg etcd etcd --name local --data-dir "$dir/etcd" \
    --listen-client-urls "http://127.0.0.1:$etcd_port" --advertise-client-urls "http://127.0.0.1:$etcd_port" \
    --listen-peer-urls "http://127.0.0.1:$((etcd_port + 1))" \
    --initial-advertise-peer-urls "http://127.0.0.1:$((etcd_port + 1))" \
    --initial-cluster "local=http://127.0.0.1:$((etcd_port + 1))" --logger=zap --log-level=warn
  wait_for 60 etcd env ETCDCTL_API=3 etcdctl --endpoints "127.0.0.1:$etcd_port" endpoint health
  for i in 1 2 3; do
    node_yaml "$i" | as_user tee "$dir/pg$i.yml" >/dev/null
    echo "== starting pgha node pg$i"
    start_bg "pg$i" "$bin/pgha" "$dir/pg$i.yml"
  done
  haproxy_cfg | as_user tee "$dir/haproxy.cfg" >/dev/null
  echo "== starting HAProxy (read-write 127.0.0.1:5000, read-only 127.0.0.1:5001)"
  as_user haproxy -f "$dir/haproxy.cfg" -D -p "$dir/haproxy.pid"
  echo "== waiting until one primary and two streaming replicas are up"
  if ! wait_for 300 "a healthy cluster" healthy; then
    tail -n 20 "$dir"/pg*.log >&2
    exit 1
  fi
  wait_for 60 "HAProxy's read-write port" as_user env PGPASSWORD=$password PGCONNECT_TIMEOUT=3 \
    psql -h 127.0.0.1 -p 5000 -U postgres -d postgres -Atc "SELECT 1"
  echo
  "$bin/pghactl" -c "$dir/pg1.yml" list
  cat <<INFO

The cluster is running (state in $dir).
  read-write:  psql "host=127.0.0.1 port=5000 user=postgres password=$password dbname=postgres"
  read-only:   psql "host=127.0.0.1 port=5001 user=postgres password=$password dbname=postgres"
  manage:      $bin/pghactl -c $dir/pg1.yml list | switchover | failover | edit-config | ...
  REST API:    curl http://127.0.0.1:18008/patroni
  HAProxy:     http://127.0.0.1:7000/stats
  stop:        $0 stop
INFO
}

cmd_status() { "$bin/pghactl" -c "$dir/pg1.yml" list; }

stop_pid() {  # stop_pid <pidfile> <seconds>: SIGTERM, then SIGKILL
  local file=$1 pid
  [[ -f $file ]] || return 0
  pid=$(cat "$file")
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    local deadline=$((SECONDS + $2))
    while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.2; done
    kill -KILL "$pid" 2>/dev/null || true
  fi
}

cmd_stop() {
  [[ -d $dir ]] || { echo "local-cluster: nothing to stop"; return 0; }
  stop_pid "$dir/haproxy.pid" 10
  for i in 1 2 3; do stop_pid "$dir/pg$i.pid" 90; done
  # A postmaster outlives a daemon that was killed: stop it by its pid file.
  for i in 1 2 3; do
    if [[ -f $dir/pg$i/data/postmaster.pid ]]; then
      as_user "$pgbin/pg_ctl" -D "$dir/pg$i/data" -m immediate stop >/dev/null 2>&1 || true
    fi
  done
  # The fencers (pgha-fencer, started by the daemons): one that still guards a primary whose
  # daemon was killed would stop it anyway; stop them by their pid files.
  for i in 1 2 3; do stop_pid "$dir/pg$i/data.fencer.pid" 10; done
  stop_pid "$dir/etcd.pid" 30
  rm -rf "$dir"
  echo "local-cluster: stopped and removed $dir"
}

case ${1:-} in
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  *) echo "usage: $0 start|status|stop" >&2; exit 2 ;;
esac
