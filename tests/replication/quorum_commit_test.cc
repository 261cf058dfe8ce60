// Quorum commit (synchronous_mode: quorum) on real PostgreSQL 15, real pgha daemons and etcd:
// kill -9 failovers lose no acknowledged commit, and strict mode makes a commit wait while no
// standby can acknowledge it.
//
// The number of kill -9 trials is PGHA_QUORUM_TRIALS (3 by default, which keeps CI in budget;
// the figures in the closing note come from a longer run). Each trial prints its
// figures: failover time (kill -> the first acknowledged write on the new primary) and lost
// acknowledged commits.
#include <atomic>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <iostream>
#include <mutex>
#include <set>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "cluster_harness.h"
#include "wait.h"

namespace pgha::testing {
namespace {

constexpr absl::Duration kStart = absl::Seconds(120);

ClusterOptions QuorumCluster(int node_count, bool strict) {
  ClusterOptions o;
  o.extra_dynamic = absl::StrCat("    synchronous_mode: quorum\n    synchronous_node_count: ", node_count, "\n",
                                 strict ? "    synchronous_mode_strict: true\n" : "");
  return o;
}

// The quorum state at rest with every node up: `sync` names the primary, both others vote, and
// PostgreSQL waits for ANY node_count of them.
bool QuorumAtRest(ClusterHarness& c, int primary, int node_count) {
  auto state = c.LoadDcs();
  if (!state.ok() || !(*state)->sync) return false;
  const dcs::SyncState& s = *(*state)->sync;
  if (!s.LeaderIs(c.name(primary)) || s.sync_standby.size() != 2 || s.quorum != 2 - node_count) return false;
  auto names = c.Sql(primary, "SHOW synchronous_standby_names");
  return names.ok() && absl::StartsWith((*names)[0], absl::StrCat("ANY ", node_count, " ("));
}

// Writes ids 1, 2, ... to whichever node accepts them, recording what was acknowledged and
// when the first write after a mark was acknowledged.
class Writer {
 public:
  explicit Writer(ClusterHarness& c, int first_id) : c_(c), next_id_(first_id) {
    thread_ = std::thread([this] { Run(); });
  }
  ~Writer() { Stop(); }
  void Stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  size_t Acknowledged() {
    std::lock_guard<std::mutex> lock(mu_);
    return acknowledged_.size();
  }
  std::set<int> Ids() {
    std::lock_guard<std::mutex> lock(mu_);
    return acknowledged_;
  }
  // Acknowledgements by `node` since the last Mark.
  void Mark(int node) {
    std::lock_guard<std::mutex> lock(mu_);
    watched_ = node;
    first_after_mark_.reset();
  }
  std::optional<absl::Time> FirstAckElsewhere() {
    std::lock_guard<std::mutex> lock(mu_);
    return first_after_mark_;
  }
  int FirstIdElsewhere() {
    std::lock_guard<std::mutex> lock(mu_);
    return first_id_after_mark_;
  }
  int next_id() const { return next_id_; }

 private:
  void Run() {
    while (!stop_) {
      int id = next_id_++;
      for (int i = 0; i < c_.size() && !stop_; ++i) {
        // A commit that waits for the standbys is never cut short here: a cancelled wait would
        // report success for a commit no standby has (PostgreSQL's documented behaviour).
        auto r = c_.Sql(i, absl::StrCat("INSERT INTO t VALUES (", id, ")"));
        if (r.ok()) {
          std::lock_guard<std::mutex> lock(mu_);
          acknowledged_.insert(id);
          if (watched_ >= 0 && i != watched_ && !first_after_mark_) {
            first_after_mark_ = absl::Now();
            first_id_after_mark_ = id;
          }
          break;
        }
      }
    }
  }
  ClusterHarness& c_;
  std::atomic<int> next_id_;
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::set<int> acknowledged_;
  int watched_ = -1;
  std::optional<absl::Time> first_after_mark_;
  int first_id_after_mark_ = 0;
  std::thread thread_;
};

TEST_CASE("quorum commit, synchronous_node_count 2: every acknowledged commit survives kill -9 failovers") {
  RequireScenarioPrerequisites();
  const char* env = std::getenv("PGHA_QUORUM_TRIALS");
  int trials = env != nullptr ? std::max(1, std::atoi(env)) : 3;
  ClusterHarness c(QuorumCluster(2, false));
  c.StartAll();
  auto primary = c.WaitForHealthy(2, kStart);
  REQUIRE(primary);
  // `at`: when each row was committed locally, to tell waiting for the lock from waiting for the standbys.
  REQUIRE(c.Sql(*primary, "CREATE TABLE t (id int primary key, at timestamptz DEFAULT clock_timestamp())").ok());
  int next_id = 1;
  std::vector<double> failover_seconds;
  int total_lost = 0;
  size_t total_acked = 0;
  for (int trial = 1; trial <= trials; ++trial) {
    INFO("trial " << trial);
    REQUIRE(WaitFor([&] { return QuorumAtRest(c, *primary, 2); }, absl::Seconds(90)));
    // Every voter answers /quorum (once its next cycle read the key); the primary answers
    // /read-only-quorum too.
    for (int i = 0; i < c.size(); ++i) {
      std::string path = i == *primary ? "/read-only-quorum" : "/quorum";
      CHECK(WaitFor([&] { return c.Rest(i, "GET", path).first == 200; }, absl::Seconds(30)));
    }
    Writer writer(c, next_id);
    REQUIRE(WaitFor([&] { return writer.Acknowledged() >= 30; }, absl::Seconds(60)));
    writer.Mark(*primary);
    absl::Time killed = absl::Now();
    c.KillDaemon(*primary);
    c.KillPostmaster(*primary);
    REQUIRE(WaitFor([&] { return writer.FirstAckElsewhere().has_value(); }, absl::Seconds(90)));
    double seconds = absl::ToDoubleSeconds(*writer.FirstAckElsewhere() - killed);
    size_t after_failover = writer.Acknowledged();
    REQUIRE(WaitFor([&] { return writer.Acknowledged() >= after_failover + 20; }, absl::Seconds(60)));
    writer.Stop();
    next_id = writer.next_id();
    std::optional<int> new_primary = c.Primary();
    REQUIRE(new_primary);
    REQUIRE(*new_primary != *primary);
    std::set<int> ids = writer.Ids();
    auto missing = MissingIds(c, *new_primary, ids);
    REQUIRE(missing.ok());
    const std::vector<int>& lost = *missing;
    total_lost += static_cast<int>(lost.size());
    total_acked += ids.size();
    failover_seconds.push_back(seconds);
    double killed_at = absl::ToDoubleSeconds(killed - absl::UnixEpoch());
    // When the first write acknowledged by the new primary committed there: the rest of the
    // wait was for the standbys to acknowledge it.
    auto local = c.Sql(*new_primary, absl::StrCat("SELECT extract(epoch FROM at) FROM t WHERE id = ",
                                                  writer.FirstIdElsewhere()));
    double local_seconds = local.ok() && !(*local)[0].empty() ? std::stod((*local)[0]) - killed_at : -1;
    std::cout << absl::StrFormat("quorum kill -9 trial %d: %s -> %s, writes again after %.2f s (committed there "
                                 "after %.2f s), %d of %d acknowledged commits lost\n",
                                 trial, c.name(*primary), c.name(*new_primary), seconds, local_seconds, lost.size(),
                                 ids.size());
    CHECK(lost.empty());
    // The killed node comes back (pg_rewind if it wrote past what was acknowledged) and votes again.
    c.StartNode(*primary);
    primary = new_primary;
    REQUIRE(c.WaitForHealthy(2, kStart) == primary);
  }
  std::sort(failover_seconds.begin(), failover_seconds.end());
  std::cout << absl::StrFormat("quorum kill -9: %d trials, failover median %.2f s, worst %.2f s; %d of %d "
                               "acknowledged commits lost\n",
                               trials, failover_seconds[failover_seconds.size() / 2], failover_seconds.back(),
                               total_lost, total_acked);
  CHECK(total_lost == 0);
}

TEST_CASE("quorum commit, strict: a commit waits while no standby can acknowledge it") {
  RequireScenarioPrerequisites();
  ClusterHarness c(QuorumCluster(1, true));
  c.StartAll();
  auto primary = c.WaitForHealthy(2, kStart);
  REQUIRE(primary);
  REQUIRE(c.Sql(*primary, "CREATE TABLE t (id int primary key)").ok());
  REQUIRE(WaitFor([&] { return QuorumAtRest(c, *primary, 1); }, absl::Seconds(90)));
  std::vector<int> replicas;
  for (int i = 0; i < c.size(); ++i) {
    if (i != *primary) replicas.push_back(i);
  }
  for (int r : replicas) {
    c.KillDaemon(r);
    c.KillPostmaster(r);
  }
  std::atomic<bool> committed{false};
  std::thread insert([&] { committed = c.Sql(*primary, "INSERT INTO t VALUES (1)").ok(); });
  // The commit is written locally and waits for a standby (wait event SyncRep).
  bool waits = WaitFor(
      [&] {
        auto r = c.Sql(*primary, "SELECT count(*) FROM pg_stat_activity WHERE wait_event = 'SyncRep'");
        return r.ok() && (*r)[0] == "1";
      },
      absl::Seconds(30));
  // It keeps waiting through several HA cycles: the primary does not drop the standbys it lost.
  bool still_waits = WaitFor([&] { return committed.load(); }, absl::Seconds(8)) == false;
  auto names = c.Sql(*primary, "SHOW synchronous_standby_names");
  c.StartNode(replicas[0]);
  bool released = WaitFor([&] { return committed.load(); }, absl::Seconds(120));
  insert.join();
  CHECK(waits);
  CHECK(still_waits);
  REQUIRE(names.ok());
  CHECK(absl::StartsWith((*names)[0], "ANY 1 ("));
  CHECK(released);
  // The standby that came back has the row that waited for it.
  CHECK(WaitFor(
      [&] {
        auto r = c.Sql(replicas[0], "SELECT count(*) FROM t WHERE id = 1");
        return r.ok() && (*r)[0] == "1";
      },
      absl::Seconds(30)));
}

}  // namespace
}  // namespace pgha::testing
