// pghactl's tables and formats against what patronictl 3.0.2 printed for the same DCS contents
// (tests/fixtures/reference: the ctl samples and the etcd dumps taken at the same moments).
#include "ctl/members_view.h"

#include <catch2/catch.hpp>
#include <sstream>

#include "ctl/config_edit.h"
#include "ctl/py_format.h"
#include "ctl/table.h"
#include "ctl/unified_diff.h"
#include "pgha/dcs/codec.h"
#include "reference_dump.h"
#include "temp_dir.h"

namespace pgha::ctl {
namespace {

// The dump states, by their number in the fixture ("## State N").
dcs::ClusterState State(int n) {
  auto states = testing::LoadReferenceDcsDump();
  REQUIRE(states.size() >= static_cast<size_t>(n));
  dcs::RawSnapshot snapshot;
  int64_t version = 1;
  for (const auto& [key, value] : states[n - 1].keys)
    snapshot.entries.push_back({key, value, version++, ""});
  return dcs::DecodeCluster(dcs::KeyLayout("/service/", "anchor"), snapshot);
}

// The output patronictl printed for the `occurrence`-th run of `command` (the text after
// "patroni.yml "), newline-terminated; the capture stripped trailing blank lines.
std::string Sample(const std::string& command, int occurrence = 1) {
  std::istringstream in(
      testing::ReadFile(testing::FixturePath("reference/patroni-3.0.2-ctl-samples.txt")));
  std::string line, out;
  int seen = 0;
  bool capturing = false;
  while (std::getline(in, line)) {
    if (line.rfind("$ ", 0) == 0 || line.rfind("# ", 0) == 0) {
      if (capturing) break;
      auto start = line.find("patroni.yml ");
      auto end = line.find("     (rc=");
      if (start != std::string::npos && end != std::string::npos &&
          line.substr(start + 12, end - start - 12) == command && ++seen == occurrence) {
        capturing = true;
      }
      continue;
    }
    if (capturing) out += line + "\n";
  }
  while (out.size() >= 2 && out.substr(out.size() - 2) == "\n\n") out.pop_back();
  REQUIRE(capturing);
  return out;
}

TEST_CASE("list prints patronictl's table byte for byte") {
  CHECK(RenderMembers(State(2), "anchor", false, "pretty") == Sample("list", 1));
}

TEST_CASE("list -e adds the pending restart, scheduled restart and tags columns") {
  CHECK(RenderMembers(State(2), "anchor", true, "pretty") == Sample("list -e"));
}

TEST_CASE("list -f json drops empty cells and keeps numbers as numbers") {
  CHECK(RenderMembers(State(2), "anchor", false, "json") == Sample("list -f json"));
}

TEST_CASE("topology indents replicas under the leader") {
  CHECK(RenderMembers(State(2), "anchor", false, "topology") == Sample("topology"));
}

TEST_CASE("a scheduled switchover is shown under the table") {
  std::string expected = Sample("list", 2);
  CHECK(RenderMembers(State(3), "anchor", false, "pretty") == expected);
  CHECK(expected.find(" Switchover scheduled at: 2026-11-22T04:07:27+00:00\n") !=
        std::string::npos);
  // The switchover command prints the same table after its message.
  std::string switchover = Sample(
      "switchover --leader pg1 --candidate pg2 --scheduled 2026-11-22T04:07:27+00:00 --force");
  CHECK(switchover.find(RenderMembers(State(3), "anchor", false, "pretty")) != std::string::npos);
  CHECK(switchover.rfind(
            "Current cluster topology\n" + RenderMembers(State(2), "anchor", false, "pretty"), 0) ==
        0);
}

TEST_CASE("maintenance mode is shown under the table") {
  CHECK(RenderMembers(State(4), "anchor", false, "pretty") == Sample("list", 3));
}

TEST_CASE("a synchronous standby widens the Role column") {
  CHECK(RenderMembers(State(5), "anchor", false, "pretty") == Sample("list", 4));
}

TEST_CASE("history right-aligns TL and LSN") {
  CHECK(PrintOutput(HistoryTable(State(2)), "pretty") == Sample("history"));
}

TEST_CASE("show-config prints the dynamic configuration as sorted YAML") {
  // click.echo adds a newline after the YAML's own; the capture stripped it.
  CHECK(CtlYaml(State(2).config->data) + "\n" == Sample("show-config") + "\n");
}

TEST_CASE("edit-config --set shows patronictl's unified diff") {
  Json before = State(2).config->data;
  auto after = ApplyConfigChanges(before, {"synchronous_mode=true"});
  REQUIRE(after.ok());
  std::string expected = Sample("edit-config --set synchronous_mode=true --force");
  CHECK(ConfigDiff(CtlYaml(before), CtlYaml(*after)) + "Configuration changed\n" == expected);

  auto off = ApplyConfigChanges(*after, {"synchronous_mode=false"});
  REQUIRE(off.ok());
  CHECK(ConfigDiff(CtlYaml(*after), CtlYaml(*off)) + "Configuration changed\n" ==
        Sample("edit-config --set synchronous_mode=false --force"));

  auto failsafe = ApplyConfigChanges(*off, {"failsafe_mode=true"});
  REQUIRE(failsafe.ok());
  CHECK(ConfigDiff(CtlYaml(*off), CtlYaml(*failsafe)) + "Configuration changed\n" ==
        Sample("edit-config --set failsafe_mode=true --force"));
}

TEST_CASE("tsv and yaml list formats") {
  dcs::ClusterState s = State(2);
  CHECK(RenderMembers(s, "anchor", false, "tsv") ==
        "Cluster\tMember\tHost\tRole\tState\tTL\tLag in MB\n"
        "anchor\tpg1\t127.0.0.1:25432\tLeader\trunning\t3\t\n"
        "anchor\tpg2\t127.0.0.1:25433\tReplica\trunning\t3\t0\n"
        "anchor\tpg3\t127.0.0.1:25434\tReplica\trunning\t3\t0\n");
  // yaml.safe_dump sorts keys; click.echo adds a blank line.
  CHECK(
      RenderMembers(s, "anchor", false, "yaml") ==
      "- Cluster: anchor\n  Host: 127.0.0.1:25432\n  Member: pg1\n  Role: Leader\n  State: "
      "running\n  TL: 3\n"
      "- Cluster: anchor\n  Host: 127.0.0.1:25433\n  Lag in MB: 0\n  Member: pg2\n  Role: Replica\n"
      "  State: running\n  TL: 3\n"
      "- Cluster: anchor\n  Host: 127.0.0.1:25434\n  Lag in MB: 0\n  Member: pg3\n  Role: Replica\n"
      "  State: running\n  TL: 3\n\n");
  // An unknown format prints nothing at all, not even the footer.
  CHECK(RenderMembers(State(4), "anchor", false, "xml").empty());
}

dcs::ClusterState WithTags() {
  dcs::ClusterState s = State(2);
  s.members[1].tags = {{"nofailover", true}, {"clonefrom", true}};
  s.members[2].tags = {{"replicatefrom", "pg2"}};
  s.members[2].pending_restart = true;
  s.members[2].xlog_location = 67289048 - 3 * 1024 * 1024 / 2;  // 1.5 MB behind: rounds to 2
  s.members[1].xlog_location = 67289048 - 5 * 1024 * 1024 / 2;  // 2.5 MB behind: rounds to 2
  return s;
}

TEST_CASE("tags are YAML in the table, multi-line cells get a rule after every row") {
  // Expected texts below were printed by patronictl 3.0.2's own output_members for the same data.
  std::string expected =
      "+ Cluster: anchor "
      "---------+---------+---------+----+-----------+-----------------+--------------------+\n"
      "| Member | Host            | Role    | State   | TL | Lag in MB | Pending restart | Tags    "
      "           |\n"
      "+--------+-----------------+---------+---------+----+-----------+-----------------+---------"
      "-----------+\n"
      "| pg1    | 127.0.0.1:25432 | Leader  | running |  3 |           |                 |         "
      "           |\n"
      "+--------+-----------------+---------+---------+----+-----------+-----------------+---------"
      "-----------+\n"
      "| pg2    | 127.0.0.1:25433 | Replica | running |  3 |         2 |                 | "
      "clonefrom: true    |\n"
      "|        |                 |         |         |    |           |                 | "
      "nofailover: true   |\n"
      "+--------+-----------------+---------+---------+----+-----------+-----------------+---------"
      "-----------+\n"
      "| pg3    | 127.0.0.1:25434 | Replica | running |  3 |         2 | *               | "
      "replicatefrom: pg2 |\n"
      "+--------+-----------------+---------+---------+----+-----------+-----------------+---------"
      "-----------+\n";
  CHECK(RenderMembers(WithTags(), "anchor", false, "pretty") == expected);
}

TEST_CASE("topology follows replicatefrom and shows tags in flow style") {
  std::string expected =
      "+ Cluster: anchor "
      "----------+---------+---------+----+-----------+-----------------+--------------------------"
      "-----------+\n"
      "| Member  | Host            | Role    | State   | TL | Lag in MB | Pending restart | Tags   "
      "                             |\n"
      "+---------+-----------------+---------+---------+----+-----------+-----------------+--------"
      "-----------------------------+\n"
      "| pg1     | 127.0.0.1:25432 | Leader  | running |  3 |           |                 |        "
      "                             |\n"
      "| + pg2   | 127.0.0.1:25433 | Replica | running |  3 |         2 |                 | "
      "{clonefrom: true, nofailover: true} |\n"
      "|   + pg3 | 127.0.0.1:25434 | Replica | running |  3 |         2 | *               | "
      "{replicatefrom: pg2}                |\n"
      "+---------+-----------------+---------+---------+----+-----------+-----------------+--------"
      "-----------------------------+\n";
  CHECK(RenderMembers(WithTags(), "anchor", false, "topology") == expected);
}

TEST_CASE("scheduled restarts and tags in tsv and json") {
  dcs::ClusterState s = State(3);
  s.members[0].scheduled_restart = {{"schedule", "2026-11-22T05:00:00+00:00"},
                                    {"postgres_version", "15.5"}};
  s.members[1].tags = {{"nofailover", true}};
  CHECK(RenderMembers(s, "anchor", true, "tsv") ==
        "Cluster\tMember\tHost\tRole\tState\tTL\tLag in MB\tPending restart\tScheduled "
        "restart\tTags\n"
        "anchor\tpg1\t127.0.0.1:25432\tLeader\trunning\t3\t\t\t2026-11-22T05:00:00+00:00 if "
        "version < 15.5\t\n"
        "anchor\tpg2\t127.0.0.1:25433\tReplica\trunning\t3\t0\t\t\t{nofailover: true}\n"
        "anchor\tpg3\t127.0.0.1:25434\tReplica\trunning\t3\t0\t\t\t\n");
  CHECK(RenderMembers(s, "anchor", true, "json") ==
        "[{\"Cluster\": \"anchor\", \"Member\": \"pg1\", \"Host\": \"127.0.0.1:25432\", \"Role\": "
        "\"Leader\", "
        "\"State\": \"running\", \"TL\": 3, \"Scheduled restart\": \"2026-11-22T05:00:00+00:00 if "
        "version < 15.5\"}, "
        "{\"Cluster\": \"anchor\", \"Member\": \"pg2\", \"Host\": \"127.0.0.1:25433\", \"Role\": "
        "\"Replica\", "
        "\"State\": \"running\", \"TL\": 3, \"Lag in MB\": 0, \"Tags\": {\"nofailover\": true}}, "
        "{\"Cluster\": \"anchor\", \"Member\": \"pg3\", \"Host\": \"127.0.0.1:25434\", \"Role\": "
        "\"Replica\", "
        "\"State\": \"running\", \"TL\": 3, \"Lag in MB\": 0}]\n");
}

TEST_CASE("history in json and yaml keeps every cell") {
  CHECK(PrintOutput(HistoryTable(State(2)), "json") ==
        "[{\"TL\": 1, \"LSN\": 67286152, \"Reason\": \"no recovery target specified\", "
        "\"Timestamp\": "
        "\"2026-11-22T03:06:40.011036+00:00\", \"New Leader\": \"pg3\"}, {\"TL\": 2, \"LSN\": "
        "67286960, \"Reason\": "
        "\"no recovery target specified\", \"Timestamp\": \"2026-11-22T03:06:57.255036+00:00\", "
        "\"New Leader\": \"pg1\"}]\n");
  CHECK(PrintOutput(HistoryTable(State(2)), "yaml") ==
        "- LSN: 67286152\n  New Leader: pg3\n  Reason: no recovery target specified\n  TL: 1\n"
        "  Timestamp: '2026-11-22T03:06:40.011036+00:00'\n"
        "- LSN: 67286960\n  New Leader: pg1\n  Reason: no recovery target specified\n  TL: 2\n"
        "  Timestamp: '2026-11-22T03:06:57.255036+00:00'\n\n");
}

TEST_CASE("an empty cluster prints the header and two closing rules, the title cut to fit") {
  dcs::ClusterState empty;
  CHECK(RenderMembers(empty, "a-very-long-cluster-name-that-does-not-fit", false, "pretty") ==
        "+ Cluster: a-very-long-cluster-name-that-does-no+\n"
        "| Member | Host | Role | State | TL | Lag in MB |\n"
        "+--------+------+------+-------+----+-----------+\n"
        "+--------+------+------+-------+----+-----------+\n");
}

}  // namespace
}  // namespace pgha::ctl
