// The etcd v3 backend: native gRPC to etcd's KV, Lease and Watch services.
//
// One lease per process with TTL `ttl` holds this node's session-bound keys (its member key and,
// on the leader, the leader lock). Compare-and-set is a Txn with compares on mod_revision (and
// value and lease for the lock). One prefix Watch stream per watched cluster wakes waiters.
//
// Two libraries: pgha_etcd3_config (the `etcd3:`/`etcd:` sections: schema, typed reading,
// registration with the config module; needs only pgha_config) and pgha_etcd3 (the backend,
// gRPC). A program that only validates configurations (the fuzz targets) links the first.
//
// Thread-safety: the backend is safe to call from several threads; the Register functions may be
// called from any thread, any number of times.
#ifndef PGHA_BACKENDS_ETCD3_H_
#define PGHA_BACKENDS_ETCD3_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "pgha/base/json.h"
#include "pgha/config/dcs_sections.h"
#include "pgha/dcs/backend.h"

namespace pgha::backends {

// The `etcd3:` (or `etcd:`) section, typed with Patroni's defaults.
struct EtcdConfig {
  bool from_v2_section = false;    // the config said `etcd:`; served by the v3 backend
  std::vector<std::string> hosts;  // host:port, from host/hosts/url/proxy
  std::string srv, srv_suffix;     // DNS SRV discovery
  bool use_proxies = false;        // do not discover cluster members (proxy or fixed list)
  std::string protocol = "http";
  std::string username, password;
  std::string cacert, cert, key, key_password;
};

// --- pgha_etcd3_config ---

// Reads a validated section (Config::dcs.settings). hosts comes from hosts, else host, else url,
// else proxy (which also sets use_proxies); URLs lose their scheme (https sets protocol); without
// hosts or srv it is 127.0.0.1:2379, as in Patroni.
EtcdConfig ReadEtcdConfig(const Json& settings, bool from_v2_section);

// The `etcd3` and `etcd` sections (etcd3 preferred; `etcd` warns that v3 serves it).
std::vector<config::DcsSection> Etcd3DcsSections();
// Registers those sections with the config module only (no backend).
void RegisterEtcd3ConfigSections();

// --- pgha_etcd3 ---

// Builds the backend from the typed section. Does not connect yet; the first operation does.
// kInvalidArgument for an unusable section (no endpoints, unreadable TLS files).
absl::StatusOr<std::unique_ptr<dcs::DcsBackend>> MakeEtcd3Backend(const EtcdConfig& config,
                                                                  absl::Duration ttl,
                                                                  absl::Duration retry_timeout);

// Registers the backend for the `etcd3` and `etcd` sections (pgha/dcs/backend_registry.h).
void RegisterEtcd3Backend();

}  // namespace pgha::backends

#endif  // PGHA_BACKENDS_ETCD3_H_
