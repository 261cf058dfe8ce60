// Helpers shared by the simulation test files.
#ifndef PGHA_TESTS_SIM_SIM_TESTING_H_
#define PGHA_TESTS_SIM_SIM_TESTING_H_

#include <catch2/catch.hpp>

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "pgha/base/log.h"
#include "sim_cluster.h"

namespace pgha::sim {

// The engine's log lines would drown the test output; the trace keeps what matters.
inline void QuietLogs() { log::SetLevel(log::Level::kCritical); }

inline int TotalCycles(const SimCluster& sim) {
  int total = 0;
  for (const auto& name : sim.names()) total += sim.node(name).cycles;
  return total;
}

// What a failing test prints: the seed, the violations and the events around the first one.
inline std::string Failure(SimCluster& sim, const std::string& what) {
  return absl::StrCat(what, "\nseed ", sim.options().seed, ", ", sim.options().nodes, " nodes; violations:\n",
                      absl::StrJoin(sim.checker().violations(), "\n"), "\nevents before the first violation:\n",
                      sim.checker().trace_at_first_violation(), "last events:\n", sim.Trace(40));
}

// Lets the cluster come up: one leader, every other node streaming from it.
inline void Converge(SimCluster& sim, absl::Duration limit = absl::Seconds(180)) {
  std::string why;
  bool ok = sim.RunUntil([&] { return sim.Converged(&why); }, limit);
  INFO(Failure(sim, absl::StrCat("the cluster did not converge: ", why)));
  REQUIRE(ok);
  REQUIRE(sim.checker().ok());
}

// Converge, then wait until the leader has named a synchronous standby in `sync`; returns it.
inline std::string ConvergeWithSyncStandby(SimCluster& sim) {
  Converge(sim);
  REQUIRE(sim.RunUntil([&] { return sim.Snapshot()->sync && !sim.Snapshot()->sync->sync_standby.empty(); },
                       absl::Seconds(60)));
  return sim.Snapshot()->sync->sync_standby.front();
}

// The replicas of the current leader, in name order.
inline std::vector<std::string> Replicas(SimCluster& sim) {
  std::vector<std::string> out;
  std::string leader = sim.LockHolder();
  for (const auto& n : sim.names()) {
    if (n != leader) out.push_back(n);
  }
  return out;
}

}  // namespace pgha::sim

#endif  // PGHA_TESTS_SIM_SIM_TESTING_H_
