// The leader race: who may take the lock when nobody holds it (Patroni's
// process_unhealthy_cluster, is_healthiest_node and manual failover rules).
#include "context.h"

namespace pgha::ha {
namespace internal {
namespace {

const PeerStatus* PeerNamed(const LocalState& local, const std::string& name) {
  for (const auto& p : local.peers) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

bool PeerUsable(const PeerStatus& p) {
  return p.reachable && !p.nofailover && p.failover_priority > 0 && !p.watchdog_failed;
}

// Whether `name` may race while a switchover away from the former leader is pending: in quorum
// mode only the voters (Patroni's rule), otherwise whoever synchronous mode allows.
bool MayRaceInSwitchover(const Context& c, const std::string& name) {
  if (c.QuorumActive()) return c.cluster.sync->Includes(name);
  return SyncAllowsPromotion(c, name);
}

}  // namespace

}  // namespace internal

bool IsHealthiest(const dcs::ClusterState& cluster, const LocalState& local, const HaConfig& config,
                  bool check_lag, std::string* why_not) {
  auto fail = [why_not](std::string why) {
    if (why_not != nullptr) *why_not = std::move(why);
    return false;
  };
  std::optional<Lsn> mine = local.pg.WalPosition();
  if (!mine) return fail("my WAL position is unknown");
  if (check_lag && cluster.status.optime &&
      static_cast<int64_t>(*cluster.status.optime) - static_cast<int64_t>(*mine) >
          config.maximum_lag_on_failover) {
    return fail("my wal position exceeds maximum replication lag");
  }
  // A standby cluster writes no history: its timeline is the remote's (Patroni skips the check).
  if (config.check_timeline && !config.standby_cluster && cluster.Timeline() > 0 &&
      local.pg.timeline.value_or(0) < cluster.Timeline()) {
    return fail("my timeline is behind the last known cluster timeline");
  }
  bool sync_active = config.synchronous_mode != config::SyncMode::kOff && cluster.sync &&
                     !cluster.sync->leader.empty();
  // Quorum commit: every acknowledged commit is on at least one voter of any `quorum` of them
  // plus the former leader, so a node may win only with that many votes: voters (the former
  // leader is one; so is this node when listed) it reached that are not ahead of it.
  bool quorum_active = sync_active && config.synchronous_mode == config::SyncMode::kQuorum;
  int votes = quorum_active && cluster.sync->Includes(config.name) ? 0 : -1;
  int nodes_ahead = 0;
  for (const auto& peer : local.peers) {
    if (peer.name == config.name || !internal::PeerUsable(peer)) continue;
    // In synchronous mode only the former leader and the sync standbys (voters) are compared.
    if (sync_active && !cluster.sync->Includes(peer.name)) continue;
    if (!peer.in_recovery) return fail(absl::StrCat("primary (", peer.name, ") is still alive"));
    Lsn theirs = peer.wal_position.value_or(0);
    bool former_leader = sync_active && cluster.sync->LeaderIs(peer.name);
    // Quorum commit: a peer on a newer timeline has a promotion this node missed (and the
    // commits made after it), whatever the LSNs say. A lower timeline never makes a peer less
    // ahead: a standby whose WAL receiver stopped reports the timeline of its last
    // restartpoint, which may predate the switch its WAL is on.
    bool is_ahead = theirs > *mine;
    if (quorum_active && peer.timeline && local.pg.timeline && *peer.timeline > *local.pg.timeline) {
      is_ahead = true;
    }
    if (is_ahead) {
      ++nodes_ahead;
      if (!former_leader) return fail(absl::StrCat("wal position of ", peer.name, " is ahead of my wal position"));
      continue;  // the former leader's extra WAL was never acknowledged
    }
    if (theirs == *mine && peer.failover_priority > config.failover_priority && !former_leader) {
      return fail(absl::StrCat(peer.name, " has equally advanced WAL and a higher priority"));
    }
    if (quorum_active && theirs > 0) ++votes;  // only a running PostgreSQL votes
  }
  if (!quorum_active) return true;
  int quorum = cluster.sync->quorum.value_or(0);
  // The former leader alone (nobody ahead of it) is safe with no votes: it wrote every commit.
  if (votes >= quorum || (nodes_ahead == 0 && cluster.sync->LeaderIs(config.name))) return true;
  return fail(absl::StrCat("quorum requirement ", quorum, " can not be reached (", std::max(votes, 0), " votes)"));
}

namespace internal {

// When nobody holds the lock and PostgreSQL runs: the healthiest eligible node takes the lock
// and promotes; the others wait for it, because the DCS create decides between equal
// candidates and only a node as advanced as every reachable peer may win.
bool RuleLeaderRace(Context& c) {
  if (c.cluster.leader) return false;
  const std::string& me = c.me();
  if (c.Paused()) {
    // A switchover or failover to this node, asked for while paused, is carried out at once
    // (Patroni: only to a named candidate, never scheduled). The lock holder clears the request
    // once the promotion is done.
    const dcs::FailoverRequest* req = c.cluster.PendingFailover();
    if (req != nullptr && req->candidate == me && !req->scheduled_at && !c.config.nofailover &&
        c.PgRunning() && c.local.pg.in_recovery) {
      if (!SyncAllowsPromotion(c, me)) {
        c.Say("not taking the leader lock: I am not a synchronous standby (paused)");
        return true;
      }
      TakeLock(c);
      if (c.StandbyCluster()) {
        c.Do(Follow{RemoteUpstream(c)});
        c.Say("promoted self to a standby leader by acquiring session lock (manual failover, paused)");
        return true;
      }
      PrepareSyncForPromotion(c);
      c.Do(Promote{});
      c.Say("promoted self to leader by acquiring session lock (manual failover, paused)");
      return true;
    }
    std::string mine = c.local.pg.system_identifier ? std::to_string(*c.local.pg.system_identifier) : "";
    if (c.PgPrimary() && (!c.cluster.initialize || *c.cluster.initialize == mine)) {
      TakeLock(c);
      c.Say("acquiring the leader lock for the running primary (paused)");
    } else {
      c.Say("no leader (paused: no action)");
    }
    return true;
  }
  const dcs::FailoverRequest* request = c.cluster.PendingFailover();
  bool manual = false;
  bool eligible = true;
  std::string why_not;
  if (request != nullptr && !request->candidate.empty()) {
    // A manual failover or switchover names who should win.
    if (request->candidate == me) {
      manual = true;
    } else {
      // In synchronous mode a candidate outside `sync` cannot take over, so it does not keep
      // the others out (Patroni: sync.matches(failover.candidate)).
      const PeerStatus* candidate = PeerNamed(c.local, request->candidate);
      bool candidate_alive = candidate != nullptr && PeerUsable(*candidate) &&
                             c.cluster.FindMember(request->candidate) != nullptr &&
                             SyncAllowsPromotion(c, request->candidate);
      if (candidate_alive) {
        eligible = false;
        why_not = absl::StrCat("waiting for ", request->candidate, " to take over (manual failover)");
      }
    }
  }
  if (eligible && request != nullptr && request->leader == me && !manual) {
    // The former leader of a switchover stays out while any other member can take over (in
    // synchronous mode: a member listed in `sync`; otherwise nobody would ever promote).
    for (const auto& p : c.local.peers) {
      if (p.name != me && PeerUsable(p) && p.in_recovery && MayRaceInSwitchover(c, p.name)) {
        eligible = false;
        why_not = "I am the former leader of a switchover";
        break;
      }
    }
  }
  if (eligible && c.config.failsafe_mode && c.cluster.failsafe && !c.cluster.failsafe->empty() &&
      c.cluster.failsafe->count(me) == 0) {
    eligible = false;
    why_not = "I am not listed in /failsafe";
  }
  if (eligible && c.config.failsafe_mode && c.local.failsafe_heartbeat_recent && !c.PgPrimary()) {
    // A primary that kept running through a DCS outage told us it lives within ttl.
    eligible = false;
    why_not = "a primary confirmed within ttl that it runs (failsafe mode)";
  }
  if (eligible && !manual && request != nullptr && !request->leader.empty() && !MayRaceInSwitchover(c, me)) {
    // A switchover in quorum mode is raced among the voters (Patroni's rule).
    eligible = false;
    why_not = "I am not a voter of the synchronous quorum";
  }
  if (eligible && c.config.nofailover) {
    eligible = false;
    why_not = "I am tagged nofailover";
  }
  if (eligible && c.config.watchdog == WatchdogMode::kRequired && !c.local.watchdog_usable) {
    eligible = false;
    why_not = "the watchdog is required but not usable";
  }
  // In synchronous mode only the former leader and the listed standbys have every acknowledged
  // commit: that holds for a named switchover candidate too (the request may predate a change
  // of `sync`, or have been written to the DCS without the REST API's check).
  if (eligible && !SyncAllowsPromotion(c, me)) {
    eligible = false;
    why_not = "I am not a synchronous standby";
  }
  // A manual failover to this node is the operator's decision (it may lose data, as in Patroni);
  // everyone else must be as advanced as every reachable peer.
  if (eligible && !manual) eligible = IsHealthiest(c.cluster, c.local, c.config, true, &why_not);
  if (!eligible) {
    if (c.PgPrimary()) {
      // A primary nobody should follow (it is not the healthiest): stop accepting writes.
      c.Do(Demote{pg::StopMode::kImmediate});
      c.decision.memory.rejoin_needed = true;
      c.Say(absl::StrCat("demoting self because I am not the healthiest node: ", why_not));
    } else {
      c.Say(absl::StrCat("not taking the leader lock: ", why_not));
    }
    return true;
  }
  TakeLock(c);
  if (request != nullptr) c.Do(ClearFailover{request->version});
  if (c.StandbyCluster()) {
    // The winner of a standby cluster's race becomes its standby leader: it follows the remote
    // primary; a primary found here stops cleanly first and comes back as its standby.
    if (c.PgPrimary()) {
      c.Do(Demote{pg::StopMode::kFast});
      c.decision.memory.rejoin_needed = true;
    } else {
      c.Do(Follow{RemoteUpstream(c)});
    }
    c.Say("promoted self to a standby leader by acquiring session lock");
    return true;
  }
  if (c.local.pg.in_recovery) {
    PrepareSyncForPromotion(c);
    c.Do(Promote{});
    c.Say("promoted self to leader by acquiring session lock");
  } else {
    c.Say("acquired session lock as a leader");
  }
  return true;
}

}  // namespace internal
}  // namespace pgha::ha
