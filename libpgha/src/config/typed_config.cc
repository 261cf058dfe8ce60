// Builds the typed Config from a validated document, filling Patroni's defaults.
#include "typed_config.h"

#include <unistd.h>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "dcs_choice.h"
#include "pgha/config/json_read.h"

namespace pgha::config {

bool PostgresqlConfig::MethodNeedsNoLeader(const std::string& name) const {
  auto it = replica_methods.find(name);
  if (it == replica_methods.end() || !it->second.is_object()) return false;
  const Json& m = it->second;
  return (m.contains("no_leader") && m["no_leader"] == true) || (m.contains("no_master") && m["no_master"] == true);
}

std::string PostgresqlConfig::Binary(const std::string& program) const {
  std::string name = program;
  if (auto it = bin_name.find(program); it != bin_name.end() && !it->second.empty()) {
    name = it->second;
  }
  if (bin_dir.empty() || absl::StrContains(name, "/")) return name;
  return absl::StrCat(absl::StripSuffix(bin_dir, "/"), "/", name);
}

int Tags::FailoverPriority() const {
  if (nofailover) return 0;
  return failover_priority.value_or(1);
}

namespace internal {
namespace {

std::optional<BasicAuth> ReadBasicAuth(const Json& section) {
  const Json& auth = Child(section, "authentication");
  if (!auth.is_object()) return std::nullopt;
  return BasicAuth{ReadString(auth, "username"), ReadString(auth, "password")};
}

UserAuth ReadUser(const Json& user) {
  UserAuth out;
  out.username = ReadString(user, "username");
  out.password = ReadString(user, "password");
  if (user.is_object()) {
    for (auto it = user.begin(); it != user.end(); ++it) {
      if (it.key() != "username" && it.key() != "password" && it.value().is_string()) {
        out.ssl_options[it.key()] = it.value().get<std::string>();
      }
    }
  }
  return out;
}

std::map<std::string, std::string> ReadStringMap(const Json& v) {
  std::map<std::string, std::string> out;
  if (!v.is_object()) return out;
  for (auto it = v.begin(); it != v.end(); ++it) out[it.key()] = ScalarText(it.value());
  return out;
}

std::optional<std::vector<std::string>> ReadOptionalList(const Json& parent, const std::string& key) {
  if (!Child(parent, key).is_array()) return std::nullopt;
  return ReadStringList(parent, key);
}

}  // namespace

Config BuildTypedConfig(const Json& doc) {
  Config c;
  c.document = doc;
  c.name = ReadString(doc, "name");
  c.scope = ReadString(doc, "scope");
  std::string ns = ReadString(doc, "namespace", "/service");
  ns = std::string(absl::StripSuffix(ns, "/"));
  if (!absl::StartsWith(ns, "/")) ns = absl::StrCat("/", ns);
  c.namespace_ = ns;

  const Json& r = Child(doc, "restapi");
  c.restapi.listen = ReadString(r, "listen");
  c.restapi.connect_address = ReadString(r, "connect_address");
  c.restapi.authentication = ReadBasicAuth(r);
  c.restapi.certfile = ReadString(r, "certfile");
  c.restapi.keyfile = ReadString(r, "keyfile");
  c.restapi.keyfile_password = ReadString(r, "keyfile_password");
  c.restapi.cafile = ReadString(r, "cafile");
  c.restapi.ciphers = ReadString(r, "ciphers");
  c.restapi.verify_client = ReadString(r, "verify_client", "none");
  c.restapi.allowlist = ReadStringList(r, "allowlist");
  c.restapi.allowlist_include_members = ReadBoolKey(r, "allowlist_include_members", false);
  c.restapi.http_extra_headers = ReadStringMap(Child(r, "http_extra_headers"));
  c.restapi.https_extra_headers = ReadStringMap(Child(r, "https_extra_headers"));
  c.restapi.request_queue_size = static_cast<int>(ReadInt64(r, "request_queue_size", 5));
  c.restapi.server_tokens = ReadString(r, "server_tokens", "original");
  c.restapi.thread_pool_size = static_cast<int>(
      ReadInt64(r, "thread_pool_size", ReadInt64(doc, "thread_pool_size", 5)));

  const Json& ctl = Child(doc, "ctl");
  c.ctl.authentication = ReadBasicAuth(ctl);
  c.ctl.insecure = ReadBoolKey(ctl, "insecure", false);
  c.ctl.cacert = ReadString(ctl, "cacert");
  c.ctl.certfile = ReadString(ctl, "certfile");
  c.ctl.keyfile = ReadString(ctl, "keyfile");
  c.ctl.keyfile_password = ReadString(ctl, "keyfile_password");

  const Json& log = Child(doc, "log");
  c.log.level = ReadString(log, "level", "INFO");
  c.log.dir = ReadString(log, "dir");
  if (log.contains("format") && log["format"].is_string()) c.log.format = log["format"].get<std::string>();
  c.log.dateformat = ReadString(log, "dateformat");
  c.log.file_num = static_cast<int>(ReadInt64(log, "file_num", 4));
  c.log.file_size = ReadInt64(log, "file_size", 25'000'000);
  c.log.mode = static_cast<int>(ReadInt64(log, "mode", 0600));

  // The backend reads its own section (e.g. pgha::backends::ReadEtcdConfig): here it is only
  // chosen, and kept as validated.
  if (auto chosen = internal::ChosenDcsSection(doc)) {
    c.dcs.configured = true;
    c.dcs.section = chosen->name;
    if (Child(doc, chosen->name).is_object()) c.dcs.settings = doc[chosen->name];
  }

  const Json& b = Child(doc, "bootstrap");
  c.bootstrap.present = b.is_object();
  if (Child(b, "dcs").is_object()) c.bootstrap.dcs = b["dcs"];
  c.bootstrap.method = ReadString(b, "method", "initdb");
  if (c.bootstrap.method != "initdb") c.bootstrap.method_options = Child(b, c.bootstrap.method);
  if (Child(b, "initdb").is_array()) c.bootstrap.initdb = b["initdb"];
  c.bootstrap.pg_hba = ReadOptionalList(b, "pg_hba");
  if (Child(b, "users").is_object()) c.bootstrap.users = b["users"];
  c.bootstrap.post_bootstrap = ReadString(b, "post_bootstrap", ReadString(b, "post_init"));

  const Json& pg = Child(doc, "postgresql");
  auto& p = c.postgresql;
  p.listen = ReadString(pg, "listen");
  p.connect_address = ReadString(pg, "connect_address");
  p.proxy_address = ReadString(pg, "proxy_address");
  p.data_dir = ReadString(pg, "data_dir");
  p.config_dir = ReadString(pg, "config_dir");
  p.bin_dir = ReadString(pg, "bin_dir");
  p.bin_name = ReadStringMap(Child(pg, "bin_name"));
  p.pgpass = ReadString(pg, "pgpass");
  p.use_unix_socket = ReadBoolKey(pg, "use_unix_socket", false);
  p.use_unix_socket_repl = ReadBoolKey(pg, "use_unix_socket_repl", false);
  const Json& auth = Child(pg, "authentication");
  p.superuser = ReadUser(Child(auth, "superuser"));
  p.replication = ReadUser(Child(auth, "replication"));
  if (Child(auth, "rewind").is_object()) p.rewind = ReadUser(auth["rewind"]);
  if (Child(pg, "parameters").is_object()) p.parameters = pg["parameters"];
  p.pg_hba = ReadOptionalList(pg, "pg_hba");
  p.pg_ident = ReadOptionalList(pg, "pg_ident");
  p.custom_conf = ReadString(pg, "custom_conf");
  if (Child(pg, "recovery_conf").is_object()) p.recovery_conf = pg["recovery_conf"];
  const Json& cb = Child(pg, "callbacks");
  p.callbacks.on_start = ReadString(cb, "on_start");
  p.callbacks.on_stop = ReadString(cb, "on_stop");
  p.callbacks.on_restart = ReadString(cb, "on_restart");
  p.callbacks.on_reload = ReadString(cb, "on_reload");
  p.callbacks.on_role_change = ReadString(cb, "on_role_change");
  p.pre_promote = ReadString(pg, "pre_promote");
  p.before_stop = ReadString(pg, "before_stop");
  if (Child(pg, "create_replica_methods").is_array()) {
    p.create_replica_methods = ReadStringList(pg, "create_replica_methods");
  }
  for (const auto& method : p.create_replica_methods) {
    if (Child(pg, method).is_object()) p.replica_methods[method] = pg[method];
  }
  if (!Child(pg, "basebackup").is_null()) p.basebackup = pg["basebackup"];
  if (!Child(pg, "rewind").is_null()) p.rewind_options = pg["rewind"];
  p.pg_ctl_timeout = static_cast<int>(ReadInt64(pg, "pg_ctl_timeout", 60));
  if (auto v = ReadBool(Child(pg, "use_pg_rewind"))) p.use_pg_rewind = *v;
  p.remove_data_directory_on_rewind_failure =
      ReadBoolKey(pg, "remove_data_directory_on_rewind_failure", false);
  p.remove_data_directory_on_diverged_timelines =
      ReadBoolKey(pg, "remove_data_directory_on_diverged_timelines", false);

  const Json& w = Child(doc, "watchdog");
  const Json& mode = Child(w, "mode");
  if (mode.is_boolean()) {
    c.watchdog.mode = mode.get<bool>() ? WatchdogMode::kAutomatic : WatchdogMode::kOff;
  } else if (mode.is_string()) {
    std::string m = mode.get<std::string>();
    c.watchdog.mode = m == "off"        ? WatchdogMode::kOff
                      : m == "required" ? WatchdogMode::kRequired
                                        : WatchdogMode::kAutomatic;
  }
  c.watchdog.device = ReadString(w, "device", "/dev/watchdog");
  c.watchdog.safety_margin = static_cast<int>(ReadInt64(w, "safety_margin", 5));

  const Json& f = Child(doc, "fencer");
  const Json& fencer_mode = Child(f, "mode");
  if (fencer_mode.is_boolean()) c.fencer.mode = "off";
  if (fencer_mode.is_string()) c.fencer.mode = absl::AsciiStrToLower(fencer_mode.get<std::string>());
  c.fencer.socket = ReadString(f, "socket", "");
  c.fencer.binary = ReadString(f, "binary", "");

  const Json& t = Child(doc, "tags");
  if (t.is_object()) {
    c.tags.nofailover = ReadBoolKey(t, "nofailover", false);
    if (Child(t, "failover_priority").is_number_integer()) {
      c.tags.failover_priority = t["failover_priority"].get<int>();
    }
    c.tags.noloadbalance = ReadBoolKey(t, "noloadbalance", false);
    c.tags.clonefrom = ReadBoolKey(t, "clonefrom", false);
    c.tags.nosync = ReadBoolKey(t, "nosync", false);
    if (Child(t, "sync_priority").is_number_integer()) {
      c.tags.sync_priority = t["sync_priority"].get<int>();
    }
    c.tags.replicatefrom = ReadString(t, "replicatefrom");
    c.tags.nostream = ReadBoolKey(t, "nostream", false);
    // Patroni publishes only tags that are set to something truthy (or a priority).
    for (auto it = t.begin(); it != t.end(); ++it) {
      const Json& v = it.value();
      bool falsy = v.is_null() || (v.is_boolean() && !v.get<bool>()) ||
                   (v.is_string() && v.get<std::string>().empty());
      bool is_priority = it.key() == "failover_priority" || it.key() == "sync_priority";
      if (!falsy || is_priority) c.tags.all[it.key()] = v;
    }
  }
  return c;
}

}  // namespace internal
}  // namespace pgha::config
