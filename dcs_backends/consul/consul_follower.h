// A copy of every key under one prefix, kept by blocking queries on a thread of its own (Consul's
// way to watch), so that a node following its cluster neither lists the prefix each cycle nor
// sends a blocking query every few seconds: at idle one query stays open for minutes.
//
// The thread owns its transport and state, so the follower's destructor does not wait for the
// query in flight (up to kBlockingWait): the thread ends with that query.
//
// Thread-safety: all methods may be called from any thread.
#ifndef PGHA_BACKENDS_CONSUL_CONSUL_FOLLOWER_H_
#define PGHA_BACKENDS_CONSUL_CONSUL_FOLLOWER_H_

#include <memory>
#include <optional>
#include <string>

#include "absl/time/time.h"
#include "consul_http.h"

namespace pgha::backends::consul {

class PrefixFollower {
 public:
  // `path` is the prefix's KV path (/v1/kv/...), `consistency` the query flags reads carry.
  PrefixFollower(HttpOptions options, std::string path, Query consistency);
  ~PrefixFollower();
  PrefixFollower(const PrefixFollower&) = delete;
  PrefixFollower& operator=(const PrefixFollower&) = delete;

  // The latest listing (status 200 or 404 and its index) once it reached `min_index`; waits up
  // to `wait` for a live follower to get there. nullopt while the last query failed.
  std::optional<HttpResponse> Listing(int64_t min_index, absl::Duration wait);
  // True once the index moved past `since` (or went backwards: a restored store); false on
  // timeout.
  bool WaitForChange(int64_t since, absl::Duration timeout);

  static constexpr absl::Duration kBlockingWait = absl::Minutes(5);

 private:
  struct State;
  std::shared_ptr<State> state_;
};

}  // namespace pgha::backends::consul

#endif  // PGHA_BACKENDS_CONSUL_CONSUL_FOLLOWER_H_
