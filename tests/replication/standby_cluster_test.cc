// Standby clusters on real PostgreSQL 15, real pgha daemons and etcd: a 2-node standby cluster
// (its own etcd, as a second data centre has) follows a 3-node primary cluster; its standby
// leader is killed and the other node takes over and keeps following; then a planned site
// switch with pghactl demote-cluster / promote-cluster, and back.
#include <catch2/catch.hpp>
#include <iostream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "cluster_harness.h"
#include "pgha/base/process_runner.h"
#include "wait.h"

namespace pgha::testing {
namespace {

constexpr absl::Duration kStart = absl::Seconds(120);
constexpr absl::Duration kFollow = absl::Seconds(90);

// The node answering /standby-leader with 200, if exactly one does.
std::optional<int> StandbyLeader(const ClusterHarness& c) {
  std::optional<int> found;
  for (int i = 0; i < c.size(); ++i) {
    if (c.Rest(i, "GET", "/standby-leader").first != 200) continue;
    if (found) return std::nullopt;
    found = i;
  }
  return found;
}

int64_t Rows(const ClusterHarness& c, int i) {
  auto r = c.Sql(i, "SELECT count(*) FROM t");
  return r.ok() ? std::stoll((*r)[0]) : -1;
}

// Every node of `c` has at least `n` rows of t.
bool EveryNodeHas(const ClusterHarness& c, int64_t n) {
  for (int i = 0; i < c.size(); ++i) {
    if (Rows(c, i) < n) return false;
  }
  return true;
}

void Insert(const ClusterHarness& c, int primary, int count) {
  REQUIRE(c.Sql(primary, absl::StrCat("INSERT INTO t SELECT FROM generate_series(1, ", count, ")")).ok());
}

struct CtlResult {
  int exit_code = -1;
  std::string output;
};

CtlResult Ctl(const ClusterHarness& c, std::vector<std::string> args) {
  args.insert(args.begin(), {std::string(PGHA_BINARY_DIR) + "/pghactl", "-c", c.config_path(0)});
  PosixProcessRunner runner;
  auto r = runner.Run({.argv = args, .timeout = absl::Minutes(5)});
  if (!r.ok()) return {};
  return {r->exit_code, r->output};
}

// The cluster is a standby cluster at rest: one standby leader, every other node a streaming
// replica, and the leader's member key says standby_leader.
std::optional<int> WaitForStandbyCluster(ClusterHarness& c, absl::Duration timeout) {
  std::optional<int> leader;
  bool ok = WaitFor(
      [&] {
        leader = StandbyLeader(c);
        if (!leader) return false;
        for (int i = 0; i < c.size(); ++i) {
          if (i != *leader && !c.StreamingReplica(i)) return false;
        }
        auto state = c.LoadDcs();
        const dcs::Member* m = state.ok() ? (*state)->LeaderMember() : nullptr;
        return m != nullptr && m->role == "standby_leader";
      },
      timeout);
  return ok ? leader : std::nullopt;
}

TEST_CASE("standby cluster: follows the primary cluster, survives losing its leader, and switches sites") {
  RequireScenarioPrerequisites();
  ClusterOptions main_options;
  main_options.scope = "main";
  // The slot the standby cluster streams through (Patroni's advice: a permanent slot).
  main_options.extra_dynamic = "    slots:\n      dr_slot:\n        type: physical\n";
  ClusterHarness main(main_options);
  main.StartAll();
  auto primary = main.WaitForHealthy(2, kStart);
  REQUIRE(primary);
  REQUIRE(main.Sql(*primary, "CREATE TABLE t (id serial primary key)").ok());
  Insert(main, *primary, 100);

  ClusterOptions dr_options;
  dr_options.scope = "dr";
  dr_options.nodes = 2;
  // Member names unique across both clusters (Patroni's advice: the standby leader's
  // application_name is seen by the primary cluster).
  dr_options.customize = [](int i, NodeSpec& spec) { spec.name = absl::StrCat("dr", i + 1); };
  dr_options.extra_dynamic = absl::StrCat("    standby_cluster:\n      host: 127.0.0.1\n      port: ",
                                          main.spec(*primary).pg_port,
                                          "\n      primary_slot_name: dr_slot\n"
                                          "      recovery_min_apply_delay: 1ms\n"
                                          "      archive_cleanup_command: 'true'\n");
  ClusterHarness dr(dr_options);
  dr.StartAll();
  auto standby_leader = WaitForStandbyCluster(dr, kStart);
  INFO(dr.LogTail(0) << "\n" << dr.LogTail(1));
  REQUIRE(standby_leader);
  // A copy of the primary cluster: its system identifier, and the rows written there.
  auto main_sysid = main.Sql(*primary, "SELECT system_identifier FROM pg_control_system()");
  auto dr_sysid = dr.Sql(*standby_leader, "SELECT system_identifier FROM pg_control_system()");
  REQUIRE(main_sysid.ok());
  REQUIRE(dr_sysid.ok());
  CHECK((*main_sysid)[0] == (*dr_sysid)[0]);
  Insert(main, *primary, 50);
  CHECK(WaitFor([&] { return EveryNodeHas(dr, 150); }, kFollow));
  // Nobody in the standby cluster writes, and its REST API says what it is.
  for (int i = 0; i < dr.size(); ++i) {
    CHECK_FALSE(dr.Sql(i, "INSERT INTO t DEFAULT VALUES").ok());
    CHECK(dr.Rest(i, "GET", "/primary").first == 503);
  }
  CHECK(dr.Rest(*standby_leader, "GET", "/leader").first == 200);
  auto [code, cluster_json] = dr.Rest(*standby_leader, "GET", "/cluster");
  CHECK(code == 200);
  CHECK(cluster_json.find("\"standby_leader\"") != std::string::npos);
  CtlResult list = Ctl(dr, {"list"});
  CHECK(list.output.find("Standby Leader") != std::string::npos);
  // The standby leader streams through primary_slot_name with the apply delay; the member
  // cascading from it uses its own slot there, no delay, the same archive cleanup.
  auto show = [&](int i, const std::string& guc) {
    auto r = dr.Sql(i, "SHOW " + guc);
    return r.ok() ? (*r)[0] : std::string("?");
  };
  int replica = 1 - *standby_leader;
  CHECK(show(*standby_leader, "primary_slot_name") == "dr_slot");
  CHECK(show(*standby_leader, "recovery_min_apply_delay") == "1ms");
  CHECK(show(*standby_leader, "archive_cleanup_command") == "true");
  CHECK(show(replica, "primary_slot_name") == dr.name(replica));
  CHECK(show(replica, "recovery_min_apply_delay") == "0");
  CHECK(show(replica, "archive_cleanup_command") == "true");
  CHECK(WaitFor(
      [&] {
        auto r = main.Sql(*primary, "SELECT active FROM pg_replication_slots WHERE slot_name = 'dr_slot'");
        return r.ok() && r->size() == 1 && (*r)[0] == "t";
      },
      kFollow));

  // The standby leader dies: the other node takes over and keeps following the primary cluster.
  int old_leader = *standby_leader;
  int other = 1 - old_leader;
  absl::Time killed = absl::Now();
  dr.KillDaemon(old_leader);
  dr.KillPostmaster(old_leader);
  REQUIRE(WaitFor([&] { return StandbyLeader(dr) == other; }, kFollow));
  double takeover = absl::ToDoubleSeconds(absl::Now() - killed);
  Insert(main, *primary, 50);
  CHECK(WaitFor([&] { return Rows(dr, other) >= 200; }, kFollow));
  std::cout << absl::StrFormat("standby cluster: %s took over as standby leader %.2f s after %s was killed (ttl 10)\n",
                               dr.name(other), takeover, dr.name(old_leader));
  dr.StartNode(old_leader);
  standby_leader = WaitForStandbyCluster(dr, kStart);
  REQUIRE(standby_leader == other);
  CHECK(WaitFor([&] { return EveryNodeHas(dr, 200); }, kFollow));

  // A planned site switch: the primary cluster becomes a standby of the standby leader, then
  // the standby cluster is promoted. No row is lost on either side.
  CtlResult demoted = Ctl(main, {"demote-cluster", "--force", "--host", "127.0.0.1", "--port",
                                 std::to_string(dr.spec(*standby_leader).pg_port)});
  INFO(demoted.output);
  REQUIRE(demoted.exit_code == 0);
  CHECK(absl::StrContains(demoted.output, "cluster is successfully demoted"));
  auto main_leader = WaitForStandbyCluster(main, kStart);
  REQUIRE(main_leader);
  CtlResult promoted = Ctl(dr, {"promote-cluster", "--force"});
  INFO(promoted.output);
  REQUIRE(promoted.exit_code == 0);
  CHECK(absl::StrContains(promoted.output, "cluster is successfully promoted"));
  auto dr_primary = dr.WaitForHealthy(1, kStart);
  REQUIRE(dr_primary);
  Insert(dr, *dr_primary, 50);  // writable now
  CHECK(WaitFor([&] { return EveryNodeHas(main, 250); }, kFollow));
  CHECK(WaitFor([&] { return EveryNodeHas(dr, 250); }, kFollow));

  // And back: the old standby cluster becomes a standby again, the main cluster the primary.
  demoted = Ctl(dr, {"demote-cluster", "--force", "--host", "127.0.0.1", "--port",
                     std::to_string(main.spec(*main_leader).pg_port)});
  INFO(demoted.output);
  REQUIRE(demoted.exit_code == 0);
  REQUIRE(WaitForStandbyCluster(dr, kStart));
  promoted = Ctl(main, {"promote-cluster", "--force"});
  INFO(promoted.output);
  REQUIRE(promoted.exit_code == 0);
  auto main_primary = main.WaitForHealthy(2, kStart);
  REQUIRE(main_primary);
  Insert(main, *main_primary, 50);
  CHECK(WaitFor([&] { return EveryNodeHas(dr, 300); }, kFollow));
  CHECK(WaitFor([&] { return EveryNodeHas(main, 300); }, kFollow));
  // promote-cluster on a cluster that already is one is refused, as patronictl does.
  CtlResult again = Ctl(main, {"promote-cluster", "--force"});
  CHECK(again.exit_code == 1);
  CHECK(absl::StrContains(again.output, "Cluster is already in the required state"));
}

}  // namespace
}  // namespace pgha::testing
