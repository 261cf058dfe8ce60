#include "executor.h"

#include "absl/strings/str_cat.h"
#include "pgha/base/log.h"
#include "pgha/base/status_macros.h"
#include "pgha/ha/write_deadline.h"

namespace pgha::ha::internal {
namespace {

template <class... Ts>
struct Overloaded : Ts... {
  using Ts::operator()...;
};
template <class... Ts>
Overloaded(Ts...) -> Overloaded<Ts...>;

// The loop renews the session first thing in a cycle; a lock operation then needs no renewal.
dcs::Dcs::Session SessionRenewal(const LocalState& local) {
  return local.session_renewed_at ? dcs::Dcs::Session::kRenewedByCaller
                                  : dcs::Dcs::Session::kRenew;
}

}  // namespace

bool Executor::StartTask(const ha::StartTask& task, const dcs::ClusterState& cluster,
                         const HaConfig& config) {
  return d_.worker->Start(task.kind, TaskBody(task, cluster, config));
}

void Executor::DisarmGuards() {
  d_.guard->Disarm();
  if (d_.watchdog->Active()) d_.watchdog->Disable();
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
            // Taken before the session was renewed: the lease lives at least ttl from a moment
            // after this one (write_deadline.h).
            absl::Time renewed = local.session_renewed_at.value_or(d_.clock->Monotonic());
            PGHA_RETURN_IF_ERROR(dcs.AcquireLeaderLock(me, SessionRenewal(local)));
            local.lock_refreshed_at = renewed;
            return absl::OkStatus();
          },
          [&](const RefreshLock& a) -> absl::Status {
            absl::Time renewed = local.session_renewed_at.value_or(d_.clock->Monotonic());
            absl::Status s = dcs.RefreshLeaderLock(me, a.as_read, SessionRenewal(local));
            if (s.ok()) {
              local.lock_refreshed_at = renewed;
              return s;
            }
            // The DCS said the lock is not ours: it is gone. A silent DCS proves nothing either
            // way: the last successful refresh still bounds how long we may write.
            bool lost = !absl::IsUnavailable(s) && !absl::IsDeadlineExceeded(s);
            if (lost) local.lock_refreshed_at.reset();
            std::optional<pg::StopMode> stop = lost ? a.stop_if_lost : a.stop_if_unreachable;
            if (stop) {
              PGHA_LOG(ERROR) << "failed to update the leader lock (" << s.message() << "); demoting ("
                              << pg::StopModeName(*stop) << " stop)";
              if (StopPrimary(pg, *stop, pg_timeout, config).ok()) DisarmGuards();
            }
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
            outcome.started_task = a.kind;
            return absl::OkStatus();
          },
          [&](const Promote&) { return pg.Promote(pg_timeout); },
          [&](const Demote& a) -> absl::Status {
            absl::Status s = StopPrimary(pg, a.mode, pg_timeout, config);
            if (s.ok()) pg.RunCallback(pg::CallbackAction::kOnRoleChange, "demoted");
            return s;
          },
          [&](const Follow& a) { return pg.Follow(a.upstream, pg_timeout); },
          [&](const SetSyncStandbyNames& a) { return pg.SetSynchronousStandbyNames(a.value); },
          [&](const SyncSlots& a) { return pg.SyncReplicationSlots(a.slots, a.drop); },
          [&](const ArmWriteGuard& a) -> absl::Status {
            std::optional<absl::Time> since = a.failsafe_since;
            if (!since) since = local.lock_refreshed_at;
            if (!since) return absl::FailedPreconditionError("no lock refresh to arm the guard with");
            WriteDeadline deadline = WriteDeadlineAfter(*since, config.ttl);
            d_.guard->Arm(deadline);
            if (config.watchdog != WatchdogMode::kOff) {
              absl::Duration timeout = config.ttl - config.watchdog_safety_margin;
              if (timeout < absl::Seconds(1)) timeout = config.ttl / 2;
              absl::Status w = d_.watchdog->Activate(timeout);
              if (!w.ok() && config.watchdog == WatchdogMode::kRequired) {
                PGHA_LOG(ERROR) << "watchdog required but not usable: " << w.message();
              }
            }
            return absl::OkStatus();
          },
          [&](const DisarmWriteGuard&) -> absl::Status {
            DisarmGuards();
            return absl::OkStatus();
          },
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
