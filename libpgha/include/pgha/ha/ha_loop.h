// The HA loop: observe (DCS snapshot + PostgreSQL) -> Decide -> execute -> publish, once per
// loop_wait or as soon as the DCS changes. One thread owns all HA state.
//
// Thread-safety: Run/RunCycle/Shutdown on one thread; RequestStop and RequestReload from any
// thread (signal handlers set flags that the loop reads).
#ifndef PGHA_HA_HA_LOOP_H_
#define PGHA_HA_HA_LOOP_H_

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "pgha/base/clock.h"
#include "pgha/config/config.h"
#include "pgha/config/dynamic_config.h"
#include "pgha/dcs/dcs.h"
#include "pgha/ha/node_status.h"
#include "pgha/ha/peer_prober.h"
#include "pgha/ha/types.h"
#include "pgha/ha/watchdog.h"
#include "pgha/ha/worker.h"
#include "pgha/ha/write_guard.h"
#include "pgha/postgres/controller.h"

namespace pgha::ha {

// The engine's settings from a node's configuration merged with the dynamic configuration.
HaConfig MakeHaConfig(const config::Config& local, const config::EffectiveConfig& effective);

struct HaLoopOptions {
  config::Config local;
  dcs::Dcs* dcs = nullptr;                 // not owned
  pg::PostgresController* pg = nullptr;    // not owned
  PeerProber* prober = nullptr;            // not owned
  Worker* worker = nullptr;                // not owned
  Watchdog* watchdog = nullptr;            // not owned
  WriteGuard* guard = nullptr;             // not owned; none: nothing outside the loop enforces
                                           // the write deadline (tests of the loop only)
  StatusBoard* board = nullptr;            // not owned
  Clock* clock = nullptr;                  // not owned; RealClock if null
  // Re-reads the local configuration (SIGHUP, POST /reload); nullopt keeps the current one.
  std::function<std::optional<config::Config>()> reload;
};

class HaLoop {
 public:
  explicit HaLoop(HaLoopOptions options);
  ~HaLoop();

  // One cycle. Returns the cycle's one-line summary.
  std::string RunCycle();
  // How long after the start of the last cycle the next one should run: loop_wait, or less
  // while a change made in steps is under way (Decision::next_cycle_within).
  absl::Duration NextCycleWithin() const;
  // Cycles until RequestStop() or a fatal condition; waits for DCS changes in between.
  void Run();
  void RequestStop() { stop_requested_ = true; }
  void RequestReload() { reload_requested_ = true; }
  // SIGTERM: stop PostgreSQL (unless paused) and hand the lock over at once.
  void Shutdown();
  // Replaces the local configuration (SIGHUP, POST /reload).
  void ReloadLocalConfig(const config::Config& local);

  // Set when the loop must end the process (foreign cluster, failed bootstrap).
  const std::optional<std::string>& exit_reason() const { return exit_reason_; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::atomic<bool> stop_requested_{false};
  std::atomic<bool> reload_requested_{false};
  std::optional<std::string> exit_reason_;
};

}  // namespace pgha::ha

#endif  // PGHA_HA_HA_LOOP_H_
