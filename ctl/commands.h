// pghactl's commands, one group per file, registered on the CLI11 application by main.cc.
// Each Add*Commands() declares patronictl's options and arguments for its commands and records
// what to run once the command line is parsed and the session is open.
#ifndef PGHA_CTL_COMMANDS_H_
#define PGHA_CTL_COMMANDS_H_

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/status/status.h"
#include "ctl/session.h"
#include "pgha/dcs/cluster_state.h"

namespace pgha::ctl {

using Runner = std::function<absl::Status(Session&)>;

class CommandTable {
 public:
  void Add(CLI::App* command, Runner run) { entries_.emplace_back(command, std::move(run)); }
  // The runner of the command the parsed command line chose, nullptr if none.
  const Runner* Chosen() const {
    for (const auto& [command, run] : entries_) {
      if (command->parsed()) return &run;
    }
    return nullptr;
  }

 private:
  std::vector<std::pair<CLI::App*, Runner>> entries_;
};

void AddListCommands(CLI::App& app,
                     CommandTable& table);  // list topology history show-config version dsn
void AddSwitchoverCommands(CLI::App& app, CommandTable& table);  // switchover failover
void AddMemberCommands(CLI::App& app, CommandTable& table);      // restart reload reinit flush
void AddClusterCommands(CLI::App& app, CommandTable& table);     // pause resume remove
void AddClusterRoleCommands(CLI::App& app, CommandTable& table); // demote-cluster promote-cluster
void AddConfigCommands(CLI::App& app, CommandTable& table);      // edit-config
void AddQueryCommand(CLI::App& app, CommandTable& table);        // query

// ---- helpers shared by the command files ------------------------------------------------------

// output_members on the session's output.
void OutputMembers(Session& session, const dcs::ClusterState& cluster, const std::string& name,
                   bool extended = false, const std::string& fmt = "pretty");

// A DCS client for the cluster and one read of it.
struct OpenCluster {
  std::string name;
  std::unique_ptr<dcs::Dcs> dcs;
  dcs::ClusterStatePtr state;
};
absl::StatusOr<OpenCluster> LoadCluster(Session& session, const std::string& cluster_argument);

// -r/--role limited to patronictl's choices.
CLI::Option* AddRoleOption(CLI::App* command, std::string* role, const std::string& help);

// patronictl's `watching`: runs `body` once, then every `interval` seconds (forever) when
// watching; clears the terminal before each run when `clear` and stdout is a terminal.
absl::Status Watching(Session& session, double interval, bool clear,
                      const std::function<absl::Status()>& body);

// "2026-11-22 03:07:27.91683": patronictl's timestamp() in local time.
std::string Timestamp(const Session& session, int precision = 6);

}  // namespace pgha::ctl

#endif  // PGHA_CTL_COMMANDS_H_
