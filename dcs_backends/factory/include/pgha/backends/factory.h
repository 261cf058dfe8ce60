// The DCS backends pgha ships (etcd v3, Consul, ZooKeeper), registered together, and the
// backend a configuration names built from them (pgha/dcs/backend_registry.h does the lookup).
// The daemon, pghactl and embedders share it; nothing above the SPI knows which store is used.
//
// A program that links this library (any caller of MakeBackend below) has the built-ins
// registered before main, so a configuration it loads is validated with their sections even if
// it never calls RegisterBuiltinBackends(); calling it first thing in main says so explicitly.
//
// Thread-safety: both functions may be called from any thread.
#ifndef PGHA_BACKENDS_FACTORY_H_
#define PGHA_BACKENDS_FACTORY_H_

#include <memory>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "pgha/config/config.h"
#include "pgha/dcs/backend.h"

namespace pgha::backends {

// RegisterEtcd3Backend(), RegisterConsulBackend(), RegisterZooKeeperBackend(). Idempotent.
void RegisterBuiltinBackends();

// RegisterBuiltinBackends(), then the backend that serves config.dcs.section, its session named
// after config.scope and config.name. kInvalidArgument without a DCS section; kNotFound for a
// section no registered backend serves.
absl::StatusOr<std::unique_ptr<dcs::DcsBackend>> MakeBackend(const config::Config& config,
                                                             absl::Duration ttl,
                                                             absl::Duration retry_timeout);

}  // namespace pgha::backends

#endif  // PGHA_BACKENDS_FACTORY_H_
