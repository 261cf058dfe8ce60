// RegisterEtcd3Backend: the etcd v3 backend serves both `etcd3:` and `etcd:` (Patroni's v2
// section; pgha speaks only the v3 API).
#include <mutex>

#include "pgha/backends/etcd3.h"
#include "pgha/dcs/backend_registry.h"

namespace pgha::backends {

void RegisterEtcd3Backend() {
  static std::once_flag once;
  std::call_once(once, [] {
    dcs::BackendRegistration registration;
    registration.name = "etcd3";
    registration.sections = Etcd3DcsSections();
    registration.make = [](const Json& settings, const std::string& section,
                           const dcs::BackendOptions& options) {
      return MakeEtcd3Backend(ReadEtcdConfig(settings, section == "etcd"), options.ttl,
                              options.retry_timeout);
    };
    dcs::RegisterBackend(std::move(registration));
  });
}

}  // namespace pgha::backends
