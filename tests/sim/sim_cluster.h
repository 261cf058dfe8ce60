// A simulated pgha cluster: N nodes, each with its own HaLoop (InlineWorker, null watchdog, a
// prober that answers like GET /patroni), sharing one FakeDcsStore, one FakePgWorld and one
// FakeClock. Time moves in small steps; on each step the world ticks (writes, streaming, sync
// acknowledgements) once per second and every node whose loop_wait elapsed runs one cycle, in a
// seeded random order. Faults (crashes, partitions, outages, switchovers) are applied between
// cycles. The InvariantChecker looks at the whole cluster after every event.
//
// Thread-safety: none (single-threaded by design: a seed reproduces a run exactly).
#ifndef PGHA_TESTS_SIM_SIM_CLUSTER_H_
#define PGHA_TESTS_SIM_SIM_CLUSTER_H_

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "fake_clock.h"
#include "fake_dcs.h"
#include "fake_postgres.h"
#include "invariants.h"
#include "pgha/dcs/dcs.h"
#include "pgha/ha/ha_loop.h"

namespace pgha::sim {

struct SimOptions {
  int nodes = 3;
  uint64_t seed = 1;
  int ttl = 30;
  int loop_wait = 10;
  int retry_timeout = 10;
  bool synchronous_mode = false;
  bool synchronous_mode_strict = false;
  bool quorum_commit = false;  // with synchronous_mode: `synchronous_mode: quorum`
  int synchronous_node_count = 1;
  std::vector<std::string> nofailover;  // node names tagged nofailover
  double write_probability = 0.8;
  // Hand tasks to the loop through a bare InlineWorker (see CycleAlignedWorker).
  bool raw_inline_worker = false;
  // Switchover requests pass POST /switchover's checks first (false: written as submitted, as
  // a client writing the `failover` key itself would).
  bool validate_switchovers = true;
  // A DCS change HaLoop::Run's watcher acts on (the leader lock or its holder's role, the
  // failover request, the configuration, initialize) wakes the daemon within half a second.
  bool wake_on_dcs_change = true;
  // Each node has a fencer (pgha-fencer): it outlives the daemon, is renewed through the
  // node's write guard, and stops a primary whose write deadline passed (false: no fencer, as
  // with `fencer.mode: off`, to show what the checker catches without one).
  bool fencer = true;
  absl::Duration step = absl::Milliseconds(250);
  absl::Duration cycle_jitter = absl::Seconds(1);  // added to loop_wait, uniformly
};

// What the fault injector may do, with relative weights (0: never) and a rate.
struct FaultMix {
  double per_minute = 2.0;  // faults started per simulated minute
  int crash = 0;            // daemon and PostgreSQL die; restart later
  int pg_crash = 0;         // only PostgreSQL dies
  int graceful_restart = 0;
  int dcs_partition = 0;    // the node cannot reach the DCS
  int net_partition = 0;    // the node cannot reach (or be reached by) other nodes
  int full_partition = 0;   // both
  int dcs_outage = 0;       // the DCS is down for everyone
  int switchover = 0;       // a planned switchover through the leader's REST API
  int stall = 0;            // the daemon freezes (SIGSTOP); PostgreSQL runs on
  absl::Duration min_fault = absl::Seconds(5);
  absl::Duration max_fault = absl::Seconds(90);
};

// Runs each task to completion inside Start (an InlineWorker) and reports it finished to the
// first Poll of the next cycle, as a ThreadWorker does for any task that outlives the cycle that
// started it. `raw_inline_worker` hands the bare InlineWorker's report over instead (the loop
// must then see `finished` on its next cycle all the same).
class CycleAlignedWorker final : public ha::Worker {
 public:
  explicit CycleAlignedWorker(bool raw) : raw_(raw) {}
  void BeginCycle() { deliver_ = !raw_; }
  bool Start(ha::TaskKind kind, std::function<absl::Status()> task) override {
    return inner_.Start(kind, [this, kind, task = std::move(task)] {
      absl::Status s = task();
      if (!s.ok()) failures_.push_back(absl::StrCat(ha::TaskKindName(kind), " failed: ", s.message()));
      return s;
    });
  }
  // Task failures since the last call (for the trace).
  std::vector<std::string> TakeFailures() { return std::exchange(failures_, {}); }
  ha::TaskState Poll() override { return raw_ ? inner_.Poll() : AlignedPoll(); }
  bool Running() override { return inner_.Running(); }

 private:
  ha::TaskState AlignedPoll();
  const bool raw_;
  ha::InlineWorker inner_;
  bool deliver_ = false;
  std::optional<ha::TaskState> held_;
  std::vector<std::string> failures_;
};

class SimCluster {
 public:
  struct Node {
    std::string name;
    config::Config config;
    testing::FakePostgres* pg = nullptr;  // owned by the world
    // One daemon incarnation (reset on crash and restart).
    std::unique_ptr<dcs::Dcs> dcs;
    std::unique_ptr<CycleAlignedWorker> worker;
    std::unique_ptr<ha::Watchdog> watchdog;
    std::unique_ptr<ha::StatusBoard> board;
    std::unique_ptr<ha::PeerProber> prober;
    std::unique_ptr<ha::HaLoop> loop;
    // The write guard the daemon arms; with SimOptions::fencer, what the node's fencer (which
    // outlives every daemon incarnation) was last told.
    std::unique_ptr<ha::RecordingWriteGuard> guard = std::make_unique<ha::RecordingWriteGuard>();
    absl::Time next_cycle;
    bool busy = false;      // inside RunCycle (a nested catch-up must not re-enter it)
    bool impaired = false;  // a fault is in progress on this node
    std::string watched;    // what its watcher compares against (empty: no wake pending)
    absl::Time frozen_until;  // the daemon is stopped (SIGSTOP) until then; PostgreSQL runs on
    bool frozen(absl::Time now) const { return now < frozen_until; }
    int cycles = 0;
    bool up() const { return loop != nullptr; }
  };

  explicit SimCluster(SimOptions options);
  ~SimCluster();

  // ---- time ----
  void RunFor(absl::Duration d);
  // Runs until `done` holds (checked after every step) or `limit` passes; true when it held.
  bool RunUntil(const std::function<bool()>& done, absl::Duration limit);
  // Runs with random faults from `mix` for `d`, then heals everything.
  void RunWithFaults(const FaultMix& mix, absl::Duration d);
  absl::Duration Elapsed() const { return clock_.Elapsed(); }

  // ---- faults ----
  void Crash(const std::string& name);  // the daemon and PostgreSQL die
  void CrashPostgres(const std::string& name);
  // The daemon stops (no cycles, no REST answers) for `d`; PostgreSQL keeps running.
  void Freeze(const std::string& name, absl::Duration d);
  void StopGracefully(const std::string& name);
  void Restart(const std::string& name);
  void PartitionFromDcs(const std::string& name, bool partitioned);
  void IsolateFromPeers(const std::string& name, bool isolated);
  void SetDcsDown(bool down);
  // POST /switchover on `leader`'s REST API (validated as the API does; "" candidate: any).
  void RequestSwitchover(const std::string& leader, const std::string& candidate);
  void HealAll();

  // ---- inspection ----
  const std::vector<std::string>& names() const { return names_; }
  Node& node(const std::string& name) { return *nodes_.at(name); }
  const Node& node(const std::string& name) const { return *nodes_.at(name); }
  testing::FakePgWorld& world() { return world_; }
  testing::FakeDcsStore& store() { return store_; }
  testing::FakeClock& clock() { return clock_; }
  InvariantChecker& checker() { return checker_; }
  const SimOptions& options() const { return options_; }
  std::string LockHolder();                    // "" when nobody holds the leader lock
  std::vector<std::string> WritablePrimaries() const;
  // The cluster as the DCS has it now (an observer that is never partitioned).
  dcs::ClusterStatePtr Snapshot();
  // A DCS client of an operator (pghactl, etcdctl): never partitioned, no HA loop behind it.
  dcs::Dcs& Operator() { return *observer_; }
  // One leader with the lock, every other node a running replica streaming from it.
  bool Converged(std::string* why);

  void Event(const std::string& text);
  std::string Trace(size_t last) const;

 private:
  void Step();
  // Runs everything due now. Nested: from inside a sleeping node's cycle (no faults then).
  void CatchUp(bool nested);
  void RunCycle(Node& n);
  bool QuorumConverged(const std::string& holder, std::string* why);
  void StartDaemon(Node& n);
  void StopDaemon(Node& n);
  // The fencers: stop every primary whose write deadline passed without renewal.
  void EnforceFencers();
  void InjectFault(const FaultMix& mix);
  std::string SwitchoverRefusal(Node& n, const std::string& leader, const std::string& candidate);
  static std::string AttentionKey(const dcs::ClusterState& c);
  void WakeWatchers(absl::Time now);
  void After(absl::Duration d, std::function<void()> action);
  absl::Duration RandomDuration(absl::Duration lo, absl::Duration hi);
  config::Config NodeConfig(const std::string& name) const;

  SimOptions options_;
  std::mt19937_64 rng_;
  testing::FakeClock clock_;
  testing::FakeDcsStore store_;
  testing::FakePgWorld world_;
  std::unique_ptr<dcs::Dcs> observer_;
  std::map<std::string, std::unique_ptr<Node>> nodes_;
  std::vector<std::string> names_;
  std::multimap<absl::Time, std::function<void()>> scheduled_;
  absl::Time next_tick_;
  bool dcs_down_ = false;
  std::string last_sync_;                                   // for the trace
  std::map<std::string, std::string> last_standby_names_;  // for the trace
  std::deque<std::string> trace_;
  InvariantChecker checker_;
};

}  // namespace pgha::sim

#endif  // PGHA_TESTS_SIM_SIM_CLUSTER_H_
