// Read-only commands: list, topology, history, show-config, version, dsn.
#include <map>
#include <memory>
#include <ostream>

#include "absl/strings/str_cat.h"
#include "ctl/commands.h"
#include "ctl/errors.h"
#include "ctl/member_select.h"
#include "ctl/members_view.h"
#include "ctl/py_format.h"
#include "pgha/base/pycompat.h"
#include "ctl/table.h"
#include "ctl/time_format.h"
#include "pgha/base/version.h"

namespace pgha::ctl {
namespace {

struct ListOptions {
  std::vector<std::string> cluster_names;
  bool extended = false;
  bool timestamp = false;
  std::string fmt = "pretty";
  bool W = false;
  double watch = 0;
};

absl::Status RunList(Session& s, const ListOptions& o) {
  std::vector<std::string> names = o.cluster_names;
  if (names.empty() && !s.config().scope.empty()) names = {s.config().scope};
  if (names.empty()) {
    s.Warn("Listing members: No cluster names were provided");
    return absl::OkStatus();
  }
  std::map<std::string, std::unique_ptr<dcs::Dcs>> clients;
  double interval = o.watch > 0 ? o.watch : (o.W ? 2 : 0);
  return Watching(s, interval, true, [&]() -> absl::Status {
    if (o.timestamp) s.out() << Timestamp(s, 0) << "\n";
    for (const auto& name : names) {
      if (!clients.count(name)) {
        auto dcs = s.OpenDcs(name);
        if (!dcs.ok()) return dcs.status();
        clients[name] = std::move(*dcs);
      }
      auto cluster = Session::Load(*clients[name]);
      if (!cluster.ok()) return cluster.status();
      OutputMembers(s, **cluster, name, o.extended, o.fmt);
    }
    return absl::OkStatus();
  });
}

void AddWatchOptions(CLI::App* cmd, ListOptions* o) {
  cmd->add_flag("-W", o->W, "Auto update the screen every 2 seconds");
  cmd->add_option("-w,--watch", o->watch, "Auto update the screen every X seconds");
}

absl::Status RunVersion(Session& s, const std::string& cluster_name,
                        const std::vector<std::string>& members) {
  // pgha presents itself as the Patroni version whose formats it reproduces, as the daemon does
  // in its member key and /patroni; `pghactl --version` prints pgha's own version.
  s.out() << "patronictl version " << kPatroniCompatVersion << "\n";
  if (cluster_name.empty()) return absl::OkStatus();
  s.out() << "\n";
  auto c = LoadCluster(s, cluster_name);
  if (!c.ok()) return c.status();
  for (const auto& m : GetAllMembers(*c->state, "any")) {
    if (m.api_url.empty()) continue;
    if (!members.empty() && std::find(members.begin(), members.end(), m.name) == members.end())
      continue;
    auto r = s.Request(m, "GET", "");
    if (!r.ok()) {
      s.out() << m.name << ": failed to get version: " << r.status().message() << "\n";
      continue;
    }
    Json data = ParseUntrustedJson(r->body);
    if (data.is_discarded() || !data.is_object()) {
      s.out() << m.name << ": failed to get version: the answer is not a JSON object\n";
      continue;
    }
    Json version = data.contains("patroni") && data["patroni"].is_object()
                       ? data["patroni"].value("version", Json())
                       : Json();
    std::string pg;
    if (data.contains("server_version") && data["server_version"].is_number_integer() &&
        data["server_version"].get<int64_t>() != 0) {
      pg = " PostgreSQL " + FormatPgVersion(data["server_version"].get<int64_t>());
    }
    s.out() << m.name << ": Patroni " << py::Str(version) << pg << "\n";
  }
  return absl::OkStatus();
}

absl::Status RunDsn(Session& s, const std::string& cluster_name, std::string role,
                    const std::string& member) {
  if (!member.empty()) {
    if (!role.empty()) return CtlError("--role and --member are mutually exclusive options");
    role = "any";
  }
  if (member.empty() && role.empty()) role = "leader";
  auto c = LoadCluster(s, cluster_name);
  if (!c.ok()) return c.status();
  auto m = GetAnyMember(*c->state, role, member);
  if (!m) return CtlError("Can not find a suitable member");
  s.out() << "host=" << m->Host() << " port=" << m->Port() << "\n";
  return absl::OkStatus();
}

}  // namespace

void AddListCommands(CLI::App& app, CommandTable& table) {
  {
    auto o = std::make_shared<ListOptions>();
    CLI::App* cmd = app.add_subcommand("list", "List the Patroni members for a given Patroni");
    cmd->add_option("cluster_names", o->cluster_names,
                    "Clusters to list (default: the configured scope)");
    cmd->add_flag("-e,--extended", o->extended, "Show some extra information");
    cmd->add_flag("-t,--timestamp", o->timestamp, "Print timestamp");
    cmd->add_option("-f,--format", o->fmt, "Output format (pretty, tsv, json, yaml)");
    AddWatchOptions(cmd, o.get());
    table.Add(cmd, [o](Session& s) { return RunList(s, *o); });
  }
  {
    auto o = std::make_shared<ListOptions>();
    CLI::App* cmd = app.add_subcommand("topology", "Prints ASCII topology for given cluster");
    cmd->add_option("cluster_names", o->cluster_names,
                    "Clusters to show (default: the configured scope)");
    AddWatchOptions(cmd, o.get());
    table.Add(cmd, [o](Session& s) {
      ListOptions topology = *o;
      topology.fmt = "topology";
      return RunList(s, topology);
    });
  }
  {
    auto name = std::make_shared<std::string>();
    auto fmt = std::make_shared<std::string>("pretty");
    CLI::App* cmd = app.add_subcommand("history", "Show the history of failovers/switchovers");
    cmd->add_option("cluster_name", *name, "Cluster (default: the configured scope)");
    cmd->add_option("-f,--format", *fmt, "Output format (pretty, tsv, json, yaml)");
    table.Add(cmd, [name, fmt](Session& s) -> absl::Status {
      auto c = LoadCluster(s, *name);
      if (!c.ok()) return c.status();
      s.out() << PrintOutput(HistoryTable(*c->state), *fmt);
      return absl::OkStatus();
    });
  }
  {
    auto name = std::make_shared<std::string>();
    CLI::App* cmd = app.add_subcommand("show-config", "Show cluster configuration");
    cmd->add_option("cluster_name", *name, "Cluster (default: the configured scope)");
    table.Add(cmd, [name](Session& s) -> absl::Status {
      auto c = LoadCluster(s, *name);
      if (!c.ok()) return c.status();
      Json data = c->state->config ? c->state->config->data : Json::object();
      s.out() << CtlYaml(data) << "\n";  // click.echo adds a newline to the YAML's own
      return absl::OkStatus();
    });
  }
  {
    auto name = std::make_shared<std::string>();
    auto members = std::make_shared<std::vector<std::string>>();
    CLI::App* cmd = app.add_subcommand(
        "version", "Output version of patronictl command or a running Patroni instance");
    cmd->add_option("cluster_name", *name, "Cluster whose members to ask");
    cmd->add_option("member_names", *members, "Members to ask (default: all)");
    table.Add(cmd, [name, members](Session& s) { return RunVersion(s, *name, *members); });
  }
  {
    auto name = std::make_shared<std::string>();
    auto role = std::make_shared<std::string>();
    auto member = std::make_shared<std::string>();
    CLI::App* cmd = app.add_subcommand(
        "dsn", "Generate a dsn for the provided member, defaults to a dsn of the leader");
    cmd->add_option("cluster_name", *name, "Cluster (default: the configured scope)");
    AddRoleOption(cmd, role.get(), "Give a dsn of any member with this role");
    cmd->add_option("-m,--member", *member, "Generate a dsn for this member");
    table.Add(cmd, [name, role, member](Session& s) { return RunDsn(s, *name, *role, *member); });
  }
}

}  // namespace pgha::ctl
