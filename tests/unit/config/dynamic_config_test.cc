#include <catch2/catch.hpp>

#include "config_test_util.h"
#include "pgha/config/dynamic_config.h"
#include "pgha/config/loader.h"
#include "reference_dump.h"
#include "temp_dir.h"

namespace pgha::config {
namespace {

bool HasWarning(const std::vector<std::string>& warnings, const std::string& fragment) {
  for (const auto& w : warnings) {
    if (w.find(fragment) != std::string::npos) return true;
  }
  return false;
}

TEST_CASE("dynamic defaults are Patroni's") {
  std::vector<std::string> w;
  DynamicConfig d = ParseDynamicConfig(Json::object(), &w);
  CHECK(w.empty());
  CHECK(d.ttl == 30);
  CHECK(d.loop_wait == 10);
  CHECK(d.retry_timeout == 10);
  CHECK(d.maximum_lag_on_failover == 1048576);
  CHECK(d.primary_start_timeout == 300);
  CHECK(d.synchronous_mode == SyncMode::kOff);
  CHECK(d.use_slots);
  CHECK_FALSE(d.use_pg_rewind);
  CHECK(d.parameters["max_connections"] == Json(100));
  CHECK(d.parameters["wal_level"] == Json("hot_standby"));
  CHECK_FALSE(d.parameters.contains("wal_keep_size"));
}

TEST_CASE("timing values are adjusted the way Patroni adjusts them") {
  struct Case {
    Json doc;
    int ttl, loop_wait, retry;
  };
  std::vector<Case> cases = {
      {{{"ttl", 30}, {"loop_wait", 10}, {"retry_timeout", 10}}, 30, 10, 10},
      {{{"ttl", 30}, {"loop_wait", 15}, {"retry_timeout", 10}}, 30, 10, 10},  // loop_wait lowered
      {{{"ttl", 30}, {"loop_wait", 10}, {"retry_timeout", 30}}, 30, 1, 14},   // both lowered
      {{{"ttl", 10}, {"loop_wait", 1}, {"retry_timeout", 3}}, 10, 1, 3},      // short leases kept
      {{{"ttl", "20"}, {"loop_wait", "2"}}, 20, 0, 0},                       // strings accepted
  };
  cases.back().loop_wait = 1;
  cases.back().retry = 9;
  for (const auto& c : cases) {
    std::vector<std::string> w;
    DynamicConfig d = ParseDynamicConfig(c.doc, &w);
    INFO(c.doc.dump());
    CHECK(d.ttl == c.ttl);
    CHECK(d.loop_wait == c.loop_wait);
    CHECK(d.retry_timeout == c.retry);
  }
}

TEST_CASE("ttl 4294967295, loop_wait 4294967296, retry_timeout 2147483647: refused by validation") {
  for (const char* key : {"ttl", "loop_wait", "retry_timeout"}) {
    INFO(key);
    Diagnostics d = ValidateDynamicConfig(Json{{key, 4294967296LL}});
    CHECK(d.HasErrors());
  }
  CHECK(ValidateDynamicConfig(Json{{"ttl", 86400}, {"loop_wait", 3600}, {"retry_timeout", 3600}}).ErrorCount() == 0);
  CHECK(ValidateDynamicConfig(Json{{"ttl", 86401}}).HasErrors());
  CHECK(ValidateDynamicConfig(Json{{"loop_wait", 3601}}).HasErrors());
}

TEST_CASE("ttl 4294967295, loop_wait 4294967296, retry_timeout 2147483647 past validation: clamped, never cut or overflowed") {
  std::vector<std::string> w;
  DynamicConfig d = ParseDynamicConfig(
      {{"ttl", 4294967295LL}, {"loop_wait", 4294967296LL}, {"retry_timeout", 2147483647LL}}, &w);
  CHECK(d.ttl == 86400);
  CHECK(d.loop_wait >= 1);
  CHECK(d.retry_timeout >= 1);
  CHECK(d.retry_timeout <= 3600);
  CHECK(d.loop_wait + 2 * d.retry_timeout <= d.ttl);
  CHECK_FALSE(w.empty());
  std::vector<std::string> w2;
  DynamicConfig negative = ParseDynamicConfig({{"ttl", -1}, {"loop_wait", 0}}, &w2);
  CHECK(negative.ttl == 4);
  CHECK(negative.loop_wait >= 1);
}

TEST_CASE("the dynamic configurations Patroni wrote validate clean, wrong types do not") {
  int seen = 0;
  for (const auto& state : testing::LoadReferenceDcsDump()) {
    for (const auto& [key, value] : state.keys) {
      if (key.size() < 7 || key.compare(key.size() - 7, 7, "/config") != 0) continue;
      ++seen;
      Json doc = Json::parse(value);
      Diagnostics d = ValidateDynamicConfig(doc);
      INFO(state.title << ": " << value);
      for (const auto& item : d.all()) INFO(item.ToString());
      CHECK_FALSE(d.HasErrors());
    }
  }
  CHECK(seen > 0);
  CHECK(ValidateDynamicConfig(Json{{"ttl", "thirty"}}).HasErrors());
  CHECK(ValidateDynamicConfig(Json{{"postgresql", {{"parameters", "x"}}}}).HasErrors());
  CHECK(ValidateDynamicConfig(Json("garbage")).HasErrors());
}

TEST_CASE("garbage in the dynamic configuration is warned about and replaced by defaults") {
  std::vector<std::string> w;
  DynamicConfig d = ParseDynamicConfig(
      {{"ttl", "soon"},
       {"synchronous_mode", "sometimes"},
       {"pause", Json::array()},
       {"postgresql", {{"parameters", {{"max_connections", 5}, {"wal_level", "minimal"}}}}}},
      &w);
  CHECK(d.ttl == 30);
  CHECK(d.synchronous_mode == SyncMode::kOff);
  CHECK_FALSE(d.pause);
  CHECK(d.parameters["max_connections"] == Json(100));
  CHECK(d.parameters["wal_level"] == Json("hot_standby"));
  CHECK(HasWarning(w, "ttl="));
  CHECK(HasWarning(w, "max_connections=5 failed validation"));
  CHECK(HasWarning(w, "wal_level=minimal failed validation"));
  std::vector<std::string> w2;
  DynamicConfig not_a_map = ParseDynamicConfig(Json("garbage"), &w2);
  CHECK(not_a_map.ttl == 30);
  CHECK(HasWarning(w2, "not a mapping"));
}

TEST_CASE("synchronous mode, slots and standby cluster are read") {
  std::vector<std::string> w;
  DynamicConfig d = ParseDynamicConfig(
      {{"synchronous_mode", "quorum"},
       {"synchronous_node_count", 2},
       {"slots", {{"logical1", {{"type", "logical"}, {"database", "db"}, {"plugin", "pgoutput"}}},
                  {"phys", nullptr},
                  {"broken", {{"type", "logical"}}}}},
       {"standby_cluster", {{"host", "remote"}, {"port", 5433}}}},
      &w);
  CHECK(d.synchronous_mode == SyncMode::kQuorum);
  CHECK(d.synchronous_node_count == 2);
  REQUIRE(d.slots.size() == 2);
  CHECK(d.slots[0].plugin == "pgoutput");
  CHECK(d.slots[1].type == "physical");
  CHECK(HasWarning(w, "broken"));
  REQUIRE(d.standby_cluster);
  CHECK(d.standby_cluster->host == "remote");
  std::vector<std::string> w2;
  CHECK(ParseDynamicConfig({{"synchronous_mode", true}}, &w2).synchronous_mode == SyncMode::kOn);
}

TEST_CASE("effective configuration follows Patroni's precedence") {
  auto local = LoadLocalConfigFromText(
      testing::MinimalConfig() +
          "  parameters:\n    max_connections: 500\n    work_mem: 8MB\n    shared_buffers: 1GB\n"
          "  use_pg_rewind: false\n  pg_hba:\n    - local all all trust\n",
      "t.yml", {});
  INFO(testing::DumpDiagnostics(local.diagnostics));
  REQUIRE(local.ok());
  Json dynamic = {{"ttl", 20},
                  {"postgresql",
                   {{"use_pg_rewind", true},
                    {"use_slots", false},
                    {"pg_hba", {"host all all 0.0.0.0/0 md5"}},
                    {"parameters", {{"max_connections", 200}, {"work_mem", "4MB"},
                                    {"port", 6000}, {"autovacuum", "off"}}}}}};
  std::vector<std::string> w;
  EffectiveConfig e = BuildEffectiveConfig(*local.config, dynamic, &w);
  CHECK(e.dynamic.ttl == 20);
  // Cluster-wide GUC: the dynamic value wins, the local one is ignored.
  CHECK(e.parameters["max_connections"] == Json(200));
  // Ordinary GUC: local wins.
  CHECK(e.parameters["work_mem"] == Json("8MB"));
  CHECK(e.parameters["shared_buffers"] == Json("1GB"));
  CHECK(e.parameters["autovacuum"] == Json("off"));
  // Patroni sets these itself.
  CHECK_FALSE(e.parameters.contains("port"));
  // Local postgresql settings win, except use_slots.
  CHECK_FALSE(e.use_pg_rewind);
  CHECK_FALSE(e.use_slots);
  CHECK(e.pg_hba == std::vector<std::string>{"local all all trust"});
}

TEST_CASE("dynamic pg_hba applies when the node has none") {
  auto local = LoadLocalConfigFromText(testing::MinimalConfig(), "t.yml", {});
  REQUIRE(local.ok());
  std::vector<std::string> w;
  EffectiveConfig e = BuildEffectiveConfig(
      *local.config, {{"postgresql", {{"pg_hba", {"host all all 10.0.0.0/8 md5"}}}}}, &w);
  CHECK(e.pg_hba == std::vector<std::string>{"host all all 10.0.0.0/8 md5"});
  CHECK(e.use_slots);
}

TEST_CASE("MergePatch: objects merge, null deletes, scalars replace") {
  Json target = {{"ttl", 30}, {"postgresql", {{"parameters", {{"a", 1}, {"b", 2}}}}}};
  Json patch = {{"ttl", 20}, {"pause", true}, {"postgresql", {{"parameters", {{"a", nullptr}, {"c", 3}}}}}};
  Json out = MergePatch(target, patch);
  CHECK(out == Json({{"ttl", 20},
                     {"postgresql", {{"parameters", {{"b", 2}, {"c", 3}}}}},
                     {"pause", true}}));
}

TEST_CASE("the dynamic-config fixtures load as dynamic configuration") {
  for (const char* name : {"004-dynamic-config.yml", "004-dynamic-config-with-hba.yml"}) {
    auto r = LoadDynamicConfigFile(testing::FixturePath(std::string("seed-configs/") + name));
    INFO(name << "\n" << testing::DumpDiagnostics(r.diagnostics));
    REQUIRE(r.ok());
    CHECK(r.config.ttl == 30);
    CHECK(r.config.use_pg_rewind);
    CHECK(r.config.parameters["wal_level"] == Json("logical"));
    CHECK(r.config.parameters["max_wal_senders"] == Json(10));
    CHECK(r.config.parameters["archive_mode"] == Json(true));
  }
  auto hba = LoadDynamicConfigFile(testing::FixturePath("seed-configs/004-dynamic-config-with-hba.yml"));
  CHECK(hba.config.postgresql["pg_hba"].size() == 1);
}

}  // namespace
}  // namespace pgha::config
