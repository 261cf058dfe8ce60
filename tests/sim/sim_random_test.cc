// Random faults: N nodes under seeded crashes, partitions, DCS outages and switchovers for a
// few hundred HA cycles each, with the safety invariants (invariants.h) checked after every
// event, then healed: the cluster must converge again (one leader, every other node streaming).
//
// Each case prints a summary line. A failing case prints its seed and the events before the first
// violation; rerun it alone (same seed, same run) with
//   ha_sim_test "random faults: <case name>"
// or with another seed: PGHA_SIM_SEED=<seed> ha_sim_test "random faults: <case name>".
// Sweep many seeds per case: PGHA_SIM_SWEEP=<seeds per case> ha_sim_test "[.sweep]".
// Print every event as it happens: PGHA_SIM_TRACE=1.
#include <cstdlib>
#include <iostream>

#include "absl/strings/str_format.h"
#include "sim_cases.h"
#include "sim_testing.h"

namespace pgha::sim {
namespace {

// One ctest entry per case, so that one failing case does not hide the others.
void RunTableCase(Case c) {
  QuietLogs();
  if (const char* seed = std::getenv("PGHA_SIM_SEED")) c.seed = std::strtoull(seed, nullptr, 10);
  Outcome r = RunCase(c, true);
  INFO(r.report);
  CHECK(r.ok);
}

#define PGHA_SIM_CASE(NAME, ...) \
  TEST_CASE("random faults: " NAME, "[sim][random]") { RunTableCase(Case{NAME, __VA_ARGS__}); }

// name, nodes, seed, synchronous_mode, ttl, loop_wait, retry_timeout, faults
// [, validate switchovers, synchronous_mode_strict, nofailover nodes, synchronous_node_count, quorum]
PGHA_SIM_CASE("3 nodes / crashes", 3, 101, false, 30, 10, 10, kCrashes)
PGHA_SIM_CASE("3 nodes / partitions", 3, 102, false, 30, 10, 10, kPartitions)
PGHA_SIM_CASE("3 nodes / everything", 3, 103, false, 30, 10, 10, kEverything)
PGHA_SIM_CASE("3 nodes / everything / fast timings", 3, 104, false, 10, 2, 3, kEverything)
PGHA_SIM_CASE("5 nodes / everything", 5, 105, false, 30, 10, 10, kEverything)
PGHA_SIM_CASE("5 nodes / partitions / fast timings", 5, 106, false, 10, 2, 3, kPartitions)
PGHA_SIM_CASE("3 nodes / sync / crashes", 3, 201, true, 30, 10, 10, kCrashes)
PGHA_SIM_CASE("3 nodes / sync / everything", 3, 202, true, 30, 10, 10, kEverything)
PGHA_SIM_CASE("5 nodes / sync / everything", 5, 203, true, 30, 10, 10, kEverything)
PGHA_SIM_CASE("5 nodes / sync / partitions / fast timings", 5, 204, true, 10, 2, 3, kPartitions)
PGHA_SIM_CASE("3 nodes / sync / switchovers", 3, 205, true, 30, 10, 10, kSwitchovers)
PGHA_SIM_CASE("3 nodes / strict sync / everything", 3, 206, true, 30, 10, 10, kEverything, true, true)
PGHA_SIM_CASE("5 nodes / two nofailover / everything", 5, 107, false, 30, 10, 10, kEverything, true, false,
              {"n4", "n5"})
PGHA_SIM_CASE("5 nodes / two sync standbys / everything", 5, 207, true, 30, 10, 10, kEverything, true, false, {}, 2)
PGHA_SIM_CASE("3 nodes / quorum / everything", 3, 301, true, 30, 10, 10, kEverything, true, false, {}, 1, true)
PGHA_SIM_CASE("3 nodes / quorum 2 / everything", 3, 302, true, 30, 10, 10, kEverything, true, false, {}, 2, true)
PGHA_SIM_CASE("5 nodes / quorum / everything", 5, 303, true, 30, 10, 10, kEverything, true, false, {}, 1, true)
PGHA_SIM_CASE("5 nodes / quorum 2 / partitions / fast timings", 5, 304, true, 10, 2, 3, kPartitions, true, false, {},
              2, true)
PGHA_SIM_CASE("5 nodes / strict quorum 2 / one nofailover / everything", 5, 305, true, 30, 10, 10, kEverything, true,
              true, {"n5"}, 2, true)
PGHA_SIM_CASE("3 nodes / quorum / switchovers", 3, 306, true, 30, 10, 10, kSwitchovers, true, false, {}, 1, true)

// The same mixes, for the sweep.
std::vector<Case> SweepCases() {
  return {
      {"3 nodes / crashes", 3, 0, false, 30, 10, 10, kCrashes},
      {"3 nodes / partitions", 3, 0, false, 30, 10, 10, kPartitions},
      {"3 nodes / everything", 3, 0, false, 30, 10, 10, kEverything},
      {"3 nodes / everything / fast timings", 3, 0, false, 10, 2, 3, kEverything},
      {"5 nodes / everything", 5, 0, false, 30, 10, 10, kEverything},
      {"5 nodes / partitions / fast timings", 5, 0, false, 10, 2, 3, kPartitions},
      {"3 nodes / sync / crashes", 3, 0, true, 30, 10, 10, kCrashes},
      {"3 nodes / sync / everything", 3, 0, true, 30, 10, 10, kEverything},
      {"5 nodes / sync / everything", 5, 0, true, 30, 10, 10, kEverything},
      {"5 nodes / sync / partitions / fast timings", 5, 0, true, 10, 2, 3, kPartitions},
      {"3 nodes / sync / switchovers", 3, 0, true, 30, 10, 10, kSwitchovers},
      {"3 nodes / strict sync / everything", 3, 0, true, 30, 10, 10, kEverything, true, true},
      {"5 nodes / two nofailover / everything", 5, 0, false, 30, 10, 10, kEverything, true, false, {"n4", "n5"}},
      {"5 nodes / two sync standbys / everything", 5, 0, true, 30, 10, 10, kEverything, true, false, {}, 2},
      {"3 nodes / quorum / everything", 3, 0, true, 30, 10, 10, kEverything, true, false, {}, 1, true},
      {"3 nodes / quorum 2 / everything", 3, 0, true, 30, 10, 10, kEverything, true, false, {}, 2, true},
      {"5 nodes / quorum / everything", 5, 0, true, 30, 10, 10, kEverything, true, false, {}, 1, true},
      {"5 nodes / quorum 2 / partitions / fast timings", 5, 0, true, 10, 2, 3, kPartitions, true, false, {}, 2, true},
      {"5 nodes / strict quorum 2 / one nofailover / everything", 5, 0, true, 30, 10, 10, kEverything, true, true,
       {"n5"}, 2, true},
      {"3 nodes / quorum / switchovers", 3, 0, true, 30, 10, 10, kSwitchovers, true, false, {}, 1, true},
  };
}

// Many seeds per case (not part of the default run): PGHA_SIM_SWEEP=<seeds per case>, first seed
// PGHA_SIM_SEED_BASE (1000); PGHA_SIM_CASE=<part of a case name> to sweep only some cases.
TEST_CASE("seed sweep", "[.sweep]") {
  QuietLogs();
  const char* only = std::getenv("PGHA_SIM_CASE");
  const char* env = std::getenv("PGHA_SIM_SWEEP");
  int count = env != nullptr ? std::atoi(env) : 20;
  const char* base_env = std::getenv("PGHA_SIM_SEED_BASE");
  uint64_t base = base_env != nullptr ? std::strtoull(base_env, nullptr, 10) : 1000;
  for (Case c : SweepCases()) {
    if (only != nullptr && std::string(c.name).find(only) == std::string::npos) continue;
    int failed = 0;
    for (int i = 0; i < count; ++i) {
      c.seed = base + i;
      Outcome r = RunCase(c, false);
      if (r.ok) continue;
      if (failed++ == 0 && std::getenv("PGHA_SIM_VERBOSE") != nullptr) std::cout << "---- " << r.report << "\n";
      std::cout << "    seed " << c.seed << ": " << r.first << "\n";
    }
    std::cout << absl::StrFormat("  %-42s %d/%d seeds failed\n", c.name, failed, count);
    CHECK(failed == 0);
  }
}

}  // namespace
}  // namespace pgha::sim
