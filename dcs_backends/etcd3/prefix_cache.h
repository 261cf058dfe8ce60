// A copy of every key under one prefix, kept current by a Watch stream on its own thread, so that
// a node following its cluster reads it without asking etcd each cycle (as Patroni's KVCache).
//
// The copy starts from a Range at a given revision and applies every event after it in order, so
// at any moment it is exactly the prefix as of `revision()`. It is served only while the stream is
// up: after a break the stream resumes from the next revision; after a compaction (history lost)
// the copy is read again and every waiter is woken. Whether the connection to etcd still works
// (a hanging peer leaves a stream silently open) is the owner's judgement, not this class's.
//
// Thread-safety: all methods may be called from any thread.
#ifndef PGHA_BACKENDS_ETCD3_PREFIX_CACHE_H_
#define PGHA_BACKENDS_ETCD3_PREFIX_CACHE_H_

#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "absl/time/time.h"
#include "etcd_connection.h"
#include "pgha/dcs/backend.h"

namespace pgha::backends::etcd {

struct CachedValue {
  std::string value;
  int64_t mod_revision = 0;
  int64_t lease = 0;
};

class PrefixCache {
 public:
  // Starts from the prefix as of `start_revision` (0: as of now).
  PrefixCache(Connection* connection, std::string prefix, int64_t start_revision);
  ~PrefixCache();
  PrefixCache(const PrefixCache&) = delete;
  PrefixCache& operator=(const PrefixCache&) = delete;

  // The whole prefix, once the stream is up and the copy has applied every event up to
  // `min_revision` (a write of ours it must show); waits up to `wait` for a live copy to get
  // there. nullopt when it cannot serve: the caller reads from etcd.
  std::optional<dcs::RawSnapshot> Snapshot(int64_t min_revision, absl::Duration wait);
  // One key under the same conditions, without waiting. nullopt: no answer from the copy (absent
  // keys are answered: `found` false).
  struct Lookup {
    bool found = false;
    CachedValue value;
  };
  std::optional<Lookup> Find(const std::string& key, int64_t min_revision);

  // True once an event newer than `since` arrived (or history was lost); false on timeout.
  bool WaitForChange(int64_t since, absl::Duration timeout);

 private:
  void Run();
  bool ReadAll();  // the initial (or post-compaction) Range; false when etcd did not answer
  void WatchOnce();
  bool Serving(int64_t min_revision) const;  // requires mu_

  Connection* connection_;
  const std::string prefix_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, CachedValue> entries_;  // guarded by mu_
  bool loaded_ = false;         // guarded by mu_: entries_ hold the prefix as of revision_
  bool live_ = false;           // guarded by mu_: the stream is up and applying events
  int64_t start_revision_;      // guarded by mu_: what the next ReadAll reads (0: now)
  int64_t revision_ = 0;        // guarded by mu_: entries_ are the prefix as of this revision
  int64_t latest_change_ = 0;   // guarded by mu_: mod_revision of the newest event applied
  bool history_lost_ = false;   // guarded by mu_
  bool stop_ = false;           // guarded by mu_
  grpc::ClientContext* active_ = nullptr;  // guarded by mu_
  std::thread thread_;
};

// The range end that selects every key starting with `prefix`.
std::string PrefixEnd(const std::string& prefix);

}  // namespace pgha::backends::etcd

#endif  // PGHA_BACKENDS_ETCD3_PREFIX_CACHE_H_
