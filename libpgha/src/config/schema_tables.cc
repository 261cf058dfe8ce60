// Patroni's configuration keys (local YAML and dynamic configuration) with their types and
// ranges. Source: Patroni's docs/yaml_configuration.rst, docs/dynamic_configuration.rst and
// patroni/validator.py; pgha-specific differences are listed in docs/compatibility.md.
#include <algorithm>
#include <filesystem>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "pgha/base/log_format.h"
#include "pgha/base/utf8.h"
#include "dcs_choice.h"
#include "pgha/config/address.h"
#include "pgha/config/schema.h"
#include "schema_tables.h"

namespace pgha::config::internal {
namespace {

namespace fs = std::filesystem;

// ---- value checks -------------------------------------------------------------------------

void CheckListen(const Json& v, const KeyPath& path, Validator& val) {
  if (!v.is_string()) return;
  auto parsed = ParseListenAddresses(v.get<std::string>());
  if (!parsed.ok()) val.Error(path, std::string(parsed.status().message()));
}

void CheckConnectAddress(const Json& v, const KeyPath& path, Validator& val) {
  if (!v.is_string()) return;
  auto parsed = ParseHostPort(v.get<std::string>());
  if (!parsed.ok()) {
    val.Error(path, std::string(parsed.status().message()));
    return;
  }
  if (IsWildcardHost(parsed->host)) {
    val.Error(path, absl::StrCat("'", parsed->host,
                                 "' is a listen-everywhere address; other members cannot connect to "
                                 "it (give this host's reachable address)"));
  } else if (IsLoopbackHost(parsed->host)) {
    val.Warning(path, "is a loopback address: members on other hosts cannot reach it");
  }
}

void CheckDataDir(const Json& v, const KeyPath& path, Validator& val) {
  if (!v.is_string()) return;
  const std::string dir = v.get<std::string>();
  if (dir.empty()) {
    val.Error(path, "is an empty string");
    return;
  }
  std::error_code ec;
  if (!fs::exists(dir, ec)) {
    val.Warning(path, absl::StrCat("'", dir, "' does not exist on this machine (it is created at bootstrap)"));
  } else if (!fs::is_directory(dir, ec)) {
    val.Error(path, absl::StrCat("'", dir, "' is not a directory"));
  } else if (!fs::is_empty(dir, ec) && !ec && !fs::exists(fs::path(dir) / "PG_VERSION", ec)) {
    val.Error(path, absl::StrCat("'", dir,
                                 "' is not empty and has no PG_VERSION: not a PostgreSQL data directory"));
  }
}

// A TLS file named in the configuration: missing on this machine is a warning (a configuration
// is often checked away from its host), but the server cannot start with it.
void CheckTlsFile(const Json& v, const KeyPath& path, Validator& val) {
  if (!v.is_string()) return;
  const std::string file = v.get<std::string>();
  if (file.empty()) {
    val.Error(path, "is an empty string");
    return;
  }
  std::error_code ec;
  if (!fs::exists(file, ec)) {
    val.Warning(path, absl::StrCat("'", file, "' does not exist on this machine: the REST API cannot start with it"));
  }
}

// verify_client asks clients for certificates: that needs TLS (certfile) and a CA to check them.
void CheckRestApiTls(const Json& v, const KeyPath& path, Validator& val) {
  if (!v.is_object()) return;
  std::string verify = JsonString(v, "verify_client", "none");
  if (verify == "none") return;
  KeyPath at = path;
  at.push_back("verify_client");
  if (JsonString(v, "certfile").empty()) {
    val.Error(at, "needs restapi.certfile: client certificates are asked for over TLS only");
  } else if (JsonString(v, "cafile").empty()) {
    val.Error(at, "needs restapi.cafile: client certificates cannot be verified without a CA");
  }
}

void CheckBinDir(const Json& v, const KeyPath& path, Validator& val) {
  if (!v.is_string() || v.get<std::string>().empty()) return;
  const std::string dir = v.get<std::string>();
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    val.Warning(path, absl::StrCat("'", dir, "' does not exist on this machine"));
    return;
  }
  for (const char* program : {"pg_ctl", "initdb", "pg_controldata", "pg_basebackup", "postgres"}) {
    if (!fs::exists(fs::path(dir) / program, ec)) {
      val.Warning(path, absl::StrCat("'", dir, "' has no ", program));
    }
  }
}

void CheckInitdbOptions(const Json& v, const KeyPath& path, Validator& val) {
  if (!v.is_array()) return;
  for (size_t i = 0; i < v.size(); ++i) {
    KeyPath child = path;
    child.push_back(std::to_string(i));
    const Json& item = v[i];
    if (item.is_string()) continue;
    if (item.is_object() && item.size() == 1 && !item.begin().value().is_object() &&
        !item.begin().value().is_array()) {
      continue;
    }
    val.Error(child, "expected an option name or a single 'option: value' pair");
  }
}

// `basebackup`/`rewind` options: a list like initdb's, or a mapping of option: value.
void CheckToolOptions(const Json& v, const KeyPath& path, Validator& val) {
  if (v.is_object()) return;
  if (!v.is_array()) {
    val.Error(path, "expected a list of options or a mapping of option: value");
    return;
  }
  CheckInitdbOptions(v, path, val);
}

void CheckSynchronousMode(const Json& v, const KeyPath& path, Validator& val) {
  if (v.is_boolean()) return;
  if (v.is_string()) {
    std::string s = absl::AsciiStrToLower(v.get<std::string>());
    if (s == "on" || s == "off" || s == "true" || s == "false" || s == "quorum") return;
  }
  val.Error(path, "expected on, off or quorum");
}

void CheckWatchdogMode(const Json& v, const KeyPath& path, Validator& val) {
  if (v.is_boolean()) return;  // plain `off` resolves to false, as in Patroni
  if (v.is_string()) {
    std::string s = absl::AsciiStrToLower(v.get<std::string>());
    if (s == "off" || s == "automatic" || s == "required") return;
  }
  val.Error(path, "expected off, automatic or required");
}

// Why `text` cannot be part of a DCS key or a file name, or "" when it can: a member name and
// the scope become path components (/service/<scope>/members/<name>), application_name and
// replication slot names.
std::string KeyTextProblem(const std::string& text) {
  if (text.empty()) return "must not be empty";
  if (text == "." || text == "..") return "must not be '.' or '..'";
  if (text.size() > 255) return "is longer than 255 bytes";
  size_t i = 0;
  while (i < text.size()) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (c < 0x20 || c == 0x7f) return "must not contain control characters (line breaks, NUL, ...)";
    if (c < 0x80) {
      ++i;
      continue;
    }
    if (NextCodePoint(text, &i) < 0) return "is not valid UTF-8";
  }
  return "";
}

void CheckKeyComponent(const Json& v, const KeyPath& path, Validator& val) {
  if (!v.is_string()) return;
  std::string text = v.get<std::string>();
  std::string problem = KeyTextProblem(text);
  if (problem.empty() && text.find('/') != std::string::npos) problem = "must not contain '/'";
  if (!problem.empty()) val.Error(path, problem);
}

void CheckNamespace(const Json& v, const KeyPath& path, Validator& val) {
  if (!v.is_string()) return;
  std::string text = v.get<std::string>();
  for (absl::string_view part : absl::StrSplit(text, '/', absl::SkipEmpty())) {
    std::string problem = KeyTextProblem(std::string(part));
    if (!problem.empty()) {
      val.Error(path, absl::StrCat("each part ", problem));
      return;
    }
  }
}

void CheckFencerMode(const Json& v, const KeyPath& path, Validator& val) {
  if (v.is_boolean() && !v.get<bool>()) return;  // plain `off` resolves to false
  if (v.is_string()) {
    std::string s = absl::AsciiStrToLower(v.get<std::string>());
    if (s == "off" || s == "spawn" || s == "external") return;
  }
  val.Error(path, "expected spawn, external or off");
}

// ---- sections -----------------------------------------------------------------------------

SpecPtr UserAuth(bool username_required) {
  std::vector<Field> fields = {
      username_required ? Req("username", Str()) : Opt("username", Str()),
      Opt("password", Nullable(Str())),
  };
  for (const char* k : {"sslmode", "sslkey", "sslpassword", "sslcert", "sslrootcert", "sslcrl",
                        "sslcrldir", "sslnegotiation", "gssencmode", "channel_binding"}) {
    fields.push_back(Opt(k, Str()));
  }
  return Map(fields);
}

SpecPtr PostgresParameters() {
  // Any GUC may be set; the few Patroni passes on the command line are range-checked.
  return Map(
      {
          Opt("max_connections", Int(1, 262143)),
          Opt("max_locks_per_transaction", Int(10, 2147483647)),
          Opt("max_prepared_transactions", Int(0, 262143)),
          Opt("max_replication_slots", Int(0, 262143)),
          Opt("max_wal_senders", Int(0, 262143)),
          Opt("max_worker_processes", Int(0, 262143)),
          Opt("wal_level", Str({"hot_standby", "replica", "logical", "minimal", "archive"})),
          Opt("unix_socket_directories", Str()),
      },
      [](const std::string&, const Json&) { return Any(); });
}

SpecPtr StandbyCluster() {
  return WithCheck(Map({
                       Opt("host", Str()),
                       Opt("port", Int(1, 65535)),
                       Opt("primary_slot_name", Str()),
                       Opt("create_replica_methods", ListOf(Str())),
                       Opt("restore_command", Str()),
                       Opt("archive_cleanup_command", Str()),
                       Opt("recovery_min_apply_delay", Scalar()),
                   }),
                   [](const Json& v, const KeyPath& path, Validator& val) {
                     if (!v.contains("host") && !v.contains("port") &&
                         !v.contains("restore_command")) {
                       val.Error(path, "needs at least one of host, port or restore_command",
                                 false);
                     }
                   });
}

SpecPtr Slots() {
  SpecPtr slot = WithCheck(
      Map({
          Opt("type", Str({"physical", "logical"})),
          Opt("database", Str()),
          Opt("plugin", Str()),
          Opt("cluster_type", Str({"primary", "standby"})),
          Opt("failover", Bool()),
      }),
      [](const Json& v, const KeyPath& path, Validator& val) {
        if (JsonString(v, "type", "physical") == "logical" &&
            (!v.contains("database") || !v.contains("plugin"))) {
          val.Error(path, "a logical slot needs database and plugin", false);
        }
      });
  return OpenMap(Nullable(slot));
}

SpecPtr DynamicPostgresql() {
  return Map({
      Opt("parameters", Nullable(PostgresParameters())),
      Opt("use_pg_rewind", Bool()),
      Opt("use_slots", Bool()),
      Opt("pg_hba", ListOf(Str())),
      Opt("pg_ident", ListOf(Str())),
      Opt("recovery_conf", OpenMap(Scalar())),
      Opt("rewind", WithCheck(Any(), CheckToolOptions)),
      Opt("basebackup", WithCheck(Any(), CheckToolOptions)),
      Opt("pg_ctl_timeout", Int(0)),
      Opt("remove_data_directory_on_rewind_failure", Bool()),
      Opt("remove_data_directory_on_diverged_timelines", Bool()),
  });
}

// log.format: a string is checked as the lines will use it; a list is Patroni 4's field list
// for JSON logs, which pgha does not write.
void CheckLogFormat(const Json& v, const KeyPath& path, Validator& val) {
  if (v.is_string()) {
    auto parsed = log::LineFormat::Parse(v.get<std::string>(), "");
    if (!parsed.ok()) val.Error(path, std::string(parsed.status().message()));
  } else {
    val.Warning(path, "a list of fields is Patroni 4's format for JSON logs; pgha writes plain lines "
                      "in its default format");
  }
}

SpecPtr LogSection() {
  return Map({
      Opt("type", WithCheck(Str({"plain", "json"}), [](const Json& v, const KeyPath& path, Validator& val) {
            if (v == "json") val.Warning(path, "JSON logs (Patroni 4) are not written by pgha: plain lines");
          })),
      Opt("level", Str({"DEBUG", "INFO", "WARN", "WARNING", "ERROR", "FATAL", "CRITICAL"})),
      Opt("traceback_level", Str({"DEBUG", "ERROR"})),
      Opt("format", WithCheck(Any(), CheckLogFormat)),
      Opt("dateformat", Str()),
      Opt("static_fields", OpenMap(Scalar())),
      Opt("max_queue_size", Int(1)),
      Opt("dir", Str()),
      Opt("file_num", Int(1)),
      Opt("file_size", Int(1)),
      Opt("mode", StrictInt(0, 0777)),
      Opt("loggers", OpenMap(Str())),
      Opt("deduplicate_heartbeat_logs", Bool()),
  });
}

SpecPtr RestApiSection() {
  return WithCheck(Map({
      Req("listen", WithCheck(Str(), CheckListen)),
      Req("connect_address", WithCheck(Str(), CheckConnectAddress)),
      Opt("authentication", Map({Req("username", Str()), Req("password", Str())})),
      Opt("certfile", WithCheck(Str(), CheckTlsFile)),
      Opt("keyfile", WithCheck(Str(), CheckTlsFile)),
      Opt("keyfile_password", Str()),
      Opt("cafile", WithCheck(Str(), CheckTlsFile)),
      Opt("ciphers", Str()),
      Opt("verify_client", Str({"none", "optional", "required"})),
      Opt("allowlist", ListOf(Str())),
      Opt("allowlist_include_members", Bool()),
      Opt("http_extra_headers", OpenMap(Str())),
      Opt("https_extra_headers", OpenMap(Str())),
      Opt("request_queue_size", Int(0, 4096)),
      Opt("server_tokens", Str({"original", "minimal", "productonly", "Original", "Minimal",
                                "ProductOnly"})),
      Opt("thread_pool_size", Int(1, 1024)),
  }), CheckRestApiTls);
}

SpecPtr CtlSection() {
  return Map({
      Opt("authentication", Map({Req("username", Str()), Req("password", Str())})),
      Opt("insecure", Bool()),
      Opt("cacert", Str()),
      Opt("certfile", Str()),
      Opt("keyfile", Str()),
      Opt("keyfile_password", Str()),
  });
}

SpecPtr Callbacks() {
  return Map({
      Opt("on_start", Str()),
      Opt("on_stop", Str()),
      Opt("on_restart", Str()),
      Opt("on_reload", Str()),
      Opt("on_role_change", Str()),
  });
}

// A custom bootstrap method or replica creation method: a command plus free-form options
// passed to it as --name=value.
SpecPtr MethodSection() {
  return Map(
      {
          Req("command", Str()),
          Opt("no_params", Bool()),
          Opt("no_leader", Bool()),
          Opt("no_master", Bool()),
          Opt("keep_data", Bool()),
          Opt("keep_existing_recovery_conf", Bool()),
          Opt("recovery_conf", OpenMap(Scalar())),
      },
      [](const std::string&, const Json&) { return Any(); });
}

SpecPtr PostgresqlSection() {
  auto other = [](const std::string& key, const Json& section) -> SpecPtr {
    // A replica creation method named in create_replica_methods has its own section.
    if (section.contains("create_replica_methods") &&
        section["create_replica_methods"].is_array()) {
      for (const auto& m : section["create_replica_methods"]) {
        if (m.is_string() && m.get<std::string>() == key && key != "basebackup") {
          return MethodSection();
        }
      }
    }
    return nullptr;
  };
  SpecPtr auth = Map({
      Req("superuser", UserAuth(true)),
      Req("replication", UserAuth(true)),
      Opt("rewind", UserAuth(true)),
  });
  SpecPtr bin_name = Map({Opt("pg_ctl", Str()), Opt("initdb", Str()), Opt("pg_controldata", Str()),
                          Opt("pg_basebackup", Str()), Opt("postgres", Str()),
                          Opt("pg_isready", Str()), Opt("pg_rewind", Str())});
  return WithCheck(
      Map(
          {
              Req("listen", WithCheck(Str(), CheckListen)),
              Req("connect_address", WithCheck(Str(), CheckConnectAddress)),
              Opt("proxy_address", WithCheck(Str(), CheckConnectAddress)),
              Req("data_dir", WithCheck(Str(), CheckDataDir)),
              Opt("config_dir", Str()),
              Opt("bin_dir", Nullable(WithCheck(Str(), CheckBinDir))),
              Opt("bin_name", bin_name),
              Opt("pgpass", Str()),
              Opt("use_unix_socket", Bool()),
              Opt("use_unix_socket_repl", Bool()),
              Req("authentication", auth),
              Opt("parameters", Nullable(PostgresParameters())),
              Opt("pg_hba", ListOf(Str())),
              Opt("pg_ident", ListOf(Str())),
              Opt("custom_conf", Str()),
              Opt("recovery_conf", OpenMap(Scalar())),
              Opt("callbacks", Callbacks()),
              Opt("pre_promote", Str()),
              Opt("before_stop", Str()),
              Opt("create_replica_methods", ListOf(Str())),
              Opt("basebackup", WithCheck(Any(), CheckToolOptions)),
              Opt("rewind", WithCheck(Any(), CheckToolOptions)),
              Opt("pg_ctl_timeout", Int(0)),
              Opt("use_pg_rewind", Bool()),
              Opt("use_slots", Bool()),
              Opt("remove_data_directory_on_rewind_failure", Bool()),
              Opt("remove_data_directory_on_diverged_timelines", Bool()),
          },
          other),
      [](const Json& v, const KeyPath& path, Validator& val) {
        if (v.contains("use_slots")) {
          KeyPath child = path;
          child.push_back("use_slots");
          val.Warning(child,
                      "use_slots is a cluster-wide setting and is only read from the dynamic "
                      "configuration (bootstrap.dcs.postgresql.use_slots)",
                      false);
        }
        if (!v.contains("create_replica_methods") || !v["create_replica_methods"].is_array()) {
          return;
        }
        for (const auto& m : v["create_replica_methods"]) {
          if (!m.is_string() || m.get<std::string>() == "basebackup") continue;
          if (!v.contains(m.get<std::string>())) {
            KeyPath child = path;
            child.push_back("create_replica_methods");
            val.Error(child, absl::StrCat("replica method '", m.get<std::string>(),
                                          "' has no postgresql.", m.get<std::string>(),
                                          " section with its command"));
          }
        }
      });
}

SpecPtr BootstrapSection() {
  auto other = [](const std::string& key, const Json& section) -> SpecPtr {
    if (section.contains("method") && section["method"].is_string() &&
        section["method"].get<std::string>() == key) {
      return MethodSection();
    }
    return nullptr;
  };
  SpecPtr users = OpenMap(Nullable(Map({Opt("password", Nullable(Str())),
                                        Opt("options", ListOf(Str()))})));
  return WithCheck(
      Map(
          {
              Opt("dcs", Nullable(DynamicConfigSpec())),
              Opt("method", Str()),
              Opt("initdb", WithCheck(ListOf(Any()), CheckInitdbOptions)),
              Opt("pg_hba", ListOf(Str())),
              Deprecated("users", users,
                         "bootstrap.users was removed in Patroni 4.0; pgha still creates these "
                         "roles at bootstrap, but prefer a post_bootstrap script"),
              Opt("post_bootstrap", Str()),
              Opt("post_init", Str()),
          },
          other),
      [](const Json& v, const KeyPath& path, Validator& val) {
        if (v.contains("method") && v["method"].is_string()) {
          std::string method = v["method"].get<std::string>();
          if (method != "initdb" && !v.contains(method)) {
            KeyPath child = path;
            child.push_back("method");
            val.Error(child, absl::StrCat("bootstrap method '", method, "' has no bootstrap.",
                                          method, " section with its command"));
          }
        }
      });
}

SpecPtr TagsSection() {
  return WithCheck(
      Map(
          {
              Opt("nofailover", Bool()),
              Opt("failover_priority", StrictInt(0)),
              Opt("clonefrom", Bool()),
              Opt("noloadbalance", Bool()),
              Opt("replicatefrom", Str()),
              Opt("nosync", Bool()),
              Opt("sync_priority", StrictInt(0)),
              Opt("nostream", Bool()),
          },
          // Any other tag is a user tag, published in the member key and usable in ?tag_x=.
          [](const std::string&, const Json&) { return Nullable(Scalar()); }),
      [](const Json& v, const KeyPath& path, Validator& val) {
        auto exclusive = [&](const char* flag, const char* priority) {
          if (v.contains(flag) && v.contains(priority)) {
            KeyPath child = path;
            child.push_back(priority);
            val.Error(child, absl::StrCat(flag, " and ", priority,
                                          " are mutually exclusive: set only one"), false);
          }
        };
        exclusive("nofailover", "failover_priority");
        exclusive("nosync", "sync_priority");
      });
}

}  // namespace

SpecPtr DynamicConfigSpec() {
  static const SpecPtr spec = WithCheck(
      Map({
          // pgha's hard minimums are lower than Patroni's (ttl 20, retry_timeout 3): shorter
          // leases work on every supported DCS and give faster failover. Timing rule below.
          // Above a day and an hour they are refused: a daemon must not sleep for a week
          // because a DCS client wrote loop_wait: 604800 (the last valid value stays in force).
          Opt("ttl", Int(4, 86400, "s")),
          Opt("loop_wait", Int(1, 3600, "s")),
          Opt("retry_timeout", Int(1, 3600, "s")),
          Opt("maximum_lag_on_failover", Int(0, std::nullopt, "B")),
          Opt("maximum_lag_on_syncnode", Int(-1, std::nullopt, "B")),
          Opt("max_timelines_history", Int(0)),
          Opt("primary_start_timeout", Int(0, std::nullopt, "s")),
          Opt("primary_stop_timeout", Int(0, std::nullopt, "s")),
          Opt("master_start_timeout", Int(0, std::nullopt, "s")),
          Opt("master_stop_timeout", Int(0, std::nullopt, "s")),
          Opt("primary_race_backoff", Int(0, std::nullopt, "s")),
          Opt("synchronous_mode", WithCheck(Any(), CheckSynchronousMode)),
          Opt("synchronous_mode_strict", Bool()),
          Opt("synchronous_node_count", Int(1)),
          Opt("failsafe_mode", Bool()),
          Opt("check_timeline", Bool()),
          Opt("pause", Nullable(Bool())),
          Opt("member_slots_ttl", Int(0, std::nullopt, "s")),
          Opt("postgresql", Nullable(DynamicPostgresql())),
          Opt("standby_cluster", Nullable(StandbyCluster())),
          Opt("slots", Nullable(Slots())),
          Opt("permanent_slots", Nullable(Slots())),
          Opt("permanent_replication_slots", Nullable(Slots())),
          Opt("ignore_slots", ListOf(Map({Opt("name", Str()), Opt("type", Str()),
                                          Opt("database", Str()), Opt("plugin", Str())}))),
      }),
      [](const Json& v, const KeyPath& path, Validator& val) {
        // Clamped to the limits above (values beyond are already errors), so the rule's
        // arithmetic cannot overflow.
        int64_t ttl = std::clamp<int64_t>(ReadInt(v.value("ttl", Json(30)), "s").value_or(30), 4, 86400);
        int64_t loop_wait =
            std::clamp<int64_t>(ReadInt(v.value("loop_wait", Json(10)), "s").value_or(10), 1, 3600);
        int64_t retry =
            std::clamp<int64_t>(ReadInt(v.value("retry_timeout", Json(10)), "s").value_or(10), 1, 3600);
        if (loop_wait + 2 * retry > ttl) {
          KeyPath at = path;
          at.push_back(v.contains("retry_timeout") ? "retry_timeout" : "ttl");
          int64_t new_loop = 1 + 2 * retry > ttl ? 1 : ttl - 2 * retry;
          int64_t new_retry = 1 + 2 * retry > ttl ? (ttl - 1) / 2 : retry;
          val.Warning(at,
                      absl::StrCat("violates the rule loop_wait + 2*retry_timeout <= ttl (", loop_wait,
                                   " + 2*", retry, " > ", ttl, "); adjusted as Patroni does to loop_wait=",
                                   new_loop, ", retry_timeout=", new_retry),
                      false);
        }
        if (ttl < 20) {
          KeyPath at = path;
          at.push_back("ttl");
          val.Warning(at,
                      absl::StrCat("ttl=", ttl,
                                   " is below Patroni's minimum of 20 (Patroni raises it to 20; "
                                   "pgha keeps it)"),
                      false);
        }
      });
  return spec;
}

SpecPtr LocalConfigSpec() {
  static const SpecPtr spec = WithCheck(
      Map(
          {
              Req("name", WithCheck(Str(), CheckKeyComponent)),
              Req("scope", WithCheck(Str(), CheckKeyComponent)),
              Opt("namespace", WithCheck(Str(), CheckNamespace)),
              Opt("thread_pool_size", Int(1)),
              Opt("thread_stack_size", Int(65536)),
              Opt("log", LogSection()),
              Opt("ctl", CtlSection()),
              Req("restapi", RestApiSection()),
              Opt("bootstrap", BootstrapSection()),
              // The DCS sections are registered by the backends: see the other-keys rule below.
              Opt("exhibitor", UnsupportedDcs("exhibitor")),
              Opt("kubernetes", UnsupportedDcs("kubernetes")),
              Opt("raft", UnsupportedDcs("raft")),
              Opt("citus", WithCheck(Any(), [](const Json&, const KeyPath& path, Validator& val) {
                    val.Error(path, "Citus clusters are not supported by pgha", false);
                  })),
              Req("postgresql", PostgresqlSection()),
              Opt("watchdog", Map({Opt("mode", WithCheck(Any(), CheckWatchdogMode)),
                                   Opt("device", Str()), Opt("safety_margin", StrictInt(-1))})),
              Opt("fencer", Map({Opt("mode", WithCheck(Any(), CheckFencerMode)),
                                 Opt("socket", Str()), Opt("binary", Str())})),
              Opt("tags", Nullable(TagsSection())),
          },
          // Looked up when a document is validated, not when this table is built, so that
          // sections registered later count (the table is built once per process).
          [](const std::string& key, const Json&) { return RegisteredDcsSpec(key); }),
      CheckDcsChoice);
  return spec;
}

}  // namespace pgha::config::internal
