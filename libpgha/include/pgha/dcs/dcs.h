// The typed DCS facade: Patroni's operations on one cluster's keys, over any DcsBackend.
//
// Every write that depends on what was read takes the version it was read at and is a
// compare-and-set: a daemon acting on a stale view loses with kAborted instead of overwriting
// someone else's decision. Errors are the backend's codes (see backend.h).
//
// Thread-safety: safe to call from several threads.
#ifndef PGHA_DCS_DCS_H_
#define PGHA_DCS_DCS_H_

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "pgha/dcs/backend.h"
#include "pgha/dcs/cluster_state.h"
#include "pgha/dcs/key_layout.h"

namespace pgha::dcs {

class Dcs {
 public:
  Dcs(std::unique_ptr<DcsBackend> backend, KeyLayout layout);

  const KeyLayout& layout() const { return layout_; }
  DcsBackend& backend() { return *backend_; }
  void SetTimeouts(absl::Duration ttl, absl::Duration retry_timeout);

  // Reads and decodes the whole cluster. Decode problems are in ClusterState::decode_errors.
  absl::StatusOr<ClusterStatePtr> Load(ReadMode mode = ReadMode::kDefault);
  // Blocks until anything in the cluster changes after `state` was read, or `timeout` passes.
  absl::StatusOr<bool> WaitForChange(const ClusterState& state, absl::Duration timeout);

  // Refreshes this node's session (lease). kUnavailable when the DCS cannot be reached.
  absl::Status KeepAlive();
  // Ends the session: the leader lock (if held) and the member key vanish at once.
  absl::Status CloseSession();

  // ---- the leader lock -----------------------------------------------------------------------
  // Whether a lock operation renews the session first, or the caller did so since it read the
  // cluster (the HA loop renews it first thing in each cycle).
  enum class Session { kRenew, kRenewedByCaller };
  // Creates `leader` bound to our session if absent. kAlreadyExists when someone holds it.
  absl::Status AcquireLeaderLock(const std::string& name, Session session = Session::kRenew);
  // Keeps the lock: with the session renewed, checks that `leader` is still ours at the version
  // we read. kAborted when it is not: we lost the lock.
  absl::Status RefreshLeaderLock(const std::string& name, const Leader& as_read,
                                 Session session = Session::kRenew);
  // Deletes `leader` only if it is still ours at the version read.
  absl::Status ReleaseLeaderLock(const std::string& name, const Leader& as_read);

  // ---- this member -------------------------------------------------------------------------
  // Writes members/<name> bound to our session; skipped when the same value is already there
  // under the current session.
  absl::Status WriteMember(const Member& member);

  // ---- cluster keys ------------------------------------------------------------------------
  // The bootstrap race: creates `initialize` with `value` ("" while bootstrapping) only if
  // absent (kAlreadyExists otherwise); with a version, replaces the value by CAS.
  absl::Status CreateInitialize(const std::string& value);
  absl::Status SetInitialize(const std::string& sysid, Version expected);
  absl::Status CancelInitialize(Version expected);

  // kNoVersion: create only if absent.
  absl::Status WriteConfig(const Json& config, Version expected);
  absl::Status PutConfig(const Json& config);  // unconditional (REST PUT /config)
  absl::Status WriteFailover(const FailoverRequest& request, Version expected);
  absl::Status ClearFailover(Version expected);  // writes "{}" as Patroni does
  absl::Status WriteSync(const SyncState& sync, Version expected);
  absl::Status DeleteSync(Version expected);
  absl::Status WriteHistory(const std::vector<HistoryEntry>& history, Version expected);
  absl::Status WriteStatus(const ClusterStatus& status, Version expected);
  absl::Status WriteFailsafe(const std::map<std::string, std::string>& members, Version expected);

  // Deletes every key of the cluster (pghactl remove).
  absl::Status DeleteCluster();

 private:
  absl::Status WriteVersioned(const std::string& key, const std::string& value, Version expected);

  std::unique_ptr<DcsBackend> backend_;
  KeyLayout layout_;
  std::mutex mu_;
  std::string last_member_value_;    // guarded by mu_
  std::string last_member_session_;  // guarded by mu_
};

}  // namespace pgha::dcs

#endif  // PGHA_DCS_DCS_H_
