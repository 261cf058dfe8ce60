// HTTP transport to one Consul agent: TLS, the ACL token, the datacenter parameter, timeouts
// within the retry budget, and Consul's answers mapped to absl::Status.
//
// Every request opens its own connection, so a blocking query never holds up other calls.
//
// Thread-safety: all methods are safe to call concurrently.
#ifndef PGHA_BACKENDS_CONSUL_CONSUL_HTTP_H_
#define PGHA_BACKENDS_CONSUL_CONSUL_HTTP_H_

#include <cstdint>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "pgha/base/clock.h"
#include "pgha/backends/consul.h"
#include "pgha/dcs/call_budget.h"

namespace pgha::backends::consul {

struct HttpOptions {
  std::string host = "127.0.0.1";
  int port = 8500;
  bool https = false;
  bool verify = true;
  std::string cacert, cert, key;  // file paths
  std::string token;              // X-Consul-Token
  std::string dc;                 // ?dc= on KV, txn and session calls
};

// From the `consul:` section. kInvalidArgument for a bad scheme, port or unreadable TLS file.
absl::StatusOr<HttpOptions> HttpOptionsFromConfig(const ConsulConfig& config);

struct HttpResponse {
  int status = 0;
  std::string body;
  int64_t index = 0;  // X-Consul-Index; 0 when the answer has none
};

enum class Method { kGet, kPut, kDelete };

// Query parameters in order; an empty value is sent as a bare flag ("?recurse").
using Query = std::vector<std::pair<std::string, std::string>>;

class HttpTransport {
 public:
  explicit HttpTransport(HttpOptions options, absl::Duration retry_timeout);

  void SetRetryTimeout(absl::Duration retry_timeout);
  absl::Duration retry_timeout() const;

  // Now plus the retry timeout: one SPI call, however many requests it takes, ends by then.
  // Also bounded by the calling thread's CallBudgetScope (call_budget.h).
  absl::Time Deadline() const { return dcs::CallDeadline(retry_timeout()); }

  // Sends one request and returns whatever the agent answered (any HTTP status). Transport
  // failures give kUnavailable, a `deadline` already passed kDeadlineExceeded. `idempotent`
  // requests (reads, renewals) are resent after a transport failure or a 5xx/429 until the
  // deadline; others are sent once, because they may have been applied.
  absl::StatusOr<HttpResponse> Send(Method method, const std::string& path, const Query& query,
                                    const std::string& body, bool idempotent, absl::Time deadline);

  // A blocking query: like a GET sent once, with a read timeout that covers `wait` plus the
  // random extra (up to wait/16) Consul adds.
  absl::StatusOr<HttpResponse> BlockingGet(const std::string& path, const Query& query,
                                           absl::Duration wait);

  const std::string& address() const { return address_; }

 private:
  absl::StatusOr<HttpResponse> SendOnce(Method method, const std::string& target,
                                        const std::string& body, absl::Duration timeout);
  std::string Target(const std::string& path, const Query& query) const;

  const HttpOptions options_;
  const std::string address_;  // scheme://host:port
  mutable std::mutex mu_;
  absl::Duration retry_timeout_;  // guarded by mu_
};

// Percent-encodes a KV key for the URL path (keeps '/' and unreserved characters).
std::string EscapePath(const std::string& path);

// A non-success answer as a status, by what the caller should do (see dcs/backend.h).
absl::Status StatusFromResponse(const std::string& what, const HttpResponse& response);

// Go's duration syntax as Consul parses it ("10s", "1.5s", "250ms").
std::string GoDuration(absl::Duration d);

}  // namespace pgha::backends::consul

#endif  // PGHA_BACKENDS_CONSUL_CONSUL_HTTP_H_
