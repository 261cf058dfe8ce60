// The etcd v3 backend: native gRPC to etcd's KV, Lease and Watch services.
//
// One lease per process with TTL `ttl` holds this node's session-bound keys (its member key and,
// on the leader, the leader lock). Compare-and-set is a Txn with compares on mod_revision (and
// value and lease for the lock). One prefix Watch stream per watched cluster wakes waiters.
#ifndef PGHA_BACKENDS_ETCD3_H_
#define PGHA_BACKENDS_ETCD3_H_

#include <memory>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "pgha/config/config.h"
#include "pgha/dcs/backend.h"

namespace pgha::backends {

// Builds the backend from the `etcd3:` (or `etcd:`) section. Does not connect yet; the first
// operation does. kInvalidArgument for an unusable section (no endpoints, unreadable TLS files).
absl::StatusOr<std::unique_ptr<dcs::DcsBackend>> MakeEtcd3Backend(const config::EtcdConfig& config,
                                                                  absl::Duration ttl,
                                                                  absl::Duration retry_timeout);

}  // namespace pgha::backends

#endif  // PGHA_BACKENDS_ETCD3_H_
