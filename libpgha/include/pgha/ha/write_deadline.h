// The write deadline: until when this node may accept writes, as far as it can prove.
//
// A leader lock refresh sent at monotonic time S and answered with success proves that the
// lock's session (an etcd lease, a ZooKeeper session, a Consul session) lives until at least
// S + ttl: the store measures the TTL from when it received the refresh, which is after S, and
// only an explicit delete can end it sooner. Nobody else can be promoted before the lock
// vanishes. So the node stays writable until S + ttl - margin and no longer:
//
//   margin        = max(1 s, ttl / 5)            covers clock-rate differences and scheduling;
//                                                 read-only >= 1 s before the lease can expire
//   kill          = S + ttl - margin             every PostgreSQL process killed (certain)
//   stop_writes   = kill - min(1 s, ttl / 10)    fast shutdown begun (sessions ended at once,
//                                                 WAL flushed to the replicas: no acknowledged
//                                                 write stays behind on this node alone)
//
// watchdog.safety_margin keeps Patroni's meaning for the /dev/watchdog device only; see
// docs/ha.md for why the write deadline uses its own rule (ttl 5 would leave no margin at all
// with Patroni's default of 5 s).
//
// Thread-safety: pure functions.
#ifndef PGHA_HA_WRITE_DEADLINE_H_
#define PGHA_HA_WRITE_DEADLINE_H_

#include "absl/time/time.h"

namespace pgha::ha {

struct WriteDeadline {
  absl::Time stop_writes;  // monotonic
  absl::Time kill;         // monotonic
  bool operator==(const WriteDeadline& o) const {
    return stop_writes == o.stop_writes && kill == o.kill;
  }
};

absl::Duration WriteMargin(absl::Duration ttl);
absl::Duration StopBudget(absl::Duration ttl);
// The deadline that a successful refresh sent at `refresh_sent` (monotonic) buys.
WriteDeadline WriteDeadlineAfter(absl::Time refresh_sent, absl::Duration ttl);

}  // namespace pgha::ha

#endif  // PGHA_HA_WRITE_DEADLINE_H_
