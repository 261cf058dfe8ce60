// Helpers shared by the configuration tests.
#ifndef PGHA_TESTS_UNIT_CONFIG_CONFIG_TEST_UTIL_H_
#define PGHA_TESTS_UNIT_CONFIG_CONFIG_TEST_UTIL_H_

#include <optional>
#include <sstream>
#include <string>

#include "pgha/config/loader.h"

namespace pgha::testing {

// A complete, valid local configuration to derive cases from.
inline std::string MinimalConfig() {
  return R"(scope: demo
name: node1
restapi:
  listen: 0.0.0.0:8008
  connect_address: 10.0.0.1:8008
etcd3:
  hosts: 10.0.0.9:2379
postgresql:
  listen: 0.0.0.0:5432
  connect_address: 10.0.0.1:5432
  data_dir: /nonexistent/pgha-data
  authentication:
    superuser:
      username: postgres
      password: secret
    replication:
      username: replicator
      password: rep-pass
)";
}

// The first diagnostic about `key_path` whose message contains `fragment`.
inline std::optional<config::Diagnostic> FindDiagnostic(const config::Diagnostics& diagnostics,
                                                        const std::string& key_path,
                                                        const std::string& fragment = "") {
  for (const auto& d : diagnostics.all()) {
    if (d.key_path == key_path && d.message.find(fragment) != std::string::npos) return d;
  }
  return std::nullopt;
}

inline std::string DumpDiagnostics(const config::Diagnostics& diagnostics) {
  std::ostringstream out;
  for (const auto& d : diagnostics.all()) out << d.ToString() << "\n";
  return out.str();
}

}  // namespace pgha::testing

#endif  // PGHA_TESTS_UNIT_CONFIG_CONFIG_TEST_UTIL_H_
