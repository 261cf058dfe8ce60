// Loading and validating configuration: `pgha --validate-config`, the daemon, and pghactl.
//
// Thread-safety: pure functions (they read files and the environment map they are given).
#ifndef PGHA_CONFIG_LOADER_H_
#define PGHA_CONFIG_LOADER_H_

#include <map>
#include <optional>
#include <string>

#include "pgha/config/config.h"
#include "pgha/config/diagnostics.h"
#include "pgha/config/document.h"
#include "pgha/config/dynamic_config.h"

namespace pgha::config {

using Environment = std::map<std::string, std::string>;

// The process environment as a map.
Environment ProcessEnvironment();

// Applies PATRONI_* variables to a document as Patroni documents them (docs/ENVIRONMENT.rst):
// PATRONI_NAME, PATRONI_RESTAPI_LISTEN, PATRONI_SUPERUSER_PASSWORD, PATRONI_ETCD3_HOSTS, ...
// Lists and mappings in variables use YAML flow syntax. Unparsable values become diagnostics.
void ApplyEnvironment(const Environment& env, ConfigDocument* doc, Diagnostics* diagnostics);

struct LoadResult {
  ConfigDocument document;
  Diagnostics diagnostics;
  std::optional<Config> config;  // set when there are no errors
  bool ok() const { return config.has_value(); }
};

// Loads a file or a directory of YAML files, applies the environment, validates, and builds the
// typed Config. With an empty `path`, PATRONI_CONFIGURATION (a whole YAML document) is used.
LoadResult LoadLocalConfig(const std::string& path, const Environment& env);
// The same from YAML text (tests, PATRONI_CONFIGURATION).
LoadResult LoadLocalConfigFromText(const std::string& text, const std::string& name,
                                   const Environment& env);

// pghactl's reading of a configuration (patronictl's): the same file or directory, but only
// the parts a client uses (scope, namespace, the DCS section, ctl, restapi auth/TLS) are
// checked, and none of them is required (a cluster can be named on the command line and the
// DCS given with -d; Config::dcs.configured tells). An empty path means "no file".
LoadResult LoadCtlConfig(const std::string& path, const Environment& env);

struct DynamicLoadResult {
  ConfigDocument document;
  Diagnostics diagnostics;
  DynamicConfig config;
  bool ok() const { return !diagnostics.HasErrors(); }
};
// Loads a YAML file holding only dynamic configuration (what `config` in the DCS holds).
DynamicLoadResult LoadDynamicConfigFile(const std::string& path);

// Checks a dynamic configuration document (PATCH/PUT /config, pghactl edit-config, the `config`
// key read from the DCS) against the same rules as a file; the diagnostics carry key paths.
Diagnostics ValidateDynamicConfig(const Json& document);

// A copy with every secret (passwords, tokens, ACL credentials) replaced by "******".
Json MaskSecrets(const Json& document);

}  // namespace pgha::config

#endif  // PGHA_CONFIG_LOADER_H_
