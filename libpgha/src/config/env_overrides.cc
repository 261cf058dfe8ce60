// PATRONI_* environment variables, following Patroni's config.py
// (_build_environment_configuration): which variables exist, where they land, how their text is
// typed.
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "dcs_choice.h"
#include "pgha/config/dcs_sections.h"
#include "pgha/config/loader.h"
#include "pgha/config/schema.h"

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

// PATRONI_<DCS>_<KEY>: the keys Patroni's config.py accepts for every DCS name (its Kubernetes
// ones left out: pgha has no Kubernetes backend). A section registers more in env_keys.
constexpr const char* kGenericDcsKeys[] = {
    "host", "hosts", "port", "use_proxies", "protocol", "srv", "srv_suffix", "url", "proxy",
    "cacert", "cert", "key", "verify", "token", "checks", "dc", "consistency",
    "register_service", "service_check_interval", "service_check_tls_server_name",
    "service_tags", "key_password", "use_ssl", "set_acls", "auth_data"};

// Credentials complete a DCS section that the file or another variable opened; alone they do
// not make one (Patroni reads PATRONI_ETCD3_USERNAME only when the etcd3 section exists).
bool IsCredential(const std::string& key) { return key == "username" || key == "password"; }

enum class EnvType { kText, kPort, kInt, kBool, kList, kMap };

// How Patroni types its generic keys; a key of a section's own is typed by its spec.
EnvType DcsKeyType(const std::string& key, const internal::SpecPtr& spec) {
  if (key == "port") return EnvType::kPort;
  if (key == "hosts" || key == "checks" || key == "service_tags") return EnvType::kList;
  if (key == "set_acls" || key == "auth_data") return EnvType::kMap;
  if (key == "use_proxies" || key == "register_service" || key == "verify" || key == "use_ssl") {
    return EnvType::kBool;
  }
  if (spec == nullptr) return EnvType::kText;
  for (const auto& field : spec->fields) {
    if (field.name != key || field.spec == nullptr) continue;
    switch (field.spec->kind) {
      case internal::Kind::kInt:
        return EnvType::kInt;
      case internal::Kind::kBool:
        return EnvType::kBool;
      case internal::Kind::kList:
        return EnvType::kList;
      case internal::Kind::kMap:
        return EnvType::kMap;
      default:
        return EnvType::kText;
    }
  }
  return EnvType::kText;
}

void SetTyped(EnvPatch& p, const KeyPath& path, const std::string& value, EnvType type) {
  switch (type) {
    case EnvType::kPort:
    case EnvType::kInt: {
      int64_t number = 0;
      if (absl::SimpleAtoi(value, &number)) {
        p.Set(path, number);
      } else {
        p.Error(absl::StrCat("'", value, "' is not ",
                             type == EnvType::kPort ? "a port number" : "an integer"));
      }
      break;
    }
    case EnvType::kBool:
      if (auto b = ParseBool(value)) {
        p.Set(path, *b);
      } else {
        p.Error(absl::StrCat("'", value, "' is not a boolean"));
      }
      break;
    case EnvType::kList:
    case EnvType::kMap:
      if (auto parsed = ParseFlow(value, type == EnvType::kMap, p)) p.Set(path, *parsed);
      break;
    case EnvType::kText:
      p.Set(path, value);
      break;
  }
}

// A DCS section variables may set: a registered one, or one Patroni knows and pgha refuses
// (so that PATRONI_KUBERNETES_* gets the "not supported" error, not silence).
struct EnvDcsSection {
  std::string name;
  std::string prefix;  // "ETCD3_"
  internal::SpecPtr spec;
  std::set<std::string> keys;
  std::vector<std::string> credentials;
};

std::vector<EnvDcsSection> EnvDcsSections() {
  std::vector<EnvDcsSection> out;
  auto add = [&out](const std::string& name, internal::SpecPtr spec,
                    const std::vector<std::string>& env_keys) {
    EnvDcsSection s{name, absl::StrCat(absl::AsciiStrToUpper(name), "_"), std::move(spec), {}, {}};
    for (const char* key : kGenericDcsKeys) s.keys.insert(key);
    for (const auto& key : env_keys) {
      if (IsCredential(key)) {
        s.credentials.push_back(key);
      } else {
        s.keys.insert(key);
      }
    }
    out.push_back(std::move(s));
  };
  for (const auto& section : RegisteredDcsSections()) {
    add(section.name, section.spec, section.env_keys);
  }
  for (const auto& name : internal::UnsupportedDcsNames()) add(name, nullptr, {});
  return out;
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

  // PATRONI_<DCS>_<KEY>, for the registered DCS sections.
  std::vector<EnvDcsSection> dcs_sections = EnvDcsSections();
  for (const auto& [var, value] : effective) {
    if (!absl::StartsWith(var, kPrefix) || p.Consumed(var) || value.empty()) continue;
    std::string rest = var.substr(sizeof(kPrefix) - 1);
    for (const auto& section : dcs_sections) {
      if (!absl::StartsWith(rest, section.prefix)) continue;
      std::string suffix = rest.substr(section.prefix.size());
      std::string key = absl::AsciiStrToLower(suffix);
      // Variable names are upper case, as Patroni reads them: PATRONI_ETCD3_hosts is not one.
      if (suffix != absl::AsciiStrToUpper(key) || section.keys.count(key) == 0) continue;
      p.MarkCurrent(var);
      SetTyped(p, {section.name, key}, value, DcsKeyType(key, section.spec));
      break;
    }
  }
  for (const auto& section : dcs_sections) {
    if (!p.patch().root.contains(section.name)) continue;
    for (const auto& key : section.credentials) {
      if (auto v = p.Take(absl::StrCat(section.name, "_", key))) p.Set({section.name, key}, *v);
    }
  }
  MergeDocument(p.patch(), doc);
}

}  // namespace pgha::config
