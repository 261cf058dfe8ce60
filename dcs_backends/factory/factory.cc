#include "pgha/backends/factory.h"

#include "pgha/backends/consul.h"
#include "pgha/backends/etcd3.h"
#include "pgha/backends/zookeeper.h"
#include "pgha/dcs/backend_registry.h"

namespace pgha::backends {
namespace {

// Programs written before the registry load their configuration first and call MakeBackend
// afterwards (examples/embed/follow_cluster.cc): registering when this file is linked keeps
// their DCS section validated and served. Safe before main: the registries are function-local
// statics and the Register functions use std::call_once.
[[maybe_unused]] const bool kRegisteredAtStartup = [] {
  RegisterBuiltinBackends();
  return true;
}();

}  // namespace

void RegisterBuiltinBackends() {
  RegisterEtcd3Backend();
  RegisterConsulBackend();
  RegisterZooKeeperBackend();
}

absl::StatusOr<std::unique_ptr<dcs::DcsBackend>> MakeBackend(const config::Config& config,
                                                             absl::Duration ttl,
                                                             absl::Duration retry_timeout) {
  RegisterBuiltinBackends();
  dcs::BackendOptions options;
  options.ttl = ttl;
  options.retry_timeout = retry_timeout;
  options.scope = config.scope;
  options.member_name = config.name;
  return dcs::MakeBackend(config.dcs, options);
}

}  // namespace pgha::backends
