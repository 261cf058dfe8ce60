// This process's Consul session: created on demand with TTL = ttl/2, behavior "delete" and a
// near-zero lock delay (as Patroni does), renewed by KeepAlive, replaced when Consul forgot it.
//
// Thread-safety: all methods are safe to call concurrently.
#ifndef PGHA_BACKENDS_CONSUL_CONSUL_SESSION_H_
#define PGHA_BACKENDS_CONSUL_CONSUL_SESSION_H_

#include <mutex>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "consul_http.h"

namespace pgha::backends::consul {

struct SessionOptions {
  std::string name;                 // "<scope>-<member>"
  std::vector<std::string> checks;  // health checks the session depends on ([] = TTL only)
  absl::Duration lock_delay = absl::Milliseconds(1);
};

class SessionManager {
 public:
  SessionManager(HttpTransport* http, SessionOptions options, absl::Duration ttl);

  // A different TTL takes effect with a new session; the old one is left to expire (destroying
  // it would drop the leader lock at once), and RefreshLock moves the lock over.
  void SetTtl(absl::Duration ttl);

  // The current session, created when there is none. kUnavailable when the agent is down.
  // Every method ends by `deadline`.
  absl::StatusOr<std::string> Ensure(absl::Time deadline);
  // Renews the session (PUT /v1/session/renew); a session Consul no longer knows (404) is
  // replaced by a new one. Creates one when there is none.
  absl::Status KeepAlive(absl::Time deadline);
  // Consul said `id` is invalid (it expired or was destroyed): the next Ensure creates another.
  void Forget(const std::string& id);
  // Destroys the session: Consul deletes its keys at once.
  absl::Status Destroy(absl::Time deadline);

  std::string id() const;

 private:
  absl::StatusOr<std::string> Create(absl::Duration ttl, absl::Time deadline);

  HttpTransport* http_;
  const SessionOptions options_;
  std::mutex create_mu_;  // one creation at a time, so concurrent callers share the session
  mutable std::mutex mu_;
  std::string id_;      // guarded by mu_
  absl::Duration ttl_;  // guarded by mu_: Patroni's ttl (the session TTL is half of it)
  absl::Duration min_session_ttl_ = absl::ZeroDuration();  // guarded by mu_: learnt from Consul
};

}  // namespace pgha::backends::consul

#endif  // PGHA_BACKENDS_CONSUL_CONSUL_SESSION_H_
