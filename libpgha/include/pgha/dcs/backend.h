// The DCS backend SPI: the small set of primitives every store (etcd v3, ZooKeeper, Consul)
// provides. The typed facade (dcs.h) builds Patroni's operations on top; nothing above this
// interface knows which store is used.
//
// Sessions: each backend owns one session per process (an etcd lease, a ZooKeeper session, a
// Consul session) with a TTL. Keys written with Binding::kSession vanish when the session ends or
// expires. Versions: each key carries a backend-defined version; kNoVersion means "absent".
//
// Errors, by what the caller should do:
//   kUnavailable / kDeadlineExceeded  the store could not be reached: retry later
//   kAborted                          a compare failed (the key changed): re-read and decide again
//   kAlreadyExists                    Create() on an existing key
//   kNotFound                         the key (or session) does not exist
//   kPermissionDenied / kUnauthenticated  credentials or ACLs
// Writes never retry on their own after the request may have reached the store.
//
// Thread-safety: implementations are safe to call from several threads (the HA loop, the REST
// API's config writes, a watcher).
#ifndef PGHA_DCS_BACKEND_H_
#define PGHA_DCS_BACKEND_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "pgha/dcs/cluster_state.h"

namespace pgha::dcs {

struct RawEntry {
  std::string key;  // full path
  std::string value;
  Version version = kNoVersion;
  std::string session;  // the session the key is bound to; "" when persistent
};

struct RawSnapshot {
  std::vector<RawEntry> entries;
  int64_t revision = 0;  // pass to WaitForChange to wait for anything newer
};

enum class Binding { kPersistent, kSession };

enum class ReadMode {
  kDefault,       // may be served by any replica of the store (fast; what the daemon uses)
  kLinearizable,  // reflects every write acknowledged before the read (pghactl)
};

class DcsBackend {
 public:
  virtual ~DcsBackend() = default;

  // The session TTL (Patroni's `ttl`) and the time budget of one operation (`retry_timeout`).
  // Take effect for the next session / the next call.
  virtual void SetTimeouts(absl::Duration ttl, absl::Duration retry_timeout) = 0;

  // Every key under `prefix` in one consistent read. Blocks up to retry_timeout, trying other
  // endpoints. kUnavailable when none answers.
  virtual absl::StatusOr<RawSnapshot> Load(const std::string& prefix, ReadMode mode) = 0;

  // Creates `key` only if absent. kAlreadyExists otherwise. Returns the new version.
  virtual absl::StatusOr<Version> Create(const std::string& key, const std::string& value,
                                         Binding binding) = 0;
  // Writes `key` only if it is at `expected` (kNoVersion: only if absent). kAborted otherwise.
  virtual absl::StatusOr<Version> CompareAndSet(const std::string& key, const std::string& value,
                                                Version expected, Binding binding) = 0;
  // Writes `key` whatever its state.
  virtual absl::StatusOr<Version> Put(const std::string& key, const std::string& value,
                                      Binding binding) = 0;
  // Deletes `key` only if it is at `expected`. kAborted if it changed, kNotFound if absent.
  virtual absl::Status CompareAndDelete(const std::string& key, Version expected) = 0;
  // Deletes every key under `prefix`.
  virtual absl::Status DeletePrefix(const std::string& prefix) = 0;

  // Refreshes this process's session, creating it when there is none or it expired (session-
  // bound keys of an expired session are gone: the caller re-reads and rewrites them).
  virtual absl::Status KeepAlive() = 0;
  // The current session's id as it appears in RawEntry::session ("" before the first one).
  virtual std::string SessionId() const = 0;

  // The leader lock refresh: succeeds only if `key` is still at `expected` and holds `holder`.
  // If it is bound to an older session of ours it is re-bound to the current one (a new
  // version is returned). Never creates the key. kAborted when it changed or is gone.
  // The caller renewed the session (KeepAlive) just before: a backend that knows the key is
  // bound to that session at `expected` may answer without asking the store, because only the
  // holder deletes the lock and the renewed session keeps it.
  virtual absl::StatusOr<Version> RefreshLock(const std::string& key, const std::string& holder,
                                              Version expected) = 0;

  // Deletes the leader lock only if `key` is still at `expected` and holds `holder`.
  // kAborted when it changed, kNotFound when it is gone.
  virtual absl::Status ReleaseLock(const std::string& key, const std::string& holder,
                                   Version expected) = 0;

  // Blocks until something under `prefix` changed after `since_revision` (from a Load), or
  // `timeout` passed. Returns true when something changed (or may have: after a reconnect).
  virtual absl::StatusOr<bool> WaitForChange(const std::string& prefix, int64_t since_revision,
                                             absl::Duration timeout) = 0;

  // Ends the session: its keys are deleted at once. The next write opens a new session.
  virtual absl::Status CloseSession() = 0;
};

}  // namespace pgha::dcs

#endif  // PGHA_DCS_BACKEND_H_
