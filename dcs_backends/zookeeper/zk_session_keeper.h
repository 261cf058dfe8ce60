// The backend's one current ZooKeeper session, replaced when it dies, and its client-side lease.
//
// The C client pings on its own, so a session outlives a process that stopped calling
// KeepAlive() for as long as the process runs. The lease restores the etcd-like contract the HA
// loop relies on: a session that holds ephemeral znodes and was not renewed for `ttl` is closed
// (which deletes them at once). A session that holds none is left open for reads and watches;
// its lease simply starts again when it next creates an ephemeral znode. The server's own
// session timeout (also `ttl`) still ends the session if the whole process stops or is cut off.
//
// Closing a session can take seconds (the C client waits up to 4.5 s for a server that does
// not answer), so sessions are closed on a background thread, which also enforces the lease:
// no call waits for a close longer than its deadline.
//
// Thread-safety: safe to call from several threads.
#ifndef PGHA_DCS_BACKENDS_ZOOKEEPER_ZK_SESSION_KEEPER_H_
#define PGHA_DCS_BACKENDS_ZOOKEEPER_ZK_SESSION_KEEPER_H_

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "zk_session.h"

namespace pgha::backends::zk {

class SessionKeeper {
 public:
  // `options.timeout` is the TTL: of new sessions and of the lease.
  SessionKeeper(SessionOptions options, std::shared_ptr<ChangeCounter> changes);
  ~SessionKeeper();  // closes the session
  SessionKeeper(const SessionKeeper&) = delete;
  SessionKeeper& operator=(const SessionKeeper&) = delete;

  // Used by the next renewal and the next session (ZooKeeper cannot change the timeout of a
  // live session).
  void SetTtl(absl::Duration ttl);

  // A connected session, opening a new one when there is none or it died. kUnavailable when
  // none is connected by `deadline`; kUnauthenticated when the server refuses auth_data.
  absl::StatusOr<std::shared_ptr<Session>> Acquire(absl::Time deadline);
  // The same, for a request that may create an ephemeral znode: the lease then applies. A
  // session whose lease lapsed while it held ephemeral znodes is closed first.
  absl::StatusOr<std::shared_ptr<Session>> AcquireForEphemerals(absl::Time deadline);
  // `session` answered a request sent at `sent`: its lease runs until `sent` + ttl.
  void Renewed(const std::shared_ptr<Session>& session, absl::Time sent);
  // Closes the current session and waits for that until `deadline`. kUnavailable when it was not
  // connected or the close did not finish in time: its ephemeral znodes may then stay until the
  // server expires the session.
  absl::Status Close(absl::Time deadline);
  // The current session's id in hex, "" when there is none yet.
  std::string CurrentId() const;

 private:
  void CloseInBackground();    // the background thread: closes retired and lapsed sessions
  void RetireCurrentLocked();  // hands the current session to the background thread
  void RetireLocked(std::shared_ptr<Session> session);

  const std::shared_ptr<ChangeCounter> changes_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  SessionOptions options_;                         // guarded by mu_
  std::shared_ptr<Session> session_;               // guarded by mu_
  absl::Time lease_end_;                           // guarded by mu_
  bool has_ephemerals_ = false;                    // guarded by mu_: the lease applies
  std::vector<std::shared_ptr<Session>> retired_;  // guarded by mu_: to be closed
  bool stop_ = false;                              // guarded by mu_
  std::thread closer_;
};

}  // namespace pgha::backends::zk

#endif  // PGHA_DCS_BACKENDS_ZOOKEEPER_ZK_SESSION_KEEPER_H_
