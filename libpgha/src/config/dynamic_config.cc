// Dynamic configuration: lenient reading (Patroni's global_config.py and config.py
// _safe_copy_dynamic_configuration) and the merge with local settings
// (_build_effective_configuration).
#include "pgha/config/dynamic_config.h"

#include <functional>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "pgha/config/json_read.h"
#include "pgha/config/schema.h"

namespace pgha::config {
namespace {

using internal::Child;
using internal::ReadBool;
using internal::ReadInt;

struct ClusterWideGuc {
  const char* name;
  Json default_value;  // null: never taken from configuration (Patroni sets it itself)
  std::function<bool(const Json&)> valid;
};

bool AtLeast(const Json& v, int64_t min, const char* unit = "") {
  auto n = ReadInt(v, unit);
  return n && *n >= min;
}

const std::vector<ClusterWideGuc>& ClusterWideGucs() {
  static const auto* gucs = new std::vector<ClusterWideGuc>{
      {"listen_addresses", nullptr, [](const Json&) { return false; }},
      {"port", nullptr, [](const Json&) { return false; }},
      {"cluster_name", nullptr, [](const Json&) { return false; }},
      {"wal_level", "hot_standby",
       [](const Json& v) {
         std::string s = absl::AsciiStrToLower(internal::ScalarText(v));
         return s == "hot_standby" || s == "replica" || s == "logical";
       }},
      {"hot_standby", "on", [](const Json& v) { return ReadBool(v).value_or(false); }},
      {"max_connections", 100, [](const Json& v) { return AtLeast(v, 25); }},
      {"max_wal_senders", 10, [](const Json& v) { return AtLeast(v, 3); }},
      {"wal_keep_segments", nullptr, [](const Json& v) { return AtLeast(v, 1); }},
      {"wal_keep_size", nullptr, [](const Json& v) { return AtLeast(v, 16, "MB"); }},
      {"max_prepared_transactions", 0, [](const Json& v) { return AtLeast(v, 0); }},
      {"max_locks_per_transaction", 64, [](const Json& v) { return AtLeast(v, 32); }},
      {"track_commit_timestamp", "off", [](const Json& v) { return ReadBool(v).has_value(); }},
      {"max_replication_slots", 10, [](const Json& v) { return AtLeast(v, 4); }},
      {"max_worker_processes", 8, [](const Json& v) { return AtLeast(v, 2); }},
      {"wal_log_hints", "on", [](const Json& v) { return ReadBool(v).has_value(); }},
  };
  return *gucs;
}

const ClusterWideGuc* FindGuc(const std::string& name) {
  std::string lower = absl::AsciiStrToLower(name);
  for (const auto& g : ClusterWideGucs()) {
    if (lower == g.name) return &g;
  }
  return nullptr;
}

// `max` keeps every value, and the timing rule's arithmetic on it, inside an int: a value cut
// to 32 bits (ttl 4294967295 became -1) or a sum that overflows would pass as valid.
int ReadIntKey(const Json& doc, const char* key, int fallback, int min,
               std::vector<std::string>* warnings, const char* unit = "s", int max = 1000000000) {
  const Json& v = Child(doc, key);
  if (v.is_null()) return fallback;
  auto n = v.is_boolean() ? std::nullopt : ReadInt(v, unit);
  if (!n) {
    warnings->push_back(absl::StrCat(key, "=", v.dump(), " is not an integer; using ", fallback));
    return fallback;
  }
  if (*n < min) {
    warnings->push_back(absl::StrCat(key, "=", *n, " can't be smaller than ", min, ", adjusting"));
    return min;
  }
  if (*n > max) {
    warnings->push_back(absl::StrCat(key, "=", *n, " can't be larger than ", max, ", adjusting"));
    return max;
  }
  return static_cast<int>(*n);
}

bool ReadBoolWarn(const Json& doc, const char* key, bool fallback,
                  std::vector<std::string>* warnings) {
  const Json& v = Child(doc, key);
  if (v.is_null()) return fallback;
  auto b = ReadBool(v);
  if (!b) {
    warnings->push_back(absl::StrCat(key, "=", v.dump(), " is not a boolean; using ",
                                     fallback ? "true" : "false"));
    return fallback;
  }
  return *b;
}

// Patroni's _process_postgresql_parameters.
void ProcessParameters(const Json& params, bool is_local, Json* out,
                       std::vector<std::string>* warnings) {
  if (!params.is_object()) return;
  for (auto it = params.begin(); it != params.end(); ++it) {
    const ClusterWideGuc* guc = FindGuc(it.key());
    if (guc == nullptr) {
      (*out)[it.key()] = it.value();
    } else if (!is_local) {
      if (guc->valid(it.value())) {
        std::string unit = std::string(guc->name) == "wal_keep_size" ? "MB" : "";
        auto n = it.value().is_string() ? std::nullopt : ReadInt(it.value(), unit);
        (*out)[guc->name] = n ? Json(*n) : it.value();
      } else {
        warnings->push_back(absl::StrCat("postgresql parameter ", it.key(), "=",
                                         internal::ScalarText(it.value()),
                                         " failed validation, defaulting to ",
                                         guc->default_value.is_null()
                                             ? std::string("PostgreSQL's default")
                                             : internal::ScalarText(guc->default_value)));
      }
    }
  }
}

}  // namespace

bool IsClusterWideParameter(const std::string& name) { return FindGuc(name) != nullptr; }

DynamicConfig ParseDynamicConfig(const Json& doc_in, std::vector<std::string>* warnings) {
  DynamicConfig d;
  const Json doc = doc_in.is_object() ? doc_in : Json::object();
  if (!doc_in.is_object() && !doc_in.is_null()) {
    warnings->push_back("dynamic configuration is not a mapping; using defaults");
  }
  d.raw = doc;
  // Timing: pgha's minimums (ttl 4, loop_wait 1, retry_timeout 1), then Patroni's adjustment of
  // loop_wait and retry_timeout so that loop_wait + 2*retry_timeout <= ttl.
  // Maxima: a day for ttl, an hour for loop_wait and retry_timeout (docs/configuration.md).
  d.loop_wait = ReadIntKey(doc, "loop_wait", 10, 1, warnings, "s", 3600);
  d.retry_timeout = ReadIntKey(doc, "retry_timeout", 10, 1, warnings, "s", 3600);
  d.ttl = ReadIntKey(doc, "ttl", 30, 4, warnings, "s", 86400);
  if (1 + 2 * d.retry_timeout > d.ttl) {
    int retry = (d.ttl - 1) / 2;
    warnings->push_back(absl::StrCat(
        "Violated the rule \"loop_wait + 2*retry_timeout <= ttl\", where ttl=", d.ttl,
        ". Adjusting loop_wait from ", d.loop_wait, " to 1 and retry_timeout from ",
        d.retry_timeout, " to ", retry));
    d.loop_wait = 1;
    d.retry_timeout = retry;
  } else if (d.loop_wait + 2 * d.retry_timeout > d.ttl) {
    int loop = d.ttl - 2 * d.retry_timeout;
    warnings->push_back(absl::StrCat(
        "Violated the rule \"loop_wait + 2*retry_timeout <= ttl\", where ttl=", d.ttl,
        " and retry_timeout=", d.retry_timeout, ". Adjusting loop_wait from ", d.loop_wait,
        " to ", loop));
    d.loop_wait = loop;
  }
  auto bytes = [&](const char* key, int64_t fallback, int64_t min) {
    const Json& v = Child(doc, key);
    if (v.is_null()) return fallback;
    auto n = v.is_boolean() ? std::nullopt : ReadInt(v, "B");
    if (!n || *n < min) {
      warnings->push_back(absl::StrCat(key, "=", v.dump(), " is invalid; using ", fallback));
      return fallback;
    }
    return *n;
  };
  d.maximum_lag_on_failover = bytes("maximum_lag_on_failover", 1048576, 0);
  d.maximum_lag_on_syncnode = bytes("maximum_lag_on_syncnode", -1, -1);
  d.max_timelines_history = ReadIntKey(doc, "max_timelines_history", 0, 0, warnings, "");
  // primary_* wins over the pre-4.0 master_* names.
  d.primary_start_timeout = ReadIntKey(
      doc, doc.contains("primary_start_timeout") ? "primary_start_timeout" : "master_start_timeout",
      300, 0, warnings);
  d.primary_stop_timeout = ReadIntKey(
      doc, doc.contains("primary_stop_timeout") ? "primary_stop_timeout" : "master_stop_timeout", 0,
      0, warnings);
  const Json& sync = Child(doc, "synchronous_mode");
  if (sync.is_string() && absl::AsciiStrToLower(sync.get<std::string>()) == "quorum") {
    d.synchronous_mode = SyncMode::kQuorum;
  } else if (!sync.is_null()) {
    auto b = ReadBool(sync);
    if (!b) warnings->push_back(absl::StrCat("synchronous_mode=", sync.dump(), " is invalid; using off"));
    d.synchronous_mode = b.value_or(false) ? SyncMode::kOn : SyncMode::kOff;
  }
  d.synchronous_mode_strict = ReadBoolWarn(doc, "synchronous_mode_strict", false, warnings);
  d.synchronous_node_count = ReadIntKey(doc, "synchronous_node_count", 1, 1, warnings, "");
  d.failsafe_mode = ReadBoolWarn(doc, "failsafe_mode", false, warnings);
  d.check_timeline = ReadBoolWarn(doc, "check_timeline", false, warnings);
  d.pause = ReadBoolWarn(doc, "pause", false, warnings);
  d.member_slots_ttl = ReadIntKey(doc, "member_slots_ttl", 1800, 0, warnings);

  const Json& pg = Child(doc, "postgresql");
  if (pg.is_object()) d.postgresql = pg;
  d.use_pg_rewind = ReadBoolWarn(pg.is_object() ? pg : Json::object(), "use_pg_rewind", false, warnings);
  d.use_slots = ReadBoolWarn(pg.is_object() ? pg : Json::object(), "use_slots", true, warnings);
  for (const auto& g : ClusterWideGucs()) {
    if (!g.default_value.is_null()) d.parameters[g.name] = g.default_value;
  }
  ProcessParameters(Child(pg, "parameters"), false, &d.parameters, warnings);

  const Json& sc = Child(doc, "standby_cluster");
  if (sc.is_object()) {
    StandbyClusterConfig s;
    s.host = internal::ReadString(sc, "host");
    s.port = static_cast<int>(internal::ReadInt64(sc, "port", 0));
    s.primary_slot_name = internal::ReadString(sc, "primary_slot_name");
    s.create_replica_methods = internal::ReadStringList(sc, "create_replica_methods");
    s.restore_command = internal::ReadString(sc, "restore_command");
    s.archive_cleanup_command = internal::ReadString(sc, "archive_cleanup_command");
    s.recovery_min_apply_delay = internal::ScalarText(Child(sc, "recovery_min_apply_delay"));
    // Patroni's is_standby_cluster: a section naming where to replicate from.
    if (!s.host.empty() || s.port != 0 || !s.restore_command.empty()) d.standby_cluster = s;
  }
  for (const char* key : {"slots", "permanent_slots", "permanent_replication_slots"}) {
    const Json& slots = Child(doc, key);
    if (!slots.is_object()) continue;
    for (auto it = slots.begin(); it != slots.end(); ++it) {
      SlotConfig s;
      s.name = it.key();
      const Json& v = it.value();
      s.type = internal::ReadString(v, "type", "physical");
      s.database = internal::ReadString(v, "database");
      s.plugin = internal::ReadString(v, "plugin");
      s.cluster_type = internal::ReadString(v, "cluster_type");
      if (s.type == "logical" && (s.database.empty() || s.plugin.empty())) {
        warnings->push_back(absl::StrCat("logical slot ", s.name, " needs database and plugin; ignored"));
        continue;
      }
      if (s.type != "logical" && s.type != "physical") {
        warnings->push_back(absl::StrCat("slot ", s.name, " has unknown type ", s.type, "; ignored"));
        continue;
      }
      d.slots.push_back(s);
    }
    break;  // Patroni reads the first of the three names present
  }
  if (Child(doc, "ignore_slots").is_array()) d.ignore_slots = doc["ignore_slots"];
  return d;
}

EffectiveConfig BuildEffectiveConfig(const Config& local, const Json& dynamic_document,
                                     std::vector<std::string>* warnings) {
  EffectiveConfig e;
  e.dynamic = ParseDynamicConfig(dynamic_document, warnings);
  e.parameters = e.dynamic.parameters;
  ProcessParameters(local.postgresql.parameters, true, &e.parameters, warnings);
  for (const char* forbidden : {"listen_addresses", "port", "cluster_name"}) e.parameters.erase(forbidden);

  // postgresql.* keys: local wins over dynamic (Patroni copies dynamic first, then local).
  const Json& dpg = e.dynamic.postgresql;
  e.use_pg_rewind = local.postgresql.use_pg_rewind.value_or(e.dynamic.use_pg_rewind);
  e.use_slots = e.dynamic.use_slots;  // cluster-wide only
  if (local.postgresql.pg_hba) {
    e.pg_hba = *local.postgresql.pg_hba;
  } else {
    e.pg_hba = internal::ReadStringList(dpg, "pg_hba");
  }
  if (local.postgresql.pg_ident) {
    e.pg_ident = *local.postgresql.pg_ident;
  } else {
    e.pg_ident = internal::ReadStringList(dpg, "pg_ident");
  }
  e.recovery_conf = Child(dpg, "recovery_conf").is_object() ? dpg["recovery_conf"] : Json::object();
  if (!local.postgresql.recovery_conf.empty()) e.recovery_conf = local.postgresql.recovery_conf;
  e.basebackup = Child(dpg, "basebackup").is_null() ? Json::array() : dpg["basebackup"];
  if (!local.postgresql.basebackup.empty()) e.basebackup = local.postgresql.basebackup;
  const Json& doc_pg = Child(local.document, "postgresql");
  auto flag = [&](const char* key, bool local_value) {
    if (Child(doc_pg, key).is_null()) return ReadBool(Child(dpg, key)).value_or(local_value);
    return local_value;
  };
  e.remove_data_directory_on_rewind_failure =
      flag("remove_data_directory_on_rewind_failure",
           local.postgresql.remove_data_directory_on_rewind_failure);
  e.remove_data_directory_on_diverged_timelines =
      flag("remove_data_directory_on_diverged_timelines",
           local.postgresql.remove_data_directory_on_diverged_timelines);
  return e;
}

Json MergePatch(const Json& target, const Json& patch) {
  if (!patch.is_object()) return patch;
  Json out = target.is_object() ? target : Json::object();
  for (auto it = patch.begin(); it != patch.end(); ++it) {
    if (it.value().is_null()) {
      out.erase(it.key());
    } else {
      out[it.key()] = MergePatch(out.contains(it.key()) ? out[it.key()] : Json(nullptr), it.value());
    }
  }
  return out;
}

}  // namespace pgha::config
