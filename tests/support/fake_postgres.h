// A simulated PostgreSQL for HA simulations: FakePostgres implements PostgresController for one
// node; a FakePgWorld connects the nodes (streaming replication, network isolation, synchronous
// commit acknowledgements) and knows the truth about every node's WAL history, so tests can check
// what the HA engine cannot see.
//
// WAL model. A node's data is a point (branch, lsn) on a tree of WAL branches. A branch is what
// one writer produced: Promote() opens a branch on timeline + 1 at the switch point; a standby's
// data started as a primary without promotion (crash recovery, as PostgreSQL does without
// standby.signal) opens an invisible branch on the same timeline. Two branches with the same
// timeline number (two nodes promoted independently) are told apart by their id. A branch covers
// (start, end]: a point is on a history when its branch is an ancestor of the history's tip and
// its lsn is at most where the history left that branch.
//
// Streaming: on every Tick() a running standby whose upstream runs, is reachable and whose history
// contains the standby's point receives WAL (all of it, or half of the gap, by its receive
// probability). A standby whose point is not on its upstream's history has diverged: it stays
// connected but receives nothing, as PostgreSQL's walreceiver would.
//
// Commits: on Tick() each running primary writes with some probability; a commit is acknowledged
// when synchronous_standby_names is empty or the standbys it names (FIRST n / ANY n / a list, "*")
// that stream from this primary flushed it. Acknowledged commits are kept as (branch, lsn) for
// no-loss checks. Stopping or crashing a primary drops its unacknowledged commits.
//
// Thread-safety: none; a simulation is single-threaded.
#ifndef PGHA_TESTS_SUPPORT_FAKE_POSTGRES_H_
#define PGHA_TESTS_SUPPORT_FAKE_POSTGRES_H_

#include <functional>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "pgha/base/clock.h"
#include "pgha/postgres/controller.h"

namespace pgha::testing {

struct WalBranch {
  int id = 0;
  int timeline = 1;
  int parent = 0;  // 0: the root
  Lsn start = 0;   // the switch point from the parent
  std::string writer;
  Lsn written = 0;  // how far the writer wrote
};

// A position on one branch: a commit, or where a node's data ends.
struct WalPoint {
  int branch = 0;
  Lsn lsn = 0;
};

class FakePostgres;

class FakePgWorld {
 public:
  struct Options {
    double write_probability = 0.8;  // per Tick, per running primary
    Lsn min_write = 200;
    Lsn max_write = 16384;
  };
  FakePgWorld(Clock* clock, uint64_t seed, Options options);
  FakePgWorld(Clock* clock, uint64_t seed) : FakePgWorld(clock, seed, Options{}) {}
  ~FakePgWorld();

  FakePostgres* AddNode(const std::string& name);
  FakePostgres* Node(const std::string& name) const;  // nullptr when unknown
  std::vector<FakePostgres*> Nodes() const;

  // One step: primaries write, standbys receive, synchronous commits are acknowledged.
  void Tick();
  // A commit of `bytes` on `name` if it runs as primary (directed tests).
  void Write(const std::string& name, Lsn bytes);
  // Releases commits that the current synchronous standbys flushed (also done by Tick()).
  void SettleAcks();

  // Network isolation from every other node (replication, rewind, clone, REST probes).
  void SetIsolated(const std::string& name, bool isolated);
  bool CanTalk(const std::string& a, const std::string& b) const;
  // The lag model: the chance that a streaming standby catches up fully on a Tick (else half).
  void SetReceiveProbability(const std::string& name, double p);
  void SetReceivePaused(const std::string& name, bool paused);

  // ---- the truth about WAL ----
  const WalBranch& Branch(int id) const { return branches_.at(id); }
  // Whether `p` is on the history that ends at `tip` (end_lsn on tip's branch).
  bool OnHistory(WalPoint tip, WalPoint p) const;
  // Whether `p` lies on `tip`'s history or could by `tip` writing more (not diverged from it).
  bool Compatible(WalPoint tip, WalPoint p) const;
  const std::vector<WalPoint>& acknowledged() const { return acknowledged_; }
  std::string Describe(WalPoint p) const;  // "tl2#5/0x1234"

  // Called at the start of every promotion, before the node leaves recovery.
  std::function<void(const std::string& name)> on_promote;

 private:
  friend class FakePostgres;
  struct SyncSpec {
    int num = 0;  // 0: no synchronous replication
    bool any = false;
    std::vector<std::string> names;  // in priority order; "*" matches everyone
  };
  static SyncSpec ParseSyncNames(const std::string& value);
  int NewBranch(int parent, int timeline, Lsn start, const std::string& writer);
  // The branch of `tip`'s history that holds `lsn` (lsn <= tip.lsn).
  int BranchAt(WalPoint tip, Lsn lsn) const;
  // Standbys streaming from `primary` right now, and their synchronous state.
  bool Streaming(const FakePostgres& standby) const;
  std::vector<pg::ReplicationRow> ReplicationRows(const FakePostgres& primary) const;
  // The listed standbys streaming from `primary`, in priority order.
  std::vector<const FakePostgres*> SyncCandidates(const FakePostgres& primary, const SyncSpec& spec) const;
  void Receive(FakePostgres& standby, bool all);
  uint64_t NewSystemId();

  Clock* clock_;
  Options options_;
  std::mt19937_64 rng_;
  std::map<std::string, std::unique_ptr<FakePostgres>> nodes_;
  std::map<int, WalBranch> branches_;
  std::set<std::string> isolated_;
  std::vector<WalPoint> acknowledged_;
};

class FakePostgres final : public pg::PostgresController {
 public:
  FakePostgres(FakePgWorld* world, std::string name);

  // ---- faults and inspection for the simulation ----
  void Crash();  // the postmaster dies (immediate, no shutdown checkpoint)
  const std::string& name() const { return name_; }
  bool running() const { return running_; }
  bool primary() const { return running_ && !standby_; }
  bool has_data() const { return data_ == pg::DataDirState::kValid; }
  WalPoint point() const { return {branch_, lsn_}; }
  int timeline() const;
  const std::string& upstream() const { return upstream_; }
  int promotions() const { return promotions_; }

  // ---- PostgresController ----
  absl::Status ApplyConfig(const config::EffectiveConfig& effective) override;
  pg::Observation Observe() override;
  absl::Status Bootstrap() override;
  absl::Status CreateReplica(const pg::CloneSource& source) override;
  absl::Status Start(const std::optional<pg::Upstream>& upstream, bool as_standby,
                     absl::Duration timeout) override;
  absl::Status Stop(pg::StopMode mode, absl::Duration timeout) override;
  absl::Status Restart(const std::optional<pg::Upstream>& upstream, bool as_standby,
                       absl::Duration timeout) override;
  absl::Status Reload() override;
  absl::Status Promote(absl::Duration timeout) override;
  absl::Status Follow(const std::optional<pg::Upstream>& upstream, absl::Duration timeout) override;
  absl::StatusOr<bool> NeedsRewind(const pg::Upstream& leader) override;
  absl::Status Rewind(const pg::Upstream& leader) override;
  bool CanRewind() override;
  absl::Status RemoveDataDirectory() override;
  absl::Status Checkpoint() override;
  absl::Status SyncReplicationSlots(const std::vector<pg::DesiredSlot>& wanted,
                                    const std::vector<std::string>& drop) override;
  absl::Status CopyLogicalSlots(const pg::Upstream& leader, const std::vector<pg::DesiredSlot>& slots,
                                const std::optional<pg::Upstream>& upstream, absl::Duration timeout) override;
  absl::Status SetSynchronousStandbyNames(const std::string& value) override;
  void RunCallback(pg::CallbackAction action, const std::string& role) override {}

 private:
  friend class FakePgWorld;
  // Appends `bytes` of WAL as the writer of the current branch.
  void AppendWal(Lsn bytes);
  // The timeline switches of this node's history (what pg_wal/<tli>.history lists).
  std::vector<pg::Observation::HistoryLine> HistoryLines() const;
  // The node named by `upstream`, if it runs and this node can reach it.
  FakePostgres* Reach(const std::optional<pg::Upstream>& upstream, absl::Status* why);

  FakePgWorld* world_;
  std::string name_;
  pg::DataDirState data_ = pg::DataDirState::kEmpty;
  uint64_t system_id_ = 0;
  int branch_ = 0;
  Lsn lsn_ = 0;
  bool running_ = false;
  bool standby_ = false;  // in recovery (running) / last ran as standby (stopped)
  bool clean_ = true;     // the last stop was clean (a shutdown checkpoint was written)
  Lsn checkpoint_lsn_ = 0;
  std::string upstream_;
  std::string sync_names_;
  std::vector<std::string> slots_;
  std::vector<WalPoint> pending_;  // commits waiting for synchronous standbys
  std::optional<absl::Time> started_at_;
  bool use_pg_rewind_ = false;
  int promotions_ = 0;
  std::optional<absl::Time> promoted_at_;
  double receive_probability_ = 1.0;
  bool receive_paused_ = false;
};

}  // namespace pgha::testing

#endif  // PGHA_TESTS_SUPPORT_FAKE_POSTGRES_H_
