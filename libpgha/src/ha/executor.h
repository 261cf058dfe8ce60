// Runs a Decision's actions in order, stopping at the first failure; starts slow work on the
// worker. Internal to the HA loop.
#ifndef PGHA_HA_EXECUTOR_H_
#define PGHA_HA_EXECUTOR_H_

#include <functional>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "pgha/base/clock.h"
#include "pgha/dcs/dcs.h"
#include "pgha/ha/peer_prober.h"
#include "pgha/ha/types.h"
#include "pgha/ha/watchdog.h"
#include "pgha/ha/write_guard.h"
#include "pgha/ha/worker.h"
#include "pgha/postgres/controller.h"

namespace pgha::ha::internal {

struct ExecDeps {
  dcs::Dcs* dcs;
  pg::PostgresController* pg;
  PeerProber* prober;
  Worker* worker;
  Watchdog* watchdog;
  WriteGuard* guard;
  Clock* clock;
};

struct ExecOutcome {
  bool completed = true;                   // every action succeeded
  std::string failure;                     // the first failure
  std::optional<std::string> exit_reason;  // an Exit action ran
  std::optional<TaskKind> started_task;    // a StartTask action ran
};

// Stops this node's PostgreSQL while it is (or was until now) the primary. In synchronous mode
// with primary_stop_timeout (Patroni's), a stop still running after that long is cut short: an
// immediate stop, then SIGKILL to the postmaster and its children. A fast shutdown waits for the
// walsenders to hand every WAL record to the standbys, and a hung synchronous standby keeps it
// waiting; the setting is the user's trade between a clean stop and a quick one.
absl::Status StopPrimary(pg::PostgresController& pg, pg::StopMode mode, absl::Duration timeout,
                         const HaConfig& config);

class Executor {
 public:
  explicit Executor(ExecDeps deps) : d_(deps) {}
  ExecOutcome Run(const Decision& decision, const dcs::ClusterState& cluster, const HaConfig& config,
                  LocalState& local);
  WriteGuard& guard() { return *d_.guard; }
  // Starts a slow task on the worker. The task bodies live in tasks.cc.
  bool StartTask(const StartTask& task, const dcs::ClusterState& cluster, const HaConfig& config);
  // A task body, public so that manual commands (restart, reinitialize) can use them too.
  std::function<absl::Status()> TaskBody(const ha::StartTask& task, const dcs::ClusterState& cluster,
                                         const HaConfig& config);

 private:
  // This node no longer writes: the write guard (and fencer) and the watchdog stand down.
  void DisarmGuards();
  absl::Status RunOne(const Action& action, const dcs::ClusterState& cluster, const HaConfig& config,
                      LocalState& local, ExecOutcome& outcome);
  ExecDeps d_;
};

}  // namespace pgha::ha::internal

#endif  // PGHA_HA_EXECUTOR_H_
