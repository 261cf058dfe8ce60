// pghactl: patronictl's command line for pgha (and Patroni) clusters. This file only declares
// the global options, registers the command groups (ctl/cmd_*.cc), opens the session and maps
// the outcome to patronictl's messages and exit codes (see errors.h).
#include <iostream>

#include "CLI/CLI.hpp"
#include "ctl/commands.h"
#include "ctl/errors.h"
#include "ctl/session.h"
#include "pgha/backends/factory.h"
#include "pgha/base/version.h"
#include "pgha/config/loader.h"

namespace {

int Report(const absl::Status& status) {
  std::cout << std::flush;
  if (status.ok()) return 0;
  if (pgha::ctl::IsAborted(status)) {
    std::cerr << "Aborted!\n";
    return 1;
  }
  std::cerr << "Error: " << status.message() << "\n";
  return pgha::ctl::IsUsageError(status) ? 2 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  // Before any configuration is read: validation knows the DCS sections the backends register.
  pgha::backends::RegisterBuiltinBackends();
  CLI::App app{"pghactl: manage pgha and Patroni clusters (patronictl-compatible)", "pghactl"};
  app.set_version_flag("--version", std::string("pghactl ") + pgha::kPghaVersion);
  app.require_subcommand(1);

  pgha::ctl::GlobalOptions globals;
  app.add_option("-c,--config-file", globals.config_file, "Configuration file")
      ->envname("PATRONICTL_CONFIG_FILE");
  app.add_option("--dcs-url,--dcs,-d", globals.dcs_url, "The DCS connect url")->envname("DCS_URL");
  app.add_flag("-k,--insecure", globals.insecure, "Allow connections to SSL sites without certs");

  pgha::ctl::CommandTable commands;
  pgha::ctl::AddListCommands(app, commands);
  pgha::ctl::AddSwitchoverCommands(app, commands);
  pgha::ctl::AddMemberCommands(app, commands);
  pgha::ctl::AddClusterCommands(app, commands);
  pgha::ctl::AddClusterRoleCommands(app, commands);
  pgha::ctl::AddConfigCommands(app, commands);
  pgha::ctl::AddQueryCommand(app, commands);

  if (argc == 1) {
    std::cout << app.help();  // click shows the help of a group called without a command
    return 0;
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : 2;  // click exits 2 on usage errors
  }
  const pgha::ctl::Runner* run = commands.Chosen();
  if (run == nullptr) return 2;
  auto session =
      pgha::ctl::Session::Open(globals, pgha::config::ProcessEnvironment(), std::cin, std::cout);
  if (!session.ok()) return Report(session.status());
  return Report((*run)(**session));
}
