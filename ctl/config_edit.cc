#include "ctl/config_edit.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "ctl/py_format.h"
#include "pgha/base/pycompat.h"
#include "pgha/config/document.h"

namespace pgha::ctl {
namespace {

std::string DiagnosticsText(const config::Diagnostics& diagnostics) {
  std::vector<std::string> lines;
  for (const auto& d : diagnostics.Sorted()) lines.push_back(d.ToString());
  return absl::StrJoin(lines, "\n");
}

void SetPathValue(Json* config, std::vector<std::string> path, const Json& value,
                  std::vector<std::string> prefix) {
  if (prefix == std::vector<std::string>{"postgresql", "parameters"}) {
    // GUC names may hold dots ("pg_stat_statements.max"): the rest of the path is one name.
    path = {absl::StrJoin(path, ".")};
  }
  const std::string key = path[0];
  if (path.size() == 1) {
    if (value.is_null()) {
      config->erase(key);
    } else {
      (*config)[key] = value;
    }
    return;
  }
  if (!config->contains(key) || !(*config)[key].is_object()) (*config)[key] = Json::object();
  prefix.push_back(key);
  SetPathValue(&(*config)[key], {path.begin() + 1, path.end()}, value, prefix);
  if ((*config)[key].empty()) config->erase(key);
}

}  // namespace

absl::StatusOr<Json> ParseYamlValue(const std::string& text) {
  // yaml.safe_load of the bare value: read it as the value of a key, indented below it, which
  // keeps every scalar, flow collection and block collection the value can be.
  std::string doc = "v:\n";
  for (absl::string_view line : absl::StrSplit(text, '\n')) absl::StrAppend(&doc, "  ", line, "\n");
  config::ConfigDocument parsed;
  config::Diagnostics diagnostics;
  if (!config::ParseYaml(doc, "value", &parsed, &diagnostics) || diagnostics.HasErrors()) {
    return absl::InvalidArgumentError(absl::StrCat("cannot read '", text, "' as YAML"));
  }
  return parsed.root.value("v", Json());
}

absl::StatusOr<Json> ParseYamlMapping(const std::string& text, const std::string& name) {
  config::ConfigDocument parsed;
  config::Diagnostics diagnostics;
  if (!config::ParseYaml(text, name, &parsed, &diagnostics) || diagnostics.HasErrors()) {
    return absl::InvalidArgumentError(DiagnosticsText(diagnostics));
  }
  return parsed.root;
}

absl::StatusOr<Json> ApplyConfigChanges(const Json& data, const std::vector<std::string>& kvpairs) {
  Json changed = data.is_object() ? data : Json::object();
  for (const auto& pair : kvpairs) {
    auto eq = pair.find('=');
    if (pair.empty() || eq == std::string::npos) {
      return absl::InvalidArgumentError(absl::StrCat("Invalid parameter setting ", pair));
    }
    std::string key_path(absl::StripAsciiWhitespace(pair.substr(0, eq)));
    auto value = ParseYamlValue(pair.substr(eq + 1));
    if (!value.ok()) return value.status();
    SetPathValue(&changed, absl::StrSplit(key_path, '.'), *value, {});
  }
  return changed;
}

std::vector<std::string> PgParameterPairs(const std::vector<std::string>& pgkvpairs) {
  std::vector<std::string> out;
  for (const auto& p : pgkvpairs) {
    out.push_back(absl::StrCat("postgresql.parameters.", absl::StripLeadingAsciiWhitespace(p)));
  }
  return out;
}

void PatchConfig(Json* config, const Json& patch) {
  if (!patch.is_object()) return;
  for (auto it = patch.begin(); it != patch.end(); ++it) {
    const std::string& name = it.key();
    const Json& value = it.value();
    if (value.is_null()) {
      config->erase(name);
    } else if (config->contains(name)) {
      Json& current = (*config)[name];
      if (value.is_object()) {
        if (current.is_object()) {
          PatchConfig(&current, value);
        } else {
          current = value;
        }
      } else if (py::Str(current) != py::Str(value)) {
        current = value;
      }
    } else {
      (*config)[name] = value;
    }
  }
}

}  // namespace pgha::ctl
