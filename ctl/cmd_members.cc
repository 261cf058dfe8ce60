// Commands that act on chosen members: restart, reload, reinit, flush.
#include <algorithm>
#include <memory>
#include <ostream>
#include <random>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "ctl/commands.h"
#include "ctl/errors.h"
#include "ctl/member_select.h"
#include "ctl/table.h"
#include "ctl/time_format.h"

namespace pgha::ctl {
namespace {

std::vector<std::string> Names(const std::vector<dcs::Member>& members) {
  std::vector<std::string> out;
  for (const auto& m : members) out.push_back(m.name);
  return out;
}

absl::Status ConfirmMembersAction(Session& s, const std::vector<dcs::Member>& members, bool force,
                                  const std::string& action,
                                  const std::optional<ScheduledTime>& at = std::nullopt) {
  if (force) return absl::OkStatus();
  std::string names = absl::StrJoin(Names(members), ", ");
  if (at) {
    auto yes = s.prompter().Confirm(absl::StrCat("Are you sure you want to schedule ", action,
                                                 " of members ", names, " at ", at->iso, "?"));
    if (!yes.ok()) return yes.status();
    if (!*yes) return CtlError("Aborted scheduled " + action);
  } else {
    auto yes = s.prompter().Confirm(
        absl::StrCat("Are you sure you want to ", action, " members ", names, "?"));
    if (!yes.ok()) return yes.status();
    if (!*yes) return CtlError("Aborted " + action);
  }
  return absl::OkStatus();
}

// patronictl's get_members: shows the cluster, narrows the named members to those with `role`,
// asks which member when none is named (reinitialize) and confirms unless forced.
absl::StatusOr<std::vector<dcs::Member>> GetMembers(Session& s, const OpenCluster& c,
                                                    std::vector<std::string> member_names,
                                                    const std::string& role, bool force,
                                                    const std::string& action,
                                                    bool ask_confirmation) {
  std::vector<dcs::Member> members = GetAllMembers(*c.state, role);
  std::vector<std::string> candidates =
      Names(members);  // in member order, where patronictl's set has none
  if (member_names.empty() && candidates.empty()) {
    return CtlError(c.name + " cluster doesn't have any members");
  }
  OutputMembers(s, *c.state, c.name);
  if (!member_names.empty()) {
    std::vector<std::string> chosen;
    for (const auto& n : candidates) {
      if (std::find(member_names.begin(), member_names.end(), n) != member_names.end())
        chosen.push_back(n);
    }
    if (chosen.empty()) return CtlError("No " + role + " among provided members");
    member_names = chosen;
  } else if (action != "reinitialize") {
    member_names = candidates;
  }
  if (member_names.empty() && !force) {
    auto answer = s.prompter().Prompt(absl::StrCat("Which member do you want to ", action, " [",
                                                   absl::StrJoin(candidates, ", "), "]?"),
                                      "");
    if (!answer.ok()) return answer.status();
    member_names = {*answer};
  }
  for (const auto& n : member_names) {
    if (std::find(candidates.begin(), candidates.end(), n) == candidates.end()) {
      return CtlError(n + " is not a member of cluster");
    }
  }
  std::vector<dcs::Member> out;
  for (const auto& m : members) {
    if (std::find(member_names.begin(), member_names.end(), m.name) != member_names.end())
      out.push_back(m);
  }
  if (ask_confirmation) {
    absl::Status confirmed = ConfirmMembersAction(s, out, force, action);
    if (!confirmed.ok()) return confirmed;
  }
  return out;
}

// check_response: prints Success/Failed for one member; true on success.
bool CheckResponse(Session& s, const absl::StatusOr<api::HttpResponse>& r,
                   const std::string& member, const std::string& action,
                   bool silent_success = false) {
  if (!r.ok()) {
    s.out() << "Failed: " << action << " for member " << member << ", (" << r.status().message()
            << ")\n";
    return false;
  }
  if (r->status >= 400) {
    s.out() << "Failed: " << action << " for member " << member << ", status code=" << r->status
            << ", (" << r->body << ")\n";
    return false;
  }
  if (!silent_success) s.out() << "Success: " << action << " for member " << member << "\n";
  return true;
}

struct MembersOptions {
  std::string cluster;
  std::vector<std::string> members;
  std::string role = "any";
  bool force = false;
  // restart
  bool any = false;
  std::optional<std::string> scheduled, pg_version, timeout;
  bool pending = false;
  // reinit
  bool wait = false;
  // flush
  std::string target;
};

absl::Status RunReload(Session& s, const MembersOptions& o) {
  auto c = LoadCluster(s, o.cluster);
  if (!c.ok()) return c.status();
  auto members = GetMembers(s, *c, o.members, o.role, o.force, "reload", true);
  if (!members.ok()) return members.status();
  Json loop_wait = c->state->config ? c->state->config->data.value("loop_wait", Json()) : Json();
  for (const auto& m : *members) {
    auto r = s.Request(m, "POST", "reload");
    if (r.ok() && r->status == 200) {
      s.out() << "No changes to apply on member " << m.name << "\n";
    } else if (r.ok() && r->status == 202) {
      s.out() << "Reload request received for member " << m.name << " and will be processed within "
              << (loop_wait.is_null() ? "None" : loop_wait.dump()) << " seconds\n";
    } else if (r.ok()) {
      s.out() << "Failed: reload for member " << m.name << ", status code=" << r->status << ", ("
              << r->body << ")\n";
    } else {
      return CtlError(std::string(r.status().message()));
    }
  }
  return absl::OkStatus();
}

absl::Status RunRestart(Session& s, const MembersOptions& o) {
  auto c = LoadCluster(s, o.cluster);
  if (!c.ok()) return c.status();
  auto members = GetMembers(s, *c, o.members, o.role, o.force, "restart", false);
  if (!members.ok()) return members.status();
  std::string scheduled = o.scheduled.value_or("");
  if (!o.scheduled && !o.force) {
    auto answer = s.prompter().Prompt("When should the restart take place (e.g. " +
                                          NextHourExample(s.Now(), s.LocalZone()) + ") ",
                                      "now");
    if (!answer.ok()) return answer.status();
    scheduled = *answer;
  }
  auto at = ParseScheduled(scheduled, s.Now(), s.LocalZone());
  if (!at.ok()) return CtlError(std::string(at.status().message()));
  absl::Status confirmed = ConfirmMembersAction(s, *members, o.force, "restart", *at);
  if (!confirmed.ok()) return confirmed;
  if (o.any && !members->empty()) {
    std::shuffle(members->begin(), members->end(), std::mt19937(std::random_device{}()));
    members->resize(1);
  }
  std::string version = o.pg_version.value_or("");
  if (!o.pg_version && !o.force) {
    auto answer = s.prompter().Prompt(
        "Restart if the PostgreSQL version is less than provided (e.g. 9.5.2) ", "");
    if (!answer.ok()) return answer.status();
    version = *answer;
  }
  Json content = Json::object();
  if (o.pending) content["restart_pending"] = true;
  if (!version.empty()) {
    auto valid = PostgresVersionToInt(version);
    if (!valid.ok()) return CtlError(std::string(valid.status().message()));
    content["postgres_version"] = version;
  }
  if (*at) {
    if (c->state->IsPaused()) return CtlError("Can't schedule restart in the paused state");
    content["schedule"] = (*at)->iso;
  }
  if (o.timeout) {
    // patronictl sends the text as given; the REST API wants seconds, so a plain number goes
    // as a number and anything else ("5min") as the text.
    int64_t whole = 0;
    double seconds = 0;
    if (absl::SimpleAtoi(*o.timeout, &whole)) {
      content["timeout"] = whole;
    } else if (absl::SimpleAtod(*o.timeout, &seconds)) {
      content["timeout"] = seconds;
    } else {
      content["timeout"] = *o.timeout;
    }
  }
  for (const auto& m : *members) {
    if (content.contains("schedule") && o.force && !m.scheduled_restart.is_null()) {
      CheckResponse(s, s.Request(m, "DELETE", "restart"), m.name, "flush scheduled restart", true);
    }
    auto r = s.Request(m, "POST", "restart", content, kRestartTimeout);
    if (!r.ok()) return CtlError(std::string(r.status().message()));
    if (r->status == 200) {
      s.out() << "Success: restart on member " << m.name << "\n";
    } else if (r->status == 202) {
      s.out() << "Success: restart scheduled on member " << m.name << "\n";
    } else if (r->status == 409) {
      s.out() << "Failed: another restart is already scheduled on member " << m.name << "\n";
    } else {
      s.out() << "Failed: restart for member " << m.name << ", status code=" << r->status << ", ("
              << r->body << ")\n";
    }
  }
  return absl::OkStatus();
}

absl::Status RunReinit(Session& s, const MembersOptions& o) {
  auto c = LoadCluster(s, o.cluster);
  if (!c.ok()) return c.status();
  auto members = GetMembers(s, *c, o.members, "replica", o.force, "reinitialize", true);
  if (!members.ok()) return members.status();
  std::vector<dcs::Member> wait_on;
  for (const auto& m : *members) {
    Json body = {{"force", o.force}};
    while (true) {
      auto r = s.Request(m, "POST", "reinitialize", body, kRestartTimeout);
      bool started = CheckResponse(s, r, m.name, "reinitialize");
      if (!started && r.ok() && absl::EndsWith(r->body, " already in progress") && !o.force) {
        auto yes = s.prompter().Confirm("Do you want to cancel it and reinitialize anyway?");
        if (!yes.ok()) return yes.status();
        if (*yes) {
          body["force"] = true;
          continue;
        }
      }
      if (started && o.wait) wait_on.push_back(m);
      break;
    }
  }
  std::vector<std::string> last_display;
  while (!wait_on.empty()) {
    if (Names(wait_on) != last_display) {
      s.out() << "Waiting for reinitialize to complete on: " << absl::StrJoin(Names(wait_on), ", ")
              << "\n";
      last_display = Names(wait_on);
    }
    s.out() << std::flush;
    s.Sleep(absl::Seconds(2));
    for (auto it = wait_on.begin(); it != wait_on.end();) {
      auto r = s.Request(*it, "GET", "patroni");
      Json data = r.ok() ? ParseUntrustedJson(r->body) : Json();
      if (data.is_object() && JsonString(data, "state") != "creating replica") {
        s.out() << "Reinitialize is completed on: " << it->name << "\n";
        it = wait_on.erase(it);
      } else {
        ++it;
      }
    }
  }
  return absl::OkStatus();
}

absl::Status RunFlush(Session& s, const MembersOptions& o) {
  auto c = LoadCluster(s, o.cluster);
  if (!c.ok()) return c.status();
  if (o.target == "restart") {
    auto members = GetMembers(s, *c, o.members, o.role, o.force, "flush", true);
    if (!members.ok()) return members.status();
    for (const auto& m : *members) {
      if (!m.scheduled_restart.is_null() && PyTruthy(m.scheduled_restart)) {
        CheckResponse(s, s.Request(m, "DELETE", "restart"), m.name, "flush scheduled restart");
      } else {
        s.out() << "No scheduled restart for member " << m.name << "\n";
      }
    }
    return absl::OkStatus();
  }
  const dcs::FailoverRequest* failover = c->state->PendingFailover();
  if (!failover || !failover->scheduled_at) {
    s.out() << "No pending scheduled switchover\n";
    return absl::OkStatus();
  }
  for (const auto& m : MembersLeaderFirst(*c->state)) {
    auto r = s.Request(m, "DELETE", "switchover");
    if (!r.ok()) {
      s.Warn(std::string(r.status().message()));
      s.Warn("Member " + m.name + " is not accessible");
      continue;
    }
    if (r->status == 200 || r->status == 404) {
      s.out() << (r->status == 200 ? "Success: " : "Failed: ") << r->body << "\n";
      return absl::OkStatus();
    }
    s.out() << "Failed: member=" << m.name << ", status_code=" << r->status << ", (" << r->body
            << ")\n";
  }
  s.Warn("Failing over to DCS");
  s.out() << Timestamp(s) << " Could not find any accessible member of cluster " << c->name << "\n";
  absl::Status cleared = c->dcs->ClearFailover(failover->version);
  if (!cleared.ok())
    return CtlError(absl::StrCat("could not clear the failover key: ", cleared.message()));
  return absl::OkStatus();
}

CLI::App* AddMembersCommand(CLI::App& app, const char* name, const char* help, MembersOptions* o) {
  CLI::App* cmd = app.add_subcommand(name, help);
  cmd->add_option("cluster_name", o->cluster, "Cluster")->required();
  cmd->add_option("member_names", o->members, "Members (default: all with the role)");
  cmd->add_flag("--force", o->force, "Do not ask for confirmation at any point");
  return cmd;
}

}  // namespace

void AddMemberCommands(CLI::App& app, CommandTable& table) {
  {
    auto o = std::make_shared<MembersOptions>();
    CLI::App* cmd =
        AddMembersCommand(app, "reload", "Reload cluster member configuration", o.get());
    AddRoleOption(cmd, &o->role, "Reload only members with this role");
    table.Add(cmd, [o](Session& s) { return RunReload(s, *o); });
  }
  {
    auto o = std::make_shared<MembersOptions>();
    CLI::App* cmd = AddMembersCommand(app, "restart", "Restart cluster member", o.get());
    AddRoleOption(cmd, &o->role, "Restart only members with this role");
    cmd->add_flag("--any", o->any, "Restart a single member only");
    cmd->add_option("--scheduled", o->scheduled,
                    "Timestamp of a scheduled restart in unambiguous format (e.g. ISO 8601)");
    cmd->add_option("--pg-version", o->pg_version,
                    "Restart if the PostgreSQL version is less than provided (e.g. 9.5.2)");
    cmd->add_flag("--pending", o->pending, "Restart if pending");
    cmd->add_option(
        "--timeout", o->timeout,
        "Return error and fail over if necessary when restarting takes longer than this.");
    table.Add(cmd, [o](Session& s) { return RunRestart(s, *o); });
  }
  {
    auto o = std::make_shared<MembersOptions>();
    CLI::App* cmd = AddMembersCommand(app, "reinit", "Reinitialize cluster member", o.get());
    cmd->add_flag("--wait", o->wait, "Wait until reinitialization completes");
    table.Add(cmd, [o](Session& s) { return RunReinit(s, *o); });
  }
  {
    auto o = std::make_shared<MembersOptions>();
    auto args = std::make_shared<std::vector<std::string>>();
    CLI::App* cmd = app.add_subcommand("flush", "Discard scheduled events");
    // CLUSTER [MEMBER...] {restart|switchover}: one list, split below, as CLI11 cannot put a
    // fixed positional after a variable one.
    cmd->add_option("args", *args, "CLUSTER [MEMBER...] {restart|switchover}");
    AddRoleOption(cmd, &o->role, "Flush only members with this role");
    cmd->add_flag("--force", o->force, "Do not ask for confirmation at any point");
    table.Add(cmd, [o, args](Session& s) -> absl::Status {
      if (args->empty()) return UsageError("Missing argument 'CLUSTER_NAME'.");
      if (args->size() < 2) return UsageError("Missing argument '{restart|switchover}'.");
      MembersOptions run = *o;
      run.cluster = args->front();
      run.target = args->back();
      run.members.assign(args->begin() + 1, args->end() - 1);
      if (run.target != "restart" && run.target != "switchover") {
        return UsageError("Invalid value for '{restart|switchover}': '" + run.target +
                          "' is not one of 'restart', 'switchover'.");
      }
      return RunFlush(s, run);
    });
  }
}

}  // namespace pgha::ctl
