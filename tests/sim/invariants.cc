#include "invariants.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "sim_cluster.h"

namespace pgha::sim {

void InvariantChecker::Violation(const std::string& key, const std::string& text) {
  if (!reported_.insert(key).second) return;
  std::string line = absl::StrCat("t=", absl::FormatDuration(sim_->Elapsed()), " VIOLATION ", text);
  violations_.push_back(line);
  sim_->Event(line);
  if (first_trace_.empty()) first_trace_ = sim_->Trace(100);
}

void InvariantChecker::BeforeCycle(const std::string& name, dcs::ClusterStatePtr cluster) {
  before_[name] = std::move(cluster);
}

void InvariantChecker::OnPromote(const std::string& name) {
  ++checks_;
  SimCluster::Node& me = sim_->node(name);
  testing::FakePgWorld& world = sim_->world();
  auto it = before_.find(name);
  const dcs::ClusterState* seen = it != before_.end() ? it->second.get() : nullptr;
  const dcs::FailoverRequest* request = seen != nullptr ? seen->PendingFailover() : nullptr;
  if (request != nullptr) {
    ++switchovers_;
  } else {
    ++failovers_;
  }
  Lsn mine = me.pg->point().lsn;
  sim_->Event(absl::StrCat(name, " PROMOTES at ", world.Describe(me.pg->point()),
                           request != nullptr ? " (switchover request pending)" : ""));
  bool manual = request != nullptr && request->candidate == name;
  bool manual_failover = manual && request->leader.empty();  // may go to an async node
  if (seen == nullptr) {
    Violation(absl::StrCat("outside:", name), absl::StrCat(name, " promoted outside of its own HA cycle"));
    return;
  }
  const auto& nofailover = sim_->options().nofailover;
  auto tagged = [&](const std::string& n) {
    return std::find(nofailover.begin(), nofailover.end(), n) != nofailover.end();
  };
  bool sync_active = sim_->options().synchronous_mode && seen->sync && !seen->sync->leader.empty();
  auto sync_allows = [&](const std::string& n) {
    return !sync_active || seen->sync->Includes(n);
  };
  if (tagged(name)) Violation(absl::StrCat("nofailover:", name), absl::StrCat(name, " promoted although tagged nofailover"));
  // Quorum commit: any node may win with enough votes; the votes are what invariant 3 checks.
  if (!sync_allows(name) && !manual_failover && !sim_->options().quorum_commit) {
    Violation(absl::StrCat("nonsync:", name, ":", world.Describe(me.pg->point())),
              absl::StrCat(name, " promoted in synchronous mode although the sync key (leader ",
                           seen->sync->leader, ", standbys ", absl::StrJoin(seen->sync->sync_standby, ","),
                           ") does not list it"));
  }
  if (manual) return;  // the operator chose the candidate
  for (const auto& other : sim_->names()) {
    if (other == name) continue;
    const SimCluster::Node& n = sim_->node(other);
    if (!n.up() || n.frozen(sim_->clock().Monotonic()) || !n.pg->running() || n.pg->primary() || tagged(other) ||
        !sync_allows(other)) {
      continue;
    }
    // The former leader of a switchover stays out; in synchronous mode the former leader may be
    // ahead with commits nobody acknowledged (invariant 3 covers the acknowledged ones).
    if (request != nullptr && request->leader == other) continue;
    if (sync_active && seen->sync->LeaderIs(other)) continue;
    if (seen->FindMember(other) == nullptr || !world.CanTalk(name, other)) continue;
    // Quorum commit also counts a node on a newer timeline as further (rules_race.cc).
    bool further = n.pg->point().lsn > mine;
    if (sim_->options().quorum_commit && n.pg->timeline() > me.pg->timeline()) further = true;
    if (further) {
      Violation(absl::StrCat("behind:", name, ":", world.Describe(me.pg->point())),
                absl::StrCat(name, " promoted at ", world.Describe(me.pg->point()), " although eligible ", other,
                             " was further at ", world.Describe(n.pg->point()), " (its published position: ",
                             n.board->Current()->pg.WalPosition().value_or(0), ")"));
    }
  }
}

void InvariantChecker::CheckStep() {
  ++checks_;
  testing::FakePgWorld& world = sim_->world();
  std::string holder = sim_->LockHolder();
  if (holder != last_holder_) {
    sim_->Event(absl::StrCat("leader lock: ", last_holder_.empty() ? "-" : last_holder_, " -> ",
                             holder.empty() ? "-" : holder));
    last_holder_ = holder;
  }
  if (!holder.empty()) lock_ever_held_ = true;
  std::vector<std::string> writable = sim_->WritablePrimaries();
  // 1. One writer, and only while its lock is valid.
  if (writable.size() > 1) {
    std::vector<std::string> where;
    for (const auto& w : writable) where.push_back(absl::StrCat(w, "@", world.Describe(sim_->node(w).pg->point())));
    Violation(absl::StrCat("two:", absl::StrJoin(writable, ",")),
              absl::StrCat("two writable primaries at once: ", absl::StrJoin(where, ", "), " (lock holder: ",
                           holder.empty() ? "none" : holder, ")"));
  }
  for (const auto& w : writable) {
    if (w != holder && lock_ever_held_) {
      Violation(absl::StrCat("nolock:", w, ":", sim_->node(w).pg->point().branch),
                absl::StrCat(w, " accepts writes without a valid leader lock (holder: ",
                             holder.empty() ? "none" : holder, ")"));
    }
  }
  // Availability: a writable primary holding the lock.
  bool available = std::find(writable.begin(), writable.end(), holder) != writable.end() && !holder.empty();
  absl::Duration now = sim_->Elapsed();
  if (available || !lock_ever_held_) {
    unavailable_since_.reset();
  } else {
    if (!unavailable_since_) unavailable_since_ = now;
    max_unavailable_ = std::max(max_unavailable_, now - *unavailable_since_);
  }
  if (!available) return;
  // 3. No acknowledged commit lost.
  CheckCommits(holder);
  // 4. Nobody streams a diverged history from the leader.
  const testing::FakePostgres& leader = *sim_->node(holder).pg;
  for (const auto& name : sim_->names()) {
    const testing::FakePostgres& s = *sim_->node(name).pg;
    if (name == holder || !s.running() || s.primary() || s.upstream() != holder) continue;
    if (!world.Compatible(leader.point(), s.point())) {
      Violation(absl::StrCat("diverged:", name, ":", holder, ":", world.Describe(s.point())),
                absl::StrCat(name, " follows ", holder, " with a diverged history: ", world.Describe(s.point()),
                             " is not on the leader's history (", world.Describe(leader.point()), ")"));
    }
  }
}

void InvariantChecker::CheckCommits(const std::string& primary) {
  testing::FakePgWorld& world = sim_->world();
  const testing::FakePostgres& p = *sim_->node(primary).pg;
  if (primary != verified_primary_ || p.point().branch != verified_branch_) {
    verified_ = 0;  // another history: check everything again
    verified_primary_ = primary;
    verified_branch_ = p.point().branch;
  }
  const auto& acked = world.acknowledged();
  for (; verified_ < acked.size(); ++verified_) {
    if (world.OnHistory(p.point(), acked[verified_])) continue;
    if (!lost_.insert(verified_).second) continue;
    if (sim_->options().synchronous_mode) {
      Violation(absl::StrCat("lost:", primary, ":", p.point().branch),
                absl::StrCat("acknowledged commit ", world.Describe(acked[verified_]), " is not on the history of ",
                             primary, " (", world.Describe(p.point()), ")"));
    }
  }
}

}  // namespace pgha::sim
