// Routing one parsed request to its answer: the read-only views (GET, HEAD, OPTIONS) and the
// unsafe actions behind the access checks. Separate from the server's sockets so that the
// fuzzer (tests/fuzz/fuzz_rest_request.cc) drives every path, header and body through exactly
// what a connection thread runs.
//
// Thread-safety: Handle is safe from any number of threads (it reads the published status).
#ifndef PGHA_API_ROUTER_H_
#define PGHA_API_ROUTER_H_

#include <httplib.h>

#include <vector>

#include "access.h"
#include "pgha/api/rest_server.h"
#include "pgha/base/clock.h"

namespace pgha::api::internal {

class Router {
 public:
  // `options` (with its board) and `clock` must outlive the router.
  Router(const RestServerOptions* options, Clock* clock);

  // Fills `res` for `req`, whatever its method, path, headers and body.
  void Handle(const httplib::Request& req, httplib::Response& res) const;

 private:
  void AddHeaders(httplib::Response& res) const;
  // Basic auth, allowlist and client certificates for unsafe methods (Patroni's check_access).
  bool Allowed(const httplib::Request& req, httplib::Response& res) const;
  void Get(const httplib::Request& req, httplib::Response& res, bool status_only) const;
  void Unsafe(const httplib::Request& req, httplib::Response& res) const;

  const RestServerOptions* o_;
  Clock* clock_;
  std::vector<Network> allowlist_;
};

}  // namespace pgha::api::internal

#endif  // PGHA_API_ROUTER_H_
