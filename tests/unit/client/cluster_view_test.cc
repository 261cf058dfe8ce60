// The client's view of a snapshot and the connection strings made from it: who counts as the
// primary, which replicas may serve reads, and how libpq values are quoted.
#include "pgha/client/cluster_view.h"

#include <catch2/catch.hpp>

#include "pgha/client/conninfo.h"
#include "pgha/dcs/cluster_state.h"
#include "pgha/dcs/codec.h"

namespace pgha::client {
namespace {

dcs::Member MakeMember(const std::string& name, const std::string& role, int port,
                       Lsn position = 1000, const std::string& state = "running") {
  dcs::Member m;
  m.name = name;
  m.role = role;
  m.state = state;
  m.conn_url = "postgres://127.0.0.1:" + std::to_string(port) + "/postgres";
  m.xlog_location = position;
  return m;
}

dcs::ClusterState Cluster(std::vector<dcs::Member> members, const std::string& leader) {
  dcs::ClusterState c;
  c.scope = "demo";
  c.members = std::move(members);
  if (!leader.empty()) c.leader = dcs::Leader{leader, 1, "s"};
  c.status.optime = 5000;
  return c;
}

std::vector<std::string> Names(const std::vector<const MemberView*>& members) {
  std::vector<std::string> out;
  for (const MemberView* m : members) out.push_back(m->name);
  return out;
}

TEST_CASE("the primary is the lock holder running as primary, nobody else") {
  SECTION("holder running as primary") {
    ClusterView v = BuildClusterView(
        Cluster({MakeMember("a", "primary", 5432, 5000), MakeMember("b", "replica", 5433, 4000)},
                "a"),
        absl::Now());
    REQUIRE(v.primary);
    CHECK(v.primary->name == "a");
    CHECK_FALSE(v.primary->lag_bytes.has_value());  // the leader has no lag
    REQUIRE(v.replicas.size() == 1);
    CHECK(v.replicas[0].lag_bytes == 1000);
  }
  SECTION("a former primary whose lock expired is not the primary, and serves no reads") {
    ClusterView v = BuildClusterView(
        Cluster({MakeMember("a", "primary", 5432), MakeMember("b", "replica", 5433)}, ""),
        absl::Now());
    CHECK_FALSE(v.primary);
    CHECK(v.leader.empty());
    CHECK(Names(ReadReplicas(v, {})) == std::vector<std::string>{"b"});
    CHECK_FALSE(PrimaryConnInfo(v, {}).ok());
  }
  SECTION("the new holder still promoting, or its PostgreSQL not running") {
    ClusterView promoting = BuildClusterView(
        Cluster({MakeMember("a", "replica", 5432), MakeMember("b", "replica", 5433)}, "a"),
        absl::Now());
    CHECK_FALSE(promoting.primary);
    CHECK(promoting.leader == "a");
    ClusterView stopped = BuildClusterView(
        Cluster({MakeMember("a", "primary", 5432, 1000, "stopped")}, "a"), absl::Now());
    CHECK_FALSE(stopped.primary);
  }
  SECTION("a standby cluster has a standby leader, never a primary") {
    dcs::ClusterState c = Cluster({MakeMember("a", "standby_leader", 5432)}, "a");
    c.config =
        dcs::ClusterConfig{Json{{"standby_cluster", {{"host", "10.0.0.9"}, {"port", 5432}}}}, 1};
    ClusterView v = BuildClusterView(c, absl::Now());
    CHECK_FALSE(v.primary);
    REQUIRE(v.standby_leader);
    CHECK(v.standby_leader->name == "a");
    CHECK(v.Find("a") == &*v.standby_leader);
  }
}

TEST_CASE("lag is unknown while the leader publishes no position, so no lag limit admits it") {
  dcs::ClusterState c =
      Cluster({MakeMember("a", "primary", 5432), MakeMember("b", "replica", 5433, 10)}, "a");
  c.status.optime.reset();  // e.g. just after a failover, before the new leader writes /status
  ClusterView v = BuildClusterView(c, absl::Now());
  REQUIRE(v.replicas.size() == 1);
  CHECK_FALSE(v.replicas[0].lag_bytes.has_value());
  CHECK(ReadReplicas(v, {.max_lag_bytes = 1 << 20}).empty());
  CHECK(ReadReplicas(v, {}).size() == 1);
}

TEST_CASE("Patroni 3's member key (role master) makes the lock holder the primary") {
  auto member = dcs::DecodeMember(
      "a",
      R"({"conn_url": "postgres://10.0.0.1:5432/postgres", "api_url": "http://10.0.0.1:8008/patroni",)"
      R"( "state": "running", "role": "master", "xlog_location": 5000, "timeline": 3})");
  REQUIRE(member.ok());
  ClusterView v = BuildClusterView(Cluster({*member}, "a"), absl::Now());
  REQUIRE(v.primary);
  CHECK(v.primary->host == "10.0.0.1");
  CHECK(v.primary->timeline == 3);
}

TEST_CASE("views compare by content, not by when they were read") {
  dcs::ClusterState c = Cluster({MakeMember("a", "primary", 5432)}, "a");
  ClusterView first = BuildClusterView(c, absl::Now());
  ClusterView later = BuildClusterView(c, absl::Now() + absl::Seconds(5));
  later.sequence = 7;
  CHECK(first.SameAs(later));
  c.members[0].tags = Json{{"zone", "east"}};
  CHECK_FALSE(first.SameAs(BuildClusterView(c, absl::Now())));
  later.dcs_reachable = false;
  CHECK_FALSE(first.SameAs(later));
}

TEST_CASE("replicas for reads: running replicas, lag, tags and noloadbalance") {
  dcs::Member far = MakeMember("far", "replica", 5434, 1000);    // 4000 bytes behind
  dcs::Member near = MakeMember("near", "replica", 5433, 4900);  // 100 bytes behind
  dcs::Member hidden = MakeMember("hidden", "replica", 5435, 5000);
  hidden.tags = Json{{"noloadbalance", true}};
  dcs::Member east = MakeMember("east", "replica", 5436, 4000);
  east.tags = Json{{"zone", "east"}, {"nofailover", true}};
  dcs::Member starting = MakeMember("starting", "replica", 5437, 5000, "starting");
  dcs::Member unknown = MakeMember("unknown", "replica", 5438);
  unknown.xlog_location.reset();
  ClusterView v = BuildClusterView(
      Cluster({MakeMember("p", "primary", 5432, 5000), far, near, hidden, east, starting, unknown},
              "p"),
      absl::Now());

  CHECK(Names(ReadReplicas(v, {})) == std::vector<std::string>{"near", "east", "far", "unknown"});
  CHECK(Names(ReadReplicas(v, {.max_lag_bytes = 1000})) ==
        std::vector<std::string>{"near", "east"});
  CHECK(Names(ReadReplicas(v, {.tags = {{"zone", "east"}}})) == std::vector<std::string>{"east"});
  CHECK(Names(ReadReplicas(v, {.tags = {{"nofailover", "true"}}})) ==
        std::vector<std::string>{"east"});
  CHECK(Names(ReadReplicas(v, {.tags = {{"zone", "west"}}})).empty());

  auto best = ReplicaConnInfo(v, {}, {.dbname = "app"});
  REQUIRE(best.ok());
  CHECK(*best == "host='127.0.0.1' port='5433' dbname='app' connect_timeout='3'");
  CHECK_FALSE(ReplicaConnInfo(v, {.tags = {{"zone", "west"}}}, {}).ok());
  auto fallback =
      ReplicaConnInfo(v, {.tags = {{"zone", "west"}}, .fall_back_to_primary = true}, {});
  REQUIRE(fallback.ok());
  CHECK(*fallback ==
        "host='127.0.0.1' port='5432' connect_timeout='3' target_session_attrs='read-write'");
}

TEST_CASE("a tag holding bytes that are not UTF-8 is kept as text, never thrown on") {
  dcs::Member m = MakeMember("a", "primary", 5432);
  m.tags = Json{{"list", Json::array({std::string("\xff\xfe")})}, {"text", std::string("\xff")}};
  ClusterView v = BuildClusterView(Cluster({m}, "a"), absl::Now());
  REQUIRE(v.primary);
  CHECK(v.primary->tags.at("list") == "[\"\xef\xbf\xbd\xef\xbf\xbd\"]");
  CHECK(v.primary->tags.at("text") == "\xff");
}

TEST_CASE("connection string values are quoted for libpq") {
  MemberView m;
  m.host = "db1";
  m.port = 5432;
  ConnectionSettings settings{.dbname = "my db",
                              .user = "o'brien",
                              .password = "back\\slash",
                              .application_name = "",
                              .connect_timeout_seconds = 0,
                              .extra = {{"sslmode", "verify-full"}}};
  CHECK(MemberConnInfo(m, settings) ==
        "host='db1' port='5432' dbname='my db' user='o\\'brien' password='back\\\\slash' "
        "sslmode='verify-full'");
}

}  // namespace
}  // namespace pgha::client
