// The ZooKeeper backend: Debian's libzookeeper-mt 3.8 C client.
//
// One ZooKeeper session per backend object, with session timeout `ttl`, holds this node's
// session-bound keys as ephemeral znodes (its member key and, on the leader, the leader lock).
// Versions are znode data versions; compare-and-set is a versioned set, create-if-absent a create.
// Watches set while reading wake WaitForChange.
//
// ZooKeeper's client library keeps a session alive by itself while the process runs. So that a
// node that stops calling KeepAlive() loses its session-bound keys within `ttl` (as with an etcd
// lease), the backend also keeps a client-side lease: a session that holds ephemeral znodes and
// was not kept alive for `ttl` is closed, which deletes them at once.
//
// Every call is bounded by `retry_timeout`: while ZooKeeper is unreachable calls fail with
// kUnavailable instead of waiting for the connection to come back.
//
// Thread-safety: the backend is safe to call from several threads.
#ifndef PGHA_BACKENDS_ZOOKEEPER_H_
#define PGHA_BACKENDS_ZOOKEEPER_H_

#include <memory>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "pgha/config/config.h"
#include "pgha/dcs/backend.h"

namespace pgha::backends {

// Builds the backend from the `zookeeper:` section. Does not connect yet; the first operation
// does. kInvalidArgument for an unusable section: no hosts, malformed `set_acls` or `auth_data`,
// or `use_ssl` (the Debian C client is built without TLS support).
absl::StatusOr<std::unique_ptr<dcs::DcsBackend>> MakeZooKeeperBackend(
    const config::ZooKeeperConfig& config, absl::Duration ttl, absl::Duration retry_timeout);

}  // namespace pgha::backends

#endif  // PGHA_BACKENDS_ZOOKEEPER_H_
