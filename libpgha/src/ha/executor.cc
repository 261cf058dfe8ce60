#include "executor.h"

#include "absl/strings/str_cat.h"
#include "pgha/base/log.h"
#include "pgha/base/status_macros.h"

namespace pgha::ha::internal {
namespace {

template <class... Ts>
struct Overloaded : Ts... {
  using Ts::operator()...;
};
template <class... Ts>
Overloaded(Ts...) -> Overloaded<Ts...>;

}  // namespace

bool Executor::StartTask(const ha::StartTask& task, const dcs::ClusterState& cluster,
                         const HaConfig& config) {
  return d_.worker->Start(task.kind, TaskBody(task, cluster, config));
}

absl::Status Executor::RunOne(const Action& action, const dcs::ClusterState& cluster,
                              const HaConfig& config, LocalState& local, ExecOutcome& outcome) {
  dcs::Dcs& dcs = *d_.dcs;
  pg::PostgresController& pg = *d_.pg;
  const std::string& me = config.name;
  absl::Duration pg_timeout = std::max(absl::Seconds(10), config.ttl / 2);
  return std::visit(
      Overloaded{
          [&](const AcquireLock&) -> absl::Status {
            absl::Time started = d_.clock->Monotonic();
            PGHA_RETURN_IF_ERROR(dcs.AcquireLeaderLock(me));
            local.lock_refreshed_at = started;
            return absl::OkStatus();
          },
          [&](const RefreshLock& a) -> absl::Status {
            absl::Time started = d_.clock->Monotonic();
            absl::Status s = dcs.RefreshLeaderLock(me, a.as_read);
            if (s.ok()) {
              local.lock_refreshed_at = started;
              return s;
            }
            if (local.pg.accepting && !local.pg.in_recovery) {
              // We cannot prove the lock is ours: stop accepting writes at once.
              PGHA_LOG(ERROR) << "failed to update the leader lock (" << s.message()
                              << "); demoting immediately";
              (void)pg.Stop(pg::StopMode::kImmediate, pg_timeout);
              d_.watchdog->Disable();
            }
            local.lock_refreshed_at.reset();
            return s;
          },
          [&](const ReleaseLock& a) -> absl::Status {
            if (a.last_lsn) {
              dcs::ClusterStatus status = cluster.status;
              status.optime = *a.last_lsn;
              (void)dcs.WriteStatus(status, cluster.status.version);
            }
            local.lock_refreshed_at.reset();
            d_.watchdog->Disable();
            return dcs.ReleaseLeaderLock(me, a.as_read);
          },
          [&](const CreateInitialize&) { return dcs.CreateInitialize(""); },
          [&](const SetInitialize& a) {
            return a.expected == dcs::kNoVersion ? dcs.CreateInitialize(a.sysid)
                                                 : dcs.SetInitialize(a.sysid, a.expected);
          },
          [&](const CancelInitialize& a) { return dcs.CancelInitialize(a.expected); },
          [&](const WriteConfig& a) { return dcs.WriteConfig(a.config, a.expected); },
          [&](const ClearFailover& a) { return dcs.ClearFailover(a.expected); },
          [&](const WriteSync& a) { return dcs.WriteSync(a.sync, a.expected); },
          [&](const DeleteSync& a) { return dcs.DeleteSync(a.expected); },
          [&](const WriteHistory& a) { return dcs.WriteHistory(a.history, a.expected); },
          [&](const WriteStatus& a) { return dcs.WriteStatus(a.status, a.expected); },
          [&](const WriteFailsafe& a) { return dcs.WriteFailsafe(a.members, a.expected); },
          [&](const ha::StartTask& a) -> absl::Status {
            if (!StartTask(a, cluster, config)) return absl::UnavailableError("a task is already running");
            return absl::OkStatus();
          },
          [&](const Promote&) { return pg.Promote(pg_timeout); },
          [&](const Demote& a) -> absl::Status {
            d_.watchdog->Disable();
            absl::Status s = pg.Stop(a.mode, pg_timeout);
            if (s.ok()) pg.RunCallback(pg::CallbackAction::kOnRoleChange, "demoted");
            return s;
          },
          [&](const Follow& a) { return pg.Follow(a.upstream, pg_timeout); },
          [&](const SetSyncStandbyNames& a) { return pg.SetSynchronousStandbyNames(a.value); },
          [&](const SyncSlots& a) { return pg.SyncReplicationSlots(a.slots); },
          [&](const Checkpoint&) { return pg.Checkpoint(); },
          [&](const Exit& a) -> absl::Status {
            outcome.exit_reason = a.reason;
            return absl::OkStatus();
          },
      },
      action);
}

ExecOutcome Executor::Run(const Decision& decision, const dcs::ClusterState& cluster,
                          const HaConfig& config, LocalState& local) {
  ExecOutcome outcome;
  for (const Action& action : decision.actions) {
    absl::Status s = RunOne(action, cluster, config, local, outcome);
    if (!s.ok()) {
      outcome.completed = false;
      outcome.failure = absl::StrCat(Describe(action), ": ", s.message());
      // Losing a race or a compare-and-set is normal: the next cycle decides again.
      if (absl::IsAlreadyExists(s) || absl::IsAborted(s)) {
        PGHA_LOG(INFO) << outcome.failure;
      } else {
        PGHA_LOG(ERROR) << outcome.failure;
      }
      break;
    }
    if (outcome.exit_reason) break;
  }
  return outcome;
}

}  // namespace pgha::ha::internal
