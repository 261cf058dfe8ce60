// PATRONI_* environment variables, following Patroni's config.py
// (_build_environment_configuration): which variables exist, where they land, how their text is
// typed.
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "pgha/config/loader.h"

extern char** environ;

namespace pgha::config {
namespace {

constexpr char kPrefix[] = "PATRONI_";

class EnvPatch {
 public:
  EnvPatch(const Environment& env, Diagnostics* diagnostics)
      : env_(env), diagnostics_(diagnostics) {}

  // Takes PATRONI_<name> if set and non-empty (Patroni ignores empty values).
  std::optional<std::string> Take(const std::string& name) {
    std::string var = absl::StrCat(kPrefix, absl::AsciiStrToUpper(name));
    auto it = env_.find(var);
    if (it == env_.end() || consumed_.count(var) != 0) return std::nullopt;
    consumed_.insert(var);
    if (it->second.empty()) return std::nullopt;
    last_var_ = var;
    return it->second;
  }

  void Set(const KeyPath& path, Json value) {
    Json* node = &patch_.root;
    for (size_t i = 0; i + 1 < path.size(); ++i) {
      if (!node->contains(path[i]) || !(*node)[path[i]].is_object()) {
        (*node)[path[i]] = Json::object();
      }
      node = &(*node)[path[i]];
    }
    (*node)[path.back()] = std::move(value);
    SourcePos pos{absl::StrCat("env:", last_var_), 1, 1};
    patch_.key_pos[path] = pos;
    patch_.value_pos[path] = pos;
  }

  void Error(const std::string& message) {
    diagnostics_->Error(SourcePos{absl::StrCat("env:", last_var_), 1, 1}, "", message);
  }

  bool Has(const std::string& var) const { return env_.count(var) != 0; }
  const Environment& env() const { return env_; }
  bool Consumed(const std::string& var) const { return consumed_.count(var) != 0; }
  void MarkCurrent(const std::string& var) {
    consumed_.insert(var);
    last_var_ = var;
  }
  ConfigDocument& patch() { return patch_; }

 private:
  const Environment& env_;
  Diagnostics* diagnostics_;
  std::set<std::string> consumed_;
  std::string last_var_;
  ConfigDocument patch_;
};

std::optional<bool> ParseBool(const std::string& text) {
  std::string v = absl::AsciiStrToLower(text);
  if (v == "on" || v == "true" || v == "yes" || v == "1") return true;
  if (v == "off" || v == "false" || v == "no" || v == "0") return false;
  return std::nullopt;
}

// YAML flow parsing of a list or mapping value ("'h1:2379','h2:2379'", "{a: 1}").
std::optional<Json> ParseFlow(const std::string& text, bool mapping, EnvPatch& patch) {
  std::string trimmed(absl::StripAsciiWhitespace(text));
  std::string wrapped = trimmed;
  if (mapping && !absl::StartsWith(trimmed, "{")) wrapped = absl::StrCat("{", trimmed, "}");
  if (!mapping && !absl::StartsWith(trimmed, "-") && trimmed.find('[') == std::string::npos) {
    wrapped = absl::StrCat("[", trimmed, "]");
  }
  ConfigDocument doc;
  Diagnostics diagnostics;
  // ParseYaml wants a mapping at the top: wrap the value under a key.
  if (!ParseYaml(absl::StrCat("v: ", wrapped, "\n"), "env", &doc, &diagnostics) ||
      diagnostics.HasErrors() || !doc.root.contains("v")) {
    patch.Error(absl::StrCat("cannot parse '", text, "' as a YAML ",
                             mapping ? "mapping" : "list"));
    return std::nullopt;
  }
  const Json& value = doc.root["v"];
  if (mapping ? !value.is_object() : !value.is_array()) {
    patch.Error(absl::StrCat("'", text, "' is not a ", mapping ? "mapping" : "list"));
    return std::nullopt;
  }
  return value;
}

void SectionValues(EnvPatch& p, const std::string& section, std::initializer_list<const char*> keys) {
  for (const char* key : keys) {
    if (auto v = p.Take(absl::StrCat(section, "_", key))) p.Set({section, key}, *v);
  }
}

}  // namespace

Environment ProcessEnvironment() {
  Environment env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string entry(*e);
    auto eq = entry.find('=');
    if (eq != std::string::npos) env[entry.substr(0, eq)] = entry.substr(eq + 1);
  }
  return env;
}

void ApplyEnvironment(const Environment& env, ConfigDocument* doc, Diagnostics* diagnostics) {
  // Legacy log variable names, used only when the new one is absent.
  Environment effective = env;
  for (auto [now, old] : {std::pair{"PATRONI_LOG_LEVEL", "PATRONI_LOGLEVEL"},
                          std::pair{"PATRONI_LOG_FORMAT", "PATRONI_LOGFORMAT"},
                          std::pair{"PATRONI_LOG_DATEFORMAT", "PATRONI_LOG_DATEFMT"}}) {
    if (effective.count(old) != 0 && effective.count(now) == 0) effective[now] = effective[old];
    effective.erase(old);
  }
  EnvPatch p(effective, diagnostics);

  for (const char* key : {"name", "namespace", "scope", "thread_pool_size", "thread_stack_size"}) {
    if (auto v = p.Take(key)) p.Set({key}, *v);
  }
  SectionValues(p, "restapi",
                {"listen", "connect_address", "certfile", "keyfile", "keyfile_password", "cafile",
                 "ciphers", "verify_client", "server_tokens"});
  SectionValues(p, "ctl", {"cacert", "certfile", "keyfile", "keyfile_password"});
  SectionValues(p, "postgresql",
                {"listen", "connect_address", "proxy_address", "config_dir", "data_dir", "pgpass",
                 "bin_dir"});
  SectionValues(p, "log", {"type", "level", "traceback_level", "format", "dateformat", "dir"});

  for (const char* binary :
       {"pg_ctl", "initdb", "pg_controldata", "pg_basebackup", "postgres", "pg_isready", "pg_rewind"}) {
    if (auto v = p.Take(absl::StrCat("postgresql_bin_", binary))) {
      p.Set({"postgresql", "bin_name", binary}, *v);
    }
  }
  for (auto [section, key] : {std::pair{"restapi", "allowlist_include_members"},
                              std::pair{"ctl", "insecure"},
                              std::pair{"log", "deduplicate_heartbeat_logs"}}) {
    if (auto v = p.Take(absl::StrCat(section, "_", key))) {
      if (auto b = ParseBool(*v)) {
        p.Set({section, key}, *b);
      } else {
        p.Error(absl::StrCat("'", *v, "' is not a boolean"));
      }
    }
  }
  for (auto [section, key] : {std::pair{"restapi", "request_queue_size"},
                              std::pair{"restapi", "thread_pool_size"},
                              std::pair{"log", "max_queue_size"}, std::pair{"log", "file_size"},
                              std::pair{"log", "file_num"}, std::pair{"log", "mode"}}) {
    if (auto v = p.Take(absl::StrCat(section, "_", key))) {
      int64_t n = 0;
      if (absl::SimpleAtoi(*v, &n)) {
        p.Set({section, key}, n);
      } else {
        p.Error(absl::StrCat("'", *v, "' is not an integer"));
      }
    }
  }
  if (auto v = p.Take("restapi_allowlist")) {
    if (auto list = ParseFlow(*v, false, p)) p.Set({"restapi", "allowlist"}, *list);
  }
  for (auto [section, key] : {std::pair{"restapi", "http_extra_headers"},
                              std::pair{"restapi", "https_extra_headers"},
                              std::pair{"log", "static_fields"}, std::pair{"log", "loggers"}}) {
    if (auto v = p.Take(absl::StrCat(section, "_", key))) {
      if (auto map = ParseFlow(*v, true, p)) p.Set({section, key}, *map);
    }
  }
  for (const char* section : {"ctl", "restapi"}) {
    for (const char* key : {"username", "password"}) {
      if (auto v = p.Take(absl::StrCat(section, "_", key))) {
        p.Set({section, "authentication", key}, *v);
      }
    }
  }
  for (const char* user : {"replication", "superuser", "rewind"}) {
    for (const char* key : {"username", "password", "sslmode", "sslcert", "sslkey", "sslpassword",
                            "sslrootcert", "sslcrl", "sslcrldir", "sslnegotiation", "gssencmode",
                            "channel_binding"}) {
      if (auto v = p.Take(absl::StrCat(user, "_", key))) {
        p.Set({"postgresql", "authentication", user, key}, *v);
      }
    }
  }

  // PATRONI_<DCS>_<SUFFIX>: the generic DCS variables.
  static const std::set<std::string> kSuffixes = {
      "HOST", "HOSTS", "PORT", "USE_PROXIES", "PROTOCOL", "SRV", "SRV_SUFFIX", "URL", "PROXY",
      "CACERT", "CERT", "KEY", "VERIFY", "TOKEN", "CHECKS", "DC", "CONSISTENCY",
      "REGISTER_SERVICE", "SERVICE_CHECK_INTERVAL", "SERVICE_CHECK_TLS_SERVER_NAME",
      "SERVICE_TAGS", "KEY_PASSWORD", "USE_SSL", "SET_ACLS", "AUTH_DATA"};
  static const std::set<std::string> kDcsNames = {"ETCD", "ETCD3", "CONSUL", "ZOOKEEPER",
                                                  "EXHIBITOR", "KUBERNETES", "RAFT"};
  for (const auto& [var, value] : effective) {
    if (!absl::StartsWith(var, kPrefix) || p.Consumed(var)) continue;
    std::string rest = var.substr(sizeof(kPrefix) - 1);
    auto underscore = rest.find('_');
    if (underscore == std::string::npos) continue;
    std::string name = rest.substr(0, underscore);
    std::string suffix = rest.substr(underscore + 1);
    if (kDcsNames.count(name) == 0 || kSuffixes.count(suffix) == 0 || value.empty()) continue;
    p.MarkCurrent(var);
    std::string section = absl::AsciiStrToLower(name);
    std::string key = absl::AsciiStrToLower(suffix);
    if (suffix == "PORT") {
      int64_t port = 0;
      if (absl::SimpleAtoi(value, &port)) {
        p.Set({section, key}, port);
      } else {
        p.Error(absl::StrCat("'", value, "' is not a port number"));
      }
    } else if (suffix == "HOSTS" || suffix == "CHECKS" || suffix == "SERVICE_TAGS") {
      if (auto list = ParseFlow(value, false, p)) p.Set({section, key}, *list);
    } else if (suffix == "SET_ACLS" || suffix == "AUTH_DATA") {
      if (auto map = ParseFlow(value, true, p)) p.Set({section, key}, *map);
    } else if (suffix == "USE_PROXIES" || suffix == "REGISTER_SERVICE" || suffix == "VERIFY" ||
               suffix == "USE_SSL") {
      if (auto b = ParseBool(value)) {
        p.Set({section, key}, *b);
      } else {
        p.Error(absl::StrCat("'", value, "' is not a boolean"));
      }
    } else {
      p.Set({section, key}, value);
    }
  }
  for (const char* dcs : {"etcd", "etcd3"}) {
    if (!p.patch().root.contains(dcs)) continue;
    for (const char* key : {"username", "password"}) {
      if (auto v = p.Take(absl::StrCat(dcs, "_", key))) p.Set({dcs, key}, *v);
    }
  }
  MergeDocument(p.patch(), doc);
}

}  // namespace pgha::config
