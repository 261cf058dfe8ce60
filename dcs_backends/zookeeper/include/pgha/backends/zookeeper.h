// The ZooKeeper backend: Debian's libzookeeper-mt 3.8 C client.
//
// One ZooKeeper session per backend object, with session timeout `ttl`, holds this node's
// session-bound keys as ephemeral znodes (its member key and, on the leader, the leader lock).
// Versions are the znode's mzxid (the zxid of its last write: unlike the data version it never
// repeats when a key is deleted and re-created); compare-and-set checks it and writes with the
// data version read alongside; create-if-absent is a create.
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
// Two libraries: pgha_zookeeper_config (the `zookeeper:` section: schema, typed reading,
// registration with the config module; needs only pgha_config) and pgha_zookeeper (the backend,
// libzookeeper-mt).
//
// Thread-safety: the backend is safe to call from several threads; the Register functions may be
// called from any thread, any number of times.
#ifndef PGHA_BACKENDS_ZOOKEEPER_H_
#define PGHA_BACKENDS_ZOOKEEPER_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "pgha/base/json.h"
#include "pgha/config/dcs_sections.h"
#include "pgha/dcs/backend.h"

namespace pgha::backends {

// The `zookeeper:` section, typed with Patroni's defaults.
struct ZooKeeperConfig {
  std::vector<std::string> hosts;
  bool use_ssl = false;
  std::string cacert, cert, key, key_password;
  bool verify = true;
  Json set_acls = Json::object();
  Json auth_data = Json::object();  // {scheme: credential} or [[scheme, credential], ...]
};

// --- pgha_zookeeper_config ---

// Reads a validated section (Config::dcs.settings).
ZooKeeperConfig ReadZooKeeperConfig(const Json& settings);

// The `zookeeper` section.
std::vector<config::DcsSection> ZooKeeperDcsSections();
// Registers it with the config module only (no backend).
void RegisterZooKeeperConfigSections();

// --- pgha_zookeeper ---

// Builds the backend from the `zookeeper:` section. Does not connect yet; the first operation
// does. kInvalidArgument for an unusable section: no hosts, malformed `set_acls` or `auth_data`,
// or `use_ssl` (the Debian C client is built without TLS support).
absl::StatusOr<std::unique_ptr<dcs::DcsBackend>> MakeZooKeeperBackend(
    const ZooKeeperConfig& config, absl::Duration ttl, absl::Duration retry_timeout);

// Registers the backend for the `zookeeper` section (pgha/dcs/backend_registry.h).
void RegisterZooKeeperBackend();

}  // namespace pgha::backends

#endif  // PGHA_BACKENDS_ZOOKEEPER_H_
