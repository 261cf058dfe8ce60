#include "pgha/config/loader.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "dcs_choice.h"
#include "pgha/config/schema.h"
#include "schema_tables.h"
#include "typed_config.h"

namespace pgha::config {
namespace {

LoadResult Finish(LoadResult result, const Environment& env) {
  ApplyEnvironment(env, &result.document, &result.diagnostics);
  internal::Validator validator(result.document, &result.diagnostics);
  validator.Validate(result.document.root, {}, *internal::LocalConfigSpec());
  if (!result.diagnostics.HasErrors()) {
    result.config = internal::BuildTypedConfig(result.document.root);
  }
  return result;
}

bool IsSecretKey(const std::string& key) {
  return absl::StrContains(key, "password") || key == "token" || key == "auth_data";
}

}  // namespace

LoadResult LoadLocalConfig(const std::string& path, const Environment& env) {
  LoadResult result;
  if (path.empty()) {
    auto it = env.find("PATRONI_CONFIGURATION");
    if (it == env.end()) {
      // Patroni builds the whole configuration from PATRONI_* variables in this case.
      return Finish(std::move(result), env);
    }
    Environment rest = env;
    rest.erase("PATRONI_CONFIGURATION");
    if (!ParseYaml(it->second, "env:PATRONI_CONFIGURATION", &result.document,
                   &result.diagnostics)) {
      return result;
    }
    return Finish(std::move(result), rest);
  }
  if (!LoadYamlPath(path, &result.document, &result.diagnostics)) return result;
  return Finish(std::move(result), env);
}

LoadResult LoadLocalConfigFromText(const std::string& text, const std::string& name,
                                   const Environment& env) {
  LoadResult result;
  if (!ParseYaml(text, name, &result.document, &result.diagnostics)) return result;
  return Finish(std::move(result), env);
}

LoadResult LoadCtlConfig(const std::string& path, const Environment& env) {
  LoadResult result;
  if (!path.empty() && !LoadYamlPath(path, &result.document, &result.diagnostics)) return result;
  ApplyEnvironment(env, &result.document, &result.diagnostics);
  // Validate against the full schema, but keep only errors about what a client uses.
  Diagnostics all;
  internal::Validator validator(result.document, &all);
  validator.Validate(result.document.root, {}, *internal::LocalConfigSpec());
  std::vector<std::string> client_keys = {"scope", "namespace", "ctl", "restapi.authentication"};
  for (const auto& section : RegisteredDcsSections()) client_keys.push_back(section.name);
  for (const auto& name : internal::UnsupportedDcsNames()) client_keys.push_back(name);
  for (const auto& d : all.all()) {
    bool relevant = false;
    for (const auto& k : client_keys) {
      relevant = relevant || d.key_path == k || absl::StartsWith(d.key_path, k + ".");
    }
    // A client needs neither a scope (clusters are named on the command line) nor a DCS
    // section (-d/--dcs-url) from the file: the caller checks what its command needs.
    bool missing = d.message == "required setting is missing" ||
                   d.message.find("no DCS configured") != std::string::npos;
    if (relevant && !missing) result.diagnostics.Add(d.severity, d.pos, d.key_path, d.message);
  }
  if (!result.diagnostics.HasErrors()) {
    result.config = internal::BuildTypedConfig(result.document.root);
  }
  return result;
}

DynamicLoadResult LoadDynamicConfigFile(const std::string& path) {
  DynamicLoadResult result;
  if (!LoadYamlPath(path, &result.document, &result.diagnostics)) return result;
  internal::Validator validator(result.document, &result.diagnostics);
  validator.Validate(result.document.root, {}, *internal::DynamicConfigSpec());
  std::vector<std::string> warnings;
  result.config = ParseDynamicConfig(result.document.root, &warnings);
  return result;
}

Diagnostics ValidateDynamicConfig(const Json& document) {
  ConfigDocument doc;
  doc.root = document;
  Diagnostics diagnostics;
  if (!document.is_object()) {
    diagnostics.Error(SourcePos{}, "", "the dynamic configuration must be a mapping");
    return diagnostics;
  }
  internal::Validator validator(doc, &diagnostics);
  validator.Validate(doc.root, {}, *internal::DynamicConfigSpec());
  return diagnostics;
}

Json MaskSecrets(const Json& document) {
  if (document.is_object()) {
    Json out = Json::object();
    for (auto it = document.begin(); it != document.end(); ++it) {
      if (IsSecretKey(it.key()) && !it.value().is_null()) {
        out[it.key()] = "******";
      } else {
        out[it.key()] = MaskSecrets(it.value());
      }
    }
    return out;
  }
  if (document.is_array()) {
    Json out = Json::array();
    for (const auto& item : document) out.push_back(MaskSecrets(item));
    return out;
  }
  return document;
}

}  // namespace pgha::config
