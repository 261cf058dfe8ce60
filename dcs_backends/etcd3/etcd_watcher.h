// One prefix Watch stream on its own thread. It only tells waiters "something changed after
// revision N"; they re-read the whole prefix (watches never drive HA decisions themselves).
// After a compaction or a cancel the history is lost, so every waiter is woken to re-read.
//
// Thread-safety: WaitForChange may be called from any thread.
#ifndef PGHA_BACKENDS_ETCD3_ETCD_WATCHER_H_
#define PGHA_BACKENDS_ETCD3_ETCD_WATCHER_H_

#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

#include "absl/time/time.h"
#include "etcd_connection.h"

namespace pgha::backends::etcd {

class Watcher {
 public:
  Watcher(Connection* connection, std::string prefix, int64_t start_revision);
  ~Watcher();
  Watcher(const Watcher&) = delete;
  Watcher& operator=(const Watcher&) = delete;

  // True once an event newer than `since` arrived (or history was lost); false on timeout.
  bool WaitForChange(int64_t since, absl::Duration timeout);

 private:
  void Run();
  void WatchOnce();

  Connection* connection_;
  const std::string prefix_;
  std::mutex mu_;
  std::condition_variable cv_;
  int64_t next_revision_;        // guarded by mu_: where the next stream starts
  int64_t latest_change_ = 0;    // guarded by mu_: mod_revision of the newest event
  bool history_lost_ = false;    // guarded by mu_
  bool stop_ = false;            // guarded by mu_
  grpc::ClientContext* active_ = nullptr;  // guarded by mu_
  std::thread thread_;
};

// The range end that selects every key starting with `prefix`.
std::string PrefixEnd(const std::string& prefix);

}  // namespace pgha::backends::etcd

#endif  // PGHA_BACKENDS_ETCD3_ETCD_WATCHER_H_
