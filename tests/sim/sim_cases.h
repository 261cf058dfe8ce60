// Random-fault cases: a cluster, a fault mix and a seed; run, check, heal, check convergence.
// Shared by the case table (sim_random_test.cc), the seed sweep and the bug reproductions.
#ifndef PGHA_TESTS_SIM_SIM_CASES_H_
#define PGHA_TESTS_SIM_SIM_CASES_H_

#include <string>
#include <vector>

#include "sim_cluster.h"

namespace pgha::sim {

struct Case {
  const char* name;
  int nodes;
  uint64_t seed;
  bool sync;
  int ttl, loop_wait, retry_timeout;
  FaultMix mix;
  bool validate_switchovers = true;  // see SimOptions
  bool strict = false;               // synchronous_mode_strict
  std::vector<std::string> nofailover = {};
  int sync_count = 1;  // synchronous_node_count
  bool quorum = false;  // synchronous_mode: quorum (with sync)
};

FaultMix Mix(int crash, int pg_crash, int graceful, int dcs, int net, int full, int outage, int switchover,
             int stall = 0);
extern const FaultMix kCrashes;
extern const FaultMix kPartitions;
extern const FaultMix kEverything;
extern const FaultMix kSwitchovers;

struct Outcome {
  bool ok = true;
  std::string report;  // seed, violations and trace when !ok
  std::string first;   // the violations (or why the run failed), one per line
};

// Converges, runs the fault mix for 30 simulated minutes (15 with ttl 10), heals everything and
// waits for convergence. Prints a summary line when `print`.
// Environment knobs for exploration: PGHA_SIM_UNVALIDATED_SWITCHOVERS,
// PGHA_SIM_FAULT_RATE (faults per simulated minute).
Outcome RunCase(const Case& c, bool print);

}  // namespace pgha::sim

#endif  // PGHA_TESTS_SIM_SIM_CASES_H_
