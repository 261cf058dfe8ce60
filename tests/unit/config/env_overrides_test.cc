#include <catch2/catch.hpp>

#include "config_test_util.h"
#include "pgha/backends/etcd3.h"
#include "pgha/backends/zookeeper.h"
#include "pgha/config/loader.h"

namespace pgha::config {
namespace {

using testing::DumpDiagnostics;
using testing::FindDiagnostic;
using testing::MinimalConfig;

LoadResult Load(const Environment& env, const std::string& text = MinimalConfig()) {
  return LoadLocalConfigFromText(text, "t.yml", env);
}

TEST_CASE("PATRONI_* variables override the file") {
  auto r = Load({{"PATRONI_NAME", "from-env"},
                 {"PATRONI_SCOPE", "envscope"},
                 {"PATRONI_NAMESPACE", "/ns/"},
                 {"PATRONI_RESTAPI_LISTEN", "127.0.0.1:9008"},
                 {"PATRONI_RESTAPI_CONNECT_ADDRESS", "10.1.1.1:9008"},
                 {"PATRONI_RESTAPI_USERNAME", "admin"},
                 {"PATRONI_RESTAPI_PASSWORD", "pw"},
                 {"PATRONI_POSTGRESQL_DATA_DIR", "/nonexistent/other"},
                 {"PATRONI_SUPERUSER_PASSWORD", "env-secret"},
                 {"PATRONI_REPLICATION_SSLMODE", "require"},
                 {"PATRONI_REWIND_USERNAME", "rewinder"},
                 {"PATRONI_POSTGRESQL_BIN_PG_CTL", "pg_ctl.custom"}});
  INFO(DumpDiagnostics(r.diagnostics));
  REQUIRE(r.ok());
  const Config& c = *r.config;
  CHECK(c.name == "from-env");
  CHECK(c.scope == "envscope");
  CHECK(c.namespace_ == "/ns");
  CHECK(c.restapi.listen == "127.0.0.1:9008");
  CHECK(c.restapi.connect_address == "10.1.1.1:9008");
  REQUIRE(c.restapi.authentication);
  CHECK(c.restapi.authentication->username == "admin");
  CHECK(c.postgresql.data_dir == "/nonexistent/other");
  CHECK(c.postgresql.superuser.password == "env-secret");
  CHECK(c.postgresql.superuser.username == "postgres");  // file value kept
  CHECK(c.postgresql.replication.ssl_options.at("sslmode") == "require");
  REQUIRE(c.postgresql.rewind);
  CHECK(c.postgresql.rewind->username == "rewinder");
  CHECK(c.postgresql.Binary("pg_ctl") == "pg_ctl.custom");
}

TEST_CASE("DCS variables: lists in YAML flow syntax, ports as integers, auth for etcd") {
  auto r = Load({{"PATRONI_ETCD3_HOSTS", "'h1:2379','h2:2379'"},
                 {"PATRONI_ETCD3_USERNAME", "root"},
                 {"PATRONI_ETCD3_PASSWORD", "rootpw"},
                 {"PATRONI_ETCD3_PROTOCOL", "https"}});
  INFO(DumpDiagnostics(r.diagnostics));
  REQUIRE(r.ok());
  backends::EtcdConfig etcd = backends::ReadEtcdConfig(r.config->dcs.settings, false);
  CHECK(etcd.hosts == std::vector<std::string>{"h1:2379", "h2:2379"});
  CHECK(etcd.username == "root");
  CHECK(etcd.password == "rootpw");
  CHECK(etcd.protocol == "https");
}

TEST_CASE("a DCS section can come from the environment alone") {
  std::string text = MinimalConfig();
  text.erase(text.find("etcd3:"), std::string("etcd3:\n  hosts: 10.0.0.9:2379\n").size());
  auto r = Load({{"PATRONI_ZOOKEEPER_HOSTS", "['z1:2181', 'z2:2181']"}}, text);
  INFO(DumpDiagnostics(r.diagnostics));
  REQUIRE(r.ok());
  CHECK(r.config->dcs.section == "zookeeper");
  CHECK(backends::ReadZooKeeperConfig(r.config->dcs.settings).hosts.size() == 2);
}

TEST_CASE("legacy log variable names and typed log values") {
  auto r = Load({{"PATRONI_LOGLEVEL", "DEBUG"}, {"PATRONI_LOG_FILE_NUM", "7"}});
  REQUIRE(r.ok());
  CHECK(r.config->log.level == "DEBUG");
  CHECK(r.config->log.file_num == 7);
  auto both = Load({{"PATRONI_LOGLEVEL", "DEBUG"}, {"PATRONI_LOG_LEVEL", "ERROR"}});
  REQUIRE(both.ok());
  CHECK(both.config->log.level == "ERROR");
}

TEST_CASE("a bad value in a variable is an error naming the variable") {
  auto r = Load({{"PATRONI_RESTAPI_REQUEST_QUEUE_SIZE", "lots"}, {"PATRONI_CTL_INSECURE", "maybe"}});
  CHECK_FALSE(r.ok());
  bool queue = false;
  bool insecure = false;
  for (const auto& d : r.diagnostics.all()) {
    queue |= d.pos.file == "env:PATRONI_RESTAPI_REQUEST_QUEUE_SIZE";
    insecure |= d.pos.file == "env:PATRONI_CTL_INSECURE";
  }
  CHECK(queue);
  CHECK(insecure);
}

TEST_CASE("a validation error in an environment value points at the variable") {
  auto r = Load({{"PATRONI_RESTAPI_LISTEN", "nowhere"}});
  CHECK_FALSE(r.ok());
  auto d = FindDiagnostic(r.diagnostics, "restapi.listen", "missing port");
  REQUIRE(d);
  CHECK(d->pos.file == "env:PATRONI_RESTAPI_LISTEN");
}

TEST_CASE("PATRONI_CONFIGURATION holds the whole document when no file is given") {
  auto r = LoadLocalConfig("", {{"PATRONI_CONFIGURATION", MinimalConfig()},
                                {"PATRONI_NAME", "override"}});
  INFO(DumpDiagnostics(r.diagnostics));
  REQUIRE(r.ok());
  CHECK(r.config->scope == "demo");
  CHECK(r.config->name == "override");
}

TEST_CASE("empty variables are ignored as in Patroni") {
  auto r = Load({{"PATRONI_NAME", ""}});
  REQUIRE(r.ok());
  CHECK(r.config->name == "node1");
}

}  // namespace
}  // namespace pgha::config
