// A rolling migration between Debian's Patroni (3.0.2) and pgha on one etcd, node by node, and
// back, as docs/migration.md describes it: a replica at a time is handed from one manager to
// the other (the same configuration file, the same data directory), then a switchover moves
// the primary to a replaced node, then the last node is replaced. After every replacement a
// switchover and a kill -9 of the primary (manager and postmaster); in the first, only Patroni
// nodes are left to take over.
//
// Throughout, a client writes every 100 ms and a probe tries a write on every node every
// 100 ms (tests/faults/recorder.h). At the end of every step: one primary and two streaming
// replicas, `patronictl list` and `pghactl list` show the same members, roles, states and
// timelines, every acknowledged write is on the primary, and no two nodes ever acknowledged
// writes at the same time. Synchronous mode with both replicas synchronous
// (synchronous_node_count 2), so that a kill -9 may not lose an acknowledged commit whichever
// replica wins.
#include <catch2/catch.hpp>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "../faults/recorder.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "cluster_harness.h"
#include "pgha/base/clock.h"
#include "pgha/base/process_runner.h"
#include "pgha/postgres/fence.h"
#include "server_process.h"
#include "wait.h"

namespace pgha::testing {
namespace {

const char* ManagerName(Manager m) { return m == Manager::kPatroni ? "Patroni" : "pgha"; }

struct StepFigures {
  std::string step;
  absl::Duration none_writable;  // the longest time no node acknowledged a write in this step
  int64_t acked = 0;             // acknowledged writes so far
  int64_t lost = 0;              // of those, missing on this step's primary
  absl::Duration two_writable;   // so far
};

class Migration {
 public:
  explicit Migration(ClusterHarness& c) : c_(c), managers_(c.size(), Manager::kPatroni) {}

  ~Migration() {
    if (recorder_) recorder_->Stop();
  }

  // Patroni bootstraps the cluster; the writers start once it is healthy.
  void Begin() {
    for (int i = 0; i < c_.size(); ++i) c_.StartNode(i, Manager::kPatroni);
    auto primary = c_.WaitForHealthy(2, absl::Minutes(3));
    INFO(c_.LogTail(0));
    REQUIRE(primary);
    std::vector<WriteTarget> targets;
    for (int i = 0; i < c_.size(); ++i) {
      targets.push_back({c_.name(i), c_.spec(i).pg_port, c_.passfile(i)});
    }
    REQUIRE(Recorder::CreateTables(targets[*primary]));
    for (int i = 0; i < c_.size(); ++i) {
      REQUIRE(
          WaitFor([&] { return c_.Sql(i, "SELECT count(*) FROM acked").ok(); }, absl::Seconds(60)));
    }
    recorder_ = std::make_unique<Recorder>(targets);
    recorder_->Start();
    EndStep("Patroni cluster bootstrapped", MonotonicNow());
  }

  // Hands replica `i` to `to`: stop its manager (which stops PostgreSQL), start the other on
  // the same configuration and data directory.
  void Replace(int i, Manager to) {
    int primary = CurrentPrimary();
    REQUIRE(primary != i);
    REQUIRE(c_.StreamingReplica(i));
    absl::Time from = MonotonicNow();
    c_.TermDaemon(i);
    // The old manager stopped PostgreSQL itself (a manager killed after TermDaemon's grace
    // time would leave it running for the new one to find).
    REQUIRE(pg::RunningPostmaster(c_.spec(i).dir + "/data") == 0);
    c_.StartNode(i, to);
    managers_[i] = to;
    EndStep(absl::StrCat("replace replica ", c_.name(i), " with ", ManagerName(to)), from);
  }

  // A planned switchover to `candidate` with `tool` ("patronictl" or "pghactl").
  void Switchover(int candidate, const std::string& tool) {
    int primary = CurrentPrimary();
    absl::Time from = MonotonicNow();
    auto r = Ctl(tool, {"switchover", "--leader", c_.name(primary), "--candidate",
                        c_.name(candidate), "--force"});
    INFO(tool << " switchover: " << r.output);
    REQUIRE(r.exit_code == 0);
    bool moved = WaitFor([&] { return c_.Primary() == candidate; }, absl::Minutes(2),
                         absl::Milliseconds(100));
    if (!moved) {
      // What the DCS and the leader's REST API said, for the failure message.
      auto state = c_.LoadDcs();
      std::string sync = state.ok() && (*state)->sync
                             ? absl::StrCat((*state)->sync->leader, " -> ",
                                            absl::StrJoin((*state)->sync->sync_standby, ","))
                             : "(none)";
      UNSCOPED_INFO("sync key: " << sync);
      UNSCOPED_INFO("leader's /cluster: " << c_.Rest(primary, "GET", "/cluster").second);
    }
    REQUIRE(moved);
    EndStep(
        absl::StrCat(tool, " switchover ", c_.name(primary), " (", ManagerName(managers_[primary]),
                     ") -> ", c_.name(candidate), " (", ManagerName(managers_[candidate]), ")"),
        from);
  }

  // kill -9 of the primary's manager and postmaster; another node takes over; the killed node
  // is started again under the same manager and rejoins.
  void KillPrimary() {
    int primary = CurrentPrimary();
    absl::Time from = MonotonicNow();
    c_.KillDaemon(primary);
    c_.KillPostmaster(primary);
    std::optional<int> winner;
    REQUIRE(WaitFor(
        [&] {
          winner = c_.Primary();
          return winner && *winner != primary;
        },
        absl::Minutes(2), absl::Milliseconds(100)));
    c_.StartNode(primary, managers_[primary]);
    EndStep(absl::StrCat("kill -9 ", c_.name(primary), " (", ManagerName(managers_[primary]), "); ",
                         c_.name(*winner), " (", ManagerName(managers_[*winner]), ") took over"),
            from);
  }

  int CurrentPrimary() {
    auto p = c_.WaitForHealthy(2, absl::Minutes(3));
    REQUIRE(p);
    return *p;
  }

  // Nodes run by `m`, the primary left out when `replicas_only`.
  std::vector<int> NodesOf(Manager m, bool replicas_only) {
    std::vector<int> out;
    int primary = CurrentPrimary();
    for (int i = 0; i < c_.size(); ++i) {
      if (managers_[i] == m && !(replicas_only && i == primary)) out.push_back(i);
    }
    return out;
  }

  Manager manager(int i) const { return managers_[i]; }

  void PrintFigures() const {
    std::fprintf(stderr, "\n%-78s %12s %10s %6s\n", "step", "no writable", "acked", "lost");
    for (const auto& f : figures_) {
      std::fprintf(stderr, "%-78s %10.2f s %10lld %6lld\n", f.step.c_str(),
                   absl::ToDoubleSeconds(f.none_writable), static_cast<long long>(f.acked),
                   static_cast<long long>(f.lost));
    }
  }

 private:
  ProcessResult Ctl(const std::string& tool, std::vector<std::string> args) const {
    std::string binary =
        tool == "patronictl" ? "/usr/bin/patronictl" : std::string(PGHA_BINARY_DIR) + "/pghactl";
    args.insert(args.begin(), {binary, "-c", c_.config_path(0)});
    PosixProcessRunner runner;
    auto r = runner.Run({.argv = args, .timeout = absl::Minutes(3)});
    return r.ok() ? *r : ProcessResult{};
  }

  // "member host role state TL" for each member `tool list -f json` shows, in its order.
  std::optional<std::vector<std::string>> Topology(const std::string& tool) const {
    ProcessResult r = Ctl(tool, {"list", "-f", "json"});
    size_t open = r.output.find('['), close = r.output.rfind(']');
    if (r.exit_code != 0 || open == std::string::npos || close == std::string::npos)
      return std::nullopt;
    Json list = Json::parse(r.output.substr(open, close - open + 1), nullptr, false);
    if (!list.is_array()) return std::nullopt;
    std::vector<std::string> out;
    for (const auto& m : list) {
      if (!m.is_object()) return std::nullopt;
      out.push_back(absl::StrCat(m.value("Member", "?"), " ", m.value("Host", "?"), " ",
                                 m.value("Role", "?"), " ", m.value("State", "?"), " ",
                                 m.contains("TL") ? m["TL"].dump() : "-"));
    }
    return out;
  }

  // Waits until the cluster is healthy and both tools show it alike, then records the step's
  // figures and checks them.
  void EndStep(const std::string& step, absl::Time from) {
    int primary = CurrentPrimary();
    std::optional<std::vector<std::string>> patronictl, pghactl;
    bool agree = WaitFor(
        [&] {
          patronictl = Topology("patronictl");
          pghactl = Topology("pghactl");
          if (!patronictl || !pghactl || *patronictl != *pghactl || patronictl->size() != 3)
            return false;
          // One leader, the primary; both replicas synchronous and running.
          int leaders = 0, sync_standbys = 0;
          for (const auto& line : *patronictl) {
            if (line.find(" Leader running ") != std::string::npos &&
                line.rfind(c_.name(primary) + " ", 0) == 0) {
              ++leaders;
            }
            if (line.find(" Sync Standby ") != std::string::npos) ++sync_standbys;
          }
          return leaders == 1 && sync_standbys == 2;
        },
        absl::Minutes(2), absl::Milliseconds(250));
    INFO(step);
    INFO("patronictl: " << (patronictl ? absl::StrJoin(*patronictl, "; ") : "(no answer)"));
    INFO("pghactl:    " << (pghactl ? absl::StrJoin(*pghactl, "; ") : "(no answer)"));
    CHECK(agree);
    if (!recorder_) return;
    TrialFigures f = recorder_->Analyse(primary, from);
    int64_t acked_before = figures_.empty() ? 0 : figures_.back().acked;
    figures_.push_back({step, f.none_writable, f.acked, f.lost, f.two_writable});
    INFO(absl::StrJoin(f.overlaps, "; "));
    CHECK(f.lost == 0);
    CHECK(f.two_writable == absl::ZeroDuration());
    CHECK(f.acked > acked_before);  // writes went on during the step
  }

  ClusterHarness& c_;
  std::vector<Manager> managers_;
  std::unique_ptr<Recorder> recorder_;
  std::vector<StepFigures> figures_;
};

// Hands the cluster from `from` to `to` as docs/migration.md does it: a replica, with a
// switchover to it and a kill -9 of it that only `from` nodes may take over; another replica,
// with a switchover and a kill -9; then the primary moves to a `to` node if a `from` node holds
// it and the last `from` node is replaced, followed by a switchover and a kill -9 in the
// cluster of `to` nodes alone. The switchovers alternate between the two tools.
void HandOverCluster(Migration& m, Manager from, Manager to, const std::string& tool,
                     const std::string& other_tool) {
  int first = m.NodesOf(from, /*replicas_only=*/true).front();
  m.Replace(first, to);
  m.Switchover(first, tool);
  m.KillPrimary();  // only `from` nodes are left to take over
  int second = m.NodesOf(from, /*replicas_only=*/true).front();
  m.Replace(second, to);
  m.Switchover(second, other_tool);
  m.KillPrimary();
  std::vector<int> last = m.NodesOf(from, false);
  REQUIRE(last.size() == 1);
  if (m.CurrentPrimary() == last[0]) m.Switchover(first, tool);
  m.Replace(last[0], to);
  REQUIRE(m.NodesOf(from, false).empty());
  m.Switchover(m.NodesOf(to, /*replicas_only=*/true).front(), other_tool);
  m.KillPrimary();
}

// Patroni 3.0.2 -> pgha node by node, then back.
TEST_CASE("a Patroni cluster is replaced by pgha node by node and back, with writes throughout") {
  RequireScenarioPrerequisites();
  if (FindProgram("patroni", {"/usr/bin"}).empty() ||
      FindProgram("patronictl", {"/usr/bin"}).empty()) {
    SkipBinary("Debian's patroni package is not installed (scripts/install-deps.sh installs it)");
  }
  ClusterOptions o;
  o.scope = "migration";
  o.synchronous_mode = true;
  o.extra_dynamic = "    synchronous_node_count: 2\n";
  // A shorter lease than the other scenarios: six kill -9 failovers each wait it out.
  o.ttl = 6;
  o.retry_timeout = 2;
  ClusterHarness c(o);
  Migration m(c);
  m.Begin();
  HandOverCluster(m, Manager::kPatroni, Manager::kPgha, "patronictl", "pghactl");
  HandOverCluster(m, Manager::kPgha, Manager::kPatroni, "pghactl", "patronictl");
  m.PrintFigures();
}

}  // namespace
}  // namespace pgha::testing
