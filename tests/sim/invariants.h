// The safety invariants (docs/architecture.md lists where each is enforced), checked on a
// SimCluster after every event, with the figures a case summary prints.
//
//   1. At most one writable primary (PostgreSQL running and out of recovery), and a writable
//      primary always holds a valid leader lock (the leader key names it and its session has not
//      expired). Before the first lock of the cluster, the bootstrapping node may write.
//   2. When a node promotes, no eligible node had a strictly higher WAL position at that moment.
//      Eligible: its daemon and PostgreSQL run as a replica, its member key was in the DCS when
//      the promoting node's cycle began, the promoting node can reach it, not nofailover, and in
//      synchronous mode the `sync` key (as read then) lists it. The former leader of a pending
//      switchover, and in synchronous mode the former leader named in `sync` (whose extra WAL
//      nobody acknowledged), are not eligible. A switchover or failover to a named candidate is
//      the operator's choice and its position is not compared, but in synchronous mode a
//      switchover candidate must be listed in `sync` (a manual failover may go to any node).
//      With quorum commit a node on a newer timeline also counts as further, as in the race.
//   3. In synchronous mode, every acknowledged commit is on the history of the node that is the
//      writable primary with the lock.
//   4. No replica streams from the leader with a history that diverged from it.
//
// Thread-safety: none.
#ifndef PGHA_TESTS_SIM_INVARIANTS_H_
#define PGHA_TESTS_SIM_INVARIANTS_H_

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "pgha/dcs/cluster_state.h"

namespace pgha::sim {

class SimCluster;

class InvariantChecker {
 public:
  explicit InvariantChecker(SimCluster* sim) : sim_(sim) {}

  // Before `name` runs a cycle: what the DCS said (for invariant 2).
  void BeforeCycle(const std::string& name, dcs::ClusterStatePtr cluster);
  // Called by the world as `name` promotes.
  void OnPromote(const std::string& name);
  // Invariants 1, 3, 4 and the availability figures.
  void CheckStep();

  const std::vector<std::string>& violations() const { return violations_; }
  // The last events when the first violation was found.
  const std::string& trace_at_first_violation() const { return first_trace_; }
  bool ok() const { return violations_.empty(); }

  // Figures for the summary.
  int failovers() const { return failovers_; }
  int switchovers() const { return switchovers_; }
  int64_t checks() const { return checks_; }
  absl::Duration max_unavailable() const { return max_unavailable_; }
  int lost_commits() const { return static_cast<int>(lost_.size()); }  // any mode

 private:
  // Reports `text` once per `key` (the same fault seen again on later steps is not news).
  void Violation(const std::string& key, const std::string& text);
  void CheckCommits(const std::string& primary);

  SimCluster* sim_;
  // The DCS as each node's current (or last) cycle began to read it.
  std::map<std::string, dcs::ClusterStatePtr> before_;
  std::vector<std::string> violations_;
  std::string first_trace_;
  std::set<std::string> reported_;
  bool lock_ever_held_ = false;
  std::string last_holder_;
  int failovers_ = 0;
  int switchovers_ = 0;
  int64_t checks_ = 0;
  std::optional<absl::Duration> unavailable_since_;
  absl::Duration max_unavailable_ = absl::ZeroDuration();
  // Incremental no-loss check: commits [0, verified_) are on the history of verified_tip_.
  size_t verified_ = 0;
  std::string verified_primary_;
  int verified_branch_ = 0;
  std::set<size_t> lost_;
};

}  // namespace pgha::sim

#endif  // PGHA_TESTS_SIM_INVARIANTS_H_
