// The pure part of `edit-config`: -s/--set and -p/--pg key=value pairs applied to the dynamic
// configuration as patronictl applies them, --apply/--replace YAML merged with Patroni's
// patch_config, and YAML text read the way yaml.safe_load reads it.
//
// Thread-safety: pure functions.
#ifndef PGHA_CTL_CONFIG_EDIT_H_
#define PGHA_CTL_CONFIG_EDIT_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "pgha/base/json.h"

namespace pgha::ctl {

// yaml.safe_load of one value given on the command line: "true" -> true, "100" -> 100,
// "'on'" -> "on", "" or "null" -> null (which removes the key), "[a, b]" -> a list.
absl::StatusOr<Json> ParseYamlValue(const std::string& text);

// yaml.safe_load of a whole document that must be a mapping (--apply, --replace, the editor).
// `name` is used in error messages.
absl::StatusOr<Json> ParseYamlMapping(const std::string& text, const std::string& name);

// apply_config_changes: each "a.b.c=value" sets a dotted path (missing or non-mapping
// intermediates become mappings) to the YAML value; null removes the key and then any mapping
// it leaves empty. Below postgresql.parameters the rest of the path is one GUC name, dots
// included. kInvalidArgument "Invalid parameter setting x" for a pair without '='.
absl::StatusOr<Json> ApplyConfigChanges(const Json& data, const std::vector<std::string>& kvpairs);

// -p name=value is -s postgresql.parameters.name=value.
std::vector<std::string> PgParameterPairs(const std::vector<std::string>& pgkvpairs);

// Patroni's patch_config: mappings merge, null deletes, a value whose str() equals the current
// one's is left alone.
void PatchConfig(Json* config, const Json& patch);

}  // namespace pgha::ctl

#endif  // PGHA_CTL_CONFIG_EDIT_H_
