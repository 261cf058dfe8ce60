#include "pgha/backends/factory.h"

#include "pgha/backends/consul.h"
#include "pgha/backends/etcd3.h"
#include "pgha/backends/zookeeper.h"

namespace pgha::backends {

absl::StatusOr<std::unique_ptr<dcs::DcsBackend>> MakeBackend(const config::Config& config,
                                                             absl::Duration ttl,
                                                             absl::Duration retry_timeout) {
  switch (config.dcs.kind) {
    case config::DcsKind::kEtcd3:
      return MakeEtcd3Backend(config.dcs.etcd, ttl, retry_timeout);
    case config::DcsKind::kZooKeeper:
      return MakeZooKeeperBackend(config.dcs.zookeeper, ttl, retry_timeout);
    case config::DcsKind::kConsul:
      return MakeConsulBackend(config.dcs.consul, ttl, retry_timeout, {config.scope, config.name});
  }
  return absl::InvalidArgumentError("no DCS configured");
}

}  // namespace pgha::backends
