// An immutable snapshot of one cluster's keys in the DCS, decoded from Patroni's formats.
//
// Every element keeps the version it was read at (etcd mod_revision, znode version, Consul
// ModifyIndex), so that each write that depends on what was read is a compare-and-set against
// exactly what the decision saw. Shared as std::shared_ptr<const ClusterState>; never mutated
// after decoding, so any thread may read it.
#ifndef PGHA_DCS_CLUSTER_STATE_H_
#define PGHA_DCS_CLUSTER_STATE_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "pgha/base/json.h"
#include "pgha/base/lsn.h"

namespace pgha::dcs {

// A key's version as the backend reports it. Only compared for equality, never ordered across
// keys or backends.
using Version = int64_t;
inline constexpr Version kNoVersion = -1;  // the key does not exist

// A member's published state: the `members/<name>` key.
struct Member {
  std::string name;
  Version version = kNoVersion;
  std::string session;  // the session/lease the key is bound to ("" when unknown)

  std::string conn_url;  // postgres://host:port/postgres
  std::string api_url;   // http(s)://host:port/patroni
  std::string state;     // running, starting, stopped, crashed, ...
  std::string role;      // primary, replica, standby_leader, demoted, uninitialized ("master" is read as primary)
  std::string version_text;  // the Patroni version the member reports
  std::optional<Lsn> xlog_location;
  std::optional<int> timeline;
  std::optional<Lsn> receive_lsn, replay_lsn;
  std::string replication_state;  // streaming, in archive recovery (Patroni 4)
  Json tags = Json::object();
  std::string proxy_url;
  bool pending_restart = false;
  Json scheduled_restart;  // null when none
  bool pause = false;
  std::optional<bool> checkpoint_after_promote;
  Json raw = Json::object();  // the document as read (keeps fields pgha does not model)

  bool IsRunning() const { return state == "running"; }
  bool NoFailover() const;
  int FailoverPriority() const;  // 0 = never promote
  bool NoSync() const;
  bool NoStream() const;  // replicates from the WAL archive only: no slot, no streaming
  bool CloneFrom() const;
  bool NoLoadBalance() const;
  std::string ReplicateFrom() const;
  int SyncPriority() const;
  // host and port parsed from conn_url ("" / 0 when unparsable).
  std::string Host() const;
  int Port() const;
};

// A tag's value as text, the way a ?tag_<name>=<value> health check and pgha::client compare
// it: strings as they are, other values as lower-case JSON ("true", "1"). Never throws (a list
// holding bytes that are not UTF-8 gets U+FFFD).
std::string TagText(const Json& value);

// The leader lock: the `leader` key, bound to its holder's session.
struct Leader {
  std::string name;
  Version version = kNoVersion;
  std::string session;
};

// A switchover or failover request: the `failover` key. Patroni clears a served request by
// writing "{}", so an empty request is common and means "none".
struct FailoverRequest {
  std::string leader;     // present: switchover from this leader
  std::string candidate;  // Patroni's "member" field
  std::optional<absl::Time> scheduled_at;
  std::string scheduled_at_text;  // as written (ISO 8601 with zone)
  Version version = kNoVersion;
  bool empty() const { return leader.empty() && candidate.empty(); }
};

// The `sync` key: which standbys the primary confirmed as synchronous.
struct SyncState {
  std::string leader;
  std::vector<std::string> sync_standby;
  std::optional<int> quorum;  // quorum mode only
  Version version = kNoVersion;
  // Names are compared case-insensitively, as in Patroni.
  bool Contains(const std::string& name) const;
  bool LeaderIs(const std::string& name) const;
  // The leader or a listed standby (Patroni's matches(name, check_leader=True)): in synchronous
  // mode the nodes that hold every acknowledged commit; in quorum mode the voters.
  bool Includes(const std::string& name) const { return LeaderIs(name) || Contains(name); }
};

// One line of the `history` key: [timeline, switch LSN, reason, timestamp, new leader].
struct HistoryEntry {
  int timeline = 0;
  Lsn lsn = 0;
  std::string reason;
  std::string timestamp;   // may be empty in old entries
  std::string new_leader;  // may be empty in old entries
};

struct TimelineHistory {
  std::vector<HistoryEntry> entries;
  Version version = kNoVersion;
};

// The `status` key: the leader's last known WAL position and slot positions.
struct ClusterStatus {
  std::optional<Lsn> optime;
  std::map<std::string, Lsn> slots;
  std::vector<std::string> retain_slots;
  Version version = kNoVersion;
};

struct ClusterConfig {
  Json data = Json::object();
  Version version = kNoVersion;
};

struct ClusterState {
  std::string scope;
  // `initialize`: the system identifier; "" while a bootstrap is in progress; unset when absent.
  std::optional<std::string> initialize;
  Version initialize_version = kNoVersion;
  std::optional<ClusterConfig> config;
  std::optional<Leader> leader;
  std::vector<Member> members;  // sorted by name
  std::optional<FailoverRequest> failover;
  std::optional<SyncState> sync;
  std::optional<TimelineHistory> history;
  ClusterStatus status;
  std::optional<std::map<std::string, std::string>> failsafe;  // member -> api_url
  Version failsafe_version = kNoVersion;
  // Values that could not be decoded: skipped, never trusted. One line each, for the log.
  std::vector<std::string> decode_errors;
  // The backend's change counter at the time of the read (for WaitForChange).
  int64_t revision = 0;

  const Member* FindMember(const std::string& name) const;
  const Member* LeaderMember() const;
  bool HasLeader() const { return leader.has_value(); }
  bool IsLeader(const std::string& name) const { return leader && leader->name == name; }
  bool IsPaused() const;
  bool IsSynchronousMode() const;  // synchronous_mode on/quorum in config
  bool IsQuorumCommitMode() const;  // synchronous_mode: quorum
  bool IsStandbyCluster() const;    // standby_cluster with host, port or restore_command
  // The cluster's timeline as Patroni derives it: last history timeline + 1, or 0 if unknown.
  int Timeline() const;
  // The leader's last known WAL position: the status optime, 0 when unknown.
  Lsn LastLeaderOptime() const { return status.optime.value_or(0); }
  // How many bytes `member` is behind the leader's last known position (0 when ahead), as
  // Patroni's /cluster and patronictl list show it; nullopt when it publishes no position.
  std::optional<int64_t> MemberLag(const Member& member) const;
  const FailoverRequest* PendingFailover() const {
    return failover && !failover->empty() ? &*failover : nullptr;
  }
};

using ClusterStatePtr = std::shared_ptr<const ClusterState>;

}  // namespace pgha::dcs

#endif  // PGHA_DCS_CLUSTER_STATE_H_
