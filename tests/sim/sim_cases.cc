#include "sim_cases.h"

#include <cstdlib>
#include <iostream>

#include "absl/strings/str_format.h"
#include "sim_testing.h"

namespace pgha::sim {

FaultMix Mix(int crash, int pg_crash, int graceful, int dcs, int net, int full, int outage, int switchover,
             int stall) {
  FaultMix m;
  m.crash = crash;
  m.pg_crash = pg_crash;
  m.graceful_restart = graceful;
  m.dcs_partition = dcs;
  m.net_partition = net;
  m.full_partition = full;
  m.dcs_outage = outage;
  m.switchover = switchover;
  m.stall = stall;
  return m;
}

const FaultMix kCrashes = Mix(3, 2, 1, 0, 0, 0, 0, 0);
const FaultMix kPartitions = Mix(0, 0, 0, 3, 3, 2, 1, 0);
// Stalled daemons (SIGSTOP) are safe only because of the fencer (SimOptions::fencer).
const FaultMix kEverything = Mix(2, 1, 1, 2, 2, 1, 1, 2, 2);
const FaultMix kSwitchovers = Mix(0, 0, 0, 0, 0, 0, 0, 1);

Outcome RunCase(const Case& c, bool print) {
  absl::Duration length = absl::Seconds(c.ttl == 30 ? 1800 : 900);
  SimOptions o;
  o.nodes = c.nodes;
  o.seed = c.seed;
  o.synchronous_mode = c.sync;
  o.synchronous_mode_strict = c.strict;
  o.nofailover = c.nofailover;
  o.synchronous_node_count = c.sync_count;
  o.quorum_commit = c.quorum;
  // Exploration knobs (see SimOptions): answer GET /patroni with live WAL positions, or write
  // switchover requests without the REST API's checks.
  o.validate_switchovers = c.validate_switchovers && std::getenv("PGHA_SIM_UNVALIDATED_SWITCHOVERS") == nullptr;
  o.ttl = c.ttl;
  o.loop_wait = c.loop_wait;
  o.retry_timeout = c.retry_timeout;
  SimCluster sim(o);
  Outcome out;
  std::string why;
  if (!sim.RunUntil([&] { return sim.Converged(&why); }, absl::Seconds(180))) {
    return {false, Failure(sim, absl::StrCat(c.name, ": no initial convergence: ", why)),
            absl::StrCat("no initial convergence: ", why)};
  }
  FaultMix mix = c.mix;
  mix.max_fault = absl::Seconds(3 * c.ttl);
  if (const char* rate = std::getenv("PGHA_SIM_FAULT_RATE")) mix.per_minute = std::atof(rate);
  sim.RunWithFaults(mix, length);
  bool converged = sim.RunUntil([&] { return sim.Converged(&why); }, absl::Seconds(6 * c.ttl + 120));
  if (print) {
    std::cout << absl::StrFormat(
        "  %-42s seed %4d: %5d cycles, %6d checks, %2d failovers, %2d switchovers, max unavailable %6.1fs%s\n",
        c.name, c.seed, TotalCycles(sim), sim.checker().checks(), sim.checker().failovers(),
        sim.checker().switchovers(), absl::ToDoubleSeconds(sim.checker().max_unavailable()),
        c.sync ? "" : absl::StrFormat(", %d acknowledged commits lost (async)", sim.checker().lost_commits()));
  }
  if (!sim.checker().ok()) {
    return {false, Failure(sim, absl::StrCat(c.name, ": invariant violated")),
            absl::StrJoin(sim.checker().violations(), "\n      ")};
  }
  if (!converged) {
    return {false, Failure(sim, absl::StrCat(c.name, ": no convergence after healing: ", why)),
            absl::StrCat("no convergence: ", why)};
  }
  return out;
}

}  // namespace pgha::sim
