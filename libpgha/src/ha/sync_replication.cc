// Synchronous replication on the primary (synchronous_mode on or quorum) and before a promotion:
// what PostgreSQL's synchronous_standby_names and the `sync` key say, changed in the order that
// never lets a node be promoted without every acknowledged commit.
#include <algorithm>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_join.h"
#include "context.h"
#include "quorum.h"

namespace pgha::ha {
namespace internal {
namespace {

std::string SyncNamesValue(const std::vector<std::string>& names, int count) {
  if (names.empty()) return "";
  std::vector<std::string> quoted;
  for (const auto& n : names) quoted.push_back(QuoteStandbyName(n, false));
  if (names.size() == 1 && count <= 1) return quoted.front();
  return absl::StrCat("FIRST ", std::min<size_t>(count, names.size()), " (", absl::StrJoin(quoted, ","), ")");
}

// synchronous_mode on: FIRST n (...), and `sync` lists the standbys confirmed synchronous.
void ManagePriorityReplication(Context& c) {
  const pg::Observation& pg = c.local.pg;
  struct Candidate {
    std::string name;
    int priority;
    bool sync_now;
    Lsn lsn;
  };
  std::vector<Candidate> candidates;
  for (const auto& row : pg.replication) {
    if (row.state != "streaming") continue;
    const dcs::Member* m = c.cluster.FindMember(row.application_name);
    if (m == nullptr || m->name == c.me() || m->NoSync() || !m->IsRunning()) continue;
    if (!m->ReplicateFrom().empty() && m->ReplicateFrom() != c.me()) continue;
    candidates.push_back({m->name, m->SyncPriority(), row.sync_state == "sync",
                          row.flush_lsn.value_or(0)});
  }
  if (c.config.maximum_lag_on_syncnode > 0 && !candidates.empty()) {
    // Patroni's rule: the lag is measured from the most advanced standby when there are
    // several, else from the primary's own position.
    Lsn reference = pg.current_lsn.value_or(0);
    if (candidates.size() > 1) {
      reference = std::max_element(candidates.begin(), candidates.end(), [](const Candidate& a, const Candidate& b) {
                    return a.lsn < b.lsn;
                  })->lsn;
    }
    candidates.erase(std::remove_if(candidates.begin(), candidates.end(),
                                    [&](const Candidate& cand) {
                                      return reference > cand.lsn && static_cast<int64_t>(reference - cand.lsn) >
                                                                         c.config.maximum_lag_on_syncnode;
                                    }),
                     candidates.end());
  }
  std::stable_sort(candidates.begin(), candidates.end(), [](const Candidate& a, const Candidate& b) {
    if (a.priority != b.priority) return a.priority > b.priority;
    if (a.sync_now != b.sync_now) return a.sync_now;
    return a.lsn > b.lsn;
  });
  int count = std::max(1, c.config.synchronous_node_count);
  std::vector<std::string> picked;
  for (const auto& cand : candidates) {
    if (static_cast<int>(picked.size()) >= count) break;
    picked.push_back(cand.name);
  }
  std::set<std::string> confirmed;  // sync in PostgreSQL's own view right now
  for (const auto& cand : candidates) {
    if (cand.sync_now) confirmed.insert(cand.name);
  }
  std::string desired_guc = SyncNamesValue(picked, count);
  if (picked.empty() && c.config.synchronous_mode_strict) desired_guc = "*";

  bool key_is_mine = c.cluster.sync && c.cluster.sync->LeaderIs(c.me());
  std::vector<std::string> listed = key_is_mine ? c.cluster.sync->sync_standby : std::vector<std::string>{};
  dcs::Version version = c.cluster.sync ? c.cluster.sync->version : dcs::kNoVersion;
  // Order matters for no-loss: a standby leaves `sync` before it leaves the GUC, and enters
  // `sync` only after PostgreSQL reports it synchronous under the GUC.
  std::vector<std::string> keep;
  for (const auto& n : listed) {
    if (std::find(picked.begin(), picked.end(), n) != picked.end() && confirmed.count(n) != 0) {
      keep.push_back(n);
    }
  }
  if (!key_is_mine || keep.size() != listed.size()) {
    dcs::SyncState s;
    s.leader = c.me();
    // Strict mode too: a standby that left the GUC must leave `sync`, or it could be promoted
    // without the commits its replacement acknowledged. An empty list means only this leader
    // may be promoted; strict mode then blocks commits with "*" until a standby confirms.
    s.sync_standby = keep;
    c.Do(WriteSync{s, version});
    if (pg.synchronous_standby_names != desired_guc) c.Do(SetSyncStandbyNames{desired_guc});
    return;
  }
  if (pg.synchronous_standby_names != desired_guc) {
    c.Do(SetSyncStandbyNames{desired_guc});
    return;
  }
  std::vector<std::string> grown = keep;
  for (const auto& n : picked) {
    if (confirmed.count(n) != 0 && std::find(grown.begin(), grown.end(), n) == grown.end()) {
      grown.push_back(n);
    }
  }
  if (grown.size() != listed.size()) {
    dcs::SyncState s;
    s.leader = c.me();
    s.sync_standby = grown;
    c.Do(WriteSync{s, version});
  }
}

// The standbys that may be synchronous in quorum mode, as Patroni's _ReplicaList sees them:
// running members without nosync that stream from this primary (one that should cascade from a
// standby already streaming from us is left out), the most desirable first; a standby lagging
// more than maximum_lag_on_syncnode is left out; nofailover ones only while too few others.
// `confirmed`: those of them known to have caught up since synchronous_standby_names listed them.
struct QuorumCandidates {
  NameSet active;
  NameSet confirmed;
};

// Whether `m` is meant to stream from another standby that already streams from us (Patroni's
// _should_cascade), following replicatefrom through at most as many hops as there are members.
bool ShouldCascade(const std::map<std::string, const dcs::Member*>& eligible, const NameSet& streaming,
                   const dcs::Member& m) {
  const dcs::Member* at = &m;
  for (size_t hops = 0; hops <= eligible.size(); ++hops) {
    std::string from = absl::AsciiStrToLower(at->ReplicateFrom());
    auto it = from.empty() ? eligible.end() : eligible.find(from);
    if (it == eligible.end()) return false;
    at = it->second;
    if (at->ReplicateFrom().empty()) return streaming.Contains(at->name);
  }
  return false;  // a replicatefrom loop: nobody to cascade from
}

QuorumCandidates FindQuorumCandidates(const Context& c, const NameSet& caught_up) {
  std::map<std::string, const dcs::Member*> eligible;  // lower-case name -> member
  for (const auto& m : c.cluster.members) {
    if (m.IsRunning() && !m.NoSync() && !absl::EqualsIgnoreCase(m.name, c.me())) {
      eligible[absl::AsciiStrToLower(m.name)] = &m;
    }
  }
  struct Row {
    const dcs::Member* member;
    const pg::ReplicationRow* row;
  };
  std::vector<Row> rows;
  NameSet streaming;
  for (const auto& r : c.local.pg.replication) {
    auto it = eligible.find(absl::AsciiStrToLower(r.application_name));
    if (it == eligible.end() || !r.flush_lsn || streaming.Contains(r.application_name)) continue;
    rows.push_back({it->second, &r});
    streaming.Add(r.application_name);
  }
  rows.erase(std::remove_if(rows.begin(), rows.end(),
                            [&](const Row& r) { return ShouldCascade(eligible, streaming, *r.member); }),
             rows.end());
  std::stable_sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) {
    if (a.member->SyncPriority() != b.member->SyncPriority()) return a.member->SyncPriority() > b.member->SyncPriority();
    if (a.row->sync_state != b.row->sync_state) return a.row->sync_state > b.row->sync_state;
    return *a.row->flush_lsn > *b.row->flush_lsn;
  });
  Lsn max_lsn = c.local.pg.current_lsn.value_or(0);
  if (rows.size() > 1) {
    max_lsn = 0;
    for (const auto& r : rows) max_lsn = std::max(max_lsn, *r.row->flush_lsn);
  }
  std::stable_sort(rows.begin(), rows.end(),
                   [](const Row& a, const Row& b) { return !a.member->NoFailover() && b.member->NoFailover(); });
  QuorumCandidates out;
  int wanted = SyncNodesWanted(c);
  for (const auto& r : rows) {
    int64_t lag = static_cast<int64_t>(max_lsn) - static_cast<int64_t>(*r.row->flush_lsn);
    if (c.config.maximum_lag_on_syncnode > 0 && lag > c.config.maximum_lag_on_syncnode) continue;
    // A nofailover standby acknowledges but can never be promoted: only when too few others.
    if (r.member->NoFailover() && static_cast<int>(out.active.size()) >= wanted) continue;
    if (caught_up.Contains(r.member->name)) out.confirmed.Add(r.member->name);
    out.active.Add(r.member->name);
  }
  return out;
}

// Which listed standbys reached the primary's position of when synchronous_standby_names last
// changed (only they are known to hold the commits acknowledged before they were listed).
NameSet TrackCaughtUp(Context& c, const StandbyNames& names) {
  const pg::Observation& pg = c.local.pg;
  Memory& m = c.decision.memory;
  if (!m.standby_names_seen || *m.standby_names_seen != pg.synchronous_standby_names) {
    m.standby_names_seen = pg.synchronous_standby_names;
    m.standby_names_changed_at = *pg.current_lsn;
    for (auto it = m.caught_up_standbys.begin(); it != m.caught_up_standbys.end();) {
      it = names.names.Contains(*it) ? std::next(it) : m.caught_up_standbys.erase(it);
    }
  }
  for (const auto& r : pg.replication) {
    if (names.names.Contains(r.application_name) && r.flush_lsn && *r.flush_lsn >= m.standby_names_changed_at &&
        r.sync_state == "quorum") {
      m.caught_up_standbys.insert(r.application_name);
    }
  }
  return NameSet(std::vector<std::string>(m.caught_up_standbys.begin(), m.caught_up_standbys.end()));
}

// How soon to look again while a quorum change is under way: long enough for PostgreSQL to
// apply a reload and the standbys to report (milliseconds), short enough not to hold commits
// back after a failover (each step may be one cycle).
constexpr absl::Duration kQuorumStepInterval = absl::Milliseconds(500);

// synchronous_mode quorum (Patroni 4): ANY numsync (...) in PostgreSQL, quorum and voters in
// `sync`, moved one step per cycle by ResolveQuorum (quorum.h); each step is observed (the
// setting as PostgreSQL reports it, the key as read) before the next is decided.
void ManageQuorumReplication(Context& c) {
  const pg::Observation& pg = c.local.pg;
  if (!pg.current_lsn) return;  // the position could not be read: decide next cycle
  StandbyNames names = ParseStandbyNames(pg.synchronous_standby_names);
  NameSet caught_up = TrackCaughtUp(c, names);
  const dcs::SyncState* sync = c.cluster.sync ? &*c.cluster.sync : nullptr;
  if (sync == nullptr || sync->leader.empty()) {
    // Quorum commit starts with a key naming this primary and no voters.
    dcs::SyncState s;
    s.leader = c.me();
    s.quorum = 0;
    c.Do(WriteSync{s, sync != nullptr ? sync->version : dcs::kNoVersion});
    c.decision.next_cycle_within = kQuorumStepInterval;
    return;
  }
  QuorumCandidates candidates = FindQuorumCandidates(c, caught_up);
  int min_sync = c.config.synchronous_mode_strict ? 1 : 0;
  int quorum = sync->quorum.value_or(0);
  NameSet voters(sync->sync_standby);
  if (sync->LeaderIs(c.me())) {
    if (static_cast<int>(candidates.active.size()) < min_sync) {
      // Strict mode without a standby: keep the last voters listed (or a placeholder), so that
      // commits wait rather than go unacknowledged.
      int numsync = std::max(min_sync, static_cast<int>(voters.size()) - quorum);
      if (voters != names.names || numsync != names.num || names.type != StandbyNames::Type::kQuorum) {
        c.Do(SetSyncStandbyNames{QuorumStandbyNames(voters.Sorted(), numsync)});
      }
      return;
    }
    if (min_sync == 0 && candidates.active.empty() && voters.empty() && (!names.names.empty() || names.num > 0)) {
      c.Do(SetSyncStandbyNames{""});
      return;
    }
  }
  QuorumInputs in;
  in.leader = sync->leader;
  in.quorum = quorum;
  in.voters = voters;
  in.numsync = names.num;
  in.sync = names.has_star ? NameSet{kStrictSyncPlaceholder} : names.names;
  in.numsync_confirmed = static_cast<int>(candidates.confirmed.size());
  in.active = candidates.active;
  in.sync_wanted = SyncNodesWanted(c);
  in.leader_wanted = c.me();
  absl::StatusOr<std::vector<QuorumTransition>> steps = ResolveQuorum(in);
  if (!steps.ok()) {
    c.Say(absl::StrCat("quorum commit: the synchronous state is left as it is: ", steps.status().message()));
    return;
  }
  if (steps->empty()) {
    // Nothing to move; a FIRST n (...) left from synchronous_mode on is rewritten as ANY.
    if (names.type == StandbyNames::Type::kPriority) {
      c.Do(SetSyncStandbyNames{QuorumStandbyNames(in.sync.Sorted(), names.num)});
    }
    return;
  }
  const QuorumTransition& step = steps->front();
  switch (step.kind) {
    case QuorumTransition::Kind::kSync:
      c.Do(SetSyncStandbyNames{QuorumStandbyNames(step.names, step.num)});
      break;
    case QuorumTransition::Kind::kQuorum: {
      dcs::SyncState s;
      s.leader = step.leader;
      s.sync_standby = step.names;
      s.quorum = step.num;
      c.Do(WriteSync{s, sync->version});
      // The setting that follows a key change may go in the same cycle: the key is written
      // (acknowledged by the DCS) before PostgreSQL is asked to relax anything, and the
      // executor stops at a failed write. The other order waits for the next cycle, which sees
      // the setting as PostgreSQL applied it.
      if (steps->size() > 1 && (*steps)[1].kind == QuorumTransition::Kind::kSync) {
        c.Do(SetSyncStandbyNames{QuorumStandbyNames((*steps)[1].names, (*steps)[1].num)});
      }
      break;
    }
    case QuorumTransition::Kind::kRestart:
      break;
  }
  c.decision.next_cycle_within = kQuorumStepInterval;
}

}  // namespace

int SyncNodesWanted(const Context& c) {
  return std::max(c.config.synchronous_node_count, c.config.synchronous_mode_strict ? 1 : 0);
}

void ManageSynchronousReplication(Context& c) {
  switch (c.config.synchronous_mode) {
    case config::SyncMode::kOff:
      if (c.cluster.sync) {
        c.Do(DeleteSync{c.cluster.sync->version});
        c.Do(SetSyncStandbyNames{""});
      }
      return;
    case config::SyncMode::kOn:
      ManagePriorityReplication(c);
      return;
    case config::SyncMode::kQuorum:
      ManageQuorumReplication(c);
      return;
  }
}

// synchronous_mode on: before promoting, take over `sync`.
void ClaimSyncKey(Context& c) {
  // Before promoting, take over `sync` (compare-and-set on what we read): if the old leader or
  // anyone else changed it meanwhile, the write fails and promotion waits for the next cycle.
  // Strict mode keeps the old leader and the other sync standbys listed so commits block until
  // one of them streams from us; otherwise the list starts empty.
  dcs::SyncState sync;
  sync.leader = c.me();
  if (c.config.synchronous_mode_strict) {
    auto add = [&](const std::string& n) {
      if (n != c.me() && !sync.Contains(n)) sync.sync_standby.push_back(n);
    };
    add(c.cluster.sync->leader);
    for (const auto& n : c.cluster.sync->sync_standby) add(n);
  }
  c.Do(WriteSync{sync, c.cluster.sync->version});
}

void PrepareSyncForPromotion(Context& c) {
  if (c.config.synchronous_mode == config::SyncMode::kQuorum) {
    // Quorum mode leaves `sync` to the new primary's first cycles (the former leader becomes a
    // voter); until then its commits must wait for enough of the current voters that any quorum
    // a race could gather still overlaps them (Patroni's _process_quorum_prepromote).
    int quorum = c.QuorumActive() ? c.cluster.sync->quorum.value_or(0) : 0;
    NameSet members;
    if (c.QuorumActive()) {
      members.Add(c.cluster.sync->leader);
      for (const auto& n : c.cluster.sync->sync_standby) members.Add(n);
    }
    int numsync = static_cast<int>(members.size()) - quorum - 1;  // the former leader is one of them
    if (members.Contains(c.me())) {
      members = members - NameSet{c.me()};
    } else {
      ++numsync;  // a node from outside the voters (manual failover, or it gathered a quorum)
    }
    numsync = std::max(numsync, c.config.synchronous_mode_strict ? 1 : 0);
    c.Do(SetSyncStandbyNames{QuorumStandbyNames(members.Sorted(), numsync)});
    return;
  }
  if (c.SyncModeActive()) ClaimSyncKey(c);
}

bool SyncAllowsPromotion(const Context& c, const std::string& name) {
  // Quorum mode: anyone may race; the votes it gathers decide (IsHealthiest).
  if (!c.SyncModeActive() || c.QuorumMode()) return true;
  return c.cluster.sync->Includes(name);
}

}  // namespace internal
}  // namespace pgha::ha
