// A standby cluster (standby_cluster in the dynamic configuration): its lock holder, the standby
// leader, replicates from a remote primary (or restores from an archive) and never promotes;
// the other members cascade from it. Removing standby_cluster promotes the standby leader (the
// ordinary holding_lock rule); adding it to a normal cluster turns its primary into the standby
// leader (clean stop, then a standby of the remote).
#include "context.h"

namespace pgha::ha {
namespace internal {

std::optional<pg::Upstream> RemoteUpstream(const Context& c) {
  if (!c.config.standby_cluster) return std::nullopt;
  const config::StandbyClusterConfig& s = *c.config.standby_cluster;
  pg::Upstream u;
  u.name = s.host.empty() ? std::string("the archive (standby_cluster)")
                          : absl::StrCat("remote primary ", s.host, ":", s.port != 0 ? s.port : 5432);
  u.host = s.host;
  u.port = s.port != 0 ? s.port : 5432;
  // No primary_slot_name: no slot at all (Patroni's rule; the remote does not know our name).
  // A name PostgreSQL would refuse is made valid as Patroni does (lower case, [a-z0-9_]).
  u.slot_name = s.primary_slot_name.empty() ? std::string() : pg::SlotNameForMember(s.primary_slot_name);
  if (!s.restore_command.empty()) u.recovery_settings["restore_command"] = s.restore_command;
  if (!s.archive_cleanup_command.empty()) u.recovery_settings["archive_cleanup_command"] = s.archive_cleanup_command;
  if (!s.recovery_min_apply_delay.empty()) u.recovery_settings["recovery_min_apply_delay"] = s.recovery_min_apply_delay;
  u.create_replica_methods = s.create_replica_methods.empty() ? std::vector<std::string>{"basebackup"}
                                                              : s.create_replica_methods;
  return u;
}

std::optional<pg::Upstream> ForStandbyCluster(const Context& c, std::optional<pg::Upstream> u) {
  if (!u || !c.config.standby_cluster) return u;
  const config::StandbyClusterConfig& s = *c.config.standby_cluster;
  // The members of a standby cluster restore from its archive too, and clone with its methods
  // (Patroni); the apply delay is the standby leader's alone.
  if (!s.restore_command.empty()) u->recovery_settings["restore_command"] = s.restore_command;
  if (!s.archive_cleanup_command.empty()) u->recovery_settings["archive_cleanup_command"] = s.archive_cleanup_command;
  u->create_replica_methods = s.create_replica_methods.empty() ? std::vector<std::string>{"basebackup"}
                                                               : s.create_replica_methods;
  return u;
}

bool IsLeaderRole(const Context& c, const std::string& role) {
  return role == "primary" || (c.StandbyCluster() && role == "standby_leader");
}

namespace {

// The standby leader's part of the primary's duties: its position in `status` (what the race
// measures lag against), the slots its members stream from, and physical permanent slots.
// No history (it makes no timeline), no synchronous replication, no failsafe key.
void StandbyLeaderDuties(Context& c) {
  std::vector<std::string> retained = RetainedMemberSlots(c);
  std::optional<Lsn> position = c.local.pg.WalPosition();
  if ((position && c.cluster.status.optime != position) || c.cluster.status.retain_slots != retained) {
    dcs::ClusterStatus status = c.cluster.status;
    if (position) status.optime = position;
    status.retain_slots = retained;
    c.Do(WriteStatus{status, c.cluster.status.version});
  }
  ManageSlots(c, retained, true);
}

}  // namespace

// When we hold the lock in a standby cluster: keep it, never promote; a running primary stops
// cleanly (fast: every acknowledged commit reaches its replicas) and comes back as a standby
// of the remote; a standby follows the remote, because the remote cluster is the one that
// writes and a second writer would split the data.
bool HoldingLockAsStandbyLeader(Context& c) {
  const dcs::Member* me = c.cluster.FindMember(c.me());
  bool was_standby_leader = me != nullptr && me->role == "standby_leader";
  if (c.Paused()) {
    KeepLock(c);
    if (c.PgRunning() && c.local.pg.in_recovery) StandbyLeaderDuties(c);
    c.Say(absl::StrCat("PAUSE: no action. I am (", c.me(), "), the standby leader with the lock"));
    return true;
  }
  KeepLock(c);
  if (c.PgPrimary()) {
    c.Do(Demote{pg::StopMode::kFast});
    c.decision.memory.rejoin_needed = true;
    c.Say("demoting to a standby cluster");
    return true;
  }
  if (HandleSwitchoverAsLeader(c)) return true;
  c.Do(Follow{RemoteUpstream(c)});
  StandbyLeaderDuties(c);
  c.Say(was_standby_leader ? absl::StrCat("no action. I am (", c.me(), "), the standby leader with the lock")
                           : std::string("promoted self to a standby leader because i had the session lock"));
  return true;
}

}  // namespace internal
}  // namespace pgha::ha
