// The REST server's connection handling: one thread per connection, up to a cap, then a queue.
// httplib's own pool has a fixed number of workers, and each connection holds one until it closes:
// a few dozen idle or slow clients (port scanners, stuck monitoring agents) would leave HAProxy's
// health checks queued behind them for as long as the clients care to stay, and HAProxy would
// take the primary out. With a thread each they only hold their own. Patroni serves every
// connection on its own thread too (socketserver.ThreadingMixIn).
#ifndef PGHA_API_CONNECTION_THREADS_H_
#define PGHA_API_CONNECTION_THREADS_H_

#include <httplib.h>

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>

namespace pgha::api::internal {

class ConnectionThreads final : public httplib::TaskQueue {
 public:
  // Up to `max_threads` connections are served at once and `max_waiting` wait for a thread;
  // beyond that a connection is refused (closed unanswered) at once.
  ConnectionThreads(int max_threads, int max_waiting)
      : max_threads_(max_threads), max_waiting_(max_waiting) {}
  ~ConnectionThreads() override { shutdown(); }

  // Serves the connection on a new thread, or queues it while max_threads are busy, or, when
  // the queue is full, runs it at once with Refusing() true (the listener then closes it).
  void enqueue(std::function<void()> connection) override;
  // True while a refused connection runs on the calling thread.
  static bool Refusing();
  // Waits until every accepted connection has been served (httplib calls this after the
  // listening socket is closed; open connections end at their next keep-alive check).
  void shutdown() override;

 private:
  // Serves `connection`, then queued ones, until the queue is empty.
  void Serve(std::function<void()> connection);

  const int max_threads_;
  const int max_waiting_;
  std::mutex mu_;
  std::condition_variable all_done_;
  int running_ = 0;                            // guarded by mu_
  std::deque<std::function<void()>> waiting_;  // guarded by mu_
};

}  // namespace pgha::api::internal

#endif  // PGHA_API_CONNECTION_THREADS_H_
