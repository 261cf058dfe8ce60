#include "commands.h"

#include <utility>

#include "pgha/base/log.h"
#include "pgha/base/pycompat_time.h"
#include "absl/strings/str_cat.h"
#include "pgha/config/dynamic_config.h"
#include "pgha/config/loader.h"
#include "pgha/dcs/codec.h"

namespace pgha::ha::internal {

void CommandHandler::Handle(const dcs::ClusterState& cluster, const HaConfig& config,
                            LocalState& local, bool holds_lock) {
  if (command_ticket_ && local.task.finished) {
    board_->Complete(*command_ticket_,
                     {true, local.task.succeeded, local.task.succeeded ? 200 : 503,
                      local.task.succeeded ? "done" : local.task.error, nullptr});
    command_ticket_.reset();
  }
  while (auto next = board_->TakeCommand()) {
    auto [ticket, command] = *next;
    HandleOne(ticket, command, cluster, config, local, holds_lock);
  }
  if (scheduled_restart_ && scheduled_restart_->postmaster_start_time &&
      local.pg.postmaster_start_time &&
      *scheduled_restart_->postmaster_start_time != *local.pg.postmaster_start_time) {
    PGHA_LOG(INFO) << "cancelling the scheduled restart: PostgreSQL was restarted meanwhile";
    scheduled_restart_.reset();
  }
  if (scheduled_restart_ && clock_->Now() >= scheduled_restart_->at && !local.task.running &&
      !command_ticket_ && !local.command) {
    scheduled_restart_.reset();
    PGHA_LOG(INFO) << "running the scheduled restart";
    local.command = ManualCommand{ManualCommand::Kind::kRestart};
    pending_ = Pending{std::nullopt, ManualCommand::Kind::kRestart};
  }
}

void CommandHandler::AfterDecision(const Decision& decision, const ExecOutcome& outcome) {
  if (!pending_) return;
  Pending p = *pending_;
  pending_.reset();
  bool reinit = p.kind == ManualCommand::Kind::kReinitialize;
  TaskKind wanted = reinit ? TaskKind::kReinitialize : TaskKind::kRestart;
  if (!p.ticket) {
    if (outcome.started_task != wanted) PGHA_LOG(WARNING) << "the scheduled restart did not start";
    return;
  }
  if (decision.command_refused) {
    board_->Complete(*p.ticket, {true, false, 503, *decision.command_refused, nullptr});
  } else if (outcome.started_task != wanted) {
    board_->Complete(*p.ticket, {true, false, 503, "another action is in progress", nullptr});
  } else if (reinit) {
    board_->Complete(*p.ticket, {true, true, 200, "reinitialize started", nullptr});
  } else {
    command_ticket_ = p.ticket;  // answered when the restart has finished
  }
}

void CommandHandler::HandleOne(int ticket, const Command& command, const dcs::ClusterState& cluster,
                               const HaConfig& config, LocalState& local, bool holds_lock) {
  auto complete = [&](bool ok, int code, std::string msg, Json body = nullptr) {
    board_->Complete(ticket, {true, ok, code, std::move(msg), std::move(body)});
  };
  const Json& p = command.payload;
  switch (command.kind) {
    case Command::Kind::kReload:
      reload_pending_ = true;
      complete(true, 202, "reload scheduled");
      return;
    case Command::Kind::kSwitchover: {
      dcs::FailoverRequest f;
      f.leader = JsonString(p, "leader");
      f.candidate = JsonString(p, "candidate");
      // Already isoformat() in the zone the request gave, as Patroni stores it.
      f.scheduled_at_text = JsonString(p, "scheduled_at");
      auto fresh = dcs_->Load(dcs::ReadMode::kLinearizable);
      const dcs::ClusterState& current = fresh.ok() ? **fresh : cluster;
      absl::Status s =
          dcs_->WriteFailover(f, current.failover ? current.failover->version : dcs::kNoVersion);
      complete(s.ok(), s.ok() ? 200 : 503, std::string(s.message()));
      return;
    }
    case Command::Kind::kCancelSwitchover: {
      const dcs::FailoverRequest* f = cluster.PendingFailover();
      if (f == nullptr || !f->scheduled_at) {
        complete(false, 404, "no switchover is scheduled");
        return;
      }
      absl::Status s = dcs_->ClearFailover(f->version);
      complete(s.ok(), s.ok() ? 200 : 409, s.ok() ? "scheduled switchover deleted" : "Conflict");
      return;
    }
    case Command::Kind::kPatchConfig: {
      // Patched on a fresh read (as Patroni does): the loop's snapshot may predate a PATCH made
      // a moment ago, and the compare-and-set would then refuse this one.
      auto fresh = dcs_->Load(dcs::ReadMode::kLinearizable);
      const dcs::ClusterState& current = fresh.ok() ? **fresh : cluster;
      if (!current.config) {
        complete(false, 503, "no dynamic configuration in the DCS");
        return;
      }
      Json merged = config::MergePatch(current.config->data, p);
      config::Diagnostics problems = config::ValidateDynamicConfig(merged);
      if (const config::Diagnostic* invalid = problems.FirstError()) {
        complete(false, 400, absl::StrCat(invalid->key_path, ": ", invalid->message));
        return;
      }
      absl::Status s = dcs_->WriteConfig(merged, current.config->version);
      if (s.ok()) {
        complete(true, 200, "", merged);
      } else if (absl::IsAborted(s)) {
        complete(false, 409, "Conflict");
      } else {
        complete(false, 503, std::string(s.message()));
      }
      return;
    }
    case Command::Kind::kPutConfig: {
      config::Diagnostics problems = config::ValidateDynamicConfig(p);
      if (const config::Diagnostic* invalid = problems.FirstError()) {
        complete(false, 400, absl::StrCat(invalid->key_path, ": ", invalid->message));
        return;
      }
      absl::Status s = dcs_->PutConfig(p);
      complete(s.ok(), s.ok() ? 200 : 502, std::string(s.message()), s.ok() ? p : Json(nullptr));
      return;
    }
    case Command::Kind::kScheduleRestart:
      if (scheduled_restart_) {
        complete(false, 409, "Another restart is already scheduled");
      } else {
        scheduled_restart_ = ScheduledRestart{command.schedule.value_or(clock_->Now()), command,
                                              local.pg.postmaster_start_time};
        complete(true, 202, "Restart scheduled");
      }
      return;
    case Command::Kind::kCancelRestart:
      if (scheduled_restart_) {
        scheduled_restart_.reset();
        complete(true, 200, "scheduled restart deleted");
      } else {
        complete(false, 404, "no restarts are scheduled");
      }
      return;
    case Command::Kind::kRestart:
    case Command::Kind::kReinitialize: {
      // Whether it may run is Decide's (RuleManualCommand); answered in AfterDecision.
      bool reinit = command.kind == Command::Kind::kReinitialize;
      if (local.task.running || command_ticket_ || local.command) {
        complete(false, 503,
                 reinit ? "reinitialize already in progress" : "restart already in progress");
        return;
      }
      ManualCommand::Kind kind =
          reinit ? ManualCommand::Kind::kReinitialize : ManualCommand::Kind::kRestart;
      local.command = ManualCommand{kind};
      pending_ = Pending{ticket, kind};
      return;
    }
  }
}

std::optional<Json> CommandHandler::ScheduledRestartJson() const {
  if (!scheduled_restart_) return std::nullopt;
  Json j = Json::object();
  j["schedule"] = dcs::FormatTimestamp(scheduled_restart_->at);
  const Json& p = scheduled_restart_->command.payload;
  for (const char* k : {"role", "postgres_version", "restart_pending", "timeout"}) {
    if (p.contains(k)) j[k] = p[k];
  }
  if (scheduled_restart_->postmaster_start_time) {
    // str(datetime), as Patroni's json.dumps(default=str) writes it.
    j["postmaster_start_time"] =
        py::IsoFormat(*scheduled_restart_->postmaster_start_time, absl::UTCTimeZone(), ' ');
  }
  return j;
}

}  // namespace pgha::ha::internal
