// One ZooKeeper client handle (one session) and its requests.
//
// Every request is asynchronous and waited for with the caller's deadline, so that no call
// blocks longer than its budget (the C client's synchronous API waits for a reconnection). A
// session reports, through a shared ChangeCounter, every fired watch, every reconnection and its
// own expiry: the backend's waiters then re-read.
//
// Thread-safety: Session and ChangeCounter are safe to use from several threads. The C client's
// callbacks run on its completion thread and only touch Request and counter state.
#ifndef PGHA_DCS_BACKENDS_ZOOKEEPER_ZK_SESSION_H_
#define PGHA_DCS_BACKENDS_ZOOKEEPER_ZK_SESSION_H_

#include <zookeeper/zookeeper.h>

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "zk_status.h"

namespace pgha::backends::zk {

// Counts "something may have changed" events: fired watches, reconnections, lost sessions.
class ChangeCounter {
 public:
  int64_t Value() const;
  void Bump();
  // True as soon as the counter is above `since`; false once `timeout` passed.
  bool WaitAbove(int64_t since, absl::Duration timeout) const;

 private:
  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  int64_t value_ = 0;
};

// The answer to one request. `rc` is a ZooKeeper code (ZOK, ZNONODE, ...): ZOPERATIONTIMEOUT
// when the caller's deadline passed first, ZCLOSING when the session was closed meanwhile.
struct Reply {
  int rc = ZOK;
  std::string value;
  struct Stat stat = {};
  std::vector<std::string> children;
};

class Request;  // one pending request (defined in zk_session.cc)
using RequestPtr = std::shared_ptr<Request>;

struct SessionOptions {
  std::string hosts;                                      // "host:port,host:port[/chroot]"
  absl::Duration timeout = absl::Seconds(30);             // the requested session timeout
  std::vector<std::pair<std::string, std::string>> auth;  // (scheme, credential) pairs
};

class Session {
 public:
  // Starts a client; it connects in the background. kUnavailable when the client cannot even
  // start (for example, host names that do not resolve).
  static absl::StatusOr<std::shared_ptr<Session>> Open(const SessionOptions& options,
                                                       std::shared_ptr<ChangeCounter> changes);
  ~Session();  // Close()
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // Blocks until the session is connected: OK; kUnavailable at `deadline`, or at once when the
  // session expired or was closed; kUnauthenticated when the server refused `auth`.
  absl::Status WaitConnected(absl::Time deadline);
  // Expired, refused its credentials, closed, or disconnected for longer than its timeout: only
  // a new session can serve requests.
  bool Dead() const;
  bool Connected() const;
  bool Closed() const;  // Close() finished
  int64_t id() const;   // the session id, 0 until the session was first established
  absl::Duration timeout() const { return options_.timeout; }  // as requested
  // Ends the session. The server deletes its ephemeral znodes at once (when it is reachable);
  // requests still pending end with ZCLOSING. Idempotent; never call it from a C callback.
  void Close();

  // Requests. `watch` leaves a one-shot watch on the path that bumps the change counter when
  // it fires (Exists also watches an absent path for its creation).
  RequestPtr Get(const std::string& path, bool watch);
  RequestPtr GetChildren(const std::string& path, bool watch);
  RequestPtr Exists(const std::string& path, bool watch);
  // Create and Set answer with the znode's Stat after the write (its mzxid is the new version).
  RequestPtr Create(const std::string& path, const std::string& value, bool ephemeral,
                    const ACL_vector* acl);
  RequestPtr Set(const std::string& path, const std::string& value, int version);
  RequestPtr Delete(const std::string& path, int version);
  RequestPtr Sync(const std::string& path);  // later reads see every write before it

  // Waits for `request` until `deadline`.
  static Reply Wait(const RequestPtr& request, absl::Time deadline);

 private:
  Session(SessionOptions options, std::shared_ptr<ChangeCounter> changes);
  static void OnEvent(zhandle_t* zh, int type, int state, const char* path, void* context);
  void OnSessionState(zhandle_t* zh, int state);
  // Hands a request to the C client under the handle lock; `start` returns the C client's code.
  template <typename Start>
  RequestPtr Issue(Start start);

  const SessionOptions options_;
  const std::shared_ptr<ChangeCounter> changes_;

  // Held shared while a request is handed to the C client, exclusively while closing.
  mutable std::shared_mutex handle_mu_;
  zhandle_t* zh_ = nullptr;  // guarded by handle_mu_

  mutable std::mutex mu_;
  std::condition_variable state_cv_;
  int state_ = 0;                                // guarded by mu_: last state from the C client
  bool ever_connected_ = false;                  // guarded by mu_
  bool closed_ = false;                          // guarded by mu_
  int64_t id_ = 0;                               // guarded by mu_
  absl::Duration negotiated_timeout_;            // guarded by mu_
  absl::Time disconnected_since_;                // guarded by mu_: when last connected
  std::vector<std::weak_ptr<Request>> pending_;  // guarded by mu_; failed by Close()
};

}  // namespace pgha::backends::zk

#endif  // PGHA_DCS_BACKENDS_ZOOKEEPER_ZK_SESSION_H_
