// Shared state of one Decide() call, and the rule helpers the rule files share.
#ifndef PGHA_HA_CONTEXT_H_
#define PGHA_HA_CONTEXT_H_

#include <string>

#include "absl/strings/str_cat.h"
#include "pgha/ha/decide.h"

namespace pgha::ha::internal {

struct Context {
  const dcs::ClusterState& cluster;
  const LocalState& local;
  const HaConfig& config;
  Decision& decision;

  const std::string& me() const { return config.name; }
  bool HoldsLock() const { return cluster.leader && cluster.leader->name == config.name; }
  bool Paused() const { return cluster.IsPaused(); }
  bool PgRunning() const { return local.pg.accepting; }
  bool PgPrimary() const { return local.pg.accepting && !local.pg.in_recovery; }
  bool SyncModeActive() const {
    return config.synchronous_mode != config::SyncMode::kOff && cluster.sync &&
           !cluster.sync->leader.empty();
  }
  bool StandbyCluster() const { return config.standby_cluster.has_value(); }
  bool QuorumMode() const { return config.synchronous_mode == config::SyncMode::kQuorum; }
  // Quorum commit is on and the `sync` key names a leader: its quorum and voters bind the race.
  bool QuorumActive() const { return QuorumMode() && SyncModeActive(); }
  void Do(Action a) { decision.actions.push_back(std::move(a)); }
  void Say(std::string message) { decision.message = std::move(message); }
};

// Refreshes the lock we hold; while we may write (not paused), arms the write guard with what
// the refresh bought. A primary whose refresh fails stops: at once if the lock is gone, by a
// fast shutdown (which hands every acknowledged write to the replicas) if the DCS is silent.
void KeepLock(Context& c);
// Takes the free lock and, unless paused, arms the write guard before anything can promote.
void TakeLock(Context& c);

// Rule signature: true when the rule decided the cycle (later rules are not tried).
using RuleFn = bool (*)(Context&);

// Rule files.
bool RuleWriteDeadlinePassed(Context& c);
bool RuleTaskInFlight(Context& c);
bool RuleDcsUnreachable(Context& c);
bool RuleManualCommand(Context& c);
bool RuleBootstrapFinished(Context& c);
bool RuleNoData(Context& c);
bool RuleForeignCluster(Context& c);
bool RulePostgresDown(Context& c);
bool RuleLeaderRace(Context& c);
bool RuleHoldingLock(Context& c);
bool RuleFollowLeader(Context& c);

// The memory the rules start from: `local.memory` updated with a task that just finished.
Memory MemoryAfterTask(const LocalState& local);
// After the rules: disarm the write guard when this node will not be a writable primary.
void GuardPolicy(Context& c);

// Helpers.
std::optional<pg::Upstream> UpstreamOf(const dcs::Member& member);
// Whom a replica streams from: its replicatefrom member when that one runs, else the leader.
std::optional<pg::Upstream> ReplicationSource(const Context& c);
// Leader-side duties of a primary holding the lock.
void PrimaryDuties(Context& c);
// The slots of the members that are away but retained (member_slots_ttl), sorted; and the lock
// holder's slots (members', permanent ones; a standby leader keeps physical ones only).
std::vector<std::string> RetainedMemberSlots(Context& c);
void ManageSlots(Context& c, const std::vector<std::string>& retained, bool standby_leader);
// Switchover/failover request handling on the leader. True when it decided.
bool HandleSwitchoverAsLeader(Context& c);
// Standby clusters (rules_standby.cc): the remote primary as an upstream; `u` with the standby
// cluster's recovery settings and clone methods; whether `role` is a leader's role here.
std::optional<pg::Upstream> RemoteUpstream(const Context& c);
std::optional<pg::Upstream> ForStandbyCluster(const Context& c, std::optional<pg::Upstream> u);
bool IsLeaderRole(const Context& c, const std::string& role);
bool HoldingLockAsStandbyLeader(Context& c);

// Synchronous replication (sync_replication.cc). Whether `name` may race in synchronous mode.
bool SyncAllowsPromotion(const Context& c, const std::string& name);
// Before a promotion: take `sync` over (on), or set synchronous_standby_names so that the first
// commits wait for a quorum that overlaps any race (quorum).
void PrepareSyncForPromotion(Context& c);
// The primary's part: synchronous_standby_names and `sync` as the mode wants them.
void ManageSynchronousReplication(Context& c);
// synchronous_node_count, at least 1 in strict mode.
int SyncNodesWanted(const Context& c);

}  // namespace pgha::ha::internal

#endif  // PGHA_HA_CONTEXT_H_
