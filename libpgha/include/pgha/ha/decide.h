// Decide: the HA decision as a pure function of the cluster state, the local state and the
// settings. No I/O, no clock reads, no logging: everything it needs is in its arguments, so the
// rules are tested as tables and simulated with many nodes.
//
// The rules follow Patroni's HA loop (patroni/ha.py's _run_cycle), tried in order; each is a
// small named function in decide.cc, rules_race.cc, rules_leader.cc, rules_standby.cc or
// sync_replication.cc, documented where it is defined. The executor (executor.h) runs the
// returned actions in order and stops at the first failure; the next cycle decides again.
// docs/architecture.md describes the loop around it.
#ifndef PGHA_HA_DECIDE_H_
#define PGHA_HA_DECIDE_H_

#include <string>
#include <vector>

#include "pgha/ha/types.h"

namespace pgha::ha {

Decision Decide(const dcs::ClusterState& cluster, const LocalState& local, const HaConfig& config);

// Names of the rules in the order they are tried (for docs and tests).
std::vector<std::string> RuleNames();

// Whether `local` is at least as good a leader candidate as every reachable peer, in Patroni's
// terms (lag limit, timeline, peers ahead, priority). Exposed for tests.
bool IsHealthiest(const dcs::ClusterState& cluster, const LocalState& local, const HaConfig& config,
                  bool check_lag, std::string* why_not);

}  // namespace pgha::ha

#endif  // PGHA_HA_DECIDE_H_
