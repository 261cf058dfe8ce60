// The conformance suite's view of a DCS: every backend test binary defines StartDcsServer(),
// and the same test cases (conformance/*_test.cc) run against it unchanged.
#ifndef PGHA_TESTS_CONFORMANCE_HARNESS_H_
#define PGHA_TESTS_CONFORMANCE_HARNESS_H_

#include <memory>
#include <string>

#include "absl/time/time.h"
#include "pgha/dcs/backend.h"
#include "pgha/dcs/dcs.h"

namespace pgha::conformance {

class DcsServer {
 public:
  virtual ~DcsServer() = default;
  // A client with its own session, connected to this server.
  virtual std::unique_ptr<dcs::DcsBackend> NewBackend(absl::Duration ttl,
                                                      absl::Duration retry_timeout) = 0;
  // The same, configured with an unreachable endpoint listed before the real one.
  virtual std::unique_ptr<dcs::DcsBackend> NewBackendWithDeadEndpoint(
      absl::Duration ttl, absl::Duration retry_timeout) = 0;
  virtual void Stop() = 0;   // the server goes away (clients see kUnavailable)
  virtual void Start() = 0;  // it comes back with its data
  virtual std::string Name() const = 0;
};

// Starts a fresh server for one test case (each test case builds its own world).
std::unique_ptr<DcsServer> StartDcsServer();

// A scope no other test case uses.
std::string UniqueScope();

// A facade over a new client of `server` for `scope` under namespace /service.
std::unique_ptr<dcs::Dcs> NewDcs(DcsServer& server, const std::string& scope,
                                 absl::Duration ttl = absl::Seconds(10),
                                 absl::Duration retry_timeout = absl::Seconds(3));

}  // namespace pgha::conformance

#endif  // PGHA_TESTS_CONFORMANCE_HARNESS_H_
