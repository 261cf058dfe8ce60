// The typed model of a node's local configuration (Patroni's patroni.yml), after files were
// merged and PATRONI_* environment variables applied. Built by LoadLocalConfig() (loader.h) only
// from a document that passed validation, so fields hold checked values with Patroni's defaults.
//
// Thread-safety: plain values.
#ifndef PGHA_CONFIG_CONFIG_H_
#define PGHA_CONFIG_CONFIG_H_

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "pgha/base/json.h"

namespace pgha::config {

struct BasicAuth {
  std::string username;
  std::string password;
};

struct RestApiConfig {
  std::string listen;           // host:port
  std::string connect_address;  // host:port published as api_url
  std::optional<BasicAuth> authentication;
  std::string certfile, keyfile, keyfile_password, cafile, ciphers;
  std::string verify_client = "none";  // none | optional | required
  std::vector<std::string> allowlist;
  bool allowlist_include_members = false;
  std::map<std::string, std::string> http_extra_headers, https_extra_headers;
  int request_queue_size = 5;
  std::string server_tokens = "original";
  int thread_pool_size = 5;
  bool tls() const { return !certfile.empty(); }
};

struct CtlConfig {
  std::optional<BasicAuth> authentication;  // falls back to restapi.authentication
  bool insecure = false;
  std::string cacert, certfile, keyfile, keyfile_password;
};

struct LogConfig {
  std::string level = "INFO";
  std::string format = "%(asctime)s %(levelname)s: %(message)s";  // Python logging's %-style
  std::string dateformat;  // strftime; empty: "2026-11-22 04:05:19,123"
  std::string dir;  // empty: stderr only
  int file_num = 4;
  int64_t file_size = 25'000'000;
  int mode = 0600;
};

// The DCS section the configuration uses. Which sections exist, their schema and their order
// of preference are registered by the backends (pgha/config/dcs_sections.h); the backend that
// serves `section` reads `settings` into its own typed options (pgha/dcs/backend_registry.h).
struct DcsConfig {
  bool configured = false;         // the configuration has a (registered) DCS section
  std::string section;             // the section used, e.g. "etcd3"
  Json settings = Json::object();  // that section as validated, after environment overrides
};

// Connection settings of one PostgreSQL role (superuser, replication, rewind).
struct UserAuth {
  std::string username;
  std::string password;
  std::map<std::string, std::string> ssl_options;  // sslmode, sslcert, ... passed to libpq
};

struct Callbacks {
  std::string on_start, on_stop, on_restart, on_reload, on_role_change;
};

struct PostgresqlConfig {
  std::string listen;           // "h1,h2:port"
  std::string connect_address;  // host:port for conn_url
  std::string proxy_address;
  std::string data_dir;
  std::string config_dir;       // empty: data_dir
  std::string bin_dir;          // empty: PATH
  std::map<std::string, std::string> bin_name;  // pg_ctl -> custom name, ...
  std::string pgpass;           // default: ~/.pgpass of the daemon's user, like Patroni
  bool use_unix_socket = false;
  bool use_unix_socket_repl = false;
  UserAuth superuser, replication;
  std::optional<UserAuth> rewind;
  Json parameters = Json::object();     // local GUCs (dynamic ones merged in later)
  std::optional<std::vector<std::string>> pg_hba, pg_ident;
  std::string custom_conf;
  Json recovery_conf = Json::object();
  Callbacks callbacks;
  std::string pre_promote, before_stop;
  std::vector<std::string> create_replica_methods = {"basebackup"};
  std::map<std::string, Json> replica_methods;  // name -> {command, no_leader, keep_data, ...}
  Json basebackup = Json::array();               // list or map of pg_basebackup long options
  Json rewind_options = Json::array();
  int pg_ctl_timeout = 60;
  std::optional<bool> use_pg_rewind;  // local override of the dynamic setting
  bool remove_data_directory_on_rewind_failure = false;
  bool remove_data_directory_on_diverged_timelines = false;

  // Path of a PostgreSQL program, honouring bin_dir and bin_name.
  std::string Binary(const std::string& program) const;
  // Whether the replica creation method `name` runs without a leader (no_leader, or Patroni's
  // older no_master): a restore from a backup tool's repository.
  bool MethodNeedsNoLeader(const std::string& name) const;
};

struct BootstrapConfig {
  Json dcs = Json::object();  // initial dynamic configuration
  std::string method = "initdb";
  Json method_options = Json::object();  // bootstrap.<method> for a custom method
  Json initdb = Json::array();           // list of "option" or {option: value}
  std::optional<std::vector<std::string>> pg_hba;
  Json users = Json::object();  // Patroni 3.x bootstrap.users
  std::string post_bootstrap;   // post_bootstrap, or post_init (older name)
  bool present = false;         // the section exists (a node without it never bootstraps)
};

enum class WatchdogMode { kOff, kAutomatic, kRequired };

struct WatchdogConfig {
  WatchdogMode mode = WatchdogMode::kAutomatic;
  std::string device = "/dev/watchdog";
  int safety_margin = 5;
};

// pgha's own section (Patroni has no fencer): the independent fencer process, see docs/ha.md.
struct FencerConfig {
  std::string mode = "spawn";  // spawn | external | off
  std::string socket;          // default: <data_dir>.fencer
  std::string binary;          // default: pgha-fencer beside the pgha executable
};

// Tags as Patroni publishes them in the member key. `all` keeps every tag (including user tags)
// for publishing; the typed fields are what pgha acts on.
struct Tags {
  bool nofailover = false;
  std::optional<int> failover_priority;
  bool noloadbalance = false;
  bool clonefrom = false;
  bool nosync = false;
  std::optional<int> sync_priority;
  std::string replicatefrom;
  bool nostream = false;
  Json all = Json::object();

  // Effective failover priority: 0 means never promote (nofailover).
  int FailoverPriority() const;
  bool NoSync() const { return nosync || (sync_priority && *sync_priority <= 0); }
};

struct Config {
  std::string name;
  std::string scope;
  std::string namespace_ = "/service";  // normalized: leading '/', no trailing '/'
  RestApiConfig restapi;
  CtlConfig ctl;
  LogConfig log;
  DcsConfig dcs;
  BootstrapConfig bootstrap;
  PostgresqlConfig postgresql;
  WatchdogConfig watchdog;
  FencerConfig fencer;
  Tags tags;
  Json document;  // the validated local document the fields came from
};

}  // namespace pgha::config

#endif  // PGHA_CONFIG_CONFIG_H_
