// Regression guards: HA engine bugs the simulation found, one directed scenario each, each of
// which failed before its fix (the comment above each case says what was wrong).
//   ha_sim_test "[engine-bug]"
#include <iostream>
#include <map>

#include "absl/strings/str_format.h"
#include "sim_testing.h"

namespace pgha::sim {
namespace {

// The rules that start a rejoin (RuleFollowLeader, RulePostgresDown) record the new leader in
// Memory::last_leader and clear rejoin_needed when they *start* the task; a rejoin that then fails
// (here: the divergence check cannot reach the new leader) is never retried, and the next cycle
// merely points the diverged replica at the new leader (Follow).
TEST_CASE("fixed engine bug: a failed rejoin counts as done and a diverged replica follows the new leader",
          "[engine-bug]") {
  QuietLogs();
  SimOptions o;
  o.seed = 41;
  SimCluster sim(o);
  Converge(sim);
  std::string old_leader = sim.LockHolder();
  std::vector<std::string> replicas = Replicas(sim);
  const std::string ahead = replicas[0], behind = replicas[1];
  sim.world().SetReceivePaused(behind, true);
  sim.RunFor(absl::Seconds(5));
  REQUIRE(sim.node(ahead).pg->point().lsn > sim.node(behind).pg->point().lsn);
  // `ahead` loses the network and the DCS; the leader dies; `behind` takes over.
  sim.IsolateFromPeers(ahead, true);
  sim.PartitionFromDcs(ahead, true);
  sim.Crash(old_leader);
  sim.world().SetReceivePaused(behind, false);
  REQUIRE(sim.RunUntil([&] { return sim.LockHolder() == behind && sim.node(behind).pg->primary(); },
                       absl::Seconds(o.ttl + 3 * o.loop_wait)));
  // `ahead` sees the new leader while it cannot reach it: its rejoin (divergence check) fails.
  sim.PartitionFromDcs(ahead, false);
  sim.RunFor(absl::Seconds(2 * o.loop_wait));
  sim.IsolateFromPeers(ahead, false);
  sim.RunFor(absl::Seconds(3 * o.loop_wait));
  INFO(Failure(sim, "a diverged replica must rewind before it follows"));
  CHECK(sim.checker().ok());
}

// GET /patroni answers from the NodeStatus published at the end of the node's last cycle (up to
// loop_wait old), while the racing node compares it with its own live position: a replica that
// stopped receiving wins against one that kept receiving after its last cycle.
TEST_CASE("fixed engine bug: the leader race compares live positions with stale GET /patroni answers",
          "[engine-bug]") {
  QuietLogs();
  SimOptions o;
  o.seed = 51;
  SimCluster sim(o);
  Converge(sim);
  std::string leader = sim.LockHolder();
  std::vector<std::string> replicas = Replicas(sim);
  for (const auto& r : replicas) sim.world().SetReceiveProbability(r, 1.0);
  // Right after one replica (`fresh`) published its status, with the other's (`stale`) next
  // cycle due a few seconds later, before `fresh`'s.
  std::string fresh, stale;
  std::map<std::string, int> cycles;
  for (int i = 0; i < 2000 && fresh.empty(); ++i) {
    for (const auto& r : replicas) cycles[r] = sim.node(r).cycles;
    sim.RunFor(o.step);
    for (const auto& x : replicas) {
      const std::string& y = x == replicas[0] ? replicas[1] : replicas[0];
      absl::Time due = sim.node(y).next_cycle;
      if (sim.node(x).cycles > cycles[x] && due < sim.node(x).next_cycle &&
          due - sim.clock().Monotonic() > absl::Seconds(4)) {
        fresh = x;
        stale = y;
      }
    }
  }
  REQUIRE(!fresh.empty());
  // `stale` stops receiving; `fresh` receives a few more commits and the shutdown checkpoint.
  sim.world().SetReceivePaused(stale, true);
  sim.RunFor(absl::Seconds(3));
  sim.StopGracefully(leader);  // releases the lock at once
  REQUIRE(sim.RunUntil([&] { return !sim.LockHolder().empty(); }, absl::Seconds(o.ttl)));
  std::cout << absl::StrFormat("  %s won the race at %s; %s was at %s (its published status: %d)\n",
                               sim.LockHolder(), sim.world().Describe(sim.node(sim.LockHolder()).pg->point()), fresh,
                               sim.world().Describe(sim.node(fresh).pg->point()),
                               sim.node(fresh).board->Current()->pg.WalPosition().value_or(0));
  INFO(Failure(sim, "the most advanced replica must win"));
  CHECK(sim.LockHolder() == fresh);
  CHECK(sim.checker().ok());
}

// In synchronous mode RuleLeaderRace lets the candidate named in a switchover request promote
// without SyncAllowsPromotion (`manual` skips it), whereas Patroni lets only the former leader and
// /sync members race while a switchover is pending (patroni/ha.py, is_failover_possible and
// _is_healthiest_node). A request can name
// a node that is not (or no longer) a synchronous standby: the REST check runs on the published
// view (up to loop_wait old), the sync set changes afterwards, or a client writes the key itself
// (as here). The named asynchronous replica then takes over without the acknowledged commits.
TEST_CASE("fixed engine bug: a switchover candidate that is no synchronous standby promotes and loses commits",
          "[engine-bug]") {
  QuietLogs();
  SimOptions o;
  o.seed = 61;
  o.synchronous_mode = true;
  SimCluster sim(o);
  std::string sync_standby = ConvergeWithSyncStandby(sim);
  std::string leader = sim.LockHolder();
  std::string async = Replicas(sim)[0] == sync_standby ? Replicas(sim)[1] : Replicas(sim)[0];
  sim.world().SetReceivePaused(async, true);  // commits are acknowledged by the sync standby alone
  sim.RunFor(absl::Seconds(10));
  REQUIRE(sim.world().acknowledged().size() > 0);
  sim.Crash(leader);
  dcs::FailoverRequest request;
  request.leader = leader;
  request.candidate = async;
  auto before = sim.Snapshot();
  REQUIRE(sim.Operator().WriteFailover(request, before->failover ? before->failover->version : dcs::kNoVersion).ok());
  sim.Event(absl::StrCat("OPERATOR writes failover {leader: ", leader, ", member: ", async, "}"));
  sim.world().SetReceivePaused(async, false);
  REQUIRE(sim.RunUntil([&] { return !sim.LockHolder().empty() && sim.LockHolder() != leader; },
                       absl::Seconds(o.ttl + 2 * o.loop_wait)));
  sim.RunFor(absl::Seconds(5));
  INFO(Failure(sim, "no acknowledged commit may be lost in synchronous mode"));
  CHECK(sim.LockHolder() != async);
  CHECK(sim.checker().lost_commits() == 0);
}

// In synchronous mode the former leader of a pending switchover stays out of the race while any
// other member answers as a usable replica (RuleLeaderRace), even when none of them may promote
// because `sync` does not list them: nobody takes the lock, for good. Patroni's former leader
// retakes the lock when no other member is eligible (patroni/ha.py, is_healthiest_node).
TEST_CASE("fixed engine bug: a switchover request left behind keeps a synchronous cluster leaderless",
          "[engine-bug]") {
  QuietLogs();
  SimOptions o;
  o.seed = 71;
  o.synchronous_mode = true;
  SimCluster sim(o);
  std::string sync_standby = ConvergeWithSyncStandby(sim);
  std::string leader = sim.LockHolder();
  REQUIRE(sim.RunUntil(
      [&] {  // what the REST API checks requests against
        auto published = sim.node(leader).board->Current()->cluster;
        return published && published->sync && published->sync->Contains(sync_standby);
      },
      absl::Seconds(60)));
  // A switchover is requested (accepted: the sync standby answers); then the sync standby dies,
  // and the leader's next cycle writes the request and drops the standby from `sync`.
  sim.RequestSwitchover(leader, "");
  sim.Crash(sync_standby);
  REQUIRE(sim.RunUntil([&] { return sim.Snapshot()->PendingFailover() != nullptr; }, absl::Seconds(5)));
  INFO("sync standbys: " << absl::StrJoin(sim.Snapshot()->sync->sync_standby, ","));
  // The leader dies before serving the request; everything else comes back.
  sim.Crash(leader);
  sim.RunFor(absl::Seconds(o.ttl + 5));
  sim.Restart(leader);
  sim.Restart(sync_standby);
  bool led = sim.RunUntil([&] { return !sim.LockHolder().empty(); }, absl::Seconds(300));
  INFO(Failure(sim, "a leader must be elected"));
  CHECK(led);
}

// synchronous_mode_strict: when the synchronous standby stops streaming, the leader keeps it in
// `sync` (ManageSynchronousReplication: "strict && keep.empty() ... s.sync_standby = listed") but
// points synchronous_standby_names at another streaming standby, which then acknowledges commits
// while `sync` does not list it. If the leader dies, the listed (stale) standby may promote and
// the commits only the other one acknowledged are lost. (Patroni keeps the GUC on the listed
// standbys, or drops them from `sync` first, so that the two sets always intersect.)
TEST_CASE("fixed engine bug: strict synchronous mode lets a standby acknowledge commits that `sync` does not list",
          "[engine-bug]") {
  QuietLogs();
  SimOptions o;
  o.seed = 91;
  o.synchronous_mode = true;
  o.synchronous_mode_strict = true;
  SimCluster sim(o);
  std::string listed = ConvergeWithSyncStandby(sim);
  std::string leader = sim.LockHolder();
  sim.StopGracefully(listed);  // the synchronous standby goes away for a while
  sim.RunFor(absl::Seconds(30));
  auto cluster = sim.Snapshot();
  INFO("sync: " << absl::StrJoin(cluster->sync->sync_standby, ",") << "; synchronous_standby_names: "
                << sim.node(leader).pg->Observe().synchronous_standby_names);
  size_t acked = sim.world().acknowledged().size();
  sim.RunFor(absl::Seconds(10));
  CHECK(sim.world().acknowledged().size() > acked);  // commits go on, acknowledged by someone
  sim.Crash(leader);
  sim.Restart(listed);
  REQUIRE(sim.RunUntil([&] { return !sim.LockHolder().empty() && sim.LockHolder() != leader; },
                       absl::Seconds(o.ttl + 3 * o.loop_wait)));
  sim.RunFor(absl::Seconds(5));
  INFO(Failure(sim, "no acknowledged commit may be lost in synchronous mode"));
  CHECK(sim.checker().lost_commits() == 0);
}

// HaLoop::Cycle polls the worker once more after executing the decision (to publish "running")
// and that Poll consumes the one-time `finished` report of a task that ended within the cycle.
// With an InlineWorker every task does; with a ThreadWorker a task that ends while the cycle
// runs. Lost for a bootstrap: RuleBootstrapFinished never runs, so `initialize` keeps "" (the
// system identifier is never published) and the dynamic configuration is never written.
TEST_CASE("fixed engine bug: a task that ends within its cycle is never seen finished", "[engine-bug]") {
  QuietLogs();
  SimOptions o;
  o.raw_inline_worker = true;
  SimCluster sim(o);
  Converge(sim);
  auto cluster = sim.Snapshot();
  REQUIRE(cluster->initialize);
  CHECK(*cluster->initialize ==
        std::to_string(sim.node(sim.LockHolder()).pg->Observe().system_identifier.value_or(0)));
  CHECK(cluster->config.has_value());
}

}  // namespace
}  // namespace pgha::sim
