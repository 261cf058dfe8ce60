#include "pgha/ha/ha_loop.h"

namespace pgha::ha {

HaConfig MakeHaConfig(const config::Config& local, const config::EffectiveConfig& e) {
  HaConfig c;
  const config::DynamicConfig& d = e.dynamic;
  c.name = local.name;
  c.ttl = absl::Seconds(d.ttl);
  c.loop_wait = absl::Seconds(d.loop_wait);
  c.retry_timeout = absl::Seconds(d.retry_timeout);
  c.maximum_lag_on_failover = d.maximum_lag_on_failover;
  c.maximum_lag_on_syncnode = d.maximum_lag_on_syncnode;
  c.max_timelines_history = d.max_timelines_history;
  c.member_slots_ttl = absl::Seconds(std::max<int64_t>(0, d.member_slots_ttl));
  c.primary_stop_timeout = absl::Seconds(std::max(0, d.primary_stop_timeout));
  c.primary_start_timeout = absl::Seconds(d.primary_start_timeout);
  c.standby_cluster = d.standby_cluster;
  // A standby cluster ignores synchronous_mode (Patroni): its leader acknowledges no commits.
  c.synchronous_mode = d.standby_cluster ? config::SyncMode::kOff : d.synchronous_mode;
  c.synchronous_mode_strict = d.synchronous_mode_strict;
  c.synchronous_node_count = d.synchronous_node_count;
  c.check_timeline = d.check_timeline;
  c.failsafe_mode = d.failsafe_mode;
  c.use_slots = e.use_slots;
  c.use_pg_rewind = e.use_pg_rewind;
  c.remove_data_directory_on_rewind_failure = e.remove_data_directory_on_rewind_failure;
  c.remove_data_directory_on_diverged_timelines = e.remove_data_directory_on_diverged_timelines;
  c.permanent_slots = d.slots;
  c.ignore_slots = d.ignore_slots;
  c.bootstrap_configured = local.bootstrap.present;
  for (const auto& name : local.postgresql.create_replica_methods) {
    c.replica_without_leader |= local.postgresql.MethodNeedsNoLeader(name);
  }
  c.bootstrap_dcs = local.bootstrap.dcs;
  c.nofailover = local.tags.FailoverPriority() <= 0;
  c.nostream = local.tags.nostream;
  c.failover_priority = local.tags.FailoverPriority();
  c.nosync = local.tags.NoSync();
  c.replicatefrom = local.tags.replicatefrom;
  c.clonefrom = local.tags.clonefrom;
  c.watchdog_safety_margin = absl::Seconds(local.watchdog.safety_margin);
  switch (local.watchdog.mode) {
    case config::WatchdogMode::kOff:
      c.watchdog = WatchdogMode::kOff;
      break;
    case config::WatchdogMode::kAutomatic:
      c.watchdog = WatchdogMode::kAutomatic;
      break;
    case config::WatchdogMode::kRequired:
      c.watchdog = WatchdogMode::kRequired;
      break;
  }
  return c;
}

}  // namespace pgha::ha
