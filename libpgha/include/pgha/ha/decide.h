// Decide: the HA decision as a pure function of the cluster state, the local state and the
// settings. No I/O, no clock reads, no logging: everything it needs is in its arguments, so the
// rules are tested as tables and simulated with many nodes.
//
// The rules follow Patroni's HA loop (reference/patroni-spec.md §2), tried in order; each is a
// small named function documented in rules.cc. The executor runs the returned actions in order
// and stops at the first failure; the next cycle decides again.
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
