// The REST API against a live three-node cluster: health checks per role, the status documents,
// authentication on unsafe methods, malformed requests.
#include <catch2/catch.hpp>

#include "absl/strings/str_cat.h"
#include "cluster_harness.h"
#include "pgha/api/http_client.h"
#include "wait.h"

namespace pgha::testing {
namespace {

constexpr absl::Duration kStart = absl::Seconds(120);

// Node 3 (index 2) is tagged noloadbalance; every node requires basic auth for unsafe methods.
ClusterOptions Options() {
  ClusterOptions o;
  o.customize = [](int i, NodeSpec& s) {
    s.restapi_extra = "  authentication:\n    username: admin\n    password: 's3cret'\n";
    s.tags_yaml = absl::StrCat("  datacenter: dc", i + 1, "\n");
    // Node 1 must be the leader for the role table below: the others cannot take the lock.
    if (i != 0) absl::StrAppend(&s.tags_yaml, "  nofailover: true\n");
    if (i == 2) absl::StrAppend(&s.tags_yaml, "  noloadbalance: true\n");
  };
  return o;
}

int Code(ClusterHarness& c, int i, const std::string& method, const std::string& path) {
  return c.Rest(i, method, path).first;
}

TEST_CASE("REST API on a live cluster") {
  RequireScenarioPrerequisites();
  ClusterHarness c(Options());
  c.StartAll();
  auto primary = c.WaitForHealthy(2, kStart);
  REQUIRE(primary);
  REQUIRE(*primary == 0);
  const int replica = 1;
  const int noloadbalance = 2;

  SECTION("health checks answer by role, for GET, HEAD and OPTIONS") {
    struct Row {
      std::string path;
      int primary, replica, noloadbalance;
    };
    std::vector<Row> table = {
        {"/", 200, 503, 503},              {"/primary", 200, 503, 503},
        {"/master", 200, 503, 503},        {"/read-write", 200, 503, 503},
        {"/leader", 200, 503, 503},        {"/standby-leader", 503, 503, 503},
        {"/replica", 503, 200, 503},       {"/read-only", 200, 200, 503},
        {"/async", 503, 200, 503},         {"/sync", 503, 503, 503},
        {"/read-only-sync", 200, 503, 503}, {"/health", 200, 200, 200},
        {"/liveness", 200, 200, 200},      {"/readiness", 200, 200, 200},
        {"/replica?tag_datacenter=dc2", 503, 200, 503},
        {"/replica?tag_datacenter=dc9", 503, 503, 503},
        {"/nonexistent", 503, 503, 503},
    };
    for (const auto& row : table) {
      for (const char* method : {"GET", "HEAD", "OPTIONS"}) {
        INFO(method << " " << row.path);
        CHECK(Code(c, *primary, method, row.path) == row.primary);
        CHECK(Code(c, replica, method, row.path) == row.replica);
        CHECK(Code(c, noloadbalance, method, row.path) == row.noloadbalance);
      }
    }
  }

  SECTION("a lagging replica fails ?lag= but not the plain check") {
    REQUIRE(c.Sql(replica, "SELECT pg_wal_replay_pause()").ok());
    REQUIRE(c.Sql(*primary, "CREATE TABLE filler AS SELECT g, repeat('x', 500) AS pad FROM generate_series(1, 20000) g").ok());
    // The leader publishes its position each cycle; the replica's replay stands still.
    REQUIRE(WaitFor([&] { return Code(c, replica, "GET", "/replica?lag=1MB") == 503; }, absl::Seconds(30)));
    CHECK(Code(c, replica, "GET", "/replica") == 200);
    CHECK(Code(c, replica, "GET", "/replica?lag=1GB") == 200);
    CHECK(Code(c, replica, "GET", "/async?lag=16kB") == 503);
    REQUIRE(c.Sql(replica, "SELECT pg_wal_replay_resume()").ok());
    REQUIRE(WaitFor([&] { return Code(c, replica, "GET", "/replica?lag=1MB") == 200; }, absl::Seconds(60)));
  }

  SECTION("/patroni and /cluster carry Patroni's fields") {
    auto p = c.Patroni(*primary);
    REQUIRE(p);
    for (const char* field : {"state", "postmaster_start_time", "role", "server_version", "xlog", "timeline",
                              "replication", "dcs_last_seen", "database_system_identifier", "patroni", "tags"}) {
      INFO(field);
      CHECK(p->contains(field));
    }
    CHECK((*p)["role"] == "master");  // Patroni 3.0.2's word
    CHECK((*p)["patroni"]["scope"] == "scenario");
    CHECK((*p)["xlog"].contains("location"));
    CHECK((*p)["replication"].size() == 2);
    auto r = c.Patroni(replica);
    REQUIRE(r);
    CHECK((*r)["role"] == "replica");
    for (const char* field : {"received_location", "replayed_location", "replayed_timestamp", "paused"}) {
      INFO(field);
      CHECK((*r)["xlog"].contains(field));
    }
    CHECK((*r)["database_system_identifier"] == (*p)["database_system_identifier"]);
    // The positions are queried when asked (the leader race compares them), not taken from the
    // last HA cycle: a write just made is already covered.
    REQUIRE(c.Sql(*primary, "CREATE TABLE IF NOT EXISTS live_position (v int)").ok());
    auto written = c.Sql(*primary, "INSERT INTO live_position SELECT 1 FROM generate_series(1, 1000); "
                                   "SELECT (pg_current_wal_flush_lsn() - '0/0'::pg_lsn)::bigint::text");
    REQUIRE(written.ok());
    REQUIRE(written->size() == 1);
    auto now = c.Patroni(*primary);
    REQUIRE(now);
    CHECK((*now)["xlog"]["location"].get<int64_t>() >= std::stoll((*written)[0]));
    auto [code, body] = c.Rest(replica, "GET", "/cluster");
    REQUIRE(code == 200);
    Json cluster = Json::parse(body);
    REQUIRE(cluster["members"].size() == 3);
    CHECK(cluster["members"][0]["name"] == "pg1");
    CHECK(cluster["members"][0]["role"] == "leader");
    CHECK_FALSE(cluster["members"][0].contains("lag"));
    CHECK(cluster["members"][1]["role"] == "replica");
    CHECK(cluster["members"][1]["port"] == c.spec(1).pg_port);
    CHECK(cluster["members"][1].contains("lag"));
    CHECK(cluster["members"][2]["tags"]["noloadbalance"] == true);
    // Patroni's JSON formatting (json.dumps separators), byte for byte in shape.
    CHECK(body.rfind("{\"members\": [{\"name\": \"pg1\", \"role\": \"leader\", \"state\": \"running\"", 0) == 0);
    auto [hcode, history] = c.Rest(replica, "GET", "/history");
    CHECK(hcode == 200);
    CHECK(history == "[]");
    auto [mcode, metrics] = c.Rest(*primary, "GET", "/metrics");
    CHECK(mcode == 200);
    CHECK(metrics.find("patroni_primary{scope=\"scenario\"} 1") != std::string::npos);
    CHECK(metrics.find("patroni_postgres_running{scope=\"scenario\"} 1") != std::string::npos);
  }

  SECTION("unsafe methods need basic auth; the right credentials work") {
    CHECK(c.Rest(*primary, "POST", "/reload").first == 401);
    auto wrong = api::HttpRequest("POST", absl::StrCat("http://127.0.0.1:", c.spec(*primary).api_port, "/reload"), "",
                                  absl::Seconds(10), config::BasicAuth{"admin", "nope"});
    REQUIRE(wrong.ok());
    CHECK(wrong->status == 401);
    auto right = api::HttpRequest("POST", absl::StrCat("http://127.0.0.1:", c.spec(*primary).api_port, "/reload"), "",
                                  absl::Seconds(10), config::BasicAuth{"admin", "s3cret"});
    REQUIRE(right.ok());
    CHECK(right->status == 202);
    CHECK(c.Rest(*primary, "PATCH", "/config", "{\"ttl\": 20}").first == 401);
    CHECK(c.Rest(*primary, "GET", "/config").first == 200);  // reading needs no credentials
  }

  SECTION("malformed or invalid requests get a 4xx with a reason; nothing changes") {
    auto post = [&](const std::string& path, const std::string& body) {
      auto r = api::HttpRequest("POST", absl::StrCat("http://127.0.0.1:", c.spec(*primary).api_port, path), body,
                                absl::Seconds(30), config::BasicAuth{"admin", "s3cret"});
      REQUIRE(r.ok());
      return *r;
    };
    auto bad_json = post("/switchover", "{not json");
    CHECK(bad_json.status == 400);
    CHECK(Json::parse(bad_json.body)["error"] == "the body is not valid JSON");
    CHECK(post("/switchover", "[1, 2]").status == 400);
    CHECK(post("/switchover", "{\"candidate\": \"pg2\"}").body ==
          "Switchover could be performed only from a specific leader");
    auto mismatch = post("/switchover", "{\"leader\": \"pg2\", \"candidate\": \"pg3\"}");
    CHECK(mismatch.status == 412);
    CHECK(mismatch.body == "leader name does not match");
    auto missing = post("/failover", "{\"candidate\": \"nobody\"}");
    CHECK(missing.status == 412);
    CHECK(missing.body == "candidate does not exists");
    auto past = post("/switchover", "{\"leader\": \"pg1\", \"scheduled_at\": \"2000-01-01T00:00:00+00:00\"}");
    CHECK(past.status == 422);
    auto naive = post("/switchover", "{\"leader\": \"pg1\", \"scheduled_at\": \"2099-01-01T00:00:00\"}");
    CHECK(naive.status == 400);
    CHECK(post("/restart", "{\"role\": \"king\"}").status == 400);
    CHECK(post("/restart", "{\"colour\": \"blue\"}").body == "Unknown filter for the scheduled restart: colour");
    CHECK(post("/citus", "{}").status == 501);
    CHECK(post("/reinitialize", "").status == 503);  // the leader cannot be reinitialized
    auto huge = post("/switchover", std::string(2 << 20, 'x'));
    CHECK(huge.status == 413);
    CHECK(c.Primary() == primary);
  }

  SECTION("PATCH /config merges and the cluster applies it; null removes a key") {
    auto patch = [&](const std::string& body) {
      auto r = api::HttpRequest("PATCH", absl::StrCat("http://127.0.0.1:", c.spec(replica).api_port, "/config"), body,
                                absl::Seconds(30), config::BasicAuth{"admin", "s3cret"});
      REQUIRE(r.ok());
      return *r;
    };
    auto r = patch("{\"postgresql\": {\"parameters\": {\"work_mem\": \"8MB\"}}, \"check_timeline\": true}");
    REQUIRE(r.status == 200);
    Json config = Json::parse(r.body);
    CHECK(config["postgresql"]["parameters"]["work_mem"] == "8MB");
    CHECK(config["check_timeline"] == true);
    CHECK(config["ttl"] == 10);  // untouched keys stay
    REQUIRE(WaitFor([&] {
      auto v = c.Sql(*primary, "SHOW work_mem");
      return v.ok() && (*v)[0] == "8MB";
    }, absl::Seconds(30)));
    auto removed = patch("{\"check_timeline\": null}");
    REQUIRE(removed.status == 200);
    CHECK_FALSE(Json::parse(removed.body).contains("check_timeline"));
    // What would not pass validation in a file does not reach the DCS either.
    auto invalid = patch("{\"ttl\": \"thirty\", \"postgresql\": {\"parameters\": \"x\"}}");
    CHECK(invalid.status == 400);
    INFO(invalid.body);
    CHECK(invalid.body.find("ttl") != std::string::npos);
    CHECK(Json::parse(patch("{}").body)["ttl"] == 10);
  }
}

}  // namespace
}  // namespace pgha::testing
