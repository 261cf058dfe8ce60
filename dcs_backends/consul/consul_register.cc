// RegisterConsulBackend: the Consul backend for the `consul:` section.
#include <mutex>

#include "pgha/backends/consul.h"
#include "pgha/dcs/backend_registry.h"

namespace pgha::backends {

void RegisterConsulBackend() {
  static std::once_flag once;
  std::call_once(once, [] {
    dcs::BackendRegistration registration;
    registration.name = "consul";
    registration.sections = ConsulDcsSections();
    registration.make = [](const Json& settings, const std::string&,
                           const dcs::BackendOptions& options) {
      return MakeConsulBackend(ReadConsulConfig(settings), options.ttl, options.retry_timeout,
                               {options.scope, options.member_name});
    };
    dcs::RegisterBackend(std::move(registration));
  });
}

}  // namespace pgha::backends
