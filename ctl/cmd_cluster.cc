// Commands about the cluster as a whole: pause, resume (maintenance mode) and remove.
#include <map>
#include <memory>
#include <ostream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "ctl/commands.h"
#include "ctl/errors.h"
#include "ctl/member_select.h"
#include "pgha/base/clock.h"
#include "pgha/config/dynamic_config.h"

namespace pgha::ctl {
namespace {

// patronictl's wait_until_pause_is_applied: polls the DCS once a second for loop_wait + 1
// seconds until every member that has a REST API publishes the new pause state.
absl::Status WaitUntilPauseIsApplied(Session& s, dcs::Dcs& dcs, bool paused,
                                     const dcs::ClusterState& old_cluster) {
  s.out() << "'" << (paused ? "pause" : "resume")
          << "' request sent, waiting until it is recognized by all nodes\n"
          << std::flush;
  std::map<std::string, dcs::Version> old;
  for (const auto& m : old_cluster.members) {
    if (!m.api_url.empty()) old[m.name] = m.version;
  }
  // Read as a daemon reads it (type-checked, clamped to an hour): the key is anyone's to write.
  std::vector<std::string> ignored;
  int64_t loop_wait =
      old_cluster.config ? config::ParseDynamicConfig(old_cluster.config->data, &ignored).loop_wait : 10;
  absl::Time deadline = MonotonicNow() + absl::Seconds(loop_wait + 1);
  dcs::ClusterStatePtr cluster;
  while (MonotonicNow() < deadline) {
    auto fresh = Session::Load(dcs);
    if (fresh.ok()) {
      cluster = *fresh;
      bool all = true;
      for (const auto& m : cluster->members) {
        if (old.count(m.name) && m.pause != paused) all = false;
      }
      if (all) {
        s.out() << "Success: cluster management is " << (paused ? "paused" : "resumed") << "\n";
        return absl::OkStatus();
      }
    }
    s.Sleep(absl::Seconds(1));
  }
  std::vector<std::string> remaining;
  if (cluster) {
    for (const auto& m : cluster->members) {
      auto it = old.find(m.name);
      if (m.pause != paused && it != old.end() && it->second != m.version)
        remaining.push_back(m.name);
    }
  }
  if (!remaining.empty()) {
    s.out() << absl::StrJoin(remaining, ", ") << " members didn't recognized pause state after "
            << loop_wait << " seconds\n";
    return absl::OkStatus();
  }
  s.out() << "Success: cluster management is " << (paused ? "paused" : "resumed") << "\n";
  return absl::OkStatus();
}

absl::Status TogglePause(Session& s, const std::string& cluster_name, bool paused, bool wait) {
  auto c = LoadCluster(s, cluster_name);
  if (!c.ok()) return c.status();
  if (c->state->IsPaused() == paused) {
    return CtlError(absl::StrCat("Cluster is ", paused ? "already" : "not", " paused"));
  }
  for (const auto& m : MembersLeaderFirst(*c->state)) {
    Json body = {{"pause", paused ? Json(true) : Json()}};
    auto r = s.Request(m, "PATCH", "config", body);
    if (!r.ok()) {
      s.Warn(std::string(r.status().message()));
      s.Warn("Member " + m.name + " is not accessible");
      continue;
    }
    if (r->status == 200) {
      if (wait) return WaitUntilPauseIsApplied(s, *c->dcs, paused, *c->state);
      s.out() << "Success: cluster management is " << (paused ? "paused" : "resumed") << "\n";
    } else {
      s.out() << "Failed: " << (paused ? "pause" : "resume")
              << " cluster management status code=" << r->status << ", (" << r->body << ")\n";
    }
    return absl::OkStatus();
  }
  return CtlError("Can not find accessible cluster member");
}

absl::Status Remove(Session& s, const std::string& cluster_name, const std::string& fmt) {
  auto c = LoadCluster(s, cluster_name);
  if (!c.ok()) return c.status();
  OutputMembers(s, *c->state, c->name, false, fmt);
  auto name = s.prompter().Prompt("Please confirm the cluster name to remove");
  if (!name.ok()) return name.status();
  if (*name != c->name) return CtlError("Cluster names specified do not match");
  const std::string message = "Yes I am aware";
  auto aware =
      s.prompter().Prompt(absl::StrCat("You are about to remove all information in DCS for ",
                                       c->name, ", please type: \"", message, "\""));
  if (!aware.ok()) return aware.status();
  if (*aware != message) return CtlError("You did not exactly type \"" + message + "\"");
  if (c->state->leader && !c->state->leader->name.empty()) {
    // patronictl 3.0.2's wording ("leader"), kept: scripts answer this prompt.
    auto leader = s.prompter().Prompt(
        "This cluster currently is healthy. Please specify the leader name to continue");
    if (!leader.ok()) return leader.status();
    if (*leader != c->state->leader->name)
      return CtlError("You did not specify the current leader of the cluster");
  }
  absl::Status deleted = c->dcs->DeleteCluster();
  if (!deleted.ok())
    return CtlError(absl::StrCat("could not remove the cluster: ", deleted.message()));
  return absl::OkStatus();
}

}  // namespace

void AddClusterCommands(CLI::App& app, CommandTable& table) {
  for (bool paused : {true, false}) {
    auto name = std::make_shared<std::string>();
    auto wait = std::make_shared<bool>(false);
    CLI::App* cmd = app.add_subcommand(paused ? "pause" : "resume",
                                       paused ? "Disable auto failover" : "Resume auto failover");
    cmd->add_option("cluster_name", *name, "Cluster (default: the configured scope)");
    cmd->add_flag("--wait", *wait,
                  paused ? "Wait until pause is applied on all nodes"
                         : "Wait until pause is cleared on all nodes");
    table.Add(cmd,
              [name, wait, paused](Session& s) { return TogglePause(s, *name, paused, *wait); });
  }
  {
    auto name = std::make_shared<std::string>();
    auto fmt = std::make_shared<std::string>("pretty");
    CLI::App* cmd = app.add_subcommand("remove", "Remove cluster from DCS");
    cmd->add_option("cluster_name", *name, "Cluster")->required();
    cmd->add_option("-f,--format", *fmt, "Output format (pretty, tsv, json, yaml)");
    table.Add(cmd, [name, fmt](Session& s) { return Remove(s, *name, *fmt); });
  }
}

}  // namespace pgha::ctl
