#include "pgha/config/loader.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "schema.h"
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

DynamicLoadResult LoadDynamicConfigFile(const std::string& path) {
  DynamicLoadResult result;
  if (!LoadYamlPath(path, &result.document, &result.diagnostics)) return result;
  internal::Validator validator(result.document, &result.diagnostics);
  validator.Validate(result.document.root, {}, *internal::DynamicConfigSpec());
  std::vector<std::string> warnings;
  result.config = ParseDynamicConfig(result.document.root, &warnings);
  return result;
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
