#include "pgha/ha/ha_loop.h"

#include <condition_variable>
#include <mutex>
#include <set>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "commands.h"
#include "executor.h"
#include "member_record.h"
#include "pgha/base/log.h"
#include "pgha/base/version.h"
#include "pgha/config/loader.h"
#include "pgha/dcs/call_budget.h"
#include "pgha/dcs/codec.h"
#include "pgha/ha/decide.h"

namespace pgha::ha {

struct HaLoop::Impl {
  HaLoopOptions o;
  Clock* clock;
  config::EffectiveConfig effective;
  HaConfig config;
  Memory memory;
  std::optional<absl::Duration> next_cycle_within;  // the last decision's
  std::optional<absl::Time> lock_refreshed_at;
  dcs::ClusterStatePtr last_cluster = std::make_shared<dcs::ClusterState>();
  std::set<std::string> logged_decode_errors;  // as last read, each logged once
  dcs::Version config_version = dcs::kNoVersion - 1;  // never matches: apply on the first cycle
  RecordingWriteGuard no_guard;  // when the options name none (tests of the loop)
  internal::Executor executor;
  internal::CommandHandler commands;
  std::optional<absl::Time> last_dcs_ok;
  std::string last_message;
  // Run's DCS watcher, joined by Shutdown or the destructor: a wait in flight (up to 2 s) must
  // not delay the shutdown.
  std::thread watcher;

  explicit Impl(HaLoopOptions options)
      : o(std::move(options)),
        clock(o.clock != nullptr ? o.clock : RealClock::Get()),
        executor({o.dcs, o.pg, o.prober, o.worker, o.watchdog,
                  o.guard != nullptr ? o.guard : &no_guard, clock}),
        commands(o.dcs, o.board, clock) {
    ApplyDynamic(o.local.bootstrap.dcs);
  }

  void ApplyDynamic(const Json& dynamic) {
    std::vector<std::string> warnings;
    effective = config::BuildEffectiveConfig(o.local, dynamic, &warnings);
    for (const auto& w : warnings) PGHA_LOG(WARNING) << w;
    config = MakeHaConfig(o.local, effective);
    o.dcs->SetTimeouts(config.ttl, config.retry_timeout);
    absl::Status s = o.pg->ApplyConfig(effective);
    if (!s.ok()) PGHA_LOG(ERROR) << "applying the configuration failed: " << s.message();
  }

  // Failsafe mode: whether every other member listed in `failsafe` (as last read) accepts our
  // POST /failsafe. A node that is not listed cannot be confirmed.
  bool ConfirmFailsafe(const dcs::ClusterState& cluster) {
    if (!cluster.failsafe || cluster.failsafe->count(config.name) == 0) return false;
    std::vector<dcs::Member> others;
    for (const auto& [name, url] : *cluster.failsafe) {
      if (name == config.name) continue;
      dcs::Member m;
      m.name = name;
      m.api_url = url;
      others.push_back(std::move(m));
    }
    Json me = {{"name", config.name},
               {"conn_url", internal::ConnUrl(o.local)},
               {"api_url", internal::ApiUrl(o.local)}};
    bool confirmed = o.prober->ConfirmFailsafe(others, me.dump(), absl::Seconds(2));
    if (!confirmed) PGHA_LOG(WARNING) << "failsafe: not every member listed in /failsafe accepted";
    return confirmed;
  }

  std::string Cycle(std::optional<std::string>* exit_reason) {
    absl::Time started = clock->Monotonic();
    // While this node may write, no DCS call of this cycle may outlive its write deadline: a
    // call that hangs (dropped packets) fails by then, and the cycle can still step down.
    std::optional<dcs::CallBudgetScope> budget;
    if (auto armed = executor.guard().Armed()) budget.emplace(armed->stop_writes);
    LocalState local;
    local.now = started;
    local.wall_now = clock->Now();
    local.memory = memory;
    local.lock_refreshed_at = lock_refreshed_at;
    local.task = o.worker->Poll();
    // The session's keep-alive comes first: it is this cycle's proof that the DCS answers, and
    // what keeps the leader lock and the member key alive. At idle it is the cycle's only DCS
    // request (backends serve the read below from their watch while the keep-alive works).
    absl::Status renewed = o.dcs->KeepAlive();
    if (renewed.ok()) local.session_renewed_at = started;
    absl::Time read_at = clock->Monotonic();  // what the REST API's fresh reads wait for
    absl::StatusOr<dcs::ClusterStatePtr> loaded =
        absl::IsUnavailable(renewed) || absl::IsDeadlineExceeded(renewed) ? renewed : o.dcs->Load();
    if (!renewed.ok() && loaded.ok()) {
      PGHA_LOG(WARNING) << "renewing the DCS session failed: " << renewed.message();
    }
    if (loaded.ok()) {
      last_cluster = *loaded;
      local.dcs_ok = true;
      last_dcs_ok = clock->Now();
      // Each undecodable value once, not every cycle: garbage someone wrote must not fill the
      // disk with one line per key per loop_wait.
      std::set<std::string> decode_errors(last_cluster->decode_errors.begin(),
                                          last_cluster->decode_errors.end());
      for (const auto& e : decode_errors) {
        if (logged_decode_errors.count(e) == 0) PGHA_LOG(WARNING) << "DCS: " << e;
      }
      logged_decode_errors = std::move(decode_errors);
    } else {
      local.dcs_ok = false;
      PGHA_LOG(ERROR) << "reading the cluster from the DCS failed: " << loaded.status().message();
    }
    const dcs::ClusterState& cluster = *last_cluster;
    if (local.dcs_ok && cluster.config && cluster.config->version != config_version) {
      config_version = cluster.config->version;
      // Anyone can write the key: an invalid configuration is refused, the last valid one kept.
      config::Diagnostics problems = config::ValidateDynamicConfig(cluster.config->data);
      if (const config::Diagnostic* invalid = problems.FirstError()) {
        PGHA_LOG(ERROR) << "the dynamic configuration in the DCS is invalid (" << invalid->key_path
                        << ": " << invalid->message << "); keeping the last valid one";
      } else {
        ApplyDynamic(cluster.config->data);
      }
    }
    local.pg = o.pg->Observe();
    bool holds_lock = cluster.leader && cluster.leader->name == config.name;
    if (local.dcs_ok && !holds_lock) lock_refreshed_at.reset();
    local.lock_refreshed_at = lock_refreshed_at;
    bool running_primary = local.pg.accepting && !local.pg.in_recovery;
    if (config.failsafe_mode) {
      auto heartbeat = o.board->LastFailsafeHeartbeat();
      local.failsafe_heartbeat_recent = heartbeat && started - *heartbeat < config.ttl;
      if (!local.dcs_ok && holds_lock && running_primary) {
        local.failsafe_asked_at = clock->Monotonic();
        local.failsafe_confirmed = ConfirmFailsafe(cluster);
      }
    }
    if (local.dcs_ok && (!cluster.leader || cluster.PendingFailover() != nullptr)) {
      std::vector<dcs::Member> others;
      for (const auto& m : cluster.members) {
        if (m.name != config.name && !m.api_url.empty()) others.push_back(m);
      }
      // In failsafe mode, also the members listed in `failsafe`: a primary that ran through a
      // DCS outage may have lost its member key, and must be seen as alive.
      if (config.failsafe_mode && cluster.failsafe) {
        for (const auto& [name, url] : *cluster.failsafe) {
          if (name == config.name || url.empty() || cluster.FindMember(name) != nullptr) continue;
          dcs::Member m;
          m.name = name;
          m.api_url = url;
          others.push_back(std::move(m));
        }
      }
      local.peers = o.prober->Probe(others, absl::Seconds(2));
    }
    local.watchdog_usable = o.watchdog->Usable();
    local.write_guard_armed = executor.guard().Armed().has_value();
    if (local.dcs_ok) commands.Handle(cluster, config, local, holds_lock);
    if (commands.TakeReloadRequest() && o.reload) {
      if (auto fresh = o.reload()) {
        o.local = *fresh;
        ApplyDynamic(cluster.config ? cluster.config->data : o.local.bootstrap.dcs);
        PGHA_LOG(INFO) << "local configuration reloaded";
      }
    }

    Decision decision = Decide(cluster, local, config);
    internal::ExecOutcome outcome = executor.Run(decision, cluster, config, local);
    commands.AfterDecision(decision, outcome);
    memory = decision.memory;
    next_cycle_within = decision.next_cycle_within;
    lock_refreshed_at = local.lock_refreshed_at;
    if (outcome.exit_reason) *exit_reason = outcome.exit_reason;

    // What we are now, for the DCS and the REST API.
    LocalState after = local;
    after.pg = o.pg->Observe();
    // Running(), not Poll(): a task that already finished must still be reported to the next
    // cycle, which learns its outcome only from Poll's one-time `finished`.
    after.task.running = after.task.running || o.worker->Running();
    // The executor keeps lock_refreshed_at set exactly while the last lock operation succeeded.
    bool holding = lock_refreshed_at.has_value();
    bool paused = cluster.IsPaused();
    bool is_primary = after.pg.accepting && !after.pg.in_recovery && holding;
    std::string state = internal::MemberState(after);
    std::string role = internal::MemberRole(after, holding, config.standby_cluster.has_value());
    std::optional<Json> scheduled_restart = commands.ScheduledRestartJson();
    if (local.dcs_ok) {
      absl::Status w = o.dcs->WriteMember(
          internal::MemberRecord(o.local, after, {state, role, paused, scheduled_restart}));
      if (!w.ok()) PGHA_LOG(WARNING) << "writing the member key failed: " << w.message();
    }
    NodeStatus status;
    status.name = config.name;
    status.scope = o.local.scope;
    status.state = state;
    status.role = role;
    status.holds_lock = holding;
    status.pg = after.pg;
    status.cluster = last_cluster;
    status.cluster_read_at = read_at;
    status.dcs_ok = local.dcs_ok;
    status.dcs_last_seen = last_dcs_ok;
    status.loop_last_run = clock->Now();
    status.paused = paused;
    status.tags = o.local.tags.all;
    status.watchdog_failed = config.watchdog == WatchdogMode::kRequired && !o.watchdog->Usable();
    status.last_message = decision.message;
    status.conn_url = internal::ConnUrl(o.local);
    status.api_url = internal::ApiUrl(o.local);
    bool listed = cluster.sync && cluster.sync->Contains(config.name);
    bool quorum_mode = config.synchronous_mode == config::SyncMode::kQuorum;
    status.sync_standby = listed && !quorum_mode;
    status.quorum_standby = listed && quorum_mode;
    status.failsafe_mode = config.failsafe_mode;
    status.failsafe_active = !local.dcs_ok && local.failsafe_confirmed && is_primary;
    if (scheduled_restart) {
      Json j = *scheduled_restart;
      j.erase("postmaster_start_time");  // the REST answer leaves it out, as Patroni does
      status.scheduled_restart = j;
    }
    o.board->Publish(std::move(status));
    std::string line = decision.message;
    if (!outcome.completed) absl::StrAppend(&line, " (failed: ", outcome.failure, ")");
    return line;
  }
};

absl::Duration HaLoop::NextCycleWithin() const {
  absl::Duration wait = impl_->config.loop_wait;
  if (impl_->next_cycle_within) wait = std::min(wait, *impl_->next_cycle_within);
  return wait;
}

HaLoop::HaLoop(HaLoopOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}
HaLoop::~HaLoop() {
  if (impl_->watcher.joinable()) impl_->watcher.join();
}

std::string HaLoop::RunCycle() {
  if (reload_requested_.exchange(false)) impl_->commands.RequestReload();
  std::string line;
  // The last resort: whatever escaped (a library that throws on input it should have refused)
  // ends this cycle, logged, not the daemon. Every node running the same input must not all
  // die at once; the write guard keeps enforcing the deadline meanwhile.
  bool failed = false;
  try {
    line = impl_->Cycle(&exit_reason_);
  } catch (const std::exception& e) {
    line = absl::StrCat("the HA cycle failed: ", e.what());
    failed = true;
  } catch (...) {
    line = "the HA cycle failed with an unknown exception";
    failed = true;
  }
  if (failed) {
    PGHA_LOG(ERROR) << line;
  } else if (line != impl_->last_message || !absl::StartsWith(line, "no action")) {
    PGHA_LOG(INFO) << line;
  } else {
    PGHA_LOG(DEBUG) << line;
  }
  impl_->last_message = line;
  return line;
}

void HaLoop::ReloadLocalConfig(const config::Config& local) {
  impl_->o.local = local;
  impl_->config_version = dcs::kNoVersion - 1;  // re-merge with the dynamic configuration
  PGHA_LOG(INFO) << "local configuration reloaded";
}

namespace {

// Whether a DCS change must wake the loop before its next regular cycle: the leader lock, a
// switchover/failover request, the configuration, the cluster's identity, a member that joined
// (the leader creates its replication slot, which the member's walreceiver waits for).
bool NeedsAttention(const dcs::ClusterState& before, const dcs::ClusterState& now) {
  auto leader = [](const dcs::ClusterState& c) {
    return c.leader ? std::make_pair(c.leader->name, c.leader->version)
                    : std::make_pair(std::string(), dcs::kNoVersion);
  };
  auto version = [](const auto& opt) { return opt ? opt->version : dcs::kNoVersion; };
  auto leader_role = [](const dcs::ClusterState& c) {
    const dcs::Member* m = c.LeaderMember();
    return m != nullptr ? m->role : std::string();
  };
  auto joined = [&] {
    for (const auto& m : now.members) {
      if (before.FindMember(m.name) == nullptr) return true;
    }
    return false;
  };
  return leader(before) != leader(now) || leader_role(before) != leader_role(now) ||
         version(before.failover) != version(now.failover) ||
         version(before.config) != version(now.config) || before.initialize != now.initialize ||
         joined();
}

}  // namespace

void HaLoop::Run() {
  Clock* clock = impl_->clock;
  StatusBoard* board = impl_->o.board;
  // A watcher thread turns "something changed in the DCS" into a wake-up of the loop, so the
  // loop sleeps in one place (the board) whether the reason to wake is the DCS, a REST command
  // or a signal, and idles without polling.
  // Its state is shared with the thread, which may outlive this function (see Impl::watcher).
  struct WatchState {
    std::mutex mu;
    std::condition_variable cv;
    dcs::ClusterStatePtr watched;  // guarded by mu: the snapshot the last cycle decided on
    uint64_t cycles = 0;           // guarded by mu
    bool done = false;             // guarded by mu
  };
  auto shared = std::make_shared<WatchState>();
  if (impl_->watcher.joinable()) impl_->watcher.join();
  impl_->watcher = std::thread([this, clock, board, shared] {
    WatchState& w = *shared;
    uint64_t seen = 0;
    while (true) {
      dcs::ClusterStatePtr state;
      {
        std::unique_lock<std::mutex> lock(w.mu);
        w.cv.wait(lock, [&] { return w.done || w.cycles != seen; });
        if (w.done) return;
        seen = w.cycles;
        state = w.watched;
      }
      while (true) {
        auto changed = impl_->o.dcs->WaitForChange(*state, absl::Seconds(2));
        {
          std::lock_guard<std::mutex> lock(w.mu);
          if (w.done) return;
          if (w.cycles != seen) break;  // the loop ran meanwhile: watch its newer snapshot
        }
        if (changed.ok() && *changed) {
          // Only changes someone must act on at once wake the loop; member keys and status
          // (which the loop itself writes every cycle) wait for the next regular cycle.
          auto fresh = impl_->o.dcs->Load();
          if (!fresh.ok() || NeedsAttention(*state, **fresh)) {
            board->Wake();
            break;
          }
          state = *fresh;
          continue;
        }
        if (!changed.ok()) clock->SleepFor(absl::Seconds(1));  // the DCS is down: do not spin
      }
    }
  });
  while (!stop_requested_ && !exit_reason_) {
    absl::Time started = clock->Monotonic();
    RunCycle();
    {
      std::lock_guard<std::mutex> lock(shared->mu);
      shared->watched = impl_->last_cluster;
      ++shared->cycles;
    }
    shared->cv.notify_all();
    if (exit_reason_ || stop_requested_) break;
    absl::Time next = started + NextCycleWithin();
    while (!stop_requested_ && !reload_requested_) {
      absl::Time now = clock->Monotonic();
      if (now >= next) break;
      board->WaitForWake(next - now);
      // Returning before `next` means a wake-up (DCS change, command, signal).
      if (clock->Monotonic() < next) break;
    }
  }
  {
    std::lock_guard<std::mutex> lock(shared->mu);
    shared->done = true;
  }
  shared->cv.notify_all();
}

namespace {

// Patroni's while_not_sync_standby (ha.py): a synchronous standby about to stop its PostgreSQL
// first asks the leader to take it out of synchronous_standby_names, by publishing the tag
// nosync, and waits at most two loop_waits for the `sync` key to drop it (or the leader to
// change). Otherwise every commit on the primary waits until the leader notices that the
// standby is gone: the migration test measured 0.5 to 0.8 s without an acknowledged write when
// a pgha replica stopped, 0.1 s when a Patroni replica did.
void LeaveSynchronousStandby(dcs::Dcs& dcs, Clock& clock, const config::Config& local,
                             const HaConfig& config, const dcs::ClusterState& cluster,
                             const LocalState& now) {
  // Patroni's is_sync_standby: listed by a sync key that the current leader wrote.
  auto listed = [&](const dcs::ClusterState& c) {
    return c.sync && c.leader && c.sync->LeaderIs(c.leader->name) && c.sync->Contains(config.name);
  };
  if (config.nosync || !cluster.IsSynchronousMode() || !listed(cluster)) return;
  dcs::Member m = internal::MemberRecord(
      local, now, {internal::MemberState(now), internal::MemberRole(now, false)});
  if (!m.tags.is_object()) m.tags = Json::object();
  m.tags["nosync"] = true;
  if (!dcs.WriteMember(m).ok()) return;  // a hint only, as in Patroni
  PGHA_LOG(INFO) << "waiting for the leader to release us from synchronous standby";
  const std::string leader = cluster.leader->name;
  absl::Time deadline = clock.Monotonic() + 2 * config.loop_wait;
  while (clock.Monotonic() < deadline) {
    clock.SleepFor(absl::Milliseconds(100));
    auto fresh = dcs.Load();
    if (!fresh.ok()) return;
    const dcs::ClusterState& c = **fresh;
    if (!listed(c) || c.leader->name != leader) return;
  }
}

}  // namespace

void HaLoop::Shutdown() {
  Impl& d = *impl_;
  auto cluster = d.o.dcs->Load();
  bool paused = cluster.ok() && (*cluster)->IsPaused();
  if (paused) {
    PGHA_LOG(INFO) << "shutting down; paused: leaving PostgreSQL running";
    d.o.watchdog->Disable();
    return;
  }
  pg::Observation o = d.o.pg->Observe();
  bool was_primary = o.accepting && !o.in_recovery;
  if (!was_primary && o.accepting && cluster.ok()) {
    LocalState now;
    now.pg = o;
    LeaveSynchronousStandby(*d.o.dcs, *d.clock, d.o.local, d.config, **cluster, now);
  }
  PGHA_LOG(INFO) << "shutting down: stopping PostgreSQL";
  absl::Duration timeout = std::max(absl::Seconds(60), d.config.ttl);
  absl::Status stopped = was_primary ? internal::StopPrimary(*d.o.pg, pg::StopMode::kFast, timeout, d.config)
                                     : d.o.pg->Stop(pg::StopMode::kFast, timeout);
  if (stopped.ok()) d.executor.guard().Disarm();
  d.o.watchdog->Disable();
  if (!stopped.ok()) {
    PGHA_LOG(ERROR) << "PostgreSQL did not stop (" << stopped.message()
                    << "); keeping the leader lock";
    return;
  }
  if (cluster.ok() && (*cluster)->leader && (*cluster)->leader->name == d.config.name) {
    pg::Observation after = d.o.pg->Observe();
    if (was_primary && after.control) {
      dcs::ClusterStatus status = (*cluster)->status;
      status.optime = after.control->checkpoint_lsn;
      (void)d.o.dcs->WriteStatus(status, (*cluster)->status.version);
    }
    absl::Status released = d.o.dcs->ReleaseLeaderLock(d.config.name, *(*cluster)->leader);
    PGHA_LOG(INFO) << (released.ok() ? "leader lock released"
                                     : "could not release the leader lock: ")
                   << (released.ok() ? "" : released.message());
  }
  // As Patroni, the member key stays (state "stopped") until the session expires: the new
  // leader keeps this node's replication slot, so a restarted node streams again at once.
  LocalState now;
  now.pg = d.o.pg->Observe();
  (void)d.o.dcs->WriteMember(internal::MemberRecord(
      d.o.local, now, {internal::MemberState(now), internal::MemberRole(now, false)}));
  if (d.watcher.joinable()) d.watcher.join();
}

}  // namespace pgha::ha
