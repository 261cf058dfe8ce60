// pgha: the per-node daemon. Parses flags, loads the configuration, wires the components and
// runs. No HA logic lives here.
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <string>

#include "CLI/CLI.hpp"
#include "pgha/backends/factory.h"
#include "pgha/base/pycompat_yaml.h"
#include "pgha/base/version.h"
#include "pgha/config/document.h"
#include "pgha/config/loader.h"
#include "pgha/postgres/parameter_check.h"
#include "daemon.h"

namespace {

// Prints every diagnostic, one per line, and returns the process exit code.
int Report(const pgha::config::LoadResult& result) {
  for (const auto& d : result.diagnostics.Sorted()) std::cerr << d.ToString() << "\n";
  const auto& root = result.document.root;
  if (!result.ok() && root.is_object() && !root.contains("name") &&
      (root.contains("ttl") || root.contains("loop_wait"))) {
    std::cerr << "hint: this looks like dynamic configuration (the DCS `config` key); "
                 "validate it with --dynamic\n";
  }
  return result.ok() ? 0 : 1;
}

// What `patroni --validate-config --print` writes: yaml.safe_dump(config,
// default_flow_style=False, allow_unicode=True).
std::string PrintedYaml(const pgha::Json& config) { return pgha::py::YamlDump(config); }

}  // namespace

int main(int argc, char** argv) {
  // Before any configuration is read: validation knows the DCS sections the backends register.
  pgha::backends::RegisterBuiltinBackends();
  CLI::App app{"pgha: high-availability PostgreSQL (Patroni-compatible)", "pgha"};
  std::string config_path;
  bool validate = false;
  bool print = false;
  bool version = false;
  bool dynamic = false;
  app.add_option("config", config_path, "configuration file or directory (patroni.yml)");
  app.add_flag("--validate-config", validate, "check the configuration and exit");
  app.add_flag("--print-config", print,
               "print the effective configuration (after PATRONI_* overrides, secrets masked)");
  app.add_flag("--dynamic", dynamic,
               "with --validate-config/--print-config: the file holds dynamic configuration "
               "(what the DCS `config` key holds, or bootstrap.dcs)");
  app.add_flag("--version", version, "print the version and exit");
  CLI11_PARSE(app, argc, argv);

  if (version) {
    std::printf("pgha %s (Patroni %s compatible)\n", pgha::kPghaVersion,
                pgha::kPatroniCompatVersion);
    return 0;
  }
  auto env = pgha::config::ProcessEnvironment();
  if ((validate || print) && dynamic) {
    auto result = pgha::config::LoadDynamicConfigFile(config_path);
    for (const auto& d : result.diagnostics.Sorted()) std::cerr << d.ToString() << "\n";
    if (print && result.ok()) std::cout << PrintedYaml(result.document.root);
    return result.ok() ? 0 : 1;
  }
  if (validate || print) {
    auto result = pgha::config::LoadLocalConfig(config_path, env);
    if (result.ok()) {
      // With the server binaries at hand, the parameters are checked as the daemon will
      // (warnings: pgha drops what the version would refuse).
      std::string postgres = result.config->postgresql.Binary("postgres");
      if (int major = pgha::pg::BinaryMajorVersion(postgres); major > 0) {
        pgha::pg::CheckConfigParameters(result.document, major, pgha::pg::AvailableParameters(postgres),
                                        &result.diagnostics);
      }
    }
    int code = Report(result);
    if (print && result.ok()) {
      std::cout << PrintedYaml(pgha::config::MaskSecrets(result.document.root));
    }
    return code;
  }
  if (::geteuid() == 0) {
    std::cerr << "pgha: refusing to run as root: PostgreSQL must run as an unprivileged user. "
                 "Start pgha as the user that owns the data directory (e.g. postgres).\n";
    return 1;
  }
  if (config_path.empty() && env.count("PATRONI_CONFIGURATION") == 0) {
    std::cerr << "pgha: give a configuration file or directory (or set PATRONI_CONFIGURATION)\n";
    return 2;
  }
  return pgha::daemon::Run(config_path);
}
