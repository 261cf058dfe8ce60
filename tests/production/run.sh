#!/usr/bin/env bash
# A production-shaped 3-node cluster, configured as DBAs run Patroni: pgha's own connections to
# PostgreSQL over the unix socket with a password (use_unix_socket, use_unix_socket_repl);
# replication, pg_rewind and remote connections over TLS with client certificates
# (`hostssl ... clientcert=verify-ca`); the REST API over https with `verify_client: required` and
# an encrypted key, pghactl with its own encrypted client key (ctl.keyfile_password); WAL archiving;
# a post_bootstrap script that checks the DSN it is given; callbacks; and `wal_keep_segments` in
# bootstrap.dcs. It bootstraps, switches over, fails over (the primary's daemon killed) and the
# old primary rejoins. Every row written is on every node at the end.
#
# Fixed ports (etcd 2379, REST 8008-8010, PostgreSQL 5432-5434) in a network namespace of its own
# (root; the daemons run as the unprivileged user `pgha`). Exit 77 (skip) without root.
#
# usage: run.sh BIN_DIR
set -euo pipefail

source "$(dirname "$(realpath "$0")")/../support/cluster_script.sh"
[[ ${1:-} == --inside ]] || enter_namespace "$0" --inside "$@"
shift
bin_dir=$(realpath "$1")
pg_bin=/usr/lib/postgresql/15/bin

work=$(mktemp -d /tmp/pgha-production.XXXXXX)
chmod 700 "$work"
data_dirs=("$work"/data/node{0,1,2})
trap cluster_cleanup EXIT
certs=$work/certs
mkdir -p "$certs" "$work/archive" "$work/data"

# --- certificates: a CA, one server certificate (127.0.0.1) and one client certificate
(
  cd "$certs"
  ec=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes)
  openssl req -x509 "${ec[@]}" -keyout ca.key -out ca.crt -days 2 -subj /CN=pgha-production-ca 2>/dev/null
  for who in server client; do
    openssl req "${ec[@]}" -keyout "$who.key" -out "$who.csr" -subj "/CN=$who" 2>/dev/null
    openssl x509 -req -in "$who.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -out "$who.crt" -days 2 \
      -extfile <(printf 'subjectAltName=IP:127.0.0.1,DNS:localhost') 2>/dev/null
  done
  # The REST API's key and pghactl's key encrypted, as keyfile_password expects.
  openssl pkey -in server.key -aes256 -passout pass:rest-key-secret -out server-encrypted.key
  openssl pkey -in client.key -aes256 -passout pass:ctl-key-secret -out client-encrypted.key
  chmod 600 ./*.key
)

# --- the scripts pgha runs
cat >"$work/post_bootstrap.sh" <<'EOF'
#!/bin/bash
# post_bootstrap SOCKET_DIR DSN: Patroni appends a key=value DSN of the local connection (the
# unix socket here, no password in it: PGPASSFILE has it).
set -eu
socket_dir=$1 dsn=$2
[[ $dsn == *"host=$socket_dir"* ]] || { echo "post_bootstrap: DSN without the socket dir: $dsn" >&2; exit 1; }
[[ $dsn != *password* ]] || { echo "post_bootstrap: a password in the DSN" >&2; exit 1; }
[[ -n ${PGPASSFILE:-} ]] || { echo "post_bootstrap: PGPASSFILE not set" >&2; exit 1; }
psql "$dsn" -XAtq -v ON_ERROR_STOP=1 \
  -c "CREATE TABLE post_bootstrap_ran (socket_dir text)" \
  -c "INSERT INTO post_bootstrap_ran VALUES ('$socket_dir')"
EOF
cat >"$work/callback.sh" <<EOF
#!/bin/bash
# callback NODE ACTION ROLE SCOPE: one line per call.
echo "\$*" >>"$work/callbacks.log"
EOF
chmod 755 "$work/post_bootstrap.sh" "$work/callback.sh"

# Every PostgreSQL user connects to other nodes over TLS with the client certificate.
client_tls="      sslmode: verify-ca
      sslrootcert: $certs/ca.crt
      sslcert: $certs/client.crt
      sslkey: $certs/client.key"
for i in 0 1 2; do
  cat >"$work/node$i.yml" <<EOF
scope: production
name: node$i

restapi:
  listen: 127.0.0.1:$((8008 + i))
  connect_address: 127.0.0.1:$((8008 + i))
  certfile: $certs/server.crt
  keyfile: $certs/server-encrypted.key
  keyfile_password: rest-key-secret
  cafile: $certs/ca.crt
  verify_client: required
  authentication:
    username: rest-admin
    password: rest-password

ctl:
  certfile: $certs/client.crt
  keyfile: $certs/client-encrypted.key
  keyfile_password: ctl-key-secret
  cacert: $certs/ca.crt

etcd3:
  hosts: 127.0.0.1:2379

bootstrap:
  dcs:
    ttl: 20
    loop_wait: 3
    retry_timeout: 5
    maximum_lag_on_failover: 1048576
    postgresql:
      use_pg_rewind: true
      use_slots: true
      parameters:
        wal_keep_segments: 8
        archive_mode: 'on'
        archive_command: 'test ! -f $work/archive/%f && cp %p $work/archive/%f'
        password_encryption: scram-sha-256
  initdb:
  - encoding: UTF8
  - data-checksums
  post_bootstrap: $work/post_bootstrap.sh $work/socket$i

postgresql:
  listen: 127.0.0.1:$((5432 + i))
  connect_address: 127.0.0.1:$((5432 + i))
  data_dir: $work/data/node$i
  pgpass: $work/pgpass$i
  use_unix_socket: true
  use_unix_socket_repl: true
  pg_hba:
  - local all all scram-sha-256
  - hostssl replication replicator 127.0.0.1/32 scram-sha-256 clientcert=verify-ca
  - hostssl all all 127.0.0.1/32 scram-sha-256 clientcert=verify-ca
  authentication:
    superuser:
      username: postgres
      password: super-secret
$client_tls
    replication:
      username: replicator
      password: replication-secret
$client_tls
    rewind:
      username: rewinder
      password: rewind-secret
$client_tls
  parameters:
    unix_socket_directories: $work/socket$i
    ssl: 'on'
    ssl_cert_file: $certs/server.crt
    ssl_key_file: $certs/server.key
    ssl_ca_file: $certs/ca.crt
  callbacks:
    on_start: $work/callback.sh node$i
    on_stop: $work/callback.sh node$i
    on_role_change: $work/callback.sh node$i
EOF
  mkdir -p "$work/socket$i"
done
chown -R pgha: "$work"

rest() {  # node, path: the HTTP status over https with the client certificate
  curl -s -o /dev/null -m 5 -w '%{http_code}' --cacert "$certs/ca.crt" --cert "$certs/client.crt" \
    --key "$certs/client.key" "https://127.0.0.1:$((8008 + $1))$2" || true
}
sql() {  # node, statement: the first column of the rows, over TLS with the client certificate
  PGCONNECT_TIMEOUT=3 psql "host=127.0.0.1 port=$((5432 + $1)) user=postgres password=super-secret dbname=postgres
    sslmode=verify-ca sslrootcert=$certs/ca.crt sslcert=$certs/client.crt sslkey=$certs/client.key" -XAtq -c "$2"
}
answers() { [[ $(sql "$1" "$2" 2>/dev/null) == "$3" ]]; }  # node, statement, expected answer
ctl() { as_pgha env -C "$work" "$bin_dir/pghactl" -c node0.yml "$@"; }
start_daemon() {
  start_as_pgha "$work/pgha$1.log" env -C "$work" "$bin_dir/pgha" "node$1.yml"
  daemon_pid[$1]=$!
}

primary() {
  local i
  for i in 0 1 2; do [[ $(rest "$i" /primary) == 200 ]] && { echo "$i"; return 0; }; done
  return 1
}
streaming_replicas() {  # count: that many replicas stream from the primary, over TLS
  local p
  p=$(primary) || return 1
  [[ $(sql "$p" "SELECT count(*) FROM pg_stat_replication r JOIN pg_stat_ssl s USING (pid)
                 WHERE r.state = 'streaming' AND s.ssl") == "$1" ]]
}
rows_everywhere() {  # count: every node has that many rows in t
  local i
  for i in 0 1 2; do [[ $(sql "$i" "SELECT count(*) FROM t" 2>/dev/null) == "$1" ]] || return 1; done
}
called_back() { grep -qx "$1" "$work/callbacks.log"; }

# --- bootstrap
start_etcd
declare -a daemon_pid
for i in 0 1 2; do start_daemon "$i"; done
wait_for "one primary and two replicas streaming over TLS" 300 streaming_replicas 2
p=$(primary)
echo "bootstrapped: node$p is the primary"

# The REST API refuses a client without a certificate, and answers one with it.
[[ $(curl -s -o /dev/null -m 5 -w '%{http_code}' --cacert "$certs/ca.crt" "https://127.0.0.1:$((8008 + p))/primary" || true) == 000 ]] ||
  fail "the REST API answered a client without a certificate (verify_client: required)"
# post_bootstrap ran with the socket DSN (the script checks it; the row says it got that far).
[[ $(sql "$p" "SELECT socket_dir FROM post_bootstrap_ran") == "$work/socket$p" ]] || fail "post_bootstrap did not run"
# wal_keep_segments: 8 became wal_keep_size (16 MB segments) on PostgreSQL 15.
for i in 0 1 2; do
  wait_for "wal_keep_size on node$i" 60 answers "$i" "SHOW wal_keep_size" 128MB
done
# pgha's own connection to its PostgreSQL is the unix socket (client_port -1), a password one.
for i in 0 1 2; do
  wait_for "node$i: pgha connected over the unix socket" 60 answers "$i" "SELECT count(*) > 0 FROM pg_stat_activity
    WHERE client_port = -1 AND usename = 'postgres' AND application_name = 'pgha'" t
done
# Archiving works.
sql "$p" "SELECT pg_switch_wal()" >/dev/null
wait_for "a WAL segment archived" 60 answers "$p" "SELECT archived_count > 0 FROM pg_stat_archiver" t
[[ -n $(ls "$work/archive") ]] || fail "archive_command wrote nothing into the archive"
wait_for "on_start called back on node$p" 60 called_back "node$p on_start master production"

# pghactl over https with its encrypted client key.
listed() { [[ $(ctl list | grep -c '| Replica | running |') == 2 ]]; }
wait_for "pghactl list shows two running replicas" 60 listed
ctl list
sql "$p" "CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t VALUES (1)" >/dev/null || fail "write on the primary"
wait_for "the first row on every node" 60 rows_everywhere 1

# Waits for a primary other than node$old with N replicas streaming, sets p to it, and checks
# that it was called back as the new master.
moved() { local n; n=$(primary) && [[ $n != "$old" ]] && streaming_replicas "$1"; }
new_primary() {  # what, streaming replicas
  wait_for "a new primary after $1, $2 replica(s) streaming over TLS" 180 moved "$2"
  p=$(primary)
  echo "$1: node$old -> node$p"
  wait_for "on_role_change to master on node$p" 60 called_back "node$p on_role_change master production"
}

# --- switchover through the REST API (client certificate, REST authentication)
old=$p
ctl switchover --force || fail "pghactl switchover"
new_primary "the switchover" 2
sql "$p" "INSERT INTO t VALUES (2)" >/dev/null || fail "write on the new primary"
wait_for "the second row on every node" 60 rows_everywhere 2

# --- failover: the primary's daemon killed; its fencer stops the writes, another node takes over
old=$p
kill -KILL "${daemon_pid[$old]}"
new_primary "the failover" 1
sql "$p" "INSERT INTO t VALUES (3)" >/dev/null || fail "write on the primary after the failover"
# The old primary's daemon comes back: it rejoins as a replica (pg_rewind over TLS if it must).
start_daemon "$old"
wait_for "the old primary streaming again" 180 streaming_replicas 2
wait_for "all three rows on every node" 120 rows_everywhere 3
echo "OK: the production-shaped cluster bootstrapped, switched over, failed over and rejoined (primary node$p)"
