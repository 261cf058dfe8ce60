# Shell helpers for the cluster tests that run real pgha daemons from their configuration files
# in a network namespace of their own (tests/patroni_examples, tests/production). Sourced, not run.
#
# The caller sets `work` (a temp dir owned by pgha), `pg_bin`, and appends every process it starts
# to `pids`; `cluster_cleanup` stops them (and any postmaster or fencer a killed daemon left
# behind) by PID. Nothing else on the machine is touched.

# Re-runs the calling script inside `unshare --net` as root, or exits 77 (skip) when it cannot.
enter_namespace() {
  [[ $(id -u) -eq 0 ]] || { echo "skipped: needs root for a network namespace"; exit 77; }
  [[ -x /usr/lib/postgresql/15/bin/postgres ]] || { echo "skipped: PostgreSQL 15 is not installed"; exit 77; }
  command -v etcd >/dev/null || { echo "skipped: etcd is not installed"; exit 77; }
  id pgha >/dev/null 2>&1 || { echo "run scripts/install-deps.sh (user pgha)"; exit 1; }
  exec unshare --net -- "$@"
}

pids=()
data_dirs=()
cluster_cleanup() {
  local pid dir pidfile
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  # A postmaster or a fencer whose daemon died first: stopped by the PID in its own pid file.
  for dir in "${data_dirs[@]}"; do
    pidfile=$dir/postmaster.pid
    [[ -f $pidfile ]] && kill -QUIT "$(head -1 "$pidfile")" 2>/dev/null || true
    pidfile=$dir.fencer.pid
    [[ -f $pidfile ]] && kill -KILL "$(head -1 "$pidfile")" 2>/dev/null || true
  done
  [[ -n ${PGHA_KEEP_WORK:-} ]] && echo "kept $work" || rm -rf "$work"
}

as_pgha() {
  setpriv --reuid=pgha --regid=pgha --init-groups --inh-caps=-all -- env HOME="$work" PATH="$pg_bin:$PATH" "$@"
}

# Starts a command as pgha in the background, appending its output to a log file; $! is the
# command's own PID (setpriv and env exec it), so that a test can kill it.
start_as_pgha() {
  local log=$1
  shift
  setpriv --reuid=pgha --regid=pgha --init-groups --inh-caps=-all -- env HOME="$work" PATH="$pg_bin:$PATH" "$@" \
    >>"$log" 2>&1 &
  pids+=($!)
}

# Prints the tail of every daemon log ($work/pgha*.log) and exits 1.
fail() {
  echo "FAILED: $*"
  local log
  for log in "$work"/pgha*.log; do echo "--- $(basename "$log") (tail)"; tail -40 "$log" 2>/dev/null || true; done
  exit 1
}

# Polls a command until it succeeds (generous deadline; no timed assertion). The command runs
# anew each time: pass a function, not "$(...)", which the shell expands once, at the call.
wait_for() {
  local what=$1 seconds=$2
  shift 2
  local deadline=$((SECONDS + seconds))
  until "$@" >/dev/null 2>&1; do
    ((SECONDS < deadline)) || fail "$what (waited ${seconds}s)"
    sleep 0.5
  done
}

# A single-member etcd on 127.0.0.1:2379 (the namespace's own loopback).
start_etcd() {
  ip link set lo up
  start_as_pgha "$work/etcd.log" etcd --name cluster-test --data-dir "$work/etcd" \
    --listen-client-urls http://127.0.0.1:2379 --advertise-client-urls http://127.0.0.1:2379 \
    --listen-peer-urls http://127.0.0.1:2380 --initial-advertise-peer-urls http://127.0.0.1:2380 \
    --initial-cluster cluster-test=http://127.0.0.1:2380 --logger=zap --log-level=warn
  wait_for "etcd serves" 60 env ETCDCTL_API=3 etcdctl --endpoints=127.0.0.1:2379 endpoint health
}
