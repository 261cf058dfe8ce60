// demote-cluster and promote-cluster (patronictl 4.1): turn a cluster into a standby cluster of
// a remote primary and back, by setting or removing standby_cluster through the leader's REST
// API, then watching the DCS until the leader runs in the new role.
#include <optional>
#include <ostream>

#include "absl/strings/str_cat.h"
#include "ctl/commands.h"
#include "ctl/errors.h"
#include "ctl/member_select.h"

namespace pgha::ctl {
namespace {

struct RoleOptions {
  std::string cluster;
  bool force = false;
  std::string host;
  std::optional<int> port;
  std::string restore_command;
  std::string primary_slot_name;
};

// The leader member key's role word; Patroni 3 members write "master" for a primary.
std::string LeaderRole(const dcs::ClusterState& c) {
  const dcs::Member* m = c.LeaderMember();
  if (m == nullptr) return "";
  return m->role == "master" ? "primary" : m->role;
}

// Python's repr of an optional str / bool, as patronictl prints them.
std::string PyValue(const std::string& v) { return v.empty() ? "None" : v; }

absl::Status ChangeClusterRole(Session& s, const RoleOptions& o, bool demote) {
  const std::string action = demote ? "demot" : "promot";  // + "e", "ion", "ed"
  const std::string target = demote ? "standby_leader" : "primary";
  Json standby_config = nullptr;
  if (demote) {
    standby_config = Json::object();
    if (!o.host.empty()) standby_config["host"] = o.host;
    if (o.port && *o.port != 0) standby_config["port"] = *o.port;
    if (!o.primary_slot_name.empty()) standby_config["primary_slot_name"] = o.primary_slot_name;
    if (!o.restore_command.empty()) standby_config["restore_command"] = o.restore_command;
  }
  auto c = LoadCluster(s, o.cluster);
  if (!c.ok()) return c.status();
  const dcs::ClusterState& cluster = *c->state;
  if (!cluster.leader || cluster.leader->name.empty()) {
    return CtlError(absl::StrCat("Cluster has no leader, ", action, "ion is not possible"));
  }
  const std::string leader_name = cluster.leader->name;
  if (LeaderRole(cluster) == target) return CtlError("Cluster is already in the required state");
  s.out() << "Current cluster topology\n";
  OutputMembers(s, cluster, c->name);
  if (!o.force) {
    auto yes = s.prompter().Confirm(absl::StrCat("Are you sure you want to ", action, "e ", c->name, " cluster?"));
    if (!yes.ok()) return yes.status();
    if (!*yes) return CtlError(absl::StrCat("Aborted cluster ", action, "ion"));
  }
  const dcs::Member* leader = cluster.LeaderMember();
  if (leader == nullptr) {
    return CtlError(absl::StrCat("Failed to ", action, "e ", c->name, " cluster: the leader has no member key"));
  }
  auto r = s.Request(*leader, "PATCH", "config", Json{{"standby_cluster", standby_config}});
  if (!r.ok()) {
    return CtlError(absl::StrCat("Failed to ", action, "e ", c->name, " cluster: ", r.status().message()));
  }
  if (r->status != 200) {
    return CtlError(absl::StrCat("Failed to ", action, "e ", c->name, " cluster: /config PATCH status code=",
                                 r->status, ", (", r->body, ")"));
  }
  // Watched until done, once a second, as patronictl does (no time limit: the operator stops it).
  dcs::ClusterStatePtr last = c->state;
  absl::Status watched = Watching(s, 1, false, [&]() -> absl::Status {
    auto fresh = Session::Load(*c->dcs);
    if (!fresh.ok()) return absl::OkStatus();  // the DCS did not answer this time: look again
    last = *fresh;
    const dcs::ClusterState& now = **fresh;
    bool unlocked = !now.leader;
    const dcs::Member* leader_now = now.LeaderMember();
    std::string role = leader_now != nullptr ? LeaderRole(now) : "";
    std::string state = leader_now != nullptr ? leader_now->state : "";
    const dcs::Member* old_leader = now.FindMember(leader_name);
    std::string old_state = old_leader != nullptr ? old_leader->state : "";
    if (!unlocked && role == target && state == "running" && (!demote || old_state == "running")) {
      s.out() << Timestamp(s, 0) << " cluster is successfully " << action << "ed\n";
      return absl::CancelledError("done");
    }
    s.out() << Timestamp(s, 0) << " cluster is unlocked: " << (unlocked ? "True" : "False")
            << ", leader role: " << PyValue(role) << ", leader state: " << PyValue(state);
    if (demote && now.leader && now.leader->name != leader_name && !old_state.empty()) {
      s.out() << ", previous leader state: '" << old_state << "'";
    }
    s.out() << "\n" << std::flush;
    return absl::OkStatus();
  });
  if (!watched.ok() && !absl::IsCancelled(watched)) return watched;
  OutputMembers(s, *last, c->name);
  return absl::OkStatus();
}

}  // namespace

void AddClusterRoleCommands(CLI::App& app, CommandTable& table) {
  {
    auto o = std::make_shared<RoleOptions>();
    CLI::App* cmd = app.add_subcommand("demote-cluster", "Demote cluster to a standby cluster");
    cmd->add_option("cluster_name", o->cluster, "Cluster (default: the configured scope)");
    cmd->add_flag("--force", o->force, "Do not ask for confirmation at any point");
    cmd->add_option("--host", o->host, "Address of the remote node");
    cmd->add_option("--port", o->port, "Port of the remote node");
    cmd->add_option("--restore-command", o->restore_command,
                    "Command to restore WAL records from the remote primary");
    cmd->add_option("--primary-slot-name", o->primary_slot_name,
                    "Name of the slot on the remote node to use for replication");
    table.Add(cmd, [o](Session& s) -> absl::Status {
      if (o->host.empty() && (!o->port || *o->port == 0) && o->restore_command.empty()) {
        return CtlError("At least --host, --port or --restore-command should be specified");
      }
      return ChangeClusterRole(s, *o, true);
    });
  }
  {
    auto o = std::make_shared<RoleOptions>();
    CLI::App* cmd = app.add_subcommand("promote-cluster", "Promote cluster, make it run standalone");
    cmd->add_option("cluster_name", o->cluster, "Cluster (default: the configured scope)");
    cmd->add_flag("--force", o->force, "Do not ask for confirmation at any point");
    table.Add(cmd, [o](Session& s) { return ChangeClusterRole(s, *o, false); });
  }
}

}  // namespace pgha::ctl
