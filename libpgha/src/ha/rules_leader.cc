// The lock holder: keep the lock, promote if needed, serve switchover requests, and the
// primary's duties (status, history, synchronous replication, slots).
#include <algorithm>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_join.h"
#include "context.h"
#include "pgha/dcs/codec.h"

namespace pgha::ha {
namespace internal {
namespace {

const PeerStatus* PeerNamed(const LocalState& local, const std::string& name) {
  for (const auto& p : local.peers) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

// Whether `name` can take over from us now: reachable, a replica, allowed to promote, close
// enough in WAL, and (in synchronous mode) a synchronous standby.
bool CanTakeOver(const Context& c, const std::string& name) {
  const PeerStatus* p = PeerNamed(c.local, name);
  if (p == nullptr || !p->reachable || !p->in_recovery || p->nofailover || p->failover_priority <= 0 ||
      p->watchdog_failed) {
    return false;
  }
  if (c.cluster.FindMember(name) == nullptr) return false;
  // Synchronous mode on: only a listed standby has every acknowledged commit. Quorum mode: the
  // primary stops cleanly first, so a standby streaming from it gets everything (and the lock
  // is released only once it confirmed the shutdown checkpoint, tasks.cc).
  if (c.SyncModeActive() && !c.QuorumMode() && !c.cluster.sync->Contains(name)) return false;
  if (c.QuorumMode()) {
    bool streaming = std::any_of(c.local.pg.replication.begin(), c.local.pg.replication.end(),
                                 [&](const pg::ReplicationRow& r) {
                                   return absl::EqualsIgnoreCase(r.application_name, name) && r.state == "streaming";
                                 });
    if (!streaming) return false;
  }
  std::optional<Lsn> mine = c.local.pg.current_lsn;
  if (mine && p->wal_position &&
      static_cast<int64_t>(*mine) - static_cast<int64_t>(*p->wal_position) > c.config.maximum_lag_on_failover) {
    return false;
  }
  return true;
}

void WriteHistoryIfNeeded(Context& c) {
  const pg::Observation& pg = c.local.pg;
  int timeline = pg.timeline.value_or(0);
  if (timeline <= 1 || pg.timeline_history.empty()) return;
  int dcs_last = c.cluster.history && !c.cluster.history->entries.empty()
                     ? c.cluster.history->entries.back().timeline
                     : 0;
  if (dcs_last >= timeline - 1) return;
  std::vector<dcs::HistoryEntry> entries;
  for (const auto& line : pg.timeline_history) {
    dcs::HistoryEntry e{line.timeline, line.lsn, line.reason, "", ""};
    if (c.cluster.history) {
      for (const auto& old : c.cluster.history->entries) {
        if (old.timeline == line.timeline) {
          e.timestamp = old.timestamp;
          e.new_leader = old.new_leader;
        }
      }
    }
    if (line.timeline == timeline - 1 && e.timestamp.empty()) {
      e.timestamp = dcs::FormatTimestamp(pg.timeline_history_time.value_or(c.local.wall_now));
      e.new_leader = c.me();
    }
    entries.push_back(std::move(e));
  }
  if (c.config.max_timelines_history > 0 && static_cast<int>(entries.size()) > c.config.max_timelines_history) {
    entries.erase(entries.begin(), entries.end() - c.config.max_timelines_history);
  }
  c.Do(WriteHistory{entries, c.cluster.history ? c.cluster.history->version : dcs::kNoVersion});
}

// Whether an ignore_slots entry matches `slot`: every attribute the entry names is equal.
bool IgnoredSlot(const Json& ignore_slots, const pg::SlotInfo& slot) {
  if (!ignore_slots.is_array()) return false;
  for (const auto& entry : ignore_slots) {
    if (!entry.is_object() || entry.empty()) continue;
    bool match = true;
    for (const auto& [key, value] : {std::pair<const char*, const std::string*>{"name", &slot.name},
                                     {"type", &slot.type},
                                     {"database", &slot.database},
                                     {"plugin", &slot.plugin}}) {
      auto it = entry.find(key);
      if (it != entry.end() && (!it->is_string() || it->get<std::string>() != *value)) match = false;
    }
    if (match) return true;
  }
  return false;
}

// Emits SyncSlots when a wanted slot is missing or to be advanced, or a slot nobody wants is to
// be dropped, so that it does not hold WAL forever: only a physical one (a logical consumer's
// position cannot be recreated), never one in use, never while paused (the operator is in
// charge), never one ignore_slots matches.
void SyncSlotsIfNeeded(Context& c, std::vector<pg::DesiredSlot> wanted) {
  std::set<std::string> want;
  for (const auto& w : wanted) want.insert(w.name);
  std::set<std::string> have;
  std::vector<std::string> drop;
  for (const auto& s : c.local.pg.slots) {
    have.insert(s.name);
    if (want.count(s.name) == 0 && s.type == "physical" && !s.active && !c.Paused() &&
        !IgnoredSlot(c.config.ignore_slots, s)) {
      drop.push_back(s.name);
    }
  }
  bool needed = !drop.empty() || std::any_of(wanted.begin(), wanted.end(), [&](const pg::DesiredSlot& w) {
                  return have.count(w.name) == 0 || w.advance_to.has_value();
                });
  if (needed) c.Do(SyncSlots{std::move(wanted), std::move(drop)});
}

// The members that stream from the primary, each through its slot: not itself, not one that
// cascades from a running replica, not one that reads the archive only.
std::vector<std::string> MemberSlotsOfPrimary(const Context& c) {
  std::vector<std::string> names;
  for (const auto& m : c.cluster.members) {
    if (m.name == c.me()) continue;
    std::string from = m.ReplicateFrom();
    const dcs::Member* upstream = from.empty() ? nullptr : c.cluster.FindMember(from);
    if (upstream != nullptr && upstream->IsRunning() && from != c.me()) continue;  // cascades
    if (m.NoStream()) continue;  // reads the archive, holds no slot
    names.push_back(pg::SlotNameForMember(m.name));
  }
  return names;
}

// A replica's slots: one for each member that replicates from it (cascading), and copies of the
// permanent logical slots, advanced to the primary's published position, so that logical
// consumers find their slot after a failover (Patroni's rules: not on nofailover members, from
// PostgreSQL 11). Returns whether a task was started.
bool ManageReplicaSlots(Context& c) {
  const std::string leader = c.cluster.leader ? c.cluster.leader->name : std::string();
  std::vector<pg::DesiredSlot> wanted;
  std::vector<pg::DesiredSlot> copy;
  if (c.config.use_slots) {
    for (const auto& m : c.cluster.members) {
      if (m.name != c.me() && m.name != leader && m.ReplicateFrom() == c.me() && !m.NoStream()) {
        wanted.push_back({pg::SlotNameForMember(m.name)});
      }
    }
  }
  const pg::Observation& pg = c.local.pg;
  bool keeps_logical = c.config.use_slots && !c.config.nofailover && !c.config.nostream &&
                       pg.server_version >= 110000;
  std::optional<Lsn> replayed = pg.replay_lsn;
  for (const auto& p : c.config.permanent_slots) {
    if (!keeps_logical || p.type != "logical" || p.cluster_type == "standby") continue;
    auto published = c.cluster.status.slots.find(p.name);
    const pg::SlotInfo* local = nullptr;
    for (const auto& s : pg.slots) {
      if (s.name == p.name) local = &s;
    }
    pg::DesiredSlot want{p.name, p.type, p.plugin, p.database};
    if (local == nullptr) {
      // Only a slot the primary has published a position for is copied (Patroni: "feedback in
      // the DCS"); copying restarts this replica, so not while paused.
      bool backing_off = c.local.memory.slot_copy_not_before && c.local.now < *c.local.memory.slot_copy_not_before;
      if (published != c.cluster.status.slots.end() && !c.Paused() && !backing_off) copy.push_back(want);
      continue;
    }
    if (local->type != "logical" || local->database != p.database || local->plugin != p.plugin) continue;
    if (published != c.cluster.status.slots.end() && replayed) {
      Lsn target = std::min(published->second, *replayed);
      if (local->confirmed_flush_lsn.value_or(0) < target) want.advance_to = target;
    }
    wanted.push_back(want);
  }
  const dcs::Member* leader_member = c.cluster.LeaderMember();
  std::optional<pg::Upstream> copy_from = leader_member != nullptr ? UpstreamOf(*leader_member) : std::nullopt;
  if (!copy.empty() && copy_from) {
    StartTask task{TaskKind::kCopySlots, ReplicationSource(c)};
    task.slots = copy;
    task.copy_from = copy_from;
    c.Do(task);
    c.Say(absl::StrCat("copying ", copy.size(), " logical slot(s) from the leader"));
    return true;
  }
  SyncSlotsIfNeeded(c, std::move(wanted));
  return false;
}

}  // namespace

// member_slots_ttl (Patroni 4): the slot of a member whose key went away (a reboot, an upgrade,
// a replica rebuilt elsewhere) is kept that long after it was last seen, so that the member
// finds its WAL when it returns. The names go to /status retain_slots, from which a new primary
// starts its own count (Patroni's rule: the retention time restarts at each promotion).
// Returns the retained slot names, sorted; updates the memory of when each was seen.
std::vector<std::string> RetainedMemberSlots(Context& c) {
  Memory& m = c.decision.memory;
  if (c.config.member_slots_ttl <= absl::ZeroDuration() || !c.config.use_slots) {
    m.member_slot_seen.clear();
    return {};
  }
  int timeline = c.local.pg.timeline.value_or(0);
  if (m.member_slot_seen_timeline != timeline) {
    m.member_slot_seen.clear();
    std::string mine = pg::SlotNameForMember(c.me());
    for (const auto& name : c.cluster.status.retain_slots) {
      if (pg::IsValidSlotName(name) && name != mine) m.member_slot_seen[name] = c.local.now;
    }
    m.member_slot_seen_timeline = timeline;
  }
  // Only slots this primary serves are remembered: a slot it does not advance (a cascading
  // member's, made while its upstream was down) must not be kept past its use.
  std::set<std::string> existing;
  for (const auto& s : c.local.pg.slots) existing.insert(s.name);
  for (const auto& slot : MemberSlotsOfPrimary(c)) {
    if (existing.count(slot) > 0) m.member_slot_seen[slot] = c.local.now;
  }
  // A permanent slot is the configuration's, never a member's to retain.
  std::set<std::string> permanent;
  for (const auto& p : c.config.permanent_slots) permanent.insert(p.name);
  std::vector<std::string> retained;
  for (auto it = m.member_slot_seen.begin(); it != m.member_slot_seen.end();) {
    if (it->second + c.config.member_slots_ttl <= c.local.now || permanent.count(it->first) > 0) {
      it = m.member_slot_seen.erase(it);  // dropped below; the controller logs the drop
    } else {
      retained.push_back(it->first);
      ++it;
    }
  }
  return retained;
}

void ManageSlots(Context& c, const std::vector<std::string>& retained, bool standby_leader) {
  std::vector<pg::DesiredSlot> wanted;
  if (c.config.use_slots) {
    for (const auto& name : MemberSlotsOfPrimary(c)) wanted.push_back({name});
    // Retention is for members that are away: one that is here has its slot above, or where it
    // streams from (cascading), and a slot here would not be advanced.
    std::set<std::string> present;
    for (const auto& m : c.cluster.members) present.insert(pg::SlotNameForMember(m.name));
    for (const auto& name : retained) {
      if (present.count(name) == 0) wanted.push_back({name});
    }
  }
  for (const auto& s : c.config.permanent_slots) {
    // cluster_type says where a slot belongs; a standby leader keeps physical ones only (a
    // logical slot needs a primary), as Patroni.
    if (s.cluster_type == (standby_leader ? "primary" : "standby")) continue;
    if (standby_leader && s.type != "physical") continue;
    wanted.push_back({s.name, s.type, s.plugin, s.database});
  }
  SyncSlotsIfNeeded(c, std::move(wanted));
}

bool HandleSwitchoverAsLeader(Context& c) {
  const dcs::FailoverRequest* req = c.cluster.PendingFailover();
  if (req == nullptr) return false;
  if ((!req->leader.empty() && req->leader != c.me()) || req->candidate == c.me()) {
    c.Do(ClearFailover{req->version});  // not for us, or already served
    return false;
  }
  if (c.Paused() && (req->scheduled_at || req->candidate.empty())) {
    // Patroni: while paused only an immediate switchover to a named candidate is carried out;
    // the REST API refuses the others, and one written to the DCS directly must not wait there
    // to fire after resume.
    c.Do(ClearFailover{req->version});
    c.Say(req->scheduled_at ? "Can't schedule a switchover in the paused state: failover key removed"
                            : "Switchover is possible only to a specific candidate in a paused state");
    return true;
  }
  if (req->scheduled_at) {
    absl::Duration until = *req->scheduled_at - c.local.wall_now;
    if (until > absl::ZeroDuration()) {
      c.Say(absl::StrCat("Awaiting failover at ", dcs::FormatTimestamp(*req->scheduled_at), " (in ",
                         absl::FormatDuration(absl::Trunc(until, absl::Seconds(1))), ")"));
      return false;
    }
    if (-until > c.config.loop_wait * 3 / 2 + absl::Seconds(1)) {
      c.Do(ClearFailover{req->version});
      c.Say("Found a stale failover value, cleaning up");
      return true;
    }
  }
  std::string candidate = req->candidate;
  if (candidate.empty()) {
    for (const auto& p : c.local.peers) {
      // Quorum mode: without a named candidate the voters race, so pick one of them.
      bool may_race = !c.QuorumActive() || c.cluster.sync->Contains(p.name);
      if (p.name != c.me() && may_race && CanTakeOver(c, p.name)) {
        candidate = p.name;
        break;
      }
    }
  }
  if (candidate.empty() || !CanTakeOver(c, candidate)) {
    c.Do(ClearFailover{req->version});
    c.Say("manual failover: no healthy members found, failover is not possible");
    return true;
  }
  const dcs::Member* target = c.cluster.FindMember(candidate);
  StartTask demote{TaskKind::kGracefulDemote, UpstreamOf(*target)};
  demote.candidate = candidate;
  demote.follow_after = c.Paused();
  c.Do(demote);
  c.decision.memory.rejoin_needed = true;
  c.Say(absl::StrCat("manual failover: demoting myself in favour of ", candidate));
  return true;
}

// The positions of the permanent slots, as /status publishes them for the replicas that keep
// copies (a logical slot's confirmed_flush_lsn, a physical slot's restart_lsn).
std::map<std::string, Lsn> PermanentSlotPositions(const Context& c) {
  std::map<std::string, Lsn> out;
  if (!c.config.use_slots) return out;
  for (const auto& s : c.local.pg.slots) {
    for (const auto& p : c.config.permanent_slots) {
      if (p.name != s.name || p.cluster_type == "standby") continue;
      std::optional<Lsn> lsn = s.type == "logical" ? s.confirmed_flush_lsn : s.restart_lsn;
      if (lsn) out[s.name] = *lsn;
    }
  }
  return out;
}

void PrimaryDuties(Context& c) {
  std::map<std::string, Lsn> slot_positions = PermanentSlotPositions(c);
  std::vector<std::string> retained = RetainedMemberSlots(c);
  if ((c.local.pg.current_lsn && c.cluster.status.optime != c.local.pg.current_lsn) ||
      c.cluster.status.slots != slot_positions || c.cluster.status.retain_slots != retained) {
    dcs::ClusterStatus status = c.cluster.status;
    if (c.local.pg.current_lsn) status.optime = c.local.pg.current_lsn;
    status.slots = slot_positions;
    status.retain_slots = retained;
    c.Do(WriteStatus{status, c.cluster.status.version});
  }
  WriteHistoryIfNeeded(c);
  ManageSynchronousReplication(c);
  ManageSlots(c, retained, false);
  if (c.config.failsafe_mode) {
    // Who must confirm, should the DCS go away: every member's REST API, ours included.
    std::map<std::string, std::string> members;
    for (const auto& m : c.cluster.members) {
      if (!m.api_url.empty()) members[m.name] = m.api_url;
    }
    if (!c.cluster.failsafe || *c.cluster.failsafe != members) {
      c.Do(WriteFailsafe{members, c.cluster.failsafe_version});
    }
  }
}

// When we hold the lock: refresh it, promote if we are still a replica, serve a switchover
// request, and do the primary's duties, because the holder is the only node that may write and
// the only one that can tell replicas what is safe (status, sync).
bool RuleHoldingLock(Context& c) {
  if (!c.HoldsLock()) return false;
  if (c.StandbyCluster()) return HoldingLockAsStandbyLeader(c);
  if (c.Paused()) {
    const dcs::FailoverRequest* req = c.cluster.PendingFailover();
    if (!c.PgPrimary()) {
      if (req != nullptr && req->candidate == c.me() && c.local.pg.in_recovery && c.PgRunning()) {
        // The lock was taken for a switchover to us and the promotion has not finished.
        KeepLock(c);
        c.Do(Promote{});
        c.Say("waiting to become primary after promote (paused)");
        return true;
      }
      c.Do(ReleaseLock{*c.cluster.leader, std::nullopt});
      c.Say("released the leader lock: not running as primary (paused)");
    } else {
      KeepLock(c);
      if (HandleSwitchoverAsLeader(c)) return true;
      PrimaryDuties(c);
      c.Say(absl::StrCat("PAUSE: no action. I am (", c.me(), "), the leader with the lock"));
    }
    return true;
  }
  KeepLock(c);
  if (c.local.pg.in_recovery) {
    if (c.QuorumMode() || (c.SyncModeActive() && !c.cluster.sync->LeaderIs(c.me()))) PrepareSyncForPromotion(c);
    c.Do(Promote{});
    c.Say("promoted self to leader because I had the session lock");
    return true;
  }
  if (HandleSwitchoverAsLeader(c)) return true;
  PrimaryDuties(c);
  if (c.decision.message.empty()) {
    c.Say(absl::StrCat("no action. I am (", c.me(), "), the leader with the lock"));
  }
  return true;
}

// When someone else holds the lock: a primary steps down; a replica follows the leader (or its
// replicatefrom member), checking for divergence whenever the leader changed, because only the
// lock holder may write and a diverged replica cannot follow a new timeline.
bool RuleFollowLeader(Context& c) {
  if (!c.cluster.leader) return false;
  const std::string& leader = c.cluster.leader->name;
  if (c.Paused()) {
    // A running replica is pointed at the new leader after a switchover (Patroni does, paused or
    // not); nothing is started, stopped or rewound.
    std::optional<pg::Upstream> source = ReplicationSource(c);
    if (source && c.PgRunning() && c.local.pg.in_recovery) {
      c.Do(Follow{source});
      ManageReplicaSlots(c);
    }
    c.Say(absl::StrCat("PAUSE: no action. I am (", c.me(), "), a secondary, and following a leader (",
                       leader, ")"));
    return true;
  }
  if (c.PgPrimary()) {
    c.Do(Demote{pg::StopMode::kImmediate});
    c.decision.memory.rejoin_needed = true;
    c.Say("demoting self because I do not have the lock and I was a leader");
    return true;
  }
  const dcs::Member* leader_member = c.cluster.LeaderMember();
  std::optional<pg::Upstream> source = ReplicationSource(c);
  bool leader_changed = c.local.memory.last_leader != leader;
  if (leader_changed || c.local.memory.rejoin_needed) {
    if (leader_member == nullptr || !IsLeaderRole(c, leader_member->role)) {
      c.Say(absl::StrCat("waiting for ", leader, " to become primary"));
      return true;
    }
    StartTask rejoin{TaskKind::kRejoin, source};
    rejoin.remove_data = !c.StandbyCluster() && (c.config.remove_data_directory_on_diverged_timelines ||
                                                 c.config.remove_data_directory_on_rewind_failure);
    c.Do(rejoin);
    c.decision.memory.rejoin_target = leader;
    c.Say(absl::StrCat("following a new leader (", leader, ")"));
    return true;
  }
  if (source) c.Do(Follow{source});
  if (c.PgRunning() && c.local.pg.in_recovery && ManageReplicaSlots(c)) return true;
  c.Say(absl::StrCat("no action. I am (", c.me(), "), a secondary, and following a ",
                     c.StandbyCluster() ? "standby leader" : "leader", " (", leader, ")"));
  return true;
}

}  // namespace internal
}  // namespace pgha::ha
