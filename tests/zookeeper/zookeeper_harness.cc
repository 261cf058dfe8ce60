// The conformance suite against a real ZooKeeper 3.8 started for each test case.
#include <zookeeper/zookeeper.h>

#include <stdexcept>

#include "absl/strings/str_cat.h"
#include "harness.h"
#include "pgha/backends/zookeeper.h"
#include "ports.h"
#include "zookeeper_server.h"

namespace pgha::conformance {
namespace {

class ZooKeeperDcsServer final : public DcsServer {
 public:
  ZooKeeperDcsServer() {
    // The C client shuffles its host list; in order, the dead endpoint listed first is really
    // tried first.
    zoo_deterministic_conn_order(1);
    server_.Start();
  }

  std::unique_ptr<dcs::DcsBackend> NewBackend(absl::Duration ttl, absl::Duration retry) override {
    return Make({server_.endpoint()}, ttl, retry);
  }

  std::unique_ptr<dcs::DcsBackend> NewBackendWithDeadEndpoint(absl::Duration ttl,
                                                              absl::Duration retry) override {
    return Make({absl::StrCat("127.0.0.1:", dead_port_), server_.endpoint()}, ttl, retry);
  }

  void Stop() override { server_.Stop(); }
  void Start() override { server_.Start(); }
  std::string Name() const override { return "zookeeper"; }

 private:
  static std::unique_ptr<dcs::DcsBackend> Make(std::vector<std::string> hosts, absl::Duration ttl,
                                               absl::Duration retry) {
    backends::ZooKeeperConfig cfg;
    cfg.hosts = std::move(hosts);
    auto backend = backends::MakeZooKeeperBackend(cfg, ttl, retry);
    if (!backend.ok()) throw std::runtime_error(std::string(backend.status().message()));
    return std::move(*backend);
  }

  testing::ZooKeeperServer server_;
  int dead_port_ = testing::FreePort();
};

}  // namespace

std::unique_ptr<DcsServer> StartDcsServer() { return std::make_unique<ZooKeeperDcsServer>(); }

}  // namespace pgha::conformance
