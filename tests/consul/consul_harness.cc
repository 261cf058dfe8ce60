// The conformance suite against Consul. PGHA_CONSUL selects the server:
//   unset / "double"  the in-process double of Consul's HTTP API (consul_double.h), a fresh one
//                     per test case; this is what runs on Debian, which ships no Consul.
//   "agent"           a real single-server Consul (`consul` on PATH) per test case; the binary
//                     exits 77 (skipped) when there is none.
//
// Both are configured with session_ttl_min = 1s: the suite uses ttl 4-6 s, so session TTLs of
// 2-3 s, below Consul's default minimum of 10 s (a Patroni user with ttl < 20 s must lower it
// the same way; otherwise the backend falls back to the agent's minimum).
//
// NewBackendWithDeadEndpoint: a Consul client talks to exactly one agent, its node's local one
// (Patroni's `consul.host` is a single address; sessions, checks and service registrations
// belong to that agent's node), so there is no list in which to put a dead endpoint first. Fail-
// over between Consul servers happens behind the agent. Here it returns a normal backend, so the
// "one endpoint down" case checks that everything works through the one agent.
#include <cstdlib>
#include <stdexcept>

#include "absl/strings/str_cat.h"
#include "consul_double.h"
#include "harness.h"
#include "pgha/backends/consul.h"
#include "ports.h"
#include "server_process.h"
#include "temp_dir.h"
#include "wait.h"

namespace pgha::conformance {
namespace {

std::unique_ptr<dcs::DcsBackend> MakeBackend(int port, absl::Duration ttl, absl::Duration retry) {
  backends::ConsulConfig cfg;
  cfg.host = "127.0.0.1";
  cfg.port = port;
  auto backend = backends::MakeConsulBackend(cfg, ttl, retry, {"conformance", "node"});
  if (!backend.ok()) throw std::runtime_error(std::string(backend.status().message()));
  return std::move(*backend);
}

void WaitUntilServing(DcsServer& server, const char* what) {
  auto probe = server.NewBackend(absl::Seconds(10), absl::Seconds(2));
  bool ok = testing::WaitFor([&] { return probe->Load("/", dcs::ReadMode::kLinearizable).ok(); },
                             absl::Seconds(60));
  if (!ok) throw std::runtime_error(absl::StrCat(what, " does not answer"));
}

class DoubleServer final : public DcsServer {
 public:
  DoubleServer() : double_(Options()) { double_.Start(); }

  std::unique_ptr<dcs::DcsBackend> NewBackend(absl::Duration ttl, absl::Duration retry) override {
    return MakeBackend(double_.port(), ttl, retry);
  }
  std::unique_ptr<dcs::DcsBackend> NewBackendWithDeadEndpoint(absl::Duration ttl,
                                                              absl::Duration retry) override {
    return NewBackend(ttl, retry);  // one agent per client: see the top of this file
  }
  void Stop() override { double_.Stop(); }
  void Start() override { double_.Start(); }
  std::string Name() const override { return "consul-double"; }

 private:
  static testing::ConsulDoubleOptions Options() {
    testing::ConsulDoubleOptions o;
    o.session_ttl_min = absl::Seconds(1);
    return o;
  }

  testing::ConsulDouble double_;
};

class AgentServer final : public DcsServer {
 public:
  explicit AgentServer(const std::string& consul) : dir_("pgha-consul") {
    std::string config = absl::StrCat(
        "server = true\n"
        "bootstrap_expect = 1\n"
        "node_name = \"pgha-test\"\n"
        "datacenter = \"dc1\"\n"
        "data_dir = \"",
        dir_.Sub("data"),
        "\"\n"
        "bind_addr = \"127.0.0.1\"\n"
        "advertise_addr = \"127.0.0.1\"\n"
        "client_addr = \"127.0.0.1\"\n"
        "session_ttl_min = \"1s\"\n"
        "log_level = \"warn\"\n"
        "ports {\n"
        "  http = ",
        http_port_,
        "\n"
        "  dns = -1\n"
        "  grpc = -1\n"
        "  serf_lan = ",
        testing::FreePort(),
        "\n"
        "  serf_wan = ",
        testing::FreePort(),
        "\n"
        "  server = ",
        testing::FreePort(),
        "\n"
        "}\n");
    std::string path = dir_.WriteFile("pgha.hcl", config);
    // A server with a data dir rather than -dev: Stop()/Start() must keep the data.
    process_ = std::make_unique<testing::ServerProcess>(
        std::vector<std::string>{consul, "agent", "-config-file", path}, dir_.Sub("consul.log"));
    Start();
  }

  std::unique_ptr<dcs::DcsBackend> NewBackend(absl::Duration ttl, absl::Duration retry) override {
    return MakeBackend(http_port_, ttl, retry);
  }
  std::unique_ptr<dcs::DcsBackend> NewBackendWithDeadEndpoint(absl::Duration ttl,
                                                              absl::Duration retry) override {
    return NewBackend(ttl, retry);  // one agent per client: see the top of this file
  }
  void Stop() override { process_->Stop(); }
  void Start() override {
    if (!process_->Start()) throw std::runtime_error("cannot start consul");
    try {
      WaitUntilServing(*this, "consul");
    } catch (const std::exception&) {
      throw std::runtime_error("consul did not start: " + process_->LogTail());
    }
  }
  std::string Name() const override { return "consul"; }

 private:
  testing::TempDir dir_;
  int http_port_ = testing::FreePort();
  std::unique_ptr<testing::ServerProcess> process_;
};

}  // namespace

std::unique_ptr<DcsServer> StartDcsServer() {
  const char* mode = std::getenv("PGHA_CONSUL");
  if (mode != nullptr && std::string(mode) == "agent") {
    std::string consul = testing::FindProgram("consul", {"/usr/bin", "/usr/local/bin"});
    if (consul.empty())
      testing::SkipBinary("consul is not installed (Debian ships no Consul server)");
    return std::make_unique<AgentServer>(consul);
  }
  return std::make_unique<DoubleServer>();
}

}  // namespace pgha::conformance
