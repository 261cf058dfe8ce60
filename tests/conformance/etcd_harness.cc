// The conformance suite against a real etcd 3.4 started for each test case.
#include <stdexcept>

#include "absl/strings/str_cat.h"
#include "etcd_server.h"
#include "harness.h"
#include "pgha/backends/etcd3.h"
#include "ports.h"
#include "wait.h"

namespace pgha::conformance {
namespace {

class EtcdDcsServer final : public DcsServer {
 public:
  EtcdDcsServer() {
    server_.Start();
    WaitUntilServing();
  }

  std::unique_ptr<dcs::DcsBackend> NewBackend(absl::Duration ttl, absl::Duration retry) override {
    return Make({server_.endpoint()}, ttl, retry);
  }

  std::unique_ptr<dcs::DcsBackend> NewBackendWithDeadEndpoint(absl::Duration ttl,
                                                              absl::Duration retry) override {
    return Make({absl::StrCat("127.0.0.1:", dead_port_), server_.endpoint()}, ttl, retry);
  }

  void Stop() override { server_.Stop(); }
  void Start() override {
    server_.Start();
    WaitUntilServing();
  }
  std::string Name() const override { return "etcd"; }

 private:
  std::unique_ptr<dcs::DcsBackend> Make(std::vector<std::string> hosts, absl::Duration ttl,
                                        absl::Duration retry) {
    backends::EtcdConfig cfg;
    cfg.hosts = std::move(hosts);
    // Discovery would add the real endpoint's advertised URL; keep the list as given.
    cfg.use_proxies = true;
    auto backend = backends::MakeEtcd3Backend(cfg, ttl, retry);
    if (!backend.ok()) throw std::runtime_error(std::string(backend.status().message()));
    return std::move(*backend);
  }

  void WaitUntilServing() {
    auto probe = NewBackend(absl::Seconds(10), absl::Seconds(2));
    bool ok = testing::WaitFor([&] { return probe->Load("/", dcs::ReadMode::kLinearizable).ok(); },
                               absl::Seconds(60));
    if (!ok) throw std::runtime_error("etcd does not answer");
  }

  testing::EtcdServer server_;
  int dead_port_ = testing::FreePort();
};

}  // namespace

std::unique_ptr<DcsServer> StartDcsServer() { return std::make_unique<EtcdDcsServer>(); }

}  // namespace pgha::conformance
