// Limits on what one REST client can hold: a deadline to send each request, and a number of
// connections per client address. A client that sends a byte every few seconds never trips the
// per-read timeout, and without a deadline it would keep a connection thread for as long as it
// likes; a few hundred such clients would leave health checks waiting behind them.
//
// Thread-safety: every method is safe from any thread.
#ifndef PGHA_API_CONNECTION_GUARD_H_
#define PGHA_API_CONNECTION_GUARD_H_

#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "absl/time/time.h"

namespace pgha::api::internal {

struct ConnectionLimits {
  // From the connection's start, or the end of the previous answer, to a complete request.
  absl::Duration request_deadline = absl::Seconds(10);
  // Once `busy` connections are open, an address that holds `max_per_address` gets no more
  // (they are closed unanswered): a flood from one address cannot take every thread, and a
  // quiet server never turns a client away.
  int busy = 128;
  int max_per_address = 64;
};

class ConnectionGuard {
 public:
  explicit ConnectionGuard(ConnectionLimits limits);
  ~ConnectionGuard();
  ConnectionGuard(const ConnectionGuard&) = delete;
  ConnectionGuard& operator=(const ConnectionGuard&) = delete;

  using Ticket = uint64_t;
  // Puts the accepted socket `sock` under the deadline. Nothing when the server is busy and its
  // address holds max_per_address connections already (the caller closes it unanswered).
  std::optional<Ticket> Begin(int sock);
  // The connection has ended (its socket is about to be, or was, closed).
  void End(Ticket ticket);
  // A handler runs for the connection (its time does not count), and ended (the deadline
  // starts again: the answer and the next request must come within it).
  void HandlerStarted(Ticket ticket);
  void HandlerFinished(Ticket ticket);

  // Connections currently registered (tests).
  int Open() const;

 private:
  struct Entry {
    int watch_fd;  // a dup of the connection's socket: ours to shut down, never reused under us
    std::string address;
    absl::Time deadline;  // InfiniteFuture() while a handler runs
  };
  void Reap();

  const ConnectionLimits limits_;
  mutable std::mutex mu_;
  std::condition_variable stop_cv_;
  bool stopping_ = false;                       // guarded by mu_
  Ticket next_ticket_ = 1;                      // guarded by mu_
  std::map<Ticket, Entry> entries_;             // guarded by mu_
  std::map<std::string, int> per_address_;      // guarded by mu_
  std::thread reaper_;
};

}  // namespace pgha::api::internal

#endif  // PGHA_API_CONNECTION_GUARD_H_
