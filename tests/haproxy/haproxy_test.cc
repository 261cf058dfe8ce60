// Real HAProxy with the seed haproxy.cfg files (the checks users run against Patroni today),
// pointed at a local pgha cluster: the read-write port follows the primary through a switchover.
#include <catch2/catch.hpp>

#include <regex>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "cluster_harness.h"
#include "pg_connection.h"
#include "ports.h"
#include "server_process.h"
#include "temp_dir.h"
#include "wait.h"

namespace pgha::testing {
namespace {

struct Proxy {
  std::string fixture;
  int write_port = 0;  // the first listener that checks for the primary
  int read_port = 0;   // the listener that checks for replicas (if any)
  std::unique_ptr<ServerProcess> process;
};

// Rewrites a seed configuration for this machine: listeners on 127.0.0.1 free ports, servers on
// the cluster's ports, and nothing that needs root (chroot, user, syslog, admin socket).
std::string LocalConfig(const std::string& seed, const ClusterHarness& c, Proxy* proxy) {
  std::string out;
  int server = 0;
  static const std::regex kBind(R"(^(\s*)bind\s+\*:(\d+)\s*$)");
  static const std::regex kServer(R"(^(\s*)server\s+(\S+)\s+\S+\s+(.*)check port \d+\s*$)");
  std::string section;
  for (absl::string_view raw : absl::StrSplit(seed, '\n')) {
    std::string line(raw);
    std::string trimmed = line.substr(line.find_first_not_of(" \t") == std::string::npos ? line.size()
                                                                                          : line.find_first_not_of(" \t"));
    if (trimmed.rfind("chroot", 0) == 0 || trimmed.rfind("user ", 0) == 0 || trimmed.rfind("group ", 0) == 0 ||
        trimmed == "daemon" || trimmed.rfind("stats socket", 0) == 0 || trimmed.rfind("log ", 0) == 0 ||
        trimmed.rfind("option tcplog", 0) == 0 || trimmed.rfind("option dontlognull", 0) == 0) {
      continue;
    }
    if (trimmed.rfind("listen ", 0) == 0 || trimmed.rfind("backend ", 0) == 0 || trimmed.rfind("frontend ", 0) == 0) {
      section = trimmed;
      server = 0;
    }
    std::smatch m;
    if (std::regex_match(line, m, kBind)) {
      int port = FreePort();
      bool primary_section = section.find("primary") != std::string::npos || section.find("frontend") == 0;
      bool replica_section = section.find("replica") != std::string::npos || section.find("standbys") != std::string::npos;
      if (primary_section && proxy->write_port == 0) proxy->write_port = port;
      if (replica_section && proxy->read_port == 0) proxy->read_port = port;
      out += absl::StrCat(m[1].str(), "bind 127.0.0.1:", port, "\n");
      continue;
    }
    if (std::regex_match(line, m, kServer)) {
      int i = server++ % c.size();
      out += absl::StrCat(m[1].str(), "server ", m[2].str(), " 127.0.0.1:", c.spec(i).pg_port, " ", m[3].str(),
                          "check port ", c.spec(i).api_port, "\n");
      continue;
    }
    out += line + "\n";
  }
  return out;
}

// The PostgreSQL port behind a proxy port, or 0 when nothing answers.
int BackendPort(const ClusterHarness& c, int proxy_port) {
  auto conn = pg::PgConnection::Connect({{"host", "127.0.0.1"},
                                         {"port", std::to_string(proxy_port)},
                                         {"user", "postgres"},
                                         {"dbname", "postgres"},
                                         {"passfile", c.spec(0).dir + "/pgpass"},
                                         {"connect_timeout", "2"}});
  if (!conn.ok()) return 0;
  auto r = (*conn)->Query("SELECT inet_server_port()");
  if (!r.ok() || r->rows.empty() || !r->rows[0][0]) return 0;
  return std::stoi(*r->rows[0][0]);
}

TEST_CASE("HAProxy with the seed configurations follows the primary through a switchover") {
  RequireScenarioPrerequisites();
  std::string haproxy = FindProgram("haproxy", {"/usr/sbin"});
  if (haproxy.empty()) SkipBinary("haproxy is not installed");
  ClusterHarness c;
  c.StartAll();
  auto primary = c.WaitForHealthy(2, absl::Seconds(120));
  REQUIRE(primary);

  TempDir dir("pgha-haproxy");
  std::vector<Proxy> proxies;
  for (const char* fixture : {"000-haproxy.cfg", "001-haproxy.cfg", "002-haproxy.cfg"}) {
    Proxy p;
    p.fixture = fixture;
    std::string cfg = LocalConfig(ReadFile(FixturePath(std::string("seed-configs/") + fixture)), c, &p);
    std::string path = dir.WriteFile(fixture, cfg);
    REQUIRE(p.write_port != 0);
    p.process = std::make_unique<ServerProcess>(std::vector<std::string>{haproxy, "-db", "-f", path},
                                                dir.Sub(std::string(fixture) + ".log"));
    REQUIRE(p.process->Start());
    proxies.push_back(std::move(p));
  }
  for (auto& p : proxies) {
    INFO(p.fixture << ": " << p.process->LogTail());
    REQUIRE(WaitFor([&] { return BackendPort(c, p.write_port) == c.spec(*primary).pg_port; }, absl::Seconds(60)));
    if (p.read_port != 0) {
      REQUIRE(WaitFor([&] {
        int port = BackendPort(c, p.read_port);
        return port != 0 && port != c.spec(*primary).pg_port;
      }, absl::Seconds(60)));
    }
  }

  int candidate = (*primary + 1) % c.size();
  auto [code, body] = c.Rest(*primary, "POST", "/switchover",
                             absl::StrCat("{\"leader\": \"", c.name(*primary), "\", \"candidate\": \"",
                                          c.name(candidate), "\"}"));
  INFO(body);
  REQUIRE(code == 200);
  for (auto& p : proxies) {
    INFO(p.fixture);
    // HAProxy's own check intervals (inter 3s, fall 3, rise 2 in the seeds) set the pace.
    CHECK(WaitFor([&] { return BackendPort(c, p.write_port) == c.spec(candidate).pg_port; }, absl::Seconds(90)));
    if (p.read_port != 0) {
      CHECK(WaitFor([&] {
        int port = BackendPort(c, p.read_port);
        return port != 0 && port != c.spec(candidate).pg_port;
      }, absl::Seconds(90)));
    }
  }
}

}  // namespace
}  // namespace pgha::testing
