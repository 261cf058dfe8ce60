// The dynamic (cluster-wide) configuration Patroni keeps in the DCS `config` key, first written
// from bootstrap.dcs, and the pure merge of it with a node's local configuration.
//
// Thread-safety: plain values and pure functions.
#ifndef PGHA_CONFIG_DYNAMIC_CONFIG_H_
#define PGHA_CONFIG_DYNAMIC_CONFIG_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "pgha/base/json.h"
#include "pgha/config/config.h"

namespace pgha::config {

enum class SyncMode { kOff, kOn, kQuorum };

struct StandbyClusterConfig {
  std::string host;
  int port = 0;
  std::string primary_slot_name;
  std::vector<std::string> create_replica_methods;
  std::string restore_command;
  std::string archive_cleanup_command;
  std::string recovery_min_apply_delay;
};

struct SlotConfig {
  std::string name;
  std::string type = "physical";  // physical | logical
  std::string database, plugin;
  std::string cluster_type;       // empty: both; "primary" or "standby"
};

struct DynamicConfig {
  int ttl = 30;
  int loop_wait = 10;
  int retry_timeout = 10;
  int64_t maximum_lag_on_failover = 1048576;
  int64_t maximum_lag_on_syncnode = -1;
  int max_timelines_history = 0;
  int primary_start_timeout = 300;
  int primary_stop_timeout = 0;
  SyncMode synchronous_mode = SyncMode::kOff;
  bool synchronous_mode_strict = false;
  int synchronous_node_count = 1;
  bool failsafe_mode = false;
  bool check_timeline = false;
  bool pause = false;
  int64_t member_slots_ttl = 1800;
  bool use_pg_rewind = false;
  bool use_slots = true;
  std::optional<StandbyClusterConfig> standby_cluster;
  std::vector<SlotConfig> slots;
  Json ignore_slots = Json::array();
  // postgresql.parameters after Patroni's processing: the cluster-wide GUCs Patroni controls
  // filled with their defaults or validated values.
  Json parameters = Json::object();
  Json postgresql = Json::object();  // the postgresql section as stored (pg_hba, recovery_conf..)
  Json raw = Json::object();         // the document as read
};

// Reads a dynamic configuration document leniently, as Patroni does with the DCS `config` key:
// a bad value is reported in `warnings` and replaced by its default; nothing fails. Timing values
// are adjusted to satisfy loop_wait + 2*retry_timeout <= ttl the way Patroni adjusts them.
DynamicConfig ParseDynamicConfig(const Json& document, std::vector<std::string>* warnings);

// The GUCs Patroni passes on the postgres command line, which only the dynamic configuration may
// set; in a node's local postgresql.parameters they are ignored.
bool IsClusterWideParameter(const std::string& name);

// A node's effective settings: Patroni's _build_effective_configuration as a pure function.
// Local postgresql settings override dynamic ones except use_slots; local parameters override
// dynamic ones except the cluster-wide GUCs; ttl/loop_wait/retry_timeout come from the dynamic
// configuration only.
struct EffectiveConfig {
  DynamicConfig dynamic;
  Json parameters = Json::object();  // final GUCs (listen_addresses/port/cluster_name excluded)
  std::vector<std::string> pg_hba;   // empty: keep PostgreSQL's file
  std::vector<std::string> pg_ident;
  bool use_pg_rewind = false;
  bool use_slots = true;
  Json recovery_conf = Json::object();
  Json basebackup = Json::array();
  bool remove_data_directory_on_rewind_failure = false;
  bool remove_data_directory_on_diverged_timelines = false;
};
EffectiveConfig BuildEffectiveConfig(const Config& local, const Json& dynamic_document,
                                     std::vector<std::string>* warnings);

// JSON merge patch as Patroni's PATCH /config and `pghactl edit-config -s` apply it: objects
// merge recursively, null removes a key, anything else replaces.
Json MergePatch(const Json& target, const Json& patch);

}  // namespace pgha::config

#endif  // PGHA_CONFIG_DYNAMIC_CONFIG_H_
