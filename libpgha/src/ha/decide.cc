// Decide() and the rules about tasks, the DCS, data directories and a stopped PostgreSQL.
// Each rule's comment: "when <condition>: <what happens>, because <why it is safe>".
#include "pgha/ha/decide.h"

#include "context.h"

namespace pgha::ha {
namespace internal {
namespace {

struct NamedRule {
  const char* name;
  RuleFn fn;
};

const NamedRule kRules[] = {
    {"task_in_flight", RuleTaskInFlight},
    {"dcs_unreachable", RuleDcsUnreachable},
    {"bootstrap_finished", RuleBootstrapFinished},
    {"no_data", RuleNoData},
    {"foreign_cluster", RuleForeignCluster},
    {"postgres_down", RulePostgresDown},
    {"leader_race", RuleLeaderRace},
    {"holding_lock", RuleHoldingLock},
    {"follow_leader", RuleFollowLeader},
};

}  // namespace

std::optional<pg::Upstream> UpstreamOf(const dcs::Member& member) {
  std::string host = member.Host();
  if (host.empty() || member.Port() == 0) return std::nullopt;
  return pg::Upstream{member.name, host, member.Port()};
}

std::optional<pg::Upstream> ReplicationSource(const Context& c) {
  if (!c.config.replicatefrom.empty() && c.config.replicatefrom != c.me()) {
    const dcs::Member* m = c.cluster.FindMember(c.config.replicatefrom);
    if (m != nullptr && m->IsRunning()) return UpstreamOf(*m);
  }
  const dcs::Member* leader = c.cluster.LeaderMember();
  if (leader == nullptr) return std::nullopt;
  return UpstreamOf(*leader);
}

// When a slow task (bootstrap, clone, rewind, restart, switchover) runs: keep the lock if we
// hold it and touch nothing else, because the task owns PostgreSQL until it ends.
bool RuleTaskInFlight(Context& c) {
  if (!c.local.task.running) return false;
  if (c.local.dcs_ok && c.HoldsLock()) c.Do(RefreshLock{*c.cluster.leader});
  c.Say(absl::StrCat(TaskKindName(c.local.task.kind), " in progress"));
  return true;
}

// When the DCS cannot be read: a running primary steps down (fast stop, then read-only),
// because its lock may expire at any moment and a replica may then be promoted; in failsafe
// mode it keeps running while every member listed in `failsafe` accepted its POST /failsafe,
// because each of them then refuses to race for ttl. Replicas keep replicating and never
// promote without the lock.
bool RuleDcsUnreachable(Context& c) {
  if (c.local.dcs_ok) return false;
  if (c.PgPrimary() && !c.Paused() && c.config.failsafe_mode && c.local.failsafe_confirmed) {
    c.Say("continue to run as a leader because failsafe mode is enabled and all members are accessible");
    return true;
  }
  if (c.PgPrimary() && !c.Paused()) {
    c.Do(Demote{pg::StopMode::kFast});
    c.decision.memory.demoted_for_dcs = true;
    c.decision.memory.rejoin_needed = true;
    c.Say("demoting self because DCS is not accessible and I was a leader");
  } else {
    c.Say(c.Paused() ? "DCS is not accessible (paused: no action)" : "DCS is not accessible");
  }
  return true;
}

// When the bootstrap we started finished: publish the new cluster (system identifier, lock,
// dynamic configuration), or withdraw from the race after a failure, because the other nodes
// wait on `initialize` and must not wait forever for a bootstrap that died.
bool RuleBootstrapFinished(Context& c) {
  if (!c.local.memory.bootstrapping || c.local.task.kind != TaskKind::kBootstrap ||
      !c.local.task.finished) {
    return false;
  }
  c.decision.memory.bootstrapping = false;
  dcs::Version init_version = c.cluster.initialize_version;
  if (!c.local.task.succeeded || !c.local.pg.system_identifier) {
    c.Do(CancelInitialize{init_version});
    c.Do(Exit{absl::StrCat("bootstrap failed: ", c.local.task.error)});
    c.Say("removing initialize key after failed attempt to bootstrap the cluster");
    return true;
  }
  // watchdog: required means never a primary without one, the new cluster's first either (as
  // Patroni's post_bootstrap): stop the fresh primary, give the race back, and end.
  if (c.config.watchdog == WatchdogMode::kRequired && !c.local.watchdog_usable) {
    c.Do(Demote{pg::StopMode::kImmediate});
    c.Do(CancelInitialize{init_version});
    c.Do(Exit{"cancelling bootstrap because the watchdog is required but not usable"});
    c.Say("cancelling bootstrap: the watchdog is required but not usable");
    return true;
  }
  c.Do(SetInitialize{std::to_string(*c.local.pg.system_identifier), init_version});
  c.Do(AcquireLock{});
  if (!c.cluster.config) c.Do(WriteConfig{c.config.bootstrap_dcs, dcs::kNoVersion});
  c.Say("initialized a new cluster");
  return true;
}

// When the data directory is empty: the winner of the `initialize` race bootstraps, the others
// clone from a running clonefrom member or the leader, because a node without data can only
// join, and only one node may create the cluster.
bool RuleNoData(Context& c) {
  pg::DataDirState d = c.local.pg.data_dir;
  if (d == pg::DataDirState::kValid) return false;
  if (d == pg::DataDirState::kInvalid) {
    if (c.HoldsLock()) c.Do(ReleaseLock{*c.cluster.leader, std::nullopt});
    c.Say("data directory is not empty but is not a valid PostgreSQL data directory");
    return true;
  }
  if (c.HoldsLock()) {
    c.Do(ReleaseLock{*c.cluster.leader, std::nullopt});
    c.Say("released the leader lock: the data directory is empty");
    return true;
  }
  if (c.Paused()) {
    c.Say("data directory is empty (paused: no action)");
    return true;
  }
  if (!c.cluster.leader && !c.cluster.initialize) {
    if (c.config.bootstrap_configured && !c.config.nofailover) {
      c.Do(CreateInitialize{});
      c.Do(StartTask{TaskKind::kBootstrap});
      c.decision.memory.bootstrapping = true;
      c.Say("trying to bootstrap a new cluster");
    } else {
      c.Say("waiting for leader to bootstrap");
    }
    return true;
  }
  const dcs::Member* leader = c.cluster.LeaderMember();
  if (leader == nullptr || !leader->IsRunning()) {
    c.Say("waiting for leader to bootstrap");
    return true;
  }
  // A running member tagged clonefrom spares the leader the copy.
  std::optional<pg::Upstream> source = UpstreamOf(*leader);
  for (const auto& m : c.cluster.members) {
    if (m.name != c.me() && m.name != leader->name && m.CloneFrom() && m.IsRunning()) {
      source = UpstreamOf(m);
      break;
    }
  }
  c.Do(StartTask{TaskKind::kCreateReplica, source});
  c.Say(absl::StrCat("trying to bootstrap from ", source ? source->name : std::string("leader")));
  return true;
}

// When our data belongs to another cluster (its system identifier differs from `initialize`):
// stop, because replicating or promoting it would mix two clusters' data.
bool RuleForeignCluster(Context& c) {
  const auto& sysid = c.local.pg.system_identifier;
  if (!sysid) return false;
  std::string mine = std::to_string(*sysid);
  if (c.cluster.initialize && !c.cluster.initialize->empty() && *c.cluster.initialize != mine) {
    if (c.HoldsLock()) c.Do(ReleaseLock{*c.cluster.leader, std::nullopt});
    if (!c.Paused()) {
      c.Do(Exit{absl::StrCat("the system identifier of this data directory (", mine,
                             ") differs from the cluster's (", *c.cluster.initialize,
                             "): it belongs to a different cluster")});
    }
    c.Say("system identifier mismatch");
    return true;
  }
  if (!c.cluster.initialize && !c.cluster.leader && c.PgPrimary() && !c.Paused()) {
    // A running primary found without any cluster in the DCS: take it over (Patroni does).
    c.Do(SetInitialize{mine, dcs::kNoVersion});
  }
  return false;
}

// When PostgreSQL does not accept connections: a primary holding the lock restarts it (until
// primary_start_timeout, then gives the lock up so a replica can take over); without the lock
// it rejoins as a replica (with a divergence check), because only the lock holder may write.
bool RulePostgresDown(Context& c) {
  if (c.PgRunning()) {
    c.decision.memory.crash_restart_since.reset();
    return false;
  }
  const absl::Time now = c.local.now;
  auto start_timed_out = [&] {
    return c.local.memory.crash_restart_since &&
           now - *c.local.memory.crash_restart_since > c.config.primary_start_timeout;
  };
  if (c.Paused()) {
    if (c.HoldsLock()) c.Do(ReleaseLock{*c.cluster.leader, std::nullopt});
    c.Say("postgres is not running (paused: no action)");
    return true;
  }
  if (c.HoldsLock()) {
    if (c.config.primary_start_timeout == absl::ZeroDuration() || start_timed_out()) {
      c.Do(ReleaseLock{*c.cluster.leader, std::nullopt});
      c.decision.memory.crash_restart_since.reset();
      c.decision.memory.rejoin_needed = true;
      c.Say("removed leader key after trying and failing to start postgres");
      return true;
    }
    c.Do(RefreshLock{*c.cluster.leader});
    if (!c.local.pg.postmaster_alive) {
      c.Do(StartTask{TaskKind::kStartPrimary});
    }
    if (!c.local.memory.crash_restart_since) c.decision.memory.crash_restart_since = now;
    c.Say("starting primary after failure");
    return true;
  }
  if (c.local.pg.postmaster_alive) {
    c.Say("postgres is starting");
    return true;
  }
  const dcs::Member* leader = c.cluster.LeaderMember();
  bool was_primary = c.local.pg.control && c.local.pg.control->WasPrimary();
  if (leader != nullptr && leader->role != "primary" && (was_primary || c.local.memory.rejoin_needed)) {
    // The divergence check compares timelines with the leader's: wait for its promotion.
    c.Say(absl::StrCat("waiting for ", leader->name, " to become primary before rejoining"));
    return true;
  }
  StartTask rejoin{TaskKind::kRejoin, leader != nullptr ? ReplicationSource(c) : std::nullopt};
  rejoin.remove_data = c.config.remove_data_directory_on_diverged_timelines ||
                       c.config.remove_data_directory_on_rewind_failure;
  c.Do(rejoin);
  c.decision.memory.rejoin_target = leader != nullptr ? leader->name : std::string();
  c.Say(leader != nullptr ? absl::StrCat("starting as a secondary of ", leader->name)
                          : std::string("starting as a secondary (no leader)"));
  return true;
}

// When a rejoin task ended: only one that succeeded makes its leader the one we follow, because
// a failed divergence check (the leader unreachable, pg_rewind failed) proves nothing, and a
// diverged replica must never be pointed at the new leader as if it had been checked.
Memory MemoryAfterTask(const LocalState& local) {
  Memory m = local.memory;
  const TaskState& t = local.task;
  if (!t.finished || t.kind != TaskKind::kRejoin) return m;
  if (t.succeeded) {
    m.last_leader = m.rejoin_target;
    m.rejoin_needed = false;
  } else {
    m.rejoin_needed = true;
  }
  m.rejoin_target.clear();
  return m;
}

}  // namespace internal

const char* TaskKindName(TaskKind kind) {
  switch (kind) {
    case TaskKind::kNone:
      return "nothing";
    case TaskKind::kBootstrap:
      return "bootstrap";
    case TaskKind::kCreateReplica:
      return "replica creation";
    case TaskKind::kRejoin:
      return "rejoin";
    case TaskKind::kStartPrimary:
      return "primary start";
    case TaskKind::kGracefulDemote:
      return "switchover demotion";
    case TaskKind::kRestart:
      return "restart";
    case TaskKind::kReinitialize:
      return "reinitialize";
  }
  return "task";
}

std::vector<std::string> RuleNames() {
  std::vector<std::string> out;
  for (const auto& r : internal::kRules) out.push_back(r.name);
  return out;
}

Decision Decide(const dcs::ClusterState& cluster, const LocalState& given, const HaConfig& config) {
  // The rules see the memory with the outcome of a task that just finished already applied.
  LocalState local = given;
  local.memory = internal::MemoryAfterTask(given);
  Decision decision;
  decision.memory = local.memory;
  internal::Context c{cluster, local, config, decision};
  for (const auto& rule : internal::kRules) {
    if (rule.fn(c)) break;
  }
  if (decision.message.empty()) decision.message = "no action";
  return decision;
}

}  // namespace pgha::ha
