// The Consul backend: Consul's HTTP API (KV store, transactions, sessions) through the local
// agent, the way Patroni's consul.py uses it.
//
// One session per backend object, TTL = ttl/2 (Consul invalidates a session only 2x its TTL after
// the last renewal, so the keys vanish about `ttl` after the holder stopped), behavior "delete",
// lock delay ~0, optional health checks. Session-bound keys (the leader lock, member keys) are
// written by acquiring them for that session. Versions are Consul's ModifyIndex; the snapshot
// revision is the X-Consul-Index of the prefix; WaitForChange is a blocking query on the prefix.
// Writes that must be atomic (create-if-absent with a lock, compare-and-set, re-binding the lock
// to a new session) go through /v1/txn, which also returns the new ModifyIndex.
//
// Two libraries: pgha_consul_config (the `consul:` section: schema, typed reading, registration
// with the config module; needs only pgha_config) and pgha_consul (the backend, cpp-httplib).
//
// Thread-safety: the backend and the registrar are safe to call from several threads; the
// Register functions may be called from any thread, any number of times.
#ifndef PGHA_BACKENDS_CONSUL_H_
#define PGHA_BACKENDS_CONSUL_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "pgha/base/json.h"
#include "pgha/config/dcs_sections.h"
#include "pgha/dcs/backend.h"

namespace pgha::backends {

// The `consul:` section, typed with Patroni's defaults.
struct ConsulConfig {
  std::string host = "127.0.0.1";
  int port = 8500;
  std::string scheme = "http";
  std::string token;
  bool verify = true;
  std::string cacert, cert, key;
  std::string dc;
  std::string consistency = "default";
  std::vector<std::string> checks;
  bool register_service = false;
  std::vector<std::string> service_tags;
  std::string service_check_interval = "5s";
  std::string service_check_tls_server_name;
};

// --- pgha_consul_config ---

// Reads a validated section (Config::dcs.settings). `host` is "host[:port]" ("[v6]:port" too),
// default 127.0.0.1:8500; `url` wins over it (https sets scheme); `port` and `scheme` win over
// both, as in Patroni.
ConsulConfig ReadConsulConfig(const Json& settings);

// The `consul` section.
std::vector<config::DcsSection> ConsulDcsSections();
// Registers it with the config module only (no backend).
void RegisterConsulConfigSections();

// --- pgha_consul ---

// What the session is called in Consul ("<scope>-<member>", as Patroni names it). Optional:
// without it the name is "pgha-<hostname>".
struct ConsulSessionName {
  std::string scope;        // "" -> "pgha"
  std::string member_name;  // "" -> this host's name
};

// Builds the backend from the `consul:` section. Does not connect yet; the first operation does.
// kInvalidArgument for an unusable section (bad scheme or port, unreadable TLS files).
absl::StatusOr<std::unique_ptr<dcs::DcsBackend>> MakeConsulBackend(
    const ConsulConfig& config, absl::Duration ttl, absl::Duration retry_timeout,
    const ConsulSessionName& name = {});

// Registers the backend for the `consul` section (pgha/dcs/backend_registry.h). The session is
// named after BackendOptions::scope and member_name.
void RegisterConsulBackend();

// What the daemon knows about this member each loop, for Consul's service catalog.
struct ConsulServiceMember {
  std::string scope;     // the service is named after it (DNS-safe form, as Patroni does)
  std::string name;      // the member; the service id is "<scope>/<name>"
  std::string role;      // primary, replica, standby_leader, ...
  std::string state;     // running, stopped, ...
  std::string api_url;   // the REST API; the HTTP check probes <scheme>://<host:port>/<role>
  std::string conn_url;  // postgres://host:port/...; the service address and port
};

// `register_service: true`: registers this member as a service of the local agent with its role
// as a tag and an HTTP health check on its REST API, and deregisters it when PostgreSQL stopped
// (Patroni's update_service). Update() talks to the agent only when something changed since the
// last successful call (or the configuration asks for it again after a failure).
class ConsulServiceRegistrar {
 public:
  virtual ~ConsulServiceRegistrar() = default;
  // Blocks up to retry_timeout. kUnavailable when the agent cannot be reached; kPermissionDenied
  // for ACLs; kInvalidArgument when the member's URLs cannot be parsed.
  virtual absl::Status Update(const ConsulServiceMember& member) = 0;
  // Removes the member's service (on shutdown, or when register_service was turned off).
  virtual absl::Status Deregister(const std::string& scope, const std::string& name) = 0;
};

// `ttl` sets the check's DeregisterCriticalServiceAfter (10x the session TTL = 5x ttl).
absl::StatusOr<std::unique_ptr<ConsulServiceRegistrar>> MakeConsulServiceRegistrar(
    const ConsulConfig& config, absl::Duration ttl, absl::Duration retry_timeout);

// The Consul service name for a scope: lower case, only [a-z0-9-], at most 230 characters.
std::string ConsulServiceName(const std::string& scope);

}  // namespace pgha::backends

#endif  // PGHA_BACKENDS_CONSUL_H_
