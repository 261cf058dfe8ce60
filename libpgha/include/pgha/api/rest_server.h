// The REST API on restapi.listen: Patroni's paths, methods, status codes and JSON.
//
// Handlers read the NodeStatus the HA loop publishes and hand commands to the loop through the
// StatusBoard mailbox; they never write the DCS or change PostgreSQL themselves, and the loop
// never waits for them. GET /patroni alone asks PostgreSQL for its current WAL position (one
// query), as Patroni does: other nodes compare positions with it in the leader race. Unsafe methods (POST, PUT, PATCH, DELETE) go through basic auth, the
// allowlist and client-certificate checks. Requests are bounded in size and time.
//
// Thread-safety: the server runs its own threads; Start/Stop from one thread.
#ifndef PGHA_API_REST_SERVER_H_
#define PGHA_API_REST_SERVER_H_

#include <functional>
#include <memory>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "pgha/base/clock.h"
#include "pgha/config/config.h"
#include "pgha/ha/node_status.h"
#include "pgha/ha/peer_prober.h"

namespace pgha::api {

struct RestServerOptions {
  config::RestApiConfig config;
  ha::StatusBoard* board = nullptr;     // not owned
  ha::PeerProber* prober = nullptr;     // not owned: switchover candidate checks
  Clock* clock = nullptr;               // not owned; RealClock if null
  // The role and WAL positions right now (PostgresController::ObservePositions); GET /patroni
  // answers with the published ones when unset.
  std::function<pg::Observation()> live_positions;
  // Current timings from the dynamic configuration (they change at run time).
  std::function<absl::Duration()> ttl = [] { return absl::Seconds(30); };
  std::function<absl::Duration()> loop_wait = [] { return absl::Seconds(10); };
};

class RestServer {
 public:
  // Binds restapi.listen and starts serving. kUnavailable when the address cannot be bound,
  // kInvalidArgument for a bad listen address or unreadable TLS files.
  static absl::StatusOr<std::unique_ptr<RestServer>> Start(RestServerOptions options);
  virtual ~RestServer() = default;
  virtual int port() const = 0;
  // Applies a reloaded restapi section (SIGHUP, POST /reload): certificate, key, CA, ciphers,
  // verify_client, authentication, allowlist, headers, server_tokens; the certificate files are
  // read again even when their names did not change (rotation). Connections keep being
  // accepted throughout. An error (unreadable files, a changed listen address) keeps the
  // current settings.
  virtual absl::Status Reload(const config::RestApiConfig& config) = 0;
  virtual void Stop() = 0;
};

}  // namespace pgha::api

#endif  // PGHA_API_REST_SERVER_H_
