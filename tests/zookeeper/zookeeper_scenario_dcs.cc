// The scenario tests' DCS: a real ZooKeeper 3.8.
#include "absl/strings/str_cat.h"
#include "cluster_harness.h"
#include "zookeeper_server.h"

namespace pgha::testing {
namespace {

class ZooKeeperScenarioDcs final : public ScenarioDcs {
 public:
  ZooKeeperScenarioDcs() { server_.Start(); }
  std::string NodeYaml() const override {
    return absl::StrCat("zookeeper:\n  hosts: ['", server_.endpoint(), "']\n");
  }
  void Stop() override { server_.Stop(); }
  void Start() override { server_.Start(); }
  std::string Name() const override { return "zookeeper"; }

 private:
  ZooKeeperServer server_;
};

}  // namespace

std::unique_ptr<ScenarioDcs> StartScenarioDcs() { return std::make_unique<ZooKeeperScenarioDcs>(); }

}  // namespace pgha::testing
