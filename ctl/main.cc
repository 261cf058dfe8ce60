// pghactl: patronictl-compatible command line. Commands arrive with the REST API and DCS work.
#include <cstdio>

#include "CLI/CLI.hpp"
#include "pgha/base/version.h"

int main(int argc, char** argv) {
  CLI::App app{"pghactl: manage a pgha/Patroni cluster", "pghactl"};
  app.require_subcommand(1);
  app.add_subcommand("version", "print the version")->callback([] {
    std::printf("pghactl version %s\n", pgha::kPghaVersion);
  });
  CLI11_PARSE(app, argc, argv);
  return 0;
}
