// The scenario tests' DCS: a real etcd.
#include "absl/strings/str_cat.h"
#include "cluster_harness.h"
#include "etcd_server.h"
#include "ports.h"

namespace pgha::testing {
namespace {

class EtcdScenarioDcs final : public ScenarioDcs {
 public:
  EtcdScenarioDcs() { server_.Start(); }
  std::string NodeYaml() const override {
    return absl::StrCat("etcd3:\n  hosts: ", server_.endpoint(), "\n");
  }
  void Stop() override { server_.Stop(); }
  void Start() override { server_.Start(); }
  std::string Name() const override { return "etcd"; }

 private:
  EtcdServer server_;
};

}  // namespace

std::unique_ptr<ScenarioDcs> StartScenarioDcs() { return std::make_unique<EtcdScenarioDcs>(); }

}  // namespace pgha::testing
