#include <catch2/catch.hpp>

#include "pgha/api/health.h"
#include "pgha/base/pycompat.h"
#include "pgha/api/status_views.h"
#include "pgha/dcs/codec.h"
#include "reference_dump.h"

namespace pgha::api {
namespace {

dcs::ClusterStatePtr ReferenceCluster(int state) {
  auto dump = testing::LoadReferenceDcsDump()[state - 1];
  dcs::RawSnapshot snap;
  int64_t v = 1;
  for (const auto& [k, val] : dump.keys) snap.entries.push_back({k, val, v++, ""});
  return std::make_shared<dcs::ClusterState>(dcs::DecodeCluster(dcs::KeyLayout("/service/", "anchor"), snap));
}

ha::NodeStatus Node(bool primary, bool holds_lock, dcs::ClusterStatePtr cluster) {
  ha::NodeStatus s;
  s.name = holds_lock ? "pg1" : "pg2";
  s.scope = "anchor";
  s.state = "running";
  s.holds_lock = holds_lock;
  s.cluster = std::move(cluster);
  s.pg.accepting = true;
  s.pg.postmaster_alive = true;
  s.pg.in_recovery = !primary;
  s.pg.timeline = 3;
  s.pg.server_version = 150020;
  s.pg.system_identifier = 7710826820256107124ULL;
  if (primary) {
    s.pg.current_lsn = 67289048;
  } else {
    s.pg.receive_lsn = 67289048;
    s.pg.replay_lsn = 67289048;
  }
  s.dcs_ok = true;
  s.dcs_last_seen = absl::FromUnixSeconds(1795316838);
  s.pg.postmaster_start_time = absl::FromUnixMicros(1795316774966669);
  return s;
}

TEST_CASE("PyJsonDumps writes a byte that is not UTF-8 (a member name from the DCS) as U+FFFD") {
  // A lone surrogate escape would make the answer unreadable to strict JSON parsers.
  CHECK(py::JsonDumps(Json(std::string("p\xff\xfeg2"))) == "\"p\\ufffd\\ufffdg2\"");
  CHECK(py::JsonDumps(Json(std::string("a\xed\xa0\x80"))) == "\"a\\ufffd\\ufffd\\ufffd\"");
  CHECK(py::JsonDumps(Json(std::string("\xf0\x9f\x98\x80"))) == "\"\\ud83d\\ude00\"");  // still paired
  // One U+FFFD for the truncated sequence, as Python's decode(errors="replace") counts it.
  CHECK(py::JsonDumps(Json(std::string("truncated \xe2\x82"))) == "\"truncated \\ufffd\"");
}

TEST_CASE("PyJsonDumps writes what Python's json.dumps writes") {
  Json v = {{"a", 1}, {"b", Json::array({"x", nullptr, true, 1.5})}, {"c", "é\"\n"}};
  CHECK(py::JsonDumps(v) == "{\"a\": 1, \"b\": [\"x\", null, true, 1.5], \"c\": \"\\u00e9\\\"\\n\"}");
  CHECK(py::JsonDumps(Json::object()) == "{}");
  CHECK(py::JsonDumps(Json(2.0)) == "2.0");
}

TEST_CASE("GET /patroni on a replica has Patroni 3.0.2's fields in Patroni's order") {
  auto cluster = ReferenceCluster(2);
  std::string body = py::JsonDumps(PatroniStatus(Node(false, false, cluster)));
  CHECK(body ==
        "{\"state\": \"running\", \"postmaster_start_time\": \"2026-11-22 03:06:14.966669+00:00\", "
        "\"role\": \"replica\", \"server_version\": 150020, \"xlog\": {\"received_location\": 67289048, "
        "\"replayed_location\": 67289048, \"replayed_timestamp\": null, \"paused\": false}, \"timeline\": 3, "
        "\"dcs_last_seen\": 1795316838, \"database_system_identifier\": \"7710826820256107124\", "
        "\"patroni\": {\"version\": \"3.0.2\", \"scope\": \"anchor\"}}");
}

TEST_CASE("GET /patroni answers with the positions of a query made now") {
  auto cluster = ReferenceCluster(2);
  ha::NodeStatus published = Node(false, false, cluster);
  pg::Observation live;
  live.accepting = true;
  live.in_recovery = true;
  live.timeline = 3;
  live.receive_lsn = 67300000;
  live.replay_lsn = 67299000;
  Json now = PatroniStatus(WithLivePositions(published, live));
  CHECK(now["xlog"]["received_location"] == 67300000);
  CHECK(now["xlog"]["replayed_location"] == 67299000);
  CHECK(now["role"] == "replica");

  // Promoted since the last cycle: a primary's document.
  pg::Observation promoted;
  promoted.accepting = true;
  promoted.in_recovery = false;
  promoted.timeline = 4;
  promoted.current_lsn = 67400000;
  Json after = PatroniStatus(WithLivePositions(published, promoted));
  CHECK(after["role"] == "master");
  CHECK(after["xlog"]["location"] == 67400000);
  CHECK(after["timeline"] == 4);

  // The query failed (PostgreSQL stopped since): no positions that are no longer true.
  pg::Observation down;
  Json gone = PatroniStatus(WithLivePositions(published, down));
  CHECK_FALSE(gone.contains("xlog"));
  CHECK(gone["state"] == "running");
}

TEST_CASE("GET /cluster reproduces Patroni 3.0.2's answer for the same DCS content") {
  auto cluster = ReferenceCluster(2);
  CHECK(py::JsonDumps(ClusterView(*cluster)) ==
        "{\"members\": [{\"name\": \"pg1\", \"role\": \"leader\", \"state\": \"running\", \"api_url\": "
        "\"http://127.0.0.1:28008/patroni\", \"host\": \"127.0.0.1\", \"port\": 25432, \"timeline\": 3}, "
        "{\"name\": \"pg2\", \"role\": \"replica\", \"state\": \"running\", \"api_url\": "
        "\"http://127.0.0.1:28009/patroni\", \"host\": \"127.0.0.1\", \"port\": 25433, \"timeline\": 3, \"lag\": 0}, "
        "{\"name\": \"pg3\", \"role\": \"replica\", \"state\": \"running\", \"api_url\": "
        "\"http://127.0.0.1:28010/patroni\", \"host\": \"127.0.0.1\", \"port\": 25434, \"timeline\": 3, \"lag\": 0}]}");
  CHECK(py::JsonDumps(HistoryView(*cluster)) ==
        "[[1, 67286152, \"no recovery target specified\", \"2026-11-22T03:06:40.011036+00:00\", \"pg3\"], "
        "[2, 67286960, \"no recovery target specified\", \"2026-11-22T03:06:57.255036+00:00\", \"pg1\"]]");
  auto scheduled = ReferenceCluster(3);
  Json view = ClusterView(*scheduled);
  CHECK(view["scheduled_switchover"] == Json({{"at", "2026-11-22T04:07:27+00:00"}, {"from", "pg1"}, {"to", "pg2"}}));
  CHECK(ClusterView(*ReferenceCluster(4))["pause"] == true);
  CHECK(ClusterView(*ReferenceCluster(5))["members"][1]["role"] == "sync_standby");
}

TEST_CASE("health checks as Patroni 3.0.2 answers them (reference table)") {
  auto cluster = ReferenceCluster(2);
  ha::NodeStatus leader = Node(true, true, cluster);
  ha::NodeStatus replica = Node(false, false, cluster);
  struct Row {
    const char* path;
    int leader, replica;
  };
  // The table captured from Patroni 3.0.2 (reference/patroni-3.0.2-rest-samples.txt).
  for (const Row& r : std::vector<Row>{{"/", 200, 503}, {"/primary", 200, 503}, {"/master", 200, 503},
                                       {"/leader", 200, 503}, {"/read-write", 200, 503}, {"/replica", 503, 200},
                                       {"/read-only", 200, 200}, {"/standby-leader", 503, 503}, {"/sync", 503, 503},
                                       {"/async", 503, 200}, {"/health", 200, 200}, {"/nonexistent", 503, 503}}) {
    INFO(r.path);
    CHECK(HealthStatusCode(r.path, {}, leader) == r.leader);
    CHECK(HealthStatusCode(r.path, {}, replica) == r.replica);
  }
  CHECK(HealthStatusCode("/replica", {{"lag", "1MB"}}, replica) == 200);
  ha::NodeStatus lagging = replica;
  lagging.pg.replay_lsn = 67289048 - 2 * 1048576;
  CHECK(HealthStatusCode("/replica", {{"lag", "1MB"}}, lagging) == 503);
  CHECK(HealthStatusCode("/replica", {{"lag", "16MB"}}, lagging) == 200);
  CHECK(HealthStatusCode("/replica", {}, lagging) == 200);
  ha::NodeStatus streaming = replica;
  streaming.pg.replication_state = "streaming";
  CHECK(HealthStatusCode("/replica", {{"replication_state", "streaming"}}, streaming) == 200);
  ha::NodeStatus archive = replica;
  archive.pg.replication_state = "in archive recovery";
  CHECK(HealthStatusCode("/replica", {{"replication_state", "streaming"}}, archive) == 503);
  CHECK(HealthStatusCode("/quorum", {}, replica) == 503);
  CHECK(HealthStatusCode("/read-only-quorum", {}, replica) == 503);
  CHECK(HealthStatusCode("/read-only-quorum", {}, leader) == 200);
  // Quorum commit (Patroni 4): a voter answers /quorum and /read-only-quorum, not /sync nor /async.
  ha::NodeStatus voter = replica;
  voter.quorum_standby = true;
  CHECK(HealthStatusCode("/quorum", {}, voter) == 200);
  CHECK(HealthStatusCode("/read-only-quorum", {}, voter) == 200);
  CHECK(HealthStatusCode("/sync", {}, voter) == 503);
  CHECK(HealthStatusCode("/async", {}, voter) == 503);
  CHECK(HealthStatusCode("/read-only-sync", {}, voter) == 503);
  CHECK(HealthStatusCode("/read-only", {}, voter) == 200);
  CHECK(PatroniStatus(voter)["quorum_standby"] == true);
  CHECK_FALSE(PatroniStatus(voter).contains("sync_standby"));
  ha::NodeStatus tagged = replica;
  tagged.tags = {{"zone", "a"}, {"nofailover", true}};
  CHECK(HealthStatusCode("/replica", {{"tag_zone", "a"}}, tagged) == 200);
  CHECK(HealthStatusCode("/replica", {{"tag_zone", "b"}}, tagged) == 503);
  CHECK(HealthStatusCode("/replica", {{"tag_nofailover", "true"}}, tagged) == 200);
  CHECK(HealthStatusCode("/replica", {{"tag_missing", "x"}}, tagged) == 503);
  CHECK(HealthStatusCode("/primary", {{"tag_zone", "b"}}, leader) == 200);  // tags ignored there
  ha::NodeStatus noloadbalance = replica;
  noloadbalance.tags = {{"noloadbalance", true}};
  CHECK(HealthStatusCode("/replica", {}, noloadbalance) == 503);
  CHECK(HealthStatusCode("/read-only", {}, noloadbalance) == 503);
  CHECK(HealthStatusCode("/health", {}, noloadbalance) == 200);
  ha::NodeStatus stopped = replica;
  stopped.pg.accepting = false;
  stopped.state = "stopped";
  CHECK(HealthStatusCode("/health", {}, stopped) == 503);
  CHECK(HealthStatusCode("/replica", {}, stopped) == 503);
}

TEST_CASE("liveness and readiness") {
  auto cluster = ReferenceCluster(2);
  ha::NodeStatus s = Node(true, true, cluster);
  absl::Time now = absl::FromUnixSeconds(1800000000);
  s.loop_last_run = now - absl::Seconds(5);
  CHECK(LivenessStatusCode(s, now, absl::Seconds(30)) == 200);
  s.loop_last_run = now - absl::Seconds(31);
  CHECK(LivenessStatusCode(s, now, absl::Seconds(30)) == 503);
  s.paused = true;
  CHECK(LivenessStatusCode(s, now, absl::Seconds(30)) == 200);
  ha::NodeStatus r = Node(false, false, cluster);
  r.loop_last_run = now - absl::Seconds(45);
  CHECK(LivenessStatusCode(r, now, absl::Seconds(30)) == 200);  // 2 x ttl for replicas
  CHECK(ReadinessStatusCode(r) == 200);
  r.dcs_ok = false;
  CHECK(ReadinessStatusCode(r) == 503);
}

TEST_CASE("metrics use Patroni's names") {
  std::string text = MetricsText(Node(true, true, ReferenceCluster(2)));
  for (const char* line : {"patroni_version{scope=\"anchor\"} 030002", "patroni_primary{scope=\"anchor\"} 1",
                           "patroni_master{scope=\"anchor\"} 1", "patroni_xlog_location{scope=\"anchor\"} 67289048",
                           "patroni_postgres_timeline{scope=\"anchor\"} 3", "patroni_cluster_unlocked{scope=\"anchor\"} 0",
                           "# TYPE patroni_xlog_location counter"}) {
    INFO(line);
    CHECK(text.find(line) != std::string::npos);
  }
}

}  // namespace
}  // namespace pgha::api
