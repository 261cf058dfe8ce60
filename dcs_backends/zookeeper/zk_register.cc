// RegisterZooKeeperBackend: the ZooKeeper backend for the `zookeeper:` section.
#include <mutex>

#include "pgha/backends/zookeeper.h"
#include "pgha/dcs/backend_registry.h"

namespace pgha::backends {

void RegisterZooKeeperBackend() {
  static std::once_flag once;
  std::call_once(once, [] {
    dcs::BackendRegistration registration;
    registration.name = "zookeeper";
    registration.sections = ZooKeeperDcsSections();
    registration.make = [](const Json& settings, const std::string&,
                           const dcs::BackendOptions& options) {
      return MakeZooKeeperBackend(ReadZooKeeperConfig(settings), options.ttl,
                                  options.retry_timeout);
    };
    dcs::RegisterBackend(std::move(registration));
  });
}

}  // namespace pgha::backends
