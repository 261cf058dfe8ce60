// edit-config's -s/-p parsing, --apply merging, -d/--dcs-url parsing and timestamps.
#include <catch2/catch.hpp>

#include "ctl/config_edit.h"
#include "pgha/config/dcs_url.h"
#include "ctl/time_format.h"
#include "pgha/backends/consul.h"
#include "pgha/backends/etcd3.h"
#include "pgha/backends/zookeeper.h"

namespace pgha::ctl {
namespace {

using config::ParseDcsUrl;
using config::ToDcsConfig;

TEST_CASE("edit-config -s values are YAML-typed and dotted paths create mappings") {
  Json data = Json::parse(R"({"ttl": 30, "postgresql": {"parameters": {"max_connections": 100}}})");
  auto out =
      ApplyConfigChanges(data, {"synchronous_mode=true", "loop_wait=5", "postgresql.use_slots=off",
                                "tags.x.y='on'", "list=[a, 1]", "name=plain text"});
  REQUIRE(out.ok());
  CHECK((*out)["synchronous_mode"] == Json(true));
  CHECK((*out)["loop_wait"] == Json(5));
  CHECK((*out)["postgresql"]["use_slots"] == Json(false));
  CHECK((*out)["tags"]["x"]["y"] == Json("on"));
  CHECK((*out)["list"] == Json::parse(R"(["a", 1])"));
  CHECK((*out)["name"] == Json("plain text"));
  // New keys come last, as in the Python dict patronictl writes back.
  CHECK(
      out->dump() ==
      R"({"ttl":30,"postgresql":{"parameters":{"max_connections":100},"use_slots":false},"synchronous_mode":true,)"
      R"("loop_wait":5,"tags":{"x":{"y":"on"}},"list":["a",1],"name":"plain text"})");
}

TEST_CASE("null or an empty value removes the key and the mappings it leaves empty") {
  Json data =
      Json::parse(R"({"ttl": 30, "a": {"b": {"c": 1}}, "postgresql": {"parameters": {"x": 1}}})");
  auto out = ApplyConfigChanges(data, {"a.b.c=null", "ttl=", "missing.key=~"});
  REQUIRE(out.ok());
  CHECK(*out == Json::parse(R"({"postgresql": {"parameters": {"x": 1}}})"));
}

TEST_CASE("edit-config -p sets one GUC even when its name holds dots") {
  auto pairs = PgParameterPairs({" pg_stat_statements.max=10000", "work_mem=64MB"});
  CHECK(pairs == std::vector<std::string>{"postgresql.parameters.pg_stat_statements.max=10000",
                                          "postgresql.parameters.work_mem=64MB"});
  auto out = ApplyConfigChanges(Json::object(), pairs);
  REQUIRE(out.ok());
  CHECK(
      *out ==
      Json::parse(
          R"({"postgresql": {"parameters": {"pg_stat_statements.max": 10000, "work_mem": "64MB"}}})"));
}

TEST_CASE("a pair without '=' is refused with patronictl's message") {
  auto out = ApplyConfigChanges(Json::object(), {"ttl"});
  REQUIRE_FALSE(out.ok());
  CHECK(out.status().message() == "Invalid parameter setting ttl");
}

TEST_CASE("edit-config --apply merges like Patroni's patch_config") {
  Json config = Json::parse(
      R"({"ttl": 30, "pause": true, "postgresql": {"parameters": {"a": 1, "b": 2}}, "x": 1})");
  auto patch = ParseYamlMapping(
      "ttl: 20\npause: 'True'\npostgresql:\n  parameters:\n    b: null\n    c: 'on'\nx:\n  y: 1\n",
      "f");
  REQUIRE(patch.ok());
  PatchConfig(&config, *patch);
  // "True" prints like True, so patch_config keeps the boolean.
  CHECK(
      config ==
      Json::parse(
          R"({"ttl": 20, "pause": true, "postgresql": {"parameters": {"a": 1, "c": "on"}}, "x": {"y": 1}})"));
  CHECK_FALSE(ParseYamlMapping("- a\n", "f").ok());
}

TEST_CASE("dcs URLs (-d): scheme, default ports and the namespace") {
  auto etcd3 = ParseDcsUrl("etcd3://127.0.0.1:2379/service");
  REQUIRE(etcd3.ok());
  CHECK(etcd3->scheme == "etcd3");
  CHECK(etcd3->host == "127.0.0.1");
  CHECK(etcd3->port == 2379);
  CHECK(etcd3->namespace_ == std::optional<std::string>("/service"));
  config::DcsConfig d = ToDcsConfig(*etcd3);
  CHECK(d.configured);
  CHECK(d.section == "etcd3");
  CHECK(backends::ReadEtcdConfig(d.settings, false).hosts ==
        std::vector<std::string>{"127.0.0.1:2379"});

  auto zk = ParseDcsUrl("zookeeper://zk1");
  REQUIRE(zk.ok());
  CHECK(zk->port == 2181);
  CHECK_FALSE(zk->namespace_);
  CHECK(ToDcsConfig(*zk).section == "zookeeper");
  CHECK(backends::ReadZooKeeperConfig(ToDcsConfig(*zk).settings).hosts ==
        std::vector<std::string>{"zk1:2181"});

  auto bare = ParseDcsUrl("localhost:8500");  // no scheme: the port picks consul
  REQUIRE(bare.ok());
  CHECK(bare->scheme == "consul");
  CHECK(ToDcsConfig(*bare).section == "consul");
  backends::ConsulConfig consul = backends::ReadConsulConfig(ToDcsConfig(*bare).settings);
  CHECK(consul.host == "localhost");
  CHECK(consul.port == 8500);

  auto other = ParseDcsUrl("10.0.0.1:1234/");
  REQUIRE(other.ok());
  CHECK(other->scheme == "etcd");
  CHECK_FALSE(other->namespace_);

  auto v6 = ParseDcsUrl("etcd3://[::1]:2379");
  REQUIRE(v6.ok());
  CHECK(backends::ReadEtcdConfig(ToDcsConfig(*v6).settings, false).hosts ==
        std::vector<std::string>{"[::1]:2379"});
  // A Consul agent on an IPv6 address: the reader splits the bracketed form as Patroni does.
  auto consul_v6 = ParseDcsUrl("consul://[::1]:8501");
  REQUIRE(consul_v6.ok());
  backends::ConsulConfig consul6 = backends::ReadConsulConfig(ToDcsConfig(*consul_v6).settings);
  CHECK(consul6.host == "::1");
  CHECK(consul6.port == 8501);

  auto unknown = ParseDcsUrl("redis://x:1");
  REQUIRE_FALSE(unknown.ok());
  CHECK(unknown.status().message() == "Unknown dcs scheme: redis");
  CHECK_FALSE(ParseDcsUrl("exhibitor://x").ok());
}

TEST_CASE("scheduled timestamps (--scheduled) and isoformat") {
  absl::Time now = absl::FromCivil(absl::CivilSecond(2026, 11, 22, 3, 7, 27), absl::UTCTimeZone());
  absl::TimeZone local = absl::FixedTimeZone(3600);
  auto none = ParseScheduled("now", now, local);
  REQUIRE(none.ok());
  CHECK_FALSE(none->has_value());

  auto utc = ParseScheduled("2026-11-22T04:07:27+00:00", now, local);
  REQUIRE(utc.ok());
  CHECK((*utc)->iso == "2026-11-22T04:07:27+00:00");
  auto z = ParseScheduled("2026-11-22T04:07:27.5Z", now, local);
  REQUIRE(z.ok());
  CHECK((*z)->iso == "2026-11-22T04:07:27.500000+00:00");
  auto naive = ParseScheduled("2026-11-22 05:07", now, local);  // local time
  REQUIRE(naive.ok());
  CHECK((*naive)->iso == "2026-11-22T05:07:00+01:00");
  CHECK((*naive)->time == now + absl::Seconds(3600 - 27));
  auto time_only = ParseScheduled("23:30", now, local);
  REQUIRE(time_only.ok());
  CHECK((*time_only)->iso == "2026-11-22T23:30:00+01:00");

  auto bad = ParseScheduled("tomorrow-ish", now, local);
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.status().message() ==
        "Unable to parse scheduled timestamp (tomorrow-ish). It should be in an unambiguous format "
        "(e.g. ISO 8601)");
  CHECK_FALSE(ParseScheduled("2026-02-30T10:00", now, local).ok());

  CHECK(NormalizeIsoTimestamp("2026-11-22T04:07:27Z") == "2026-11-22T04:07:27+00:00");
  CHECK(NormalizeIsoTimestamp("2026-11-22T04:07:27+02:00") == "2026-11-22T04:07:27+02:00");
  CHECK(CtlTimestamp(now + absl::Microseconds(916830), absl::UTCTimeZone()) ==
        "2026-11-22 03:07:27.91683");
  CHECK(CtlTimestamp(now, absl::UTCTimeZone(), 0) == "2026-11-22 03:07:27");
  CHECK(NextHourExample(now, local) == "2026-11-22T05:07");
}

TEST_CASE("PostgreSQL versions as Patroni reads and prints them") {
  CHECK(*PostgresVersionToInt("9.6.3") == 90603);
  CHECK(*PostgresVersionToInt("15.4") == 150004);
  CHECK(PostgresVersionToInt("9.6").status().message() ==
        "Invalid PostgreSQL version format: X.Y or X.Y.Z is accepted: 9.6");
  CHECK(PostgresVersionToInt("a.b").status().message() == "Invalid PostgreSQL version: a.b");
  CHECK(FormatPgVersion(150004) == "15.4");
  CHECK(FormatPgVersion(90603) == "9.6.3");
}

}  // namespace
}  // namespace pgha::ctl
