// Turns the REST API's commands (restart, reinitialize, switchover, config changes, reload) into
// DCS writes and tasks, and keeps the restart scheduled for later. Runs on the HA loop's thread,
// once per cycle, with the snapshot that cycle decided on. Internal to the HA loop.
#ifndef PGHA_HA_COMMANDS_H_
#define PGHA_HA_COMMANDS_H_

#include <optional>

#include "executor.h"
#include "pgha/base/clock.h"
#include "pgha/base/json.h"
#include "pgha/dcs/dcs.h"
#include "pgha/ha/node_status.h"
#include "pgha/ha/types.h"

namespace pgha::ha::internal {

class CommandHandler {
 public:
  CommandHandler(dcs::Dcs* dcs, StatusBoard* board, Clock* clock)
      : dcs_(dcs), board_(board), clock_(clock) {}

  // Answers every queued command it can answer itself, reports a finished manual task to its
  // waiting client, and hands a restart or reinitialization (asked for, or a scheduled restart
  // that came due) to Decide through `local.command`.
  void Handle(const dcs::ClusterState& cluster, const HaConfig& config, LocalState& local,
              bool holds_lock);
  // After the cycle's actions ran: answers the restart or reinitialization handed to Decide.
  void AfterDecision(const Decision& decision, const ExecOutcome& outcome);

  // Patroni's `scheduled_restart` document (schedule, the request's filters, the postmaster start
  // time it was scheduled against); nullopt when none is scheduled.
  std::optional<Json> ScheduledRestartJson() const;

  void RequestReload() { reload_pending_ = true; }
  // Whether a reload was asked for since the last call.
  bool TakeReloadRequest() { return std::exchange(reload_pending_, false); }

 private:
  // A restart requested for later (POST /restart with schedule).
  struct ScheduledRestart {
    absl::Time at;
    Command command;
    std::optional<absl::Time> postmaster_start_time;  // a restart meanwhile cancels it
  };

  // Runs one command; Complete()s its ticket unless the answer waits for a task.
  void HandleOne(int ticket, const Command& command, const dcs::ClusterState& cluster,
                 const HaConfig& config, LocalState& local, bool holds_lock);

  dcs::Dcs* dcs_;
  StatusBoard* board_;
  Clock* clock_;
  std::optional<int> command_ticket_;  // a manual command whose task runs
  struct Pending {
    std::optional<int> ticket;  // none for a scheduled restart
    ManualCommand::Kind kind;
  };
  std::optional<Pending> pending_;  // handed to Decide this cycle
  std::optional<ScheduledRestart> scheduled_restart_;
  bool reload_pending_ = false;
};

}  // namespace pgha::ha::internal

#endif  // PGHA_HA_COMMANDS_H_
