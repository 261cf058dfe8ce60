// The bodies of the slow tasks the worker runs.
#include "absl/strings/str_cat.h"
#include "executor.h"
#include "pgha/base/log.h"
#include "pgha/base/status_macros.h"

namespace pgha::ha::internal {
namespace {

absl::Duration StartTimeout(const HaConfig& config) {
  return std::max(absl::Seconds(60), config.primary_start_timeout);
}

// Rejoin: a node without the lock becomes a replica of `upstream`, checking first that its data
// has not diverged from the leader's timeline; rewinds or re-clones as the settings allow.
absl::Status Rejoin(pg::PostgresController& pg, const std::optional<pg::Upstream>& upstream,
                    bool remove_data, const HaConfig& config) {
  // Nobody to check against or stream from (no leader; a standby cluster restoring from its
  // archive only): start as a standby with what recovery settings there are.
  if (!upstream || upstream->host.empty()) return pg.Start(upstream, true, StartTimeout(config));
  pg::Observation o = pg.Observe();
  if (o.accepting && !o.in_recovery) {
    PGHA_RETURN_IF_ERROR(StopPrimary(pg, pg::StopMode::kFast, absl::Seconds(60), config));
  }
  auto needs = pg.NeedsRewind(*upstream);
  if (!needs.ok()) {
    // Without an answer from the leader it is not safe to assume anything: retry next cycle.
    return absl::UnavailableError(absl::StrCat("cannot check divergence from ", upstream->name, ": ",
                                               needs.status().message()));
  }
  if (*needs) {
    bool rewound = false;
    if (pg.CanRewind()) {
      absl::Status r = pg.Rewind(*upstream);
      if (!r.ok()) PGHA_LOG(ERROR) << r.message();
      // pg_rewind does nothing when both sides are on the same timeline number (two nodes
      // promoted independently): check again instead of trusting its exit code.
      if (r.ok()) {
        auto still = pg.NeedsRewind(*upstream);
        rewound = still.ok() && !*still;
        if (!rewound) PGHA_LOG(ERROR) << "still diverged from " << upstream->name << " after pg_rewind";
      }
    }
    if (!rewound) {
      if (!remove_data) {
        return absl::FailedPreconditionError(absl::StrCat(
            "this node diverged from ", upstream->name,
            " and pg_rewind is not possible or failed; reinitialize it (pghactl reinit) or set "
            "remove_data_directory_on_diverged_timelines"));
      }
      PGHA_LOG(WARNING) << "re-cloning from " << upstream->name << " (diverged, configured to remove data)";
      PGHA_RETURN_IF_ERROR(pg.Stop(pg::StopMode::kImmediate, absl::Seconds(60)));
      PGHA_RETURN_IF_ERROR(pg.RemoveDataDirectory());
      PGHA_RETURN_IF_ERROR(pg.CreateReplica({upstream}));
    }
  }
  return pg.Follow(upstream, StartTimeout(config));
}

// A switchover: stop with a shutdown checkpoint, make sure the candidate received it, publish
// the final position and release the lock so the candidate takes over with every record.
absl::Status GracefulDemote(const ExecDeps& d, const HaConfig& config, const dcs::Member& candidate,
                            const std::optional<pg::Upstream>& follow_after) {
  pg::PostgresController& pg = *d.pg;
  (void)pg.Checkpoint();  // makes the shutdown checkpoint quick
  d.watchdog->Disable();
  PGHA_RETURN_IF_ERROR(StopPrimary(pg, pg::StopMode::kFast, std::max(absl::Seconds(60), config.ttl), config));
  pg.RunCallback(pg::CallbackAction::kOnRoleChange, "demoted");
  pg::Observation o = pg.Observe();
  Lsn checkpoint = o.control ? o.control->checkpoint_lsn : 0;
  absl::Time deadline = d.clock->Monotonic() + absl::Seconds(10);
  while (checkpoint != 0) {
    auto peers = d.prober->Probe({candidate}, absl::Seconds(2));
    if (!peers.empty() && peers[0].reachable && peers[0].wal_position.value_or(0) > checkpoint) break;
    if (d.clock->Monotonic() >= deadline) {
      if (config.synchronous_mode == config::SyncMode::kQuorum) {
        // With quorum commit no single standby is known to hold every acknowledged commit:
        // only the shutdown checkpoint proves it. Keep the lock; the next cycle starts this
        // node as the primary again. The request goes (compare-and-set), so that it is neither
        // retried in a loop of stops nor served by a later release of the lock to its candidate.
        auto now = d.dcs->Load(dcs::ReadMode::kLinearizable);
        if (now.ok() && (*now)->failover) (void)d.dcs->ClearFailover((*now)->failover->version);
        return absl::FailedPreconditionError(absl::StrCat(
            candidate.name, " has not confirmed the shutdown checkpoint: switchover aborted (quorum commit)"));
      }
      PGHA_LOG(WARNING) << candidate.name << " has not confirmed the shutdown checkpoint; releasing anyway";
      break;
    }
    d.clock->SleepFor(absl::Milliseconds(100));
  }
  PGHA_ASSIGN_OR_RETURN(dcs::ClusterStatePtr now, d.dcs->Load(dcs::ReadMode::kLinearizable));
  if (!now->leader || now->leader->name != config.name) return absl::OkStatus();
  if (checkpoint != 0) {
    dcs::ClusterStatus status = now->status;
    status.optime = checkpoint;
    (void)d.dcs->WriteStatus(status, now->status.version);
  }
  PGHA_LOG(INFO) << "leader lock released for " << candidate.name;
  PGHA_RETURN_IF_ERROR(d.dcs->ReleaseLeaderLock(config.name, *now->leader));
  if (!follow_after) return absl::OkStatus();
  return pg.Start(follow_after, true, StartTimeout(config));
}

}  // namespace

std::function<absl::Status()> Executor::TaskBody(const ha::StartTask& task,
                                                 const dcs::ClusterState& cluster,
                                                 const HaConfig& config) {
  ExecDeps d = d_;
  HaConfig cfg = config;
  std::optional<pg::Upstream> upstream = task.upstream;
  switch (task.kind) {
    case TaskKind::kBootstrap:
      return [d] { return d.pg->Bootstrap(); };
    case TaskKind::kCreateReplica:
      return [d, upstream, cfg]() -> absl::Status {
        PGHA_RETURN_IF_ERROR(d.pg->CreateReplica({upstream}));
        return d.pg->Start(upstream, true, StartTimeout(cfg));
      };
    case TaskKind::kRejoin: {
      bool remove = task.remove_data;
      return [d, upstream, remove, cfg] { return Rejoin(*d.pg, upstream, remove, cfg); };
    }
    case TaskKind::kStartPrimary:
      return [d, cfg] { return d.pg->Start(std::nullopt, false, cfg.primary_start_timeout + absl::Seconds(1)); };
    case TaskKind::kGracefulDemote: {
      const dcs::Member* m = cluster.FindMember(task.candidate);
      dcs::Member candidate = m != nullptr ? *m : dcs::Member{};
      // While paused the node comes back as the candidate's replica here; otherwise the next
      // cycles rejoin it (with the divergence check).
      std::optional<pg::Upstream> follow = task.follow_after ? upstream : std::nullopt;
      return [d, cfg, candidate, follow] { return GracefulDemote(d, cfg, candidate, follow); };
    }
    case TaskKind::kRestart: {
      bool standby = task.candidate == "replica";
      return [d, upstream, standby, cfg] { return d.pg->Restart(upstream, standby, StartTimeout(cfg)); };
    }
    case TaskKind::kReinitialize:
      return [d, upstream, cfg]() -> absl::Status {
        PGHA_RETURN_IF_ERROR(d.pg->Stop(pg::StopMode::kImmediate, absl::Seconds(60)));
        PGHA_RETURN_IF_ERROR(d.pg->RemoveDataDirectory());
        PGHA_RETURN_IF_ERROR(d.pg->CreateReplica({upstream}));
        return d.pg->Start(upstream, true, StartTimeout(cfg));
      };
    case TaskKind::kCopySlots: {
      std::optional<pg::Upstream> from = task.copy_from;
      std::vector<pg::DesiredSlot> slots = task.slots;
      return [d, from, slots, upstream, cfg]() -> absl::Status {
        if (!from) return absl::UnavailableError("no leader to copy logical slots from");
        return d.pg->CopyLogicalSlots(*from, slots, upstream, StartTimeout(cfg));
      };
    }
    case TaskKind::kNone:
      break;
  }
  return [] { return absl::OkStatus(); };
}

}  // namespace pgha::ha::internal
