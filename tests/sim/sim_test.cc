// Directed scenarios: the HA engine in a simulated world (many nodes, an in-memory DCS, fake
// PostgreSQL, simulated time) doing one thing at a time, with the safety invariants
// (invariants.h) checked after every event. The random-fault runs are in sim_random_test.cc.
#include <iostream>

#include "absl/strings/str_format.h"
#include "sim_testing.h"

namespace pgha::sim {
namespace {

TEST_CASE("bootstrap elects exactly one leader", "[sim]") {
  QuietLogs();
  for (int nodes : {3, 5}) {
    for (uint64_t seed : {1, 2, 3}) {
      SimOptions o;
      o.nodes = nodes;
      o.seed = seed;
      SimCluster sim(o);
      Converge(sim);
      std::string leader = sim.LockHolder();
      CHECK(sim.WritablePrimaries() == std::vector<std::string>{leader});
      auto cluster = sim.Snapshot();
      REQUIRE(cluster->initialize);
      CHECK(*cluster->initialize == std::to_string(*sim.node(leader).pg->Observe().system_identifier));
      for (const auto& name : sim.names()) {
        INFO(name);
        CHECK(sim.node(name).pg->promotions() == 0);  // one bootstrap, the others cloned
        CHECK(sim.node(name).pg->timeline() == 1);
      }
      sim.RunFor(absl::Seconds(120));  // and it stays that way
      CHECK(sim.LockHolder() == leader);
      INFO(Failure(sim, "invariants"));
      CHECK(sim.checker().ok());
    }
  }
}

TEST_CASE("killing the leader elects the most advanced replica within ttl + loop_wait", "[sim]") {
  QuietLogs();
  for (int nodes : {3, 5}) {
    SimOptions o;
    o.nodes = nodes;
    o.seed = 11 + nodes;
    o.cycle_jitter = absl::ZeroDuration();
    SimCluster sim(o);
    Converge(sim);
    std::string leader = sim.LockHolder();
    std::vector<std::string> replicas;
    for (const auto& n : sim.names()) {
      if (n != leader) replicas.push_back(n);
    }
    // All but one replica stop receiving; the last one gets a few more commits.
    std::string ahead = replicas.back();
    for (const auto& r : replicas) {
      if (r != ahead) sim.world().SetReceivePaused(r, true);
    }
    sim.world().SetReceiveProbability(ahead, 1.0);
    sim.RunFor(absl::Seconds(5));
    for (const auto& r : replicas) {
      if (r != ahead) {
        INFO(r);
        REQUIRE(sim.node(r).pg->point().lsn < sim.node(ahead).pg->point().lsn);
      }
    }
    absl::Duration killed = sim.Elapsed();
    sim.Crash(leader);
    bool elected = sim.RunUntil(
        [&] {
          std::string h = sim.LockHolder();
          return !h.empty() && h != leader && sim.node(h).pg->primary();
        },
        absl::Seconds(o.ttl + o.loop_wait) + o.step);
    INFO(Failure(sim, "failover"));
    REQUIRE(elected);
    CHECK(sim.LockHolder() == ahead);
    std::cout << absl::StrFormat("  %d nodes: %s took over %.2fs after the leader died (ttl %d, loop_wait %d)\n",
                                 nodes, ahead, absl::ToDoubleSeconds(sim.Elapsed() - killed), o.ttl, o.loop_wait);
    for (const auto& r : replicas) sim.world().SetReceivePaused(r, false);
    sim.Restart(leader);
    Converge(sim);  // the old leader rewinds and follows
    CHECK(sim.checker().ok());
  }
}

TEST_CASE("a leader cut from the DCS demotes before its lock expires", "[sim]") {
  QuietLogs();
  for (int ttl : {30, 10}) {
    SimOptions o;
    o.seed = 21 + ttl;
    o.ttl = ttl;
    o.loop_wait = ttl == 30 ? 10 : 2;
    o.retry_timeout = ttl == 30 ? 10 : 3;
    SimCluster sim(o);
    Converge(sim);
    std::string leader = sim.LockHolder();
    auto key = sim.store().Peek("/service/sim/leader");
    REQUIRE(key);
    sim.PartitionFromDcs(leader, true);
    // Nobody refreshes the session from now on: this is when the lock vanishes at the latest.
    auto expires = sim.store().SessionExpiry(key->session);
    REQUIRE(expires);
    bool demoted = sim.RunUntil([&] { return !sim.node(leader).pg->primary(); }, absl::Seconds(ttl));
    absl::Time demoted_at = sim.clock().Monotonic();
    INFO(Failure(sim, "partitioned leader"));
    REQUIRE(demoted);
    CHECK(demoted_at < *expires);
    std::cout << absl::StrFormat("  ttl %d: %s demoted %.2fs before its lock expired\n", ttl, leader,
                                 absl::ToDoubleSeconds(*expires - demoted_at));
    sim.RunFor(absl::Seconds(ttl + 2 * o.loop_wait));
    CHECK(!sim.LockHolder().empty());
    CHECK(sim.LockHolder() != leader);
    sim.PartitionFromDcs(leader, false);
    Converge(sim);
    CHECK(sim.checker().ok());
  }
}

TEST_CASE("synchronous mode: killing the primary loses no acknowledged commit", "[sim]") {
  QuietLogs();
  SimOptions o;
  o.nodes = 3;
  o.seed = 31;
  o.synchronous_mode = true;
  SimCluster sim(o);
  Converge(sim);
  sim.RunFor(absl::Seconds(30));  // a synchronous standby is chosen and commits flow
  size_t acked = sim.world().acknowledged().size();
  REQUIRE(acked > 0);
  std::string leader = sim.LockHolder();
  sim.Crash(leader);
  bool elected = sim.RunUntil([&] { return !sim.LockHolder().empty() && sim.LockHolder() != leader; },
                              absl::Seconds(o.ttl + 2 * o.loop_wait));
  INFO(Failure(sim, "synchronous failover"));
  REQUIRE(elected);
  sim.RunFor(absl::Seconds(5));
  CHECK(sim.checker().ok());
  CHECK(sim.checker().lost_commits() == 0);
}

// A leader whose daemon stalls (SIGSTOP) for longer than the TTL, with or without the fencer;
// the stall has ended and another node holds the lock when this returns.
void StallTheLeader(SimCluster& sim, const SimOptions& o) {
  Converge(sim);
  std::string leader = sim.LockHolder();
  sim.Freeze(leader, absl::Seconds(o.ttl + 3 * o.loop_wait));
  sim.RunFor(absl::Seconds(o.ttl + 2 * o.loop_wait));
  CHECK(sim.LockHolder() != leader);
}

// The checker is not vacuous: without a fencer (or a watchdog), a leader whose daemon stalls
// longer than the TTL keeps accepting writes after its lock expired and a replica was promoted.
// Invariant 1 must see it.
TEST_CASE("the invariant checker catches two writers when a stalled leader has no fencer", "[sim]") {
  QuietLogs();
  SimOptions o;
  o.seed = 81;
  o.fencer = false;
  SimCluster sim(o);
  StallTheLeader(sim, o);
  REQUIRE_FALSE(sim.checker().ok());
  bool two_writers = false;
  for (const auto& v : sim.checker().violations()) {
    two_writers = two_writers || v.find("two writable primaries") != std::string::npos;
  }
  INFO(Failure(sim, "expected violations"));
  CHECK(two_writers);
  sim.RunFor(absl::Seconds(2 * o.loop_wait));  // the leader wakes up, sees it lost the lock, steps down
  std::string why;
  CHECK(sim.RunUntil([&] { return sim.Converged(&why); }, absl::Seconds(120)));
}

// The same stall with the fencer (the default): it stops the stalled leader's PostgreSQL at its
// write deadline, before the lease expires, so a replica is promoted with no second writer.
TEST_CASE("with the fencer, a stalled leader never leaves two writers", "[sim]") {
  QuietLogs();
  SimOptions o;
  o.seed = 81;
  SimCluster sim(o);
  StallTheLeader(sim, o);
  INFO(Failure(sim, "no violation expected"));
  CHECK(sim.checker().ok());
  std::string why;
  CHECK(sim.RunUntil([&] { return sim.Converged(&why); }, absl::Seconds(120)));
  CHECK(sim.checker().ok());
}

}  // namespace
}  // namespace pgha::sim
