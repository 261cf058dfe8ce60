#include <catch2/catch.hpp>

#include "absl/strings/str_replace.h"
#include "config_test_util.h"
#include "pgha/backends/consul.h"
#include "pgha/backends/etcd3.h"
#include "pgha/backends/zookeeper.h"
#include "pgha/config/loader.h"
#include "temp_dir.h"

namespace pgha::config {
namespace {

using testing::DumpDiagnostics;
using testing::FindDiagnostic;
using testing::MinimalConfig;

LoadResult Load(const std::string& text, const Environment& env = {}) {
  return LoadLocalConfigFromText(text, "t.yml", env);
}

std::string Replace(const std::string& from, const std::string& to) {
  std::string text = MinimalConfig();
  REQUIRE(text.find(from) != std::string::npos);
  return absl::StrReplaceAll(text, {{from, to}});
}

TEST_CASE("the minimal configuration is valid and typed with Patroni's defaults") {
  auto r = Load(MinimalConfig());
  INFO(DumpDiagnostics(r.diagnostics));
  REQUIRE(r.ok());
  const Config& c = *r.config;
  CHECK(c.name == "node1");
  CHECK(c.scope == "demo");
  CHECK(c.namespace_ == "/service");
  CHECK(c.dcs.configured);
  CHECK(c.dcs.section == "etcd3");
  CHECK(backends::ReadEtcdConfig(c.dcs.settings, false).hosts ==
        std::vector<std::string>{"10.0.0.9:2379"});
  CHECK(c.postgresql.superuser.password == "secret");
  CHECK(c.postgresql.create_replica_methods == std::vector<std::string>{"basebackup"});
  CHECK(c.postgresql.pg_ctl_timeout == 60);
  CHECK(c.restapi.request_queue_size == 5);
  CHECK(c.watchdog.mode == WatchdogMode::kAutomatic);
  CHECK(c.tags.FailoverPriority() == 1);
  CHECK_FALSE(c.bootstrap.present);
}

TEST_CASE("a name or scope that would corrupt a DCS key or a path is refused where it stands") {
  struct Bad {
    std::string yaml;  // replaces `name: node1`
    const char* key;
    const char* why;
  };
  std::vector<Bad> bad = {
      {"name: ''", "name", "must not be empty"},
      {"name: a/b", "name", "must not contain '/'"},
      {"name: '..'", "name", "must not be '.' or '..'"},
      {"name: \"a\\nb\"", "name", "control characters"},
      {"name: \"a\\0b\"", "name", "control characters"},
      {std::string("name: a\xff") + "b", "name", "not valid UTF-8"},  // a raw byte, not an escape
      {std::string("name: a\xf5\x80\x80\x80"), "name", "not valid UTF-8"},  // above U+10FFFF
      {std::string("name: a\xed\xa0\x80"), "name", "not valid UTF-8"},      // a surrogate
      {std::string("name: a\xc0\xaf"), "name", "not valid UTF-8"},          // overlong '/'
  };
  for (const auto& b : bad) {
    INFO(b.yaml);
    auto r = Load(Replace("name: node1", b.yaml));
    CHECK_FALSE(r.ok());
    auto d = FindDiagnostic(r.diagnostics, b.key, b.why);
    INFO(DumpDiagnostics(r.diagnostics));
    REQUIRE(d);
    CHECK(d->ToString().rfind("t.yml:", 0) == 0);
  }
  auto scope = Load(Replace("scope: demo", "scope: ../demo"));
  CHECK_FALSE(scope.ok());
  CHECK(FindDiagnostic(scope.diagnostics, "scope", "must not contain '/'"));
  CHECK(Load(Replace("name: node1", "name: nœud-1")).ok());  // UTF-8 is fine
}

TEST_CASE("verify_client without a CA or without TLS, and a missing certfile, are reported") {
  auto no_ca = Load(Replace("  connect_address: 10.0.0.1:8008\n",
                            "  connect_address: 10.0.0.1:8008\n  certfile: /nonexistent/server.crt\n"
                            "  verify_client: required\n"));
  INFO(DumpDiagnostics(no_ca.diagnostics));
  CHECK(FindDiagnostic(no_ca.diagnostics, "restapi.verify_client", "needs restapi.cafile"));
  CHECK(FindDiagnostic(no_ca.diagnostics, "restapi.certfile", "does not exist on this machine"));
  auto no_tls = Load(Replace("  connect_address: 10.0.0.1:8008\n",
                             "  connect_address: 10.0.0.1:8008\n  verify_client: optional\n"));
  CHECK(FindDiagnostic(no_tls.diagnostics, "restapi.verify_client", "needs restapi.certfile"));
}

TEST_CASE("a missing required key names the key and points at its parent") {
  auto r = Load(Replace("  data_dir: /nonexistent/pgha-data\n", ""));
  CHECK_FALSE(r.ok());
  auto d = FindDiagnostic(r.diagnostics, "postgresql.data_dir", "required");
  REQUIRE(d);
  CHECK(d->pos.line == 8);  // the `postgresql:` line
  CHECK(d->ToString() == "t.yml:8:1: postgresql.data_dir: required setting is missing");
}

TEST_CASE("a wrong type is reported at the value") {
  auto r = Load(MinimalConfig() + "bootstrap:\n  dcs:\n    ttl: thirty\n");
  CHECK_FALSE(r.ok());
  auto d = FindDiagnostic(r.diagnostics, "bootstrap.dcs.ttl", "expected an integer");
  REQUIRE(d);
  CHECK(d->pos.line == 21);
  CHECK(d->pos.column == 10);
}

TEST_CASE("an empty section where a mapping is needed is an error") {
  auto r = Load(Replace("restapi:\n  listen: 0.0.0.0:8008\n  connect_address: 10.0.0.1:8008\n",
                        "restapi:\n"));
  CHECK_FALSE(r.ok());
  auto d = FindDiagnostic(r.diagnostics, "restapi", "is empty");
  REQUIRE(d);
}

TEST_CASE("a list where a mapping is needed is an error") {
  auto r = Load(Replace("    superuser:\n      username: postgres\n      password: secret\n",
                        "    superuser:\n      - postgres\n"));
  CHECK_FALSE(r.ok());
  REQUIRE(FindDiagnostic(r.diagnostics, "postgresql.authentication.superuser", "expected a mapping"));
}

TEST_CASE("unknown keys are warnings, not errors") {
  auto r = Load(MinimalConfig() + "restapi_typo: 1\n");
  REQUIRE(r.ok());
  auto d = FindDiagnostic(r.diagnostics, "restapi_typo", "unknown setting");
  REQUIRE(d);
  CHECK(d->severity == Severity::kWarning);
  CHECK(d->ToString() == "t.yml:19:1: restapi_typo: unknown setting (ignored) (warning)");
}

TEST_CASE("bad addresses are errors") {
  SECTION("missing port") {
    auto r = Load(Replace("listen: 0.0.0.0:8008", "listen: 0.0.0.0"));
    REQUIRE(FindDiagnostic(r.diagnostics, "restapi.listen", "missing port"));
    CHECK_FALSE(r.ok());
  }
  SECTION("port out of range") {
    auto r = Load(Replace("connect_address: 10.0.0.1:5432", "connect_address: 10.0.0.1:70000"));
    REQUIRE(FindDiagnostic(r.diagnostics, "postgresql.connect_address", "1 to 65535"));
    CHECK_FALSE(r.ok());
  }
  SECTION("wildcard connect address") {
    auto r = Load(Replace("connect_address: 10.0.0.1:8008", "connect_address: 0.0.0.0:8008"));
    REQUIRE(FindDiagnostic(r.diagnostics, "restapi.connect_address", "listen-everywhere"));
    CHECK_FALSE(r.ok());
  }
  SECTION("loopback connect address is only a warning") {
    auto r = Load(Replace("connect_address: 10.0.0.1:8008", "connect_address: 127.0.0.1:8008"));
    auto d = FindDiagnostic(r.diagnostics, "restapi.connect_address", "loopback");
    REQUIRE(d);
    CHECK(d->severity == Severity::kWarning);
    CHECK(r.ok());
  }
  SECTION("bad host in an etcd host list") {
    auto r = Load(Replace("hosts: 10.0.0.9:2379", "hosts: [\"10.0.0.9:2379\", \"bad host:1\"]"));
    REQUIRE(FindDiagnostic(r.diagnostics, "etcd3.hosts.1", "not a valid host"));
  }
}

TEST_CASE("out-of-range values are errors") {
  auto r = Load(MinimalConfig() +
                "bootstrap:\n  dcs:\n    loop_wait: 0\n    postgresql:\n      parameters:\n"
                "        max_connections: 0\n");
  CHECK_FALSE(r.ok());
  REQUIRE(FindDiagnostic(r.diagnostics, "bootstrap.dcs.loop_wait", "below the minimum 1"));
  REQUIRE(FindDiagnostic(r.diagnostics, "bootstrap.dcs.postgresql.parameters.max_connections",
                         "below the minimum"));
}

TEST_CASE("Patroni's timing rule is a warning naming the adjusted values") {
  auto r = Load(MinimalConfig() +
                "bootstrap:\n  dcs:\n    ttl: 30\n    loop_wait: 10\n    retry_timeout: 30\n");
  REQUIRE(r.ok());
  auto d = FindDiagnostic(r.diagnostics, "bootstrap.dcs.retry_timeout", "loop_wait + 2*retry_timeout");
  REQUIRE(d);
  CHECK(d->severity == Severity::kWarning);
  CHECK(d->message.find("loop_wait=1, retry_timeout=14") != std::string::npos);
}

TEST_CASE("enumerated values are checked") {
  auto r = Load(MinimalConfig() + "log:\n  level: LOUD\nwatchdog:\n  mode: sometimes\n");
  CHECK_FALSE(r.ok());
  REQUIRE(FindDiagnostic(r.diagnostics, "log.level", "not one of"));
  REQUIRE(FindDiagnostic(r.diagnostics, "watchdog.mode", "off, automatic or required"));
  auto off = Load(MinimalConfig() + "watchdog:\n  mode: off\n");
  REQUIRE(off.ok());
  CHECK(off.config->watchdog.mode == WatchdogMode::kOff);
}

TEST_CASE("contradictory tags are errors") {
  auto r = Load(MinimalConfig() + "tags:\n  nofailover: true\n  failover_priority: 2\n");
  CHECK_FALSE(r.ok());
  REQUIRE(FindDiagnostic(r.diagnostics, "tags.failover_priority", "mutually exclusive"));
}

TEST_CASE("tags: typed flags and the published set (falsy tags left out, user tags kept)") {
  auto r = Load(MinimalConfig() +
                "tags:\n  nofailover: false\n  noloadbalance: true\n  dc: east\n  nosync: false\n");
  REQUIRE(r.ok());
  CHECK(r.config->tags.noloadbalance);
  CHECK_FALSE(r.config->tags.nofailover);
  CHECK(r.config->tags.all == Json({{"noloadbalance", true}, {"dc", "east"}}));
}

TEST_CASE("a DCS section is required, and unsupported ones are rejected") {
  auto none = Load(Replace("etcd3:\n  hosts: 10.0.0.9:2379\n", ""));
  CHECK_FALSE(none.ok());
  REQUIRE(FindDiagnostic(none.diagnostics, "", "no DCS configured"));
  // Built from the registered sections: the built-ins, in Patroni's order of preference.
  CHECK(FindDiagnostic(none.diagnostics, "",
                       "no DCS configured: add an etcd3, etcd, consul or zookeeper section"));
  auto k8s = Load(Replace("etcd3:\n  hosts: 10.0.0.9:2379\n", "kubernetes:\n  labels: {}\n"));
  CHECK_FALSE(k8s.ok());
  REQUIRE(FindDiagnostic(k8s.diagnostics, "kubernetes", "not supported"));
}

TEST_CASE("each DCS section types its settings") {
  auto consul = Load(Replace("etcd3:\n  hosts: 10.0.0.9:2379\n",
                             "consul:\n  url: https://c1:8501\n  token: t\n  register_service: true\n"));
  REQUIRE(consul.ok());
  CHECK(consul.config->dcs.section == "consul");
  backends::ConsulConfig consul_cfg = backends::ReadConsulConfig(consul.config->dcs.settings);
  CHECK(consul_cfg.scheme == "https");
  CHECK(consul_cfg.host == "c1");
  CHECK(consul_cfg.port == 8501);
  CHECK(consul_cfg.register_service);
  auto zk = Load(Replace("etcd3:\n  hosts: 10.0.0.9:2379\n", "zookeeper:\n  hosts: ['z1:2181', 'z2:2181']\n"));
  REQUIRE(zk.ok());
  CHECK(zk.config->dcs.section == "zookeeper");
  CHECK(backends::ReadZooKeeperConfig(zk.config->dcs.settings).hosts ==
        std::vector<std::string>{"z1:2181", "z2:2181"});
  auto v2 = Load(Replace("etcd3:\n  hosts: 10.0.0.9:2379\n", "etcd:\n  url: http://e1:2379/\n"));
  REQUIRE(v2.ok());
  CHECK(v2.config->dcs.section == "etcd");
  backends::EtcdConfig v2_cfg = backends::ReadEtcdConfig(v2.config->dcs.settings, true);
  CHECK(v2_cfg.from_v2_section);
  CHECK(v2_cfg.hosts == std::vector<std::string>{"e1:2379"});
  REQUIRE(FindDiagnostic(v2.diagnostics, "etcd", "v3 backend"));
}

TEST_CASE("custom bootstrap and replica methods need their sections") {
  auto r = Load(MinimalConfig() +
                "bootstrap:\n  method: restore\n"
                "  restore:\n    command: /bin/restore\n    target: latest\n");
  REQUIRE(r.ok());
  CHECK(r.config->bootstrap.method == "restore");
  CHECK(r.config->bootstrap.method_options["target"] == Json("latest"));
  auto missing = Load(MinimalConfig() + "bootstrap:\n  method: wal_e\n");
  CHECK_FALSE(missing.ok());
  REQUIRE(FindDiagnostic(missing.diagnostics, "bootstrap.method", "no bootstrap.wal_e"));
  auto replica = Load(Replace("  data_dir: /nonexistent/pgha-data\n",
                              "  data_dir: /nonexistent/pgha-data\n"
                              "  create_replica_methods: [wal_g, basebackup]\n"
                              "  wal_g:\n    command: /bin/wal-g-restore\n    no_leader: true\n"));
  INFO(DumpDiagnostics(replica.diagnostics));
  REQUIRE(replica.ok());
  CHECK(replica.config->postgresql.replica_methods.at("wal_g")["no_leader"] == Json(true));
  auto replica_missing = Load(Replace("  data_dir: /nonexistent/pgha-data\n",
                                      "  data_dir: /nonexistent/pgha-data\n"
                                      "  create_replica_methods: [pgbackrest]\n"));
  CHECK_FALSE(replica_missing.ok());
}

TEST_CASE("paths that do not exist here are warnings, a data_dir that is a file is an error") {
  testing::TempDir dir;
  auto r = Load(MinimalConfig() + "");
  REQUIRE(r.ok());
  REQUIRE(FindDiagnostic(r.diagnostics, "postgresql.data_dir", "does not exist"));
  std::string file = dir.WriteFile("not-a-dir", "x");
  auto bad = Load(Replace("/nonexistent/pgha-data", file));
  CHECK_FALSE(bad.ok());
  REQUIRE(FindDiagnostic(bad.diagnostics, "postgresql.data_dir", "is not a directory"));
  auto bin = Load(Replace("  data_dir: /nonexistent/pgha-data\n",
                          "  data_dir: /nonexistent/pgha-data\n  bin_dir: /nonexistent/bin\n"));
  REQUIRE(bin.ok());
  REQUIRE(FindDiagnostic(bin.diagnostics, "postgresql.bin_dir", "does not exist"));
}

TEST_CASE("every seed configuration validates") {
  for (const char* name : {"001-pg-node1.yml", "001-pg-node2.yml", "001-pg-node3.yml",
                           "002-node1.yml", "002-node2.yml", "002-node3.yml", "003-postgres1.yml"}) {
    auto r = LoadLocalConfig(testing::FixturePath(std::string("seed-configs/") + name), {});
    INFO(name << "\n" << DumpDiagnostics(r.diagnostics));
    CHECK(r.ok());
  }
  auto node = LoadLocalConfig(testing::FixturePath("seed-configs/002-node1.yml"), {});
  REQUIRE(node.ok());
  CHECK(node.config->namespace_ == "/pg_cluster");
  CHECK(backends::ReadEtcdConfig(node.config->dcs.settings, false).hosts.size() == 3);
  CHECK(node.config->bootstrap.initdb.size() == 2);
  CHECK(node.config->postgresql.pgpass == "/tmp/pgpass0");
}

TEST_CASE("MaskSecrets hides passwords and tokens anywhere in the document") {
  auto r = Load(MinimalConfig());
  REQUIRE(r.ok());
  Json masked = MaskSecrets(r.document.root);
  CHECK(masked["postgresql"]["authentication"]["superuser"]["password"] == Json("******"));
  CHECK(masked["postgresql"]["authentication"]["superuser"]["username"] == Json("postgres"));
  CHECK(masked["postgresql"]["authentication"]["replication"]["password"] == Json("******"));
}

}  // namespace
}  // namespace pgha::config
