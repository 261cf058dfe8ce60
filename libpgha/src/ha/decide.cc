// Decide() and the rules about tasks, the DCS, data directories and a stopped PostgreSQL.
// Each rule's comment: "when <condition>: <what happens>, because <why it is safe>".
#include <algorithm>
#include "pgha/ha/decide.h"

#include "context.h"
#include "pgha/ha/write_deadline.h"

namespace pgha::ha {
namespace internal {
namespace {

struct NamedRule {
  const char* name;
  RuleFn fn;
};

const NamedRule kRules[] = {
    {"write_deadline_passed", RuleWriteDeadlinePassed},
    {"task_in_flight", RuleTaskInFlight},
    {"dcs_unreachable", RuleDcsUnreachable},
    {"manual_command", RuleManualCommand},
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
    if (m != nullptr && m->IsRunning()) return ForStandbyCluster(c, UpstreamOf(*m));
  }
  const dcs::Member* leader = c.cluster.LeaderMember();
  if (leader == nullptr) return std::nullopt;
  return ForStandbyCluster(c, UpstreamOf(*leader));
}

namespace {
// Whether the write guard is armed for the lock we hold: whenever we may write, i.e. not
// paused, and not as the standby leader of a standby cluster (not writable; a primary there
// stays guarded until it stopped).
bool GuardsWrites(const Context& c) { return !c.Paused() && (!c.StandbyCluster() || c.PgPrimary()); }
}  // namespace

void KeepLock(Context& c) {
  RefreshLock refresh{*c.cluster.leader};
  if (c.PgPrimary()) {
    refresh.stop_if_lost = pg::StopMode::kImmediate;
    refresh.stop_if_unreachable = pg::StopMode::kFast;
  }
  c.Do(refresh);
  if (GuardsWrites(c)) c.Do(ArmWriteGuard{});
}

void TakeLock(Context& c) {
  c.Do(AcquireLock{});
  if (GuardsWrites(c)) c.Do(ArmWriteGuard{});
}

// When PostgreSQL still accepts writes after the write deadline of the last successful lock
// refresh (write_deadline.h): stop it at once, because the lease may expire any moment now and
// another node be promoted; the write guard should already have stopped it, this is the loop's
// own check. Failsafe mode with every member's confirmation extends the deadline instead.
bool RuleWriteDeadlinePassed(Context& c) {
  if (!c.PgPrimary() || c.Paused() || !c.local.lock_refreshed_at) return false;
  WriteDeadline deadline = WriteDeadlineAfter(*c.local.lock_refreshed_at, c.config.ttl);
  if (c.local.now < deadline.stop_writes) return false;
  if (!c.local.dcs_ok && c.config.failsafe_mode && c.local.failsafe_confirmed) return false;
  c.Do(Demote{pg::StopMode::kImmediate});
  c.decision.memory.rejoin_needed = true;
  c.Say("demoting self because the leader lock was not refreshed in time (write deadline passed)");
  return true;
}

// When a slow task (bootstrap, clone, rewind, restart, switchover) runs: keep the lock if we
// hold it and touch nothing else, because the task owns PostgreSQL until it ends.
bool RuleTaskInFlight(Context& c) {
  if (!c.local.task.running) return false;
  if (c.local.dcs_ok && c.HoldsLock()) KeepLock(c);
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
    c.Do(ArmWriteGuard{c.local.failsafe_asked_at});
    c.Say("continue to run as a leader because failsafe mode is enabled and all members are accessible");
    return true;
  }
  if (c.PgPrimary() && !c.Paused()) {
    c.Do(Demote{pg::StopMode::kFast});
    c.decision.memory.rejoin_needed = true;
    c.Say("demoting self because DCS is not accessible and I was a leader");
  } else {
    c.Say(c.Paused() ? "DCS is not accessible (paused: no action)" : "DCS is not accessible");
  }
  return true;
}

// When a restart or reinitialization was asked for: start it as a task, except a
// reinitialization of the lock holder (it would wipe the only node that may write) or one with
// no leader to clone from; a refusal lets the other rules decide the cycle, because the lock
// holder must still keep its lock. A restart of the lock holder keeps the lock first: the task
// brings PostgreSQL back as the primary.
bool RuleManualCommand(Context& c) {
  if (!c.local.command) return false;
  bool reinit = c.local.command->kind == ManualCommand::Kind::kReinitialize;
  const dcs::Member* leader = c.cluster.LeaderMember();
  if (reinit && c.HoldsLock()) {
    c.decision.command_refused = "I am the leader, can not reinitialize";
    return false;
  }
  if (reinit && leader == nullptr) {
    c.decision.command_refused = "Cluster has no leader, can not reinitialize";
    return false;
  }
  StartTask task{reinit ? TaskKind::kReinitialize : TaskKind::kRestart};
  if (leader != nullptr && !c.HoldsLock()) task.upstream = ForStandbyCluster(c, UpstreamOf(*leader));
  // A standby cluster's leader comes back as a standby of the remote, never as a primary.
  if (c.HoldsLock() && c.StandbyCluster() && !c.PgPrimary()) task.upstream = RemoteUpstream(c);
  bool standby = c.local.pg.accepting ? c.local.pg.in_recovery : (!c.HoldsLock() || c.StandbyCluster());
  task.candidate = standby ? "replica" : "primary";
  if (c.HoldsLock()) KeepLock(c);
  c.Do(task);
  c.Say(reinit ? "reinitializing on request" : "restarting on request");
  return true;
}

// When the bootstrap we started finished: publish the new cluster (system identifier, lock,
// dynamic configuration), or withdraw from the race after a failure, because the other nodes
// wait on `initialize` and must not wait forever for a bootstrap that died.
bool RuleBootstrapFinished(Context& c) {
  // A standby cluster's bootstrap is a clone of the remote primary.
  TaskKind bootstrap_task = c.StandbyCluster() ? TaskKind::kCreateReplica : TaskKind::kBootstrap;
  if (!c.local.memory.bootstrapping || c.local.task.kind != bootstrap_task || !c.local.task.finished) {
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
  TakeLock(c);
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
    if (c.config.bootstrap_configured && !c.config.nofailover && c.StandbyCluster()) {
      // A standby cluster starts as a copy of the remote primary: its system identifier, its
      // timeline; the winner becomes the standby leader.
      c.Do(CreateInitialize{});
      std::optional<pg::Upstream> remote = RemoteUpstream(c);
      c.Do(StartTask{TaskKind::kCreateReplica, remote});
      c.decision.memory.bootstrapping = true;
      c.Say("trying to bootstrap a new standby leader");
    } else if (c.config.bootstrap_configured && !c.config.nofailover) {
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
  if (!c.cluster.leader && c.config.replica_without_leader && c.cluster.initialize &&
      !c.cluster.initialize->empty()) {
    // The cluster exists but nobody leads it: a method that needs no leader (a restore from
    // the backup tool's repository) makes this node a replica, as in Patroni.
    c.Do(StartTask{TaskKind::kCreateReplica, c.StandbyCluster() ? RemoteUpstream(c) : std::nullopt});
    c.Say("trying to bootstrap (without leader)");
    return true;
  }
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
  source = ForStandbyCluster(c, source);
  c.Do(StartTask{TaskKind::kCreateReplica, source});
  c.Say(absl::StrCat("trying to bootstrap from ", source ? source->name : std::string("leader")));
  return true;
}

// Whether `initialize` holds a system identifier at all (Patroni's sysid_valid): one is the
// initdb time in seconds shifted left by 32 bits, so it has at least 10 digits.
bool SysidValid(const std::string& text) {
  return text.size() >= 10 && std::all_of(text.begin(), text.end(), [](char ch) { return ch >= '0' && ch <= '9'; });
}

// When our data belongs to another cluster (its system identifier differs from `initialize`):
// stop, because replicating or promoting it would mix two clusters' data. Only a value that is a
// system identifier says so: anything else another client wrote there is no reason to take every
// node down; it is ignored, as Patroni does, and the lock holder (whose data is the cluster's)
// writes the right one back.
bool RuleForeignCluster(Context& c) {
  const auto& sysid = c.local.pg.system_identifier;
  if (!sysid) return false;
  std::string mine = std::to_string(*sysid);
  const std::optional<std::string>& init = c.cluster.initialize;
  if (init && SysidValid(*init) && *init != mine) {
    if (c.HoldsLock()) c.Do(ReleaseLock{*c.cluster.leader, std::nullopt});
    if (!c.Paused()) {
      c.Do(Exit{absl::StrCat("the system identifier of this data directory (", mine,
                             ") differs from the cluster's (", *init,
                             "): it belongs to a different cluster")});
    }
    c.Say("system identifier mismatch");
    return true;
  }
  if (init && !init->empty() && !SysidValid(*init) && c.HoldsLock() && !c.Paused()) {
    c.Do(SetInitialize{mine, c.cluster.initialize_version});
  }
  if (!init && !c.cluster.leader && c.PgPrimary() && !c.Paused()) {
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
  if (c.HoldsLock() && c.StandbyCluster()) {
    // The standby leader comes back as a standby of the remote, checked for divergence from
    // it first (a primary demoted by demote-cluster, a crash).
    KeepLock(c);
    if (c.local.pg.postmaster_alive) {
      c.Say("postgres is starting");  // an archive standby not yet consistent, for one
      return true;
    }
    StartTask rejoin{TaskKind::kRejoin, RemoteUpstream(c)};
    c.Do(rejoin);
    c.Say("starting as a standby leader because i had the session lock");
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
    KeepLock(c);
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
  if (leader != nullptr && !IsLeaderRole(c, leader->role) && (was_primary || c.local.memory.rejoin_needed)) {
    // The divergence check compares timelines with the leader's: wait for its promotion.
    c.Say(absl::StrCat("waiting for ", leader->name, " to become primary before rejoining"));
    return true;
  }
  // Without a leader a member of a standby cluster follows the remote meanwhile (Patroni).
  StartTask rejoin{TaskKind::kRejoin, leader != nullptr ? ReplicationSource(c) : RemoteUpstream(c)};
  // Never in a standby cluster (Patroni): its data can only be copied back from the remote.
  rejoin.remove_data = !c.StandbyCluster() && (c.config.remove_data_directory_on_diverged_timelines ||
                                               c.config.remove_data_directory_on_rewind_failure);
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
  if (t.finished && t.kind == TaskKind::kCopySlots) {
    if (t.succeeded) {
      m.slot_copy_not_before.reset();
    } else {
      m.slot_copy_not_before = local.now + absl::Seconds(30);
    }
  }
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

// After the rules: when this node will not be a primary that may write - it is paused, it
// demotes or gives the lock up, or PostgreSQL is not a primary and no task may make it one -
// disarm the write guard, because a guard left armed would later fence a node that is no
// longer ours to fence. Placed last, so it runs only when every action before it succeeded:
// a demotion that failed leaves the guard armed, and the guard then enforces the deadline.
void GuardPolicy(Context& c) {
  // Tasks that leave PostgreSQL running as a primary.
  auto makes_primary = [](TaskKind k) {
    return k == TaskKind::kStartPrimary || k == TaskKind::kRestart || k == TaskKind::kBootstrap;
  };
  bool arms = false, steps_down = false, starts_primary = false;
  for (const Action& a : c.decision.actions) {
    arms |= std::holds_alternative<ArmWriteGuard>(a);
    steps_down |= std::holds_alternative<Demote>(a) || std::holds_alternative<ReleaseLock>(a);
    if (const auto* t = std::get_if<StartTask>(&a)) starts_primary |= makes_primary(t->kind);
  }
  if (arms || !c.local.write_guard_armed) return;
  bool may_become_primary =
      (c.local.task.running && makes_primary(c.local.task.kind)) || starts_primary;
  if (c.Paused() || steps_down || (!c.PgPrimary() && !may_become_primary)) {
    c.Do(DisarmWriteGuard{});
  }
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
    case TaskKind::kCopySlots:
      return "logical slot copy";
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
  internal::GuardPolicy(c);
  if (!local.pg.accepting || local.pg.in_recovery) {
    // What a primary learned about its standbys' catch-up belongs to its term as primary.
    decision.memory.standby_names_seen.reset();
    decision.memory.caught_up_standbys.clear();
  }
  if (decision.message.empty()) decision.message = "no action";
  return decision;
}

}  // namespace pgha::ha
