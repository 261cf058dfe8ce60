// One long-lived LeaseKeepAlive stream: each keep-alive is one message on it. Opening a stream
// per keep-alive costs etcd a stream set-up and tear-down each cycle (about half of them ended
// "Unavailable" in its metrics); Patroni's and etcd's own clients keep one stream too.
//
// Thread-safety: KeepAlive may be called from any thread; calls are serialized.
#ifndef PGHA_BACKENDS_ETCD3_KEEPALIVE_STREAM_H_
#define PGHA_BACKENDS_ETCD3_KEEPALIVE_STREAM_H_

#include <memory>
#include <mutex>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "etcd_connection.h"

namespace pgha::backends::etcd {

class KeepAliveStream {
 public:
  explicit KeepAliveStream(Connection* connection);
  ~KeepAliveStream();
  KeepAliveStream(const KeepAliveStream&) = delete;
  KeepAliveStream& operator=(const KeepAliveStream&) = delete;

  // Sends one keep-alive for `lease` and waits for etcd's answer until `deadline` (monotonic).
  // Returns the TTL etcd answered (0 or less: the lease expired). kUnavailable when no answer
  // came: the stream is then dropped (a late answer must not be taken for the next request's)
  // and the next call opens a new one.
  absl::StatusOr<int64_t> KeepAlive(int64_t lease, absl::Time deadline);

 private:
  class Open;  // one stream, its context and its reader thread

  Connection* connection_;
  std::mutex mu_;               // held for a whole KeepAlive
  std::unique_ptr<Open> open_;  // guarded by mu_
};

}  // namespace pgha::backends::etcd

#endif  // PGHA_BACKENDS_ETCD3_KEEPALIVE_STREAM_H_
